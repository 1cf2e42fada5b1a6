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

/// Whether the dialect could not read the query as one statement: it does
/// not parse, the readings disagree (`any`), or a word the dialect runs as
/// a statement stands where others read an alias.
fn not_read(policy: &SqlPolicy, sql: &str) -> bool {
    policy
        .check(sql)
        .is_err_and(|v| matches!(v.code, "sql.unparseable" | "sql.ambiguous" | "sql.stacked"))
}

/// The benign queries come from many dialects (Spider, sqlglot fixtures,
/// payloads with MySQL `#` comments), so each is benign for *its* database.
/// Per dialect: no attack passes, and the share of benign queries refused
/// (most of them unparseable in that dialect) is reported. A benign query
/// counts as a false positive only when no dialect accepts it, the figure
/// for a tool that names its database.
#[test]
fn sql_writes_stacked_queries_and_side_effects_versus_read_only_queries() {
    use guard_runtime::validate::SqlDialect;
    let rows = load_fixture("sql.jsonl");
    let dialects = [
        SqlDialect::Postgres,
        SqlDialect::Sqlite,
        SqlDialect::MySql,
        SqlDialect::MariaDb,
        SqlDialect::MsSql,
        SqlDialect::Oracle,
        SqlDialect::Generic,
        SqlDialect::DuckDb,
        SqlDialect::BigQuery,
        SqlDialect::Snowflake,
        SqlDialect::Any,
    ];
    let policies: Vec<SqlPolicy> = dialects
        .iter()
        .map(|d| SqlPolicy::for_dialect(*d))
        .collect();
    let benign: Vec<&Row> = rows.iter().filter(|r| r.label == "benign").collect();
    for policy in &policies {
        let rates = Rates::measure(&rows, |v| policy.check(v).is_ok());
        let unparseable = benign
            .iter()
            .filter(|r| {
                policy
                    .check(&r.value)
                    .is_err_and(|v| v.code == "sql.unparseable")
            })
            .count();
        let dialect = policy.dialect_kind().unwrap();
        rates.report(&format!("sql ({dialect})"));
        println!(
            "  sql ({dialect}): {unparseable} of {} benign unparseable in this dialect",
            benign.len()
        );
        assert!(
            rates.missed.is_empty(),
            "{dialect} missed: {:?}",
            rates.missed
        );
    }
    let best = Rates::measure(&rows, |v| policies.iter().any(|p| p.check(v).is_ok()));
    best.report("sql (refused by every dialect)");
    assert!(best.missed.is_empty(), "missed: {:?}", best.missed);
    // What no dialect accepts: syntax no sqlparser dialect knows (DuckDB's
    // `UNION ALL BY NAME`, `CORRESPONDING`, multi-column PIVOT, BigQuery's
    // `EXCEPT(x.a)`), and two refusals by rule: a read of
    // INFORMATION_SCHEMA, and a recursive CTE whose start is not a literal.
    let (unparseable, by_rule): (Vec<&Row>, Vec<&Row>) = benign
        .iter()
        .filter(|r| !policies.iter().any(|p| p.check(&r.value).is_ok()))
        .partition(|r| policies.iter().all(|p| not_read(p, &r.value)));
    println!(
        "  sql: {} benign unparseable by every dialect, {} refused by rule",
        unparseable.len(),
        by_rule.len()
    );
    let codes: Vec<&str> = by_rule
        .iter()
        .map(|r| {
            let refusals = policies.iter().filter_map(|p| p.check(&r.value).err());
            refusals
                .map(|v| v.code)
                .find(|c| !matches!(*c, "sql.unparseable" | "sql.ambiguous" | "sql.stacked"))
                .unwrap_or("?")
        })
        .collect();
    assert_eq!(codes, ["sql.recursive", "sql.system_table"], "{by_rule:?}");
    assert_eq!(unparseable.len(), 10, "{unparseable:?}");
}
