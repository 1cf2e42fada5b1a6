//! An MCP server over a few guarded tools, on stdio, for the MCP client
//! test (`tests/tests/mcp.rs` runs the official Python SDK against it).

use guard_runtime::policy::{Format, Policy};
use guard_runtime::{Guard, ToolError, secure_tool};

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
    let policy =
        Policy::from_str("[agents.default]\ndeny = [\"admin_*\"]\n", Format::Toml).expect("policy");
    let guard = Guard::builder().policy(policy).build().expect("guard");
    if let Err(err) = guard.serve_mcp_stdio().await {
        eprintln!("mcp-fixture: {err}");
        std::process::exit(1);
    }
}
