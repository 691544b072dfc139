//! The outbox — commands issued on this device, in order, each with its UUID, a state, the
//! attempts made and when to try again — and the commands that need attention: refused by
//! the server, or depending on one that was, kept with their text and evidence so that the
//! person can resubmit them.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use uuid::Uuid;

use super::{from_millis, millis, Result, Store, StoreError};
use crate::domain::decide::parent_of;
use crate::domain::{decide, Command, Context, Rejection, TaskId, TaskState};

/// Where a command in the outbox stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// To be sent (again).
    Queued,
    /// The server applied it; its events have not reached the device through the feed yet.
    Accepted,
}

impl OutboxState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Accepted => "accepted",
        }
    }
}

/// A command in the outbox.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxEntry {
    /// Its place in the order.
    pub pos: i64,
    /// Its UUID (a retry sends the same).
    pub id: Uuid,
    /// The item.
    pub task: TaskId,
    /// The command.
    pub command: Command,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Its state.
    pub state: OutboxState,
    /// Attempts to send it so far.
    pub attempts: u32,
    /// Not to be sent again before this.
    pub next_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// A command that needs the person's attention.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AttentionEntry {
    /// The command's UUID.
    pub id: Uuid,
    /// The item.
    pub task: TaskId,
    /// The command, with its text and evidence.
    pub command: Command,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Why it did not apply: a stable code.
    pub code: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
    /// The refused command it depended on, if it was not refused itself.
    pub depends_on: Option<Uuid>,
    /// When it was set aside.
    pub at: DateTime<Utc>,
}

fn parse_uuid(s: &str) -> rusqlite::Result<Uuid> {
    s.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

const OUTBOX_COLUMNS: &str =
    "pos, id, task, command, issued_at, state, attempts, next_at, last_error";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        pos: r.get(0)?,
        id: parse_uuid(&r.get::<_, String>(1)?)?,
        task: TaskId(parse_uuid(&r.get::<_, String>(2)?)?),
        command: parse_json(&r.get::<_, String>(3)?)?,
        issued_at: from_millis(r.get(4)?),
        state: if r.get::<_, String>(5)? == "accepted" {
            OutboxState::Accepted
        } else {
            OutboxState::Queued
        },
        attempts: r.get::<_, i64>(6)? as u32,
        next_at: from_millis(r.get(7)?),
        last_error: r.get(8)?,
    })
}

/// The outbox's commands on one item, in order.
pub(crate) fn load_task_commands(conn: &Connection, task: TaskId) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE task = ?1 ORDER BY pos"
    ))?;
    let rows = stmt.query_map([task.to_string()], outbox_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Moves a command from the outbox to the attention list. Returns its outbox position, or
/// `None` if it was not in the outbox (already handled).
pub(crate) fn to_attention(
    tx: &Transaction<'_>,
    id: Uuid,
    reason: &Rejection,
    cause: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let row = tx
        .query_row(
            "DELETE FROM outbox WHERE id = ?1 RETURNING pos, task, command, issued_at",
            [id.to_string()],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((pos, task, command, issued_at)) = row else {
        return Ok(None);
    };
    tx.execute(
        "INSERT INTO attention (id, task, command, issued_at, code, zh, en, cause, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING",
        params![
            id.to_string(),
            task,
            command,
            issued_at,
            reason.code,
            reason.zh,
            reason.en,
            cause.map(|c| c.to_string()),
            millis(now)
        ],
    )?;
    Ok(Some(pos))
}

/// Decides a command on the item's view and queues it (see [`Store::issue`]).
fn queue(
    tx: &Transaction<'_>,
    org: Option<&super::Org>,
    task: TaskId,
    command: Command,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let org = org.ok_or(StoreError::NotSignedIn)?;
    let view = view_state(tx, task)?.unwrap_or_default();
    let parent = parent_view(tx, &view, &command)?;
    let ctx = Context {
        parent: parent.as_ref().map(|(id, s)| (*id, s)),
        ..org.context(now)
    };
    decide(&view, &command, &ctx).map_err(StoreError::Rejected)?;
    let id = Uuid::new_v4();
    tx.execute(
        "INSERT INTO outbox (id, task, command, issued_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            id.to_string(),
            task.to_string(),
            serde_json::to_string(&command)?,
            millis(now)
        ],
    )?;
    super::apply::rebuild(tx, org, task, None, now)?;
    Ok(id)
}

/// The parent item a command on `view` needs in the rules' context
/// ([`parent_of`], [`Context::parent`]), as this device holds it: its view, if it is here.
/// The device holds only what its person may read, as the server's rule asks.
pub(crate) fn parent_view(
    conn: &Connection,
    view: &TaskState,
    command: &Command,
) -> Result<Option<(TaskId, TaskState)>> {
    let Some(id) = parent_of(view, command) else {
        return Ok(None);
    };
    Ok(view_state(conn, id)?.map(|s| (id, s)))
}

/// An item's view (see [`Store::view_state`]).
pub(crate) fn view_state(conn: &Connection, task: TaskId) -> Result<Option<TaskState>> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT state, view FROM tasks WHERE id = ?1",
            [task.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        None => None,
        Some((state, view)) => Some(serde_json::from_str(view.as_deref().unwrap_or(&state))?),
    })
}

impl Store {
    /// The view of an item as the screens show it (authoritative state with the pending
    /// commands replayed), or a new item's empty state.
    pub fn view_state(&self, task: TaskId) -> Result<Option<TaskState>> {
        view_state(&self.conn, task)
    }

    /// Issues a command: the rules decide it on the device at once (a refusal is returned
    /// and nothing is queued); accepted, it joins the outbox and the item's view shows it.
    pub fn issue(&mut self, task: TaskId, command: Command, now: DateTime<Utc>) -> Result<Uuid> {
        self.settle()?;
        let tx = self.conn.transaction()?;
        let id = queue(&tx, self.org.as_ref(), task, command, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// Every command in the outbox, in order.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY pos"))?;
        let rows = stmt.query_map([], outbox_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The queued commands to send now, in order, at most `limit`. Order is kept: while the
    /// first is waiting out its backoff, nothing is due (unless `force`).
    pub fn due_commands(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        force: bool,
    ) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = 'queued' ORDER BY pos LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit as i64], outbox_row)?;
        let due: Vec<OutboxEntry> = rows.collect::<rusqlite::Result<_>>()?;
        if !force && due.first().is_some_and(|c| c.next_at > now) {
            return Ok(Vec::new());
        }
        Ok(due)
    }

    /// Records a failed attempt to send these commands: one more attempt each, and the
    /// time before which they wait (`backoff(attempts)` from now).
    pub fn push_failed(
        &mut self,
        ids: &[Uuid],
        error: &str,
        now: DateTime<Utc>,
        backoff: impl Fn(u32) -> chrono::Duration,
    ) -> Result<()> {
        self.commit_load()?;
        let tx = self.conn.transaction()?;
        for id in ids {
            let attempts: Option<i64> = tx
                .query_row(
                    "SELECT attempts FROM outbox WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(a) = attempts {
                let a = a as u32 + 1;
                tx.execute(
                    "UPDATE outbox SET attempts = ?2, next_at = ?3, last_error = ?4 WHERE id = ?1",
                    params![id.to_string(), a, millis(now + backoff(a)), error],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The commands needing attention, oldest first.
    pub fn attention(&self) -> Result<Vec<AttentionEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, task, command, issued_at, code, zh, en, cause, at FROM attention \
             ORDER BY issued_at, rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AttentionEntry {
                id: parse_uuid(&r.get::<_, String>(0)?)?,
                task: TaskId(parse_uuid(&r.get::<_, String>(1)?)?),
                command: parse_json(&r.get::<_, String>(2)?)?,
                issued_at: from_millis(r.get(3)?),
                code: r.get(4)?,
                zh: r.get(5)?,
                en: r.get(6)?,
                depends_on: r
                    .get::<_, Option<String>>(7)?
                    .map(|s| parse_uuid(&s))
                    .transpose()?,
                at: from_millis(r.get(8)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Issues a command needing attention again (as written, or as edited: `command`), as a
    /// new command with a new UUID; it leaves the list once the rules accept it.
    pub fn resubmit(
        &mut self,
        id: Uuid,
        command: Option<Command>,
        now: DateTime<Utc>,
    ) -> Result<Uuid> {
        self.commit_load()?;
        let entry = self
            .attention()?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(StoreError::NotFound)?;
        self.settle()?;
        let tx = self.conn.transaction()?;
        let new = queue(
            &tx,
            self.org.as_ref(),
            entry.task,
            command.unwrap_or(entry.command),
            now,
        )?;
        tx.execute("DELETE FROM attention WHERE id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(new)
    }

    /// Drops a command needing attention (the person gives it up).
    pub fn discard(&mut self, id: Uuid) -> Result<()> {
        self.settle()?;
        let n = self
            .conn
            .execute("DELETE FROM attention WHERE id = ?1", [id.to_string()])?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
