//! guard: the security layer between an LLM's tool calls and the real world.
//!
//! [`secure_tool`] turns a plain function into a tool with a strict OpenAI
//! schema, registered at link time. A [`Guard`] exports the tools
//! ([`Guard::openai_tools`], [`Guard::responses_tools`], [`Guard::functions`])
//! and answers the model's calls with [`Guard::dispatch`]: every call is
//! checked (known tool, size, JSON, schema, security validators for paths,
//! URLs, SQL and commands, what a sink call would send out ([`outbound`]),
//! rate limit, confirmation), run under a timeout, its output scanned
//! (secrets redacted, injection framed), audited, and answered with exactly
//! one [`ToolReply`]. The validators ([`validate`]) and scanners ([`scan`])
//! are usable on their own.
//!
//! ```standalone_crate
//! use guard_runtime::{CallContext, Guard, Outcome, ToolCall, secure_tool};
//!
//! /// Add two numbers.
//! #[secure_tool(risk = "low")]
//! fn add(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let guard = Guard::builder().build().unwrap();
//! let ctx = CallContext::new("agent-1");
//! let calls = [ToolCall::new("c1", "add", r#"{"a":2,"b":3}"#), ToolCall::new("c2", "add", "{")];
//! let replies = guard.dispatch(&ctx, &calls).await;
//! assert_eq!(replies[0].content, "5");
//! assert_eq!(replies[1].outcome.kind(), "malformed_arguments");
//! # }
//! ```
//!
//! The project README covers the pipeline, the schemas and the measured
//! overhead; [`secure_tool`] documents the attribute.

#![warn(missing_docs)]

// Lets `#[secure_tool]` name this crate `::guard_runtime` from inside it too.
extern crate self as guard_runtime;

pub mod alerts;
pub mod audit;
mod call;
#[cfg(feature = "cli")]
pub mod cli;
pub mod confirm;
mod context;
mod dispatch;
mod duration;
mod error;
pub mod exec;
mod guard;
#[cfg(feature = "http")]
pub mod http;
pub mod integrations;
pub mod limits;
mod net;
pub mod outbound;
mod outcome;
pub mod output;
pub mod policy;
pub mod registry;
pub mod sandbox;
pub mod scan;
pub mod state;
pub mod validate;

#[cfg(test)]
mod layout_tests;

pub use audit::{ArgumentsDigest, AuditEvent, AuditSink, MemorySink, TracingSink};
pub use call::{ToolCall, ToolReply};
pub use confirm::{
    ApprovalDigest, ApprovalRequest, ChannelConfirmer, ConfirmRequest, Confirmer, Decision,
    DenyAll, FnConfirmer, PendingConfirmation, TerminalConfirmer,
};
pub use context::CallContext;
pub use error::BuildError;
pub use exec::ToolError;
pub use guard::{
    DEFAULT_CONFIRM_TIMEOUT, DEFAULT_MAX_ARGUMENT_BYTES, DEFAULT_MAX_CALLS_PER_BATCH,
    DEFAULT_TIMEOUT, Guard, GuardBuilder,
};
pub use limits::{Clock, FakeClock, RateScope};
pub use outcome::{DenyReason, FailReason, Outcome};
pub use policy::Risk;
pub use registry::ToolInfo;

/// Turns a free function into a guarded tool.
///
/// ```standalone_crate
/// use guard_runtime::{CallContext, ToolError, secure_tool};
///
/// /// Read a file from the project workspace.      <- the tool's description
/// #[secure_tool(risk = "medium", confirm, rate = 30)]
/// async fn read_file(
///     /// Path relative to the workspace root.     <- the property's description
///     #[schemars(length(max = 200))]
///     path: String,
///     max_bytes: Option<u32>,
///     #[context] ctx: &CallContext,                // not in the schema
/// ) -> Result<String, ToolError> {
///     Ok(format!("{} read {path}", ctx.agent_id()))
/// }
/// # fn main() {}
/// ```
///
/// # Keys
///
/// | key | value | default |
/// |---|---|---|
/// | `risk` | `"low"`, `"medium"`, `"high"` or `"critical"` | `"medium"` |
/// | `confirm` | no value: calls need a [`Confirmer`]'s approval (denied without one) | off |
/// | `rate` | calls per minute, 1 to 4294967295 (bursts of the same size) | no limit |
/// | `name` | the name the model calls, `^[a-zA-Z0-9_-]{1,64}$` | the function's name |
/// | `description` | text for the model | the doc comment |
/// | `timeout` | `"500ms"`, `"5s"`, `"2m"`, `"1h"` (the policy file's grammar, read by the compiler: a bad value fails the build at the attribute): a late tool fails with `TimedOut` | the guard's default (30 s) |
/// | `roles` | `"admin"` or `["admin", "analyst"]`: the caller needs one of them | anyone |
/// | `source` | data-flow labels of what the tool reads, e.g. `"secrets"` | none |
/// | `sink` | data-flow labels of where it sends data, e.g. `["external", "email"]` | none |
/// | `sandbox` | no value (profile `"default"`) or `sandbox = "profile"`: the body runs in a locked-down worker process ([`sandbox`]; needs the `sandbox` feature) | in process |
///
/// A tool needs a doc comment or a `description`. Unknown keys, repeated
/// keys and values of the wrong type are compile errors, all reported at once.
///
/// The function must be a free function (in a module, not an `impl`
/// block): a tool is registered when the program is linked, and an
/// associated function has no path the registration could name. A
/// `self` parameter or `Self` in the signature is reported as such; an
/// associated function without either is reported by the compiler as its
/// own name not found. Write the tool as a free function that calls the
/// method.
///
/// # Parameters
///
/// - Each parameter becomes a property of the arguments object. Its type must
///   be `Deserialize + JsonSchema` and owned (`String`, numbers, `bool`,
///   `Vec<T>`, `Option<T>`, your own structs and enums...). `Option<T>`
///   parameters may be absent or `null`.
/// - `///` comments, `#[serde(...)]` and `#[schemars(...)]` on a parameter
///   apply to its property, e.g. `#[schemars(length(max = 200), regex(pattern = r"^[\w./-]+$"))]`
///   or `#[serde(default)]`.
/// - One parameter may receive the caller's [`CallContext`], by value or by
///   reference: mark it `#[context]`, or write its type as
///   `guard_runtime::CallContext` / `&guard_runtime::CallContext` in full.
///   A bare `CallContext` without the marker is taken for an argument.
/// - The arguments object is closed: unknown properties are refused.
///
/// # Security validators: `#[arg(...)]`
///
/// | on a parameter | checks | the parameter may be |
/// |---|---|---|
/// | `#[arg(path)]`, `#[arg(path(exists, ext = ["md"], deny = [".env"]))]` | stays inside the root | [`validate::CheckedPath`], `PathBuf`, `String` |
/// | `#[arg(url)]`, `#[arg(url(schemes = [..], hosts = [..], ports = [..], resolve))]` | public host, allowed scheme (SSRF) | [`validate::CheckedUrl`], `String` |
/// | `#[arg(sql)]`, `#[arg(sql(tables = [..], write = [..], dialect = ".."))]` | one read-only query (feature `sql`: without it, the build fails at the parameter) | [`validate::CheckedSql`], `String` |
/// | `#[arg(command)]`, `#[arg(command(programs = [..]))]` | no shell syntax | [`validate::Argv`], `String` |
/// | `#[arg(shell_arg)]` | no metacharacters, no leading `-` | `String` |
/// | `#[arg(none)]` | opts out of the validator the name implies | any |
/// | `#[arg(secret)]` | nothing; audit events carry only its SHA-256 | any |
///
/// (and `Option`/`Vec` of the types listed). Without `#[arg]`, parameters
/// named `path`, `file_path`, `filename`, `dir`, `url`, `uri`, `endpoint`,
/// `webhook_url`, `sql`, `sql_query`, `command` or `cmd` get the matching
/// validator. Every string argument also gets string hygiene. A refusal is
/// [`Outcome::UnsafeArgument`] with a reason code such as `path.traversal`.
///
/// ```standalone_crate
/// use guard_runtime::validate::{Argv, CheckedPath};
/// use guard_runtime::{ToolError, secure_tool};
///
/// /// Count the lines of a workspace file with `wc`.
/// #[secure_tool(risk = "low")]
/// fn count_lines(
///     #[arg(path(ext = ["rs", "md"]))] file: CheckedPath,
///     #[arg(command(programs = ["wc"]))] cmd: Argv,
/// ) -> Result<String, ToolError> {
///     let output = cmd.command().arg(file.relative()).output()?;
///     Ok(String::from_utf8_lossy(&output.stdout).into_owned())
/// }
/// # fn main() {}
/// ```
///
/// For your own argument types derive `serde::Deserialize` and
/// `schemars::JsonSchema` (schemars 1.x), from your own dependencies or from
/// the re-exports [`serde`] and [`schemars`] here.
///
/// # Return type
///
/// `Result<T, E>` with `T: Serialize` and `E: Display`, or a plain
/// `T: Serialize`. A string is sent to the model as it is, any other value as
/// JSON. `Err(e)` is sent as `{"error":{"kind":"tool_error","message":"<e>"}}`:
/// the tool's own message, and nothing else. [`ToolError`] is a small error
/// type for this.
///
/// # What is generated
///
/// The function is kept as written (minus the attributes guard consumes), so
/// it stays callable from Rust. Beside it, in an anonymous `const` block: an
/// arguments struct deriving `Deserialize` and `JsonSchema`, and an
/// `inventory` registration that [`Guard::builder`] collects. Generated code
/// reaches serde, schemars and inventory only through this crate, which may
/// be renamed in `Cargo.toml`.
///
/// # Sync and async
///
/// `async fn` tools are polled on the dispatching task; plain `fn` tools run
/// on Tokio's blocking pool (inline when dispatch is not inside a Tokio runtime).
pub use guard_macros::secure_tool;

/// serde, as generated code and argument types use it.
pub use serde;

/// schemars (1.x), for deriving `JsonSchema` on argument types.
pub use schemars;

/// The README's examples are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// What generated code uses. Not a public API: no stability promises.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
    pub use schemars;
    pub use serde;
    pub use serde_json;

    pub use crate::context::CallContext;
    pub use crate::duration::attribute_timeout;
    pub use crate::exec::{ToolResult, ViaPlain, ViaResult, Wrap};
    pub use crate::policy::Risk;
    pub use crate::registry::{Invocation, ToolRegistration, args_schema};
    pub use crate::validate::{ArgSpec, CheckedArgs, FromChecked, ValidatorSpec, kinds};
    pub use crate::validate::{sql_dialect, sql_validator};
}
