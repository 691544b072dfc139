//! The item list (`GET /tasks`, R8.2): the query's parameters and their checks, the
//! selection of the items a person may read, the summaries lists show, and the items loaded
//! with their states for the other views of this layer.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use duban_core::domain::derived::score::due_date;
use duban_core::domain::derived::view::View;
use duban_core::domain::derived::{
    own_progress, rolled_up_progress, scheduled_progress, timeliness_light, Colour, Signal,
};
use duban_core::domain::model::{Urgency, Visibility};
use duban_core::domain::Code;
use duban_core::domain::{effective_deadline, Role, Status, TaskId, TaskState, UnitId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::ReadError;
use crate::auth::Session;
use crate::db::tasks::{self, Page, Reader, TaskFilter, TaskHead, TaskOrder};
use crate::db::Tx;
use crate::feed::keys_of;
use crate::org::{time_of, Org};
use crate::states::StateCache;
use crate::AppState;

/// Items per page unless `per_page` says otherwise.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// The largest `per_page`.
pub const MAX_PER_PAGE: u32 = 200;
/// The longest text search (`q`), in characters.
pub const MAX_Q: usize = 100;

// ----- query parameters ---------------------------------------------------------------------

/// The filters shared by `GET /tasks` and `GET /stats`; on its own, the query of
/// `GET /stats`. Every parameter is optional; list parameters are comma-separated and an
/// item matches when it matches any value of the list (and every parameter given).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// `all` (default), `instructed`, `responsible`, `created`, `department`,
    /// `subordinates`, `followed` or `shared` (R8.2).
    pub view: Option<String>,
    /// Statuses, snake_case (`draft`, `in_progress`, …).
    pub status: Option<String>,
    /// Category codes of the organisation's policy.
    pub category: Option<String>,
    /// `normal`, `urgent`, `extra_urgent`.
    pub urgency: Option<String>,
    /// Lead unit ids; each includes its sub-units.
    pub unit: Option<String>,
    /// Timeliness light at the moment of the request: `green`, `yellow`, `red`, or `none`
    /// (no clock runs: drafts, declined and revoked items).
    pub light: Option<String>,
    /// First day (YYYY-MM-DD, the organisation's local time), inclusive.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), inclusive.
    pub to: Option<String>,
    /// Which date `from`/`to` apply to: `created` (default) or `deadline` (the local day the
    /// effective deadline falls due).
    pub date_field: Option<String>,
    /// A keyword, searched in the number, the title, the content and the lead unit's name,
    /// and in the pinyin of the title, initials (`dljb` finds 道路结冰) or whole syllables
    /// (case-insensitive; see `crate::search`).
    pub q: Option<String>,
}

/// The query of `GET /tasks`: the filters of [`StatsQuery`], paging and order. (The filters
/// are repeated rather than flattened: serde's `flatten` cannot be combined with
/// `deny_unknown_fields`, and an unknown parameter must be refused.)
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// See [`StatsQuery::view`].
    pub view: Option<String>,
    /// See [`StatsQuery::status`].
    pub status: Option<String>,
    /// See [`StatsQuery::category`].
    pub category: Option<String>,
    /// See [`StatsQuery::urgency`].
    pub urgency: Option<String>,
    /// See [`StatsQuery::unit`].
    pub unit: Option<String>,
    /// See [`StatsQuery::light`].
    pub light: Option<String>,
    /// See [`StatsQuery::from`].
    pub from: Option<String>,
    /// See [`StatsQuery::to`].
    pub to: Option<String>,
    /// See [`StatsQuery::date_field`].
    pub date_field: Option<String>,
    /// See [`StatsQuery::q`].
    pub q: Option<String>,
    /// The page, from 1 (default 1).
    pub page: Option<u32>,
    /// Items per page, 1 to [`MAX_PER_PAGE`] (default [`DEFAULT_PER_PAGE`]).
    pub per_page: Option<u32>,
    /// `updated` (default), `created` or `deadline` (the deadline in force; items without
    /// one come last).
    pub sort: Option<String>,
    /// `asc` or `desc`; default `desc` for `updated` and `created`, `asc` for `deadline`.
    pub order: Option<String>,
}

impl ListQuery {
    fn split(
        self,
    ) -> (
        StatsQuery,
        Option<u32>,
        Option<u32>,
        Option<String>,
        Option<String>,
    ) {
        let filters = StatsQuery {
            view: self.view,
            status: self.status,
            category: self.category,
            urgency: self.urgency,
            unit: self.unit,
            light: self.light,
            from: self.from,
            to: self.to,
            date_field: self.date_field,
            q: self.q,
        };
        (filters, self.page, self.per_page, self.sort, self.order)
    }
}

/// Which date a `from`/`to` range applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DateField {
    Created,
    Deadline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sort {
    Updated,
    Created,
    Deadline,
}

/// The parsed, checked filters.
#[derive(Debug, Default)]
pub(super) struct Filters {
    view: View,
    statuses: Vec<Status>,
    categories: Vec<String>,
    urgencies: Vec<Urgency>,
    /// Lead units with their sub-units.
    units: Vec<UnitId>,
    /// `None` stands for "no light".
    lights: Vec<Option<Colour>>,
    pub(super) date_field: Option<DateField>,
    pub(super) from: Option<NaiveDate>,
    pub(super) to: Option<NaiveDate>,
    q: Option<String>,
    /// The units whose name holds the keyword.
    q_units: Vec<UnitId>,
}

impl Filters {
    /// Whether some filter is applied in Rust after SQL.
    fn needs_rust(&self) -> bool {
        !self.lights.is_empty()
            || (self.date_field == Some(DateField::Deadline)
                && (self.from.is_some() || self.to.is_some()))
    }
}

/// The non-empty, trimmed values of a comma-separated list.
fn values(s: &Option<String>) -> Vec<&str> {
    s.as_deref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A unit-like enum from its serde name.
fn parse_enum<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn parse_list<T: DeserializeOwned>(
    param: &'static str,
    raw: &Option<String>,
    accepted: &[String],
) -> Result<Vec<T>, ReadError> {
    values(raw)
        .into_iter()
        .map(|v| {
            parse_enum(v).ok_or_else(|| {
                ReadError::bad_filter(
                    param,
                    format!("未知的取值,可选:{}", accepted.join("、")),
                    format!("unknown value; use one of {}", accepted.join(", ")),
                )
            })
        })
        .collect()
}

fn parse_date(param: &'static str, raw: &Option<String>) -> Result<Option<NaiveDate>, ReadError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ReadError::bad_filter(param, "日期格式应为 YYYY-MM-DD", "a date is YYYY-MM-DD")
            }),
    }
}

/// The units within `unit` (itself included), in tree order.
fn units_within(org: &Org, unit: UnitId) -> Vec<UnitId> {
    org.units
        .iter()
        .map(|u| u.id)
        .filter(|u| org.tree.is_within(*u, unit))
        .collect()
}

/// The filters of `q`, checked against the organisation.
pub(super) fn parse_filters(q: &StatsQuery, org: &Org) -> Result<Filters, ReadError> {
    let view = match q.view.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => View::All,
        Some(v) => View::parse(v).ok_or(ReadError::BadView)?,
    };
    let statuses = parse_list(
        "status",
        &q.status,
        &Status::ALL
            .iter()
            .map(|v| v.code().to_owned())
            .collect::<Vec<_>>(),
    )?;
    let urgencies = parse_list(
        "urgency",
        &q.urgency,
        &[Urgency::Normal, Urgency::Urgent, Urgency::ExtraUrgent]
            .iter()
            .map(|v| v.code().to_owned())
            .collect::<Vec<_>>(),
    )?;
    let mut categories = Vec::new();
    for c in values(&q.category) {
        if org.policy.category(c).is_none() {
            let codes: Vec<&str> = org
                .policy
                .categories
                .iter()
                .map(|c| c.code.as_str())
                .collect();
            return Err(ReadError::bad_filter(
                "category",
                format!("未知的事项类别,可选:{}", codes.join("、")),
                format!("unknown category; use one of {}", codes.join(", ")),
            ));
        }
        categories.push(c.to_owned());
    }
    let mut units = Vec::new();
    for u in values(&q.unit) {
        let id = uuid::Uuid::parse_str(u)
            .map(UnitId)
            .ok()
            .filter(|id| org.unit(*id).is_some())
            .ok_or_else(|| ReadError::bad_filter("unit", "单位不存在", "no such unit"))?;
        for v in units_within(org, id) {
            if !units.contains(&v) {
                units.push(v);
            }
        }
    }
    let mut lights = Vec::new();
    for l in values(&q.light) {
        let colour = if l == "none" {
            None
        } else {
            Some(parse_enum::<Colour>(l).ok_or_else(|| {
                ReadError::bad_filter(
                    "light",
                    "可选:green、yellow、red、none",
                    "use one of green, yellow, red, none",
                )
            })?)
        };
        if !lights.contains(&colour) {
            lights.push(colour);
        }
    }
    let date_field = match q.date_field.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("created") => Some(DateField::Created),
        Some("deadline") => Some(DateField::Deadline),
        Some(_) => {
            return Err(ReadError::bad_filter(
                "date_field",
                "可选:created、deadline",
                "use created or deadline",
            ))
        }
    };
    let from = parse_date("from", &q.from)?;
    let to = parse_date("to", &q.to)?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ReadError::bad_filter(
                "from",
                "开始日期晚于结束日期",
                "from is after to",
            ));
        }
    }
    let q_text =
        q.q.as_deref()
            .map(crate::search::needle)
            .filter(|s| !s.is_empty());
    if q_text.as_ref().is_some_and(|s| s.chars().count() > MAX_Q) {
        return Err(ReadError::bad_filter(
            "q",
            format!("搜索内容最多 {MAX_Q} 个字"),
            format!("at most {MAX_Q} characters"),
        ));
    }
    Ok(Filters {
        view,
        statuses,
        categories,
        urgencies,
        units,
        lights,
        date_field: if from.is_some() || to.is_some() {
            Some(date_field.unwrap_or(DateField::Created))
        } else {
            date_field
        },
        from,
        to,
        q_units: q_text
            .as_deref()
            .map(|q| crate::search::units_named(org, q))
            .unwrap_or_default(),
        q: q_text,
    })
}

/// The order of `sort` and `order`.
fn order_by(sort: &Option<String>, order: &Option<String>) -> Result<TaskOrder, ReadError> {
    let sort = match sort.as_deref().map(str::trim) {
        None | Some("") | Some("updated") => Sort::Updated,
        Some("created") => Sort::Created,
        Some("deadline") => Sort::Deadline,
        Some(_) => {
            return Err(ReadError::bad_filter(
                "sort",
                "可选:updated、created、deadline",
                "use updated, created or deadline",
            ))
        }
    };
    let desc = match order.as_deref().map(str::trim) {
        None | Some("") => sort != Sort::Deadline,
        Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(ReadError::bad_filter(
                "order",
                "可选:asc、desc",
                "use asc or desc",
            ))
        }
    };
    Ok(match sort {
        Sort::Updated => TaskOrder::Updated { desc },
        Sort::Created => TaskOrder::Created { desc },
        Sort::Deadline => TaskOrder::Deadline { desc },
    })
}

// ----- selection ----------------------------------------------------------------------------

/// The units whose items a person sees under [`View::Subordinates`]; `None` for everything.
fn subordinate_units(session: &Session) -> Option<Vec<UnitId>> {
    let actor = &session.actor;
    let org = &session.org;
    if actor.roles.has(Role::MainLeader) {
        return None;
    }
    let mut out: Vec<UnitId> = Vec::new();
    if actor.roles.has(Role::UnitHead) {
        if let Some(mine) = actor.unit {
            out.extend(units_within(org, mine).into_iter().filter(|u| *u != mine));
        }
    }
    if actor.roles.has(Role::DeputyLeader) {
        if let Some(p) = org.people.get(&actor.id) {
            for unit in &p.in_charge {
                for u in units_within(org, *unit) {
                    if !out.contains(&u) {
                        out.push(u);
                    }
                }
            }
        }
    }
    Some(out)
}

/// What SQL selects for a person and [`Filters`]: their keys and, for
/// [`View::Subordinates`], the units it shows ([`Selection::reader`], [`Selection::filter`]
/// borrow them).
struct Selection {
    keys: Vec<String>,
    user: UserId,
    unit: Option<UnitId>,
    subordinates: Option<Vec<UnitId>>,
}

impl Selection {
    fn of(session: &Session, f: &Filters) -> Selection {
        Selection {
            keys: keys_of(session),
            user: session.user(),
            unit: session.actor.unit,
            subordinates: if f.view == View::Subordinates {
                subordinate_units(session)
            } else {
                None
            },
        }
    }

    /// Who reads.
    fn reader(&self) -> Reader<'_> {
        Reader {
            keys: &self.keys,
            user: self.user,
            unit: self.unit,
        }
    }

    /// The view and the filters SQL can apply.
    fn filter<'a>(&'a self, f: &'a Filters, org: &Org) -> TaskFilter<'a> {
        let cal = &org.calendar;
        let created = f.date_field == Some(DateField::Created);
        TaskFilter {
            view: f.view,
            subordinates: self.subordinates.as_deref(),
            statuses: &f.statuses,
            categories: &f.categories,
            urgencies: &f.urgencies,
            lead_units: &f.units,
            created_from: f.from.filter(|_| created).map(|from| {
                cal.from_local(from.and_time(NaiveTime::MIN))
                    .timestamp_millis()
            }),
            created_before: f
                .to
                .filter(|_| created)
                .map(|to| cal.end_of_day(to).timestamp_millis()),
            text: f.q.as_deref(),
            text_units: &f.q_units,
        }
    }
}

/// Whether a light says overdue and not reported (the "overdue" of the figures).
pub(super) fn overdue_light(light: Option<&Signal>) -> bool {
    light.is_some_and(|l| l.code == "light.overdue")
}

/// An item as loaded for a query.
#[derive(Clone)]
pub(super) struct Loaded {
    pub(super) id: TaskId,
    pub(super) state: Arc<TaskState>,
    created_at: i64,
    updated_at: i64,
}

/// The items of `heads`, in their order, with their states: the parsed copies of `cache`
/// where current, the rest read in the same transaction and kept.
pub(super) async fn load_rows(
    tx: &mut Tx,
    cache: &StateCache,
    heads: Vec<TaskHead>,
) -> Result<Vec<Loaded>, ReadError> {
    let mut rows = Vec::with_capacity(heads.len());
    let mut missing: Vec<(usize, String)> = Vec::new();
    for h in heads {
        let state = cache.get(h.id, &h.head);
        if state.is_none() {
            missing.push((rows.len(), h.head));
        }
        rows.push((h.id, state, h.created_at, h.updated_at));
    }
    if !missing.is_empty() {
        let ids: Vec<TaskId> = missing.iter().map(|(i, _)| rows[*i].0).collect();
        let mut read: HashMap<TaskId, (String, Arc<TaskState>)> = tasks::states(tx, &ids)
            .await?
            .into_iter()
            .map(|s| (s.id, (s.head, Arc::new(s.state))))
            .collect();
        for (i, head) in &missing {
            let id = rows[*i].0;
            let (h, state) = read.remove(&id).ok_or_else(|| {
                ReadError::Internal(format!("item {id} vanished within a transaction"))
            })?;
            if h == *head {
                cache.put(id, h, state.clone());
            }
            rows[*i].1 = Some(state);
        }
    }
    rows.into_iter()
        .map(|(id, state, created_at, updated_at)| {
            Ok(Loaded {
                id,
                state: state.ok_or_else(|| ReadError::Internal("a state was not read".into()))?,
                created_at,
                updated_at,
            })
        })
        .collect()
}

/// One item, if the person may read it (an item they may not read is as absent as one that
/// does not exist).
pub(super) async fn load_visible(
    tx: &mut Tx,
    cache: &StateCache,
    session: &Session,
    task: TaskId,
) -> Result<Option<Loaded>, ReadError> {
    let keys = keys_of(session);
    let heads: Vec<TaskHead> = tasks::visible_head(tx, &keys, task)
        .await?
        .into_iter()
        .collect();
    Ok(load_rows(tx, cache, heads).await?.into_iter().next())
}

/// Every item, whoever looks.
pub(super) async fn load_every(tx: &mut Tx, cache: &StateCache) -> Result<Vec<Loaded>, ReadError> {
    let heads = tasks::all_heads(tx).await?;
    load_rows(tx, cache, heads).await
}

/// Whether the item passes the filters computed at `now` (light, deadline range).
fn passes(item: &Loaded, f: &Filters, org: &Org, now: DateTime<Utc>) -> bool {
    if !f.lights.is_empty() {
        let colour =
            timeliness_light(&item.state, now, &org.calendar, &org.policy).map(|l| l.colour);
        if !f.lights.contains(&colour) {
            return false;
        }
    }
    if f.date_field == Some(DateField::Deadline) && (f.from.is_some() || f.to.is_some()) {
        let Some(d) = due_date(&item.state, now, &org.calendar) else {
            return false;
        };
        if f.from.is_some_and(|from| d < from) || f.to.is_some_and(|to| d > to) {
            return false;
        }
    }
    true
}

/// Every selected item, with the Rust filters applied, in `order`.
pub(super) async fn load_all(
    tx: &mut Tx,
    cache: &StateCache,
    session: &Session,
    f: &Filters,
    order: TaskOrder,
    now: DateTime<Utc>,
) -> Result<Vec<Loaded>, ReadError> {
    let heads = select_all(tx, session, f, order).await?;
    load_passing(tx, cache, session, f, heads, now).await
}

/// The heads (id, trail head, times: no state) of every item the person may read that the
/// filters' SQL part keeps, in `order`.
pub(super) async fn select_all(
    tx: &mut Tx,
    session: &Session,
    f: &Filters,
    order: TaskOrder,
) -> Result<Vec<TaskHead>, ReadError> {
    let sel = Selection::of(session, f);
    let filter = sel.filter(f, &session.org);
    Ok(tasks::select_heads(tx, &sel.reader(), &filter, order, None).await?)
}

/// The states of `heads` (from the cache, or read), those the filters keep, in order.
pub(super) async fn load_passing(
    tx: &mut Tx,
    cache: &StateCache,
    session: &Session,
    f: &Filters,
    heads: Vec<TaskHead>,
    now: DateTime<Utc>,
) -> Result<Vec<Loaded>, ReadError> {
    let rows = load_rows(tx, cache, heads).await?;
    Ok(rows
        .into_iter()
        .filter(|i| passes(i, f, &session.org, now))
        .collect())
}

/// The states of every subtask below the items, to any depth (for rolled-up progress).
async fn descendants(
    tx: &mut Tx,
    roots: &[&TaskState],
) -> Result<HashMap<TaskId, TaskState>, ReadError> {
    let mut found: HashMap<TaskId, TaskState> = HashMap::new();
    let mut frontier: BTreeSet<TaskId> = roots
        .iter()
        .flat_map(|s| s.subtasks.iter().copied())
        .collect();
    for _ in 0..64 {
        if frontier.is_empty() {
            break;
        }
        let ids: Vec<TaskId> = std::mem::take(&mut frontier).into_iter().collect();
        for s in tasks::states(tx, &ids).await? {
            for c in &s.state.subtasks {
                if !found.contains_key(c) {
                    frontier.insert(*c);
                }
            }
            found.insert(s.id, s.state);
        }
        frontier.retain(|id| !found.contains_key(id));
    }
    Ok(found)
}

// ----- records ------------------------------------------------------------------------------

/// A unit named in an answer.
#[derive(Clone, Debug, Serialize)]
pub struct UnitRef {
    /// Id.
    pub id: UnitId,
    /// Name (zh-CN); empty if the unit is no longer in the organisation.
    pub name: String,
    /// Name (English), may be empty.
    pub name_en: String,
}

/// A person named in an answer.
#[derive(Clone, Debug, Serialize)]
pub struct PersonRef {
    /// Id.
    pub id: UserId,
    /// Name; empty if the account is no longer in the organisation.
    pub name: String,
}

/// One item as a list shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ItemSummary {
    /// Id.
    pub id: TaskId,
    /// Number as printed, e.g. `议〔2026〕17号` (empty before registration).
    pub number: String,
    /// Title.
    pub title: String,
    /// Category code.
    pub category: String,
    /// Category name (zh-CN) from the policy, if the category is still listed.
    pub category_zh: Option<String>,
    /// Category name (English).
    pub category_en: Option<String>,
    /// Status (snake_case).
    pub status: Status,
    /// Status name (zh-CN).
    pub status_zh: &'static str,
    /// Status name (English).
    pub status_en: &'static str,
    /// Urgency.
    pub urgency: Urgency,
    /// Visibility.
    pub visibility: Visibility,
    /// The lead unit (主办单位), once dispatched.
    pub lead_unit: Option<UnitRef>,
    /// The named lead handler (主办人), if one is named.
    pub lead_user: Option<PersonRef>,
    /// The item this one was decomposed from.
    pub parent: Option<TaskId>,
    /// How many subtasks it has.
    pub subtasks: usize,
    /// The deadline in force (a running suspension not counted in).
    pub deadline: Option<DateTime<Utc>>,
    /// The effective deadline now: moved on by a running suspension.
    pub effective_deadline: Option<DateTime<Utc>>,
    /// Progress 0–100: the mean of the live subtasks' when it has any (R3.2), else its own.
    pub progress: u8,
    /// The progress the plan expects now (序时进度), once dispatched.
    pub scheduled_progress: Option<u8>,
    /// The timeliness light now (亮灯) with its reason; `None` where no clock runs.
    pub light: Option<Signal>,
    /// Whether it was escalated (督办升级).
    pub escalated: bool,
    /// Reports filed (progress and completion).
    pub reports: usize,
    /// Urgings (催办).
    pub urges: usize,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The unit `id` as answers name it.
pub(super) fn unit_ref(org: &Org, id: UnitId) -> UnitRef {
    let u = org.unit(id);
    UnitRef {
        id,
        name: u.map(|u| u.name.clone()).unwrap_or_default(),
        name_en: u.map(|u| u.name_en.clone()).unwrap_or_default(),
    }
}

fn summary(org: &Org, item: &Loaded, progress: u8, now: DateTime<Utc>) -> ItemSummary {
    let s = &item.state;
    let category = org.policy.category(&s.category);
    ItemSummary {
        id: item.id,
        number: s
            .number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        title: s.title.clone(),
        category: s.category.clone(),
        category_zh: category.map(|c| c.name_zh.clone()),
        category_en: category.map(|c| c.name_en.clone()),
        status: s.status,
        status_zh: s.status.zh(),
        status_en: s.status.en(),
        urgency: s.urgency,
        visibility: s.visibility,
        lead_unit: s.lead.map(|l| unit_ref(org, l.unit)),
        lead_user: s.lead.and_then(|l| l.user).map(|u| PersonRef {
            id: u,
            name: org
                .people
                .get(&u)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
        }),
        parent: s.parent,
        subtasks: s.subtasks.len(),
        deadline: s.deadline,
        effective_deadline: effective_deadline(s, now, &org.calendar),
        progress,
        scheduled_progress: scheduled_progress(s, now, &org.calendar),
        light: timeliness_light(s, now, &org.calendar, &org.policy),
        escalated: s.escalated.is_some(),
        reports: s.reports.len(),
        urges: s.urges.len(),
        created_at: time_of(item.created_at),
        updated_at: time_of(item.updated_at),
    }
}

/// Summaries of the items, with rolled-up progress for those with subtasks.
pub(super) async fn summaries(
    tx: &mut Tx,
    org: &Org,
    items: &[Loaded],
    now: DateTime<Utc>,
) -> Result<Vec<ItemSummary>, ReadError> {
    let parents: Vec<&TaskState> = items
        .iter()
        .map(|i| &*i.state)
        .filter(|s| !s.subtasks.is_empty())
        .collect();
    let below = if parents.is_empty() {
        HashMap::new()
    } else {
        descendants(tx, &parents).await?
    };
    Ok(items
        .iter()
        .map(|i| {
            let progress = if i.state.subtasks.is_empty() {
                own_progress(&i.state)
            } else {
                rolled_up_progress(&i.state, &|id| below.get(&id))
            };
            summary(org, i, progress, now)
        })
        .collect())
}

/// The answer to `GET /tasks`.
#[derive(Debug, Serialize)]
pub struct ItemPage {
    /// This page's items.
    pub items: Vec<ItemSummary>,
    /// How many items match in all.
    pub total: u64,
    /// The page, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
}

// ----- reads --------------------------------------------------------------------------------

/// The page of the item list that `q` asks for, at `now`.
pub async fn list(
    state: &AppState,
    session: &Session,
    q: ListQuery,
    now: DateTime<Utc>,
) -> Result<ItemPage, ReadError> {
    let org = session.org.clone();
    let (filters, page, per_page, sort, order) = q.split();
    let f = parse_filters(&filters, &org)?;
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(ReadError::bad_filter(
            "page",
            "页码从 1 开始",
            "pages count from 1",
        ));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ReadError::bad_filter(
            "per_page",
            format!("每页 1 至 {MAX_PER_PAGE} 条"),
            format!("1 to {MAX_PER_PAGE} items per page"),
        ));
    }
    let order = order_by(&sort, &order)?;
    let offset = u64::from(page - 1) * u64::from(per_page);
    let mut tx = state.db.read().await?;
    let (items, total) = if f.needs_rust() {
        let all = load_all(&mut tx, &state.states, session, &f, order, now).await?;
        let total = all.len() as u64;
        let items: Vec<Loaded> = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(per_page as usize)
            .collect();
        (items, total)
    } else {
        let sel = Selection::of(session, &f);
        let (reader, filter) = (sel.reader(), sel.filter(&f, &org));
        let total = tasks::count_selected(&mut tx, &reader, &filter).await?;
        let page = Page {
            limit: per_page,
            offset,
        };
        let heads = tasks::select_heads(&mut tx, &reader, &filter, order, Some(page)).await?;
        (load_rows(&mut tx, &state.states, heads).await?, total)
    };
    let items = summaries(&mut tx, &org, &items, now).await?;
    drop(tx);
    Ok(ItemPage {
        items,
        total,
        page,
        per_page,
    })
}

/// One item as lists show it, if the person may read it.
pub async fn item_summary(
    state: &AppState,
    session: &Session,
    task: TaskId,
    now: DateTime<Utc>,
) -> Result<Option<ItemSummary>, ReadError> {
    let mut tx = state.db.read().await?;
    let Some(item) = load_visible(&mut tx, &state.states, session, task).await? else {
        return Ok(None);
    };
    Ok(summaries(&mut tx, &session.org, &[item], now)
        .await?
        .into_iter()
        .next())
}

/// The items the person may read that `f` selects, in `order`, as lists show them and
/// with their states.
pub(super) async fn listed(
    state: &AppState,
    session: &Session,
    f: &Filters,
    order: TaskOrder,
    now: DateTime<Utc>,
) -> Result<Vec<(ItemSummary, Arc<TaskState>)>, ReadError> {
    let mut tx = state.db.read().await?;
    let items = load_all(&mut tx, &state.states, session, f, order, now).await?;
    let rows = summaries(&mut tx, &session.org, &items, now).await?;
    Ok(rows
        .into_iter()
        .zip(items.into_iter().map(|i| i.state))
        .collect())
}

/// Every item the person may read, as lists show it and with its state, most recently
/// changed first.
pub(crate) async fn readable(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Vec<(ItemSummary, Arc<TaskState>)>, ReadError> {
    listed(
        state,
        session,
        &Filters::default(),
        TaskOrder::RecentFirst,
        now,
    )
    .await
}

/// Every item's id and state, whoever looks (the assessment, the bulletins and the published
/// ranking count every item; the pages show only what the person may read of them).
pub(crate) async fn every_state(
    state: &AppState,
) -> Result<Vec<(TaskId, Arc<TaskState>)>, ReadError> {
    let mut tx = state.db.read().await?;
    let all = load_every(&mut tx, &state.states).await?;
    Ok(all.into_iter().map(|i| (i.id, i.state)).collect())
}
