//! Checking a batch without running it: what a shield around a model
//! client needs to vet the tool calls in a response before anyone acts on
//! them.

use crate::call::ToolCall;
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome};
use crate::policy::rules::{
    FlowMarks, Verdict, backend_failed, flow_rules, history, reads_history, unavailable,
    wanted_sources,
};
use crate::policy::{BatchMode, PolicyPlan, ToolPlan};
use crate::state::{Admission, BackendError};

impl Guard {
    /// Checks a batch of tool calls as [`Guard::dispatch`] would — known
    /// tool, policy and roles, size, schema, validators, data-flow rules,
    /// all-or-nothing batches — without running anything, asking a
    /// confirmer, or using up rate limits and quotas. `Ok(())` means the
    /// call would go on to its limits and confirmation.
    ///
    /// ```standalone_crate
    /// use guard_runtime::{CallContext, Guard, ToolCall, secure_tool};
    ///
    /// /// Read a file.
    /// #[secure_tool(risk = "low")]
    /// fn read_file(path: String) -> String { path }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let guard = Guard::builder().build().unwrap();
    /// let verdicts = guard.validate(&CallContext::new("a"), &[
    ///     ToolCall::new("1", "read_file", r#"{"path":"notes.md"}"#),
    ///     ToolCall::new("2", "read_file", r#"{"path":"../../etc/passwd"}"#),
    /// ]).await;
    /// assert!(verdicts[0].is_ok());
    /// assert_eq!(verdicts[1].as_ref().unwrap_err().kind(), "unsafe_argument");
    /// # }
    /// ```
    pub async fn validate(
        &self,
        ctx: &CallContext,
        calls: &[ToolCall],
    ) -> Vec<Result<(), Outcome>> {
        let plan = self.inner.policy.load_full();
        let entities = crate::policy::cedar::EntityCache::default();
        let (slots, ready) = self
            .intake(ctx, calls, &plan, plan.agent(ctx), &entities)
            .await;
        let mut verdicts: Vec<Result<(), Outcome>> = slots
            .into_iter()
            .map(|slot| slot.answer.map_or(Ok(()), |answer| Err(answer.outcome)))
            .collect();
        // Nothing runs: the calls' tools are all the rules below read.
        let passed: Vec<(usize, &ToolPlan)> = ready.iter().map(|r| (r.call, r.tool)).collect();
        drop(ready);
        if !plan.flows.is_empty() && !passed.is_empty() {
            self.dry_flows(ctx, &plan, passed, &mut verdicts).await;
        }
        if plan.batch == BatchMode::AllOrNothing
            && let Some(first) = verdicts.iter().position(Result::is_err)
        {
            let refused_call = crate::audit::bounded(&calls[first].id);
            for verdict in verdicts.iter_mut().filter(|v| v.is_ok()) {
                *verdict = Err(Outcome::Denied {
                    reason: DenyReason::Batch {
                        refused_call: refused_call.clone(),
                    },
                });
            }
        }
        verdicts
    }

    /// The data-flow rules over the calls that passed, reading the
    /// session's history without charging anything. A sink whose history
    /// the backend cannot tell is refused when the policy fails closed.
    async fn dry_flows(
        &self,
        ctx: &CallContext,
        plan: &PolicyPlan,
        mut passed: Vec<(usize, &ToolPlan)>,
        verdicts: &mut [Result<(), Outcome>],
    ) {
        let sources = wanted_sources(plan, passed.iter().map(|(_, tool)| *tool));
        let mut ages = vec![None; sources.len()];
        if !sources.is_empty() {
            let admission = Admission {
                context: ctx,
                session: ctx.state_session(),
                calls: &[],
                session_calls: None,
                session_calls_per_tool: None,
                sources: sources.clone(),
                standing: Vec::new(),
            };
            match self.inner.state.admit(&admission).await {
                Ok(admitted) if admitted.sources.len() == sources.len() => ages = admitted.sources,
                answer => {
                    let err = answer.err().unwrap_or_else(|| {
                        BackendError::new("the backend answered another number of questions")
                    });
                    if backend_failed(plan, &err).is_some() {
                        passed.retain(|(call, tool)| {
                            let blind = reads_history(plan, &sources, tool);
                            if blind {
                                verdicts[*call] = Err(unavailable());
                            }
                            !blind
                        });
                    }
                }
            }
        }
        // Checking only: what a flow rule would confirm or log changes nothing here.
        let tools: Vec<&ToolPlan> = passed.iter().map(|(_, tool)| *tool).collect();
        let mut flow_verdicts: Vec<Verdict> = vec![None; passed.len()];
        let mut marks = vec![FlowMarks::default(); passed.len()];
        let history = history(&sources, &ages);
        flow_rules(plan, history, &tools, &mut flow_verdicts, &mut marks);
        for ((call, _), verdict) in passed.iter().zip(flow_verdicts) {
            if let Some((outcome, _)) = verdict {
                verdicts[*call] = Err(outcome);
            }
        }
    }
}
