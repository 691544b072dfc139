//! The office's pages over HTTP: signing in with a cookie, the overview agreeing with the
//! API, signing out; and the public board showing public items only — never an internal or
//! confidential item, a confidential field, or a person's name.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::support::*;

/// A client that does not follow redirects (the tests look at them).
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of the hidden field `name` in `html` (the first one).
pub(crate) fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name}: {html}"))
        + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

/// The sign-in form as a browser gets it from `GET /login`: its pre-session cookie pair
/// (`duban_login=…`) and the token in its hidden field.
pub(crate) async fn login_form(s: &Server, web: &reqwest::Client) -> (String, String) {
    let r = web
        .get(format!("{}/login", s.base))
        .send()
        .await
        .expect("login page");
    assert_eq!(r.status(), 200);
    let cookie = r.headers()[SET_COOKIE].to_str().expect("cookie").to_owned();
    assert!(
        cookie.starts_with("duban_login=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_owned();
    let html = r.text().await.expect("body");
    (pair, hidden_field(&html, "csrf"))
}

/// Posts the sign-in form as a browser does: fetched first, sent back with its cookie and
/// token.
pub(crate) async fn post_login(
    s: &Server,
    web: &reqwest::Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    post_login_with(s, web, fields, &[]).await
}

/// [`post_login`] with extra headers.
pub(crate) async fn post_login_with(
    s: &Server,
    web: &reqwest::Client,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let (cookie, token) = login_form(s, web).await;
    let mut form = fields.to_vec();
    form.push(("csrf", &token));
    let mut req = web
        .post(format!("{}/login", s.base))
        .header(COOKIE, cookie)
        .form(&form);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("login")
}

/// The form token of the session `cookie`, read from a page's form as a browser has it
/// (every page's sign-out form carries it).
pub(crate) async fn form_token(s: &Server, web: &reqwest::Client, cookie: &str) -> String {
    let (status, html) = page(web, &format!("{}/board", s.base), Some(cookie)).await;
    assert_eq!(status, 200);
    hidden_field(&html, "csrf")
}

/// Signs in through the form; returns the cookie pair `duban_session=…`.
pub(crate) async fn sign_in(s: &Server, web: &reqwest::Client, username: &str) -> String {
    let r = post_login(
        s,
        web,
        &[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/overview"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/overview");
    let cookie = r.headers()[SET_COOKIE].to_str().expect("cookie").to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    cookie.split(';').next().expect("pair").to_owned()
}

/// Signs in through the form with the demo's password; returns the cookie pair.
pub(crate) async fn demo_sign_in(s: &Server, web: &reqwest::Client, username: &str) -> String {
    let r = post_login(
        s,
        web,
        &[
            ("username", username),
            ("password", duban_server::demo::DEMO_PASSWORD),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "{username}");
    let cookie = r.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    cookie.split(';').next().unwrap().to_owned()
}

pub(crate) async fn page(web: &reqwest::Client, url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = web.get(url);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    let r = req.send().await.expect("get");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The number right after `marker` in `html`.
pub(crate) fn number_after(html: &str, marker: &str) -> u64 {
    let start = html.find(marker).expect(marker) + marker.len();
    html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("a number")
}

/// The number a page shows in the element with this id.
fn figure(html: &str, id: &str) -> u64 {
    number_after(html, &format!("id=\"{id}\">"))
}

both!(
    signing_in_the_overview_and_signing_out,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let (a, b) = (tid(), tid());
        s.ok(&sup, register(&a, "甲单位事项")).await;
        s.ok(&sup, dispatch(&a, f.unit_a, Some(f.staff_a))).await;
        s.ok(&sup, register(&b, "乙单位事项")).await;
        s.ok(&sup, dispatch(&b, f.unit_b, None)).await;
        let web = browser();

        // Not signed in: to the sign-in page, coming back afterwards.
        let r = web
            .get(format!("{}/overview", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], "/login?next=/overview");
        let (status, html) = page(&web, &format!("{}/login?next=/overview", s.base), None).await;
        assert_eq!(status, 200);
        assert!(html.contains("name=\"next\" value=\"/overview\""), "{html}");

        // A wrong password: the page says why, in both languages, and sets no cookie.
        let r = post_login(
            &s,
            &web,
            &[
                ("username", "supervisor"),
                ("password", "wrong"),
                ("next", "/"),
            ],
        )
        .await;
        assert_eq!(r.status(), 401);
        assert!(r.headers().get(SET_COOKIE).is_none());
        let html = r.text().await.unwrap();
        assert!(
            html.contains("data-code=\"auth.bad_credentials\""),
            "{html}"
        );
        // One language: the refusal in zh-CN, its code apart, no English beside it.
        assert!(html.contains("用户名或密码错误") && !html.contains("wrong username or password"));
        assert!(html.contains("<code class=\"err-code\">auth.bad_credentials</code>"));

        // Somewhere else after signing in is not allowed: home instead.
        let r = post_login(
            &s,
            &web,
            &[
                ("username", "leader"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
        assert_eq!(r.headers()[LOCATION], "/");

        // The overview shows what the API says, for each person's own items.
        for (who, token) in [
            ("leader", s.login("leader").await),
            ("staff-b", s.login("staff-b").await),
        ] {
            let cookie = sign_in(&s, &web, who).await;
            let (status, html) = page(&web, &format!("{}/overview", s.base), Some(&cookie)).await;
            assert_eq!(status, 200, "{who}");
            let api = s.get(&token, "/api/v1/overview").await.expect(200);
            let stats = s.get(&token, "/api/v1/stats").await.expect(200);
            assert_eq!(api["stats"]["total"], stats["total"], "{who}");
            for key in ["total", "overdue", "escalated"] {
                assert_eq!(json!(figure(&html, key)), stats[key], "{who}: {key}");
            }
            if who == "staff-b" {
                assert_eq!(figure(&html, "total"), 1, "staff-b reads B's item only");
                assert!(!html.contains("甲单位事项"));
            }
        }

        // Signing out ends the session: the old cookie no longer opens the overview.
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = form_token(&s, &web, &cookie).await;
        let r = web
            .post(format!("{}/logout", s.base))
            .header(COOKIE, &cookie)
            .form(&[("csrf", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(r.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
        let r = web
            .get(format!("{}/overview", s.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "a signed-out cookie still works");
    }
);

both!(
    the_public_board_never_shows_an_internal_item_or_a_confidential_field,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let public = tid();
        let hotline = tid();
        let draft = tid();
        let internal = tid();
        let confidential = tid();
        s.ok(
            &sup,
            register_with(
                &public,
                "公开事项:修缮老城区人行道",
                "meeting_decision",
                "public",
                json!({}),
            ),
        )
        .await;
        s.ok(&sup, dispatch(&public, f.unit_a, Some(f.staff_a)))
            .await;
        s.ok(
            &sup,
            register_order(
                &hotline,
                "公开事项:12345反映路灯不亮",
                "public",
                json!({"caller_name": "张三丰", "caller_phone": "13900001234"}),
            ),
        )
        .await;
        s.ok(&sup, accept_order(&hotline)).await;
        s.ok(&sup, dispatch(&hotline, f.unit_b, None)).await;
        s.ok(
            &sup,
            register_with(
                &draft,
                "公开草稿:尚未交办",
                "meeting_decision",
                "public",
                json!({}),
            ),
        )
        .await;
        s.ok(
            &sup,
            register_with(
                &internal,
                "内部事项:干部考察安排",
                "meeting_decision",
                "internal",
                json!({}),
            ),
        )
        .await;
        s.ok(&sup, dispatch(&internal, f.unit_a, None)).await;
        s.ok(
            &sup,
            register_with(
                &confidential,
                "保密事项:信访线索核查",
                "meeting_decision",
                "confidential",
                json!({}),
            ),
        )
        .await;
        s.ok(&sup, dispatch(&confidential, f.unit_b, Some(f.staff_b)))
            .await;

        let web = browser();
        let (status, html) = page(&web, &format!("{}/board", s.base), None).await;
        assert_eq!(status, 200, "readable without signing in");
        for shown in [
            "公开事项:修缮老城区人行道",
            "公开事项:12345反映路灯不亮",
            "交通运输局",
            "教育局",
        ] {
            assert!(html.contains(shown), "{shown} is not on the board");
        }
        for hidden in [
            "内部事项:干部考察安排",
            "保密事项:信访线索核查",
            "公开草稿:尚未交办",
            "张三丰",
            "13900001234",
        ] {
            assert!(!html.contains(hidden), "the board shows {hidden}");
        }
        // No person is named: not the handler of the public item, nor anyone else.
        for (_, username, ..) in f.people() {
            assert!(
                !html.contains(&format!(">{username}<")),
                "the board names {username}"
            );
            assert!(
                !html.contains(&format!(" {username} ")),
                "the board names {username}"
            );
        }
        assert!(html.contains("公开事项(2)"), "two public items listed");
        // Signed in, the board is the same board.
        let cookie = sign_in(&s, &web, "leader").await;
        let (_, signed) = page(&web, &format!("{}/board", s.base), Some(&cookie)).await;
        assert!(!signed.contains("内部事项:干部考察安排"));
        assert!(signed.contains("公开事项:修缮老城区人行道"));
    }
);

#[tokio::test]
async fn the_pages_assets_are_served_from_the_binary() {
    let s = start(Backend::Sqlite).await;
    let web = browser();
    for (path, mime) in [
        (duban_server::web::assets::HTMX, "text/javascript"),
        (duban_server::web::assets::CHART, "text/javascript"),
        (duban_server::web::assets::CSS, "text/css"),
        (duban_server::web::assets::JS, "text/javascript"),
    ] {
        let r = web.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(mime));
        assert!(r.bytes().await.unwrap().len() > 1_000, "{path}");
    }
    let r = web
        .get(format!("{}/assets/nothing.js", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

both!(
    the_overview_follows_each_change_between_reads,
    |s: Server| async move {
        // The parsed states are cached by trail head: a change between two reads must show.
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        let leader = s.login("leader").await;
        let task = tid();
        s.ok(&sup, register(&task, "甲单位事项")).await;
        s.ok(&sup, dispatch(&task, f.unit_a, Some(f.staff_a))).await;
        let count = |o: &serde_json::Value, status: &str| {
            o["stats"]["by_status"]
                .as_array()
                .expect("by_status")
                .iter()
                .find(|b| b["key"] == status)
                .map_or(0, |b| b["count"].as_u64().expect("count"))
        };
        let before = s.get(&leader, "/api/v1/overview").await.expect(200);
        assert_eq!(count(&before, "dispatched"), 1);
        assert!(!s.state.states.is_empty(), "the read filled the cache");
        s.ok(&staff, simple(&task, "receive", json!({}))).await;
        let after = s.get(&leader, "/api/v1/overview").await.expect(200);
        assert_eq!(count(&after, "dispatched"), 0, "{after}");
        assert_eq!(count(&after, "in_progress"), 1, "{after}");
        let list = s.get(&leader, "/api/v1/tasks").await.expect(200);
        assert_eq!(list["items"][0]["status"], "in_progress");
    }
);

/// Posts the urge form of `task` with command id `command`, as htmx does (`hx`) or as a
/// plain form.
async fn post_urge(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    task: &str,
    command: &str,
    hx: bool,
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let mut req = web
        .post(format!("{}/items/{task}/urge", s.base))
        .header(COOKIE, cookie);
    if hx {
        // htmx sends the page's token as a header (hx-headers on the body).
        req = req
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("command", command), ("note", "请加快办理")]);
    } else {
        req = req.form(&[
            ("command", command),
            ("note", "请加快办理"),
            ("csrf", &token),
        ]);
    }
    let r = req.send().await.expect("urge");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The urge count a row fragment shows.
fn urges(row: &str) -> u64 {
    number_after(row, "class=\"num urges\">")
}

both!(
    the_workbench_lists_what_to_do_and_urges_in_one_click,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let (late, draft) = (tid(), tid());
        s.ok(&sup, register(&late, "逾期事项:道路修复")).await;
        s.ok(&sup, dispatch(&late, f.unit_a, Some(f.staff_a))).await;
        s.ok(&sup, register(&draft, "待交办事项:校舍排查")).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;

        // Home for the office is the workbench; the draft waits to be dispatched.
        let r = web
            .get(format!("{}/", s.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()[LOCATION], "/workbench");
        let (status, html) = page(&web, &format!("{}/workbench", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("<tr data-item=\"{draft}\">")),
            "{html}"
        );
        assert_eq!(figure(&html, "n-dispatch"), 1);
        assert_eq!(figure(&html, "n-overdue"), 0, "nothing is overdue yet");

        // A month on, the dispatched item is overdue and listed with its urge button.
        let session = duban_server::auth::Session::of_token(&s.state, &sup)
            .await
            .unwrap();
        let later = chrono::Utc::now() + chrono::Duration::days(30);
        let html = duban_server::web::workbench_html(&s.state, &session, later)
            .await
            .unwrap();
        assert_eq!(figure(&html, "n-overdue"), 1);
        assert!(
            html.contains(&format!("action=\"/items/{late}/urge\"")),
            "{html}"
        );

        // One click urges once; the same form sent again (a double click) does not urge again.
        let command = cid();
        let (status, row) = post_urge(&s, &web, &cookie, &late, &command, true).await;
        assert_eq!(status, 200, "{row}");
        assert!(row.starts_with("<tr") && row.contains("已催办"), "{row}");
        assert_eq!(urges(&row), 1);
        let (_, again) = post_urge(&s, &web, &cookie, &late, &command, true).await;
        assert_eq!(urges(&again), 1, "a resent form urged twice");
        // Another urging within the policy's interval asks to confirm first (a plain form:
        // the item page, its urge form asking), and urges only once confirmed.
        let (status, asking) = post_urge(&s, &web, &cookie, &late, &cid(), false).await;
        assert_eq!(status, 200);
        assert!(asking.contains("data-code=\"urge.confirm\""), "{asking}");
        let token = form_token(&s, &web, &cookie).await;
        let r = web
            .post(format!("{}/items/{late}/urge", s.base))
            .header(COOKIE, &cookie)
            .form(&[
                ("command", cid().as_str()),
                ("note", "请加快办理"),
                ("confirm", "1"),
                ("csrf", &token),
            ])
            .send()
            .await
            .expect("urge");
        assert_eq!(
            r.status().as_u16(),
            303,
            "a plain form goes back to the workbench"
        );
        let detail = s
            .get(&sup, &format!("/api/v1/tasks/{late}"))
            .await
            .expect(200);
        assert_eq!(detail["urges"], 2, "{detail}");

        // Someone outside the office: no workbench (a 403 page), and the rules refuse the
        // urge with a reason.
        let staff = sign_in(&s, &web, "staff-b").await;
        let r = web
            .get(format!("{}/workbench", s.base))
            .header(COOKIE, &staff)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("data-code=\"perm.denied\""));
        let (status, body) = post_urge(&s, &web, &staff, &late, &cid(), true).await;
        assert_ne!(status, 200, "staff-b cannot even read the item");
        assert!(
            !body.contains("csrf."),
            "refused by the rules, not the form check: {body}"
        );
    }
);

both!(
    the_cookie_is_secure_behind_an_https_proxy,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        for (proto, secure) in [(None, false), (Some("https"), true), (Some("http"), false)] {
            let headers: Vec<(&str, &str)> = proto
                .map(|p| ("X-Forwarded-Proto", p))
                .into_iter()
                .collect();
            let r = post_login_with(
                &s,
                &web,
                &[
                    ("username", "supervisor"),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
                &headers,
            )
            .await;
            assert_eq!(r.status(), 303);
            let cookie = r.headers()[SET_COOKIE].to_str().expect("cookie").to_owned();
            assert_eq!(cookie.contains("; Secure"), secure, "{proto:?}: {cookie}");
        }
    }
);

/// A page as a browser asking for `accept` (`Accept-Language`) gets it.
pub(crate) async fn page_in(
    web: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    accept: Option<&str>,
) -> (u16, String) {
    let mut req = web.get(url);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    if let Some(a) = accept {
        req = req.header(reqwest::header::ACCEPT_LANGUAGE, a);
    }
    let r = req.send().await.expect("get");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Whether `c` is a Chinese character or Chinese punctuation.
fn chinese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// Asserts that `html`, once the data in `data` (names and titles, shown as entered) is
/// taken out, has no Chinese left: every label is English.
pub(crate) fn all_english(what: &str, html: &str, data: &[String]) {
    let mut text = html.to_owned();
    let mut data = data.to_vec();
    // The longest first, so that a name inside another goes with it.
    data.sort_by_key(|d| std::cmp::Reverse(d.chars().count()));
    for d in &data {
        text = text.replace(d.as_str(), "");
    }
    let chars: Vec<char> = text.chars().collect();
    let left: Vec<String> = (0..chars.len())
        .filter(|&i| chinese(chars[i]))
        .take(5)
        .map(|i| {
            let (from, to) = (i.saturating_sub(60), (i + 60).min(chars.len()));
            chars[from..to].iter().collect()
        })
        .collect();
    assert!(
        left.is_empty(),
        "{what} shows Chinese in English: {left:#?}"
    );
}

/// The language form's fields (a page's footer form, or the sign-in page's).
async fn choose_language(
    s: &Server,
    web: &reqwest::Client,
    cookie: Option<&str>,
    lang: &str,
    next: &str,
) -> reqwest::Response {
    let mut form = vec![("lang", lang.to_owned()), ("next", next.to_owned())];
    let mut req = web.post(format!("{}/language", s.base));
    if let Some(c) = cookie {
        form.push(("csrf", form_token(s, web, c).await));
        req = req.header(COOKIE, c);
    }
    req.form(&form).send().await.expect("language")
}

both!(
    the_pages_speak_one_language_the_browsers_or_the_one_a_person_chose,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let (a, b) = (tid(), tid());
        s.ok(&sup, register(&a, "甲单位事项")).await;
        s.ok(&sup, dispatch(&a, f.unit_a, Some(f.staff_a))).await;
        s.ok(
            &sup,
            register_with(
                &b,
                "公开事项:修缮老城区人行道",
                "meeting_decision",
                "public",
                json!({}),
            ),
        )
        .await;
        s.ok(&sup, dispatch(&b, f.unit_b, None)).await;
        // The data the pages show as entered: units, titles, numbers.
        let mut data: Vec<String> = ["县政府", "督查室", "交通运输局", "公路股", "教育局"]
            .iter()
            .map(|d| d.to_string())
            .collect();
        data.push("甲单位事项".into());
        data.push("公开事项:修缮老城区人行道".into());
        data.push("会议议定事项,请抓好落实。".into()); // the content `register` writes
        for t in [&a, &b] {
            let d = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
            data.push(d["number"].as_str().expect("number").to_owned());
        }
        let web = browser();
        let url = |p: &str| format!("{}{p}", s.base);

        // Before signing in: the sign-in page names the organisation, in the browser's
        // language; zh-CN without a preference.
        let (status, zh) = page_in(&web, &url("/login"), None, None).await;
        assert_eq!(status, 200);
        assert!(zh.contains("<html lang=\"zh-CN\">"), "{zh}");
        assert!(
            zh.contains("id=\"org-name\">县政府<"),
            "the organisation: {zh}"
        );
        assert!(zh.contains(">账号</label>") && zh.contains(">登录</button>"));
        assert!(!zh.contains("Sign in") && !zh.contains("Password"), "{zh}");
        let (_, en) = page_in(&web, &url("/login"), None, Some("en-GB,en;q=0.9")).await;
        assert!(en.contains("<html lang=\"en\">"), "{en}");
        assert!(en.contains(">Account</label>") && en.contains(">Sign in</button>"));
        assert!(en.contains("id=\"org-name\">县政府<"), "a name is data");
        all_english("/login", &en, &data);
        // A refusal in English, its code apart.
        let r = post_login_with(
            &s,
            &web,
            &[
                ("username", "supervisor"),
                ("password", "wrong"),
                ("next", "/"),
            ],
            &[("accept-language", "en")],
        )
        .await;
        assert_eq!(r.status(), 401);
        let en = r.text().await.unwrap();
        assert!(en.contains("wrong username or password") && !en.contains("用户名或密码错误"));
        all_english("a refused sign-in", &en, &data);

        // The public board and an error page.
        let (_, en) = page_in(&web, &url("/board"), None, Some("en")).await;
        assert!(en.contains("Public items (1)"), "{en}");
        all_english("/board", &en, &data);
        let (status, en) = page_in(&web, &url("/no-such-page"), None, Some("en")).await;
        assert_eq!(status, 404);
        assert!(en.contains("404 Not found") && en.contains("<code class=\"err-code\">"));
        all_english("the error page", &en, &data);
        let (_, zh) = page_in(&web, &url("/no-such-page"), None, None).await;
        assert!(
            zh.contains("404 未找到") && !zh.contains("Not found"),
            "{zh}"
        );

        // Signed in: every page of the office in English when the browser asks for it, and
        // in zh-CN with no English label otherwise.
        let cookie = sign_in(&s, &web, "supervisor").await;
        let pages = [
            ("/overview", "Overview", "工作总览"),
            ("/workbench", "Supervisor&#39;s workbench", "督办工作台"),
            ("/items", "No items match", "共 "),
            ("/inbox", "Inbox filter", "通知筛选"),
        ];
        for (path, english, chinese) in pages {
            let (status, en) = page_in(&web, &url(path), Some(&cookie), Some("en")).await;
            assert_eq!(status, 200, "{path}");
            assert!(en.contains(english) || path == "/items", "{path}: {en}");
            assert!(!en.contains(chinese), "{path}");
            all_english(path, &en, &data);
            let (_, zh) = page_in(&web, &url(path), Some(&cookie), Some("zh-CN")).await;
            assert!(zh.contains(chinese), "{path}: {zh}");
            assert!(!zh.contains(english), "{path}: {zh}");
        }
        let (_, en) = page_in(
            &web,
            &url(&format!("/items/{a}")),
            Some(&cookie),
            Some("en"),
        )
        .await;
        assert!(
            en.contains("The trail verifies") && en.contains(">Urge</button>"),
            "{en}"
        );
        all_english("the item page", &en, &data);
        let (_, zh) = page_in(&web, &url(&format!("/items/{a}")), Some(&cookie), None).await;
        assert!(
            zh.contains("留痕完整") && zh.contains(">催办</button>"),
            "{zh}"
        );
        for word in ["The trail", "Urge", "Countdown", "Category"] {
            assert!(!zh.contains(word), "{word} on the zh-CN item page");
        }
        // The leader's portal, and a unit's person's inbox (the notice's stored text).
        let deputy = sign_in(&s, &web, "deputy").await;
        let (_, en) = page_in(&web, &url("/leader"), Some(&deputy), Some("en")).await;
        assert!(en.contains("Deputy leader&#39;s portal"), "{en}");
        all_english("/leader", &en, &data);
        let staff = sign_in(&s, &web, "staff-a").await;
        let (_, en) = page_in(&web, &url("/inbox"), Some(&staff), Some("en")).await;
        assert!(en.contains("class=\"note unread\""), "a notice: {en}");
        all_english("staff-a's inbox", &en, &data);

        // A choice made before signing in is the cookie's.
        let r = choose_language(&s, &web, None, "en", "/login").await;
        assert_eq!(r.status(), 303);
        let lang = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        assert!(lang.starts_with("duban_lang=en;"), "{lang}");
        let lang = lang.split(';').next().unwrap().to_owned();
        let (_, en) = page_in(&web, &url("/login"), Some(&lang), Some("zh-CN")).await;
        assert!(
            en.contains(">Sign in</button>"),
            "the cookie over the browser's"
        );

        // A signed-in person's choice is kept on their account: a new session on another
        // browser (no cookie of the choice, asking for zh-CN) speaks it.
        let r = choose_language(&s, &web, Some(&cookie), "en", "/workbench").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], "/workbench");
        let other = browser();
        let again = sign_in(&s, &other, "supervisor").await;
        assert_ne!(again, cookie, "a new session");
        let (_, en) = page_in(&other, &url("/workbench"), Some(&again), Some("zh-CN")).await;
        assert!(
            en.contains("Supervisor&#39;s workbench"),
            "remembered: {en}"
        );
        all_english("/workbench, remembered", &en, &data);
        // Someone else is not affected; and back to zh-CN, remembered too.
        let (_, zh) = page_in(&other, &url("/leader"), Some(&deputy), None).await;
        assert!(zh.contains("分管领导门户"), "{zh}");
        let r = choose_language(&s, &other, Some(&again), "zh-CN", "/workbench").await;
        assert_eq!(r.status(), 303);
        let third = sign_in(&s, &browser(), "supervisor").await;
        let (_, zh) = page_in(&web, &url("/workbench"), Some(&third), Some("en")).await;
        assert!(zh.contains("督办工作台") && !zh.contains("Supervisor&#39;s workbench"));
    }
);
