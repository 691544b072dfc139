//! Categories and their attributes, the policy, the calendar, and the providers' state.

use axum::Router;

use crate::AppState;

/// The routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
