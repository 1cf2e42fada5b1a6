//! Content scanners, usable on their own: credentials ([`SecretScanner`]),
//! personal data ([`PiiScanner`]) and prompt injection
//! ([`InjectionScanner`]), with [`redact`] to replace what they find.

mod finding;
mod injection;
mod normalize;
mod pii;
mod redact;
mod secrets;

pub use finding::Finding;
pub use injection::{InjectionReport, InjectionScanner};
pub use pii::PiiScanner;
pub use redact::redact;
pub use secrets::SecretScanner;
