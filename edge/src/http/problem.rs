//! RFC 9457 problem details: the one shape every error response of the API takes.
//!
//! A [`Problem`] carries a stable `code` (clients switch on it), a human `title`, and for validation
//! failures the field errors from `shared`. Internal details never go in a problem; they are logged.

use inlet_shared::FieldError;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error answer. Invariant: `status` is a 4xx or 5xx code and `code` is one of the constants below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A URI reference identifying the problem type (RFC 9457 §3.1.1).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds, for `429` and `503`; also sent as the `Retry-After` header.
    #[serde(skip)]
    pub retry_after: Option<u32>,
    /// The `Allow` header for `405`.
    #[serde(skip)]
    pub allow: Option<String>,
}

impl Problem {
    fn new(status: u16, code: &'static str, title: &'static str) -> Problem {
        Problem {
            kind: format!("https://inlet.dev/problems/{}", code.replace('_', "-")),
            title,
            status,
            code,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn malformed_json(detail: impl Into<String>) -> Problem {
        Problem::new(
            400,
            "malformed_json",
            "The request body is not valid JSON of the expected shape.",
        )
        .with_detail(detail)
    }

    pub fn origin_not_allowed() -> Problem {
        Problem::new(
            403,
            "origin_not_allowed",
            "This form does not accept submissions from this website.",
        )
    }

    pub fn not_found() -> Problem {
        Problem::new(404, "not_found", "There is nothing at this address.")
    }

    pub fn form_not_found() -> Problem {
        Problem::new(404, "form_not_found", "This form does not exist.")
    }

    pub fn method_not_allowed(allow: impl Into<String>) -> Problem {
        let mut problem =
            Problem::new(405, "method_not_allowed", "This address does not accept that method.");
        problem.allow = Some(allow.into());
        problem
    }

    pub fn payload_too_large(max_bytes: usize) -> Problem {
        Problem::new(413, "payload_too_large", "The request body is too large.")
            .with_detail(format!("The limit is {max_bytes} bytes."))
    }

    pub fn unsupported_media_type() -> Problem {
        Problem::new(415, "unsupported_media_type", "The request body must be JSON.")
            .with_detail("Send the header Content-Type: application/json.")
    }

    pub fn validation_failed(errors: Vec<FieldError>) -> Problem {
        let mut problem =
            Problem::new(422, "validation_failed", "Some fields need your attention.");
        problem.errors = errors;
        problem
    }

    pub fn idempotency_key_invalid() -> Problem {
        Problem::new(400, "idempotency_key_invalid", "The Idempotency-Key header is not valid.")
            .with_detail("Use 1 to 255 visible ASCII characters, e.g. a UUID.")
    }

    /// The same key was used before with another body (IETF httpapi idempotency-key draft: 422).
    pub fn idempotency_key_reused() -> Problem {
        Problem::new(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different submission.",
        )
    }

    pub fn turnstile_failed() -> Problem {
        Problem::new(
            403,
            "turnstile_failed",
            "Please complete the check that you are not a robot, then send again.",
        )
    }

    /// Turnstile could not be asked; the visitor's client should try again shortly.
    pub fn turnstile_unavailable() -> Problem {
        let mut problem = Problem::new(
            503,
            "turnstile_unavailable",
            "We could not check your submission just now. Please try again in a moment.",
        );
        problem.retry_after = Some(5);
        problem
    }

    pub fn rate_limited(retry_after: u32) -> Problem {
        let mut problem = Problem::new(
            429,
            "rate_limited",
            "Too many requests. Please wait a moment and try again.",
        );
        problem.retry_after = Some(retry_after);
        problem
    }

    /// The operator API needs `Authorization: Bearer <INLET_OPERATOR_TOKEN>`.
    pub fn unauthorized() -> Problem {
        Problem::new(401, "unauthorized", "This address needs the operator's token.").with_detail(
            "Send Authorization: Bearer <token>, the Worker's INLET_OPERATOR_TOKEN secret.",
        )
    }

    /// A state-changing request that another website made (or tried to make) in the person's name.
    pub fn cross_site_request() -> Problem {
        Problem::new(403, "cross_site_request", "This request did not come from Inlet's own pages.")
            .with_detail(
                "Requests that change something must come from this installation's origin.",
            )
    }

    /// The operator closed public sign-up (`SIGN_UP=closed`): only invited people get accounts.
    pub fn sign_up_closed() -> Problem {
        Problem::new(403, "sign_up_closed", "Sign-up is closed on this installation.")
            .with_detail("Ask the business that uses it for an invitation.")
    }

    /// An emailed link that is unknown, used, or expired: the three read the same, so a guess
    /// learns nothing.
    pub fn link_invalid() -> Problem {
        Problem::new(400, "link_invalid", "This link has expired or was already used.")
            .with_detail("Ask for a new one; sign-in links last 15 minutes and work once.")
    }

    /// No session, or one that has ended.
    pub fn session_required() -> Problem {
        Problem::new(401, "session_required", "Please sign in.")
    }

    /// A wrong address or password; which of the two is not said.
    pub fn sign_in_failed() -> Problem {
        Problem::new(401, "sign_in_failed", "The email address or the password is not right.")
            .with_detail("Check both, or ask for a sign-in link by email instead.")
    }

    /// A password the rule refuses; `detail` says why.
    pub fn password_not_accepted(detail: impl Into<String>) -> Problem {
        Problem::new(422, "password_not_accepted", "Please choose another password.")
            .with_detail(detail)
    }

    /// Accounts need a setting the operator has not made; `detail` names it.
    pub fn accounts_unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(503, "accounts_unavailable", "Accounts are not set up on this installation.")
            .with_detail(detail)
    }

    /// An `Authorization` header that is not a live API key: unknown, malformed and revoked keys
    /// read the same.
    pub fn api_key_invalid() -> Problem {
        Problem::new(401, "api_key_invalid", "This API key is not valid.").with_detail(
            "Send Authorization: Bearer inlet_..., a key the business created and has not revoked.",
        )
    }

    pub fn api_key_not_found() -> Problem {
        Problem::new(404, "api_key_not_found", "This API key does not exist or was revoked.")
    }

    /// A business that does not exist, or that the person does not belong to: the same answer.
    pub fn business_not_found() -> Problem {
        Problem::new(404, "business_not_found", "This business does not exist.")
    }

    /// The person's role in the business does not allow this.
    pub fn not_permitted() -> Problem {
        Problem::new(403, "not_permitted", "Your role in this business does not allow this.")
            .with_detail("Ask an owner or an admin of the business.")
    }

    pub fn lead_not_found() -> Problem {
        Problem::new(404, "lead_not_found", "This lead does not exist.")
    }

    /// "Not spam" for a lead that is not in the spam folder (or was just taken out of it).
    pub fn lead_not_spam() -> Problem {
        Problem::new(409, "lead_not_spam", "This lead is not in the spam folder.")
    }

    /// A lead can be assigned only to a member of its business.
    pub fn assignee_not_member() -> Problem {
        Problem::new(
            422,
            "assignee_not_member",
            "Leads can be assigned only to the business's members.",
        )
    }

    pub fn member_not_found() -> Problem {
        Problem::new(404, "member_not_found", "This person is not a member of the business.")
    }

    /// Every business keeps at least one owner.
    pub fn last_owner() -> Problem {
        Problem::new(409, "last_owner", "The business's only owner cannot be removed.")
            .with_detail("Make another member the owner first.")
    }

    /// A member whose role changed while the request that would change it was on its way.
    pub fn member_changed() -> Problem {
        Problem::new(409, "member_changed", "This member's role changed meanwhile.")
            .with_detail("Read the members again and retry.")
    }

    /// An ownership transfer to someone who is an owner already (or became one meanwhile).
    pub fn already_owner() -> Problem {
        Problem::new(409, "already_owner", "That member is an owner already.")
    }

    pub fn session_not_found() -> Problem {
        Problem::new(404, "session_not_found", "This session does not exist or has ended.")
    }

    pub fn destination_not_found() -> Problem {
        Problem::new(404, "destination_not_found", "This destination does not exist.")
    }

    pub fn delivery_not_found() -> Problem {
        Problem::new(404, "delivery_not_found", "This delivery does not exist.")
    }

    /// A destination request that does not hold together; `detail` says which member and why.
    pub fn destination_invalid(detail: impl Into<String>) -> Problem {
        Problem::new(422, "destination_invalid", "The destination is not valid.")
            .with_detail(detail)
    }

    /// A webhook URL that points at a private, loopback or link-local address, or is not https.
    pub fn destination_url_not_allowed(detail: impl Into<String>) -> Problem {
        Problem::new(422, "destination_url_not_allowed", "Deliveries cannot go to this address.")
            .with_detail(detail)
    }

    /// Only failed and dead deliveries can be replayed, and only to an enabled destination.
    pub fn delivery_not_replayable(detail: impl Into<String>) -> Problem {
        Problem::new(409, "delivery_not_replayable", "This delivery cannot be replayed now.")
            .with_detail(detail)
    }

    /// A second rotation while the previous secret still signs would end that secret's overlap before
    /// the time it was promised; `until` (RFC 3339) is when rotating is possible again.
    pub fn rotation_in_progress(until: &str) -> Problem {
        Problem::new(409, "rotation_in_progress", "The previous signing secret is still in its overlap.")
            .with_detail(format!("The previous secret keeps signing until {until}, as promised when it was rotated; rotate again after that."))
    }

    pub fn query_invalid(detail: impl Into<String>) -> Problem {
        Problem::new(400, "query_invalid", "The query string is not valid.").with_detail(detail)
    }

    /// The only 500: the cause goes to the log, never to the client.
    pub fn internal() -> Problem {
        Problem::new(500, "internal_error", "Something went wrong on our side. Please try again.")
    }

    /// Serialises the problem as its body.
    pub fn to_json(&self) -> String {
        // Serialising this struct cannot fail (no maps with non-string keys, no custom impls that error),
        // but a fixed fallback keeps the request path free of panics regardless.
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"about:blank","title":"Something went wrong.","status":500,"code":"internal_error"}"#.to_owned()
        })
    }
}

/// One of each problem the API can answer (for tests that keep documents true).
pub fn all_examples() -> Vec<Problem> {
    vec![
        Problem::malformed_json("x"),
        Problem::origin_not_allowed(),
        Problem::not_found(),
        Problem::form_not_found(),
        Problem::method_not_allowed("GET"),
        Problem::payload_too_large(10),
        Problem::unsupported_media_type(),
        Problem::validation_failed(vec![]),
        Problem::idempotency_key_invalid(),
        Problem::idempotency_key_reused(),
        Problem::turnstile_failed(),
        Problem::turnstile_unavailable(),
        Problem::rate_limited(3),
        Problem::unauthorized(),
        Problem::cross_site_request(),
        Problem::sign_up_closed(),
        Problem::link_invalid(),
        Problem::session_required(),
        Problem::sign_in_failed(),
        Problem::password_not_accepted("x"),
        Problem::accounts_unavailable("x"),
        Problem::session_not_found(),
        Problem::member_not_found(),
        Problem::last_owner(),
        Problem::already_owner(),
        Problem::member_changed(),
        Problem::api_key_invalid(),
        Problem::api_key_not_found(),
        Problem::lead_not_found(),
        Problem::lead_not_spam(),
        Problem::assignee_not_member(),
        Problem::business_not_found(),
        Problem::not_permitted(),
        Problem::destination_not_found(),
        Problem::delivery_not_found(),
        Problem::destination_invalid("x"),
        Problem::destination_url_not_allowed("x"),
        Problem::delivery_not_replayable("x"),
        Problem::rotation_in_progress("2026-01-01T00:00:00.000Z"),
        Problem::query_invalid("x"),
        Problem::internal(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_shared::ErrorCode;
    use serde_json::{Value, json};

    #[test]
    fn serialises_as_rfc_9457() {
        let problem =
            Problem::validation_failed(vec![FieldError::new("email", ErrorCode::EmailInvalid)]);
        let body: Value = serde_json::from_str(&problem.to_json()).expect("json");
        assert_eq!(body["type"], "https://inlet.dev/problems/validation-failed");
        assert_eq!(body["status"], 422);
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][0]["code"], "email_invalid");
        assert!(body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(body.get("detail"), None);
    }

    #[test]
    fn every_problem_has_an_error_status_and_a_code() {
        for problem in all_examples() {
            assert!((400..600).contains(&problem.status));
            let body: Value = serde_json::from_str(&problem.to_json()).expect("json");
            assert_eq!(body["code"], json!(problem.code));
            assert!(problem.code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }
}
