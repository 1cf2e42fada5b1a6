//! Personal data: e-mail addresses, phone numbers, payment cards (Luhn),
//! IBANs (ISO 13616 mod-97), US social security numbers (valid ranges) and
//! public IP addresses. Candidates come from regexes; e-mail addresses,
//! cards, SSNs and national phone numbers from direct readings of theirs
//! ([`email_at`], [`card_at`], [`ssn_at`], [`national_phone_at`]), each
//! tested against its regex. Each candidate is then validated, so order
//! numbers, versions, dates and failed checksums pass.
//!
//! The regexes never run over the whole text. Cheap anchors pick small
//! windows first: an `@` for e-mail, a cluster of digits and separators with
//! enough digits (or three dots) for cards, SSNs, phones and IPv4, two
//! capitals before digits for IBANs, a colon between hex digits for IPv6.
//! Each window covers every match its regex could make there, so the result
//! is what a whole-text search would find, at a fraction of the cost.

use std::net::IpAddr;
use std::sync::LazyLock;

use regex::Regex;

use super::finding::{Finding, dedup_overlaps};
use super::is_ascii_word as is_word;

/// Scans text for personal data.
///
/// ```
/// use guard_runtime::scan::PiiScanner;
///
/// let kinds = |t: &str| PiiScanner::global().scan(t).into_iter().map(|f| f.kind).collect::<Vec<_>>();
/// assert_eq!(kinds("card 4111 1111 1111 1111, mail ada@example.com"), ["payment_card", "email"]);
/// assert!(kinds("order 4111 1111 1111 1112 shipped; see react@18.2.0").is_empty());
/// ```
pub struct PiiScanner {
    iban: Regex,
    international_phone: Regex,
    ipv4: Regex,
    ipv6: Regex,
}

impl std::fmt::Debug for PiiScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiScanner")
    }
}

/// A phone number with a country code; the national shape, `(415)
/// 555-2671` or `415-555-2671`, is read directly ([`national_phone_at`]).
const INTERNATIONAL_PHONE: &str = r"\+\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}\b";

static GLOBAL: LazyLock<PiiScanner> = LazyLock::new(|| PiiScanner {
    iban: super::ascii_regex(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
        .expect("iban"),
    international_phone: super::ascii_regex(INTERNATIONAL_PHONE).expect("phone"),
    ipv4: super::ascii_regex(r"\b(?:\d{1,3}\.){3}\d{1,3}\b").expect("ipv4"),
    ipv6: super::ascii_regex(r"(?i)\b(?:[0-9a-f]{1,4}:){2,7}(?::|[0-9a-f]{1,4})(?:[0-9a-f:]*)\b")
        .expect("ipv6"),
});

/// Each match of `regex` that starts in `start..end`, searching on from
/// `*cursor` (the end of this regex's last match), as one search over the
/// whole text would. The haystack ends one character after `end`, so `\b`
/// sees the real next character; callers pick `end` where no match can go on.
fn matches_in<'t>(
    regex: &'t Regex,
    text: &'t str,
    start: usize,
    end: usize,
    cursor: &'t mut usize,
) -> impl Iterator<Item = regex::Match<'t>> + 't {
    in_window(
        move |haystack, at| regex.find_at(haystack, at),
        |m| (m.start(), m.end()),
        text,
        (start, end),
        cursor,
    )
}

/// The leftmost match at or after `at` of the national phone shape,
/// `(?:\(\d{3}\)|\b\d{3})[ .-]\d{3}[ .-]\d{4}\b`, read directly.
fn national_phone_at(haystack: &[u8], at: usize) -> Option<(usize, usize)> {
    let digits = |from: usize, n: usize| {
        haystack
            .get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let separator = |i: usize| matches!(haystack.get(i), Some(b' ' | b'.' | b'-'));
    (at..haystack.len()).find_map(|start| {
        let area_end = match haystack[start] {
            b'(' if digits(start + 1, 3) && haystack.get(start + 4) == Some(&b')') => start + 5,
            b'0'..=b'9' if (start == 0 || !is_word(haystack[start - 1])) && digits(start, 3) => {
                start + 3
            }
            _ => return None,
        };
        let end = area_end + 9;
        (separator(area_end)
            && digits(area_end + 1, 3)
            && separator(area_end + 4)
            && digits(area_end + 5, 4)
            && haystack.get(end).is_none_or(|&b| !is_word(b)))
        .then_some((start, end))
    })
}

/// `find` with its last answer kept: asked again, in the same haystack,
/// from further on, the answer still holds while no match was found or the
/// match found starts there or later (for a pattern whose match at a start
/// does not depend on where the search began). Without it, merging two
/// searches could read the rest of a window again for every match of the
/// other.
fn remembered<'t>(
    find: impl Fn(&'t str, usize) -> Option<(usize, usize)>,
) -> impl Fn(&'t str, usize) -> Option<(usize, usize)> {
    let last = std::cell::Cell::new(None::<(usize, Option<(usize, usize)>)>);
    move |haystack, at| {
        if let Some((from, found)) = last.get()
            && from <= at
            && found.is_none_or(|(start, _)| start >= at)
        {
            return found;
        }
        let found = find(haystack, at);
        last.set(Some((at, found)));
        found
    }
}

/// A pattern read directly: the leftmost match `(start, end)` at or after
/// `at` in the haystack, as the regex's `find_at` gives it.
type Reader = fn(&[u8], usize) -> Option<(usize, usize)>;

/// [`matches_in`] for a pattern read directly.
fn spans_in<'t>(
    find: Reader,
    text: &'t str,
    start: usize,
    end: usize,
    cursor: &'t mut usize,
) -> impl Iterator<Item = (usize, usize)> + 't {
    in_window(
        move |haystack: &'t str, at| find(haystack.as_bytes(), at),
        |&span| span,
        text,
        (start, end),
        cursor,
    )
}

/// The leftmost match at or after `at` of `\b(?:\d[ -]?){12,18}\d\b`, a
/// card number's shape, read directly: a regex search per candidate costs
/// more than the reading, and a text can be all digits.
///
/// From a digit at a word boundary, the digits that follow one by one,
/// each right after the last or after one space or hyphen; of the 13th to
/// 19th, the last one at a word boundary ends the match (the repetition is
/// greedy and gives back one unit at a time).
fn card_at(haystack: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut from = at;
    while let Some(start) = next_digit(haystack, from) {
        from = start + 1;
        if start > 0 && is_word(haystack[start - 1]) {
            continue;
        }
        let (mut digit, mut count, mut end) = (start, 1, None);
        loop {
            let after = haystack.get(digit + 1).copied();
            if count >= 13 && !after.is_some_and(is_word) {
                end = Some(digit + 1);
            }
            if count == 19 {
                break;
            }
            digit = match after {
                Some(b) if b.is_ascii_digit() => digit + 1,
                Some(b' ' | b'-') if haystack.get(digit + 2).is_some_and(u8::is_ascii_digit) => {
                    digit + 2
                }
                _ => break,
            };
            count += 1;
        }
        if let Some(end) = end {
            return Some((start, end));
        }
    }
    None
}

/// The leftmost match at or after `at` of `\b\d{3}-\d{2}-\d{4}\b`, a US
/// social security number's shape, read directly at each hyphen.
fn ssn_at(haystack: &[u8], at: usize) -> Option<(usize, usize)> {
    let digits = |range: std::ops::Range<usize>| haystack[range].iter().all(u8::is_ascii_digit);
    memchr::memchr_iter(b'-', haystack.get(at + 3..)?)
        .map(|q| at + q)
        .find(|&start| {
            let end = start + 11;
            end <= haystack.len()
                && (start == 0 || !is_word(haystack[start - 1]))
                && haystack.get(end).is_none_or(|&b| !is_word(b))
                && digits(start..start + 3)
                && digits(start + 4..start + 6)
                && haystack[start + 6] == b'-'
                && digits(start + 7..end)
        })
        .map(|start| (start, start + 11))
}

fn in_window<'t, T: 't>(
    search: impl Fn(&'t str, usize) -> Option<T> + 't,
    span: fn(&T) -> (usize, usize),
    text: &'t str,
    (start, end): (usize, usize),
    cursor: &'t mut usize,
) -> impl Iterator<Item = T> + 't {
    let limit = text[end..]
        .chars()
        .next()
        .map_or(text.len(), |c| end + c.len_utf8());
    let haystack = &text[..limit];
    std::iter::from_fn(move || {
        let at = start.max(*cursor);
        if at > end {
            return None;
        }
        let found = search(haystack, at)?;
        let (found_start, found_end) = span(&found);
        if found_start > end {
            return None;
        }
        *cursor = found_end.max(found_start + 1);
        Some(found)
    })
}

/// The e-mail addresses around each `@`, as `read(from, at, end)` finds
/// them: `at` the `@`, `from..end` the bytes around it that an address
/// can hold (from `*cursor` on, the end of the last address).
fn emails_with(
    text: &str,
    cursor: &mut usize,
    findings: &mut Vec<Finding>,
    read: impl Fn(usize, usize, usize) -> Option<(usize, usize)>,
) {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let domain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
    let mut done = 0;
    for at in memchr::memchr_iter(b'@', bytes) {
        if at < done {
            continue;
        }
        let start = bytes[..at]
            .iter()
            .rposition(|&b| !local(b))
            .map_or(0, |p| p + 1);
        let end = bytes[at + 1..]
            .iter()
            .position(|&b| !domain(b))
            .map_or(bytes.len(), |p| at + 1 + p);
        done = end;
        let Some((m_start, m_end)) = read(start.max(*cursor), at, end) else {
            continue;
        };
        *cursor = m_end;
        // The match ends with its top-level domain, after its last dot.
        let tld = text[m_start..m_end].rsplit('.').next().unwrap_or("");
        if !FILE_TLDS.iter().any(|t| t.eq_ignore_ascii_case(tld)) {
            findings.push(Finding::new("email", m_start, m_end));
        }
    }
}

/// The e-mail address whose `@` is `bytes[at]`, as a search from `from`
/// for `\b[A-Za-z0-9._%+-]+@LABEL(?:\.LABEL)*\.[A-Za-z]{2,24}\b` finds it
/// (`LABEL`: a letter or digit, or several with hyphens inside; `\b`:
/// ASCII word boundaries), when every byte of `from..at` may be in a local
/// part. Read directly: a regex search costs more per `@` than the whole
/// reading, and a text can hold an `@` every few bytes.
///
/// The search takes the leftmost start, then, as a backtracking search
/// would, the most labels after which a top-level domain still fits.
fn email_at(bytes: &[u8], from: usize, at: usize) -> Option<(usize, usize)> {
    let word = |i: usize| bytes.get(i).is_some_and(|&b| is_word(b));
    let start = (from..at).find(|&p| (p > 0 && word(p - 1)) != word(p))?;
    let domain = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-';
    let mut label = at + 1;
    let mut end = None;
    loop {
        let len = bytes[label..].iter().take_while(|b| domain(b)).count();
        if label > at + 1 {
            // After a dot: the top-level domain, when its letters end at a
            // word boundary.
            let letters = bytes[label..label + len]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .count();
            if (2..=24).contains(&letters) && !word(label + letters) {
                end = Some(label + letters);
            }
        }
        // A whole label, and a dot after it: one more label may follow.
        let whole_label = len > 0
            && bytes[label].is_ascii_alphanumeric()
            && bytes[label + len - 1].is_ascii_alphanumeric();
        if !whole_label || bytes.get(label + len) != Some(&b'.') {
            break;
        }
        label += len + 1;
    }
    end.map(|end| (start, end))
}

/// The first ASCII digit at or after `from`: 32 bytes at a time while
/// there is none (a reduction the compiler vectorises), then eight.
fn next_digit(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = from;
    while let Some(block) = bytes.get(i..i + 32) {
        if block.iter().fold(false, |any, b| any | b.is_ascii_digit()) {
            break;
        }
        i += 32;
    }
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
        // Digits become 0..=9; flag every byte below 10 (the lowest flag is exact).
        let x = word ^ (ONES * u64::from(b'0'));
        let flags = x.wrapping_sub(ONES * 10) & !x & (ONES * 0x80);
        if flags != 0 {
            return Some(i + (flags.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    (i..bytes.len()).find(|&k| bytes[k].is_ascii_digit())
}

/// Where each regex's whole-text search would go on from.
#[derive(Default)]
struct Cursors {
    email: usize,
    card: usize,
    iban: usize,
    ssn: usize,
    phone: usize,
    ipv4: usize,
    ipv6: usize,
}

/// Digits joined by short runs of phone, card and address separators.
struct Cluster {
    start: usize,
    end: usize,
    digits: usize,
    dots: usize,
}

fn cluster_at(bytes: &[u8], first_digit: usize) -> Cluster {
    let separator = |b: u8| matches!(b, b' ' | b'.' | b'-' | b'(' | b')' | b'+' | b'/');
    let mut start = first_digit;
    // A leading `+` or `(` belongs to a phone number.
    while start > 0 && matches!(bytes[start - 1], b'+' | b'(') {
        start -= 1;
    }
    let (mut end, mut digits, mut dots) = (first_digit, 0, 0);
    let mut i = first_digit;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            digits += 1;
            i += 1;
            end = i;
            continue;
        }
        // The regexes join digit groups with at most `) (`: three separators.
        let run = bytes[i..]
            .iter()
            .take(4)
            .take_while(|&&b| separator(b))
            .count();
        if run == 0 || run > 3 || !bytes.get(i + run).is_some_and(u8::is_ascii_digit) {
            // A closing parenthesis can end a phone group.
            if bytes[i] == b')' {
                end = i + 1;
            }
            break;
        }
        dots += bytes[i..i + run].iter().filter(|&&b| b == b'.').count();
        i += run;
    }
    Cluster {
        start,
        end,
        digits,
        dots,
    }
}

/// File extensions that make `logo@2x.png` a file name, not an address.
const FILE_TLDS: [&str; 12] = [
    "png", "jpg", "jpeg", "gif", "svg", "webp", "js", "ts", "css", "map", "json", "ico",
];

impl PiiScanner {
    /// The shared scanner (compiled once, on first use).
    pub fn global() -> &'static PiiScanner {
        &GLOBAL
    }

    /// Every piece of personal data in the text, earliest first.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut cursors = Cursors::default();
        let bytes = text.as_bytes();
        self.emails(text, &mut cursors.email, &mut findings);
        let mut from = 0;
        while let Some(digit) = next_digit(bytes, from) {
            let cluster = cluster_at(bytes, digit);
            from = cluster.end.max(digit + 1);
            self.numbers(text, &cluster, &mut cursors, &mut findings);
            // `DE89 3704 ...`, `GB82WEST...`: two capitals right before the digits.
            if digit >= 2
                && bytes[digit - 2..digit].iter().all(u8::is_ascii_uppercase)
                && (digit == 2 || !bytes[digit - 3].is_ascii_alphanumeric())
            {
                self.ibans(text, digit - 2, &mut cursors.iban, &mut findings);
            }
        }
        self.ipv6(text, &mut cursors.ipv6, &mut findings);
        dedup_overlaps(findings)
    }

    fn emails(&self, text: &str, cursor: &mut usize, findings: &mut Vec<Finding>) {
        emails_with(text, cursor, findings, |from, at, _| {
            email_at(text.as_bytes(), from, at)
        });
    }

    /// Cards (13+ digits), SSNs (9), phones (8+) and IPv4 (three dots).
    fn numbers(
        &self,
        text: &str,
        cluster: &Cluster,
        cursors: &mut Cursors,
        findings: &mut Vec<Finding>,
    ) {
        let (start, end) = (cluster.start, cluster.end);
        if cluster.digits >= 13 {
            for (m_start, m_end) in spans_in(card_at, text, start, end, &mut cursors.card) {
                let digits: Vec<u8> = text.as_bytes()[m_start..m_end]
                    .iter()
                    .filter(|b| b.is_ascii_digit())
                    .map(|b| b - b'0')
                    .collect();
                if is_card(&digits) {
                    findings.push(Finding::new("payment_card", m_start, m_end));
                }
            }
        }
        if cluster.digits >= 9 {
            for (m_start, m_end) in spans_in(ssn_at, text, start, end, &mut cursors.ssn) {
                let (area, group, serial) = (
                    &text[m_start..m_start + 3],
                    &text[m_start + 4..m_start + 6],
                    &text[m_start + 7..m_end],
                );
                let area_n: u16 = area.parse().unwrap_or(0);
                if area != "000"
                    && area != "666"
                    && area_n < 900
                    && group != "00"
                    && serial != "0000"
                {
                    findings.push(Finding::new("us_ssn", m_start, m_end));
                }
            }
        }
        if cluster.digits >= 8 {
            for (m_start, m_end) in self.phones_in(text, start, end, &mut cursors.phone) {
                if is_phone(text, m_start, m_end) {
                    findings.push(Finding::new("phone", m_start, m_end));
                }
            }
        }
        if cluster.dots >= 3 && cluster.digits >= 4 && !is_reserved_quad(&text[start..end]) {
            for m in matches_in(&self.ipv4, text, start, end, &mut cursors.ipv4) {
                if is_public_ip(text, m.start(), m.end()) {
                    findings.push(Finding::new("ip_address", m.start(), m.end()));
                }
            }
        }
    }

    /// [`matches_in`] for the phone pattern, `INTERNATIONAL_PHONE` or the
    /// national shape: the two begin with different characters, so the
    /// leftmost match of either is the leftmost match of both.
    fn phones_in<'t>(
        &'t self,
        text: &'t str,
        start: usize,
        end: usize,
        cursor: &'t mut usize,
    ) -> impl Iterator<Item = (usize, usize)> + 't {
        let national = remembered(|haystack: &str, at| national_phone_at(haystack.as_bytes(), at));
        let international = remembered(move |haystack: &str, at| {
            // The search starts at the first `+`, where every match starts.
            let plus = at + memchr::memchr(b'+', haystack.as_bytes().get(at..)?)?;
            let found = self.international_phone.find_at(haystack, plus)?;
            Some((found.start(), found.end()))
        });
        in_window(
            move |haystack, at| match (national(haystack, at), international(haystack, at)) {
                (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
                (a, b) => a.or(b),
            },
            |&span| span,
            text,
            (start, end),
            cursor,
        )
    }

    fn ibans(&self, text: &str, start: usize, cursor: &mut usize, findings: &mut Vec<Finding>) {
        let bytes = text.as_bytes();
        // The whole run of capitals, digits and spaces: a match cannot leave it.
        let end = bytes[start..]
            .iter()
            .position(|&b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '))
            .map_or(bytes.len(), |p| start + p);
        for m in matches_in(&self.iban, text, start, end, cursor) {
            if iban_valid(m.as_str()) {
                findings.push(Finding::new("iban", m.start(), m.end()));
            }
        }
    }

    fn ipv6(&self, text: &str, cursor: &mut usize, findings: &mut Vec<Finding>) {
        let bytes = text.as_bytes();
        let part = |b: u8| b.is_ascii_hexdigit() || b == b':';
        let mut done = 0;
        for at in memchr::memchr_iter(b':', bytes) {
            if at < done
                || !(at > 0 && part(bytes[at - 1]))
                || !bytes.get(at + 1).is_some_and(|&b| part(b))
            {
                continue;
            }
            let start = bytes[..at]
                .iter()
                .rposition(|&b| !part(b))
                .map_or(0, |p| p + 1);
            let end = bytes[at..]
                .iter()
                .position(|&b| !part(b))
                .map_or(bytes.len(), |p| at + p);
            done = end;
            if bytes[start..end].iter().filter(|&&b| b == b':').count() < 2 {
                continue;
            }
            for m in matches_in(&self.ipv6, text, start, end, cursor) {
                if is_public_ip(text, m.start(), m.end()) {
                    findings.push(Finding::new("ip_address", m.start(), m.end()));
                }
            }
        }
    }
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A Luhn-valid number with a card network's prefix and length.
fn is_card(digits: &[u8]) -> bool {
    let n = digits.len();
    if !(13..=19).contains(&n) || !luhn(digits) {
        return false;
    }
    let prefix = |k: usize| {
        digits[..k]
            .iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d))
    };
    let visa = digits[0] == 4 && matches!(n, 13 | 16 | 19);
    let mastercard =
        n == 16 && ((51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)));
    let amex = n == 15 && matches!(prefix(2), 34 | 37);
    let discover = (16..=19).contains(&n)
        && (prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)));
    let other = (16..=19).contains(&n) && (matches!(prefix(2), 35 | 36 | 62));
    visa || mastercard || amex || discover || other
}

fn iban_valid(candidate: &str) -> bool {
    let compact: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rearranged = compact[4..].chars().chain(compact[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// A phone candidate that is not a date, a version, a time or part of a longer number.
fn is_phone(text: &str, start: usize, end: usize) -> bool {
    let candidate = &text[start..end];
    let bytes = text.as_bytes();
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    if before.is_some_and(|b| {
        b.is_ascii_alphanumeric() || b == b'.' || b == b'/' || b == b'-' || b == b'#' || b == b'v'
    }) || after.is_some_and(|b| {
        b.is_ascii_alphanumeric()
            || b == b'-'
            || b == b'/'
            || (b == b'.' && bytes.get(end + 1).is_some_and(u8::is_ascii_digit))
    }) {
        return false;
    }
    // Space-separated groups that go on before or after belong to a longer
    // number (an IBAN, a card, an account), not a phone number.
    let group_before = before == Some(b' ') && start >= 2 && bytes[start - 2].is_ascii_digit();
    let group_after = after == Some(b' ') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
    if group_before || group_after {
        return false;
    }
    let digits = candidate.bytes().filter(u8::is_ascii_digit).count();
    let international = candidate.starts_with('+');
    if !(if international { 8..=15 } else { 10..=11 }).contains(&digits) {
        return false;
    }
    // Dates (2024-01-15 10:30) and dotted versions are not phone numbers.
    let separators: Vec<u8> = candidate
        .bytes()
        .filter(|b| !b.is_ascii_digit() && *b != b'+' && *b != b'(' && *b != b')')
        .collect();
    if candidate.starts_with(|c: char| c.is_ascii_digit())
        && separators.iter().all(|&s| s == b'.')
        && !candidate.contains('(')
    {
        return candidate.split('.').count() == 3
            && candidate
                .split('.')
                .next_back()
                .is_some_and(|p| p.len() == 4);
    }
    true
}

/// A cluster that is just a private, loopback or unspecified dotted quad
/// (`0.0.0.0`, `127.0.0.1`, common in configs): the only match the IPv4
/// pattern could make in it is all of it, which is not personal data, so
/// the search is skipped.
fn is_reserved_quad(cluster: &str) -> bool {
    cluster.bytes().filter(|&b| b == b'.').count() == 3
        && cluster.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && cluster
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| crate::net::classify_v4(ip).is_some())
}

fn is_public_ip(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    // `v1.2.3.4`, `1.2.3.4.5` and `1.2.3.4-beta` are versions.
    if before.is_some_and(|b| b == b'v' || b == b'V' || b == b'.' || b == b'-' || b == b'@')
        || after.is_some_and(|b| {
            b == b'.' && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) || b == b'-'
        })
    {
        return false;
    }
    match text[start..end].parse::<IpAddr>() {
        Ok(ip) => crate::net::classify(ip).is_none(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E-mail addresses as the regex `email_at` reads finds them, searched
    /// in the same windows.
    fn emails_by_regex(text: &str) -> Vec<Finding> {
        let regex = crate::scan::ascii_regex(
            r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b",
        )
        .unwrap();
        let mut findings = Vec::new();
        emails_with(text, &mut 0, &mut findings, |from, _, end| {
            let mut cursor = 0;
            matches_in(&regex, text, from, end, &mut cursor)
                .next()
                .map(|m| (m.start(), m.end()))
        });
        findings
    }

    #[test]
    fn emails_read_directly_are_the_regex_matches() {
        const PIECES: &[&str] = &[
            "a",
            "Zq",
            "7",
            ".",
            "-",
            "_",
            "%",
            "+",
            "@",
            " ",
            "é",
            "\n",
            "com",
            "co",
            "x1",
            "abcdefghijklmnopqrstuvwxyz",
            "png",
            "-.",
            "..",
            "ada@example.org",
        ];
        let mut found = 0;
        for text in crate::scan::generated_texts(PIECES, 8_000, 24, 0x2545_f491_4f6c_dd1d) {
            let mut direct = Vec::new();
            PiiScanner::global().emails(&text, &mut 0, &mut direct);
            assert_eq!(direct, emails_by_regex(&text), "{text:?}");
            found += direct.len();
        }
        // The comparison means something only if addresses were found.
        assert!(found > 800, "{found}");
    }

    /// The national phone shape [`national_phone_at`] reads.
    const NATIONAL_PHONE: &str = r"(?:\(\d{3}\)|\b\d{3})[ .-]\d{3}[ .-]\d{4}\b";

    /// Digit groups, separators and their neighbours.
    const NUMBER_PIECES: &[&str] = &[
        "4",
        "1111",
        "4111",
        "12",
        "0",
        "-",
        " ",
        "  ",
        "a",
        "_",
        "x9",
        "é",
        "\n",
        ".",
        "+",
        "(",
        ")",
        "555-12-3456",
        "-12-",
        "123-45",
        "3456",
        "4111 1111 1111 1111",
        "378282246310005",
        "(415) 555-2671",
        "415.555.2671",
        "+44 20 7946 0958",
        "+1 (415) 555",
    ];

    /// The card, SSN and national phone readers against their regexes, from
    /// every start position of generated texts.
    #[test]
    fn numbers_read_directly_are_the_regex_matches() {
        let readers: [(Reader, &str); 3] = [
            (card_at, r"\b(?:\d[ -]?){12,18}\d\b"),
            (ssn_at, r"\b\d{3}-\d{2}-\d{4}\b"),
            (national_phone_at, NATIONAL_PHONE),
        ];
        for (read, pattern) in readers {
            let regex = crate::scan::ascii_regex(pattern).unwrap();
            let texts =
                crate::scan::generated_texts(NUMBER_PIECES, 3_000, 30, 0x9e37_79b9_7f4a_7c15);
            let found = crate::scan::assert_reads_as_regex(
                &regex,
                |text, at| read(text.as_bytes(), at),
                texts,
            );
            // The comparison means something only if matches were found.
            assert!(found > 300, "{pattern}: {found}");
        }
    }

    /// The phone search, the national shape read directly and merged with
    /// the international regex's, against one regex for both, window by
    /// window as the scan runs them.
    #[test]
    fn phones_are_the_regex_matches() {
        let regex =
            crate::scan::ascii_regex(&format!("{INTERNATIONAL_PHONE}|{NATIONAL_PHONE}")).unwrap();
        let scanner = PiiScanner::global();
        let mut found = 0;
        for text in crate::scan::generated_texts(NUMBER_PIECES, 6_000, 30, 0x2545_f491_4f6c_dd1d) {
            // Windows as the scan picks them: the clusters of digits.
            let (mut direct, mut expected) = (Vec::new(), Vec::new());
            let (mut cursor, mut regex_cursor, mut from) = (0, 0, 0);
            while let Some(digit) = next_digit(text.as_bytes(), from) {
                let cluster = cluster_at(text.as_bytes(), digit);
                from = cluster.end.max(digit + 1);
                let (start, end) = (cluster.start, cluster.end);
                direct.extend(scanner.phones_in(&text, start, end, &mut cursor));
                expected.extend(
                    matches_in(&regex, &text, start, end, &mut regex_cursor)
                        .map(|m| (m.start(), m.end())),
                );
            }
            assert_eq!(direct, expected, "{text:?}");
            found += direct.len();
        }
        assert!(found > 1_000, "{found}");
    }

    fn kinds(text: &str) -> Vec<&'static str> {
        PiiScanner::global()
            .scan(text)
            .into_iter()
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn valid_numbers_are_found() {
        let cases = [
            ("write to ada.lovelace@example.org today", "email"),
            ("Visa 4111111111111111", "payment_card"),
            ("amex 3782-822463-10005", "payment_card"),
            ("MC 5555 5555 5555 4444", "payment_card"),
            ("IBAN DE89 3704 0044 0532 0130 00", "iban"),
            ("GB82WEST12345698765432", "iban"),
            ("SSN 123-45-6789", "us_ssn"),
            ("call (415) 555-2671", "phone"),
            ("call +44 20 7946 0958", "phone"),
            ("call +33 6 55 29 31 18 now", "phone"),
            ("on file: +91 98597 71484", "phone"),
            ("call +55 11 94246-9052 later", "phone"),
            ("call 415-555-2671", "phone"),
            ("from 93.184.216.34", "ip_address"),
            ("from 2606:4700:4700::1111", "ip_address"),
        ];
        for (text, kind) in cases {
            assert_eq!(kinds(text), [kind], "{text}");
        }
    }

    #[test]
    fn look_alikes_and_failed_checksums_are_not() {
        for text in [
            "order 4111111111111112",
            "IBAN DE89 3704 0044 0532 0130 01",
            "ssn 000-12-3456, 666-12-3456, 900-12-3456, 123-00-4567",
            "released 2024-01-15 at 10:30:00",
            "version 10.0.19041.1 and v1.2.3.4",
            "logo@2x.png and react@18.2.0",
            "private 10.0.0.1 and 192.168.1.20",
            "epoch 1700000000",
            "ISBN 978-3-16-148410-0",
            "tracking 1Z999AA10123456784",
        ] {
            assert!(kinds(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }
}
