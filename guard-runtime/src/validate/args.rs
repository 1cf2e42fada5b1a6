//! Which validator guards which argument: the specs `#[secure_tool]` emits,
//! the policies configured at run time, and the per-tool combination of both.

use serde_json::Value;

use super::checked::{Artifact, Artifacts, CheckedArgs};
use super::{
    CommandPolicy, PathPolicy, SqlPolicy, TextPolicy, UrlPolicy, Violation, WriteKind,
    check_shell_arg,
};
use crate::outcome::safe_text;

/// One validated argument, as `#[secure_tool]` declares it.
#[doc(hidden)]
#[derive(Debug)]
pub struct ArgSpec {
    /// The JSON property name.
    pub name: &'static str,
    /// `#[arg(...)]` was written (the parameter receives the checked value);
    /// otherwise the validator was chosen by the parameter's name.
    pub explicit: bool,
    pub validator: ValidatorSpec,
}

/// A validator and the options written in the attribute.
#[doc(hidden)]
#[derive(Debug)]
pub enum ValidatorSpec {
    Path {
        exists: bool,
        ext: &'static [&'static str],
        deny: &'static [&'static str],
    },
    Url {
        schemes: &'static [&'static str],
        hosts: &'static [&'static str],
        ports: &'static [u16],
        resolve: bool,
    },
    Sql {
        tables: &'static [&'static str],
        write: &'static [&'static str],
        dialect: Option<&'static str>,
        functions: &'static [&'static str],
    },
    Command {
        programs: &'static [&'static str],
        /// `options(wc = ["-l"])`: the only options a program may be given.
        options: &'static [(&'static str, &'static [&'static str])],
    },
    ShellArg,
}

/// The run-time side of validation: base policies that the attribute's
/// options then narrow (a root, allowed hosts, a dialect, ...).
///
/// Set one for every tool with [`GuardBuilder::validators`](crate::GuardBuilder::validators)
/// and replace it for one tool with
/// [`GuardBuilder::validators_for`](crate::GuardBuilder::validators_for).
/// Options in `#[arg(...)]` apply on top: `ext`, `deny` and `exists` add to
/// the path policy; `schemes`, `hosts`, `ports` replace the URL policy's;
/// `tables`, `write` and `dialect` replace the SQL policy's; `programs`
/// replaces the command policy's.
///
/// ```
/// use guard_runtime::validate::{PathPolicy, SqlPolicy, ValidatorConfig};
///
/// let config = ValidatorConfig::default()
///     .path(PathPolicy::new().root("/srv/workspace").deny([".env", "*.pem"]).unwrap())
///     .sql(SqlPolicy::new().dialect("postgres").unwrap());
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    path: PathPolicy,
    url: UrlPolicy,
    url_resolve: bool,
    sql: SqlPolicy,
    command: CommandPolicy,
    text: Option<TextPolicy>,
}

impl Default for ValidatorConfig {
    /// Lexical path checks, https URLs to public hosts, read-only SQL
    /// (with no dialect: a tool with an SQL argument must name one, here,
    /// in its attribute or in the policy), no shell syntax in commands, and
    /// string hygiene on.
    fn default() -> Self {
        ValidatorConfig {
            path: PathPolicy::new(),
            url: UrlPolicy::new(),
            url_resolve: false,
            sql: SqlPolicy::new(),
            command: CommandPolicy::new(),
            text: Some(TextPolicy::new()),
        }
    }
}

impl ValidatorConfig {
    /// The first SQL argument of `specs` whose database no one named: not
    /// the attribute, not this configuration.
    pub(crate) fn sql_without_dialect(&self, specs: &'static [ArgSpec]) -> Option<&'static str> {
        if self.sql.dialect_kind().is_some() {
            return None;
        }
        specs
            .iter()
            .find(|spec| matches!(spec.validator, ValidatorSpec::Sql { dialect: None, .. }))
            .map(|spec| spec.name)
    }

    /// The base path policy (set its root here).
    pub fn path(mut self, policy: PathPolicy) -> Self {
        self.path = policy;
        self
    }

    /// The base URL policy.
    pub fn url(mut self, policy: UrlPolicy) -> Self {
        self.url = policy;
        self
    }

    /// Resolve URL hosts with DNS and vet every address (default: off).
    pub fn resolve_urls(mut self, resolve: bool) -> Self {
        self.url_resolve = resolve;
        self
    }

    /// The base SQL policy (dialect, tables).
    pub fn sql(mut self, policy: SqlPolicy) -> Self {
        self.sql = policy;
        self
    }

    /// The base command policy (program allow-list).
    pub fn command(mut self, policy: CommandPolicy) -> Self {
        self.command = policy;
        self
    }

    /// String hygiene for every string argument; `None` turns it off.
    pub fn text(mut self, policy: Option<TextPolicy>) -> Self {
        self.text = policy;
        self
    }
}

/// Why a tool with an SQL argument `arg` and no dialect named cannot build.
pub(crate) fn no_dialect(arg: &str) -> String {
    format!(
        "argument `{arg}` is SQL but no dialect is configured: name the database with \
         #[arg(sql(dialect = \"postgres\"))], ValidatorConfig::sql or \
         `sql = {{ dialect = \"...\" }}` in the tool's policy section \
         (`any` reads every common dialect, slowly)"
    )
}

/// Path options of a policy's tool section.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PathRules {
    pub(crate) root: Option<std::path::PathBuf>,
    #[serde(default)]
    pub(crate) deny: Vec<String>,
    pub(crate) ext: Option<Vec<String>>,
}

/// URL options of a policy's tool section.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UrlRules {
    pub(crate) schemes: Option<Vec<String>>,
    pub(crate) hosts: Option<Vec<String>>,
    pub(crate) ports: Option<Vec<u16>>,
}

/// SQL options of a policy's tool section.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SqlRules {
    pub(crate) tables: Option<Vec<String>>,
    pub(crate) dialect: Option<String>,
    pub(crate) functions: Option<Vec<String>>,
    pub(crate) recursive: Option<bool>,
    pub(crate) max_generated: Option<u64>,
    pub(crate) default_schema: Option<String>,
}

/// Command options of a policy's tool section.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandRules {
    pub(crate) programs: Option<Vec<String>>,
    /// `options = { wc = ["-l", "-c"] }`
    #[serde(default)]
    pub(crate) options: std::collections::BTreeMap<String, Vec<String>>,
}

/// One policy section's validator options, applied after the attribute's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Narrowing<'a> {
    pub(crate) path: Option<&'a PathRules>,
    pub(crate) url: Option<&'a UrlRules>,
    pub(crate) sql: Option<&'a SqlRules>,
    pub(crate) command: Option<&'a CommandRules>,
    /// `override = true`: allow-lists replace instead of narrowing.
    pub(crate) replace: bool,
}

/// The allow-list after a policy section: the section's own list if it
/// replaces or nothing was listed before, else the names on both lists. A
/// list that allows nothing would refuse every call without a word, so it
/// is an error.
fn narrow<T: PartialEq + Clone + std::fmt::Debug>(
    key: &str,
    current: Option<&[T]>,
    section: &[T],
    replace: bool,
) -> Result<Vec<T>, String> {
    let list: Vec<T> = match current {
        Some(current) if !replace => current
            .iter()
            .filter(|item| section.contains(item))
            .cloned()
            .collect(),
        _ => section.to_vec(),
    };
    if list.is_empty() {
        return Err(match current {
            Some(current) if !replace && !section.is_empty() => format!(
                "{key}: nothing is left allowed: the tool allows {current:?} and this section {section:?} (write `override = true` to replace)"
            ),
            _ => format!("{key}: an empty list allows nothing, so every call would be refused"),
        });
    }
    Ok(list)
}

impl Narrowing<'_> {
    fn path(&self, mut policy: PathPolicy) -> Result<PathPolicy, String> {
        let Some(rules) = self.path else {
            return Ok(policy);
        };
        if let Some(root) = &rules.root {
            policy = policy.root(root.clone());
        }
        if !rules.deny.is_empty() {
            policy = policy
                .deny(rules.deny.iter().cloned())
                .map_err(|e| format!("path.deny: {e}"))?;
        }
        if let Some(ext) = &rules.ext {
            let lowered: Vec<String> = ext.iter().map(|e| e.to_lowercase()).collect();
            let list = narrow("path.ext", policy.extension_list(), &lowered, self.replace)?;
            policy = policy.extensions(list);
        }
        Ok(policy)
    }

    fn url(&self, mut policy: UrlPolicy) -> Result<UrlPolicy, String> {
        let Some(rules) = self.url else {
            return Ok(policy);
        };
        let (schemes, hosts, ports) = policy.lists();
        let lower = |list: &[String]| list.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
        let schemes = rules
            .schemes
            .as_ref()
            .map(|s| narrow("url.schemes", Some(schemes), &lower(s), self.replace))
            .transpose()?;
        let hosts = rules
            .hosts
            .as_ref()
            .map(|h| narrow("url.hosts", hosts, &lower(h), self.replace))
            .transpose()?;
        let ports = rules
            .ports
            .as_ref()
            .map(|p| narrow("url.ports", ports, p, self.replace))
            .transpose()?;
        if let Some(schemes) = schemes {
            policy = policy.schemes(schemes);
        }
        if let Some(hosts) = hosts {
            policy = policy.allow_hosts(hosts);
        }
        if let Some(ports) = ports {
            policy = policy.ports(ports);
        }
        Ok(policy)
    }

    fn sql(&self, mut policy: SqlPolicy) -> Result<SqlPolicy, String> {
        let Some(rules) = self.sql else {
            return Ok(policy);
        };
        if let Some(dialect) = &rules.dialect {
            policy = policy
                .dialect(dialect)
                .map_err(|e| format!("sql.dialect: {e}"))?;
        }
        if let Some(tables) = &rules.tables {
            let lowered: Vec<String> = tables.iter().map(|t| t.to_lowercase()).collect();
            let list = narrow("sql.tables", policy.table_list(), &lowered, self.replace)?;
            policy = policy.tables(list);
        }
        if let Some(functions) = &rules.functions {
            let lowered: Vec<String> = functions.iter().map(|t| t.to_lowercase()).collect();
            let list = narrow(
                "sql.functions",
                policy.function_list(),
                &lowered,
                self.replace,
            )?;
            policy = policy.functions(list);
        }
        if let Some(recursive) = rules.recursive {
            policy = policy.recursive(recursive);
        }
        if let Some(limit) = rules.max_generated {
            policy = policy.max_generated(limit);
        }
        if let Some(schema) = &rules.default_schema {
            policy = policy.default_schema(schema.clone());
        }
        Ok(policy)
    }

    fn command(&self, mut policy: CommandPolicy) -> Result<CommandPolicy, String> {
        let Some(rules) = self.command else {
            return Ok(policy);
        };
        if let Some(programs) = &rules.programs {
            let list = narrow(
                "command.programs",
                policy.program_list(),
                programs,
                self.replace,
            )?;
            policy = policy.programs(list);
        }
        for (program, options) in &rules.options {
            let current = policy
                .option_lists()
                .iter()
                .find(|(p, _)| p == program)
                .map(|(_, o)| o.clone());
            let key = format!("command.options.{program}");
            let list = narrow(&key, current.as_deref(), options, self.replace)?;
            policy = policy.options(program.clone(), list);
        }
        Ok(policy)
    }
}

/// The validators of one tool, built from its specs and the configuration.
#[derive(Debug)]
pub(crate) struct ToolValidators {
    text: Option<TextPolicy>,
    args: Vec<(&'static ArgSpec, Compiled)>,
}

#[derive(Debug)]
enum Compiled {
    Path(PathPolicy),
    Url(UrlPolicy, bool),
    Sql(SqlPolicy),
    Command(CommandPolicy),
    ShellArg,
}

impl ToolValidators {
    /// The root of the tool's first path argument, if it has one.
    pub(crate) fn path_root(&self) -> Option<&std::path::Path> {
        self.args.iter().find_map(|(_, compiled)| match compiled {
            Compiled::Path(policy) => policy.root_dir_path(),
            _ => None,
        })
    }

    pub(crate) fn build(
        specs: &'static [ArgSpec],
        config: &ValidatorConfig,
        policy_sections: &[Narrowing<'_>],
    ) -> Result<Self, String> {
        let mut args = Vec::with_capacity(specs.len());
        for spec in specs {
            let compiled = match &spec.validator {
                ValidatorSpec::Path { exists, ext, deny } => {
                    let mut policy = config.path.clone();
                    if !deny.is_empty() {
                        policy = policy
                            .deny(deny.iter().copied())
                            .map_err(|e| e.to_string())?;
                    }
                    if !ext.is_empty() {
                        policy = policy.extensions(ext.iter().copied());
                    }
                    if *exists {
                        policy = policy.must_exist();
                    }
                    for section in policy_sections {
                        policy = section.path(policy)?;
                    }
                    Compiled::Path(policy)
                }
                ValidatorSpec::Url {
                    schemes,
                    hosts,
                    ports,
                    resolve,
                } => {
                    let mut policy = config.url.clone();
                    if !schemes.is_empty() {
                        policy = policy.schemes(schemes.iter().copied());
                    }
                    if !hosts.is_empty() {
                        policy = policy.allow_hosts(hosts.iter().copied());
                    }
                    if !ports.is_empty() {
                        policy = policy.ports(ports.iter().copied());
                    }
                    for section in policy_sections {
                        policy = section.url(policy)?;
                    }
                    Compiled::Url(policy, *resolve || config.url_resolve)
                }
                ValidatorSpec::Sql {
                    tables,
                    write,
                    dialect,
                    functions,
                } => {
                    let mut policy = config.sql.clone();
                    if let Some(dialect) = dialect {
                        policy = policy.dialect(dialect)?;
                    }
                    if !tables.is_empty() {
                        policy = policy.tables(tables.iter().copied());
                    }
                    if !functions.is_empty() {
                        policy = policy.functions(functions.iter().copied());
                    }
                    if !write.is_empty() {
                        let kinds = write
                            .iter()
                            .map(|w| {
                                WriteKind::from_name(w)
                                    .ok_or_else(|| format!("unknown write kind `{w}`"))
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        policy = policy.write(kinds);
                    }
                    for section in policy_sections {
                        policy = section.sql(policy)?;
                    }
                    // Fail closed at build time: a query means what its
                    // database makes of it, so the database must be named.
                    if policy.dialect_kind().is_none() {
                        return Err(no_dialect(spec.name));
                    }
                    Compiled::Sql(policy)
                }
                ValidatorSpec::Command { programs, options } => {
                    let mut policy = config.command.clone();
                    if !programs.is_empty() {
                        policy = policy.programs(programs.iter().copied());
                    }
                    for (program, allowed) in *options {
                        policy = policy.options(*program, allowed.iter().copied());
                    }
                    for section in policy_sections {
                        policy = section.command(policy)?;
                    }
                    // With a workspace root for the tool, path operands of
                    // the command are checked beneath it too.
                    if !policy.has_paths() {
                        let mut paths = config.path.clone();
                        for section in policy_sections {
                            paths = section.path(paths)?;
                        }
                        if paths.has_root() {
                            policy = policy.paths(paths);
                        }
                    }
                    Compiled::Command(policy)
                }
                ValidatorSpec::ShellArg => Compiled::ShellArg,
            };
            args.push((spec, compiled));
        }
        // A section for a validator the tool does not have checks nothing:
        // an error, not a silent no-op.
        let has = |f: fn(&Compiled) -> bool| args.iter().any(|(_, c)| f(c));
        for section in policy_sections {
            let missing = if section.url.is_some() && !has(|c| matches!(c, Compiled::Url(..))) {
                Some(("url", "URL"))
            } else if section.sql.is_some() && !has(|c| matches!(c, Compiled::Sql(_))) {
                Some(("sql", "SQL"))
            } else if section.command.is_some() && !has(|c| matches!(c, Compiled::Command(_))) {
                Some(("command", "command"))
            } else if section.path.is_some()
                && !has(|c| matches!(c, Compiled::Path(_) | Compiled::Command(_)))
            {
                Some(("path", "path"))
            } else {
                None
            };
            if let Some((key, what)) = missing {
                return Err(format!(
                    "{key}: the tool has no {what} argument, so this section would check nothing"
                ));
            }
        }
        Ok(ToolValidators {
            text: config.text,
            args,
        })
    }

    /// Whether nothing here needs the parsed arguments, given their raw text:
    /// no argument validators, and hygiene provably satisfied because the
    /// text has no escapes and no non-ASCII byte (so no string holds a
    /// control, bidi or tag character) and has no more bytes than the
    /// character cap (so no string is longer).
    pub(crate) fn raw_text_is_enough(&self, raw: &str) -> bool {
        self.args.is_empty()
            && self.text.is_none_or(|text| {
                raw.len() <= text.max_chars_allowed()
                    && !raw.bytes().any(|b| b == b'\\' || b >= 0x80)
            })
    }

    /// Runs every validator; returns the artifacts of explicit arguments.
    /// An argument validated for its name alone keeps its own type, so its
    /// string is replaced in `args` by the checked form (the resolved path,
    /// the parsed URL, the re-quoted command): the raw text never reaches
    /// the tool.
    pub(crate) async fn run(&self, args: &mut Value) -> Result<CheckedArgs, (String, Violation)> {
        if let Some(text) = &self.text {
            walk_strings(args, &mut String::new(), &mut |pointer, s| {
                text.check(s).map_err(|v| (pointer.to_owned(), v))
            })?;
        }
        let mut checked = CheckedArgs::default();
        for (spec, compiled) in &self.args {
            let mut artifacts = Artifacts::default();
            let pointer = format!("/{}", escape_pointer(spec.name));
            match args.get_mut(spec.name) {
                Some(Value::String(s)) => {
                    let artifact = compiled.check(s).await.map_err(|v| (pointer.clone(), v))?;
                    if !spec.explicit {
                        canonical(&artifact, s).map_err(|v| (pointer, v))?;
                    }
                    artifacts.push(artifact);
                }
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        if let Value::String(s) = item {
                            let at = || format!("{pointer}/{i}");
                            let artifact = compiled.check(s).await.map_err(|v| (at(), v))?;
                            if !spec.explicit {
                                canonical(&artifact, s).map_err(|v| (at(), v))?;
                            }
                            artifacts.push(artifact);
                        }
                    }
                }
                _ => {}
            }
            if spec.explicit {
                checked.insert(spec.name, artifacts);
            }
        }
        Ok(checked)
    }
}

/// Puts the checked form of a value in place of the text the model sent.
fn canonical(artifact: &Artifact, text: &mut String) -> Result<(), Violation> {
    match artifact {
        Artifact::Path(path) => {
            let form = path.resolved().unwrap_or(path.relative());
            *text = form.to_str().map(str::to_owned).ok_or_else(|| {
                Violation::new(
                    "path.not_utf8",
                    "the path resolves to a name that is not UTF-8",
                )
            })?;
        }
        Artifact::Url(url) => *text = url.url().as_str().to_owned(),
        Artifact::Argv(argv) => *text = argv.to_shell_line(),
        Artifact::Sql(_) | Artifact::Checked => {}
    }
    Ok(())
}

impl Compiled {
    async fn check(&self, value: &str) -> Result<Artifact, Violation> {
        Ok(match self {
            Compiled::Path(p) => Artifact::Path(p.check(value)?),
            Compiled::Url(p, false) => Artifact::Url(p.check(value)?),
            Compiled::Url(p, true) => Artifact::Url(p.check_resolved(value).await?),
            Compiled::Sql(p) => Artifact::Sql(Box::new(p.check(value)?)),
            Compiled::Command(p) => Artifact::Argv(p.check(value)?),
            Compiled::ShellArg => {
                check_shell_arg(value)?;
                Artifact::Checked
            }
        })
    }
}

fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Calls `f` on every string in the value with its JSON pointer.
fn walk_strings<E>(
    value: &Value,
    pointer: &mut String,
    f: &mut impl FnMut(&str, &str) -> Result<(), E>,
) -> Result<(), E> {
    match value {
        Value::String(s) => f(pointer, s),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&i.to_string());
            let result = walk_strings(item, pointer, f);
            pointer.truncate(len);
            result
        }),
        Value::Object(map) => map.iter().try_for_each(|(key, item)| {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&safe_text(&escape_pointer(key), 64));
            let result = walk_strings(item, pointer, f);
            pointer.truncate(len);
            result
        }),
        _ => Ok(()),
    }
}
