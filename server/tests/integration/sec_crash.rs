//! The server killed mid-push, ten times on each backend: `duban serve` runs as a child
//! process on SQLite and on PostgreSQL, four accounts push batches of commands at it
//! concurrently, and it is killed with SIGKILL after a varied delay while those pushes are in
//! flight. After each kill it is started again on the same database and every command of the
//! round is resent with the same id until it has an outcome. Afterwards every command was
//! applied once (each event in the feed belongs to exactly one command's stored outcome, and
//! a resent command gets back the outcome it first got), every item's trail verifies up to
//! its recorded head, and the feed's sequence numbers run from 1 to its counter with no gap.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use duban_core::domain::trail::{verify_with_head, Hash, TrailEntry};
use duban_core::domain::TaskId;
use duban_server::config::Config;
use duban_server::db::Db;
use duban_server::AppState;
use serde_json::{json, Value};

use crate::support::{
    dispatch, logged_address, pg_url, register, simple, tid, wait_ready, Backend, Fixture, Server,
    PASSWORD,
};

/// Kills per backend.
const ROUNDS: usize = 10;
/// New items the supervisor registers and dispatches in each round.
const ITEMS: usize = 8;
/// Commands per push: small, so that a kill finds pushes before, in and after flight.
const BATCH: usize = 3;

/// A small xorshift generator; the seed is printed so that a failure can be replayed with
/// `DUBAN_CRASH_SEED`.
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn new() -> Dice {
        let seed = std::env::var("DUBAN_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
                    | 1
            });
        eprintln!("server crash test seed: DUBAN_CRASH_SEED={seed}");
        Dice(seed)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A `duban serve` process, killed with SIGKILL when dropped (also when the test fails).
pub(crate) struct Serve {
    child: Child,
    pub(crate) base: String,
}

impl Serve {
    /// Starts the binary on the database; waits until it is ready.
    pub(crate) async fn start(database: Option<&str>, dir: &Path) -> Serve {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duban"));
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            // Nothing but the pushes writes: no reminders or deliveries of the server's own.
            .args(["--scheduler-seconds", "0", "--delivery-seconds", "0"])
            .arg("--data-dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(url) = database {
            cmd.args(["--database", url]);
        }
        let mut child = cmd.spawn().expect("start duban");
        let rx = logged_address(&mut child);
        // Owned from here on: a panic below kills the process.
        let mut serve = Serve {
            child,
            base: String::new(),
        };
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(120)))
            .await
            .expect("join")
            .expect("the server logs its address");
        serve.base = format!("http://{addr}");
        wait_ready(
            &reqwest::Client::new(),
            &serve.base,
            Duration::from_secs(120),
        )
        .await;
        serve
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        // std's kill is SIGKILL on Unix.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One account's share of a round: its commands, pushed in batches of `batch`.
pub(crate) struct Share {
    pub(crate) token: String,
    pub(crate) commands: Vec<Value>,
    pub(crate) batch: usize,
}

/// Pushes a share's batches one after another until one fails (the server died), counting
/// the batches answered in `progress`; returns the outcomes it was answered, by command id.
async fn push_until_killed(
    http: reqwest::Client,
    base: String,
    share: (String, Vec<Value>, usize),
    progress: Arc<AtomicUsize>,
) -> BTreeMap<String, Value> {
    let (token, commands, size) = share;
    let mut answered = BTreeMap::new();
    for batch in commands.chunks(size) {
        let sent = http
            .post(format!("{base}/api/v1/sync/push"))
            .bearer_auth(&token)
            .json(&json!({ "commands": batch }))
            .timeout(Duration::from_secs(60))
            .send()
            .await;
        let Ok(res) = sent else { break };
        if res.status() != 200 {
            break;
        }
        let Ok(body) = res.json::<Value>().await else {
            break;
        };
        let results = body["results"].as_array().expect("results");
        assert_eq!(results.len(), batch.len());
        for r in results {
            answered.insert(r["id"].as_str().expect("id").to_owned(), r.clone());
        }
        progress.fetch_add(1, Ordering::SeqCst);
    }
    answered
}

/// Resends a share's commands, same ids, until every one has an outcome; each must be
/// accepted.
pub(crate) async fn resend(
    http: &reqwest::Client,
    base: &str,
    share: &Share,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for batch in share.commands.chunks(share.batch) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let body: Value = loop {
            let res = http
                .post(format!("{base}/api/v1/sync/push"))
                .bearer_auth(&share.token)
                .json(&json!({ "commands": batch }))
                .send()
                .await;
            match res {
                Ok(r) if r.status() == 200 => break r.json().await.expect("json"),
                other => {
                    assert!(Instant::now() < deadline, "no outcome: {other:?}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        let results = body["results"].as_array().expect("results");
        assert_eq!(results.len(), batch.len());
        for (c, r) in batch.iter().zip(results) {
            assert_eq!(r["id"], c["id"]);
            assert_eq!(r["status"], "accepted", "{r}");
            out.insert(r["id"].as_str().expect("id").to_owned(), r.clone());
        }
    }
    out
}

/// Pushes every share at once and kills the server once a random number of batches were
/// answered, and up to `jitter_ms` milliseconds more; returns the outcomes answered, by
/// command id, and whether a push was still under way when the server died.
pub(crate) async fn push_and_kill(
    http: &reqwest::Client,
    server: Serve,
    shares: &[Share],
    dice: &mut Dice,
    jitter_ms: u64,
    round: &str,
) -> (BTreeMap<String, Value>, bool) {
    let progress = Arc::new(AtomicUsize::new(0));
    let batches: usize = shares
        .iter()
        .map(|s| s.commands.len().div_ceil(s.batch))
        .sum();
    let pushes: Vec<_> = shares
        .iter()
        .map(|s| {
            tokio::spawn(push_until_killed(
                http.clone(),
                server.base.clone(),
                (s.token.clone(), s.commands.clone(), s.batch),
                progress.clone(),
            ))
        })
        .collect();
    let target = dice.below(batches as u64 - 1) as usize;
    while progress.load(Ordering::SeqCst) < target && !pushes.iter().all(|p| p.is_finished()) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let delay = dice.below(jitter_ms);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    let unfinished = pushes.iter().filter(|p| !p.is_finished()).count();
    drop(server);
    let mut answered = BTreeMap::new();
    for p in pushes {
        answered.extend(p.await.expect("join"));
    }
    let total: usize = shares.iter().map(|s| s.commands.len()).sum();
    eprintln!(
        "{round}: killed {delay} ms after {target} of {batches} batches were answered, \
         {unfinished} pushes in flight; {} of {total} commands answered",
        answered.len()
    );
    (answered, unfinished > 0)
}

/// Resends every share to the restarted server: a command answered before the kill gets
/// the same outcome; each outcome is added to `outcomes` under its (fresh) id.
pub(crate) async fn resend_all(
    http: &reqwest::Client,
    base: &str,
    shares: &[Share],
    answered: &BTreeMap<String, Value>,
    outcomes: &mut BTreeMap<String, Value>,
) {
    for share in shares {
        for (id, outcome) in resend(http, base, share).await {
            if let Some(first) = answered.get(&id) {
                assert_eq!(first, &outcome, "a resent command gets its first outcome");
            }
            assert!(outcomes.insert(id, outcome).is_none(), "ids are fresh");
        }
    }
}

/// Signs in on a running process.
pub(crate) async fn login(http: &reqwest::Client, base: &str, username: &str) -> String {
    let r: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    r["token"].as_str().expect("token").to_owned()
}

/// The fixture organisation, written straight into the database before the first start.
pub(crate) async fn seed(database: Option<&str>, dir: &Path) -> Fixture {
    let db = Db::open(database, dir, 2).await.expect("open");
    let state = AppState::with_db(
        db,
        Config {
            data_dir: dir.to_owned(),
            ..Config::default()
        },
    )
    .await
    .expect("state");
    let server = Server {
        base: String::new(),
        http: reqwest::Client::new(),
        state,
    };
    let f = server.fixture().await;
    server.state.db.close().await;
    f
}

/// Ten rounds of push, SIGKILL, restart and resend on one database, then the checks.
async fn kill_mid_push(backend: Backend) {
    let dir: PathBuf = std::env::temp_dir().join(format!("duban-kill-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(
            duban_server::db::postgres::create_database(&pg_url(), "duban_k")
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
    // Every command sent, by id, with the outcome it ended with.
    let mut outcomes: BTreeMap<String, Value> = BTreeMap::new();
    // The items of the previous round, by the staff member who leads them.
    let mut previous: Vec<(String, &str)> = Vec::new();
    let mut killed_in_flight = 0;
    for round in 0..ROUNDS {
        // The supervisor registers and dispatches new items and urges last round's; each
        // lead receives last round's items and reports progress on them, all at once.
        // Urging may be repeated, so an urging applied twice shows as two events; the
        // supervisor's urgings are spread through its pushes.
        let mut supervisor = Vec::new();
        let mut current = Vec::new();
        for n in 0..ITEMS {
            let task = tid();
            let (unit, lead) = if n % 2 == 0 {
                (f.unit_a, (f.staff_a, "staff-a"))
            } else {
                (f.unit_b, (f.staff_b, "staff-b"))
            };
            if let Some((earlier, _)) = previous.get(n) {
                supervisor.push(simple(
                    earlier,
                    "urge",
                    json!({"channel": "message", "note": "请加快办理"}),
                ));
            }
            supervisor.push(register(&task, &format!("第{round}轮第{n}项")));
            supervisor.push(dispatch(&task, unit, Some(lead.0)));
            current.push((task, lead.1));
        }
        let mut leads: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (task, lead) in &previous {
            let mine = leads.entry(lead).or_default();
            mine.push(simple(task, "receive", json!({})));
            mine.push(simple(
                task,
                "report_progress",
                json!({
                    "report": {"id": tid(), "text": "正在办理", "evidence": []},
                    "percent": 30, "milestone": null, "answers": null
                }),
            ));
        }
        let mut shares = vec![Share {
            token: tokens["supervisor"].clone(),
            commands: supervisor,
            batch: BATCH,
        }];
        for (lead, commands) in leads {
            shares.push(Share {
                token: tokens[lead].clone(),
                commands,
                batch: BATCH,
            });
        }

        // Push, and kill the server while the pushes are under way.
        let (answered, in_flight) = push_and_kill(
            &http,
            server,
            &shares,
            &mut dice,
            15,
            &format!("{backend:?} round {round}"),
        )
        .await;
        if in_flight {
            killed_in_flight += 1;
        }

        // Start again on the same database and resend everything, same ids.
        server = Serve::start(database, &dir).await;
        resend_all(&http, &server.base, &shares, &answered, &mut outcomes).await;
        previous = current;
    }
    drop(server);
    assert!(
        killed_in_flight >= ROUNDS / 2,
        "most kills land while pushes are in flight ({killed_in_flight} of {ROUNDS})"
    );

    // The checks, on the database the processes left behind.
    let db = Db::open(database, &dir, 2).await.expect("reopen");
    // Each command once: one stored outcome per id, and no other commands.
    let stored = db
        .rows("SELECT id, outcome FROM commands", vec![])
        .await
        .expect("commands");
    assert_eq!(
        stored.len(),
        outcomes.len(),
        "one stored outcome per command"
    );
    for r in &stored {
        let id = r.text(0).unwrap();
        let outcome: Value = serde_json::from_str(&r.text(1).unwrap()).expect("outcome json");
        assert_eq!(
            outcomes.get(&id),
            Some(&outcome),
            "command {id}: the stored outcome is the one answered"
        );
    }
    // Each event in the feed is one of exactly one command's outcome, and the reverse.
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
    let events = db
        .rows(
            "SELECT seq, task, task_seq, hash, body FROM changes WHERE kind = 'event' ORDER BY task, task_seq",
            vec![],
        )
        .await
        .expect("events");
    let in_feed: BTreeSet<i64> = events.iter().map(|r| r.int(0).unwrap()).collect();
    assert_eq!(
        in_feed,
        claimed.keys().copied().collect::<BTreeSet<_>>(),
        "the feed's events are exactly the commands' outcomes: none doubled, none lost"
    );
    // What should have happened, happened once: per item one registration, dispatch and
    // receipt; one urging and one progress report for each sent.
    let mut kinds: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &events {
        let body: Value = serde_json::from_str(&r.text(4).unwrap()).unwrap();
        let kind = body["kind"]["event"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *kinds.entry((r.text(1).unwrap(), kind)).or_default() += 1;
    }
    for ((task, kind), n) in &kinds {
        if ["registered", "dispatched", "received"].contains(&kind.as_str()) {
            assert_eq!(*n, 1, "{kind} on {task}");
        }
    }
    let items = ROUNDS * ITEMS;
    let count = |kind: &str| {
        kinds
            .iter()
            .filter(|((_, k), _)| k == kind)
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert_eq!(count("registered"), items);
    assert_eq!(count("dispatched"), items);
    assert_eq!(count("received"), items - ITEMS);
    assert_eq!(count("urged"), items - ITEMS);
    assert_eq!(count("progress_reported"), items - ITEMS);

    // Every trail verifies, up to the head the item records.
    let heads = db
        .rows("SELECT id, version, head FROM tasks", vec![])
        .await
        .expect("tasks");
    assert_eq!(heads.len(), items);
    let mut trails: BTreeMap<String, Vec<TrailEntry>> = BTreeMap::new();
    for r in &events {
        let task = r.text(1).unwrap();
        let trail = trails.entry(task.clone()).or_default();
        let prev = trail.last().map_or(Hash::GENESIS, |e| e.hash);
        trail.push(TrailEntry {
            task: TaskId(task.parse().unwrap()),
            seq: r.int(2).unwrap() as u64,
            prev,
            hash: Hash::from_hex(&r.text(3).unwrap()).expect("hex"),
            event: serde_json::from_str(&r.text(4).unwrap()).expect("event"),
        });
    }
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

    // The feed has no gap: 1, 2, … up to its counter.
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
    db.close().await;
    eprintln!(
        "{backend:?}: {ROUNDS} kills, {} commands, {} feed rows, {:.1} s",
        outcomes.len(),
        seqs.len(),
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_mid_push_ten_times_applies_each_command_once_sqlite() {
    kill_mid_push(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_mid_push_ten_times_applies_each_command_once_postgres() {
    kill_mid_push(Backend::Postgres).await;
}
