//! Scores, rankings, bulletins and notices: the month's ranking equal to the overview's,
//! every breakdown summing to its unit's score for a month, a quarter and a year; an
//! adjustment with its reason, once; a bulletin generated from the data naming the units,
//! edited with a stale version refused and the text kept, published read-only, never shown
//! as a draft to staff or the board; public ones on the board, internal ones not.

use reqwest::header::COOKIE;
use serde_json::Value;

use crate::support::*;
use crate::web::{browser, demo_sign_in, form_token, page};

/// The units and scores of the ranking table, in order.
fn ranking_rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr data-unit=\"")
        .skip(1)
        .map(|chunk| {
            let unit = chunk[..chunk.find('"').expect("unit")].to_owned();
            let m = "class=\"num score\">";
            let start = chunk.find(m).expect("score") + m.len();
            let score = chunk[start..start + chunk[start..].find('<').expect("end")].to_owned();
            (unit, score)
        })
        .collect()
}

/// Every `data-contribution` of a breakdown, in tenths, and the unit's score and base.
fn breakdown(html: &str) -> (i64, i64, i64) {
    let tenths = |s: &str| -> i64 {
        let v: f64 = s.trim().parse().expect("points");
        (v * 10.0).round() as i64
    };
    let sum = html
        .split("data-contribution=\"")
        .skip(1)
        .map(|c| tenths(&c[..c.find('"').expect("end")]))
        .sum();
    let read = |id: &str| {
        let m = format!("id=\"{id}\">");
        let start = html.find(&m).expect(id) + m.len();
        tenths(&html[start..start + html[start..].find('<').expect("end")])
    };
    (sum, read("unit-score"), read("base"))
}

async fn api_token(s: &Server, username: &str) -> String {
    s.login_with(username, duban_server::demo::DEMO_PASSWORD)
        .await
}

both!(
    scores_rank_like_the_overview_and_breakdowns_sum,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let cookie = demo_sign_in(&s, &web, "supervisor").await;
        let token = api_token(&s, "supervisor").await;
        let overview = s.get(&token, "/api/v1/overview").await.expect(200);
        let want: Vec<(String, String)> = overview["ranking"]
            .as_array()
            .expect("ranking")
            .iter()
            .map(|r| {
                (
                    r["unit"]["id"].as_str().expect("id").to_owned(),
                    r["score"].as_str().expect("score").to_owned(),
                )
            })
            .collect();
        let (status, html) = page(&web, &format!("{}/scores", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        let rows = ranking_rows(&html);
        assert!(!rows.is_empty(), "the demo has items due this month");
        assert_eq!(rows, want, "the month's ranking is the overview's");
        let now =
            chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"));
        use chrono::Datelike;
        for q in [
            "period=month".to_owned(),
            format!(
                "period=quarter&year={}&n={}",
                now.year(),
                now.month().div_ceil(3)
            ),
            format!("period=year&year={}", now.year()),
        ] {
            let (status, html) = page(&web, &format!("{}/scores?{q}", s.base), Some(&cookie)).await;
            assert_eq!(status, 200, "{q}");
            for (unit, _) in ranking_rows(&html) {
                let (_, b) = page(
                    &web,
                    &format!("{}/scores/units/{unit}?{q}", s.base),
                    Some(&cookie),
                )
                .await;
                let (sum, score, base) = breakdown(&b);
                assert_eq!(base + sum, score, "{q} {unit}: every point accounted for");
            }
        }
        let (status, html) = page(
            &web,
            &format!("{}/scores?period=month&n=13", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 400);
        assert!(html.contains("query.bad_period"));

        // A staff member's breakdown sums too, with the items they may not read on one line.
        let staff = demo_sign_in(&s, &web, "staff-fgj").await;
        let (unit, _) = &rows[0];
        let (status, b) = page(
            &web,
            &format!("{}/scores/units/{unit}", s.base),
            Some(&staff),
        )
        .await;
        assert_eq!(status, 200);
        let (sum, score, base) = breakdown(&b);
        assert_eq!(base + sum, score);
        assert!(!b.contains("id=\"adjust\""), "staff do not adjust");
    }
);

both!(
    an_adjustment_with_its_reason_moves_the_score_once,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let cookie = demo_sign_in(&s, &web, "supervisor").await;
        let (_, html) = page(&web, &format!("{}/scores", s.base), Some(&cookie)).await;
        let (unit, _) = ranking_rows(&html).into_iter().next().expect("a unit");
        let url = format!("{}/scores/units/{unit}?period=month", s.base);
        let (_, b) = page(&web, &url, Some(&cookie)).await;
        let (_, before, _) = breakdown(&b);
        // An item the form offers: one whose score may still be adjusted (not closed).
        let item = {
            let m = "<option value=\"";
            let form = b.find("id=\"adjust\"").expect("the adjustment form");
            let start = form + b[form..].find(m).expect("an item") + m.len();
            b[start..start + 36].to_owned()
        };
        let form = uuid::Uuid::new_v4().to_string();
        let token = form_token(&s, &web, &cookie).await;
        let post = |points: &str, reason: &str| {
            web.post(format!("{}/scores/adjust", s.base))
                .header(COOKIE, &cookie)
                .form(&[
                    ("csrf", token.as_str()),
                    ("form", form.as_str()),
                    ("unit", unit.as_str()),
                    ("task", item.as_str()),
                    ("points", points),
                    ("reason", reason),
                    ("period", "month"),
                ])
                .send()
        };
        let r = post("-2", "  ").await.expect("post");
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("body").contains("input.reason"));
        let r = post("abc", "理由").await.expect("post");
        assert_eq!(r.status(), 422);
        for _ in 0..2 {
            let r = post("-2", "未按要求提供整改台账").await.expect("post");
            assert_eq!(r.status(), 303, "adjusted, back to the breakdown");
        }
        let (_, b) = page(&web, &url, Some(&cookie)).await;
        let (sum, after, base) = breakdown(&b);
        assert_eq!(after, before - 20, "two points off, once");
        assert_eq!(base + sum, after);
        let token = api_token(&s, "supervisor").await;
        let d = s
            .get(&token, &format!("/api/v1/tasks/{item}"))
            .await
            .expect(200);
        let trail = d["trail"].to_string();
        assert!(
            trail.contains("未按要求提供整改台账"),
            "the reason is in the trail"
        );
    }
);

/// Creates a bulletin through the form; returns its id.
pub(crate) async fn create_bulletin(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    fields: &[(&str, &str)],
) -> String {
    let token = form_token(s, web, cookie).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    let r = web
        .post(format!("{}/bulletins", s.base))
        .header(COOKIE, cookie)
        .form(&fields)
        .send()
        .await
        .expect("create");
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().expect("location");
    to.trim_start_matches("/bulletins/").to_owned()
}

/// Saves or publishes a draft through its form; returns the status and the page.
pub(crate) async fn change_bulletin(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    id: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    let r = web
        .post(format!("{}/bulletins/{id}", s.base))
        .header(COOKIE, cookie)
        .form(&fields)
        .send()
        .await
        .expect("change");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The month the bulletins page offers a monthly bulletin for (`YYYY-MM`).
pub(crate) async fn bulletin_month(s: &Server, web: &reqwest::Client, cookie: &str) -> String {
    let (_, html) = page(web, &format!("{}/bulletins", s.base), Some(cookie)).await;
    let at = html.find("id=\"month\"").expect("month field");
    let v = "name=\"period\" value=\"";
    let start = html[..at].rfind(v).expect("value") + v.len();
    html[start..start + 7].to_owned()
}

/// The hidden version of the edit form.
pub(crate) fn version(html: &str) -> String {
    let m = "name=\"version\" value=\"";
    let start = html.find(m).expect("version") + m.len();
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

/// The draft's body as the edit form holds it.
pub(crate) fn draft_body(html: &str) -> String {
    let start = html.find("id=\"bulletin-body\"").expect("body field");
    let open = start + html[start..].find('>').expect("tag") + 1;
    let end = open + html[open..].find("</textarea>").expect("end");
    html[open..end]
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

both!(
    a_bulletin_names_units_and_is_edited_then_published,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let cookie = demo_sign_in(&s, &web, "supervisor").await;
        let token = api_token(&s, "supervisor").await;
        let overview: Value = s.get(&token, "/api/v1/overview").await.expect(200);
        // The form offers the last complete month; the overview ranks this month, so the
        // bulletin compared with it is this month's, chosen by hand.
        use chrono::Datelike;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let today = org.calendar.to_local(s.state.clock.now()).date();
        let last = today.with_day(1).expect("first") - chrono::Duration::days(1);
        assert_eq!(
            bulletin_month(&s, &web, &cookie).await,
            format!("{:04}-{:02}", last.year(), last.month()),
            "the default is the last complete month"
        );
        let month = format!("{:04}-{:02}", today.year(), today.month());
        let form = uuid::Uuid::new_v4().to_string();
        let fields = [
            ("form", form.as_str()),
            ("kind", "monthly"),
            ("period", month.as_str()),
        ];
        let id = create_bulletin(&s, &web, &cookie, &fields).await;
        assert_eq!(
            create_bulletin(&s, &web, &cookie, &fields).await,
            id,
            "a resent form: the same draft"
        );
        let (status, draft) =
            page(&web, &format!("{}/bulletins/{id}", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        // It names every unit with an overdue item, and the top of the ranking.
        let overdue = overview["overdue"].as_array().expect("overdue");
        assert!(!overdue.is_empty(), "the demo has overdue items");
        for i in overdue {
            let unit = i["lead_unit"]["name"].as_str().expect("unit");
            assert!(draft.contains(unit), "names {unit}");
        }
        let top = overview["ranking"][0]["unit"]["name"]
            .as_str()
            .expect("top");
        assert!(
            draft.contains(&format!("第1名 {top}")),
            "names the top unit {top}"
        );
        assert!(
            !draft.contains("部分单位") && !draft.contains("个别单位"),
            "no vague units"
        );

        // A draft: not for staff, not on the board.
        let staff = demo_sign_in(&s, &web, "staff-fgj").await;
        let (status, _) = page(&web, &format!("{}/bulletins/{id}", s.base), Some(&staff)).await;
        assert_eq!(status, 404);
        let (_, list) = page(&web, &format!("{}/bulletins", s.base), Some(&staff)).await;
        assert!(!list.contains(&id));

        // An edit, then a stale one refused with the text kept.
        let v1 = version(&draft);
        let token = form_token(&s, &web, &cookie).await;
        let edit = |v: &str, title: &str, action: &str, public: bool| {
            let mut f = vec![
                ("csrf", token.clone()),
                ("version", v.to_owned()),
                ("title", title.to_owned()),
                ("body", format!("{title}的正文")),
                ("action", action.to_owned()),
            ];
            if public {
                f.push(("public", "1".to_owned()));
            }
            web.post(format!("{}/bulletins/{id}", s.base))
                .header(COOKIE, &cookie)
                .form(&f)
                .send()
        };
        assert_eq!(
            edit(&v1, "改过的标题", "save", true)
                .await
                .expect("save")
                .status(),
            303
        );
        let r = edit(&v1, "迟到的修改", "save", true).await.expect("stale");
        assert_eq!(r.status(), 409);
        let body = r.text().await.expect("body");
        assert!(
            body.contains("bulletin.stale") && body.contains("迟到的修改"),
            "kept: {body}"
        );
        let (_, draft) = page(&web, &format!("{}/bulletins/{id}", s.base), Some(&cookie)).await;
        assert!(draft.contains("改过的标题") && !draft.contains("迟到的修改"));
        let (_, board) = page(&web, &format!("{}/board", s.base), None).await;
        assert!(!board.contains("改过的标题"), "no draft on the board");

        // Published: read-only, read by staff, on the board.
        let v2 = version(&draft);
        assert_eq!(
            edit(&v2, "十一月通报", "publish", true)
                .await
                .expect("publish")
                .status(),
            303
        );
        let (status, read) = page(&web, &format!("{}/bulletins/{id}", s.base), Some(&staff)).await;
        assert_eq!(status, 200);
        assert!(read.contains("十一月通报") && read.contains("data-published=\"true\""));
        let (_, mine) = page(&web, &format!("{}/bulletins/{id}", s.base), Some(&cookie)).await;
        assert!(
            !mine.contains("id=\"bulletin-form\""),
            "no edit form once published"
        );
        let v3 = (v2.parse::<i64>().expect("v") + 1).to_string();
        assert_eq!(
            edit(&v3, "发布后再改", "save", true)
                .await
                .expect("late")
                .status(),
            409
        );
        let (_, board) = page(&web, &format!("{}/board", s.base), None).await;
        assert!(
            board.contains("十一月通报"),
            "a public bulletin on the board"
        );

        // An internal notice, published: read inside, never on the board.
        let nform = uuid::Uuid::new_v4().to_string();
        let nid = create_bulletin(
            &s,
            &web,
            &cookie,
            &[
                ("form", nform.as_str()),
                ("kind", "notice"),
                ("title", "内部通知：周五例会"),
            ],
        )
        .await;
        let (_, n) = page(&web, &format!("{}/bulletins/{nid}", s.base), Some(&cookie)).await;
        let r = web
            .post(format!("{}/bulletins/{nid}", s.base))
            .header(COOKIE, &cookie)
            .form(&[
                ("csrf", token.clone()),
                ("version", version(&n)),
                ("title", "内部通知：周五例会".to_owned()),
                ("body", "请各单位准时参加".to_owned()),
                ("action", "publish".to_owned()),
            ])
            .send()
            .await
            .expect("publish");
        assert_eq!(r.status(), 303);
        let (_, list) = page(&web, &format!("{}/bulletins", s.base), Some(&staff)).await;
        assert!(list.contains("内部通知：周五例会"));
        let (_, board) = page(&web, &format!("{}/board", s.base), None).await;
        assert!(
            !board.contains("周五例会"),
            "an internal notice stays inside"
        );

        // Staff do not write bulletins.
        let staff_token = form_token(&s, &web, &staff).await;
        let r = web
            .post(format!("{}/bulletins", s.base))
            .header(COOKIE, &staff)
            .form(&[
                ("csrf", staff_token.as_str()),
                ("form", uuid::Uuid::new_v4().to_string().as_str()),
                ("kind", "notice"),
                ("title", "x"),
            ])
            .send()
            .await
            .expect("staff");
        assert_eq!(r.status(), 403);
        let body = r.text().await.expect("body");
        assert!(body.contains("data-code=\"perm.denied\""), "{body}");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_scores_and_a_bulletin_generated_edited_and_published() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let b = crate::browser::Browser::start().await;
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/scores", s.base)).await;
    b.wait_for(
        "return !!document.querySelector('#scores tbody tr a')",
        "the ranking",
    )
    .await;
    b.screenshot("scores").await;
    b.click("#scores tbody tr a").await;
    b.wait_for(
        "return !!document.querySelector('#breakdown')",
        "a breakdown",
    )
    .await;
    b.screenshot("score-breakdown").await;
    b.go(&format!("{}/bulletins", s.base)).await;
    // Generated for the public board (internal items counted, not named): a draft generated
    // for inside names them, and its publication on the board would be refused.
    b.script("document.querySelector('#generate-monthly').form.querySelector('input[name=public]').checked = true;")
        .await;
    b.click("#generate-monthly").await;
    b.wait_for(
        "return !!document.querySelector('#bulletin-body')",
        "the draft",
    )
    .await;
    b.script("document.querySelector('#bulletin-title').value = '浏览器发布的月度通报';")
        .await;
    b.script("document.querySelector('#bulletin-form input[name=public]').checked = true;")
        .await;
    b.screenshot("bulletin-edit").await;
    b.click("#publish").await;
    b.wait_for(
        "return document.querySelector('#bulletin')?.dataset.published === 'true'",
        "published",
    )
    .await;
    b.go(&format!("{}/bulletins", s.base)).await;
    b.screenshot("bulletins").await;
    b.click("header.top form button").await;
    b.wait_for("return location.pathname === '/login'", "signed out")
        .await;
    b.go(&format!("{}/board", s.base)).await;
    b.wait_for(
        "return document.querySelector('#public-bulletins').textContent.includes('浏览器发布的月度通报')",
        "the bulletin on the public board",
    )
    .await;
    b.screenshot("board-bulletin").await;
}

/// The period rule on the score breakdown: an item of the demo due before this month and
/// still open counts in this month's score of its lead unit, and the breakdown says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_overdue_from_an_earlier_month_counts_this_month_and_says_why() {
    use chrono::Datelike;
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let web = browser();
    let cookie = demo_sign_in(&s, &web, "supervisor").await;
    let token = api_token(&s, "supervisor").await;
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let now = s.state.clock.now();
    let today = org.calendar.to_local(now).date();
    let first = today.with_day(1).expect("first");
    let list: Value = s
        .get(&token, "/api/v1/tasks?view=all&light=red&per_page=200")
        .await
        .expect(200);
    let items = list["items"].as_array().expect("items");
    let carried = items
        .iter()
        .find(|i| {
            i["effective_deadline"]
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                .is_some_and(|d| org.calendar.due_date(d.with_timezone(&chrono::Utc)) < first)
                && i["lead_unit"]["id"].is_string()
        })
        .expect("the demo has an item overdue since an earlier month");
    let unit = carried["lead_unit"]["id"].as_str().expect("unit");
    let number = carried["number"].as_str().expect("number");
    let (status, html) = page(
        &web,
        &format!(
            "{}/scores/units/{unit}?period=month&year={}&n={}",
            s.base,
            today.year(),
            today.month()
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, 200);
    let at = html
        .find(number)
        .unwrap_or_else(|| panic!("{number} counts this month: {html}"));
    let block = &html[at..];
    let end = block.find("class=\"score-item\"").unwrap_or(block.len());
    assert!(
        block[..end].contains("本期开始时仍未办结"),
        "the breakdown says why {number} counts: {}",
        &block[..end]
    );
}
