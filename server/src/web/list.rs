//! The item list page (R8.2):
//!
//! - `GET /items`: the items the person may read in one of the eight views (全部, 我批示的,
//!   我负责的, 我创建的, 本部门的, 下级的, 我关注的, 共享给我的 — `?view=`), as a switcher of
//!   links with the current one marked; a keyword search (`?q=`: number, title, content,
//!   lead unit, and the title's pinyin, `dljb` finding 道路结冰), a status filter
//!   (`?status=`) and paging (`?page=`). Rows become cards at phone width.
//!
//! The page reads through `crate::read::list`, the same function and parameters as
//! `GET /api/v1/tasks`, so the page and the API list the same items. A filter the read
//! model refuses is shown above the form, with what was typed kept.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use duban_core::domain::derived::view::View;
use duban_core::domain::{Code, Status};
use serde::Deserialize;

use super::{page, row, Chrome, Row, Shown, SignedIn};
use crate::error::{ApiError, Query};
use crate::read::{self, ListQuery};
use crate::AppState;

/// Items per page of the list.
pub const PER_PAGE: u32 = 20;

/// The routes of the list.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/items", get(list_page))
}

/// The list's parameters (a GET form): one value each, empty for none.
#[derive(Debug, Default, Deserialize)]
struct ListForm {
    #[serde(default)]
    view: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<u32>,
}

impl ListForm {
    /// The same query `GET /api/v1/tasks` takes.
    fn query(&self) -> ListQuery {
        let v = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        ListQuery {
            view: v(&self.view),
            q: v(&self.q),
            status: v(&self.status),
            page: self.page,
            per_page: Some(PER_PAGE),
            ..ListQuery::default()
        }
    }

    /// The list's address with these parameters, `page` for the page.
    fn href(&self, view: &str, page: u32) -> String {
        let mut params: Vec<String> = Vec::new();
        if !view.is_empty() && view != "all" {
            params.push(format!("view={}", enc(view)));
        }
        if !self.q.trim().is_empty() {
            params.push(format!("q={}", enc(self.q.trim())));
        }
        if !self.status.trim().is_empty() {
            params.push(format!("status={}", enc(self.status.trim())));
        }
        if page > 1 {
            params.push(format!("page={page}"));
        }
        if params.is_empty() {
            "/items".to_owned()
        } else {
            format!("/items?{}", params.join("&"))
        }
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A view's tab.
struct Tab {
    name: &'static str,
    zh: &'static str,
    en: &'static str,
    href: String,
    here: bool,
}

/// A status of the filter's list.
struct Choice {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "items.html")]
struct ListPage {
    chrome: Chrome,
    tabs: Vec<Tab>,
    view: String,
    q: String,
    statuses: Vec<Choice>,
    error: Option<Shown>,
    rows: Vec<Row>,
    total: u64,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
}

async fn list_page(
    State(state): State<AppState>,
    Query(form): Query<ListForm>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    let current = View::parse(form.view.trim()).unwrap_or_default();
    let (rows, total, page_no, error) = match read::list(&state, &session, form.query(), now).await
    {
        Ok(p) => (
            p.items.iter().map(|i| row(&session, i)).collect(),
            p.total,
            p.page,
            None,
        ),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status.is_server_error() {
                return axum::response::IntoResponse::into_response(e);
            }
            (
                Vec::new(),
                0,
                1,
                Some(Shown {
                    code: e.code,
                    zh: e.zh,
                    en: e.en,
                }),
            )
        }
    };
    let pages = total.div_ceil(u64::from(PER_PAGE)).max(1) as u32;
    let view_name = current.name();
    let t = ListPage {
        chrome: Chrome::new(Some(&session), &session.org.calendar, "/items", now),
        tabs: View::NAMES
            .iter()
            .map(|(name, v)| Tab {
                name,
                zh: v.name_zh(),
                en: v.name_en(),
                href: form.href(name, 1),
                here: *v == current,
            })
            .collect(),
        view: view_name.to_owned(),
        q: form.q.clone(),
        statuses: Status::ALL
            .iter()
            .map(|s| Choice {
                code: s.code(),
                zh: s.zh(),
                en: s.en(),
                chosen: form.status.trim() == s.code(),
            })
            .collect(),
        error,
        rows,
        total,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| form.href(view_name, page_no - 1)),
        next: (page_no < pages).then(|| form.href(view_name, page_no + 1)),
    };
    page(StatusCode::OK, &t)
}
