//! The PostgreSQL backend. Sequence numbers come from a counter row, not a sequence: a
//! plain sequence hands out numbers at insert time, and transactions can then commit out of
//! order, so a reader polling `seq > n` could pass a number whose row is not yet visible and
//! never see it. Updating the counter row takes its row lock until commit, so the
//! transaction holding number n commits before the one that gets n+1. The lock is taken in
//! the last statement before commit, so it is held only for that statement and the commit.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use super::{Db, DbError, NewChange, Tx, Val};

/// The numbered migrations in `server/migrations/postgres`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connects to PostgreSQL.
pub async fn open(url: &str, max: u32) -> Result<Db, DbError> {
    let pool = PgPoolOptions::new()
        .max_connections(max.max(1))
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await?;
    Ok(Db::Postgres(pool))
}

/// Creates an empty database named `{prefix}_{random}` on the server of `admin_url` (a URL
/// to an existing database, e.g. `postgres://…/postgres`) and returns the new database's URL.
/// For tests and benchmarks, each of which wants a database of its own.
pub async fn create_database(admin_url: &str, prefix: &str) -> Result<String, DbError> {
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let Db::Postgres(root) = open(admin_url, 1).await? else {
        return Err(DbError::UnsupportedUrl);
    };
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&root)
        .await?;
    root.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

/// Allocates consecutive numbers and inserts the rows in one statement: the counter's row
/// lock is held from here to commit, which makes commit order equal sequence order.
pub async fn append_changes(tx: &mut Tx, rows: &[NewChange]) -> Result<i64, DbError> {
    let n = rows.len() as i64;
    let mut sql = String::from(
        "WITH c AS (UPDATE counters SET value = value + $1 WHERE name = 'changes' RETURNING value) \
         INSERT INTO changes (seq, kind, task, task_seq, hash, body, at) \
         SELECT c.value - $1 + v.ord, v.kind, v.task, v.task_seq, v.hash, v.body, v.at \
         FROM c, (VALUES ",
    );
    let mut args = vec![Val::from(n)];
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let b = args.len() + 1;
        sql.push_str(&format!(
            "(${}::bigint, ${}::text, ${}::text, ${}::bigint, ${}::text, ${}::text, ${}::bigint)",
            b,
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6
        ));
        args.push(Val::from(i as i64 + 1));
        args.push(Val::from(r.kind));
        args.push(Val::from(r.task.clone()));
        args.push(Val::from(r.task_seq));
        args.push(Val::from(r.hash.clone()));
        args.push(Val::from(r.body.clone()));
        args.push(Val::from(r.at));
    }
    sql.push_str(") AS v(ord, kind, task, task_seq, hash, body, at) RETURNING seq");
    let seqs = tx.rows(&sql, args).await?;
    let mut first = i64::MAX;
    for r in &seqs {
        first = first.min(r.int(0)?);
    }
    if seqs.len() != rows.len() {
        return Err(DbError::Corrupt("counter row missing".into()));
    }
    Ok(first)
}
