//! The edge every answer leaves through: errors in the right shape for where they were
//! asked, and the pages' security headers.
//!
//! - On the API (`/api/…`, the machine endpoints `/healthz`, `/readyz`, `/metrics`, and the
//!   pages' upload endpoints `/uploads/…`, which answer a script), a
//!   4xx or 5xx is JSON `{code, message, zh, en}` ([`ApiError`]), whatever produced it: a
//!   handler, an extractor's rejection, an unknown route or method.
//! - On every other path (the pages, their forms, files and assets), it is a small HTML page
//!   with the status, the message in the request's language (its `duban_lang` cookie or
//!   `Accept-Language`, or the signed-in person's choice as [`super::language`] resolved it),
//!   the stable code marked apart (`<code class="err-code">`), a link home, and a link back to the page of this site the browser came from (its `Referer`). A page that renders its own refusal (the sign-in form's "wrong password", an
//!   act refused on the item page) answers HTML already and is left as it is.
//! - Pages also carry `X-Frame-Options`, a `Content-Security-Policy` that admits only this
//!   site's own scripts and styles (the vendored htmx and Chart.js; no inline script, style
//!   or handler) and forbids framing, `X-Content-Type-Options: nosniff` and
//!   `Referrer-Policy: same-origin`; every answer carries `nosniff`.

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::assets;
use crate::error::ApiError;
use crate::i18n::{self, Lang};

/// The pages' Content-Security-Policy: this site's scripts, styles, images and requests only;
/// no inline code; no framing; forms post here only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// Whether `path` is one of the pages (HTML) rather than the API or a machine endpoint
/// (JSON).
pub fn is_page(path: &str) -> bool {
    !(path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        // The pages' upload endpoints answer their script, in the API's JSON.
        || path.starts_with("/uploads/"))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    /// The page's language.
    lang: Lang,
    css: &'static str,
    status: u16,
    /// The status and its name in the page's language (`404 未找到`).
    title: String,
    code: &'a str,
    /// The error's sentence in the page's language.
    sentence: &'a str,
    back: Option<&'a str>,
}

/// The statuses whose names the catalog has (`error-status-<n>`); any other reads as
/// `error-status` with its number.
const NAMED_STATUSES: [u16; 14] = [
    400, 401, 403, 404, 405, 406, 408, 409, 410, 413, 415, 422, 429, 500,
];

/// A status as the error page's heading names it, in `lang`.
fn status_title(lang: Lang, status: StatusCode) -> String {
    let n = status.as_u16();
    if NAMED_STATUSES.contains(&n) || n == 503 {
        format!("{n} {}", lang.t(&format!("error-status-{n}")))
    } else {
        lang.t_args("error-status", &[("status", &n)])
    }
}

/// The HTML error page of `e`, in the request's language ([`i18n::current`]).
pub fn error_page(e: &ApiError) -> Response {
    error_page_back(e, None, i18n::current())
}

/// The HTML error page of `e` in `lang`, with a link `back` to a page of this site (a path).
fn error_page_back(e: &ApiError, back: Option<&str>, lang: Lang) -> Response {
    let page = ErrorPage {
        lang,
        css: assets::CSS,
        status: e.status.as_u16(),
        title: status_title(lang, e.status),
        code: &e.code,
        sentence: lang.pick(&e.zh, &e.en),
        back,
    };
    match page.render() {
        Ok(html) => {
            let mut response = (e.status, axum::response::Html(html)).into_response();
            response.extensions_mut().insert(e.clone());
            response
        }
        // Cannot happen (askama checks the template); the JSON still says what happened.
        Err(_) => e.clone().into_response(),
    }
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The page of this site the request came from, as a path to link back to: the `Referer`
/// when it names this host (the pages' `Referrer-Policy` sends it only within the site) and
/// is not the page that failed itself (`here`, a `GET`'s path and query; a form posted
/// goes back to its page).
fn came_from(headers: &HeaderMap, here: Option<&str>) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let authority = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str()?),
        None => url.host_str()?.to_owned(),
    };
    if !matches!(url.scheme(), "http" | "https") || !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    let back = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    (back.starts_with('/') && !back.starts_with("//") && Some(back.as_str()) != here)
        .then_some(back)
}

/// Puts an error answer in the shape of where it was asked (see the module's text). The
/// other headers (`Allow`, `Retry-After`, `Set-Cookie`, …) are kept.
fn shape(page: bool, back: Option<&str>, lang: Lang, response: Response) -> Response {
    let known = response.extensions().get::<ApiError>().cloned();
    let kind = content_type(response.headers()).to_ascii_lowercase();
    let error = match (page, known) {
        // A page's own HTML refusal, or the API's JSON: as it is.
        (true, _) if kind.starts_with("text/html") => return response,
        (false, Some(_)) => return response,
        (false, None) if kind.starts_with("application/json") => return response,
        (_, Some(e)) => e,
        (_, None) => ApiError::of_status(response.status()),
    };
    let (mut parts, _) = response.into_parts();
    let shaped = if page {
        error_page_back(&error, back, lang)
    } else {
        error.into_response()
    };
    let (new_parts, body) = shaped.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &new_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    parts.extensions.extend(new_parts.extensions);
    Response::from_parts(parts, body)
}

fn set_default(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The outermost layer: shapes errors and adds the security headers (see the module's text).
pub async fn edge(req: Request, next: Next) -> Response {
    let page = is_page(req.uri().path());
    let back = if page {
        let here = (req.method() == axum::http::Method::GET)
            .then(|| req.uri().path_and_query().map(|p| p.as_str()))
            .flatten();
        came_from(req.headers(), here)
    } else {
        None
    };
    // The language as far as the request's own headers tell (cookie, `Accept-Language`), for
    // an error raised before the language layer ran; the layer's answer says it better (the
    // signed-in person's choice).
    let asked = i18n::resolve(
        None,
        super::cookie_named(req.headers(), i18n::COOKIE),
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut response = next.run(req).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        let lang = response
            .extensions()
            .get::<Lang>()
            .copied()
            .unwrap_or(asked);
        response = shape(page, back.as_deref(), lang, response);
    }
    let headers = response.headers_mut();
    set_default(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if page {
        set_default(headers, header::X_FRAME_OPTIONS, "DENY");
        set_default(headers, header::CONTENT_SECURITY_POLICY, CSP);
        set_default(headers, header::REFERRER_POLICY, "same-origin");
    }
    response
}

/// The answer to a path no route serves: the error page on the pages' side, JSON on the API.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    if is_page(uri.path()) {
        ApiError::not_found("页面", "page")
    } else {
        ApiError::not_found("接口", "endpoint")
    }
}

/// The answer to a method a route does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::of_status(StatusCode::METHOD_NOT_ALLOWED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_named_in_the_pages_language() {
        assert_eq!(status_title(Lang::Zh, StatusCode::NOT_FOUND), "404 未找到");
        assert_eq!(
            status_title(Lang::En, StatusCode::NOT_FOUND),
            "404 Not found"
        );
        assert_eq!(
            status_title(Lang::En, StatusCode::SERVICE_UNAVAILABLE),
            "503 Service unavailable"
        );
        assert_eq!(status_title(Lang::En, StatusCode::IM_A_TEAPOT), "Error 418");
        assert_eq!(status_title(Lang::Zh, StatusCode::IM_A_TEAPOT), "错误 418");
    }
}
