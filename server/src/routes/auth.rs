//! Sign-in and sessions: `POST /auth/login`, `POST /auth/logout` (which also forgets the
//! device's push registration), `GET /auth/me`,
//! `GET /auth/sessions` (my devices), `POST /auth/sessions/revoke` (sign a lost phone out),
//! `POST /auth/password` (set my own password: required after an administrator's reset).

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use duban_core::protocol::{LoginRequest, LoginResponse, Person};
use serde::{Deserialize, Serialize};

use crate::auth::{change_own_password, end_session, login, revoke_sessions, Session};
use crate::db;
use crate::error::{ApiError, Json};
use crate::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(sign_in))
        .route("/auth/logout", post(sign_out))
        .route("/auth/me", get(me))
        .route("/auth/sessions", get(sessions))
        .route("/auth/sessions/revoke", post(revoke))
        .route("/auth/password", post(change_password))
}

/// `POST /auth/password`: the signed-in person sets their own password.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password now.
    pub current: String,
    /// The new one (the password rules apply).
    pub new: String,
}

async fn change_password(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<PasswordChange>,
) -> Result<Json<serde_json::Value>, ApiError> {
    change_own_password(&state, &session, &req.current, &req.new).await?;
    Ok(Json(serde_json::json!({"changed": true})))
}

async fn sign_in(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    login(&state, req).await.map(Json)
}

async fn sign_out(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<serde_json::Value>, ApiError> {
    end_session(&state, &session).await?;
    Ok(Json(serde_json::json!({"signed_out": true})))
}

async fn me(session: Session) -> Result<Json<Person>, ApiError> {
    session
        .org
        .people
        .get(&session.user())
        .cloned()
        .map(Json)
        .ok_or_else(ApiError::unauthorized)
}

/// One of my sessions.
#[derive(Serialize)]
pub struct SessionInfo {
    /// The device.
    pub device: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Whether it is the one asking.
    pub current: bool,
}

async fn sessions(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<SessionInfo>>, ApiError> {
    let rows = db::org::sessions_of(
        &state.db,
        &session.user().to_string(),
        Utc::now().timestamp_millis(),
    )
    .await?;
    let out = rows
        .into_iter()
        .map(|r| SessionInfo {
            device: r.device,
            created_at: DateTime::from_timestamp_millis(r.created_at).unwrap_or_default(),
            expires_at: DateTime::from_timestamp_millis(r.expires_at).unwrap_or_default(),
            current: r.token_hash == session.token_hash,
        })
        .collect();
    Ok(Json(out))
}

/// `POST /auth/sessions/revoke`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// The device to sign out.
    pub device: String,
}

async fn revoke(
    State(state): State<AppState>,
    session: Session,
    Json(req): Json<RevokeRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut tx = state.db.write().await?;
    let n = revoke_sessions(
        &mut tx,
        &session.user().to_string(),
        Some(req.device.as_str()),
        Utc::now().timestamp_millis(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(serde_json::json!({"revoked": n})))
}
