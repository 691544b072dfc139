//! Scores and rankings by month, quarter and year with every point's breakdown (R6.3, R6.5);
//! bulletins and notices (R9.2).

use axum::Router;

use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
