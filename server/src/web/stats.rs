//! Statistics (R8.4), each person's calendar and timeline (R8.3), anomaly monitoring (R8.5),
//! and the unit head's and personal portals (R8.1).

use axum::Router;

use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
