//! An OpenAI-compatible HTTP server on 127.0.0.1 that plays a scripted
//! conversation: each `POST /v1/chat/completions` or `POST /v1/responses`
//! is answered with the next
//! scripted response, and every request is kept, with a check that each
//! tool call of an assistant message was answered by exactly one tool
//! message. A request with `"stream": true` is answered as server-sent
//! events, one per chunk of its scripted response (a JSON array of chunks),
//! then `[DONE]`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

#[derive(Default)]
struct Script {
    responses: VecDeque<Value>,
    requests: Vec<Value>,
    problems: Vec<String>,
}

/// A running scripted server.
pub struct ScriptedServer {
    /// The API base to give the client (`http://127.0.0.1:PORT/v1`).
    pub base: String,
    script: Arc<Mutex<Script>>,
}

impl ScriptedServer {
    /// Starts the server with the responses it will give, in order.
    pub async fn start(responses: Vec<Value>) -> ScriptedServer {
        let script = Arc::new(Mutex::new(Script {
            responses: responses.into(),
            ..Script::default()
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .route("/v1/responses", post(chat))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        ScriptedServer { base, script }
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().unwrap().requests.clone()
    }

    /// Protocol problems seen in the requests (unanswered or twice-answered
    /// tool calls).
    pub fn problems(&self) -> Vec<String> {
        self.script.lock().unwrap().problems.clone()
    }
}

async fn chat(State(script): State<Arc<Mutex<Script>>>, Json(body): Json<Value>) -> Response {
    let mut script = script.lock().unwrap();
    let problems = tool_call_problems(&body);
    script.problems.extend(problems);
    let streamed = body["stream"] == true;
    script.requests.push(body);
    let Some(response) = script.responses.pop_front() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if !streamed {
        return Json(response).into_response();
    }
    let mut events = String::new();
    for chunk in response.as_array().into_iter().flatten() {
        events.push_str(&format!("data: {chunk}\n\n"));
    }
    events.push_str("data: [DONE]\n\n");
    ([(header::CONTENT_TYPE, "text/event-stream")], events).into_response()
}

/// Each assistant tool call must be followed by exactly one tool message with its id.
fn tool_call_problems(body: &Value) -> Vec<String> {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        for call in message["tool_calls"].as_array().into_iter().flatten() {
            let id = call["id"].as_str().unwrap_or_default();
            let answers = messages[i + 1..]
                .iter()
                .take_while(|m| m["role"] == "tool")
                .filter(|m| m["tool_call_id"] == id)
                .count();
            if answers != 1 {
                problems.push(format!("tool call {id} answered {answers} times"));
            }
        }
    }
    problems
}

/// A chat completion with optional text and tool calls `(id, name, arguments)`.
pub fn completion(content: Option<&str>, tool_calls: &[(&str, &str, &str)]) -> Value {
    let calls: Vec<Value> = tool_calls
        .iter()
        .map(|(id, name, arguments)| {
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    let mut message = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "scripted",
        "choices": [{
            "index": 0,
            "message": message,
            "finish_reason": if tool_calls.is_empty() { "stop" } else { "tool_calls" },
        }],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    })
}

/// A streamed chat completion: one chunk per text piece, then tool-call
/// chunks `(index, id or "", name or "", arguments piece)`, then the end.
pub fn chunks(text: &[&str], tool_parts: &[(u32, &str, &str, &str)]) -> Value {
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": "chatcmpl-stream",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": "scripted",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        })
    };
    let mut all = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for piece in text {
        all.push(chunk(json!({"content": piece}), Value::Null));
    }
    for (index, id, name, arguments) in tool_parts {
        let mut call = json!({"index": index, "function": {"arguments": arguments}});
        if !id.is_empty() {
            call["id"] = json!(id);
            call["type"] = json!("function");
        }
        if !name.is_empty() {
            call["function"]["name"] = json!(name);
        }
        all.push(chunk(json!({"tool_calls": [call]}), Value::Null));
    }
    let finish = if tool_parts.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    all.push(chunk(json!({}), json!(finish)));
    Value::Array(all)
}

/// A Responses API response with optional output text and function calls
/// `(call_id, name, arguments)`.
pub fn response(text: Option<&str>, function_calls: &[(&str, &str, &str)]) -> Value {
    let mut output: Vec<Value> = function_calls
        .iter()
        .enumerate()
        .map(|(i, (call_id, name, arguments))| {
            json!({"type": "function_call", "id": format!("fc_{i}"), "call_id": call_id,
                   "name": name, "arguments": arguments, "status": "completed"})
        })
        .collect();
    if let Some(text) = text {
        output.push(json!({
            "type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]
        }));
    }
    json!({
        "id": "resp_test",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": "scripted",
        "output": output,
    })
}

/// A streamed Responses API response: text deltas, then each function call
/// `(call_id, name, arguments)` as a finished output item.
pub fn response_events(text: &[&str], function_calls: &[(&str, &str, &str)]) -> Value {
    let mut events = Vec::new();
    let mut seq = 0;
    let mut next = || {
        seq += 1;
        seq
    };
    for piece in text {
        events.push(
            json!({"type": "response.output_text.delta", "sequence_number": next(),
            "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": piece}),
        );
    }
    for (i, (call_id, name, arguments)) in function_calls.iter().enumerate() {
        events.push(
            json!({"type": "response.output_item.done", "sequence_number": next(),
            "output_index": i + 1,
            "item": {"type": "function_call", "id": format!("fc_{i}"), "call_id": call_id,
                     "name": name, "arguments": arguments, "status": "completed"}}),
        );
    }
    Value::Array(events)
}
