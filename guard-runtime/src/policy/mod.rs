//! Authorization and policy: how risky a tool is and what that demands, and
//! the operator's policy file (per-agent permissions, roles, quotas, batch
//! and data-flow rules).

mod file;
mod plan;
mod risk;
mod session;

pub use file::{BatchMode, Format, Policy, PolicyError};
pub(crate) use file::{FlowAction, FlowWindow};
pub(crate) use plan::{PolicyPlan, ToolPlan};
pub use risk::{ParseRiskError, Risk};
pub(crate) use session::{Session, SessionBook};
