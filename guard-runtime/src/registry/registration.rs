//! What `#[secure_tool]` submits at link time. Not a public API: generated
//! code builds these through `guard_runtime::__private`.

use std::future::Future;
use std::pin::Pin;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::context::CallContext;
use crate::exec::ToolResult;
use crate::policy::Risk;
use crate::validate::{ArgSpec, CheckedArgs};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Deserializes the arguments and binds them, with the context and what the
/// validators checked, to the tool body.
pub type PrepareFn =
    fn(&Value, CallContext, &mut CheckedArgs) -> Result<Invocation, serde_json::Error>;

/// The same, straight from the arguments text (tools without argument validators).
pub type PrepareStrFn = fn(&str, CallContext) -> Result<Invocation, serde_json::Error>;

/// One tool, as registered by `#[secure_tool]`.
#[doc(hidden)]
#[derive(Debug)]
pub struct ToolRegistration {
    pub name: &'static str,
    pub description: &'static str,
    /// `module::path::function`, for error messages naming duplicates.
    pub rust_path: &'static str,
    pub risk: Risk,
    pub confirm: bool,
    pub rate_per_minute: Option<u32>,
    /// `timeout = "..."`, else the guard's default.
    pub timeout: Option<std::time::Duration>,
    /// `roles = [..]`: the caller needs one of these.
    pub roles: &'static [&'static str],
    /// `source = ..`: data-flow labels of what the tool reads.
    pub sources: &'static [&'static str],
    /// `sink = ..`: data-flow labels of where the tool sends data.
    pub sinks: &'static [&'static str],
    /// `sandbox = ..`: the sandbox profile the body runs under.
    pub sandbox: Option<&'static str>,
    /// `#[arg(resource = "Type")]`: the argument naming the Cedar resource,
    /// and its entity type.
    pub resource: Option<(&'static str, &'static str)>,
    /// The security validators of its arguments.
    pub args: &'static [ArgSpec],
    /// Arguments marked `#[arg(secret)]`: audited as a digest only.
    pub secret_args: &'static [&'static str],
    /// The validation schema of the generated arguments struct.
    pub schema: fn() -> Value,
    pub prepare: PrepareFn,
    /// Used when serde alone enforces the whole validation schema.
    pub prepare_str: PrepareStrFn,
}

inventory::collect!(ToolRegistration);

/// A tool body bound to its arguments, ready to run.
pub enum Invocation {
    /// An `async fn` body.
    Async(BoxFuture<'static, ToolResult>),
    /// A plain `fn` body, run on Tokio's blocking pool.
    Blocking(Box<dyn FnOnce() -> ToolResult + Send>),
}

impl Invocation {
    #[doc(hidden)]
    pub fn asynchronous(body: impl Future<Output = ToolResult> + Send + 'static) -> Self {
        Invocation::Async(Box::pin(body))
    }

    #[doc(hidden)]
    pub fn blocking(body: impl FnOnce() -> ToolResult + Send + 'static) -> Self {
        Invocation::Blocking(Box::new(body))
    }
}

/// The validation schema for an arguments struct: JSON Schema 2020-12 with
/// every constraint schemars knows (lengths, patterns, ranges, formats).
#[doc(hidden)]
pub fn args_schema<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}
