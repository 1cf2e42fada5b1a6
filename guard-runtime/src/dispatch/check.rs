//! One call's own checks, in order: the agent's allow-list and roles, the
//! size cap, the typed fast path, JSON, schema, security validators, the
//! outbound leak check, Cedar, and binding the arguments to the body.

use std::panic::AssertUnwindSafe;

use serde_json::{Map, Value};

use super::{Checked, MAX_REASON_CHARS};
use crate::call::ToolCall;
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outbound::{self, LeakAction};
use crate::outcome::{DenyReason, FailReason, Outcome, safe_text};
use crate::policy::cedar::EntityCache;
use crate::policy::rules::{backend_failed, unavailable};
use crate::policy::{PolicyPlan, ToolPlan};
use crate::registry::{Invocation, ToolEntry};
use crate::validate;
use crate::validate::{CheckedArgs, ToolValidators};

impl Guard {
    /// The checks of one call on its own, in order: policy (allowed, roles),
    /// size cap, JSON, schema, validators, outbound leaks, Cedar,
    /// deserialization. Rate limits are shared state and come with the
    /// batch rules.
    pub(super) async fn check<'g>(
        &'g self,
        ctx: &CallContext,
        call: &ToolCall,
        entry: &'g ToolEntry,
        tool: &ToolPlan,
        plan: &PolicyPlan,
        entities: &EntityCache,
    ) -> Checked<'g> {
        match self
            .check_call(ctx, call, entry, tool, plan, entities)
            .await
        {
            Ok((invocation, args, confirm)) => Checked::Ready(entry, invocation, args, confirm),
            Err(outcome) => Checked::Refused(Some(entry), outcome),
        }
    }

    async fn check_call(
        &self,
        ctx: &CallContext,
        call: &ToolCall,
        entry: &ToolEntry,
        tool: &ToolPlan,
        plan: &PolicyPlan,
        #[cfg_attr(not(feature = "cedar"), allow(unused_variables))] entities: &EntityCache,
    ) -> Result<(Invocation, Option<Value>, Option<&'static str>), Outcome> {
        if let Some(reason) = tool.refusal(ctx, || plan.agent(ctx).section.to_string()) {
            return Err(Outcome::Denied { reason });
        }
        let limit = self.inner.max_argument_bytes;
        if call.arguments.len() > limit {
            return Err(Outcome::ArgumentsTooLarge {
                size: call.arguments.len(),
                limit,
            });
        }
        let validators = tool_validators(entry, tool)?;
        // Arguments that go out are read whole: no fast path for them.
        let outbound = plan.outbound.as_ref().unwrap_or(&self.inner.outbound);
        let outbound_rules = outbound.rules_for(entry.registration.name, &tool.sinks);
        #[cfg(feature = "cedar")]
        let cedar_on = plan.cedar.is_some();
        #[cfg(not(feature = "cedar"))]
        let cedar_on = false;
        if tool.sandbox.is_none()
            && !cedar_on
            && entry.typed_fast_path()
            && validators.raw_text_is_enough(&call.arguments)
            && let Some(ready) = fast_path(ctx, call, entry)
        {
            let invocation = ready?;
            let Some(rules) = outbound_rules else {
                return Ok((invocation, None, None));
            };
            // Outgoing arguments read as sent; anything to redact or
            // confirm is settled on the full path.
            let probe = self.taint_wanted(ctx, rules, plan).await?;
            let mut probes = Vec::new();
            if let Some(inspection) =
                outbound::inspect_raw(rules, outbound.key(), &call.arguments, probe, &mut probes)
                && self
                    .outbound_verdict(ctx, entry, rules, plan, &inspection, &probes)
                    .await?
                    .is_none()
            {
                return Ok((invocation, None, None));
            }
        }
        let mut args = parse_arguments(&call.arguments)?;
        schema_check(entry, &mut args)?;
        let mut checked = validators
            .run(&mut args)
            .await
            .map_err(|(pointer, violation)| Outcome::UnsafeArgument {
                pointer,
                code: violation.code.to_owned(),
                detail: violation.detail,
            })?;
        let confirm = match outbound_rules {
            Some(rules) => {
                let probe = self.taint_wanted(ctx, rules, plan).await?;
                let mut probes = Vec::new();
                let inspection =
                    outbound::inspect(rules, outbound.key(), &mut args, probe, &mut probes);
                self.outbound_verdict(ctx, entry, rules, plan, &inspection, &probes)
                    .await?
            }
            None => None,
        };
        // Cedar decides last, over the arguments every other check passed.
        #[cfg(feature = "cedar")]
        self.check_cedar(ctx, entry, tool, plan, entities, &args)
            .await?;
        let invocation = self.bind(ctx, entry, tool, &args, &mut checked)?;
        Ok((invocation, Some(args), confirm))
    }

    /// Asks the policy's Cedar policies about the call.
    #[cfg(feature = "cedar")]
    async fn check_cedar(
        &self,
        ctx: &CallContext,
        entry: &ToolEntry,
        tool: &ToolPlan,
        plan: &PolicyPlan,
        entities: &EntityCache,
        args: &Value,
    ) -> Result<(), Outcome> {
        use crate::policy::cedar::Refusal;
        let Some(cedar) = &plan.cedar else {
            return Ok(());
        };
        let decided = cedar
            .authorize(
                ctx,
                entry.registration.name,
                args,
                tool.risk.as_str(),
                &tool.sources,
                &tool.sinks,
                self.inner.entity_loader.as_deref(),
                entities,
                &*self.inner.state,
            )
            .await;
        let reason = match decided {
            Ok(()) => return Ok(()),
            Err(Refusal::Policy(id)) => DenyReason::Policy { id },
            Err(Refusal::Entities) => DenyReason::EntitiesUnavailable,
            Err(Refusal::Backend) => DenyReason::BackendUnavailable,
        };
        Err(Outcome::Denied { reason })
    }

    /// Binds the checked arguments to the body: in process, or (for a
    /// sandboxed tool) as a request to a worker. Binding here too finds a
    /// mismatch before a worker is used.
    #[cfg_attr(
        not(all(feature = "sandbox", target_os = "linux")),
        allow(unused_variables)
    )]
    fn bind(
        &self,
        ctx: &CallContext,
        entry: &ToolEntry,
        tool: &ToolPlan,
        args: &Value,
        checked: &mut CheckedArgs,
    ) -> Result<Invocation, Outcome> {
        #[cfg(all(feature = "sandbox", target_os = "linux"))]
        let remote = tool.sandbox.as_ref().map(|sandbox| {
            let request =
                crate::sandbox::Sandboxes::request(entry.registration.name, args, checked, ctx);
            (sandbox, request)
        });
        let prepare = entry.registration.prepare;
        match std::panic::catch_unwind(AssertUnwindSafe(|| prepare(args, ctx.clone(), checked))) {
            #[cfg(all(feature = "sandbox", target_os = "linux"))]
            Ok(Ok(_)) if remote.is_some() => {
                let (sandbox, request) = remote.expect("checked above");
                Ok(self.inner.sandboxes.invocation(sandbox, request))
            }
            Ok(Ok(invocation)) => Ok(invocation),
            Ok(Err(err)) => Err(Outcome::InvalidArguments {
                pointer: String::new(),
                reason: safe_text(&err.to_string(), MAX_REASON_CHARS),
            }),
            Err(_) => Err(Outcome::Failed {
                reason: FailReason::Panicked,
            }),
        }
    }

    /// Whether a sink call's strings need taint probes: taint is checked
    /// and the session may hold source content. A backend that cannot say
    /// refuses the call as [`backend_failed`] decides.
    async fn taint_wanted(
        &self,
        ctx: &CallContext,
        rules: outbound::Rules,
        plan: &PolicyPlan,
    ) -> Result<bool, Outcome> {
        if rules.taint == LeakAction::Off {
            return Ok(false);
        }
        match self.inner.state.holds_content(ctx.state_session()).await {
            Ok(holds) => Ok(holds),
            Err(err) if backend_failed(plan, &err).is_some() => Err(unavailable()),
            Err(_) => Ok(false),
        }
    }

    /// The outbound verdict on a sink call's inspected arguments:
    /// credentials and personal data found, and content a source tool
    /// returned in this session (asked of the backend with `probes`). A
    /// refusal is the `Err`; `Ok` carries what needs confirming, if
    /// anything.
    async fn outbound_verdict(
        &self,
        ctx: &CallContext,
        entry: &ToolEntry,
        rules: outbound::Rules,
        plan: &PolicyPlan,
        inspection: &outbound::Inspection,
        probes: &[u64],
    ) -> Result<Option<&'static str>, Outcome> {
        let mut verdict = inspection.verdict;
        if rules.taint != LeakAction::Off && !probes.is_empty() {
            match self
                .inner
                .state
                .content_seen(ctx.state_session(), probes)
                .await
            {
                // Source content cannot be cut out of reworded text: redact blocks.
                Ok(true) => {
                    let action = if rules.taint == LeakAction::Redact {
                        LeakAction::Block
                    } else {
                        rules.taint
                    };
                    if verdict.is_none_or(|(a, _)| action > a) {
                        verdict = Some((action, "source content"));
                    }
                }
                Ok(false) => {}
                Err(err) => {
                    if backend_failed(plan, &err).is_some() {
                        return Err(unavailable());
                    }
                }
            }
        }
        match verdict {
            Some((LeakAction::Block, kind)) => Err(Outcome::Denied {
                reason: DenyReason::Leak {
                    kind: kind.to_owned(),
                },
            }),
            Some((LeakAction::Confirm, kind)) => Ok(Some(kind)),
            Some((_, kind)) => {
                tracing::warn!(target: "guard::outbound", tool = entry.registration.name,
                    kinds = ?inspection.kinds, "outgoing arguments carry {kind}");
                Ok(None)
            }
            None => Ok(None),
        }
    }
}

/// The tool's security validators: the policy's narrowed set, or its own.
fn tool_validators<'a>(
    entry: &'a ToolEntry,
    tool: &'a ToolPlan,
) -> Result<&'a ToolValidators, Outcome> {
    let own = match &tool.validators {
        Some(validators) => Ok(validators),
        None => entry.argument_validators(),
    };
    own.map_err(|message| {
        tracing::error!(target: "guard", tool = entry.registration.name, %message,
            "argument validators cannot be built; refusing the call");
        Outcome::Failed {
            reason: FailReason::ValidatorUnavailable,
        }
    })
}

/// The typed fast path: the raw text deserialised straight into the
/// tool's arguments. `None` when it does not apply, so the full path
/// explains the problem in the schema's terms.
fn fast_path(
    ctx: &CallContext,
    call: &ToolCall,
    entry: &ToolEntry,
) -> Option<Result<Invocation, Outcome>> {
    let prepare_str = entry.registration.prepare_str;
    match std::panic::catch_unwind(AssertUnwindSafe(|| {
        prepare_str(&call.arguments, ctx.clone())
    })) {
        Ok(Ok(invocation)) => Some(Ok(invocation)),
        Ok(Err(_)) => None,
        Err(_) => Some(Err(Outcome::Failed {
            reason: FailReason::Panicked,
        })),
    }
}

/// The arguments as JSON. Some providers send "" for a call without arguments.
fn parse_arguments(raw: &str) -> Result<Value, Outcome> {
    if raw.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str::<Value>(raw).map_err(|err| Outcome::MalformedArguments {
        reason: safe_text(&err.to_string(), MAX_REASON_CHARS),
    })
}

/// The tool's JSON Schema, after the nulls it treats as absent are removed.
fn schema_check(entry: &ToolEntry, args: &mut Value) -> Result<(), Outcome> {
    let validator = entry.schema_validator().map_err(|message| {
        tracing::error!(target: "guard", tool = entry.registration.name, %message,
            "argument schema does not compile; refusing the call");
        Outcome::Failed {
            reason: FailReason::SchemaUnavailable,
        }
    })?;
    let nulls = entry.null_plan();
    if !nulls.is_empty() {
        nulls.apply(args);
    }
    validate::check(validator, args).map_err(|violation| Outcome::InvalidArguments {
        pointer: violation.pointer,
        reason: violation.reason,
    })
}
