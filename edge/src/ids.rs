//! Identifier formats. Randomness comes in as an argument (the shell reads it from `crypto`), so the
//! format is testable natively.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/// A lead id: `ld_` and 26 base32 characters encoding 128 random bits, so ids are unguessable and
/// can later appear in links without revealing how many leads a business has.
pub fn lead_id(random: [u8; 16]) -> String {
    format!("ld_{}", base32(&random))
}

/// A destination id: `dst_` and 128 random bits.
pub fn destination_id(random: [u8; 16]) -> String {
    format!("dst_{}", base32(&random))
}

/// A delivery id: `msg_` and 128 random bits. It is the Standard Webhooks `webhook-id`, the same on
/// every attempt, so receivers can drop duplicates.
pub fn delivery_id(random: [u8; 16]) -> String {
    format!("msg_{}", base32(&random))
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(lead_id([0; 16]), format!("ld_{}", "0".repeat(26)));
        assert_eq!(lead_id([0xff; 16]), format!("ld_{}w", "z".repeat(25)));
        assert_eq!(base32(b"f"), "cr");
        assert_eq!(base32(b"foobar"), "csqpyrk1e8");
        let id = lead_id(*b"0123456789abcdef");
        assert_eq!(id.len(), 29);
        assert!(crate::route::is_id(&id));
        assert!(crate::route::is_id(&destination_id([7; 16])));
        assert!(delivery_id([0; 16]).starts_with("msg_"));
    }
}
