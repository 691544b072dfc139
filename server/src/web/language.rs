//! Which language a page speaks (see [`crate::i18n`]), and the choice of it:
//!
//! - the layer [`layer`], over every request: the signed-in person's stored choice, else the
//!   `duban_lang` cookie, else `Accept-Language`, else zh-CN; it also keeps the request's
//!   path for the footer's language form ([`here`]);
//! - `POST /language` (`lang`, `next`): remembers the choice — on the person's account when
//!   signed in (`users.locale`, so every device and every notice follows it), and in the
//!   `duban_lang` cookie for the sign-in page — and goes back to `next`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;

use super::{cookie_named, safe_next, secure, signed_in, COOKIE};
use crate::db;
use crate::error::{ApiError, Form};
use crate::i18n::{self, Lang};
use crate::AppState;

/// How long the language cookie lasts (a year).
const COOKIE_MAX_AGE: u32 = 365 * 24 * 3600;

tokio::task_local! {
    static PATH: String;
}

/// The routes.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/language", post(choose))
}

/// The path and query of the page being made (for a form that comes back to it).
pub fn here() -> String {
    PATH.try_with(Clone::clone)
        .unwrap_or_else(|_| "/".to_owned())
}

/// The layer: resolves the request's language and runs the request with it.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/assets/") {
        return next.run(req).await;
    }
    let here = if req.method() == Method::GET || req.method() == Method::HEAD {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned())
    } else {
        // A form's answer (a refusal shown in place): back to the page the form was on.
        req.headers()
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| url::Url::parse(r).ok())
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            })
            .unwrap_or_else(|| "/".to_owned())
    };
    let lang = of_request(&state, req.headers()).await;
    let mut response = i18n::with(lang, PATH.scope(here, next.run(req))).await;
    // The answer says its language, for the error pages made outside this layer
    // (`errors::edge`).
    response.extensions_mut().insert(lang);
    response
}

/// The language of a request's headers (see the module's header).
pub async fn of_request(state: &AppState, headers: &HeaderMap) -> Lang {
    let stored = match cookie_named(headers, COOKIE) {
        Some(_) => match signed_in(state, headers).await {
            Some(s) => db::org::locale(&state.db, &s.user().to_string())
                .await
                .ok()
                .flatten(),
            None => None,
        },
        None => None,
    };
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    i18n::resolve(
        stored.as_deref(),
        cookie_named(headers, i18n::COOKIE),
        accept,
    )
}

/// The form.
#[derive(Deserialize)]
struct Choice {
    lang: String,
    #[serde(default)]
    next: String,
}

/// `POST /language`.
async fn choose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(choice): Form<Choice>,
) -> Response {
    let Some(lang) = Lang::from_code(&choice.lang) else {
        return ApiError::bad_request(
            "input.language",
            "不支持该界面语言",
            "that interface language is not offered",
        )
        .into_response();
    };
    if let Some(s) = signed_in(&state, &headers).await {
        if let Err(e) = db::org::set_locale(&state.db, &s.user().to_string(), lang.code()).await {
            return ApiError::from(e).into_response();
        }
    }
    let cookie = format!(
        "{}={}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax{}",
        i18n::COOKIE,
        lang.code(),
        secure(&headers)
    );
    let mut response = Redirect::to(safe_next(&choice.next)).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}
