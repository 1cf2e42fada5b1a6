//! Concurrency: how many tool bodies run at once, across the guard
//! (`max_concurrent`), per tool (`tool_concurrency`) and within one turn
//! (the policy's `max_parallel`, and one at a time at or above its
//! `sequential_risk`).

use std::collections::HashMap;

use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit};

/// The guard-wide and per-tool limits, shared by every batch.
#[derive(Debug, Default)]
pub(crate) struct ConcurrencyLimits {
    global: Option<Semaphore>,
    per_tool: HashMap<&'static str, Semaphore>,
}

/// Held while a body runs; dropping it frees the places.
pub(crate) struct Permits<'a> {
    _global: Option<SemaphorePermit<'a>>,
    _tool: Option<SemaphorePermit<'a>>,
}

impl ConcurrencyLimits {
    pub(crate) fn new(global: Option<usize>, per_tool: HashMap<&'static str, usize>) -> Self {
        ConcurrencyLimits {
            global: global.map(Semaphore::new),
            per_tool: per_tool
                .into_iter()
                .map(|(tool, limit)| (tool, Semaphore::new(limit)))
                .collect(),
        }
    }

    /// Waits for a place for one body of `tool`. The semaphores are never
    /// closed, so acquiring cannot fail.
    pub(crate) async fn acquire(&self, tool: &str) -> Permits<'_> {
        let global = match &self.global {
            Some(limit) => limit.acquire().await.ok(),
            None => None,
        };
        let tool = match self.per_tool.get(tool) {
            Some(limit) => limit.acquire().await.ok(),
            None => None,
        };
        Permits {
            _global: global,
            _tool: tool,
        }
    }
}

/// One turn's concurrency: at most `max_parallel` calls at once, and the
/// calls at or above `sequential_risk` one at a time.
pub(crate) struct TurnLimits {
    parallel: Option<Semaphore>,
    sequential: Mutex<()>,
}

/// A call's place in its turn, held while it runs.
pub(crate) type TurnPlace<'a> = (Option<MutexGuard<'a, ()>>, Option<SemaphorePermit<'a>>);

impl TurnLimits {
    pub(crate) fn new(max_parallel: Option<usize>) -> Self {
        TurnLimits {
            parallel: max_parallel.map(Semaphore::new),
            sequential: Mutex::new(()),
        }
    }

    /// Waits for the call's turn. The sequential lock is taken before a
    /// parallel permit, so a permit holder never waits on the lock.
    pub(crate) async fn enter(&self, sequential: bool) -> TurnPlace<'_> {
        let lock = if sequential {
            Some(self.sequential.lock().await)
        } else {
            None
        };
        let permit = match &self.parallel {
            Some(parallel) => parallel.acquire().await.ok(),
            None => None,
        };
        (lock, permit)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt as _;

    use super::*;

    #[tokio::test]
    async fn a_tool_limit_holds_its_places_until_the_permits_drop() {
        let limits = ConcurrencyLimits::new(None, HashMap::from([("slow", 1)]));
        let first = limits.acquire("slow").await;
        let mut second = std::pin::pin!(limits.acquire("slow"));
        assert!(second.as_mut().now_or_never().is_none());
        // Other tools are not held up.
        let _other = limits.acquire("fast").await;
        drop(first);
        assert!(second.now_or_never().is_some());
    }

    #[tokio::test]
    async fn sequential_calls_of_a_turn_wait_for_each_other() {
        let turn = TurnLimits::new(Some(4));
        let first = turn.enter(true).await;
        let mut second = std::pin::pin!(turn.enter(true));
        assert!(second.as_mut().now_or_never().is_none());
        let _parallel = turn.enter(false).await;
        drop(first);
        assert!(second.now_or_never().is_some());
    }
}
