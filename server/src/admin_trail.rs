//! The administrative trail: every change an administrator makes — units, accounts,
//! categories, the policy, the calendar — and `duban init`'s first ones, with who, when, and
//! the state before and after. Each row carries the hash of the one before it and its own,
//! like an item's trail (`duban_core::domain::trail`), so that an edited, deleted or
//! reordered row breaks the chain and [`verify`] says where.
//!
//! The hash is blake3 over the row's fields, each length-prefixed (so that no two rows
//! encode alike): place, time, actor, kind, subject, before and after (as stored, JSON or
//! absent), and the previous hash. A change is recorded in the same transaction as the
//! change itself ([`record`]): both happen or neither.

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::db::admin_trail::{self as rows, AdminRow};
use crate::db::{Db, DbError, Tx};

/// The previous hash of the first row.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The actor written for `duban init`.
pub const INIT: &str = "init";

/// Why a trail did not verify, or could not be read.
#[derive(Debug, Error)]
pub enum AdminTrailError {
    /// A row's hash, or its link to the one before, does not match.
    #[error("the administrative trail is broken at row {seq}")]
    Broken {
        /// The first row that does not verify.
        seq: i64,
    },
    /// Rows are missing (the counter says more were written, or a place is skipped).
    #[error("the administrative trail has lost rows: {expected} expected, {found} found")]
    Missing {
        /// How many the counter says were written.
        expected: i64,
        /// How many were read.
        found: i64,
    },
    /// A state could not be written as JSON.
    #[error("a state could not be written: {0}")]
    Json(#[from] serde_json::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AdminTrailError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AdminTrailError::Broken { .. } => "admin_trail.broken",
            AdminTrailError::Missing { .. } => "admin_trail.missing",
            AdminTrailError::Json(_) | AdminTrailError::Db(_) => "internal",
        }
    }
}

/// One administrative change, as the code that makes it describes it.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    /// Who: a person's id, or [`INIT`].
    pub actor: &'a str,
    /// What kind, e.g. `unit.create`, `account.reset_password`, `policy.update`.
    pub kind: &'a str,
    /// What it changed (a unit's or person's id, a category's code, `policy`, a year).
    pub subject: &'a str,
    /// When.
    pub at: DateTime<Utc>,
}

/// The hash of a row (hex).
pub fn hash_of(row: &AdminRow) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"duban.admin_trail.v1");
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(&row.seq.to_le_bytes());
    field(&row.at.to_le_bytes());
    field(row.actor.as_bytes());
    field(row.kind.as_bytes());
    field(row.subject.as_bytes());
    for state in [&row.before, &row.after] {
        match state {
            Some(s) => {
                field(b"1");
                field(s.as_bytes());
            }
            None => field(b"0"),
        }
    }
    field(row.prev.as_bytes());
    h.finalize().to_hex().to_string()
}

/// Records a change with its state before and after (none for a creation or a removal), in
/// the transaction that makes it.
pub async fn record<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    change: Change<'_>,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), AdminTrailError> {
    let before = before.map(serde_json::to_string).transpose()?;
    let after = after.map(serde_json::to_string).transpose()?;
    let (seq, prev) = rows::next(tx).await?;
    let mut row = AdminRow {
        seq,
        at: change.at.timestamp_millis(),
        actor: change.actor.to_owned(),
        kind: change.kind.to_owned(),
        subject: change.subject.to_owned(),
        before,
        after,
        prev: prev.unwrap_or_else(|| GENESIS.to_owned()),
        hash: String::new(),
    };
    row.hash = hash_of(&row);
    rows::insert(tx, &row).await?;
    Ok(())
}

/// Checks the whole trail: every row's hash, every link, no place skipped, and as many rows
/// as the counter says were written. Returns how many rows verified.
pub async fn verify(db: &Db) -> Result<i64, AdminTrailError> {
    const PAGE: i64 = 1000;
    let expected = rows::count(db).await?;
    let mut prev = GENESIS.to_owned();
    let mut next_seq = 1;
    loop {
        let page = rows::rows(db, next_seq, PAGE).await?;
        let n = page.len() as i64;
        for row in page {
            if row.seq != next_seq {
                return Err(AdminTrailError::Missing {
                    expected,
                    found: next_seq - 1,
                });
            }
            if row.prev != prev || hash_of(&row) != row.hash {
                return Err(AdminTrailError::Broken { seq: row.seq });
            }
            prev = row.hash;
            next_seq += 1;
        }
        if n < PAGE {
            break;
        }
    }
    let found = next_seq - 1;
    if found != expected {
        return Err(AdminTrailError::Missing { expected, found });
    }
    Ok(found)
}

/// The rows from `from` on, at most `limit`, for reading.
pub async fn page(db: &Db, from: i64, limit: i64) -> Result<Vec<AdminRow>, AdminTrailError> {
    Ok(rows::rows(db, from.max(1), limit.clamp(1, 1000)).await?)
}
