use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The time source of rate limits: the system's monotonic clock, or a
/// [`FakeClock`] that tests advance by hand.
#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System(Instant),
    Fake(Arc<AtomicU64>),
}

impl Clock {
    /// The monotonic system clock.
    pub fn system() -> Self {
        Clock(Source::System(Instant::now()))
    }

    /// Time elapsed since the clock's origin.
    pub(crate) fn elapsed(&self) -> Duration {
        match &self.0 {
            Source::System(origin) => origin.elapsed(),
            Source::Fake(nanos) => Duration::from_nanos(nanos.load(Ordering::Acquire)),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::System(_) => f.write_str("Clock::System"),
            Source::Fake(_) => write!(f, "Clock::Fake({:?})", self.elapsed()),
        }
    }
}

/// A clock that only moves when told to, for deterministic tests of rate limits.
///
/// ```
/// use std::time::Duration;
/// use guard_runtime::{Clock, FakeClock};
///
/// let fake = FakeClock::new();
/// let clock: Clock = fake.clone().into();
/// fake.advance(Duration::from_secs(2));
/// # let _ = clock;
/// ```
#[derive(Clone, Debug, Default)]
pub struct FakeClock(Arc<AtomicU64>);

impl FakeClock {
    /// A fake clock at time zero.
    pub fn new() -> Self {
        FakeClock::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::AcqRel);
    }
}

impl From<FakeClock> for Clock {
    fn from(fake: FakeClock) -> Self {
        Clock(Source::Fake(fake.0))
    }
}

/// Governor's view of our clock; kept private so governor stays out of the public API.
#[derive(Clone, Debug)]
pub(crate) struct GovernorClock(pub(crate) Clock);

impl governor::clock::Clock for GovernorClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}
