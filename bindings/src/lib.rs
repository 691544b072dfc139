//! Duban's core as the mobile shells see it, through UniFFI: one [`DubanApp`] object per
//! signed-in app, whose calls each return a whole screen as one record (a call across the
//! FFI costs tens of microseconds on Android: one per screen, not one per field), and one
//! small error enum, [`DubanError`].
//!
//! Everything behind it is the core's `client::Client`: the offline store, the outbox, the
//! sync engine, the rules. Calls that wait on the network are async (run on a tokio
//! runtime the library owns); the rest read or write the store and return at once. No
//! panic crosses the boundary: every call catches its failures as a [`DubanError`].
//!
//! Generate the bindings with `scripts/bindings` (Kotlin and Swift, by the pinned
//! `uniffi-bindgen` of this crate).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use duban_core::client::{Client, ClientError, ErrorKind};
use duban_core::store::{InboxEntry, ItemSummary, NotificationEntry};
use duban_core::sync::{SyncConfig, SyncReport, SyncState};

uniffi::setup_scaffolding!();

/// What went wrong, in five kinds the app acts on differently; each with a stable code and a
/// sentence in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum DubanError {
    /// Not signed in, or the session ended: show the sign-in screen.
    #[error("[{code}] {en}")]
    SignedOut {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
    /// The server cannot be reached: the work is kept and syncs later.
    #[error("[{code}] {en}")]
    Offline {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
    /// The rules refuse the act: show the reason.
    #[error("[{code}] {en}")]
    Rejected {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
    /// The input is wrong (bad credentials, an unknown id …): show the reason.
    #[error("[{code}] {en}")]
    Invalid {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
    /// Something failed that the person cannot fix (storage, an unreadable answer).
    #[error("[{code}] {en}")]
    Internal {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
}

impl From<ClientError> for DubanError {
    fn from(e: ClientError) -> DubanError {
        let ClientError { kind, code, zh, en } = e;
        match kind {
            ErrorKind::SignedOut => DubanError::SignedOut { code, zh, en },
            ErrorKind::Offline => DubanError::Offline { code, zh, en },
            ErrorKind::Rejected => DubanError::Rejected { code, zh, en },
            ErrorKind::Invalid => DubanError::Invalid { code, zh, en },
            ErrorKind::Internal => DubanError::Internal { code, zh, en },
        }
    }
}

fn invalid(code: &str, zh: &str, en: &str) -> DubanError {
    DubanError::Invalid {
        code: code.to_owned(),
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The person signed in.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Me {
    /// Their id.
    pub id: String,
    /// Account name.
    pub username: String,
    /// Name.
    pub name: String,
    /// Position (职务).
    pub position: String,
    /// Their unit's id.
    pub unit: Option<String>,
    /// Roles (`supervisor`, `unit_head`, `staff` …).
    pub roles: Vec<String>,
}

fn code_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One item as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemRow {
    /// Id.
    pub id: String,
    /// Its number, e.g. `督〔2026〕17号` (none until the server gives it).
    pub number: Option<String>,
    /// Title.
    pub title: String,
    /// Category code.
    pub category: String,
    /// Status code (`dispatched`, `in_progress` …).
    pub status: String,
    /// Status in zh-CN.
    pub status_zh: String,
    /// Status in English.
    pub status_en: String,
    /// Urgency code (`normal`, `urgent`, `extra_urgent`).
    pub urgency: String,
    /// The deadline in force, milliseconds since the epoch.
    pub deadline_ms: Option<i64>,
    /// The timeliness light now (`green`, `yellow`, `red`), none where no clock runs.
    pub light: Option<String>,
    /// Progress reported, 0–100.
    pub progress: u8,
    /// This device's acts not yet confirmed by the server.
    pub pending: u32,
    /// When it last changed, milliseconds since the epoch.
    pub updated_ms: i64,
}

impl From<&ItemSummary> for ItemRow {
    fn from(s: &ItemSummary) -> ItemRow {
        ItemRow {
            id: s.id.to_string(),
            number: s.number.clone(),
            title: s.title.clone(),
            category: s.category.clone(),
            status: code_of(&s.status),
            status_zh: s.status_zh.clone(),
            status_en: s.status_en.clone(),
            urgency: code_of(&s.urgency),
            deadline_ms: s.deadline.map(millis),
            light: s.light.map(|c| code_of(&c)),
            progress: s.progress,
            pending: s.pending,
            updated_ms: millis(s.updated_at),
        }
    }
}

/// One thing an item asks of me.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DutyRow {
    /// The duty's code (`receive`, `handle`, `review` …).
    pub duty: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
}

/// One row of the inbox: an item and what it asks of me.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InboxRow {
    /// The item.
    pub item: ItemRow,
    /// What it asks of me, most pressing first.
    pub duties: Vec<DutyRow>,
}

impl From<&InboxEntry> for InboxRow {
    fn from(e: &InboxEntry) -> InboxRow {
        InboxRow {
            item: ItemRow::from(&e.item),
            duties: e
                .duties
                .iter()
                .map(|d| DutyRow {
                    duty: code_of(&d.duty),
                    zh: d.zh.clone(),
                    en: d.en.clone(),
                })
                .collect(),
        }
    }
}

/// How syncing goes, as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncStatus {
    /// Nothing under way.
    Idle {
        /// When the last sync completed (milliseconds since the epoch).
        last_synced_ms: Option<i64>,
    },
    /// A sync is under way: `done` of `total`.
    Syncing {
        /// Done so far.
        done: u64,
        /// In all.
        total: u64,
    },
    /// The server cannot be reached; everything is kept on the device.
    Offline {
        /// Not tried again automatically before this (milliseconds since the epoch).
        retry_at_ms: i64,
    },
    /// The last sync failed for a reason the person may have to act on.
    Error {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
}

impl From<SyncState> for SyncStatus {
    fn from(s: SyncState) -> SyncStatus {
        match s {
            SyncState::Idle { last_synced } => SyncStatus::Idle {
                last_synced_ms: last_synced.map(millis),
            },
            SyncState::Syncing { done, total, .. } => SyncStatus::Syncing { done, total },
            SyncState::Offline { retry_at, .. } => SyncStatus::Offline {
                retry_at_ms: millis(retry_at),
            },
            SyncState::Error { code, zh, en, .. } => SyncStatus::Error { code, zh, en },
        }
    }
}

/// The inbox screen: what needs me now, the unread count and the sync status, in one call.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InboxScreen {
    /// The rows, most pressing first.
    pub rows: Vec<InboxRow>,
    /// Unread notifications.
    pub unread: u64,
    /// How syncing goes.
    pub sync: SyncStatus,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NotificationRow {
    /// Its id on this device (for [`DubanApp::mark_read`]).
    pub id: i64,
    /// The item.
    pub task: String,
    /// The event of the item's trail that brought it.
    pub task_seq: u64,
    /// What it is about (stable name).
    pub kind: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
    /// When the event happened (milliseconds since the epoch).
    pub at_ms: i64,
    /// Whether it was read.
    pub read: bool,
}

impl From<&NotificationEntry> for NotificationRow {
    fn from(n: &NotificationEntry) -> NotificationRow {
        NotificationRow {
            id: n.id,
            task: n.task.to_string(),
            task_seq: n.task_seq,
            kind: n.kind.clone(),
            zh: n.zh.clone(),
            en: n.en.clone(),
            at_ms: millis(n.at),
            read: n.read,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncSummary {
    /// Acts the server applied.
    pub accepted: u64,
    /// Acts it refused (they wait in "needs attention").
    pub rejected: u64,
    /// Files uploaded.
    pub uploaded: u64,
    /// Events taken in.
    pub events: u64,
    /// Items removed (access lost).
    pub purged: u64,
    /// Read receipts the server took.
    pub receipts: u64,
}

impl From<SyncReport> for SyncSummary {
    fn from(r: SyncReport) -> SyncSummary {
        SyncSummary {
            accepted: r.accepted as u64,
            rejected: (r.rejected + r.dependent) as u64,
            uploaded: r.uploaded as u64,
            events: r.events as u64,
            purged: r.purged as u64,
            receipts: r.receipts as u64,
        }
    }
}

/// The app's one object: the store on the device and its server.
#[derive(uniffi::Object)]
pub struct DubanApp {
    client: Arc<Client>,
}

#[uniffi::export(async_runtime = "tokio")]
impl DubanApp {
    /// Opens (or creates) the store at `path` for the server at `server_url`
    /// (e.g. `https://duban.example.gov.cn`).
    #[uniffi::constructor]
    pub fn open(path: String, server_url: String) -> Result<Arc<DubanApp>, DubanError> {
        let client = Client::open(&path, &server_url, SyncConfig::default())?;
        Ok(Arc::new(DubanApp {
            client: Arc::new(client),
        }))
    }

    /// Signs in; returns who. Signing in as another person clears the previous one's data.
    pub async fn sign_in(&self, username: String, password: String) -> Result<Me, DubanError> {
        let p = self.client.sign_in(&username, &password).await?;
        Ok(Me {
            id: p.id.to_string(),
            username: p.username,
            name: p.name,
            position: p.position,
            unit: p.unit.map(|u| u.to_string()),
            roles: p.roles.iter().map(code_of).collect(),
        })
    }

    /// Signs out and removes this person's data from the device. Refused while acts wait to
    /// be sent, unless `discard_pending`.
    pub async fn sign_out(&self, discard_pending: bool) -> Result<(), DubanError> {
        Ok(self.client.sign_out(discard_pending).await?)
    }

    /// Sends what waits and takes in what is new.
    pub async fn sync_now(&self) -> Result<SyncSummary, DubanError> {
        Ok(self.client.sync_now().await?.into())
    }

    /// How syncing goes now.
    pub fn sync_status(&self) -> SyncStatus {
        self.client.sync_state().into()
    }

    /// The inbox screen in one call.
    pub fn inbox(&self) -> Result<InboxScreen, DubanError> {
        let rows = self.client.inbox()?.iter().map(InboxRow::from).collect();
        let unread = self
            .client
            .with_store(|s| s.unread())
            .map_err(ClientError::from)?;
        Ok(InboxScreen {
            rows,
            unread,
            sync: self.client.sync_state().into(),
        })
    }

    /// The notifications, newest first.
    pub fn notifications(&self) -> Result<Vec<NotificationRow>, DubanError> {
        Ok(self
            .client
            .notifications()?
            .iter()
            .map(NotificationRow::from)
            .collect())
    }

    /// Marks a notification read (`None`: all); the receipt reaches the server with the
    /// next sync.
    pub fn mark_read(&self, id: Option<i64>) -> Result<(), DubanError> {
        Ok(self.client.mark_read(id)?)
    }

    /// Receives an item dispatched to me (签收).
    pub fn receive(&self, task: String) -> Result<String, DubanError> {
        let task = task
            .parse::<uuid::Uuid>()
            .map(duban_core::domain::TaskId)
            .map_err(|_| invalid("input.task", "事项编号无效", "not an item id"))?;
        Ok(self
            .client
            .issue(task, duban_core::domain::Command::Receive)?
            .to_string())
    }
}
