//! The exported tools, calls and replies in other APIs' shapes: every tools
//! array deserialises into async-openai's own request types (so the shapes
//! cannot drift), the typed exports equal the JSON ones, and the Anthropic
//! conversions round-trip a conversation turn.

use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestMessage, ChatCompletionTools,
    CreateChatCompletionRequest,
};
use async_openai::types::responses::{CreateResponse, FunctionToolCall, Tool};
use guard_runtime::policy::{Format, Policy};
use guard_runtime::{CallContext, Guard, Outcome, ToolCall, ToolReply, secure_tool};
use serde_json::{Value, json};

/// Current weather for a city.
#[secure_tool(risk = "low")]
fn weather(
    /// City name.
    city: String,
    /// Celsius or Fahrenheit.
    unit: Option<String>,
) -> String {
    format!(
        "18 degrees in {city} ({})",
        unit.unwrap_or_else(|| "C".into())
    )
}

/// Tag a document.
#[secure_tool(risk = "medium")]
fn tag(id: u64, tags: Vec<String>, extra: std::collections::BTreeMap<String, String>) -> usize {
    tags.len() + extra.len() + id as usize
}

/// Delete a document.
#[secure_tool(risk = "high")]
fn delete_doc(id: u64) -> String {
    format!("deleted {id}")
}

const TOOLS: [&str; 3] = ["weather", "tag", "delete_doc"];

fn guard() -> Guard {
    let policy =
        Policy::from_str("[agents.reader]\nallow = [\"weather\"]\n", Format::Toml).unwrap();
    Guard::builder().only(TOOLS).policy(policy).build().unwrap()
}

#[test]
fn chat_tools_deserialise_into_async_openai_request_types() {
    let guard = guard();
    let json = guard.openai_tools();
    let typed: Vec<ChatCompletionTools> = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(typed.len(), 3);
    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": json,
    }))
    .unwrap();
    assert_eq!(request.tools.unwrap().len(), 3);
    // The typed export is the same data, filtered by policy.
    let everyone = CallContext::new("admin");
    assert_eq!(guard.openai_tools_typed(&everyone), typed);
    assert_eq!(
        serde_json::to_value(guard.openai_tools_typed(&everyone)).unwrap(),
        json
    );
    let reader = guard.openai_tools_typed(&CallContext::new("reader"));
    assert_eq!(reader.len(), 1);
}

#[test]
#[allow(deprecated)]
fn legacy_functions_deserialise_into_async_openai_request_types() {
    let functions = guard().functions();
    let request: CreateChatCompletionRequest = serde_json::from_value(json!({
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": "hi"}],
        "functions": functions,
    }))
    .unwrap();
    let typed = request.functions.unwrap();
    assert_eq!(typed.len(), 3);
    assert_eq!(serde_json::to_value(&typed).unwrap(), functions);
}

#[test]
fn responses_tools_deserialise_into_async_openai_request_types() {
    let guard = guard();
    let json = guard.responses_tools();
    let typed: Vec<Tool> = serde_json::from_value(json.clone()).unwrap();
    let request: CreateResponse = serde_json::from_value(json!({
        "model": "gpt-4.1",
        "input": "hi",
        "tools": json,
    }))
    .unwrap();
    assert_eq!(request.tools.unwrap().len(), 3);
    let everyone = CallContext::new("admin");
    assert_eq!(guard.responses_tools_typed(&everyone), typed);
    assert_eq!(
        serde_json::to_value(guard.responses_tools_typed(&everyone)).unwrap(),
        json
    );
    assert_eq!(
        guard
            .responses_tools_typed(&CallContext::new("reader"))
            .len(),
        1
    );
}

#[tokio::test]
async fn a_chat_turn_round_trips_through_async_openai_types() {
    let guard = guard();
    let ctx = CallContext::new("admin");
    // As a response's assistant message holds them.
    let tool_calls: Vec<ChatCompletionMessageToolCalls> = serde_json::from_value(json!([
        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\",\"unit\":null}"}},
        {"id": "call_2", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":7}"}},
        {"id": "call_3", "type": "custom", "custom_tool": {"name": "shell", "input": "rm -rf /"}}
    ]))
    .unwrap();
    let calls = ToolCall::from_chat(&tool_calls);
    let replies = guard.dispatch(&ctx, &calls).await;
    let messages: Vec<ChatCompletionRequestMessage> =
        replies.iter().map(ToolReply::to_chat_message).collect();
    let sent = serde_json::to_value(&messages).unwrap();
    assert_eq!(
        sent[0],
        json!({"role": "tool", "content": "18 degrees in Oslo (C)", "tool_call_id": "call_1"})
    );
    assert_eq!(sent[1]["tool_call_id"], "call_2");
    assert_eq!(sent[2]["tool_call_id"], "call_3");
    assert_eq!(
        replies[2].outcome,
        Outcome::UnknownTool {
            name: "shell".into()
        }
    );

    let item: FunctionToolCall = serde_json::from_value(json!({
        "type": "function_call", "call_id": "fc_1", "name": "weather", "arguments": "{\"city\":\"Rome\",\"unit\":\"F\"}"
    }))
    .unwrap();
    let reply = &guard.dispatch(&ctx, &[ToolCall::from(&item)]).await[0];
    assert_eq!(
        serde_json::to_value(reply.to_function_call_output()).unwrap(),
        json!({"call_id": "fc_1", "output": "18 degrees in Rome (F)"})
    );
}

#[tokio::test]
async fn anthropic_tools_and_a_tool_use_turn() {
    let guard = guard();
    let tools = guard.anthropic_tools();
    let weather = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "weather")
        .unwrap();
    assert_eq!(weather["description"], "Current weather for a city.");
    assert_eq!(weather["input_schema"]["required"], json!(["city"]));
    assert!(weather["input_schema"].get("$schema").is_none());
    assert_eq!(
        guard
            .anthropic_tools_for(&CallContext::new("reader"))
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let content = json!([
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Lima"}},
        {"type": "tool_use", "id": "toolu_2", "name": "delete_doc", "input": {"id": 4}}
    ]);
    let replies = guard
        .dispatch(
            &CallContext::new("reader"),
            &ToolCall::from_anthropic(&content),
        )
        .await;
    let message = ToolReply::anthropic_message(&replies);
    assert_eq!(
        message,
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 degrees in Lima (C)", "is_error": false},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": replies[1].content, "is_error": true}
        ]})
    );
    let refusal: Value = serde_json::from_str(&replies[1].content).unwrap();
    assert_eq!(refusal["error"]["kind"], "denied");
}
