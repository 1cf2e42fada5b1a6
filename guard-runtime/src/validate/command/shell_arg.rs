//! One argument handed to a program as a single argv element.

use crate::validate::Violation;

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
