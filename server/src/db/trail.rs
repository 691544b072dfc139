//! An item's trail as stored: the head and length kept in `tasks`, and its events in the
//! change feed (`changes` rows of kind `event`), each with its place and trail hash.

use duban_core::domain::{Event, TaskId};

use super::codec::{from_json, parse_uuid};
use super::{placeholders, Conn, DbError, Val};
use crate::args;

/// Where an item's trail ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailHead {
    /// How many events it has.
    pub version: i64,
    /// The last event's hash (hex).
    pub head: String,
}

/// Whether the item exists.
pub async fn exists<'a>(on: impl Into<Conn<'a>>, task: &str) -> Result<bool, DbError> {
    Ok(on
        .into()
        .row("SELECT 1 AS one FROM tasks WHERE id = $1", args![task])
        .await?
        .is_some())
}

/// Where the item's trail ends, if the item exists.
pub async fn head<'a>(on: impl Into<Conn<'a>>, task: TaskId) -> Result<Option<TrailHead>, DbError> {
    on.into()
        .row(
            "SELECT version, head FROM tasks WHERE id = $1",
            args![task.to_string()],
        )
        .await?
        .map(|r| {
            Ok(TrailHead {
                version: r.get_int("version")?,
                head: r.get_text("head")?,
            })
        })
        .transpose()
}

/// One stored event of a trail.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    /// Its place in the trail.
    pub task_seq: Option<i64>,
    /// Its trail hash (hex).
    pub hash: Option<String>,
    /// The event.
    pub event: Event,
}

/// The item's events, in feed order.
pub async fn events<'a>(
    on: impl Into<Conn<'a>>,
    task: TaskId,
) -> Result<Vec<StoredEvent>, DbError> {
    on.into()
        .rows(
            "SELECT task_seq, hash, body FROM changes WHERE task = $1 AND kind = 'event' \
             ORDER BY seq",
            args![task.to_string()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(StoredEvent {
                task_seq: r.get_opt_int("task_seq")?,
                hash: r.get_opt_text("hash")?,
                event: from_json(&r.get_text("body")?)?,
            })
        })
        .collect()
}

/// The events at these places (item and place in its trail), in no particular order; one
/// that is not stored is left out. For a handful of places per call: the query names every
/// item and every place.
pub async fn events_at<'a>(
    on: impl Into<Conn<'a>>,
    places: &[(TaskId, u64)],
) -> Result<Vec<(TaskId, u64, Event)>, DbError> {
    if places.is_empty() {
        return Ok(Vec::new());
    }
    let seq = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
    let seqs: std::collections::BTreeSet<i64> = places.iter().map(|(_, s)| seq(*s)).collect();
    let pairs: std::collections::BTreeSet<(String, i64)> = places
        .iter()
        .map(|(t, s)| (t.to_string(), seq(*s)))
        .collect();
    let sql = format!(
        "SELECT task, task_seq, body FROM changes WHERE kind = 'event' AND task IN ({}) \
         AND task_seq IN ({})",
        placeholders(1, places.len()),
        placeholders(places.len() + 1, seqs.len())
    );
    let mut params: Vec<Val> = places
        .iter()
        .map(|(t, _)| Val::from(t.to_string()))
        .collect();
    params.extend(seqs.iter().map(|s| Val::from(*s)));
    let mut out = Vec::new();
    for r in on.into().rows(&sql, params).await? {
        let task = r.get_text("task")?;
        let task_seq = r.get_opt_int("task_seq")?.unwrap_or_default();
        if !pairs.contains(&(task.clone(), task_seq)) {
            continue;
        }
        let event: Event = from_json(&r.get_text("body")?)?;
        out.push((
            TaskId(parse_uuid(&task)?),
            u64::try_from(task_seq).unwrap_or_default(),
            event,
        ));
    }
    Ok(out)
}
