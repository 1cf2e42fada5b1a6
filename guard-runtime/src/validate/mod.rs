//! Argument validation: the tool's JSON Schema, compiled once and checked on every call.

mod schema;
mod shape;

pub(crate) use schema::{check, compile};
pub(crate) use shape::serde_enforces;
