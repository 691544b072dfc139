//! The scenario across channels (issue 21's acceptance), on the real server with the real
//! providers talking to the local endpoints of `push`, `push_vendors` and `push_harmony`:
//!
//! - **One dispatch, every channel.** Unit A's members are each on a different channel —
//!   FCM (Android), APNs (iPhone), Xiaomi, OPPO, vivo, Honor, Push Kit v3 (an `hms` device
//!   on HarmonyOS NEXT), HMS v1 (an `hms` device on Android), and a phone number only
//!   (SMS) — the head also having a phone number. A dispatch to the unit with nobody named
//!   gives every member the duty to receive it (`duty::expected`, `Duty::Receive`: a member of
//!   the lead unit when no person is named), so every member is told. Each fake sees each
//!   person's token exactly once, the office's delivery trace shows one `sent` per person
//!   per channel, and later passes send nothing more.
//! - **A read on the web stops every pending step.** After the push of a 特急 notice, its
//!   reader opens it from the inbox page (`POST /inbox/{id}/open`, with the session cookie
//!   and the form token a browser sends): neither the later work-app step, nor the SMS, nor
//!   the voice call goes to them; a colleague who did not read gets the SMS.
//! - **Quiet hours.** With the policy's 22:00–07:00 and the server's clock moved to 23:00
//!   in Beijing: a 普通 notice's push waits until 07:00 (none before, one each after); a
//!   特急 notice is pushed at once and its SMS goes in the quiet hours too.
//!
//! Work notifications (DingTalk/WeCom) and the voice call land separately: the places
//! marked `WORK:` and `VOICE:` say what to assert once their providers exist.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use duban_core::domain::UserId;
use duban_server::notify::{deliver_due, DeliveryReport};
use duban_server::push::Providers;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{json, Value};

use crate::notify::{loud, set_policy, urgent};
use crate::push::{
    aliyun, apns, fake_apns, fake_fcm, fake_hms, fake_sms, hms, hms_snapshot, provider, snapshot,
    ApnsSeen, HmsShared, Shared,
};
use crate::push_harmony::{fake_honor, fake_kit, harmony, honor, HonorShared, KitShared};
use crate::push_vendors::{
    fake_oppo, fake_vivo, fake_xiaomi, oppo, vivo, xiaomi, OppoShared, VivoShared, XiaomiSeen,
    OPPO_MASTER, VIVO_SECRET, XIAOMI_SECRET,
};
use crate::support::*;
use crate::web::{browser, hidden_field, page, sign_in};

/// The head's phone number (the head also has an Android phone with FCM).
const HEAD_PHONE: &str = "13800000011";
/// The number of the member who has no smartphone registered.
const SMS_PHONE: &str = "13800000012";

/// A member of unit A and the one channel their phone registered (or none: SMS only).
struct Member {
    username: &'static str,
    /// (platform, provider, token) as the app registers it; `None`: no smartphone.
    device: Option<(&'static str, &'static str, &'static str)>,
    /// The provider the server speaks to that device (`harmony` for `hms` on HarmonyOS).
    speaks: &'static str,
    phone: Option<&'static str>,
}

/// Unit A, each member on a channel of their own: the fixture's head and two staff, and six
/// more added through the admin API.
const MEMBERS: [Member; 9] = [
    Member {
        username: "head-a",
        device: Some(("android", "fcm", "fcm-head-a")),
        speaks: "fcm",
        phone: Some(HEAD_PHONE),
    },
    Member {
        username: "staff-a",
        device: Some((
            "ios",
            "apns",
            "5e0c1b9f3a7d4e2c8b6a1f0e9d8c7b6a5f4e3d2c1b0a99887766554433221100",
        )),
        speaks: "apns",
        phone: None,
    },
    Member {
        username: "staff-a2",
        device: Some(("android", "xiaomi", "mi-regid-a2")),
        speaks: "xiaomi",
        phone: None,
    },
    Member {
        username: "staff-oppo",
        device: Some(("android", "oppo", "CN_oppo-regid")),
        speaks: "oppo",
        phone: None,
    },
    Member {
        username: "staff-vivo",
        device: Some(("android", "vivo", "vivo-regid")),
        speaks: "vivo",
        phone: None,
    },
    Member {
        username: "staff-honor",
        device: Some(("android", "honor", "honor-token")),
        speaks: "honor",
        phone: None,
    },
    Member {
        username: "staff-next",
        device: Some(("harmony", "hms", "next-token")),
        speaks: "harmony",
        phone: None,
    },
    Member {
        username: "staff-hms",
        device: Some(("android", "hms", "hms-v1-token")),
        speaks: "hms",
        phone: None,
    },
    Member {
        username: "staff-sms",
        device: None,
        speaks: "sms",
        phone: Some(SMS_PHONE),
    },
];

/// The members with a smartphone.
const PHONES: usize = 8;

/// Every local endpoint, and what each saw.
struct Fakes {
    fcm: Shared,
    apns: Arc<std::sync::Mutex<ApnsSeen>>,
    xiaomi: XiaomiSeen,
    oppo: OppoShared,
    vivo: VivoShared,
    honor: HonorShared,
    kit: KitShared,
    hms: HmsShared,
    sms: Arc<std::sync::Mutex<Vec<BTreeMap<String, String>>>>,
}

/// Starts every local endpoint; the real providers, configured for them.
async fn fakes() -> (Providers, Fakes) {
    let (fcm_base, fcm) = fake_fcm(3600).await;
    let (apns_base, apns_seen) = fake_apns().await;
    let (xiaomi_base, xiaomi_seen) = fake_xiaomi().await;
    let (oppo_base, oppo_seen) = fake_oppo().await;
    let (vivo_base, vivo_seen) = fake_vivo().await;
    let (honor_base, honor_seen) = fake_honor().await;
    let (kit_base, kit) = fake_kit().await;
    let (hms_base, hms_seen) = fake_hms().await;
    let (sms_base, sms) = fake_sms().await;
    // Every provider there is today; those that land later (work apps, voice) are `None`
    // until configured below, so the update stays.
    #[allow(clippy::needless_update)]
    let p = Providers {
        fcm: Some(Arc::new(provider(&fcm_base))),
        apns: Some(Arc::new(apns(&apns_base))),
        xiaomi: Some(Arc::new(xiaomi(&xiaomi_base, XIAOMI_SECRET))),
        oppo: Some(Arc::new(oppo(&oppo_base, OPPO_MASTER))),
        vivo: Some(Arc::new(vivo(&vivo_base, VIVO_SECRET))),
        honor: Some(Arc::new(honor(
            &honor_base,
            crate::push_harmony::HONOR_SECRET,
        ))),
        harmony: Some(Arc::new(harmony(&kit_base))),
        hms: Some(Arc::new(hms(&hms_base, "s=cr3t/value"))),
        sms: Some(Arc::new(aliyun(&sms_base, "aliyun-secret"))),
        // WORK: `work: Some(...)` (DingTalk or WeCom at its local endpoint) and VOICE:
        // `voice: Some(...)` go here once those providers exist.
        ..Providers::default()
    };
    let f = Fakes {
        fcm,
        apns: apns_seen,
        xiaomi: xiaomi_seen,
        oppo: oppo_seen,
        vivo: vivo_seen,
        honor: honor_seen,
        kit,
        hms: hms_seen,
        sms,
    };
    (p, f)
}

impl Fakes {
    /// How many sends each endpoint accepted, by (provider, token or phone number).
    fn sends(&self) -> BTreeMap<(&'static str, String), usize> {
        let mut out: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
        let mut add = |provider: &'static str, token: &str| {
            *out.entry((provider, token.to_owned())).or_default() += 1;
        };
        for (_, body) in snapshot(&self.fcm).1 {
            add("fcm", body["message"]["token"].as_str().unwrap_or(""));
        }
        for (_, _, device, _) in &self.apns.lock().unwrap().requests {
            add("apns", device);
        }
        for form in self.xiaomi.lock().unwrap().iter() {
            add("xiaomi", &form["registration_id"]);
        }
        for (_, message) in &self.oppo.lock().unwrap().sends {
            add("oppo", message["target_value"].as_str().unwrap_or(""));
        }
        for body in &self.vivo.lock().unwrap().sends {
            add("vivo", body["regId"].as_str().unwrap_or(""));
        }
        for (_, _, body) in &self.honor.lock().unwrap().sends {
            add("honor", body["token"][0].as_str().unwrap_or(""));
        }
        for (_, _, body) in &self.kit.lock().unwrap().sends {
            add("harmony", body["target"]["token"][0].as_str().unwrap_or(""));
        }
        for (_, body) in hms_snapshot(&self.hms).1 {
            add("hms", body["message"]["token"][0].as_str().unwrap_or(""));
        }
        for q in self.sms.lock().unwrap().iter() {
            add("sms", &q["PhoneNumbers"]);
        }
        out
    }
}

/// What each member's endpoint should have seen after `pushes` push steps and an SMS to
/// each of `texted`.
fn expected(pushes: usize, texted: &[&str]) -> BTreeMap<(&'static str, String), usize> {
    let mut out = BTreeMap::new();
    if pushes > 0 {
        for m in &MEMBERS {
            if let Some((_, _, token)) = m.device {
                out.insert((m.speaks, token.to_owned()), pushes);
            }
        }
    }
    for phone in texted {
        out.insert(("sms", (*phone).to_owned()), 1);
    }
    out
}

/// Unit A as [`MEMBERS`] says: the six new members made through the admin API, the head's
/// phone number set there too, and each smartphone registered through the API as the app
/// does. Returns each member's id by username.
async fn team(s: &Server, f: &Fixture) -> BTreeMap<&'static str, UserId> {
    let admin = s.login("admin").await;
    let mut ids = BTreeMap::from([
        ("head-a", f.head_a),
        ("staff-a", f.staff_a),
        ("staff-a2", f.staff_a2),
    ]);
    for m in &MEMBERS {
        match ids.get(m.username) {
            Some(id) => {
                if let Some(phone) = m.phone {
                    let role = if m.username == "head-a" {
                        "unit_head"
                    } else {
                        "staff"
                    };
                    s.call(
                        reqwest::Method::PUT,
                        &format!("/api/v1/admin/users/{id}"),
                        Some(&admin),
                        Some(json!({"username": m.username, "name": m.username,
                            "unit": f.unit_a, "roles": [role], "phone": phone})),
                    )
                    .await
                    .expect(200);
                }
            }
            None => {
                let made = s
                    .post(
                        &admin,
                        "/api/v1/admin/users",
                        json!({"username": m.username, "name": m.username, "unit": f.unit_a,
                            "position": "科员", "roles": ["staff"], "phone": m.phone,
                            "password": PASSWORD}),
                    )
                    .await
                    .expect(201);
                let id: UserId = serde_json::from_value(made["id"].clone()).expect("an id");
                ids.insert(m.username, id);
            }
        }
        if let Some((platform, provider, token)) = m.device {
            let session = s.login(m.username).await;
            let r = s
                .call(
                    reqwest::Method::PUT,
                    "/api/v1/devices/current",
                    Some(&session),
                    Some(json!({"platform": platform, "provider": provider,
                        "token": token, "app_version": "1.0"})),
                )
                .await
                .expect(200);
            assert_eq!(r["provider"], provider, "{r}");
        }
    }
    ids
}

async fn pass(s: &Server, p: &Providers, at: DateTime<Utc>) -> DeliveryReport {
    deliver_due(&s.state, p, at).await.expect("deliver")
}

/// Each person's notifications of the item, as the office's trace shows them: (channel,
/// provider, outcome) of each delivery, by person.
async fn trace(s: &Server, sup: &str, task: &str) -> BTreeMap<UserId, Vec<Value>> {
    let trace = s
        .get(sup, &format!("/api/v1/tasks/{task}/notifications"))
        .await
        .expect(200);
    let mut out: BTreeMap<UserId, Vec<Value>> = BTreeMap::new();
    for n in trace.as_array().expect("a list") {
        let person: UserId = serde_json::from_value(n["person"].clone()).expect("person");
        out.entry(person).or_default().push(n.clone());
    }
    out
}

/// (channel, provider, outcome) of a traced notification's deliveries, in order.
fn channels(n: &Value) -> Vec<(String, String, String)> {
    n["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| {
            let text = |k: &str| d[k].as_str().unwrap_or("").to_owned();
            (text("channel"), text("provider"), text("outcome"))
        })
        .collect()
}

fn sent(channel: &str, provider: &str) -> (String, String, String) {
    (channel.to_owned(), provider.to_owned(), "sent".to_owned())
}

/// What each member's notification should show: their push (if they have a smartphone),
/// then an SMS if `texted` names their phone.
fn delivered_to(m: &Member, texted: &[&str]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if m.device.is_some() {
        out.push(sent("push", m.speaks));
    }
    // WORK: a member bound to DingTalk or WeCom also has `sent("work", "dingtalk")` (or
    // "wecom") here, after the push.
    if m.phone.is_some_and(|p| texted.contains(&p)) {
        out.push(sent("sms", "sms"));
    }
    // VOICE: and `sent("voice", ...)` after the SMS for an unread 特急 notice.
    out
}

/// Checks that exactly unit A's members were told of `task`, once each, and that their
/// deliveries are `texted`'s (see [`delivered_to`]).
async fn assert_trace(
    s: &Server,
    sup: &str,
    task: &str,
    ids: &BTreeMap<&'static str, UserId>,
    texted: &[&str],
) -> BTreeMap<UserId, Value> {
    let by_person = trace(s, sup, task).await;
    let mut told: Vec<UserId> = by_person.keys().copied().collect();
    let mut members: Vec<UserId> = ids.values().copied().collect();
    told.sort_unstable();
    members.sort_unstable();
    assert_eq!(
        told, members,
        "exactly unit A's members are told: {by_person:?}"
    );
    let mut out = BTreeMap::new();
    for m in &MEMBERS {
        let notes = &by_person[&ids[m.username]];
        assert_eq!(notes.len(), 1, "{}: one notice each: {notes:?}", m.username);
        let n = &notes[0];
        assert_eq!(
            n["kind"],
            json!({"new_duty": "receive"}),
            "{}: {n}",
            m.username
        );
        assert_eq!(
            channels(n),
            delivered_to(m, texted),
            "{}'s deliveries: {n}",
            m.username
        );
        out.insert(ids[m.username], n.clone());
    }
    out
}

/// `SELECT COUNT(*)` of the jobs not done.
async fn jobs_left(s: &Server) -> i64 {
    s.scalar("SELECT COUNT(*) FROM jobs WHERE state <> 'done'", vec![])
        .await
}

both!(
    a_dispatch_to_a_unit_reaches_each_member_once_on_their_own_channel,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, loud).await;
        let ids = team(&s, &f).await;
        let (p, fakes) = fakes().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, urgent(register(&t, "汛前排查河道堤防隐患"), "urgent"))
            .await;
        // To the unit, nobody named: every member has the duty to receive it.
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
        let now = s.state.clock.now();

        // The push step: each smartphone once, through its own service.
        let first = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(first.sent, PHONES, "{first:?}");
        assert_eq!(
            (first.dead, first.retried, first.failed, first.refused),
            (0, 0, 0, 0),
            "{first:?}"
        );
        assert_eq!(fakes.sends(), expected(1, &[]), "after the push step");
        // WORK: with the work provider configured, each member bound to DingTalk/WeCom has
        // one work notification now (count at the fake by user id, as `sends` does).

        // 紧急: the SMS after 30 minutes unread, to each member with a phone number — the
        // head (who also had the push) and the member without a smartphone.
        let early = pass(&s, &p, now + Duration::minutes(29)).await;
        assert_eq!(early.sent, 0, "{early:?}");
        let texts = pass(&s, &p, now + Duration::minutes(31)).await;
        assert_eq!(texts.sent, 2, "{texts:?}");
        assert_eq!(fakes.sends(), expected(1, &[HEAD_PHONE, SMS_PHONE]));

        // Each step once: later passes send nothing more.
        for later in [Duration::hours(2), Duration::days(1)] {
            let r = pass(&s, &p, now + later).await;
            assert_eq!((r.jobs, r.sent), (0, 0), "{r:?}");
        }
        assert_eq!(fakes.sends(), expected(1, &[HEAD_PHONE, SMS_PHONE]));
        assert_eq!(jobs_left(&s).await, 0, "every step ended");

        // The office's trace: one `sent` per person per channel.
        assert_trace(&s, &sup, &t, &ids, &[HEAD_PHONE, SMS_PHONE]).await;
        let recorded = s
            .scalar(
                "SELECT COUNT(*) FROM deliveries WHERE outcome = 'sent'",
                vec![],
            )
            .await;
        let all = s.scalar("SELECT COUNT(*) FROM deliveries", vec![]).await;
        assert_eq!((recorded, all), (PHONES as i64 + 2, PHONES as i64 + 2));
    }
);

both!(
    a_read_on_the_web_stops_every_pending_step,
    |s: Server| async move {
        let f = s.fixture().await;
        // No quiet hours (the test runs at any hour); the 特急 climb with a step of each
        // channel pending after the push: the work app at 5 minutes, SMS at 10, voice at 20.
        set_policy(&s, |p| {
            loud(p);
            p["delivery"]["extra_urgent"]["push_after_minutes"] = json!(0);
            p["delivery"]["extra_urgent"]["work_after_minutes"] = json!(5);
            p["delivery"]["extra_urgent"]["sms_after_minutes"] = json!(10);
            p["delivery"]["extra_urgent"]["voice_after_minutes"] = json!(20);
        })
        .await;
        let ids = team(&s, &f).await;
        let (p, fakes) = fakes().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(
            &sup,
            urgent(register(&t, "台风过境前转移危房群众"), "extra_urgent"),
        )
        .await;
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
        let now = s.state.clock.now();
        let first = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(first.sent, PHONES, "{first:?}");
        assert_eq!(fakes.sends(), expected(1, &[]));

        // The head opens the notice from the inbox page, as a browser does: signed in by
        // the form, the page's form posted back with the session cookie and its token.
        let web = browser();
        let cookie = sign_in(&s, &web, "head-a").await;
        let (status, inbox) = page(&web, &format!("{}/inbox", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        let head = s.login("head-a").await;
        let mine = s.get(&head, "/api/v1/notifications").await.expect(200);
        assert_eq!(mine["unread"], 1, "{mine}");
        let note = mine["items"][0]["id"].as_str().unwrap().to_owned();
        let open = format!("/inbox/{note}/open");
        assert!(
            inbox.contains(&format!("action=\"{open}\"")),
            "the inbox offers to open it"
        );
        let csrf = hidden_field(&inbox, "csrf");
        let r = web
            .post(format!("{}{open}", s.base))
            .header(COOKIE, &cookie)
            .form(&[("csrf", csrf.as_str()), ("task", t.as_str())])
            .send()
            .await
            .expect("open");
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], format!("/items/{t}").as_str());
        let (status, _) = page(&web, &format!("{}/items/{t}", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "the item's page");
        let mine = s.get(&head, "/api/v1/notifications").await.expect(200);
        assert_eq!(mine["unread"], 0, "read on the web: {mine}");

        // The work-app step: nothing goes to the head (read); WORK: the unread members bound
        // to a work app get theirs here.
        let work = pass(&s, &p, now + Duration::minutes(5) + Duration::seconds(1)).await;
        assert!(
            work.read >= 1,
            "the head's step is dropped as read: {work:?}"
        );
        assert_eq!(work.sent, 0, "{work:?}");
        // The SMS step: the member who did not read gets it; the head does not.
        let sms = pass(&s, &p, now + Duration::minutes(10) + Duration::seconds(1)).await;
        assert_eq!((sms.sent, sms.read), (1, 1), "{sms:?}");
        assert_eq!(fakes.sends(), expected(1, &[SMS_PHONE]));
        // The voice step: nothing for the head.
        let voice = pass(&s, &p, now + Duration::minutes(20) + Duration::seconds(1)).await;
        assert!(voice.read >= 1, "{voice:?}");
        // VOICE: with the voice provider configured, `voice.sent == 1`: one call to
        // SMS_PHONE (unread), none to HEAD_PHONE (count the calls at the fake by number).
        assert_eq!(voice.sent, 0, "{voice:?}");
        for later in [Duration::hours(1), Duration::days(1)] {
            let r = pass(&s, &p, now + later).await;
            assert_eq!((r.jobs, r.sent), (0, 0), "{r:?}");
        }
        assert_eq!(fakes.sends(), expected(1, &[SMS_PHONE]), "nothing more");
        assert_eq!(jobs_left(&s).await, 0, "every step ended");

        // The trace: the head's push, and the read; the other member's SMS.
        let notes = assert_trace(&s, &sup, &t, &ids, &[SMS_PHONE]).await;
        assert!(
            notes[&f.head_a]["read_at"].is_string(),
            "{}",
            notes[&f.head_a]
        );
        assert!(notes[&ids["staff-sms"]]["read_at"].is_null());
    }
);

/// The next 23:00 in Beijing (15:00 UTC) after `now`.
fn next_night(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(15, 0, 0).expect("a time"));
    if today > now {
        today
    } else {
        today + Duration::days(1)
    }
}

fn at(n: &Value) -> Vec<DateTime<Utc>> {
    n["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| serde_json::from_value(d["at"].clone()).expect("a time"))
        .collect()
}

both!(
    quiet_hours_hold_a_normal_notice_but_not_an_extra_urgent_one,
    |s: Server| async move {
        let f = s.fixture().await;
        // The quiet hours, set through the policy: 22:00–07:00 in Beijing; the server's
        // clock moved to 23:00 there, so the test runs the same at any hour.
        set_policy(&s, |p| {
            p["delivery"]["quiet_hours"] = json!({"from": "22:00:00", "to": "07:00:00"});
            p["delivery"]["extra_urgent_ignores_quiet_hours"] = json!(true);
        })
        .await;
        let night = next_night(s.state.clock.now());
        s.state.clock.advance(night - s.state.clock.now());
        let morning = night + Duration::hours(8);
        let ids = team(&s, &f).await;
        let (p, fakes) = fakes().await;
        let sup = s.login("supervisor").await;

        // 普通: in the inbox at once, its push held until 07:00.
        let calm = tid();
        s.ok(&sup, register(&calm, "整理年度档案")).await;
        s.ok(&sup, dispatch(&calm, f.unit_a, None)).await;
        let head = s.login("head-a").await;
        let inbox = s.get(&head, "/api/v1/notifications").await.expect(200);
        assert_eq!(inbox["unread"], 1, "the inbox has it at once: {inbox}");
        let now = s.state.clock.now();
        let r = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(
            (r.jobs, r.sent),
            (0, 0),
            "nothing in the quiet hours: {r:?}"
        );
        let run_at = s
            .scalar(
                "SELECT MIN(run_at) FROM jobs WHERE state = 'queued'",
                vec![],
            )
            .await;
        assert_eq!(
            DateTime::<Utc>::from_timestamp_millis(run_at),
            Some(morning),
            "the push waits for 07:00"
        );

        // 特急: pushed at once, and its SMS after 10 minutes, in the quiet hours.
        let storm = tid();
        s.ok(
            &sup,
            urgent(register(&storm, "暴雨红色预警人员转移"), "extra_urgent"),
        )
        .await;
        s.ok(&sup, dispatch(&storm, f.unit_a, None)).await;
        let now = s.state.clock.now();
        let r = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(r.sent, PHONES, "{r:?}");
        assert_eq!(fakes.sends(), expected(1, &[]));
        let r = pass(&s, &p, now + Duration::minutes(11)).await;
        assert_eq!(r.sent, 2, "the SMS in the quiet hours: {r:?}");
        assert_eq!(fakes.sends(), expected(1, &[HEAD_PHONE, SMS_PHONE]));
        // VOICE: the 特急 call at 20 minutes goes in the quiet hours too: one to each of
        // HEAD_PHONE and SMS_PHONE (neither read) in the pass at `now + 21 minutes` below.
        let r = pass(&s, &p, now + Duration::minutes(21)).await;
        assert_eq!(r.sent, 0, "{r:?}");

        // Still nothing of the 普通 notice a minute before 07:00; at 07:00, its push, once
        // to each smartphone.
        let r = pass(&s, &p, morning - Duration::minutes(1)).await;
        assert_eq!((r.jobs, r.sent), (0, 0), "{r:?}");
        let r = pass(&s, &p, morning).await;
        assert_eq!(r.sent, PHONES, "{r:?}");
        assert_eq!(fakes.sends(), expected(2, &[HEAD_PHONE, SMS_PHONE]));
        let r = pass(&s, &p, morning + Duration::hours(3)).await;
        assert_eq!((r.jobs, r.sent), (0, 0), "each step once: {r:?}");
        assert_eq!(jobs_left(&s).await, 0, "every step ended");

        // The trace: 普通 pushed at 07:00 and never texted; 特急 pushed at 23:00 and texted
        // in the quiet hours.
        for n in assert_trace(&s, &sup, &calm, &ids, &[]).await.values() {
            for t in at(n) {
                assert_eq!(t, morning, "{n}");
            }
        }
        for n in assert_trace(&s, &sup, &storm, &ids, &[HEAD_PHONE, SMS_PHONE])
            .await
            .values()
        {
            for t in at(n) {
                assert!(t > night && t < morning, "in the quiet hours: {n}");
            }
        }
    }
);
