use super::Finding;

/// Replaces each finding with a typed placeholder (`[REDACTED:aws_access_key]`),
/// keeping the rest of the text intact. Overlapping or out-of-range findings
/// are resolved (earliest, then longest wins); cost is linear in the text.
///
/// ```
/// use guard_runtime::scan::{SecretScanner, redact};
///
/// let text = "key=AKIAQ3EGRT5HYX2ZK7PL ok";
/// let findings = SecretScanner::global().scan(text);
/// assert_eq!(redact(text, &findings), "key=[REDACTED:aws_access_key] ok");
/// ```
pub fn redact(text: &str, findings: &[Finding]) -> String {
    let mut spans: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.start < f.end
                && f.end <= text.len()
                && text.is_char_boundary(f.start)
                && text.is_char_boundary(f.end)
        })
        .collect();
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in spans {
        if f.start < at {
            continue;
        }
        out.push_str(&text[at..f.start]);
        out.push_str("[REDACTED:");
        out.push_str(f.kind);
        out.push(']');
        at = f.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Text from outside (a tool's error, an output for the audit log) cut to
/// `max_chars`, control characters removed, and credentials redacted.
pub(crate) fn without_secrets(text: &str, max_chars: usize) -> String {
    let text = crate::outcome::safe_text(text, max_chars);
    let findings = super::SecretScanner::global().scan(&text);
    if findings.is_empty() {
        text
    } else {
        redact(&text, &findings)
    }
}
