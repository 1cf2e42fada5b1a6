#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

// Lets `#[secure_tool]` name this crate `::guard_runtime` from inside it too.
extern crate self as guard_runtime;

pub mod audit;
mod call;
pub mod confirm;
mod context;
mod dispatch;
mod error;
pub mod exec;
mod guard;
pub mod limits;
mod outcome;
pub mod policy;
pub mod registry;
mod validate;

pub use audit::{ArgumentsDigest, AuditEvent, AuditSink, MemorySink, TracingSink};
pub use call::{ToolCall, ToolReply};
pub use confirm::{ConfirmRequest, Confirmer, Decision, DenyAll, FnConfirmer};
pub use context::CallContext;
pub use error::BuildError;
pub use exec::ToolError;
pub use guard::{DEFAULT_MAX_ARGUMENT_BYTES, Guard, GuardBuilder};
pub use limits::{Clock, FakeClock, RateScope};
pub use outcome::{DenyReason, FailReason, Outcome};
pub use policy::Risk;
pub use registry::ToolInfo;

pub use guard_macros::secure_tool;

/// What generated code uses. Not a public API: no stability promises.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
    pub use schemars;
    pub use serde;
    pub use serde_json;

    pub use crate::context::CallContext;
    pub use crate::exec::{ToolResult, ViaPlain, ViaResult, Wrap};
    pub use crate::policy::Risk;
    pub use crate::registry::{Invocation, ToolRegistration, args_schema};
}
