//! Free-text normalisation: trimming, line endings, control characters and length bounds.
//!
//! Lengths are counted in Unicode scalar values (what a visitor thinks of as characters, near enough),
//! never in bytes, so a limit means the same thing in every language.

use crate::ErrorCode;

/// Upper bound for any single-line field, whatever the form says.
pub const MAX_SINGLE_LINE_CHARS: usize = 1_000;
/// Upper bound for any multi-line field, whatever the form says.
pub const MAX_MULTI_LINE_CHARS: usize = 10_000;

/// `n` in decimal digits. Code the widget links builds its strings with this and `concat`, never with
/// `format!` or `to_string`: Rust's formatting machinery cost its wasm 0.9 KiB brotli.
pub fn decimal(n: u64) -> String {
    let mut digits = Vec::with_capacity(20);
    let mut rest = n;
    loop {
        digits.push(char::from(b'0' + (rest % 10) as u8));
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

/// Normalises a single-line value: tabs and line breaks (a paste from elsewhere) become spaces, runs
/// of white space stay as typed, the ends are trimmed. Any other control character is refused.
pub(crate) fn single_line(raw: &str, max_chars: usize) -> Result<String, ErrorCode> {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_forbidden(c) => return Err(ErrorCode::InvalidCharacters),
            c => out.push(c),
        }
    }
    bounded(out.trim(), max_chars)
}

/// Normalises a multi-line value: `\r\n` and lone `\r` become `\n`, tabs stay, the ends are trimmed.
/// Any other control character is refused.
pub(crate) fn multi_line(raw: &str, max_chars: usize) -> Result<String, ErrorCode> {
    // By `char`, not `str::replace("\r\n", ..)`, whose substring searcher would cost the widget.
    let mut unified = String::with_capacity(raw.len());
    let mut after_cr = false;
    for c in raw.chars() {
        match c {
            '\r' => unified.push('\n'),
            '\n' if after_cr => {}
            c => unified.push(c),
        }
        after_cr = c == '\r';
    }
    if unified.chars().any(|c| c != '\n' && c != '\t' && is_forbidden(c)) {
        return Err(ErrorCode::InvalidCharacters);
    }
    bounded(unified.trim(), max_chars)
}

fn bounded(value: &str, max_chars: usize) -> Result<String, ErrorCode> {
    if value.chars().count() > max_chars { Err(ErrorCode::TooLong) } else { Ok(value.to_owned()) }
}

/// C0 and C1 controls, plus the invisible bidirectional overrides that can disguise text in a
/// dashboard ("Trojan Source").
fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_single(input: &str, expected: Result<&str, ErrorCode>) {
        assert_eq!(single_line(input, 10).as_deref().map_err(|c| *c), expected, "input {input:?}");
    }

    #[test]
    fn single_line_rules() {
        check_single("  Ada  ", Ok("Ada"));
        check_single("Ada\tLove", Ok("Ada Love"));
        check_single("A\r\nB", Ok("A  B"));
        check_single("", Ok(""));
        check_single("   ", Ok(""));
        check_single("0123456789", Ok("0123456789"));
        check_single("01234567890", Err(ErrorCode::TooLong));
        check_single("ééééééééé", Ok("ééééééééé"));
        check_single("a\u{0}b", Err(ErrorCode::InvalidCharacters));
        check_single("a\u{7f}b", Err(ErrorCode::InvalidCharacters));
        check_single("a\u{85}b", Err(ErrorCode::InvalidCharacters));
        check_single("a\u{202E}b", Err(ErrorCode::InvalidCharacters));
        check_single("  x  \n", Ok("x"));
    }

    fn check_multi(input: &str, expected: Result<&str, ErrorCode>) {
        assert_eq!(multi_line(input, 12).as_deref().map_err(|c| *c), expected, "input {input:?}");
    }

    #[test]
    fn multi_line_rules() {
        check_multi("a\r\nb\rc\nd", Ok("a\nb\nc\nd"));
        check_multi("\n\n hi \n", Ok("hi"));
        check_multi("a\tb", Ok("a\tb"));
        check_multi("a\u{1b}[31m", Err(ErrorCode::InvalidCharacters));
        check_multi("1234567890123", Err(ErrorCode::TooLong));
        // `\r\n` counts as one character once unified.
        check_multi("12345\r\n123456", Ok("12345\n123456"));
        check_multi("a\r\r\nb\n\rc", Ok("a\n\nb\n\nc"));
    }

    #[test]
    fn decimal_writes_what_display_writes() {
        for n in [0, 7, 10, 99, 100, 1_000_000, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn decimal_agrees_with_display(n in proptest::num::u64::ANY) {
            proptest::prop_assert_eq!(decimal(n), n.to_string());
        }

        #[test]
        fn line_endings_unify_as_str_replace_would(raw in "[ab\r\n\t]{0,12}") {
            let expected = raw.replace("\r\n", "\n").replace('\r', "\n");
            proptest::prop_assert_eq!(multi_line(&raw, 100), Ok(expected.trim().to_owned()));
        }
    }
}
