//! Notifications delivered per second to a local endpoint speaking FCM HTTP v1, with 1,000
//! devices.
//!
//! 1,000 people, each with one FCM device; 20,000 unread notifications (20 each), each with
//! a push job of its own due now (the worst case: a command's notifications share one job),
//! written straight into the tables.
//! Then the delivery worker's passes (`notify::deliver_due`: claim a batch, read the
//! notifications, devices and earlier sends, send concurrently through the real FCM
//! provider — OAuth2 token from a signed JWT, cached — and record every send and job in
//! one transaction) run until no job is due. The endpoint answers each send at once and
//! counts them. On SQLite (a temporary directory), or on PostgreSQL with
//! `scripts/bench-pg deliver`. Three rounds; the median rate is reported.
//!
//! Run: `cargo bench -p duban-server --bench deliver`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::response::IntoResponse;
use axum::routing::post;
use common::{open_db, serve};
use duban_server::config::Config;
use duban_server::db::Val;
use duban_server::notify::deliver_due;
use duban_server::push::fcm::{Fcm, ServiceAccount};
use duban_server::push::Providers;
use duban_server::AppState;
use serde_json::json;

const DEVICES: usize = 1_000;
const PER_DEVICE: usize = 20;
const ROUNDS: usize = 3;
const CHUNK: usize = 500;

const PRIVATE: &str = include_str!("../tests/integration/fixtures/fcm-test-key.pem");

/// A local FCM: the token endpoint and `messages:send`, counting sends.
async fn fake_fcm(count: Arc<AtomicUsize>) -> String {
    let router = axum::Router::new()
        .route(
            "/token",
            post(|| async { axum::Json(json!({"access_token": "ya29.bench", "expires_in": 3600, "token_type": "Bearer"})) }),
        )
        .route(
            "/v1/projects/{project}/messages:send",
            post(move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<serde_json::Value>| {
                let count = count.clone();
                async move {
                    let ok = headers
                        .get("authorization")
                        .is_some_and(|h| h == "Bearer ya29.bench")
                        && body["message"]["token"].is_string();
                    if !ok {
                        return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({}))).into_response();
                    }
                    let n = count.fetch_add(1, Ordering::Relaxed);
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(json!({"name": format!("projects/duban-bench/messages/0:{n}")})),
                    )
                        .into_response()
                }
            }),
        );
    serve(router).await
}

async fn insert_rows(db: &duban_server::db::Db, head: &str, rows: Vec<Vec<Val>>) {
    for chunk in rows.chunks(CHUNK) {
        let width = chunk[0].len();
        let mut sql = String::from(head);
        let mut args = Vec::new();
        for (r, row) in chunk.iter().enumerate() {
            if r > 0 {
                sql.push(',');
            }
            let cells: Vec<String> = (0..width)
                .map(|c| format!("${}", r * width + c + 1))
                .collect();
            sql.push_str(&format!("({})", cells.join(", ")));
            args.extend(row.iter().cloned());
        }
        db.exec(&sql, args).await.expect("insert");
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, backend) = open_db(dir.path(), "duban_bench_deliver", 8, 16).await;
    let state = AppState::with_db(db.clone(), Config::default())
        .await
        .expect("state");
    let count = Arc::new(AtomicUsize::new(0));
    let base = fake_fcm(count.clone()).await;
    let account = ServiceAccount::from_json(
        &json!({
            "type": "service_account", "project_id": "duban-bench", "private_key_id": "k1",
            "private_key": PRIVATE, "client_email": "bench@duban-bench.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": format!("{base}/token"),
        })
        .to_string(),
    )
    .expect("account");
    let providers = Providers {
        fcm: Some(Arc::new(
            Fcm::new(account, &base, reqwest::Client::new()).expect("fcm"),
        )),
        ..Providers::default()
    };
    let users: Vec<String> = (0..DEVICES)
        .map(|i| uuid::Uuid::from_u128(0xbe00_0000 + i as u128).to_string())
        .collect();
    insert_rows(
        &db,
        "INSERT INTO users (id, username, name, roles, password_hash, created_at) VALUES ",
        users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                vec![
                    Val::from(u.as_str()),
                    Val::from(format!("bench-{i}")),
                    Val::from(format!("测试{i}")),
                    Val::from("[\"staff\"]"),
                    Val::from("x"),
                    Val::from(0),
                ]
            })
            .collect(),
    )
    .await;
    insert_rows(
        &db,
        "INSERT INTO devices (user_id, device, platform, provider, token, app_version, created_at, updated_at) VALUES ",
        users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                vec![
                    Val::from(u.as_str()),
                    Val::from("phone"),
                    Val::from("android"),
                    Val::from("fcm"),
                    Val::from(format!("fcm-token-{i:04}-{}", "x".repeat(140))),
                    Val::from("1.0"),
                    Val::from(0),
                    Val::from(0),
                ]
            })
            .collect(),
    )
    .await;

    let mut rates = Vec::new();
    for round in 0..ROUNDS {
        let now = chrono::Utc::now();
        let task = uuid::Uuid::new_v4().to_string();
        let mut notes = Vec::new();
        let mut jobs = Vec::new();
        for k in 0..PER_DEVICE {
            for u in &users {
                let id = uuid::Uuid::new_v4().to_string();
                let seq = (k + 1) as i64;
                notes.push(vec![
                    Val::from(id.as_str()),
                    Val::from(u.as_str()),
                    Val::from(task.as_str()),
                    Val::from(seq),
                    Val::from("\"urged\""),
                    Val::from("催办:督〔2026〕3号 县道路面修复"),
                    Val::from("Urged: 督〔2026〕3号 县道路面修复"),
                    Val::from("normal"),
                    Val::from(now.timestamp_millis()),
                ]);
                jobs.push(vec![
                    Val::from(uuid::Uuid::new_v4().to_string()),
                    Val::from("deliver"),
                    Val::from(json!({"notifications": [id], "channel": "push"}).to_string()),
                    Val::from(format!("deliver:push:{id}")),
                    Val::from("queued"),
                    Val::from(now.timestamp_millis()),
                    Val::from(0),
                    Val::from(now.timestamp_millis()),
                    Val::from(now.timestamp_millis()),
                ]);
            }
        }
        insert_rows(
            &db,
            "INSERT INTO notifications (id, user_id, task, task_seq, kind, zh, en, urgency, created_at) VALUES ",
            notes,
        )
        .await;
        insert_rows(
            &db,
            "INSERT INTO jobs (id, kind, payload, dedupe, state, run_at, attempts, created_at, updated_at) VALUES ",
            jobs,
        )
        .await;
        let before = count.load(Ordering::Relaxed);
        let started = Instant::now();
        let mut sent = 0;
        loop {
            let r = deliver_due(&state, &providers, chrono::Utc::now())
                .await
                .expect("deliver");
            sent += r.sent;
            if r.jobs == 0 {
                break;
            }
        }
        let took = started.elapsed();
        let total = DEVICES * PER_DEVICE;
        assert_eq!(sent, total, "every notification sent");
        assert_eq!(
            count.load(Ordering::Relaxed) - before,
            total,
            "the endpoint saw each once"
        );
        let rate = total as f64 / took.as_secs_f64();
        println!(
            "{backend} round {}: {total} notifications to {DEVICES} devices in {:.2} s: {rate:.0}/s",
            round + 1,
            took.as_secs_f64()
        );
        rates.push(rate);
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{backend}: median {:.0} notifications/s (goal: at least 1,000/s)",
        rates[rates.len() / 2]
    );
}
