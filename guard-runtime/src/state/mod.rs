//! Shared state: the rate-limit buckets, session quotas, data-flow history
//! and standing "always" decisions the dispatcher consults once per batch.
//!
//! [`StateBackend`] is the seam. [`MemoryBackend`] (the default) keeps the
//! state in this process; `RedisBackend` (feature `redis`) keeps it in
//! Redis so every replica of a service shares one set of limits, and
//! quotas and history survive a restart.
//!
//! The dispatcher asks the backend once per batch, after every call passed
//! its own checks ([`StateBackend::admit`]), and a second time only when a
//! call with a tracked data-flow source will run or a reserved quota place
//! must be given back ([`StateBackend::settle`]). When the backend cannot
//! answer, the batch is refused unless the policy says
//! `on_backend_error = "allow"`; either way the audit record says why.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;

use crate::context::CallContext;
use crate::limits::RateLimit;

pub use self::memory::MemoryBackend;
#[cfg(feature = "redis")]
pub use self::redis::{RedisBackend, RedisBackendBuilder};

/// Where rate limits, quotas, data-flow history and "always" decisions live.
///
/// Implementations must be atomic per call of [`admit`](Self::admit): two
/// processes admitting against the same limit must never both take its
/// last place. Every method may fail; the dispatcher then fails closed
/// (unless the policy allows calls on backend errors).
pub trait StateBackend: Send + Sync + fmt::Debug {
    /// Decides one batch's shared-state questions in one step, in call order:
    /// each call's rate limits, then a place in the session quotas for each
    /// call its limits admitted (and that [`counts`](AdmitCall::counts)); plus
    /// how long ago each requested data-flow source was last admitted in the
    /// session and the standing decision for each requested tool.
    fn admit<'a>(&'a self, admission: &'a Admission<'a>) -> StateFuture<'a, Admitted>;

    /// Gives back quota places of calls refused after [`admit`](Self::admit)
    /// and records that calls carrying these source labels were admitted now.
    fn settle<'a>(&'a self, settlement: &'a Settlement<'a>) -> StateFuture<'a, ()>;

    /// Remembers an "always" decision for every later call of `tool` in `session`.
    fn remember<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
        standing: &'a Standing,
    ) -> StateFuture<'a, ()>;

    /// Remembers fingerprints of content a `source` tool returned in
    /// `session` (value-level taint, see [`outbound`](crate::outbound)).
    /// A backend keeps a bounded number per session, forgetting the oldest.
    ///
    /// The default refuses: a backend that keeps no fingerprints makes
    /// the dispatcher withhold source outputs and refuse sink calls (fail
    /// closed) unless the outbound policy turns taint off.
    fn remember_content<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, ()> {
        let _ = (session, fingerprints);
        StateFuture::ready(Err(BackendError::new(
            "this backend keeps no content fingerprints",
        )))
    }

    /// Whether `session` may hold remembered content at all: when it
    /// cannot, a sink call's arguments need no taint probes. The default
    /// says it may, so a backend that cannot tell cheaply is always asked
    /// through [`StateBackend::content_seen`].
    fn holds_content<'a>(&'a self, session: &'a str) -> StateFuture<'a, bool> {
        let _ = session;
        StateFuture::ready(Ok(true))
    }

    /// Whether any of `fingerprints` was remembered for `session`.
    fn content_seen<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, bool> {
        let _ = (session, fingerprints);
        StateFuture::ready(Err(BackendError::new(
            "this backend keeps no content fingerprints",
        )))
    }

    /// The session's quota counters: calls admitted in `session` in all,
    /// and of `tool` (what Cedar policies read as `context.session_calls`
    /// and `context.session_tool_calls`). Counted only while the policy
    /// sets session quotas.
    ///
    /// The default refuses, so a policy that reads them fails closed.
    fn session_counts<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
    ) -> StateFuture<'a, (u64, u64)> {
        let _ = (session, tool);
        StateFuture::ready(Err(BackendError::new(
            "this backend reports no session counts",
        )))
    }
}

/// A shared backend: one `Arc` handed to several guards (or kept by the
/// application to inspect) is one set of state.
impl<B: StateBackend + ?Sized> StateBackend for std::sync::Arc<B> {
    fn admit<'a>(&'a self, admission: &'a Admission<'a>) -> StateFuture<'a, Admitted> {
        (**self).admit(admission)
    }

    fn settle<'a>(&'a self, settlement: &'a Settlement<'a>) -> StateFuture<'a, ()> {
        (**self).settle(settlement)
    }

    fn remember<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
        standing: &'a Standing,
    ) -> StateFuture<'a, ()> {
        (**self).remember(session, tool, standing)
    }

    fn remember_content<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, ()> {
        (**self).remember_content(session, fingerprints)
    }

    fn holds_content<'a>(&'a self, session: &'a str) -> StateFuture<'a, bool> {
        (**self).holds_content(session)
    }

    fn content_seen<'a>(
        &'a self,
        session: &'a str,
        fingerprints: &'a [u64],
    ) -> StateFuture<'a, bool> {
        (**self).content_seen(session, fingerprints)
    }

    fn session_counts<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
    ) -> StateFuture<'a, (u64, u64)> {
        (**self).session_counts(session, tool)
    }
}

/// What a [`StateBackend`] method returns: an answer already known (an
/// in-process backend; nothing is allocated) or a boxed future (a backend
/// that waits on the network).
pub struct StateFuture<'a, T>(Answer<'a, T>);

enum Answer<'a, T> {
    Ready(Option<Result<T, BackendError>>),
    Pending(BoxFuture<'a, Result<T, BackendError>>),
}

impl<'a, T> StateFuture<'a, T> {
    /// An answer known now.
    pub fn ready(answer: Result<T, BackendError>) -> Self {
        StateFuture(Answer::Ready(Some(answer)))
    }

    /// An answer that takes waiting for.
    pub fn boxed(answer: impl Future<Output = Result<T, BackendError>> + Send + 'a) -> Self {
        StateFuture(Answer::Pending(Box::pin(answer)))
    }
}

impl<T: Unpin> Future for StateFuture<'_, T> {
    type Output = Result<T, BackendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Answer::Ready(answer) => Poll::Ready(
                answer
                    .take()
                    .expect("a StateFuture is not polled after it finished"),
            ),
            Answer::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> fmt::Debug for StateFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Answer::Ready(_) => f.write_str("StateFuture::Ready"),
            Answer::Pending(_) => f.write_str("StateFuture::Pending"),
        }
    }
}

/// One batch's questions for the backend.
#[derive(Debug)]
#[non_exhaustive]
pub struct Admission<'a> {
    /// Who is calling; rate-limit buckets are keyed from it.
    pub context: &'a CallContext,
    /// The session the quotas, history and decisions belong to.
    pub session: &'a str,
    /// The calls to charge, in order.
    pub calls: &'a [AdmitCall<'a>],
    /// Calls per session, all tools together.
    pub session_calls: Option<NonZeroU32>,
    /// Calls per session of any one tool.
    pub session_calls_per_tool: Option<NonZeroU32>,
    /// Data-flow source labels whose last admission is wanted.
    pub sources: Vec<&'a str>,
    /// Tools whose standing decision is wanted.
    pub standing: Vec<&'a str>,
}

/// One call to charge.
#[derive(Debug)]
#[non_exhaustive]
pub struct AdmitCall<'a> {
    /// The tool's name.
    pub tool: &'a str,
    /// Whether it takes a place in the session quotas.
    pub counts: bool,
    own: Option<&'a RateLimit>,
    policy: &'a [RateLimit],
    user: Option<&'a RateLimit>,
}

impl<'a> AdmitCall<'a> {
    pub(crate) fn new(
        tool: &'a str,
        counts: bool,
        own: Option<&'a RateLimit>,
        policy: &'a [RateLimit],
        user: Option<&'a RateLimit>,
    ) -> Self {
        AdmitCall {
            tool,
            counts,
            own,
            policy,
            user,
        }
    }

    /// The limits it must pass, each in [`RateLimit::bucket`] for the
    /// caller: the tool's own, the policy's, the per-user quota. A refused
    /// call should leave no bucket charged; the in-memory backend keeps the
    /// charges of limits checked before the one that refused (governor has
    /// no undo), which can only make it stricter.
    pub fn rates(&self) -> impl ExactSizeIterator<Item = &'a RateLimit> + use<'a> {
        let own = self.own.into_iter();
        let user = self.user.into_iter();
        let count = own.len() + self.policy.len() + user.len();
        ExactRates {
            inner: own.chain(self.policy).chain(user),
            left: count,
        }
    }
}

/// A chain that knows its length (`Chain` is not `ExactSizeIterator`).
struct ExactRates<I> {
    inner: I,
    left: usize,
}

impl<'a, I: Iterator<Item = &'a RateLimit>> Iterator for ExactRates<I> {
    type Item = &'a RateLimit;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.inner.next();
        self.left = self.left.saturating_sub(usize::from(next.is_some()));
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, I: Iterator<Item = &'a RateLimit>> ExactSizeIterator for ExactRates<I> {}

/// The backend's answers, in the order they were asked.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Admitted {
    /// One verdict per call.
    pub calls: Vec<CallVerdict>,
    /// For each requested source label: how long ago it was last admitted.
    pub sources: Vec<Option<Duration>>,
    /// For each requested tool: its standing decision, if any.
    pub standing: Vec<Option<Standing>>,
}

impl Admitted {
    /// Answers for `calls` calls, each admitted without a reservation, and
    /// for `sources` labels and `standing` tools, none known.
    pub fn new(calls: usize, sources: usize, standing: usize) -> Self {
        Admitted {
            calls: vec![CallVerdict::Admitted { reserved: false }; calls],
            sources: vec![None; sources],
            standing: vec![None; standing],
        }
    }
}

/// What the backend decided for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallVerdict {
    /// Admitted; `reserved` when it holds a place in the session quotas.
    Admitted {
        /// Whether a quota place was taken (give it back if the call is refused later).
        reserved: bool,
    },
    /// A rate limit refused it; none of its buckets was charged.
    RateLimited {
        /// How long until the limit would admit it.
        retry_after: Duration,
    },
    /// A session quota is used up.
    Quota {
        /// `session_calls` or `session_calls_per_tool`.
        quota: &'static str,
        /// The quota's size.
        limit: u32,
    },
}

/// A remembered "always" decision.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Standing {
    /// Approve every later call of the tool in the session.
    Approve,
    /// Deny every later call, with the message given to the model.
    Deny {
        /// The person's message, if any.
        message: Option<String>,
    },
}

/// What to record once a batch is decided.
#[derive(Debug)]
#[non_exhaustive]
pub struct Settlement<'a> {
    /// The session.
    pub session: &'a str,
    /// Tools whose reserved quota place is given back (one place per entry).
    pub release: Vec<&'a str>,
    /// Source labels of calls admitted now.
    pub touch: Vec<&'a str>,
}

/// The backend could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    message: String,
}

impl BackendError {
    /// An error with a short reason (it goes to logs and the audit record,
    /// never to the model).
    pub fn new(message: impl Into<String>) -> Self {
        BackendError {
            message: message.into(),
        }
    }

    /// The reason.
    pub fn message(&self) -> &str {
        &self.message
    }
}
