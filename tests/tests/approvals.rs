//! Approvals: decisions (approve, deny, edit, always), their digest, the
//! confirmer timeout, deferred approvals resumed after a JSON round trip,
//! and the terminal and channel confirmers.

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use guard_runtime::{
    ApprovalDigest, ApprovalRequest, CallContext, ChannelConfirmer, ConfirmRequest, Confirmer,
    Decision, DenyReason, FakeClock, FnConfirmer, Guard, Outcome, Risk, TerminalConfirmer,
    ToolCall, secure_tool,
};
use serde_json::json;

/// Transfer money.
#[secure_tool(risk = "high", confirm)]
fn transfer(
    /// Amount in cents.
    #[schemars(range(min = 1, max = 10000))]
    cents: u32,
    to: String,
) -> String {
    format!("sent {cents} to {to}")
}

/// Look something up.
#[secure_tool(risk = "low")]
fn lookup(key: String) -> String {
    format!("value of {key}")
}

const TOOLS: [&str; 2] = ["transfer", "lookup"];

fn transfer_call(id: &str, cents: u32) -> ToolCall {
    ToolCall::new(id, "transfer", format!(r#"{{"cents":{cents},"to":"ada"}}"#))
}

fn confirming(decide: impl Fn(&ConfirmRequest<'_>) -> Decision + Send + Sync + 'static) -> Guard {
    Guard::builder()
        .only(TOOLS)
        .confirmer(FnConfirmer::new(move |req| decide(&req)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn requests_carry_the_digest_and_reason_and_edits_are_checked_again() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let guard = confirming(move |req| {
        log.lock()
            .unwrap()
            .push((req.digest, req.reason.to_owned()));
        match req.arguments["cents"].as_u64() {
            Some(500) => Decision::Edit {
                arguments: json!({"cents": 50, "to": "ada"}),
            },
            Some(600) => Decision::Edit {
                arguments: json!({"cents": 0, "to": "ada"}),
            },
            _ => Decision::Approve,
        }
    });
    let ctx = CallContext::new("a");
    let replies = guard
        .dispatch(
            &ctx,
            &[
                transfer_call("1", 500),
                transfer_call("2", 600),
                transfer_call("3", 7),
            ],
        )
        .await;
    assert_eq!(replies[0].content, "sent 50 to ada");
    assert_eq!(
        replies[1].outcome,
        Outcome::InvalidArguments {
            pointer: "/cents".into(),
            reason: "value is less than the minimum of 1".into(),
        }
    );
    assert_eq!(replies[2].content, "sent 7 to ada");
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0],
        (
            ApprovalDigest::of("transfer", &json!({"to": "ada", "cents": 500})),
            "the tool asks for confirmation".to_owned()
        )
    );
    assert_ne!(seen[0].0, seen[1].0);
}

#[tokio::test]
async fn always_decisions_hold_for_the_tool_in_the_session() {
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let guard = confirming(move |req| {
        count.fetch_add(1, Ordering::SeqCst);
        if req.context.session_id() == Some("yes") {
            Decision::ApproveAlways
        } else {
            Decision::DenyAlways {
                message: Some("never transfers here".into()),
            }
        }
    });
    let yes = CallContext::new("a").session("yes");
    for id in ["1", "2", "3"] {
        assert_eq!(
            guard.dispatch(&yes, &[transfer_call(id, 5)]).await[0].outcome,
            Outcome::Success
        );
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    let no = CallContext::new("a").session("no");
    let declined = Outcome::Denied {
        reason: DenyReason::Declined {
            message: Some("never transfers here".into()),
        },
    };
    for id in ["4", "5"] {
        assert_eq!(
            guard.dispatch(&no, &[transfer_call(id, 5)]).await[0].outcome,
            declined
        );
    }
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

/// A confirmer that never answers.
struct Silent;

impl Confirmer for Silent {
    fn confirm<'a>(
        &'a self,
        _request: ConfirmRequest<'a>,
    ) -> guard_runtime::registry::BoxFuture<'a, Decision> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_confirmer_that_does_not_answer_in_time_denies() {
    let guard = Guard::builder()
        .only(TOOLS)
        .confirmer(Silent)
        .confirm_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let replies = guard
        .dispatch(&CallContext::new("a"), &[transfer_call("1", 5)])
        .await;
    assert_eq!(
        replies[0].outcome,
        Outcome::Denied {
            reason: DenyReason::ConfirmationTimedOut
        }
    );
    assert_eq!(
        replies[0].content,
        r#"{"error":{"kind":"denied","message":"no approver answered in time; the call was not run"}}"#
    );
}

fn deferred(clock: &FakeClock) -> Guard {
    Guard::builder()
        .only(TOOLS)
        .clock(clock.clone())
        .deferred_approvals(Duration::from_secs(600))
        .build()
        .unwrap()
}

fn pending(outcome: &Outcome) -> ApprovalRequest {
    match outcome {
        Outcome::PendingApproval { request } => (**request).clone(),
        other => panic!("not pending: {other:?}"),
    }
}

/// As a web app would: to JSON and back.
fn round_trip(request: &ApprovalRequest) -> ApprovalRequest {
    serde_json::from_str(&serde_json::to_string(request).unwrap()).unwrap()
}

#[tokio::test]
async fn deferred_approvals_park_the_call_and_resume_finishes_it_once() {
    let clock = FakeClock::new();
    let guard = deferred(&clock);
    let ctx = CallContext::new("shop").session("s1");
    let replies = guard
        .dispatch(
            &ctx,
            &[
                transfer_call("t1", 25),
                ToolCall::new("l1", "lookup", r#"{"key":"k"}"#),
            ],
        )
        .await;
    // The rest of the batch runs; the transfer waits.
    assert_eq!(replies[1].content, "value of k");
    assert!(replies[0].outcome.is_pending());
    assert_eq!(replies[0].content, "");
    let request = pending(&replies[0].outcome);
    assert_eq!(request.call_id, "t1");
    assert_eq!(request.tool, "transfer");
    assert_eq!(request.risk, Risk::High);
    assert_eq!(request.arguments, r#"{"cents":25,"to":"ada"}"#);
    assert_eq!(
        request.digest,
        ApprovalDigest::of("transfer", &json!({"cents": 25, "to": "ada"}))
    );

    let done = guard
        .resume(&ctx, [(round_trip(&request), Decision::Approve)])
        .await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].tool_call_id, "t1");
    assert_eq!(done[0].content, "sent 25 to ada");
    // Answered once: the same request again gets no reply.
    assert!(
        guard
            .resume(&ctx, [(request, Decision::Approve)])
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn tampered_foreign_and_expired_requests_are_refused() {
    let clock = FakeClock::new();
    let guard = deferred(&clock);
    let ctx = CallContext::new("shop").session("s1");
    let park = |id: &'static str| {
        let guard = guard.clone();
        let ctx = ctx.clone();
        async move { pending(&guard.dispatch(&ctx, &[transfer_call(id, 25)]).await[0].outcome) }
    };
    let mismatch = Outcome::Denied {
        reason: DenyReason::ApprovalMismatch,
    };

    let mut tampered = park("a").await;
    tampered.arguments = r#"{"cents":9999,"to":"eve"}"#.into();
    let done = guard.resume(&ctx, [(tampered, Decision::Approve)]).await;
    assert_eq!(
        (done[0].tool_call_id.as_str(), &done[0].outcome),
        ("a", &mismatch)
    );

    let mut other_digest = park("b").await;
    other_digest.digest = ApprovalDigest::of("transfer", &json!({"cents": 1, "to": "ada"}));
    let done = guard
        .resume(&ctx, [(other_digest, Decision::Approve)])
        .await;
    assert_eq!(done[0].outcome, mismatch);

    let foreign = park("c").await;
    let done = guard
        .resume(
            &CallContext::new("shop").session("s2"),
            [(foreign, Decision::Approve)],
        )
        .await;
    assert_eq!(done[0].outcome, mismatch);

    let late = park("d").await;
    clock.advance(Duration::from_secs(601));
    let done = guard.resume(&ctx, [(late, Decision::Approve)]).await;
    assert_eq!(
        done[0].outcome,
        Outcome::Denied {
            reason: DenyReason::ApprovalExpired
        }
    );
}

#[tokio::test]
async fn resumed_decisions_can_deny_or_edit() {
    let clock = FakeClock::new();
    let guard = deferred(&clock);
    let ctx = CallContext::new("shop");
    let replies = guard
        .dispatch(
            &ctx,
            &[
                transfer_call("x", 25),
                transfer_call("y", 30),
                transfer_call("z", 35),
            ],
        )
        .await;
    let [x, y, z] = [0, 1, 2].map(|i| pending(&replies[i].outcome));
    let done = guard
        .resume(
            &ctx,
            [
                (x, Decision::deny("too much")),
                (
                    y,
                    Decision::Edit {
                        arguments: json!({"cents": 3, "to": "ada"}),
                    },
                ),
                (
                    z,
                    Decision::Edit {
                        arguments: json!({"cents": 3, "to": "ada", "memo": "x"}),
                    },
                ),
            ],
        )
        .await;
    let by_id = |id: &str| done.iter().find(|r| r.tool_call_id == id).unwrap();
    assert_eq!(
        by_id("x").outcome,
        Outcome::Denied {
            reason: DenyReason::Declined {
                message: Some("too much".into())
            }
        }
    );
    assert_eq!(by_id("y").content, "sent 3 to ada");
    assert!(matches!(
        by_id("z").outcome,
        Outcome::InvalidArguments { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_confirmer_defaults_to_no_and_shows_clean_arguments() {
    let args = json!({"to": "ada\u{1b}[2J", "key": "AKIAQ3EGRT5HYX2ZABCD"});
    let ctx = CallContext::new("agent");
    let ask = |answer: &str| {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let confirmer = TerminalConfirmer::with_io(
            Cursor::new(answer.as_bytes().to_vec()),
            SharedWriter(shown.clone()),
        );
        (confirmer, shown)
    };
    for (answer, expected) in [
        ("y\n", Decision::Approve),
        ("YES\n", Decision::Approve),
        ("a\n", Decision::ApproveAlways),
        (
            "v\n",
            Decision::DenyAlways {
                message: Some("the user declined this tool for this session".into()),
            },
        ),
        ("\n", Decision::deny("the user declined this call")),
        ("", Decision::deny("the user declined this call")),
        ("maybe\n", Decision::deny("the user declined this call")),
    ] {
        let (confirmer, shown) = ask(answer);
        let request = ConfirmRequest::new("c1", "transfer", Risk::High, &args, &ctx);
        assert_eq!(confirmer.confirm(request).await, expected, "{answer:?}");
        let prompt = String::from_utf8(shown.lock().unwrap().clone()).unwrap();
        assert!(
            prompt.contains("`transfer` (risk high; tool asks for confirmation)"),
            "{prompt}"
        );
        assert!(
            !prompt.contains('\u{1b}'),
            "escape sequences are removed: {prompt:?}"
        );
        assert!(
            !prompt.contains("AKIAQ3EGRT5HYX2ZABCD"),
            "credentials are redacted: {prompt}"
        );
    }
}

/// A writer the test can read back.
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_channel_confirmer_waits_for_the_ui_and_fails_closed() {
    let (confirmer, mut requests) = ChannelConfirmer::new(4);
    let guard = Guard::builder()
        .only(TOOLS)
        .confirmer(confirmer)
        .build()
        .unwrap();
    let ui = tokio::spawn(async move {
        let first = requests.recv().await.unwrap();
        assert_eq!(first.tool, "transfer");
        assert_eq!(first.arguments, json!({"cents": 5, "to": "ada"}));
        first.decide(Decision::Approve);
        // The second is dropped unanswered: denied.
        drop(requests.recv().await.unwrap());
    });
    let ctx = CallContext::new("a");
    assert_eq!(
        guard.dispatch(&ctx, &[transfer_call("1", 5)]).await[0].content,
        "sent 5 to ada"
    );
    assert_eq!(
        guard.dispatch(&ctx, &[transfer_call("2", 5)]).await[0].outcome,
        Outcome::Denied {
            reason: DenyReason::Declined {
                message: Some("the approver did not answer".into())
            }
        }
    );
    ui.await.unwrap();
}

/// Read the vault; needs a person's approval.
#[secure_tool(risk = "medium", confirm, source = "secrets")]
fn open_vault(name: String) -> String {
    format!("secret {name}")
}

/// Post to the web.
#[secure_tool(risk = "low", sink = "external")]
fn post(text: String) -> String {
    format!("posted {}", text.len())
}

#[tokio::test]
async fn a_pending_call_keeps_its_quota_place_and_taints_the_session_once_resumed() {
    let policy = guard_runtime::policy::Policy::from_str(
        "[quotas]\nsession_calls_per_tool = 1\n[[flows]]\nfrom = \"secrets\"\nto = \"external\"\nwindow = \"session\"\n",
        guard_runtime::policy::Format::Toml,
    )
    .unwrap();
    let guard = Guard::builder()
        .only(["open_vault", "post"])
        .policy(policy)
        .deferred_approvals(Duration::from_secs(60))
        .build()
        .unwrap();
    let ctx = CallContext::new("a").session("s");
    let open = |id: &str| ToolCall::new(id, "open_vault", r#"{"name":"db"}"#);
    let request = pending(&guard.dispatch(&ctx, &[open("v1")]).await[0].outcome);
    // The pending call holds the tool's only place in this session.
    assert_eq!(
        guard.dispatch(&ctx, &[open("v2")]).await[0].outcome,
        Outcome::Denied {
            reason: DenyReason::Quota {
                quota: "session_calls_per_tool".into(),
                limit: 1
            }
        }
    );
    // Posting is fine until the secret is actually read.
    let post_call = |id: &str| ToolCall::new(id, "post", r#"{"text":"hello"}"#);
    assert_eq!(
        guard.dispatch(&ctx, &[post_call("p1")]).await[0].outcome,
        Outcome::Success
    );
    let done = guard.resume(&ctx, [(request, Decision::Approve)]).await;
    assert_eq!(done[0].content, "secret db");
    assert_eq!(
        guard.dispatch(&ctx, &[post_call("p2")]).await[0].outcome,
        Outcome::Denied {
            reason: DenyReason::Flow {
                rule: "secrets->external".into()
            }
        }
    );
}

#[tokio::test]
async fn a_declined_call_gives_its_quota_place_back_and_replies_keep_the_decisions_order() {
    let policy = guard_runtime::policy::Policy::from_str(
        "[quotas]\nsession_calls_per_tool = 2\n",
        guard_runtime::policy::Format::Toml,
    )
    .unwrap();
    let guard = Guard::builder()
        .only(["open_vault"])
        .policy(policy)
        .deferred_approvals(Duration::from_secs(60))
        .build()
        .unwrap();
    let ctx = CallContext::new("a").session("s");
    let open =
        |id: &str, name: &str| ToolCall::new(id, "open_vault", format!(r#"{{"name":"{name}"}}"#));
    let parked = guard
        .dispatch(&ctx, &[open("v1", "db"), open("v2", "mail")])
        .await;
    let (first, second) = (pending(&parked[0].outcome), pending(&parked[1].outcome));
    // Both places are held while the calls wait.
    assert_eq!(
        guard.dispatch(&ctx, &[open("v3", "x")]).await[0].outcome,
        Outcome::Denied {
            reason: DenyReason::Quota {
                quota: "session_calls_per_tool".into(),
                limit: 2
            }
        }
    );
    // The approved call comes first, as decided, though it runs after the
    // declined one is answered.
    let done = guard
        .resume(
            &ctx,
            [
                (first, Decision::Approve),
                (
                    second,
                    Decision::Deny {
                        message: Some("no".into()),
                    },
                ),
            ],
        )
        .await;
    let ids: Vec<&str> = done.iter().map(|r| r.tool_call_id.as_str()).collect();
    assert_eq!(ids, ["v1", "v2"]);
    assert_eq!(done[0].content, "secret db");
    assert_eq!(done[1].outcome.kind(), "denied");
    // The declined call's place is free again; the approved one keeps its own.
    assert_eq!(
        guard.dispatch(&ctx, &[open("v4", "y")]).await[0]
            .outcome
            .kind(),
        "pending_approval"
    );
    assert_eq!(
        guard.dispatch(&ctx, &[open("v5", "z")]).await[0]
            .outcome
            .kind(),
        "denied"
    );
}
