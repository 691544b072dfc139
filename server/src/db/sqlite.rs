//! The SQLite backend: a file in the data directory, WAL, foreign keys on, a busy timeout,
//! and write transactions that take the write lock at once (`BEGIN IMMEDIATE`), so writers
//! queue instead of failing and sequence numbers commit in order.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{placeholders, Batch, Db, DbError, NewChange, Tx, Val};

/// The numbered migrations in `server/migrations/sqlite`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

fn tuned(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
}

async fn pool(options: SqliteConnectOptions, max: u32) -> Result<Db, DbError> {
    let pool = SqlitePoolOptions::new()
        .max_connections(max.max(1))
        .connect_with(tuned(options))
        .await?;
    Ok(Db::Sqlite(pool, Default::default()))
}

/// Opens (creating if needed) the database file, and its directory.
pub async fn open_file(path: &Path, max: u32) -> Result<Db, DbError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    pool(SqliteConnectOptions::new().filename(path), max).await
}

/// Opens a `sqlite:` URL.
pub async fn open_url(url: &str, max: u32) -> Result<Db, DbError> {
    pool(SqliteConnectOptions::from_str(url)?, max).await
}

/// Queues the inserts of feed rows numbered from `first`.
fn queue_rows(batch: &mut Batch, first: i64, rows: &[NewChange]) {
    for (c, chunk) in rows.chunks(100).enumerate() {
        let mut sql =
            String::from("INSERT INTO changes (seq, kind, task, task_seq, hash, body, at) VALUES ");
        let mut args = Vec::with_capacity(chunk.len() * 7);
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&placeholders(i * 7 + 1, 7));
            sql.push(')');
            args.push(Val::from(first + (c * 100 + i) as i64));
            args.push(Val::from(r.kind));
            args.push(Val::from(r.task.clone()));
            args.push(Val::from(r.task_seq));
            args.push(Val::from(r.hash.clone()));
            args.push(Val::from(r.body.clone()));
            args.push(Val::from(r.at));
        }
        batch.push(sql, args);
    }
}

/// Allocates consecutive numbers from the counter row and inserts the rows. The transaction
/// already holds SQLite's single write lock, so commits happen in sequence order.
pub async fn append_changes(tx: &mut Tx, rows: &[NewChange]) -> Result<i64, DbError> {
    let n = rows.len() as i64;
    let last = tx
        .row(
            "UPDATE counters SET value = value + $1 WHERE name = 'changes' RETURNING value",
            vec![Val::from(n)],
        )
        .await?
        .ok_or_else(|| DbError::Corrupt("counter row missing".into()))?
        .int(0)?;
    let first = last - n + 1;
    let mut batch = Batch::default();
    queue_rows(&mut batch, first, rows);
    tx.run(batch).await?;
    Ok(first)
}
