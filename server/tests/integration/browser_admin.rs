//! The administration console in a real browser, at a PC's size and a phone's, on the demo:
//! an administrator creates a unit (with a short name) and an account in it, resets the
//! account's password, and the person signs in with it, is held on the change-password page
//! until they set their own, and then reaches their portal. Every page is checked with
//! `check_page` (screenshot, axe-core, and at phone width no sideways scroll), and the
//! administrative trail of it all verifies.

use crate::browser::Browser;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_an_administrator_makes_a_unit_and_an_account_and_the_person_sets_a_password()
{
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let b = Browser::start().await;
    for (width, height, size) in [(1440, 900, "pc"), (390, 844, "phone")] {
        b.resize(width, height).await;
        let shot = |what: &str| format!("admin-{size}-{what}");
        let unit_name = format!("县应急管理局{size}");
        let short_name = format!("应急局{size}");
        let username = format!("yingji-{size}");

        // A unit, with its short name, under the county.
        b.sign_in(&s.base, "admin").await;
        b.go(&format!("{}/admin/units", s.base)).await;
        b.check_page(&shot("units")).await;
        b.type_into("#unit-name", &unit_name).await;
        b.type_into("#unit-short", &short_name).await;
        b.click("#unit-create").await;
        b.wait_for(
            &format!(
                "return [...document.querySelectorAll('#unit-tree li')].some(l => l.textContent.includes('{unit_name}'))"
            ),
            "the new unit in the tree",
        )
        .await;
        // The same short name again is refused in place, with what was typed kept.
        b.type_into("#unit-name", "另一个单位").await;
        b.type_into("#unit-short", &short_name).await;
        b.click("#unit-create").await;
        b.wait_for(
            "return document.querySelector('#err-aliases') !== null",
            "the refusal at its field",
        )
        .await;
        assert_eq!(
            b.script("return document.querySelector('#unit-name').value")
                .await,
            "另一个单位"
        );
        b.check_page(&shot("unit-refused")).await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let unit = org
            .units
            .iter()
            .find(|u| u.name == unit_name)
            .expect("the unit was made");
        assert_eq!(unit.short_name, short_name);

        // An account in it, whose initial password is shown once.
        b.go(&format!("{}/admin/accounts", s.base)).await;
        b.type_into("#acc-username", &username).await;
        b.type_into("#acc-name", "刘应急").await;
        b.script(&format!(
            "document.querySelector('#acc-unit').value = '{}'; return true",
            unit.id
        ))
        .await;
        b.type_into("#acc-position", "科员").await;
        b.click("input[name=role][value=staff]").await;
        b.click("#account-create").await;
        b.wait_for(
            "return document.querySelector('#shown-password') !== null",
            "the initial password",
        )
        .await;
        b.check_page(&shot("account-created")).await;

        // The administrator resets it: a new password, shown once.
        b.click(&format!("tr[data-account='{username}'] a")).await;
        b.wait_for(
            "return document.querySelector('#reset') !== null",
            "the account's page",
        )
        .await;
        b.check_page(&shot("account")).await;
        b.click("#reset").await;
        b.wait_for(
            "return document.querySelector('#reset-done #shown-password') !== null",
            "the reset password",
        )
        .await;
        let password = b
            .script("return document.querySelector('#reset-done #shown-password').textContent")
            .await
            .as_str()
            .expect("a password")
            .to_owned();
        assert_eq!(password.len(), 16);
        b.check_page(&shot("password-reset")).await;

        // The person signs in with it and must change it before anything else.
        b.sign_out_cookies().await;
        b.go(&format!("{}/login", s.base)).await;
        b.type_into("#username", &username).await;
        b.type_into("#password", &password).await;
        b.click("form.signin button").await;
        b.wait_for(
            "return location.pathname === '/password'",
            "the change-password page",
        )
        .await;
        b.check_page(&shot("must-change")).await;
        b.go(&format!("{}/me", s.base)).await;
        b.wait_for(
            "return location.pathname === '/password'",
            "held on the change-password page",
        )
        .await;
        // A mismatch is refused at its field.
        b.type_into("#pw-current", &password).await;
        b.type_into("#pw-new", "my-own-password-1").await;
        b.type_into("#pw-again", "my-own-password-2").await;
        b.click("#password-save").await;
        b.wait_for(
            "return document.querySelector('#err-again') !== null",
            "the mismatch refused",
        )
        .await;
        b.type_into("#pw-current", &password).await;
        b.type_into("#pw-new", "my-own-password-1").await;
        b.type_into("#pw-again", "my-own-password-1").await;
        b.click("#password-save").await;
        b.wait_for(
            "return location.pathname !== '/password'",
            "leaving the change-password page",
        )
        .await;
        b.go(&format!("{}/me", s.base)).await;
        b.wait_for("return location.pathname === '/me'", "the portal")
            .await;
        b.check_page(&shot("portal")).await;
        s.login_with(&username, "my-own-password-1").await;
    }
    // The administrator reads it all in the administrative trail, verified.
    b.sign_in(&s.base, "admin").await;
    b.go(&format!("{}/admin/trail", s.base)).await;
    b.wait_for(
        "return document.querySelector('#trail-verified') !== null",
        "the verified trail",
    )
    .await;
    b.check_page("admin-phone-trail").await;
    b.resize(1440, 900).await;
    b.check_page("admin-pc-trail").await;
    // In English, then back in Chinese: the administrator's choice, remembered.
    assert_eq!(
        b.script("return document.documentElement.lang").await,
        "zh-CN"
    );
    b.click("form.lang button").await;
    b.wait_for(
        "return document.documentElement.lang === 'en'",
        "the English interface",
    )
    .await;
    b.check_page("admin-pc-trail-en").await;
    // Remembered, though the browser asks for Chinese.
    b.go(&format!("{}/admin/units", s.base)).await;
    assert_eq!(b.script("return document.documentElement.lang").await, "en");
    b.click("form.lang button").await;
    b.wait_for(
        "return document.documentElement.lang === 'zh-CN'",
        "the Chinese interface",
    )
    .await;
    b.check_page("admin-pc-trail-zh").await;
    b.go(&format!("{}/admin/units", s.base)).await;
    b.check_page("admin-pc-units-zh").await;
    b.go(&format!("{}/admin/accounts", s.base)).await;
    b.check_page("admin-pc-accounts-zh").await;
    let t = duban_server::admin_trail::verify(&s.state.db)
        .await
        .expect("the trail verifies");
    assert_eq!(t, 6, "two units, two accounts, two resets");
}
