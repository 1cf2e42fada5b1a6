//! Tools defined in another crate, which knows guard-runtime only under the
//! name `gr`. The `use ... as _` line is the documented remedy for the
//! linker dropping a crate nothing references; without it this binary would
//! see no fixture tools.

use guard_fixture_renamed as _;
use guard_runtime::{CallContext, DenyReason, Guard, Outcome, Risk, ToolCall};

#[tokio::test]
async fn tools_from_a_crate_with_a_renamed_dependency_register_and_run() {
    let guard = Guard::builder()
        .only(["fixture_lookup_order", "fixture_cancel_order"])
        .build()
        .unwrap();
    let names: Vec<_> = guard.tools().map(|t| t.name()).collect();
    assert_eq!(names, ["fixture_cancel_order", "fixture_lookup_order"]);

    let cancel = guard.tool("fixture_cancel_order").unwrap();
    assert_eq!(cancel.risk(), Risk::High);
    assert!(cancel.needs_confirmation());
    assert_eq!(
        cancel.rust_path(),
        "guard_fixture_renamed::fixture_cancel_order"
    );

    let ctx = CallContext::new("agent-7");
    let replies = guard
        .dispatch(
            &ctx,
            &[
                ToolCall::new("a", "fixture_lookup_order", r#"{"order": 1042}"#),
                ToolCall::new(
                    "b",
                    "fixture_cancel_order",
                    r#"{"order": 1042, "reason": null}"#,
                ),
            ],
        )
        .await;
    assert_eq!(replies[0].content, "order 1042 for agent-7");
    assert_eq!(replies[0].outcome, Outcome::Success);
    assert_eq!(
        replies[1].outcome,
        Outcome::Denied {
            reason: DenyReason::NoConfirmer
        }
    );
}

#[test]
fn the_function_stays_callable_from_rust() {
    assert_eq!(
        guard_fixture_renamed::fixture_cancel_order(3, Some("dup".into())),
        Ok(true)
    );
}
