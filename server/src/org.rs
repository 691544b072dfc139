//! The organisation as the rules need it — units, people, policy and calendar — loaded from
//! the database and cached. Every change to any of them bumps the `org` counter in the same
//! transaction; each request reads that counter with its session, so a replica reloads as
//! soon as another replica changed something.

use std::collections::HashMap;
use std::sync::Arc;

use duban_core::domain::calendar::{Calendar, YearData};
use duban_core::domain::{Actor, Policy, Role, Roles, UnitId, UnitTree, UserId};
use duban_core::protocol::{Person, UnitRecord};
use tokio::sync::RwLock;

use crate::db::{Db, DbError, Row, Tx};

/// A snapshot of the organisation.
#[derive(Clone, Debug)]
pub struct Org {
    /// The `org` counter this snapshot was read at.
    pub version: i64,
    /// Units in tree order (parents before children, then by sort order).
    pub units: Vec<UnitRecord>,
    /// The hierarchy.
    pub tree: UnitTree,
    /// People by id.
    pub people: HashMap<UserId, Person>,
    /// The policy.
    pub policy: Policy,
    /// The calendar.
    pub calendar: Calendar,
}

impl Org {
    /// The actor for a person.
    pub fn actor(&self, id: UserId) -> Option<Actor> {
        self.people.get(&id).map(actor_of)
    }

    /// The unit, if known.
    pub fn unit(&self, id: UnitId) -> Option<&UnitRecord> {
        self.units.iter().find(|u| u.id == id)
    }

    /// The calendar years, for the feed and snapshots.
    pub fn calendar_years(&self) -> Vec<YearData> {
        self.calendar.years().cloned().collect()
    }
}

/// The actor of a person.
pub fn actor_of(p: &Person) -> Actor {
    Actor {
        id: p.id,
        unit: p.unit,
        roles: Roles::of(&p.roles),
    }
}

fn parse_uuid(s: &str) -> Result<uuid::Uuid, DbError> {
    uuid::Uuid::parse_str(s).map_err(|e| DbError::Corrupt(format!("uuid {s:?}: {e}")))
}

/// Decodes JSON stored by this server.
pub fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(format!("json: {e}")))
}

/// Encodes for storage.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Every stored type serialises: no maps with non-string keys, no failing Serialize impls.
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The column list [`person_of`] reads.
pub const PERSON_COLUMNS: &str = "id, username, name, unit, position, roles, in_charge, active";

/// A person from a row of [`PERSON_COLUMNS`].
pub fn person_of(r: &Row) -> Result<Person, DbError> {
    Ok(Person {
        id: UserId(parse_uuid(&r.text(0)?)?),
        username: r.text(1)?,
        name: r.text(2)?,
        unit: r.opt_text(3)?.map(|u| parse_uuid(&u).map(UnitId)).transpose()?,
        position: r.text(4)?,
        roles: from_json::<Vec<Role>>(&r.text(5)?)?,
        in_charge: from_json::<Vec<UnitId>>(&r.text(6)?)?,
        active: r.int(7)? != 0,
    })
}

/// A unit from `id, parent, name, name_en, sort`.
pub fn unit_of(r: &Row) -> Result<UnitRecord, DbError> {
    Ok(UnitRecord {
        id: UnitId(parse_uuid(&r.text(0)?)?),
        parent: r.opt_text(1)?.map(|u| parse_uuid(&u).map(UnitId)).transpose()?,
        name: r.text(2)?,
        name_en: r.text(3)?,
        sort: r.int(4)?,
    })
}

async fn load(db: &Db) -> Result<Org, DbError> {
    let version = db
        .row("SELECT value FROM counters WHERE name = 'org'", vec![])
        .await?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    let mut units = Vec::new();
    for r in db
        .rows("SELECT id, parent, name, name_en, sort FROM units ORDER BY sort, name", vec![])
        .await?
    {
        units.push(unit_of(&r)?);
    }
    let mut tree = UnitTree::default();
    for u in &units {
        tree.insert(u.id, u.parent);
    }
    let mut people = HashMap::new();
    for r in db
        .rows(&format!("SELECT {PERSON_COLUMNS} FROM users"), vec![])
        .await?
    {
        let p = person_of(&r)?;
        people.insert(p.id, p);
    }
    let mut policy = Policy::default();
    let mut calendar = Calendar::builtin();
    for r in db.rows("SELECT key, value FROM settings", vec![]).await? {
        let key = r.text(0)?;
        let value = r.text(1)?;
        if key == "policy" {
            policy = Policy::from_json(&value).map_err(|e| DbError::Corrupt(e.to_string()))?;
        } else if key.starts_with("calendar:") {
            calendar
                .import_year_json(&value)
                .map_err(|e| DbError::Corrupt(e.to_string()))?;
        }
    }
    Ok(Org {
        version,
        units,
        tree,
        people,
        policy,
        calendar,
    })
}

/// The cached organisation.
pub struct OrgCache {
    current: RwLock<Arc<Org>>,
}

impl OrgCache {
    /// Loads it.
    pub async fn new(db: &Db) -> Result<OrgCache, DbError> {
        Ok(OrgCache {
            current: RwLock::new(Arc::new(load(db).await?)),
        })
    }

    /// The organisation at least as new as `version` (reloading if the cache is older).
    pub async fn at(&self, db: &Db, version: i64) -> Result<Arc<Org>, DbError> {
        {
            let current = self.current.read().await;
            if current.version >= version {
                return Ok(current.clone());
            }
        }
        let mut current = self.current.write().await;
        if current.version < version {
            *current = Arc::new(load(db).await?);
        }
        Ok(current.clone())
    }

    /// The organisation as of now (reads the counter).
    pub async fn latest(&self, db: &Db) -> Result<Arc<Org>, DbError> {
        let version = db
            .row("SELECT value FROM counters WHERE name = 'org'", vec![])
            .await?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(0);
        self.at(db, version).await
    }
}

/// Bumps the `org` counter inside a transaction that changed reference data.
pub async fn bump(tx: &mut Tx) -> Result<(), DbError> {
    tx.exec(
        "UPDATE counters SET value = value + 1 WHERE name = 'org'",
        vec![],
    )
    .await?;
    Ok(())
}
