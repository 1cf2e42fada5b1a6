use guard_runtime::secure_tool;

/// Tool.
#[secure_tool(timeout = "5")]
fn no_unit() -> u32 { 1 }

/// Tool.
#[secure_tool(timeout = "0s")]
fn zero() -> u32 { 2 }

/// Tool.
#[secure_tool(timeout = 5)]
fn not_a_string() -> u32 { 3 }

fn main() {}
