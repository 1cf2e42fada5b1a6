//! Execution: running a checked call's body with its concurrency places
//! and its deadline (`deadline`), catching a panic so it becomes a
//! `Failed` reply, never a crash (`run`), and turning a tool's return
//! value into content for the model (`returned`).

mod deadline;
mod returned;
mod run;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use returned::{ToolError, ToolFailure, ToolResult, ViaPlain, ViaResult, Wrap};

use crate::limits::ConcurrencyLimits;
use crate::outcome::{FailReason, Outcome};
use crate::registry::Invocation;
use deadline::Deadline;

/// A body that did not return content: its tool error's text (to be
/// cleaned before the model sees it), or the failure.
#[derive(Debug)]
pub(crate) enum BodyFailure {
    /// The tool returned an error with this message.
    ToolError(String),
    /// The body failed: timed out, panicked, unserialisable or a sandbox failure.
    Failed(FailReason),
}

/// Runs one body of `tool`: waits for its concurrency places, then runs it
/// within `timeout`. A blocking body still running at the deadline is
/// left to finish on its thread and counted in `detached`.
pub(crate) async fn execute(
    tool: &'static str,
    invocation: Invocation,
    timeout: Duration,
    limits: &ConcurrencyLimits,
    detached: &AtomicU64,
) -> Result<String, BodyFailure> {
    let blocking = matches!(invocation, Invocation::Blocking(_));
    let body = async move {
        // Places are held while the body runs.
        let _permits = limits.acquire(tool).await;
        run::run(invocation).await
    };
    let result = match deadline::within(timeout, body).await {
        Deadline::Met(result) => result,
        Deadline::Missed { abandoned } => {
            if blocking && abandoned {
                detached.fetch_add(1, Ordering::Relaxed);
            }
            tracing::warn!(target: "guard", tool, ?timeout, "tool timed out");
            return Err(BodyFailure::Failed(FailReason::TimedOut));
        }
    };
    match result {
        Ok(Ok(content)) => Ok(content),
        Ok(Err(ToolFailure::Error(message))) => Err(BodyFailure::ToolError(message)),
        Ok(Err(ToolFailure::Failed(reason))) => {
            tracing::warn!(target: "guard", tool, ?reason, "sandboxed tool failed");
            Err(BodyFailure::Failed(reason))
        }
        Ok(Err(ToolFailure::Unserializable)) => {
            tracing::error!(target: "guard", tool, "tool output could not be serialized to JSON");
            Err(BodyFailure::Failed(FailReason::UnserializableOutput))
        }
        Err(run::Panicked) => {
            tracing::error!(target: "guard", tool, "tool panicked");
            Err(BodyFailure::Failed(FailReason::Panicked))
        }
    }
}

impl BodyFailure {
    /// The refusal for the model; `clean` shortens and redacts a tool's
    /// own error text, which can carry a credential.
    pub(crate) fn into_outcome(self, clean: impl FnOnce(&str) -> String) -> Outcome {
        match self {
            BodyFailure::ToolError(message) => Outcome::ToolError {
                message: clean(&message),
            },
            BodyFailure::Failed(reason) => Outcome::Failed { reason },
        }
    }
}
