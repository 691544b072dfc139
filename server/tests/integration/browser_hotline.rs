//! A hotline work order's whole course in a real browser, at a PC's size (1440×900) and a
//! phone's (390×844): the office takes a call on the intake form, accepts it and dispatches
//! it to a unit; the unit's head receives it and replies in the office's template; the
//! dispatcher calls the caller back (at phone size first unsatisfied, the order reopened and
//! replied again, then satisfied); the month's satisfaction rate on `/stats`
//! (`#hotline-satisfaction`) moves with each call-back. Every page is checked with
//! `check_page` (screenshot, axe-core, and at phone width no sideways scroll and 44 px tap
//! targets).

use crate::browser::{Browser, DESKTOP, PHONE};
use crate::support::*;

/// Signs in through the form as `username` of the fixture (its password), from a fresh
/// start.
async fn sign_in(b: &Browser, base: &str, username: &str) {
    b.sign_out_cookies().await;
    b.go(&format!("{base}/login")).await;
    b.type_into("#username", username).await;
    b.type_into("#password", PASSWORD).await;
    b.click("form.signin button").await;
    b.wait_for(
        "return location.pathname !== '/login'",
        "leaving the sign-in page",
    )
    .await;
}

/// The month's satisfaction rate as `/stats` shows it: `Some(percent)`, or `None` for `—`
/// (nothing called back yet).
async fn satisfaction(b: &Browser, base: &str, shot: &str) -> Option<f64> {
    b.go(&format!("{base}/stats")).await;
    b.wait_for(
        "return !!document.querySelector('#hotline-satisfaction')",
        "the hotline satisfaction rate on /stats",
    )
    .await;
    b.check_page(shot).await;
    let text = b
        .script("return document.querySelector('#hotline-satisfaction').textContent.trim()")
        .await;
    let text = text.as_str().expect("text").to_owned();
    if text == "—" {
        return None;
    }
    Some(
        text.trim_end_matches('%')
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a rate: {text}")),
    )
}

/// Clicks the submit button of the item page's form `form` and waits for the notice of what
/// it did.
async fn act(b: &Browser, form: &str, done: &str) {
    b.click(&format!("#{form} button[type=submit]")).await;
    b.wait_for(
        &format!(
            "const n = document.querySelector('.notice'); return !!n && n.textContent.includes('{done}')"
        ),
        done,
    )
    .await;
}

/// The unit replies in the template: one text per section.
async fn reply(b: &Browser, base: &str, task: &str, shot: &str) {
    b.go(&format!("{base}/items/{task}")).await;
    b.wait_for(
        "return document.querySelectorAll('#act-report_completion textarea[name=section]').length === 3",
        "the reply's template, a field a section",
    )
    .await;
    b.check_page(shot).await;
    b.script(
        "const t = document.querySelectorAll('#act-report_completion textarea[name=section]'); \
         t[0].value = '已责令餐馆加装油烟净化设施'; t[1].value = '《大气污染防治法》第八十一条'; \
         t[2].value = '城管局 李明 0571-88886666'; return true;",
    )
    .await;
    act(b, "act-report_completion", "已提交完成汇报").await;
}

/// The dispatcher calls the caller back with `satisfaction`.
async fn call_back(b: &Browser, base: &str, task: &str, satisfaction: &str, shot: &str) {
    b.go(&format!("{base}/items/{task}")).await;
    b.wait_for(
        "return !!document.querySelector('#act-call_back')",
        "the call-back offered",
    )
    .await;
    b.check_page(shot).await;
    b.script(&format!(
        "for (const [n, v] of [['told', 'yes'], ['factual', 'yes'], ['misconduct', 'no'], \
           ['satisfaction', '{satisfaction}']]) \
           document.querySelector(`#act-call_back input[name=${{n}}][value=${{v}}]`).checked = true; \
         return true;"
    ))
    .await;
    act(b, "act-call_back", "已记录回访").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_a_call_is_taken_dispatched_replied_and_called_back() {
    let s = start(Backend::Sqlite).await;
    let f = s.fixture().await;
    let base = s.base.clone();
    let b = Browser::start().await;
    let mut rate = None;
    for ((width, height), size) in [(DESKTOP, "pc"), (PHONE, "phone")] {
        b.resize(width, height).await;
        let shot = |what: &str| format!("hotline-{size}-{what}");

        // The office takes the call on the intake form.
        sign_in(&b, &base, "supervisor").await;
        b.go(&format!("{base}/hotline")).await;
        b.check_page(&shot("desk")).await;
        b.click("#to-intake").await;
        b.wait_for(
            "return !!document.querySelector('#intake-form')",
            "the intake form",
        )
        .await;
        b.check_page(&shot("intake")).await;
        b.type_into("#caller_name", "王女士").await;
        b.type_into("#caller_phone", "13800138000").await;
        b.type_into("#caller_address", "城关镇幸福路12号").await;
        b.type_into("#subject", &format!("幸福路餐馆({size})"))
            .await;
        b.type_into("#content", "楼下餐馆油烟扰民,夜间噪音大").await;
        b.click("#submit").await;
        b.wait_for(
            "return location.pathname.startsWith('/items/')",
            "the new order's page",
        )
        .await;
        let url = b.url().await;
        let task = url.rsplit('/').next().expect("the order's id").to_owned();
        b.wait_for(
            "return !!document.querySelector('#act-accept_order')",
            "acceptance offered",
        )
        .await;
        b.check_page(&shot("to-accept")).await;

        // Accepted, then dispatched to the transport bureau on the dispatch page.
        act(&b, "act-accept_order", "已受理").await;
        b.wait_for(
            "return !!document.querySelector('#dispatch-clock')",
            "the dispatch clock",
        )
        .await;
        b.check_page(&shot("accepted")).await;
        b.click("#to-dispatch").await;
        b.wait_for(
            "return !!document.querySelector('#dispatch-form')",
            "the dispatch page",
        )
        .await;
        b.check_page(&shot("dispatch")).await;
        b.script(&format!(
            "document.querySelector('#dispatch-form input[name=leads][value=\"{}\"]').checked = true; return true;",
            f.unit_a
        ))
        .await;
        b.click("#submit").await;
        b.wait_for("return location.pathname === '/workbench'", "dispatched")
            .await;

        // The unit's head receives it and replies in the template.
        sign_in(&b, &base, "head-a").await;
        b.go(&format!("{base}/items/{task}")).await;
        b.wait_for(
            "return !!document.querySelector('#act-receive')",
            "to receive",
        )
        .await;
        b.check_page(&shot("to-receive")).await;
        act(&b, "act-receive", "已签收").await;
        reply(&b, &base, &task, &shot("reply")).await;

        // The dispatcher calls back; the month's satisfaction rate moves with it.
        sign_in(&b, &base, "supervisor").await;
        let before = satisfaction(&b, &base, &shot("stats-before")).await;
        assert_eq!(before, rate, "{size}: the rate as left");
        if size == "phone" {
            // Unsatisfied first: the rate falls; reopened to the same unit, replied again.
            call_back(&b, &base, &task, "unsatisfied", &shot("call-back-1")).await;
            let low = satisfaction(&b, &base, &shot("stats-unsatisfied")).await;
            assert!(
                low.expect("a rate") < before.unwrap_or(101.0),
                "{size}: an unsatisfied call-back lowers the rate ({before:?} → {low:?})"
            );
            b.go(&format!("{base}/items/{task}")).await;
            b.type_into("#act-reopen_order textarea[name=reason]", "油烟仍未解决")
                .await;
            act(&b, "act-reopen_order", "已重办").await;
            b.check_page(&shot("reopened")).await;
            sign_in(&b, &base, "head-a").await;
            reply(&b, &base, &task, &shot("reply-again")).await;
            sign_in(&b, &base, "supervisor").await;
            rate = low;
        }
        call_back(&b, &base, &task, "satisfied", &shot("call-back")).await;
        b.wait_for(
            "return !!document.querySelector('#order-callbacks')",
            "the call-back on record",
        )
        .await;
        b.check_page(&shot("called-back")).await;
        let after = satisfaction(&b, &base, &shot("stats-after")).await;
        match rate {
            None => assert_eq!(after, Some(100.0), "{size}: one order, satisfied"),
            Some(r) => assert!(
                after.expect("a rate") > r,
                "{size}: a satisfied call-back raises the rate ({r} → {after:?})"
            ),
        }
        rate = after;
    }
}
