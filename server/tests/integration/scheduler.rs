//! The scheduler on the real server: a month of an item nobody receives, with the clock
//! simulated and two replicas ticking at once. The reminders, urgings and escalation it
//! produces are the policy's, each at the exact instant the working-day calendar says, and
//! each once.

use chrono::{DateTime, Duration, Utc};
use duban_core::domain::command::ReminderKind;
use duban_core::domain::{Event, EventKind};
use duban_server::db::Val;
use duban_server::scheduler::tick;

use crate::support::*;

async fn trail(s: &Server, task: &str) -> Vec<Event> {
    s.state
        .db
        .rows(
            "SELECT body FROM changes WHERE task = $1 AND kind = 'event' ORDER BY seq",
            vec![Val::from(task)],
        )
        .await
        .expect("trail")
        .iter()
        .map(|r| serde_json::from_str(&r.text(0).expect("body")).expect("event"))
        .collect()
}

both!(
    a_month_of_an_unreceived_item_follows_the_policy_in_working_days,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "落实防汛物资储备")).await;
        let mut order = dispatch(&t, f.unit_a, None);
        order["command"]["responsible_leader"] = serde_json::json!(f.leader);
        order["command"]["deputy_leader"] = serde_json::json!(f.deputy);
        s.ok(&sup, order).await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let (cal, policy) = (&org.calendar, &org.policy);
        let events = trail(&s, &t).await;
        let dispatched_at = events[1].at;
        let detail = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        let deadline: DateTime<Utc> =
            serde_json::from_value(detail["state"]["deadline"].clone()).expect("a deadline");
        let wake = |s: &Server| {
            let s = s.state.clone();
            async move {
                s.db.rows(
                    "SELECT MIN(wake_at) FROM tasks WHERE wake_at IS NOT NULL",
                    vec![],
                )
                .await
                .expect("wake")[0]
                    .opt_int(0)
                    .expect("int")
            }
        };
        assert!(
            wake(&s).await.is_some(),
            "a dispatched item has a wake time"
        );

        // A month, from wake to wake, with two replicas ticking at once.
        let end = dispatched_at + Duration::days(31);
        let mut ticks = 0;
        while let Some(ms) = wake(&s).await {
            let now = DateTime::<Utc>::from_timestamp_millis(ms).expect("time");
            if now >= end {
                break;
            }
            let (a, b) = tokio::join!(tick(&s.state, now), tick(&s.state, now));
            let (a, b) = (a.expect("tick"), b.expect("tick"));
            assert!(
                a.items + b.items > 0,
                "the wake index found the item at {now}"
            );
            ticks += 1;
            assert!(ticks < 200, "the wake time keeps moving forward");
            let after = wake(&s).await;
            assert!(after.is_none_or(|w| w > ms), "the wake moved on from {now}");
        }

        let events = trail(&s, &t).await;
        let day = Duration::hours(24);
        let second = Duration::seconds(1);
        // Before the deadline: one reminder at each threshold (3 and 1 working days), at the
        // moment that many working days were left.
        for days in &policy.remind_before_working_days {
            let at: Vec<_> = events
                .iter()
                .filter(|e| {
                    matches!(e.kind, EventKind::Reminded { kind: ReminderKind::BeforeDeadline { working_days }, .. } if working_days == *days)
                })
                .map(|e| e.at)
                .collect();
            assert_eq!(
                at.len(),
                1,
                "one reminder {days} working days before: {at:?}"
            );
            // Working time left, in whole seconds as the rules count it.
            let left = |t: DateTime<Utc>| cal.working_time_between(t, deadline).num_seconds();
            let limit = i64::from(*days) * 86_400;
            assert!(left(at[0]) <= limit, "{days}: sent at {}", at[0]);
            assert!(left(at[0] - second) > limit, "{days}: not sent late");
        }
        // Unreceived: a reminder every working day after the dispatch.
        let unreceived: Vec<_> = events
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EventKind::Reminded {
                        kind: ReminderKind::Unreceived,
                        ..
                    }
                )
            })
            .map(|e| e.at)
            .collect();
        assert!(
            unreceived.len() >= 15,
            "{} unreceived reminders in a month",
            unreceived.len()
        );
        // Exactly a working day, to the millisecond the wake index keeps.
        let a_day = |from: DateTime<Utc>, to: DateTime<Utc>| {
            let d = cal.working_time_between(from, to);
            d >= day && d < day + Duration::milliseconds(1)
        };
        let mut last = dispatched_at;
        for at in &unreceived {
            assert!(a_day(last, *at), "a working day after {last}: {at}");
            last = *at;
        }
        // After the deadline: urging every working day, the first at once; escalation with
        // the second (the policy's two urgings without result), once.
        let urges: Vec<_> = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Urged { .. }))
            .map(|e| e.at)
            .collect();
        assert!(urges.len() >= 10, "{} urgings", urges.len());
        assert!(
            urges[0] > deadline && urges[0] - second <= deadline,
            "first urging at the deadline"
        );
        for pair in urges.windows(2) {
            assert!(
                a_day(pair[0], pair[1]),
                "urgings a working day apart: {pair:?}"
            );
        }
        let escalations: Vec<_> = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Escalated { .. }))
            .map(|e| e.at)
            .collect();
        assert_eq!(
            escalations,
            vec![urges[policy.escalate_after_urges as usize - 1]]
        );
        // Each command once, although two replicas ticked together: no two events alike.
        for (i, a) in events.iter().enumerate() {
            for b in &events[i + 1..] {
                assert!(
                    !(a.at == b.at && a.kind == b.kind),
                    "twice: {:?} at {}",
                    a.kind,
                    a.at
                );
            }
        }
        // All of it by the system, through the rules: the trail verifies on the phone side too.
        assert!(events[2..]
            .iter()
            .all(|e| e.actor == duban_core::domain::UserId::SYSTEM));

        // Who was told of each, and when their phones were woken. The lead unit's members
        // (nobody is named: its head and two staff) hear of every reminder and urging; the
        // escalation also reaches the responsible and deputy leaders. Nobody else hears.
        let members = [f.head_a, f.staff_a, f.staff_a2];
        let leaders = [f.leader, f.deputy];
        let told = s
            .state
            .db
            .rows(
                "SELECT n.task_seq, n.user_id, n.id, n.created_at FROM notifications n \
                 WHERE n.task = $1 ORDER BY n.task_seq, n.user_id",
                vec![Val::from(t.as_str())],
            )
            .await
            .expect("notifications");
        let mut by_event: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
        for r in &told {
            by_event
                .entry(r.int(0).unwrap() as u64)
                .or_default()
                .push(r.text(1).unwrap());
        }
        let ids = |people: &[duban_core::domain::UserId]| {
            let mut v: Vec<String> = people.iter().map(ToString::to_string).collect();
            v.sort();
            v
        };
        for (i, e) in events.iter().enumerate().skip(2) {
            let expected = match e.kind {
                EventKind::Escalated { .. } => ids(&[&members[..], &leaders[..]].concat()),
                EventKind::Reminded { .. } | EventKind::Urged { .. } => ids(&members),
                ref other => panic!("the scheduler did {other:?}"),
            };
            assert_eq!(
                by_event.get(&(i as u64 + 1)),
                Some(&expected),
                "told of {:?} at {}",
                e.kind,
                e.at
            );
        }
        // Push goes at once in the day; what falls in the quiet hours (22:00–07:00 local:
        // the urgings, at the deadline's midnight) waits until 07:00.
        let quiet = org
            .policy
            .delivery
            .quiet_hours
            .expect("quiet hours by default");
        for (i, e) in events.iter().enumerate().skip(2) {
            let local = cal.to_local(e.at);
            let expect = if local.time() >= quiet.from {
                cal.from_local(local.date().succ_opt().unwrap().and_time(quiet.to))
            } else if local.time() < quiet.to {
                cal.from_local(local.date().and_time(quiet.to))
            } else {
                e.at
            };
            let pushes = s
                .state
                .db
                .rows(
                    "SELECT j.run_at FROM jobs j JOIN notifications n \
                     ON j.payload LIKE '%' || n.id || '%' AND j.dedupe LIKE 'deliver:push:%' \
                     WHERE n.task = $1 AND n.task_seq = $2",
                    vec![Val::from(t.as_str()), Val::from(i as i64 + 1)],
                )
                .await
                .expect("jobs");
            assert!(!pushes.is_empty());
            for r in pushes {
                assert_eq!(
                    r.int(0).unwrap(),
                    expect.timestamp_millis(),
                    "push for {:?} at {local}",
                    e.kind
                );
            }
        }
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Urged { .. })
                    && cal.to_local(e.at).time() < quiet.to),
            "some urging fell in the quiet hours"
        );
    }
);

both!(
    an_item_that_cannot_wake_has_no_wake_time,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "草稿")).await;
        let wake = s
            .scalar(
                "SELECT COUNT(*) FROM tasks WHERE id = $1 AND wake_at IS NULL",
                vec![Val::from(t.as_str())],
            )
            .await;
        assert_eq!(wake, 1, "a draft never wakes");
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
        let set = s
            .scalar(
                "SELECT COUNT(*) FROM tasks WHERE id = $1 AND wake_at IS NOT NULL",
                vec![Val::from(t.as_str())],
            )
            .await;
        assert_eq!(set, 1, "a dispatched item does");
        s.ok(
            &sup,
            simple(&t, "revoke", serde_json::json!({"reason": "重复立项"})),
        )
        .await;
        let cleared = s
            .scalar(
                "SELECT COUNT(*) FROM tasks WHERE id = $1 AND wake_at IS NULL",
                vec![Val::from(t.as_str())],
            )
            .await;
        assert_eq!(cleared, 1, "a revoked one no longer does");
        // A tick now finds nothing to do.
        let r = tick(&s.state, Utc::now() + Duration::days(60))
            .await
            .expect("tick");
        assert_eq!(r.items, 0);
    }
);
