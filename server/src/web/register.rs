//! Registration and dispatch pages (R1, R2): one item, a spreadsheet of many, dispatch to
//! many units in one action.

use axum::Router;

use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
