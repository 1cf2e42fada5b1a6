//! The JSON Lines audit trail: no record lost under concurrent dispatch,
//! and every kind of tampering found at the right line.

use std::sync::Arc;

use guard_runtime::audit::{ChainError, Durability, JsonlAuditSink, verify};
use guard_runtime::{CallContext, Guard, ToolCall, secure_tool};

/// Echo.
#[secure_tool(risk = "low")]
async fn echo(text: String) -> String {
    text
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("guard-audit-{}-{name}.jsonl", std::process::id()))
}

fn rewrite(path: &std::path::Path, edit: impl FnOnce(&mut Vec<String>)) -> std::path::PathBuf {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    edit(&mut lines);
    let copy = path.with_extension(format!("{}.jsonl", lines.len()));
    std::fs::write(&copy, lines.join("\n") + "\n").unwrap();
    copy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_dispatch_loses_nothing_and_tampering_is_found() {
    let path = temp("chain");
    let _ = std::fs::remove_file(&path);
    let sink = Arc::new(JsonlAuditSink::open(&path, Durability::Flush).unwrap());
    let guard = Guard::builder()
        .only(["echo"])
        .audit(sink.clone())
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|t| {
            let guard = guard.clone();
            tokio::spawn(async move {
                let ctx = CallContext::new(format!("agent-{t}"));
                for i in 0..25 {
                    let calls = [ToolCall::new(
                        format!("{t}-{i}"),
                        "echo",
                        r#"{"text":"hi"}"#,
                    )];
                    guard.dispatch(&ctx, &calls).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(sink.failures(), 0);
    let events = verify(&path).unwrap().unwrap();
    assert_eq!(events.len(), 800);
    let mut ids: Vec<&str> = events
        .iter()
        .map(|e| e["call_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 800, "every call recorded exactly once");

    // Reopening continues the chain.
    drop(guard);
    let reopened = JsonlAuditSink::open(&path, Durability::Sync).unwrap();
    let again = Guard::builder()
        .only(["echo"])
        .audit(reopened)
        .build()
        .unwrap();
    again
        .dispatch(
            &CallContext::new("late"),
            &[ToolCall::new("late", "echo", r#"{"text":"x"}"#)],
        )
        .await;
    assert_eq!(verify(&path).unwrap().unwrap().len(), 801);

    let modified = rewrite(&path, |l| l[99] = l[99].replace("agent-", "agent_"));
    assert_eq!(
        verify(&modified).unwrap().unwrap_err(),
        ChainError::Modified {
            line: 100,
            seq: 100
        }
    );
    let deleted = rewrite(&path, |l| {
        l.remove(10);
    });
    assert_eq!(
        verify(&deleted).unwrap().unwrap_err(),
        ChainError::Deleted {
            line: 11,
            expected: 11,
            found: 12
        }
    );
    let reordered = rewrite(&path, |l| l.swap(20, 21));
    assert_eq!(
        verify(&reordered).unwrap().unwrap_err(),
        ChainError::Deleted {
            line: 21,
            expected: 21,
            found: 22
        }
    );
    let moved_back = rewrite(&path, |l| {
        let line = l.remove(5);
        l.insert(30, line);
    });
    assert_eq!(
        verify(&moved_back).unwrap().unwrap_err(),
        ChainError::Deleted {
            line: 6,
            expected: 6,
            found: 7
        }
    );
    let duplicated = rewrite(&path, |l| {
        let line = l[3].clone();
        l.insert(4, line);
    });
    assert_eq!(
        verify(&duplicated).unwrap().unwrap_err(),
        ChainError::Reordered {
            line: 5,
            expected: 5,
            found: 4
        }
    );
    let truncated = path.with_extension("truncated.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&truncated, &text[..text.len() - 20]).unwrap();
    assert_eq!(
        verify(&truncated).unwrap().unwrap_err(),
        ChainError::Truncated { line: 801 }
    );
    assert_eq!(
        JsonlAuditSink::open(&truncated, Durability::Flush)
            .unwrap_err()
            .kind(),
        std::io::ErrorKind::InvalidData,
        "a truncated trail is not silently extended"
    );
    for file in [
        &path,
        &modified,
        &deleted,
        &reordered,
        &moved_back,
        &duplicated,
        &truncated,
    ] {
        let _ = std::fs::remove_file(file);
    }
}

/// Log in to the mail server.
#[secure_tool(risk = "high")]
async fn mail_login(user: String, #[arg(secret)] password: String, note: String) -> String {
    let _ = password;
    format!("logged in {user}; {note}")
}

#[tokio::test]
async fn audited_content_is_redacted_and_secret_arguments_are_digests() {
    let sink = guard_runtime::MemorySink::new();
    let guard = Guard::builder()
        .only(["mail_login"])
        .audit(sink.clone())
        .audit_content(true)
        .build()
        .unwrap();
    let args = r#"{"user":"ada","password":"hunter2-hunter2","note":"key AKIAQ3EGRT5HYX2ZK7PL"}"#;
    guard
        .dispatch(
            &CallContext::new("a"),
            &[ToolCall::new("1", "mail_login", args)],
        )
        .await;
    let event = sink.take().remove(0);
    let digest = guard_runtime::ArgumentsDigest::of("\"hunter2-hunter2\"");
    assert_eq!(
        event.arguments.as_deref(),
        Some(format!(r#"{{"user":"ada","password":"sha256:{digest}","note":"key [REDACTED:aws_access_key]"}}"#).as_str())
    );
    assert_eq!(
        event.output.as_deref(),
        Some("logged in ada; key [REDACTED:aws_access_key]")
    );
    assert!(!serde_json::to_string(&event).unwrap().contains("hunter2"));

    // The default records the digest only.
    let quiet = Guard::builder()
        .only(["mail_login"])
        .audit(sink.clone())
        .build()
        .unwrap();
    quiet
        .dispatch(
            &CallContext::new("a"),
            &[ToolCall::new("1", "mail_login", args)],
        )
        .await;
    let event = sink.take().remove(0);
    assert_eq!((event.arguments, event.output), (None, None));
}
