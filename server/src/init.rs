//! `duban init`: an empty organisation on an empty database — its root unit (named after the
//! organisation), its time zone (a fixed UTC offset, which the calendar uses) and its first
//! administrator — written in one transaction and recorded in the administrative trail with
//! the actor [`crate::admin_trail::INIT`]. Units and people then come from the console's
//! spreadsheet imports (`crate::org_import`).
//!
//! The password is given by the caller (the command line reads it from the terminal without
//! echo, or from a file), never from the command line's arguments.

use duban_core::domain::{Role, UnitId, UserId};
use thiserror::Error;

use crate::admin_trail::INIT;
use crate::auth::{check_password_rules, hash_password};
use crate::error::ApiError;
use crate::org::{check_person, check_unit, PersonInput, UnitInput, UTC_OFFSET_SETTING};
use crate::routes::admin::{begin, record};
use crate::AppState;

/// What `duban init` sets up.
#[derive(Clone, Debug)]
pub struct NewOrganisation {
    /// The organisation's name (its root unit's), e.g. `某某县人民政府`.
    pub name: String,
    /// Its offset from UTC in minutes (480 for +08:00).
    pub utc_offset_minutes: i32,
    /// The first administrator's username.
    pub admin_username: String,
    /// The first administrator's name.
    pub admin_name: String,
    /// Their password (the password rules apply).
    pub password: String,
}

/// What `duban init` made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Initialised {
    /// The root unit.
    pub root: UnitId,
    /// The first administrator.
    pub admin: UserId,
}

/// Why `duban init` refused.
#[derive(Debug, Error)]
pub enum InitError {
    /// The database already holds units or people.
    #[error("the database already holds an organisation")]
    NotEmpty,
    /// The offset is not of the form `+08:00`, `-05:30`, `UTC+8`, or beyond ±14:00.
    #[error("the UTC offset “{0}” is not like +08:00")]
    BadOffset(String),
    /// A value was refused by the organisation's rules (a name, the username, the password).
    #[error("{} ({code})", .en)]
    Refused {
        /// Stable code.
        code: String,
        /// zh-CN.
        zh: String,
        /// English.
        en: String,
    },
}

impl InitError {
    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            InitError::NotEmpty => "init.not_empty",
            InitError::BadOffset(_) => "init.bad_offset",
            InitError::Refused { code, .. } => code,
        }
    }

    /// The message in Chinese.
    pub fn zh(&self) -> String {
        match self {
            InitError::NotEmpty => "数据库中已有组织,init 只用于空数据库".into(),
            InitError::BadOffset(t) => format!("时区“{t}”无效,应形如 +08:00"),
            InitError::Refused { zh, .. } => zh.clone(),
        }
    }

    /// The message in English.
    pub fn en(&self) -> String {
        match self {
            InitError::NotEmpty => {
                "the database already holds an organisation; init is for an empty one".into()
            }
            InitError::BadOffset(t) => {
                format!("the time zone “{t}” is not a UTC offset like +08:00")
            }
            InitError::Refused { en, .. } => en.clone(),
        }
    }
}

impl From<ApiError> for InitError {
    fn from(e: ApiError) -> InitError {
        InitError::Refused {
            code: e.code,
            zh: e.zh,
            en: e.en,
        }
    }
}

impl From<crate::db::DbError> for InitError {
    fn from(e: crate::db::DbError) -> InitError {
        ApiError::from(e).into()
    }
}

/// Parses a UTC offset: `+08:00`, `-05:30`, `+0800`, `+8`, optionally after `UTC`/`GMT`;
/// minutes east of UTC, at most 14 hours either way.
pub fn parse_utc_offset(text: &str) -> Result<i32, InitError> {
    let bad = || InitError::BadOffset(text.to_owned());
    let t = text.trim();
    let t = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(bad());
    }
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h * 60 + m > 14 * 60 {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m))
}

/// Sets up the organisation on an empty database (see the module's text).
pub async fn init(state: &AppState, new: &NewOrganisation) -> Result<Initialised, InitError> {
    if !(-14 * 60..=14 * 60).contains(&new.utc_offset_minutes) {
        return Err(InitError::BadOffset(new.utc_offset_minutes.to_string()));
    }
    check_password_rules(&new.password)?;
    let current = state.org.latest(&state.db).await?;
    if !current.units.is_empty() || !current.people.is_empty() {
        return Err(InitError::NotEmpty);
    }
    let password = new.password.clone();
    let hash = state
        .hashing
        .run(move || hash_password(&password))
        .await??;

    let (mut tx, org) = begin(state).await?;
    if !org.units.is_empty() || !org.people.is_empty() {
        return Err(InitError::NotEmpty);
    }
    let at = chrono::Utc::now().timestamp_millis();
    let root = UnitId(uuid::Uuid::new_v4());
    let unit = UnitInput {
        id: Some(root),
        parent: None,
        name: new.name.clone(),
        name_en: String::new(),
        sort: 0,
        short_name: String::new(),
        aliases: Vec::new(),
        retired: false,
        peer_group: String::new(),
    };
    check_unit(&org, &unit, root).map_err(|r| InitError::Refused {
        code: r.code.to_owned(),
        zh: r.zh,
        en: r.en,
    })?;
    let root_unit = crate::org::write_unit(&mut tx, &org, &unit, root, at).await?;
    let mut with_root = (*org).clone();
    with_root.tree.insert(root, None);
    with_root.units.push(root_unit.clone());

    let admin = UserId(uuid::Uuid::new_v4());
    let person = PersonInput {
        id: Some(admin),
        username: new.admin_username.trim().to_lowercase(),
        name: new.admin_name.clone(),
        unit: Some(root),
        position: String::new(),
        roles: vec![Role::Admin],
        in_charge: Vec::new(),
        phone: None,
        password: Some(new.password.clone()),
        active: true,
    };
    check_person(&with_root, &person, true).map_err(|r| InitError::Refused {
        code: r.code.to_owned(),
        zh: r.zh,
        en: r.en,
    })?;
    let written =
        crate::org::write_person(&mut tx, &with_root, &person, admin, Some(hash), at).await?;
    crate::db::org::put_setting(
        &mut tx,
        UTC_OFFSET_SETTING,
        &new.utc_offset_minutes.to_string(),
    )
    .await?;

    let subject = root.to_string();
    record(
        &mut tx,
        INIT,
        "unit.create",
        &subject,
        None::<&()>,
        Some(&root_unit),
    )
    .await?;
    let after = crate::routes::admin::AccountState {
        person: &written,
        phone: None,
        password_set: true,
    };
    record(
        &mut tx,
        INIT,
        "account.create",
        &admin.to_string(),
        None::<&()>,
        Some(&after),
    )
    .await?;
    record(
        &mut tx,
        INIT,
        "settings.utc_offset",
        UTC_OFFSET_SETTING,
        None::<&()>,
        Some(&new.utc_offset_minutes),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(root = %root, admin = %admin, "organisation initialised");
    Ok(Initialised { root, admin })
}

#[cfg(test)]
mod tests {
    use super::parse_utc_offset;

    #[test]
    fn offsets() {
        assert_eq!(parse_utc_offset("+08:00").unwrap(), 480);
        assert_eq!(parse_utc_offset("UTC+8").unwrap(), 480);
        assert_eq!(parse_utc_offset("-05:30").unwrap(), -330);
        assert_eq!(parse_utc_offset("+0545").unwrap(), 345);
        for bad in ["8", "+15:00", "+08:60", "+x", "", "+08:00:00"] {
            assert!(parse_utc_offset(bad).is_err(), "{bad}");
        }
    }
}
