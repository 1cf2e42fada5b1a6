//! The detectors and their bounded state.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Alert, AlertSink, TracingAlerts};
use crate::audit::{AuditEvent, AuditSink};
use crate::outcome::Outcome;

/// When the detectors speak. The defaults raise about one alert per
/// thousand calls of an ordinary workload (see the README's replay).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AlertThresholds {
    /// Calls an agent makes before a tool (or a source-then-sink pair of
    /// tools in one session) it has not used counts as new.
    pub learning_calls: u64,
    /// Refusals in one session, within `refusal_window_secs`, that make a
    /// burst (a model probing the guard).
    pub refusal_burst: u32,
    /// The window of a refusal burst, in seconds.
    pub refusal_window_secs: u64,
    /// The same refused call (tool and arguments) this many times in one
    /// session.
    pub repeated_refusals: u32,
    /// A minute with more than `rate_factor` times an agent's usual calls
    /// of a tool per minute (and at least `rate_floor`) is a deviation.
    pub rate_factor: f64,
    /// The fewest calls in a minute that can be a rate deviation.
    pub rate_floor: u32,
    /// Minutes of a tool's use before its rate has a baseline.
    pub rate_learning_minutes: u32,
    /// Source labels of tools whose output is untrusted input (the web,
    /// mail); other source labels are private data.
    pub untrusted_labels: Vec<String>,
    /// Sessions remembered at once; the least recently seen are forgotten.
    pub max_sessions: usize,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            learning_calls: 500,
            refusal_burst: 2,
            refusal_window_secs: 60,
            repeated_refusals: 3,
            rate_factor: 4.0,
            rate_floor: 30,
            rate_learning_minutes: 10,
            untrusted_labels: vec!["untrusted".into(), "web".into(), "email".into()],
            max_sessions: 10_000,
        }
    }
}

/// One call as the detectors read it: what an audit event says, without
/// arguments or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// When the call was decided.
    pub time: SystemTime,
    /// The calling agent.
    pub agent: String,
    /// The session, if any.
    pub session: Option<String>,
    /// The tool named.
    pub tool: String,
    /// The guard refused the call (policy, arguments, limits, rules).
    pub refused: bool,
    /// The output was flagged as prompt injection (framed or withheld).
    pub injection: bool,
    /// The SHA-256 of the arguments text.
    pub arguments: [u8; 32],
}

impl Observation {
    /// The observation of an audit event.
    pub fn of(event: &AuditEvent) -> Self {
        let refused = !event.outcome.tool_ran()
            && !matches!(
                event.outcome,
                Outcome::Failed { .. } | Outcome::PendingApproval { .. }
            );
        let injection = matches!(
            event.outcome,
            Outcome::Sanitized {
                injection_score: Some(_),
                ..
            } | Outcome::OutputBlocked { .. }
        );
        Observation {
            time: event.time,
            agent: event.context.agent_id().to_owned(),
            session: event.context.session_id().map(str::to_owned),
            tool: event.tool.clone(),
            refused,
            injection,
            arguments: event.arguments_digest.0,
        }
    }
}

impl Observation {
    /// The observation as an audit event's JSON, reduced to what
    /// [`Observation::from_record`] reads back (no arguments, no output).
    ///
    /// ```
    /// # use guard_runtime::alerts::Observation;
    /// # use std::time::{Duration, UNIX_EPOCH};
    /// let seen = Observation {
    ///     time: UNIX_EPOCH + Duration::from_millis(1_765_000_000_123),
    ///     agent: "ops".into(), session: None, tool: "restart".into(),
    ///     refused: false, injection: true, arguments: [7; 32],
    /// };
    /// assert_eq!(Observation::from_record(&seen.to_record()), Some(seen));
    /// ```
    pub fn to_record(&self) -> serde_json::Value {
        let millis = self
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let outcome = if self.refused {
            serde_json::json!({"kind": "denied"})
        } else if self.injection {
            serde_json::json!({"kind": "sanitized", "injection_score": 1.0})
        } else {
            serde_json::json!({"kind": "success"})
        };
        let digest: String = self.arguments.iter().map(|b| format!("{b:02x}")).collect();
        let mut context = serde_json::json!({"agent": self.agent});
        if let Some(session) = &self.session {
            context["session"] = serde_json::json!(session);
        }
        serde_json::json!({
            "time": millis, "tool": self.tool, "context": context,
            "arguments_digest": digest, "outcome": outcome,
        })
    }

    /// The observation of an audit event as `JsonlAuditSink` writes it
    /// (the `event` of a record), for detectors replaying or tailing an
    /// audit file. `None` when the value is not such an event.
    ///
    /// ```
    /// use guard_runtime::alerts::Observation;
    /// use serde_json::json;
    ///
    /// let event = json!({
    ///     "time": 1_765_000_000_000u64, "tool": "send_email",
    ///     "context": {"agent": "support", "session": "s-1"},
    ///     "arguments_digest": "ab".repeat(32),
    ///     "outcome": {"kind": "denied", "reason": {"by": "role"}},
    /// });
    /// let seen = Observation::from_record(&event).unwrap();
    /// assert!(seen.refused && seen.session.as_deref() == Some("s-1"));
    /// ```
    pub fn from_record(event: &serde_json::Value) -> Option<Self> {
        let kind = event["outcome"]["kind"].as_str()?;
        let ran = matches!(
            kind,
            "success" | "sanitized" | "output_blocked" | "tool_error"
        );
        let injection = kind == "output_blocked"
            || (kind == "sanitized" && event["outcome"]["injection_score"].is_number());
        let mut arguments = [0u8; 32];
        let hex = event["arguments_digest"].as_str().unwrap_or("");
        if hex.len() == 64 && hex.is_ascii() {
            for (byte, pair) in arguments.iter_mut().zip(hex.as_bytes().chunks(2)) {
                let pair = std::str::from_utf8(pair).ok()?;
                *byte = u8::from_str_radix(pair, 16).ok()?;
            }
        }
        let millis = event["time"].as_u64()?;
        Some(Observation {
            time: UNIX_EPOCH + Duration::from_millis(millis),
            agent: event["context"]["agent"].as_str()?.to_owned(),
            session: event["context"]["session"].as_str().map(str::to_owned),
            tool: event["tool"].as_str()?.to_owned(),
            refused: !ran && !matches!(kind, "failed" | "pending_approval"),
            injection,
            arguments,
        })
    }
}

/// What a tool's labels make it, for the session detectors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Role {
    private: bool,
    untrusted: bool,
    egress: bool,
}

/// Runs the detectors over observed calls; see the [module](super) docs.
pub struct AnomalyDetector {
    thresholds: AlertThresholds,
    roles: HashMap<String, Role>,
    sinks: Vec<Arc<dyn AlertSink>>,
    state: Mutex<State>,
}

impl std::fmt::Debug for AnomalyDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnomalyDetector")
            .field("thresholds", &self.thresholds)
            .field("tools_labelled", &self.roles.len())
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

#[derive(Default)]
struct State {
    agents: HashMap<String, AgentState>,
    sessions: HashMap<String, SessionState>,
    /// Sessions by when they were last seen, oldest first (stale entries
    /// are skipped when they come up).
    order: VecDeque<(String, u64)>,
    tick: u64,
}

#[derive(Default)]
struct AgentState {
    calls: u64,
    tools: HashSet<String>,
    pairs: HashSet<(String, String)>,
    rates: HashMap<String, Rate>,
}

/// A tool's calls per minute: the current minute's count and a moving
/// average of the earlier minutes.
#[derive(Default)]
struct Rate {
    minute: u64,
    count: u32,
    average: f64,
    minutes: u32,
    alerted: bool,
}

#[derive(Default)]
struct SessionState {
    seen: u64,
    refusals: VecDeque<SystemTime>,
    burst_alerted: bool,
    refused: HashMap<(String, [u8; 32]), u32>,
    sources: Vec<String>,
    private: bool,
    untrusted: bool,
    egress: bool,
    trifecta_alerted: bool,
}

/// A session keeps this many refused calls and refusal times at most.
const SESSION_MEMORY: usize = 64;
/// Weight of the newest minute in a rate's moving average.
const RATE_WEIGHT: f64 = 0.2;

impl AnomalyDetector {
    /// A detector with these thresholds, alerting to `tracing` until
    /// [`sink`](Self::sink) names other sinks.
    pub fn new(thresholds: AlertThresholds) -> Self {
        AnomalyDetector {
            thresholds,
            roles: HashMap::new(),
            sinks: Vec::new(),
            state: Mutex::new(State::default()),
        }
    }

    /// Also sends alerts to `sink`.
    pub fn sink(mut self, sink: impl AlertSink) -> Self {
        self.sinks.push(Arc::new(sink));
        self
    }

    /// Declares a tool's data-flow labels (as `#[secure_tool(source = ..,
    /// sink = ..)]` or a policy give them): a source label makes it read
    /// private data or, if listed in `untrusted_labels`, untrusted input;
    /// any sink label makes it an egress.
    pub fn labels(mut self, tool: &str, sources: &[&str], sinks: &[&str]) -> Self {
        let untrusted = |label: &&str| self.thresholds.untrusted_labels.iter().any(|u| u == label);
        let role = Role {
            private: sources.iter().any(|l| !untrusted(l)),
            untrusted: sources.iter().any(untrusted),
            egress: !sinks.is_empty(),
        };
        self.roles.insert(tool.to_owned(), role);
        self
    }

    /// Declares the labels of every tool this guard knows, from their
    /// `#[secure_tool]` attributes.
    pub fn labels_of(mut self, guard: &crate::Guard) -> Self {
        for tool in guard.tools() {
            self = self.labels(tool.name(), tool.sources(), tool.sinks());
        }
        self
    }

    /// Runs the detectors over one call and sends what they raise.
    pub fn observe(&self, call: &Observation) {
        let mut raised = Vec::new();
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            self.agent_detectors(&mut state, call, &mut raised);
            if let Some(session) = &call.session {
                let session = self.session(&mut state, session);
                self.session_detectors(session, call, &mut raised);
            }
        }
        for (detector, why) in raised {
            let alert = Alert {
                detector,
                agent: call.agent.clone(),
                session: call.session.clone(),
                tool: call.tool.clone(),
                why,
            };
            if self.sinks.is_empty() {
                TracingAlerts.alert(&alert);
            }
            for sink in &self.sinks {
                sink.alert(&alert);
            }
        }
    }

    /// New tools, new source-then-sink pairs and rate deviations: what
    /// this agent does against what it did while learned.
    fn agent_detectors(
        &self,
        state: &mut State,
        call: &Observation,
        raised: &mut Vec<(&'static str, String)>,
    ) {
        let t = &self.thresholds;
        let State {
            agents, sessions, ..
        } = state;
        let agent = agents.entry(call.agent.clone()).or_default();
        let learned = agent.calls >= t.learning_calls;
        agent.calls += 1;
        if call.refused {
            return;
        }
        if agent.tools.insert(call.tool.clone()) && learned {
            raised.push((
                "new_tool",
                format!(
                    "first call of this tool by the agent after {} learned calls",
                    t.learning_calls
                ),
            ));
        }
        // Only an egress call looks at what its session read.
        let read = match &call.session {
            Some(session) if self.role(&call.tool).egress => sessions.get(session),
            _ => None,
        };
        if let Some(read) = read {
            for source in &read.sources {
                let pair = (source.clone(), call.tool.clone());
                if agent.pairs.insert(pair.clone()) && learned {
                    raised.push((
                        "new_sink_after_source",
                        format!(
                            "first time the agent sends with this tool in a session that read `{}`",
                            pair.0
                        ),
                    ));
                }
            }
        }
        let minute = unix_secs(call.time) / 60;
        let rate = agent.rates.entry(call.tool.clone()).or_default();
        if rate.minutes == 0 && rate.count == 0 {
            rate.minute = minute;
        }
        if minute > rate.minute {
            // Close the minute that ended, and the quiet ones since.
            let quiet = (minute - rate.minute - 1).min(60) as i32;
            rate.average = (1.0 - RATE_WEIGHT).powi(quiet)
                * ((1.0 - RATE_WEIGHT) * rate.average + RATE_WEIGHT * f64::from(rate.count));
            rate.minutes = rate.minutes.saturating_add(1 + quiet as u32);
            (rate.minute, rate.count, rate.alerted) = (minute, 0, false);
        }
        rate.count += 1;
        let limit = (t.rate_factor * rate.average).max(f64::from(t.rate_floor));
        if rate.minutes >= t.rate_learning_minutes && f64::from(rate.count) > limit && !rate.alerted
        {
            rate.alerted = true;
            raised.push((
                "rate",
                format!(
                    "{} calls this minute against a usual {:.1}",
                    rate.count, rate.average
                ),
            ));
        }
    }

    /// Refusal bursts, repeated refused calls and the lethal trifecta.
    fn session_detectors(
        &self,
        session: &mut SessionState,
        call: &Observation,
        raised: &mut Vec<(&'static str, String)>,
    ) {
        let t = &self.thresholds;
        if call.refused {
            let window = Duration::from_secs(t.refusal_window_secs);
            session.refusals.push_back(call.time);
            while session.refusals.len() > SESSION_MEMORY
                || session.refusals.front().is_some_and(|first| {
                    call.time.duration_since(*first).unwrap_or_default() > window
                })
            {
                session.refusals.pop_front();
            }
            if session.refusals.len() >= t.refusal_burst as usize && !session.burst_alerted {
                session.burst_alerted = true;
                raised.push((
                    "refusal_burst",
                    format!(
                        "{} refused calls within {} s",
                        session.refusals.len(),
                        t.refusal_window_secs
                    ),
                ));
            }
            let key = (call.tool.clone(), call.arguments);
            if session.refused.len() < SESSION_MEMORY || session.refused.contains_key(&key) {
                let times = session.refused.entry(key).or_default();
                *times += 1;
                if *times == t.repeated_refusals {
                    raised.push((
                        "repeated_refusal",
                        format!("the same refused call {times} times"),
                    ));
                }
            }
            return;
        }
        let role = self.role(&call.tool);
        if (role.private || role.untrusted)
            && session.sources.len() < SESSION_MEMORY
            && !session.sources.contains(&call.tool)
        {
            session.sources.push(call.tool.clone());
        }
        session.private |= role.private;
        session.untrusted |= role.untrusted || call.injection;
        session.egress |= role.egress;
        if session.private && session.untrusted && session.egress && !session.trifecta_alerted {
            session.trifecta_alerted = true;
            raised.push((
                "lethal_trifecta",
                "the session holds private data, untrusted input and an egress tool".to_owned(),
            ));
        }
    }

    fn role(&self, tool: &str) -> Role {
        self.roles.get(tool).copied().unwrap_or_default()
    }

    /// The session's state, remembered as seen now; the least recently
    /// seen session is forgotten beyond `max_sessions`.
    fn session<'s>(&self, state: &'s mut State, id: &str) -> &'s mut SessionState {
        state.tick += 1;
        let tick = state.tick;
        if !state.sessions.contains_key(id) {
            while state.sessions.len() >= self.thresholds.max_sessions.max(1) {
                let Some((oldest, seen)) = state.order.pop_front() else {
                    break;
                };
                if state.sessions.get(&oldest).is_some_and(|s| s.seen == seen) {
                    state.sessions.remove(&oldest);
                }
            }
        }
        state.order.push_back((id.to_owned(), tick));
        // Stale order entries are dropped as the queue grows past its sessions.
        if state.order.len() > 4 * self.thresholds.max_sessions.max(1) {
            let sessions = &state.sessions;
            state
                .order
                .retain(|(id, seen)| sessions.get(id).is_some_and(|s| s.seen == *seen));
        }
        let session = state.sessions.entry(id.to_owned()).or_default();
        session.seen = tick;
        session
    }
}

impl AuditSink for AnomalyDetector {
    fn record(&self, event: &AuditEvent) {
        self.observe(&Observation::of(event));
    }
}

fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::MemoryAlerts;

    fn call(secs: u64, session: &str, tool: &str, refused: bool) -> Observation {
        Observation {
            time: UNIX_EPOCH + Duration::from_secs(secs),
            agent: "a".into(),
            session: Some(session.into()),
            tool: tool.into(),
            refused,
            injection: false,
            arguments: [0; 32],
        }
    }

    fn detector(thresholds: AlertThresholds) -> (AnomalyDetector, Arc<MemoryAlerts>) {
        let alerts = Arc::new(MemoryAlerts::default());
        let detector = AnomalyDetector::new(thresholds)
            .sink(alerts.clone())
            .labels("read_db", &["customer_data"], &[])
            .labels("browse", &["web"], &[])
            .labels("send_email", &[], &["external"]);
        (detector, alerts)
    }

    fn names(alerts: &MemoryAlerts) -> Vec<&'static str> {
        alerts.taken().iter().map(|a| a.detector).collect()
    }

    #[test]
    fn a_new_tool_is_news_only_after_learning() {
        let thresholds = AlertThresholds {
            learning_calls: 3,
            ..AlertThresholds::default()
        };
        let (d, alerts) = detector(thresholds);
        for i in 0..3 {
            d.observe(&call(i, "s", "search", false));
        }
        d.observe(&call(4, "s", "search", false));
        assert!(names(&alerts).is_empty());
        d.observe(&call(5, "s", "delete_all", false));
        d.observe(&call(6, "s", "delete_all", false));
        assert_eq!(names(&alerts), ["new_tool"]);
    }

    #[test]
    fn the_trifecta_is_raised_once_when_its_third_part_arrives() {
        let (d, alerts) = detector(AlertThresholds::default());
        d.observe(&call(1, "s", "read_db", false));
        d.observe(&call(2, "s", "browse", false));
        assert!(names(&alerts).is_empty());
        d.observe(&call(3, "s", "send_email", false));
        d.observe(&call(4, "s", "send_email", false));
        assert_eq!(names(&alerts), ["lethal_trifecta"]);
        // Untrusted input can also be an output flagged as injection.
        d.observe(&call(5, "t", "read_db", false));
        d.observe(&Observation {
            injection: true,
            ..call(6, "t", "search", false)
        });
        d.observe(&call(7, "t", "send_email", false));
        assert_eq!(names(&alerts), ["lethal_trifecta"]);
    }

    #[test]
    fn refusal_bursts_and_repeats_are_per_session_and_windowed() {
        let thresholds = AlertThresholds {
            refusal_burst: 3,
            repeated_refusals: 2,
            ..AlertThresholds::default()
        };
        let (d, alerts) = detector(thresholds);
        // Far apart: no burst; the same refused call twice: a repeat.
        d.observe(&call(0, "s", "read_db", true));
        d.observe(&call(100, "s", "read_db", true));
        assert_eq!(names(&alerts), ["repeated_refusal"]);
        d.observe(&Observation {
            arguments: [1; 32],
            ..call(120, "s", "read_db", true)
        });
        d.observe(&Observation {
            arguments: [2; 32],
            ..call(130, "s", "read_db", true)
        });
        assert_eq!(names(&alerts), ["refusal_burst"]);
        d.observe(&call(131, "other", "read_db", true));
        assert!(names(&alerts).is_empty());
    }

    #[test]
    fn a_rate_far_above_its_baseline_is_raised_once_a_minute() {
        let (d, alerts) = detector(AlertThresholds::default());
        // Twenty minutes at five calls a minute.
        for minute in 0..20 {
            for i in 0..5 {
                d.observe(&call(minute * 60 + i, "s", "search", false));
            }
        }
        assert!(names(&alerts).is_empty());
        for i in 0..40 {
            d.observe(&call(20 * 60 + i, "s", "search", false));
        }
        assert_eq!(names(&alerts), ["rate"]);
    }

    #[test]
    fn sessions_beyond_the_cap_are_forgotten_oldest_first() {
        let thresholds = AlertThresholds {
            max_sessions: 2,
            ..AlertThresholds::default()
        };
        let (d, _alerts) = detector(thresholds);
        for (i, s) in ["a", "b", "a", "c", "d"].iter().enumerate() {
            d.observe(&call(i as u64, s, "search", false));
        }
        let state = d.state.lock().unwrap();
        let mut kept: Vec<&str> = state.sessions.keys().map(String::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["c", "d"]);
        assert!(state.order.len() <= 8);
    }
}
