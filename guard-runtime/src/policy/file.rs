//! The policy file: one serde model read from TOML or YAML, checked while it
//! is read, so every error names the file, the line and the key.

use std::collections::BTreeMap;
use std::fmt;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::Risk;
use crate::validate::{CommandRules, Narrowing, PathRules, SqlRules, UrlRules};

/// An operator's policy: which agent may call which tool, with which limits.
///
/// Read from TOML or YAML (the same model); unknown keys are errors.
///
/// **The stricter wins.** Tool settings apply in order: the tool's
/// attribute, then `[tools.NAME]`, then `[agents.AGENT.tools.NAME]`. Each
/// section takes the higher risk, confirmation if either asks, the shorter
/// timeout, both rate limits, and a role from each `roles` list; validator
/// allow-lists keep only names on both lists, deny lists add, a root or
/// dialect replaces. A section with `override = true` replaces the values
/// before it instead, which is the only way to relax them. Data-flow labels
/// add up. Tools at or above `confirm_risk` (default critical) need
/// confirmation; at or above `sequential_risk` (default high) they run one
/// at a time.
///
/// ```
/// use guard_runtime::policy::{Format, Policy};
///
/// let policy = Policy::from_str(r#"
/// batch = "all_or_nothing"
///
/// [quotas]
/// session_calls = 100
///
/// [agents.support]
/// allow = ["search_*", "read_file"]
/// deny = ["*_admin"]
///
/// [agents.support.tools.read_file]
/// rate = 10
/// confirm = true
///
/// [[flows]]
/// id = "no-exfiltration"
/// from = "secrets"
/// to = "external"
/// action = "block"
/// window = "session"
/// "#, Format::Toml).unwrap();
/// assert_eq!(policy.agent_names().collect::<Vec<_>>(), ["support"]);
///
/// let err = Policy::from_str("[agents.support]\nalow = [\"x\"]\n", Format::Toml).unwrap_err();
/// assert_eq!(err.line(), Some(2));
/// assert_eq!(err.key(), Some("agents.support.alow"));
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// `per_call` (default) or `all_or_nothing`.
    #[serde(default)]
    pub(crate) batch: BatchMode,
    /// Calls of one turn that may run at the same time.
    #[serde(default)]
    pub(crate) max_parallel: Option<NonZeroUsize>,
    /// Calls one batch may hold; the rest are refused unread (overrides the
    /// builder's cap, 128 by default).
    #[serde(default)]
    pub(crate) max_calls_per_batch: Option<NonZeroUsize>,
    /// Tools at or above this risk run one after another (default: high).
    #[serde(default = "high")]
    pub(crate) sequential_risk: Risk,
    /// Tools at or above this risk need confirmation (default: critical).
    #[serde(default = "critical")]
    pub(crate) confirm_risk: Risk,
    #[serde(default)]
    pub(crate) quotas: Quotas,
    /// Sections by agent id; `default` applies to agents without their own.
    #[serde(default)]
    pub(crate) agents: BTreeMap<String, AgentRules>,
    /// Tool sections for every agent (an agent's own section applies on top).
    #[serde(default)]
    pub(crate) tools: BTreeMap<String, ToolRules>,
    #[serde(default)]
    pub(crate) flows: Vec<FlowRule>,
    /// Data-flow labels that flow rules may name before any tool has them.
    #[serde(default)]
    pub(crate) labels: Vec<String>,
    /// What calls that need the state backend get when it cannot answer:
    /// `deny` (default) or `allow`.
    #[serde(default)]
    pub(crate) on_backend_error: OnBackendError,
    /// What calls to sink tools may carry out (replaces the builder's).
    #[serde(default)]
    pub(crate) outbound: Option<crate::outbound::OutboundPolicy>,
    /// Thresholds of the anomaly detectors (`[alerts]`), for
    /// [`AnomalyDetector`](crate::alerts::AnomalyDetector).
    #[serde(default)]
    pub(crate) alerts: Option<crate::alerts::AlertThresholds>,
    /// Sandbox profiles by name (`default` is built in and may be redefined).
    #[serde(default)]
    pub(crate) sandboxes: BTreeMap<String, crate::sandbox::SandboxProfile>,
    /// Cedar policies over the caller, the tool and its arguments (feature `cedar`).
    #[serde(default)]
    pub(crate) cedar: Option<super::cedar::CedarSection>,
}

impl Default for Policy {
    /// Everything allowed, no quotas or flow rules; high-risk tools run one
    /// at a time and critical ones need confirmation.
    fn default() -> Self {
        Policy {
            batch: BatchMode::PerCall,
            max_parallel: None,
            max_calls_per_batch: None,
            sequential_risk: high(),
            confirm_risk: critical(),
            quotas: Quotas::default(),
            agents: BTreeMap::new(),
            tools: BTreeMap::new(),
            flows: Vec::new(),
            labels: Vec::new(),
            on_backend_error: OnBackendError::Deny,
            outbound: None,
            alerts: None,
            sandboxes: BTreeMap::new(),
            cedar: None,
        }
    }
}

fn high() -> Risk {
    Risk::High
}

fn critical() -> Risk {
    Risk::Critical
}

/// What happens to calls that need the state backend (rate limits,
/// quotas, data-flow history, "always" decisions) when it cannot answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OnBackendError {
    /// Refuse them with `DenyReason::BackendUnavailable` (fail closed).
    #[default]
    Deny,
    /// Let them go on as if no limit, quota or history applied.
    Allow,
}

/// How one refusal affects the rest of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BatchMode {
    /// Each call stands alone.
    #[default]
    PerCall,
    /// One refusal refuses the whole batch.
    AllOrNothing,
}

/// Caps on how much an agent may do.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Quotas {
    /// Calls per session, all tools together.
    pub(crate) session_calls: Option<NonZeroU32>,
    /// Calls per session of any one tool.
    pub(crate) session_calls_per_tool: Option<NonZeroU32>,
    /// Calls per turn (one `dispatch`).
    pub(crate) turn_calls: Option<NonZeroU32>,
    /// Calls per minute by one user, across sessions.
    pub(crate) user_calls_per_minute: Option<NonZeroU32>,
}

/// One agent's section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentRules {
    /// Tool name globs the agent may use (default: every tool).
    #[serde(default = "everything")]
    pub(crate) allow: Vec<Glob>,
    /// Tool name globs it may not use; deny wins over allow.
    #[serde(default)]
    pub(crate) deny: Vec<Glob>,
    /// Per-tool settings for this agent.
    #[serde(default)]
    pub(crate) tools: BTreeMap<String, ToolRules>,
}

fn everything() -> Vec<Glob> {
    vec![Glob::new("*").expect("`*` is a glob")]
}

/// Settings for one tool. Unset values leave the tool's own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolRules {
    pub(crate) risk: Option<Risk>,
    /// Calls per minute.
    pub(crate) rate: Option<NonZeroU32>,
    pub(crate) confirm: Option<bool>,
    pub(crate) timeout: Option<DurationText>,
    /// The caller needs one of these roles.
    pub(crate) roles: Option<Vec<String>>,
    /// Replace the tool's own values instead of taking the stricter.
    #[serde(default, rename = "override")]
    pub(crate) relax: bool,
    /// Data-flow labels, added to the tool's own.
    #[serde(default)]
    pub(crate) source: Vec<String>,
    #[serde(default)]
    pub(crate) sink: Vec<String>,
    /// Argument validator options for this tool: allow-lists narrow the
    /// tool's own (only names on both stay) unless `override = true`; deny
    /// lists add; a root or dialect replaces.
    #[serde(default)]
    pub(crate) path: Option<PathRules>,
    #[serde(default)]
    pub(crate) url: Option<UrlRules>,
    #[serde(default)]
    pub(crate) sql: Option<SqlRules>,
    #[serde(default)]
    pub(crate) command: Option<CommandRules>,
    /// The sandbox the tool runs in (replaces the attribute's): a profile's
    /// name, or a profile written in place (`[tools.NAME.sandbox]`).
    pub(crate) sandbox: Option<SandboxChoice>,
}

/// `sandbox = "name"` or a `[tools.NAME.sandbox]` table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SandboxChoice {
    Named(String),
    Inline(Box<crate::sandbox::SandboxProfile>),
}

impl<'de> Deserialize<'de> for SandboxChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> serde::de::Visitor<'de> for Choice {
            type Value = SandboxChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a sandbox profile's name or a profile table")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SandboxChoice, E> {
                Ok(SandboxChoice::Named(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<SandboxChoice, A::Error> {
                let profile = crate::sandbox::SandboxProfile::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                Ok(SandboxChoice::Inline(Box::new(profile)))
            }
        }
        d.deserialize_any(Choice)
    }
}

impl ToolRules {
    /// This section's validator options, if it has any.
    pub(crate) fn narrowing(&self) -> Option<Narrowing<'_>> {
        let any = self.path.is_some()
            || self.url.is_some()
            || self.sql.is_some()
            || self.command.is_some();
        any.then_some(Narrowing {
            path: self.path.as_ref(),
            url: self.url.as_ref(),
            sql: self.sql.as_ref(),
            command: self.command.as_ref(),
            replace: self.relax,
        })
    }
}

/// A data-flow rule: data from a `from` tool must not reach a `to` tool.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlowRule {
    /// Named in refusals and audit records (default: `from->to`).
    pub(crate) id: Option<String>,
    pub(crate) from: String,
    pub(crate) to: String,
    #[serde(default)]
    pub(crate) action: FlowAction,
    #[serde(default)]
    pub(crate) window: FlowWindow,
}

impl FlowRule {
    pub(crate) fn name(&self) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| format!("{}->{}", self.from, self.to))
    }
}

/// What a matching flow rule does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FlowAction {
    /// Refuse the calls.
    #[default]
    Block,
    /// Ask the confirmer before the sink call runs.
    Confirm,
    /// Let it run and record the match.
    Log,
}

/// How far back a flow rule looks for the source call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum FlowWindow {
    /// The same batch of calls.
    #[default]
    Turn,
    /// Any earlier call of the session.
    Session,
    /// Earlier calls of the session within this long.
    Within(Duration),
}

impl<'de> Deserialize<'de> for FlowWindow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "turn" => Ok(FlowWindow::Turn),
            "session" => Ok(FlowWindow::Session),
            other => crate::duration::parse_millis(other)
                .map(|ms| FlowWindow::Within(Duration::from_millis(ms)))
                .ok_or_else(|| {
                    serde::de::Error::custom(
                        "expected \"turn\", \"session\" or a duration such as \"10m\"",
                    )
                }),
        }
    }
}

/// A duration written `500ms`, `5s`, `10m` or `2h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DurationText(pub(crate) Duration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::duration::parse_positive(&text)
            .map(DurationText)
            .ok_or_else(|| {
                serde::de::Error::custom(format_args!("expected {}", crate::duration::EXPECTED))
            })
    }
}

/// A tool-name glob, compiled while the file is read.
#[derive(Clone)]
pub(crate) struct Glob {
    text: String,
    matcher: globset::GlobMatcher,
}

impl Glob {
    fn new(text: &str) -> Result<Self, globset::Error> {
        let matcher = globset::GlobBuilder::new(text)
            .literal_separator(false)
            .build()?
            .compile_matcher();
        Ok(Glob {
            text: text.to_owned(),
            matcher,
        })
    }

    pub(crate) fn is_match(&self, tool: &str) -> bool {
        self.matcher.is_match(tool)
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<'de> Deserialize<'de> for Glob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Glob::new(&text)
            .map_err(|e| serde::de::Error::custom(format!("invalid glob: {}", e.kind())))
    }
}

/// The text format of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// TOML.
    Toml,
    /// YAML.
    Yaml,
}

impl Format {
    /// `.toml`, `.yaml` or `.yml`.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Why a policy could not be read: where, which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct PolicyError {
    file: Option<PathBuf>,
    line: Option<usize>,
    column: Option<usize>,
    key: Option<String>,
    message: String,
}

impl PolicyError {
    pub(crate) fn new(key: Option<String>, message: impl Into<String>) -> Self {
        PolicyError {
            file: None,
            line: None,
            column: None,
            key,
            message: message.into(),
        }
    }

    /// An error at a place in another file (a Cedar policy or schema file).
    #[cfg_attr(not(feature = "cedar"), allow(dead_code))]
    pub(crate) fn at(
        file: Option<PathBuf>,
        position: Option<(usize, usize)>,
        key: &str,
        message: impl Into<String>,
    ) -> Self {
        PolicyError {
            file,
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    /// The file, when the policy was read from one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The line (1-based), when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The column (1-based), when known.
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// The dotted key path, such as `agents.support.tools.read_file.rate`.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            out.push_str(&file.display().to_string());
            out.push(':');
        }
        if let Some(line) = self.line {
            out.push_str(&line.to_string());
            if let Some(column) = self.column {
                out.push(':');
                out.push_str(&column.to_string());
            }
            out.push(':');
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if let Some(key) = &self.key {
            out.push_str(key);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

impl Policy {
    /// The `[alerts]` thresholds, if the file sets them.
    ///
    /// ```
    /// use guard_runtime::alerts::AnomalyDetector;
    /// use guard_runtime::policy::{Format, Policy};
    ///
    /// let policy = Policy::from_str("[alerts]\nrefusal_burst = 5\n", Format::Toml).unwrap();
    /// let thresholds = policy.alerts().cloned().unwrap_or_default();
    /// assert_eq!(thresholds.refusal_burst, 5);
    /// let detector = AnomalyDetector::new(thresholds);
    /// # let _ = detector;
    /// ```
    pub fn alerts(&self) -> Option<&crate::alerts::AlertThresholds> {
        self.alerts.as_ref()
    }

    /// Reads a policy from text.
    ///
    /// # Errors
    /// A [`PolicyError`] with the line, column and key of the first problem:
    /// a syntax error, an unknown key, a value of the wrong type, an invalid
    /// glob or duration, a zero quota.
    pub fn from_str(text: &str, format: Format) -> Result<Policy, PolicyError> {
        match format {
            Format::Toml => from_toml(text),
            Format::Yaml => from_yaml(text),
        }
    }

    /// Reads a policy file; the format comes from the extension (`.toml`,
    /// `.yaml`, `.yml`).
    ///
    /// # Errors
    /// As [`Policy::from_str`], with the file named; also an unreadable file
    /// or an unknown extension.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        let path = path.as_ref();
        let in_file = |mut err: PolicyError| {
            err.file = Some(path.to_owned());
            err
        };
        let format = Format::from_path(path).ok_or_else(|| {
            in_file(PolicyError::new(
                None,
                "unknown policy format: use a .toml, .yaml or .yml file",
            ))
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| in_file(PolicyError::new(None, format!("cannot read the file: {e}"))))?;
        let mut policy = Policy::from_str(&text, format).map_err(in_file)?;
        // A Cedar file named in the policy is found next to it.
        if let (Some(cedar), Some(dir)) = (&mut policy.cedar, path.parent()) {
            cedar.rebase(dir);
        }
        Ok(policy)
    }

    /// The agents with a section of their own (`default` included).
    pub fn agent_names(&self) -> impl Iterator<Item = &str> {
        self.agents.keys().map(String::as_str)
    }

    /// How a refusal affects the rest of a batch.
    pub fn batch_mode(&self) -> BatchMode {
        self.batch
    }
}

fn from_toml(text: &str) -> Result<Policy, PolicyError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| toml_error(text, &e, None))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = key_path(e.path());
        toml_error(text, e.inner(), key)
    })
}

fn toml_error(text: &str, err: &toml::de::Error, key: Option<String>) -> PolicyError {
    let (line, column) = match err.span() {
        Some(span) => line_column(text, span.start),
        None => (None, None),
    };
    PolicyError {
        file: None,
        line,
        column,
        key,
        message: err.message().trim().to_owned(),
    }
}

#[cfg(not(feature = "yaml"))]
fn from_yaml(_text: &str) -> Result<Policy, PolicyError> {
    Err(PolicyError {
        file: None,
        line: None,
        column: None,
        key: None,
        message: "YAML policy files need guard-runtime's `yaml` feature (or use TOML)".to_owned(),
    })
}

#[cfg(feature = "yaml")]
fn from_yaml(text: &str) -> Result<Policy, PolicyError> {
    let deserializer = yaml_serde::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = key_path(e.path());
        let inner = e.into_inner();
        let location = inner.location();
        let mut message = inner.to_string();
        // The location goes in its own fields, not twice in the message.
        if let Some(at) = message.find(" at line ") {
            message.truncate(at);
        }
        // yaml_serde starts with the path of the enclosing map; the key says it.
        if let Some((path, rest)) = message.split_once(": ")
            && key.as_deref().is_some_and(|k| k.starts_with(path))
        {
            message = rest.to_owned();
        }
        PolicyError {
            file: None,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            key,
            message,
        }
    })
}

fn key_path(path: &serde_path_to_error::Path) -> Option<String> {
    let text = path.to_string();
    (text != ".").then_some(text)
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (Option<usize>, Option<usize>) {
    let before = &text[..offset.min(text.len())];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    (Some(line), Some(column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml_err(text: &str) -> PolicyError {
        Policy::from_str(text, Format::Toml).unwrap_err()
    }

    #[cfg(feature = "yaml")]
    fn yaml_err(text: &str) -> PolicyError {
        Policy::from_str(text, Format::Yaml).unwrap_err()
    }

    #[test]
    #[cfg(feature = "yaml")]
    fn toml_and_yaml_read_into_the_same_model() {
        let toml = Policy::from_str(
            r#"
batch = "all_or_nothing"
max_parallel = 2
[quotas]
turn_calls = 5
[agents.default]
deny = ["delete_*"]
[agents.ops.tools.deploy]
roles = ["admin"]
timeout = "5s"
[[flows]]
from = "secrets"
to = "external"
window = "10m"
"#,
            Format::Toml,
        )
        .unwrap();
        let yaml = Policy::from_str(
            r#"
batch: all_or_nothing
max_parallel: 2
quotas:
  turn_calls: 5
agents:
  default:
    deny: ["delete_*"]
  ops:
    tools:
      deploy:
        roles: [admin]
        timeout: 5s
flows:
  - from: secrets
    to: external
    window: 10m
"#,
            Format::Yaml,
        )
        .unwrap();
        assert_eq!(toml, yaml);
        assert_eq!(toml.batch, BatchMode::AllOrNothing);
        assert_eq!(
            toml.flows[0].window,
            FlowWindow::Within(Duration::from_secs(600))
        );
        assert_eq!(toml.flows[0].name(), "secrets->external");
        assert_eq!(toml.agents["ops"].allow, everything());
    }

    #[test]
    fn errors_name_line_and_key() {
        let err =
            toml_err("[agents.bot]\nallow = [\"a\"]\n\n[agents.bot.tools.x]\nrsik = \"high\"\n");
        assert_eq!(
            (err.line(), err.key()),
            (Some(5), Some("agents.bot.tools.x.rsik"))
        );
        assert!(err.message().starts_with("unknown field `rsik`"), "{err}");

        let err = toml_err("[quotas]\nsession_calls = 0\n");
        assert_eq!(
            (err.line(), err.key()),
            (Some(2), Some("quotas.session_calls"))
        );

        let err = toml_err("[agents.bot]\ndeny = [\"a[\"]\n");
        assert_eq!(
            (err.line(), err.key()),
            (Some(2), Some("agents.bot.deny[0]"))
        );
        assert!(err.message().starts_with("invalid glob"), "{err}");

        let err = toml_err("[[flows]]\nfrom = \"a\"\nto = \"b\"\nwindow = \"fortnight\"\n");
        assert_eq!((err.line(), err.key()), (Some(4), Some("flows[0].window")));

        let err = toml_err("batch = \"some\"\n");
        assert_eq!((err.line(), err.key()), (Some(1), Some("batch")));

        let err = toml_err("[agents\n");
        assert_eq!(err.line(), Some(1));

        #[cfg(feature = "yaml")]
        {
            let err = yaml_err("agents:\n  bot:\n    alow: [a]\n");
            assert_eq!((err.line(), err.key()), (Some(3), Some("agents.bot.alow")));
            assert!(err.message().starts_with("unknown field `alow`"), "{err}");
            assert_eq!(
                err.to_string(),
                format!("3:5: agents.bot.alow: {}", err.message())
            );
        }
    }

    #[test]
    #[cfg(not(feature = "yaml"))]
    fn yaml_without_its_feature_is_an_error_that_names_the_feature() {
        let err = Policy::from_str("agents: {}\n", Format::Yaml).unwrap_err();
        assert!(err.message().contains("`yaml` feature"), "{err}");
    }

    #[test]
    fn files_are_named_in_errors() {
        let dir = std::env::temp_dir().join(format!("guard-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("policy.toml");
        std::fs::write(&path, "[agents.bot]\nallow = 3\n").unwrap();
        let err = Policy::from_path(&path).unwrap_err();
        assert_eq!(err.file(), Some(path.as_path()));
        assert!(
            err.to_string()
                .starts_with(&format!("{}:2:", path.display())),
            "{err}"
        );
        let err = Policy::from_path(dir.join("policy.json")).unwrap_err();
        assert!(err.message().starts_with("unknown policy format"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
