//! The inbox (站内通知) and its read receipts: `GET /notifications` lists the person's
//! notifications, newest first, with the unread count; `POST /notifications/read` records
//! that they were read (by id, by the event they came from — as a phone knows them — or
//! all), which also stops their climb to push and SMS, and reaches the person's phones
//! through the feed (a `read` change, see `crate::feed`). `GET /tasks/{id}/notifications`
//! shows the office and the leaders whom an item's notifications reached, through which
//! channels, and when each was read.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use duban_core::domain::Role;
use duban_core::protocol::{
    DeliveryRecord, InboxNotification, InboxPage, NotificationTrace, ReadOutcome, ReadReceipts,
};
use serde::Deserialize;

use crate::auth::Session;
use crate::db::{notifications as store, trail};
use crate::error::{ApiError, Json, Path, Query};
use crate::feed::keys_of;
use crate::AppState;

/// The most notifications one page holds.
pub const MAX_PAGE: i64 = 200;

/// The most receipts one request carries.
pub const MAX_RECEIPTS: usize = 1000;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read", post(read))
        .route("/tasks/{id}/notifications", get(trace))
}

/// `GET /notifications` parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only unread ones.
    #[serde(default)]
    pub unread: bool,
    /// At most this many (default 50, at most [`MAX_PAGE`]).
    pub limit: Option<i64>,
    /// Older than this (milliseconds since the epoch: the `at` of the last one seen).
    pub before: Option<i64>,
}

/// The person's unread notifications on items they may still read.
pub(crate) async fn unread(state: &AppState, session: &Session) -> Result<u64, ApiError> {
    let keys = keys_of(session);
    Ok(store::unread(&state.db, session.user(), &keys).await?)
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<InboxQuery>,
) -> Result<Json<InboxPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(
            "query.limit",
            format!("每页条数应在 1 至 {MAX_PAGE} 之间"),
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    let keys = keys_of(&session);
    let page = store::InboxFilter {
        unread_only: q.unread,
        before: q.before,
        limit,
    };
    let items: Vec<InboxNotification> =
        store::inbox(&state.db, session.user(), &keys, page).await?;
    Ok(Json(InboxPage {
        unread: unread(&state, &session).await?,
        items,
    }))
}

async fn read(
    State(state): State<AppState>,
    session: Session,
    Json(r): Json<ReadReceipts>,
) -> Result<Json<ReadOutcome>, ApiError> {
    if r.ids.len() + r.events.len() > MAX_RECEIPTS {
        return Err(ApiError::unprocessable(
            "notifications.too_many",
            format!("一次最多标记 {MAX_RECEIPTS} 条"),
            format!("at most {MAX_RECEIPTS} receipts at once"),
        ));
    }
    Ok(Json(mark(&state, &session, &r).await?))
}

/// Marks read what the receipts name — which also stops those notifications' climb to
/// push and SMS (a delivery step sends nothing for a read notification) — and tells the
/// person's phones through the feed (a `read` change for them only), in one transaction.
/// The one path of `POST /notifications/read` and of the inbox page (`/inbox`).
pub(crate) async fn mark(
    state: &AppState,
    session: &Session,
    r: &ReadReceipts,
) -> Result<ReadOutcome, ApiError> {
    let user = session.user();
    let now = Utc::now().timestamp_millis();
    let mut tx = state.db.write().await?;
    let mut marked = Vec::new();
    if r.all {
        marked.extend(store::mark_all_read(&mut tx, user, now).await?);
    }
    if !r.ids.is_empty() {
        marked.extend(store::mark_read(&mut tx, user, &r.ids, now).await?);
    }
    for e in &r.events {
        marked.extend(store::mark_event_read(&mut tx, user, e.task, e.task_seq, now).await?);
    }
    if !marked.is_empty() {
        store::queue_read_changes(&mut tx, user, &marked, now).await?;
    }
    tx.commit().await?;
    Ok(ReadOutcome {
        marked: marked.len() as u64,
        unread: unread(state, session).await?,
    })
}

/// Who may see whom an item's notifications reached.
const TRACERS: [Role; 5] = [
    Role::Supervisor,
    Role::Admin,
    Role::MainLeader,
    Role::DeputyLeader,
    Role::Inspector,
];

async fn trace(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Vec<NotificationTrace>>, ApiError> {
    session.require(&TRACERS)?;
    let missing = || ApiError::not_found("事项", "item");
    let task = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| missing())?
        .to_string();
    if !trail::exists(&state.db, &task).await? {
        return Err(missing());
    }
    let mut out = store::item_notifications(&state.db, &task).await?;
    let mut by_note: std::collections::HashMap<String, Vec<DeliveryRecord>> =
        std::collections::HashMap::new();
    for (note, record) in store::item_deliveries(&state.db, &task).await? {
        by_note.entry(note).or_default().push(record);
    }
    for n in &mut out {
        n.deliveries = by_note.remove(&n.id.to_string()).unwrap_or_default();
    }
    Ok(Json(out))
}
