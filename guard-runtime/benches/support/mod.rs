//! Shared by the dispatch and policy benchmarks.

use std::collections::VecDeque;
use std::sync::Mutex;

use guard_runtime::{AuditEvent, AuditSink};

/// The arguments of the benchmarked `lookup` call.
pub const ARGS: &str = r#"{"customer":"c-1042","order":77,"include_items":true}"#;

/// Keeps the last events in memory, as `MemorySink` does, without growing
/// without bound over millions of iterations.
#[derive(Default)]
pub struct RingSink(Mutex<VecDeque<AuditEvent>>);

impl AuditSink for RingSink {
    fn record(&self, event: &AuditEvent) {
        let mut events = self.0.lock().unwrap();
        if events.len() == 1024 {
            events.pop_front();
        }
        events.push_back(event.clone());
    }
}
