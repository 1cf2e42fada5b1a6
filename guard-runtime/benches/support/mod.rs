//! Shared by the dispatch and policy benchmarks.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::Instant;

use criterion::Criterion;
use guard_runtime::output::{Action, OutputPolicy};
use guard_runtime::{AuditEvent, AuditSink, CallContext, Guard, ToolCall};

/// The arguments of the benchmarked `lookup` call.
pub(crate) const ARGS: &str = r#"{"customer":"c-1042","order":77,"include_items":true}"#;

/// Keeps the last events in memory, as `MemorySink` does, without growing
/// without bound over millions of iterations.
#[derive(Default)]
pub(crate) struct RingSink(Mutex<VecDeque<AuditEvent>>);

impl AuditSink for RingSink {
    fn record(&self, event: &AuditEvent) {
        let mut events = self.0.lock().unwrap();
        if events.len() == 1024 {
            events.pop_front();
        }
        events.push_back(event.clone());
    }
}

/// Times `dispatch` of `calls`, checking that the last reply is the
/// admitted call's output: a refusal would flatter the figure.
pub(crate) fn bench_dispatch(
    c: &mut Criterion,
    name: &str,
    rt: &tokio::runtime::Runtime,
    guard: &Guard,
    ctx: &CallContext,
    calls: &[ToolCall],
) {
    bench_dispatch_expecting(c, name, rt, guard, ctx, calls, "c-1042");
}

/// [`bench_dispatch`] for a call whose reply is `expected`.
pub(crate) fn bench_dispatch_expecting(
    c: &mut Criterion,
    name: &str,
    rt: &tokio::runtime::Runtime,
    guard: &Guard,
    ctx: &CallContext,
    calls: &[ToolCall],
    expected: &str,
) {
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                let mut last = Vec::new();
                for _ in 0..iters {
                    last = black_box(guard.dispatch(ctx, black_box(calls)).await);
                }
                let elapsed = start.elapsed();
                assert_eq!(last[0].content, expected, "{last:?}");
                elapsed
            })
        })
    });
}

/// The default output handling, or none at all (to measure the pipeline alone).
pub(crate) fn output_policy(scan_output: bool) -> OutputPolicy {
    if scan_output {
        OutputPolicy::default()
    } else {
        OutputPolicy::default()
            .secrets(Action::Off)
            .injection(Action::Off)
    }
}
