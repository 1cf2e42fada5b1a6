//! A text shape several scanners test for: long runs of base64 characters,
//! where encoded payloads, tokens and keys live. Found once per text and
//! shared.

/// Bytes of the standard and URL-safe base64 alphabets, and padding.
const BASE64: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_');
        i += 1;
    }
    table
};

/// The shortest run reported.
pub(crate) const MIN_RUN: usize = 24;

/// Whether `b` can be part of a base64 run.
pub(crate) fn is_base64(b: u8) -> bool {
    BASE64[usize::from(b)]
}

/// The bytes a base64 run decodes to: URL-safe when it holds `-` or `_`,
/// standard otherwise, padding optional.
pub(crate) fn decode_base64(run: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let engine = if run.contains(['-', '_']) {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    engine.decode(run.trim_end_matches('=')).ok()
}

/// Each maximal run of at least [`MIN_RUN`] base64 bytes, as `(start, end)`.
pub(crate) fn base64_runs(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A run of MIN_RUN that starts in `i..=k` covers `k` whenever
        // `k < i + MIN_RUN`: the last byte in that window that cannot be in
        // a run rules out every start up to it.
        if let Some(window) = bytes.get(i..i + MIN_RUN)
            && let Some(k) = window.iter().rposition(|&b| !is_base64(b))
        {
            i += k + 1;
            continue;
        }
        if is_base64(bytes[i]) && (i == 0 || !is_base64(bytes[i - 1])) {
            let start = i;
            while i < bytes.len() && is_base64(bytes[i]) {
                i += 1;
            }
            if i - start >= MIN_RUN {
                runs.push((start, i));
            }
            continue;
        }
        i += 1;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every maximal run, the slow way.
    fn runs_plainly(bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut runs = Vec::new();
        let mut start = None;
        for (i, &b) in bytes.iter().chain([b' '].iter()).enumerate() {
            match (is_base64(b), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if i - s >= MIN_RUN {
                        runs.push((s, i));
                    }
                    start = None;
                }
                _ => {}
            }
        }
        runs
    }

    #[test]
    fn finds_every_long_run_and_no_short_one() {
        let token = "aWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM=";
        for text in [
            token.to_string(),
            format!("x {token}"),
            format!("{token}."),
            format!("a.{}.b {} c", &token[..24], &token[..23]),
            format!("{}!{}", &token[..30], &token[..25]),
            "short words only, nothing long here at all".to_string(),
            format!("\"{}\" and {}", "A".repeat(40), "b".repeat(200)),
        ] {
            assert_eq!(
                base64_runs(text.as_bytes()),
                runs_plainly(text.as_bytes()),
                "{text}"
            );
        }
        assert_eq!(
            base64_runs(format!("x {token} y").as_bytes()),
            [(2, 2 + token.len())]
        );
    }
}
