use guard_runtime::secure_tool;

/// Tool.
#[secure_tool(rate = 1, confirm, rate = 2, confirm)]
fn tool() -> u32 { 1 }

fn main() {}
