use guard_runtime::secure_tool;

/// Every value has the wrong type; all errors are reported at once.
#[secure_tool(risk = 3, rate = "30", name = tool, confirm = true, description, rate_limit::x = 1)]
fn tool() -> u32 { 1 }

fn main() {}
