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

use common::{demo, login, mb, reset_peak, status_kb};
use duban_server::web;

const ITEMS: usize = 10_000;
const BATCH: usize = 500;
const RUNS: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let demo = demo("duban_bench_ledger_xlsx").await;
    let (base, backend) = (demo.base.clone(), demo.backend);
    let http = reqwest::Client::new();
    let office = login(&http, &base, "supervisor").await;
    let token = login(&http, &base, "leader").await;
    let t = Instant::now();
    let received = demo
        .load(&http, &office, ITEMS, BATCH, |i| {
            format!("县政府常务会议议定事项第{i}项：老旧小区改造项目推进")
        })
        .await;
    println!(
        "{backend}: demo + {ITEMS} items dispatched ({} received and reported) in {:.1} s",
        received,
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
