//! The leaders' portals (R8.1):
//!
//! - `GET /leader`: the deputy leader's portal, their home — the units they are in charge
//!   of, each with its items' lights (counts by colour), what awaits their decision
//!   (extensions, suspensions, resumptions, report and registration approvals: the core's
//!   duties, as the phones' inbox lists them) and those units' overdue items;
//! - the main leader's landing page is the overview (`GET /overview`), with the approvals
//!   waiting for them listed above it ([`decision_rows`]).
//!
//! Both read through `crate::read::leader_portal`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use duban_core::domain::{Code, Role};

use super::{page, row, Chrome, Row, SignedIn};
use crate::auth::Session;
use crate::error::ApiError;
use crate::read::{self, Decision, LeaderPortal};
use crate::AppState;

/// The routes of the portals.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/leader", get(leader_page))
}

/// A decision waiting for the person, as the portals list it.
pub(super) struct DecisionRow {
    pub(super) row: Row,
    pub(super) duty: &'static str,
    pub(super) duty_zh: &'static str,
    pub(super) duty_en: &'static str,
}

/// The decisions as the pages list them.
pub(super) fn decision_rows(session: &Session, decisions: &[Decision]) -> Vec<DecisionRow> {
    decisions
        .iter()
        .map(|d| DecisionRow {
            row: row(session, &d.item),
            duty: d.duty.code(),
            duty_zh: d.duty.zh(),
            duty_en: d.duty.en(),
        })
        .collect()
}

/// A unit in the deputy leader's charge.
struct UnitCard {
    id: String,
    name: String,
    items: u64,
    green: u64,
    yellow: u64,
    red: u64,
    none: u64,
}

#[derive(Template)]
#[template(path = "portal_leader.html")]
struct LeaderPage {
    chrome: Chrome,
    decisions: Vec<DecisionRow>,
    units: Vec<UnitCard>,
    overdue_rows: Vec<Row>,
}

async fn leader_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if !session.actor.roles.has(Role::DeputyLeader) {
        return Redirect::to("/").into_response();
    }
    let now = state.clock.now();
    let p: LeaderPortal = match read::leader_portal(&state, &session, now).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let t = LeaderPage {
        chrome: Chrome::new(Some(&session), &session.org.calendar, "/leader", now),
        decisions: decision_rows(&session, &p.decisions),
        units: p
            .units
            .iter()
            .map(|u| UnitCard {
                id: u.unit.id.to_string(),
                name: u.unit.name.clone(),
                items: u.items,
                green: u.green,
                yellow: u.yellow,
                red: u.red,
                none: u.none,
            })
            .collect(),
        overdue_rows: p.overdue.iter().map(|i| row(&session, i)).collect(),
    };
    page(StatusCode::OK, &t)
}
