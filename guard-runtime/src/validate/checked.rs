//! Tool parameters that receive a validated value: the link between the
//! validators and the function signature.
//!
//! For a parameter marked `#[arg(path)]` (or `url`, `sql`, `command`,
//! `shell_arg`), `#[secure_tool]` deserializes `T::Raw` (a string) and
//! builds the parameter with [`FromChecked::from_checked`] from what the
//! validator produced. So a [`CheckedPath`], [`CheckedUrl`], [`CheckedSql`]
//! or [`Argv`] parameter can only ever hold a value that passed its
//! validator, and `#[arg(url)] p: CheckedPath` does not compile.

use std::collections::VecDeque;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::de::{DeserializeOwned, Error as _};

use super::{Argv, CheckedPath, CheckedSql, CheckedUrl};

/// Marker types naming each validator, for [`FromChecked`].
pub mod kinds {
    /// `#[arg(path)]`
    #[derive(Debug)]
    pub enum Path {}
    /// `#[arg(url)]`
    #[derive(Debug)]
    pub enum Url {}
    /// `#[arg(sql)]`
    #[derive(Debug)]
    pub enum Sql {}
    /// `#[arg(command)]`
    #[derive(Debug)]
    pub enum Command {}
    /// `#[arg(shell_arg)]`
    #[derive(Debug)]
    pub enum ShellArg {}
}

/// What a validator produced for one string of an argument.
#[derive(Debug, Clone)]
pub enum Artifact {
    /// From the path validator.
    Path(CheckedPath),
    /// From the URL validator.
    Url(CheckedUrl),
    /// From the SQL validator.
    Sql(Box<CheckedSql>),
    /// From the command validator.
    Argv(Argv),
    /// From a validator with nothing to hand over (`shell_arg`).
    Checked,
}

/// The artifacts of one argument, in the order its strings appear.
#[derive(Debug, Default)]
pub struct Artifacts(pub(crate) VecDeque<Artifact>);

impl Artifacts {
    pub(crate) fn push(&mut self, artifact: Artifact) {
        self.0.push_back(artifact);
    }

    fn next(&mut self) -> Result<Artifact, serde_json::Error> {
        self.0
            .pop_front()
            .ok_or_else(|| serde_json::Error::custom("argument was not validated"))
    }
}

/// The artifacts of every validated argument of one call, by property name.
#[derive(Debug, Default)]
pub struct CheckedArgs(pub(crate) Vec<(&'static str, Artifacts)>);

impl CheckedArgs {
    pub(crate) fn insert(&mut self, name: &'static str, artifacts: Artifacts) {
        self.0.push((name, artifacts));
    }

    /// Takes the artifacts of one argument (empty if it had none).
    #[doc(hidden)]
    pub fn take(&mut self, name: &str) -> Artifacts {
        self.0
            .iter_mut()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| std::mem::take(a))
            .unwrap_or_default()
    }
}

/// A parameter type that can receive what validator `K` checked.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive a value checked by this `#[arg(...)]` validator",
    note = "use String, or the validator's own type: CheckedPath or PathBuf for path, CheckedUrl for url, CheckedSql for sql, Argv for command (or Option/Vec of these)"
)]
pub trait FromChecked<K>: Sized {
    /// What the model sends (and the schema describes).
    type Raw: DeserializeOwned + JsonSchema;

    /// Builds the parameter from the raw value and its artifacts.
    ///
    /// # Errors
    /// When the artifacts do not match (the value was not validated).
    fn from_checked(raw: Self::Raw, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error>;
}

macro_rules! plain_string {
    ($($kind:ident),*) => {$(
        impl FromChecked<kinds::$kind> for String {
            type Raw = String;
            fn from_checked(raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
                artifacts.next()?;
                Ok(raw)
            }
        }
    )*};
}
plain_string!(Sql, ShellArg);

/// The path as checked: resolved under the root (symlinks followed the way
/// the kernel follows them) when one is configured, else the normalised
/// relative path. The raw text never reaches the tool.
impl FromChecked<kinds::Path> for String {
    type Raw = String;
    fn from_checked(raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        <PathBuf as FromChecked<kinds::Path>>::from_checked(raw, artifacts)?
            .into_os_string()
            .into_string()
            .map_err(|_| serde_json::Error::custom("the resolved path is not UTF-8"))
    }
}

/// The URL as parsed (its WHATWG serialisation), so every later reader sees
/// the host the validator saw.
impl FromChecked<kinds::Url> for String {
    type Raw = String;
    fn from_checked(raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        let checked = <CheckedUrl as FromChecked<kinds::Url>>::from_checked(raw, artifacts)?;
        Ok(checked.url().as_str().to_owned())
    }
}

/// The checked words, quoted so that a shell reads exactly them
/// ([`Argv::to_shell_line`]).
impl FromChecked<kinds::Command> for String {
    type Raw = String;
    fn from_checked(raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        let argv = <Argv as FromChecked<kinds::Command>>::from_checked(raw, artifacts)?;
        Ok(argv.to_shell_line())
    }
}

fn mismatch() -> serde_json::Error {
    serde_json::Error::custom("argument was checked by another validator")
}

impl FromChecked<kinds::Path> for CheckedPath {
    type Raw = String;
    fn from_checked(_raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        match artifacts.next()? {
            Artifact::Path(path) => Ok(path),
            _ => Err(mismatch()),
        }
    }
}

/// The resolved path under the root when one is configured, else the
/// normalised relative path.
impl FromChecked<kinds::Path> for PathBuf {
    type Raw = String;
    fn from_checked(raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        let checked = <CheckedPath as FromChecked<kinds::Path>>::from_checked(raw, artifacts)?;
        Ok(checked
            .resolved()
            .map_or_else(|| checked.relative().to_path_buf(), |p| p.to_path_buf()))
    }
}

impl FromChecked<kinds::Url> for CheckedUrl {
    type Raw = String;
    fn from_checked(_raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        match artifacts.next()? {
            Artifact::Url(url) => Ok(url),
            _ => Err(mismatch()),
        }
    }
}

impl FromChecked<kinds::Sql> for CheckedSql {
    type Raw = String;
    fn from_checked(_raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        match artifacts.next()? {
            Artifact::Sql(sql) => Ok(*sql),
            _ => Err(mismatch()),
        }
    }
}

impl FromChecked<kinds::Command> for Argv {
    type Raw = String;
    fn from_checked(_raw: String, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        match artifacts.next()? {
            Artifact::Argv(argv) => Ok(argv),
            _ => Err(mismatch()),
        }
    }
}

impl<K, T: FromChecked<K>> FromChecked<K> for Option<T> {
    type Raw = Option<T::Raw>;
    fn from_checked(raw: Self::Raw, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        raw.map(|raw| T::from_checked(raw, artifacts)).transpose()
    }
}

impl<K, T: FromChecked<K>> FromChecked<K> for Vec<T> {
    type Raw = Vec<T::Raw>;
    fn from_checked(raw: Self::Raw, artifacts: &mut Artifacts) -> Result<Self, serde_json::Error> {
        raw.into_iter()
            .map(|raw| T::from_checked(raw, artifacts))
            .collect()
    }
}
