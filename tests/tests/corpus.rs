//! The validators against labelled public payload lists and benign
//! look-alikes (tests/fixtures/corpus, attributed line by line). Each test
//! prints its miss rate (attacks allowed) and false-positive rate (benign
//! values refused) and asserts them.

use guard_runtime::validate::{CommandPolicy, PathPolicy, SqlPolicy, UrlPolicy};
use guard_tests::{Row, load_fixture};

struct Rates {
    attacks: usize,
    missed: Vec<String>,
    benign: usize,
    refused: Vec<String>,
}

impl Rates {
    fn measure(rows: &[Row], allowed: impl Fn(&str) -> bool) -> Rates {
        let mut rates = Rates {
            attacks: 0,
            missed: Vec::new(),
            benign: 0,
            refused: Vec::new(),
        };
        for row in rows {
            let ok = allowed(&row.value);
            if row.label == "attack" {
                rates.attacks += 1;
                if ok {
                    rates.missed.push(format!("{:?} ({})", row.value, row.note));
                }
            } else {
                rates.benign += 1;
                if !ok {
                    rates.refused.push(format!("{:?}", row.value));
                }
            }
        }
        rates
    }

    fn miss_rate(&self) -> f64 {
        100.0 * self.missed.len() as f64 / self.attacks as f64
    }

    fn false_positive_rate(&self) -> f64 {
        100.0 * self.refused.len() as f64 / self.benign as f64
    }

    fn report(&self, name: &str) {
        println!(
            "{name}: miss {}/{} = {:.2}%, false positives {}/{} = {:.2}%",
            self.missed.len(),
            self.attacks,
            self.miss_rate(),
            self.refused.len(),
            self.benign,
            self.false_positive_rate()
        );
        for line in self.missed.iter().take(5) {
            println!("  missed: {line}");
        }
        for line in self.refused.iter().take(5) {
            println!("  refused: {line}");
        }
    }
}

#[test]
fn path_traversal_payloads_and_real_repository_paths() {
    let policy = PathPolicy::new();
    let rates = Rates::measure(&load_fixture("path.jsonl"), |v| policy.check(v).is_ok());
    rates.report("path");
    assert_eq!(rates.attacks, 700);
    assert!(rates.missed.is_empty(), "missed: {:?}", rates.missed);
    assert!(
        rates.false_positive_rate() < 0.5,
        "false positives: {:?}",
        rates.refused
    );
}

#[test]
fn ssrf_payloads_and_public_urls() {
    // The corpus treats http and https as fetchable; every other scheme is an attack.
    let policy = UrlPolicy::new().schemes(["http", "https"]);
    let rates = Rates::measure(&load_fixture("url.jsonl"), |v| policy.check(v).is_ok());
    rates.report("url");
    assert!(rates.missed.is_empty(), "missed: {:?}", rates.missed);
    assert!(
        rates.false_positive_rate() < 0.5,
        "false positives: {:?}",
        rates.refused
    );
}

/// The corpus labels a command benign when it has no shell syntax; the
/// chain check also refuses what the policy promises never to run without
/// a shell-free reading: the shell builtin `source` and inline interpreter
/// code. Those refusals, and only those, are the false positives here.
#[test]
fn command_injection_payloads_and_plain_commands() {
    let policy = CommandPolicy::new();
    let rows = load_fixture("command.jsonl");
    let rates = Rates::measure(&rows, |v| policy.check(v).is_ok());
    rates.report("command");
    assert!(rates.missed.is_empty(), "missed: {:?}", rates.missed);
    let by_promise: Vec<&'static str> = rows
        .iter()
        .filter(|r| r.label == "benign")
        .filter_map(|r| policy.check(&r.value).err())
        .map(|v| v.code)
        .collect();
    assert_eq!(
        by_promise,
        [
            "command.shell_in_chain",
            "command.shell_in_chain",
            "command.shell_in_chain",
            "command.inline_code"
        ],
        "benign refused: {:?}",
        rates.refused
    );
}

/// Commands without shell syntax whose chain still runs a shell, inline
/// code or a command string (GTFOBins techniques behind wrappers), and plain
/// commands of the same programs.
#[test]
fn command_chains_that_run_code_and_plain_commands() {
    let policy = CommandPolicy::new();
    let rates = Rates::measure(&load_fixture("command_chain.jsonl"), |v| {
        policy.check(v).is_ok()
    });
    rates.report("command chains");
    assert!(rates.attacks >= 140, "{}", rates.attacks);
    assert!(rates.missed.is_empty(), "missed: {:?}", rates.missed);
    assert!(rates.refused.is_empty(), "refused: {:?}", rates.refused);
}

/// The benign queries come from many dialects (Spider, sqlglot fixtures,
/// payloads with MySQL `#` comments). The default policy checks every common
/// dialect's reading; the second figure counts a benign query as refused only
/// if no sqlparser dialect at all parses it, the floor any parser-based
/// validator built on sqlparser has on this set.
#[test]
fn sql_writes_stacked_queries_and_side_effects_versus_read_only_queries() {
    let rows = load_fixture("sql.jsonl");
    let default = SqlPolicy::new();
    let rates = Rates::measure(&rows, |v| default.check(v).is_ok());
    rates.report("sql (default: every common dialect)");
    assert!(rates.missed.is_empty(), "missed: {:?}", rates.missed);
    assert!(
        rates.false_positive_rate() < 2.5,
        "false positives: {:?}",
        rates.refused
    );

    let dialects: Vec<SqlPolicy> = [
        "generic",
        "mysql",
        "postgres",
        "sqlite",
        "mssql",
        "oracle",
        "duckdb",
        "bigquery",
        "snowflake",
    ]
    .into_iter()
    .map(|d| SqlPolicy::new().dialect(d).unwrap())
    .collect();
    let benign: Vec<Row> = rows.into_iter().filter(|r| r.label == "benign").collect();
    let any = Rates::measure(&benign, |v| dialects.iter().any(|p| p.check(v).is_ok()));
    any.report("sql (benign, parsed by no sqlparser dialect)");
    assert!(
        any.false_positive_rate() < 2.0,
        "false positives: {:?}",
        any.refused
    );
}
