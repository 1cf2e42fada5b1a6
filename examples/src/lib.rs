//! Shared pieces of the guard examples. Run them from the workspace root:
//! `cargo run --example quickstart`.

#[cfg(feature = "openai")]
pub mod scripted_openai;
