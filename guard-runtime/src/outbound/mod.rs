//! Outbound checks: what a call sends out is read before it runs.
//!
//! A call to a tool with a `sink` label (or one the policy names) has its
//! string arguments scanned for credentials and personal data, and
//! compared with what `source`-labelled tools returned earlier in the
//! session (value-level taint, see `fingerprint.rs`): a key read by
//! `read_file` and pasted, base64-encoded, into `send_email` is refused
//! although no rule knows the key's format. The policy says per kind, and
//! per sink label, what happens: `block` (the default for secrets and
//! source content), `confirm`, `redact` (the tool receives the redacted
//! text; source content cannot be redacted and is blocked), `log` (the
//! default for personal data) or `off`.
//!
//! ```toml
//! [outbound]
//! secrets = "block"
//! pii = "confirm"
//! taint = "block"
//! tools = ["post_webhook"]      # checked although it has no sink label
//!
//! [outbound.labels.internal]    # a sink label's own, stricter or looser, rules
//! pii = "log"
//! ```

pub(crate) mod fingerprint;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::scan::{Finding, ScanSet, redact};

/// What happens when a call's arguments carry something out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LeakAction {
    /// Not checked.
    Off,
    /// Logged; the call runs unchanged.
    Log,
    /// The findings are replaced by `[REDACTED:<kind>]` before the tool
    /// sees the arguments.
    Redact,
    /// A person approves the call first (the guard's confirmer).
    Confirm,
    /// The call is refused.
    Block,
}

/// Per-label rules: each kind, when set, replaces the default for calls
/// to tools with that sink label; several labels: the strictest wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRules {
    /// For credentials.
    #[serde(default)]
    pub secrets: Option<LeakAction>,
    /// For personal data.
    #[serde(default)]
    pub pii: Option<LeakAction>,
    /// For content a source tool returned in this session.
    #[serde(default)]
    pub taint: Option<LeakAction>,
}

/// What the guard checks in outgoing arguments, and what it does.
///
/// ```
/// use guard_runtime::outbound::{LeakAction, OutboundPolicy};
///
/// // Defaults: secrets and source content blocked, personal data logged.
/// let policy = OutboundPolicy::default();
/// assert_eq!(policy.secrets_action(), LeakAction::Block);
/// let strict = policy.pii(LeakAction::Redact).tool("post_webhook");
/// # let _ = strict;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundPolicy {
    secrets: LeakAction,
    pii: LeakAction,
    taint: LeakAction,
    /// Tools checked although they carry no sink label.
    tools: Vec<String>,
    labels: BTreeMap<String, LabelRules>,
    /// The key of the taint fingerprints (share it between replicas).
    fingerprint_key: u64,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        OutboundPolicy {
            secrets: LeakAction::Block,
            pii: LeakAction::Log,
            taint: LeakAction::Block,
            tools: Vec::new(),
            labels: BTreeMap::new(),
            fingerprint_key: 0x6775_6172_645f_7470,
        }
    }
}

impl OutboundPolicy {
    /// Nothing checked.
    pub fn off() -> Self {
        OutboundPolicy {
            secrets: LeakAction::Off,
            pii: LeakAction::Off,
            taint: LeakAction::Off,
            ..OutboundPolicy::default()
        }
    }

    /// What credentials in outgoing arguments get (default `Block`).
    pub fn secrets(mut self, action: LeakAction) -> Self {
        self.secrets = action;
        self
    }

    /// What personal data in outgoing arguments gets (default `Log`).
    pub fn pii(mut self, action: LeakAction) -> Self {
        self.pii = action;
        self
    }

    /// What content a source tool returned gets when it goes out (default
    /// `Block`; `Redact` counts as `Block`: a passage cannot be cut out
    /// reliably once the model reworded its surroundings).
    pub fn taint(mut self, action: LeakAction) -> Self {
        self.taint = action;
        self
    }

    /// Checks this tool's calls too, although it has no sink label.
    pub fn tool(mut self, name: impl Into<String>) -> Self {
        self.tools.push(name.into());
        self
    }

    /// Rules for tools with this sink label.
    pub fn label(mut self, label: impl Into<String>, rules: LabelRules) -> Self {
        self.labels.insert(label.into(), rules);
        self
    }

    /// The key of the taint fingerprints; replicas sharing a state backend
    /// must use the same one.
    pub fn fingerprint_key(mut self, key: u64) -> Self {
        self.fingerprint_key = key;
        self
    }

    /// The default action for credentials.
    pub fn secrets_action(&self) -> LeakAction {
        self.secrets
    }

    /// The tool names checked without a sink label.
    pub(crate) fn named_tools(&self) -> &[String] {
        &self.tools
    }

    /// The sink labels with rules of their own.
    pub(crate) fn rule_labels(&self) -> impl Iterator<Item = &str> {
        self.labels.keys().map(String::as_str)
    }

    pub(crate) fn key(&self) -> u64 {
        self.fingerprint_key
    }

    /// Whether source outputs are fingerprinted at all.
    pub(crate) fn tracks_sources(&self) -> bool {
        self.taint != LeakAction::Off
            || self
                .labels
                .values()
                .any(|r| r.taint.is_some_and(|t| t != LeakAction::Off))
    }

    /// The rules for a call of `tool` with these sink labels, or `None`
    /// when its arguments are not checked.
    pub(crate) fn rules_for(&self, tool: &str, sinks: &[String]) -> Option<Rules> {
        if sinks.is_empty() && !self.tools.iter().any(|t| t == tool) {
            return None;
        }
        let mut rules = Rules {
            secrets: self.secrets,
            pii: self.pii,
            taint: self.taint,
        };
        let own: Vec<&LabelRules> = sinks.iter().filter_map(|s| self.labels.get(s)).collect();
        if !own.is_empty() {
            // A label's rules replace the defaults; several labels: the strictest.
            let pick = |get: fn(&LabelRules) -> Option<LeakAction>, default: LeakAction| {
                own.iter().filter_map(|r| get(r)).max().unwrap_or(default)
            };
            rules.secrets = pick(|r| r.secrets, self.secrets);
            rules.pii = pick(|r| r.pii, self.pii);
            rules.taint = pick(|r| r.taint, self.taint);
        }
        (rules != Rules::OFF).then_some(rules)
    }
}

/// Checks that every tool the policy names exists and every label it has
/// rules for is a sink label of some tool (in the registry or the policy
/// file): a typo must not leave a tool or a label unchecked.
pub(crate) fn check_names(
    policy: &OutboundPolicy,
    registry: &crate::registry::Registry,
    policy_file: &crate::policy::Policy,
) -> Result<(), String> {
    for tool in policy.named_tools() {
        if registry.get(tool).is_none() {
            return Err(format!("no tool named `{tool}` in this guard"));
        }
    }
    for label in policy.rule_labels() {
        let known = registry
            .iter()
            .any(|e| e.registration.sinks.contains(&label))
            || policy_file
                .tools
                .values()
                .any(|t| t.sink.iter().any(|s| s == label))
            || policy_file
                .agents
                .values()
                .any(|a| a.tools.values().any(|t| t.sink.iter().any(|s| s == label)));
        if !known {
            return Err(format!("no tool has the sink label `{label}`"));
        }
    }
    Ok(())
}

/// The actions for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rules {
    pub secrets: LeakAction,
    pub pii: LeakAction,
    pub taint: LeakAction,
}

impl Rules {
    const OFF: Rules = Rules {
        secrets: LeakAction::Off,
        pii: LeakAction::Off,
        taint: LeakAction::Off,
    };
}

/// What was found in one call's arguments, and what to do about it.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Inspection {
    /// The strictest action any finding asks for, and the kind that asked
    /// (`secret`, `personal data`, `source content`).
    pub verdict: Option<(LeakAction, &'static str)>,
    /// Finding kinds (`aws_access_key`, `email`, ...), for the audit.
    pub kinds: Vec<&'static str>,
    /// Whether any argument was redacted in place.
    pub redacted: bool,
}

impl Inspection {
    fn note(&mut self, action: LeakAction, kind: &'static str) {
        if action > self.verdict.map_or(LeakAction::Off, |(a, _)| a) {
            self.verdict = Some((action, kind));
        }
    }

    /// Scans one string and collects its taint probes (when `probe`);
    /// returns the findings the rules say to redact, in order.
    fn text(
        &mut self,
        rules: Rules,
        key: u64,
        text: &str,
        probe: bool,
        probes: &mut Vec<u64>,
    ) -> Vec<Finding> {
        if probe {
            fingerprint::probe(key, text, probes);
        }
        let scans = ScanSet::none()
            .secrets(rules.secrets != LeakAction::Off)
            .pii(rules.pii != LeakAction::Off)
            .scan(text);
        let mut to_redact: Vec<Finding> = Vec::new();
        for (found, action, label) in [
            (scans.secrets, rules.secrets, "secret"),
            (scans.pii, rules.pii, "personal data"),
        ] {
            if found.is_empty() {
                continue;
            }
            self.kinds.extend(found.iter().map(|f| f.kind));
            self.note(action, label);
            if action == LeakAction::Redact {
                to_redact.extend(found);
            }
        }
        to_redact.sort_by_key(|f| f.start);
        to_redact
    }

    /// Redacting is settled; what remains to decide is the strictest of
    /// the rest. A redaction alone lets the call run.
    fn settle_redactions(mut self) -> Self {
        if self.verdict.is_some_and(|(a, _)| a == LeakAction::Redact) {
            self.verdict = None;
        }
        self
    }
}

/// Scans every string value in `args` (at any depth) for credentials and
/// personal data, redacting in place where the rules say `Redact`, and
/// collects the taint probes of the strings when `probe`.
pub(crate) fn inspect(
    rules: Rules,
    key: u64,
    args: &mut Value,
    probe: bool,
    probes: &mut Vec<u64>,
) -> Inspection {
    let mut inspection = Inspection::default();
    walk(args, &mut |text: &mut String| {
        let to_redact = inspection.text(rules, key, text, probe, probes);
        if !to_redact.is_empty() {
            *text = redact(text, &to_redact);
            inspection.redacted = true;
        }
    });
    inspection.settle_redactions()
}

/// [`inspect`] over the arguments' JSON text as the model sent it, for
/// the typed fast path: the same strings are scanned and probed, without
/// building a JSON tree. `None` when the text cannot be read that way
/// (it has escapes) or something in it is to be redacted: the caller
/// takes the full path. `raw` must be valid JSON.
pub(crate) fn inspect_raw(
    rules: Rules,
    key: u64,
    raw: &str,
    probe: bool,
    probes: &mut Vec<u64>,
) -> Option<Inspection> {
    // Without escapes, quotes only delimit strings: the odd pieces between
    // them are the strings, and a string followed by `:` is a key.
    if raw.contains('\\') {
        return None;
    }
    let mut inspection = Inspection::default();
    let mut pieces = raw.split('"').skip(1);
    while let Some(string) = pieces.next() {
        let after = pieces.next().unwrap_or("");
        if after.trim_start().starts_with(':') {
            continue;
        }
        if !inspection
            .text(rules, key, string, probe, probes)
            .is_empty()
        {
            return None;
        }
    }
    Some(inspection.settle_redactions())
}

/// Calls `visit` on every string of a JSON value.
fn walk(value: &mut Value, visit: &mut dyn FnMut(&mut String)) {
    match value {
        Value::String(text) => visit(text),
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, visit)),
        Value::Object(map) => map.values_mut().for_each(|v| walk(v, visit)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_replace_defaults_and_the_strictest_label_wins() {
        let policy = OutboundPolicy::default()
            .label(
                "internal",
                LabelRules {
                    pii: Some(LeakAction::Off),
                    ..LabelRules::default()
                },
            )
            .label(
                "public",
                LabelRules {
                    pii: Some(LeakAction::Block),
                    ..LabelRules::default()
                },
            );
        assert_eq!(policy.rules_for("t", &[]), None);
        assert_eq!(
            policy.rules_for("t", &["internal".into()]).unwrap().pii,
            LeakAction::Off
        );
        assert_eq!(
            policy
                .rules_for("t", &["internal".into(), "public".into()])
                .unwrap()
                .pii,
            LeakAction::Block
        );
        assert_eq!(
            policy
                .clone()
                .tool("hook")
                .rules_for("hook", &[])
                .unwrap()
                .secrets,
            LeakAction::Block
        );
        assert_eq!(OutboundPolicy::off().rules_for("t", &["x".into()]), None);
    }

    #[test]
    fn secrets_block_and_pii_redacts_in_place() {
        let rules = Rules {
            secrets: LeakAction::Block,
            pii: LeakAction::Redact,
            taint: LeakAction::Off,
        };
        let mut args = json!({"to": "ops@example.com", "body": "key AKIAQ3EGRT5HYX2ZK7PL"});
        let found = inspect(rules, 1, &mut args, true, &mut Vec::new());
        assert_eq!(found.verdict, Some((LeakAction::Block, "secret")));
        assert!(found.kinds.contains(&"aws_access_key") && found.kinds.contains(&"email"));
        assert_eq!(args["to"], "[REDACTED:email]");

        let mut args = json!({"body": "write to ada@example.org"});
        let found = inspect(rules, 1, &mut args, true, &mut Vec::new());
        assert_eq!(found.verdict, None);
        assert!(found.redacted);
        assert_eq!(args["body"], "write to [REDACTED:email]");
    }

    /// The raw reading scans and probes exactly the strings the tree
    /// reading does (values, not keys, at any depth), and declines what it
    /// cannot read as sent.
    #[test]
    fn the_raw_reading_equals_the_tree_reading() {
        let rules = Rules {
            secrets: LeakAction::Block,
            pii: LeakAction::Log,
            taint: LeakAction::Block,
        };
        for raw in [
            r#"{"to":"ops@example.com","body":"build 812 is green"}"#,
            r#"{"AKIAQ3EGRT5HYX2ZK7PL" : "a key's name is not sent", "n": 3}"#,
            r#"{"nested":{"list":["key AKIAQ3EGRT5HYX2ZK7PL", 4, null, true]}}"#,
            r#"{"body":"Z2hwX3Rva2VuX2FiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OQ==","x":":"}"#,
            r#"{"a":"one two three four five six seven eight nine ten eleven"}"#,
            r#"{}"#,
        ] {
            let (mut tree_probes, mut raw_probes) = (Vec::new(), Vec::new());
            let mut args: Value = serde_json::from_str(raw).unwrap();
            let tree = inspect(rules, 7, &mut args, true, &mut tree_probes);
            let read = inspect_raw(rules, 7, raw, true, &mut raw_probes).expect(raw);
            assert_eq!((read, raw_probes), (tree, tree_probes), "{raw}");
        }
        assert_eq!(
            inspect_raw(
                rules,
                7,
                r#"{"body":"AKIA\u0051..."}"#,
                true,
                &mut Vec::new()
            ),
            None
        );
        let redacting = Rules {
            pii: LeakAction::Redact,
            ..rules
        };
        assert_eq!(
            inspect_raw(
                redacting,
                7,
                r#"{"to":"ops@example.com"}"#,
                true,
                &mut Vec::new()
            ),
            None
        );
        assert!(inspect_raw(redacting, 7, r#"{"to":"nobody"}"#, true, &mut Vec::new()).is_some());
    }
}
