//! The dispatcher: every call goes through the same checks, in order —
//! known tool, policy, size cap, JSON parse, schema, validators,
//! deserialize, rate limits — then the batch rules (quotas, data flows,
//! all-or-nothing, confirmation), and a batch is decided completely before
//! any of it runs. Every call gets exactly one reply, in the calls' order.

mod approve;
mod batch;
mod dry;

use std::collections::HashSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Map, Value};

use crate::audit::{CallRecord, SandboxRecord, refusal_note};
use crate::call::{ToolCall, ToolReply};
use crate::context::CallContext;
use crate::exec;
use crate::guard::{Guard, Inner};
use crate::limits::TurnLimits;
use crate::outbound::{self, LeakAction};
use crate::outcome::{DenyReason, FailReason, Outcome, safe_text};
use crate::policy::cedar::EntityCache;
use crate::policy::rules::{backend_failed, unavailable};
use crate::policy::{PolicyPlan, ToolPlan};
use crate::registry::{Invocation, ToolEntry};
use crate::scan::without_secrets;
use crate::state::AdmitCall;
use crate::validate;

/// Longest tool-error message passed on to the model.
const MAX_TOOL_ERROR_CHARS: usize = 1000;
/// Longest confirmer message passed on to the model.
const MAX_DENY_CHARS: usize = 500;
/// Longest parser or deserializer message in a refusal.
const MAX_REASON_CHARS: usize = 200;

/// One call of a batch: when its checks began, the tool it named, its answer
/// once known, and what the policy decided.
struct Slot<'g> {
    started: Instant,
    entry: Option<&'g ToolEntry>,
    answer: Option<Answer>,
    decision: Arc<str>,
}

/// A call that passed its own checks and waits for the batch rules.
pub(super) struct Ready<'g, 'p> {
    /// Its position in the batch.
    pub(super) call: usize,
    pub(super) entry: &'g ToolEntry,
    pub(super) tool: &'p ToolPlan,
    pub(super) invocation: Invocation,
    /// The parsed arguments, when the checks needed them.
    pub(super) args: Option<Value>,
    /// Set when a flow rule asks for confirmation: the rule's name.
    pub(super) flow_confirm: Option<String>,
    /// Set when a flow rule only logs: the rule's name.
    pub(super) flow_logged: Option<String>,
    /// Set when the state backend failed and the policy let the call go on.
    pub(super) backend_note: Option<String>,
    /// Set when the outbound check asks for confirmation: what the
    /// arguments carry (`secret`, `personal data`, `source content`).
    pub(super) outbound_confirm: Option<&'static str>,
}

/// A call after its own checks: ready, or already answered.
enum Checked<'g> {
    /// Ready to run; with what the outbound check wants confirmed, if anything.
    Ready(
        &'g ToolEntry,
        Invocation,
        Option<Value>,
        Option<&'static str>,
    ),
    Refused(Option<&'g ToolEntry>, Outcome),
}

impl Guard {
    /// Checks and runs a batch of tool calls (one model turn) and answers each.
    ///
    /// Replies come in the calls' order, one per call, including for
    /// malformed JSON, unknown tools and duplicate ids (a repeated id is
    /// refused; the first call with that id runs). Each call is checked on
    /// its own (policy, size, schema, validators, rate limits), then the
    /// batch as a whole (turn and session quotas, data-flow rules,
    /// all-or-nothing batches, confirmations); nothing runs before all of it
    /// is decided. Calls that pass run concurrently (at most `max_parallel`
    /// of them; tools at or above the policy's `sequential_risk` one at a
    /// time); plain `fn` tools run on Tokio's blocking pool. A panicking
    /// tool becomes a `Failed` reply.
    pub async fn dispatch(&self, ctx: &CallContext, calls: &[ToolCall]) -> Vec<ToolReply> {
        self.dispatch_with(ctx, calls, false).await
    }

    /// [`Guard::dispatch`], parking every call that needs confirmation
    /// (`Outcome::PendingApproval`, finished by [`Guard::resume`]) whatever
    /// the builder chose: for integrations that ask the person themselves,
    /// such as MCP elicitation.
    #[cfg_attr(not(feature = "mcp"), allow(dead_code))]
    pub(crate) async fn dispatch_deferring(
        &self,
        ctx: &CallContext,
        calls: &[ToolCall],
    ) -> Vec<ToolReply> {
        self.dispatch_with(ctx, calls, true).await
    }

    async fn dispatch_with(
        &self,
        ctx: &CallContext,
        calls: &[ToolCall],
        defer: bool,
    ) -> Vec<ToolReply> {
        // One policy for the whole batch, even if `set_policy` runs meanwhile.
        let plan = self.inner.policy.load_full();
        let agent = plan.agent(ctx);
        // What Cedar policies read, loaded once per batch.
        let entities = EntityCache::default();
        let mut slots: Vec<Slot<'_>> = Vec::with_capacity(calls.len());
        let mut ready: Vec<Ready<'_, '_>> = Vec::new();
        let mut seen_ids = SeenIds::new(calls.len());
        let cap = plan
            .max_calls_per_batch
            .unwrap_or(self.inner.max_calls_per_batch);
        for (i, call) in calls.iter().enumerate() {
            let started = Instant::now();
            if i >= cap {
                // Past the cap nothing about the call is read but its id.
                slots.push(Slot {
                    started,
                    entry: None,
                    answer: Some(Answer::refusal(Outcome::Denied {
                        reason: DenyReason::TooManyCalls { limit: cap },
                    })),
                    decision: format!("{}: max_calls_per_batch {cap}", agent.section).into(),
                });
                continue;
            }
            let found = self.inner.registry.get_indexed(&call.name);
            let tool = found.map(|(index, _)| &agent.tools[index]);
            let checked = match (found, tool) {
                _ if seen_ids.repeated(calls, i) => {
                    Checked::Refused(found.map(|(_, entry)| entry), Outcome::DuplicateCallId)
                }
                (Some((_, entry)), Some(tool)) => {
                    self.check(ctx, call, entry, tool, &plan, &entities).await
                }
                _ => Checked::Refused(
                    None,
                    Outcome::UnknownTool {
                        name: echoable_name(&call.name),
                    },
                ),
            };
            // The audit note names what decided, refusals included.
            let decision = match (tool.and_then(|t| t.refused_by.as_deref()), &checked) {
                (Some(rule), _) => format!("{}: {rule}", agent.section).into(),
                (None, Checked::Refused(_, outcome)) => {
                    format!("{}: {}", agent.section, refusal_note(outcome)).into()
                }
                (None, Checked::Ready(..)) => agent.allowed.clone(),
            };
            let (entry, answer) = match checked {
                Checked::Ready(entry, invocation, args, outbound_confirm) => {
                    ready.push(Ready {
                        call: i,
                        entry,
                        tool: tool.expect("a ready call names a tool"),
                        invocation,
                        args,
                        flow_confirm: None,
                        flow_logged: None,
                        backend_note: None,
                        outbound_confirm,
                    });
                    (Some(entry), None)
                }
                Checked::Refused(entry, outcome) => (entry, Some(Answer::refusal(outcome))),
            };
            slots.push(Slot {
                started,
                entry,
                answer,
                decision,
            });
        }

        let first_refused = slots.iter().position(|slot| slot.answer.is_some());
        let (mut ready, refusals) = self
            .batch_rules(ctx, calls, &plan, ready, first_refused, defer)
            .await;
        for (i, outcome, note) in refusals {
            slots[i].answer = Some(Answer::refusal(outcome));
            if let Some(note) = note {
                slots[i].decision = format!("{}: {note}", agent.section).into();
            }
        }
        for r in &ready {
            if let Some(rule) = &r.flow_confirm {
                slots[r.call].decision = format!("{}: flow {rule} confirmed", agent.section).into();
            } else if let Some(rule) = &r.flow_logged {
                slots[r.call].decision = format!("{}: flow {rule} logged", agent.section).into();
            } else if let Some(note) = &r.backend_note {
                slots[r.call].decision = format!("{}: {note}", agent.section).into();
            }
        }

        if ready.len() == 1 {
            // Alone in its turn: no turn limits to wait for.
            let r = ready.pop().expect("one call");
            let timeout = r.tool.timeout.unwrap_or(self.inner.default_timeout);
            let answer = execute(r.entry, r.invocation, timeout, &self.inner)
                .await
                .sandboxed(&self.inner, r.tool);
            slots[r.call].answer = Some(self.taint_from(ctx, &plan, r.tool, answer).await);
        } else if !ready.is_empty() {
            let turn = TurnLimits::new(plan.max_parallel);
            let plan_ref: &PolicyPlan = &plan;
            let (indices, runs): (Vec<usize>, Vec<_>) = ready
                .into_iter()
                .map(|r| {
                    let timeout = r.tool.timeout.unwrap_or(self.inner.default_timeout);
                    let sequential = r.tool.risk >= plan.sequential_risk;
                    let turn = &turn;
                    (r.call, async move {
                        let _permits = turn.enter(sequential).await;
                        let answer = execute(r.entry, r.invocation, timeout, &self.inner)
                            .await
                            .sandboxed(&self.inner, r.tool);
                        self.taint_from(ctx, plan_ref, r.tool, answer).await
                    })
                })
                .unzip();
            for (i, answer) in indices.into_iter().zip(join_all(runs).await) {
                slots[i].answer = Some(answer);
            }
        }

        calls
            .iter()
            .zip(slots)
            .map(|(call, slot)| {
                let answer = slot.answer.expect("every call is answered");
                self.audit(ctx, call, slot.entry, &answer, slot.decision, slot.started);
                ToolReply {
                    tool_call_id: call.id.clone(),
                    content: answer.content,
                    outcome: answer.outcome,
                }
            })
            .collect()
    }

    /// The checks of one call on its own, in order: policy (allowed, roles),
    /// size cap, JSON, schema, validators, deserialization. Rate limits are
    /// shared state and come with the batch rules.
    async fn check<'g>(
        &'g self,
        ctx: &CallContext,
        call: &ToolCall,
        entry: &'g ToolEntry,
        tool: &ToolPlan,
        plan: &PolicyPlan,
        #[cfg_attr(not(feature = "cedar"), allow(unused_variables))] entities: &EntityCache,
    ) -> Checked<'g> {
        let refuse = |outcome| Checked::Refused(Some(entry), outcome);

        if let Some(rule) = &tool.refused_by {
            return refuse(Outcome::Denied {
                reason: DenyReason::NotAllowed {
                    section: plan.agent(ctx).section.to_string(),
                    rule: rule.clone(),
                },
            });
        }
        if let Some(any_of) = tool.missing_role(ctx) {
            return refuse(Outcome::Denied {
                reason: DenyReason::MissingRole {
                    any_of: any_of.to_vec(),
                },
            });
        }

        let limit = self.inner.max_argument_bytes;
        if call.arguments.len() > limit {
            return refuse(Outcome::ArgumentsTooLarge {
                size: call.arguments.len(),
                limit,
            });
        }

        let own = match &tool.validators {
            Some(validators) => Ok(validators),
            None => entry.validators(),
        };
        let validators = match own {
            Ok(validators) => validators,
            Err(message) => {
                tracing::error!(target: "guard", tool = entry.registration.name, %message,
                    "argument validators cannot be built; refusing the call");
                return refuse(Outcome::Failed {
                    reason: FailReason::ValidatorUnavailable,
                });
            }
        };

        // Arguments that go out are read whole: no fast path for them.
        let outbound = plan.outbound.as_ref().unwrap_or(&self.inner.outbound);
        let outbound_rules = outbound.rules_for(entry.registration.name, &tool.sinks);
        #[cfg(feature = "cedar")]
        let cedar_on = plan.cedar.is_some();
        #[cfg(not(feature = "cedar"))]
        let cedar_on = false;
        if outbound_rules.is_none()
            && tool.sandbox.is_none()
            && !cedar_on
            && entry.typed_fast_path()
            && validators.raw_text_is_enough(&call.arguments)
        {
            let prepare_str = entry.registration.prepare_str;
            match std::panic::catch_unwind(AssertUnwindSafe(|| {
                prepare_str(&call.arguments, ctx.clone())
            })) {
                Ok(Ok(invocation)) => return Checked::Ready(entry, invocation, None, None),
                // The full path below explains the problem in the schema's terms.
                Ok(Err(_)) => {}
                Err(_) => {
                    return refuse(Outcome::Failed {
                        reason: FailReason::Panicked,
                    });
                }
            }
        }

        // Some providers send "" for a call without arguments.
        let mut args = if call.arguments.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            match serde_json::from_str::<Value>(&call.arguments) {
                Ok(args) => args,
                Err(err) => {
                    return refuse(Outcome::MalformedArguments {
                        reason: safe_text(&err.to_string(), MAX_REASON_CHARS),
                    });
                }
            }
        };

        let validator = match entry.validator() {
            Ok(validator) => validator,
            Err(message) => {
                tracing::error!(target: "guard", tool = entry.registration.name, %message,
                    "argument schema does not compile; refusing the call");
                return refuse(Outcome::Failed {
                    reason: FailReason::SchemaUnavailable,
                });
            }
        };
        let nulls = entry.null_plan();
        if !nulls.is_empty() {
            nulls.apply(&mut args);
        }
        if let Err(violation) = validate::check(validator, &args) {
            return refuse(Outcome::InvalidArguments {
                pointer: violation.pointer,
                reason: violation.reason,
            });
        }

        let mut checked = match validators.run(&mut args).await {
            Ok(checked) => checked,
            Err((pointer, violation)) => {
                return refuse(Outcome::UnsafeArgument {
                    pointer,
                    code: violation.code.to_owned(),
                    detail: violation.detail,
                });
            }
        };

        let mut outbound_confirm = None;
        if let Some(rules) = outbound_rules {
            match self
                .check_outbound(ctx, entry, rules, outbound.key(), plan, &mut args)
                .await
            {
                Ok(confirm) => outbound_confirm = confirm,
                Err(outcome) => return refuse(outcome),
            }
        }

        // Cedar decides last, over the arguments every other check passed.
        #[cfg(feature = "cedar")]
        if let Some(cedar) = &plan.cedar {
            use crate::policy::cedar::Refusal;
            let decided = cedar
                .authorize(
                    ctx,
                    entry.registration.name,
                    &args,
                    tool.risk.as_str(),
                    &tool.sources,
                    &tool.sinks,
                    self.inner.entity_loader.as_deref(),
                    entities,
                    &*self.inner.state,
                )
                .await;
            match decided {
                Ok(()) => {}
                Err(Refusal::Policy(id)) => {
                    return refuse(Outcome::Denied {
                        reason: DenyReason::Policy { id },
                    });
                }
                Err(Refusal::Entities) => {
                    return refuse(Outcome::Denied {
                        reason: DenyReason::EntitiesUnavailable,
                    });
                }
                Err(Refusal::Backend) => {
                    return refuse(Outcome::Denied {
                        reason: DenyReason::BackendUnavailable,
                    });
                }
            }
        }

        // A sandboxed body gets what was checked, in a worker; binding the
        // arguments here too finds a mismatch before a worker is used.
        #[cfg(all(feature = "sandbox", target_os = "linux"))]
        let remote = tool.sandbox.as_ref().map(|sandbox| {
            let request =
                crate::sandbox::Sandboxes::request(entry.registration.name, &args, &checked, ctx);
            (sandbox, request)
        });
        let prepare = entry.registration.prepare;
        let invocation = match std::panic::catch_unwind(AssertUnwindSafe(|| {
            prepare(&args, ctx.clone(), &mut checked)
        })) {
            #[cfg(all(feature = "sandbox", target_os = "linux"))]
            Ok(Ok(_)) if remote.is_some() => {
                let (sandbox, request) = remote.expect("checked above");
                self.inner.sandboxes.invocation(sandbox, request)
            }
            Ok(Ok(invocation)) => invocation,
            Ok(Err(err)) => {
                return refuse(Outcome::InvalidArguments {
                    pointer: String::new(),
                    reason: safe_text(&err.to_string(), MAX_REASON_CHARS),
                });
            }
            Err(_) => {
                return refuse(Outcome::Failed {
                    reason: FailReason::Panicked,
                });
            }
        };

        Checked::Ready(entry, invocation, Some(args), outbound_confirm)
    }

    /// Remembers what a `source` tool returned (its fingerprints, in the
    /// session's state) so that a later sink call carrying it is caught.
    /// When it cannot be remembered, the output is withheld: the model
    /// cannot send out what it never saw.
    pub(super) async fn taint_from(
        &self,
        ctx: &CallContext,
        plan: &PolicyPlan,
        tool: &ToolPlan,
        answer: Answer,
    ) -> Answer {
        let outbound = plan.outbound.as_ref().unwrap_or(&self.inner.outbound);
        if tool.sources.is_empty() || !answer.outcome.is_success() || !outbound.tracks_sources() {
            return answer;
        }
        let mut fingerprints = Vec::new();
        outbound::fingerprint::fingerprints(outbound.key(), &answer.content, &mut fingerprints);
        if fingerprints.is_empty() {
            return answer;
        }
        match self
            .inner
            .state
            .remember_content(ctx.state_session(), &fingerprints)
            .await
        {
            Ok(()) => answer,
            // Withheld unless the policy lets calls go on (logged either way).
            Err(err) => match backend_failed(plan, &err) {
                Some(_) => Answer::refusal(unavailable()),
                None => answer,
            },
        }
    }

    /// The outbound check of a call to a sink tool: credentials and personal
    /// data in its arguments, and content a source tool returned in this
    /// session. Redactions happen in `args`; a refusal is the `Err`; `Ok`
    /// carries what needs confirming, if anything.
    async fn check_outbound(
        &self,
        ctx: &CallContext,
        entry: &ToolEntry,
        rules: outbound::Rules,
        key: u64,
        plan: &PolicyPlan,
        args: &mut Value,
    ) -> Result<Option<&'static str>, Outcome> {
        let mut probes = Vec::new();
        let inspection = outbound::inspect(rules, key, args, &mut probes);
        let mut verdict = inspection.verdict;
        if rules.taint != LeakAction::Off && !probes.is_empty() {
            match self
                .inner
                .state
                .content_seen(ctx.state_session(), &probes)
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

    fn audit(
        &self,
        ctx: &CallContext,
        call: &ToolCall,
        entry: Option<&ToolEntry>,
        answer: &Answer,
        policy: Arc<str>,
        started: Instant,
    ) {
        let event = CallRecord {
            ctx,
            call,
            entry,
            outcome: &answer.outcome,
            content: &answer.content,
            policy,
            latency: answer.finished - started,
            sandbox: answer.sandbox.clone(),
        }
        .event(self.inner.audit_content);
        for sink in &self.inner.sinks {
            sink.record(&event);
        }
    }
}

/// Finds repeated call ids: a scan for the usual small batches, a set for
/// large ones, so a huge batch cannot make this quadratic.
enum SeenIds<'c> {
    Scan,
    Set(HashSet<&'c str>),
}

impl<'c> SeenIds<'c> {
    const SCAN_UP_TO: usize = 16;

    fn new(batch: usize) -> Self {
        if batch <= Self::SCAN_UP_TO {
            SeenIds::Scan
        } else {
            SeenIds::Set(HashSet::with_capacity(batch))
        }
    }

    fn repeated(&mut self, calls: &'c [ToolCall], i: usize) -> bool {
        match self {
            SeenIds::Scan => calls[..i].iter().any(|earlier| earlier.id == calls[i].id),
            SeenIds::Set(seen) => !seen.insert(&calls[i].id),
        }
    }
}

/// A call's questions for the state backend: its rate limits (the tool's
/// own unless the policy replaced it, the policy's, the caller's per-user
/// quota) and whether it takes a session-quota place.
fn admit_call<'a>(
    entry: &'a ToolEntry,
    tool: &'a ToolPlan,
    plan: &'a PolicyPlan,
    counts: bool,
) -> AdmitCall<'a> {
    AdmitCall::new(
        entry.registration.name,
        counts,
        entry.rate.as_ref().filter(|_| tool.attribute_rate),
        &tool.rates,
        plan.user_rate.as_ref(),
    )
}

/// Whether a call has any rate limit to pass.
fn has_rates(entry: &ToolEntry, tool: &ToolPlan, plan: &PolicyPlan) -> bool {
    admit_call(entry, tool, plan, false).rates().len() > 0
}

/// A call's reply and when it was ready.
pub(super) struct Answer {
    outcome: Outcome,
    content: String,
    finished: Instant,
    sandbox: Option<SandboxRecord>,
}

impl Answer {
    fn refusal(outcome: Outcome) -> Self {
        let content = outcome.model_content().unwrap_or_default();
        Answer {
            outcome,
            content,
            finished: Instant::now(),
            sandbox: None,
        }
    }

    /// Notes the sandbox the body ran in, for the audit record.
    #[cfg_attr(
        not(all(feature = "sandbox", target_os = "linux")),
        allow(unused_variables, unused_mut)
    )]
    pub(super) fn sandboxed(mut self, inner: &Inner, tool: &ToolPlan) -> Self {
        #[cfg(all(feature = "sandbox", target_os = "linux"))]
        if let Some(sandbox) = &tool.sandbox {
            self.sandbox = Some(SandboxRecord {
                profile: sandbox.name.clone(),
                layers: inner.sandboxes.enforced(&sandbox.profile),
            });
        }
        self
    }
}

/// Runs a checked call (exec: places, deadline, panics) and passes what it
/// returned through the output stage.
async fn execute(
    entry: &ToolEntry,
    invocation: Invocation,
    timeout: Duration,
    inner: &Inner,
) -> Answer {
    let name = entry.registration.name;
    let ended = exec::execute(
        name,
        invocation,
        timeout,
        &inner.concurrency,
        &inner.detached,
    )
    .await;
    let content = match ended {
        Ok(content) => content,
        Err(failure) => {
            return Answer::refusal(
                failure.into_outcome(|message| without_secrets(message, MAX_TOOL_ERROR_CHARS)),
            );
        }
    };
    let handled = inner.output.handle(name, content);
    if let Some(reason) = handled.blocked {
        tracing::warn!(target: "guard::output", tool = name, reason, "tool output withheld");
        return Answer::refusal(Outcome::OutputBlocked {
            reason: reason.to_owned(),
        });
    }
    let outcome =
        if handled.redacted.is_empty() && handled.injection_score.is_none() && !handled.truncated {
            Outcome::Success
        } else {
            Outcome::Sanitized {
                redacted: handled.redacted,
                injection_score: handled.injection_score,
                truncated: handled.truncated,
            }
        };
    Answer {
        outcome,
        content: handled.content,
        finished: Instant::now(),
        sandbox: None,
    }
}

/// The requested name, echoed back only when it looks like a tool name.
fn echoable_name(name: &str) -> String {
    let plausible = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plausible {
        name.to_owned()
    } else {
        String::new()
    }
}
