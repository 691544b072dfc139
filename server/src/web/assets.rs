//! The pages' static files, compiled into the binary: the vendored htmx, Chart.js and
//! `@noble/hashes`' blake3 (see `server/assets/vendor/README.md`), the stylesheet, the small
//! script that draws the charts and the uploads' script. Served under `/assets/` with long caching: each name carries its version (bump it
//! with every change of the file).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// htmx, as the pages name it.
pub const HTMX: &str = "/assets/htmx-2.0.11.min.js";
/// Chart.js, as the pages name it.
pub const CHART: &str = "/assets/chart-4.6.1.umd.min.js";
/// The stylesheet.
pub const CSS: &str = "/assets/duban-5.css";
/// The pages' script (charts from `data-` attributes).
pub const JS: &str = "/assets/duban-5.js";
/// The uploads' script (an ES module: hashes, resumes, shows progress; see `upload.js`).
pub const UPLOAD: &str = "/assets/upload-2.js";
/// Where the vendored `@noble/hashes` modules are served (`upload.js` imports its blake3
/// from here; the modules import each other by relative names).
pub const NOBLE: &str = "/assets/noble-hashes-2.4.0/";

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
        "duban-5.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/duban.css"),
    ),
    (
        "duban-5.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/duban.js"),
    ),
    (
        "upload-2.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/upload.js"),
    ),
];

/// The vendored `@noble/hashes` ES modules blake3 needs, unmodified (under [`NOBLE`]).
const NOBLE_FILES: &[(&str, &str, &[u8])] = &[
    (
        "blake3.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/noble-hashes-2.4.0/blake3.js"),
    ),
    (
        "blake2.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/noble-hashes-2.4.0/blake2.js"),
    ),
    (
        "_blake.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/noble-hashes-2.4.0/_blake.js"),
    ),
    (
        "_md.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/noble-hashes-2.4.0/_md.js"),
    ),
    (
        "_u64.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/noble-hashes-2.4.0/_u64.js"),
    ),
    (
        "utils.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/noble-hashes-2.4.0/utils.js"),
    ),
];

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    serve_from(FILES, &name)
}

/// `GET /assets/noble-hashes-2.4.0/{name}`.
pub async fn serve_noble(Path(name): Path<String>) -> Response {
    serve_from(NOBLE_FILES, &name)
}

fn serve_from(files: &[(&str, &str, &'static [u8])], name: &str) -> Response {
    match files.iter().find(|(n, _, _)| *n == name) {
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
