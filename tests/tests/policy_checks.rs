//! A policy cannot switch itself off without a word: sections that can
//! never pass, sections for validators a tool does not have, and flow rules
//! over labels no tool has are build errors, with the key that is wrong.

use guard_runtime::policy::{Format, Policy};
use guard_runtime::{Guard, secure_tool};

/// Fetch a page.
#[secure_tool]
fn fetch_url(url: String) -> String {
    url
}

/// Run a program.
#[secure_tool]
fn run_command(command: String) -> String {
    command
}

/// Read the vault.
#[secure_tool(source = "secrets")]
fn read_secret(name: String) -> String {
    name
}

/// Send an email.
#[secure_tool(sink = "external")]
fn send_email(to: String) -> String {
    to
}

fn build_error(toml: &str) -> String {
    let policy = Policy::from_str(toml, Format::Toml).expect("the file parses");
    Guard::builder()
        .policy(policy)
        .build()
        .unwrap_err()
        .to_string()
}

#[test]
fn an_allow_list_that_allows_nothing_is_an_error() {
    assert_eq!(
        build_error("[tools.fetch_url]\nurl = { schemes = [\"gopher\"] }\n"),
        "invalid policy: tools.fetch_url: url.schemes: nothing is left allowed: the tool allows [\"https\"] and this section [\"gopher\"] (write `override = true` to replace)"
    );
    assert_eq!(
        build_error("[tools.run_command]\ncommand = { programs = [] }\n"),
        "invalid policy: tools.run_command: command.programs: an empty list allows nothing, so every call would be refused"
    );
    // Narrowing to something the tool allows is fine, and so is replacing.
    let ok = "[tools.fetch_url]\nurl = { schemes = [\"https\"] }\n[tools.run_command]\ncommand = { programs = [\"ls\"] }\n";
    assert!(
        Guard::builder()
            .policy(Policy::from_str(ok, Format::Toml).unwrap())
            .build()
            .is_ok()
    );
    let replaced = "[tools.fetch_url]\noverride = true\nurl = { schemes = [\"gopher\"] }\n";
    assert!(
        Guard::builder()
            .policy(Policy::from_str(replaced, Format::Toml).unwrap())
            .build()
            .is_ok()
    );
}

#[test]
fn a_section_for_a_validator_the_tool_lacks_is_an_error() {
    assert_eq!(
        build_error("[tools.fetch_url]\nsql = { dialect = \"klingon\" }\n"),
        "invalid policy: tools.fetch_url: sql: the tool has no SQL argument, so this section would check nothing"
    );
    assert_eq!(
        build_error("[agents.ops.tools.send_email]\nurl = { hosts = [\"example.com\"] }\n"),
        "invalid policy: agents.ops.tools.send_email: url: the tool has no URL argument, so this section would check nothing"
    );
}

#[test]
fn a_flow_over_a_label_no_tool_has_is_an_error() {
    assert_eq!(
        build_error("[[flows]]\nfrom = \"secretz\"\nto = \"external\"\n"),
        "invalid policy: flows[0].from: no tool has the source label `secretz`, so this rule would never apply; fix the label or declare it in `labels`"
    );
    assert_eq!(
        build_error("[[flows]]\nfrom = \"secrets\"\nto = \"externl\"\n"),
        "invalid policy: flows[0].to: no tool has the sink label `externl`, so this rule would never apply; fix the label or declare it in `labels`"
    );
    let declared = "labels = [\"secretz\"]\n[[flows]]\nfrom = \"secretz\"\nto = \"external\"\n";
    assert!(
        Guard::builder()
            .policy(Policy::from_str(declared, Format::Toml).unwrap())
            .build()
            .is_ok()
    );
    // A policy section can give a tool the label too.
    let labelled =
        "[tools.fetch_url]\nsource = [\"web\"]\n[[flows]]\nfrom = \"web\"\nto = \"external\"\n";
    assert!(
        Guard::builder()
            .policy(Policy::from_str(labelled, Format::Toml).unwrap())
            .build()
            .is_ok()
    );
}

/// Delete everything.
#[secure_tool(roles = ["admin"])]
fn purge() -> &'static str {
    "purged"
}

/// Read a file.
#[secure_tool]
fn read_file(path: String) -> String {
    path
}

#[tokio::test]
async fn audit_notes_name_what_refused_the_call() {
    use guard_runtime::{CallContext, MemorySink, ToolCall};
    let sink = MemorySink::new();
    let policy = "[agents.ops]\nallow = [\"*\"]\n[agents.analyst]\nallow = [\"*\"]\n";
    let guard = Guard::builder()
        .policy(Policy::from_str(policy, Format::Toml).unwrap())
        .audit(sink.clone())
        .build()
        .unwrap();
    guard
        .dispatch(
            &CallContext::new("ops"),
            &[ToolCall::new("1", "purge", "{}")],
        )
        .await;
    guard
        .dispatch(
            &CallContext::new("analyst"),
            &[
                ToolCall::new("2", "read_file", r#"{"path":"../../etc/passwd"}"#),
                ToolCall::new("3", "read_file", r#"{"path":"notes.md"}"#),
            ],
        )
        .await;
    let notes: Vec<String> = sink.take().iter().map(|e| e.policy.to_string()).collect();
    assert_eq!(
        notes,
        [
            "ops: refused: missing role (one of admin)",
            "analyst: refused: unsafe argument (path.traversal)",
            "analyst: allowed",
        ]
    );
}

#[test]
fn the_applications_guard_command_runs_the_build_checks_and_prints_the_schema() {
    let dir = std::env::temp_dir().join(format!("guard-app-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str], file: &std::path::Path| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_guard_app"))
            .args(args)
            .arg(file)
            .output()
            .unwrap();
        (
            String::from_utf8(output.stdout).unwrap(),
            output.status.code().unwrap_or(-1),
        )
    };
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[tools.fetch_url]\nsql = { dialect = \"klingon\" }\n").unwrap();
    assert_eq!(
        run(&["policy", "check"], &bad),
        (
            "invalid policy: tools.fetch_url: sql: the tool has no SQL argument, so this section would check nothing\n"
                .to_owned(),
            1
        )
    );
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "[cedar]\npolicies = 'permit(principal, action == Action::\"refund\", resource) when { context.input.cents < 100 };'\n",
    )
    .unwrap();
    assert_eq!(
        run(&["policy", "check"], &good),
        (
            "ok: 0 agent section(s), checked against 2 tool(s)\n".to_owned(),
            0
        )
    );
    let (schema, code) = run(&["policy", "schema"], &good);
    assert_eq!(code, 0);
    assert!(schema.contains("action \"refund\""), "{schema}");
    assert!(schema.contains("entity Order"), "{schema}");
    std::fs::remove_dir_all(&dir).unwrap();
}
