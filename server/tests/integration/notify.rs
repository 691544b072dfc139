//! Notifications end to end on the real server: the inbox row an event leaves for each
//! person it concerns, the climb to push and SMS through providers speaking the real
//! protocols to local endpoints (FCM HTTP v1, Aliyun SendSms), read receipts stopping the
//! climb, dead tokens removing devices, busy services retried after their `Retry-After`
//! without sending twice what went out, and the quiet hours.

use chrono::{DateTime, Duration, Timelike, Utc};
use duban_core::domain::UserId;
use duban_server::db::Val;
use duban_server::notify::{deliver_due, DeliveryReport};
use duban_server::push::Providers;
use serde_json::{json, Value};
use std::sync::Arc;

use crate::push::{aliyun, fake_fcm, fake_sms, provider, snapshot};
use crate::support::*;

async fn providers() -> (Providers, crate::push::Shared, SmsSeen) {
    let (fcm_base, fcm_seen) = fake_fcm(3600).await;
    let (sms_base, sms_seen) = fake_sms().await;
    let p = Providers {
        fcm: Some(Arc::new(provider(&fcm_base))),
        sms: Some(Arc::new(aliyun(&sms_base, "aliyun-secret"))),
        ..Providers::default()
    };
    (p, fcm_seen, sms_seen)
}

pub(crate) type SmsSeen = Arc<std::sync::Mutex<Vec<std::collections::BTreeMap<String, String>>>>;

/// A phone registered for a person, straight into the table (the API is `devices.rs`'s).
async fn add_device(s: &Server, user: UserId, device: &str, token: &str) {
    s.state
        .db
        .exec(
            "INSERT INTO devices (user_id, device, platform, provider, token, app_version, created_at, updated_at) \
             VALUES ($1, $2, 'android', 'fcm', $3, '1.0', 0, 0)",
            vec![
                Val::from(user.to_string()),
                Val::from(device),
                Val::from(token),
            ],
        )
        .await
        .expect("device");
}

/// Changes the organisation's policy through the admin API.
pub(crate) async fn set_policy(s: &Server, change: impl FnOnce(&mut Value)) {
    let admin = s.login("admin").await;
    let mut policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
    change(&mut policy);
    s.call(
        reqwest::Method::PUT,
        "/api/v1/admin/policy",
        Some(&admin),
        Some(policy),
    )
    .await
    .expect(200);
}

pub(crate) fn urgent(mut register: Value, urgency: &str) -> Value {
    register["command"]["urgency"] = json!(urgency);
    register
}

/// The tokens FCM was asked to deliver to, in order, and the notification each carried.
fn fcm_sends(seen: &crate::push::Shared) -> Vec<(String, String)> {
    snapshot(seen)
        .1
        .iter()
        .map(|(_, body)| {
            let m = &body["message"];
            (
                m["token"].as_str().unwrap_or("").to_owned(),
                m["data"]["notification"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub(crate) async fn pass(s: &Server, p: &Providers, at: DateTime<Utc>) -> DeliveryReport {
    deliver_due(&s.state, p, at).await.expect("deliver")
}

/// No quiet hours (the tests run at any hour of the day).
pub(crate) fn loud(p: &mut Value) {
    p["delivery"]["quiet_hours"] = Value::Null;
}

both!(
    an_urgent_item_climbs_from_inbox_to_push_to_sms_while_unread,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, loud).await;
        let (p, fcm, sms) = providers().await;
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        // Registered through the API like a phone does; a phone number for the SMS.
        s.call(
            reqwest::Method::PUT,
            "/api/v1/devices/current",
            Some(&staff),
            Some(json!({"platform": "android", "provider": "fcm", "token": "tok-a", "app_version": "1.0"})),
        )
        .await
        .expect(200);
        s.state
            .db
            .exec(
                "UPDATE users SET phone = '13800000001' WHERE id = $1",
                vec![Val::from(f.staff_a.to_string())],
            )
            .await
            .expect("phone");

        let t = tid();
        s.ok(&sup, urgent(register(&t, "清理河道垃圾"), "urgent"))
            .await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let now = Utc::now();

        // The inbox has it at once; the supervisor (who acted) has nothing.
        let inbox = s.get(&staff, "/api/v1/notifications").await.expect(200);
        assert_eq!(inbox["unread"], 1, "{inbox}");
        let n = &inbox["items"][0];
        assert_eq!(n["task"], json!(t));
        assert_eq!(n["kind"], json!({"new_duty": "receive"}));
        assert_eq!(n["urgency"], "urgent");
        assert!(n["zh"].as_str().unwrap().contains("清理河道垃圾"), "{n}");
        let mine = s.get(&sup, "/api/v1/notifications").await.expect(200);
        assert_eq!(mine["items"].as_array().unwrap().len(), 0, "{mine}");

        // Push at once; the SMS waits its 30 minutes.
        let first = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(first.sent, 1, "{first:?}");
        let id = n["id"].as_str().unwrap().to_owned();
        assert_eq!(fcm_sends(&fcm), vec![("tok-a".to_owned(), id.clone())]);
        let push = &snapshot(&fcm).1[0].1["message"];
        assert_eq!(
            push["android"]["priority"], "HIGH",
            "urgent is high priority"
        );
        // One language, the recipient's (zh-CN when they chose none).
        assert_eq!(push["notification"]["title"], "【紧急】督办通知");
        assert_eq!(push["notification"]["body"], n["zh"], "{push}");
        assert!(
            push["data"].get("en").is_none(),
            "no second language: {push}"
        );
        assert_eq!(
            push["android"]["notification"]["tag"],
            json!(id),
            "a repeat would replace it on the phone"
        );
        assert!(sms.lock().unwrap().is_empty(), "no SMS yet");
        assert_eq!(pass(&s, &p, now + Duration::minutes(29)).await.jobs, 0);
        let later = pass(&s, &p, now + Duration::minutes(31)).await;
        assert_eq!(later.sent, 1, "{later:?}");
        {
            let texts = sms.lock().unwrap();
            assert_eq!(texts.len(), 1);
            assert_eq!(texts[0]["PhoneNumbers"], "13800000001");
            // The approved template's short variables: the item's number, the kind in a
            // word, how many, the deadline; never the title (template review refuses it).
            let param: Value = serde_json::from_str(&texts[0]["TemplateParam"]).unwrap();
            assert_eq!(param["kind"], "交办", "{param}");
            assert_eq!(param["count"], "1", "{param}");
            assert!(param["no"].as_str().unwrap().contains('〔'), "{param}");
            assert!(!texts[0]["TemplateParam"].contains("清理河道垃圾"));
        }
        assert_eq!(
            pass(&s, &p, now + Duration::hours(3)).await.jobs,
            0,
            "each step once"
        );
        let metrics = crate::sec_misc::scrape(&s).await;
        assert!(
            metrics.contains("duban_deliveries_total{outcome=\"sent\"} 2"),
            "{metrics}"
        );
        assert!(metrics.contains("duban_jobs_dead 0"), "{metrics}");

        // A second item, read before its SMS is due: the climb stops there.
        let t2 = tid();
        s.ok(&sup, urgent(register(&t2, "排查燃气隐患"), "urgent"))
            .await;
        s.ok(&sup, dispatch(&t2, f.unit_a, Some(f.staff_a))).await;
        let now = Utc::now();
        assert_eq!(pass(&s, &p, now + Duration::seconds(1)).await.sent, 1);
        let read = s
            .post(
                &staff,
                "/api/v1/notifications/read",
                json!({"events": [{"task": t2, "task_seq": 2}]}),
            )
            .await
            .expect(200);
        assert_eq!(read, json!({"marked": 1, "unread": 1}));
        let again = s
            .post(
                &staff,
                "/api/v1/notifications/read",
                json!({"events": [{"task": t2, "task_seq": 2}]}),
            )
            .await
            .expect(200);
        assert_eq!(again["marked"], 0, "a repeated receipt marks nothing");
        let stopped = pass(&s, &p, now + Duration::minutes(31)).await;
        assert_eq!((stopped.read, stopped.sent), (1, 0), "{stopped:?}");
        assert_eq!(sms.lock().unwrap().len(), 1, "no SMS for the read one");

        // The office sees what reached whom and what was read.
        let trace = s
            .get(&sup, &format!("/api/v1/tasks/{t}/notifications"))
            .await
            .expect(200);
        let to_staff: Vec<&Value> = trace
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["person"] == json!(f.staff_a))
            .collect();
        assert_eq!(to_staff.len(), 1, "{trace}");
        let channels: Vec<(&str, &str)> = to_staff[0]["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["channel"].as_str().unwrap(),
                    d["outcome"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(channels, vec![("push", "sent"), ("sms", "sent")]);
        assert!(to_staff[0]["read_at"].is_null());
        let trace2 = s
            .get(&sup, &format!("/api/v1/tasks/{t2}/notifications"))
            .await
            .expect(200);
        let read2 = trace2
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["person"] == json!(f.staff_a))
            .expect("staff's");
        assert!(read2["read_at"].is_string(), "{read2}");
        s.get(&staff, &format!("/api/v1/tasks/{t}/notifications"))
            .await
            .error(403, "perm.denied");
        // Mark all read: the count drops to zero.
        let all = s
            .post(&staff, "/api/v1/notifications/read", json!({"all": true}))
            .await
            .expect(200);
        assert_eq!(all, json!({"marked": 1, "unread": 0}));
    }
);

both!(
    dead_tokens_go_and_busy_services_are_retried_without_sending_twice,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, loud).await;
        let (p, fcm, _) = providers().await;
        add_device(&s, f.staff_a, "old-phone", "dead").await;
        add_device(&s, f.staff_a2, "phone", "ok-2").await;
        add_device(&s, f.staff_a2, "tablet", "busy").await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "核查安全台账")).await;
        // To the unit with nobody named: every member is told to receive it.
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
        let now = Utc::now();
        let first = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(first.dead, 1, "{first:?}");
        assert_eq!(first.retried, 1, "{first:?}");
        assert!(first.sent >= 1, "{first:?}");
        let devices = s
            .scalar("SELECT COUNT(*) FROM devices WHERE token = 'dead'", vec![])
            .await;
        assert_eq!(devices, 0, "the dead token's device is removed");
        // FCM said Retry-After: 7 — not before.
        assert_eq!(pass(&s, &p, now + Duration::seconds(5)).await.jobs, 0);
        let second = pass(&s, &p, now + Duration::seconds(9)).await;
        assert_eq!((second.jobs, second.sent), (1, 1), "{second:?}");
        let to = |token: &str| fcm_sends(&fcm).iter().filter(|(t, _)| t == token).count();
        assert_eq!(to("ok-2"), 1, "the device that had it is not sent it again");
        assert_eq!(to("busy"), 2, "the busy one is tried again");
        assert_eq!(to("dead"), 1);
        let failed_jobs = s
            .scalar("SELECT COUNT(*) FROM jobs WHERE state <> 'done'", vec![])
            .await;
        assert_eq!(failed_jobs, 0, "every job ended");
    }
);

both!(
    quiet_hours_hold_push_until_they_end_but_not_for_extra_urgent,
    |s: Server| async move {
        let f = s.fixture().await;
        // Quiet hours around now, whatever the hour: from an hour ago to an hour on.
        let now = Utc::now();
        let local = now + Duration::hours(8);
        let hm = |t: DateTime<Utc>| format!("{:02}:{:02}:00", t.hour(), t.minute());
        let (from, to) = (local - Duration::hours(1), local + Duration::hours(1));
        set_policy(&s, |p| {
            p["delivery"]["quiet_hours"] = json!({"from": hm(from), "to": hm(to)});
        })
        .await;
        let (p, fcm, _) = providers().await;
        add_device(&s, f.staff_a, "phone", "tok-a").await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "夜间登记的事项")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let staff = s.login("staff-a").await;
        let inbox = s.get(&staff, "/api/v1/notifications").await.expect(200);
        assert_eq!(inbox["unread"], 1, "the inbox has it at once");
        assert_eq!(
            pass(&s, &p, Utc::now() + Duration::seconds(1)).await.jobs,
            0
        );
        let run_at = s
            .scalar(
                "SELECT MIN(run_at) FROM jobs WHERE state = 'queued'",
                vec![],
            )
            .await;
        let end = (to - Duration::hours(8))
            .with_second(0)
            .unwrap()
            .with_nanosecond(0)
            .unwrap();
        assert_eq!(
            DateTime::<Utc>::from_timestamp_millis(run_at).unwrap(),
            end,
            "the push waits for the quiet hours to end"
        );
        assert_eq!(pass(&s, &p, end).await.sent, 1);
        // 特急 goes out at once all the same.
        let t2 = tid();
        s.ok(&sup, urgent(register(&t2, "特急事项"), "extra_urgent"))
            .await;
        s.ok(&sup, dispatch(&t2, f.unit_a, Some(f.staff_a))).await;
        assert_eq!(
            pass(&s, &p, Utc::now() + Duration::seconds(1)).await.sent,
            1
        );
        assert_eq!(fcm_sends(&fcm).len(), 2);
    }
);

both!(
    a_follower_of_a_public_item_hears_of_an_instruction_and_nobody_else_does,
    |s: Server| async move {
        let _f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let leader = s.login("leader").await;
        let outsider = s.login("staff-b").await;
        let t = tid();
        s.ok(
            &sup,
            register_with(
                &t,
                "公开的重点工作",
                "meeting_decision",
                "public",
                json!({}),
            ),
        )
        .await;
        s.ok(&outsider, simple(&t, "follow", json!({}))).await;
        s.ok(
            &leader,
            simple(
                &t,
                "instruct",
                json!({"id": uuid::Uuid::new_v4(), "text": "请抓紧推进"}),
            ),
        )
        .await;
        let inbox = s.get(&outsider, "/api/v1/notifications").await.expect(200);
        let kinds: Vec<&Value> = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["kind"])
            .collect();
        assert_eq!(kinds, vec![&json!("instructed")], "{inbox}");
        // Someone who neither follows nor is named hears nothing of it.
        let other = s.login("staff-a1").await;
        let theirs = s.get(&other, "/api/v1/notifications").await.expect(200);
        assert_eq!(theirs["unread"], 0, "{theirs}");
    }
);

/// Whether `text` holds a Chinese character, outside item numbers (`议〔2026〕2号`: data, an
/// identifier written the Chinese way in every language).
fn has_han(text: &str) -> bool {
    let mut rest = text.to_owned();
    while let Some(open) = rest.find('〔') {
        let start = rest[..open].char_indices().last().map_or(open, |(i, _)| i);
        let Some(end) = rest[open..].find('号') else {
            break;
        };
        rest.replace_range(start..open + end + '号'.len_utf8(), "");
    }
    rest.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

both!(
    push_and_sms_speak_each_recipients_language,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, loud).await;
        let (p, fcm, sms) = providers().await;
        let sup = s.login("supervisor").await;
        // staff-a chose nothing (zh-CN); staff-b chose English.
        for (user, phone, locale) in [
            (f.staff_a, "13800000001", None),
            (f.staff_b, "13800000002", Some("en")),
        ] {
            s.state
                .db
                .exec(
                    "UPDATE users SET phone = $1, locale = $2 WHERE id = $3",
                    vec![
                        Val::from(phone),
                        Val::Text(locale.map(str::to_owned)),
                        Val::from(user.to_string()),
                    ],
                )
                .await
                .expect("phone and language");
        }
        add_device(&s, f.staff_a, "phone-a", "tok-zh").await;
        add_device(&s, f.staff_b, "phone-b", "tok-en").await;
        let (ta, tb) = (tid(), tid());
        s.ok(&sup, urgent(register(&ta, "清理河道垃圾"), "urgent"))
            .await;
        s.ok(&sup, dispatch(&ta, f.unit_a, Some(f.staff_a))).await;
        s.ok(&sup, urgent(register(&tb, "校舍安全排查"), "urgent"))
            .await;
        s.ok(&sup, dispatch(&tb, f.unit_b, Some(f.staff_b))).await;
        let now = Utc::now();
        assert_eq!(pass(&s, &p, now + Duration::seconds(1)).await.sent, 2);
        let sends = snapshot(&fcm).1;
        let to = |token: &str| {
            sends
                .iter()
                .map(|(_, b)| b["message"].clone())
                .find(|m| m["token"] == token)
                .unwrap_or_else(|| panic!("a push to {token}"))
        };
        let zh = to("tok-zh");
        assert_eq!(zh["notification"]["title"], "【紧急】督办通知");
        let body = zh["notification"]["body"].as_str().unwrap();
        assert!(body.contains("清理河道垃圾"), "{body}");
        assert!(
            !body.chars().any(|c| c.is_ascii_alphabetic()),
            "no English in the Chinese push: {body}"
        );
        let en = to("tok-en");
        assert_eq!(en["notification"]["title"], "[Urgent] Supervision notice");
        let body = en["notification"]["body"].as_str().unwrap();
        assert!(body.contains("校舍安全排查"), "the title is data: {body}");
        assert!(
            !has_han(&body.replace("校舍安全排查", "")),
            "no Chinese in the English push but the item's title: {body}"
        );
        // The inbox row keeps both sentences (the phones read either).
        let staff_b = s.login("staff-b").await;
        let inbox = s.get(&staff_b, "/api/v1/notifications").await.expect(200);
        assert_eq!(inbox["items"][0]["en"], en["notification"]["body"]);
        assert!(has_han(inbox["items"][0]["zh"].as_str().unwrap()));

        // The SMS after its wait, each in its recipient's language.
        let later = pass(&s, &p, now + Duration::minutes(31)).await;
        // Both reach the gateway (the local one answers the second "busy": it is retried).
        assert_eq!(later.sent + later.retried, 2, "{later:?}");
        let texts = sms.lock().unwrap().clone();
        let sms_to = |phone: &str| -> Value {
            let t = texts
                .iter()
                .find(|t| t["PhoneNumbers"] == phone)
                .unwrap_or_else(|| panic!("an SMS to {phone}"));
            let mut v: Value =
                serde_json::from_str(&t["TemplateParam"]).expect("the template's parameters");
            v["template"] = json!(t["TemplateCode"]);
            v
        };
        // Chinese: the Chinese template; English: the English one, its variables in English
        // (the item's number is data).
        let zh = sms_to("13800000001");
        assert_eq!(zh["template"], "SMS_12345678");
        assert_eq!(zh["kind"], "交办");
        assert!(!zh["due"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c.is_ascii_alphabetic()));
        let en = sms_to("13800000002");
        assert_eq!(en["template"], "SMS_87654321");
        assert_eq!(en["kind"], "Dispatch");
        assert!(!has_han(en["due"].as_str().unwrap()), "{en}");
    }
);
