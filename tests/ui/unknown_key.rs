use guard_runtime::secure_tool;

/// Tool.
#[secure_tool(risky = "high")]
fn tool() -> u32 { 1 }

fn main() {}
