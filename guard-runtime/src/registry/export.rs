//! The three shapes OpenAI accepts a function in.

use serde_json::{Value, json};

use super::ToolInfo;

/// Chat Completions: `{"type":"function","function":{name, description, parameters, strict}}`.
pub(crate) fn chat_tool(tool: ToolInfo<'_>) -> Value {
    json!({
        "type": "function",
        "function": {
            "name": tool.name(),
            "description": tool.description(),
            "parameters": tool.wire_schema(),
            "strict": tool.is_strict(),
        }
    })
}

/// Responses API: the same fields, flat.
pub(crate) fn responses_tool(tool: ToolInfo<'_>) -> Value {
    json!({
        "type": "function",
        "name": tool.name(),
        "description": tool.description(),
        "parameters": tool.wire_schema(),
        "strict": tool.is_strict(),
    })
}

/// The legacy `functions` list, which has no `strict` flag.
pub(crate) fn legacy_function(tool: ToolInfo<'_>) -> Value {
    json!({
        "name": tool.name(),
        "description": tool.description(),
        "parameters": tool.wire_schema(),
    })
}
