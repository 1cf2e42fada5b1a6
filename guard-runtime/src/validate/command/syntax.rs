//! Shell syntax: the text is read as a POSIX shell would quote it, and every
//! construct the shell itself would interpret is refused, because the words
//! are run without one.

use crate::validate::Violation;

/// Walks the text as a POSIX shell would quote it and refuses every
/// construct the shell itself would interpret. Single quotes make
/// everything literal; double quotes still expand `$` and backticks.
pub(super) fn scan(value: &str) -> Result<(), Violation> {
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
