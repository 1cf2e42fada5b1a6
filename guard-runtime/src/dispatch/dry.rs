//! Checking a batch without running it: what a shield around a model
//! client needs to vet the tool calls in a response before anyone acts on
//! them.

use super::{Checked, Ready, SeenIds, echoable_name};
use crate::call::ToolCall;
use crate::context::CallContext;
use crate::guard::Guard;
use crate::outcome::{DenyReason, Outcome};
use crate::policy::BatchMode;
use crate::policy::rules::{
    FlowMarks, Verdict, backend_failed, flow_rules, history, reads_history, unavailable,
    wanted_sources,
};
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
        let agent = plan.agent(ctx);
        let mut verdicts: Vec<Result<(), Outcome>> = Vec::with_capacity(calls.len());
        let mut ready: Vec<Ready<'_, '_>> = Vec::new();
        let mut seen_ids = SeenIds::new(calls.len());
        let cap = plan
            .max_calls_per_batch
            .unwrap_or(self.inner.max_calls_per_batch);
        for (i, call) in calls.iter().enumerate() {
            let found = self.inner.registry.get_indexed(&call.name);
            let verdict = match found {
                _ if i >= cap => Err(Outcome::Denied {
                    reason: DenyReason::TooManyCalls { limit: cap },
                }),
                _ if seen_ids.repeated(calls, i) => Err(Outcome::DuplicateCallId),
                None => Err(Outcome::UnknownTool {
                    name: echoable_name(&call.name),
                }),
                Some((index, entry)) => {
                    let tool = &agent.tools[index];
                    match self.check(ctx, call, entry, tool, &plan, &entities).await {
                        Checked::Ready(entry, invocation, args, outbound_confirm) => {
                            ready.push(Ready {
                                call: i,
                                entry,
                                tool,
                                invocation,
                                args,
                                flow_confirm: None,
                                flow_logged: None,
                                backend_note: None,
                                outbound_confirm,
                            });
                            Ok(())
                        }
                        Checked::Refused(_, outcome) => Err(outcome),
                    }
                }
            };
            verdicts.push(verdict);
        }
        if !plan.flows.is_empty() && !ready.is_empty() {
            let key = ctx.state_session();
            let sources = wanted_sources(&plan, ready.iter().map(|r| r.tool));
            let mut ages = vec![None; sources.len()];
            let mut flow_verdicts: Vec<Verdict> = Vec::new();
            flow_verdicts.resize_with(ready.len(), || None);
            if !sources.is_empty() {
                // Reads the history only: no calls, nothing charged.
                let admission = Admission {
                    context: ctx,
                    session: key,
                    calls: &[],
                    session_calls: None,
                    session_calls_per_tool: None,
                    sources: sources.clone(),
                    standing: Vec::new(),
                };
                let answer = self.inner.state.admit(&admission).await;
                match answer {
                    Ok(admitted) if admitted.sources.len() == sources.len() => {
                        ages = admitted.sources;
                    }
                    Ok(_) | Err(_) => {
                        let err = answer.err().unwrap_or_else(|| {
                            BackendError::new("the backend answered another number of questions")
                        });
                        if backend_failed(&plan, &err).is_some() {
                            // The sinks whose history is unknown cannot be cleared.
                            ready.retain(|r| {
                                let blind = reads_history(&plan, &sources, r.tool);
                                if blind {
                                    verdicts[r.call] = Err(unavailable());
                                }
                                !blind
                            });
                        }
                    }
                }
            }
            // Checking only: what a flow rule would confirm or log changes nothing here.
            let tools: Vec<_> = ready.iter().map(|r| r.tool).collect();
            let mut marks = vec![FlowMarks::default(); ready.len()];
            flow_rules(
                &plan,
                history(&sources, &ages),
                &tools,
                &mut flow_verdicts,
                &mut marks,
            );
            for (r, verdict) in ready.iter().zip(flow_verdicts) {
                if let Some((outcome, _)) = verdict {
                    verdicts[r.call] = Err(outcome);
                }
            }
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
}
