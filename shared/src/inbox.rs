//! The inbox's payloads and rules: a lead's status pipeline, its tags and notes, the filters of a
//! view (which live in the dashboard's URL and in the API's query string under the same names, so
//! a filtered view can be bookmarked and shared), and the pages, the lead and the changes the API
//! sends and takes.

use crate::Consent;
use serde::{Deserialize, Serialize};

/// Most tags on one lead, and the longest tag, in characters.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 40;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 5000;
/// The longest search, in bytes: D1 refuses LIKE patterns over 50 bytes, and the pattern adds two `%`.
pub const MAX_SEARCH_BYTES: usize = 48;
/// Leads on one page of the inbox, at most and by default.
pub const MAX_PAGE: usize = 100;
pub const DEFAULT_PAGE: usize = 50;

/// Where a lead is in the business's pipeline. New leads are `new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Won,
    Lost,
    Archived,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 6] = [
        LeadStatus::New,
        LeadStatus::Contacted,
        LeadStatus::Qualified,
        LeadStatus::Won,
        LeadStatus::Lost,
        LeadStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
            LeadStatus::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<LeadStatus> {
        LeadStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// The word a person reads.
    pub fn label(self) -> &'static str {
        match self {
            LeadStatus::New => "New",
            LeadStatus::Contacted => "Contacted",
            LeadStatus::Qualified => "Qualified",
            LeadStatus::Won => "Won",
            LeadStatus::Lost => "Lost",
            LeadStatus::Archived => "Archived",
        }
    }
}

/// A tag as stored: trimmed, inner white space collapsed, lower-case ASCII letters; `None` if it is
/// empty or longer than [`MAX_TAG_CHARS`].
pub fn normalise_tag(raw: &str) -> Option<String> {
    let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    (!tag.is_empty() && tag.chars().count() <= MAX_TAG_CHARS).then_some(tag)
}

/// Which leads a view shows. Every member is optional; an empty filter is the inbox, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxFilter {
    /// Text in the name, email, phone or message.
    pub q: Option<String>,
    pub form: Option<String>,
    pub status: Option<LeadStatus>,
    /// Received on or after this day (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Received on or before this day.
    pub to: Option<String>,
    pub utm_source: Option<String>,
    pub utm_campaign: Option<String>,
    /// A member's user id, or `none` for leads nobody has.
    pub assignee: Option<String>,
    pub tag: Option<String>,
    /// The spam folder instead of the inbox.
    pub spam: bool,
}

/// A query parameter the filter cannot take; the message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl InboxFilter {
    /// The filter's members as query parameters, in a fixed order, the unset ones left out.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        let mut push = |name: &'static str, value: &Option<String>| {
            if let Some(value) = value {
                pairs.push((name, value.clone()));
            }
        };
        push("q", &self.q);
        push("form", &self.form);
        push("status", &self.status.map(|s| s.as_str().to_owned()));
        push("from", &self.from);
        push("to", &self.to);
        push("utm_source", &self.utm_source);
        push("utm_campaign", &self.utm_campaign);
        push("assignee", &self.assignee);
        push("tag", &self.tag);
        if self.spam {
            pairs.push(("folder", "spam".to_owned()));
        }
        pairs
    }

    /// Reads the filter from query parameters (decoded). Parameters it does not know are left to the
    /// caller (`cursor`, `limit`); a known one with a bad value is an error naming it.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<InboxFilter, FilterError> {
        let mut filter = InboxFilter::default();
        for (name, value) in pairs {
            let value = value.trim();
            let text = || (!value.is_empty()).then(|| value.to_owned());
            match name {
                "q" => {
                    if value.len() > MAX_SEARCH_BYTES {
                        return Err(FilterError(format!(
                            "q is longer than {MAX_SEARCH_BYTES} bytes"
                        )));
                    }
                    filter.q = text();
                }
                "form" => filter.form = text(),
                "status" if value.is_empty() => {}
                "status" => {
                    filter.status = Some(LeadStatus::parse(value).ok_or_else(|| {
                        FilterError(
                            "status must be new, contacted, qualified, won, lost or archived"
                                .into(),
                        )
                    })?);
                }
                "from" | "to" if value.is_empty() => {}
                "from" | "to" => {
                    if day_ms(value).is_none() {
                        return Err(FilterError(format!("{name} must be a day like 2026-12-01")));
                    }
                    if name == "from" {
                        filter.from = text();
                    } else {
                        filter.to = text();
                    }
                }
                "utm_source" => filter.utm_source = text(),
                "utm_campaign" => filter.utm_campaign = text(),
                "assignee" => filter.assignee = text(),
                "tag" => filter.tag = normalise_tag(value),
                "folder" => match value {
                    "" | "inbox" => filter.spam = false,
                    "spam" => filter.spam = true,
                    _ => return Err(FilterError("folder must be inbox or spam".into())),
                },
                _ => {}
            }
        }
        Ok(filter)
    }

    /// The first millisecond of `from`, and the first after `to`, as epoch milliseconds.
    pub fn time_range(&self) -> (Option<u64>, Option<u64>) {
        let from = self.from.as_deref().and_then(day_ms);
        let to = self.to.as_deref().and_then(day_ms).map(|start| start + 86_400_000);
        (from, to)
    }
}

/// Milliseconds since the epoch at the start of a `YYYY-MM-DD` day (UTC), for days from 1970 to 9999.
pub fn day_ms(day: &str) -> Option<u64> {
    let bytes = day.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = day.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (year, month, date) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if year < 1970
        || !(1..=12).contains(&month)
        || date < 1
        || date > days_in_month[(month - 1) as usize]
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + date - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days).ok().map(|days| days * 86_400_000)
}

/// One page of the inbox, and the cursor of the next (absent on the last page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadPage {
    pub items: Vec<LeadSummary>,
    pub next_cursor: Option<String>,
}

/// A lead as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadSummary {
    pub id: String,
    pub form_id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The start of the first multi-line answer (the message), at most 140 characters.
    pub preview: String,
    pub status: LeadStatus,
    pub assignee_id: Option<String>,
    pub tags: Vec<String>,
    pub spam: bool,
}

/// A lead's page: every answer under the label the form showed, where it came from, the consent it
/// carries, its place in the pipeline, its notes and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadDetail {
    pub id: String,
    pub form_id: String,
    pub form_title: String,
    pub created_at: String,
    pub answers: Vec<LabelledAnswer>,
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    /// `utm_source`, `utm_medium`, ... as received, only those present.
    pub utm: Vec<(String, String)>,
    pub consents: Vec<Consent>,
    pub spam: bool,
    /// Why the lead is in the spam folder (`honeypot`, `too_fast`, ...).
    pub spam_reason: Option<String>,
    pub status: LeadStatus,
    pub assignee_id: Option<String>,
    pub tags: Vec<String>,
    pub notes: Vec<Note>,
    pub history: Vec<LeadEvent>,
    /// The lead's deliveries to its form's destinations, oldest first, each with every attempt.
    #[serde(default)]
    pub deliveries: Vec<LeadDelivery>,
}

/// One delivery of a lead to a destination, as the lead's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadDelivery {
    pub id: String,
    /// The destination's name, or its kind (`webhook`, `email`, `sms`, `slack`) if it has none;
    /// `None` if the destination was deleted since.
    pub destination: Option<String>,
    /// `pending`, `retrying`, `delivered`, `failed` or `dead`.
    pub status: String,
    /// Whether it can be sent again now (failed or dead, to a destination that is still on).
    pub replayable: bool,
    /// Every attempt, oldest first.
    pub attempts: Vec<LeadAttempt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadAttempt {
    pub number: u32,
    pub attempted_at: String,
    /// `delivered`, `failed`, `refused`, ... as the delivery log says.
    pub outcome: String,
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledAnswer {
    pub name: String,
    pub label: String,
    /// As text: a checkbox is "Yes" or "No".
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// One change to a lead: who (their email address; `None` for the system), what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadEvent {
    pub actor: Option<String>,
    /// `status`, `assignee`, `tag_added`, `tag_removed`, `note`, `released`.
    pub kind: String,
    /// A sentence for the lead's page, e.g. "Status: New → Contacted".
    pub summary: String,
    pub created_at: String,
}

/// `PATCH /v1/tenants/{tenant_id}/leads/{lead_id}`: any of the three.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LeadStatus>,
    /// `Some(None)` (JSON `null`) unassigns.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
    pub assignee_id: Option<Option<String>>,
    /// The lead's whole set of tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// `POST /v1/tenants/{tenant_id}/leads/{lead_id}/notes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub body: String,
}

/// `null` as `Some(None)`, absence as `None`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<Option<String>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_the_query_string() {
        let filter = InboxFilter {
            q: Some("ada".into()),
            form: Some("demo".into()),
            status: Some(LeadStatus::Qualified),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            utm_source: Some("google".into()),
            utm_campaign: Some("spring".into()),
            assignee: Some("none".into()),
            tag: Some("vip".into()),
            spam: true,
        };
        let pairs = filter.to_pairs();
        let read = InboxFilter::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(read, Ok(filter));
        assert_eq!(
            InboxFilter::from_pairs([("cursor", "x"), ("q", " ")]),
            Ok(InboxFilter::default())
        );
    }

    #[test]
    fn bad_values_are_named() {
        for (name, value) in [
            ("status", "closed"),
            ("from", "2026-02-30"),
            ("to", "yesterday"),
            ("folder", "trash"),
            ("q", &"x".repeat(49)),
        ] {
            let error = InboxFilter::from_pairs([(name, value)]).expect_err(name);
            assert!(error.0.starts_with(name), "{error:?}");
        }
    }

    #[test]
    fn days_are_utc_midnights() {
        assert_eq!(day_ms("1970-01-01"), Some(0));
        assert_eq!(day_ms("2026-12-01"), Some(1_796_083_200_000));
        assert_eq!(day_ms("2024-02-29"), Some(1_709_164_800_000));
        for bad in ["2023-02-29", "2026-13-01", "2026-1-01", "1969-12-31", "2026-12-01T00"] {
            assert_eq!(day_ms(bad), None, "{bad}");
        }
        let filter = InboxFilter {
            from: Some("2026-12-01".into()),
            to: Some("2026-12-01".into()),
            ..Default::default()
        };
        assert_eq!(filter.time_range(), (Some(1_796_083_200_000), Some(1_796_169_600_000)));
    }

    #[test]
    fn statuses_and_tags() {
        for status in LeadStatus::ALL {
            assert_eq!(LeadStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(normalise_tag("  Repeat   Customer "), Some("repeat customer".into()));
        assert_eq!(normalise_tag("   "), None);
        assert_eq!(normalise_tag(&"x".repeat(MAX_TAG_CHARS + 1)), None);
    }

    #[test]
    fn a_change_tells_unassigning_from_leaving_alone() {
        let change: LeadChange = serde_json::from_str(r#"{"assignee_id": null}"#).expect("parses");
        assert_eq!(change.assignee_id, Some(None));
        let change: LeadChange = serde_json::from_str(r#"{"status": "won"}"#).expect("parses");
        assert_eq!((change.assignee_id, change.status), (None, Some(LeadStatus::Won)));
        assert!(serde_json::from_str::<LeadChange>(r#"{"state": "won"}"#).is_err());
    }
}
