//! Audit: one structured event per call (built in `record`), to every
//! configured sink.

#[cfg(feature = "dashboard")]
#[cfg_attr(docsrs, doc(cfg(feature = "dashboard")))]
pub mod dashboard;
mod event;
mod jsonl;
#[cfg(feature = "otel")]
#[cfg_attr(docsrs, doc(cfg(feature = "otel")))]
pub mod otel;
mod record;
mod sinks;

pub use event::{ArgumentsDigest, AuditEvent, SandboxRecord, StepTimes};
pub use jsonl::{ChainError, ChainVerifier, Durability, JsonlAuditSink, verify};
pub(crate) use record::{CallRecord, audited_arguments, bounded, refusal_note};
pub use sinks::{AuditSink, MemorySink, TracingSink};
