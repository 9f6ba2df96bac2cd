//! Submissions and leads: the untrusted input a client sends, and the proven value it becomes.
//!
//! [`Lead::parse`] is the only way from one to the other. The edge runs it on whatever arrives; the
//! widget runs the same rules as the visitor types, through [`field_error`] and [`field_errors`], which
//! share `check_field` with it, so there is one copy of each rule.

use crate::{
    Email, ErrorCode, Field, FieldError, FieldKind, FormDefinition, Phone, SmallMap, text,
};
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The `utm_*` parameters Inlet keeps; others are dropped.
pub const UTM_KEYS: [&str; 5] =
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
const MAX_URL_CHARS: usize = 2_048;
const MAX_UTM_CHARS: usize = 200;

/// A submission exactly as a client sent it: nothing in it is trusted.
///
/// Wire shape: `{"fields": {"<field name>": <string | bool | whole number | null>, ...}, "context": {...},
/// "token": "...", "honeypot": "", "turnstile": "..."}`; only `fields` is needed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadSubmission {
    #[serde(default)]
    pub fields: SmallMap<RawValue>,
    #[serde(default)]
    pub context: PageContext,
    /// The token the edge served with the form, which times how long the visitor took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The value of the widget's hidden honeypot input: empty for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honeypot: Option<String>,
    /// A Cloudflare Turnstile response token, for forms that require one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile: Option<String>,
}

/// One field's value exactly as a client sent it.
///
/// Fields take JSON strings, booleans and `null`; a whole number is read as its digits (a phone number
/// sent as a number). Anything else (a fraction, an array, an object) is kept only so that the field is
/// refused as `invalid_type` together with every other field's error, rather than the whole body.
///
/// Not `serde_json::Value`: its number type would bring float printing into the widget (about 4 KB on
/// the wire, with serde_json's serialiser) for values a form never takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RawValue {
    #[default]
    Null,
    Bool(bool),
    Text(String),
    /// A value no field takes. Written back out as `null`.
    Unfit,
}

impl From<&str> for RawValue {
    fn from(text: &str) -> RawValue {
        RawValue::Text(text.to_owned())
    }
}

impl Serialize for RawValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawValue::Null | RawValue::Unfit => serializer.serialize_unit(),
            RawValue::Bool(flag) => serializer.serialize_bool(*flag),
            RawValue::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawValue, D::Error> {
        deserializer.deserialize_any(RawValueVisitor)
    }
}

struct RawValueVisitor;

impl<'de> Visitor<'de> for RawValueVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(flag))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<RawValue, E> {
        Ok(RawValue::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<RawValue, E> {
        Ok(RawValue::Text(text))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<RawValue, E> {
        let digits = crate::decimal(number.unsigned_abs());
        Ok(RawValue::Text(if number < 0 { ["-", &digits].concat() } else { digits }))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<RawValue, E> {
        Ok(RawValue::Text(crate::decimal(number)))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<RawValue, E> {
        Ok(RawValue::Unfit)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<RawValue, A::Error> {
        while items.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawValue::Unfit)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<RawValue, A::Error> {
        while entries.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(RawValue::Unfit)
    }
}

/// Where the visitor was when they submitted. Metadata, not the lead itself: it is cleaned and bounded
/// by [`PageContext::sanitised`], never a reason to refuse a lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "SmallMap::is_empty")]
    pub utm: SmallMap<String>,
}

impl PageContext {
    /// Drops unknown UTM keys, control characters and empty values, and cuts long values to their
    /// bound. Idempotent.
    pub fn sanitised(&self) -> PageContext {
        let clean = |value: &str, max: usize| -> Option<String> {
            let kept: String = value.chars().filter(|c| !c.is_control()).take(max).collect();
            let kept = kept.trim();
            (!kept.is_empty()).then(|| kept.to_owned())
        };
        PageContext {
            page_url: self.page_url.as_deref().and_then(|v| clean(v, MAX_URL_CHARS)),
            referrer: self.referrer.as_deref().and_then(|v| clean(v, MAX_URL_CHARS)),
            utm: self
                .utm
                .iter()
                .filter(|(key, _)| UTM_KEYS.contains(&key.as_str()))
                .filter_map(|(key, value)| Some((key.clone(), clean(value, MAX_UTM_CHARS)?)))
                .collect(),
        }
    }
}

/// One validated field value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LeadValue {
    Text(String),
    Email(Email),
    Phone(Phone),
    Bool(bool),
}

/// Consent evidence: what the visitor agreed to, word for word, and which version of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub field: String,
    pub text: String,
    pub version: String,
    pub given: bool,
}

/// A lead that passed every rule of its form.
///
/// Invariant: every key of `values` is a field of the form it was parsed against, every value obeys that
/// field's rules, every required field is present, and `context` is sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    values: SmallMap<LeadValue>,
    consents: Vec<Consent>,
    context: PageContext,
}

impl Lead {
    /// Checks `submission` against `form` and returns the lead, or every field's error (in form order,
    /// unknown fields last), never just the first.
    pub fn parse(
        form: &FormDefinition,
        submission: &LeadSubmission,
    ) -> Result<Lead, Vec<FieldError>> {
        let mut values = SmallMap::new();
        let mut consents = Vec::new();
        let errors = check_fields(form, &submission.fields, |field, value| {
            if let (FieldKind::Consent { text, version }, LeadValue::Bool(given)) =
                (&field.kind, &value)
            {
                consents.push(Consent {
                    field: field.name.clone(),
                    text: text.clone(),
                    version: version.clone(),
                    given: *given,
                });
            }
            values.insert(field.name.clone(), value);
        });
        if errors.is_empty() {
            Ok(Lead { values, consents, context: submission.context.sanitised() })
        } else {
            Err(errors)
        }
    }

    pub fn values(&self) -> &SmallMap<LeadValue> {
        &self.values
    }

    pub fn consents(&self) -> &[Consent] {
        &self.consents
    }

    pub fn context(&self) -> &PageContext {
        &self.context
    }

    /// The first email field's value: the address a business replies to.
    pub fn email(&self) -> Option<&Email> {
        self.values.values().find_map(|v| match v {
            LeadValue::Email(email) => Some(email),
            _ => None,
        })
    }

    /// The first phone field's value.
    pub fn phone(&self) -> Option<&Phone> {
        self.values.values().find_map(|v| match v {
            LeadValue::Phone(phone) => Some(phone),
            _ => None,
        })
    }
}

/// The rules of [`Lead::parse`] without building the lead: every field's error, in the same order,
/// and none when the lead would be accepted. The widget runs this as the visitor types; it needs
/// nothing else, and leaving the lead unbuilt keeps that code out of its wasm.
pub fn field_errors(form: &FormDefinition, fields: &SmallMap<RawValue>) -> Vec<FieldError> {
    check_fields(form, fields, |_, _| {})
}

/// The error for one field of `form` holding `raw` (`None`: the visitor left it out), if any: the
/// rule [`field_errors`] applies to that field, for a client checking a field as the visitor types.
pub fn field_error(
    form: &FormDefinition,
    field: &Field,
    raw: Option<&RawValue>,
) -> Option<FieldError> {
    check_field(form, field, raw).err()
}

/// One field's verdict: its value (`None` when it is optional and left empty), or its error.
fn check_field(
    form: &FormDefinition,
    field: &Field,
    raw: Option<&RawValue>,
) -> Result<Option<LeadValue>, FieldError> {
    match parse_value(form, &field.kind, raw.unwrap_or(&RawValue::Null)) {
        Ok(Some(LeadValue::Bool(false)) | None) if field.required => {
            Err(required_error(&field.name, &field.kind))
        }
        Ok(value) => Ok(value),
        Err(error) => Err(error.for_field(&field.name)),
    }
}

/// Checks every field of `form` against `fields`, hands each value it accepts to `accept`, and returns
/// the errors: in form order, unknown fields last.
fn check_fields(
    form: &FormDefinition,
    fields: &SmallMap<RawValue>,
    mut accept: impl FnMut(&Field, LeadValue),
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for field in &form.fields {
        match check_field(form, field, fields.get(&field.name)) {
            Ok(Some(value)) => accept(field, value),
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }
    for name in fields.keys() {
        if form.field(name).is_none() {
            errors.push(FieldError::new(name, ErrorCode::UnknownField));
        }
    }
    errors
}

/// A refusal before the field's name is known, with the limit where the message needs it.
enum ValueError {
    Code(ErrorCode),
    TooLong(usize),
}

impl ValueError {
    fn for_field(self, name: &str) -> FieldError {
        match self {
            ValueError::Code(code) => FieldError::new(name, code),
            ValueError::TooLong(max) => FieldError::too_long(name, max),
        }
    }
}

/// `Ok(None)` means the visitor left the field empty.
fn parse_value(
    form: &FormDefinition,
    kind: &FieldKind,
    raw: &RawValue,
) -> Result<Option<LeadValue>, ValueError> {
    let code = ValueError::Code;
    let bounded = |result: Result<String, ErrorCode>, max: usize| {
        result.map_err(|c| if c == ErrorCode::TooLong { ValueError::TooLong(max) } else { code(c) })
    };
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    Ok(match kind {
        FieldKind::Text { max_length } | FieldKind::Hidden { max_length } => {
            let max = (*max_length).min(text::MAX_SINGLE_LINE_CHARS);
            non_empty(bounded(text::single_line(&as_text(raw)?, max), max)?).map(LeadValue::Text)
        }
        FieldKind::MultiLine { max_length } => {
            let max = (*max_length).min(text::MAX_MULTI_LINE_CHARS);
            non_empty(bounded(text::multi_line(&as_text(raw)?, max), max)?).map(LeadValue::Text)
        }
        FieldKind::Email => match non_empty(bounded(single(raw)?, text::MAX_SINGLE_LINE_CHARS)?) {
            Some(s) => Some(LeadValue::Email(Email::parse(&s).map_err(code)?)),
            None => None,
        },
        FieldKind::Phone => match non_empty(bounded(single(raw)?, text::MAX_SINGLE_LINE_CHARS)?) {
            Some(s) => {
                Some(LeadValue::Phone(Phone::parse(&s, form.default_country).map_err(code)?))
            }
            None => None,
        },
        FieldKind::Select { options } => {
            match non_empty(bounded(single(raw)?, text::MAX_SINGLE_LINE_CHARS)?) {
                Some(s) if options.contains(&s) => Some(LeadValue::Text(s)),
                Some(_) => return Err(code(ErrorCode::InvalidOption)),
                None => None,
            }
        }
        FieldKind::Checkbox | FieldKind::Consent { .. } => Some(LeadValue::Bool(as_bool(raw)?)),
    })
}

fn single(raw: &RawValue) -> Result<Result<String, ErrorCode>, ValueError> {
    Ok(text::single_line(&as_text(raw)?, text::MAX_SINGLE_LINE_CHARS))
}

fn as_text(raw: &RawValue) -> Result<String, ValueError> {
    match raw {
        RawValue::Null => Ok(String::new()),
        RawValue::Text(s) => Ok(s.clone()),
        RawValue::Bool(_) | RawValue::Unfit => Err(ValueError::Code(ErrorCode::InvalidType)),
    }
}

/// HTML forms say `on`; JSON clients say `true`. Both mean ticked.
fn as_bool(raw: &RawValue) -> Result<bool, ValueError> {
    match raw {
        RawValue::Null => Ok(false),
        RawValue::Bool(b) => Ok(*b),
        RawValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(true),
            "false" | "off" | "no" | "0" | "" => Ok(false),
            _ => Err(ValueError::Code(ErrorCode::InvalidType)),
        },
        RawValue::Unfit => Err(ValueError::Code(ErrorCode::InvalidType)),
    }
}

fn required_error(name: &str, kind: &FieldKind) -> FieldError {
    let code = if matches!(kind, FieldKind::Consent { .. }) {
        ErrorCode::ConsentRequired
    } else {
        ErrorCode::FieldRequired
    };
    FieldError::for_kind(name, code, Some(kind), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn demo_form() -> FormDefinition {
        serde_json::from_value(json!({
            "id": "demo", "title": "Get a quote", "default_country": "US",
            "fields": [
                {"name": "name", "label": "Name", "kind": "text", "required": true, "max_length": 10},
                {"name": "email", "label": "Email", "kind": "email", "required": true},
                {"name": "phone", "label": "Phone", "kind": "phone"},
                {"name": "service", "label": "Service", "kind": "select", "options": ["Roof", "Gutters"]},
                {"name": "message", "label": "Message", "kind": "multi_line", "max_length": 20},
                {"name": "newsletter", "label": "News", "kind": "checkbox"},
                {"name": "consent", "label": "I agree", "kind": "consent", "required": true,
                 "text": "You may contact me about my request.", "version": "v1"},
                {"name": "campaign", "label": "Campaign", "kind": "hidden"}
            ]
        }))
        .expect("valid demo form")
    }

    /// Parses, and checks that `field_errors` (the widget's view of the same rules) agrees.
    fn submit(fields: Value) -> Result<Lead, Vec<FieldError>> {
        let fields: SmallMap<RawValue> = serde_json::from_value(fields).expect("object");
        let parsed = Lead::parse(
            &demo_form(),
            &LeadSubmission { fields: fields.clone(), ..Default::default() },
        );
        let errors = parsed.clone().err().unwrap_or_default();
        assert_eq!(field_errors(&demo_form(), &fields), errors);
        for field in &demo_form().fields {
            let expected = errors.iter().find(|e| e.field == field.name);
            assert_eq!(
                field_error(&demo_form(), field, fields.get(&field.name)).as_ref(),
                expected
            );
        }
        parsed
    }

    /// Checks the codes of every error, in order, as `field:code`.
    fn check_errors(fields: Value, expected: &[&str]) {
        let errors = submit(fields.clone()).expect_err("should be refused");
        let got: Vec<String> = errors.iter().map(|e| format!("{}:{}", e.field, e.code)).collect();
        assert_eq!(got, expected, "fields {fields}");
    }

    #[test]
    fn a_good_submission_becomes_a_normalised_lead() {
        let lead = submit(json!({
            "name": "  Ada ", "email": "Ada@Example.com", "phone": "(415) 555-0123",
            "service": "Roof", "message": "Leak\r\nin attic", "newsletter": "on", "consent": true
        }))
        .expect("valid");
        let values = lead.values();
        assert_eq!(values.get("name"), Some(&LeadValue::Text("Ada".into())));
        assert_eq!(lead.email().map(Email::as_str), Some("ada@example.com"));
        assert_eq!(lead.phone().map(Phone::as_str), Some("+14155550123"));
        assert_eq!(values.get("message"), Some(&LeadValue::Text("Leak\nin attic".into())));
        assert_eq!(values.get("newsletter"), Some(&LeadValue::Bool(true)));
        assert_eq!(values.get("campaign"), None);
        assert_eq!(
            lead.consents(),
            [Consent {
                field: "consent".into(),
                text: "You may contact me about my request.".into(),
                version: "v1".into(),
                given: true
            }]
        );
        let stored = serde_json::to_value(values).expect("serialises");
        assert_eq!(stored["phone"], json!("+14155550123"));
        assert_eq!(stored["consent"], json!(true));
    }

    #[test]
    fn every_error_is_reported_at_once() {
        check_errors(
            json!({}),
            &["name:field_required", "email:field_required", "consent:consent_required"],
        );
        check_errors(
            json!({"name": "Ada Lovelace!", "email": "ada@", "phone": "555", "service": "Pool",
                   "message": "x".repeat(21), "consent": "maybe", "colour": "red"}),
            &[
                "name:too_long",
                "email:email_invalid",
                "phone:phone_invalid",
                "service:invalid_option",
                "message:too_long",
                "consent:invalid_type",
                "colour:unknown_field",
            ],
        );
        check_errors(
            json!({"name": ["Ada"], "email": true, "consent": true, "newsletter": 3}),
            &["name:invalid_type", "email:invalid_type", "newsletter:invalid_type"],
        );
        check_errors(
            json!({"name": "A\u{7}da", "email": "ada@example.com", "consent": false}),
            &["name:invalid_characters", "consent:consent_required"],
        );
    }

    #[test]
    fn messages_are_written_for_the_visitor() {
        let errors = submit(json!({"name": "Ada Lovelace!"})).expect_err("refused");
        let message =
            |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message.as_str());
        assert_eq!(message("name"), Some("Please shorten this to at most 10 characters."));
        assert_eq!(message("email"), Some("Please enter your email address."));
        assert_eq!(message("consent"), Some("Please tick this box to agree before sending."));
    }

    #[test]
    fn empty_optional_fields_are_absent_and_numbers_read_as_text() {
        let lead = submit(json!({"name": 42, "email": "a@b.co", "phone": "  ", "service": "", "consent": "true", "campaign": null}))
            .expect("valid");
        // An unticked checkbox is a fact worth keeping; an empty text field is not.
        assert_eq!(
            lead.values().keys().collect::<Vec<_>>(),
            ["consent", "email", "name", "newsletter"]
        );
        assert_eq!(lead.values().get("name"), Some(&LeadValue::Text("42".into())));
    }

    #[test]
    fn only_text_flags_and_whole_numbers_are_values() {
        check_errors(
            json!({"name": 1.5, "email": {"address": "a@b.co"}, "phone": [4155550123u64], "consent": true}),
            &["name:invalid_type", "email:invalid_type", "phone:invalid_type"],
        );
        let lead = submit(json!({"name": -7, "email": "a@b.co", "phone": 4155550123u64, "newsletter": 1, "consent": true}))
            .expect("valid");
        assert_eq!(lead.values().get("name"), Some(&LeadValue::Text("-7".into())));
        assert_eq!(lead.phone().map(Phone::as_str), Some("+14155550123"));
        assert_eq!(lead.values().get("newsletter"), Some(&LeadValue::Bool(true)));
    }

    #[test]
    fn context_is_cleaned_not_refused() {
        let context = PageContext {
            page_url: Some(format!("https://example.com/{}", "a".repeat(3000))),
            referrer: Some("  \u{0} ".into()),
            utm: [
                ("utm_source", "google\n"),
                ("utm_medium", "cpc"),
                ("tracking", "x"),
                ("utm_term", ""),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        };
        let clean = context.sanitised();
        assert_eq!(clean.page_url.as_ref().map(|u| u.chars().count()), Some(MAX_URL_CHARS));
        assert_eq!(clean.referrer, None);
        assert_eq!(clean.utm.keys().collect::<Vec<_>>(), ["utm_medium", "utm_source"]);
        assert_eq!(clean.utm.get("utm_source").map(String::as_str), Some("google"));
        assert_eq!(clean.sanitised(), clean);
    }

    #[test]
    fn submissions_read_from_json() {
        let submission: LeadSubmission = serde_json::from_str(
            r#"{"fields": {"name": "Ada", "email": "a@b.co", "consent": true},
                "context": {"page_url": "https://roofer.example/", "utm": {"utm_source": "news"}}}"#,
        )
        .expect("parses");
        let lead = Lead::parse(&demo_form(), &submission).expect("valid");
        assert_eq!(lead.context().utm.get("utm_source").map(String::as_str), Some("news"));
        let written = serde_json::to_string(&submission).expect("serialises");
        assert_eq!(
            serde_json::from_str::<LeadSubmission>(&written).expect("reads back"),
            submission
        );
    }
}
