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

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let seq = state
        .db
        .row("SELECT value FROM counters WHERE name = 'changes'", vec![])
        .await
        .ok()
        .flatten()
        .and_then(|r| r.int(0).ok())
        .unwrap_or(-1);
    let tasks = state
        .db
        .row("SELECT COUNT(*) FROM tasks", vec![])
        .await
        .ok()
        .flatten()
        .and_then(|r| r.int(0).ok())
        .unwrap_or(-1);
    let body = state.metrics.render(&[
        (
            "duban_feed_sequence",
            "The last sequence number of the change feed.",
            seq,
        ),
        ("duban_items", "Items stored.", tasks),
    ]);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
