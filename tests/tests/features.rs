//! What a build without an optional feature does with code that needs it.

use std::path::Path;
use std::process::Command;

/// An SQL argument in a crate built without guard-runtime's `sql` feature
/// fails the build at that parameter, once, naming the feature; a
/// parameter marked `#[arg(none)]` is not SQL. (Fail closed at compile
/// time: the alternative, refusing every query at run time, would ship a
/// tool that can never work.)
#[test]
fn an_sql_argument_without_the_sql_feature_fails_the_build_at_the_parameter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fixture = root.join("tests/fixtures/no-sql-feature");
    // The workspace's lock file: the fixture needs a subset of its crates,
    // already downloaded, so the build runs offline.
    std::fs::copy(root.join("Cargo.lock"), fixture.join("Cargo.lock")).unwrap();
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--message-format", "short"])
        .current_dir(&fixture)
        .env("CARGO_TARGET_DIR", root.join("target/no-sql-feature"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    std::fs::remove_file(fixture.join("Cargo.lock")).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(
        errors,
        [
            "src/main.rs:5:11: error[E0080]: evaluation panicked: this argument is SQL \
             (`#[arg(sql)]`, or a parameter named `sql` or `sql_query`): enable guard-runtime's \
             `sql` feature, or mark it `#[arg(none)]`: evaluation of \
             `__GUARD_TOOL_report::_::__INVENTORY::SQL` failed inside this call",
            "error: could not compile `guard-fixture-no-sql` (bin \"guard-fixture-no-sql\") due to 1 previous error",
        ],
        "{stderr}"
    );
}
