//! Alerts across replicas: every guard publishes its calls' observations
//! to one Redis stream, and a detector reads the merged stream, so a
//! session spread over several replicas (a secret read on one, sent out
//! from another) is seen whole, and baselines count every replica's calls.
//!
//! ```no_run
//! use std::sync::Arc;
//! use guard_runtime::Guard;
//! use guard_runtime::alerts::{AlertThresholds, AnomalyDetector, RedisObservations, follow_observations};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // On every replica:
//! let guard = Guard::builder()
//!     .audit(RedisObservations::connect("redis://127.0.0.1/", "guard:observations")?)
//!     .build()?;
//! // In one place (a replica or a watcher process):
//! let detector = Arc::new(AnomalyDetector::new(AlertThresholds::default()).labels_of(&guard));
//! tokio::spawn(async move {
//!     follow_observations("redis://127.0.0.1/", "guard:observations", &detector, false).await
//! });
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::streams::{StreamReadOptions, StreamReadReply};
use ::redis::{AsyncCommands, Client};
use tokio::sync::mpsc;

use super::{AnomalyDetector, Observation};
use crate::audit::{AuditEvent, AuditSink};
use crate::state::BackendError;

/// Observations waiting to be published; beyond this, new ones are
/// dropped (and counted) rather than slowing a call down.
const QUEUE: usize = 10_000;
/// About how many observations the stream keeps.
const STREAM_LEN: usize = 100_000;

/// An audit sink that publishes each call's [`Observation`] (no arguments
/// or output: the tool, agent, session, outcome class and the arguments'
/// digest) to a Redis stream, in order, from a background task.
#[derive(Debug, Clone)]
pub struct RedisObservations {
    queue: mpsc::Sender<String>,
    dropped: Arc<AtomicU64>,
}

/// A connection whose answers may take `response_timeout` at most.
fn connection(url: &str, response_timeout: Duration) -> Result<ConnectionManager, BackendError> {
    let client = Client::open(url)
        .map_err(|err| BackendError::new(format!("redis url: {}", err.category())))?;
    let config = ConnectionManagerConfig::new().set_response_timeout(Some(response_timeout));
    ConnectionManager::new_lazy_with_config(client, config)
        .map_err(|err| BackendError::new(format!("redis: {}", err.category())))
}

/// How long a read waits for new observations; the reading connection
/// allows longer, so an idle stream is no error.
const BLOCK: Duration = Duration::from_secs(1);

impl RedisObservations {
    /// Publishes to the stream `key` at `url`. Connects on first use; the
    /// publisher is a task on the current Tokio runtime.
    ///
    /// # Errors
    /// A malformed URL, or no Tokio runtime to run the publisher on.
    pub fn connect(url: &str, key: impl Into<String>) -> Result<Self, BackendError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| BackendError::new("RedisObservations needs a Tokio runtime"))?;
        let mut connection = connection(url, Duration::from_secs(5))?;
        let key = key.into();
        let (queue, mut pending) = mpsc::channel::<String>(QUEUE);
        runtime.spawn(async move {
            while let Some(observation) = pending.recv().await {
                let added: Result<String, _> = connection
                    .xadd_maxlen(
                        &key,
                        ::redis::streams::StreamMaxlen::Approx(STREAM_LEN),
                        "*",
                        &[("o", observation)],
                    )
                    .await;
                if let Err(err) = added {
                    tracing::warn!(target: "guard::alerts", error = %err.category(),
                        "an observation was not published to Redis");
                }
            }
        });
        Ok(RedisObservations {
            queue,
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Observations dropped because the publisher fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl AuditSink for RedisObservations {
    fn record(&self, event: &AuditEvent) {
        let observation = Observation::of(event).to_record().to_string();
        if self.queue.try_send(observation).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Reads the observations of the stream `key` at `url` into `detector`,
/// until an error: from the stream's start when `from_start`, else only
/// those published from now on. Malformed entries are skipped.
///
/// # Errors
/// A malformed URL, or Redis failing (the caller decides whether to
/// follow again).
pub async fn follow_observations(
    url: &str,
    key: &str,
    detector: &AnomalyDetector,
    from_start: bool,
) -> Result<std::convert::Infallible, BackendError> {
    let mut connection = connection(url, BLOCK * 5)?;
    let mut last = if from_start { "0-0" } else { "$" }.to_owned();
    let options = StreamReadOptions::default()
        .block(BLOCK.as_millis() as usize)
        .count(500);
    loop {
        let reply: StreamReadReply = connection
            .xread_options(&[key], &[&last], &options)
            .await
            .map_err(|err| BackendError::new(format!("redis: {}", err.category())))?;
        for stream in reply.keys {
            for entry in stream.ids {
                let observation = entry
                    .get::<String>("o")
                    .and_then(|json| serde_json::from_str(&json).ok())
                    .and_then(|record| Observation::from_record(&record));
                if let Some(observation) = observation {
                    detector.observe(&observation);
                }
                last = entry.id;
            }
        }
    }
}
