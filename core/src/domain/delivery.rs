//! How a notification reaches a person (R2.2, R10.3): the inbox (站内通知) at once, then
//! push and SMS as the policy's climb for its urgency says, each step only while the
//! notification is still unread, and none in the quiet hours (免打扰) — those steps wait
//! for the quiet hours to end. What happened stays timed as it happened (an urging at the
//! deadline is recorded at the deadline); only waking the phone waits.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::derived::describe::NoticeKind;
use super::model::Urgency;
use super::policy::{DeliveryRules, QuietHours};
use super::Calendar;

/// A way to reach a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The inbox in the app and on the web: always, at once.
    Inbox,
    /// A push notification to each of the person's registered phones.
    Push,
    /// An SMS to the person's phone number.
    Sms,
    /// A work notification in the person's work app: DingTalk's corporate conversation
    /// message or WeCom's application message.
    Work,
    /// A voice call to the person's phone number, the notice spoken (text to speech).
    Voice,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::Inbox,
        Channel::Push,
        Channel::Work,
        Channel::Sms,
        Channel::Voice,
    ];

    /// The stable name (`inbox`, `push`, `work`, `sms`, `voice`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Inbox => "inbox",
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Work => "work",
            Channel::Voice => "voice",
        }
    }

    /// The channel of a stable name.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One step of a notification's climb: send through `channel` at `at` if still unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The channel.
    pub channel: Channel,
    /// When.
    pub at: DateTime<Utc>,
}

/// The urgency a notification climbs at: the item's, and at least 紧急 for an escalation
/// (督办升级 is never a quiet matter).
pub fn urgency_of(item: Urgency, kind: NoticeKind) -> Urgency {
    match (item, kind) {
        (Urgency::Normal, NoticeKind::Escalated) => Urgency::Urgent,
        (u, _) => u,
    }
}

/// Whether local time `t` falls in the quiet hours.
fn quiet(q: &QuietHours, t: NaiveTime) -> bool {
    if q.from < q.to {
        q.from <= t && t < q.to
    } else {
        t >= q.from || t < q.to
    }
}

/// If `t` falls in the quiet hours, the instant they end; else `None`.
pub fn quiet_until(
    t: DateTime<Utc>,
    calendar: &Calendar,
    rules: &DeliveryRules,
) -> Option<DateTime<Utc>> {
    let q = rules.quiet_hours?;
    let local = calendar.to_local(t);
    if !quiet(&q, local.time()) {
        return None;
    }
    let date = if local.time() >= q.to {
        local.date().succ_opt()?
    } else {
        local.date()
    };
    Some(calendar.from_local(date.and_time(q.to)))
}

/// The push, work-app, SMS and voice steps of a notification that reached the inbox at `at`, in order.
pub fn climb(
    urgency: Urgency,
    at: DateTime<Utc>,
    calendar: &Calendar,
    rules: &DeliveryRules,
) -> Vec<Step> {
    let c = rules.climb(urgency);
    let loud = urgency == Urgency::ExtraUrgent && rules.extra_urgent_ignores_quiet_hours;
    let mut steps: Vec<Step> = [
        (Channel::Push, c.push_after_minutes),
        (Channel::Work, c.work_after_minutes),
        (Channel::Sms, c.sms_after_minutes),
        (Channel::Voice, c.voice_after_minutes),
    ]
    .into_iter()
    .filter_map(|(channel, after)| {
        let t = at + Duration::minutes(i64::from(after?));
        let t = if loud {
            t
        } else {
            quiet_until(t, calendar, rules).unwrap_or(t)
        };
        Some(Step { channel, at: t })
    })
    .collect();
    steps.sort_by_key(|s| (s.at, s.channel));
    steps
}
