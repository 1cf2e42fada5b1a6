//! Content scanners, usable on their own: credentials ([`SecretScanner`]),
//! personal data ([`PiiScanner`]) and prompt injection
//! ([`InjectionScanner`]), with [`redact`] to replace what they find, and
//! [`ScanSet`] to run several over one text while doing their common work
//! (normalising, the literal pass) once.

mod finding;
mod injection;
mod learned;
mod literals;
mod normalize;
mod pii;
mod redact;
mod rules;
mod secrets;
mod set;
mod shape;

pub use finding::Finding;
pub use injection::{Detector, DetectorError, InjectionReport, InjectionScanner};
pub use learned::{ModelError, NgramModel, TrainOptions};
pub use pii::PiiScanner;
pub use redact::redact;
pub(crate) use redact::without_secrets;
pub use secrets::SecretScanner;
pub use set::{ScanSet, Scans};
pub(crate) use shape::decode_base64;

/// Whether variation selector `c` after `before` can only be carrying a
/// hidden byte: it follows another selector, or it is one of the
/// supplement's (U+E0100 to U+E01EF), which only CJK ideographs take.
pub(crate) fn smuggling_selector(before: char, c: char) -> bool {
    normalize::is_variation_selector(before)
        || (('\u{E0100}'..='\u{E01EF}').contains(&c)
            && !matches!(before, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}'))
}

/// Compiles a scanner pattern with ASCII classes: `\b`, `\w`, `\d` and
/// `\s` (and their negations) mean what they mean in ASCII text. On
/// non-ASCII text a Unicode `\b` sends the regex engine from its DFA to a
/// slow one, and a Unicode `\w` makes the DFA large; credentials, chat
/// tokens and the structures the scanners look for are ASCII.
pub(crate) fn ascii_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars().peekable();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let replacement = match (next, in_class > 0) {
                    ('b', false) => r"(?-u:\b)",
                    ('B', false) => r"(?-u:\B)",
                    ('w', false) => "[[:word:]]",
                    ('W', false) => "[^[:word:]]",
                    ('d', false) => "[0-9]",
                    ('D', false) => "[^0-9]",
                    ('s', false) => "[[:space:]]",
                    ('S', false) => "[^[:space:]]",
                    ('w', true) => "[:word:]",
                    ('W', true) => "[:^word:]",
                    ('d', true) => "0-9",
                    ('D', true) => "[:^digit:]",
                    ('s', true) => "[:space:]",
                    ('S', true) => "[:^space:]",
                    _ => {
                        out.push('\\');
                        out.push(next);
                        continue;
                    }
                };
                out.push_str(replacement);
            }
            '[' => {
                in_class += 1;
                out.push(c);
                // `[]...]` and `[^]...]` open a class whose first member is `]`.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().expect("peeked"));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().expect("peeked"));
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    regex::Regex::new(&out)
}

/// Whether a byte is whitespace in ASCII as Unicode and the scanner
/// patterns' `[[:space:]]` count it: vertical tab included, which
/// `u8::is_ascii_whitespace` leaves out.
#[inline]
pub(crate) fn is_ascii_space(b: u8) -> bool {
    b.is_ascii_whitespace() | (b == 0x0B)
}

/// Whether a byte is a word character for the scanner patterns' ASCII
/// `\b`: a letter, a digit or `_`.
#[inline]
pub(crate) fn is_ascii_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// How many characters UTF-8 bytes hold: every byte but the continuation
/// bytes starts one. (The patterns' counted repetitions count characters.)
pub(crate) fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// A direct reading against its regex, from every character boundary of
/// each text: `find(text, at)` must give the span `regex.find_at(text, at)`
/// gives. Returns how many of those matches start where the search did, so
/// that a caller can check the comparison met matches at all.
#[cfg(test)]
pub(crate) fn assert_reads_as_regex(
    regex: &regex::Regex,
    find: impl Fn(&str, usize) -> Option<(usize, usize)>,
    texts: impl Iterator<Item = String>,
) -> usize {
    let mut matched = 0;
    for text in texts {
        for at in (0..=text.len()).filter(|&at| text.is_char_boundary(at)) {
            let expected = regex.find_at(&text, at).map(|m| (m.start(), m.end()));
            assert_eq!(
                find(&text, at),
                expected,
                "{} {at} {text:?}",
                regex.as_str()
            );
            matched += usize::from(expected.is_some_and(|(start, _)| start == at));
        }
    }
    matched
}

/// Texts for comparing two readings of one thing: `count` texts, the n-th
/// made of `n % longest + 1` of `pieces`, picked in a fixed pseudo-random
/// order (xorshift from `seed`).
#[cfg(test)]
pub(crate) fn generated_texts(
    pieces: &'static [&'static str],
    count: usize,
    longest: usize,
    seed: u64,
) -> impl Iterator<Item = String> {
    let mut state = seed;
    (0..count).map(move |n| {
        let mut text = String::new();
        for _ in 0..(n % longest + 1) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        text
    })
}
