//! The fixture organisation every [`TestServer`](crate::TestServer) starts with: a county
//! government with its supervision office, a housing bureau (unit A) with one section (A1),
//! and an environment bureau (unit B), and one account per part a scenario needs.
//!
//! It is made the way an administrator would make it: the server has no bootstrap account
//! (no flag, no command creates one), so the first administrator is written with
//! [`duban_server::org::write_person`] — the function the admin API itself writes accounts
//! with — and everything else goes through the admin HTTP API (`POST /api/v1/admin/units`,
//! `POST /api/v1/admin/users`, `PUT /api/v1/admin/users/{id}`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use duban_core::domain::{Role, UnitId, UserId};
use duban_server::org::{check_person, write_person, PersonInput};
use duban_server::AppState;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::PASSWORD;

/// A unit of the fixture: (name in tests, parent's name in tests, name, English name).
pub type UnitRow = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
);

/// The units, parents first.
pub const UNITS: &[UnitRow] = &[
    ("root", None, "县政府", "County Government"),
    ("office", Some("root"), "督查室", "Supervision Office"),
    ("a", Some("root"), "住建局", "Housing Bureau"),
    ("a1", Some("a"), "城建股", "Urban Construction Section"),
    ("b", Some("root"), "环保局", "Environment Bureau"),
];

/// An account of the fixture: (username, name, unit's name in tests, role, position).
pub type AccountRow = (&'static str, &'static str, &'static str, Role, &'static str);

/// The accounts (password [`PASSWORD`]). `admin` comes first: it makes the others.
pub const ACCOUNTS: &[AccountRow] = &[
    ("admin", "系统管理员", "office", Role::Admin, "系统管理员"),
    ("leader", "张县长", "root", Role::MainLeader, "县长"),
    ("supervisor", "李督办", "office", Role::Supervisor, "督办员"),
    ("head-a", "王局长", "a", Role::UnitHead, "住建局局长"),
    ("worker", "赵工", "a", Role::Staff, "科员"),
    ("worker2", "钱工", "a", Role::Staff, "科员"),
    ("staff-b", "孙工", "b", Role::Staff, "科员"),
    ("head-b", "周局长", "b", Role::UnitHead, "环保局局长"),
];

/// The ids the server gave the fixture.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    /// Units by their name in tests (`root`, `office`, `a`, `a1`, `b`).
    pub units: BTreeMap<String, UnitId>,
    /// Accounts by username.
    pub users: BTreeMap<String, UserId>,
}

/// One argon2 hash of [`PASSWORD`], made once per test binary.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| duban_server::auth::hash_password(PASSWORD).expect("hash a password"))
        .clone()
}

/// Writes the first administrator (no unit yet: there is none) straight into the database.
async fn bootstrap_admin(state: &AppState) -> UserId {
    let (username, name, _, role, position) = ACCOUNTS[0];
    let id = UserId(uuid::Uuid::new_v4());
    let input = PersonInput {
        id: Some(id),
        username: username.into(),
        name: name.into(),
        unit: None,
        position: position.into(),
        roles: vec![role],
        in_charge: vec![],
        phone: None,
        password: Some(PASSWORD.into()),
        active: true,
    };
    let hash = tokio::task::spawn_blocking(password_hash)
        .await
        .expect("hashing");
    let org = state.org.latest(&state.db).await.expect("read the org");
    check_person(&org, &input, true).expect("a valid first administrator");
    let mut tx = state.db.write().await.expect("a write transaction");
    let at = chrono::Utc::now().timestamp_millis();
    write_person(&mut tx, &org, &input, id, Some(hash), at)
        .await
        .expect("write the first administrator");
    tx.commit().await.expect("commit");
    id
}

/// Sends one admin request and asserts its status; returns the body.
async fn admin_call(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
    want: StatusCode,
) -> Value {
    let res = http
        .request(method.clone(), format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("fixture: {method} {path}: {e}"));
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, want, "fixture: {method} {path}: {body}");
    body
}

fn id_of(body: &Value) -> uuid::Uuid {
    body["id"]
        .as_str()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .unwrap_or_else(|| panic!("fixture: no id in {body}"))
}

/// Makes the organisation on a fresh server at `base` (its own address, not the proxy's).
pub(crate) async fn build(state: &AppState, http: &reqwest::Client, base: &str) -> Ids {
    let mut ids = Ids::default();
    let admin = bootstrap_admin(state).await;
    ids.users.insert(ACCOUNTS[0].0.into(), admin);
    let token = crate::login_at(http, base, ACCOUNTS[0].0).await;

    for (key, parent, name, name_en) in UNITS {
        let parent = parent.map(|p| ids.units[p]);
        let body = json!({"parent": parent, "name": name, "name_en": name_en});
        let unit = admin_call(
            http,
            base,
            &token,
            Method::POST,
            "/api/v1/admin/units",
            body,
            StatusCode::CREATED,
        )
        .await;
        ids.units.insert((*key).into(), UnitId(id_of(&unit)));
    }

    let person = |username: &str, name: &str, unit: &str, role: Role, position: &str| {
        json!({
            "username": username,
            "name": name,
            "unit": ids.units[unit],
            "position": position,
            "roles": [role],
            "in_charge": [],
        })
    };
    for (username, name, unit, role, position) in &ACCOUNTS[1..] {
        let mut body = person(username, name, unit, *role, position);
        body["password"] = json!(PASSWORD);
        let account = admin_call(
            http,
            base,
            &token,
            Method::POST,
            "/api/v1/admin/users",
            body,
            StatusCode::CREATED,
        )
        .await;
        ids.users
            .insert((*username).into(), UserId(id_of(&account)));
    }

    // The administrator joins the supervision office now that it exists.
    let (username, name, unit, role, position) = ACCOUNTS[0];
    admin_call(
        http,
        base,
        &token,
        Method::PUT,
        &format!("/api/v1/admin/users/{admin}"),
        person(username, name, unit, role, position),
        StatusCode::OK,
    )
    .await;
    ids
}
