//! The ledger's xlsx export of 10,000 items (issue 22): time end to end over loopback, and
//! the server process's peak memory during it.
//!
//! A fresh database gets the demo organisation and scenario (`seed_demo`), then 10,000 more
//! items registered and dispatched through the sync API by the office (a tenth received and
//! reported on, so the "latest report" column is filled). Then, for the main leader (who
//! reads every item), `GET /ledger.xlsx?from=&to=` (every item) with the session cookie on
//! 127.0.0.1: the same route a browser calls, the whole body read. Timed 5 times after one
//! warm-up; the median, min and max.
//!
//! Memory: the bench and the server are one process. Before each export the kernel's peak
//! resident set (`VmHWM` of `/proc/self/status`) is reset to the current one by writing `5`
//! to `/proc/self/clear_refs` (Linux ≥ 4.0, proc(5)); after the export `VmHWM` is the peak
//! during it. Printed: the resident set before, the peak during, and their difference.
//!
//! On SQLite (a temporary directory), or on PostgreSQL when `DUBAN_BENCH_PG` names a server
//! (`scripts/bench-pg ledger_xlsx`). Run: `cargo bench -p duban-server --bench ledger_xlsx`.

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{demo, login, mb, push_all, reset_peak, status_kb, Demo};
use duban_server::web;
use serde_json::{json, Value};

const ITEMS: usize = 10_000;
const BATCH: usize = 500;
const RUNS: usize = 5;

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Demo {
        dir: _dir,
        state: _,
        base,
        backend,
        heads,
    } = demo("duban_bench_ledger_xlsx").await;
    let http = reqwest::Client::new();
    let office = login(&http, &base, "supervisor").await;
    let token = login(&http, &base, "leader").await;
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
            "title": format!("县政府常务会议议定事项第{i}项：老旧小区改造项目推进"),
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
    push_all(&http, &base, &office, &commands, BATCH).await;
    drop(commands);
    for (h, (_, _, username)) in heads.iter().enumerate() {
        let token = login(&http, &base, username).await;
        let mine: Vec<Value> = received
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
        push_all(&http, &base, &token, &mine, BATCH).await;
    }
    println!(
        "{backend}: demo + {ITEMS} items dispatched ({} received and reported) in {:.1} s",
        received.len(),
        t.elapsed().as_secs_f64()
    );

    // Every item: an empty period (no query string would mean the current year).
    let url = format!("{base}/ledger.xlsx?from=&to=");
    let cookie = format!("{}={token}", web::COOKIE);
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut peaks = Vec::with_capacity(RUNS);
    let mut size = 0;
    for run in 0..=RUNS {
        let before = status_kb("VmRSS");
        reset_peak();
        let t = Instant::now();
        let r = http
            .get(&url)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("GET /ledger.xlsx");
        assert_eq!(r.status(), 200, "GET /ledger.xlsx");
        let body = r.bytes().await.expect("body");
        let took = t.elapsed();
        let peak = status_kb("VmHWM");
        assert!(body.starts_with(b"PK"), "an xlsx (zip) file");
        size = body.len();
        drop(body);
        if run > 0 {
            times.push(took);
            peaks.push((before, peak));
        }
    }
    times.sort();
    let f = |d: Duration| d.as_secs_f64();
    let (before, peak) = *peaks
        .iter()
        .max_by_key(|(b, p)| p - b.min(p))
        .expect("runs");
    println!(
        "{backend}: GET /ledger.xlsx of {} items over loopback: median {:.2} s (min {:.2}, max {:.2}), {} KB; \
         process RSS before {:.0} MB, peak during {:.0} MB (+{:.0} MB, the largest of {RUNS} runs)",
        ITEMS,
        f(times[times.len() / 2]),
        f(times[0]),
        f(times[times.len() - 1]),
        size / 1024,
        mb(before),
        mb(peak),
        mb(peak.saturating_sub(before)),
    );
}
