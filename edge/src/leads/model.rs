//! The inbox's rules as plain functions: the opaque cursor of a keyset page, what a lead shows in
//! the list and on its page (its answers under the labels its form showed), and the sentences of
//! its history.

use crate::base::clock::Timestamp;
use crate::base::ids::{LeadId, is_id};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use inlet_shared::{FieldKind, FormDefinition, LabelledAnswer, LeadStatus};
use serde_json::{Map, Value};

/// The longest preview of a lead's message in the list, in characters.
pub const PREVIEW_CHARS: usize = 140;

/// Where a page ends: the last lead's time and id. The next page starts after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: Timestamp,
    pub id: LeadId,
}

impl Cursor {
    /// Opaque to clients: they hand it back, never build one.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.created_at.as_ms(), self.id))
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (ms, id) = text.split_once(':')?;
        let ms = ms.parse().ok()?;
        is_id(id).then(|| Cursor { created_at: Timestamp::from_ms(ms), id: LeadId::from(id) })
    }
}

/// A `LIKE` pattern that finds `text` anywhere, with `%`, `_` and `\` in it taken literally
/// (the query says `ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The name a lead gave: the field called `name`, else the form's first single-line text field.
pub fn display_name(fields: &Map<String, Value>, form: Option<&FormDefinition>) -> Option<String> {
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_owned);
    text("name").or_else(|| {
        let first = form?.fields.iter().find(|f| matches!(f.kind, FieldKind::Text { .. }))?;
        text(&first.name)
    })
}

/// The start of the lead's message: the field called `message`, else the first multi-line field.
pub fn preview(fields: &Map<String, Value>, form: Option<&FormDefinition>) -> String {
    let message = fields.get("message").and_then(Value::as_str).or_else(|| {
        let first = form?.fields.iter().find(|f| matches!(f.kind, FieldKind::MultiLine { .. }))?;
        fields.get(&first.name).and_then(Value::as_str)
    });
    let message = message.unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
    if message.chars().count() <= PREVIEW_CHARS {
        return message;
    }
    let mut cut: String = message.chars().take(PREVIEW_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Every answer under the label its form showed, in the form's order; values the form no longer
/// has a field for follow under their own names, so nothing a visitor sent is hidden.
pub fn answers(fields: &Map<String, Value>, form: Option<&FormDefinition>) -> Vec<LabelledAnswer> {
    let as_text = |value: &Value| match value {
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let mut answers = Vec::new();
    let mut shown = Vec::new();
    for field in form.map(|f| f.fields.as_slice()).unwrap_or_default() {
        if let Some(value) = fields.get(&field.name) {
            answers.push(LabelledAnswer {
                name: field.name.clone(),
                label: field.label.clone(),
                value: as_text(value),
            });
            shown.push(field.name.as_str());
        }
    }
    for (name, value) in fields {
        if !shown.contains(&name.as_str()) {
            answers.push(LabelledAnswer {
                name: name.clone(),
                label: name.clone(),
                value: as_text(value),
            });
        }
    }
    answers
}

/// The export's columns, in order.
pub const CSV_HEADER: [&str; 14] = [
    "received_at",
    "id",
    "form",
    "status",
    "name",
    "email",
    "phone",
    "message",
    "tags",
    "assignee",
    "utm_source",
    "utm_campaign",
    "page_url",
    "answers",
];

/// One CSV cell (RFC 4180): always quoted, quotes doubled. A cell a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is neutralised with a
/// leading `'`, which spreadsheets read as "this is text" (OWASP, CSV injection). That includes
/// E.164 phone numbers, which start with `+`.
pub fn csv_cell(value: &str) -> String {
    let dangerous = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let neutral = if dangerous { format!("'{value}") } else { value.to_owned() };
    format!("\"{}\"", neutral.replace('"', "\"\""))
}

/// One CSV record, with the CRLF that ends it.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells.iter().map(|c| csv_cell(c.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// What one change to a lead was, for its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Status {
        from: LeadStatus,
        to: LeadStatus,
    },
    /// Assignees by email address, `None` for nobody.
    Assignee {
        from: Option<String>,
        to: Option<String>,
    },
    TagAdded(String),
    TagRemoved(String),
    Note,
    /// Taken out of the spam folder, and forwarded.
    Released,
}

impl Change {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Status { .. } => "status",
            Change::Assignee { .. } => "assignee",
            Change::TagAdded(_) => "tag_added",
            Change::TagRemoved(_) => "tag_removed",
            Change::Note => "note",
            Change::Released => "released",
        }
    }

    /// The sentence the lead's page shows.
    pub fn summary(&self) -> String {
        let nobody = |who: &Option<String>| who.clone().unwrap_or_else(|| "nobody".to_owned());
        match self {
            Change::Status { from, to } => format!("Status: {} → {}", from.label(), to.label()),
            Change::Assignee { from, to } => {
                format!("Assigned: {} → {}", nobody(from), nobody(to))
            }
            Change::TagAdded(tag) => format!("Tagged {tag}"),
            Change::TagRemoved(tag) => format!("Untagged {tag}"),
            Change::Note => "Added a note".to_owned(),
            Change::Released => "Marked not spam, and forwarded".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> FormDefinition {
        serde_json::from_value(json!({"id": "f", "title": "T", "fields": [
            {"name": "full_name", "label": "Your name", "kind": "text"},
            {"name": "notes", "label": "How can we help?", "kind": "multi_line"},
            {"name": "ok", "label": "Consent", "kind": "consent", "text": "Yes", "version": "1"}
        ]}))
        .expect("form")
    }

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let cursor =
            Cursor { created_at: Timestamp::from_ms(1_796_083_200_000), id: LeadId::from("ld_1") };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for junk in
            ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("1:a.b"), &URL_SAFE_NO_PAD.encode("x:ld_1")]
        {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("ada"), "%ada%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn names_and_previews_come_from_the_form() {
        let form = form();
        let lead = fields(json!({"full_name": "Ada", "notes": "  Leaky\n roof  ", "ok": true}));
        assert_eq!(display_name(&lead, Some(&form)).as_deref(), Some("Ada"));
        assert_eq!(display_name(&lead, None), None);
        assert_eq!(preview(&lead, Some(&form)), "Leaky roof");
        let long = fields(json!({"message": "word ".repeat(100)}));
        let cut = preview(&long, None);
        assert_eq!(cut.chars().count(), PREVIEW_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn answers_keep_the_forms_labels_and_order_and_hide_nothing() {
        let lead = fields(json!({"ok": true, "full_name": "Ada", "old_field": "kept"}));
        let answers = answers(&lead, Some(&form()));
        let shown: Vec<(&str, &str)> =
            answers.iter().map(|a| (a.label.as_str(), a.value.as_str())).collect();
        assert_eq!(shown, [("Your name", "Ada"), ("Consent", "Yes"), ("old_field", "kept")]);
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_cell("Ada"), "\"Ada\"");
        assert_eq!(csv_cell("say \"hi\", then\r\nleave"), "\"say \"\"hi\"\", then\r\nleave\"");
        for formula in ["=HYPERLINK(\"http://x\")", "+1415", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(formula).starts_with("\"'"), "{formula}");
        }
        assert_eq!(csv_cell(" =not first"), "\" =not first\"");
        assert_eq!(csv_line(&["a", "b"]), "\"a\",\"b\"\r\n");
    }

    #[test]
    fn history_sentences() {
        let status = Change::Status { from: LeadStatus::New, to: LeadStatus::Won };
        assert_eq!(status.summary(), "Status: New → Won");
        let assigned = Change::Assignee { from: None, to: Some("bo@x.example".into()) };
        assert_eq!(assigned.summary(), "Assigned: nobody → bo@x.example");
        assert_eq!(Change::TagAdded("vip".into()).kind(), "tag_added");
    }
}
