//! Audit: one structured event per call, to every configured sink.

mod event;
mod jsonl;
mod sinks;

pub use event::{ArgumentsDigest, AuditEvent, SandboxRecord};
pub use jsonl::{ChainError, Durability, JsonlAuditSink, verify};
pub use sinks::{AuditSink, MemorySink, TracingSink};
