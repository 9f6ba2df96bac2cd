//! Inlet's form model and validation rules, shared by the widget (in the visitor's browser) and the
//! edge (in the Worker), so a rule exists exactly once.
//!
//! This crate does no IO: no DOM, no network, no clock, no randomness. It builds for the host and for
//! `wasm32-unknown-unknown` alike, and all of its tests run with plain `cargo test`.
//!
//! The flow is: an untrusted [`LeadSubmission`] (strings and booleans, as a client sent them) is
//! checked against a [`FormDefinition`] by [`Lead::parse`], which returns a proven [`Lead`] or every
//! field's [`FieldError`] at once.
//!
//! [`Role::may`] says what each member of a business may do, for the edge to enforce and the
//! dashboard to show. The accounts API's payloads ([`SignUpRequest`], [`Account`], ...) are here so the
//! dashboard and the edge share one definition of each.

mod account;
mod api_key;
mod business;
mod email;
mod error;
mod form;
mod i18n;
mod inbox;
mod map;
mod password;
mod phone;
mod roles;
mod submission;
mod text;
mod token;

pub use account::{
    Account, BusinessRequest, Credentials, InvitationRequest, LinkSent, MAX_BUSINESS_NAME_CHARS,
    MemberList, MemberSummary, Membership, OwnershipTransfer, PasswordRequest, RoleChange,
    SessionSummary, Sessions, SignInLinkRequest, SignInRequest, SignUpRequest, User,
};
pub use api_key::{
    ApiKeyList, ApiKeyRequest, ApiKeySummary, CreatedApiKey, MAX_API_KEY_NAME_CHARS, Scope,
};
pub use business::{FormList, FormSummary};
pub use email::Email;
pub use error::{ErrorCode, FieldError};
pub use form::{DefinitionError, Field, FieldKind, FormDefinition};
pub use i18n::{Locale, UiText};
pub use inbox::{
    DEFAULT_PAGE, FilterError, InboxFilter, LabelledAnswer, LeadAttempt, LeadChange, LeadDelivery,
    LeadDetail, LeadEvent, LeadPage, LeadStatus, LeadSummary, MAX_NOTE_CHARS, MAX_PAGE,
    MAX_SEARCH_BYTES, MAX_TAG_CHARS, MAX_TAGS, Note, NoteRequest, day_ms, normalise_tag,
};
pub use map::SmallMap;
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordProblem, check_password};
pub use phone::{Country, Phone};
pub use roles::{Action, Role};
pub use submission::{
    Consent, Lead, LeadSubmission, LeadValue, PageContext, RawValue, UTM_KEYS, field_error,
    field_errors,
};
pub use text::{MAX_MULTI_LINE_CHARS, MAX_SINGLE_LINE_CHARS, decimal};
pub use token::{FORM_TOKEN_MAX_AGE_SECONDS, FORM_TOKEN_RENEW_AFTER_SECONDS};
