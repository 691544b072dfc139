//! Cross-site request forgery: every request that may change something on the pages (any
//! method but `GET`, `HEAD` and `OPTIONS`, the sign-in included) must come from this site.
//!
//! Two checks, both before the handler runs:
//!
//! 1. **Origin.** When the request names where it comes from (`Origin`, or else `Referer`),
//!    that must be this site: the host the request was sent to (`X-Forwarded-Host` if a
//!    reverse proxy sets it, else `Host`), and the scheme `X-Forwarded-Proto` names, as the
//!    session cookie's `Secure` flag trusts it (without it: `http` or `https`, since a proxy
//!    may end TLS without saying so). `Origin: null` is refused. Refused: 403 `csrf.origin`.
//! 2. **A form token** (synchronizer token). Signed in, the token is derived from the
//!    session: blake3 in key-derivation mode over the session's stored token hash, so it is
//!    the same on every replica and after a restart, ends with the session, and no other site
//!    can know it. Every page form carries it as the hidden field `csrf`, and htmx sends it
//!    as the header `X-CSRF-Token` (`hx-headers` on the page's body). Before signing in there
//!    is no session: `GET /login` sets a random cookie `duban_login` (`HttpOnly`,
//!    `SameSite=Strict`) and the form carries the token derived from it, so another site
//!    can neither sign a browser in to an account of its choosing nor post a form for it.
//!    Missing or wrong: 403 `csrf.token`. A request with no session cookie other than the
//!    sign-in carries no authority to abuse: it goes on to its handler, which sends it to
//!    sign in.
//!
//! The API (`/api/v1/…`) is not behind this: it takes bearer tokens only, never the cookie.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{cookie_named, COOKIE};
use crate::auth::{self, Session};
use crate::error::ApiError;
use crate::AppState;

/// The form field that carries the token.
pub const FIELD: &str = "csrf";
/// The header htmx sends the token in.
pub const HEADER: &str = "x-csrf-token";
/// The pre-session cookie of the sign-in form.
pub const LOGIN_COOKIE: &str = "duban_login";

const SESSION_CONTEXT: &str = "duban 2026-12-07 page form token";
const LOGIN_CONTEXT: &str = "duban 2026-12-07 sign-in form token";

/// The form token of a session (from its stored token hash).
fn of_hash(token_hash: &str) -> blake3::Hash {
    blake3::Hash::from(blake3::derive_key(SESSION_CONTEXT, token_hash.as_bytes()))
}

/// The form token of `session`, as the page forms carry it (64 hex digits).
pub fn form_token(session: &Session) -> String {
    of_hash(&session.token_hash).to_hex().to_string()
}

/// The form token the guard asks of a request that carries the session cookie `token`,
/// whether or not its session is still live: a page that may be opened with a stale cookie
/// (the work apps' sign-in, `super::workapps`) carries it so that its form passes.
pub fn form_token_of_cookie(token: &str) -> String {
    of_hash(&auth::token_hash(token)).to_hex().to_string()
}

/// The sign-in form's token for the pre-session cookie `value`.
fn of_login(value: &str) -> blake3::Hash {
    blake3::Hash::from(blake3::derive_key(LOGIN_CONTEXT, value.as_bytes()))
}

/// The sign-in form's pre-session cookie, if the request has a well-formed one.
fn login_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie_named(headers, LOGIN_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// For `GET /login`: the token its form carries, and the `Set-Cookie` to send when the
/// browser has no pre-session cookie yet (`secure` is `"; Secure"` behind HTTPS, or empty).
pub fn login_form(
    headers: &HeaderMap,
    secure: &str,
) -> Result<(String, Option<HeaderValue>), ApiError> {
    if let Some(v) = login_cookie(headers) {
        return Ok((of_login(v).to_hex().to_string(), None));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let value: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let cookie = format!("{LOGIN_COOKIE}={value}; Path=/login; HttpOnly; SameSite=Strict{secure}");
    let cookie = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    Ok((of_login(&value).to_hex().to_string(), Some(cookie)))
}

/// The sign-in form's token for a request that passed the guard (its cookie is there).
pub fn login_token(headers: &HeaderMap) -> String {
    login_cookie(headers)
        .map(|v| of_login(v).to_hex().to_string())
        .unwrap_or_default()
}

fn origin_refused() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "csrf.origin",
        "请求来自其他网站,已拒绝;请在本站页面上操作",
        "the request comes from another site (its Origin or Referer is not this site); refused",
    )
}

fn token_refused() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "csrf.token",
        "表单校验码缺失或已失效,请刷新页面后重试",
        "the form's token is missing or no longer valid; reload the page and try again",
    )
}

/// The first value of a header, trimmed (`X-Forwarded-Host: a, b` names `a`).
fn first<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Whether the request's `Origin` (or else `Referer`), when it has one, is this site
/// (`authority`: the request URI's, which HTTP/2 carries instead of `Host`).
pub fn same_origin(headers: &HeaderMap, authority: Option<&str>) -> bool {
    let claimed = match headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
    {
        Some(v) => v,
        None => return true,
    };
    let Some(claimed) = claimed.to_str().ok().and_then(|v| url::Url::parse(v).ok()) else {
        return false;
    };
    let host = first(headers, "x-forwarded-host")
        .or_else(|| first(headers, "host"))
        .or(authority);
    let Some(host) = host else {
        return false;
    };
    let scheme = match first(headers, "x-forwarded-proto").map(str::to_ascii_lowercase) {
        Some(p) if p == "http" || p == "https" => p,
        Some(_) => return false,
        None if matches!(claimed.scheme(), "http" | "https") => claimed.scheme().to_owned(),
        None => return false,
    };
    let Ok(mine) = url::Url::parse(&format!("{scheme}://{host}/")) else {
        return false;
    };
    // Only a bare host[:port] makes the same URL back (no user, no path).
    let plain = mine.path() == "/" && mine.username().is_empty() && mine.password().is_none();
    plain
        && claimed.scheme() == mine.scheme()
        && claimed.host_str().is_some()
        && claimed.host_str() == mine.host_str()
        && claimed.port_or_known_default() == mine.port_or_known_default()
}

/// The token a form body carries in its `csrf` field (URL-encoded or multipart).
async fn token_in_body(parts: &Parts, bytes: &Bytes) -> Option<String> {
    let kind = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if kind.starts_with("application/x-www-form-urlencoded") {
        return url::form_urlencoded::parse(bytes)
            .find(|(name, _)| name == FIELD)
            .map(|(_, value)| value.into_owned());
    }
    if kind.starts_with("multipart/form-data") {
        let mut copy = Request::new(Body::from(bytes.clone()));
        *copy.headers_mut() = parts.headers.clone();
        let mut form = axum::extract::Multipart::from_request(copy, &())
            .await
            .ok()?;
        while let Ok(Some(field)) = form.next_field().await {
            if field.name() == Some(FIELD) {
                return field.text().await.ok();
            }
        }
    }
    None
}

/// Whether `supplied` is the token `expected` (compared in constant time).
fn is_token(supplied: Option<&str>, expected: &blake3::Hash) -> bool {
    supplied
        .and_then(|s| blake3::Hash::from_hex(s.trim()).ok())
        .is_some_and(|h| h == *expected)
}

/// The guard on the pages' routes (see the module's text).
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let authority = req.uri().authority().map(|a| a.as_str().to_owned());
    if !same_origin(req.headers(), authority.as_deref()) {
        return origin_refused().into_response();
    }
    let expected = if req.uri().path() == "/login" {
        match login_cookie(req.headers()) {
            Some(v) => of_login(v),
            None => return token_refused().into_response(),
        }
    } else {
        match cookie_named(req.headers(), COOKIE) {
            Some(t) => of_hash(&auth::token_hash(t)),
            None => return next.run(req).await,
        }
    };
    if let Some(h) = req.headers().get(HEADER) {
        return if is_token(h.to_str().ok(), &expected) {
            next.run(req).await
        } else {
            token_refused().into_response()
        };
    }
    let limit = state.config.max_body;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::too_large(limit as u64).into_response();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::too_large(limit as u64).into_response();
    };
    if !is_token(token_in_body(&parts, &bytes).await.as_deref(), &expected) {
        return token_refused().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
