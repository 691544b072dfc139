//! Files by content hash (blake3): photos and documents made on this device (kept until
//! sign-out, and uploaded before any command citing them is sent) and files fetched from the
//! server (a cache: the least recently used go first once it holds more than its size). A
//! file made here, or not yet uploaded, is never evicted.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{millis, Result, Store, StoreError};
use crate::domain::model::BlobRef;

/// The fetched files kept unless told otherwise: 256 MiB.
pub const DEFAULT_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// What the file cache holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlobStats {
    /// Files made on this device.
    pub own: u64,
    /// Of those, not uploaded yet.
    pub pending: u64,
    /// Files fetched from the server.
    pub fetched: u64,
    /// Their bytes.
    pub fetched_bytes: u64,
}

/// The hex blake3 hash that names a file.
pub fn hash_of(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

impl Store {
    /// Keeps a file made on this device (a photo taken, a document attached) and returns the
    /// reference a command cites. Keeping the same content twice keeps it once.
    pub fn put_own_blob(
        &mut self,
        data: &[u8],
        mime: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<BlobRef> {
        self.commit_load()?;
        let hash = hash_of(data);
        self.conn.execute(
            "INSERT INTO blobs (hash, mime, size, data, origin, uploaded, used_at) \
             VALUES (?1, ?2, ?3, ?4, 'own', 0, ?5) \
             ON CONFLICT (hash) DO UPDATE SET origin = 'own', used_at = excluded.used_at",
            params![hash, mime, data.len() as i64, data, millis(now)],
        )?;
        Ok(BlobRef::file(hash, mime, data.len() as u64, name))
    }

    /// A file's type and content, if held (and marks it used).
    pub fn blob(&mut self, hash: &str, now: DateTime<Utc>) -> Result<Option<(String, Vec<u8>)>> {
        self.commit_load()?;
        let found = self
            .conn
            .query_row(
                "UPDATE blobs SET used_at = ?2 WHERE hash = ?1 RETURNING mime, data",
                params![hash, millis(now)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(found)
    }

    /// Whether a file is held and whether it has been uploaded.
    pub fn blob_state(&self, hash: &str) -> Result<Option<bool>> {
        Ok(self
            .conn
            .query_row("SELECT uploaded FROM blobs WHERE hash = ?1", [hash], |r| {
                r.get::<_, bool>(0)
            })
            .optional()?)
    }

    /// Records that the server holds a file.
    pub fn blob_uploaded(&mut self, hash: &str) -> Result<()> {
        self.commit_load()?;
        self.conn
            .execute("UPDATE blobs SET uploaded = 1 WHERE hash = ?1", [hash])?;
        Ok(())
    }

    /// Keeps a file fetched from the server (checked against its hash), then evicts the
    /// least recently used fetched files beyond `cache_bytes`.
    pub fn put_fetched_blob(
        &mut self,
        hash: &str,
        mime: &str,
        data: &[u8],
        now: DateTime<Utc>,
        cache_bytes: u64,
    ) -> Result<()> {
        self.commit_load()?;
        if hash_of(data) != hash {
            return Err(StoreError::BlobMismatch {
                hash: hash.to_owned(),
            });
        }
        self.conn.execute(
            "INSERT INTO blobs (hash, mime, size, data, origin, uploaded, used_at) \
             VALUES (?1, ?2, ?3, ?4, 'fetched', 1, ?5) \
             ON CONFLICT (hash) DO UPDATE SET used_at = excluded.used_at",
            params![hash, mime, data.len() as i64, data, millis(now)],
        )?;
        self.evict(cache_bytes)?;
        Ok(())
    }

    /// Evicts fetched files, least recently used first, until they take at most
    /// `cache_bytes`. Files made here and files not uploaded are never evicted. Returns the
    /// bytes freed.
    pub fn evict(&mut self, cache_bytes: u64) -> Result<u64> {
        self.commit_load()?;
        let tx = self.conn.transaction()?;
        let mut total: i64 = tx.query_row(
            "SELECT COALESCE(SUM(size), 0) FROM blobs WHERE origin = 'fetched' AND uploaded = 1",
            [],
            |r| r.get(0),
        )?;
        let mut freed = 0u64;
        let cap = i64::try_from(cache_bytes).unwrap_or(i64::MAX);
        if total > cap {
            let victims: Vec<(String, i64)> = {
                let mut stmt = tx.prepare(
                    "SELECT hash, size FROM blobs WHERE origin = 'fetched' AND uploaded = 1 \
                     ORDER BY used_at, hash",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for (hash, size) in victims {
                if total <= cap {
                    break;
                }
                tx.execute("DELETE FROM blobs WHERE hash = ?1", [&hash])?;
                total -= size;
                freed += size as u64;
            }
        }
        tx.commit()?;
        Ok(freed)
    }

    /// What the file cache holds.
    pub fn blob_stats(&self) -> Result<BlobStats> {
        Ok(self.conn.query_row(
            "SELECT \
               COALESCE(SUM(origin = 'own'), 0), \
               COALESCE(SUM(uploaded = 0), 0), \
               COALESCE(SUM(origin = 'fetched'), 0), \
               COALESCE(SUM(CASE WHEN origin = 'fetched' THEN size ELSE 0 END), 0) \
             FROM blobs",
            [],
            |r| {
                Ok(BlobStats {
                    own: r.get::<_, i64>(0)? as u64,
                    pending: r.get::<_, i64>(1)? as u64,
                    fetched: r.get::<_, i64>(2)? as u64,
                    fetched_bytes: r.get::<_, i64>(3)? as u64,
                })
            },
        )?)
    }
}
