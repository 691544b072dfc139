//! The demo: seeded through the ordinary rules on both backends, and the README's first
//! command (`duban serve --demo`) run as a process, signed in with a printed account.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use duban_server::seed::{seed_demo, Seeded};
use serde_json::json;

use crate::support::*;

both!(
    the_demo_has_items_in_every_state_and_one_account_per_role,
    |s: Server| async move {
        let seeded = seed_demo(&s.state).await.expect("seed");
        assert!(matches!(seeded, Seeded::Fresh(n) if n > 100), "{seeded:?}");
        assert_eq!(
            seed_demo(&s.state).await.expect("again"),
            Seeded::AlreadyThere
        );
        let statuses: Vec<String> = s
            .state
            .db
            .rows("SELECT DISTINCT status FROM tasks ORDER BY status", vec![])
            .await
            .unwrap()
            .iter()
            .map(|r| r.text(0).unwrap())
            .collect();
        for status in [
            "archived",
            "awaiting_approval",
            "closed",
            "completed",
            "declined",
            "dispatched",
            "draft",
            "in_progress",
            "revoked",
            "suspended",
            "under_review",
        ] {
            assert!(
                statuses.iter().any(|x| x == status),
                "{status} in {statuses:?}"
            );
        }
        let units = s.scalar("SELECT COUNT(*) FROM units", vec![]).await;
        assert!(units >= 10, "{units}");
        // Every demo account signs in with the demo password; the trails verify.
        for (user, _, _) in duban_server::demo::accounts() {
            let r = s
                .call(
                    reqwest::Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(json!({"username": user, "password": duban_server::demo::DEMO_PASSWORD})),
                )
                .await;
            assert_eq!(r.status, 200, "{user}: {}", r.body);
        }
        let sup = s
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "supervisor", "password": "duban-demo"})),
            )
            .await
            .expect(200)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let snap = s.get(&sup, "/api/v1/sync/snapshot").await.expect(200);
        let tasks = snap["tasks"].as_array().unwrap();
        assert!(tasks.len() >= 25, "{}", tasks.len());
        for t in tasks {
            let trail: Vec<duban_core::domain::trail::TrailEntry> = {
                let mut prev = duban_core::domain::trail::Hash::GENESIS;
                t["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let hash =
                            duban_core::domain::trail::Hash::from_hex(e["hash"].as_str().unwrap())
                                .unwrap();
                        let entry = duban_core::domain::trail::TrailEntry {
                            task: serde_json::from_value(t["task"].clone()).unwrap(),
                            seq: e["task_seq"].as_u64().unwrap(),
                            prev,
                            hash,
                            event: serde_json::from_value(e["event"].clone()).unwrap(),
                        };
                        prev = hash;
                        entry
                    })
                    .collect()
            };
            duban_core::domain::trail::verify(trail[0].task, &trail).expect("the trail verifies");
        }
    }
);

/// The README's first command, as a newcomer runs it (the binary, a fresh data directory).
#[test]
fn the_first_command_brings_the_server_up_with_demo_data() {
    let dir = std::env::temp_dir().join(format!("duban-first-run-{}", uuid::Uuid::new_v4()));
    // Port 0: the system picks a free port, which the server logs (JSON logs, to parse).
    let mut child = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .arg("--data-dir")
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start duban");
    let rx = logged_address(&mut child);
    let addr = rx
        .recv_timeout(Duration::from_secs(240))
        .expect("the server logs the address it listens on");
    let stdout = child.stdout.take().unwrap();
    let printed = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.contains("curl"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A failure below must not leave the server running: catch it, stop the server, re-raise.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let http = reqwest::Client::new();
            let base = format!("http://{addr}");
            // Generous: the whole suite runs alongside on two cores, and the binary is a debug build.
            wait_ready(&http, &base, Duration::from_secs(240)).await;
            let r = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": "supervisor", "password": "duban-demo"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let token = r.json::<serde_json::Value>().await.unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned();
            let snap: serde_json::Value = http
                .get(format!("{base}/api/v1/sync/snapshot"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            snap["tasks"].as_array().unwrap().len()
        })
    }));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    let outcome = outcome.unwrap_or_else(|e| std::panic::resume_unwind(e));
    let printed = printed.join().unwrap();
    assert!(outcome >= 25, "{outcome} items");
    assert!(
        printed.contains("supervisor") && printed.contains("duban-demo"),
        "{printed}"
    );
    assert!(
        status.success(),
        "graceful shutdown on SIGTERM exits 0: {status:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
