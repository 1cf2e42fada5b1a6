//! Policies: two agents with different permissions on the same tools, a
//! data-flow rule, a refund that waits for a person's approval, and Cedar
//! rules over the arguments (own orders only, small refunds unless a
//! manager asks, each tenant reads its own rows).
//!
//! Run with `cargo run --example policy --features cedar`.

use std::time::Duration;

use guard_runtime::policy::{EntityLoadError, EntityLoader, EntityRef, Policy};
use guard_runtime::registry::BoxFuture;
use guard_runtime::{
    ApprovalRequest, CallContext, Decision, Guard, Outcome, ToolCall, ToolError, ToolReply,
    secure_tool,
};
use serde_json::{Value, json};

/// Search orders by customer name.
#[secure_tool(risk = "low")]
fn search_orders(customer: String) -> Vec<String> {
    vec![format!("#1042 for {customer}: 2 items, 59.90 EUR")]
}

/// Read an internal note.
#[secure_tool(risk = "medium")]
fn read_note(title: String) -> Result<String, ToolError> {
    match title.as_str() {
        "smtp" => Ok("SMTP relay password is in the vault".to_owned()),
        _ => Err(ToolError::new("no such note")),
    }
}

/// Send an email to a customer.
#[secure_tool(risk = "medium", sink = "external")]
fn send_email(to: String, body: String) -> String {
    format!("sent {} characters to {to}", body.len())
}

/// Refund an order.
#[secure_tool(risk = "high")]
fn refund(
    /// The order number.
    #[arg(resource = "Order")]
    order: u64,
    /// The amount, in cents.
    cents: u32,
) -> String {
    format!("refunded {cents} cents on order {order}")
}

/// Read rows of a tenant's table.
#[secure_tool(risk = "low")]
fn read_rows(tenant: String, table: String) -> String {
    format!("3 rows of {tenant}.{table}")
}

/// The application's data for the Cedar rules: who owns which order, and
/// which tenant each caller belongs to.
struct Shop;

impl EntityLoader for Shop {
    fn load<'a>(
        &'a self,
        wanted: &'a [EntityRef],
    ) -> BoxFuture<'a, Result<Vec<Value>, EntityLoadError>> {
        let owners = [("1042", "u-17"), ("2001", "u-99")];
        let tenants = [("u-17", "acme"), ("analyst", "acme")];
        let found = wanted
            .iter()
            .filter_map(|e| match e.entity_type.as_str() {
                "Order" => owners.iter().find(|(o, _)| *o == e.id).map(|(o, who)| {
                    json!({"uid": {"type": "Order", "id": o}, "parents": [],
                           "attrs": {"owner": {"__entity": {"type": "Caller", "id": who}}}})
                }),
                "Caller" => tenants.iter().find(|(c, _)| *c == e.id).map(|(c, t)| {
                    json!({"uid": {"type": "Caller", "id": c}, "parents": [], "attrs": {"tenant": t}})
                }),
                _ => None,
            })
            .collect();
        Box::pin(std::future::ready(Ok(found)))
    }
}

/// Sends one turn of calls and prints the replies.
async fn turn(guard: &Guard, ctx: &CallContext, who: &str, calls: &[ToolCall]) -> Vec<ToolReply> {
    let replies = guard.dispatch(ctx, calls).await;
    show(who, &replies);
    replies
}

fn show(who: &str, replies: &[ToolReply]) {
    for reply in replies {
        let text = match &reply.outcome {
            Outcome::PendingApproval { request } => {
                format!("waiting for approval ({})", request.reason)
            }
            _ => reply.content.clone(),
        };
        println!("  {who} {} -> {text}", reply.tool_call_id);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policy.toml");
    let guard = Guard::builder()
        .policy(Policy::from_path(path)?)
        .entity_loader(Shop)
        .deferred_approvals(Duration::from_secs(15 * 60))
        .build()?;

    let support = CallContext::new("support")
        .user("u-17")
        .roles(["support"])
        .session("chat-1");
    let analyst = CallContext::new("analyst").session("chat-2");

    let names = |ctx: &CallContext| -> Vec<String> {
        guard
            .openai_tools_for(ctx)
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
            .collect()
    };
    println!("tools offered to support: {:?}", names(&support));
    println!("tools offered to analyst: {:?}", names(&analyst));

    let call = |id: &str, tool: &str, args: &str| ToolCall::new(id, tool, args);
    println!("\nanalyst tries to email (not allowed for this agent):");
    let email = r#"{"to":"x@example.com","body":"hi"}"#;
    turn(
        &guard,
        &analyst,
        "analyst",
        &[call("a1", "send_email", email)],
    )
    .await;

    println!("\nsupport reads a note, then tries to email in the same session:");
    let note = r#"{"title":"smtp"}"#;
    turn(
        &guard,
        &support,
        "support",
        &[call("s1", "read_note", note)],
    )
    .await;
    let leak = r#"{"to":"x@example.com","body":"the password"}"#;
    turn(
        &guard,
        &support,
        "support",
        &[call("s2", "send_email", leak)],
    )
    .await;

    println!("\nCedar: support refunds someone else's order, and a large refund:");
    let refunds = [
        call("c1", "refund", r#"{"order":2001,"cents":500}"#),
        call("c2", "refund", r#"{"order":1042,"cents":50000}"#),
    ];
    turn(&guard, &support, "support", &refunds).await;

    println!("\nCedar: the analyst reads its own tenant's rows, then another's:");
    for (id, tenant) in [("a2", "acme"), ("a3", "globex")] {
        let rows = format!(r#"{{"tenant":"{tenant}","table":"invoices"}}"#);
        turn(&guard, &analyst, "analyst", &[call(id, "read_rows", &rows)]).await;
    }

    println!("\nsupport searches and refunds in one batch; the refund waits for a person:");
    let batch = [
        call("s3", "search_orders", r#"{"customer":"Ada"}"#),
        call("s4", "refund", r#"{"order":1042,"cents":5990}"#),
    ];
    let replies = turn(&guard, &support, "support", &batch).await;

    // A web app would store the request and show it in a review screen.
    let pending: Vec<ApprovalRequest> = replies
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::PendingApproval { request } => Some((**request).clone()),
            _ => None,
        })
        .collect();
    let stored = serde_json::to_string(&pending)?;
    println!("\nstored for review: {stored}");

    let reviewed: Vec<ApprovalRequest> = serde_json::from_str(&stored)?;
    let decisions = reviewed
        .into_iter()
        .map(|request| (request, Decision::Approve));
    let finished = guard.resume(&support, decisions).await;
    println!("\nafter approval:");
    show("support", &finished);
    Ok(())
}
