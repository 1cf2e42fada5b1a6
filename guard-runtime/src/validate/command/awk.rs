//! awk programs, tokenised as awk reads them (strings, regex literals and
//! comments skipped): `system()`, pipes (`print | "cmd"`, `"cmd" | getline`,
//! `|&`) and `@load` run code; `print > "file"` writes; `getline < "file"`
//! reads. gawk's `--sandbox` makes awk itself refuse all of them.

use crate::validate::Violation;

use super::chain::{Opt, Opts, Spec, Walker, exec_option};

pub(super) fn check(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new(
        "fvFeilE",
        &[
            "--file",
            "--assign",
            "--field-separator",
            "--source",
            "--include",
            "--load",
            "--exec",
        ],
    );
    let mut programs = Vec::new();
    let mut given = false;
    let mut sandbox = false;
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('l', _) | Opt::Long("--load", _) => {
                return Err(exec_option("loading an awk extension"));
            }
            Opt::Short('f' | 'i' | 'E', Some(file))
            | Opt::Long("--file" | "--include" | "--exec", Some(file)) => {
                w.read(file)?;
                given = true;
            }
            Opt::Short('e', Some(text)) | Opt::Long("--source", Some(text)) => {
                programs.push(text);
                given = true;
            }
            Opt::Short('S', _) | Opt::Long("--sandbox", _) => sandbox = true,
            Opt::Operand(text) if !given => {
                programs.push(text);
                given = true;
            }
            // `var=value` assigns; anything else is an input file.
            Opt::Operand(word) if !is_assignment(word) => w.operand(word)?,
            _ => {}
        }
    }
    if sandbox {
        return Ok(());
    }
    programs.into_iter().try_for_each(|p| program(w, p))
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Scans one program's tokens.
fn program(w: &Walker<'_>, text: &str) -> Result<(), Violation> {
    let b = text.as_bytes();
    let mut i = 0;
    // Whether the last token ends an operand (so `/` divides, not a regex).
    let mut after_operand = false;
    // The paren depth a print statement started at; `>` there redirects.
    let mut print_depth: Option<usize> = None;
    let mut depth = 0usize;
    let mut after_getline = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' => {
                i = string_end(b, i + 1);
                after_operand = true;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if !after_operand => {
                i = regex_end(b, i + 1);
                after_operand = true;
                continue;
            }
            b'|' => {
                if b.get(i + 1) == Some(&b'|') {
                    i += 2;
                    after_operand = false;
                    continue;
                }
                return Err(exec_option("an awk pipe"));
            }
            b'>' if print_depth == Some(depth) => {
                let mut j = i + 1;
                if b.get(j) == Some(&b'>') {
                    j += 1;
                }
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                if b.get(j) == Some(&b'"') {
                    let end = string_end(b, j + 1);
                    w.write(&text[j + 1..end.saturating_sub(1).max(j + 1)])?;
                } else {
                    return Err(Violation::new(
                        "command.write_option",
                        "the awk program writes to a file it names at run time",
                    ));
                }
                i = j;
                continue;
            }
            b'<' if after_getline => {
                let mut j = i + 1;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                if b.get(j) == Some(&b'"') {
                    let end = string_end(b, j + 1);
                    w.read(&text[j + 1..end.saturating_sub(1).max(j + 1)])?;
                }
                i += 1;
                continue;
            }
            b'@' => {
                if text[i + 1..].trim_start().starts_with("load") {
                    return Err(exec_option("`@load`"));
                }
                i += 1;
                continue;
            }
            b'(' | b'[' => {
                depth += 1;
                after_operand = false;
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                after_operand = true;
            }
            b';' | b'\n' | b'{' | b'}' => {
                print_depth = None;
                after_getline = false;
                after_operand = false;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                match word {
                    "system" => return Err(exec_option("awk's `system()`")),
                    "print" | "printf" => {
                        print_depth = Some(depth);
                        after_operand = false;
                    }
                    "getline" => {
                        after_getline = true;
                        after_operand = true;
                    }
                    "return" | "in" | "case" => after_operand = false,
                    _ => after_operand = true,
                }
                continue;
            }
            c if c.is_ascii_digit() || c == b'$' => after_operand = c != b'$',
            c if c.is_ascii_whitespace() => {}
            _ => after_operand = false,
        }
        i += 1;
    }
    Ok(())
}

/// The index after the closing quote of a string starting at `i`.
fn string_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn regex_end(b: &[u8], mut i: usize) -> usize {
    let mut class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'[' => {
                class = true;
                i += 1;
            }
            b']' => {
                class = false;
                i += 1;
            }
            b'/' if !class => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::super::verdict as code;

    #[test]
    fn programs_that_run_or_write_are_refused() {
        for (line, expected) in [
            ("awk '{print $1}' access.log", "ok"),
            ("awk -F, '$3 > 100 {n++} END {print n}' data.csv", "ok"),
            ("awk '/a|b/ {print}' f", "ok"),
            ("awk '$1 ~ /x|y/ || $2 > 3' f", "ok"),
            ("awk 'BEGIN {print \"a|b\"}'", "ok"),
            ("awk '{print ($1 > $2)}' f", "ok"),
            ("awk '{print > \"out.txt\"}' f", "ok"),
            ("awk 'BEGIN {system(\"touch X\")}'", "command.exec_option"),
            ("awk 'BEGIN {print \"id\" | \"sh\"}'", "command.exec_option"),
            (
                "awk 'BEGIN {\"id\" | getline x; print x}'",
                "command.exec_option",
            ),
            (
                "awk 'BEGIN {print \"x\" |& \"cat\"}'",
                "command.exec_option",
            ),
            (
                "awk '{print > \"/etc/cron.d/x\"}' f",
                "command.write_option",
            ),
            ("awk '{print >> $2}' f", "command.write_option"),
            ("gawk -l filefuncs 'BEGIN {}'", "command.exec_option"),
            ("awk --sandbox 'BEGIN {system(\"id\")}'", "ok"),
            ("awk -v cmd=id 'BEGIN {system(cmd)}'", "command.exec_option"),
        ] {
            assert_eq!(code(line), expected, "{line}");
        }
    }
}
