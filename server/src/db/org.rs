//! The organisation's tables: units, users (accounts, their passwords and lockouts),
//! sessions, settings (the policy and the calendar years) and the `org` counter that every
//! change to any of them bumps.

use duban_core::domain::{Role, UnitId, UserId};
use duban_core::protocol::{Person, UnitRecord};

use super::codec::{from_json, parse_uuid, to_json};
use super::{Conn, Db, DbError, Row, Tx, Val};
use crate::args;

/// The column list [`person_of`] reads.
pub const PERSON_COLUMNS: &str = "id, username, name, unit, position, roles, in_charge, active";

/// A person from a row holding [`PERSON_COLUMNS`].
pub fn person_of(r: &Row) -> Result<Person, DbError> {
    Ok(Person {
        id: UserId(parse_uuid(&r.get_text("id")?)?),
        username: r.get_text("username")?,
        name: r.get_text("name")?,
        unit: r
            .get_opt_text("unit")?
            .map(|u| parse_uuid(&u).map(UnitId))
            .transpose()?,
        position: r.get_text("position")?,
        roles: from_json::<Vec<Role>>(&r.get_text("roles")?)?,
        in_charge: from_json::<Vec<UnitId>>(&r.get_text("in_charge")?)?,
        active: r.get_int("active")? != 0,
    })
}

fn unit_of(r: &Row) -> Result<UnitRecord, DbError> {
    Ok(UnitRecord {
        id: UnitId(parse_uuid(&r.get_text("id")?)?),
        parent: r
            .get_opt_text("parent")?
            .map(|u| parse_uuid(&u).map(UnitId))
            .transpose()?,
        name: r.get_text("name")?,
        name_en: r.get_text("name_en")?,
        sort: r.get_int("sort")?,
        short_name: r.get_text("short_name")?,
        aliases: from_json::<Vec<String>>(&r.get_text("aliases")?)?,
        retired: r.get_int("retired")? != 0,
        peer_group: r.get_text("peer_group")?,
    })
}

// ----- the org counter ------------------------------------------------------------------------

const ORG_VERSION: &str = "SELECT value FROM counters WHERE name = 'org'";

/// The `org` counter (0 if it is missing).
pub async fn version(db: &Db) -> Result<i64, DbError> {
    db.row(ORG_VERSION, vec![])
        .await?
        .map(|r| r.get_int("value"))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Locks the `org` counter's row for the rest of the transaction (on PostgreSQL; SQLite's
/// write transaction already holds the whole write lock) and reads it.
pub async fn lock_version(tx: &mut Tx) -> Result<i64, DbError> {
    tx.exec(
        "UPDATE counters SET value = value WHERE name = 'org'",
        vec![],
    )
    .await?;
    tx.row(ORG_VERSION, vec![])
        .await?
        .map(|r| r.get_int("value"))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Bumps the `org` counter.
pub async fn bump(tx: &mut Tx) -> Result<(), DbError> {
    tx.exec(
        "UPDATE counters SET value = value + 1 WHERE name = 'org'",
        vec![],
    )
    .await?;
    Ok(())
}

// ----- units and people ----------------------------------------------------------------------

/// Every unit, by sort order and name.
pub async fn units(db: &Db) -> Result<Vec<UnitRecord>, DbError> {
    db.rows(
        "SELECT id, parent, name, name_en, sort, short_name, aliases, retired, peer_group \
         FROM units ORDER BY sort, name",
        vec![],
    )
    .await?
    .iter()
    .map(unit_of)
    .collect()
}

/// Writes a unit (insert, or update of the one with its id).
pub async fn put_unit(tx: &mut Tx, unit: &UnitRecord) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO units (id, parent, name, name_en, sort, short_name, aliases, retired, \
         peer_group) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (id) DO UPDATE SET parent = excluded.parent, name = excluded.name, \
         name_en = excluded.name_en, sort = excluded.sort, short_name = excluded.short_name, \
         aliases = excluded.aliases, retired = excluded.retired, \
         peer_group = excluded.peer_group",
        args![
            unit.id.to_string(),
            unit.parent.map(|p| p.to_string()),
            unit.name.as_str(),
            unit.name_en.as_str(),
            unit.sort,
            unit.short_name.as_str(),
            to_json(&unit.aliases),
            i64::from(unit.retired),
            unit.peer_group.as_str()
        ],
    )
    .await?;
    Ok(())
}

/// Every person, by username.
pub async fn people<'a>(on: impl Into<Conn<'a>>) -> Result<Vec<Person>, DbError> {
    on.into()
        .rows(
            &format!("SELECT {PERSON_COLUMNS} FROM users ORDER BY username"),
            vec![],
        )
        .await?
        .iter()
        .map(person_of)
        .collect()
}

/// A person by id.
pub async fn person<'a>(on: impl Into<Conn<'a>>, id: &str) -> Result<Option<Person>, DbError> {
    on.into()
        .row(
            &format!("SELECT {PERSON_COLUMNS} FROM users WHERE id = $1"),
            args![id],
        )
        .await?
        .as_ref()
        .map(person_of)
        .transpose()
}

/// Changes an account's record (not its password).
pub async fn update_person(
    tx: &mut Tx,
    person: &Person,
    phone: Option<&str>,
) -> Result<(), DbError> {
    tx.exec(
        "UPDATE users SET username = $2, name = $3, unit = $4, position = $5, roles = $6, \
         in_charge = $7, phone = $8, active = $9 WHERE id = $1",
        args![
            person.id.to_string(),
            person.username.as_str(),
            person.name.as_str(),
            person.unit.map(|u| u.to_string()),
            person.position.as_str(),
            to_json(&person.roles),
            to_json(&person.in_charge),
            phone.map(str::to_owned),
            i64::from(person.active)
        ],
    )
    .await?;
    Ok(())
}

/// Sets an account's password hash and clears its lockout.
pub async fn set_password(tx: &mut Tx, id: &str, password_hash: &str) -> Result<(), DbError> {
    tx.exec(
        "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1",
        args![id, password_hash],
    )
    .await?;
    Ok(())
}

/// Creates an account.
pub async fn insert_person(
    tx: &mut Tx,
    person: &Person,
    phone: Option<&str>,
    password_hash: &str,
    created_at: i64,
) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO users (id, username, name, unit, position, roles, in_charge, phone, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        args![
            person.id.to_string(),
            person.username.as_str(),
            person.name.as_str(),
            person.unit.map(|u| u.to_string()),
            person.position.as_str(),
            to_json(&person.roles),
            to_json(&person.in_charge),
            phone.map(str::to_owned),
            password_hash,
            i64::from(person.active),
            created_at
        ],
    )
    .await?;
    Ok(())
}

/// Whether another account than `except` has this username.
pub async fn username_taken(tx: &mut Tx, username: &str, except: &str) -> Result<bool, DbError> {
    Ok(tx
        .row(
            "SELECT id FROM users WHERE username = $1 AND id <> $2",
            args![username, except],
        )
        .await?
        .is_some())
}

/// Whether the account exists.
pub async fn user_exists(db: &Db, id: &str) -> Result<bool, DbError> {
    Ok(db
        .row("SELECT 1 AS one FROM users WHERE id = $1", args![id])
        .await?
        .is_some())
}

/// Whether the account exists, read in a transaction.
pub async fn user_exists_in(tx: &mut Tx, id: &str) -> Result<bool, DbError> {
    Ok(tx
        .row("SELECT 1 AS one FROM users WHERE id = $1", args![id])
        .await?
        .is_some())
}

/// An account as administrators see it.
#[derive(Clone, Debug)]
pub struct AccountRow {
    /// The person.
    pub person: Person,
    /// Mobile number for SMS notices.
    pub phone: Option<String>,
    /// Failed sign-ins since the last success or lockout.
    pub failed_logins: i64,
    /// Locked until (Unix milliseconds), if a lock was ever set and not cleared.
    pub locked_until: Option<i64>,
    /// Whether the person must replace a password an administrator set.
    pub must_change_password: bool,
}

fn account_sql(filter: &str) -> String {
    format!(
        "SELECT {PERSON_COLUMNS}, phone, failed_logins, locked_until, must_change_password \
         FROM users {filter}"
    )
}

fn account_of(r: &Row) -> Result<AccountRow, DbError> {
    Ok(AccountRow {
        person: person_of(r)?,
        phone: r.get_opt_text("phone")?,
        failed_logins: r.get_int("failed_logins")?,
        locked_until: r.get_opt_int("locked_until")?,
        must_change_password: r.get_int("must_change_password")? != 0,
    })
}

/// An account by id.
pub async fn account<'a>(on: impl Into<Conn<'a>>, id: &str) -> Result<Option<AccountRow>, DbError> {
    on.into()
        .row(&account_sql("WHERE id = $1"), args![id])
        .await?
        .as_ref()
        .map(account_of)
        .transpose()
}

/// Every account, by username.
pub async fn accounts(db: &Db) -> Result<Vec<AccountRow>, DbError> {
    db.rows(&account_sql("ORDER BY username"), vec![])
        .await?
        .iter()
        .map(account_of)
        .collect()
}

// ----- a person's own settings ----------------------------------------------------------------

/// The interface language the person chose (`users.locale`), if they chose one.
pub async fn locale(db: &Db, id: &str) -> Result<Option<String>, DbError> {
    match db
        .row("SELECT locale FROM users WHERE id = $1", args![id])
        .await?
    {
        Some(r) => r.get_opt_text("locale"),
        None => Ok(None),
    }
}

/// Remembers the person's interface language.
pub async fn set_locale(db: &Db, id: &str, locale: &str) -> Result<(), DbError> {
    db.exec(
        "UPDATE users SET locale = $1 WHERE id = $2",
        args![locale, id],
    )
    .await?;
    Ok(())
}

/// The chosen languages of these people (those who chose one), for notices in each
/// recipient's language.
pub async fn locales<'a>(on: impl Into<Conn<'a>>) -> Result<Vec<(String, String)>, DbError> {
    on.into()
        .rows(
            "SELECT id, locale FROM users WHERE locale IS NOT NULL",
            vec![],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get_text("id")?, r.get_text("locale")?)))
        .collect()
}

// ----- settings ------------------------------------------------------------------------------

/// A stored setting: `policy`, or `calendar:{year}`, with its JSON.
#[derive(Clone, Debug)]
pub struct Setting {
    /// Its key.
    pub key: String,
    /// Its value (JSON).
    pub value: String,
}

/// Every setting.
pub async fn settings(db: &Db) -> Result<Vec<Setting>, DbError> {
    db.rows("SELECT key, value FROM settings", vec![])
        .await?
        .iter()
        .map(|r| {
            Ok(Setting {
                key: r.get_text("key")?,
                value: r.get_text("value")?,
            })
        })
        .collect()
}

/// Writes a setting.
pub async fn put_setting(tx: &mut Tx, key: &str, value: &str) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        args![key, value],
    )
    .await?;
    Ok(())
}

// ----- sign-in and lockouts ------------------------------------------------------------------

/// What a sign-in reads of an account.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The account's id.
    pub id: String,
    /// Its argon2 PHC string.
    pub password_hash: String,
    /// Locked until (Unix milliseconds), if a lock was set.
    pub locked_until: Option<i64>,
    /// Whether it may sign in.
    pub active: bool,
    /// Whether the person must choose a new password.
    pub must_change_password: bool,
}

/// The credentials of the account with this username.
pub async fn credentials(db: &Db, username: &str) -> Result<Option<Credentials>, DbError> {
    db.row(
        "SELECT id, password_hash, locked_until, active, must_change_password FROM users \
         WHERE username = $1",
        args![username],
    )
    .await?
    .map(|r| {
        Ok(Credentials {
            id: r.get_text("id")?,
            password_hash: r.get_text("password_hash")?,
            locked_until: r.get_opt_int("locked_until")?,
            active: r.get_int("active")? != 0,
            must_change_password: r.get_int("must_change_password")? != 0,
        })
    })
    .transpose()
}

/// The stored password hash of an account, if it exists.
pub async fn password_hash(db: &Db, id: &str) -> Result<Option<String>, DbError> {
    db.row("SELECT password_hash FROM users WHERE id = $1", args![id])
        .await?
        .map(|r| r.get_text("password_hash"))
        .transpose()
}

/// Sets or clears `users.must_change_password`.
pub async fn set_must_change_password(tx: &mut Tx, id: &str, must: bool) -> Result<(), DbError> {
    tx.exec(
        "UPDATE users SET must_change_password = $2 WHERE id = $1",
        args![id, i64::from(must)],
    )
    .await?;
    Ok(())
}

/// Whether the account must choose a new password (false if it does not exist).
pub async fn must_change_password<'a>(on: impl Into<Conn<'a>>, id: &str) -> Result<bool, DbError> {
    Ok(on
        .into()
        .row(
            "SELECT must_change_password FROM users WHERE id = $1",
            args![id],
        )
        .await?
        .map(|r| r.get_int("must_change_password"))
        .transpose()?
        .is_some_and(|v| v != 0))
}

/// The account's lock (Unix milliseconds), if it exists and a lock was set.
pub async fn locked_until(db: &Db, id: &str) -> Result<Option<i64>, DbError> {
    Ok(db
        .row("SELECT locked_until FROM users WHERE id = $1", args![id])
        .await?
        .map(|r| r.get_opt_int("locked_until"))
        .transpose()?
        .flatten())
}

/// Locks the account until `until` unless it is locked at `now` already, clearing its failed
/// tries; returns whether it was locked here.
pub async fn lock_out(tx: &mut Tx, id: &str, until: i64, now: i64) -> Result<bool, DbError> {
    let n = tx
        .exec(
            "UPDATE users SET failed_logins = 0, locked_until = $2 \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $3)",
            args![id, until, now],
        )
        .await?;
    Ok(n > 0)
}

/// One atomic `failed_logins + 1` on an account not locked at `now`: the new count, or
/// `None` if it is locked (or gone).
pub async fn reserve_try(tx: &mut Tx, id: &str, now: i64) -> Result<Option<i64>, DbError> {
    tx.row(
        "UPDATE users SET failed_logins = failed_logins + 1 \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
         RETURNING failed_logins",
        args![id, now],
    )
    .await?
    .map(|r| r.get_int("failed_logins"))
    .transpose()
}

/// Gives back a try reserved by [`reserve_try`].
pub async fn give_back_try(tx: &mut Tx, id: &str) -> Result<(), DbError> {
    tx.exec(
        "UPDATE users SET failed_logins = failed_logins - 1 WHERE id = $1 AND failed_logins > 0",
        args![id],
    )
    .await?;
    Ok(())
}

/// Clears the failed tries and the lock of an account that is active and not locked at
/// `now`; returns whether it was such an account.
pub async fn clear_tries(tx: &mut Tx, id: &str, now: i64) -> Result<bool, DbError> {
    let n = tx
        .exec(
            "UPDATE users SET failed_logins = 0, locked_until = NULL \
             WHERE id = $1 AND active = 1 AND (locked_until IS NULL OR locked_until <= $2)",
            args![id, now],
        )
        .await?;
    Ok(n > 0)
}

/// Unlocks the account (an administrator's act); returns whether it exists.
pub async fn unlock(tx: &mut Tx, id: &str) -> Result<bool, DbError> {
    let n = tx
        .exec(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
            args![id],
        )
        .await?;
    Ok(n > 0)
}

/// Locks the account until `until` whatever its state (an administrator's act); returns
/// whether it exists.
pub async fn lock(tx: &mut Tx, id: &str, until: i64) -> Result<bool, DbError> {
    let n = tx
        .exec(
            "UPDATE users SET failed_logins = 0, locked_until = $2 WHERE id = $1",
            args![id, until],
        )
        .await?;
    Ok(n > 0)
}

// ----- sessions ------------------------------------------------------------------------------

/// A new session.
#[derive(Clone, Debug)]
pub struct NewSession<'a> {
    /// The stored hash of its token.
    pub token_hash: &'a str,
    /// Whose.
    pub user: &'a str,
    /// On which device.
    pub device: &'a str,
    /// Opened (Unix milliseconds).
    pub created_at: i64,
    /// Expires (Unix milliseconds).
    pub expires_at: i64,
}

/// Opens a session.
pub async fn insert_session(tx: &mut Tx, s: &NewSession<'_>) -> Result<(), DbError> {
    tx.exec(
        "INSERT INTO sessions (token_hash, user_id, device, created_at, expires_at, last_used) \
         VALUES ($1, $2, $3, $4, $5, $4)",
        args![s.token_hash, s.user, s.device, s.created_at, s.expires_at],
    )
    .await?;
    Ok(())
}

/// Revokes the person's live sessions on one device; returns how many.
pub async fn revoke_device_sessions(
    tx: &mut Tx,
    user: &str,
    device: &str,
    at: i64,
) -> Result<u64, DbError> {
    tx.exec(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE user_id = $2 AND device = $3 AND revoked_at IS NULL",
        args![at, user, device],
    )
    .await
}

/// Revokes every live session of the person; returns how many.
pub async fn revoke_all_sessions(tx: &mut Tx, user: &str, at: i64) -> Result<u64, DbError> {
    tx.exec(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        args![at, user],
    )
    .await
}

/// Revokes every live session of the person but the one with this token hash; returns how
/// many.
pub async fn revoke_other_sessions(
    tx: &mut Tx,
    user: &str,
    keep_token_hash: &str,
    at: i64,
) -> Result<u64, DbError> {
    tx.exec(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE user_id = $2 AND token_hash <> $3 AND revoked_at IS NULL",
        args![at, user, keep_token_hash],
    )
    .await
}

/// Revokes the session of a token.
pub async fn revoke_token(tx: &mut Tx, token_hash: &str, at: i64) -> Result<(), DbError> {
    tx.exec(
        "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2",
        args![at, token_hash],
    )
    .await?;
    Ok(())
}

/// A session not revoked, of an active person, with the `org` counter read with it.
#[derive(Clone, Debug)]
pub struct LiveSession {
    /// Whose (a person's id).
    pub user: String,
    /// The device.
    pub device: String,
    /// Expires (Unix milliseconds).
    pub expires_at: i64,
    /// The `org` counter.
    pub org_version: i64,
    /// Whether the person must choose a new password (`users.must_change_password`).
    pub must_change_password: bool,
}

/// The unrevoked session of an active person that a token hash names.
pub async fn live_session(db: &Db, token_hash: &str) -> Result<Option<LiveSession>, DbError> {
    db.row(
        "SELECT s.user_id, s.device, s.expires_at, u.must_change_password, \
         (SELECT value FROM counters WHERE name = 'org') AS org_version \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND u.active = 1",
        vec![Val::from(token_hash)],
    )
    .await?
    .map(|r| {
        Ok(LiveSession {
            user: r.get_text("user_id")?,
            device: r.get_text("device")?,
            expires_at: r.get_int("expires_at")?,
            org_version: r.get_int("org_version")?,
            must_change_password: r.get_int("must_change_password")? != 0,
        })
    })
    .transpose()
}

/// One of a person's sessions.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// The device.
    pub device: String,
    /// Opened (Unix milliseconds).
    pub created_at: i64,
    /// Expires (Unix milliseconds).
    pub expires_at: i64,
    /// The stored hash of its token.
    pub token_hash: String,
}

/// The person's sessions neither revoked nor expired at `now`, oldest first.
pub async fn sessions_of(db: &Db, user: &str, now: i64) -> Result<Vec<SessionRow>, DbError> {
    db.rows(
        "SELECT device, created_at, expires_at, token_hash FROM sessions \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at",
        args![user, now],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(SessionRow {
            device: r.get_text("device")?,
            created_at: r.get_int("created_at")?,
            expires_at: r.get_int("expires_at")?,
            token_hash: r.get_text("token_hash")?,
        })
    })
    .collect()
}

/// Revokes a person's live sessions — every one, or one device's — and forgets those
/// devices' push registrations, so a signed-out phone gets no more notices. Used when an
/// administrator signs a person out, locks or deactivates the account, and when a person
/// signs one of their devices out. Returns how many sessions were revoked.
pub async fn revoke_sessions(
    tx: &mut Tx,
    user: &str,
    device: Option<&str>,
    at: i64,
) -> Result<u64, DbError> {
    let n = match device {
        Some(device) => {
            let n = revoke_device_sessions(tx, user, device, at).await?;
            super::notifications::forget_device(&mut *tx, user, device).await?;
            n
        }
        None => {
            let n = revoke_all_sessions(tx, user, at).await?;
            super::notifications::forget_devices(tx, user).await?;
            n
        }
    };
    Ok(n)
}
