//! Randomness from the runtime's cryptographic source (`crypto.getRandomValues`).

use wasm_bindgen::JsCast;

/// The runtime gave no random bytes. Never expected in a Worker; callers fail the request or retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomUnavailable;

impl std::fmt::Display for RandomUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("crypto.getRandomValues is unavailable")
    }
}

/// `N` bytes from the runtime's cryptographic random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomUnavailable> {
    let crypto: web_sys::Crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .and_then(|c| c.dyn_into().ok())
        .ok_or(RandomUnavailable)?;
    let mut bytes = [0u8; N];
    crypto.get_random_values_with_u8_array(&mut bytes).map_err(|_| RandomUnavailable)?;
    Ok(bytes)
}
