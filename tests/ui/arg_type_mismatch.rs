use guard_runtime::secure_tool;
use guard_runtime::validate::CheckedPath;

/// A URL validator cannot fill a CheckedPath, nor a number.
#[secure_tool]
fn tool(#[arg(url)] target: CheckedPath, #[arg(path)] count: u32) -> u32 {
    let _ = target;
    count
}

fn main() {}
