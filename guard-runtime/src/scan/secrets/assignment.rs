//! The generic `name = value` rule and the model of values that are not
//! secrets: references to a secret kept elsewhere, placeholders, template
//! variables, identifiers and prose.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use crate::scan::rules::secrets::SECRET_NAMES;
use crate::scan::{char_count, is_ascii_word};

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

/// Every secret name, in any ASCII case: where a match of [`pattern`] can
/// start (regex-syntax's literals of the name alternation, so the two
/// cannot drift apart).
static NAME_STARTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let names = regex_syntax::parse(SECRET_NAMES).expect("the names parse");
    let prefixes = regex_syntax::hir::literal::Extractor::new().extract(&names);
    // [`find`] takes a literal found for a whole name: each must be one.
    assert!(prefixes.is_exact(), "the secret names are plain words");
    let literals = prefixes.literals().expect("the names are a finite set");
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build(literals.iter().map(|l| l.as_bytes()))
        .expect("plain literals")
});

/// Whether `text` holds a character that [`pattern`]'s `(?i)` reads as an
/// ASCII letter: the long s (U+017F) as `s`, the Kelvin sign (U+212A) as
/// `k`. [`find`] reads names in ASCII case only, so such text takes the
/// regex.
pub(super) fn folds_to_ascii(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find(bytes, "\u{17F}".as_bytes()).is_some()
        || memchr::memmem::find(bytes, "\u{212A}".as_bytes()).is_some()
}

/// The leftmost match at or after `at` of [`pattern`], read directly, in
/// text without the characters [`folds_to_ascii`] looks for: a regex
/// search per match costs more than the reading, and a text can assign a
/// token every few bytes.
///
/// A match starts at a name and runs on over word characters, so every
/// name inside one run of them reads on alike: once one fails, the others
/// in its run are skipped. That keeps the reading linear.
pub(super) fn find(text: &str, at: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut from = at;
    let mut failed_run_end = 0;
    while let Some(name) = NAME_STARTS.find(aho_corasick::Input::new(bytes).span(from..bytes.len()))
    {
        let start = name.start();
        from = start + 1;
        if start < failed_run_end {
            continue;
        }
        let name_end = start + name_len(&bytes[start..]);
        if let Some(end) = after_name(bytes, name_end) {
            return Some((start, end));
        }
        failed_run_end = name_end;
    }
    None
}

/// The length of the name at the start of `b`: its word characters (the
/// name and the pattern's `[A-Za-z0-9_]*` after it).
fn name_len(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| is_ascii_word(c)).count()
}

/// Where a match ends whose name's word characters end at `i`: the first
/// of the value's possible starts that holds a whole value.
fn after_name(b: &[u8], i: usize) -> Option<usize> {
    value_starts(b, i).find_map(|from| value_end(b, from))
}

/// Where the value can start after a name whose word characters end at
/// `i`: past an optional quote, the operator and an optional `@`, in the
/// order the pattern tries them. It backtracks: `:=` and `=>` are also
/// read as `:` and `=`, and an `@` as part of the value.
fn value_starts(b: &[u8], mut i: usize) -> impl Iterator<Item = usize> {
    let skip_spaces = |mut i: usize| {
        while b.get(i).is_some_and(is_space) {
            i += 1;
        }
        i
    };
    if matches!(b.get(i), Some(b'\'' | b'"')) {
        i += 1;
    }
    i = skip_spaces(i);
    let operators: &[usize] = match (b.get(i), b.get(i + 1)) {
        (Some(b':'), Some(b'=')) | (Some(b'='), Some(b'>')) => &[2, 1],
        (Some(b'=' | b':'), _) => &[1],
        _ => &[],
    };
    let (mut starts, mut count) = ([0; 4], 0);
    for &operator in operators {
        let at = skip_spaces(i + operator);
        let skips: &[usize] = if b.get(at) == Some(&b'@') {
            &[1, 0]
        } else {
            &[0]
        };
        for &skipped in skips {
            starts[count] = at + skipped;
            count += 1;
        }
    }
    starts.into_iter().take(count)
}

/// Where the value starting at `from` ends, if it is one of the pattern's:
/// quoted (eight characters or more, no line break, up to the closing
/// quote) or bare (eight or more, up to whitespace, a quote, `,` or `;`).
fn value_end(b: &[u8], from: usize) -> Option<usize> {
    let long_enough = |s: &[u8]| char_count(s) >= 8;
    match *b.get(from)? {
        quote @ (b'"' | b'\'' | b'`') => {
            let inside = &b[from + 1..];
            let close = from + 1 + inside.iter().position(|&c| c == quote || c == b'\n')?;
            (b[close] == quote && long_enough(&b[from + 1..close])).then_some(close + 1)
        }
        _ => {
            let len = b[from..]
                .iter()
                .take_while(|c| !is_space(c) && !matches!(c, b'\'' | b'"' | b'`' | b',' | b';'))
                .count();
            long_enough(&b[from..from + len]).then_some(from + len)
        }
    }
}

/// Where the value lies in a match of [`pattern`]: after the name, an
/// optional quote, the operator and an optional `@`; inside its quotes
/// when it is quoted. The pattern backtracks: `=>` and `:=` are read as
/// `=` and `:`, and `@` as part of the value, when only then is what
/// follows a whole value. The readings are tried in the pattern's order.
pub(super) fn value_span(m: &str) -> Option<(usize, usize)> {
    let b = m.as_bytes();
    value_starts(b, name_len(b)).find_map(|from| whole_value(m, from))
}

/// The value of the pattern's alternatives that `m[from..]` is, whole: a
/// quoted one (the span inside the quotes) or an unquoted one.
fn whole_value(m: &str, from: usize) -> Option<(usize, usize)> {
    let b = m.as_bytes();
    (value_end(b, from)? == b.len()).then(|| {
        if matches!(b[from], b'"' | b'\'' | b'`') {
            (from + 1, b.len() - 1)
        } else {
            (from, b.len())
        }
    })
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

    /// The direct reading against the detector's regex, from every start
    /// position of generated text: names in any case and inside words,
    /// quotes, whitespace, each operator, `@`, values one character short
    /// and long enough, multi-byte characters, separators.
    #[test]
    fn the_direct_reading_is_the_regex() {
        const PIECES: &[&str] = &[
            "password",
            "PASS",
            "Token",
            "api_key",
            "apiKey",
            "secret_key",
            "my",
            "x",
            "_",
            "9",
            "'",
            "\"",
            "`",
            " ",
            "\u{b}",
            "\t",
            "\n",
            "=",
            ":",
            ":=",
            "=>",
            "@",
            ",",
            ";",
            "abcdefg",
            "abcdefgh",
            "é",
            "ééééééé",
            "tokentoken",
            "s3cr3tvalue",
            "\"s3cr3tvalue\"",
            "'quoted value'",
            "`ab`",
            "pass = @hunter22",
        ];
        let regex = crate::scan::ascii_regex(&pattern()).unwrap();
        let texts = crate::scan::generated_texts(PIECES, 3_000, 16, 0xa55e_7b1e)
            .inspect(|text| assert!(!folds_to_ascii(text)));
        let matched = crate::scan::assert_reads_as_regex(&regex, find, texts);
        assert!(matched > 1_000, "{matched}");
    }

    /// The characters the direct reading leaves to the regex are the only
    /// ones `(?i)` reads as ASCII letters.
    #[test]
    fn only_the_long_s_and_the_kelvin_sign_fold_to_ascii_letters() {
        let letter = regex::Regex::new("(?i)^[a-z]$").unwrap();
        let folding: Vec<char> = (0x80..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| letter.is_match(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert_eq!(folding, ['\u{17F}', '\u{212A}']);
        assert!(folds_to_ascii("api_\u{212A}ey = abcdefgh"));
        assert!(folds_to_ascii("pa\u{17F}s = abcdefgh"));
    }

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
