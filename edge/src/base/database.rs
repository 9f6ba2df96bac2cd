//! D1 helpers for the store modules: the store's error, and the conversions between D1's values and
//! the edge's types. D1 hands numbers over as JavaScript numbers; rows read them as integers or
//! [`Timestamp`]s (serde-wasm-bindgen refuses a number that is not a whole one), and writes go
//! through [`number`] and [`timestamp`], so no module above a store sees a float.
//!
//! The SQL itself lives only in the capabilities' `store` modules.

use crate::base::clock::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

#[derive(Debug)]
pub enum StoreError {
    Database(worker::Error),
    /// A row that does not parse: a bug or a hand edit, never the visitor's fault.
    Corrupt(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Database(error) => write!(f, "d1: {error}"),
            StoreError::Corrupt(what) => write!(f, "corrupt row: {what}"),
        }
    }
}

impl From<worker::Error> for StoreError {
    fn from(error: worker::Error) -> Self {
        StoreError::Database(error)
    }
}

/// A second handle on the same database, for work that outlives the request's borrow of it (a
/// streamed answer). Both name one binding; nothing is copied.
pub fn share(db: &worker::D1Database) -> worker::D1Database {
    use wasm_bindgen::JsCast;
    db.as_ref().clone().unchecked_into()
}

/// A text column, `NULL` for `None`.
pub fn text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// An integer column. Every integer the edge stores is far below 2^53, so it is exact as a number.
pub fn number(value: u64) -> JsValue {
    JsValue::from_f64(value as f64)
}

pub fn optional_number(value: Option<u64>) -> JsValue {
    value.map_or(JsValue::NULL, number)
}

/// A time column: epoch milliseconds.
pub fn timestamp(value: Timestamp) -> JsValue {
    number(value.as_ms())
}

pub fn optional_timestamp(value: Option<Timestamp>) -> JsValue {
    value.map_or(JsValue::NULL, timestamp)
}

/// A boolean column: 1 or 0.
pub fn flag(value: bool) -> JsValue {
    number(u64::from(value))
}

/// Whether a write changed a row.
pub fn changed(result: &worker::D1Result) -> bool {
    result.meta().ok().flatten().and_then(|meta| meta.changes).unwrap_or(0) > 0
}

/// Reads a JSON text column; `what` names it in the error.
pub fn from_json<T: DeserializeOwned>(column: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(column).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Writes a JSON text column; `what` names it in the error.
pub fn to_json<T: Serialize + ?Sized>(value: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
