//! Argument validation: the tool's JSON Schema, compiled once and checked on
//! every call, and the security validators that understand where a string is
//! going — a file system ([`PathPolicy`]), a network client ([`UrlPolicy`]),
//! a database ([`SqlPolicy`]) or a process ([`CommandPolicy`],
//! [`check_shell_arg`]) — plus hygiene for every string ([`TextPolicy`]).
//!
//! Each validator returns the checked value in a form that is hard to
//! misuse (a path resolved inside the root, a URL with its vetted
//! addresses, argv for `std::process::Command`) or a [`Violation`] with a
//! stable reason code.

mod args;
mod checked;
mod command;
mod path;
mod schema;
mod shape;
mod sql;
mod text;
mod url;
mod violation;

pub use args::ValidatorConfig;
#[doc(hidden)]
pub use args::{ArgSpec, ValidatorSpec};
pub(crate) use args::{
    CommandRules, Narrowing, PathRules, SqlRules, ToolValidators, UrlRules, no_dialect,
};
pub use checked::{Artifact, Artifacts, CheckedArgs, FromChecked, kinds};
pub use command::{Argv, CommandPolicy, check_shell_arg};
pub use path::{CheckedPath, PathPolicy};
pub(crate) use schema::{check, compile};
pub(crate) use shape::serde_enforces;
pub use sql::{CheckedSql, DEFAULT_MAX_GENERATED, MAX_SQL_BYTES, SqlDialect, SqlPolicy, WriteKind};
#[doc(hidden)]
pub use sql::{sql_dialect, sql_validator};
pub use text::TextPolicy;
pub use url::{CheckedUrl, Resolver, SystemResolver, UrlPolicy};
pub use violation::Violation;
