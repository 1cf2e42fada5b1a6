//! `cargo bench -p guard-runtime --features redis --bench redis`: dispatch
//! of one call whose rate limit and session quota live in Redis (one
//! round trip), sequentially and 64 at once, next to the same call with the
//! in-memory backend. Uses the server at `GUARD_BENCH_REDIS_URL`, or starts
//! `redis-server` on a free 127.0.0.1 port for the run.

mod support;

use std::hint::black_box;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::future::join_all;
use guard_runtime::policy::{Format, Policy};
use guard_runtime::state::RedisBackend;
use guard_runtime::{CallContext, Guard, ToolCall, ToolError, secure_tool};
use support::{ARGS, RingSink, bench_dispatch, output_policy};

/// Look up a customer's order; rate-limited.
#[secure_tool(risk = "low", rate = 10000000)]
async fn lookup(customer: String, order: u32, include_items: bool) -> Result<String, ToolError> {
    Ok(if include_items {
        customer
    } else {
        order.to_string()
    })
}

/// A session quota and a per-user rate no run reaches: every call takes a
/// place in the quota and in two rate buckets.
const POLICY: &str = "[quotas]\nsession_calls = 4000000000\nuser_calls_per_minute = 10000000\n";

/// The server to measure against, and the one this run started, if any.
fn server() -> (String, Option<Child>) {
    if let Ok(url) = std::env::var("GUARD_BENCH_REDIS_URL") {
        return (url, None);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (set GUARD_BENCH_REDIS_URL to use a running server)");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    (format!("redis://127.0.0.1:{port}/"), Some(child))
}

fn guard(redis: Option<&str>) -> Guard {
    let builder = Guard::builder()
        .only(["lookup"])
        .policy(Policy::from_str(POLICY, Format::Toml).unwrap())
        .output_policy(output_policy(false))
        .audit(RingSink::default());
    match redis {
        Some(url) => builder
            .state(
                RedisBackend::builder(url)
                    .prefix(format!("guard-bench:{}", std::process::id()))
                    .build()
                    .unwrap(),
            )
            .build(),
        None => builder.build(),
    }
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let (url, mut child) = server();
    let calls = [ToolCall::new("c1", "lookup", ARGS)];
    let ctx = CallContext::new("bench").user("u1").session("s1");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The floor: one PING round trip through the same client and runtime.
    let mut connection = rt.block_on(async {
        let client = redis::Client::open(url.as_str()).unwrap();
        redis::aio::ConnectionManager::new(client).await.unwrap()
    });
    c.bench_function("redis_ping_round_trip", |b| {
        b.iter(|| {
            rt.block_on(async {
                let pong: String = redis::cmd("PING")
                    .query_async(&mut connection)
                    .await
                    .unwrap();
                black_box(pong)
            })
        })
    });

    let memory = guard(None);
    bench_dispatch(c, "dispatch_memory_backend", &rt, &memory, &ctx, &calls);
    let redis = rt.block_on(async { guard(Some(&url)) });
    bench_dispatch(c, "dispatch_redis_backend", &rt, &redis, &ctx, &calls);

    // 64 callers at once, each its own session, on a two-worker runtime.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let redis = rt.block_on(async { guard(Some(&url)) });
    let contexts: Vec<CallContext> = (0..64)
        .map(|i| {
            CallContext::new("bench")
                .user(format!("u{i}"))
                .session(format!("s{i}"))
        })
        .collect();
    c.bench_function("dispatch_redis_backend_64_concurrent", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let replies = join_all(
                        contexts
                            .iter()
                            .map(|ctx| redis.dispatch(ctx, black_box(&calls))),
                    )
                    .await;
                    assert!(
                        replies.iter().all(|r| r[0].content == "c-1042"),
                        "{replies:?}"
                    );
                }
                start.elapsed()
            })
        })
    });

    if let Some(child) = &mut child {
        let _ = child.kill();
        let _ = child.wait();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
