//! Authorization and policy: how risky a tool is and what that demands, and
//! the operator's policy file (per-agent permissions, roles, quotas, batch
//! and data-flow rules), and the batch rules' decisions (`rules`).

pub(crate) mod cedar;
mod file;
mod plan;
mod risk;
pub(crate) mod rules;

pub use cedar::{EntityLoadError, EntityLoader, EntityRef};
pub use file::{BatchMode, Format, OnBackendError, Policy, PolicyError};
pub(crate) use file::{FlowAction, FlowWindow};
pub(crate) use plan::{AgentPlan, PolicyPlan, ToolPlan};
pub use risk::{ParseRiskError, Risk};
