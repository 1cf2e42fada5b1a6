//! Audit: one structured event per call, to every configured sink.

mod event;
mod sinks;

pub use event::{ArgumentsDigest, AuditEvent};
pub use sinks::{AuditSink, MemorySink, TracingSink};
