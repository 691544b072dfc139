//! A push of many commands (issue 22: one write transaction per push, a savepoint per
//! command, the feed appended once at its end), on SQLite and on PostgreSQL:
//!
//! - a batch of 50 with a refused command in the middle answers 49 accepted and 1 refused,
//!   exactly as the same commands pushed one by one do, leaves no trace of the refused one,
//!   and answers a resend with the stored outcomes; the same batch raced from two
//!   connections, or resent in the opposite order, applies once;
//! - a command id repeated within one push is that command's retry;
//! - the `duban` process killed with SIGKILL while batches are in flight, restarted and sent
//!   everything again, applies each command once;
//! - two devices pushing conflicting batches at once (touching the same items in opposite
//!   orders, so that PostgreSQL picks a deadlock victim) are serialised by the rules;
//! - four writers pushing batches while a reader polls the feed: the reader sees every
//!   sequence number once, in order, none skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use duban_core::domain::trail::{verify_with_head, Hash, TrailEntry};
use duban_core::domain::TaskId;
use duban_server::db::Db;
use serde_json::{json, Value};

use crate::sec_crash::{login, push_and_kill, resend, resend_all, seed, Dice, Serve, Share};
use crate::support::*;

/// Commands per push.
const BATCH: usize = 50;

/// Writes `sqlite` and `postgres` tests that run `$name(backend)`.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::support::Backend::Postgres).await;
            }
        }
    };
}

/// `report_progress` on an item.
fn report(task: &str) -> Value {
    simple(
        task,
        "report_progress",
        json!({
            "report": {"id": tid(), "text": "正在办理", "evidence": []},
            "percent": 30, "milestone": null, "answers": null
        }),
    )
}

/// Pushes `commands` on a connection of its own; returns the HTTP status and the body.
async fn push_raw(
    http: reqwest::Client,
    base: String,
    token: String,
    commands: Vec<Value>,
) -> (u16, Value) {
    let res = http
        .post(format!("{base}/api/v1/sync/push"))
        .bearer_auth(&token)
        .json(&json!({ "commands": commands }))
        .send()
        .await
        .expect("push");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// What a command's outcome says, without its feed positions: status, code, and its events
/// as (item, place in the item's trail, kind).
fn summary(o: &Value) -> (String, String, Vec<(u64, String)>) {
    let events = o["events"]
        .as_array()
        .map(|es| {
            es.iter()
                .map(|e| {
                    (
                        e["task_seq"].as_u64().expect("task_seq"),
                        e["event"]["kind"]["event"]
                            .as_str()
                            .expect("kind")
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (
        o["status"].as_str().expect("status").to_owned(),
        o["code"].as_str().unwrap_or_default().to_owned(),
        events,
    )
}

/// An item as its detail shows it: status, version, length of its trail.
async fn item_state(s: &Server, token: &str, task: &str) -> (String, u64, usize) {
    let d = s
        .get(token, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200);
    (
        d["status"].as_str().expect("status").to_owned(),
        d["state"]["version"].as_u64().expect("version"),
        d["trail"].as_array().expect("trail").len(),
    )
}

/// The events `token` pulls from the start of the feed, by item: (place in the trail,
/// kind), checked to run 1, 2, 3 … per item.
async fn pulled_trails(s: &Server, token: &str) -> BTreeMap<String, Vec<(u64, String)>> {
    let mut out: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    for c in s.pull_all(token, 0).await {
        let events: Vec<Value> = match c["type"].as_str() {
            Some("event") => vec![c.clone()],
            Some("grant") => c["events"].as_array().expect("events").clone(),
            _ => continue,
        };
        for e in events {
            let trail = out
                .entry(e["task"].as_str().expect("task").to_owned())
                .or_default();
            let seq = e["task_seq"].as_u64().expect("task_seq");
            assert_eq!(
                seq,
                trail.len() as u64 + 1,
                "a continuous trail in the feed: {e}"
            );
            trail.push((
                seq,
                e["event"]["kind"]["event"]
                    .as_str()
                    .expect("kind")
                    .to_owned(),
            ));
        }
    }
    out
}

/// Checks what a database holds: the feed's sequence numbers run 1 … its counter without a
/// gap; each item's events are numbered 1 … n once each and chain, by hash, up to the head
/// the item records. Returns the events in feed order: (seq, item, place, body).
async fn check_feed(db: &Db) -> Vec<(i64, String, u64, Value)> {
    let seqs: Vec<i64> = db
        .rows("SELECT seq FROM changes ORDER BY seq", vec![])
        .await
        .expect("seqs")
        .iter()
        .map(|r| r.int(0).unwrap())
        .collect();
    let head = db
        .row("SELECT value FROM counters WHERE name = 'changes'", vec![])
        .await
        .expect("counter")
        .expect("a counter")
        .int(0)
        .unwrap();
    assert_eq!(seqs, (1..=head).collect::<Vec<_>>(), "the feed has no gap");

    let rows = db
        .rows(
            "SELECT seq, task, task_seq, hash, body FROM changes WHERE kind = 'event' \
             ORDER BY task, task_seq",
            vec![],
        )
        .await
        .expect("events");
    let mut trails: BTreeMap<String, Vec<TrailEntry>> = BTreeMap::new();
    let mut events = Vec::new();
    for r in &rows {
        let task = r.text(1).unwrap();
        let place = r.int(2).unwrap() as u64;
        let trail = trails.entry(task.clone()).or_default();
        assert_eq!(
            place,
            trail.len() as u64 + 1,
            "item {task}: its events are numbered once each, without a gap"
        );
        let body: Value = serde_json::from_str(&r.text(4).unwrap()).expect("event json");
        let prev = trail.last().map_or(Hash::GENESIS, |e| e.hash);
        trail.push(TrailEntry {
            task: TaskId(task.parse().unwrap()),
            seq: place,
            prev,
            hash: Hash::from_hex(&r.text(3).unwrap()).expect("hex"),
            event: serde_json::from_value(body.clone()).expect("event"),
        });
        events.push((r.int(0).unwrap(), task, place, body));
    }
    let heads = db
        .rows("SELECT id, version, head FROM tasks", vec![])
        .await
        .expect("tasks");
    assert_eq!(heads.len(), trails.len(), "every item has a trail");
    for r in &heads {
        let task = r.text(0).unwrap();
        let trail = trails.get(&task).map(Vec::as_slice).unwrap_or_default();
        let head = (
            r.int(1).unwrap() as u64,
            Hash::from_hex(&r.text(2).unwrap()).expect("hex"),
        );
        verify_with_head(TaskId(task.parse().unwrap()), trail, head)
            .unwrap_or_else(|e| panic!("the trail of {task} does not verify: {e:?}"));
    }
    events.sort_by_key(|e| e.0);
    events
}

/// Signs in from a device of its own (a second sign-in from the same device ends the
/// first session).
async fn login_on(s: &Server, username: &str, device: &str) -> String {
    let r = s
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": PASSWORD, "device": device})),
        )
        .await
        .expect(200);
    r["token"].as_str().expect("token").to_owned()
}

/// The feed rows about an item.
async fn feed_rows_of(s: &Server, task: &str) -> i64 {
    s.scalar(
        "SELECT COUNT(*) FROM changes WHERE task = $1",
        vec![task.into()],
    )
    .await
}

/// The events in the feed.
async fn event_count(s: &Server) -> i64 {
    s.scalar("SELECT COUNT(*) FROM changes WHERE kind = 'event'", vec![])
        .await
}

/// The deadlocks PostgreSQL detected in the test's database (none on SQLite, where
/// writers queue for the one writer lock).
async fn deadlocks(s: &Server, backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => {
            s.scalar(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
                vec![],
            )
            .await
        }
    }
}

// 1. A refusal in the middle of a batch, against the same commands one by one.

/// The batch's place of the refused command.
const REFUSED_AT: usize = 25;
/// The item dispatched to unit B, which staff-a may not receive.
const FOREIGN: usize = 25;

/// The fixture, and 26 items registered and dispatched in one push of the supervisor: 25
/// to staff-a in unit A, the last ([`FOREIGN`]) to staff-b in unit B. Returns the
/// supervisor's token, staff-a's, and the items.
async fn prepare(s: &Server) -> (String, String, Vec<String>) {
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let staff = s.login("staff-a").await;
    let items: Vec<String> = (0..=FOREIGN).map(|_| tid()).collect();
    let mut setup = Vec::new();
    for (n, t) in items.iter().enumerate() {
        setup.push(register(t, &format!("批量推送第{n}项")));
        setup.push(if n == FOREIGN {
            dispatch(t, f.unit_b, Some(f.staff_b))
        } else {
            dispatch(t, f.unit_a, Some(f.staff_a))
        });
    }
    let out = s.push(&sup, setup).await;
    assert_eq!(out.len(), 2 * items.len());
    assert!(
        out.iter().all(|o| o["status"] == "accepted"),
        "the setup is accepted: {out:?}"
    );
    // Numbers given in one push are distinct: 1 … 26.
    let numbers: BTreeSet<u64> = out
        .iter()
        .step_by(2)
        .map(|o| {
            o["events"][0]["event"]["kind"]["number"]["seq"]
                .as_u64()
                .expect("number")
        })
        .collect();
    assert_eq!(numbers, (1..=items.len() as u64).collect());
    (sup, staff, items)
}

/// staff-a's 50 commands: receive and report on items 0 … 24, except that the command at
/// [`REFUSED_AT`] (the report on item 12) is a receipt of unit B's item instead.
fn staff_batch(items: &[String]) -> Vec<Value> {
    let mut batch = Vec::new();
    for t in &items[..FOREIGN] {
        batch.push(simple(t, "receive", json!({})));
        batch.push(report(t));
    }
    batch[REFUSED_AT] = simple(&items[FOREIGN], "receive", json!({}));
    assert_eq!(batch.len(), BATCH);
    batch
}

async fn a_refusal_in_a_batch_of_50_is_the_same_as_one_by_one(backend: Backend) {
    // In one push.
    let s = start(backend).await;
    let (sup, staff, items) = prepare(&s).await;
    let batch = staff_batch(&items);
    let foreign = items[FOREIGN].clone();
    let rows_before = s.changes_count().await;
    let events_before = s
        .scalar("SELECT COUNT(*) FROM changes WHERE kind = 'event'", vec![])
        .await;
    let foreign_rows_before = feed_rows_of(&s, &foreign).await;
    let foreign_before = item_state(&s, &sup, &foreign).await;
    assert_eq!(foreign_before, ("dispatched".to_owned(), 2, 2));

    let batched = s.push(&staff, batch.clone()).await;
    assert_eq!(batched.len(), BATCH);
    for (c, o) in batch.iter().zip(&batched) {
        assert_eq!(o["id"], c["id"], "answered in order");
        assert_eq!(o["task"], c["task"]);
    }
    let refused: Vec<usize> = (0..BATCH)
        .filter(|&i| batched[i]["status"] != "accepted")
        .collect();
    assert_eq!(refused, [REFUSED_AT], "49 accepted, 1 refused: {batched:?}");
    let out = &batched[REFUSED_AT];
    assert_eq!(out["status"], "rejected", "{out}");
    // To staff-a, unit B's item does not exist.
    assert_eq!(out["code"], "task.not_found", "{out}");
    assert!(out["zh"].as_str().is_some_and(|m| !m.is_empty()));

    // The refused command left no trace: no event, no feed row, its item unchanged.
    assert_eq!(out.get("events"), None, "{out}");
    assert_eq!(feed_rows_of(&s, &foreign).await, foreign_rows_before);
    assert_eq!(item_state(&s, &sup, &foreign).await, foreign_before);
    // The others' events are in the feed, once each, in the order of the batch, right
    // after what was there.
    let answered: Vec<i64> = batched
        .iter()
        .flat_map(|o| o["events"].as_array().cloned().unwrap_or_default())
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(answered.len(), 49, "one event per accepted command");
    assert!(answered.windows(2).all(|w| w[0] < w[1]), "{answered:?}");
    let events_after = s
        .scalar("SELECT COUNT(*) FROM changes WHERE kind = 'event'", vec![])
        .await;
    assert_eq!(events_after - events_before, 49);
    let in_feed: Vec<i64> = s
        .state
        .db
        .rows(
            "SELECT seq FROM changes WHERE kind = 'event' AND seq > $1 ORDER BY seq",
            vec![rows_before.into()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.int(0).unwrap())
        .collect();
    assert_eq!(in_feed, answered);
    // The refusal itself is recorded, so that a retry gets the same answer.
    let stored = s
        .state
        .db
        .row(
            "SELECT outcome FROM commands WHERE id = $1",
            vec![batch[REFUSED_AT]["id"].as_str().unwrap().into()],
        )
        .await
        .unwrap()
        .expect("the refusal is recorded");
    assert!(stored.text(0).unwrap().contains("task.not_found"));

    // Sent again, whole: the stored outcomes, the same feed positions, nothing written.
    let rows_after = s.changes_count().await;
    let again = s.push(&staff, batch.clone()).await;
    assert_eq!(again, batched, "a resent batch gets its stored outcomes");
    assert_eq!(s.changes_count().await, rows_after);

    // One by one, on a fresh server, with fresh ids and fresh items.
    let one = start(backend).await;
    let (sup1, staff1, items1) = prepare(&one).await;
    let mut single = Vec::new();
    for c in staff_batch(&items1) {
        let r = one.push(&staff1, vec![c]).await;
        assert_eq!(r.len(), 1);
        single.extend(r);
    }
    for (i, (b, o)) in batched.iter().zip(&single).enumerate() {
        assert_eq!(
            summary(b),
            summary(o),
            "command {i}: batched {b}, alone {o}"
        );
    }
    // The items end the same.
    let trails = pulled_trails(&s, &sup).await;
    let trails1 = pulled_trails(&one, &sup1).await;
    for (n, (t, t1)) in items.iter().zip(&items1).enumerate() {
        let (a, b) = (
            item_state(&s, &sup, t).await,
            item_state(&one, &sup1, t1).await,
        );
        assert_eq!(a, b, "item {n}");
        assert_eq!(trails.get(t), trails1.get(t1), "item {n}");
        let expected = match n {
            12 => 3,
            FOREIGN => 2,
            _ => 4,
        };
        assert_eq!(a.1, expected, "item {n}: {a:?}");
        assert_eq!(trails[t].len() as u64, expected, "item {n}");
    }
    check_feed(&s.state.db).await;
    check_feed(&one.state.db).await;
}

on_both!(a_refusal_in_a_batch_of_50_is_the_same_as_one_by_one);

/// A device that sent its batch again before the first answer came (a timeout): the two
/// pushes of the same 50 commands at once get the same answers, applied once.
async fn the_same_batch_raced_from_two_connections_applies_once(backend: Backend) {
    let s = start(backend).await;
    let (sup, staff, items) = prepare(&s).await;
    let batch = staff_batch(&items);
    let events_before = event_count(&s).await;
    let one = tokio::spawn(push_raw(
        s.http.clone(),
        s.base.clone(),
        staff.clone(),
        batch.clone(),
    ));
    let two = tokio::spawn(push_raw(
        reqwest::Client::new(),
        s.base.clone(),
        staff.clone(),
        batch.clone(),
    ));
    let (one, two) = (one.await.expect("join"), two.await.expect("join"));
    assert_eq!(one.0, 200, "{}", one.1);
    assert_eq!(two.0, 200, "{}", two.1);
    assert_eq!(one.1, two.1, "the same answers, the same feed positions");
    let results = one.1["results"].as_array().expect("results");
    assert_eq!(results.len(), BATCH);
    let refused: Vec<usize> = (0..BATCH)
        .filter(|&i| results[i]["status"] != "accepted")
        .collect();
    assert_eq!(refused, [REFUSED_AT]);
    assert_eq!(results[REFUSED_AT]["code"], "task.not_found");
    assert_eq!(event_count(&s).await - events_before, 49, "applied once");
    for (n, t) in items.iter().enumerate().take(FOREIGN) {
        let expected = if n == 12 { 3 } else { 4 };
        assert_eq!(item_state(&s, &sup, t).await.1, expected, "item {n}");
    }
    check_feed(&s.state.db).await;
}

on_both!(the_same_batch_raced_from_two_connections_applies_once);

// A command id twice in one push.

async fn a_command_id_repeated_in_one_push_is_its_retry(backend: Backend) {
    let s = start(backend).await;
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let t = tid();
    let reg = register(&t, "同一推送内重复的命令");
    let disp = dispatch(&t, f.unit_a, None);
    let mut other = simple(&t, "follow", json!({}));
    other["id"] = disp["id"].clone();
    let push = vec![reg.clone(), reg.clone(), disp.clone(), other, disp.clone()];
    let out = s.push(&sup, push.clone()).await;
    assert_eq!(out.len(), 5);
    assert_eq!(out[0]["status"], "accepted", "{out:?}");
    assert_eq!(out[2]["status"], "accepted", "{out:?}");
    assert_eq!(out[1], out[0], "the same command again: its outcome");
    assert_eq!(out[4], out[2], "the same command again: its outcome");
    assert_eq!(out[3]["status"], "rejected", "{out:?}");
    assert_eq!(out[3]["code"], "command.id_reused", "{out:?}");
    assert_eq!(
        event_count(&s).await,
        2,
        "registered and dispatched, once each"
    );
    assert_eq!(item_state(&s, &sup, &t).await.1, 2);
    // The whole push again: the same answers.
    assert_eq!(s.push(&sup, push).await, out);
    assert_eq!(event_count(&s).await, 2);
    check_feed(&s.state.db).await;
}

on_both!(a_command_id_repeated_in_one_push_is_its_retry);

// 2. The process killed while batches are in flight.

/// Kills per backend.
const KILLS: usize = 5;
/// New items per round (the supervisor's two batches).
const ITEMS: usize = 50;

async fn killed_mid_batch_and_resent_each_command_applies_once(backend: Backend) {
    let dir = temp_dir();
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(
            duban_server::db::postgres::create_database(&pg_url(), "duban_kb")
                .await
                .expect("a database on DUBAN_TEST_PG"),
        ),
    };
    let database = database.as_deref();
    let f = seed(database, &dir).await;
    let http = reqwest::Client::new();
    let mut dice = Dice::new();
    let started = Instant::now();

    let mut server = Serve::start(database, &dir).await;
    let mut tokens = BTreeMap::new();
    for name in ["supervisor", "staff-a", "staff-b"] {
        tokens.insert(name, login(&http, &server.base, name).await);
    }
    let mut outcomes: BTreeMap<String, Value> = BTreeMap::new();
    let mut previous: Vec<(String, &str)> = Vec::new();
    let mut last_shares = Vec::new();
    let mut in_flight = 0;
    for round in 0..KILLS {
        // The supervisor registers and dispatches 50 new items (two batches of 50); each
        // lead receives and reports on its 25 items of the round before (a batch of 50).
        let mut supervisor = Vec::new();
        let mut current = Vec::new();
        for n in 0..ITEMS {
            let task = tid();
            let (unit, lead, name) = if n % 2 == 0 {
                (f.unit_a, f.staff_a, "staff-a")
            } else {
                (f.unit_b, f.staff_b, "staff-b")
            };
            supervisor.push(register(&task, &format!("第{round}轮第{n}项")));
            supervisor.push(dispatch(&task, unit, Some(lead)));
            current.push((task, name));
        }
        let mut leads: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (task, lead) in &previous {
            let mine = leads.entry(lead).or_default();
            mine.push(simple(task, "receive", json!({})));
            mine.push(report(task));
        }
        let mut shares = vec![Share {
            token: tokens["supervisor"].clone(),
            commands: supervisor,
            batch: BATCH,
        }];
        for (lead, commands) in leads {
            assert_eq!(commands.len(), BATCH);
            shares.push(Share {
                token: tokens[lead].clone(),
                commands,
                batch: BATCH,
            });
        }

        // Push all at once; kill once a random number of batches were answered, and a few
        // milliseconds more.
        let (answered, unfinished) = push_and_kill(
            &http,
            server,
            &shares,
            &mut dice,
            40,
            &format!("{backend:?} round {round}"),
        )
        .await;
        if unfinished {
            in_flight += 1;
        }

        // Again on the same database; everything resent with the same ids.
        server = Serve::start(database, &dir).await;
        resend_all(&http, &server.base, &shares, &answered, &mut outcomes).await;
        previous = current;
        last_shares = shares;
    }
    // Once more, without a kill: the stored outcomes again.
    for share in &last_shares {
        for (id, outcome) in resend(&http, &server.base, share).await {
            assert_eq!(outcomes.get(&id), Some(&outcome), "the stored outcome");
        }
    }
    drop(server);
    assert!(
        in_flight > KILLS / 2,
        "most kills land while pushes are in flight ({in_flight} of {KILLS})"
    );

    let db = Db::open(database, &dir, 2).await.expect("reopen");
    // One stored outcome per command, the one answered.
    let stored = db
        .rows("SELECT id, outcome FROM commands", vec![])
        .await
        .expect("commands");
    assert_eq!(stored.len(), outcomes.len(), "one outcome per command");
    for r in &stored {
        let id = r.text(0).unwrap();
        let outcome: Value = serde_json::from_str(&r.text(1).unwrap()).expect("json");
        assert_eq!(outcomes.get(&id), Some(&outcome), "command {id}");
    }
    // Each event of the feed belongs to exactly one command's outcome, and the reverse.
    let mut claimed: BTreeMap<i64, String> = BTreeMap::new();
    for (id, outcome) in &outcomes {
        for e in outcome["events"].as_array().expect("events") {
            let seq = e["seq"].as_i64().expect("seq");
            assert!(
                claimed.insert(seq, id.clone()).is_none(),
                "event {seq} in two outcomes"
            );
        }
    }
    let events = check_feed(&db).await;
    assert_eq!(
        events.iter().map(|e| e.0).collect::<BTreeSet<_>>(),
        claimed.keys().copied().collect::<BTreeSet<_>>(),
        "the feed's events are exactly the commands' outcomes"
    );
    let count = |kind: &str| {
        events
            .iter()
            .filter(|e| e.3["kind"]["event"] == kind)
            .count()
    };
    let items = KILLS * ITEMS;
    assert_eq!(count("registered"), items);
    assert_eq!(count("dispatched"), items);
    assert_eq!(count("received"), items - ITEMS);
    assert_eq!(count("progress_reported"), items - ITEMS);
    assert_eq!(events.len(), 4 * items - 2 * ITEMS, "nothing else");
    // Every item's number is its own.
    let numbers: BTreeSet<String> = events
        .iter()
        .filter(|e| e.3["kind"]["event"] == "registered")
        .map(|e| e.3["kind"]["number"].to_string())
        .collect();
    assert_eq!(numbers.len(), items, "numbers are unique");
    db.close().await;
    eprintln!(
        "{backend:?}: {KILLS} kills, {} commands, {} events, {:.1} s",
        outcomes.len(),
        events.len(),
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(dir);
}

on_both!(killed_mid_batch_and_resent_each_command_applies_once);

// 3. Conflicting batches from two devices at once.

/// Registers and dispatches 50 items to unit A (to `handler` if given) in one push.
async fn fifty_dispatched(
    s: &Server,
    sup: &str,
    unit: duban_core::domain::UnitId,
    handler: Option<duban_core::domain::UserId>,
) -> Vec<String> {
    let items: Vec<String> = (0..BATCH).map(|_| tid()).collect();
    let mut setup = Vec::new();
    for (n, t) in items.iter().enumerate() {
        setup.push(register(t, &format!("冲突第{n}项")));
        setup.push(dispatch(t, unit, handler));
    }
    let out = s.push(sup, setup).await;
    assert!(out.iter().all(|o| o["status"] == "accepted"), "{out:?}");
    items
}

/// Pushes `a` (with `ta`) and `b` (with `tb`) at the same moment; both must answer 200
/// with a result per command. Returns, per item, the two outcomes.
async fn race(
    s: &Server,
    (ta, a): (&str, Vec<Value>),
    (tb, b): (&str, Vec<Value>),
) -> BTreeMap<String, (Value, Value)> {
    let one = tokio::spawn(push_raw(
        s.http.clone(),
        s.base.clone(),
        ta.to_owned(),
        a.clone(),
    ));
    let two = tokio::spawn(push_raw(
        s.http.clone(),
        s.base.clone(),
        tb.to_owned(),
        b.clone(),
    ));
    let (one, two) = (one.await.expect("join"), two.await.expect("join"));
    let mut by_item: BTreeMap<String, (Value, Value)> = BTreeMap::new();
    for ((status, body), sent) in [(one, &a), (two, &b)] {
        assert_eq!(status, 200, "{body}");
        let results = body["results"].as_array().expect("results");
        assert_eq!(results.len(), sent.len(), "a result per command");
        for (c, r) in sent.iter().zip(results) {
            assert_eq!(r["id"], c["id"]);
            let e = by_item
                .entry(c["task"].as_str().unwrap().to_owned())
                .or_insert((Value::Null, Value::Null));
            if e.0.is_null() {
                e.0 = r.clone();
            } else {
                e.1 = r.clone();
            }
        }
    }
    by_item
}

async fn conflicting_batches_from_two_devices_are_serialised_by_the_rules(backend: Backend) {
    let s = start(backend).await;
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let staff = s.login("staff-a").await;
    let staff2 = s.login("staff-a2").await;
    let head = s.login("head-a").await;
    let deadlocks_before = deadlocks(&s, backend).await;
    let mut codes: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for round in 0..2 {
        // Two handlers of unit A (no handler named) both receive the same 50 items, one
        // in ascending order and the other descending: the first receipt of each wins.
        let items = fifty_dispatched(&s, &sup, f.unit_a, None).await;
        let up: Vec<Value> = items
            .iter()
            .map(|t| simple(t, "receive", json!({})))
            .collect();
        let down: Vec<Value> = items
            .iter()
            .rev()
            .map(|t| simple(t, "receive", json!({})))
            .collect();
        let (first, second) = if round % 2 == 0 {
            ((staff.as_str(), up), (staff2.as_str(), down))
        } else {
            ((staff2.as_str(), down), (staff.as_str(), up))
        };
        let outcomes = race(&s, first, second).await;
        assert_eq!(outcomes.len(), BATCH);
        for (t, (a, b)) in &outcomes {
            let won: Vec<&Value> = [a, b]
                .into_iter()
                .filter(|o| o["status"] == "accepted")
                .collect();
            assert_eq!(won.len(), 1, "exactly one receipt of {t}: {a} {b}");
            let lost = if a["status"] == "accepted" { b } else { a };
            assert_eq!(lost["status"], "rejected", "{lost}");
            codes
                .entry("receive/receive")
                .or_default()
                .insert(lost["code"].as_str().unwrap().to_owned());
            assert_eq!(lost["code"], "receive.already", "{lost}");
            let (status, version, trail) = item_state(&s, &sup, t).await;
            assert_eq!(
                (status.as_str(), version, trail),
                ("in_progress", 3, 3),
                "{t}"
            );
        }

        // The named handler receives while the unit head declines, in opposite orders:
        // each item is either received or declined, never both.
        let items = fifty_dispatched(&s, &sup, f.unit_a, Some(f.staff_a)).await;
        let receive: Vec<Value> = items
            .iter()
            .map(|t| simple(t, "receive", json!({})))
            .collect();
        let decline: Vec<Value> = items
            .iter()
            .rev()
            .map(|t| simple(t, "decline", json!({"reason": "不属于本单位职责"})))
            .collect();
        let (first, second) = if round % 2 == 0 {
            ((staff.as_str(), receive), (head.as_str(), decline))
        } else {
            ((head.as_str(), decline), (staff.as_str(), receive))
        };
        let outcomes = race(&s, first, second).await;
        assert_eq!(outcomes.len(), BATCH);
        for (t, (a, b)) in &outcomes {
            let won: Vec<&Value> = [a, b]
                .into_iter()
                .filter(|o| o["status"] == "accepted")
                .collect();
            assert_eq!(
                won.len(),
                1,
                "exactly one of receipt and decline on {t}: {a} {b}"
            );
            let lost = if a["status"] == "accepted" { b } else { a };
            assert_eq!(lost["status"], "rejected", "{lost}");
            let code = lost["code"].as_str().unwrap().to_owned();
            // The rule refuses a receipt of a declined item and a decline of one received.
            assert_eq!(code, "state.not_allowed", "{lost}");
            let kind = won[0]["events"][0]["event"]["kind"]["event"]
                .as_str()
                .unwrap();
            codes
                .entry(if kind == "received" {
                    "decline after receive"
                } else {
                    "receive after decline"
                })
                .or_default()
                .insert(code);
            let (status, version, trail) = item_state(&s, &sup, t).await;
            assert_eq!((version, trail), (3, 3), "{t}");
            assert_eq!(
                status,
                if kind == "received" {
                    "in_progress"
                } else {
                    "declined"
                },
                "{t}: {kind}"
            );
        }
    }
    eprintln!("{backend:?}: codes of the losers: {codes:?}");
    check_feed(&s.state.db).await;
    let trails = pulled_trails(&s, &sup).await;
    assert_eq!(trails.len(), 4 * BATCH);
    if backend == Backend::Postgres {
        // The statistics reach pg_stat_database within a few seconds.
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = deadlocks(&s, backend).await - deadlocks_before;
        while seen == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            seen = deadlocks(&s, backend).await - deadlocks_before;
        }
        eprintln!("postgres: {seen} deadlocks detected and retried");
        assert!(
            seen > 0,
            "batches locking the same items in opposite orders meet in a deadlock, whose \
             victim is retried"
        );
    }
}

on_both!(conflicting_batches_from_two_devices_are_serialised_by_the_rules);

/// The same 50 commands (same ids) sent from two connections in opposite orders, as a
/// device might resend its queue: each command is applied once, and both answers give each
/// command the same outcome (on PostgreSQL the two transactions claim the same ids in
/// opposite orders and meet in a deadlock).
async fn the_same_commands_in_opposite_orders_from_two_connections_apply_once(backend: Backend) {
    let s = start(backend).await;
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let items = fifty_dispatched(&s, &sup, f.unit_a, None).await;
    let urges: Vec<Value> = items
        .iter()
        .map(|t| {
            simple(
                t,
                "urge",
                json!({"channel": "message", "note": "请加快办理"}),
            )
        })
        .collect();
    let reversed: Vec<Value> = urges.iter().rev().cloned().collect();
    let events_before = event_count(&s).await;
    let outcomes = race(&s, (sup.as_str(), urges), (sup.as_str(), reversed)).await;
    assert_eq!(outcomes.len(), BATCH);
    for (t, (a, b)) in &outcomes {
        assert_eq!(a["status"], "accepted", "{t}: {a}");
        assert_eq!(a, b, "{t}: one command, one outcome");
    }
    assert_eq!(
        event_count(&s).await - events_before,
        BATCH as i64,
        "each urged once"
    );
    for t in &items {
        assert_eq!(item_state(&s, &sup, t).await.1, 3, "{t}");
    }
    check_feed(&s.state.db).await;
}

on_both!(the_same_commands_in_opposite_orders_from_two_connections_apply_once);

// 4. Four writers and a polling reader.

async fn four_writers_of_batches_and_a_polling_reader_see_no_gap(backend: Backend) {
    const WRITERS: usize = 4;
    const ROUNDS: usize = 3;
    let s = start(backend).await;
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let start_at = s.get(&sup, "/api/v1/sync/pull").await.expect(200)["next"]
        .as_i64()
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        // Each writer is a device of its own: a session of its own.
        let token = login_on(&s, "supervisor", &format!("writer-{w}")).await;
        let (http, base) = (reqwest::Client::new(), s.base.clone());
        let (unit_a, unit_b) = (f.unit_a, f.unit_b);
        writers.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                let mut batch = Vec::new();
                for n in 0..BATCH / 2 {
                    let t = tid();
                    let unit = if n % 2 == 0 { unit_a } else { unit_b };
                    batch.push(register(&t, &format!("写入者{w}第{round}轮第{n}项")));
                    batch.push(dispatch(&t, unit, None));
                }
                let (status, body) =
                    push_raw(http.clone(), base.clone(), token.clone(), batch).await;
                assert_eq!(status, 200, "{body}");
                let results = body["results"].as_array().expect("results");
                assert_eq!(results.len(), BATCH);
                assert!(results.iter().all(|r| r["status"] == "accepted"), "{body}");
            }
        }));
    }
    let reader = {
        let (http, base, token, done) = (
            reqwest::Client::new(),
            s.base.clone(),
            sup.clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            let mut seen: Vec<i64> = Vec::new();
            let mut last = start_at;
            let mut after = start_at;
            let mut polls = 0;
            let mut during = 0;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let res = http
                    .get(format!("{base}/api/v1/sync/pull?after={after}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("pull");
                assert_eq!(res.status(), 200);
                let r: Value = res.json().await.expect("json");
                polls += 1;
                let changes = r["changes"].as_array().expect("changes");
                if !finished && !changes.is_empty() {
                    during += 1;
                }
                for c in changes {
                    let seq = c["seq"].as_i64().expect("seq");
                    assert!(seq > last, "the feed goes forward: {seq} after {last}");
                    last = seq;
                    if c["type"] == "event" {
                        seen.push(seq);
                    }
                }
                after = r["next"].as_i64().expect("next");
                let more = r["more"].as_bool().expect("more");
                if finished && !more {
                    return (seen, polls, during);
                }
                if !more {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        })
    };
    for w in writers {
        w.await.expect("a writer");
    }
    done.store(true, Ordering::SeqCst);
    let (seen, polls, during) = reader.await.expect("the reader");
    assert!(
        during >= 2,
        "the reader read while the writers wrote ({during} of {polls} polls)"
    );

    let items = WRITERS * ROUNDS * BATCH / 2;
    let all: Vec<i64> = s
        .pull_all(&sup, start_at)
        .await
        .iter()
        .filter(|c| c["type"] == "event")
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        all.len(),
        2 * items,
        "registered and dispatched, every item"
    );
    eprintln!(
        "{backend:?}: {} events read in {polls} polls, {during} of them with news while the \
         writers wrote",
        seen.len()
    );
    assert_eq!(seen, all, "every event seen once, in order, none skipped");
    let events = check_feed(&s.state.db).await;
    let in_db: Vec<i64> = events
        .iter()
        .filter(|e| e.0 > start_at)
        .map(|e| e.0)
        .collect();
    assert_eq!(seen, in_db);
    // The four writers' registrations got a number each, none twice.
    let numbers: BTreeSet<String> = events
        .iter()
        .filter(|e| e.3["kind"]["event"] == "registered")
        .map(|e| e.3["kind"]["number"].to_string())
        .collect();
    assert_eq!(numbers.len(), items, "numbers are unique");
}

on_both!(four_writers_of_batches_and_a_polling_reader_see_no_gap);
