//! Liveness (`/healthz`), readiness (`/readyz`: the database answers) and Prometheus metrics
//! (`/metrics`).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ping().await {
        (StatusCode::OK, axum::Json(json!({"status": "ready"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "database unavailable"})),
        )
    }
}

/// One number from the database, or -1 if it cannot be read.
async fn gauge(state: &AppState, sql: &str, args: Vec<crate::db::Val>) -> i64 {
    state
        .db
        .row(sql, args)
        .await
        .ok()
        .flatten()
        .and_then(|r| r.int(0).ok())
        .unwrap_or(-1)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let seq = gauge(
        &state,
        "SELECT value FROM counters WHERE name = 'changes'",
        vec![],
    )
    .await;
    let tasks = gauge(&state, "SELECT COUNT(*) FROM tasks", vec![]).await;
    let now = chrono::Utc::now().timestamp_millis();
    let due = gauge(
        &state,
        "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND run_at <= $1",
        vec![crate::db::Val::from(now)],
    )
    .await;
    let dead = gauge(
        &state,
        "SELECT COUNT(*) FROM jobs WHERE state = 'dead'",
        vec![],
    )
    .await;
    let body = state.metrics.render(&[
        (
            "duban_feed_sequence",
            "The last sequence number of the change feed.",
            seq,
        ),
        ("duban_items", "Items stored.", tasks),
        (
            "duban_jobs_due",
            "Deliveries due and not yet taken (a backlog if it grows).",
            due,
        ),
        (
            "duban_jobs_dead",
            "Deliveries set aside after failing again and again (see jobs.last_error).",
            dead,
        ),
    ]);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
