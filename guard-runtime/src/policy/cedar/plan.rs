//! Compiling the Cedar section against the registered tools, and deciding
//! calls with it.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, Request, Schema, SchemaFragment, ValidationMode, Validator,
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
}

/// The compiled Cedar part of a policy.
pub(crate) struct CedarPlan {
    policies: PolicySet,
    schema: Schema,
    /// The action entities (with their groups), built once.
    actions: Entities,
    tools: HashMap<&'static str, ToolCedar>,
    /// `@id("...")` of each policy, else Cedar's own id.
    names: HashMap<PolicyId, String>,
    authorizer: Authorizer,
    /// The generated schema, in Cedar schema syntax.
    generated: String,
}

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

        let actions = Entities::empty()
            .add_entities([], Some(&schema))
            .map_err(|e| cedar_error("cedar", format!("the action entities: {e}")))?;
        let mut tools = HashMap::new();
        for (registration, input) in inputs {
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
            tools.insert(
                registration.name,
                ToolCedar {
                    action: uid("Action", registration.name),
                    tool: uid(schema::TOOL, registration.name),
                    input,
                    resource,
                },
            );
        }
        Ok(CedarPlan {
            policies,
            schema,
            actions,
            tools,
            names,
            authorizer: Authorizer::new(),
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
        let mut wanted = vec![principal.clone()];
        if let Some((ty, id)) = &resource {
            wanted.push(EntityRef {
                entity_type: ty.to_string(),
                id: id.clone(),
            });
        }
        let loaded = cache
            .get(loader, &wanted)
            .await
            .map_err(|_| Refusal::Entities)?;

        // The principal: what the loader knows, under guard's own attributes.
        let mut caller = loaded[0]
            .clone()
            .unwrap_or_else(|| json!({"attrs": {}, "parents": []}));
        caller["uid"] = json!({"type": schema::CALLER, "id": principal_id});
        let attrs = caller["attrs"].as_object_mut().ok_or(Refusal::Entities)?;
        attrs.insert("agent".into(), json!(ctx.agent_id()));
        attrs.insert(
            "roles".into(),
            Value::Array(ctx.role_names().map(|r| json!(r)).collect()),
        );
        match ctx.user_id() {
            Some(user) => attrs.insert("user".into(), json!(user)),
            None => attrs.remove("user"),
        };
        match ctx.session_id() {
            Some(session) => attrs.insert("session".into(), json!(session)),
            None => attrs.remove("session"),
        };
        let mut entity_json = vec![
            caller,
            json!({"uid": {"type": schema::TOOL, "id": tool}, "attrs": {}, "parents": []}),
        ];
        if let Some(Some(entity)) = loaded.get(1) {
            entity_json.push(entity.clone());
        }
        let entities = self
            .actions
            .clone()
            .add_entities_from_json_value(Value::Array(entity_json), Some(&self.schema))
            .map_err(|e| {
                tracing::warn!(target: "guard::cedar", error = %e, "entity data does not fit the schema");
                Refusal::Entities
            })?;

        let resource_uid = match resource {
            Some((ty, id)) => EntityUid::from_type_name_and_id(ty.clone(), EntityId::new(id)),
            None => cedar.tool.clone(),
        };
        let input = schema::convert(args, &cedar.input).unwrap_or_else(|| json!({}));
        let context = json!({
            "input": input,
            "risk": risk,
            "sources": sources,
            "sinks": sinks,
        });
        let context = Context::from_json_value(context, Some((&self.schema, &cedar.action)))
            .map_err(|e| {
                tracing::warn!(target: "guard::cedar", error = %e, "context does not fit the schema");
                Refusal::Policy("context".into())
            })?;
        let principal_uid = EntityUid::from_type_name_and_id(
            EntityTypeName::from_str(schema::CALLER).expect("a valid type name"),
            EntityId::new(principal_id),
        );
        let request = Request::new(
            principal_uid,
            cedar.action.clone(),
            resource_uid,
            context,
            Some(&self.schema),
        )
        .map_err(|e| {
            tracing::warn!(target: "guard::cedar", error = %e, "request does not fit the schema");
            Refusal::Policy("request".into())
        })?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &entities);
        let name = |id: &PolicyId| {
            self.names
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
        };
        // A policy that fails to evaluate is skipped by Cedar; a skipped
        // `forbid` would let the call through, so any error refuses it.
        if let Some(error) = response.diagnostics().errors().next() {
            tracing::warn!(target: "guard::cedar", %error, "a Cedar policy failed to evaluate");
            let cedar_policy::AuthorizationError::PolicyEvaluationError(error) = error;
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
}
