//! Credentials in URLs (`scheme://user:password@host`), found directly.
//!
//! The two URL detectors' patterns are read at each `://` instead of being
//! searched for: a text can hold a URL every few bytes, and a regex search
//! per match costs more than the reading. Each finder gives the leftmost
//! match at or after a position, as the regex's `find_at` does, including
//! what its `(?i)` makes of the Kelvin sign and the long s (U+212A and
//! U+017F fold to `k` and `s`); a test compares them on generated text.

use std::sync::LazyLock;

use crate::scan::{char_count, is_ascii_space, is_ascii_word};

/// The schemes of `database_url_password`.
const DATABASE_SCHEMES: [&str; 14] = [
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "mssql",
    "sqlserver",
    "clickhouse",
    "cockroachdb",
];

/// The schemes of `url_password`.
const WEB_SCHEMES: [&str; 6] = ["http", "https", "ftp", "sftp", "smtp", "ldap"];

/// `database_url_password`: `\b(?:SCHEMES)://[^\s:/@]+:([^\s@/]{4,})@[^\s/]+`,
/// case-insensitive.
pub(super) fn database_url(text: &str, at: usize) -> Option<(usize, usize)> {
    find(text, at, &DATABASE_SCHEMES, 4, |rest| {
        rest.bytes()
            .take_while(|&b| !is_ascii_space(b) && b != b'/')
            .count()
    })
}

/// `url_password`: `\b(?:SCHEMES)://[^\s:/@]+:([^\s@/]{6,})@[A-Za-z0-9.-]+`,
/// case-insensitive.
pub(super) fn web_url(text: &str, at: usize) -> Option<(usize, usize)> {
    find(text, at, &WEB_SCHEMES, 6, |rest| {
        rest.chars()
            .take_while(|&c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '\u{17F}' | '\u{212A}')
            })
            .map(char::len_utf8)
            .sum()
    })
}

static SEPARATOR: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new(b"://"));

/// At each `://` from `at` on: a scheme that ends there and starts at a
/// word boundary no earlier than `at`, then the user, password and host
/// (`host` gives the host's length at the start of its text).
fn find(
    text: &str,
    at: usize,
    schemes: &[&str],
    shortest_password: usize,
    host: fn(&str) -> usize,
) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut from = at;
    while let Some(separator) = SEPARATOR.find(bytes.get(from..)?).map(|p| from + p) {
        from = separator + 1;
        // Only schemes that end in the byte before `://` (any, when it is
        // part of a long s or Kelvin sign).
        let Some(&last) = separator.checked_sub(1).and_then(|i| bytes.get(i)) else {
            continue;
        };
        let last = last.to_ascii_lowercase();
        let start = schemes
            .iter()
            .filter(|scheme| !last.is_ascii() || scheme.as_bytes().last() == Some(&last))
            .filter_map(|scheme| scheme_start(text, separator, scheme))
            .filter(|&start| start >= at && word_boundary(bytes, start))
            .min();
        if let Some(start) = start
            && let Some(end) = credential_end(text, separator + 3, shortest_password, host)
        {
            return Some((start, end));
        }
    }
    None
}

/// Where `scheme` starts if it ends at `end`, compared as `(?i)` does.
fn scheme_start(text: &str, end: usize, scheme: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let last = &bytes[end.saturating_sub(scheme.len())..end];
    if last.is_ascii() {
        // Then the characters a match would take are these bytes.
        return last
            .eq_ignore_ascii_case(scheme.as_bytes())
            .then(|| end - scheme.len());
    }
    let mut start = end;
    for wanted in scheme.chars().rev() {
        let c = text[..start].chars().next_back()?;
        let same = c.eq_ignore_ascii_case(&wanted)
            || (wanted == 's' && c == '\u{17F}')
            || (wanted == 'k' && c == '\u{212A}');
        if !same {
            return None;
        }
        start -= c.len_utf8();
    }
    Some(start)
}

/// The patterns' ASCII `\b` before `at`.
fn word_boundary(bytes: &[u8], at: usize) -> bool {
    let before = at.checked_sub(1).is_some_and(|i| is_ascii_word(bytes[i]));
    before != bytes.get(at).is_some_and(|&b| is_ascii_word(b))
}

/// After `://`: a user without whitespace, `:`, `/` or `@`; a `:`; a
/// password of at least `shortest` characters without whitespace, `@` or
/// `/`; an `@`; a host. Each run is as long as it can be: what ends it is
/// the only thing that can follow it.
fn credential_end(
    text: &str,
    user: usize,
    shortest: usize,
    host: fn(&str) -> usize,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let run = |from: usize, stop: &dyn Fn(u8) -> bool| {
        from + bytes[from..]
            .iter()
            .position(|&b| stop(b))
            .unwrap_or(bytes.len() - from)
    };
    let user_end = run(user, &|b| {
        is_ascii_space(b) || matches!(b, b':' | b'/' | b'@')
    });
    if user_end == user || bytes.get(user_end) != Some(&b':') {
        return None;
    }
    let password = user_end + 1;
    let password_end = run(password, &|b| is_ascii_space(b) || matches!(b, b'@' | b'/'));
    if char_count(&bytes[password..password_end]) < shortest
        || bytes.get(password_end) != Some(&b'@')
    {
        return None;
    }
    let host_start = password_end + 1;
    let host_len = host(&text[host_start..]);
    (host_len > 0).then_some(host_start + host_len)
}

#[cfg(test)]
mod tests {
    use super::super::{DETECTORS, FINDERS, SecretScanner};
    use super::*;

    /// Each finder against its detector's regex, from every start position
    /// of generated text.
    #[test]
    fn each_finder_is_its_detectors_regex() {
        const PIECES: &[&str] = &[
            "postgres://",
            "PostgreSQL://",
            "rediss://",
            "mongodb+srv://",
            "HTTPS://",
            "sftp://",
            "\u{17F}ftp://",
            "clic\u{212A}house://",
            "ftp",
            "://",
            "x",
            "_",
            "ada",
            ":",
            "p4ss:w0rd",
            "s3cr3t",
            "é",
            "@",
            "db.example.com",
            "\u{212A}\u{17F}",
            "/",
            " ",
            "\u{b}",
            "\n",
            "redis://ada:p4ss:w0rd@db",
            "https://ada:s3cr3t!@h",
            // A long s or Kelvin sign in the scheme, a password of
            // two-byte characters, whole.
            "x\u{17F}ftp://ada:s3cr3t@h",
            "clic\u{212A}house://u:pw12@h",
            "redis://a:ééé@h",
            "redis://a:éééé@h",
        ];
        let scanner = SecretScanner::global();
        for (id, find, _) in FINDERS
            .into_iter()
            .filter(|(id, _, _)| id.ends_with("url_password"))
        {
            let i = DETECTORS.iter().position(|d| d.id == id).unwrap();
            let regex = scanner.regexes[i].as_ref().unwrap();
            let texts = crate::scan::generated_texts(PIECES, 4_000, 14, 0x0u64.wrapping_sub(7));
            let matched = crate::scan::assert_reads_as_regex(regex, find, texts);
            assert!(matched > 300, "{id}: {matched} matches");
        }
    }

    /// Every scheme either detector knows, and some neither does, in a URL
    /// both would take: a scheme missing from a finder or its regex shows.
    #[test]
    fn the_finders_know_the_regexes_schemes() {
        let scanner = SecretScanner::global();
        let others = [
            "git", "ssh", "s3", "file", "jdbc", "ws", "wss", "ftps", "imap",
        ];
        for scheme in DATABASE_SCHEMES.iter().chain(&WEB_SCHEMES).chain(&others) {
            let text = format!("see {scheme}://ada:s3cr3tpw@db.example.com now");
            for (id, find, _) in FINDERS
                .into_iter()
                .filter(|(id, _, _)| id.ends_with("url_password"))
            {
                let i = DETECTORS.iter().position(|d| d.id == id).unwrap();
                let regex = scanner.regexes[i].as_ref().unwrap();
                let expected = regex.find(&text).map(|m| (m.start(), m.end()));
                assert_eq!(find(&text, 0), expected, "{id} {scheme}");
            }
        }
    }
}
