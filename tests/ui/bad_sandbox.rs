use guard_runtime::secure_tool;

/// Tool.
#[secure_tool(sandbox = "")]
fn empty_name() -> u32 { 1 }

/// Tool.
#[secure_tool(sandbox(memory_mb = 64))]
fn inline_limits() -> u32 { 2 }

/// Tool.
#[secure_tool(sandbox = 64)]
fn not_a_string() -> u32 { 3 }

/// Tool.
#[secure_tool(sandbox, sandbox = "x")]
fn twice() -> u32 { 4 }

fn main() {}
