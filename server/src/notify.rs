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
//! - **SMS.** An SMS carries short variables for the operator's approved template (the
//!   item's number, the notice's kind in a word, how many notices, the deadline; see
//!   `crate::push::sms`). Several notices for one person about one item whose SMS falls due
//!   within the policy's merge window (`delivery.sms_merge_minutes`) go as one SMS, and a
//!   delivery is recorded for each of them, so their own steps find them sent. An SMS the
//!   gateway refuses for our configuration (a template or signature not approved) is
//!   recorded `refused`, shown to the administrators (`/admin`), and its step tried again
//!   hourly until it goes or the notice is read.
//! - **Voice.** The last step for 特急 (`voice_after_minutes`): a notice still unread is
//!   spoken to the person's mobile number by the `voice` provider (a TTS template whose
//!   short variables are the item's number, spelled for speech, and the kind of notice);
//!   the call's id, or why it could not be placed, is its delivery record. Two minutes
//!   later a [`CALL_RESULT`] job asks the service what became of the call (answered, busy,
//!   not answered …) and adds it to the record's detail.
//! - **Language.** A notification row keeps the sentence in both languages (the phones read
//!   either); what is pushed, sent by SMS or spoken is in its recipient's language alone
//!   (their `users.locale`, else zh-CN).
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
use crate::push::sms::{SmsData, Vars};
use crate::push::voice;
use crate::push::{Message, Providers, PushError};
use crate::AppState;

/// The job kind of a push or SMS step.
pub const DELIVER: &str = "deliver";

/// The job kind that asks the voice service, after a call, what became of it.
pub const CALL_RESULT: &str = "voice_result";

/// How long after a call is placed its result is first asked for.
pub const CALL_RESULT_AFTER: chrono::Duration = chrono::Duration::minutes(2);

/// How many times a call's result is asked for (a minute apart) before it is left unknown.
pub const CALL_RESULT_ASKS: i64 = 6;

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

/// A [`CALL_RESULT`] job: the call placed for a notification to a number.
#[derive(serde::Serialize, serde::Deserialize)]
struct CallCheck {
    notification: String,
    target: String,
    call: String,
    /// When the call was placed (Unix milliseconds).
    at: i64,
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
    /// Sends the service refused for our configuration (an SMS template or signature not
    /// approved): reported to the administrators, the job tried again later.
    pub refused: usize,
    /// Notifications with nowhere to go at their step: no device, no phone number, or no
    /// provider configured.
    pub unreachable: usize,
}

struct Outgoing {
    /// The jobs the send is for (several when notices are merged into one SMS).
    jobs: Vec<usize>,
    notification: String,
    /// Further notifications the same send stands for (merged into one SMS).
    also: Vec<String>,
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

/// The catalog key of a notice kind's name in a word, as an SMS names it.
fn kind_key(kind: &str) -> &'static str {
    use duban_core::domain::derived::describe::NoticeKind as K;
    use duban_core::domain::derived::duty::Duty;
    match store::kind_of(kind) {
        Ok(K::NewDuty(Duty::Receive)) => "sms-kind-dispatched",
        Ok(K::NewDuty(
            Duty::ApproveRegistration
            | Duty::ApproveReport
            | Duty::DecideExtension
            | Duty::DecideSuspension
            | Duty::DecideResumption
            | Duty::DecideCommitment,
        )) => "sms-kind-approve",
        Ok(K::NewDuty(Duty::Review)) => "sms-kind-review",
        Ok(K::NewDuty(_)) => "sms-kind-duty",
        Ok(K::Urged) => "sms-kind-urged",
        Ok(K::Escalated) => "sms-kind-escalated",
        Ok(K::Instructed) => "sms-kind-instructed",
        Ok(K::Returned) => "sms-kind-returned",
        Ok(K::ReportReturned) => "sms-kind-report-returned",
        Ok(K::RequestDecided) => "sms-kind-request-decided",
        Ok(K::Revoked) => "sms-kind-revoked",
        Ok(K::Rated) => "sms-kind-rated",
        Ok(K::Accepted) => "sms-kind-accepted",
        Ok(K::Reply) => "sms-kind-reply",
        Ok(K::ReportRequested) => "sms-kind-report-requested",
        Ok(K::Reminded) => "sms-kind-reminded",
        Ok(K::UrgentOrder) => "sms-kind-urgent-order",
        Err(_) => "sms-kind-duty",
    }
}

/// The SMS variables, in one language, of `count` notices about the item of `latest` (the
/// newest of them, whose kind is named).
pub fn sms_vars(
    lang: Lang,
    number: &str,
    kind: &str,
    count: usize,
    deadline: Option<i64>,
    calendar: &duban_core::domain::Calendar,
) -> Vars {
    let due = deadline
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|t| {
            let d = calendar.to_local(t).date();
            match lang {
                Lang::Zh => d.format("%-m月%-d日").to_string(),
                Lang::En => d.format("%b %-d").to_string(),
            }
        })
        .unwrap_or_else(|| lang.t("sms-due-none"));
    Vars {
        no: if number.trim().is_empty() {
            lang.t("sms-no-none")
        } else {
            number.to_owned()
        },
        kind: lang.t(kind_key(kind)),
        count: count.to_string(),
        due,
    }
}

/// The SMS of the notices `group` (the newest last) to one person about one item: the
/// newest one's message, with the template's variables in both languages.
fn sms_message(
    group: &[&Outbound],
    phone: String,
    calendar: &duban_core::domain::Calendar,
) -> Message {
    let latest = group[group.len() - 1];
    let mut m = message(latest, &latest.id, phone);
    let lang = latest
        .locale
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or_default();
    let vars = |l: Lang| {
        sms_vars(
            l,
            &latest.number,
            &latest.kind,
            group.len(),
            latest.deadline,
            calendar,
        )
    };
    let data = SmsData {
        lang: lang.code().to_owned(),
        zh: vars(Lang::Zh),
        en: vars(Lang::En),
    };
    m.data
        .insert(crate::push::sms::DATA_KEY.to_owned(), data.to_data());
    m
}

/// The voice call of a notification, in its recipient's language: the TTS template's
/// variables (`number`, the item's number spelled for speech; `kind`, what the notice is
/// about, a few words) and the language that picks the template.
fn voice_message(n: &Outbound, id: &str, number: &str, phone: String) -> Message {
    let lang = n
        .locale
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or_default();
    let english = lang == Lang::En;
    // `{"new_duty":"receive"}` is a new duty; the others are plain codes (`urged`).
    let kind = if n.kind.starts_with("{\"new_duty\"") {
        "new_duty"
    } else {
        n.kind.as_str()
    };
    let key = format!("voice-kind-{kind}");
    let kind = match lang.t(&key) {
        // A kind the catalog does not name yet: the general word.
        said if said == key => lang.t("voice-kind-other"),
        said => said,
    };
    let data = BTreeMap::from([
        ("number".to_owned(), voice::spoken_number(number, english)),
        ("kind".to_owned(), kind),
        (
            voice::LANG.to_owned(),
            if english { "en" } else { "zh-CN" }.to_owned(),
        ),
    ]);
    Message {
        token: phone,
        title: String::new(),
        body: String::new(),
        data,
        urgent: true,
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
    // What became of the calls placed a while ago (asked before the transaction).
    let checked = check_calls(providers, &claimed).await;
    let asked: HashSet<usize> = checked.iter().map(|(i, ..)| *i).collect();
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
    // The items' numbers, which a voice call reads out.
    let numbers = if steps.iter().flatten().any(|s| s.channel == Channel::Voice) {
        let tasks: HashSet<String> = notes.values().map(|n| n.task.clone()).collect();
        store::task_numbers(&state.db, &tasks.into_iter().collect::<Vec<_>>()).await?
    } else {
        HashMap::new()
    };

    // The notifications and channels that reached someone already (a retried job).
    let done_steps: HashSet<(&str, Channel)> =
        done.iter().map(|(id, c, _)| (id.as_str(), *c)).collect();
    let mut sends = Vec::new();
    // SMS steps by (person, item, number): the jobs and the notifications.
    let mut sms_groups: SmsGroups = BTreeMap::new();
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
                Channel::Sms => {
                    // Gathered per person, item and number, and merged below.
                    if let Some(phone) = &n.phone {
                        if done.contains(&(id.clone(), Channel::Sms, phone.clone())) {
                            continue;
                        }
                        if providers.get("sms").is_some() {
                            let group = sms_groups
                                .entry((n.user.clone(), n.task.clone(), phone.clone()))
                                .or_default();
                            if !group.0.contains(&i) {
                                group.0.push(i);
                            }
                            if !group.1.contains(id) {
                                group.1.push(id.clone());
                            }
                            continue;
                        }
                    }
                    Vec::new()
                }
                Channel::Voice => n
                    .phone
                    .iter()
                    .map(|p| (p.clone(), "voice", p.clone()))
                    .collect(),
                // Each work app the person is bound in: `dingtalk:<userid>`, `wecom:<userid>`.
                Channel::Work => work
                    .get(&n.user)
                    .into_iter()
                    .flatten()
                    .map(|(app, user)| (format!("{app}:{user}"), *app, user.clone()))
                    .collect(),
                Channel::Inbox => Vec::new(),
            };
            let before = sends.len();
            for (target, provider, address) in targets {
                let key = (id.clone(), step.channel, target.clone());
                if done.contains(&key) || providers.get(provider).is_none() {
                    continue;
                }
                let mut message = if step.channel == Channel::Voice {
                    let number = numbers.get(&n.task).map_or("", String::as_str);
                    voice_message(n, id, number, address)
                } else {
                    message(n, id, address)
                };
                if step.channel == Channel::Work {
                    // The work app's button, in the recipient's language.
                    message
                        .data
                        .insert("button".into(), lang_of(n).t("workapps-open-item"));
                }
                sends.push(Outgoing {
                    jobs: vec![i],
                    notification: id.clone(),
                    also: Vec::new(),
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

    if !sms_groups.is_empty() {
        merge_sms(state, sms_groups, &notes, now, &mut sends).await?;
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
    let mut held: HashMap<usize, String> = HashMap::new();
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
                    store::forget_token(&mut tx, stored_provider(s.provider), &s.message.token)
                        .await?;
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
                for job in &s.jobs {
                    let entry = retry.entry(*job).or_insert((None, String::new()));
                    entry.0 = entry.0.max(*after);
                    entry.1 = format!("{}: {reason}", s.provider);
                }
                continue;
            }
            Err(PushError::Refused { code, reason }) => {
                report.refused += 1;
                tracing::warn!(provider = s.provider, code = %code, error = %reason,
                    "the service refused our configuration; the send waits");
                for job in &s.jobs {
                    held.insert(*job, format!("{}: {reason}", s.provider));
                }
                ("refused", code.clone())
            }
            Err(PushError::Failed(why)) => {
                report.failed += 1;
                tracing::warn!(provider = s.provider, error = %why, "a send was refused");
                ("failed", why.clone())
            }
        };
        for notification in std::iter::once(&s.notification).chain(&s.also) {
            let delivery = NewDelivery {
                notification,
                channel: s.channel,
                target: &s.target,
                provider: s.provider,
                outcome,
                detail: &detail,
                at,
            };
            store::record_delivery(&mut tx, &delivery).await?;
        }
        if let (Channel::Voice, Ok(call)) = (s.channel, result) {
            let check = CallCheck {
                notification: s.notification.clone(),
                target: s.target.clone(),
                call: call.clone(),
                at,
            };
            let dedupe = format!("{CALL_RESULT}:{}:{}", s.notification, s.target);
            jobs::enqueue(
                &mut tx,
                CALL_RESULT,
                &to_json(&check),
                Some(&dedupe),
                now + CALL_RESULT_AFTER,
            )
            .await?;
        }
    }
    for (i, check, result) in checked {
        let job = &claimed[i];
        match result {
            Ok(Some(end)) => {
                let detail = format!("{} {end}", check.call);
                store::set_delivery_detail(
                    &mut tx,
                    &check.notification,
                    Channel::Voice,
                    &check.target,
                    &detail,
                )
                .await?;
                jobs::complete_in(&mut tx, &job.id, now).await?;
            }
            // No final state after some minutes of asking: the call stays on record with
            // its id alone.
            Ok(None) if job.attempts >= CALL_RESULT_ASKS => {
                tracing::info!("a call's result was not known after several questions");
                jobs::complete_in(&mut tx, &job.id, now).await?;
            }
            // Still ringing (or not yet in the call records): ask again in a minute.
            Ok(None) => {
                let wait = Some(Duration::from_secs(60));
                jobs::fail_in(&mut tx, job, "the call has no result yet", wait, false, now).await?;
            }
            Err(PushError::Retry { after, reason }) => {
                jobs::fail_in(&mut tx, job, &reason, after, false, now).await?;
            }
            // Not asked again: the call itself is on record already.
            Err(e) => {
                tracing::warn!(error = %e, "a call's result could not be asked for");
                jobs::complete_in(&mut tx, &job.id, now).await?;
            }
        }
    }
    for (i, job) in claimed.iter().enumerate() {
        if job.kind == CALL_RESULT && asked.contains(&i) {
            continue;
        }
        if steps[i].is_none() {
            jobs::fail_in(&mut tx, job, "not a deliver job", None, true, now).await?;
        } else if let Some((after, why)) = retry.get(&i) {
            jobs::fail_in(&mut tx, job, why, *after, false, now).await?;
        } else if let Some(why) = held.get(&i) {
            jobs::hold_in(&mut tx, job, why, now).await?;
        } else {
            jobs::complete_in(&mut tx, &job.id, now).await?;
        }
    }
    tx.commit().await?;
    count(state, &report);
    Ok(report)
}

/// SMS steps due in one pass by (person, item, number): the jobs and the notifications.
type SmsGroups = BTreeMap<(String, String, String), (Vec<usize>, Vec<String>)>;

/// The SMS of each (person, item, number) group whose step fell due: the group's own
/// notifications and the person's other unread ones about the item with no SMS yet whose SMS
/// step falls due within the merge window from `now`, sent as one SMS that names how many.
/// Each is recorded as delivered with it, so their own steps skip them; two replicas racing
/// for the same notices record each once (`deliveries` is keyed by notification, channel and
/// number).
async fn merge_sms(
    state: &AppState,
    groups: SmsGroups,
    notes: &HashMap<String, Outbound>,
    now: DateTime<Utc>,
    sends: &mut Vec<Outgoing>,
) -> Result<(), ApiError> {
    let org = state.org.latest(&state.db).await?;
    let rules = &org.policy.delivery;
    let window = chrono::Duration::minutes(i64::from(rules.sms_merge_minutes));
    let horizon = now + window;
    for ((user, task, phone), (jobs, ids)) in groups {
        let own: Vec<&Outbound> = ids.iter().filter_map(|id| notes.get(id)).collect();
        let Some(first) = own.iter().map(|n| n.created_at).min() else {
            continue;
        };
        // The person's other notices about the item whose SMS falls due within the window.
        let pending =
            store::sms_pending(&state.db, &user, &task, first - window.num_milliseconds()).await?;
        let others: Vec<String> = pending.into_iter().filter(|id| !ids.contains(id)).collect();
        let extra = if others.is_empty() || rules.sms_merge_minutes == 0 {
            Vec::new()
        } else {
            store::outbound(&state.db, &others).await?
        };
        let mut group: Vec<&Outbound> = own;
        for n in &extra {
            let at = DateTime::<Utc>::from_timestamp_millis(n.created_at).unwrap_or(now);
            let due = climb(n.urgency, at, &org.calendar, rules)
                .into_iter()
                .find(|s| s.channel == Channel::Sms)
                .map(|s| s.at);
            if !n.read
                && n.phone.as_deref() == Some(phone.as_str())
                && due.is_some_and(|d| d <= horizon)
            {
                group.push(n);
            }
        }
        group.sort_by_key(|n| (n.created_at, n.task_seq, n.id.clone()));
        let message = sms_message(&group, phone.clone(), &org.calendar);
        let latest = group[group.len() - 1].id.clone();
        let also = group
            .iter()
            .map(|n| n.id.clone())
            .filter(|id| *id != latest)
            .collect();
        sends.push(Outgoing {
            jobs,
            notification: latest,
            also,
            channel: Channel::Sms,
            target: phone,
            provider: "sms",
            message,
        });
    }
    Ok(())
}

/// Asks the voice provider about each claimed [`CALL_RESULT`] job's call: (job index, the
/// call, what became of it). Without a voice provider the answer is a refusal; a job that
/// cannot be read is left out (and set aside as not understood).
async fn check_calls(
    providers: &Providers,
    claimed: &[jobs::Job],
) -> Vec<(usize, CallCheck, Result<Option<String>, PushError>)> {
    let mut out = Vec::new();
    for (i, job) in claimed.iter().enumerate() {
        if job.kind != CALL_RESULT {
            continue;
        }
        let Ok(check) = serde_json::from_str::<CallCheck>(&job.payload) else {
            continue;
        };
        let result = match providers
            .get("voice")
            .and_then(|p| p.result(&check.call, check.at))
        {
            Some(asked) => asked.await,
            None => Err(PushError::Failed("no voice provider".into())),
        };
        out.push((i, check, result));
    }
    out
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

/// The provider that sends to a device registered with `provider` on `platform`: Huawei's
/// Push Kit speaks HMS v1 to Android phones and v3 (`harmony`) to HarmonyOS NEXT ones.
pub fn provider_for(provider: &str, platform: &str) -> Option<&'static str> {
    Some(match (provider, platform) {
        ("fcm", _) => "fcm",
        ("apns", _) => "apns",
        ("hms", "harmony") => "harmony",
        ("hms", _) => "hms",
        ("honor", _) => "honor",
        ("xiaomi", _) => "xiaomi",
        ("oppo", _) => "oppo",
        ("vivo", _) => "vivo",
        _ => return None,
    })
}

/// The devices' `provider` column of a provider's name (the inverse of [`provider_for`]).
fn stored_provider(name: &'static str) -> &'static str {
    match name {
        "harmony" => "hms",
        other => other,
    }
}

async fn load_devices(state: &AppState, users: &[String]) -> Result<Devices, DbError> {
    let mut out: Devices = HashMap::new();
    for t in store::push_targets(&state.db, users).await? {
        let Some(provider) = provider_for(&t.provider, &t.platform) else {
            continue;
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
            refused = r.refused,
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
        ("refused", r.refused),
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
