//! Accounts and sessions: argon2 password hashes, opaque bearer tokens (one per device,
//! stored as their blake3 hash, with expiry, revocable), lockout after repeated failures
//! (atomic under parallel guesses), and the bound on password hashes running at once.
//! [`Session`] is the extractor every signed-in endpoint takes.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use duban_core::domain::{Actor, Role, UserId};
use duban_core::protocol::{LoginRequest, LoginResponse};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::db::{self, DbError};
use crate::error::ApiError;
use crate::org::{actor_of, Org};
use crate::AppState;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(ApiError::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Checks a password against a stored PHC string.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new opaque token: `dbn_` and 64 hex digits of randomness.
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let mut s = String::with_capacity(68);
    s.push_str("dbn_");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    Ok(s)
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Checks a password's strength for new accounts and resets.
pub fn check_password_rules(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if !(8..=256).contains(&n) {
        return Err(ApiError::unprocessable(
            "auth.weak_password",
            "密码长度应为 8 至 256 个字符",
            "a password must be 8 to 256 characters long",
        ));
    }
    Ok(())
}

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "auth.bad_credentials",
        "用户名或密码错误",
        "wrong username or password",
    )
}

/// `users.locked_until` of an account an administrator locked (9999-12-31T23:59:59.999Z): it
/// stays locked until an administrator unlocks it or sets a new password.
pub const LOCKED_BY_ADMIN: i64 = 253_402_300_799_999;

/// The answer to a sign-in on an account locked until `until` (Unix milliseconds).
fn locked(until: i64, now: DateTime<Utc>) -> ApiError {
    if until >= LOCKED_BY_ADMIN {
        return ApiError::new(
            StatusCode::LOCKED,
            "auth.locked_by_admin",
            "账号已被管理员锁定,请联系系统管理员",
            "the account was locked by an administrator; ask an administrator to unlock it",
        );
    }
    let minutes = ((until - now.timestamp_millis()) / 1000 + 59) / 60;
    ApiError::new(
        StatusCode::LOCKED,
        "auth.locked",
        format!("登录失败次数过多,账号已锁定,请 {minutes} 分钟后再试"),
        format!("too many failed sign-ins; the account is locked for {minutes} more minute(s)"),
    )
}

/// Seconds a client is told to wait (`Retry-After`) when every password hash is busy.
pub const BUSY_RETRY_AFTER: u32 = 2;

fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "auth.busy",
        "同时登录的人数过多,请稍后再试",
        "too many sign-ins at once; try again in a moment",
    )
    .with_retry_after(BUSY_RETRY_AFTER)
}

/// The bound on password hashes running at once. Each argon2 run holds 19 MiB on a thread of
/// the blocking pool (up to 512 threads), so without a bound a burst of sign-ins — no account
/// needed — could hold gigabytes. At most `concurrency` hashes run at once; a request waits
/// for a free one at most `wait`, and is then answered 503 `auth.busy` with `Retry-After`.
pub struct Hashing {
    permits: Arc<Semaphore>,
    wait: std::time::Duration,
}

/// The right to run one password hash, taken from [`Hashing`].
pub struct HashPermit(OwnedSemaphorePermit);

impl Hashing {
    /// At most `concurrency` (at least 1) hashes at once, waiting at most `wait` for one.
    pub fn new(concurrency: u32, wait: std::time::Duration) -> Hashing {
        Hashing {
            permits: Arc::new(Semaphore::new(concurrency.max(1) as usize)),
            wait,
        }
    }

    /// Takes a permit, waiting at most the configured time; 503 `auth.busy` (with
    /// `Retry-After`) if none frees up.
    pub async fn permit(&self) -> Result<HashPermit, ApiError> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Ok(HashPermit(p));
        }
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(HashPermit(p)),
            _ => Err(busy()),
        }
    }

    /// Runs `f` (a hash) under a permit on the blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.permit().await?.run(f).await
    }
}

impl HashPermit {
    /// Runs `f` on the blocking pool, holding the permit until `f` returns (even if the
    /// request that asked is dropped meanwhile).
    pub async fn run<T, F>(self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.0;
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        })
        .await
        .map_err(ApiError::internal)
    }
}

/// The hash verified when the username is unknown, so that the answer costs the same
/// argon2 run as for a known one (same algorithm and parameters: [`hash_password`]'s) and
/// does not tell which usernames exist.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// The lockout answer for an account found locked (or, if it is not locked after all — an
/// administrator unlocked or deactivated it meanwhile —, wrong credentials).
async fn lock_answer(state: &AppState, id: &str, now: DateTime<Utc>) -> ApiError {
    match db::org::locked_until(&state.db, id).await {
        Ok(Some(until)) if until > now.timestamp_millis() => locked(until, now),
        Ok(_) => bad_credentials(),
        Err(e) => e.into(),
    }
}

/// Locks the account for the configured minutes unless it is locked already (the lock in
/// force is kept, e.g. an administrator's), and answers the lockout.
async fn lock_out(state: &AppState, id: &str, now: DateTime<Utc>) -> ApiError {
    let until = now + Duration::minutes(i64::from(state.config.lockout_minutes));
    let set = async {
        let mut tx = state.db.write().await?;
        let locked = db::org::lock_out(
            &mut tx,
            id,
            until.timestamp_millis(),
            now.timestamp_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, DbError>(locked)
    };
    match set.await {
        Ok(locked) => {
            if locked {
                state.metrics.count("duban_login_lockouts_total");
            }
            lock_answer(state, id, now).await
        }
        Err(e) => e.into(),
    }
}

/// Reserves one try of an account's sign-in budget before its password is checked: one
/// atomic `failed_logins + 1` on an account that is not locked, answering the new count, or
/// the lockout if the account is locked.
async fn reserve_try(state: &AppState, id: &str, now: DateTime<Utc>) -> Result<i64, ApiError> {
    let mut tx = state.db.write().await?;
    let tries = db::org::reserve_try(&mut tx, id, now.timestamp_millis()).await?;
    tx.commit().await?;
    match tries {
        Some(n) => Ok(n),
        None => Err(lock_answer(state, id, now).await),
    }
}

/// Gives back a reserved try whose password was never checked (the server was busy).
async fn give_back_try(state: &AppState, id: &str) {
    let given = async {
        let mut tx = state.db.write().await?;
        db::org::give_back_try(&mut tx, id).await?;
        tx.commit().await
    };
    if let Err(e) = given.await {
        tracing::warn!(error = %e, "a sign-in try could not be given back");
    }
}

/// A permit for a sign-in's password check, counting the refusals.
async fn hash_permit(state: &AppState) -> Result<HashPermit, ApiError> {
    state.hashing.permit().await.inspect_err(|_| {
        state.metrics.count("duban_login_busy_total");
    })
}

/// Signs a person in: checks lockout and password, then opens a session for the device
/// (replacing that device's previous session).
///
/// The lockout holds under concurrent guesses (each step is one atomic statement, on both
/// backends): an account allows `lockout_attempts` tries between successes. Each attempt on
/// an unlocked account first reserves a try (`failed_logins + 1`) and only then, if the
/// reservation is within the budget, has its password checked (a try whose check is refused
/// as busy is given back). The attempt that takes the last try and fails, and any attempt
/// beyond the budget (without a check), lock the account and answer 423. A right password
/// signs in only if the account is still unlocked once its check is done; that success
/// clears the count. So a burst of parallel wrong guesses gets at most `lockout_attempts`
/// password checks and at most `lockout_attempts - 1` answers 401; every other guess is
/// answered 423. (Sign-ins in progress count against the budget: six devices of one person
/// signing in at the very same moment would lock the account, as six guesses would.)
///
/// Every check, for a known username or not, is one argon2 verification at the same
/// parameters under [`Hashing`]'s bound; beyond it the answer is 503 `auth.busy`. (A known
/// username's attempt also writes its try count, a database round trip next to argon2's
/// tens of milliseconds.)
pub async fn login(state: &AppState, req: LoginRequest) -> Result<LoginResponse, ApiError> {
    let now = Utc::now();
    let username = req.username.trim().to_lowercase();
    let device = req
        .device
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or("default")
        .to_owned();
    if username.is_empty() || username.len() > 64 || req.password.len() > 1024 || device.len() > 128
    {
        return Err(bad_credentials());
    }
    let db = &state.db;
    let account = db::org::credentials(db, &username).await?;
    // A locked account is answered at once, with no hash.
    if let Some(until) = account.as_ref().and_then(|a| a.locked_until) {
        if until > now.timestamp_millis() {
            return Err(locked(until, now));
        }
    }
    let password = req.password.clone();
    let Some(account) = account else {
        let permit = hash_permit(state).await?;
        permit
            .run(move || verify_password(&password, dummy_hash()))
            .await?;
        return Err(bad_credentials());
    };
    let id = account.id;
    let stored = account.password_hash;
    let active = account.active;
    let must_change_password = account.must_change_password;
    let budget = i64::from(state.config.lockout_attempts);
    let try_number = reserve_try(state, &id, now).await?;
    if try_number > budget {
        return Err(lock_out(state, &id, now).await);
    }
    let permit = match hash_permit(state).await {
        Ok(p) => p,
        Err(e) => {
            give_back_try(state, &id).await;
            return Err(e);
        }
    };
    let ok = permit
        .run(move || verify_password(&password, &stored))
        .await?;
    if !ok || !active {
        if try_number >= budget {
            return Err(lock_out(state, &id, now).await);
        }
        state.metrics.count("duban_login_failures_total");
        return Err(bad_credentials());
    }
    open_session(state, &id, &device, now, must_change_password).await
}

/// Opens a session for the account `id` on `device` (replacing that device's previous
/// session) once its credentials are proven: still unlocked and active, or no session. Clears
/// its failed tries and counts the sign-in.
async fn open_session(
    state: &AppState,
    id: &str,
    device: &str,
    now: DateTime<Utc>,
    must_change_password: bool,
) -> Result<LoginResponse, ApiError> {
    let db = &state.db;
    let cfg = &state.config;
    let token = new_token()?;
    let expires = now + Duration::days(i64::from(cfg.session_days));
    let mut tx = db.write().await?;
    // Still unlocked (and active) now that the credentials are checked, or no session.
    let cleared = db::org::clear_tries(&mut tx, id, Utc::now().timestamp_millis()).await?;
    if !cleared {
        drop(tx);
        return Err(lock_answer(state, id, Utc::now()).await);
    }
    db::org::revoke_device_sessions(&mut tx, id, device, now.timestamp_millis()).await?;
    db::org::insert_session(
        &mut tx,
        &db::org::NewSession {
            token_hash: &token_hash(&token),
            user: id,
            device,
            created_at: now.timestamp_millis(),
            expires_at: expires.timestamp_millis(),
        },
    )
    .await?;
    let user = db::org::person(&mut tx, id)
        .await?
        .ok_or_else(bad_credentials)?;
    tx.commit().await?;
    state.metrics.count("duban_logins_total");
    Ok(LoginResponse {
        token,
        expires_at: expires,
        user,
        must_change_password,
    })
}

/// Signs in the person `id` whom a work app vouched for (DingTalk's or WeCom's sign-in,
/// `crate::workapp`), on `device`: no password, but the same rules as [`login`] otherwise —
/// a locked account is answered with its lockout (423), a deactivated one is refused, and
/// the session is the same kind of session.
pub async fn sign_in_vouched(
    state: &AppState,
    id: &str,
    device: &str,
) -> Result<LoginResponse, ApiError> {
    let now = Utc::now();
    let person = db::org::person(&state.db, id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let account = db::org::credentials(&state.db, &person.username)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if let Some(until) = account.locked_until {
        if until > now.timestamp_millis() {
            return Err(locked(until, now));
        }
    }
    if !account.active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.inactive",
            "账号已停用,请联系系统管理员",
            "the account is deactivated; ask an administrator",
        ));
    }
    open_session(state, id, device, now, account.must_change_password).await
}

/// A signed-in request: who, on which device, and the organisation as of this request.
#[derive(Clone)]
pub struct Session {
    /// Who.
    pub actor: Actor,
    /// The device the session belongs to.
    pub device: String,
    /// The stored hash of the token.
    pub token_hash: String,
    /// The organisation.
    pub org: Arc<Org>,
    /// An administrator set the password: the pages allow nothing but choosing a new one.
    pub must_change_password: bool,
}

impl Session {
    /// Refuses unless the person holds one of the roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.actor.roles.any(roles) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "您的角色无权执行此操作",
                "your role may not do this",
            ))
        }
    }

    /// Who, as a person id.
    pub fn user(&self) -> UserId {
        self.actor.id
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Session, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(ApiError::unauthorized)?;
        Session::of_token(state, token).await
    }
}

pub use crate::db::org::revoke_sessions;

/// Ends a session: its token stops working and its phone gets no more pushes, together.
pub async fn end_session(state: &AppState, session: &Session) -> Result<(), ApiError> {
    let mut tx = state.db.write().await?;
    db::org::revoke_token(&mut tx, &session.token_hash, Utc::now().timestamp_millis()).await?;
    db::notifications::forget_device(&mut tx, &session.actor.id.to_string(), &session.device)
        .await?;
    tx.commit().await?;
    Ok(())
}

impl Session {
    /// The live session a token opens (from the `Authorization` header, or the web pages'
    /// cookie); unauthorized if it is malformed, unknown, revoked or expired, or its person
    /// is deactivated.
    pub async fn of_token(state: &AppState, token: &str) -> Result<Session, ApiError> {
        let token = token.trim();
        if !(token.starts_with("dbn_") && token.len() == 68) {
            return Err(ApiError::unauthorized());
        }
        let hash = token_hash(token);
        let live = db::org::live_session(&state.db, &hash)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        if live.expires_at <= Utc::now().timestamp_millis() {
            return Err(ApiError::unauthorized());
        }
        let org = state.org.at(&state.db, live.org_version).await?;
        let user = uuid::Uuid::parse_str(&live.user).map_err(ApiError::internal)?;
        let actor = org
            .people
            .get(&UserId(user))
            .map(actor_of)
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Session {
            actor,
            device: live.device,
            token_hash: hash,
            org,
            must_change_password: live.must_change_password,
        })
    }
}

/// Changes the signed-in person's own password: the current one must be given, the new one
/// follows [`check_password_rules`] and must differ from it. Clears
/// `users.must_change_password` and signs the person out on every other device.
pub async fn change_own_password(
    state: &AppState,
    session: &Session,
    current: &str,
    new: &str,
) -> Result<(), ApiError> {
    check_password_rules(new)?;
    if current == new {
        return Err(ApiError::unprocessable(
            "auth.same_password",
            "新密码不能与当前密码相同",
            "the new password must differ from the current one",
        ));
    }
    let id = session.user().to_string();
    let stored = db::org::password_hash(&state.db, &id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let current = current.to_owned();
    let ok = state
        .hashing
        .run(move || verify_password(&current, &stored))
        .await?;
    if !ok {
        return Err(ApiError::unprocessable(
            "auth.wrong_password",
            "当前密码不正确",
            "the current password is wrong",
        ));
    }
    let new = new.to_owned();
    let hash = state.hashing.run(move || hash_password(&new)).await??;
    let now = Utc::now().timestamp_millis();
    let mut tx = state.db.write().await?;
    db::org::set_password(&mut tx, &id, &hash).await?;
    db::org::set_must_change_password(&mut tx, &id, false).await?;
    db::org::revoke_other_sessions(&mut tx, &id, &session.token_hash, now).await?;
    tx.commit().await?;
    Ok(())
}
