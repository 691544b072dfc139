//! Registration and dispatch pages: one form registering and dispatching to three units
//! (one item each), resent without duplicating; problems shown field by field with what
//! was typed kept and nothing registered; registration approval before dispatch; an item
//! dispatched later from its dispatch page; a spreadsheet imported with every bad row
//! named and nothing imported while one is bad, then in chunks that a repeat does not
//! duplicate; the template that reads back.

use reqwest::header::COOKIE;
use serde_json::Value;

use crate::support::*;
use crate::web::{browser, form_token, page, sign_in};

/// Posts a form (pairs, names repeated for ticked boxes) with the cookie; (status, body).
pub(crate) async fn post(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    path: &str,
    fields: &[(&str, String)],
    htmx: bool,
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let mut req = web.post(format!("{}{path}", s.base)).header(COOKIE, cookie);
    if htmx {
        // htmx sends the page's token as a header (hx-headers on the body).
        req = req
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(fields);
    } else {
        let mut fields = fields.to_vec();
        fields.push(("csrf", token));
        req = req.form(&fields);
    }
    let r = req.send().await.expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The items whose title contains `q`, as the supervisor's API lists them.
pub(crate) async fn items(s: &Server, token: &str, q: &str) -> Vec<Value> {
    let path = format!("/api/v1/tasks?per_page=200&q={}", urlencode(q));
    s.get(token, &path).await.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The form id the page rendered.
fn form_id(html: &str) -> String {
    let marker = "name=\"form\" value=\"";
    let start = html.find(marker).expect("form id") + marker.len();
    html[start..start + 36].to_owned()
}

/// A local date `days` ahead, as the form's datetime-local input sends it.
fn ahead(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .format("%Y-%m-%dT18:00")
        .to_string()
}

both!(
    registers_and_dispatches_to_three_units_once,
    |s: Server| async move {
        let f = s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = s.login("supervisor").await;
        let (status, html) = page(&web, &format!("{}/register", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("交通运输局") && html.contains("教育局"),
            "the units to tick"
        );
        let form = form_id(&html);
        let fields = vec![
            ("form", form.clone()),
            ("category", "meeting_decision".to_owned()),
            ("title", "冬季道路除雪保畅通".to_owned()),
            ("content", "各单位落实除雪责任".to_owned()),
            ("source", "meeting".to_owned()),
            ("urgency", "urgent".to_owned()),
            ("visibility", "internal".to_owned()),
            ("deadline", ahead(20)),
            ("leads", f.unit_a.to_string()),
            ("leads", f.unit_a1.to_string()),
            ("leads", f.unit_b.to_string()),
            ("participants", f.office.to_string()),
            ("responsible_leader", f.deputy.to_string()),
            ("ms.0.kind", "key".to_owned()),
            ("ms.0.title", "完成主干道除雪".to_owned()),
            ("ms.0.due", ahead(5)),
            ("ms.0.percent", "40".to_owned()),
            ("ms.1.title", String::new()),
            ("ms.1.due", String::new()),
            ("recurrence", "weekly".to_owned()),
            ("recurrence_days", "2".to_owned()),
        ];
        let (status, html) = post(&s, &web, &cookie, "/register", &fields, false).await;
        assert_eq!(status, 200, "{html}");
        assert_eq!(html.matches("<tr class=\"done\"").count(), 3, "{html}");
        let made = items(&s, &token, "冬季道路除雪").await;
        assert_eq!(made.len(), 3, "one item per lead unit");
        let mut leads: Vec<String> = made
            .iter()
            .map(|i| i["lead_unit"]["id"].as_str().expect("lead").to_owned())
            .collect();
        leads.sort();
        let mut want = vec![
            f.unit_a.to_string(),
            f.unit_a1.to_string(),
            f.unit_b.to_string(),
        ];
        want.sort();
        assert_eq!(leads, want);
        let mut numbers: Vec<&str> = made
            .iter()
            .map(|i| i["number"].as_str().expect("no"))
            .collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 3, "each its own number: {numbers:?}");
        for i in &made {
            assert_eq!(i["status"], "dispatched", "{i}");
            assert_eq!(i["urgency"], "urgent");
            let id = i["id"].as_str().expect("id");
            let d = s
                .get(&token, &format!("/api/v1/tasks/{id}"))
                .await
                .expect(200);
            let state = &d["state"];
            assert_eq!(
                state["milestones"].as_array().expect("milestones").len(),
                1,
                "{state}"
            );
            assert_eq!(state["milestones"][0]["spec"]["title"], "完成主干道除雪");
            assert_eq!(state["recurrence"]["period"], "weekly");
            assert_eq!(state["recurrence"]["due_working_days"], 2);
            assert_eq!(state["responsible_leader"], f.deputy.to_string());
            assert!(state["batch"].is_string(), "one batch: {state}");
        }
        let batches: std::collections::BTreeSet<String> = {
            let mut b = std::collections::BTreeSet::new();
            for i in &made {
                let id = i["id"].as_str().expect("id");
                let d = s
                    .get(&token, &format!("/api/v1/tasks/{id}"))
                    .await
                    .expect(200);
                b.insert(d["state"]["batch"].as_str().expect("batch").to_owned());
            }
            b
        };
        assert_eq!(batches.len(), 1, "the three items share one batch");

        // The same form again (a double click, a resent page): the same three items.
        let (status, html) = post(&s, &web, &cookie, "/register", &fields, false).await;
        assert_eq!(status, 200);
        assert_eq!(html.matches("<tr class=\"done\"").count(), 3);
        assert_eq!(
            items(&s, &token, "冬季道路除雪").await.len(),
            3,
            "never twice"
        );
    }
);

both!(
    problems_are_shown_field_by_field_and_nothing_is_registered,
    |s: Server| async move {
        let f = s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = s.login("supervisor").await;
        let before = s.get(&token, "/api/v1/tasks").await.expect(200)["total"].clone();
        let fields = vec![
            ("form", uuid::Uuid::new_v4().to_string()),
            ("category", "meeting_decision".to_owned()),
            ("title", "   ".to_owned()),
            ("content", "内容保留在表单里".to_owned()),
            ("deadline", "2020-01-01T18:00".to_owned()),
            ("leads", f.unit_a.to_string()),
            ("leads", "没有这个单位".to_owned()),
            ("responsible_leader", f.staff_a.to_string()),
            ("ms.0.title", "节点一".to_owned()),
            ("ms.0.due", "明天".to_owned()),
        ];
        let (status, html) = post(&s, &web, &cookie, "/register", &fields, false).await;
        assert_eq!(status, 422);
        for code in [
            "input.title",
            "input.date_past",
            "input.unknown_unit",
            "input.not_a_leader",
            "input.date",
        ] {
            assert!(
                html.contains(&format!("data-code=\"{code}\"")),
                "{code}: {html}"
            );
        }
        assert!(html.contains("内容保留在表单里"), "what was typed is kept");
        assert!(
            html.contains("标题：标题不能为空"),
            "the field and its reason"
        );
        assert!(!html.contains("the title is empty"), "one language");
        assert_eq!(
            s.get(&token, "/api/v1/tasks").await.expect(200)["total"],
            before,
            "nothing registered"
        );

        // Staff do not register.
        let staff = sign_in(&s, &web, "staff-a").await;
        let (status, _) = page(&web, &format!("{}/register", s.base), Some(&staff)).await;
        assert_eq!(status, 403);
        // A form without its id is refused, not guessed.
        let (status, _) = post(
            &s,
            &web,
            &cookie,
            "/register",
            &[("title", "x".to_owned())],
            false,
        )
        .await;
        assert_eq!(status, 400);
    }
);

both!(
    an_item_needing_approval_is_dispatched_after_it,
    |s: Server| async move {
        let f = s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = s.login("supervisor").await;
        let base = vec![
            ("category", "annual_key_work".to_owned()),
            ("title", "年度重点工作：老旧小区改造".to_owned()),
            ("approver1", f.deputy.to_string()),
        ];
        // Approval and lead units together: refused, for dispatch comes after approval.
        let mut both_at_once = base.clone();
        both_at_once.push(("form", uuid::Uuid::new_v4().to_string()));
        both_at_once.push(("leads", f.unit_b.to_string()));
        let (status, html) = post(&s, &web, &cookie, "/register", &both_at_once, false).await;
        assert_eq!(status, 422);
        assert!(html.contains("input.dispatch_after_approval"), "{html}");

        let mut form = base.clone();
        form.push(("form", uuid::Uuid::new_v4().to_string()));
        let (status, html) = post(&s, &web, &cookie, "/register", &form, false).await;
        assert_eq!(status, 200, "{html}");
        let made = items(&s, &token, "老旧小区改造").await;
        assert_eq!(made.len(), 1);
        assert_eq!(made[0]["status"], "awaiting_approval");
        let id = made[0]["id"].as_str().expect("id").to_owned();

        // The deputy approves; then the office dispatches it from its page.
        let deputy = s.login("deputy").await;
        s.ok(
            &deputy,
            simple(
                &id,
                "decide_registration",
                serde_json::json!({"approve": true, "opinion": "同意"}),
            ),
        )
        .await;
        let (status, html) = page(&web, &format!("{}/dispatch/{id}", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        let form = form_id(&html);
        // Two leads for one registered item: refused with the reason.
        let two = vec![
            ("form", form.clone()),
            ("leads", f.unit_a.to_string()),
            ("leads", f.unit_b.to_string()),
        ];
        let (status, html) = post(&s, &web, &cookie, &format!("/dispatch/{id}"), &two, false).await;
        assert_eq!(status, 422);
        assert!(html.contains("input.one_lead"));
        let one = vec![
            ("form", form.clone()),
            ("leads", f.unit_b.to_string()),
            ("deadline", ahead(30)),
        ];
        let mut one = one;
        one.push(("csrf", form_token(&s, &web, &cookie).await));
        let r = web
            .post(format!("{}/dispatch/{id}", s.base))
            .header(COOKIE, &cookie)
            .form(&one)
            .send()
            .await
            .expect("dispatch");
        assert_eq!(r.status(), 303);
        let d = s
            .get(&token, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        assert_eq!(d["status"], "dispatched", "{d}");
        assert_eq!(d["lead_unit"]["id"], f.unit_b.to_string());
        // Dispatched: its dispatch page sends back to the workbench.
        let r = web
            .get(format!("{}/dispatch/{id}", s.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 303);
    }
);

pub(crate) fn as_refs(rows: &[[String; 8]]) -> Vec<[&str; 8]> {
    rows.iter()
        .map(|r| std::array::from_fn(|i| r[i].as_str()))
        .collect()
}

/// An xlsx with these rows under the standard headers.
pub(crate) fn sheet(rows: &[[&str; 8]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet();
    for (c, h) in [
        "类别",
        "标题",
        "内容要求",
        "紧急程度",
        "公开程度",
        "办理时限",
        "主办单位",
        "caller_phone",
    ]
    .iter()
    .enumerate()
    {
        s.write_string(0, c as u16, *h).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            s.write_string(r as u32 + 1, c as u16, *v).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

pub(crate) async fn upload(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    bytes: Vec<u8>,
    htmx: bool,
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let part = reqwest::multipart::Part::bytes(bytes).file_name("items.xlsx");
    let form = reqwest::multipart::Form::new();
    let mut req = web
        .post(format!("{}/register/import", s.base))
        .header(COOKIE, cookie);
    if htmx {
        // htmx sends the page's token as a header (hx-headers on the body).
        req = req
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token)
            .multipart(form.part("file", part));
    } else {
        // The form's hidden field, first as the page has it.
        req = req.multipart(form.text("csrf", token).part("file", part));
    }
    let r = req.send().await.expect("upload");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The value of the hidden input `name` in `html`, unescaped.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect(name) + marker.len();
    let end = start + html[start..].find('"').expect("end");
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The deadline an import row gives: 40 days ahead, as a sheet's date cell.
pub(crate) fn import_due() -> String {
    (chrono::Utc::now() + chrono::Duration::days(40))
        .format("%Y-%m-%d")
        .to_string()
}

/// An import row: an ordinary internal agreed item for 交通运输局, due on `due`.
pub(crate) fn import_row(title: String, requirement: &str, due: &str) -> [String; 8] {
    [
        "议定事项".to_owned(),
        title,
        requirement.to_owned(),
        "普通".to_owned(),
        "内部".to_owned(),
        due.to_owned(),
        "交通运输局".to_owned(),
        String::new(),
    ]
}

/// The fields of the import run from `offset`, for the checked sheet the preview `html` holds.
pub(crate) fn import_run(html: &str) -> impl Fn(&str) -> Vec<(&'static str, String)> {
    let form = hidden(html, "form");
    let data = hidden(html, "data");
    move |offset: &str| {
        vec![
            ("form", form.clone()),
            ("data", data.clone()),
            ("offset", offset.to_owned()),
        ]
    }
}

both!(
    a_spreadsheet_is_checked_row_by_row_then_imported_in_chunks,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = s.login("supervisor").await;
        let due = import_due();
        let mut rows: Vec<[String; 8]> = (1..=11)
            .map(|i| import_row(format!("导入事项{i:02}"), "要求", &due))
            .collect();
        // Row 13 (the 12th item) goes to two units: two items.
        rows.push([
            "议定事项".to_owned(),
            "导入事项12".to_owned(),
            String::new(),
            "特急".to_owned(),
            "保密".to_owned(),
            due.clone(),
            "交通运输局、教育局".to_owned(),
            "13800000000".to_owned(),
        ]);
        // A hotline work order is not an item of this import: refused at its category,
        // pointing to the hotline import (it would need its intake facts).
        let mut order = rows.clone();
        order[0][0] = "12345热线工单".to_owned();
        let (status, html) = upload(&s, &web, &cookie, sheet(&as_refs(&order)), false).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("input.order_category"), "{html}");
        // Two bad rows: each named with its reasons; nothing imported.
        let mut bad = rows.clone();
        bad[2][6] = "不存在的局".to_owned();
        bad[4][3] = "很急".to_owned();
        bad[4][1] = String::new();
        let (status, html) = upload(&s, &web, &cookie, sheet(&as_refs(&bad)), false).await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("<tr data-row=\"4\" class=\"bad\">"),
            "row 4 (third item): {html}"
        );
        assert!(html.contains("<tr data-row=\"6\" class=\"bad\">"), "row 6");
        assert!(html.contains("input.unknown_unit") && html.contains("不存在的局"));
        assert!(html.contains("input.choice") && html.contains("input.title"));
        assert!(!html.contains("id=\"import-data\""), "no import offered");
        assert!(
            items(&s, &token, "导入事项").await.is_empty(),
            "nothing imported"
        );
        // Not a spreadsheet.
        let (status, html) = upload(&s, &web, &cookie, b"PK not really".to_vec(), false).await;
        assert_eq!(status, 422);
        assert!(html.contains("import.not_xlsx"));

        // The good sheet: a preview, then the run, a chunk at a time as htmx asks.
        let (status, html) = upload(&s, &web, &cookie, sheet(&as_refs(&rows)), true).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("13项待导入"), "{html}");
        let run = import_run(&html);
        let (status, first) =
            post(&s, &web, &cookie, "/register/import/run", &run("0"), true).await;
        assert_eq!(status, 200, "{first}");
        assert!(
            first.contains("hx-vals='{\"offset\": \"10\"}'"),
            "asks for the next chunk: {first}"
        );
        assert!(
            first.contains("<progress max=\"12\" value=\"10\">"),
            "{first}"
        );
        assert_eq!(items(&s, &token, "导入事项").await.len(), 10);
        // The same chunk again (a retried request): nothing new.
        post(&s, &web, &cookie, "/register/import/run", &run("0"), true).await;
        assert_eq!(items(&s, &token, "导入事项").await.len(), 10);
        let (_, last) = post(&s, &web, &cookie, "/register/import/run", &run("10"), true).await;
        assert!(last.contains("data-finished=\"true\""), "{last}");
        let made = items(&s, &token, "导入事项").await;
        assert_eq!(made.len(), 13, "twelve rows, the last to two units");
        assert!(made.iter().all(|i| i["status"] == "dispatched"));
        let hotline: Vec<_> = made.iter().filter(|i| i["title"] == "导入事项12").collect();
        assert_eq!(hotline.len(), 2);
        assert!(hotline
            .iter()
            .all(|i| i["urgency"] == "extra_urgent" && i["visibility"] == "confidential"));
        // The whole run without JavaScript replays everything: still 13.
        let (status, html) = post(&s, &web, &cookie, "/register/import/run", &run(""), false).await;
        assert_eq!(status, 200, "{html}");
        assert_eq!(html.matches("<tr class=\"done\"").count(), 13);
        assert_eq!(items(&s, &token, "导入事项").await.len(), 13);
    }
);

both!(
    the_template_reads_back_as_a_valid_row,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let r = web
            .get(format!("{}/register/template.xlsx", s.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("template");
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .expect("cd")
            .contains("attachment"));
        let bytes = r.bytes().await.expect("bytes").to_vec();
        let (status, html) = upload(&s, &web, &cookie, bytes, false).await;
        assert_eq!(status, 200, "the example row checks: {html}");
        assert!(html.contains("<tr data-row=\"2\">"), "{html}");
    }
);

/// The demo's unit ids by name, read from the form's boxes.
async fn unit_box(b: &crate::browser::Browser, fieldset: &str, name: &str) -> String {
    let js = format!(
        "return [...document.querySelectorAll('#{fieldset} label.unit')]\
         .find(l => l.textContent.trim() === '{name}').querySelector('input').value"
    );
    let id = b.script(&js).await;
    format!(
        "#{fieldset} input[value=\"{}\"]",
        id.as_str().expect("unit id")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_a_supervisor_registers_and_dispatches_to_three_units() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let b = crate::browser::Browser::start().await;
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/workbench", s.base)).await;
    b.click("#to-register").await;
    b.wait_for(
        "return !!document.querySelector('#register-form')",
        "the form",
    )
    .await;
    b.script(
        "const c = document.querySelector('#category'); c.value = 'meeting_decision'; \
         c.dispatchEvent(new Event('change'));",
    )
    .await;
    b.type_into("#title", "浏览器立项：冬季供暖保障").await;
    b.type_into("#content", "三个单位分别落实供暖保障措施")
        .await;
    b.script(&format!(
        "document.querySelector('#deadline').value = '{}';",
        ahead(15)
    ))
    .await;
    let units = ["县交通运输局", "县教育局", "县城市管理局"];
    for name in units {
        let css = unit_box(&b, "leads", name).await;
        b.click(&css).await;
    }
    assert_eq!(
        b.script("return document.querySelectorAll('#leads input:checked').length")
            .await,
        3
    );
    b.screenshot("register-form").await;
    b.click("#submit").await;
    b.wait_for(
        "return document.querySelectorAll('#done tr.done').length === 3",
        "three items registered and dispatched",
    )
    .await;
    b.screenshot("register-done").await;
    let token = s
        .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
        .await;
    let made = items(&s, &token, "冬季供暖保障").await;
    assert_eq!(made.len(), 3);
    let mut leads: Vec<&str> = made
        .iter()
        .map(|i| i["lead_unit"]["name"].as_str().expect("lead"))
        .collect();
    leads.sort();
    let mut want = units.to_vec();
    want.sort();
    assert_eq!(leads, want);
    assert!(made.iter().all(|i| i["status"] == "dispatched"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_a_spreadsheet_is_uploaded_checked_and_imported_with_progress() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let due = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let rows: Vec<[String; 8]> = (1..=23)
        .map(|i| {
            [
                "年度重点工作".to_owned(),
                format!("表格导入第{i}项"),
                String::new(),
                "紧急".to_owned(),
                "公开".to_owned(),
                due.clone(),
                "县教育局".to_owned(),
                String::new(),
            ]
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("duban-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("items.xlsx");
    std::fs::write(&file, sheet(&as_refs(&rows))).expect("write");

    let b = crate::browser::Browser::start().await;
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/register/import", s.base)).await;
    b.type_into("#file", file.to_str().expect("path")).await;
    b.click("#check").await;
    b.wait_for(
        "return !!document.querySelector('#run')",
        "the checked rows",
    )
    .await;
    assert_eq!(
        b.script("return document.querySelectorAll('#rows tbody tr').length")
            .await,
        23
    );
    b.screenshot("import-checked").await;
    b.click("#run").await;
    b.wait_for(
        "return !!document.querySelector('#import-progress[data-finished]')",
        "the import, chunk after chunk",
    )
    .await;
    assert_eq!(
        b.script("return document.querySelectorAll('#import-results li.done').length")
            .await,
        23
    );
    assert_eq!(
        b.script("return document.querySelector('#import-progress progress').value")
            .await,
        23
    );
    b.screenshot("import-done").await;
    let token = s
        .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
        .await;
    assert_eq!(items(&s, &token, "表格导入第").await.len(), 23);
    let _ = std::fs::remove_dir_all(dir);
}

/// The light's class of the public board's row whose text holds `title`.
async fn board_light(b: &crate::browser::Browser, base: &str, title: &str) -> String {
    b.go(&format!("{base}/board")).await;
    let js = format!(
        "const tr = [...document.querySelectorAll('#public-items tbody tr')]\
         .find(tr => tr.textContent.includes('{title}')); \
         return tr ? tr.querySelector('.dot').className : 'missing'"
    );
    b.script(&js)
        .await
        .as_str()
        .expect("class")
        .trim_start_matches("dot ")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_lights_change_as_the_clock_passes_the_deadline() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let cal = &org.calendar;
    let today = cal.to_local(s.state.clock.now()).date();
    let due_day = cal.add_working_days(today, 10);
    let deadline = cal.from_local(due_day.and_hms_opt(18, 0, 0).expect("18:00"));
    let title = "亮灯测试：城区积水点整治";

    let b = crate::browser::Browser::start().await;
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/register", s.base)).await;
    b.type_into("#title", title).await;
    b.script(&format!(
        "document.querySelector('#deadline').value = '{due_day}T18:00'; \
         document.querySelector('#visibility').value = 'public';"
    ))
    .await;
    let css = unit_box(&b, "leads", "县住房和城乡建设局").await;
    b.click(&css).await;
    b.click("#submit").await;
    b.wait_for(
        "return document.querySelectorAll('#done tr.done').length === 1",
        "registered and dispatched",
    )
    .await;

    assert_eq!(
        board_light(&b, &s.base, title).await,
        "green",
        "ten working days left"
    );
    b.screenshot("lights-green").await;
    // An hour before the deadline: near it and not reported.
    s.state
        .clock
        .advance(deadline - s.state.clock.now() - chrono::Duration::hours(1));
    assert_eq!(
        board_light(&b, &s.base, title).await,
        "yellow",
        "an hour left"
    );
    b.screenshot("lights-yellow").await;
    // Three days past it.
    s.state.clock.advance(chrono::Duration::days(3));
    assert_eq!(board_light(&b, &s.base, title).await, "red", "overdue");
    b.screenshot("lights-red").await;
}

/// The template's list of leaders writes each as name and position (`张志强 副县长`): the
/// registration takes a leader written that way, with or without the space, as it takes a
/// name or an account, and still refuses a position that is not the person's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_is_taken_by_name_with_position_as_the_template_lists_them() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let deputy = org
        .people
        .values()
        .find(|p| p.username == "deputy2")
        .cloned()
        .expect("deputy2");
    assert!(!deputy.position.is_empty(), "the demo gives positions");
    let unit = org
        .people
        .values()
        .find(|p| p.username == "head-jtj")
        .and_then(|p| p.unit)
        .expect("a unit");
    let web = browser();
    let cookie = crate::web::demo_sign_in(&s, &web, "supervisor").await;
    let token = s
        .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
        .await;
    let written = [
        format!("{} {}", deputy.name, deputy.position),
        format!("{}{}", deputy.name, deputy.position),
        format!("{}\u{3000}{}", deputy.name, deputy.position),
    ];
    for (n, leader) in written.iter().enumerate() {
        let (_, html) = page(&web, &format!("{}/register", s.base), Some(&cookie)).await;
        let title = format!("领导写法核对{n}");
        let fields = vec![
            ("form", form_id(&html)),
            ("category", "meeting_decision".to_owned()),
            ("title", title.clone()),
            ("content", "按模板的领导名单填写".to_owned()),
            ("deadline", ahead(20)),
            ("leads", unit.to_string()),
            ("responsible_leader", leader.clone()),
        ];
        let (status, html) = post(&s, &web, &cookie, "/register", &fields, false).await;
        assert_eq!(status, 200, "{leader}: {html}");
        let made = items(&s, &token, &title).await;
        assert_eq!(made.len(), 1, "{leader}");
        let id = made[0]["id"].as_str().expect("id");
        let d = s
            .get(&token, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        assert_eq!(
            d["state"]["responsible_leader"],
            deputy.id.to_string(),
            "{leader}"
        );
    }
    let (_, html) = page(&web, &format!("{}/register", s.base), Some(&cookie)).await;
    let fields = vec![
        ("form", form_id(&html)),
        ("category", "meeting_decision".to_owned()),
        ("title", "领导职务不符".to_owned()),
        ("content", "职务写错".to_owned()),
        ("deadline", ahead(20)),
        ("leads", unit.to_string()),
        ("responsible_leader", format!("{} 县长", deputy.name)),
    ];
    let (status, html) = post(&s, &web, &cookie, "/register", &fields, false).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("data-code=\"input.unknown_person\""),
        "{html}"
    );
}

/// The import template's own choices are taken by the import: every unit and leader its
/// choices sheet lists, as listed, and every unit's short name and alias too (`住建局`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_templates_own_choices_and_units_short_names_are_taken() {
    use calamine::{Reader, Xlsx};
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let web = browser();
    let cookie = crate::web::demo_sign_in(&s, &web, "supervisor").await;
    let r = web
        .get(format!("{}/register/template.xlsx", s.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("template");
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.expect("bytes").to_vec();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
    let names = book.sheet_names().to_owned();
    let choices = book.worksheet_range(&names[1]).expect("choices sheet");
    let column = |head: &str| -> Vec<String> {
        let col = choices
            .rows()
            .next()
            .expect("heads")
            .iter()
            .position(|c| *c == head)
            .unwrap_or_else(|| panic!("no column {head}"));
        choices
            .rows()
            .skip(1)
            .map(|r| r.get(col).map(|c| c.to_string()).unwrap_or_default())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let units = column("单位");
    let leaders = column("领导");
    assert!(
        units.len() >= 10 && leaders.len() >= 3,
        "{units:?} {leaders:?}"
    );
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let mut written: Vec<String> = units.clone();
    for u in &org.units {
        if !u.short_name.is_empty() {
            written.push(u.short_name.clone());
        }
        written.extend(u.aliases.iter().cloned());
    }
    assert!(written.iter().any(|w| w == "住建局"), "{written:?}");
    let due = import_due();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "类别",
        "标题",
        "内容要求",
        "办理时限",
        "主办单位",
        "责任领导",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).expect("head");
    }
    for (n, unit) in written.iter().enumerate() {
        let leader = &leaders[n % leaders.len()];
        let row = [
            "议定事项",
            &format!("模板选项核对{n}"),
            "按模板的名单填写",
            &due,
            unit,
            leader,
        ];
        for (c, v) in row.iter().enumerate() {
            sheet
                .write_string(n as u32 + 1, c as u16, *v)
                .expect("cell");
        }
    }
    let bytes = book.save_to_buffer().expect("xlsx");
    let (status, html) = upload(&s, &web, &cookie, bytes, false).await;
    assert_eq!(status, 200, "{html}");
    let rows = written.len();
    assert!(
        html.contains(&format!("{rows}行 · 0行有误 · {rows}项待导入")),
        "{rows} rows: {html}"
    );
}
