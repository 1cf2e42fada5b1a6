//! The batch rules' decisions: data flows, turn quotas, and what a state
//! backend failure means under the policy. The orchestrator
//! (`dispatch/batch.rs`) asks the backend and applies them; these take
//! only the calls' tool plans, so they can be read and tested alone.

use std::time::Duration;

use super::{FlowAction, FlowWindow, OnBackendError, PolicyPlan, ToolPlan};
use crate::outcome::{DenyReason, Outcome};
use crate::state::BackendError;

/// What a batch rule decided for one call: nothing yet, or a refusal with
/// its audit note.
pub(crate) type Verdict = Option<(Outcome, Option<String>)>;

/// Set on a call that a flow rule sends to confirmation or only logs:
/// the rule's name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FlowMarks {
    pub(crate) confirm: Option<String>,
    pub(crate) logged: Option<String>,
}

/// The refusal of a call the backend could not decide.
pub(crate) fn unavailable() -> Outcome {
    Outcome::Denied {
        reason: DenyReason::BackendUnavailable,
    }
}

/// What a backend failure means under the policy: the audit note of the
/// refusals it causes, or `None` when the policy lets calls go on (logged).
pub(crate) fn backend_failed(plan: &PolicyPlan, err: &BackendError) -> Option<String> {
    match plan.on_backend_error {
        OnBackendError::Allow => {
            tracing::warn!(target: "guard", error = %err,
                "state backend failed; the policy lets calls go on");
            None
        }
        _ => {
            tracing::error!(target: "guard", error = %err,
                "state backend failed; refusing the calls that need it");
            Some(format!("backend error: {err}"))
        }
    }
}

/// The data-flow source labels whose history the batch needs: those of
/// rules with a session or timed window whose sink is in the batch.
pub(crate) fn wanted_sources<'p, 't>(
    plan: &'p PolicyPlan,
    tools: impl Iterator<Item = &'t ToolPlan> + Clone,
) -> Vec<&'p str> {
    let mut labels: Vec<&str> = Vec::new();
    for flow in &plan.flows {
        if flow.window != FlowWindow::Turn
            && tools.clone().any(|t| t.sinks.contains(&flow.to))
            && !labels.contains(&flow.from.as_str())
        {
            labels.push(&flow.from);
        }
    }
    labels
}

/// Whether the session admitted a call with a source label within a window
/// (all of the session when `None`), from the backend's answer: the ages of
/// the `sources` it was asked about.
pub(crate) fn history<'a>(
    sources: &'a [&str],
    ages: &'a [Option<Duration>],
) -> impl Fn(&str, Option<Duration>) -> bool + 'a {
    move |label, window| {
        sources
            .iter()
            .position(|wanted| *wanted == label)
            .and_then(|i| ages.get(i).copied().flatten())
            .is_some_and(|age| window.is_none_or(|w| age <= w))
    }
}

/// Whether a call of `tool` is the sink of a flow rule that looks back at `sources`.
pub(crate) fn reads_history(plan: &PolicyPlan, sources: &[&str], tool: &ToolPlan) -> bool {
    plan.flows
        .iter()
        .any(|f| sources.contains(&f.from.as_str()) && tool.sinks.contains(&f.to))
}

/// The source labels of these calls' tools that some rule remembers beyond the turn.
pub(crate) fn tracked_sources<'p>(
    plan: &PolicyPlan,
    tools: impl IntoIterator<Item = &'p ToolPlan>,
) -> Vec<&'p str> {
    let mut labels: Vec<&str> = Vec::new();
    for tool in tools {
        for label in &tool.sources {
            let tracked = plan
                .flows
                .iter()
                .any(|f| f.window != FlowWindow::Turn && f.from == *label);
            if tracked && !labels.contains(&label.as_str()) {
                labels.push(label);
            }
        }
    }
    labels
}

/// Marks the calls (one tool plan each) that data-flow rules stop, send to
/// confirmation or log. `touched(label, window)` says whether the session
/// admitted a call with that source label within the window (all of the
/// session when `None`). Calls already refused take no part.
pub(crate) fn flow_rules(
    plan: &PolicyPlan,
    touched: impl Fn(&str, Option<Duration>) -> bool,
    tools: &[&ToolPlan],
    verdicts: &mut [Verdict],
    marks: &mut [FlowMarks],
) {
    for flow in &plan.flows {
        let is_sink = |t: &ToolPlan| t.sinks.contains(&flow.to);
        let is_source = |t: &ToolPlan| t.sources.contains(&flow.from);
        let live = |test: &dyn Fn(&ToolPlan) -> bool, verdicts: &[Verdict]| {
            tools
                .iter()
                .zip(verdicts)
                .any(|(t, verdict)| verdict.is_none() && test(t))
        };
        if !live(&is_sink, verdicts) {
            continue;
        }
        let earlier = match flow.window {
            FlowWindow::Turn => false,
            FlowWindow::Session => touched(&flow.from, None),
            FlowWindow::Within(window) => touched(&flow.from, Some(window)),
        };
        let in_turn = live(&is_source, verdicts);
        if !earlier && !in_turn {
            continue;
        }
        for ((tool, verdict), mark) in tools.iter().zip(verdicts.iter_mut()).zip(marks.iter_mut()) {
            let (sink, source) = (is_sink(tool), is_source(tool));
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
                    mark.confirm.get_or_insert_with(|| flow.name.clone());
                }
                FlowAction::Log if sink => {
                    mark.logged.get_or_insert_with(|| flow.name.clone());
                }
                _ => {}
            }
        }
    }
}

/// Refuses the calls beyond the turn's quota, in call order.
pub(crate) fn turn_quota(plan: &PolicyPlan, verdicts: &mut [Verdict]) {
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

/// The refusal of a call over the quota `name`, with its audit note.
pub(crate) fn quota(name: &str, limit: u32) -> (Outcome, Option<String>) {
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

/// Whether a verdict refuses the call (a call pending approval keeps its
/// place: it may still run).
pub(crate) fn refused(verdict: &Verdict) -> bool {
    verdict
        .as_ref()
        .is_some_and(|(outcome, _)| !outcome.is_pending())
}
