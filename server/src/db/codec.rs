//! How values are encoded in the tables: JSON for structured values, a simple enum by its
//! code (`urgent`, `fcm`, …), times as milliseconds since the epoch, ids as UUID text.
//! Decoding failures are [`DbError::Corrupt`]: stored data this server did not write.

use duban_core::domain::Code;

use super::DbError;

/// An id stored as UUID text.
pub fn parse_uuid(s: &str) -> Result<uuid::Uuid, DbError> {
    uuid::Uuid::parse_str(s).map_err(|e| DbError::Corrupt(format!("uuid {s:?}: {e}")))
}

/// Decodes JSON stored by this server.
pub fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(format!("json: {e}")))
}

/// A simple enum stored by its code (`dispatched`, `fcm`, `urgent`, …: [`Code::code`]).
pub fn from_code<T: Code>(s: &str) -> Result<T, DbError> {
    T::from_code(s).ok_or_else(|| DbError::Corrupt(format!("unknown code {s:?}")))
}

/// A time stored as milliseconds since the epoch.
pub fn time_of(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Encodes for storage.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Every stored type serialises: no maps with non-string keys, no failing Serialize impls.
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}
