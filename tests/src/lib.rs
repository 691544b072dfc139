//! The end-to-end harness: the real server, in-process, over a fresh database — SQLite in a
//! temporary directory, or a new database on the PostgreSQL server named by `DUBAN_TEST_PG`
//! (`scripts/test` starts a throwaway cluster with `pg_virtualenv` and sets it) — behind a
//! TCP [`Proxy`] that can cut the line, with the [`fixture`] organisation already made.
//!
//! Phones under test talk to [`TestServer::url`] (the proxy); the test itself checks what
//! happened with the helpers that go straight to the server ([`TestServer::login`],
//! [`TestServer::get`], [`TestServer::send`], [`TestServer::server_trail`],
//! [`TestServer::scalar`]). On SQLite, [`TestServer::backup`] and
//! [`TestServer::restart_from`] put the server back to an earlier state behind the same URL,
//! as an administrator restoring a backup would.
//!
//! `both!(name, |s: TestServer| async move { … })` writes a scenario that runs on SQLite and on
//! PostgreSQL, each within [`SCENARIO_LIMIT`].

pub mod fixture;
pub mod proxy;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use duban_server::config::Config;
use duban_server::db::Db;
use duban_server::{app, AppState};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use duban_core::domain::{TaskId, UnitId, UserId};
pub use duban_server::db::Val;
pub use fixture::{ACCOUNTS, UNITS};
pub use proxy::Proxy;
pub use reqwest::{Method, StatusCode};

/// The password of every fixture account.
pub const PASSWORD: &str = "password-123";

/// The longest a scenario written with [`both!`] (or run through [`bounded`]) may take.
pub const SCENARIO_LIMIT: Duration = Duration::from_secs(180);

/// The longest the server may take to stop (requests in flight finish, the pool closes).
const STOP_LIMIT: Duration = Duration::from_secs(15);

/// The longest one request of the helpers may take.
const REQUEST_LIMIT: Duration = Duration::from_secs(30);

/// The name of the SQLite file in the data directory (see `duban_server::db::Db::open`).
const SQLITE_FILE: &str = "duban.sqlite3";

/// Which database a scenario runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in a temporary directory.
    Sqlite,
    /// A fresh database on `DUBAN_TEST_PG`.
    Postgres,
}

/// Writes `mod $name { sqlite(), postgres() }`: the scenario `|s: TestServer| async move { … }`
/// as two multi-thread tokio tests, one per [`Backend`], each given a fresh [`TestServer`]
/// and bounded by [`SCENARIO_LIMIT`].
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::bounded(async {
                    let s = $crate::TestServer::start($crate::Backend::Sqlite).await;
                    ($body)(s).await;
                })
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::bounded(async {
                    let s = $crate::TestServer::start($crate::Backend::Postgres).await;
                    ($body)(s).await;
                })
                .await;
            }
        }
    };
}

/// Runs a scenario, failing it if it takes longer than [`SCENARIO_LIMIT`].
pub async fn bounded<F: Future>(scenario: F) -> F::Output {
    match tokio::time::timeout(SCENARIO_LIMIT, scenario).await {
        Ok(out) => out,
        Err(_) => panic!("the scenario did not finish within {SCENARIO_LIMIT:?}"),
    }
}

/// A new empty directory under the system's temporary directory, for a client's store. It
/// is not removed afterwards.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("duban-e2e-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// The PostgreSQL server to test against (`DUBAN_TEST_PG`).
pub fn pg_url() -> String {
    std::env::var("DUBAN_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "DUBAN_TEST_PG is not set: run the tests with scripts/test (it starts a throwaway \
             PostgreSQL cluster with pg_virtualenv), or set \
             DUBAN_TEST_PG=postgres://user:password@host:port/postgres"
        )
    })
}

/// A server task and how to stop it.
struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Serves `state` on a free loopback port until told to stop (gracefully).
async fn serve(state: &AppState) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the server on 127.0.0.1:0");
    let addr = listener.local_addr().expect("the server's address");
    let (stop, stopped) = oneshot::channel::<()>();
    let router = app(state.clone());
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Running {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Signs in at `base` (the server's own address or the proxy's) on a device of its own, so
/// no other session of the person is replaced; returns the token.
pub async fn login_at(http: &reqwest::Client, base: &str, username: &str) -> String {
    let device = format!("harness-{}", uuid::Uuid::new_v4());
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD, "device": device}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("sign in as {username}: {e}"));
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "sign in as {username}: {body}");
    body["token"]
        .as_str()
        .unwrap_or_else(|| panic!("sign in as {username}: no token in {body}"))
        .to_owned()
}

/// The real server, in-process, behind a [`Proxy`], with the [`fixture`] organisation.
pub struct TestServer {
    backend: Backend,
    /// `data/` (the SQLite database) and `backups/`; removed when the server is dropped.
    root: tempfile::TempDir,
    config: Config,
    state: AppState,
    running: Running,
    proxy: Proxy,
    http: reqwest::Client,
    ids: fixture::Ids,
}

impl TestServer {
    /// Starts a server on a fresh database, its proxy, and makes the fixture organisation.
    pub async fn start(backend: Backend) -> TestServer {
        let root = tempfile::Builder::new()
            .prefix("duban-e2e-server-")
            .tempdir()
            .expect("create the server's temporary directory");
        let data_dir = root.path().join("data");
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                duban_server::db::postgres::create_database(&pg_url(), "duban_e2e")
                    .await
                    .expect("create a database on DUBAN_TEST_PG"),
            ),
        };
        let config = Config {
            data_dir,
            database,
            db_connections: 4,
            ..Config::default()
        };
        let state = open(&config).await;
        let running = serve(&state).await;
        let proxy = Proxy::start(running.addr).await;
        let http = reqwest::Client::builder()
            .timeout(REQUEST_LIMIT)
            .build()
            .expect("an HTTP client");
        let base = format!("http://{}", running.addr);
        let ids = fixture::build(&state, &http, &base).await;
        TestServer {
            backend,
            root,
            config,
            state,
            running,
            proxy,
            http,
            ids,
        }
    }

    /// The database it runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `http://127.0.0.1:PORT` of the proxy: the base URL for clients (they append
    /// `/api/v1/…`). It stays the same across [`TestServer::restart_from`].
    pub fn url(&self) -> String {
        self.proxy.url()
    }

    /// `http://127.0.0.1:PORT` of the server itself (it changes on a restart).
    pub fn server_url(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    /// The proxy.
    pub fn proxy(&self) -> &Proxy {
        &self.proxy
    }

    /// Cuts the line between clients and the server: see [`Proxy::cut`].
    pub fn cut(&self) {
        self.proxy.cut();
    }

    /// Gives the line back: see [`Proxy::restore`].
    pub fn restore(&self) {
        self.proxy.restore();
    }

    /// The running server's state (its database, for direct checks).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A fixture account's id, by username (see [`ACCOUNTS`]).
    #[track_caller]
    pub fn user(&self, name: &str) -> UserId {
        *self.ids.users.get(name).unwrap_or_else(|| {
            panic!(
                "no fixture account {name:?}; there are {:?}",
                self.ids.users.keys().collect::<Vec<_>>()
            )
        })
    }

    /// A fixture unit's id: `root`, `office`, `a`, `a1` or `b` (see [`UNITS`]).
    #[track_caller]
    pub fn unit(&self, name: &str) -> UnitId {
        *self.ids.units.get(name).unwrap_or_else(|| {
            panic!(
                "no fixture unit {name:?}; there are {:?}",
                self.ids.units.keys().collect::<Vec<_>>()
            )
        })
    }

    /// Signs in straight at the server (a device of its own) and returns the token.
    pub async fn login(&self, username: &str) -> String {
        login_at(&self.http, &self.server_url(), username).await
    }

    /// `GET path` (e.g. `/api/v1/auth/me`) straight at the server; the status and the body
    /// as JSON (`Value::Null` if it is not JSON).
    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(token, Method::GET, path, None).await
    }

    /// Any request straight at the server, with an optional JSON body; the status and the
    /// body as JSON (`Value::Null` if it is not JSON).
    pub async fn send(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: impl Into<Option<Value>>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.server_url()))
            .bearer_auth(token);
        if let Some(body) = body.into() {
            req = req.json(&body);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: reading the body: {e}"));
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Moves a person to another fixture unit through the admin API (the server tells their
    /// devices to resync).
    pub async fn move_user(&self, username: &str, unit_name: &str) {
        let unit = self.unit(unit_name);
        let admin = self.login("admin").await;
        let (status, accounts) = self.get(&admin, "/api/v1/admin/users").await;
        assert_eq!(status, StatusCode::OK, "list accounts: {accounts}");
        let account = accounts
            .as_array()
            .and_then(|all| all.iter().find(|a| a["username"] == username))
            .unwrap_or_else(|| panic!("no account {username:?}"))
            .clone();
        let mut input = json!({ "unit": unit });
        for field in [
            "username",
            "name",
            "position",
            "roles",
            "in_charge",
            "phone",
            "active",
        ] {
            input[field] = account[field].clone();
        }
        let path = format!(
            "/api/v1/admin/users/{}",
            account["id"].as_str().unwrap_or("")
        );
        let (status, body) = self.send(&admin, Method::PUT, &path, input).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "move {username} to {unit_name}: {body}"
        );
    }

    /// The item's trail as the server holds it: (task_seq, hash, event) in order.
    pub async fn server_trail(&self, task: TaskId) -> Vec<(u64, String, Value)> {
        let rows = self
            .state
            .db
            .rows(
                "SELECT task_seq, hash, body FROM changes \
                 WHERE task = $1 AND kind = 'event' ORDER BY task_seq",
                vec![Val::from(task.to_string())],
            )
            .await
            .expect("read the trail");
        rows.iter()
            .map(|r| {
                let seq = r.int(0).expect("task_seq");
                let hash = r.opt_text(1).expect("hash").unwrap_or_default();
                let body = r.text(2).expect("body");
                (
                    u64::try_from(seq).expect("a positive task_seq"),
                    hash,
                    serde_json::from_str(&body).expect("an event as JSON"),
                )
            })
            .collect()
    }

    /// The one integer a query answers, read straight from the database (`COUNT(*)` …).
    pub async fn scalar(&self, sql: &str, args: Vec<Val>) -> i64 {
        self.state
            .db
            .row(sql, args)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .unwrap_or_else(|| panic!("{sql}: no row"))
            .int(0)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The feed's head: its last sequence number.
    pub async fn head(&self) -> i64 {
        self.scalar("SELECT value FROM counters WHERE name = 'changes'", vec![])
            .await
    }

    /// A consistent copy of the SQLite database (`VACUUM INTO`), taken while the server runs.
    ///
    /// # Panics
    /// On PostgreSQL.
    pub async fn backup(&self) -> PathBuf {
        self.sqlite_only("backup");
        let dir = self.root.path().join("backups");
        std::fs::create_dir_all(&dir).expect("create the backups directory");
        let path = dir.join(format!("backup-{}.sqlite3", uuid::Uuid::new_v4()));
        let target = path.to_str().expect("a UTF-8 temporary path").to_owned();
        self.state
            .db
            .exec("VACUUM INTO $1", vec![Val::from(target)])
            .await
            .expect("VACUUM INTO the backup");
        path
    }

    /// Restores a [`TestServer::backup`]: stops the server (requests in flight finish, its
    /// pool closes), replaces its database with a copy of the backup (the WAL and shared
    /// memory files removed), and starts it again on the same data directory. The proxy keeps
    /// its port, so clients keep their URL; what they did after the backup is gone from the
    /// server, and tokens issued after it no longer sign in.
    ///
    /// # Panics
    /// On PostgreSQL.
    pub async fn restart_from(&mut self, backup: &Path) {
        self.sqlite_only("restart_from");
        assert!(backup.is_file(), "no backup at {}", backup.display());
        self.stop().await;
        let file = self.config.data_dir.join(SQLITE_FILE);
        assert!(
            file.is_file(),
            "the server's database is not at {} (see duban_server::db::Db::open)",
            file.display()
        );
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = PathBuf::from(format!("{}{suffix}", file.display()));
            if path.exists() {
                std::fs::remove_file(&path)
                    .unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
            }
        }
        std::fs::copy(backup, &file).expect("copy the backup into place");
        self.start_again().await;
    }

    /// Stops the server and starts it again on the same database (either backend); the
    /// proxy keeps its port.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    #[track_caller]
    fn sqlite_only(&self, what: &str) {
        assert_eq!(
            self.backend,
            Backend::Sqlite,
            "TestServer::{what} is for SQLite only"
        );
    }

    /// Stops the server gracefully and closes its pool; the proxy resets new connections
    /// meanwhile.
    async fn stop(&mut self) {
        if let Some(stop) = self.running.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(STOP_LIMIT, &mut self.running.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => panic!("the server stopped with an error: {e}"),
            Ok(Err(e)) => panic!("the server's task failed: {e}"),
            Err(_) => panic!("the server did not stop within {STOP_LIMIT:?}"),
        }
        self.proxy.set_upstream(None);
        tokio::time::timeout(STOP_LIMIT, self.state.db.close())
            .await
            .expect("the database pool closes");
    }

    /// Opens the database again, serves it and points the proxy at it.
    async fn start_again(&mut self) {
        self.state = open(&self.config).await;
        self.running = serve(&self.state).await;
        self.proxy.set_upstream(Some(self.running.addr));
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.running.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Opens the configured database (running migrations) and the server's state.
async fn open(config: &Config) -> AppState {
    let db = Db::open(
        config.database.as_deref(),
        &config.data_dir,
        config.db_connections,
    )
    .await
    .expect("open the database");
    AppState::with_db(db, config.clone())
        .await
        .expect("the server's state")
}
