//! `cargo bench -p guard-runtime --features sandbox --bench sandbox`: what
//! running a tool in a sandboxed worker adds to a call.
//!
//! - `sandbox_in_process`: the tool (a plain `fn`, so in process it runs on
//!   Tokio's blocking pool) in the agent's process: the baseline;
//!   `sandbox_in_process_async` and `sandbox_warm_async`: an `async fn` tool.
//! - `sandbox_warm`: the same call in a pre-started worker that serves many
//!   calls (`max_calls`), so each call pays the round trip only.
//! - `sandbox_cold`: a worker started for each call (`pool = 0`): process
//!   start, lock-down (rlimits, Landlock, seccomp) and the call.

use std::time::Duration;

// Only `bench_dispatch_expecting` is used here.
#[allow(dead_code)]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_runtime::policy::{Format, Policy};
use guard_runtime::sandbox::SandboxProfile;
use guard_runtime::{CallContext, Guard, ToolCall, secure_tool};
use support::bench_dispatch_expecting;

/// Measures a text.
#[secure_tool(risk = "low")]
fn measure(text: String) -> usize {
    text.len()
}

/// Measures a text, asynchronously.
#[secure_tool(risk = "low")]
async fn measure_async(text: String) -> usize {
    text.len()
}

fn guard(profile: Option<SandboxProfile>) -> Guard {
    let mut builder = Guard::builder().only(["measure", "measure_async"]);
    if let Some(profile) = profile {
        let policy =
            "[tools.measure]\nsandbox = \"bench\"\n[tools.measure_async]\nsandbox = \"bench\"\n";
        builder = builder
            .sandbox_profile("bench", profile)
            .policy(Policy::from_str(policy, Format::Toml).unwrap());
    }
    builder.build().unwrap()
}

fn sandbox(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ctx = CallContext::new("bench");
    let calls = [ToolCall::new(
        "c1",
        "measure",
        r#"{"text":"hello sandbox"}"#,
    )];
    let async_calls = [ToolCall::new(
        "c1",
        "measure_async",
        r#"{"text":"hello sandbox"}"#,
    )];

    let in_process = guard(None);
    bench_dispatch_expecting(
        c,
        "sandbox_in_process",
        &rt,
        &in_process,
        &ctx,
        &calls,
        "13",
    );
    bench_dispatch_expecting(
        c,
        "sandbox_in_process_async",
        &rt,
        &in_process,
        &ctx,
        &async_calls,
        "13",
    );

    let warm = guard(Some(SandboxProfile::default().pool(1).max_calls(u32::MAX)));
    rt.block_on(warm.prestart_sandboxes()).unwrap();
    bench_dispatch_expecting(c, "sandbox_warm", &rt, &warm, &ctx, &calls, "13");
    bench_dispatch_expecting(
        c,
        "sandbox_warm_async",
        &rt,
        &warm,
        &ctx,
        &async_calls,
        "13",
    );

    let cold = guard(Some(SandboxProfile::default().pool(0)));
    let mut group = c.benchmark_group("sandbox_cold");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("start_and_call", |b| {
        b.iter(|| {
            let replies = rt.block_on(cold.dispatch(&ctx, &calls));
            assert_eq!(replies[0].content, "13", "{replies:?}");
        })
    });
    group.finish();
}

criterion_group!(benches, sandbox);
criterion_main!(benches);
