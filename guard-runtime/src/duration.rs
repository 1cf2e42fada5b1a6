//! The one duration grammar: `500ms`, `5s`, `2m`, `1h`. The policy file
//! reads durations with it, and `#[secure_tool(timeout = "..")]` has the
//! compiler evaluate it (a `const`), so the two cannot drift apart.

use std::time::Duration;

/// What a duration must look like, for error messages.
pub(crate) const EXPECTED: &str = "a positive duration such as \"500ms\", \"5s\", \"2m\" or \"1h\"";

/// `text` as milliseconds: digits, then `ms`, `s`, `m` or `h`. `None`
/// for anything else, including an overflow.
pub(crate) const fn parse_millis(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut number: u64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        number = match number.checked_mul(10) {
            Some(n) => match n.checked_add((bytes[i] - b'0') as u64) {
                Some(n) => n,
                None => return None,
            },
            None => return None,
        };
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let (_, unit) = bytes.split_at(i);
    let factor = match unit {
        b"ms" => 1,
        b"s" => 1_000,
        b"m" => 60_000,
        b"h" => 3_600_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// A positive duration in the grammar, as the policy file reads it.
pub(crate) fn parse_positive(text: &str) -> Option<Duration> {
    match parse_millis(text) {
        Some(ms) if ms > 0 => Some(Duration::from_millis(ms)),
        _ => None,
    }
}

/// The `timeout` of `#[secure_tool]`, evaluated by the compiler: an
/// invalid value fails the build at the attribute.
pub const fn attribute_timeout(text: &str) -> Duration {
    match parse_millis(text) {
        Some(ms) if ms > 0 => Duration::from_millis(ms),
        _ => panic!("`timeout` is a positive duration such as \"500ms\", \"5s\", \"2m\" or \"1h\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_reads_four_units_and_nothing_else() {
        for (text, ms) in [
            ("500ms", Some(500)),
            ("5s", Some(5_000)),
            ("2m", Some(120_000)),
            ("1h", Some(3_600_000)),
            ("0s", Some(0)),
            ("5", None),
            ("1d", None),
            ("ms", None),
            ("5 s", None),
            ("5sm", None),
            ("-5s", None),
            ("99999999999999999999s", None),
            ("18446744073709551615h", None),
        ] {
            assert_eq!(parse_millis(text), ms, "{text}");
        }
        assert_eq!(parse_positive("0s"), None);
        assert_eq!(attribute_timeout("2m"), Duration::from_secs(120));
    }
}
