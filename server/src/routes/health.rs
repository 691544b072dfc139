//! Liveness (`/healthz`), readiness (`/readyz`: the database answers) and Prometheus metrics
//! (`/metrics`: on the main listener only with the configured `metrics_token`, 404 without
//! one; on `metrics_listen`, [`metrics_router`], open).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::db::gauges;
use crate::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(guarded_metrics))
}

/// `/metrics` alone, open: for the separate `metrics_listen` address.
pub fn metrics_router(state: AppState) -> axum::Router {
    Router::new()
        .route("/metrics", get(metrics))
        .fallback(|| async { crate::error::ApiError::not_found("接口", "endpoint") })
        .with_state(state)
}

/// Whether the request carries the configured metrics token (compared in constant time).
fn has_token(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| {
            blake3::hash(given.trim().as_bytes()) == blake3::hash(token.as_bytes())
        })
}

/// `/metrics` on the main listener: 404 unless a token is configured, 401 without it.
async fn guarded_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return crate::error::ApiError::new(
            StatusCode::NOT_FOUND,
            "metrics.off",
            "此处不提供监控指标(未配置 metrics_token)",
            "the metrics are not served here (no metrics_token is configured)",
        )
        .into_response();
    };
    if !has_token(&headers, token) {
        let mut r = crate::error::ApiError::new(
            StatusCode::UNAUTHORIZED,
            "metrics.unauthorized",
            "监控指标需要配置的访问令牌",
            "the metrics need the configured metrics token (Authorization: Bearer …)",
        )
        .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    metrics(State(state)).await.into_response()
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

/// A number read from the database, or -1 if it cannot be read.
fn gauge(n: Result<Option<i64>, crate::db::DbError>) -> i64 {
    n.ok().flatten().unwrap_or(-1)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let seq = gauge(gauges::feed_sequence(&state.db).await);
    let tasks = gauge(gauges::items(&state.db).await);
    let now = chrono::Utc::now().timestamp_millis();
    let due = gauge(gauges::jobs_due(&state.db, now).await);
    let dead = gauge(gauges::jobs_dead(&state.db).await);
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
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body)
}
