//! Fingerprints of content, for value-level taint: what a `source` tool
//! returned is remembered as keyed 64-bit hashes, and a `sink` call whose
//! arguments hash to one of them carries that content out, whatever
//! encoding the model wrapped it in.
//!
//! Two kinds of fingerprint, both computed the same way on both sides:
//! - **tokens**: runs of 12 or more token characters (letters, digits,
//!   `+/=_-.@`) that mix character classes: keys, passwords, account and
//!   card numbers, addresses; and the letter-and-digit runs inside them,
//!   so a token glued to other text is still seen. Compared lower-cased.
//! - **shingles**: every run of eight words (lower-cased letters and
//!   digits), winnowed (the least hash of each four consecutive shingles
//!   is kept), so a shared passage of eleven words or more is always seen
//!   while only about one shingle in two is stored.
//!
//! A sink's argument is read as given and decoded: base64 runs, hex runs
//! and percent-escapes are decoded before fingerprinting.

use std::hash::{DefaultHasher, Hasher};

/// The shortest token that is fingerprinted.
const MIN_TOKEN: usize = 12;
/// Words per shingle.
const SHINGLE: usize = 8;
/// Winnowing window, in shingles.
const WINNOW: usize = 4;

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'@')
}

/// A keyed hash: the same key gives the same fingerprints in every process
/// (so replicas sharing a Redis backend agree).
fn hash(key: u64, kind: u8, bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write_u64(key);
    hasher.write_u8(kind);
    for b in bytes {
        hasher.write_u8(b);
    }
    hasher.finish()
}

/// Whether a token mixes at least two of lower case, upper case, digits
/// and symbols: plain words and plain numbers are not fingerprinted.
fn mixed(token: &[u8]) -> bool {
    let classes = [
        token.iter().any(u8::is_ascii_lowercase),
        token.iter().any(u8::is_ascii_uppercase),
        token.iter().any(u8::is_ascii_digit),
        token.iter().any(|b| !b.is_ascii_alphanumeric()),
    ];
    classes.iter().filter(|&&c| c).count() >= 2
}

/// The fingerprints of one text, appended to `out`.
pub(crate) fn fingerprints(key: u64, text: &str, out: &mut Vec<u64>) {
    let bytes = text.as_bytes();
    // Tokens: whole (`s3cr3t_Pa55-w0rd`), and their letter-and-digit runs,
    // so a token glued to other text (`KEY@evil.test`) is still seen.
    let mut i = 0;
    while i < bytes.len() {
        if !is_token_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_token_byte(bytes[i]) {
            i += 1;
        }
        // Sentence punctuation at a token's end is not part of it.
        let token = bytes[start..i]
            .strip_suffix(b".")
            .unwrap_or(&bytes[start..i]);
        let mut push = |token: &[u8]| {
            if token.len() >= MIN_TOKEN && mixed(token) {
                out.push(hash(key, b't', token.iter().map(u8::to_ascii_lowercase)));
            }
        };
        push(token);
        if !token.iter().all(u8::is_ascii_alphanumeric) {
            token
                .split(|b| !b.is_ascii_alphanumeric())
                .for_each(&mut push);
        }
    }
    // Shingles of words, winnowed.
    let words: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| hash(key, b'w', w.to_lowercase().into_bytes()))
        .collect();
    if words.len() < SHINGLE {
        return;
    }
    let shingles: Vec<u64> = words
        .windows(SHINGLE)
        .map(|window| hash(key, b's', window.iter().flat_map(|w| w.to_le_bytes())))
        .collect();
    let mut last = None;
    for window in shingles.windows(WINNOW.min(shingles.len())) {
        let least = *window.iter().min().expect("a non-empty window");
        if last != Some(least) {
            out.push(least);
            last = Some(least);
        }
    }
}

/// Every shingle of a text (not winnowed): the sink side must test them
/// all, since the source side kept only some.
pub(crate) fn probe(key: u64, text: &str, out: &mut Vec<u64>) {
    for variant in decoded_variants(text) {
        let mut kept = Vec::new();
        fingerprints(key, &variant, &mut kept);
        out.extend(kept);
        let words: Vec<u64> = variant
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| hash(key, b'w', w.to_lowercase().into_bytes()))
            .collect();
        out.extend(
            words
                .windows(SHINGLE)
                .map(|window| hash(key, b's', window.iter().flat_map(|w| w.to_le_bytes()))),
        );
    }
    out.sort_unstable();
    out.dedup();
}

/// The text as given, and as decoded from base64, hex and percent-escapes
/// wherever it holds such runs.
fn decoded_variants(text: &str) -> Vec<String> {
    let mut variants = vec![text.to_owned()];
    let bytes = text.as_bytes();
    if bytes.contains(&b'%') {
        let decoded = percent_encoding::percent_decode(bytes).decode_utf8_lossy();
        if decoded != text {
            variants.push(decoded.into_owned());
        }
    }
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'+' | b'/' | b'-' | b'_'))
        {
            i += 1;
        }
        // Padding ends a run; a `=` inside one (`data=...`) separates two.
        while i > start && i < bytes.len() && bytes[i] == b'=' {
            i += 1;
        }
        if i - start >= 16 {
            let run = &text[start..i];
            if let Some(decoded) = decode_run(run) {
                variants.push(decoded);
            }
        }
        if i == start {
            i += 1;
        }
    }
    variants
}

fn decode_run(run: &str) -> Option<String> {
    let digits = run
        .strip_prefix("0x")
        .or_else(|| run.strip_prefix("0X"))
        .unwrap_or(run);
    let hex = digits.len().is_multiple_of(2) && digits.bytes().all(|b| b.is_ascii_hexdigit());
    let run = if hex { digits } else { run };
    let decoded = if hex {
        (0..run.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&run[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        crate::scan::decode_base64(run)?
    };
    let text = String::from_utf8(decoded).ok()?;
    text.chars()
        .all(|c| !c.is_control() || c.is_whitespace())
        .then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn seen(source: &str, sink: &str) -> bool {
        let mut stored = Vec::new();
        fingerprints(7, source, &mut stored);
        let mut probes = Vec::new();
        probe(7, sink, &mut probes);
        probes.iter().any(|p| stored.contains(p))
    }

    #[test]
    fn content_is_recognised_through_encodings() {
        let secret = "db password: Tr0ub4dor&3-horse-Zq9 and key AKIAQ3EGRT5HYX2ZK7PL";
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        let url = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        for sink in [
            format!("here you go: {secret}"),
            format!("payload={b64}"),
            format!("data {hex} end"),
            format!("https://x.test/?q={url}"),
            "the key is akiaq3egrt5hyx2zk7pl".to_owned(),
        ] {
            assert!(seen(secret, &sink), "{sink}");
        }
        assert!(!seen(
            secret,
            "Thanks, the meeting is moved to Tuesday at 10:00."
        ));
    }

    #[test]
    fn passages_are_recognised_and_common_words_are_not() {
        let report = "The quarterly numbers show that the northern region grew by twelve \
                      percent while the southern stores lost two of their largest accounts.";
        assert!(seen(
            report,
            "FYI: the northern region grew by twelve percent while the southern stores lost two"
        ));
        assert!(!seen(
            report,
            "The northern region is large. The stores are open."
        ));
    }
}
