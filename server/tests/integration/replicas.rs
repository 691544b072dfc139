//! Two `duban serve` processes on different ports against one PostgreSQL database, both
//! running the scheduler and the delivery worker every second, with FCM at a local endpoint
//! that speaks its protocol. The demo's due reminders, urgings and escalations fire, and
//! every notification is pushed: each command is applied exactly once, and each phone is
//! sent each notification exactly once.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use duban_core::domain::{Event, UserId};
use duban_server::db::Db;
use serde_json::json;

use crate::push::{fake_fcm, service_account, snapshot};
use crate::support::{dispatch, logged_address, pg_url, register, tid, wait_ready};

/// A `duban serve` process, stopped (SIGTERM) when dropped.
struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args`; waits until it is ready.
async fn replica(args: &[&str]) -> Replica {
    let dir = std::env::temp_dir().join(format!("duban-replica-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(args)
        .arg("--data-dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start duban");
    let rx = logged_address(&mut child);
    let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(240)))
        .await
        .expect("join")
        .expect("the server logs its address");
    let base = format!("http://{addr}");
    wait_ready(&reqwest::Client::new(), &base, Duration::from_secs(120)).await;
    Replica { child, base }
}

/// A JSON request to a replica: the answer's body, after checking its status is 200.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut req = http.request(method, &url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    assert_eq!(res.status(), 200, "{url}");
    res.json().await.expect("json")
}

async fn count(db: &Db, sql: &str) -> i64 {
    db.row(sql, vec![])
        .await
        .expect("count")
        .expect("a row")
        .int(0)
        .expect("int")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_send_each_reminder_and_each_push_exactly_once() {
    let url = duban_server::db::postgres::create_database(&pg_url(), "duban_r")
        .await
        .expect("a database");
    // The demo, seeded by a first process with neither scheduler nor delivery.
    {
        let seed = replica(&[
            "--database",
            &url,
            "--demo",
            "--scheduler-seconds",
            "0",
            "--delivery-seconds",
            "0",
        ])
        .await;
        // No quiet hours: the test runs at any hour.
        use reqwest::Method;
        let http = reqwest::Client::new();
        let api = |path: &str| format!("{}/api/v1{path}", seed.base);
        let login = |username: &str| {
            call(
                &http,
                Method::POST,
                api("/auth/login"),
                None,
                Some(json!({"username": username, "password": "duban-demo"})),
            )
        };
        let admin = login("admin").await;
        let token = admin["token"].as_str().expect("token");
        let mut policy = call(&http, Method::GET, api("/admin/policy"), Some(token), None).await;
        policy["delivery"]["quiet_hours"] = serde_json::Value::Null;
        call(
            &http,
            Method::PUT,
            api("/admin/policy"),
            Some(token),
            Some(policy),
        )
        .await;
        // Thirty more items due for their first reminder today: dispatched to a demo staff
        // member with a deadline a day and a half away (within 3 working days).
        let users = call(&http, Method::GET, api("/admin/users"), Some(token), None).await;
        let staff = users
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["roles"] == json!(["staff"]) && u["unit"].is_string())
            .expect("a staff member");
        let sup = login("supervisor").await;
        let deadline = chrono::Utc::now() + chrono::Duration::hours(36);
        let mut commands = Vec::new();
        for n in 0..30 {
            let task = tid();
            commands.push(register(&task, &format!("落实第{n}项整改")));
            let mut order = dispatch(
                &task,
                serde_json::from_value(staff["unit"].clone()).unwrap(),
                Some(serde_json::from_value(staff["id"].clone()).unwrap()),
            );
            order["command"]["deadline"] = json!(deadline);
            commands.push(order);
        }
        let pushed = call(
            &http,
            Method::POST,
            api("/sync/push"),
            sup["token"].as_str(),
            Some(json!({ "commands": commands })),
        )
        .await;
        let accepted = pushed["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["status"] == "accepted")
            .count();
        assert_eq!(accepted, 60, "{pushed}");
    }
    let db = Db::open(Some(&url), std::path::Path::new("."), 2)
        .await
        .expect("open");
    // One phone for every account.
    db.exec(
        "INSERT INTO devices (user_id, device, platform, provider, token, app_version, created_at, updated_at) \
         SELECT id, 'phone', 'android', 'fcm', 'tok-' || username, '1.0', 0, 0 FROM users",
        vec![],
    )
    .await
    .expect("devices");
    let before = count(&db, "SELECT COUNT(*) FROM commands").await;
    let seq_before = count(&db, "SELECT COALESCE(MAX(seq), 0) FROM changes").await;

    let (fcm_base, fcm) = fake_fcm(3600).await;
    let key = std::env::temp_dir().join(format!("duban-fcm-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&key, service_account(&fcm_base).to_string()).expect("key file");
    let key = key.to_string_lossy().into_owned();
    let args = [
        "--database",
        &url,
        "--scheduler-seconds",
        "1",
        "--delivery-seconds",
        "1",
        "--fcm-service-account",
        &key,
        "--fcm-url",
        &fcm_base,
    ];
    let (a, b) = tokio::join!(replica(&args), replica(&args));
    assert_ne!(a.base, b.base, "two ports");

    // Until the scheduler is quiet and no delivery is due (bounded).
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut stable = 0;
    let mut last = -1;
    loop {
        let issued = count(&db, "SELECT COUNT(*) FROM commands").await;
        let due = count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') AND run_at <= {}",
                chrono::Utc::now().timestamp_millis()
            ),
        )
        .await;
        stable = if issued == last && due == 0 && issued > before {
            stable + 1
        } else {
            0
        };
        last = issued;
        if stable >= 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still busy: {issued} commands, {due} deliveries due"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    drop((a, b));

    // Each time-driven command once: no item has two alike from the system.
    let rows = db
        .rows(
            &format!("SELECT task, body FROM changes WHERE kind = 'event' AND seq > {seq_before} ORDER BY seq"),
            vec![],
        )
        .await
        .expect("events");
    let mut system: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &rows {
        let e: Event = serde_json::from_str(&r.text(1).unwrap()).unwrap();
        if e.actor == UserId::SYSTEM {
            let key = (
                r.opt_text(0).unwrap().unwrap_or_default(),
                serde_json::to_string(&e.kind).unwrap(),
            );
            *system.entry(key).or_default() += 1;
        }
    }
    assert!(
        system.len() >= 30,
        "the demo's due reminders and urgings fired: {system:?}"
    );
    for ((task, kind), n) in &system {
        assert_eq!(*n, 1, "{kind} on {task} {n} times");
    }
    // Each push once per phone and notification; as many as the notifications of the done
    // push jobs (one phone each); the deliveries table says the same.
    let sends: Vec<(String, String)> = snapshot(&fcm)
        .1
        .iter()
        .map(|(_, b)| {
            (
                b["message"]["token"].as_str().unwrap_or("").to_owned(),
                b["message"]["data"]["notification"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for s in &sends {
        assert!(seen.insert(s.clone()), "sent twice: {s:?}");
    }
    // The notifications the done push jobs carried (each job: one command's, at one time).
    let mut pushed = 0i64;
    for r in db
        .rows(
            "SELECT payload FROM jobs WHERE state = 'done' AND dedupe LIKE 'deliver:push:%'",
            vec![],
        )
        .await
        .expect("jobs")
    {
        let payload: serde_json::Value = serde_json::from_str(&r.text(0).unwrap()).unwrap();
        pushed += payload["notifications"].as_array().map_or(0, Vec::len) as i64;
    }
    let recorded = count(
        &db,
        "SELECT COUNT(*) FROM deliveries WHERE outcome = 'sent' AND channel = 'push'",
    )
    .await;
    assert!(sends.len() >= 10, "{} pushes", sends.len());
    eprintln!(
        "two replicas: {} time-driven commands, {} pushes",
        system.len(),
        sends.len()
    );
    assert_eq!(
        sends.len() as i64,
        pushed,
        "one push per notification a done push job carried (one phone each)"
    );
    assert_eq!(sends.len() as i64, recorded);
    let failed = count(
        &db,
        "SELECT COUNT(*) FROM deliveries WHERE outcome <> 'sent'",
    )
    .await;
    assert_eq!(failed, 0, "no send refused");
    let stuck = count(&db, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'").await;
    assert_eq!(stuck, 0);
}
