//! Limits: per-tool rate limits (GCRA, via governor) and the clock they run
//! on, which a [`StateBackend`](crate::state::StateBackend) decides; and how
//! many bodies run at once (`concurrency`).

mod clock;
mod concurrency;
mod rate;

pub(crate) use concurrency::{ConcurrencyLimits, TurnLimits};

pub use clock::{Clock, FakeClock};
pub use rate::RateLimit;
pub use rate::RateScope;
