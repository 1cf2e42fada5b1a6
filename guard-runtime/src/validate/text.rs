//! String hygiene for every string argument: a length cap, and none of the
//! characters that hide text from a human reviewer — NUL and other control
//! characters, Unicode bidirectional overrides (Trojan Source) and tag
//! characters (ASCII smuggling).

use super::Violation;

/// Rules applied to every string argument.
///
/// ```
/// use guard_runtime::validate::TextPolicy;
///
/// let policy = TextPolicy::new();
/// assert!(policy.check("line one\nline two\ttabbed").is_ok());
/// assert_eq!(policy.check("safe\u{202E}txt.exe").unwrap_err().code, "string.bidi_control");
/// assert_eq!(policy.check("hi\u{E0041}\u{E0042}").unwrap_err().code, "string.tag_char");
/// // One selector picks an emoji's form; a run of them carries hidden bytes.
/// assert!(policy.check("I \u{2764}\u{FE0F} it").is_ok());
/// assert_eq!(
///     policy.check("\u{1F600}\u{E0148}\u{E0155}\u{E015C}").unwrap_err().code,
///     "string.variation_selectors"
/// );
/// ```
/// Variation selectors pass one at a time after a visible character (that
/// is how emoji and ideographic variants are written); two in a row, or
/// one of the supplement (U+E0100 to U+E01EF) after anything but a CJK
/// ideograph, are refused: each such selector can carry one byte of text
/// no reader sees.
/// ```
/// # use guard_runtime::validate::TextPolicy;
/// # let policy = TextPolicy::new();
/// assert!(policy.check("\u{845B}\u{E0100}").is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPolicy {
    max_chars: usize,
    allow_newlines: bool,
    allow_tabs: bool,
}

impl Default for TextPolicy {
    fn default() -> Self {
        TextPolicy {
            max_chars: 32 * 1024,
            allow_newlines: true,
            allow_tabs: true,
        }
    }
}

impl TextPolicy {
    /// At most 32 Ki characters; tabs and newlines allowed.
    pub fn new() -> Self {
        TextPolicy::default()
    }

    /// Caps the length in characters.
    pub fn max_chars(mut self, max: usize) -> Self {
        self.max_chars = max;
        self
    }

    /// Whether `\n` and `\r` are allowed (default: yes).
    pub fn allow_newlines(mut self, allow: bool) -> Self {
        self.allow_newlines = allow;
        self
    }

    /// Whether `\t` is allowed (default: yes).
    pub fn allow_tabs(mut self, allow: bool) -> Self {
        self.allow_tabs = allow;
        self
    }

    /// The character cap.
    pub(crate) fn max_chars_allowed(&self) -> usize {
        self.max_chars
    }

    /// Checks one string.
    ///
    /// # Errors
    /// `string.too_long`, `string.nul`, `string.control_char`,
    /// `string.bidi_control`, `string.tag_char` or `string.variation_selectors`.
    pub fn check(&self, value: &str) -> Result<(), Violation> {
        // Cheap first: most strings are short and plain ASCII printable.
        if value.len() <= self.max_chars && value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Ok(());
        }
        let mut count = 0usize;
        let mut previous = '\0';
        for c in value.chars() {
            count += 1;
            let before = std::mem::replace(&mut previous, c);
            if count > self.max_chars {
                return Err(Violation::new(
                    "string.too_long",
                    format!("strings are limited to {} characters", self.max_chars),
                ));
            }
            match c {
                '\0' => return Err(Violation::new("string.nul", "the text contains a NUL byte")),
                '\n' | '\r' if self.allow_newlines => {}
                '\t' if self.allow_tabs => {}
                c if c.is_control() => {
                    return Err(Violation::new(
                        "string.control_char",
                        "the text contains a control character",
                    ));
                }
                '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                    return Err(Violation::new(
                        "string.bidi_control",
                        "the text contains a bidirectional override character",
                    ));
                }
                '\u{E0000}'..='\u{E007F}' => {
                    return Err(Violation::new(
                        "string.tag_char",
                        "the text contains invisible tag characters",
                    ));
                }
                '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
                    if crate::scan::smuggling_selector(before, c) =>
                {
                    return Err(Violation::new(
                        "string.variation_selectors",
                        "the text hides characters in variation selectors",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let p = TextPolicy::new().max_chars(10);
        assert!(p.check("héllo wörld").is_err());
        assert!(p.check("héllo").is_ok());
        assert_eq!(p.check("12345678901").unwrap_err().code, "string.too_long");
        assert_eq!(p.check("a\0").unwrap_err().code, "string.nul");
        assert_eq!(p.check("a\u{7}").unwrap_err().code, "string.control_char");
        assert_eq!(
            p.check("a\u{2067}").unwrap_err().code,
            "string.bidi_control"
        );
        assert_eq!(p.check("a\u{E0020}").unwrap_err().code, "string.tag_char");
        assert_eq!(
            p.check("\u{1F600}\u{FE01}\u{FE02}").unwrap_err().code,
            "string.variation_selectors"
        );
        assert_eq!(
            p.check("a\u{E0100}").unwrap_err().code,
            "string.variation_selectors"
        );
        assert!(p.check("\u{2764}\u{FE0F}").is_ok());
        assert_eq!(
            p.allow_newlines(false).check("a\nb").unwrap_err().code,
            "string.control_char"
        );
        assert_eq!(
            p.allow_tabs(false).check("a\tb").unwrap_err().code,
            "string.control_char"
        );
    }
}
