//! `guard`: guard's validators from the command line.
//!
//! `guard check --validator path|url|sql|command|shell_arg|string [options]`
//! reads JSON Lines (`{"value": "..."}`, other fields ignored) from stdin
//! and writes one line per input, in order:
//! `{"allowed": true|false, "reason": "<code>"|null, "detail": "..."}`.
//!
//! `guard scan --kind injection|secrets|pii [--redact]` reads `{"text": "..."}`
//! lines and writes `{"flagged", "score", "findings": [{"kind", "start", "end"}]}`
//! per line, with `"redacted"` when asked.
//!
//! `guard policy check FILE` reads a TOML or YAML policy and runs the
//! checks `Guard::build` runs against the tools linked into the running
//! binary; it prints `ok` or the first error with its file, line and key
//! (exit status 1). `guard policy schema FILE` prints the Cedar schema
//! generated from those tools.
//!
//! `guard dashboard audit.jsonl [--listen 127.0.0.1:8809] [--policy FILE]`
//! serves a live dashboard over an audit file (see
//! [`audit::dashboard`](crate::audit::dashboard)); it prints the address,
//! then serves until interrupted.
//!
//! The stock `guard` binary links no tools, so tool sections are only
//! parsed there. An application gets the same commands over its own tools
//! with a binary of one line:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     guard_runtime::cli::main()
//! }
//! ```

use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::validate::{
    CommandPolicy, PathPolicy, SqlPolicy, TextPolicy, UrlPolicy, Violation, check_shell_arg,
};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "guard",
    version,
    about = "guard's security validators and tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check values (JSON Lines on stdin) with one validator.
    Check(Box<CheckArgs>),
    /// Scan texts (JSON Lines `{"text": ...}` on stdin) for injection, secrets or PII.
    Scan(ScanArgs),
    /// Work with a JSON Lines audit trail written by `JsonlAuditSink`.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Work with policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Sandboxed execution.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Serve a live, read-only dashboard over an audit file.
    Dashboard(DashboardArgs),
}

#[derive(clap::Args)]
struct DashboardArgs {
    /// The audit file (JSON Lines written by `JsonlAuditSink`).
    file: PathBuf,
    /// Where to listen; an address other than loopback needs a token.
    #[arg(long, default_value = "127.0.0.1:8809")]
    listen: std::net::SocketAddr,
    /// A bearer token every request must carry (better: the
    /// `GUARD_DASHBOARD_TOKEN` environment variable, which `ps` does not show).
    #[arg(long)]
    token: Option<String>,
    /// A policy file whose `[alerts]` thresholds the detectors use.
    #[arg(long)]
    policy: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SandboxCommand {
    /// Print which sandbox layers this kernel and build offer; exit 1 if a
    /// layer of the default profile is missing.
    Check,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Read a TOML or YAML policy and run the checks `Guard::build` runs
    /// against the tools linked into this binary; print `ok` or the first
    /// error (file, line, key).
    Check {
        /// The policy file (`.toml`, `.yaml` or `.yml`).
        file: PathBuf,
    },
    /// Print the Cedar schema generated from this binary's tools for a
    /// policy with a `[cedar]` section.
    Schema {
        /// The policy file.
        file: PathBuf,
    },
}

/// The guard `Guard::build` would make of a policy file here.
fn guard_for(file: &std::path::Path) -> Result<crate::Guard, String> {
    let policy = crate::policy::Policy::from_path(file).map_err(|e| e.to_string())?;
    crate::Guard::builder()
        .policy(policy)
        .build()
        .map_err(|e| e.to_string())
}

fn policy_check(file: &std::path::Path) -> ExitCode {
    let tools = inventory::iter::<crate::registry::ToolRegistration>().count();
    if tools == 0 {
        // Nothing to build against: read the file, say what was not checked.
        return match crate::policy::Policy::from_path(file) {
            Ok(policy) => {
                println!(
                    "ok: {} agent section(s); parsed only: no tools are linked into this binary, so tool sections were not checked (run the check from a binary of your application, see guard_runtime::cli)",
                    policy.agent_names().count()
                );
                ExitCode::SUCCESS
            }
            Err(err) => {
                println!("{err}");
                ExitCode::FAILURE
            }
        };
    }
    match guard_for(file) {
        Ok(guard) => {
            println!(
                "ok: {} agent section(s), checked against {tools} tool(s)",
                guard.policy().agent_names().count()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            println!("{err}");
            ExitCode::FAILURE
        }
    }
}

fn policy_schema(file: &std::path::Path) -> ExitCode {
    #[cfg(feature = "cedar")]
    {
        match guard_for(file) {
            Ok(guard) => match guard.cedar_schema() {
                Some(schema) => {
                    println!("{schema}");
                    ExitCode::SUCCESS
                }
                None => {
                    println!("the policy has no [cedar] section");
                    ExitCode::FAILURE
                }
            },
            Err(err) => {
                println!("{err}");
                ExitCode::FAILURE
            }
        }
    }
    #[cfg(not(feature = "cedar"))]
    {
        let _ = file;
        println!("this guard was built without the `cedar` feature");
        ExitCode::FAILURE
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; report the first modified, deleted, reordered or truncated record.
    Verify {
        /// The audit file.
        file: PathBuf,
    },
    /// Print calls and outcomes per tool.
    Summary {
        /// The audit file.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ScanKind {
    Injection,
    Secrets,
    Pii,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Which scanner to run.
    #[arg(long, value_enum)]
    kind: ScanKind,
    /// Add `"redacted"`: the text with each finding replaced by `[REDACTED:<kind>]`.
    #[arg(long)]
    redact: bool,
    /// injection: the score at which a text is flagged (default 0.5).
    #[arg(long)]
    threshold: Option<f64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Validator {
    Path,
    Url,
    Sql,
    Command,
    #[value(name = "shell_arg")]
    ShellArg,
    String,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Which validator to run.
    #[arg(long, value_enum)]
    validator: Validator,
    /// path: resolve under this root (symlinks checked); default: lexical checks only.
    #[arg(long)]
    root: Option<PathBuf>,
    /// path: denied globs, comma-separated (e.g. `.env,*.pem,.git`).
    #[arg(long, value_delimiter = ',')]
    deny: Vec<String>,
    /// path: allowed extensions, comma-separated.
    #[arg(long, value_delimiter = ',')]
    ext: Vec<String>,
    /// sql: the database's dialect (postgres, sqlite, mysql, mariadb, mssql,
    /// ...; `any` reads the query as every common dialect). Required for sql.
    #[arg(long)]
    dialect: Option<String>,
    /// sql: allowed tables, comma-separated.
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// url: allowed schemes, comma-separated (default: https).
    #[arg(long, value_delimiter = ',')]
    schemes: Vec<String>,
    /// url: allowed hosts, comma-separated (`example.com`, `*.example.com`).
    #[arg(long, value_delimiter = ',')]
    hosts: Vec<String>,
    /// url: allowed ports, comma-separated.
    #[arg(long, value_delimiter = ',')]
    ports: Vec<u16>,
    /// url: resolve host names and check every address (DNS lookups).
    #[arg(long)]
    resolve: bool,
    /// command: allowed programs, comma-separated.
    #[arg(long, value_delimiter = ',')]
    programs: Vec<String>,
    /// string: maximum length in characters.
    #[arg(long)]
    max_chars: Option<usize>,
}

enum Check {
    Path(PathPolicy),
    Url(UrlPolicy, bool),
    Sql(SqlPolicy),
    Command(CommandPolicy),
    ShellArg,
    String(TextPolicy),
}

impl Check {
    fn from_args(args: &CheckArgs) -> Result<Check, String> {
        Ok(match args.validator {
            Validator::Path => {
                let mut policy = PathPolicy::new();
                if let Some(root) = &args.root {
                    policy = policy.root(root);
                }
                if !args.deny.is_empty() {
                    policy = policy.deny(args.deny.clone()).map_err(|e| e.to_string())?;
                }
                if !args.ext.is_empty() {
                    policy = policy.extensions(args.ext.clone());
                }
                Check::Path(policy)
            }
            Validator::Url => {
                let mut policy = UrlPolicy::new();
                if !args.schemes.is_empty() {
                    policy = policy.schemes(args.schemes.clone());
                }
                if !args.hosts.is_empty() {
                    policy = policy.allow_hosts(args.hosts.clone());
                }
                if !args.ports.is_empty() {
                    policy = policy.ports(args.ports.clone());
                }
                Check::Url(policy, args.resolve)
            }
            Validator::Sql => {
                let dialect = args.dialect.as_deref().ok_or(
                    "--validator sql needs --dialect (postgres, sqlite, mysql, ..., or any)",
                )?;
                let mut policy = SqlPolicy::new().dialect(dialect)?;
                if !args.tables.is_empty() {
                    policy = policy.tables(args.tables.clone());
                }
                Check::Sql(policy)
            }
            Validator::Command => {
                let mut policy = CommandPolicy::new();
                if !args.programs.is_empty() {
                    policy = policy.programs(args.programs.clone());
                }
                Check::Command(policy)
            }
            Validator::ShellArg => Check::ShellArg,
            Validator::String => {
                let mut policy = TextPolicy::new();
                if let Some(max) = args.max_chars {
                    policy = policy.max_chars(max);
                }
                Check::String(policy)
            }
        })
    }

    fn run(&self, runtime: &tokio::runtime::Runtime, value: &str) -> Result<(), Violation> {
        match self {
            Check::Path(p) => p.check(value).map(drop),
            Check::Url(p, false) => p.check(value).map(drop),
            Check::Url(p, true) => runtime.block_on(p.check_resolved(value)).map(drop),
            Check::Sql(p) => p.check(value).map(drop),
            Check::Command(p) => p.check(value).map(drop),
            Check::ShellArg => check_shell_arg(value),
            Check::String(p) => p.check(value),
        }
    }
}

/// Where a JSON Lines input line does not hold the expected string field.
enum BadLine {
    NotAnObject,
    NoField,
}

/// Reads JSON Lines from stdin and writes one verdict line per non-empty
/// input line, in order. `verdict` gets the string in `field`, or why not.
fn json_lines(
    field: &str,
    mut verdict: impl FnMut(Result<&str, BadLine>) -> Value,
) -> Result<(), String> {
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.lines() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Value>(&line);
        let input = match &parsed {
            Ok(Value::Object(map)) => map
                .get(field)
                .and_then(Value::as_str)
                .ok_or(BadLine::NoField),
            _ => Err(BadLine::NotAnObject),
        };
        serde_json::to_writer(&mut out, &verdict(input)).map_err(|e| e.to_string())?;
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn check(args: &CheckArgs) -> Result<(), String> {
    let check = Check::from_args(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    json_lines("value", |input| match input {
        Ok(value) => match check.run(&runtime, value) {
            Ok(()) => json!({"allowed": true, "reason": null, "detail": ""}),
            Err(v) => json!({"allowed": false, "reason": v.code, "detail": v.detail}),
        },
        Err(BadLine::NoField) => json!({"allowed": false, "reason": "input.no_value",
                                        "detail": "the line has no string field `value`"}),
        Err(BadLine::NotAnObject) => json!({"allowed": false, "reason": "input.invalid_json",
                                            "detail": "the line is not a JSON object"}),
    })
}

fn scan(args: &ScanArgs) -> Result<(), String> {
    use crate::scan::{InjectionScanner, PiiScanner, SecretScanner, redact};
    let mut injection = InjectionScanner::new();
    if let Some(threshold) = args.threshold {
        injection = injection.threshold(threshold);
    }
    json_lines("text", |input| {
        let Ok(text) = input else {
            return json!({"flagged": false, "score": 0.0, "findings": [],
                          "error": "the line is not a JSON object with a string field `text`"});
        };
        let (flagged, score, findings) = match args.kind {
            ScanKind::Injection => {
                let report = injection.scan(text);
                (report.flagged, report.score, report.findings)
            }
            ScanKind::Secrets | ScanKind::Pii => {
                let findings = if matches!(args.kind, ScanKind::Secrets) {
                    SecretScanner::global().scan(text)
                } else {
                    PiiScanner::global().scan(text)
                };
                let flagged = !findings.is_empty();
                (flagged, if flagged { 1.0 } else { 0.0 }, findings)
            }
        };
        let mut verdict = json!({"flagged": flagged, "score": score, "findings": findings});
        if args.redact {
            // Zero-width findings (hidden characters) have nothing to replace.
            let redactable: Vec<_> = findings
                .iter()
                .filter(|f| f.start < f.end)
                .cloned()
                .collect();
            verdict["redacted"] = Value::String(redact(text, &redactable));
        }
        verdict
    })
}

/// Exit 0 when the trail is intact, 1 when it is not (with the first
/// problem on stdout), 2 when the file cannot be read.
fn audit(command: &AuditCommand) -> Result<ExitCode, String> {
    use crate::audit::verify;
    let file = match command {
        AuditCommand::Verify { file } | AuditCommand::Summary { file } => file,
    };
    let events = match verify(file).map_err(|e| format!("{}: {e}", file.display()))? {
        Ok(events) => events,
        Err(problem) => {
            println!("{}: {problem}", file.display());
            return Ok(ExitCode::from(1));
        }
    };
    match command {
        AuditCommand::Verify { .. } => println!("{}: ok, {} records", file.display(), events.len()),
        AuditCommand::Summary { .. } => {
            let mut table: std::collections::BTreeMap<
                String,
                std::collections::BTreeMap<String, u64>,
            > = Default::default();
            for event in &events {
                let tool = event["tool"].as_str().unwrap_or("?").to_owned();
                let kind = event["outcome"]["kind"].as_str().unwrap_or("?").to_owned();
                *table.entry(tool).or_default().entry(kind).or_default() += 1;
            }
            println!("{:<32} {:>7}  outcomes", "tool", "calls");
            for (tool, outcomes) in &table {
                let calls: u64 = outcomes.values().sum();
                let detail: Vec<String> =
                    outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
                println!("{tool:<32} {calls:>7}  {}", detail.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sandbox_check() -> ExitCode {
    use crate::sandbox::{self, SandboxLayers};
    let support = sandbox::support();
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("{:<22} {}", "sandbox feature", yes(sandbox::AVAILABLE));
    println!(
        "{:<22} {}",
        "landlock filesystem",
        yes(support.landlock_filesystem)
    );
    println!("{:<22} {}", "landlock tcp ports", yes(support.landlock_tcp));
    println!("{:<22} {}", "landlock scopes", yes(support.landlock_scopes));
    println!("{:<22} {}", "seccomp", yes(support.seccomp));
    println!("{:<22} {}", "pids cgroup", yes(support.pids_cgroup));
    println!("layers: {}", support.layers);
    // What a default profile (no processes, no ports) needs.
    let needed = SandboxLayers::MEMORY
        | SandboxLayers::CPU
        | SandboxLayers::FILESYSTEM
        | SandboxLayers::NETWORK
        | SandboxLayers::IPC_SCOPE
        | SandboxLayers::SECCOMP
        | SandboxLayers::PROCESSES;
    let missing = needed.without(support.layers);
    if missing.is_empty() {
        println!("ok: the default profile is fully enforced here");
        ExitCode::SUCCESS
    } else {
        println!("missing for the default profile: {missing}");
        ExitCode::FAILURE
    }
}

/// Serves the dashboard until interrupted. The tools linked into this
/// binary lend the detectors their data-flow labels.
fn dashboard(args: &DashboardArgs) -> Result<ExitCode, String> {
    use crate::audit::dashboard::{Dashboard, DashboardConfig};
    let mut config = DashboardConfig::new(&args.file).listen(args.listen);
    if let Some(token) = args
        .token
        .clone()
        .or_else(|| std::env::var("GUARD_DASHBOARD_TOKEN").ok())
    {
        config = config.token(token);
    }
    if let Some(path) = &args.policy {
        let policy = crate::policy::Policy::from_path(path).map_err(|e| e.to_string())?;
        if let Some(thresholds) = policy.alerts() {
            config = config.thresholds(thresholds.clone());
        }
    }
    if let Ok(guard) = crate::Guard::builder().build() {
        config = config.labels_of(&guard);
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let dashboard = Dashboard::bind(config)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        println!("guard dashboard: http://{}/", dashboard.local_addr());
        io::stdout().flush().map_err(|e| e.to_string())?;
        dashboard.run().await.map_err(|e| e.to_string())?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs the `guard` command line over the tools linked into this binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(args) => check(args).map(|()| ExitCode::SUCCESS),
        Command::Scan(args) => scan(args).map(|()| ExitCode::SUCCESS),
        Command::Audit(command) => audit(command),
        Command::Sandbox(SandboxCommand::Check) => Ok(sandbox_check()),
        Command::Policy(PolicyCommand::Check { file }) => Ok(policy_check(file)),
        Command::Policy(PolicyCommand::Schema { file }) => Ok(policy_schema(file)),
        Command::Dashboard(args) => dashboard(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("guard: {message}");
            ExitCode::from(2)
        }
    }
}
