//! Isolated execution: two tools that a validator does not fully cover run
//! in sandboxed worker processes. A write that escapes the workspace and a
//! memory bomb are stopped by the kernel, and the agent carries on.
//!
//! Run with `cargo run --example sandbox --features sandbox` (Linux; offline).

use guard_runtime::sandbox::{self, SandboxProfile};
use guard_runtime::{
    CallContext, FailReason, Guard, MemorySink, Outcome, ToolCall, ToolError, secure_tool,
};

/// Save a report in the workspace.
#[secure_tool(sandbox = "reports")]
fn save_report(
    /// The report's file name, e.g. `weekly.md`.
    report_name: String,
    /// The report's text.
    text: String,
) -> Result<String, ToolError> {
    // The bug a validator would catch, left in on purpose: the name is
    // joined as is, so `../x` lands outside the workspace.
    let workspace = std::env::temp_dir().join("guard-sandbox-example/workspace");
    std::fs::write(workspace.join(report_name), text)?;
    Ok("saved".into())
}

/// Summarise a data set of `rows` rows.
#[secure_tool(sandbox = "reports")]
fn summarise(rows: usize) -> String {
    // A model-chosen size decides how much memory this takes.
    let table = vec![0u64; rows];
    format!("{} rows, sum {}", table.len(), table.iter().sum::<u64>())
}

#[tokio::main]
async fn main() {
    if !sandbox::AVAILABLE {
        println!("this example needs Linux and the `sandbox` feature");
        return;
    }
    let support = sandbox::support();
    println!("this kernel enforces: {}\n", support.layers);

    let base = std::env::temp_dir().join("guard-sandbox-example");
    let workspace = base.join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let outside = base.join("escaped.txt");
    let _ = std::fs::remove_file(&outside);

    let audit = MemorySink::new();
    let guard = Guard::builder()
        .sandbox_profile(
            "reports",
            SandboxProfile::default().memory_mb(256).write(&workspace),
        )
        .audit(audit.clone())
        .build()
        .unwrap();
    // Workers start before the first call, so calls pay no process start.
    guard.prestart_sandboxes().await.unwrap();

    let ctx = CallContext::new("analyst");
    let calls = [
        ToolCall::new(
            "1",
            "save_report",
            r#"{"report_name":"weekly.md","text":"all good"}"#,
        ),
        ToolCall::new(
            "2",
            "save_report",
            r#"{"report_name":"../escaped.txt","text":"pwned"}"#,
        ),
        ToolCall::new("3", "summarise", r#"{"rows":1000}"#),
        ToolCall::new("4", "summarise", r#"{"rows":400000000}"#),
    ];
    let replies = guard.dispatch(&ctx, &calls).await;
    for reply in &replies {
        println!("{} -> {}", reply.tool_call_id, reply.content);
    }

    assert_eq!(replies[0].content, "saved");
    assert_eq!(replies[1].outcome.kind(), "tool_error");
    assert!(
        !outside.exists(),
        "the write outside the workspace was stopped"
    );
    assert_eq!(replies[2].content, "1000 rows, sum 0");
    assert_eq!(
        replies[3].outcome,
        Outcome::Failed {
            reason: FailReason::MemoryLimit
        }
    );

    let event = audit.take().pop().unwrap();
    let record = event.sandbox.unwrap();
    println!(
        "\naudited: profile `{}`, layers: {}",
        record.profile, record.layers
    );
}
