//! Finding and reading on the pages (issue 18): the inbox page and the unread count in the
//! header, reading there stopping the climb to push and SMS and reaching the phones through
//! the feed (a `read` change for that person only, to clients that ask for it); the item
//! list's eight views against `GET /api/v1/tasks`, keyword search by number, content, unit
//! and the title's pinyin on the page and the API; the deputy leader's portal and the main
//! leader's approvals on the demo.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use duban_server::db::Val;
use duban_server::notify::deliver_due;
use duban_server::push::Providers;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{json, Value};
use std::sync::Arc;

use crate::push::{aliyun, fake_fcm, fake_sms, provider};
use crate::support::*;
use crate::web::{browser, demo_sign_in, form_token, number_after, page, sign_in};

/// Posts a page form with the session's token.
async fn post_form(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = form_token(s, web, cookie).await;
    let mut form = fields.to_vec();
    form.push(("csrf", &token));
    web.post(format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .form(&form)
        .send()
        .await
        .expect("post")
}

/// The header's unread count on a page.
fn header_unread(html: &str) -> u64 {
    assert!(
        html.contains("id=\"inbox-link\"") && html.contains("href=\"/inbox\""),
        "the header links to the inbox"
    );
    number_after(html, "id=\"unread-count\">")
}

/// The values of `attr="…"` in `html`, in order.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let marker = format!("{attr}=\"");
    html.match_indices(&marker)
        .map(|(i, _)| {
            html[i + marker.len()..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The part of `html` from the element with this id to the end of its section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// `read` changes in a person's feed after `after` (with `reads=true` or not).
async fn reads_in_feed(s: &Server, token: &str, after: i64, reads: bool) -> Vec<Value> {
    let r = s
        .get(
            token,
            &format!("/api/v1/sync/pull?after={after}&limit=1000&reads={reads}"),
        )
        .await
        .expect(200);
    r["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["type"] == "read")
        .cloned()
        .collect()
}

both!(
    the_inbox_page_lists_marks_read_and_tells_the_phones,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        let t = tid();
        s.ok(&sup, register(&t, "清理河道垃圾")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        s.ok(
            &sup,
            simple(
                &t,
                "urge",
                json!({"channel": "message", "note": "请尽快处理"}),
            ),
        )
        .await;
        let before = s.changes_count().await;
        let head = s
            .get(&staff, "/api/v1/sync/pull?after=0&limit=1")
            .await
            .expect(200)["head"]
            .as_i64()
            .expect("head");

        let web = browser();
        let cookie = sign_in(&s, &web, "staff-a").await;
        // Every signed-in page's header links to the inbox with the count.
        let (status, overview) = page(&web, &format!("{}/overview", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert_eq!(header_unread(&overview), 2, "the dispatch and the urging");

        // The inbox: newest first (the urging), both unread, each opening its item.
        let (status, inbox) = page(&web, &format!("{}/inbox", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{inbox}");
        let api = s.get(&staff, "/api/v1/notifications").await.expect(200);
        let ids: Vec<String> = api["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(attrs(&inbox, "data-note"), ids, "the API's order");
        assert_eq!(ids.len(), 2);
        assert_eq!(inbox.matches("class=\"note unread\"").count(), 2);
        assert!(
            inbox.contains("请尽快处理") || inbox.contains("催办"),
            "{inbox}"
        );
        assert_eq!(number_after(&inbox, "data-unread=\""), 2);
        assert!(inbox.contains("aria-current=\"page\">通知 <span"), "here");

        // Opening the urging marks it read and goes to the item.
        let urging = &ids[0];
        let r = post_form(
            &s,
            &web,
            &cookie,
            &format!("/inbox/{urging}/open"),
            &[("task", t.as_str())],
        )
        .await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], format!("/items/{t}").as_str());
        let api = s.get(&staff, "/api/v1/notifications").await.expect(200);
        assert_eq!(api["unread"], 1, "{api}");
        assert!(api["items"][0]["read_at"].is_string(), "{api}");
        assert!(api["items"][1]["read_at"].is_null(), "{api}");
        let (_, inbox) = page(&web, &format!("{}/inbox", s.base), Some(&cookie)).await;
        assert_eq!(inbox.matches("class=\"note unread\"").count(), 1);
        assert_eq!(inbox.matches("class=\"note read\"").count(), 1);
        assert_eq!(header_unread(&inbox), 1);
        let (_, unread_only) = page(
            &web,
            &format!("{}/inbox?unread=true", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(attrs(&unread_only, "data-note"), vec![ids[1].clone()]);

        // Through the feed: one `read` change, for this person only, to a client asking.
        assert_eq!(s.changes_count().await, before + 1);
        let seen = reads_in_feed(&s, &staff, head, true).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        let urged_seq = api["items"][0]["task_seq"].as_u64().unwrap();
        assert_eq!(
            seen[0]["events"],
            json!([{"task": t, "task_seq": urged_seq}])
        );
        assert!(
            reads_in_feed(&s, &staff, head, false).await.is_empty(),
            "an older client is not sent what it cannot read"
        );
        assert!(
            reads_in_feed(&s, &sup, head, true).await.is_empty(),
            "nobody else's"
        );
        let typed: duban_core::protocol::PullResponse = serde_json::from_value(
            s.get(
                &staff,
                &format!("/api/v1/sync/pull?after={head}&limit=1000&reads=true"),
            )
            .await
            .expect(200),
        )
        .expect("the phone's type reads it");
        assert!(typed.changes.iter().any(|c| matches!(
            c,
            duban_core::protocol::Change::Read { events, .. } if events.len() == 1
        )));

        // Mark one read from the list (as htmx posts it), then all.
        let token = form_token(&s, &web, &cookie).await;
        let r = web
            .post(format!("{}/inbox/{}/read", s.base, ids[1]))
            .header(COOKIE, &cookie)
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("back", "/inbox")])
            .send()
            .await
            .expect("read");
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], "/inbox");
        let api = s.get(&staff, "/api/v1/notifications").await.expect(200);
        assert_eq!(api["unread"], 0, "{api}");
        assert_eq!(reads_in_feed(&s, &staff, head, true).await.len(), 2);

        // A new one; mark all read.
        s.ok(
            &sup,
            simple(
                &t,
                "urge",
                json!({"channel": "message", "note": "再次催办"}),
            ),
        )
        .await;
        let (_, inbox) = page(&web, &format!("{}/inbox", s.base), Some(&cookie)).await;
        assert_eq!(header_unread(&inbox), 1);
        assert!(inbox.contains("id=\"read-all\""));
        let r = post_form(&s, &web, &cookie, "/inbox/read-all", &[("back", "/inbox")]).await;
        assert_eq!(r.status(), 303);
        let (_, inbox) = page(&web, &format!("{}/inbox", s.base), Some(&cookie)).await;
        assert_eq!(header_unread(&inbox), 0);
        assert_eq!(inbox.matches("class=\"note unread\"").count(), 0);
        assert!(!inbox.contains("id=\"read-all\""), "nothing left to mark");
        assert_eq!(reads_in_feed(&s, &staff, head, true).await.len(), 3);

        // The API's receipts reach the feed the same way.
        s.ok(
            &sup,
            simple(
                &t,
                "urge",
                json!({"channel": "message", "note": "第三次催办"}),
            ),
        )
        .await;
        let read = s
            .post(&staff, "/api/v1/notifications/read", json!({"all": true}))
            .await
            .expect(200);
        assert_eq!(read, json!({"marked": 1, "unread": 0}));
        assert_eq!(reads_in_feed(&s, &staff, head, true).await.len(), 4);

        // Not signed in: to sign in, coming back to the inbox; a forged form is refused.
        let (status, _) = page(&web, &format!("{}/inbox", s.base), None).await;
        assert_eq!(status, 303);
        let r = web
            .post(format!("{}/inbox/read-all", s.base))
            .header(COOKIE, &cookie)
            .form(&[("csrf", "0".repeat(64).as_str())])
            .send()
            .await
            .expect("forged");
        assert_eq!(r.status(), 403);
    }
);

type SmsSeen = Arc<std::sync::Mutex<Vec<std::collections::BTreeMap<String, String>>>>;

async fn providers() -> (Providers, SmsSeen) {
    let (fcm_base, _) = fake_fcm(3600).await;
    let (sms_base, sms_seen) = fake_sms().await;
    let p = Providers {
        fcm: Some(Arc::new(provider(&fcm_base))),
        sms: Some(Arc::new(aliyun(&sms_base, "aliyun-secret"))),
        ..Providers::default()
    };
    (p, sms_seen)
}

both!(
    an_urging_opened_in_the_inbox_climbs_no_further_to_sms,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let mut policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        policy["delivery"]["quiet_hours"] = Value::Null;
        s.call(
            reqwest::Method::PUT,
            "/api/v1/admin/policy",
            Some(&admin),
            Some(policy),
        )
        .await
        .expect(200);
        let (p, sms) = providers().await;
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
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
        let mut reg = register(&t, "排查燃气隐患");
        reg["command"]["urgency"] = json!("urgent");
        s.ok(&sup, reg).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let now = Utc::now();
        // The push goes at once.
        let first = deliver_due(&s.state, &p, now + Duration::seconds(1))
            .await
            .expect("deliver");
        assert_eq!(first.sent, 1, "{first:?}");

        // Opened in the inbox on the PC before the SMS is due.
        let web = browser();
        let cookie = sign_in(&s, &web, "staff-a").await;
        let (_, inbox) = page(&web, &format!("{}/inbox", s.base), Some(&cookie)).await;
        let id = attrs(&inbox, "data-note")
            .into_iter()
            .next()
            .expect("in the inbox");
        let r = post_form(
            &s,
            &web,
            &cookie,
            &format!("/inbox/{id}/open"),
            &[("task", t.as_str())],
        )
        .await;
        assert_eq!(r.status(), 303);
        let later = deliver_due(&s.state, &p, now + Duration::minutes(31))
            .await
            .expect("deliver");
        assert_eq!((later.read, later.sent), (1, 0), "{later:?}");
        assert!(sms.lock().unwrap().is_empty(), "no SMS for the read one");
        assert_eq!(
            deliver_due(&s.state, &p, now + Duration::hours(3))
                .await
                .expect("deliver")
                .sent,
            0
        );
    }
);

/// The ids and total of `GET /api/v1/tasks` with these parameters (page 1, 20 a page).
async fn api_list(s: &Server, token: &str, params: &str) -> (Vec<String>, u64) {
    let r = s
        .get(token, &format!("/api/v1/tasks?per_page=20&{params}"))
        .await
        .expect(200);
    (
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect(),
        r["total"].as_u64().unwrap(),
    )
}

/// The ids (in order, once each) and total the list page shows.
async fn page_list(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    params: &str,
) -> (Vec<String>, u64, String) {
    let (status, html) = page(web, &format!("{}/items?{params}", s.base), Some(cookie)).await;
    assert_eq!(status, 200, "{params}: {html}");
    let mut ids = Vec::new();
    for id in attrs(&html, "data-item") {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let total = number_after(&html, "data-total=\"");
    (ids, total, html)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

both!(
    the_item_list_shows_each_view_and_finds_by_keyword_content_unit_and_pinyin,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();

        // Each of the eight views, for people of every kind: the page lists what the API does.
        for who in ["supervisor", "deputy1", "head-fgj", "staff-fgj", "leader"] {
            let token = s.login_with(who, duban_server::demo::DEMO_PASSWORD).await;
            let cookie = demo_sign_in(&s, &web, who).await;
            for view in [
                "all",
                "instructed",
                "responsible",
                "created",
                "department",
                "subordinates",
                "followed",
                "shared",
            ] {
                let (api_ids, api_total) = api_list(&s, &token, &format!("view={view}")).await;
                let (ids, total, html) =
                    page_list(&s, &web, &cookie, &format!("view={view}")).await;
                assert_eq!((ids, total), (api_ids, api_total), "{who}: {view}");
                let current = format!("data-view=\"{view}\" aria-current=\"page\"");
                assert!(html.contains(&current), "{who}: {view} is marked current");
                assert_eq!(
                    html.matches("aria-current=\"page\"").count(),
                    2,
                    "the view and the nav's 事项"
                );
            }
        }

        // Keyword search, as the supervisor (who reads every item).
        let token = s
            .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
            .await;
        let cookie = demo_sign_in(&s, &web, "supervisor").await;
        let title_of = |ids: &[String], all: &Value| -> Vec<String> {
            ids.iter()
                .map(|id| {
                    all.as_array()
                        .unwrap()
                        .iter()
                        .find(|i| i["id"] == json!(id))
                        .map(|i| i["title"].as_str().unwrap().to_owned())
                        .unwrap_or_default()
                })
                .collect()
        };
        let everything = s
            .get(&token, "/api/v1/tasks?per_page=200")
            .await
            .expect(200)["items"]
            .clone();
        for (q, title) in [
            // The title's pinyin initials (占道经营), its whole syllables, a word of it.
            ("zdjy", "12345热线:城南农贸市场周边占道经营"),
            ("ZhanDaoJingYing", "12345热线:城南农贸市场周边占道经营"),
            ("pslm", "县政府常务会议决定事项:县城区主干道破损路面修复"),
            ("农贸市场", "12345热线:城南农贸市场周边占道经营"),
            // Only in the content.
            ("负压病房", "县政府常务会议决定事项:县人民医院发热门诊改造"),
        ] {
            let (api_ids, api_total) = api_list(&s, &token, &format!("q={}", enc(q))).await;
            let (ids, total, html) = page_list(&s, &web, &cookie, &format!("q={}", enc(q))).await;
            assert_eq!((&ids, total), (&api_ids, api_total), "{q}");
            let titles = title_of(&ids, &everything);
            assert!(
                titles.iter().any(|t| t == title),
                "{q} finds {title}: {titles:?}"
            );
            assert!(
                total < everything.as_array().unwrap().len() as u64,
                "{q} narrows"
            );
            assert!(
                html.contains(&format!("value=\"{q}\"")),
                "{q} is kept in the box"
            );
        }
        // By number.
        let first = &everything[0];
        let number = first["number"].as_str().unwrap();
        let (ids, _) = api_list(&s, &token, &format!("q={}", enc(number))).await;
        assert!(
            ids.contains(&first["id"].as_str().unwrap().to_owned()),
            "{number}"
        );
        // By unit: every item the unit leads, as the unit filter lists them.
        let units = s
            .get(&token, "/api/v1/sync/snapshot?items=false")
            .await
            .expect(200)["units"]
            .clone();
        let fgj = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == "县发展和改革局")
            .expect("the demo's 发改局");
        let (_, led) = api_list(&s, &token, &format!("unit={}", fgj["id"].as_str().unwrap())).await;
        assert!(led > 0);
        let (api_ids, api_total) =
            api_list(&s, &token, &format!("q={}", enc("发展和改革局"))).await;
        let (ids, total, _) =
            page_list(&s, &web, &cookie, &format!("q={}", enc("发展和改革局"))).await;
        assert_eq!((ids, total), (api_ids, api_total));
        assert!(total >= led, "{total} ≥ {led}");
        // With the status filter and a view, the page and the API still agree.
        let params = format!("view=all&q={}&status=in_progress", enc("gc"));
        let (api_ids, api_total) = api_list(&s, &token, &params).await;
        let (ids, total, _) = page_list(&s, &web, &cookie, &params).await;
        assert_eq!((ids, total), (api_ids, api_total));
        // Paging: page 2 is the API's page 2.
        let (api_ids, _) = api_list(&s, &token, "page=2").await;
        let (ids, _, html) = page_list(&s, &web, &cookie, "page=2").await;
        assert_eq!(ids, api_ids);
        assert!(html.contains("id=\"prev\""));
        // A bad filter is shown on the page, not as JSON.
        let (_, _, html) = page_list(&s, &web, &cookie, "status=bogus").await;
        assert!(html.contains("data-code=\"query.bad_filter\""), "{html}");

        // Rows written before the search text was kept are filled in at start-up.
        s.state
            .db
            .exec("UPDATE tasks SET search = '', search_content = ''", vec![])
            .await
            .expect("clear");
        let (ids, _) = api_list(&s, &token, "q=zdjy").await;
        assert!(ids.is_empty());
        let n = duban_server::search::backfill(&s.state.db)
            .await
            .expect("backfill");
        assert_eq!(n, everything.as_array().unwrap().len());
        let (ids, _) = api_list(&s, &token, "q=zdjy").await;
        assert!(!ids.is_empty());
        let (ids, _) = api_list(&s, &token, &format!("q={}", enc("负压病房"))).await;
        assert!(!ids.is_empty(), "the content too");
    }
);

both!(
    the_deputy_leaders_portal_and_the_main_leaders_approvals,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();

        // deputy1: home is the portal.
        let cookie = demo_sign_in(&s, &web, "deputy1").await;
        let r = web
            .get(format!("{}/", s.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("home");
        assert_eq!(r.headers()[LOCATION], "/leader");
        let (status, html) = page(&web, &format!("{}/leader", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        let units = section(&html, "units");
        for name in ["县发展和改革局", "县财政局"] {
            assert!(units.contains(name), "{name} in deputy1's charge: {units}");
        }
        assert!(!units.contains("县教育局"), "not theirs");
        // Each unit's lights add up to the items the API lists for it.
        let token = s
            .login_with("deputy1", duban_server::demo::DEMO_PASSWORD)
            .await;
        let unit_ids = attrs(units, "data-unit");
        assert_eq!(unit_ids.len(), 4, "fgj, czj, zjj, cgz");
        for u in &unit_ids {
            let (_, total) = api_list(&s, &token, &format!("unit={u}")).await;
            let row = &units[units.find(&format!("data-unit=\"{u}\"")).unwrap()..];
            let row = &row[..row.find("</tr>").unwrap()];
            let lights: u64 = ["green", "yellow", "red", "none"]
                .iter()
                .map(|c| {
                    number_after(
                        row,
                        &format!("data-light=\"{c}\"><span class=\"dot {c}\"></span>"),
                    )
                })
                .sum();
            let items = number_after(row, "data-label=\"事项数\" class=\"num\">");
            assert_eq!((items, lights), (total, total), "{u}");
        }
        // What awaits their decision: the suspension the demo leaves for them.
        let decisions = section(&html, "decisions");
        assert!(
            decisions.contains("data-duty=\"decide_suspension\"")
                && decisions.contains("争取中央预算内投资项目申报"),
            "{decisions}"
        );
        let duties: BTreeSet<String> = attrs(decisions, "data-duty").into_iter().collect();
        for d in &duties {
            assert!(
                [
                    "approve_registration",
                    "approve_report",
                    "decide_extension",
                    "decide_suspension",
                    "decide_resumption"
                ]
                .contains(&d.as_str()),
                "{d}"
            );
        }
        assert!(html.contains("href=\"/leader\""), "in the nav");

        // deputy3: the extension waiting for them.
        let cookie3 = demo_sign_in(&s, &web, "deputy3").await;
        let (_, html3) = page(&web, &format!("{}/leader", s.base), Some(&cookie3)).await;
        let d3 = section(&html3, "decisions");
        assert!(
            d3.contains("data-duty=\"decide_extension\"") && d3.contains("县人民医院发热门诊改造"),
            "{d3}"
        );

        // The county head: the overview, the approvals waiting above it.
        let lc = demo_sign_in(&s, &web, "leader").await;
        let r = web
            .get(format!("{}/", s.base))
            .header(COOKIE, &lc)
            .send()
            .await
            .expect("home");
        assert_eq!(r.headers()[LOCATION], "/overview");
        let (_, ov) = page(&web, &format!("{}/overview", s.base), Some(&lc)).await;
        let approvals = section(&ov, "decisions");
        assert!(
            approvals.contains("data-duty=\"approve_registration\"")
                && approvals.contains("清河县工业园区污水处理厂二期工程"),
            "{approvals}"
        );
        assert!(
            ov.find("id=\"decisions\"").unwrap() < ov.find("id=\"total\"").unwrap(),
            "above the overview"
        );
        // Not a leader's page for others.
        let sc = demo_sign_in(&s, &web, "staff-fgj").await;
        let (_, ov) = page(&web, &format!("{}/overview", s.base), Some(&sc)).await;
        assert!(!ov.contains("id=\"decisions\""));
        let r = web
            .get(format!("{}/leader", s.base))
            .header(COOKIE, &sc)
            .send()
            .await
            .expect("leader");
        assert_eq!(r.status(), 303);
    }
);

/// Checks that the page does not scroll sideways at the window's width.
async fn fits(b: &crate::browser::Browser, what: &str) {
    let wide = b
        .script("return document.documentElement.scrollWidth <= window.innerWidth")
        .await;
    assert_eq!(wide, true, "{what} scrolls sideways");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_inbox_opens_an_urging_and_search_finds_by_pinyin() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let pw = duban_server::demo::DEMO_PASSWORD;
    let sup = s.login_with("supervisor", pw).await;
    let staff = s.login_with("staff-fgj", pw).await;
    // The office urges one of staff-fgj's items in progress.
    let mine = s
        .get(
            &staff,
            "/api/v1/tasks?view=responsible&status=in_progress&per_page=50",
        )
        .await
        .expect(200);
    let mut urged = None;
    for item in mine["items"].as_array().expect("items") {
        let task = item["id"].as_str().unwrap().to_owned();
        let out = s
            .push(
                &sup,
                vec![simple(
                    &task,
                    "urge",
                    json!({"channel": "message", "note": "请今天报送进度"}),
                )],
            )
            .await
            .remove(0);
        if out["status"] == "accepted" {
            urged = Some((task, item["title"].as_str().unwrap().to_owned()));
            break;
        }
    }
    let (task, title) = urged.expect("an item of staff-fgj the office may urge");
    let inbox = s.get(&staff, "/api/v1/notifications").await.expect(200);
    let urging = inbox["items"][0].clone();
    assert_eq!(urging["task"], json!(task), "the urging is the newest");
    assert!(urging["read_at"].is_null());

    let b = crate::browser::Browser::start().await;
    for (width, height, size) in [(1440, 900, "pc"), (390, 844, "phone")] {
        b.resize(width, height).await;
        b.sign_in(&s.base, "staff-fgj").await;
        b.wait_for(
            "return !!document.querySelector('#inbox-link')",
            "the header's inbox link",
        )
        .await;

        // The inbox shows the urging first; opening it marks it read and shows the item.
        b.go(&format!("{}/inbox", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('ul.inbox li.note')",
            "the inbox",
        )
        .await;
        if size == "pc" {
            let first = b
                .script("return document.querySelector('ul.inbox li.note').dataset.task")
                .await;
            assert_eq!(first, json!(task));
            let unread = b
                .script("return document.querySelector('ul.inbox li.note').classList.contains('unread')")
                .await;
            assert_eq!(unread, true, "marked unread");
            b.check_page(&format!("inbox-{size}")).await;
            b.click("ul.inbox li.note .open-note").await;
            b.wait_for(
                &format!("return location.pathname === '/items/{task}'"),
                "the item",
            )
            .await;
            let api = s.get(&staff, "/api/v1/notifications").await.expect(200);
            let n = api["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["id"] == urging["id"])
                .expect("still listed")
                .clone();
            assert!(n["read_at"].is_string(), "opening it read it: {n}");
            b.go(&format!("{}/inbox", s.base)).await;
            let read = b
                .script(&format!(
                    "return document.querySelector('li.note[data-note=\"{}\"]').classList.contains('read')",
                    urging["id"].as_str().unwrap()
                ))
                .await;
            assert_eq!(read, true, "shown read");
        } else {
            fits(&b, "the inbox").await;
            b.check_page(&format!("inbox-{size}")).await;
            // Mark one read in place (htmx swaps the list and the header's count).
            let before = b
                .script("return document.querySelectorAll('ul.inbox li.note.unread').length")
                .await
                .as_u64()
                .expect("a count");
            assert!(before > 0, "the dispatch is still unread");
            b.script("document.body.dataset.stay = 'yes'; return true")
                .await;
            b.click("ul.inbox li.note.unread .mark-read").await;
            b.wait_for(
                &format!(
                    "return document.querySelectorAll('ul.inbox li.note.unread').length === {} \
                     && document.querySelector('#unread-count').textContent.trim() === '{}'",
                    before - 1,
                    before - 1
                ),
                "the list and the count swapped in",
            )
            .await;
            let stayed = b
                .script("return document.body.dataset.stay === 'yes'")
                .await;
            assert_eq!(stayed, true, "swapped in place, not reloaded");
        }

        // Search by keyword and by the title's pinyin initials.
        let initials = duban_server::search::pinyin_of(&title).0;
        let probe: String = initials
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        for q in [
            title
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<String>(),
            probe,
        ] {
            b.go(&format!("{}/items", s.base)).await;
            b.type_into("#q", &q).await;
            b.click("#search").await;
            b.wait_for(
                &format!("return location.search.includes('q=') && !!document.querySelector('#item-list tr[data-item=\"{task}\"]')"),
                &format!("{q} finds the item"),
            )
            .await;
            if size == "phone" {
                fits(&b, "the item list").await;
            }
            b.check_page(&format!(
                "search-{}-{size}",
                if q.is_ascii() { "pinyin" } else { "keyword" }
            ))
            .await;
        }
        // The views switch, the current one marked.
        b.click("#views a[data-view=\"responsible\"]").await;
        b.wait_for(
            "return document.querySelector('#views a[aria-current=\"page\"]').dataset.view === 'responsible'",
            "the responsible view",
        )
        .await;
        if size == "phone" {
            fits(&b, "a view").await;
        }
    }

    // The deputy leader's portal as home, at phone width.
    b.sign_in(&s.base, "deputy1").await;
    b.wait_for(
        "return location.pathname === '/leader'",
        "the portal as home",
    )
    .await;
    fits(&b, "the deputy leader's portal").await;
    b.check_page("portal-leader-phone").await;
    b.resize(1440, 900).await;
    b.check_page("portal-leader-pc").await;
}
