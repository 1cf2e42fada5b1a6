//! Registry and schema export: the tools `#[secure_tool]` registered at link
//! time, their schemas (built lazily, on first use), and the arrays sent to
//! OpenAI.

mod export;
mod registration;
mod wire;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};

use jsonschema::Validator;
use serde_json::Value;

pub(crate) use export::{chat_tool, legacy_function, responses_tool};
pub use registration::{
    BoxFuture, Invocation, PrepareFn, PrepareStrFn, ToolRegistration, args_schema,
};
pub(crate) use wire::NullPlan;
use wire::WireSchema;

use crate::error::BuildError;
use crate::limits::{Clock, RateLimit, RateScope};
use crate::policy::Risk;
use crate::validate::{self, ToolValidators, ValidatorConfig};

/// The tools of one guard, sorted by name.
pub(crate) struct Registry {
    tools: Vec<ToolEntry>,
}

pub(crate) struct ToolEntry {
    pub(crate) registration: &'static ToolRegistration,
    pub(crate) rate: Option<RateLimit>,
    config: Arc<ValidatorConfig>,
    /// `Err` holds why the validators could not be built; calls then fail closed.
    argument_validators: OnceLock<Result<ToolValidators, String>>,
    schemas: OnceLock<Schemas>,
    /// `Err` holds why the schema does not compile; calls then fail closed.
    schema_validator: OnceLock<Result<Validator, String>>,
}

struct Schemas {
    validation: Value,
    wire: WireSchema,
    nulls: NullPlan,
    /// Whether deserializing alone proves the arguments match `validation`.
    typed_fast_path: bool,
}

impl Registry {
    /// Indexes the registered tools (or only the named ones).
    pub(crate) fn build(
        registrations: Vec<&'static ToolRegistration>,
        only: Option<&[String]>,
        scope: RateScope,
        clock: &Clock,
        config: &Arc<ValidatorConfig>,
        per_tool: &HashMap<String, Arc<ValidatorConfig>>,
    ) -> Result<Registry, BuildError> {
        let mut seen: HashMap<&'static str, &'static str> = HashMap::new();
        let mut selected: Vec<&'static ToolRegistration> = Vec::with_capacity(registrations.len());
        for registration in registrations {
            if let Some(first) = seen.insert(registration.name, registration.rust_path) {
                let (first, second) = ordered(first, registration.rust_path);
                return Err(BuildError::DuplicateTool {
                    name: registration.name.to_owned(),
                    first: first.to_owned(),
                    second: second.to_owned(),
                });
            }
            if only.is_none_or(|names| names.iter().any(|n| n == registration.name)) {
                selected.push(registration);
            }
        }
        let configured = per_tool.keys();
        if let Some(missing) = only
            .into_iter()
            .flatten()
            .chain(configured)
            .find(|n| !seen.contains_key(n.as_str()))
        {
            return Err(BuildError::UnknownTool {
                name: missing.clone(),
            });
        }
        selected.sort_by_key(|r| r.name);
        let tools: Vec<ToolEntry> = selected
            .into_iter()
            .map(|registration| ToolEntry {
                registration,
                rate: registration
                    .rate_per_minute
                    .and_then(NonZeroU32::new)
                    .map(|n| {
                        RateLimit::new(
                            format!("tool/{}", registration.name),
                            n,
                            scope,
                            clock.clone(),
                        )
                    }),
                config: per_tool.get(registration.name).unwrap_or(config).clone(),
                argument_validators: OnceLock::new(),
                schemas: OnceLock::new(),
                schema_validator: OnceLock::new(),
            })
            .collect();
        Ok(Registry { tools })
    }

    /// Binary search over the sorted names: no hashing of model-chosen text.
    pub(crate) fn get(&self, name: &str) -> Option<&ToolEntry> {
        self.get_indexed(name).map(|(_, entry)| entry)
    }

    /// The tool and its position (the index of its policy settings).
    pub(crate) fn get_indexed(&self, name: &str) -> Option<(usize, &ToolEntry)> {
        self.tools
            .binary_search_by(|entry| entry.registration.name.cmp(name))
            .ok()
            .map(|i| (i, &self.tools[i]))
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &ToolEntry> {
        self.tools.iter()
    }
}

/// Inventory's order is unspecified; name the two definitions in a stable order.
fn ordered<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b { (a, b) } else { (b, a) }
}

impl ToolEntry {
    fn schemas(&self) -> &Schemas {
        self.schemas.get_or_init(|| {
            let mut validation = (self.registration.schema)();
            // Decided on the schema as derived: serde refuses unknown fields
            // only where the type says so, not where the schema is closed below.
            let typed_fast_path = validate::serde_enforces(&validation);
            wire::close_objects(&mut validation);
            let wire = wire::wire_schema(&validation);
            let nulls = NullPlan::from_validation(&validation);
            Schemas {
                validation,
                wire,
                nulls,
                typed_fast_path,
            }
        })
    }

    /// The tool's JSON Schema, compiled on first use.
    pub(crate) fn schema_validator(&self) -> Result<&Validator, &str> {
        self.schema_validator
            .get_or_init(|| validate::compile(&self.schemas().validation))
            .as_ref()
            .map_err(String::as_str)
    }

    /// Whether calls may be deserialized straight from the arguments text.
    /// Confirm tools never are: the confirmer is shown the parsed arguments.
    pub(crate) fn typed_fast_path(&self) -> bool {
        !self.registration.confirm && self.schemas().typed_fast_path
    }

    /// The validators for a policy's tool sections, built now.
    pub(crate) fn argument_validators_with(
        &self,
        sections: &[crate::validate::Narrowing<'_>],
    ) -> Result<ToolValidators, String> {
        ToolValidators::build(self.registration.args, &self.config, sections)
    }

    pub(crate) fn config(&self) -> &ValidatorConfig {
        &self.config
    }

    /// The security validators of the tool's arguments (paths, URLs, SQL,
    /// commands), built on first use.
    pub(crate) fn argument_validators(&self) -> Result<&ToolValidators, &str> {
        self.argument_validators
            .get_or_init(|| ToolValidators::build(self.registration.args, &self.config, &[]))
            .as_ref()
            .map_err(String::as_str)
    }

    pub(crate) fn null_plan(&self) -> &NullPlan {
        &self.schemas().nulls
    }
}

/// A read-only view of one tool: its metadata and both of its schemas.
///
/// ```no_run
/// # let guard = guard_runtime::Guard::builder().build().unwrap();
/// for tool in guard.tools() {
///     if !tool.is_strict() {
///         println!("{} is not strict: {}", tool.name(), tool.non_strict_reason().unwrap());
///     }
/// }
/// ```
#[derive(Clone, Copy)]
pub struct ToolInfo<'g> {
    pub(crate) entry: &'g ToolEntry,
}

impl<'g> ToolInfo<'g> {
    /// What `#[secure_tool]` registered.
    #[cfg(feature = "mcp")]
    pub(crate) fn registration(&self) -> &'static ToolRegistration {
        self.entry.registration
    }

    /// The name the model calls.
    pub fn name(&self) -> &'static str {
        self.entry.registration.name
    }

    /// The description sent to the model.
    pub fn description(&self) -> &'static str {
        self.entry.registration.description
    }

    /// The Rust path of the function (`crate::module::function`).
    pub fn rust_path(&self) -> &'static str {
        self.entry.registration.rust_path
    }

    /// The declared risk.
    pub fn risk(&self) -> Risk {
        self.entry.registration.risk
    }

    /// Whether calls need a confirmer's approval.
    pub fn needs_confirmation(&self) -> bool {
        self.entry.registration.confirm
    }

    /// The timeout set by the attribute, if any (else the guard's default applies).
    pub fn timeout(&self) -> Option<std::time::Duration> {
        self.entry.registration.timeout
    }

    /// The rate limit in calls per minute, if any.
    pub fn rate_per_minute(&self) -> Option<u32> {
        self.entry.registration.rate_per_minute
    }

    /// The data-flow labels of what the tool reads (`source = [..]`), as
    /// the attribute gives them.
    pub fn sources(&self) -> &'static [&'static str] {
        self.entry.registration.sources
    }

    /// The data-flow labels of where the tool sends data (`sink = [..]`),
    /// as the attribute gives them.
    pub fn sinks(&self) -> &'static [&'static str] {
        self.entry.registration.sinks
    }

    /// The schema arguments are validated against, with every constraint.
    pub fn validation_schema(&self) -> &'g Value {
        &self.entry.schemas().validation
    }

    /// The schema sent to the model.
    pub fn wire_schema(&self) -> &'g Value {
        &self.entry.schemas().wire.schema
    }

    /// Whether the tool is exported with `"strict": true`.
    pub fn is_strict(&self) -> bool {
        self.entry.schemas().wire.strict
    }

    /// Why the tool's types cannot be expressed in strict mode, if they cannot.
    pub fn non_strict_reason(&self) -> Option<&'g str> {
        self.entry.schemas().wire.non_strict_reason.as_deref()
    }
}

impl std::fmt::Debug for ToolInfo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolInfo")
            .field("name", &self.name())
            .field("risk", &self.risk())
            .field("confirm", &self.needs_confirmation())
            .field("rate_per_minute", &self.rate_per_minute())
            .finish()
    }
}
