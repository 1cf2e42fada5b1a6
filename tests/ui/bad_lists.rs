use guard_runtime::secure_tool;

/// Roles given as a number.
#[secure_tool(roles = 5)]
fn numeric_roles() -> String {
    String::new()
}

/// An empty list and a repeated label.
#[secure_tool(roles = [], source = ["secrets", "secrets"])]
fn empty_and_repeated() -> String {
    String::new()
}

/// A sink without a value and an empty name.
#[secure_tool(sink, source = "")]
fn missing_value() -> String {
    String::new()
}

fn main() {}
