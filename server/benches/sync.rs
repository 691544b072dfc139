//! Sync throughput over loopback, against the machine's ceiling.
//!
//! Starts the real server in-process on 127.0.0.1 (SQLite in a temporary directory, or
//! PostgreSQL when `DUBAN_BENCH_PG` names a server: a fresh database is made there), and a
//! bare axum endpoint that parses nothing and does no work, and measures:
//! - push: commands per second, from `CLIENTS` concurrent clients each pushing batches of
//!   `BATCH` commands (register, dispatch, receive, progress report, comment: the mix of a
//!   working day);
//! - pull: events per second for one person pulling 10,000 events in pages of 10,000;
//! - the bare endpoint: requests per second with the same bodies and concurrency, so each
//!   figure can be read as a share of what HTTP on this machine allows;
//! - the raw loop (SQLite): the database's ceiling for the same writes. The push rounds'
//!   row writes are counted by SQLite itself (`total_changes()` summed over the pool's
//!   connections), and a plain rusqlite loop on a file with the same settings (WAL,
//!   `synchronous=NORMAL`) inserts as many rows per command with a prepared statement, in
//!   one transaction per batch of `BATCH` commands (the shape of a push's transaction) and
//!   in one transaction per command: no HTTP, no JSON, no rules;
//! - memory: the process's resident set before the push rounds and its peak during them
//!   (`VmHWM`, reset first; server and clients are one process).
//!
//! Run: `cargo bench -p duban-server --bench sync` (SQLite) and
//! `scripts/bench-pg` (PostgreSQL in a throwaway cluster).

mod common;

use std::time::Instant;

use axum::routing::{get, post};
use common::{mb, open_db, reset_peak, serve, status_kb};
use duban_core::domain::{Role, UnitId, UserId};
use duban_server::config::Config;
use duban_server::db::Db;
use duban_server::org::{write_person, write_unit, PersonInput, UnitInput};
use duban_server::{app, AppState};
use serde_json::{json, Value};

const CLIENTS: usize = 4;
const BATCH: usize = 50;
const ITEMS_PER_CLIENT: usize = 200;
const PULL_EVENTS: usize = 10_000;
const PULL_LIMIT: usize = 20_000;
const ROUNDS: usize = 3;

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn item_commands(unit: UnitId, staff: UserId, n: usize) -> (Vec<Value>, Vec<Value>) {
    // Supervisor: register + dispatch; handler: receive, report, comment.
    let mut office = Vec::new();
    let mut handler = Vec::new();
    for i in 0..n {
        let t = id();
        office.push(json!({"id": id(), "task": t, "command": {
            "command": "register", "category": "meeting_decision",
            "number": {"prefix": "议", "year": 2026, "seq": 1},
            "title": format!("县政府常务会议议定事项第{i}项"), "content": "请抓好落实,按期报送进展。",
            "source": "meeting", "urgency": "normal", "visibility": "internal", "deadline": null,
            "attributes": {}, "attachments": [], "milestones": [], "instructing_leader": null,
            "approval_chain": [], "recurrence": null, "parent": null, "batch": null}}));
        office.push(json!({"id": id(), "task": t, "command": {
            "command": "dispatch", "lead": {"unit": unit, "user": staff}, "participants": [],
            "responsible_leader": null, "deputy_leader": null, "reviewer": null,
            "report_approver": null, "deadline": null, "report_every": null}}));
        handler.push(json!({"id": id(), "task": t, "command": {"command": "receive"}}));
        handler.push(
            json!({"id": id(), "task": t, "command": {"command": "report_progress",
            "report": {"id": id(), "text": "已完成现场勘查,正在编制方案。", "evidence": []},
            "percent": 30, "milestone": null, "answers": null}}),
        );
        handler.push(
            json!({"id": id(), "task": t, "command": {"command": "comment",
            "id": id(), "text": "请财政局配合做好资金保障。", "reply_to": null}}),
        );
    }
    (office, handler)
}

async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let r: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": "bench-password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().expect("token").to_owned()
}

async fn push_all(http: &reqwest::Client, url: &str, token: &str, commands: &[Value]) -> usize {
    let mut accepted = 0;
    for chunk in commands.chunks(BATCH) {
        let r: Value = http
            .post(url)
            .bearer_auth(token)
            .json(&json!({"commands": chunk}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null);
        accepted += r["results"]
            .as_array()
            .map(|a| a.iter().filter(|o| o["status"] == "accepted").count())
            .unwrap_or(chunk.len());
    }
    accepted
}

/// The rows SQLite has inserted, updated or deleted through the pool's connections since
/// they opened (`total_changes()`, summed); `None` on PostgreSQL.
async fn rows_written(db: &Db) -> Option<i64> {
    let Db::Sqlite(pool, _) = db else {
        return None;
    };
    let mut held = Vec::new();
    let mut total = 0;
    for _ in 0..pool.size() {
        let mut c = pool.acquire().await.unwrap();
        total += sqlx::query_scalar::<_, i64>("SELECT total_changes()")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        held.push(c);
    }
    Some(total)
}

/// The ceiling: `commands` commands of `rows` row writes in all, in transactions of
/// `per_tx` commands, from a plain loop on a fresh file; commands per second.
fn raw_loop(dir: &std::path::Path, commands: usize, rows: usize, per_tx: usize) -> f64 {
    let path = dir.join(format!("raw-{}.sqlite3", uuid::Uuid::new_v4()));
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.execute_batch(
        "CREATE TABLE raw (id INTEGER PRIMARY KEY, task TEXT NOT NULL, kind TEXT NOT NULL, \
         body TEXT NOT NULL, at INTEGER NOT NULL); CREATE INDEX raw_task ON raw (task);",
    )
    .unwrap();
    // About an event's size in the feed.
    let body = format!(
        "{{\"kind\":\"progress_reported\",\"at\":\"2026-12-08T00:00:00Z\",\"text\":\"{}\"}}",
        "已完成现场勘查,正在编制方案。".repeat(6)
    );
    let started = Instant::now();
    let mut written = 0;
    for (b, batch) in (0..commands).collect::<Vec<_>>().chunks(per_tx).enumerate() {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO raw (task, kind, body, at) VALUES (?1, ?2, ?3, ?4)")
                .unwrap();
            for c in batch {
                let task = id();
                // Spread `rows` evenly over the commands.
                let upto = rows * (c + 1) / commands;
                while written < upto {
                    insert
                        .execute(rusqlite::params![task, "event", body, b as i64])
                        .unwrap();
                    written += 1;
                }
            }
        }
        tx.commit().unwrap();
    }
    let rate = commands as f64 / started.elapsed().as_secs_f64();
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    rate
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::env::temp_dir().join(format!("duban-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (db, backend) = open_db(&dir, "duban_bench", 8, 16).await;
    let state = AppState::with_db(db, Config::default()).await.unwrap();

    // The organisation: one office, CLIENTS units each with a handler.
    let at = chrono::Utc::now().timestamp_millis();
    let root = UnitId::from_u128(1);
    let hash = duban_server::auth::hash_password("bench-password").unwrap();
    let mut units = vec![(root, None)];
    for c in 0..CLIENTS {
        units.push((UnitId::from_u128(100 + c as u128), Some(root)));
    }
    for (u, parent) in &units {
        let org = state.org.latest(&state.db).await.unwrap();
        let mut tx = state.db.write().await.unwrap();
        let input = UnitInput {
            id: Some(*u),
            parent: *parent,
            name: format!("单位{u}"),
            name_en: String::new(),
            sort: 0,
            short_name: String::new(),
            aliases: Vec::new(),
            retired: false,
            peer_group: String::new(),
        };
        write_unit(&mut tx, &org, &input, *u, at).await.unwrap();
        tx.commit().await.unwrap();
    }
    let org = state.org.latest(&state.db).await.unwrap();
    let mut tx = state.db.write().await.unwrap();
    let mut people = vec![(
        UserId::from_u128(1),
        "supervisor".to_owned(),
        root,
        Role::Supervisor,
    )];
    for c in 0..CLIENTS {
        people.push((
            UserId::from_u128(100 + c as u128),
            format!("staff{c}"),
            UnitId::from_u128(100 + c as u128),
            Role::Staff,
        ));
    }
    for (uid, name, unit, role) in &people {
        let input = PersonInput {
            id: Some(*uid),
            username: name.clone(),
            name: name.clone(),
            unit: Some(*unit),
            position: String::new(),
            roles: vec![*role],
            in_charge: vec![],
            phone: None,
            password: None,
            active: true,
        };
        write_person(&mut tx, &org, &input, *uid, Some(hash.clone()), at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let base = serve(app(state.clone())).await;
    let bare = serve(
        axum::Router::new()
            .route(
                "/push",
                post(
                    |body: axum::body::Bytes| async move { format!("{{\"len\":{}}}", body.len()) },
                ),
            )
            .route("/pull", get(|| async { "{}" })),
    )
    .await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let sup = login(&http, &base, "supervisor").await;
    let mut staff = Vec::new();
    for c in 0..CLIENTS {
        staff.push(login(&http, &base, &format!("staff{c}")).await);
    }

    // Push: each client is one office desk and one handler; rounds of fresh items.
    let written_before = rows_written(&state.db).await;
    let rss_before = status_kb("VmRSS");
    reset_peak();
    let mut pushed = 0;
    let mut push_rates = Vec::new();
    let mut bare_push_rates = Vec::new();
    for _ in 0..ROUNDS {
        let work: Vec<_> = (0..CLIENTS)
            .map(|c| {
                item_commands(
                    UnitId::from_u128(100 + c as u128),
                    UserId::from_u128(100 + c as u128),
                    ITEMS_PER_CLIENT,
                )
            })
            .collect();
        let total: usize = work.iter().map(|(o, h)| o.len() + h.len()).sum();
        let url = format!("{base}/api/v1/sync/push");
        let started = Instant::now();
        let tasks: Vec<_> = work
            .iter()
            .enumerate()
            .map(|(c, (office, handler))| {
                let (http, url, sup, me) =
                    (http.clone(), url.clone(), sup.clone(), staff[c].clone());
                let (office, handler) = (office.clone(), handler.clone());
                tokio::spawn(async move {
                    push_all(&http, &url, &sup, &office).await
                        + push_all(&http, &url, &me, &handler).await
                })
            })
            .collect();
        let mut accepted = 0;
        for t in tasks {
            accepted += t.await.unwrap();
        }
        let took = started.elapsed();
        assert_eq!(accepted, total, "every command accepted");
        push_rates.push(total as f64 / took.as_secs_f64());
        pushed += total;

        // The same bodies to the bare endpoint.
        let url = format!("{bare}/push");
        let started = Instant::now();
        let tasks: Vec<_> = work
            .iter()
            .map(|(office, handler)| {
                let (http, url) = (http.clone(), url.clone());
                let all: Vec<Value> = office.iter().chain(handler.iter()).cloned().collect();
                tokio::spawn(async move { push_all(&http, &url, "x", &all).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        bare_push_rates.push(total as f64 / started.elapsed().as_secs_f64());
    }

    let rss_peak = status_kb("VmHWM");
    // The ceiling: the same row writes per command from a plain loop.
    let raw = match (written_before, rows_written(&state.db).await) {
        (Some(before), Some(after)) => {
            let per_round = (after - before) as usize / ROUNDS;
            let commands = pushed / ROUNDS;
            let rate = |per_tx| {
                let rates: Vec<f64> = (0..ROUNDS)
                    .map(|_| raw_loop(&dir, commands, per_round, per_tx))
                    .collect();
                median(rates)
            };
            Some((per_round as f64 / commands as f64, rate(BATCH), rate(1)))
        }
        _ => None,
    };

    // Pull: the supervisor sees every event; take 10,000 from the start of the feed.
    let events: i64 = state
        .db
        .row("SELECT COUNT(*) FROM changes WHERE kind = 'event'", vec![])
        .await
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap();
    assert!(events as usize >= PULL_EVENTS, "{events} events");
    let mut pull_times = Vec::new();
    let mut body = String::new();
    let mut events_in_page = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let r = http
            .get(format!(
                "{base}/api/v1/sync/pull?after=0&limit={PULL_LIMIT}"
            ))
            .bearer_auth(&sup)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let v: Value = serde_json::from_str(&r).unwrap();
        let got = v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "event")
            .count();
        pull_times.push(started.elapsed().as_secs_f64());
        assert!(got >= PULL_EVENTS, "{got}");
        events_in_page = got;
        body = r;
    }
    // The ceiling for pull: a bare endpoint answering the very same bytes, parsed the same.
    let size = body.len();
    let bare_pull_base = serve(axum::Router::new().route(
        "/pull",
        get(move || {
            let body = body.clone();
            async move { body }
        }),
    ))
    .await;
    let mut bare_pull = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let r = http
            .get(format!("{bare_pull_base}/pull"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let _: Value = serde_json::from_str(&r).unwrap();
        bare_pull.push(started.elapsed().as_secs_f64());
    }
    let push = median(push_rates);
    let bare_push = median(bare_push_rates);
    let pull = median(pull_times);
    let bare_req = median(bare_pull);
    println!("backend: {backend}");
    println!("push: {push:.0} commands/s ({CLIENTS} clients, batches of {BATCH}); bare endpoint, same bodies: {bare_push:.0} commands/s; ratio {:.2}", push / bare_push);
    if let Some((rows, batched, single)) = raw {
        println!(
            "raw loop: {rows:.1} row writes per command (counted by SQLite in the push rounds)"
        );
        println!("  a transaction per {BATCH} commands (the push's shape): {batched:.0} commands/s; push / raw {:.2}", push / batched);
        println!(
            "  a transaction per command: {single:.0} commands/s; push / raw {:.2}",
            push / single
        );
    }
    println!(
        "memory: resident {:.0} MB before the push rounds, peak {:.0} MB during them",
        mb(rss_before),
        mb(rss_peak)
    );
    println!(
        "pull: one page of {PULL_LIMIT} changes = {events_in_page} events ({size} bytes) in {pull:.3} s = {:.0} events/s (10,000 events: {:.3} s); bare endpoint, same bytes: {bare_req:.3} s; ratio {:.2}",
        events_in_page as f64 / pull,
        PULL_EVENTS as f64 * pull / events_in_page as f64,
        bare_req / pull
    );
    state.db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
