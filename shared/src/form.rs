//! Form definitions: the fields a business asks for, as the dashboard stores them and the widget
//! renders them.

use crate::{Country, text};
use serde::{Deserialize, Serialize};

/// The most fields one form may have.
pub const MAX_FIELDS: usize = 40;
const MAX_NAME_CHARS: usize = 64;
const MAX_OPTIONS: usize = 100;

/// A lead form.
///
/// Invariant once [`FormDefinition::check`] has passed (the edge checks every definition it stores):
/// field names are unique `snake_case` identifiers, selects have options, limits are within the
/// global bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormDefinition {
    /// Public, unguessable-or-chosen identifier used in embed snippets and API paths.
    pub id: String,
    pub title: String,
    pub fields: Vec<Field>,
    /// Used to read phone numbers typed without a country code.
    #[serde(default)]
    pub default_country: Country,
    #[serde(default = "default_submit_label")]
    pub submit_label: String,
    #[serde(default = "default_success_message")]
    pub success_message: String,
    /// Cloudflare Turnstile site key, when the form requires a Turnstile check (public by design).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile_site_key: Option<String>,
}

fn default_submit_label() -> String {
    "Send".to_owned()
}

fn default_success_message() -> String {
    "Thank you! We have received your message and will be in touch soon.".to_owned()
}

/// One field of a form. `name` is the key in a submission's `fields` object.
///
/// On the wire a field is one flat object, e.g. `{"name": "topic", "label": "Topic", "kind": "select",
/// "options": ["Roof"]}`. It is read through [`FieldWire`] rather than `#[serde(flatten)]` with a tagged
/// enum: same JSON, a third of the code in the widget's wasm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FieldWire", into = "FieldWire")]
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// Shown under the label, e.g. "We only call during office hours."
    pub help: Option<String>,
}

/// What a field holds, with the limits that belong to that kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text {
        max_length: usize,
    },
    Email,
    Phone,
    MultiLine {
        max_length: usize,
    },
    Select {
        options: Vec<String>,
    },
    Checkbox,
    /// A checkbox whose wording and version are kept with every lead as consent evidence.
    Consent {
        text: String,
        version: String,
    },
    /// Set by the embedding page (e.g. a campaign name), never shown.
    Hidden {
        max_length: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindName {
    Text,
    Email,
    Phone,
    MultiLine,
    Select,
    Checkbox,
    Consent,
    Hidden,
}

/// The flat wire shape of a [`Field`]; which optional members apply depends on `kind`.
#[derive(Serialize, Deserialize)]
struct FieldWire {
    name: String,
    label: String,
    kind: KindName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    help: Option<String>,
}

impl TryFrom<FieldWire> for Field {
    type Error = String;

    fn try_from(wire: FieldWire) -> Result<Field, String> {
        // Not `format!` (see `decimal`), and never `{:?}` on a string, which would bring Unicode
        // escaping tables into the widget.
        let missing = |what: &str| ["field \"", &wire.name, "\" needs ", what].concat();
        let kind = match wire.kind {
            KindName::Text => {
                FieldKind::Text { max_length: wire.max_length.unwrap_or_else(default_text_max) }
            }
            KindName::Email => FieldKind::Email,
            KindName::Phone => FieldKind::Phone,
            KindName::MultiLine => FieldKind::MultiLine {
                max_length: wire.max_length.unwrap_or_else(default_multi_line_max),
            },
            KindName::Select => {
                FieldKind::Select { options: wire.options.ok_or_else(|| missing("options"))? }
            }
            KindName::Checkbox => FieldKind::Checkbox,
            KindName::Consent => FieldKind::Consent {
                text: wire.text.ok_or_else(|| missing("text"))?,
                version: wire.version.ok_or_else(|| missing("version"))?,
            },
            KindName::Hidden => {
                FieldKind::Hidden { max_length: wire.max_length.unwrap_or_else(default_text_max) }
            }
        };
        Ok(Field {
            name: wire.name,
            label: wire.label,
            kind,
            required: wire.required,
            help: wire.help,
        })
    }
}

impl From<Field> for FieldWire {
    fn from(field: Field) -> FieldWire {
        let mut wire = FieldWire {
            name: field.name,
            label: field.label,
            kind: KindName::Text,
            max_length: None,
            options: None,
            text: None,
            version: None,
            required: field.required,
            help: field.help,
        };
        wire.kind = match field.kind {
            FieldKind::Text { max_length } => {
                wire.max_length = Some(max_length);
                KindName::Text
            }
            FieldKind::Email => KindName::Email,
            FieldKind::Phone => KindName::Phone,
            FieldKind::MultiLine { max_length } => {
                wire.max_length = Some(max_length);
                KindName::MultiLine
            }
            FieldKind::Select { options } => {
                wire.options = Some(options);
                KindName::Select
            }
            FieldKind::Checkbox => KindName::Checkbox,
            FieldKind::Consent { text, version } => {
                wire.text = Some(text);
                wire.version = Some(version);
                KindName::Consent
            }
            FieldKind::Hidden { max_length } => {
                wire.max_length = Some(max_length);
                KindName::Hidden
            }
        };
        wire
    }
}

fn default_text_max() -> usize {
    200
}

fn default_multi_line_max() -> usize {
    5_000
}

/// Why a definition cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionError {
    NoFields,
    TooManyFields,
    BadFieldName(String),
    DuplicateFieldName(String),
    NoOptions(String),
    TooManyOptions(String),
    LimitTooLarge(String),
}

impl FormDefinition {
    /// Checks the definition's own invariants (not a submission's).
    pub fn check(&self) -> Result<(), DefinitionError> {
        if self.fields.is_empty() {
            return Err(DefinitionError::NoFields);
        }
        if self.fields.len() > MAX_FIELDS {
            return Err(DefinitionError::TooManyFields);
        }
        for (index, field) in self.fields.iter().enumerate() {
            let name = &field.name;
            if !is_field_name(name) {
                return Err(DefinitionError::BadFieldName(name.clone()));
            }
            if self.fields[..index].iter().any(|earlier| &earlier.name == name) {
                return Err(DefinitionError::DuplicateFieldName(name.clone()));
            }
            match &field.kind {
                FieldKind::Select { options } if options.is_empty() => {
                    return Err(DefinitionError::NoOptions(name.clone()));
                }
                FieldKind::Select { options } if options.len() > MAX_OPTIONS => {
                    return Err(DefinitionError::TooManyOptions(name.clone()));
                }
                FieldKind::Text { max_length } | FieldKind::Hidden { max_length }
                    if *max_length > text::MAX_SINGLE_LINE_CHARS =>
                {
                    return Err(DefinitionError::LimitTooLarge(name.clone()));
                }
                FieldKind::MultiLine { max_length } if *max_length > text::MAX_MULTI_LINE_CHARS => {
                    return Err(DefinitionError::LimitTooLarge(name.clone()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

fn is_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_CHARS
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: serde_json::Value) -> FormDefinition {
        serde_json::from_value(serde_json::json!({"id": "f", "title": "T", "fields": fields}))
            .expect("valid test form")
    }

    #[test]
    fn reads_the_wire_shape_with_defaults() {
        let f = form(serde_json::json!([
            {"name": "name", "label": "Name", "kind": "text", "required": true},
            {"name": "topic", "label": "Topic", "kind": "select", "options": ["Roof", "Gutter"]},
            {"name": "ok", "label": "I agree", "kind": "consent", "text": "You may contact me.", "version": "2026-01"},
        ]));
        assert_eq!(f.fields[0].kind, FieldKind::Text { max_length: 200 });
        assert!(f.fields[0].required && !f.fields[1].required);
        assert_eq!(f.default_country.iso(), "US");
        assert_eq!(f.submit_label, "Send");
        assert_eq!(f.check(), Ok(()));
        let back: FormDefinition =
            serde_json::from_str(&serde_json::to_string(&f).expect("serialises")).expect("parses");
        assert_eq!(back, f);
    }

    #[test]
    fn kinds_without_their_members_do_not_parse() {
        let parse = |field: serde_json::Value| {
            serde_json::from_value::<FormDefinition>(
                serde_json::json!({"id": "f", "title": "T", "fields": [field]}),
            )
        };
        assert!(parse(serde_json::json!({"name": "a", "label": "A", "kind": "select"})).is_err());
        assert!(
            parse(serde_json::json!({"name": "a", "label": "A", "kind": "consent", "text": "ok"}))
                .is_err()
        );
        assert!(parse(serde_json::json!({"name": "a", "label": "A", "kind": "colour"})).is_err());
        assert!(
            parse(serde_json::json!({"name": "a", "label": "A", "kind": "multi_line"})).is_ok()
        );
    }

    #[test]
    fn check_refuses_broken_definitions() {
        let check = |fields, expected| assert_eq!(form(fields).check(), expected);
        check(serde_json::json!([]), Err(DefinitionError::NoFields));
        check(
            serde_json::json!([{"name": "Name", "label": "x", "kind": "text"}]),
            Err(DefinitionError::BadFieldName("Name".into())),
        );
        check(
            serde_json::json!([{"name": "1a", "label": "x", "kind": "text"}]),
            Err(DefinitionError::BadFieldName("1a".into())),
        );
        check(
            serde_json::json!([{"name": "a", "label": "x", "kind": "email"}, {"name": "a", "label": "y", "kind": "text"}]),
            Err(DefinitionError::DuplicateFieldName("a".into())),
        );
        check(
            serde_json::json!([{"name": "a", "label": "x", "kind": "select", "options": []}]),
            Err(DefinitionError::NoOptions("a".into())),
        );
        check(
            serde_json::json!([{"name": "a", "label": "x", "kind": "multi_line", "max_length": 100000}]),
            Err(DefinitionError::LimitTooLarge("a".into())),
        );
        let many: Vec<_> = (0..41)
            .map(|i| serde_json::json!({"name": format!("f{i}"), "label": "x", "kind": "text"}))
            .collect();
        check(serde_json::Value::Array(many), Err(DefinitionError::TooManyFields));
    }
}
