//! Value types of the domain: identifiers, the people and units who act, and the small
//! records an item is made of (milestones, assignees, evidence references, numbers).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Builds the identifier from a 128-bit number (tests, fixtures, derived ids).
            pub const fn from_u128(n: u128) -> Self {
                Self(Uuid::from_u128(n))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A supervised item (督办事项). Made by whoever registers it, so a phone can register offline.
    TaskId
);
id_type!(
    /// A person with an account.
    UserId
);
id_type!(
    /// A handling unit (承办单位): department, subsidiary, town.
    UnitId
);
id_type!(
    /// A report (progress or completion), made by the client that files it.
    ReportId
);
id_type!(
    /// A comment or an instruction on an item; replies point at either.
    NoteId
);
id_type!(
    /// A manual score adjustment.
    AdjustmentId
);
id_type!(
    /// The group of items made by one dispatch to several units.
    BatchId
);

impl UserId {
    /// The system actor: the scheduler issues time-driven commands under this id.
    pub const SYSTEM: UserId = UserId(Uuid::nil());
}

/// Urgency (紧急程度). Sets the default deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 普通
    #[default]
    Normal,
    /// 紧急
    Urgent,
    /// 特急
    ExtraUrgent,
}

/// Visibility (密级): who may read an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// 公开: the whole organisation and the public board.
    Public,
    /// 内部: the office, leaders and inspectors, those involved, and the staff and heads of
    /// the units involved (lead and participants). See `permission::audience`.
    #[default]
    Internal,
    /// 保密: only those involved, leaders, supervisors and inspectors; no unit colleagues.
    Confidential,
}

/// Where an item came from (来源).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A meeting decision (会议决定).
    Meeting,
    /// A document (文件).
    Document,
    /// A leader's instruction (领导批示).
    Instruction,
    /// A problem found on site (现场发现).
    OnSite,
    /// Anything else.
    #[default]
    Other,
}

/// A milestone's kind (节点).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    /// 最终节点: the item's end.
    Final,
    /// 关键节点
    Key,
    /// 常规节点
    Regular,
}

/// A milestone as planned at registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneSpec {
    /// Number within the item, unique.
    pub id: u32,
    /// Final, key or regular.
    pub kind: MilestoneKind,
    /// What is due.
    pub title: String,
    /// When it is due (an instant; precise to the hour).
    pub due: DateTime<Utc>,
    /// The progress (0–100) the plan expects once this milestone is met.
    pub planned_percent: u8,
}

/// Who handles: a unit, and optionally one person in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignee {
    /// The handling unit.
    pub unit: UnitId,
    /// The handler in that unit; `None` means the unit as a whole.
    pub user: Option<UserId>,
}

/// A reference to a stored file (photo, video, document), content-addressed by its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobRef {
    /// Hex blake3 of the content.
    pub hash: String,
    /// MIME type, e.g. `image/jpeg`.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// The file's name as shown.
    pub name: String,
    /// For a photo that went through the capture pipeline: what it shows and where it came
    /// from, kept apart from the image (which carries no EXIF) and hashed into the trail
    /// with the event that cites it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<Box<PhotoMeta>>,
}

impl BlobRef {
    /// A plain file (no photo metadata).
    pub fn file(
        hash: impl Into<String>,
        mime: impl Into<String>,
        size: u64,
        name: impl Into<String>,
    ) -> BlobRef {
        BlobRef {
            hash: hash.into(),
            mime: mime.into(),
            size,
            name: name.into(),
            photo: None,
        }
    }

    /// The stored files this reference names: itself, and a photo's thumbnail.
    pub fn stored(&self) -> impl Iterator<Item = &BlobRef> {
        std::iter::once(self).chain(self.photo.as_deref().map(|p| &p.thumbnail))
    }
}

/// Where a photo came from (R5.2): shot in the app's camera, or picked from the gallery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoSource {
    /// Taken with the camera in the app, on the spot.
    Camera,
    /// Chosen from the phone's gallery: it may be old, or not from this site.
    Gallery,
}

/// Where a photo's capture time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The camera's own record (EXIF `DateTimeOriginal`, with `OffsetTimeOriginal`).
    Exif,
    /// The phone's clock when the app took the photo in (the file had no capture time).
    Device,
}

/// A place on Earth (WGS 84) in units of 10⁻⁷ degree (about 1 cm), so that it compares
/// and hashes exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude, north positive.
    pub lat_e7: i64,
    /// Longitude, east positive.
    pub lon_e7: i64,
}

impl GeoPoint {
    /// The point nearest to these degrees; `None` outside ±90° / ±180° or not finite.
    pub fn from_degrees(lat: f64, lon: f64) -> Option<GeoPoint> {
        let ok = lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0;
        ok.then(|| GeoPoint {
            lat_e7: (lat * 1e7).round() as i64,
            lon_e7: (lon * 1e7).round() as i64,
        })
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat_e7 as f64 / 1e7
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon_e7 as f64 / 1e7
    }
}

/// What the capture pipeline kept of a photo, apart from its pixels (R5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoMeta {
    /// When it was taken, with the offset it was taken in.
    pub captured_at: DateTime<FixedOffset>,
    /// Where that time comes from.
    pub time_source: TimeSource,
    /// Where it was taken (EXIF GPS, or the phone's fix when the file had none).
    pub location: Option<GeoPoint>,
    /// The place's name as the app gave it (e.g. a street), if any.
    pub place: Option<String>,
    /// The camera's maker (EXIF `Make`).
    pub make: Option<String>,
    /// The camera's model (EXIF `Model`).
    pub model: Option<String>,
    /// Camera or gallery.
    pub source: PhotoSource,
    /// The stored image's width in pixels, upright.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// The small variant shown in lists.
    pub thumbnail: BlobRef,
    /// For the "after" photo of a rectification: the hash of the "before" photo it answers
    /// (R5.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<String>,
}

/// The period of recurring report requests (R1.4, R5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Every week, from Monday.
    Weekly,
    /// Every month, from the 1st.
    Monthly,
    /// Every quarter, from January, April, July, October 1st.
    Quarterly,
}

/// Recurring report requests: every `period`, a report is owed within `due_working_days`,
/// giving a value for each of `fields`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// How often.
    pub period: Period,
    /// Working days after the period starts by which the report is due.
    pub due_working_days: u32,
    /// The figures each period's report gives, by label (e.g. `本月完成投资（万元）`,
    /// `整改完成数`), in the order a sheet shows them; none for a report of words alone.
    /// Absent from older data (and then not serialized, so older events hash as before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// An item's human number, e.g. `督〔2026〕17号`: per category and year.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskNumber {
    /// The category's prefix, e.g. `督`.
    pub prefix: String,
    /// The year.
    pub year: i32,
    /// The sequence within category and year, from 1.
    pub seq: u32,
}

impl fmt::Display for TaskNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}〔{}〕{}号", self.prefix, self.year, self.seq)
    }
}

/// The last number used per category and year. The server keeps one in its database and
/// allocates inside the transaction that registers the item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberBook {
    last: BTreeMap<(String, i32), u32>,
}

impl NumberBook {
    /// A book that continues from `last` for the category and year.
    pub fn set_last(&mut self, category: &str, year: i32, last: u32) {
        self.last.insert((category.to_owned(), year), last);
    }

    /// The last number handed out for the category and year (0 if none).
    pub fn last(&self, category: &str, year: i32) -> u32 {
        self.last
            .get(&(category.to_owned(), year))
            .copied()
            .unwrap_or(0)
    }

    /// Hands out the next number for the category and year.
    pub fn allocate(&mut self, category: &str, prefix: &str, year: i32) -> TaskNumber {
        let slot = self.last.entry((category.to_owned(), year)).or_insert(0);
        *slot = slot.saturating_add(1);
        TaskNumber {
            prefix: prefix.to_owned(),
            year,
            seq: *slot,
        }
    }
}

/// A role a person holds in the organisation. Several may be held at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Administers accounts, calendar and policy.
    Admin,
    /// 主要领导 / 总经理: approves second extensions.
    MainLeader,
    /// 分管领导: approves first extensions.
    DeputyLeader,
    /// 督办员: runs the process.
    Supervisor,
    /// 纪检监察: reads everything.
    Inspector,
    /// Head of a unit: acts for the unit and its sub-units.
    UnitHead,
    /// Handling staff.
    Staff,
    /// The scheduler.
    System,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Supervisor,
        Role::Inspector,
        Role::UnitHead,
        Role::Staff,
        Role::System,
    ];

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of roles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roles(u16);

impl Roles {
    /// No role.
    pub const NONE: Roles = Roles(0);

    /// The set holding exactly these roles.
    pub fn of(roles: &[Role]) -> Roles {
        Roles(roles.iter().fold(0, |acc, r| acc | r.bit()))
    }

    /// Whether the role is held.
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// Whether any of the roles is held.
    pub fn any(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// Whether the person leads (main or deputy leader).
    pub fn is_leader(self) -> bool {
        self.any(&[Role::MainLeader, Role::DeputyLeader])
    }
}

/// The person issuing a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Who.
    pub id: UserId,
    /// Their unit, if any.
    pub unit: Option<UnitId>,
    /// Their roles.
    pub roles: Roles,
}

impl Actor {
    /// The scheduler.
    pub fn system() -> Actor {
        Actor {
            id: UserId::SYSTEM,
            unit: None,
            roles: Roles::of(&[Role::System]),
        }
    }
}

/// The unit hierarchy as a parent map. Pure data; the server loads it from its database.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitTree {
    parent: BTreeMap<UnitId, Option<UnitId>>,
}

impl UnitTree {
    /// The deepest hierarchy walked; deeper (or cyclic) data stops there.
    pub const MAX_DEPTH: usize = 64;

    /// Adds or moves a unit.
    pub fn insert(&mut self, unit: UnitId, parent: Option<UnitId>) {
        self.parent.insert(unit, parent);
    }

    /// Whether the unit is known.
    pub fn contains(&self, unit: UnitId) -> bool {
        self.parent.contains_key(&unit)
    }

    /// The unit's parent.
    pub fn parent(&self, unit: UnitId) -> Option<UnitId> {
        self.parent.get(&unit).copied().flatten()
    }

    /// The unit itself, then its parent, its parent's parent … up to the root: the units
    /// `unit` lies within (see [`UnitTree::is_within`]). At most [`UnitTree::MAX_DEPTH`]
    /// units; the walk stops at the first unit seen twice, so cyclic data ends too. A unit
    /// the tree does not know yields just itself.
    pub fn ancestors(&self, unit: UnitId) -> Vec<UnitId> {
        let mut out = Vec::new();
        let mut current = Some(unit);
        while let Some(u) = current {
            if out.len() >= Self::MAX_DEPTH || out.contains(&u) {
                break;
            }
            out.push(u);
            current = self.parent(u);
        }
        out
    }

    /// Whether `unit` is `ancestor` or lies below it.
    pub fn is_within(&self, unit: UnitId, ancestor: UnitId) -> bool {
        let mut current = Some(unit);
        for _ in 0..Self::MAX_DEPTH {
            match current {
                Some(u) if u == ancestor => return true,
                Some(u) => current = self.parent(u),
                None => return false,
            }
        }
        false
    }
}
