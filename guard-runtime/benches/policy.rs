//! `cargo bench --bench policy`: full dispatch of one allowed call under a
//! 20-rule policy (agent allow/deny globs, per-tool roles, rates and
//! timeouts, quotas, data-flow rules, all-or-nothing batches), with the
//! default output scanning and without it.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use guard_runtime::policy::{Format, Policy};
use guard_runtime::{CallContext, Guard, ToolCall, ToolError, secure_tool};
use support::{ARGS, RingSink, bench_dispatch, output_policy};

/// Look up a customer's order.
#[secure_tool(risk = "low")]
async fn lookup(customer: String, order: u32, include_items: bool) -> Result<String, ToolError> {
    Ok(if include_items {
        customer
    } else {
        order.to_string()
    })
}

/// Read the vault.
#[secure_tool(risk = "medium", source = "secrets")]
fn read_secret(name: String) -> String {
    name
}

/// Send an email.
#[secure_tool(risk = "medium", sink = "external")]
fn send_email(to: String) -> String {
    to
}

/// Delete a user.
#[secure_tool(risk = "critical", roles = ["admin"])]
fn delete_user(id: u64) -> String {
    id.to_string()
}

/// Build a report.
#[secure_tool(risk = "low")]
fn report_sales(month: u8) -> String {
    month.to_string()
}

/// Twenty rules: 4 agent sections with allow and deny lists (8), 5 tool
/// sections (roles, rate, timeout, labels; 5), 3 quotas, 3 flow rules,
/// and the batch mode.
const POLICY: &str = r#"
batch = "all_or_nothing"

[quotas]
session_calls = 4000000000
session_calls_per_tool = 4000000000
turn_calls = 16

[agents.default]
allow = ["lookup", "report_*"]
deny = ["*_admin"]

[agents.agent-1]
allow = ["look*", "report_*", "read_*"]
deny = ["delete_*"]

[agents.agent-2]
allow = ["*"]
deny = ["send_*"]

[agents.agent-3]
allow = ["report_*"]
deny = ["report_secret*"]

[agents.agent-1.tools.lookup]
roles = ["analyst", "support"]
rate = 4000000000
timeout = "5s"

[tools.lookup]
timeout = "10s"

[tools.read_secret]
source = ["pii"]

[tools.send_email]
confirm = true

[tools.report_sales]
rate = 1000000

[[flows]]
from = "secrets"
to = "external"

[[flows]]
from = "pii"
to = "external"
window = "session"

[[flows]]
from = "secrets"
to = "email"
action = "log"
window = "10m"
"#;

fn policy(c: &mut Criterion) {
    for (bench, scan_output) in [
        ("policy_20_rules", true),
        ("policy_20_rules_no_output_scan", false),
    ] {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let guard = Guard::builder()
            .policy(Policy::from_str(POLICY, Format::Toml).unwrap())
            .audit(RingSink::default())
            .output_policy(output_policy(scan_output))
            .eager_schemas()
            .build()
            .unwrap();
        let ctx = CallContext::new("agent-1")
            .user("u-7")
            .roles(["analyst"])
            .session("s-1");
        let calls = [ToolCall::new("call_1", "lookup", ARGS)];
        bench_dispatch(c, bench, &rt, &guard, &ctx, &calls);
    }
}

criterion_group!(benches, policy);
criterion_main!(benches);
