//! A shielded async-openai client (feature `openai-client`): every request's
//! inbound messages are scanned for prompt injection, every tool call in a
//! response is checked before anyone acts on it, and the assistant's text is
//! scanned for leaks; `run_agent` adds the guarded tool loop.
//!
//! async-openai is used with its default features off; to reach an HTTPS
//! endpoint, turn on one of its TLS features (`rustls` or `native-tls`) in
//! your own `Cargo.toml`.

use std::fmt;

use async_openai::Client;
use async_openai::config::Config;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, CreateChatCompletionRequest, CreateChatCompletionResponse,
};
use serde_json::Value;

use crate::call::{ToolCall, ToolReply};
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::Outcome;
use crate::scan::InjectionReport;

/// What to do when an inbound message looks like prompt injection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InboundAction {
    /// Refuse the request with [`ShieldError::Injection`] (the default).
    #[default]
    Block,
    /// Send it, and report what was found in [`Shielded::inbound`].
    Log,
}

/// What to do when a tool call in a response fails its checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockedCalls {
    /// Return [`ShieldError::Blocked`] with each call's reason (the default).
    #[default]
    Raise,
    /// Keep going: the blocked calls get refusal replies in
    /// [`Shielded::refusals`], so the conversation continues.
    Reply,
}

/// How the shield treats requests and responses.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ShieldOptions {
    /// Scan every user and tool message of the request, not only the
    /// newest user message, so an injection planted turns ago is caught.
    pub scan_history: bool,
    /// Injection found in an inbound message.
    pub on_injection: InboundAction,
    /// A tool call in a response that fails its checks.
    pub on_blocked_call: BlockedCalls,
}

impl ShieldOptions {
    /// The defaults: newest user message only, block injection, raise on blocked calls.
    pub fn new() -> Self {
        ShieldOptions::default()
    }

    /// Scan the whole history of user and tool messages.
    pub fn scan_history(mut self, scan: bool) -> Self {
        self.scan_history = scan;
        self
    }

    /// What to do with inbound injection.
    pub fn on_injection(mut self, action: InboundAction) -> Self {
        self.on_injection = action;
        self
    }

    /// What to do with tool calls that fail their checks.
    pub fn on_blocked_call(mut self, action: BlockedCalls) -> Self {
        self.on_blocked_call = action;
        self
    }
}

/// Why the shield stopped a request or a response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShieldError {
    /// An inbound message looks like prompt injection.
    #[error("message {index} of the request looks like prompt injection (score {score})")]
    Injection {
        /// Its position in the request's messages.
        index: usize,
        /// The injection score.
        score: f64,
    },
    /// Tool calls in the response failed their checks; nothing was run.
    #[error("{} tool call(s) in the response were refused", calls.len())]
    Blocked {
        /// Each refused call's id and why.
        calls: Vec<(String, Outcome)>,
    },
    /// The assistant's text was withheld by the output policy.
    #[error("the model's reply was withheld: it contained {reason}")]
    Leak {
        /// What it contained.
        reason: &'static str,
    },
    /// The API call itself failed.
    #[error(transparent)]
    Api(#[from] OpenAIError),
}

/// A response that passed the shield.
#[derive(Debug)]
#[non_exhaustive]
pub struct Shielded {
    /// The response, the assistant text scanned (credentials redacted per
    /// the guard's output policy).
    pub response: CreateChatCompletionResponse,
    /// The first choice's tool calls that passed their checks.
    pub tool_calls: Vec<ToolCall>,
    /// With [`BlockedCalls::Reply`]: a refusal for each call that did not.
    pub refusals: Vec<ToolReply>,
    /// Kinds of what was redacted from the assistant text.
    pub redacted: Vec<&'static str>,
    /// With [`InboundAction::Log`]: the injection found in the request.
    pub inbound: Option<(usize, InjectionReport)>,
}

/// An async-openai client with a guard around it.
///
/// ```ignore
/// let shield = ShieldedClient::new(async_openai::Client::new(), guard);
/// let shielded = shield.chat(&ctx, request).await?;   // same call shape as client.chat().create(request)
/// ```
#[derive(Clone)]
pub struct ShieldedClient<C: Config> {
    client: Client<C>,
    guard: Guard,
    options: ShieldOptions,
}

impl<C: Config> fmt::Debug for ShieldedClient<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShieldedClient")
            .field("guard", &self.guard)
            .field("options", &self.options)
            .finish()
    }
}

/// The text of a request message, for scanning: user and tool messages
/// (`None` for the other roles).
fn inbound_text(message: &ChatCompletionRequestMessage) -> Option<String> {
    let value = serde_json::to_value(message).ok()?;
    if !matches!(value["role"].as_str(), Some("user" | "tool")) {
        return None;
    }
    content_text(&value["content"])
}

/// A message content's text: a string, or the `text` of each part.
fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

impl<C: Config> ShieldedClient<C> {
    /// Wraps a client with a guard and the default options.
    pub fn new(client: Client<C>, guard: Guard) -> Self {
        ShieldedClient {
            client,
            guard,
            options: ShieldOptions::default(),
        }
    }

    /// Sets the options.
    pub fn options(mut self, options: ShieldOptions) -> Self {
        self.options = options;
        self
    }

    /// The guard.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The wrapped client.
    pub fn client(&self) -> &Client<C> {
        &self.client
    }

    /// Scans the request's inbound messages; `Err` when one must block.
    pub(crate) fn scan_request(
        &self,
        request: &CreateChatCompletionRequest,
    ) -> Result<Option<(usize, InjectionReport)>, ShieldError> {
        let newest_user = request
            .messages
            .iter()
            .rposition(|m| matches!(m, ChatCompletionRequestMessage::User(_)));
        let scanned: Vec<usize> = if self.options.scan_history {
            (0..request.messages.len()).collect()
        } else {
            newest_user.into_iter().collect()
        };
        self.scan_inbound(
            scanned
                .into_iter()
                .filter_map(|index| inbound_text(&request.messages[index]).map(|t| (index, t))),
        )
    }

    /// Scans inbound texts `(position, text)` in order; the first flagged
    /// one blocks (`Err`) or is reported, per the options.
    fn scan_inbound(
        &self,
        texts: impl IntoIterator<Item = (usize, String)>,
    ) -> Result<Option<(usize, InjectionReport)>, ShieldError> {
        for (index, text) in texts {
            let report = self.guard.scan_user_message(&text);
            if report.flagged {
                tracing::warn!(target: "guard::shield", index, score = report.score,
                    "prompt injection in an inbound message");
                return match self.options.on_injection {
                    InboundAction::Block => Err(ShieldError::Injection {
                        index,
                        score: report.score,
                    }),
                    InboundAction::Log => Ok(Some((index, report))),
                };
            }
        }
        Ok(None)
    }

    /// Sends a chat completion request through the shield: inbound scan,
    /// the call, then every tool call checked (nothing run) and the
    /// assistant text scanned for leaks.
    ///
    /// # Errors
    /// [`ShieldError`]: inbound injection, refused tool calls (with
    /// [`BlockedCalls::Raise`]), a withheld reply, or the API's own error.
    pub async fn chat(
        &self,
        ctx: &CallContext,
        request: CreateChatCompletionRequest,
    ) -> Result<Shielded, ShieldError> {
        let inbound = self.scan_request(&request)?;
        let response = self.client.chat().create(request).await?;
        self.vet_response(ctx, response, inbound).await
    }

    /// What [`ShieldedClient::chat`] does around the HTTP call, for callers
    /// that make the call themselves (a proxy, a queue worker): the request
    /// scanned, the response's tool calls checked and its text scanned.
    ///
    /// # Errors
    /// As [`ShieldedClient::chat`], except API errors.
    pub async fn vet(
        &self,
        ctx: &CallContext,
        request: &CreateChatCompletionRequest,
        response: CreateChatCompletionResponse,
    ) -> Result<Shielded, ShieldError> {
        let inbound = self.scan_request(request)?;
        self.vet_response(ctx, response, inbound).await
    }

    async fn vet_response(
        &self,
        ctx: &CallContext,
        mut response: CreateChatCompletionResponse,
        inbound: Option<(usize, InjectionReport)>,
    ) -> Result<Shielded, ShieldError> {
        let mut redacted = Vec::new();
        for choice in &mut response.choices {
            if let Some(text) = &choice.message.content {
                let scan = self.guard.scan_model_reply(text);
                if let Some(reason) = scan.blocked {
                    return Err(ShieldError::Leak { reason });
                }
                redacted.extend(scan.findings.iter().map(|f| f.kind));
                choice.message.content = Some(scan.text);
            }
        }
        let calls = response
            .choices
            .first()
            .and_then(|c| c.message.tool_calls.as_deref())
            .map(ToolCall::from_chat)
            .unwrap_or_default();
        let (passed, refusals) = self.vet_calls(ctx, calls).await?;
        Ok(Shielded {
            response,
            tool_calls: passed,
            refusals,
            redacted,
            inbound,
        })
    }
}

/// Why [`ShieldedClient::run_agent`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgentStop {
    /// The model answered without tool calls.
    Answered,
    /// The step limit was reached with tool calls still coming.
    StepLimit,
    /// A call waits for a deferred approval; resume it, then continue.
    PendingApproval,
}

/// One model turn of the loop and the replies to its tool calls.
#[derive(Debug)]
#[non_exhaustive]
pub struct AgentStep {
    /// The shielded response.
    pub response: CreateChatCompletionResponse,
    /// One reply per tool call, in the calls' order.
    pub replies: Vec<ToolReply>,
}

/// The result of a guarded agent loop.
#[derive(Debug)]
#[non_exhaustive]
pub struct AgentRun {
    /// The whole conversation: the request's messages, then each assistant
    /// message and its tool messages.
    pub messages: Vec<ChatCompletionRequestMessage>,
    /// Each model turn.
    pub steps: Vec<AgentStep>,
    /// The model's final text, when it answered.
    pub answer: Option<String>,
    /// Why the loop stopped.
    pub stop: AgentStop,
}

impl<C: Config> ShieldedClient<C> {
    /// The guarded tool loop: model, then every tool call dispatched through
    /// the guard, then the assistant message and one tool message per call
    /// id appended, and again, until the model answers without tool calls
    /// or `max_steps` model turns have run.
    ///
    /// # Errors
    /// As [`ShieldedClient::chat`], for any turn.
    pub async fn run_agent(
        &self,
        ctx: &CallContext,
        mut request: CreateChatCompletionRequest,
        max_steps: usize,
    ) -> Result<AgentRun, ShieldError> {
        let mut steps = Vec::new();
        for _ in 0..max_steps {
            let shielded = self.chat(ctx, request.clone()).await?;
            let Some(choice) = shielded.response.choices.first() else {
                return Ok(AgentRun {
                    messages: request.messages,
                    steps,
                    answer: None,
                    stop: AgentStop::Answered,
                });
            };
            let order: Vec<String> = choice
                .message
                .tool_calls
                .as_deref()
                .map(ToolCall::from_chat)
                .unwrap_or_default()
                .into_iter()
                .map(|call| call.id)
                .collect();
            if let Some(assistant) = assistant_message(&choice.message) {
                request.messages.push(assistant);
            }
            if order.is_empty() {
                let answer = choice.message.content.clone();
                steps.push(AgentStep {
                    response: shielded.response,
                    replies: Vec::new(),
                });
                return Ok(AgentRun {
                    messages: request.messages,
                    steps,
                    answer,
                    stop: AgentStop::Answered,
                });
            }
            let mut replies = self.guard.dispatch(ctx, &shielded.tool_calls).await;
            replies.extend(shielded.refusals);
            // One tool message per call id, in the order the model wrote them.
            replies.sort_by_key(|r| order.iter().position(|id| *id == r.tool_call_id));
            let pending = replies.iter().any(|r| r.outcome.is_pending());
            request.messages.extend(
                replies
                    .iter()
                    .filter(|r| !r.outcome.is_pending())
                    .map(ToolReply::to_chat_message),
            );
            steps.push(AgentStep {
                response: shielded.response,
                replies,
            });
            if pending {
                return Ok(AgentRun {
                    messages: request.messages,
                    steps,
                    answer: None,
                    stop: AgentStop::PendingApproval,
                });
            }
        }
        Ok(AgentRun {
            messages: request.messages,
            steps,
            answer: None,
            stop: AgentStop::StepLimit,
        })
    }
}

impl Guard {
    /// [`ShieldedClient::run_agent`] with this guard, the default shield
    /// options and at most 8 model turns.
    ///
    /// # Errors
    /// As [`ShieldedClient::chat`].
    pub async fn run_agent<C: Config + Clone>(
        &self,
        client: &Client<C>,
        request: CreateChatCompletionRequest,
        ctx: &CallContext,
    ) -> Result<AgentRun, ShieldError> {
        ShieldedClient::new(client.clone(), self.clone())
            .run_agent(ctx, request, 8)
            .await
    }
}

/// The response's assistant message as the next request's message.
fn assistant_message(
    message: &async_openai::types::chat::ChatCompletionResponseMessage,
) -> Option<ChatCompletionRequestMessage> {
    let mut value = serde_json::to_value(message).ok()?;
    value["role"] = Value::String("assistant".to_owned());
    if let Value::Object(map) = &mut value {
        // Response-only fields the request type does not take.
        map.remove("annotations");
    }
    serde_json::from_value(value).ok()
}

/// A Responses API response that passed the shield.
#[derive(Debug)]
#[non_exhaustive]
pub struct ShieldedResponse {
    /// The response, output text scanned (credentials redacted per the
    /// guard's output policy).
    pub response: async_openai::types::responses::Response,
    /// The function calls that passed their checks.
    pub tool_calls: Vec<ToolCall>,
    /// With [`BlockedCalls::Reply`]: a refusal for each call that did not.
    pub refusals: Vec<ToolReply>,
    /// Kinds of what was redacted from the output text.
    pub redacted: Vec<&'static str>,
    /// With [`InboundAction::Log`]: the injection found in the input.
    pub inbound: Option<(usize, InjectionReport)>,
}

/// The texts of a Responses API `input` to scan: `(position, text)` of
/// user messages, and with `history` also of function call outputs.
fn response_inputs(input: &Value, history: bool) -> Vec<(usize, String)> {
    match input {
        Value::String(text) => vec![(0, text.clone())],
        Value::Array(items) => {
            let mut found: Vec<(usize, String)> = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let user = item["role"] == "user";
                    let output = item["type"] == "function_call_output";
                    if user {
                        content_text(&item["content"]).map(|t| (i, t))
                    } else if output && history {
                        content_text(&item["output"]).map(|t| (i, t))
                    } else {
                        None
                    }
                })
                .collect();
            if !history {
                // The newest user message only.
                found.retain(|(i, _)| items[*i]["role"] == "user");
                found.drain(..found.len().saturating_sub(1));
            }
            found
        }
        _ => Vec::new(),
    }
}

impl<C: Config> ShieldedClient<C> {
    /// The Responses API through the shield: the input scanned, every
    /// function call checked (nothing run), the output text scanned.
    ///
    /// # Errors
    /// As [`ShieldedClient::chat`].
    pub async fn responses(
        &self,
        ctx: &CallContext,
        request: async_openai::types::responses::CreateResponse,
    ) -> Result<ShieldedResponse, ShieldError> {
        let inbound = self.scan_response_input(&request)?;
        let response = self.client.responses().create(request).await?;
        // Output text is redacted in place, through its JSON form.
        let mut value = serde_json::to_value(&response)
            .map_err(|e| ShieldError::Api(OpenAIError::JSONDeserialize(e, String::new())))?;
        let mut redacted = Vec::new();
        let mut calls = Vec::new();
        for item in value["output"].as_array_mut().into_iter().flatten() {
            if item["type"] == "function_call" {
                let text = |key: &str| item[key].as_str().unwrap_or_default().to_owned();
                calls.push(ToolCall::new(
                    text("call_id"),
                    text("name"),
                    text("arguments"),
                ));
            }
            for part in item["content"].as_array_mut().into_iter().flatten() {
                if part["type"] != "output_text" {
                    continue;
                }
                let Some(text) = part["text"].as_str() else {
                    continue;
                };
                let scan = self.guard.scan_model_reply(text);
                if let Some(reason) = scan.blocked {
                    return Err(ShieldError::Leak { reason });
                }
                redacted.extend(scan.findings.iter().map(|f| f.kind));
                part["text"] = Value::String(scan.text);
            }
        }
        let response = serde_json::from_value(value)
            .map_err(|e| ShieldError::Api(OpenAIError::JSONDeserialize(e, String::new())))?;
        let (tool_calls, refusals) = self.vet_calls(ctx, calls).await?;
        Ok(ShieldedResponse {
            response,
            tool_calls,
            refusals,
            redacted,
            inbound,
        })
    }

    /// Scans a Responses API request's input; `Err` when it must block.
    pub(crate) fn scan_response_input(
        &self,
        request: &async_openai::types::responses::CreateResponse,
    ) -> Result<Option<(usize, InjectionReport)>, ShieldError> {
        let input = serde_json::to_value(&request.input).unwrap_or(Value::Null);
        self.scan_inbound(response_inputs(&input, self.options.scan_history))
    }

    /// Checks calls without running them; per the options, raises or
    /// answers the ones that fail.
    pub(crate) async fn vet_calls(
        &self,
        ctx: &CallContext,
        calls: Vec<ToolCall>,
    ) -> Result<(Vec<ToolCall>, Vec<ToolReply>), ShieldError> {
        let verdicts = self.guard.validate(ctx, &calls).await;
        let mut passed = Vec::new();
        let mut blocked = Vec::new();
        for (call, verdict) in calls.into_iter().zip(verdicts) {
            match verdict {
                Ok(()) => passed.push(call),
                Err(outcome) => blocked.push((call, outcome)),
            }
        }
        if blocked.is_empty() {
            return Ok((passed, Vec::new()));
        }
        match self.options.on_blocked_call {
            BlockedCalls::Raise => Err(ShieldError::Blocked {
                calls: blocked
                    .into_iter()
                    .map(|(call, outcome)| (call.id, outcome))
                    .collect(),
            }),
            BlockedCalls::Reply => Ok((
                passed,
                blocked
                    .into_iter()
                    .map(|(call, outcome)| ToolReply {
                        tool_call_id: call.id,
                        content: outcome.model_content().unwrap_or_default(),
                        outcome,
                    })
                    .collect(),
            )),
        }
    }
}
