//! OpenTelemetry: calls exported over OTLP/HTTP to a receiver on
//! 127.0.0.1, which decodes the protobuf and checks the GenAI attributes,
//! the security decision, the finding events and the metrics.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use guard_runtime::audit::otel::OtelSink;
use guard_runtime::{CallContext, Guard, ToolCall, secure_tool};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use prost::Message as _;

/// Looks an order up.
#[secure_tool(risk = "low")]
fn lookup(order: u32) -> String {
    if order == 7 {
        // A credential in the output: redacted, and a finding on the span.
        "order 7, key AKIAQ3EGRT5HYX2ZK7PL".to_owned()
    } else {
        format!("order {order}")
    }
}

type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// An OTLP/HTTP receiver: answers every POST with 200 and keeps the path
/// and body.
fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let store = store.clone();
            std::thread::spawn(move || {
                let mut data = Vec::new();
                let mut buffer = [0u8; 8192];
                loop {
                    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match stream.read(&mut buffer) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buffer[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&data[..end]).to_string();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    while data.len() < end + 4 + length {
                        match stream.read(&mut buffer) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let body = data[end + 4..end + 4 + length].to_vec();
                    store.lock().unwrap().push((path, body));
                    data.drain(..end + 4 + length);
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
                    );
                }
            });
        }
    });
    (address, received)
}

/// A tracer provider exporting over OTLP/HTTP to `address`. The batch
/// exporter exports from its own thread: the blocking HTTP client cannot
/// run on a server's async workers.
fn tracer_provider(address: &str) -> opentelemetry_sdk::trace::SdkTracerProvider {
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{address}/v1/traces"))
        .build()
        .unwrap();
    opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(spans)
        .build()
}

fn attributes(list: &[KeyValue]) -> HashMap<String, String> {
    list.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                Some(any_value::Value::DoubleValue(d)) => d.to_string(),
                Some(any_value::Value::IntValue(i)) => i.to_string(),
                Some(any_value::Value::BoolValue(b)) => b.to_string(),
                _ => String::new(),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

#[test]
fn calls_reach_an_otlp_receiver_as_genai_spans_and_metrics() {
    let (address, received) = receiver();
    let tracer_provider = tracer_provider(&address);
    let metrics = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_endpoint(format!("{address}/v1/metrics"))
        .build()
        .unwrap();
    let meter_provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
        .with_periodic_exporter(metrics)
        .build();
    let guard = Guard::builder()
        .only(["lookup"])
        .audit(OtelSink::with_providers(&tracer_provider, &meter_provider))
        .build()
        .unwrap();
    let ctx = CallContext::new("support").user("u-1").session("s-42");
    let calls = [
        ToolCall::new("call_ok", "lookup", r#"{"order":3}"#),
        ToolCall::new("call_bad", "lookup", r#"{"order":"DROP TABLE"}"#),
        ToolCall::new("call_secret", "lookup", r#"{"order":7}"#),
    ];
    let replies = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(guard.dispatch(&ctx, &calls));
    assert_eq!(
        replies.iter().map(|r| r.outcome.kind()).collect::<Vec<_>>(),
        ["success", "invalid_arguments", "sanitized"]
    );
    tracer_provider.force_flush().unwrap();
    meter_provider.force_flush().unwrap();

    let spans = spans_of(&received);
    let received = received.lock().unwrap().clone();
    let mut metrics = Vec::new();
    for (path, body) in &received {
        match path.as_str() {
            "/v1/traces" => {}
            "/v1/metrics" => {
                let request = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
                for resource in request.resource_metrics {
                    for scope in resource.scope_metrics {
                        metrics.extend(scope.metrics);
                    }
                }
            }
            other => panic!("unexpected path {other}"),
        }
    }
    assert_eq!(spans.len(), 3, "{received:?}");
    let by_id: HashMap<String, _> = spans
        .iter()
        .map(|s| {
            let a = attributes(&s.attributes);
            (a["gen_ai.tool.call.id"].clone(), (s, a))
        })
        .collect();
    let (ok, a) = &by_id["call_ok"];
    assert_eq!(ok.name, "execute_tool lookup");
    assert_eq!(a["gen_ai.operation.name"], "execute_tool");
    assert_eq!(a["gen_ai.tool.name"], "lookup");
    assert_eq!(a["gen_ai.tool.type"], "function");
    assert_eq!(a["gen_ai.security.decision.type"], "allow");
    assert_eq!(a["gen_ai.security.target.type"], "tool_call");
    assert_eq!(a["gen_ai.conversation.id"], "s-42");
    assert!(!a.contains_key("error.type"));
    assert!(ok.end_time_unix_nano >= ok.start_time_unix_nano);

    let (bad, a) = &by_id["call_bad"];
    assert_eq!(a["gen_ai.security.decision.type"], "deny");
    assert_eq!(a["error.type"], "invalid_arguments");
    assert_eq!(bad.status.as_ref().unwrap().code, 2, "status error");
    // No argument or output content on any span.
    for (span, a) in by_id.values() {
        assert!(
            a.values()
                .all(|v| !v.contains("DROP TABLE") && !v.contains("AKIAQ3"))
        );
        assert!(span.events.iter().all(|e| {
            attributes(&e.attributes)
                .values()
                .all(|v| !v.contains("AKIAQ3"))
        }));
    }

    let (secret, a) = &by_id["call_secret"];
    assert_eq!(a["gen_ai.security.decision.type"], "modify");
    let finding = secret
        .events
        .iter()
        .find(|e| e.name == "gen_ai.security.finding")
        .expect("a finding event");
    assert_eq!(
        attributes(&finding.attributes)["gen_ai.security.risk.category"],
        "aws_access_key"
    );

    // Metrics: counts by tool and outcome only.
    let calls = metrics
        .iter()
        .find(|m| m.name == "guard.tool.calls")
        .expect("the calls counter");
    let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(sum)) = &calls.data else {
        panic!("a sum");
    };
    let mut counted: Vec<(String, i64)> = sum
        .data_points
        .iter()
        .map(|p| {
            let a = attributes(&p.attributes);
            let mut keys: Vec<&str> = a.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["gen_ai.tool.name", "guard.outcome"]);
            let value = match p.value {
                Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(
                    i,
                )) => i,
                _ => panic!("an integer count"),
            };
            (a["guard.outcome"].clone(), value)
        })
        .collect();
    counted.sort();
    assert_eq!(
        counted,
        [
            ("invalid_arguments".to_owned(), 1),
            ("sanitized".to_owned(), 1),
            ("success".to_owned(), 1)
        ]
    );
    assert!(
        metrics
            .iter()
            .any(|m| m.name == "gen_ai.client.operation.duration")
    );
    assert!(metrics.iter().any(|m| m.name == "guard.tool.refusals"));
    // Per step: every call was checked; the two that ran also executed and
    // had their output handled.
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let steps = metrics
        .iter()
        .find(|m| m.name == "guard.step.duration")
        .expect("the step histogram");
    let Some(Data::Histogram(histogram)) = &steps.data else {
        panic!("a histogram");
    };
    let mut per_step: Vec<(String, u64)> = histogram
        .data_points
        .iter()
        .map(|p| (attributes(&p.attributes)["guard.step"].clone(), p.count))
        .collect();
    per_step.sort();
    assert_eq!(
        per_step,
        [
            ("check".to_owned(), 3),
            ("execute".to_owned(), 2),
            ("output".to_owned(), 2)
        ]
    );
    tracer_provider.shutdown().unwrap();
    meter_provider.shutdown().unwrap();
}

/// The spans the receiver got (all of guard's scope).
fn spans_of(received: &Received) -> Vec<opentelemetry_proto::tonic::trace::v1::Span> {
    let mut spans = Vec::new();
    for (path, body) in received.lock().unwrap().iter() {
        if path == "/v1/traces" {
            let request = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
            for resource in request.resource_spans {
                for scope in resource.scope_spans {
                    assert_eq!(scope.scope.as_ref().unwrap().name, "guard");
                    spans.extend(scope.spans);
                }
            }
        }
    }
    spans
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An MCP client's trace is continued: `traceparent` in a `tools/call`'s
/// `_meta`, or in the HTTP request's headers, becomes the parent of the
/// guard's span, which names the MCP method and session.
#[test]
fn mcp_calls_continue_the_clients_trace() {
    use guard_runtime::integrations::mcp::GuardMcp;
    let (address, received) = receiver();
    let tracer_provider = tracer_provider(&address);
    let meter_provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let session = runtime.block_on(async {
        let guard = Guard::builder()
            .only(["lookup"])
            .audit(OtelSink::with_providers(&tracer_provider, &meter_provider))
            .build()
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        tokio::spawn(GuardMcp::new(guard).serve_http(listener));
        let client = reqwest::Client::new();
        let post = |body: serde_json::Value, session: Option<&str>, parent: Option<&str>| {
            let mut request = client
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(body.to_string());
            if let Some(session) = session {
                request = request.header("mcp-session-id", session);
            }
            if let Some(parent) = parent {
                request = request.header("traceparent", parent);
            }
            request.send()
        };
        let initialized = post(
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "otel-test", "version": "1"}}}),
            None,
            None,
        )
        .await
        .unwrap();
        let session = initialized.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(initialized.text().await.unwrap().contains("serverInfo"));
        post(
            serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            Some(&session),
            None,
        )
        .await
        .unwrap();
        let in_meta = post(
            serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "lookup", "arguments": {"order": 3},
                "_meta": {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}}),
            Some(&session),
            None,
        );
        assert!(in_meta.await.unwrap().text().await.unwrap().contains("order 3"));
        let in_header = post(
            serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
                "name": "lookup", "arguments": {"order": 4}}}),
            Some(&session),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        );
        assert!(in_header.await.unwrap().text().await.unwrap().contains("order 4"));
        session
    });
    tracer_provider.force_flush().unwrap();
    let spans = spans_of(&received);
    assert_eq!(spans.len(), 2, "{spans:?}");
    let seen: Vec<(String, String, String, String)> = spans
        .iter()
        .map(|s| {
            let a = attributes(&s.attributes);
            (
                hex(&s.trace_id),
                hex(&s.parent_span_id),
                a["mcp.method.name"].clone(),
                a["mcp.session.id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
                "00f067aa0ba902b7".to_owned(),
                "tools/call".to_owned(),
                session.clone()
            ),
            (
                "0af7651916cd43dd8448eb211c80319c".to_owned(),
                "b7ad6b7169203331".to_owned(),
                "tools/call".to_owned(),
                session
            ),
        ]
    );
}
