//! Shared helpers of the integration tests in `tests/`.

use serde::Deserialize;

/// One labelled line of a corpus fixture (tests/fixtures/corpus).
#[derive(Debug, Deserialize)]
pub struct Row {
    /// The value or text.
    pub value: String,
    /// `attack` or `benign`.
    pub label: String,
    /// Which construct made the line an attack, or what kind of look-alike it is.
    pub note: String,
}

/// Loads a corpus fixture, skipping its `#` header lines.
///
/// # Panics
/// When the fixture is missing or a line is not a row: a broken fixture fails the test.
pub fn load_fixture(name: &str) -> Vec<Row> {
    let path = format!("{}/fixtures/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}
