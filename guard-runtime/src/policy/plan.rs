//! A policy compiled against one guard's tools: for every agent section and
//! every tool, the effective settings, so a call looks them up by index.
//!
//! The rule: the policy and the tool's attribute combine as "the stricter
//! wins" — the higher risk, confirmation if either asks, the shorter
//! timeout, both rate limits, a role from each list — unless a policy tool
//! section says `override = true`, in which case its values replace what
//! came before it (the attribute and, for an agent's section, the policy's
//! `tools` section). Sections apply in order: attribute, `[tools.NAME]`,
//! `[agents.AGENT.tools.NAME]`. Data-flow labels are always added.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use super::file::{
    AgentRules, BatchMode, FlowAction, FlowWindow, Glob, OnBackendError, Policy, Quotas, ToolRules,
};
use super::{PolicyError, Risk};
use crate::context::CallContext;
use crate::limits::{Clock, RateLimit, RateScope};
use crate::outcome::DenyReason;
use crate::registry::{Registry, ToolEntry};
use crate::validate::ToolValidators;

/// The section name that applies to agents without their own.
pub(crate) const DEFAULT_AGENT: &str = "default";

pub(crate) struct PolicyPlan {
    pub(crate) source: Arc<Policy>,
    pub(crate) batch: BatchMode,
    pub(crate) max_parallel: Option<usize>,
    pub(crate) max_calls_per_batch: Option<usize>,
    pub(crate) sequential_risk: Risk,
    pub(crate) quotas: Quotas,
    pub(crate) flows: Vec<FlowPlan>,
    pub(crate) user_rate: Option<RateLimit>,
    pub(crate) on_backend_error: OnBackendError,
    /// The policy file's `[outbound]` section, when it has one.
    pub(crate) outbound: Option<crate::outbound::OutboundPolicy>,
    pub(crate) default: AgentPlan,
    /// The Cedar policies, compiled against the tools.
    #[cfg(feature = "cedar")]
    pub(crate) cedar: Option<super::cedar::CedarPlan>,
    pub(crate) agents: HashMap<String, AgentPlan>,
}

/// One agent section's view of every tool, in registry order.
pub(crate) struct AgentPlan {
    pub(crate) section: Arc<str>,
    /// `SECTION: allowed`, the audit note of most calls, built once.
    pub(crate) allowed: Arc<str>,
    pub(crate) tools: Vec<ToolPlan>,
}

/// The effective settings of one tool for one agent section.
pub(crate) struct ToolPlan {
    /// `None` when allowed; else which list refused it.
    pub(crate) refused_by: Option<String>,
    pub(crate) risk: Risk,
    pub(crate) confirm: bool,
    /// Why confirmation is needed, for the approver.
    pub(crate) confirm_reason: &'static str,
    pub(crate) timeout: Option<Duration>,
    /// Whether the attribute's own rate limit still applies.
    pub(crate) attribute_rate: bool,
    pub(crate) rates: Vec<RateLimit>,
    /// The caller needs a role from each list.
    pub(crate) roles: Vec<Vec<String>>,
    pub(crate) sources: Vec<String>,
    pub(crate) sinks: Vec<String>,
    /// Validators built for the policy's validator options, if it sets any.
    pub(crate) validators: Option<ToolValidators>,
    /// Where the body runs, when not in process.
    pub(crate) sandbox: Option<crate::sandbox::ToolSandbox>,
}

pub(crate) struct FlowPlan {
    pub(crate) name: String,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) action: FlowAction,
    pub(crate) window: FlowWindow,
}

impl PolicyPlan {
    pub(crate) fn compile(
        policy: Policy,
        registry: &Registry,
        scope: RateScope,
        clock: &Clock,
    ) -> Result<PolicyPlan, PolicyError> {
        // Tool sections must name tools of this guard: a typo would silently
        // leave a tool unrestricted.
        let named = policy
            .tools
            .keys()
            .map(|tool| (format!("tools.{tool}"), tool))
            .chain(policy.agents.iter().flat_map(|(agent, rules)| {
                rules
                    .tools
                    .keys()
                    .map(move |tool| (format!("agents.{agent}.tools.{tool}"), tool))
            }));
        for (key, tool) in named {
            if registry.get(tool).is_none() {
                return Err(PolicyError::new(
                    Some(key),
                    format!("no tool named `{tool}` in this guard"),
                ));
            }
        }
        if let Some(outbound) = &policy.outbound {
            crate::outbound::check_names(outbound, registry, &policy)
                .map_err(|message| PolicyError::new(Some("outbound".into()), message))?;
        }
        let everything = AgentRules {
            allow: vec![],
            deny: vec![],
            tools: Default::default(),
        };
        let plan_for =
            |section: &str, rules: Option<&AgentRules>| -> Result<AgentPlan, PolicyError> {
                Ok(AgentPlan {
                    section: section.into(),
                    allowed: format!("{section}: allowed").into(),
                    tools: registry
                        .iter()
                        .map(|entry| {
                            tool_plan(
                                entry,
                                &policy,
                                section,
                                rules.unwrap_or(&everything),
                                rules.is_none(),
                                scope,
                                clock,
                            )
                        })
                        .collect::<Result<_, _>>()?,
                })
            };
        let default = plan_for(DEFAULT_AGENT, policy.agents.get(DEFAULT_AGENT))?;
        let agents: HashMap<String, AgentPlan> = policy
            .agents
            .iter()
            .filter(|(name, _)| *name != DEFAULT_AGENT)
            .map(|(name, rules)| Ok((name.clone(), plan_for(name, Some(rules))?)))
            .collect::<Result<_, PolicyError>>()?;
        // A flow over a label no tool has guards nothing: one typo would
        // switch an exfiltration rule off.
        let plans = std::iter::once(&default).chain(agents.values());
        let has_label = |label: &str, sink: bool| {
            policy.labels.iter().any(|l| l == label)
                || plans.clone().flat_map(|a| a.tools.iter()).any(|t| {
                    let labels = if sink { &t.sinks } else { &t.sources };
                    labels.iter().any(|l| l == label)
                })
        };
        for (i, rule) in policy.flows.iter().enumerate() {
            for (field, label, sink) in [("from", &rule.from, false), ("to", &rule.to, true)] {
                if !has_label(label, sink) {
                    let kind = if sink { "sink" } else { "source" };
                    return Err(PolicyError::new(
                        Some(format!("flows[{i}].{field}")),
                        format!(
                            "no tool has the {kind} label `{label}`, so this rule would never apply; \
                             fix the label or declare it in `labels`"
                        ),
                    ));
                }
            }
        }
        let flows = policy
            .flows
            .iter()
            .map(|rule| FlowPlan {
                name: rule.name(),
                from: rule.from.clone(),
                to: rule.to.clone(),
                action: rule.action,
                window: rule.window,
            })
            .collect();
        #[cfg(feature = "cedar")]
        let cedar = match &policy.cedar {
            Some(section) => Some(super::cedar::CedarPlan::compile(
                section,
                registry,
                |tool| {
                    let plan = &default.tools[registry.get_indexed(tool).map_or(0, |(i, _)| i)];
                    (
                        plan.risk.to_string(),
                        plan.sources.clone(),
                        plan.sinks.clone(),
                    )
                },
            )?),
            None => None,
        };
        #[cfg(not(feature = "cedar"))]
        if policy.cedar.is_some() {
            return Err(PolicyError::new(
                Some("cedar".into()),
                "this policy has Cedar policies, but guard-runtime was built without the `cedar` feature",
            ));
        }
        Ok(PolicyPlan {
            #[cfg(feature = "cedar")]
            cedar,
            batch: policy.batch,
            max_parallel: policy.max_parallel.map(|n| n.get()),
            max_calls_per_batch: policy.max_calls_per_batch.map(|n| n.get()),
            sequential_risk: policy.sequential_risk,
            quotas: policy.quotas.clone(),
            flows,
            user_rate: policy
                .quotas
                .user_calls_per_minute
                .map(|n| RateLimit::new("user", n, RateScope::User, clock.clone())),
            on_backend_error: policy.on_backend_error,
            outbound: policy.outbound.clone(),
            default,
            agents,
            source: Arc::new(policy),
        })
    }

    /// The section that applies to the caller.
    pub(crate) fn agent(&self, ctx: &CallContext) -> &AgentPlan {
        self.agents.get(ctx.agent_id()).unwrap_or(&self.default)
    }
}

fn tool_plan(
    entry: &ToolEntry,
    policy: &Policy,
    agent: &str,
    rules: &AgentRules,
    no_section: bool,
    scope: RateScope,
    clock: &Clock,
) -> Result<ToolPlan, PolicyError> {
    let registration = entry.registration;
    let name = registration.name;
    let refused_by = if no_section {
        None
    } else if let Some(glob) = rules.deny.iter().find(|g| g.is_match(name)) {
        Some(format!("deny {glob:?}"))
    } else if !rules.allow.iter().any(|g: &Glob| g.is_match(name)) {
        Some("not in allow".to_owned())
    } else {
        None
    };
    let mut plan = ToolPlan {
        refused_by,
        risk: registration.risk,
        confirm: registration.confirm,
        confirm_reason: TOOL_ASKS,
        timeout: registration.timeout,
        attribute_rate: true,
        rates: Vec::new(),
        roles: if registration.roles.is_empty() {
            Vec::new()
        } else {
            vec![registration.roles.iter().map(|r| (*r).to_owned()).collect()]
        },
        sources: registration
            .sources
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        sinks: registration.sinks.iter().map(|s| (*s).to_owned()).collect(),
        validators: None,
        sandbox: None,
    };
    let mut policy_rate: Option<NonZeroU32> = None;
    for section in [policy.tools.get(name), rules.tools.get(name)]
        .into_iter()
        .flatten()
    {
        apply(&mut plan, &mut policy_rate, section);
    }
    if let Some(rate) = policy_rate {
        plan.rates.push(RateLimit::new(
            format!("policy/{agent}/{name}"),
            rate,
            scope,
            clock.clone(),
        ));
    }
    let sections = [
        (format!("tools.{name}"), policy.tools.get(name)),
        (
            format!("agents.{agent}.tools.{name}"),
            rules.tools.get(name),
        ),
    ];
    let narrowing: Vec<_> = sections
        .iter()
        .filter_map(|(_, section)| section.and_then(|s| s.narrowing()))
        .collect();
    if !narrowing.is_empty() {
        let validators = entry
            .argument_validators_with(&narrowing)
            .map_err(|message| {
                let key = sections
                    .iter()
                    .rev()
                    .find(|(_, s)| s.is_some_and(|s| s.narrowing().is_some()))
                    .map(|(key, _)| key.clone());
                PolicyError::new(key, message)
            })?;
        plan.validators = Some(validators);
    }
    plan.sandbox = sandbox_plan(entry, policy, &plan, &sections)?;
    if !plan.confirm && plan.risk >= policy.confirm_risk {
        plan.confirm = true;
        plan.confirm_reason = RISK_ASKS;
    }
    Ok(plan)
}

/// The tool's sandbox profile: the last section naming one, else the
/// attribute's; resolved against the policy's profiles.
fn sandbox_plan(
    entry: &ToolEntry,
    policy: &Policy,
    plan: &ToolPlan,
    sections: &[(String, Option<&ToolRules>)],
) -> Result<Option<crate::sandbox::ToolSandbox>, PolicyError> {
    use super::file::SandboxChoice;
    let from_policy = sections.iter().rev().find_map(|(key, s)| {
        s.and_then(|s| s.sandbox.as_ref())
            .map(|choice| (Some(format!("{key}.sandbox")), choice))
    });
    let attribute = entry
        .registration
        .sandbox
        .map(|n| SandboxChoice::Named(n.to_owned()));
    let Some((key, choice)) = from_policy.or(attribute.as_ref().map(|c| (None, c))) else {
        return Ok(None);
    };
    let tool = entry.registration.name;
    if !crate::sandbox::AVAILABLE {
        return Err(PolicyError::new(
            key,
            format!(
                "tool `{tool}` runs in a sandbox, but guard-runtime was built without the `sandbox` feature (Linux only)"
            ),
        ));
    }
    let (name, base) = match choice {
        SandboxChoice::Inline(profile) => (tool, (**profile).clone()),
        SandboxChoice::Named(name) => match policy.sandboxes.get(name) {
            Some(profile) => (name.as_str(), profile.clone()),
            None if name == crate::sandbox::DEFAULT_PROFILE => (name.as_str(), Default::default()),
            None => {
                return Err(PolicyError::new(
                    key,
                    format!("tool `{tool}` names sandbox profile `{name}`, which is not defined"),
                ));
            }
        },
    };
    let root = match &plan.validators {
        Some(validators) => validators.path_root(),
        None => entry.argument_validators().ok().and_then(|v| v.path_root()),
    };
    Ok(Some(crate::sandbox::ToolSandbox {
        name: name.into(),
        profile: base.for_tool(root),
    }))
}

const TOOL_ASKS: &str = "the tool asks for confirmation";
const POLICY_ASKS: &str = "the policy asks for confirmation";
const RISK_ASKS: &str = "its risk is at or above the policy's confirm_risk";

/// One policy section on top of what came before it.
fn apply(plan: &mut ToolPlan, policy_rate: &mut Option<NonZeroU32>, section: &ToolRules) {
    if section.relax {
        if let Some(risk) = section.risk {
            plan.risk = risk;
        }
        if let Some(confirm) = section.confirm {
            plan.confirm = confirm;
            plan.confirm_reason = POLICY_ASKS;
        }
        if let Some(timeout) = section.timeout {
            plan.timeout = Some(timeout.0);
        }
        if let Some(rate) = section.rate {
            *policy_rate = Some(rate);
            plan.attribute_rate = false;
        }
        if let Some(roles) = &section.roles {
            plan.roles = vec![roles.clone()];
        }
    } else {
        if let Some(risk) = section.risk {
            plan.risk = plan.risk.max(risk);
        }
        if section.confirm == Some(true) && !plan.confirm {
            plan.confirm = true;
            plan.confirm_reason = POLICY_ASKS;
        }
        if let Some(timeout) = section.timeout {
            plan.timeout = Some(plan.timeout.map_or(timeout.0, |t| t.min(timeout.0)));
        }
        if let Some(rate) = section.rate {
            *policy_rate = Some(policy_rate.map_or(rate, |r| r.min(rate)));
        }
        if let Some(roles) = &section.roles {
            plan.roles.push(roles.clone());
        }
    }
    for label in &section.source {
        if !plan.sources.contains(label) {
            plan.sources.push(label.clone());
        }
    }
    for label in &section.sink {
        if !plan.sinks.contains(label) {
            plan.sinks.push(label.clone());
        }
    }
}

impl ToolPlan {
    /// Why this agent's policy refuses the caller this tool, if it does:
    /// not on the allow-list, or missing a role.
    /// `section` names the agent's policy section, asked only for a refusal.
    pub(crate) fn refusal(
        &self,
        ctx: &CallContext,
        section: impl FnOnce() -> String,
    ) -> Option<DenyReason> {
        if let Some(rule) = &self.refused_by {
            return Some(DenyReason::NotAllowed {
                section: section(),
                rule: rule.clone(),
            });
        }
        self.missing_role(ctx)
            .map(|any_of| DenyReason::MissingRole {
                any_of: any_of.to_vec(),
            })
    }

    /// The role list the caller has none of, if any.
    pub(crate) fn missing_role(&self, ctx: &CallContext) -> Option<&[String]> {
        self.roles
            .iter()
            .find(|any_of| !any_of.iter().any(|role| ctx.has_role(role)))
            .map(Vec::as_slice)
    }
}
