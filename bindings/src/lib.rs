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

use chrono::{DateTime, Datelike, Utc};
use duban_core::client::{Client, ClientError, ErrorKind, Shot};
use duban_core::domain::command::{Registration, ReportBody, SubtaskSpec};
use duban_core::domain::decide::working_time_left;
use duban_core::domain::derived::timeliness_light;
use duban_core::domain::derived::view::View;
use duban_core::domain::model::{
    Assignee, BlobRef, GeoPoint, NoteId, PhotoSource, ReportId, Source, TaskNumber, UnitId,
    Visibility,
};
use duban_core::domain::offer::{act_for, may_register};
use duban_core::domain::Code;
use duban_core::domain::{Command, TaskId, UserId};
use duban_core::protocol::{Person, Platform, PushProvider};
use duban_core::store::{InboxEntry, ItemSummary, NotificationEntry, OutboxState};
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

/// Mirrors a unit-only enum of the core as a UniFFI enum, both ways.
macro_rules! ffi_enum {
    ($(#[$m:meta])* $name:ident = $core:path { $($(#[$vm:meta])* $v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vm])* $v),+
        }

        impl From<$core> for $name {
            fn from(v: $core) -> $name {
                use $core as C;
                match v {
                    $(C::$v => $name::$v),+
                }
            }
        }

        impl From<$name> for $core {
            fn from(v: $name) -> $core {
                use $core as C;
                match v {
                    $($name::$v => C::$v),+
                }
            }
        }
    };
}

ffi_enum! {
    /// Where an item stands.
    Status = duban_core::domain::Status {
        /// Not registered yet.
        New,
        /// A draft.
        Draft,
        /// Awaiting registration approval.
        AwaitingApproval,
        /// Dispatched, not received yet.
        Dispatched,
        /// Declined by the lead unit.
        Declined,
        /// Being handled.
        InProgress,
        /// Completion reported, under review.
        UnderReview,
        /// Review accepted.
        Completed,
        /// Suspended: the clock stands still.
        Suspended,
        /// Revoked.
        Revoked,
        /// A hotline work order not accepted (不予受理).
        NotAccepted,
        /// Closed.
        Closed,
        /// Archived.
        Archived,
    }
}

ffi_enum! {
    /// Urgency (紧急程度), least urgent first.
    Urgency = duban_core::domain::model::Urgency {
        /// Normal.
        Normal,
        /// Urgent.
        Urgent,
        /// Extra urgent.
        ExtraUrgent,
    }
}

ffi_enum! {
    /// The timeliness light.
    Light = duban_core::domain::derived::Colour {
        /// On time.
        Green,
        /// Close to the deadline.
        Yellow,
        /// Overdue.
        Red,
    }
}

ffi_enum! {
    /// A role a person holds.
    Role = duban_core::domain::Role {
        /// Administers accounts, calendar and policy.
        Admin,
        /// The main leader.
        MainLeader,
        /// A deputy leader in charge.
        DeputyLeader,
        /// A supervisor of the office.
        Supervisor,
        /// An inspector.
        Inspector,
        /// The head of a unit.
        UnitHead,
        /// Handling staff.
        Staff,
        /// The scheduler.
        System,
    }
}

ffi_enum! {
    /// Something an item asks of a person.
    Duty = duban_core::domain::derived::duty::Duty {
        /// To submit for registration approval.
        Submit,
        /// To approve the registration.
        ApproveRegistration,
        /// To dispatch.
        Dispatch,
        /// To receive.
        Receive,
        /// To handle.
        Handle,
        /// To approve a report.
        ApproveReport,
        /// To review.
        Review,
        /// To decide an extension.
        DecideExtension,
        /// To decide a suspension.
        DecideSuspension,
        /// To decide a resumption.
        DecideResumption,
        /// To rate.
        Rate,
        /// To close.
        Close,
        /// Decide whether to accept a work order.
        AcceptOrder,
        /// Tell the caller and record it.
        InformCaller,
        /// Decide a committed deadline.
        DecideCommitment,
        /// Call the caller back.
        CallBack,
    }
}

ffi_enum! {
    /// A report's kind.
    ReportKind = duban_core::domain::state::ReportKind {
        /// 进展汇报.
        Progress,
        /// 完成汇报.
        Completion,
    }
}

ffi_enum! {
    /// Where a report stands.
    ReportStatus = duban_core::domain::state::ReportStatus {
        /// Waiting for approval.
        PendingApproval,
        /// Filed (approved where approval is needed).
        Filed,
        /// Returned by its approver.
        Returned,
        /// Accepted by the review (completion reports).
        Accepted,
        /// Returned for rework by the review (completion reports).
        Reworked,
    }
}

ffi_enum! {
    /// The kind of an act of this device (see [`PendingRow`]).
    CommandKind = duban_core::domain::CommandKind {
        /// Register (立项).
        Register,
        /// Amend the draft.
        AmendDraft,
        /// Submit for registration approval.
        SubmitForApproval,
        /// Decide the registration.
        DecideRegistration,
        /// Dispatch.
        Dispatch,
        /// Receive.
        Receive,
        /// Decline.
        Decline,
        /// Decompose into sub-items.
        Decompose,
        /// Share.
        Share,
        /// Stop sharing.
        Unshare,
        /// Report progress.
        ReportProgress,
        /// Report completion.
        ReportCompletion,
        /// Decide a report.
        DecideReport,
        /// Review.
        Review,
        /// Rate.
        Rate,
        /// Adjust the score.
        AdjustScore,
        /// Request an extension.
        RequestExtension,
        /// Decide an extension.
        DecideExtension,
        /// Request a suspension.
        RequestSuspension,
        /// Decide a suspension.
        DecideSuspension,
        /// Request resumption.
        RequestResumption,
        /// Decide resumption.
        DecideResumption,
        /// Revoke.
        Revoke,
        /// Close.
        Close,
        /// Archive.
        Archive,
        /// Urge.
        Urge,
        /// Escalate.
        Escalate,
        /// Instruct.
        Instruct,
        /// Comment.
        Comment,
        /// Follow.
        Follow,
        /// Unfollow.
        Unfollow,
        /// Request a report.
        RequestReport,
        /// Remind.
        Remind,
        /// Accept a work order (受理).
        AcceptOrder,
        /// Refuse a work order (不予受理).
        RefuseOrder,
        /// Record telling the caller.
        InformCaller,
        /// Return a work order (退单).
        ReturnOrder,
        /// Ask for a committed deadline (申请承诺件).
        RequestCommitment,
        /// Decide a committed deadline.
        DecideCommitment,
        /// Call the caller back (回访).
        CallBack,
        /// Reopen a work order (重办).
        ReopenOrder,
        /// Mark a work order typical.
        MarkTypical,
    }
}

/// An act the app offers on an item (see [`ItemScreen`]'s `acts`): each is one call of
/// [`DubanApp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Act {
    /// 签收: [`DubanApp::receive`].
    Receive,
    /// 拒签: [`DubanApp::decline`].
    Decline,
    /// 进展汇报: [`DubanApp::report_progress`].
    ReportProgress,
    /// 完成汇报: [`DubanApp::report_completion`].
    ReportCompletion,
    /// 审批汇报 (a report waiting for my approval): [`DubanApp::decide_report`].
    DecideReport,
    /// 复核: [`DubanApp::review`].
    Review,
    /// 评价: [`DubanApp::rate`].
    Rate,
    /// 审批立项: [`DubanApp::decide_registration`].
    DecideRegistration,
    /// 审批延时: [`DubanApp::decide_extension`].
    DecideExtension,
    /// 审批暂停: [`DubanApp::decide_suspension`].
    DecideSuspension,
    /// 审批恢复: [`DubanApp::decide_resumption`].
    DecideResumption,
    /// 申请延时: [`DubanApp::request_extension`].
    RequestExtension,
    /// 申请暂停: [`DubanApp::request_suspension`].
    RequestSuspension,
    /// 申请恢复: [`DubanApp::request_resumption`].
    RequestResumption,
    /// 分解: [`DubanApp::decompose`].
    Decompose,
    /// 批示: [`DubanApp::instruct`].
    Instruct,
    /// 评论: [`DubanApp::comment`].
    Comment,
    /// 关注: [`DubanApp::follow`].
    Follow,
    /// 取消关注: [`DubanApp::unfollow`].
    Unfollow,
    /// 退单 (a hotline work order that is not my unit's): [`DubanApp::return_order`].
    ReturnOrder,
    /// 申请承诺件 (a work order that needs longer): [`DubanApp::request_commitment`].
    RequestCommitment,
}

impl Act {
    /// The act of a command kind the app offers; none for the others.
    fn of(kind: duban_core::domain::CommandKind) -> Option<Act> {
        use duban_core::domain::CommandKind as K;
        Some(match kind {
            K::Receive => Act::Receive,
            K::Decline => Act::Decline,
            K::ReportProgress => Act::ReportProgress,
            K::ReportCompletion => Act::ReportCompletion,
            K::DecideReport => Act::DecideReport,
            K::Review => Act::Review,
            K::Rate => Act::Rate,
            K::DecideRegistration => Act::DecideRegistration,
            K::DecideExtension => Act::DecideExtension,
            K::DecideSuspension => Act::DecideSuspension,
            K::DecideResumption => Act::DecideResumption,
            K::RequestExtension => Act::RequestExtension,
            K::RequestSuspension => Act::RequestSuspension,
            K::RequestResumption => Act::RequestResumption,
            K::Decompose => Act::Decompose,
            K::Instruct => Act::Instruct,
            K::Comment => Act::Comment,
            K::Follow => Act::Follow,
            K::Unfollow => Act::Unfollow,
            K::ReturnOrder => Act::ReturnOrder,
            K::RequestCommitment => Act::RequestCommitment,
            _ => return None,
        })
    }
}

/// An act on offer, with its name.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActRow {
    /// The act.
    pub act: Act,
    /// Its name in zh-CN.
    pub zh: String,
    /// Its name in English.
    pub en: String,
}

/// A name in zh-CN, or in English when `english`.
fn name_in<T: Code>(v: T, english: bool) -> String {
    if english { v.en() } else { v.zh() }.to_owned()
}

/// A status's name (zh-CN, or English when `english`).
#[uniffi::export]
pub fn status_name(status: Status, english: bool) -> String {
    name_in(duban_core::domain::Status::from(status), english)
}

/// An urgency's name (zh-CN, or English when `english`).
#[uniffi::export]
pub fn urgency_name(urgency: Urgency, english: bool) -> String {
    name_in(duban_core::domain::model::Urgency::from(urgency), english)
}

/// A light's name (zh-CN, or English when `english`).
#[uniffi::export]
pub fn light_name(light: Light, english: bool) -> String {
    name_in(duban_core::domain::derived::Colour::from(light), english)
}

/// A role's name (zh-CN, or English when `english`).
#[uniffi::export]
pub fn role_name(role: Role, english: bool) -> String {
    name_in(duban_core::domain::Role::from(role), english)
}

/// A visibility's name (zh-CN, or English when `english`): public when `is_public`, else
/// internal (as [`NewItem`]'s `public` chooses).
#[uniffi::export]
pub fn visibility_name(is_public: bool, english: bool) -> String {
    let v = if is_public {
        Visibility::Public
    } else {
        Visibility::Internal
    };
    name_in(v, english)
}

/// A report kind's name (zh-CN, or English when `english`).
#[uniffi::export]
pub fn report_kind_name(kind: ReportKind, english: bool) -> String {
    name_in(duban_core::domain::state::ReportKind::from(kind), english)
}

/// A report status's name (zh-CN, or English when `english`).
#[uniffi::export]
pub fn report_status_name(status: ReportStatus, english: bool) -> String {
    name_in(
        duban_core::domain::state::ReportStatus::from(status),
        english,
    )
}

/// A work order's reply as the core checks it: each section of the office's template as
/// `【section】text`, one per line, in order (see [`DubanApp::reply_sections`]).
#[uniffi::export]
pub fn compose_reply(sections: Vec<String>, texts: Vec<String>) -> String {
    duban_core::domain::order::compose_reply(&sections, &texts)
}

/// The push service this Android phone should register with (`fcm`, `hms`, `honor`,
/// `xiaomi`, `oppo`, `vivo`), among the `configured` ones the build has (by the same codes):
/// the maker's own channel — chosen from `manufacturer` and `brand` (`Build.MANUFACTURER`,
/// `Build.BRAND`), or HMS when the system is HarmonyOS (`harmony`) — else FCM when Google
/// Play services run (`has_google`). None: no push on this phone (the inbox, the periodic
/// sync and SMS still reach the person). Unknown codes in `configured` are ignored.
#[uniffi::export]
pub fn push_provider_for(
    manufacturer: String,
    brand: String,
    has_google: bool,
    harmony: bool,
    configured: Vec<String>,
) -> Option<String> {
    let configured: Vec<PushProvider> = configured
        .iter()
        .filter_map(|c| PushProvider::from_code(c))
        .collect();
    let phone = duban_core::domain::push::Phone {
        manufacturer: &manufacturer,
        brand: &brand,
        google_services: has_google,
        harmony_os: harmony,
    };
    duban_core::domain::push::provider_for(&phone, &configured).map(|p| p.code().to_owned())
}

/// A duty's name (zh-CN, or English when `english`), as the inbox shows it.
#[uniffi::export]
pub fn duty_name(duty: Duty, english: bool) -> String {
    name_in(duban_core::domain::derived::duty::Duty::from(duty), english)
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
    /// Roles.
    pub roles: Vec<Role>,
    /// Whether they may register new items (立项), e.g. a problem found on site: the core's
    /// rule, for whether to offer the registration form.
    pub may_register: bool,
}

impl Me {
    fn of(p: Person, may_register: bool) -> Me {
        Me {
            id: p.id.to_string(),
            username: p.username,
            name: p.name,
            position: p.position,
            unit: p.unit.map(|u| u.to_string()),
            roles: p.roles.iter().map(|r| Role::from(*r)).collect(),
            may_register,
        }
    }
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
    /// Status.
    pub status: Status,
    /// Status in zh-CN.
    pub status_zh: String,
    /// Status in English.
    pub status_en: String,
    /// Urgency.
    pub urgency: Urgency,
    /// The deadline in force, milliseconds since the epoch.
    pub deadline_ms: Option<i64>,
    /// The timeliness light now, none where no clock runs.
    pub light: Option<Light>,
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
            status: s.status.into(),
            status_zh: s.status_zh.clone(),
            status_en: s.status_en.clone(),
            urgency: s.urgency.into(),
            deadline_ms: s.deadline.map(millis),
            light: s.light.map(Light::from),
            progress: s.progress,
            pending: s.pending,
            updated_ms: millis(s.updated_at),
        }
    }
}

/// One thing an item asks of me.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DutyRow {
    /// The duty.
    pub duty: Duty,
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
                    duty: d.duty.into(),
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

/// A file ready to cite in a report: the photo pipeline's evidence record, or a plain file.
/// Hand it back unchanged; `record` carries everything the server needs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Evidence {
    /// Hex blake3 of the content.
    pub hash: String,
    /// MIME type.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// The file's name as shown.
    pub name: String,
    /// The whole evidence record (JSON), as the core made it.
    pub record: String,
}

impl Evidence {
    fn of(b: &BlobRef) -> Evidence {
        Evidence {
            hash: b.hash.clone(),
            mime: b.mime.clone(),
            size: b.size,
            name: b.name.clone(),
            record: serde_json::to_string(b).unwrap_or_default(),
        }
    }

    fn blob(&self) -> Result<BlobRef, DubanError> {
        serde_json::from_str(&self.record)
            .map_err(|_| invalid("input.evidence", "附件记录无效", "not an evidence record"))
    }
}

/// Where and how a photo was taken, as the phone knows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Capture {
    /// From the camera (true) or the gallery (false).
    pub from_camera: bool,
    /// The phone's offset from UTC in minutes (480 in China).
    pub utc_offset_minutes: i32,
    /// Latitude in degrees, if the phone has a fix.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// The place's name, if the app has one.
    pub place: Option<String>,
    /// The item the photo is for (its number goes on the watermark).
    pub task: Option<String>,
    /// For an "after" photo: the hash of the "before" photo it answers.
    pub answers: Option<String>,
}

/// One step of an item's trail.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TrailRow {
    /// Its place in the trail; none for a step of this device not yet confirmed.
    pub task_seq: Option<u64>,
    /// When (milliseconds since the epoch).
    pub at_ms: i64,
    /// Who.
    pub actor_name: String,
    /// What, in zh-CN.
    pub title_zh: String,
    /// What, in English.
    pub title_en: String,
    /// Their words, if any.
    pub detail: String,
    /// Whether it waits to be sent.
    pub pending: bool,
    /// For an instruction or a comment: its id, which a reply names
    /// ([`DubanApp::comment`]'s `reply_to`).
    pub note: Option<String>,
}

/// A file an item cites, with what a reviewer should know of it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EvidenceRow {
    /// The file (its `hash` fetches it with [`DubanApp::file`]).
    pub file: Evidence,
    /// The report citing it; none for the registration's attachments.
    pub report: Option<String>,
    /// Warnings in zh-CN (a gallery photo, taken long before it was sent, cited twice …);
    /// empty when nothing is amiss.
    pub warnings: Vec<String>,
    /// The same warnings in English.
    pub warnings_en: Vec<String>,
}

/// A problem's "before" photo and the "after" photos that answer it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PhotoPairRow {
    /// The problem as found.
    pub before: Evidence,
    /// The rectification; empty while unanswered.
    pub after: Vec<Evidence>,
}

/// A report as the item screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReportRow {
    /// Its id (for [`DubanApp::decide_report`]).
    pub id: String,
    /// Progress or completion.
    pub kind: ReportKind,
    /// Who filed it.
    pub by_name: String,
    /// When (milliseconds since the epoch).
    pub at_ms: i64,
    /// Its words.
    pub text: String,
    /// Progress claimed (progress reports), 0–100.
    pub percent: Option<u8>,
    /// Where it stands.
    pub status: ReportStatus,
    /// Its files.
    pub evidence: Vec<Evidence>,
}

/// The item screen: the item, what it asks of me, its trail and whether the trail
/// verifies, in one call.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ItemScreen {
    /// The item.
    pub item: ItemRow,
    /// What it asks.
    pub content: String,
    /// The countdown: whole working days left to the deadline (rounded up), negative when
    /// overdue; none where no clock runs. It stands still while the item is suspended.
    pub working_days_left: Option<i32>,
    /// The same countdown in seconds of working time, for a ticking display.
    pub working_seconds_left: Option<i64>,
    /// Why the light shows its colour, zh-CN (e.g. 距截止仅剩2个工作日,尚未报送).
    pub light_reason_zh: Option<String>,
    /// The same in English.
    pub light_reason_en: Option<String>,
    /// The reports, oldest first.
    pub reports: Vec<ReportRow>,
    /// Every file the trail cites, with a reviewer's warnings.
    pub evidence: Vec<EvidenceRow>,
    /// A rectification's photos: each "before" photo of the registration with the "after"
    /// photos that answer it (taken with [`Capture`]'s `answers` set to its hash).
    pub photo_pairs: Vec<PhotoPairRow>,
    /// What it asks of me.
    pub duties: Vec<DutyRow>,
    /// What I may do on it now, in the order to show them: the core tried each act with
    /// its rules. Show a button for these and for no other act.
    pub acts: Vec<ActRow>,
    /// What it asks of me that is done in the office's pages, not in the app (submitting,
    /// dispatching, closing …): the duties no act on offer answers.
    pub office_duties: Vec<DutyRow>,
    /// The trail, oldest first (this device's pending steps last).
    pub trail: Vec<TrailRow>,
    /// Whether the server's steps verify (hashes chained from the first).
    pub verified: bool,
    /// How many of this device's acts on it wait to be sent.
    pub pending: u32,
    /// Acts on it the server refused (see [`DubanApp::attention`]).
    pub attention: u32,
}

/// An act of this device not yet confirmed by the server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingRow {
    /// The act's id.
    pub id: String,
    /// The item.
    pub task: String,
    /// What kind of act.
    pub kind: CommandKind,
    /// Its name in zh-CN.
    pub name_zh: String,
    /// Its name in English.
    pub name_en: String,
    /// When it was done (milliseconds since the epoch).
    pub issued_ms: i64,
    /// Sent and applied by the server, waiting for its events to come back.
    pub sent: bool,
    /// Attempts to send it so far.
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
}

/// An act of this device the server refused, kept whole until resent or discarded.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AttentionRow {
    /// The act's id.
    pub id: String,
    /// The item.
    pub task: String,
    /// Why: a stable code.
    pub code: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
}

/// A new item as the registration form fills it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewItem {
    /// Category code (see [`DubanApp::categories`]).
    pub category: String,
    /// Title.
    pub title: String,
    /// What it asks.
    pub content: String,
    /// Urgency.
    pub urgency: Urgency,
    /// The deadline asked for (milliseconds since the epoch), if any.
    pub deadline_ms: Option<i64>,
    /// Public (公开, on the public board) or internal (内部).
    pub public: bool,
    /// The category's required attributes and any others.
    pub attributes: std::collections::HashMap<String, String>,
    /// Photos or files (the "before" photos of a problem found on site).
    pub attachments: Vec<Evidence>,
}

/// An item category.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CategoryRow {
    /// Stable code.
    pub code: String,
    /// Name in zh-CN.
    pub name: String,
    /// Name in English.
    pub name_en: String,
    /// Attributes a registration of it must give.
    pub required_attributes: Vec<String>,
}

/// A unit of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UnitRow {
    /// Id.
    pub id: String,
    /// Name in zh-CN.
    pub name: String,
    /// Name in English.
    pub name_en: String,
    /// The unit above it.
    pub parent: Option<String>,
}

/// A file's type and content.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FileData {
    /// MIME type.
    pub mime: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A value of one of the core's enums by its stable code.
fn code<T: Code>(v: &str, zh: &str, en: &str) -> Result<T, DubanError> {
    T::from_code(v).ok_or_else(|| {
        invalid(
            "input.code",
            &format!("未知的{zh}:{v}"),
            &format!("unknown {en}: {v}"),
        )
    })
}

fn uuid_of(v: &str, code: &str, zh: &str, en: &str) -> Result<uuid::Uuid, DubanError> {
    v.trim().parse().map_err(|_| invalid(code, zh, en))
}

fn task_id(task: &str) -> Result<TaskId, DubanError> {
    uuid_of(task, "input.task", "事项编号无效", "not an item id").map(TaskId)
}

/// Whole days of a countdown, rounded away from zero (a minute overdue is a day overdue).
fn whole_days(d: chrono::Duration) -> i32 {
    const DAY: i64 = 86_400;
    let s = d.num_seconds();
    let days = if s >= 0 {
        (s + DAY - 1) / DAY
    } else {
        -((-s + DAY - 1) / DAY)
    };
    days.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

fn time_of(ms: i64) -> Result<DateTime<Utc>, DubanError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| invalid("input.time", "时间无效", "not a time"))
}

/// What the app is told as it happens: the sync status whenever it changes, and that the
/// data may have changed (after a sync that took something in, or an act), so that the
/// screen shown re-reads its record. Called on a thread of the library's: hop to the UI
/// thread before touching views.
#[uniffi::export(callback_interface)]
pub trait Observer: Send + Sync {
    /// The sync status is now this.
    fn sync_changed(&self, status: SyncStatus);
    /// The data may have changed.
    fn data_changed(&self);
}

/// The list of observers an app tells.
type Observers = Arc<std::sync::Mutex<Vec<Arc<dyn Observer>>>>;

/// One observer's registration ([`DubanApp::observe`]): cancel it to stop being told.
#[derive(uniffi::Object)]
pub struct Observation {
    observers: std::sync::Weak<std::sync::Mutex<Vec<Arc<dyn Observer>>>>,
    observer: std::sync::Mutex<Option<Arc<dyn Observer>>>,
}

#[uniffi::export]
impl Observation {
    /// Stops telling the observer (once; later calls do nothing).
    pub fn cancel(&self) {
        let taken = self
            .observer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let (Some(observer), Some(list)) = (taken, self.observers.upgrade()) {
            list.lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|o| !Arc::ptr_eq(o, &observer));
        }
    }
}

/// The app's one object: the store on the device and its server.
#[derive(uniffi::Object)]
pub struct DubanApp {
    client: Arc<Client>,
    observers: Observers,
}

#[uniffi::export(async_runtime = "tokio")]
impl DubanApp {
    /// Opens (or creates) the store at `path` for the server at `server_url`
    /// (e.g. `https://duban.example.gov.cn`).
    #[uniffi::constructor]
    pub fn open(path: String, server_url: String) -> Result<Arc<DubanApp>, DubanError> {
        let client = Client::open(&path, &server_url, SyncConfig::default())?;
        let app = DubanApp {
            client: Arc::new(client),
            observers: Arc::default(),
        };
        app.follow_sync();
        Ok(Arc::new(app))
    }

    /// Tells `observer` of every change from now on (see [`Observer`]), until the returned
    /// handle's [`Observation::cancel`]. Dropping the handle does not stop it (a garbage
    /// collector drops it at a time of its choosing): cancel it when the screen goes.
    pub fn observe(&self, observer: Box<dyn Observer>) -> Arc<Observation> {
        let observer: Arc<dyn Observer> = Arc::from(observer);
        observer.sync_changed(self.client.sync_state().into());
        self.lock_observers().push(observer.clone());
        Arc::new(Observation {
            observers: Arc::downgrade(&self.observers),
            observer: std::sync::Mutex::new(Some(observer)),
        })
    }

    /// Syncs if no backoff after a failure is running (for background work: WorkManager,
    /// background refresh); none if it waited. Offline is not an error here: the status
    /// says it.
    pub async fn sync_in_background(&self) -> Result<Option<SyncSummary>, DubanError> {
        match self.client.sync_if_due().await {
            Ok(r) => {
                let r = r.map(SyncSummary::from);
                self.changed();
                Ok(r)
            }
            Err(e) if e.kind == ErrorKind::Offline => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Signs in; returns who. Signing in as another person clears the previous one's data.
    pub async fn sign_in(&self, username: String, password: String) -> Result<Me, DubanError> {
        let p = self.client.sign_in(&username, &password).await?;
        Ok(self.me_of(p))
    }

    /// Signs out and removes this person's data from the device. Refused while acts wait to
    /// be sent, unless `discard_pending`.
    pub async fn sign_out(&self, discard_pending: bool) -> Result<(), DubanError> {
        Ok(self.client.sign_out(discard_pending).await?)
    }

    /// Sends what waits and takes in what is new.
    pub async fn sync_now(&self) -> Result<SyncSummary, DubanError> {
        let r = self.client.sync_now().await;
        self.changed();
        Ok(r?.into())
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

    /// The item screen in one call; none if the item is not (or no longer) on the device.
    pub fn item(&self, task: String) -> Result<Option<ItemScreen>, DubanError> {
        let Some(d) = self.client.item(task_id(&task)?)? else {
            return Ok(None);
        };
        // The countdown and the light's reason, by the organisation's calendar and policy.
        let now = Utc::now();
        let (left, light) = self.client.with_store(|s| match s.org() {
            Some(o) => (
                working_time_left(&d.state, now, &o.calendar),
                timeliness_light(&d.state, now, &o.calendar, &o.policy),
            ),
            None => (None, None),
        });
        Ok(Some(ItemScreen {
            item: ItemRow::from(&d.summary),
            content: d.content.clone(),
            working_days_left: left.map(whole_days),
            working_seconds_left: left.map(|l| l.num_seconds()),
            light_reason_zh: light.as_ref().map(|l| l.zh.clone()),
            light_reason_en: light.map(|l| l.en),
            reports: d
                .reports
                .iter()
                .map(|r| ReportRow {
                    id: r.record.id.to_string(),
                    kind: r.record.kind.into(),
                    by_name: r.by_name.clone(),
                    at_ms: millis(r.record.at),
                    text: r.text.clone(),
                    percent: r.record.percent,
                    status: r.record.status.into(),
                    evidence: r.evidence.iter().map(Evidence::of).collect(),
                })
                .collect(),
            evidence: d
                .evidence
                .iter()
                .map(|e| EvidenceRow {
                    file: Evidence::of(&e.file),
                    report: e.report.map(|r| r.to_string()),
                    warnings: e.warnings.iter().map(|w| w.zh.clone()).collect(),
                    warnings_en: e.warnings.iter().map(|w| w.en.clone()).collect(),
                })
                .collect(),
            photo_pairs: d
                .photo_pairs
                .iter()
                .map(|p| PhotoPairRow {
                    before: Evidence::of(&p.before),
                    after: p.after.iter().map(Evidence::of).collect(),
                })
                .collect(),
            duties: InboxRow::from(&InboxEntry {
                item: d.summary.clone(),
                duties: d.duties.clone(),
            })
            .duties,
            acts: d
                .acts
                .iter()
                .filter_map(|k| {
                    Act::of(*k).map(|act| ActRow {
                        act,
                        zh: k.zh().to_owned(),
                        en: k.en().to_owned(),
                    })
                })
                .collect(),
            office_duties: d
                .duties
                .iter()
                // A duty the app has no button for (closing is offered in the browser)
                // stays named here.
                .filter(|l| {
                    let act = act_for(l.duty);
                    !(d.acts.contains(&act) && Act::of(act).is_some())
                })
                .map(|l| DutyRow {
                    duty: l.duty.into(),
                    zh: l.zh.clone(),
                    en: l.en.clone(),
                })
                .collect(),
            trail: d
                .trail
                .iter()
                .map(|l| TrailRow {
                    task_seq: l.task_seq,
                    at_ms: millis(l.at),
                    actor_name: l.actor_name.clone(),
                    title_zh: l.title_zh.clone(),
                    title_en: l.title_en.clone(),
                    detail: l.detail.clone(),
                    pending: l.pending,
                    note: l.note.map(|n| n.to_string()),
                })
                .collect(),
            verified: d.verified,
            pending: d.pending.len() as u32,
            attention: d.attention.len() as u32,
        }))
    }

    /// The items waiting for my approval (extensions, suspensions, reports, registrations).
    pub fn approvals(&self) -> Result<Vec<InboxRow>, DubanError> {
        Ok(self
            .client
            .approvals()?
            .iter()
            .map(InboxRow::from)
            .collect())
    }

    /// This device's acts the server refused.
    pub fn attention(&self) -> Result<Vec<AttentionRow>, DubanError> {
        Ok(self
            .client
            .attention()?
            .iter()
            .map(|a| AttentionRow {
                id: a.id.to_string(),
                task: a.task.to_string(),
                code: a.code.clone(),
                zh: a.zh.clone(),
                en: a.en.clone(),
            })
            .collect())
    }

    /// How many acts wait to be sent.
    pub fn pending_count(&self) -> Result<u32, DubanError> {
        Ok(self.client.pending()?.len() as u32)
    }

    /// The acts of this device not yet confirmed by the server, oldest first (the "waiting
    /// to send" list).
    pub fn pending(&self) -> Result<Vec<PendingRow>, DubanError> {
        Ok(self
            .client
            .pending()?
            .into_iter()
            .map(|p| PendingRow {
                id: p.id.to_string(),
                task: p.task.to_string(),
                kind: p.kind.into(),
                name_zh: p.name_zh,
                name_en: p.name_en,
                issued_ms: millis(p.issued_at),
                sent: p.state != OutboxState::Queued,
                attempts: p.attempts,
                last_error: p.last_error,
            })
            .collect())
    }

    /// Turns a camera JPEG into evidence: upright, resized, watermarked with time, place,
    /// item number and person, a thumbnail, no EXIF; kept on the device until sent.
    pub fn attach_photo(&self, jpeg: Vec<u8>, capture: Capture) -> Result<Evidence, DubanError> {
        let location = match (capture.latitude, capture.longitude) {
            (Some(lat), Some(lon)) => GeoPoint::from_degrees(lat, lon),
            _ => None,
        };
        let shot = Shot {
            source: if capture.from_camera {
                PhotoSource::Camera
            } else {
                PhotoSource::Gallery
            },
            utc_offset_minutes: capture.utc_offset_minutes,
            location,
            place: capture.place,
            task: capture.task.as_deref().map(task_id).transpose()?,
            answers: capture.answers,
        };
        Ok(Evidence::of(&self.client.attach_photo(&jpeg, &shot)?))
    }

    /// Registers this phone for push with the token the platform's service gave the app
    /// (`fcm`, `apns`, `hms`, or on Android the maker's `honor`, `xiaomi`, `oppo`, `vivo`:
    /// see [`push_provider_for`]; platform `android`, `ios` or `harmony`).
    pub async fn register_push(
        &self,
        platform: String,
        provider: String,
        token: String,
        app_version: String,
    ) -> Result<(), DubanError> {
        let platform: Platform = code(&platform, "系统", "platform")?;
        let provider: PushProvider = code(&provider, "推送渠道", "provider")?;
        self.client
            .register_push(platform, provider, &token, &app_version)
            .await?;
        Ok(())
    }

    /// Receives an item dispatched to me (签收). Returns the act's id.
    pub fn receive(&self, task: String) -> Result<String, DubanError> {
        self.act(&task, Command::Receive)
    }

    /// Reports progress (进展汇报), with evidence. Returns the act's id.
    pub fn report_progress(
        &self,
        task: String,
        text: String,
        percent: u8,
        evidence: Vec<Evidence>,
    ) -> Result<String, DubanError> {
        let report = self.report(text, &evidence)?;
        self.act(
            &task,
            Command::ReportProgress {
                report,
                percent,
                milestone: None,
                answers: None,
            },
        )
    }

    /// Reports completion (完成汇报), with evidence. Returns the act's id.
    pub fn report_completion(
        &self,
        task: String,
        text: String,
        evidence: Vec<Evidence>,
    ) -> Result<String, DubanError> {
        let report = self.report(text, &evidence)?;
        self.act(&task, Command::ReportCompletion { report })
    }

    /// Asks for a later deadline (延时申请).
    pub fn request_extension(
        &self,
        task: String,
        until_ms: i64,
        reason: String,
    ) -> Result<String, DubanError> {
        let until = time_of(until_ms)?;
        self.act(&task, Command::RequestExtension { until, reason })
    }

    /// Approves or refuses the pending extension (延时审批).
    pub fn decide_extension(
        &self,
        task: String,
        approve: bool,
        opinion: String,
    ) -> Result<String, DubanError> {
        self.act(&task, Command::DecideExtension { approve, opinion })
    }

    /// Accepts the completion or returns it for rework (复核 / 退办).
    pub fn review(
        &self,
        task: String,
        accept: bool,
        opinion: String,
        new_deadline_ms: Option<i64>,
    ) -> Result<String, DubanError> {
        let new_deadline = new_deadline_ms.map(time_of).transpose()?;
        self.act(
            &task,
            Command::Review {
                accept,
                opinion,
                new_deadline,
            },
        )
    }

    /// Rates the work, 1–5 stars (领导评价).
    pub fn rate(&self, task: String, stars: u8, opinion: String) -> Result<String, DubanError> {
        self.act(&task, Command::Rate { stars, opinion })
    }

    /// A leader's instruction (批示).
    pub fn instruct(&self, task: String, text: String) -> Result<String, DubanError> {
        let id = NoteId(uuid::Uuid::new_v4());
        self.act(&task, Command::Instruct { id, text })
    }

    /// A comment (评论), or a reply to the comment or instruction whose [`TrailRow`]'s
    /// `note` is `reply_to`.
    pub fn comment(
        &self,
        task: String,
        text: String,
        reply_to: Option<String>,
    ) -> Result<String, DubanError> {
        let id = NoteId(uuid::Uuid::new_v4());
        let reply_to = reply_to
            .as_deref()
            .map(|r| uuid_of(r, "input.note", "评论编号无效", "not a comment id").map(NoteId))
            .transpose()?;
        self.act(&task, Command::Comment { id, text, reply_to })
    }

    /// Returns a hotline work order dispatched to my unit as not ours (退单), with the
    /// reason; the hotline office transfers it.
    pub fn return_order(&self, task: String, reason: String) -> Result<String, DubanError> {
        self.act(&task, Command::ReturnOrder { reason })
    }

    /// Asks for a committed deadline (申请承诺件) for a work order that needs longer, on the
    /// hour; the hotline office decides.
    pub fn request_commitment(
        &self,
        task: String,
        until_ms: i64,
        reason: String,
    ) -> Result<String, DubanError> {
        let until = time_of(until_ms)?;
        self.act(&task, Command::RequestCommitment { until, reason })
    }

    /// The sections of the office's reply template for a work order's reply (the completion
    /// report), in order; empty for an item that is not a work order. The app shows one box
    /// per section and sends [`compose_reply`] of them as the report's text.
    pub fn reply_sections(&self, task: String) -> Result<Vec<String>, DubanError> {
        let Some(d) = self.client.item(task_id(&task)?)? else {
            return Ok(Vec::new());
        };
        if d.state.order.is_none() {
            return Ok(Vec::new());
        }
        Ok(self.client.with_store(|s| {
            s.org()
                .map(|o| o.policy.hotline.reply_sections.clone())
                .unwrap_or_default()
        }))
    }

    /// Declines an item dispatched to my unit as not ours (拒签), with the reason.
    pub fn decline(&self, task: String, reason: String) -> Result<String, DubanError> {
        self.act(&task, Command::Decline { reason })
    }

    /// Asks to suspend the item (暂停申请): the countdown stops once approved.
    pub fn request_suspension(&self, task: String, reason: String) -> Result<String, DubanError> {
        self.act(&task, Command::RequestSuspension { reason })
    }

    /// Approves or refuses the pending suspension (暂停审批).
    pub fn decide_suspension(
        &self,
        task: String,
        approve: bool,
        opinion: String,
    ) -> Result<String, DubanError> {
        self.act(&task, Command::DecideSuspension { approve, opinion })
    }

    /// Asks to resume a suspended item (恢复申请).
    pub fn request_resumption(&self, task: String, reason: String) -> Result<String, DubanError> {
        self.act(&task, Command::RequestResumption { reason })
    }

    /// Approves or refuses the pending resumption (恢复审批).
    pub fn decide_resumption(
        &self,
        task: String,
        approve: bool,
        opinion: String,
    ) -> Result<String, DubanError> {
        self.act(&task, Command::DecideResumption { approve, opinion })
    }

    /// Approves or returns a report waiting for my approval (汇报审批); `report` is a
    /// [`ReportRow`]'s id.
    pub fn decide_report(
        &self,
        task: String,
        report: String,
        approve: bool,
        opinion: String,
    ) -> Result<String, DubanError> {
        let report = ReportId(uuid_of(
            &report,
            "input.report",
            "汇报编号无效",
            "not a report id",
        )?);
        self.act(
            &task,
            Command::DecideReport {
                report,
                approve,
                opinion,
            },
        )
    }

    /// Agrees to or returns a registration waiting for my approval (立项审批).
    pub fn decide_registration(
        &self,
        task: String,
        approve: bool,
        opinion: String,
    ) -> Result<String, DubanError> {
        self.act(&task, Command::DecideRegistration { approve, opinion })
    }

    /// Follows the item (关注): I am told of its steps.
    pub fn follow(&self, task: String) -> Result<String, DubanError> {
        self.act(&task, Command::Follow)
    }

    /// Stops following it (取消关注).
    pub fn unfollow(&self, task: String) -> Result<String, DubanError> {
        self.act(&task, Command::Unfollow)
    }

    /// Registers a new item (立项), typically a problem found on site with its "before"
    /// photos; the server gives it its number. Returns the new item's id.
    pub fn register_item(&self, item: NewItem) -> Result<String, DubanError> {
        let category = self
            .client
            .categories()?
            .into_iter()
            .find(|c| c.code == item.category)
            .ok_or_else(|| invalid("input.unknown_category", "类别不存在", "no such category"))?;
        let registration = Registration {
            number: TaskNumber {
                prefix: category.prefix.clone(),
                year: Utc::now().year(),
                seq: 1,
            },
            category: category.code,
            title: item.title,
            content: item.content,
            source: Source::OnSite,
            urgency: item.urgency.into(),
            visibility: if item.public {
                Visibility::Public
            } else {
                Visibility::Internal
            },
            deadline: item.deadline_ms.map(time_of).transpose()?,
            attributes: item.attributes.into_iter().collect(),
            attachments: item
                .attachments
                .iter()
                .map(Evidence::blob)
                .collect::<Result<_, _>>()?,
            milestones: Vec::new(),
            instructing_leader: None,
            approval_chain: Vec::new(),
            recurrence: None,
            parent: None,
            batch: None,
            order: None,
        };
        let task = self.client.new_task_id();
        self.act(&task.to_string(), Command::Register(Box::new(registration)))?;
        Ok(task.to_string())
    }

    /// Decomposes the item (分解): a sub-item led by `lead_unit` (and, if given, one of its
    /// people), due no later than the item. Returns the sub-item's id; the server registers
    /// and dispatches it.
    pub fn decompose(
        &self,
        task: String,
        title: String,
        content: String,
        lead_unit: String,
        lead_person: Option<String>,
        deadline_ms: Option<i64>,
    ) -> Result<String, DubanError> {
        let unit = UnitId(uuid_of(
            &lead_unit,
            "input.unit",
            "单位编号无效",
            "not a unit id",
        )?);
        let user = lead_person
            .as_deref()
            .map(|p| uuid_of(p, "input.person", "人员编号无效", "not a person id").map(UserId))
            .transpose()?;
        let child = self.client.new_task_id();
        let prefix = self
            .client
            .item(task_id(&task)?)?
            .and_then(|d| d.state.number.map(|n| n.prefix))
            .unwrap_or_default();
        let spec = SubtaskSpec {
            child,
            number: TaskNumber {
                prefix,
                year: Utc::now().year(),
                seq: 1,
            },
            title,
            content,
            lead: Assignee { unit, user },
            deadline: deadline_ms.map(time_of).transpose()?,
        };
        self.act(&task, Command::Decompose(Box::new(spec)))?;
        Ok(child.to_string())
    }

    /// Who is signed in; none when signed out.
    pub fn me(&self) -> Option<Me> {
        self.client.me().map(|p| self.me_of(p))
    }

    /// My items in a view, most recently changed first: `limit` from `offset`. Views: `all`,
    /// `instructed`, `responsible`, `created`, `department`, `subordinates`, `followed`,
    /// `shared`.
    pub fn items(&self, view: String, offset: u32, limit: u32) -> Result<Vec<ItemRow>, DubanError> {
        let view = View::parse(&view).ok_or_else(|| {
            invalid(
                "input.view",
                &format!("未知的列表:{view}"),
                &format!("unknown view: {view}"),
            )
        })?;
        Ok(self
            .client
            .items(view, offset as usize, limit as usize)?
            .iter()
            .map(ItemRow::from)
            .collect())
    }

    /// The organisation's item categories (for the registration form).
    pub fn categories(&self) -> Result<Vec<CategoryRow>, DubanError> {
        Ok(self
            .client
            .categories()?
            .into_iter()
            .map(|c| CategoryRow {
                code: c.code,
                name: c.name_zh,
                name_en: c.name_en,
                required_attributes: c.required_attributes,
            })
            .collect())
    }

    /// The organisation's units (for pickers).
    pub fn units(&self) -> Result<Vec<UnitRow>, DubanError> {
        Ok(self
            .client
            .units()?
            .into_iter()
            .map(|u| UnitRow {
                id: u.id,
                name: u.name,
                name_en: u.name_en,
                parent: u.parent,
            })
            .collect())
    }

    /// Gives up an act the server refused (an [`AttentionRow`]'s id).
    pub fn discard(&self, id: String) -> Result<(), DubanError> {
        self.client
            .discard(uuid_of(&id, "input.act", "操作编号无效", "not an act id")?)?;
        self.changed();
        Ok(())
    }

    /// Sends an act the server refused again, unchanged (after what blocked it was fixed).
    /// Returns the new act's id.
    pub fn resubmit(&self, id: String) -> Result<String, DubanError> {
        let id = self.client.resubmit(
            uuid_of(&id, "input.act", "操作编号无效", "not an act id")?,
            None,
        )?;
        self.changed();
        Ok(id.to_string())
    }

    /// A cited file's type and content (a photo to show): from the device, else fetched
    /// from the server and kept.
    pub async fn file(&self, hash: String) -> Result<FileData, DubanError> {
        let (mime, bytes) = self.client.file(&hash).await?;
        Ok(FileData { mime, bytes })
    }
}

impl DubanApp {
    /// Me, with whether the rules let me register items.
    fn me_of(&self, p: Person) -> Me {
        let actor = duban_core::store::actor_of(&p);
        let units = self
            .client
            .with_store(|s| s.org().map(|o| o.units.clone()))
            .unwrap_or_default();
        let registers = may_register(&actor, &units);
        Me::of(p, registers)
    }

    fn act(&self, task: &str, command: Command) -> Result<String, DubanError> {
        let id = self.client.issue(task_id(task)?, command)?.to_string();
        self.changed();
        Ok(id)
    }

    fn lock_observers(&self) -> std::sync::MutexGuard<'_, Vec<Arc<dyn Observer>>> {
        self.observers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells the observers the data may have changed.
    fn changed(&self) {
        let observers = self.lock_observers().clone();
        for o in observers {
            o.data_changed();
        }
    }

    /// A thread that tells the observers every change of the sync status, for as long as
    /// the app lives.
    fn follow_sync(&self) {
        let mut rx = self.client.watch_sync();
        let observers = Arc::downgrade(&self.observers);
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
                return;
            };
            rt.block_on(async move {
                while rx.changed().await.is_ok() {
                    let status: SyncStatus = rx.borrow_and_update().clone().into();
                    let Some(observers) = observers.upgrade() else {
                        return;
                    };
                    let list = observers.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    for o in list {
                        o.sync_changed(status.clone());
                    }
                }
            });
        });
    }

    fn report(&self, text: String, evidence: &[Evidence]) -> Result<ReportBody, DubanError> {
        Ok(ReportBody {
            id: ReportId(uuid::Uuid::new_v4()),
            text,
            evidence: evidence
                .iter()
                .map(Evidence::blob)
                .collect::<Result<_, _>>()?,
            values: Default::default(),
        })
    }
}

#[cfg(test)]
mod push_provider_tests {
    use super::push_provider_for;

    fn all() -> Vec<String> {
        ["fcm", "hms", "honor", "xiaomi", "oppo", "vivo"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn the_maker_chooses_by_the_codes_the_server_knows() {
        let pick = |m: &str, b: &str, google: bool, harmony: bool, configured: Vec<String>| {
            push_provider_for(m.into(), b.into(), google, harmony, configured)
        };
        assert_eq!(
            pick("Xiaomi", "Redmi", true, false, all()).as_deref(),
            Some("xiaomi")
        );
        assert_eq!(
            pick("HONOR", "HONOR", false, false, all()).as_deref(),
            Some("honor")
        );
        assert_eq!(
            pick("OnePlus", "OnePlus", false, false, all()).as_deref(),
            Some("oppo")
        );
        assert_eq!(
            pick("vivo", "iQOO", false, false, all()).as_deref(),
            Some("vivo")
        );
        assert_eq!(
            pick("HUAWEI", "HUAWEI", false, true, all()).as_deref(),
            Some("hms")
        );
        assert_eq!(
            pick("samsung", "samsung", true, false, all()).as_deref(),
            Some("fcm")
        );
        assert_eq!(pick("samsung", "samsung", false, false, all()), None);
        // A build without the vivo SDK, and codes the core does not know.
        let fcm_only = vec!["fcm".to_owned(), "jpush".to_owned()];
        assert_eq!(
            pick("vivo", "vivo", true, false, fcm_only.clone()).as_deref(),
            Some("fcm")
        );
        assert_eq!(pick("vivo", "vivo", false, false, fcm_only), None);
    }
}
