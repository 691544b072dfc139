//! The console's settings in a real browser, on the demo (issue 19's acceptance): an
//! administrator adds a category attribute and the registration form shows it under its
//! Chinese label; imports 2027's holidays from the shipped file and the command line
//! (`duban --calendar-file … calendar add-working-days 2027-09-30 3`) agrees with the
//! imported table; edits the policy, a bad value refused in place with what was typed kept,
//! then a good one saved. Every page is checked with `check_page` (screenshot, axe-core,
//! and at phone width no sideways scroll and 44 px tap targets); the providers' page too.
//! The administrative trail of it all verifies.

use crate::browser::Browser;
use crate::support::*;

/// The text of the element `css` selects.
async fn text(b: &Browser, css: &str) -> String {
    b.script(&format!(
        "return document.querySelector({css:?}).textContent;"
    ))
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Sets a field's value (clearing what the page filled in).
async fn set(b: &Browser, css: &str, value: &str) {
    b.script(&format!(
        "document.querySelector({css:?}).value = ''; return true;"
    ))
    .await;
    b.type_into(css, value).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_an_administrator_sets_categories_the_calendar_and_the_policy() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    // The headless browser asks for English; these people chose Chinese (the default
    // interface language), as most of a county's will.
    s.state
        .db
        .exec("UPDATE users SET locale = 'zh-CN'", vec![])
        .await
        .expect("locale");
    let shipped =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/data/calendar/2027.json");

    let b = Browser::start().await;
    for (width, height, size) in [(1440, 900, "pc"), (390, 844, "phone")] {
        b.resize(width, height).await;
        let shot = |what: &str| format!("settings-{size}-{what}");
        b.sign_in(&s.base, "admin").await;

        // A category attribute, added in the console …
        b.go(&format!("{}/admin/categories", s.base)).await;
        b.check_page(&shot("categories")).await;
        b.go(&format!("{}/admin/categories/hotline", s.base)).await;
        let (key, zh) = if size == "pc" {
            ("street", "所在街道")
        } else {
            ("community", "所在社区")
        };
        let row = if size == "pc" { 3 } else { 4 };
        set(&b, &format!("input[name=attr-key-{row}]"), key).await;
        set(&b, &format!("input[name=attr-zh-{row}]"), zh).await;
        set(&b, &format!("input[name=attr-en-{row}]"), "Where").await;
        b.click(&format!("input[name=attr-req-{row}]")).await;
        b.check_page(&shot("category-form")).await;
        b.click("#save-category").await;
        b.wait_for(
            "return location.pathname === '/admin/categories'",
            "the categories again",
        )
        .await;
        assert!(text(&b, "#categories").await.contains(zh));

        // … appears on the registration form under its Chinese label.
        b.sign_in(&s.base, "supervisor").await;
        b.go(&format!("{}/register", s.base)).await;
        let labelled = b
            .script(&format!(
                "return [...document.querySelectorAll('fieldset.attrs[data-category=hotline] label')] \
                 .some(l => l.textContent.trim() === {zh:?} \
                   && l.querySelector('input[name=\"attr.hotline.{key}\"]'));"
            ))
            .await;
        assert_eq!(labelled, true, "the label {zh} on the registration form");
        let raw = b
            .script(
                "return [...document.querySelectorAll('fieldset.attrs label')] \
                 .some(l => l.textContent.trim() === 'caller_name');",
            )
            .await;
        assert_eq!(raw, false, "no raw key as a label");
        b.check_page(&shot("register-with-label")).await;

        // 2027's holidays, imported from the shipped file in the console.
        b.sign_in(&s.base, "admin").await;
        b.go(&format!("{}/admin/calendar?year=2027", s.base)).await;
        b.check_page(&shot("calendar-2027-before")).await;
        b.upload("#calendar-file", &shipped).await;
        b.click("#import-calendar").await;
        b.wait_for(
            "return location.search.includes('done=import')",
            "the imported year",
        )
        .await;
        let holiday = b
            .script(
                "return document.querySelector('td[data-date=\"2027-10-04\"]').classList.contains('holiday');",
            )
            .await;
        assert_eq!(holiday, true);
        assert!(text(&b, "#provisional").await.contains("暂定"));
        b.check_page(&shot("calendar-2027-imported")).await;
        // The command line on the same file agrees with the server's calendar.
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let start = chrono::NaiveDate::from_ymd_opt(2027, 9, 30).expect("date");
        let server = org.calendar.add_working_days(start, 3).to_string();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_duban"))
            .arg("--calendar-file")
            .arg(&shipped)
            .args(["calendar", "add-working-days", "2027-09-30", "3"])
            .output()
            .expect("duban");
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), server);
        assert_eq!(server, "2027-10-08");

        // The policy: a bad value refused in place, what was typed kept …
        b.go(&format!("{}/admin/policy", s.base)).await;
        b.check_page(&shot("policy")).await;
        set(&b, "#escalate_after_urges", "0").await;
        b.click("#save-policy").await;
        b.wait_for(
            "return !!document.getElementById('escalate_after_urges-err')",
            "the refusal at its field",
        )
        .await;
        assert_eq!(
            b.script("return document.getElementById('escalate_after_urges').value;")
                .await,
            "0"
        );
        assert!(text(&b, "#escalate_after_urges-err")
            .await
            .contains("超出范围"));
        b.check_page(&shot("policy-refused")).await;
        // … then a good one saved.
        set(&b, "#escalate_after_urges", "3").await;
        b.click("#save-policy").await;
        b.wait_for(
            "return !!document.getElementById('saved')",
            "the policy saved",
        )
        .await;
        assert_eq!(
            b.script("return document.getElementById('escalate_after_urges').value;")
                .await,
            "3"
        );
        b.check_page(&shot("policy-saved")).await;

        b.go(&format!("{}/admin/delivery", s.base)).await;
        b.check_page(&shot("delivery")).await;
    }
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    assert_eq!(org.policy.escalate_after_urges, 3);
    let hotline = org.policy.category("hotline").expect("hotline");
    assert_eq!(hotline.label("community", false), "所在社区");
    let trail = duban_server::admin_trail::page(&s.state.db, 1, 100)
        .await
        .expect("trail");
    let kinds: Vec<&str> = trail.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "category.update",
            "calendar.import",
            "policy.update",
            "category.update",
            "calendar.import",
            "policy.update"
        ]
    );
    duban_server::admin_trail::verify(&s.state.db)
        .await
        .expect("the trail verifies");
}
