//! Credentials as a reader would see them, whatever the text did to hide
//! them: hidden characters removed and compatibility forms folded
//! (full-width `ＡＫＩＡ...` is `AKIA...`), and keys split by one space or
//! line break rejoined around the places a token's prefix occurs.

use memchr::memmem;
use unicode_normalization::UnicodeNormalization;

use super::super::normalize::{is_hidden, is_nfkc_stable, is_variation_selector};

/// A rewritten text and the way back to the original's byte offsets.
pub(super) struct Folded {
    pub text: String,
    /// For each byte of `text`, the original offset of its character.
    map: Vec<u32>,
    /// One past the original end of the last character.
    end: usize,
}

impl Folded {
    /// The original span of a span of the rewritten text.
    pub(super) fn original(&self, start: usize, end: usize, original: &str) -> (usize, usize) {
        let from = self.map.get(start).map_or(self.end, |&o| o as usize);
        let mut to = if end >= self.map.len() {
            self.end
        } else {
            self.map[end] as usize
        };
        to = to.max(from).min(original.len());
        while !original.is_char_boundary(to) {
            to += 1;
        }
        (from, to)
    }
}

/// `text` with hidden characters and variation selectors removed and NFKC
/// applied to every other non-ASCII character; `None` when that changes
/// nothing (all ASCII text, and most other text).
pub(super) fn fold(text: &str) -> Option<Folded> {
    if text.is_ascii() {
        return None;
    }
    // Most non-ASCII text needs nothing: find out before copying.
    let needed = text.chars().any(|c| {
        !c.is_ascii()
            && !is_nfkc_stable(c)
            && (is_hidden(c)
                || is_variation_selector(c)
                || std::iter::once(c).nfkc().ne(std::iter::once(c)))
    });
    if !needed {
        return None;
    }
    let mut out = Folded {
        text: String::with_capacity(text.len()),
        map: Vec::with_capacity(text.len()),
        end: text.len(),
    };
    let mut changed = false;
    for (at, c) in text.char_indices() {
        if is_hidden(c) || is_variation_selector(c) {
            changed = true;
            continue;
        }
        if c.is_ascii() {
            out.text.push(c);
            out.map.push(at as u32);
            continue;
        }
        let before = out.text.len();
        out.text.extend(std::iter::once(c).nfkc());
        changed |= out.text[before..].chars().ne(std::iter::once(c));
        let added = out.text.len() - before;
        out.map.extend(std::iter::repeat_n(at as u32, added));
    }
    changed.then_some(out)
}

/// Whether `b` can be part of a token.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'~')
}

/// The windows of `text` that start at an occurrence of one of `prefixes`
/// and run `reach` bytes on, overlapping ones merged, each with single
/// breaks between token characters removed (a space, a tab, `\n`, `\r\n`,
/// or `\n` written out): one reading each with the first one, two and
/// three such breaks removed, where there are that many.
pub(super) fn rejoined_windows(
    text: &str,
    prefixes: &[memmem::Finder<'_>],
    reach: usize,
) -> Vec<Folded> {
    let bytes = text.as_bytes();
    let mut starts: Vec<usize> = Vec::new();
    for prefix in prefixes {
        starts.extend(prefix.find_iter(bytes));
    }
    if starts.is_empty() {
        return Vec::new();
    }
    starts.sort_unstable();
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for start in starts {
        let end = (start + reach).min(bytes.len());
        match windows.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => windows.push((start, end)),
        }
    }
    // A key split once, twice or three times: each reading removes only
    // the first breaks, so the words after the key stay apart from it.
    windows
        .into_iter()
        .flat_map(|(start, end)| {
            (1..=3).filter_map(move |breaks| rejoin(bytes, start, end, breaks))
        })
        .collect()
}

fn rejoin(bytes: &[u8], start: usize, end: usize, breaks: usize) -> Option<Folded> {
    let mut out = Folded {
        text: String::with_capacity(end - start),
        map: Vec::with_capacity(end - start),
        end,
    };
    let mut removed = 0;
    let mut i = start;
    while i < end {
        let b = bytes[i];
        let gap = match (b, bytes.get(i + 1)) {
            (b' ' | b'\t' | b'\n', _) => 1,
            (b'\r', Some(b'\n')) => 2,
            (b'\\', Some(b'n')) => 2,
            _ => 0,
        };
        if gap > 0
            && removed < breaks
            && i > start
            && is_token(bytes[i - 1])
            && bytes.get(i + gap).copied().is_some_and(is_token)
        {
            removed += 1;
            i += gap;
            continue;
        }
        if !b.is_ascii() {
            // Windows are ASCII; a split key is too.
            break;
        }
        out.text.push(char::from(b));
        out.map.push(i as u32);
        i += 1;
    }
    out.end = i;
    (removed == breaks).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_hidden_characters_fold_and_map_back() {
        let text = "id ＡＫＩＡ\u{200B}Q3EG";
        let folded = fold(text).expect("changed");
        assert_eq!(folded.text, "id AKIAQ3EG");
        let at = folded.text.find("AKIA").unwrap();
        let (from, to) = folded.original(at, folded.text.len(), text);
        assert_eq!(&text[from..to], "ＡＫＩＡ\u{200B}Q3EG");
        assert!(fold("plain ascii").is_none());
        assert!(fold("naïve café").is_none());
    }

    #[test]
    fn split_keys_rejoin_only_near_prefixes() {
        let text = "key AKIAQ3EGRT5H\nYX2ZK7PL and more words";
        let windows = rejoined_windows(text, &[memmem::Finder::new("AKIA")], 40);
        assert_eq!(windows.len(), 3);
        assert!(windows[0].text.starts_with("AKIAQ3EGRT5HYX2ZK7PL and"));
        assert!(windows[1].text.starts_with("AKIAQ3EGRT5HYX2ZK7PLand more"));
        assert!(rejoined_windows("no prefix here", &[memmem::Finder::new("AKIA")], 40).is_empty());
    }
}
