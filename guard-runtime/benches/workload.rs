//! `cargo bench -p guard-runtime --bench workload`: guard on the 20,000-call
//! agent workload of `../shared/bench/peers/` (see its README), measured the
//! way the Python peers measure themselves, so the figures sit side by side:
//! every call loaded first, one run is the whole workload, the median of 5
//! runs after 1 warm-up, one call per dispatch and also batches of 8. The
//! output has the peers' counts and result lines, plus each tool's share.
//!
//! The workload is read from `$GUARD_WORKLOAD_CALLS`, else
//! `target/peers/calls.jsonl`, which is written by the peers' `workload.py`
//! when missing (the peers' folder is read-only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use guard_runtime::validate::{PathPolicy, SqlDialect, SqlPolicy, ValidatorConfig};
use guard_runtime::{CallContext, Guard, Outcome, ToolCall, ToolError, secure_tool};

// The highest rate: the limiter does its bookkeeping on every call but never
// refuses one, as the peers' 10^9 per minute.

/// Read a file from the user's project directory.
#[secure_tool(risk = "low", rate = 4294967295)]
async fn read_file(
    #[schemars(length(max = 200), regex(pattern = r"^[A-Za-z0-9_./-]+$"))] path: String,
    #[schemars(range(min = 1, max = 1048576))] max_bytes: Option<u32>,
) -> Result<String, ToolError> {
    Ok(format!(
        "ok: read_file {path} ({} bytes max)",
        max_bytes.unwrap_or(65536)
    ))
}

/// Run a read-only SQL query against the analytics database.
#[secure_tool(risk = "low", rate = 4294967295)]
async fn query_db(#[schemars(length(max = 2000))] sql: String) -> Result<String, ToolError> {
    Ok(format!("ok: query_db ({} chars)", sql.len()))
}

/// Fetch a URL over HTTPS.
#[secure_tool(risk = "low", rate = 4294967295)]
async fn fetch_url(#[schemars(length(max = 2048))] url: String) -> Result<String, ToolError> {
    Ok(format!("ok: fetch_url {url}"))
}

struct Call {
    call: ToolCall,
    label: String,
    kind: String,
}

fn workload() -> Vec<Call> {
    let path = std::env::var_os("GUARD_WORKLOAD_CALLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let out = root.join("target/peers");
            let calls = out.join("calls.jsonl");
            if !calls.exists() {
                std::fs::create_dir_all(&out).expect("target/peers");
                let script = root.join("../shared/bench/peers/workload.py");
                let status = Command::new("python3")
                    .arg(&script)
                    .arg("--out-dir")
                    .arg(&out)
                    .status()
                    .expect("python3 runs workload.py");
                assert!(status.success(), "workload.py failed");
            }
            calls
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let field = |k: &str| row[k].as_str().unwrap_or("?").to_owned();
            Call {
                call: ToolCall::new(field("id"), field("name"), field("arguments")),
                label: field("label"),
                kind: field("kind"),
            }
        })
        .collect()
}

fn guard() -> Guard {
    let config = ValidatorConfig::default()
        .path(
            PathPolicy::new()
                .deny([
                    "**/.env",
                    "**/.env.*",
                    "**/.aws/**",
                    "**/.ssh/**",
                    "*.pem",
                    "*.key",
                    "**/.git/**",
                ])
                .unwrap(),
        )
        // The workload's queries are SQLite's (Spider's schemas; ATTACH and
        // PRAGMA among the attacks): the dialect is named, as a tool must.
        .sql(SqlPolicy::for_dialect(SqlDialect::Sqlite));
    Guard::builder()
        .only(["read_file", "query_db", "fetch_url"])
        .validators(config)
        .build()
        .unwrap()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One run: every call dispatched in batches of `batch`; ns per call, and
/// whether each call ran.
fn run(
    rt: &tokio::runtime::Runtime,
    guard: &Guard,
    calls: &[ToolCall],
    batch: usize,
) -> (f64, Vec<bool>) {
    let ctx = CallContext::new("bench");
    rt.block_on(async {
        let mut allowed = Vec::with_capacity(calls.len());
        let start = Instant::now();
        for chunk in calls.chunks(batch) {
            let replies = guard.dispatch(&ctx, chunk).await;
            if std::env::var_os("GUARD_WORKLOAD_DEBUG").is_some() {
                for (call, reply) in chunk.iter().zip(&replies) {
                    if !matches!(reply.outcome, Outcome::Success) {
                        eprintln!("{} {} -> {:?}", call.name, call.arguments, reply.outcome);
                    }
                }
            }
            // A sanitized reply is the tool's output, cleaned: the call ran.
            allowed.extend(
                replies
                    .iter()
                    .map(|r| matches!(r.outcome, Outcome::Success | Outcome::Sanitized { .. })),
            );
        }
        let elapsed = start.elapsed().as_nanos() as f64;
        (elapsed / calls.len() as f64, allowed)
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that names no workload variant skips it.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let rows = workload();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let guard = guard();
    let calls: Vec<ToolCall> = rows.iter().map(|r| r.call.clone()).collect();
    for (peer, batch) in [("guard_one_call", 1), ("guard_batch_8", 8)] {
        if !filter.is_empty() && !filter.iter().any(|f| peer.contains(f.as_str())) {
            continue;
        }
        let (_, mut allowed) = run(&rt, &guard, &calls, batch);
        let mut runs = Vec::new();
        for _ in 0..5 {
            let (ns, ran) = run(&rt, &guard, &calls, batch);
            runs.push(ns);
            allowed = ran;
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut missed: BTreeMap<String, usize> = BTreeMap::new();
        let mut refused: BTreeMap<String, usize> = BTreeMap::new();
        for (row, ran) in rows.iter().zip(&allowed) {
            let verdict = if *ran { "allowed" } else { "blocked" };
            *counts.entry(verdict.to_owned()).or_default() += 1;
            *counts
                .entry(format!("{}_{verdict}", row.label))
                .or_default() += 1;
            let key = format!("{}/{}", row.call.name, row.kind);
            if row.label == "attack" && *ran {
                *missed.entry(key.clone()).or_default() += 1;
            }
            if row.label == "benign" && !*ran {
                *refused.entry(key).or_default() += 1;
            }
        }
        let count = |k: &str| counts.get(k).copied().unwrap_or(0);
        println!(
            "{}",
            serde_json::json!({"peer": peer, "counts": {
                "blocked": count("blocked"), "allowed": count("allowed"),
                "attack_blocked": count("attack_blocked"), "attack_allowed": count("attack_allowed"),
                "benign_blocked": count("benign_blocked"), "benign_allowed": count("benign_allowed"),
                "attacks_missed_by_kind": missed, "benign_blocked_by_kind": refused,
            }})
        );
        println!(
            "{}",
            serde_json::json!({"peer": peer, "calls": calls.len(),
                "ns_per_call_median": (median(runs.clone()) * 10.0).round() / 10.0,
                "runs": runs.iter().map(|r| (r * 10.0).round() / 10.0).collect::<Vec<_>>(),
                "blocked": count("blocked"), "allowed": count("allowed")})
        );
    }
    // Each tool's share, one call per dispatch: the calls of one tool alone.
    if filter.is_empty() || filter.iter().any(|f| "guard_per_tool".contains(f.as_str())) {
        let mut shares = serde_json::Map::new();
        for tool in ["read_file", "query_db", "fetch_url"] {
            let of_tool: Vec<ToolCall> = calls.iter().filter(|c| c.name == tool).cloned().collect();
            let _ = run(&rt, &guard, &of_tool, 1);
            let runs: Vec<f64> = (0..5).map(|_| run(&rt, &guard, &of_tool, 1).0).collect();
            shares.insert(
                tool.to_owned(),
                serde_json::json!((median(runs) * 10.0).round() / 10.0),
            );
        }
        println!(
            "{}",
            serde_json::json!({"peer": "guard_per_tool", "ns_per_call_median": shares})
        );
    }
}
