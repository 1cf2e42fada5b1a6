//! Per-session state the policy needs across turns: call counts for quotas
//! and the data-flow sources already touched. In memory, shared by every
//! dispatch of one guard and kept across policy reloads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::limits::Clock;

/// Sessions idle this long are forgotten (checked every few hundred calls).
const IDLE: Duration = Duration::from_secs(6 * 3600);
const SWEEP_EVERY: u32 = 512;

#[derive(Default)]
pub(crate) struct Session {
    pub(crate) total: u32,
    pub(crate) per_tool: HashMap<&'static str, u32>,
    /// Source labels and when (clock time) a call carrying them was admitted.
    pub(crate) sources: Vec<(String, Duration)>,
    /// "Always" decisions: approve (`None`) or deny (with its message) every
    /// later call of the tool in this session.
    pub(crate) standing: HashMap<&'static str, Option<Option<String>>>,
    last_seen: Duration,
}

impl Session {
    /// Records that calls with these source labels were admitted now.
    pub(crate) fn touch_sources(&mut self, labels: &[String], now: Duration) {
        for label in labels {
            match self.sources.iter_mut().find(|(seen, _)| seen == label) {
                Some((_, at)) => *at = now,
                None => self.sources.push((label.clone(), now)),
            }
        }
    }

    /// Whether a source with this label was admitted within `window` (all
    /// of the session when `None`).
    pub(crate) fn touched(&self, label: &str, now: Duration, window: Option<Duration>) -> bool {
        self.sources
            .iter()
            .any(|(seen, at)| seen == label && window.is_none_or(|w| now.saturating_sub(*at) <= w))
    }
}

pub(crate) struct SessionBook {
    sessions: Mutex<HashMap<Arc<str>, Session>>,
    clock: Clock,
    calls: std::sync::atomic::AtomicU32,
}

impl SessionBook {
    pub(crate) fn new(clock: Clock) -> Self {
        SessionBook {
            sessions: Mutex::new(HashMap::new()),
            clock,
            calls: std::sync::atomic::AtomicU32::new(0),
        }
    }

    pub(crate) fn now(&self) -> Duration {
        self.clock.elapsed()
    }

    /// The sessions, locked; a poisoned lock is still usable (counts only).
    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Session>> {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let calls = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if calls % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let now = self.now();
            sessions.retain(|_, s| now.saturating_sub(s.last_seen) < IDLE);
        }
        sessions
    }

    pub(crate) fn session<'m>(
        sessions: &'m mut HashMap<Arc<str>, Session>,
        key: &Arc<str>,
        now: Duration,
    ) -> &'m mut Session {
        // Look up before inserting: the common case clones no key.
        if !sessions.contains_key(key) {
            sessions.insert(key.clone(), Session::default());
        }
        let session = sessions.get_mut(key).expect("just inserted");
        session.last_seen = now;
        session
    }
}
