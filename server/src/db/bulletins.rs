//! The `bulletins` table: drafts the office edits and published bulletins. Every write is one
//! statement: a create keyed by its id, an edit or a publication guarded by the version it
//! was made from.

use super::{Db, DbError, Row};
use crate::args;

/// A stored bulletin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulletinRow {
    /// Id.
    pub id: String,
    /// Kind, as stored (`monthly`, `quarterly`, `special`, `notice`).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// The period it covers, or empty.
    pub period: String,
    /// Whether its audience is the public.
    pub public: bool,
    /// Published (or a draft).
    pub published: bool,
    /// Who wrote it (a person's id).
    pub author: String,
    /// Bumped by every change.
    pub version: i64,
    /// Last changed (Unix milliseconds).
    pub updated_at: i64,
    /// Published (Unix milliseconds).
    pub published_at: Option<i64>,
}

const COLUMNS: &str =
    "id, kind, title, body, period, audience, status, author, version, updated_at, published_at";

fn of_row(r: &Row) -> Result<BulletinRow, DbError> {
    Ok(BulletinRow {
        id: r.get_text("id")?,
        kind: r.get_text("kind")?,
        title: r.get_text("title")?,
        body: r.get_text("body")?,
        period: r.get_text("period")?,
        public: r.get_text("audience")? == "public",
        published: r.get_text("status")? == "published",
        author: r.get_text("author")?,
        version: r.get_int("version")?,
        updated_at: r.get_int("updated_at")?,
        published_at: r.get_opt_int("published_at")?,
    })
}

/// A bulletin by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<BulletinRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM bulletins WHERE id = $1");
    db.row(&sql, args![id])
        .await?
        .as_ref()
        .map(of_row)
        .transpose()
}

/// Published bulletins, drafts last, newest first (only the public ones if `public_only`),
/// at most 100; and the drafts too when `drafts`.
pub async fn list(db: &Db, public_only: bool, drafts: bool) -> Result<Vec<BulletinRow>, DbError> {
    let mut sql = format!("SELECT {COLUMNS} FROM bulletins WHERE (status = 'published'");
    if public_only {
        sql.push_str(" AND audience = 'public'");
    }
    sql.push(')');
    if drafts {
        sql.push_str(" OR status = 'draft'");
    }
    sql.push_str(" ORDER BY status, COALESCE(published_at, updated_at) DESC, id LIMIT 100");
    db.rows(&sql, vec![]).await?.iter().map(of_row).collect()
}

/// A new draft.
#[derive(Clone, Copy, Debug)]
pub struct NewBulletin<'a> {
    /// Id.
    pub id: &'a str,
    /// Kind, as stored.
    pub kind: &'a str,
    /// Title.
    pub title: &'a str,
    /// Body.
    pub body: &'a str,
    /// The period, or empty.
    pub period: &'a str,
    /// Whether its audience is the public.
    pub public: bool,
    /// Who writes it (a person's id).
    pub author: &'a str,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// Creates a draft, unless one with its id exists.
pub async fn insert(db: &Db, b: NewBulletin<'_>) -> Result<(), DbError> {
    db.exec(
        "INSERT INTO bulletins (id, kind, title, body, period, audience, status, author, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, 1, $8, $8) ON CONFLICT (id) DO NOTHING",
        args![
            b.id,
            b.kind,
            b.title,
            b.body,
            b.period,
            if b.public { "public" } else { "internal" },
            b.author,
            b.at
        ],
    )
    .await?;
    Ok(())
}

/// A change to a draft.
#[derive(Clone, Copy, Debug)]
pub struct DraftChange<'a> {
    /// Which.
    pub id: &'a str,
    /// The version it was made from.
    pub version: i64,
    /// Title.
    pub title: &'a str,
    /// Body.
    pub body: &'a str,
    /// Whether its audience is the public.
    pub public: bool,
    /// Whether it is published now.
    pub publish: bool,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// Saves a draft — and publishes it if asked — when it is still at the version and a draft;
/// returns whether it was.
pub async fn save(db: &Db, c: DraftChange<'_>) -> Result<bool, DbError> {
    let n = db
        .exec(
            "UPDATE bulletins SET title = $1, body = $2, audience = $3, version = version + 1, updated_at = $4, \
             status = $5, published_at = $6 WHERE id = $7 AND version = $8 AND status = 'draft'",
            args![
                c.title,
                c.body,
                if c.public { "public" } else { "internal" },
                c.at,
                if c.publish { "published" } else { "draft" },
                c.publish.then_some(c.at),
                c.id,
                c.version
            ],
        )
        .await?;
    Ok(n == 1)
}
