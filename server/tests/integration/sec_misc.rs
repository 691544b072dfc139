//! Issue 16, items 6, 12 and 13 (metrics, duplicate keys, control characters): the public
//! board never names an internal item by number or title, even in a bulletin the office
//! edits by hand; the quiet hours and every other value answered match their declared
//! schema; `/metrics` only with the configured token or on its own listener; a body with a
//! duplicate key or nested too deeply refused; NUL and text-direction characters refused in
//! titles and names.

use duban_core::domain::model::Visibility;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, demo_sign_in, page};
use crate::web_scores::{bulletin_month, change_bulletin, create_bulletin, draft_body, version};

// ----- 6: public bulletins ----------------------------------------------------------------------

/// A draft's edit page, as its author sees it.
async fn draft_page(s: &Server, web: &reqwest::Client, cookie: &str, id: &str) -> String {
    page(web, &format!("{}/bulletins/{id}", s.base), Some(cookie))
        .await
        .1
}

/// Publishes a draft for the public board through its form; returns the status and the page.
async fn publish_public(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    id: &str,
    version: &str,
    title: &str,
    body: &str,
) -> (u16, String) {
    let fields = [
        ("version", version),
        ("title", title),
        ("body", body),
        ("public", "1"),
        ("action", "publish"),
    ];
    change_bulletin(s, web, cookie, id, &fields).await
}

both!(
    a_public_bulletin_never_names_an_internal_item_even_pasted_by_hand,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let cookie = demo_sign_in(&s, &web, "supervisor").await;
        let items = duban_server::bulletins::every_item(&s.state)
            .await
            .expect("items");
        let month = bulletin_month(&s, &web, &cookie).await;

        // The internal bulletin of the month names internal overdue items by number and title.
        let internal_form = uuid::Uuid::new_v4().to_string();
        let internal = create_bulletin(
            &s,
            &web,
            &cookie,
            &[
                ("form", internal_form.as_str()),
                ("kind", "monthly"),
                ("period", month.as_str()),
            ],
        )
        .await;
        let html = draft_page(&s, &web, &cookie, &internal).await;
        let internal_text = draft_body(&html);
        let named: Vec<(String, String)> = items
            .iter()
            .filter(|(_, i)| i.visibility == Visibility::Internal)
            .filter_map(|(_, i)| Some((i.number.as_ref()?.to_string(), i.title.clone())))
            .filter(|(n, t)| internal_text.contains(&format!("{n}《{t}》")))
            .collect();
        assert!(
            !named.is_empty(),
            "the demo has internal overdue items the internal bulletin names:\n{internal_text}"
        );

        // Generated for the public board: the same units and counts, no internal item named.
        let public_form = uuid::Uuid::new_v4().to_string();
        let public = create_bulletin(
            &s,
            &web,
            &cookie,
            &[
                ("form", public_form.as_str()),
                ("kind", "monthly"),
                ("period", month.as_str()),
                ("public", "1"),
            ],
        )
        .await;
        let html = draft_page(&s, &web, &cookie, &public).await;
        let public_text = draft_body(&html);
        for (number, title) in &named {
            assert!(
                !public_text.contains(number.as_str()) && !public_text.contains(title.as_str()),
                "{number} named in the public text:\n{public_text}"
            );
        }
        assert!(public_text.contains("三、逾期未报送事项"), "{public_text}");
        // Published unchanged, it is on the board, without them.
        let title = "十一月督查通报(公开)";
        let (status, _) = publish_public(
            &s,
            &web,
            &cookie,
            &public,
            &version(&html),
            title,
            &public_text,
        )
        .await;
        assert_eq!(status, 303, "a generated public bulletin is published");
        let (_, board) = page(&web, &format!("{}/board", s.base), None).await;
        assert!(board.contains(title), "on the board");
        for (number, title) in &named {
            assert!(!board.contains(number.as_str()) && !board.contains(title.as_str()));
        }

        // A special report, public, with an internal title pasted in by hand: refused, naming
        // the item to remove, and nothing published.
        let (number, pasted) = named[0].clone();
        let form = uuid::Uuid::new_v4().to_string();
        let report = create_bulletin(
            &s,
            &web,
            &cookie,
            &[
                ("form", form.as_str()),
                ("kind", "special"),
                ("title", "专报:近期工作情况"),
                ("public", "1"),
            ],
        )
        .await;
        let html = draft_page(&s, &web, &cookie, &report).await;
        let v = version(&html);
        for body in [
            format!("本月重点推进了{pasted}等工作。"),
            format!("见{number}。"),
        ] {
            let (status, answer) =
                publish_public(&s, &web, &cookie, &report, &v, "专报:近期工作情况", &body).await;
            assert_eq!(status, 422, "{answer}");
            assert!(
                answer.contains("bulletin.names_internal") && answer.contains(number.as_str()),
                "names the item to remove: {answer}"
            );
        }
        let (_, board) = page(&web, &format!("{}/board", s.base), None).await;
        assert!(!board.contains(pasted.as_str()) && !board.contains("近期工作情况"));
        // The same text kept inside (internal) is published; removed, the public one is too.
        let (status, _) = publish_public(
            &s,
            &web,
            &cookie,
            &report,
            &v,
            "专报:近期工作情况",
            "本月各单位按计划推进重点工作。",
        )
        .await;
        assert_eq!(status, 303);
        let (_, board) = page(&web, &format!("{}/board", s.base), None).await;
        assert!(board.contains("近期工作情况"));
    }
);

both!(
    a_bulletin_published_before_the_rule_naming_an_internal_item_is_not_on_the_board,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let items = duban_server::bulletins::every_item(&s.state)
            .await
            .expect("items");
        let (_, internal) = items
            .iter()
            .find(|(_, i)| i.visibility == Visibility::Internal && i.title.chars().count() >= 4)
            .expect("an internal item");
        // Written straight to the database, as one published before the rule could be.
        let user = s
            .state
            .db
            .row("SELECT id FROM users ORDER BY username LIMIT 1", vec![])
            .await
            .expect("query")
            .expect("a user")
            .text(0)
            .expect("id");
        s.state
            .db
            .exec(
                "INSERT INTO bulletins (id, kind, title, body, period, audience, status, author, version, created_at, updated_at, published_at) \
                 VALUES ($1, 'special', '旧专报', $2, '', 'public', 'published', $3, 1, 1, 1, 1)",
                duban_server::args![
                    uuid::Uuid::new_v4().to_string(),
                    format!("重点推进{}。", internal.title),
                    user
                ],
            )
            .await
            .expect("insert");
        let web = browser();
        let (status, board) = page(&web, &format!("{}/board", s.base), None).await;
        assert_eq!(status, 200);
        assert!(!board.contains("旧专报") && !board.contains(internal.title.as_str()));
    }
);

// ----- 12: values match their declared formats ------------------------------------------------

both!(
    quiet_hours_and_every_snapshot_and_policy_value_match_the_document,
    |s: Server| async move {
        s.fixture().await;
        let doc = crate::openapi::fetch(&s).await;
        let admin = s.login("admin").await;
        let staff = s.login("staff-a").await;
        let policy = s
            .call(Method::GET, "/api/v1/admin/policy", Some(&admin), None)
            .await;
        assert_eq!(policy.body["delivery"]["quiet_hours"]["from"], "22:00:00");
        crate::openapi::conforms(&doc, "GET", "/api/v1/admin/policy", &policy);
        let snapshot = s
            .call(Method::GET, "/api/v1/sync/snapshot", Some(&staff), None)
            .await;
        assert_eq!(
            snapshot.body["policy"]["delivery"]["quiet_hours"]["to"],
            "07:00:00"
        );
        crate::openapi::conforms(&doc, "GET", "/api/v1/sync/snapshot", &snapshot);
        // Local times are declared as such, not as RFC 3339 `time` (which has an offset).
        assert!(!doc.to_string().contains("\"format\":\"time\""));

        // A time that would travel in another shape (fractions of a second) is refused.
        let mut p = policy.body.clone();
        p["delivery"]["quiet_hours"]["from"] = json!("22:00:00.5");
        s.call(Method::PUT, "/api/v1/admin/policy", Some(&admin), Some(p))
            .await
            .error(422, "policy.out_of_range");
        let mut p = policy.body.clone();
        p["delivery"]["quiet_hours"]["from"] = json!("21:30");
        let put = s
            .call(Method::PUT, "/api/v1/admin/policy", Some(&admin), Some(p))
            .await;
        assert_eq!(put.status, 200, "{}", put.body);
        crate::openapi::conforms(&doc, "PUT", "/api/v1/admin/policy", &put);
        assert_eq!(put.body["delivery"]["quiet_hours"]["from"], "21:30:00");
    }
);

// ----- 13: /metrics ---------------------------------------------------------------------------

/// Reads `/metrics` as the monitoring does: on a listener of its own for this server.
pub(crate) async fn scrape(s: &Server) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = duban_server::routes::health::metrics_router(s.state.clone());
    let served = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let res = s
        .http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.expect("text");
    served.abort();
    text
}

const METRICS_TOKEN: &str = "metrics-token-0123456789abcdef";

both!(
    metrics_are_not_served_to_the_world,
    |s: Server| async move {
        // No token configured: no metrics on the main listener, whoever asks.
        s.fixture().await;
        let token = s.login("admin").await;
        for auth in [None, Some(token.as_str()), Some(METRICS_TOKEN)] {
            let r = s.call(Method::GET, "/metrics", auth, None).await;
            r.error(404, "metrics.off");
        }
        // On a listener of its own, they are.
        let text = scrape(&s).await;
        assert!(text.contains("duban_http_requests_total"), "{text}");
        assert!(text.ends_with("# EOF\n"), "OpenMetrics text: {text}");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_the_main_listener_need_the_configured_token() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let config = duban_server::config::Config {
            metrics_token: Some(METRICS_TOKEN.into()),
            ..Default::default()
        };
        let s = start_with(backend, config).await;
        s.fixture().await;
        let session = s.login("admin").await;
        for auth in [
            None,
            Some(session.as_str()),
            Some("metrics-token-wrong-0000000000"),
        ] {
            let r = s.call(Method::GET, "/metrics", auth, None).await;
            r.error(401, "metrics.unauthorized");
        }
        let res = s
            .http
            .get(format!("{}/metrics", s.base))
            .header(AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))
            .send()
            .await
            .expect("metrics");
        assert_eq!(res.status().as_u16(), 200);
        let text = res.text().await.expect("text");
        assert!(text.contains("duban_logins_total 1"), "{text}");
        assert!(text.contains("duban_items 0"), "{text}");
    }
}

// ----- 13: duplicate keys, depth ----------------------------------------------------------------

/// Sends raw JSON text.
async fn raw(s: &Server, method: Method, path: &str, token: &str, text: String) -> Reply {
    let res = s
        .http
        .request(method, format!("{}{path}", s.base))
        .bearer_auth(token)
        .header(CONTENT_TYPE, "application/json")
        .body(text)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    Reply { status, body }
}

both!(
    a_body_with_a_duplicate_key_or_nested_too_deeply_is_refused,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let admin = s.login("admin").await;
        // A register whose title is given twice: a proxy would read the first, serde the last.
        let task = tid();
        let one = register(&task, "修复县道路面").to_string();
        let twice = one.replacen(
            "\"title\":\"修复县道路面\"",
            "\"title\":\"修复县道路面\",\"title\":\"另一个标题\"",
            1,
        );
        assert_ne!(one, twice);
        let r = raw(
            &s,
            Method::POST,
            "/api/v1/sync/push",
            &sup,
            format!("{{\"commands\":[{twice}]}}"),
        )
        .await;
        r.error(400, "request.duplicate_key");
        let r = raw(
            &s,
            Method::POST,
            "/api/v1/sync/push",
            &sup,
            format!("{{\"commands\":[{one}],\"commands\":[]}}"),
        )
        .await;
        r.error(400, "request.duplicate_key");
        s.get(&sup, &format!("/api/v1/tasks/{task}"))
            .await
            .error(404, "not_found");
        // Deep nesting, refused before it is built.
        let deep = format!(
            "{{\"commands\":[{}{}]}}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        raw(&s, Method::POST, "/api/v1/sync/push", &sup, deep)
            .await
            .error(400, "request.too_deep");
        // The same single text is accepted.
        let r = raw(
            &s,
            Method::POST,
            "/api/v1/sync/push",
            &sup,
            format!("{{\"commands\":[{one}]}}"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["results"][0]["status"], "accepted", "{}", r.body);

        // The admin API and the sign-in read bodies the same way.
        let unit = format!(
            "{{\"parent\":\"{}\",\"name\":\"水利局\",\"name\":\"财政局\"}}",
            f.root
        );
        raw(&s, Method::POST, "/api/v1/admin/units", &admin, unit)
            .await
            .error(400, "request.duplicate_key");
        let login = format!(
            "{{\"username\":\"staff-a\",\"password\":\"wrong\",\"password\":\"{PASSWORD}\"}}"
        );
        raw(&s, Method::POST, "/api/v1/auth/login", "", login)
            .await
            .error(400, "request.duplicate_key");
        let revoke = "{\"device\":\"a\",\"device\":\"b\"}".to_owned();
        raw(
            &s,
            Method::POST,
            &format!("/api/v1/admin/users/{}/sessions/revoke", f.staff_a),
            &admin,
            revoke,
        )
        .await
        .error(400, "request.duplicate_key");
    }
);

// ----- 13: control and direction characters -----------------------------------------------------

both!(
    nul_and_direction_characters_are_refused_in_titles_and_names,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let admin = s.login("admin").await;
        // Item titles, by the core's rule: at registration and in an amendment.
        for bad in [
            "修复县道\u{0}路面",
            "修复县道路面\u{202E}tnegru",
            "修复\u{2066}县道",
        ] {
            s.refused(&sup, register(&tid(), bad), "input.control_char")
                .await;
        }
        let task = tid();
        s.ok(&sup, register(&task, "修复县道路面")).await;
        s.refused(
            &sup,
            simple(&task, "amend_draft", json!({"title": "改\u{202D}过"})),
            "input.control_char",
        )
        .await;

        // Unit and person names.
        s.post(
            &admin,
            "/api/v1/admin/units",
            json!({"parent": f.root, "name": "水利\u{202E}局"}),
        )
        .await
        .error(422, "input.control_char");
        s.post(
            &admin,
            "/api/v1/admin/units",
            json!({"parent": f.root, "name": "水利局", "name_en": "Water\u{0}"}),
        )
        .await
        .error(422, "input.control_char");
        s.post(
            &admin,
            "/api/v1/admin/users",
            json!({"username": "new-staff", "name": "新\u{200F}人", "unit": f.unit_b,
                   "roles": ["staff"], "password": "a-good-password"}),
        )
        .await
        .error(422, "input.control_char");
        // Category names.
        let mut policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        policy["categories"][0]["name_zh"] = json!("领导\u{2067}批示");
        s.call(
            Method::PUT,
            "/api/v1/admin/policy",
            Some(&admin),
            Some(policy),
        )
        .await
        .error(422, "input.control_char");
        assert_eq!(
            s.scalar(
                "SELECT COUNT(*) FROM users WHERE username = 'new-staff'",
                vec![]
            )
            .await,
            0
        );

        // Bulletin titles.
        let web = browser();
        let cookie = crate::web::sign_in(&s, &web, "supervisor").await;
        let form = uuid::Uuid::new_v4().to_string();
        let token = crate::web::form_token(&s, &web, &cookie).await;
        let r = web
            .post(format!("{}/bulletins", s.base))
            .header(COOKIE, &cookie)
            .form(&[
                ("form", form.as_str()),
                ("kind", "notice"),
                ("title", "通知\u{202E}"),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 422);
        assert!(r.text().await.expect("body").contains("input.control_char"));
        assert_eq!(s.scalar("SELECT COUNT(*) FROM bulletins", vec![]).await, 0);
    }
);

/// `duban serve --metrics-listen`: the metrics alone on their own address, not on the main one.
#[test]
fn serve_with_metrics_listen_serves_them_on_that_address_only() {
    use std::process::{Command, Stdio};
    use std::time::Duration;
    let dir = std::env::temp_dir().join(format!("duban-metrics-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--scheduler-seconds",
            "0",
            "--delivery-seconds",
            "0",
        ])
        .arg("--data-dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start duban");
    let rx = logged_address(&mut child);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    // A failure below must not leave the server running: catch it, stop the server, re-raise.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The metrics listener is bound (and logged) before the main one.
        let addresses: Vec<String> = (0..2)
            .map(|_| {
                rx.recv_timeout(Duration::from_secs(240))
                    .expect("an address")
            })
            .collect();
        rt.block_on(async {
            let http = reqwest::Client::new();
            let (metrics, main) = (
                format!("http://{}", addresses[0]),
                format!("http://{}", addresses[1]),
            );
            wait_ready(&http, &main, Duration::from_secs(240)).await;
            let r = http
                .get(format!("{metrics}/metrics"))
                .send()
                .await
                .expect("metrics");
            assert_eq!(r.status().as_u16(), 200);
            let text = r.text().await.expect("text");
            assert!(text.contains("duban_http_requests_total"), "{text}");
            let r = http
                .get(format!("{main}/metrics"))
                .send()
                .await
                .expect("main");
            assert_eq!(r.status().as_u16(), 404);
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["code"], "metrics.off");
            // Nothing else on the metrics address.
            let r = http
                .get(format!("{metrics}/readyz"))
                .send()
                .await
                .expect("other");
            assert_eq!(r.status().as_u16(), 404);
        })
    }));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    outcome.unwrap_or_else(|e| std::panic::resume_unwind(e));
}
