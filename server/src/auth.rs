//! Accounts and sessions: argon2 password hashes, opaque bearer tokens (one per device,
//! stored as their blake3 hash, with expiry, revocable), and lockout after repeated failures.
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

use crate::db::Val;
use crate::error::ApiError;
use crate::org::{actor_of, person_of, Org, PERSON_COLUMNS};
use crate::{args, AppState};

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

fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let minutes = ((until - now).num_seconds() + 59) / 60;
    ApiError::new(
        StatusCode::LOCKED,
        "auth.locked",
        format!("登录失败次数过多,账号已锁定,请 {minutes} 分钟后再试"),
        format!("too many failed sign-ins; the account is locked for {minutes} more minute(s)"),
    )
}

// A hash verified when the username is unknown, so that the answer takes as long as for a
// known one (and does not tell which usernames exist).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// Signs a person in: checks lockout and password, then opens a session for the device
/// (replacing that device's previous session).
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
    let row = db
        .row(
            "SELECT id, password_hash, failed_logins, locked_until, active FROM users WHERE username = $1",
            args![username.as_str()],
        )
        .await?;
    let Some(row) = row else {
        let password = req.password.clone();
        let _ = tokio::task::spawn_blocking(move || verify_password(&password, dummy_hash())).await;
        return Err(bad_credentials());
    };
    let id = row.text(0)?;
    let stored = row.text(1)?;
    let failed = row.int(2)?;
    let locked_until = row
        .opt_int(3)?
        .and_then(DateTime::<Utc>::from_timestamp_millis);
    let active = row.int(4)? != 0;
    if let Some(until) = locked_until.filter(|u| *u > now) {
        return Err(locked(until, now));
    }
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(ApiError::internal)?;
    let cfg = &state.config;
    if !ok || !active {
        let failed = failed + 1;
        if failed >= i64::from(cfg.lockout_attempts) {
            let until = now + Duration::minutes(i64::from(cfg.lockout_minutes));
            db.exec(
                "UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2",
                args![until.timestamp_millis(), id.as_str()],
            )
            .await?;
            state.metrics.count("duban_login_lockouts_total");
            return Err(locked(until, now));
        }
        db.exec(
            "UPDATE users SET failed_logins = $1 WHERE id = $2",
            args![failed, id.as_str()],
        )
        .await?;
        state.metrics.count("duban_login_failures_total");
        return Err(bad_credentials());
    }
    let token = new_token()?;
    let expires = now + Duration::days(i64::from(cfg.session_days));
    let mut tx = db.write().await?;
    tx.exec(
        "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
        args![id.as_str()],
    )
    .await?;
    tx.exec(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND device = $3 AND revoked_at IS NULL",
        args![now.timestamp_millis(), id.as_str(), device.as_str()],
    )
    .await?;
    tx.exec(
        "INSERT INTO sessions (token_hash, user_id, device, created_at, expires_at, last_used) \
         VALUES ($1, $2, $3, $4, $5, $4)",
        args![
            token_hash(&token),
            id.as_str(),
            device.as_str(),
            now.timestamp_millis(),
            expires.timestamp_millis()
        ],
    )
    .await?;
    let person = tx
        .row(
            &format!("SELECT {PERSON_COLUMNS} FROM users WHERE id = $1"),
            args![id.as_str()],
        )
        .await?
        .ok_or_else(bad_credentials)?;
    let user = person_of(&person)?;
    tx.commit().await?;
    state.metrics.count("duban_logins_total");
    Ok(LoginResponse {
        token,
        expires_at: expires,
        user,
    })
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

/// Ends a session: its token stops working and its phone gets no more pushes, together.
pub async fn end_session(state: &AppState, session: &Session) -> Result<(), ApiError> {
    let mut tx = state.db.write().await?;
    tx.exec(
        "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2",
        args![Utc::now().timestamp_millis(), session.token_hash.as_str()],
    )
    .await?;
    tx.exec(
        "DELETE FROM devices WHERE user_id = $1 AND device = $2",
        args![session.actor.id.to_string(), session.device.as_str()],
    )
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
        let row = state
            .db
            .row(
                "SELECT s.user_id, s.device, s.expires_at, (SELECT value FROM counters WHERE name = 'org') \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND u.active = 1",
                vec![Val::from(hash.as_str())],
            )
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let expires = row.int(2)?;
        if expires <= Utc::now().timestamp_millis() {
            return Err(ApiError::unauthorized());
        }
        let org = state.org.at(&state.db, row.int(3)?).await?;
        let user = uuid::Uuid::parse_str(&row.text(0)?).map_err(ApiError::internal)?;
        let actor = org
            .people
            .get(&UserId(user))
            .map(actor_of)
            .ok_or_else(ApiError::unauthorized)?;
        Ok(Session {
            actor,
            device: row.text(1)?,
            token_hash: hash,
            org,
        })
    }
}
