//! Two tools with one name: building a guard fails and names both functions.
//! (Its own test binary, since every guard built here sees both tools.)

use guard_runtime::{BuildError, Guard, secure_tool};

mod billing {
    use super::*;

    /// Refund an order.
    #[secure_tool(name = "refund")]
    pub fn refund(order: u32) -> u32 {
        order
    }
}

mod support {
    use super::*;

    /// Refund an order, the support way.
    #[secure_tool(name = "refund")]
    pub fn issue_refund(order: u32) -> u32 {
        order
    }
}

#[test]
fn duplicate_names_fail_the_build_naming_both_definitions() {
    let err = Guard::builder().build().unwrap_err();
    assert_eq!(
        err,
        BuildError::DuplicateTool {
            name: "refund".into(),
            first: "duplicates::billing::refund".into(),
            second: "duplicates::support::issue_refund".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "duplicate tool name `refund`: registered by `duplicates::billing::refund` \
         and by `duplicates::support::issue_refund`"
    );
    // Even a guard restricted to other tools refuses to start: a duplicate is a bug.
    assert!(matches!(
        Guard::builder().only(["refund"]).build(),
        Err(BuildError::DuplicateTool { .. })
    ));
    assert_eq!(billing::refund(1) + support::issue_refund(2), 3);
}
