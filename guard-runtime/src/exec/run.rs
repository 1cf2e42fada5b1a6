use std::panic::{AssertUnwindSafe, catch_unwind};

use futures_util::FutureExt as _;

use super::ToolResult;
use crate::registry::Invocation;

/// The body panicked (or its blocking task was lost); the details stay in the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Panicked;

/// Runs a tool body. Async bodies are polled in place; blocking bodies go to
/// Tokio's blocking pool so they cannot stall the runtime (or run inline when
/// the caller is not inside a Tokio runtime).
pub(crate) async fn run(invocation: Invocation) -> Result<ToolResult, Panicked> {
    match invocation {
        Invocation::Async(body) => AssertUnwindSafe(body)
            .catch_unwind()
            .await
            .map_err(|_| Panicked),
        Invocation::Blocking(body) => match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.spawn_blocking(body).await.map_err(|_| Panicked),
            Err(_) => catch_unwind(AssertUnwindSafe(body)).map_err(|_| Panicked),
        },
    }
}
