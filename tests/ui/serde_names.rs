use guard_runtime::secure_tool;

/// Validated arguments cannot take a second wire name or another shape.
#[secure_tool]
fn read(
    #[serde(alias = "file")] path: String,
    #[arg(url)]
    #[serde(deserialize_with = "custom")]
    target: String,
    #[serde(alias = "note")] text: String,
) -> String {
    format!("{path}{target}{text}")
}

fn main() {}
