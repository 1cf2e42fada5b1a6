//! Alerts on unusual call patterns, read off the audit stream: an agent
//! using a tool it never used while it was learned, a tool called far more
//! often than its baseline, a burst of refusals (a model probing the
//! guard), the same refused call again and again, and a session that holds
//! private data, untrusted input and an egress tool at once.
//!
//! An [`AnomalyDetector`] is an [`AuditSink`](crate::audit::AuditSink):
//! give it to [`GuardBuilder::audit`](crate::GuardBuilder::audit)
//! and it sees every call. Its memory is bounded (sessions and baselines
//! are capped and the oldest forgotten), and it never blocks a call: alerts
//! go to [`AlertSink`]s.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, UNIX_EPOCH};
//! use guard_runtime::alerts::{AlertThresholds, AnomalyDetector, MemoryAlerts, Observation};
//!
//! let alerts = Arc::new(MemoryAlerts::default());
//! let detector = AnomalyDetector::new(AlertThresholds::default()).sink(alerts.clone());
//! let probe = |n: u64| Observation {
//!     time: UNIX_EPOCH + Duration::from_secs(n),
//!     agent: "support".into(),
//!     session: Some("s-1".into()),
//!     tool: "read_file".into(),
//!     refused: true,
//!     injection: false,
//!     arguments: [n as u8; 32],
//! };
//! detector.observe(&probe(1));
//! detector.observe(&probe(2));
//! assert_eq!(alerts.taken()[0].detector, "refusal_burst");
//! ```

mod detect;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
mod shared;

use std::fmt;
use std::sync::{Mutex, PoisonError};

pub use detect::{AlertThresholds, AnomalyDetector, Observation};
#[cfg(feature = "redis")]
pub use shared::{RedisObservations, follow_observations};

/// One alert: which detector raised it, about whom, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// `new_tool`, `new_sink_after_source`, `rate`, `refusal_burst`,
    /// `repeated_refusal` or `lethal_trifecta`.
    pub detector: &'static str,
    /// The agent whose call raised it.
    pub agent: String,
    /// The session, if the call had one.
    pub session: Option<String>,
    /// The tool called.
    pub tool: String,
    /// Why, in a sentence (no arguments or outputs).
    pub why: String,
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}", self.detector, self.agent)?;
        if let Some(session) = &self.session {
            write!(f, " / {session}")?;
        }
        write!(f, "] {}: {}", self.tool, self.why)
    }
}

/// Receives alerts. Called on the dispatching task: keep it quick.
pub trait AlertSink: Send + Sync + 'static {
    /// Takes one alert.
    fn alert(&self, alert: &Alert);
}

impl<S: AlertSink> AlertSink for std::sync::Arc<S> {
    fn alert(&self, alert: &Alert) {
        (**self).alert(alert);
    }
}

/// Emits each alert as a `tracing` warning with target `guard::alerts`
/// (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingAlerts;

impl AlertSink for TracingAlerts {
    fn alert(&self, alert: &Alert) {
        tracing::warn!(
            target: "guard::alerts",
            detector = alert.detector,
            agent = %alert.agent,
            session = alert.session.as_deref(),
            tool = %alert.tool,
            "{}", alert.why
        );
    }
}

/// Sends each alert down a channel, for an app that handles them itself
/// (a pager, a dashboard). A receiver that is gone drops the alerts.
#[derive(Debug, Clone)]
pub struct ChannelAlerts(std::sync::mpsc::Sender<Alert>);

impl ChannelAlerts {
    /// The sink and the receiving end.
    pub fn new() -> (Self, std::sync::mpsc::Receiver<Alert>) {
        let (sender, receiver) = std::sync::mpsc::channel();
        (ChannelAlerts(sender), receiver)
    }
}

impl AlertSink for ChannelAlerts {
    fn alert(&self, alert: &Alert) {
        let _ = self.0.send(alert.clone());
    }
}

/// Keeps alerts in memory, for tests and small tools.
#[derive(Debug, Default)]
pub struct MemoryAlerts(Mutex<Vec<Alert>>);

impl MemoryAlerts {
    /// The alerts so far, emptying the store.
    pub fn taken(&self) -> Vec<Alert> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl AlertSink for MemoryAlerts {
    fn alert(&self, alert: &Alert) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(alert.clone());
    }
}

/// Posts each alert as JSON to a webhook (Slack-style incoming hooks, a
/// pager, a SIEM collector), in the background on the current Tokio
/// runtime so that no call waits for it. A failed post is logged; alerts
/// raised outside a runtime are logged and dropped.
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
#[derive(Debug, Clone)]
pub struct WebhookAlerts {
    url: url::Url,
    client: reqwest::Client,
}

#[cfg(feature = "http")]
impl WebhookAlerts {
    /// Posts to `url`, with a 10 s timeout per alert.
    ///
    /// # Errors
    /// When `url` is not an `http` or `https` URL, or no client can be built.
    pub fn new(url: &str) -> Result<Self, String> {
        let url = url::Url::parse(url).map_err(|e| format!("webhook URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("webhook URL: only http and https".to_owned());
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(WebhookAlerts { url, client })
    }
}

#[cfg(feature = "http")]
impl AlertSink for WebhookAlerts {
    fn alert(&self, alert: &Alert) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(target: "guard::alerts", %alert, "webhook alert dropped: no Tokio runtime");
            return;
        };
        let Ok(body) = serde_json::to_vec(alert) else {
            return;
        };
        let request = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        runtime.spawn(async move {
            match request.send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => tracing::warn!(target: "guard::alerts",
                    status = response.status().as_u16(), "webhook refused an alert"),
                Err(err) => tracing::warn!(target: "guard::alerts", %err, "webhook alert not sent"),
            }
        });
    }
}
