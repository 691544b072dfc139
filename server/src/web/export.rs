//! Exports (R9.4): the ledger and the statistics as xlsx for any period; an item's archive as
//! a zip that can be verified offline (R7.5).

use axum::Router;

use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
