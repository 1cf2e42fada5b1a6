//! Applying the rules that look at a whole batch (one turn) before any of
//! it runs: one question to the state backend (rate limits, session
//! quotas, data-flow history, standing decisions), then the decisions of
//! `policy::rules` (flows, turn quota), all-or-nothing batches and
//! confirmation.

use super::Ready;
use super::approve::{ApprovalVerdict, Standings};
use crate::audit::bounded;
use crate::call::ToolCall;
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome};
use crate::policy::rules::{
    FlowMarks, Verdict, backend_failed, flow_rules, history, quota, reads_history, refused,
    tracked_sources, turn_quota, unavailable, wanted_sources,
};
use crate::policy::{BatchMode, FlowAction, PolicyPlan, ToolPlan};
use crate::state::{Admission, AdmitCall, BackendError, CallVerdict, Settlement};

/// A refused call: its position, the outcome, and a note for the audit record.
pub(super) type Refusal = (usize, Outcome, Option<String>);

impl Guard {
    /// Applies the batch rules to the calls that passed their own checks and
    /// returns those that may run, and the refusals. `first_refused` is the
    /// earliest call already refused by its own checks; `defer` parks calls
    /// that need confirmation instead of asking the confirmer.
    ///
    /// The state backend is asked once (rate limits, session quotas,
    /// data-flow history, standing decisions), and once more only to give
    /// back places or record data-flow sources.
    pub(super) async fn batch_rules<'g, 'p>(
        &self,
        ctx: &CallContext,
        calls: &[ToolCall],
        plan: &'p PolicyPlan,
        mut ready: Vec<Ready<'g, 'p>>,
        first_refused: Option<usize>,
        defer: bool,
    ) -> (Vec<Ready<'g, 'p>>, Vec<Refusal>) {
        let needs = Needs::of(plan, &ready);
        if needs.only_rates
            && !needs.rated
            && (plan.batch == BatchMode::PerCall || first_refused.is_none())
        {
            return (ready, Vec::new());
        }
        if needs.only_rates && plan.batch == BatchMode::PerCall {
            // The common case, without the bookkeeping of the rules below.
            return self.rate_limits_only(ctx, plan, ready).await;
        }
        let mut known = Known::new(&needs, ready.len());
        if needs.rated || !needs.only_rates {
            self.admit_batch(ctx, plan, &needs, &mut ready, &mut known)
                .await;
        }
        let Known {
            mut verdicts,
            quota_verdicts,
            reserved,
            ages,
            mut standings,
        } = known;
        if !plan.flows.is_empty() {
            let tools: Vec<_> = ready.iter().map(|r| r.tool).collect();
            let mut marks = vec![FlowMarks::default(); ready.len()];
            let history = history(&needs.sources, &ages);
            flow_rules(plan, history, &tools, &mut verdicts, &mut marks);
            for (r, mark) in ready.iter_mut().zip(marks) {
                r.flow_confirm = mark.confirm;
                r.flow_logged = mark.logged;
            }
        }
        turn_quota(plan, &mut verdicts);
        for (i, outcome, note) in quota_verdicts {
            verdicts[i].get_or_insert((outcome, note));
        }
        all_or_nothing(plan, calls, &ready, first_refused, &mut verdicts);
        let declined = self
            .confirm_batch(
                ctx,
                calls,
                plan,
                &mut standings,
                &mut ready,
                &mut verdicts,
                defer,
            )
            .await;
        if declined {
            all_or_nothing(plan, calls, &ready, first_refused, &mut verdicts);
        }
        // Invocations are not `Sync`: the settlement reads the tools only.
        let tools: Vec<(&'static str, &ToolPlan)> = ready
            .iter()
            .map(|r| (r.entry.registration.name, r.tool))
            .collect();
        self.settle_batch(ctx, plan, &tools, &reserved, &mut verdicts)
            .await;
        if verdicts.iter().all(Option::is_none) {
            return (ready, Vec::new());
        }
        self.split(ctx, calls, ready, verdicts, &reserved)
    }

    /// Asks the backend once: rate limits, session quotas, data-flow
    /// history and standing decisions. When it fails and the policy fails
    /// closed, the calls that needed an answer are refused.
    async fn admit_batch(
        &self,
        ctx: &CallContext,
        plan: &PolicyPlan,
        needs: &Needs<'_>,
        ready: &mut [Ready<'_, '_>],
        known: &mut Known,
    ) {
        let questions = Questions::of(ready, plan, needs.quotas);
        let admission = Admission {
            context: ctx,
            session: ctx.state_session(),
            calls: questions.as_slice(),
            session_calls: plan.quotas.session_calls,
            session_calls_per_tool: plan.quotas.session_calls_per_tool,
            sources: needs.sources.clone(),
            standing: needs.standing_tools.clone(),
        };
        let answer = self
            .inner
            .state
            .admit(&admission)
            .await
            .and_then(|admitted| {
                let complete = admitted.calls.len() == ready.len()
                    && admitted.sources.len() == needs.sources.len()
                    && admitted.standing.len() == known.standings.len();
                if complete {
                    Ok(admitted)
                } else {
                    Err(BackendError::new(MISCOUNTED))
                }
            });
        drop(questions);
        let admitted = match answer {
            Ok(admitted) => admitted,
            Err(err) => {
                if let Some(note) = backend_failure(plan, &err, ready) {
                    // Fail closed for the calls that needed an answer;
                    // the others go on as if nothing was known.
                    for (r, verdict) in ready.iter().zip(known.verdicts.iter_mut()) {
                        let needed = needs.quotas
                            || super::has_rates(r.entry, r.tool, plan)
                            || needs.standing_tools.contains(&r.entry.registration.name)
                            || reads_history(plan, &needs.sources, r.tool);
                        if needed {
                            *verdict = Some((unavailable(), Some(note.clone())));
                        }
                    }
                }
                return;
            }
        };
        for (i, verdict) in admitted.calls.into_iter().enumerate() {
            match verdict {
                CallVerdict::Admitted { reserved: true } => known.reserved.push(i),
                CallVerdict::Admitted { reserved: false } => {}
                CallVerdict::RateLimited { retry_after } => {
                    known.verdicts[i] = Some((Outcome::RateLimited { retry_after }, None));
                }
                CallVerdict::Quota { quota: name, limit } => {
                    let (outcome, note) = quota(name, limit);
                    known.quota_verdicts.push((i, outcome, note));
                }
            }
        }
        known.ages = admitted.sources;
        for ((_, slot), standing) in known.standings.iter_mut().zip(admitted.standing) {
            *slot = standing;
        }
    }

    /// Confirms the calls that need it and are not refused yet; returns
    /// whether any was declined.
    #[allow(clippy::too_many_arguments)]
    async fn confirm_batch(
        &self,
        ctx: &CallContext,
        calls: &[ToolCall],
        plan: &PolicyPlan,
        standings: &mut Standings,
        ready: &mut [Ready<'_, '_>],
        verdicts: &mut [Verdict],
        defer: bool,
    ) -> bool {
        let mut declined = false;
        for (r, verdict) in ready.iter_mut().zip(verdicts.iter_mut()) {
            if verdict.is_some()
                || !(r.tool.confirm || r.flow_confirm.is_some() || r.outbound_confirm.is_some())
            {
                continue;
            }
            match self
                .approve(ctx, &calls[r.call], plan, standings, r, defer)
                .await
            {
                ApprovalVerdict::Run => {}
                ApprovalVerdict::Refuse(outcome) => {
                    *verdict = Some((outcome, None));
                    declined = true;
                }
                ApprovalVerdict::Park(request) => {
                    *verdict = Some((
                        Outcome::PendingApproval {
                            request: Box::new(request),
                        },
                        Some("approval pending".to_owned()),
                    ));
                }
            }
        }
        declined
    }

    /// Gives back the quota places of refused calls and records the
    /// sources of the calls that run. A source that cannot be recorded
    /// does not run: unrecorded, it would open the flow rules later.
    async fn settle_batch(
        &self,
        ctx: &CallContext,
        plan: &PolicyPlan,
        tools: &[(&'static str, &ToolPlan)],
        reserved: &[usize],
        verdicts: &mut [Verdict],
    ) {
        let release: Vec<&str> = reserved
            .iter()
            .filter(|i| refused(&verdicts[**i]))
            .map(|i| tools[*i].0)
            .collect();
        let runs_with_sources = tools
            .iter()
            .zip(verdicts.iter())
            .filter(|(_, verdict)| verdict.is_none())
            .map(|((_, tool), _)| *tool);
        let touch = tracked_sources(plan, runs_with_sources);
        if release.is_empty() && touch.is_empty() {
            return;
        }
        let settlement = Settlement {
            session: ctx.state_session(),
            release,
            touch,
        };
        if let Err(err) = self.inner.state.settle(&settlement).await
            && let Some(note) = backend_failed(plan, &err)
        {
            for ((_, tool), verdict) in tools.iter().zip(verdicts.iter_mut()) {
                if verdict.is_none() && !tracked_sources(plan, [*tool]).is_empty() {
                    *verdict = Some((unavailable(), Some(note.clone())));
                }
            }
        }
    }

    /// The calls that run, and the refusals (parking those pending approval).
    fn split<'g, 'p>(
        &self,
        ctx: &CallContext,
        calls: &[ToolCall],
        ready: Vec<Ready<'g, 'p>>,
        verdicts: Vec<Verdict>,
        reserved: &[usize],
    ) -> (Vec<Ready<'g, 'p>>, Vec<Refusal>) {
        let mut runs = Vec::with_capacity(ready.len());
        let mut refusals = Vec::new();
        for (i, (r, verdict)) in ready.into_iter().zip(verdicts).enumerate() {
            match verdict {
                Some((Outcome::PendingApproval { request }, note)) => {
                    let call = r.call;
                    let holds_place = reserved.contains(&i);
                    self.park(ctx, &calls[call], r, (*request).clone(), holds_place);
                    refusals.push((call, Outcome::PendingApproval { request }, note));
                }
                Some((outcome, note)) => refusals.push((r.call, outcome, note)),
                None => runs.push(r),
            }
        }
        (runs, refusals)
    }
}

/// What the batch needs to ask the backend.
struct Needs<'p> {
    /// Session quotas apply.
    quotas: bool,
    /// Some call has a rate limit.
    rated: bool,
    /// No rule but rate limits applies.
    only_rates: bool,
    /// The source labels whose history flow rules read.
    sources: Vec<&'p str>,
    /// The tools whose standing decisions confirmation reads.
    standing_tools: Vec<&'static str>,
}

impl<'p> Needs<'p> {
    fn of(plan: &'p PolicyPlan, ready: &[Ready<'_, 'p>]) -> Self {
        let quotas =
            plan.quotas.session_calls.is_some() || plan.quotas.session_calls_per_tool.is_some();
        let sources = wanted_sources(plan, ready.iter().map(|r| r.tool));
        let standing_tools = confirmable_tools(plan, ready);
        let only_rates = !quotas
            && sources.is_empty()
            && standing_tools.is_empty()
            && plan.flows.is_empty()
            && plan.quotas.turn_calls.is_none();
        Needs {
            quotas,
            rated: ready
                .iter()
                .any(|r| super::has_rates(r.entry, r.tool, plan)),
            only_rates,
            sources,
            standing_tools,
        }
    }
}

/// What the backend's answer settled for each call.
struct Known {
    verdicts: Vec<Verdict>,
    /// Session-quota refusals wait until the flow and turn rules had their say.
    quota_verdicts: Vec<Refusal>,
    /// The calls that took a session-quota place.
    reserved: Vec<usize>,
    ages: Vec<Option<std::time::Duration>>,
    standings: Standings,
}

impl Known {
    fn new(needs: &Needs<'_>, calls: usize) -> Self {
        Known {
            verdicts: vec![None; calls],
            quota_verdicts: Vec::new(),
            reserved: Vec::new(),
            ages: vec![None; needs.sources.len()],
            standings: needs.standing_tools.iter().map(|t| (*t, None)).collect(),
        }
    }
}

/// Under `all_or_nothing`, the first refusal refuses every call still open.
fn all_or_nothing(
    plan: &PolicyPlan,
    calls: &[ToolCall],
    ready: &[Ready<'_, '_>],
    first_refused: Option<usize>,
    verdicts: &mut [Verdict],
) {
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
}

impl Guard {
    /// The batch rules when only rate limits apply (no quotas, flows,
    /// confirmations or all-or-nothing batches): one backend question, and
    /// the calls it refuses taken out.
    async fn rate_limits_only<'g, 'p>(
        &self,
        ctx: &CallContext,
        plan: &'p PolicyPlan,
        mut ready: Vec<Ready<'g, 'p>>,
    ) -> (Vec<Ready<'g, 'p>>, Vec<Refusal>) {
        let mut refusals = Vec::new();
        let questions = Questions::of(&ready, plan, false);
        let admission = Admission {
            context: ctx,
            session: ctx.state_session(),
            calls: questions.as_slice(),
            session_calls: None,
            session_calls_per_tool: None,
            sources: Vec::new(),
            standing: Vec::new(),
        };
        let answer = self.inner.state.admit(&admission).await;
        drop(questions);
        match answer {
            Ok(admitted) if admitted.calls.len() == ready.len() => {
                let mut verdicts = admitted.calls.into_iter();
                ready.retain(|r| match verdicts.next() {
                    Some(CallVerdict::RateLimited { retry_after }) => {
                        refusals.push((r.call, Outcome::RateLimited { retry_after }, None));
                        false
                    }
                    _ => true,
                });
            }
            answer => {
                let err = answer
                    .err()
                    .unwrap_or_else(|| BackendError::new(MISCOUNTED));
                if let Some(note) = backend_failure(plan, &err, &mut ready) {
                    ready.retain(|r| {
                        let needed = super::has_rates(r.entry, r.tool, plan);
                        if needed {
                            refusals.push((r.call, unavailable(), Some(note.clone())));
                        }
                        !needed
                    });
                }
            }
        }
        (ready, refusals)
    }
}

/// A backend answer with another number of answers than questions.
const MISCOUNTED: &str = "the backend answered another number of questions";

/// A batch's questions for the backend; a lone call's live on the stack.
enum Questions<'a> {
    One([AdmitCall<'a>; 1]),
    Many(Vec<AdmitCall<'a>>),
}

impl<'a> Questions<'a> {
    fn of(ready: &'a [Ready<'_, '_>], plan: &'a PolicyPlan, counts: bool) -> Self {
        match ready {
            [r] => Questions::One([super::admit_call(r.entry, r.tool, plan, counts)]),
            _ => Questions::Many(
                ready
                    .iter()
                    .map(|r| super::admit_call(r.entry, r.tool, plan, counts))
                    .collect(),
            ),
        }
    }

    fn as_slice(&self) -> &[AdmitCall<'a>] {
        match self {
            Questions::One(one) => one,
            Questions::Many(many) => many,
        }
    }
}

/// A backend failure under the policy: the audit note for refusing the
/// calls that needed the backend, or `None` when the policy lets them go
/// on (each call's audit record then says so).
fn backend_failure(
    plan: &PolicyPlan,
    err: &BackendError,
    ready: &mut [Ready<'_, '_>],
) -> Option<String> {
    let note = backend_failed(plan, err);
    if note.is_none() {
        let allowed = format!("backend error allowed by policy: {err}");
        for r in ready {
            r.backend_note = Some(allowed.clone());
        }
    }
    note
}

/// The tools of the batch that may need confirmation, whose standing
/// "always" decisions are wanted.
fn confirmable_tools(plan: &PolicyPlan, ready: &[Ready<'_, '_>]) -> Vec<&'static str> {
    let mut tools = Vec::new();
    for r in ready {
        let flow_confirm = plan
            .flows
            .iter()
            .any(|f| f.action == FlowAction::Confirm && r.tool.sinks.contains(&f.to));
        let name = r.entry.registration.name;
        if (r.tool.confirm || flow_confirm || r.outbound_confirm.is_some())
            && !tools.contains(&name)
        {
            tools.push(name);
        }
    }
    tools
}
