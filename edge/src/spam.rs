//! Spam defence that costs visitors nothing: a honeypot field and a minimum time-to-fill.
//!
//! Time-to-fill is measured by the server, not reported by the client: serving a form issues a token
//! that signs the form id and the time (HMAC-SHA256 with the Worker's secret), and a submission brings
//! it back. A bot cannot forge an older token, and a cached token only makes the measured time longer.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

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
    <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()))
}

/// Judges a submission. `min_fill_ms` of 0 turns the timing check off.
pub fn verdict(secret: &[u8], form_id: &str, honeypot: Option<&str>, token: Option<&str>, now_ms: u64, min_fill_ms: u64) -> Verdict {
    if honeypot.is_some_and(|value| !value.trim().is_empty()) {
        return Verdict::Bot("honeypot");
    }
    if min_fill_ms == 0 {
        return Verdict::Human;
    }
    let Some((issued, given)) = token.and_then(|t| t.split_once('.')) else { return Verdict::Bot("no_token") };
    let Ok(issued_ms) = issued.parse::<u64>() else { return Verdict::Bot("bad_token") };
    if !constant_time_eq(given.as_bytes(), signature(secret, form_id, issued_ms).as_bytes()) {
        return Verdict::Bot("bad_token");
    }
    if now_ms < issued_ms.saturating_add(min_fill_ms) {
        return Verdict::Bot("too_fast");
    }
    Verdict::Human
}

/// A keyed hash of the client's IP address: a stable rate-limit key that does not reveal the address.
pub fn client_key(secret: &[u8], ip: &str) -> String {
    let mut mac = keyed(secret);
    mac.update(b"client-ip\n");
    mac.update(ip.as_bytes());
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
        assert_eq!(verdict(SECRET, "demo", Some(""), Some(&token), 1_003_000, 2_000), Verdict::Human);
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
        check(None, Some(&form_token(SECRET, "other", 1_000_000)), 2_000_000, Verdict::Bot("bad_token"));
        check(None, Some(&form_token(b"other", "demo", 1_000_000)), 2_000_000, Verdict::Bot("bad_token"));
    }

    #[test]
    fn hashes_are_stable_and_keyed() {
        assert_eq!(client_key(SECRET, "203.0.113.7"), client_key(SECRET, "203.0.113.7"));
        assert_ne!(client_key(SECRET, "203.0.113.7"), client_key(b"other", "203.0.113.7"));
        assert!(!client_key(SECRET, "203.0.113.7").contains("203"));
        assert_eq!(body_hash(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
