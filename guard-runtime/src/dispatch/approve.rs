//! Approvals: asking the confirmer (with a timeout), "always" decisions
//! remembered per session, edited arguments checked again, and deferred
//! approvals parked for `Guard::resume`.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures_timer::Delay;
use futures_util::FutureExt as _;
use futures_util::future::{Either, select};
use serde_json::Value;

use super::{Answer, Checked, MAX_DENY_CHARS, Ready};
use crate::audit::audited_arguments;
use crate::call::{ToolCall, ToolReply};
use crate::confirm::{ApprovalDigest, ApprovalRequest, ConfirmRequest, Decision, PendingCall};
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome, safe_text};
use crate::policy::PolicyPlan;
use crate::policy::rules::{backend_failed, tracked_sources, unavailable};
use crate::registry::ToolEntry;
use crate::state::{Settlement, Standing};

/// The standing "always" decisions known for the tools of a batch.
pub(super) type Standings = Vec<(&'static str, Option<Standing>)>;

/// What the confirmation step decided for one call.
pub(super) enum ApprovalVerdict {
    /// Run it (possibly with edited arguments, already swapped in).
    Run,
    /// Do not run it.
    Refuse(Outcome),
    /// Park it until `resume` (deferred approvals).
    Park(ApprovalRequest),
}

/// Why the call is put to a person: the flow rule, the outbound check, or
/// the tool's own reason.
fn confirm_reason<'a>(ready: &'a Ready<'_, '_>) -> std::borrow::Cow<'a, str> {
    match (&ready.flow_confirm, ready.outbound_confirm) {
        (Some(rule), _) => format!("data-flow rule `{rule}` asks for confirmation").into(),
        (None, Some(kind)) => format!("the arguments carry {kind} out of the agent").into(),
        (None, None) => ready.tool.confirm_reason.into(),
    }
}

fn declined(message: Option<String>) -> Outcome {
    Outcome::Denied {
        reason: DenyReason::Declined {
            message: message.map(|m| safe_text(&m, MAX_DENY_CHARS)),
        },
    }
}

impl Guard {
    /// Confirms one call that needs it: a standing "always" decision, a
    /// parked request (deferred approvals), or the confirmer's answer.
    pub(super) async fn approve(
        &self,
        ctx: &CallContext,
        call: &ToolCall,
        plan: &PolicyPlan,
        standings: &mut Standings,
        ready: &mut Ready<'_, '_>,
        defer: bool,
    ) -> ApprovalVerdict {
        let tool = ready.entry.registration.name;
        let standing = standings
            .iter()
            .find(|(name, _)| *name == tool)
            .and_then(|(_, standing)| standing.as_ref());
        match standing {
            Some(Standing::Approve) => return ApprovalVerdict::Run,
            Some(Standing::Deny { message }) => {
                return ApprovalVerdict::Refuse(declined(message.clone()));
            }
            _ => {}
        }
        // The fast path skipped parsing; the text already passed the checks.
        let args = match ready.args.take() {
            Some(args) => args,
            None => serde_json::from_str(&call.arguments).unwrap_or(Value::Null),
        };
        let digest = ApprovalDigest::of(tool, &args);
        let reason = confirm_reason(ready);
        if defer || self.inner.deferred {
            let store = &self.inner.pending;
            return ApprovalVerdict::Park(ApprovalRequest {
                id: store.next_id(),
                call_id: call.id.clone(),
                tool: tool.to_owned(),
                risk: ready.tool.risk,
                arguments: audited_arguments(&call.arguments, Some(ready.entry)),
                digest,
                reason: reason.into_owned(),
                expires_at_ms: crate::confirm::unix_ms_after(store.ttl),
            });
        }
        let request = ConfirmRequest {
            call_id: &call.id,
            tool,
            description: ready.entry.registration.description,
            risk: ready.tool.risk,
            arguments: &args,
            context: ctx,
            reason: &reason,
            digest,
        };
        match self.ask_confirmer(request).await {
            Ok(decision) => {
                self.apply_decision(ctx, call, plan, Some(standings), ready, decision)
                    .await
            }
            Err(outcome) => ApprovalVerdict::Refuse(outcome),
        }
    }

    /// The confirmer's decision, within the confirmation timeout. No
    /// confirmer, a panic or no answer in time is a refusal.
    async fn ask_confirmer(&self, request: ConfirmRequest<'_>) -> Result<Decision, Outcome> {
        let tool = request.tool;
        let Some(confirmer) = &self.inner.confirmer else {
            return Err(Outcome::Denied {
                reason: DenyReason::NoConfirmer,
            });
        };
        let asked = AssertUnwindSafe(confirmer.confirm(request)).catch_unwind();
        match select(asked, Delay::new(self.inner.confirm_timeout)).await {
            Either::Left((Ok(decision), _)) => Ok(decision),
            Either::Left((Err(_), _)) => {
                tracing::error!(target: "guard", tool, "confirmer panicked; denying the call");
                Err(declined(None))
            }
            Either::Right(_) => {
                tracing::warn!(target: "guard", tool, "confirmer did not answer in time");
                Err(Outcome::Denied {
                    reason: DenyReason::ConfirmationTimedOut,
                })
            }
        }
    }

    /// Carries out a decision: remembers "always", re-checks edits.
    async fn apply_decision(
        &self,
        ctx: &CallContext,
        call: &ToolCall,
        plan: &PolicyPlan,
        standings: Option<&mut Standings>,
        ready: &mut Ready<'_, '_>,
        decision: Decision,
    ) -> ApprovalVerdict {
        let tool = ready.entry.registration.name;
        let standing = match &decision {
            Decision::ApproveAlways => Some(Standing::Approve),
            Decision::DenyAlways { message } => Some(Standing::Deny {
                message: message.clone(),
            }),
            _ => None,
        };
        if let Some(standing) = standing {
            // The decision stands for this call whether or not it is remembered.
            let session = ctx.state_session();
            if let Err(err) = self.inner.state.remember(session, tool, &standing).await {
                tracing::warn!(target: "guard", tool, error = %err,
                    "an \"always\" decision could not be remembered");
            }
            if let Some(standings) = standings {
                match standings.iter_mut().find(|(name, _)| *name == tool) {
                    Some((_, known)) => *known = Some(standing),
                    None => standings.push((tool, Some(standing))),
                }
            }
        }
        match decision {
            Decision::Approve | Decision::ApproveAlways => ApprovalVerdict::Run,
            Decision::Deny { message } | Decision::DenyAlways { message } => {
                ApprovalVerdict::Refuse(declined(message))
            }
            Decision::Edit { arguments } => {
                // Edited arguments go through every check again.
                let edited =
                    ToolCall::new(call.id.clone(), call.name.clone(), arguments.to_string());
                match self
                    .check(
                        ctx,
                        &edited,
                        ready.entry,
                        ready.tool,
                        plan,
                        &Default::default(),
                    )
                    .await
                {
                    Checked::Ready(_, invocation, _, _) => {
                        ready.invocation = invocation;
                        ApprovalVerdict::Run
                    }
                    Checked::Refused(_, outcome) => ApprovalVerdict::Refuse(outcome),
                }
            }
        }
    }

    /// Parks a call for `resume`.
    pub(super) fn park(
        &self,
        ctx: &CallContext,
        call: &ToolCall,
        ready: Ready<'_, '_>,
        request: ApprovalRequest,
        reserved: bool,
    ) {
        let store = &self.inner.pending;
        let now = self.inner.clock.elapsed();
        store.park(
            PendingCall {
                request,
                context: ctx.clone(),
                call: call.clone(),
                invocation: ready.invocation,
                expires: now + store.ttl,
                reserved,
            },
            now,
        );
    }

    /// Finishes calls parked by deferred approvals, with a person's
    /// decision for each, and answers each of them exactly once.
    ///
    /// A request that is unknown or already answered gets no reply (its
    /// call was answered before). A request that comes back changed (other
    /// arguments or digest), for another caller, or after it lapsed is
    /// refused. Approved calls run as they would have in `dispatch`;
    /// edited arguments are checked again first.
    ///
    /// ```standalone_crate
    /// use std::time::Duration;
    /// use guard_runtime::{ApprovalRequest, CallContext, Decision, Guard, Outcome, ToolCall, secure_tool};
    ///
    /// /// Refund an order.
    /// #[secure_tool(risk = "high", confirm)]
    /// fn refund(order: u64) -> String { format!("refunded {order}") }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let guard = Guard::builder().deferred_approvals(Duration::from_secs(600)).build().unwrap();
    /// let ctx = CallContext::new("shop").session("s1");
    /// let replies = guard.dispatch(&ctx, &[ToolCall::new("c1", "refund", r#"{"order":7}"#)]).await;
    /// let Outcome::PendingApproval { request } = &replies[0].outcome else { panic!() };
    ///
    /// // Store it, show it to a person, bring it back as JSON.
    /// let json = serde_json::to_string(request).unwrap();
    /// let request: ApprovalRequest = serde_json::from_str(&json).unwrap();
    /// let done = guard.resume(&ctx, [(request, Decision::Approve)]).await;
    /// assert_eq!(done[0].tool_call_id, "c1");
    /// assert_eq!(done[0].content, "refunded 7");
    /// # }
    /// ```
    pub async fn resume(
        &self,
        ctx: &CallContext,
        decisions: impl IntoIterator<Item = (ApprovalRequest, Decision)>,
    ) -> Vec<ToolReply> {
        let plan = self.inner.policy.load_full();
        let agent = plan.agent(ctx);
        let mut resumed = Resumed::default();
        for (order, (request, decision)) in decisions.into_iter().enumerate() {
            self.resume_one(ctx, &plan, order, request, decision, &mut resumed)
                .await;
        }
        self.settle_resumed(ctx, &plan, &mut resumed).await;
        let Resumed { mut done, runs, .. } = resumed;
        // Each run keeps its decision's place as its position.
        let (waiting, ready): (Vec<_>, Vec<_>) = runs
            .into_iter()
            .map(|(call, started, r)| ((call, r.entry, started), r))
            .unzip();
        let mut answers = Vec::with_capacity(ready.len());
        self.run_turn(ctx, &plan, ready, |order, answer| {
            answers.push((order, answer))
        })
        .await;
        // `run_turn` answers in the order it was given the calls.
        for ((call, entry, started), (order, answer)) in waiting.into_iter().zip(answers) {
            done.push((order, call, entry, answer, started));
        }
        done.sort_by_key(|(order, ..)| *order);
        done.into_iter()
            .map(|(_, call, entry, answer, started)| {
                let decision = format!("{}: approval resumed", agent.section).into();
                self.reply(ctx, &call, Some(entry), answer, decision, started)
            })
            .collect()
    }

    /// Applies one decision to its parked call: refused (mismatch, expiry,
    /// a declining decision) or ready to run.
    async fn resume_one<'g, 'p>(
        &'g self,
        ctx: &CallContext,
        plan: &'p PolicyPlan,
        order: usize,
        request: ApprovalRequest,
        decision: Decision,
        resumed: &mut Resumed<'g, 'p>,
    ) {
        let Some(parked) = self.inner.pending.take(&request.id) else {
            tracing::warn!(target: "guard", id = %safe_text(&request.id, 80),
                "unknown or already answered approval request");
            return;
        };
        let started = Instant::now();
        let Some((index, entry)) = self.inner.registry.get_indexed(&parked.request.tool) else {
            return;
        };
        let refused = if parked.context != *ctx || parked.request != request {
            Some(DenyReason::ApprovalMismatch)
        } else if parked.expires <= self.inner.clock.elapsed() {
            Some(DenyReason::ApprovalExpired)
        } else {
            None
        };
        let outcome = match refused {
            Some(reason) => Outcome::Denied { reason },
            None => {
                let tool = &plan.agent(ctx).tools[index];
                let mut ready = Ready::new(order, entry, tool, parked.invocation);
                match self
                    .apply_decision(ctx, &parked.call, plan, None, &mut ready, decision)
                    .await
                {
                    ApprovalVerdict::Run => {
                        resumed.runs.push((parked.call, started, ready));
                        return;
                    }
                    ApprovalVerdict::Refuse(outcome) => outcome,
                    ApprovalVerdict::Park(_) => unreachable!("a decision never parks"),
                }
            }
        };
        // A refused call gives its quota place back.
        if parked.reserved {
            resumed.release.push(entry.registration.name);
        }
        let answer = Answer::refusal(outcome);
        resumed
            .done
            .push((order, parked.call, entry, answer, started));
    }

    /// Admits the resumed calls now (later sink calls see their sources)
    /// and gives back the places of the refused ones. A source that cannot
    /// be recorded does not run.
    async fn settle_resumed(
        &self,
        ctx: &CallContext,
        plan: &PolicyPlan,
        resumed: &mut Resumed<'_, '_>,
    ) {
        let touch = tracked_sources(plan, resumed.runs.iter().map(|(_, _, r)| r.tool));
        if touch.is_empty() && resumed.release.is_empty() {
            return;
        }
        let settlement = Settlement {
            session: ctx.state_session(),
            release: std::mem::take(&mut resumed.release),
            touch,
        };
        let Err(err) = self.inner.state.settle(&settlement).await else {
            return;
        };
        let Some(note) = backend_failed(plan, &err) else {
            return;
        };
        let (blocked, open): (Vec<_>, Vec<_>) = std::mem::take(&mut resumed.runs)
            .into_iter()
            .partition(|(_, _, r)| !tracked_sources(plan, [r.tool]).is_empty());
        resumed.runs = open;
        for (call, started, r) in blocked {
            tracing::debug!(target: "guard", %note, "resumed call refused");
            let answer = Answer::refusal(unavailable());
            resumed.done.push((r.call, call, r.entry, answer, started));
        }
    }
}

/// A resumed call answered without running: its decision's position, the
/// call, its tool, the answer and when it was taken up.
type Finished<'g> = (usize, ToolCall, &'g ToolEntry, Answer, Instant);

/// The decisions of one `resume`, as they are applied.
#[derive(Default)]
struct Resumed<'g, 'p> {
    done: Vec<Finished<'g>>,
    /// The calls to run: the call, when it was taken up, and the ready call
    /// (its position is its decision's).
    runs: Vec<(ToolCall, Instant, Ready<'g, 'p>)>,
    /// The tools whose quota places refused calls give back.
    release: Vec<&'static str>,
}
