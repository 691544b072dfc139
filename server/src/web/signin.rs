//! Signing in on the pages: [`SignedIn`], the extractor of a page handler that runs only for
//! a person signed in, and sends anyone else to `/login`, with the page to come back to after
//! signing in ([`Back`]).
//!
//! Pages that anonymous visitors see too (the public board) and sign-out read the session
//! themselves (`signed_in`); the files (`GET /files/{hash}`) answer 401 as the API
//! does.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::session_of;
use crate::auth::Session;
use crate::AppState;

/// The person signed in on a page: the live session of the request's cookie.
///
/// Anyone else (no cookie, or the cookie of a session that has expired or was signed out or
/// revoked, or of an account that was disabled) is sent to sign in: `303` to
/// `/login?next=…`, coming back afterwards to the page `B` names (by default [`Here`]). When
/// the session cannot be looked up (the database failing), the page is that error (500).
///
/// Axum runs a handler's extractors in order: a page takes this one after its path and
/// query, which are refused first when malformed, and before its form, which comes last.
pub struct SignedIn<B = Here>(pub Session, pub(super) PhantomData<fn() -> B>);

impl<B: Back> FromRequestParts<AppState> for SignedIn<B> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match session_of(state, &parts.headers).await {
            // A password an administrator set must be replaced before anything else.
            Ok(Some(session))
                if session.must_change_password && parts.uri.path() != "/password" =>
            {
                return Err(Redirect::to("/password").into_response())
            }
            Ok(Some(session)) => return Ok(SignedIn(session, PhantomData)),
            Ok(None) => {}
            // The session could not be looked up: an error page, not the sign-in form.
            Err(e) => return Err(e.into_response()),
        }
        let id = RawPathParams::from_request_parts(parts, state)
            .await
            .ok()
            .and_then(|p| p.iter().next().map(|(_, v)| v.to_owned()))
            .unwrap_or_default();
        let path = percent_encoding::percent_decode_str(parts.uri.path()).decode_utf8_lossy();
        Err(to_login(&B::next(&path, &id)))
    }
}

/// The page a person sent to sign in comes back to.
pub trait Back {
    /// The path to come back to, from the request's path and its first path parameter, both
    /// percent-decoded as `Path` reads them (the parameter is empty on a route without one).
    fn next(path: &str, id: &str) -> String;
}

/// Back to the page asked for: its path, without its query.
pub struct Here;

impl Back for Here {
    fn next(path: &str, _: &str) -> String {
        path.to_owned()
    }
}

/// Back to the workbench (the urge form is on it).
pub struct ToWorkbench;

impl Back for ToWorkbench {
    fn next(_: &str, _: &str) -> String {
        "/workbench".to_owned()
    }
}

/// Back to the item's page `/items/{id}` (its acts' form is on it).
pub struct ToItem;

impl Back for ToItem {
    fn next(_: &str, id: &str) -> String {
        format!("/items/{id}")
    }
}

/// Back to the person's page `/people/{id}`, the id trimmed as the page reads it.
pub struct ToPerson;

impl Back for ToPerson {
    fn next(_: &str, id: &str) -> String {
        format!("/people/{}", id.trim())
    }
}

/// Back to the item's archive `/items/{id}/archive.zip`, the id escaped once before
/// `to_login` escapes the whole path.
pub struct ToArchive;

impl Back for ToArchive {
    fn next(_: &str, id: &str) -> String {
        format!("/items/{}/archive.zip", crate::push::percent(id))
    }
}

/// Back to the ledger (its downloads and the statistics' download are on it).
pub struct ToLedger;

impl Back for ToLedger {
    fn next(_: &str, _: &str) -> String {
        "/ledger".to_owned()
    }
}

/// Back to the rankings (the adjustment form is on them).
pub struct ToScores;

impl Back for ToScores {
    fn next(_: &str, _: &str) -> String {
        "/scores".to_owned()
    }
}

/// Back to the import page (the form that runs an import is on it).
pub struct ToImport;

impl Back for ToImport {
    fn next(_: &str, _: &str) -> String {
        "/register/import".to_owned()
    }
}

/// To the sign-in page, coming back to `path` afterwards.
fn to_login(path: &str) -> Response {
    // Every byte but letters, digits and `/ - _ .` is escaped.
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.');
    let next = percent_encoding::utf8_percent_encode(path, ESCAPED);
    Redirect::to(&format!("/login?next={next}")).into_response()
}
