//! guard's MCP server driven by a client nobody on the team wrote: the
//! official MCP Python SDK (pip `mcp`), over stdio. Initialize, list the
//! tools (filtered by policy, with annotations), call an allowed tool, one
//! with a traversal argument, a confirm tool without an approver, and a
//! tool the policy hides.

use std::process::Command;

use serde_json::{Value, json};

#[test]
fn the_python_sdk_lists_and_calls_guarded_tools() {
    let output = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/py/mcp_client.py"))
        .arg(env!("CARGO_BIN_EXE_mcp_fixture"))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let tools = report["tools"].as_object().unwrap();
    let mut names: Vec<&String> = tools.keys().collect();
    names.sort();
    assert_eq!(
        names,
        ["delete_all", "post_message", "read_file", "weather"]
    );
    assert_eq!(tools["delete_all"]["destructiveHint"], true);
    assert_eq!(tools["weather"]["destructiveHint"], false);
    assert_eq!(tools["read_file"]["readOnlyHint"], true);
    assert_eq!(tools["post_message"]["openWorldHint"], true);
    assert_eq!(tools["weather"]["openWorldHint"], false);

    let calls = &report["calls"];
    assert_eq!(
        calls["weather"],
        json!({"is_error": false, "text": "18 degrees in Oslo"})
    );
    assert_eq!(calls["read_file"]["is_error"], true);
    let refusal: Value =
        serde_json::from_str(calls["read_file"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(refusal["error"]["kind"], "unsafe_argument");
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("path.traversal")
    );
    assert_eq!(
        calls["delete_all"],
        json!({"is_error": true, "text": "{\"error\":{\"kind\":\"denied\",\"message\":\"this call needs human approval and no approver is available\"}}"})
    );
    assert_eq!(calls["admin_reset"]["is_error"], true);
}

fn run_client(args: &[&str]) -> Value {
    let output = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/py/mcp_client.py"))
        .arg(env!("CARGO_BIN_EXE_mcp_fixture"))
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn streamable_http_maps_the_authorization_header_to_an_agent() {
    // Without a token the client is the default agent: admin tools hidden.
    let anonymous = run_client(&["--http"]);
    assert!(anonymous["tools"].get("admin_reset").is_none());
    assert_eq!(anonymous["calls"]["admin_reset"]["is_error"], true);
    assert_eq!(
        anonymous["calls"]["weather"],
        json!({"is_error": false, "text": "18 degrees in Oslo"})
    );
    assert_eq!(anonymous["calls"]["read_file"]["is_error"], true);
    // The operator's token makes it the ops agent, whose policy allows them.
    let ops = run_client(&["--http", "ops-token"]);
    assert!(ops["tools"].get("admin_reset").is_some());
    assert_eq!(
        ops["calls"]["admin_reset"],
        json!({"is_error": false, "text": "reset"})
    );
}
