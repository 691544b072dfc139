//! The sync client (DESIGN "Sync"): it sends the outbox and brings the feed in.
//!
//! One sync is:
//! 1. **Reference data and a fresh start when needed.** Before the first sync, after the
//!    server asked for a new snapshot (the person's roles or unit changed) and when the
//!    server no longer holds the device's feed position, the reference data is taken from
//!    `GET /sync/snapshot?items=false` and the items are loaded again from the start of the
//!    feed, in pages, with progress (done of total).
//! 2. **Push.** The queued commands are sent in order, in batches. Every file a command cites
//!    is uploaded first (resumably, in chunks); a command whose file could not be uploaded
//!    waits, and so does every command after it. Each command keeps its UUID across
//!    retries, so the server applies it at most once whatever the network does. Refused
//!    commands, and later ones that depended on them, go to "needs attention".
//! 3. **Pull.** Pages of the feed after the cursor, each taken in as one transaction;
//!    revocations purge items from the device.
//!
//! A sync that fails to reach the server leaves everything as it was and backs off, with
//! jitter, before the next automatic try; [`SyncState`] says what the app should show.

mod http;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use thiserror::Error;
use tokio::sync::watch;

pub use http::{Http, UploadStatus};

use crate::domain::model::BlobRef;
use crate::fault;
use crate::protocol::{CommandEnvelope, PushRequest, ReadReceipts, MAX_PULL, MAX_PUSH};

/// Read receipts sent in one request, at most (the server takes up to 1,000).
const RECEIPTS_PER_REQUEST: usize = 500;
use crate::store::{OutboxEntry, Store, StoreError};

/// What can go wrong in a sync.
#[derive(Debug, Error)]
pub enum SyncError {
    /// The network or the server is unreachable (no answer, timeout, 502/503/504, 429).
    #[error("offline: {0}")]
    Offline(String),
    /// The session ended (expired, revoked or signed out elsewhere): sign in again.
    #[error("the session ended; sign in again")]
    Unauthorized,
    /// The server no longer holds the device's feed position.
    #[error("the feed position is no longer held")]
    CursorGone,
    /// The server refused the request.
    #[error("[{code}] {en}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
    /// The server's answer did not read.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nobody is signed in.
    #[error("not signed in")]
    NotSignedIn,
}

impl SyncError {
    /// A stable code.
    pub fn code(&self) -> String {
        match self {
            SyncError::Offline(_) => "sync.offline".into(),
            SyncError::Unauthorized => "auth.session_ended".into(),
            SyncError::CursorGone => "sync.cursor_gone".into(),
            SyncError::Server { code, .. } => code.clone(),
            SyncError::Protocol(_) => "sync.protocol".into(),
            SyncError::Store(e) => e.code(),
            SyncError::NotSignedIn => "auth.not_signed_in".into(),
        }
    }

    /// zh-CN.
    pub fn zh(&self) -> String {
        match self {
            SyncError::Offline(_) => "无法连接服务器,已保存在本机,联网后自动同步".into(),
            SyncError::Unauthorized => "登录已失效,请重新登录".into(),
            SyncError::CursorGone => "服务器数据已恢复或重置,需要重新同步全部数据".into(),
            SyncError::Server { zh, .. } => zh.clone(),
            SyncError::Protocol(d) => format!("服务器返回的内容无法识别:{d}"),
            SyncError::Store(e) => e.zh(),
            SyncError::NotSignedIn => "尚未登录".into(),
        }
    }

    /// English.
    pub fn en(&self) -> String {
        match self {
            SyncError::Offline(_) => {
                "cannot reach the server; kept on this device, it syncs once online".into()
            }
            SyncError::Server { en, .. } => en.clone(),
            SyncError::Store(e) => e.en(),
            other => other.to_string(),
        }
    }

    /// Whether trying again later may succeed by itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Offline(_))
            || matches!(self, SyncError::Server { status, .. } if *status >= 500)
    }
}

/// What the app shows about syncing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    /// Nothing under way.
    Idle {
        /// When the last sync completed.
        last_synced: Option<DateTime<Utc>>,
    },
    /// A sync is under way: `done` of `total` (feed positions while loading, commands while
    /// sending).
    Syncing {
        /// Done so far.
        done: u64,
        /// In all.
        total: u64,
        /// When the last sync completed.
        last_synced: Option<DateTime<Utc>>,
    },
    /// The server cannot be reached; everything is kept on the device.
    Offline {
        /// Not tried again automatically before this.
        retry_at: DateTime<Utc>,
        /// When the last sync completed.
        last_synced: Option<DateTime<Utc>>,
    },
    /// The last sync failed for a reason the person may have to act on.
    Error {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
        /// When the last sync completed.
        last_synced: Option<DateTime<Utc>>,
    },
}

/// Settings of the sync client.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// Connecting gives up after this.
    pub connect_timeout: Duration,
    /// A request gives up after this.
    pub request_timeout: Duration,
    /// Feed changes asked for per page.
    pub page_size: usize,
    /// Commands per push.
    pub push_batch: usize,
    /// Bytes per upload request.
    pub chunk_size: usize,
    /// The first backoff after a failure.
    pub backoff_base: Duration,
    /// The longest backoff.
    pub backoff_max: Duration,
    /// Bytes of fetched files kept.
    pub cache_bytes: u64,
}

impl Default for SyncConfig {
    fn default() -> SyncConfig {
        SyncConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            page_size: 5_000,
            push_batch: 100,
            chunk_size: 1024 * 1024,
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            cache_bytes: crate::store::DEFAULT_CACHE_BYTES,
        }
    }
}

/// The wait before attempt `attempt + 1` (attempt counted from 1): exponential from `base`,
/// capped at `max`, with "equal jitter" (half fixed, half random) so that devices coming
/// back online together do not retry in step.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let cap = exp.min(max);
    let mut b = [0u8; 8];
    let r = if getrandom::fill(&mut b).is_ok() {
        u64::from_le_bytes(b) as f64 / u64::MAX as f64
    } else {
        0.5
    };
    cap / 2 + cap.mul_f64(r / 2.0)
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Commands the server applied.
    pub accepted: usize,
    /// Commands it refused.
    pub rejected: usize,
    /// Later commands set aside with a refused one.
    pub dependent: usize,
    /// Files uploaded.
    pub uploaded: usize,
    /// Events taken in.
    pub events: usize,
    /// Items purged (access lost).
    pub purged: usize,
    /// Whether the items were loaded from the start of the feed.
    pub rebased: bool,
    /// Read receipts the server took.
    pub receipts: usize,
}

/// The sync client: the store, the server's API, the state shown, one sync at a time.
pub struct Engine {
    store: Arc<Mutex<Store>>,
    http: Http,
    config: SyncConfig,
    state: watch::Sender<SyncState>,
    running: tokio::sync::Mutex<()>,
    failures: Mutex<(u32, Option<DateTime<Utc>>)>,
}

/// Locks the store (a poisoned lock still holds a consistent store: every change is one
/// transaction).
pub fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

impl Engine {
    /// A sync client over `store` talking to `http`.
    pub fn new(store: Arc<Mutex<Store>>, http: Http, config: SyncConfig) -> Engine {
        let last_synced = lock(&store).last_synced().ok().flatten();
        let (state, _) = watch::channel(SyncState::Idle { last_synced });
        Engine {
            store,
            http,
            config,
            state,
            running: tokio::sync::Mutex::new(()),
            failures: Mutex::new((0, None)),
        }
    }

    /// The server's API.
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// The settings.
    pub fn config(&self) -> &SyncConfig {
        &self.config
    }

    /// The state now.
    pub fn state(&self) -> SyncState {
        self.state.borrow().clone()
    }

    /// Follows the state.
    pub fn subscribe(&self) -> watch::Receiver<SyncState> {
        self.state.subscribe()
    }

    fn last_synced(&self) -> Option<DateTime<Utc>> {
        lock(&self.store).last_synced().ok().flatten()
    }

    fn show(&self, s: SyncState) {
        self.state.send_replace(s);
    }

    fn progress(&self, done: u64, total: u64) {
        self.show(SyncState::Syncing {
            done: done.min(total),
            total,
            last_synced: self.last_synced(),
        });
    }

    /// When the next automatic sync may run (after failures, a jittered backoff).
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    /// Syncs now if no backoff is running (background sync); `Ok(None)` if it waited.
    pub async fn sync_if_due(&self) -> Result<Option<SyncReport>, SyncError> {
        if self.retry_at().is_some_and(|t| t > Utc::now()) {
            return Ok(None);
        }
        self.run(false).await.map(Some)
    }

    /// Syncs now (the person asked: backoffs are not waited for).
    pub async fn sync_now(&self) -> Result<SyncReport, SyncError> {
        self.run(true).await
    }

    async fn run(&self, force: bool) -> Result<SyncReport, SyncError> {
        let _one = self.running.lock().await;
        self.progress(0, 0);
        let result = self.sync(force).await;
        let last_synced = self.last_synced();
        match &result {
            Ok(_) => {
                *self.failures.lock().unwrap_or_else(|p| p.into_inner()) = (0, None);
                self.show(SyncState::Idle { last_synced });
            }
            Err(e) if e.is_transient() => {
                let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
                f.0 += 1;
                let wait = backoff(f.0, self.config.backoff_base, self.config.backoff_max);
                let retry_at = Utc::now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(1));
                f.1 = Some(retry_at);
                self.show(SyncState::Offline {
                    retry_at,
                    last_synced,
                });
            }
            Err(e) => self.show(SyncState::Error {
                code: e.code(),
                zh: e.zh(),
                en: e.en(),
                last_synced,
            }),
        }
        result
    }

    fn token(&self) -> Result<String, SyncError> {
        lock(&self.store)
            .session()?
            .map(|s| s.token)
            .ok_or(SyncError::NotSignedIn)
    }

    async fn sync(&self, force: bool) -> Result<SyncReport, SyncError> {
        let token = self.token()?;
        let mut report = SyncReport::default();
        let fresh = {
            let store = lock(&self.store);
            store.org().is_none() || store.rebasing()? || store.cursor()? == 0
        };
        if fresh {
            self.rebase(&token).await?;
            report.rebased = true;
        }
        self.push(&token, force, &mut report).await?;
        self.pull(&token, &mut report).await?;
        self.receipts(&token, &mut report).await?;
        lock(&self.store).set_last_synced(Utc::now())?;
        Ok(report)
    }

    /// Tells the server which notifications were read here (each once).
    async fn receipts(&self, token: &str, report: &mut SyncReport) -> Result<(), SyncError> {
        loop {
            let events = lock(&self.store).unsent_receipts(RECEIPTS_PER_REQUEST)?;
            if events.is_empty() {
                return Ok(());
            }
            let req = ReadReceipts {
                events: events.clone(),
                ..ReadReceipts::default()
            };
            self.http.read_receipts(token, &req).await?;
            lock(&self.store).receipts_sent(&events)?;
            report.receipts += events.len();
            if events.len() < RECEIPTS_PER_REQUEST {
                return Ok(());
            }
        }
    }

    /// Takes the reference data and starts loading the items from the start of the feed.
    async fn rebase(&self, token: &str) -> Result<(), SyncError> {
        let reference = self.http.reference(token).await?;
        let mut store = lock(&self.store);
        store.set_reference(&reference)?;
        if !store.rebasing()? {
            store.begin_rebase()?;
        }
        Ok(())
    }

    async fn push(
        &self,
        token: &str,
        force: bool,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        loop {
            let batch = self.config.push_batch.clamp(1, MAX_PUSH);
            let due = lock(&self.store).due_commands(Utc::now(), batch, force)?;
            if due.is_empty() {
                return Ok(());
            }
            let total = due.len();
            let mut sendable: Vec<&OutboxEntry> = Vec::new();
            let mut blocked = None;
            'commands: for c in &due {
                for blob in c.command.files() {
                    if let Err(e) = self.upload(token, blob, report).await {
                        blocked = Some(e);
                        break 'commands;
                    }
                }
                sendable.push(c);
            }
            if sendable.is_empty() {
                let e = blocked.unwrap_or(SyncError::Protocol("nothing to send".into()));
                self.failed(&[due[0].id], &e)?;
                return Err(e);
            }
            self.progress(0, sendable.len() as u64);
            let req = PushRequest {
                commands: sendable
                    .iter()
                    .map(|c| CommandEnvelope {
                        id: c.id,
                        task: c.task,
                        command: c.command.clone(),
                    })
                    .collect(),
            };
            let response = match self.http.push(token, &req).await {
                Ok(r) => r,
                Err(e) => {
                    self.failed(&sendable.iter().map(|c| c.id).collect::<Vec<_>>(), &e)?;
                    return Err(e);
                }
            };
            fault::point("push.answered");
            let summary = lock(&self.store).record_push(&response, Utc::now())?;
            report.accepted += summary.accepted;
            report.rejected += summary.rejected;
            report.dependent += summary.dependent;
            if let Some(e) = blocked {
                return Err(e);
            }
            if sendable.len() < total || total < batch {
                return Ok(());
            }
        }
    }

    fn failed(&self, ids: &[uuid::Uuid], e: &SyncError) -> Result<(), SyncError> {
        let (base, max) = (self.config.backoff_base, self.config.backoff_max);
        lock(&self.store).push_failed(ids, &e.code(), Utc::now(), |a| {
            chrono::Duration::from_std(backoff(a, base, max))
                .unwrap_or(chrono::Duration::seconds(1))
        })?;
        Ok(())
    }

    /// Uploads a file cited by a command, unless the server has it: resumes where the server
    /// says the upload stands, in chunks.
    async fn upload(
        &self,
        token: &str,
        blob: &BlobRef,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let held = lock(&self.store).blob_state(&blob.hash)?;
        if held != Some(false) {
            // Uploaded already, or not a file of this device (the server checks it exists).
            return Ok(());
        }
        let status = self.http.blob_status(token, &blob.hash).await?;
        if !status.complete {
            let (mime, data) = lock(&self.store)
                .blob(&blob.hash, Utc::now())?
                .ok_or(StoreError::NotFound)?;
            let total = data.len() as u64;
            let mut start = if status.total == Some(total) {
                status.received.min(total)
            } else {
                0
            };
            let chunk = self.config.chunk_size.max(1) as u64;
            if total == 0 {
                self.http
                    .upload(token, &blob.hash, &mime, 0, 0, Vec::new())
                    .await?;
            }
            while start < total {
                let end = (start + chunk).min(total);
                let part = data[start as usize..end as usize].to_vec();
                self.http
                    .upload(token, &blob.hash, &mime, start, total, part)
                    .await?;
                fault::point("upload.chunk");
                start = end;
            }
            report.uploaded += 1;
        }
        lock(&self.store).blob_uploaded(&blob.hash)?;
        Ok(())
    }

    async fn pull(&self, token: &str, report: &mut SyncReport) -> Result<(), SyncError> {
        let limit = self.config.page_size.clamp(1, MAX_PULL);
        let mut start = lock(&self.store).cursor()?;
        loop {
            let (after, rebasing) = {
                let store = lock(&self.store);
                (store.cursor()?, store.rebasing()?)
            };
            let page = match self.http.pull(token, after, limit).await {
                Ok(p) => p,
                Err(SyncError::CursorGone) => {
                    self.rebase_again(token).await?;
                    report.rebased = true;
                    start = 0;
                    continue;
                }
                Err(e) => return Err(e),
            };
            fault::point("pull.received");
            let outcome = lock(&self.store).apply_page(&page, Utc::now())?;
            report.events += outcome.events;
            report.purged += outcome.purged.len();
            self.progress(
                (page.next - start).max(0) as u64,
                (page.head - start).max(0) as u64,
            );
            if outcome.resync {
                self.rebase_again(token).await?;
                report.rebased = true;
                start = 0;
                continue;
            }
            if !page.more {
                if rebasing {
                    lock(&self.store).end_rebase(Utc::now())?;
                }
                return Ok(());
            }
        }
    }

    async fn rebase_again(&self, token: &str) -> Result<(), SyncError> {
        lock(&self.store).begin_rebase()?;
        self.rebase(token).await
    }

    /// A file's type and content: from the device, else fetched from the server (and kept
    /// in the cache).
    pub async fn blob(&self, hash: &str) -> Result<(String, Vec<u8>), SyncError> {
        if let Some(found) = lock(&self.store).blob(hash, Utc::now())? {
            return Ok(found);
        }
        let token = self.token()?;
        let (mime, data) = self.http.download(&token, hash).await?;
        lock(&self.store).put_fetched_blob(
            hash,
            &mime,
            &data,
            Utc::now(),
            self.config.cache_bytes,
        )?;
        Ok((mime, data))
    }
}
