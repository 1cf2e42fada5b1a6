//! The Cedar schema generated from the registered tools: each tool is an
//! action whose context carries its validated arguments (`context.input`)
//! typed from the tool's JSON Schema, so a misspelt attribute or action is
//! a validation error at start-up, not a silent deny or allow.

use serde_json::{Map, Value, json};

/// The principal's entity type.
pub(crate) const CALLER: &str = "Caller";
/// The resource of tools that name none.
pub(crate) const TOOL: &str = "Tool";

/// A Cedar type (JSON schema form) for a JSON Schema, or `None` where Cedar
/// has no faithful type (floats, unions); such properties are left out of
/// `context.input`, so a policy that reads them fails validation.
pub(crate) fn cedar_type(schema: &Value, root: &Value) -> Option<Value> {
    let schema = resolve(schema, root)?;
    if let Some(variants) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
        // `Option<T>`: T or null.
        let real: Vec<&Value> = variants
            .as_array()?
            .iter()
            .filter(|v| v.get("type") != Some(&json!("null")))
            .collect();
        return match real.as_slice() {
            [only] => cedar_type(only, root),
            _ => None,
        };
    }
    if schema.get("enum").is_some() || schema.get("const").is_some() {
        let strings = schema
            .get("enum")
            .and_then(Value::as_array)
            .is_none_or(|values| values.iter().all(Value::is_string));
        return strings.then(|| json!({"type": "String"}));
    }
    let kind = match schema.get("type")? {
        Value::String(kind) => kind.as_str(),
        Value::Array(kinds) => {
            let real: Vec<&str> = kinds
                .iter()
                .filter_map(Value::as_str)
                .filter(|k| *k != "null")
                .collect();
            match real.as_slice() {
                [only] => *only,
                _ => return None,
            }
        }
        _ => return None,
    };
    match kind {
        "string" => Some(json!({"type": "String"})),
        "integer" => Some(json!({"type": "Long"})),
        "boolean" => Some(json!({"type": "Boolean"})),
        "array" => {
            let items = schema.get("items")?;
            Some(json!({"type": "Set", "element": cedar_type(items, root)?}))
        }
        "object" => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut attributes = Map::new();
            for (name, property) in properties.into_iter().flatten() {
                if let Some(mut ty) = cedar_type(property, root) {
                    if !required.contains(&name.as_str()) {
                        ty["required"] = json!(false);
                    }
                    attributes.insert(name.clone(), ty);
                }
            }
            Some(json!({"type": "Record", "attributes": attributes}))
        }
        _ => None,
    }
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.strip_prefix("#/$defs/")?;
            resolve(root.get("$defs")?.get(name)?, root)
        }
        None => Some(schema),
    }
}

/// The arguments as Cedar reads them: only what the type declares, null
/// left out, arrays as sets. A value that does not fit is left out too
/// (the schema already checked it, so only out-of-range integers can).
pub(crate) fn convert(value: &Value, ty: &Value) -> Option<Value> {
    match ty.get("type")?.as_str()? {
        "String" => value.as_str().map(|s| json!(s)),
        "Long" => value.as_i64().map(|n| json!(n)),
        "Boolean" => value.as_bool().map(|b| json!(b)),
        "Set" => {
            let element = ty.get("element")?;
            let items = value.as_array()?;
            let converted: Option<Vec<Value>> =
                items.iter().map(|item| convert(item, element)).collect();
            converted.map(Value::Array)
        }
        "Record" => {
            let attributes = ty.get("attributes")?.as_object()?;
            let object = value.as_object()?;
            let mut out = Map::new();
            for (name, attribute) in attributes {
                match object.get(name) {
                    None | Some(Value::Null) => {}
                    Some(v) => {
                        if let Some(v) = convert(v, attribute) {
                            out.insert(name.clone(), v);
                        }
                    }
                }
            }
            Some(Value::Object(out))
        }
        _ => None,
    }
}

/// One tool, as the generated schema declares it.
pub(crate) struct ActionDecl<'a> {
    pub(crate) name: &'a str,
    pub(crate) resource_type: &'a str,
    pub(crate) input: &'a Value,
    pub(crate) groups: Vec<String>,
}

/// The generated fragment (Cedar's JSON schema form, empty namespace):
/// `Caller` with the built-in attributes and the policy's `[cedar.caller]`
/// ones, `Tool`, the resource types no app schema declares, and an action
/// per tool with its groups (`risk:high`, `source:secrets`, `sink:email`).
pub(crate) fn fragment(
    actions: &[ActionDecl<'_>],
    caller_attributes: &[(String, Value)],
    undeclared_types: &[&str],
) -> Value {
    let mut caller = Map::new();
    caller.insert("agent".into(), json!({"type": "String"}));
    caller.insert(
        "roles".into(),
        json!({"type": "Set", "element": {"type": "String"}}),
    );
    caller.insert("user".into(), json!({"type": "String", "required": false}));
    caller.insert(
        "session".into(),
        json!({"type": "String", "required": false}),
    );
    for (name, ty) in caller_attributes {
        caller.insert(name.clone(), ty.clone());
    }
    let mut entity_types = Map::new();
    entity_types.insert(
        CALLER.into(),
        json!({"shape": {"type": "Record", "attributes": caller}}),
    );
    entity_types.insert(TOOL.into(), json!({}));
    for name in undeclared_types {
        entity_types.insert((*name).to_owned(), json!({}));
    }

    let mut declared = Map::new();
    let mut groups: Vec<&str> = Vec::new();
    for action in actions {
        let context = json!({
            "type": "Record",
            "attributes": {
                "input": action.input,
                "risk": {"type": "String"},
                "sources": {"type": "Set", "element": {"type": "String"}},
                "sinks": {"type": "Set", "element": {"type": "String"}},
                "session_calls": {"type": "Long", "required": false},
                "session_tool_calls": {"type": "Long", "required": false},
            }
        });
        let member_of: Vec<Value> = action.groups.iter().map(|g| json!({"id": g})).collect();
        declared.insert(
            action.name.to_owned(),
            json!({
                "appliesTo": {
                    "principalTypes": [CALLER],
                    "resourceTypes": [action.resource_type],
                    "context": context,
                },
                "memberOf": member_of,
            }),
        );
        for group in &action.groups {
            if !groups.contains(&group.as_str()) {
                groups.push(group);
            }
        }
    }
    for group in groups {
        declared.insert(group.to_owned(), json!({}));
    }
    json!({"": {"entityTypes": entity_types, "actions": declared}})
}

/// A `[cedar.caller]` type name as a Cedar type.
pub(crate) fn named_type(name: &str) -> Option<Value> {
    Some(match name.trim() {
        "String" => json!({"type": "String"}),
        "Long" => json!({"type": "Long"}),
        "Bool" | "Boolean" => json!({"type": "Boolean"}),
        "Set<String>" => json!({"type": "Set", "element": {"type": "String"}}),
        "Set<Long>" => json!({"type": "Set", "element": {"type": "Long"}}),
        other => {
            let entity = other.strip_prefix("Entity<")?.strip_suffix('>')?;
            json!({"type": "Entity", "name": entity.trim()})
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_schemas_map_to_cedar_types_and_values_follow_them() {
        let root = json!({
            "type": "object",
            "properties": {
                "order": {"type": "string"},
                "cents": {"type": "integer", "format": "uint32"},
                "rate": {"type": "number"},
                "note": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "mode": {"$ref": "#/$defs/Mode"},
            },
            "required": ["order", "cents", "rate", "tags", "mode"],
            "$defs": {"Mode": {"type": "string", "enum": ["fast", "slow"]}},
        });
        let ty = cedar_type(&root, &root).unwrap();
        assert_eq!(
            ty,
            json!({"type": "Record", "attributes": {
                "order": {"type": "String"},
                "cents": {"type": "Long"},
                "note": {"type": "String", "required": false},
                "tags": {"type": "Set", "element": {"type": "String"}},
                "mode": {"type": "String"},
            }})
        );
        let args = json!({"order": "o-1", "cents": 500, "rate": 0.5, "note": null,
            "tags": ["a", "b"], "mode": "fast", "__entity": {"type": "Caller", "id": "x"}});
        assert_eq!(
            convert(&args, &ty).unwrap(),
            json!({"order": "o-1", "cents": 500, "tags": ["a", "b"], "mode": "fast"})
        );
    }
}
