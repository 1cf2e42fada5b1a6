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
/// (SipHash reads its input as one byte stream, so writing a slice at once
/// gives what writing its bytes one by one gives, only faster.)
fn hash(key: u64, kind: u8, bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write_u64(key);
    hasher.write_u8(kind);
    hasher.write(bytes);
    hasher.finish()
}

/// A word's hash, lower-cased (without allocating for ASCII words).
fn word_hash(key: u64, word: &str, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    if word.is_ascii() {
        buf.extend(word.bytes().map(|b| b.to_ascii_lowercase()));
    } else {
        buf.extend_from_slice(word.to_lowercase().as_bytes());
    }
    hash(key, b'w', buf)
}

/// A shingle's hash: its words' hashes, in order.
fn shingle_hash(key: u64, window: &[u64]) -> u64 {
    let mut bytes = [0u8; SHINGLE * 8];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(window) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    hash(key, b's', &bytes[..window.len() * 8])
}

/// The hashes of a text's words.
fn word_hashes(key: u64, text: &str) -> Vec<u64> {
    let mut buf = Vec::new();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| word_hash(key, w, &mut buf))
        .collect()
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
        let mut lowered = Vec::new();
        let mut push = |token: &[u8]| {
            if token.len() >= MIN_TOKEN && mixed(token) {
                lowered.clear();
                lowered.extend(token.iter().map(u8::to_ascii_lowercase));
                out.push(hash(key, b't', &lowered));
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
    let words = word_hashes(key, text);
    if words.len() < SHINGLE {
        return;
    }
    let shingles: Vec<u64> = words
        .windows(SHINGLE)
        .map(|window| shingle_hash(key, window))
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
        let words = word_hashes(key, &variant);
        out.extend(
            words
                .windows(SHINGLE)
                .map(|window| shingle_hash(key, window)),
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

    #[test]
    fn slice_hashes_equal_byte_by_byte_hashes() {
        // Fingerprints already stored (in Redis) stay valid.
        let mut one_by_one = DefaultHasher::new();
        one_by_one.write_u64(7);
        one_by_one.write_u8(b'w');
        for b in b"exfiltrate" {
            one_by_one.write_u8(*b);
        }
        assert_eq!(hash(7, b'w', b"exfiltrate"), one_by_one.finish());
    }

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
