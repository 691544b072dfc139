//! The supervisor's workbench (督办员工作台, R8.1): what the office must act on now — the
//! duties the core's rule gives the person on each item they may read (the same rule as
//! the phones' inbox), and every overdue item.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::items::{load_all, summaries, Filters, ItemSummary};
use super::overview::overdue_first;
use super::ReadError;
use crate::auth::Session;
use crate::db::tasks::TaskOrder;
use crate::AppState;

/// The supervisor's workbench (督办员工作台, R8.1): what the office must act on now.
#[derive(Debug, Serialize)]
pub struct Workbench {
    /// Items waiting for me to dispatch (approved registrations and drafts needing no
    /// approval), oldest first.
    pub to_dispatch: Vec<ItemSummary>,
    /// Completions waiting for my review, oldest first.
    pub to_review: Vec<ItemSummary>,
    /// Every overdue item not reported, most overdue first: each urged in one click.
    pub overdue: Vec<ItemSummary>,
}

/// The workbench for `session` at `now`: the duties the core's rule gives this person on
/// each item they may read (the same rule as the phones' inbox), and the overdue items.
pub async fn workbench(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Workbench, ReadError> {
    use duban_core::domain::derived::duty::{duties, Duty};
    use duban_core::domain::Context;
    let org = session.org.clone();
    let f = Filters::default();
    let mut tx = state.db.read().await?;
    let items = load_all(
        &mut tx,
        &state.states,
        session,
        &f,
        TaskOrder::Updated { desc: false },
        now,
    )
    .await?;
    let ctx = Context {
        actor: &session.actor,
        now,
        calendar: &org.calendar,
        policy: &org.policy,
        units: &org.tree,
        parent: None,
    };
    let (mut to_dispatch, mut to_review) = (Vec::new(), Vec::new());
    for i in &items {
        let mine = duties(&i.state, &ctx);
        if mine.contains(&Duty::Dispatch) {
            to_dispatch.push(i.clone());
        }
        if mine.contains(&Duty::Review) {
            to_review.push(i.clone());
        }
    }
    let overdue = overdue_first(&org, &items, now);
    Ok(Workbench {
        to_dispatch: summaries(&mut tx, &org, &to_dispatch, now).await?,
        to_review: summaries(&mut tx, &org, &to_review, now).await?,
        overdue: summaries(&mut tx, &org, &overdue, now).await?,
    })
}
