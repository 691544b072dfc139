//! The item page: its trail with verification marks, reports with photos, and the acts on it
//! (review and return, rating, instructions, comments, approvals).

use axum::Router;

use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
