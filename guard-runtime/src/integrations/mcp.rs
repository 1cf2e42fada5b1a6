//! Guarded tools over MCP (feature `mcp`, the official Rust SDK `rmcp`):
//! the tools a client may use are listed with their wire schemas and MCP
//! annotations, and every call goes through the same pipeline as
//! [`Guard::dispatch`]; refusals come back as tool results with
//! `isError: true` and the same short, safe message.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt as _};
use serde_json::Value;

use crate::call::ToolCall;
use crate::context::CallContext;
use crate::guard::Guard;
use crate::policy::Risk;
use crate::registry::ToolInfo;
use crate::validate::ValidatorSpec;

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
/// The client's name from its `initialize` request becomes the
/// `CallContext` agent id (so per-agent policies apply); map clients
/// differently, e.g. from an HTTP `Authorization` header the operator
/// issues, with [`GuardMcp::identify`].
#[derive(Clone)]
pub struct GuardMcp {
    guard: Guard,
    identify: Arc<Identify>,
    calls: Arc<AtomicU64>,
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
        }
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
        let info = request.peer.peer_info();
        let parts = request.extensions.get::<http::request::Parts>();
        let authorization = parts
            .and_then(|p| p.headers.get(http::header::AUTHORIZATION))
            .and_then(|v| v.to_str().ok());
        (self.identify)(ClientIdentity {
            name: info.as_deref().map(|i| i.client_info.name.as_str()),
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
        let ctx = self.context(&context);
        let arguments = Value::Object(request.arguments.unwrap_or_default()).to_string();
        // MCP calls carry no id of their own; audit records get one per server.
        let id = format!("mcp-{}", self.calls.fetch_add(1, Ordering::Relaxed) + 1);
        let call = ToolCall::new(id, request.name.to_string(), arguments);
        let reply = self
            .guard
            .dispatch(&ctx, std::slice::from_ref(&call))
            .await
            .pop()
            .expect("one reply per call");
        let content = vec![ContentBlock::text(reply.content)];
        let result = if reply.outcome.is_success() {
            CallToolResult::success(content)
        } else {
            CallToolResult::error(content)
        };
        Ok(result.into())
    }
}
