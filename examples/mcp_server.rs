//! Guarded tools served over MCP.
//!
//! `cargo run --example mcp_server --features mcp` serves on stdin/stdout, for a client
//! that starts the server itself. For Claude Desktop, in
//! `claude_desktop_config.json` (build first with
//! `cargo build --example mcp_server`):
//!
//! ```json
//! { "mcpServers": { "guarded": { "command": "/path/to/target/debug/examples/mcp_server" } } }
//! ```
//!
//! `cargo run --example mcp_server --features mcp -- --http 127.0.0.1:8808` serves
//! streamable HTTP at `http://127.0.0.1:8808/mcp`; a client sending
//! `Authorization: Bearer ops-token` is the `ops` agent, which the policy
//! lets use every tool.
//!
//! `clear_cache` needs a person's approval: a client with elicitation shows
//! the person a form (approve, remember for the session); other clients are
//! refused, as this server has no confirmer of its own.

use guard_runtime::integrations::mcp::GuardMcp;
use guard_runtime::policy::{Format, Policy};
use guard_runtime::{CallContext, Guard, ToolError, secure_tool};

/// Current weather for a city.
#[secure_tool(risk = "low")]
fn weather(city: String) -> String {
    format!("18 degrees and clear in {city}")
}

/// Read a file from the current directory (never outside it).
#[secure_tool(risk = "low")]
fn read_file(
    #[arg(path(ext = ["md", "txt", "toml"]))] path: guard_runtime::validate::CheckedPath,
) -> Result<String, ToolError> {
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut path.open().map_err(|e| ToolError::new(e.to_string()))?,
        &mut text,
    )
    .map_err(|e| ToolError::new(e.to_string()))?;
    Ok(text)
}

/// Delete the cache; needs a person's approval.
#[secure_tool(risk = "high", confirm)]
fn clear_cache() -> String {
    "cache cleared".to_owned()
}

const POLICY: &str = r#"
[agents.default]
allow = ["weather", "read_file"]

[agents.ops]
allow = ["*"]
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::current_dir()?;
    let guard = Guard::builder()
        .policy(Policy::from_str(POLICY, Format::Toml)?)
        .validators(
            guard_runtime::validate::ValidatorConfig::default()
                .path(guard_runtime::validate::PathPolicy::new().root(root)),
        )
        .build()?;
    let server = GuardMcp::new(guard).identify(|client| match client.authorization {
        Some("Bearer ops-token") => CallContext::new("ops"),
        _ => CallContext::new(client.name.unwrap_or("mcp-client")),
    });
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--http") {
        Some(i) => {
            let address = args.get(i + 1).map_or("127.0.0.1:8808", String::as_str);
            let listener = tokio::net::TcpListener::bind(address).await?;
            eprintln!(
                "guarded MCP server at http://{}/mcp",
                listener.local_addr()?
            );
            server.serve_http(listener).await?;
        }
        None => server.serve_stdio().await?,
    }
    Ok(())
}
