//! The client API the phone shells call (the mobile bindings wrap it): open a store, sign in
//! and out, sync, read each screen as plain data, issue commands and attach photos. Every
//! rule runs here, in the core; the shells only draw and capture.
//!
//! Errors are one small type, [`ClientError`]: a kind the app switches on, a stable code and
//! a message in zh-CN and English.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{Timelike, Utc};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

use crate::domain::derived::view::View;
use crate::domain::model::{BlobRef, GeoPoint, PhotoSource};
use crate::domain::policy::CategoryDef;
use crate::domain::{Command, TaskId};
use crate::photo::{self, Capture, PhotoError};
use crate::protocol::{Device, DeviceRegistration, LoginRequest, Person, Platform, PushProvider};
use crate::store::{
    AttentionEntry, InboxEntry, ItemDetail, ItemSummary, NotificationEntry, PendingCommand, Store,
    StoreError, UnitLine,
};
use crate::sync::{lock, Engine, Http, SyncConfig, SyncError, SyncReport, SyncState};

/// What kind of failure, for the app to choose what to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not signed in, or the session ended: show the sign-in screen.
    SignedOut,
    /// The server cannot be reached: the work is kept and syncs later.
    Offline,
    /// The rules refuse the act (on the device or on the server): show the reason.
    Rejected,
    /// The input is wrong (bad credentials, nothing to resubmit, …): show the reason.
    Invalid,
    /// Something failed that the person cannot fix (storage, an unreadable answer).
    Internal,
}

/// A failure of a client call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("[{code}] {en}")]
pub struct ClientError {
    /// What kind.
    pub kind: ErrorKind,
    /// Stable code.
    pub code: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
}

impl ClientError {
    fn new(kind: ErrorKind, code: String, zh: String, en: String) -> ClientError {
        ClientError { kind, code, zh, en }
    }
}

impl From<PhotoError> for ClientError {
    fn from(e: PhotoError) -> ClientError {
        let kind = match e {
            PhotoError::Internal(_) => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        };
        ClientError::new(kind, e.code().to_owned(), e.zh(), e.en())
    }
}

/// A photo as the shell hands it over: the camera's JPEG plus what the phone knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shot {
    /// Camera or gallery.
    pub source: PhotoSource,
    /// The phone's offset from UTC in minutes (480 in China), for the capture time when
    /// the file has none.
    pub utc_offset_minutes: i32,
    /// The phone's position fix, if it has one.
    pub location: Option<GeoPoint>,
    /// The place's name, if the app has one.
    pub place: Option<String>,
    /// The item the photo is for: its number goes on the watermark.
    pub task: Option<TaskId>,
    /// For an "after" photo of a rectification: the hash of the "before" photo it answers.
    pub answers: Option<String>,
}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> ClientError {
        let kind = match &e {
            StoreError::Rejected(_) => ErrorKind::Rejected,
            StoreError::NotSignedIn => ErrorKind::SignedOut,
            StoreError::NotFound => ErrorKind::Invalid,
            _ => ErrorKind::Internal,
        };
        ClientError::new(kind, e.code(), e.zh(), e.en())
    }
}

impl From<SyncError> for ClientError {
    fn from(e: SyncError) -> ClientError {
        if let SyncError::Store(s) = e {
            return s.into();
        }
        let kind = match &e {
            SyncError::Offline(_) => ErrorKind::Offline,
            SyncError::Unauthorized | SyncError::NotSignedIn => ErrorKind::SignedOut,
            SyncError::Server { status, .. } if *status >= 500 => ErrorKind::Internal,
            SyncError::Server { .. } => ErrorKind::Invalid,
            _ => ErrorKind::Internal,
        };
        ClientError::new(kind, e.code(), e.zh(), e.en())
    }
}

/// Results of client calls.
pub type Result<T> = std::result::Result<T, ClientError>;

/// Most entries a list screen returns unless told otherwise.
pub const DEFAULT_LIMIT: usize = 200;

/// The phone's client: one per signed-in app.
pub struct Client {
    store: Arc<Mutex<Store>>,
    engine: Engine,
}

impl Client {
    /// Opens the store at `path` (created on first use) for the server at `server`.
    pub fn open(path: impl AsRef<Path>, server: &str, config: SyncConfig) -> Result<Client> {
        let store = Store::open(path)?;
        let http = Http::new(server, config.connect_timeout, config.request_timeout)?;
        let store = Arc::new(Mutex::new(store));
        Ok(Client {
            engine: Engine::new(store.clone(), http, config),
            store,
        })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Signs in. Signing in as another person than the store's clears the previous one's data.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Person> {
        let device = self.store().device_id()?;
        let resp = self
            .engine
            .http()
            .login(&LoginRequest {
                username: username.to_owned(),
                password: password.to_owned(),
                device: Some(device),
            })
            .await
            .map_err(|e| match e {
                SyncError::Unauthorized => ClientError {
                    kind: ErrorKind::Invalid,
                    code: "auth.bad_credentials".into(),
                    zh: "用户名或密码不正确".into(),
                    en: "wrong username or password".into(),
                },
                other => other.into(),
            })?;
        self.store()
            .signed_in(self.engine.http().base(), &resp.token, &resp.user)?;
        Ok(resp.user)
    }

    /// Signs out: ends the session on the server and removes this person's data from the
    /// device. Refused while commands wait to be sent, unless `discard_pending` (they would
    /// be lost).
    pub async fn sign_out(&self, discard_pending: bool) -> Result<()> {
        let (session, waiting) = {
            let store = self.store();
            let waiting = store
                .outbox()?
                .iter()
                .filter(|c| c.state == crate::store::OutboxState::Queued)
                .count()
                + store.attention()?.len();
            (store.session()?, waiting)
        };
        if waiting > 0 && !discard_pending {
            return Err(ClientError {
                kind: ErrorKind::Invalid,
                code: "client.unsent_work".into(),
                zh: format!("还有 {waiting} 项操作未发送或待处理,退出登录将丢失它们"),
                en: format!(
                    "{waiting} acts are not sent or need attention; signing out would lose them"
                ),
            });
        }
        if let Some(s) = session {
            // The session ends on the server if it can be reached; the data goes either way.
            let _ = self.engine.http().logout(&s.token).await;
        }
        self.store().wipe()?;
        Ok(())
    }

    /// Registers this phone for push notifications with the token the platform's push
    /// service gave the app (FCM, APNs or HMS) — again whenever the token changes. Signing
    /// out removes the registration on the server.
    pub async fn register_push(
        &self,
        platform: Platform,
        provider: PushProvider,
        token: &str,
        app_version: &str,
    ) -> Result<Device> {
        let session = self.store().session()?.ok_or(SyncError::NotSignedIn)?;
        let req = DeviceRegistration {
            platform,
            provider,
            token: token.to_owned(),
            app_version: app_version.to_owned(),
        };
        Ok(self
            .engine
            .http()
            .register_device(&session.token, &req)
            .await?)
    }

    /// Who is signed in, if anyone (after the first sync).
    pub fn me(&self) -> Option<Person> {
        self.store().org().map(|o| o.me.clone())
    }

    /// Syncs now.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        self.engine.sync_now().await.map_err(|e| {
            if matches!(e, SyncError::Unauthorized) {
                let _ = self.store().forget_token();
            }
            e.into()
        })
    }

    /// Syncs if no backoff is running (for background work); `None` if it waited.
    pub async fn sync_if_due(&self) -> Result<Option<SyncReport>> {
        Ok(self.engine.sync_if_due().await?)
    }

    /// The sync state now.
    pub fn sync_state(&self) -> SyncState {
        self.engine.state()
    }

    /// Follows the sync state.
    pub fn watch_sync(&self) -> watch::Receiver<SyncState> {
        self.engine.subscribe()
    }

    // ----- screens ----------------------------------------------------------------------

    /// The inbox: what needs me now.
    pub fn inbox(&self) -> Result<Vec<InboxEntry>> {
        Ok(self.store().inbox(DEFAULT_LIMIT, Utc::now())?)
    }

    /// The approvals waiting for me.
    pub fn approvals(&self) -> Result<Vec<InboxEntry>> {
        Ok(self.store().approvals(DEFAULT_LIMIT, Utc::now())?)
    }

    /// My items in a view, a page at a time.
    pub fn items(&self, view: View, offset: usize, limit: usize) -> Result<Vec<ItemSummary>> {
        Ok(self.store().items(view, offset, limit, Utc::now())?)
    }

    /// An item's detail with its trail.
    pub fn item(&self, task: TaskId) -> Result<Option<ItemDetail>> {
        Ok(self.store().item(task, Utc::now())?)
    }

    /// The notifications, newest first.
    pub fn notifications(&self) -> Result<Vec<NotificationEntry>> {
        Ok(self.store().notifications(DEFAULT_LIMIT)?)
    }

    /// Marks a notification read (`None`: all).
    pub fn mark_read(&self, id: Option<i64>) -> Result<()> {
        Ok(self.store().mark_read(id, Utc::now())?)
    }

    /// The organisation's units (for pickers).
    pub fn units(&self) -> Result<Vec<UnitLine>> {
        Ok(self.store().unit_list()?)
    }

    /// The item categories of the organisation's policy (for the registration form).
    pub fn categories(&self) -> Result<Vec<CategoryDef>> {
        Ok(self
            .store()
            .org()
            .map(|o| o.policy.categories.clone())
            .unwrap_or_default())
    }

    /// Commands not yet confirmed by the server.
    pub fn pending(&self) -> Result<Vec<PendingCommand>> {
        Ok(self.store().pending()?)
    }

    /// Commands needing attention.
    pub fn attention(&self) -> Result<Vec<AttentionEntry>> {
        Ok(self.store().attention()?)
    }

    // ----- acts -------------------------------------------------------------------------

    /// A new item's id (for [`Command::Register`]).
    pub fn new_task_id(&self) -> TaskId {
        TaskId(Uuid::new_v4())
    }

    /// Issues a command: decided on the device at once (a refusal comes back as
    /// [`ErrorKind::Rejected`]), shown in the item's view, sent at the next sync.
    pub fn issue(&self, task: TaskId, command: Command) -> Result<Uuid> {
        Ok(self.store().issue(task, command, Utc::now())?)
    }

    /// Issues a command needing attention again, as written or edited.
    pub fn resubmit(&self, id: Uuid, command: Option<Command>) -> Result<Uuid> {
        Ok(self.store().resubmit(id, command, Utc::now())?)
    }

    /// Gives up a command needing attention.
    pub fn discard(&self, id: Uuid) -> Result<()> {
        Ok(self.store().discard(id)?)
    }

    /// Keeps a photo (or any file) taken on this device and returns the reference a report
    /// cites; it is uploaded before the command citing it is sent.
    pub fn attach(&self, data: &[u8], mime: &str, name: &str) -> Result<BlobRef> {
        Ok(self.store().put_own_blob(data, mime, name, Utc::now())?)
    }

    /// Takes a photo through the on-site pipeline (upright, 1600 px, watermarked with time,
    /// place, the item's number and the signed-in person's name, 320 px thumbnail, no EXIF)
    /// and keeps both variants on the device until they are uploaded, before the command
    /// citing them. Returns the evidence record a report or registration cites.
    pub fn attach_photo(&self, jpeg: &[u8], shot: &Shot) -> Result<BlobRef> {
        let offset = chrono::FixedOffset::east_opt(shot.utc_offset_minutes.clamp(-1080, 1080) * 60)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"));
        let now = Utc::now();
        let item_number = match shot.task {
            Some(task) => self.item(task)?.and_then(|d| d.summary.number),
            None => None,
        };
        let capture = Capture {
            source: shot.source,
            device_time: now
                .with_timezone(&offset)
                .with_nanosecond(0)
                .unwrap_or(now.with_timezone(&offset)),
            device_location: shot.location,
            place: shot.place.clone(),
            item_number,
            person: self.me().map(|p| p.name).unwrap_or_default(),
            answers: shot.answers.clone(),
        };
        let out = photo::process(jpeg, &capture, &photo::Options::default())?;
        let mut store = self.store();
        store.put_own_blob(&out.thumbnail, "image/jpeg", "thumbnail.jpg", now)?;
        store.put_own_blob(&out.image, "image/jpeg", "photo.jpg", now)?;
        Ok(out.evidence)
    }

    /// A file's type and content: from the device, else fetched and cached.
    pub async fn file(&self, hash: &str) -> Result<(String, Vec<u8>)> {
        Ok(self.engine.blob(hash).await?)
    }

    /// Runs `f` with the store (tests and tools compare it with the server).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store())
    }
}
