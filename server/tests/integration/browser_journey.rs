//! One item's whole journey through the pages, in a real browser at a PC's size (1440×900)
//! and a phone's (390×844), on the demo: the unit head receives it and gives a part to a
//! staff member; the staff member reports progress with a photo taken through the camera
//! input (a real JPEG with EXIF orientation and GPS, watermarked by the server's photo
//! pipeline) and completes the part with a PDF; the head accepts the part; the deputy
//! leader in charge approves the head's extension from their portal; the head completes
//! the item and the office reviews it. Along the way the head opens an urging in the inbox
//! and no SMS follows it. Every page is checked with `check_page` (screenshot, axe-core,
//! and at phone width no sideways scroll).

use chrono::{Duration, Utc};
use duban_server::notify::deliver_due;
use duban_server::push::Providers;
use serde_json::{json, Value};
use std::sync::Arc;

use crate::browser::Browser;
use crate::push::{aliyun, fake_sms};
use crate::support::*;
use crate::web_uploads::camera_jpeg;

/// A small, well-formed one-page PDF.
fn pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The item's detail through the API.
async fn detail(s: &Server, token: &str, task: &str) -> Value {
    s.get(token, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200)
}

/// Whether the item's trail holds an event of `kind`.
fn has_event(d: &Value, kind: &str) -> bool {
    d["trail"]
        .as_array()
        .is_some_and(|t| t.iter().any(|e| e["event"]["kind"]["event"] == kind))
}

/// Waits (longer than `wait_for`: a photo goes through the pipeline) for `js`.
async fn wait_long(b: &Browser, js: &str, what: &str) {
    for _ in 0..4 {
        if b.script(js).await == true {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    b.wait_for(js, what).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_an_item_goes_from_the_unit_to_its_staff_and_back_to_the_office() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let person = |username: &str| {
        org.people
            .values()
            .find(|p| p.username == username)
            .cloned()
            .unwrap_or_else(|| panic!("no {username}"))
    };
    let (head, staff, deputy) = (person("head-jtj"), person("staff-jtj"), person("deputy2"));
    let unit = head.unit.expect("a unit");
    let sup = s
        .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
        .await;
    let head_api = s
        .login_with("head-jtj", duban_server::demo::DEMO_PASSWORD)
        .await;
    // The head's phone number, so that an unread urging would climb to SMS.
    s.state
        .db
        .exec(
            "UPDATE users SET phone = '13800000077' WHERE id = $1",
            vec![duban_server::db::Val::from(head.id.to_string())],
        )
        .await
        .expect("phone");
    let (sms_base, sms_seen) = fake_sms().await;
    let providers = Providers {
        sms: Some(Arc::new(aliyun(&sms_base, "aliyun-secret"))),
        ..Providers::default()
    };

    let files = temp_dir();
    let photo = files.join("现场照片.jpg");
    std::fs::write(&photo, camera_jpeg()).expect("photo");
    let report = files.join("整改报告.pdf");
    std::fs::write(&report, pdf()).expect("pdf");
    let today = org.calendar.to_local(Utc::now()).date();
    let deadline = org.calendar.end_of_day(today + Duration::days(30));
    let until = (today + Duration::days(45)).format("%Y-%m-%d").to_string();

    let b = Browser::start().await;
    for (width, height, size) in [(1440, 900, "pc"), (390, 844, "phone")] {
        b.resize(width, height).await;
        let shot = |what: &str| format!("journey-{size}-{what}");

        // The office registers and dispatches an item to the transport bureau.
        let t = tid();
        s.ok(&sup, register(&t, &format!("国道路面坑槽修补({size})")))
            .await;
        let mut d = dispatch(&t, unit, None);
        d["command"]["deadline"] = json!(deadline);
        d["command"]["deputy_leader"] = json!(deputy.id);
        s.ok(&sup, d).await;

        // The head receives it …
        b.sign_in(&s.base, "head-jtj").await;
        b.go(&format!("{}/items/{t}", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('#act-receive')",
            "签收 offered",
        )
        .await;
        b.check_page(&shot("to-receive")).await;
        b.click("#act-receive button").await;
        b.wait_for(
            "return !!document.querySelector('#act-decompose')",
            "received; decomposing offered",
        )
        .await;
        // … gives a part of it to a staff member …
        b.type_into("#act-decompose input[name=title]", "K12 至 K18 段坑槽修补")
            .await;
        b.script(&format!(
            "document.querySelector('#act-decompose select[name=handler]').value = 'user:{}'; return true;",
            staff.id
        ))
        .await;
        b.click("#act-decompose button").await;
        b.wait_for(
            "const t = document.querySelector('#subtasks'); return !!t && t.textContent.includes('K12')",
            "the sub-item listed",
        )
        .await;
        // … and asks for more time for the whole.
        b.script(&format!(
            "document.querySelector('#act-request_extension input[name=until]').value = '{until}'; return true;"
        ))
        .await;
        b.type_into(
            "#act-request_extension textarea[name=reason]",
            "沥青拌合站检修,需延后两周",
        )
        .await;
        b.click("#act-request_extension button").await;
        b.wait_for(
            "const n = document.querySelector('.notice'); return !!n && n.textContent.includes('已申请延时')",
            "the extension requested",
        )
        .await;
        b.check_page(&shot("decomposed")).await;
        let parent = detail(&s, &sup, &t).await;
        let child = parent["state"]["subtasks"][0]
            .as_str()
            .expect("a sub-item")
            .to_owned();

        // The staff member reports progress with a photo from the camera input …
        b.sign_in(&s.base, "staff-jtj").await;
        b.go(&format!("{}/items/{child}", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('#act-receive')",
            "the part to receive",
        )
        .await;
        b.click("#act-receive button").await;
        b.wait_for(
            "return !!document.querySelector('#act-report_progress')",
            "a progress report offered",
        )
        .await;
        b.upload("#act-report_progress input[data-source=camera]", &photo)
            .await;
        wait_long(
            &b,
            "return !!document.querySelector('#act-report_progress input[type=hidden][name=evidence]')",
            "the photo uploaded and watermarked",
        )
        .await;
        b.type_into(
            "#act-report_progress textarea[name=text]",
            "已完成 K12 至 K15 段修补",
        )
        .await;
        b.script(
            "document.querySelector('#act-report_progress input[name=percent]').value = '50'; return true;",
        )
        .await;
        b.click("#act-report_progress button[type=submit]").await;
        b.wait_for(
            "return document.body.textContent.includes('已完成 K12 至 K15 段修补')",
            "the progress report on the page",
        )
        .await;
        // The photo as the pipeline left it: upright, with the camera's time.
        b.wait_for(
            "return document.body.textContent.includes('2026-11-30 09:41:27')",
            "the photo's capture time from its EXIF",
        )
        .await;
        b.check_page(&shot("progress-with-photo")).await;
        let c = detail(&s, &sup, &child).await;
        let cited = c["evidence"]
            .as_array()
            .and_then(|e| e.first())
            .cloned()
            .unwrap_or_else(|| panic!("the photo cited: {c}"));
        assert_eq!(
            cited["file"]["photo"]["width"], 900,
            "turned upright: {cited}"
        );
        assert_eq!(cited["file"]["photo"]["height"], 1200, "{cited}");
        assert_eq!(cited["file"]["photo"]["time_source"], "exif", "{cited}");
        assert!(
            cited["file"]["photo"]["location"].is_object(),
            "the GPS from EXIF: {cited}"
        );

        // … and completes the part with a PDF.
        b.wait_for(
            "return !!document.querySelector('#act-report_completion')",
            "a completion report offered",
        )
        .await;
        b.upload("#act-report_completion input[data-source=gallery]", &report)
            .await;
        wait_long(
            &b,
            "return !!document.querySelector('#act-report_completion input[type=hidden][name=evidence]')",
            "the PDF uploaded",
        )
        .await;
        b.type_into(
            "#act-report_completion textarea[name=text]",
            "K12 至 K18 段全部修补完毕,报告附后",
        )
        .await;
        b.click("#act-report_completion button[type=submit]").await;
        b.wait_for(
            "return document.body.textContent.includes('报告附后')",
            "the completion report on the page",
        )
        .await;
        b.check_page(&shot("completed-with-pdf")).await;
        let c = detail(&s, &sup, &child).await;
        assert!(has_event(&c, "completion_reported"), "{c}");
        let pdf_cited = c["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .any(|e| e["file"]["mime"] == "application/pdf");
        assert!(pdf_cited, "the PDF cited unchanged: {c}");

        // The office urges the item; everything else the head had is read already.
        s.post(
            &head_api,
            "/api/v1/notifications/read",
            json!({"all": true}),
        )
        .await
        .expect(200);
        s.ok(
            &sup,
            simple(
                &t,
                "urge",
                json!({"channel": "message", "note": "请加快进度,本周内报送"}),
            ),
        )
        .await;

        // The head opens the urging in the inbox …
        b.sign_in(&s.base, "head-jtj").await;
        b.go(&format!("{}/inbox", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('ul.inbox li.note.unread')",
            "the urging unread in the inbox",
        )
        .await;
        b.check_page(&shot("inbox")).await;
        b.click("ul.inbox li.note.unread button.link").await;
        b.wait_for(
            &format!("return location.pathname === '/items/{t}'"),
            "the urging opened at its item",
        )
        .await;
        let inbox = s
            .get(&head_api, "/api/v1/notifications?unread=true")
            .await
            .expect(200);
        assert_eq!(inbox["unread"], 0, "read by opening it: {inbox}");
        // … and no SMS climbs for it afterwards.
        let later = deliver_due(&s.state, &providers, Utc::now() + Duration::hours(3))
            .await
            .expect("deliver");
        assert_eq!(later.sent, 0, "{later:?}");
        assert!(
            sms_seen.lock().unwrap().is_empty(),
            "no SMS for a read urging"
        );

        // The head accepts the part.
        b.go(&format!("{}/items/{child}", s.base)).await;
        if b.script("return !!document.querySelector('form[id^=\"act-report-\"]')")
            .await
            == true
        {
            b.click("form[id^=\"act-report-\"] button[value=approve]")
                .await;
            b.wait_for(
                "return !document.querySelector('form[id^=\"act-report-\"]')",
                "the report approved",
            )
            .await;
        }
        b.wait_for(
            "return !!document.querySelector('#act-review')",
            "the part to review",
        )
        .await;
        b.type_into("#act-review textarea[name=opinion]", "修补到位")
            .await;
        b.click("#act-review button[value=approve]").await;
        b.wait_for(
            "const n = document.querySelector('.notice'); return !!n && n.textContent.includes('已复核')",
            "the part accepted",
        )
        .await;

        // The deputy leader finds the extension on their portal and approves it.
        b.sign_in(&s.base, "deputy2").await;
        b.go(&format!("{}/", s.base)).await;
        b.wait_for(
            &format!("return !!document.querySelector('tr[data-item=\"{t}\"] a')"),
            "the extension waiting on the deputy leader's portal",
        )
        .await;
        b.check_page(&shot("deputy-portal")).await;
        b.click(&format!("tr[data-item=\"{t}\"] a")).await;
        b.wait_for(
            "return !!document.querySelector('#act-decide_extension')",
            "the extension's decision form",
        )
        .await;
        b.type_into("#act-decide_extension textarea[name=opinion]", "同意延期")
            .await;
        b.click("#act-decide_extension button[value=approve]").await;
        b.wait_for(
            "return !document.querySelector('#act-decide_extension')",
            "the extension decided",
        )
        .await;
        b.check_page(&shot("extension-approved")).await;
        let d = detail(&s, &sup, &t).await;
        assert!(has_event(&d, "extension_approved"), "{d}");

        // The head completes the item; the office reviews it.
        b.sign_in(&s.base, "head-jtj").await;
        b.go(&format!("{}/items/{t}", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('#act-report_completion')",
            "the item's completion offered",
        )
        .await;
        b.type_into(
            "#act-report_completion textarea[name=text]",
            "全线坑槽修补完成,经现场核验",
        )
        .await;
        b.click("#act-report_completion button[type=submit]").await;
        b.wait_for(
            "return document.body.textContent.includes('经现场核验')",
            "the item's completion report",
        )
        .await;
        b.sign_in(&s.base, "supervisor").await;
        b.go(&format!("{}/items/{t}", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('#act-review')",
            "the office's review",
        )
        .await;
        b.type_into("#act-review textarea[name=opinion]", "经复核,整改到位")
            .await;
        b.click("#act-review button[value=approve]").await;
        b.wait_for(
            "const n = document.querySelector('.notice'); return !!n && n.textContent.includes('已复核')",
            "reviewed",
        )
        .await;
        b.check_page(&shot("reviewed")).await;
        let d = detail(&s, &sup, &t).await;
        assert_eq!(d["state"]["status"], "completed", "{}", d["state"]);
    }
}
