//! The read model: items as people browse them (R8.1, R8.2, R8.4, R9.3, R11.2). The JSON
//! routes (`routes::items`) and the pages (`web`) both read through here, so a page and its
//! endpoint cannot disagree. One module per view, each returning typed records:
//!
//! - `items`: the item list (a view of R8.2, filters, sorting and paging), one item's
//!   summary, and the parsing of the list's and the statistics' query ([`ListQuery`],
//!   [`StatsQuery`]);
//! - `detail`: one item — its summary, whole state, quality card, score once completed,
//!   the confidential attributes for those who must see them, the trail and its evidence;
//! - `stats`: counts by status, category, urgency, lead unit, lead handler and light, the
//!   overdue and escalated counts and the on-time completion rate;
//! - `overview`: the leader's overview (R8.1) and the monthly unit ranking (R6.5);
//! - `board`: the public board (R9.3), what anyone may read without signing in;
//! - `workbench`: the supervisor's workbench, the office's duties now;
//! - `portal`: the leaders' portals — the decisions awaiting them, a deputy leader's units
//!   with their lights and overdue items;
//! - `ledger`: the ledger (台账), the list's rows over all its pages with their states;
//! - `periodic`: one period's periodic reports of a recurring item's batch, one row per unit
//!   (the sheet of `/items/{id}/reports`).
//!
//! Only items the person may read are ever counted or shown: the visibility test runs in SQL
//! against the item's audience keys (`db::tasks`), so a handler of unit B learns nothing of
//! unit A's items, not even how many there are. An item the person may not read is
//! [`ReadError::NotFound`], the same as one that does not exist.
//!
//! The views, the status, category, urgency and unit filters, the creation-date range, the
//! text search and the order are applied in SQL (`db::tasks`, the same statement on SQLite
//! and PostgreSQL) from typed filters; the figures derived at the moment of the request —
//! the timeliness light and the effective deadline (which moves while an item is suspended)
//! — are computed here with the core's functions, so a `light` filter or a
//! `date_field=deadline` range is applied to the rows SQL selected, before paging. States
//! come from the [`crate::states::StateCache`] where current.
//!
//! This layer knows no HTTP: it refuses with a [`ReadError`], which the edge turns into an
//! `ApiError` (`query.bad_view`, `query.bad_filter`, `not_found`).

mod board;
mod detail;
mod items;
mod ledger;
mod overview;
mod periodic;
mod portal;
mod stats;
mod workbench;

pub use board::{public_board, Board, BoardItem, BoardUnit};
pub(crate) use detail::latest_events;
pub use detail::{item_detail, ItemDetail, TrailEntry};
pub(crate) use items::{every_state, readable};
pub use items::{
    item_summary, list, ItemPage, ItemSummary, ListQuery, PersonRef, StatsQuery, UnitRef,
    DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_Q,
};
pub(crate) use ledger::{ledger, ledger_chunks, LedgerItem};
pub use overview::{overview, Overview, RankGroup, RankRow, OVERVIEW_LIST};
pub(crate) use overview::{peer_group, period_scores, published_ranking, ranked_groups};
pub use periodic::{period_sheet, PeriodSheet, SheetRow};
pub use portal::{leader_portal, Decision, LeaderPortal, UnitLights};
pub(crate) use stats::{current_month, hotline_for, hotline_table, stats_for};
pub use stats::{Bucket, CompletionStats, HotlineRow, HotlineStats, Stats};
pub use workbench::{workbench, Workbench};

use crate::db::DbError;

/// Why a read was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// `view` names no view of R8.2.
    #[error("unknown view")]
    BadView,
    /// A filter, paging or order parameter is invalid: which, and why (zh-CN and English).
    #[error("the query parameter {param} is invalid: {en}")]
    BadFilter {
        /// The query parameter.
        param: &'static str,
        /// Why (zh-CN).
        zh: String,
        /// Why (English).
        en: String,
    },
    /// No such item, or one the person may not read.
    #[error("no such item")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Something that cannot happen did (detail for the log only).
    #[error("{0}")]
    Internal(String),
}

impl ReadError {
    /// A refused filter parameter.
    pub(crate) fn bad_filter(
        param: &'static str,
        zh: impl std::fmt::Display,
        en: impl std::fmt::Display,
    ) -> ReadError {
        ReadError::BadFilter {
            param,
            zh: zh.to_string(),
            en: en.to_string(),
        }
    }
}
