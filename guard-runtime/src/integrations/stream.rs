//! Streaming through the shield, for Chat Completions and the Responses
//! API: content passes through as it arrives; tool calls are assembled and
//! checked before any of them is handed over; the assembled text is scanned
//! for leaks at the end.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;

use async_openai::config::Config;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionStreamResponse};
use async_openai::types::responses::{CreateResponse, OutputItem, ResponseStreamEvent};
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
    /// The model's tool calls, assembled and checked; nothing is handed
    /// over before the model finished them.
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

/// The stream [`ShieldedClient::chat_stream`] and
/// [`ShieldedClient::responses_stream`] return.
pub type ShieldedStream<'a> =
    Pin<Box<dyn Stream<Item = Result<StreamEvent, ShieldError>> + Send + 'a>>;

/// What either API's stream carries that the shield cares about.
enum Piece {
    Text(String),
    /// A piece of tool call `index`; each field is appended.
    Call {
        index: u32,
        id: Option<String>,
        name: Option<String>,
        arguments: Option<String>,
    },
}

type Pieces = Pin<Box<dyn Stream<Item = Result<Vec<Piece>, OpenAIError>> + Send>>;

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

struct State<'a, C: Config> {
    shield: &'a ShieldedClient<C>,
    ctx: CallContext,
    inner: Option<Pieces>,
    text: String,
    calls: BTreeMap<u32, PartialCall>,
    queued: VecDeque<Result<StreamEvent, ShieldError>>,
}

fn chat_pieces(chunk: CreateChatCompletionStreamResponse) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
        if let Some(content) = choice.delta.content {
            pieces.push(Piece::Text(content));
        }
        for part in choice.delta.tool_calls.into_iter().flatten() {
            let (name, arguments) = match part.function {
                Some(function) => (function.name, function.arguments),
                None => (None, None),
            };
            pieces.push(Piece::Call {
                index: part.index,
                id: part.id,
                name,
                arguments,
            });
        }
    }
    pieces
}

fn response_pieces(event: ResponseStreamEvent) -> Vec<Piece> {
    match event {
        ResponseStreamEvent::ResponseOutputTextDelta(delta) => vec![Piece::Text(delta.delta)],
        // A function call is handed on only once its item is done.
        ResponseStreamEvent::ResponseOutputItemDone(done) => match done.item {
            OutputItem::FunctionCall(call) => vec![Piece::Call {
                index: done.output_index,
                id: Some(call.call_id),
                name: Some(call.name),
                arguments: Some(call.arguments),
            }],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
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
        Ok(self.shielded(ctx, Box::pin(inner.map(|chunk| chunk.map(chat_pieces)))))
    }

    /// Streams a Responses API response through the shield (the input is
    /// scanned as in [`ShieldedClient::responses`]).
    ///
    /// # Errors
    /// As [`ShieldedClient::chat_stream`].
    pub async fn responses_stream(
        &self,
        ctx: &CallContext,
        request: CreateResponse,
    ) -> Result<ShieldedStream<'_>, ShieldError> {
        self.scan_response_input(&request)?;
        let inner = self.client().responses().create_stream(request).await?;
        Ok(self.shielded(ctx, Box::pin(inner.map(|event| event.map(response_pieces)))))
    }

    fn shielded(&self, ctx: &CallContext, inner: Pieces) -> ShieldedStream<'_> {
        let state = State {
            shield: self,
            ctx: ctx.clone(),
            inner: Some(inner),
            text: String::new(),
            calls: BTreeMap::new(),
            queued: VecDeque::new(),
        };
        Box::pin(futures_util::stream::unfold(state, next_event))
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
            Some(Ok(pieces)) => {
                for piece in pieces {
                    match piece {
                        Piece::Text(text) => {
                            state.text.push_str(&text);
                            state.queued.push_back(Ok(StreamEvent::Content(text)));
                        }
                        Piece::Call {
                            index,
                            id,
                            name,
                            arguments,
                        } => {
                            let call = state.calls.entry(index).or_default();
                            call.id.push_str(id.as_deref().unwrap_or_default());
                            call.name.push_str(name.as_deref().unwrap_or_default());
                            call.arguments
                                .push_str(arguments.as_deref().unwrap_or_default());
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
