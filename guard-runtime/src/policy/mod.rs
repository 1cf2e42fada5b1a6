//! Authorization and policy: how risky a tool is and what that demands.

mod risk;

pub use risk::{ParseRiskError, Risk};
