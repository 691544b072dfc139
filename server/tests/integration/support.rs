//! The test harness: a real server on `127.0.0.1:0` over a fresh database — SQLite in a
//! temporary directory, or a new database on the PostgreSQL server named by `DUBAN_TEST_PG`
//! (`scripts/test` starts a throwaway cluster with `pg_virtualenv` and sets it) — and a
//! small organisation to act in.
//!
//! `both!(name, |s| async move { … })` writes a test that runs on SQLite and on PostgreSQL.

use std::path::PathBuf;
use std::sync::OnceLock;

use duban_core::domain::{Role, UnitId, UserId};
use duban_server::config::Config;
use duban_server::db::Db;
use duban_server::org::{write_person, write_unit, PersonInput, UnitInput};
use duban_server::{app, AppState};
use serde_json::{json, Value};

/// The password of every fixture account.
pub const PASSWORD: &str = "password-123";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in a temporary directory.
    Sqlite,
    /// A fresh database on `DUBAN_TEST_PG`.
    Postgres,
}

/// Runs a test body on both backends.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = $crate::support::start($crate::support::Backend::Sqlite).await;
                ($body)(s).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s = $crate::support::start($crate::support::Backend::Postgres).await;
                ($body)(s).await;
            }
        }
    };
}

/// A new empty directory under the system's temporary directory.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("duban-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The PostgreSQL server to test against.
pub fn pg_url() -> String {
    std::env::var("DUBAN_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "DUBAN_TEST_PG is not set: run the tests with scripts/test (it starts a throwaway \
             PostgreSQL cluster with pg_virtualenv), or set DUBAN_TEST_PG=postgres://user:pw@host:port/postgres"
        )
    })
}

/// A fresh, migrated database on `backend` (SQLite in `dir`).
pub async fn fresh_db(backend: Backend, dir: &std::path::Path) -> Db {
    match backend {
        Backend::Sqlite => Db::open(None, dir, 4).await.expect("open sqlite"),
        Backend::Postgres => {
            let url = duban_server::db::postgres::create_database(&pg_url(), "duban_t")
                .await
                .expect("create a database on DUBAN_TEST_PG");
            Db::open(Some(&url), dir, 4).await.expect("open postgres")
        }
    }
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The client.
    pub http: reqwest::Client,
    /// The server's state (for direct database checks).
    pub state: AppState,
}

/// Starts a server on a fresh database.
pub async fn start(backend: Backend) -> Server {
    start_with(backend, Config::default()).await
}

/// Starts a server with a configuration (its data dir and listen address are replaced).
pub async fn start_with(backend: Backend, mut config: Config) -> Server {
    let dir = temp_dir();
    config.data_dir = dir.clone();
    let db = fresh_db(backend, &dir).await;
    let state = AppState::with_db(db, config).await.expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    Server {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        state,
    }
}

/// The answer to a request: status and JSON body (`Value::Null` if the body is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body as JSON.
    pub body: Value,
}

impl Reply {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        self.body
    }

    /// Asserts an error of this status and code in the common shape.
    #[track_caller]
    pub fn error(self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

impl Server {
    /// Any request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let bytes = res.bytes().await.expect("body");
        Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// GET.
    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    /// POST JSON.
    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.call(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    /// The one integer a query answers, read straight from the database (`COUNT(*)` …).
    pub async fn scalar(&self, sql: &str, args: Vec<duban_server::db::Val>) -> i64 {
        self.state
            .db
            .row(sql, args)
            .await
            .expect("query")
            .expect("a row")
            .int(0)
            .expect("an integer")
    }

    /// Rows in the change feed.
    pub async fn changes_count(&self) -> i64 {
        self.scalar("SELECT COUNT(*) FROM changes", vec![]).await
    }

    /// Signs in and returns the token.
    pub async fn login(&self, username: &str) -> String {
        self.login_with(username, PASSWORD).await
    }

    /// Signs in through the API with `password` (the demo's, say); returns the token.
    pub async fn login_with(&self, username: &str, password: &str) -> String {
        let r = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await
            .expect(200);
        r["token"].as_str().expect("token").to_owned()
    }

    /// Pushes commands; returns the outcomes.
    pub async fn push(&self, token: &str, commands: Vec<Value>) -> Vec<Value> {
        let r = self
            .post(token, "/api/v1/sync/push", json!({ "commands": commands }))
            .await
            .expect(200);
        r["results"].as_array().expect("results").clone()
    }

    /// Pushes one command and asserts it was accepted; returns the outcome.
    pub async fn ok(&self, token: &str, command: Value) -> Value {
        let out = self.push(token, vec![command]).await.remove(0);
        assert_eq!(out["status"], "accepted", "{out}");
        out
    }

    /// Pushes one command and asserts the rules refused it with `code`.
    pub async fn refused(&self, token: &str, command: Value, code: &str) {
        let out = self.push(token, vec![command]).await.remove(0);
        assert_eq!(out["status"], "rejected", "{out}");
        assert_eq!(out["code"], code, "{out}");
    }

    /// All changes after `after`, following pages.
    pub async fn pull_all(&self, token: &str, after: i64) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = after;
        loop {
            let r = self
                .get(token, &format!("/api/v1/sync/pull?after={after}&limit=500"))
                .await
                .expect(200);
            out.extend(r["changes"].as_array().expect("changes").iter().cloned());
            after = r["next"].as_i64().expect("next");
            if !r["more"].as_bool().expect("more") {
                return out;
            }
        }
    }

    /// The organisation of [`Fixture`], written directly.
    pub async fn fixture(&self) -> Fixture {
        let f = Fixture::default();
        let at = chrono::Utc::now().timestamp_millis();
        for (id, parent, name) in [
            (f.root, None, "县政府"),
            (f.office, Some(f.root), "督查室"),
            (f.unit_a, Some(f.root), "交通运输局"),
            (f.unit_a1, Some(f.unit_a), "公路股"),
            (f.unit_b, Some(f.root), "教育局"),
        ] {
            let org = self.state.org.latest(&self.state.db).await.expect("org");
            let mut tx = self.state.db.write().await.expect("tx");
            let input = UnitInput {
                id: Some(id),
                parent,
                name: name.into(),
                name_en: String::new(),
                sort: 0,
                short_name: String::new(),
                aliases: Vec::new(),
                retired: false,
                peer_group: String::new(),
            };
            write_unit(&mut tx, &org, &input, id, at)
                .await
                .expect("unit");
            tx.commit().await.expect("commit");
        }
        let org = self.state.org.latest(&self.state.db).await.expect("org");
        let mut tx = self.state.db.write().await.expect("tx");
        for (id, username, unit, roles, in_charge) in f.people() {
            let input = PersonInput {
                id: Some(id),
                username: username.into(),
                name: username.into(),
                unit,
                position: String::new(),
                roles,
                in_charge,
                phone: None,
                password: None,
                active: true,
            };
            write_person(&mut tx, &org, &input, id, Some(password_hash()), at)
                .await
                .expect("person");
        }
        tx.commit().await.expect("commit");
        f
    }
}

/// One argon2 hash of [`PASSWORD`], made once.
pub fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| duban_server::auth::hash_password(PASSWORD).expect("hash"))
        .clone()
}

/// A small organisation: the county (root) with the supervision office, unit A (transport)
/// with sub-unit A1, and unit B (education); one account per role.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// 县政府.
    pub root: UnitId,
    /// 督查室.
    pub office: UnitId,
    /// Unit A.
    pub unit_a: UnitId,
    /// A1, below A.
    pub unit_a1: UnitId,
    /// Unit B.
    pub unit_b: UnitId,
    /// `admin` (Admin, office).
    pub admin: UserId,
    /// `leader` (MainLeader, root).
    pub leader: UserId,
    /// `deputy` (DeputyLeader in charge of A, root).
    pub deputy: UserId,
    /// `supervisor` (Supervisor, office).
    pub supervisor: UserId,
    /// `inspector` (Inspector, office).
    pub inspector: UserId,
    /// `head-a` (UnitHead of A).
    pub head_a: UserId,
    /// `staff-a` (Staff of A).
    pub staff_a: UserId,
    /// `staff-a2` (Staff of A).
    pub staff_a2: UserId,
    /// `staff-a1` (Staff of A1).
    pub staff_a1: UserId,
    /// `head-b` (UnitHead of B).
    pub head_b: UserId,
    /// `staff-b` (Staff of B).
    pub staff_b: UserId,
}

impl Default for Fixture {
    fn default() -> Fixture {
        Fixture {
            root: UnitId::from_u128(0x100),
            office: UnitId::from_u128(0x101),
            unit_a: UnitId::from_u128(0x10a),
            unit_a1: UnitId::from_u128(0x10a1),
            unit_b: UnitId::from_u128(0x10b),
            admin: UserId::from_u128(0x200),
            leader: UserId::from_u128(0x201),
            deputy: UserId::from_u128(0x202),
            supervisor: UserId::from_u128(0x203),
            inspector: UserId::from_u128(0x204),
            head_a: UserId::from_u128(0x20a),
            staff_a: UserId::from_u128(0x20a1),
            staff_a2: UserId::from_u128(0x20a2),
            staff_a1: UserId::from_u128(0x20a3),
            head_b: UserId::from_u128(0x20b),
            staff_b: UserId::from_u128(0x20b1),
        }
    }
}

type PersonRow = (UserId, &'static str, Option<UnitId>, Vec<Role>, Vec<UnitId>);

impl Fixture {
    /// Every account: (id, username, unit, roles, units in charge).
    pub fn people(&self) -> Vec<PersonRow> {
        vec![
            (
                self.admin,
                "admin",
                Some(self.office),
                vec![Role::Admin],
                vec![],
            ),
            (
                self.leader,
                "leader",
                Some(self.root),
                vec![Role::MainLeader],
                vec![],
            ),
            (
                self.deputy,
                "deputy",
                Some(self.root),
                vec![Role::DeputyLeader],
                vec![self.unit_a],
            ),
            (
                self.supervisor,
                "supervisor",
                Some(self.office),
                vec![Role::Supervisor],
                vec![],
            ),
            (
                self.inspector,
                "inspector",
                Some(self.office),
                vec![Role::Inspector],
                vec![],
            ),
            (
                self.head_a,
                "head-a",
                Some(self.unit_a),
                vec![Role::UnitHead],
                vec![],
            ),
            (
                self.staff_a,
                "staff-a",
                Some(self.unit_a),
                vec![Role::Staff],
                vec![],
            ),
            (
                self.staff_a2,
                "staff-a2",
                Some(self.unit_a),
                vec![Role::Staff],
                vec![],
            ),
            (
                self.staff_a1,
                "staff-a1",
                Some(self.unit_a1),
                vec![Role::Staff],
                vec![],
            ),
            (
                self.head_b,
                "head-b",
                Some(self.unit_b),
                vec![Role::UnitHead],
                vec![],
            ),
            (
                self.staff_b,
                "staff-b",
                Some(self.unit_b),
                vec![Role::Staff],
                vec![],
            ),
        ]
    }
}

/// A fresh command id.
pub fn cid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh item id.
pub fn tid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `register` of an item (category `meeting_decision`, Internal unless changed).
pub fn register(task: &str, title: &str) -> Value {
    register_with(task, title, "meeting_decision", "internal", json!({}))
}

/// `register` with category, visibility and attributes.
pub fn register_with(
    task: &str,
    title: &str,
    category: &str,
    visibility: &str,
    attributes: Value,
) -> Value {
    json!({
        "id": cid(), "task": task,
        "command": {
            "command": "register",
            "category": category,
            "number": {"prefix": "议", "year": 2026, "seq": 1},
            "title": title,
            "content": "会议议定事项,请抓好落实。",
            "source": "meeting",
            "urgency": "normal",
            "visibility": visibility,
            "deadline": null,
            "attributes": attributes,
            "attachments": [],
            "milestones": [],
            "instructing_leader": null,
            "approval_chain": [],
            "recurrence": null,
            "parent": null,
            "batch": null
        }
    })
}

/// `dispatch` to a lead unit (and optionally a person in it).
pub fn dispatch(task: &str, unit: UnitId, user: Option<UserId>) -> Value {
    json!({
        "id": cid(), "task": task,
        "command": {
            "command": "dispatch",
            "lead": {"unit": unit, "user": user},
            "participants": [],
            "responsible_leader": null,
            "deputy_leader": null,
            "reviewer": null,
            "report_approver": null,
            "deadline": null,
            "report_every": null
        }
    })
}

/// A command without fields (`receive`, `follow`, …) or with the given ones.
/// `register_with` for a 12345 work order: its intake (a complaint by phone, called in long
/// before any test clock) besides the caller's data in `attributes`.
pub fn register_order(task: &str, title: &str, visibility: &str, attributes: Value) -> Value {
    let mut r = register_with(task, title, "hotline", visibility, attributes);
    r["command"]["order"] = json!({
        "line": "citizen",
        "called_at": "2020-01-06T01:00:00Z",
        "kind": "complaint",
        "channel": "phone",
        "subject": title,
    });
    r
}

/// The hotline office accepts the work order (受理).
pub fn accept_order(task: &str) -> Value {
    simple(task, "accept_order", json!({"note": ""}))
}

pub fn simple(task: &str, command: &str, fields: Value) -> Value {
    let mut c = fields;
    c["command"] = json!(command);
    json!({"id": cid(), "task": task, "command": c})
}

/// What a `duban serve --log-format json` process logs as its address, read off its stderr
/// on a thread of its own (so the pipe never fills).
pub fn logged_address(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if let Some(addr) = v["fields"]["address"].as_str() {
                    let _ = tx.send(addr.to_owned());
                }
            }
        }
    });
    rx
}

/// Waits until the server at `base` answers `/readyz` with 200, at most `within`.
pub async fn wait_ready(http: &reqwest::Client, base: &str, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server at {base} did not come up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
