//! Benchmarks of the phone's store (a bench binary; medians of repeated runs, one core):
//!
//! - **first sync**: 10,000 items with 10 events each (100,000 events, made through the real
//!   rules and hashed into trails) taken into a fresh store on disk from pull pages of 5,000
//!   changes as JSON — parsing, trail checks, projections and all — against a raw rusqlite
//!   bulk insert of the same 100,000 event rows (one transaction, one prepared statement;
//!   printed beside it, the same raw insert with the store's page size);
//! - **open and inbox**: opening a store of 50,000 items and loading the inbox;
//! - **the store's memory during a first sync**: the same pages written to a file, one per
//!   line, and taken in by a child process of this binary (`--first-sync-child <file>`)
//!   that reads them one at a time, as a phone receives them; its peak resident set
//!   (`VmHWM`) is the store's and one page's, apart from the bench's own data.
//!
//! Run: `cargo bench -p duban-core --features client --bench store`. Figures go to
//! docs/PERFORMANCE.md.

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, TimeZone, Utc};
use duban_core::domain::command::{DispatchOrder, Registration, ReportBody};
use duban_core::domain::model::{
    Assignee, NoteId, ReportId, Source, TaskNumber, Urgency, Visibility,
};
use duban_core::domain::trail::{entry_hash, Hash};
use duban_core::domain::{
    decide, evolve, Actor, Calendar, Command, Context, Event, Policy, Role, Roles, TaskId,
    TaskState, UnitId, UnitTree, UserId,
};
use duban_core::protocol::{Change, EventRecord, Person, PullResponse, Snapshot, UnitRecord};
use duban_core::store::Store;

const ROOT: UnitId = UnitId::from_u128(1);
const UNIT: UnitId = UnitId::from_u128(2);
const SUPERVISOR: UserId = UserId::from_u128(10);
const HANDLER: UserId = UserId::from_u128(11);
const PAGE: usize = 5_000;

/// An event row: task, place in its trail, feed position, hash, JSON.
type Row = (String, i64, i64, String, String);

fn actor(id: UserId) -> Actor {
    if id == SUPERVISOR {
        Actor {
            id,
            unit: Some(ROOT),
            roles: Roles::of(&[Role::Supervisor]),
        }
    } else {
        Actor {
            id,
            unit: Some(UNIT),
            roles: Roles::of(&[Role::Staff]),
        }
    }
}

fn person(id: UserId, name: &str) -> Person {
    let a = actor(id);
    Person {
        id,
        username: name.into(),
        name: name.into(),
        unit: a.unit,
        position: String::new(),
        roles: if id == SUPERVISOR {
            vec![Role::Supervisor]
        } else {
            vec![Role::Staff]
        },
        in_charge: Vec::new(),
        active: true,
    }
}

fn reference() -> Snapshot {
    Snapshot {
        seq: 0,
        me: person(HANDLER, "handler"),
        units: vec![
            UnitRecord {
                id: ROOT,
                parent: None,
                name: "县政府".into(),
                name_en: "County".into(),
                sort: 0,
                short_name: String::new(),
                aliases: Vec::new(),
                retired: false,
                peer_group: String::new(),
            },
            UnitRecord {
                id: UNIT,
                parent: Some(ROOT),
                name: "住建局".into(),
                name_en: "Housing".into(),
                sort: 1,
                short_name: String::new(),
                aliases: Vec::new(),
                retired: false,
                peer_group: String::new(),
            },
        ],
        people: vec![person(SUPERVISOR, "supervisor"), person(HANDLER, "handler")],
        policy: Policy::default(),
        calendar: Vec::new(),
        tasks: Vec::new(),
    }
}

/// The events of one item: registered, dispatched, received, then progress reports and
/// comments, `n` in all.
fn item_events(i: u32, n: usize, start: DateTime<Utc>) -> Vec<Event> {
    let mut units = UnitTree::default();
    units.insert(ROOT, None);
    units.insert(UNIT, Some(ROOT));
    let calendar = Calendar::builtin();
    let policy = Policy::default();
    let mut state = TaskState::default();
    let mut out = Vec::new();
    let mut now = start;
    let mut k = 0u128;
    while out.len() < n {
        let (who, cmd) = match out.len() {
            0 => (
                SUPERVISOR,
                Command::Register(Box::new(Registration {
                    category: "annual_key_work".into(),
                    number: TaskNumber {
                        prefix: "重".into(),
                        year: 2026,
                        seq: i + 1,
                    },
                    title: format!("整改事项 {i}"),
                    content: "按要求完成整改并报送现场照片".into(),
                    source: Source::OnSite,
                    urgency: Urgency::Normal,
                    visibility: Visibility::Internal,
                    deadline: None,
                    attributes: BTreeMap::new(),
                    attachments: Vec::new(),
                    milestones: Vec::new(),
                    instructing_leader: None,
                    approval_chain: Vec::new(),
                    recurrence: None,
                    parent: None,
                    batch: None,
                    order: None,
                })),
            ),
            1 => (
                SUPERVISOR,
                Command::Dispatch(Box::new(DispatchOrder {
                    lead: Assignee {
                        unit: UNIT,
                        user: Some(HANDLER),
                    },
                    participants: Vec::new(),
                    responsible_leader: None,
                    deputy_leader: None,
                    reviewer: None,
                    report_approver: None,
                    deadline: Some(start + Duration::days(60 + i64::from(i % 300))),
                    report_every: None,
                })),
            ),
            2 => (HANDLER, Command::Receive),
            m if m % 2 == 1 => {
                k += 1;
                (
                    HANDLER,
                    Command::ReportProgress {
                        report: ReportBody {
                            id: ReportId::from_u128(u128::from(i) << 32 | k),
                            text: "已完成部分整改,现场照片见附件".into(),
                            evidence: Vec::new(),
                            values: Default::default(),
                        },
                        percent: (m * 7 % 90) as u8,
                        milestone: None,
                        answers: None,
                    },
                )
            }
            _ => {
                k += 1;
                (
                    SUPERVISOR,
                    Command::Comment {
                        id: NoteId::from_u128(u128::from(i) << 32 | k),
                        text: "请补充整改前后对比照片".into(),
                        reply_to: None,
                    },
                )
            }
        };
        let a = actor(who);
        let ctx = Context {
            actor: &a,
            now,
            calendar: &calendar,
            policy: &policy,
            units: &units,
            parent: None,
        };
        let events = decide(&state, &cmd, &ctx).expect("benchmark command accepted");
        for e in events {
            state = evolve(state, &e);
            out.push(e);
        }
        now += Duration::minutes(17);
    }
    out.truncate(n);
    out
}

/// Pull pages (as JSON, as the server sends them) holding `items` items of `per_item`
/// events, interleaved as a busy feed would be.
fn pages(items: u32, per_item: usize) -> (Vec<String>, Vec<Row>) {
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .unwrap_or_default();
    let mut records = Vec::new();
    let mut rows = Vec::new();
    let all: Vec<(TaskId, Vec<Event>)> = (0..items)
        .map(|i| {
            (
                TaskId::from_u128(1_000_000 + u128::from(i)),
                item_events(i, per_item, start),
            )
        })
        .collect();
    let mut heads = vec![Hash::GENESIS; all.len()];
    let mut seq = 0i64;
    for round in 0..per_item {
        for (idx, (task, events)) in all.iter().enumerate() {
            let event = events[round].clone();
            let task_seq = round as u64 + 1;
            let hash = entry_hash(*task, task_seq, heads[idx], &event);
            heads[idx] = hash;
            seq += 1;
            rows.push((
                task.to_string(),
                task_seq as i64,
                seq,
                hash.to_hex(),
                serde_json::to_string(&event).expect("event serialises"),
            ));
            records.push(Change::Event(EventRecord {
                seq,
                task: *task,
                task_seq,
                hash: hash.to_hex(),
                event,
            }));
        }
    }
    let head = seq;
    let chunks: Vec<Vec<Change>> = records.chunks(PAGE).map(<[Change]>::to_vec).collect();
    let n = chunks.len();
    let json = chunks
        .into_iter()
        .enumerate()
        .map(|(i, changes)| {
            let next = match changes.last() {
                Some(Change::Event(r)) => r.seq,
                _ => head,
            };
            serde_json::to_string(&PullResponse {
                changes,
                next,
                more: i + 1 < n,
                head,
            })
            .expect("page serialises")
        })
        .collect();
    (json, rows)
}

/// Where a first sync's time went: parsing the pages' JSON, taking the pages in (trail
/// checks, event rows, each item's fold) and ending the load (the projections).
#[derive(Clone, Copy, Default)]
struct Split {
    parse: StdDuration,
    pages: StdDuration,
    end: StdDuration,
}

fn first_sync(dir: &std::path::Path, pages: &[String]) -> (StdDuration, Split, Store) {
    let path = dir.join(format!("first-{}.db", uuid::Uuid::new_v4()));
    let mut store = Store::open(&path).expect("open store");
    store.set_reference(&reference()).expect("reference");
    store.begin_rebase().expect("rebase");
    let now = Utc::now();
    let mut split = Split::default();
    let t = Instant::now();
    for p in pages {
        let s = Instant::now();
        let page: PullResponse = serde_json::from_str(p).expect("page parses");
        let parsed = Instant::now();
        store.apply_page(&page, now).expect("page applies");
        split.parse += parsed - s;
        split.pages += parsed.elapsed();
    }
    let s = Instant::now();
    store.end_rebase(now).expect("end");
    split.end = s.elapsed();
    (t.elapsed(), split, store)
}

/// The peak resident set of this process so far (Linux: `VmHWM` in /proc/self/status).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The raw insert: SQLite's default page size, or `page_size`.
fn raw_insert(dir: &std::path::Path, rows: &[Row], page_size: Option<i64>) -> StdDuration {
    let path = dir.join(format!("raw-{}.db", uuid::Uuid::new_v4()));
    let mut conn = rusqlite::Connection::open(&path).expect("open");
    if let Some(size) = page_size {
        conn.pragma_update(None, "page_size", size)
            .expect("page size");
    }
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE events (task TEXT NOT NULL, task_seq INTEGER NOT NULL, seq INTEGER NOT NULL, \
         hash TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (task, task_seq)) STRICT, WITHOUT ROWID;",
    )
    .expect("schema");
    let t = Instant::now();
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO events (task, task_seq, seq, hash, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .expect("prepare");
        for r in rows {
            stmt.execute(rusqlite::params![r.0, r.1, r.2, r.3, r.4])
                .expect("insert");
        }
    }
    tx.commit().expect("commit");
    t.elapsed()
}

fn median(mut v: Vec<StdDuration>) -> StdDuration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: StdDuration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The child process: a first sync from the pages in `file` (one JSON page a line), read one
/// at a time; prints its peak resident set before and after.
fn first_sync_child(file: &std::path::Path) {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("temp dir");
    let start = peak_rss_mb().unwrap_or(0.0);
    let path = dir.path().join("first.db");
    let mut store = Store::open(&path).expect("open store");
    store.set_reference(&reference()).expect("reference");
    store.begin_rebase().expect("rebase");
    let now = Utc::now();
    let t = Instant::now();
    let reader = std::io::BufReader::new(std::fs::File::open(file).expect("pages file"));
    for line in reader.lines() {
        let page: PullResponse = serde_json::from_str(&line.expect("line")).expect("page");
        store.apply_page(&page, now).expect("page applies");
    }
    store.end_rebase(now).expect("end");
    let took = t.elapsed();
    // What the store holds, against the raw insert's event rows alone.
    let sizes: (i64, i64, i64, i64) = store
        .connection()
        .query_row(
            "SELECT (SELECT sum(length(body)) FROM events), (SELECT sum(length(state)) FROM tasks), \
             (SELECT count(*) FROM task_views), (SELECT count(*) FROM duties)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("sizes");
    drop(store);
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len())
        + std::fs::metadata(dir.path().join("first.db-wal")).map_or(0, |m| m.len());
    println!(
        "    the store: events' JSON {:.0} MB, items' state JSON {:.0} MB, {} view rows, \
         {} duty rows; file and WAL {:.0} MB",
        sizes.0 as f64 / 1e6,
        sizes.1 as f64 / 1e6,
        sizes.2,
        sizes.3,
        bytes as f64 / 1e6
    );
    println!(
        "    child process: peak RSS {:.0} MB at its start, {:.0} MB after the first sync \
         ({:.0} ms, pages read one at a time from a file)",
        start,
        peak_rss_mb().unwrap_or(0.0),
        ms(took)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--first-sync-child") {
        first_sync_child(std::path::Path::new(&args[i + 1]));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and wants a
    // quick run.
    let quick = !args.iter().any(|a| a == "--bench");
    let dir = tempfile::tempdir().expect("temp dir");
    let (items, runs) = if quick { (200, 1) } else { (10_000, 5) };

    let (json, rows) = pages(items, 10);
    println!(
        "first sync: {items} items, {} events, {} pages",
        rows.len(),
        json.len()
    );
    let before = peak_rss_mb();
    let mut sync_times = Vec::new();
    let mut raw_times = Vec::new();
    let mut raw_paged = Vec::new();
    let mut splits = Vec::new();
    for _ in 0..runs {
        let (t, split, _) = first_sync(dir.path(), &json);
        sync_times.push(t);
        splits.push((t, split));
        raw_times.push(raw_insert(dir.path(), &rows, None));
        raw_paged.push(raw_insert(
            dir.path(),
            &rows,
            Some(duban_core::store::PAGE_SIZE),
        ));
    }
    let peak = peak_rss_mb();
    let (s, r) = (median(sync_times), median(raw_times));
    // The split of the run whose total is the median.
    splits.sort_by_key(|(t, _)| *t);
    let split = splits[splits.len() / 2].1;
    println!(
        "  first sync (parse + verify + project): {:.0} ms  ({:.0} events/s)",
        ms(s),
        rows.len() as f64 / s.as_secs_f64()
    );
    println!(
        "    parse the pages' JSON: {:.0} ms; take the pages in (verify, insert, fold): {:.0} ms; \
         end the load (project): {:.0} ms",
        ms(split.parse),
        ms(split.pages),
        ms(split.end)
    );
    if let (Some(b), Some(p)) = (before, peak) {
        println!(
            "    peak RSS of the process: {b:.0} MB with the pages in memory, {p:.0} MB after the syncs"
        );
    }
    println!("  raw rusqlite insert of the same rows:  {:.0} ms", ms(r));
    println!("  ratio: {:.2}x", s.as_secs_f64() / r.as_secs_f64());
    let rp = median(raw_paged);
    println!(
        "  (the raw insert with the store's page size, {} bytes: {:.0} ms; ratio to it {:.2}x)",
        duban_core::store::PAGE_SIZE,
        ms(rp),
        s.as_secs_f64() / rp.as_secs_f64()
    );

    // The store's own memory: the same first sync in a child process that holds one page
    // at a time.
    let file = dir.path().join("pages.jsonl");
    std::fs::write(&file, json.join("\n")).expect("write pages");
    drop((json, rows));
    let child = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .arg("--first-sync-child")
        .arg(&file)
        .output()
        .expect("child runs");
    assert!(child.status.success(), "the child's first sync failed");
    print!("{}", String::from_utf8_lossy(&child.stdout));

    // A store of 50,000 items (5 events each), then: open it and load the inbox.
    let big = if quick { 500 } else { 50_000 };
    let (json, _) = pages(big, 5);
    let path = dir.path().join("big.db");
    {
        let mut store = Store::open(&path).expect("open");
        store.set_reference(&reference()).expect("reference");
        store.begin_rebase().expect("rebase");
        let now = Utc::now();
        for p in &json {
            let page: PullResponse = serde_json::from_str(p).expect("page");
            store.apply_page(&page, now).expect("apply");
        }
        store.end_rebase(now).expect("end");
    }
    let mut open_times = Vec::new();
    let mut entries = 0;
    for _ in 0..if quick { 1 } else { 20 } {
        let t = Instant::now();
        let store = Store::open(&path).expect("open");
        let inbox = store.inbox(200, Utc::now()).expect("inbox");
        open_times.push(t.elapsed());
        entries = inbox.len();
    }
    println!(
        "open a store of {big} items and load the inbox ({entries} entries): {:.1} ms (median)",
        ms(median(open_times))
    );
}
