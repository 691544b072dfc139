//! The organisation as the rules need it — units, people, policy and calendar — loaded from
//! the database and cached. Every change to any of them bumps the `org` counter in the same
//! transaction; each request reads that counter with its session, so a replica reloads as
//! soon as another replica changed something.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use duban_core::domain::calendar::{Calendar, YearData};
use duban_core::domain::{
    actor_keys, Actor, AudienceKey, Policy, Role, Roles, UnitId, UnitTree, UserId,
};
use duban_core::protocol::{Person, UnitRecord};
use tokio::sync::RwLock;

use crate::db::audience::AudienceRow;
use crate::db::{self, Db, DbError, Tx};

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
    /// The active people holding each audience key (but `everyone`), sorted: whom an
    /// item's audience may concern.
    pub members: HashMap<AudienceKey, Vec<UserId>>,
}

impl Org {
    /// The organisation's name: its root unit's (empty before `duban init`).
    pub fn name(&self) -> String {
        self.units
            .iter()
            .find(|u| u.parent.is_none())
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    /// The actor for a person.
    pub fn actor(&self, id: UserId) -> Option<Actor> {
        self.people.get(&id).map(actor_of)
    }

    /// The unit, if known.
    pub fn unit(&self, id: UnitId) -> Option<&UnitRecord> {
        self.units.iter().find(|u| u.id == id)
    }

    /// The active people who hold any of `keys` but `everyone`, once each, sorted: those an
    /// item with this audience may have something to tell.
    pub fn concerned(&self, keys: &BTreeSet<AudienceKey>) -> Vec<UserId> {
        let mut out: Vec<UserId> = keys
            .iter()
            .filter(|k| **k != AudienceKey::Everyone)
            .filter_map(|k| self.members.get(k))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
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

pub use crate::db::codec::{from_code, from_json, time_of, to_json};

/// The setting holding the organisation's offset from UTC in minutes (`duban init`); absent:
/// +08:00.
pub const UTC_OFFSET_SETTING: &str = "utc_offset";

async fn load(db: &Db) -> Result<Org, DbError> {
    let version = db::org::version(db).await?;
    let units = db::org::units(db).await?;
    let mut tree = UnitTree::default();
    for u in &units {
        tree.insert(u.id, u.parent);
    }
    let mut people = HashMap::new();
    for p in db::org::people(db).await? {
        people.insert(p.id, p);
    }
    let mut policy = Policy::default();
    let mut calendar = Calendar::builtin();
    for setting in db::org::settings(db).await? {
        let (key, value) = (setting.key, setting.value);
        if key == "policy" {
            policy = Policy::from_json(&value).map_err(|e| DbError::Corrupt(e.to_string()))?;
        } else if key == UTC_OFFSET_SETTING {
            let minutes: i32 = value
                .trim()
                .parse()
                .map_err(|_| DbError::Corrupt("the utc_offset setting is not minutes".into()))?;
            calendar.set_utc_offset(minutes);
        } else if key.starts_with("calendar:") {
            calendar
                .import_year_json(&value)
                .map_err(|e| DbError::Corrupt(e.to_string()))?;
        }
    }
    let mut members: HashMap<AudienceKey, Vec<UserId>> = HashMap::new();
    for p in people.values().filter(|p| p.active) {
        for key in actor_keys(&actor_of(p)) {
            if key != AudienceKey::Everyone {
                members.entry(key).or_default().push(p.id);
            }
        }
    }
    for list in members.values_mut() {
        list.sort_unstable();
    }
    Ok(Org {
        version,
        units,
        tree,
        people,
        policy,
        calendar,
        members,
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
        let version = db::org::version(db).await?;
        self.at(db, version).await
    }
}

/// Bumps the `org` counter inside a transaction that changed reference data.
pub async fn bump(tx: &mut Tx) -> Result<(), DbError> {
    db::org::bump(tx).await
}

/// A new or changed unit.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    /// Id; made by the server when absent.
    #[serde(default)]
    pub id: Option<UnitId>,
    /// The unit above.
    pub parent: Option<UnitId>,
    /// Name (zh-CN).
    pub name: String,
    /// Name (English).
    #[serde(default)]
    pub name_en: String,
    /// Order among siblings.
    #[serde(default)]
    pub sort: i64,
    /// Short name (简称), may be empty.
    #[serde(default)]
    pub short_name: String,
    /// Other names people write for the unit.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Retired: offered for nothing new, kept for the items that name it.
    #[serde(default)]
    pub retired: bool,
    /// The peer group the unit is ranked in (e.g. 县直部门); empty for the default.
    #[serde(default)]
    pub peer_group: String,
}

impl UnitInput {
    /// The input that writes `unit` back unchanged (to change one field of it).
    pub fn of(unit: &UnitRecord) -> UnitInput {
        UnitInput {
            id: Some(unit.id),
            parent: unit.parent,
            name: unit.name.clone(),
            name_en: unit.name_en.clone(),
            sort: unit.sort,
            short_name: unit.short_name.clone(),
            aliases: unit.aliases.clone(),
            retired: unit.retired,
            peer_group: unit.peer_group.clone(),
        }
    }
}

/// A new account or a change to one.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Id; made by the server when absent.
    #[serde(default)]
    pub id: Option<UserId>,
    /// Account name (lower case letters, digits, `-`, `_`, `.`).
    pub username: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: Option<UnitId>,
    /// Position (职务).
    #[serde(default)]
    pub position: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// Units in charge (deputy leaders).
    #[serde(default)]
    pub in_charge: Vec<UnitId>,
    /// Mobile number for SMS notices.
    #[serde(default)]
    pub phone: Option<String>,
    /// A new password (required for a new account).
    #[serde(default)]
    pub password: Option<String>,
    /// Whether the account may sign in.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Why an organisation change is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRefusal {
    /// Stable code.
    pub code: &'static str,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
}

fn refuse(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> OrgRefusal {
    OrgRefusal {
        code,
        zh: zh.into(),
        en: en.into(),
    }
}

/// Refuses a name holding a control, line-break or text-direction character (the core's
/// rule, `input.control_char`).
fn one_line(text: &str, what_zh: &str, what_en: &str) -> Result<(), OrgRefusal> {
    duban_core::domain::text::check(text, true, what_zh, what_en).map_err(|r| OrgRefusal {
        code: duban_core::domain::text::CODE,
        zh: r.zh,
        en: r.en,
    })
}

/// Checks a unit change against the current tree (no cycles, known parent).
pub fn check_unit(org: &Org, input: &UnitInput, id: UnitId) -> Result<(), OrgRefusal> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || input.name_en.chars().count() > 200 {
        return Err(refuse(
            "org.bad_name",
            "单位名称不能为空,且不超过100个字",
            "a unit's name must be 1 to 100 characters",
        ));
    }
    one_line(&input.name, "单位名称", "a unit's name")?;
    one_line(&input.name_en, "单位英文名称", "a unit's English name")?;
    if input.short_name.trim().chars().count() > 50 {
        return Err(refuse(
            "org.bad_short_name",
            "单位简称不超过50个字",
            "a unit's short name is at most 50 characters",
        ));
    }
    one_line(&input.short_name, "单位简称", "a unit's short name")?;
    if input.peer_group.trim().chars().count() > 30 {
        return Err(refuse(
            "org.bad_peer_group",
            "单位的排名分组不超过30个字",
            "a unit's peer group is at most 30 characters",
        ));
    }
    one_line(&input.peer_group, "排名分组", "a unit's peer group")?;
    if input.aliases.len() > 20
        || input
            .aliases
            .iter()
            .any(|a| a.trim().is_empty() || a.trim().chars().count() > 100)
    {
        return Err(refuse(
            "org.bad_alias",
            "别名最多20个,每个1至100个字",
            "a unit has at most 20 aliases, each 1 to 100 characters",
        ));
    }
    for alias in &input.aliases {
        one_line(alias, "单位别名", "a unit's alias")?;
    }
    if input.parent.is_none() && input.retired {
        return Err(refuse(
            "org.retire_root",
            "不能撤销组织本身(根单位)",
            "the organisation itself (the root unit) cannot be retired",
        ));
    }
    // Every name a person may write for this unit must find it alone.
    let own = unit_names(&input.name, &input.short_name, &input.aliases);
    for other in org.units.iter().filter(|u| u.id != id) {
        let theirs = unit_names(&other.name, &other.short_name, &other.aliases);
        if let Some(clash) = own.iter().skip(1).find(|n| theirs.contains(n)).or_else(|| {
            // The full name may repeat another's full name (two 办公室 under different
            // parents), but not another's short name or alias.
            theirs.iter().skip(1).find(|n| **n == own[0])
        }) {
            return Err(refuse(
                "org.name_taken",
                format!("“{clash}”已是单位“{}”的名称、简称或别名", other.name),
                format!(
                    "“{clash}” is already a name, short name or alias of the unit “{}”",
                    other.name
                ),
            ));
        }
    }
    if let Some(parent) = input.parent {
        if org.unit(parent).is_none() {
            return Err(refuse(
                "org.unknown_unit",
                "上级单位不存在",
                "no such parent unit",
            ));
        }
        let moved = org.unit(id).map(|u| u.parent) != Some(Some(parent));
        if moved && org.unit(parent).is_some_and(|p| p.retired) {
            return Err(refuse(
                "org.retired_parent",
                "上级单位已撤销,不能在其下新建或移入单位",
                "the parent unit is retired: no unit may be created or moved under it",
            ));
        }
        if org.tree.is_within(parent, id) {
            return Err(refuse(
                "org.cycle",
                "不能把单位移到其自身或下级单位之下",
                "a unit cannot be placed under itself or one of its sub-units",
            ));
        }
    }
    Ok(())
}

/// A unit's names as written: its full name first, then its short name and aliases (trimmed,
/// empty ones left out, once each).
pub fn unit_names<'a>(name: &'a str, short_name: &'a str, aliases: &'a [String]) -> Vec<&'a str> {
    let mut out = vec![name.trim()];
    for n in std::iter::once(short_name).chain(aliases.iter().map(String::as_str)) {
        let n = n.trim();
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// How a written unit name was not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitLookup {
    /// No unit has this name, short name or alias.
    Unknown,
    /// Several units have it (full names may repeat): their ids.
    Ambiguous(Vec<UnitId>),
}

/// Finds a unit by its full name, short name (简称) or an alias — the one resolver every
/// import and form uses. A full name wins over a short name or alias; retired units are
/// left out unless `with_retired`.
pub fn find_unit<'a>(
    units: &'a [UnitRecord],
    written: &str,
    with_retired: bool,
) -> Result<&'a UnitRecord, UnitLookup> {
    let written = written.trim();
    let live = || units.iter().filter(|u| with_retired || !u.retired);
    let by_name: Vec<&UnitRecord> = live().filter(|u| u.name.trim() == written).collect();
    let found = if by_name.is_empty() {
        live()
            .filter(|u| unit_names(&u.name, &u.short_name, &u.aliases).contains(&written))
            .collect()
    } else {
        by_name
    };
    match found.as_slice() {
        [] => Err(UnitLookup::Unknown),
        [one] => Ok(one),
        many => Err(UnitLookup::Ambiguous(many.iter().map(|u| u.id).collect())),
    }
}

/// Checks an account change.
pub fn check_person(org: &Org, input: &PersonInput, is_new: bool) -> Result<(), OrgRefusal> {
    let u = &input.username;
    if u.is_empty()
        || u.len() > 64
        || !u
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
    {
        return Err(refuse(
            "org.bad_username",
            "用户名应为1至64个小写字母、数字或 - _ .",
            "a username is 1 to 64 lower-case letters, digits, '-', '_' or '.'",
        ));
    }
    if input.name.trim().is_empty() || input.name.chars().count() > 100 {
        return Err(refuse(
            "org.bad_name",
            "姓名不能为空",
            "a name must be 1 to 100 characters",
        ));
    }
    one_line(&input.name, "姓名", "a name")?;
    one_line(&input.position, "职务", "a position")?;
    if input.roles.is_empty() || input.roles.contains(&Role::System) {
        return Err(refuse(
            "org.bad_roles",
            "至少需要一个角色(不能是系统角色)",
            "at least one role is needed (not the system role)",
        ));
    }
    for unit in input.unit.iter().chain(input.in_charge.iter()) {
        if org.unit(*unit).is_none() {
            return Err(refuse("org.unknown_unit", "单位不存在", "no such unit"));
        }
    }
    if input.roles.contains(&Role::UnitHead) && input.unit.is_none() {
        return Err(refuse(
            "org.head_without_unit",
            "单位负责人必须属于某个单位",
            "a unit head must belong to a unit",
        ));
    }
    if is_new && input.password.is_none() {
        return Err(refuse(
            "org.password_required",
            "新账号需要设置密码",
            "a new account needs a password",
        ));
    }
    Ok(())
}

fn reference_change(reference: &duban_core::protocol::Reference, at: i64) -> crate::db::NewChange {
    crate::db::NewChange {
        kind: "reference",
        task: None,
        task_seq: None,
        hash: None,
        body: to_json(reference),
        at,
    }
}

/// Writes a unit (insert or update) in a transaction, with its feed row. A unit that moved
/// changes who sees which items: every item's audience is recomputed and everyone resyncs.
pub async fn write_unit(
    tx: &mut Tx,
    org: &Org,
    input: &UnitInput,
    id: UnitId,
    at: i64,
) -> Result<UnitRecord, DbError> {
    let moved = org.unit(id).is_some_and(|u| u.parent != input.parent);
    let record = UnitRecord {
        id,
        parent: input.parent,
        name: input.name.trim().to_owned(),
        name_en: input.name_en.trim().to_owned(),
        sort: input.sort,
        short_name: input.short_name.trim().to_owned(),
        aliases: unit_names(&input.name, &input.short_name, &input.aliases)
            .into_iter()
            .skip(1)
            .filter(|a| *a != input.short_name.trim())
            .map(str::to_owned)
            .collect(),
        retired: input.retired,
        peer_group: input.peer_group.trim().to_owned(),
    };
    db::org::put_unit(tx, &record).await?;
    let mut feed = vec![reference_change(
        &duban_core::protocol::Reference::Unit(record.clone()),
        at,
    )];
    if moved {
        let mut tree = org.tree.clone();
        tree.insert(id, input.parent);
        recompute_audiences(tx, &tree).await?;
        feed.push(crate::db::NewChange {
            kind: "reset",
            task: None,
            task_seq: None,
            hash: None,
            body: "{\"all\":true}".into(),
            at,
        });
    }
    bump(tx).await?;
    tx.append_changes(&feed).await?;
    Ok(record)
}

async fn recompute_audiences(tx: &mut Tx, tree: &UnitTree) -> Result<(), DbError> {
    use duban_core::domain::permission::{audience, confidential_audience};
    let mut rows = Vec::new();
    for (task, state) in db::audience::task_states(tx).await? {
        for (tier, keys) in [
            ("view", audience(&state, tree)),
            ("secret", confidential_audience(&state, tree)),
        ] {
            for k in keys {
                rows.push(AudienceRow {
                    task: task.clone(),
                    tier,
                    key: k.to_string(),
                });
            }
        }
    }
    db::audience::replace_all(tx, &rows).await
}

/// Writes an account (insert or update) with its feed row; a change of the person's roles or
/// unit tells their devices to resync (what they may see changed).
pub async fn write_person(
    tx: &mut Tx,
    org: &Org,
    input: &PersonInput,
    id: UserId,
    password_hash: Option<String>,
    at: i64,
) -> Result<Person, DbError> {
    let before = org.people.get(&id);
    let person = Person {
        id,
        username: input.username.clone(),
        name: input.name.trim().to_owned(),
        unit: input.unit,
        position: input.position.trim().to_owned(),
        roles: input.roles.clone(),
        in_charge: input.in_charge.clone(),
        active: input.active,
    };
    if before.is_some() {
        db::org::update_person(tx, &person, input.phone.as_deref()).await?;
        if let Some(hash) = &password_hash {
            db::org::set_password(tx, &id.to_string(), hash).await?;
        }
    } else {
        db::org::insert_person(
            tx,
            &person,
            input.phone.as_deref(),
            &password_hash.unwrap_or_default(),
            at,
        )
        .await?;
    }
    if !person.active {
        crate::db::org::revoke_sessions(tx, &id.to_string(), None, at).await?;
    }
    let mut feed = vec![reference_change(
        &duban_core::protocol::Reference::Person(person.clone()),
        at,
    )];
    if before.is_some_and(|b| b.roles != person.roles || b.unit != person.unit) {
        feed.push(crate::db::NewChange {
            kind: "reset",
            task: None,
            task_seq: None,
            hash: None,
            body: to_json(&serde_json::json!({ "user": id })),
            at,
        });
    }
    bump(tx).await?;
    tx.append_changes(&feed).await?;
    Ok(person)
}
