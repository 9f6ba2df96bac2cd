//! Reads a value the browser already parsed (`JSON.parse`, or the loader's options object) into Rust
//! types through serde.
//!
//! A general-purpose reader such as serde-wasm-bindgen formats a message for every error, and that
//! formatting drags Rust's float printing into the wasm (serde's `Unexpected::Float`). The widget only
//! ever needs to know *that* a value did not fit, never why, so this reader's error carries nothing and
//! every error constructor is overridden to format nothing.

use js_sys::{Array, Object};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};

/// `value` as a `T`, or `None` if it does not fit.
pub fn from_value<T: DeserializeOwned>(value: JsValue) -> Option<T> {
    T::deserialize(Reader(value)).ok()
}

/// The value did not fit the type. Deliberately without a message (see the module comment).
#[derive(Debug)]
pub struct Unfit;

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value does not fit the type")
    }
}

impl std::error::Error for Unfit {}

impl de::Error for Unfit {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unfit
    }
    fn invalid_type(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Unfit
    }
    fn invalid_value(_: de::Unexpected<'_>, _: &dyn de::Expected) -> Self {
        Unfit
    }
    fn invalid_length(_: usize, _: &dyn de::Expected) -> Self {
        Unfit
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Unfit
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Unfit
    }
    fn missing_field(_: &'static str) -> Self {
        Unfit
    }
    fn duplicate_field(_: &'static str) -> Self {
        Unfit
    }
}

/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

struct Reader(JsValue);

impl<'de> de::Deserializer<'de> for Reader {
    type Error = Unfit;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        let value = self.0;
        if value.is_null() || value.is_undefined() {
            visitor.visit_unit()
        } else if let Some(flag) = value.as_bool() {
            visitor.visit_bool(flag)
        } else if let Some(number) = value.as_f64() {
            // Whole numbers are offered as integers, so integer fields accept them.
            match number {
                n if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) => {
                    visitor.visit_u64(n as u64)
                }
                n if n.fract() == 0.0 && (-MAX_SAFE_INTEGER..0.0).contains(&n) => {
                    visitor.visit_i64(n as i64)
                }
                n => visitor.visit_f64(n),
            }
        } else if let Some(text) = value.as_string() {
            visitor.visit_string(text)
        } else if Array::is_array(&value) {
            visitor.visit_seq(Items { items: value.unchecked_into(), next: 0 })
        } else if value.is_object() {
            visitor.visit_map(Entries {
                entries: Object::entries(value.unchecked_ref()),
                next: 0,
                value: None,
            })
        } else {
            Err(Unfit)
        }
    }

    // When the type says what it wants, offer only that. Forwarding to `deserialize_any` would make
    // every visitor's other methods reachable, and serde's derives write a full sequence reader for
    // each struct: in the wasm, that code is most of what reading costs.

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unfit> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        let value = self.0;
        if value.is_object() && !Array::is_array(&value) {
            visitor.visit_map(Entries {
                entries: Object::entries(value.unchecked_ref()),
                next: 0,
                value: None,
            })
        } else {
            Err(Unfit)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        if Array::is_array(&self.0) {
            visitor.visit_seq(Items { items: self.0.unchecked_into(), next: 0 })
        } else {
            Err(Unfit)
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_string(self.0.as_string().ok_or(Unfit)?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        self.deserialize_string(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        visitor.visit_bool(self.0.as_bool().ok_or(Unfit)?)
    }

    /// Whole numbers in `0..=MAX_SAFE_INTEGER`, which is every number the widget reads.
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        match self.0.as_f64() {
            Some(n) if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) => {
                visitor.visit_u64(n as u64)
            }
            _ => Err(Unfit),
        }
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unfit> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// Enums arrive as strings (unit variants), which is all the widget's types use.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unfit> {
        let name = self.0.as_string().ok_or(Unfit)?;
        visitor.visit_enum(IntoDeserializer::<Unfit>::into_deserializer(name))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unfit> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u128 f32 f64 char bytes byte_buf unit unit_struct tuple tuple_struct ignored_any
    }
}

struct Items {
    items: Array,
    next: u32,
}

impl<'de> SeqAccess<'de> for Items {
    type Error = Unfit;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Unfit> {
        if self.next >= self.items.length() {
            return Ok(None);
        }
        let item = self.items.get(self.next);
        self.next += 1;
        seed.deserialize(Reader(item)).map(Some)
    }
}

/// An object's own enumerable properties, as `Object.entries` lists them: `[key, value]` pairs.
struct Entries {
    entries: Array,
    next: u32,
    value: Option<JsValue>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Unfit;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Unfit> {
        if self.next >= self.entries.length() {
            return Ok(None);
        }
        let pair: Array = self.entries.get(self.next).unchecked_into();
        self.next += 1;
        self.value = Some(pair.get(1));
        seed.deserialize(Reader(pair.get(0))).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Unfit> {
        seed.deserialize(Reader(self.value.take().ok_or(Unfit)?))
    }
}
