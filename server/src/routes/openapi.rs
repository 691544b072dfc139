//! The API's description: `GET /api/openapi.json` (outside `/api/v1`, open to all) serves the
//! OpenAPI 3.1 document of every endpoint.
//!
//! The document is written by hand in `server/openapi.json` and compiled in; only its
//! `info.version` is filled in here, with this build's version. The integration tests
//! (`tests/integration/openapi.rs`) check it against the routers: every documented operation
//! exists, every route is documented, every signed-in route declares the bearer token, and
//! every `$ref` resolves. A route added to a router must be added to the document (and to
//! the tests' list of routes).

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::AppState;

/// Where the served document lives.
pub const PATH: &str = "/api/openapi.json";

/// The document as written, with the placeholder [`VERSION_PLACEHOLDER`] as `info.version`.
pub const SOURCE: &str = include_str!("../../openapi.json");

/// The placeholder in [`SOURCE`] replaced by the crate's version when served.
pub const VERSION_PLACEHOLDER: &str = "@CARGO_PKG_VERSION@";

/// The document as served: [`SOURCE`] with this build's version.
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> =
        LazyLock::new(|| SOURCE.replace(VERSION_PLACEHOLDER, env!("CARGO_PKG_VERSION")));
    &DOCUMENT
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(openapi))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
