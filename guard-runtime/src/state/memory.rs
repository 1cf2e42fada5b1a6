//! The in-memory backend: this process's governor buckets and a book of
//! sessions (call counts, data-flow sources, "always" decisions), shared by
//! every dispatch of one guard and kept across policy reloads.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::{Admission, Admitted, CallVerdict, Settlement, Standing, StateBackend, StateFuture};
use crate::limits::Clock;

/// Content fingerprints kept per session; the oldest go first.
pub(crate) const MAX_FINGERPRINTS: usize = 16 * 1024;

/// Sessions idle this long are forgotten (checked every few hundred calls).
const IDLE: Duration = Duration::from_secs(6 * 3600);
const SWEEP_EVERY: u32 = 512;

#[derive(Default)]
struct Session {
    total: u32,
    per_tool: HashMap<Box<str>, u32>,
    /// Source labels and when (clock time) a call carrying them was admitted.
    sources: Vec<(Box<str>, Duration)>,
    /// "Always" decisions by tool.
    standing: HashMap<Box<str>, Standing>,
    /// Fingerprints of source content, and their order for forgetting.
    content: HashSet<u64>,
    content_order: VecDeque<u64>,
    last_seen: Duration,
}

impl Session {
    /// Records that calls with these source labels were admitted now.
    fn touch_sources(&mut self, labels: &[&str], now: Duration) {
        for label in labels {
            match self.sources.iter_mut().find(|(seen, _)| &**seen == *label) {
                Some((_, at)) => *at = now,
                None => self.sources.push(((*label).into(), now)),
            }
        }
    }

    /// How long ago a call with this source label was last admitted.
    fn age(&self, label: &str, now: Duration) -> Option<Duration> {
        self.sources
            .iter()
            .find(|(seen, _)| &**seen == label)
            .map(|(_, at)| now.saturating_sub(*at))
    }
}

struct SessionBook {
    sessions: Mutex<HashMap<Box<str>, Session>>,
    clock: Clock,
    calls: AtomicU32,
}

impl SessionBook {
    fn new(clock: Clock) -> Self {
        SessionBook {
            sessions: Mutex::new(HashMap::new()),
            clock,
            calls: AtomicU32::new(0),
        }
    }

    /// The sessions, locked; a poisoned lock is still usable (counts only).
    fn lock(&self) -> MutexGuard<'_, HashMap<Box<str>, Session>> {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let calls = self.calls.fetch_add(1, Ordering::Relaxed);
        if calls % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let now = self.clock.elapsed();
            sessions.retain(|_, s| now.saturating_sub(s.last_seen) < IDLE);
        }
        sessions
    }

    fn session<'m>(
        sessions: &'m mut HashMap<Box<str>, Session>,
        key: &str,
        now: Duration,
    ) -> &'m mut Session {
        // Look up before inserting: the common case copies no key.
        if !sessions.contains_key(key) {
            sessions.insert(key.into(), Session::default());
        }
        let session = sessions.get_mut(key).expect("just inserted");
        session.last_seen = now;
        session
    }
}

/// State kept in this process (the default): rate limits in each limit's
/// own governor buckets, sessions in a map swept of sessions idle for six
/// hours. It never fails.
///
/// ```
/// use guard_runtime::{Guard, state::MemoryBackend};
///
/// // What the builder uses when given no backend.
/// let guard = Guard::builder().state(MemoryBackend::default()).build().unwrap();
/// # drop(guard);
/// ```
pub struct MemoryBackend {
    book: SessionBook,
}

impl MemoryBackend {
    /// A backend whose data-flow windows run on `clock` (the rate limits run
    /// on the clock given to the guard builder).
    pub fn new(clock: impl Into<Clock>) -> Self {
        MemoryBackend {
            book: SessionBook::new(clock.into()),
        }
    }

    fn admit_now(&self, a: &Admission<'_>) -> Admitted {
        let mut admitted = Admitted::new(a.calls.len(), a.sources.len(), a.standing.len());
        let quotas = a.session_calls.is_some() || a.session_calls_per_tool.is_some();
        let counted = quotas && a.calls.iter().any(|call| call.counts);
        let reads = !a.sources.is_empty() || !a.standing.is_empty();
        // The clock and the lock only when the session is needed: most
        // batches charge rate limits alone.
        let (mut sessions, now) = if counted || reads {
            (Some(self.book.lock()), self.book.clock.elapsed())
        } else {
            (None, Duration::ZERO)
        };
        let mut session = sessions
            .as_mut()
            .map(|sessions| SessionBook::session(sessions, a.session, now));
        for (call, verdict) in a.calls.iter().zip(&mut admitted.calls) {
            if let Some(retry_after) = call
                .rates()
                .find_map(|rate| rate.check_local(a.context).err())
            {
                *verdict = CallVerdict::RateLimited { retry_after };
                continue;
            }
            let Some(session) = session.as_deref_mut().filter(|_| quotas && call.counts) else {
                continue;
            };
            let used = session.per_tool.get_mut(call.tool);
            let count = used.as_deref().copied().unwrap_or(0);
            if let Some(limit) = a.session_calls.filter(|l| session.total >= l.get()) {
                *verdict = CallVerdict::Quota {
                    quota: "session_calls",
                    limit: limit.get(),
                };
            } else if let Some(limit) = a.session_calls_per_tool.filter(|l| count >= l.get()) {
                *verdict = CallVerdict::Quota {
                    quota: "session_calls_per_tool",
                    limit: limit.get(),
                };
            } else {
                match used {
                    Some(used) => *used += 1,
                    None => {
                        session.per_tool.insert(call.tool.into(), 1);
                    }
                }
                session.total += 1;
                *verdict = CallVerdict::Admitted { reserved: true };
            }
        }
        if let Some(session) = session.filter(|_| reads) {
            for (label, age) in a.sources.iter().zip(&mut admitted.sources) {
                *age = session.age(label, now);
            }
            for (tool, standing) in a.standing.iter().zip(&mut admitted.standing) {
                *standing = session.standing.get(*tool).cloned();
            }
        }
        admitted
    }

    fn settle_now(&self, s: &Settlement<'_>) {
        let now = self.book.clock.elapsed();
        let mut sessions = self.book.lock();
        let session = SessionBook::session(&mut sessions, s.session, now);
        for tool in &s.release {
            session.total = session.total.saturating_sub(1);
            if let Some(used) = session.per_tool.get_mut(*tool) {
                *used = used.saturating_sub(1);
            }
        }
        session.touch_sources(&s.touch, now);
    }
}

impl Default for MemoryBackend {
    fn default() -> Self {
        MemoryBackend::new(Clock::system())
    }
}

impl fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sessions = self
            .book
            .sessions
            .lock()
            .map_or(0, |sessions| sessions.len());
        f.debug_struct("MemoryBackend")
            .field("sessions", &sessions)
            .field("clock", &self.book.clock)
            .finish()
    }
}

impl StateBackend for MemoryBackend {
    fn admit<'a>(&'a self, admission: &'a Admission<'a>) -> StateFuture<'a, Admitted> {
        StateFuture::ready(Ok(self.admit_now(admission)))
    }

    fn settle<'a>(&'a self, settlement: &'a Settlement<'a>) -> StateFuture<'a, ()> {
        self.settle_now(settlement);
        StateFuture::ready(Ok(()))
    }

    fn remember<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
        standing: &'a Standing,
    ) -> StateFuture<'a, ()> {
        let now = self.book.clock.elapsed();
        let mut sessions = self.book.lock();
        SessionBook::session(&mut sessions, session, now)
            .standing
            .insert(tool.into(), standing.clone());
        StateFuture::ready(Ok(()))
    }

    fn remember_content<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, ()> {
        let now = self.book.clock.elapsed();
        let mut sessions = self.book.lock();
        let session = SessionBook::session(&mut sessions, session, now);
        for &fingerprint in fingerprints {
            if session.content.insert(fingerprint) {
                session.content_order.push_back(fingerprint);
            }
        }
        while session.content_order.len() > MAX_FINGERPRINTS {
            if let Some(old) = session.content_order.pop_front() {
                session.content.remove(&old);
            }
        }
        StateFuture::ready(Ok(()))
    }

    fn holds_content<'a>(&'a self, session: &'a str) -> StateFuture<'a, bool> {
        let sessions = self.book.lock();
        let holds = sessions.get(session).is_some_and(|s| !s.content.is_empty());
        StateFuture::ready(Ok(holds))
    }

    fn content_seen<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, bool> {
        let sessions = self.book.lock();
        let seen = sessions
            .get(session)
            .is_some_and(|s| fingerprints.iter().any(|f| s.content.contains(f)));
        StateFuture::ready(Ok(seen))
    }

    fn session_counts<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
    ) -> StateFuture<'a, (u64, u64)> {
        let sessions = self.book.lock();
        let counts = sessions.get(session).map_or((0, 0), |s| {
            (
                u64::from(s.total),
                u64::from(s.per_tool.get(tool).copied().unwrap_or(0)),
            )
        });
        StateFuture::ready(Ok(counts))
    }
}
