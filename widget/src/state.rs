//! The form's state as plain data: what the visitor typed, which fields they have left, whether they
//! tried to send, and what the server refused. No DOM here, so every rule about *when* an error shows
//! is a native test; *what* is an error is `shared`'s alone.

use inlet_shared::{
    FORM_TOKEN_RENEW_AFTER_SECONDS, FieldError, FormDefinition, LeadSubmission, PageContext,
    RawValue, SmallMap, field_error, field_errors,
};
use serde::{Deserialize, Serialize};

/// Invariant: `server_errors` only holds errors for fields the visitor has not changed since the server
/// reported them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormState {
    values: SmallMap<RawValue>,
    /// A handful of names; a Vec keeps another collection type out of the wasm.
    touched: Vec<String>,
    attempted: bool,
    server_errors: Vec<FieldError>,
}

impl FormState {
    /// Starts with the hidden values the embedding page set.
    pub fn new(hidden: impl IntoIterator<Item = (String, String)>) -> FormState {
        FormState {
            values: hidden.into_iter().map(|(name, value)| (name, RawValue::Text(value))).collect(),
            ..Default::default()
        }
    }

    pub fn text(&self, field: &str) -> String {
        match self.values.get(field) {
            Some(RawValue::Text(text)) => text.clone(),
            _ => String::new(),
        }
    }

    pub fn checked(&self, field: &str) -> bool {
        self.values.get(field) == Some(&RawValue::Bool(true))
    }

    /// The visitor changed a field: its value is new, so an old server verdict no longer applies.
    pub fn set(&mut self, field: &str, value: RawValue) {
        self.server_errors.retain(|e| e.field != field);
        self.values.insert(field.to_owned(), value);
    }

    /// The visitor left a field; from now on its errors show as they type.
    pub fn touch(&mut self, field: &str) {
        if !self.touched.iter().any(|t| t == field) {
            self.touched.push(field.to_owned());
        }
    }

    /// The error to show next to `field` now, if any: the server's, or `shared`'s once the visitor has
    /// left the field or tried to send.
    pub fn visible_error(&self, form: &FormDefinition, field: &str) -> Option<FieldError> {
        if let Some(error) = self.server_errors.iter().find(|e| e.field == field) {
            return Some(error.clone());
        }
        if !(self.attempted || self.touched.iter().any(|t| t == field)) {
            return None;
        }
        form.field(field).and_then(|f| field_error(form, f, self.values.get(field)))
    }

    /// Marks an attempt to send and returns what to post, or every field's error.
    pub fn prepare_submission(
        &mut self,
        form: &FormDefinition,
        context: PageContext,
    ) -> Result<LeadSubmission, Vec<FieldError>> {
        self.attempted = true;
        let submission = self.submission(context);
        let errors = field_errors(form, &submission.fields);
        if errors.is_empty() { Ok(submission) } else { Err(errors) }
    }

    /// Shows what the server refused (a `422`), next to the fields it names.
    pub fn set_server_errors(&mut self, errors: Vec<FieldError>) {
        self.server_errors = errors;
    }

    fn submission(&self, context: PageContext) -> LeadSubmission {
        LeadSubmission { fields: self.values.clone(), context, ..Default::default() }
    }
}

/// A submission the visitor sent that the edge has not yet confirmed. It lives in the browser's storage
/// until an answer arrives, so a closed tab or a dropped connection loses nothing, and it keeps its
/// idempotency key, so however often it is sent it is stored once.
///
/// Its form token ages while it waits (a tab left open, a lead sent from the outbox on a later visit),
/// so it keeps when the browser received it, and is renewed before sending once it is old.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub key: String,
    pub submission: LeadSubmission,
    /// When the browser received `submission.token`: milliseconds since the epoch by its own clock,
    /// as digits, since the outbox holds no numbers. Absent in entries saved by an older widget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_received: Option<String>,
}

/// Whether a token received at `received` (as `Pending::token_received` has it) should be renewed
/// before sending at `now_ms`: once it is old, and whenever its age cannot be told (no time, or a
/// clock that has gone back), since a renewal costs one small request and an expired token costs
/// the lead its place in the business's inbox.
pub fn token_needs_renewal(received: Option<&str>, now_ms: u64) -> bool {
    let Some(received) = received.and_then(|r| r.parse::<u64>().ok()) else { return true };
    now_ms < received || now_ms - received >= u64::from(FORM_TOKEN_RENEW_AFTER_SECONDS) * 1000
}

/// The most submissions kept waiting per form; the oldest make way (a visitor does not queue more).
pub const OUTBOX_CAPACITY: usize = 5;

/// Adds a submission to the outbox. Sending the same fields again (a second click, a reload and
/// resubmit) keeps the first entry and its key, so it cannot become two leads.
pub fn enqueue(outbox: &mut Vec<Pending>, pending: Pending) -> &Pending {
    let index = match outbox.iter().position(|p| p.submission.fields == pending.submission.fields) {
        Some(index) => index,
        None => {
            if outbox.len() >= OUTBOX_CAPACITY {
                outbox.remove(0);
            }
            outbox.push(pending);
            outbox.len() - 1
        }
    };
    &outbox[index]
}

/// How long to wait before attempt `attempt` (1 for the first retry): exponential from 0.5 s, capped
/// at 30 s, with "equal jitter" (`jitter` in 0..1 picks a point in the upper half) so many widgets that
/// failed together do not retry together; never sooner than the server's `Retry-After`.
pub fn retry_delay_ms(attempt: u32, retry_after_seconds: Option<u32>, jitter: f64) -> u32 {
    let exponential = 500u32.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(30_000);
    let jittered = f64::from(exponential) * (0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    let server = retry_after_seconds.map_or(0, |s| s.min(600).saturating_mul(1000));
    (jittered as u32).max(server)
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_shared::ErrorCode;

    fn form() -> FormDefinition {
        serde_json::from_value(serde_json::json!({"id": "demo", "title": "T", "fields": [
            {"name": "name", "label": "Name", "kind": "text", "required": true},
            {"name": "email", "label": "Email", "kind": "email", "required": true},
            {"name": "source", "label": "Source", "kind": "hidden"}
        ]}))
        .expect("valid")
    }

    fn code(state: &FormState, field: &str) -> Option<ErrorCode> {
        state.visible_error(&form(), field).map(|e| e.code)
    }

    #[test]
    fn errors_wait_until_the_visitor_leaves_the_field() {
        let mut state = FormState::default();
        state.set("email", RawValue::from("ada@"));
        assert_eq!(code(&state, "email"), None);
        state.touch("email");
        assert_eq!(code(&state, "email"), Some(ErrorCode::EmailInvalid));
        assert_eq!(code(&state, "name"), None);
        state.set("email", RawValue::from("ada@example.com"));
        assert_eq!(code(&state, "email"), None);
    }

    #[test]
    fn an_attempt_shows_every_error_and_sends_nothing_invalid() {
        let mut state = FormState::default();
        let errors =
            state.prepare_submission(&form(), PageContext::default()).expect_err("invalid");
        assert_eq!(errors.len(), 2);
        assert_eq!(code(&state, "name"), Some(ErrorCode::FieldRequired));
        state.set("name", RawValue::from("Ada"));
        state.set("email", RawValue::from("ada@example.com"));
        let submission = state.prepare_submission(&form(), PageContext::default()).expect("valid");
        assert_eq!(submission.fields.get("email"), Some(&RawValue::from("ada@example.com")));
    }

    #[test]
    fn retries_back_off_with_jitter_and_honour_retry_after() {
        assert_eq!(retry_delay_ms(1, None, 1.0), 500);
        assert_eq!(retry_delay_ms(1, None, 0.0), 250);
        assert_eq!(retry_delay_ms(3, None, 1.0), 2_000);
        assert_eq!(retry_delay_ms(30, None, 1.0), 30_000);
        assert_eq!(retry_delay_ms(1, Some(7), 0.3), 7_000);
        assert_eq!(retry_delay_ms(9, Some(1), 1.0), 30_000);
        assert_eq!(retry_delay_ms(1, Some(100_000), 0.0), 600_000);
        let delays: Vec<u32> = (1..8).map(|a| retry_delay_ms(a, None, 1.0)).collect();
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
    }

    #[test]
    fn the_outbox_keeps_one_entry_per_submission() {
        let pending = |key: &str, email: &str| Pending {
            key: key.to_owned(),
            submission: LeadSubmission {
                fields: [("email".to_owned(), RawValue::from(email))].into(),
                ..Default::default()
            },
            token_received: None,
        };
        let mut outbox = Vec::new();
        assert_eq!(enqueue(&mut outbox, pending("k1", "a@b.co")).key, "k1");
        assert_eq!(
            enqueue(&mut outbox, pending("k2", "a@b.co")).key,
            "k1",
            "a second click reuses the key"
        );
        assert_eq!(enqueue(&mut outbox, pending("k3", "c@d.co")).key, "k3");
        for i in 0..10 {
            enqueue(&mut outbox, pending(&format!("n{i}"), &format!("{i}@x.co")));
        }
        assert_eq!(outbox.len(), OUTBOX_CAPACITY);
        assert_eq!(outbox.last().map(|p| p.key.as_str()), Some("n9"));
    }

    #[test]
    fn server_errors_show_until_the_field_changes() {
        let mut state = FormState::new([("source".to_owned(), "spring".to_owned())]);
        state.set_server_errors(vec![FieldError::new("email", ErrorCode::EmailInvalid)]);
        assert_eq!(code(&state, "email"), Some(ErrorCode::EmailInvalid));
        state.set("email", RawValue::from("other@example.com"));
        assert_eq!(code(&state, "email"), None);
        assert_eq!(state.text("source"), "spring");
    }

    #[test]
    fn a_token_is_renewed_once_old_or_of_unknown_age() {
        let renew_after = u64::from(FORM_TOKEN_RENEW_AFTER_SECONDS) * 1000;
        let received = 1_700_000_000_000u64;
        let at = |now: u64| token_needs_renewal(Some(&received.to_string()), now);
        assert!(!at(received));
        assert!(!at(received + renew_after - 1));
        assert!(at(received + renew_after));
        // Lunch: an hour and a half later.
        assert!(at(received + 90 * 60_000));
        // A clock set back, no time, or nonsense: renew.
        assert!(at(received - 1));
        assert!(token_needs_renewal(None, received));
        assert!(token_needs_renewal(Some("soon"), received));
    }
}
