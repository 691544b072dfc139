//! The admin API: the organisation (units), accounts (create, change, lock, unlock, sign out
//! everywhere), the policy and the working-day calendar. Only administrators
//! ([`Role::Admin`]) may call it: anyone else signed in gets 403 `perm.denied`, and a request
//! without a valid session 401 `auth.unauthorized`, before the body is read.
//!
//! - `GET /admin/units`, `POST /admin/units` (201), `PUT /admin/units/{id}`
//! - `GET /admin/users`, `POST /admin/users` (201), `PUT /admin/users/{id}`,
//!   `POST /admin/users/{id}/lock`, `POST /admin/users/{id}/unlock`,
//!   `POST /admin/users/{id}/sessions/revoke`
//! - `POST /admin/users/{id}/password`: a new random password, answered once, which the
//!   person must change at their next sign-in
//! - `GET /admin/policy`, `PUT /admin/policy`
//! - `GET /admin/calendar/{year}`, `PUT /admin/calendar/{year}`
//! - `GET /admin/trail?from=&limit=`: the administrative trail and whether it verifies
//!   (administrators and inspectors)
//!
//! Every change to units and accounts is recorded in the administrative trail
//! ([`crate::admin_trail`]) in its own transaction, with the state before and after. The
//! console's pages (`web::admin`) make their changes through the same functions.
//!
//! Policy and calendar changes are recorded in the administrative trail in their transaction
//! ([`change_policy`], [`change_calendar`], shared with the console's pages).
//!
//! Every change is checked against the organisation it changes and written in one
//! transaction with its `reference` row in the change feed and a bump of the `org` counter,
//! so every device and every replica learns of it. Organisation changes are made one at a
//! time (see [`begin`]): two administrators moving units at once cannot build a cycle between
//! them. Account answers carry the phone number and the lockout state, never the password
//! hash; the feed carries neither.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;
use chrono::{DateTime, Utc};
use duban_core::domain::calendar::{CalendarError, YearData};
use duban_core::domain::policy::PolicyError;
use duban_core::domain::{Policy, Role, UnitId, UserId};
use duban_core::protocol::{Person, Reference, UnitRecord};
use serde::{Deserialize, Serialize};

use crate::admin_trail::{self, AdminTrailError, Change};
use crate::auth::{self, check_password_rules, hash_password, Session};
use crate::db::org::AccountRow;
use crate::db::{self, NewChange, Tx};
use crate::error::{ApiError, Json, Path, Query};
use crate::org::{
    bump, check_person, check_unit, to_json, write_person, write_unit, Org, OrgRefusal,
    PersonInput, UnitInput,
};
use crate::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/units", get(list_units).post(create_unit))
        .route("/admin/units/{id}", put(update_unit))
        .route("/admin/users", get(list_users).post(create_user))
        .route("/admin/users/{id}", put(update_user))
        .route("/admin/users/{id}/lock", post(lock_user))
        .route("/admin/users/{id}/unlock", post(unlock_user))
        .route("/admin/users/{id}/sessions/revoke", post(revoke_sessions))
        .route("/admin/users/{id}/password", post(reset_password_route))
        .route("/admin/trail", get(trail))
        .route("/admin/policy", get(get_policy).put(put_policy))
        .route(
            "/admin/calendar/{year}",
            get(get_calendar).put(put_calendar),
        )
}

/// A signed-in administrator: the [`Session`] extractor followed by the role check, so that
/// a request without the role is refused before its body is read.
pub struct Admin(pub Session);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        session.require(&[Role::Admin])?;
        Ok(Admin(session))
    }
}

/// A signed-in administrator or inspector: who may read the administrative trail.
pub struct AdminOrInspector(pub Session);

impl FromRequestParts<AppState> for AdminOrInspector {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<AdminOrInspector, ApiError> {
        let session = Session::from_request_parts(parts, state).await?;
        session.require(&[Role::Admin, Role::Inspector])?;
        Ok(AdminOrInspector(session))
    }
}

/// An account as administrators see it: the person, their phone number and lockout state.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    /// The person (as everyone sees them).
    #[serde(flatten)]
    pub person: Person,
    /// Mobile number for SMS notices.
    pub phone: Option<String>,
    /// When the current lockout ends, if the account is locked now (9999-12-31T23:59:59.999Z:
    /// locked by an administrator, until unlocked).
    pub locked_until: Option<DateTime<Utc>>,
    /// Failed sign-ins since the last success or lockout.
    pub failed_logins: i64,
}

fn refused(r: OrgRefusal) -> ApiError {
    ApiError::unprocessable(r.code, r.zh, r.en)
}

fn policy_refused(e: &PolicyError) -> ApiError {
    let text = e.to_string();
    let (zh, en) = text
        .split_once(" / ")
        .map(|(zh, en)| (zh.to_owned(), en.to_owned()))
        .unwrap_or_else(|| (text.clone(), text.clone()));
    ApiError::unprocessable(e.code(), zh, en)
}

fn calendar_refused(e: &CalendarError) -> ApiError {
    ApiError::unprocessable(e.code(), e.message_zh(), e.message_en())
}

fn id_mismatch() -> ApiError {
    ApiError::unprocessable(
        "request.id_mismatch",
        "请求内容中的 id 与地址中的不一致",
        "the id in the body differs from the one in the path",
    )
}

fn username_taken() -> ApiError {
    ApiError::conflict(
        "org.username_taken",
        "该用户名已被使用",
        "this username is already taken",
    )
}

fn id_taken() -> ApiError {
    ApiError::conflict(
        "org.id_taken",
        "该 id 已被使用",
        "a record with this id already exists",
    )
}

fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

fn trail_failed(e: AdminTrailError) -> ApiError {
    match e {
        AdminTrailError::Db(e) => e.into(),
        e => ApiError::internal(e),
    }
}

/// Records a change in the administrative trail, in the transaction that makes it.
pub(crate) async fn record<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    actor: &str,
    kind: &str,
    subject: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), ApiError> {
    let change = Change {
        actor,
        kind,
        subject,
        at: Utc::now(),
    };
    admin_trail::record(tx, change, before, after)
        .await
        .map_err(trail_failed)
}

/// What the trail keeps of an account: the person, their phone and whether a password was
/// set by the change (never the password or its hash).
#[derive(Serialize)]
pub(crate) struct AccountState<'a> {
    #[serde(flatten)]
    pub(crate) person: &'a Person,
    pub(crate) phone: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) password_set: bool,
}

/// Starts the write transaction of an organisation change and returns it with the
/// organisation it changes. The `org` counter's row is locked first (on PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already holds the whole write lock), and the cached organisation is used
/// only if it is that version — otherwise the transaction is dropped and the cache reloaded —
/// so a change is always checked against the organisation it is written over.
pub(crate) async fn begin(state: &AppState) -> Result<(Tx, Arc<Org>), ApiError> {
    for _ in 0..8 {
        let org = state.org.latest(&state.db).await?;
        let mut tx = state.db.write().await?;
        let version = db::org::lock_version(&mut tx).await?;
        if version == org.version {
            return Ok((tx, org));
        }
    }
    Err(ApiError::unavailable())
}

fn reference_row(reference: &Reference, at: i64) -> NewChange {
    NewChange {
        kind: "reference",
        task: None,
        task_seq: None,
        hash: None,
        body: to_json(reference),
        at,
    }
}

async fn put_setting(tx: &mut Tx, key: &str, value: String) -> Result<(), ApiError> {
    db::org::put_setting(tx, key, &value).await?;
    Ok(())
}

// ----- units ---------------------------------------------------------------------------------

async fn list_units(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<UnitRecord>>, ApiError> {
    let org = state.org.latest(&state.db).await?;
    Ok(Json(org.units.clone()))
}

/// The kind of a unit change, as the trail names it.
fn unit_change_kind(before: Option<&UnitRecord>, after: &UnitRecord) -> &'static str {
    match before {
        None => "unit.create",
        Some(b) if b.parent != after.parent => "unit.move",
        Some(b) if !b.retired && after.retired => "unit.retire",
        Some(b) if b.retired && !after.retired => "unit.reinstate",
        Some(b) if b.name != after.name => "unit.rename",
        Some(_) => "unit.update",
    }
}

/// Creates (`is_new`) or changes a unit, checked against the organisation it changes, and
/// recorded in the administrative trail as `actor`'s change. The API and the console both
/// call it.
pub(crate) async fn save_unit(
    state: &AppState,
    admin: &Session,
    input: UnitInput,
    id: UnitId,
    is_new: bool,
) -> Result<UnitRecord, ApiError> {
    let (mut tx, org) = begin(state).await?;
    match (is_new, org.unit(id).is_some()) {
        (true, true) => return Err(id_taken()),
        (false, false) => return Err(ApiError::not_found("单位", "unit")),
        _ => {}
    }
    check_unit(&org, &input, id).map_err(refused)?;
    let record = write_unit(&mut tx, &org, &input, id, now_millis()).await?;
    let before = org.unit(id);
    let kind = unit_change_kind(before, &record);
    record_change(&mut tx, admin, kind, &id.to_string(), before, Some(&record)).await?;
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), unit = %id, is_new, "unit written");
    Ok(record)
}

async fn create_unit(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(input): Json<UnitInput>,
) -> Result<(StatusCode, Json<UnitRecord>), ApiError> {
    let id = input.id.unwrap_or_else(|| UnitId(uuid::Uuid::new_v4()));
    let record = save_unit(&state, &admin, input, id, true).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

async fn update_unit(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UnitId>,
    Json(input): Json<UnitInput>,
) -> Result<Json<UnitRecord>, ApiError> {
    if input.id.is_some_and(|i| i != id) {
        return Err(id_mismatch());
    }
    save_unit(&state, &admin, input, id, false).await.map(Json)
}

/// Records `admin`'s change in the trail.
async fn record_change<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    admin: &Session,
    kind: &str,
    subject: &str,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), ApiError> {
    record(tx, &admin.user().to_string(), kind, subject, before, after).await
}

// ----- accounts ------------------------------------------------------------------------------

fn account_of(r: AccountRow, now: i64) -> Account {
    Account {
        person: r.person,
        phone: r.phone,
        failed_logins: r.failed_logins,
        locked_until: r
            .locked_until
            .filter(|t| *t > now)
            .and_then(DateTime::<Utc>::from_timestamp_millis),
    }
}

/// An account as administrators see it, by id.
pub(crate) async fn account(state: &AppState, id: UserId) -> Result<Account, ApiError> {
    let row = db::org::account(&state.db, &id.to_string())
        .await?
        .ok_or_else(|| ApiError::not_found("账号", "account"))?;
    Ok(account_of(row, now_millis()))
}

async fn list_users(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Account>>, ApiError> {
    let now = now_millis();
    let rows = db::org::accounts(&state.db).await?;
    Ok(Json(rows.into_iter().map(|r| account_of(r, now)).collect()))
}

/// Checks and hashes a new password (argon2 runs off the async threads, within the bound on
/// hashes running at once).
async fn new_password_hash(
    state: &AppState,
    password: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let Some(password) = password else {
        return Ok(None);
    };
    check_password_rules(password)?;
    let password = password.to_owned();
    state
        .hashing
        .run(move || hash_password(&password))
        .await?
        .map(Some)
}

/// Whether the change leaves the organisation without an active administrator.
fn removes_last_admin(org: &Org, id: UserId, input: &PersonInput) -> bool {
    let is_admin = |p: &Person| p.active && p.roles.contains(&Role::Admin);
    let was = org.people.get(&id).is_some_and(is_admin);
    let stays = input.active && input.roles.contains(&Role::Admin);
    was && !stays && !org.people.values().any(|p| p.id != id && is_admin(p))
}

/// Creates (`is_new`) or changes an account, with the same checks for the API and the
/// console, recorded in the administrative trail. A new account created here keeps the
/// password it was given: `must_change` makes the person choose their own at first sign-in.
pub(crate) async fn save_user(
    state: &AppState,
    admin: &Session,
    input: PersonInput,
    id: UserId,
    is_new: bool,
) -> Result<Account, ApiError> {
    save_user_with(state, admin, input, id, is_new, false).await
}

/// [`save_user`], and with `must_change` the person must replace the password it sets at
/// their next sign-in (an administrator's initial password), in the same transaction.
pub(crate) async fn save_user_with(
    state: &AppState,
    admin: &Session,
    input: PersonInput,
    id: UserId,
    is_new: bool,
    must_change: bool,
) -> Result<Account, ApiError> {
    // Cheap checks first, so a refused request costs no password hash.
    let current = state.org.latest(&state.db).await?;
    check_person(&current, &input, is_new).map_err(refused)?;
    let hash = new_password_hash(state, input.password.as_deref()).await?;

    let (mut tx, org) = begin(state).await?;
    match (is_new, org.people.contains_key(&id)) {
        (true, true) => return Err(id_taken()),
        (false, false) => return Err(ApiError::not_found("账号", "account")),
        _ => {}
    }
    check_person(&org, &input, is_new).map_err(refused)?;
    if removes_last_admin(&org, id, &input) {
        return Err(ApiError::unprocessable(
            "org.last_admin",
            "不能停用或撤销最后一名系统管理员",
            "this would leave no active administrator",
        ));
    }
    if db::org::username_taken(&mut tx, &input.username, &id.to_string()).await? {
        return Err(username_taken());
    }
    let subject = id.to_string();
    let before = db::org::account(&mut tx, &subject).await?;
    let password_set = hash.is_some();
    let person = write_person(&mut tx, &org, &input, id, hash, now_millis()).await?;
    if must_change && password_set {
        db::org::set_must_change_password(&mut tx, &subject, true).await?;
    }
    let kind = match &before {
        None => "account.create",
        Some(b) if b.person.active && !person.active => "account.deactivate",
        Some(b) if !b.person.active && person.active => "account.reactivate",
        Some(_) => "account.update",
    };
    let before = before.as_ref().map(|b| AccountState {
        person: &b.person,
        phone: b.phone.as_deref(),
        password_set: false,
    });
    let after = AccountState {
        person: &person,
        phone: input.phone.as_deref(),
        password_set,
    };
    record_change(
        &mut tx,
        admin,
        kind,
        &subject,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        admin = %admin.user(),
        user = %id,
        is_new,
        active = input.active,
        password_set = input.password.is_some(),
        "account written"
    );
    account(state, id).await
}

async fn create_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(input): Json<PersonInput>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let id = input.id.unwrap_or_else(|| UserId(uuid::Uuid::new_v4()));
    let account = save_user(&state, &admin, input, id, true).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

async fn update_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
    Json(input): Json<PersonInput>,
) -> Result<Json<Account>, ApiError> {
    if input.id.is_some_and(|i| i != id) {
        return Err(id_mismatch());
    }
    save_user(&state, &admin, input, id, false).await.map(Json)
}

async fn unlock_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
) -> Result<Json<Account>, ApiError> {
    unlock(&state, &admin, id).await.map(Json)
}

/// Lockout as the trail keeps it.
#[derive(Serialize)]
struct LockState {
    failed_logins: i64,
    locked_until: Option<DateTime<Utc>>,
}

/// Unlocks an account (clears its failed tries and lock), recorded in the trail.
pub(crate) async fn unlock(
    state: &AppState,
    admin: &Session,
    id: UserId,
) -> Result<Account, ApiError> {
    let user = id.to_string();
    let mut tx = state.db.write().await?;
    let Some(before) = db::org::account(&mut tx, &user).await? else {
        return Err(ApiError::not_found("账号", "account"));
    };
    db::org::unlock(&mut tx, &user).await?;
    let before = LockState {
        failed_logins: before.failed_logins,
        locked_until: before
            .locked_until
            .and_then(DateTime::<Utc>::from_timestamp_millis),
    };
    let after = LockState {
        failed_logins: 0,
        locked_until: None,
    };
    record_change(
        &mut tx,
        admin,
        "account.unlock",
        &user,
        Some(&before),
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), user = %id, "account unlocked");
    account(state, id).await
}

/// A password made for a reset: 16 characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), about 90 bits.
pub(crate) fn random_password() -> Result<String, ApiError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(16);
    while out.len() < 16 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for b in bytes {
            if usize::from(b) < limit && out.len() < 16 {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// Gives an account a new random password, returned to be shown once: the person must
/// choose their own at their next sign-in (`users.must_change_password`), their lock is
/// cleared, and they are signed out everywhere. Recorded in the trail (without the password).
pub(crate) async fn reset_password(
    state: &AppState,
    admin: &Session,
    id: UserId,
) -> Result<String, ApiError> {
    let password = random_password()?;
    let hash = new_password_hash(state, Some(&password))
        .await?
        .ok_or_else(|| ApiError::internal("no hash for a new password"))?;
    let user = id.to_string();
    let now = now_millis();
    let mut tx = state.db.write().await?;
    if !db::org::user_exists_in(&mut tx, &user).await? {
        return Err(ApiError::not_found("账号", "account"));
    }
    db::org::set_password(&mut tx, &user, &hash).await?;
    db::org::set_must_change_password(&mut tx, &user, true).await?;
    let revoked = auth::revoke_sessions(&mut tx, &user, None, now).await?;
    let after = serde_json::json!({ "must_change_password": true, "sessions_revoked": revoked });
    record_change(
        &mut tx,
        admin,
        "account.reset_password",
        &user,
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), user = %id, "password reset");
    Ok(password)
}

/// The answer to a reset: the new password, shown this once.
#[derive(Serialize)]
struct ResetAnswer {
    password: String,
    must_change_password: bool,
}

async fn reset_password_route(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
) -> Result<Json<ResetAnswer>, ApiError> {
    let password = reset_password(&state, &admin, id).await?;
    Ok(Json(ResetAnswer {
        password,
        must_change_password: true,
    }))
}

/// `POST /admin/users/{id}/lock`: locks the account until an administrator unlocks it (or
/// sets a new password), and signs the person out everywhere in the same transaction (their
/// API tokens and page sessions stop working, their phones get no more pushes). Unlike
/// deactivation, the person stays in the organisation and keeps their duties. An
/// administrator may not lock their own account.
///
/// The lockout after failed sign-ins, by contrast, does not end live sessions: anyone can
/// trigger it by guessing at a username, and it must not sign the account's owner out.
async fn lock_user(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
) -> Result<Json<Account>, ApiError> {
    if id == admin.user() {
        return Err(ApiError::unprocessable(
            "org.lock_self",
            "不能锁定自己的账号",
            "you may not lock your own account",
        ));
    }
    let user = id.to_string();
    let mut tx = state.db.write().await?;
    if !db::org::lock(&mut tx, &user, auth::LOCKED_BY_ADMIN).await? {
        return Err(ApiError::not_found("账号", "account"));
    }
    let revoked = auth::revoke_sessions(&mut tx, &user, None, now_millis()).await?;
    let after = serde_json::json!({
        "locked_until": DateTime::<Utc>::from_timestamp_millis(auth::LOCKED_BY_ADMIN),
        "sessions_revoked": revoked,
    });
    record_change(
        &mut tx,
        &admin,
        "account.lock",
        &user,
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), user = %id, revoked, "account locked");
    account(&state, id).await.map(Json)
}

/// `POST /admin/users/{id}/sessions/revoke`: no body (or `{}`) signs the person out on every
/// device; `{"device": …}` on that one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeSessions {
    /// The one device to sign out; all when absent.
    #[serde(default)]
    pub device: Option<String>,
}

async fn revoke_sessions(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<UserId>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let req: RevokeSessions = if body.iter().all(u8::is_ascii_whitespace) {
        RevokeSessions::default()
    } else {
        crate::json::check(&body)?;
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::unprocessable(
                "request.invalid_body",
                "请求内容应为空或 {\"device\": \"…\"}",
                "the body must be empty or {\"device\": \"…\"}",
            )
        })?
    };
    let user = id.to_string();
    if !db::org::user_exists(&state.db, &user).await? {
        return Err(ApiError::not_found("账号", "account"));
    }
    let mut tx = state.db.write().await?;
    let n = auth::revoke_sessions(&mut tx, &user, req.device.as_deref(), now_millis()).await?;
    let after = serde_json::json!({ "device": req.device, "sessions_revoked": n });
    record_change(
        &mut tx,
        &admin,
        "account.revoke_sessions",
        &user,
        None::<&()>,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), user = %id, device = ?req.device, revoked = n, "sessions revoked");
    Ok(Json(serde_json::json!({ "revoked": n })))
}

// ----- policy and calendar ---------------------------------------------------------------------

async fn get_policy(State(state): State<AppState>, _: Admin) -> Result<Json<Policy>, ApiError> {
    let org = state.org.latest(&state.db).await?;
    Ok(Json(org.policy.clone()))
}

async fn put_policy(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(policy): Json<Policy>,
) -> Result<Json<Policy>, ApiError> {
    change_policy(&state, &admin, |before| {
        let trail = Recorded::of("policy.update", "policy", Some(before), Some(&policy));
        Ok((policy, trail))
    })
    .await
    .map(Json)
}

/// What a policy or calendar change records in the administrative trail: its kind, its
/// subject, and the state before and after (as JSON).
pub(crate) struct Recorded {
    kind: &'static str,
    subject: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

impl Recorded {
    /// A change of `kind` to `subject`, from `before` to `after`.
    pub(crate) fn of<B: Serialize, A: Serialize>(
        kind: &'static str,
        subject: impl Into<String>,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Recorded {
        let json = |v: Option<serde_json::Value>| v.filter(|v| !v.is_null());
        Recorded {
            kind,
            subject: subject.into(),
            before: json(before.and_then(|b| serde_json::to_value(b).ok())),
            after: json(after.and_then(|a| serde_json::to_value(a).ok())),
        }
    }
}

/// Records a policy or calendar change in the administrative trail, as every other
/// administrative change is ([`record_change`]).
async fn record_as(tx: &mut Tx, admin: &Session, r: &Recorded) -> Result<(), ApiError> {
    record_change(
        tx,
        admin,
        r.kind,
        &r.subject,
        r.before.as_ref(),
        r.after.as_ref(),
    )
    .await
}

/// Changes the policy, for the API and the console alike: `edit` makes the new policy from
/// the one in force (read under the organisation's lock, so two administrators' changes
/// never overwrite each other unseen) and says what to record; the result is checked
/// ([`Policy::check`], refused as `policy.*` 422), written with its `reference` row in the
/// feed, and recorded in the administrative trail, in one transaction.
pub(crate) async fn change_policy(
    state: &AppState,
    admin: &Session,
    edit: impl FnOnce(&Policy) -> Result<(Policy, Recorded), ApiError>,
) -> Result<Policy, ApiError> {
    let (mut tx, org) = begin(state).await?;
    let (policy, recorded) = edit(&org.policy)?;
    policy.check().map_err(|e| policy_refused(&e))?;
    put_setting(&mut tx, "policy", to_json(&policy)).await?;
    bump(&mut tx).await?;
    let reference = Reference::Policy(Box::new(policy.clone()));
    tx.append_changes(&[reference_row(&reference, now_millis())])
        .await?;
    record_as(&mut tx, admin, &recorded).await?;
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), kind = recorded.kind, "policy changed");
    Ok(policy)
}

/// The policy's refusal as the API answers it (for the console to show at its field).
pub(crate) fn policy_refusal(e: &PolicyError) -> ApiError {
    policy_refused(e)
}

/// The calendar's refusal as the API answers it.
pub(crate) fn calendar_refusal(e: &CalendarError) -> ApiError {
    calendar_refused(e)
}

async fn get_calendar(
    State(state): State<AppState>,
    _: Admin,
    Path(year): Path<i32>,
) -> Result<Json<YearData>, ApiError> {
    let org = state.org.latest(&state.db).await?;
    org.calendar
        .year(year)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found("该年度日历", "calendar year"))
}

async fn put_calendar(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(year): Path<i32>,
    Json(data): Json<YearData>,
) -> Result<Json<YearData>, ApiError> {
    if data.year != year {
        return Err(ApiError::unprocessable(
            "calendar.year_mismatch",
            format!("地址中的年份 {year} 与数据中的年份 {} 不一致", data.year),
            format!(
                "the year in the path ({year}) differs from the data's year ({})",
                data.year
            ),
        ));
    }
    change_calendar(&state, &admin, year, "calendar.import", |_| Ok(data))
        .await
        .map(Json)
}

/// Replaces one year of the calendar, for the API and the console alike: `edit` makes the
/// year's data from the calendar in force (read under the organisation's lock); it is
/// validated and its days sorted the way the organisation will load it
/// ([`duban_core::domain::Calendar::import_year`], refused as `calendar.*` 422), written
/// with its `reference` row in the feed, and recorded in the administrative trail as `kind`
/// (subject: the year; before and after: the year's data), in one transaction.
pub(crate) async fn change_calendar(
    state: &AppState,
    admin: &Session,
    year: i32,
    kind: &'static str,
    edit: impl FnOnce(&duban_core::domain::Calendar) -> Result<YearData, ApiError>,
) -> Result<YearData, ApiError> {
    let (mut tx, org) = begin(state).await?;
    let data = edit(&org.calendar)?;
    if data.year != year {
        return Err(ApiError::internal("calendar data for another year"));
    }
    let mut calendar = org.calendar.clone();
    calendar
        .import_year(data)
        .map_err(|e| calendar_refused(&e))?;
    let data = calendar
        .year(year)
        .cloned()
        .ok_or_else(|| ApiError::internal("an imported calendar year is missing"))?;
    put_setting(&mut tx, &format!("calendar:{year}"), to_json(&data)).await?;
    bump(&mut tx).await?;
    let reference = Reference::Calendar(data.clone());
    tx.append_changes(&[reference_row(&reference, now_millis())])
        .await?;
    let recorded = Recorded::of(kind, year.to_string(), org.calendar.year(year), Some(&data));
    record_as(&mut tx, admin, &recorded).await?;
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), year, kind, "calendar year written");
    Ok(data)
}

// ----- the administrative trail ----------------------------------------------------------------

/// `GET /admin/trail` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailQuery {
    /// The first place to list (from 1).
    #[serde(default)]
    pub from: Option<i64>,
    /// How many (at most 1000; 100 by default).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One row of the administrative trail, as read.
#[derive(Serialize)]
pub struct TrailRow {
    /// Its place.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (a person's id, or `init`).
    pub actor: String,
    /// What kind of change.
    pub kind: String,
    /// What it changed.
    pub subject: String,
    /// The state before.
    pub before: Option<serde_json::Value>,
    /// The state after.
    pub after: Option<serde_json::Value>,
    /// Its hash.
    pub hash: String,
}

/// `GET /admin/trail`'s answer: whether the whole trail verifies, and the rows asked for.
#[derive(Serialize)]
pub struct TrailPage {
    /// Whether every row's hash and link holds and none is missing.
    pub verified: bool,
    /// How many rows verified, when it verifies.
    pub count: Option<i64>,
    /// Why not, when it does not: a stable code (`admin_trail.broken`, `admin_trail.missing`).
    pub problem: Option<String>,
    /// The first row that does not verify, when one is broken.
    pub broken_at: Option<i64>,
    /// The rows.
    pub rows: Vec<TrailRow>,
}

/// The trail's rows from `from` and its verification, for the API and the console.
pub(crate) async fn trail_page(
    state: &AppState,
    from: i64,
    limit: i64,
) -> Result<TrailPage, ApiError> {
    let (verified, count, problem, broken_at) = match admin_trail::verify(&state.db).await {
        Ok(n) => (true, Some(n), None, None),
        Err(e @ (AdminTrailError::Broken { .. } | AdminTrailError::Missing { .. })) => {
            let at = match e {
                AdminTrailError::Broken { seq } => Some(seq),
                _ => None,
            };
            (false, None, Some(e.code().to_owned()), at)
        }
        Err(e) => return Err(trail_failed(e)),
    };
    let rows = admin_trail::page(&state.db, from, limit)
        .await
        .map_err(trail_failed)?
        .into_iter()
        .map(|r| TrailRow {
            seq: r.seq,
            at: DateTime::<Utc>::from_timestamp_millis(r.at).unwrap_or_default(),
            actor: r.actor,
            kind: r.kind,
            subject: r.subject,
            before: r.before.and_then(|b| serde_json::from_str(&b).ok()),
            after: r.after.and_then(|a| serde_json::from_str(&a).ok()),
            hash: r.hash,
        })
        .collect();
    Ok(TrailPage {
        verified,
        count,
        problem,
        broken_at,
        rows,
    })
}

async fn trail(
    State(state): State<AppState>,
    _: AdminOrInspector,
    Query(q): Query<TrailQuery>,
) -> Result<Json<TrailPage>, ApiError> {
    let page = trail_page(&state, q.from.unwrap_or(1), q.limit.unwrap_or(100)).await?;
    Ok(Json(page))
}
