use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::AuditEvent;

/// Receives one event per call. Called on the dispatching task: keep it
/// quick, and hand slow work (network, disk sync) to a background task.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one event.
    fn record(&self, event: &AuditEvent);
}

/// A shared sink, e.g. one whose counters the app also reads.
impl<S: AuditSink> AuditSink for Arc<S> {
    fn record(&self, event: &AuditEvent) {
        (**self).record(event);
    }
}

/// Emits each event as a `tracing` event with target `guard::audit` (the default sink).
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl AuditSink for TracingSink {
    fn record(&self, event: &AuditEvent) {
        tracing::info!(
            target: "guard::audit",
            call_id = %event.call_id,
            agent = event.context.agent_id(),
            user = event.context.user_id(),
            session = event.context.session_id(),
            tool = %event.tool,
            risk = event.risk.map(|r| r.as_str()),
            arguments_sha256 = %event.arguments_digest,
            outcome = event.outcome.kind(),
            latency_us = u64::try_from(event.latency.as_micros()).unwrap_or(u64::MAX),
            "tool call"
        );
    }
}

/// Keeps events in memory; clones share the same buffer. Meant for tests and examples.
///
/// ```
/// use guard_runtime::MemorySink;
///
/// let sink = MemorySink::new();
/// assert!(sink.events().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct MemorySink(Arc<Mutex<Vec<AuditEvent>>>);

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        MemorySink::default()
    }

    /// A copy of the events recorded so far, in order.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes and returns the events recorded so far.
    pub fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl AuditSink for MemorySink {
    fn record(&self, event: &AuditEvent) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
    }
}

impl fmt::Debug for MemorySink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.0.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("MemorySink").field("events", &len).finish()
    }
}
