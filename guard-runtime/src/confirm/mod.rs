//! Confirmation: a human (or a program acting for one) approves risky calls.
//!
//! With no confirmer configured, calls that need confirmation are denied:
//! guard fails closed.

use std::fmt;

use serde_json::Value;

use crate::context::CallContext;
use crate::policy::Risk;
use crate::registry::BoxFuture;

/// What the confirmer is asked to approve.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ConfirmRequest<'a> {
    /// The call's `tool_call_id`.
    pub call_id: &'a str,
    /// The tool's name.
    pub tool: &'a str,
    /// The tool's description.
    pub description: &'a str,
    /// The tool's risk level.
    pub risk: Risk,
    /// The arguments, already validated against the schema.
    pub arguments: &'a Value,
    /// Who is calling.
    pub context: &'a CallContext,
}

/// The confirmer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Run the call.
    Approve,
    /// Do not run it; `message`, if any, is shown to the model.
    Deny {
        /// Text for the model, such as "the user wants a smaller file".
        message: Option<String>,
    },
}

impl Decision {
    /// A denial with a message for the model.
    pub fn deny(message: impl Into<String>) -> Self {
        Decision::Deny {
            message: Some(message.into()),
        }
    }
}

/// Decides whether a call that needs confirmation may run.
///
/// Implement it for a UI, a chat-ops bot or a policy engine; for a plain
/// closure use [`FnConfirmer`].
pub trait Confirmer: Send + Sync + 'static {
    /// Asks for a decision. Holding the future pending holds only this call.
    fn confirm<'a>(&'a self, request: ConfirmRequest<'a>) -> BoxFuture<'a, Decision>;
}

/// Denies everything: the explicit form of running without a confirmer.
#[derive(Debug, Clone, Copy, Default)]
pub struct DenyAll;

impl Confirmer for DenyAll {
    fn confirm<'a>(&'a self, _request: ConfirmRequest<'a>) -> BoxFuture<'a, Decision> {
        Box::pin(std::future::ready(Decision::Deny { message: None }))
    }
}

/// A confirmer made of a synchronous closure.
///
/// ```
/// use guard_runtime::{Decision, FnConfirmer, Risk};
///
/// // Approve everything below critical risk.
/// let confirmer = FnConfirmer::new(|req| {
///     if req.risk < Risk::Critical { Decision::Approve } else { Decision::deny("too risky") }
/// });
/// # let _ = confirmer;
/// ```
pub struct FnConfirmer<F>(F);

impl<F> FnConfirmer<F>
where
    F: Fn(ConfirmRequest<'_>) -> Decision + Send + Sync + 'static,
{
    /// Wraps the closure.
    pub fn new(decide: F) -> Self {
        FnConfirmer(decide)
    }
}

impl<F> Confirmer for FnConfirmer<F>
where
    F: Fn(ConfirmRequest<'_>) -> Decision + Send + Sync + 'static,
{
    fn confirm<'a>(&'a self, request: ConfirmRequest<'a>) -> BoxFuture<'a, Decision> {
        Box::pin(std::future::ready((self.0)(request)))
    }
}

impl<F> fmt::Debug for FnConfirmer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnConfirmer(..)")
    }
}
