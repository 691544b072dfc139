//! Notifications (R2.2, R10.3): who hears of each event, through which channels, and proof
//! that it arrived and was read.
//!
//! - **Who.** When a command's events are written, the people the item's audience names
//!   (by role, unit, headship or name; not "everyone") and its followers are asked, one by
//!   one, what the event tells them — the core's `notice`, the same rule the phones apply
//!   to the same events. Each answer is a row of the person's inbox (站内通知), in the command's
//!   transaction, under an id derived from the person and the event, so every replica and
//!   every retry names it the same.
//! - **Channels.** The inbox always has it at once. Push, the work apps (DingTalk, WeCom:
//!   to each of the person's bindings, `crate::workapp`, the notice linking to the item)
//!   and SMS follow as the policy's climb for its urgency says (`delivery::climb`: push at once, SMS after minutes unread
//!   for urgent items, quiet hours waited out): each step is a `deliver` job enqueued in the
//!   same transaction, one for all the notifications the command brought at that step.
//! - **Delivery.** [`deliver_due`] claims due jobs (safely across replicas), drops those whose
//!   notification was read meanwhile, sends the rest through the providers concurrently,
//!   and records each send to each device or number once (`deliveries`): a retried job
//!   skips what already went out. A dead token removes the device; a busy service sends the
//!   job back with its `Retry-After`.
//! - **Language.** A notification row keeps the sentence in both languages (the phones read
//!   either); what is pushed or sent by SMS is in its recipient's language alone (their
//!   `users.locale`, else zh-CN).
//! - **Receipts.** Reading in the app or on the web marks the notification read (by id or by
//!   the event it came from), which stops the climb.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use duban_core::domain::delivery::{climb, urgency_of, Channel};
use duban_core::domain::derived::describe::notice;
use duban_core::domain::model::Urgency;
use duban_core::domain::Code;
use duban_core::domain::{audience, evolve, Context, Event, TaskId, TaskState, UserId};
use futures_util::StreamExt;

use crate::db::notifications::{self as store, NewDelivery, NewNotification, Outbound};
use crate::db::{Batch, DbError};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::jobs;
use crate::org::{actor_of, to_json, Org};
use crate::push::{Message, Providers, PushError};
use crate::AppState;

/// The job kind of a push or SMS step.
pub const DELIVER: &str = "deliver";

/// Jobs taken in one pass, at most.
pub const BATCH: usize = 256;

/// Sends in flight at once.
pub const CONCURRENCY: usize = 64;

/// The notification's id: the same for the same person and event, everywhere.
pub fn notification_id(person: UserId, task: TaskId, task_seq: u64) -> uuid::Uuid {
    crate::derived_uuid(&[
        b"duban notification v1\0",
        person.0.as_bytes(),
        task.0.as_bytes(),
        &task_seq.to_le_bytes(),
    ])
}

/// A deliver job: one step (channel and time) of the climb of the notifications one
/// command brought.
#[derive(serde::Serialize, serde::Deserialize)]
struct Step {
    notifications: Vec<String>,
    channel: Channel,
}

/// Queues, in the command's batch, the notifications the events bring (the item was
/// `before`) and the deliver jobs of their climbs: the rows in multi-row inserts, and one
/// job per channel and time for all of them. Returns how many notifications.
pub fn queue(
    batch: &mut Batch,
    org: &Org,
    task: TaskId,
    before: &TaskState,
    events: &[Event],
    now: DateTime<Utc>,
) -> usize {
    let mut state = before.clone();
    let mut rows: Vec<NewNotification> = Vec::new();
    let mut steps: BTreeMap<(DateTime<Utc>, Channel), Vec<String>> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        let after = evolve(state.clone(), event);
        let task_seq = before.version + i as u64 + 1;
        // Whom the item's audience names, and its followers (who may follow a public
        // item without being named in it).
        let mut people = org.concerned(&audience(&after, &org.tree));
        people.extend(after.followers.iter().copied());
        people.sort_unstable();
        people.dedup();
        for person in people {
            let Some(actor) = org.people.get(&person).filter(|p| p.active).map(actor_of) else {
                continue;
            };
            let ctx = Context {
                actor: &actor,
                now,
                calendar: &org.calendar,
                policy: &org.policy,
                units: &org.tree,
                parent: None,
            };
            let Some(n) = notice(&state, event, &after, &ctx) else {
                continue;
            };
            let urgency = urgency_of(after.urgency, n.kind);
            let id = notification_id(person, task, task_seq).to_string();
            for step in climb(urgency, now, &org.calendar, &org.policy.delivery) {
                steps
                    .entry((step.at, step.channel))
                    .or_default()
                    .push(id.clone());
            }
            rows.push(NewNotification {
                id,
                user: person,
                task,
                task_seq: task_seq as i64,
                kind: n.kind,
                zh: n.zh,
                en: n.en,
                urgency: urgency.code().to_owned(),
                created_at: now.timestamp_millis(),
            });
        }
        state = after;
    }
    store::queue_notifications(batch, &rows);
    for ((at, channel), notifications) in steps {
        let dedupe = format!(
            "{DELIVER}:{}:{}:{}",
            channel.as_str(),
            at.timestamp_millis(),
            blake3::hash(notifications.join(",").as_bytes()).to_hex()
        );
        let payload = to_json(&Step {
            notifications,
            channel,
        });
        jobs::enqueue_in(batch, DELIVER, &payload, Some(&dedupe), at, now);
    }
    rows.len()
}

/// What one pass of [`deliver_due`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Jobs claimed.
    pub jobs: usize,
    /// Messages the services accepted.
    pub sent: usize,
    /// Notifications not sent because they were read before their step came.
    pub read: usize,
    /// Dead tokens (their devices removed) and dead numbers.
    pub dead: usize,
    /// Sends to try again later (the job waits).
    pub retried: usize,
    /// Sends refused for good.
    pub failed: usize,
    /// Notifications with nowhere to go at their step: no device, no phone number, or no
    /// provider configured.
    pub unreachable: usize,
}

struct Outgoing {
    job: usize,
    notification: String,
    channel: Channel,
    target: String,
    provider: &'static str,
    message: Message,
}

/// The recipient's language: their `users.locale`, else zh-CN.
fn lang_of(n: &Outbound) -> Lang {
    n.locale
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or_default()
}

/// The push or SMS of a notification, in its recipient's language (their `users.locale`,
/// else zh-CN): one language, the title from the catalog, the sentence the one of the
/// stored pair.
fn message(n: &Outbound, id: &str, token: String) -> Message {
    let lang = lang_of(n);
    let title = lang.t(match n.urgency {
        Urgency::Normal => "push-title",
        Urgency::Urgent => "push-title-urgent",
        Urgency::ExtraUrgent => "push-title-extra-urgent",
    });
    let data = BTreeMap::from([
        ("notification".to_owned(), id.to_owned()),
        ("task".to_owned(), n.task.clone()),
        ("kind".to_owned(), n.kind.clone()),
    ]);
    Message {
        token,
        title,
        body: lang.pick(&n.zh, &n.en).to_owned(),
        data,
        urgent: n.urgency != Urgency::Normal,
        collapse_id: Some(id.to_owned()),
    }
}

/// One pass at `now`: claims up to [`BATCH`] due jobs and delivers them; counts the
/// outcomes in the metrics (`duban_deliveries_total`).
pub async fn deliver_due(
    state: &AppState,
    providers: &Providers,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, ApiError> {
    let claimed = jobs::claim(&state.db, now, BATCH).await?;
    let mut report = DeliveryReport {
        jobs: claimed.len(),
        ..DeliveryReport::default()
    };
    if claimed.is_empty() {
        return Ok(report);
    }
    // What each job asks; a job no pass understands is set aside at once.
    let mut steps: Vec<Option<Step>> = Vec::with_capacity(claimed.len());
    for job in &claimed {
        steps.push(if job.kind == DELIVER {
            serde_json::from_str(&job.payload).ok()
        } else {
            None
        });
    }
    let ids: Vec<String> = {
        let set: HashSet<&str> = steps
            .iter()
            .flatten()
            .flat_map(|s| s.notifications.iter().map(String::as_str))
            .collect();
        set.into_iter().map(str::to_owned).collect()
    };
    let notes = load_notifications(state, &ids).await?;
    let users: Vec<String> = {
        let set: HashSet<&str> = notes.values().map(|n| n.user.as_str()).collect();
        set.into_iter().map(str::to_owned).collect()
    };
    let devices = load_devices(state, &users).await?;
    let work = load_work_accounts(state, &users).await?;
    let done = load_done(state, &ids).await?;

    // The notifications and channels that reached someone already (a retried job).
    let done_steps: HashSet<(&str, Channel)> =
        done.iter().map(|(id, c, _)| (id.as_str(), *c)).collect();
    let mut sends = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(step) = step else { continue };
        for id in &step.notifications {
            let Some(n) = notes.get(id) else {
                continue;
            };
            if n.read {
                report.read += 1;
                continue;
            }
            // (target, provider, address): a device and its token, or the number twice.
            let targets: Vec<(String, &'static str, String)> = match step.channel {
                Channel::Push => devices
                    .get(&n.user)
                    .into_iter()
                    .flatten()
                    .map(|(device, provider, token)| (device.clone(), *provider, token.clone()))
                    .collect(),
                Channel::Sms => n
                    .phone
                    .iter()
                    .map(|p| (p.clone(), "sms", p.clone()))
                    .collect(),
                // Each work app the person is bound in: `dingtalk:<userid>`, `wecom:<userid>`.
                Channel::Work => work
                    .get(&n.user)
                    .into_iter()
                    .flatten()
                    .map(|(app, user)| (format!("{app}:{user}"), *app, user.clone()))
                    .collect(),
                // Filled in by the voice provider.
                Channel::Inbox | Channel::Voice => Vec::new(),
            };
            let before = sends.len();
            for (target, provider, address) in targets {
                let key = (id.clone(), step.channel, target.clone());
                if done.contains(&key) || providers.get(provider).is_none() {
                    continue;
                }
                let mut message = message(n, id, address);
                if step.channel == Channel::Work {
                    // The work app's button, in the recipient's language.
                    message
                        .data
                        .insert("button".into(), lang_of(n).t("workapps-open-item"));
                }
                sends.push(Outgoing {
                    job: i,
                    notification: id.clone(),
                    channel: step.channel,
                    target,
                    provider,
                    message,
                });
            }
            if sends.len() == before && !done_steps.contains(&(id.as_str(), step.channel)) {
                report.unreachable += 1;
            }
        }
    }

    let results: Vec<(Outgoing, Result<String, PushError>)> = futures_util::stream::iter(sends)
        .map(|s| async move {
            let result = match providers.get(s.provider) {
                Some(p) => p.send(&s.message).await.map(|d| d.id),
                None => Err(PushError::Failed("no provider".into())),
            };
            (s, result)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;

    // Everything learnt, in one transaction: the sends, dead tokens, and each job's fate.
    let at = now.timestamp_millis();
    let mut retry: HashMap<usize, (Option<Duration>, String)> = HashMap::new();
    let mut tx = state.db.write().await?;
    for (s, result) in &results {
        let (outcome, detail) = match result {
            Ok(id) => {
                report.sent += 1;
                ("sent", id.clone())
            }
            Err(PushError::DeadToken(why)) => {
                report.dead += 1;
                if s.channel == Channel::Push {
                    store::forget_token(&mut tx, s.provider, &s.message.token).await?;
                }
                if s.channel == Channel::Work {
                    // The app no longer knows the person (left, or outside the app's
                    // visible range): the binding is dead, as a dead token's device is.
                    crate::db::work_accounts::forget(&mut tx, s.provider, &s.message.token).await?;
                }
                ("dead", why.clone())
            }
            Err(PushError::Retry { after, reason }) => {
                report.retried += 1;
                let entry = retry.entry(s.job).or_insert((None, String::new()));
                entry.0 = entry.0.max(*after);
                entry.1 = format!("{}: {reason}", s.provider);
                continue;
            }
            Err(PushError::Failed(why)) => {
                report.failed += 1;
                tracing::warn!(provider = s.provider, error = %why, "a send was refused");
                ("failed", why.clone())
            }
        };
        let delivery = NewDelivery {
            notification: &s.notification,
            channel: s.channel,
            target: &s.target,
            provider: s.provider,
            outcome,
            detail: &detail,
            at,
        };
        store::record_delivery(&mut tx, &delivery).await?;
    }
    for (i, job) in claimed.iter().enumerate() {
        if steps[i].is_none() {
            jobs::fail_in(&mut tx, job, "not a deliver job", None, true, now).await?;
        } else if let Some((after, why)) = retry.get(&i) {
            jobs::fail_in(&mut tx, job, why, *after, false, now).await?;
        } else {
            jobs::complete_in(&mut tx, &job.id, now).await?;
        }
    }
    tx.commit().await?;
    count(state, &report);
    Ok(report)
}

async fn load_notifications(
    state: &AppState,
    ids: &[String],
) -> Result<HashMap<String, Outbound>, DbError> {
    Ok(store::outbound(&state.db, ids)
        .await?
        .into_iter()
        .map(|n| (n.id.clone(), n))
        .collect())
}

type Devices = HashMap<String, Vec<(String, &'static str, String)>>;

async fn load_devices(state: &AppState, users: &[String]) -> Result<Devices, DbError> {
    let mut out: Devices = HashMap::new();
    for t in store::push_targets(&state.db, users).await? {
        let provider = match t.provider.as_str() {
            "fcm" => "fcm",
            "apns" => "apns",
            "hms" => "hms",
            _ => continue,
        };
        out.entry(t.user)
            .or_default()
            .push((t.device, provider, t.token));
    }
    Ok(out)
}

/// Each person's work-app bindings: (provider name, the app's user id).
type WorkAccounts = HashMap<String, Vec<(&'static str, String)>>;

async fn load_work_accounts(state: &AppState, users: &[String]) -> Result<WorkAccounts, DbError> {
    let mut out: WorkAccounts = HashMap::new();
    for a in crate::db::work_accounts::of_people(&state.db, Some(users)).await? {
        let app = match a.app.as_str() {
            "dingtalk" => "dingtalk",
            "wecom" => "wecom",
            _ => continue,
        };
        out.entry(a.user).or_default().push((app, a.app_user));
    }
    Ok(out)
}

async fn load_done(
    state: &AppState,
    ids: &[String],
) -> Result<HashSet<(String, Channel, String)>, DbError> {
    Ok(store::delivered(&state.db, ids)
        .await?
        .into_iter()
        .collect())
}

/// Runs [`deliver_due`] whenever a command queued something to send (or every `every`,
/// for steps that fall due later), with the clock `now`, until the process stops. A failed
/// pass is logged and the next one runs as planned.
pub fn spawn(
    state: AppState,
    providers: Providers,
    every: Duration,
    now: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match deliver_due(&state, &providers, now()).await {
                Ok(r) if r.jobs == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(code = %e.code, error = %e.en, "delivery pass failed"),
            }
            let _ = tokio::time::timeout(every, state.deliveries.notified()).await;
        }
    })
}

fn count(state: &AppState, r: &DeliveryReport) {
    if r.jobs > 0 {
        tracing::info!(
            jobs = r.jobs,
            sent = r.sent,
            read = r.read,
            dead = r.dead,
            retried = r.retried,
            failed = r.failed,
            unreachable = r.unreachable,
            "deliveries"
        );
    }
    for (outcome, n) in [
        ("sent", r.sent),
        ("read", r.read),
        ("dead", r.dead),
        ("retried", r.retried),
        ("failed", r.failed),
        ("unreachable", r.unreachable),
    ] {
        if n > 0 {
            state.metrics.add(
                &format!("duban_deliveries_total{{outcome=\"{outcome}\"}}"),
                n as u64,
            );
        }
    }
}
