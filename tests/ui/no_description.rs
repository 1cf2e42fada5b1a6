use guard_runtime::secure_tool;

#[secure_tool(risk = "low")]
fn undocumented() -> u32 { 1 }

fn main() {
    // The function is still emitted, so this call does not add an error.
    let _ = undocumented();
}
