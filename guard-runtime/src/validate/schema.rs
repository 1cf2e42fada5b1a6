use jsonschema::Validator;
use serde_json::Value;

use crate::outcome::safe_text;

/// Longest reason text a refusal carries.
const MAX_REASON_CHARS: usize = 200;

/// The first way the arguments break the schema, in words safe to show the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SchemaViolation {
    pub pointer: String,
    pub reason: String,
}

/// Compiles a validation schema with format checks on (an `email` must be an email).
pub(crate) fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|err| err.masked().to_string())
}

/// Checks the arguments. The reason is the *masked* message: it names the
/// rule that failed (`value is longer than 200 characters`), never the value.
pub(crate) fn check(validator: &Validator, args: &Value) -> Result<(), SchemaViolation> {
    validator.validate(args).map_err(|err| SchemaViolation {
        pointer: safe_text(err.instance_path().as_str(), MAX_REASON_CHARS),
        reason: safe_text(&err.masked().to_string(), MAX_REASON_CHARS),
    })
}
