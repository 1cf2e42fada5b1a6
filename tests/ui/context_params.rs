use guard_runtime::{CallContext, secure_tool};

/// Two contexts.
#[secure_tool]
fn two(#[context] _a: &CallContext, #[context] _b: CallContext) -> u32 { 1 }

/// Wrong type.
#[secure_tool]
fn tuple(#[context] _ctx: (u8, u8)) -> u32 { 1 }

/// Documented context.
#[secure_tool]
fn documented(
    /// The caller.
    #[context]
    _ctx: &CallContext,
) -> u32 { 1 }

fn main() {}
