//! One item (`GET /tasks/{id}`, the item page): its summary, the whole state, the quality
//! card, the score once completed, the confidential attributes for those who must see them,
//! the trail (R11.1) and what a reviewer should know of the files it cites (R5.2, R5.4);
//! and the latest events over many items (a person's timeline).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use duban_core::domain::derived::evidence::{
    check_evidence, photo_pairs, EvidenceCheck, PhotoPair,
};
use duban_core::domain::derived::{item_score, quality_card, ItemScore, Signal};
use duban_core::domain::{may_see_confidential, Event, TaskId, TaskState};
use serde::Serialize;
use serde_json::value::RawValue;

use super::items::{load_visible, summaries, ItemSummary};
use super::ReadError;
use crate::auth::Session;
use crate::db::tasks;
use crate::AppState;

/// One event of the trail (流程留痕, R11.1).
#[derive(Debug, Serialize)]
pub struct TrailEntry {
    /// Position in the change feed.
    pub seq: i64,
    /// Position in the item's trail, from 1.
    pub task_seq: i64,
    /// The trail hash (hex blake3) chaining it to the event before.
    pub hash: String,
    /// The event as stored: `at`, `actor`, and `kind` (tagged by `event`, e.g. `registered`).
    pub event: Box<RawValue>,
}

/// The answer to `GET /tasks/{id}`.
#[derive(Debug, Serialize)]
pub struct ItemDetail {
    /// The item as a list shows it.
    #[serde(flatten)]
    pub summary: ItemSummary,
    /// The whole state (the fold of the trail).
    pub state: TaskState,
    /// The quality card now (亮牌), once there is something to judge.
    pub quality_card: Option<Signal>,
    /// The item score with every line (R6.3), once the completion is accepted.
    pub score: Option<ItemScore>,
    /// The category's confidential attributes (e.g. a hotline caller's name and phone):
    /// present only for those who must see them (`permission::may_see_confidential`) and
    /// when the item has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidential: Option<BTreeMap<String, String>>,
    /// Every event, in order.
    pub trail: Vec<TrailEntry>,
    /// Every file the trail cites, with what a reviewer should know of it (R5.2): a photo
    /// from the gallery, taken long before the server received it or "after" it, without
    /// a camera time or a place, not through the capture pipeline, or cited twice.
    pub evidence: Vec<EvidenceCheck>,
    /// A rectification's before/after photo pairs (R5.4).
    pub photo_pairs: Vec<PhotoPair>,
}

/// The item `id` for `session` at `now`; [`ReadError::NotFound`] if there is none or the
/// person may not read it.
pub async fn item_detail(
    state: &AppState,
    session: &Session,
    id: TaskId,
    now: DateTime<Utc>,
) -> Result<ItemDetail, ReadError> {
    let org = session.org.clone();
    let mut tx = state.db.read().await?;
    let item = load_visible(&mut tx, &state.states, session, id)
        .await?
        .ok_or(ReadError::NotFound)?;
    let mut summary = summaries(&mut tx, &org, std::slice::from_ref(&item), now).await?;
    let summary = summary.pop().ok_or(ReadError::NotFound)?;
    let s = &item.state;
    let confidential = if may_see_confidential(s, &session.actor, &org.tree) {
        tasks::secret_fields(&mut tx, id).await?
    } else {
        None
    };
    let mut trail = Vec::new();
    let mut events = Vec::new();
    for r in tasks::trail(&mut tx, id).await? {
        events.push(r.event);
        trail.push(TrailEntry {
            seq: r.seq,
            task_seq: r.task_seq.unwrap_or_default(),
            hash: r.hash.unwrap_or_default(),
            event: RawValue::from_string(r.body).map_err(|e| ReadError::Internal(e.to_string()))?,
        });
    }
    drop(tx);
    let accepted = s.completion.is_some_and(|c| c.accepted.is_some());
    Ok(ItemDetail {
        quality_card: quality_card(s, now, &org.calendar, &org.policy),
        score: if accepted {
            item_score(s, now, &org.calendar, &org.policy)
        } else {
            None
        },
        confidential,
        trail,
        evidence: check_evidence(&events, &org.policy),
        photo_pairs: photo_pairs(&events),
        summary,
        state: Arc::unwrap_or_clone(item.state),
    })
}

/// The latest events of `items` (items the caller has already found the person may read),
/// newest first, at most `limit`.
pub(crate) async fn latest_events(
    state: &AppState,
    items: &[TaskId],
    limit: usize,
) -> Result<Vec<(TaskId, Event)>, ReadError> {
    let mut tx = state.db.read().await?;
    let mut found = tasks::latest_events(&mut tx, items, limit).await?;
    drop(tx);
    found.sort_by_key(|f| std::cmp::Reverse(f.seq));
    found.truncate(limit);
    Ok(found.into_iter().map(|f| (f.task, f.event)).collect())
}
