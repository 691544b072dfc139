//! The administration console (`/admin`), for administrators only: anyone else signed in is
//! refused with 403 before anything is read, and anyone not signed in is sent to sign in.
//!
//! - `GET /admin`: the sections, and what needs attention (next year's holidays missing);
//! - [`people`]: units (a tree; create, rename, move, retire, short names and aliases),
//!   accounts (create, roles and units in charge, password reset, unlock, deactivate), the
//!   spreadsheet imports of units and people, and the administrative trail;
//! - [`settings`]: categories and their attributes, the policy, the calendar, and the push
//!   and SMS providers' state (read-only).
//!
//! Every change goes through the same checks as the JSON API (`crate::org`), and is recorded
//! in the administrative trail (`crate::admin_trail`) in the same transaction.

mod people;
mod settings;

pub use settings::holidays_missing;

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use duban_core::domain::Role;

use super::{page, Chrome, SignedIn};
use crate::auth::Session;
use crate::error::ApiError;
use crate::i18n;
use crate::AppState;

/// The console's routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .merge(people::router())
        .merge(settings::router())
}

/// A signed-in administrator, for the console's pages: anyone not signed in is sent to sign
/// in (coming back afterwards), anyone signed in without the role gets 403.
pub struct AdminPage(pub Session);

impl FromRequestParts<AppState> for AdminPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(session, _) =
            SignedIn::<super::signin::Here>::from_request_parts(parts, state).await?;
        if !session.actor.roles.has(Role::Admin) {
            return Err(ApiError::forbidden(
                "仅系统管理员可以使用系统管理",
                "only administrators may use the administration console",
            )
            .into_response());
        }
        Ok(AdminPage(session))
    }
}

/// A section of the console, as the index lists it.
struct Section {
    href: &'static str,
    title: String,
    about: String,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    chrome: Chrome,
    sections: Vec<Section>,
    /// Sends a service refuses for our configuration (an SMS template not approved).
    refusals: Vec<settings::RefusalLine>,
}

/// `GET /admin`.
async fn index(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    let now = state.clock.now();
    let chrome = Chrome::new(Some(&session), &session.org.calendar, "/admin", now);
    let sections = [
        ("/admin/units", "admin-units"),
        ("/admin/accounts", "admin-accounts"),
        ("/admin/import", "admin-import"),
        ("/admin/categories", "admin-categories"),
        ("/admin/policy", "admin-policy"),
        ("/admin/calendar", "admin-calendar"),
        ("/admin/delivery", "admin-delivery"),
        ("/admin/work-apps", "admin-work-apps"),
        ("/admin/trail", "admin-trail"),
    ]
    .into_iter()
    .map(|(href, key)| Section {
        href,
        title: i18n::t(key),
        about: i18n::t(&format!("{key}-about")),
    })
    .collect();
    let refusals = match settings::refusal_lines(&state, &session).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    page(
        StatusCode::OK,
        &IndexPage {
            chrome,
            sections,
            refusals,
        },
    )
}
