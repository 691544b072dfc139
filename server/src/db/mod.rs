//! The database: SQLite (embedded, the default) or PostgreSQL (to scale out), behind one
//! small interface. Queries are written once in portable SQL (`$1` parameters, TEXT, BIGINT
//! and BLOB/BYTEA columns only) and run on either backend; what truly differs — connecting,
//! migrations, how a write transaction starts and how change sequence numbers are allocated —
//! lives in [`sqlite`] and [`postgres`]. See docs/adr/0003-one-query-set.md.
//!
//! Each table family has a module of named functions that take a [`Tx`], a [`Db`] or either
//! ([`Conn`]) and typed arguments, and return structs decoded by column name: [`org`] (units,
//! users, sessions, settings), [`notifications`] (the inbox, deliveries, devices, jobs),
//! [`blobs`], [`bulletins`], [`trail`] (an item's stored trail), [`audience`] (who may read
//! each item) and [`gauges`] (the metrics' counts). The rest of the server writes no SQL and
//! does not know which backend it runs on.

pub mod admin_trail;
pub mod audience;
pub mod blobs;
pub mod bulletins;
pub mod codec;
pub mod commands;
pub mod duplicates;
pub mod gauges;
pub mod hotline;
pub mod notifications;
pub mod org;
pub mod postgres;
pub mod schema;
pub mod sqlite;
pub mod tasks;
pub mod trail;
pub mod work_accounts;

use std::path::Path;

use std::sync::Arc;

use sqlx::{PgPool, Postgres, Row as _, Sqlite, SqlitePool, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The driver reported an error.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database URL is not one this server understands.
    #[error("unsupported database URL (use sqlite:… or postgres://…)")]
    UnsupportedUrl,
    /// Stored data does not decode.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The data directory cannot be created.
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
}

impl DbError {
    /// Whether a uniqueness or reference constraint refused the write (a concurrent write
    /// got there first, or a reference names a missing record).
    pub fn is_constraint(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(d))
            if d.is_unique_violation() || d.is_foreign_key_violation())
    }

    /// Whether the transaction lost a race it may simply run again: PostgreSQL chose it as
    /// a deadlock's victim (40P01) or could not serialise it (40001).
    pub fn is_retryable(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(d))
            if matches!(d.code().as_deref(), Some("40P01" | "40001")))
    }
}

/// Which backend a [`Db`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A parameter bound to a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// A 64-bit integer (or a typed NULL).
    Int(Option<i64>),
    /// Text (or a typed NULL).
    Text(Option<String>),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Val {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(Some(v.to_owned()))
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(Some(v))
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Val {
        Val::Text(v)
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Val {
        Val::Bytes(v)
    }
}

/// Builds a parameter list: `args![a, b, c]`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::db::Val::from($v)),*] };
}

/// A result row from either backend.
pub enum Row {
    /// From SQLite.
    Sqlite(sqlx::sqlite::SqliteRow),
    /// From PostgreSQL.
    Postgres(sqlx::postgres::PgRow),
}

macro_rules! getter {
    ($name:ident, $named:ident, $ty:ty) => {
        /// Reads column `i`.
        pub fn $name(&self, i: usize) -> Result<$ty, DbError> {
            Ok(match self {
                Row::Sqlite(r) => r.try_get::<$ty, _>(i)?,
                Row::Postgres(r) => r.try_get::<$ty, _>(i)?,
            })
        }

        /// Reads the column named `column`.
        pub fn $named(&self, column: &str) -> Result<$ty, DbError> {
            Ok(match self {
                Row::Sqlite(r) => r.try_get::<$ty, _>(column)?,
                Row::Postgres(r) => r.try_get::<$ty, _>(column)?,
            })
        }
    };
}

impl Row {
    getter!(int, get_int, i64);
    getter!(opt_int, get_opt_int, Option<i64>);
    getter!(text, get_text, String);
    getter!(opt_text, get_opt_text, Option<String>);
    getter!(bytes, get_bytes, Vec<u8>);
}

/// A connection pool on either backend.
#[derive(Clone)]
pub enum Db {
    /// Embedded SQLite, with the process's one writer lock: writers queue here in order
    /// instead of sleeping in SQLite's busy handler.
    Sqlite(SqlitePool, Arc<Mutex<()>>),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Where a SQLite transaction's savepoint stands. Its `SAVEPOINT` and `RELEASE` are sent
/// with the next statement, as one multi-statement call, rather than as calls of their own
/// (each call is a round trip to sqlx's SQLite worker thread).
#[derive(Debug, Default)]
pub struct Savepoint {
    /// Made, and not yet sent: it is sent before the next statement.
    due: bool,
    /// Sent, and not released.
    open: bool,
    /// Released, and not yet sent (a commit releases it anyway).
    release: bool,
}

impl Savepoint {
    /// The statements to send before the next one.
    fn prefix(&mut self) -> &'static str {
        let sql = match (self.release, self.due) {
            (false, false) => "",
            (true, false) => "RELEASE SAVEPOINT command;\n",
            (false, true) => "SAVEPOINT command;\n",
            (true, true) => "RELEASE SAVEPOINT command;\nSAVEPOINT command;\n",
        };
        self.open |= self.due;
        self.due = false;
        self.release = false;
        sql
    }
}

fn with_prefix<'a>(prefix: &str, sql: &'a str) -> std::borrow::Cow<'a, str> {
    if prefix.is_empty() {
        sql.into()
    } else {
        format!("{prefix}{sql}").into()
    }
}

/// A transaction on either backend. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    /// On SQLite (a write transaction starts with `BEGIN IMMEDIATE` and holds the writer
    /// lock until it ends), with its savepoint statements not sent yet.
    Sqlite(
        Transaction<'static, Sqlite>,
        Option<OwnedMutexGuard<()>>,
        Savepoint,
    ),
    /// On PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

fn bind_sqlite<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    args: Vec<Val>,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for a in args {
        q = match a {
            Val::Int(v) => q.bind(v),
            Val::Text(v) => q.bind(v),
            Val::Bytes(v) => q.bind(v),
        };
    }
    q
}

fn bind_pg(
    mut q: sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments>,
    args: Vec<Val>,
) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
    for a in args {
        q = match a {
            Val::Int(v) => q.bind(v),
            Val::Text(v) => q.bind(v),
            Val::Bytes(v) => q.bind(v),
        };
    }
    q
}

impl Db {
    /// Opens the database named by `url`, or the SQLite file in `data_dir` when `url` is
    /// `None`, and runs the migrations.
    pub async fn open(
        url: Option<&str>,
        data_dir: &Path,
        max_connections: u32,
    ) -> Result<Db, DbError> {
        let db = match url {
            None => sqlite::open_file(&data_dir.join("duban.sqlite3"), max_connections).await?,
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                postgres::open(u, max_connections).await?
            }
            Some(u) if u.starts_with("sqlite:") => sqlite::open_url(u, max_connections).await?,
            Some(_) => return Err(DbError::UnsupportedUrl),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(..) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs the numbered migrations of the backend.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p, _) => sqlite::MIGRATOR.run(p).await?,
            Db::Postgres(p) => postgres::MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once, so a
    /// read-then-write never fails halfway on a busy database.
    pub async fn write(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p, lock) => {
                let guard = lock.clone().lock_owned().await;
                Tx::Sqlite(
                    p.begin_with("BEGIN IMMEDIATE").await?,
                    Some(guard),
                    Savepoint::default(),
                )
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Starts a read transaction that sees one consistent snapshot.
    pub async fn read(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(p, _) => Tx::Sqlite(p.begin().await?, None, Savepoint::default()),
            Db::Postgres(p) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    /// Runs a statement outside any transaction; returns the rows affected.
    pub async fn exec(&self, sql: &str, args: Vec<Val>) -> Result<u64, DbError> {
        Ok(match self {
            Db::Sqlite(p, _) => bind_sqlite(sqlx::query(sql), args)
                .execute(p)
                .await?
                .rows_affected(),
            Db::Postgres(p) => bind_pg(sqlx::query(sql), args)
                .execute(p)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a query outside any transaction.
    pub async fn rows(&self, sql: &str, args: Vec<Val>) -> Result<Vec<Row>, DbError> {
        Ok(match self {
            Db::Sqlite(p, _) => bind_sqlite(sqlx::query(sql), args)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Db::Postgres(p) => bind_pg(sqlx::query(sql), args)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    /// Runs a query expected to return at most one row.
    pub async fn row(&self, sql: &str, args: Vec<Val>) -> Result<Option<Row>, DbError> {
        Ok(self.rows(sql, args).await?.into_iter().next())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.rows("SELECT 1", vec![]).await.is_ok()
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p, _) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement; returns the rows affected.
    pub async fn exec(&mut self, sql: &str, args: Vec<Val>) -> Result<u64, DbError> {
        Ok(match self {
            Tx::Sqlite(t, _, sp) => {
                let sql = with_prefix(sp.prefix(), sql);
                bind_sqlite(sqlx::query(&sql), args)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            }
            Tx::Postgres(t) => bind_pg(sqlx::query(sql), args)
                .execute(&mut **t)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a query.
    pub async fn rows(&mut self, sql: &str, args: Vec<Val>) -> Result<Vec<Row>, DbError> {
        Ok(match self {
            Tx::Sqlite(t, _, sp) => {
                let sql = with_prefix(sp.prefix(), sql);
                bind_sqlite(sqlx::query(&sql), args)
                    .fetch_all(&mut **t)
                    .await?
                    .into_iter()
                    .map(Row::Sqlite)
                    .collect()
            }
            Tx::Postgres(t) => bind_pg(sqlx::query(sql), args)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    /// Runs a query expected to return at most one row.
    pub async fn row(&mut self, sql: &str, args: Vec<Val>) -> Result<Option<Row>, DbError> {
        Ok(self.rows(sql, args).await?.into_iter().next())
    }

    /// Marks where a command of a batch starts ([`Tx::rollback_to_savepoint`] undoes
    /// everything after it, [`Tx::release_savepoint`] keeps it). One at a time. On SQLite
    /// it is sent with the next statement.
    pub async fn savepoint(&mut self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(.., sp) => {
                sp.due = true;
                Ok(())
            }
            Tx::Postgres(_) => self.exec("SAVEPOINT command", vec![]).await.map(drop),
        }
    }

    /// Undoes everything since [`Tx::savepoint`] (the savepoint stays, to be released).
    pub async fn rollback_to_savepoint(&mut self) -> Result<(), DbError> {
        if let Tx::Sqlite(.., sp) = self {
            if !sp.open {
                // Not sent yet: nothing was done since.
                return Ok(());
            }
        }
        self.exec("ROLLBACK TO SAVEPOINT command", vec![])
            .await
            .map(drop)
    }

    /// Keeps what was done since [`Tx::savepoint`] as part of the transaction. On SQLite it
    /// is sent with the next statement (or is the commit's).
    pub async fn release_savepoint(&mut self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(.., sp) => {
                sp.release |= sp.open;
                sp.open = false;
                sp.due = false;
                Ok(())
            }
            Tx::Postgres(_) => self
                .exec("RELEASE SAVEPOINT command", vec![])
                .await
                .map(drop),
        }
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            // A savepoint not released yet is released by the commit.
            Tx::Sqlite(t, ..) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Appends rows to the change feed and returns the sequence number of the first. The
    /// numbers are consecutive and, on every backend, commit in sequence order (a reader
    /// polling `seq > n` never skips one): see [`sqlite::append_changes`] and
    /// [`postgres::append_changes`]. Call it last in the transaction, just before commit.
    pub async fn append_changes(&mut self, rows: &[NewChange]) -> Result<i64, DbError> {
        match self {
            Tx::Sqlite(..) => sqlite::append_changes(self, rows).await,
            Tx::Postgres(_) => postgres::append_changes(self, rows).await,
        }
    }
}

/// Where the table modules' statements run: on the pool (each statement on its own) or in a
/// transaction. Their functions take `impl Into<Conn>`, so a caller passes `&db` or `&mut tx`.
pub enum Conn<'a> {
    /// On the pool.
    Pool(&'a Db),
    /// In a transaction.
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Db> for Conn<'a> {
    fn from(db: &'a Db) -> Conn<'a> {
        Conn::Pool(db)
    }
}

impl<'a> From<&'a mut Tx> for Conn<'a> {
    fn from(tx: &'a mut Tx) -> Conn<'a> {
        Conn::Tx(tx)
    }
}

impl Conn<'_> {
    async fn exec(&mut self, sql: &str, args: Vec<Val>) -> Result<u64, DbError> {
        match self {
            Conn::Pool(db) => db.exec(sql, args).await,
            Conn::Tx(tx) => tx.exec(sql, args).await,
        }
    }

    async fn rows(&mut self, sql: &str, args: Vec<Val>) -> Result<Vec<Row>, DbError> {
        match self {
            Conn::Pool(db) => db.rows(sql, args).await,
            Conn::Tx(tx) => tx.rows(sql, args).await,
        }
    }

    async fn row(&mut self, sql: &str, args: Vec<Val>) -> Result<Option<Row>, DbError> {
        Ok(self.rows(sql, args).await?.into_iter().next())
    }
}

/// Statements that return nothing, gathered to run together at the end of a transaction:
/// SQLite runs them as one multi-statement call (one trip to its worker thread instead of
/// one per statement); PostgreSQL runs them one after another.
#[derive(Default, Debug)]
pub struct Batch {
    statements: Vec<(String, Vec<Val>)>,
}

impl Batch {
    /// Adds a statement with its own `$1…` parameters.
    pub fn push(&mut self, sql: impl Into<String>, args: Vec<Val>) {
        self.statements.push((sql.into(), args));
    }

    /// Whether there is nothing to run.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

/// `sql` with every `$n` parameter moved up by `offset`.
fn renumber(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n * 10 + d as usize;
                chars.next();
            }
            out.push('$');
            out.push_str(&(n + offset).to_string());
        } else {
            out.push(c);
        }
    }
    out
}

impl Tx {
    /// Runs a batch.
    pub async fn run(&mut self, batch: Batch) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(..) => {
                let mut sql = String::new();
                let mut args = Vec::new();
                for (s, a) in batch.statements {
                    sql.push_str(&renumber(&s, args.len()));
                    sql.push_str(";\n");
                    args.extend(a);
                }
                if !sql.is_empty() {
                    self.exec(&sql, args).await?;
                }
            }
            Tx::Postgres(_) => {
                for (s, a) in batch.statements {
                    self.exec(&s, a).await?;
                }
            }
        }
        Ok(())
    }
}

/// A row for the change feed (its sequence number is allocated on append).
#[derive(Clone, Debug)]
pub struct NewChange {
    /// `event`, `access`, `reference`, `secret` or `reset`.
    pub kind: &'static str,
    /// The item, if the change is about one.
    pub task: Option<String>,
    /// The event's position in the item's trail (events only).
    pub task_seq: Option<i64>,
    /// The event's trail hash (events only).
    pub hash: Option<String>,
    /// JSON.
    pub body: String,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// Placeholders `$from, $from+1, …` for `n` values, comma-separated.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_are_renumbered_past_earlier_statements() {
        assert_eq!(
            super::renumber("UPDATE t SET a = $1 WHERE b = $12 AND c = '$'", 3),
            "UPDATE t SET a = $4 WHERE b = $15 AND c = '$'"
        );
    }
}
