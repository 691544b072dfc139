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
use duban_core::domain::permission::actor_keys;
use duban_core::domain::Actor;
use serde::Serialize;

use crate::auth::Session;
use crate::db::{Backend, DbError, Row, Tx, Val};
use crate::error::{ApiError, Json, Path};
use crate::feed::visible_sql;
use crate::{args, AppState};

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
fn checked(hash: String) -> Result<String, ApiError> {
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

/// Serialises every write about one file: SQLite's write transaction already holds the
/// database's one write lock; on PostgreSQL an advisory lock on the hash does it.
async fn lock(tx: &mut Tx, hash: &str) -> Result<(), ApiError> {
    if tx.backend() == Backend::Postgres {
        tx.exec(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            args![format!("blob:{hash}")],
        )
        .await?;
    }
    Ok(())
}

async fn existing(tx: &mut Tx, hash: &str) -> Result<Option<Stored>, ApiError> {
    let row = tx
        .row("SELECT size, mime FROM blobs WHERE hash = $1", args![hash])
        .await?;
    Ok(stored_row(hash, row)?)
}

/// The query of [`usable`]: the file's size and type, if it is stored and the actor sent its
/// content or may read an item citing it (checked in SQL against the items' audiences, as
/// the feed does).
fn usable_query(hash: &str, actor: &Actor) -> (String, Vec<Val>) {
    let keys: Vec<String> = actor_keys(actor).iter().map(ToString::to_string).collect();
    let sql = format!(
        "SELECT b.size, b.mime FROM blobs b WHERE b.hash = $1 AND \
         (EXISTS (SELECT 1 FROM blob_holders h WHERE h.hash = b.hash AND h.user_id = $2) \
         OR EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = b.hash AND {}))",
        visible_sql("r.task", "view", 3, keys.len())
    );
    let mut params = args![hash, actor.id.to_string()];
    params.extend(keys.iter().map(Val::from));
    (sql, params)
}

/// A stored file from its `size, mime` row, if there is one.
fn stored_row(hash: &str, row: Option<Row>) -> Result<Option<Stored>, DbError> {
    row.map(|r| {
        Ok(Stored {
            hash: hash.to_owned(),
            size: r.int(0)?,
            mime: r.text(1)?,
            complete: true,
        })
    })
    .transpose()
}

/// The stored file, if the actor may use it — download it and cite it in a command: they
/// sent its content, or may read an item citing it. A file that is not stored and one the
/// actor may not use are both `None`.
pub(crate) async fn usable(
    tx: &mut Tx,
    hash: &str,
    actor: &Actor,
) -> Result<Option<Stored>, DbError> {
    let (sql, params) = usable_query(hash, actor);
    stored_row(hash, tx.row(&sql, params).await?)
}

/// Records that the person sent the file's whole content (checked against its hash).
async fn hold(tx: &mut Tx, hash: &str, user: &str) -> Result<(), ApiError> {
    tx.exec(
        "INSERT INTO blob_holders (hash, user_id) VALUES ($1, $2) ON CONFLICT (hash, user_id) DO NOTHING",
        args![hash, user],
    )
    .await?;
    Ok(())
}

/// The uploader's bytes so far (contiguous from 0) and the total they announced.
async fn progress(tx: &mut Tx, hash: &str, user: &str) -> Result<(i64, Option<i64>), ApiError> {
    let rows = tx
        .rows(
            "SELECT offset_at, CAST(length(data) AS BIGINT), total FROM blob_chunks \
             WHERE hash = $1 AND uploaded_by = $2 ORDER BY offset_at",
            args![hash, user],
        )
        .await?;
    let total = rows.first().map(|r| r.int(2)).transpose()?;
    let mut received = 0;
    for r in &rows {
        if r.int(0)? != received {
            break;
        }
        received += r.int(1)?;
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
    let inserted = tx
        .exec(
            "INSERT INTO blobs (hash, size, mime, content, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
            args![
                hash,
                size,
                mime,
                content,
                user,
                Utc::now().timestamp_millis()
            ],
        )
        .await?;
    tx.exec(
        "DELETE FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2",
        args![hash, user],
    )
    .await?;
    hold(tx, hash, user).await?;
    if inserted == 1 {
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
    let hash = checked(hash)?;
    let mime = mime_of(&headers)?;
    let range = range_of(&headers)?;
    let max = state.config.max_blob;
    let announced = range.map(|r| r.total).or(content_length(&headers));
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
        whole(&state, &hash, &mime, body, &session.user().to_string()).await
    } else {
        chunk(&state, &hash, &mime, range, body, &session.actor).await
    }
}

/// A request carrying the whole file.
async fn whole(
    state: &AppState,
    hash: &str,
    mime: &str,
    body: Bytes,
    user: &str,
) -> Result<Response, ApiError> {
    if blake3::hash(&body).to_hex().as_str() != hash {
        return Err(hash_mismatch());
    }
    let mut tx = state.db.write().await?;
    lock(&mut tx, hash).await?;
    if let Some(stored) = existing(&mut tx, hash).await? {
        // The same content again: nothing to store, but the sender now holds it too.
        hold(&mut tx, hash, user).await?;
        tx.commit().await?;
        return Ok((StatusCode::OK, Json(stored)).into_response());
    }
    let (status, stored) = store(&mut tx, hash, mime, body.to_vec(), user).await?;
    tx.commit().await?;
    Ok((status, Json(stored)).into_response())
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
        tx.exec(
            "DELETE FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2",
            args![hash, user],
        )
        .await?;
        received = 0;
    }
    if start < received {
        let same = tx
            .row(
                "SELECT data FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2 AND offset_at = $3",
                args![hash, user, start],
            )
            .await?
            .map(|r| r.bytes(0))
            .transpose()?
            .is_some_and(|data| data == body.as_ref());
        if same {
            // A retry of a chunk already kept.
            return Ok((StatusCode::ACCEPTED, Json(partial(received))).into_response());
        }
    }
    if start != received {
        return Err(bad_offset(received));
    }
    tx.exec(
        "INSERT INTO blob_chunks (hash, uploaded_by, offset_at, data, total, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![
            hash,
            user,
            start,
            body.to_vec(),
            total,
            Utc::now().timestamp_millis()
        ],
    )
    .await?;
    received += i64::try_from(body.len()).map_err(ApiError::internal)?;
    if received < total {
        tx.commit().await?;
        return Ok((StatusCode::ACCEPTED, Json(partial(received))).into_response());
    }
    let mut content = Vec::with_capacity(range.total as usize);
    for r in tx
        .rows(
            "SELECT data FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2 ORDER BY offset_at",
            args![hash, user],
        )
        .await?
    {
        content.extend_from_slice(&r.bytes(0)?);
    }
    if content.len() as u64 != range.total || blake3::hash(&content).to_hex().as_str() != hash {
        tx.exec(
            "DELETE FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2",
            args![hash, user],
        )
        .await?;
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
    let hash = checked(hash)?;
    let mut tx = state.db.read().await?;
    if let Some(stored) = usable(&mut tx, &hash, &session.actor).await? {
        return Ok(Json(UploadStatus {
            hash,
            complete: true,
            received: stored.size,
            total: Some(stored.size),
        }));
    }
    let (received, total) = progress(&mut tx, &hash, &session.user().to_string()).await?;
    Ok(Json(UploadStatus {
        hash,
        complete: false,
        received,
        total,
    }))
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
    let (sql, params) = usable_query(&hash, &session.actor);
    let stored = stored_row(&hash, state.db.row(&sql, params).await?)?.ok_or_else(not_found)?;
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
    let content = state
        .db
        .row(
            "SELECT content FROM blobs WHERE hash = $1",
            args![hash.as_str()],
        )
        .await?
        .ok_or_else(not_found)?
        .bytes(0)?;
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
