//! How values are encoded in the tables: JSON for structured values, a unit enum by its
//! serde name (`urgent`, `fcm`, …), times as milliseconds since the epoch, ids as UUID text.
//! Decoding failures are [`DbError::Corrupt`]: stored data this server did not write.

use super::DbError;

/// An id stored as UUID text.
pub fn parse_uuid(s: &str) -> Result<uuid::Uuid, DbError> {
    uuid::Uuid::parse_str(s).map_err(|e| DbError::Corrupt(format!("uuid {s:?}: {e}")))
}

/// Decodes JSON stored by this server.
pub fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(format!("json: {e}")))
}

/// A unit enum stored by its serde name (`dispatched`, `fcm`, `urgent`, …).
pub fn from_code<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| DbError::Corrupt(format!("code {s:?}: {e}")))
}

/// The serde name a unit enum is stored by (the inverse of [`from_code`]; empty for a value
/// that does not serialise to a string).
pub fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
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
