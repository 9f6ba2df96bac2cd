//! Writes the widget's outgoing values (a submission, the outbox) as JSON text, through their serde
//! derives, so the wire shape is still defined once, in `shared`.
//!
//! serde_json's serialiser writes through `std::io::Write` and knows how to print floats; both bring
//! code into the wasm that the widget never runs. The types written here hold only strings, booleans,
//! `null`, sequences, maps and structs, so that is all this writer takes: a number is an error.

use serde::ser::{self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct};
use std::fmt;

/// `value` as JSON text, or `None` if it holds something this writer does not take.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut out = String::new();
    value.serialize(Writer { out: &mut out }).ok()?;
    Some(out)
}

/// The value holds something outside this writer's subset.
#[derive(Debug)]
pub struct Unwritable;

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value cannot be written as JSON here")
    }
}

impl std::error::Error for Unwritable {}

impl ser::Error for Unwritable {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unwritable
    }
}

/// `Serializer` methods for values outside the subset: each refuses.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), Unwritable> {
            Err(Unwritable)
        })*
    };
}

/// `Serializer` methods for the compound shapes no widget type has (tuples, struct variants).
macro_rules! refuse_compound {
    () => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unwritable> {
            Err(Unwritable)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Unwritable> {
            Err(Unwritable)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Unwritable> {
            Err(Unwritable)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Unwritable> {
            Err(Unwritable)
        }
    };
}

struct Writer<'a> {
    out: &'a mut String,
}

/// A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259 section 7).
fn write_str(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let code = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[code >> 4]));
                out.push(char::from(HEX[code & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes the members of an array or an object, a comma before each but the first.
struct Members<'a> {
    out: &'a mut String,
    first: bool,
}

impl Members<'_> {
    fn separate(&mut self) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        value.serialize(Writer { out: self.out })
    }
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Members<'a>;
    type SerializeTuple = Impossible<(), Unwritable>;
    type SerializeTupleStruct = Impossible<(), Unwritable>;
    type SerializeTupleVariant = Impossible<(), Unwritable>;
    type SerializeMap = Members<'a>;
    type SerializeStruct = Members<'a>;
    type SerializeStructVariant = Impossible<(), Unwritable>;

    fn serialize_bool(self, flag: bool) -> Result<(), Unwritable> {
        self.out.push_str(if flag { "true" } else { "false" });
        Ok(())
    }

    fn serialize_str(self, text: &str) -> Result<(), Unwritable> {
        write_str(self.out, text);
        Ok(())
    }

    fn serialize_unit(self) -> Result<(), Unwritable> {
        self.out.push_str("null");
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Unwritable> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unwritable> {
        value.serialize(self)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unwritable> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unwritable> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        value.serialize(self)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Members<'a>, Unwritable> {
        self.out.push('[');
        Ok(Members { out: self.out, first: true })
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Members<'a>, Unwritable> {
        self.out.push('{');
        Ok(Members { out: self.out, first: true })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Members<'a>, Unwritable> {
        self.serialize_map(None)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unwritable> {
        Err(Unwritable)
    }

    // Outside the subset: the widget's types have none of these.
    refuse! {
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64), serialize_u8(u8),
        serialize_u16(u16), serialize_u32(u32), serialize_u64(u64), serialize_f32(f32), serialize_f64(f64),
        serialize_char(char), serialize_bytes(&[u8]),
    }
    refuse_compound!();
}

impl SerializeSeq for Members<'_> {
    type Ok = ();
    type Error = Unwritable;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.separate();
        self.value(value)
    }

    fn end(self) -> Result<(), Unwritable> {
        self.out.push(']');
        Ok(())
    }
}

impl SerializeMap for Members<'_> {
    type Ok = ();
    type Error = Unwritable;

    /// Keys must be strings, as JSON's are.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unwritable> {
        self.separate();
        key.serialize(KeyWriter { out: self.out })?;
        self.out.push(':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritable> {
        self.value(value)
    }

    fn end(self) -> Result<(), Unwritable> {
        self.out.push('}');
        Ok(())
    }
}

impl SerializeStruct for Members<'_> {
    type Ok = ();
    type Error = Unwritable;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unwritable> {
        self.separate();
        write_str(self.out, key);
        self.out.push(':');
        self.value(value)
    }

    fn end(self) -> Result<(), Unwritable> {
        SerializeMap::end(self)
    }
}

/// A map key: a string, or nothing.
struct KeyWriter<'a> {
    out: &'a mut String,
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Impossible<(), Unwritable>;
    type SerializeTuple = Impossible<(), Unwritable>;
    type SerializeTupleStruct = Impossible<(), Unwritable>;
    type SerializeTupleVariant = Impossible<(), Unwritable>;
    type SerializeMap = Impossible<(), Unwritable>;
    type SerializeStruct = Impossible<(), Unwritable>;
    type SerializeStructVariant = Impossible<(), Unwritable>;

    fn serialize_str(self, text: &str) -> Result<(), Unwritable> {
        write_str(self.out, text);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Unwritable> {
        Err(Unwritable)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unwritable> {
        Err(Unwritable)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unwritable> {
        Err(Unwritable)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unwritable> {
        Err(Unwritable)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unwritable> {
        Err(Unwritable)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unwritable> {
        Err(Unwritable)
    }

    refuse! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64), serialize_f32(f32),
        serialize_f64(f64), serialize_char(char), serialize_bytes(&[u8]), serialize_none(),
        serialize_unit(), serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    }
    refuse_compound!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Pending;
    use inlet_shared::{LeadSubmission, PageContext, RawValue};
    use proptest::prelude::*;

    fn submission(text: &str) -> LeadSubmission {
        LeadSubmission {
            fields: [
                ("name".to_owned(), RawValue::from(text)),
                ("consent".to_owned(), RawValue::Bool(true)),
                ("x".to_owned(), RawValue::Null),
            ]
            .into(),
            context: PageContext {
                page_url: Some("https://roofer.example/?a=1&b=\"2\"".to_owned()),
                referrer: None,
                utm: [("utm_source".to_owned(), "news".to_owned())].into(),
            },
            token: Some("t.1".to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let value = submission("Ada \"the\" Countess\\\n\t\u{1}\u{7f}é😀");
        assert_eq!(to_string(&value), serde_json::to_string(&value).ok());
        let outbox = vec![
            Pending {
                key: "k1".to_owned(),
                submission: value.clone(),
                token_received: Some("1700000000000".to_owned()),
            },
            Pending { key: "k2".to_owned(), submission: value, token_received: None },
        ];
        assert_eq!(to_string(&outbox), serde_json::to_string(&outbox).ok());
        assert_eq!(to_string(&Vec::<Pending>::new()).as_deref(), Some("[]"));
    }

    #[test]
    fn refuses_numbers_rather_than_writing_them_wrong() {
        assert_eq!(to_string(&1.5f64), None);
        assert_eq!(to_string(&[1u8]), None);
        assert_eq!(
            to_string(&std::collections::BTreeMap::from([(true, "yes")])),
            None,
            "JSON keys are strings"
        );
    }

    proptest! {
        #[test]
        fn any_text_reads_back_as_itself(text in "\\PC*|[\\x00-\\x1f\"\\\\]*") {
            let value = submission(&text);
            let written = to_string(&value).expect("writes");
            prop_assert_eq!(serde_json::from_str::<LeadSubmission>(&written).ok(), Some(value));
        }
    }
}
