//! Commands: split into argv with `shell-words` and run without a shell.
//!
//! Two passes. [`syntax`] refuses everything only a shell would interpret
//! (so no word means something the model did not write). Then [`chain`]
//! walks the programs the argv would run, one after the other — `env`,
//! `nice`, `xargs`, `find -exec`, `docker run IMAGE CMD` and the other
//! wrappers hand their words on — and each program's model in [`programs`]
//! says which of its options run a command string, write a file or name a
//! path. What a shell, an interpreter's inline code or a command-string
//! option would run is refused at any depth.

mod awk;
mod chain;
mod programs;
mod sed;
mod shell_arg;
mod syntax;

use std::path::{Path, PathBuf};

use super::{PathPolicy, Violation};

pub use shell_arg::check_shell_arg;

/// More words than any command line an agent needs.
const MAX_WORDS: usize = 1024;

/// Rules for a command-line argument.
///
/// Without an allow-list: no shell syntax, and no shell, inline interpreter
/// code (`python -c`, `perl -e`, `node -e`) or command-string option
/// (`git -c core.pager=...`, `find -exec sh -c`, `tar --to-command`,
/// `rsync -e`, `ssh host CMD`, awk `system()`, sed `e`) anywhere in the
/// chain of programs the command runs. With
/// [`programs`](Self::programs), every program in the chain must be listed.
/// With [`paths`](Self::paths), path operands and path-valued options must
/// stay beneath the root.
///
/// ```
/// use guard_runtime::validate::CommandPolicy;
///
/// let policy = CommandPolicy::new().programs(["git", "ls", "grep", "find"]);
/// assert_eq!(policy.check("grep -E 'a|b' notes.md").unwrap().args(), ["grep", "-E", "a|b", "notes.md"]);
/// assert!(policy.check("find . -name '*.rs'").is_ok());
/// assert_eq!(policy.check("ls; rm -rf ~").unwrap_err().code, "command.separator");
/// assert_eq!(policy.check("find . -exec touch X {} +").unwrap_err().code, "command.not_allowed");
/// assert_eq!(policy.check("git -c core.pager='touch X' log").unwrap_err().code, "command.exec_option");
/// assert_eq!(CommandPolicy::new().check("env sh -c id").unwrap_err().code, "command.shell_in_chain");
/// ```
#[derive(Debug, Clone, Default)]
pub struct CommandPolicy {
    programs: Option<Vec<String>>,
    options: Vec<(String, Vec<String>)>,
    paths: Option<PathPolicy>,
}

/// A command that passed [`CommandPolicy::check`], as argv for
/// `std::process::Command` (never a shell string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Argv {
    pub(crate) words: Vec<String>,
    pub(crate) dir: Option<PathBuf>,
}

impl Argv {
    /// The program (first word).
    pub fn program(&self) -> &str {
        &self.words[0]
    }

    /// Every word, program first.
    pub fn args(&self) -> &[String] {
        &self.words
    }

    /// The directory the command must run in: the root its paths were
    /// checked beneath, when the policy has one.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// A `std::process::Command` for this argv, with nothing run yet, in
    /// [`dir`](Self::dir) when there is one (relative paths were checked
    /// against it).
    pub fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(&self.words[0]);
        command.args(&self.words[1..]);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
    }

    /// The words quoted so that a POSIX shell reads exactly them (no
    /// globbing, no expansion): what a `String` parameter receives.
    pub fn to_shell_line(&self) -> String {
        shell_words::join(&self.words)
    }
}

impl CommandPolicy {
    pub(crate) fn program_list(&self) -> Option<&[String]> {
        self.programs.as_deref()
    }

    pub(crate) fn has_paths(&self) -> bool {
        self.paths.is_some()
    }

    /// Any program; shell syntax, shells, inline code and command-string
    /// options refused.
    pub fn new() -> Self {
        CommandPolicy::default()
    }

    /// Only these programs, by exact word (`ls`, not `/bin/ls`), at every
    /// depth of the chain: `find -exec touch` needs `touch` listed too.
    /// A listed program that guard has no model of runs only with the
    /// options [`options`](Self::options) names for it.
    pub fn programs<I, S>(mut self, programs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.programs = Some(programs.into_iter().map(Into::into).collect());
        self
    }

    /// The only options `program` may be given (`-l`, `--lines`; bundles
    /// such as `-lc` of listed letters count). Applies to modelled
    /// programs too, on top of their model.
    ///
    /// ```
    /// use guard_runtime::validate::CommandPolicy;
    ///
    /// let policy = CommandPolicy::new().programs(["wc"]).options("wc", ["-l", "-c"]);
    /// assert!(policy.check("wc -l notes.md").is_ok());
    /// assert_eq!(policy.check("wc --files0-from=list").unwrap_err().code, "command.option_not_allowed");
    /// ```
    pub fn options<I, S>(mut self, program: impl Into<String>, options: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let program = program.into();
        let options: Vec<String> = options.into_iter().map(Into::into).collect();
        self.options.retain(|(p, _)| *p != program);
        self.options.push((program, options));
        self
    }

    pub(crate) fn option_lists(&self) -> &[(String, Vec<String>)] {
        &self.options
    }

    /// Path operands and path-valued options (`ls /root`, `grep -r x /etc`,
    /// `git --git-dir=/elsewhere`, `tar -f`, `find -fprint`) are checked
    /// with this policy: beneath its root, through symlinks, against its deny
    /// list. [`Argv::command`] then runs in the root.
    pub fn paths(mut self, policy: PathPolicy) -> Self {
        self.paths = Some(policy);
        self
    }

    /// Checks a command line.
    ///
    /// # Errors
    /// A [`Violation`]. Shell syntax: `command.empty`,
    /// `command.control_char`, `command.separator`, `command.pipe`,
    /// `command.redirect`, `command.subshell`, `command.substitution`,
    /// `command.expansion`, `command.unbalanced_quotes`. The chain:
    /// `command.shell_in_chain` (a shell under any name or wrapper),
    /// `command.inline_code` (`python -c`, `perl -e`, ...),
    /// `command.exec_option` (an option or setting that makes a program run
    /// a command string), `command.exec_env` (`env LD_PRELOAD=...`),
    /// `command.write_option` (an option that writes a file outside the
    /// workspace), `command.outside_root` and `command.path_denied` (with
    /// [`paths`](Self::paths)), `command.privilege` (sudo and the like,
    /// unless listed; privileged containers), `command.not_allowed`,
    /// `command.option_not_allowed`, `command.too_deep`, `command.too_long`
    /// (more than 1,024 words).
    pub fn check(&self, value: &str) -> Result<Argv, Violation> {
        syntax::scan(value)?;
        let words = shell_words::split(value).map_err(|_| {
            Violation::new(
                "command.unbalanced_quotes",
                "the command has an unclosed quote",
            )
        })?;
        if words.is_empty() {
            return Err(Violation::new("command.empty", "the command is empty"));
        }
        // Bounds the work of the chain walk (and of path checks per word).
        if words.len() > MAX_WORDS {
            return Err(Violation::new(
                "command.too_long",
                format!("the command has more than {MAX_WORDS} words"),
            ));
        }
        chain::Walker::new(self).command(&words)?;
        let dir = match &self.paths {
            Some(paths) => paths.root_dir()?,
            None => None,
        };
        Ok(Argv { words, dir })
    }
}

/// `"ok"` or the refusal's code, under the default policy.
#[cfg(test)]
fn verdict(value: &str) -> &'static str {
    match CommandPolicy::new().check(value) {
        Ok(_) => "ok",
        Err(v) => v.code,
    }
}

#[cfg(test)]
mod tests {
    use super::verdict as code;
    use super::*;

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
        ];
        for (value, expected) in cases {
            assert_eq!(code(value), expected, "{value:?}");
        }
    }

    /// Shells under every name and behind every wrapper.
    #[test]
    fn a_shell_anywhere_in_the_chain_is_refused() {
        for value in [
            "sh -c 'id'",
            "/bin/bash -c ls",
            "bash script.sh",
            "/usr/bin/sh",
            "bash.exe -c id",
            "C:/Windows/System32/cmd.exe /c dir",
            "powershell -c Get-Process",
            "rbash",
            "ash -c id",
            "mksh -c id",
            "busybox sh -c id",
            "env sh -c 'touch X'",
            "env -i LANG=C sh",
            "nohup bash -c id",
            "timeout 5 sh -c id",
            "timeout -s KILL 5 dash",
            "nice -n 10 zsh -c id",
            "stdbuf -oL sh -c id",
            "setsid sh -c id",
            "xargs sh -c id",
            "xargs -I{} -n1 bash -c '{}'",
            "find . -exec sh -c 'touch X' ';'",
            "find . -name x -execdir bash -c id {} +",
            "find . -ok /bin/sh -c id \\;",
            "chroot /",
            "flock /tmp/l -c id",
            "watch id",
            "time -p sh -c id",
            "strace -f sh -c id",
            "uv run sh -c id",
            "poetry run bash -c id",
            "npx sh -c id",
            "docker run --rm alpine sh -c id",
            "docker exec -it web bash",
            "kubectl exec -it pod -- sh",
            "ionice -c 3 sh -c id",
            "unknown-wrapper sh -c id",
            "eval id",
            "su -c id",
            "tmux new-session id",
            "script -c id",
            "make 'CC=sh -c id'",
            "docker compose run --entrypoint sh web",
        ] {
            assert_eq!(code(value), "command.shell_in_chain", "{value:?}");
        }
    }

    #[test]
    fn inline_interpreter_code_is_refused_and_scripts_are_not() {
        for (value, expected) in [
            ("python3 -c 'import os'", "command.inline_code"),
            ("python -Ic 'x'", "command.inline_code"),
            ("python3.11 -uc x", "command.inline_code"),
            ("perl -e 'system(1)'", "command.inline_code"),
            ("perl -lne 'print' f", "command.inline_code"),
            ("perl '-MPOSIX;system(1)' f", "command.inline_code"),
            ("ruby -e 'x'", "command.inline_code"),
            ("node -e 'x'", "command.inline_code"),
            ("node --eval=x", "command.inline_code"),
            ("node -p 1", "command.inline_code"),
            ("php -r 'x'", "command.inline_code"),
            ("lua -e x", "command.inline_code"),
            ("Rscript -e x", "command.inline_code"),
            ("deno eval x", "command.inline_code"),
            ("gdb -batch -ex '!id'", "command.inline_code"),
            ("emacs --batch --eval x", "command.inline_code"),
            ("vim -c ':!id'", "command.inline_code"),
            ("vim '+!id' f", "command.inline_code"),
            ("env python3 -c x", "command.inline_code"),
            ("uv run python -c x", "command.inline_code"),
            ("python benchmarks/run.py input Code", "ok"),
            ("python -m pip install -e .", "ok"),
            ("python -m unittest tests.test_x", "ok"),
            ("python -W ignore script.py -c x", "ok"),
            ("perl -w script.pl -e", "ok"),
            ("node --test examples/a.test.mjs", "ok"),
            ("vim +12 notes.md", "ok"),
            ("uv run python examples/main.py --docker", "ok"),
        ] {
            assert_eq!(code(value), expected, "{value:?}");
        }
    }

    #[test]
    fn command_string_options_of_modelled_programs_are_refused() {
        for value in [
            "git -c core.fsmonitor='touch X' status",
            "git -c alias.st='!touch X' st",
            "git -c core.pager=less log",
            "git -c core.sshCommand=x fetch",
            "git -c include.path=/tmp/x log",
            "git --config-env=core.pager=X log",
            "git --exec-path=/tmp log",
            "git fetch --upload-pack='touch X' origin",
            "git clone -u 'touch X' repo",
            "git push --receive-pack=x origin",
            "git archive --remote=x --exec=y HEAD",
            "git rebase -x 'make test' main",
            "git rebase --exec=id main",
            "git difftool -x id",
            "git grep -O id pattern",
            "git submodule foreach id",
            "git bisect run make",
            "git config core.pager 'touch X'",
            "git config set core.hooksPath hooks",
            "git config --edit",
            "git clone --template=/tmp/t repo",
            "git clone -c core.fsmonitor=x repo",
            "tar -cf /dev/null /dev/null --checkpoint=1 --checkpoint-action=exec='touch X'",
            "tar -I 'touch X' -cf x.tar docs",
            "tar --use-compress-program=x -cf a.tar d",
            "tar --to-command=id -xf a.tar",
            "tar -xf host:archive.tar",
            "tar cF script a.tar",
            "rsync -e 'touch X' x:y /tmp/",
            "rsync -avze 'sh -c id' a b:",
            "rsync --rsync-path='id' a host:b",
            "ssh -o ProxyCommand='touch X' host",
            "ssh -oLocalCommand=id -oPermitLocalCommand=yes host",
            "ssh host id",
            "ssh -F cfg host",
            "scp -S ./x a host:b",
            "scp -o ProxyCommand=id a host:b",
            "sftp -b batch host",
            "zip -TT 'touch X' -T a.zip f",
            "wget -e use_askpass=id https://x",
            "wget --use-askpass=id https://x",
            "npx -c 'id'",
            "npm exec -c id",
            "npm --script-shell=/tmp/x run build",
            "npm config set script-shell /tmp/x",
            "cargo --config 'target.x86_64-unknown-linux-gnu.runner=\"touch X\"' run",
            "go build -toolexec=id .",
            "go env -w GOFLAGS=-toolexec=id",
            "make --eval='x:;touch X'",
            "make 'X=$(shell id)'",
            "make SHELL=/tmp/x",
            "sort --compress-program=id f",
            "rg --pre=id x",
            "man -P id ls",
            "less +!id f",
            "sqlite3 db '.shell id'",
            "mysql -e 'system id'",
            "psql -c '\\! id'",
            "docker run --health-cmd=id alpine",
            "env -S 'sh -c id'",
        ] {
            assert_eq!(code(value), "command.exec_option", "{value:?}");
        }
    }

    #[test]
    fn environment_that_runs_code_is_refused() {
        for value in [
            "env LD_PRELOAD=./x.so ls",
            "env GIT_SSH_COMMAND=x git fetch",
            "env PAGER=x git log",
            "env PATH=./bin ls",
            "env BASH_ENV=x make",
            "env NODE_OPTIONS=--require=./x npm test",
        ] {
            assert_eq!(code(value), "command.exec_env", "{value:?}");
        }
        assert_eq!(code("env -u OPENAI_API_KEY UV_INDEX=x make sync"), "ok");
        assert_eq!(code("env RUST_LOG=debug cargo test"), "ok");
    }

    #[test]
    fn file_writes_outside_the_workspace_are_refused() {
        for value in [
            "git log --output=/tmp/x",
            "git format-patch -o /tmp/p HEAD~1",
            "find . -fprint /tmp/x",
            "find . -fprintf ../x '%p'",
            "tar -czf /tmp/out.tgz docs",
            "tar -xPf a.tar",
            "curl -o /etc/x https://example.com",
            "wget -O ../x https://example.com",
            "sort -o /tmp/x f",
            "time -o /tmp/x ls",
        ] {
            assert_eq!(code(value), "command.write_option", "{value:?}");
        }
    }

    #[test]
    fn privilege_and_container_escapes_are_refused() {
        for value in [
            "sudo ls",
            "doas ls",
            "pkexec ls",
            "unshare -r ls",
            "docker run --privileged alpine ls",
            "docker run -v /:/host alpine ls",
            "docker run --mount type=bind,source=/,target=/h alpine ls",
            "docker run --pid=host alpine ls",
            "docker run --cap-add=SYS_ADMIN alpine ls",
            "docker exec --privileged c ls",
            "curl --unix-socket /var/run/docker.sock http://x/containers",
            "strace -p 1",
            "sudo -e /etc/hosts",
        ] {
            assert_eq!(code(value), "command.privilege", "{value:?}");
        }
        let listed = CommandPolicy::new().programs(["sudo", "ls"]);
        assert!(listed.check("sudo ls -la").is_ok());
        assert_eq!(
            listed.check("sudo -s").unwrap_err().code,
            "command.shell_in_chain"
        );
        assert_eq!(
            listed.check("sudo sh").unwrap_err().code,
            "command.shell_in_chain"
        );
        assert_eq!(
            listed.check("sudo -e /etc/hosts").unwrap_err().code,
            "command.write_option"
        );
    }

    #[test]
    fn benign_look_alikes_pass() {
        for value in [
            "git log --oneline -5",
            "git -c color.ui=false log -3",
            "git status --short",
            "git diff HEAD~1 -- src",
            "git clone https://github.com/o/r",
            "git config --get user.email",
            "git config user.name 'A B'",
            "find . -name '*.rs'",
            "find . -name '*.tmp' -exec rm {} +",
            "find . -exec chmod 644 {} \\;",
            "tar -czf out.tgz docs",
            "tar xzf release.tar.gz",
            "grep -rn TODO src",
            "rsync -av docs/ backup/",
            "ssh -p 2222 host",
            "ssh -L 8080:localhost:80 host",
            "curl -sSL -o page.html https://example.com",
            "wget -q https://example.com/a.tgz",
            "make test",
            "make examples-run EXAMPLES_ARGS='--include-server --include-audio'",
            "cargo test --workspace",
            "npm run build",
            "npx wrangler deploy",
            "docker run --rm -v ./data:/data alpine ls /data",
            "docker compose up -d",
            "kubectl get pods",
            "busybox true",
            "xargs -0 rm",
            "env -u OPENAI_API_KEY make check",
            "timeout 10 cargo test",
            "awk '{print $1}' access.log",
            "sed -n '1,10p' notes.md",
            "sqlite3 app.db 'select 1'",
            "zip -r out.zip docs",
            "uv run pytest -q tests",
        ] {
            assert_eq!(code(value), "ok", "{value:?}");
        }
    }

    #[test]
    fn every_program_in_the_chain_must_be_listed() {
        let policy = CommandPolicy::new()
            .programs(["git", "find", "tar", "rsync", "ls", "grep", "xargs", "wc"]);
        assert!(policy.check("find . -name '*.rs' -exec wc -l {} +").is_ok());
        for value in [
            "find . -maxdepth 0 -exec touch X ';'",
            "xargs touch",
            "/usr/bin/git status",
        ] {
            assert_eq!(
                policy.check(value).unwrap_err().code,
                "command.not_allowed",
                "{value}"
            );
        }
        // Unmodelled listed programs run only with the options named for them.
        let jq = CommandPolicy::new().programs(["jqx"]);
        assert!(jq.check("jqx . data.json").is_ok());
        assert_eq!(
            jq.check("jqx -r . data.json").unwrap_err().code,
            "command.option_not_allowed"
        );
        let jq = jq.options("jqx", ["-r"]);
        assert!(jq.check("jqx -r . data.json").is_ok());
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
        assert_eq!(argv.to_shell_line(), "git commit -m 'fix: a b'");
        let glob = CommandPolicy::new().check("ls *.md").unwrap();
        assert_eq!(glob.to_shell_line(), "ls '*.md'");
    }
}
