//! The console's settings pages (issue 19) over HTTP, on SQLite and PostgreSQL: the policy
//! refused in place and then saved, a category attribute with its label reaching the
//! registration form, 2027's holidays imported and the command line agreeing, a day edited,
//! the notice form, the providers' page never showing a secret, the holiday reminder from
//! 1 December — and every change in the administrative trail, which verifies.

use reqwest::header::COOKIE;
use serde_json::json;

use crate::support::*;
use crate::web::{browser, form_token, page, sign_in};

/// Posts a form as the signed-in browser does.
pub(crate) async fn post_form(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let token = form_token(s, web, cookie).await;
    let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    let r = web
        .post(format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .form(&all)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().expect("location").to_owned());
    (status, r.text().await.expect("body"), location)
}

/// Every field of the policy form as the page fills it, with `changes` applied.
pub(crate) fn policy_fields(html: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<input name=\"") {
        rest = &rest[i + 13..];
        let name = rest.split('"').next().expect("name").to_owned();
        let value = rest
            .split_once("value=\"")
            .map(|(_, v)| v.split('"').next().expect("value").to_owned())
            .unwrap_or_default();
        out.push((name, value));
    }
    out.push(("scoring.late_days".into(), "working".into()));
    out.push((
        "delivery.extra_urgent_ignores_quiet_hours".into(),
        "on".into(),
    ));
    for (k, v) in changes {
        match out.iter_mut().find(|(n, _)| n == k) {
            Some(f) => f.1 = (*v).to_owned(),
            None => out.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    out.retain(|(n, _)| n != "csrf");
    out
}

both!(
    the_policy_is_refused_in_place_then_saved_and_trailed,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "admin").await;
        let (status, html) = page(&web, &format!("{}/admin/policy", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("普通事项的默认办理时限"),
            "every number with its meaning"
        );
        assert!(!html.contains("Default deadline"), "one language");

        // A bad value: escalation after 0 urgings (the API's own check refuses it).
        let fields = policy_fields(&html, &[("escalate_after_urges", "0")]);
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (status, html, _) = post_form(&s, &web, &cookie, "/admin/policy", &refs).await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"escalate_after_urges-err\""), "{html}");
        assert!(
            html.contains("name=\"escalate_after_urges\" id=\"escalate_after_urges\" value=\"0\"")
        );
        assert!(html.contains("超出范围"), "the API's sentence");
        // Not a number: refused at its field, what was typed kept.
        let fields = policy_fields(
            &html,
            &[
                ("escalate_after_urges", "2"),
                ("urge_interval_hours", "一天"),
            ],
        );
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (status, html, _) = post_form(&s, &web, &cookie, "/admin/policy", &refs).await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"urge_interval_hours-err\""));
        assert!(html.contains("value=\"一天\""));
        // More than the type holds: out of range, at its field.
        let fields = policy_fields(
            &html,
            &[
                ("urge_interval_hours", "24"),
                ("behind_schedule_tolerance", "300"),
            ],
        );
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (status, html, _) = post_form(&s, &web, &cookie, "/admin/policy", &refs).await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"behind_schedule_tolerance-err\""));
        assert!(html.contains("超出范围"));
        let admin = s.login("admin").await;
        assert_eq!(
            s.get(&admin, "/api/v1/admin/policy").await.expect(200)["escalate_after_urges"],
            2
        );

        // A good value is saved, through the API's path.
        let fields = policy_fields(
            &html,
            &[
                ("urge_interval_hours", "12"),
                ("behind_schedule_tolerance", "10"),
                ("escalate_after_urges", "3"),
            ],
        );
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (status, _, location) = post_form(&s, &web, &cookie, "/admin/policy", &refs).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/admin/policy?saved=1"));
        let policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        assert_eq!(policy["escalate_after_urges"], 3);
        assert_eq!(policy["urge_interval_hours"], 12);
        assert_eq!(policy["deadline_days"]["normal"], 7, "the rest unchanged");

        // The API's change is trailed too.
        let mut changed = policy.clone();
        changed["review_within_working_days"] = json!(4);
        s.call(
            reqwest::Method::PUT,
            "/api/v1/admin/policy",
            Some(&admin),
            Some(changed),
        )
        .await
        .expect(200);
        let trail = duban_server::admin_trail::page(&s.state.db, 1, 100)
            .await
            .expect("trail");
        let kinds: Vec<&str> = trail.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["policy.update", "policy.update"]);
        assert!(trail[0]
            .before
            .as_deref()
            .is_some_and(|b| b.contains("\"escalate_after_urges\":2")));
        assert!(trail[0]
            .after
            .as_deref()
            .is_some_and(|a| a.contains("\"escalate_after_urges\":3")));
        assert_eq!(
            duban_server::admin_trail::verify(&s.state.db)
                .await
                .expect("verifies"),
            2
        );
    }
);

both!(
    a_category_attribute_reaches_the_registration_form_with_its_label,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "admin").await;
        let (status, html) = page(
            &web,
            &format!("{}/admin/categories/hotline", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"来电人姓名\""));
        // caller_name, caller_phone, hotline_ticket, then two empty rows: add to the first.
        let (status, html, _) = post_form(
            &s,
            &web,
            &cookie,
            "/admin/categories/hotline",
            &[
                ("name_zh", "12345热线工单"),
                ("name_en", "12345 hotline ticket"),
                ("prefix", "热"),
                ("attr-key-0", "caller_name"),
                ("attr-zh-0", "来电人姓名"),
                ("attr-en-0", "Caller's name"),
                ("attr-conf-0", "on"),
                ("attr-key-1", "bad key"),
                ("attr-zh-1", "坏的"),
                ("attr-en-1", ""),
            ],
        )
        .await;
        assert_eq!(status, 422, "a key with a space is refused");
        assert!(html.contains("id=\"attr-err-1\""), "{html}");
        assert!(html.contains("value=\"bad key\""));
        let (status, _, location) = post_form(
            &s,
            &web,
            &cookie,
            "/admin/categories/hotline",
            &[
                ("name_zh", "12345热线工单"),
                ("name_en", "12345 hotline ticket"),
                ("prefix", "热"),
                ("attr-key-0", "caller_name"),
                ("attr-zh-0", "来电人姓名"),
                ("attr-en-0", "Caller's name"),
                ("attr-req-0", "on"),
                ("attr-conf-0", "on"),
                ("attr-key-1", "street"),
                ("attr-zh-1", "所在街道"),
                ("attr-en-1", "Street"),
                ("attr-req-1", "on"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/admin/categories"));
        let admin = s.login("admin").await;
        let policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        let hotline = policy["categories"]
            .as_array()
            .expect("categories")
            .iter()
            .find(|c| c["code"] == "hotline")
            .expect("hotline")
            .clone();
        assert_eq!(
            hotline["required_attributes"],
            json!(["caller_name", "street"])
        );
        assert_eq!(
            hotline["labels"]["street"],
            json!({"zh": "所在街道", "en": "Street"})
        );

        // The registration form shows the label, in the page's language.
        let office = sign_in(&s, &web, "supervisor").await;
        let (status, html) = page(&web, &format!("{}/register", s.base), Some(&office)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("<label>所在街道<input name=\"attr.hotline.street\""),
            "{html}"
        );
        assert!(html.contains("<label>来电人姓名<input name=\"attr.hotline.caller_name\""));

        let trail = duban_server::admin_trail::page(&s.state.db, 1, 100)
            .await
            .expect("trail");
        assert_eq!(trail.len(), 1);
        assert_eq!(
            (trail[0].kind.as_str(), trail[0].subject.as_str()),
            ("category.update", "hotline")
        );
        assert!(trail[0]
            .after
            .as_deref()
            .is_some_and(|a| a.contains("所在街道")));
        assert!(trail[0]
            .before
            .as_deref()
            .is_some_and(|b| !b.contains("所在街道")));

        // A new category: a taken code is refused at the code field, what was typed kept;
        // then a new code is created, and its creation is in the trail.
        let new = |code: &'static str| {
            [
                ("code", code),
                ("name_zh", "信访件"),
                ("name_en", "Petition"),
                ("prefix", "访"),
                ("attr-key-0", "petitioner"),
                ("attr-zh-0", "信访人"),
                ("attr-en-0", ""),
                ("attr-conf-0", "on"),
            ]
        };
        let (status, html, _) =
            post_form(&s, &web, &cookie, "/admin/categories", &new("hotline")).await;
        assert_eq!(status, 422);
        assert!(html.contains("id=\"code-err\""), "{html}");
        assert!(html.contains("value=\"信访件\""));
        let (status, _, _) =
            post_form(&s, &web, &cookie, "/admin/categories", &new("petition")).await;
        assert_eq!(status, 303);
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let petition = org.policy.category("petition").expect("created");
        assert_eq!(petition.confidential_attributes, ["petitioner"]);
        assert_eq!(
            petition.label("petitioner", true),
            "信访人",
            "English falls back to Chinese"
        );
        let trail = duban_server::admin_trail::page(&s.state.db, 1, 100)
            .await
            .expect("trail");
        assert_eq!(trail.len(), 2);
        assert_eq!(
            (
                trail[1].kind.as_str(),
                trail[1].subject.as_str(),
                trail[1].before.as_deref()
            ),
            ("category.create", "petition", None)
        );
        duban_server::admin_trail::verify(&s.state.db)
            .await
            .expect("verifies");
    }
);

/// `duban [--calendar-file FILE] calendar add-working-days DATE N`: the real binary.
fn cli_add(file: Option<&std::path::Path>, date: &str, n: u32) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_duban"));
    if let Some(f) = file {
        cmd.arg("--calendar-file").arg(f);
    }
    let out = cmd
        .args(["calendar", "add-working-days", date, &n.to_string()])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

both!(
    holidays_imported_in_the_console_agree_with_the_command_line,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "admin").await;
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../core/data/calendar/2027.json");
        let bytes = std::fs::read(&shipped).expect("the shipped 2027 file");

        let (_, html) = page(
            &web,
            &format!("{}/admin/calendar?year=2027", s.base),
            Some(&cookie),
        )
        .await;
        assert!(html.contains("id=\"provisional\""));
        let token = form_token(&s, &web, &cookie).await;
        let upload = |bytes: Vec<u8>| {
            let form = reqwest::multipart::Form::new()
                .text("csrf", token.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name("2027.json"),
                );
            web.post(format!("{}/admin/calendar/import", s.base))
                .header(COOKIE, cookie.clone())
                .multipart(form)
                .send()
        };
        // A broken file is refused in place, with the calendar's code's sentence.
        let r = upload(b"{\"year\": 2027, \"days\": [{\"date\": \"2027-01-04\", \"kind\": \"working\", \"name\": \"x\", \"name_en\": \"x\"}]}".to_vec()).await.expect("post");
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("body").contains("id=\"import-err\""));
        let r = upload(bytes).await.expect("post");
        assert_eq!(r.status(), 303);

        // The server's calendar and the command line's, on the same data, agree day by day.
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        assert!(
            org.calendar.is_provisional(2027),
            "the shipped 2027 data stay provisional"
        );
        let start = chrono::NaiveDate::from_ymd_opt(2027, 9, 30).expect("date");
        let server = org.calendar.add_working_days(start, 3);
        assert_eq!(server.to_string(), "2027-10-08");
        assert_eq!(cli_add(Some(&shipped), "2027-09-30", 3), server.to_string());
        for (date, n) in [
            ("2027-02-04", 1),
            ("2027-04-30", 2),
            ("2027-12-30", 1),
            ("2027-01-01", 5),
        ] {
            let d: chrono::NaiveDate = date.parse().expect("date");
            assert_eq!(
                cli_add(Some(&shipped), date, n),
                org.calendar.add_working_days(d, n).to_string(),
                "{date}"
            );
        }
        let (_, html) = page(
            &web,
            &format!("{}/admin/calendar?year=2027&done=import", s.base),
            Some(&cookie),
        )
        .await;
        assert!(html.contains("data-date=\"2027-10-04\""));
        assert!(html.contains("class=\"day holiday\" data-date=\"2027-10-04\""));
        assert!(html.contains("暂定"), "marked provisional in the page");

        // The notice retyped: a holiday and an adjusted working day (not a weekend: refused at
        // its row, typed values kept; then a Saturday).
        let mut notice = vec![
            ("year", "2027"),
            ("title", "国务院办公厅关于2027年部分节假日安排的通知"),
            ("number", "国办发明电〔2026〕1号"),
            ("published", "2026-11-10"),
            ("name-0", "国庆节"),
            ("from-0", "2027-10-01"),
            ("to-0", "2027-10-07"),
            ("work-0", "2027-09-29"),
        ];
        let (status, html, _) =
            post_form(&s, &web, &cookie, "/admin/calendar/notice", &notice).await;
        assert_eq!(status, 422);
        assert!(html.contains("value=\"2027-09-29\""));
        assert!(html.contains("不是周六或周日"), "{html}");
        notice[7] = ("work-0", "2027-09-26, 2027-10-09");
        let (status, _, _) = post_form(&s, &web, &cookie, "/admin/calendar/notice", &notice).await;
        assert_eq!(status, 303);
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        assert!(!org.calendar.is_provisional(2027));
        assert_eq!(
            org.calendar.add_working_days(start, 3).to_string(),
            "2027-10-11"
        );
        // Editing one day.
        let (status, _, _) = post_form(
            &s,
            &web,
            &cookie,
            "/admin/calendar/day",
            &[
                ("date", "2027-10-11"),
                ("kind", "holiday"),
                ("name", "县庆"),
                ("name_en", "County day"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        assert_eq!(
            org.calendar.add_working_days(start, 3).to_string(),
            "2027-10-12"
        );
        let admin = s.login("admin").await;
        let year = s
            .get(&admin, "/api/v1/admin/calendar/2027")
            .await
            .expect(200);
        assert_eq!(year["source"]["number"], "国办发明电〔2026〕1号");

        let trail = duban_server::admin_trail::page(&s.state.db, 1, 100)
            .await
            .expect("trail");
        let kinds: Vec<&str> = trail.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["calendar.import", "calendar.notice", "calendar.day"]
        );
        assert!(trail.iter().all(|r| r.subject == "2027"));
        assert_eq!(
            duban_server::admin_trail::verify(&s.state.db)
                .await
                .expect("verifies"),
            3
        );
    }
);

/// The providers' page with push and SMS settings that hold secrets.
async fn providers_page(backend: Backend) {
    let mut config = duban_server::config::Config::default();
    config.push.hms_app_id = Some("app-10086".into());
    config.push.hms_app_secret = Some("HMS-SECRET-0xDEADBEEF".into());
    config.push.sms_gateway = Some("webhook".into());
    config.push.sms_url = Some("http://127.0.0.1:9/sms".into());
    config.push.sms_secret = Some("SMS-SECRET-hunter2".into());
    config.push.xiaomi_app_secret = Some("XIAOMI-SECRET-kiwifruit".into());
    config.push.xiaomi_package = Some("cn.gov.duban.app".into());
    config.push.xiaomi_channel_id = Some("duban_work".into());
    config.push.oppo_app_key = Some("oppo-key-5151".into());
    config.push.oppo_master_secret = Some("OPPO-MASTER-mango".into());
    config.push.oppo_channel_id = Some("duban_work".into());
    let s = start_with(backend, config).await;
    s.fixture().await;
    // Sends on record: an SMS delivered, one refused by the gateway (whose reason echoes the
    // secret), and a dead FCM token two days ago.
    let now = s.state.clock.now().timestamp_millis();
    s.state
        .db
        .exec(
            "INSERT INTO notifications (id, user_id, task, task_seq, kind, zh, en, urgency, created_at) \
             VALUES ('n1', 'u1', 't1', 1, 'urged', '催办', 'urged', 'urgent', $1)",
            vec![duban_server::db::Val::from(now)],
        )
        .await
        .expect("notification");
    for (channel, target, provider, outcome, detail, ago) in [
        ("sms", "13800000001", "sms", "sent", "msg-1", 3_600_000_i64),
        (
            "sms",
            "13800000002",
            "sms",
            "failed",
            "refused: bad signature for SMS-SECRET-hunter2",
            1_800_000,
        ),
        (
            "push",
            "device-1",
            "fcm",
            "dead",
            "UNREGISTERED",
            48 * 3_600_000,
        ),
    ] {
        s.state
            .db
            .exec(
                "INSERT INTO deliveries (notification, channel, target, provider, outcome, detail, at) \
                 VALUES ('n1', $1, $2, $3, $4, $5, $6)",
                vec![
                    channel.into(),
                    target.into(),
                    provider.into(),
                    outcome.into(),
                    detail.into(),
                    duban_server::db::Val::from(now - ago),
                ],
            )
            .await
            .expect("delivery");
    }
    let web = browser();
    let cookie = sign_in(&s, &web, "admin").await;
    let (status, html) = page(&web, &format!("{}/admin/delivery", s.base), Some(&cookie)).await;
    assert!(html.contains("送达 1 条,失败 1 条"), "{html}");
    assert!(html.contains("发送失败"));
    assert!(html.contains("refused: bad signature for •••"));
    assert!(html.contains("设备令牌已失效"));
    assert!(html.contains("UNREGISTERED"));
    assert!(
        html.contains("送达 0 条,失败 0 条"),
        "the dead token is older than 24 hours"
    );
    assert_eq!(status, 200);
    assert!(html.contains("app-10086"));
    assert!(html.contains("已设置(不显示)"));
    assert!(html.contains("谷歌推送 <code class=\"err-code\">fcm</code>"));
    assert!(html.contains("小米推送 <code class=\"err-code\">xiaomi</code>"));
    assert!(html.contains("cn.gov.duban.app") && html.contains("oppo-key-5151"));
    for secret in [
        "XIAOMI-SECRET-kiwifruit",
        "OPPO-MASTER-mango",
        "HMS-SECRET-0xDEADBEEF",
        "SMS-SECRET-hunter2",
        "DEADBEEF",
        "hunter2",
    ] {
        assert!(!html.contains(secret), "{secret} shown");
    }
    let office = sign_in(&s, &web, "supervisor").await;
    let (status, _) = page(&web, &format!("{}/admin/delivery", s.base), Some(&office)).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_page_never_shows_a_secret_sqlite() {
    providers_page(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_page_never_shows_a_secret_postgres() {
    providers_page(Backend::Postgres).await;
}

#[test]
fn the_holiday_reminder_starts_on_1_december() {
    use duban_core::domain::Calendar;
    use duban_server::web::holidays_missing;
    let cal = Calendar::builtin();
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().expect("instant");
    // 1 December 2026 00:30 in Beijing is still 30 November in UTC.
    assert_eq!(
        holidays_missing(&cal, at("2026-11-30T16:30:00Z")),
        Some(2027)
    );
    assert_eq!(holidays_missing(&cal, at("2026-11-30T15:30:00Z")), None);
    let mut with_provisional = cal.clone();
    with_provisional
        .import_year(duban_core::domain::calendar::provisional_2027())
        .expect("imports");
    assert_eq!(
        holidays_missing(&with_provisional, at("2026-12-07T00:00:00Z")),
        Some(2027)
    );
    // 2026's own notice is built in: no reminder in December 2025.
    assert_eq!(holidays_missing(&cal, at("2025-12-07T00:00:00Z")), None);
}

both!(
    administrators_are_told_from_1_december_that_next_years_holidays_are_missing,
    |s: Server| async move {
        s.fixture().await;
        // To 2 December (noon in Beijing), this year's or next.
        let now = s.state.clock.now();
        let this = now.format("%Y").to_string().parse::<i32>().expect("year");
        let target = |y: i32| {
            format!("{y}-12-02T04:00:00Z")
                .parse::<chrono::DateTime<chrono::Utc>>()
                .expect("instant")
        };
        let to = if target(this) > now {
            target(this)
        } else {
            target(this + 1)
        };
        s.state.clock.advance(to - now);
        let next = to.format("%Y").to_string().parse::<i32>().expect("year") + 1;

        let web = browser();
        let admin = sign_in(&s, &web, "admin").await;
        let supervisor = sign_in(&s, &web, "supervisor").await;
        for path in ["/admin", "/workbench", "/overview"] {
            let (status, html) = page(&web, &format!("{}{path}", s.base), Some(&admin)).await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains("id=\"holidays-missing-banner\""), "{path}");
            assert!(
                html.contains(&format!("尚无 {next} 年的节假日安排")),
                "{path}"
            );
        }
        let (_, html) = page(&web, &format!("{}/workbench", s.base), Some(&supervisor)).await;
        assert!(
            !html.contains("holidays-missing-banner"),
            "administrators only"
        );
        let (_, html) = page(&web, &format!("{}/items", s.base), Some(&admin)).await;
        assert!(
            !html.contains("holidays-missing-banner"),
            "not on every page"
        );

        // Provisional data do not end it; the notice's data do.
        let token = s.login("admin").await;
        let mut data = json!({"year": next, "provisional": true, "days": [
            {"date": format!("{next}-01-01"), "kind": "holiday", "name": "元旦", "name_en": "New Year's Day"}
        ]});
        s.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/calendar/{next}"),
            Some(&token),
            Some(data.clone()),
        )
        .await
        .expect(200);
        let (_, html) = page(&web, &format!("{}/admin", s.base), Some(&admin)).await;
        assert!(html.contains("holidays-missing-banner"));
        data["provisional"] = json!(false);
        s.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/calendar/{next}"),
            Some(&token),
            Some(data),
        )
        .await
        .expect(200);
        let (_, html) = page(&web, &format!("{}/admin", s.base), Some(&admin)).await;
        assert!(!html.contains("holidays-missing-banner"));
        let trail = duban_server::admin_trail::page(&s.state.db, 1, 100)
            .await
            .expect("trail");
        assert_eq!(trail.len(), 2);
        assert!(trail.iter().all(|r| r.kind == "calendar.import"));
        assert!(trail[1]
            .before
            .as_deref()
            .is_some_and(|b| b.contains("\"provisional\":true")));
    }
);
