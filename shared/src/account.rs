//! The accounts API's payloads: what the dashboard sends to sign up, ask for a sign-in link, sign in
//! and manage its sessions, and what the edge answers. Both sides compile against these types, so a
//! renamed member breaks the build rather than the sign-in page.
//!
//! Checks that need no IO live here too ([`SignUpRequest::check`]), so the dashboard refuses a blank
//! business name before sending it and the edge refuses it with the same field error.

use crate::{Email, ErrorCode, FieldError, Role};
use serde::{Deserialize, Serialize};

/// Longest business name, in characters.
pub const MAX_BUSINESS_NAME_CHARS: usize = 100;

/// `POST /v1/account/sign-up`: a new business and the address of its first owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    pub business_name: String,
    pub email: String,
}

impl SignUpRequest {
    /// The business name (trimmed, one line) and the canonical address, or every field's error.
    pub fn check(&self) -> Result<(String, Email), Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = check_business_name(&self.business_name).map_err(|e| errors.push(e)).ok();
        let email = check_email(&self.email).map_err(|error| errors.push(error)).ok();
        match (name, email) {
            (Some(name), Some(email)) if errors.is_empty() => Ok((name, email)),
            _ => Err(errors),
        }
    }
}

/// `POST /v1/account/businesses`: another business for the signed-in person, who becomes its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessRequest {
    pub business_name: String,
}

impl BusinessRequest {
    /// The business name, trimmed to one line, or its error.
    pub fn check(&self) -> Result<String, Vec<FieldError>> {
        check_business_name(&self.business_name).map_err(|error| vec![error])
    }
}

/// A business name as it is stored: its words joined by single spaces, 1 to 100 characters.
fn check_business_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err(FieldError::new("business_name", ErrorCode::FieldRequired))
    } else if name.chars().count() > MAX_BUSINESS_NAME_CHARS {
        Err(FieldError::too_long("business_name", MAX_BUSINESS_NAME_CHARS))
    } else {
        Ok(name)
    }
}

/// `POST /v1/account/sign-in-links`: email me a link that signs me in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    pub email: String,
}

impl SignInLinkRequest {
    pub fn check(&self) -> Result<Email, Vec<FieldError>> {
        check_email(&self.email).map_err(|error| vec![error])
    }
}

fn check_email(raw: &str) -> Result<Email, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new("email", ErrorCode::FieldRequired));
    }
    Email::parse(raw).map_err(|code| FieldError::new("email", code))
}

/// `POST /v1/account/sessions`: sign in, with the token of an emailed link, or with an address and
/// its password. Exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// How a [`SignInRequest`] proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    Link(&'a str),
    Password { email: &'a str, password: &'a str },
}

impl SignInRequest {
    /// The one kind of credential the request carries; `None` for neither, both, or half of one.
    pub fn credentials(&self) -> Option<Credentials<'_>> {
        match (&self.link, &self.email, &self.password) {
            (Some(link), None, None) => Some(Credentials::Link(link)),
            (None, Some(email), Some(password)) => Some(Credentials::Password { email, password }),
            _ => None,
        }
    }
}

/// `POST /v1/account/password`: set or replace the signed-in person's password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub password: String,
}

/// The answer to a request for an emailed link. It is the same whether or not the address has an
/// account, so it tells nobody which addresses do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSent {
    pub message: String,
}

/// `GET /v1/account`, and the answer to signing in: who is signed in, with this session's id and
/// every business they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user: User,
    /// This session's public id (never its token), e.g. to sign out with
    /// `DELETE /v1/account/sessions/{id}`.
    pub session_id: String,
    pub businesses: Vec<Membership>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    /// Whether the person can sign in with a password as well as by emailed link.
    pub has_password: bool,
}

/// One business the person belongs to, and their role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub tenant_id: String,
    pub name: String,
    pub role: Role,
}

/// `GET /v1/account/sessions`: every session of the signed-in person, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    pub sessions: Vec<SessionSummary>,
}

/// A session as its owner sees it. Times are RFC 3339, UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: String,
    pub created_at: String,
    pub last_used_at: String,
    /// When it ends at the latest, however often it is used.
    pub expires_at: String,
    /// The browser that signed in, as it described itself (at most 200 characters).
    pub user_agent: Option<String>,
    /// Whether this is the session that asked.
    pub current: bool,
}

/// `POST /v1/tenants/{tenant_id}/invitations`: email this address a link that makes them a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    pub email: String,
    pub role: Role,
}

/// `GET /v1/tenants/{tenant_id}/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberList {
    pub members: Vec<MemberSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    pub user_id: String,
    pub email: String,
    pub role: Role,
}

/// `PATCH /v1/tenants/{tenant_id}/members/{user_id}`: give the member another role (never owner:
/// ownership moves only by [`OwnershipTransfer`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: Role,
}

/// `POST /v1/tenants/{tenant_id}/ownership`: an owner makes another member the owner and becomes
/// an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipTransfer {
    pub user_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_up(name: &str, email: &str) -> Result<(String, Email), Vec<FieldError>> {
        SignUpRequest { business_name: name.into(), email: email.into() }.check()
    }

    #[test]
    fn sign_up_trims_and_canonicalises() {
        let (name, email) = sign_up("  Acme \n Roofing ", " Ada@Example.COM ").expect("valid");
        assert_eq!(name, "Acme Roofing");
        assert_eq!(email.as_str(), "ada@example.com");
    }

    #[test]
    fn sign_up_reports_every_field() {
        let errors = sign_up(" ", "not-an-address").expect_err("invalid");
        let codes: Vec<(&str, ErrorCode)> =
            errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            [("business_name", ErrorCode::FieldRequired), ("email", ErrorCode::EmailInvalid)]
        );
        let long = "x".repeat(MAX_BUSINESS_NAME_CHARS + 1);
        let errors = sign_up(&long, "").expect_err("invalid");
        assert_eq!(errors[0].limit, Some(MAX_BUSINESS_NAME_CHARS));
        assert_eq!(errors[1].code, ErrorCode::FieldRequired);
        assert!(sign_up(&"é".repeat(MAX_BUSINESS_NAME_CHARS), "a@b.example").is_ok());
    }

    #[test]
    fn another_business_has_a_name_like_the_first() {
        let check = |name: &str| BusinessRequest { business_name: name.into() }.check();
        assert_eq!(check(" Acme \t Gutters ").as_deref(), Ok("Acme Gutters"));
        assert_eq!(check("  ").map_err(|e| e[0].code), Err(ErrorCode::FieldRequired));
        let long = "x".repeat(MAX_BUSINESS_NAME_CHARS + 1);
        assert_eq!(check(&long).map_err(|e| e[0].limit), Err(Some(MAX_BUSINESS_NAME_CHARS)));
    }

    #[test]
    fn a_sign_in_carries_exactly_one_credential() {
        let request = |json: &str| serde_json::from_str::<SignInRequest>(json).expect("parses");
        assert_eq!(request(r#"{"link": "abc"}"#).credentials(), Some(Credentials::Link("abc")));
        assert_eq!(
            request(r#"{"email": "a@b.example", "password": "p"}"#).credentials(),
            Some(Credentials::Password { email: "a@b.example", password: "p" })
        );
        for json in [r#"{}"#, r#"{"email": "a@b.example"}"#, r#"{"link": "a", "password": "p"}"#] {
            assert_eq!(request(json).credentials(), None, "{json}");
        }
        assert!(serde_json::from_str::<SignInRequest>(r#"{"token": "a"}"#).is_err());
    }
}
