//! The audit dashboard (`guard dashboard`), seen in a real headless
//! Chromium driven over the DevTools protocol: the page shows the counts
//! of a fixture trail, a record appended while it is open appears without
//! a reload, and a tampered trail shows a broken chain. Also the server's
//! own rules: tokens, the `Host` check, no markup from the trail.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guard_runtime::alerts::Observation;
use guard_runtime::audit::{Durability, JsonlAuditSink, MemorySink};
use guard_runtime::{CallContext, Guard, ToolCall, secure_tool};
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket, stream::MaybeTlsStream};

/// Look up a customer.
#[secure_tool(risk = "low", source = "customer_data")]
async fn lookup(customer: String) -> String {
    format!("customer {customer}")
}

/// Send a note.
#[secure_tool(risk = "low", sink = "email")]
async fn send_note(to: String) -> String {
    to
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guard-dashboard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A guard writing `path`, and the fixture trail: 7 successes, 2
/// invalid arguments, 1 unknown tool (one of them a tool name with
/// markup in it, which the page must show as text).
async fn fixture(path: &Path) -> (Guard, Arc<MemorySink>) {
    let memory = Arc::new(MemorySink::default());
    let guard = Guard::builder()
        .only(["lookup", "send_note"])
        .audit(JsonlAuditSink::open(path, Durability::Flush).unwrap())
        .audit(memory.clone())
        .build()
        .unwrap();
    let support = CallContext::new("support").session("s-1");
    let other = CallContext::new("research").session("s-2");
    for i in 0..5 {
        let args = json!({"customer": format!("c-{i}")}).to_string();
        guard
            .dispatch(&support, &[ToolCall::new(format!("a{i}"), "lookup", args)])
            .await;
    }
    guard
        .dispatch(
            &other,
            &[ToolCall::new("b1", "lookup", r#"{"customer":"c-9"}"#)],
        )
        .await;
    guard
        .dispatch(
            &other,
            &[ToolCall::new("b2", "send_note", r#"{"to":"ops"}"#)],
        )
        .await;
    for (id, args) in [("c1", r#"{"customer": 7}"#), ("c2", r#"{}"#)] {
        guard
            .dispatch(&support, &[ToolCall::new(id, "lookup", args)])
            .await;
    }
    guard
        .dispatch(
            &other,
            &[ToolCall::new("d1", "<img src=x onerror=alert(1)>", "{}")],
        )
        .await;
    (guard, memory)
}

/// `guard dashboard` of the tests' application binary, and its address.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(file: &Path, extra: &[&str], env: &[(&str, &str)]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guard_app"))
        .arg("dashboard")
        .arg(file)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("guard dashboard: ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Served { child, url }
}

/// GET with an optional `Host` and `Authorization`, by hand: the status
/// and body.
fn get(url: &str, path: &str, host: Option<&str>, auth: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        host.unwrap_or(address)
    );
    if let Some(auth) = auth {
        request.push_str(&format!("Authorization: {auth}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The JSON snapshot, once the dashboard has read `records` records.
fn summary_when(url: &str, records: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = get(url, "/api/summary", None, None);
        assert_eq!(status, 200, "{body}");
        // A chunked body: the JSON is the line that starts with `{`.
        let json = body
            .lines()
            .find(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str::<Value>(l).unwrap());
        if let Some(json) = json
            && json["records"] == records
        {
            return json;
        }
        assert!(
            Instant::now() < deadline,
            "no snapshot with {records} records: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A headless Chromium and one page of it, over the DevTools protocol.
struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    _profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn launch(name: &str) -> Browser {
        let profile = temp_dir(&format!("chromium-{name}"));
        let binary = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|b| {
                Command::new(b)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .expect(
                "Chromium is not installed: scripts/test.sh installs it (apt-get install chromium)",
            );
        let child = Command::new(binary)
            .args([
                "--headless=new",
                // Root in CI containers: Chromium's own sandbox needs user namespaces.
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--window-size=1400,1100",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Chromium writes the port it chose, and the browser's path, here.
        let active = profile.join("DevToolsActivePort");
        let deadline = Instant::now() + Duration::from_secs(30);
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&active)
                && let Some((port, path)) = text.split_once('\n')
                && !path.trim().is_empty()
            {
                break (port.trim().to_owned(), path.trim().to_owned());
            }
            assert!(Instant::now() < deadline, "Chromium did not start");
            std::thread::sleep(Duration::from_millis(100));
        };
        let (socket, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}{path}")).unwrap();
        let mut browser = Browser {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    /// Sends a command (to the page once attached) and waits for its answer.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .unwrap();
        loop {
            let Message::Text(text) = self.socket.read().unwrap() else {
                continue;
            };
            let answer: Value = serde_json::from_str(&text).unwrap();
            if answer["id"] == id {
                assert!(answer.get("error").is_none(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
    }

    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    /// Waits until `expression` gives `expected`.
    fn wait_for(&mut self, expression: &str, expected: Value) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self.eval(expression);
            if value == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{expression}: {value} (expected {expected})"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screenshot(&mut self, path: &Path) {
        use base64::Engine;
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

const TEXT_OF: &str = "(id) => document.getElementById(id).textContent";

fn text(id: &str) -> String {
    format!("({TEXT_OF})({id:?})")
}

/// A cell of a table's row whose first cell is `first`.
fn cell(table: &str, first: &str, column: usize) -> String {
    format!(
        "(() => {{ const row = [...document.querySelectorAll('#{table} tr')].find(r => r.cells[0].textContent === {first:?}); return row ? row.cells[{column}].textContent : null; }})()"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_trail_live_and_a_broken_chain() {
    let dir = temp_dir("live");
    let path = dir.join("audit.jsonl");
    let (guard, memory) = fixture(&path).await;

    // The JSON the page renders: counts from the fixture.
    let served = serve(&path, &[], &[]);
    let summary = summary_when(&served.url, 10);
    assert_eq!(summary["chain"], json!({"ok": true, "problem": null}));
    assert_eq!(summary["file"], "audit.jsonl");
    assert_eq!(
        summary["outcomes"],
        json!({"invalid_arguments": 2, "success": 7, "unknown_tool": 1})
    );
    assert_eq!(
        summary["refusals"],
        json!({"invalid_arguments": 2, "unknown_tool": 1})
    );

    // The detectors read the file as they read the guard's own events.
    let from_file: Vec<Observation> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            let record: Value = serde_json::from_str(l).unwrap();
            Observation::from_record(&record["event"]).unwrap()
        })
        .collect();
    // The file keeps times to the millisecond.
    let millis = |t: std::time::SystemTime| {
        let since = t.duration_since(std::time::UNIX_EPOCH).unwrap();
        std::time::UNIX_EPOCH + Duration::from_millis(since.as_millis() as u64)
    };
    let from_guard: Vec<Observation> = memory
        .events()
        .iter()
        .map(|event| {
            let mut seen = Observation::of(event);
            seen.time = millis(seen.time);
            seen
        })
        .collect();
    assert_eq!(from_file, from_guard);

    let mut browser = Browser::launch("live");
    browser.navigate(&served.url);
    browser.wait_for(&text("records"), json!("10"));
    browser.wait_for(&text("chain"), json!("chain verified"));
    browser.wait_for(&text("refused-total"), json!("3"));
    browser.wait_for(&cell("tools", "lookup", 1), json!("8"));
    browser.wait_for(&cell("tools", "lookup", 2), json!("2"));
    browser.wait_for(&cell("agents", "support", 1), json!("7"));
    browser.wait_for(&cell("sessions", "s-2", 2), json!("3"));
    // The tool name with markup is text on the page, not an element.
    browser.wait_for(
        &cell("tools", "<img src=x onerror=alert(1)>", 1),
        json!("1"),
    );
    assert_eq!(
        browser.eval("document.querySelectorAll('img').length"),
        json!(0)
    );

    // A record appended while the page is open appears without a reload.
    browser.eval("window.loadedOnce = true");
    guard
        .dispatch(
            &CallContext::new("support").session("s-3"),
            &[ToolCall::new("e1", "send_note", r#"{"to":"ops"}"#)],
        )
        .await;
    browser.wait_for(&text("records"), json!("11"));
    browser.wait_for(&cell("tools", "send_note", 1), json!("2"));
    assert_eq!(browser.eval("window.loadedOnce === true"), json!(true));
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    browser.screenshot(&shot);
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);

    // A trail edited after the fact: the page says the chain is broken,
    // and where.
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines[3] = lines[3].replace(r#""call_id":"a3""#, r#""call_id":"a9""#);
    assert!(lines[3].contains("a9"));
    let tampered = dir.join("tampered.jsonl");
    std::fs::write(&tampered, lines.join("\n") + "\n").unwrap();
    let broken = serve(&tampered, &[], &[]);
    browser.navigate(&broken.url);
    browser.wait_for(&text("chain"), json!("chain broken"));
    browser.wait_for(
        &text("chain-problem"),
        json!("line 4: record 4 was modified"),
    );
    browser.wait_for(&text("records"), json!("11"));
}

#[test]
fn tokens_hosts_and_addresses() {
    let dir = temp_dir("rules");
    let path = dir.join("audit.jsonl");
    std::fs::write(&path, "").unwrap();

    let open = serve(&path, &[], &[]);
    let address = open
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    assert_eq!(get(&open.url, "/", None, None).0, 200);
    // Another name for the address (DNS rebinding) is refused.
    assert_eq!(
        get(&open.url, "/api/summary", Some("attacker.example:80"), None),
        (421, "unknown host".to_owned())
    );
    let port = address.rsplit_once(':').unwrap().1;
    assert_eq!(
        get(&open.url, "/", Some(&format!("localhost:{port}")), None).0,
        200
    );

    let locked = serve(&path, &[], &[("GUARD_DASHBOARD_TOKEN", "s3cret-token")]);
    assert_eq!(
        get(&locked.url, "/api/summary", None, None),
        (401, "a token is needed".to_owned())
    );
    assert_eq!(
        get(&locked.url, "/api/summary", None, Some("Bearer wrong")).0,
        401
    );
    assert_eq!(
        get(
            &locked.url,
            "/api/summary",
            None,
            Some("Bearer s3cret-token")
        )
        .0,
        200
    );
    assert_eq!(get(&locked.url, "/?token=s3cret-token", None, None).0, 200);

    // The network, without a token: refused before listening.
    let output = Command::new(env!("CARGO_BIN_EXE_guard_app"))
        .args(["dashboard", path.to_str().unwrap(), "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "guard: cannot listen on 0.0.0.0:0: a dashboard on a non-loopback address needs a token"
    );
}
