//! Each call's own checks, in call order, shared by [`Guard::dispatch`]
//! and [`Guard::validate`]: the batch cap, repeated ids, unknown tools,
//! then the tool's checks (`check.rs`). What passes waits for the batch
//! rules as a [`Ready`] call; what fails is answered here.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use super::{Answer, Checked, Ready, Slot};
use crate::audit::refusal_note;
use crate::call::ToolCall;
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome};
use crate::policy::cedar::EntityCache;
use crate::policy::{AgentPlan, PolicyPlan, ToolPlan};

/// The audit note of a call after its own checks: what decided, refusals
/// included.
fn decision_note(agent: &AgentPlan, tool: Option<&ToolPlan>, checked: &Checked<'_>) -> Arc<str> {
    match (tool.and_then(|t| t.refused_by.as_deref()), checked) {
        (Some(rule), _) => format!("{}: {rule}", agent.section).into(),
        (None, Checked::Refused(_, outcome)) => {
            format!("{}: {}", agent.section, refusal_note(outcome)).into()
        }
        (None, Checked::Ready(..)) => agent.allowed.clone(),
    }
}

impl Guard {
    /// Checks each call on its own. Returns one slot per call (answered
    /// when refused) and the calls that passed, in call order.
    pub(super) async fn intake<'g, 'p>(
        &'g self,
        ctx: &CallContext,
        calls: &[ToolCall],
        plan: &'p PolicyPlan,
        agent: &'p AgentPlan,
        entities: &EntityCache,
    ) -> (Vec<Slot<'g>>, Vec<Ready<'g, 'p>>) {
        let mut slots: Vec<Slot<'g>> = Vec::with_capacity(calls.len());
        let mut ready: Vec<Ready<'g, 'p>> = Vec::new();
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
                    self.check(ctx, call, entry, tool, plan, entities).await
                }
                _ => Checked::Refused(
                    None,
                    Outcome::UnknownTool {
                        name: echoable_name(&call.name),
                    },
                ),
            };
            let decision = decision_note(agent, tool, &checked);
            let (entry, answer) = match checked {
                Checked::Ready(entry, invocation, args, outbound_confirm) => {
                    let tool = tool.expect("a ready call names a tool");
                    let mut passed = Ready::new(i, entry, tool, invocation);
                    passed.args = args;
                    passed.outbound_confirm = outbound_confirm;
                    ready.push(passed);
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
        (slots, ready)
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
