//! Each refused class against the real sink: the value, used without guard,
//! does the harm (a program runs and leaves a marker file, a file outside
//! the workspace is read, a connection reaches 127.0.0.1); through guard it
//! is refused with its exact code; benign look-alikes still run.

use std::io::{Read, Write};
use std::net::{TcpListener, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use guard_runtime::validate::{
    Argv, CheckedPath, CommandPolicy, PathPolicy, UrlPolicy, ValidatorConfig,
};
use guard_runtime::{CallContext, DenyReason, Guard, Outcome, ToolCall, ToolError, secure_tool};

/// Run a command in the workspace.
#[secure_tool(risk = "high")]
fn run_command(#[arg(command)] cmd: Argv) -> Result<String, ToolError> {
    let output = cmd
        .command()
        .output()
        .map_err(|e| ToolError::new(e.to_string()))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Run a command line through `sh -c` (what many tools do with a string).
#[secure_tool(risk = "high")]
fn run_line(#[arg(command)] line: String) -> Result<String, ToolError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(&line)
        .output()
        .map_err(|e| ToolError::new(e.to_string()))?;
    Ok(format!(
        "{line} => {}",
        String::from_utf8_lossy(&output.stdout).trim()
    ))
}

/// Read a text file (the path as a plain string, as most tools take it).
#[secure_tool(risk = "medium")]
fn read_text(path: String) -> Result<String, ToolError> {
    std::fs::read_to_string(&path).map_err(|_| ToolError::new("cannot read"))
}

/// Say which path the tool was handed.
#[secure_tool(risk = "low")]
fn which_path(#[arg(path)] path: String) -> String {
    path
}

/// Read a file beneath the root with no check-then-use window.
#[secure_tool(risk = "medium")]
fn open_text(#[arg(path)] path: CheckedPath) -> Result<String, ToolError> {
    let mut text = String::new();
    path.open()
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|_| ToolError::new("cannot read"))?;
    Ok(text)
}

/// Say which URL the tool was handed.
#[secure_tool(risk = "low")]
fn which_url(#[arg(url(schemes = ["http", "https", "ssh"]))] url: String) -> String {
    url
}

/// Read a file named under another wire name.
#[secure_tool(risk = "medium")]
fn read_renamed(#[serde(rename(deserialize = "file"))] path: String) -> String {
    path
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(crate = "guard_runtime::serde")]
#[schemars(crate = "guard_runtime::schemars")]
struct Range {
    start: u32,
    end: Option<u32>,
}

/// Count lines in a range.
#[secure_tool(risk = "low")]
fn count_lines(range: Range) -> u32 {
    range.end.unwrap_or(range.start) - range.start
}

/// Nothing at all.
#[secure_tool(risk = "low")]
fn noop() -> &'static str {
    "ok"
}

/// A fresh folder for one test, removed first if a run left it behind.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guard-sinks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

fn run(dir: &Path, program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed (scripts/test.sh installs it): {e}")
        })
}

/// A git repository with one commit, docs and src folders.
fn workspace(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("docs/readme.md"), "# docs\n").unwrap();
    std::fs::write(dir.join("src/lib.rs"), "// TODO: more\nfn main() {}\n").unwrap();
    for args in [
        &["init", "-q"][..],
        &["-c", "user.name=t", "-c", "user.email=t@e", "add", "."],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qm",
            "init",
        ],
    ] {
        assert!(run(&dir, "git", args).status.success(), "git {args:?}");
    }
    dir
}

fn unsafe_code(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::UnsafeArgument { code, .. } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn call(guard: &Guard, tool: &str, args: serde_json::Value) -> guard_runtime::ToolReply {
    let call = ToolCall::new("1", tool, args.to_string());
    guard
        .dispatch(&CallContext::new("agent"), &[call])
        .await
        .remove(0)
}

/// Commands that leave a marker file `X` when they run unguarded, and the
/// code guard refuses each with.
const COMMANDS: &[(&str, &str)] = &[
    (
        "git -c core.fsmonitor='touch X' status",
        "command.exec_option",
    ),
    ("git -c alias.st='!touch X' st", "command.exec_option"),
    (
        "git -c core.sshCommand='touch X' ls-remote x:y",
        "command.exec_option",
    ),
    (
        "find . -maxdepth 0 -exec touch X ';'",
        "command.not_allowed",
    ),
    (
        "tar -cf /dev/null /dev/null --checkpoint=1 --checkpoint-action=exec='touch X'",
        "command.exec_option",
    ),
    ("tar -I 'touch X' -cf x.tar docs", "command.exec_option"),
    ("rsync -e 'touch X --' x:y /tmp/", "command.exec_option"),
    (
        "find . -maxdepth 0 -exec sh -c 'touch X' ';'",
        "command.shell_in_chain",
    ),
];

/// The same, with no allow-list: shells, wrappers and interpreters.
const UNLISTED: &[(&str, &str)] = &[
    ("env sh -c 'touch X'", "command.shell_in_chain"),
    ("nohup sh -c 'touch X'", "command.shell_in_chain"),
    ("timeout 5 sh -c 'touch X'", "command.shell_in_chain"),
    ("nice -n 5 bash -c 'touch X'", "command.shell_in_chain"),
    (
        "find . -maxdepth 0 -exec sh -c 'touch X' ';'",
        "command.shell_in_chain",
    ),
    ("python3 -c 'open(\"X\", \"w\")'", "command.inline_code"),
    ("perl -e 'open(F, \">X\")'", "command.inline_code"),
    (
        "node -e 'require(\"fs\").writeFileSync(\"X\", \"\")'",
        "command.inline_code",
    ),
    ("awk 'BEGIN { system(\"touch X\") }'", "command.exec_option"),
    ("sed -n '1e touch X' docs/readme.md", "command.exec_option"),
    (
        "git -c core.fsmonitor='touch X' status",
        "command.exec_option",
    ),
];

fn marker_after(dir: &Path, line: &str) -> bool {
    let _ = std::fs::remove_file(dir.join("X"));
    // Argv for the unguarded run: the split a POSIX shell makes of the text.
    let words = shell_words::split(line).unwrap();
    let _ = Command::new(&words[0])
        .args(&words[1..])
        .current_dir(dir)
        .output();
    dir.join("X").exists()
}

#[test]
fn allow_listed_programs_cannot_run_other_code() {
    let dir = workspace("listed");
    let policy = CommandPolicy::new().programs(["git", "find", "tar", "rsync", "ls", "grep"]);
    for (line, code) in COMMANDS {
        assert!(
            marker_after(&dir, line),
            "unguarded, {line:?} runs a command"
        );
        assert_eq!(policy.check(line).unwrap_err().code, *code, "{line}");
    }
}

#[test]
fn shells_wrappers_and_interpreters_are_refused_without_a_list() {
    let dir = workspace("unlisted");
    let policy = CommandPolicy::new();
    for (line, code) in UNLISTED {
        assert!(
            marker_after(&dir, line),
            "unguarded, {line:?} runs a command"
        );
        assert_eq!(policy.check(line).unwrap_err().code, *code, "{line}");
    }
}

#[test]
fn writes_and_reads_outside_the_workspace_are_refused() {
    let dir = workspace("outside");
    let outside = scratch("outside-target");
    let target = outside.join("log.txt");
    let write = format!("git log --output={}", target.display());
    assert!(run(&dir, "sh", &["-c", &write]).status.success());
    assert!(
        target.exists(),
        "unguarded, git log --output writes outside"
    );
    let fprint = format!("find . -maxdepth 0 -fprint {}", outside.join("f").display());
    assert!(run(&dir, "sh", &["-c", &fprint]).status.success());
    assert!(
        outside.join("f").exists(),
        "unguarded, find -fprint writes outside"
    );

    let paths = PathPolicy::new().root(&dir);
    let policy = CommandPolicy::new()
        .programs(["git", "find", "tar", "ls", "grep"])
        .paths(paths);
    assert_eq!(
        policy.check(&write).unwrap_err().code,
        "command.write_option"
    );
    assert_eq!(
        policy.check(&fprint).unwrap_err().code,
        "command.write_option"
    );
    let listing = run(&dir, "ls", &[outside.to_str().unwrap()]);
    assert!(
        !listing.stdout.is_empty(),
        "unguarded, ls lists another folder"
    );
    for line in [
        format!("ls {}", outside.display()),
        format!("grep -r x {}", outside.display()),
        format!("git --git-dir={}/.git log", outside.display()),
        "ls ../".to_owned(),
        "tar -cf out.tar ../".to_owned(),
    ] {
        assert_eq!(
            policy.check(&line).unwrap_err().code,
            "command.outside_root",
            "{line}"
        );
    }
    std::fs::remove_dir_all(&outside).unwrap();
}

#[tokio::test]
async fn commands_through_dispatch_run_only_what_was_checked() {
    let dir = workspace("dispatch");
    let guard = Guard::builder()
        .validators(
            ValidatorConfig::default()
                .path(PathPolicy::new().root(&dir))
                .command(
                    CommandPolicy::new().programs(["git", "find", "tar", "rsync", "grep", "ls"]),
                ),
        )
        .build()
        .unwrap();
    for (line, code) in COMMANDS {
        let _ = std::fs::remove_file(dir.join("X"));
        let reply = call(&guard, "run_command", serde_json::json!({ "cmd": line })).await;
        assert_eq!(unsafe_code(&reply.outcome), *code, "{line}");
        assert!(!dir.join("X").exists());
    }
    // Benign look-alikes run, in the workspace.
    for (line, expect) in [
        ("git log --oneline -5", "init"),
        ("find . -name '*.rs'", "./src/lib.rs"),
        ("grep -rn TODO src", "src/lib.rs:1"),
        ("ls docs", "readme.md"),
    ] {
        let reply = call(&guard, "run_command", serde_json::json!({ "cmd": line })).await;
        assert_eq!(reply.outcome, Outcome::Success, "{line}");
        assert!(reply.content.contains(expect), "{line}: {}", reply.content);
    }
    let reply = call(
        &guard,
        "run_command",
        serde_json::json!({"cmd": "tar -czf out.tgz docs"}),
    )
    .await;
    assert_eq!(reply.outcome, Outcome::Success);
    // A String parameter gets the words re-quoted: the shell cannot glob
    // or expand what the validator saw as one literal word.
    std::fs::write(dir.join("a.md"), "").unwrap();
    let reply = call(&guard, "run_line", serde_json::json!({"line": "ls *.md"})).await;
    assert_eq!(reply.outcome, Outcome::Success);
    assert!(
        reply.content.starts_with("ls '*.md' => "),
        "{}",
        reply.content
    );
}

#[cfg(unix)]
fn linked_workspace(name: &str) -> (PathBuf, PathBuf) {
    let base = scratch(name);
    let root = base.join("root");
    std::fs::create_dir_all(root.join("deep/dir")).unwrap();
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::create_dir_all(root.join("secrets")).unwrap();
    std::fs::create_dir_all(base.join("outside/a/b")).unwrap();
    std::fs::write(base.join("outside/secret.txt"), "OUTSIDE SECRET").unwrap();
    std::fs::write(root.join("deep/secret.txt"), "inside").unwrap();
    std::fs::write(root.join("secrets/key.txt"), "DENIED KEY").unwrap();
    std::fs::write(root.join("docs/readme.md"), "readme").unwrap();
    std::os::unix::fs::symlink(base.join("outside/a/b"), root.join("deep/dir/vendor")).unwrap();
    std::os::unix::fs::symlink("../secrets", root.join("docs/archive")).unwrap();
    (base, root)
}

#[cfg(unix)]
#[tokio::test]
async fn paths_are_checked_and_handed_over_as_the_kernel_resolves_them() {
    let (base, root) = linked_workspace("paths");
    let escape = "deep/dir/vendor/../../secret.txt";
    let denied = "docs/archive/key.txt";
    assert_eq!(
        std::fs::read_to_string(root.join(escape)).unwrap(),
        "OUTSIDE SECRET"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(denied)).unwrap(),
        "DENIED KEY"
    );

    let guard = Guard::builder()
        .validators(
            ValidatorConfig::default()
                .path(PathPolicy::new().root(&root).deny(["secrets/**"]).unwrap()),
        )
        .build()
        .unwrap();
    for tool in ["read_text", "open_text", "which_path"] {
        let reply = call(&guard, tool, serde_json::json!({ "path": escape })).await;
        assert_eq!(unsafe_code(&reply.outcome), "path.symlink_escape", "{tool}");
        let reply = call(&guard, tool, serde_json::json!({ "path": denied })).await;
        assert_eq!(unsafe_code(&reply.outcome), "path.denied", "{tool}");
    }
    for tool in ["read_text", "open_text"] {
        let reply = call(
            &guard,
            tool,
            serde_json::json!({"path": "docs/./readme.md"}),
        )
        .await;
        assert_eq!(reply.content, "readme", "{tool}");
    }
    // The tool receives the resolved path, never the raw text.
    let reply = call(
        &guard,
        "which_path",
        serde_json::json!({"path": "docs/../docs/readme.md"}),
    )
    .await;
    assert_eq!(reply.content, root.join("docs/readme.md").to_str().unwrap());
    std::fs::remove_dir_all(&base).unwrap();
}

/// Accepts connections on 127.0.0.1 and records the first bytes of each.
fn listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(2)))
                .unwrap();
            let mut buf = [0u8; 256];
            let n = stream.read(&mut buf).unwrap_or(0);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        }
    });
    (port, seen)
}

#[test]
fn urls_reach_what_their_parsers_read_and_guard_reads_the_same() {
    let (port, seen) = listener();
    // A resolver reads an opaque `ssh://` host as an IPv4 address.
    let addr = ("0x7f.1", port).to_socket_addrs().unwrap().next().unwrap();
    assert!(addr.ip().is_loopback());
    assert!(std::net::TcpStream::connect(addr).is_ok());
    let ssh = UrlPolicy::new().schemes(["ssh", "redis"]);
    assert_eq!(
        ssh.check(&format!("ssh://0x7f.1:{port}/"))
            .unwrap_err()
            .code,
        "url.loopback"
    );
    assert_eq!(
        ssh.check(&format!("redis://0x7f.1:{port}/"))
            .unwrap_err()
            .code,
        "url.loopback"
    );

    // curl reads `example.com\` as a user name and connects to 127.0.0.1.
    let tricky = format!("http://example.com\\@127.0.0.1:{port}/admin");
    let out = Command::new("curl")
        .args(["-s", "-m", "5", &tricky])
        .output()
        .expect("curl must be installed (scripts/test.sh installs it)");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|r| r.starts_with("GET /admin")),
        "curl reached the loopback listener"
    );
    let web = UrlPolicy::new().schemes(["http", "https"]);
    assert_eq!(web.check(&tricky).unwrap_err().code, "url.ambiguous");
    let good = UrlPolicy::new().allow_hosts(["good.com"]);
    assert_eq!(
        good.check("https://good.com\\@evil.com/").unwrap_err().code,
        "url.ambiguous"
    );
}

#[tokio::test]
async fn url_strings_arrive_as_parsed() {
    let guard = Guard::builder().build().unwrap();
    let reply = call(
        &guard,
        "which_url",
        serde_json::json!({"url": " HTTPS://Example.COM/a/../b "}),
    )
    .await;
    assert_eq!(reply.content, "https://example.com/b");
    let reply = call(
        &guard,
        "which_url",
        serde_json::json!({"url": "ssh://0x5DB8D822/x"}),
    )
    .await;
    assert_eq!(reply.content, "ssh://93.184.216.34/x");
    let reply = call(
        &guard,
        "which_url",
        serde_json::json!({"url": "https://kubernetes.default.svc/"}),
    )
    .await;
    assert_eq!(unsafe_code(&reply.outcome), "url.internal_host");
}

#[tokio::test]
async fn validators_follow_serde_wire_names() {
    let guard = Guard::builder().build().unwrap();
    let reply = call(
        &guard,
        "read_renamed",
        serde_json::json!({"file": "../outside/secret.txt"}),
    )
    .await;
    assert_eq!(unsafe_code(&reply.outcome), "path.traversal");
    let reply = call(
        &guard,
        "read_renamed",
        serde_json::json!({"file": "docs/a.md"}),
    )
    .await;
    assert_eq!(reply.content, "docs/a.md");
}

#[tokio::test]
async fn nested_objects_are_closed_as_the_wire_schema_says() {
    let guard = Guard::builder().build().unwrap();
    let reply = call(
        &guard,
        "count_lines",
        serde_json::json!({"range": {"start": 1, "end": null, "evil": 1}}),
    )
    .await;
    assert_eq!(
        reply.outcome,
        Outcome::InvalidArguments {
            pointer: "/range".to_owned(),
            reason: "Additional properties are not allowed ('evil' was unexpected)".to_owned(),
        }
    );
    let reply = call(
        &guard,
        "count_lines",
        serde_json::json!({"range": {"start": 1, "end": 4}}),
    )
    .await;
    assert_eq!(reply.content, "3");
}

#[tokio::test]
async fn a_batch_past_the_cap_is_answered_without_being_read() {
    let guard = Guard::builder().build().unwrap();
    let calls: Vec<ToolCall> = (0..300)
        .map(|i| ToolCall::new(format!("c{i}"), "noop", "{}"))
        .collect();
    let replies = guard.dispatch(&CallContext::new("agent"), &calls).await;
    assert_eq!(replies.len(), 300);
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(reply.tool_call_id, format!("c{i}"));
        if i < guard_runtime::DEFAULT_MAX_CALLS_PER_BATCH {
            assert_eq!(reply.outcome, Outcome::Success);
        } else {
            assert_eq!(
                reply.outcome,
                Outcome::Denied {
                    reason: DenyReason::TooManyCalls { limit: 128 }
                }
            );
        }
    }
    assert_eq!(guard_runtime::DEFAULT_MAX_CALLS_PER_BATCH, 128);
    let small = Guard::builder().max_calls_per_batch(2).build().unwrap();
    let replies = small.dispatch(&CallContext::new("a"), &calls[..3]).await;
    assert_eq!(
        replies[2].content,
        r#"{"error":{"kind":"denied","message":"not run: a turn may make at most 2 tool calls; send fewer at once"}}"#
    );
    let verdicts = small.validate(&CallContext::new("a"), &calls[..3]).await;
    assert!(verdicts[1].is_ok());
    assert_eq!(verdicts[2].as_ref().unwrap_err().kind(), "denied");
}
