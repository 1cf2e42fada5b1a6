//! What the model asks for and what guard answers.

use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;

/// One function call from the model, as found in an OpenAI response's `tool_calls`.
///
/// `arguments` is the raw JSON text the model wrote: guard parses it itself so
/// that malformed JSON gets a proper reply instead of an error in the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The `tool_call_id` that the reply must carry.
    pub id: String,
    /// The function name the model chose.
    pub name: String,
    /// The arguments as a JSON string.
    pub arguments: String,
}

impl ToolCall {
    /// A call with the given id, function name and raw JSON arguments.
    ///
    /// ```
    /// use guard_runtime::ToolCall;
    ///
    /// let call = ToolCall::new("call_1", "read_file", r#"{"path":"README.md"}"#);
    /// assert_eq!(call.name, "read_file");
    /// ```
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    /// Reads the calls of an OpenAI Chat Completions assistant message's
    /// `tool_calls` array (`[{"id", "type": "function", "function": {"name", "arguments"}}]`).
    ///
    /// An entry that lacks an id cannot be answered and is skipped; one that
    /// lacks a name becomes a call that guard will refuse. `arguments` is a
    /// JSON text; some OpenAI-compatible servers send the object itself,
    /// which is taken as its JSON text (and any other value too, so the
    /// checks see exactly what was sent). Missing arguments mean none.
    ///
    /// ```
    /// use guard_runtime::ToolCall;
    ///
    /// let msg = serde_json::json!([
    ///     {"id": "c1", "type": "function", "function": {"name": "ping", "arguments": "{}"}},
    ///     {"id": "c2", "type": "function", "function": {"name": "add", "arguments": {"a": 2}}},
    /// ]);
    /// let calls = ToolCall::from_openai(&msg);
    /// assert_eq!(calls, vec![ToolCall::new("c1", "ping", "{}"), ToolCall::new("c2", "add", r#"{"a":2}"#)]);
    /// ```
    pub fn from_openai(tool_calls: &serde_json::Value) -> Vec<ToolCall> {
        let Some(items) = tool_calls.as_array() else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let id = item.get("id")?.as_str()?;
                let function = item.get("function");
                let name = function
                    .and_then(|f| f.get("name"))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let arguments = match function.and_then(|f| f.get("arguments")) {
                    Some(serde_json::Value::String(text)) => text.clone(),
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(other) => other.to_string(),
                };
                Some(ToolCall::new(id, name, arguments))
            })
            .collect()
    }
}

/// The answer to one [`ToolCall`]: `content` for the model, `outcome` for the app.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolReply {
    /// The id of the call this answers.
    pub tool_call_id: String,
    /// What the model sees: the tool's output, or a short JSON refusal such as
    /// `{"error":{"kind":"invalid_arguments","message":"/path: ..."}}`.
    pub content: String,
    /// What happened, typed.
    pub outcome: Outcome,
}

impl ToolReply {
    /// The OpenAI Chat Completions tool message for this reply.
    ///
    /// ```
    /// # use guard_runtime::{Outcome, ToolReply};
    /// let reply = ToolReply { tool_call_id: "c1".into(), content: "ok".into(), outcome: Outcome::Success };
    /// assert_eq!(reply.to_openai_message(),
    ///     serde_json::json!({"role": "tool", "tool_call_id": "c1", "content": "ok"}));
    /// ```
    pub fn to_openai_message(&self) -> serde_json::Value {
        serde_json::json!({
            "role": "tool",
            "tool_call_id": self.tool_call_id,
            "content": self.content,
        })
    }
}
