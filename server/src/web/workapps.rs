//! The work apps on the pages (`crate::workapp`): sign-in from DingTalk and WeCom, and the
//! administrator's view of who is bound to whom.
//!
//! - `GET /sso/dingtalk?next=…`: the 免登 page DingTalk's H5 container opens (every work
//!   notification links to it). It loads DingTalk's JSAPI — the one page whose
//!   Content-Security-Policy admits that script's origin — and `duban.js` asks it for a code
//!   (`dd.runtime.permission.requestAuthCode({corpId})`) and posts the code with the form:
//!   `POST /sso/dingtalk` exchanges it for the userid and signs the person in.
//! - `GET /sso/wecom?next=…`: sends the browser to WeCom's OAuth2 page inside the app, which
//!   comes back to `GET /sso/wecom/callback?code&state`.
//! - QR sign-in on the PC, a button on the sign-in page per configured app:
//!   `GET /sso/dingtalk/qr` (to DingTalk's sign-in page, back at the same path with
//!   `authCode` and `state`) and `GET /sso/wecom/qr` (to WeCom's, back at the callback).
//! - Each round trip carries a random `state` bound to a cookie (`duban_sso`, `HttpOnly`,
//!   `SameSite=Lax` so that it comes back with the app's redirect, ten minutes), checked on
//!   return; a forged or stale state is refused. `next` travels in that cookie and is kept
//!   only if it is a plain path of this site (`safe_next`).
//! - A user id bound to a person signs that person in as the sign-in form does (the same
//!   sessions, lockout and counts: `auth::sign_in_vouched`). An unbound id is bound at its
//!   first sign-in when the app tells its mobile and exactly one active person has it
//!   (`workapp::accounts::person_of`); anyone else gets a page saying the account is not
//!   bound and whom to ask (403). After a redirect from another site the session cookie
//!   (`SameSite=Strict`) would not be sent on a redirect, so those flows answer a short page
//!   that goes on to `next` from this site.
//! - `GET /admin/work-apps`: each person's bindings, "bind by mobile" per configured app
//!   (`POST /admin/work-apps/bind-by-mobile`), and removing one
//!   (`POST /admin/work-apps/remove`); administrators only, each change in the trail.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::admin::AdminPage;
use super::{assets, page, safe_next, secure, Chrome};
use crate::auth;
use crate::error::{ApiError, Form, Query};
use crate::i18n::{self, Lang};
use crate::workapp::{accounts, dingtalk};
use crate::AppState;

/// The cookie that binds a sign-in round trip's `state` (and `next`).
pub const STATE_COOKIE: &str = "duban_sso";

/// The routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sso/dingtalk", get(dingtalk_page).post(dingtalk_code))
        .route("/sso/dingtalk/qr", get(dingtalk_qr))
        .route("/sso/wecom", get(wecom_start))
        .route("/sso/wecom/qr", get(wecom_qr))
        .route("/sso/wecom/callback", get(wecom_callback))
        .route("/admin/work-apps", get(admin_page))
        .route("/admin/work-apps/bind-by-mobile", post(bind_by_mobile))
        .route("/admin/work-apps/remove", post(remove))
}

// ----- the round trip's state ------------------------------------------------------------

/// A new round trip: its `state` and the cookie that holds it with `next`.
fn begin(headers: &HeaderMap, next: &str) -> Result<(String, HeaderValue), ApiError> {
    let token = auth::new_token()?;
    let state = token[4..36].to_owned();
    let cookie = format!(
        "{STATE_COOKIE}={state}.{}; Path=/sso; HttpOnly; SameSite=Lax; Max-Age=600{}",
        crate::push::percent(safe_next(next)),
        secure(headers)
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    Ok((state, cookie))
}

/// The `next` of the round trip whose cookie holds `state`, if it does.
fn check(headers: &HeaderMap, state: &str) -> Option<String> {
    let value = super::cookie_named(headers, STATE_COOKIE)?;
    let (held, next) = value.split_once('.')?;
    let same = !state.is_empty()
        && blake3::hash(held.as_bytes()) == blake3::hash(state.as_bytes())
        && held.len() == 32;
    if !same {
        return None;
    }
    let next = percent_encoding::percent_decode_str(next)
        .decode_utf8()
        .ok()?;
    Some(safe_next(&next).to_owned())
}

/// Ends the round trip's cookie.
fn clear(headers: &HeaderMap) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{STATE_COOKIE}=; Path=/sso; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure(headers)
    ))
    .ok()
}

/// A redirect to another site, with the round trip's cookie.
fn away(to: &str, cookie: HeaderValue) -> Response {
    let mut r = Redirect::to(to).into_response();
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

// ----- pages -----------------------------------------------------------------------------

/// The app's name in the page's language.
fn app_name(lang: Lang, app: &str) -> String {
    lang.t(&format!("config-provider-{app}"))
}

#[derive(Template)]
#[template(path = "sso_refused.html")]
struct RefusedPage {
    lang: Lang,
    css: &'static str,
    title: String,
    message: String,
    advice: String,
}

/// The refusal: `what` is `unbound` (nobody is bound to the app's user) or `state` (the
/// round trip cannot be trusted: forged, stale, or from another browser).
fn refused(app: &str, what: &str) -> Response {
    let lang = i18n::current();
    let name = app_name(lang, app);
    let t = |key: &str| {
        crate::i18n::t_args(&format!("workapps-refused-{what}-{key}"), &[("app", &name)])
    };
    let mut r = page(
        StatusCode::FORBIDDEN,
        &RefusedPage {
            lang,
            css: assets::CSS,
            title: t("title"),
            message: t("message"),
            advice: t("advice"),
        },
    );
    r.extensions_mut().insert(lang);
    r
}

#[derive(Template)]
#[template(path = "sso_continue.html")]
struct ContinuePage {
    lang: Lang,
    css: &'static str,
    next: String,
}

/// Signs in the person the app vouched for (`app_user` in `app`), then goes on to `next`:
/// by a redirect when the request came from this site (`direct`), else by a page of this
/// site (see the module's text).
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    app: &str,
    app_user: &str,
    next: &str,
    direct: bool,
) -> Response {
    let person = match accounts::person_of(state, app, app_user).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            tracing::info!(app, "a work-app user with no binding was refused");
            return refused(app, "unbound");
        }
        Err(e) => return e.into_response(),
    };
    let device = match auth::new_token() {
        Ok(t) => format!("web-{}", &t[4..20]),
        Err(e) => return e.into_response(),
    };
    let r = match auth::sign_in_vouched(state, &person, &device).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    state
        .metrics
        .count(&format!("duban_work_app_sign_ins_total{{app=\"{app}\"}}"));
    let to = if r.must_change_password {
        "/password".to_owned()
    } else {
        safe_next(next).to_owned()
    };
    let mut response = if direct {
        Redirect::to(&to).into_response()
    } else {
        page(
            StatusCode::OK,
            &ContinuePage {
                lang: i18n::current(),
                css: assets::CSS,
                next: to,
            },
        )
    };
    if let Some(c) = super::session_cookie(&r.token, r.expires_at, headers) {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    if let Some(c) = clear(headers) {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Template)]
#[template(path = "sso_dingtalk.html")]
struct DingTalkPage {
    lang: Lang,
    css: &'static str,
    js: &'static str,
    jsapi: &'static str,
    corp_id: String,
    state: String,
    next: String,
    /// The form token of the request's session cookie, if it has one (the guard asks for it).
    csrf: String,
}

/// `GET /sso/dingtalk`: the 免登 page.
async fn dingtalk_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let Some(d) = state.workapps.dingtalk.clone() else {
        return crate::error::ApiError::not_found("钉钉登录", "DingTalk sign-in").into_response();
    };
    let (sso, cookie) = match begin(&headers, &q.next) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    // With a session cookie (live, or stale: an expired session in the app's browser), the
    // guard asks the form for its token.
    let csrf = super::cookie_named(&headers, super::COOKIE)
        .map(super::guard::form_token_of_cookie)
        .unwrap_or_default();
    let mut r = page(
        StatusCode::OK,
        &DingTalkPage {
            lang: i18n::current(),
            css: assets::CSS,
            js: assets::JS,
            jsapi: dingtalk::JSAPI_URL,
            corp_id: d.corp_id().to_owned(),
            state: sso,
            next: safe_next(&q.next).to_owned(),
            csrf,
        },
    );
    let h = r.headers_mut();
    h.append(header::SET_COOKIE, cookie);
    // This page alone may run DingTalk's JSAPI, from its origin.
    let csp = super::errors::CSP.replacen(
        "script-src 'self'",
        &format!("script-src 'self' {}", dingtalk::JSAPI_ORIGIN),
        1,
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
}

/// `POST /sso/dingtalk`: the code from the JSAPI.
async fn dingtalk_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Response {
    let Some(d) = state.workapps.dingtalk.clone() else {
        return crate::error::ApiError::not_found("钉钉登录", "DingTalk sign-in").into_response();
    };
    let Some(next) = check(&headers, &f.state) else {
        return refused("dingtalk", "state");
    };
    if f.code.trim().is_empty() || f.code.len() > 512 {
        return refused("dingtalk", "state");
    }
    match d.user_of_code(f.code.trim()).await {
        Ok(user) => signed_in(&state, &headers, "dingtalk", &user, &next, true).await,
        Err(e) => accounts::api_error(&e).into_response(),
    }
}

#[derive(Deserialize)]
struct DingTalkQr {
    #[serde(default, rename = "authCode")]
    auth_code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    next: String,
}

/// `GET /sso/dingtalk/qr`: to DingTalk's sign-in page, and back with `authCode`.
async fn dingtalk_qr(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DingTalkQr>,
) -> Response {
    let Some(d) = state.workapps.dingtalk.clone() else {
        return crate::error::ApiError::not_found("钉钉登录", "DingTalk sign-in").into_response();
    };
    if q.auth_code.is_empty() && q.state.is_empty() {
        let (sso, cookie) = match begin(&headers, &q.next) {
            Ok(b) => b,
            Err(e) => return e.into_response(),
        };
        let back = format!("{}/sso/dingtalk/qr", d.public_url());
        return away(&d.qr_url(&back, &sso), cookie);
    }
    let Some(next) = check(&headers, &q.state) else {
        return refused("dingtalk", "state");
    };
    if q.auth_code.is_empty() || q.auth_code.len() > 512 {
        return refused("dingtalk", "state");
    }
    match d.user_of_qr_code(&q.auth_code).await {
        Ok(user) => signed_in(&state, &headers, "dingtalk", &user, &next, false).await,
        // Not a member of the organisation's DingTalk.
        Err(e) if e.errcode() == Some(60121) => refused("dingtalk", "unbound"),
        Err(e) => accounts::api_error(&e).into_response(),
    }
}

/// `GET /sso/wecom`: to WeCom's OAuth2 page inside the app.
async fn wecom_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let Some(w) = state.workapps.wecom.clone() else {
        return crate::error::ApiError::not_found("企业微信登录", "WeCom sign-in").into_response();
    };
    let (sso, cookie) = match begin(&headers, &q.next) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let back = format!("{}/sso/wecom/callback", w.public_url());
    away(&w.oauth_url(&back, &sso), cookie)
}

/// `GET /sso/wecom/qr`: to WeCom's sign-in page on the PC.
async fn wecom_qr(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let Some(w) = state.workapps.wecom.clone() else {
        return crate::error::ApiError::not_found("企业微信登录", "WeCom sign-in").into_response();
    };
    let (sso, cookie) = match begin(&headers, &q.next) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let back = format!("{}/sso/wecom/callback", w.public_url());
    away(&w.qr_url(&back, &sso), cookie)
}

#[derive(Deserialize)]
struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
}

/// `GET /sso/wecom/callback`: back from WeCom with `code` and `state`.
async fn wecom_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let Some(w) = state.workapps.wecom.clone() else {
        return crate::error::ApiError::not_found("企业微信登录", "WeCom sign-in").into_response();
    };
    let Some(next) = check(&headers, &q.state) else {
        return refused("wecom", "state");
    };
    if q.code.is_empty() || q.code.len() > 512 {
        return refused("wecom", "state");
    }
    match w.user_of_code(&q.code).await {
        Ok(user) => signed_in(&state, &headers, "wecom", &user, &next, false).await,
        Err(e) if e.errcode() == Some(60111) => refused("wecom", "unbound"),
        Err(e) => accounts::api_error(&e).into_response(),
    }
}

/// A QR sign-in button of the sign-in page.
pub struct QrButton {
    /// Where it goes (`/sso/{app}/qr?next=…`).
    pub href: String,
    /// Its text.
    pub label: String,
}

/// The sign-in page's QR buttons: one per configured app.
pub fn qr_buttons(state: &AppState, next: &str) -> Vec<QrButton> {
    accounts::APPS
        .iter()
        .filter(|app| state.workapps.has(app))
        .map(|app| QrButton {
            href: format!(
                "/sso/{app}/qr?next={}",
                crate::push::percent(safe_next(next))
            ),
            label: i18n::t(&format!("workapps-qr-{app}")),
        })
        .collect()
}

// ----- the administrator's page ----------------------------------------------------------

/// A binding cell: the app, its name, and the binding (the app's user id and how), if any.
type Binding = (&'static str, String, Option<(String, String)>);

/// A person's row.
struct PersonLine {
    id: String,
    name: String,
    username: String,
    /// Per configured app: (app, its name, the binding: the app's user id and how).
    bindings: Vec<Binding>,
}

/// A configured app's "bind by mobile" form.
struct AppLine {
    code: &'static str,
    name: String,
}

#[derive(Template)]
#[template(path = "admin/work_apps.html")]
struct AdminWorkApps {
    chrome: Chrome,
    apps: Vec<AppLine>,
    people: Vec<PersonLine>,
    done: Option<String>,
}

async fn render(state: &AppState, session: &auth::Session, done: Option<String>) -> Response {
    let lang = i18n::current();
    let accounts = match crate::db::work_accounts::of_people(&state.db, None).await {
        Ok(a) => a,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let apps: Vec<&'static str> = accounts::APPS
        .iter()
        .copied()
        .filter(|a| state.workapps.has(a) || accounts.iter().any(|b| b.app == *a))
        .collect();
    let mut people: Vec<_> = session.org.people.values().filter(|p| p.active).collect();
    people.sort_by(|a, b| a.username.cmp(&b.username));
    let people = people
        .into_iter()
        .map(|p| {
            let id = p.id.to_string();
            PersonLine {
                bindings: apps
                    .iter()
                    .map(|app| {
                        let b = accounts
                            .iter()
                            .find(|a| a.user == id && a.app == *app)
                            .map(|a| {
                                (
                                    a.app_user.clone(),
                                    lang.t(&format!("workapps-how-{}", a.how)),
                                )
                            });
                        (*app, app_name(lang, app), b)
                    })
                    .collect(),
                id,
                name: p.name.clone(),
                username: p.username.clone(),
            }
        })
        .collect();
    let chrome = Chrome::new(
        Some(session),
        &session.org.calendar,
        "/admin/work-apps",
        state.clock.now(),
    );
    page(
        StatusCode::OK,
        &AdminWorkApps {
            chrome,
            apps: accounts::APPS
                .iter()
                .filter(|a| state.workapps.has(a))
                .map(|a| AppLine {
                    code: a,
                    name: app_name(lang, a),
                })
                .collect(),
            people,
            done,
        },
    )
}

/// `GET /admin/work-apps`.
async fn admin_page(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    render(&state, &session, None).await
}

#[derive(Deserialize)]
struct AppForm {
    app: String,
}

/// `POST /admin/work-apps/bind-by-mobile`.
async fn bind_by_mobile(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Form(f): Form<AppForm>,
) -> Response {
    match accounts::bind_by_mobile(&state, &session, &f.app).await {
        Ok(r) => {
            let lang = i18n::current();
            let done = i18n::t_args(
                "workapps-bound-by-mobile",
                &[
                    ("app", &app_name(lang, &f.app)),
                    ("looked", &r.looked_up),
                    ("bound", &r.bound),
                    ("missing", &r.not_found),
                    ("taken", &r.taken),
                ],
            );
            render(&state, &session, Some(done)).await
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    user: String,
    app: String,
}

/// `POST /admin/work-apps/remove`.
async fn remove(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Form(f): Form<RemoveForm>,
) -> Response {
    match accounts::remove(&state, &session, &f.user, &f.app).await {
        Ok(_) => Redirect::to("/admin/work-apps").into_response(),
        Err(e) => e.into_response(),
    }
}
