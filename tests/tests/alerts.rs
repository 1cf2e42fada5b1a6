//! Anomaly alerts on replayed traffic: a deterministic 10,000-call benign
//! trace raises at most 1% alerts, and a scripted attack (probe, read a
//! secret, send it out) is alerted within one call of its start; and the
//! detector on a real guard's audit stream.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use guard_runtime::alerts::{
    AlertThresholds, AnomalyDetector, MemoryAlerts, Observation, RedisObservations,
    follow_observations,
};
use guard_runtime::{CallContext, Guard, ToolCall, secure_tool};
use guard_tests::Rng;

/// The agents of the trace, with the tools each uses and how often.
const AGENTS: [(&str, &[(&str, u32)]); 4] = [
    (
        "support",
        &[
            ("lookup_order", 40),
            ("read_customer", 25),
            ("send_reply", 25),
            ("refund", 10),
        ],
    ),
    (
        "research",
        &[("web_search", 50), ("fetch_page", 35), ("summarize", 15)],
    ),
    (
        "ops",
        &[("read_logs", 60), ("query_metrics", 35), ("restart", 5)],
    ),
    (
        "analyst",
        &[("query_db", 70), ("chart", 20), ("export_report", 10)],
    ),
];

fn detector(alerts: &Arc<MemoryAlerts>) -> AnomalyDetector {
    AnomalyDetector::new(AlertThresholds::default())
        .sink(alerts.clone())
        .labels("read_customer", &["customer_data"], &[])
        .labels("query_db", &["warehouse"], &[])
        .labels("read_secrets", &["secrets"], &[])
        .labels("web_search", &["web"], &[])
        .labels("fetch_page", &["web"], &[])
        .labels("send_reply", &[], &["email"])
        .labels("export_report", &[], &["internal_share"])
        .labels("send_email", &[], &["external"])
}

/// 10,000 calls: sessions of 3 to 20 calls, a few seconds apart (a second
/// or less in busy stretches, one in four), each agent mostly sticking to
/// its own tools with their usual weights but now and then (one call in
/// 400) using another agent's; one call in 150 refused (a malformed
/// argument), never twice in a row.
fn benign_trace() -> Vec<Observation> {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut calls = Vec::with_capacity(10_000);
    let mut clock = 0u64;
    let mut session = 0u32;
    while calls.len() < 10_000 {
        let (agent, tools) = AGENTS[rng.below(AGENTS.len())];
        session += 1;
        let length = 3 + rng.below(18);
        let mut last_refused = false;
        let busy = (calls.len() / 500) % 4 == 3;
        for _ in 0..length {
            clock += if busy { rng.below(2) } else { 1 + rng.below(6) } as u64;
            let tools = if rng.below(400) == 0 {
                AGENTS[rng.below(AGENTS.len())].1
            } else {
                tools
            };
            let total: u32 = tools.iter().map(|(_, w)| w).sum();
            let mut pick = rng.below(total as usize) as u32;
            let tool = tools
                .iter()
                .find(|(_, w)| {
                    let hit = pick < *w;
                    pick = pick.saturating_sub(*w);
                    hit
                })
                .map_or(tools[0].0, |(t, _)| t);
            let refused = !last_refused && rng.below(150) == 0;
            last_refused = refused;
            calls.push(Observation {
                time: UNIX_EPOCH + Duration::from_secs(1_800_000_000 + clock),
                agent: agent.into(),
                session: Some(format!("s{session}")),
                tool: tool.into(),
                refused,
                injection: false,
                arguments: (rng.next_u64() as u128)
                    .to_le_bytes()
                    .repeat(2)
                    .try_into()
                    .unwrap(),
            });
        }
    }
    calls.truncate(10_000);
    calls
}

#[test]
fn a_benign_trace_raises_at_most_one_percent_alerts() {
    let alerts = Arc::new(MemoryAlerts::default());
    let detector = detector(&alerts);
    for call in benign_trace() {
        detector.observe(&call);
    }
    let raised = alerts.taken();
    let mut by_detector = std::collections::BTreeMap::new();
    for alert in &raised {
        *by_detector.entry(alert.detector).or_insert(0) += 1;
    }
    eprintln!(
        "benign trace: {} alerts on 10,000 calls: {by_detector:?}",
        raised.len()
    );
    assert!(
        raised.len() <= 100,
        "{} alerts on 10,000 benign calls: {:?}",
        raised.len(),
        &raised[..raised.len().min(5)]
    );
}

#[test]
fn a_scripted_attack_is_alerted_within_one_call_of_its_start() {
    let alerts = Arc::new(MemoryAlerts::default());
    let detector = detector(&alerts);
    let trace = benign_trace();
    let end = trace.last().unwrap().time;
    for call in &trace {
        detector.observe(call);
    }
    alerts.taken();
    // A hijacked support agent: probes the guard, reads a secret, sends it out.
    let attack = [
        ("read_customer", true),
        ("read_customer", true),
        ("read_secrets", false),
        ("send_email", false),
    ];
    let mut first_alert = None;
    for (i, (tool, refused)) in attack.iter().enumerate() {
        detector.observe(&Observation {
            time: end + Duration::from_secs(2 * i as u64 + 1),
            agent: "support".into(),
            session: Some("hijacked".into()),
            tool: (*tool).into(),
            refused: *refused,
            injection: false,
            arguments: [i as u8; 32],
        });
        if first_alert.is_none() && !alerts.taken().is_empty() {
            first_alert = Some(i);
        }
    }
    assert!(first_alert.is_some_and(|i| i <= 1), "{first_alert:?}");
}

/// Reads a customer record.
#[secure_tool(risk = "low", source = ["customer_data"])]
fn read_customer(id: u32) -> String {
    format!("customer {id}")
}

#[tokio::test]
async fn the_detector_reads_a_guards_audit_stream() {
    let alerts = Arc::new(MemoryAlerts::default());
    let detector = Arc::new(AnomalyDetector::new(AlertThresholds::default()).sink(alerts.clone()));
    let guard = Guard::builder()
        .only(["read_customer"])
        .audit(detector.clone())
        .build()
        .unwrap();
    assert_eq!(
        guard.tool("read_customer").unwrap().sources(),
        ["customer_data"]
    );
    let ctx = CallContext::new("support").session("s-9");
    let probe = |id: &str| ToolCall::new(id, "read_customer", r#"{"id":"../../etc"}"#);
    guard.dispatch(&ctx, &[probe("1")]).await;
    assert!(alerts.taken().is_empty());
    guard.dispatch(&ctx, &[probe("2")]).await;
    let raised = alerts.taken();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(
        (
            raised[0].detector,
            raised[0].agent.as_str(),
            raised[0].session.as_deref()
        ),
        ("refusal_burst", "support", Some("s-9"))
    );
}

#[tokio::test]
async fn alerts_reach_a_webhook_as_json() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        // Headers, then as many body bytes as content-length says.
        loop {
            let n = stream.read(&mut buffer).await.unwrap();
            request.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    stream
                        .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .unwrap();
                    return (text[..end].to_owned(), text[end + 4..].to_owned());
                }
            }
        }
    });
    let detector = AnomalyDetector::new(AlertThresholds::default())
        .sink(guard_runtime::alerts::WebhookAlerts::new(&url).unwrap());
    for i in 0..2u8 {
        detector.observe(&Observation {
            time: UNIX_EPOCH + Duration::from_secs(u64::from(i)),
            agent: "support".into(),
            session: Some("s-1".into()),
            tool: "read_customer".into(),
            refused: true,
            injection: false,
            arguments: [i; 32],
        });
    }
    let (head, body) = tokio::time::timeout(Duration::from_secs(10), received)
        .await
        .unwrap()
        .unwrap();
    assert!(head.starts_with("POST /hook HTTP/1.1"), "{head}");
    let alert: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(alert["detector"], "refusal_burst");
    assert_eq!(alert["session"], "s-1");
    assert_eq!(alert["tool"], "read_customer");
}

/// Fetches a web page (untrusted input).
#[secure_tool(risk = "low", source = ["web"])]
fn fetch_page(url: String) -> String {
    format!("page at {url}")
}

/// Sends an email (egress).
#[secure_tool(risk = "medium", sink = ["external"])]
fn send_email(to: String, body: String) -> String {
    format!("sent {} bytes to {to}", body.len())
}

/// Two replicas publish to one Redis stream and one detector reads it: a
/// session whose private read and egress go through one replica and whose
/// untrusted input goes through the other is the lethal trifecta there,
/// while the first replica's own detector, seeing two thirds of it, is
/// silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_detector_through_redis() {
    let url = guard_tests::shared_redis_url();
    let key = format!("guard-test:observations:{}", std::process::id());
    let tools = ["read_customer", "fetch_page", "send_email"];
    let replica_b = Guard::builder()
        .only(tools)
        .audit(RedisObservations::connect(&url, key.as_str()).unwrap())
        .build()
        .unwrap();
    // Replica A also runs a detector of its own, over its calls alone.
    let local_alerts = Arc::new(MemoryAlerts::default());
    let local = Arc::new(
        AnomalyDetector::new(AlertThresholds::default())
            .sink(local_alerts.clone())
            .labels_of(&replica_b),
    );
    let replica_a = Guard::builder()
        .only(tools)
        .audit(RedisObservations::connect(&url, key.as_str()).unwrap())
        .audit(local.clone())
        .build()
        .unwrap();
    let shared_alerts = Arc::new(MemoryAlerts::default());
    let shared = Arc::new(
        AnomalyDetector::new(AlertThresholds::default())
            .sink(shared_alerts.clone())
            .labels_of(&replica_a),
    );
    let follower = tokio::spawn({
        let (url, key, shared) = (url.clone(), key.clone(), shared.clone());
        async move { follow_observations(&url, &key, &shared, true).await }
    });

    // The follower first waits on an empty stream for longer than a
    // Redis client's default answer time: an idle read is no failure.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !follower.is_finished(),
        "the follower gave up on an idle stream"
    );

    let ctx = CallContext::new("support").session("s-across");
    replica_a
        .dispatch(&ctx, &[ToolCall::new("1", "read_customer", r#"{"id":7}"#)])
        .await;
    replica_b
        .dispatch(
            &ctx,
            &[ToolCall::new(
                "2",
                "fetch_page",
                r#"{"url":"https://example.com/"}"#,
            )],
        )
        .await;
    replica_a
        .dispatch(
            &ctx,
            &[ToolCall::new(
                "3",
                "send_email",
                r#"{"to":"a@example.com","body":"hi"}"#,
            )],
        )
        .await;

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut raised = Vec::new();
    while !raised
        .iter()
        .any(|a: &guard_runtime::alerts::Alert| a.detector == "lethal_trifecta")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no trifecta alert: {raised:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        raised.extend(shared_alerts.taken());
    }
    let trifecta = raised
        .iter()
        .find(|a| a.detector == "lethal_trifecta")
        .unwrap();
    assert_eq!(
        (
            trifecta.agent.as_str(),
            trifecta.session.as_deref(),
            trifecta.tool.as_str()
        ),
        ("support", Some("s-across"), "send_email")
    );
    assert!(
        local_alerts
            .taken()
            .iter()
            .all(|a| a.detector != "lethal_trifecta"),
        "one replica's detector cannot see the other's calls"
    );
    follower.abort();
}

/// Outside a Tokio runtime there is nothing to publish from: an error, not
/// a panic.
#[test]
fn publishing_needs_a_runtime() {
    let err = RedisObservations::connect("redis://127.0.0.1:1/", "k").unwrap_err();
    assert_eq!(err.to_string(), "RedisObservations needs a Tokio runtime");
}
