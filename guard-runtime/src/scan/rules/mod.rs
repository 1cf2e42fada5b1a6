//! The scanners' data tables, apart from their engines: injection phrases
//! and structures (`injection.rs`), the credential catalogue
//! (`secrets.rs`), and the one literal pass built from both.

pub(crate) mod injection;
pub(crate) mod secrets;

use std::sync::LazyLock;

use super::literals::Literals;

/// The literals of all the scanners, built on first use.
pub(crate) static LITERALS: LazyLock<Literals> = LazyLock::new(|| {
    Literals::new(
        injection::gate_literals()
            .chain(secrets::gate_literals())
            .collect(),
    )
});
