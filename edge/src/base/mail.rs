//! An email as the operator's provider takes it: `POST {base_url}/emails` with a bearer key and
//! `{"from", "to", "subject", "text", "reply_to"}` (Resend's shape). Lead notifications and the
//! emailed links of accounts both go through [`provider_request`]; the caller sends it.

use crate::base::config::EmailProvider;
use crate::base::outbound::Outgoing;
use serde::Serialize;

/// One plain-text email.
#[derive(Debug, Clone, Copy)]
pub struct Mail<'a> {
    pub to: &'a [String],
    pub subject: &'a str,
    pub text: &'a str,
    pub reply_to: Option<&'a str>,
    /// The provider sends an email once per key, however often the request is retried.
    pub idempotency_key: Option<&'a str>,
}

#[derive(Serialize)]
struct Body<'a> {
    from: &'a str,
    to: &'a [String],
    subject: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
}

pub fn provider_request(provider: &EmailProvider, mail: &Mail) -> Outgoing {
    let body = Body {
        from: &provider.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        reply_to: mail.reply_to,
    };
    let mut headers = vec![
        ("content-type", "application/json".to_owned()),
        ("authorization", format!("Bearer {}", provider.api_key)),
    ];
    if let Some(key) = mail.idempotency_key {
        headers.push(("idempotency-key", key.to_owned()));
    }
    Outgoing {
        url: format!("{}/emails", provider.base_url.trim_end_matches('/')),
        headers,
        // A struct of strings always serialises.
        body: serde_json::to_string(&body).unwrap_or_default(),
    }
}
