use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::context::CallContext;
use crate::outcome::Outcome;
use crate::policy::Risk;

/// SHA-256 of a call's raw arguments text: lets an auditor match a call to
/// its arguments without the audit trail storing them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArgumentsDigest(pub [u8; 32]);

impl ArgumentsDigest {
    /// The digest of the given arguments text.
    ///
    /// ```
    /// use guard_runtime::ArgumentsDigest;
    /// assert_eq!(
    ///     ArgumentsDigest::of("").to_string(),
    ///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// );
    /// ```
    pub fn of(arguments: &str) -> Self {
        ArgumentsDigest(Sha256::digest(arguments.as_bytes()).into())
    }
}

impl fmt::Display for ArgumentsDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for ArgumentsDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArgumentsDigest({self})")
    }
}

impl Serialize for ArgumentsDigest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What happened to one call.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// When the call finished.
    #[serde(serialize_with = "unix_millis")]
    pub time: SystemTime,
    /// The call's `tool_call_id` (truncated if absurdly long).
    pub call_id: String,
    /// Who called.
    pub context: CallContext,
    /// The tool name as requested (sanitised and truncated for unknown tools).
    pub tool: String,
    /// The tool's risk, when the tool exists.
    pub risk: Option<Risk>,
    /// SHA-256 of the raw arguments text.
    pub arguments_digest: ArgumentsDigest,
    /// The arguments with secrets redacted and `#[arg(secret)]` values
    /// replaced by their SHA-256 (only with `GuardBuilder::audit_content(true)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// What the model was sent, secrets redacted (only with `audit_content(true)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// The policy's part in it: the agent section that applied and what it
    /// decided (`support: allowed`, `support: deny "*_admin"`,
    /// `default: flow no-exfiltration logged`, ...).
    pub policy: std::sync::Arc<str>,
    /// Time from the start of the call's checks to its reply.
    #[serde(serialize_with = "micros", rename = "latency_us")]
    pub latency: Duration,
    /// For a tool that runs in a sandbox: its profile and the layers its
    /// worker enforced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxRecord>,
    /// For a call whose body ran, where the time went: the checks took
    /// the rest of `latency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<StepTimes>,
}

/// Where a call's time went after its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepTimes {
    /// Waiting for a concurrency place and running the tool body (in its
    /// sandbox, if it has one).
    #[serde(serialize_with = "micros", rename = "execute_us")]
    pub execute: Duration,
    /// The output stage: scanning, redaction, framing.
    #[serde(serialize_with = "micros", rename = "output_us")]
    pub output: Duration,
}

/// The sandbox a call ran in, as audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SandboxRecord {
    /// The profile's name.
    pub profile: std::sync::Arc<str>,
    /// The layers the worker reported enforced.
    pub layers: crate::sandbox::SandboxLayers,
}

fn unix_millis<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    let millis = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    s.serialize_u64(millis)
}

fn micros<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}
