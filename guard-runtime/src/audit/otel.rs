//! Every call as an OpenTelemetry span and metrics, following the GenAI
//! semantic conventions (`execute_tool {tool}`, `gen_ai.*` attributes),
//! with the guard's decision as the security attributes.
//!
//! Only OpenTelemetry's API is a dependency: the application sets up the
//! SDK and its exporter (OTLP, stdout, ...) and installs the providers, or
//! hands them to [`OtelSink::with_providers`]. Without an installed
//! provider the API's no-op one makes this sink almost free.
//!
//! Spans carry no argument or output content: the call id, the tool, the
//! outcome and the SHA-256 of the arguments. Metric attributes are low
//! cardinality: the tool and the outcome kind, never users, sessions,
//! arguments or ids.
//!
//! A span continues the trace that is current where the call is
//! dispatched. The MCP server continues its client's trace (W3C
//! `traceparent` in the request's `_meta`, or the HTTP header) and adds
//! `mcp.method.name` and `mcp.session.id`; an application with its own
//! HTTP front does the same with [`remote_parent`].

use std::borrow::Cow;

use opentelemetry::metrics::{Counter, Histogram, Meter, MeterProvider};
use opentelemetry::trace::{Span as _, SpanKind, Status, Tracer as _, TracerProvider};
use opentelemetry::{Context, InstrumentationScope, KeyValue, global};

use super::{AuditEvent, AuditSink};
use crate::outcome::Outcome;

/// The instrumentation scope's name.
const SCOPE: &str = "guard";

/// The context of a caller's trace, from its W3C Trace Context headers
/// (`traceparent`, and `tracestate` if any), to dispatch calls in so that
/// their spans continue it. `None` when `traceparent` is not a valid
/// version-00 value.
///
/// ```
/// use opentelemetry::context::FutureExt;
/// use opentelemetry::trace::TraceContextExt;
/// use guard_runtime::audit::otel::remote_parent;
///
/// let parent = remote_parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None).unwrap();
/// assert_eq!(parent.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(remote_parent("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None).is_none());
/// // guard.dispatch(&ctx, &calls).with_context(parent).await
/// ```
pub fn remote_parent(traceparent: &str, tracestate: Option<&str>) -> Option<Context> {
    use opentelemetry::trace::{
        SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    let mut parts = traceparent.trim().split('-');
    let (Some("00"), Some(trace), Some(span), Some(flags), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let lower_hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !lower_hex(trace, 32) || !lower_hex(span, 16) || !lower_hex(flags, 2) {
        return None;
    }
    let trace = TraceId::from_hex(trace).ok()?;
    let span = SpanId::from_hex(span).ok()?;
    if trace == TraceId::INVALID || span == SpanId::INVALID {
        return None;
    }
    let flags = TraceFlags::new(u8::from_str_radix(flags, 16).ok()? & TraceFlags::SAMPLED.to_u8());
    let state = tracestate
        .and_then(|s| s.parse::<TraceState>().ok())
        .unwrap_or_default();
    let remote = SpanContext::new(trace, span, flags, true, state);
    Some(Context::new().with_remote_span_context(remote))
}

/// Marks a context as an MCP `tools/call` (and its session), for the
/// span's `mcp.*` attributes.
#[derive(Debug, Clone)]
pub(crate) struct McpRequest {
    pub(crate) session: Option<String>,
}

/// Reports each audit event as an `execute_tool` span and as metrics.
///
/// ```
/// use guard_runtime::Guard;
/// use guard_runtime::audit::otel::OtelSink;
///
/// // With the global providers (no-op until the app installs an SDK).
/// let guard = Guard::builder().audit(OtelSink::new()).build().unwrap();
/// # drop(guard);
/// ```
pub struct OtelSink {
    tracer: global::BoxedTracer,
    calls: Counter<u64>,
    refusals: Counter<u64>,
    duration: Histogram<f64>,
    steps: Histogram<f64>,
}

impl std::fmt::Debug for OtelSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtelSink").finish_non_exhaustive()
    }
}

impl Default for OtelSink {
    fn default() -> Self {
        Self::new()
    }
}

impl OtelSink {
    /// Reports through the globally installed tracer and meter providers.
    pub fn new() -> Self {
        let scope = scope();
        let tracer = global::tracer_with_scope(scope.clone());
        Self::from_parts(tracer, &global::meter_with_scope(scope))
    }

    /// Reports through these providers.
    pub fn with_providers<T, M>(tracer_provider: &T, meter_provider: &M) -> Self
    where
        T: TracerProvider,
        T::Tracer: Send + Sync + 'static,
        <T::Tracer as opentelemetry::trace::Tracer>::Span: Send + Sync + 'static,
        M: MeterProvider,
    {
        let scope = scope();
        let tracer =
            global::BoxedTracer::new(Box::new(tracer_provider.tracer_with_scope(scope.clone())));
        Self::from_parts(tracer, &meter_provider.meter_with_scope(scope))
    }

    fn from_parts(tracer: global::BoxedTracer, meter: &Meter) -> Self {
        OtelSink {
            tracer,
            calls: meter
                .u64_counter("guard.tool.calls")
                .with_description("Tool calls answered, by tool and outcome")
                .build(),
            refusals: meter
                .u64_counter("guard.tool.refusals")
                .with_description("Tool calls the guard refused, by tool and refusal kind")
                .build(),
            duration: meter
                .f64_histogram("gen_ai.client.operation.duration")
                .with_unit("s")
                .with_description("Time from a call's checks to its reply, by tool and outcome")
                .build(),
            steps: meter
                .f64_histogram("guard.step.duration")
                .with_unit("s")
                .with_description(
                    "Time per pipeline step (check, execute, output), by tool and step",
                )
                .build(),
        }
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder(SCOPE)
        .with_version(env!("CARGO_PKG_VERSION"))
        .build()
}

/// What the guard did with the call, in the conventions' words.
fn decision(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Sanitized { .. } | Outcome::OutputBlocked { .. } => "modify",
        // The body ran or may still run: the guard let it through.
        Outcome::Failed { .. } | Outcome::PendingApproval { .. } => "allow",
        outcome if outcome.tool_ran() => "allow",
        _ => "deny",
    }
}

impl AuditSink for OtelSink {
    fn record(&self, event: &AuditEvent) {
        let outcome = &event.outcome;
        let kind = outcome.kind();
        let refused = decision(outcome) == "deny";
        let end = event.time;
        let start = end.checked_sub(event.latency).unwrap_or(end);
        // The caller's trace (the context current where the call was
        // dispatched) is continued. Attributes are built only for a span
        // that records: with no provider installed, nothing is.
        let parent = Context::current();
        let mut span = self
            .tracer
            .span_builder(Cow::Owned(format!("execute_tool {}", event.tool)))
            .with_kind(SpanKind::Internal)
            .with_start_time(start)
            .start_with_context(&self.tracer, &parent);
        if span.is_recording() {
            span.set_attributes(span_attributes(event));
            if let Some(mcp) = parent.get::<McpRequest>() {
                span.set_attribute(KeyValue::new("mcp.method.name", "tools/call"));
                if let Some(session) = &mcp.session {
                    span.set_attribute(KeyValue::new("mcp.session.id", session.clone()));
                }
            }
            for finding in findings(outcome) {
                span.add_event("gen_ai.security.finding", finding);
            }
            if !outcome.is_success() && !outcome.is_pending() {
                span.set_status(Status::error(kind));
            }
        }
        span.end_with_timestamp(end);

        let metric = [
            KeyValue::new("gen_ai.tool.name", event.tool.clone()),
            KeyValue::new("guard.outcome", kind),
        ];
        self.calls.add(1, &metric);
        self.duration.record(event.latency.as_secs_f64(), &metric);
        if refused {
            self.refusals.add(1, &metric);
        }
        // The checks took what execution and output did not.
        let (execute, output) = event
            .steps
            .map_or((None, None), |s| (Some(s.execute), Some(s.output)));
        let check = event
            .latency
            .saturating_sub(execute.unwrap_or_default() + output.unwrap_or_default());
        for (step, took) in [
            ("check", Some(check)),
            ("execute", execute),
            ("output", output),
        ] {
            if let Some(took) = took {
                let attributes = [
                    KeyValue::new("gen_ai.tool.name", event.tool.clone()),
                    KeyValue::new("guard.step", step),
                ];
                self.steps.record(took.as_secs_f64(), &attributes);
            }
        }
    }
}

/// The span's attributes: the conventions' and the guard's decision.
fn span_attributes(event: &AuditEvent) -> Vec<KeyValue> {
    let outcome = &event.outcome;
    let mut attributes = vec![
        KeyValue::new("gen_ai.operation.name", "execute_tool"),
        KeyValue::new("gen_ai.tool.name", event.tool.clone()),
        KeyValue::new("gen_ai.tool.call.id", event.call_id.clone()),
        KeyValue::new("gen_ai.tool.type", "function"),
        KeyValue::new("gen_ai.agent.id", event.context.agent_id().to_owned()),
        KeyValue::new("gen_ai.security.target.type", "tool_call"),
        KeyValue::new("gen_ai.security.decision.type", decision(outcome)),
        KeyValue::new("guard.outcome", outcome.kind()),
        KeyValue::new("guard.policy", event.policy.to_string()),
        KeyValue::new("guard.arguments.sha256", event.arguments_digest.to_string()),
    ];
    if let Some(session) = event.context.session_id() {
        attributes.push(KeyValue::new("gen_ai.conversation.id", session.to_owned()));
    }
    if let Some(risk) = event.risk {
        attributes.push(KeyValue::new("guard.risk", risk.as_str()));
    }
    if !outcome.is_success() && !outcome.is_pending() {
        attributes.push(KeyValue::new("error.type", outcome.kind()));
    }
    attributes
}

/// One finding event's attributes per thing output scanning found: each
/// redacted credential kind, and a prompt injection with its score.
fn findings(outcome: &Outcome) -> Vec<Vec<KeyValue>> {
    let Outcome::Sanitized {
        redacted,
        injection_score,
        ..
    } = outcome
    else {
        return Vec::new();
    };
    let mut events: Vec<Vec<KeyValue>> = redacted
        .iter()
        .map(|kind| {
            vec![
                KeyValue::new("gen_ai.security.risk.category", kind.clone()),
                KeyValue::new("gen_ai.security.risk.severity", "high"),
            ]
        })
        .collect();
    if let Some(score) = injection_score {
        events.push(vec![
            KeyValue::new("gen_ai.security.risk.category", "prompt_injection"),
            KeyValue::new("gen_ai.security.risk.severity", "high"),
            KeyValue::new("gen_ai.security.risk.score", *score),
        ]);
    }
    events
}
