//! Confirmation: a human (or a program acting for one) approves risky calls.
//!
//! A call needs confirmation when its tool says `confirm`, when its risk is
//! at or above the policy's `confirm_risk` (default: critical), or when a
//! data-flow rule with `action = "confirm"` matches. With no confirmer
//! configured such calls are denied, and so is a confirmer that does not
//! answer within the confirmation timeout: guard fails closed.

mod channel;
mod deferred;
mod digest;
mod terminal;

pub use channel::{ChannelConfirmer, PendingConfirmation};
pub use deferred::ApprovalRequest;
pub(crate) use deferred::{PendingCall, PendingStore, unix_ms_after};
pub use digest::ApprovalDigest;
pub use terminal::TerminalConfirmer;

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
    /// Why confirmation is needed: `tool asks for confirmation`,
    /// `risk at or above critical`, or `data-flow rule NAME`.
    pub reason: &'a str,
    /// What the decision is bound to: the tool and these exact arguments.
    pub digest: ApprovalDigest,
}

impl<'a> ConfirmRequest<'a> {
    /// A request for the given call, for confirmers' own tests and for
    /// calling one outside a guard; `reason` says the tool asks for it.
    pub fn new(
        call_id: &'a str,
        tool: &'a str,
        risk: Risk,
        arguments: &'a Value,
        context: &'a CallContext,
    ) -> Self {
        ConfirmRequest {
            call_id,
            tool,
            description: "",
            risk,
            arguments,
            context,
            reason: "tool asks for confirmation",
            digest: ApprovalDigest::of(tool, arguments),
        }
    }

    /// Sets why confirmation is needed.
    #[must_use]
    pub fn reason(mut self, reason: &'a str) -> Self {
        self.reason = reason;
        self
    }
}

/// The confirmer's answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Decision {
    /// Run the call.
    Approve,
    /// Do not run it; `message`, if any, is shown to the model.
    Deny {
        /// Text for the model, such as "the user wants a smaller file".
        message: Option<String>,
    },
    /// Run it with these arguments instead; they are checked again (schema,
    /// validators) before the call runs.
    Edit {
        /// The replacement arguments object.
        arguments: Value,
    },
    /// Run it, and every later call of this tool in this session without asking.
    ApproveAlways,
    /// Deny it, and every later call of this tool in this session without asking.
    DenyAlways {
        /// Text for the model.
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
