//! The leader's overview over 10,000 items: the server's time to build and render the page.
//!
//! A fresh database gets the demo organisation and scenario (`seed_demo`), then 10,000 more
//! items registered and dispatched through the sync API by the office, spread over the
//! demo's handling units with deadlines from 1 to 60 days ahead (so the lights differ), and a
//! tenth of them received and reported on. Then, for the main leader (who reads every item):
//!
//! - **server time**: `web::overview_html` — one read of the items the person may read,
//!   the figures, the overdue and escalated lists, this month's ranking, the template —
//!   called in-process, median of 21 after 3 warm-up calls;
//! - **over HTTP**: `GET /overview` with the session cookie on loopback, the same count.
//!
//! On SQLite (a temporary directory), or on PostgreSQL when `DUBAN_BENCH_PG` names a server
//! (`scripts/bench-pg overview`). Run: `cargo bench -p duban-server --bench overview`.

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{open_db, serve};
use duban_server::auth::Session;
use duban_server::config::Config;
use duban_server::{app, seed, web, AppState};
use serde_json::{json, Value};

const ITEMS: usize = 10_000;
const BATCH: usize = 500;
const RUNS: usize = 21;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let r: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": duban_server::demo::DEMO_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login answer");
    r["token"].as_str().expect("token").to_owned()
}

async fn push(http: &reqwest::Client, base: &str, token: &str, commands: &[Value]) {
    for chunk in commands.chunks(BATCH) {
        let r: Value = http
            .post(format!("{base}/api/v1/sync/push"))
            .bearer_auth(token)
            .json(&json!({ "commands": chunk }))
            .send()
            .await
            .expect("push")
            .json()
            .await
            .expect("push answer");
        let refused = r["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|o| o["status"] != "accepted")
            .count();
        assert_eq!(refused, 0, "refused commands: {r}");
    }
}

async fn stats_total(http: &reqwest::Client, base: &str, token: &str) -> u64 {
    let r: Value = http
        .get(format!("{base}/api/v1/stats"))
        .bearer_auth(token)
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats answer");
    r["total"].as_u64().expect("total")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, backend) = open_db(dir.path(), "duban_bench_overview", 8, 8).await;
    let state = AppState::with_db(db, Config::default())
        .await
        .expect("state");
    seed::seed_demo(&state).await.expect("demo");
    let base = serve(app(state.clone())).await;
    let http = reqwest::Client::new();

    // Handling units of the demo: those with a head (the leaves of the tree the office
    // dispatches to), each with its head as the named handler for a tenth of the items.
    let demo = duban_server::demo::organisation();
    let heads: Vec<(String, String, String)> = demo
        .people
        .iter()
        .filter(|p| p.username.starts_with("head-"))
        .filter_map(|p| {
            p.unit
                .map(|u| (u.to_string(), p.id.to_string(), p.username.clone()))
        })
        .collect();
    let office = login(&http, &base, "supervisor").await;
    let token = login(&http, &base, "leader").await;
    let demo_items = stats_total(&http, &base, &token).await;
    let t = Instant::now();
    let mut commands = Vec::with_capacity(ITEMS * 2);
    let mut received: Vec<(usize, String)> = Vec::new();
    for i in 0..ITEMS {
        let task = id();
        let (unit, head, _) = &heads[i % heads.len()];
        let deadline = Utc::now() + chrono::Duration::days(1 + (i % 60) as i64);
        commands.push(json!({"id": id(), "task": task, "command": {
            "command": "register", "category": "meeting_decision",
            "number": {"prefix": "议", "year": 2026, "seq": 1},
            "title": format!("县政府常务会议议定事项第{i}项"), "content": "请抓好落实。",
            "source": "meeting", "urgency": if i % 7 == 0 { "urgent" } else { "normal" },
            "visibility": if i % 5 == 0 { "public" } else { "internal" },
            "deadline": null, "attributes": {}, "attachments": [], "milestones": [],
            "instructing_leader": null, "approval_chain": [], "recurrence": null,
            "parent": null, "batch": null}}));
        let named = i % 10 == 0;
        commands.push(json!({"id": id(), "task": task, "command": {
            "command": "dispatch", "lead": {"unit": unit, "user": if named { Some(head) } else { None }},
            "participants": [], "responsible_leader": null, "deputy_leader": null,
            "reviewer": null, "report_approver": null,
            "deadline": deadline.to_rfc3339(), "report_every": null}}));
        if named {
            received.push((i % heads.len(), task));
        }
    }
    push(&http, &base, &office, &commands).await;
    // A tenth received and reported on by their heads.
    for (h, (_, _, username)) in heads.iter().enumerate() {
        let token = login(&http, &base, username).await;
        let mine: Vec<Value> = received
            .iter()
            .filter(|(k, _)| *k == h)
            .flat_map(|(_, task)| {
                [
                    json!({"id": id(), "task": task, "command": {"command": "receive"}}),
                    json!({"id": id(), "task": task, "command": {"command": "report_progress",
                        "report": {"id": id(), "text": "已部署落实。", "evidence": []},
                        "percent": 40, "milestone": null, "answers": null}}),
                ]
            })
            .collect();
        push(&http, &base, &token, &mine).await;
    }
    println!(
        "{backend}: demo + {ITEMS} items dispatched ({} received and reported) in {:.1} s",
        received.len(),
        t.elapsed().as_secs_f64()
    );

    assert_eq!(
        stats_total(&http, &base, &token).await,
        demo_items + ITEMS as u64,
        "the leader reads every item"
    );
    let session = Session::of_token(&state, &token).await.expect("session");
    let mut html = String::new();
    for _ in 0..3 {
        html = web::overview_html(&state, &session, Utc::now())
            .await
            .expect("overview");
    }
    assert!(html.contains(&format!("id=\"total\">{}<", demo_items + ITEMS as u64)));
    let mut server = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let page = web::overview_html(&state, &session, Utc::now())
            .await
            .expect("overview");
        server.push(t.elapsed());
        assert_eq!(
            page.len() / 1000,
            html.len() / 1000,
            "the page changed size"
        );
    }
    let cookie = format!("{}={token}", web::COOKIE);
    let mut over_http = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/overview"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("GET /overview");
        assert_eq!(r.status(), 200);
        let body = r.text().await.expect("body");
        over_http.push(t.elapsed());
        assert!(body.contains("id=\"total\">"));
    }
    let total = html
        .split("id=\"total\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("?");
    println!(
        "{backend}: leader's overview over {total} items — server time (overview_html) median {:.1} ms (min {:.1}, max {:.1}); GET /overview over loopback median {:.1} ms; page {} KB",
        median(server.clone()).as_secs_f64() * 1e3,
        server.iter().min().unwrap().as_secs_f64() * 1e3,
        server.iter().max().unwrap().as_secs_f64() * 1e3,
        median(over_http).as_secs_f64() * 1e3,
        html.len() / 1024
    );
}
