//! Argument validation: the tool's JSON Schema, compiled once and checked on every call.

mod schema;

pub(crate) use schema::{check, compile};
