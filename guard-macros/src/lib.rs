//! The `#[secure_tool]` attribute of guard.
//!
//! Do not depend on this crate directly: use `guard_runtime::secure_tool`,
//! which re-exports it together with everything the generated code needs.
//! The attribute reference lives in guard-runtime's documentation.

mod arg;
mod ast;
mod attr;
mod expand;
mod valid;

use proc_macro::TokenStream;

/// Turns a free function into a guarded tool. See `guard_runtime::secure_tool`.
#[proc_macro_attribute]
pub fn secure_tool(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::secure_tool(args.into(), item.into()).into()
}
