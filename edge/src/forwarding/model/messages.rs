//! What a delivery sends: the versioned `lead.created` webhook payload, and the requests for each kind
//! of destination (signed webhook, Slack-style message, provider email, Twilio SMS).
//!
//! Plain functions from a stored lead, its form and the provider settings to an [`Outgoing`] request;
//! `forwarding/queue.rs` sends it. Nothing here reads the clock or the environment.

use crate::base::config::{EmailProvider, SmsProvider};
use crate::base::mail::{Mail, provider_request};
use crate::base::outbound::Outgoing;
use crate::forwarding::model::signing;
use crate::http::html::escape_markup;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use inlet_shared::{Consent, FieldKind, FormDefinition};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The event type of a new lead, and the version of its payload's schema. A change that could break a
/// receiver gets a new version; adding members does not.
pub const LEAD_CREATED: &str = "lead.created";
pub const PAYLOAD_VERSION: u32 = 1;
/// An SMS over 160 GSM characters is billed as several; the summary stays within one.
pub const MAX_SMS_CHARS: usize = 160;

/// A lead as delivered: the `data` of a `lead.created` payload. Built from the stored row, so an
/// erased lead is never delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadRecord {
    pub id: String,
    pub form_id: String,
    pub form_title: String,
    /// RFC 3339, UTC, milliseconds.
    pub created_at: String,
    /// Validated values keyed by field name: strings, normalised emails and E.164 phones, booleans.
    pub fields: Map<String, Value>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub consents: Vec<Consent>,
    pub context: Context,
}

/// Where the lead came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    pub utm: BTreeMap<String, String>,
}

/// The webhook body, following the Standard Webhooks payload structure.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub version: u32,
    /// When the event happened (the lead's arrival), not when this attempt was made.
    pub timestamp: &'a str,
    pub data: &'a LeadRecord,
}

/// The `lead.created` body for `lead`.
pub fn payload_body(lead: &LeadRecord) -> String {
    let payload = Payload {
        kind: LEAD_CREATED,
        version: PAYLOAD_VERSION,
        timestamp: &lead.created_at,
        data: lead,
    };
    serde_json::to_string(&payload).unwrap_or_default()
}

/// A Standard Webhooks request: the same `webhook-id` on every attempt, this attempt's timestamp, and a
/// signature per live secret. `None` if no secret is usable.
pub fn webhook_request(
    url: &str,
    delivery_id: &str,
    secrets: &[&str],
    timestamp: u64,
    body: String,
) -> Option<Outgoing> {
    let signature = signing::signature_header(secrets, delivery_id, timestamp, body.as_bytes())?;
    Some(Outgoing {
        url: url.to_owned(),
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("webhook-id", delivery_id.to_owned()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
            ("user-agent", "Inlet-Webhooks/1".to_owned()),
        ],
        body,
    })
}

/// A Slack-style incoming webhook message. Slack reads `&`, `<` and `>` as markup, so they are escaped.
pub fn slack_request(url: &str, lead: &LeadRecord, form: &FormDefinition) -> Outgoing {
    let mut text = format!("New lead for *{}*", escape_markup(&form.title));
    for (label, value) in summary_lines(lead, form) {
        text.push_str(&format!("\n*{}:* {}", escape_markup(&label), escape_markup(&value)));
    }
    let body = serde_json::json!({ "text": text }).to_string();
    Outgoing {
        url: url.to_owned(),
        headers: vec![("content-type", "application/json".to_owned())],
        body,
    }
}

/// The notification email: a plain-text summary, with `reply_to` set to the lead so the business
/// answers with one click. The delivery's id is the provider's `Idempotency-Key` (the same on every
/// attempt), so a retry after a lost answer does not send the email twice.
pub fn email_request(
    provider: &EmailProvider,
    to: &[String],
    delivery_id: &str,
    lead: &LeadRecord,
    form: &FormDefinition,
) -> Outgoing {
    let subject = one_line(&format!("New lead: {} ({})", display_name(lead, form), form.title));
    let mut text = format!("You have a new lead from your form \"{}\".\n\n", form.title);
    for (label, value) in summary_lines(lead, form) {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push_str(&format!("\nReceived {} (lead {}).\n", lead.created_at, lead.id));
    provider_request(
        provider,
        &Mail {
            to,
            subject: &subject,
            text: &text,
            reply_to: lead.email.as_deref(),
            idempotency_key: Some(delivery_id),
        },
    )
}

/// A Twilio Messages API request: a one-segment summary, form-encoded, with basic auth.
pub fn sms_request(
    provider: &SmsProvider,
    to: &str,
    lead: &LeadRecord,
    form: &FormDefinition,
) -> Outgoing {
    let mut parts = vec![format!("New lead ({}): {}", form.title, display_name(lead, form))];
    parts.extend(lead.phone.clone());
    parts.extend(lead.email.clone());
    let message = form
        .fields
        .iter()
        .find(|f| matches!(f.kind, FieldKind::MultiLine { .. }))
        .and_then(|f| lead.fields.get(&f.name))
        .and_then(Value::as_str);
    let mut text = parts.join(", ");
    if let Some(message) = message {
        text.push_str(&format!(". \"{}\"", one_line(message)));
    }
    let text = truncate(&text, MAX_SMS_CHARS);
    let sender = if provider.from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("To", to)
        .append_pair(sender, &provider.from)
        .append_pair("Body", &text)
        .finish();
    let credentials = STANDARD.encode(format!("{}:{}", provider.account_sid, provider.auth_token));
    Outgoing {
        url: format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            provider.base_url.trim_end_matches('/'),
            url::form_urlencoded::byte_serialize(provider.account_sid.as_bytes())
                .collect::<String>()
        ),
        headers: vec![
            ("content-type", "application/x-www-form-urlencoded".to_owned()),
            ("authorization", format!("Basic {credentials}")),
        ],
        body,
    }
}

/// Label and value of each field the lead filled, in form order, then where it came from.
fn summary_lines(lead: &LeadRecord, form: &FormDefinition) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for field in &form.fields {
        let Some(value) = lead.fields.get(&field.name) else { continue };
        let shown = match (&field.kind, value) {
            (FieldKind::Consent { version, .. }, Value::Bool(true)) => {
                format!("given (wording version {version})")
            }
            (_, Value::Bool(given)) => (if *given { "yes" } else { "no" }).to_owned(),
            (_, Value::String(text)) => text.clone(),
            (_, other) => other.to_string(),
        };
        lines.push((field.label.clone(), shown));
    }
    if let Some(page) = &lead.context.page_url {
        lines.push(("Page".to_owned(), page.clone()));
    }
    let campaign: Vec<String> = lead.context.utm.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !campaign.is_empty() {
        lines.push(("Campaign".to_owned(), campaign.join(", ")));
    }
    lines
}

/// The lead's name if the form asks for one (its first single-line text field), else its email or phone.
fn display_name(lead: &LeadRecord, form: &FormDefinition) -> String {
    form.fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Text { .. }))
        .find_map(|f| lead.fields.get(&f.name).and_then(Value::as_str).map(str::to_owned))
        .or_else(|| lead.email.clone())
        .or_else(|| lead.phone.clone())
        .unwrap_or_else(|| "a new visitor".to_owned())
}

/// Collapses line breaks and control characters (a subject line or an SMS has one line).
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|part| !part.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::clock::Timestamp;
    use serde_json::json;

    fn form() -> FormDefinition {
        serde_json::from_value(json!({
            "id": "alpha", "title": "Roof quote", "default_country": "US",
            "fields": [
                {"name": "name", "label": "Name", "kind": "text", "required": true},
                {"name": "email", "label": "Email", "kind": "email", "required": true},
                {"name": "phone", "label": "Phone", "kind": "phone"},
                {"name": "message", "label": "Message", "kind": "multi_line"},
                {"name": "consent", "label": "Consent", "kind": "consent", "required": true, "text": "You may contact me.", "version": "v3"}
            ]
        }))
        .expect("form")
    }

    fn lead() -> LeadRecord {
        LeadRecord {
            id: "ld_1".into(),
            form_id: "alpha".into(),
            form_title: "Roof quote".into(),
            created_at: Timestamp::from_ms(1_764_106_563_120).rfc3339(),
            fields: json!({"name": "Ada <b>Lovelace</b>", "email": "ada@example.com", "phone": "+14155552671",
                           "message": "Leak over\nthe kitchen & hall", "consent": true})
            .as_object()
            .cloned()
            .unwrap_or_default(),
            email: Some("ada@example.com".into()),
            phone: Some("+14155552671".into()),
            consents: vec![Consent { field: "consent".into(), text: "You may contact me.".into(), version: "v3".into(), given: true }],
            context: Context {
                page_url: Some("https://roofer.example/quote".into()),
                referrer: None,
                utm: [("utm_source".to_owned(), "google".to_owned())].into(),
            },
        }
    }

    #[test]
    fn the_payload_is_a_versioned_lead_created_event() {
        let body: Value = serde_json::from_str(&payload_body(&lead())).expect("json");
        assert_eq!(body["type"], "lead.created");
        assert_eq!(body["version"], 1);
        assert_eq!(body["timestamp"], "2025-11-25T21:36:03.120Z");
        assert_eq!(body["data"]["id"], "ld_1");
        assert_eq!(body["data"]["fields"]["consent"], true);
        assert_eq!(body["data"]["consents"][0]["version"], "v3");
        assert_eq!(body["data"]["context"]["utm"]["utm_source"], "google");
    }

    /// The payload the OpenAPI document shows receivers is exactly what `payload_body` produces.
    #[test]
    fn the_documented_payload_is_the_real_one() {
        let doc: Value = serde_json::from_str(crate::router::OPENAPI).expect("json");
        let example =
            doc.pointer("/components/schemas/LeadCreated/example").cloned().expect("example");
        let record: LeadRecord =
            serde_json::from_value(example["data"].clone()).expect("data parses as a LeadRecord");
        let produced: Value = serde_json::from_str(&payload_body(&record)).expect("json");
        assert_eq!(produced, example);
        let documented = doc.pointer(
            "/webhooks/lead.created/post/requestBody/content/application~1json/schema/$ref",
        );
        assert_eq!(documented, Some(&Value::from("#/components/schemas/LeadCreated")));
    }

    #[test]
    fn webhooks_carry_the_standard_headers() {
        let secret = signing::new_secret([5; 32]);
        let request = webhook_request(
            "https://crm.example/in",
            "msg_1",
            &[&secret],
            1_700_000_000,
            "{}".into(),
        )
        .expect("signed");
        let header =
            |name: &str| request.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        assert_eq!(header("webhook-id"), Some("msg_1"));
        assert_eq!(header("webhook-timestamp"), Some("1700000000"));
        assert_eq!(
            header("webhook-signature").map(str::to_owned),
            signing::sign(&secret, "msg_1", 1_700_000_000, b"{}")
        );
        assert_eq!(
            webhook_request("https://crm.example/in", "msg_1", &["bad"], 1, "{}".into()),
            None
        );
    }

    #[test]
    fn the_email_is_a_readable_summary() {
        let provider = EmailProvider {
            base_url: "https://api.mail.example/".into(),
            api_key: "key".into(),
            from: "Inlet <leads@inlet.example>".into(),
        };
        let request = email_request(
            &provider,
            &["owner@roofer.example".to_owned()],
            "msg_1",
            &lead(),
            &form(),
        );
        assert_eq!(request.url, "https://api.mail.example/emails");
        assert!(request.headers.contains(&("authorization", "Bearer key".to_owned())));
        assert!(request.headers.contains(&("idempotency-key", "msg_1".to_owned())));
        let body: Value = serde_json::from_str(&request.body).expect("json");
        assert_eq!(body["to"], json!(["owner@roofer.example"]));
        assert_eq!(body["reply_to"], "ada@example.com");
        assert_eq!(body["subject"], "New lead: Ada <b>Lovelace</b> (Roof quote)");
        let text = body["text"].as_str().unwrap_or_default();
        assert!(
            text.contains(
                "Name: Ada <b>Lovelace</b>\nEmail: ada@example.com\nPhone: +14155552671\n"
            ),
            "{text}"
        );
        assert!(text.contains("Consent: given (wording version v3)"), "{text}");
        assert!(
            text.contains("Page: https://roofer.example/quote\nCampaign: utm_source=google\n"),
            "{text}"
        );
    }

    #[test]
    fn the_sms_is_short_and_form_encoded() {
        let provider = SmsProvider {
            base_url: "https://api.twilio.example".into(),
            account_sid: "AC123".into(),
            auth_token: "tok".into(),
            from: "+15005550006".into(),
        };
        let request = sms_request(&provider, "+14155550000", &lead(), &form());
        assert_eq!(
            request.url,
            "https://api.twilio.example/2010-04-01/Accounts/AC123/Messages.json"
        );
        assert!(
            request
                .headers
                .contains(&("authorization", format!("Basic {}", STANDARD.encode("AC123:tok"))))
        );
        let fields: BTreeMap<String, String> =
            url::form_urlencoded::parse(request.body.as_bytes()).into_owned().collect();
        assert_eq!(fields["To"], "+14155550000");
        assert_eq!(fields["From"], "+15005550006");
        assert_eq!(
            fields["Body"],
            "New lead (Roof quote): Ada <b>Lovelace</b>, +14155552671, ada@example.com. \"Leak over the kitchen & hall\""
        );
        let mut long = lead();
        long.fields.insert("message".into(), Value::from("word ".repeat(100)));
        let request = sms_request(
            &SmsProvider { from: "MGabc".into(), ..provider },
            "+14155550000",
            &long,
            &form(),
        );
        let fields: BTreeMap<String, String> =
            url::form_urlencoded::parse(request.body.as_bytes()).into_owned().collect();
        assert_eq!(fields["Body"].chars().count(), MAX_SMS_CHARS);
        assert_eq!(fields["MessagingServiceSid"], "MGabc");
    }

    #[test]
    fn slack_messages_escape_markup() {
        let request = slack_request("https://hooks.slack.example/x", &lead(), &form());
        let body: Value = serde_json::from_str(&request.body).expect("json");
        let text = body["text"].as_str().unwrap_or_default();
        assert!(text.starts_with("New lead for *Roof quote*"));
        assert!(text.contains("*Name:* Ada &lt;b&gt;Lovelace&lt;/b&gt;"), "{text}");
        assert!(text.contains("kitchen &amp; hall"), "{text}");
    }
}
