//! One language at a time on the registration, statistics, scores, bulletins and ledger
//! pages and in their spreadsheets: with `Accept-Language: en` every label of these pages
//! (the catalog `office.ftl`) is English and none of their Chinese labels is there, and the
//! other way round with zh-CN; a row-by-row refusal of the item import is in the page's
//! language; the ledger's and the statistics' xlsx have their sheet names and headers in the
//! requester's language; the registration template in English reads back.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT_LANGUAGE, COOKIE};
use reqwest::redirect::Policy;

use crate::support::*;
use crate::web::{page, sign_in};
use crate::web_register::{post, upload};

/// A client that asks for `lang` (`Accept-Language`) and does not follow redirects.
fn client(lang: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(lang).expect("a tag"));
    reqwest::Client::builder()
        .redirect(Policy::none())
        .default_headers(headers)
        .build()
        .expect("client")
}

/// The one-line messages of this area's catalog in `locale`, without arguments: key → text.
fn catalog(locale: &str) -> BTreeMap<String, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(locale)
        .join("office.ftl");
    std::fs::read_to_string(path)
        .expect("the catalog")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        .filter_map(|l| l.split_once(" = "))
        .filter(|(_, v)| !v.contains('{'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Chinese labels: two characters or more.
fn zh_labels() -> Vec<(String, String)> {
    catalog("zh-CN")
        .into_iter()
        .filter(|(_, v)| v.chars().count() >= 2)
        .collect()
}

/// English labels worth looking for: two words or more (a single word could be an
/// attribute's or a class's name).
fn en_labels() -> Vec<(String, String)> {
    catalog("en")
        .into_iter()
        .filter(|(_, v)| v.contains(' ') && v.len() >= 8)
        .collect()
}

/// The labels of `labels` that `html` shows (outside `<code>` elements and attributes'
/// values is not told apart: the check is of the whole text).
fn shown(html: &str, labels: &[(String, String)], data: &[&str]) -> Vec<String> {
    let mut text = without_lights(&without_uploads(html));
    for d in data {
        text = text.replace(d, "");
    }
    labels
        .iter()
        .filter(|(_, v)| text.contains(v.as_str()))
        .map(|(k, _)| k.clone())
        .collect()
}

/// The page without its photo-and-file box (`upload.html`, the uploads' own component,
/// checked with the uploads).
fn without_uploads(html: &str) -> String {
    match html.find("<div class=\"uploads\"") {
        Some(start) => match html[start..].find("</ul>") {
            Some(end) => format!("{}{}", &html[..start], &html[start + end..]),
            None => html.to_owned(),
        },
        None => html.to_owned(),
    }
}

/// The page without the item rows' light dots' titles (`web::row`, the shared item row of
/// the lists, whose words are the lists' own).
fn without_lights(html: &str) -> String {
    let marker = "<span class=\"dot ";
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The pages of this area a supervisor opens, with a draft and a dispatched item in place.
fn pages(f: &Fixture, draft: &str) -> Vec<String> {
    vec![
        "/register".to_owned(),
        "/register/import".to_owned(),
        format!("/dispatch/{draft}"),
        "/stats".to_owned(),
        "/monitor".to_owned(),
        "/me".to_owned(),
        format!("/people/{}", f.staff_a),
        "/scores".to_owned(),
        format!("/scores/units/{}", f.unit_a),
        "/scores?period=quarter".to_owned(),
        "/bulletins".to_owned(),
        "/ledger".to_owned(),
    ]
}

/// The names the fixture and these tests put in (data, shown as entered in any language).
const DATA: [&str; 3] = ["修复城区路灯", "整治占道经营", "督查督办"];

both!(
    the_pages_speak_english_when_asked_and_chinese_by_default,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let draft = tid();
        s.ok(&sup, register(&draft, DATA[0])).await;
        let led = tid();
        s.ok(&sup, register(&led, DATA[1])).await;
        s.ok(&sup, dispatch(&led, f.unit_a, Some(f.staff_a))).await;
        let (zh, en) = (zh_labels(), en_labels());
        assert!(zh.len() > 100 && en.len() > 50, "the catalogs are read");

        let english = client("en-GB,en;q=0.9");
        let chinese = client("zh-CN,zh;q=0.9");
        let en_cookie = sign_in(&s, &english, "supervisor").await;
        let zh_cookie = sign_in(&s, &chinese, "supervisor").await;
        for path in pages(&f, &draft) {
            let url = format!("{}{path}", s.base);
            let (status, html) = page(&english, &url, Some(&en_cookie)).await;
            assert_eq!(status, 200, "{path}: {html}");
            assert!(html.contains("<html lang=\"en\""), "{path}");
            let left = shown(&html, &zh, &DATA);
            assert!(
                left.is_empty(),
                "{path} in English shows Chinese labels {left:?}"
            );

            let (status, html) = page(&chinese, &url, Some(&zh_cookie)).await;
            assert_eq!(status, 200, "{path}: {html}");
            assert!(html.contains("<html lang=\"zh-CN\""), "{path}");
            let left = shown(&html, &en, &DATA);
            assert!(
                left.is_empty(),
                "{path} in Chinese shows English labels {left:?}"
            );
        }

        // The unit head's portal (nothing overdue: no item rows there).
        for (client, lang, labels) in [(&english, "en", &zh), (&chinese, "zh-CN", &en)] {
            let cookie = sign_in(&s, client, "head-a").await;
            for path in ["/unit", "/me"] {
                let (status, html) =
                    page(client, &format!("{}{path}", s.base), Some(&cookie)).await;
                assert_eq!(status, 200, "{path}: {html}");
                assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{path}");
                let left = shown(&html, labels, &DATA);
                assert!(left.is_empty(), "{path} in {lang} shows {left:?}");
            }
        }

        // Some labels, to know the pages were not empty of both.
        let get = |path: &str, client: &reqwest::Client, cookie: &str| {
            let url = format!("{}{path}", s.base);
            let (client, cookie) = (client.clone(), cookie.to_owned());
            async move { page(&client, &url, Some(&cookie)).await.1 }
        };
        let html = get("/register", &english, &en_cookie).await;
        assert!(html.contains("Register and dispatch") && html.contains("Lead units"));
        let html = get("/register", &chinese, &zh_cookie).await;
        assert!(html.contains("立项并交办") && html.contains("主办单位"));
        let html = get("/stats", &english, &en_cookie).await;
        assert!(html.contains("On-time rate") && html.contains("By lead unit"));
        let html = get("/ledger", &english, &en_cookie).await;
        assert!(html.contains("Ledger of supervised items") && html.contains("Latest report"));
        let html = get("/scores", &english, &en_cookie).await;
        assert!(html.contains("Scores and ranking"), "{html}");

        // A refused registration: the field and the reason in English, the code apart.
        let (status, html) = post(
            &s,
            &english,
            &en_cookie,
            "/register",
            &[
                ("form", uuid::Uuid::new_v4().to_string()),
                ("category", "meeting_decision".to_owned()),
                ("title", String::new()),
            ],
            false,
        )
        .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("Title: the title is empty"), "{html}");
        assert!(html.contains("<code class=\"err-code\">input.title</code>"));
        assert!(!html.contains("标题不能为空"), "one language");

        // A generated bulletin: the organisation's document, in zh-CN, framed in English.
        let (status, _) = post(
            &s,
            &english,
            &en_cookie,
            "/bulletins",
            &[
                ("form", uuid::Uuid::new_v4().to_string()),
                ("kind", "monthly".to_owned()),
                ("period", "2026-11".to_owned()),
            ],
            false,
        )
        .await;
        assert_eq!(status, 303);
        let html = get("/bulletins", &english, &en_cookie).await;
        assert!(html.contains("<td>Monthly bulletin</td>"), "{html}");
        let zh_list = get("/bulletins", &chinese, &zh_cookie).await;
        assert!(zh_list.contains("<td>月度通报</td>"), "{zh_list}");
        let id = html
            .split("href=\"/bulletins/")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("the draft's link")
            .to_owned();
        let html = get(&format!("/bulletins/{id}"), &english, &en_cookie).await;
        assert!(html.contains("Save the draft"), "{html}");
        assert!(
            html.contains("一、总体情况"),
            "the text is the organisation's: {html}"
        );
        assert!(!html.contains("overall"), "{html}");
    }
);

/// The rows of the sheet `name`.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx");
    let names = wb.sheet_names();
    let range = wb
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("{name} among {names:?}: {e}"));
    range.rows().map(<[Data]>::to_vec).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn has_han(t: &str) -> bool {
    t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

async fn download(web: &reqwest::Client, url: &str, cookie: &str) -> Vec<u8> {
    let r = web
        .get(url)
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200, "{url}");
    r.bytes().await.expect("bytes").to_vec()
}

both!(
    the_spreadsheets_speak_the_requesters_language,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, DATA[1])).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let (english, chinese) = (client("en"), client("zh-CN"));
        let en_cookie = sign_in(&s, &english, "supervisor").await;
        let zh_cookie = sign_in(&s, &chinese, "supervisor").await;

        // The ledger: sheet names, the title row, the headers and the words in the cells.
        let en = download(&english, &format!("{}/ledger.xlsx", s.base), &en_cookie).await;
        let rows = sheet(&en, "Ledger");
        assert!(
            text(&rows[0][0]).contains("ledger of supervised items"),
            "{:?}",
            rows[0]
        );
        let headers: Vec<String> = rows[1].iter().map(text).collect();
        assert_eq!(headers[1], "No.");
        assert!(headers.iter().all(|h| !has_han(h)), "{headers:?}");
        let row = rows
            .iter()
            .find(|r| text(&r[20]) == t)
            .expect("the item's row");
        assert_eq!(text(&row[4]), "Meeting", "{row:?}");
        assert_eq!(text(&row[13]), "dispatched and not received", "{row:?}");
        let export = sheet(&en, "Export");
        assert!(export.iter().all(|r| !has_han(&text(&r[0]))), "{export:?}");
        let zh = download(&chinese, &format!("{}/ledger.xlsx", s.base), &zh_cookie).await;
        let rows = sheet(&zh, "台账");
        let row = rows
            .iter()
            .find(|r| text(&r[20]) == t)
            .expect("the item's row");
        assert_eq!(text(&row[4]), "会议决定", "{row:?}");
        assert_eq!(text(&row[13]), "待签收", "{row:?}");
        assert!(rows[1]
            .iter()
            .all(|h| !text(h).chars().any(|c| c.is_ascii_alphabetic())));

        // The statistics: every sheet's name and headers.
        let en = download(&english, &format!("{}/stats.xlsx", s.base), &en_cookie).await;
        for name in [
            "Summary",
            "By unit",
            "By person",
            "By category",
            "By status",
            "By urgency",
            "By light",
            "Export",
        ] {
            let rows = sheet(&en, name);
            // The title row names the organisation (data).
            let firsts: Vec<String> = rows.iter().skip(1).map(|r| text(&r[0])).collect();
            // The unit and person sheets name units and people (data).
            if !matches!(name, "By unit" | "By person") {
                assert!(firsts.iter().all(|t| !has_han(t)), "{name}: {firsts:?}");
            }
        }
        let summary = sheet(&en, "Summary");
        assert!(text(&summary[0][0]).contains("supervision statistics"));
        assert!(summary.iter().any(|r| text(&r[0]) == "Overdue"));
        let zh = download(&chinese, &format!("{}/stats.xlsx", s.base), &zh_cookie).await;
        let summary = sheet(&zh, "总览");
        assert!(summary.iter().any(|r| text(&r[0]) == "逾期未报"));
        let status = sheet(&zh, "按状态");
        assert!(status
            .iter()
            .skip(2)
            .all(|r| !text(&r[0]).chars().any(|c| c.is_ascii_alphabetic())));

        // The registration template in English reads back as a valid row.
        let en = download(
            &english,
            &format!("{}/register/template.xlsx", s.base),
            &en_cookie,
        )
        .await;
        let rows = sheet(&en, "Items");
        let headers: Vec<String> = rows[0].iter().map(text).collect();
        assert_eq!(&headers[..2], ["Category", "Title"]);
        let (status, html) = upload(&s, &english, &en_cookie, en, false).await;
        assert_eq!(status, 200, "the English example row checks: {html}");
        assert!(html.contains("<tr data-row=\"2\">"), "{html}");
        let zh = download(
            &chinese,
            &format!("{}/register/template.xlsx", s.base),
            &zh_cookie,
        )
        .await;
        let rows = sheet(&zh, "立项");
        assert_eq!(text(&rows[0][0]), "类别");
    }
);

both!(
    an_import_is_refused_row_by_row_in_the_pages_language,
    |s: Server| async move {
        s.fixture().await;
        let english = client("en");
        let cookie = sign_in(&s, &english, "supervisor").await;
        let due = crate::web_register::import_due();
        let mut bad = crate::web_register::import_row("整治占道经营".to_owned(), "x", &due);
        bad[6] = "不存在的局".to_owned();
        let rows = [bad];
        let bytes = crate::web_register::sheet(&crate::web_register::as_refs(&rows));
        let (status, html) = upload(&s, &english, &cookie, bytes.clone(), false).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("<th class=\"num\">Row</th>"), "{html}");
        assert!(html.contains("1 row needs correcting"), "{html}");
        assert!(html.contains("Lead units: "), "the field's name: {html}");
        assert!(html.contains("<code class=\"err-code\">input.unknown_unit</code>"));
        let left = shown(&html, &zh_labels(), &["不存在的局", "整治占道经营"]);
        assert!(left.is_empty(), "{left:?}");
        // The same refusal in Chinese.
        let chinese = client("zh-CN");
        let cookie = sign_in(&s, &chinese, "supervisor").await;
        let (_, html) = upload(&s, &chinese, &cookie, bytes, true).await;
        assert!(html.contains("有1行需要修改"), "{html}");
        assert!(html.contains("主办单位："), "{html}");
        let left = shown(&html, &en_labels(), &[]);
        assert!(left.is_empty(), "{left:?}");
    }
);
