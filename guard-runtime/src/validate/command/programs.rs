//! What common programs do with their words: which options run another
//! program or a command string, which write files, which name paths, and
//! where a wrapper's own command starts. The facts are the programs' own
//! manuals and GTFOBins (<https://gtfobins.github.io>, GPL-3.0), the public
//! catalogue of ways ordinary binaries run code, write and read files.
//!
//! A program without a model here is checked by the catch-all: a shell or an
//! interpreter's inline-code flag anywhere in its words is refused.

use crate::validate::Violation;

use super::chain::{
    Opt, Opts, Spec, Walker, exec_option, inline_code, is_shell, model_name, privilege,
    shell_in_chain,
};
use super::{awk, sed};

type Model = fn(&mut Walker<'_>, &[String]) -> Result<(), Violation>;

/// The model of a program, by its [`model_name`].
fn model(name: &str) -> Option<Model> {
    Some(match name {
        "env" => env,
        "nice" => |w, a| wrap(w, a, Spec::new("n", &["--adjustment"]), 0, Empty::Fine),
        "nohup" | "command" | "builtin" => |w, a| wrap(w, a, Spec::new("", &[]), 0, Empty::Fine),
        "timeout" => |w, a| {
            wrap(
                w,
                a,
                Spec::new("ks", &["--kill-after", "--signal"]),
                1,
                Empty::Fine,
            )
        },
        "stdbuf" => |w, a| wrap(w, a, Spec::new("ioe", &[]), 0, Empty::Fine),
        "setsid" | "caffeinate" | "catchsegv" => {
            |w, a| wrap(w, a, Spec::new("", &[]), 0, Empty::Fine)
        }
        "ionice" => |w, a| {
            wrap(
                w,
                a,
                Spec::new("cnpPu", &["--class", "--classdata"]),
                0,
                Empty::Fine,
            )
        },
        "taskset" => |w, a| wrap(w, a, Spec::new("", &[]), 1, Empty::Fine),
        "chrt" => |w, a| wrap(w, a, Spec::new("T", &[]), 1, Empty::Fine),
        "xargs" => xargs,
        "rlwrap" | "valgrind" | "multitime" | "torsocks" | "proxychains" | "proxychains4"
        | "unbuffer" | "daemonize" | "chpst" | "softlimit" | "setpriv" | "firejail" => {
            |w, a| wrap(w, a, Spec::new("", &[]), 0, Empty::Fine)
        }
        "cpulimit" => |w, a| {
            wrap(
                w,
                a,
                Spec::new("lpPe", &["--limit", "--pid", "--path", "--exe"]),
                0,
                Empty::Fine,
            )
        },
        "prlimit" => |w, a| wrap(w, a, Spec::new("p", &["--pid"]), 0, Empty::Fine),
        "faketime" => |w, a| wrap(w, a, Spec::new("f", &[]), 1, Empty::Fine),
        "perf" => |w, a| match a.first().map(String::as_str) {
            Some("stat" | "record" | "trace" | "top") => wrap(
                w,
                &a[1..],
                Spec::new("eopCGt", &["--event", "--output"]),
                0,
                Empty::Fine,
            ),
            _ => Ok(()),
        },
        "start-stop-daemon" => start_stop_daemon,
        "capsh" | "newgrp" | "sg" | "entr" => |_, a| {
            // capsh runs a shell after `--`/`==`; sg and newgrp start one;
            // entr -s hands its text to one.
            if a.iter()
                .any(|x| matches!(x.as_str(), "--" | "==" | "-s" | "-c"))
                || a.iter().any(|x| x.starts_with("--shell"))
            {
                Err(shell_in_chain())
            } else {
                Ok(())
            }
        },
        "run-parts" | "hyperfine" | "at" | "batch" | "crontab" => |_, _| {
            // They run every program in a folder, or command strings now or later.
            Err(exec_option("this program"))
        },
        "time" => time,
        "strace" | "ltrace" => trace,
        "flock" => flock,
        "watch" => watch,
        "chroot" => |w, a| {
            wrap(
                w,
                a,
                Spec::new("", &["--userspec", "--groups"]),
                1,
                Empty::Shell,
            )
        },
        "unshare" | "nsenter" | "sudo" | "doas" | "pkexec" | "runuser" | "systemd-run" => {
            privileged
        }
        "busybox" | "toybox" => |w, a| w.command(a),
        "sshpass" => |w, a| wrap(w, a, Spec::new("pfdP", &[]), 0, Empty::Fine),
        "git" => git,
        "find" => find,
        "tar" | "bsdtar" | "gtar" => tar,
        "rsync" => rsync,
        "ssh" => ssh,
        "scp" => scp,
        "sftp" => sftp,
        "sed" | "gsed" => sed::check,
        "awk" | "gawk" | "mawk" | "nawk" | "original-awk" => awk::check,
        "curl" => curl,
        "wget" => wget,
        "zip" => zip,
        "unzip" => unzip,
        "docker" | "podman" | "nerdctl" => docker,
        "kubectl" | "oc" => kubectl,
        "npm" => npm,
        "npx" | "bunx" => npx,
        "pnpm" | "yarn" => pnpm,
        "pip" | "pipx" => pip,
        "uv" => uv,
        "uvx" => |w, a| run_nested(w, a, UV_RUN),
        "poetry" | "pipenv" | "pdm" | "hatch" | "rye" => {
            |w, a| subcommand_runs(w, a, "run", NO_VALUES)
        }
        "conda" | "mamba" | "micromamba" => |w, a| {
            subcommand_runs(
                w,
                a,
                "run",
                Spec::new("np", &["--name", "--prefix", "--cwd"]),
            )
        },
        "bundle" => |w, a| subcommand_runs(w, a, "exec", NO_VALUES),
        "nix-shell" => |_, a| {
            if a.iter().any(|x| x == "--run" || x == "--command") {
                Err(shell_in_chain())
            } else {
                Ok(())
            }
        },
        "cargo" => cargo,
        "go" => go,
        "make" | "gmake" => make,
        "python" | "pypy" => |w, a| interpreter(w, a, PYTHON),
        "perl" => |w, a| interpreter(w, a, PERL),
        "ruby" => |w, a| interpreter(w, a, RUBY),
        "node" | "nodejs" | "bun" => |w, a| interpreter(w, a, NODE),
        "deno" => deno,
        "php" => |w, a| interpreter(w, a, PHP),
        "lua" | "luajit" => |w, a| interpreter(w, a, LUA),
        "rscript" | "r" => |w, a| interpreter(w, a, R),
        "julia" => |w, a| interpreter(w, a, JULIA),
        "osascript" | "jrunscript" | "groovy" | "scala" | "elixir" | "racket" => {
            |w, a| interpreter(w, a, EVAL_E)
        }
        "expect" | "guile" => |w, a| interpreter(w, a, EVAL_C),
        "erl" => |_, a| refuse_words(a, &["-eval", "-s", "-run"], inline_code),
        "gdb" => |_, a| {
            refuse_words(
                a,
                &[
                    "-ex",
                    "--ex",
                    "-iex",
                    "--iex",
                    "-x",
                    "--x",
                    "-ix",
                    "-eval-command",
                    "--eval-command",
                    "-init-eval-command",
                    "--init-eval-command",
                    "-command",
                    "--command",
                ],
                inline_code,
            )
        },
        "vim" | "vi" | "nvim" | "ex" | "view" | "rvim" | "vimdiff" | "gvim" => vim,
        "emacs" => |_, a| {
            refuse_words(
                a,
                &[
                    "--eval",
                    "-eval",
                    "--funcall",
                    "-f",
                    "--exec",
                    "-batch",
                    "--batch",
                ],
                inline_code,
            )
        },
        "sqlite3" => sqlite3,
        "mysql" | "mariadb" => mysql,
        "psql" => psql,
        "less" | "more" | "most" => less,
        "man" => |w, a| {
            for opt in Opts::new(
                a,
                Spec::new("PHMCS", &["--pager", "--html", "--config-file"]),
            ) {
                match opt {
                    Opt::Short('P' | 'H', _) | Opt::Long("--pager" | "--html", _) => {
                        return Err(exec_option("`man --pager`"));
                    }
                    Opt::Short('C', Some(v)) | Opt::Long("--config-file", Some(v)) => w.read(v)?,
                    _ => {}
                }
            }
            Ok(())
        },
        "grep" | "egrep" | "fgrep" | "zgrep" => grep,
        "rg" => rg,
        "sort" => sort,
        "ls" | "dir" | "cat" | "tac" | "head" | "tail" | "wc" | "uniq" | "cut" | "nl" | "od"
        | "xxd" | "hexdump" | "strings" | "file" | "stat" | "du" | "tree" | "readlink"
        | "realpath" | "md5sum" | "sha1sum" | "sha256sum" | "sha512sum" | "b2sum" | "cksum"
        | "diff" | "cmp" | "comm" | "paste" | "join" | "fold" | "fmt" | "column" | "jq" | "yq"
        | "bat" | "cp" | "mv" | "rm" | "rmdir" | "mkdir" | "touch" | "chmod" | "chown"
        | "chgrp" | "ln" | "tee" | "truncate" | "shred" | "install" | "base64" | "gzip"
        | "gunzip" | "zcat" | "bzip2" | "xz" | "zstd" | "split" | "csplit" => files,
        "dd" => |w, a| {
            for arg in a {
                if let Some((key, value)) = arg.split_once('=')
                    && matches!(key, "if" | "of")
                {
                    w.operand(value)?;
                }
            }
            Ok(())
        },
        _ => return None,
    })
}

pub(super) fn is_modelled(name: &str) -> bool {
    model(name).is_some()
}

/// Checks one program's words with its model, or with the catch-all.
/// `listed`: the allow-list names it (privileged wrappers need that).
pub(super) fn check(
    w: &mut Walker<'_>,
    name: &str,
    listed: bool,
    args: &[String],
) -> Result<(), Violation> {
    match model(name) {
        Some(check) if is_privileged(name) => {
            if !listed {
                return Err(privilege());
            }
            check(w, args)
        }
        Some(check) => check(w, args),
        None => catch_all(w, args),
    }
}

fn is_privileged(name: &str) -> bool {
    matches!(
        name,
        "sudo" | "doas" | "pkexec" | "runuser" | "unshare" | "nsenter" | "systemd-run"
    )
}

/// An unmodelled program: refuse a shell handed options (`sh -c`, `cmd /c`)
/// or an interpreter handed inline code anywhere in its words; with a root,
/// operands that leave it.
fn catch_all(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for (i, arg) in args.iter().enumerate() {
        let name = model_name(arg);
        // `X /bin/sh`, `X sh -c ...`: a shell named by its path, or handed
        // options, is a shell the wrapper will run.
        if is_shell(&name)
            && (arg.contains(['/', '\\'])
                || args
                    .get(i + 1)
                    .is_some_and(|next| next.starts_with('-') || next.starts_with('/')))
        {
            return Err(shell_in_chain());
        }
        if let Some(lang) = interpreter_of(&name)
            && interpreter(w, &args[i + 1..], lang).is_err_and(|v| v.code == "command.inline_code")
        {
            return Err(inline_code());
        }
        w.operand(arg)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Empty {
    /// Nothing to run is fine (`env` alone prints the environment).
    Fine,
    /// Nothing to run starts a shell (`chroot DIR`, `unshare`).
    Shell,
}

/// A wrapper: its options, `positionals` words of its own, then a command.
fn wrap(
    w: &mut Walker<'_>,
    args: &[String],
    spec: Spec,
    positionals: usize,
    empty: Empty,
) -> Result<(), Violation> {
    wrap_checking(w, args, spec, positionals, empty, |_, _| Ok(()))
}

/// [`wrap`], with `check` run on each of the wrapper's own options first
/// (`time -o FILE` writes, `sudo -s` starts a shell).
fn wrap_checking(
    w: &mut Walker<'_>,
    args: &[String],
    spec: Spec,
    positionals: usize,
    empty: Empty,
    check: fn(&Walker<'_>, Opt<'_>) -> Result<(), Violation>,
) -> Result<(), Violation> {
    let mut opts = Opts::new(args, spec);
    let mut seen = 0;
    while let Some(opt) = opts.next() {
        if let Opt::Operand(_) = opt {
            if seen < positionals {
                seen += 1;
                continue;
            }
            return w.command(opts.operand_onward());
        }
        check(w, opt)?;
    }
    match empty {
        Empty::Fine => Ok(()),
        Empty::Shell => Err(shell_in_chain()),
    }
}

const NO_VALUES: Spec = Spec::new("", &[]);

/// Variables that make programs run other code or other binaries.
fn is_exec_env(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "PATH",
        "SHELL",
        "ENV",
        "PS4",
        "PROMPT_COMMAND",
        "IFS",
        "CDPATH",
        "PAGER",
        "MANPAGER",
        "GIT_PAGER",
        "EDITOR",
        "VISUAL",
        "BROWSER",
        "LESSOPEN",
        "LESSCLOSE",
        "SSH_ASKPASS",
        "SUDO_ASKPASS",
        "RSYNC_RSH",
        "RSYNC_CONNECT_PROG",
        "CVS_RSH",
        "RUSTC",
        "RUSTDOC",
        "CC",
        "CXX",
        "LD",
        "AR",
        "MAKEFLAGS",
        "MFLAGS",
        "MAKE",
        "NODE_OPTIONS",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "PYTHONSTARTUP",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONINSPECT",
        "PERL5OPT",
        "PERL5LIB",
        "PERLLIB",
        "PERL5DB",
        "RUBYOPT",
        "RUBYLIB",
        "LUA_INIT",
        "TAR_OPTIONS",
        "GZIP",
        "ZIPOPT",
        "UNZIP",
        "WGETRC",
        "CURL_HOME",
        "GOFLAGS",
        "CARGO_HOME",
        "HOME",
        "XDG_CONFIG_HOME",
        "GNUPGHOME",
        "TERMINFO",
        "GCONV_PATH",
    ];
    const PREFIXES: &[&str] = &[
        "LD_",
        "DYLD_",
        "GIT_",
        "BASH_",
        "RUSTC_",
        "CARGO_TARGET_",
        "CARGO_BUILD_",
        "NPM_CONFIG_",
        "PYTHON",
        "PERL",
        "RUBY",
        "NODE_",
        "LUA_",
    ];
    let upper = name.to_ascii_uppercase();
    EXACT.contains(&upper.as_str()) || PREFIXES.iter().any(|p| upper.starts_with(p))
}

fn env(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new("uC", &["--unset", "--chdir"]);
    let mut opts = Opts::new(args, spec);
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Short('S', _) | Opt::Long("--split-string", _) => {
                return Err(exec_option("`env -S`"));
            }
            Opt::Short('C', Some(dir)) | Opt::Long("--chdir", Some(dir)) => w.read(dir)?,
            Opt::Operand(word) => {
                if let Some((name, _)) = word.split_once('=')
                    && !name.is_empty()
                {
                    if is_exec_env(name) {
                        return Err(Violation::new(
                            "command.exec_env",
                            "this environment variable makes programs run other code",
                        ));
                    }
                    continue;
                }
                return w.command(opts.operand_onward());
            }
            _ => {}
        }
    }
    Ok(())
}

fn start_stop_daemon(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "xanpuigcrdNPkKRs",
        &[
            "--exec",
            "--startas",
            "--name",
            "--pidfile",
            "--user",
            "--chuid",
            "--chdir",
            "--chroot",
        ],
    );
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('x' | 'a', Some(program))
            | Opt::Long("--exec" | "--startas", Some(program)) => {
                w.command(&[program.to_owned()])?
            }
            Opt::Short('r', _) | Opt::Long("--chroot", _) => return Err(privilege()),
            _ => {}
        }
    }
    Ok(())
}

fn xargs(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "adEILnPs",
        &[
            "--arg-file",
            "--delimiter",
            "--max-lines",
            "--max-args",
            "--max-procs",
            "--max-chars",
            "--process-slot-var",
        ],
    );
    wrap_checking(w, args, spec, 0, Empty::Fine, |w, opt| match opt {
        Opt::Short('a', Some(file)) | Opt::Long("--arg-file", Some(file)) => w.read(file),
        _ => Ok(()),
    })
}

fn time(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new("fo", &["--format", "--output"]);
    wrap_checking(w, args, spec, 0, Empty::Fine, |w, opt| match opt {
        Opt::Short('o', Some(file)) | Opt::Long("--output", Some(file)) => w.write(file),
        _ => Ok(()),
    })
}

fn trace(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new("abeEIoOpPsSuUX", &["--output", "--env"]);
    wrap_checking(w, args, spec, 0, Empty::Fine, |w, opt| match opt {
        Opt::Short('o', Some(file)) | Opt::Long("--output", Some(file)) => w.write(file),
        Opt::Short('E', Some(var)) | Opt::Long("--env", Some(var))
            if var
                .split_once('=')
                .is_some_and(|(name, _)| is_exec_env(name)) =>
        {
            Err(exec_option("`-E` with this variable"))
        }
        Opt::Short('p', _) => Err(privilege()),
        _ => Ok(()),
    })
}

fn flock(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut opts = Opts::new(
        args,
        Spec::new("wE", &["--timeout", "--conflict-exit-code"]),
    );
    let mut file = None;
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Short('c', _) | Opt::Long("--command", _) => return Err(shell_in_chain()),
            Opt::Operand(word) if file.is_none() => {
                w.operand(word)?;
                file = Some(word);
            }
            Opt::Operand(_) => return w.command(opts.operand_onward()),
            _ => {}
        }
    }
    Ok(())
}

fn watch(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut exec = false;
    let mut opts = Opts::new(args, Spec::new("nq", &["--interval", "--equexit"]));
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Short('x', _) | Opt::Long("--exec", _) => exec = true,
            // Without --exec, watch joins its words and hands them to `sh -c`.
            Opt::Operand(_) if !exec => return Err(shell_in_chain()),
            Opt::Operand(_) => return w.command(opts.operand_onward()),
            _ => {}
        }
    }
    Ok(())
}

/// sudo and the like: only when the allow-list names them, and then the
/// command they run is walked like any other.
fn privileged(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new("ugCDhprtTUREGSw", &["--user", "--group", "--chdir"]);
    wrap_checking(w, args, spec, 0, Empty::Shell, |_, opt| match opt {
        Opt::Short('s' | 'i', None)
        | Opt::Short('c', _)
        | Opt::Long("--shell" | "--login" | "--command", _) => Err(shell_in_chain()),
        Opt::Short('e', None) | Opt::Long("--edit", _) => Err(Violation::new(
            "command.write_option",
            "`sudo -e` edits files as another user",
        )),
        _ => Ok(()),
    })
}

/// Keys `git -c` may set: display and identity settings that run nothing.
/// Every other key may name a command (`core.pager`, `core.fsmonitor`,
/// `alias.x=!cmd`, `diff.x.textconv`, `credential.helper`, ...), a file to
/// include, or a hooks directory, so it is refused.
fn git_config_is_inert(key: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "color.",
        "log.",
        "advice.",
        "i18n.",
        "column.",
        "status.",
        "blame.",
        "grep.",
        "versionsort.",
    ];
    const EXACT: &[&str] = &[
        "branch.sort",
        "tag.sort",
        "user.name",
        "user.email",
        "init.defaultbranch",
        "core.quotepath",
        "core.autocrlf",
        "core.safecrlf",
        "core.abbrev",
        "core.whitespace",
        "diff.renames",
        "diff.algorithm",
        "diff.context",
        "diff.noprefix",
        "diff.mnemonicprefix",
        "diff.relative",
        "diff.colormoved",
        "pull.rebase",
        "pull.ff",
        "merge.ff",
        "merge.conflictstyle",
        "push.default",
        "fetch.prune",
        "gc.auto",
        "commit.gpgsign",
        "format.pretty",
    ];
    let key = key.to_ascii_lowercase();
    EXACT.contains(&key.as_str()) || PREFIXES.iter().any(|p| key.starts_with(p))
}

fn git_config_value(kv: &str) -> Result<(), Violation> {
    let key = kv.split_once('=').map_or(kv, |(k, _)| k);
    if git_config_is_inert(key) {
        Ok(())
    } else {
        Err(exec_option("this `git -c` setting"))
    }
}

fn git(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "cC",
        &[
            "--git-dir",
            "--work-tree",
            "--namespace",
            "--config-env",
            "--super-prefix",
            "--list-cmds",
            "--attr-source",
        ],
    );
    let mut opts = Opts::new(args, spec);
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Short('c', Some(kv)) => git_config_value(kv)?,
            Opt::Short('C', Some(dir)) => w.read(dir)?,
            Opt::Long("--git-dir" | "--work-tree", Some(path)) => w.read(path)?,
            Opt::Long("--exec-path", Some(_)) | Opt::Long("--config-env", _) => {
                return Err(exec_option("this git option"));
            }
            Opt::Operand(sub) => return git_subcommand(w, sub, opts.rest()),
            _ => {}
        }
    }
    Ok(())
}

fn git_subcommand(w: &mut Walker<'_>, sub: &str, args: &[String]) -> Result<(), Violation> {
    match sub {
        "submodule" if args.iter().any(|a| a == "foreach") => {
            return Err(exec_option("`git submodule foreach`"));
        }
        "bisect" if args.first().is_some_and(|a| a == "run") => {
            return Err(exec_option("`git bisect run`"));
        }
        "filter-branch" | "filter-repo" | "instaweb" | "daemon" | "shell" | "upload-pack"
        | "receive-pack" | "upload-archive" | "credential" | "credential-store"
        | "credential-cache" | "remote-ext" | "remote-fd" => {
            return Err(exec_option(&format!("`git {sub}`")));
        }
        "config" => return git_config(w, args),
        _ => {}
    }
    let spec = match sub {
        // clone's `-o` names the remote, `-c` sets config, `-u` the upload pack.
        "clone" => Spec::new(
            "ocbuj",
            &[
                "--origin",
                "--config",
                "--branch",
                "--template",
                "--upload-pack",
            ],
        ),
        _ => Spec::new("oO", &["--output", "--output-directory", "--template"]),
    };
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Long(
                "--upload-pack"
                | "--receive-pack"
                | "--exec"
                | "--extcmd"
                | "--open-files-in-pager"
                | "--template"
                | "--sendmail-cmd"
                | "--to-cmd"
                | "--cc-cmd"
                | "--header-cmd"
                | "--smtp-server"
                | "--tool"
                | "--gpg-sign"
                | "--signoff-cmd",
                _,
            ) => return Err(exec_option(&format!("this `git {sub}` option"))),
            Opt::Short('u', _) if matches!(sub, "clone" | "ls-remote" | "archive") => {
                return Err(exec_option(&format!("`git {sub} -u`")));
            }
            Opt::Short('x', _) if matches!(sub, "rebase" | "difftool") => {
                return Err(exec_option(&format!("`git {sub} -x`")));
            }
            Opt::Short('O', _) if sub == "grep" => {
                return Err(exec_option("`git grep -O`"));
            }
            Opt::Short('c', Some(kv)) | Opt::Long("--config", Some(kv)) if sub == "clone" => {
                git_config_value(kv)?
            }
            Opt::Short('o', Some(path)) if sub != "clone" => w.write(path)?,
            Opt::Long("--output" | "--output-directory", Some(path)) => w.write(path)?,
            Opt::Long("--separate-git-dir" | "--reference" | "--git-dir", Some(path)) => {
                w.read(path)?
            }
            Opt::Long("--no-index", _) => {}
            Opt::Operand(word) => w.operand(word)?,
            _ => {}
        }
    }
    Ok(())
}

/// `git config`: reading is fine; setting a key that can name a command,
/// or opening the editor, persists a way to run code.
fn git_config(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "f",
        &["--file", "--blob", "--type", "--default", "--comment"],
    );
    let mut operands = Vec::new();
    let mut reading = false;
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('e', _) | Opt::Long("--edit", _) => {
                return Err(exec_option("`git config --edit`"));
            }
            Opt::Short('f', Some(file)) | Opt::Long("--file", Some(file)) => w.read(file)?,
            Opt::Short('l', _)
            | Opt::Long(
                "--get" | "--get-all" | "--get-regexp" | "--get-urlmatch" | "--list" | "--unset"
                | "--unset-all" | "--show-origin" | "--show-scope" | "--name-only",
                _,
            ) => reading = true,
            Opt::Operand(word) => operands.push(word),
            _ => {}
        }
    }
    let key = match operands.as_slice() {
        ["set", key, ..] => Some(*key),
        [
            "get" | "list" | "unset" | "rename-section" | "remove-section",
            ..,
        ] => None,
        [key, _value, ..] if !reading => Some(*key),
        _ => None,
    };
    match key {
        Some(key) if !git_config_is_inert(key) => Err(exec_option("setting this git key")),
        _ => Ok(()),
    }
}

fn find(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.as_str() {
            "-H" | "-L" | "-P" => i += 1,
            "-D" => i += 2,
            a if a.starts_with("-O") => i += 1,
            _ => break,
        }
    }
    // Start points: everything before the first expression word.
    while let Some(arg) = args.get(i) {
        if arg.starts_with('-') || matches!(arg.as_str(), "(" | ")" | "!" | ",") {
            break;
        }
        w.read(arg)?;
        i += 1;
    }
    while let Some(arg) = args.get(i) {
        i += 1;
        match arg.as_str() {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let end = args[i..]
                    .iter()
                    .position(|a| a == ";" || a == "+")
                    .map_or(args.len(), |p| i + p);
                w.command(&args[i..end])?;
                i = end + 1;
            }
            "-fprint" | "-fprint0" | "-fls" => {
                if let Some(file) = args.get(i) {
                    w.write(file)?;
                }
                i += 1;
            }
            "-fprintf" => {
                if let Some(file) = args.get(i) {
                    w.write(file)?;
                }
                i += 2;
            }
            "-anewer" | "-cnewer" | "-samefile" | "-files0-from" => {
                if let Some(file) = args.get(i) {
                    w.read(file)?;
                }
                i += 1;
            }
            a if a.starts_with("-newer") => {
                if let Some(file) = args.get(i) {
                    w.read(file)?;
                }
                i += 1;
            }
            "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename" | "-regex"
            | "-iregex" | "-lname" | "-ilname" | "-type" | "-xtype" | "-user" | "-group"
            | "-uid" | "-gid" | "-perm" | "-size" | "-mtime" | "-mmin" | "-atime" | "-amin"
            | "-ctime" | "-cmin" | "-used" | "-links" | "-inum" | "-maxdepth" | "-mindepth"
            | "-printf" | "-regextype" | "-fstype" | "-context" => i += 1,
            _ => {}
        }
    }
    Ok(())
}

fn tar(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    // Old-style options: a first word without a dash is a bundle of letters.
    let mut words: Vec<String> = args.to_vec();
    if let Some(first) = words.first_mut()
        && !first.starts_with('-')
        && first.chars().all(|c| c.is_ascii_alphabetic())
    {
        first.insert(0, '-');
    }
    let spec = Spec::new(
        "fbCFgIKLNTVXH",
        &[
            "--file",
            "--directory",
            "--to-command",
            "--use-compress-program",
            "--rsh-command",
            "--rmt-command",
            "--info-script",
            "--new-volume-script",
            "--listed-incremental",
            "--files-from",
            "--exclude-from",
            "--format",
            "--index-file",
            "--volno-file",
            "--exclude",
            "--transform",
            "--xform",
        ],
    );
    let mut archive = None;
    let (mut writes_archive, mut extracts, mut absolute, mut force_local) =
        (false, false, false, false);
    for opt in Opts::new(&words, spec) {
        match opt {
            Opt::Short('I' | 'F', _)
            | Opt::Long(
                "--use-compress-program"
                | "--to-command"
                | "--rsh-command"
                | "--rmt-command"
                | "--info-script"
                | "--new-volume-script",
                _,
            ) => return Err(exec_option("this tar option")),
            Opt::Long("--checkpoint-action", Some(action))
                if action.trim_start().starts_with("exec") =>
            {
                return Err(exec_option("`--checkpoint-action=exec`"));
            }
            Opt::Short('f', Some(file)) | Opt::Long("--file", Some(file)) => archive = Some(file),
            Opt::Short('C', Some(dir)) | Opt::Long("--directory", Some(dir)) => w.read(dir)?,
            Opt::Short('T' | 'X', Some(file))
            | Opt::Long("--files-from" | "--exclude-from", Some(file)) => w.read(file)?,
            Opt::Short('g', Some(file))
            | Opt::Long("--listed-incremental" | "--index-file" | "--volno-file", Some(file)) => {
                w.write(file)?
            }
            Opt::Short('c' | 'r' | 'u', _) | Opt::Long("--create" | "--append" | "--update", _) => {
                writes_archive = true
            }
            Opt::Short('x', _) | Opt::Long("--extract" | "--get", _) => extracts = true,
            Opt::Short('P', _) | Opt::Long("--absolute-names", _) => absolute = true,
            Opt::Long("--force-local", _) => force_local = true,
            Opt::Operand(member) => w.operand(member)?,
            _ => {}
        }
    }
    if let Some(file) = archive {
        // `host:file` is a remote archive, reached through rsh or ssh.
        if !force_local
            && file
                .split('/')
                .next()
                .is_some_and(|head| head.contains(':'))
        {
            return Err(exec_option("a remote archive name"));
        }
        if writes_archive {
            w.write(file)?;
        } else {
            w.read(file)?;
        }
    }
    if extracts && absolute {
        return Err(Violation::new(
            "command.write_option",
            "extracting with absolute names writes outside the workspace",
        ));
    }
    Ok(())
}

fn is_remote(spec: &str) -> bool {
    spec.contains("://")
        || spec
            .split('/')
            .next()
            .is_some_and(|head| head.contains(':'))
}

fn rsync(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "efBTM",
        &[
            "--rsh",
            "--rsync-path",
            "--log-file",
            "--write-batch",
            "--only-write-batch",
            "--read-batch",
            "--files-from",
            "--exclude-from",
            "--include-from",
            "--password-file",
            "--temp-dir",
            "--partial-dir",
            "--backup-dir",
            "--compare-dest",
            "--copy-dest",
            "--link-dest",
            "--filter",
            "--exclude",
            "--include",
            "--chmod",
            "--chown",
            "--timeout",
            "--port",
            "--bwlimit",
            "--suffix",
            "--out-format",
            "--remote-option",
            "--config",
            "--early-input",
            "--max-size",
            "--min-size",
            "--block-size",
            "--info",
            "--debug",
        ],
    );
    let mut operands = Vec::new();
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('e' | 'M', _)
            | Opt::Long(
                "--rsh" | "--rsync-path" | "--remote-option" | "--daemon" | "--config",
                _,
            ) => {
                return Err(exec_option("this rsync option"));
            }
            Opt::Long("--log-file" | "--write-batch" | "--only-write-batch", Some(file)) => {
                w.write(file)?
            }
            Opt::Short('T', Some(path))
            | Opt::Long(
                "--read-batch" | "--files-from" | "--exclude-from" | "--include-from"
                | "--password-file" | "--temp-dir" | "--partial-dir" | "--backup-dir"
                | "--compare-dest" | "--copy-dest" | "--link-dest" | "--early-input",
                Some(path),
            ) => w.read(path)?,
            Opt::Operand(word) => operands.push(word),
            _ => {}
        }
    }
    operands
        .iter()
        .filter(|s| !is_remote(s))
        .try_for_each(|s| w.operand(s))
}

/// `-o Key=value` settings of OpenSSH that run a local command.
fn ssh_option(setting: &str) -> Result<(), Violation> {
    let key = setting
        .split(|c: char| c == '=' || c.is_whitespace())
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if matches!(
        key.as_str(),
        "proxycommand"
            | "localcommand"
            | "permitlocalcommand"
            | "knownhostscommand"
            | "match"
            | "remotecommand"
            | "include"
            | "securitykeyprovider"
            | "pkcs11provider"
    ) {
        Err(exec_option("this ssh `-o` setting"))
    } else {
        Ok(())
    }
}

fn ssh(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let opts = Opts::new(args, Spec::new("bBcDEeFIiJLlmOoPpQRSWw", &[]));
    let mut host = None;
    for opt in opts {
        match opt {
            Opt::Short('o', Some(setting)) => ssh_option(setting)?,
            Opt::Short('F', _) | Opt::Short('I', _) => {
                return Err(exec_option("an ssh configuration file or provider"));
            }
            Opt::Short('E', Some(file)) => w.write(file)?,
            Opt::Short('i', Some(file)) => w.read(file)?,
            Opt::Operand(word) if host.is_none() => host = Some(word),
            // Words after the host are a command for the remote shell.
            Opt::Operand(_) => return Err(exec_option("a remote command")),
            _ => {}
        }
    }
    Ok(())
}

fn scp_operands(w: &mut Walker<'_>, operands: &[&str]) -> Result<(), Violation> {
    operands
        .iter()
        .filter(|s| !is_remote(s))
        .try_for_each(|s| w.operand(s))
}

fn scp(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut operands = Vec::new();
    for opt in Opts::new(args, Spec::new("cDFiJloPSX", &[])) {
        match opt {
            Opt::Short('o', Some(setting)) => ssh_option(setting)?,
            Opt::Short('S' | 'F' | 'D', _) => return Err(exec_option("this scp option")),
            Opt::Short('i', Some(file)) => w.read(file)?,
            Opt::Operand(word) => operands.push(word),
            _ => {}
        }
    }
    scp_operands(w, &operands)
}

fn sftp(_: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for opt in Opts::new(args, Spec::new("BbcDFiJloPRSsX", &[])) {
        match opt {
            Opt::Short('o', Some(setting)) => ssh_option(setting)?,
            Opt::Short('S' | 'F' | 'D' | 'b' | 's', _) => {
                return Err(exec_option("this sftp option"));
            }
            _ => {}
        }
    }
    Ok(())
}

fn curl(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "AbcCdDeEFHKmoPQrtTuUwxXyYz",
        &[
            "--output",
            "--output-dir",
            "--dump-header",
            "--cookie-jar",
            "--trace",
            "--trace-ascii",
            "--stderr",
            "--libcurl",
            "--etag-save",
            "--hsts",
            "--alt-svc",
            "--upload-file",
            "--config",
            "--data",
            "--data-binary",
            "--data-urlencode",
            "--data-raw",
            "--json",
            "--form",
            "--form-string",
            "--cookie",
            "--header",
            "--user",
            "--request",
            "--url",
            "--proxy",
            "--write-out",
            "--referer",
            "--user-agent",
            "--max-time",
            "--connect-timeout",
            "--retry",
            "--cacert",
            "--cert",
            "--key",
            "--resolve",
            "--connect-to",
            "--unix-socket",
            "--abstract-unix-socket",
            "--netrc-file",
            "--range",
        ],
    );
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('o' | 'D' | 'c', Some(file))
            | Opt::Long(
                "--output" | "--output-dir" | "--dump-header" | "--cookie-jar" | "--trace"
                | "--trace-ascii" | "--stderr" | "--libcurl" | "--etag-save" | "--hsts"
                | "--alt-svc",
                Some(file),
            ) => w.write(file)?,
            Opt::Short('T' | 'K', Some(file))
            | Opt::Long("--upload-file" | "--config" | "--netrc-file", Some(file)) => {
                w.read(file)?
            }
            Opt::Short('d', Some(data))
            | Opt::Long("--data" | "--data-binary" | "--data-urlencode" | "--json", Some(data)) => {
                if let Some((_, file)) = data.split_once('@') {
                    w.read(file)?;
                }
            }
            Opt::Short('F', Some(form)) | Opt::Long("--form", Some(form)) => {
                if let Some((_, value)) = form.split_once('=')
                    && let Some(file) = value.strip_prefix('@').or_else(|| value.strip_prefix('<'))
                {
                    w.read(file.split(';').next().unwrap_or_default())?;
                }
            }
            Opt::Long("--unix-socket" | "--abstract-unix-socket", _) => return Err(privilege()),
            _ => {}
        }
    }
    Ok(())
}

fn wget(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "OoaPieUBtTwQlARDIX",
        &[
            "--output-document",
            "--output-file",
            "--append-output",
            "--directory-prefix",
            "--input-file",
            "--execute",
            "--post-file",
            "--body-file",
            "--config",
            "--use-askpass",
            "--user-agent",
            "--header",
            "--load-cookies",
            "--save-cookies",
            "--warc-file",
            "--rejected-log",
            "--tries",
            "--timeout",
        ],
    );
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('e', _) | Opt::Long("--execute" | "--use-askpass" | "--config", _) => {
                return Err(exec_option("this wget option"));
            }
            Opt::Short('O' | 'o' | 'a' | 'P', Some(file))
            | Opt::Long(
                "--output-document" | "--output-file" | "--append-output" | "--directory-prefix"
                | "--save-cookies" | "--warc-file" | "--rejected-log",
                Some(file),
            ) => w.write(file)?,
            Opt::Short('i', Some(file))
            | Opt::Long(
                "--input-file" | "--post-file" | "--body-file" | "--load-cookies",
                Some(file),
            ) => w.read(file)?,
            _ => {}
        }
    }
    Ok(())
}

fn zip(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut archive_seen = false;
    for arg in args {
        if arg == "-TT" || arg.starts_with("--unzip-command") {
            return Err(exec_option("`zip -TT`"));
        }
        if arg.starts_with('-') {
            continue;
        }
        if archive_seen {
            w.operand(arg)?;
        } else {
            w.write(arg)?;
            archive_seen = true;
        }
    }
    Ok(())
}

fn unzip(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut archive_seen = false;
    for opt in Opts::new(args, Spec::new("dxP", &[])) {
        match opt {
            Opt::Short('d', Some(dir)) => w.write(dir)?,
            Opt::Operand(word) if !archive_seen => {
                w.read(word)?;
                archive_seen = true;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A bind mount's host side: with a root it must stay inside; without one,
/// absolute, home and climbing sources hand the container the host.
fn bind_source(w: &Walker<'_>, source: &str) -> Result<(), Violation> {
    let path_like = source.starts_with(['/', '~', '.', '\\']) || source.contains(['/', '\\']);
    if !path_like {
        return Ok(()); // a named volume
    }
    if w.has_root() {
        return w.read(source);
    }
    if source.starts_with(['/', '~', '\\']) || source.split(['/', '\\']).any(|p| p == "..") {
        return Err(privilege());
    }
    Ok(())
}

fn docker(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let global = Spec::new("Hcl", &["--host", "--context", "--config", "--log-level"]);
    let mut opts = Opts::new(args, global);
    while let Some(opt) = opts.next() {
        if let Opt::Operand(sub) = opt {
            let rest = opts.rest();
            return match sub {
                "container" => docker(w, rest),
                "run" | "create" => docker_run(w, rest),
                "exec" => docker_exec(w, rest),
                "compose" => docker_compose(w, rest),
                "cp" => rest
                    .iter()
                    .filter(|a| !a.starts_with('-') && !a.contains(':'))
                    .try_for_each(|a| w.operand(a)),
                _ => Ok(()),
            };
        }
    }
    Ok(())
}

const DOCKER_RUN: Spec = Spec::new(
    "aceghlmpuvwL",
    &[
        "--volume",
        "--env",
        "--env-file",
        "--publish",
        "--name",
        "--workdir",
        "--user",
        "--entrypoint",
        "--network",
        "--net",
        "--mount",
        "--label",
        "--hostname",
        "--memory",
        "--cpus",
        "--platform",
        "--pull",
        "--restart",
        "--device",
        "--cap-add",
        "--cap-drop",
        "--security-opt",
        "--pid",
        "--ipc",
        "--uts",
        "--userns",
        "--add-host",
        "--dns",
        "--gpus",
        "--log-driver",
        "--log-opt",
        "--ulimit",
        "--tmpfs",
        "--shm-size",
        "--volumes-from",
        "--runtime",
        "--cgroupns",
        "--cgroup-parent",
        "--stop-signal",
        "--attach",
        "--expose",
        "--link",
        "--ip",
        "--group-add",
        "--sysctl",
        "--label-file",
        "--cidfile",
        "--health-cmd",
        "--stop-timeout",
        "--cpu-shares",
        "--cpuset-cpus",
        "--memory-swap",
        "--detach-keys",
        "--domainname",
        "--annotation",
        "--pids-limit",
        "--device-cgroup-rule",
    ],
);

fn docker_run_option(w: &mut Walker<'_>, opt: Opt<'_>) -> Result<(), Violation> {
    match opt {
        Opt::Long("--privileged", _)
        | Opt::Long("--cap-add" | "--device" | "--device-cgroup-rule", _) => Err(privilege()),
        Opt::Long(
            "--pid" | "--ipc" | "--uts" | "--userns" | "--net" | "--network" | "--cgroupns",
            Some("host"),
        ) => Err(privilege()),
        Opt::Long("--security-opt", Some(v))
            if v.contains("unconfined") || v.contains("=false") =>
        {
            Err(privilege())
        }
        Opt::Short('v', Some(v)) | Opt::Long("--volume", Some(v)) => {
            bind_source(w, v.split(':').next().unwrap_or_default())
        }
        Opt::Long("--mount", Some(v)) => v
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, _)| matches!(*k, "source" | "src"))
            .try_for_each(|(_, source)| bind_source(w, source)),
        Opt::Long("--entrypoint", Some(program)) => w.command(&[program.to_owned()]),
        Opt::Long("--health-cmd", _) => Err(exec_option("`--health-cmd`")),
        _ => Ok(()),
    }
}

fn docker_run(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut opts = Opts::new(args, DOCKER_RUN);
    while let Some(opt) = opts.next() {
        if let Opt::Operand(_image) = opt {
            return w.command(opts.rest());
        }
        docker_run_option(w, opt)?;
    }
    Ok(())
}

fn docker_exec(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "euw",
        &[
            "--env",
            "--env-file",
            "--user",
            "--workdir",
            "--detach-keys",
        ],
    );
    let mut opts = Opts::new(args, spec);
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Long("--privileged", _) => return Err(privilege()),
            Opt::Operand(_container) => return w.command(opts.rest()),
            _ => {}
        }
    }
    Ok(())
}

fn docker_compose(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "fp",
        &[
            "--file",
            "--project-name",
            "--env-file",
            "--profile",
            "--project-directory",
        ],
    );
    let mut opts = Opts::new(args, spec);
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Short('f', Some(file)) | Opt::Long("--file", Some(file)) => w.read(file)?,
            Opt::Operand("run" | "exec") => {
                let mut inner = Opts::new(opts.rest(), DOCKER_RUN);
                while let Some(opt) = inner.next() {
                    if let Opt::Operand(_service) = opt {
                        return w.command(inner.rest());
                    }
                    docker_run_option(w, opt)?;
                }
                return Ok(());
            }
            Opt::Operand(_) => return Ok(()),
            _ => {}
        }
    }
    Ok(())
}

fn kubectl(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let sub = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str);
    match sub {
        Some("exec" | "run" | "debug" | "attach") => {
            if let Some(dash) = args.iter().position(|a| a == "--") {
                return w.command(&args[dash + 1..]);
            }
            Ok(())
        }
        Some("cp") => args
            .iter()
            .skip(1)
            .filter(|a| !a.starts_with('-') && !a.contains(':'))
            .try_for_each(|a| w.operand(a)),
        _ => Ok(()),
    }
}

const NPM_EXEC_KEYS: &[&str] = &[
    "script-shell",
    "shell",
    "node-options",
    "git",
    "editor",
    "browser",
    "viewer",
];

fn npm(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for arg in args {
        let name = arg.trim_start_matches('-');
        let name = name.split_once('=').map_or(name, |(n, _)| n);
        if arg.starts_with("--") && NPM_EXEC_KEYS.contains(&name) {
            return Err(exec_option("this npm setting"));
        }
    }
    let sub_at = args.iter().position(|a| !a.starts_with('-'));
    let Some(at) = sub_at else { return Ok(()) };
    let rest = &args[at + 1..];
    match args[at].as_str() {
        "exec" | "x" => npx(w, rest),
        "explore" => Err(shell_in_chain()),
        "config" | "set" => {
            let key = rest
                .iter()
                .filter(|a| !a.starts_with('-'))
                .find(|a| *a != "set");
            let setting = args[at] == "set" || rest.first().is_some_and(|a| a == "set");
            match key {
                Some(key)
                    if setting
                        && NPM_EXEC_KEYS.contains(&key.split('=').next().unwrap_or_default()) =>
                {
                    Err(exec_option("this npm setting"))
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn npx(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut opts = Opts::new(args, Spec::new("p", &["--package"]));
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Short('c', _) | Opt::Long("--call" | "--shell", _) => {
                return Err(exec_option("`npx -c`"));
            }
            Opt::Operand(_) => return w.command(opts.operand_onward()),
            _ => {}
        }
    }
    Ok(())
}

fn pnpm(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    if args.iter().any(|a| a == "-c" || a == "--shell-mode") {
        return Err(exec_option("shell mode"));
    }
    let Some(at) = args.iter().position(|a| !a.starts_with('-')) else {
        return Ok(());
    };
    match args[at].as_str() {
        "exec" | "dlx" => npx(w, &args[at + 1..]),
        _ => Ok(()),
    }
}

fn pip(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "tdwrc",
        &[
            "--log",
            "--target",
            "--root",
            "--prefix",
            "--src",
            "--dest",
            "--wheel-dir",
            "--report",
            "--requirement",
            "--constraint",
        ],
    );
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('t' | 'd' | 'w', Some(path))
            | Opt::Long(
                "--log" | "--target" | "--root" | "--prefix" | "--src" | "--dest" | "--wheel-dir"
                | "--report",
                Some(path),
            ) => w.write(path)?,
            Opt::Short('r' | 'c', Some(file))
            | Opt::Long("--requirement" | "--constraint", Some(file)) => w.read(file)?,
            _ => {}
        }
    }
    Ok(())
}

const UV_RUN: Spec = Spec::new(
    "pPiwfC",
    &[
        "--with",
        "--with-editable",
        "--with-requirements",
        "--python",
        "--package",
        "--extra",
        "--group",
        "--only-group",
        "--no-group",
        "--env-file",
        "--directory",
        "--project",
        "--index",
        "--default-index",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--index-strategy",
        "--keyring-provider",
        "--resolution",
        "--prerelease",
        "--exclude-newer",
        "--link-mode",
        "--reinstall-package",
        "--refresh-package",
        "--upgrade-package",
        "--config-file",
        "--cache-dir",
        "--color",
        "--config-setting",
        "--python-platform",
        "--from",
    ],
);

/// A runner's options, then the command it runs.
fn run_nested(w: &mut Walker<'_>, args: &[String], spec: Spec) -> Result<(), Violation> {
    let mut opts = Opts::new(args, spec);
    while let Some(opt) = opts.next() {
        match opt {
            Opt::Long("--directory" | "--project", Some(dir)) => w.read(dir)?,
            Opt::Operand(_) => return w.command(opts.operand_onward()),
            _ => {}
        }
    }
    Ok(())
}

fn uv(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let Some(at) = args.iter().position(|a| !a.starts_with('-')) else {
        return Ok(());
    };
    let rest = &args[at + 1..];
    match (args[at].as_str(), rest.first().map(String::as_str)) {
        ("run", _) => run_nested(w, rest, UV_RUN),
        ("tool", Some("run")) => run_nested(w, &rest[1..], UV_RUN),
        ("pip", _) => pip(w, rest),
        _ => Ok(()),
    }
}

/// `poetry run CMD`, `conda run -n env CMD`, `bundle exec CMD`.
fn subcommand_runs(
    w: &mut Walker<'_>,
    args: &[String],
    sub: &str,
    spec: Spec,
) -> Result<(), Violation> {
    match args.iter().position(|a| !a.starts_with('-')) {
        Some(at) if args[at] == sub => run_nested(w, &args[at + 1..], spec),
        _ => Ok(()),
    }
}

fn cargo(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for opt in Opts::new(
        args,
        Spec::new("CZ", &["--config", "--target-dir", "--manifest-path"]),
    ) {
        match opt {
            // A config value can set a runner, a linker or a rustc wrapper.
            Opt::Long("--config", _) => return Err(exec_option("`cargo --config`")),
            Opt::Long("--manifest-path" | "--target-dir", Some(path))
            | Opt::Short('C', Some(path)) => w.read(path)?,
            _ => {}
        }
    }
    Ok(())
}

fn go(_: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for (i, arg) in args.iter().enumerate() {
        let name = arg.split_once('=').map_or(arg.as_str(), |(n, _)| n);
        if matches!(name, "-toolexec" | "--toolexec" | "-exec" | "--exec") {
            return Err(exec_option("this go option"));
        }
        if arg == "env" && args.get(i + 1).is_some_and(|a| a == "-w") {
            return Err(exec_option("`go env -w`"));
        }
    }
    Ok(())
}

/// make splices command-line variables into recipes that it hands to a
/// shell, so a value is refused if a shell would read it as more than words,
/// and its words are walked as a command (`CC='sh -c id'`).
fn make(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "fCIoWj",
        &[
            "--file",
            "--makefile",
            "--directory",
            "--include-dir",
            "--eval",
        ],
    );
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('E', _) | Opt::Long("--eval", _) => {
                return Err(exec_option("`make --eval`"));
            }
            Opt::Short('f' | 'C' | 'I', Some(path))
            | Opt::Long("--file" | "--makefile" | "--directory" | "--include-dir", Some(path)) => {
                w.read(path)?
            }
            Opt::Operand(word) => {
                let Some((name, value)) = word.split_once('=') else {
                    continue;
                };
                let name = name.trim_end_matches([':', '?', '+', '!']);
                let spliced = value.contains([
                    ';', '|', '&', '<', '>', '(', ')', '$', '`', '\\', '"', '\'', '\n', '*', '?',
                    '[', ']', '{', '}', '~', '#', '!',
                ]);
                if spliced
                    || matches!(
                        name,
                        "SHELL"
                            | ".SHELLFLAGS"
                            | "MAKEFLAGS"
                            | "MFLAGS"
                            | "MAKE"
                            | "MAKESHELL"
                            | "MAKEFILES"
                    )
                {
                    return Err(exec_option("this make variable"));
                }
                if let Ok(words) = shell_words::split(value) {
                    w.command(&words)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// How an interpreter takes code inline.
#[derive(Clone, Copy)]
struct Lang {
    /// Short letters that take inline code (`-c`, `-e`).
    inline: &'static str,
    /// Long names that take inline code (`--eval`).
    inline_long: &'static [&'static str],
    spec: Spec,
    /// Short letters whose value is only the rest of their bundle (perl's `-l0`).
    attached: &'static str,
    /// A short letter after which the interpreter's own options end (`-m`).
    ends: &'static str,
    /// Short letters that take optional digits, then the bundle goes on
    /// (perl's `-l0`, `-00`).
    digits: &'static str,
}

const PYTHON: Lang = Lang {
    inline: "c",
    inline_long: &[],
    spec: Spec::new("mWXQ", &["--check-hash-based-pycs"]),
    attached: "",
    ends: "m",
    digits: "",
};
const PERL: Lang = Lang {
    inline: "eE",
    inline_long: &[],
    spec: Spec::new("", &[]),
    attached: "CdDFiImMx",
    ends: "",
    digits: "l0",
};
const RUBY: Lang = Lang {
    inline: "e",
    inline_long: &[],
    spec: Spec::new("CEIr", &[]),
    attached: "FKTWxi",
    ends: "",
    digits: "0",
};
const NODE: Lang = Lang {
    inline: "ep",
    inline_long: &["--eval", "--print"],
    spec: Spec::new(
        "rC",
        &[
            "--require",
            "--import",
            "--loader",
            "--experimental-loader",
            "--input-type",
            "--title",
            "--env-file",
            "--conditions",
        ],
    ),
    attached: "",
    ends: "",
    digits: "",
};
const PHP: Lang = Lang {
    inline: "rBREd",
    inline_long: &[],
    spec: Spec::new("cfzt", &[]),
    attached: "",
    ends: "",
    digits: "",
};
const LUA: Lang = Lang {
    inline: "e",
    inline_long: &[],
    spec: Spec::new("l", &[]),
    attached: "",
    ends: "",
    digits: "",
};
const R: Lang = Lang {
    inline: "e",
    inline_long: &["--expr"],
    spec: Spec::new("", &[]),
    attached: "",
    ends: "",
    digits: "",
};
const JULIA: Lang = Lang {
    inline: "eE",
    inline_long: &["--eval", "--print"],
    spec: Spec::new("pJLCt", &["--project", "--sysimage", "--load", "--threads"]),
    attached: "",
    ends: "",
    digits: "",
};
const EVAL_E: Lang = Lang {
    inline: "e",
    inline_long: &["--eval"],
    spec: Spec::new("", &[]),
    attached: "",
    ends: "",
    digits: "",
};
const EVAL_C: Lang = Lang {
    inline: "c",
    inline_long: &[],
    spec: Spec::new("", &[]),
    attached: "",
    ends: "",
    digits: "",
};

fn interpreter_of(name: &str) -> Option<Lang> {
    Some(match name {
        "python" | "pypy" => PYTHON,
        "perl" => PERL,
        "ruby" => RUBY,
        "node" | "nodejs" | "bun" => NODE,
        "php" => PHP,
        "lua" | "luajit" => LUA,
        "rscript" | "r" => R,
        "julia" => JULIA,
        "osascript" | "jrunscript" | "groovy" | "scala" | "elixir" | "racket" => EVAL_E,
        "expect" | "guile" => EVAL_C,
        _ => return None,
    })
}

/// An interpreter runs a script file (fine: the same as running the file)
/// or code written into its arguments (refused).
fn interpreter(w: &mut Walker<'_>, args: &[String], lang: Lang) -> Result<(), Violation> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == "--" || arg == "-" || !arg.starts_with('-') {
            // The script, then its own arguments.
            return if arg.starts_with('-') {
                Ok(())
            } else {
                w.operand(arg)
            };
        }
        if let Some(long) = arg.strip_prefix("--") {
            let name = long.split_once('=').map_or(long, |(n, _)| n);
            if lang.inline_long.iter().any(|l| l[2..] == *name) {
                return Err(inline_code());
            }
            continue;
        }
        let mut skip_digits = false;
        for (at, c) in arg[1..].char_indices() {
            if skip_digits && c.is_ascii_digit() {
                continue;
            }
            skip_digits = lang.digits.contains(c);
            if skip_digits {
                continue;
            }
            if lang.inline.contains(c) {
                return Err(inline_code());
            }
            if lang.attached.contains(c) {
                if matches!(c, 'M' | 'm')
                    && arg[at + 2..].contains([';', '(', '{', '`', ' ', '\'', '"'])
                {
                    return Err(inline_code());
                }
                break;
            }
            if lang.ends.contains(c) {
                return Ok(());
            }
            if lang.spec.short_values.contains(c) {
                // A value letter last in its word takes the next word.
                if at + 2 == arg.len() {
                    i += 1;
                }
                break;
            }
        }
    }
    Ok(())
}

fn deno(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    match args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str)
    {
        Some("eval") => Err(inline_code()),
        Some("repl") if args.iter().any(|a| a.starts_with("--eval")) => Err(inline_code()),
        _ => interpreter(w, args, EVAL_E),
    }
}

/// Words that, anywhere in the arguments, make the program run code.
fn refuse_words(
    args: &[String],
    words: &[&str],
    error: fn() -> Violation,
) -> Result<(), Violation> {
    for arg in args {
        let name = arg.split_once('=').map_or(arg.as_str(), |(n, _)| n);
        if words.contains(&name) {
            return Err(error());
        }
    }
    Ok(())
}

fn vim(_: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for arg in args {
        let ex_command = arg.strip_prefix('+').is_some_and(|rest| {
            !rest.is_empty() && !rest.starts_with('/') && !rest.bytes().all(|b| b.is_ascii_digit())
        });
        if ex_command || matches!(arg.as_str(), "-c" | "--cmd") || arg.starts_with("-c") {
            return Err(inline_code());
        }
    }
    Ok(())
}

fn sqlite3(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut i = 0;
    let mut db_seen = false;
    while let Some(arg) = args.get(i) {
        i += 1;
        let text = if arg == "-cmd" {
            i += 1;
            args.get(i - 1).map_or("", String::as_str)
        } else if arg == "-init" {
            i += 1;
            continue;
        } else if arg.starts_with('-') {
            continue;
        } else if !db_seen {
            db_seen = true;
            w.operand(arg)?;
            continue;
        } else {
            arg.as_str()
        };
        let dot = text.trim_start().to_ascii_lowercase();
        if dot.starts_with(".sh") || dot.starts_with(".sys") || dot.starts_with(".load") {
            return Err(exec_option("this sqlite3 dot-command"));
        }
        if (dot.starts_with(".once") || dot.starts_with(".output") || dot.starts_with(".excel"))
            && dot.contains('|')
        {
            return Err(exec_option("an output pipe"));
        }
        if let Some(file) = dot
            .strip_prefix(".output")
            .or_else(|| dot.strip_prefix(".once"))
        {
            let file = file.trim();
            if !file.is_empty() {
                w.write(file)?;
            }
        }
    }
    Ok(())
}

fn mysql(_: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for opt in Opts::new(args, Spec::new("e", &["--execute"])) {
        if let Opt::Short('e', Some(sql)) | Opt::Long("--execute", Some(sql)) = opt {
            let lower = sql.to_ascii_lowercase();
            if lower.contains("\\!") || lower.split_whitespace().any(|w| w == "system") {
                return Err(exec_option("the client's `system` command"));
            }
        }
    }
    Ok(())
}

fn psql(_: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for opt in Opts::new(args, Spec::new("cfo", &["--command", "--file", "--output"])) {
        match opt {
            Opt::Short('c', Some(sql)) | Opt::Long("--command", Some(sql)) => {
                let lower = sql.to_ascii_lowercase();
                if lower.contains("\\!") || lower.contains("program") || lower.contains('|') {
                    return Err(exec_option("a psql shell escape"));
                }
            }
            Opt::Short('o', Some(_)) | Opt::Long("--output", Some(_)) => {
                return Err(exec_option("`psql -o`"));
            }
            _ => {}
        }
    }
    Ok(())
}

fn less(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    for opt in Opts::new(args, Spec::new("oOkt", &["--log-file", "--LOG-FILE"])) {
        match opt {
            Opt::Short('o' | 'O', Some(file))
            | Opt::Long("--log-file" | "--LOG-FILE", Some(file)) => w.write(file)?,
            Opt::Operand(word) if word.starts_with('+') => {
                return Err(exec_option("an initial pager command"));
            }
            Opt::Operand(word) => w.operand(word)?,
            _ => {}
        }
    }
    Ok(())
}

fn grep(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "efmABCdD",
        &[
            "--regexp",
            "--file",
            "--max-count",
            "--after-context",
            "--before-context",
            "--context",
            "--label",
            "--include",
            "--exclude",
            "--exclude-from",
            "--exclude-dir",
            "--binary-files",
            "--devices",
            "--directories",
            "--color",
            "--colour",
            "--group-separator",
        ],
    );
    search(w, args, spec, &[])
}

fn rg(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "efgmABCEtTMjr",
        &[
            "--regexp",
            "--file",
            "--glob",
            "--iglob",
            "--max-count",
            "--type",
            "--type-not",
            "--pre",
            "--pre-glob",
            "--replace",
            "--encoding",
            "--max-columns",
            "--threads",
            "--after-context",
            "--before-context",
            "--context",
            "--ignore-file",
            "--path-separator",
            "--sort",
            "--sortr",
            "--type-add",
            "--max-depth",
            "--max-filesize",
            "--colors",
            "--engine",
            "--context-separator",
        ],
    );
    search(w, args, spec, &["--pre"])
}

/// grep-like: a pattern (unless `-e`/`-f` gave one), then paths.
fn search(w: &mut Walker<'_>, args: &[String], spec: Spec, exec: &[&str]) -> Result<(), Violation> {
    let mut pattern_given = false;
    let mut pattern_seen = false;
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Long(name, _) if exec.contains(&name) => {
                return Err(exec_option("a preprocessor"));
            }
            Opt::Short('e', _) | Opt::Long("--regexp", _) => pattern_given = true,
            Opt::Short('f', Some(file))
            | Opt::Long("--file" | "--exclude-from" | "--ignore-file", Some(file)) => {
                pattern_given = true;
                w.read(file)?;
            }
            Opt::Operand(_) if !pattern_given && !pattern_seen => pattern_seen = true,
            Opt::Operand(word) => w.operand(word)?,
            _ => {}
        }
    }
    Ok(())
}

fn sort(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "ktToS",
        &[
            "--output",
            "--compress-program",
            "--temporary-directory",
            "--files0-from",
            "--random-source",
            "--key",
            "--field-separator",
            "--buffer-size",
        ],
    );
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Long("--compress-program", _) => {
                return Err(exec_option("`sort --compress-program`"));
            }
            Opt::Short('o', Some(file)) | Opt::Long("--output", Some(file)) => w.write(file)?,
            Opt::Short('T', Some(path))
            | Opt::Long(
                "--temporary-directory" | "--files0-from" | "--random-source",
                Some(path),
            ) => w.read(path)?,
            Opt::Operand(word) => w.operand(word)?,
            _ => {}
        }
    }
    Ok(())
}

/// File tools: options are flags or values, operands are paths.
fn files(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let mut options_end = false;
    for arg in args {
        if !options_end && arg == "--" {
            options_end = true;
            continue;
        }
        if !options_end && arg.starts_with('-') {
            if let Some((name, value)) = arg.split_once('=')
                && matches!(name, "--files0-from" | "--target-directory" | "--reference")
            {
                w.read(value)?;
            }
            continue;
        }
        w.operand(arg)?;
    }
    Ok(())
}
