//! `cargo bench --bench shield --features openai-client`: the time the
//! shield adds to one chat round trip, without the HTTP time: a request
//! with a 4 KiB history scanned for injection, then a response with three
//! tool calls checked and its text scanned for leaks.

use std::hint::black_box;
use std::time::Instant;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
use criterion::{Criterion, criterion_group, criterion_main};
use guard_runtime::integrations::shield::{ShieldOptions, ShieldedClient};
use guard_runtime::{CallContext, Guard, secure_tool};
use serde_json::{Value, json};

/// Read a file from the workspace.
#[secure_tool(risk = "low")]
fn read_file(#[arg(path)] path: String) -> String {
    path
}

/// Current weather for a city.
#[secure_tool(risk = "low")]
fn weather(city: String, unit: Option<String>) -> String {
    format!("{city} {unit:?}")
}

/// Search orders.
#[secure_tool(risk = "low")]
fn search_orders(customer: String, limit: u32) -> String {
    format!("{customer} {limit}")
}

const TURN: &str = "The quarterly report shows revenue grew in every region, led by the \
northern stores after the spring renovation. Customers asked for longer opening hours and \
better parking; both are planned for the autumn. ";

/// About 4 KiB of conversation: user, assistant, tool messages.
fn history() -> Value {
    let mut messages = vec![json!({"role": "system", "content": "You are a helpful assistant."})];
    let mut size = 0;
    let mut i = 0;
    while size < 4096 {
        let text = format!("{TURN}(turn {i})");
        size += text.len();
        let message = match i % 3 {
            0 => json!({"role": "user", "content": text}),
            1 => json!({"role": "assistant", "content": text}),
            _ => json!({"role": "tool", "tool_call_id": format!("old_{i}"), "content": text}),
        };
        messages.push(message);
        i += 1;
    }
    messages.push(
        json!({"role": "user", "content": "Weather in Oslo, my orders, and the notes file?"}),
    );
    Value::Array(messages)
}

fn response() -> Value {
    json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1_700_000_000, "model": "bench",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Let me look that up for you.",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\",\"unit\":null}"}},
                {"id": "c2", "type": "function", "function": {"name": "search_orders", "arguments": "{\"customer\":\"c-1042\",\"limit\":5}"}},
                {"id": "c3", "type": "function", "function": {"name": "read_file", "arguments": "{\"path\":\"notes/q3.md\"}"}}
            ]
        }}]
    })
}

fn shield(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let guard = Guard::builder()
        .only(["read_file", "weather", "search_orders"])
        .eager_schemas()
        .build()
        .unwrap();
    let client = Client::with_config(OpenAIConfig::new().with_api_base("http://127.0.0.1:9/v1"));
    let request: CreateChatCompletionRequest =
        serde_json::from_value(json!({"model": "bench", "messages": history()})).unwrap();
    let reply: CreateChatCompletionResponse = serde_json::from_value(response()).unwrap();
    let ctx = CallContext::new("agent-1").session("s-1");
    for (name, options) in [
        ("shield_round_trip", ShieldOptions::new()),
        (
            "shield_round_trip_history_scan",
            ShieldOptions::new().scan_history(true),
        ),
    ] {
        let shield = ShieldedClient::new(client.clone(), guard.clone()).options(options);
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = std::time::Duration::ZERO;
                    for _ in 0..iters {
                        let response = reply.clone();
                        let start = Instant::now();
                        let vetted = shield.vet(&ctx, black_box(&request), response).await;
                        total += start.elapsed();
                        assert_eq!(vetted.unwrap().tool_calls.len(), 3);
                    }
                    total
                })
            })
        });
    }
}

criterion_group!(benches, shield);
criterion_main!(benches);
