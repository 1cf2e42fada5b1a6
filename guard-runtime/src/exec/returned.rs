use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// What a tool body produced: content for the model, or why there is none.
pub type ToolResult = Result<String, ToolFailure>;

/// Why a tool produced no content.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolFailure {
    /// The tool returned `Err(e)`; this is `e.to_string()`, which the model sees.
    Error(String),
    /// The tool's value could not be serialized to JSON (internal; not shown).
    Unserializable,
    /// The body did not finish the way a body can: its sandboxed worker hit
    /// a limit, crashed or could not run it.
    Failed(crate::FailReason),
}

/// A small error type for tool authors: its message is what the model sees.
///
/// Converting from [`std::io::Error`] keeps only the error kind, so a path
/// or other detail inside the OS error never reaches the model.
///
/// ```
/// use guard_runtime::ToolError;
///
/// let err = ToolError::new("no such order");
/// assert_eq!(err.to_string(), "no such order");
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "/srv/secret/path missing");
/// assert_eq!(ToolError::from(io).to_string(), "entity not found");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    message: String,
}

impl ToolError {
    /// An error with the given message for the model.
    pub fn new(message: impl Into<String>) -> Self {
        ToolError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ToolError {}

impl From<std::io::Error> for ToolError {
    fn from(err: std::io::Error) -> Self {
        ToolError::new(err.kind().to_string())
    }
}

impl From<String> for ToolError {
    fn from(message: String) -> Self {
        ToolError::new(message)
    }
}

impl From<&str> for ToolError {
    fn from(message: &str) -> Self {
        ToolError::new(message)
    }
}

/// Holds a tool's return value for the two conversions below. Generated code
/// calls `Wrap(value).__guard_output()`: method resolution picks
/// [`ViaResult`] for `Result<T, E>` (by value) before [`ViaPlain`] (by
/// reference) for any other `T: Serialize`.
#[doc(hidden)]
pub struct Wrap<T>(pub T);

#[doc(hidden)]
pub trait ViaResult {
    fn __guard_output(self) -> ToolResult;
}

impl<T: Serialize, E: fmt::Display> ViaResult for Wrap<Result<T, E>> {
    fn __guard_output(self) -> ToolResult {
        match self.0 {
            Ok(value) => content(&value),
            Err(err) => Err(ToolFailure::Error(err.to_string())),
        }
    }
}

#[doc(hidden)]
pub trait ViaPlain {
    fn __guard_output(self) -> ToolResult;
}

impl<T: Serialize> ViaPlain for &Wrap<T> {
    fn __guard_output(self) -> ToolResult {
        content(&self.0)
    }
}

/// A string is sent as it is; anything else as JSON.
fn content<T: Serialize + ?Sized>(value: &T) -> ToolResult {
    match serde_json::to_value(value) {
        Ok(Value::String(text)) => Ok(text),
        Ok(other) => Ok(other.to_string()),
        Err(_) => Err(ToolFailure::Unserializable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_and_plain_values_convert() {
        let ok: Result<String, ToolError> = Ok("hi".into());
        assert_eq!(Wrap(ok).__guard_output(), Ok("hi".to_owned()));
        let err: Result<u32, ToolError> = Err(ToolError::new("nope"));
        assert_eq!(
            Wrap(err).__guard_output(),
            Err(ToolFailure::Error("nope".into()))
        );
        assert_eq!(Wrap(vec![1, 2]).__guard_output(), Ok("[1,2]".to_owned()));
        assert_eq!(Wrap("plain").__guard_output(), Ok("plain".to_owned()));
        let map: std::collections::HashMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        assert_eq!(Wrap(map).__guard_output(), Err(ToolFailure::Unserializable));
    }
}
