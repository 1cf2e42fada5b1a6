//! The tool timeout: a body that has not finished by its deadline is a
//! timeout, whatever the executor or the timer thread did.

use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_timer::Delay;
use futures_util::future::{Either, select};

/// How a body ended against its deadline.
#[derive(Debug)]
pub(crate) enum Deadline<T> {
    /// It finished in time with this result.
    Met(T),
    /// It did not; `abandoned` when it was still running at the deadline
    /// (rather than finishing late).
    Missed { abandoned: bool },
}

/// Runs `body` with a deadline of `timeout` from now.
///
/// The deadline starts before the first poll. Most tools finish on that
/// poll and need no timer; the others race a runtime-agnostic one
/// (dispatch works on any executor), polled first so a late result never
/// wins a tie. A timer thread starved on a loaded machine can fire after
/// the body has finished: whatever the timer did, a result that came late
/// is a timeout.
pub(crate) async fn within<F: Future>(timeout: Duration, body: F) -> Deadline<F::Output> {
    let mut body = std::pin::pin!(body);
    let started = Instant::now();
    let first = std::future::poll_fn(|cx| Poll::Ready(body.as_mut().poll(cx))).await;
    let (finished, abandoned) = match first {
        Poll::Ready(result) => (Some(result), false),
        Poll::Pending => {
            let left = timeout.saturating_sub(started.elapsed());
            match select(Delay::new(left), body).await {
                Either::Left(_) => (None, true),
                Either::Right((result, _)) => (Some(result), false),
            }
        }
    };
    match finished.filter(|_| started.elapsed() <= timeout) {
        Some(result) => Deadline::Met(result),
        None => Deadline::Missed { abandoned },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ready_body_meets_its_deadline_and_a_slow_one_misses_it() {
        assert!(matches!(
            within(Duration::from_secs(5), async { 7 }).await,
            Deadline::Met(7)
        ));
        let slow = async {
            Delay::new(Duration::from_millis(300)).await;
            7
        };
        assert!(matches!(
            within(Duration::from_millis(20), slow).await,
            Deadline::Missed { abandoned: true }
        ));
    }

    #[test]
    fn a_result_that_comes_after_the_deadline_is_a_timeout() {
        // A blocking body finishes on its first poll, but too late.
        let late = async {
            std::thread::sleep(Duration::from_millis(30));
            7
        };
        let ended = block_on(within(Duration::from_millis(5), late));
        assert!(matches!(ended, Deadline::Missed { abandoned: false }));
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }
}
