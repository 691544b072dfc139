//! The items' tables: `tasks` (each item's state, trail head and the columns queries sort
//! and filter by), its numbers (`numbers`), who may see it (`task_audience`), whom it names
//! (`task_people`, `task_units`), its confidential fields (`task_secrets`) and the files it
//! cites (`blob_refs`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use duban_core::domain::trail::Hash;
use duban_core::domain::{TaskId, TaskState};

use super::{Backend, Batch, Db, DbError, Tx, Val};
use crate::args;

/// Decodes stored JSON.
pub(super) fn json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(format!("json: {e}")))
}

// Writing

/// An item as stored: its state and the head of its trail.
#[derive(Clone, Debug)]
pub struct StoredTask {
    /// The state (the fold of its events).
    pub state: TaskState,
    /// The trail's last hash.
    pub head: Hash,
}

/// An item from its stored state and trail head (`None` if it does not exist yet).
pub(super) fn stored(
    state: Option<String>,
    head: Option<String>,
) -> Result<Option<StoredTask>, DbError> {
    let (Some(state), Some(head)) = (state, head) else {
        return Ok(None);
    };
    let state: TaskState = json(&state)?;
    let head = Hash::from_hex(&head)
        .ok_or_else(|| DbError::Corrupt("stored trail head is not hex".into()))?;
    Ok(Some(StoredTask { state, head }))
}

/// The item, locked for the rest of the transaction on PostgreSQL (SQLite's one writer
/// holds every row already).
pub async fn lock(tx: &mut Tx, task: TaskId) -> Result<Option<StoredTask>, DbError> {
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT state, head FROM tasks WHERE id = $1",
        Backend::Postgres => "SELECT state, head FROM tasks WHERE id = $1 FOR UPDATE",
    };
    let Some(row) = tx.row(sql, args![task.to_string()]).await? else {
        return Ok(None);
    };
    stored(Some(row.get_text("state")?), Some(row.get_text("head")?))
}

/// The item's state, not locked.
pub async fn state(tx: &mut Tx, task: TaskId) -> Result<Option<TaskState>, DbError> {
    tx.row(
        "SELECT state FROM tasks WHERE id = $1",
        args![task.to_string()],
    )
    .await?
    .map(|r| json(&r.get_text("state")?))
    .transpose()
}

/// The last number given for the prefix and year (0 for none), the row created if needed
/// and, on PostgreSQL, locked until the transaction ends (an upsert's update takes the row
/// lock), so that two commands never give the same number.
pub async fn reserve_number(tx: &mut Tx, prefix: &str, year: i32) -> Result<i64, DbError> {
    Ok(tx
        .row(
            "INSERT INTO numbers (category, year, last) VALUES ($1, $2, 0) \
             ON CONFLICT (category, year) DO UPDATE SET last = numbers.last RETURNING last",
            args![prefix, i64::from(year)],
        )
        .await?
        .map(|r| r.get_int("last"))
        .transpose()?
        .unwrap_or(0))
}

/// Queues the move of the prefix and year's last number up to `seq`.
pub fn queue_number(batch: &mut Batch, prefix: &str, year: i32, seq: u32) {
    batch.push(
        "UPDATE numbers SET last = $1 WHERE category = $2 AND year = $3 AND last < $1",
        args![i64::from(seq), prefix, i64::from(year)],
    );
}

/// Queues the replacement of who may see the item: the `view` and `secret` tiers' keys.
pub fn queue_audience(
    batch: &mut Batch,
    task: &str,
    view: &BTreeSet<String>,
    secret: &BTreeSet<String>,
) {
    batch.push("DELETE FROM task_audience WHERE task = $1", args![task]);
    insert_keys(batch, task, "view", view);
    insert_keys(batch, task, "secret", secret);
}

fn insert_keys(batch: &mut Batch, task: &str, tier: &str, keys: &BTreeSet<String>) {
    if keys.is_empty() {
        return;
    }
    let mut sql = String::from("INSERT INTO task_audience (task, tier, key) VALUES ");
    let mut vals: Vec<Val> = Vec::with_capacity(keys.len() * 3);
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3));
        vals.push(Val::from(task));
        vals.push(Val::from(tier));
        vals.push(Val::from(k.as_str()));
    }
    batch.push(&sql, vals);
}

/// Queues the record that the item cites the file (`hash` in lower case).
pub fn queue_blob_ref(batch: &mut Batch, hash: &str, task: &str) {
    batch.push(
        "INSERT INTO blob_refs (hash, task) VALUES ($1, $2) ON CONFLICT (hash, task) DO NOTHING",
        args![hash, task],
    );
}

/// Queues the item's confidential fields (JSON), replacing any.
pub fn queue_secrets(batch: &mut Batch, task: &str, fields: &str) {
    batch.push(
        "INSERT INTO task_secrets (task, fields) VALUES ($1, $2) ON CONFLICT (task) DO UPDATE SET fields = excluded.fields",
        args![task, fields],
    );
}

/// An item's row in `tasks`: its state and the columns the queries use.
#[derive(Debug)]
pub struct TaskRow<'a> {
    /// The item.
    pub id: &'a str,
    /// Events in its trail.
    pub version: i64,
    /// The trail's last hash (hex).
    pub head: String,
    /// The state (JSON).
    pub state: String,
    /// The status's code.
    pub status: String,
    /// The category.
    pub category: &'a str,
    /// The urgency's code.
    pub urgency: String,
    /// The visibility's code.
    pub visibility: String,
    /// The number as shown (empty before one is given).
    pub number: String,
    /// The title.
    pub title: &'a str,
    /// The lead unit.
    pub lead_unit: Option<String>,
    /// The item it was decomposed from.
    pub parent: Option<String>,
    /// Who registered it.
    pub creator: Option<String>,
    /// The deadline in force (Unix milliseconds).
    pub deadline: Option<i64>,
    /// When it was registered (Unix milliseconds; kept on update).
    pub created_at: i64,
    /// When it last changed (Unix milliseconds).
    pub updated_at: i64,
    /// When the scheduler is to look at it next (see [`wake_millis`]).
    pub wake_at: Option<i64>,
}

/// Queues the item's row, inserted or updated.
pub fn queue_task(batch: &mut Batch, r: TaskRow<'_>) {
    batch.push(
        "INSERT INTO tasks (id, version, head, state, status, category, urgency, visibility, number, title, \
         lead_unit, parent, creator, deadline, created_at, updated_at, wake_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, head = excluded.head, state = excluded.state, \
         status = excluded.status, category = excluded.category, urgency = excluded.urgency, \
         visibility = excluded.visibility, number = excluded.number, title = excluded.title, \
         lead_unit = excluded.lead_unit, parent = excluded.parent, creator = excluded.creator, \
         deadline = excluded.deadline, updated_at = excluded.updated_at, wake_at = excluded.wake_at",
        args![
            r.id,
            r.version,
            r.head,
            r.state,
            r.status,
            r.category,
            r.urgency,
            r.visibility,
            r.number,
            r.title,
            r.lead_unit,
            r.parent,
            r.creator,
            r.deadline,
            r.created_at,
            r.updated_at,
            r.wake_at
        ],
    );
}

/// Queues the replacement of the people the item names: `(relation, user)` rows.
pub fn queue_people(batch: &mut Batch, task: &str, rows: &BTreeSet<(&'static str, String)>) {
    batch.push("DELETE FROM task_people WHERE task = $1", args![task]);
    insert_rows(batch, "task_people (task, relation, user_id)", task, rows);
}

/// Queues the replacement of the units the item names: `(relation, unit)` rows.
pub fn queue_units(batch: &mut Batch, task: &str, rows: &BTreeSet<(&'static str, String)>) {
    batch.push("DELETE FROM task_units WHERE task = $1", args![task]);
    insert_rows(batch, "task_units (task, relation, unit)", task, rows);
}

/// Inserts `(task, a, b)` rows in one statement, skipping any already there.
fn insert_rows(
    batch: &mut Batch,
    table: &str,
    task: &str,
    rows: &BTreeSet<(&'static str, String)>,
) {
    if rows.is_empty() {
        return;
    }
    let mut sql = format!("INSERT INTO {table} VALUES ");
    let mut vals: Vec<Val> = Vec::with_capacity(rows.len() * 3);
    for (i, (a, b)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3));
        vals.push(Val::from(task));
        vals.push(Val::from(*a));
        vals.push(Val::from(b.as_str()));
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    batch.push(&sql, vals);
}

/// A wake time as stored: milliseconds since the epoch, rounded up, so that a tick at the
/// stored time is never a hair before the instant the rules name.
pub fn wake_millis(t: DateTime<Utc>) -> i64 {
    let ms = t.timestamp_millis();
    if t.timestamp_subsec_nanos() % 1_000_000 == 0 {
        ms
    } else {
        ms + 1
    }
}

/// An item whose wake time has come.
#[derive(Debug)]
pub struct Due {
    /// The item's id as stored.
    pub id: String,
    /// Its state.
    pub state: TaskState,
}

/// The items whose wake time is at or before `now` (Unix milliseconds), in wake order, at
/// most `limit`.
pub async fn due(db: &Db, now: i64, limit: usize) -> Result<Vec<Due>, DbError> {
    let rows = db
        .rows(
            "SELECT id, state FROM tasks WHERE wake_at IS NOT NULL AND wake_at <= $1 \
             ORDER BY wake_at LIMIT $2",
            args![now, limit as i64],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Due {
                id: r.get_text("id")?,
                state: json(&r.get_text("state")?)?,
            })
        })
        .collect()
}

/// The item's state now, outside any transaction.
pub async fn current_state(db: &Db, id: &str) -> Result<Option<TaskState>, DbError> {
    db.row("SELECT state FROM tasks WHERE id = $1", args![id])
        .await?
        .map(|r| json(&r.get_text("state")?))
        .transpose()
}

/// Sets the item's wake time, unless it changed since `version`.
pub async fn set_wake(db: &Db, id: &str, version: u64, wake: Option<i64>) -> Result<(), DbError> {
    db.exec(
        "UPDATE tasks SET wake_at = $1 WHERE id = $2 AND version = $3",
        args![wake, id, version as i64],
    )
    .await?;
    Ok(())
}
