//! Cedar authorization on arguments: a refund rule over the order's owner,
//! the amount and the caller's roles, a multi-tenant read rule over a
//! caller attribute the application supplies, entity data loaded once per
//! batch, errors with their position, reloads, and fail-closed cases.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use guard_runtime::policy::{EntityLoadError, EntityLoader, EntityRef, Format, Policy};
use guard_runtime::registry::BoxFuture;
use guard_runtime::{CallContext, DenyReason, Guard, Outcome, ToolCall, secure_tool};
use serde_json::{Value, json};

/// Refund part of an order.
#[secure_tool(risk = "high")]
fn refund(
    /// The order to refund.
    #[arg(resource = "Order")]
    order_id: String,
    /// The amount, in dollars.
    amount: u32,
) -> String {
    format!("refunded {amount} on {order_id}")
}

/// Read rows of a tenant's table.
#[secure_tool(risk = "low")]
fn read_rows(tenant: String, table: String) -> String {
    format!("rows of {tenant}.{table}")
}

/// Read a file.
#[secure_tool(risk = "low")]
fn read_file(path: String) -> String {
    path
}

const POLICIES: &str = r#"permit(principal, action, resource);

@id("refund-own-orders-under-100")
forbid(principal, action == Action::"refund", resource)
unless { resource.owner == principal && (context.input.amount <= 100 || principal.roles.contains("manager")) };

@id("own-tenant-only")
forbid(principal, action == Action::"read_rows", resource)
unless { context.input.tenant == principal.tenant };
"#;

fn policy_toml(policies: &str) -> String {
    format!(
        "[cedar]\npolicies = '''\n{policies}'''\nschema = \"entity Order {{ owner: Caller }};\"\n\n[cedar.caller]\ntenant = \"String\"\n"
    )
}

/// Orders and users, as an application's database would answer.
#[derive(Default)]
struct Shop {
    calls: AtomicUsize,
    down: bool,
}

impl EntityLoader for Shop {
    fn load<'a>(
        &'a self,
        wanted: &'a [EntityRef],
    ) -> BoxFuture<'a, Result<Vec<Value>, EntityLoadError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.down {
                return Err(EntityLoadError("database unreachable".into()));
            }
            let owners = [("o-1", "alice"), ("o-2", "bob"), ("o-3", "carol")];
            let tenants = [("alice", "acme"), ("bob", "globex"), ("carol", "acme")];
            Ok(wanted
                .iter()
                .filter_map(|e| match e.entity_type.as_str() {
                    "Order" => owners.iter().find(|(o, _)| *o == e.id).map(|(o, who)| {
                        json!({"uid": {"type": "Order", "id": o},
                               "attrs": {"owner": {"__entity": {"type": "Caller", "id": who}}},
                               "parents": []})
                    }),
                    "Caller" => tenants.iter().find(|(u, _)| *u == e.id).map(|(u, t)| {
                        json!({"uid": {"type": "Caller", "id": u}, "attrs": {"tenant": t}, "parents": []})
                    }),
                    _ => None,
                })
                .collect())
        })
    }
}

fn guard_with(policies: &str, shop: Shop) -> Guard {
    Guard::builder()
        .policy(Policy::from_str(&policy_toml(policies), Format::Toml).unwrap())
        .entity_loader(shop)
        .build()
        .unwrap()
}

fn user(name: &str, roles: &[&str]) -> CallContext {
    CallContext::new("support-bot")
        .user(name)
        .roles(roles.iter().copied())
}

async fn one(guard: &Guard, ctx: &CallContext, tool: &str, args: Value) -> Outcome {
    let mut replies = guard
        .dispatch(ctx, &[ToolCall::new("c", tool, args.to_string())])
        .await;
    replies.pop().unwrap().outcome
}

fn denied_by(id: &str) -> Outcome {
    Outcome::Denied {
        reason: DenyReason::Policy { id: id.into() },
    }
}

#[tokio::test]
async fn the_refund_rule_reads_the_owner_the_amount_and_the_roles() {
    let guard = guard_with(POLICIES, Shop::default());
    let alice = user("alice", &[]);
    let refund = |order: &str, amount: u32| json!({"order_id": order, "amount": amount});

    assert_eq!(
        one(&guard, &alice, "refund", refund("o-1", 50)).await,
        Outcome::Success
    );
    assert_eq!(
        one(&guard, &alice, "refund", refund("o-2", 50)).await,
        denied_by("refund-own-orders-under-100"),
        "someone else's order"
    );
    assert_eq!(
        one(&guard, &alice, "refund", refund("o-1", 500)).await,
        denied_by("refund-own-orders-under-100"),
        "over the limit"
    );
    let carol = user("carol", &["manager"]);
    assert_eq!(
        one(&guard, &carol, "refund", refund("o-3", 500)).await,
        Outcome::Success,
        "a manager over the limit"
    );
    assert_eq!(
        one(&guard, &carol, "refund", refund("o-9", 5)).await,
        denied_by("refund-own-orders-under-100"),
        "an order nobody knows: the policy fails to evaluate and refuses"
    );

    let reply = guard
        .dispatch(
            &alice,
            &[ToolCall::new("c", "refund", refund("o-2", 50).to_string())],
        )
        .await;
    assert_eq!(
        reply[0].content,
        r#"{"error":{"kind":"denied","message":"not allowed by policy `refund-own-orders-under-100`"}}"#
    );
    let verdicts = guard
        .validate(
            &alice,
            &[ToolCall::new("c", "refund", refund("o-2", 50).to_string())],
        )
        .await;
    assert_eq!(verdicts[0], Err(denied_by("refund-own-orders-under-100")));
}

#[tokio::test]
async fn a_tenant_reads_only_its_own_rows() {
    let guard = guard_with(POLICIES, Shop::default());
    let alice = user("alice", &[]);
    let rows = |tenant: &str| json!({"tenant": tenant, "table": "invoices"});
    assert_eq!(
        one(&guard, &alice, "read_rows", rows("acme")).await,
        Outcome::Success
    );
    assert_eq!(
        one(&guard, &alice, "read_rows", rows("globex")).await,
        denied_by("own-tenant-only")
    );
    // A caller the application does not know has no tenant: the entity
    // data does not fit the schema, so the call is refused.
    let mallory = user("mallory", &[]);
    assert_eq!(
        one(&guard, &mallory, "read_rows", rows("acme")).await,
        Outcome::Denied {
            reason: DenyReason::EntitiesUnavailable
        }
    );
}

#[tokio::test]
async fn entities_are_loaded_once_per_batch_and_a_loader_failure_refuses() {
    let shop = Arc::new(Shop::default());
    struct Shared(Arc<Shop>);
    impl EntityLoader for Shared {
        fn load<'a>(
            &'a self,
            wanted: &'a [EntityRef],
        ) -> BoxFuture<'a, Result<Vec<Value>, EntityLoadError>> {
            self.0.load(wanted)
        }
    }
    let guard = Guard::builder()
        .policy(Policy::from_str(&policy_toml(POLICIES), Format::Toml).unwrap())
        .entity_loader(Shared(shop.clone()))
        .build()
        .unwrap();
    let alice = user("alice", &[]);
    let calls: Vec<ToolCall> = (0..5)
        .map(|i| {
            ToolCall::new(
                format!("c{i}"),
                "refund",
                json!({"order_id": "o-1", "amount": 10}).to_string(),
            )
        })
        .collect();
    let replies = guard.dispatch(&alice, &calls).await;
    assert!(
        replies.iter().all(|r| r.outcome == Outcome::Success),
        "{replies:?}"
    );
    assert_eq!(
        shop.calls.load(Ordering::SeqCst),
        1,
        "one load for the batch"
    );

    let down = guard_with(
        POLICIES,
        Shop {
            down: true,
            ..Shop::default()
        },
    );
    assert_eq!(
        one(
            &down,
            &alice,
            "refund",
            json!({"order_id": "o-1", "amount": 10})
        )
        .await,
        Outcome::Denied {
            reason: DenyReason::EntitiesUnavailable
        }
    );
}

#[tokio::test]
async fn without_a_permit_nothing_runs_and_validators_still_come_first() {
    let forbid_only = r#"@id("no-big-refunds")
forbid(principal, action == Action::"refund", resource) when { context.input.amount > 1000 };
"#;
    let guard = guard_with(forbid_only, Shop::default());
    let alice = user("alice", &[]);
    assert_eq!(
        one(&guard, &alice, "read_file", json!({"path": "notes.md"})).await,
        denied_by("default")
    );

    let guard = guard_with(POLICIES, Shop::default());
    let outcome = one(
        &guard,
        &alice,
        "read_file",
        json!({"path": "../../etc/passwd"}),
    )
    .await;
    assert_eq!(
        outcome.kind(),
        "unsafe_argument",
        "a permit does not relax a validator"
    );
}

#[tokio::test]
async fn a_reload_changes_the_decision() {
    let guard = guard_with(POLICIES, Shop::default());
    let alice = user("alice", &[]);
    let big = json!({"order_id": "o-1", "amount": 500});
    assert_eq!(
        one(&guard, &alice, "refund", big.clone()).await,
        denied_by("refund-own-orders-under-100")
    );
    let raised = POLICIES.replace("amount <= 100", "amount <= 1000");
    guard
        .set_policy(Policy::from_str(&policy_toml(&raised), Format::Toml).unwrap())
        .unwrap();
    assert_eq!(one(&guard, &alice, "refund", big).await, Outcome::Success);
}

#[test]
fn a_misspelt_attribute_fails_the_build_with_its_position() {
    let dir = std::env::temp_dir().join(format!("guard-cedar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cedar = dir.join("policies.cedar");
    std::fs::write(
        &cedar,
        POLICIES.replace("context.input.amount <= 100", "context.input.amuont <= 100"),
    )
    .unwrap();
    let policy_file = dir.join("policy.toml");
    std::fs::write(
        &policy_file,
        "[cedar]\nfile = \"policies.cedar\"\nschema = \"entity Order { owner: Caller };\"\n[cedar.caller]\ntenant = \"String\"\n",
    )
    .unwrap();
    let policy = Policy::from_path(&policy_file).unwrap();
    let guard_runtime::BuildError::InvalidPolicy(err) =
        Guard::builder().policy(policy).build().unwrap_err()
    else {
        panic!("not a policy error");
    };
    assert_eq!(err.file(), Some(cedar.as_path()));
    assert_eq!((err.line(), err.column()), (Some(5), Some(42)), "{err}");
    assert!(
        err.to_string()
            .contains("attribute `input.amuont` in context for Action::\"refund\" not found"),
        "{err}"
    );

    let err = Guard::builder()
        .policy(
            Policy::from_str(
                &policy_toml(&POLICIES.replace("Action::\"refund\"", "Action::\"refnud\"")),
                Format::Toml,
            )
            .unwrap(),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid policy: 4:"), "{err}");
    assert!(err.contains("cedar.policies: "), "{err}");
    assert!(err.contains("refnud"), "{err}");
}

#[test]
fn the_schema_is_generated_from_the_tools() {
    let guard = guard_with(POLICIES, Shop::default());
    let schema = guard.cedar_schema().unwrap();
    assert!(schema.contains("action \"refund\""), "{schema}");
    assert!(
        schema.contains("amount: __cedar::Long") || schema.contains("amount: Long"),
        "{schema}"
    );
    assert!(schema.contains("\"risk:high\""), "{schema}");
    assert!(schema.contains("tenant"), "{schema}");
}

#[tokio::test]
async fn policies_can_read_the_sessions_counters() {
    let policies = format!(
        "{POLICIES}\n@id(\"two-refunds-a-session\")\nforbid(principal, action == Action::\"refund\", resource)\nwhen {{ context has session_tool_calls && context.session_tool_calls >= 2 }};\n"
    );
    let toml = format!("[quotas]\nsession_calls = 100\n{}", policy_toml(&policies));
    let guard = Guard::builder()
        .policy(Policy::from_str(&toml, Format::Toml).unwrap())
        .entity_loader(Shop::default())
        .build()
        .unwrap();
    let alice = user("alice", &[]).session("chat-1");
    let refund = json!({"order_id": "o-1", "amount": 10});
    assert_eq!(
        one(&guard, &alice, "refund", refund.clone()).await,
        Outcome::Success
    );
    assert_eq!(
        one(&guard, &alice, "refund", refund.clone()).await,
        Outcome::Success
    );
    assert_eq!(
        one(&guard, &alice, "refund", refund.clone()).await,
        denied_by("two-refunds-a-session")
    );
    // Another session starts from zero.
    let other = user("alice", &[]).session("chat-2");
    assert_eq!(
        one(&guard, &other, "refund", refund.clone()).await,
        Outcome::Success
    );

    // A backend that cannot say refuses the calls such a policy decides.
    let guard = Guard::builder()
        .policy(Policy::from_str(&toml, Format::Toml).unwrap())
        .entity_loader(Shop::default())
        .state(guard_tests::RequiredOnly::default())
        .build()
        .unwrap();
    assert_eq!(
        one(&guard, &alice, "refund", refund).await,
        Outcome::Denied {
            reason: DenyReason::BackendUnavailable
        }
    );
}
