//! The phone's offline store (DESIGN "Sync"): one SQLite file in WAL mode, with foreign keys
//! on and one writer (this [`Store`], behind the client's lock).
//!
//! It holds what this person may see — the server's events for every item, as received, with
//! their trail hashes checked — and projections that make screens fast: per item the
//! authoritative state and the *view* (that state with the device's pending commands replayed
//! on top, so an act shows at once, offline too), the views it appears in, what it asks of
//! the person (the inbox and the approvals) and the notifications it brought. Beside them:
//! the outbox, the commands that need attention, and a cache of files.
//!
//! Every change is one transaction: a pull page, a push's outcomes, an issued command. A
//! process killed at any point leaves the store as it was before that transaction.
//!
//! Migrations are numbered files in `store/migrations/`, applied in order and recorded in
//! SQLite's `user_version`; they are never edited once released.

mod apply;
mod blobs;
mod outbox;
mod screens;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use thiserror::Error;

use crate::domain::calendar::{Calendar, YearData};
use crate::domain::{Actor, Context, Policy, Rejection, Roles, TaskId, UnitTree, UserId};
use crate::protocol::{Person, Snapshot, UnitRecord};

pub use apply::{PageOutcome, PushSummary};
pub use blobs::{BlobStats, DEFAULT_CACHE_BYTES};
pub use outbox::{AttentionEntry, OutboxEntry, OutboxState};
pub use screens::{
    DutyLine, InboxEntry, ItemDetail, ItemSummary, NotificationEntry, PendingCommand, ReportLine,
    TrailLine, UnitLine,
};

/// The schema, in order: migration `n` is `MIGRATIONS[n - 1]`.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_blobs_notifications.sql"),
    include_str!("migrations/0003_read_receipts.sql"),
    include_str!("migrations/0004_duties_order.sql"),
];

/// What can go wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite failed (disk full, file damaged, …).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Stored or received JSON did not read back.
    #[error("data: {0}")]
    Json(#[from] serde_json::Error),
    /// The file was written by a newer version of the app.
    #[error("the store is at schema version {found}; this app knows up to {known}")]
    TooNew {
        /// The file's version.
        found: u32,
        /// The newest this build knows.
        known: u32,
    },
    /// Nobody is signed in on this store (or the first sync has not happened).
    #[error("not signed in")]
    NotSignedIn,
    /// An item's events do not chain: the server sent something that does not verify.
    #[error("item {task}: {detail}")]
    Trail {
        /// The item.
        task: TaskId,
        /// What did not fit.
        detail: String,
    },
    /// The rules refuse the command (checked on the device before it is queued).
    #[error("{}", .0.en)]
    Rejected(Rejection),
    /// No such entry (an item, a command needing attention, a file).
    #[error("not found")]
    NotFound,
    /// A file fetched from the server does not match its hash; it was not kept.
    #[error("file {hash} does not match its hash")]
    BlobMismatch {
        /// The hash asked for.
        hash: String,
    },
}

impl StoreError {
    /// A stable code.
    pub fn code(&self) -> String {
        match self {
            StoreError::Sqlite(_) => "store.database".into(),
            StoreError::Json(_) => "store.data".into(),
            StoreError::TooNew { .. } => "store.too_new".into(),
            StoreError::NotSignedIn => "store.not_signed_in".into(),
            StoreError::Trail { .. } => "sync.trail_mismatch".into(),
            StoreError::Rejected(r) => r.code.clone(),
            StoreError::NotFound => "store.not_found".into(),
            StoreError::BlobMismatch { .. } => "blob.hash_mismatch".into(),
        }
    }

    /// zh-CN.
    pub fn zh(&self) -> String {
        match self {
            StoreError::Sqlite(e) => format!("本地数据库出错:{e}"),
            StoreError::Json(e) => format!("本地数据无法读取:{e}"),
            StoreError::TooNew { found, known } => {
                format!(
                    "本地数据由更新版本的应用写入(版本 {found},本应用支持到 {known}),请升级应用"
                )
            }
            StoreError::NotSignedIn => "尚未登录".into(),
            StoreError::Trail { task, detail } => {
                format!("事项 {task} 的流程记录校验失败,已停止同步:{detail}")
            }
            StoreError::Rejected(r) => r.zh.clone(),
            StoreError::NotFound => "未找到".into(),
            StoreError::BlobMismatch { hash } => format!("文件 {hash} 与其哈希不符,未保存"),
        }
    }

    /// English.
    pub fn en(&self) -> String {
        match self {
            StoreError::Trail { task, detail } => {
                format!("the trail of item {task} does not verify; sync stopped: {detail}")
            }
            StoreError::TooNew { .. } => format!("{self}; update the app"),
            other => other.to_string(),
        }
    }
}

/// Results in this module.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Keys of the `meta` table.
pub(crate) mod key {
    pub const SERVER: &str = "server";
    pub const DEVICE: &str = "device";
    pub const TOKEN: &str = "token";
    pub const USER: &str = "user";
    pub const ME: &str = "me";
    pub const CURSOR: &str = "cursor";
    pub const REF_SEQ: &str = "ref_seq";
    pub const POLICY: &str = "policy";
    pub const CALENDAR: &str = "calendar";
    pub const LAST_SYNCED: &str = "last_synced";
    pub const REBASE: &str = "rebase";
}

/// The organisation as the rules need it on the device: who I am, the unit tree, people's
/// names, the policy and the calendar.
#[derive(Clone, Debug)]
pub struct Org {
    /// Me.
    pub me: Person,
    /// Me as the rules see me.
    pub actor: Actor,
    /// The unit tree.
    pub units: UnitTree,
    /// The policy.
    pub policy: Policy,
    /// The calendar.
    pub calendar: Calendar,
}

impl Org {
    /// The rules' context for an act of mine at `now`.
    pub fn context(&self, now: DateTime<Utc>) -> Context<'_> {
        Context {
            actor: &self.actor,
            now,
            calendar: &self.calendar,
            policy: &self.policy,
            units: &self.units,
            parent: None,
        }
    }
}

/// Me as the rules see me.
pub fn actor_of(p: &Person) -> Actor {
    Actor {
        id: p.id,
        unit: p.unit,
        roles: Roles::of(&p.roles),
    }
}

/// Where this device syncs and as whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The server's base URL.
    pub server: String,
    /// The bearer token.
    pub token: String,
    /// Who signed in.
    pub user: UserId,
    /// This device's id.
    pub device: String,
}

/// The offline store.
pub struct Store {
    conn: Connection,
    org: Option<Org>,
    /// While the items are loaded from the start of the feed: each item's fold so far, kept
    /// in memory between pages so that [`Store::end_rebase`] folds each item once without
    /// reading its events back. Only a cache: an entry is used only if its version is the one
    /// on disk, and any other change to the store drops it all (a resumed load refolds from
    /// the events on disk).
    bulk: apply::Bulk,
}

impl Store {
    /// Before any change other than taking in a page: commits an open load from the start of
    /// the feed and forgets the folds kept between its pages.
    fn settle(&mut self) -> Result<()> {
        self.commit_load()?;
        self.bulk.clear();
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // The pages of an open load are whole: keep them (a crash loses them, and the load
        // resumes from the last commit).
        let _ = self.commit_load();
    }
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::with_connection(Connection::open(path)?)
    }

    /// A store in memory (tests, benchmarks).
    pub fn open_in_memory() -> Result<Store> {
        Store::with_connection(Connection::open_in_memory()?)
    }

    /// Opens the store at `path` bringing its schema only up to migration `version`, for the
    /// upgrade test: an old database, made as an old app made it.
    pub fn open_at_version(path: impl AsRef<Path>, version: u32) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrate(&mut conn, version)?;
        Ok(Store {
            conn,
            org: None,
            bulk: apply::Bulk::default(),
        })
    }

    fn with_connection(mut conn: Connection) -> Result<Store> {
        configure(&conn)?;
        migrate(&mut conn, MIGRATIONS.len() as u32)?;
        let mut store = Store {
            conn,
            org: None,
            bulk: apply::Bulk::default(),
        };
        store.org = store.load_org()?;
        Ok(store)
    }

    /// The schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// The schema as SQL text, sorted, for comparing two stores.
    pub fn schema_sql(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The underlying connection (benchmarks compare with raw inserts).
    pub fn connection(&mut self) -> &mut Connection {
        // Raw access: an open load is committed first (its pages are whole).
        let _ = self.settle();
        &mut self.conn
    }

    /// The organisation, once the first sync brought it.
    pub fn org(&self) -> Option<&Org> {
        self.org.as_ref()
    }

    fn org_or_err(&self) -> Result<&Org> {
        self.org.as_ref().ok_or(StoreError::NotSignedIn)
    }

    // ----- meta -------------------------------------------------------------------------

    /// A setting.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(get_meta(&self.conn, key)?)
    }

    /// Where and as whom this device syncs, if signed in.
    pub fn session(&self) -> Result<Option<Session>> {
        let get = |k| get_meta(&self.conn, k);
        let (Some(server), Some(token), Some(user), Some(device)) = (
            get(key::SERVER)?,
            get(key::TOKEN)?,
            get(key::USER)?,
            get(key::DEVICE)?,
        ) else {
            return Ok(None);
        };
        let Ok(user) = user.parse() else {
            return Ok(None);
        };
        Ok(Some(Session {
            server,
            token,
            user: UserId(user),
            device,
        }))
    }

    /// This device's id, made on first use and kept.
    pub fn device_id(&mut self) -> Result<String> {
        self.commit_load()?;
        if let Some(d) = get_meta(&self.conn, key::DEVICE)? {
            return Ok(d);
        }
        let id = uuid::Uuid::new_v4().to_string();
        set_meta(&self.conn, key::DEVICE, &id)?;
        Ok(id)
    }

    /// Records a sign-in. Signing in as someone else first clears everything the previous
    /// person's data (their items, outbox and files).
    pub fn signed_in(&mut self, server: &str, token: &str, me: &Person) -> Result<()> {
        self.settle()?;
        let previous = get_meta(&self.conn, key::USER)?;
        let tx = self.conn.transaction()?;
        if previous.is_some_and(|p| p != me.id.to_string()) {
            wipe(&tx)?;
        }
        set_meta(&tx, key::SERVER, server)?;
        set_meta(&tx, key::TOKEN, token)?;
        set_meta(&tx, key::USER, &me.id.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets the token (the session ended on the server); the data stays until someone
    /// else signs in or [`Store::wipe`].
    pub fn forget_token(&mut self) -> Result<()> {
        self.commit_load()?;
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", params![key::TOKEN])?;
        Ok(())
    }

    /// Deletes everything but the device id: signing out.
    pub fn wipe(&mut self) -> Result<()> {
        self.settle()?;
        let tx = self.conn.transaction()?;
        wipe(&tx)?;
        tx.execute(
            "DELETE FROM meta WHERE key IN (?1, ?2, ?3)",
            params![key::TOKEN, key::USER, key::SERVER],
        )?;
        tx.commit()?;
        self.org = None;
        Ok(())
    }

    /// The feed position held (0 before the first sync).
    pub fn cursor(&self) -> Result<i64> {
        Ok(get_meta(&self.conn, key::CURSOR)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Whether the items are being (re)loaded from the start of the feed.
    pub fn rebasing(&self) -> Result<bool> {
        Ok(get_meta(&self.conn, key::REBASE)?.as_deref() == Some("1"))
    }

    /// When the last sync completed.
    pub fn last_synced(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(get_meta(&self.conn, key::LAST_SYNCED)?
            .and_then(|v| v.parse().ok())
            .map(from_millis))
    }

    /// Records a completed sync.
    pub fn set_last_synced(&mut self, at: DateTime<Utc>) -> Result<()> {
        self.commit_load()?;
        set_meta(&self.conn, key::LAST_SYNCED, &millis(at).to_string())?;
        Ok(())
    }

    /// Takes the reference data of a snapshot (`items=false`): me, the units, the people, the
    /// policy and the calendar as of `snapshot.seq`. Reference changes the feed brings at or
    /// before that position are older and are skipped.
    pub fn set_reference(&mut self, snapshot: &Snapshot) -> Result<()> {
        self.settle()?;
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM units", [])?;
        tx.execute("DELETE FROM people", [])?;
        for u in &snapshot.units {
            put_unit(&tx, u)?;
        }
        for p in &snapshot.people {
            put_person(&tx, p)?;
        }
        put_person(&tx, &snapshot.me)?;
        set_meta(&tx, key::ME, &serde_json::to_string(&snapshot.me)?)?;
        set_meta(&tx, key::POLICY, &serde_json::to_string(&snapshot.policy)?)?;
        set_meta(
            &tx,
            key::CALENDAR,
            &serde_json::to_string(&snapshot.calendar)?,
        )?;
        set_meta(&tx, key::REF_SEQ, &snapshot.seq.to_string())?;
        tx.commit()?;
        self.org = self.load_org()?;
        Ok(())
    }

    /// Starts loading the items again from the start of the feed (first sync, or the server
    /// asked for a new snapshot): the items, their events and projections go; the outbox,
    /// the commands needing attention and the files stay.
    pub fn begin_rebase(&mut self) -> Result<()> {
        self.settle()?;
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM tasks", [])?;
        set_meta(&tx, key::CURSOR, "0")?;
        set_meta(&tx, key::REBASE, "1")?;
        tx.commit()?;
        self.bulk.start_empty();
        Ok(())
    }

    fn load_org(&self) -> Result<Option<Org>> {
        let (Some(me), Some(policy), Some(calendar)) = (
            get_meta(&self.conn, key::ME)?,
            get_meta(&self.conn, key::POLICY)?,
            get_meta(&self.conn, key::CALENDAR)?,
        ) else {
            return Ok(None);
        };
        let me: Person = serde_json::from_str(&me)?;
        let policy: Policy = serde_json::from_str(&policy)?;
        let years: Vec<YearData> = serde_json::from_str(&calendar)?;
        let mut cal = Calendar::builtin();
        for y in years {
            // A year the server holds replaces the built-in one; a year that does not
            // validate keeps the built-in data rather than stopping the app.
            let _ = cal.import_year(y);
        }
        let mut units = UnitTree::default();
        let mut stmt = self.conn.prepare("SELECT id, parent FROM units")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        for row in rows {
            let (id, parent) = row?;
            let parse = |s: &str| s.parse().map(crate::domain::UnitId).ok();
            if let Some(id) = parse(&id) {
                units.insert(id, parent.as_deref().and_then(parse));
            }
        }
        Ok(Some(Org {
            actor: actor_of(&me),
            me,
            units,
            policy,
            calendar: cal,
        }))
    }
}

/// The page size of a new store's file, in bytes (SQLite's default is 4,096). An item's
/// state JSON is a few KB: with 16 KiB pages the rows the first sync writes split and spill
/// to overflow pages less, and it takes about a tenth less time (docs/PERFORMANCE.md).
pub const PAGE_SIZE: i64 = 16_384;

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Only a new, empty file takes it (an existing store keeps the size it was made with).
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn migrate(conn: &mut Connection, target: u32) -> Result<()> {
    let known = MIGRATIONS.len() as u32;
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for n in found..target.min(known) {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[n as usize])?;
        tx.pragma_update(None, "user_version", n + 1)?;
        tx.commit()?;
    }
    Ok(())
}

pub(crate) fn get_meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub(crate) fn put_unit(conn: &Connection, u: &UnitRecord) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO units (id, parent, name, name_en, sort) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, name = excluded.name, \
         name_en = excluded.name_en, sort = excluded.sort",
        params![
            u.id.to_string(),
            u.parent.map(|p| p.to_string()),
            u.name,
            u.name_en,
            u.sort
        ],
    )?;
    Ok(())
}

pub(crate) fn put_person(conn: &Connection, p: &Person) -> Result<()> {
    conn.execute(
        "INSERT INTO people (id, username, name, body) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, name = excluded.name, \
         body = excluded.body",
        params![
            p.id.to_string(),
            p.username,
            p.name,
            serde_json::to_string(p)?
        ],
    )?;
    Ok(())
}

/// Everything of the signed-in person (not the device id).
fn wipe(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DELETE FROM tasks; DELETE FROM outbox; DELETE FROM attention; DELETE FROM blobs; \
         DELETE FROM units; DELETE FROM people; \
         DELETE FROM meta WHERE key NOT IN ('device', 'server');",
    )
}
