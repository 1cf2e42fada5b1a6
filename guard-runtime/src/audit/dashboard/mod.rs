//! A live, read-only dashboard over an audit file written by
//! [`JsonlAuditSink`](crate::audit::JsonlAuditSink): calls per tool over
//! time, outcomes and refusals by kind, latency per tool, per-agent and
//! per-session views, the anomaly detectors' alerts, and whether the hash
//! chain verifies. The page updates itself (server-sent events) as records
//! are appended. `guard dashboard audit.jsonl` runs it; so can an
//! application:
//!
//! ```no_run
//! use guard_runtime::audit::dashboard::{Dashboard, DashboardConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let dashboard = Dashboard::bind(DashboardConfig::new("audit.jsonl")).await?;
//! println!("http://{}/", dashboard.local_addr());
//! dashboard.run().await
//! # }
//! ```
//!
//! It binds to loopback by default; any other address needs a bearer
//! token (`Authorization: Bearer …`, or `?token=…` in the page's address,
//! which the page passes on). Requests whose `Host` is not the address
//! served are refused, so a web page cannot reach the dashboard through
//! DNS rebinding. Everything the page shows is written as text, never as
//! markup: tool and agent names in an audit file come from the model.

mod stats;
mod tail;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use serde_json::json;
use tokio::sync::watch;

use crate::alerts::AlertThresholds;
use stats::Stats;
use tail::{Poll, Tail};

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("app.js");

/// What [`Dashboard::bind`] serves, and how.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    file: PathBuf,
    listen: SocketAddr,
    token: Option<String>,
    thresholds: AlertThresholds,
    poll: Duration,
    labels: Vec<(String, Vec<String>, Vec<String>)>,
}

impl DashboardConfig {
    /// The audit file to follow, served on `127.0.0.1:8809`, no token,
    /// the default alert thresholds, the file read every 250 ms.
    pub fn new(file: impl Into<PathBuf>) -> Self {
        DashboardConfig {
            file: file.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8809)),
            token: None,
            thresholds: AlertThresholds::default(),
            poll: Duration::from_millis(250),
            labels: Vec::new(),
        }
    }

    /// Where to listen (port 0: any free port).
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.listen = address;
        self
    }

    /// Requires this bearer token on every request.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The anomaly detectors' thresholds (a policy's `[alerts]`).
    pub fn thresholds(mut self, thresholds: AlertThresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// How often the file is read for new records.
    pub fn poll(mut self, every: Duration) -> Self {
        self.poll = every;
        self
    }

    /// The data-flow labels of `guard`'s tools, for the session detectors
    /// (new sink after a source, the lethal trifecta).
    pub fn labels_of(mut self, guard: &crate::Guard) -> Self {
        let owned = |labels: &[&str]| labels.iter().map(|l| (*l).to_owned()).collect();
        self.labels = guard
            .tools()
            .map(|tool| {
                (
                    tool.name().to_owned(),
                    owned(tool.sources()),
                    owned(tool.sinks()),
                )
            })
            .collect();
        self
    }
}

/// A bound dashboard; [`Dashboard::run`] serves it.
#[derive(Debug)]
pub struct Dashboard {
    listener: tokio::net::TcpListener,
    config: DashboardConfig,
}

#[derive(Clone)]
struct Shared {
    snapshots: watch::Receiver<Arc<str>>,
    token: Option<Arc<str>>,
    hosts: Arc<[String]>,
}

impl Dashboard {
    /// Binds the listening socket.
    ///
    /// # Errors
    /// The address cannot be bound, or it is not a loopback address and
    /// no token is set (the audit trail would be open to the network).
    pub async fn bind(config: DashboardConfig) -> io::Result<Dashboard> {
        if !config.listen.ip().is_loopback() && config.token.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a dashboard on a non-loopback address needs a token",
            ));
        }
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        Ok(Dashboard { listener, config })
    }

    /// The address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    /// Follows the file and serves the page until the task is dropped.
    ///
    /// # Errors
    /// The server fails.
    pub async fn run(self) -> io::Result<()> {
        let address = self.local_addr();
        let port = address.port();
        let mut hosts = vec![
            address.to_string(),
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ];
        hosts.dedup();
        let (publish, snapshots) = watch::channel(Arc::from("{}"));
        let follower = tokio::spawn(follow(self.config.clone(), publish));
        let shared = Shared {
            snapshots,
            token: self.config.token.as_deref().map(Arc::from),
            hosts: hosts.into(),
        };
        let app = Router::new()
            .route("/", get(page))
            .route("/app.js", get(script))
            .route("/api/summary", get(summary))
            .route("/events", get(events))
            .layer(middleware::from_fn_with_state(shared.clone(), gate))
            .with_state(shared);
        let served = axum::serve(self.listener, app).await;
        follower.abort();
        served
    }
}

/// Reads the file every `poll`, publishing a snapshot after each change.
async fn follow(config: DashboardConfig, publish: watch::Sender<Arc<str>>) {
    let name = config
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fresh = || Stats::new(config.thresholds.clone(), &config.labels);
    let (mut tail, mut stats) = (Tail::new(&config.file), fresh());
    let mut error: Option<String> = None;
    // Something to publish: at first, and after records were read.
    let mut dirty = true;
    loop {
        let changed = match tail.poll() {
            Ok(Poll::Unchanged) => std::mem::take(&mut dirty) | error.take().is_some(),
            Ok(Poll::Appended(events)) => {
                events.iter().for_each(|event| stats.add(event));
                (error, dirty) = (None, true);
                // Catch up before publishing: a long trail comes in pieces.
                continue;
            }
            Ok(Poll::Restart) => {
                (tail, stats, dirty) = (Tail::new(&config.file), fresh(), true);
                continue;
            }
            Err(err) => {
                // Said once, without the path (the page names the file).
                let said = Some(err.kind().to_string());
                let changed = error != said;
                error = said;
                changed
            }
        };
        if changed {
            let mut snapshot = stats.snapshot();
            snapshot["file"] = json!(name);
            snapshot["chain"] = json!({"ok": tail.problem().is_none(), "problem": tail.problem()});
            snapshot["error"] = json!(error);
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            snapshot["updated_ms"] = json!(now.map_or(0, |d| d.as_millis()));
            publish.send_replace(Arc::from(snapshot.to_string()));
        }
        tokio::time::sleep(config.poll).await;
    }
}

/// The token and `Host` checks, and the headers every answer carries.
async fn gate(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let host_ok = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| shared.hosts.iter().any(|h| h == host));
    if !host_ok {
        return (StatusCode::MISDIRECTED_REQUEST, "unknown host").into_response();
    }
    if let Some(token) = &shared.token {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        let query = request.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        });
        let given = bearer.map(str::to_owned).or(query);
        if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            return (StatusCode::UNAUTHORIZED, "a token is needed").into_response();
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE)
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
}

async fn summary(State(shared): State<Shared>) -> impl IntoResponse {
    let body = shared.snapshots.borrow().to_string();
    ([(header::CONTENT_TYPE, "application/json")], body)
}

async fn events(
    State(shared): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(
        (shared.snapshots, true),
        |(mut snapshots, first)| async move {
            if !first {
                snapshots.changed().await.ok()?;
            }
            let data = snapshots.borrow_and_update().clone();
            let event = Event::default().event("summary").data(&*data);
            Some((Ok(event), (snapshots, false)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
