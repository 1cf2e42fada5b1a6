use guard_runtime::secure_tool;

struct Service;

impl Service {
    /// Method.
    #[secure_tool]
    fn method(&self) -> u32 { 1 }
}

fn main() {}
