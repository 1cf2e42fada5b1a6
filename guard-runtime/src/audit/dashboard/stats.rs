//! What the dashboard shows, aggregated from an audit trail's events one
//! at a time, in bounded memory: totals, outcomes, refusals by kind, per
//! tool (calls, refusals, latency percentiles), per agent, the latest
//! sessions, calls per tool per minute, and the detectors' alerts.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::alerts::{Alert, AlertThresholds, AnomalyDetector, MemoryAlerts, Observation};

/// Latencies kept per tool for its percentiles (the most recent ones).
const LATENCIES: usize = 1024;
/// Sessions listed, the most recently active first.
const SESSIONS: usize = 50;
/// Alerts listed, newest first.
const ALERTS: usize = 100;
/// Minutes in the calls-over-time chart, ending at the newest record.
const MINUTES: u64 = 30;

#[derive(Default)]
struct Counts {
    calls: u64,
    refused: u64,
    failed: u64,
}

impl Counts {
    fn add(&mut self, refused: bool, failed: bool) {
        self.calls += 1;
        self.refused += u64::from(refused);
        self.failed += u64::from(failed);
    }
}

#[derive(Default)]
struct ToolStats {
    counts: Counts,
    latencies: VecDeque<u64>,
}

struct SessionStats {
    agent: String,
    counts: Counts,
    last: u64,
}

/// The dashboard's aggregate of an audit trail.
pub(super) struct Stats {
    outcomes: BTreeMap<String, u64>,
    refusals: BTreeMap<String, u64>,
    tools: BTreeMap<String, ToolStats>,
    agents: BTreeMap<String, Counts>,
    sessions: HashMap<String, SessionStats>,
    /// Calls per (minute, tool), minutes since the epoch.
    minutes: BTreeMap<u64, BTreeMap<String, u64>>,
    newest_ms: u64,
    detector: AnomalyDetector,
    /// Alerts raised while a record is read, stamped then with its time.
    raised: Arc<MemoryAlerts>,
    alerts: VecDeque<(u64, Alert)>,
}

impl Stats {
    /// Empty, with the detectors at `thresholds` and the tools' data-flow
    /// labels from `labels` (`(tool, sources, sinks)`).
    pub(super) fn new(
        thresholds: AlertThresholds,
        labels: &[(String, Vec<String>, Vec<String>)],
    ) -> Self {
        let raised = Arc::new(MemoryAlerts::default());
        let mut detector = AnomalyDetector::new(thresholds).sink(raised.clone());
        for (tool, sources, sinks) in labels {
            let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
            let sinks: Vec<&str> = sinks.iter().map(String::as_str).collect();
            detector = detector.labels(tool, &sources, &sinks);
        }
        Stats {
            outcomes: BTreeMap::new(),
            refusals: BTreeMap::new(),
            tools: BTreeMap::new(),
            agents: BTreeMap::new(),
            sessions: HashMap::new(),
            minutes: BTreeMap::new(),
            newest_ms: 0,
            detector,
            raised,
            alerts: VecDeque::new(),
        }
    }

    /// Counts one audit event (a record's `event`).
    pub(super) fn add(&mut self, event: &Value) {
        let kind = event["outcome"]["kind"].as_str().unwrap_or("unknown");
        *self.outcomes.entry(kind.to_owned()).or_default() += 1;
        let observation = Observation::from_record(event);
        let refused = observation.as_ref().is_some_and(|o| o.refused);
        let failed = kind == "failed";
        if refused {
            // Denials by what denied them (`denied: role`), other refusals by kind.
            let key = match event["outcome"]["reason"]["by"].as_str() {
                Some(by) => format!("{kind}: {by}"),
                None => kind.to_owned(),
            };
            *self.refusals.entry(key).or_default() += 1;
        }
        let tool = event["tool"].as_str().unwrap_or("?");
        let stats = self.tools.entry(tool.to_owned()).or_default();
        stats.counts.add(refused, failed);
        if let Some(us) = event["latency_us"].as_u64() {
            if stats.latencies.len() == LATENCIES {
                stats.latencies.pop_front();
            }
            stats.latencies.push_back(us);
        }
        let agent = event["context"]["agent"].as_str().unwrap_or("?");
        self.agents
            .entry(agent.to_owned())
            .or_default()
            .add(refused, failed);
        let time = event["time"].as_u64().unwrap_or(0);
        self.newest_ms = self.newest_ms.max(time);
        if let Some(session) = event["context"]["session"].as_str() {
            self.session(session, agent, time)
                .counts
                .add(refused, failed);
        }
        *self
            .minutes
            .entry(time / 60_000)
            .or_default()
            .entry(tool.to_owned())
            .or_default() += 1;
        // Only the chart's minutes are kept.
        let oldest = (self.newest_ms / 60_000).saturating_sub(MINUTES - 1);
        while self
            .minutes
            .first_key_value()
            .is_some_and(|(m, _)| *m < oldest)
        {
            self.minutes.pop_first();
        }
        if let Some(observation) = observation {
            self.detector.observe(&observation);
            for alert in self.raised.taken() {
                if self.alerts.len() == ALERTS {
                    self.alerts.pop_back();
                }
                self.alerts.push_front((time, alert));
            }
        }
    }

    fn session(&mut self, session: &str, agent: &str, time: u64) -> &mut SessionStats {
        if !self.sessions.contains_key(session) && self.sessions.len() >= SESSIONS * 4 {
            // Forget the least recently active half: the page lists the newest.
            let mut last: Vec<u64> = self.sessions.values().map(|s| s.last).collect();
            last.sort_unstable();
            let cut = last[last.len() / 2];
            self.sessions.retain(|_, s| s.last > cut);
        }
        let stats = self
            .sessions
            .entry(session.to_owned())
            .or_insert_with(|| SessionStats {
                agent: agent.to_owned(),
                counts: Counts::default(),
                last: time,
            });
        stats.last = stats.last.max(time);
        stats
    }

    /// The page's data.
    pub(super) fn snapshot(&self) -> Value {
        let tools: Vec<Value> = self
            .tools
            .iter()
            .map(|(tool, s)| {
                let mut sorted: Vec<u64> = s.latencies.iter().copied().collect();
                sorted.sort_unstable();
                let pct =
                    |p: usize| (!sorted.is_empty()).then(|| sorted[(sorted.len() - 1) * p / 100]);
                json!({
                    "tool": tool, "calls": s.counts.calls, "refused": s.counts.refused,
                    "failed": s.counts.failed, "p50_us": pct(50), "p95_us": pct(95),
                    "max_us": sorted.last(),
                })
            })
            .collect();
        let agents: Vec<Value> = self
            .agents
            .iter()
            .map(|(agent, c)| json!({"agent": agent, "calls": c.calls, "refused": c.refused, "failed": c.failed}))
            .collect();
        let mut sessions: Vec<(&String, &SessionStats)> = self.sessions.iter().collect();
        sessions.sort_by(|a, b| b.1.last.cmp(&a.1.last).then(a.0.cmp(b.0)));
        let sessions: Vec<Value> = sessions
            .into_iter()
            .take(SESSIONS)
            .map(|(session, s)| {
                json!({"session": session, "agent": s.agent, "calls": s.counts.calls,
                       "refused": s.counts.refused, "last_ms": s.last})
            })
            .collect();
        let last_minute = self.newest_ms / 60_000;
        let first_minute = last_minute.saturating_sub(MINUTES - 1);
        let mut per_tool: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for (minute, calls) in &self.minutes {
            for (tool, n) in calls {
                let row = per_tool
                    .entry(tool)
                    .or_insert_with(|| vec![0; (last_minute - first_minute + 1) as usize]);
                if let Some(slot) = row.get_mut((minute - first_minute) as usize) {
                    *slot += n;
                }
            }
        }
        let alerts: Vec<Value> = self
            .alerts
            .iter()
            .map(|(time, a)| {
                json!({"time_ms": time, "detector": a.detector, "agent": a.agent,
                       "session": a.session, "tool": a.tool, "why": a.why})
            })
            .collect();
        json!({
            "records": self.outcomes.values().sum::<u64>(),
            "outcomes": self.outcomes,
            "refusals": self.refusals,
            "tools": tools,
            "agents": agents,
            "sessions": sessions,
            "timeline": {"first_minute_ms": first_minute * 60_000, "tools": per_tool},
            "alerts": alerts,
        })
    }
}
