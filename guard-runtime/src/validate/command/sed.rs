//! sed scripts, read command by command as GNU sed reads them: `e` and the
//! `s///e` flag run a command, `w`/`W` and `s///w` write a file, `r`/`R`
//! read one. `--sandbox` makes sed itself refuse all of them.

use crate::validate::Violation;

use super::chain::{Opt, Opts, Spec, Walker, exec_option};

pub(super) fn check(w: &mut Walker<'_>, args: &[String]) -> Result<(), Violation> {
    let spec = Spec::new("efl", &["--expression", "--file", "--line-length"]);
    let mut scripts = Vec::new();
    let mut script_given = false;
    let mut sandbox = false;
    for opt in Opts::new(args, spec) {
        match opt {
            Opt::Short('e', Some(script)) | Opt::Long("--expression", Some(script)) => {
                scripts.push(script);
                script_given = true;
            }
            Opt::Short('f', Some(file)) | Opt::Long("--file", Some(file)) => {
                w.read(file)?;
                script_given = true;
            }
            Opt::Long("--sandbox", _) => sandbox = true,
            Opt::Operand(script) if !script_given => {
                scripts.push(script);
                script_given = true;
            }
            Opt::Operand(file) => w.operand(file)?,
            _ => {}
        }
    }
    if sandbox {
        return Ok(());
    }
    scripts.into_iter().try_for_each(|s| script(w, s))
}

/// Walks one script's commands.
fn script(w: &Walker<'_>, text: &str) -> Result<(), Violation> {
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b';') {
            i += 1;
        }
        if i >= b.len() {
            return Ok(());
        }
        i = address(b, i);
        if b.get(i) == Some(&b',') {
            i = address(b, i + 1);
        }
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'!') {
            i += 1;
        }
        let Some(&command) = b.get(i) else {
            return Ok(());
        };
        i += 1;
        match command {
            b'e' => return Err(exec_option("sed's `e` command")),
            b'w' | b'W' => {
                let (name, next) = to_line_end(text, i);
                w.write(name)?;
                i = next;
            }
            b'r' | b'R' => {
                let (name, next) = to_line_end(text, i);
                w.read(name)?;
                i = next;
            }
            b'a' | b'i' | b'c' => i = text_argument(b, i),
            b'#' => i = to_line_end(text, i).1,
            b':' | b'b' | b't' | b'T' | b'v' => {
                while i < b.len() && b[i] != b';' && b[i] != b'\n' {
                    i += 1;
                }
            }
            b's' | b'y' => {
                let Some(&delim) = b.get(i) else {
                    return Ok(());
                };
                i = delimited(b, i + 1, delim);
                i = delimited(b, i, delim);
                if command == b's' {
                    while let Some(&flag) = b.get(i) {
                        match flag {
                            b'e' => return Err(exec_option("the `s///e` flag")),
                            b'w' => {
                                let (name, next) = to_line_end(text, i + 1);
                                w.write(name)?;
                                i = next;
                                break;
                            }
                            b'g' | b'p' | b'i' | b'I' | b'm' | b'M' | b'0'..=b'9' => i += 1,
                            _ => break,
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Skips one address: a line number (with `~step`), `$`, or a regex.
fn address(b: &[u8], mut i: usize) -> usize {
    match b.get(i) {
        Some(b'0'..=b'9' | b'+' | b'~') => {
            while i < b.len() && (b[i].is_ascii_digit() || matches!(b[i], b'~' | b'+')) {
                i += 1;
            }
        }
        Some(b'$') => i += 1,
        Some(b'/') => i = delimited(b, i + 1, b'/'),
        Some(b'\\') if i + 1 < b.len() => i = delimited(b, i + 2, b[i + 1]),
        _ => return i,
    }
    while i < b.len() && matches!(b[i], b'I' | b'M') {
        i += 1;
    }
    i
}

/// The index after the next unescaped `delim` from `i`.
fn delimited(b: &[u8], mut i: usize, delim: u8) -> usize {
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == delim {
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// A file name runs to the end of the line (`w out.txt`), spaces trimmed.
fn to_line_end(text: &str, i: usize) -> (&str, usize) {
    let i = i.min(text.len());
    let end = text[i..].find('\n').map_or(text.len(), |p| i + p);
    (text[i..end].trim(), end)
}

/// `a text`, `a\` + lines: the text ends at an unescaped newline.
fn text_argument(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == b'\n' {
            return i;
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::super::verdict as code;

    #[test]
    fn scripts_that_run_or_write_are_refused() {
        for (line, expected) in [
            ("sed -n '1,5p' notes.md", "ok"),
            ("sed 's/a/b/g' notes.md", "ok"),
            ("sed -E 's|x|y|2;/^#/d' f", "ok"),
            ("sed '/end/q' f", "ok"),
            ("sed 's/exec/run/' f", "ok"),
            ("sed 'a\\ appended' f", "ok"),
            ("sed 'w out.txt' f", "ok"),
            ("sed '1e id' f", "command.exec_option"),
            ("sed 's/x/id/e' f", "command.exec_option"),
            ("sed -e 's/a/b/' -e '$e touch X' f", "command.exec_option"),
            ("sed -n '1w /etc/cron.d/x' f", "command.write_option"),
            ("sed 's/a/b/w /tmp/x' f", "command.write_option"),
            ("sed --sandbox '1e id' f", "ok"),
            ("sed '/a/,/b/{s/x/y/;e id\n}' f", "command.exec_option"),
        ] {
            assert_eq!(code(line), expected, "{line}");
        }
    }
}
