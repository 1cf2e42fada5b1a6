//! Policies end to end: which agent may call what, roles, the stricter-wins
//! rule, quotas, all-or-nothing batches, turn concurrency, data-flow rules
//! and hot reload. Every refusal is asserted exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use guard_runtime::policy::{Format, Policy};
use guard_runtime::{
    CallContext, Decision, DenyReason, FakeClock, FnConfirmer, Guard, MemorySink, Outcome,
    ToolCall, ToolReply, secure_tool,
};

/// Search the catalogue.
#[secure_tool(risk = "low")]
fn search(query: String) -> String {
    format!("results for {query}")
}

/// Read the vault.
#[secure_tool(risk = "medium", source = "secrets")]
fn read_secret(name: String) -> String {
    format!("secret {name}")
}

/// Send an email to anyone.
#[secure_tool(risk = "medium", sink = ["external", "email"])]
fn send_email(to: String) -> String {
    format!("sent to {to}")
}

/// Refund an order.
#[secure_tool(risk = "medium", roles = ["support", "admin"], rate = 100)]
fn refund(order: u64) -> String {
    format!("refunded {order}")
}

/// Drop the whole database.
#[secure_tool(risk = "critical")]
fn drop_database() -> String {
    "dropped".to_owned()
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Wait a little, recording how many calls run at once.
#[secure_tool(risk = "low")]
async fn slow(ms: u64) -> String {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    "done".to_owned()
}

/// Wait a little (for the hot-reload test; `slow` counts its own overlap).
#[secure_tool(risk = "low")]
async fn nap(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "rested".to_owned()
}

static RUNNING_HIGH: AtomicUsize = AtomicUsize::new(0);
static PEAK_HIGH: AtomicUsize = AtomicUsize::new(0);

/// Deploy, a high-risk step that must not overlap another.
#[secure_tool(risk = "high")]
async fn deploy(ms: u64) -> String {
    let now = RUNNING_HIGH.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK_HIGH.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    RUNNING_HIGH.fetch_sub(1, Ordering::SeqCst);
    "deployed".to_owned()
}

const TOOLS: [&str; 8] = [
    "nap",
    "search",
    "read_secret",
    "send_email",
    "refund",
    "drop_database",
    "slow",
    "deploy",
];

fn policy(text: &str) -> Policy {
    Policy::from_str(text, Format::Toml).unwrap()
}

fn guard(text: &str) -> Guard {
    Guard::builder()
        .only(TOOLS)
        .policy(policy(text))
        .build()
        .unwrap()
}

fn call(id: &str, name: &str, args: &str) -> ToolCall {
    ToolCall::new(id, name, args)
}

async fn run(guard: &Guard, ctx: &CallContext, calls: &[ToolCall]) -> Vec<Outcome> {
    guard
        .dispatch(ctx, calls)
        .await
        .into_iter()
        .map(|r: ToolReply| r.outcome)
        .collect()
}

fn denied(reason: DenyReason) -> Outcome {
    Outcome::Denied { reason }
}

fn exported(guard: &Guard, ctx: &CallContext) -> Vec<String> {
    guard
        .openai_tools_for(ctx)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect()
}

const AGENTS: &str = r#"
[agents.default]
allow = ["search"]

[agents.support]
allow = ["search", "refund", "send_*"]
deny = ["send_email"]

[agents.ops]
allow = ["*"]
deny = ["drop_*"]
"#;

#[tokio::test]
async fn a_tool_the_policy_denies_is_neither_exported_nor_callable() {
    let guard = guard(AGENTS);
    let support = CallContext::new("support").roles(["support"]);
    assert_eq!(exported(&guard, &support), ["refund", "search"]);
    assert_eq!(
        exported(&guard, &CallContext::new("ops").roles(["admin"])),
        [
            "deploy",
            "nap",
            "read_secret",
            "refund",
            "search",
            "send_email",
            "slow"
        ]
    );
    // Agents without a section get the default one.
    assert_eq!(exported(&guard, &CallContext::new("stranger")), ["search"]);

    let outcomes = run(
        &guard,
        &support,
        &[
            call("1", "search", r#"{"query":"shoes"}"#),
            call("2", "send_email", r#"{"to":"a@b.c"}"#),
            call("3", "read_secret", r#"{"name":"db"}"#),
        ],
    )
    .await;
    assert_eq!(
        outcomes,
        [
            Outcome::Success,
            // Deny wins over the matching allow glob.
            denied(DenyReason::NotAllowed {
                section: "support".into(),
                rule: "deny \"send_email\"".into(),
            }),
            denied(DenyReason::NotAllowed {
                section: "support".into(),
                rule: "not in allow".into(),
            }),
        ]
    );
    let stranger = run(
        &guard,
        &CallContext::new("stranger"),
        &[call("1", "drop_database", "{}")],
    )
    .await;
    assert_eq!(
        stranger,
        [denied(DenyReason::NotAllowed {
            section: "default".into(),
            rule: "not in allow".into(),
        })]
    );
    let reply = &guard
        .dispatch(&support, &[call("x", "send_email", r#"{"to":"a@b.c"}"#)])
        .await[0];
    assert_eq!(
        reply.content,
        r#"{"error":{"kind":"denied","message":"this tool is not available to this agent"}}"#
    );
}

#[tokio::test]
async fn roles_from_the_attribute_and_the_policy_must_both_be_met() {
    let refund = [call("1", "refund", r#"{"order":7}"#)];
    let open = guard("");
    let missing = denied(DenyReason::MissingRole {
        any_of: vec!["support".into(), "admin".into()],
    });
    assert_eq!(run(&open, &CallContext::new("a"), &refund).await, [missing]);
    assert_eq!(
        run(&open, &CallContext::new("a").roles(["support"]), &refund).await,
        [Outcome::Success]
    );
    // A caller without the role does not see the tool either.
    assert!(!exported(&open, &CallContext::new("a")).contains(&"refund".to_owned()));

    // Stricter wins: the policy's list comes on top of the attribute's.
    let stricter = guard("[tools.refund]\nroles = [\"finance\"]\n");
    assert_eq!(
        run(
            &stricter,
            &CallContext::new("a").roles(["support"]),
            &refund
        )
        .await,
        [denied(DenyReason::MissingRole {
            any_of: vec!["finance".into()],
        })]
    );
    assert_eq!(
        run(
            &stricter,
            &CallContext::new("a").roles(["support", "finance"]),
            &refund
        )
        .await,
        [Outcome::Success]
    );
    // `override = true` replaces the attribute's list.
    let relaxed = guard("[tools.refund]\nroles = [\"finance\"]\noverride = true\n");
    assert_eq!(
        run(&relaxed, &CallContext::new("a").roles(["finance"]), &refund).await,
        [Outcome::Success]
    );
}

#[tokio::test]
async fn critical_tools_and_policy_confirm_need_an_approver() {
    let open = guard("");
    let ctx = CallContext::new("ops");
    // Critical risk needs confirmation by default (confirm_risk = critical).
    assert_eq!(
        run(&open, &ctx, &[call("1", "drop_database", "{}")]).await,
        [denied(DenyReason::NoConfirmer)]
    );
    // Raising a tool's risk in the policy (stricter wins) brings it under
    // confirm_risk too; lowering it needs `override`.
    let raised = guard("confirm_risk = \"high\"\n[tools.search]\nrisk = \"high\"\n");
    assert_eq!(
        run(&raised, &ctx, &[call("1", "search", r#"{"query":"x"}"#)]).await,
        [denied(DenyReason::NoConfirmer)]
    );
    let lowered = guard("[tools.drop_database]\nrisk = \"low\"\n");
    assert_eq!(
        run(&lowered, &ctx, &[call("1", "drop_database", "{}")]).await,
        [denied(DenyReason::NoConfirmer)]
    );
    let overridden = guard("[tools.drop_database]\nrisk = \"low\"\noverride = true\n");
    assert_eq!(
        run(&overridden, &ctx, &[call("1", "drop_database", "{}")]).await,
        [Outcome::Success]
    );
    // `confirm = true` in an agent's section, approved by the confirmer.
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let confirming = Guard::builder()
        .only(TOOLS)
        .policy(policy("[agents.ops.tools.search]\nconfirm = true\n"))
        .confirmer(FnConfirmer::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            Decision::Approve
        }))
        .build()
        .unwrap();
    assert_eq!(
        run(
            &confirming,
            &ctx,
            &[call("1", "search", r#"{"query":"x"}"#)]
        )
        .await,
        [Outcome::Success]
    );
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    // Another agent's calls are not affected.
    assert_eq!(
        run(
            &confirming,
            &CallContext::new("support"),
            &[call("1", "search", r#"{"query":"x"}"#)]
        )
        .await,
        [Outcome::Success]
    );
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn rates_combine_and_override_replaces_the_attribute_rate() {
    let clock = FakeClock::new();
    let limited = Guard::builder()
        .only(TOOLS)
        .clock(clock.clone())
        .policy(policy("[tools.refund]\nrate = 2\n"))
        .build()
        .unwrap();
    let ctx = CallContext::new("a").roles(["admin"]);
    let refund = [call("1", "refund", r#"{"order":7}"#)];
    assert_eq!(run(&limited, &ctx, &refund).await, [Outcome::Success]);
    assert_eq!(run(&limited, &ctx, &refund).await, [Outcome::Success]);
    // The policy's 2 per minute is stricter than the attribute's 100.
    assert_eq!(
        run(&limited, &ctx, &refund).await,
        [Outcome::RateLimited {
            retry_after: Duration::from_secs(30)
        }]
    );
    clock.advance(Duration::from_secs(30));
    assert_eq!(run(&limited, &ctx, &refund).await, [Outcome::Success]);
}

#[tokio::test]
async fn turn_and_session_quotas_are_reached_exactly() {
    let guard = guard("[quotas]\nturn_calls = 3\nsession_calls = 5\nsession_calls_per_tool = 4\n");
    let ctx = CallContext::new("a").session("s1");
    let searches: Vec<ToolCall> = (0..4)
        .map(|i| call(&format!("c{i}"), "search", r#"{"query":"x"}"#))
        .collect();
    let turn = denied(DenyReason::Quota {
        quota: "turn_calls".into(),
        limit: 3,
    });
    assert_eq!(
        run(&guard, &ctx, &searches).await,
        [Outcome::Success, Outcome::Success, Outcome::Success, turn]
    );
    // Three used; the fourth search is the last one allowed for the tool.
    assert_eq!(
        run(&guard, &ctx, &searches[..2]).await,
        [
            Outcome::Success,
            denied(DenyReason::Quota {
                quota: "session_calls_per_tool".into(),
                limit: 4,
            })
        ]
    );
    assert_eq!(
        run(
            &guard,
            &ctx,
            &[
                call("e", "send_email", r#"{"to":"x"}"#),
                call("f", "send_email", r#"{"to":"y"}"#)
            ]
        )
        .await,
        [
            Outcome::Success,
            denied(DenyReason::Quota {
                quota: "session_calls".into(),
                limit: 5,
            })
        ]
    );
    // Another session starts afresh.
    assert_eq!(
        run(&guard, &CallContext::new("a").session("s2"), &searches[..1]).await,
        [Outcome::Success]
    );
    // Refused calls do not use up the quota.
    let fresh = CallContext::new("a").session("s3");
    let invalid = call("bad", "search", r#"{"query":1}"#);
    for _ in 0..6 {
        run(&guard, &fresh, std::slice::from_ref(&invalid)).await;
    }
    assert_eq!(
        run(&guard, &fresh, &searches[..3]).await,
        vec![Outcome::Success; 3]
    );
}

#[tokio::test]
async fn per_user_calls_per_minute_span_sessions() {
    let clock = FakeClock::new();
    let guard = Guard::builder()
        .only(TOOLS)
        .clock(clock.clone())
        .policy(policy("[quotas]\nuser_calls_per_minute = 2\n"))
        .build()
        .unwrap();
    let search = [call("1", "search", r#"{"query":"x"}"#)];
    let in_session = |s: &str| CallContext::new("a").user("u1").session(s);
    assert_eq!(
        run(&guard, &in_session("s1"), &search).await,
        [Outcome::Success]
    );
    assert_eq!(
        run(&guard, &in_session("s2"), &search).await,
        [Outcome::Success]
    );
    assert_eq!(
        run(&guard, &in_session("s3"), &search).await,
        [Outcome::RateLimited {
            retry_after: Duration::from_secs(30)
        }]
    );
    let other_user = CallContext::new("a").user("u2");
    assert_eq!(run(&guard, &other_user, &search).await, [Outcome::Success]);
}

#[tokio::test]
async fn all_or_nothing_refuses_the_whole_batch_with_a_reason_per_call() {
    let guard = guard("batch = \"all_or_nothing\"\n");
    let ctx = CallContext::new("a");
    let replies = guard
        .dispatch(
            &ctx,
            &[
                call("ok-1", "search", r#"{"query":"x"}"#),
                call("bad", "search", r#"{"query":5}"#),
                call("ok-2", "send_email", r#"{"to":"x"}"#),
            ],
        )
        .await;
    let batch = denied(DenyReason::Batch {
        refused_call: "bad".into(),
    });
    assert_eq!(replies[0].outcome, batch);
    assert!(matches!(
        replies[1].outcome,
        Outcome::InvalidArguments { .. }
    ));
    assert_eq!(replies[2].outcome, batch);
    assert_eq!(
        replies[0].content,
        r#"{"error":{"kind":"denied","message":"not run: the policy refuses the whole batch because call `bad` was refused"}}"#
    );
    // A clean batch runs.
    assert_eq!(
        run(
            &guard,
            &ctx,
            &[
                call("1", "search", r#"{"query":"x"}"#),
                call("2", "search", r#"{"query":"y"}"#)
            ]
        )
        .await,
        [Outcome::Success, Outcome::Success]
    );
    // Per-call mode (the default) runs what passes.
    let per_call = self::guard("");
    assert_eq!(
        run(
            &per_call,
            &ctx,
            &[
                call("1", "search", r#"{"query":"x"}"#),
                call("2", "search", r#"{"query":2}"#)
            ]
        )
        .await[0],
        Outcome::Success
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn max_parallel_and_high_risk_calls_run_one_at_a_time() {
    let guard = guard("max_parallel = 2\n");
    let ctx = CallContext::new("ops");
    let slow: Vec<ToolCall> = (0..5)
        .map(|i| call(&format!("s{i}"), "slow", r#"{"ms":40}"#))
        .collect();
    assert_eq!(run(&guard, &ctx, &slow).await, vec![Outcome::Success; 5]);
    assert_eq!(PEAK.load(Ordering::SeqCst), 2);

    let open = self::guard("");
    let deploys: Vec<ToolCall> = (0..3)
        .map(|i| call(&format!("d{i}"), "deploy", r#"{"ms":30}"#))
        .collect();
    assert_eq!(run(&open, &ctx, &deploys).await, vec![Outcome::Success; 3]);
    assert_eq!(PEAK_HIGH.load(Ordering::SeqCst), 1);
}

const FLOWS: &str = r#"
[[flows]]
id = "no-exfiltration"
from = "secrets"
to = "external"
action = "block"
window = "session"
"#;

#[tokio::test]
async fn secrets_to_external_is_blocked_in_one_batch_and_across_turns() {
    let audit = MemorySink::new();
    let guard = Guard::builder()
        .only(TOOLS)
        .policy(policy(FLOWS))
        .audit(audit.clone())
        .build()
        .unwrap();
    let ctx = CallContext::new("a").session("s1");
    let rule = denied(DenyReason::Flow {
        rule: "no-exfiltration".into(),
    });
    // Both in one parallel batch: neither runs.
    assert_eq!(
        run(
            &guard,
            &ctx,
            &[
                call("1", "read_secret", r#"{"name":"db"}"#),
                call("2", "send_email", r#"{"to":"x@evil.test"}"#),
                call("3", "search", r#"{"query":"x"}"#),
            ]
        )
        .await,
        [rule.clone(), rule.clone(), Outcome::Success]
    );
    // Sending alone is fine while the session has read no secret.
    assert_eq!(
        run(&guard, &ctx, &[call("4", "send_email", r#"{"to":"x"}"#)]).await,
        [Outcome::Success]
    );
    // After a secret was read, a later turn cannot send it out.
    assert_eq!(
        run(
            &guard,
            &ctx,
            &[call("5", "read_secret", r#"{"name":"db"}"#)]
        )
        .await,
        [Outcome::Success]
    );
    assert_eq!(
        run(&guard, &ctx, &[call("6", "send_email", r#"{"to":"x"}"#)]).await,
        [rule]
    );
    // Another session is not tainted.
    assert_eq!(
        run(
            &guard,
            &CallContext::new("a").session("s2"),
            &[call("7", "send_email", r#"{"to":"x"}"#)]
        )
        .await,
        [Outcome::Success]
    );
    let events = audit.events();
    let sent = events.iter().find(|e| e.call_id == "6").unwrap();
    assert_eq!(&*sent.policy, "default: flow no-exfiltration");
    assert_eq!(
        &*events.iter().find(|e| e.call_id == "3").unwrap().policy,
        "default: allowed"
    );
}

#[tokio::test]
async fn a_timed_window_forgets_old_sources_and_turn_windows_look_at_one_batch() {
    let clock = FakeClock::new();
    let guard = Guard::builder()
        .only(TOOLS)
        .clock(clock.clone())
        .policy(policy(
            "[[flows]]\nfrom = \"secrets\"\nto = \"external\"\nwindow = \"10m\"\n",
        ))
        .build()
        .unwrap();
    let ctx = CallContext::new("a").session("s1");
    let rule = denied(DenyReason::Flow {
        rule: "secrets->external".into(),
    });
    run(
        &guard,
        &ctx,
        &[call("1", "read_secret", r#"{"name":"db"}"#)],
    )
    .await;
    clock.advance(Duration::from_secs(9 * 60));
    assert_eq!(
        run(&guard, &ctx, &[call("2", "send_email", r#"{"to":"x"}"#)]).await,
        [rule]
    );
    clock.advance(Duration::from_secs(2 * 60));
    assert_eq!(
        run(&guard, &ctx, &[call("3", "send_email", r#"{"to":"x"}"#)]).await,
        [Outcome::Success]
    );

    let per_turn =
        self::guard("[[flows]]\nfrom = \"secrets\"\nto = \"email\"\nwindow = \"turn\"\n");
    run(
        &per_turn,
        &ctx,
        &[call("1", "read_secret", r#"{"name":"db"}"#)],
    )
    .await;
    assert_eq!(
        run(&per_turn, &ctx, &[call("2", "send_email", r#"{"to":"x"}"#)]).await,
        [Outcome::Success]
    );
}

#[tokio::test]
async fn flow_rules_can_confirm_or_log_instead() {
    let audit = MemorySink::new();
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let guard = Guard::builder()
        .only(TOOLS)
        .policy(policy(
            r#"
[[flows]]
id = "ask"
from = "secrets"
to = "email"
action = "confirm"

[[flows]]
id = "note"
from = "secrets"
to = "external"
action = "log"
"#,
        ))
        .confirmer(FnConfirmer::new(move |req| {
            counter.fetch_add(1, Ordering::SeqCst);
            assert_eq!(req.tool, "send_email");
            Decision::deny("not to strangers")
        }))
        .audit(audit.clone())
        .build()
        .unwrap();
    let ctx = CallContext::new("a");
    assert_eq!(
        run(
            &guard,
            &ctx,
            &[
                call("1", "read_secret", r#"{"name":"db"}"#),
                call("2", "send_email", r#"{"to":"x"}"#)
            ]
        )
        .await,
        [
            Outcome::Success,
            denied(DenyReason::Declined {
                message: Some("not to strangers".into())
            })
        ]
    );
    assert_eq!(asked.load(Ordering::SeqCst), 1);

    let logging = Guard::builder()
        .only(TOOLS)
        .policy(policy(
            "[[flows]]\nid = \"note\"\nfrom = \"secrets\"\nto = \"external\"\naction = \"log\"\n",
        ))
        .audit(audit.clone())
        .build()
        .unwrap();
    assert_eq!(
        run(
            &logging,
            &ctx,
            &[
                call("l1", "read_secret", r#"{"name":"db"}"#),
                call("l2", "send_email", r#"{"to":"x"}"#)
            ]
        )
        .await,
        [Outcome::Success, Outcome::Success]
    );
    let events = audit.events();
    assert_eq!(
        &*events.iter().find(|e| e.call_id == "l2").unwrap().policy,
        "default: flow note logged"
    );
}

#[tokio::test]
async fn policy_labels_tools_it_cannot_annotate() {
    let guard = guard(
        "[tools.search]\nsink = [\"external\"]\n[[flows]]\nfrom = \"secrets\"\nto = \"external\"\n",
    );
    assert_eq!(
        run(
            &guard,
            &CallContext::new("a"),
            &[
                call("1", "read_secret", r#"{"name":"db"}"#),
                call("2", "search", r#"{"query":"db password"}"#)
            ]
        )
        .await,
        [
            denied(DenyReason::Flow {
                rule: "secrets->external".into()
            }),
            denied(DenyReason::Flow {
                rule: "secrets->external".into()
            })
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_policy_swaps_without_touching_calls_in_flight() {
    let guard = guard("");
    let ctx = CallContext::new("ops");
    let in_flight = {
        let guard = guard.clone();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            guard
                .dispatch(&ctx, &[call("1", "nap", r#"{"ms":150}"#)])
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    guard
        .set_policy(policy("[agents.ops]\ndeny = [\"nap\"]\n"))
        .unwrap();
    assert_eq!(in_flight.await.unwrap()[0].outcome, Outcome::Success);
    assert_eq!(
        run(&guard, &ctx, &[call("2", "nap", r#"{"ms":1}"#)]).await,
        [denied(DenyReason::NotAllowed {
            section: "ops".into(),
            rule: "deny \"nap\"".into(),
        })]
    );
    assert!(guard.policy().agent_names().any(|a| a == "ops"));

    // A policy naming a tool the guard lacks is refused; the old one stays.
    let err = guard
        .set_policy(policy("[agents.ops.tools.sarch]\nrate = 1\n"))
        .unwrap_err();
    assert_eq!(err.key(), Some("agents.ops.tools.sarch"));
    assert_eq!(err.message(), "no tool named `sarch` in this guard");
    assert!(matches!(
        run(&guard, &ctx, &[call("3", "nap", r#"{"ms":1}"#)]).await[0],
        Outcome::Denied { .. }
    ));
}

#[tokio::test]
async fn yaml_policies_work_the_same() {
    let yaml =
        Policy::from_str("agents:\n  support:\n    allow: [search]\n", Format::Yaml).unwrap();
    let guard = Guard::builder().only(TOOLS).policy(yaml).build().unwrap();
    assert_eq!(exported(&guard, &CallContext::new("support")), ["search"]);
}

/// Run a report query.
#[secure_tool(risk = "low")]
fn report(
    #[arg(sql(dialect = "postgres", tables = ["orders", "customers"]))] sql: String,
) -> String {
    sql
}

/// Run a program.
#[secure_tool(risk = "low")]
fn run_program(
    #[arg(command(programs = ["ls", "git", "grep"]))] cmd: guard_runtime::validate::Argv,
) -> String {
    cmd.program().to_owned()
}

/// Where a file would be read from.
#[secure_tool(risk = "low")]
fn locate(#[arg(path)] path: guard_runtime::validate::CheckedPath) -> String {
    path.resolved()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

const VALIDATING: [&str; 3] = ["report", "run_program", "locate"];

#[tokio::test]
async fn policy_validator_options_narrow_per_agent() {
    let root = std::env::temp_dir().join(format!("guard-policy-root-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let text = format!(
        r#"
[agents.analyst.tools.report]
sql = {{ tables = ["orders", "users"] }}

[agents.analyst.tools.run_program]
command = {{ programs = ["git", "rm", "grep"], options = {{ grep = ["-n", "-r"] }} }}

[agents.analyst.tools.locate]
path = {{ root = {root:?}, deny = ["*.key"] }}

[agents.admin.tools.report]
sql = {{ tables = ["users"], dialect = "postgres" }}
override = true
"#,
        root = root.display().to_string()
    );
    let guard = Guard::builder()
        .only(VALIDATING)
        .policy(policy(&text))
        .build()
        .unwrap();
    let code = |outcome: &Outcome| match outcome {
        Outcome::Success => "ok".to_owned(),
        Outcome::UnsafeArgument { code, .. } => code.clone(),
        other => format!("{other:?}"),
    };
    let check = |agent: &'static str, tool: &'static str, args: &'static str| {
        let guard = guard.clone();
        async move {
            let replies = guard
                .dispatch(&CallContext::new(agent), &[call("1", tool, args)])
                .await;
            (code(&replies[0].outcome), replies[0].content.clone())
        }
    };
    let customers = r#"{"sql":"SELECT * FROM customers"}"#;
    let orders = r#"{"sql":"SELECT * FROM orders"}"#;
    let users = r#"{"sql":"SELECT * FROM users"}"#;
    // Narrowed: only tables on both lists.
    assert_eq!(check("analyst", "report", orders).await.0, "ok");
    assert_eq!(
        check("analyst", "report", customers).await.0,
        "sql.table_not_allowed"
    );
    assert_eq!(
        check("analyst", "report", users).await.0,
        "sql.table_not_allowed"
    );
    // Other agents keep the attribute's list.
    assert_eq!(check("other", "report", customers).await.0, "ok");
    // `override = true` replaces it.
    assert_eq!(check("admin", "report", users).await.0, "ok");
    assert_eq!(
        check("admin", "report", orders).await.0,
        "sql.table_not_allowed"
    );

    assert_eq!(
        check("analyst", "run_program", r#"{"cmd":"git status"}"#)
            .await
            .0,
        "ok"
    );
    assert_eq!(
        check("analyst", "run_program", r#"{"cmd":"ls -l"}"#)
            .await
            .0,
        "command.not_allowed"
    );
    assert_eq!(
        check("analyst", "run_program", r#"{"cmd":"rm -rf x"}"#)
            .await
            .0,
        "command.not_allowed"
    );
    // The section names the only options grep may get.
    assert_eq!(
        check("analyst", "run_program", r#"{"cmd":"grep -rn TODO src"}"#)
            .await
            .0,
        "ok"
    );
    assert_eq!(
        check(
            "analyst",
            "run_program",
            r#"{"cmd":"grep -rn --pre=x TODO src"}"#
        )
        .await
        .0,
        "command.option_not_allowed"
    );

    let (outcome, content) = check("analyst", "locate", r#"{"path":"notes/a.md"}"#).await;
    assert_eq!(outcome, "ok");
    assert_eq!(content, root.join("notes/a.md").display().to_string());
    assert_eq!(
        check("analyst", "locate", r#"{"path":"id.key"}"#).await.0,
        "path.denied"
    );
    assert_eq!(
        check("other", "locate", r#"{"path":"id.key"}"#).await.0,
        "ok"
    );

    let err = guard
        .set_policy(policy(
            "[agents.x.tools.report]\nsql = { dialect = \"cobol\" }\n",
        ))
        .unwrap_err();
    assert_eq!(err.key(), Some("agents.x.tools.report"));
    assert_eq!(err.message(), "sql.dialect: unknown SQL dialect `cobol`");
    std::fs::remove_dir_all(&root).unwrap();
}

#[tokio::test]
async fn a_policy_timeout_shortens_the_tools_own() {
    let guard = guard("[agents.ops.tools.nap]\ntimeout = \"30ms\"\n");
    let nap = [call("1", "nap", r#"{"ms":2000}"#)];
    assert_eq!(
        run(&guard, &CallContext::new("ops"), &nap).await,
        [Outcome::Failed {
            reason: guard_runtime::FailReason::TimedOut
        }]
    );
    // Another agent keeps the default 30 s: a short nap finishes.
    assert_eq!(
        run(
            &guard,
            &CallContext::new("other"),
            &[call("2", "nap", r#"{"ms":5}"#)]
        )
        .await,
        [Outcome::Success]
    );
}

#[tokio::test]
async fn validate_checks_a_batch_without_running_it_or_using_limits() {
    let guard = guard(&format!(
        "[quotas]\nturn_calls = 1\nsession_calls = 1\n{FLOWS}[tools.search]\nrate = 1\n"
    ));
    let ctx = CallContext::new("a").session("v1");
    let search = call("1", "search", r#"{"query":"x"}"#);
    for _ in 0..3 {
        let verdicts = guard
            .validate(
                &ctx,
                &[
                    search.clone(),
                    call("2", "read_secret", r#"{"name":"db"}"#),
                    call("3", "send_email", r#"{"to":"x"}"#),
                    call("4", "nope", "{}"),
                ],
            )
            .await;
        let rule = denied(DenyReason::Flow {
            rule: "no-exfiltration".into(),
        });
        assert_eq!(
            verdicts,
            [
                Ok(()),
                Err(rule.clone()),
                Err(rule),
                Err(Outcome::UnknownTool {
                    name: "nope".into()
                })
            ]
        );
    }
    // Nothing ran and nothing was used up: the one allowed call still runs.
    assert_eq!(run(&guard, &ctx, &[search]).await, [Outcome::Success]);
}
