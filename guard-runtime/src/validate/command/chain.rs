//! The chain of programs a command runs: `env X=1 nice find . -exec chmod
//! 644 {} ;` runs env, then nice, then find, then chmod. The walker visits
//! each program in turn, asks its model (in [`super::programs`]) which of its
//! words are options, operands, paths or another command, and refuses what
//! the policy does not allow at any depth.

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::validate::{PathPolicy, Violation};

use super::{CommandPolicy, programs};

/// Deeper chains than this are refused rather than walked.
const MAX_DEPTH: usize = 16;

/// Programs that read their arguments (or stdin) as shell code, under
/// every name they are installed as. `busybox sh`, `env bash` and the like
/// reach them through the wrappers' models.
const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "rbash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "pdksh",
    "oksh",
    "lksh",
    "ash",
    "hush",
    "yash",
    "posh",
    "sash",
    "fish",
    "csh",
    "tcsh",
    "rc",
    "es",
    "elvish",
    "nu",
    "xonsh",
    "ion",
    "cmd",
    "powershell",
    "pwsh",
    "wsl",
    "eval",
    "exec",
    "source",
    ".",
    "su",
    "script",
    "screen",
    "tmux",
    "parallel",
    "dtach",
    "byobu",
    "busybox-sh",
];

/// The name a program is known by: the last path component, lower-cased,
/// without a Windows executable suffix (`/usr/bin/Bash.EXE` is `bash`).
/// Borrowed unless it had upper-case letters.
pub(super) fn base_name(word: &str) -> Cow<'_, str> {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let base: Cow<'_, str> = if base.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(base.to_ascii_lowercase())
    } else {
        Cow::Borrowed(base)
    };
    for suffix in [".exe", ".cmd", ".bat", ".com", ".ps1"] {
        if let Some(stripped) = base.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            let len = stripped.len();
            return match base {
                Cow::Borrowed(b) => Cow::Borrowed(&b[..len]),
                Cow::Owned(mut o) => {
                    o.truncate(len);
                    Cow::Owned(o)
                }
            };
        }
    }
    base
}

/// The model name of a program: its base name, or the base name without a
/// version suffix when only that one is known (`python3.11`, `perl5.36`).
pub(super) fn model_name(word: &str) -> Cow<'_, str> {
    let base = base_name(word);
    if programs::is_modelled(&base) || SHELLS.contains(&&*base) {
        return base;
    }
    let trimmed = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    if !trimmed.is_empty()
        && trimmed.len() != base.len()
        && (programs::is_modelled(trimmed) || SHELLS.contains(&trimmed))
    {
        return Cow::Owned(trimmed.to_owned());
    }
    base
}

pub(super) fn is_shell(name: &str) -> bool {
    SHELLS.contains(&name)
}

/// Walks one command line's chain.
pub(super) struct Walker<'p> {
    policy: &'p CommandPolicy,
    depth: usize,
}

/// Write options are checked lexically when the tool has no root.
static LEXICAL: LazyLock<PathPolicy> = LazyLock::new(PathPolicy::new);

impl<'p> Walker<'p> {
    pub(super) fn new(policy: &'p CommandPolicy) -> Self {
        Walker { policy, depth: 0 }
    }

    /// Checks one program and its words, then whatever it runs in turn.
    pub(super) fn command(&mut self, words: &[String]) -> Result<(), Violation> {
        let Some(program) = words.first() else {
            return Ok(());
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Violation::new(
                "command.too_deep",
                "the command nests too many programs",
            ));
        }
        let name = model_name(program);
        if is_shell(&name) {
            return Err(shell_in_chain());
        }
        let listed = self.allowed(program, &words[1..])?;
        programs::check(self, &name, listed, &words[1..])?;
        self.depth -= 1;
        Ok(())
    }

    /// With an allow-list, the program must be on it by its exact word, and
    /// when the list names options for it, every option must be one of them.
    /// Returns whether the program was listed by name.
    fn allowed(&self, program: &str, args: &[String]) -> Result<bool, Violation> {
        let Some(list) = &self.policy.programs else {
            return Ok(false);
        };
        if !list.iter().any(|p| p == program) {
            return Err(Violation::new(
                "command.not_allowed",
                format!(
                    "only these programs may run, anywhere in the command: {}",
                    list.join(", ")
                ),
            ));
        }
        let named = self.policy.options.iter().find(|(p, _)| p == program);
        let unmodelled = !programs::is_modelled(&model_name(program));
        // A listed program without a model runs only with the options the
        // list names for it (none, if it names none).
        if named.is_some() || unmodelled {
            let options: &[String] = named.map_or(&[], |(_, o)| o.as_slice());
            for arg in args {
                if arg == "--" {
                    break;
                }
                if !option_listed(arg, options) {
                    return Err(Violation::new(
                        "command.option_not_allowed",
                        format!("`{}` runs only with its listed options", base_name(program)),
                    ));
                }
            }
        }
        Ok(true)
    }

    /// A path the program will write: always checked (lexically, and beneath
    /// the root when one is configured).
    pub(super) fn write(&self, value: &str) -> Result<(), Violation> {
        if is_standard_stream(value) {
            return Ok(());
        }
        let policy = self.policy.paths.as_ref().unwrap_or(&LEXICAL);
        policy.check_operand(value).map(|_| ()).map_err(|v| {
            Violation::new(
                "command.write_option",
                format!(
                    "this option writes a file outside the workspace ({})",
                    v.code
                ),
            )
        })
    }

    /// A path the program will read or work in: checked beneath the root
    /// when one is configured.
    pub(super) fn read(&self, value: &str) -> Result<(), Violation> {
        let Some(policy) = &self.policy.paths else {
            return Ok(());
        };
        if is_standard_stream(value) || value.is_empty() {
            return Ok(());
        }
        policy
            .check_operand(value)
            .map(|_| ())
            .map_err(outside_root)
    }

    /// An operand that may be a path: with a root, one that leaves it
    /// (absolute, `~`, climbing, through a link, denied) is refused.
    pub(super) fn operand(&self, value: &str) -> Result<(), Violation> {
        if self.policy.paths.is_none() || value.starts_with('-') {
            return Ok(());
        }
        self.read(value)
    }

    pub(super) fn has_root(&self) -> bool {
        self.policy.paths.is_some()
    }
}

/// `-`, `/dev/null` and the standard streams name no file of anyone's.
fn is_standard_stream(value: &str) -> bool {
    matches!(
        value,
        "-" | "/dev/null" | "/dev/stdin" | "/dev/stdout" | "/dev/stderr" | "/dev/tty"
    )
}

fn outside_root(v: Violation) -> Violation {
    let code = if v.code == "path.denied" {
        "command.path_denied"
    } else {
        "command.outside_root"
    };
    Violation::new(
        code,
        format!(
            "the command reaches a path outside what the workspace allows ({})",
            v.code
        ),
    )
}

/// `-l`, `--lines=5` (as `--lines`) and bundles such as `-lc` (each letter
/// listed) match the listed options; operands always do.
fn option_listed(arg: &str, options: &[String]) -> bool {
    if !arg.starts_with('-') || arg == "-" {
        return true;
    }
    let name = arg.split_once('=').map_or(arg, |(name, _)| name);
    if options.iter().any(|o| o == name) {
        return true;
    }
    if !arg.starts_with("--") && arg.len() > 2 {
        return arg[1..].chars().all(|c| {
            options
                .iter()
                .any(|o| o.len() == 2 && o[1..].starts_with(c))
        });
    }
    false
}

pub(super) fn shell_in_chain() -> Violation {
    Violation::new(
        "command.shell_in_chain",
        "the command would run a shell; name the program itself",
    )
}

pub(super) fn inline_code() -> Violation {
    Violation::new(
        "command.inline_code",
        "the command runs code given inline to an interpreter",
    )
}

pub(super) fn exec_option(what: &str) -> Violation {
    Violation::new(
        "command.exec_option",
        format!("{what} makes the program run another command"),
    )
}

pub(super) fn privilege() -> Violation {
    Violation::new(
        "command.privilege",
        "the command would run with other privileges or outside its sandbox",
    )
}

/// One word of a program's arguments as its option parser reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opt<'a> {
    /// `-x`, with the value it takes (attached or the next word).
    Short(char, Option<&'a str>),
    /// `--name` or `--name=value` (or `--name value` when it takes one).
    Long(&'a str, Option<&'a str>),
    /// Anything else, and everything after `--`.
    Operand(&'a str),
}

/// How one program parses options: which short letters and long names take
/// a value. Short letters bundle (`-avz`); a value letter takes the rest of
/// its bundle or the next word.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec {
    pub(super) short_values: &'static str,
    pub(super) long_values: &'static [&'static str],
}

impl Spec {
    pub(super) const fn new(
        short_values: &'static str,
        long_values: &'static [&'static str],
    ) -> Self {
        Spec {
            short_values,
            long_values,
        }
    }
}

/// Reads a program's words as getopt would, one [`Opt`] at a time; after
/// each, [`rest`](Self::rest) is what follows it.
pub(super) struct Opts<'a> {
    args: &'a [String],
    next: usize,
    spec: Spec,
    ended: bool,
    /// Letters of a short bundle still to hand out.
    bundle: Option<(&'a str, usize)>,
}

impl<'a> Opts<'a> {
    pub(super) fn new(args: &'a [String], spec: Spec) -> Self {
        Opts {
            args,
            next: 0,
            spec,
            ended: false,
            bundle: None,
        }
    }

    /// The words after the last one handed out.
    pub(super) fn rest(&self) -> &'a [String] {
        &self.args[self.next.min(self.args.len())..]
    }

    /// The words from the last operand handed out on (for wrappers: the
    /// command they run).
    pub(super) fn operand_onward(&self) -> &'a [String] {
        &self.args[self.next.saturating_sub(1).min(self.args.len())..]
    }

    fn short(&mut self, word: &'a str, at: usize) -> Opt<'a> {
        let c = word[at..].chars().next().unwrap_or('-');
        let after = at + c.len_utf8();
        if self.spec.short_values.contains(c) {
            self.bundle = None;
            if after < word.len() {
                return Opt::Short(c, Some(&word[after..]));
            }
            let value = self.args.get(self.next).map(String::as_str);
            if value.is_some() {
                self.next += 1;
            }
            return Opt::Short(c, value);
        }
        self.bundle = (after < word.len()).then_some((word, after));
        Opt::Short(c, None)
    }
}

impl<'a> Iterator for Opts<'a> {
    type Item = Opt<'a>;

    fn next(&mut self) -> Option<Opt<'a>> {
        if let Some((word, at)) = self.bundle.take() {
            return Some(self.short(word, at));
        }
        let word = self.args.get(self.next)?.as_str();
        self.next += 1;
        if self.ended || word == "-" || !word.starts_with('-') {
            return Some(Opt::Operand(word));
        }
        if word == "--" {
            self.ended = true;
            return self.next();
        }
        if word.starts_with("--") {
            if let Some((name, value)) = word.split_once('=') {
                return Some(Opt::Long(name, Some(value)));
            }
            if self.spec.long_values.contains(&word) {
                let value = self.args.get(self.next).map(String::as_str);
                if value.is_some() {
                    self.next += 1;
                }
                return Some(Opt::Long(word, value));
            }
            return Some(Opt::Long(word, None));
        }
        Some(self.short(word, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        shell_words::split(line).unwrap()
    }

    #[test]
    fn options_are_read_as_getopt_reads_them() {
        let args = words("-avz -e ssh --rsh=x --log-file out -- -not-an-option src");
        let spec = Spec::new("e", &["--log-file"]);
        let got: Vec<Opt<'_>> = Opts::new(&args, spec).collect();
        assert_eq!(
            got,
            [
                Opt::Short('a', None),
                Opt::Short('v', None),
                Opt::Short('z', None),
                Opt::Short('e', Some("ssh")),
                Opt::Long("--rsh", Some("x")),
                Opt::Long("--log-file", Some("out")),
                Opt::Operand("-not-an-option"),
                Opt::Operand("src"),
            ]
        );
        let glued = words("-essh -oProxyCommand=x");
        let got: Vec<Opt<'_>> = Opts::new(&glued, Spec::new("eo", &[])).collect();
        assert_eq!(
            got,
            [
                Opt::Short('e', Some("ssh")),
                Opt::Short('o', Some("ProxyCommand=x"))
            ]
        );
    }

    #[test]
    fn names_are_normalised() {
        for (word, name) in [
            ("/usr/bin/Bash.EXE", "bash"),
            ("C:\\Windows\\System32\\cmd.exe", "cmd"),
            ("python3.11", "python"),
            ("perl5.36", "perl"),
            ("base64", "base64"),
            ("gawk", "gawk"),
        ] {
            assert_eq!(model_name(word), name, "{word}");
        }
    }

    #[test]
    fn listed_options() {
        let options = ["-l".to_owned(), "-c".to_owned(), "--lines".to_owned()];
        for (arg, ok) in [
            ("-l", true),
            ("-lc", true),
            ("--lines=3", true),
            ("file.txt", true),
            ("-w", false),
            ("-lw", false),
            ("--files0-from=x", false),
        ] {
            assert_eq!(option_listed(arg, &options), ok, "{arg}");
        }
    }
}
