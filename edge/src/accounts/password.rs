//! Passwords, hashed with Argon2id at OWASP's parameters (19 MiB, two passes, one lane) and stored
//! as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so the parameters travel with each
//! hash and can be raised later without breaking old ones.
//!
//! Not WebCrypto's PBKDF2: Workers cap it at 100,000 iterations, below OWASP's 600,000, and
//! `wrangler dev` does not apply the cap, so a setting could pass locally and fail in production.
//! One hash costs about 14 ms inside workerd here (`cargo xtask bench-inbox` prints it), over the
//! Free plan's 10 ms of CPU a request, so password sign-in needs the Paid plan; see the README.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's Password Storage Cheat Sheet, first Argon2id option.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// A hash of a password nobody knows (256 random bits, thrown away; made once with argon2-cffi), with
/// the same parameters: checking a password against it costs what checking a real one does, so an
/// unknown address answers no faster than a known one.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$8aJ2bg0DTV6sixVE5IKDKQ$eSA0hnC0RYXzfKLGwljh3WAZuUUW5wewjXqds7J9teM";

/// Hashing failed: parameters out of range or a salt of the wrong size, a bug never a person's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashFailed(pub String);

impl std::fmt::Display for HashFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "argon2: {}", self.0)
    }
}

fn argon2() -> Result<Argon2<'static>, HashFailed> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|error| HashFailed(error.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of `password` with a fresh 128-bit `salt`.
pub fn hash(password: &str, salt: [u8; 16]) -> Result<String, HashFailed> {
    let salt = SaltString::encode_b64(&salt).map_err(|error| HashFailed(error.to_string()))?;
    let hash = argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| HashFailed(error.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` is the one `stored` was made from. With no stored hash (an unknown address,
/// or a person without a password), the check still runs, against [`DUMMY_HASH`], and fails.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let Ok(argon2) = argon2() else { return false };
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (DUMMY_HASH, false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    // The parameters are the stored hash's own, so hashes made with older ones still verify.
    argon2.verify_password(password.as_bytes(), &parsed).is_ok() && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse battery", [3; 16]).expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", Some(&phc)));
        assert!(!verify("correct horse batterz", Some(&phc)));
        assert!(!verify("", Some(&phc)));
        assert!(!verify("correct horse battery", Some("not a phc string")));
        // A fresh salt makes a different hash of the same password.
        assert_ne!(hash("correct horse battery", [4; 16]).expect("hash"), phc);
    }

    #[test]
    fn the_dummy_hash_is_real_work_and_never_matches() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("a PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).expect("params");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (MEMORY_KIB, PASSES, LANES)
        );
        assert!(!verify("", None));
        assert!(!verify("correct horse battery", None));
    }
}
