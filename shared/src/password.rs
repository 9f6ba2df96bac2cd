//! The rule for an account's password: 10 to 128 characters, no composition rules, and not one of
//! the 1,000 most common passwords (NIST SP 800-63B, 5.1.1.2), for the edge to enforce when a
//! password is set and the dashboard to show as the person types. Hashing is done elsewhere.
//!
//! The common passwords come from SecLists,
//! `Passwords/Common-Credentials/10-million-password-list-top-1000.txt` at commit
//! `74d9d3259d82c441c1217104cb7debd5912178b6` of <https://github.com/danielmiessler/SecLists>
//! (MIT licence, copyright (c) 2025 Daniel Miessler). `common_passwords.txt` holds all 1,000,
//! lower-cased, deduplicated (998 remain: `Password` and `PASSWORD` are `password`) and sorted, one a
//! line. Most have fewer than 10 characters, which the length rule refuses anyway; they are kept so
//! that one padded with white space to 10 (`"password  "`) is refused too, as the trimmed comparison
//! below intends, and so that the list stays right if the length rule ever changes. They cost about
//! 7 KB before compression.

use serde::{Deserialize, Serialize};

/// The fewest characters (Unicode scalar values, white space included) a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The most characters a password may have.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// One entry a line. Invariant, checked by the tests: every entry is lower-case ASCII, and the
/// entries are sorted with no repeats.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Why a password was refused. The serde name is the stable wire code and always equals
/// [`PasswordProblem::as_str`]; codes are never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[serde(rename = "password_too_short")]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[serde(rename = "password_too_long")]
    TooLong,
    /// One of the most common passwords, in any case, with or without white space around it.
    #[serde(rename = "password_too_common")]
    TooCommon,
}

impl PasswordProblem {
    /// The wire code, e.g. `password_too_short`.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password_too_short",
            PasswordProblem::TooLong => "password_too_long",
            PasswordProblem::TooCommon => "password_too_common",
        }
    }

    /// The sentence for the person choosing the password, in English.
    pub fn message(self) -> String {
        match self {
            PasswordProblem::TooShort => {
                format!("Please choose a password of at least {MIN_PASSWORD_CHARS} characters.")
            }
            PasswordProblem::TooLong => {
                format!("Please choose a password of at most {MAX_PASSWORD_CHARS} characters.")
            }
            PasswordProblem::TooCommon => {
                "That password is one of the most common, so it is easy to guess. Please choose \
                 another."
                    .to_owned()
            }
        }
    }
}

/// Checks a password as typed, without trimming or normalising it: its length first, then the
/// list of common passwords.
pub fn check_password(password: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if is_common(password) || is_common(password.trim()) {
        return Err(PasswordProblem::TooCommon);
    }
    Ok(())
}

/// Whether `candidate` is on the list, in any case. Every entry is ASCII, so ASCII case folding
/// catches every casing of one, with no allocation and without the Unicode case tables that
/// `to_lowercase` would bring into the wasm.
fn is_common(candidate: &str) -> bool {
    COMMON_PASSWORDS.lines().any(|entry| entry.eq_ignore_ascii_case(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str, expected: Result<(), PasswordProblem>) {
        assert_eq!(check_password(password), expected, "password {password:?}");
    }

    fn entries() -> Vec<&'static str> {
        COMMON_PASSWORDS.lines().collect()
    }

    #[test]
    fn length_bounds_in_characters() {
        check("", Err(PasswordProblem::TooShort));
        check(&"a".repeat(9), Err(PasswordProblem::TooShort));
        check(&"a".repeat(10), Ok(()));
        check(&"a".repeat(128), Ok(()));
        check(&"a".repeat(129), Err(PasswordProblem::TooLong));
        // 18 bytes but 9 characters, then 512 bytes but 128.
        check(&"é".repeat(9), Err(PasswordProblem::TooShort));
        check(&"é".repeat(10), Ok(()));
        check(&"😀".repeat(128), Ok(()));
        check(&"😀".repeat(129), Err(PasswordProblem::TooLong));
        // Scalar values, not what a reader sees: "e" and a combining accent are two.
        check(&"e\u{301}".repeat(5), Ok(()));
        // White space is part of a password and counts.
        check("  abcdefgh", Ok(()));
        check(" abcdefgh", Err(PasswordProblem::TooShort));
    }

    #[test]
    fn common_passwords_are_refused_in_any_case_and_padding() {
        for password in [
            "qwertyuiop",
            "QWERTYUIOP",
            "QwErTyUiOp",
            "Usuckballz1",
            "1q2w3e4r5T",
            "1234567890",
            " 1234567890 ",
            "\t0987654321\n",
        ] {
            check(password, Err(PasswordProblem::TooCommon));
        }
        // Short entries padded to the minimum length are still common passwords.
        check("password  ", Err(PasswordProblem::TooCommon));
        check(" \tdragon\n\n ", Err(PasswordProblem::TooCommon));
        for entry in entries().into_iter().filter(|e| e.len() >= MIN_PASSWORD_CHARS) {
            check(&entry.to_ascii_uppercase(), Err(PasswordProblem::TooCommon));
        }
    }

    #[test]
    fn only_whole_entries_are_refused() {
        check("qwertyuiop1", Ok(()));
        check("my qwertyuiop", Ok(()));
        check("qwerty uiop", Ok(()));
    }

    #[test]
    fn a_long_unusual_passphrase_is_accepted() {
        check("heron violin tuesday marmalade cobblestone", Ok(()));
    }

    #[test]
    fn the_shipped_list_is_well_formed() {
        let entries = entries();
        assert_eq!(entries.len(), 998, "the module doc says how many entries there are");
        for entry in &entries {
            assert!(entry.is_ascii(), "{entry:?} is not ASCII, which is_common relies on");
            assert_eq!(*entry, entry.to_ascii_lowercase(), "{entry:?} is not lower-case");
            assert!(!entry.is_empty() && entry.trim() == *entry, "{entry:?}");
        }
        for pair in entries.windows(2) {
            let (before, after) = (pair[0], pair[1]);
            assert!(before < after, "{before:?} and {after:?} are out of order or repeated");
        }
        assert!(COMMON_PASSWORDS.ends_with('\n') && !COMMON_PASSWORDS.contains('\r'));
    }

    #[test]
    fn wire_codes_and_messages() {
        for problem in
            [PasswordProblem::TooShort, PasswordProblem::TooLong, PasswordProblem::TooCommon]
        {
            let json = serde_json::to_string(&problem).unwrap();
            assert_eq!(json, format!("\"{}\"", problem.as_str()));
            assert_eq!(serde_json::from_str::<PasswordProblem>(&json).unwrap(), problem);
        }
        assert!(PasswordProblem::TooShort.message().contains("10 characters"));
        assert!(PasswordProblem::TooLong.message().contains("128 characters"));
    }
}
