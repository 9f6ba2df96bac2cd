//! The Turnstile stand-in: Cloudflare's documented test secrets, answered as siteverify answers them.
//! The receiver itself is `xtask::receiver`, shared with the benchmarks.

pub use xtask::receiver::{Received, Receiver, Reply};

/// Cloudflare's documented Turnstile test secrets, answered as siteverify answers them.
pub const TURNSTILE_PASSES: &str = "1x0000000000000000000000000000000AA";
pub const TURNSTILE_FAILS: &str = "2x0000000000000000000000000000000AA";
pub const TURNSTILE_SPENT: &str = "3x0000000000000000000000000000000AA";
/// Not a Cloudflare key: our receiver answers 500 for it, to stand for siteverify being down.
pub const TURNSTILE_DOWN: &str = "receiver-answers-500";
/// The token Turnstile's test site keys produce. Our stand-in says it was solved on the roofer's site.
pub const DUMMY_TOKEN: &str = "XXXX.DUMMY.TOKEN.XXXX";
/// A good token solved on another site than the form's (our stand-in says `attacker.example`).
pub const ELSEWHERE_TOKEN: &str = "XXXX.DUMMY.TOKEN.ELSEWHERE";

pub fn siteverify(request: &Received) -> (u16, String) {
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap_or_default();
    let (success, code) = match body["secret"].as_str().unwrap_or_default() {
        TURNSTILE_PASSES => (true, None),
        TURNSTILE_FAILS => (false, Some("invalid-input-response")),
        TURNSTILE_SPENT => (false, Some("timeout-or-duplicate")),
        TURNSTILE_DOWN => return (500, "{}".to_owned()),
        _ => (false, Some("invalid-input-secret")),
    };
    let codes: Vec<&str> = code.into_iter().collect();
    let hostname =
        if body["response"] == ELSEWHERE_TOKEN { "attacker.example" } else { "roofer.example" };
    (
        200,
        serde_json::json!({"success": success, "error-codes": codes, "hostname": hostname})
            .to_string(),
    )
}
