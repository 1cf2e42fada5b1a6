//! Running a turn's checked calls (each through `exec`, the output stage
//! and, for source tools, the outbound fingerprints), and answering each
//! call: its audit record and its reply.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::{Answer, MAX_TOOL_ERROR_CHARS, Ready};
use crate::audit::{CallRecord, StepTimes};
use crate::call::{ToolCall, ToolReply};
use crate::context::CallContext;
use crate::exec;
use crate::guard::{Guard, Inner};
use crate::limits::TurnLimits;
use crate::outbound;
use crate::outcome::Outcome;
use crate::policy::PolicyPlan;
use crate::policy::rules::{backend_failed, unavailable};
use crate::registry::{Invocation, ToolEntry};
use crate::scan::without_secrets;

impl Guard {
    /// Runs the calls that passed every rule, concurrently within the
    /// turn's limits (at most `max_parallel`; tools at or above
    /// `sequential_risk` one at a time), and hands each call's position and
    /// answer to `answered`.
    pub(super) async fn run_turn(
        &self,
        ctx: &CallContext,
        plan: &PolicyPlan,
        mut ready: Vec<Ready<'_, '_>>,
        mut answered: impl FnMut(usize, Answer),
    ) {
        if ready.len() <= 1 {
            // Alone in its turn: no turn limits to wait for.
            if let Some(r) = ready.pop() {
                let call = r.call;
                answered(call, self.run_one(ctx, plan, r).await);
            }
            return;
        }
        let turn = TurnLimits::new(plan.max_parallel);
        let runs = ready.into_iter().map(|r| {
            let sequential = r.tool.risk >= plan.sequential_risk;
            let turn = &turn;
            async move {
                let _place = turn.enter(sequential).await;
                (r.call, self.run_one(ctx, plan, r).await)
            }
        });
        for (call, answer) in join_all(runs).await {
            answered(call, answer);
        }
    }

    async fn run_one(&self, ctx: &CallContext, plan: &PolicyPlan, r: Ready<'_, '_>) -> Answer {
        let timeout = r.tool.timeout.unwrap_or(self.inner.default_timeout);
        let answer = execute(r.entry, r.invocation, timeout, &self.inner)
            .await
            .sandboxed(&self.inner, r.tool);
        self.taint_from(ctx, plan, r.tool, answer).await
    }

    /// Remembers what a `source` tool returned (its fingerprints, in the
    /// session's state) so that a later sink call carrying it is caught.
    /// When it cannot be remembered, the output is withheld: the model
    /// cannot send out what it never saw.
    async fn taint_from(
        &self,
        ctx: &CallContext,
        plan: &PolicyPlan,
        tool: &crate::policy::ToolPlan,
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

    /// Records a call's audit event and makes its reply.
    pub(super) fn reply(
        &self,
        ctx: &CallContext,
        call: &ToolCall,
        entry: Option<&ToolEntry>,
        answer: Answer,
        decision: Arc<str>,
        started: Instant,
    ) -> ToolReply {
        let event = CallRecord {
            ctx,
            call,
            entry,
            outcome: &answer.outcome,
            content: &answer.content,
            policy: decision,
            latency: answer.finished - started,
            sandbox: answer.sandbox.clone(),
            steps: answer.steps,
        }
        .event(self.inner.audit_content);
        for sink in &self.inner.sinks {
            sink.record(&event);
        }
        ToolReply {
            tool_call_id: call.id.clone(),
            content: answer.content,
            outcome: answer.outcome,
        }
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
    let began = Instant::now();
    let ended = exec::execute(
        name,
        invocation,
        timeout,
        &inner.concurrency,
        &inner.detached,
    )
    .await;
    let ran = Instant::now();
    let steps = |output: Instant| StepTimes {
        execute: ran - began,
        output: output - ran,
    };
    let content = match ended {
        Ok(content) => content,
        Err(failure) => {
            let mut answer = Answer::refusal(
                failure.into_outcome(|message| without_secrets(message, MAX_TOOL_ERROR_CHARS)),
            );
            answer.steps = Some(steps(answer.finished));
            return answer;
        }
    };
    let handled = inner.output.handle(name, content);
    if let Some(reason) = handled.blocked {
        tracing::warn!(target: "guard::output", tool = name, reason, "tool output withheld");
        let mut answer = Answer::refusal(Outcome::OutputBlocked {
            reason: reason.to_owned(),
        });
        answer.steps = Some(steps(answer.finished));
        return answer;
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
    let finished = Instant::now();
    Answer {
        outcome,
        content: handled.content,
        finished,
        sandbox: None,
        steps: Some(steps(finished)),
    }
}
