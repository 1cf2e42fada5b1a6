use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How much harm a tool can do if the model is manipulated into calling it.
///
/// Ordered: `Low < Medium < High < Critical`.
///
/// ```
/// use guard_runtime::Risk;
///
/// assert!(Risk::High > Risk::Medium);
/// assert_eq!("critical".parse::<Risk>().unwrap(), Risk::Critical);
/// assert_eq!(Risk::Low.as_str(), "low");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Reads public or harmless data.
    Low,
    /// The default: reads private data or has bounded side effects.
    Medium,
    /// Writes, sends or spends.
    High,
    /// Irreversible or wide-reaching effects.
    Critical,
}

impl Risk {
    /// The lowercase name used in attributes, policies and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a [`Risk`] from a string other than the four level names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("risk must be one of low, medium, high, critical")]
pub struct ParseRiskError;

impl FromStr for Risk {
    type Err = ParseRiskError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Risk::Low),
            "medium" => Ok(Risk::Medium),
            "high" => Ok(Risk::High),
            "critical" => Ok(Risk::Critical),
            _ => Err(ParseRiskError),
        }
    }
}
