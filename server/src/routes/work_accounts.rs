//! The work-app bindings over the JSON API (administrators only), the same operations as the
//! console's `/admin/work-apps` (`crate::workapp::accounts`), each change in the
//! administrative trail:
//!
//! - `GET /admin/work-accounts`: every binding (person, app, the app's user id, how, when);
//! - `POST /admin/work-accounts/bind-by-mobile` `{app}`: look every unbound person's phone
//!   up in the app and bind those found;
//! - `DELETE /admin/work-accounts/{user}/{app}`: remove a binding (404 if there is none).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use duban_core::domain::UserId;
use serde::{Deserialize, Serialize};

use super::admin::Admin;
use crate::error::{ApiError, Json, Path};
use crate::workapp::accounts;
use crate::AppState;

/// The routes (under `/api/v1`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/work-accounts", get(list))
        .route("/admin/work-accounts/bind-by-mobile", post(bind_by_mobile))
        .route("/admin/work-accounts/{user}/{app}", delete(remove))
}

/// A binding as the API shows it.
#[derive(Serialize)]
struct Binding {
    user: String,
    app: String,
    app_user: String,
    how: String,
    created_at: DateTime<Utc>,
}

async fn list(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<Binding>>, ApiError> {
    let rows = crate::db::work_accounts::of_people(&state.db, None).await?;
    Ok(Json(
        rows.into_iter()
            .map(|a| Binding {
                user: a.user,
                app: a.app,
                app_user: a.app_user,
                how: a.how,
                created_at: DateTime::<Utc>::from_timestamp_millis(a.created_at)
                    .unwrap_or_default(),
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppBody {
    app: String,
}

/// What a "bind by mobile" did.
#[derive(Serialize)]
struct MobileReport {
    looked_up: usize,
    bound: usize,
    not_found: usize,
    taken: usize,
}

async fn bind_by_mobile(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(body): Json<AppBody>,
) -> Result<Json<MobileReport>, ApiError> {
    let r = accounts::bind_by_mobile(&state, &admin, &body.app).await?;
    Ok(Json(MobileReport {
        looked_up: r.looked_up,
        bound: r.bound,
        not_found: r.not_found,
        taken: r.taken,
    }))
}

async fn remove(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path((user, app)): Path<(UserId, String)>,
) -> Result<StatusCode, ApiError> {
    if accounts::remove(&state, &admin, &user.to_string(), &app).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("绑定", "binding"))
    }
}
