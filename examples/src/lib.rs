//! Shared pieces of the guard examples. Run them from the workspace root:
//! `cargo run --example quickstart`.

pub mod scripted_openai;
