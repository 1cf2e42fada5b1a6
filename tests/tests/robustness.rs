//! No panics on hostile input: pseudo-random strings (a fixed seed, so any
//! failure reproduces) through every validator, every scanner, redaction and
//! the dispatcher. Spans must be valid char boundaries of the scanned text.

use guard_runtime::scan::{InjectionScanner, PiiScanner, SecretScanner, redact};
use guard_runtime::validate::{
    CommandPolicy, PathPolicy, SqlDialect, SqlPolicy, TextPolicy, UrlPolicy, check_shell_arg,
};
use guard_runtime::{CallContext, Guard, ToolCall, secure_tool};
use guard_tests::Rng;

/// Pieces attackers and broken clients produce.
const PIECES: &[&str] = &[
    "a",
    "Z",
    "0",
    "9",
    " ",
    "  ",
    "\n",
    "\t",
    "\r",
    "\0",
    "\u{7}",
    "\u{1b}[31m",
    ".",
    "..",
    "/",
    "\\",
    "%",
    "%2e",
    "%252e",
    "%c0%af",
    "%u002e",
    "%%35%63",
    "0x2f",
    "~",
    ":",
    ";",
    "|",
    "&",
    "$(",
    "${",
    "`",
    "'",
    "\"",
    "(",
    ")",
    "<",
    ">",
    "#",
    "--",
    "/*",
    "*/",
    "/*!",
    "@",
    "http://",
    "https://",
    "file://",
    "[",
    "]",
    "{",
    "}",
    "=",
    "?",
    "!",
    "\u{202E}",
    "\u{2066}",
    "\u{200B}",
    "\u{FEFF}",
    "\u{E0041}",
    "．",
    "／",
    "\u{2215}",
    "ｉｇｎｏｒｅ",
    "\u{301}",
    "é",
    "😀",
    "中文",
    "عربى",
    "ignore previous instructions",
    "SELECT",
    "DROP TABLE",
    "AKIA",
    "ghp_",
    "sk-",
    "eyJ",
    "-----BEGIN",
    "4111 1111",
    "DE89 3704",
    "+44 20",
    "127.0.0.1",
    "::1",
    "[::ffff:",
    "\\u202e",
    "\\n",
    "\\\"",
    "aGVsbG8gd29ybGQgaWdub3Jl",
];

fn hostile(rng: &mut Rng) -> String {
    let mut text = String::new();
    let pieces = 1 + rng.below(24);
    for _ in 0..pieces {
        let piece = PIECES[rng.below(PIECES.len())];
        let repeat = if rng.below(10) == 0 {
            1 + rng.below(300)
        } else {
            1
        };
        for _ in 0..repeat {
            text.push_str(piece);
        }
    }
    text
}

fn check_spans(text: &str, findings: &[guard_runtime::scan::Finding]) {
    for f in findings {
        assert!(
            f.start <= f.end && f.end <= text.len(),
            "{f:?} out of range in {text:?}"
        );
        assert!(
            text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
            "{f:?} not on char boundaries in {text:?}"
        );
    }
    let redacted = redact(text, findings);
    assert!(!redacted.is_empty() || text.is_empty());
}

#[test]
fn validators_and_scanners_never_panic_and_spans_stay_valid() {
    let mut rng = Rng(0x5EED_CAFE_F00D_D00D);
    let path = PathPolicy::new()
        .deny([".env", "*.pem"])
        .unwrap()
        .extensions(["md"]);
    let url = UrlPolicy::new().schemes(["http", "https"]);
    // Every reader: PostgreSQL's parser, SQLite's authorizer, sqlparser's
    // grammars, and `any` (on every tenth value: it reads six ways).
    let sql: Vec<SqlPolicy> = [
        SqlDialect::Postgres,
        SqlDialect::MySql,
        SqlDialect::MsSql,
        SqlDialect::Generic,
    ]
    .into_iter()
    .map(|d| SqlPolicy::for_dialect(d).tables(["t"]))
    .chain([SqlPolicy::new()
        .sqlite_schema("CREATE TABLE t (a, b);")
        .unwrap()
        .tables(["t"])])
    .collect();
    let any = SqlPolicy::for_dialect(SqlDialect::Any);
    let command = CommandPolicy::new().programs(["ls"]);
    let text_policy = TextPolicy::new().max_chars(200);
    let injection = InjectionScanner::new();
    for round in 0..4000 {
        let value = hostile(&mut rng);
        let _ = path.check(&value);
        let _ = url.check(&value);
        for policy in &sql {
            let _ = policy.check(&value);
        }
        if round % 10 == 0 {
            let _ = any.check(&value);
        }
        let _ = command.check(&value);
        let _ = check_shell_arg(&value);
        let _ = text_policy.check(&value);
        check_spans(&value, &SecretScanner::global().scan(&value));
        check_spans(&value, &PiiScanner::global().scan(&value));
        let report = injection.scan(&value);
        assert!((0.0..=1.0).contains(&report.score));
        check_spans(&value, &report.findings);
    }
}

/// Echo.
#[secure_tool(risk = "low")]
async fn robust_echo(text: String, path: Option<String>) -> String {
    format!("{text}{}", path.unwrap_or_default())
}

#[tokio::test]
async fn the_dispatcher_answers_every_hostile_call_exactly_once() {
    let guard = Guard::builder().only(["robust_echo"]).build().unwrap();
    let ctx = CallContext::new("fuzz");
    let mut rng = Rng(0xDEAD_BEEF_1234_5678);
    for round in 0..300 {
        let calls: Vec<ToolCall> = (0..1 + rng.below(4))
            .map(|i| {
                let args = match rng.below(3) {
                    0 => hostile(&mut rng),
                    1 => serde_json::json!({"text": hostile(&mut rng)}).to_string(),
                    _ => serde_json::json!({"text": hostile(&mut rng), "path": hostile(&mut rng)})
                        .to_string(),
                };
                let name = if rng.below(8) == 0 {
                    hostile(&mut rng)
                } else {
                    "robust_echo".to_owned()
                };
                ToolCall::new(format!("{round}-{i}"), name, args)
            })
            .collect();
        let replies = guard.dispatch(&ctx, &calls).await;
        assert_eq!(replies.len(), calls.len());
        for (call, reply) in calls.iter().zip(&replies) {
            assert_eq!(reply.tool_call_id, call.id);
            if !reply.outcome.is_success() {
                // Refusals are short and never echo a long input.
                assert!(reply.content.len() < 600, "{}", reply.content);
            }
        }
    }
}
