//! The administrative trail as stored (`admin_trail`, migration 0009): one row per change,
//! numbered by the `admin_trail` counter, whose row update also serialises the writers.

use super::{Conn, DbError, Tx};
use crate::args;

/// One stored row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminRow {
    /// Its place, from 1.
    pub seq: i64,
    /// When (ms since the epoch).
    pub at: i64,
    /// Who: a person's id, or `init` for `duban init`.
    pub actor: String,
    /// What kind of change, e.g. `unit.create`.
    pub kind: String,
    /// What it changed: a unit's or person's id, a category's code, `policy`, a year.
    pub subject: String,
    /// The state before (JSON), none for a creation.
    pub before: Option<String>,
    /// The state after (JSON), none for a removal.
    pub after: Option<String>,
    /// The previous row's hash (hex; 64 zeros for the first).
    pub prev: String,
    /// This row's hash (hex).
    pub hash: String,
}

/// Takes the next place in the trail, holding the counter's row until the transaction ends,
/// and returns it with the hash of the row before it.
pub async fn next(tx: &mut Tx) -> Result<(i64, Option<String>), DbError> {
    tx.exec(
        "UPDATE counters SET value = value + 1 WHERE name = 'admin_trail'",
        vec![],
    )
    .await?;
    let seq = tx
        .row(
            "SELECT value FROM counters WHERE name = 'admin_trail'",
            vec![],
        )
        .await?
        .ok_or_else(|| DbError::Corrupt("the admin_trail counter is missing".into()))?
        .get_int("value")?;
    let prev = tx
        .row(
            "SELECT hash FROM admin_trail WHERE seq = $1",
            args![seq - 1],
        )
        .await?
        .map(|r| r.get_text("hash"))
        .transpose()?;
    Ok((seq, prev))
}

/// Writes a row.
pub async fn insert(tx: &mut Tx, row: &AdminRow) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO admin_trail (seq, at, actor, kind, subject, before_json, after_json, prev, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            row.seq,
            row.at,
            row.actor.as_str(),
            row.kind.as_str(),
            row.subject.as_str(),
            row.before.clone(),
            row.after.clone(),
            row.prev.as_str(),
            row.hash.as_str()
        ],
    )
    .await?;
    Ok(())
}

/// The rows from `from` on (by place), at most `limit`.
pub async fn rows<'a>(
    on: impl Into<Conn<'a>>,
    from: i64,
    limit: i64,
) -> Result<Vec<AdminRow>, DbError> {
    on.into()
        .rows(
            "SELECT seq, at, actor, kind, subject, before_json, after_json, prev, hash \
             FROM admin_trail WHERE seq >= $1 ORDER BY seq LIMIT $2",
            args![from, limit],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(AdminRow {
                seq: r.get_int("seq")?,
                at: r.get_int("at")?,
                actor: r.get_text("actor")?,
                kind: r.get_text("kind")?,
                subject: r.get_text("subject")?,
                before: r.get_opt_text("before_json")?,
                after: r.get_opt_text("after_json")?,
                prev: r.get_text("prev")?,
                hash: r.get_text("hash")?,
            })
        })
        .collect()
}

/// How many rows the counter says were written.
pub async fn count<'a>(on: impl Into<Conn<'a>>) -> Result<i64, DbError> {
    on.into()
        .row(
            "SELECT value FROM counters WHERE name = 'admin_trail'",
            vec![],
        )
        .await?
        .map(|r| r.get_int("value"))
        .transpose()
        .map(|v| v.unwrap_or(0))
}
