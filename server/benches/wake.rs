//! Finding the items whose time-driven commands are due, among 1,000,000 open items.
//!
//! Fills `tasks` with 1,000,000 dispatched or in-progress items whose wake times are spread
//! over the next 60 days (0.1 % of them already due), then measures the scheduler's query
//! (`scheduler::tick`'s: due items in wake order, a batch of 500, with their states) and a
//! count of every due item, on SQLite (a temporary directory) or on PostgreSQL when
//! `DUBAN_BENCH_PG` names a server (`scripts/bench-pg wake`). Medians of 21 runs.
//!
//! Run: `cargo bench -p duban-server --bench wake`.

mod common;

use std::time::{Duration, Instant};

use common::open_db;
use duban_server::db::Val;

const ITEMS: usize = 1_000_000;
const DUE_EVERY: usize = 1_000;
const CHUNK: usize = 500;
const RUNS: usize = 21;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, backend) = open_db(dir.path(), "duban_bench_wake", 4, 4).await;
    let now = chrono::Utc::now().timestamp_millis();
    let t = Instant::now();
    let mut n = 0;
    while n < ITEMS {
        let rows = CHUNK.min(ITEMS - n);
        let mut sql = String::from(
            "INSERT INTO tasks (id, version, head, state, status, category, urgency, visibility, \
             number, title, created_at, updated_at, wake_at) VALUES ",
        );
        let mut args = Vec::with_capacity(rows * 3);
        for r in 0..rows {
            let i = n + r;
            let p = 3 * r;
            if r > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, 3, '', '{{}}', ${}, 'meeting_decision', 'normal', 'internal', '', '', 0, 0, ${})",
                p + 1,
                p + 2,
                p + 3
            ));
            // Due now for one in DUE_EVERY; the rest spread over 60 days.
            let wake = if i % DUE_EVERY == 0 {
                now - (i as i64 % 3_600_000)
            } else {
                now + 1 + (i as i64 * 7_919) % (60 * 86_400_000)
            };
            args.push(Val::from(uuid::Uuid::from_u128(i as u128 + 1).to_string()));
            args.push(Val::from(if i % 2 == 0 {
                "dispatched"
            } else {
                "in_progress"
            }));
            args.push(Val::from(wake));
        }
        db.exec(&sql, args).await.expect("insert");
        n += rows;
    }
    if backend == "PostgreSQL" {
        db.exec("ANALYZE tasks", vec![]).await.expect("analyze");
    }
    println!(
        "{backend}: {ITEMS} open items written in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let (mut batch, mut count) = (Vec::new(), Vec::new());
    let mut found = (0, 0);
    for _ in 0..RUNS {
        let t = Instant::now();
        let rows = db
            .rows(
                "SELECT id, state FROM tasks WHERE wake_at IS NOT NULL AND wake_at <= $1 \
                 ORDER BY wake_at LIMIT $2",
                vec![Val::from(now), Val::from(500i64)],
            )
            .await
            .expect("due batch");
        batch.push(t.elapsed());
        let t = Instant::now();
        let all = db
            .rows(
                "SELECT COUNT(*) FROM tasks WHERE wake_at IS NOT NULL AND wake_at <= $1",
                vec![Val::from(now)],
            )
            .await
            .expect("count")[0]
            .int(0)
            .expect("int");
        count.push(t.elapsed());
        found = (rows.len(), all);
    }
    assert_eq!(
        found.1 as usize,
        ITEMS / DUE_EVERY,
        "every due item is found"
    );
    assert_eq!(found.0, 500);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{backend}: due batch of {} (the tick's query) {:.2} ms; count of all {} due {:.2} ms (medians of {RUNS})",
        found.0,
        ms(median(batch)),
        found.1,
        ms(median(count))
    );
}
