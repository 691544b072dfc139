//! Files, named by the blake3 hash of their content: `blobs` (the stored files),
//! `blob_holders` (who sent each one's content), `blob_chunks` (uploads in progress, per
//! uploader) and `blob_refs` (the items citing each file).

use duban_core::domain::permission::actor_keys;
use duban_core::domain::Actor;

use super::audience::visible_sql;
use super::{Backend, Conn, DbError, Row, Tx, Val};
use crate::args;

/// A stored file's size and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    /// Size in bytes.
    pub size: i64,
    /// The MIME type served with it.
    pub mime: String,
}

fn stored_of(r: &Row) -> Result<StoredBlob, DbError> {
    Ok(StoredBlob {
        size: r.get_int("size")?,
        mime: r.get_text("mime")?,
    })
}

/// Serialises every write about one file for the rest of the transaction: SQLite's write
/// transaction already holds the database's one write lock; on PostgreSQL an advisory lock
/// on the hash does it.
pub async fn lock(tx: &mut Tx, hash: &str) -> Result<(), DbError> {
    if tx.backend() == Backend::Postgres {
        tx.exec(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            args![format!("blob:{hash}")],
        )
        .await?;
    }
    Ok(())
}

/// The file, if it is stored (whoever asks).
pub async fn stored(tx: &mut Tx, hash: &str) -> Result<Option<StoredBlob>, DbError> {
    tx.row("SELECT size, mime FROM blobs WHERE hash = $1", args![hash])
        .await?
        .as_ref()
        .map(stored_of)
        .transpose()
}

/// The file, if it is stored and the actor may use it: they sent its content, or may read an
/// item citing it (checked against the items' audiences, as the feed does).
pub async fn usable<'a>(
    on: impl Into<Conn<'a>>,
    hash: &str,
    actor: &Actor,
) -> Result<Option<StoredBlob>, DbError> {
    let keys: Vec<String> = actor_keys(actor).iter().map(ToString::to_string).collect();
    let sql = format!(
        "SELECT b.size, b.mime FROM blobs b WHERE b.hash = $1 AND \
         (EXISTS (SELECT 1 FROM blob_holders h WHERE h.hash = b.hash AND h.user_id = $2) \
         OR EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = b.hash AND {}))",
        visible_sql("r.task", "view", 3, keys.len())
    );
    let mut params = args![hash, actor.id.to_string()];
    params.extend(keys.iter().map(Val::from));
    on.into()
        .row(&sql, params)
        .await?
        .as_ref()
        .map(stored_of)
        .transpose()
}

/// The file's content, if it is stored.
pub async fn content<'a>(on: impl Into<Conn<'a>>, hash: &str) -> Result<Option<Vec<u8>>, DbError> {
    on.into()
        .row("SELECT content FROM blobs WHERE hash = $1", args![hash])
        .await?
        .map(|r| r.get_bytes("content"))
        .transpose()
}

/// Records that the person sent the file's whole content.
pub async fn add_holder(tx: &mut Tx, hash: &str, user: &str) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO blob_holders (hash, user_id) VALUES ($1, $2) ON CONFLICT (hash, user_id) DO NOTHING",
        args![hash, user],
    )
    .await?;
    Ok(())
}

/// A file to store.
#[derive(Clone, Debug)]
pub struct NewBlob<'a> {
    /// Its hash.
    pub hash: &'a str,
    /// Its size in bytes.
    pub size: i64,
    /// Its MIME type.
    pub mime: &'a str,
    /// Its content.
    pub content: Vec<u8>,
    /// Who sent it.
    pub uploaded_by: &'a str,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// Stores a file unless it is stored already; returns whether it was stored here.
pub async fn insert(tx: &mut Tx, blob: NewBlob<'_>) -> Result<bool, DbError> {
    let n = tx
        .exec(
            "INSERT INTO blobs (hash, size, mime, content, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
            args![
                blob.hash,
                blob.size,
                blob.mime,
                blob.content,
                blob.uploaded_by,
                blob.at
            ],
        )
        .await?;
    Ok(n == 1)
}

/// One kept chunk of an upload, without its bytes.
#[derive(Clone, Copy, Debug)]
pub struct ChunkSpan {
    /// Where it starts.
    pub offset: i64,
    /// Its length.
    pub length: i64,
    /// The file's size its uploader announced.
    pub total: i64,
}

/// The uploader's kept chunks of the file, in order.
pub async fn chunks(tx: &mut Tx, hash: &str, user: &str) -> Result<Vec<ChunkSpan>, DbError> {
    tx.rows(
        "SELECT offset_at, CAST(length(data) AS BIGINT) AS length, total FROM blob_chunks \
         WHERE hash = $1 AND uploaded_by = $2 ORDER BY offset_at",
        args![hash, user],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ChunkSpan {
            offset: r.get_int("offset_at")?,
            length: r.get_int("length")?,
            total: r.get_int("total")?,
        })
    })
    .collect()
}

/// The bytes of the uploader's chunk starting at `offset`, if there is one.
pub async fn chunk_at(
    tx: &mut Tx,
    hash: &str,
    user: &str,
    offset: i64,
) -> Result<Option<Vec<u8>>, DbError> {
    tx.row(
        "SELECT data FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2 AND offset_at = $3",
        args![hash, user, offset],
    )
    .await?
    .map(|r| r.get_bytes("data"))
    .transpose()
}

/// A chunk to keep.
#[derive(Clone, Debug)]
pub struct NewChunk<'a> {
    /// The file's hash.
    pub hash: &'a str,
    /// Who sends it.
    pub uploaded_by: &'a str,
    /// Where it starts.
    pub offset: i64,
    /// Its bytes.
    pub data: Vec<u8>,
    /// The file's size announced.
    pub total: i64,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// Keeps a chunk.
pub async fn insert_chunk(tx: &mut Tx, chunk: NewChunk<'_>) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO blob_chunks (hash, uploaded_by, offset_at, data, total, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![
            chunk.hash,
            chunk.uploaded_by,
            chunk.offset,
            chunk.data,
            chunk.total,
            chunk.at
        ],
    )
    .await?;
    Ok(())
}

/// The uploader's chunks of the file, joined in order (`capacity`: the size expected).
pub async fn assembled(
    tx: &mut Tx,
    hash: &str,
    user: &str,
    capacity: usize,
) -> Result<Vec<u8>, DbError> {
    let mut content = Vec::with_capacity(capacity);
    for r in tx
        .rows(
            "SELECT data FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2 ORDER BY offset_at",
            args![hash, user],
        )
        .await?
    {
        content.extend_from_slice(&r.get_bytes("data")?);
    }
    Ok(content)
}

/// Drops the uploader's upload in progress.
pub async fn drop_chunks(tx: &mut Tx, hash: &str, user: &str) -> Result<(), DbError> {
    tx.exec(
        "DELETE FROM blob_chunks WHERE hash = $1 AND uploaded_by = $2",
        args![hash, user],
    )
    .await?;
    Ok(())
}
