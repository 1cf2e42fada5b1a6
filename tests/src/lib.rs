//! Integration, UI and corpus tests of guard live in `tests/`; this library is empty.
