//! Shared state: the rate-limit buckets, session quotas, data-flow history
//! and standing "always" decisions the dispatcher consults once per batch.
//!
//! [`StateBackend`] is the seam. [`MemoryBackend`] (the default) keeps the
//! state in this process; [`RedisBackend`] (feature `redis`) keeps it in
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
    fn admit<'a>(
        &'a self,
        admission: &'a Admission<'a>,
    ) -> BoxFuture<'a, Result<Admitted, BackendError>>;

    /// Gives back quota places of calls refused after [`admit`](Self::admit)
    /// and records that calls carrying these source labels were admitted now.
    fn settle<'a>(
        &'a self,
        settlement: &'a Settlement<'a>,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// Remembers an "always" decision for every later call of `tool` in `session`.
    fn remember<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
        standing: &'a Standing,
    ) -> BoxFuture<'a, Result<(), BackendError>>;
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
    pub calls: Vec<AdmitCall<'a>>,
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
    /// The limits it must pass, each in [`RateLimit::bucket`] for the caller.
    /// A refused call should leave no bucket charged; the in-memory backend
    /// keeps the charges of limits checked before the one that refused
    /// (governor has no undo), which can only make it stricter.
    pub rates: Vec<&'a RateLimit>,
    /// Whether it takes a place in the session quotas.
    pub counts: bool,
}

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
