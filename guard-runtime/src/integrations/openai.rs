//! async-openai's own types (feature `openai`): the tools a request sends,
//! the tool calls a response holds, and the messages that answer them, for
//! Chat Completions and the Responses API.
//!
//! ```
//! use async_openai::types::chat::{ChatCompletionMessageToolCall, FunctionCall};
//! use guard_runtime::ToolCall;
//!
//! let from_model = ChatCompletionMessageToolCall {
//!     id: "call_1".into(),
//!     function: FunctionCall { name: "weather".into(), arguments: r#"{"city":"Paris"}"#.into() },
//! };
//! let call = ToolCall::from(&from_model);
//! assert_eq!((call.id.as_str(), call.name.as_str()), ("call_1", "weather"));
//! ```

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionRequestMessage,
    ChatCompletionRequestToolMessage, ChatCompletionRequestToolMessageContent, ChatCompletionTool,
    ChatCompletionTools, FunctionObject,
};
use async_openai::types::responses::{
    FunctionCallOutput, FunctionCallOutputItemParam, FunctionTool, FunctionToolCall, Tool,
};

use crate::call::{ToolCall, ToolReply};
use crate::context::CallContext;
use crate::guard::Guard;
use crate::registry::ToolInfo;

fn chat_tool(tool: ToolInfo<'_>) -> ChatCompletionTools {
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: tool.name().to_owned(),
            description: Some(tool.description().to_owned()),
            parameters: Some(tool.wire_schema().clone()),
            strict: Some(tool.is_strict()),
        },
    })
}

fn response_tool(tool: ToolInfo<'_>) -> Tool {
    Tool::Function(FunctionTool {
        name: tool.name().to_owned(),
        parameters: Some(tool.wire_schema().clone()),
        strict: Some(tool.is_strict()),
        description: Some(tool.description().to_owned()),
        ..FunctionTool::default()
    })
}

impl Guard {
    /// The Chat Completions `tools` the caller may use, as async-openai's
    /// request type.
    pub fn openai_tools_typed(&self, ctx: &CallContext) -> Vec<ChatCompletionTools> {
        self.tools_for(ctx).map(chat_tool).collect()
    }

    /// The Responses API `tools` the caller may use, as async-openai's type.
    pub fn responses_tools_typed(&self, ctx: &CallContext) -> Vec<Tool> {
        self.tools_for(ctx).map(response_tool).collect()
    }
}

impl From<&ChatCompletionMessageToolCall> for ToolCall {
    fn from(call: &ChatCompletionMessageToolCall) -> Self {
        ToolCall::new(
            call.id.clone(),
            call.function.name.clone(),
            call.function.arguments.clone(),
        )
    }
}

impl From<&FunctionToolCall> for ToolCall {
    fn from(call: &FunctionToolCall) -> Self {
        ToolCall::new(
            call.call_id.clone(),
            call.name.clone(),
            call.arguments.clone(),
        )
    }
}

impl ToolCall {
    /// Every tool call of a Chat Completions assistant message. A custom
    /// (free-form) tool call becomes a call with its input as arguments, so
    /// it is answered (refused unless a tool of that name accepts it),
    /// never dropped.
    pub fn from_chat(tool_calls: &[ChatCompletionMessageToolCalls]) -> Vec<ToolCall> {
        tool_calls
            .iter()
            .map(|call| match call {
                ChatCompletionMessageToolCalls::Function(function) => ToolCall::from(function),
                ChatCompletionMessageToolCalls::Custom(custom) => ToolCall::new(
                    custom.id.clone(),
                    custom.custom_tool.name.clone(),
                    custom.custom_tool.input.clone(),
                ),
            })
            .collect()
    }
}

impl ToolReply {
    /// The `tool` message answering this call in Chat Completions.
    pub fn to_chat_message(&self) -> ChatCompletionRequestMessage {
        ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
            content: ChatCompletionRequestToolMessageContent::Text(self.content.clone()),
            tool_call_id: self.tool_call_id.clone(),
        })
    }

    /// The `function_call_output` item answering this call in the Responses API.
    pub fn to_function_call_output(&self) -> FunctionCallOutputItemParam {
        FunctionCallOutputItemParam {
            call_id: Some(self.tool_call_id.clone()),
            output: FunctionCallOutput::Text(self.content.clone()),
            id: None,
            status: None,
            name: None,
            namespace: None,
            caller: None,
        }
    }
}
