//! The ledger (台账, the ledger page and its xlsx): every item the person may read that the
//! filters select, as the list shows it and with its whole state for the further columns.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use duban_core::domain::TaskState;

use super::items::{
    listed, load_passing, parse_filters, select_all, summaries, Filters, ItemSummary, StatsQuery,
};
use super::ReadError;
use crate::auth::Session;
use crate::db::tasks::{TaskHead, TaskOrder};
use crate::db::Tx;
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

/// Items whose states a [`LedgerChunks`] holds at once.
pub const LEDGER_CHUNK: usize = 500;

/// The ledger for `q` a chunk at a time (the xlsx export of every item, with bounded
/// memory): the items' heads (ids and trail heads, no states) are selected once, in one read
/// transaction that every chunk reads; each [`LedgerChunks::next`] loads the states of the
/// next [`LEDGER_CHUNK`] heads only. The chunks, concatenated, are [`ledger`]'s rows.
pub(crate) async fn ledger_chunks<'a>(
    state: &'a AppState,
    session: &'a Session,
    q: &StatsQuery,
    now: DateTime<Utc>,
) -> Result<LedgerChunks<'a>, ReadError> {
    let f = parse_filters(q, &session.org)?;
    let mut tx = state.db.read().await?;
    let heads = select_all(&mut tx, session, &f, TaskOrder::Created { desc: false }).await?;
    Ok(LedgerChunks {
        state,
        session,
        f,
        now,
        tx,
        heads: heads.into_iter(),
    })
}

/// The ledger's items, a chunk at a time: see [`ledger_chunks`].
pub(crate) struct LedgerChunks<'a> {
    state: &'a AppState,
    session: &'a Session,
    f: Filters,
    now: DateTime<Utc>,
    tx: Tx,
    heads: std::vec::IntoIter<TaskHead>,
}

impl LedgerChunks<'_> {
    /// The next items (at most [`LEDGER_CHUNK`], never none), or `None` after the last.
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<LedgerItem>>, ReadError> {
        loop {
            let heads: Vec<TaskHead> = self.heads.by_ref().take(LEDGER_CHUNK).collect();
            if heads.is_empty() {
                return Ok(None);
            }
            let (org, now) = (&self.session.org, self.now);
            let items = load_passing(
                &mut self.tx,
                &self.state.states,
                self.session,
                &self.f,
                heads,
                now,
            )
            .await?;
            if items.is_empty() {
                continue;
            }
            let rows = summaries(&mut self.tx, org, &items, now).await?;
            return Ok(Some(
                rows.into_iter()
                    .zip(items.into_iter().map(|i| i.state))
                    .map(|(summary, state)| LedgerItem { summary, state })
                    .collect(),
            ));
        }
    }
}
