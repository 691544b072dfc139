//! The numbers `/metrics` reports, read straight from the tables.

use super::{Db, DbError, Val};

async fn number(db: &Db, sql: &str, args: Vec<Val>) -> Result<Option<i64>, DbError> {
    db.row(sql, args).await?.map(|r| r.get_int("n")).transpose()
}

/// The last sequence number of the change feed.
pub async fn feed_sequence(db: &Db) -> Result<Option<i64>, DbError> {
    number(
        db,
        "SELECT value AS n FROM counters WHERE name = 'changes'",
        vec![],
    )
    .await
}

/// Items stored.
pub async fn items(db: &Db) -> Result<Option<i64>, DbError> {
    number(db, "SELECT COUNT(*) AS n FROM tasks", vec![]).await
}

/// Jobs queued and due at `now` (Unix milliseconds).
pub async fn jobs_due(db: &Db, now: i64) -> Result<Option<i64>, DbError> {
    number(
        db,
        "SELECT COUNT(*) AS n FROM jobs WHERE state = 'queued' AND run_at <= $1",
        vec![Val::from(now)],
    )
    .await
}

/// Jobs set aside as dead.
pub async fn jobs_dead(db: &Db) -> Result<Option<i64>, DbError> {
    number(
        db,
        "SELECT COUNT(*) AS n FROM jobs WHERE state = 'dead'",
        vec![],
    )
    .await
}
