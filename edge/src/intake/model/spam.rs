//! Spam defence that costs visitors nothing: a honeypot field and a minimum time-to-fill, measured
//! by the server through the form token (`forms::model`). And how a client is keyed for rate limits.

use crate::base::clock::Timestamp;
use crate::base::crypto::{hex, hmac_sha256};
use crate::base::ids::FormId;
use crate::forms::model::{MAX_TOKEN_AGE_MS, TokenFault, token_issued_at};
use std::net::IpAddr;

/// Why a submission was judged a bot's. Stored with the lead as [`SpamReason::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpamReason {
    Honeypot,
    NoToken,
    BadToken,
    TooFast,
    TokenExpired,
}

impl SpamReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SpamReason::Honeypot => "honeypot",
            SpamReason::NoToken => "no_token",
            SpamReason::BadToken => "bad_token",
            SpamReason::TooFast => "too_fast",
            SpamReason::TokenExpired => "token_expired",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Human,
    Bot(SpamReason),
}

/// Judges a submission at `now`. `min_fill_ms` of 0 turns the timing check off.
pub fn verdict(
    secret: &[u8],
    form_id: &FormId,
    honeypot: Option<&str>,
    token: Option<&str>,
    now: Timestamp,
    min_fill_ms: u64,
) -> Verdict {
    if honeypot.is_some_and(|value| !value.trim().is_empty()) {
        return Verdict::Bot(SpamReason::Honeypot);
    }
    if min_fill_ms == 0 {
        return Verdict::Human;
    }
    let issued = match token_issued_at(secret, form_id, token) {
        Ok(issued) => issued,
        Err(TokenFault::Missing) => return Verdict::Bot(SpamReason::NoToken),
        Err(TokenFault::Forged) => return Verdict::Bot(SpamReason::BadToken),
    };
    if now < issued.plus_ms(min_fill_ms) {
        return Verdict::Bot(SpamReason::TooFast);
    }
    if now > issued.plus_ms(MAX_TOKEN_AGE_MS) {
        return Verdict::Bot(SpamReason::TokenExpired);
    }
    Verdict::Human
}

/// What a client is counted as for rate limits: an IPv4 address as it is, an IPv6 address by its
/// /64 prefix, which one customer line or host is routinely given whole (so every address in it
/// would otherwise be a fresh count). An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) is the
/// IPv4 one.
pub fn rate_limit_address(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
        // Not an address (a missing header reads as "unknown"): counted as given.
        Err(_) => ip.to_owned(),
    }
}

/// A keyed hash of the client's IP address (its `rate_limit_address`): a stable rate-limit key that
/// does not reveal the address.
pub fn client_key(secret: &[u8], ip: &str) -> String {
    hex(&hmac_sha256(secret, &[b"client-ip\n", rate_limit_address(ip).as_bytes()])[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::model::{form_token, renewed_token};

    const SECRET: &[u8] = b"test secret";

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_ms(ms)
    }

    fn demo() -> FormId {
        FormId::from("demo")
    }

    #[test]
    fn humans_who_take_their_time_pass() {
        let token = form_token(SECRET, &demo(), at(1_000_000));
        assert_eq!(
            verdict(SECRET, &demo(), Some(""), Some(&token), at(1_003_000), 2_000),
            Verdict::Human
        );
        assert_eq!(verdict(SECRET, &demo(), None, None, at(5), 0), Verdict::Human);
    }

    #[test]
    fn bots_are_told_apart() {
        let token = form_token(SECRET, &demo(), at(1_000_000));
        let check = |honeypot, token: Option<&str>, now, expected| {
            let reason = Verdict::Bot(expected);
            assert_eq!(
                verdict(SECRET, &demo(), honeypot, token, at(now), 2_000),
                reason,
                "{token:?}"
            );
        };
        check(Some("http://spam.example"), Some(&token), 2_000_000, SpamReason::Honeypot);
        check(None, Some(&token), 1_001_999, SpamReason::TooFast);
        check(None, None, 2_000_000, SpamReason::NoToken);
        check(None, Some("garbage"), 2_000_000, SpamReason::NoToken);
        check(None, Some("x.y"), 2_000_000, SpamReason::BadToken);
        // An older timestamp with the same signature is a forgery.
        let forged = token.replacen("1000000", "1", 1);
        check(None, Some(&forged), 2_000_000, SpamReason::BadToken);
        // A token for another form, or signed with another secret, does not transfer.
        let other = form_token(SECRET, &FormId::from("other"), at(1_000_000));
        check(None, Some(&other), 2_000_000, SpamReason::BadToken);
        check(
            None,
            Some(&form_token(b"other", &demo(), at(1_000_000))),
            2_000_000,
            SpamReason::BadToken,
        );
    }

    #[test]
    fn a_token_counts_for_its_maximum_age_only() {
        let issued = at(1_000_000);
        let token = form_token(SECRET, &demo(), issued);
        let at = |now: Timestamp| verdict(SECRET, &demo(), None, Some(&token), now, 2_000);
        assert_eq!(at(issued.plus_ms(MAX_TOKEN_AGE_MS)), Verdict::Human);
        assert_eq!(
            at(issued.plus_ms(MAX_TOKEN_AGE_MS + 1)),
            Verdict::Bot(SpamReason::TokenExpired)
        );
        assert_eq!(at(issued.plus_ms(24 * 3_600_000)), Verdict::Bot(SpamReason::TokenExpired));
        // With the timing check off, nothing about the token matters.
        let late = issued.plus_ms(24 * 3_600_000);
        assert_eq!(verdict(SECRET, &demo(), None, Some(&token), late, 0), Verdict::Human);
    }

    #[test]
    fn a_renewed_token_passes_at_once_and_for_the_maximum_age() {
        let (issued, min_fill) = (at(1_000_000), 2_000);
        let old = form_token(SECRET, &demo(), issued);
        let later = issued.plus_ms(24 * 3_600_000);
        let renewed = renewed_token(SECRET, &demo(), Some(&old), later, min_fill);
        let judge = |token: &str, now| verdict(SECRET, &demo(), None, Some(token), now, min_fill);
        assert_eq!(judge(&old, later), Verdict::Bot(SpamReason::TokenExpired));
        assert_eq!(judge(&renewed, later), Verdict::Human);
        assert_eq!(judge(&renewed, later.plus_ms(MAX_TOKEN_AGE_MS - min_fill)), Verdict::Human);
        let expired = later.plus_ms(MAX_TOKEN_AGE_MS);
        assert_eq!(judge(&renewed, expired), Verdict::Bot(SpamReason::TokenExpired));
        // A fresh token (what a forgery renews to) must wait the minimum like any other.
        let fresh = renewed_token(SECRET, &demo(), None, later, min_fill);
        assert_eq!(judge(&fresh, later), Verdict::Bot(SpamReason::TooFast));
    }

    #[test]
    fn ipv6_clients_count_by_their_64_prefix_and_ipv4_by_address() {
        let check = |ip: &str, expected: &str| assert_eq!(rate_limit_address(ip), expected, "{ip}");
        check("203.0.113.7", "203.0.113.7");
        check(" 203.0.113.7 ", "203.0.113.7");
        check("::ffff:203.0.113.7", "203.0.113.7");
        check("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64");
        check("2001:db8:1:2::ffff", "2001:db8:1:2::/64");
        check("2001:0DB8:0001:0002:aaaa::1", "2001:db8:1:2::/64");
        check("2001:db8:1:3::1", "2001:db8:1:3::/64");
        check("unknown", "unknown");
        let key = |ip| client_key(SECRET, ip);
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_ne!(key("203.0.113.7"), key("203.0.113.8"));
    }

    #[test]
    fn client_keys_are_stable_and_keyed() {
        assert_eq!(client_key(SECRET, "203.0.113.7"), client_key(SECRET, "203.0.113.7"));
        assert_ne!(client_key(SECRET, "203.0.113.7"), client_key(b"other", "203.0.113.7"));
        assert!(!client_key(SECRET, "203.0.113.7").contains("203"));
    }
}
