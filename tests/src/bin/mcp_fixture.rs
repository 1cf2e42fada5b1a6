//! An MCP server over a few guarded tools, for the MCP client test
//! (`tests/tests/mcp.rs` runs the official Python SDK against it): on stdio,
//! or with `--http` on 127.0.0.1 at a free port, printed as the first line.

use guard_runtime::integrations::mcp::GuardMcp;
use guard_runtime::policy::{Format, Policy};
use guard_runtime::{CallContext, Guard, ToolError, secure_tool};

/// Current weather for a city.
#[secure_tool(risk = "low")]
fn weather(city: String) -> String {
    format!("18 degrees in {city}")
}

/// Read a file from the workspace.
#[secure_tool(risk = "low")]
fn read_file(#[arg(path)] path: String) -> Result<String, ToolError> {
    Ok(format!("contents of {path}"))
}

/// Delete every record; needs a person's approval.
#[secure_tool(risk = "critical", confirm)]
fn delete_all() -> String {
    "deleted".to_owned()
}

/// Administer the server; hidden from MCP clients by the policy.
#[secure_tool(risk = "high")]
fn admin_reset() -> String {
    "reset".to_owned()
}

/// Post a message outside.
#[secure_tool(risk = "medium", sink = "external")]
fn post_message(text: String) -> String {
    format!("posted {}", text.len())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let policy = Policy::from_str(
        "[agents.default]\ndeny = [\"admin_*\"]\n[agents.ops]\nallow = [\"*\"]\n",
        Format::Toml,
    )
    .expect("policy");
    let guard = Guard::builder().policy(policy).build().expect("guard");
    let result = if std::env::args().nth(1).as_deref() == Some("--http") {
        // The operator's tokens: "Bearer ops-token" is the ops agent.
        let server = GuardMcp::new(guard).identify(|client| match client.authorization {
            Some("Bearer ops-token") => CallContext::new("ops"),
            _ => CallContext::new(client.name.unwrap_or("mcp-client")),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("http://{}/mcp", listener.local_addr().expect("address"));
        server.serve_http(listener).await
    } else {
        guard.serve_mcp_stdio().await
    };
    if let Err(err) = result {
        eprintln!("mcp-fixture: {err}");
        std::process::exit(1);
    }
}
