//! Reading items as a person browses them (R8.2, R8.4, R11.2), over the read model
//! ([`crate::read`]):
//!
//! - `GET /tasks` — the item list: a view (`all`, `instructed`, `responsible`, `created`,
//!   `department`, `subordinates`, `followed`, `shared`), filters, sorting and paging;
//! - `GET /tasks/{id}` — one item: its summary, the whole state, the quality card, the score
//!   once completed, the confidential attributes for those who must see them, and the trail;
//! - `GET /stats` — counts by status, category, urgency, lead unit, lead handler and light,
//!   the overdue and escalated counts and the on-time completion rate;
//! - `GET /overview` — the leader's overview at a glance (R8.1): those figures, the overdue
//!   and escalated items, and this month's unit ranking (R6.5). The web pages render the
//!   same record.
//!
//! Each handler takes the query, asks `read` at the clock's now and answers its record as
//! JSON; a refusal of the read model becomes an `ApiError` (`From<ReadError>`).

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use duban_core::domain::TaskId;

use crate::auth::Session;
use crate::error::{ApiError, Json, Path, Query};
use crate::read::{self, ItemDetail, ItemPage, ListQuery, Overview, ReadError, Stats, StatsQuery};
use crate::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list))
        .route("/tasks/{id}", get(detail))
        .route("/stats", get(stats))
        .route("/overview", get(overview))
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Json<ItemPage>, ApiError> {
    Ok(Json(
        read::list(&state, &session, q, state.clock.now()).await?,
    ))
}

async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<ItemDetail>, ApiError> {
    let now = state.clock.now();
    // An id that is no item's id names no item.
    let id = uuid::Uuid::parse_str(id.trim())
        .map(TaskId)
        .map_err(|_| ReadError::NotFound)?;
    Ok(Json(read::item_detail(&state, &session, id, now).await?))
}

async fn stats(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Stats>, ApiError> {
    Ok(Json(
        read::stats_for(&state, &session, &q, state.clock.now()).await?,
    ))
}

async fn overview(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Overview>, ApiError> {
    Ok(Json(
        read::overview(&state, &session, state.clock.now()).await?,
    ))
}
