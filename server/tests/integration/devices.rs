//! Push registration: a phone registers its token, re-registers, hands its token on, is
//! listed to its owner only, and is forgotten on sign-out; bad registrations are refused
//! with `device.invalid` and change nothing.

use serde_json::json;

use crate::support::*;

fn android(token: &str) -> serde_json::Value {
    json!({"platform": "android", "provider": "hms", "token": token, "app_version": "1.0.0"})
}

async fn put(s: &Server, token: &str, body: serde_json::Value) -> Reply {
    s.call(
        reqwest::Method::PUT,
        "/api/v1/devices/current",
        Some(token),
        Some(body),
    )
    .await
}

async fn devices(s: &Server) -> i64 {
    s.scalar("SELECT COUNT(*) FROM devices", vec![]).await
}

both!(
    a_phone_registers_re_registers_and_is_forgotten_on_sign_out,
    |s: Server| async move {
        s.fixture().await;
        let a = s.login("staff-a").await;
        let out = put(&s, &a, android("hms-token-1")).await.expect(200);
        assert_eq!(out["platform"], "android");
        assert_eq!(out["provider"], "hms");
        assert!(out.get("token").is_none(), "the token is not echoed");
        // Again on the same device: replaced, not added.
        let mut again = android("hms-token-2");
        again["app_version"] = json!("1.1.0");
        let out2 = put(&s, &a, again).await.expect(200);
        assert_eq!(out2["app_version"], "1.1.0");
        assert_eq!(out2["registered_at"], out["registered_at"]);
        assert_eq!(devices(&s).await, 1);
        let mine = s.get(&a, "/api/v1/devices").await.expect(200);
        assert_eq!(mine.as_array().map(Vec::len), Some(1));
        // Someone else sees only their own.
        let b = s.login("staff-b").await;
        assert_eq!(s.get(&b, "/api/v1/devices").await.expect(200), json!([]));
        // The phone changes hands: its token moves to whoever registers it now.
        put(&s, &b, android("hms-token-2")).await.expect(200);
        assert_eq!(s.get(&a, "/api/v1/devices").await.expect(200), json!([]));
        assert_eq!(devices(&s).await, 1);
        // Signing out forgets the phone.
        s.call(reqwest::Method::POST, "/api/v1/auth/logout", Some(&b), None)
            .await
            .expect(200);
        assert_eq!(devices(&s).await, 0);
        // Forgetting by hand.
        put(&s, &a, android("hms-token-3")).await.expect(200);
        let gone = s
            .call(
                reqwest::Method::DELETE,
                "/api/v1/devices/current",
                Some(&a),
                None,
            )
            .await
            .expect(200);
        assert_eq!(gone, json!({"removed": true}));
        assert_eq!(devices(&s).await, 0);
    }
);

both!(
    a_bad_registration_is_refused_and_changes_nothing,
    |s: Server| async move {
        s.fixture().await;
        let a = s.login("staff-a").await;
        for body in [
            json!({"platform": "android", "provider": "apns", "token": "t", "app_version": "1"}),
            json!({"platform": "ios", "provider": "hms", "token": "t", "app_version": "1"}),
            json!({"platform": "android", "provider": "fcm", "token": "", "app_version": "1"}),
            json!({"platform": "android", "provider": "fcm", "token": "a b", "app_version": "1"}),
            json!({"platform": "android", "provider": "fcm", "token": "x".repeat(4097), "app_version": "1"}),
            json!({"platform": "android", "provider": "fcm", "token": "t", "app_version": " "}),
        ] {
            put(&s, &a, body).await.error(422, "device.invalid");
        }
        for body in [
            json!({"platform": "symbian", "provider": "fcm", "token": "t", "app_version": "1"}),
            json!({"platform": "android", "provider": "fcm", "token": "t"}),
            json!({"platform": "android", "provider": "fcm", "token": "t", "app_version": "1", "extra": 1}),
        ] {
            put(&s, &a, body).await.error(422, "request.invalid_body");
        }
        assert_eq!(devices(&s).await, 0);
        // Without a session: 401.
        let r = s
            .http
            .put(format!("{}/api/v1/devices/current", s.base))
            .json(&android("t"))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 401);
    }
);
