//! The candidates for likely duplicate work orders (`duban_core::domain::derived::duplicate`):
//! the orders of the hotline categories registered within a time window, each with its
//! state, its content as searched and its confidential attributes (the caller's phone and
//! address live in `task_secrets`, apart from the item). The rule that compares them is the
//! core's; this only reads.

use std::collections::BTreeMap;

use duban_core::domain::{TaskId, TaskState};

use super::tasks::json;
use super::{placeholders, DbError, Tx, Val};

/// An order that may duplicate another.
#[derive(Debug)]
pub struct Candidate {
    /// The item.
    pub id: TaskId,
    /// Its state (the intake facts, the acceptance).
    pub state: TaskState,
    /// Its content, lower-cased (`tasks.search_content`).
    pub content: String,
    /// Its confidential attributes (`caller_phone`, `caller_address`, …), if any.
    pub secrets: BTreeMap<String, String>,
}

/// The items of `categories` registered from `from` to `to` (Unix milliseconds, both
/// inclusive), other than `except`, newest first, at most `limit`.
pub async fn candidates(
    tx: &mut Tx,
    categories: &[String],
    from: i64,
    to: i64,
    except: TaskId,
    limit: usize,
) -> Result<Vec<Candidate>, DbError> {
    if categories.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT t.id, t.state, t.search_content, s.fields FROM tasks t \
         LEFT JOIN task_secrets s ON s.task = t.id \
         WHERE t.created_at >= $1 AND t.created_at <= $2 AND t.id <> $3 \
         AND t.category IN ({}) ORDER BY t.created_at DESC, t.id LIMIT {limit}",
        placeholders(4, categories.len())
    );
    let mut args = vec![
        Val::from(from),
        Val::from(to),
        Val::from(except.to_string()),
    ];
    args.extend(categories.iter().map(|c| Val::from(c.clone())));
    tx.rows(&sql, args)
        .await?
        .iter()
        .map(|r| {
            let id = r.get_text("id")?;
            Ok(Candidate {
                id: TaskId(
                    uuid::Uuid::parse_str(&id)
                        .map_err(|e| DbError::Corrupt(format!("item id: {e}")))?,
                ),
                state: json(&r.get_text("state")?)?,
                content: r.get_opt_text("search_content")?.unwrap_or_default(),
                secrets: r
                    .get_opt_text("fields")?
                    .map(|f| json(&f))
                    .transpose()?
                    .unwrap_or_default(),
            })
        })
        .collect()
}
