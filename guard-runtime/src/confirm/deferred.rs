//! Deferred approval for web apps: a call that needs confirmation is parked
//! and its request handed to the app; `Guard::resume` later finishes it.
//! The parked call stays inside the guard, so a request that comes back
//! changed (other arguments, another digest) or late is refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::ApprovalDigest;
use crate::call::ToolCall;
use crate::context::CallContext;
use crate::policy::Risk;
use crate::registry::Invocation;

/// A call waiting for a person's decision; serialises with serde so a web
/// app can store it or send it to a browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApprovalRequest {
    /// The guard's id for the parked call.
    pub id: String,
    /// The call's `tool_call_id`.
    pub call_id: String,
    /// The tool.
    pub tool: String,
    /// Its effective risk.
    pub risk: Risk,
    /// The arguments as JSON text, credentials redacted.
    pub arguments: String,
    /// The tool and exact arguments an approval applies to.
    pub digest: ApprovalDigest,
    /// Why a person has to decide.
    pub reason: String,
    /// When the request lapses (Unix time, milliseconds).
    pub expires_at_ms: u64,
}

pub(crate) struct PendingCall {
    pub(crate) request: ApprovalRequest,
    pub(crate) context: CallContext,
    pub(crate) call: ToolCall,
    pub(crate) invocation: Invocation,
    /// Clock time after which the request is refused.
    pub(crate) expires: Duration,
    /// Whether it holds a place in the session quotas (given back if the
    /// call is refused when resumed).
    pub(crate) reserved: bool,
}

/// The parked calls of one guard.
pub(crate) struct PendingStore {
    calls: Mutex<HashMap<String, PendingCall>>,
    pub(crate) ttl: Duration,
    next: AtomicU64,
    /// Distinguishes this guard's ids from another's (and a restarted one's).
    prefix: u64,
}

impl PendingStore {
    pub(crate) fn new(ttl: Duration) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        PendingStore {
            calls: Mutex::new(HashMap::new()),
            ttl,
            next: AtomicU64::new(1),
            prefix: hasher.finish(),
        }
    }

    pub(crate) fn next_id(&self) -> String {
        format!(
            "apr-{:016x}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub(crate) fn park(&self, pending: PendingCall, now: Duration) {
        let mut calls = self
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Lapsed requests can never be resumed; drop them as new ones come.
        calls.retain(|_, p| p.expires > now);
        calls.insert(pending.request.id.clone(), pending);
    }

    /// Takes the parked call out: it is answered exactly once.
    pub(crate) fn take(&self, id: &str) -> Option<PendingCall> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id)
    }
}

/// Unix milliseconds `after` from now.
pub(crate) fn unix_ms_after(after: Duration) -> u64 {
    (SystemTime::now() + after)
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
