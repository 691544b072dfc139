//! The sync protocol's wire types (HTTPS + JSON), shared by the server and the phones.
//!
//! - **Push** (`POST /api/v1/sync/push`): a device sends its outbox in order as
//!   [`PushRequest`]; each [`CommandEnvelope`] carries a client-made UUID, so a retry gets the
//!   stored [`PushOutcome`] back and never applies twice.
//! - **Pull** (`GET /api/v1/sync/pull?after=N`): the [`Change`]s after sequence number N that
//!   this person may see, in order. Reference data (units, people, policy, calendar) travels
//!   in the same feed. Gaining access to an item brings its whole history ([`Change::Grant`]);
//!   losing it brings [`Change::Revoke`].
//! - **Snapshot** (`GET /api/v1/sync/snapshot`): everything visible at one sequence number,
//!   for the first sync; pull continues after [`Snapshot::seq`].
//!
//! Event payloads are generic (`E`) so the server can pass stored JSON through untouched while
//! a client reads [`Event`]s.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::calendar::YearData;
use crate::domain::{Command, Event, Policy, Role, TaskId, UnitId, UserId};

/// The most commands in one push.
pub const MAX_PUSH: usize = 500;
/// The most changes in one pull page.
pub const MAX_PULL: usize = 20_000;

/// `POST /api/v1/auth/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account name.
    pub username: String,
    /// The password.
    pub password: String,
    /// A stable id of the device (one session per device; signing in again on the same
    /// device replaces its session). Defaults to `default`.
    #[serde(default)]
    pub device: Option<String>,
}

/// The answer to a successful sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The bearer token (shown once; the server keeps only its hash).
    pub token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: Person,
    /// An administrator set this password: the person must choose their own
    /// (`POST /api/v1/auth/password`) before the web pages let them do anything else.
    /// Absent from older servers' answers.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A person as others see them (no password, no phone number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Id.
    pub id: UserId,
    /// Account name.
    pub username: String,
    /// Name.
    pub name: String,
    /// Their unit.
    pub unit: Option<UnitId>,
    /// Position (职务), e.g. 副县长.
    pub position: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// For deputy leaders: the units they are in charge of (分管).
    pub in_charge: Vec<UnitId>,
    /// Whether the account may sign in.
    pub active: bool,
}

/// A unit of the organisation tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRecord {
    /// Id.
    pub id: UnitId,
    /// The unit above; `None` at the root.
    pub parent: Option<UnitId>,
    /// Name (zh-CN).
    pub name: String,
    /// Name (English), may be empty. Kept for old data; not shown (names are data).
    pub name_en: String,
    /// Order among siblings.
    pub sort: i64,
    /// Short name (简称, e.g. 住建局), may be empty. Absent from older data.
    #[serde(default)]
    pub short_name: String,
    /// Other names people write for the unit. Absent from older data.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A unit no longer in use: offered for nothing new, kept for the items that name it.
    /// Absent from older data.
    #[serde(default)]
    pub retired: bool,
    /// The peer group the unit is ranked in (e.g. 县直部门, 乡镇); empty for the default
    /// (see `domain::derived::peers`). Absent from older data.
    #[serde(default)]
    pub peer_group: String,
}

/// One command from a device's outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandEnvelope {
    /// Made by the client; a retry sends the same id.
    pub id: Uuid,
    /// The item.
    pub task: TaskId,
    /// What is asked.
    pub command: Command,
}

/// `POST /api/v1/sync/push`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The outbox, in order (at most [`MAX_PUSH`]).
    pub commands: Vec<CommandEnvelope>,
}

/// One event of an item's trail with its places in the feed and in the trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord<E = Event> {
    /// Position in the change feed.
    pub seq: i64,
    /// The item.
    pub task: TaskId,
    /// Position in the item's trail, from 1.
    pub task_seq: u64,
    /// The trail hash (hex blake3) chaining this event to the one before.
    pub hash: String,
    /// The event.
    pub event: E,
}

/// What became of one pushed command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PushOutcome<E = Event> {
    /// Applied; these are its events (and those of items it created, e.g. a subtask).
    Accepted {
        /// The command's id.
        id: Uuid,
        /// The item.
        task: TaskId,
        /// The events, in order.
        events: Vec<EventRecord<E>>,
    },
    /// Refused by the rules; nothing was applied.
    Rejected {
        /// The command's id.
        id: Uuid,
        /// The item.
        task: TaskId,
        /// Stable code, e.g. `state.wrong_status`.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
}

/// The answer to a push: one outcome per command, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse<E = Event> {
    /// Outcomes.
    pub results: Vec<PushOutcome<E>>,
}

/// Reference data that travels in the feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entity", content = "data", rename_all = "snake_case")]
pub enum Reference {
    /// A unit was added or changed.
    Unit(UnitRecord),
    /// A person was added or changed.
    Person(Person),
    /// The policy (categories, deadlines, scoring) changed.
    Policy(Box<Policy>),
    /// A year of the working-day calendar was added or changed.
    Calendar(YearData),
}

/// One entry of the change feed, as a person receives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change<E = Event> {
    /// A new event on an item the person may see.
    Event(EventRecord<E>),
    /// The person may now see the item: its whole history up to here.
    Grant {
        /// Position in the feed.
        seq: i64,
        /// The item.
        task: TaskId,
        /// All its events so far.
        events: Vec<EventRecord<E>>,
        /// Its confidential fields, if the person may see them.
        confidential: Option<BTreeMap<String, String>>,
    },
    /// The person may no longer see the item: purge it.
    Revoke {
        /// Position in the feed.
        seq: i64,
        /// The item.
        task: TaskId,
    },
    /// The item's confidential fields (only to those who may see them).
    Confidential {
        /// Position in the feed.
        seq: i64,
        /// The item.
        task: TaskId,
        /// Field name → value.
        fields: BTreeMap<String, String>,
    },
    /// The person may no longer see the item's confidential fields: forget them.
    ConfidentialRevoke {
        /// Position in the feed.
        seq: i64,
        /// The item.
        task: TaskId,
    },
    /// Reference data.
    Reference {
        /// Position in the feed.
        seq: i64,
        /// What changed.
        #[serde(flatten)]
        reference: Reference,
    },
    /// The person's own roles or unit changed: take a new snapshot.
    Resync {
        /// Position in the feed.
        seq: i64,
    },
    /// The person read these notifications elsewhere (on the web, through the API, on
    /// another phone): mark this device's copies read, sending no receipt back. Only to
    /// that person, and only to a client that asks for them (`reads=true` on the pull), so
    /// that older clients, which do not know this change, never receive it.
    Read {
        /// Position in the feed.
        seq: i64,
        /// The notifications, by the event each came from.
        events: Vec<EventRef>,
    },
}

/// `GET /api/v1/sync/pull`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse<E = Event> {
    /// The changes, in sequence order.
    pub changes: Vec<Change<E>>,
    /// Ask for changes after this next time (the last sequence number examined, which may
    /// be past the last change shown: the rest were not for this person).
    pub next: i64,
    /// Whether more changes wait beyond `next`.
    pub more: bool,
    /// The feed's last sequence number when the page was read: a client shows its progress
    /// as how far `next` has come towards it.
    #[serde(default)]
    pub head: i64,
}

/// One item in a snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskSnapshot<E = Event> {
    /// The item.
    pub task: TaskId,
    /// Its whole trail.
    pub events: Vec<EventRecord<E>>,
    /// Its confidential fields, if the person may see them.
    pub confidential: Option<BTreeMap<String, String>>,
}

/// `GET /api/v1/sync/snapshot`: everything the person may see, as of `seq`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot<E = Event> {
    /// Pull continues after this.
    pub seq: i64,
    /// Who is asking.
    pub me: Person,
    /// The organisation.
    pub units: Vec<UnitRecord>,
    /// The people.
    pub people: Vec<Person>,
    /// The policy.
    pub policy: Policy,
    /// The calendar years.
    pub calendar: Vec<YearData>,
    /// The items.
    pub tasks: Vec<TaskSnapshot<E>>,
}

/// A phone's operating system, for push registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Android.
    Android,
    /// iOS.
    Ios,
    /// HarmonyOS.
    Harmony,
}

/// Who delivers a phone's push notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushProvider {
    /// Firebase Cloud Messaging (Android with Google services, outside mainland China).
    Fcm,
    /// Apple Push Notification service.
    Apns,
    /// Huawei HMS Push Kit (Huawei and Honor phones, HarmonyOS).
    Hms,
    /// Xiaomi Push (Xiaomi, Redmi and POCO phones, HyperOS / MIUI).
    Xiaomi,
    /// OPPO Push (OPPO, OnePlus and realme phones, ColorOS).
    Oppo,
    /// vivo Push (vivo and iQOO phones, OriginOS).
    Vivo,
    /// Honor Push (Honor phones, MagicOS).
    Honor,
}

/// `PUT /api/v1/devices/current`: this session's device and its push token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistration {
    /// The phone's system.
    pub platform: Platform,
    /// Who delivers to it.
    pub provider: PushProvider,
    /// The provider's token for this app on this phone.
    pub token: String,
    /// The app's version, e.g. `1.4.0`.
    pub app_version: String,
}

/// A registered device, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The device id of the session that registered it (see [`LoginRequest::device`]).
    pub device: String,
    /// The phone's system.
    pub platform: Platform,
    /// Who delivers to it.
    pub provider: PushProvider,
    /// The app's version.
    pub app_version: String,
    /// When it was first registered.
    pub registered_at: DateTime<Utc>,
    /// When its token or version last changed.
    pub updated_at: DateTime<Utc>,
}

/// One notification in a person's inbox (站内通知).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxNotification {
    /// Its id (the same for the same person and event on every replica).
    pub id: Uuid,
    /// The item.
    pub task: TaskId,
    /// The event of the item's trail that brought it.
    pub task_seq: u64,
    /// What it is about.
    pub kind: crate::domain::derived::describe::NoticeKind,
    /// The text in Chinese.
    pub zh: String,
    /// The text in English.
    pub en: String,
    /// The urgency it climbs at.
    pub urgency: crate::domain::model::Urgency,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// When the person read it (the read receipt).
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of the inbox, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    /// Unread notifications in all (not only this page).
    pub unread: u64,
    /// The notifications.
    pub items: Vec<InboxNotification>,
}

/// One event a notification is known by on a phone (the phone derives the same
/// notifications from the same events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRef {
    /// The item.
    pub task: TaskId,
    /// The event's number in the item's trail.
    pub task_seq: u64,
}

/// Read receipts: the notifications the person has read, by id or by event, or all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadReceipts {
    /// By id.
    #[serde(default)]
    pub ids: Vec<Uuid>,
    /// By the event that brought them.
    #[serde(default)]
    pub events: Vec<EventRef>,
    /// Every unread one.
    #[serde(default)]
    pub all: bool,
}

/// What the receipts changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOutcome {
    /// Notifications newly marked read.
    pub marked: u64,
    /// Unread notifications left.
    pub unread: u64,
}

/// One send of a notification beyond the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// `push`, `sms`, `voice` …
    pub channel: crate::domain::delivery::Channel,
    /// `fcm`, `apns`, `hms`, the Android vendors' and `harmony`, `sms`, `voice`, or a work app:
    /// `dingtalk`, `wecom`.
    pub provider: String,
    /// `sent`, `dead` (the token or number no longer works), `failed`, or `refused` (the
    /// service refused our configuration, e.g. an SMS template not approved: tried again).
    pub outcome: String,
    /// The service's message id (a voice call's CallId), or what went wrong.
    pub detail: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Who an item's notifications reached, and whether they read them (for the office and
/// leaders: proof that an urging arrived and was read).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationTrace {
    /// The notification.
    pub id: Uuid,
    /// Whom it was for.
    pub person: UserId,
    /// Their name.
    pub name: String,
    /// The event that brought it.
    pub task_seq: u64,
    /// What it is about.
    pub kind: crate::domain::derived::describe::NoticeKind,
    /// The text in Chinese.
    pub zh: String,
    /// The text in English.
    pub en: String,
    /// When it reached the inbox.
    pub at: DateTime<Utc>,
    /// When it was read.
    pub read_at: Option<DateTime<Utc>>,
    /// The sends beyond the inbox, in order.
    pub deliveries: Vec<DeliveryRecord>,
}
