//! Field errors: a stable machine code for clients to switch on, and a sentence for the visitor.
//!
//! The codes are part of the public API (they appear in `422` responses), so a code is never renamed;
//! new ones may be added.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a field's value was refused. The `snake_case` name is the stable wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    FieldRequired,
    EmailInvalid,
    PhoneInvalid,
    TooLong,
    InvalidOption,
    ConsentRequired,
    InvalidType,
    InvalidCharacters,
    UnknownField,
}

impl ErrorCode {
    /// The wire code, e.g. `email_invalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FieldRequired => "field_required",
            ErrorCode::EmailInvalid => "email_invalid",
            ErrorCode::PhoneInvalid => "phone_invalid",
            ErrorCode::TooLong => "too_long",
            ErrorCode::InvalidOption => "invalid_option",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InvalidType => "invalid_type",
            ErrorCode::InvalidCharacters => "invalid_characters",
            ErrorCode::UnknownField => "unknown_field",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One refused field. `message` is written for the visitor and is safe to show as text (never as HTML).
///
/// Invariant: `message` is the sentence that `code` (and `limit`, for `too_long`) calls for, so a
/// client may show it as is or derive its own from `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    /// An error for `field` with the standard sentence for `code`.
    pub fn new(field: &str, code: ErrorCode) -> Self {
        Self::with_message(field, code, default_message(code).to_owned())
    }

    /// A `too_long` error that tells the visitor the limit.
    pub fn too_long(field: &str, max_chars: usize) -> Self {
        Self::with_message(
            field,
            ErrorCode::TooLong,
            format!("Please shorten this to at most {max_chars} characters."),
        )
    }

    pub(crate) fn with_message(field: &str, code: ErrorCode, message: String) -> Self {
        Self { field: field.to_owned(), code, message }
    }
}

fn default_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::FieldRequired => "Please fill in this field.",
        ErrorCode::EmailInvalid => "Please enter a valid email address, like name@example.com.",
        ErrorCode::PhoneInvalid => "Please enter a valid phone number, including the area code.",
        ErrorCode::TooLong => "Please shorten this.",
        ErrorCode::InvalidOption => "Please choose one of the options.",
        ErrorCode::ConsentRequired => "Please tick this box to continue.",
        ErrorCode::InvalidType => "This value has the wrong type.",
        ErrorCode::InvalidCharacters => "Please remove the special characters from this field.",
        ErrorCode::UnknownField => "This form has no such field.",
    }
}
