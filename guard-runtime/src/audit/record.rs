//! Building a call's audit record: what the event says about the call,
//! its arguments and output (redacted, capped, secrets hashed) and what
//! refused it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{ArgumentsDigest, AuditEvent, SandboxRecord, StepTimes};
use crate::call::ToolCall;
use crate::context::CallContext;
use crate::outcome::{DenyReason, Outcome, safe_text};
use crate::registry::ToolEntry;
use crate::scan::without_secrets;

/// Longest arguments or output text copied into an audit event.
const MAX_AUDIT_CHARS: usize = 4096;
/// Longest call id or tool name copied into audit records and refusals.
const MAX_ID_CHARS: usize = 128;

/// One answered call, as the orchestrator knows it.
pub(crate) struct CallRecord<'a> {
    pub(crate) ctx: &'a CallContext,
    pub(crate) call: &'a ToolCall,
    pub(crate) entry: Option<&'a ToolEntry>,
    pub(crate) outcome: &'a Outcome,
    /// What the model was sent.
    pub(crate) content: &'a str,
    /// What the policy decided, as the audit note says it.
    pub(crate) policy: Arc<str>,
    pub(crate) latency: Duration,
    pub(crate) sandbox: Option<SandboxRecord>,
    pub(crate) steps: Option<StepTimes>,
}

impl CallRecord<'_> {
    /// The event; arguments and output text only when `content` is on.
    pub(crate) fn event(self, content: bool) -> AuditEvent {
        let (arguments, output) = if content {
            (
                Some(audited_arguments(&self.call.arguments, self.entry)),
                Some(without_secrets(self.content, MAX_AUDIT_CHARS)),
            )
        } else {
            (None, None)
        };
        AuditEvent {
            time: SystemTime::now(),
            call_id: bounded(&self.call.id),
            context: self.ctx.clone(),
            tool: self.entry.map_or_else(
                || bounded(&self.call.name),
                |e| e.registration.name.to_owned(),
            ),
            risk: self.entry.map(|e| e.registration.risk),
            arguments_digest: ArgumentsDigest::of(&self.call.arguments),
            arguments,
            output,
            outcome: self.outcome.clone(),
            policy: self.policy,
            latency: self.latency,
            sandbox: self.sandbox,
            steps: self.steps,
        }
    }
}

/// The arguments as audited: `#[arg(secret)]` values replaced by their
/// SHA-256, every other credential redacted, length capped.
pub(crate) fn audited_arguments(raw: &str, entry: Option<&ToolEntry>) -> String {
    let secret_args = entry.map_or(&[][..], |e| e.registration.secret_args);
    if secret_args.is_empty() {
        return without_secrets(raw, MAX_AUDIT_CHARS);
    }
    let Ok(Value::Object(mut args)) = serde_json::from_str::<Value>(raw) else {
        // Unparseable arguments may still hold the secret: keep only the digest.
        return "<unparseable arguments; see arguments_digest>".to_owned();
    };
    for name in secret_args {
        if let Some(value) = args.get_mut(*name) {
            let digest = ArgumentsDigest::of(&value.to_string());
            *value = Value::String(format!("sha256:{digest}"));
        }
    }
    without_secrets(&Value::Object(args).to_string(), MAX_AUDIT_CHARS)
}

/// What refused a call, for its audit note.
pub(crate) fn refusal_note(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Denied {
            reason: DenyReason::MissingRole { any_of },
        } => format!("refused: missing role (one of {})", any_of.join(", ")),
        Outcome::Denied {
            reason: DenyReason::Policy { id },
        } => format!("refused by cedar policy `{id}`"),
        Outcome::Denied {
            reason: DenyReason::Leak { kind },
        } => format!("refused: outbound {kind}"),
        Outcome::UnsafeArgument { code, .. } => format!("refused: unsafe argument ({code})"),
        other => format!("refused: {}", other.kind()),
    }
}

/// A call id or name from the model, as records and refusals may repeat
/// it: short ones as they are, others cut and cleaned.
pub(crate) fn bounded(text: &str) -> String {
    if text.len() <= MAX_ID_CHARS && !text.chars().any(char::is_control) {
        text.to_owned()
    } else {
        safe_text(text, MAX_ID_CHARS)
    }
}
