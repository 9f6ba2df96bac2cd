//! Spam defence that costs visitors nothing: a honeypot field and a minimum time-to-fill.
//!
//! Time-to-fill is measured by the server, not reported by the client: serving a form issues a token
//! that signs the form id and the time (HMAC-SHA256 with the Worker's secret), and a submission brings
//! it back. A bot cannot forge an older token, and a token counts only for
//! `FORM_TOKEN_MAX_AGE_SECONDS`, so one fetched token cannot vouch for a flood sent later.
//!
//! A person's widget renews a token it has held long (a tab left open, a lead sent later from the
//! outbox) by handing the old one back: a genuine token that has already waited the minimum fill
//! time buys a new one dated that minimum before now, so the renewal costs the visitor no second wait.
//! That gives a script nothing it could not get by fetching the form and waiting once.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use inlet_shared::FORM_TOKEN_MAX_AGE_SECONDS;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// `FORM_TOKEN_MAX_AGE_SECONDS` in milliseconds.
pub const MAX_TOKEN_AGE_MS: u64 = FORM_TOKEN_MAX_AGE_SECONDS as u64 * 1000;

/// Why a submission was judged a bot's. The reason is stored with the lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Human,
    Bot(&'static str),
}

/// The token served with a form: `<issued ms>.<signature>`.
pub fn form_token(secret: &[u8], form_id: &str, issued_ms: u64) -> String {
    format!("{issued_ms}.{}", signature(secret, form_id, issued_ms))
}

fn signature(secret: &[u8], form_id: &str, issued_ms: u64) -> String {
    let mut mac = keyed(secret);
    mac.update(format!("form-token\n{form_id}\n{issued_ms}").as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

/// HMAC takes keys of any length, so `new_from_slice` never fails and the fallback never runs; it is
/// there to keep `unwrap` off the request path.
fn keyed(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()))
}

/// The time a genuine token of this form was issued, or why it is not one.
fn issued_at(secret: &[u8], form_id: &str, token: Option<&str>) -> Result<u64, &'static str> {
    let (issued, given) = token.and_then(|t| t.split_once('.')).ok_or("no_token")?;
    let issued_ms = issued.parse::<u64>().map_err(|_| "bad_token")?;
    if constant_time_eq(given.as_bytes(), signature(secret, form_id, issued_ms).as_bytes()) {
        Ok(issued_ms)
    } else {
        Err("bad_token")
    }
}

/// Judges a submission. `min_fill_ms` of 0 turns the timing check off.
pub fn verdict(
    secret: &[u8],
    form_id: &str,
    honeypot: Option<&str>,
    token: Option<&str>,
    now_ms: u64,
    min_fill_ms: u64,
) -> Verdict {
    if honeypot.is_some_and(|value| !value.trim().is_empty()) {
        return Verdict::Bot("honeypot");
    }
    if min_fill_ms == 0 {
        return Verdict::Human;
    }
    let issued_ms = match issued_at(secret, form_id, token) {
        Ok(issued_ms) => issued_ms,
        Err(reason) => return Verdict::Bot(reason),
    };
    if now_ms < issued_ms.saturating_add(min_fill_ms) {
        return Verdict::Bot("too_fast");
    }
    if now_ms > issued_ms.saturating_add(MAX_TOKEN_AGE_MS) {
        return Verdict::Bot("token_expired");
    }
    Verdict::Human
}

/// A new token in exchange for `previous`. A genuine token of this form, however old, that has waited
/// `min_fill_ms` is renewed as one issued `min_fill_ms` ago, ready at once; anything else gets a token
/// issued now, exactly what serving the form gives.
pub fn renewed_token(
    secret: &[u8],
    form_id: &str,
    previous: Option<&str>,
    now_ms: u64,
    min_fill_ms: u64,
) -> String {
    let ready_since = now_ms.saturating_sub(min_fill_ms);
    match issued_at(secret, form_id, previous) {
        Ok(issued_ms) if issued_ms <= ready_since => form_token(secret, form_id, ready_since),
        _ => form_token(secret, form_id, now_ms),
    }
}

/// What a client is counted as for rate limits: an IPv4 address as it is, an IPv6 address by its /64
/// prefix, which one customer line or host is routinely given whole (so every address in it would
/// otherwise be a fresh count). An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) is the IPv4 one.
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
    let mut mac = keyed(secret);
    mac.update(b"client-ip\n");
    mac.update(rate_limit_address(ip).as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

/// SHA-256 of a request body, hex: the fingerprint idempotency keys are checked against.
pub fn body_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test secret";

    #[test]
    fn humans_who_take_their_time_pass() {
        let token = form_token(SECRET, "demo", 1_000_000);
        assert_eq!(
            verdict(SECRET, "demo", Some(""), Some(&token), 1_003_000, 2_000),
            Verdict::Human
        );
        assert_eq!(verdict(SECRET, "demo", None, None, 5, 0), Verdict::Human);
    }

    #[test]
    fn bots_are_told_apart() {
        let token = form_token(SECRET, "demo", 1_000_000);
        let check = |honeypot, token: Option<&str>, now, expected| {
            assert_eq!(verdict(SECRET, "demo", honeypot, token, now, 2_000), expected, "{token:?}");
        };
        check(Some("http://spam.example"), Some(&token), 2_000_000, Verdict::Bot("honeypot"));
        check(None, Some(&token), 1_001_999, Verdict::Bot("too_fast"));
        check(None, None, 2_000_000, Verdict::Bot("no_token"));
        check(None, Some("garbage"), 2_000_000, Verdict::Bot("no_token"));
        check(None, Some("x.y"), 2_000_000, Verdict::Bot("bad_token"));
        // An older timestamp with the same signature is a forgery.
        let forged = token.replacen("1000000", "1", 1);
        check(None, Some(&forged), 2_000_000, Verdict::Bot("bad_token"));
        // A token for another form, or signed with another secret, does not transfer.
        check(
            None,
            Some(&form_token(SECRET, "other", 1_000_000)),
            2_000_000,
            Verdict::Bot("bad_token"),
        );
        check(
            None,
            Some(&form_token(b"other", "demo", 1_000_000)),
            2_000_000,
            Verdict::Bot("bad_token"),
        );
    }

    #[test]
    fn a_token_counts_for_its_maximum_age_only() {
        let issued = 1_000_000;
        let token = form_token(SECRET, "demo", issued);
        let at = |now| verdict(SECRET, "demo", None, Some(&token), now, 2_000);
        assert_eq!(at(issued + MAX_TOKEN_AGE_MS), Verdict::Human);
        assert_eq!(at(issued + MAX_TOKEN_AGE_MS + 1), Verdict::Bot("token_expired"));
        assert_eq!(at(issued + 24 * 3_600_000), Verdict::Bot("token_expired"));
        // With the timing check off, nothing about the token matters.
        assert_eq!(
            verdict(SECRET, "demo", None, Some(&token), issued + 24 * 3_600_000, 0),
            Verdict::Human
        );
    }

    #[test]
    fn a_waited_token_renews_ready_and_anything_else_renews_fresh() {
        let (issued, min_fill) = (1_000_000, 2_000);
        let old = form_token(SECRET, "demo", issued);
        // A day later the old token has expired; its renewal is ready at once and for the maximum age.
        let later = issued + 24 * 3_600_000;
        let renewed = renewed_token(SECRET, "demo", Some(&old), later, min_fill);
        assert_eq!(
            verdict(SECRET, "demo", None, Some(&old), later, min_fill),
            Verdict::Bot("token_expired")
        );
        assert_eq!(verdict(SECRET, "demo", None, Some(&renewed), later, min_fill), Verdict::Human);
        assert_eq!(
            verdict(
                SECRET,
                "demo",
                None,
                Some(&renewed),
                later + MAX_TOKEN_AGE_MS - min_fill,
                min_fill
            ),
            Verdict::Human
        );
        assert_eq!(
            verdict(SECRET, "demo", None, Some(&renewed), later + MAX_TOKEN_AGE_MS, min_fill),
            Verdict::Bot("token_expired")
        );
        // A token that has not waited, a forgery, another form's token or none: a fresh token, which
        // must wait the minimum like any other.
        let too_young = renewed_token(SECRET, "demo", Some(&old), issued + 1_999, min_fill);
        let forged =
            renewed_token(SECRET, "demo", Some(&old.replacen("1000000", "1", 1)), later, min_fill);
        let foreign = renewed_token(
            SECRET,
            "demo",
            Some(&form_token(SECRET, "other", issued)),
            later,
            min_fill,
        );
        let none = renewed_token(SECRET, "demo", None, later, min_fill);
        assert_eq!(
            verdict(SECRET, "demo", None, Some(&too_young), issued + 1_999, min_fill),
            Verdict::Bot("too_fast")
        );
        for fresh in [forged, foreign, none] {
            assert_eq!(fresh, form_token(SECRET, "demo", later));
            assert_eq!(
                verdict(SECRET, "demo", None, Some(&fresh), later, min_fill),
                Verdict::Bot("too_fast")
            );
        }
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
        assert_eq!(
            client_key(SECRET, "2001:db8:1:2::1"),
            client_key(SECRET, "2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(client_key(SECRET, "2001:db8:1:2::1"), client_key(SECRET, "2001:db8:1:3::1"));
        assert_ne!(client_key(SECRET, "203.0.113.7"), client_key(SECRET, "203.0.113.8"));
    }

    #[test]
    fn hashes_are_stable_and_keyed() {
        assert_eq!(client_key(SECRET, "203.0.113.7"), client_key(SECRET, "203.0.113.7"));
        assert_ne!(client_key(SECRET, "203.0.113.7"), client_key(b"other", "203.0.113.7"));
        assert!(!client_key(SECRET, "203.0.113.7").contains("203"));
        assert_eq!(
            body_hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
