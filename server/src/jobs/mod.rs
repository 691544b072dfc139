//! The jobs table: work outside the database — deliveries to FCM, APNs, HMS and SMS —
//! enqueued in the same transaction as the change it follows, so a rolled-back change leaves
//! no job and a committed one always has its job.
//!
//! Any replica may claim due jobs: on PostgreSQL a claim skips the rows another claimer has
//! locked, so two replicas never take the same job; on SQLite the one writer does the same
//! (the table and its statements: [`crate::db::notifications`]). A claim is a
//! lease: a replica that dies mid-job lets the lease run out and another takes the job
//! again. A failed job waits (the service's `Retry-After`, else an exponential backoff);
//! after [`MAX_ATTEMPTS`] it is set aside as `dead` with its last error. A job enqueued twice
//! under one dedupe key is kept once.

use chrono::{DateTime, Duration, Utc};

use crate::db::notifications::{self as store, NewJob};
use crate::db::{Batch, Db, DbError, Tx};

pub use crate::db::notifications::Job;

/// Attempts before a job is set aside as dead.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long a claim holds a job.
pub const LEASE: Duration = Duration::minutes(5);

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 8) as u32 - 1;
    Duration::seconds(30 * 2i64.pow(exp)).min(Duration::hours(1))
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
    let job = NewJob {
        kind,
        payload,
        dedupe,
        run_at: run_at.timestamp_millis(),
        now: Utc::now().timestamp_millis(),
    };
    store::insert_job(tx, &job).await
}

/// Queues [`enqueue`] in a batch.
pub fn enqueue_in(
    batch: &mut Batch,
    kind: &str,
    payload: &str,
    dedupe: Option<&str>,
    run_at: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    let job = NewJob {
        kind,
        payload,
        dedupe,
        run_at: run_at.timestamp_millis(),
        now: now.timestamp_millis(),
    };
    store::queue_job(batch, &job);
}

/// Claims up to `limit` jobs due at `now` (queued and due, or running with a lapsed lease).
pub async fn claim(db: &Db, now: DateTime<Utc>, limit: usize) -> Result<Vec<Job>, DbError> {
    store::claim_jobs(
        db,
        now.timestamp_millis(),
        (now + LEASE).timestamp_millis(),
        limit,
    )
    .await
}

/// The job is done.
pub async fn complete(db: &Db, id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let mut tx = db.write().await?;
    complete_in(&mut tx, id, now).await?;
    tx.commit().await
}

/// [`complete`] in the caller's transaction.
pub async fn complete_in(tx: &mut Tx, id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    store::complete_job(tx, id, now.timestamp_millis()).await
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
    store::fail_job(
        tx,
        &job.id,
        dead,
        (now + wait).timestamp_millis(),
        error,
        now.timestamp_millis(),
    )
    .await?;
    Ok(dead)
}

/// How long a job whose send the service refused for our configuration (an unapproved SMS
/// template or signature) waits before it is tried again.
pub const REFUSED_WAIT: Duration = Duration::hours(1);

/// Attempts before a job refused for our configuration is set aside: three days of hourly
/// tries, time enough for an administrator to have the template approved.
pub const REFUSED_ATTEMPTS: i64 = 72;

/// The job's send was refused for our configuration: it waits [`REFUSED_WAIT`] and runs
/// again, past [`REFUSED_ATTEMPTS`] it is set aside as dead. Returns whether it is dead.
pub async fn hold_in(
    tx: &mut Tx,
    job: &Job,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let dead = job.attempts >= REFUSED_ATTEMPTS;
    store::fail_job(
        tx,
        &job.id,
        dead,
        (now + REFUSED_WAIT).timestamp_millis(),
        error,
        now.timestamp_millis(),
    )
    .await?;
    Ok(dead)
}
