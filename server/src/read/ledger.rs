//! The ledger (台账, the ledger page and its xlsx): every item the person may read that the
//! filters select, as the list shows it and with its whole state for the further columns.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use duban_core::domain::TaskState;

use super::items::{listed, parse_filters, ItemSummary, StatsQuery};
use super::ReadError;
use crate::auth::Session;
use crate::db::tasks::TaskOrder;
use crate::AppState;

/// An item of the ledger (台账): what a list shows of it, and its whole state.
pub struct LedgerItem {
    /// The item as `GET /tasks` shows it.
    pub summary: ItemSummary,
    /// Its state, for the ledger's further columns.
    pub state: Arc<TaskState>,
}

/// The ledger for `q`: every item the person may read that the filters select — the rows of
/// `GET /tasks` with the same filters, over all its pages — oldest registration first.
pub(crate) async fn ledger(
    state: &AppState,
    session: &Session,
    q: &StatsQuery,
    now: DateTime<Utc>,
) -> Result<Vec<LedgerItem>, ReadError> {
    let f = parse_filters(q, &session.org)?;
    Ok(
        listed(state, session, &f, TaskOrder::Created { desc: false }, now)
            .await?
            .into_iter()
            .map(|(summary, state)| LedgerItem { summary, state })
            .collect(),
    )
}
