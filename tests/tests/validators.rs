//! Security validators through `#[secure_tool]`: declared with `#[arg]` or
//! implied by a parameter's name, configured at run time, refusing with a
//! reason code, and handing tools values that cannot be misused.

use std::path::PathBuf;

use guard_runtime::validate::{
    Argv, CheckedPath, CheckedSql, CheckedUrl, PathPolicy, TextPolicy, ValidatorConfig,
};
use guard_runtime::{BuildError, CallContext, Guard, Outcome, ToolCall, ToolReply, secure_tool};
use schemars::JsonSchema;
use serde::Deserialize;

/// Read a file from the workspace.
#[secure_tool]
fn read_doc(#[arg(path(ext = ["md", "txt"], deny = ["secret*"]))] path: CheckedPath) -> String {
    format!(
        "{} -> {}",
        path.relative().display(),
        path.resolved()
            .map_or("-".into(), |p| p.display().to_string())
    )
}

/// Open a file by its resolved path.
#[secure_tool]
fn open_file(
    #[serde(rename = "file")]
    #[arg(path)]
    target: PathBuf,
) -> String {
    target.display().to_string()
}

/// Fetch a page.
#[secure_tool]
fn fetch(url: String) -> String {
    format!("fetched {url}")
}

/// Fetch pages from the API.
#[secure_tool]
fn fetch_api(
    #[arg(url(hosts = ["api.example.com"], ports = [443]))] urls: Vec<CheckedUrl>,
) -> usize {
    urls.len()
}

/// Search the index (a plain `query` is not SQL).
#[secure_tool]
fn search(query: String) -> String {
    format!("results for {query}")
}

/// Run a read-only report.
#[secure_tool]
fn report(
    #[arg(sql(dialect = "postgres", tables = ["orders", "customers"]))] sql: CheckedSql,
) -> String {
    sql.as_str().to_owned()
}

/// Run a program.
#[secure_tool]
fn run(#[arg(command(programs = ["echo", "ls"]))] cmd: Argv) -> Result<String, String> {
    let output = cmd.command().output().map_err(|e| e.kind().to_string())?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Greet someone through a program.
#[secure_tool]
fn greet(#[arg(shell_arg)] name: String) -> String {
    format!("hello {name}")
}

/// Store raw text under a name that looks like a path.
#[secure_tool]
fn store_template(#[arg(none)] path: String) -> String {
    path
}

/// A tool whose deny glob is not a valid glob: its calls fail closed.
#[secure_tool]
fn bad_glob(#[arg(path(deny = ["a[b"]))] path: String) -> String {
    path
}

#[derive(Deserialize, JsonSchema)]
struct Note {
    title: String,
    text: String,
}

/// Save a note.
#[secure_tool]
fn save_note(note: Note) -> String {
    format!("{}: {}", note.title, note.text.len())
}

fn ctx() -> CallContext {
    CallContext::new("agent-1")
}

async fn one(guard: &Guard, name: &str, args: &str) -> ToolReply {
    guard
        .dispatch(&ctx(), &[ToolCall::new("c1", name, args)])
        .await
        .remove(0)
}

fn unsafe_arg(pointer: &str, code: &str, detail: &str) -> Outcome {
    Outcome::UnsafeArgument {
        pointer: pointer.into(),
        code: code.into(),
        detail: detail.into(),
    }
}

fn workspace() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guard-validators-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/guide.md"), "# Guide").unwrap();
    dir.canonicalize().unwrap()
}

#[tokio::test]
async fn a_checked_path_is_resolved_inside_the_root() {
    let root = workspace();
    let guard = Guard::builder()
        .validators(ValidatorConfig::default().path(PathPolicy::new().root(&root)))
        .build()
        .unwrap();
    let reply = one(&guard, "read_doc", r#"{"path":"docs/./guide.md"}"#).await;
    assert_eq!(
        reply.content,
        format!("docs/guide.md -> {}", root.join("docs/guide.md").display())
    );

    let reply = one(&guard, "read_doc", r#"{"path":"../../etc/passwd"}"#).await;
    assert_eq!(
        reply.outcome,
        unsafe_arg(
            "/path",
            "path.traversal",
            "the path climbs above the workspace root"
        )
    );
    assert_eq!(
        reply.content,
        r#"{"error":{"kind":"unsafe_argument","message":"/path: the path climbs above the workspace root (path.traversal)"}}"#
    );
    assert_eq!(
        one(&guard, "read_doc", r#"{"path":"docs/x.rs"}"#)
            .await
            .outcome,
        unsafe_arg(
            "/path",
            "path.extension",
            "only these extensions are allowed: md, txt"
        )
    );
    assert_eq!(
        one(&guard, "read_doc", r#"{"path":"secrets.md"}"#)
            .await
            .outcome,
        unsafe_arg("/path", "path.denied", "this path matches a denied pattern")
    );
    // The JSON property is the serde name; PathBuf receives the resolved path.
    assert_eq!(
        one(&guard, "open_file", r#"{"file":"docs/guide.md"}"#)
            .await
            .content,
        root.join("docs/guide.md").display().to_string()
    );
    assert_eq!(
        one(&guard, "open_file", r#"{"file":"/etc/passwd"}"#)
            .await
            .outcome,
        unsafe_arg(
            "/file",
            "path.absolute",
            "the path must be relative to the workspace"
        )
    );
}

#[tokio::test]
async fn parameter_names_imply_validators_and_query_is_not_sql() {
    let guard = Guard::builder().build().unwrap();
    assert_eq!(
        one(&guard, "fetch", r#"{"url":"https://docs.rs/serde"}"#)
            .await
            .content,
        "fetched https://docs.rs/serde"
    );
    assert_eq!(
        one(
            &guard,
            "fetch",
            r#"{"url":"http://169.254.169.254/latest/meta-data/"}"#
        )
        .await
        .outcome,
        unsafe_arg(
            "/url",
            "url.scheme",
            "only these schemes are allowed: https"
        )
    );
    assert_eq!(
        one(
            &guard,
            "fetch",
            r#"{"url":"https://169.254.169.254/latest/meta-data/"}"#
        )
        .await
        .outcome,
        unsafe_arg(
            "/url",
            "url.metadata",
            "the address is not a public internet address"
        )
    );
    assert_eq!(
        one(&guard, "search", r#"{"query":"x'; DROP TABLE users; --"}"#)
            .await
            .outcome,
        Outcome::Success
    );
    assert_eq!(
        one(&guard, "store_template", r#"{"path":"../shared/{{name}}"}"#)
            .await
            .content,
        "../shared/{{name}}"
    );
}

#[tokio::test]
async fn each_url_in_a_list_is_checked_with_its_own_pointer() {
    let guard = Guard::builder().build().unwrap();
    assert_eq!(
        one(
            &guard,
            "fetch_api",
            r#"{"urls":["https://api.example.com/a","https://api.example.com/b"]}"#
        )
        .await
        .content,
        "2"
    );
    assert_eq!(
        one(
            &guard,
            "fetch_api",
            r#"{"urls":["https://api.example.com/a","https://evil.example.com/"]}"#
        )
        .await
        .outcome,
        unsafe_arg(
            "/urls/1",
            "url.host_not_allowed",
            "this host is not on the allow-list"
        )
    );
    assert_eq!(
        one(
            &guard,
            "fetch_api",
            r#"{"urls":["https://api.example.com:8443/"]}"#
        )
        .await
        .outcome,
        unsafe_arg("/urls/0", "url.port", "this port is not allowed")
    );
}

#[tokio::test]
async fn sql_is_read_only_and_limited_to_the_listed_tables() {
    let guard = Guard::builder().build().unwrap();
    assert_eq!(
        one(
            &guard,
            "report",
            r#"{"sql":"SELECT id FROM orders WHERE total > 10"}"#
        )
        .await
        .content,
        "SELECT id FROM orders WHERE total > 10"
    );
    assert_eq!(
        one(&guard, "report", r#"{"sql":"SELECT 1; DROP TABLE orders"}"#)
            .await
            .outcome,
        unsafe_arg("/sql", "sql.stacked", "exactly one statement is allowed")
    );
    assert_eq!(
        one(
            &guard,
            "report",
            r#"{"sql":"SELECT * FROM orders JOIN users ON 1=1"}"#
        )
        .await
        .outcome,
        unsafe_arg(
            "/sql",
            "sql.table_not_allowed",
            "only these tables are allowed: orders, customers"
        )
    );
    // A dialect set at run time replaces the attribute's: `#` starts a
    // comment in MySQL only, and under `any` the readings disagree.
    let hash_comment = r#"{"sql":"SELECT id FROM orders # newest"}"#;
    for (dialect, expected) in [
        ("mysql", Outcome::Success),
        (
            "postgres",
            unsafe_arg("/sql", "sql.unparseable", "the SQL does not parse"),
        ),
        (
            "any",
            unsafe_arg(
                "/sql",
                "sql.ambiguous",
                "the SQL reads differently in different dialects; configure the database's dialect",
            ),
        ),
    ] {
        let text = format!("[tools.report]\nsql = {{ dialect = \"{dialect}\" }}\n");
        let policy =
            guard_runtime::policy::Policy::from_str(&text, guard_runtime::policy::Format::Toml)
                .unwrap();
        let guard = Guard::builder().policy(policy).build().unwrap();
        let outcome = one(&guard, "report", hash_comment).await.outcome;
        assert_eq!(outcome, expected, "{dialect}");
    }
}

#[tokio::test]
async fn commands_arrive_as_argv_and_never_meet_a_shell() {
    let guard = Guard::builder().build().unwrap();
    assert_eq!(
        one(&guard, "run", r#"{"cmd":"echo 'a; b' c"}"#)
            .await
            .content,
        "a; b c"
    );
    assert_eq!(
        one(&guard, "run", r#"{"cmd":"echo hi; cat /etc/passwd"}"#)
            .await
            .outcome,
        unsafe_arg("/cmd", "command.separator", "`;` and `&` separate commands")
    );
    assert_eq!(
        one(&guard, "run", r#"{"cmd":"cat /etc/passwd"}"#)
            .await
            .outcome,
        unsafe_arg(
            "/cmd",
            "command.not_allowed",
            "only these programs may run, anywhere in the command: echo, ls"
        )
    );
    assert_eq!(
        one(&guard, "greet", r#"{"name":"--help"}"#).await.outcome,
        unsafe_arg(
            "/name",
            "shell_arg.option",
            "arguments may not start with `-`"
        )
    );
}

#[tokio::test]
async fn string_hygiene_covers_every_string_including_escaped_ones() {
    let guard = Guard::builder().build().unwrap();
    assert_eq!(
        one(
            &guard,
            "save_note",
            r#"{"note":{"title":"t","text":"line\nline"}}"#
        )
        .await
        .content,
        "t: 9"
    );
    let reply = one(
        &guard,
        "save_note",
        r#"{"note":{"title":"t","text":"invoice\u202Etxt.exe"}}"#,
    )
    .await;
    assert_eq!(
        reply.outcome,
        unsafe_arg(
            "/note/text",
            "string.bidi_control",
            "the text contains a bidirectional override character"
        )
    );
    let raw = "{\"note\":{\"title\":\"hi\u{E0041}\",\"text\":\"\"}}";
    assert_eq!(
        one(&guard, "save_note", raw).await.outcome,
        unsafe_arg(
            "/note/title",
            "string.tag_char",
            "the text contains invisible tag characters"
        )
    );
    let off = Guard::builder()
        .validators(ValidatorConfig::default().text(None))
        .build()
        .unwrap();
    assert_eq!(one(&off, "save_note", raw).await.outcome, Outcome::Success);
    let short = Guard::builder()
        .validators(ValidatorConfig::default().text(Some(TextPolicy::new().max_chars(5))))
        .build()
        .unwrap();
    assert_eq!(
        one(
            &short,
            "save_note",
            r#"{"note":{"title":"a title","text":""}}"#
        )
        .await
        .outcome,
        unsafe_arg(
            "/note/title",
            "string.too_long",
            "strings are limited to 5 characters"
        )
    );
}

#[tokio::test]
async fn misconfigured_validators_fail_the_build_or_close_the_calls() {
    assert_eq!(
        Guard::builder()
            .validators_for("nope", ValidatorConfig::default())
            .build()
            .unwrap_err(),
        BuildError::UnknownTool {
            name: "nope".into()
        }
    );
    let err = Guard::builder().eager_schemas().build().unwrap_err();
    assert!(
        matches!(&err, BuildError::InvalidValidator { tool, message } if tool == "bad_glob" && message.contains("a[b")),
        "{err:?}"
    );
    let lazy = Guard::builder().build().unwrap();
    assert_eq!(
        one(&lazy, "bad_glob", r#"{"path":"x"}"#).await.outcome,
        Outcome::Failed {
            reason: guard_runtime::FailReason::ValidatorUnavailable
        }
    );
}

#[test]
fn the_schema_of_a_checked_parameter_is_a_string() {
    let guard = Guard::builder().build().unwrap();
    let tool = guard.tool("read_doc").unwrap();
    assert_eq!(
        tool.wire_schema()["properties"]["path"],
        serde_json::json!({"type": "string"})
    );
    let api = guard.tool("fetch_api").unwrap();
    assert_eq!(
        api.wire_schema()["properties"]["urls"],
        serde_json::json!({"type": "array", "items": {"type": "string"}})
    );
    let open = guard.tool("open_file").unwrap();
    assert_eq!(open.wire_schema()["required"], serde_json::json!(["file"]));
}
