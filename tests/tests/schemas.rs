//! What the model is sent: the strict wire schema of many parameter shapes,
//! the three export formats, and a cross-check with OpenAI's Agents SDK.

use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Stdio};

use guard_runtime::{Guard, ToolError, secure_tool};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// A postal address.
#[derive(Deserialize, JsonSchema)]
pub struct Address {
    /// Street and number.
    pub street: String,
    pub city: String,
    /// Postcode, if the country has them.
    pub postcode: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    Urgent,
}

#[derive(Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Shape {
    Circle { radius: f64 },
    Rect { width: f64, height: f64 },
}

#[derive(Deserialize, JsonSchema)]
pub struct Tree {
    pub label: String,
    pub children: Vec<Tree>,
}

/// Ship a parcel.
#[secure_tool(risk = "high", name = "ship-parcel")]
#[allow(clippy::too_many_arguments)]
fn ship(
    /// Where to.
    to: Address,
    priority: Priority,
    /// Contents, one line each.
    #[schemars(length(min = 1, max = 10))]
    items: Vec<String>,
    #[schemars(range(min = 1, max = 30))] weight_kg: u8,
    insured: bool,
    note: Option<String>,
    shape: Option<Shape>,
    #[schemars(email)] notify: Option<String>,
) -> Result<String, ToolError> {
    let _ = (to, priority, items, weight_kg, insured, note, shape, notify);
    Ok("shipped".into())
}

/// Ping.
#[secure_tool(risk = "low")]
async fn ping() -> &'static str {
    "pong"
}

/// Draw a tree.
#[secure_tool(description = "Render an outline tree.")]
fn outline(tree: Tree, #[schemars(length(max = 3))] tags: Vec<String>) -> usize {
    tree.children.len() + tags.len()
}

/// Label things.
#[secure_tool]
fn label(labels: HashMap<String, String>) -> usize {
    labels.len()
}

/// Store anything.
#[secure_tool]
fn store(value: Value, meta: BTreeMap<String, u32>) -> usize {
    value.to_string().len() + meta.len()
}

fn guard() -> Guard {
    Guard::builder().eager_schemas().build().unwrap()
}

#[test]
fn a_rich_signature_exports_a_strict_schema() {
    let guard = guard();
    let tool = guard.tool("ship-parcel").unwrap();
    assert!(tool.is_strict(), "{:?}", tool.non_strict_reason());
    assert_eq!(tool.description(), "Ship a parcel.");
    assert_eq!(
        tool.wire_schema(),
        &json!({
            "type": "object",
            "properties": {
                "to": {
                    "type": "object",
                    "description": "Where to.",
                    "properties": {
                        "street": {"type": "string", "description": "Street and number."},
                        "city": {"type": "string"},
                        "postcode": {"type": ["string", "null"], "description": "Postcode, if the country has them."}
                    },
                    "required": ["street", "city", "postcode"],
                    "additionalProperties": false
                },
                "priority": {"type": "string", "enum": ["low", "normal", "urgent"]},
                "items": {"type": "array", "description": "Contents, one line each.",
                          "items": {"type": "string"}, "minItems": 1, "maxItems": 10},
                "weight_kg": {"type": "integer", "minimum": 1, "maximum": 30},
                "insured": {"type": "boolean"},
                "note": {"type": ["string", "null"]},
                "shape": {"anyOf": [
                    {"type": "object", "properties": {
                        "type": {"type": "string", "const": "circle"},
                        "radius": {"type": "number"}},
                     "required": ["type", "radius"], "additionalProperties": false},
                    {"type": "object", "properties": {
                        "type": {"type": "string", "const": "rect"},
                        "width": {"type": "number"}, "height": {"type": "number"}},
                     "required": ["type", "width", "height"], "additionalProperties": false},
                    {"type": "null"}
                ]},
                "notify": {"type": ["string", "null"], "format": "email"}
            },
            "required": ["to", "priority", "items", "weight_kg", "insured", "note", "shape", "notify"],
            "additionalProperties": false
        })
    );
}

#[test]
fn the_validation_schema_keeps_every_constraint() {
    let guard = guard();
    let schema = guard.tool("outline").unwrap().validation_schema();
    assert_eq!(schema["properties"]["tags"]["maxItems"], 3);
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], json!(["tree", "tags"]));
    assert!(schema["$defs"]["Tree"].is_object());
}

#[test]
fn keywords_strict_mode_lacks_move_into_the_description() {
    let guard = guard();
    let tool = guard.tool("outline").unwrap();
    assert!(tool.is_strict());
    assert_eq!(tool.description(), "Render an outline tree.");
    // `length` on a Vec is minItems/maxItems, which strict mode has: kept.
    assert_eq!(tool.wire_schema()["properties"]["tags"]["maxItems"], 3);
    // Recursive types keep $defs.
    assert_eq!(
        tool.wire_schema()["properties"]["tree"],
        json!({"$ref": "#/$defs/Tree"})
    );
    assert_eq!(
        tool.wire_schema()["$defs"]["Tree"]["required"],
        json!(["label", "children"])
    );
}

#[test]
fn maps_and_free_values_are_exported_non_strict_with_a_reason() {
    let guard = guard();
    let label = guard.tool("label").unwrap();
    assert!(!label.is_strict());
    assert_eq!(
        label.non_strict_reason(),
        Some("`/labels` is a map with free-form keys, which strict mode cannot express")
    );
    let store = guard.tool("store").unwrap();
    assert_eq!(
        store.non_strict_reason(),
        Some("`/value` accepts any JSON value")
    );
    let exported = guard.openai_tools();
    let entry = exported
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "label")
        .unwrap();
    assert_eq!(entry["function"]["strict"], false);
    assert!(entry["function"]["parameters"].get("$schema").is_none());
    assert!(entry["function"]["parameters"].get("title").is_none());
}

#[test]
fn zero_argument_tools_export_the_canonical_empty_object() {
    let guard = guard();
    assert_eq!(
        guard.tool("ping").unwrap().wire_schema().to_string(),
        r#"{"type":"object","properties":{},"required":[],"additionalProperties":false}"#
    );
}

#[test]
fn the_three_export_formats() {
    let guard = Guard::builder().only(["ping"]).build().unwrap();
    let parameters =
        json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false});
    assert_eq!(
        guard.openai_tools(),
        json!([{"type": "function", "function": {
            "name": "ping", "description": "Ping.", "parameters": parameters, "strict": true}}])
    );
    assert_eq!(
        guard.responses_tools(),
        json!([{"type": "function", "name": "ping", "description": "Ping.",
                "parameters": parameters, "strict": true}])
    );
    assert_eq!(
        guard.functions(),
        json!([{"name": "ping", "description": "Ping.", "parameters": parameters}])
    );
}

#[test]
fn no_exported_schema_carries_annotations_strict_mode_rejects() {
    fn walk(value: &Value, path: &str) {
        match value {
            Value::Object(map) => {
                for key in [
                    "title",
                    "default",
                    "$schema",
                    "oneOf",
                    "minLength",
                    "maxLength",
                    "uniqueItems",
                ] {
                    assert!(!map.contains_key(key), "{path} has {key}");
                }
                if let Some(format) = map.get("format") {
                    assert!(
                        [
                            "date-time",
                            "time",
                            "date",
                            "duration",
                            "email",
                            "hostname",
                            "ipv4",
                            "ipv6",
                            "uuid"
                        ]
                        .contains(&format.as_str().unwrap()),
                        "{path} has format {format}"
                    );
                }
                map.iter()
                    .for_each(|(k, v)| walk(v, &format!("{path}/{k}")));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, path)),
            _ => {}
        }
    }
    for tool in guard().tools().filter(|t| t.is_strict()) {
        walk(tool.wire_schema(), tool.name());
    }
}

/// Every strict schema must pass through the Agents SDK's own strictifier
/// unchanged. Needs `pip install openai-agents` (the README test command
/// installs it); set GUARD_SKIP_PYTHON=1 to skip on a machine without it.
#[test]
fn strict_schemas_pass_openai_agents_ensure_strict_json_schema_unchanged() {
    if std::env::var_os("GUARD_SKIP_PYTHON").is_some() {
        eprintln!("skipped: GUARD_SKIP_PYTHON is set");
        return;
    }
    let guard = guard();
    let schemas: serde_json::Map<String, Value> = guard
        .tools()
        .filter(|t| t.is_strict())
        .map(|t| (t.name().to_owned(), t.wire_schema().clone()))
        .collect();
    assert_eq!(schemas.len(), 3, "ship-parcel, ping and outline are strict");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/py/check_strict.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    serde_json::to_writer(child.stdin.take().unwrap(), &schemas).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ensure_strict_json_schema check failed (is openai-agents installed?)\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
}
