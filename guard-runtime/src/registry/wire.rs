//! The schema sent to the model: OpenAI strict mode where the types allow it.
//!
//! Strict mode wants every object closed (`additionalProperties: false`) with
//! every property listed in `required` (optional ones become nullable), no
//! `oneOf`, no `title`/`default`, only nine formats, and none of the keywords
//! it lacks (`minLength`, `maxLength`, `uniqueItems`, ...), which are moved
//! into the description so the model still learns of them. The server-side
//! validation schema keeps every constraint; this one only guides the model.

use serde_json::{Map, Value, json};

/// The formats OpenAI strict mode documents.
const OPENAI_FORMATS: [&str; 9] = [
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Keywords strict mode accepts as they are.
const KEPT: [&str; 11] = [
    "type",
    "enum",
    "const",
    "pattern",
    "multipleOf",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
];

/// Annotations that carry no constraint and are dropped.
const DROPPED: [&str; 10] = [
    "title",
    "default",
    "examples",
    "$schema",
    "$comment",
    "$id",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$defs",
];

/// The exported schema of one tool.
#[derive(Debug, Clone)]
pub(crate) struct WireSchema {
    pub schema: Value,
    pub strict: bool,
    pub non_strict_reason: Option<String>,
}

/// Converts a validation schema (as schemars emits it) into the wire schema.
pub(crate) fn wire_schema(validation: &Value) -> WireSchema {
    match Converter::new(validation).root(validation) {
        Ok(schema) => WireSchema {
            schema,
            strict: true,
            non_strict_reason: None,
        },
        Err(reason) => WireSchema {
            schema: loose(validation),
            strict: false,
            non_strict_reason: Some(reason),
        },
    }
}

/// A non-strict export: the validation schema minus its root annotations.
fn loose(validation: &Value) -> Value {
    let mut schema = validation.clone();
    if let Some(map) = schema.as_object_mut() {
        map.shift_remove("$schema");
        map.shift_remove("title");
        map.entry("properties").or_insert_with(|| json!({}));
    }
    schema
}

struct Converter<'a> {
    defs: Option<&'a Map<String, Value>>,
    /// Recursive types cannot be inlined: `$defs` are kept and converted too.
    keep_defs: bool,
    /// Definitions being inlined, to stop on a cycle that slipped past detection.
    inlining: Vec<&'a str>,
}

impl<'a> Converter<'a> {
    fn new(root: &'a Value) -> Self {
        let defs = root.get("$defs").and_then(Value::as_object);
        Converter {
            defs,
            keep_defs: defs.is_some_and(has_cycle),
            inlining: Vec::new(),
        }
    }

    fn root(mut self, root: &'a Value) -> Result<Value, String> {
        let mut out = self.node(root, "")?;
        if out.get("type") != Some(&json!("object")) {
            return Err("the arguments are not a JSON object".to_owned());
        }
        if self.keep_defs
            && let Some(defs) = self.defs
        {
            let mut converted = Map::new();
            for (name, schema) in defs {
                converted.insert(name.clone(), self.node(schema, &format!("$defs/{name}"))?);
            }
            out.as_object_mut()
                .expect("checked to be an object above")
                .insert("$defs".to_owned(), Value::Object(converted));
        }
        Ok(out)
    }

    fn node(&mut self, schema: &'a Value, path: &str) -> Result<Value, String> {
        let map = match schema {
            Value::Object(map) if !map.is_empty() => map,
            Value::Bool(false) => return Err(format!("{} accepts no value", place(path))),
            _ => return Err(format!("{} accepts any JSON value", place(path))),
        };
        if let Some(reference) = map.get("$ref") {
            return self.reference(reference, map, path);
        }

        let mut out = Map::new();
        let mut notes: Vec<String> = Vec::new();
        let mut any_of: Vec<Value> = Vec::new();
        for (key, value) in map {
            match key.as_str() {
                k if KEPT.contains(&k) => {
                    out.insert(key.clone(), value.clone());
                }
                k if DROPPED.contains(&k) => {}
                "description" | "properties" | "required" | "additionalProperties" => {}
                "format" => {
                    // Non-standard formats (uint32, double, ...) are hints only;
                    // their ranges already travel as minimum/maximum.
                    if value.as_str().is_some_and(|f| OPENAI_FORMATS.contains(&f)) {
                        out.insert(key.clone(), value.clone());
                    }
                }
                "items" => {
                    let items = self.node(value, &format!("{path}/items"))?;
                    out.insert(key.clone(), items);
                }
                "anyOf" | "oneOf" => {
                    let Some(branches) = value.as_array() else {
                        return Err(format!("{} has a malformed `{key}`", place(path)));
                    };
                    for branch in branches {
                        match self.node(branch, path)? {
                            // `Option<Enum>` nests the enum's branches: splice them in.
                            Value::Object(mut inner)
                                if inner.len() == 1 && inner.contains_key("anyOf") =>
                            {
                                if let Some(Value::Array(nested)) = inner.shift_remove("anyOf") {
                                    any_of.extend(nested);
                                }
                            }
                            converted => any_of.push(converted),
                        }
                    }
                }
                "minLength" => notes.push(format!("at least {value} characters")),
                "maxLength" => notes.push(format!("at most {value} characters")),
                "minProperties" => notes.push(format!("at least {value} entries")),
                "maxProperties" => notes.push(format!("at most {value} entries")),
                "uniqueItems" if value == &Value::Bool(true) => {
                    notes.push("items must be unique".to_owned())
                }
                "uniqueItems" => {}
                "contentEncoding" => notes.push(format!("encoded as {value}")),
                "contentMediaType" => notes.push(format!("media type {value}")),
                other => {
                    return Err(format!(
                        "{} uses `{other}`, which strict mode does not support",
                        place(path)
                    ));
                }
            }
        }
        if !any_of.is_empty() {
            out.insert("anyOf".to_owned(), Value::Array(any_of));
        }
        if is_object_schema(map) {
            self.object(map, path, &mut out)?;
        }

        let description = map.get("description").and_then(Value::as_str);
        let description = match (description, notes.is_empty()) {
            (Some(text), true) => Some(text.to_owned()),
            (Some(text), false) => Some(format!("{text} ({})", notes.join("; "))),
            (None, false) => Some(format!("({})", notes.join("; "))),
            (None, true) => None,
        };
        Ok(Value::Object(with_description(out, description)))
    }

    fn object(
        &mut self,
        map: &'a Map<String, Value>,
        path: &str,
        out: &mut Map<String, Value>,
    ) -> Result<(), String> {
        match map.get("additionalProperties") {
            None | Some(Value::Bool(false)) => {}
            Some(_) => {
                return Err(format!(
                    "{} is a map with free-form keys, which strict mode cannot express",
                    place(path)
                ));
            }
        }
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut properties = Map::new();
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (name, schema) in props {
                let mut converted = self.node(schema, &format!("{path}/{name}"))?;
                if !required.contains(&name.as_str()) {
                    make_nullable(&mut converted);
                }
                properties.insert(name.clone(), converted);
            }
        }
        let names: Vec<Value> = properties.keys().cloned().map(Value::String).collect();
        out.entry("type").or_insert_with(|| json!("object"));
        out.insert("properties".to_owned(), Value::Object(properties));
        out.insert("required".to_owned(), Value::Array(names));
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
        Ok(())
    }

    fn reference(
        &mut self,
        reference: &'a Value,
        map: &'a Map<String, Value>,
        path: &str,
    ) -> Result<Value, String> {
        let name = reference
            .as_str()
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .ok_or_else(|| format!("{} has a reference outside `$defs`", place(path)))?;
        let target = self
            .defs
            .and_then(|defs| defs.get(name))
            .ok_or_else(|| format!("{} refers to a missing definition", place(path)))?;
        let description = map.get("description").cloned();
        if let Some(extra) = map.keys().find(|k| {
            !matches!(k.as_str(), "$ref" | "description") && !DROPPED.contains(&k.as_str())
        }) {
            return Err(format!("{} combines `$ref` with `{extra}`", place(path)));
        }
        if self.keep_defs {
            let reference = json!({ "$ref": reference });
            return Ok(match description {
                Some(text) => json!({ "description": text, "anyOf": [reference] }),
                None => reference,
            });
        }
        if self.inlining.contains(&name) {
            return Err(format!("{} is recursive", place(path)));
        }
        self.inlining.push(name);
        let mut inlined = self.node(target, path);
        self.inlining.pop();
        if let (Ok(Value::Object(node)), Some(text)) = (&mut inlined, description) {
            node.insert("description".to_owned(), text);
        }
        inlined
    }
}

fn place(path: &str) -> String {
    if path.is_empty() {
        "the arguments".to_owned()
    } else {
        format!("`{path}`")
    }
}

/// Closes every object the schema leaves open by omission, as the wire
/// schema does (`additionalProperties: false`), so the validation schema
/// refuses exactly what the model was told it may not send. Maps
/// (`additionalProperties: {schema}`) keep their free-form keys.
pub(crate) fn close_objects(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    if is_object_schema(map) && !map.contains_key("additionalProperties") {
        map.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    for (key, value) in map.iter_mut() {
        match key.as_str() {
            "properties" | "$defs" | "definitions" | "patternProperties" => {
                if let Value::Object(children) = value {
                    children.values_mut().for_each(close_objects);
                }
            }
            "items" | "additionalProperties" | "not" | "contains" => close_objects(value),
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                if let Value::Array(branches) = value {
                    branches.iter_mut().for_each(close_objects);
                }
            }
            _ => {}
        }
    }
}

fn is_object_schema(map: &Map<String, Value>) -> bool {
    match map.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(types)) => types.iter().any(|t| t == "object"),
        _ => map.contains_key("properties"),
    }
}

/// Puts `type` and `description` first, for readable exports.
fn with_description(out: Map<String, Value>, description: Option<String>) -> Map<String, Value> {
    let mut ordered = Map::with_capacity(out.len() + 1);
    let mut rest = out;
    if let Some(t) = rest.shift_remove("type") {
        ordered.insert("type".to_owned(), t);
    }
    if let Some(text) = description {
        ordered.insert("description".to_owned(), Value::String(text));
    }
    ordered.extend(rest);
    ordered
}

fn accepts_null(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) if t == "null" => return true,
        Some(Value::Array(types)) if types.iter().any(|t| t == "null") => return true,
        _ => {}
    }
    schema
        .get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|branches| branches.iter().any(accepts_null))
}

/// Optional properties become `T | null`: strict mode requires every property.
fn make_nullable(schema: &mut Value) {
    if accepts_null(schema) {
        return;
    }
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
        branches.push(json!({"type": "null"}));
        return;
    }
    let has_const = map.contains_key("const");
    match map.get_mut("type") {
        Some(Value::String(t)) if !has_const => {
            let t = std::mem::take(t);
            map.insert("type".to_owned(), json!([t, "null"]));
            if let Some(Value::Array(options)) = map.get_mut("enum") {
                options.push(Value::Null);
            }
        }
        Some(Value::Array(types)) if !has_const => {
            types.push(json!("null"));
            if let Some(Value::Array(options)) = map.get_mut("enum") {
                options.push(Value::Null);
            }
        }
        _ => {
            let description = map.shift_remove("description");
            let inner = Value::Object(std::mem::take(map));
            let mut wrapped = Map::new();
            if let Some(text) = description {
                wrapped.insert("description".to_owned(), text);
            }
            wrapped.insert("anyOf".to_owned(), json!([inner, {"type": "null"}]));
            *map = wrapped;
        }
    }
}

/// Whether any definition reaches itself through `$ref`s.
fn has_cycle(defs: &Map<String, Value>) -> bool {
    fn refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
        match value {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                {
                    out.push(name);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    fn reaches(defs: &Map<String, Value>, from: &str, goal: &str, seen: &mut Vec<String>) -> bool {
        let Some(schema) = defs.get(from) else {
            return false;
        };
        let mut next = Vec::new();
        refs(schema, &mut next);
        next.into_iter().any(|name| {
            if name == goal {
                return true;
            }
            if seen.iter().any(|s| s == name) {
                return false;
            }
            seen.push(name.to_owned());
            reaches(defs, name, goal, seen)
        })
    }
    defs.keys()
        .any(|name| reaches(defs, name, name, &mut Vec::new()))
}

/// Which properties, at the top level and in nested objects, may be absent
/// but do not accept `null`. Strict-mode models send `null` for those, so the
/// dispatcher removes such nulls before validating ("null means absent").
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NullPlan {
    strip: Vec<String>,
    nested: Vec<(String, NullPlan)>,
}

impl NullPlan {
    pub(crate) fn from_validation(root: &Value) -> NullPlan {
        let defs = root.get("$defs").and_then(Value::as_object);
        Self::build(root, defs, 0)
    }

    fn build(schema: &Value, defs: Option<&Map<String, Value>>, depth: usize) -> NullPlan {
        let mut plan = NullPlan::default();
        if depth > 8 {
            return plan;
        }
        let schema = resolve(schema, defs);
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return plan;
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, prop) in props {
            let prop = resolve(prop, defs);
            if !required.contains(&name.as_str()) && !accepts_null(prop) {
                plan.strip.push(name.clone());
            }
            let inner = Self::build(prop, defs, depth + 1);
            if !inner.is_empty() {
                plan.nested.push((name.clone(), inner));
            }
        }
        plan
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.strip.is_empty() && self.nested.is_empty()
    }

    pub(crate) fn apply(&self, value: &mut Value) {
        let Some(map) = value.as_object_mut() else {
            return;
        };
        for name in &self.strip {
            if map.get(name) == Some(&Value::Null) {
                map.shift_remove(name);
            }
        }
        for (name, inner) in &self.nested {
            if let Some(child) = map.get_mut(name) {
                inner.apply(child);
            }
        }
    }
}

fn resolve<'v>(schema: &'v Value, defs: Option<&'v Map<String, Value>>) -> &'v Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs?.get(name))
        .unwrap_or(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_scalars_become_nullable_and_required() {
        let validation = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Args",
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Path.", "maxLength": 200},
                "max_bytes": {"type": ["integer", "null"], "format": "uint32", "minimum": 0},
                "mode": {"type": "string", "enum": ["a", "b"], "default": "a"}
            },
            "required": ["path"],
            "additionalProperties": false
        });
        let wire = wire_schema(&validation);
        assert!(wire.strict, "{:?}", wire.non_strict_reason);
        assert_eq!(
            wire.schema,
            json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "Path. (at most 200 characters)"},
                    "max_bytes": {"type": ["integer", "null"], "minimum": 0},
                    "mode": {"type": ["string", "null"], "enum": ["a", "b", null]}
                },
                "required": ["path", "max_bytes", "mode"],
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn refs_are_inlined_and_one_of_becomes_any_of() {
        let validation = json!({
            "type": "object",
            "properties": {"shape": {"$ref": "#/$defs/Shape", "description": "The shape."}},
            "required": ["shape"],
            "$defs": {"Shape": {"oneOf": [
                {"type": "string", "const": "dot"},
                {"type": "object", "properties": {"r": {"type": "number"}}, "required": ["r"]}
            ]}}
        });
        let wire = wire_schema(&validation);
        assert!(wire.strict);
        assert_eq!(
            wire.schema["properties"]["shape"],
            json!({"description": "The shape.", "anyOf": [
                {"type": "string", "const": "dot"},
                {"type": "object", "properties": {"r": {"type": "number"}}, "required": ["r"],
                 "additionalProperties": false}
            ]})
        );
        assert!(wire.schema.get("$defs").is_none());
    }

    #[test]
    fn recursive_types_keep_defs() {
        let validation = json!({
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/Node"}},
            "required": ["tree"],
            "$defs": {"Node": {"type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
                "required": ["children"]}}
        });
        let wire = wire_schema(&validation);
        assert!(wire.strict);
        assert_eq!(
            wire.schema["properties"]["tree"],
            json!({"$ref": "#/$defs/Node"})
        );
        assert_eq!(
            wire.schema["$defs"]["Node"]["properties"]["children"]["items"],
            json!({"$ref": "#/$defs/Node"})
        );
    }

    #[test]
    fn maps_and_any_values_are_not_strict() {
        let map = json!({"type": "object", "properties": {
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}
        }, "required": ["labels"]});
        let wire = wire_schema(&map);
        assert!(!wire.strict);
        assert_eq!(
            wire.non_strict_reason.as_deref(),
            Some("`/labels` is a map with free-form keys, which strict mode cannot express")
        );
        let any = json!({"type": "object", "properties": {"value": true}, "required": ["value"]});
        assert_eq!(
            wire_schema(&any).non_strict_reason.as_deref(),
            Some("`/value` accepts any JSON value")
        );
    }

    #[test]
    fn empty_arguments_export_the_canonical_empty_object() {
        let wire = wire_schema(&json!({"type": "object", "additionalProperties": false}));
        assert!(wire.strict);
        assert_eq!(
            wire.schema.to_string(),
            r#"{"type":"object","properties":{},"required":[],"additionalProperties":false}"#
        );
    }

    #[test]
    fn null_plan_strips_nulls_only_where_null_is_not_accepted() {
        let validation = json!({"type": "object", "properties": {
            "a": {"type": "integer", "default": 3},
            "b": {"type": ["integer", "null"]},
            "c": {"$ref": "#/$defs/Inner"}
        }, "required": ["c"], "$defs": {"Inner": {"type": "object",
            "properties": {"d": {"type": "boolean"}}}}});
        let plan = NullPlan::from_validation(&validation);
        let mut value = json!({"a": null, "b": null, "c": {"d": null}});
        plan.apply(&mut value);
        assert_eq!(value, json!({"b": null, "c": {}}));
    }
}
