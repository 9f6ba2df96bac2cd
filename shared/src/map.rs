//! [`SmallMap`], the map a submission's few entries live in.

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// A map from names to values for the handful of entries a submission has (its fields, its UTM
/// parameters): a `Vec` kept sorted by name.
///
/// It iterates, compares and serialises exactly as a `BTreeMap` would (a JSON object, keys in
/// order), for a fraction of the code: `BTreeMap`'s node machinery was about 15 KB of the widget's
/// wasm. Lookups are binary searches; an insert shifts the entries after it, which is nothing at a
/// form's size (at most 100 fields).
///
/// Invariant: names are strictly increasing.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SmallMap<V> {
    entries: Vec<(String, V)>,
}

impl<V> SmallMap<V> {
    pub const fn new() -> SmallMap<V> {
        SmallMap { entries: Vec::new() }
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(key, _)| key.as_str().cmp(name))
    }

    /// Sets `name` to `value`, returning the value it replaced.
    pub fn insert(&mut self, name: String, value: V) -> Option<V> {
        match self.find(&name) {
            Ok(index) => Some(std::mem::replace(&mut self.entries[index].1, value)),
            Err(index) => {
                self.entries.insert(index, (name, value));
                None
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&V> {
        self.find(name).ok().map(|index| &self.entries[index].1)
    }

    /// The entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.entries.iter().map(|(name, value)| (name, value))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(name, _)| name)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, value)| value)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<V> Default for SmallMap<V> {
    fn default() -> Self {
        SmallMap::new()
    }
}

impl<V: fmt::Debug> fmt::Debug for SmallMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Later entries win, as they would in a `BTreeMap`.
impl<V> FromIterator<(String, V)> for SmallMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(entries: I) -> Self {
        let mut map = SmallMap::new();
        for (name, value) in entries {
            map.insert(name, value);
        }
        map
    }
}

impl<V, const N: usize> From<[(String, V); N]> for SmallMap<V> {
    fn from(entries: [(String, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<V> IntoIterator for SmallMap<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, V> IntoIterator for &'a SmallMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, V)>,
        fn(&'a (String, V)) -> (&'a String, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(name, value)| (name, value))
    }
}

impl<V: Serialize> Serialize for SmallMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SmallMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SmallMapVisitor(PhantomData))
    }
}

struct SmallMapVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for SmallMapVisitor<V> {
    type Value = SmallMap<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<SmallMap<V>, A::Error> {
        let mut map = SmallMap::new();
        while let Some((name, value)) = entries.next_entry::<String, V>()? {
            map.insert(name, value);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Any sequence of inserts leaves it equal, entry for entry and as JSON, to a BTreeMap given
        /// the same sequence.
        #[test]
        fn behaves_as_a_btreemap(inserts in vec(("[a-e]{0,2}", 0u8..10), 0..60)) {
            let mut small = SmallMap::new();
            let mut reference = BTreeMap::new();
            for (name, value) in inserts {
                prop_assert_eq!(small.insert(name.clone(), value), reference.insert(name, value));
            }
            prop_assert!(small.iter().eq(reference.iter()));
            prop_assert!(small.keys().eq(reference.keys()) && small.values().eq(reference.values()));
            prop_assert_eq!(small.is_empty(), reference.is_empty());
            for name in ["", "a", "b", "ab", "z"] {
                prop_assert_eq!(small.get(name), reference.get(name));
            }
            let json = serde_json::to_string(&small).expect("serialises");
            prop_assert_eq!(&json, &serde_json::to_string(&reference).expect("serialises"));
            prop_assert_eq!(serde_json::from_str::<SmallMap<u8>>(&json).expect("reads back"), small);
        }
    }

    #[test]
    fn reads_an_object_with_a_repeated_name_as_a_btreemap_would() {
        let map: SmallMap<u8> = serde_json::from_str(r#"{"b": 1, "a": 2, "b": 3}"#).expect("reads");
        assert_eq!(map.iter().collect::<Vec<_>>(), [(&"a".to_owned(), &2), (&"b".to_owned(), &3)]);
        assert!(serde_json::from_str::<SmallMap<u8>>("[1]").is_err());
        assert_eq!(format!("{map:?}"), r#"{"a": 2, "b": 3}"#);
    }
}
