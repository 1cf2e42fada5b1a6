//! Trains guard's learned injection layer and measures how it generalises.
//!
//! ```text
//! python3 scripts/build_injection_training.py          # writes target/injection-train.jsonl
//! cargo run --release -p guard-examples --example train_injection
//! ```
//!
//! First, for each source family, a model is trained without it and
//! tested on it (leave-one-source-out): the table says what a family the
//! model never saw does, for the learned layer alone and for the scanner
//! as shipped (phrases and structures, then the learned layer). Then the
//! model is trained on everything and written to
//! `guard-runtime/src/scan/injection_l2.bin`. Training is deterministic.

use std::collections::BTreeMap;

use guard_runtime::scan::{InjectionScanner, NgramModel, TrainOptions};

struct Row {
    text: String,
    attack: bool,
    family: String,
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("{root}/target/injection-train.jsonl"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run scripts/build_injection_training.py first)"));
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
            let source = v["source"].as_str().expect("a source");
            Row {
                text: v["text"].as_str().expect("a text").to_owned(),
                attack: v["label"] == "attack",
                // AgentDojo's attacks and its benign data leave together.
                family: if source.starts_with("agentdojo:") {
                    "agentdojo"
                } else {
                    source
                }
                .to_owned(),
            }
        })
        .collect();
    let mut options = TrainOptions::default();
    if let Ok(l2) = std::env::var("GUARD_TRAIN_L2") {
        options.l2 = l2.parse().expect("GUARD_TRAIN_L2 is a number");
    }
    if let Ok(epochs) = std::env::var("GUARD_TRAIN_EPOCHS") {
        options.epochs = epochs.parse().expect("GUARD_TRAIN_EPOCHS is a number");
    }
    let thresholds = [0.5f32, 0.7, 0.8, 0.9, 0.95];
    // Per threshold: held-out attacks caught and benign flagged, L2 alone.
    let mut sweep = vec![(0usize, 0usize); thresholds.len()];
    let mut families: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for row in &rows {
        let e = families.entry(&row.family).or_default();
        if row.attack { e.0 += 1 } else { e.1 += 1 }
    }
    println!(
        "| held-out family | attacks | benign | L1 alone: caught | L1 alone: flagged benign | L2 alone: caught | L2 alone: flagged benign | L1+L2: caught | L1+L2: flagged benign |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let rules = InjectionScanner::new().learned(None);
    // Each held-out row's decisions, for comparing other layers on the
    // same folds (scripts/measure_embedding_layer.py reads them).
    let mut dump = std::env::var("GUARD_TRAIN_DUMP")
        .ok()
        .map(|p| std::fs::File::create(p).expect("the dump file is created"));
    let (mut all_caught, mut all_attacks, mut all_fp, mut all_benign) = (0, 0, 0, 0);
    for (family, (attacks, benign)) in &families {
        let train: Vec<(&str, bool)> = rows
            .iter()
            .filter(|r| r.family != *family)
            .map(|r| (r.text.as_str(), r.attack))
            .collect();
        // The scanner keeps a `'static` model; one per family is a few MiB.
        let model: &'static NgramModel = Box::leak(Box::new(NgramModel::train(&train, &options)));
        let scanner = InjectionScanner::new().learned(Some(model));
        let held: Vec<&Row> = rows.iter().filter(|r| r.family == *family).collect();
        let l2 = |r: &&&Row| f64::from(model.score(&r.text)) >= 0.9;
        let both = |r: &&&Row| scanner.scan(&r.text).flagged;
        let rate = |hits: usize, of: usize| {
            if of == 0 {
                "–".to_owned()
            } else {
                format!("{:.1}% ({hits}/{of})", 100.0 * hits as f64 / of as f64)
            }
        };
        for (k, t) in thresholds.iter().enumerate() {
            for r in &held {
                if model.score(&r.text) >= *t {
                    if r.attack {
                        sweep[k].0 += 1
                    } else {
                        sweep[k].1 += 1
                    }
                }
            }
        }
        let l1 = |r: &&&Row| rules.scan(&r.text).flagged;
        if let Some(file) = dump.as_mut() {
            use std::io::Write;
            for r in &held {
                let rules_report = rules.scan(&r.text);
                let kinds: Vec<&str> = rules_report.findings.iter().map(|f| f.kind).collect();
                let line = serde_json::json!({
                    "family": family, "text": r.text, "attack": r.attack, "l1": rules_report.flagged,
                    "l1_score": rules_report.rules_score, "l1_kinds": kinds,
                    "l2": model.score(&r.text), "shipped": both(&r),
                });
                writeln!(file, "{line}").expect("the dump is written");
            }
        }
        let caught_l1 = held.iter().filter(|r| r.attack).filter(l1).count();
        let fp_l1 = held.iter().filter(|r| !r.attack).filter(l1).count();
        let caught_l2 = held.iter().filter(|r| r.attack).filter(l2).count();
        let fp_l2 = held.iter().filter(|r| !r.attack).filter(l2).count();
        let caught = held.iter().filter(|r| r.attack).filter(both).count();
        let fp = held.iter().filter(|r| !r.attack).filter(both).count();
        all_caught += caught;
        all_attacks += attacks;
        all_fp += fp;
        all_benign += benign;
        println!(
            "| {family} | {attacks} | {benign} | {} | {} | {} | {} | {} | {} |",
            rate(caught_l1, *attacks),
            rate(fp_l1, *benign),
            rate(caught_l2, *attacks),
            rate(fp_l2, *benign),
            rate(caught, *attacks),
            rate(fp, *benign)
        );
    }
    println!(
        "| **all, each held out** | {all_attacks} | {all_benign} | | | | | {:.1}% | {:.2}% |",
        100.0 * all_caught as f64 / all_attacks as f64,
        100.0 * all_fp as f64 / all_benign as f64
    );
    println!();
    println!("| L2 threshold | held-out attacks caught | held-out benign flagged |");
    println!("|---:|---:|---:|");
    for (t, (caught, flagged)) in thresholds.iter().zip(&sweep) {
        println!(
            "| {t} | {:.1}% | {:.2}% |",
            100.0 * *caught as f64 / all_attacks as f64,
            100.0 * *flagged as f64 / all_benign as f64
        );
    }
    let all: Vec<(&str, bool)> = rows.iter().map(|r| (r.text.as_str(), r.attack)).collect();
    let model = NgramModel::train(&all, &options);
    let out = format!("{root}/guard-runtime/src/scan/injection_l2.bin");
    std::fs::write(&out, model.to_bytes()).expect("the model is written");
    println!("trained on {} rows -> {out}", all.len());
}
