//! Units, accounts, the imports of units and people, and the administrative trail.

use axum::Router;

use crate::AppState;

/// The routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
