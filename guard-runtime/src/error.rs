//! Errors of building a guard.

/// Why [`GuardBuilder::build`](crate::GuardBuilder::build) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two registered tools share a name.
    #[error("duplicate tool name `{name}`: registered by `{first}` and by `{second}`")]
    DuplicateTool {
        /// The shared name.
        name: String,
        /// One defining function's path.
        first: String,
        /// The other defining function's path.
        second: String,
    },
    /// `only` or `validators_for` names a tool that is not registered (or was dropped by the linker).
    #[error(
        "no tool named `{name}` is registered; if it is defined in another crate, \
         make sure that crate is linked (see the guard-runtime docs on linking)"
    )]
    UnknownTool {
        /// The missing name.
        name: String,
    },
    /// A tool's argument schema does not compile (found by `eager_schemas`).
    #[error("the argument schema of tool `{tool}` does not compile: {message}")]
    InvalidSchema {
        /// The tool.
        tool: String,
        /// The compiler's message.
        message: String,
    },
    /// A tool's argument validators cannot be built from its attribute and
    /// the configuration (an unknown SQL dialect, an invalid glob; found by
    /// `eager_schemas`).
    #[error("the argument validators of tool `{tool}` cannot be built: {message}")]
    InvalidValidator {
        /// The tool.
        tool: String,
        /// Why.
        message: String,
    },
    /// The policy does not fit this guard (a tool section names a tool it does not have).
    #[error("invalid policy: {0}")]
    InvalidPolicy(#[from] crate::policy::PolicyError),
}
