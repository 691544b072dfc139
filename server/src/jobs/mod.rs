//! The jobs table: work outside the database — deliveries to FCM, APNs, HMS and SMS —
//! enqueued in the same transaction as the change it follows, so a rolled-back change leaves
//! no job and a committed one always has its job.
//!
//! Any replica may claim due jobs: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two
//! replicas never take the same job; on SQLite the one writer does the same. A claim is a
//! lease: a replica that dies mid-job lets the lease run out and another takes the job
//! again. A failed job waits (the service's `Retry-After`, else an exponential backoff);
//! after [`MAX_ATTEMPTS`] it is set aside as `dead` with its last error. A job enqueued twice
//! under one dedupe key is kept once.

use chrono::{DateTime, Duration, Utc};

use crate::db::{Backend, Batch, Db, DbError, Tx, Val};

/// Attempts before a job is set aside as dead.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long a claim holds a job.
pub const LEASE: Duration = Duration::minutes(5);

/// A claimed job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// What to do, e.g. `deliver`.
    pub kind: String,
    /// Its data (JSON).
    pub payload: String,
    /// This is attempt number…
    pub attempts: i64,
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 8) as u32 - 1;
    Duration::seconds(30 * 2i64.pow(exp)).min(Duration::hours(1))
}

/// The statement that enqueues a job (for a caller's [`Batch`]); `dedupe` keeps a second
/// one with the same key out.
pub fn insert(
    kind: &str,
    payload: &str,
    dedupe: Option<&str>,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (&'static str, Vec<Val>) {
    (
        "INSERT INTO jobs (id, kind, payload, dedupe, state, run_at, attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $6) ON CONFLICT (dedupe) DO NOTHING",
        vec![
            Val::from(uuid::Uuid::new_v4().to_string()),
            Val::from(kind),
            Val::from(payload),
            Val::from(dedupe.map(str::to_owned)),
            Val::from(run_at.timestamp_millis()),
            Val::from(now.timestamp_millis()),
        ],
    )
}

/// Enqueues a job in the caller's transaction; `dedupe` keeps a second one with the same
/// key out. Returns whether it was enqueued.
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: &str,
    dedupe: Option<&str>,
    run_at: DateTime<Utc>,
) -> Result<bool, DbError> {
    let (sql, args) = insert(kind, payload, dedupe, run_at, Utc::now());
    Ok(tx.exec(sql, args).await? == 1)
}

/// Queues [`insert`] in a batch.
pub fn enqueue_in(
    batch: &mut Batch,
    kind: &str,
    payload: &str,
    dedupe: Option<&str>,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    let (sql, args) = insert(kind, payload, dedupe, run_at, now);
    batch.push(sql, args);
}

/// Claims up to `limit` jobs due at `now` (queued and due, or running with a lapsed lease).
pub async fn claim(db: &Db, now: DateTime<Utc>, limit: usize) -> Result<Vec<Job>, DbError> {
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, updated_at = $1 \
         WHERE id IN (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $1) \
         OR (state = 'running' AND locked_until < $1) ORDER BY run_at LIMIT $3{lock}) \
         RETURNING id, kind, payload, attempts"
    );
    let mut tx = db.write().await?;
    let rows = tx
        .rows(
            &sql,
            vec![
                Val::from(now.timestamp_millis()),
                Val::from((now + LEASE).timestamp_millis()),
                Val::from(limit as i64),
            ],
        )
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            Ok(Job {
                id: r.text(0)?,
                kind: r.text(1)?,
                payload: r.text(2)?,
                attempts: r.int(3)?,
            })
        })
        .collect()
}

/// The job is done.
pub async fn complete(db: &Db, id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let mut tx = db.write().await?;
    complete_in(&mut tx, id, now).await?;
    tx.commit().await
}

/// [`complete`] in the caller's transaction.
pub async fn complete_in(tx: &mut Tx, id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    tx.exec(
        "UPDATE jobs SET state = 'done', locked_until = NULL, updated_at = $2 WHERE id = $1",
        vec![Val::from(id), Val::from(now.timestamp_millis())],
    )
    .await?;
    Ok(())
}

/// The job failed: it waits `after` (else [`backoff`]) and runs again, or, past
/// [`MAX_ATTEMPTS`] or when `permanent`, is set aside as dead. Returns whether it is dead.
pub async fn fail(
    db: &Db,
    job: &Job,
    error: &str,
    after: Option<std::time::Duration>,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut tx = db.write().await?;
    let dead = fail_in(&mut tx, job, error, after, permanent, now).await?;
    tx.commit().await?;
    Ok(dead)
}

/// [`fail`] in the caller's transaction.
pub async fn fail_in(
    tx: &mut Tx,
    job: &Job,
    error: &str,
    after: Option<std::time::Duration>,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let dead = permanent || job.attempts >= MAX_ATTEMPTS;
    let wait = after
        .and_then(|a| Duration::from_std(a).ok())
        .unwrap_or_else(|| backoff(job.attempts));
    tx.exec(
        "UPDATE jobs SET state = $2, run_at = $3, locked_until = NULL, last_error = $4, updated_at = $5 \
         WHERE id = $1",
        vec![
            Val::from(job.id.as_str()),
            Val::from(if dead { "dead" } else { "queued" }),
            Val::from((now + wait).timestamp_millis()),
            Val::from(error.chars().take(500).collect::<String>()),
            Val::from(now.timestamp_millis()),
        ],
    )
    .await?;
    Ok(dead)
}
