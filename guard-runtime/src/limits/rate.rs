use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::clock::{Clock, GovernorClock};
use crate::context::CallContext;

/// Whose calls share one rate-limit bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateScope {
    /// One bucket per tool, shared by every caller (the default).
    #[default]
    Tool,
    /// One bucket per tool and agent.
    Agent,
    /// One bucket per tool and end user; calls without a user share one bucket.
    User,
    /// One bucket per tool and session; calls without a session share one bucket.
    Session,
}

type Key = Arc<str>;
type Keyed = RateLimiter<Key, HashMapStateStore<Key>, GovernorClock, NoOpMiddleware<Duration>>;
type Direct = RateLimiter<NotKeyed, InMemoryState, GovernorClock, NoOpMiddleware<Duration>>;

/// One bucket for the tool, or one per key (plus one for calls without a key).
enum Limiter {
    Direct(Direct),
    Keyed { keyed: Keyed, keyless: Direct },
}

/// How many checks pass between sweeps of idle keys.
const SWEEP_EVERY: u32 = 4096;

/// A rate limit: `per_minute` calls a minute with bursts of the same size
/// (GCRA), one bucket per [`RateScope`] key.
///
/// A [`StateBackend`](crate::state::StateBackend) decides it: the in-memory
/// backend with this limit's own governor buckets, a shared backend with
/// [`id`](Self::id), [`bucket`](Self::bucket) and
/// [`per_minute`](Self::per_minute).
pub struct RateLimit {
    id: Arc<str>,
    per_minute: NonZeroU32,
    limiter: Limiter,
    scope: RateScope,
    clock: GovernorClock,
    checks: AtomicU32,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("id", &self.id)
            .field("per_minute", &self.per_minute)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl RateLimit {
    /// Which limit this is, stable across restarts and processes:
    /// `tool/NAME` for the attribute's, `policy/SECTION/NAME` for a
    /// policy's, `user` for the per-user quota.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Calls admitted per minute (and the burst size).
    pub fn per_minute(&self) -> NonZeroU32 {
        self.per_minute
    }

    /// Whose calls share a bucket.
    pub fn scope(&self) -> RateScope {
        self.scope
    }

    /// The bucket a call falls in within this limit: `None` for the one
    /// shared bucket (tool scope, or a call without the scope's key).
    pub fn bucket<'c>(&self, ctx: &'c CallContext) -> Option<&'c str> {
        match self.scope {
            RateScope::Tool => None,
            RateScope::Agent => Some(ctx.agent_id()),
            RateScope::User => ctx.user_key().map(|k| &**k),
            RateScope::Session => ctx.session_key().map(|k| &**k),
        }
    }

    pub(crate) fn new(
        id: impl Into<Arc<str>>,
        per_minute: NonZeroU32,
        scope: RateScope,
        clock: Clock,
    ) -> Self {
        let clock = GovernorClock(clock);
        let quota = Quota::per_minute(per_minute);
        let direct = || RateLimiter::direct_with_clock(quota, clock.clone());
        let limiter = match scope {
            RateScope::Tool => Limiter::Direct(direct()),
            _ => Limiter::Keyed {
                keyed: RateLimiter::hashmap_with_clock(quota, clock.clone()),
                keyless: direct(),
            },
        };
        RateLimit {
            id: id.into(),
            per_minute,
            limiter,
            scope,
            clock,
            checks: AtomicU32::new(0),
        }
    }

    /// Admits the call in this process's own buckets, or says how long
    /// until one would be admitted.
    pub(crate) fn check_local(&self, ctx: &CallContext) -> Result<(), Duration> {
        let verdict = match &self.limiter {
            Limiter::Direct(direct) => direct.check(),
            Limiter::Keyed { keyed, keyless } => {
                let key = match self.scope {
                    RateScope::Agent => Some(ctx.agent_key()),
                    RateScope::User => ctx.user_key(),
                    RateScope::Session => ctx.session_key(),
                    RateScope::Tool => None,
                };
                if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
                    // Keys whose buckets are full again hold no information: drop
                    // them so memory stays bounded however many users pass.
                    keyed.retain_recent();
                    keyed.shrink_to_fit();
                }
                match key {
                    Some(key) => keyed.check_key(key),
                    None => keyless.check(),
                }
            }
        };
        verdict.map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    #[cfg(test)]
    pub(crate) fn tracked_keys(&self) -> usize {
        match &self.limiter {
            Limiter::Direct(_) => 0,
            Limiter::Keyed { keyed, .. } => keyed.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::FakeClock;

    #[test]
    fn admits_exactly_the_quota_then_refills() {
        let fake = FakeClock::new();
        let limit = RateLimit::new(
            "t",
            NonZeroU32::new(3).unwrap(),
            RateScope::Tool,
            fake.clone().into(),
        );
        let ctx = CallContext::new("a");
        for _ in 0..3 {
            assert_eq!(limit.check_local(&ctx), Ok(()));
        }
        assert_eq!(limit.check_local(&ctx), Err(Duration::from_secs(20)));
        fake.advance(Duration::from_secs(20));
        assert_eq!(limit.check_local(&ctx), Ok(()));
        assert_eq!(limit.check_local(&ctx), Err(Duration::from_secs(20)));
    }

    #[test]
    fn user_scope_keeps_buckets_apart_and_evicts_idle_ones() {
        let fake = FakeClock::new();
        let limit = RateLimit::new(
            "t",
            NonZeroU32::new(1).unwrap(),
            RateScope::User,
            fake.clone().into(),
        );
        let alice = CallContext::new("a").user("alice");
        let bob = CallContext::new("a").user("bob");
        assert_eq!(limit.check_local(&alice), Ok(()));
        assert_eq!(limit.check_local(&bob), Ok(()));
        assert!(limit.check_local(&alice).is_err());
        assert_eq!(limit.tracked_keys(), 2);
        fake.advance(Duration::from_secs(120));
        for i in 0..SWEEP_EVERY {
            let _ = limit.check_local(&CallContext::new("a").user(format!("u{}", i % 2)));
        }
        assert_eq!(limit.tracked_keys(), 2, "idle keys were not evicted");
    }
}
