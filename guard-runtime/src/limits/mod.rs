//! Limits: per-tool rate limits (GCRA, via governor) and the clock they run on.
//! A [`StateBackend`](crate::state::StateBackend) decides them.

mod clock;
mod rate;

pub use clock::{Clock, FakeClock};
pub use rate::RateLimit;
pub use rate::RateScope;
