//! Errors on the pages are pages: each refusal a browser can meet — a bad filter, a page of
//! the office for someone outside it, a missing item, a form refused or stale, the server
//! failing — comes as an HTML page in zh-CN (English beside it) with its status, its stable
//! code and a way back (home, and back to the page it came from), never as the API's JSON.

use reqwest::header::{CONTENT_TYPE, COOKIE, REFERER};

use crate::support::*;
use crate::web::{browser, demo_sign_in, form_token, hidden_field};

/// An answer as a browser gets it.
struct Answer {
    status: u16,
    kind: String,
    body: String,
}

async fn get(web: &reqwest::Client, url: &str, cookie: &str, referer: Option<&str>) -> Answer {
    let mut req = web.get(url).header(COOKIE, cookie);
    if let Some(r) = referer {
        req = req.header(REFERER, r);
    }
    answer(req.send().await.expect("request")).await
}

async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    Answer {
        status,
        kind,
        body: r.text().await.expect("body"),
    }
}

/// Asserts an HTML page in zh-CN with `status`, the stable `code`, the words `zh`, and a
/// link home.
#[track_caller]
fn is_page(a: &Answer, status: u16, code: &str, zh: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert!(a.kind.starts_with("text/html"), "{}: {}", a.kind, a.body);
    assert!(a.body.starts_with("<!DOCTYPE html>"), "{}", a.body);
    assert!(a.body.contains("<html lang=\"zh-CN\">"), "{}", a.body);
    assert!(
        a.body.contains(&format!("data-code=\"{code}\"")),
        "{code}: {}",
        a.body
    );
    assert!(a.body.contains(zh), "{zh}: {}", a.body);
    assert!(a.body.contains("href=\"/\""), "a link home: {}", a.body);
}

both!(
    errors_on_pages_are_pages_with_the_code_and_a_way_back,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let url = |p: &str| format!("{}{p}", s.base);
        let staff = demo_sign_in(&s, &web, "staff-fgj").await;
        let office = demo_sign_in(&s, &web, "supervisor").await;

        // 403: the office's pages for a unit's staff member; a link back to where they were.
        let a = get(&web, &url("/workbench"), &staff, Some(&url("/me"))).await;
        is_page(&a, 403, "perm.denied", "工作台只供督查办使用");
        assert!(a.body.contains("href=\"/me\" id=\"back\""), "{}", a.body);
        let a = get(&web, &url("/register"), &staff, Some(&url("/stats?x=1"))).await;
        is_page(&a, 403, "perm.denied", "只有督查办可以立项和交办");
        assert!(
            a.body.contains("href=\"/stats?x=1\" id=\"back\""),
            "{}",
            a.body
        );
        // A page elsewhere is no way back.
        let a = get(
            &web,
            &url("/register"),
            &staff,
            Some("https://elsewhere.example/me"),
        )
        .await;
        is_page(&a, 403, "perm.denied", "只有督查办");
        assert!(!a.body.contains("id=\"back\""), "{}", a.body);

        // 404: an item that does not exist, an id that is none, a page that is not.
        let a = get(
            &web,
            &url("/items/0a5e4d2c-3f1b-4c9e-8d7a-1b2c3d4e5f60"),
            &office,
            Some(&url("/workbench")),
        )
        .await;
        is_page(&a, 404, "not_found", "不存在");
        assert!(a.body.contains("href=\"/workbench\" id=\"back\""));
        let a = get(&web, &url("/items/not-an-id"), &office, None).await;
        assert!(
            a.kind.starts_with("text/html") && a.status >= 400,
            "{}",
            a.body
        );
        let a = get(&web, &url("/no-such-page"), &office, None).await;
        is_page(&a, 404, "not_found", "不存在");

        // A bad filter: shown at the filter's form, with what was typed kept.
        let a = get(&web, &url("/ledger?from=2026-13-45"), &office, None).await;
        assert!(matches!(a.status, 400 | 422), "{}: {}", a.status, a.body);
        assert!(a.kind.starts_with("text/html"), "{}", a.kind);
        assert!(a.body.contains("class=\"error\""), "{}", a.body);
        assert!(a.body.contains("2026-13-45"), "what was typed: {}", a.body);
        let a = get(&web, &url("/scores?year=x"), &office, None).await;
        is_page(&a, 400, "request.bad_query", "");

        // 422: a notice without a title.
        let token = form_token(&s, &web, &office).await;
        let (_, html) = crate::web::page(&web, &url("/bulletins"), Some(&office)).await;
        let form = hidden_field(&html, "form");
        let r = web
            .post(url("/bulletins"))
            .header(COOKIE, &office)
            .header(REFERER, url("/bulletins"))
            .form(&[
                ("csrf", token.as_str()),
                ("form", form.as_str()),
                ("kind", "notice"),
                ("title", "  "),
            ])
            .send()
            .await
            .expect("post");
        let a = answer(r).await;
        is_page(&a, 422, "input.title", "标题不能为空");
        assert!(
            a.body.contains("href=\"/bulletins\" id=\"back\""),
            "{}",
            a.body
        );

        // 409: a bulletin changed from a stale version — at its form, with what was typed.
        let form = uuid::Uuid::new_v4().to_string();
        let r = web
            .post(url("/bulletins"))
            .header(COOKIE, &office)
            .form(&[
                ("csrf", token.as_str()),
                ("form", form.as_str()),
                ("kind", "notice"),
                ("title", "防汛值班通知"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
        let draft = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let r = web
            .post(url(&draft))
            .header(COOKIE, &office)
            .form(&[
                ("csrf", token.as_str()),
                ("action", "save"),
                ("version", "0"),
                ("title", "防汛值班通知（改）"),
                ("body", "请各单位安排值班。"),
            ])
            .send()
            .await
            .expect("post");
        let a = answer(r).await;
        is_page(&a, 409, "bulletin.stale", "该通报已被他人修改");
        assert!(
            a.body.contains("防汛值班通知（改）"),
            "what was typed: {}",
            a.body
        );

        // The API keeps its JSON.
        let r = web
            .get(url("/api/v1/tasks/0a5e4d2c-3f1b-4c9e-8d7a-1b2c3d4e5f60"))
            .bearer_auth(
                s.login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
                    .await,
            )
            .send()
            .await
            .expect("api");
        let a = answer(r).await;
        assert_eq!(a.status, 404);
        assert!(a.kind.starts_with("application/json"), "{}", a.kind);

        // 500: the database gone from under a signed-in page.
        s.state.db.close().await;
        let a = get(&web, &url("/overview"), &office, Some(&url("/board"))).await;
        is_page(&a, 500, "internal", "服务器内部错误");
        assert!(a.body.contains("href=\"/board\" id=\"back\""), "{}", a.body);
    }
);
