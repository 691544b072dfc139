//! Issue 16, the pages' holes: where the sign-in sends the browser afterwards (item 4), forms
//! posted from another site (item 9: the Origin check, the form token, the sign-in's
//! pre-session token, the security headers), and errors answered in the shape of where they
//! were asked — JSON on the API, the HTML error page on the pages (item 11).

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

use crate::support::*;
use crate::web::{browser, form_token, hidden_field, login_form, page, post_login, sign_in};

/// Signs in through the form with `next`; returns the status and `Location`.
async fn sign_in_to(s: &Server, web: &reqwest::Client, next: &str) -> (u16, String) {
    let r = post_login(
        s,
        web,
        &[
            ("username", "supervisor"),
            ("password", PASSWORD),
            ("next", next),
        ],
    )
    .await;
    let location = r
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().expect("location").to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), location)
}

/// Where a browser sent away by the sign-in could end up: each one leaves this site, or
/// cannot be put in a `Location` at all.
const ELSEWHERE: &[&str] = &[
    "/\t/evil.example",
    "/%09/evil.example",
    "//evil.example",
    "//evil.example/",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    " /evil",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%252F/evil.example",
    "/\n",
    "/\r\nSet-Cookie: x=1",
    "/\x7f",
    "/\u{85}evil",
    "/\u{2028}evil",
    "evil.example",
    "",
];

#[test]
fn a_next_is_kept_only_as_a_plain_path_of_this_site() {
    use duban_server::web::safe_next;
    for next in ELSEWHERE {
        assert_eq!(safe_next(next), "/", "{next:?}");
    }
    assert_eq!(
        safe_next(&format!("/{}", "a".repeat(5000))),
        "/",
        "too long"
    );
    for next in [
        "/",
        "/overview",
        "/items/0a5e4d2c-3f1b-4c9e-8d7a-1b2c3d4e5f60",
        "/scores/units/0a5e4d2c-3f1b-4c9e-8d7a-1b2c3d4e5f60?period=month&year=2026",
        "/stats?unit=a%20b",
    ] {
        assert_eq!(safe_next(next), next, "{next:?}");
    }
}

both!(
    signing_in_sends_the_browser_back_only_to_a_path_of_this_site,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let task = tid();
        s.ok(&sup, register(&task, "回跳地址事项")).await;
        s.ok(&sup, dispatch(&task, f.unit_a, Some(f.staff_a))).await;
        let web = browser();
        for next in ELSEWHERE {
            let (status, location) = sign_in_to(&s, &web, next).await;
            assert_eq!(status, 303, "{next:?}: never a 5xx");
            assert_eq!(location, "/", "{next:?}: home instead");
        }
        let item = format!("/items/{task}");
        assert_eq!(sign_in_to(&s, &web, &item).await, (303, item.clone()));

        // The sign-in page itself keeps only a plain path in its form, and never fails.
        for (query, kept) in [
            ("next=%2F%09%2Fevil.example", "/"),
            ("next=%0A", "/"),
            ("next=%7F", "/"),
            ("next=%2F%2Fevil.example", "/"),
            ("next=%2Foverview", "/overview"),
        ] {
            let (status, html) = page(&web, &format!("{}/login?{query}", s.base), None).await;
            assert_eq!(status, 200, "{query}");
            assert_eq!(hidden_field(&html, "next"), kept, "{query}");
        }
    }
);

/// An item the supervisor may urge; returns its id.
async fn urgeable(s: &Server) -> String {
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let task = tid();
    s.ok(&sup, register(&task, "跨站请求事项")).await;
    s.ok(&sup, dispatch(&task, f.unit_a, Some(f.staff_a))).await;
    task
}

/// The item's urge count, as the API reads it.
async fn urges(s: &Server, task: &str) -> u64 {
    let sup = s.login("supervisor").await;
    let d = s
        .get(&sup, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200);
    d["urges"].as_u64().expect("urges")
}

/// Posts the urge form with `fields` and `headers`; returns the status and body.
async fn urge(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    task: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut req = web
        .post(format!("{}/items/{task}/urge", s.base))
        .header(COOKIE, cookie)
        .form(fields);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let r = req.send().await.expect("urge");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Asserts the pages' HTML error page with this status and code.
#[track_caller]
fn error_page(status: u16, body: &str, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(
        body.contains(&format!("data-code=\"{code}\"")),
        "{code}: {body}"
    );
    assert!(body.contains("href=\"/\""), "a link home: {body}");
}

both!(
    a_page_form_without_its_token_is_refused,
    |s: Server| async move {
        let task = urgeable(&s).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = form_token(&s, &web, &cookie).await;
        let other = sign_in(&s, &web, "leader").await;
        let others = form_token(&s, &web, &other).await;
        assert_ne!(token, others, "a token per session");
        let command = cid();
        for (what, fields, headers) in [
            ("no token", vec![("command", command.as_str())], vec![]),
            (
                "a wrong token",
                vec![
                    ("command", command.as_str()),
                    ("csrf", "0".repeat(64).as_str()),
                ],
                vec![],
            ),
            (
                "another session's token",
                vec![("command", command.as_str()), ("csrf", others.as_str())],
                vec![],
            ),
            (
                "a wrong header (htmx)",
                vec![("command", command.as_str()), ("csrf", token.as_str())],
                vec![("HX-Request", "true"), ("X-CSRF-Token", "junk")],
            ),
        ] {
            let (status, body) = urge(&s, &web, &cookie, &task, &fields, &headers).await;
            error_page(status, &body, 403, "csrf.token");
            assert!(body.contains("刷新页面"), "{what}: said in zh-CN");
        }
        assert_eq!(urges(&s, &task).await, 0, "nothing was urged");

        // Signing out is a form too: without the token the session lives on.
        let r = web
            .post(format!("{}/logout", s.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status(), 403);
        let (status, _) = page(&web, &format!("{}/overview", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "still signed in");

        // A multipart form without its token, the same.
        let r = web
            .post(format!("{}/register/import", s.base))
            .header(COOKIE, &cookie)
            .multipart(
                reqwest::multipart::Form::new()
                    .part("file", reqwest::multipart::Part::bytes(vec![1, 2, 3])),
            )
            .send()
            .await
            .expect("upload");
        let status = r.status().as_u16();
        error_page(status, &r.text().await.expect("body"), 403, "csrf.token");
    }
);

both!(
    a_page_form_from_another_site_is_refused,
    |s: Server| async move {
        let task = urgeable(&s).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = form_token(&s, &web, &cookie).await;
        let command = cid();
        let fields = [("command", command.as_str()), ("csrf", token.as_str())];
        for headers in [
            vec![("Origin", "http://evil.example")],
            vec![("Origin", "null")],
            vec![("Origin", "https://evil.example")],
            vec![("Referer", "http://evil.example/page")],
            // The right host on another port, or another scheme.
            vec![("Origin", "http://127.0.0.1:1")],
            vec![("X-Forwarded-Proto", "https")],
        ] {
            let mut headers = headers;
            if headers[0].0 == "X-Forwarded-Proto" {
                headers.push(("Origin", s.base.as_str()));
            }
            let (status, body) = urge(&s, &web, &cookie, &task, &fields, &headers).await;
            error_page(status, &body, 403, "csrf.origin");
        }
        assert_eq!(urges(&s, &task).await, 0, "nothing was urged");

        // From this site: its own origin, as a browser sends it, or behind a proxy that
        // names the host and scheme the browser used.
        let here = s.base.clone();
        let referer = format!("{here}/workbench");
        let proxied = [
            ("Origin", "https://duban.example"),
            ("X-Forwarded-Host", "duban.example"),
            ("X-Forwarded-Proto", "https"),
        ];
        for headers in [
            vec![("Origin", here.as_str())],
            vec![("Referer", referer.as_str())],
            proxied.to_vec(),
            vec![],
        ] {
            let (status, body) = urge(&s, &web, &cookie, &task, &fields, &headers).await;
            assert_eq!(status, 303, "{headers:?}: {body}");
        }
        assert_eq!(urges(&s, &task).await, 1, "one command id, one urge");
    }
);

both!(
    a_page_form_with_its_token_from_this_site_works,
    |s: Server| async move {
        let task = urgeable(&s).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        // The token is what the page's forms carry: the workbench's urge form has it too.
        let (_, workbench) = page(&web, &format!("{}/workbench", s.base), Some(&cookie)).await;
        let token = hidden_field(&workbench, "csrf");
        assert_eq!(token, form_token(&s, &web, &cookie).await);
        assert!(
            workbench.contains(&format!("hx-headers='{{\"X-CSRF-Token\": \"{token}\"}}'")),
            "htmx sends it: {workbench}"
        );
        let origin = [("Origin", s.base.as_str())];
        let command = cid();
        let (status, _) = urge(
            &s,
            &web,
            &cookie,
            &task,
            &[("command", command.as_str()), ("csrf", token.as_str())],
            &origin,
        )
        .await;
        assert_eq!(status, 303);
        // As htmx sends it: the header (a second urging, confirmed).
        let command = cid();
        let (status, row) = urge(
            &s,
            &web,
            &cookie,
            &task,
            &[("command", command.as_str()), ("confirm", "1")],
            &[
                ("Origin", s.base.as_str()),
                ("HX-Request", "true"),
                ("X-CSRF-Token", token.as_str()),
            ],
        )
        .await;
        assert_eq!(status, 200, "{row}");
        assert!(
            row.contains("name=\"csrf\""),
            "the new row's form has it: {row}"
        );
        assert_eq!(urges(&s, &task).await, 2);

        // Signing out with it ends the session.
        let r = web
            .post(format!("{}/logout", s.base))
            .header(COOKIE, &cookie)
            .header("Origin", &s.base)
            .form(&[("csrf", token.as_str())])
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status(), 303);
        let (status, _) = page(&web, &format!("{}/overview", s.base), Some(&cookie)).await;
        assert_eq!(status, 303, "signed out");
    }
);

both!(
    signing_in_needs_the_sign_in_forms_own_token,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let fields = [
            ("username", "supervisor"),
            ("password", PASSWORD),
            ("next", "/"),
        ];
        let (cookie, token) = login_form(&s, &web).await;
        let (other_cookie, other_token) = login_form(&s, &web).await;
        assert_ne!(token, other_token, "a token per browser");
        let with = |extra: Vec<(&'static str, String)>, cookie: Option<&str>| {
            let mut form: Vec<(&str, String)> =
                fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            form.extend(extra);
            let mut req = web.post(format!("{}/login", s.base)).form(&form);
            if let Some(c) = cookie {
                req = req.header(COOKIE, c.to_owned());
            }
            req.send()
        };
        // Another site posting the form (login CSRF): it has neither the cookie nor the token.
        for (what, r) in [
            ("nothing", with(vec![], None).await),
            ("no cookie", with(vec![("csrf", token.clone())], None).await),
            ("no token", with(vec![], Some(&cookie)).await),
            (
                "another browser's token",
                with(vec![("csrf", other_token.clone())], Some(&cookie)).await,
            ),
            (
                "another browser's cookie",
                with(vec![("csrf", token.clone())], Some(&other_cookie)).await,
            ),
        ] {
            let r = r.expect("login");
            assert_eq!(r.status(), 403, "{what}");
            assert!(r.headers().get(SET_COOKIE).is_none(), "{what}: no session");
            let body = r.text().await.expect("body");
            assert!(body.contains("data-code=\"csrf.token\""), "{what}: {body}");
        }
        // From another origin even with both.
        let r = web
            .post(format!("{}/login", s.base))
            .header(COOKIE, &cookie)
            .header("Origin", "http://evil.example")
            .form(&[
                ("username", "supervisor"),
                ("password", PASSWORD),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 403);
        assert!(r.text().await.expect("body").contains("csrf.origin"));
        // The form as the browser has it.
        let r = with(vec![("csrf", token.clone())], Some(&cookie))
            .await
            .expect("login");
        assert_eq!(r.status(), 303);
        assert!(r.headers()[SET_COOKIE]
            .to_str()
            .expect("cookie")
            .starts_with("duban_session="));
        // A wrong password answers the form again, still with its token.
        let r = web
            .post(format!("{}/login", s.base))
            .header(COOKIE, &cookie)
            .form(&[
                ("username", "supervisor"),
                ("password", "wrong-password"),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 401);
        assert_eq!(hidden_field(&r.text().await.expect("body"), "csrf"), token);
    }
);

/// Asserts a page's security headers.
#[track_caller]
fn secured(r: &reqwest::Response, what: &str) {
    let h = r.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
    let csp = get("content-security-policy");
    for part in [
        "frame-ancestors 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "default-src 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
}

/// What the CSP would block in a page: inline scripts, inline styles, event handlers.
fn inline_code(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..html[i..].find('>').map_or(html.len(), |e| i + e)];
        if !tag.contains(" src=") {
            found.push(tag.to_owned());
        }
    }
    for bad in ["<style", " style=\"", " style='"] {
        if html.contains(bad) {
            found.push(bad.to_owned());
        }
    }
    for (i, _) in html.match_indices(" on") {
        let rest = &html[i + 3..];
        let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
        if !name.is_empty() && rest[name.len()..].starts_with('=') {
            found.push(format!("on{name}="));
        }
    }
    found
}

both!(
    pages_carry_the_security_headers_and_no_inline_code,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let task = tid();
        s.ok(&sup, register(&task, "安全响应头事项")).await;
        s.ok(&sup, dispatch(&task, f.unit_a, Some(f.staff_a))).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        for path in [
            "/login".to_owned(),
            "/board".to_owned(),
            "/overview".to_owned(),
            "/workbench".to_owned(),
            "/register".to_owned(),
            "/register/import".to_owned(),
            format!("/items/{task}"),
            "/stats".to_owned(),
            "/monitor".to_owned(),
            "/scores".to_owned(),
            "/bulletins".to_owned(),
            "/ledger".to_owned(),
            "/me".to_owned(),
            "/no-such-page".to_owned(),
        ] {
            let r = web
                .get(format!("{}{path}", s.base))
                .header(COOKIE, &cookie)
                .send()
                .await
                .expect("page");
            secured(&r, &path);
            let html = r.text().await.expect("body");
            assert!(
                inline_code(&html).is_empty(),
                "{path}: {:?}",
                inline_code(&html)
            );
        }
        // Every form that posts carries the token.
        let (_, item) = page(&web, &format!("{}/items/{task}", s.base), Some(&cookie)).await;
        let posts = item.matches("method=\"post\"").count();
        assert!(posts > 1);
        assert_eq!(item.matches("name=\"csrf\"").count(), posts, "{item}");
        // The API is not framed and has no CSP to keep, but is not sniffed either.
        let r = web
            .get(format!("{}/api/v1/auth/me", s.base))
            .send()
            .await
            .expect("api");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
);

/// Asserts the API's JSON error with this status and code.
#[track_caller]
fn api_error(status: u16, body: &str, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{body}");
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(v["code"], code, "{body}");
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

both!(
    errors_answer_json_on_the_api_and_an_html_page_on_the_pages,
    |s: Server| async move {
        s.fixture().await;
        let sup = s.login("supervisor").await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = form_token(&s, &web, &cookie).await;
        let send = |req: reqwest::RequestBuilder| async move {
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().expect("ascii").to_owned())
                .unwrap_or_default();
            (status, kind, r.text().await.expect("body"))
        };
        let url = |p: &str| format!("{}{p}", s.base);

        // The pages: a file name that climbs out, a multipart form without its boundary, the
        // sign-in without its password, an unknown page, a method a page does not take, a
        // form that is not a form.
        let (status, kind, body) = send(web.get(url("/assets/..%2f..%2fCargo.toml"))).await;
        assert!(kind.starts_with("text/html"), "{kind}");
        error_page(status, &body, 404, "not_found");
        assert!(body.contains("不存在"), "zh-CN: {body}");
        let (status, _, body) = send(
            web.post(url("/register/import"))
                .header(COOKIE, &cookie)
                .header("X-CSRF-Token", &token)
                .header("Content-Type", "multipart/form-data")
                .body("--x\r\n"),
        )
        .await;
        error_page(status, &body, 400, "request.multipart");
        let (login_cookie, login_token) = login_form(&s, &web).await;
        let (status, _, body) = send(
            web.post(url("/login"))
                .header(COOKIE, &login_cookie)
                .form(&[("username", "supervisor"), ("csrf", login_token.as_str())]),
        )
        .await;
        error_page(status, &body, 422, "request.invalid_form");
        assert!(body.contains("password"), "names the field: {body}");
        let (status, _, body) = send(web.get(url("/no-such-page"))).await;
        error_page(status, &body, 404, "not_found");
        let (status, _, body) = send(web.delete(url("/board"))).await;
        error_page(status, &body, 405, "request.method");
        let (status, _, body) = send(
            web.post(url("/items/0a5e4d2c-3f1b-4c9e-8d7a-1b2c3d4e5f60/urge"))
                .header(COOKIE, &cookie)
                .header("X-CSRF-Token", &token)
                .header("Content-Type", "text/plain")
                .body("command=x"),
        )
        .await;
        error_page(status, &body, 415, "request.content_type");
        let (status, _, body) = send(web.get(url("/scores?year=x")).header(COOKIE, &cookie)).await;
        error_page(status, &body, 400, "request.bad_query");

        // The API: JSON, whoever refused.
        let (status, _, body) = send(web.get(url("/api/v1/nothing-here"))).await;
        api_error(status, &body, 404, "not_found");
        let (status, _, body) = send(web.delete(url("/api/v1/tasks")).bearer_auth(&sup)).await;
        api_error(status, &body, 405, "request.method");
        let (status, _, body) = send(
            web.get(url("/api/v1/tasks?per_page=many"))
                .bearer_auth(&sup),
        )
        .await;
        api_error(status, &body, 400, "request.bad_query");
        let (status, _, body) = send(
            web.post(url("/api/v1/sync/push"))
                .bearer_auth(&sup)
                .header("Content-Type", "text/plain")
                .body("{}"),
        )
        .await;
        api_error(status, &body, 415, "request.content_type");
        let (status, _, body) = send(
            web.post(url("/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .body("{\"username\": \"x\"}"),
        )
        .await;
        api_error(status, &body, 422, "request.invalid_body");
        // The API never takes the pages' cookie.
        let (status, _, body) = send(web.get(url("/api/v1/auth/me")).header(COOKIE, &cookie)).await;
        api_error(status, &body, 401, "auth.unauthorized");
    }
);
