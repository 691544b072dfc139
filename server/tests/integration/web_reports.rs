//! Periodic reports in one sheet (issue 20): a weekly item asking for two figures, registered
//! through the page and dispatched to three units; the scheduler asks for period 1; one unit
//! answers on time through the item page's form (refused first without its figures), one
//! late through the API, one not at all. The sheet's page and its xlsx show exactly that —
//! each unit's reporter, time, figures, words and timeliness, the late and missing rows
//! marked — for the office; a unit's staff gets only their own unit's row, and nothing of an
//! item they may not read.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{open_workbook_from_rs, Data, DataType, Reader, Xlsx};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use duban_core::domain::batch::nth_period_start;
use duban_core::domain::derived::days_late;
use duban_core::domain::model::Period;
use duban_core::domain::policy::LateDays;
use duban_server::scheduler::tick;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE};
use scraper::{Html, Selector};
use serde_json::json;

use crate::support::*;
use crate::web::{browser, page, sign_in};
use crate::web_register::{items, post};

const TITLE: &str = "重点项目建设月报";
const INVESTMENT: &str = "本月完成投资（万元）";
const FIXED: &str = "整改完成数";

/// A local date-time `days` ahead, as the form's datetime-local input sends it.
fn ahead(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .format("%Y-%m-%dT18:00")
        .to_string()
}

/// The command id of the form `act` on an item page.
fn command_of(html: &str, act: &str) -> String {
    let at = html
        .find(&format!("id=\"act-{act}\""))
        .unwrap_or_else(|| panic!("no {act} form"));
    let marker = "name=\"command\" value=\"";
    let start = at + html[at..].find(marker).expect("command") + marker.len();
    html[start..start + 36].to_owned()
}

/// A GET with the cookie (and a language): (status, body bytes).
async fn get(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    path: &str,
    lang: &str,
) -> (u16, Vec<u8>) {
    let r = web
        .get(format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .header(ACCEPT_LANGUAGE, lang)
        .send()
        .await
        .expect("get");
    (r.status().as_u16(), r.bytes().await.expect("body").to_vec())
}

/// A row of the sheet's page: (item, status class, marked, the cells' texts).
type PageRow = (String, String, bool, Vec<String>);

fn page_rows(html: &str) -> Vec<PageRow> {
    let doc = Html::parse_document(html);
    let tr = Selector::parse("table#sheet tbody tr").expect("sel");
    let cell = Selector::parse("th, td").expect("sel");
    doc.select(&tr)
        .map(|r| {
            let v = r.value();
            (
                v.attr("data-item").unwrap_or("").to_owned(),
                v.attr("data-status").unwrap_or("").to_owned(),
                v.attr("class").is_some_and(|c| c.contains("marked")),
                r.select(&cell)
                    .map(|c| c.text().collect::<Vec<_>>().join(" ").trim().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn cell_text(d: &Data) -> String {
    d.get_string().map(str::to_owned).unwrap_or_default()
}

/// The first sheet's rows of a workbook.
fn xlsx_rows(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx");
    let range = wb.worksheet_range(name).expect(name);
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The style index (`s`) of each cell of column `col` (a letter) of the first worksheet, by
/// row number, read from the package's XML.
fn styles_of_column(bytes: &[u8], col: &str) -> BTreeMap<u32, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("sheet1")
        .read_to_string(&mut xml)
        .expect("xml");
    let mut out = BTreeMap::new();
    for part in xml.split("<c ").skip(1) {
        let head = &part[..part.find('>').unwrap_or(part.len())];
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            head.find(&key).map(|i| {
                let rest = &head[i + key.len()..];
                rest[..rest.find('"').unwrap_or(0)].to_owned()
            })
        };
        let Some(r) = attr("r") else { continue };
        let letters: String = r.chars().take_while(char::is_ascii_alphabetic).collect();
        if letters != col {
            continue;
        }
        let row: u32 = r[letters.len()..].parse().expect("row");
        out.insert(row, attr("s").unwrap_or_default());
    }
    out
}

both!(
    one_periods_reports_of_three_units_in_one_sheet,
    |s: Server| async move {
        let f = s.fixture().await;
        let web = browser();
        let office = sign_in(&s, &web, "supervisor").await;
        let token = s.login("supervisor").await;

        // Registered through the page: weekly, due a working day in, two figures.
        let (_, html) = page(&web, &format!("{}/register", s.base), Some(&office)).await;
        assert!(
            html.contains("name=\"recurrence_fields\""),
            "the form asks for figures"
        );
        let marker = "name=\"form\" value=\"";
        let at = html.find(marker).expect("form id") + marker.len();
        let form = html[at..at + 36].to_owned();
        let mut fields = vec![
            ("form", form),
            ("category", "meeting_decision".to_owned()),
            ("title", TITLE.to_owned()),
            ("content", "每周报送建设进展和整改数".to_owned()),
            ("source", "meeting".to_owned()),
            ("urgency", "normal".to_owned()),
            ("visibility", "internal".to_owned()),
            ("deadline", ahead(60)),
            ("leads", f.unit_a.to_string()),
            ("leads", f.unit_a1.to_string()),
            ("leads", f.unit_b.to_string()),
            ("recurrence", "weekly".to_owned()),
            ("recurrence_days", "1".to_owned()),
            ("recurrence_fields", format!("{FIXED}\n{FIXED}")),
        ];
        // The same figure twice is refused at its field, what was typed kept.
        let (status, html) = post(&s, &web, &office, "/register", &fields, false).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("input.report_fields"), "{html}");
        assert!(
            items(&s, &token, TITLE).await.is_empty(),
            "nothing registered"
        );
        fields.pop();
        fields.push(("recurrence_fields", format!("{INVESTMENT}\n{FIXED}")));
        let (status, html) = post(&s, &web, &office, "/register", &fields, false).await;
        assert_eq!(status, 200, "{html}");
        let made = items(&s, &token, TITLE).await;
        assert_eq!(made.len(), 3);
        let item_of = |unit: duban_core::domain::UnitId| -> String {
            made.iter()
                .find(|i| i["lead_unit"]["id"] == json!(unit))
                .and_then(|i| i["id"].as_str())
                .expect("an item per unit")
                .to_owned()
        };
        let (a, a1, b) = (item_of(f.unit_a), item_of(f.unit_a1), item_of(f.unit_b));
        let detail = s
            .get(&token, &format!("/api/v1/tasks/{a}"))
            .await
            .expect(200);
        assert_eq!(
            detail["state"]["recurrence"]["fields"],
            json!([INVESTMENT, FIXED])
        );

        // Each unit receives.
        for (t, who) in [(&a, "staff-a"), (&a1, "staff-a1"), (&b, "staff-b")] {
            let tk = s.login(who).await;
            s.ok(&tk, simple(t, "receive", json!({}))).await;
        }

        // The first period after the dispatch starts; the scheduler asks each for a report.
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let cal = &org.calendar;
        let dispatched: DateTime<Utc> =
            serde_json::from_value(detail["state"]["dispatched"]["at"].clone()).expect("at");
        let start =
            nth_period_start(Period::Weekly, cal.to_local(dispatched).date(), 1).expect("period 1");
        let start_at = cal.from_local(start.and_time(NaiveTime::MIN));
        s.state
            .clock
            .advance(start_at + Duration::minutes(1) - s.state.clock.now());
        tick(&s.state, s.state.clock.now()).await.expect("tick");
        let mut due: Option<DateTime<Utc>> = None;
        for t in [&a, &a1, &b] {
            let d = s
                .get(&token, &format!("/api/v1/tasks/{t}"))
                .await
                .expect(200);
            let rq = &d["state"]["report_requests"];
            assert_eq!(rq.as_array().map(Vec::len), Some(1), "{rq}");
            assert_eq!(rq[0]["index"], 1);
            due = Some(serde_json::from_value(rq[0]["due"].clone()).expect("due"));
        }
        let due = due.expect("a due time");

        // Unit A answers on time through its item page: the form asks for the figures, and
        // refuses a report without them, at the form, keeping what was typed.
        let staff_a = sign_in(&s, &web, "staff-a").await;
        let (_, html) = page(&web, &format!("{}/items/{a}", s.base), Some(&staff_a)).await;
        assert!(
            html.contains("name=\"answers\""),
            "the form offers the request"
        );
        assert!(
            html.contains(&format!("name=\"figure:{INVESTMENT}\"")),
            "{html}"
        );
        assert!(html.contains(&format!("name=\"figure:{FIXED}\"")));
        assert!(
            !html.contains("/reports?period="),
            "a unit's staff is not offered the sheet"
        );
        let command = command_of(&html, "report_progress");
        let (investment_key, fixed_key) =
            (format!("figure:{INVESTMENT}"), format!("figure:{FIXED}"));
        let mut report = vec![
            ("command", command.clone()),
            ("act", "report_progress".to_owned()),
            ("text", "主体工程完成八成".to_owned()),
            ("percent", "40".to_owned()),
            ("answers", "1".to_owned()),
            (investment_key.as_str(), "120.5".to_owned()),
        ];
        let (status, html) = post(
            &s,
            &web,
            &staff_a,
            &format!("/items/{a}/act"),
            &report,
            false,
        )
        .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("input.report_value_missing"), "{html}");
        assert!(html.contains("value=\"120.5\""), "what was typed is kept");
        // Sent again from the refusal's form (a new command id), with every figure.
        report[0].1 = command_of(&html, "report_progress");
        assert_ne!(report[0].1, command);
        report.push((fixed_key.as_str(), "3".to_owned()));
        let (status, html) = post(
            &s,
            &web,
            &staff_a,
            &format!("/items/{a}/act"),
            &report,
            false,
        )
        .await;
        assert!(status == 200 || status == 303, "{status} {html}");

        // Unit B answers late, through the API.
        s.state
            .clock
            .advance(due + Duration::hours(10) - s.state.clock.now());
        let staff_b = s.login("staff-b").await;
        let values: BTreeMap<&str, &str> = [(INVESTMENT, "80"), (FIXED, "1")].into();
        s.ok(
            &staff_b,
            simple(
                &b,
                "report_progress",
                json!({
                    "report": {"id": cid(), "text": "征地拖延", "evidence": [], "values": values},
                    "percent": 20, "milestone": null, "answers": 1
                }),
            ),
        )
        .await;
        // Unit A1 does not answer.

        let (a_at, b_at) = (filed(&s, &token, &a).await, filed(&s, &token, &b).await);
        assert!(a_at <= due && b_at > due);
        let late_by = days_late(due, b_at, cal, LateDays::Working);
        let local = |t: DateTime<Utc>| cal.to_local(t).format("%Y-%m-%d %H:%M").to_string();

        // The office's page: three rows, exactly as reported.
        let (status, body) = get(
            &s,
            &web,
            &office,
            &format!("/items/{b}/reports?period=1"),
            "zh-CN",
        )
        .await;
        assert_eq!(status, 200);
        let html = String::from_utf8(body).expect("utf-8");
        assert!(html.contains("<caption id=\"sheet-caption\">"), "a caption");
        assert!(
            html.contains("aria-labelledby=\"sheet-caption\""),
            "a labelled box"
        );
        assert!(html.contains(&format!(
            "<th scope=\"col\" class=\"num\">{INVESTMENT}</th>"
        )));
        let rows = page_rows(&html);
        assert_eq!(rows.len(), 3, "{rows:?}");
        let row = |t: &str| rows.iter().find(|r| r.0 == t).expect("a row").clone();
        let (_, status_a, marked_a, cells_a) = row(&a);
        assert_eq!((status_a.as_str(), marked_a), ("on-time", false));
        assert_eq!(cells_a[0].split_whitespace().next(), Some("交通运输局"));
        assert_eq!(cells_a[1], "staff-a");
        assert_eq!(cells_a[2], local(a_at));
        // The due time as the item page shows it: the date for the end of a day.
        let due_words = if cal.to_local(due).time() == NaiveTime::MIN {
            cal.due_date(due).to_string()
        } else {
            local(due)
        };
        assert_eq!(cells_a[3], due_words);
        assert_eq!(
            cells_a[4..8],
            ["120.5", "3", "主体工程完成八成", "按时报送"]
        );
        let (_, status_b, marked_b, cells_b) = row(&b);
        assert_eq!((status_b.as_str(), marked_b), ("late", true));
        assert_eq!(cells_b[0].split_whitespace().next(), Some("教育局"));
        assert_eq!(cells_b[1], "staff-b");
        assert_eq!(cells_b[2], local(b_at));
        assert_eq!(
            cells_b[4..8],
            [
                "80".to_owned(),
                "1".to_owned(),
                "征地拖延".to_owned(),
                format!("逾期{late_by}个工作日")
            ]
        );
        let (_, status_a1, marked_a1, cells_a1) = row(&a1);
        assert_eq!((status_a1.as_str(), marked_a1), ("missing", true));
        assert_eq!(cells_a1[0].split_whitespace().next(), Some("公路股"));
        assert_eq!(cells_a1[1..3], ["", ""]);
        assert_eq!(cells_a1[4..8], ["", "", "", "缺报"]);
        // Marked by a word in bold, not by colour alone.
        assert_eq!(html.matches("<strong class=\"mark\">").count(), 2);
        assert!(
            html.contains("按时报送1个") || html.contains("按时报送1"),
            "the summary"
        );

        // The same sheet from any item of the batch, and in English.
        let (status, body) = get(
            &s,
            &web,
            &office,
            &format!("/items/{a1}/reports?period=1"),
            "en",
        )
        .await;
        assert_eq!(status, 200);
        let en = String::from_utf8(body).expect("utf-8");
        assert!(en.contains("<html lang=\"en\""));
        assert_eq!(page_rows(&en).len(), 3);
        assert!(
            en.contains(&format!("Late by {late_by} working day")),
            "{en}"
        );
        assert!(en.contains(">Missing<") && en.contains(">On time<"));

        // The item page links the office to the sheet, and shows how the period went.
        let (_, html) = page(&web, &format!("{}/items/{a1}", s.base), Some(&office)).await;
        assert!(
            html.contains(&format!("href=\"/items/{a1}/reports?period=1\"")),
            "{html}"
        );
        assert!(html.contains("缺报"));

        // The workbook: the same rows, headers in the requester's language, the status in
        // its own column with a style for late and missing.
        let (status, bytes) = get(
            &s,
            &web,
            &office,
            &format!("/items/{a}/reports.xlsx?period=1"),
            "zh-CN",
        )
        .await;
        assert_eq!(status, 200);
        let sheet = xlsx_rows(&bytes, "定期汇报");
        assert!(cell_text(&sheet[0][0]).contains(TITLE), "the title row");
        let headers: Vec<String> = sheet[1].iter().map(cell_text).collect();
        assert_eq!(
            headers,
            [
                "单位",
                "编号",
                "报送人",
                "报送时间",
                "报送期限",
                INVESTMENT,
                FIXED,
                "汇报内容",
                "报送情况"
            ]
        );
        assert_eq!(sheet.len(), 5, "a title, a header and three rows");
        let by_unit: BTreeMap<String, (u32, &Vec<Data>)> = sheet[2..]
            .iter()
            .zip(3u32..)
            .map(|(r, n)| (cell_text(&r[0]), (n, r)))
            .collect();
        let (row_a, xa) = by_unit["交通运输局"];
        assert_eq!(cell_text(&xa[2]), "staff-a");
        assert!(matches!(xa[3], Data::DateTime(_)), "filed at: a date-time");
        assert_eq!(xa[5].get_float(), Some(120.5));
        assert_eq!(xa[6].get_float(), Some(3.0));
        assert_eq!(cell_text(&xa[7]), "主体工程完成八成");
        assert_eq!(cell_text(&xa[8]), "按时报送");
        let (row_b, xb) = by_unit["教育局"];
        assert_eq!(xb[5].get_float(), Some(80.0));
        assert_eq!(cell_text(&xb[8]), format!("逾期{late_by}个工作日"));
        let (row_a1, xa1) = by_unit["公路股"];
        assert_eq!(cell_text(&xa1[2]), "");
        assert!(matches!(xa1[3], Data::Empty), "no filing time");
        assert_eq!(cell_text(&xa1[8]), "缺报");
        let styles = styles_of_column(&bytes, "I");
        let plain = styles.get(&row_a).cloned().unwrap_or_default();
        let (late, missing) = (&styles[&row_b], &styles[&row_a1]);
        assert!(
            late != &plain && missing != &plain && late != missing,
            "late and missing styled apart: {styles:?}"
        );
        let export = xlsx_rows(&bytes, "导出信息");
        assert!(export
            .iter()
            .any(|r| cell_text(&r[1]).contains("supervisor")));
        let (_, en_bytes) = get(
            &s,
            &web,
            &office,
            &format!("/items/{a}/reports.xlsx?period=1"),
            "en",
        )
        .await;
        let en_sheet = xlsx_rows(&en_bytes, "Periodic reports");
        assert_eq!(cell_text(&en_sheet[1][0]), "Unit");
        assert_eq!(cell_text(&en_sheet[1][8]), "Timeliness");

        // A unit's staff: only the rows of the items they may read.
        let web_b = browser();
        let staff_b_cookie = sign_in(&s, &web_b, "staff-b").await;
        let (status, body) = get(
            &s,
            &web_b,
            &staff_b_cookie,
            &format!("/items/{b}/reports?period=1"),
            "zh-CN",
        )
        .await;
        assert_eq!(status, 200);
        let html = String::from_utf8(body).expect("utf-8");
        let rows = page_rows(&html);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, b);
        assert!(!html.contains("主体工程完成八成") && !html.contains("交通运输局"));
        let (_, bytes) = get(
            &s,
            &web_b,
            &staff_b_cookie,
            &format!("/items/{b}/reports.xlsx?period=1"),
            "zh-CN",
        )
        .await;
        let sheet = xlsx_rows(&bytes, "定期汇报");
        assert_eq!(sheet.len(), 3, "one unit's row");
        assert_eq!(cell_text(&sheet[2][0]), "教育局");
        // Another unit's item does not exist for them, nor does its sheet.
        for path in [
            format!("/items/{a}/reports?period=1"),
            format!("/items/{a}/reports.xlsx?period=1"),
        ] {
            let (status, _) = get(&s, &web_b, &staff_b_cookie, &path, "zh-CN").await;
            assert_eq!(status, 404, "{path}");
        }
        let staff_a_rows = {
            let (_, body) = get(
                &s,
                &web,
                &staff_a,
                &format!("/items/{a}/reports?period=1"),
                "zh-CN",
            )
            .await;
            page_rows(&String::from_utf8(body).expect("utf-8"))
        };
        assert_eq!(
            staff_a_rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            vec![a.clone()]
        );

        // A period never asked for, or not a number: the API's 400.
        for q in ["period=2", "period=x", ""] {
            let (status, body) = get(
                &s,
                &web,
                &office,
                &format!("/items/{a}/reports?{q}"),
                "zh-CN",
            )
            .await;
            assert_eq!(status, 400, "{q}");
            assert!(String::from_utf8_lossy(&body).contains("query.bad_filter"));
        }
    }
);

/// When the item's first report was filed, as the API says.
async fn filed(s: &Server, token: &str, task: &str) -> DateTime<Utc> {
    let d = s
        .get(token, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200);
    assert_eq!(
        d["state"]["reports"].as_array().map(Vec::len),
        Some(1),
        "one report"
    );
    serde_json::from_value(d["state"]["reports"][0]["at"].clone()).expect("at")
}

/// The scenario through the API alone: a weekly item asking for [`INVESTMENT`] and
/// [`FIXED`], one batch to units A, A1 and B, each received; period 1 asked for by the
/// scheduler, A answering on time, B late, A1 not at all. Returns the items of A, A1 and B.
async fn through_the_api(s: &Server) -> (String, String, String) {
    let f = s.fixture().await;
    let token = s.login("supervisor").await;
    let batch = uuid::Uuid::new_v4();
    let deadline = (Utc::now() + Duration::days(60)).to_rfc3339();
    let mut made = Vec::new();
    for unit in [f.unit_a, f.unit_a1, f.unit_b] {
        let t = tid();
        let mut reg = register(&t, TITLE);
        reg["command"]["recurrence"] = json!({
            "period": "weekly", "due_working_days": 1, "fields": [INVESTMENT, FIXED]
        });
        reg["command"]["batch"] = json!(batch);
        reg["command"]["deadline"] = json!(deadline);
        s.ok(&token, reg).await;
        s.ok(&token, dispatch(&t, unit, None)).await;
        made.push(t);
    }
    for (t, who) in made.iter().zip(["staff-a", "staff-a1", "staff-b"]) {
        let tk = s.login(who).await;
        s.ok(&tk, simple(t, "receive", json!({}))).await;
    }
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let cal = &org.calendar;
    let now = s.state.clock.now();
    let start = nth_period_start(Period::Weekly, cal.to_local(now).date(), 1).expect("period 1");
    let start_at = cal.from_local(start.and_time(NaiveTime::MIN));
    s.state.clock.advance(start_at + Duration::minutes(1) - now);
    tick(&s.state, s.state.clock.now()).await.expect("tick");
    let answer = |t: &str, text: &str, investment: &str| {
        simple(
            t,
            "report_progress",
            json!({
                "report": {"id": cid(), "text": text, "evidence": [],
                           "values": {INVESTMENT: investment, FIXED: "2"}},
                "percent": 30, "milestone": null, "answers": 1
            }),
        )
    };
    let a = s.login("staff-a").await;
    s.ok(
        &a,
        answer(&made[0], "主体工程完成八成,下周完成附属设施", "120.5"),
    )
    .await;
    s.state.clock.advance(Duration::days(3));
    let b = s.login("staff-b").await;
    s.ok(&b, answer(&made[2], "征地拖延", "80")).await;
    (made[0].clone(), made[1].clone(), made[2].clone())
}

/// The sheet, its item's periods and the report form in headless Chromium, at a PC's width
/// and a phone's: axe finds no serious violation, nothing scrolls sideways at 390 px (the
/// sheet scrolls in its own labelled box), and tap targets are 44 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sheet_in_a_browser_at_desktop_and_phone_width() {
    let s = start(Backend::Sqlite).await;
    let (a, a1, _) = through_the_api(&s).await;
    let b = crate::browser::Browser::start().await;
    let sign_in = |who: &'static str| {
        let b = &b;
        let base = s.base.clone();
        async move {
            b.sign_out_cookies().await;
            b.go(&format!("{base}/login")).await;
            b.type_into("#username", who).await;
            b.type_into("#password", PASSWORD).await;
            b.click("form.signin button").await;
            b.wait_for(
                "return location.pathname !== '/login'",
                "leaving the sign-in page",
            )
            .await;
        }
    };
    sign_in("supervisor").await;
    for (width, height) in [(1440, 900), (390, 844)] {
        b.resize(width, height).await;
        b.go(&format!("{}/items/{a}/reports?period=1", s.base))
            .await;
        assert_eq!(
            b.script("return document.querySelectorAll('#sheet tbody tr').length")
                .await,
            json!(3)
        );
        assert_eq!(
            b.script("return document.querySelectorAll('#sheet tr.marked').length")
                .await,
            json!(2),
            "B late and A1 missing are marked"
        );
        b.check_page("reports-sheet").await;
        b.go(&format!("{}/items/{a}", s.base)).await;
        b.find("#periodic a.sheet-link").await;
        b.check_page("reports-item-periods").await;
    }
    // The unit that has not answered: its report form asks for the period and each figure.
    sign_in("staff-a1").await;
    for (width, height) in [(1440, 900), (390, 844)] {
        b.resize(width, height).await;
        b.go(&format!("{}/items/{a1}", s.base)).await;
        b.find("#report-answers").await;
        assert_eq!(
            b.script("return document.querySelectorAll('#report-figures input').length")
                .await,
            json!(2)
        );
        b.check_page("reports-form").await;
    }
}

both!(
    the_figures_come_from_the_import_and_the_api_as_from_the_form,
    |s: Server| async move {
        let f = s.fixture().await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let now = s.state.clock.now();
        // The item import's column, by either language's header.
        for header in ["报送数据项", "Report figures"] {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            for (c, (h, v)) in [
                ("类别", "meeting_decision"),
                ("标题", TITLE),
                ("主办单位", "交通运输局"),
                ("报送周期", "每月"),
                (header, &format!("{INVESTMENT}、{FIXED}")),
            ]
            .iter()
            .enumerate()
            {
                sheet.write_string(0, c as u16, *h).expect("cell");
                sheet.write_string(1, c as u16, *v).expect("cell");
            }
            let bytes = book.save_to_buffer().expect("xlsx");
            let rows = duban_server::register::read_sheet(&bytes).expect("rows");
            let entry = duban_server::register::check(&rows[0].1, &org, now).expect("checked");
            let r = entry.registration.recurrence.expect("a recurrence");
            assert_eq!(r.period, Period::Monthly);
            assert_eq!(r.fields, [INVESTMENT, FIXED], "{header}");
        }
        // Figures without a period, or too long: refused at the field.
        let draft = duban_server::register::Draft {
            category: "meeting_decision".into(),
            title: TITLE.into(),
            recurrence_fields: FIXED.into(),
            ..Default::default()
        };
        let problems = duban_server::register::check(&draft, &org, now).expect_err("refused");
        assert_eq!(problems[0].field, "recurrence_fields");
        assert_eq!(problems[0].code, "input.report_fields");
        let draft = duban_server::register::Draft {
            recurrence: "weekly".into(),
            recurrence_fields: "长".repeat(51),
            ..draft
        };
        let problems = duban_server::register::check(&draft, &org, now).expect_err("refused");
        assert_eq!(problems[0].field, "recurrence_fields");

        // Through the API: the core's own check.
        let token = s.login("supervisor").await;
        let t = tid();
        let mut reg = register(&t, TITLE);
        reg["command"]["recurrence"] = json!({
            "period": "weekly", "due_working_days": 1, "fields": [FIXED, FIXED]
        });
        s.refused(&token, reg.clone(), "input.report_fields").await;
        reg["command"]["recurrence"]["fields"] = json!([FIXED]);
        reg["id"] = json!(cid());
        s.ok(&token, reg).await;
        s.ok(&token, dispatch(&t, f.unit_b, None)).await;
        let d = s
            .get(&token, &format!("/api/v1/tasks/{t}"))
            .await
            .expect(200);
        assert_eq!(d["state"]["recurrence"]["fields"], json!([FIXED]));
        // A report with figures that answers no request is refused.
        let staff = s.login("staff-b").await;
        s.ok(&staff, simple(&t, "receive", json!({}))).await;
        s.refused(
            &staff,
            simple(
                &t,
                "report_progress",
                json!({
                    "report": {"id": cid(), "text": "进展", "evidence": [], "values": {FIXED: "1"}},
                    "percent": 10, "milestone": null, "answers": null
                }),
            ),
            "input.report_values",
        )
        .await;
    }
);
