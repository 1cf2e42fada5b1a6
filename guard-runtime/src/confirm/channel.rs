//! A confirmer for async UIs: every request arrives on a channel, carrying
//! the means to answer it.

use std::fmt;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::{ApprovalDigest, ConfirmRequest, Confirmer, Decision};
use crate::context::CallContext;
use crate::policy::Risk;
use crate::registry::BoxFuture;

/// Sends each confirmation request to a [`PendingConfirmation`] receiver
/// and waits for its decision. A closed channel, or a request dropped
/// without an answer, denies the call.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use guard_runtime::{ChannelConfirmer, Decision};
///
/// let (confirmer, mut requests) = ChannelConfirmer::new(16);
/// tokio::spawn(async move {
///     while let Some(pending) = requests.recv().await {
///         // Show pending.tool, pending.arguments and pending.reason to a person.
///         let decision = if pending.tool == "refund" { Decision::Approve } else { Decision::deny("no") };
///         pending.decide(decision);
///     }
/// });
/// # let _ = confirmer;
/// # }
/// ```
#[derive(Clone)]
pub struct ChannelConfirmer {
    requests: mpsc::Sender<PendingConfirmation>,
}

impl ChannelConfirmer {
    /// A confirmer and the receiving end of its requests (at most
    /// `capacity` waiting; further calls wait for room).
    pub fn new(capacity: usize) -> (ChannelConfirmer, mpsc::Receiver<PendingConfirmation>) {
        let (requests, receiver) = mpsc::channel(capacity.max(1));
        (ChannelConfirmer { requests }, receiver)
    }
}

impl fmt::Debug for ChannelConfirmer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelConfirmer")
            .field("closed", &self.requests.is_closed())
            .finish()
    }
}

/// One call waiting for a decision.
#[derive(Debug)]
#[non_exhaustive]
pub struct PendingConfirmation {
    /// The call's `tool_call_id`.
    pub call_id: String,
    /// The tool.
    pub tool: String,
    /// Its effective risk.
    pub risk: Risk,
    /// The arguments, validated.
    pub arguments: Value,
    /// Why confirmation is needed.
    pub reason: String,
    /// The tool and arguments the decision is bound to.
    pub digest: ApprovalDigest,
    /// Who is calling.
    pub context: CallContext,
    reply: oneshot::Sender<Decision>,
}

impl PendingConfirmation {
    /// Answers the request. Dropping it unanswered denies the call.
    pub fn decide(self, decision: Decision) {
        // The call may have timed out meanwhile; then nobody listens.
        let _ = self.reply.send(decision);
    }
}

impl Confirmer for ChannelConfirmer {
    fn confirm<'a>(&'a self, request: ConfirmRequest<'a>) -> BoxFuture<'a, Decision> {
        let (reply, answer) = oneshot::channel();
        let pending = PendingConfirmation {
            call_id: request.call_id.to_owned(),
            tool: request.tool.to_owned(),
            risk: request.risk,
            arguments: request.arguments.clone(),
            reason: request.reason.to_owned(),
            digest: request.digest,
            context: request.context.clone(),
            reply,
        };
        Box::pin(async move {
            if self.requests.send(pending).await.is_err() {
                return Decision::deny("no approver is listening");
            }
            answer
                .await
                .unwrap_or_else(|_| Decision::deny("the approver did not answer"))
        })
    }
}
