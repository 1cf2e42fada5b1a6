//! Limits: per-tool rate limits (GCRA, via governor) and the clock they run on.

mod clock;
mod rate;

pub use clock::{Clock, FakeClock};
pub(crate) use rate::RateLimit;
pub use rate::RateScope;
