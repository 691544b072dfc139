//! The inbox (站内通知) and its read receipts: `GET /notifications` lists the person's
//! notifications, newest first, with the unread count; `POST /notifications/read` records
//! that they were read (by id, by the event they came from — as a phone knows them — or
//! all), which also stops their climb to push and SMS. `GET /tasks/{id}/notifications`
//! shows the office and the leaders whom an item's notifications reached, through which
//! channels, and when each was read.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use duban_core::domain::{Role, TaskId};
use duban_core::protocol::{
    DeliveryRecord, InboxNotification, InboxPage, NotificationTrace, ReadOutcome, ReadReceipts,
};
use serde::Deserialize;

use crate::auth::Session;
use crate::db::{placeholders, Row, Val};
use crate::error::{ApiError, Json, Path, Query};
use crate::feed::{keys_of, visible_sql};
use crate::notify::kind_of;
use crate::org::{from_code, time_of};
use crate::{args, AppState};

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

fn uuid_of(s: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(s).map_err(ApiError::internal)
}

fn notification(r: &Row) -> Result<InboxNotification, ApiError> {
    Ok(InboxNotification {
        id: uuid_of(&r.text(0)?)?,
        task: TaskId(uuid_of(&r.text(1)?)?),
        task_seq: r.int(2)? as u64,
        kind: kind_of(&r.text(3)?)?,
        zh: r.text(4)?,
        en: r.text(5)?,
        urgency: from_code(&r.text(6)?)?,
        at: time_of(r.int(7)?),
        read_at: r.opt_int(8)?.map(time_of),
    })
}

/// The person's unread notifications on items they may still read.
pub(crate) async fn unread(state: &AppState, session: &Session) -> Result<u64, ApiError> {
    let keys = keys_of(session);
    let sql = format!(
        "SELECT COUNT(*) FROM notifications n WHERE n.user_id = $1 AND n.read_at IS NULL AND {}",
        visible_sql("n.task", "view", 2, keys.len())
    );
    let mut args = args![session.actor.id.to_string()];
    args.extend(keys.iter().map(Val::from));
    let row = state.db.row(&sql, args).await?;
    Ok(row.map(|r| r.int(0)).transpose()?.unwrap_or(0) as u64)
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
    let mut sql = format!(
        "SELECT n.id, n.task, n.task_seq, n.kind, n.zh, n.en, n.urgency, n.created_at, n.read_at \
         FROM notifications n WHERE n.user_id = $1 AND {}",
        visible_sql("n.task", "view", 2, keys.len())
    );
    let mut args = args![session.actor.id.to_string()];
    args.extend(keys.iter().map(Val::from));
    if q.unread {
        sql.push_str(" AND n.read_at IS NULL");
    }
    if let Some(before) = q.before {
        sql.push_str(&format!(" AND n.created_at < ${}", args.len() + 1));
        args.push(Val::from(before));
    }
    sql.push_str(&format!(
        " ORDER BY n.created_at DESC, n.task, n.task_seq DESC LIMIT ${}",
        args.len() + 1
    ));
    args.push(Val::from(limit));
    let rows = state.db.rows(&sql, args).await?;
    let items = rows
        .iter()
        .map(notification)
        .collect::<Result<Vec<_>, _>>()?;
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
    let user = session.actor.id.to_string();
    let now = Utc::now().timestamp_millis();
    let mut tx = state.db.write().await?;
    let mut marked = 0;
    if r.all {
        marked += tx
            .exec(
                "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
                args![user.as_str(), now],
            )
            .await?;
    }
    if !r.ids.is_empty() {
        let sql = format!(
            "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL AND id IN ({})",
            placeholders(3, r.ids.len())
        );
        let mut args = args![user.as_str(), now];
        args.extend(r.ids.iter().map(|id| Val::from(id.to_string())));
        marked += tx.exec(&sql, args).await?;
    }
    for e in &r.events {
        marked += tx
            .exec(
                "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL \
                 AND task = $3 AND task_seq = $4",
                args![user.as_str(), now, e.task.to_string(), e.task_seq as i64],
            )
            .await?;
    }
    tx.commit().await?;
    Ok(Json(ReadOutcome {
        marked,
        unread: unread(&state, &session).await?,
    }))
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
    state
        .db
        .row("SELECT 1 FROM tasks WHERE id = $1", args![task.as_str()])
        .await?
        .ok_or_else(missing)?;
    let rows = state
        .db
        .rows(
            "SELECT n.id, n.user_id, COALESCE(u.name, ''), n.task_seq, n.kind, n.zh, n.en, n.created_at, n.read_at \
             FROM notifications n LEFT JOIN users u ON u.id = n.user_id WHERE n.task = $1 \
             ORDER BY n.task_seq, n.user_id",
            args![task.as_str()],
        )
        .await?;
    let sends = state
        .db
        .rows(
            "SELECT d.notification, d.channel, d.provider, d.outcome, d.detail, d.at FROM deliveries d \
             JOIN notifications n ON n.id = d.notification WHERE n.task = $1 ORDER BY d.at, d.channel",
            args![task.as_str()],
        )
        .await?;
    let mut by_note: std::collections::HashMap<String, Vec<DeliveryRecord>> =
        std::collections::HashMap::new();
    for r in &sends {
        let Some(channel) = duban_core::domain::delivery::Channel::parse(&r.text(1)?) else {
            continue;
        };
        by_note.entry(r.text(0)?).or_default().push(DeliveryRecord {
            channel,
            provider: r.text(2)?,
            outcome: r.text(3)?,
            detail: r.text(4)?,
            at: time_of(r.int(5)?),
        });
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = r.text(0)?;
        out.push(NotificationTrace {
            id: uuid_of(&id)?,
            person: duban_core::domain::UserId(uuid_of(&r.text(1)?)?),
            name: r.text(2)?,
            task_seq: r.int(3)? as u64,
            kind: kind_of(&r.text(4)?)?,
            zh: r.text(5)?,
            en: r.text(6)?,
            at: time_of(r.int(7)?),
            read_at: r.opt_int(8)?.map(time_of),
            deliveries: by_note.remove(&id).unwrap_or_default(),
        });
    }
    Ok(Json(out))
}
