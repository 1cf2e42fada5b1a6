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
    let mut counts = [0u32; 256];
    for b in text.bytes() {
        counts[b as usize] += 1;
    }
    let len = text.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}
