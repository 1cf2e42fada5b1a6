use guard_runtime::secure_tool;

/// Tool.
#[secure_tool]
fn two_resources(
    #[arg(resource = "Order")] _a: String,
    #[arg(resource = "Order")] _b: String,
) -> u32 { 1 }

/// Tool.
#[secure_tool]
fn bad_types(
    #[arg(resource = "not a type")] _a: String,
    #[arg(resource = "Caller")] _b: String,
    #[arg(resource = 5)] _c: String,
    #[arg(resource)] _d: String,
) -> u32 { 2 }

fn main() {}
