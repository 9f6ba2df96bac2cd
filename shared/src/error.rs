//! Field errors: a stable machine code for clients to switch on, and a sentence for the visitor.
//!
//! The codes are part of the public API (they appear in `422` responses), so a code is never renamed;
//! new ones may be added.

use crate::{FieldKind, Locale};
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
    /// For `too_long`: the most characters allowed, so a client can write its own sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

impl FieldError {
    /// An error for `field` with the English sentence for `code`.
    pub fn new(field: &str, code: ErrorCode) -> Self {
        Self::for_kind(field, code, None, None)
    }

    /// A `too_long` error that tells the visitor the limit.
    pub fn too_long(field: &str, max_chars: usize) -> Self {
        Self::for_kind(field, ErrorCode::TooLong, None, Some(max_chars))
    }

    /// An error whose sentence suits the field's kind ("Please enter your email address.").
    pub fn for_kind(
        field: &str,
        code: ErrorCode,
        kind: Option<&FieldKind>,
        limit: Option<usize>,
    ) -> Self {
        let message = Locale::En.field_message(code, kind, limit);
        Self { field: field.to_owned(), code, message, limit }
    }

    /// The sentence in another language.
    pub fn message_in(&self, locale: Locale, kind: Option<&FieldKind>) -> String {
        locale.field_message(self.code, kind, self.limit)
    }
}
