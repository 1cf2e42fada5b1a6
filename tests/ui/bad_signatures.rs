use guard_runtime::secure_tool;

/// Generic.
#[secure_tool]
fn generic<T: Into<String>>(value: T) -> String { value.into() }

/// Borrowed.
#[secure_tool]
fn borrowed(path: &str) -> String { path.to_owned() }

/// Pattern.
#[secure_tool]
fn pattern((a, b): (u32, u32)) -> u32 { a + b }

/// Impl trait.
#[secure_tool]
fn opaque(items: impl Iterator<Item = u8>) -> impl std::fmt::Debug { items.count() }

/// Unsafe.
#[secure_tool]
unsafe fn dangerous() -> u32 { 1 }

/// Const.
#[secure_tool]
const fn constant() -> u32 { 1 }

fn main() {}
