//! The inbox page (站内通知) and the unread count in every page's header:
//!
//! - `GET /inbox`: the person's notifications, newest first (`?unread=true`: unread only;
//!   `?before=<ms>`: the page older than that), the unread ones marked, each opening its
//!   item;
//! - `POST /inbox/{id}/open`: marks the notification read, then goes to its item;
//! - `POST /inbox/{id}/read`: marks it read and comes back to the inbox (from htmx the
//!   inbox's list and the header's count are swapped in place);
//! - `POST /inbox/read-all`: marks every unread notification read.
//!
//! Reading goes through the same function as `POST /api/v1/notifications/read`
//! ([`notifications::mark`]): the same database functions, so a notification read here no
//! longer climbs to push or SMS, and the person's phones are told through the feed.
//!
//! The header's count ([`badge`], a layer over the pages) is read once per request for the
//! person of the session cookie and handed to [`super::Chrome`] through a task-local value.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use duban_core::domain::Code;
use duban_core::protocol::{InboxNotification, ReadReceipts};
use serde::Deserialize;

use super::{guard, page, signed_in, Chrome, SignedIn};
use crate::db::notifications::{self as store, InboxFilter};
use crate::error::{ApiError, Form, Path, Query};
use crate::feed::keys_of;
use crate::routes::notifications;
use crate::AppState;

/// Notifications per page of the inbox.
pub const PER_PAGE: i64 = 20;

tokio::task_local! {
    /// The unread count of the request's person, while a page is made.
    static UNREAD: Option<u64>;
}

/// The routes of the inbox.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(inbox_page))
        .route("/inbox/read-all", post(read_all))
        .route("/inbox/{id}/open", post(open))
        .route("/inbox/{id}/read", post(read_one))
}

/// A layer over the pages: reads the unread count of the session cookie's person (none
/// when nobody is signed in) for the header of the page being made ([`unread_now`]).
pub async fn badge(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/assets/") {
        return next.run(req).await;
    }
    let count = match signed_in(&state, req.headers()).await {
        Some(s) => notifications::unread(&state, &s).await.ok(),
        None => None,
    };
    UNREAD.scope(count, next.run(req)).await
}

/// The unread count read by [`badge`] for this request, if the person is signed in.
pub fn unread_now() -> Option<u64> {
    UNREAD.try_with(|n| *n).ok().flatten()
}

/// A notification's stored text in `lang`: its text in that language when it is stored, else
/// the one stored (a notice written before both were kept).
fn stored_text<'a>(lang: crate::i18n::Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang.pick(zh, en) {
        "" if zh.is_empty() => en,
        "" => zh,
        text => text,
    }
}

/// A notification as the inbox shows it.
struct Entry {
    id: String,
    task: String,
    /// Its text in the page's language (the other one when only that one is stored).
    text: String,
    at: String,
    urgency: &'static str,
    urgency_code: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    csrf: String,
    unread: u64,
    unread_only: bool,
    entries: Vec<Entry>,
    /// The `before` of the next, older page.
    older: Option<i64>,
    /// Where the mark-read forms come back to.
    back: String,
}

/// `GET /inbox` parameters.
#[derive(Debug, Default, Deserialize)]
struct InboxQuery {
    #[serde(default)]
    unread: bool,
    before: Option<i64>,
}

fn entry(session: &crate::auth::Session, n: &InboxNotification) -> Entry {
    let cal = &session.org.calendar;
    Entry {
        id: n.id.to_string(),
        task: n.task.to_string(),
        text: stored_text(crate::i18n::current(), &n.zh, &n.en).to_owned(),
        at: cal.to_local(n.at).format("%Y-%m-%d %H:%M").to_string(),
        urgency: crate::i18n::current().name(n.urgency),
        urgency_code: n.urgency.code().to_owned(),
        unread: n.read_at.is_none(),
    }
}

async fn inbox_page(
    State(state): State<AppState>,
    Query(q): Query<InboxQuery>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    let keys = keys_of(&session);
    let filter = InboxFilter {
        unread_only: q.unread,
        before: q.before,
        limit: PER_PAGE + 1,
    };
    let mut items = match store::inbox(&state.db, session.user(), &keys, filter).await {
        Ok(i) => i,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let older = if items.len() as i64 > PER_PAGE {
        items.truncate(PER_PAGE as usize);
        items.last().map(|n| n.at.timestamp_millis())
    } else {
        None
    };
    let unread = match notifications::unread(&state, &session).await {
        Ok(n) => n,
        Err(e) => return e.into_response(),
    };
    let mut back = String::from("/inbox");
    let mut params = Vec::new();
    if q.unread {
        params.push("unread=true".to_owned());
    }
    if let Some(b) = q.before {
        params.push(format!("before={b}"));
    }
    if !params.is_empty() {
        back.push('?');
        back.push_str(&params.join("&"));
    }
    let t = InboxPage {
        chrome: Chrome::new(Some(&session), &session.org.calendar, "/inbox", now),
        csrf: guard::form_token(&session),
        unread,
        unread_only: q.unread,
        entries: items.iter().map(|n| entry(&session, n)).collect(),
        older,
        back,
    };
    page(StatusCode::OK, &t)
}

/// The forms' fields (the token is checked by the guard).
#[derive(Debug, Default, Deserialize)]
struct MarkForm {
    /// The notification's item (the open form goes there).
    #[serde(default)]
    task: String,
    /// The inbox page to come back to.
    #[serde(default)]
    back: String,
}

/// Where a mark-read form comes back to: its `back` if it is an inbox page, else `/inbox`.
fn back_to(back: &str) -> &str {
    let b = super::safe_next(back);
    if b == "/inbox" || b.starts_with("/inbox?") {
        b
    } else {
        "/inbox"
    }
}

fn bad_id() -> Response {
    ApiError::bad_request("request.bad_id", "编号无效", "not an id").into_response()
}

async fn mark(
    state: &AppState,
    session: &crate::auth::Session,
    receipts: ReadReceipts,
) -> Result<(), ApiError> {
    notifications::mark(state, session, &receipts)
        .await
        .map(drop)
}

/// `POST /inbox/{id}/open`: marks the notification read, then goes to its item.
async fn open(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn<ToInbox>,
    Form(form): Form<MarkForm>,
) -> Response {
    let (Ok(id), Ok(task)) = (
        uuid::Uuid::parse_str(id.trim()),
        uuid::Uuid::parse_str(form.task.trim()),
    ) else {
        return bad_id();
    };
    let receipts = ReadReceipts {
        ids: vec![id],
        ..ReadReceipts::default()
    };
    match mark(&state, &session, receipts).await {
        Ok(()) => Redirect::to(&format!("/items/{task}")).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /inbox/{id}/read`: marks the notification read and comes back.
async fn read_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn<ToInbox>,
    Form(form): Form<MarkForm>,
) -> Response {
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else {
        return bad_id();
    };
    let receipts = ReadReceipts {
        ids: vec![id],
        ..ReadReceipts::default()
    };
    match mark(&state, &session, receipts).await {
        Ok(()) => Redirect::to(back_to(&form.back)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /inbox/read-all`: marks every unread notification read and comes back.
async fn read_all(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<ToInbox>,
    Form(form): Form<MarkForm>,
) -> Response {
    let receipts = ReadReceipts {
        all: true,
        ..ReadReceipts::default()
    };
    match mark(&state, &session, receipts).await {
        Ok(()) => Redirect::to(back_to(&form.back)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Back to the inbox (its forms are there).
pub struct ToInbox;

impl super::signin::Back for ToInbox {
    fn next(_: &str, _: &str) -> String {
        "/inbox".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::stored_text;
    use crate::i18n::Lang;

    #[test]
    fn a_notice_reads_in_the_pages_language_or_in_the_one_stored() {
        assert_eq!(stored_text(Lang::Zh, "已交办", "dispatched"), "已交办");
        assert_eq!(stored_text(Lang::En, "已交办", "dispatched"), "dispatched");
        assert_eq!(stored_text(Lang::En, "已交办", ""), "已交办");
        assert_eq!(stored_text(Lang::Zh, "", "dispatched"), "dispatched");
    }
}
