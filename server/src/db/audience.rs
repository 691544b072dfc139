//! Who may read each item, as stored: `task_audience` holds an item's audience keys by tier
//! (`view`, `secret`). Queries that show only what a person may read filter on it with
//! [`visible_sql`].

use duban_core::domain::TaskState;

use super::codec::from_json;
use super::{placeholders, DbError, Tx};
use crate::args;

/// `task_col IN (…)`: the item has a key of the tier among the person's keys, which are
/// bound from parameter `$from` on. (A semi-join on the audience's key index: both
/// planners hash it once instead of probing per row.)
pub fn visible_sql(task_col: &str, tier: &str, from: usize, n: usize) -> String {
    format!(
        "{task_col} IN (SELECT a.task FROM task_audience a WHERE a.tier = '{tier}' AND a.key IN ({}))",
        placeholders(from, n)
    )
}

/// Every item's id and authoritative state.
pub async fn task_states(tx: &mut Tx) -> Result<Vec<(String, TaskState)>, DbError> {
    tx.rows("SELECT id, state FROM tasks", vec![])
        .await?
        .iter()
        .map(|r| Ok((r.get_text("id")?, from_json(&r.get_text("state")?)?)))
        .collect()
}

/// One audience key of an item.
#[derive(Clone, Debug)]
pub struct AudienceRow {
    /// The item.
    pub task: String,
    /// `view` or `secret`.
    pub tier: &'static str,
    /// The key.
    pub key: String,
}

/// Replaces every item's audience with `rows`.
pub async fn replace_all(tx: &mut Tx, rows: &[AudienceRow]) -> Result<(), DbError> {
    tx.exec("DELETE FROM task_audience", vec![]).await?;
    for r in rows {
        tx.exec(
            "INSERT INTO task_audience (task, tier, key) VALUES ($1, $2, $3)",
            args![r.task.as_str(), r.tier, r.key.as_str()],
        )
        .await?;
    }
    Ok(())
}
