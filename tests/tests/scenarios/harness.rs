//! The harness itself: the fixture accounts sign in through the proxy, a cut line fails
//! requests fast and a restored one carries them again, a restart keeps the data and the URL,
//! a restored backup forgets what came after it, and the helpers read what they claim to.

use std::time::{Duration, Instant};

use duban_tests::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How fast a cut line must fail a request.
const FAIL_FAST: Duration = Duration::from_secs(2);

/// A client of its own (its own connection pool), as a phone would have.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client")
}

/// `GET base+path` with a token: the status and the JSON body.
async fn get_at(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let res = http
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?;
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

/// Asserts that a request through a cut line fails, by itself (not by timing out), within
/// [`FAIL_FAST`].
async fn fails_fast(http: &reqwest::Client, base: &str, token: &str, what: &str) {
    let started = Instant::now();
    let answer = tokio::time::timeout(FAIL_FAST, get_at(http, base, token, "/api/v1/auth/me"))
        .await
        .unwrap_or_else(|_| panic!("{what}: no failure within {FAIL_FAST:?}"));
    match answer {
        Ok((status, _)) => panic!("{what}: answered {status} through a cut line"),
        Err(e) => assert!(!e.is_timeout(), "{what}: {e}"),
    }
    assert!(
        started.elapsed() < FAIL_FAST,
        "{what}: {:?}",
        started.elapsed()
    );
}

/// Sends `GET /healthz` on a raw connection and reads the start of the answer.
async fn raw_healthz(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write a request");
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(FAIL_FAST, stream.read(&mut buf))
        .await
        .expect("an answer")
        .expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Whether a raw connection is closed: reading ends (EOF or an error) within [`FAIL_FAST`].
async fn closed(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(FAIL_FAST, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // The rest of an earlier answer.
            Ok(Ok(_)) => continue,
        }
    }
}

both!(
    the_fixture_accounts_sign_in_through_the_proxy,
    |s: TestServer| async move {
        let http = client();
        let url = s.url();
        assert_ne!(url, s.server_url(), "clients go through the proxy");
        for (username, name, unit, role, position) in ACCOUNTS {
            let token = login_at(&http, &url, username).await;
            let (status, me) = get_at(&http, &url, &token, "/api/v1/auth/me")
                .await
                .expect("through the proxy");
            assert_eq!(status, StatusCode::OK, "{username}: {me}");
            assert_eq!(me["id"], json!(s.user(username)), "{username}");
            assert_eq!(me["username"], *username);
            assert_eq!(me["name"], *name);
            assert_eq!(me["position"], *position);
            assert_eq!(me["unit"], json!(s.unit(unit)), "{username}");
            assert_eq!(me["roles"], json!([role]), "{username}");
        }
        assert_eq!(
            s.scalar("SELECT COUNT(*) FROM users", vec![]).await,
            ACCOUNTS.len() as i64
        );

        let admin = s.login("admin").await;
        let (status, units) = s.get(&admin, "/api/v1/admin/units").await;
        assert_eq!(status, StatusCode::OK);
        let units = units.as_array().expect("units");
        assert_eq!(units.len(), UNITS.len());
        for (key, parent, name, _) in UNITS {
            let unit = units
                .iter()
                .find(|u| u["id"] == json!(s.unit(key)))
                .unwrap_or_else(|| panic!("unit {key}"));
            assert_eq!(unit["name"], *name);
            assert_eq!(unit["parent"], json!(parent.map(|p| s.unit(p))), "{key}");
        }

        // A wrong password is refused through the proxy as well.
        let res = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({"username": "worker", "password": "wrong-password"}))
            .send()
            .await
            .expect("through the proxy");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
);

both!(
    a_cut_line_fails_fast_and_a_restored_one_carries_again,
    |s: TestServer| async move {
        let url = s.url();
        let http = client();
        let token = login_at(&http, &url, "worker").await;
        let (status, _) = get_at(&http, &url, &token, "/api/v1/auth/me")
            .await
            .expect("before the cut");
        assert_eq!(status, StatusCode::OK);
        let mut held = TcpStream::connect(s.proxy().addr()).await.expect("connect");
        assert!(raw_healthz(&mut held).await.starts_with("HTTP/1.1 200"));
        assert!(
            s.proxy().open_connections() >= 2,
            "the pooled and the raw one"
        );

        s.cut();
        assert!(s.proxy().is_cut());
        assert_eq!(
            s.proxy().open_connections(),
            0,
            "closed before cut() returned"
        );
        assert!(
            closed(&mut held).await,
            "an open connection is closed at once"
        );
        fails_fast(&http, &url, &token, "a client with a pooled connection").await;
        fails_fast(&client(), &url, &token, "a new client").await;
        // A new connection is accepted and reset at once (the reset may even beat the end
        // of the handshake on this side).
        if let Ok(mut late) = TcpStream::connect(s.proxy().addr()).await {
            let _ = late
                .write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n")
                .await;
            assert!(closed(&mut late).await, "a new connection is dropped");
        }
        // Only the line is cut: the server itself still answers.
        let direct = s.login("worker").await;
        assert_eq!(s.get(&direct, "/api/v1/auth/me").await.0, StatusCode::OK);

        s.restore();
        assert!(!s.proxy().is_cut());
        for (who, http) in [("the same client", &http), ("a new client", &client())] {
            let (status, me) = get_at(http, &url, &token, "/api/v1/auth/me")
                .await
                .unwrap_or_else(|e| panic!("{who} after restore: {e}"));
            assert_eq!(status, StatusCode::OK, "{who}");
            assert_eq!(me["username"], "worker");
        }
    }
);

both!(
    a_restart_keeps_the_data_and_the_url,
    |mut s: TestServer| async move {
        let url = s.url();
        let http = client();
        let admin = login_at(&http, &url, "admin").await;
        let (status, unit) = s
            .send(
                &admin,
                Method::POST,
                "/api/v1/admin/units",
                json!({"parent": s.unit("root"), "name": "重启前的单位"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{unit}");
        let head = s.head().await;

        s.restart().await;
        assert_eq!(s.url(), url);
        let (status, units) = get_at(&http, &url, &admin, "/api/v1/admin/units")
            .await
            .expect("through the proxy after the restart");
        assert_eq!(status, StatusCode::OK, "the session survives a restart");
        assert!(units.as_array().expect("units").contains(&unit));
        assert_eq!(s.head().await, head);
    }
);

/// SQLite only: backups are copies of the database file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_backup_forgets_what_came_after_it_behind_the_same_url() {
    bounded(async {
        let mut s = TestServer::start(Backend::Sqlite).await;
        let url = s.url();
        let http = client();
        let before = login_at(&http, &url, "admin").await;
        let head_before = s.head().await;
        let backup = s.backup().await;
        assert!(backup.is_file());

        // After the backup: a new session and a new unit.
        let after = login_at(&http, &url, "admin").await;
        let res = http
            .post(format!("{url}/api/v1/admin/units"))
            .bearer_auth(&after)
            .json(&json!({"parent": s.unit("root"), "name": "备份后新建的单位"}))
            .send()
            .await
            .expect("through the proxy");
        assert_eq!(res.status(), StatusCode::CREATED);
        let unit: Value = res.json().await.expect("the unit");
        let (_, units) = get_at(&http, &url, &after, "/api/v1/admin/units")
            .await
            .expect("units");
        assert_eq!(units.as_array().expect("units").len(), UNITS.len() + 1);
        let head_after = s.head().await;
        assert!(head_after > head_before);

        s.restart_from(&backup).await;
        assert_eq!(s.url(), url, "clients keep their URL");

        let token = login_at(&http, &url, "admin").await;
        let (status, units) = get_at(&http, &url, &token, "/api/v1/admin/units")
            .await
            .expect("through the proxy after the restore");
        assert_eq!(status, StatusCode::OK);
        let units = units.as_array().expect("units");
        assert_eq!(units.len(), UNITS.len());
        assert!(
            !units.iter().any(|u| u["id"] == unit["id"]),
            "the unit is gone"
        );
        // A session from before the backup holds; one from after it is gone.
        let me = |token: String| {
            let (http, url) = (&http, &url);
            async move {
                get_at(http, url, &token, "/api/v1/auth/me")
                    .await
                    .expect("me")
                    .0
            }
        };
        assert_eq!(me(before.clone()).await, StatusCode::OK);
        assert_eq!(me(after).await, StatusCode::UNAUTHORIZED);
        // The feed is back where it was: a position given after the backup is refused.
        assert_eq!(s.head().await, head_before);
        let (status, body) = get_at(
            &http,
            &url,
            &before,
            &format!("/api/v1/sync/pull?after={head_after}"),
        )
        .await
        .expect("pull");
        assert_eq!(status, StatusCode::GONE, "{body}");
        assert_eq!(body["code"], "sync.cursor_gone");

        // The same backup restores twice.
        s.restart_from(&backup).await;
        assert_eq!(me(before).await, StatusCode::OK);
    })
    .await;
}

both!(
    the_helpers_read_the_trail_and_move_people,
    |s: TestServer| async move {
        let sup = s.login("supervisor").await;
        let task = TaskId(uuid::Uuid::new_v4());
        let command =
            |command: Value| json!({"id": uuid::Uuid::new_v4(), "task": task, "command": command});
        let register = command(json!({
            "command": "register",
            "category": "meeting_decision",
            "number": {"prefix": "议", "year": 2026, "seq": 1},
            "title": "老旧小区改造",
            "content": "会议议定事项,请抓好落实。",
            "source": "meeting",
            "urgency": "normal",
            "visibility": "internal",
            "deadline": null,
            "attributes": {},
            "attachments": [],
            "milestones": [],
            "instructing_leader": null,
            "approval_chain": [],
            "recurrence": null,
            "parent": null,
            "batch": null
        }));
        let dispatch = command(json!({
            "command": "dispatch",
            "lead": {"unit": s.unit("a"), "user": s.user("worker")},
            "participants": [],
            "responsible_leader": null,
            "deputy_leader": null,
            "reviewer": null,
            "report_approver": null,
            "deadline": null,
            "report_every": null
        }));
        let (status, body) = s
            .send(
                &sup,
                Method::POST,
                "/api/v1/sync/push",
                json!({"commands": [register, dispatch]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for outcome in body["results"].as_array().expect("results") {
            assert_eq!(outcome["status"], "accepted", "{outcome}");
        }

        let trail = s.server_trail(task).await;
        let seqs: Vec<u64> = trail.iter().map(|(seq, _, _)| *seq).collect();
        assert_eq!(seqs, [1, 2]);
        let kinds: Vec<&Value> = trail.iter().map(|(_, _, e)| &e["kind"]["event"]).collect();
        assert_eq!(kinds, [&json!("registered"), &json!("dispatched")]);
        assert!(trail.iter().all(|(_, hash, _)| !hash.is_empty()));
        assert_ne!(trail[0].1, trail[1].1);
        assert!(s
            .server_trail(TaskId(uuid::Uuid::new_v4()))
            .await
            .is_empty());
        let events = s
            .scalar(
                "SELECT COUNT(*) FROM changes WHERE task = $1 AND kind = 'event'",
                vec![Val::from(task.to_string())],
            )
            .await;
        assert_eq!(events, 2);

        s.move_user("worker2", "b").await;
        let moved = s.login("worker2").await;
        let (status, me) = s.get(&moved, "/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["unit"], json!(s.unit("b")));
        assert_eq!(me["roles"], json!(["staff"]), "nothing else changed");
    }
);
