//! Where a detector's secret lies in its match, read off the match text.
//!
//! A capture search runs a second, slower engine over every match; for a
//! pattern whose own shape fixes where the secret group starts and ends,
//! reading those positions off the match gives the same span. Each reader
//! here is checked against its detector's capture group on generated text.

/// `scheme://user:PASSWORD@host`: the user part holds no `:` and the
/// password no `@`, so the password runs from the first `:` after `://`
/// to the next `@`.
pub(super) fn url_password(m: &str) -> Option<(usize, usize)> {
    let bytes = m.as_bytes();
    let user = memchr::memmem::find(bytes, b"://")? + 3;
    let start = user + memchr::memchr(b':', &bytes[user..])? + 1;
    let end = start + memchr::memchr(b'@', &bytes[start..])?;
    Some((start, end))
}

/// `"VALUE" == name` or `name == "VALUE"`: the value holds no quote, so it
/// runs from the match's opening quote to the next one, or, when the match
/// starts with the name, from the last opening quote to the closing one.
pub(super) fn compared_value(m: &str) -> Option<(usize, usize)> {
    let quote = |c: char| matches!(c, '"' | '\'' | '`');
    if m.starts_with(quote) {
        let end = 1 + m[1..].find(quote)?;
        return Some((1, end));
    }
    let end = m.len().checked_sub(1)?;
    let start = m[..end].rfind(quote)? + 1;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::super::{DETECTORS, READERS, SecretScanner};

    /// Each reader, on every match its detector makes in generated text,
    /// gives the span of the first capture group that took part.
    #[test]
    fn each_reader_finds_its_detectors_capture_group() {
        const ASSIGNMENTS: &[&str] = &[
            "password",
            "Token",
            "api_key",
            "=",
            ":=",
            "=>",
            ":",
            "@",
            "s3cr3tvalue",
            "ada",
            "\"",
            "'",
            "`",
            " ",
            "x",
            "é",
            "\n",
            "\u{a0}",
            "\u{b}",
            "\t",
            "ftp://",
            ",",
        ];
        const URLS: &[&str] = &[
            "postgres://",
            "HTTPS://",
            "ftp://",
            "REDIS://",
            "mongodb+srv://",
            "ada",
            ":",
            "p4ss:w0rd",
            "s3cr3t",
            "@",
            "@@",
            "db.example.com",
            "/",
            " ",
            "x",
            "é",
            "\n",
            "redis://ada:p4ss:w0rd@db",
            "https://ada:s3cr3t!@h",
            "mysql://ro:",
        ];
        const COMPARISONS: &[&str] = &[
            "\"",
            "'",
            "`",
            "s3cr3tvalue",
            "hunter2hunter2",
            "==",
            "===",
            "!==",
            " != ",
            " ",
            "password",
            "api_key",
            "db.Token",
            "x",
            "é",
            "\n",
            "\"hunter2hunter2\" == password",
            "token != 's3cr3tvalue'",
        ];
        let scanner = SecretScanner::global();
        for (id, read) in READERS {
            let pieces = match id {
                "generic_secret_assignment" => ASSIGNMENTS,
                "secret_comparison" => COMPARISONS,
                _ => URLS,
            };
            let i = DETECTORS.iter().position(|d| d.id == id).unwrap();
            let regex = scanner.regexes[i].as_ref().unwrap();
            let mut matched = 0;
            for text in crate::scan::generated_texts(pieces, 10_000, 12, 0x5eed_5a11) {
                let by_group: Vec<Option<(usize, usize)>> = regex
                    .captures_iter(&text)
                    .map(|c| {
                        let g = (1..c.len()).find_map(|g| c.get(g)).unwrap();
                        Some((g.start(), g.end()))
                    })
                    .collect();
                let by_reader: Vec<Option<(usize, usize)>> = regex
                    .find_iter(&text)
                    .map(|m| read(m.as_str()).map(|(s, e)| (m.start() + s, m.start() + e)))
                    .collect();
                assert_eq!(by_reader, by_group, "{id}: {text:?}");
                matched += by_group.len();
            }
            assert!(matched > 300, "{id}: {matched} matches");
        }
    }
}
