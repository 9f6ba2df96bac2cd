//! Email addresses: a practical subset of RFC 5321 that real mail systems deliver to.
//!
//! Quoted local parts and IP-literal domains are refused on purpose: no visitor types them, and a
//! business cannot reply to them from an ordinary mailbox.

use crate::ErrorCode;
use serde::{Deserialize, Serialize};
use std::fmt;

const MAX_ADDRESS: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_LABEL: usize = 63;

/// A syntactically valid email address in canonical form: trimmed, ASCII letters lower-cased, so the
/// spellings visitors actually vary (`Ada@Example.COM`) compare equal, which erasure "by email" relies on.
///
/// Letters beyond ASCII keep their case. Folding them properly takes Unicode normalisation as well
/// (NFC, IDNA for the domain), which Inlet does not do; `str::to_lowercase` alone would only pretend
/// to, and its case tables would cost the widget about 5 KB on the wire.
///
/// Invariant: `Email::parse(e.as_str()) == Ok(e)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, ErrorCode> {
        let address = raw.trim().to_ascii_lowercase();
        if address.chars().count() > MAX_ADDRESS {
            return Err(ErrorCode::TooLong);
        }
        let (local, domain) = address.rsplit_once('@').ok_or(ErrorCode::EmailInvalid)?;
        if is_local_part(local) && is_domain(domain) {
            Ok(Email(address))
        } else {
            Err(ErrorCode::EmailInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Email::parse(&raw).map_err(|code| serde::de::Error::custom(code.as_str()))
    }
}

fn is_local_part(local: &str) -> bool {
    // Bytes, not a `&str`: `str::contains(char)` searches for a non-ASCII char as a substring, which
    // would bring a substring searcher into the widget.
    const ATEXT_SYMBOLS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";
    !local.is_empty()
        && local.chars().count() <= MAX_LOCAL
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.as_bytes().windows(2).any(|pair| pair == b"..")
        && local.chars().all(|c| {
            c == '.'
                || c.is_alphanumeric()
                || u8::try_from(c).is_ok_and(|b| ATEXT_SYMBOLS.contains(&b))
        })
}

fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let Some(top) = labels.last() else { return false };
    labels.len() >= 2
        && labels.iter().all(|label| is_label(label))
        && (top.chars().count() >= 2 && top.chars().all(char::is_alphabetic)
            || top.starts_with("xn--"))
}

fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= MAX_LABEL
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c == '-' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: Result<&str, ErrorCode>) {
        let got = Email::parse(input);
        assert_eq!(got.as_ref().map(Email::as_str).map_err(|c| *c), expected, "input {input:?}");
    }

    #[test]
    fn accepts_and_normalises() {
        check("ada@example.com", Ok("ada@example.com"));
        check("  Ada.Lovelace@Example.COM ", Ok("ada.lovelace@example.com"));
        check("first+tag@sub.example.co.uk", Ok("first+tag@sub.example.co.uk"));
        check("o'brien@example.ie", Ok("o'brien@example.ie"));
        check("josé@bücher.de", Ok("josé@bücher.de"));
        check("ZOË@Bücher.DE", Ok("zoË@bücher.de"));
        check("a@xn--bcher-kva.de", Ok("a@xn--bcher-kva.de"));
        check("x@example.xn--p1ai", Ok("x@example.xn--p1ai"));
    }

    #[test]
    fn refuses() {
        use ErrorCode::EmailInvalid as E;
        for input in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada@example..com",
            ".ada@example.com",
            "ada.@example.com",
            "a..b@example.com",
            "ada@-example.com",
            "ada@example-.com",
            "ada@example.c",
            "ada@example.123",
            "ada lovelace@example.com",
            "\"ada\"@example.com",
            "ada@[127.0.0.1]",
            "ada@exa mple.com",
            "ada@example.com\u{0}",
            "ada@example.com>",
            "<ada@example.com",
        ] {
            check(input, Err(E));
        }
    }

    #[test]
    fn bounds_lengths() {
        let local = "a".repeat(64);
        check(&format!("{local}@example.com"), Ok(&format!("{local}@example.com")));
        check(&format!("a{local}@example.com"), Err(ErrorCode::EmailInvalid));
        let long_domain = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        check(&format!("ada@{long_domain}"), Err(ErrorCode::TooLong));
        check(&format!("ada@{}.com", "b".repeat(64)), Err(ErrorCode::EmailInvalid));
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(raw in "[ A-Za-z0-9.+_-]{1,20}@[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,6} ?") {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                prop_assert_eq!(email.as_str(), raw.trim().to_ascii_lowercase());
            }
        }

        #[test]
        fn never_panics(raw in "\\PC{0,80}") {
            let _ = Email::parse(&raw);
        }
    }
}
