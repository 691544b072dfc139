//! What the server benchmarks share: a fresh database (SQLite in a directory, or a new
//! database on the PostgreSQL server `DUBAN_BENCH_PG` names: `scripts/bench-pg BENCH`), and
//! a local HTTP server.

#![allow(dead_code)]

use duban_server::db::Db;

/// A fresh database with a pool of `sqlite` or `pg` connections, and the backend's name.
pub async fn open_db(
    dir: &std::path::Path,
    prefix: &str,
    sqlite: u32,
    pg: u32,
) -> (Db, &'static str) {
    match std::env::var("DUBAN_BENCH_PG") {
        Ok(admin) => {
            let url = duban_server::db::postgres::create_database(&admin, prefix)
                .await
                .expect("create a database on DUBAN_BENCH_PG");
            let db = Db::open(Some(&url), dir, pg).await.expect("open pg");
            (db, "PostgreSQL")
        }
        Err(_) => (
            Db::open(None, dir, sqlite).await.expect("open sqlite"),
            "SQLite",
        ),
    }
}

/// Serves `router` on 127.0.0.1 (a port the system picks); returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// Signs `user` in with the demo password; the bearer token.
pub async fn login(http: &reqwest::Client, base: &str, user: &str) -> String {
    let r: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": duban_server::demo::DEMO_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login answer");
    r["token"].as_str().expect("token").to_owned()
}

/// Pushes `commands` in batches of `batch`; every one must be accepted.
pub async fn push_all(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    commands: &[serde_json::Value],
    batch: usize,
) {
    for chunk in commands.chunks(batch) {
        let r: serde_json::Value = http
            .post(format!("{base}/api/v1/sync/push"))
            .bearer_auth(token)
            .json(&serde_json::json!({ "commands": chunk }))
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

/// A field of `/proc/self/status` in kB (`VmRSS`, `VmHWM`).
pub fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("status field")
}

/// Resets the peak resident set (`VmHWM`) to the current resident set (write `5` to
/// `/proc/self/clear_refs`, Linux ≥ 4.0, proc(5)).
pub fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs");
}

/// kB as MB.
pub fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The demo organisation and scenario on a fresh database, served on 127.0.0.1.
pub struct Demo {
    /// The data directory (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The server's state.
    pub state: duban_server::AppState,
    /// Its base URL.
    pub base: String,
    /// The backend's name.
    pub backend: &'static str,
    /// The demo's handling units, each with its head: (unit, head, head's username).
    pub heads: Vec<(String, String, String)>,
}

/// Seeds the demo on a fresh database (`prefix` names it on PostgreSQL) and serves it.
pub async fn demo(prefix: &str) -> Demo {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, backend) = open_db(dir.path(), prefix, 8, 8).await;
    let state = duban_server::AppState::with_db(db, duban_server::config::Config::default())
        .await
        .expect("state");
    duban_server::seed::seed_demo(&state).await.expect("demo");
    let base = serve(duban_server::app(state.clone())).await;
    let heads = duban_server::demo::organisation()
        .people
        .iter()
        .filter(|p| p.username.starts_with("head-"))
        .filter_map(|p| {
            p.unit
                .map(|u| (u.to_string(), p.id.to_string(), p.username.clone()))
        })
        .collect();
    Demo {
        dir,
        state,
        base,
        backend,
        heads,
    }
}

impl Demo {
    /// Registers and dispatches `items` items through the sync API as `office`, titled by
    /// `title`, spread over the demo's handling units (due in 1–60 days, a seventh urgent, a
    /// fifth public); a tenth name the unit's head as handler, who receives them and reports
    /// on them. Returns how many were received and reported on.
    pub async fn load(
        &self,
        http: &reqwest::Client,
        office: &str,
        items: usize,
        batch: usize,
        title: impl Fn(usize) -> String,
    ) -> usize {
        use serde_json::json;
        let id = || uuid::Uuid::new_v4().to_string();
        let heads = &self.heads;
        let mut commands = Vec::with_capacity(items * 2);
        let mut received: Vec<(usize, String)> = Vec::new();
        for i in 0..items {
            let task = id();
            let (unit, head, _) = &heads[i % heads.len()];
            let deadline = chrono::Utc::now() + chrono::Duration::days(1 + (i % 60) as i64);
            commands.push(json!({"id": id(), "task": task, "command": {
                "command": "register", "category": "meeting_decision",
                "number": {"prefix": "议", "year": 2026, "seq": 1},
                "title": title(i),
                "content": "请抓好落实。",
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
        push_all(http, &self.base, office, &commands, batch).await;
        drop(commands);
        for (h, (_, _, username)) in heads.iter().enumerate() {
            let token = login(http, &self.base, username).await;
            let mine: Vec<serde_json::Value> = received
                .iter()
                .filter(|(k, _)| *k == h)
                .flat_map(|(_, task)| {
                    [
                        json!({"id": id(), "task": task, "command": {"command": "receive"}}),
                        json!({"id": id(), "task": task, "command": {"command": "report_progress",
                            "report": {"id": id(), "text": "已部署落实，正在推进。", "evidence": []},
                            "percent": 40, "milestone": null, "answers": null}}),
                    ]
                })
                .collect();
            push_all(http, &self.base, &token, &mine, batch).await;
        }
        received.len()
    }
}
