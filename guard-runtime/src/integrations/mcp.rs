//! Guarded tools over MCP (feature `mcp`, the official Rust SDK `rmcp`):
//! the tools a client may use are listed with their wire schemas and MCP
//! annotations, and every call goes through the same pipeline as
//! [`Guard::dispatch`]; refusals come back as tool results with
//! `isError: true` and the same short, safe message. A call that needs
//! confirmation asks the person at the client through MCP elicitation when
//! the client supports it, else the guard's confirmer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ElicitRequestParams,
    ElicitResult, ElicitationAction, InputRequest, InputRequests, InputRequiredResult,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig,
    Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt as _};
use serde_json::{Value, json};

use crate::call::{ToolCall, ToolReply};
use crate::confirm::{ApprovalRequest, Decision};
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome, safe_text};
use crate::policy::Risk;
use crate::registry::ToolInfo;
use crate::validate::ValidatorSpec;

/// The key of guard's one elicitation in an `InputRequiredResult`.
const ELICITATION_KEY: &str = "guard_approval";
/// Longest argument text shown in an elicitation message.
const MAX_SHOWN_ARGUMENT_CHARS: usize = 500;

/// What the server knows about a client when it maps it to a
/// [`CallContext`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ClientIdentity<'a> {
    /// `clientInfo.name` from the client's `initialize` request.
    pub name: Option<&'a str>,
    /// Over HTTP: the value of the `Authorization` header of the request.
    pub authorization: Option<&'a str>,
}

/// Who an MCP client is, for policies: the `CallContext` its calls carry.
type Identify = dyn Fn(ClientIdentity<'_>) -> CallContext + Send + Sync;

/// An MCP server over a guard's tools.
///
/// A call that needs confirmation is put to the person at the client when
/// the client declares the elicitation capability: on protocols before
/// 2026-07-28 as an `elicitation/create` request while the call waits, on
/// 2026-07-28 as an `InputRequiredResult` the client answers by calling
/// again (the parked call stays in the guard; the client only echoes its
/// id). The form asks to approve, and whether to remember the answer for
/// the session. Declining, cancelling, not answering within the guard's
/// confirmation timeout, or answering a request the server did not make
/// denies. Clients without elicitation get the guard's confirmer.
///
/// The client's name from its `initialize` request becomes the
/// `CallContext` agent id (so per-agent policies apply); map clients
/// differently, e.g. from an HTTP `Authorization` header the operator
/// issues, with [`GuardMcp::identify`].
#[derive(Clone)]
pub struct GuardMcp {
    guard: Guard,
    identify: Arc<Identify>,
    calls: Arc<AtomicU64>,
    /// Approvals asked of clients over multi-round-trip elicitation, by
    /// request id (the opaque `requestState` the client echoes).
    asked: Arc<Mutex<HashMap<String, ApprovalRequest>>>,
}

impl std::fmt::Debug for GuardMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardMcp")
            .field("guard", &self.guard)
            .finish()
    }
}

impl GuardMcp {
    /// A server over the guard's tools; clients are agents named after
    /// their `clientInfo.name` (`mcp-client` when they give none).
    pub fn new(guard: Guard) -> Self {
        GuardMcp {
            guard,
            identify: Arc::new(|client| CallContext::new(client.name.unwrap_or("mcp-client"))),
            calls: Arc::new(AtomicU64::new(0)),
            asked: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Holds an approval until the client answers; lapsed ones are dropped.
    fn keep(&self, approval: ApprovalRequest) {
        let now = crate::confirm::unix_ms_after(std::time::Duration::ZERO);
        let mut asked = self
            .asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        asked.retain(|_, waiting| waiting.expires_at_ms > now);
        asked.insert(approval.id.clone(), approval);
    }

    /// Finishes a parked call with the person's decision.
    async fn resume(
        &self,
        ctx: &CallContext,
        approval: ApprovalRequest,
        decision: Decision,
    ) -> ToolReply {
        self.guard
            .resume(ctx, [(approval, decision)])
            .await
            .pop()
            .unwrap_or_else(mismatch)
    }

    /// Maps a client (its `initialize` name, its HTTP `Authorization`
    /// header) to the caller's context.
    ///
    /// ```
    /// use guard_runtime::integrations::mcp::GuardMcp;
    /// use guard_runtime::{CallContext, Guard};
    ///
    /// let guard = Guard::builder().build().unwrap();
    /// let server = GuardMcp::new(guard).identify(|client| match client.authorization {
    ///     Some("Bearer ops-token") => CallContext::new("ops").roles(["admin"]),
    ///     _ => CallContext::new("anonymous"),
    /// });
    /// # let _ = server;
    /// ```
    pub fn identify(
        mut self,
        identify: impl Fn(ClientIdentity<'_>) -> CallContext + Send + Sync + 'static,
    ) -> Self {
        self.identify = Arc::new(identify);
        self
    }

    fn context(&self, request: &RequestContext<RoleServer>) -> CallContext {
        let info = request.client_info();
        let parts = request.extensions.get::<http::request::Parts>();
        let authorization = parts
            .and_then(|p| p.headers.get(http::header::AUTHORIZATION))
            .and_then(|v| v.to_str().ok());
        (self.identify)(ClientIdentity {
            name: info.as_ref().map(|i| i.name.as_str()),
            authorization,
        })
    }

    /// Serves MCP over streamable HTTP at `/mcp` on an address the caller
    /// bound (use 127.0.0.1 unless other machines must reach it), until the
    /// listener fails.
    ///
    /// # Errors
    /// The server's error, as text.
    pub async fn serve_http(self, listener: tokio::net::TcpListener) -> Result<(), String> {
        use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
        use rmcp::transport::streamable_http_server::{
            StreamableHttpServerConfig, StreamableHttpService,
        };
        let server = self;
        let service = StreamableHttpService::new(
            move || Ok(server.clone()),
            Arc::new(LocalSessionManager::default()),
            StreamableHttpServerConfig::default(),
        );
        let router = axum::Router::new().nest_service("/mcp", service);
        axum::serve(listener, router)
            .await
            .map_err(|e| e.to_string())
    }

    /// Serves MCP on this process's stdin and stdout until the client leaves.
    ///
    /// # Errors
    /// The transport's error, as text.
    pub async fn serve_stdio(self) -> Result<(), String> {
        let service = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| e.to_string())?;
        service.waiting().await.map_err(|e| e.to_string())?;
        Ok(())
    }
}

impl Guard {
    /// Serves this guard's tools over MCP on stdin and stdout (see [`GuardMcp`]).
    ///
    /// # Errors
    /// The transport's error, as text.
    pub async fn serve_mcp_stdio(&self) -> Result<(), String> {
        GuardMcp::new(self.clone()).serve_stdio().await
    }
}

/// MCP annotations from what the guard knows about a tool.
fn annotations(tool: &ToolInfo<'_>) -> ToolAnnotations {
    let registration = tool.registration();
    let reads_only = !registration.args.is_empty()
        && registration.args.iter().all(|spec| match &spec.validator {
            ValidatorSpec::Path { .. } => true,
            ValidatorSpec::Sql { write, .. } => write.is_empty(),
            _ => false,
        });
    let open_world = !registration.sources.is_empty() || !registration.sinks.is_empty();
    ToolAnnotations::new()
        .read_only(reads_only)
        .destructive(tool.risk() >= Risk::High)
        .open_world(open_world)
}

fn mcp_tool(tool: ToolInfo<'_>) -> Tool {
    let schema = match tool.wire_schema() {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    let mut mcp = Tool::new(tool.name(), tool.description(), Arc::new(schema));
    mcp.annotations = Some(annotations(&tool));
    mcp
}

impl ServerHandler for GuardMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let ctx = self.context(&context);
        Ok(ListToolsResult::with_all_items(
            self.guard.tools_for(&ctx).map(mcp_tool).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        #[cfg(feature = "otel")]
        {
            use opentelemetry::context::FutureExt;
            let trace = trace_context(&request, &context);
            self.call_tool_traced(request, context)
                .with_context(trace)
                .await
        }
        #[cfg(not(feature = "otel"))]
        self.call_tool_traced(request, context).await
    }
}

/// The OpenTelemetry context a `tools/call` runs in: the client's trace
/// (W3C `traceparent` in the request's `_meta`, else the HTTP header),
/// marked as an MCP call of its session, so the guard's spans continue
/// the trace and carry `mcp.method.name` and `mcp.session.id`.
#[cfg(feature = "otel")]
fn trace_context(
    request: &CallToolRequestParams,
    context: &RequestContext<RoleServer>,
) -> opentelemetry::Context {
    use crate::audit::otel::{McpRequest, remote_parent};
    let parts = context.extensions.get::<http::request::Parts>();
    let header = |name: &str| {
        parts
            .and_then(|p| p.headers.get(name))
            .and_then(|v| v.to_str().ok())
    };
    let from_meta = [request.meta.as_ref(), Some(&context.meta)]
        .into_iter()
        .flatten()
        .find_map(|m| {
            m.get_traceparent()
                .and_then(|parent| remote_parent(parent, m.get_tracestate()))
        });
    let parent = from_meta
        .or_else(|| header("traceparent").and_then(|p| remote_parent(p, header("tracestate"))))
        .unwrap_or_else(opentelemetry::Context::current);
    parent.with_value(McpRequest {
        session: header("mcp-session-id").map(str::to_owned),
    })
}

impl GuardMcp {
    async fn call_tool_traced(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let ctx = self.context(&context);
        if let Some(state) = request.request_state.as_deref() {
            // The second leg of an elicitation: the person's answer, and the
            // request id this server handed out (untrusted: `resume` checks
            // the call and the caller).
            let answer = request
                .input_responses
                .as_ref()
                .and_then(|responses| responses.get(ELICITATION_KEY))
                .and_then(|answer| serde_json::from_value::<ElicitResult>(answer.clone()).ok());
            let approval = self
                .asked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(state);
            let reply = match approval {
                Some(approval) => self.resume(&ctx, approval, decision(answer)).await,
                None => mismatch(),
            };
            return Ok(tool_result(reply).into());
        }

        let arguments = Value::Object(request.arguments.unwrap_or_default()).to_string();
        // MCP calls carry no id of their own; audit records get one per server.
        let id = format!("mcp-{}", self.calls.fetch_add(1, Ordering::Relaxed) + 1);
        let call = ToolCall::new(id, request.name.to_string(), arguments);
        let asking = Asking::of(&context);
        let calls = std::slice::from_ref(&call);
        let replies = match asking {
            Asking::Confirmer => self.guard.dispatch(&ctx, calls).await,
            Asking::Request | Asking::RoundTrip => self.guard.dispatch_deferring(&ctx, calls).await,
        };
        let mut reply = replies.into_iter().next().expect("one reply per call");
        if let Outcome::PendingApproval { request: approval } = &reply.outcome {
            let approval = (**approval).clone();
            match asking {
                Asking::RoundTrip => {
                    let id = approval.id.clone();
                    let elicit = InputRequest::Elicitation(rmcp::model::ElicitRequest::new(
                        elicitation(&approval),
                    ));
                    self.keep(approval);
                    let requests = InputRequests::from([(ELICITATION_KEY.to_owned(), elicit)]);
                    return Ok(InputRequiredResult::new(Some(requests), Some(id)).into());
                }
                Asking::Request => {
                    let answer = context
                        .peer
                        .create_elicitation_with_timeout(
                            elicitation(&approval),
                            Some(self.guard.inner.pending.ttl),
                        )
                        .await
                        .ok();
                    reply = self.resume(&ctx, approval, decision(answer)).await;
                }
                // Deferred approvals configured on the guard: the app resumes the call.
                Asking::Confirmer => {}
            }
        }
        Ok(tool_result(reply).into())
    }
}

/// How a call that needs confirmation is confirmed for this client.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asking {
    /// The client cannot elicit: the guard's confirmer decides.
    Confirmer,
    /// An `elicitation/create` request to the client while the call waits
    /// (protocols before 2026-07-28).
    Request,
    /// An `InputRequiredResult` the client answers by calling again
    /// (protocol 2026-07-28 forbids server-to-client requests).
    RoundTrip,
}

impl Asking {
    fn of(context: &RequestContext<RoleServer>) -> Self {
        let elicits = context
            .client_capabilities()
            .is_some_and(|capabilities| capabilities.elicitation.is_some());
        if !elicits {
            return Asking::Confirmer;
        }
        let round_trip = context
            .protocol_version()
            .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
        if round_trip {
            Asking::RoundTrip
        } else {
            Asking::Request
        }
    }
}

/// The elicitation shown to the person: the tool, its risk, why it needs
/// approval and its (redacted, shortened) arguments; a yes/no answer and
/// whether to remember it for the session.
fn elicitation(approval: &ApprovalRequest) -> ElicitRequestParams {
    let message = format!(
        "Allow `{}` ({} risk)?\nWhy: {}.\nArguments: {}",
        approval.tool,
        approval.risk,
        approval.reason,
        safe_text(&approval.arguments, MAX_SHOWN_ARGUMENT_CHARS)
    );
    serde_json::from_value(json!({
        "mode": "form",
        "message": message,
        "requestedSchema": {
            "type": "object",
            "properties": {
                "approve": {
                    "type": "boolean",
                    "title": "Approve",
                    "description": "Run this call"
                },
                "remember": {
                    "type": "boolean",
                    "title": "Remember",
                    "description": "Give the same answer to every call of this tool in this session",
                    "default": false
                }
            },
            "required": ["approve"]
        }
    }))
    .expect("the elicitation form is valid")
}

/// The person's answer as a decision; anything but an explicit approval
/// (declined, cancelled, unanswered, malformed) denies.
fn decision(answer: Option<ElicitResult>) -> Decision {
    let Some(answer) = answer.filter(|a| a.action == ElicitationAction::Accept) else {
        return Decision::Deny { message: None };
    };
    let content = answer.content.unwrap_or(Value::Null);
    let field = |name| content.get(name).and_then(Value::as_bool) == Some(true);
    match (field("approve"), field("remember")) {
        (true, false) => Decision::Approve,
        (true, true) => Decision::ApproveAlways,
        (false, false) => Decision::Deny { message: None },
        (false, true) => Decision::DenyAlways { message: None },
    }
}

/// The reply for an answer to an approval this server does not hold.
fn mismatch() -> ToolReply {
    let outcome = Outcome::Denied {
        reason: DenyReason::ApprovalMismatch,
    };
    ToolReply {
        tool_call_id: String::new(),
        content: outcome.model_content().unwrap_or_default(),
        outcome,
    }
}

fn tool_result(reply: ToolReply) -> CallToolResult {
    let content = vec![ContentBlock::text(reply.content)];
    if reply.outcome.is_success() {
        CallToolResult::success(content)
    } else {
        CallToolResult::error(content)
    }
}
