//! Files (photos, documents), named by the blake3 hash of their content (DESIGN "Blobs"):
//! uploaded before the command that cites them, resumable, deduplicated.
//!
//! - `PUT /blobs/{hash}` uploads. Without `Content-Range` the body is the whole file; with
//!   `Content-Range: bytes START-END/TOTAL` it is one chunk of a resumable upload. A request
//!   body is at most [`MAX_CHUNK`] bytes (larger files go in chunks) and a file at most
//!   `config.max_blob`. Chunks are kept per uploader and must continue exactly where the
//!   bytes received so far end (a chunk already stored may be sent again). When all bytes
//!   are in, the content is checked against the hash and stored in one transaction.
//!   Answers: 201 stored, 202 chunk kept (`received` of `total`), 200 already stored.
//! - `GET /blobs/{hash}/status` says how far an upload is, to resume after an interruption.
//! - `GET /blobs/{hash}` downloads, for those who may use the file; anyone else gets the same
//!   404 as for a file that does not exist.
//!
//! The pages' uploads (`web::uploads`: `PUT /uploads/{hash}`, `GET /uploads/{hash}/status`)
//! are these same functions ([`put`], [`upload_status`]) with the browser's cookie session,
//! and the photo pipeline's output from the browser is stored through [`whole`].
//!
//! Who may use a file ([`usable`]): whoever sent its content — the first uploader, and anyone
//! who sent the same content again later (kept in `blob_holders`) — and whoever may read an
//! item citing it. They may download it and cite it in a command; nobody else may do either,
//! so knowing a file's hash and size unlocks nothing. A stored file is shown as stored only
//! to them: anyone else is answered as though it were not (their own upload's progress), and
//! learns that it is stored (200 instead of 201) only once they have sent its whole content,
//! checked against the hash — which makes them one of its holders.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use duban_core::domain::Actor;
use serde::Serialize;

use crate::auth::Session;
use crate::db::blobs::{self as store, NewBlob, NewChunk, StoredBlob};
use crate::db::{DbError, Tx};
use crate::error::{ApiError, Json, Path};
use crate::AppState;

/// The largest request body `PUT /blobs/{hash}` reads: files larger than this are sent in
/// chunks of at most this many bytes.
pub const MAX_CHUNK: usize = 8 * 1024 * 1024;

/// The longest `Content-Type` kept with a file.
pub const MAX_MIME: usize = 128;

const DEFAULT_MIME: &str = "application/octet-stream";

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/blobs/{hash}",
            get(download)
                .put(upload)
                .layer(DefaultBodyLimit::max(MAX_CHUNK)),
        )
        .route("/blobs/{hash}/status", get(status))
}

/// A stored file (answer of a completed or already complete upload).
#[derive(Debug, Serialize)]
pub struct Stored {
    /// The hash.
    pub hash: String,
    /// Size in bytes.
    pub size: i64,
    /// The MIME type served with it.
    pub mime: String,
    /// Always `true`.
    pub complete: bool,
}

/// A chunk kept; the upload goes on.
#[derive(Debug, Serialize)]
pub struct Partial {
    /// The hash.
    pub hash: String,
    /// Bytes received so far, contiguous from the start: the next chunk starts here.
    pub received: i64,
    /// The file's size.
    pub total: i64,
    /// Always `false`.
    pub complete: bool,
}

/// How far an upload is (`GET /blobs/{hash}/status`).
#[derive(Debug, Serialize)]
pub struct UploadStatus {
    /// The hash.
    pub hash: String,
    /// Whether the file is stored.
    pub complete: bool,
    /// Bytes this person has sent so far, contiguous from the start (the size if complete).
    pub received: i64,
    /// The file's size, if known (none before a first chunk).
    pub total: Option<i64>,
}

fn bad_hash() -> ApiError {
    ApiError::bad_request(
        "blob.bad_hash",
        "文件标识应为内容的 blake3 哈希(64 位小写十六进制)",
        "a file is named by the blake3 hash of its content (64 lower-case hex digits)",
    )
}

fn bad_mime() -> ApiError {
    ApiError::bad_request(
        "blob.bad_mime",
        format!("Content-Type 应为 类型/子类型,不超过 {MAX_MIME} 个字符"),
        format!("Content-Type must be type/subtype, at most {MAX_MIME} characters"),
    )
}

fn bad_range() -> ApiError {
    ApiError::bad_request(
        "blob.bad_range",
        "Content-Range 应为 bytes 起-止/总长,且与请求内容的长度一致",
        "Content-Range must be bytes START-END/TOTAL and match the length of the body",
    )
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "blob.too_large",
        format!("文件过大(上限 {limit} 字节)"),
        format!("the file is too large (limit {limit} bytes)"),
    )
}

fn chunk_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "blob.chunk_too_large",
        format!("单次上传不超过 {MAX_CHUNK} 字节,请用 Content-Range 分块上传"),
        format!(
            "one request carries at most {MAX_CHUNK} bytes; upload in chunks with Content-Range"
        ),
    )
}

fn bad_offset(expected: i64) -> ApiError {
    ApiError::conflict(
        "blob.bad_offset",
        format!("分块位置不连续,应从第 {expected} 字节继续上传"),
        format!("the chunk does not continue the upload; send the bytes from offset {expected}"),
    )
}

fn bad_total(total: i64) -> ApiError {
    ApiError::conflict(
        "blob.bad_total",
        format!("该文件正在以总长 {total} 字节上传;请继续,或从第 0 字节重新开始"),
        format!(
            "this file is being uploaded with a total of {total} bytes; continue it, or start again from offset 0"
        ),
    )
}

fn hash_mismatch() -> ApiError {
    ApiError::unprocessable(
        "blob.hash_mismatch",
        "文件内容与其标识(哈希)不符,未保存,请重新上传",
        "the content does not match its hash; nothing was kept, upload it again",
    )
}

fn not_found() -> ApiError {
    ApiError::not_found("文件", "file")
}

/// Only 64 lower-case hex digits name a file.
pub(crate) fn checked(hash: String) -> Result<String, ApiError> {
    let ok = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ok {
        Ok(hash)
    } else {
        Err(bad_hash())
    }
}

fn mime_of(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(DEFAULT_MIME.to_owned());
    };
    let mime = value.to_str().map_err(|_| bad_mime())?.trim();
    if mime.is_empty() || mime.len() > MAX_MIME || !mime.contains('/') {
        return Err(bad_mime());
    }
    Ok(mime.to_owned())
}

/// `Content-Range: bytes START-END/TOTAL` (END inclusive).
#[derive(Clone, Copy, Debug)]
struct Range {
    start: u64,
    end: u64,
    total: u64,
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_range(s: &str) -> Option<Range> {
    let (span, total) = s.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let r = Range {
        start: number(start.trim())?,
        end: number(end.trim())?,
        total: number(total.trim())?,
    };
    (r.start <= r.end && r.end < r.total).then_some(r)
}

fn range_of(headers: &HeaderMap) -> Result<Option<Range>, ApiError> {
    match headers.get(header::CONTENT_RANGE) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(parse_range)
            .map(Some)
            .ok_or_else(bad_range),
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(number)
}

/// Serialises every write about one file (see [`store::lock`]).
async fn lock(tx: &mut Tx, hash: &str) -> Result<(), ApiError> {
    Ok(store::lock(tx, hash).await?)
}

async fn existing(tx: &mut Tx, hash: &str) -> Result<Option<Stored>, ApiError> {
    Ok(store::stored(tx, hash).await?.map(|b| stored_of(hash, b)))
}

/// The answer for a stored file.
fn stored_of(hash: &str, b: StoredBlob) -> Stored {
    Stored {
        hash: hash.to_owned(),
        size: b.size,
        mime: b.mime,
        complete: true,
    }
}

/// The stored file, if the actor may use it — download it and cite it in a command: they
/// sent its content, or may read an item citing it. A file that is not stored and one the
/// actor may not use are both `None`.
pub(crate) async fn usable(
    tx: &mut Tx,
    hash: &str,
    actor: &Actor,
) -> Result<Option<Stored>, DbError> {
    Ok(store::usable(tx, hash, actor)
        .await?
        .map(|b| stored_of(hash, b)))
}

/// Records that the person sent the file's whole content (checked against its hash).
async fn hold(tx: &mut Tx, hash: &str, user: &str) -> Result<(), ApiError> {
    Ok(store::add_holder(tx, hash, user).await?)
}

/// The uploader's bytes so far (contiguous from 0) and the total they announced.
async fn progress(tx: &mut Tx, hash: &str, user: &str) -> Result<(i64, Option<i64>), ApiError> {
    let chunks = store::chunks(tx, hash, user).await?;
    let total = chunks.first().map(|c| c.total);
    let mut received = 0;
    for c in &chunks {
        if c.offset != received {
            break;
        }
        received += c.length;
    }
    Ok((received, total))
}

/// Stores a verified file (or finds it stored already), records the sender as one of its
/// holders and drops their upload in progress. Someone else's upload of the same file goes
/// on: it makes them a holder too.
async fn store(
    tx: &mut Tx,
    hash: &str,
    mime: &str,
    content: Vec<u8>,
    user: &str,
) -> Result<(StatusCode, Stored), ApiError> {
    let size = i64::try_from(content.len()).map_err(ApiError::internal)?;
    let blob = NewBlob {
        hash,
        size,
        mime,
        content,
        uploaded_by: user,
        at: Utc::now().timestamp_millis(),
    };
    let inserted = store::insert(tx, blob).await?;
    store::drop_chunks(tx, hash, user).await?;
    hold(tx, hash, user).await?;
    if inserted {
        let stored = Stored {
            hash: hash.to_owned(),
            size,
            mime: mime.to_owned(),
            complete: true,
        };
        Ok((StatusCode::CREATED, stored))
    } else {
        let stored = existing(tx, hash).await?.ok_or_else(not_found)?;
        Ok((StatusCode::OK, stored))
    }
}

/// `PUT /blobs/{hash}`.
async fn upload(
    State(state): State<AppState>,
    session: Session,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    put(&state, &session.actor, hash, &headers, body).await
}

/// An upload by `actor` (the whole file, or one chunk of it with `Content-Range`), as
/// `PUT /blobs/{hash}` takes it; the pages' `PUT /uploads/{hash}` takes it the same way.
/// The declared size (`Content-Range`'s total, else `Content-Length`) is checked against
/// `config.max_blob` before the body is read.
pub(crate) async fn put(
    state: &AppState,
    actor: &Actor,
    hash: String,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let hash = checked(hash)?;
    let mime = mime_of(headers)?;
    let range = range_of(headers)?;
    let max = state.config.max_blob;
    let announced = range.map(|r| r.total).or(content_length(headers));
    if announced.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            chunk_too_large()
        } else {
            ApiError::bad_request(
                "request.unreadable",
                "无法读取请求内容",
                "cannot read the request body",
            )
        }
    })?;
    let len = body.len() as u64;
    let range = match range {
        Some(r) if r.end - r.start + 1 != len => return Err(bad_range()),
        Some(r) => r,
        None if len > max => return Err(too_large(max)),
        None if len == 0 => Range {
            start: 0,
            end: 0,
            total: 0,
        },
        None => Range {
            start: 0,
            end: len - 1,
            total: len,
        },
    };
    if range.start == 0 && len == range.total {
        let (status, stored) = whole(state, &hash, &mime, body, &actor.id.to_string()).await?;
        Ok((status, Json(stored)).into_response())
    } else {
        chunk(state, &hash, &mime, range, body, actor).await
    }
}

/// A whole file sent by `user`: checked against its hash, stored unless it is already, and
/// `user` made one of its holders. 201 stored, 200 stored already. The pages store the
/// photo pipeline's evidence image and thumbnail through it too.
pub(crate) async fn whole(
    state: &AppState,
    hash: &str,
    mime: &str,
    body: Bytes,
    user: &str,
) -> Result<(StatusCode, Stored), ApiError> {
    if blake3::hash(&body).to_hex().as_str() != hash {
        return Err(hash_mismatch());
    }
    let mut tx = state.db.write().await?;
    lock(&mut tx, hash).await?;
    if let Some(stored) = existing(&mut tx, hash).await? {
        // The same content again: nothing to store, but the sender now holds it too.
        hold(&mut tx, hash, user).await?;
        tx.commit().await?;
        return Ok((StatusCode::OK, stored));
    }
    let (status, stored) = store(&mut tx, hash, mime, body.to_vec(), user).await?;
    tx.commit().await?;
    Ok((status, stored))
}

/// One chunk of a resumable upload; the last one completes it. A file the sender may use
/// already needs no more chunks; for anyone else a stored file is uploaded like a new one,
/// and its last chunk makes them a holder.
async fn chunk(
    state: &AppState,
    hash: &str,
    mime: &str,
    range: Range,
    body: Bytes,
    actor: &Actor,
) -> Result<Response, ApiError> {
    let user = &actor.id.to_string();
    let start = i64::try_from(range.start).map_err(|_| bad_range())?;
    let total = i64::try_from(range.total).map_err(|_| bad_range())?;
    let partial = |received| Partial {
        hash: hash.to_owned(),
        received,
        total,
        complete: false,
    };
    let mut tx = state.db.write().await?;
    lock(&mut tx, hash).await?;
    if let Some(stored) = usable(&mut tx, hash, actor).await? {
        return Ok((StatusCode::OK, Json(stored)).into_response());
    }
    let (mut received, announced) = progress(&mut tx, hash, user).await?;
    if let Some(announced) = announced.filter(|t| *t != total) {
        if start != 0 {
            return Err(bad_total(announced));
        }
        // A new upload of a different length: the old one cannot also be right.
        store::drop_chunks(&mut tx, hash, user).await?;
        received = 0;
    }
    if start < received {
        let same = store::chunk_at(&mut tx, hash, user, start)
            .await?
            .is_some_and(|data| data == body.as_ref());
        if same {
            // A retry of a chunk already kept.
            return Ok((StatusCode::ACCEPTED, Json(partial(received))).into_response());
        }
    }
    if start != received {
        return Err(bad_offset(received));
    }
    let kept = NewChunk {
        hash,
        uploaded_by: user,
        offset: start,
        data: body.to_vec(),
        total,
        at: Utc::now().timestamp_millis(),
    };
    store::insert_chunk(&mut tx, kept).await?;
    received += i64::try_from(body.len()).map_err(ApiError::internal)?;
    if received < total {
        tx.commit().await?;
        return Ok((StatusCode::ACCEPTED, Json(partial(received))).into_response());
    }
    let content = store::assembled(&mut tx, hash, user, range.total as usize).await?;
    if content.len() as u64 != range.total || blake3::hash(&content).to_hex().as_str() != hash {
        store::drop_chunks(&mut tx, hash, user).await?;
        tx.commit().await?;
        return Err(hash_mismatch());
    }
    let (status, stored) = store(&mut tx, hash, mime, content, user).await?;
    tx.commit().await?;
    Ok((status, Json(stored)).into_response())
}

/// `GET /blobs/{hash}/status`: complete for a file the person may use; for anyone else their
/// own upload's progress, whether or not someone else has stored the file.
async fn status(
    State(state): State<AppState>,
    session: Session,
    Path(hash): Path<String>,
) -> Result<Json<UploadStatus>, ApiError> {
    Ok(Json(upload_status(&state, &session.actor, hash).await?))
}

/// How far `actor`'s upload of `hash` is (`GET /blobs/{hash}/status`, and the pages'
/// `GET /uploads/{hash}/status`).
pub(crate) async fn upload_status(
    state: &AppState,
    actor: &Actor,
    hash: String,
) -> Result<UploadStatus, ApiError> {
    let hash = checked(hash)?;
    let mut tx = state.db.read().await?;
    if let Some(stored) = usable(&mut tx, &hash, actor).await? {
        return Ok(UploadStatus {
            hash,
            complete: true,
            received: stored.size,
            total: Some(stored.size),
        });
    }
    let (received, total) = progress(&mut tx, &hash, &actor.id.to_string()).await?;
    Ok(UploadStatus {
        hash,
        complete: false,
        received,
        total,
    })
}

/// `GET /blobs/{hash}`: for those who may use the file ([`usable`]: who sent it, and whoever
/// may read an item citing it).
pub(crate) async fn download(
    State(state): State<AppState>,
    session: Session,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hash = checked(hash)?;
    let stored = store::usable(&state.db, &hash, &session.actor)
        .await?
        .map(|b| stored_of(&hash, b))
        .ok_or_else(not_found)?;
    let mime = HeaderValue::from_str(&stored.mime).map_err(ApiError::internal)?;
    let etag = format!("\"{hash}\"");
    let cache = [
        (
            header::ETAG,
            HeaderValue::from_str(&etag).map_err(ApiError::internal)?,
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=31536000, immutable"),
        ),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let content = store::content(&state.db, &hash)
        .await?
        .ok_or_else(not_found)?;
    let headers = [
        (header::CONTENT_TYPE, mime),
        (header::CONTENT_LENGTH, HeaderValue::from(content.len())),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        ),
    ];
    Ok((StatusCode::OK, cache, headers, Body::from(content)).into_response())
}
