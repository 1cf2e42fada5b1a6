//! The `guard check` command: JSON Lines in, one verdict per line out, in order.

use std::io::Write;
use std::process::{Command, Stdio};

fn check(args: &[&str], input: &str) -> (String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guard"))
        .arg("check")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code().unwrap_or(-1),
    )
}

#[test]
fn one_verdict_per_line_in_order() {
    let input = concat!(
        r#"{"value": "docs/guide.md", "label": "ignored"}"#,
        "\n",
        r#"{"value": "../../etc/passwd"}"#,
        "\n",
        "not json\n",
        r#"{"text": "no value"}"#,
        "\n",
    );
    let (out, code) = check(&["--validator", "path"], input);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        concat!(
            r#"{"allowed":true,"reason":null,"detail":""}"#,
            "\n",
            r#"{"allowed":false,"reason":"path.traversal","detail":"the path climbs above the workspace root"}"#,
            "\n",
            r#"{"allowed":false,"reason":"input.invalid_json","detail":"the line is not a JSON object"}"#,
            "\n",
            r#"{"allowed":false,"reason":"input.no_value","detail":"the line has no string field `value`"}"#,
            "\n",
        )
    );
}

#[test]
fn every_validator_and_its_options() {
    let verdict = |args: &[&str], value: &str| {
        let (out, _) = check(args, &format!("{}\n", serde_json::json!({"value": value})));
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        v["reason"].as_str().unwrap_or("allowed").to_owned()
    };
    assert_eq!(
        verdict(&["--validator", "url"], "http://example.com/"),
        "url.scheme"
    );
    assert_eq!(
        verdict(
            &["--validator", "url", "--schemes", "http"],
            "http://example.com/"
        ),
        "allowed"
    );
    assert_eq!(
        verdict(
            &["--validator", "url", "--hosts", "docs.rs"],
            "https://example.com/"
        ),
        "url.host_not_allowed"
    );
    assert_eq!(
        verdict(
            &["--validator", "sql", "--dialect", "postgres"],
            "SELECT 1; DROP TABLE t"
        ),
        "sql.stacked"
    );
    assert_eq!(
        verdict(
            &["--validator", "sql", "--dialect", "mysql"],
            "SELECT 1 # c"
        ),
        "allowed"
    );
    assert_eq!(
        verdict(
            &["--validator", "sql", "--dialect", "sqlite", "--tables", "a"],
            "SELECT * FROM b"
        ),
        "sql.table_not_allowed"
    );
    assert_eq!(
        verdict(&["--validator", "command"], "ls | sh"),
        "command.pipe"
    );
    assert_eq!(
        verdict(&["--validator", "command", "--programs", "ls"], "rm x"),
        "command.not_allowed"
    );
    assert_eq!(
        verdict(&["--validator", "shell_arg"], "-rf"),
        "shell_arg.option"
    );
    assert_eq!(
        verdict(&["--validator", "string", "--max-chars", "3"], "abcd"),
        "string.too_long"
    );
    assert_eq!(
        verdict(&["--validator", "path", "--deny", ".env"], "app/.env"),
        "path.denied"
    );
    assert_eq!(
        verdict(&["--validator", "path", "--ext", "md"], "a.rs"),
        "path.extension"
    );
}

#[test]
fn bad_options_exit_with_2() {
    let (_, code) = check(&["--validator", "sql", "--dialect", "cobol"], "");
    assert_eq!(code, 2);
}

#[test]
fn scan_reports_findings_with_spans_and_redacts() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["scan", "--kind", "secrets", "--redact"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"text\": \"key AKIAQ3EGRT5HYX2ZK7PL\"}\n{\"text\": \"nothing here\"}\n")
        .unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(
        out,
        concat!(
            r#"{"flagged":true,"score":1.0,"findings":[{"kind":"aws_access_key","start":4,"end":24}],"redacted":"key [REDACTED:aws_access_key]"}"#,
            "\n",
            r#"{"flagged":false,"score":0.0,"findings":[],"redacted":"nothing here"}"#,
            "\n",
        )
    );
}

/// Ping.
#[guard_runtime::secure_tool(risk = "low")]
fn ping() -> &'static str {
    "pong"
}

#[tokio::test]
async fn audit_verify_and_summary() {
    use guard_runtime::audit::{Durability, JsonlAuditSink};
    use guard_runtime::{CallContext, Guard, ToolCall};

    let path = std::env::temp_dir().join(format!("guard-cli-audit-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let sink = JsonlAuditSink::open(&path, Durability::Flush).unwrap();
    let guard = Guard::builder().only(["ping"]).audit(sink).build().unwrap();
    let calls = [
        ToolCall::new("1", "ping", "{}"),
        ToolCall::new("2", "ping", "{}"),
        ToolCall::new("3", "nope", "{}"),
    ];
    guard.dispatch(&CallContext::new("a"), &calls).await;
    drop(guard);

    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_guard"))
            .args(args)
            .output()
            .unwrap();
        (
            String::from_utf8(out.stdout).unwrap(),
            out.status.code().unwrap(),
        )
    };
    let file = path.to_str().unwrap();
    assert_eq!(
        run(&["audit", "verify", file]),
        (format!("{file}: ok, 3 records\n"), 0)
    );
    let (summary, code) = run(&["audit", "summary", file]);
    assert_eq!(code, 0);
    assert_eq!(
        summary,
        format!(
            "{:<32} {:>7}  outcomes\n{:<32} {:>7}  unknown_tool 1\n{:<32} {:>7}  success 2\n",
            "tool", "calls", "nope", 1, "ping", 2
        )
    );

    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"call_id\":\"2\"", "\"call_id\":\"X\"", 1),
    )
    .unwrap();
    assert_eq!(
        run(&["audit", "verify", file]),
        (format!("{file}: line 2: record 2 was modified\n"), 1)
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn policy_check_names_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("guard-cli-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(&good, "agents:\n  support:\n    allow: [search]\n").unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[agents.support]\nallow = [\"search\"]\ndenny = [\"x\"]\n",
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        let output = Command::new(env!("CARGO_BIN_EXE_guard"))
            .args(["policy", "check"])
            .arg(file)
            .output()
            .unwrap();
        (
            String::from_utf8(output.stdout).unwrap(),
            output.status.code().unwrap_or(-1),
        )
    };
    let (text, code) = run(&good);
    assert_eq!(code, 0);
    assert!(
        text.starts_with(
            "ok: 1 agent section(s); parsed only: no tools are linked into this binary"
        ),
        "{text}"
    );
    let (text, code) = run(&bad);
    assert_eq!(code, 1);
    assert!(
        text.starts_with(&format!(
            "{}:3:1: agents.support.denny: unknown field `denny`",
            bad.display()
        )),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sandbox_check_reports_this_kernel() {
    let output = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["sandbox", "check"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let support = guard_runtime::sandbox::support();
    let line = |name: &str, on: bool| format!("{name:<22} {}", if on { "yes" } else { "no" });
    assert!(
        stdout.contains(&line("sandbox feature", guard_runtime::sandbox::AVAILABLE)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&line("landlock filesystem", support.landlock_filesystem)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&line("seccomp", support.seccomp)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("layers: {}", support.layers)),
        "{stdout}"
    );
    let complete = support.landlock_filesystem && support.landlock_scopes && support.seccomp;
    assert_eq!(output.status.success(), complete, "{stdout}");
}
