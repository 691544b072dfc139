//! The climb of a notification (`delivery::climb`): the policy's steps by urgency, the quiet
//! hours waited out in the organisation's local time (across midnight, and not for 特急),
//! and escalations climbing as urgent.

use chrono::{Duration, NaiveTime};
use duban_core::domain::delivery::{climb, quiet_until, urgency_of, Channel, Step};
use duban_core::domain::derived::describe::NoticeKind;
use duban_core::domain::model::Urgency;
use duban_core::domain::policy::{DeliveryRules, QuietHours};
use duban_core::domain::Calendar;

use crate::support::*;

fn steps(u: Urgency, at: chrono::DateTime<chrono::Utc>, rules: &DeliveryRules) -> Vec<Step> {
    climb(u, at, &Calendar::builtin(), rules)
}

#[test]
fn each_urgency_climbs_by_the_policy_in_working_hours() {
    let rules = DeliveryRules::default();
    let at = local(2026, 3, 2, 10, 0);
    let step = |channel, minutes| Step {
        channel,
        at: at + Duration::minutes(minutes),
    };
    assert_eq!(
        steps(Urgency::Normal, at, &rules),
        vec![step(Channel::Push, 0), step(Channel::Work, 0)],
        "normal: push and the work app at once, no SMS, no call"
    );
    assert_eq!(
        steps(Urgency::Urgent, at, &rules),
        vec![
            step(Channel::Push, 0),
            step(Channel::Work, 0),
            step(Channel::Sms, 30)
        ],
        "urgent: an SMS after 30 minutes, no call"
    );
    assert_eq!(
        steps(Urgency::ExtraUrgent, at, &rules),
        vec![
            step(Channel::Push, 0),
            step(Channel::Work, 0),
            step(Channel::Sms, 10),
            step(Channel::Voice, 20)
        ],
        "extra urgent: an SMS after 10 minutes, the call last"
    );
    let mut slow = rules.clone();
    slow.urgent.push_after_minutes = Some(5);
    slow.urgent.work_after_minutes = None;
    slow.urgent.sms_after_minutes = None;
    assert_eq!(
        steps(Urgency::Urgent, at, &slow),
        vec![step(Channel::Push, 5)],
        "delays are the policy's; None is never"
    );
    let mut work_first = rules.clone();
    work_first.normal.push_after_minutes = Some(15);
    assert_eq!(
        steps(Urgency::Normal, at, &work_first),
        vec![step(Channel::Work, 0), step(Channel::Push, 15)],
        "the minutes set the order of the channels"
    );
}

#[test]
fn quiet_hours_hold_push_and_sms_until_morning_local_time() {
    let rules = DeliveryRules::default();
    let cal = Calendar::builtin();
    let seven = local(2026, 3, 3, 7, 0);
    // 23:30 Beijing time (15:30 UTC): both steps wait until 07:00 the next morning.
    let late = local(2026, 3, 2, 23, 30);
    assert_eq!(quiet_until(late, &cal, &rules), Some(seven));
    assert_eq!(
        steps(Urgency::Urgent, late, &rules),
        vec![
            Step {
                channel: Channel::Push,
                at: seven
            },
            Step {
                channel: Channel::Sms,
                at: seven
            },
            Step {
                channel: Channel::Work,
                at: seven
            }
        ]
    );
    // After midnight, the same morning.
    assert_eq!(
        quiet_until(local(2026, 3, 3, 0, 1), &cal, &rules),
        Some(seven)
    );
    // The ends: 22:00 is quiet, 07:00 is not, 21:59 is not.
    assert!(quiet_until(local(2026, 3, 2, 22, 0), &cal, &rules).is_some());
    assert_eq!(quiet_until(seven, &cal, &rules), None);
    assert_eq!(quiet_until(local(2026, 3, 2, 21, 59), &cal, &rules), None);
    // An SMS that falls due in the quiet hours waits too.
    let evening = local(2026, 3, 2, 21, 45);
    assert_eq!(
        steps(Urgency::Urgent, evening, &rules),
        vec![
            Step {
                channel: Channel::Push,
                at: evening
            },
            Step {
                channel: Channel::Work,
                at: evening
            },
            Step {
                channel: Channel::Sms,
                at: seven
            }
        ]
    );
    // 特急 goes out at night all the same, every step, unless the policy says otherwise.
    assert!(steps(Urgency::ExtraUrgent, late, &rules)
        .iter()
        .all(|s| s.at < seven));
    assert_eq!(steps(Urgency::ExtraUrgent, late, &rules)[0].at, late);
    let strict = DeliveryRules {
        extra_urgent_ignores_quiet_hours: false,
        ..rules.clone()
    };
    assert_eq!(steps(Urgency::ExtraUrgent, late, &strict)[0].at, seven);
    // Quiet hours within one day (a siesta), and none at all.
    let siesta = DeliveryRules {
        quiet_hours: Some(QuietHours {
            from: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            to: NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
        }),
        ..rules.clone()
    };
    assert_eq!(
        quiet_until(local(2026, 3, 2, 13, 0), &cal, &siesta),
        Some(local(2026, 3, 2, 14, 0))
    );
    assert_eq!(quiet_until(late, &cal, &siesta), None);
    let none = DeliveryRules {
        quiet_hours: None,
        ..rules
    };
    assert_eq!(steps(Urgency::Normal, late, &none)[0].at, late);
}

#[test]
fn an_escalation_climbs_as_urgent() {
    assert_eq!(
        urgency_of(Urgency::Normal, NoticeKind::Escalated),
        Urgency::Urgent
    );
    assert_eq!(
        urgency_of(Urgency::Normal, NoticeKind::Urged),
        Urgency::Normal
    );
    assert_eq!(
        urgency_of(Urgency::ExtraUrgent, NoticeKind::Escalated),
        Urgency::ExtraUrgent
    );
}

#[test]
fn a_policy_with_equal_quiet_ends_or_week_long_delays_is_refused() {
    let mut p = duban_core::domain::Policy::default();
    p.delivery.quiet_hours = Some(QuietHours {
        from: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        to: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
    });
    assert_eq!(p.check().map_err(|e| e.code()), Err("policy.out_of_range"));
    let mut p = duban_core::domain::Policy::default();
    p.delivery.urgent.sms_after_minutes = Some(8 * 24 * 60);
    assert!(p.check().is_err());
    // The call comes after the SMS, never before it.
    let mut p = duban_core::domain::Policy::default();
    p.delivery.extra_urgent.voice_after_minutes = Some(5);
    assert_eq!(p.check().map_err(|e| e.code()), Err("policy.out_of_range"));
    p.delivery.extra_urgent.sms_after_minutes = None;
    assert!(
        p.check().is_ok(),
        "without an SMS the call may come at any time"
    );
    let mut p = duban_core::domain::Policy::default();
    p.delivery.sms_merge_minutes = 25 * 60;
    assert!(p.check().is_err());
    // A policy stored before the work app and the call existed reads with their defaults
    // for the new steps and keeps what it said.
    let mut old = serde_json::to_value(duban_core::domain::Policy::default()).unwrap();
    for u in ["normal", "urgent", "extra_urgent"] {
        let c = old["delivery"][u].as_object_mut().unwrap();
        c.remove("work_after_minutes");
        c.remove("voice_after_minutes");
    }
    old["delivery"]
        .as_object_mut()
        .unwrap()
        .remove("sms_merge_minutes");
    old["delivery"]["urgent"]["sms_after_minutes"] = serde_json::json!(45);
    let read = duban_core::domain::Policy::from_json(&old.to_string()).unwrap();
    assert_eq!(read.delivery.urgent.sms_after_minutes, Some(45));
    assert_eq!(read.delivery.urgent.work_after_minutes, Some(0));
    assert_eq!(read.delivery.extra_urgent.voice_after_minutes, None);
    assert_eq!(read.delivery.sms_merge_minutes, 10);
    // A policy stored before delivery rules existed reads with the defaults.
    let mut old = serde_json::to_value(duban_core::domain::Policy::default()).unwrap();
    old.as_object_mut().unwrap().remove("delivery");
    let read = duban_core::domain::Policy::from_json(&old.to_string()).unwrap();
    assert_eq!(read.delivery, DeliveryRules::default());
}
