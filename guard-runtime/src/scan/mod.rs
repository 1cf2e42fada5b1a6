//! Content scanners, usable on their own: credentials ([`SecretScanner`]),
//! personal data ([`PiiScanner`]) and prompt injection
//! ([`InjectionScanner`]), with [`redact`] to replace what they find, and
//! [`ScanSet`] to run several over one text while doing their common work
//! (normalising, the literal pass) once.

mod finding;
mod injection;
mod literals;
mod normalize;
mod pii;
mod redact;
mod secrets;
mod set;
mod shape;

pub use finding::Finding;
pub use injection::{InjectionReport, InjectionScanner};
pub use pii::PiiScanner;
pub use redact::redact;
pub use secrets::SecretScanner;
pub use set::{ScanSet, Scans};
