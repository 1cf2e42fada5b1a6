//! What an approval is bound to: the SHA-256 of the tool name and the
//! arguments in canonical JSON (object keys sorted, no whitespace), so an
//! approval given for one set of arguments cannot be used for another.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// SHA-256 of a tool name and its canonical arguments.
///
/// ```
/// use guard_runtime::ApprovalDigest;
/// use serde_json::json;
///
/// let a = ApprovalDigest::of("send", &json!({"to": "ada", "cc": ["bob"]}));
/// let b = ApprovalDigest::of("send", &json!({"cc": ["bob"], "to": "ada"}));
/// assert_eq!(a, b, "key order does not matter");
/// assert_ne!(a, ApprovalDigest::of("send", &json!({"to": "eve", "cc": ["bob"]})));
/// assert_eq!(a.to_string().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApprovalDigest([u8; 32]);

impl ApprovalDigest {
    /// The digest of `tool` called with `arguments`.
    pub fn of(tool: &str, arguments: &Value) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(tool.as_bytes());
        hasher.update([0]);
        let mut canonical = String::new();
        write_canonical(arguments, &mut canonical);
        hasher.update(canonical.as_bytes());
        ApprovalDigest(hasher.finalize().into())
    }
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

impl fmt::Display for ApprovalDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ApprovalDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApprovalDigest({self})")
    }
}

impl Serialize for ApprovalDigest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ApprovalDigest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(serde::de::Error::custom("a digest is 64 hex digits"));
        }
        let mut digest = [0u8; 32];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let hex = std::str::from_utf8(pair).map_err(serde::de::Error::custom)?;
            digest[i] = u8::from_str_radix(hex, 16)
                .map_err(|_| serde::de::Error::custom("a digest is 64 hex digits"))?;
        }
        Ok(ApprovalDigest(digest))
    }
}
