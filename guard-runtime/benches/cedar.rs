//! `cargo bench -p guard-runtime --features cedar --bench cedar`: one
//! allowed call (`{"customer":"c-1042","order":77,"include_items":true}`)
//! with 100 Cedar policies loaded, against the same call without Cedar.
//! Output scanning off, audit to a ring buffer, no entity loader.

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

/// Refund an order.
#[secure_tool(risk = "high", sink = "payments")]
async fn refund(order: u32, cents: u32) -> String {
    format!("{order} {cents}")
}

/// One permit and 99 forbids, `lookup_share` in every 10 of them on this
/// call's action (conditions over its arguments, none of which hold), the
/// rest on the other tool or on an action group it is not in.
fn hundred_policies(lookup_share: usize) -> String {
    let mut text = String::from("@id(\"base\")\npermit(principal, action, resource);\n");
    for i in 0..99 {
        let kind = if i % 10 < lookup_share { 0 } else { 1 + i % 2 };
        let rule = match kind {
            0 => format!(
                "forbid(principal, action == Action::\"lookup\", resource) when {{ context.input.order == {} }};",
                100_000 + i
            ),
            1 => format!(
                "forbid(principal, action == Action::\"refund\", resource) when {{ context.input.cents > {} && !principal.roles.contains(\"manager\") }};",
                10_000 + i
            ),
            _ => format!(
                "forbid(principal, action in Action::\"risk:high\", resource) when {{ context.input has cents && context.input.cents == {i} }};"
            ),
        };
        text.push_str(&format!("@id(\"rule-{i}\")\n{rule}\n"));
    }
    text
}

fn cedar(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let ctx = CallContext::new("bench").user("alice").roles(["support"]);
    let calls = [ToolCall::new("c1", "lookup", ARGS)];
    let build = |policy: Policy| {
        Guard::builder()
            .policy(policy)
            .output_policy(output_policy(false))
            .audit(RingSink::default())
            .build()
            .unwrap()
    };

    let without = build(Policy::default());
    bench_dispatch(c, "cedar_none", &rt, &without, &ctx, &calls);

    let cedar = |text: String| {
        let toml = format!("[cedar]\npolicies = '''\n{text}'''\n");
        build(Policy::from_str(&toml, Format::Toml).unwrap())
    };
    let one = cedar("permit(principal, action, resource);\n".into());
    bench_dispatch(c, "cedar_1_policy", &rt, &one, &ctx, &calls);
    // 100 policies over ten tools: about 10 apply to this call.
    let spread = cedar(hundred_policies(1));
    bench_dispatch(c, "cedar_100_policies", &rt, &spread, &ctx, &calls);
    // The same 100 with a third of them on this call's action.
    let crowded = cedar(hundred_policies(3));
    bench_dispatch(
        c,
        "cedar_100_policies_34_apply",
        &rt,
        &crowded,
        &ctx,
        &calls,
    );
}

criterion_group!(benches, cedar);
criterion_main!(benches);
