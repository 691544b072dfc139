//! The console's people pages over HTTP: who may open them, a unit refused in place with what
//! was typed kept, the units import refused row by row with nothing written and then
//! confirmed, a password reset holding the person on `/password`, and the trail page for
//! administrators and inspectors, with every change in a trail that verifies.

use reqwest::header::{COOKIE, LOCATION};

use crate::support::*;
use crate::web::{browser, form_token, page, post_login, sign_in};
use crate::web_register::hidden;

fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

pub(crate) async fn post_form(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let token = form_token(s, web, cookie).await;
    let mut form = fields.to_vec();
    form.push(("csrf", &token));
    let r = web
        .post(format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .header("Accept-Language", "zh-CN")
        .form(&form)
        .send()
        .await
        .expect("post");
    let location = r
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), location, r.text().await.expect("body"))
}

async fn upload(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    path: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let part = reqwest::multipart::Part::bytes(bytes).file_name("units.xlsx");
    let form = reqwest::multipart::Form::new()
        .text("csrf", token)
        .part("file", part);
    let r = web
        .post(format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_pages_check_as_the_api_does_and_keep_a_trail() {
    let s = start(Backend::Sqlite).await;
    let f = s.fixture().await;
    let web = browser();
    let admin = sign_in(&s, &web, "admin").await;
    let staff = sign_in(&s, &web, "staff-b").await;
    let inspector = sign_in(&s, &web, "inspector").await;

    // Who may open what.
    for path in ["/admin/units", "/admin/accounts", "/admin/import"] {
        assert_eq!(
            page(&web, &format!("{}{path}", s.base), Some(&admin))
                .await
                .0,
            200,
            "{path}"
        );
        assert_eq!(
            page(&web, &format!("{}{path}", s.base), Some(&staff))
                .await
                .0,
            403,
            "{path}"
        );
        assert_eq!(
            page(&web, &format!("{}{path}", s.base), Some(&inspector))
                .await
                .0,
            403,
            "{path}"
        );
        assert_eq!(
            page(&web, &format!("{}{path}", s.base), None).await.0,
            303,
            "{path}"
        );
    }
    assert_eq!(
        page(&web, &format!("{}/admin/trail", s.base), Some(&inspector))
            .await
            .0,
        200
    );
    assert_eq!(
        page(&web, &format!("{}/admin/trail", s.base), Some(&staff))
            .await
            .0,
        403
    );

    // A unit refused at its field, what was typed kept; then made.
    let root = f.root.to_string();
    let (status, _, html) = post_form(
        &s,
        &web,
        &admin,
        "/admin/units",
        &[
            ("name", "交通运输局"),
            ("parent", &root),
            ("short_name", "教育局"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"err-aliases\"") && html.contains("org.name_taken"),
        "{html}"
    );
    assert!(html.contains("value=\"教育局\""), "what was typed is kept");
    let (status, location, _) = post_form(
        &s,
        &web,
        &admin,
        "/admin/units",
        &[
            ("name", "县水利局"),
            ("parent", &root),
            ("short_name", "水利局"),
            ("aliases", "水务局、水利"),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/admin/units"));
    let org = s.state.org.latest(&s.state.db).await.unwrap();
    let water = org.units.iter().find(|u| u.name == "县水利局").unwrap();
    assert_eq!(water.aliases, ["水务局", "水利"]);
    // Moving the transport bureau under its own section is refused (no cycles).
    let (status, _, html) = post_form(
        &s,
        &web,
        &admin,
        &format!("/admin/units/{}", f.unit_a),
        &[("name", "交通运输局"), ("parent", &f.unit_a1.to_string())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"err-parent\"") && html.contains("org.cycle"),
        "{html}"
    );

    // The units import: a bad row refused by number and column, nothing written.
    let units_before = s.scalar("SELECT COUNT(*) FROM units", vec![]).await;
    let bad = xlsx(&[
        &["单位名称", "上级单位", "简称", "别名"],
        &["防汛办", "水务局", "", ""],
        &["河长办", "没有这个局", "", ""],
    ]);
    let (status, html) = upload(&s, &web, &admin, "/admin/import/units", bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-row=\"3\" class=\"bad\""), "{html}");
    assert!(html.contains("input.unknown_unit"));
    assert!(
        !html.contains("id=\"confirm\""),
        "no confirm while a row is bad"
    );
    assert_eq!(
        s.scalar("SELECT COUNT(*) FROM units", vec![]).await,
        units_before
    );
    let good = xlsx(&[
        &["单位名称", "上级单位", "简称", "别名"],
        &["防汛办", "水务局", "", ""],
        &["河长办", "水利", "", ""],
    ]);
    let (status, html) = upload(&s, &web, &admin, "/admin/import/units", good).await;
    assert_eq!(status, 200, "{html}");
    let data = hidden(&html, "data");
    assert_eq!(
        s.scalar("SELECT COUNT(*) FROM units", vec![]).await,
        units_before,
        "a preview writes nothing"
    );
    let (status, _, html) = post_form(
        &s,
        &web,
        &admin,
        "/admin/import/units/confirm",
        &[("data", &data)],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"import-done\""));
    assert_eq!(
        s.scalar("SELECT COUNT(*) FROM units", vec![]).await,
        units_before + 2
    );
    let template = web
        .get(format!("{}/admin/import/people.xlsx", s.base))
        .header(COOKIE, &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), 200);
    let bytes = template.bytes().await.unwrap();
    let rows = duban_server::org_import::read_people(&bytes).expect("the template reads back");
    assert_eq!(rows.len(), 1, "its example row");

    // A reset: the person is held on /password until they set their own.
    let (status, _, html) = post_form(
        &s,
        &web,
        &admin,
        &format!("/admin/accounts/{}/reset", f.staff_a),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let marker = "id=\"shown-password\">";
    let start = html.find(marker).expect("the password shown") + marker.len();
    let password = html[start..].split('<').next().unwrap().to_owned();
    assert_eq!(password.len(), 16);
    let (_, again) = page(
        &web,
        &format!("{}/admin/accounts/{}", s.base, f.staff_a),
        Some(&admin),
    )
    .await;
    assert!(!again.contains(&password), "shown once");
    let r = post_login(
        &s,
        &web,
        &[
            ("username", "staff-a"),
            ("password", &password),
            ("next", "/overview"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/password");
    let cookie = r.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = web
        .get(format!("{}/overview", s.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.headers()[LOCATION].to_str().unwrap()),
        (303, "/password")
    );
    let (status, _, html) = post_form(
        &s,
        &web,
        &cookie,
        "/password",
        &[("current", &password), ("new", "short"), ("again", "short")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"err-password\"") && html.contains("auth.weak_password"),
        "{html}"
    );
    let (status, location, _) = post_form(
        &s,
        &web,
        &cookie,
        "/password",
        &[
            ("current", &password),
            ("new", "staff-a-own-pw"),
            ("again", "staff-a-own-pw"),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/"));
    assert_eq!(
        page(&web, &format!("{}/overview", s.base), Some(&cookie))
            .await
            .0,
        200
    );

    // The trail page: everything above, verified.
    let (status, html) = page(&web, &format!("{}/admin/trail", s.base), Some(&inspector)).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"trail-verified\""), "{html}");
    for kind in ["unit.create", "unit.import", "account.reset_password"] {
        assert!(html.contains(kind), "{kind}");
    }
    assert!(!html.contains(&password));
}

/// The English words left in a page's visible text once tags, attributes, `<code>` and
/// `<pre>` are taken out.
fn english_words(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let tag = &rest[start..];
        let skip_to = ["<code", "<pre", "<script", "<style", "<title"]
            .iter()
            .find(|t| tag.starts_with(**t))
            .map(|t| format!("</{}>", &t[1..]));
        rest = match skip_to {
            Some(end) => tag.find(&end).map(|i| &tag[i + end.len()..]).unwrap_or(""),
            None => tag.find('>').map(|i| &tag[i + 1..]).unwrap_or(""),
        };
        text.push(' ');
    }
    text.push_str(rest);
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3)
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_speaks_one_language_at_a_time() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let web = browser();
    let admin = crate::web::demo_sign_in(&s, &web, "admin").await;
    let org = s.state.org.latest(&s.state.db).await.unwrap();
    let someone = org
        .people
        .values()
        .find(|p| p.username == "staff-jtj")
        .unwrap()
        .id;
    let unit = org.units[1].id;
    for path in [
        "/admin/units".to_owned(),
        format!("/admin/units/{unit}"),
        "/admin/accounts".to_owned(),
        format!("/admin/accounts/{someone}"),
        "/admin/import".to_owned(),
        "/admin/trail".to_owned(),
        "/password".to_owned(),
    ] {
        for (lang, cookie) in [("zh-CN", "duban_lang=zh-CN"), ("en", "duban_lang=en")] {
            let r = web
                .get(format!("{}{path}", s.base))
                .header(COOKIE, format!("{admin}; {cookie}"))
                .header("Accept-Language", lang)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let html = r.text().await.unwrap();
            if lang == "zh-CN" {
                let words = english_words(&html);
                assert!(
                    words.is_empty(),
                    "{path}: English in the Chinese page: {words:?}"
                );
            } else {
                // The same reading finds the English page's words (the check can fail).
                assert!(html.contains("lang=\"en\""), "{path}");
                assert!(english_words(&html).len() > 5, "{path}");
            }
        }
    }
}
