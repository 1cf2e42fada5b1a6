use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
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
    validator.validate(args).map_err(|err| {
        let (pointer, reason) = most_specific(&err);
        SchemaViolation {
            pointer: safe_text(&pointer, MAX_REASON_CHARS),
            reason: safe_text(&reason, MAX_REASON_CHARS),
        }
    })
}

/// For `anyOf`/`oneOf` failures (every `Option<T>` and enum is one), the
/// error of the branch that came closest: a branch that failed for some
/// reason other than its type (`Option<Unit>` given `"kelvin"` fails the
/// enum, not the null) explains more than "valid under none of the schemas".
fn most_specific(err: &ValidationError<'_>) -> (String, String) {
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } =
        err.kind()
        && let Some(closest) = context
            .iter()
            .flatten()
            .find(|e| !matches!(e.kind(), ValidationErrorKind::Type { .. }))
    {
        return most_specific(closest);
    }
    (
        err.instance_path().as_str().to_owned(),
        err.masked().to_string(),
    )
}
