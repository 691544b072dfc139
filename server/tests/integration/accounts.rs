//! Accounts and sessions: sign-in and its refusals, lockout and the admin's unlock, one
//! session per device, signing a device (or every device) out, logout, and the tokens the
//! server refuses — forged, malformed, expired, of a deactivated account. Tokens are stored
//! only as hashes.

use duban_server::auth::token_hash;
use duban_server::config::Config;
use duban_server::db::Val;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

async fn sign_in(s: &Server, username: &str, password: &str, device: Option<&str>) -> Reply {
    s.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": username, "password": password, "device": device})),
    )
    .await
}

async fn token_on(s: &Server, username: &str, device: &str) -> String {
    sign_in(s, username, PASSWORD, Some(device))
        .await
        .expect(200)["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn signed_in(s: &Server, token: &str) -> bool {
    let r = s.get(token, "/api/v1/auth/me").await;
    match r.status {
        200 => true,
        401 => {
            r.error(401, "auth.unauthorized");
            false
        }
        other => panic!("unexpected {other}: {}", r.body),
    }
}

fn random_hex(n: usize) -> String {
    let mut s = String::new();
    while s.len() < n {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    s.truncate(n);
    s
}

both!(signing_in_returns_an_opaque_token, |s: Server| async move {
    let f = s.fixture().await;
    let r = sign_in(&s, "staff-a", PASSWORD, Some("phone"))
        .await
        .expect(200);
    let token = r["token"].as_str().unwrap();
    assert!(token.starts_with("dbn_") && token.len() == 68, "{token}");
    assert!(token[4..].chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(r["user"]["id"], json!(f.staff_a));
    assert_eq!(r["user"]["username"], "staff-a");
    assert!(r["expires_at"].as_str().is_some());
    assert!(!r.to_string().contains("argon2"));
    let me = s.get(token, "/api/v1/auth/me").await.expect(200);
    assert_eq!(me["id"], json!(f.staff_a));
    // Usernames are matched without regard to case or surrounding spaces.
    sign_in(&s, " Staff-A ", PASSWORD, None).await.expect(200);
});

both!(
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    |s: Server| async move {
        s.fixture().await;
        let wrong = sign_in(&s, "staff-a", "not-the-password", None).await;
        let unknown = sign_in(&s, "nobody-here", PASSWORD, None).await;
        assert_eq!(wrong.body, unknown.body, "the answer does not tell which");
        wrong.error(401, "auth.bad_credentials");
        unknown.error(401, "auth.bad_credentials");
        sign_in(&s, "", "", None)
            .await
            .error(401, "auth.bad_credentials");
    }
);

async fn lockout_and_unlock(s: Server) {
    let f = s.fixture().await;
    let admin = s.login("admin").await;
    for _ in 0..2 {
        sign_in(&s, "staff-a", "wrong-password", None)
            .await
            .error(401, "auth.bad_credentials");
    }
    sign_in(&s, "staff-a", "wrong-password", None)
        .await
        .error(423, "auth.locked");
    // Locked: even the right password is refused, and the answer says so.
    sign_in(&s, "staff-a", PASSWORD, None)
        .await
        .error(423, "auth.locked");
    // Others are not affected.
    s.login("staff-a2").await;
    let users = s.get(&admin, "/api/v1/admin/users").await.expect(200);
    let a = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == json!(f.staff_a))
        .unwrap()
        .clone();
    assert!(a["locked_until"].as_str().is_some(), "{a}");

    let unlocked = s
        .post(
            &admin,
            &format!("/api/v1/admin/users/{}/unlock", f.staff_a),
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(unlocked["locked_until"], Value::Null);
    assert_eq!(unlocked["failed_logins"], 0);
    let token = s.login("staff-a").await;
    assert!(signed_in(&s, &token).await);

    // Locked again, a new password set by the admin also lifts the lockout.
    for _ in 0..3 {
        sign_in(&s, "staff-a", "wrong-password", None).await;
    }
    sign_in(&s, "staff-a", PASSWORD, None)
        .await
        .error(423, "auth.locked");
    s.call(
        Method::PUT,
        &format!("/api/v1/admin/users/{}", f.staff_a),
        Some(&admin),
        Some(
            json!({"username": "staff-a", "name": "staff-a", "unit": f.unit_a,
                    "roles": ["staff"], "password": "a-fresh-password"}),
        ),
    )
    .await
    .expect(200);
    sign_in(&s, "staff-a", PASSWORD, None)
        .await
        .error(401, "auth.bad_credentials");
    sign_in(&s, "staff-a", "a-fresh-password", None)
        .await
        .expect(200);
    s.post(
        &admin,
        &format!("/api/v1/admin/users/{}/unlock", uuid::Uuid::new_v4()),
        json!({}),
    )
    .await
    .error(404, "not_found");
}

mod lockout_after_failed_sign_ins {
    use super::*;

    fn config() -> Config {
        Config {
            lockout_attempts: 3,
            ..Default::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        lockout_and_unlock(start_with(Backend::Sqlite, config()).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        lockout_and_unlock(start_with(Backend::Postgres, config()).await).await;
    }
}

both!(one_session_per_device, |s: Server| async move {
    s.fixture().await;
    let first = token_on(&s, "staff-a", "phone").await;
    let second = token_on(&s, "staff-a", "phone").await;
    assert_ne!(first, second);
    assert!(!signed_in(&s, &first).await, "the same device replaced it");
    assert!(signed_in(&s, &second).await);
    let tablet = token_on(&s, "staff-a", "tablet").await;
    assert!(signed_in(&s, &second).await, "another device does not");
    assert!(signed_in(&s, &tablet).await);

    let list = s.get(&second, "/api/v1/auth/sessions").await.expect(200);
    let mut devices: Vec<(String, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["device"].as_str().unwrap().to_owned(),
                d["current"].as_bool().unwrap(),
            )
        })
        .collect();
    devices.sort();
    assert_eq!(
        devices,
        vec![("phone".to_owned(), true), ("tablet".to_owned(), false)]
    );
    assert!(!list.to_string().contains(&second), "no token in the list");

    // Signing the tablet out from the phone (the lost-tablet case).
    let r = s
        .post(
            &second,
            "/api/v1/auth/sessions/revoke",
            json!({"device": "tablet"}),
        )
        .await
        .expect(200);
    assert_eq!(r["revoked"], 1);
    assert!(!signed_in(&s, &tablet).await);
    assert!(signed_in(&s, &second).await);
    let list = s.get(&second, "/api/v1/auth/sessions").await.expect(200);
    assert_eq!(list.as_array().unwrap().len(), 1);
});

both!(
    the_admin_signs_a_person_out_everywhere,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let phone = token_on(&s, "staff-a", "phone").await;
        let tablet = token_on(&s, "staff-a", "tablet").await;
        let other = token_on(&s, "staff-a2", "phone").await;
        let path = format!("/api/v1/admin/users/{}/sessions/revoke", f.staff_a);

        // One device.
        let r = s
            .post(&admin, &path, json!({"device": "phone"}))
            .await
            .expect(200);
        assert_eq!(r["revoked"], 1);
        assert!(!signed_in(&s, &phone).await);
        assert!(signed_in(&s, &tablet).await);

        // Every device (no body: the lost-phone button).
        let phone = token_on(&s, "staff-a", "phone").await;
        let r = s
            .call(Method::POST, &path, Some(&admin), None)
            .await
            .expect(200);
        assert_eq!(r["revoked"], 2);
        assert!(!signed_in(&s, &phone).await);
        assert!(!signed_in(&s, &tablet).await);
        assert!(signed_in(&s, &other).await, "someone else stays signed in");
        assert!(signed_in(&s, &admin).await);
        // The person can sign in again.
        assert!(signed_in(&s, &s.login("staff-a").await).await);

        s.post(&admin, &path, json!({"what": 1}))
            .await
            .error(422, "request.invalid_body");
        s.post(
            &admin,
            &format!(
                "/api/v1/admin/users/{}/sessions/revoke",
                uuid::Uuid::new_v4()
            ),
            json!({}),
        )
        .await
        .error(404, "not_found");
    }
);

both!(logging_out_ends_only_this_session, |s: Server| async move {
    s.fixture().await;
    let phone = token_on(&s, "staff-a", "phone").await;
    let tablet = token_on(&s, "staff-a", "tablet").await;
    s.post(&phone, "/api/v1/auth/logout", json!({}))
        .await
        .expect(200);
    assert!(!signed_in(&s, &phone).await);
    assert!(signed_in(&s, &tablet).await);
    s.post(&phone, "/api/v1/auth/logout", json!({}))
        .await
        .error(401, "auth.unauthorized");
});

both!(
    forged_malformed_and_expired_tokens_are_refused,
    |s: Server| async move {
        s.fixture().await;
        let forged = format!("dbn_{}", random_hex(64));
        assert_eq!(forged.len(), 68);
        assert!(!signed_in(&s, &forged).await);

        let token = s.login("staff-a").await;
        let url = format!("{}/api/v1/auth/me", s.base);
        for header in [
            token.clone(),
            format!("Token {token}"),
            format!("bearer{token}"),
            "Bearer".to_owned(),
            "Bearer ".to_owned(),
            "Bearer dbn_short".to_owned(),
            format!("Bearer {}", &token[..67]),
            format!("Bearer {token}0"),
            format!("Basic {}", random_hex(20)),
        ] {
            let res = s
                .http
                .get(&url)
                .header("Authorization", header.as_str())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), 401, "{header}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["code"], "auth.unauthorized", "{header}");
        }
        let res = s.http.get(&url).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "no header at all");
        assert!(signed_in(&s, &token).await, "the real token still works");

        // Expired.
        let past = chrono::Utc::now().timestamp_millis() - 1_000;
        let n = s
            .state
            .db
            .exec(
                "UPDATE sessions SET expires_at = $1 WHERE token_hash = $2",
                vec![Val::from(past), Val::from(token_hash(&token))],
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert!(
            !signed_in(&s, &token).await,
            "an expired session is refused"
        );
        let other = s.login("staff-a2").await;
        assert!(signed_in(&s, &other).await);
    }
);

both!(the_database_keeps_no_plain_token, |s: Server| async move {
    s.fixture().await;
    let tokens = [
        token_on(&s, "staff-a", "phone").await,
        token_on(&s, "staff-a", "tablet").await,
        token_on(&s, "head-b", "phone").await,
    ];
    let rows = s
        .state
        .db
        .rows("SELECT token_hash, device FROM sessions", vec![])
        .await
        .unwrap();
    let stored: Vec<String> = rows.iter().map(|r| r.text(0).unwrap()).collect();
    assert_eq!(stored.len(), 3);
    for token in &tokens {
        assert!(
            stored
                .iter()
                .all(|h| h != token && !h.contains(&token[4..])),
            "the token itself is not stored"
        );
        assert!(stored.contains(&token_hash(token)), "its hash is");
    }
    let n = s
        .scalar(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = $1",
            vec![Val::from(tokens[0].as_str())],
        )
        .await;
    assert_eq!(n, 0);
});

both!(
    a_deactivated_account_is_signed_out_and_stays_out,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let phone = token_on(&s, "staff-a", "phone").await;
        let tablet = token_on(&s, "staff-a", "tablet").await;
        let path = format!("/api/v1/admin/users/{}", f.staff_a);
        let person = |active: bool| {
            json!({"username": "staff-a", "name": "staff-a", "unit": f.unit_a,
                   "roles": ["staff"], "active": active})
        };
        let r = s
            .call(Method::PUT, &path, Some(&admin), Some(person(false)))
            .await
            .expect(200);
        assert_eq!(r["active"], false);
        assert!(!signed_in(&s, &phone).await);
        assert!(!signed_in(&s, &tablet).await);
        sign_in(&s, "staff-a", PASSWORD, None)
            .await
            .error(401, "auth.bad_credentials");
        let open = s
            .scalar(
                "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL",
                vec![Val::from(f.staff_a.to_string())],
            )
            .await;
        assert_eq!(open, 0, "every session was revoked");

        // Reactivated, the person signs in again; the old tokens stay dead.
        s.call(Method::PUT, &path, Some(&admin), Some(person(true)))
            .await
            .expect(200);
        assert!(!signed_in(&s, &phone).await);
        let fresh = s.login("staff-a").await;
        assert!(signed_in(&s, &fresh).await);
    }
);
