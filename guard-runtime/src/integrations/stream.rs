//! Streaming through the shield: content passes through as it arrives;
//! tool-call chunks are assembled and checked before any of them is handed
//! over; the assembled text is scanned for leaks at the end.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;

use async_openai::config::Config;
use async_openai::types::chat::{ChatCompletionResponseStream, CreateChatCompletionRequest};
use futures_util::{Stream, StreamExt as _};

use super::shield::{ShieldError, ShieldedClient};
use crate::call::{ToolCall, ToolReply};
use crate::context::CallContext;

/// What a shielded stream yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// Assistant text, as it arrives.
    Content(String),
    /// The model's tool calls, assembled from their chunks and checked;
    /// nothing is handed over before the model finished them.
    ToolCalls {
        /// The calls that passed their checks, ready for `dispatch`.
        passed: Vec<ToolCall>,
        /// With `BlockedCalls::Reply`: a refusal for each call that did not.
        refusals: Vec<ToolReply>,
    },
    /// The end: the whole text scanned for leaks (credentials redacted per
    /// the output policy), for the app to replace what it showed.
    Done {
        /// The assembled text, redacted.
        text: String,
        /// Kinds of what was redacted.
        redacted: Vec<&'static str>,
    },
}

/// The stream [`ShieldedClient::chat_stream`] returns.
pub type ShieldedStream<'a> =
    Pin<Box<dyn Stream<Item = Result<StreamEvent, ShieldError>> + Send + 'a>>;

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

struct State<'a, C: Config> {
    shield: &'a ShieldedClient<C>,
    ctx: CallContext,
    inner: Option<ChatCompletionResponseStream>,
    text: String,
    calls: BTreeMap<u32, PartialCall>,
    queued: VecDeque<Result<StreamEvent, ShieldError>>,
}

impl<C: Config> ShieldedClient<C> {
    /// Streams a chat completion through the shield (the request is
    /// scanned as in [`ShieldedClient::chat`] before it is sent).
    ///
    /// # Errors
    /// Before the stream starts: inbound injection or the API's error. In
    /// the stream: refused tool calls (with `BlockedCalls::Raise`), a
    /// withheld reply, or a transport error.
    pub async fn chat_stream(
        &self,
        ctx: &CallContext,
        request: CreateChatCompletionRequest,
    ) -> Result<ShieldedStream<'_>, ShieldError> {
        self.scan_request(&request)?;
        let inner = self.client().chat().create_stream(request).await?;
        let state = State {
            shield: self,
            ctx: ctx.clone(),
            inner: Some(inner),
            text: String::new(),
            calls: BTreeMap::new(),
            queued: VecDeque::new(),
        };
        Ok(Box::pin(futures_util::stream::unfold(state, next_event)))
    }
}

async fn next_event<C: Config>(
    mut state: State<'_, C>,
) -> Option<(Result<StreamEvent, ShieldError>, State<'_, C>)> {
    loop {
        if let Some(event) = state.queued.pop_front() {
            return Some((event, state));
        }
        let inner = state.inner.as_mut()?;
        match inner.next().await {
            Some(Ok(chunk)) => {
                for choice in chunk.choices.iter().filter(|c| c.index == 0) {
                    if let Some(content) = &choice.delta.content {
                        state.text.push_str(content);
                        state
                            .queued
                            .push_back(Ok(StreamEvent::Content(content.clone())));
                    }
                    for part in choice.delta.tool_calls.iter().flatten() {
                        let call = state.calls.entry(part.index).or_default();
                        if let Some(id) = &part.id {
                            call.id.push_str(id);
                        }
                        if let Some(function) = &part.function {
                            if let Some(name) = &function.name {
                                call.name.push_str(name);
                            }
                            if let Some(arguments) = &function.arguments {
                                call.arguments.push_str(arguments);
                            }
                        }
                    }
                }
            }
            Some(Err(err)) => {
                state.inner = None;
                return Some((Err(ShieldError::Api(err)), state));
            }
            None => {
                state.inner = None;
                finish(&mut state).await;
            }
        }
    }
}

/// The end of the model's stream: check the assembled calls, scan the text.
async fn finish<C: Config>(state: &mut State<'_, C>) {
    let calls: Vec<ToolCall> = std::mem::take(&mut state.calls)
        .into_values()
        .map(|c| ToolCall::new(c.id, c.name, c.arguments))
        .collect();
    if !calls.is_empty() {
        match state.shield.vet_calls(&state.ctx, calls).await {
            Ok((passed, refusals)) => state
                .queued
                .push_back(Ok(StreamEvent::ToolCalls { passed, refusals })),
            Err(err) => {
                state.queued.push_back(Err(err));
                return;
            }
        }
    }
    let scan = state.shield.guard().scan_model_reply(&state.text);
    state.queued.push_back(match scan.blocked {
        Some(reason) => Err(ShieldError::Leak { reason }),
        None => Ok(StreamEvent::Done {
            text: scan.text,
            redacted: scan.findings.iter().map(|f| f.kind).collect(),
        }),
    });
}
