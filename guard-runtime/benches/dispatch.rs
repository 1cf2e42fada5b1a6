//! `cargo bench --bench dispatch`: what guard adds to one call.
//!
//! - `floor`: the least any dispatcher must do — parse the arguments JSON
//!   into the arguments struct and call the function.
//! - `dispatch`: the full pipeline for the same call (lookup, size cap,
//!   parse, schema validation, deserialize, rate limit, output scanning for
//!   secrets and injection, audit to memory); `dispatch_no_output_scan`
//!   is the same without output scanning.
//! - `registry_build_1000`: building a guard over 1,000 tools (schemas and
//!   validators are compiled lazily, on first use).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_runtime::__private::{ToolRegistration, inventory};
use guard_runtime::outbound::OutboundPolicy;
use guard_runtime::state::{MemoryBackend, StateBackend};
use guard_runtime::{CallContext, Guard, ToolCall, ToolError, secure_tool};
use serde::Deserialize;
use support::{ARGS, RingSink, bench_dispatch, bench_dispatch_expecting, output_policy};

/// Look up a customer's order.
// The highest rate: the limiter is checked on every call but never refuses one.
#[secure_tool(risk = "low", rate = 4294967295)]
async fn lookup(customer: String, order: u32, include_items: bool) -> Result<String, ToolError> {
    Ok(if include_items {
        customer
    } else {
        order.to_string()
    })
}

/// The same tool with constraints in its schema, so jsonschema validates every call.
#[secure_tool(risk = "low", rate = 4294967295)]
async fn lookup_checked(
    #[schemars(length(max = 64), regex(pattern = r"^c-[0-9]+$"))] customer: String,
    #[schemars(range(min = 1))] order: u32,
    include_items: bool,
) -> Result<String, ToolError> {
    Ok(if include_items {
        customer
    } else {
        order.to_string()
    })
}

/// Send a short message out: a data-flow sink, so its arguments are read
/// by the outbound check.
#[secure_tool(risk = "low", sink = "external", rate = 4294967295)]
async fn notify(to: String, body: String) -> Result<String, ToolError> {
    Ok(if body.is_empty() { body } else { to })
}

#[derive(Deserialize)]
struct LookupArgs {
    customer: String,
    order: u32,
    include_items: bool,
}

fn floor(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    c.bench_function("floor", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let args: LookupArgs = serde_json::from_str(black_box(ARGS)).unwrap();
                    black_box(
                        lookup(args.customer, args.order, args.include_items)
                            .await
                            .unwrap(),
                    );
                }
                start.elapsed()
            })
        })
    });
}

fn dispatch(c: &mut Criterion) {
    let benches = [
        ("dispatch", "lookup", true),
        ("dispatch_no_output_scan", "lookup", false),
        ("dispatch_schema_validated", "lookup_checked", true),
    ];
    for (bench, tool, scan_output) in benches {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let guard = Guard::builder()
            .only([tool])
            .audit(RingSink::default())
            .output_policy(output_policy(scan_output))
            .eager_schemas()
            .build()
            .unwrap();
        let ctx = CallContext::new("agent-1").user("u-7").session("s-1");
        let calls = [ToolCall::new("call_1", tool, ARGS)];
        bench_dispatch(c, bench, &rt, &guard, &ctx, &calls);
    }
}

/// What the OpenTelemetry sink adds with no provider installed (the API's
/// no-op): the same call as `dispatch_no_output_scan`, reported to it too.
#[cfg(feature = "otel")]
fn otel(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let guard = Guard::builder()
        .only(["lookup"])
        .audit(RingSink::default())
        .audit(guard_runtime::audit::otel::OtelSink::new())
        .output_policy(output_policy(false))
        .eager_schemas()
        .build()
        .unwrap();
    let ctx = CallContext::new("agent-1").user("u-7").session("s-1");
    let calls = [ToolCall::new("call_1", "lookup", ARGS)];
    bench_dispatch(c, "dispatch_otel_noop", &rt, &guard, &ctx, &calls);
}

#[cfg(not(feature = "otel"))]
fn otel(_: &mut Criterion) {}

/// What the outbound check adds to a call with two short string
/// arguments: in a session that read no source content (no taint probes
/// needed), in one that did (the arguments are probed and looked up), and
/// with the check off.
fn outbound(c: &mut Criterion) {
    for (bench, policy, tainted) in [
        ("dispatch_sink_outbound", OutboundPolicy::default(), false),
        (
            "dispatch_sink_outbound_tainted_session",
            OutboundPolicy::default(),
            true,
        ),
        ("dispatch_sink_no_outbound", OutboundPolicy::off(), false),
    ] {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let state = Arc::new(MemoryBackend::default());
        if tainted {
            rt.block_on(state.remember_content("s-1", &[1, 2, 3]))
                .unwrap();
        }
        let guard = Guard::builder()
            .state(Arc::clone(&state))
            .only(["notify"])
            .audit(RingSink::default())
            .output_policy(output_policy(false))
            .outbound(policy)
            .eager_schemas()
            .build()
            .unwrap();
        let ctx = CallContext::new("agent-1").user("u-7").session("s-1");
        let calls = [ToolCall::new(
            "call_1",
            "notify",
            r#"{"to":"ops@example.com","body":"build 812 is green"}"#,
        )];
        bench_dispatch_expecting(c, bench, &rt, &guard, &ctx, &calls, "ops@example.com");
    }
}

fn registry_build(c: &mut Criterion) {
    let template = inventory::iter::<ToolRegistration>
        .into_iter()
        .find(|r| r.name == "lookup")
        .unwrap();
    // 1,000 tools as `#[secure_tool]` registers them: same schema and body, distinct names.
    let registrations: Vec<&'static ToolRegistration> = (0..1000)
        .map(|i| {
            &*Box::leak(Box::new(ToolRegistration {
                name: Box::leak(format!("tool_{i:04}").into_boxed_str()),
                ..*template
            }))
        })
        .collect();
    c.bench_function("registry_build_1000", |b| {
        b.iter(|| {
            Guard::builder()
                .__registrations(registrations.clone())
                .build()
                .unwrap()
        })
    });
    c.bench_function("registry_build_1000_and_export", |b| {
        b.iter(|| {
            let guard = Guard::builder()
                .__registrations(registrations.clone())
                .build()
                .unwrap();
            black_box(guard.openai_tools())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = floor, dispatch, otel, outbound, registry_build
}
criterion_main!(benches);
