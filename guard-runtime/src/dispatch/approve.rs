//! Approvals: asking the confirmer (with a timeout), "always" decisions
//! remembered per session, edited arguments checked again, and deferred
//! approvals parked for `Guard::resume`.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures_timer::Delay;
use futures_util::FutureExt as _;
use futures_util::future::{Either, join_all, select};
use serde_json::Value;

use super::{Answer, Checked, MAX_DENY_CHARS, Ready, execute};
use crate::audit::audited_arguments;
use crate::call::{ToolCall, ToolReply};
use crate::confirm::{ApprovalDigest, ApprovalRequest, ConfirmRequest, Decision, PendingCall};
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome, safe_text};
use crate::policy::PolicyPlan;
use crate::policy::rules::{backend_failed, tracked_sources, unavailable};
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

fn declined(message: Option<String>) -> Outcome {
    Outcome::Denied {
        reason: DenyReason::Declined {
            message: message.map(|m| safe_text(&m, MAX_DENY_CHARS)),
        },
    }
}

impl Guard {
    /// Confirms one call that needs it.
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
        // The fast path skipped parsing; the text already passed the checks.
        let args = match ready.args.take() {
            Some(args) => args,
            None => serde_json::from_str(&call.arguments).unwrap_or(Value::Null),
        };
        let digest = ApprovalDigest::of(tool, &args);
        let flow_reason;
        let reason = match (&ready.flow_confirm, ready.outbound_confirm) {
            (Some(rule), _) => {
                flow_reason = format!("data-flow rule `{rule}` asks for confirmation");
                flow_reason.as_str()
            }
            (None, Some(kind)) => {
                flow_reason = format!("the arguments carry {kind} out of the agent");
                flow_reason.as_str()
            }
            (None, None) => ready.tool.confirm_reason,
        };

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

        if defer || self.inner.deferred {
            let store = &self.inner.pending;
            return ApprovalVerdict::Park(ApprovalRequest {
                id: store.next_id(),
                call_id: call.id.clone(),
                tool: tool.to_owned(),
                risk: ready.tool.risk,
                arguments: audited_arguments(&call.arguments, Some(ready.entry)),
                digest,
                reason: reason.to_owned(),
                expires_at_ms: crate::confirm::unix_ms_after(store.ttl),
            });
        }

        let Some(confirmer) = &self.inner.confirmer else {
            return ApprovalVerdict::Refuse(Outcome::Denied {
                reason: DenyReason::NoConfirmer,
            });
        };
        let request = ConfirmRequest {
            call_id: &call.id,
            tool,
            description: ready.entry.registration.description,
            risk: ready.tool.risk,
            arguments: &args,
            context: ctx,
            reason,
            digest,
        };
        let asked = AssertUnwindSafe(confirmer.confirm(request)).catch_unwind();
        let decision = match select(asked, Delay::new(self.inner.confirm_timeout)).await {
            Either::Left((Ok(decision), _)) => decision,
            Either::Left((Err(_), _)) => {
                tracing::error!(target: "guard", tool, "confirmer panicked; denying the call");
                return ApprovalVerdict::Refuse(declined(None));
            }
            Either::Right(_) => {
                tracing::warn!(target: "guard", tool, "confirmer did not answer in time");
                return ApprovalVerdict::Refuse(Outcome::Denied {
                    reason: DenyReason::ConfirmationTimedOut,
                });
            }
        };
        self.apply_decision(ctx, call, plan, Some(standings), ready, decision)
            .await
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
        let store = &self.inner.pending;
        let plan = self.inner.policy.load_full();
        let agent = plan.agent(ctx);
        let session = ctx.state_session();
        // Each reply keeps the place of its decision; refused calls give
        // their quota place back.
        let mut done = Vec::new();
        let mut runs = Vec::new();
        let mut release: Vec<&'static str> = Vec::new();
        for (order, (request, decision)) in decisions.into_iter().enumerate() {
            let Some(parked) = store.take(&request.id) else {
                tracing::warn!(target: "guard", id = %safe_text(&request.id, 80),
                    "unknown or already answered approval request");
                continue;
            };
            let started = Instant::now();
            let found = self.inner.registry.get_indexed(&parked.request.tool);
            let refuse = |reason| Some(Answer::refusal(Outcome::Denied { reason }));
            let answer = if parked.context != *ctx || parked.request != request {
                refuse(DenyReason::ApprovalMismatch)
            } else if parked.expires <= self.inner.clock.elapsed() {
                refuse(DenyReason::ApprovalExpired)
            } else {
                None
            };
            let Some((index, entry)) = found else {
                continue;
            };
            let tool = &agent.tools[index];
            if let Some(answer) = answer {
                if parked.reserved {
                    release.push(entry.registration.name);
                }
                done.push((order, parked.call, entry, answer, started));
                continue;
            }
            let mut ready = Ready {
                call: 0,
                entry,
                tool,
                invocation: parked.invocation,
                args: None,
                flow_confirm: None,
                flow_logged: None,
                backend_note: None,
                outbound_confirm: None,
            };
            match self
                .apply_decision(ctx, &parked.call, &plan, None, &mut ready, decision)
                .await
            {
                ApprovalVerdict::Run => runs.push((order, parked.call, ready, started)),
                ApprovalVerdict::Refuse(outcome) => {
                    if parked.reserved {
                        release.push(entry.registration.name);
                    }
                    done.push((order, parked.call, entry, Answer::refusal(outcome), started));
                }
                ApprovalVerdict::Park(_) => unreachable!("a decision never parks"),
            }
        }
        // Resumed calls are admitted now: later sink calls see their sources.
        let touch = tracked_sources(&plan, runs.iter().map(|(_, _, ready, _)| ready.tool));
        if !touch.is_empty() || !release.is_empty() {
            let settlement = Settlement {
                session,
                release,
                touch,
            };
            if let Err(err) = self.inner.state.settle(&settlement).await
                && let Some(note) = backend_failed(&plan, &err)
            {
                let (blocked, open): (Vec<_>, Vec<_>) = runs
                    .into_iter()
                    .partition(|(_, _, ready, _)| !tracked_sources(&plan, [ready.tool]).is_empty());
                runs = open;
                for (order, call, ready, started) in blocked {
                    tracing::debug!(target: "guard", %note, "resumed call refused");
                    done.push((
                        order,
                        call,
                        ready.entry,
                        Answer::refusal(unavailable()),
                        started,
                    ));
                }
            }
        }
        let turn = crate::limits::TurnLimits::new(plan.max_parallel);
        let plan_ref: &PolicyPlan = &plan;
        let finished = join_all(runs.into_iter().map(|(order, call, ready, started)| {
            let timeout = ready.tool.timeout.unwrap_or(self.inner.default_timeout);
            let sequential = ready.tool.risk >= plan.sequential_risk;
            let turn = &turn;
            async move {
                let _permits = turn.enter(sequential).await;
                let answer = execute(ready.entry, ready.invocation, timeout, &self.inner)
                    .await
                    .sandboxed(&self.inner, ready.tool);
                let answer = self.taint_from(ctx, plan_ref, ready.tool, answer).await;
                (order, call, ready.entry, answer, started)
            }
        }))
        .await;
        done.extend(finished);
        done.sort_by_key(|(order, ..)| *order);
        done.into_iter()
            .map(|(_, call, entry, answer, started)| {
                let decision = format!("{}: approval resumed", agent.section).into();
                self.audit(ctx, &call, Some(entry), &answer, decision, started);
                ToolReply {
                    tool_call_id: call.id,
                    content: answer.content,
                    outcome: answer.outcome,
                }
            })
            .collect()
    }
}
