//! Photos and files from the browser: the signed-in page's way to what the phones do with
//! `PUT /api/v1/blobs/{hash}` and the core's photo pipeline (R5.2, R5.4).
//!
//! - `PUT /uploads/{hash}`: uploads a file, or one chunk of it with
//!   `Content-Range: bytes START-END/TOTAL` — exactly `PUT /api/v1/blobs/{hash}`
//!   (`routes::blobs::put`): the same limits, checked before the body is read (a declared
//!   size over `max_blob` is refused unread, a request over `MAX_CHUNK` too), the same
//!   resumption, the same deduplication by hash. Answers 201 stored, 202 chunk kept, 200
//!   stored already.
//! - `GET /uploads/{hash}/status`: how far the person's upload is (`routes::blobs::
//!   upload_status`): a file they may use already is complete and is not sent again.
//! - `POST /uploads/{hash}/evidence` (JSON [`EvidenceRequest`]): turns a file the person
//!   uploaded into what a command cites, a [`BlobRef`]. A JPEG chosen as a photo (`source`
//!   `camera` for the camera input, `gallery` for the file input) goes through the core's
//!   photo pipeline (`duban_core::photo::process`) with the [`Capture`] a phone would give:
//!   the browser's clock with its UTC offset, its position if it gave one, the place, the
//!   item's number and the person's name. The evidence image and its thumbnail are stored
//!   as files held by the person, as a phone's upload is, and the answer is the evidence
//!   record with its [`PhotoMeta`](duban_core::domain::model::PhotoMeta); the reviewer's
//!   warnings (gallery photo, far capture time, …) then come from the core when a report
//!   cites it, as for a phone's photo. Any other file is cited unchanged: name, type, size.
//!   A photo the pipeline refuses answers 422 with the pipeline's code (`photo.not_jpeg`,
//!   `photo.too_many_pixels`, …), in zh-CN and English.
//!
//! For the page's script (`assets/upload.js`), not for people: every answer, errors
//! included, is JSON (`{code, message, zh, en}`, as the API's; see `errors::is_page`). Not
//! signed in: 401. The cookie's session must come with its form token in `X-CSRF-Token`
//! (the guard refuses a `PUT` or `POST` without it: 403 `csrf.token`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, FixedOffset, Timelike};
use duban_core::domain::model::{BlobRef, GeoPoint, PhotoSource};
use duban_core::domain::TaskId;
use duban_core::photo::{self, Capture, Options, PhotoError};
use serde::Deserialize;

use super::signed_in;
use crate::auth::Session;
use crate::db::blobs as store;
use crate::error::{ApiError, Json, Path};
use crate::i18n::{self, Lang};
use crate::read;
use crate::routes::blobs::{self, MAX_CHUNK};
use crate::AppState;

/// The routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/uploads/{hash}",
            axum::routing::put(upload).layer(DefaultBodyLimit::max(MAX_CHUNK)),
        )
        .route("/uploads/{hash}/status", get(status))
        .route("/uploads/{hash}/evidence", post(evidence))
}

/// The longest file name kept, in characters.
pub const MAX_NAME: usize = 200;

/// Where a file came from on the page.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The camera input (`capture="environment"`): a JPEG is a photo taken on site.
    Camera,
    /// The file input: a JPEG is a photo from the gallery.
    Gallery,
    /// A file to cite unchanged, whatever it is.
    File,
}

/// A position the browser gave (`navigator.geolocation`), in degrees.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Position {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// `POST /uploads/{hash}/evidence`'s body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRequest {
    /// The file's name on the device (a photo is named by the pipeline).
    #[serde(default)]
    pub name: String,
    /// Where it came from.
    pub source: Source,
    /// The browser's clock when the file was chosen, RFC 3339 with its offset
    /// (`2026-12-07T21:04:05+08:00`): a photo's time when its file has none.
    pub device_time: DateTime<FixedOffset>,
    /// The browser's position, used when a photo's file has no GPS.
    #[serde(default)]
    pub location: Option<Position>,
    /// The item the photo is for: its number goes into the watermark. The person must be
    /// able to read it.
    #[serde(default)]
    pub item: Option<String>,
    /// The place's name, if the page has one.
    #[serde(default)]
    pub place: Option<String>,
    /// For an "after" photo: the hash of the "before" photo it answers.
    #[serde(default)]
    pub answers: Option<String>,
}

/// What `templates/upload.html` renders: the photo and file inputs of one form field.
pub struct UploadBox {
    /// The form field each file goes into, as [`BlobRef`] JSON (`evidence`, `attachments`).
    pub field: &'static str,
    /// The item the files are for (its number goes into a photo's watermark); empty before
    /// it exists.
    pub item: String,
    /// The files already in the form (shown again with it).
    pub files: Vec<Uploaded>,
    /// The page's language: the box's words, and its script's (`data-t-*`).
    pub lang: Lang,
}

/// A file already in a form.
pub struct Uploaded {
    /// Its hash.
    pub hash: String,
    /// Its name.
    pub name: String,
    /// What the list says of it.
    pub label: String,
    /// A photo's thumbnail hash.
    pub thumb: Option<String>,
    /// The [`BlobRef`] as JSON, the hidden field's value.
    pub json: String,
}

impl UploadBox {
    /// The inputs of `field`, for `item` (if any), with `files` in the form already.
    pub fn new(field: &'static str, item: Option<TaskId>, files: &[BlobRef]) -> UploadBox {
        let lang = i18n::current();
        UploadBox {
            lang,
            field,
            item: item.map(|t| t.to_string()).unwrap_or_default(),
            files: files
                .iter()
                .map(|f| Uploaded {
                    hash: f.hash.clone(),
                    name: f.name.clone(),
                    label: match f.photo.as_deref() {
                        Some(p) => format!(
                            "{} · {} {}×{}",
                            f.name,
                            lang.t("upload-photo"),
                            p.width,
                            p.height
                        ),
                        None => format!("{} ({} B)", f.name, f.size),
                    },
                    thumb: f.photo.as_deref().map(|p| p.thumbnail.hash.clone()),
                    json: serde_json::to_string(f).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// The files a form's `field` carries (each a hidden input of [`BlobRef`] JSON), and the
/// problem (code, zh, en) if one of them is not a file reference (the others are kept, so
/// a form shown again still has them).
pub fn files_of<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> (
    Vec<BlobRef>,
    Option<(&'static str, &'static str, &'static str)>,
) {
    let mut files = Vec::new();
    let mut problem = None;
    for v in values.into_iter().filter(|v| !v.trim().is_empty()) {
        match serde_json::from_str::<BlobRef>(v) {
            Ok(f) => files.push(f),
            Err(_) => {
                problem = Some((
                    "input.bad_file",
                    "附件引用无效,请移除后重新上传",
                    "a file reference is not valid; remove it and upload the file again",
                ))
            }
        }
    }
    (files, problem)
}

fn not_found() -> ApiError {
    ApiError::not_found("文件", "file")
}

fn bad_location() -> ApiError {
    ApiError::bad_request(
        "upload.bad_location",
        "位置无效:纬度应在 ±90°、经度在 ±180° 之内",
        "the position is not valid: latitude within ±90°, longitude within ±180°",
    )
}

/// A pipeline refusal: 422 with its stable code (an internal fault stays a 500).
fn refused(e: PhotoError) -> ApiError {
    match e {
        PhotoError::Internal(detail) => ApiError::internal(detail),
        e => ApiError::unprocessable(e.code(), e.zh(), e.en()),
    }
}

/// The person signed in, or 401 (a script is not sent to the sign-in page).
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    signed_in(state, headers)
        .await
        // A password an administrator set must be replaced first (see `SignedIn`).
        .filter(|s| !s.must_change_password)
        .ok_or_else(ApiError::unauthorized)
}

/// `PUT /uploads/{hash}`.
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let s = session(&state, &headers).await?;
    blobs::put(&state, &s.actor, hash, &headers, body).await
}

/// `GET /uploads/{hash}/status`.
async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let s = session(&state, &headers).await?;
    Ok(Json(blobs::upload_status(&state, &s.actor, hash).await?).into_response())
}

/// A file name as kept: its last path part, without control characters, at most
/// [`MAX_NAME`] characters; `file` when nothing is left.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    match kept.trim() {
        "" => "file".to_owned(),
        t => t.to_owned(),
    }
}

/// Whether the content is a JPEG (its start-of-image marker), whatever type it was sent as.
fn is_jpeg(content: &[u8]) -> bool {
    content.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// `POST /uploads/{hash}/evidence`.
async fn evidence(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    Json(req): Json<EvidenceRequest>,
) -> Result<Response, ApiError> {
    let s = session(&state, &headers).await?;
    let hash = blobs::checked(hash)?;
    let file = store::usable(&state.db, &hash, &s.actor)
        .await?
        .ok_or_else(not_found)?;
    let size = u64::try_from(file.size).map_err(ApiError::internal)?;
    let options = Options::default();
    let jpeg_declared = file.mime.eq_ignore_ascii_case("image/jpeg");
    // Nothing is read for a plain file; a photo's size is checked before it is read (a file
    // too large for the pipeline that does not say it is a JPEG is cited as a plain file).
    let too_large = size > options.max_bytes as u64;
    if req.source == Source::File || (too_large && !jpeg_declared) {
        let cited = BlobRef::file(hash, file.mime, size, clean_name(&req.name));
        return Ok(Json(cited).into_response());
    }
    if too_large {
        return Err(refused(PhotoError::TooLarge {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            max: options.max_bytes,
        }));
    }
    let content = store::content(&state.db, &hash)
        .await?
        .ok_or_else(not_found)?;
    if !is_jpeg(&content) {
        let cited = BlobRef::file(hash, file.mime, size, clean_name(&req.name));
        return Ok(Json(cited).into_response());
    }
    let capture = capture(&state, &s, &req).await?;
    let processed =
        tokio::task::spawn_blocking(move || photo::process(&content, &capture, &options))
            .await
            .map_err(ApiError::internal)?
            .map_err(refused)?;
    let user = s.user().to_string();
    let thumb = &processed
        .evidence
        .photo
        .as_ref()
        .ok_or_else(|| ApiError::internal("the pipeline gave no photo metadata"))?
        .thumbnail;
    for (bytes, stored) in [
        (processed.thumbnail, thumb),
        (processed.image, &processed.evidence),
    ] {
        blobs::whole(
            &state,
            &stored.hash,
            &stored.mime,
            Bytes::from(bytes),
            &user,
        )
        .await?;
    }
    Ok((StatusCode::OK, Json(processed.evidence)).into_response())
}

/// What the browser knows of the shot, as a phone's app would give it
/// (`duban_core::client`'s `attach_photo`): the device time to the second, the position,
/// the place, the item's number and the person's name.
async fn capture(
    state: &AppState,
    s: &Session,
    req: &EvidenceRequest,
) -> Result<Capture, ApiError> {
    let device_location = match req.location {
        Some(p) => Some(GeoPoint::from_degrees(p.lat, p.lon).ok_or_else(bad_location)?),
        None => None,
    };
    let item_number = match req.item.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(id) => {
            let task = uuid::Uuid::parse_str(id)
                .map(TaskId)
                .map_err(|_| ApiError::not_found("事项", "item"))?;
            let item = read::item_summary(state, s, task, state.clock.now())
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::not_found("事项", "item"))?;
            Some(item.number).filter(|n| !n.is_empty())
        }
        None => None,
    };
    let device_time = req
        .device_time
        .with_nanosecond(0)
        .unwrap_or(req.device_time);
    Ok(Capture {
        source: if req.source == Source::Camera {
            PhotoSource::Camera
        } else {
            PhotoSource::Gallery
        },
        device_time,
        device_location,
        place: req.place.clone(),
        item_number,
        person: s
            .org
            .people
            .get(&s.user())
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        answers: req.answers.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_last_part_without_control_characters() {
        assert_eq!(clean_name("C:\\fakepath\\现场.jpg"), "现场.jpg");
        assert_eq!(clean_name("a/b/报告.pdf"), "报告.pdf");
        assert_eq!(clean_name("x\u{0}y\n.txt"), "xy.txt");
        assert_eq!(clean_name("  "), "file");
        assert_eq!(clean_name(&"长".repeat(300)).chars().count(), MAX_NAME);
    }

    #[test]
    fn a_jpeg_is_known_by_its_start_marker() {
        assert!(is_jpeg(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!is_jpeg(b"%PDF-1.7"));
        assert!(!is_jpeg(&[]));
    }
}
