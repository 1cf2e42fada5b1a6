//! The rules that look at a whole batch (one turn) before any of it runs:
//! data flows, turn and session quotas, all-or-nothing batches and
//! confirmation; then the turn's concurrency limits while it runs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard, Semaphore, SemaphorePermit};

use super::approve::Verdict;
use super::{Ready, bounded};
use crate::call::ToolCall;
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome};
use crate::policy::{BatchMode, FlowAction, FlowWindow, PolicyPlan, Session, SessionBook};

/// A refused call: its position, the outcome, and a note for the audit record.
pub(super) type Refusal = (usize, Outcome, Option<String>);

impl Guard {
    /// Applies the batch rules to the calls that passed their own checks and
    /// returns those that may run. `first_refused` is the earliest call
    /// already refused by its own checks.
    pub(super) async fn batch_rules<'g, 'p>(
        &self,
        ctx: &CallContext,
        calls: &[ToolCall],
        plan: &'p PolicyPlan,
        ready: Vec<Ready<'g, 'p>>,
        first_refused: Option<usize>,
        refusals: &mut Vec<Refusal>,
    ) -> Vec<Ready<'g, 'p>> {
        let needs_confirmation = ready
            .iter()
            .any(|r| r.tool.confirm || !plan.flows.is_empty());
        let keeps_state = !plan.flows.is_empty()
            || plan.quotas.session_calls.is_some()
            || plan.quotas.session_calls_per_tool.is_some();
        if !needs_confirmation
            && !keeps_state
            && plan.quotas.turn_calls.is_none()
            && (plan.batch == BatchMode::PerCall || first_refused.is_none())
        {
            return ready;
        }
        let book = &self.inner.sessions;
        let key = session_key(ctx);
        let mut verdicts: Vec<Option<(Outcome, Option<String>)>> = Vec::new();
        verdicts.resize_with(ready.len(), || None);
        let mut ready = ready;

        // One clock reading and one lock of the session for the rules below;
        // the lock is released before any confirmer is awaited.
        let now = book.now();
        let reserved = if keeps_state {
            let mut sessions = book.lock();
            let session = SessionBook::session(&mut sessions, &key, now);
            flow_rules(plan, session, now, &mut ready, &mut verdicts);
            turn_quota(plan, &mut verdicts);
            session_quotas(plan, session, &ready, &mut verdicts)
        } else {
            turn_quota(plan, &mut verdicts);
            vec![false; ready.len()]
        };

        let all_or_nothing = |verdicts: &mut Vec<Option<(Outcome, Option<String>)>>,
                              ready: &[Ready<'_, '_>]| {
            if plan.batch != BatchMode::AllOrNothing {
                return;
            }
            let first = ready
                .iter()
                .zip(verdicts.iter())
                .filter(|(_, v)| v.as_ref().is_some_and(|(o, _)| !o.is_pending()))
                .map(|(r, _)| r.call)
                .chain(first_refused)
                .min();
            if let Some(first) = first {
                for verdict in verdicts.iter_mut().filter(|v| v.is_none()) {
                    *verdict = Some((
                        Outcome::Denied {
                            reason: DenyReason::Batch {
                                refused_call: bounded(&calls[first].id),
                            },
                        },
                        Some("all_or_nothing".to_owned()),
                    ));
                }
            }
        };
        all_or_nothing(&mut verdicts, &ready);

        let mut declined = false;
        for (r, verdict) in ready.iter_mut().zip(verdicts.iter_mut()) {
            if verdict.is_some() || !(r.tool.confirm || r.flow_confirm.is_some()) {
                continue;
            }
            match self.approve(ctx, &calls[r.call], plan, &key, r).await {
                Verdict::Run => {}
                Verdict::Refuse(outcome) => {
                    *verdict = Some((outcome, None));
                    declined = true;
                }
                Verdict::Park(request) => {
                    *verdict = Some((
                        Outcome::PendingApproval {
                            request: Box::new(request),
                        },
                        Some("approval pending".to_owned()),
                    ));
                }
            }
        }
        if declined {
            all_or_nothing(&mut verdicts, &ready);
        }

        // Only refusals after a reservation and calls with sources change state.
        let unsettled = verdicts
            .iter()
            .zip(&reserved)
            .any(|(verdict, held)| *held && refused(verdict))
            || ready
                .iter()
                .zip(&verdicts)
                .any(|(r, verdict)| verdict.is_none() && !r.tool.sources.is_empty());
        if keeps_state && unsettled {
            settle(book, &key, now, &ready, &verdicts, reserved);
        }
        let mut runs = Vec::with_capacity(ready.len());
        for (r, verdict) in ready.into_iter().zip(verdicts) {
            match verdict {
                Some((Outcome::PendingApproval { request }, note)) => {
                    let call = r.call;
                    self.park(ctx, &calls[call], r, (*request).clone());
                    refusals.push((call, Outcome::PendingApproval { request }, note));
                }
                Some((outcome, note)) => refusals.push((r.call, outcome, note)),
                None => runs.push(r),
            }
        }
        runs
    }
}

/// The session a call's quotas, flows and "always" decisions belong to.
/// Without a session id, an agent's calls share one.
pub(super) fn session_key(ctx: &CallContext) -> Arc<str> {
    match ctx.session_key() {
        Some(key) => key.clone(),
        None => format!("agent:{}", ctx.agent_id()).into(),
    }
}

/// Marks calls that data-flow rules stop, send to confirmation or log.
pub(super) fn flow_rules(
    plan: &PolicyPlan,
    session: &Session,
    now: Duration,
    ready: &mut [Ready<'_, '_>],
    verdicts: &mut [Option<(Outcome, Option<String>)>],
) {
    for flow in &plan.flows {
        let is_sink = |r: &Ready<'_, '_>| r.tool.sinks.contains(&flow.to);
        let is_source = |r: &Ready<'_, '_>| r.tool.sources.contains(&flow.from);
        if !ready.iter().any(is_sink) {
            continue;
        }
        let earlier = match flow.window {
            FlowWindow::Turn => false,
            FlowWindow::Session => session.touched(&flow.from, now, None),
            FlowWindow::Within(window) => session.touched(&flow.from, now, Some(window)),
        };
        let in_turn = ready.iter().any(is_source);
        if !earlier && !in_turn {
            continue;
        }
        for (r, verdict) in ready.iter_mut().zip(verdicts.iter_mut()) {
            let (sink, source) = (is_sink(r), is_source(r));
            match flow.action {
                // Both ends in this turn are stopped before either runs.
                FlowAction::Block if (sink || (source && in_turn)) && verdict.is_none() => {
                    *verdict = Some((
                        Outcome::Denied {
                            reason: DenyReason::Flow {
                                rule: flow.name.clone(),
                            },
                        },
                        Some(format!("flow {}", flow.name)),
                    ));
                }
                FlowAction::Confirm if sink => {
                    r.flow_confirm.get_or_insert_with(|| flow.name.clone());
                }
                FlowAction::Log if sink => {
                    r.flow_logged.get_or_insert_with(|| flow.name.clone());
                }
                _ => {}
            }
        }
    }
}

/// Refuses the calls beyond the turn's quota, in call order.
fn turn_quota(plan: &PolicyPlan, verdicts: &mut [Option<(Outcome, Option<String>)>]) {
    let Some(limit) = plan.quotas.turn_calls else {
        return;
    };
    let mut admitted = 0u32;
    for verdict in verdicts.iter_mut().filter(|v| v.is_none()) {
        if admitted < limit.get() {
            admitted += 1;
        } else {
            *verdict = Some(quota("turn_calls", limit.get()));
        }
    }
}

fn quota(name: &str, limit: u32) -> (Outcome, Option<String>) {
    (
        Outcome::Denied {
            reason: DenyReason::Quota {
                quota: name.to_owned(),
                limit,
            },
        },
        Some(format!("quota {name}")),
    )
}

/// Counts the calls against the session's quotas, reserving a place for
/// each one admitted; returns which calls hold a reservation.
fn session_quotas(
    plan: &PolicyPlan,
    session: &mut Session,
    ready: &[Ready<'_, '_>],
    verdicts: &mut [Option<(Outcome, Option<String>)>],
) -> Vec<bool> {
    let mut reserved = vec![false; ready.len()];
    let (total, per_tool) = (
        plan.quotas.session_calls,
        plan.quotas.session_calls_per_tool,
    );
    if total.is_none() && per_tool.is_none() {
        return reserved;
    }
    for ((r, verdict), held) in ready.iter().zip(verdicts.iter_mut()).zip(&mut reserved) {
        if verdict.is_some() {
            continue;
        }
        let name = r.entry.registration.name;
        let used = session.per_tool.get(name).copied().unwrap_or(0);
        if let Some(limit) = total.filter(|l| session.total >= l.get()) {
            *verdict = Some(quota("session_calls", limit.get()));
        } else if let Some(limit) = per_tool.filter(|l| used >= l.get()) {
            *verdict = Some(quota("session_calls_per_tool", limit.get()));
        } else {
            session.total += 1;
            *session.per_tool.entry(name).or_insert(0) += 1;
            *held = true;
        }
    }
    reserved
}

/// Whether a verdict refuses the call (a call pending approval keeps its
/// place: it may still run).
fn refused(verdict: &Option<(Outcome, Option<String>)>) -> bool {
    verdict
        .as_ref()
        .is_some_and(|(outcome, _)| !outcome.is_pending())
}

/// Gives back the places of reserved calls that were refused later, and
/// records the sources of the calls that will run (for session windows).
fn settle(
    book: &SessionBook,
    key: &Arc<str>,
    now: Duration,
    ready: &[Ready<'_, '_>],
    verdicts: &[Option<(Outcome, Option<String>)>],
    reserved: Vec<bool>,
) {
    let mut sessions = book.lock();
    let session = SessionBook::session(&mut sessions, key, now);
    for ((r, verdict), held) in ready.iter().zip(verdicts).zip(reserved) {
        if refused(verdict) {
            if held {
                session.total = session.total.saturating_sub(1);
                if let Some(used) = session.per_tool.get_mut(r.entry.registration.name) {
                    *used = used.saturating_sub(1);
                }
            }
            continue;
        }
        if verdict.is_none() {
            session.touch_sources(&r.tool.sources, now);
        }
    }
}

/// The turn's concurrency: at most `max_parallel` calls at once, and the
/// calls at or above `sequential_risk` one at a time.
pub(super) struct TurnLimits {
    parallel: Option<Semaphore>,
    sequential: Mutex<()>,
}

impl TurnLimits {
    pub(super) fn new(plan: &PolicyPlan) -> Self {
        TurnLimits {
            parallel: plan.max_parallel.map(Semaphore::new),
            sequential: Mutex::new(()),
        }
    }

    /// Waits for the call's turn. The sequential lock is taken before a
    /// parallel permit, so a permit holder never waits on the lock.
    pub(super) async fn enter(
        &self,
        sequential: bool,
    ) -> (Option<MutexGuard<'_, ()>>, Option<SemaphorePermit<'_>>) {
        let lock = if sequential {
            Some(self.sequential.lock().await)
        } else {
            None
        };
        let permit = match &self.parallel {
            Some(parallel) => parallel.acquire().await.ok(),
            None => None,
        };
        (lock, permit)
    }
}
