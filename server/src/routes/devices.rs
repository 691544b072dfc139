//! Push registration: `PUT /devices/current` records this session's phone (platform,
//! provider, token, app version), `GET /devices` lists the person's phones, `DELETE
//! /devices/current` forgets this one. A token belongs to one device at a time (a phone that
//! changes hands keeps its token, which moves to whoever registers it now); signing out
//! removes the device (`routes/auth.rs`).

use axum::extract::State;
use axum::routing::{get, put};
use axum::Router;
use chrono::Utc;
use duban_core::domain::Code;
use duban_core::protocol::{Device, DeviceRegistration, Platform, PushProvider};

use crate::auth::Session;
use crate::db::notifications as store;
use crate::error::{ApiError, Json};
use crate::AppState;

/// The longest token accepted (FCM's are about 160 characters, APNs' 64 hex digits, HMS's
/// about 130).
pub const MAX_TOKEN: usize = 4096;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/devices", get(list))
        .route("/devices/current", put(register).delete(forget))
}

fn invalid(zh: &str, en: &str) -> ApiError {
    ApiError::unprocessable(
        "device.invalid",
        format!("设备登记有误:{zh}"),
        format!("invalid device registration: {en}"),
    )
}

/// Checks a registration: a provider that serves the platform, a token of printable
/// characters, a version.
pub fn check(r: &DeviceRegistration) -> Result<(), ApiError> {
    let serves = matches!(
        (r.provider, r.platform),
        (PushProvider::Fcm, Platform::Android | Platform::Ios)
            | (PushProvider::Apns, Platform::Ios)
            | (PushProvider::Hms, Platform::Android | Platform::Harmony)
            | (
                PushProvider::Xiaomi
                    | PushProvider::Oppo
                    | PushProvider::Vivo
                    | PushProvider::Honor,
                Platform::Android
            )
    );
    if !serves {
        return Err(invalid(
            "推送渠道不支持该系统",
            "the provider does not serve that platform",
        ));
    }
    let token_ok = !r.token.is_empty()
        && r.token.len() <= MAX_TOKEN
        && r.token.bytes().all(|b| b.is_ascii_graphic());
    if !token_ok {
        return Err(invalid(
            "推送令牌应为 1 至 4096 个可见字符",
            "the token must be 1 to 4096 printable characters",
        ));
    }
    if r.app_version.trim().is_empty() || r.app_version.chars().count() > 64 {
        return Err(invalid(
            "应用版本应为 1 至 64 个字符",
            "the app version must be 1 to 64 characters",
        ));
    }
    Ok(())
}

async fn register(
    State(state): State<AppState>,
    session: Session,
    Json(r): Json<DeviceRegistration>,
) -> Result<Json<Device>, ApiError> {
    check(&r)?;
    let now = Utc::now().timestamp_millis();
    let user = session.actor.id.to_string();
    let mut tx = state.db.write().await?;
    // The token leaves whichever other device held it.
    let out = store::register_device(&mut tx, &user, &session.device, &r, now)
        .await?
        .ok_or_else(|| ApiError::internal("the device just written is missing"))?;
    tx.commit().await?;
    tracing::info!(user = %user, provider = r.provider.code().to_owned(), "device registered");
    Ok(Json(out))
}

async fn list(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<Device>>, ApiError> {
    let devices = store::devices_of(&state.db, &session.actor.id.to_string()).await?;
    Ok(Json(devices))
}

async fn forget(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<serde_json::Value>, ApiError> {
    let removed =
        store::forget_device(&state.db, &session.actor.id.to_string(), &session.device).await?;
    Ok(Json(serde_json::json!({"removed": removed})))
}
