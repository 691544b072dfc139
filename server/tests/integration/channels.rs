//! The scenario across channels (issue 21's acceptance), on the real server with the real
//! providers talking to the local endpoints of `push`, `push_vendors`, `push_harmony`,
//! `workapps` (DingTalk, WeCom) and `voice` (Aliyun's voice service):
//!
//! - **One dispatch, every channel.** Unit A's members are each on a different channel —
//!   FCM (Android), APNs (iPhone), Xiaomi, OPPO, vivo, Honor, Push Kit v3 (an `hms` device
//!   on HarmonyOS NEXT), HMS v1 (an `hms` device on Android), a phone number only (SMS),
//!   DingTalk only, WeCom only, and an Android phone with DingTalk too — the head also
//!   having a phone number. The three on the work apps are added as an office adds people:
//!   the people sheet with their DingTalk and WeCom user ids, uploaded on the
//!   administrator's import page and confirmed. A dispatch to the unit with nobody named
//!   gives every member the duty to receive it (`duty::expected`, `Duty::Receive`: a member
//!   of the lead unit when no person is named), so every member is told. Each fake sees each
//!   person's token (or work-app user id) exactly once, each work message links to the
//!   item's page, the office's delivery trace shows one `sent` per person per channel, no
//!   voice call goes for 紧急, and later passes send nothing more.
//! - **A read on the web stops every pending step.** After the push of a 特急 notice, the
//!   head opens it from the inbox page (`POST /inbox/{id}/open`, with the session cookie
//!   and the form token a browser sends), and the member on DingTalk with a phone reads it
//!   in the app: the work step at 5 minutes goes to the unread members on the work apps
//!   only, neither the SMS nor the voice call goes to the head; the colleague who did not
//!   read gets the SMS and, at 20 minutes, the call.
//! - **Quiet hours.** With the policy's 22:00–07:00 and the server's clock moved to 23:00
//!   in Beijing: a 普通 notice's push and work message wait until 07:00 (none before, one
//!   each after); a 特急 notice is pushed and sent to the work apps at once, and its SMS and
//!   voice calls go in the quiet hours too.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use duban_core::domain::UserId;
use duban_server::db::Val;
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
use crate::voice::{fake_voice, voice, VoiceShared};
use crate::web::{browser, form_token, hidden_field, page, sign_in};
use crate::web_register::hidden;
use crate::workapps::{
    dingtalk_client, fake_dingtalk, fake_wecom, member, wecom_client, xlsx, Shared as WorkShared,
    DT_SECRET, PUBLIC, WC_SECRET,
};

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
    /// The work apps the person is bound in: (app, the app's user id). Those bound are
    /// added through the people import, the others through the admin API.
    work: &'static [(&'static str, &'static str)],
}

/// Unit A, each member on a channel of their own: the fixture's head and two staff, six
/// more added through the admin API, and three on the work apps added by the import.
const MEMBERS: [Member; 12] = [
    Member {
        username: "head-a",
        device: Some(("android", "fcm", "fcm-head-a")),
        speaks: "fcm",
        phone: Some(HEAD_PHONE),
        work: &[],
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
        work: &[],
    },
    Member {
        username: "staff-a2",
        device: Some(("android", "xiaomi", "mi-regid-a2")),
        speaks: "xiaomi",
        phone: None,
        work: &[],
    },
    Member {
        username: "staff-oppo",
        device: Some(("android", "oppo", "CN_oppo-regid")),
        speaks: "oppo",
        phone: None,
        work: &[],
    },
    Member {
        username: "staff-vivo",
        device: Some(("android", "vivo", "vivo-regid")),
        speaks: "vivo",
        phone: None,
        work: &[],
    },
    Member {
        username: "staff-honor",
        device: Some(("android", "honor", "honor-token")),
        speaks: "honor",
        phone: None,
        work: &[],
    },
    Member {
        username: "staff-next",
        device: Some(("harmony", "hms", "next-token")),
        speaks: "harmony",
        phone: None,
        work: &[],
    },
    Member {
        username: "staff-hms",
        device: Some(("android", "hms", "hms-v1-token")),
        speaks: "hms",
        phone: None,
        work: &[],
    },
    Member {
        username: "staff-sms",
        device: None,
        speaks: "sms",
        phone: Some(SMS_PHONE),
        work: &[],
    },
    Member {
        username: "staff-ding",
        device: None,
        speaks: "dingtalk",
        phone: None,
        work: &[("dingtalk", "dt-ding")],
    },
    Member {
        username: "staff-wecom",
        device: None,
        speaks: "wecom",
        phone: None,
        work: &[("wecom", "wc-wecom")],
    },
    Member {
        username: "staff-desk",
        device: Some(("android", "fcm", "fcm-staff-desk")),
        speaks: "fcm",
        phone: None,
        work: &[("dingtalk", "dt-desk")],
    },
];

/// The members with a smartphone.
const PHONES: usize = 9;
/// The work messages of one work step to everyone (one per binding).
const BOUND: usize = 3;

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
    dingtalk: WorkShared,
    wecom: WorkShared,
    voice: VoiceShared,
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
    let (dingtalk_base, dingtalk) = fake_dingtalk(7200).await;
    let (wecom_base, wecom) = fake_wecom(7200).await;
    let (voice_base, voice_seen) = fake_voice().await;
    // The organisation's address books in the apps: each bound member is a user there.
    for m in &MEMBERS {
        for (app, user) in m.work {
            let book = if *app == "dingtalk" {
                &dingtalk
            } else {
                &wecom
            };
            member(book, user, None);
        }
    }
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
        voice: Some(Arc::new(voice(&voice_base))),
        dingtalk: Some(Arc::new(dingtalk_client(&dingtalk_base, DT_SECRET))),
        wecom: Some(Arc::new(wecom_client(&wecom_base, WC_SECRET))),
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
        dingtalk,
        wecom,
        voice: voice_seen,
    };
    (p, f)
}

impl Fakes {
    /// How many sends each endpoint accepted, by (provider, token, work-app user id or
    /// phone number).
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
        for body in &self.dingtalk.lock().unwrap().sends {
            for user in body["userid_list"].as_str().unwrap_or("").split(',') {
                add("dingtalk", user);
            }
        }
        for body in &self.wecom.lock().unwrap().sends {
            for user in body["touser"].as_str().unwrap_or("").split('|') {
                add("wecom", user);
            }
        }
        for q in &self.voice.lock().unwrap().calls {
            add("voice", &q["CalledNumber"]);
        }
        out
    }

    /// The link of each work message accepted: (app, URL), DingTalk's first.
    fn links(&self) -> Vec<(&'static str, String)> {
        let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
        let dingtalk = self.dingtalk.lock().unwrap().sends.clone();
        let wecom = self.wecom.lock().unwrap().sends.clone();
        dingtalk
            .iter()
            .map(|b| ("dingtalk", text(&b["msg"]["action_card"]["single_url"])))
            .chain(wecom.iter().map(|b| ("wecom", text(&b["textcard"]["url"]))))
            .collect()
    }
}

/// The link a work message of `app` carries to item `task`: through the app's sign-in
/// (免登), then to the item's page.
fn item_link(app: &str, task: &str) -> String {
    format!("{PUBLIC}/sso/{app}?next=%2Fitems%2F{task}")
}

/// What each member's endpoint should have seen after `pushes` push steps and `works`
/// work steps to everyone, an SMS to each of `texted` and a call to each of `called`.
fn expected(
    pushes: usize,
    works: usize,
    texted: &[&str],
    called: &[&str],
) -> BTreeMap<(&'static str, String), usize> {
    let mut out = BTreeMap::new();
    for m in &MEMBERS {
        if let (Some((_, _, token)), true) = (m.device, pushes > 0) {
            out.insert((m.speaks, token.to_owned()), pushes);
        }
        if works > 0 {
            for (app, user) in m.work {
                out.insert((*app, (*user).to_owned()), works);
            }
        }
    }
    for phone in texted {
        out.insert(("sms", (*phone).to_owned()), 1);
    }
    for phone in called {
        out.insert(("voice", (*phone).to_owned()), 1);
    }
    out
}

/// Unit A as [`MEMBERS`] says: the six new members off the work apps made through the
/// admin API, the head's phone number set there too, the three on the work apps imported
/// (see [`import_bound`]), and each smartphone registered through the API as the app does.
/// Returns each member's id by username.
async fn team(s: &Server, f: &Fixture) -> BTreeMap<&'static str, UserId> {
    let admin = s.login("admin").await;
    let mut ids = BTreeMap::from([
        ("head-a", f.head_a),
        ("staff-a", f.staff_a),
        ("staff-a2", f.staff_a2),
    ]);
    for m in MEMBERS.iter().filter(|m| m.work.is_empty()) {
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
    }
    ids.extend(import_bound(s).await);
    for m in &MEMBERS {
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

/// The members on the work apps, added as an office adds people: the people sheet with
/// their DingTalk and WeCom user ids, uploaded on the administrator's import page, checked,
/// and confirmed. The bindings are then as the administrators' API lists them. Returns
/// each one's id by username.
async fn import_bound(s: &Server) -> BTreeMap<&'static str, UserId> {
    let bound: Vec<&Member> = MEMBERS.iter().filter(|m| !m.work.is_empty()).collect();
    let mut rows: Vec<Vec<&str>> = vec![vec![
        "用户名",
        "姓名",
        "单位",
        "职务",
        "角色",
        "手机号",
        "初始密码",
        "钉钉用户ID",
        "企业微信用户ID",
    ]];
    for m in &bound {
        let id_in = |app: &str| {
            m.work
                .iter()
                .find(|(a, _)| *a == app)
                .map_or("", |(_, user)| *user)
        };
        rows.push(vec![
            m.username,
            m.username,
            "交通运输局",
            "科员",
            "staff",
            m.phone.unwrap_or(""),
            PASSWORD,
            id_in("dingtalk"),
            id_in("wecom"),
        ]);
    }
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    let web = browser();
    let cookie = sign_in(s, &web, "admin").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", form_token(s, &web, &cookie).await)
        .part(
            "file",
            reqwest::multipart::Part::bytes(xlsx(&rows)).file_name("people.xlsx"),
        );
    let r = web
        .post(format!("{}/admin/import/people", s.base))
        .header(COOKIE, &cookie)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 200);
    let preview = r.text().await.expect("preview");
    assert!(
        preview.contains("id=\"confirm-import\"") && !preview.contains("id=\"bad-rows\""),
        "every row passes the check: {preview}"
    );
    let r = web
        .post(format!("{}/admin/import/people/confirm", s.base))
        .header(COOKIE, &cookie)
        .form(&[
            ("csrf", hidden(&preview, "csrf")),
            ("data", hidden(&preview, "data")),
        ])
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 200);
    let done = r.text().await.expect("done");
    assert!(done.contains("id=\"import-done\""), "written: {done}");

    let admin = s.login("admin").await;
    let listed = s
        .get(&admin, "/api/v1/admin/work-accounts")
        .await
        .expect(200);
    let listed = listed.as_array().expect("a list");
    let mut ids = BTreeMap::new();
    for m in &bound {
        for (app, user) in m.work {
            let b = listed
                .iter()
                .find(|b| b["app"] == *app && b["app_user"] == *user)
                .unwrap_or_else(|| panic!("{} bound in {app}: {listed:?}", m.username));
            assert_eq!(b["how"], "import", "{b}");
            let id: UserId = serde_json::from_value(b["user"].clone()).expect("an id");
            assert_eq!(*ids.entry(m.username).or_insert(id), id, "{b}");
        }
    }
    assert_eq!(listed.len(), BOUND, "nobody else is bound: {listed:?}");
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

/// What a notice's climb reached beyond each member's push and work messages.
#[derive(Clone, Copy, Default)]
struct Reach<'a> {
    /// Members who read it before its work step: no work message.
    read_first: &'a [&'a str],
    /// The numbers texted.
    texted: &'a [&'a str],
    /// The numbers called.
    called: &'a [&'a str],
}

/// What each member's notification should show: their push (if they have a smartphone),
/// a work message in each app they are bound in (unless they read it first), then an SMS
/// and a call if `reach` names their phone.
fn delivered_to(m: &Member, reach: Reach) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if m.device.is_some() {
        out.push(sent("push", m.speaks));
    }
    if !reach.read_first.contains(&m.username) {
        for (app, _) in m.work {
            out.push(sent("work", app));
        }
    }
    if m.phone.is_some_and(|p| reach.texted.contains(&p)) {
        out.push(sent("sms", "sms"));
    }
    if m.phone.is_some_and(|p| reach.called.contains(&p)) {
        out.push(sent("voice", "voice"));
    }
    out
}

/// Checks that exactly unit A's members were told of `task`, once each, and that their
/// deliveries are as `reach` says (see [`delivered_to`]).
async fn assert_trace(
    s: &Server,
    sup: &str,
    task: &str,
    ids: &BTreeMap<&'static str, UserId>,
    reach: Reach<'_>,
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
            delivered_to(m, reach),
            "{}'s deliveries: {n}",
            m.username
        );
        out.insert(ids[m.username], n.clone());
    }
    out
}

/// The detail on the record of each voice call of the notices `notes`.
fn call_details(notes: &BTreeMap<UserId, Value>) -> Vec<String> {
    notes
        .values()
        .flat_map(|n| n["deliveries"].as_array().expect("deliveries").clone())
        .filter(|d| d["channel"] == "voice")
        .map(|d| d["detail"].as_str().unwrap_or("").to_owned())
        .collect()
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

        // The push and work steps, at once: each smartphone once, through its own service,
        // and each work-app binding once, at its app; nowhere to go for the three without a
        // smartphone (push) and the nine bound in no work app (work).
        let first = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(first.sent, PHONES + BOUND, "{first:?}");
        assert_eq!(
            (first.dead, first.retried, first.failed, first.refused),
            (0, 0, 0, 0),
            "{first:?}"
        );
        assert_eq!(
            first.unreachable,
            (MEMBERS.len() - PHONES) + (MEMBERS.len() - BOUND),
            "{first:?}"
        );
        assert_eq!(
            fakes.sends(),
            expected(1, 1, &[], &[]),
            "after the push and work steps"
        );
        // Each work message links to the item's page, through the app's sign-in.
        let mut links = fakes.links();
        links.sort();
        assert_eq!(
            links,
            [
                ("dingtalk", item_link("dingtalk", &t)),
                ("dingtalk", item_link("dingtalk", &t)),
                ("wecom", item_link("wecom", &t)),
            ]
        );

        // 紧急: the SMS after 30 minutes unread, to each member with a phone number — the
        // head (who also had the push) and the member without a smartphone.
        let early = pass(&s, &p, now + Duration::minutes(29)).await;
        assert_eq!(early.sent, 0, "{early:?}");
        let texts = pass(&s, &p, now + Duration::minutes(31)).await;
        assert_eq!(
            (texts.sent, texts.unreachable),
            (2, MEMBERS.len() - 2),
            "{texts:?}"
        );
        assert_eq!(fakes.sends(), expected(1, 1, &[HEAD_PHONE, SMS_PHONE], &[]));

        // Each step once: later passes send nothing more, and 紧急 is never called.
        for later in [Duration::hours(2), Duration::days(1)] {
            let r = pass(&s, &p, now + later).await;
            assert_eq!((r.jobs, r.sent), (0, 0), "{r:?}");
        }
        assert_eq!(fakes.sends(), expected(1, 1, &[HEAD_PHONE, SMS_PHONE], &[]));
        assert!(fakes.voice.lock().unwrap().calls.is_empty(), "no call");
        assert_eq!(jobs_left(&s).await, 0, "every step ended");

        // The office's trace: one `sent` per person per channel.
        let reach = Reach {
            texted: &[HEAD_PHONE, SMS_PHONE],
            ..Reach::default()
        };
        assert_trace(&s, &sup, &t, &ids, reach).await;
        let recorded = s
            .scalar(
                "SELECT COUNT(*) FROM deliveries WHERE outcome = 'sent'",
                vec![],
            )
            .await;
        let all = s.scalar("SELECT COUNT(*) FROM deliveries", vec![]).await;
        let sends = (PHONES + BOUND + 2) as i64;
        assert_eq!((recorded, all), (sends, sends));
        let work = s
            .scalar(
                "SELECT COUNT(*) FROM deliveries WHERE channel = 'work' AND outcome = 'sent'",
                vec![],
            )
            .await;
        assert_eq!(work, BOUND as i64);
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
        assert_eq!(
            (first.sent, first.unreachable),
            (PHONES, MEMBERS.len() - PHONES),
            "{first:?}"
        );
        assert_eq!(fakes.sends(), expected(1, 0, &[], &[]));

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
        // The member on DingTalk with a smartphone reads it in the app, after its push.
        let desk = s.login("staff-desk").await;
        let mine = s.get(&desk, "/api/v1/notifications").await.expect(200);
        let seq = mine["items"][0]["task_seq"].clone();
        s.post(
            &desk,
            "/api/v1/notifications/read",
            json!({"events": [{"task": t, "task_seq": seq}]}),
        )
        .await
        .expect(200);
        let mine = s.get(&desk, "/api/v1/notifications").await.expect(200);
        assert_eq!(mine["unread"], 0, "read in the app: {mine}");

        // The work-app step: nothing for the two who read (the head, and the member on
        // DingTalk who read it in the app); the two unread members on the work apps get
        // theirs, with the item's link.
        let work = pass(&s, &p, now + Duration::minutes(5) + Duration::seconds(1)).await;
        assert_eq!(
            (work.sent, work.read, work.unreachable),
            (2, 2, MEMBERS.len() - 2 - 2),
            "{work:?}"
        );
        let mut want = expected(1, 1, &[], &[]);
        assert_eq!(want.remove(&("dingtalk", "dt-desk".to_owned())), Some(1));
        assert_eq!(fakes.sends(), want, "no work message to those who read");
        let mut links = fakes.links();
        links.sort();
        assert_eq!(
            links,
            [
                ("dingtalk", item_link("dingtalk", &t)),
                ("wecom", item_link("wecom", &t)),
            ]
        );
        // The SMS step: the member who did not read gets it; the head does not.
        let sms = pass(&s, &p, now + Duration::minutes(10) + Duration::seconds(1)).await;
        assert_eq!(
            (sms.sent, sms.read, sms.unreachable),
            (1, 2, MEMBERS.len() - 2 - 1),
            "{sms:?}"
        );
        let mut want = expected(1, 1, &[SMS_PHONE], &[]);
        want.remove(&("dingtalk", "dt-desk".to_owned()));
        assert_eq!(fakes.sends(), want);
        // The voice step: a call to the unread member's phone, none to the head's.
        let voice = pass(&s, &p, now + Duration::minutes(20) + Duration::seconds(1)).await;
        assert_eq!(
            (voice.sent, voice.read, voice.unreachable),
            (1, 2, MEMBERS.len() - 2 - 1),
            "{voice:?}"
        );
        let mut want = expected(1, 1, &[SMS_PHONE], &[SMS_PHONE]);
        want.remove(&("dingtalk", "dt-desk".to_owned()));
        assert_eq!(fakes.sends(), want);
        // What became of the call is asked two minutes on: still ringing, so again a
        // minute later; then the number was busy, and the record says so.
        let asked = pass(&s, &p, now + Duration::minutes(23)).await;
        assert_eq!((asked.jobs, asked.sent), (1, 0), "{asked:?}");
        let asked = pass(&s, &p, now + Duration::minutes(25)).await;
        assert_eq!((asked.jobs, asked.sent), (1, 0), "{asked:?}");
        for later in [Duration::hours(1), Duration::days(1)] {
            let r = pass(&s, &p, now + later).await;
            assert_eq!((r.jobs, r.sent), (0, 0), "{r:?}");
        }
        assert_eq!(fakes.sends(), want, "nothing more");
        assert_eq!(jobs_left(&s).await, 0, "every step ended");

        // The trace: the head's push, and the read; the other member's SMS and call.
        let reach = Reach {
            read_first: &["staff-desk"],
            texted: &[SMS_PHONE],
            called: &[SMS_PHONE],
        };
        let notes = assert_trace(&s, &sup, &t, &ids, reach).await;
        assert!(
            notes[&f.head_a]["read_at"].is_string(),
            "{}",
            notes[&f.head_a]
        );
        assert!(notes[&ids["staff-desk"]]["read_at"].is_string());
        assert!(notes[&ids["staff-sms"]]["read_at"].is_null());
        assert_eq!(
            call_details(&notes),
            ["116012354148^1 busy 200002"],
            "the call's id and outcome on its record"
        );
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

        // 普通: in the inbox at once, its push and its work message held until 07:00.
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
        let queued = |at: DateTime<Utc>| {
            s.scalar(
                "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND run_at = $1",
                vec![Val::from(at.timestamp_millis())],
            )
        };
        let all_queued = s
            .scalar("SELECT COUNT(*) FROM jobs WHERE state = 'queued'", vec![])
            .await;
        assert_eq!(
            (queued(morning).await, all_queued),
            (2, 2),
            "the push and the work step both wait for 07:00"
        );

        // 特急: pushed and sent to the work apps at once, its SMS after 10 minutes and its
        // calls after 20, in the quiet hours.
        let storm = tid();
        s.ok(
            &sup,
            urgent(register(&storm, "暴雨红色预警人员转移"), "extra_urgent"),
        )
        .await;
        s.ok(&sup, dispatch(&storm, f.unit_a, None)).await;
        let now = s.state.clock.now();
        let r = pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(r.sent, PHONES + BOUND, "{r:?}");
        assert_eq!(fakes.sends(), expected(1, 1, &[], &[]));
        assert!(
            fakes
                .links()
                .iter()
                .all(|(app, link)| *link == item_link(app, &storm)),
            "{:?}",
            fakes.links()
        );
        let r = pass(&s, &p, now + Duration::minutes(11)).await;
        assert_eq!(r.sent, 2, "the SMS in the quiet hours: {r:?}");
        assert_eq!(fakes.sends(), expected(1, 1, &[HEAD_PHONE, SMS_PHONE], &[]));
        let r = pass(&s, &p, now + Duration::minutes(21)).await;
        assert_eq!(
            (r.sent, r.unreachable),
            (2, MEMBERS.len() - 2),
            "the calls in the quiet hours: {r:?}"
        );
        let both = [HEAD_PHONE, SMS_PHONE];
        assert_eq!(fakes.sends(), expected(1, 1, &both, &both));
        // What became of each call, asked two minutes on and again a minute later.
        let r = pass(&s, &p, now + Duration::minutes(24)).await;
        assert_eq!((r.jobs, r.sent), (2, 0), "{r:?}");
        let r = pass(&s, &p, now + Duration::minutes(26)).await;
        assert_eq!((r.jobs, r.sent), (2, 0), "{r:?}");

        // Still nothing of the 普通 notice a minute before 07:00; at 07:00, its push, once
        // to each smartphone, and its work message, once to each binding.
        let r = pass(&s, &p, morning - Duration::minutes(1)).await;
        assert_eq!((r.jobs, r.sent), (0, 0), "{r:?}");
        let r = pass(&s, &p, morning).await;
        assert_eq!(r.sent, PHONES + BOUND, "{r:?}");
        assert_eq!(fakes.sends(), expected(2, 2, &both, &both));
        let r = pass(&s, &p, morning + Duration::hours(3)).await;
        assert_eq!((r.jobs, r.sent), (0, 0), "each step once: {r:?}");
        assert_eq!(jobs_left(&s).await, 0, "every step ended");
        let links = fakes.links();
        assert_eq!(links.len(), 2 * BOUND, "{links:?}");
        for t in [&calm, &storm] {
            let to_item = links
                .iter()
                .filter(|(app, link)| *link == item_link(app, t))
                .count();
            assert_eq!(to_item, BOUND, "one message per binding links to {t}");
        }

        // The trace: 普通 pushed and sent to the work apps at 07:00, never texted nor called;
        // 特急 pushed and sent at 23:00, texted and called in the quiet hours.
        for n in assert_trace(&s, &sup, &calm, &ids, Reach::default())
            .await
            .values()
        {
            for t in at(n) {
                assert_eq!(t, morning, "{n}");
            }
        }
        let reach = Reach {
            texted: &both,
            called: &both,
            ..Reach::default()
        };
        let notes = assert_trace(&s, &sup, &storm, &ids, reach).await;
        for n in notes.values() {
            for t in at(n) {
                assert!(t > night && t < morning, "in the quiet hours: {n}");
            }
        }
        let mut calls = call_details(&notes);
        calls.sort();
        assert_eq!(calls.len(), 2, "{calls:?}");
        assert!(
            calls.iter().all(|d| d.ends_with(" busy 200002")),
            "each call's outcome on its record: {calls:?}"
        );
    }
);
