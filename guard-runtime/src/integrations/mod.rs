//! Integrations: the same tools and replies in the shapes other APIs use.
//! Anthropic Messages always (plain JSON); async-openai's own types behind
//! the `openai` feature.

mod anthropic;
#[cfg(feature = "mcp")]
pub mod mcp;
#[cfg(feature = "openai")]
pub mod openai;
#[cfg(feature = "openai-client")]
pub mod shield;
#[cfg(feature = "openai-client")]
pub mod stream;
