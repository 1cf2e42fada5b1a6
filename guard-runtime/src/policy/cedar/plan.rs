//! Compiling the Cedar section against the registered tools, and deciding
//! calls with it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName,
    EntityUid, PolicyId, PolicySet, Request, RestrictedExpression, Schema, SchemaFragment,
    ValidationMode, Validator,
};
use miette::Diagnostic;
use serde_json::{Value, json};

use super::schema;
use super::{CedarSection, EntityCache, EntityLoader, EntityRef};
use crate::context::CallContext;
use crate::policy::PolicyError;
use crate::registry::Registry;

/// One tool as Cedar sees it.
struct ToolCedar {
    action: EntityUid,
    tool: EntityUid,
    input: Value,
    resource: Option<(&'static str, EntityTypeName)>,
    /// The policies whose action scope can match this tool's action (the
    /// others cannot apply, so leaving them out changes no decision).
    policies: PolicySet,
}

/// The compiled Cedar part of a policy.
pub(crate) struct CedarPlan {
    schema: Schema,
    /// The action entities (with their groups), built once.
    actions: Entities,
    tools: HashMap<&'static str, ToolCedar>,
    /// `@id("...")` of each policy, else Cedar's own id.
    names: HashMap<PolicyId, String>,
    authorizer: Authorizer,
    /// The generated schema, in Cedar schema syntax.
    generated: String,
    caller_type: EntityTypeName,
    /// Whether a policy reads the session's counters (they cost a state
    /// backend question per call, so they are read only then).
    reads_counters: bool,
    /// Entity sets by caller, for guards without an entity loader.
    by_caller: Mutex<HashMap<CallContext, Option<Entities>>>,
}

/// Callers whose entity sets are kept (the set is cleared when full).
const MAX_KNOWN_CALLERS: usize = 1024;

impl std::fmt::Debug for CedarPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CedarPlan")
            .field("policies", &self.names.len())
            .field("tools", &self.tools.len())
            .finish_non_exhaustive()
    }
}

/// Why Cedar refused a call.
pub(crate) enum Refusal {
    /// The session's counters could not be read.
    Backend,
    /// A policy forbade it, or none permitted it (`default`), or a policy
    /// failed to evaluate (named, and refusing: fail closed).
    Policy(String),
    /// The entity data could not be loaded or did not fit the schema.
    Entities,
}

fn cedar_error(key: &str, message: String) -> PolicyError {
    PolicyError::new(Some(key.to_owned()), message)
}

/// Where a diagnostic over `text` points: line and column, from 1.
fn position(text: &str, diagnostic: &dyn Diagnostic) -> Option<(usize, usize)> {
    let offset = diagnostic.labels()?.next()?.offset();
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().count()
        - before
            .rfind('\n')
            .map_or(0, |i| before[..=i].chars().count())
        + 1;
    Some((line, column))
}

/// An error in a Cedar text: its file (when it came from one), position and key.
fn located(
    source: &Source,
    text: &str,
    diagnostic: &dyn Diagnostic,
    message: String,
) -> PolicyError {
    PolicyError::at(
        source.file.clone(),
        position(text, diagnostic),
        source.key,
        message,
    )
}

/// Where a Cedar text came from.
struct Source {
    file: Option<std::path::PathBuf>,
    key: &'static str,
}

fn read(file: &Path) -> Result<String, PolicyError> {
    std::fs::read_to_string(file)
        .map_err(|e| cedar_error("cedar", format!("{}: cannot read: {e}", file.display())))
}

impl CedarPlan {
    pub(crate) fn compile(
        section: &CedarSection,
        registry: &Registry,
        risk_of: impl Fn(&str) -> (String, Vec<String>, Vec<String>),
    ) -> Result<CedarPlan, PolicyError> {
        let (source, text) = match (&section.file, &section.policies) {
            (Some(file), _) => (
                Source {
                    file: Some(file.clone()),
                    key: "cedar",
                },
                read(file)?,
            ),
            (None, Some(text)) => (
                Source {
                    file: None,
                    key: "cedar.policies",
                },
                text.clone(),
            ),
            (None, None) => unreachable!("checked when read"),
        };
        let app = match (&section.schema_file, &section.schema) {
            (Some(file), _) => Some((
                Source {
                    file: Some(file.clone()),
                    key: "cedar.schema_file",
                },
                read(file)?,
            )),
            (None, Some(text)) => Some((
                Source {
                    file: None,
                    key: "cedar.schema",
                },
                text.clone(),
            )),
            (None, None) => None,
        };

        // The application's entity types, if it declares any.
        let app_fragment = match &app {
            Some((name, text)) => {
                let (fragment, _) = SchemaFragment::from_cedarschema_str(text)
                    .map_err(|e| located(name, text, &e, e.to_string()))?;
                Some(fragment)
            }
            None => None,
        };
        let app_types: Vec<String> = match &app_fragment {
            Some(fragment) => fragment
                .clone()
                .to_json_value()
                .ok()
                .and_then(|v| {
                    v.get("")
                        .and_then(|ns| ns.get("entityTypes"))
                        .and_then(Value::as_object)
                        .map(|m| m.keys().cloned().collect())
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };

        let mut caller_attributes = Vec::new();
        for (name, ty) in &section.caller {
            let ty = schema::named_type(ty).ok_or_else(|| {
                cedar_error(
                    &format!("cedar.caller.{name}"),
                    format!("unknown type `{ty}`; use String, Long, Bool, Set<String>, Set<Long> or Entity<Type>"),
                )
            })?;
            caller_attributes.push((name.clone(), ty));
        }

        let mut inputs = Vec::new();
        let mut resource_types: Vec<&'static str> = Vec::new();
        for entry in registry.iter() {
            let registration = entry.registration;
            let args_schema = (registration.schema)();
            let input = schema::cedar_type(&args_schema, &args_schema)
                .unwrap_or_else(|| json!({"type": "Record", "attributes": {}}));
            if let Some((_, ty)) = registration.resource
                && !resource_types.contains(&ty)
            {
                resource_types.push(ty);
            }
            inputs.push((registration, input));
        }
        let undeclared: Vec<&str> = resource_types
            .iter()
            .copied()
            .filter(|t| !app_types.iter().any(|a| a == t))
            .collect();
        let decls: Vec<schema::ActionDecl<'_>> = inputs
            .iter()
            .map(|(registration, input)| {
                let (risk, sources, sinks) = risk_of(registration.name);
                let mut groups = vec![format!("risk:{risk}")];
                groups.extend(sources.iter().map(|s| format!("source:{s}")));
                groups.extend(sinks.iter().map(|s| format!("sink:{s}")));
                schema::ActionDecl {
                    name: registration.name,
                    resource_type: registration.resource.map_or(schema::TOOL, |(_, ty)| ty),
                    input,
                    groups,
                }
            })
            .collect();
        let generated_json = schema::fragment(&decls, &caller_attributes, &undeclared);
        let groups_of: Vec<Vec<String>> = decls.iter().map(|d| d.groups.clone()).collect();
        drop(decls);
        let generated = SchemaFragment::from_json_value(generated_json)
            .map_err(|e| cedar_error("cedar", format!("the generated schema: {e}")))?;
        let generated_text = generated
            .to_cedarschema()
            .unwrap_or_else(|e| format!("// cannot print: {e}"));
        let fragments = std::iter::once(generated).chain(app_fragment);
        let schema = Schema::from_schema_fragments(fragments).map_err(|e| {
            cedar_error(
                "cedar.schema",
                format!("the tools' schema and the application's do not fit together: {e}"),
            )
        })?;

        let policies =
            PolicySet::from_str(&text).map_err(|e| located(&source, &text, &e, e.to_string()))?;
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if let Some(first) = validation.validation_errors().next() {
            return Err(located(&source, &text, first, first.to_string()));
        }
        let names = policies
            .policies()
            .map(|p| {
                let id = p.id().clone();
                let name = p
                    .annotation("id")
                    .map_or_else(|| id.to_string(), str::to_owned);
                (id, name)
            })
            .collect();

        // The actions (with their groups) and a `Tool` entity per tool.
        let tool_entities = registry.iter().map(|entry| {
            Entity::new_no_attrs(
                EntityUid::from_type_name_and_id(
                    EntityTypeName::from_str(schema::TOOL).expect("a valid type name"),
                    EntityId::new(entry.registration.name),
                ),
                HashSet::new(),
            )
        });
        let actions = Entities::empty()
            .add_entities(tool_entities, Some(&schema))
            .map_err(|e| cedar_error("cedar", format!("the action entities: {e}")))?;
        let mut tools = HashMap::new();
        for (decl_index, (registration, input)) in inputs.into_iter().enumerate() {
            let uid = |ty: &str, id: &str| {
                EntityUid::from_type_name_and_id(
                    EntityTypeName::from_str(ty).expect("a valid type name"),
                    EntityId::new(id),
                )
            };
            let resource = match registration.resource {
                Some((arg, ty)) => Some((
                    arg,
                    EntityTypeName::from_str(ty).map_err(|e| {
                        cedar_error(
                            "cedar",
                            format!("tool `{}`: resource type `{ty}`: {e}", registration.name),
                        )
                    })?,
                )),
                None => None,
            };
            let action = uid("Action", registration.name);
            let groups: Vec<EntityUid> = groups_of[decl_index]
                .iter()
                .map(|g| uid("Action", g))
                .collect();
            let mut own = PolicySet::new();
            for policy in policies.policies() {
                let applies = match policy.action_constraint() {
                    ActionConstraint::Any => true,
                    ActionConstraint::Eq(a) => a == action,
                    ActionConstraint::In(list) => {
                        list.iter().any(|a| *a == action || groups.contains(a))
                    }
                };
                if applies {
                    own.add(policy.clone())
                        .map_err(|e| cedar_error("cedar", e.to_string()))?;
                }
            }
            tools.insert(
                registration.name,
                ToolCedar {
                    action,
                    tool: uid(schema::TOOL, registration.name),
                    input,
                    resource,
                    policies: own,
                },
            );
        }
        Ok(CedarPlan {
            schema,
            actions,
            tools,
            names,
            authorizer: Authorizer::new(),
            caller_type: EntityTypeName::from_str(schema::CALLER).expect("a valid type name"),
            by_caller: Mutex::new(HashMap::new()),
            reads_counters: text.contains("session_calls") || text.contains("session_tool_calls"),
            generated: generated_text,
        })
    }

    /// The generated schema, in Cedar schema syntax.
    pub(crate) fn schema_text(&self) -> &str {
        &self.generated
    }

    /// Decides one call whose arguments passed every other check.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn authorize(
        &self,
        ctx: &CallContext,
        tool: &str,
        args: &Value,
        risk: &str,
        sources: &[String],
        sinks: &[String],
        loader: Option<&dyn EntityLoader>,
        cache: &EntityCache,
        state: &dyn crate::state::StateBackend,
    ) -> Result<(), Refusal> {
        let Some(cedar) = self.tools.get(tool) else {
            return Err(Refusal::Policy("default".into()));
        };
        let principal_id = ctx.user_id().unwrap_or(ctx.agent_id());
        let principal = EntityRef {
            entity_type: schema::CALLER.into(),
            id: principal_id.to_owned(),
        };
        let resource = cedar.resource.as_ref().and_then(|(arg, ty)| {
            let id = match args.get(*arg)? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((ty, id))
        });
        let resource_ref = resource.as_ref().map(|(ty, id)| EntityRef {
            entity_type: ty.to_string(),
            id: id.clone(),
        });
        let mut wanted = vec![principal];
        wanted.extend(resource_ref.clone());
        let loaded = cache
            .get(loader, &wanted)
            .await
            .map_err(|_| Refusal::Entities)?;

        let principal_uid =
            EntityUid::from_type_name_and_id(self.caller_type.clone(), EntityId::new(principal_id));
        let resource_uid = match &resource {
            Some((ty, id)) => {
                EntityUid::from_type_name_and_id((*ty).clone(), EntityId::new(id.clone()))
            }
            None => cedar.tool.clone(),
        };
        let input = schema::convert(args, &cedar.input).unwrap_or_else(|| json!({}));
        let strings = |items: &[String]| {
            RestrictedExpression::new_set(
                items
                    .iter()
                    .map(|s| RestrictedExpression::new_string(s.clone())),
            )
        };
        // Built from the arguments as the generated schema types them, so
        // the request is not checked against the schema again.
        let mut pairs = vec![
            ("input".to_owned(), restricted(&input)),
            (
                "risk".to_owned(),
                RestrictedExpression::new_string(risk.to_owned()),
            ),
            ("sources".to_owned(), strings(sources)),
            ("sinks".to_owned(), strings(sinks)),
        ];
        if self.reads_counters {
            // Calls admitted in the session before this batch.
            let (all, this_tool) = state
                .session_counts(ctx.state_session(), tool)
                .await
                .map_err(|_| Refusal::Backend)?;
            let long =
                |n: u64| RestrictedExpression::new_long(i64::try_from(n).unwrap_or(i64::MAX));
            pairs.push(("session_calls".to_owned(), long(all)));
            pairs.push(("session_tool_calls".to_owned(), long(this_tool)));
        }
        let context = Context::from_pairs(pairs).map_err(|_| Refusal::Policy("context".into()))?;
        let request = Request::new(
            principal_uid.clone(),
            cedar.action.clone(),
            resource_uid,
            context,
            None,
        )
        .map_err(|_| Refusal::Policy("request".into()))?;

        // The entities depend only on the caller (one per batch) and the
        // resource: built and checked against the schema once per batch.
        // Without a loader they depend on the caller alone, and are kept
        // across batches.
        let decide = |entities: &Entities| {
            self.authorizer
                .is_authorized(&request, &cedar.policies, entities)
        };
        let response = if loader.is_none() {
            let mut known = self.by_caller.lock().unwrap_or_else(|e| e.into_inner());
            if !known.contains_key(ctx) {
                if known.len() >= MAX_KNOWN_CALLERS {
                    known.clear();
                }
                let built = self.entities(ctx, principal_uid, &loaded);
                known.insert(ctx.clone(), built);
            }
            known.get(ctx).and_then(Option::as_ref).map(decide)
        } else {
            cache.with_built(
                resource_ref,
                || self.entities(ctx, principal_uid, &loaded),
                decide,
            )
        }
        .ok_or(Refusal::Entities)?;

        let name = |id: &PolicyId| {
            self.names
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        // A policy that fails to evaluate is skipped by Cedar; a skipped
        // `forbid` would let the call through, so any error refuses it.
        if let Some(error) = response.diagnostics().errors().next() {
            let cedar_policy::AuthorizationError::PolicyEvaluationError(error) = error;
            tracing::warn!(target: "guard::cedar", %error, "a Cedar policy failed to evaluate");
            return Err(Refusal::Policy(name(error.policy_id())));
        }
        match response.decision() {
            Decision::Allow => Ok(()),
            Decision::Deny => Err(Refusal::Policy(
                response
                    .diagnostics()
                    .reason()
                    .next()
                    .map_or_else(|| "default".to_owned(), name),
            )),
        }
    }

    /// The actions, the tools, the caller (guard's attributes over the
    /// loader's) and the loaded resource, checked against the schema.
    fn entities(
        &self,
        ctx: &CallContext,
        principal_uid: EntityUid,
        loaded: &[Option<Value>],
    ) -> Option<Entities> {
        let own = [
            (
                "agent",
                Some(RestrictedExpression::new_string(ctx.agent_id().to_owned())),
            ),
            (
                "roles",
                Some(RestrictedExpression::new_set(
                    ctx.role_names()
                        .map(|r| RestrictedExpression::new_string(r.to_owned())),
                )),
            ),
            (
                "user",
                ctx.user_id()
                    .map(|u| RestrictedExpression::new_string(u.to_owned())),
            ),
            (
                "session",
                ctx.session_id()
                    .map(|s| RestrictedExpression::new_string(s.to_owned())),
            ),
        ];
        let (mut attrs, parents) = match loaded.first() {
            Some(Some(json)) => {
                let (_, attrs, parents) = Entity::from_json_value(json.clone(), None)
                    .ok()?
                    .into_inner();
                (attrs, parents)
            }
            _ => (HashMap::new(), HashSet::new()),
        };
        for (name, value) in own {
            match value {
                Some(value) => attrs.insert(name.to_owned(), value),
                None => attrs.remove(name),
            };
        }
        let mut list = vec![Entity::new(principal_uid, attrs, parents).ok()?];
        if let Some(Some(json)) = loaded.get(1) {
            list.push(Entity::from_json_value(json.clone(), None).ok()?);
        }
        match self.actions.clone().add_entities(list, Some(&self.schema)) {
            Ok(entities) => Some(entities),
            Err(e) => {
                tracing::warn!(target: "guard::cedar", error = %e, "entity data does not fit the schema");
                None
            }
        }
    }
}

/// A converted argument value (strings, integers, booleans, arrays and
/// objects only) as a Cedar value.
fn restricted(value: &Value) -> RestrictedExpression {
    match value {
        Value::String(s) => RestrictedExpression::new_string(s.clone()),
        Value::Number(n) => RestrictedExpression::new_long(n.as_i64().unwrap_or_default()),
        Value::Bool(b) => RestrictedExpression::new_bool(*b),
        Value::Array(items) => RestrictedExpression::new_set(items.iter().map(restricted)),
        Value::Object(fields) => {
            RestrictedExpression::new_record(fields.iter().map(|(k, v)| (k.clone(), restricted(v))))
                .unwrap_or_else(|_| RestrictedExpression::new_bool(false))
        }
        Value::Null => RestrictedExpression::new_bool(false),
    }
}
