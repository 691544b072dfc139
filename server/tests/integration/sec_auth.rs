//! Sign-in under attack (issue 16, items 3, 5 and 13): the lockout holds against parallel
//! guesses, password hashes run within a small bound (beyond it: 503 `auth.busy` with
//! `Retry-After`, on the API and on the sign-in page) and cost the same for unknown
//! usernames, and locking or deactivating an account ends its API and page sessions.

use argon2::password_hash::PasswordHash;
use duban_server::config::Config;
use duban_server::db::Val;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, RETRY_AFTER};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, sign_in as web_sign_in};

/// Like `both!`, with a configuration.
macro_rules! both_with {
    ($name:ident, $config:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = start_with(Backend::Sqlite, $config).await;
                ($body)(s).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s = start_with(Backend::Postgres, $config).await;
                ($body)(s).await;
            }
        }
    };
}

async fn api_sign_in(s: &Server, username: &str, password: &str) -> Reply {
    s.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": username, "password": password})),
    )
    .await
}

/// Fires all the sign-ins at once; returns the answers in the order given.
async fn burst(s: &Server, attempts: Vec<(String, String)>) -> Vec<Reply> {
    let mut tasks = Vec::new();
    for (username, password) in attempts {
        let http = s.http.clone();
        let url = format!("{}/api/v1/auth/login", s.base);
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .json(&json!({"username": username, "password": password}))
                .send()
                .await
                .expect("request");
            let status = r.status().as_u16();
            let body = r.json::<Value>().await.unwrap_or(Value::Null);
            Reply { status, body }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn count(replies: &[Reply], status: u16) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

/// The default lockout (5 tries), and time enough for every check to get its turn.
fn patient() -> Config {
    Config {
        hash_wait_ms: 30_000,
        ..Config::default()
    }
}

async fn locked_until(s: &Server, username: &str) -> Option<i64> {
    s.state
        .db
        .row(
            "SELECT locked_until FROM users WHERE username = $1",
            vec![Val::from(username)],
        )
        .await
        .unwrap()
        .unwrap()
        .opt_int(0)
        .unwrap()
}

// ----- item 3: the lockout under parallel guesses ----------------------------------------------

both_with!(
    thirty_parallel_wrong_guesses_get_at_most_four_401_and_lock_the_account,
    patient(),
    |s: Server| async move {
        s.fixture().await;
        let guesses = (0..30)
            .map(|i| ("staff-a".to_owned(), format!("wrong-guess-{i}")))
            .collect();
        let replies = burst(&s, guesses).await;
        for r in &replies {
            match r.status {
                401 => r.clone().error(401, "auth.bad_credentials"),
                423 => r.clone().error(423, "auth.locked"),
                other => panic!("unexpected {other}: {}", r.body),
            }
        }
        // Five tries between successes: the fifth wrong one locks, so at most four 401s.
        assert!(
            count(&replies, 401) <= 4,
            "{} guesses were answered 401",
            count(&replies, 401)
        );
        assert!(count(&replies, 423) >= 26);
        assert!(locked_until(&s, "staff-a").await.is_some());
        // The owner's own password is refused now too.
        api_sign_in(&s, "staff-a", PASSWORD)
            .await
            .error(423, "auth.locked");
        // Someone else is not affected.
        s.login("staff-a2").await;
    }
);

both_with!(
    the_right_password_inside_a_burst_of_wrong_ones_does_not_sign_in,
    patient(),
    |s: Server| async move {
        s.fixture().await;
        // The right password goes out in the middle of the burst, after 15 wrong guesses,
        // once the server has taken at least five of them in (tried or locked): requests
        // sent at once reach it in no fixed order, and a right password that arrived before
        // any wrong one would rightly sign in.
        let wrong = |range: std::ops::Range<usize>| -> Vec<(String, String)> {
            range
                .map(|i| ("staff-a".to_owned(), format!("wrong-guess-{i}")))
                .collect()
        };
        let first = {
            let s = &s;
            async move { burst(s, wrong(0..15)).await }
        };
        let rest = async {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                let tried = s
                    .scalar(
                        "SELECT failed_logins + CASE WHEN locked_until IS NULL THEN 0 ELSE 5 END \
                         FROM users WHERE username = 'staff-a'",
                        vec![],
                    )
                    .await;
                if tried >= 5 || std::time::Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let mut attempts = vec![("staff-a".to_owned(), PASSWORD.to_owned())];
            attempts.extend(wrong(15..29));
            burst(&s, attempts).await
        };
        let (mut replies, later) = tokio::join!(first, rest);
        replies.extend(later);
        let right = &replies[15];
        assert_ne!(right.status, 200, "the right password won the race");
        right.clone().error(423, "auth.locked");
        assert_eq!(count(&replies, 200), 0);
        assert!(count(&replies, 401) <= 4);
        assert!(locked_until(&s, "staff-a").await.is_some());
        api_sign_in(&s, "staff-a", PASSWORD)
            .await
            .error(423, "auth.locked");
    }
);

both_with!(
    sequential_guesses_still_lock_on_the_fifth_and_a_success_clears_the_count,
    patient(),
    |s: Server| async move {
        s.fixture().await;
        for _ in 0..4 {
            api_sign_in(&s, "staff-a", "wrong-password")
                .await
                .error(401, "auth.bad_credentials");
        }
        // A success clears the four failures.
        api_sign_in(&s, "staff-a", PASSWORD).await.expect(200);
        for _ in 0..4 {
            api_sign_in(&s, "staff-a", "wrong-password")
                .await
                .error(401, "auth.bad_credentials");
        }
        api_sign_in(&s, "staff-a", "wrong-password")
            .await
            .error(423, "auth.locked");
        let failed = s
            .scalar(
                "SELECT failed_logins FROM users WHERE username = $1",
                vec![Val::from("staff-a")],
            )
            .await;
        assert_eq!(failed, 0, "the lockout starts a new count");
    }
);

// ----- item 5: the bound on password hashes ------------------------------------------------

/// One hash at a time, and no waiting for it.
fn one_hash() -> Config {
    Config {
        hash_concurrency: 1,
        hash_wait_ms: 0,
        ..Config::default()
    }
}

both_with!(
    sign_ins_beyond_the_hash_bound_are_answered_503_with_retry_after,
    one_hash(),
    |s: Server| async move {
        s.fixture().await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let http = s.http.clone();
            let url = format!("{}/api/v1/auth/login", s.base);
            // Mostly unknown names; every eighth a wrong guess at a real account.
            let username = if i % 8 == 3 {
                "staff-a".to_owned()
            } else {
                format!("nobody-{i}")
            };
            tasks.push(tokio::spawn(async move {
                let r = http
                    .post(url)
                    .json(&json!({"username": username, "password": "a-guess-123"}))
                    .send()
                    .await
                    .expect("request");
                let status = r.status().as_u16();
                let retry = r
                    .headers()
                    .get(RETRY_AFTER)
                    .map(|v| v.to_str().unwrap().to_owned());
                let body = r.json::<Value>().await.unwrap_or(Value::Null);
                (username, status, retry, body)
            }));
        }
        let mut busy = 0;
        let mut checked_at_staff_a = 0;
        for t in tasks {
            let (username, status, retry, body) = t.await.unwrap();
            match status {
                401 => {
                    assert_eq!(body["code"], "auth.bad_credentials", "{body}");
                    if username == "staff-a" {
                        checked_at_staff_a += 1;
                    }
                }
                503 => {
                    busy += 1;
                    assert_eq!(body["code"], "auth.busy", "{body}");
                    assert!(body["zh"].as_str().is_some_and(|m| !m.is_empty()));
                    assert!(body["en"].as_str().is_some_and(|m| !m.is_empty()));
                    let seconds: u32 = retry.expect("Retry-After").parse().expect("seconds");
                    assert!((1..=60).contains(&seconds));
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert!(busy > 0, "24 simultaneous hashes ran with a bound of one");
        // A guess answered busy was never checked: it does not count as a failed try.
        let failed = s
            .scalar(
                "SELECT failed_logins FROM users WHERE username = $1",
                vec![Val::from("staff-a")],
            )
            .await;
        assert_eq!(failed, checked_at_staff_a);
        // The permits come back: a sign-in afterwards is served.
        s.login("staff-a").await;
    }
);

both_with!(
    the_sign_in_page_beyond_the_hash_bound_answers_a_page_with_retry_after,
    one_hash(),
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let mut tasks = Vec::new();
        for i in 0..24 {
            let web = web.clone();
            let url = format!("{}/login", s.base);
            let (cookie, token) = crate::web::login_form(&s, &web).await;
            tasks.push(tokio::spawn(async move {
                let r = web
                    .post(url)
                    .header(reqwest::header::COOKIE, cookie)
                    .form(&[
                        ("username", format!("nobody-{i}")),
                        ("password", "a-guess-123".to_owned()),
                        ("next", "/overview".to_owned()),
                        ("csrf", token),
                    ])
                    .send()
                    .await
                    .expect("request");
                let status = r.status().as_u16();
                let retry = r.headers().get(RETRY_AFTER).is_some();
                let html = r
                    .headers()
                    .get(CONTENT_TYPE)
                    .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
                (status, retry, html, r.text().await.unwrap())
            }));
        }
        let mut busy = 0;
        for t in tasks {
            let (status, retry, html, text) = t.await.unwrap();
            assert!(html, "{status}: {text}");
            match status {
                401 => assert!(text.contains("auth.bad_credentials")),
                503 => {
                    busy += 1;
                    assert!(retry, "no Retry-After");
                    assert!(text.contains("auth.busy"), "{text}");
                }
                other => panic!("unexpected {other}: {text}"),
            }
        }
        assert!(
            busy > 0,
            "24 simultaneous page sign-ins ran with a bound of one"
        );
        web_sign_in(&s, &web, "staff-a").await;
    }
);

both!(
    an_unknown_username_is_checked_against_a_hash_of_the_same_cost,
    |s: Server| async move {
        s.fixture().await;
        let admin = s.login("admin").await;
        // An account made through the API, so its hash is the server's own.
        let f = Fixture::default();
        s.post(
            &admin,
            "/api/v1/admin/users",
            json!({"username": "newcomer", "name": "newcomer", "unit": f.unit_a,
                   "roles": ["staff"], "password": "a-fresh-password"}),
        )
        .await
        .expect(201);
        let stored = s
            .state
            .db
            .row(
                "SELECT password_hash FROM users WHERE username = $1",
                vec![Val::from("newcomer")],
            )
            .await
            .unwrap()
            .unwrap()
            .text(0)
            .unwrap();
        let real = PasswordHash::new(&stored).expect("a PHC string");
        let dummy = PasswordHash::new(duban_server::auth::dummy_hash()).expect("a PHC string");
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params, "memory, iterations, lanes");
        assert_eq!(
            dummy.hash.map(|h| h.len()),
            real.hash.map(|h| h.len()),
            "output length"
        );
        assert!(dummy.salt.is_some());
        // And the unknown name is refused as a wrong password is.
        let unknown = api_sign_in(&s, "nobody-here", "a-fresh-password").await;
        let wrong = api_sign_in(&s, "newcomer", "not-the-password").await;
        assert_eq!(unknown.body, wrong.body);
        unknown.error(401, "auth.bad_credentials");
    }
);

// ----- item 13: locking or deactivating an account ends its sessions --------------------------

/// A person signed in on a phone (with push registered) and in a browser.
struct SignedIn {
    token: String,
    cookie: String,
}

async fn signed_in_everywhere(s: &Server, username: &str) -> SignedIn {
    let token = s.login(username).await;
    s.call(
        Method::PUT,
        "/api/v1/devices/current",
        Some(&token),
        Some(json!({"platform": "android", "provider": "hms",
                    "token": format!("push-{username}"), "app_version": "1.0.0"})),
    )
    .await
    .expect(200);
    let cookie = web_sign_in(s, &browser(), username).await;
    let me = SignedIn { token, cookie };
    assert!(api_open(s, &me).await && page_open(s, &me).await);
    me
}

/// Whether the token still opens the API (else 401 `auth.unauthorized`).
async fn api_open(s: &Server, who: &SignedIn) -> bool {
    let r = s.get(&who.token, "/api/v1/auth/me").await;
    match r.status {
        200 => true,
        _ => {
            r.error(401, "auth.unauthorized");
            false
        }
    }
}

/// Whether the cookie still opens a page (else the page sends the browser to sign in).
async fn page_open(s: &Server, who: &SignedIn) -> bool {
    let r = browser()
        .get(format!("{}/overview", s.base))
        .header(COOKIE, &who.cookie)
        .send()
        .await
        .unwrap();
    match r.status().as_u16() {
        200 => true,
        303 => {
            let to = r.headers()[LOCATION].to_str().unwrap();
            assert!(to.starts_with("/login"), "{to}");
            false
        }
        other => panic!("unexpected {other}"),
    }
}

async fn push_registrations(s: &Server, username: &str) -> i64 {
    s.scalar(
        "SELECT COUNT(*) FROM devices d JOIN users u ON u.id = d.user_id WHERE u.username = $1",
        vec![Val::from(username)],
    )
    .await
}

both!(
    deactivating_an_account_ends_its_api_and_page_sessions,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let a = signed_in_everywhere(&s, "staff-a").await;
        let other = signed_in_everywhere(&s, "staff-a2").await;
        s.call(
            Method::PUT,
            &format!("/api/v1/admin/users/{}", f.staff_a),
            Some(&admin),
            Some(
                json!({"username": "staff-a", "name": "staff-a", "unit": f.unit_a,
                        "roles": ["staff"], "active": false}),
            ),
        )
        .await
        .expect(200);
        assert!(!api_open(&s, &a).await, "the API token still works");
        assert!(!page_open(&s, &a).await, "the page cookie still works");
        assert_eq!(push_registrations(&s, "staff-a").await, 0, "pushes go on");
        assert!(api_open(&s, &other).await && page_open(&s, &other).await);
        assert_eq!(push_registrations(&s, "staff-a2").await, 1);
    }
);

both!(
    locking_an_account_ends_its_api_and_page_sessions_until_unlocked,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let a = signed_in_everywhere(&s, "staff-a").await;
        let other = signed_in_everywhere(&s, "staff-a2").await;
        let lock = format!("/api/v1/admin/users/{}/lock", f.staff_a);

        // Only an administrator may lock, and not their own account.
        s.post(&other.token, &lock, json!({}))
            .await
            .error(403, "perm.denied");
        s.post(
            &admin,
            &format!("/api/v1/admin/users/{}/lock", f.admin),
            json!({}),
        )
        .await
        .error(422, "org.lock_self");
        s.post(
            &admin,
            &format!("/api/v1/admin/users/{}/lock", uuid::Uuid::new_v4()),
            json!({}),
        )
        .await
        .error(404, "not_found");
        assert!(api_open(&s, &a).await);

        let account = s.post(&admin, &lock, json!({})).await.expect(200);
        assert_eq!(account["locked_until"], "9999-12-31T23:59:59.999Z");
        assert!(!api_open(&s, &a).await, "the API token still works");
        assert!(!page_open(&s, &a).await, "the page cookie still works");
        assert_eq!(push_registrations(&s, "staff-a").await, 0, "pushes go on");
        assert!(api_open(&s, &other).await && page_open(&s, &other).await);

        // No new session, with the right password, through the API or the page.
        api_sign_in(&s, "staff-a", PASSWORD)
            .await
            .error(423, "auth.locked_by_admin");
        let r = crate::web::post_login(
            &s,
            &browser(),
            &[
                ("username", "staff-a"),
                ("password", PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
        assert_eq!(r.status().as_u16(), 423);
        assert!(r.headers().get(reqwest::header::SET_COOKIE).is_none());
        assert!(r.text().await.unwrap().contains("auth.locked_by_admin"));

        // Unlocked, the person signs in again.
        s.post(
            &admin,
            &format!("/api/v1/admin/users/{}/unlock", f.staff_a),
            json!({}),
        )
        .await
        .expect(200);
        s.login("staff-a").await;
    }
);

both!(
    the_automatic_lockout_does_not_sign_the_owner_out,
    |s: Server| async move {
        s.fixture().await;
        let a = signed_in_everywhere(&s, "staff-a").await;
        // Anyone can trigger the lockout by guessing: it must not end the owner's sessions.
        for _ in 0..5 {
            api_sign_in(&s, "staff-a", "wrong-password").await;
        }
        api_sign_in(&s, "staff-a", PASSWORD)
            .await
            .error(423, "auth.locked");
        assert!(api_open(&s, &a).await && page_open(&s, &a).await);
    }
);

both!(
    signing_a_person_out_forgets_the_push_registrations_of_those_sessions,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let a = signed_in_everywhere(&s, "staff-a").await;
        let r = s
            .call(
                Method::POST,
                &format!("/api/v1/admin/users/{}/sessions/revoke", f.staff_a),
                Some(&admin),
                None,
            )
            .await
            .expect(200);
        assert_eq!(r["revoked"], 2, "the phone and the browser");
        assert!(!api_open(&s, &a).await && !page_open(&s, &a).await);
        assert_eq!(push_registrations(&s, "staff-a").await, 0, "pushes go on");

        // A person signing their own lost phone out from another device forgets it too.
        let lost = signed_in_everywhere(&s, "staff-a2").await;
        let tablet = s
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "staff-a2", "password": PASSWORD, "device": "tablet"})),
            )
            .await
            .expect(200)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = s
            .post(
                &tablet,
                "/api/v1/auth/sessions/revoke",
                json!({"device": "default"}),
            )
            .await
            .expect(200);
        assert_eq!(r["revoked"], 1);
        assert!(!api_open(&s, &lost).await);
        assert_eq!(push_registrations(&s, "staff-a2").await, 0, "pushes go on");
    }
);
