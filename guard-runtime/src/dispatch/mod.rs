//! The dispatcher: every call goes through the same checks, in order —
//! known tool, policy, size cap, JSON parse, schema, validators,
//! deserialize, rate limits — then the batch rules (quotas, data flows,
//! all-or-nothing, confirmation), and a batch is decided completely before
//! any of it runs. Every call gets exactly one reply, in the calls' order.

mod approve;
mod batch;
mod check;
mod dry;
mod intake;
mod run;

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::audit::{SandboxRecord, StepTimes};
use crate::call::{ToolCall, ToolReply};
use crate::context::CallContext;
use crate::guard::{Guard, Inner};
use crate::outcome::Outcome;
use crate::policy::cedar::EntityCache;
use crate::policy::{AgentPlan, PolicyPlan, ToolPlan};
use crate::registry::{Invocation, ToolEntry};
use crate::state::AdmitCall;

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

impl<'g, 'p> Ready<'g, 'p> {
    fn new(call: usize, entry: &'g ToolEntry, tool: &'p ToolPlan, invocation: Invocation) -> Self {
        Ready {
            call,
            entry,
            tool,
            invocation,
            args: None,
            flow_confirm: None,
            flow_logged: None,
            backend_note: None,
            outbound_confirm: None,
        }
    }
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
        // What Cedar policies read, loaded once per batch.
        let entities = EntityCache::default();
        let agent = plan.agent(ctx);
        let (mut slots, ready) = self.intake(ctx, calls, &plan, agent, &entities).await;
        let first_refused = slots.iter().position(|slot| slot.answer.is_some());
        let (ready, refusals) = self
            .batch_rules(ctx, calls, &plan, ready, first_refused, defer)
            .await;
        note_batch_decisions(&mut slots, agent, refusals, &ready);
        self.run_turn(ctx, &plan, ready, |i, answer| {
            slots[i].answer = Some(answer)
        })
        .await;
        calls
            .iter()
            .zip(slots)
            .map(|(call, slot)| {
                let answer = slot.answer.expect("every call is answered");
                self.reply(ctx, call, slot.entry, answer, slot.decision, slot.started)
            })
            .collect()
    }
}

/// Answers the calls the batch rules refused, and notes in each slot what
/// the rules decided (the audit record's policy note).
fn note_batch_decisions(
    slots: &mut [Slot<'_>],
    agent: &AgentPlan,
    refusals: Vec<batch::Refusal>,
    ready: &[Ready<'_, '_>],
) {
    for (i, outcome, note) in refusals {
        slots[i].answer = Some(Answer::refusal(outcome));
        if let Some(note) = note {
            slots[i].decision = format!("{}: {note}", agent.section).into();
        }
    }
    for r in ready {
        let note = if let Some(rule) = &r.flow_confirm {
            format!("flow {rule} confirmed")
        } else if let Some(rule) = &r.flow_logged {
            format!("flow {rule} logged")
        } else if let Some(note) = &r.backend_note {
            note.clone()
        } else {
            continue;
        };
        slots[r.call].decision = format!("{}: {note}", agent.section).into();
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
    /// For a call whose body ran: its time and the output stage's.
    steps: Option<StepTimes>,
}

impl Answer {
    fn refusal(outcome: Outcome) -> Self {
        let content = outcome.model_content().unwrap_or_default();
        Answer {
            outcome,
            content,
            finished: Instant::now(),
            sandbox: None,
            steps: None,
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
