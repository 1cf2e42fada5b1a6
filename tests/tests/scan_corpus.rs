//! The content scanners against labelled public sets (tests/fixtures/corpus,
//! attributed line by line): detection and false-positive rates, printed
//! and asserted against the targets.

use guard_runtime::scan::{InjectionScanner, PiiScanner, SecretScanner};
use guard_tests::{Row, load_fixture};

/// Detected attacks, attacks, flagged benign rows, benign rows; printed.
fn measure<'r>(
    name: &str,
    rows: &'r [Row],
    flagged: impl Fn(&str) -> bool,
) -> (usize, usize, Vec<&'r Row>, usize) {
    let attacks: Vec<&Row> = rows.iter().filter(|r| r.label == "attack").collect();
    let benign: Vec<&Row> = rows.iter().filter(|r| r.label == "benign").collect();
    let detected = attacks.iter().filter(|r| flagged(&r.value)).count();
    let false_positives: Vec<&Row> = benign
        .iter()
        .copied()
        .filter(|r| flagged(&r.value))
        .collect();
    println!(
        "{name}: detected {detected}/{} = {:.1}%, false positives {}/{} = {:.2}%",
        attacks.len(),
        100.0 * detected as f64 / attacks.len() as f64,
        false_positives.len(),
        benign.len(),
        100.0 * false_positives.len() as f64 / benign.len() as f64
    );
    for row in false_positives.iter().take(5) {
        println!(
            "  false positive: {:?}",
            row.value.chars().take(120).collect::<String>()
        );
    }
    (detected, attacks.len(), false_positives, benign.len())
}

#[test]
fn injection_detects_at_least_90_percent_with_at_most_2_percent_false_positives() {
    let scanner = InjectionScanner::new();
    let rows = load_fixture("injection.jsonl");
    let (detected, attacks, fp, benign) = measure("injection", &rows, |t| scanner.scan(t).flagged);
    assert!(detected * 100 >= attacks * 90, "{detected}/{attacks}");
    assert!(fp.len() * 100 <= benign * 2, "{}/{benign}", fp.len());
}

#[test]
fn secrets_recall_at_least_95_percent_with_at_most_1_percent_false_positives() {
    let scanner = SecretScanner::global();
    let rows = load_fixture("secrets.jsonl");
    let (detected, attacks, fp, benign) =
        measure("secrets", &rows, |t| !scanner.scan(t).is_empty());
    assert!(detected * 100 >= attacks * 95, "{detected}/{attacks}");
    assert!(fp.len() * 100 <= benign, "{}/{benign}", fp.len());
}

#[test]
fn pii_finds_99_percent_of_valid_numbers_and_never_flags_failed_checksums() {
    let scanner = PiiScanner::global();
    let rows = load_fixture("pii.jsonl");
    let (detected, attacks, fp, _) = measure("pii", &rows, |t| !scanner.scan(t).is_empty());
    assert!(detected * 100 >= attacks * 99, "{detected}/{attacks}");
    let failed_checksums: Vec<&str> = fp
        .iter()
        .filter(|r| {
            ["badcard", "badiban", "badssn"]
                .iter()
                .any(|n| r.note.contains(n))
        })
        .map(|r| r.value.as_str())
        .collect();
    assert!(
        failed_checksums.is_empty(),
        "flagged failed checksums: {failed_checksums:?}"
    );
    assert!(
        fp.is_empty(),
        "look-alikes flagged: {:?}",
        fp.iter().map(|r| &r.value).collect::<Vec<_>>()
    );
}
