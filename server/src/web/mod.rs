//! The office's pages, rendered on the server (askama templates in `server/templates`, htmx
//! and Chart.js vendored under `/assets/`), in one language at a time: the request's
//! ([`crate::i18n`], chosen in [`language`]), every label from the Fluent catalogs, the
//! domain's names and refusals picked from the pairs the core carries, a refusal's stable
//! code shown apart (`<code class="err-code">`); names and titles are data, shown as entered:
//!
//! - `GET /login`, `POST /login`, `POST /logout`: sign-in — the page names the organisation
//!   and offers the other language, as every page's footer does — with the same accounts, lockout
//!   and sessions as the API; the session's token travels in an `HttpOnly`, `SameSite=Strict`
//!   cookie, and every form that changes something carries a token of the session and is
//!   refused from another site (see [`guard`]); after signing in, back to `next` only if it
//!   is a plain path of this site ([`safe_next`]); a page for people signed in takes
//!   [`SignedIn`], which sends anyone else there, coming back afterwards ([`signin`]);
//! - `GET /`: the portal for the person's role (`portal`: a deputy leader's `/leader`);
//!   `GET /overview`: the overview at a glance (R8.1), a leader's approvals above it — item and light counts, charts by unit and status, the overdue and escalated
//!   items, this month's unit ranking — over exactly the items the person may read;
//! - `GET /workbench`: the supervisor's workbench — items to dispatch and to review (the
//!   core's duty rule, as the phones' inbox) and every overdue item, each urged in one click
//!   (`POST /items/{id}/urge`, htmx swapping the row; the form carries its command id, so a
//!   double click urges once; an item urged within the policy's `urge_interval_hours` asks
//!   to confirm first, and urges only with `confirm=1`);
//! - `GET /board`: the public board (督办网, R9.3), readable without signing in: only items
//!   marked public, with no person named, units' progress on them, the unit ranking and the
//!   published public bulletins;
//! - the other pages, one module each: `inbox` (`/inbox`, and the unread count in the
//!   header), `list` (`/items`: the views, keyword search), `portal` (the leaders'
//!   portals), `register` (registration, import, dispatch), `item`
//!   (the item page and its acts, its files), `hotline` (the hotline work-order desk,
//!   the intake form, likely duplicates), `stats` (statistics, a person's calendar and
//!   timeline, monitoring, the unit head's and personal portals), `scores` (rankings with
//!   every point, bulletins), `export` (the ledger and its xlsx, the statistics' xlsx, the
//!   item archive), `uploads` (photos and files from the browser: `PUT /uploads/{hash}`,
//!   `GET /uploads/{hash}/status`, `POST /uploads/{hash}/evidence`), `reports` (one
//!   period's periodic reports of a recurring item's units in one sheet, and its xlsx).
//!
//! The pages read through the same functions as the JSON API (`crate::read`), so a page
//! and `GET /api/v1/overview` never disagree.

mod admin;

pub use admin::holidays_missing;
pub mod assets;
pub mod errors;
mod export;
pub mod guard;
mod hotline;
mod hotline_import;
pub mod inbox;
mod item;
pub mod language;
mod list;
mod portal;
mod register;
mod reports;
mod scores;
pub mod signin;
mod stats;
mod uploads;
pub mod workapps;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use duban_core::domain::calendar::Calendar;
use duban_core::domain::derived::signal::{light_names, NO_LIGHT_SHORT};
use duban_core::domain::derived::Colour;
use duban_core::domain::model::Urgency;
use duban_core::domain::Code;
use duban_core::domain::{Rejection, Role, TaskId};
use duban_core::protocol::{CommandEnvelope, LoginRequest};
use serde::Deserialize;

use crate::auth::{self, Session};
use crate::authority::{self, Outcome};
use crate::error::{ApiError, Form, Path, Query};
use crate::i18n::{self, Lang};
use crate::read::{self, Board, Bucket, ItemSummary, Overview, RankRow};
use crate::AppState;
pub use signin::SignedIn;

/// The session cookie's name.
pub const COOKIE: &str = "duban_session";

/// The routes of the pages (the app puts them behind [`guard::guard`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", axum::routing::post(logout))
        .route("/overview", get(overview_page))
        .route("/workbench", get(workbench_page))
        .route("/items/{id}/urge", axum::routing::post(urge))
        .route("/board", get(board_page))
        .route("/assets/{name}", get(assets::serve))
        .route(
            "/assets/noble-hashes-2.4.0/{name}",
            get(assets::serve_noble),
        )
        .merge(admin::router())
        .merge(inbox::router())
        .merge(language::router())
        .merge(list::router())
        .merge(portal::router())
        .merge(register::router())
        .merge(item::router())
        .merge(stats::router())
        .merge(scores::router())
        .merge(export::router())
        .merge(reports::router())
        .merge(uploads::router())
        .merge(hotline::router())
        .merge(hotline_import::router())
        .merge(workapps::router())
}

/// A link of the top bar.
pub struct NavLink {
    href: &'static str,
    label: String,
    here: bool,
}

/// What every page's frame shows: the assets, the top bar, who is signed in, when.
pub struct Chrome {
    /// The language of the page ([`i18n::current`]): every label comes from its catalog.
    pub lang: Lang,
    /// The organisation's name (its root unit's), shown in the header.
    org_name: String,
    css: &'static str,
    htmx: &'static str,
    chart: &'static str,
    js: &'static str,
    /// The uploads' script (an ES module).
    upload: &'static str,
    nav: Vec<NavLink>,
    who: Option<String>,
    at: String,
    /// The session's form token (empty when not signed in): a hidden field of each form,
    /// and the header htmx sends.
    csrf: String,
    /// The person's unread notifications (signed in only): the header's link to `/inbox`.
    unread: Option<u64>,
    /// Whether this page is the inbox.
    inbox_here: bool,
    /// The page's path and query: where the language form comes back to.
    path: String,
    /// For an administrator on `/admin`, `/workbench` or `/overview` from 1 December: the
    /// year whose holidays are missing ([`admin::holidays_missing`]).
    pub holidays_missing: Option<i32>,
}

impl Chrome {
    fn new(
        session: Option<&Session>,
        calendar: &Calendar,
        here: &str,
        now: DateTime<Utc>,
    ) -> Chrome {
        let mut nav = Vec::new();
        if let Some(s) = session {
            nav.push(("/overview", "nav-overview"));
            nav.push(("/items", "nav-items"));
            if office(s) {
                nav.push(("/workbench", "nav-workbench"));
                nav.push(("/register", "nav-register"));
            }
            if hotline::reads_desk(s) {
                nav.push(("/hotline", "hotline-nav"));
            }
            if s.actor.roles.any(&[Role::UnitHead]) {
                nav.push(("/unit", "nav-unit"));
            }
            if s.actor.roles.has(Role::DeputyLeader) {
                nav.push(("/leader", "nav-leader"));
            }
            nav.push(("/me", "nav-me"));
            nav.push(("/stats", "nav-stats"));
            if monitors(s) {
                nav.push(("/monitor", "nav-monitor"));
            }
            nav.push(("/scores", "nav-scores"));
            nav.push(("/bulletins", "nav-bulletins"));
            nav.push(("/ledger", "nav-ledger"));
            if s.actor.roles.has(Role::Admin) {
                nav.push(("/admin", "nav-admin"));
            }
        }
        nav.push(("/board", "nav-board"));
        let lang = i18n::current();
        let who = session.and_then(|s| {
            s.org
                .people
                .get(&s.user())
                .map(|p| format!("{} {}", p.name, p.position).trim().to_owned())
        });
        let at = calendar.to_local(now).format("%Y-%m-%d %H:%M").to_string();
        Chrome {
            lang,
            org_name: session.map(|s| s.org.name()).unwrap_or_default(),
            css: assets::CSS,
            htmx: assets::HTMX,
            chart: assets::CHART,
            js: assets::JS,
            upload: assets::UPLOAD,
            nav: nav
                .into_iter()
                .map(|(href, key)| NavLink {
                    href,
                    label: lang.t(key),
                    here: href == here || (href != "/" && here.starts_with(&format!("{href}/"))),
                })
                .collect(),
            who,
            at,
            csrf: session.map(guard::form_token).unwrap_or_default(),
            unread: session.and_then(|_| inbox::unread_now()),
            inbox_here: here == "/inbox",
            path: language::here(),
            holidays_missing: session
                .filter(|s| s.actor.roles.has(Role::Admin))
                .filter(|_| ["/admin", "/workbench", "/overview"].contains(&here))
                .and_then(|_| admin::holidays_missing(calendar, now)),
        }
    }
}

impl Chrome {
    /// The message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t_args(key, &[(name, &value)])
    }

    /// The message `key` with two arguments.
    pub fn t2(
        &self,
        key: &str,
        a: &str,
        va: impl std::fmt::Display,
        b: &str,
        vb: impl std::fmt::Display,
    ) -> String {
        self.lang.t_args(key, &[(a, &va), (b, &vb)])
    }

    /// One of a pair the domain carries in both languages.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    /// The other language, offered in the footer.
    pub fn other_lang(&self) -> Lang {
        match self.lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The organisation's name, for the header (empty before signing in).
    pub fn org_name(&self) -> &str {
        &self.org_name
    }
}

/// Renders a template, or the internal error if it cannot be (it always can: askama checks
/// templates at compile time; formatting is what is left to fail).
fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// The value of the request's cookie `name`, if any.
fn cookie_named<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim())
}

/// The live session of the request's cookie, if any.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let token = cookie_named(headers, COOKIE)?;
    Session::of_token(state, token).await.ok()
}

/// The session of the request's cookie, as [`signed_in`], but an error when it could not be
/// looked up (the database failing): the page then answers that error instead of sending a
/// person who is signed in to sign in again.
async fn session_of(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, ApiError> {
    let Some(token) = cookie_named(headers, COOKIE) else {
        return Ok(None);
    };
    match Session::of_token(state, token).await {
        Ok(session) => Ok(Some(session)),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(_) => Ok(None),
    }
}

/// The longest `next` kept after signing in.
const NEXT_MAX: usize = 1024;

/// Where to go back after signing in: `next` if it is a plain path of this site, else `/`
/// (the person's home).
///
/// A plain path starts with one `/` (not `//` or `/\`, which browsers read as another
/// host), is printable ASCII without a backslash (browsers drop tabs and newlines, and read
/// `\` as `/`), is at most [`NEXT_MAX`] bytes long, and stays all that once its
/// percent-escapes are decoded (no `/%2F/host`, no `/%09/host`); resolved against this site,
/// it names this site. Anything else is ignored, never answered with an error.
pub fn safe_next(next: &str) -> &str {
    fn plain(p: &str) -> bool {
        let b = p.as_bytes();
        b.first() == Some(&b'/') && !matches!(b.get(1), Some(b'/' | b'\\'))
    }
    fn decoded_plain(p: &str) -> bool {
        plain(p) && !p.chars().any(|c| c.is_control() || c == '\\')
    }
    if next.len() > NEXT_MAX
        || !plain(next)
        || !next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    {
        return "/";
    }
    // Decoded, and decoded again (`%252F`), it is still a plain path.
    let mut text = next.to_owned();
    for _ in 0..3 {
        let decoded = percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned();
        if !decoded_plain(&decoded) {
            return "/";
        }
        if decoded == text {
            break;
        }
        text = decoded;
    }
    // As a browser resolves it: still this site.
    let resolved = url::Url::parse("http://duban.invalid/").and_then(|base| base.join(next));
    match resolved {
        Ok(u) if u.host_str() == Some("duban.invalid") && u.port().is_none() => next,
        _ => "/",
    }
}

/// Whether the person works in the supervision office (the workbench is theirs).
fn office(session: &Session) -> bool {
    session.actor.roles.any(&[Role::Supervisor, Role::Admin])
}

/// Whether the person watches for anomalies (R8.5): leaders, the office and inspectors.
fn monitors(session: &Session) -> bool {
    session.actor.roles.any(&[
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Supervisor,
        Role::Inspector,
        Role::Admin,
    ])
}

/// `GET /`: the portal for the person's role (the workbench for the office, the deputy
/// leader's portal for a deputy leader, the overview — the approvals waiting above it —
/// for main leaders and inspectors, the unit's portal for a unit head, the personal portal for
/// everyone else), or the sign-in page.
async fn home(SignedIn(s, _): SignedIn) -> Response {
    let to = if office(&s) {
        "/workbench"
    } else if s.actor.roles.has(Role::DeputyLeader) {
        "/leader"
    } else if monitors(&s) {
        "/overview"
    } else if s.actor.roles.has(Role::UnitHead) {
        "/unit"
    } else {
        "/me"
    };
    Redirect::to(to).into_response()
}

/// A refusal shown on the sign-in page.
struct Shown {
    code: String,
    zh: String,
    en: String,
}

impl From<Rejection> for Shown {
    fn from(r: Rejection) -> Shown {
        Shown {
            code: r.code,
            zh: r.zh,
            en: r.en,
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    /// The page's language ([`i18n::current`]).
    lang: Lang,
    /// The other language, which the footer's form switches to.
    other: Lang,
    /// The organisation's name (its root unit's).
    org: String,
    css: &'static str,
    error: Option<Shown>,
    username: String,
    next: String,
    /// The pre-session form token (see [`guard`]).
    csrf: String,
    /// The language form's token: the session's when a session cookie is sent (the guard
    /// then asks for it), else empty (a choice before signing in needs none).
    lang_csrf: String,
    /// Where the language form comes back to (this page, its `next` kept).
    here: String,
    /// QR sign-in with each configured work app (`workapps`).
    qr: Vec<workapps::QrButton>,
}

impl LoginPage {
    /// The sign-in page in the request's language, for the organisation `org`.
    fn new(org: String, session: Option<&Session>, csrf: String, next: &str) -> LoginPage {
        let lang = i18n::current();
        LoginPage {
            lang,
            other: match lang {
                Lang::Zh => Lang::En,
                Lang::En => Lang::Zh,
            },
            org,
            css: assets::CSS,
            error: None,
            username: String::new(),
            next: safe_next(next).to_owned(),
            csrf,
            lang_csrf: session.map(guard::form_token).unwrap_or_default(),
            here: language::here(),
            qr: Vec::new(),
        }
    }
}

/// The organisation's name for the sign-in page (empty if it cannot be read: the page still
/// lets people sign in).
async fn org_name(state: &AppState) -> String {
    match state.org.latest(&state.db).await {
        Ok(org) => org.name(),
        Err(e) => {
            tracing::warn!(error = %e, "the organisation could not be read for the sign-in page");
            String::new()
        }
    }
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login`: the sign-in form, with its pre-session cookie and token.
async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let (csrf, cookie) = match guard::login_form(&headers, secure(&headers)) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let session = signed_in(&state, &headers).await;
    let mut shown = LoginPage::new(org_name(&state).await, session.as_ref(), csrf, &q.next);
    shown.qr = workapps::qr_buttons(&state, &q.next);
    let mut response = page(StatusCode::OK, &shown);
    if let Some(c) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, c);
    }
    response
}

/// The sign-in form.
#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The session cookie of a sign-in: `HttpOnly`, `SameSite=Strict`, until the session
/// expires (`; Secure` behind HTTPS).
fn session_cookie(
    token: &str,
    expires_at: DateTime<Utc>,
    headers: &HeaderMap,
) -> Option<HeaderValue> {
    let max_age = (expires_at - Utc::now()).num_seconds().max(0);
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        secure(headers)
    );
    HeaderValue::from_str(&cookie).ok()
}

/// `; Secure` when the browser reached us over HTTPS through a reverse proxy that says so
/// (`X-Forwarded-Proto: https`; `duban serve` itself speaks plain HTTP behind it).
fn secure(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    if https {
        "; Secure"
    } else {
        ""
    }
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // Each browser sign-in is a device of its own: signing in on a second PC does not end
    // the first one's session.
    let device = match auth::new_token() {
        Ok(t) => format!("web-{}", &t[4..20]),
        Err(e) => return e.into_response(),
    };
    let req = LoginRequest {
        username: form.username.clone(),
        password: form.password,
        device: Some(device),
    };
    match auth::login(&state, req).await {
        Ok(r) => {
            let to = if r.must_change_password {
                "/password"
            } else {
                safe_next(&form.next)
            };
            let mut response = Redirect::to(to).into_response();
            if let Some(v) = session_cookie(&r.token, r.expires_at, &headers) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Err(e) => {
            // A busy server (503 `auth.busy`) says when to retry, as the API does.
            let retry_after = e.retry_after;
            let session = signed_in(&state, &headers).await;
            let mut shown = LoginPage::new(
                org_name(&state).await,
                session.as_ref(),
                guard::login_token(&headers),
                &form.next,
            );
            shown.error = Some(Shown {
                code: e.code,
                zh: e.zh,
                en: e.en,
            });
            shown.username = form.username;
            shown.qr = workapps::qr_buttons(&state, &form.next);
            let mut response = page(e.status, &shown);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

/// `POST /logout`: ends the session (as `POST /api/v1/auth/logout` does) and clears the
/// cookie.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(session) = signed_in(&state, &headers).await {
        if let Err(e) = auth::end_session(&state, &session).await {
            return e.into_response();
        }
    }
    let mut response = Redirect::to("/login").into_response();
    let clear = format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        secure(&headers)
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// A chart's figures, as JSON for the `data-` attributes (HTML-escaped by the template, read
/// back by the browser).
struct ChartData {
    labels: String,
    values: String,
}

/// A chart's figures, each bucket labelled in the page's language, a bucket without a label
/// as unspecified.
fn chart(buckets: &[Bucket]) -> ChartData {
    chart_of(buckets, false)
}

/// A chart's figures as [`chart`]; `named`: each bucket by the name its data holds (units',
/// whose names are data, shown as entered).
fn chart_of(buckets: &[Bucket], named: bool) -> ChartData {
    let lang = i18n::current();
    let labels: Vec<String> = buckets
        .iter()
        .map(|b| {
            let label = if named {
                b.zh.clone()
            } else {
                match (&b.zh, &b.en) {
                    (Some(zh), Some(en)) => Some(lang.pick(zh, en).to_owned()),
                    (zh, en) => zh.clone().or_else(|| en.clone()),
                }
            };
            label.unwrap_or_else(|| lang.t("pg-unspecified"))
        })
        .collect();
    let values: Vec<u64> = buckets.iter().map(|b| b.count).collect();
    ChartData {
        labels: serde_json::to_string(&labels).unwrap_or_default(),
        values: serde_json::to_string(&values).unwrap_or_default(),
    }
}

/// A light and how many items show it.
struct LightCount {
    colour: &'static str,
    /// The light's name in the page's language.
    name: &'static str,
    count: u64,
}

/// An item as a page's table shows it.
struct Row {
    id: String,
    number: String,
    title: String,
    status: &'static str,
    unit: String,
    due: String,
    colour: &'static str,
    light: String,
    urgency: String,
    /// The urgency's name in the page's language.
    urgency_name: &'static str,
    progress: u8,
}

/// A rate as the pages show it: `87.5%`, or `—` when nothing was due.
fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
}

/// A light's CSS class (`green`, `yellow`, `red`, `none`).
fn colour_class(c: Option<Colour>) -> &'static str {
    light_names(c).0
}

/// An urgency's name in the page's language (普通, 紧急, 特急).
fn urgency_name(u: Urgency) -> &'static str {
    i18n::current().name(u)
}

/// An item as the tables show it, its names (status, light, urgency) in the page's language.
fn row(session: &Session, i: &ItemSummary) -> Row {
    let cal = &session.org.calendar;
    let lang = i18n::current();
    Row {
        id: i.id.to_string(),
        number: i.number.clone(),
        title: i.title.clone(),
        status: lang.name(i.status),
        unit: i
            .lead_unit
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        due: i
            .effective_deadline
            .map(|d| cal.due_date(d).to_string())
            .unwrap_or_default(),
        colour: colour_class(i.light.as_ref().map(|l| l.colour)),
        light: i
            .light
            .as_ref()
            .map(|l| lang.pick(&l.zh, &l.en).to_owned())
            .unwrap_or_default(),
        urgency: i.urgency.code().to_owned(),
        urgency_name: urgency_name(i.urgency),
        progress: i.progress,
    }
}

/// A ranking row as the tables show it.
struct Ranked {
    rank: u32,
    unit: String,
    score: String,
}

/// One peer group's ranking table: its caption and its rows.
struct RankTable {
    caption: String,
    key: String,
    rows: Vec<Ranked>,
}

/// The rows, one table per peer group (the rows come group after group).
fn ranked(rows: &[RankRow]) -> Vec<RankTable> {
    let lang = i18n::current();
    let mut tables: Vec<RankTable> = Vec::new();
    for r in rows {
        let row = Ranked {
            rank: r.rank,
            unit: r.unit.name.clone(),
            score: r.score.clone(),
        };
        match tables.last_mut() {
            Some(t) if t.key == r.group.key => t.rows.push(row),
            _ => tables.push(RankTable {
                caption: r.group.caption(lang),
                key: r.group.key.clone(),
                rows: vec![row],
            }),
        }
    }
    tables
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    heading: String,
    scope: String,
    total: u64,
    overdue: u64,
    escalated: u64,
    completion: String,
    lights: Vec<LightCount>,
    by_unit: ChartData,
    by_status: ChartData,
    overdue_rows: Vec<Row>,
    escalated_rows: Vec<Row>,
    period: String,
    ranking: Vec<RankTable>,
    /// The approvals waiting for a leader (listed above the overview).
    decisions: Vec<portal::DecisionRow>,
    /// Whether the person is a leader (the approvals' panel is shown).
    leader: bool,
}

/// The overview page's record for `session` at `now` (the bench renders it directly).
pub async fn overview_html(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let o: Overview = read::overview(state, session, now).await?;
    let leader = session
        .actor
        .roles
        .any(&[Role::MainLeader, Role::DeputyLeader]);
    let scope = if session.actor.roles.any(&[
        Role::MainLeader,
        Role::Supervisor,
        Role::Inspector,
        Role::Admin,
    ]) {
        i18n::t("overview-scope-all")
    } else {
        i18n::t("overview-scope-mine")
    };
    let light = |key: &str| {
        o.stats
            .by_light
            .iter()
            .find(|b| b.key == key)
            .map_or(0, |b| b.count)
    };
    let decisions = if leader {
        let p = read::leader_portal(state, session, now).await?;
        portal::decision_rows(session, &p.decisions)
    } else {
        Vec::new()
    };
    let t = OverviewPage {
        decisions,
        leader,
        chrome: Chrome::new(Some(session), &session.org.calendar, "/overview", now),
        heading: i18n::t(if leader {
            "overview-heading-leader"
        } else {
            "overview-heading"
        }),
        scope,
        total: o.stats.total,
        overdue: o.stats.overdue,
        escalated: o.stats.escalated,
        completion: percent(o.stats.completion.percent),
        lights: Colour::ALL
            .iter()
            .map(|c| (c.code(), c.zh(), c.en()))
            .chain([NO_LIGHT_SHORT])
            .map(|(colour, zh, en)| LightCount {
                colour,
                name: i18n::current().pick(zh, en),
                count: light(colour),
            })
            .collect(),
        by_unit: chart_of(&o.stats.by_unit, true),
        by_status: chart(&o.stats.by_status),
        overdue_rows: o.overdue.iter().map(|i| row(session, i)).collect(),
        escalated_rows: o.escalated.iter().map(|i| row(session, i)).collect(),
        period: o.period.clone(),
        ranking: ranked(&o.ranking),
    };
    t.render().map_err(ApiError::internal)
}

async fn overview_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    match overview_html(&state, &session, state.clock.now()).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A public item as the board shows it: no person named, no confidential field (those are
/// never in the item's state), only what its registration made public.
struct BoardRow {
    number: String,
    title: String,
    category: String,
    unit: String,
    status: &'static str,
    due: String,
    colour: &'static str,
    light: String,
    urgency: String,
    /// The urgency's name in the page's language.
    urgency_name: &'static str,
    progress: u8,
}

/// A unit's progress on the public items it leads.
struct UnitProgress {
    unit: String,
    items: u64,
    done: u64,
    overdue: u64,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    org: String,
    items: Vec<BoardRow>,
    units: Vec<UnitProgress>,
    period: String,
    ranking: Vec<RankTable>,
    bulletins: Vec<scores::BulletinView>,
}

/// The public board's page at `now`.
pub async fn board_html(
    state: &AppState,
    session: Option<&Session>,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let b: Board = read::public_board(state, now).await?;
    let org = state.org.latest(&state.db).await?;
    let lang = i18n::current();
    let t = BoardPage {
        chrome: Chrome::new(session, &org.calendar, "/board", now),
        org: b.organisation.clone(),
        items: b
            .items
            .iter()
            .map(|i| BoardRow {
                number: i.number.clone(),
                title: i.title.clone(),
                category: lang.pick(&i.category_zh, &i.category_en).to_owned(),
                unit: i.lead_unit.clone(),
                status: lang.pick(i.status_zh, i.status_en),
                due: i.due.map(|d| d.to_string()).unwrap_or_default(),
                colour: colour_class(i.colour),
                light: lang.pick(&i.light_zh, &i.light_en).to_owned(),
                urgency: i.urgency.code().to_owned(),
                urgency_name: urgency_name(i.urgency),
                progress: i.progress,
            })
            .collect(),
        units: b
            .units
            .iter()
            .map(|u| UnitProgress {
                unit: u.unit.name.clone(),
                items: u.items,
                done: u.done,
                overdue: u.overdue,
            })
            .collect(),
        period: b.period.clone(),
        ranking: ranked(&b.ranking),
        bulletins: scores::public_bulletins(state, &org).await?,
    };
    t.render().map_err(ApiError::internal)
}

async fn board_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = signed_in(&state, &headers).await;
    match board_html(&state, session.as_ref(), state.clock.now()).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// An overdue item's row on the workbench, with its one-click urge: the form carries a
/// fresh command id, so a double click or a resent form urges once.
struct UrgeRow {
    /// The page's language.
    lang: Lang,
    row: Row,
    urges: usize,
    command: String,
    urged_now: bool,
    error: Option<Shown>,
    /// The session's form token.
    csrf: String,
    /// When the item was last urged, if within the policy's interval and not confirmed yet:
    /// the row asks to confirm instead of urging (the question, in the page's language).
    confirm: Option<String>,
    /// The note sent with the urging (kept while asking to confirm).
    note: String,
}

impl UrgeRow {
    fn of(session: &Session, i: &ItemSummary) -> UrgeRow {
        UrgeRow {
            lang: i18n::current(),
            row: row(session, i),
            urges: i.urges,
            command: uuid::Uuid::new_v4().to_string(),
            urged_now: false,
            error: None,
            csrf: guard::form_token(session),
            confirm: None,
            note: String::new(),
        }
    }
}

impl std::ops::Deref for UrgeRow {
    type Target = Row;
    fn deref(&self) -> &Row {
        &self.row
    }
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct WorkbenchPage {
    chrome: Chrome,
    to_dispatch: Vec<Row>,
    to_review: Vec<Row>,
    overdue: Vec<UrgeRow>,
}

#[derive(Template)]
#[template(path = "urge_row.html")]
struct UrgeFragment {
    r: UrgeRow,
}

/// The workbench page for `session` at `now`.
pub async fn workbench_html(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let w = read::workbench(state, session, now).await?;
    WorkbenchPage {
        chrome: Chrome::new(Some(session), &session.org.calendar, "/workbench", now),
        to_dispatch: w.to_dispatch.iter().map(|i| row(session, i)).collect(),
        to_review: w.to_review.iter().map(|i| row(session, i)).collect(),
        overdue: w.overdue.iter().map(|i| UrgeRow::of(session, i)).collect(),
    }
    .render()
    .map_err(ApiError::internal)
}

async fn workbench_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if !office(&session) {
        return ApiError::forbidden(
            "工作台只供督查办使用",
            "the workbench is the supervision office's",
        )
        .into_response();
    }
    match workbench_html(&state, &session, state.clock.now()).await {
        Ok(html) => Html(html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The question asked before urging an item urged at `last` (local time) again.
fn confirm_question(last: &str) -> String {
    i18n::t_args("urge-confirm-row", &[("at", &last)])
}

/// The urge form.
#[derive(Deserialize)]
struct UrgeForm {
    /// The command's id, made when the page was rendered.
    command: String,
    #[serde(default)]
    note: String,
    /// `message` (the default) or `phone`.
    #[serde(default)]
    channel: String,
    /// A recorded call's local time (`YYYY-MM-DDTHH:MM`) and who answered.
    #[serde(default)]
    call_at: String,
    #[serde(default)]
    answered_by: String,
    /// `1`: urge even though the item was urged within the policy's interval.
    #[serde(default)]
    confirm: String,
}

/// `POST /items/{id}/urge`: urges the item (催办, R4.3) as the person signed in, through the
/// authority like any command, with an optional note (and a recorded phone call, as the item
/// page's form sends it). An item urged within the policy's interval (`urge_interval_hours`)
/// is not urged again unless the form confirms (`confirm=1`): the row comes back asking.
/// From htmx, answers the item's new row; from a plain form, goes back to the workbench (or,
/// to confirm, to the item page with its urge form asking).
async fn urge(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn<signin::ToWorkbench>,
    Form(form): Form<UrgeForm>,
) -> Response {
    let (Ok(task), Ok(command)) = (
        uuid::Uuid::parse_str(id.trim()),
        uuid::Uuid::parse_str(form.command.trim()),
    ) else {
        return ApiError::bad_request("request.bad_id", "编号无效", "not an id").into_response();
    };
    let task = TaskId(task);
    let now = state.clock.now();
    let htmx = headers.get("hx-request").is_some();
    let row = |outcome: Option<Outcome>, confirm: Option<String>| {
        let (state, session, note) = (&state, &session, form.note.clone());
        async move {
            let item = match read::item_summary(state, session, task, now)
                .await
                .map_err(ApiError::from)
            {
                Ok(Some(i)) => i,
                Ok(None) => return ApiError::not_found("事项", "item").into_response(),
                Err(e) => return e.into_response(),
            };
            let mut r = UrgeRow::of(session, &item);
            match outcome {
                Some(Outcome::Accepted(_)) => r.urged_now = true,
                // The same id again would be refused the same way: a new one for the next try.
                Some(Outcome::Refused(rejection)) => r.error = Some(rejection.into()),
                None => {}
            }
            r.confirm = confirm;
            r.note = note;
            page(StatusCode::OK, &UrgeFragment { r })
        }
    };
    if form.confirm != "1" {
        match item::urged_lately_of(&state, &session, task, command, now).await {
            Ok(Some(Some(last))) if htmx => {
                let last = session.org.calendar.to_local(last);
                let question = confirm_question(&last.format("%Y-%m-%d %H:%M:%S").to_string());
                return row(None, Some(question)).await;
            }
            Ok(Some(Some(last))) => {
                // A plain form: the item page, its urge form asking to confirm.
                let typed = item::UrgeTyped {
                    note: form.note.clone(),
                    channel: form.channel.clone(),
                    call_at: form.call_at.clone(),
                    answered_by: form.answered_by.clone(),
                };
                return item::confirm_urge_page(&state, &session, task, now, last, typed).await;
            }
            Ok(Some(None)) => {}
            Ok(None) => return ApiError::not_found("事项", "item").into_response(),
            Err(e) => return e.into_response(),
        }
    }
    let urge = match item::urge_command(
        &session.org.calendar,
        &form.channel,
        &form.note,
        &form.call_at,
        &form.answered_by,
    ) {
        Ok(c) => c,
        Err(shown) => {
            return ApiError::unprocessable(&shown.code, shown.zh, shown.en).into_response()
        }
    };
    let env = CommandEnvelope {
        id: command,
        task,
        command: urge,
    };
    let outcome = match authority::apply(&state, &session.org, &session.actor, &env, now).await {
        Ok(o) => o,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !htmx {
        return Redirect::to("/workbench").into_response();
    }
    row(Some(outcome), None).await
}
