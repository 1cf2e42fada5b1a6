//! PEM private-key blocks, read line by line: the header, header fields
//! (`Proc-Type: ...`), base64 lines, and the END line when there is one.
//! A block without an END line ends at its last base64 line, so a lone
//! header costs one line, not the rest of the text.

use memchr::memmem;

/// A PEM private-key block: its label (`RSA PRIVATE KEY`) and byte span.
pub(super) struct Block<'t> {
    pub label: &'t str,
    pub start: usize,
    pub end: usize,
}

/// The longest body followed: an RSA-16384 key in PEM is about 12 KiB.
const MAX_BODY: usize = 64 * 1024;

/// Every private-key block in `text`, in order.
pub(super) fn private_key_blocks(text: &str) -> Vec<Block<'_>> {
    let bytes = text.as_bytes();
    let finder = memmem::Finder::new(b"-----BEGIN ");
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(at) = finder.find(&bytes[from..]) {
        let start = from + at;
        let label_from = start + "-----BEGIN ".len();
        // The label ends at the next `-----` on the same line.
        let line_end = memchr::memchr(b'\n', &bytes[label_from..])
            .map_or(bytes.len(), |n| label_from + n)
            .min(label_from + 64);
        let Some(label_len) = memmem::find(&bytes[label_from..line_end], b"-----") else {
            from = label_from;
            continue;
        };
        let label = &text[label_from..label_from + label_len];
        let header_end = label_from + label_len + "-----".len();
        if !(label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK")) {
            from = header_end;
            continue;
        }
        let end = body_end(bytes, header_end, label);
        blocks.push(Block { label, start, end });
        from = end.max(header_end);
    }
    blocks
}

/// Where the block whose header ends at `at` ends: after its END line,
/// or after its last body line when there is none.
fn body_end(bytes: &[u8], at: usize, label: &str) -> usize {
    let limit = (at + MAX_BODY).min(bytes.len());
    let mut end = at;
    let mut pos = at;
    loop {
        // Each line starts after a break: a real one, or `\n` written out
        // inside a string.
        let line_start = match (bytes.get(pos), bytes.get(pos + 1)) {
            (Some(b'\r' | b'\n'), _) => pos + 1,
            (Some(b'\\'), Some(b'n' | b'r')) => pos + 2,
            _ => return end,
        };
        if line_start >= limit {
            return end;
        }
        let line_len = bytes[line_start..limit]
            .iter()
            .position(|&b| matches!(b, b'\r' | b'\n' | b'\\'))
            .unwrap_or(limit - line_start);
        let line = &bytes[line_start..line_start + line_len];
        if let Some(rest) = line.strip_prefix(b"-----END ") {
            return match rest.strip_prefix(label.as_bytes()) {
                Some(tail) if tail.starts_with(b"-----") => line_start + 9 + label.len() + 5,
                _ => end,
            };
        }
        let base64 = line
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        let field = [&b"Proc-Type:"[..], b"DEK-Info:", b"Version:", b"Comment:"]
            .iter()
            .any(|name| line.starts_with(name));
        if !line.is_empty() && (base64 || field) {
            end = line_start + line_len;
        } else if !line.is_empty() {
            return end;
        }
        pos = line_start + line_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(&str, &str)> {
        private_key_blocks(text)
            .into_iter()
            .map(|b| (b.label, &text[b.start..b.end]))
            .collect()
    }

    #[test]
    fn whole_blocks_with_and_without_an_end_line() {
        let key = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMIIEow\nAAKC==\n-----END RSA PRIVATE KEY-----";
        assert_eq!(spans(&format!("x\n{key}\ny")), [("RSA PRIVATE KEY", key)]);
        let open = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\nIBAAKCAQ";
        assert_eq!(
            spans(&format!("{open}\nthe rest is prose.\nmore")),
            [("EC PRIVATE KEY", open)]
        );
        let escaped = r"-----BEGIN PRIVATE KEY-----\nMIIEvQIB\n-----END PRIVATE KEY-----";
        assert_eq!(
            spans(&format!("{{\"key\": \"{escaped}\"}}")),
            [("PRIVATE KEY", escaped)]
        );
        // A lone header is reported by itself; public keys are not.
        assert_eq!(
            spans("-----BEGIN OPENSSH PRIVATE KEY-----\nthen prose"),
            [("OPENSSH PRIVATE KEY", "-----BEGIN OPENSSH PRIVATE KEY-----")]
        );
        assert!(spans("-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----").is_empty());
    }

    #[test]
    fn many_headers_cost_one_line_each() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nword word\n".repeat(10_000);
        assert_eq!(private_key_blocks(&text).len(), 10_000);
    }
}
