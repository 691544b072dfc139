//! Signing in on the pages: a request without a live session is sent to `/login`, with the
//! `next` page to come back to — the page itself (its path, not its query) for a page, the
//! page a form or a download belongs to for those. The same for no cookie, an unknown
//! cookie and the cookie of a session that was signed out; a query the page cannot read is
//! refused before that, a form is read only after it; the public board and the files answer
//! as they always did.

use reqwest::header::{COOKIE, LOCATION};
use reqwest::Method;

use crate::support::*;
use crate::web::{browser, form_token, sign_in};

/// A form posted: its path, the page to come back to, its fields.
type Posted<'a> = (String, &'a str, Vec<(&'a str, &'a str)>);

/// The answer to a request without following it: its status and its `Location`, if any.
async fn answer(
    web: &reqwest::Client,
    method: Method,
    url: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, String) {
    let mut req = web.request(method.clone(), url);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    if method == Method::POST {
        req = req.form(form);
    }
    let r = req.send().await.expect("answer");
    let to = r
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().expect("location").to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), to)
}

both!(
    every_page_sends_a_visitor_who_is_not_signed_in_to_sign_in_and_back,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "城区道路积水整治")).await;
        let web = browser();
        let u = uuid::Uuid::new_v4().to_string();
        let person = f.staff_a.0.to_string();

        // Pages: back to the page, without its query; the id as the page reads it.
        let pages = [
            ("/?x=1".to_owned(), "/".to_owned()),
            ("/overview?x=1".to_owned(), "/overview".to_owned()),
            ("/workbench?tab=2".to_owned(), "/workbench".to_owned()),
            (
                "/stats?from=2026-01-01&unit=".to_owned(),
                "/stats".to_owned(),
            ),
            (
                format!("/people/{person}?month=2026-11"),
                format!("/people/{person}"),
            ),
            (
                format!("/people/%20{person}%09"),
                format!("/people/{person}"),
            ),
            ("/monitor?a=b".to_owned(), "/monitor".to_owned()),
            ("/unit?".to_owned(), "/unit".to_owned()),
            ("/me?x".to_owned(), "/me".to_owned()),
            (format!("/items/{t}?tab=files"), format!("/items/{t}")),
            (
                "/items/%E7%94%B2%20x".to_owned(),
                "/items/%E7%94%B2%20x".to_owned(),
            ),
            ("/items/a~b'".to_owned(), "/items/a%7Eb%27".to_owned()),
            ("/items/x%2Fy".to_owned(), "/items/x/y".to_owned()),
            (
                format!("/items/{t}/archive.zip?x=1"),
                format!("/items/{t}/archive.zip"),
            ),
            (
                "/items/a%20b/archive.zip".to_owned(),
                "/items/a%2520b/archive.zip".to_owned(),
            ),
            // The periodic reports' sheet (back to it), and its workbook (back to the item).
            (
                format!("/items/{t}/reports?period=1"),
                format!("/items/{t}/reports"),
            ),
            (
                format!("/items/{t}/reports.xlsx?period=1"),
                format!("/items/{t}"),
            ),
            ("/ledger?status=open".to_owned(), "/ledger".to_owned()),
            ("/ledger.xlsx?status=open".to_owned(), "/ledger".to_owned()),
            (
                "/stats.xlsx?from=2026-01-01".to_owned(),
                "/ledger".to_owned(),
            ),
            ("/scores?period=month".to_owned(), "/scores".to_owned()),
            (
                format!("/scores/units/{u}?period=q"),
                format!("/scores/units/{u}"),
            ),
            ("/bulletins?x=1".to_owned(), "/bulletins".to_owned()),
            (format!("/bulletins/{u}?x=1"), format!("/bulletins/{u}")),
            ("/register?x=1".to_owned(), "/register".to_owned()),
            (
                "/register/import?x=1".to_owned(),
                "/register/import".to_owned(),
            ),
            (
                "/register/template.xlsx?x".to_owned(),
                "/register/template.xlsx".to_owned(),
            ),
            (format!("/dispatch/{t}?x=1"), format!("/dispatch/{t}")),
        ];
        for (path, next) in &pages {
            let url = format!("{}{path}", s.base);
            let got = answer(&web, Method::GET, &url, None, &[]).await;
            assert_eq!(got, (303, format!("/login?next={next}")), "GET {path}");
        }

        // Forms: back to the page the form is on.
        let command = tid();
        let c = command.as_str();
        let item = format!("/items/{t}");
        let bulletin = format!("/bulletins/{u}");
        let dispatch = format!("/dispatch/{t}");
        let forms: [Posted; 9] = [
            (
                format!("/items/{t}/urge"),
                "/workbench",
                vec![("command", c)],
            ),
            (
                format!("/items/{t}/act"),
                &item,
                vec![("command", c), ("act", "comment")],
            ),
            (
                "/scores/adjust".to_owned(),
                "/scores",
                vec![("form", "f"), ("unit", "u"), ("task", "t"), ("points", "1")],
            ),
            (
                "/bulletins".to_owned(),
                "/bulletins",
                vec![("form", "f"), ("kind", "month")],
            ),
            (
                bulletin.clone(),
                &bulletin,
                vec![("action", "publish"), ("version", "1")],
            ),
            ("/register".to_owned(), "/register", vec![("title", "x")]),
            (
                "/register/import/run".to_owned(),
                "/register/import",
                vec![("form", "f"), ("data", "d")],
            ),
            (dispatch.clone(), &dispatch, vec![("unit", "x")]),
            (
                format!("/items/{t}/urge?x=1"),
                "/workbench",
                vec![("command", c)],
            ),
        ];
        for (path, next, form) in &forms {
            let url = format!("{}{path}", s.base);
            let got = answer(&web, Method::POST, &url, None, form).await;
            assert_eq!(got, (303, format!("/login?next={next}")), "POST {path}");
        }
        let r = web
            .post(format!("{}/register/import", s.base))
            .multipart(reqwest::multipart::Form::new().text("form", "f"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], "/login?next=/register/import");
        // The session is asked for before the form is read: a form that could not be read
        // (here, one without its fields) is sent to sign in too.
        let url = format!("{}/scores/adjust", s.base);
        let got = answer(&web, Method::POST, &url, None, &[("points", "1")]).await;
        assert_eq!(got, (303, "/login?next=/scores".to_owned()));

        // An unknown cookie, and the cookie of a session signed out: the same.
        let unknown = format!("duban_session=dbn_{}", "0".repeat(64));
        let got = answer(
            &web,
            Method::GET,
            &format!("{}/me?x=1", s.base),
            Some(&unknown),
            &[],
        )
        .await;
        assert_eq!(got, (303, "/login?next=/me".to_owned()));
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = form_token(&s, &web, &cookie).await;
        let url = format!("{}/stats?from=2026-01-01", s.base);
        let got = answer(&web, Method::GET, &url, Some(&cookie), &[]).await;
        assert_eq!(got.0, 200, "signed in: the page");
        let got = answer(
            &web,
            Method::POST,
            &format!("{}/logout", s.base),
            Some(&cookie),
            &[("csrf", &token)],
        )
        .await;
        assert_eq!(got, (303, "/login".to_owned()));
        let got = answer(&web, Method::GET, &url, Some(&cookie), &[]).await;
        assert_eq!(got, (303, "/login?next=/stats".to_owned()));
        let got = answer(
            &web,
            Method::POST,
            &format!("{}/scores/adjust", s.base),
            Some(&cookie),
            &[
                ("csrf", &token),
                ("form", "f"),
                ("unit", "u"),
                ("task", "t"),
                ("points", "1"),
            ],
        )
        .await;
        assert_eq!(got, (303, "/login?next=/scores".to_owned()));

        // A query the page cannot read is refused first; the board and the sign-in page are
        // open; a file asks for a session as the API does.
        let url = format!("{}/scores?year=abc", s.base);
        let got = answer(&web, Method::GET, &url, None, &[]).await;
        assert_eq!(got, (400, String::new()), "the query, then the session");
        let url = format!("{}/people/{person}?month=x&month=y", s.base);
        let got = answer(&web, Method::GET, &url, None, &[]).await;
        assert_eq!(got.0, 400, "the query, then the session");
        let url = format!("{}/board?x=1", s.base);
        assert_eq!(answer(&web, Method::GET, &url, None, &[]).await.0, 200);
        let url = format!("{}/login?next=/stats", s.base);
        assert_eq!(answer(&web, Method::GET, &url, None, &[]).await.0, 200);
        let url = format!("{}/files/{}", s.base, "0".repeat(64));
        assert_eq!(answer(&web, Method::GET, &url, None, &[]).await.0, 401);
    }
);
