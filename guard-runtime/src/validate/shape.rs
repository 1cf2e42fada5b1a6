//! Whether serde alone enforces a whole validation schema.
//!
//! The arguments struct is derived with `deny_unknown_fields`, and schemars
//! derives its schema from the same serde attributes. So when a schema says
//! nothing beyond the *shape* of its types — objects, required fields,
//! arrays, enums, integer widths — a successful deserialization already
//! proves the arguments satisfy it, and the dispatcher can parse straight
//! into the struct. Any constraint (lengths, patterns, ranges narrower than
//! the integer type, formats such as `email`, `uniqueItems`, tuple lengths)
//! makes this return false, and such tools are always checked by jsonschema.

use serde_json::{Map, Value};

/// Annotations that constrain nothing.
const ANNOTATIONS: [&str; 10] = [
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
];

pub(crate) fn serde_enforces(root: &Value) -> bool {
    let Some(map) = root.as_object() else {
        return false;
    };
    if let Some(defs) = map.get("$defs") {
        let Some(defs) = defs.as_object() else {
            return false;
        };
        if !defs.values().all(node) {
            return false;
        }
    }
    node_map(map, true)
}

fn node(schema: &Value) -> bool {
    match schema {
        Value::Bool(true) => true,
        Value::Object(map) => node_map(map, false),
        _ => false,
    }
}

fn node_map(map: &Map<String, Value>, root: bool) -> bool {
    // A nested struct without `deny_unknown_fields` ignores unknown fields,
    // which the (closed) validation schema refuses.
    if !root && map.contains_key("properties") && !map.contains_key("additionalProperties") {
        return false;
    }
    let format = map.get("format").and_then(Value::as_str);
    map.iter().all(|(key, value)| match key.as_str() {
        k if ANNOTATIONS.contains(&k) => true,
        "$defs" => root,
        "type" | "required" | "enum" | "const" | "$ref" => true,
        "properties" => value
            .as_object()
            .is_some_and(|props| props.values().all(node)),
        "additionalProperties" | "items" => value == &Value::Bool(false) || node(value),
        "anyOf" | "oneOf" => value
            .as_array()
            .is_some_and(|branches| branches.iter().all(node)),
        "format" => {
            format.is_some_and(|f| integer_bounds(f).is_some() || f == "float" || f == "double")
        }
        "minimum" => format
            .and_then(integer_bounds)
            .is_some_and(|(min, _)| value.as_f64().is_some_and(|v| v <= min)),
        "maximum" => format
            .and_then(integer_bounds)
            .is_some_and(|(_, max)| value.as_f64().is_some_and(|v| v >= max)),
        _ => false,
    })
}

/// The range serde enforces for each integer format schemars emits.
fn integer_bounds(format: &str) -> Option<(f64, f64)> {
    Some(match format {
        "int8" => (i8::MIN as f64, i8::MAX as f64),
        "int16" => (i16::MIN as f64, i16::MAX as f64),
        "int32" => (i32::MIN as f64, i32::MAX as f64),
        "int64" | "int" => (i64::MIN as f64, i64::MAX as f64),
        "uint8" => (0.0, u8::MAX as f64),
        "uint16" => (0.0, u16::MAX as f64),
        "uint32" => (0.0, u32::MAX as f64),
        "uint64" | "uint" => (0.0, u64::MAX as f64),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_shapes_are_enforced_by_serde() {
        assert!(serde_enforces(&json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Args", "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Name."},
                "count": {"type": "integer", "format": "uint32", "minimum": 0},
                "small": {"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255},
                "mode": {"$ref": "#/$defs/Mode"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "note": {"type": ["string", "null"], "default": null}
            },
            "required": ["name", "count"],
            "additionalProperties": false,
            "$defs": {"Mode": {"type": "string", "enum": ["a", "b"]}}
        })));
    }

    #[test]
    fn any_constraint_needs_the_schema_validator() {
        for constrained in [
            json!({"type": "string", "maxLength": 5}),
            json!({"type": "string", "pattern": "^a$"}),
            json!({"type": "string", "format": "email"}),
            json!({"type": "integer", "format": "uint32", "minimum": 1}),
            json!({"type": "integer", "format": "int64", "maximum": 10}),
            json!({"type": "integer", "minimum": 0}),
            json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true}),
            json!({"type": "array", "prefixItems": [{"type": "string"}], "minItems": 1}),
        ] {
            let root = json!({"type": "object", "properties": {"x": constrained}});
            assert!(!serde_enforces(&root), "{root}");
        }
        let open_nested = json!({"type": "object", "additionalProperties": false,
            "properties": {"range": {"type": "object", "properties": {"start": {"type": "integer"}}}}});
        assert!(!serde_enforces(&open_nested));
        let in_defs = json!({"type": "object", "properties": {"x": {"$ref": "#/$defs/X"}},
            "$defs": {"X": {"type": "string", "minLength": 1}}});
        assert!(!serde_enforces(&in_defs));
    }
}
