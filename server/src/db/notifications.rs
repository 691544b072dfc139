//! Notifications and their delivery: the inbox (`notifications`), each send to a device or
//! number (`deliveries`), the phones registered for push (`devices`), and the `jobs` table
//! the push and SMS steps wait in.

use duban_core::domain::delivery::Channel;
use duban_core::domain::derived::describe::NoticeKind;
use duban_core::domain::model::Urgency;
use duban_core::domain::Code;
use duban_core::domain::{TaskId, UserId};
use duban_core::protocol::{
    DeliveryRecord, Device, DeviceRegistration, InboxNotification, NotificationTrace,
};

use super::audience::visible_sql;
use super::codec::{from_code, from_json, parse_uuid, time_of, to_json};
use super::{placeholders, Backend, Batch, Conn, Db, DbError, Row, Tx, Val};
use crate::args;

// ----- the inbox -----------------------------------------------------------------------------

/// A notification to store.
#[derive(Clone, Debug)]
pub struct NewNotification {
    /// Its id (derived from the person and the event).
    pub id: String,
    /// Whose inbox.
    pub user: UserId,
    /// The item.
    pub task: TaskId,
    /// The event's place in the item's trail.
    pub task_seq: i64,
    /// What it tells.
    pub kind: NoticeKind,
    /// The sentence in Chinese.
    pub zh: String,
    /// The sentence in English.
    pub en: String,
    /// Its urgency, as stored (the urgency's code).
    pub urgency: String,
    /// When (Unix milliseconds).
    pub created_at: i64,
}

/// Notification rows per insert statement (9 parameters each).
const ROWS_PER_INSERT: usize = 100;

/// Queues the notifications' inserts (multi-row; one already stored is kept as it is).
pub fn queue_notifications(batch: &mut Batch, rows: &[NewNotification]) {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", placeholders(r * 9 + 1, 9)))
            .collect();
        let mut params = Vec::with_capacity(chunk.len() * 9);
        for n in chunk {
            params.extend(args![
                n.id.as_str(),
                n.user.to_string(),
                n.task.to_string(),
                n.task_seq,
                to_json(&n.kind),
                n.zh.as_str(),
                n.en.as_str(),
                n.urgency.as_str(),
                n.created_at
            ]);
        }
        batch.push(
            format!(
                "INSERT INTO notifications (id, user_id, task, task_seq, kind, zh, en, urgency, created_at) \
                 VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            ),
            params,
        );
    }
}

/// The kind as stored.
pub fn kind_of(text: &str) -> Result<NoticeKind, DbError> {
    from_json(text)
}

fn inbox_notification(r: &Row) -> Result<InboxNotification, DbError> {
    Ok(InboxNotification {
        id: parse_uuid(&r.get_text("id")?)?,
        task: TaskId(parse_uuid(&r.get_text("task")?)?),
        task_seq: r.get_int("task_seq")? as u64,
        kind: kind_of(&r.get_text("kind")?)?,
        zh: r.get_text("zh")?,
        en: r.get_text("en")?,
        urgency: from_code(&r.get_text("urgency")?)?,
        at: time_of(r.get_int("created_at")?),
        read_at: r.get_opt_int("read_at")?.map(time_of),
    })
}

/// How many of the person's notifications are unread, on items they may read (`keys`: the
/// person's audience keys).
pub async fn unread(db: &Db, user: UserId, keys: &[String]) -> Result<u64, DbError> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM notifications n WHERE n.user_id = $1 AND n.read_at IS NULL AND {}",
        visible_sql("n.task", "view", 2, keys.len())
    );
    let mut params = args![user.to_string()];
    params.extend(keys.iter().map(Val::from));
    let row = db.row(&sql, params).await?;
    Ok(row.map(|r| r.get_int("n")).transpose()?.unwrap_or(0) as u64)
}

/// A page of the person's inbox.
#[derive(Clone, Copy, Debug)]
pub struct InboxFilter {
    /// Only unread ones.
    pub unread_only: bool,
    /// Older than this (Unix milliseconds).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// The person's notifications on items they may read (`keys`: the person's audience keys),
/// newest first.
pub async fn inbox(
    db: &Db,
    user: UserId,
    keys: &[String],
    page: InboxFilter,
) -> Result<Vec<InboxNotification>, DbError> {
    let mut sql = format!(
        "SELECT n.id, n.task, n.task_seq, n.kind, n.zh, n.en, n.urgency, n.created_at, n.read_at \
         FROM notifications n WHERE n.user_id = $1 AND {}",
        visible_sql("n.task", "view", 2, keys.len())
    );
    let mut params = args![user.to_string()];
    params.extend(keys.iter().map(Val::from));
    if page.unread_only {
        sql.push_str(" AND n.read_at IS NULL");
    }
    if let Some(before) = page.before {
        sql.push_str(&format!(" AND n.created_at < ${}", params.len() + 1));
        params.push(Val::from(before));
    }
    sql.push_str(&format!(
        " ORDER BY n.created_at DESC, n.task, n.task_seq DESC LIMIT ${}",
        params.len() + 1
    ));
    params.push(Val::from(page.limit));
    db.rows(&sql, params)
        .await?
        .iter()
        .map(inbox_notification)
        .collect()
}

/// The events of the notifications a read marked (as a phone knows them: item and event).
pub type Marked = Vec<(TaskId, u64)>;

fn marked(rows: Vec<Row>) -> Result<Marked, DbError> {
    rows.iter()
        .map(|r| {
            Ok((
                TaskId(parse_uuid(&r.get_text("task")?)?),
                r.get_int("task_seq")? as u64,
            ))
        })
        .collect()
}

/// Marks every unread notification of the person read; returns those it marked.
pub async fn mark_all_read(tx: &mut Tx, user: UserId, at: i64) -> Result<Marked, DbError> {
    let rows = tx
        .rows(
            "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL \
             RETURNING task, task_seq",
            args![user.to_string(), at],
        )
        .await?;
    marked(rows)
}

/// Marks the person's unread notifications with these ids read; returns those it marked.
pub async fn mark_read(
    tx: &mut Tx,
    user: UserId,
    ids: &[uuid::Uuid],
    at: i64,
) -> Result<Marked, DbError> {
    let sql = format!(
        "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL AND id IN ({}) \
         RETURNING task, task_seq",
        placeholders(3, ids.len())
    );
    let mut params = args![user.to_string(), at];
    params.extend(ids.iter().map(|id| Val::from(id.to_string())));
    marked(tx.rows(&sql, params).await?)
}

/// Marks the person's unread notification of one event read; returns those it marked.
pub async fn mark_event_read(
    tx: &mut Tx,
    user: UserId,
    task: TaskId,
    task_seq: u64,
    at: i64,
) -> Result<Marked, DbError> {
    let rows = tx
        .rows(
            "UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL \
             AND task = $3 AND task_seq = $4 RETURNING task, task_seq",
            args![user.to_string(), at, task.to_string(), task_seq as i64],
        )
        .await?;
    marked(rows)
}

/// Events per `read` change of the feed.
const READS_PER_CHANGE: usize = 500;

/// Appends to the feed, for the person only, that they read the notifications of these
/// events (`changes.user_id`; see `crate::feed`), so that their phones mark their copies.
pub async fn queue_read_changes(
    tx: &mut Tx,
    user: UserId,
    events: &[(TaskId, u64)],
    at: i64,
) -> Result<(), DbError> {
    for chunk in events.chunks(READS_PER_CHANGE) {
        let body: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(task, seq)| serde_json::json!({"task": task, "task_seq": seq}))
            .collect();
        let seq = tx
            .append_changes(&[super::NewChange {
                kind: "read",
                task: None,
                task_seq: None,
                hash: None,
                body: serde_json::json!({ "events": body }).to_string(),
                at,
            }])
            .await?;
        tx.exec(
            "UPDATE changes SET user_id = $1 WHERE seq = $2",
            args![user.to_string(), seq],
        )
        .await?;
    }
    Ok(())
}

/// An item's notifications, by event and person, each with whom it reached (the person's
/// name, empty if they are gone) and without its deliveries (see [`item_deliveries`]).
pub async fn item_notifications(db: &Db, task: &str) -> Result<Vec<NotificationTrace>, DbError> {
    db.rows(
        "SELECT n.id, n.user_id, COALESCE(u.name, '') AS name, n.task_seq, n.kind, n.zh, n.en, \
         n.created_at, n.read_at \
         FROM notifications n LEFT JOIN users u ON u.id = n.user_id WHERE n.task = $1 \
         ORDER BY n.task_seq, n.user_id",
        args![task],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(NotificationTrace {
            id: parse_uuid(&r.get_text("id")?)?,
            person: UserId(parse_uuid(&r.get_text("user_id")?)?),
            name: r.get_text("name")?,
            task_seq: r.get_int("task_seq")? as u64,
            kind: kind_of(&r.get_text("kind")?)?,
            zh: r.get_text("zh")?,
            en: r.get_text("en")?,
            at: time_of(r.get_int("created_at")?),
            read_at: r.get_opt_int("read_at")?.map(time_of),
            deliveries: Vec::new(),
        })
    })
    .collect()
}

/// The sends of an item's notifications, oldest first, with the notification each was of
/// (sends on a channel this server does not know are left out).
pub async fn item_deliveries(
    db: &Db,
    task: &str,
) -> Result<Vec<(String, DeliveryRecord)>, DbError> {
    let mut out = Vec::new();
    for r in db
        .rows(
            "SELECT d.notification, d.channel, d.provider, d.outcome, d.detail, d.at FROM deliveries d \
             JOIN notifications n ON n.id = d.notification WHERE n.task = $1 ORDER BY d.at, d.channel",
            args![task],
        )
        .await?
    {
        let Some(channel) = Channel::parse(&r.get_text("channel")?) else {
            continue;
        };
        out.push((
            r.get_text("notification")?,
            DeliveryRecord {
                channel,
                provider: r.get_text("provider")?,
                outcome: r.get_text("outcome")?,
                detail: r.get_text("detail")?,
                at: time_of(r.get_int("at")?),
            },
        ));
    }
    Ok(out)
}

// ----- delivery ------------------------------------------------------------------------------

/// A notification as a delivery step needs it, with its person's phone number.
#[derive(Clone, Debug)]
pub struct Outbound {
    /// Its id.
    pub id: String,
    /// Whose.
    pub user: String,
    /// The item.
    pub task: String,
    /// Its kind, as stored.
    pub kind: String,
    /// The sentence in Chinese.
    pub zh: String,
    /// The sentence in English.
    pub en: String,
    /// Its urgency.
    pub urgency: Urgency,
    /// Whether it was read.
    pub read: bool,
    /// The person's mobile number, if they have one (not blank).
    pub phone: Option<String>,
    /// The person's interface language (`users.locale`), if they chose one.
    pub locale: Option<String>,
    /// The item's number as shown (`督〔2026〕12号`; empty before one is given).
    pub number: String,
    /// The item's deadline in force (Unix milliseconds).
    pub deadline: Option<i64>,
    /// The event's place in the item's trail.
    pub task_seq: i64,
    /// When it reached the inbox (Unix milliseconds).
    pub created_at: i64,
}

/// The notifications with these ids.
pub async fn outbound(db: &Db, ids: &[String]) -> Result<Vec<Outbound>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT n.id, n.user_id, n.task, n.task_seq, n.kind, n.zh, n.en, n.urgency, n.created_at, \
         n.read_at, u.phone, u.locale, COALESCE(t.number, '') AS number, t.deadline \
         FROM notifications n JOIN users u ON u.id = n.user_id LEFT JOIN tasks t ON t.id = n.task \
         WHERE n.id IN ({})",
        placeholders(1, ids.len())
    );
    db.rows(&sql, ids.iter().map(Val::from).collect())
        .await?
        .iter()
        .map(|r| {
            let urgency: Urgency = from_code(&r.get_text("urgency")?)?;
            Ok(Outbound {
                id: r.get_text("id")?,
                user: r.get_text("user_id")?,
                task: r.get_text("task")?,
                kind: r.get_text("kind")?,
                zh: r.get_text("zh")?,
                en: r.get_text("en")?,
                urgency,
                read: r.get_opt_int("read_at")?.is_some(),
                phone: r.get_opt_text("phone")?.filter(|p| !p.trim().is_empty()),
                locale: r.get_opt_text("locale")?,
                number: r.get_text("number")?,
                deadline: r.get_opt_int("deadline")?,
                task_seq: r.get_int("task_seq")?,
                created_at: r.get_int("created_at")?,
            })
        })
        .collect()
}

/// A registered phone to push to.
#[derive(Clone, Debug)]
pub struct PushTarget {
    /// Whose.
    pub user: String,
    /// The device.
    pub device: String,
    /// The push service, as stored (`fcm`, `apns`, `hms`, `xiaomi`, `oppo`, `vivo`, `honor`).
    pub provider: String,
    /// The phone's system, as stored (`android`, `ios`, `harmony`): with `hms`, it chooses
    /// between Push Kit's Android API and its HarmonyOS NEXT one.
    pub platform: String,
    /// The service's token for it.
    pub token: String,
}

/// The phones of these people, by person and device.
pub async fn push_targets(db: &Db, users: &[String]) -> Result<Vec<PushTarget>, DbError> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT user_id, device, platform, provider, token FROM devices WHERE user_id IN ({}) \
         ORDER BY user_id, device",
        placeholders(1, users.len())
    );
    db.rows(&sql, users.iter().map(Val::from).collect())
        .await?
        .iter()
        .map(|r| {
            Ok(PushTarget {
                user: r.get_text("user_id")?,
                device: r.get_text("device")?,
                provider: r.get_text("provider")?,
                platform: r.get_text("platform")?,
                token: r.get_text("token")?,
            })
        })
        .collect()
}

/// The sends already recorded for these notifications: (notification, channel, target), on
/// the channels this server knows; a send the service refused for our configuration
/// (`refused`) is not one: it is tried again.
pub async fn delivered(db: &Db, ids: &[String]) -> Result<Vec<(String, Channel, String)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT notification, channel, target FROM deliveries WHERE outcome <> 'refused' \
         AND notification IN ({})",
        placeholders(1, ids.len())
    );
    let mut out = Vec::new();
    for r in db.rows(&sql, ids.iter().map(Val::from).collect()).await? {
        if let Some(c) = Channel::parse(&r.get_text("channel")?) {
            out.push((r.get_text("notification")?, c, r.get_text("target")?));
        }
    }
    Ok(out)
}

/// The human numbers of these items (`督〔2026〕17号`; empty if an item has none), by item id:
/// what a voice call reads out.
pub async fn task_numbers(
    db: &Db,
    tasks: &[String],
) -> Result<std::collections::HashMap<String, String>, DbError> {
    if tasks.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let sql = format!(
        "SELECT id, number FROM tasks WHERE id IN ({})",
        placeholders(1, tasks.len())
    );
    db.rows(&sql, tasks.iter().map(Val::from).collect())
        .await?
        .iter()
        .map(|r| Ok((r.get_text("id")?, r.get_text("number")?)))
        .collect()
}

/// Rewrites what a recorded send's `detail` says (a voice call's id, then what became of the
/// call).
pub async fn set_delivery_detail(
    tx: &mut Tx,
    notification: &str,
    channel: Channel,
    target: &str,
    detail: &str,
) -> Result<(), DbError> {
    tx.exec(
        "UPDATE deliveries SET detail = $1 WHERE notification = $2 AND channel = $3 AND target = $4",
        args![
            detail.chars().take(500).collect::<String>(),
            notification,
            channel.as_str(),
            target
        ],
    )
    .await?;
    Ok(())
}

/// The `detail` of `provider`'s latest send that reached the service (for a voice call, its
/// id and, once known, what became of it).
pub async fn last_sent_detail(db: &Db, provider: &str) -> Result<Option<String>, DbError> {
    db.row(
        "SELECT detail FROM deliveries WHERE provider = $1 AND outcome = 'sent' \
         ORDER BY at DESC LIMIT 1",
        args![provider],
    )
    .await?
    .map(|r| r.get_text("detail"))
    .transpose()
}

/// One send of a notification to a device or number.
#[derive(Clone, Debug)]
pub struct NewDelivery<'a> {
    /// The notification.
    pub notification: &'a str,
    /// Push or SMS.
    pub channel: Channel,
    /// The device, or the number.
    pub target: &'a str,
    /// The service.
    pub provider: &'a str,
    /// `sent`, `dead`, `failed` or `refused` (the service refused our configuration: the
    /// send is tried again, and a later outcome replaces this one).
    pub outcome: &'a str,
    /// The service's message id, or why not (at most 500 characters are kept).
    pub detail: &'a str,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// Records a send (once per notification, channel and target; only a `refused` one is
/// replaced by the outcome of a later try).
pub async fn record_delivery(tx: &mut Tx, d: &NewDelivery<'_>) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO deliveries (notification, channel, target, provider, outcome, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (notification, channel, target) \
         DO UPDATE SET provider = excluded.provider, outcome = excluded.outcome, \
         detail = excluded.detail, at = excluded.at WHERE deliveries.outcome = 'refused'",
        args![
            d.notification,
            d.channel.as_str(),
            d.target,
            d.provider,
            d.outcome,
            d.detail.chars().take(500).collect::<String>(),
            d.at
        ],
    )
    .await?;
    Ok(())
}

/// The person's unread notifications about the item, reached the inbox at `from` or later
/// (Unix milliseconds), that no SMS went out for yet (a refused one is not out): those an SMS
/// due now may stand for too (the merge window).
pub async fn sms_pending(
    db: &Db,
    user: &str,
    task: &str,
    from: i64,
) -> Result<Vec<String>, DbError> {
    db.rows(
        "SELECT n.id FROM notifications n WHERE n.user_id = $1 AND n.task = $2 \
         AND n.read_at IS NULL AND n.created_at >= $3 AND NOT EXISTS (SELECT 1 FROM deliveries d \
         WHERE d.notification = n.id AND d.channel = 'sms' AND d.outcome <> 'refused') \
         ORDER BY n.created_at, n.task_seq",
        args![user, task, from],
    )
    .await?
    .iter()
    .map(|r| r.get_text("id"))
    .collect()
}

/// Sends a service refused for our configuration (an unapproved template or signature …),
/// of notifications still unread: per provider and the service's code, since when and how
/// many notifications wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The provider, e.g. `sms`.
    pub provider: String,
    /// The service's code, e.g. `isv.SMS_TEMPLATE_ILLEGAL`.
    pub code: String,
    /// The first such refusal (Unix milliseconds).
    pub since: i64,
    /// The notifications waiting.
    pub waiting: i64,
}

/// The refusals of sends of unread notifications, oldest first.
pub async fn refusals(db: &Db) -> Result<Vec<Refusal>, DbError> {
    db.rows(
        "SELECT d.provider, d.detail, MIN(d.at) AS since, COUNT(DISTINCT d.notification) AS waiting \
         FROM deliveries d JOIN notifications n ON n.id = d.notification \
         WHERE d.outcome = 'refused' AND n.read_at IS NULL GROUP BY d.provider, d.detail \
         ORDER BY since",
        args![],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Refusal {
            provider: r.get_text("provider")?,
            code: r.get_text("detail")?,
            since: r.get_int("since")?,
            waiting: r.get_int("waiting")?,
        })
    })
    .collect()
}

// ----- devices -------------------------------------------------------------------------------

const DEVICE_COLUMNS: &str = "device, platform, provider, app_version, created_at, updated_at";

fn device_of(r: &Row) -> Result<Device, DbError> {
    Ok(Device {
        device: r.get_text("device")?,
        platform: from_code(&r.get_text("platform")?)?,
        provider: from_code(&r.get_text("provider")?)?,
        app_version: r.get_text("app_version")?,
        registered_at: time_of(r.get_int("created_at")?),
        updated_at: time_of(r.get_int("updated_at")?),
    })
}

/// Records the person's device for push (the token leaves whichever other device held it)
/// and returns it as stored.
pub async fn register_device(
    tx: &mut Tx,
    user: &str,
    device: &str,
    r: &DeviceRegistration,
    now: i64,
) -> Result<Option<Device>, DbError> {
    tx.exec(
        "DELETE FROM devices WHERE provider = $1 AND token = $2 AND NOT (user_id = $3 AND device = $4)",
        args![r.provider.code().to_owned(), r.token.as_str(), user, device],
    )
    .await?;
    tx.exec(
        "INSERT INTO devices (user_id, device, platform, provider, token, app_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (user_id, device) DO UPDATE SET platform = excluded.platform, \
         provider = excluded.provider, token = excluded.token, app_version = excluded.app_version, \
         updated_at = excluded.updated_at",
        args![
            user,
            device,
            r.platform.code().to_owned(),
            r.provider.code().to_owned(),
            r.token.as_str(),
            r.app_version.trim(),
            now
        ],
    )
    .await?;
    tx.row(
        &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND device = $2"),
        args![user, device],
    )
    .await?
    .as_ref()
    .map(device_of)
    .transpose()
}

/// The person's devices, oldest first.
pub async fn devices_of(db: &Db, user: &str) -> Result<Vec<Device>, DbError> {
    db.rows(
        &format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at, device"
        ),
        args![user],
    )
    .await?
    .iter()
    .map(device_of)
    .collect()
}

/// Forgets one of the person's devices; returns whether there was one.
pub async fn forget_device<'a>(
    on: impl Into<Conn<'a>>,
    user: &str,
    device: &str,
) -> Result<bool, DbError> {
    let n = on
        .into()
        .exec(
            "DELETE FROM devices WHERE user_id = $1 AND device = $2",
            args![user, device],
        )
        .await?;
    Ok(n > 0)
}

/// Forgets every device of the person.
pub async fn forget_devices(tx: &mut Tx, user: &str) -> Result<(), DbError> {
    tx.exec("DELETE FROM devices WHERE user_id = $1", args![user])
        .await?;
    Ok(())
}

/// Forgets the device holding a token the service called dead.
pub async fn forget_token(tx: &mut Tx, provider: &str, token: &str) -> Result<(), DbError> {
    tx.exec(
        "DELETE FROM devices WHERE provider = $1 AND token = $2",
        args![provider, token],
    )
    .await?;
    Ok(())
}

// ----- jobs ----------------------------------------------------------------------------------

/// A claimed job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// What to do, e.g. `deliver`.
    pub kind: String,
    /// Its data (JSON).
    pub payload: String,
    /// This is attempt number…
    pub attempts: i64,
}

/// A job to enqueue.
#[derive(Clone, Copy, Debug)]
pub struct NewJob<'a> {
    /// What to do.
    pub kind: &'a str,
    /// Its data (JSON).
    pub payload: &'a str,
    /// A key that keeps a second job with the same key out.
    pub dedupe: Option<&'a str>,
    /// When it falls due (Unix milliseconds).
    pub run_at: i64,
    /// Now (Unix milliseconds).
    pub now: i64,
}

fn job_insert(job: &NewJob<'_>) -> (&'static str, Vec<Val>) {
    (
        "INSERT INTO jobs (id, kind, payload, dedupe, state, run_at, attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, 0, $6, $6) ON CONFLICT (dedupe) DO NOTHING",
        vec![
            Val::from(uuid::Uuid::new_v4().to_string()),
            Val::from(job.kind),
            Val::from(job.payload),
            Val::from(job.dedupe.map(str::to_owned)),
            Val::from(job.run_at),
            Val::from(job.now),
        ],
    )
}

/// Enqueues a job; returns whether it was (not kept out by its dedupe key).
pub async fn insert_job(tx: &mut Tx, job: &NewJob<'_>) -> Result<bool, DbError> {
    let (sql, params) = job_insert(job);
    Ok(tx.exec(sql, params).await? == 1)
}

/// Queues a job's insert in a batch.
pub fn queue_job(batch: &mut Batch, job: &NewJob<'_>) {
    let (sql, params) = job_insert(job);
    batch.push(sql, params);
}

/// Claims up to `limit` jobs due at `now` (queued and due, or running with a lease that ran
/// out), leasing them until `lease_until`; on PostgreSQL rows another claimer holds are
/// skipped (`FOR UPDATE SKIP LOCKED`), on SQLite the one writer does the same.
pub async fn claim_jobs(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<Job>, DbError> {
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2, updated_at = $1 \
         WHERE id IN (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $1) \
         OR (state = 'running' AND locked_until < $1) ORDER BY run_at LIMIT $3{lock}) \
         RETURNING id, kind, payload, attempts"
    );
    let mut tx = db.write().await?;
    let rows = tx
        .rows(
            &sql,
            vec![
                Val::from(now),
                Val::from(lease_until),
                Val::from(limit as i64),
            ],
        )
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            Ok(Job {
                id: r.get_text("id")?,
                kind: r.get_text("kind")?,
                payload: r.get_text("payload")?,
                attempts: r.get_int("attempts")?,
            })
        })
        .collect()
}

/// Marks a job done.
pub async fn complete_job(tx: &mut Tx, id: &str, now: i64) -> Result<(), DbError> {
    tx.exec(
        "UPDATE jobs SET state = 'done', locked_until = NULL, updated_at = $2 WHERE id = $1",
        vec![Val::from(id), Val::from(now)],
    )
    .await?;
    Ok(())
}

/// Sends a failed job back to wait until `run_at`, or sets it aside as dead, with its error
/// (at most 500 characters are kept).
pub async fn fail_job(
    tx: &mut Tx,
    id: &str,
    dead: bool,
    run_at: i64,
    error: &str,
    now: i64,
) -> Result<(), DbError> {
    tx.exec(
        "UPDATE jobs SET state = $2, run_at = $3, locked_until = NULL, last_error = $4, updated_at = $5 \
         WHERE id = $1",
        vec![
            Val::from(id),
            Val::from(if dead { "dead" } else { "queued" }),
            Val::from(run_at),
            Val::from(error.chars().take(500).collect::<String>()),
            Val::from(now),
        ],
    )
    .await?;
    Ok(())
}

// ----- providers' outcomes (the console's push and SMS page) ---------------------------------

/// What one provider's sends came to, for the administrators' page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderOutcomes {
    /// When the last send that reached the service was (Unix milliseconds).
    pub last_sent: Option<i64>,
    /// The last send that did not: its outcome (`dead` or `failed`), the service's reason,
    /// and when.
    pub last_failure: Option<(String, String, i64)>,
    /// Sends that reached the service since the time asked about.
    pub sent_since: i64,
    /// Sends that did not, since then.
    pub failed_since: i64,
}

/// The outcomes of `provider`'s sends (`fcm`, `apns`, `hms`, `sms`): the last success, the
/// last failure, and the counts since `since` (Unix milliseconds).
pub async fn provider_outcomes(
    db: &Db,
    provider: &str,
    since: i64,
) -> Result<ProviderOutcomes, DbError> {
    let last_sent = db
        .row(
            "SELECT MAX(at) AS at FROM deliveries WHERE provider = $1 AND outcome = 'sent'",
            args![provider],
        )
        .await?
        .map(|r| r.get_opt_int("at"))
        .transpose()?
        .flatten();
    let last_failure = db
        .row(
            "SELECT outcome, detail, at FROM deliveries WHERE provider = $1 AND outcome <> 'sent' \
             ORDER BY at DESC LIMIT 1",
            args![provider],
        )
        .await?
        .map(|r| -> Result<_, DbError> {
            Ok((
                r.get_text("outcome")?,
                r.get_text("detail")?,
                r.get_int("at")?,
            ))
        })
        .transpose()?;
    let mut out = ProviderOutcomes {
        last_sent,
        last_failure,
        ..ProviderOutcomes::default()
    };
    for r in db
        .rows(
            "SELECT outcome, COUNT(*) AS n FROM deliveries WHERE provider = $1 AND at >= $2 \
             GROUP BY outcome",
            args![provider, since],
        )
        .await?
    {
        let n = r.get_int("n")?;
        if r.get_text("outcome")? == "sent" {
            out.sent_since += n;
        } else {
            out.failed_since += n;
        }
    }
    Ok(out)
}
