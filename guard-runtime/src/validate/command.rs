//! Commands: split into argv with `shell-words` and run without a shell, so
//! anything only a shell would interpret is refused rather than passed on
//! as a literal argument the model did not mean.

use super::Violation;

/// Programs that would hand their argument back to a shell or interpreter.
const INTERPRETERS: [&str; 14] = [
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "fish",
    "csh",
    "tcsh",
    "cmd",
    "cmd.exe",
    "powershell",
    "pwsh",
    "eval",
    "exec",
];

/// Rules for a command-line argument.
///
/// ```
/// use guard_runtime::validate::CommandPolicy;
///
/// let policy = CommandPolicy::new().programs(["git", "ls", "grep"]);
/// assert_eq!(policy.check("grep -E 'a|b' notes.md").unwrap().args(), ["grep", "-E", "a|b", "notes.md"]);
/// assert_eq!(policy.check("ls; rm -rf ~").unwrap_err().code, "command.separator");
/// assert_eq!(policy.check("git log $(whoami)").unwrap_err().code, "command.substitution");
/// assert_eq!(policy.check("curl https://x.example").unwrap_err().code, "command.program_not_allowed");
/// ```
#[derive(Debug, Clone, Default)]
pub struct CommandPolicy {
    programs: Option<Vec<String>>,
}

/// A command that passed [`CommandPolicy::check`], as argv for
/// `std::process::Command` (never a shell string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argv(Vec<String>);

impl Argv {
    /// The program (first word).
    pub fn program(&self) -> &str {
        &self.0[0]
    }

    /// Every word, program first.
    pub fn args(&self) -> &[String] {
        &self.0
    }

    /// A `std::process::Command` for this argv, with nothing run yet.
    pub fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(&self.0[0]);
        command.args(&self.0[1..]);
        command
    }
}

impl CommandPolicy {
    pub(crate) fn program_list(&self) -> Option<&[String]> {
        self.programs.as_deref()
    }

    /// Any program; shell syntax refused.
    pub fn new() -> Self {
        CommandPolicy::default()
    }

    /// Only these programs, by exact first word (`ls`, not `/bin/ls`).
    pub fn programs<I, S>(mut self, programs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.programs = Some(programs.into_iter().map(Into::into).collect());
        self
    }

    /// Checks a command line.
    ///
    /// # Errors
    /// A [`Violation`] with code `command.empty`, `command.control_char`,
    /// `command.separator`, `command.pipe`, `command.redirect`,
    /// `command.subshell`, `command.substitution`, `command.expansion`,
    /// `command.unbalanced_quotes`, `command.interpreter` or
    /// `command.program_not_allowed`.
    pub fn check(&self, value: &str) -> Result<Argv, Violation> {
        scan_shell_syntax(value)?;
        let words = shell_words::split(value).map_err(|_| {
            Violation::new(
                "command.unbalanced_quotes",
                "the command has an unclosed quote",
            )
        })?;
        if words.is_empty() {
            return Err(Violation::new("command.empty", "the command is empty"));
        }
        let program = words[0].as_str();
        let base = program
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(program)
            .to_lowercase();
        if INTERPRETERS.contains(&base.as_str()) {
            return Err(Violation::new(
                "command.interpreter",
                "shells and interpreters cannot be run; name the program itself",
            ));
        }
        if let Some(allowed) = &self.programs
            && !allowed.iter().any(|p| p == program)
        {
            return Err(Violation::new(
                "command.program_not_allowed",
                format!("only these programs are allowed: {}", allowed.join(", ")),
            ));
        }
        Ok(Argv(words))
    }
}

/// Walks the text as a POSIX shell would quote it and refuses every
/// construct the shell itself would interpret. Single quotes make
/// everything literal; double quotes still expand `$` and backticks.
fn scan_shell_syntax(value: &str) -> Result<(), Violation> {
    #[derive(PartialEq)]
    enum Quote {
        None,
        Single,
        Double,
    }
    let mut quote = Quote::None;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' || c == '\r' {
            if quote == Quote::None {
                return Err(Violation::new(
                    "command.separator",
                    "newlines separate commands",
                ));
            }
            continue;
        }
        if c.is_control() && c != '\t' {
            return Err(Violation::new(
                "command.control_char",
                "the command contains a control character",
            ));
        }
        match quote {
            Quote::Single => {
                if c == '\'' {
                    quote = Quote::None;
                }
            }
            Quote::Double => match c {
                '"' => quote = Quote::None,
                '\\' => {
                    chars.next();
                }
                '`' => return Err(substitution()),
                '$' => dollar(chars.peek().copied())?,
                _ => {}
            },
            Quote::None => match c {
                '\'' => quote = Quote::Single,
                '"' => quote = Quote::Double,
                '\\' => {
                    chars.next();
                }
                ';' | '&' => {
                    return Err(Violation::new(
                        "command.separator",
                        "`;` and `&` separate commands",
                    ));
                }
                '|' => return Err(Violation::new("command.pipe", "pipes need a shell")),
                '<' | '>' => {
                    return Err(Violation::new(
                        "command.redirect",
                        "redirections need a shell",
                    ));
                }
                '(' | ')' => {
                    return Err(Violation::new("command.subshell", "subshells need a shell"));
                }
                '`' => return Err(substitution()),
                '$' => dollar(chars.peek().copied())?,
                _ => {}
            },
        }
    }
    if quote != Quote::None {
        return Err(Violation::new(
            "command.unbalanced_quotes",
            "the command has an unclosed quote",
        ));
    }
    Ok(())
}

fn substitution() -> Violation {
    Violation::new("command.substitution", "command substitution needs a shell")
}

fn dollar(next: Option<char>) -> Result<(), Violation> {
    match next {
        Some('(') => Err(substitution()),
        Some('{') => Err(Violation::new(
            "command.expansion",
            "parameter expansion needs a shell",
        )),
        Some(c)
            if c.is_ascii_alphanumeric()
                || matches!(c, '_' | '@' | '*' | '#' | '?' | '$' | '!' | '-') =>
        {
            Err(Violation::new(
                "command.expansion",
                "variables are expanded only by a shell",
            ))
        }
        _ => Ok(()),
    }
}

/// Rules for one argument handed to a program as a single argv element.
///
/// ```
/// use guard_runtime::validate::check_shell_arg;
///
/// assert!(check_shell_arg("report final.txt").is_ok());
/// assert_eq!(check_shell_arg("--output=/etc/passwd").unwrap_err().code, "shell_arg.option");
/// assert_eq!(check_shell_arg("a;b").unwrap_err().code, "shell_arg.metachar");
/// ```
///
/// # Errors
/// `shell_arg.empty`, `shell_arg.option` (a leading `-` would be read as an
/// option: option injection), `shell_arg.metachar` or `shell_arg.control_char`.
pub fn check_shell_arg(value: &str) -> Result<(), Violation> {
    if value.is_empty() {
        return Err(Violation::new("shell_arg.empty", "the argument is empty"));
    }
    if value.starts_with('-') {
        return Err(Violation::new(
            "shell_arg.option",
            "arguments may not start with `-`",
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Violation::new(
            "shell_arg.control_char",
            "the argument contains a control character",
        ));
    }
    if value.chars().any(|c| {
        matches!(
            c,
            ';' | '|'
                | '&'
                | '<'
                | '>'
                | '('
                | ')'
                | '$'
                | '`'
                | '\\'
                | '"'
                | '\''
                | '*'
                | '?'
                | '['
                | ']'
                | '{'
                | '}'
                | '~'
                | '!'
                | '#'
        )
    }) {
        return Err(Violation::new(
            "shell_arg.metachar",
            "the argument contains shell metacharacters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: &str) -> &'static str {
        match CommandPolicy::new().check(value) {
            Ok(_) => "ok",
            Err(v) => v.code,
        }
    }

    #[test]
    fn shell_constructs_are_refused_and_quoted_ones_are_not() {
        let cases = [
            ("ls -la src", "ok"),
            ("grep -E 'a|b' file.txt", "ok"),
            ("echo \"a;b\"", "ok"),
            ("find . -name '*.rs' -exec wc -l {} \\;", "ok"),
            ("echo 'it''s'", "ok"),
            ("echo '$(not expanded)'", "ok"),
            ("rm -rf build", "ok"),
            ("echo costs 5$", "ok"),
            ("", "command.empty"),
            ("ls; id", "command.separator"),
            ("ls && id", "command.separator"),
            ("ls & id", "command.separator"),
            ("ls\nid", "command.separator"),
            ("cat f | sh", "command.pipe"),
            ("echo x > /etc/passwd", "command.redirect"),
            ("cat < /etc/shadow", "command.redirect"),
            ("(id)", "command.subshell"),
            ("echo $(id)", "command.substitution"),
            ("echo `id`", "command.substitution"),
            ("echo \"$(id)\"", "command.substitution"),
            ("echo ${IFS}", "command.expansion"),
            ("cat${IFS}/etc/passwd", "command.expansion"),
            ("echo $HOME", "command.expansion"),
            ("echo \"$HOME\"", "command.expansion"),
            ("echo 'open", "command.unbalanced_quotes"),
            ("sh -c 'id'", "command.interpreter"),
            ("/bin/bash -c ls", "command.interpreter"),
        ];
        for (value, expected) in cases {
            assert_eq!(code(value), expected, "{value:?}");
        }
    }

    #[test]
    fn argv_is_split_for_process_command() {
        let argv = CommandPolicy::new()
            .programs(["git"])
            .check("git commit -m 'fix: a b'")
            .unwrap();
        assert_eq!(argv.args(), ["git", "commit", "-m", "fix: a b"]);
        assert_eq!(argv.program(), "git");
        assert_eq!(argv.command().get_program(), "git");
        assert_eq!(
            CommandPolicy::new()
                .programs(["git"])
                .check("/usr/bin/git status")
                .unwrap_err()
                .code,
            "command.program_not_allowed"
        );
    }
}
