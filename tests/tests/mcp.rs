//! guard's MCP server driven by a client nobody on the team wrote: the
//! official MCP Python SDK (pip `mcp`), over stdio. Initialize, list the
//! tools (filtered by policy, with annotations), call an allowed tool, one
//! with a traversal argument, a confirm tool without an approver, and a
//! tool the policy hides; and confirmations answered by a person through
//! elicitation (`tests/py/mcp_elicit.py`), on the older protocols and on
//! 2026-07-28's second round.

use std::process::Command;

use serde_json::{Value, json};

#[test]
fn the_python_sdk_lists_and_calls_guarded_tools() {
    let report = run_client(&[]);
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

/// Runs a Python SDK script from `tests/py` against the fixture server and
/// returns the JSON report it prints.
fn run_python(script: &str, args: &[&str]) -> Value {
    let output = Command::new("python3")
        .arg(format!("{}/py/{script}", env!("CARGO_MANIFEST_DIR")))
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

fn run_client(args: &[&str]) -> Value {
    run_python("mcp_client.py", args)
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

fn run_elicitation(mode: &str, answers: &[&str]) -> Value {
    let args: Vec<&str> = std::iter::once(mode)
        .chain(answers.iter().copied())
        .collect();
    run_python("mcp_elicit.py", &args)
}

/// The four answers every mode is tested with, and what each call returns:
/// declined, cancelled (declined too), approved, approved and remembered;
/// the fifth call runs on the remembered answer without asking.
const ANSWERS: [&str; 5] = ["deny", "cancel", "approve", "remember", "deny"];

fn assert_elicited(report: &Value) {
    let declined = json!({"is_error": true, "text": "{\"error\":{\"kind\":\"denied\",\"message\":\"the user declined this call\"}}"});
    let deleted = json!({"is_error": false, "text": "deleted"});
    let results = report["results"].as_array().unwrap();
    assert_eq!(
        results[..5],
        [
            declined.clone(),
            declined,
            deleted.clone(),
            deleted.clone(),
            deleted
        ]
    );
    let shown = report["shown"].as_array().unwrap();
    assert_eq!(shown.len(), 4, "the remembered answer is not asked again");
    assert_eq!(
        shown[0],
        "Allow `delete_all` (critical risk)?\nWhy: the tool asks for confirmation.\nArguments: {}"
    );
    assert_eq!(report["unused"], json!(["deny"]));
}

#[test]
fn confirmations_are_elicited_while_the_call_waits_on_older_protocols() {
    let report = run_elicitation("legacy", &ANSWERS);
    assert_elicited(&report);
    assert_eq!(report["results"].as_array().unwrap().len(), 5);
}

#[test]
fn confirmations_are_elicited_in_a_second_round_on_protocol_2026_07_28() {
    let report = run_elicitation("modern", &ANSWERS);
    assert_elicited(&report);
    assert_eq!(
        report["results"][5],
        json!({"is_error": true, "text": "{\"error\":{\"kind\":\"denied\",\"message\":\"the approval does not match this call; the call was not run\"}}"}),
        "an answer to a request the server never made"
    );
}
