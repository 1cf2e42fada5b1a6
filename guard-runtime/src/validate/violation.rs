use std::fmt;

/// A security validator's refusal: a stable reason code such as
/// `path.traversal` and a short detail that never echoes the whole input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `<validator>.<rule>`, stable across releases.
    pub code: &'static str,
    /// What was wrong, in words safe to show the model.
    pub detail: String,
}

impl Violation {
    pub(crate) fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Violation {
            code,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl std::error::Error for Violation {}
