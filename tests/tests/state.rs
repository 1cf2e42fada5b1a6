//! The state-backend seam: what the dispatcher does when a backend fails
//! (fail closed by default, open when the policy says so), with a backend
//! that delegates to the in-memory one and fails on demand.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use guard_runtime::policy::{Format, Policy};
use guard_runtime::state::{
    Admission, Admitted, BackendError, MemoryBackend, Settlement, Standing, StateBackend,
    StateFuture,
};
use guard_runtime::{CallContext, DenyReason, Guard, MemorySink, Outcome, ToolCall, secure_tool};

/// Ping; limited.
#[secure_tool(risk = "low", rate = 100)]
fn limited_ping() -> &'static str {
    "pong"
}

/// Ping; no limits.
#[secure_tool(risk = "low")]
fn free_ping() -> &'static str {
    "pong"
}

/// Read the vault; a data-flow source.
#[secure_tool(risk = "low", source = "secrets")]
fn open_vault() -> &'static str {
    "the vault"
}

/// Post outside; a data-flow sink.
#[secure_tool(risk = "low", sink = "external")]
fn post_out() -> &'static str {
    "posted"
}

const TOOLS: [&str; 4] = ["limited_ping", "free_ping", "open_vault", "post_out"];

const FLOW: &str = r#"
[[flows]]
id = "no-exfiltration"
from = "secrets"
to = "external"
action = "block"
window = "session"
"#;

/// The in-memory backend, with admissions and settlements that fail on demand.
#[derive(Debug, Default)]
struct Flaky {
    memory: MemoryBackend,
    admit_fails: AtomicBool,
    settle_fails: AtomicBool,
}

impl StateBackend for Flaky {
    fn admit<'a>(&'a self, admission: &'a Admission<'a>) -> StateFuture<'a, Admitted> {
        if self.admit_fails.load(Ordering::SeqCst) {
            return StateFuture::ready(Err(BackendError::new("admit is down")));
        }
        self.memory.admit(admission)
    }

    fn settle<'a>(&'a self, settlement: &'a Settlement<'a>) -> StateFuture<'a, ()> {
        if self.settle_fails.load(Ordering::SeqCst) {
            return StateFuture::ready(Err(BackendError::new("settle is down")));
        }
        self.memory.settle(settlement)
    }

    fn remember<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
        standing: &'a Standing,
    ) -> StateFuture<'a, ()> {
        self.memory.remember(session, tool, standing)
    }
}

fn guard(policy: &str, backend: Arc<Flaky>, sink: MemorySink) -> Guard {
    Guard::builder()
        .only(TOOLS)
        .policy(Policy::from_str(policy, Format::Toml).unwrap())
        .state(backend)
        .audit(sink)
        .build()
        .unwrap()
}

fn calls(tools: &[&str]) -> Vec<ToolCall> {
    tools
        .iter()
        .enumerate()
        .map(|(i, tool)| ToolCall::new(format!("c{i}"), *tool, "{}"))
        .collect()
}

const UNAVAILABLE: Outcome = Outcome::Denied {
    reason: DenyReason::BackendUnavailable,
};

#[tokio::test]
async fn a_failing_backend_refuses_the_calls_that_need_it_and_no_others() {
    let backend = Arc::new(Flaky::default());
    let sink = MemorySink::new();
    let guard = guard("", backend.clone(), sink.clone());
    let ctx = CallContext::new("a");
    backend.admit_fails.store(true, Ordering::SeqCst);
    let replies = guard
        .dispatch(&ctx, &calls(&["limited_ping", "free_ping"]))
        .await;
    assert_eq!(replies[0].outcome, UNAVAILABLE);
    assert_eq!(replies[1].outcome, Outcome::Success);
    let events = sink.take();
    assert_eq!(&*events[0].policy, "default: backend error: admit is down");
    assert_eq!(&*events[1].policy, "default: allowed");

    backend.admit_fails.store(false, Ordering::SeqCst);
    let replies = guard.dispatch(&ctx, &calls(&["limited_ping"])).await;
    assert_eq!(
        replies[0].outcome,
        Outcome::Success,
        "recovers with the backend"
    );
}

#[tokio::test]
async fn the_policy_may_let_calls_go_on_when_the_backend_fails() {
    let backend = Arc::new(Flaky::default());
    let sink = MemorySink::new();
    let guard = guard(
        "on_backend_error = \"allow\"",
        backend.clone(),
        sink.clone(),
    );
    backend.admit_fails.store(true, Ordering::SeqCst);
    let replies = guard
        .dispatch(&CallContext::new("a"), &calls(&["limited_ping"]))
        .await;
    assert_eq!(replies[0].outcome, Outcome::Success);
    assert_eq!(
        &*sink.take()[0].policy,
        "default: backend error allowed by policy: admit is down"
    );
}

#[tokio::test]
async fn a_source_whose_history_cannot_be_recorded_does_not_run() {
    let backend = Arc::new(Flaky::default());
    let guard = guard(FLOW, backend.clone(), MemorySink::new());
    let ctx = CallContext::new("a").session("s");
    backend.settle_fails.store(true, Ordering::SeqCst);
    let replies = guard
        .dispatch(&ctx, &calls(&["open_vault", "free_ping"]))
        .await;
    assert_eq!(
        replies[0].outcome, UNAVAILABLE,
        "a later sink call would not see it"
    );
    assert_eq!(replies[1].outcome, Outcome::Success);

    backend.settle_fails.store(false, Ordering::SeqCst);
    let replies = guard.dispatch(&ctx, &calls(&["open_vault"])).await;
    assert_eq!(replies[0].outcome, Outcome::Success);
    let replies = guard.dispatch(&ctx, &calls(&["post_out"])).await;
    assert_eq!(
        replies[0].outcome,
        Outcome::Denied {
            reason: DenyReason::Flow {
                rule: "no-exfiltration".into()
            }
        }
    );
}

#[tokio::test]
async fn validation_fails_closed_when_the_history_cannot_be_read() {
    let backend = Arc::new(Flaky::default());
    let guard = guard(FLOW, backend.clone(), MemorySink::new());
    backend.admit_fails.store(true, Ordering::SeqCst);
    let verdicts = guard
        .validate(&CallContext::new("a"), &calls(&["post_out", "free_ping"]))
        .await;
    assert_eq!(verdicts[0], Err(UNAVAILABLE));
    assert_eq!(
        verdicts[1],
        Ok(()),
        "a tool outside the flow rules is unaffected"
    );
}

#[test]
fn on_backend_error_takes_deny_or_allow_only() {
    for good in ["deny", "allow"] {
        Policy::from_str(&format!("on_backend_error = \"{good}\""), Format::Toml).unwrap();
    }
    let err = Policy::from_str("on_backend_error = \"ignore\"", Format::Toml).unwrap_err();
    assert_eq!(err.key(), Some("on_backend_error"));
}
