use guard_runtime::secure_tool;

/// Tool.
#[secure_tool(risk = "extreme", rate = 0)]
fn one() -> u32 { 1 }

/// Tool.
#[secure_tool(rate = 99999999999, name = "has space")]
fn two() -> u32 { 2 }

/// Tool.
#[secure_tool(rate = 5u32, description = "  ")]
fn three() -> u32 { 3 }

fn main() {}
