use guard_runtime::secure_tool;

struct Service;

impl Service {
    /// An associated function: the compiler reports its name as not found,
    /// once, on the name.
    #[secure_tool]
    fn lookup(id: String) -> String { id }

    /// One that names `Self`: guard says why.
    #[secure_tool]
    fn make(_id: String) -> Option<Self> { None }
}

fn main() {}
