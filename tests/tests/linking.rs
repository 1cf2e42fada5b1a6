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

/// The README's usage example is `tests/fixtures/readme-usage`, which the
/// workspace builds with exactly the dependencies the README lists: what a
/// newcomer copies compiles as shown.
#[test]
fn the_readme_usage_example_is_the_fixture_that_builds_with_the_listed_dependencies() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
    let readme = read("README.md");
    let usage = &readme[readme.find("## Usage").expect("a usage section")..];
    let block = |fence: &str| {
        let start = usage.find(fence).expect("the block") + fence.len();
        usage[start..start + usage[start..].find("```").unwrap()].to_owned()
    };
    assert_eq!(
        block("```rust,standalone_crate\n"),
        read("tests/fixtures/readme-usage/src/main.rs")
    );
    // The same dependencies and features; only the source of guard-runtime differs.
    let listed: Vec<String> = block("```toml\n")
        .lines()
        .skip_while(|l| *l != "[dependencies]")
        .skip(1)
        .map(|l| l.replace("guard-runtime = \"0.1\"", "guard-runtime"))
        .collect();
    let fixture = read("tests/fixtures/readme-usage/Cargo.toml");
    let built: Vec<String> = fixture
        .lines()
        .skip_while(|l| *l != "[dependencies]")
        .skip(1)
        .map(|l| {
            if l.starts_with("guard-runtime = ") {
                "guard-runtime".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert_eq!(listed, built);
}
