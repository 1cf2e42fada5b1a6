//! Execution: turning a tool's return value into content for the model, and
//! running bodies so that a panic becomes a `Failed` reply, never a crash.

mod output;
mod run;

pub use output::{ToolError, ToolFailure, ToolResult, ViaPlain, ViaResult, Wrap};
pub(crate) use run::run;
