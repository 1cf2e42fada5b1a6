//! Anthropic Messages: `tools` entries (`name`, `description`,
//! `input_schema`), `tool_use` blocks in, `tool_result` blocks out, as
//! plain `serde_json` values (no extra dependency).

use serde_json::{Map, Value, json};

use crate::call::{ToolCall, ToolReply};
use crate::context::CallContext;
use crate::guard::Guard;
use crate::registry::ToolInfo;

fn anthropic_tool(tool: ToolInfo<'_>) -> Value {
    // The validation schema is what the arguments are checked against; the
    // strict OpenAI form (every property required, nulls for the optional
    // ones) is an OpenAI constraint Anthropic does not have.
    let mut schema = tool.validation_schema().clone();
    if let Value::Object(map) = &mut schema {
        map.remove("$schema");
        map.remove("title");
    }
    json!({
        "name": tool.name(),
        "description": tool.description(),
        "input_schema": schema,
    })
}

impl Guard {
    /// The Anthropic Messages `tools` array.
    ///
    /// ```standalone_crate
    /// use guard_runtime::{Guard, secure_tool};
    ///
    /// /// Add two numbers.
    /// #[secure_tool(risk = "low")]
    /// fn add(a: i64, b: i64) -> i64 { a + b }
    ///
    /// let tools = Guard::builder().build().unwrap().anthropic_tools();
    /// assert_eq!(tools[0]["name"], "add");
    /// assert_eq!(tools[0]["input_schema"]["type"], "object");
    /// assert_eq!(tools[0]["input_schema"]["required"], serde_json::json!(["a", "b"]));
    /// ```
    pub fn anthropic_tools(&self) -> Value {
        self.tools().map(anthropic_tool).collect()
    }

    /// The Anthropic `tools` array with only what the caller's agent may use.
    pub fn anthropic_tools_for(&self, ctx: &CallContext) -> Value {
        self.tools_for(ctx).map(anthropic_tool).collect()
    }
}

impl ToolCall {
    /// The `tool_use` blocks of an Anthropic assistant message's `content`
    /// (other blocks are skipped; a block without an id or name becomes a
    /// call that will be refused, never silently dropped).
    ///
    /// ```
    /// use guard_runtime::ToolCall;
    /// use serde_json::json;
    ///
    /// let content = json!([
    ///     {"type": "text", "text": "Let me check."},
    ///     {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}
    /// ]);
    /// let calls = ToolCall::from_anthropic(&content);
    /// assert_eq!((calls[0].id.as_str(), calls[0].name.as_str()), ("toolu_1", "weather"));
    /// assert_eq!(calls[0].arguments, r#"{"city":"Paris"}"#);
    /// ```
    pub fn from_anthropic(content: &Value) -> Vec<ToolCall> {
        content
            .as_array()
            .into_iter()
            .flatten()
            .filter(|block| block["type"] == "tool_use")
            .map(|block| {
                let text = |key: &str| block[key].as_str().unwrap_or_default().to_owned();
                let input = match &block["input"] {
                    Value::Null => Value::Object(Map::new()),
                    other => other.clone(),
                };
                ToolCall::new(text("id"), text("name"), input.to_string())
            })
            .collect()
    }
}

impl ToolReply {
    /// The `tool_result` block answering this call; refusals and errors
    /// carry `"is_error": true`.
    ///
    /// ```
    /// use guard_runtime::{Outcome, ToolReply};
    ///
    /// let reply = ToolReply { tool_call_id: "toolu_1".into(), content: "21".into(), outcome: Outcome::Success };
    /// let block = reply.to_anthropic_block();
    /// assert_eq!(block["type"], "tool_result");
    /// assert_eq!(block["tool_use_id"], "toolu_1");
    /// assert_eq!(block["is_error"], false);
    /// ```
    pub fn to_anthropic_block(&self) -> Value {
        json!({
            "type": "tool_result",
            "tool_use_id": self.tool_call_id,
            "content": self.content,
            "is_error": !self.outcome.is_success(),
        })
    }

    /// One `user` message holding a `tool_result` block per reply, as
    /// Anthropic expects after an assistant turn with `tool_use` blocks.
    /// Replies still pending approval are left out (send them after
    /// [`Guard::resume`]).
    pub fn anthropic_message(replies: &[ToolReply]) -> Value {
        let blocks: Vec<Value> = replies
            .iter()
            .filter(|r| !r.outcome.is_pending())
            .map(ToolReply::to_anthropic_block)
            .collect();
        json!({"role": "user", "content": blocks})
    }
}
