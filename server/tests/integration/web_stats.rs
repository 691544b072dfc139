//! The statistics page against `GET /api/v1/stats`, a person's calendar and who may open it,
//! monitoring's anomalies built with real commands, the unit head's and personal portals
//! against the core's duty rule, the home page per role; and all of them in a real browser.

use std::collections::BTreeSet;

use chrono::{Duration, DurationRound, Utc};
use duban_core::domain::derived::duty::duties;
use duban_core::domain::{Context, TaskState, UserId};
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::support::*;
use crate::web::{browser, demo_sign_in, number_after, page, sign_in};

/// An attribute's value as the browser reads it (askama escapes HTML's specials).
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `data-NAME` attribute of the chart canvas `chart-DIM`, parsed as JSON.
fn chart_data(html: &str, dim: &str, name: &str) -> Value {
    let at = html
        .find(&format!("id=\"chart-{dim}\""))
        .unwrap_or_else(|| panic!("no chart of {dim}"));
    let rest = &html[at..];
    let marker = format!(" data-{name}=\"");
    let start = rest.find(&marker).expect("attribute") + marker.len();
    let end = start + rest[start..].find('"').expect("end of attribute");
    serde_json::from_str(&unescape(&rest[start..end])).expect("JSON in the attribute")
}

/// The number a page shows in the element with this id.
fn figure(html: &str, id: &str) -> u64 {
    number_after(html, &format!("id=\"{id}\">"))
}

/// Checks the page's figures and every chart against the API's answer.
fn same_figures(html: &str, api: &Value, who: &str) {
    for key in ["total", "overdue", "escalated"] {
        assert_eq!(json!(figure(html, key)), api[key], "{who}: {key}");
    }
    assert_eq!(
        json!(figure(html, "due")),
        api["completion"]["due"],
        "{who}"
    );
    assert_eq!(
        json!(figure(html, "on-time")),
        api["completion"]["on_time"],
        "{who}"
    );
    for (dim, key) in [
        ("unit", "by_unit"),
        ("person", "by_person"),
        ("category", "by_category"),
        ("status", "by_status"),
        ("urgency", "by_urgency"),
        ("light", "by_light"),
    ] {
        let buckets = api[key].as_array().expect("buckets");
        if buckets.is_empty() {
            assert!(
                !html.contains(&format!("id=\"chart-{dim}\"")),
                "{who}: {dim}"
            );
            continue;
        }
        let values: Vec<Value> = buckets.iter().map(|b| b["count"].clone()).collect();
        let labels: Vec<Value> = buckets
            .iter()
            .map(|b| {
                if b["zh"].is_null() {
                    json!("未指定")
                } else {
                    b["zh"].clone()
                }
            })
            .collect();
        assert_eq!(
            chart_data(html, dim, "values"),
            json!(values),
            "{who}: {dim}"
        );
        assert_eq!(
            chart_data(html, dim, "labels"),
            json!(labels),
            "{who}: {dim}"
        );
        for b in buckets {
            let cell = format!("<tr data-key=\"{}\">", b["key"].as_str().expect("key"));
            assert!(html.contains(&cell), "{who}: {dim} has no row {cell}");
        }
    }
}

both!(
    the_statistics_page_shows_the_apis_figures_with_a_chart_per_dimension,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let (a, b, c) = (tid(), tid(), tid());
        s.ok(&sup, register(&a, "甲单位事项")).await;
        s.ok(&sup, dispatch(&a, f.unit_a, Some(f.staff_a))).await;
        s.ok(&sup, register(&b, "乙单位事项")).await;
        s.ok(&sup, dispatch(&b, f.unit_b, None)).await;
        let mut reg = register_with(&c, "公路股紧急事项", "higher_level", "internal", json!({}));
        reg["command"]["urgency"] = json!("urgent");
        s.ok(&sup, reg).await;
        s.ok(&sup, dispatch(&c, f.unit_a1, None)).await;
        let staff = s.login("staff-a").await;
        s.ok(&staff, simple(&a, "receive", json!({}))).await;
        let web = browser();

        let unit_a = f.unit_a.to_string();
        for (who, query) in [
            ("leader", String::new()),
            ("staff-b", String::new()),
            ("leader", format!("unit={unit_a}")),
            ("leader", "status=in_progress&urgency=normal".to_owned()),
            ("head-a", "category=higher_level".to_owned()),
        ] {
            let token = s.login(who).await;
            let cookie = sign_in(&s, &web, who).await;
            let (status, html) =
                page(&web, &format!("{}/stats?{query}", s.base), Some(&cookie)).await;
            assert_eq!(status, 200, "{who} {query}: {html}");
            let api = s
                .get(&token, &format!("/api/v1/stats?{query}"))
                .await
                .expect(200);
            same_figures(&html, &api, &format!("{who} {query}"));
        }

        // The figures really are what was filtered and what staff-b may read.
        let cookie = sign_in(&s, &web, "leader").await;
        let (_, html) = page(
            &web,
            &format!("{}/stats?unit={unit_a}", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(figure(&html, "total"), 2, "A and A1's items");
        assert!(html.contains(&format!("<option value=\"{unit_a}\" selected>")));
        // The lead handler links to their calendar for the leader.
        assert!(html.contains(&format!("href=\"/people/{}\"", f.staff_a)));
        let cookie_b = sign_in(&s, &web, "staff-b").await;
        let (_, html) = page(&web, &format!("{}/stats", s.base), Some(&cookie_b)).await;
        assert_eq!(figure(&html, "total"), 1, "staff-b reads B's item only");
        assert_eq!(
            chart_data(&html, "unit", "labels"),
            json!(["教育局"]),
            "staff-b learns nothing of A's items"
        );

        // A bad filter is refused with the API's code, and the form keeps what was typed.
        let (status, html) = page(
            &web,
            &format!("{}/stats?from=2026-13-01&unit={unit_a}", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 400);
        assert!(html.contains("data-code=\"query.bad_filter\""), "{html}");
        assert!(html.contains("value=\"2026-13-01\""));
    }
);

/// The cell of `date` in a month grid.
fn day_cell<'a>(html: &'a str, date: &str) -> &'a str {
    let at = html
        .find(&format!("<td data-date=\"{date}\""))
        .unwrap_or_else(|| panic!("no day {date}"));
    let end = at + html[at..].find("</td>").expect("end of cell");
    &html[at..end]
}

both!(
    a_persons_calendar_marks_their_deadlines_and_refuses_who_may_not_see_it,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let (mine, other) = (tid(), tid());
        s.ok(&sup, register(&mine, "甲单位点名事项")).await;
        let mut d = dispatch(&mine, f.unit_a, Some(f.staff_a));
        d["command"]["deadline"] = json!((Utc::now() + Duration::days(40)).to_rfc3339());
        s.ok(&sup, d).await;
        s.ok(&sup, register(&other, "乙单位事项")).await;
        s.ok(&sup, dispatch(&other, f.unit_b, Some(f.staff_b)))
            .await;
        let staff = s.login("staff-a").await;
        s.ok(&staff, simple(&mine, "receive", json!({}))).await;

        let detail = s
            .get(&sup, &format!("/api/v1/tasks/{mine}"))
            .await
            .expect(200);
        let deadline: chrono::DateTime<Utc> =
            serde_json::from_value(detail["effective_deadline"].clone()).unwrap();
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        let day = org.calendar.due_date(deadline);
        let month = day.format("%Y-%m").to_string();

        let web = browser();
        let url = format!("{}/people/{}?month={month}", s.base, f.staff_a);
        for who in ["staff-a", "leader", "head-a", "inspector"] {
            let cookie = sign_in(&s, &web, who).await;
            let (status, html) = page(&web, &url, Some(&cookie)).await;
            assert_eq!(status, 200, "{who}: {html}");
            let cell = day_cell(&html, &day.to_string());
            assert!(
                cell.contains(&format!("href=\"/items/{mine}\"")),
                "{who}: the deadline is not on {day}: {cell}"
            );
            let before = day_cell(&html, &(day - Duration::days(1)).to_string());
            assert!(!before.contains(&mine), "{who}: a day early");
            assert!(!html.contains(&other), "{who}: B's item is not staff-a's");
            // The timeline: the receipt, most recent first.
            let timeline = &html[html.find("id=\"timeline\"").unwrap()..];
            assert!(timeline.contains(&format!("<li data-item=\"{mine}\"")));
            assert!(
                timeline.find("签收").unwrap() < timeline.find("交办").unwrap(),
                "{who}: not most recent first"
            );
            assert!(
                html.contains(&format!("<span id=\"month\">{month}</span>")),
                "{who}"
            );
        }

        // Neither a colleague of another unit nor its head may see staff-a's calendar.
        for who in ["staff-b", "head-b", "staff-a2"] {
            let cookie = sign_in(&s, &web, who).await;
            let r = web.get(&url).header(COOKIE, &cookie).send().await.unwrap();
            assert_eq!(r.status(), 403, "{who}");
            // A page's refusal is the HTML error page, with the code.
            let body = r.text().await.unwrap();
            assert!(body.contains("data-code=\"perm.denied\""), "{who}: {body}");
        }
        // Unknown people and months are refused as the API refuses.
        let cookie = sign_in(&s, &web, "leader").await;
        let (status, _) = page(
            &web,
            &format!("{}/people/{}", s.base, UserId::from_u128(0xdead)),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 404);
        let (status, body) = page(
            &web,
            &format!("{}/people/{}?month=2026-13", s.base, f.staff_a),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 400);
        assert!(body.contains("query.bad_month"));
    }
);

/// The section of the page with this id, up to the next section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = at + html[at..].find("</section>").expect("end of section");
    &html[at..end]
}

both!(
    monitoring_lists_items_returned_and_extended_twice_and_refuses_staff,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        let (returned, extended, plain) = (tid(), tid(), tid());
        for (t, title) in [
            (&returned, "两次退办事项"),
            (&extended, "两次延时事项"),
            (&plain, "正常事项"),
        ] {
            s.ok(&sup, register(t, title)).await;
            s.ok(&sup, dispatch(t, f.unit_a, Some(f.staff_a))).await;
            s.ok(&staff, simple(t, "receive", json!({}))).await;
        }
        for n in 1..=2 {
            s.ok(
                &staff,
                simple(
                    &returned,
                    "report_completion",
                    json!({"report": {"id": tid(), "text": "已完成。", "evidence": []}}),
                ),
            )
            .await;
            let new_deadline = (Utc::now() + Duration::days(20 * n)).to_rfc3339();
            s.ok(
                &sup,
                simple(
                    &returned,
                    "review",
                    json!({"accept": false, "opinion": "材料不全,请补充", "new_deadline": new_deadline}),
                ),
            )
            .await;
        }
        for (n, decider) in [(1, "deputy"), (2, "leader")] {
            let until = (Utc::now() + Duration::days(30 * n))
                .duration_trunc(Duration::hours(1))
                .unwrap();
            s.ok(
                &staff,
                simple(
                    &extended,
                    "request_extension",
                    json!({"until": until.to_rfc3339(), "reason": "设备到货推迟"}),
                ),
            )
            .await;
            let token = s.login(decider).await;
            s.ok(
                &token,
                simple(
                    &extended,
                    "decide_extension",
                    json!({"approve": true, "opinion": "同意"}),
                ),
            )
            .await;
        }

        let web = browser();
        let cookie = sign_in(&s, &web, "inspector").await;
        let (status, html) = page(&web, &format!("{}/monitor", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        let rework = section(&html, "anomaly.returned_repeatedly");
        assert!(
            rework.contains(&format!("data-item=\"{returned}\"")),
            "{rework}"
        );
        assert!(rework.contains("已退办 2 次"));
        assert!(!rework.contains(&extended) && !rework.contains(&plain));
        let ext = section(&html, "anomaly.extended_repeatedly");
        assert!(ext.contains(&format!("data-item=\"{extended}\"")), "{ext}");
        assert!(ext.contains("申请延时 2 次,获批 2 次"));
        assert!(!ext.contains(&returned) && !ext.contains(&plain));
        assert_eq!(figure(&html, "n-anomaly.returned_repeatedly"), 1);
        assert_eq!(figure(&html, "n-anomaly.extended_repeatedly"), 1);
        assert_eq!(figure(&html, "n-anomaly.overdue"), 0);

        // A quarter on, all three are overdue (the extended one too: its 60 days are past).
        s.state.clock.advance(Duration::days(100));
        let (_, html) = page(&web, &format!("{}/monitor", s.base), Some(&cookie)).await;
        let overdue = section(&html, "anomaly.overdue");
        for t in [&returned, &extended, &plain] {
            assert!(overdue.contains(&format!("data-item=\"{t}\"")), "{overdue}");
        }
        assert!(overdue.contains("逾期"));

        for who in ["staff-a", "head-a"] {
            let cookie = sign_in(&s, &web, who).await;
            let r = web
                .get(format!("{}/monitor", s.base))
                .header(COOKIE, &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "{who}");
            // A page's refusal is the HTML error page, with the code.
            let body = r.text().await.unwrap();
            assert!(body.contains("data-code=\"perm.denied\""), "{who}: {body}");
        }
    }
);

/// The (item, duty) pairs of the duties table, sorted.
fn duty_rows(html: &str) -> Vec<(String, String)> {
    let table = section(html, "duties");
    let mut out = Vec::new();
    let mut rest = table;
    while let Some(at) = rest.find("<tr data-item=\"") {
        rest = &rest[at + 15..];
        let item = &rest[..rest.find('"').unwrap()];
        let marker = "\" data-duty=\"";
        if let Some(d) = rest.strip_prefix(&format!("{item}{marker}")) {
            out.push((item.to_owned(), d[..d.find('"').unwrap()].to_owned()));
        }
    }
    out.sort();
    out
}

/// The duties the core's rule gives these people on the items `token` may read whose lead
/// unit is within `within` (every item with `None`), as (item, duty code) pairs, sorted,
/// each once however many of the people hold it.
async fn expected_duties(
    s: &Server,
    token: &str,
    people: &[UserId],
    within: Option<duban_core::domain::UnitId>,
) -> Vec<(String, String)> {
    let org = s.state.org.latest(&s.state.db).await.unwrap();
    let now = s.state.clock.now();
    let list = s.get(token, "/api/v1/tasks?per_page=200").await.expect(200);
    let mut out = Vec::new();
    for i in list["items"].as_array().unwrap() {
        let id = i["id"].as_str().unwrap();
        let detail = s
            .get(token, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        let state: TaskState = serde_json::from_value(detail["state"].clone()).unwrap();
        if let Some(unit) = within {
            if !state.lead.is_some_and(|l| org.tree.is_within(l.unit, unit)) {
                continue;
            }
        }
        for p in people {
            let actor = org.actor(*p).unwrap();
            let ctx = Context {
                actor: &actor,
                now,
                calendar: &org.calendar,
                policy: &org.policy,
                units: &org.tree,
                parent: None,
            };
            for d in duties(&state, &ctx) {
                let code = serde_json::to_value(d).unwrap();
                out.push((id.to_owned(), code.as_str().unwrap().to_owned()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

both!(
    a_duty_every_member_holds_is_shown_once_on_the_unit_portal,
    |s: Server| async move {
        // Dispatched to unit A with no handler named: every member of A may receive it.
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "背街小巷照明整改")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "head-a").await;
        let (status, html) = page(&web, &format!("{}/unit", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        let shown: Vec<(String, String)> = duty_rows(&html)
            .into_iter()
            .filter(|(item, _)| *item == t)
            .collect();
        assert_eq!(
            shown,
            vec![(t.clone(), "receive".to_owned())],
            "once, not per member"
        );
        let table = section(&html, "duties");
        let row = &table[table.find(&format!("data-item=\"{t}\"")).expect("the row")..];
        let row = &row[..row.find("</tr>").expect("the row's end")];
        for name in ["staff-a", "staff-a2"] {
            let person = s
                .state
                .org
                .latest(&s.state.db)
                .await
                .unwrap()
                .people
                .values()
                .find(|p| p.username == name)
                .map(|p| p.name.clone())
                .expect("a member");
            assert!(row.contains(&person), "{name} named in {row}");
        }
    }
);

both!(
    the_portals_show_the_duties_of_the_core_rule_and_home_goes_by_role,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        let id_of = |username: &str| {
            org.people
                .values()
                .find(|p| p.username == username)
                .unwrap_or_else(|| panic!("{username}"))
                .clone()
        };

        for (who, home) in [
            ("head-fgj", "/unit"),
            ("staff-fgj", "/me"),
            ("leader", "/overview"),
            ("inspector", "/overview"),
            ("supervisor", "/workbench"),
        ] {
            let cookie = demo_sign_in(&s, &web, who).await;
            let r = web
                .get(format!("{}/", s.base))
                .header(COOKIE, &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()[LOCATION], home, "{who}");
        }

        // The unit head: the duties of everyone in the unit and below, on the unit's items.
        let head = id_of("head-fgj");
        let unit = head.unit.unwrap();
        let members: Vec<UserId> = org
            .people
            .values()
            .filter(|p| p.active && p.unit.is_some_and(|u| org.tree.is_within(u, unit)))
            .map(|p| p.id)
            .collect();
        let token = {
            let r = s
                .call(
                    reqwest::Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"username": "head-fgj", "password": duban_server::demo::DEMO_PASSWORD})),
                )
                .await
                .expect(200);
            r["token"].as_str().unwrap().to_owned()
        };
        let cookie = demo_sign_in(&s, &web, "head-fgj").await;
        let (status, html) = page(&web, &format!("{}/unit", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        let shown = duty_rows(&html);
        assert!(!shown.is_empty(), "the demo gives 发改局 something to do");
        let mut once = shown.clone();
        once.dedup();
        assert_eq!(
            shown, once,
            "each duty of an item once, however many members hold it"
        );
        assert_eq!(
            shown,
            expected_duties(&s, &token, &members, Some(unit)).await
        );
        assert!(html.contains("id=\"chart-status\""));
        assert!(html.contains("考核排名"));

        // A staff member: their own duties on every item they may read, and their calendar.
        let staff = id_of("staff-fgj");
        let token = {
            let r = s
                .call(
                    reqwest::Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"username": "staff-fgj", "password": duban_server::demo::DEMO_PASSWORD})),
                )
                .await
                .expect(200);
            r["token"].as_str().unwrap().to_owned()
        };
        let cookie = demo_sign_in(&s, &web, "staff-fgj").await;
        let (status, html) = page(&web, &format!("{}/me", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        let shown = duty_rows(&html);
        assert!(
            !shown.is_empty(),
            "the demo gives staff-fgj something to do"
        );
        assert_eq!(shown, expected_duties(&s, &token, &[staff.id], None).await);
        assert!(html.contains(&format!("href=\"/people/{}\"", staff.id)));
        let inbox = s.get(&token, "/api/v1/notifications").await.expect(200);
        assert_eq!(json!(figure(&html, "unread")), inbox["unread"]);
        let items: BTreeSet<&str> = shown.iter().map(|(i, _)| i.as_str()).collect();
        assert!(!items.is_empty());

        // Someone who heads no unit has no unit portal: their own instead.
        let r = web
            .get(format!("{}/unit", s.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()[LOCATION], "/me");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_statistics_calendar_monitoring_and_portals() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let org = s.state.org.latest(&s.state.db).await.unwrap();
    let staff = org
        .people
        .values()
        .find(|p| p.username == "staff-fgj")
        .unwrap()
        .id;
    let b = Browser::start().await;
    let drawn = |n: usize| {
        format!("return document.querySelectorAll('canvas[data-chart]').length >= {n} && document.querySelectorAll('canvas[data-chart]').length === document.querySelectorAll('canvas[data-drawn]').length")
    };

    b.sign_in(&s.base, "leader").await;
    b.go(&format!("{}/stats", s.base)).await;
    b.wait_for(&drawn(5), "the statistics charts").await;
    let total = b
        .script("return document.querySelector('#total').textContent")
        .await;
    assert_eq!(total, "45", "the demo's items");
    b.screenshot("stats").await;

    b.go(&format!("{}/people/{staff}", s.base)).await;
    b.wait_for(
        "return !!document.querySelector('#calendar table.month td')",
        "the calendar",
    )
    .await;
    b.screenshot("person-calendar").await;

    b.go(&format!("{}/monitor", s.base)).await;
    b.wait_for(
        "return document.querySelectorAll('section.anomaly').length === 4",
        "the anomalies",
    )
    .await;
    b.screenshot("monitor").await;

    b.sign_in(&s.base, "head-fgj").await;
    b.wait_for(
        "return location.pathname === '/unit'",
        "the unit portal as home",
    )
    .await;
    b.wait_for(&drawn(1), "the unit's chart").await;
    b.screenshot("portal-unit").await;

    b.sign_in(&s.base, "staff-fgj").await;
    b.wait_for(
        "return location.pathname === '/me'",
        "the personal portal as home",
    )
    .await;
    b.wait_for("return !!document.querySelector('#duties')", "my duties")
        .await;
    b.screenshot("portal-me").await;
}
