use guard_runtime::secure_tool;

/// A struct.
#[secure_tool]
struct NotATool {
    field: u32,
}

fn main() {}
