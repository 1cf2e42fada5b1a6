//! One replica of a service, for the shared-limit test (`tests/tests/redis.rs`
//! starts two at once): `redis_fixture URL PREFIX CALLS` dispatches CALLS
//! calls of a tool limited to 6 a minute, 8 at a time, against the Redis
//! backend and prints how many were admitted.

use guard_runtime::state::RedisBackend;
use guard_runtime::{CallContext, Guard, Outcome, ToolCall, secure_tool};

/// Count something; 6 calls a minute across every replica (the next place
/// opens 10 s later, far beyond the test).
#[secure_tool(risk = "low", rate = 6)]
fn count_one() -> u32 {
    1
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (url, prefix, calls) = match (args.next(), args.next(), args.next()) {
        (Some(url), Some(prefix), Some(calls)) => (url, prefix, calls.parse::<usize>().unwrap()),
        _ => panic!("usage: redis_fixture URL PREFIX CALLS"),
    };
    let backend = RedisBackend::builder(url)
        .prefix(prefix)
        // Two processes share a loaded machine in CI; outages are tested elsewhere.
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    let guard = Guard::builder().state(backend).build().unwrap();
    let ctx = CallContext::new("replica");
    let mut admitted = 0;
    let mut limited = 0;
    for chunk in 0..calls.div_ceil(8) {
        let batch: Vec<ToolCall> = (0..8.min(calls - chunk * 8))
            .map(|i| ToolCall::new(format!("c{chunk}-{i}"), "count_one", "{}"))
            .collect();
        for reply in guard.dispatch(&ctx, &batch).await {
            match reply.outcome {
                Outcome::Success => admitted += 1,
                Outcome::RateLimited { .. } => limited += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
    }
    println!("{admitted} {limited}");
}
