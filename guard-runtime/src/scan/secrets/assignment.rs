//! The generic `name = value` rule and the model of values that are not
//! secrets: references to a secret kept elsewhere, placeholders, template
//! variables, identifiers and prose.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::scan::rules::secrets::SECRET_NAMES;

/// How far before its word a secret's name can start (`private_` of
/// `private_key`, `client_` of `client_secret`).
const NAME_LEAD: usize = 16;

/// The longest line part read after a name word.
const MAX_LINE: usize = 4096;

/// The parts of `text` the assignment pattern can match in: from a little
/// before each name word (`pass`, `pwd`, `secret`, `key`, `token`,
/// `credential`: every secret name holds one; `names` are their spans, by
/// end, as the literal pass finds them) to the end of its line, overlapping
/// parts merged.
pub(super) fn windows(text: &str, names: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for &(name_start, name_end) in names {
        // Also skips a name overlapping the one before (`secretoken`): it
        // ends inside that one's window.
        if windows.last().is_some_and(|&(_, end)| name_end <= end) {
            continue;
        }
        let mut start = name_start.saturating_sub(NAME_LEAD);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        let limit = (name_end + MAX_LINE).min(bytes.len());
        let mut end =
            memchr::memchr(b'\n', &bytes[name_end..limit]).map_or(limit, |n| name_end + n);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        match windows.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => windows.push((start, end)),
        }
    }
    windows
}

/// The generic assignment pattern: a secret-like name, an assignment
/// operator, then a quoted or bare value of eight characters or more.
pub(super) fn pattern() -> String {
    format!(
        r#"(?i){SECRET_NAMES}[A-Za-z0-9_]*['"]?\s*(?::=|=>|[=:])\s*@?(?:"([^"\n]{{8,}})"|'([^'\n]{{8,}})'|`([^`\n]{{8,}})`|([^\s'"`,;]{{8,}}))"#
    )
}

/// A whole value that names a secret kept elsewhere: `${DB_PASSWORD}`,
/// `$TOKEN`, `{{ secrets.KEY }}`, `%API_KEY%`, `<your-key>`, `os.environ[...]`.
static ENV_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_.:-]*\}?|\{\{[^}]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%|<[^>]*>|(?:os\.)?(?:environ|getenv|env)\b.*|process\.env\..*)$")
        .expect("env reference pattern")
});

/// The characters a match of [`ENV_REFERENCE`] can start with.
const ENV_REFERENCE_STARTS: [char; 8] = ['$', '{', '%', '<', 'o', 'e', 'g', 'p'];

/// Values that stand in for a secret rather than being one.
pub(super) fn is_placeholder(secret: &str) -> bool {
    const STAND_INS: [&str; 12] = [
        "password",
        "passwd",
        "pass",
        "secret",
        "changeme",
        "admin",
        "root",
        "test",
        "mypassword",
        "yourpassword",
        "123456",
        "12345678",
    ];
    STAND_INS.iter().any(|s| secret.eq_ignore_ascii_case(s))
        || STAND_IN_PARTS.is_match(secret)
        // A digest stands for a value; guard's audit writes secrets this way.
        || secret.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("sha256:"))
        // Words with spaces are prose ("My Admin API Key"), not a credential.
        || (secret.matches(' ').count() >= 2 && secret.chars().all(|c| c.is_alphabetic() || c == ' '))
        || secret.bytes().all(|b| b == secret.as_bytes()[0])
        // Only these bytes start a reference: most values skip the regex.
        || (secret.starts_with(ENV_REFERENCE_STARTS) && ENV_REFERENCE.is_match(secret))
}

/// Parts of a value that make it a stand-in, in any case.
static STAND_IN_PARTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "example",
            "xxxx",
            "****",
            "....",
            "your_",
            "your-",
            "placeholder",
            "changeme",
            "replace",
            "dummy",
            "redacted",
        ])
        .expect("stand-in parts")
});

/// The pattern's `\s` (`[[:space:]]`).
fn is_space(b: &u8) -> bool {
    crate::scan::is_ascii_space(*b)
}

/// Where the value lies in a match of [`pattern`]: after the name, an
/// optional quote, the operator and an optional `@`; inside its quotes
/// when it is quoted. The pattern backtracks: `=>` and `:=` are read as
/// `=` and `:`, and `@` as part of the value, when only then is what
/// follows a whole value. The readings are tried in the pattern's order.
pub(super) fn value_span(m: &str) -> Option<(usize, usize)> {
    let b = m.as_bytes();
    let skip = |mut i: usize, test: fn(&u8) -> bool| {
        while b.get(i).is_some_and(test) {
            i += 1;
        }
        i
    };
    let mut i = skip(0, |c| c.is_ascii_alphanumeric() || *c == b'_');
    if matches!(b.get(i), Some(b'\'' | b'"')) {
        i += 1;
    }
    i = skip(i, is_space);
    let operators: &[usize] = match (b.get(i), b.get(i + 1)) {
        (Some(b':'), Some(b'=')) | (Some(b'='), Some(b'>')) => &[2, 1],
        (Some(b'=' | b':'), _) => &[1],
        _ => return None,
    };
    for &operator in operators {
        let at = skip(i + operator, is_space);
        let starts: &[usize] = if b.get(at) == Some(&b'@') {
            &[1, 0]
        } else {
            &[0]
        };
        for &skipped in starts {
            if let Some(span) = whole_value(m, at + skipped) {
                return Some(span);
            }
        }
    }
    None
}

/// The value of the pattern's alternatives that `m[from..]` is, whole: a
/// quoted one (the span inside the quotes) or an unquoted one.
fn whole_value(m: &str, from: usize) -> Option<(usize, usize)> {
    let value = &m[from..];
    let long_enough = |s: &str| s.chars().nth(7).is_some();
    match value.as_bytes().first()? {
        &q @ (b'"' | b'\'' | b'`') => {
            let inner = value.get(1..value.len() - 1)?;
            (value.len() >= 2
                && value.as_bytes()[value.len() - 1] == q
                && !inner.bytes().any(|c| c == q || c == b'\n')
                && long_enough(inner))
            .then_some((from + 1, m.len() - 1))
        }
        _ => (!value
            .bytes()
            .any(|c| is_space(&c) || matches!(c, b'\'' | b'"' | b'`' | b',' | b';'))
            && long_enough(value))
        .then_some((from, m.len())),
    }
}

/// Template syntax around a whole value: `{SumoAccessKey}`, `[[token]]`,
/// `%(password)s`, `$(cat key)`, `@Value("${...}")`.
static TEMPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:\{\s*[A-Za-z_][A-Za-z0-9_.-]*\s*\}|\[\[\s*[A-Za-z_][A-Za-z0-9_. ]*\]\]|%\([A-Za-z_][A-Za-z0-9_]*\)s|\$\([A-Za-z_][^)]*\))$",
    )
    .expect("template pattern")
});

/// The characters a match of [`TEMPLATE`] can start with.
const TEMPLATE_STARTS: [char; 4] = ['{', '[', '%', '$'];

/// Values of a generic assignment that are names or ids rather than
/// secrets: lower-case words joined by `-`, `_`, `.` or `/` with at most
/// short digit runs (`cmp2-qat-1208358310`, `my_app.db_user`), snake or
/// kebab case identifiers, version strings, paths and host names.
pub(super) fn is_identifier_like(value: &str) -> bool {
    // Only these bytes start a template: most values skip the regex.
    if value.starts_with(TEMPLATE_STARTS) && TEMPLATE.is_match(value) {
        return true;
    }
    let segments = || {
        value
            .split(['-', '_', '.', '/', ':'])
            .filter(|s| !s.is_empty())
    };
    if segments().nth(1).is_none() {
        return false;
    }
    // Every segment reads as a word, a word with a short number on its end,
    // or a number: nothing of the mixed-case, mixed-digit texture of a key.
    segments().all(|segment| {
        let letters = segment.trim_end_matches(|c: char| c.is_ascii_digit());
        let digits = segment.len() - letters.len();
        (letters.is_empty() && digits <= 12)
            || (letters.bytes().all(|b| b.is_ascii_lowercase()) && digits <= 4)
            || (letters.bytes().all(|b| b.is_ascii_uppercase()) && digits == 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::rules::LITERALS;

    /// The windows as first written: a case-insensitive search of the name
    /// words of its own.
    fn windows_by_own_search(text: &str) -> Vec<(usize, usize)> {
        let words = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["pass", "pwd", "secret", "key", "token", "credential"])
            .unwrap();
        let names: Vec<(usize, usize)> = words
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        windows(text, &names)
    }

    /// Texts of name words, values, whitespace runs and long lines, in a
    /// fixed pseudo-random order.
    fn texts() -> Vec<String> {
        const PIECES: &[&str] = &[
            "Password",
            "db_pass",
            "API_KEY",
            "secretoken",
            "credentials",
            "pwd",
            "token",
            "KeY",
            " = ",
            ": ",
            "\"hX9#kL2$mQ7@pR4z\"",
            "s3cr3t_Pa55",
            "  ",
            "\n",
            "\t\t",
            " \n  ",
            "the report",
            "monkey",
            "passpass",
            "x",
        ];
        crate::scan::generated_texts(PIECES, 200, 300, 0x9e37_79b9_7f4a_7c15)
            .enumerate()
            .map(|(n, mut text)| {
                if n % 10 == 0 {
                    // A line longer than the part read after a name.
                    text.push_str(&"a".repeat(5000));
                    text.push_str(" token = abcdefgh12");
                }
                text
            })
            .collect()
    }

    /// The first-character checks skip no match: every prefix the regexes'
    /// own parser finds starts with one of the characters.
    #[test]
    fn first_character_checks_cover_every_match() {
        use regex_syntax::hir::literal::Extractor;
        for (regex, starts) in [
            (&*ENV_REFERENCE, &ENV_REFERENCE_STARTS[..]),
            (&*TEMPLATE, &TEMPLATE_STARTS[..]),
        ] {
            let hir = regex_syntax::parse(regex.as_str()).unwrap();
            let prefixes = Extractor::new().extract(&hir);
            let literals = prefixes.literals().expect("finitely many prefixes");
            assert!(!literals.is_empty());
            for literal in literals {
                let first = literal.as_bytes().first().copied().map(char::from);
                assert!(first.is_some_and(|c| starts.contains(&c)), "{literal:?}");
            }
        }
    }

    #[test]
    fn windows_from_the_literal_pass_are_the_windows_of_an_own_search() {
        for text in texts() {
            let names = LITERALS.find_any_case(text.as_bytes()).secrets.names;
            assert_eq!(
                windows(&text, &names),
                windows_by_own_search(&text),
                "{text:.200}"
            );
            // Shared by the injection scan: found in the normalised text
            // (whitespace runs folded), mapped back.
            let (_, shared) = crate::scan::InjectionScanner::new().scan_sharing(&text);
            let shared = shared.keywords.expect("plain ASCII");
            assert_eq!(shared.names, names, "{text:.200}");
        }
    }

    #[test]
    fn ids_and_templates_are_not_secrets_but_keys_are() {
        for value in [
            "cmp2-qat-1208358310",
            "{SumoAccessKey}",
            "[[ vault_token ]]",
            "%(password)s",
            "$(cat /run/secrets/db)",
            "my_app.db_user",
            "prod-eu-west-1",
            "DB_PASSWORD_FILE",
        ] {
            assert!(is_identifier_like(value), "{value}");
        }
        for value in [
            "hX9#kL2$mQ7@pR4z",
            "xBqp7pgysA5kd1Us",
            "Zk3-p9Qx-77aB-w2Lm",
            "s3cr3t_Pa55-w0rd",
        ] {
            assert!(!is_identifier_like(value), "{value}");
        }
    }
}
