//! Hotline work orders' own rows (migration 0011): the nonces of the signed platform intake
//! (`hotline_nonces`, kept until they expire) and the upper platform's order numbers
//! (`hotline_platform_orders`, one item per number and line).

use super::{Batch, Conn, DbError, Tx};
use crate::args;

/// Records a nonce of the signed intake, valid until `expires_at` (Unix milliseconds), and
/// sweeps the nonces expired by `now`. Returns `false` when the nonce is held already (a
/// replayed request). Two requests with the same nonce at once: one inserts, the other
/// finds it (PostgreSQL waits on the first's row; SQLite's one writer orders them).
pub async fn claim_nonce(
    tx: &mut Tx,
    nonce: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool, DbError> {
    tx.exec(
        "DELETE FROM hotline_nonces WHERE expires_at < $1",
        args![now],
    )
    .await?;
    let added = tx
        .exec(
            "INSERT INTO hotline_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
            args![nonce, expires_at],
        )
        .await?;
    Ok(added == 1)
}

/// The nonces held (for tests and the sweep's check).
pub async fn nonces(conn: impl Into<Conn<'_>>) -> Result<i64, DbError> {
    let mut conn = conn.into();
    conn.row("SELECT COUNT(*) AS n FROM hotline_nonces", args![])
        .await?
        .map_or(Ok(0), |r| r.get_int("n"))
}

/// The item registered for the platform's order `number` on `line` (the line's stable code,
/// `citizen` or `environment`), if any.
pub async fn platform_order(
    conn: impl Into<Conn<'_>>,
    line: &str,
    number: &str,
) -> Result<Option<String>, DbError> {
    let mut conn = conn.into();
    conn.row(
        "SELECT task_id FROM hotline_platform_orders WHERE line = $1 AND number = $2",
        args![line, number],
    )
    .await?
    .map(|r| r.get_text("task_id"))
    .transpose()
}

/// Queues the platform order number of a newly registered order. A number registered
/// already fails the batch with a uniqueness violation (the command is then refused as a
/// conflict, nothing written).
pub fn queue_platform_order(batch: &mut Batch, line: &str, number: &str, task: &str, at: i64) {
    batch.push(
        "INSERT INTO hotline_platform_orders (line, number, task_id, created_at) VALUES ($1, $2, $3, $4)",
        args![line, number, task, at],
    );
}
