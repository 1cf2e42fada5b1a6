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
        verdict(&["--validator", "sql"], "SELECT 1; DROP TABLE t"),
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
        verdict(&["--validator", "sql", "--tables", "a"], "SELECT * FROM b"),
        "sql.table_not_allowed"
    );
    assert_eq!(
        verdict(&["--validator", "command"], "ls | sh"),
        "command.pipe"
    );
    assert_eq!(
        verdict(&["--validator", "command", "--programs", "ls"], "rm x"),
        "command.program_not_allowed"
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
