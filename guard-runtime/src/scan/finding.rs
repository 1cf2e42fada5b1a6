use serde::Serialize;

/// What a scanner found, where: a byte span of the scanned text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A stable id: `aws_access_key`, `email`, `injection.override`, ...
    pub kind: &'static str,
    /// Start byte offset (inclusive).
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

impl Finding {
    pub(crate) fn new(kind: &'static str, start: usize, end: usize) -> Self {
        Finding { kind, start, end }
    }
}

/// Keeps the earliest, then longest, of overlapping findings.
pub(crate) fn dedup_overlaps(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        match kept.last() {
            Some(last) if finding.start < last.end => {}
            _ => kept.push(finding),
        }
    }
    kept
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(text: &str) -> f64 {
    let bytes = text.as_bytes();
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    // Each distinct byte once, in the order met: cost grows with the text,
    // not with the alphabet. Bytes met equally often share one logarithm
    // (most of a random token's bytes occur once); the sum is the same,
    // term for term.
    let mut terms = [f64::NAN; 16];
    let mut bits = 0.0;
    for &b in bytes {
        let c = std::mem::take(&mut counts[usize::from(b)]);
        if c > 0 {
            let known = terms.get_mut(c as usize);
            let term = match known {
                Some(term) if !term.is_nan() => *term,
                _ => {
                    let p = f64::from(c) / len;
                    let term = p * p.log2();
                    if let Some(slot) = known {
                        *slot = term;
                    }
                    term
                }
            };
            bits -= term;
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    /// The entropy with one logarithm per distinct byte, as it was.
    fn plain_entropy(text: &str) -> f64 {
        let bytes = text.as_bytes();
        let mut counts = [0u32; 256];
        for &b in bytes {
            counts[usize::from(b)] += 1;
        }
        let len = bytes.len() as f64;
        let mut bits = 0.0;
        for &b in bytes {
            let c = std::mem::take(&mut counts[usize::from(b)]);
            if c > 0 {
                let p = f64::from(c) / len;
                bits -= p * p.log2();
            }
        }
        bits
    }

    /// Shared logarithms change no bit of the result.
    #[test]
    fn shared_logarithms_give_the_same_entropy() {
        const PIECES: &[&str] = &["a", "b", "ab", "abc", "x9", "Zz", "é", "0", "-", "aaaa"];
        for text in crate::scan::generated_texts(PIECES, 5_000, 60, 0x51ed_270b) {
            assert_eq!(
                super::entropy(&text).to_bits(),
                plain_entropy(&text).to_bits(),
                "{text:?}"
            );
        }
    }
}
