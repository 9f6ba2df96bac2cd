//! Idempotency keys (the IETF httpapi draft's `Idempotency-Key`): which keys are valid, and what a
//! key is checked against when it comes again.

use crate::base::crypto::{hex, sha256};
use inlet_shared::LeadSubmission;

/// Longest key accepted.
pub const MAX_KEY_CHARS: usize = 255;

/// The key in an `Idempotency-Key` header value: 1 to 255 visible ASCII characters (quotes, as the
/// draft's structured-field string form has them, are dropped). `None` if it is not valid.
pub fn parse_key(raw: &str) -> Option<String> {
    let key = raw.trim().trim_matches('"');
    let valid =
        !key.is_empty() && key.len() <= MAX_KEY_CHARS && key.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| key.to_owned())
}

/// What a key is checked against: the submission without the proofs about its sender (the form
/// token and the Turnstile response), which a retry may carry renewed. SHA-256 of its JSON, hex.
/// Serialising our own struct cannot fail (string keys, no floats).
pub fn fingerprint(submission: &LeadSubmission) -> String {
    let content = LeadSubmission { token: None, turnstile: None, ..submission.clone() };
    hex(&sha256(&serde_json::to_vec(&content).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(parse_key(" \"abc-123\" ").as_deref(), Some("abc-123"));
        assert_eq!(parse_key(&"k".repeat(MAX_KEY_CHARS)).map(|k| k.len()), Some(MAX_KEY_CHARS));
        for bad in ["", "\"\"", "a b", "é", &"k".repeat(MAX_KEY_CHARS + 1)] {
            assert_eq!(parse_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_fingerprint_ignores_the_senders_proofs_only() {
        let submission =
            |json: &str| -> LeadSubmission { serde_json::from_str(json).expect("json") };
        let plain = submission(r#"{"fields": {"email": "a@b.example"}}"#);
        let with_proofs =
            submission(r#"{"fields": {"email": "a@b.example"}, "token": "1.x", "turnstile": "t"}"#);
        let other = submission(r#"{"fields": {"email": "c@b.example"}}"#);
        assert_eq!(fingerprint(&plain), fingerprint(&with_proofs));
        assert_ne!(fingerprint(&plain), fingerprint(&other));
        assert_eq!(fingerprint(&plain).len(), 64);
    }
}
