//! The escape suite: each attempt is shown to work when the tool runs in
//! the agent's process, and to be stopped when the same tool runs in a
//! sandboxed worker (the policy names its profile). Benign calls of the
//! same tools still work in the sandbox.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

use guard_runtime::policy::{Format, Policy};
use guard_runtime::sandbox::{SandboxLayers, SandboxProfile};
use guard_runtime::validate::{
    Argv, CheckedPath, CheckedSql, CheckedUrl, PathPolicy, ValidatorConfig,
};
use guard_runtime::{
    CallContext, FailReason, Guard, MemorySink, Outcome, ToolCall, ToolError, secure_tool,
};

/// Writes a file.
#[secure_tool]
fn write_file(target: String, text: String) -> Result<String, ToolError> {
    std::fs::write(&target, text)?;
    Ok("written".into())
}

/// Reads a file.
#[secure_tool]
fn read_file(target: String) -> Result<String, ToolError> {
    Ok(std::fs::read_to_string(&target)?)
}

/// Reads a file of the workspace, as the path validator checked it.
#[secure_tool]
fn read_checked(#[arg(path)] path: CheckedPath) -> Result<String, ToolError> {
    let resolved = path.resolved().ok_or("no root")?;
    Ok(std::fs::read_to_string(resolved)?)
}

/// Reads a workspace file, then copies another file (which no validator
/// checks) into the workspace.
#[secure_tool]
fn copy_beside(#[arg(path)] path: CheckedPath, from: String) -> Result<String, ToolError> {
    let resolved = path.resolved().ok_or("no root")?;
    let text = std::fs::read_to_string(&from)?;
    std::fs::write(resolved, &text)?;
    Ok(text)
}

/// Connects to a TCP port on this machine and says hello.
#[secure_tool]
fn connect(port: u16) -> Result<String, ToolError> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(b"hello")?;
    Ok("connected".into())
}

/// Sends a DNS query for `name` to a resolver on this machine.
#[secure_tool]
fn resolve(port: u16, name: String) -> Result<String, ToolError> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let mut query = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    socket.send_to(&query, ("127.0.0.1", port))?;
    Ok("sent".into())
}

/// Starts `count` child processes.
#[secure_tool]
fn spawn_many(count: u32) -> Result<u32, ToolError> {
    let mut started = 0;
    for _ in 0..count {
        std::process::Command::new("/bin/true").status()?;
        started += 1;
    }
    Ok(started)
}

/// Starts up to `count` processes that stay alive, stops at the first
/// refusal, kills them all and says how many it got.
#[secure_tool]
fn fork_bomb(count: u32) -> u32 {
    let mut children = Vec::new();
    for _ in 0..count {
        match std::process::Command::new("/bin/sleep").arg("5").spawn() {
            Ok(child) => children.push(child),
            Err(_) => break,
        }
    }
    let started = children.len() as u32;
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    started
}

/// Allocates and touches `mib` MiB.
#[secure_tool]
fn allocate(mib: usize) -> usize {
    let block = vec![1u8; mib << 20];
    block.iter().step_by(4096).map(|b| *b as usize).sum()
}

static SPINS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Spins on the CPU for `millis` of wall time.
#[secure_tool(timeout = "300ms")]
fn spin(millis: u64) -> u64 {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(millis) {
        SPINS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    SPINS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Ignores SIGTERM, then touches a heartbeat file every 20 ms for `millis`.
#[secure_tool(timeout = "300ms")]
fn stubborn(heartbeat: String, millis: u64) -> Result<String, ToolError> {
    // SAFETY: setting a signal's disposition to "ignore" has no handler to race with.
    unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    let start = std::time::Instant::now();
    let mut beats = 0u64;
    while start.elapsed() < Duration::from_millis(millis) {
        beats += 1;
        std::fs::write(&heartbeat, beats.to_string())?;
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok("done".into())
}

/// Starts `sleep 30` in the background, writes its pid, then waits `millis`.
#[secure_tool(timeout = "300ms")]
fn leave_grandchild(pidfile: String, millis: u64) -> Result<String, ToolError> {
    let child = std::process::Command::new("/bin/sleep").arg("30").spawn()?;
    std::fs::write(&pidfile, child.id().to_string())?;
    std::thread::sleep(Duration::from_millis(millis));
    Ok("done".into())
}

/// Writes through a null pointer.
#[secure_tool]
fn segfault() -> String {
    // SAFETY: none; crashing is the point (in a worker, or a throwaway child process).
    unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
    "unreachable".into()
}

/// Prints to stdout, as a chatty library might, and returns something else.
#[secure_tool]
fn chatty() -> String {
    println!(r#"{{"ok":"forged"}}"#);
    "real".into()
}

/// Returns `kib` KiB of text.
#[secure_tool]
fn big_output(kib: usize) -> String {
    "x".repeat(kib << 10)
}

/// Reports the environment it sees.
#[secure_tool]
fn environment() -> Vec<String> {
    std::env::vars().map(|(k, _)| k).collect()
}

/// Says which process it runs in.
#[secure_tool]
async fn where_am_i(session: guard_runtime::CallContext) -> String {
    tokio::time::sleep(Duration::from_millis(1)).await;
    format!(
        "{} {} {}",
        std::process::id(),
        session.agent_id(),
        session.session_id().unwrap_or("-")
    )
}

/// Shows what its validated arguments hold, from inside the default sandbox.
#[secure_tool(sandbox)]
fn validated(
    #[arg(url(hosts = ["api.example.com"], ports = [443]))] url: CheckedUrl,
    #[arg(command(programs = ["echo"]))] cmd: Argv,
    #[arg(sql(dialect = "postgres", tables = ["orders"]))] sql: CheckedSql,
) -> String {
    format!(
        "{} | {} | {} | {}",
        url.url(),
        cmd.args().join(" "),
        sql.as_str(),
        std::process::id()
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guard-sandbox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("work")).unwrap();
    dir
}

/// A guard whose policy runs `tools` under `profile` (named "test").
fn sandboxed(tools: &[&str], profile: SandboxProfile) -> Guard {
    let mut toml = String::new();
    for tool in tools {
        toml.push_str(&format!("[tools.{tool}]\nsandbox = \"test\"\n"));
    }
    Guard::builder()
        .sandbox_profile("test", profile)
        .policy(Policy::from_str(&toml, Format::Toml).unwrap())
        .build()
        .unwrap()
}

fn in_process() -> Guard {
    Guard::builder().build().unwrap()
}

async fn call(guard: &Guard, tool: &str, args: serde_json::Value) -> guard_runtime::ToolReply {
    let ctx = CallContext::new("agent").session("s1");
    let mut replies = guard
        .dispatch(&ctx, &[ToolCall::new("c", tool, args.to_string())])
        .await;
    replies.pop().unwrap()
}

fn failed(reason: FailReason) -> Outcome {
    Outcome::Failed { reason }
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_tool_in_a_sandbox_runs_in_another_process_with_its_context() {
    let sink = MemorySink::new();
    let guard = Guard::builder()
        .sandbox_profile("test", SandboxProfile::default())
        .policy(Policy::from_str("[tools.where_am_i]\nsandbox = \"test\"\n", Format::Toml).unwrap())
        .audit(sink.clone())
        .build()
        .unwrap();
    let reply = call(&guard, "where_am_i", serde_json::json!({})).await;
    assert_eq!(reply.outcome, Outcome::Success, "{reply:?}");
    let words: Vec<&str> = reply.content.split(' ').collect();
    assert_ne!(words[0], std::process::id().to_string());
    assert_eq!(words[1..], ["agent", "s1"]);

    let event = sink.take().pop().unwrap();
    let record = event
        .sandbox
        .expect("a sandboxed call is audited with its layers");
    assert_eq!(&*record.profile, "test");
    for layer in [
        SandboxLayers::MEMORY,
        SandboxLayers::CPU,
        SandboxLayers::FILESYSTEM,
        SandboxLayers::NETWORK,
        SandboxLayers::SECCOMP,
        SandboxLayers::NO_NEW_PRIVS,
        SandboxLayers::PROCESSES,
        SandboxLayers::KILL_GROUP,
    ] {
        assert!(
            record.layers.contains(layer),
            "{layer:?} missing from {:?}",
            record.layers
        );
    }
}

#[tokio::test]
async fn validated_arguments_cross_into_the_worker_as_checked() {
    let guard = Guard::builder().only(["validated"]).build().unwrap();
    let args = serde_json::json!({
        "url": "https://API.example.com:443/a/../b",
        "cmd": "echo hi",
        "sql": "SELECT id FROM orders",
    });
    let reply = call(&guard, "validated", args.clone()).await;
    let parts: Vec<&str> = reply.content.split(" | ").collect();
    assert_eq!(
        parts[..3],
        [
            "https://api.example.com/b",
            "echo hi",
            "SELECT id FROM orders"
        ],
        "{reply:?}"
    );
    assert_ne!(parts[3], std::process::id().to_string());

    let mut bad = args;
    bad["cmd"] = "rm -rf /".into();
    let reply = call(&guard, "validated", bad).await;
    assert_eq!(
        reply.outcome.kind(),
        "unsafe_argument",
        "refused before any worker runs"
    );
}

#[tokio::test]
async fn profiles_come_from_the_policy_file_too() {
    let policy = r#"
[sandboxes.tight]
memory_mb = 384
pool = 1

[tools.allocate]
sandbox = "tight"

[tools.environment.sandbox]
env = ["PATH"]
"#;
    let guard = Guard::builder()
        .policy(Policy::from_str(policy, Format::Toml).unwrap())
        .build()
        .unwrap();
    let reply = call(&guard, "allocate", serde_json::json!({"mib": 512})).await;
    assert_eq!(reply.outcome, failed(FailReason::MemoryLimit), "{reply:?}");

    let reply = call(&guard, "environment", serde_json::json!({})).await;
    assert_eq!(reply.content, r#"["PATH"]"#, "an inline profile: {reply:?}");
    let event_free = call(&in_process(), "environment", serde_json::json!({})).await;
    assert_ne!(event_free.content, reply.content);

    let err = Policy::from_str("[sandboxes.x]\nmemory = 1\n", Format::Toml).unwrap_err();
    assert_eq!(err.key(), Some("sandboxes.x.memory"), "{err}");
    let err =
        Policy::from_str("[tools.environment.sandbox]\nmemroy = 1\n", Format::Toml).unwrap_err();
    assert_eq!(err.key(), Some("tools.environment.sandbox.memroy"), "{err}");
}

#[tokio::test]
async fn writes_outside_the_write_root_are_stopped() {
    let dir = temp_dir("write");
    let outside = dir.join("outside.txt");
    let inside = dir.join("work/inside.txt");
    let args = |p: &Path| serde_json::json!({"target": path(p), "text": "pwned"});

    let reply = call(&in_process(), "write_file", args(&outside)).await;
    assert_eq!(reply.content, "written");
    assert!(outside.exists(), "the unguarded write lands outside");
    std::fs::remove_file(&outside).unwrap();

    let guard = sandboxed(
        &["write_file"],
        SandboxProfile::default().write(dir.join("work")),
    );
    let reply = call(&guard, "write_file", args(&outside)).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert!(
        reply.content.contains("permission denied"),
        "{}",
        reply.content
    );
    assert!(!outside.exists());

    let reply = call(&guard, "write_file", args(&inside)).await;
    assert_eq!(reply.content, "written");
    assert_eq!(std::fs::read_to_string(&inside).unwrap(), "pwned");
}

#[tokio::test]
async fn reads_outside_the_read_roots_are_stopped() {
    let dir = temp_dir("read");
    std::fs::create_dir_all(dir.join("home/.ssh")).unwrap();
    let key = dir.join("home/.ssh/id_ed25519");
    std::fs::write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----").unwrap();
    std::fs::write(dir.join("work/notes.txt"), "notes").unwrap();
    let args = |p: &Path| serde_json::json!({"target": path(p)});

    let reply = call(&in_process(), "read_file", args(&key)).await;
    assert_eq!(
        reply.outcome.kind(),
        "sanitized",
        "the key is read (and redacted): {reply:?}"
    );

    let guard = sandboxed(
        &["read_file"],
        SandboxProfile::default().read(dir.join("work")),
    );
    let reply = call(&guard, "read_file", args(&key)).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert!(
        reply.content.contains("permission denied"),
        "{}",
        reply.content
    );
    let reply = call(&guard, "read_file", args(Path::new("/etc/passwd"))).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");

    let reply = call(&guard, "read_file", args(&dir.join("work/notes.txt"))).await;
    assert_eq!(reply.content, "notes");
}

#[tokio::test]
async fn by_default_a_tool_reads_its_path_root_and_gets_the_checked_path() {
    let dir = temp_dir("checked");
    std::fs::write(dir.join("work/notes.txt"), "notes").unwrap();
    std::fs::write(dir.join("secret.txt"), "secret").unwrap();
    let guard = Guard::builder()
        .validators(ValidatorConfig::default().path(PathPolicy::new().root(dir.join("work"))))
        .policy(
            Policy::from_str(
                "[tools.read_checked]\nsandbox = \"default\"\n",
                Format::Toml,
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let reply = call(
        &guard,
        "read_checked",
        serde_json::json!({"path": "notes.txt"}),
    )
    .await;
    assert_eq!(reply.content, "notes", "{reply:?}");
    let reply = call(
        &guard,
        "read_checked",
        serde_json::json!({"path": "../secret.txt"}),
    )
    .await;
    assert_eq!(reply.outcome.kind(), "unsafe_argument");
}

#[tokio::test]
async fn by_default_nothing_outside_the_path_root_is_read_and_nothing_is_written() {
    let dir = temp_dir("beside");
    std::fs::write(dir.join("secret.txt"), "secret").unwrap();
    std::fs::write(dir.join("work/readme.txt"), "readme").unwrap();
    let root = ValidatorConfig::default().path(PathPolicy::new().root(dir.join("work")));
    let args = |from: &Path| serde_json::json!({"path": "copy.txt", "from": path(from)});

    // In process, the unchecked argument reads outside the root.
    let guard = Guard::builder().validators(root.clone()).build().unwrap();
    let reply = call(&guard, "copy_beside", args(&dir.join("secret.txt"))).await;
    assert_eq!(reply.content, "secret");
    std::fs::remove_file(dir.join("work/copy.txt")).unwrap();

    let guard = Guard::builder()
        .validators(root)
        .policy(
            Policy::from_str("[tools.copy_beside]\nsandbox = \"default\"\n", Format::Toml).unwrap(),
        )
        .build()
        .unwrap();
    let reply = call(&guard, "copy_beside", args(&dir.join("secret.txt"))).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert!(
        reply.content.contains("permission denied"),
        "{}",
        reply.content
    );
    // The root itself is read-only by default.
    let reply = call(&guard, "copy_beside", args(&dir.join("work/readme.txt"))).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert!(!dir.join("work/copy.txt").exists());
}

#[tokio::test]
async fn connections_are_stopped_unless_the_profile_lists_the_port() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    let accept = |listener: &TcpListener| {
        listener.set_nonblocking(true).unwrap();
        let mut got = String::new();
        if let Ok((mut stream, _)) = listener.accept() {
            stream.set_nonblocking(false).unwrap();
            stream.read_to_string(&mut got).unwrap();
        }
        got
    };

    let reply = call(&in_process(), "connect", serde_json::json!({"port": port})).await;
    assert_eq!(reply.content, "connected");
    assert_eq!(
        accept(&listener),
        "hello",
        "the unguarded tool reaches the listener"
    );

    let guard = sandboxed(&["connect"], SandboxProfile::default());
    let reply = call(&guard, "connect", serde_json::json!({"port": port})).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert_eq!(accept(&listener), "");

    let guard = sandboxed(&["connect"], SandboxProfile::default().connect(port));
    let reply = call(&guard, "connect", serde_json::json!({"port": port})).await;
    assert_eq!(reply.content, "connected", "{reply:?}");
    assert_eq!(accept(&listener), "hello");
    let reply = call(&guard, "connect", serde_json::json!({"port": other_port})).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert_eq!(accept(&other), "");
}

#[tokio::test]
async fn dns_queries_do_not_leave_the_sandbox() {
    let resolver = UdpSocket::bind("127.0.0.1:0").unwrap();
    resolver
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let port = resolver.local_addr().unwrap().port();
    let args = serde_json::json!({"port": port, "name": "c2VjcmV0.exfil.test"});
    let mut packet = [0u8; 512];

    let reply = call(&in_process(), "resolve", args.clone()).await;
    assert_eq!(reply.content, "sent");
    let n = resolver.recv(&mut packet).expect("the query arrives");
    assert!(packet[..n].windows(8).any(|w| w == b"c2VjcmV0"));

    let guard = sandboxed(&["resolve"], SandboxProfile::default());
    let reply = call(&guard, "resolve", args).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert!(resolver.recv(&mut packet).is_err(), "nothing arrives");
}

#[tokio::test]
async fn no_child_processes_unless_the_profile_allows_them() {
    let reply = call(
        &in_process(),
        "spawn_many",
        serde_json::json!({"count": 20}),
    )
    .await;
    assert_eq!(reply.content, "20");

    let guard = sandboxed(&["spawn_many"], SandboxProfile::default().exec("/"));
    let reply = call(&guard, "spawn_many", serde_json::json!({"count": 20})).await;
    assert_eq!(reply.outcome.kind(), "tool_error", "{reply:?}");
    assert!(
        reply.content.contains("permission denied"),
        "{}",
        reply.content
    );

    // Allowed (best effort: runs even where no pids cgroup can bound them).
    let guard = sandboxed(
        &["spawn_many"],
        SandboxProfile::default()
            .exec("/")
            .processes(4)
            .best_effort(true),
    );
    let reply = call(&guard, "spawn_many", serde_json::json!({"count": 3})).await;
    assert_eq!(reply.content, "3", "{reply:?}");

    let reply = call(&in_process(), "fork_bomb", serde_json::json!({"count": 60})).await;
    assert_eq!(reply.content, "60", "unguarded, every process starts");
    let guard = sandboxed(
        &["fork_bomb"],
        SandboxProfile::default().exec("/").processes(4),
    );
    let reply = call(&guard, "fork_bomb", serde_json::json!({"count": 60})).await;
    if guard_runtime::sandbox::support().pids_cgroup {
        assert_eq!(reply.content, "4", "the pids cgroup stops the fifth");
    } else {
        // Nothing can bound the count here: the call is refused, not run.
        assert_eq!(
            reply.outcome,
            failed(FailReason::SandboxUnavailable {
                missing: SandboxLayers::PROCESSES
            })
        );
    }
}

#[tokio::test]
async fn memory_past_the_limit_fails_the_call_not_the_agent() {
    let reply = call(&in_process(), "allocate", serde_json::json!({"mib": 1024})).await;
    assert_eq!(
        reply.outcome,
        Outcome::Success,
        "the agent itself grows by 1 GiB"
    );

    let guard = sandboxed(&["allocate"], SandboxProfile::default().memory_mb(512));
    let reply = call(&guard, "allocate", serde_json::json!({"mib": 1024})).await;
    assert_eq!(reply.outcome, failed(FailReason::MemoryLimit), "{reply:?}");
    assert_eq!(
        reply.content,
        r#"{"error":{"kind":"failed","message":"the tool was stopped: it used more memory than it may"}}"#
    );
    let reply = call(&guard, "allocate", serde_json::json!({"mib": 16})).await;
    assert_eq!(reply.outcome, Outcome::Success, "{reply:?}");
}

#[tokio::test]
async fn cpu_past_the_limit_fails_the_call() {
    let guard = Guard::builder()
        .sandbox_profile("test", SandboxProfile::default().cpu_seconds(1))
        .policy(
            Policy::from_str(
                "[tools.spin]\nsandbox = \"test\"\ntimeout = \"20s\"\noverride = true\n",
                Format::Toml,
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let reply = call(&guard, "spin", serde_json::json!({"millis": 10_000})).await;
    assert_eq!(reply.outcome, failed(FailReason::CpuLimit), "{reply:?}");
}

#[tokio::test]
async fn a_timeout_really_stops_a_blocking_tool() {
    use std::sync::atomic::Ordering::Relaxed;
    // In process, a blocking tool is abandoned at its timeout but spins on.
    let guard = in_process();
    let reply = call(&guard, "spin", serde_json::json!({"millis": 1500})).await;
    assert_eq!(reply.outcome, failed(FailReason::TimedOut));
    let before = SPINS.load(Relaxed);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        SPINS.load(Relaxed) > before,
        "the abandoned body still burns CPU"
    );
    assert_eq!(guard.detached_tasks(), 1);

    // A worker that ignores SIGTERM is killed at the timeout all the same.
    let dir = temp_dir("stubborn");
    let heartbeat = dir.join("work/beat");
    let args = serde_json::json!({"heartbeat": path(&heartbeat), "millis": 5000});
    let guard = sandboxed(
        &["stubborn"],
        SandboxProfile::default().write(dir.join("work")),
    );
    let reply = call(&guard, "stubborn", args).await;
    assert_eq!(reply.outcome, failed(FailReason::TimedOut));
    std::thread::sleep(Duration::from_millis(100));
    let beat = std::fs::read_to_string(&heartbeat).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        std::fs::read_to_string(&heartbeat).unwrap(),
        beat,
        "no beats after the kill"
    );
    assert_eq!(guard.detached_tasks(), 0);
}

fn alive(pid: u32) -> bool {
    // A zombie waiting for a reaper counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

#[tokio::test]
async fn nothing_a_tool_started_outlives_its_timeout() {
    let dir = temp_dir("grandchild");
    let pidfile = dir.join("work/pid");
    let args = serde_json::json!({"pidfile": path(&pidfile), "millis": 2000});

    let reply = call(&in_process(), "leave_grandchild", args.clone()).await;
    assert_eq!(reply.outcome, failed(FailReason::TimedOut));
    let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().parse().unwrap();
    assert!(alive(pid), "the unguarded tool's child outlives the call");
    std::process::Command::new("kill")
        .arg(pid.to_string())
        .status()
        .unwrap();

    let guard = sandboxed(
        &["leave_grandchild"],
        SandboxProfile::default()
            .exec("/")
            .write(dir.join("work"))
            .processes(4)
            .best_effort(true),
    );
    let reply = call(&guard, "leave_grandchild", args).await;
    assert_eq!(reply.outcome, failed(FailReason::TimedOut));
    let pid: u32 = std::fs::read_to_string(&pidfile).unwrap().parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while alive(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(pid), "the process group died with the worker");
}

/// Run by `a_segfault_kills_the_worker_not_the_agent` in a child process.
#[tokio::test]
#[ignore = "crashes its process on purpose"]
async fn segfault_in_process() {
    call(&in_process(), "segfault", serde_json::json!({})).await;
}

#[tokio::test]
async fn a_segfault_kills_the_worker_not_the_agent() {
    use std::os::unix::process::ExitStatusExt as _;
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "segfault_in_process", "--ignored", "--nocapture"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGSEGV),
        "in process, the agent dies"
    );

    let guard = sandboxed(&["segfault"], SandboxProfile::default());
    let reply = call(&guard, "segfault", serde_json::json!({})).await;
    assert_eq!(
        reply.outcome,
        failed(FailReason::Crashed {
            signal: libc::SIGSEGV
        })
    );
    assert_eq!(
        reply.content,
        r#"{"error":{"kind":"failed","message":"the tool failed; the error was recorded"}}"#
    );
}

#[tokio::test]
async fn stdout_cannot_forge_a_reply_and_output_is_bounded() {
    let guard = sandboxed(
        &["chatty", "big_output"],
        SandboxProfile::default().output_kb(64),
    );
    let reply = call(&guard, "chatty", serde_json::json!({})).await;
    assert_eq!(reply.content, "real");
    let reply = call(&guard, "big_output", serde_json::json!({"kib": 32})).await;
    assert_eq!(reply.content.len(), 32 << 10);
    let reply = call(&guard, "big_output", serde_json::json!({"kib": 256})).await;
    assert_eq!(reply.outcome, failed(FailReason::OutputLimit));
}

#[tokio::test]
async fn the_environment_holds_only_what_the_profile_lists() {
    // SAFETY: set before any worker starts; the tests only read it.
    unsafe { std::env::set_var("GUARD_TEST_SECRET_TOKEN", "s3cr3t") };
    let reply = call(&in_process(), "environment", serde_json::json!({})).await;
    assert!(reply.content.contains("GUARD_TEST_SECRET_TOKEN"));

    let guard = sandboxed(&["environment"], SandboxProfile::default().env("PATH"));
    let reply = call(&guard, "environment", serde_json::json!({})).await;
    assert_eq!(reply.content, r#"["PATH"]"#, "{reply:?}");
}

/// Run by `a_missing_layer_refuses_the_call_unless_best_effort` in a child
/// process that hides Landlock the way a kernel without it does (`ENOSYS`).
#[tokio::test]
#[ignore = "needs a process without Landlock"]
async fn without_landlock() {
    use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
    let rules = [
        libc::SYS_landlock_create_ruleset,
        libc::SYS_landlock_restrict_self,
    ]
    .into_iter()
    .map(|call| (call, vec![]))
    .collect();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        TargetArch::try_from(std::env::consts::ARCH).unwrap(),
    )
    .unwrap();
    let program: seccompiler::BpfProgram = filter.try_into().unwrap();
    seccompiler::apply_filter_all_threads(&program).unwrap();

    let dir = temp_dir("nolandlock");
    let strict = sandboxed(
        &["read_file"],
        SandboxProfile::default().read(dir.join("work")),
    );
    let reply = call(
        &strict,
        "read_file",
        serde_json::json!({"target": "/etc/hostname"}),
    )
    .await;
    assert_eq!(
        reply.outcome,
        failed(FailReason::SandboxUnavailable {
            missing: SandboxLayers::FILESYSTEM | SandboxLayers::IPC_SCOPE
        })
    );
    assert_eq!(
        serde_json::to_value(&reply.outcome).unwrap()["reason"],
        serde_json::json!({"sandbox_unavailable": {"missing": ["filesystem", "ipc_scope"]}})
    );
    let lenient = sandboxed(
        &["read_file"],
        SandboxProfile::default()
            .read(dir.join("work"))
            .best_effort(true),
    );
    let reply = call(
        &lenient,
        "read_file",
        serde_json::json!({"target": "/etc/hostname"}),
    )
    .await;
    assert_eq!(reply.outcome.kind(), "success", "{reply:?}");
    println!("without-landlock-ok");
}

#[tokio::test]
async fn a_missing_layer_refuses_the_call_unless_best_effort() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "without_landlock", "--ignored", "--nocapture"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("without-landlock-ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn unknown_profiles_fail_the_build() {
    let err = Guard::builder()
        .policy(Policy::from_str("[tools.segfault]\nsandbox = \"nope\"\n", Format::Toml).unwrap())
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid policy: tools.segfault.sandbox: tool `segfault` names sandbox profile `nope`, which is not defined"
    );
}
