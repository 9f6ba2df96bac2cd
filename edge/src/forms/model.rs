//! A form as the edge holds it: its public definition (from `shared`), the sites allowed to use it,
//! and its private settings (how it defends itself, stored as JSON in `forms.settings`, every member
//! with a default, so `{}` is a complete, sensible configuration). And the form token that serving a
//! form issues, which intake checks and the widget renews.
//!
//! The token signs the form id and the time it was served (HMAC-SHA256 with the Worker's secret),
//! so time-to-fill is measured by the server, not reported by the client: a bot cannot forge an older
//! token, and a token counts only for `FORM_TOKEN_MAX_AGE_SECONDS`, so one fetched token cannot vouch
//! for a flood sent later. A person's widget renews a token it has held long (a tab left open, a lead
//! sent later from the outbox) by handing the old one back: a genuine token that has already waited
//! the minimum fill time buys a new one dated that minimum before now, so the renewal costs the
//! visitor no second wait. That gives a script nothing it could not get by fetching the form and
//! waiting once.

use crate::base::clock::Timestamp;
use crate::base::crypto::{constant_time_eq, hex, hmac_sha256};
use crate::base::ids::{FormId, TenantId};
use inlet_shared::{FORM_TOKEN_MAX_AGE_SECONDS, Field, FieldKind, FormDefinition};
use serde::{Deserialize, Serialize};

/// `FORM_TOKEN_MAX_AGE_SECONDS` in milliseconds.
pub const MAX_TOKEN_AGE_MS: u64 = FORM_TOKEN_MAX_AGE_SECONDS as u64 * 1000;

/// A form as stored, with the tenant it belongs to.
///
/// Invariant: `id` and `definition.id` equal the row's id, and `definition.check()` passed when it
/// was stored.
#[derive(Debug)]
pub struct StoredForm {
    pub tenant_id: TenantId,
    pub id: FormId,
    pub definition: FormDefinition,
    pub allowed_origins: Vec<String>,
    pub settings: FormSettings,
}

/// Invariant: limits and windows are at least 1 (enforced by [`Limit::clamped`] where they are used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FormSettings {
    pub rate_limit: RateLimits,
    /// Submissions sooner than this after the form was served are treated as bots. 0 turns it off.
    pub min_fill_seconds: u32,
    /// When set, every submission must carry a Turnstile token that siteverify accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turnstile: Option<Turnstile>,
}

impl Default for FormSettings {
    fn default() -> Self {
        FormSettings { rate_limit: RateLimits::default(), min_fill_seconds: 2, turnstile: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Per visitor (form and client IP).
    pub per_client: Limit,
    /// For the whole form, whatever the client: a ceiling against distributed floods.
    pub per_form: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_client: Limit { limit: 10, window_seconds: 600 },
            per_form: Limit { limit: 600, window_seconds: 600 },
        }
    }
}

/// The form a new business starts with: a contact form like the demo's (name, email, phone, message,
/// and consent in the business's name), so its first embed snippet works at once.
pub fn starter_form(id: &FormId, business_name: &str) -> FormDefinition {
    let field = |name: &str, label: &str, kind: FieldKind, required: bool| Field {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        required,
        help: None,
    };
    FormDefinition {
        id: id.as_str().to_owned(),
        title: "Contact us".to_owned(),
        fields: vec![
            field("name", "Your name", FieldKind::Text { max_length: 100 }, true),
            field("email", "Email", FieldKind::Email, true),
            field("phone", "Phone", FieldKind::Phone, false),
            field("message", "How can we help?", FieldKind::MultiLine { max_length: 2000 }, false),
            field(
                "consent",
                "Consent",
                FieldKind::Consent {
                    text: format!("I agree that {business_name} may contact me about my request."),
                    version: "1".to_owned(),
                },
                true,
            ),
        ],
        default_country: Default::default(),
        submit_label: "Send".to_owned(),
        success_message: "Thank you! We have received your message and will be in touch soon."
            .to_owned(),
        turnstile_site_key: None,
    }
}

/// At most `limit` accepted requests in any `window_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub limit: u32,
    pub window_seconds: u32,
}

impl Limit {
    /// The limit with nonsense (zeros, absurd windows) brought into range.
    pub fn clamped(self) -> Limit {
        Limit {
            limit: self.limit.clamp(1, 100_000),
            window_seconds: self.window_seconds.clamp(1, 86_400),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turnstile {
    pub secret: String,
}

impl FormSettings {
    /// `min_fill_seconds` in milliseconds; 0 turns the timing check off.
    pub fn min_fill_ms(&self) -> u64 {
        u64::from(self.min_fill_seconds) * 1000
    }
}

/// Why a token is not a genuine one of this form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFault {
    /// No token, or nothing shaped like one.
    Missing,
    /// A token whose signature does not match: forged, altered, another form's or another secret's.
    Forged,
}

/// The token served with a form: `<issued ms>.<signature>`.
pub fn form_token(secret: &[u8], form_id: &FormId, issued: Timestamp) -> String {
    format!("{}.{}", issued.as_ms(), signature(secret, form_id, issued.as_ms()))
}

fn signature(secret: &[u8], form_id: &FormId, issued_ms: u64) -> String {
    let message = format!("form-token\n{form_id}\n{issued_ms}");
    hex(&hmac_sha256(secret, &[message.as_bytes()])[..16])
}

/// When a genuine token of this form was issued, or why it is not one.
pub fn token_issued_at(
    secret: &[u8],
    form_id: &FormId,
    token: Option<&str>,
) -> Result<Timestamp, TokenFault> {
    let (issued, given) = token.and_then(|t| t.split_once('.')).ok_or(TokenFault::Missing)?;
    let issued_ms = issued.parse::<u64>().map_err(|_| TokenFault::Forged)?;
    if constant_time_eq(given.as_bytes(), signature(secret, form_id, issued_ms).as_bytes()) {
        Ok(Timestamp::from_ms(issued_ms))
    } else {
        Err(TokenFault::Forged)
    }
}

/// A new token in exchange for `previous`. A genuine token of this form, however old, that has
/// waited `min_fill_ms` is renewed as one issued `min_fill_ms` ago, ready at once; anything else gets
/// a token issued now, exactly what serving the form gives.
pub fn renewed_token(
    secret: &[u8],
    form_id: &FormId,
    previous: Option<&str>,
    now: Timestamp,
    min_fill_ms: u64,
) -> String {
    let ready_since = now.minus_ms(min_fill_ms);
    match token_issued_at(secret, form_id, previous) {
        Ok(issued) if issued <= ready_since => form_token(secret, form_id, ready_since),
        _ => form_token(secret, form_id, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_form_is_a_valid_contact_form_in_the_business_name() {
        let form = starter_form(&FormId::from("f_1"), "Acme Roofing");
        assert_eq!(form.check(), Ok(()));
        assert_eq!(form.id, "f_1");
        let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["name", "email", "phone", "message", "consent"]);
        assert!(
            matches!(&form.fields[4].kind, FieldKind::Consent { text, .. } if text.contains("Acme Roofing"))
        );
    }

    #[test]
    fn empty_settings_take_every_default() {
        let settings: FormSettings = serde_json::from_str("{}").expect("parses");
        assert_eq!(settings, FormSettings::default());
        let partial: FormSettings = serde_json::from_str(
            r#"{"rate_limit": {"per_client": {"limit": 3, "window_seconds": 60}}}"#,
        )
        .expect("parses");
        assert_eq!(partial.rate_limit.per_client, Limit { limit: 3, window_seconds: 60 });
        assert_eq!(partial.rate_limit.per_form, RateLimits::default().per_form);
        assert_eq!(partial.min_fill_seconds, 2);
    }

    const SECRET: &[u8] = b"test secret";

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_ms(ms)
    }

    #[test]
    fn tokens_carry_their_time_and_resist_forgery() {
        let demo = FormId::from("demo");
        let token = form_token(SECRET, &demo, at(1_000_000));
        assert_eq!(token_issued_at(SECRET, &demo, Some(&token)), Ok(at(1_000_000)));
        assert_eq!(token_issued_at(SECRET, &demo, None), Err(TokenFault::Missing));
        assert_eq!(token_issued_at(SECRET, &demo, Some("garbage")), Err(TokenFault::Missing));
        assert_eq!(token_issued_at(SECRET, &demo, Some("x.y")), Err(TokenFault::Forged));
        // An older timestamp with the same signature is a forgery.
        let forged = token.replacen("1000000", "1", 1);
        assert_eq!(token_issued_at(SECRET, &demo, Some(&forged)), Err(TokenFault::Forged));
        // A token for another form, or signed with another secret, does not transfer.
        let other = form_token(SECRET, &FormId::from("other"), at(1_000_000));
        assert_eq!(token_issued_at(SECRET, &demo, Some(&other)), Err(TokenFault::Forged));
        let foreign = form_token(b"other", &demo, at(1_000_000));
        assert_eq!(token_issued_at(SECRET, &demo, Some(&foreign)), Err(TokenFault::Forged));
    }

    #[test]
    fn a_waited_token_renews_ready_and_anything_else_renews_fresh() {
        let demo = FormId::from("demo");
        let (issued, min_fill) = (at(1_000_000), 2_000);
        let old = form_token(SECRET, &demo, issued);
        // A day later, the renewal is dated the minimum fill time before now: ready at once.
        let later = issued.plus_ms(24 * 3_600_000);
        let renewed = renewed_token(SECRET, &demo, Some(&old), later, min_fill);
        assert_eq!(token_issued_at(SECRET, &demo, Some(&renewed)), Ok(later.minus_ms(min_fill)));
        // A token that has not waited, a forgery, another form's token or none: a fresh token,
        // which must wait the minimum like any other.
        let too_young = renewed_token(SECRET, &demo, Some(&old), issued.plus_ms(1_999), min_fill);
        assert_eq!(too_young, form_token(SECRET, &demo, issued.plus_ms(1_999)));
        let forged = old.replacen("1000000", "1", 1);
        let foreign = form_token(SECRET, &FormId::from("other"), issued);
        for previous in [Some(forged.as_str()), Some(foreign.as_str()), None] {
            let fresh = renewed_token(SECRET, &demo, previous, later, min_fill);
            assert_eq!(fresh, form_token(SECRET, &demo, later), "{previous:?}");
        }
    }

    #[test]
    fn limits_are_clamped() {
        assert_eq!(
            Limit { limit: 0, window_seconds: 0 }.clamped(),
            Limit { limit: 1, window_seconds: 1 }
        );
        assert_eq!(Limit { limit: 5, window_seconds: 1_000_000 }.clamped().window_seconds, 86_400);
    }
}
