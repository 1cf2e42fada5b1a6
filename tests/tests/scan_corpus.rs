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

/// A check set written after the rules it checks: the notes of the rows
/// the rules alone get wrong, and the counts (detected, attacks, false
/// positives, benign) for the rules alone and for the shipped scanner.
struct CheckSet {
    fixture: &'static str,
    missed_by_rules: &'static [&'static str],
    flagged_by_rules: &'static [&'static str],
    flagged_shipped: &'static [&'static str],
    rules: (usize, usize, usize, usize),
    shipped: (usize, usize, usize, usize),
}

fn assert_check_set(set: &CheckSet) {
    let rules = InjectionScanner::new().learned(None);
    let shipped = InjectionScanner::new();
    let rows = load_fixture(set.fixture);
    let wrong = |scanner: &InjectionScanner, label: &str| -> Vec<&str> {
        rows.iter()
            .filter(|r| r.label == label && scanner.scan(&r.value).flagged == (label == "benign"))
            .map(|r| r.note.as_str())
            .collect()
    };
    assert_eq!(wrong(&rules, "attack"), set.missed_by_rules);
    assert_eq!(wrong(&rules, "benign"), set.flagged_by_rules);
    assert_eq!(wrong(&shipped, "benign"), set.flagged_shipped);
    for (name, scanner, expected) in [
        ("rules", &rules, set.rules),
        ("shipped", &shipped, set.shipped),
    ] {
        let (detected, attacks, fp, benign) =
            measure(&format!("{}, {name}", set.fixture), &rows, |t| {
                scanner.scan(t).flagged
            });
        assert_eq!((detected, attacks, fp.len(), benign), expected, "{name}");
    }
}

/// The multilingual override rules on a set written after them (by the
/// same hand, never trained on): five families in eight languages, and
/// benign texts with the same trigger words. Korean has no rules: its one
/// attack is the miss, asserted so that a change shows. The learned layer
/// adds one false positive ("tu es maintenant inscrit"): it learned "tu
/// es" from the French overrides.
#[test]
fn multilingual_overrides_are_caught_by_the_rules_alone() {
    assert_check_set(&CheckSet {
        fixture: "injection_multilingual.jsonl",
        missed_by_rules: &["ko override (no rules for Korean)"],
        flagged_by_rules: &[],
        flagged_shipped: &["fr you are now subscribed"],
        rules: (34, 35, 0, 20),
        shipped: (34, 35, 1, 20),
    });
}

/// The misspelling-tolerant override, the bracketed fake headers and the
/// weak risky-code family on a set written after them (by the same hand,
/// never trained on). The false positives are the learned layer's and an
/// older prompt-leak phrase's ("the previous instructions").
#[test]
fn misspelt_overrides_and_bracketed_headers_are_caught() {
    assert_check_set(&CheckSet {
        fixture: "injection_variants.jsonl",
        missed_by_rules: &[],
        flagged_by_rules: &["report about overrides, inflected verb"],
        flagged_shipped: &[
            "report about overrides, inflected verb",
            "assign, previous, instructions",
        ],
        rules: (12, 12, 1, 13),
        shipped: (12, 12, 2, 13),
    });
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

/// Scanning together shares normalising, the literal pass and the base64
/// runs; every finding must be what each scanner reports on its own, on
/// plain rows, rows with escapes and mixed case (which take the general
/// normalising path), rows among CJK, emoji and lower-case Cyrillic (which
/// normalising keeps, so the literal pass is shared), and long texts (which
/// the literal pass cuts into lanes).
#[test]
fn scanning_together_finds_exactly_what_each_scanner_finds() {
    use guard_runtime::scan::ScanSet;
    let injection = InjectionScanner::new();
    let set = ScanSet::all();
    let mut texts: Vec<String> = Vec::new();
    for fixture in ["injection.jsonl", "secrets.jsonl", "pii.jsonl"] {
        for row in load_fixture(fixture) {
            texts.push(row.value.replace(' ', "\\n"));
            texts.push(row.value.to_uppercase());
            texts.push(format!("说明 😀 {}\nещё é", row.value));
            texts.push(row.value);
        }
    }
    let mut long = String::new();
    for (i, text) in texts.iter().enumerate().take(3000) {
        long.push_str(text);
        long.push_str(if i % 2 == 0 { "\n" } else { " " });
    }
    texts.push(long.clone());
    texts.push(long.replace('\\', "/"));
    let mut with_findings = 0;
    for text in &texts {
        let together = set.scan(text);
        let secrets = SecretScanner::global().scan(text);
        let pii = PiiScanner::global().scan(text);
        let report = injection.scan(text);
        with_findings += usize::from(!secrets.is_empty() || !pii.is_empty() || report.flagged);
        assert_eq!(together.secrets, secrets, "{text:.200}");
        assert_eq!(together.pii, pii, "{text:.200}");
        assert_eq!(together.injection, Some(report), "{text:.200}");
    }
    // The comparison means something only if there is something to find.
    assert!(
        with_findings * 3 > texts.len(),
        "{with_findings}/{}",
        texts.len()
    );
}
