//! The typed result of one call, and the short, safe text the model sees for it.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Serialize, Serializer};

/// What happened to a call. Every refusal has its own variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The tool ran and returned a value.
    Success,
    /// The tool ran and succeeded, and output handling changed what the
    /// model sees: secrets or personal data redacted, suspected injection
    /// framed as untrusted data, or the output cut at the size cap.
    Sanitized {
        /// Kinds of what was redacted (`aws_access_key`, `email`, ...).
        redacted: Vec<String>,
        /// The injection score, when the output looked like an injection.
        injection_score: Option<f64>,
        /// Whether the output was cut at the size cap.
        truncated: bool,
    },
    /// The tool ran, but its output was withheld (output policy `Block`).
    OutputBlocked {
        /// What it contained: `secret`, `personal data`, or
        /// `instructions aimed at the assistant`.
        reason: String,
    },
    /// The tool ran and returned its own error; the model sees its message.
    ToolError {
        /// The tool's error message (its `Display`), truncated.
        message: String,
    },
    /// No tool has that name (or it is not enabled in this guard).
    UnknownTool {
        /// The requested name, sanitised and truncated.
        name: String,
    },
    /// An earlier call in the same batch had the same id; this one was not run.
    DuplicateCallId,
    /// The arguments text exceeded the size cap and was not parsed.
    ArgumentsTooLarge {
        /// Size of the arguments in bytes.
        size: usize,
        /// The configured cap in bytes.
        limit: usize,
    },
    /// The arguments were not valid JSON.
    MalformedArguments {
        /// The parser's message (position only, never the input).
        reason: String,
    },
    /// The arguments did not satisfy the tool's schema or could not be deserialized.
    InvalidArguments {
        /// JSON pointer to the offending value (`""` for the whole object).
        pointer: String,
        /// What is wrong, without echoing the value.
        reason: String,
    },
    /// A security validator refused an argument (path traversal, SSRF, a
    /// write in read-only SQL, shell syntax, hidden characters...).
    UnsafeArgument {
        /// JSON pointer to the refused string.
        pointer: String,
        /// The validator's reason code, e.g. `path.traversal`.
        code: String,
        /// What was wrong, without echoing the value.
        detail: String,
    },
    /// The tool's rate limit was reached.
    RateLimited {
        /// When a call could next be admitted.
        #[serde(serialize_with = "millis", rename = "retry_after_ms")]
        retry_after: Duration,
    },
    /// The call waits for a person's decision (deferred approvals); nothing
    /// is sent to the model for it until [`Guard::resume`](crate::Guard::resume)
    /// answers it.
    PendingApproval {
        /// What to show the approver; hand it back to `resume` with the decision.
        request: Box<crate::confirm::ApprovalRequest>,
    },
    /// A check refused the call.
    Denied {
        /// Why.
        reason: DenyReason,
    },
    /// The tool could not produce a result (it panicked, say); details stay internal.
    Failed {
        /// Why.
        reason: FailReason,
    },
}

/// Why a call was denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DenyReason {
    /// The tool needs confirmation and the guard has no confirmer (fail closed).
    NoConfirmer,
    /// The confirmer declined.
    Declined {
        /// A message for the model, if the confirmer gave one.
        message: Option<String>,
    },
    /// The policy does not let this agent use the tool.
    NotAllowed {
        /// The policy's agent section (`default` for agents without one).
        section: String,
        /// Which list refused it: `deny "pattern"` or `not in allow`.
        rule: String,
    },
    /// The caller has none of the roles the tool needs.
    MissingRole {
        /// The roles, one of which would do.
        any_of: Vec<String>,
    },
    /// A quota of the policy was used up.
    Quota {
        /// `session_calls`, `session_calls_per_tool` or `turn_calls`.
        quota: String,
        /// The quota's value.
        limit: u32,
    },
    /// A data-flow rule stopped the call.
    Flow {
        /// The rule's id.
        rule: String,
    },
    /// The policy refuses whole batches, and another call of this one was refused.
    Batch {
        /// The `tool_call_id` of the first refused call.
        refused_call: String,
    },
    /// The batch had more calls than the cap allows (`max_calls_per_batch`);
    /// calls past the cap are answered with this and nothing else is done.
    TooManyCalls {
        /// The cap.
        limit: usize,
    },
    /// The confirmer did not answer within the confirmation timeout.
    ConfirmationTimedOut,
    /// A deferred approval came back after its request lapsed.
    ApprovalExpired,
    /// A deferred approval came back for other arguments, another request
    /// or another caller than the one parked.
    ApprovalMismatch,
    /// The shared state backend (rate limits, quotas, data-flow history)
    /// could not answer, and the policy fails closed (`on_backend_error`).
    /// The reason goes to the audit record, not to the model.
    BackendUnavailable,
    /// The call's arguments carry something out that the outbound policy
    /// refuses: `secret`, `personal data` or `source content` (what a
    /// source tool returned in this session). The value is never named.
    Leak {
        /// What the arguments carry.
        kind: String,
    },
    /// A Cedar policy refused the call: the `forbid` that matched, the one
    /// that failed to evaluate, or `default` when no `permit` matched. The
    /// entity data it read is never named.
    Policy {
        /// The policy's `@id`, else Cedar's own id.
        id: String,
    },
    /// The entity data Cedar policies read could not be loaded (or did not
    /// fit the schema); the call was not run.
    EntitiesUnavailable,
}

/// Why a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailReason {
    /// The tool panicked.
    Panicked,
    /// The tool's return value could not be serialized to JSON.
    UnserializableOutput,
    /// The tool's argument schema could not be compiled, so nothing can be checked.
    SchemaUnavailable,
    /// The tool's argument validators could not be built, so nothing can be checked.
    ValidatorUnavailable,
    /// The tool did not finish within its timeout.
    TimedOut,
    /// A sandboxed tool went past its profile's memory limit.
    MemoryLimit,
    /// A sandboxed tool went past its profile's CPU-time limit.
    CpuLimit,
    /// A sandboxed tool wrote a file past its profile's size limit.
    FileSizeLimit,
    /// A sandboxed tool's reply was larger than its profile allows.
    OutputLimit,
    /// A sandboxed tool's worker died of a signal (a segfault is 11).
    Crashed {
        /// The signal number.
        signal: i32,
    },
    /// A sandboxed tool's worker could not be started or stopped answering.
    WorkerFailed,
    /// A layer the tool's sandbox profile needs is missing on this kernel
    /// (or this build has no `sandbox` feature); the call was not run.
    SandboxUnavailable {
        /// The missing layers.
        missing: crate::sandbox::SandboxLayers,
    },
}

fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Outcome {
    /// A stable snake_case name for the variant, used in refusals and audit records.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Sanitized { .. } => "sanitized",
            Outcome::OutputBlocked { .. } => "output_blocked",
            Outcome::ToolError { .. } => "tool_error",
            Outcome::UnknownTool { .. } => "unknown_tool",
            Outcome::DuplicateCallId => "duplicate_call_id",
            Outcome::ArgumentsTooLarge { .. } => "arguments_too_large",
            Outcome::MalformedArguments { .. } => "malformed_arguments",
            Outcome::InvalidArguments { .. } => "invalid_arguments",
            Outcome::UnsafeArgument { .. } => "unsafe_argument",
            Outcome::RateLimited { .. } => "rate_limited",
            Outcome::PendingApproval { .. } => "pending_approval",
            Outcome::Denied { .. } => "denied",
            Outcome::Failed { .. } => "failed",
        }
    }

    /// Whether the tool ran and succeeded (its output possibly sanitized).
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success | Outcome::Sanitized { .. })
    }

    /// Whether the tool body ran (successfully, with its own error, or with its output withheld).
    pub fn tool_ran(&self) -> bool {
        matches!(
            self,
            Outcome::Success
                | Outcome::Sanitized { .. }
                | Outcome::OutputBlocked { .. }
                | Outcome::ToolError { .. }
        )
    }

    /// Whether the call still waits for a deferred approval: its reply must
    /// not be sent to the model yet.
    pub fn is_pending(&self) -> bool {
        matches!(self, Outcome::PendingApproval { .. })
    }

    /// The short message the model sees for a refusal or error; `None` for
    /// success and for a call pending approval.
    pub fn model_message(&self) -> Option<String> {
        let message = match self {
            Outcome::Success | Outcome::Sanitized { .. } | Outcome::PendingApproval { .. } => {
                return None;
            }
            Outcome::OutputBlocked { reason } => {
                format!("the tool ran, but its output was withheld because it contained {reason}")
            }
            Outcome::ToolError { message } => message.clone(),
            Outcome::UnknownTool { name } if name.is_empty() => {
                "no tool with that name is available".to_owned()
            }
            Outcome::UnknownTool { name } => format!("no tool named `{name}` is available"),
            Outcome::DuplicateCallId => {
                "another call in this batch has the same id; this one was not run".to_owned()
            }
            Outcome::ArgumentsTooLarge { size, limit } => {
                format!("arguments are {size} bytes; the limit is {limit} bytes")
            }
            Outcome::MalformedArguments { reason } => {
                format!("arguments are not valid JSON: {reason}")
            }
            Outcome::InvalidArguments { pointer, reason } if pointer.is_empty() => reason.clone(),
            Outcome::InvalidArguments { pointer, reason } => format!("{pointer}: {reason}"),
            Outcome::UnsafeArgument {
                pointer,
                code,
                detail,
            } => format!("{pointer}: {detail} ({code})"),
            Outcome::RateLimited { retry_after } => {
                let mut text = String::from("rate limit reached for this tool; retry in ");
                let _ = write!(text, "{:.1} s", retry_after.as_secs_f64());
                text
            }
            Outcome::Denied { reason } => match reason {
                DenyReason::NoConfirmer => {
                    "this call needs human approval and no approver is available".to_owned()
                }
                DenyReason::Declined { message: Some(m) } => m.clone(),
                DenyReason::Declined { message: None } => "the user declined this call".to_owned(),
                DenyReason::NotAllowed { .. } => {
                    "this tool is not available to this agent".to_owned()
                }
                DenyReason::MissingRole { any_of } => {
                    format!("this tool needs one of the roles: {}", any_of.join(", "))
                }
                DenyReason::Quota { quota, limit } => {
                    format!("quota reached ({quota} = {limit}); no more such calls now")
                }
                DenyReason::Flow { rule } => format!(
                    "blocked by data-flow rule `{rule}`: data from one tool may not go to the other"
                ),
                DenyReason::Batch { refused_call } => format!(
                    "not run: the policy refuses the whole batch because call `{refused_call}` was refused"
                ),
                DenyReason::TooManyCalls { limit } => format!(
                    "not run: a turn may make at most {limit} tool calls; send fewer at once"
                ),
                DenyReason::ConfirmationTimedOut => {
                    "no approver answered in time; the call was not run".to_owned()
                }
                DenyReason::ApprovalExpired => {
                    "the approval came too late; the call was not run".to_owned()
                }
                DenyReason::ApprovalMismatch => {
                    "the approval does not match this call; the call was not run".to_owned()
                }
                DenyReason::BackendUnavailable => {
                    "limits could not be checked right now; the call was not run".to_owned()
                }
                DenyReason::Policy { id } => {
                    format!("not allowed by policy `{}`", safe_text(id, 64))
                }
                DenyReason::EntitiesUnavailable => {
                    "the data the policy needs could not be loaded; the call was not run".to_owned()
                }
                DenyReason::Leak { kind } => format!(
                    "not run: the arguments would send {kind} out of the agent; leave it out"
                ),
            },
            Outcome::Failed {
                reason: FailReason::TimedOut,
            } => "the tool did not finish in time".to_owned(),
            Outcome::Failed {
                reason: FailReason::MemoryLimit,
            } => "the tool was stopped: it used more memory than it may".to_owned(),
            Outcome::Failed {
                reason: FailReason::CpuLimit,
            } => "the tool was stopped: it used more CPU time than it may".to_owned(),
            Outcome::Failed {
                reason: FailReason::FileSizeLimit,
            } => "the tool was stopped: it wrote a larger file than it may".to_owned(),
            Outcome::Failed {
                reason: FailReason::OutputLimit,
            } => "the tool's output was larger than allowed and was dropped".to_owned(),
            Outcome::Failed {
                reason: FailReason::SandboxUnavailable { .. },
            } => "the tool's sandbox is not available here; the call was not run".to_owned(),
            Outcome::Failed { .. } => "the tool failed; the error was recorded".to_owned(),
        };
        Some(message)
    }

    /// The content sent to the model for a refusal:
    /// `{"error":{"kind":"...","message":"..."}}`.
    pub fn model_content(&self) -> Option<String> {
        let message = self.model_message()?;
        Some(serde_json::json!({"error": {"kind": self.kind(), "message": message}}).to_string())
    }
}

/// Makes a string safe to show the model or log: control characters become
/// spaces and anything past `max_chars` characters is cut with an ellipsis,
/// so no refusal can echo a huge or terminal-hostile input.
pub(crate) fn safe_text(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4 + 3));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_text_cuts_and_cleans() {
        assert_eq!(safe_text("a\nb\u{7}c", 10), "a b c");
        assert_eq!(safe_text("abcdef", 3), "abc…");
        assert_eq!(safe_text("ééé", 2), "éé…");
    }

    #[test]
    fn refusal_content_is_short_json() {
        let outcome = Outcome::InvalidArguments {
            pointer: "/path".into(),
            reason: "longer than 200 characters".into(),
        };
        assert_eq!(
            outcome.model_content().unwrap(),
            r#"{"error":{"kind":"invalid_arguments","message":"/path: longer than 200 characters"}}"#
        );
        assert_eq!(Outcome::Success.model_content(), None);
    }
}
