//! Tools that overrun: cancelled (async) or abandoned and counted (blocking),
//! answered with a Failed reply; the guard keeps working.

use std::time::Duration;

use guard_runtime::{CallContext, FailReason, Guard, Outcome, ToolCall, secure_tool};

/// Sleeps asynchronously.
#[secure_tool(timeout = "200ms")]
async fn slow_async(millis: u64) -> String {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    "done".into()
}

/// Sleeps on a blocking thread.
#[secure_tool(timeout = "200ms")]
fn slow_blocking(millis: u64) -> String {
    std::thread::sleep(Duration::from_millis(millis));
    "done".into()
}

/// Sleeps, with the guard's default timeout.
#[secure_tool]
async fn slow_default(millis: u64) -> String {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    "done".into()
}

fn call(name: &str, millis: u64) -> ToolCall {
    ToolCall::new(
        format!("{name}-{millis}"),
        name,
        format!(r#"{{"millis":{millis}}}"#),
    )
}

#[tokio::test]
async fn late_tools_fail_with_a_timeout_and_blocking_ones_are_counted() {
    let guard = Guard::builder()
        .default_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let ctx = CallContext::new("a");
    assert_eq!(
        guard.tool("slow_async").unwrap().timeout(),
        Some(Duration::from_millis(200))
    );
    assert_eq!(guard.tool("slow_default").unwrap().timeout(), None);

    let replies = guard
        .dispatch(
            &ctx,
            &[
                call("slow_async", 5_000),
                call("slow_blocking", 1_000),
                call("slow_default", 5_000),
            ],
        )
        .await;
    for reply in &replies {
        assert_eq!(
            reply.outcome,
            Outcome::Failed {
                reason: FailReason::TimedOut
            },
            "{}",
            reply.tool_call_id
        );
        assert_eq!(
            reply.content,
            r#"{"error":{"kind":"failed","message":"the tool did not finish in time"}}"#
        );
    }
    assert_eq!(guard.detached_tasks(), 1);

    let fast = guard
        .dispatch(&ctx, &[call("slow_async", 0), call("slow_blocking", 0)])
        .await;
    assert!(fast.iter().all(|r| r.content == "done"), "{fast:?}");
}

static RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts how many of its calls run at once.
#[secure_tool]
async fn counted() -> &'static str {
    use std::sync::atomic::Ordering::SeqCst;
    let now = RUNNING.fetch_add(1, SeqCst) + 1;
    PEAK.fetch_max(now, SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    RUNNING.fetch_sub(1, SeqCst);
    "ok"
}

#[tokio::test]
async fn concurrency_limits_hold_and_unknown_tools_fail_the_build() {
    use std::sync::atomic::Ordering::SeqCst;
    let batch: Vec<ToolCall> = (0..6)
        .map(|i| ToolCall::new(format!("c{i}"), "counted", "{}"))
        .collect();
    let ctx = CallContext::new("a");

    let unlimited = Guard::builder().build().unwrap();
    assert!(
        unlimited
            .dispatch(&ctx, &batch)
            .await
            .iter()
            .all(|r| r.content == "ok")
    );
    assert_eq!(PEAK.swap(0, SeqCst), 6);

    let per_tool = Guard::builder()
        .tool_concurrency("counted", 2)
        .build()
        .unwrap();
    assert!(
        per_tool
            .dispatch(&ctx, &batch)
            .await
            .iter()
            .all(|r| r.content == "ok")
    );
    assert_eq!(PEAK.swap(0, SeqCst), 2);

    let global = Guard::builder().max_concurrent_calls(3).build().unwrap();
    assert!(
        global
            .dispatch(&ctx, &batch)
            .await
            .iter()
            .all(|r| r.content == "ok")
    );
    assert_eq!(PEAK.swap(0, SeqCst), 3);

    assert_eq!(
        Guard::builder()
            .tool_concurrency("nope", 1)
            .build()
            .unwrap_err(),
        guard_runtime::BuildError::UnknownTool {
            name: "nope".into()
        }
    );
}

/// Returns at once, on a blocking thread.
#[secure_tool]
fn quick_plain() -> &'static str {
    "quick"
}

#[tokio::test]
async fn a_late_async_tool_times_out_in_every_mixed_batch() {
    let guard = Guard::builder().build().unwrap();
    let ctx = CallContext::new("a");
    let quick = ToolCall::new("q", "quick_plain", "{}");
    for round in 0..100 {
        let batch = if round % 2 == 0 {
            vec![call("slow_async", 700), quick.clone()]
        } else {
            vec![quick.clone(), call("slow_async", 700), quick.clone()]
        };
        let started = std::time::Instant::now();
        let replies = guard.dispatch(&ctx, &batch).await;
        let slow = replies
            .iter()
            .find(|r| r.tool_call_id == "slow_async-700")
            .unwrap();
        assert_eq!(
            slow.outcome,
            Outcome::Failed {
                reason: FailReason::TimedOut
            },
            "round {round} after {:?}",
            started.elapsed()
        );
    }
}

/// Waits for a long job.
#[secure_tool(timeout = "1h")]
fn long_job() -> &'static str {
    "done"
}

#[test]
fn the_attribute_and_the_policy_read_durations_alike() {
    let guard = Guard::builder().build().unwrap();
    assert_eq!(
        guard.tool("long_job").unwrap().timeout(),
        Some(Duration::from_secs(3600))
    );
    for (text, ok) in [
        ("500ms", true),
        ("5s", true),
        ("2m", true),
        ("1h", true),
        ("5", false),
        ("0s", false),
        ("1d", false),
    ] {
        let policy = format!("[tools.long_job]\ntimeout = \"{text}\"\n");
        let parsed =
            guard_runtime::policy::Policy::from_str(&policy, guard_runtime::policy::Format::Toml);
        assert_eq!(parsed.is_ok(), ok, "{text}");
    }
}
