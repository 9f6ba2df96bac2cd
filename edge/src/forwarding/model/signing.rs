//! Standard Webhooks signing (<https://www.standardwebhooks.com>): secrets in the `whsec_` form, and
//! the `webhook-signature` header, `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
//!
//! Plain functions: the random bytes of a new secret and the clock come in as arguments.

use crate::base::crypto::hmac_sha256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const SECRET_PREFIX: &str = "whsec_";

/// A signing secret as `whsec_` and the base64 of 32 random bytes (the spec asks for 24 to 64).
pub fn new_secret(random: [u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// The key bytes of a `whsec_` secret, or `None` if it is not one.
fn key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX)?;
    STANDARD.decode(encoded).ok().filter(|key| !key.is_empty())
}

/// One signature, `v1,<base64>`, or `None` for a malformed secret.
pub fn sign(secret: &str, id: &str, timestamp: u64, body: &[u8]) -> Option<String> {
    let timestamp = timestamp.to_string();
    let parts: [&[u8]; 5] = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body];
    Some(format!("v1,{}", STANDARD.encode(hmac_sha256(&key(secret)?, &parts))))
}

/// The `webhook-signature` header: one signature per secret, space-separated, so a receiver that
/// still holds the previous secret keeps verifying while a rotation overlaps. Malformed secrets are
/// skipped; `None` if none is usable.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: u64, body: &[u8]) -> Option<String> {
    let signatures: Vec<String> =
        secrets.iter().filter_map(|secret| sign(secret, id, timestamp, body)).collect();
    (!signatures.is_empty()).then(|| signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector the Standard Webhooks reference libraries publish.
    #[test]
    fn the_published_test_vector_passes() {
        let signature = sign(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1_649_367_553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(signature.as_deref(), Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="));
    }

    #[test]
    fn secrets_round_trip_and_malformed_ones_are_refused() {
        let secret = new_secret([9; 32]);
        assert!(secret.starts_with("whsec_"));
        assert_eq!(key(&secret), Some(vec![9; 32]));
        for bad in ["", "whsec_", "whsec_!!!", "C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "whsk_AAAA"] {
            assert_eq!(key(bad), None, "{bad}");
            assert_eq!(sign(bad, "msg_1", 1, b"{}"), None);
        }
    }

    #[test]
    fn a_rotation_sends_both_signatures() {
        let (old, new) = (new_secret([1; 32]), new_secret([2; 32]));
        let header =
            signature_header(&[&new, &old], "msg_1", 1_700_000_000, b"{}").unwrap_or_default();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(Some(parts[0].to_owned()), sign(&new, "msg_1", 1_700_000_000, b"{}"));
        assert_eq!(Some(parts[1].to_owned()), sign(&old, "msg_1", 1_700_000_000, b"{}"));
        assert_eq!(signature_header(&["nope"], "msg_1", 1, b"{}"), None);
    }

    #[test]
    fn the_signature_covers_id_timestamp_and_body() {
        let secret = new_secret([3; 32]);
        let base = sign(&secret, "msg_1", 10, b"{}");
        assert_ne!(base, sign(&secret, "msg_2", 10, b"{}"));
        assert_ne!(base, sign(&secret, "msg_1", 11, b"{}"));
        assert_ne!(base, sign(&secret, "msg_1", 10, b"{ }"));
    }
}
