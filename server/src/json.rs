//! JSON request bodies read strictly. `serde_json` keeps the last of two equal keys in an
//! object without a word, so `{"title": "a", "title": "b"}` would mean one thing to a proxy or
//! a log reader that keeps the first and another to the server: a body with a duplicate key,
//! at any depth, is refused (`request.duplicate_key`), and so is one nested deeper than
//! [`MAX_DEPTH`] arrays and objects (`request.too_deep`), checked while the text is walked,
//! before anything is built from it. [`crate::error::Json`] checks every body the API reads.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// The deepest nesting of arrays and objects a request body may have (`serde_json` stops at
/// 128 on its own; no request of the API comes near either).
pub const MAX_DEPTH: usize = 64;

const DUPLICATE: &str = "duplicate key";
const TOO_DEEP: &str = "nested too deeply";

/// Refuses JSON text with a duplicate key in one object, or nested deeper than
/// [`MAX_DEPTH`]. Text that is not JSON is left to the parser that follows (which names the
/// problem in its own words).
pub fn check(text: &[u8]) -> Result<(), JsonError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    match (Walk { depth: 0 }).deserialize(&mut de) {
        Ok(()) => Ok(()),
        Err(e) if e.is_data() && e.to_string().starts_with(DUPLICATE) => {
            Err(JsonError::DuplicateKey)
        }
        Err(e) if e.is_data() && e.to_string().starts_with(TOO_DEEP) => Err(JsonError::TooDeep),
        Err(_) => Ok(()),
    }
}

/// Why a body was refused before it was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// An object holds one key twice (`request.duplicate_key`).
    #[error("a key appears twice in one object of the request body")]
    DuplicateKey,
    /// Arrays and objects nest deeper than [`MAX_DEPTH`] (`request.too_deep`).
    #[error("the request body is nested too deeply (at most {MAX_DEPTH} levels)")]
    TooDeep,
}

impl JsonError {
    /// The stable code the API answers with.
    pub fn code(self) -> &'static str {
        match self {
            JsonError::DuplicateKey => "request.duplicate_key",
            JsonError::TooDeep => "request.too_deep",
        }
    }
}

/// Walks a value, building nothing but each object's set of keys.
struct Walk {
    depth: usize,
}

impl Walk {
    fn inner<E: de::Error>(&self) -> Result<Walk, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(TOO_DEEP));
        }
        Ok(Walk {
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.inner()?;
        while seq
            .next_element_seed(Walk { depth: inner.depth })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.inner()?;
        let mut seen: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key_seed(Key)? {
            if !seen.insert(key) {
                return Err(de::Error::custom(DUPLICATE));
            }
            map.next_value_seed(Walk { depth: inner.depth })?;
        }
        Ok(())
    }
}

/// An object's key, borrowed from the text when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<String> {
        check(text.as_bytes()).err().map(|e| e.code().to_owned())
    }

    #[test]
    fn duplicates_at_any_depth_and_deep_nesting_are_refused() {
        assert_eq!(code(r#"{"a": 1, "b": [{"c": 2, "d": {"e": 3}}]}"#), None);
        assert_eq!(
            code(r#"{"a": 1, "a": 2}"#).as_deref(),
            Some("request.duplicate_key")
        );
        assert_eq!(
            code(r#"{"a": [{"b": {"c": 1, "c": 1}}]}"#).as_deref(),
            Some("request.duplicate_key")
        );
        // The same key spelled with an escape is the same key.
        assert_eq!(
            code(r#"{"a": 1, "\u0061": 2}"#).as_deref(),
            Some("request.duplicate_key")
        );
        // Equal keys in different objects are fine.
        assert_eq!(code(r#"[{"a": 1}, {"a": 2}]"#), None);
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(code(&deep(MAX_DEPTH)), None);
        assert_eq!(
            code(&deep(MAX_DEPTH + 1)).as_deref(),
            Some("request.too_deep")
        );
        assert_eq!(code(&deep(100_000)).as_deref(), Some("request.too_deep"));
        // Not JSON: for the parser to name.
        assert_eq!(code("{\"a\": "), None);
    }
}
