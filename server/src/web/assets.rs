//! The pages' static files, compiled into the binary: the vendored htmx and Chart.js (see
//! `server/assets/vendor/README.md`), the stylesheet and the small script that draws the
//! charts. Served under `/assets/` with long caching: each name carries its version (bump it
//! with every change of the file).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// htmx, as the pages name it.
pub const HTMX: &str = "/assets/htmx-2.0.11.min.js";
/// Chart.js, as the pages name it.
pub const CHART: &str = "/assets/chart-4.6.1.umd.min.js";
/// The stylesheet.
pub const CSS: &str = "/assets/duban-4.css";
/// The pages' script (charts from `data-` attributes).
pub const JS: &str = "/assets/duban-4.js";

/// (name under /assets/, content type, bytes).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/htmx-2.0.11.min.js"),
    ),
    (
        "chart-4.6.1.umd.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/chart-4.6.1.umd.min.js"),
    ),
    (
        "duban-4.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/duban.css"),
    ),
    (
        "duban-4.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/duban.js"),
    ),
];

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
