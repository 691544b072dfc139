//! Reading items as a person browses them (R8.2, R8.4, R11.2):
//!
//! - `GET /tasks` — the item list: a view (`all`, `instructed`, `responsible`, `created`,
//!   `department`, `subordinates`, `followed`, `shared`), filters, sorting and paging;
//! - `GET /tasks/{id}` — one item: its summary, the whole state, the quality card, the score
//!   once completed, the confidential attributes for those who must see them, and the trail;
//! - `GET /stats` — counts by status, category, urgency, lead unit, lead handler and light,
//!   the overdue and escalated counts and the on-time completion rate;
//! - `GET /overview` — the leader's overview at a glance (R8.1): those figures, the overdue
//!   and escalated items, and this month's unit ranking (R6.5). The web pages render the
//!   same record.
//!
//! Only items the person may read are ever counted or shown: the visibility test runs in SQL
//! against the item's audience keys ([`feed::visible_sql`]), so a handler of unit B learns
//! nothing of unit A's items, not even how many there are. An item the person may not read
//! answers 404, the same as one that does not exist.
//!
//! The views, the status, category, urgency and unit filters, the creation-date range, the
//! text search and the order are SQL (the same statement on SQLite and PostgreSQL); the
//! figures derived at the moment of the request — the timeliness light and the effective
//! deadline (which moves while an item is suspended) — are computed in Rust with the core's
//! functions, so a `light` filter or a `date_field=deadline` range is applied to the rows SQL
//! selected, before paging.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use duban_core::domain::derived::evidence::{
    check_evidence, photo_pairs, EvidenceCheck, PhotoPair,
};
use duban_core::domain::derived::score::{due_date, rank, unit_scores, UnitScore};
use duban_core::domain::derived::view::View;
use duban_core::domain::derived::{
    completion_rate, item_score, own_progress, quality_card, rolled_up_progress,
    scheduled_progress, timeliness_light, Colour, CompletionRate, DateRange, ItemScore, Signal,
};
use duban_core::domain::model::{Urgency, Visibility};
use duban_core::domain::Code;
use duban_core::domain::{
    effective_deadline, may_see_confidential, Role, Status, TaskId, TaskState, UnitId, UserId,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::auth::Session;
use crate::authority::enum_text;
use crate::db::{placeholders, Tx, Val};
use crate::error::{ApiError, Json, Path, Query};
use crate::feed::{self, keys_of};
use crate::org::{from_json, time_of, Org};
use crate::states::StateCache;
use crate::AppState;

/// Items per page unless `per_page` says otherwise.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// The largest `per_page`.
pub const MAX_PER_PAGE: u32 = 200;
/// The longest text search (`q`), in characters.
pub const MAX_Q: usize = 100;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list))
        .route("/tasks/{id}", get(detail))
        .route("/stats", get(stats))
        .route("/overview", get(overview_json))
}

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
    /// Text searched in the title and the number (case-insensitive for Latin letters).
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DateField {
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
struct Filters {
    view: View,
    statuses: Vec<Status>,
    categories: Vec<String>,
    urgencies: Vec<Urgency>,
    /// Lead units with their sub-units.
    units: Vec<UnitId>,
    /// `None` stands for "no light".
    lights: Vec<Option<Colour>>,
    date_field: Option<DateField>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    q: Option<String>,
}

impl Filters {
    /// Whether some filter is applied in Rust after SQL.
    fn needs_rust(&self) -> bool {
        !self.lights.is_empty()
            || (self.date_field == Some(DateField::Deadline)
                && (self.from.is_some() || self.to.is_some()))
    }
}

fn bad_view() -> ApiError {
    let names: Vec<&str> = View::NAMES.iter().map(|(n, _)| *n).collect();
    ApiError::bad_request(
        "query.bad_view",
        format!("未知的视图,可选:{}", names.join("、")),
        format!("unknown view; use one of {}", names.join(", ")),
    )
}

fn bad_filter(param: &str, zh: impl std::fmt::Display, en: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "query.bad_filter",
        format!("查询参数 {param} 有误:{zh}"),
        format!("the query parameter {param} is invalid: {en}"),
    )
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
    param: &str,
    raw: &Option<String>,
    accepted: &[String],
) -> Result<Vec<T>, ApiError> {
    values(raw)
        .into_iter()
        .map(|v| {
            parse_enum(v).ok_or_else(|| {
                bad_filter(
                    param,
                    format!("未知的取值,可选:{}", accepted.join("、")),
                    format!("unknown value; use one of {}", accepted.join(", ")),
                )
            })
        })
        .collect()
}

fn parse_date(param: &str, raw: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| bad_filter(param, "日期格式应为 YYYY-MM-DD", "a date is YYYY-MM-DD")),
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

fn parse_filters(q: &StatsQuery, org: &Org) -> Result<Filters, ApiError> {
    let view = match q.view.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => View::All,
        Some(v) => View::parse(v).ok_or_else(bad_view)?,
    };
    let statuses = parse_list(
        "status",
        &q.status,
        &Status::ALL.iter().map(enum_text).collect::<Vec<_>>(),
    )?;
    let urgencies = parse_list(
        "urgency",
        &q.urgency,
        &[Urgency::Normal, Urgency::Urgent, Urgency::ExtraUrgent]
            .iter()
            .map(enum_text)
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
            return Err(bad_filter(
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
            .ok_or_else(|| bad_filter("unit", "单位不存在", "no such unit"))?;
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
                bad_filter(
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
            return Err(bad_filter(
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
            return Err(bad_filter(
                "from",
                "开始日期晚于结束日期",
                "from is after to",
            ));
        }
    }
    let q_text =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
    if q_text.as_ref().is_some_and(|s| s.chars().count() > MAX_Q) {
        return Err(bad_filter(
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
        q: q_text,
    })
}

// ----- SQL ----------------------------------------------------------------------------------

/// A `WHERE` clause under construction, with its parameters numbered `$1, $2, …`.
#[derive(Default)]
struct Select {
    conds: Vec<String>,
    args: Vec<Val>,
}

impl Select {
    /// Binds one value; returns its placeholder.
    fn arg(&mut self, v: impl Into<Val>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    /// Binds values; returns `t.col IN (…)`, or a false condition for none.
    fn within(&mut self, col: &str, vals: Vec<String>) -> String {
        if vals.is_empty() {
            return "1 = 0".into();
        }
        let from = self.args.len() + 1;
        let n = vals.len();
        self.args.extend(vals.into_iter().map(Val::from));
        format!("{col} IN ({})", placeholders(from, n))
    }

    /// `EXISTS` a `task_people` row of one of the relations for the person.
    fn related(&mut self, relations: &[&str], me: UserId) -> String {
        let rels: Vec<String> = relations.iter().map(|r| format!("'{r}'")).collect();
        let me = self.arg(me.to_string());
        format!(
            "EXISTS (SELECT 1 FROM task_people p WHERE p.task = t.id AND p.relation IN ({}) AND p.user_id = {me})",
            rels.join(", ")
        )
    }

    fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }
}

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

/// The SQL part of the selection: visibility, view, and the filters SQL can apply.
fn select(session: &Session, f: &Filters) -> Select {
    let org = &session.org;
    let me = session.user();
    let mine = session.actor.unit;
    let mut s = Select::default();
    let keys = keys_of(session);
    let from = s.args.len() + 1;
    let n = keys.len();
    s.args.extend(keys.into_iter().map(Val::from));
    s.conds.push(feed::visible_sql("t.id", "view", from, n));

    // The same rule as the core's `views_of` on one item, which the phone runs; the
    // integration test `views` checks that the two agree on the demo.
    let view = match f.view {
        View::All => None,
        View::Instructed => Some(s.related(&["instructed"], me)),
        View::Responsible => {
            let people = s.related(&["lead", "sharer", "responsible"], me);
            Some(match mine {
                Some(unit) => {
                    let unit = s.arg(unit.to_string());
                    format!(
                        "({people} OR (t.lead_unit = {unit} AND NOT EXISTS \
                         (SELECT 1 FROM task_people l WHERE l.task = t.id AND l.relation = 'lead')))"
                    )
                }
                None => people,
            })
        }
        View::Created => Some(s.related(&["creator"], me)),
        View::Department => Some(match mine {
            Some(unit) => {
                let unit = s.arg(unit.to_string());
                format!(
                    "EXISTS (SELECT 1 FROM task_units u WHERE u.task = t.id \
                     AND u.relation IN ('lead', 'participant') AND u.unit = {unit})"
                )
            }
            None => "1 = 0".into(),
        }),
        View::Subordinates => subordinate_units(session).map(|units| {
            s.within(
                "t.lead_unit",
                units.iter().map(ToString::to_string).collect(),
            )
        }),
        View::Followed => Some(s.related(&["follower"], me)),
        View::Shared => Some(s.related(&["sharer"], me)),
    };
    s.conds.extend(view);

    if !f.statuses.is_empty() {
        let c = s.within("t.status", f.statuses.iter().map(enum_text).collect());
        s.conds.push(c);
    }
    if !f.categories.is_empty() {
        let c = s.within("t.category", f.categories.clone());
        s.conds.push(c);
    }
    if !f.urgencies.is_empty() {
        let c = s.within("t.urgency", f.urgencies.iter().map(enum_text).collect());
        s.conds.push(c);
    }
    if !f.units.is_empty() {
        let c = s.within(
            "t.lead_unit",
            f.units.iter().map(ToString::to_string).collect(),
        );
        s.conds.push(c);
    }
    if f.date_field == Some(DateField::Created) {
        let cal = &org.calendar;
        if let Some(from) = f.from {
            let at = cal.from_local(from.and_time(NaiveTime::MIN));
            let p = s.arg(at.timestamp_millis());
            s.conds.push(format!("t.created_at >= {p}"));
        }
        if let Some(to) = f.to {
            let p = s.arg(cal.end_of_day(to).timestamp_millis());
            s.conds.push(format!("t.created_at < {p}"));
        }
    }
    if let Some(q) = &f.q {
        let mut pattern = String::from("%");
        for c in q.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        let p = s.arg(pattern);
        s.conds.push(format!(
            "(LOWER(t.title) LIKE LOWER({p}) ESCAPE '\\' OR LOWER(t.number) LIKE LOWER({p}) ESCAPE '\\')"
        ));
    }
    s
}

/// Whether a light says overdue and not reported (the "overdue" of the figures).
fn overdue_light(light: Option<&Signal>) -> bool {
    light.is_some_and(|l| l.code == "light.overdue")
}

/// An item as loaded for a query.
#[derive(Clone)]
struct Loaded {
    id: TaskId,
    state: Arc<TaskState>,
    created_at: i64,
    updated_at: i64,
}

/// The columns a query selects for [`load_rows`]: the states come from the cache, or are
/// read by id afterwards.
const COLUMNS: &str = "t.id, t.head, t.created_at, t.updated_at";

/// States read by id per statement.
const STATE_CHUNK: usize = 500;

/// The rows `sql` selects (its columns: [`COLUMNS`]), in its order, with their states: the
/// parsed copies of `cache` where current, the rest read in the same transaction and kept.
async fn load_rows(
    tx: &mut Tx,
    cache: &StateCache,
    sql: &str,
    args: Vec<Val>,
) -> Result<Vec<Loaded>, ApiError> {
    let mut rows = Vec::new();
    let mut missing: Vec<(usize, String)> = Vec::new();
    for r in tx.rows(sql, args).await? {
        let id = TaskId(uuid::Uuid::parse_str(&r.text(0)?).map_err(ApiError::internal)?);
        let head = r.text(1)?;
        let state = cache.get(id, &head);
        if state.is_none() {
            missing.push((rows.len(), head));
        }
        rows.push((id, state, r.int(2)?, r.int(3)?));
    }
    for chunk in missing.chunks(STATE_CHUNK) {
        let sql = format!(
            "SELECT t.id, t.head, t.state FROM tasks t WHERE t.id IN ({})",
            placeholders(1, chunk.len())
        );
        let args = chunk
            .iter()
            .map(|(i, _)| Val::from(rows[*i].0.to_string()))
            .collect();
        let mut read: HashMap<TaskId, (String, Arc<TaskState>)> = HashMap::new();
        for r in tx.rows(&sql, args).await? {
            let id = TaskId(uuid::Uuid::parse_str(&r.text(0)?).map_err(ApiError::internal)?);
            read.insert(id, (r.text(1)?, Arc::new(from_json(&r.text(2)?)?)));
        }
        for (i, head) in chunk {
            let id = rows[*i].0;
            let (h, state) = read.remove(&id).ok_or_else(|| {
                ApiError::internal(format!("item {id} vanished within a transaction"))
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
                state: state.ok_or_else(|| ApiError::internal("a state was not read"))?,
                created_at,
                updated_at,
            })
        })
        .collect()
}

/// One item, if the person may read it (an item they may not read is as absent as one that
/// does not exist).
async fn load_visible(
    tx: &mut Tx,
    cache: &StateCache,
    session: &Session,
    task: TaskId,
) -> Result<Option<Loaded>, ApiError> {
    let keys = keys_of(session);
    let sql = format!(
        "SELECT {COLUMNS} FROM tasks t WHERE t.id = $1 AND {}",
        feed::visible_sql("t.id", "view", 2, keys.len())
    );
    let mut args = vec![Val::from(task.to_string())];
    args.extend(keys.iter().map(Val::from));
    Ok(load_rows(tx, cache, &sql, args).await?.into_iter().next())
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
async fn load_all(
    tx: &mut Tx,
    cache: &StateCache,
    session: &Session,
    f: &Filters,
    order: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Loaded>, ApiError> {
    let s = select(session, f);
    let sql = format!(
        "SELECT {COLUMNS} FROM tasks t{} ORDER BY {order}",
        s.clause()
    );
    let rows = load_rows(tx, cache, &sql, s.args).await?;
    Ok(rows
        .into_iter()
        .filter(|i| passes(i, f, &session.org, now))
        .collect())
}

/// The states of every subtask below the items, to any depth (for rolled-up progress).
async fn descendants(
    tx: &mut Tx,
    roots: &[&TaskState],
) -> Result<HashMap<TaskId, TaskState>, ApiError> {
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
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, state FROM tasks WHERE id IN ({})",
                placeholders(1, chunk.len())
            );
            let args = chunk.iter().map(|id| Val::from(id.to_string())).collect();
            for r in tx.rows(&sql, args).await? {
                let id = TaskId(uuid::Uuid::parse_str(&r.text(0)?).map_err(ApiError::internal)?);
                let state: TaskState = from_json(&r.text(1)?)?;
                for c in &state.subtasks {
                    if !found.contains_key(c) {
                        frontier.insert(*c);
                    }
                }
                found.insert(id, state);
            }
        }
        frontier.retain(|id| !found.contains_key(id));
    }
    Ok(found)
}

// ----- answers ------------------------------------------------------------------------------

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

fn unit_ref(org: &Org, id: UnitId) -> UnitRef {
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
async fn summaries(
    tx: &mut Tx,
    org: &Org,
    items: &[Loaded],
    now: DateTime<Utc>,
) -> Result<Vec<ItemSummary>, ApiError> {
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

fn order_by(sort: &Option<String>, order: &Option<String>) -> Result<String, ApiError> {
    let sort = match sort.as_deref().map(str::trim) {
        None | Some("") | Some("updated") => Sort::Updated,
        Some("created") => Sort::Created,
        Some("deadline") => Sort::Deadline,
        Some(_) => {
            return Err(bad_filter(
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
        Some(_) => return Err(bad_filter("order", "可选:asc、desc", "use asc or desc")),
    };
    let dir = if desc { "DESC" } else { "ASC" };
    Ok(match sort {
        Sort::Updated => format!("t.updated_at {dir}, t.id {dir}"),
        Sort::Created => format!("t.created_at {dir}, t.id {dir}"),
        // Items without a deadline last either way (portable: no NULLS LAST).
        Sort::Deadline => {
            format!("CASE WHEN t.deadline IS NULL THEN 1 ELSE 0 END, t.deadline {dir}, t.id {dir}")
        }
    })
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Json<ItemPage>, ApiError> {
    let now = state.clock.now();
    let org = session.org.clone();
    let (filters, page, per_page, sort, order) = q.split();
    let f = parse_filters(&filters, &org)?;
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if page == 0 {
        return Err(bad_filter("page", "页码从 1 开始", "pages count from 1"));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(bad_filter(
            "per_page",
            format!("每页 1 至 {MAX_PER_PAGE} 条"),
            format!("1 to {MAX_PER_PAGE} items per page"),
        ));
    }
    let order = order_by(&sort, &order)?;
    let offset = u64::from(page - 1) * u64::from(per_page);
    let mut tx = state.db.read().await?;
    let (items, total) = if f.needs_rust() {
        let all = load_all(&mut tx, &state.states, &session, &f, &order, now).await?;
        let total = all.len() as u64;
        let items: Vec<Loaded> = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(per_page as usize)
            .collect();
        (items, total)
    } else {
        let s = select(&session, &f);
        let clause = s.clause();
        let total = tx
            .row(
                &format!("SELECT COUNT(*) FROM tasks t{clause}"),
                s.args.clone(),
            )
            .await?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(0);
        let sql = format!(
            "SELECT {COLUMNS} FROM tasks t{clause} ORDER BY {order} LIMIT {per_page} OFFSET {offset}"
        );
        let items = load_rows(&mut tx, &state.states, &sql, s.args).await?;
        (items, u64::try_from(total).unwrap_or(0))
    };
    let items = summaries(&mut tx, &org, &items, now).await?;
    drop(tx);
    Ok(Json(ItemPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// One event of the trail (流程留痕, R11.1).
#[derive(Debug, Serialize)]
pub struct TrailEntry {
    /// Position in the change feed.
    pub seq: i64,
    /// Position in the item's trail, from 1.
    pub task_seq: i64,
    /// The trail hash (hex blake3) chaining it to the event before.
    pub hash: String,
    /// The event as stored: `at`, `actor`, and `kind` (tagged by `event`, e.g. `registered`).
    pub event: Box<RawValue>,
}

/// The answer to `GET /tasks/{id}`.
#[derive(Debug, Serialize)]
pub struct ItemDetail {
    /// The item as a list shows it.
    #[serde(flatten)]
    pub summary: ItemSummary,
    /// The whole state (the fold of the trail).
    pub state: TaskState,
    /// The quality card now (亮牌), once there is something to judge.
    pub quality_card: Option<Signal>,
    /// The item score with every line (R6.3), once the completion is accepted.
    pub score: Option<ItemScore>,
    /// The category's confidential attributes (e.g. a hotline caller's name and phone):
    /// present only for those who must see them (`permission::may_see_confidential`) and
    /// when the item has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidential: Option<BTreeMap<String, String>>,
    /// Every event, in order.
    pub trail: Vec<TrailEntry>,
    /// Every file the trail cites, with what a reviewer should know of it (R5.2): a photo
    /// from the gallery, taken long before the server received it or "after" it, without
    /// a camera time or a place, not through the capture pipeline, or cited twice.
    pub evidence: Vec<EvidenceCheck>,
    /// A rectification's before/after photo pairs (R5.4).
    pub photo_pairs: Vec<PhotoPair>,
}

pub(crate) async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<ItemDetail>, ApiError> {
    let now = state.clock.now();
    let org = session.org.clone();
    let missing = || ApiError::not_found("事项", "item");
    let id = uuid::Uuid::parse_str(id.trim())
        .map(TaskId)
        .map_err(|_| missing())?;
    let task = id.to_string();
    let mut tx = state.db.read().await?;
    let item = load_visible(&mut tx, &state.states, &session, id)
        .await?
        .ok_or_else(missing)?;
    let mut summary = summaries(&mut tx, &org, std::slice::from_ref(&item), now).await?;
    let summary = summary.pop().ok_or_else(missing)?;
    let s = &item.state;
    let confidential = if may_see_confidential(s, &session.actor, &org.tree) {
        tx.row(
            "SELECT fields FROM task_secrets WHERE task = $1",
            vec![Val::from(task.as_str())],
        )
        .await?
        .map(|r| {
            r.text(0)
                .map_err(ApiError::from)
                .and_then(|t| from_json::<BTreeMap<String, String>>(&t).map_err(ApiError::from))
        })
        .transpose()?
    } else {
        None
    };
    let mut trail = Vec::new();
    let mut events = Vec::new();
    for r in tx
        .rows(
            "SELECT seq, task_seq, hash, body FROM changes WHERE task = $1 AND kind = 'event' ORDER BY seq",
            vec![Val::from(task.as_str())],
        )
        .await?
    {
        let body = r.text(3)?;
        events.push(from_json::<duban_core::domain::Event>(&body)?);
        trail.push(TrailEntry {
            seq: r.int(0)?,
            task_seq: r.opt_int(1)?.unwrap_or_default(),
            hash: r.opt_text(2)?.unwrap_or_default(),
            event: RawValue::from_string(body).map_err(ApiError::internal)?,
        });
    }
    drop(tx);
    let accepted = s.completion.is_some_and(|c| c.accepted.is_some());
    Ok(Json(ItemDetail {
        quality_card: quality_card(s, now, &org.calendar, &org.policy),
        score: if accepted {
            item_score(s, now, &org.calendar, &org.policy)
        } else {
            None
        },
        confidential,
        trail,
        evidence: check_evidence(&events, &org.policy),
        photo_pairs: photo_pairs(&events),
        summary,
        state: Arc::unwrap_or_clone(item.state),
    }))
}

// ----- statistics ---------------------------------------------------------------------------

/// One bar or slice of a chart.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Bucket {
    /// What is counted: a status, category code, urgency, unit or person id, colour, or
    /// `none` (no lead unit, no named handler, no light).
    pub key: String,
    /// Label (zh-CN), where there is one.
    pub zh: Option<String>,
    /// Label (English), where there is one.
    pub en: Option<String>,
    /// How many items.
    pub count: u64,
}

/// The on-time completion rate (办结率, R6.5) of the selected items.
#[derive(Clone, Debug, Serialize)]
pub struct CompletionStats {
    /// Due, on time, late, open (see `duban_core::domain::derived::completion_rate`).
    #[serde(flatten)]
    pub counts: CompletionRate,
    /// on-time ÷ due × 100, to one decimal; `None` when nothing was due.
    pub percent: Option<f64>,
}

/// The answer to `GET /stats` (R8.4): figures over the items the person may read that the
/// filters select, at the moment of the request. Only non-empty buckets are listed.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    /// When the figures were computed.
    pub at: DateTime<Utc>,
    /// Items selected.
    pub total: u64,
    /// Of those, overdue and not reported (red light `light.overdue`).
    pub overdue: u64,
    /// Of those, escalated.
    pub escalated: u64,
    /// The on-time completion rate.
    pub completion: CompletionStats,
    /// By status, in the order of the statuses.
    pub by_status: Vec<Bucket>,
    /// By category, in the policy's order (categories no longer listed last).
    pub by_category: Vec<Bucket>,
    /// By urgency.
    pub by_urgency: Vec<Bucket>,
    /// By lead unit, in tree order; `none` for items not dispatched.
    pub by_unit: Vec<Bucket>,
    /// By named lead handler, most items first; `none` for items led by a unit as a whole
    /// or not dispatched.
    pub by_person: Vec<Bucket>,
    /// By timeliness light: green, yellow, red, `none`.
    pub by_light: Vec<Bucket>,
}

fn bucket(key: impl Into<String>, zh: Option<String>, en: Option<String>, count: u64) -> Bucket {
    Bucket {
        key: key.into(),
        zh,
        en,
        count,
    }
}

/// An urgency's names: (zh-CN, English).
pub(crate) fn urgency_names(u: Urgency) -> (&'static str, &'static str) {
    match u {
        Urgency::Normal => ("普通", "normal"),
        Urgency::Urgent => ("紧急", "urgent"),
        Urgency::ExtraUrgent => ("特急", "extra urgent"),
    }
}

/// A light's names: (key, zh-CN, English); `none` where no clock runs.
pub(crate) fn colour_names(c: Option<Colour>) -> (&'static str, &'static str, &'static str) {
    match c {
        Some(Colour::Green) => ("green", "绿灯", "green"),
        Some(Colour::Yellow) => ("yellow", "黄灯", "yellow"),
        Some(Colour::Red) => ("red", "红灯", "red"),
        None => ("none", "无灯(未计时)", "no light (no clock runs)"),
    }
}

fn compute_stats(org: &Org, items: &[Loaded], f: &Filters, now: DateTime<Utc>) -> Stats {
    let cal = &org.calendar;
    let mut by_status: BTreeMap<Status, u64> = BTreeMap::new();
    let mut by_category: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_urgency: HashMap<Urgency, u64> = HashMap::new();
    let mut by_unit: HashMap<Option<UnitId>, u64> = HashMap::new();
    let mut by_person: HashMap<Option<UserId>, u64> = HashMap::new();
    let mut by_light: HashMap<Option<Colour>, u64> = HashMap::new();
    let (mut overdue, mut escalated) = (0, 0);
    for i in items {
        let s = &i.state;
        *by_status.entry(s.status).or_default() += 1;
        *by_category.entry(s.category.as_str()).or_default() += 1;
        *by_urgency.entry(s.urgency).or_default() += 1;
        *by_unit.entry(s.lead.map(|l| l.unit)).or_default() += 1;
        *by_person.entry(s.lead.and_then(|l| l.user)).or_default() += 1;
        let light = timeliness_light(s, now, cal, &org.policy);
        if overdue_light(light.as_ref()) {
            overdue += 1;
        }
        if s.escalated.is_some() {
            escalated += 1;
        }
        *by_light.entry(light.map(|l| l.colour)).or_default() += 1;
    }

    let statuses = by_status
        .iter()
        .map(|(s, n)| bucket(enum_text(s), Some(s.zh().into()), Some(s.en().into()), *n))
        .collect();
    let mut categories: Vec<Bucket> = org
        .policy
        .categories
        .iter()
        .filter_map(|c| {
            by_category.get(c.code.as_str()).map(|n| {
                bucket(
                    c.code.clone(),
                    Some(c.name_zh.clone()),
                    Some(c.name_en.clone()),
                    *n,
                )
            })
        })
        .collect();
    categories.extend(
        by_category
            .iter()
            .filter(|(code, _)| org.policy.category(code).is_none())
            .map(|(code, n)| bucket(*code, None, None, *n)),
    );
    let urgencies = [Urgency::Normal, Urgency::Urgent, Urgency::ExtraUrgent]
        .into_iter()
        .filter_map(|u| {
            by_urgency.get(&u).map(|n| {
                let (zh, en) = urgency_names(u);
                bucket(enum_text(&u), Some(zh.into()), Some(en.into()), *n)
            })
        })
        .collect();
    let named = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let mut units: Vec<Bucket> = org
        .units
        .iter()
        .filter_map(|u| {
            by_unit
                .get(&Some(u.id))
                .map(|n| bucket(u.id.to_string(), named(&u.name), named(&u.name_en), *n))
        })
        .collect();
    let mut gone: Vec<Bucket> = by_unit
        .iter()
        .filter_map(|(u, n)| {
            u.filter(|u| org.unit(*u).is_none())
                .map(|u| bucket(u.to_string(), None, None, *n))
        })
        .collect();
    gone.sort_by(|a, b| a.key.cmp(&b.key));
    units.extend(gone);
    if let Some(n) = by_unit.get(&None) {
        units.push(bucket(
            "none",
            Some("未交办".into()),
            Some("not dispatched".into()),
            *n,
        ));
    }
    let mut people: Vec<Bucket> = by_person
        .iter()
        .filter_map(|(p, n)| {
            p.map(|p| {
                let name = org.people.get(&p).map(|x| x.name.clone());
                bucket(p.to_string(), name.clone(), name, *n)
            })
        })
        .collect();
    people.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.zh.cmp(&b.zh))
            .then_with(|| a.key.cmp(&b.key))
    });
    if let Some(n) = by_person.get(&None) {
        people.push(bucket(
            "none",
            Some("未指定主办人".into()),
            Some("no lead handler named".into()),
            *n,
        ));
    }
    let lights = [
        Some(Colour::Green),
        Some(Colour::Yellow),
        Some(Colour::Red),
        None,
    ]
    .into_iter()
    .filter_map(|c| {
        by_light.get(&c).map(|n| {
            let (key, zh, en) = colour_names(c);
            bucket(key, Some(zh.into()), Some(en.into()), *n)
        })
    })
    .collect();

    // The completion rate counts items due in the period: with a deadline range, that
    // range (the items were selected by it already); otherwise all time.
    let period = match f.date_field {
        Some(DateField::Deadline) => DateRange {
            first: f.from.unwrap_or(NaiveDate::MIN),
            last: f.to.unwrap_or(NaiveDate::MAX),
        },
        _ => DateRange {
            first: NaiveDate::MIN,
            last: NaiveDate::MAX,
        },
    };
    let rate = completion_rate(items.iter().map(|i| &*i.state), period, now, cal);
    Stats {
        at: now,
        total: items.len() as u64,
        overdue,
        escalated,
        completion: CompletionStats {
            counts: rate,
            percent: rate.percent(),
        },
        by_status: statuses,
        by_category: categories,
        by_urgency: urgencies,
        by_unit: units,
        by_person: people,
        by_light: lights,
    }
}

async fn stats(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Stats>, ApiError> {
    let now = state.clock.now();
    let org = session.org.clone();
    let f = parse_filters(&q, &org)?;
    let mut tx = state.db.read().await?;
    let items = load_all(&mut tx, &state.states, &session, &f, "t.id", now).await?;
    drop(tx);
    Ok(Json(compute_stats(&org, &items, &f, now)))
}

/// The items overdue and not reported, most overdue first (then by id).
fn overdue_first(org: &Org, items: &[Loaded], now: DateTime<Utc>) -> Vec<Loaded> {
    let cal = &org.calendar;
    let mut overdue: Vec<(DateTime<Utc>, &Loaded)> = items
        .iter()
        .filter(|i| overdue_light(timeliness_light(&i.state, now, cal, &org.policy).as_ref()))
        .filter_map(|i| effective_deadline(&i.state, now, cal).map(|d| (d, i)))
        .collect();
    overdue.sort_by_key(|(d, i)| (*d, i.id));
    overdue.into_iter().map(|(_, i)| i.clone()).collect()
}

/// How many overdue and escalated items the overview lists (most overdue first).
pub const OVERVIEW_LIST: usize = 10;

/// A unit's place in a ranking.
#[derive(Debug, Serialize)]
pub struct RankRow {
    /// 1 for the best; equal scores share a place.
    pub rank: u32,
    /// The unit.
    pub unit: UnitRef,
    /// Its score on the policy's base, e.g. `98.5`.
    pub score: String,
    /// The items assessed in the period.
    pub items: usize,
}

/// The leader's overview (领导总览, R8.1): everything it shows, computed at `at`.
#[derive(Debug, Serialize)]
pub struct Overview {
    /// The figures of [`Stats`] over every item the person may read.
    pub stats: Stats,
    /// The overdue items not reported, most overdue first (at most [`OVERVIEW_LIST`]).
    pub overdue: Vec<ItemSummary>,
    /// The escalated items still open, most recently changed first (at most
    /// [`OVERVIEW_LIST`]).
    pub escalated: Vec<ItemSummary>,
    /// The period ranked, e.g. `2026-12`.
    pub period: String,
    /// The units that lead an item falling due in the period, ranked by score (R6.5).
    pub ranking: Vec<RankRow>,
}

/// The overview for `session` at `now`: one read of the items the person may read.
pub async fn overview(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Overview, ApiError> {
    let org = session.org.clone();
    let f = Filters::default();
    let mut tx = state.db.read().await?;
    let items = load_all(
        &mut tx,
        &state.states,
        session,
        &f,
        "t.updated_at DESC, t.id",
        now,
    )
    .await?;
    let stats = compute_stats(&org, &items, &f, now);
    let overdue: Vec<Loaded> = overdue_first(&org, &items, now)
        .into_iter()
        .take(OVERVIEW_LIST)
        .collect();
    let escalated: Vec<Loaded> = items
        .iter()
        .filter(|i| i.state.escalated.is_some() && i.state.status.is_handling())
        .take(OVERVIEW_LIST)
        .cloned()
        .collect();
    let overdue = summaries(&mut tx, &org, &overdue, now).await?;
    let escalated = summaries(&mut tx, &org, &escalated, now).await?;
    drop(tx);

    let (period, ranking) = ranking_of(&org, &items, now)?;
    Ok(Overview {
        stats,
        overdue,
        escalated,
        period,
        ranking,
    })
}

/// This month's unit ranking over `items` (in the organisation's time): the units that lead
/// an item falling due in it, by score (R6.5); and the month's name, e.g. `2026-12`.
fn ranking_of(
    org: &Org,
    items: &[Loaded],
    now: DateTime<Utc>,
) -> Result<(String, Vec<RankRow>), ApiError> {
    let cal = &org.calendar;
    let today = cal.to_local(now).date();
    let period = DateRange::month(today.year(), today.month())
        .ok_or_else(|| ApiError::internal("the month of today is not a period"))?;
    let scores = period_scores(org, items.iter().map(|i| (i.id, &*i.state)), period, now);
    let ranking = rank(&scores)
        .into_iter()
        .map(|r| RankRow {
            rank: r.rank,
            unit: unit_ref(org, r.unit),
            score: r.score.to_string(),
            items: scores
                .iter()
                .find(|s| s.unit == r.unit)
                .map_or(0, |s| s.items.len()),
        })
        .collect();
    Ok((format!("{:04}-{:02}", today.year(), today.month()), ranking))
}

async fn overview_json(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Overview>, ApiError> {
    Ok(Json(overview(&state, &session, state.clock.now()).await?))
}

/// A public item as the public board shows it (R9.3): no person named.
#[derive(Debug, Serialize)]
pub struct BoardItem {
    /// Number as printed.
    pub number: String,
    /// Title.
    pub title: String,
    /// Category name (zh-CN).
    pub category_zh: String,
    /// The lead unit's name; empty before dispatch.
    pub lead_unit: String,
    /// Status name (zh-CN).
    pub status_zh: &'static str,
    /// The local day the item falls due (the deadline in force).
    pub due: Option<NaiveDate>,
    /// The timeliness light's colour now.
    pub colour: Option<Colour>,
    /// The light's reason (zh-CN).
    pub light_zh: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Progress 0–100.
    pub progress: u8,
}

/// A unit's progress on the public items it leads.
#[derive(Debug, Serialize)]
pub struct BoardUnit {
    /// The unit.
    pub unit: UnitRef,
    /// Public items it leads.
    pub items: u64,
    /// Of those, completed (accepted, closed or archived).
    pub done: u64,
    /// Of those, overdue and not reported.
    pub overdue: u64,
}

/// The public board (督办网, R9.3): what anyone may read without signing in.
#[derive(Debug, Serialize)]
pub struct Board {
    /// The organisation (its root unit's name).
    pub organisation: String,
    /// The items marked public once dispatched (drafts, registrations awaiting approval,
    /// declined and revoked items are not shown), most recently changed first.
    pub items: Vec<BoardItem>,
    /// Units' progress on those items, in tree order.
    pub units: Vec<BoardUnit>,
    /// The period ranked, e.g. `2026-12`.
    pub period: String,
    /// The published unit ranking of the period: rank, unit and score only.
    pub ranking: Vec<RankRow>,
}

/// Whether a public item is one the board shows.
fn on_board(s: &TaskState) -> bool {
    s.visibility == Visibility::Public
        && (s.status.is_handling()
            || matches!(
                s.status,
                Status::Completed | Status::Closed | Status::Archived
            ))
}

/// The public board at `now`. The items are selected by their audience (`everyone`, the key
/// only public items hold) and checked again in Rust; only their public summary is kept.
/// The ranking covers every item, as the published ranking does, but shows only scores.
pub async fn public_board(state: &AppState, now: DateTime<Utc>) -> Result<Board, ApiError> {
    let org = state.org.latest(&state.db).await?;
    let cal = &org.calendar;
    let mut tx = state.db.read().await?;
    let public = load_rows(
        &mut tx,
        &state.states,
        &format!(
            "SELECT {COLUMNS} FROM tasks t WHERE t.id IN (SELECT a.task FROM task_audience a \
             WHERE a.tier = 'view' AND a.key = 'everyone') ORDER BY t.updated_at DESC, t.id"
        ),
        vec![],
    )
    .await?;
    let all = load_rows(
        &mut tx,
        &state.states,
        &format!("SELECT {COLUMNS} FROM tasks t"),
        vec![],
    )
    .await?;
    drop(tx);
    let public: Vec<&Loaded> = public.iter().filter(|i| on_board(&i.state)).collect();

    let mut units: BTreeMap<UnitId, BoardUnit> = BTreeMap::new();
    let mut items = Vec::with_capacity(public.len());
    for i in &public {
        let s = &i.state;
        let light = timeliness_light(s, now, cal, &org.policy);
        let overdue = overdue_light(light.as_ref());
        if let Some(lead) = s.lead {
            let u = units.entry(lead.unit).or_insert_with(|| BoardUnit {
                unit: unit_ref(&org, lead.unit),
                items: 0,
                done: 0,
                overdue: 0,
            });
            u.items += 1;
            if matches!(
                s.status,
                Status::Completed | Status::Closed | Status::Archived
            ) {
                u.done += 1;
            }
            if overdue {
                u.overdue += 1;
            }
        }
        items.push(BoardItem {
            number: s
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            title: s.title.clone(),
            category_zh: org
                .policy
                .category(&s.category)
                .map(|c| c.name_zh.clone())
                .unwrap_or_default(),
            lead_unit: s
                .lead
                .and_then(|l| org.unit(l.unit))
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            status_zh: s.status.zh(),
            due: effective_deadline(s, now, cal).map(|d| cal.due_date(d)),
            colour: light.as_ref().map(|l| l.colour),
            light_zh: light.map(|l| l.zh).unwrap_or_default(),
            urgency: s.urgency,
            progress: own_progress(s),
        });
    }
    let units = org
        .units
        .iter()
        .filter_map(|u| units.remove(&u.id))
        .collect();
    let (period, ranking) = ranking_of(&org, &all, now)?;
    Ok(Board {
        organisation: org
            .units
            .iter()
            .find(|u| u.parent.is_none())
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        items,
        units,
        period,
        ranking,
    })
}

/// The supervisor's workbench (督办员工作台, R8.1): what the office must act on now.
#[derive(Debug, Serialize)]
pub struct Workbench {
    /// Items waiting for me to dispatch (approved registrations and drafts needing no
    /// approval), oldest first.
    pub to_dispatch: Vec<ItemSummary>,
    /// Completions waiting for my review, oldest first.
    pub to_review: Vec<ItemSummary>,
    /// Every overdue item not reported, most overdue first: each urged in one click.
    pub overdue: Vec<ItemSummary>,
}

/// The workbench for `session` at `now`: the duties the core's rule gives this person on
/// each item they may read (the same rule as the phones' inbox), and the overdue items.
pub async fn workbench(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Workbench, ApiError> {
    use duban_core::domain::derived::duty::{duties, Duty};
    use duban_core::domain::Context;
    let org = session.org.clone();
    let f = Filters::default();
    let mut tx = state.db.read().await?;
    let items = load_all(
        &mut tx,
        &state.states,
        session,
        &f,
        "t.updated_at, t.id",
        now,
    )
    .await?;
    let ctx = Context {
        actor: &session.actor,
        now,
        calendar: &org.calendar,
        policy: &org.policy,
        units: &org.tree,
        parent: None,
    };
    let (mut to_dispatch, mut to_review) = (Vec::new(), Vec::new());
    for i in &items {
        let mine = duties(&i.state, &ctx);
        if mine.contains(&Duty::Dispatch) {
            to_dispatch.push(i.clone());
        }
        if mine.contains(&Duty::Review) {
            to_review.push(i.clone());
        }
    }
    let overdue = overdue_first(&org, &items, now);
    Ok(Workbench {
        to_dispatch: summaries(&mut tx, &org, &to_dispatch, now).await?,
        to_review: summaries(&mut tx, &org, &to_review, now).await?,
        overdue: summaries(&mut tx, &org, &overdue, now).await?,
    })
}

/// One item as lists show it, if the person may read it.
pub async fn item_summary(
    state: &AppState,
    session: &Session,
    task: TaskId,
    now: DateTime<Utc>,
) -> Result<Option<ItemSummary>, ApiError> {
    let mut tx = state.db.read().await?;
    let Some(item) = load_visible(&mut tx, &state.states, session, task).await? else {
        return Ok(None);
    };
    Ok(summaries(&mut tx, &session.org, &[item], now)
        .await?
        .into_iter()
        .next())
}

// ----- for the pages (`web::stats`, `web::export`) -------------------------------------------

/// An item of the ledger (台账): what a list shows of it, and its whole state.
pub struct LedgerItem {
    /// The item as `GET /tasks` shows it.
    pub summary: ItemSummary,
    /// Its state, for the ledger's further columns.
    pub state: Arc<TaskState>,
}

/// The ledger for `q`: every item the person may read that the filters select — the rows of
/// `GET /tasks` with the same filters, over all its pages — oldest registration first.
pub(crate) async fn ledger(
    state: &AppState,
    session: &Session,
    q: &StatsQuery,
    now: DateTime<Utc>,
) -> Result<Vec<LedgerItem>, ApiError> {
    let f = parse_filters(q, &session.org)?;
    Ok(listed(state, session, &f, "t.created_at, t.id", now)
        .await?
        .into_iter()
        .map(|(summary, state)| LedgerItem { summary, state })
        .collect())
}

/// The items the person may read that `f` selects, in `order`, as lists show them and
/// with their states.
async fn listed(
    state: &AppState,
    session: &Session,
    f: &Filters,
    order: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(ItemSummary, Arc<TaskState>)>, ApiError> {
    let mut tx = state.db.read().await?;
    let items = load_all(&mut tx, &state.states, session, f, order, now).await?;
    let rows = summaries(&mut tx, &session.org, &items, now).await?;
    Ok(rows
        .into_iter()
        .zip(items.into_iter().map(|i| i.state))
        .collect())
}

/// The figures of `GET /stats` for `q` at `now`: the very numbers the API answers (the
/// statistics page and its export).
pub(crate) async fn stats_for(
    state: &AppState,
    session: &Session,
    q: &StatsQuery,
    now: DateTime<Utc>,
) -> Result<Stats, ApiError> {
    let f = parse_filters(q, &session.org)?;
    let mut tx = state.db.read().await?;
    let items = load_all(&mut tx, &state.states, session, &f, "t.id", now).await?;
    drop(tx);
    Ok(compute_stats(&session.org, &items, &f, now))
}

/// Every item the person may read, as lists show it and with its state, most recently
/// changed first.
pub(crate) async fn readable(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Vec<(ItemSummary, Arc<TaskState>)>, ApiError> {
    listed(
        state,
        session,
        &Filters::default(),
        "t.updated_at DESC, t.id",
        now,
    )
    .await
}

/// This month's published unit ranking over every item, as the public board shows it
/// (rank, unit and score): the month's name and the rows.
pub(crate) async fn published_ranking(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<(String, Vec<RankRow>), ApiError> {
    let org = state.org.latest(&state.db).await?;
    let mut tx = state.db.read().await?;
    let sql = format!("SELECT {COLUMNS} FROM tasks t");
    let all = load_rows(&mut tx, &state.states, &sql, vec![]).await?;
    drop(tx);
    ranking_of(&org, &all, now)
}

/// The latest events of `items` (items the caller has already found the person may read),
/// newest first, at most `limit`.
pub(crate) async fn latest_events(
    state: &AppState,
    items: &[TaskId],
    limit: usize,
) -> Result<Vec<(TaskId, duban_core::domain::Event)>, ApiError> {
    let mut found: Vec<(i64, TaskId, duban_core::domain::Event)> = Vec::new();
    let mut tx = state.db.read().await?;
    for chunk in items.chunks(STATE_CHUNK) {
        let sql = format!(
            "SELECT seq, task, body FROM changes WHERE kind = 'event' AND task IN ({}) \
             ORDER BY seq DESC LIMIT {limit}",
            placeholders(1, chunk.len())
        );
        let args = chunk.iter().map(|id| Val::from(id.to_string())).collect();
        for r in tx.rows(&sql, args).await? {
            let task = TaskId(uuid::Uuid::parse_str(&r.text(1)?).map_err(ApiError::internal)?);
            found.push((r.int(0)?, task, from_json(&r.text(2)?)?));
        }
    }
    drop(tx);
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    found.truncate(limit);
    Ok(found.into_iter().map(|(_, t, e)| (t, e)).collect())
}

/// Every item's id and state, whoever looks (the assessment, the bulletins and the published
/// ranking count every item; the pages show only what the person may read of them).
pub(crate) async fn every_state(
    state: &AppState,
) -> Result<Vec<(TaskId, Arc<TaskState>)>, ApiError> {
    let mut tx = state.db.read().await?;
    let sql = format!("SELECT {COLUMNS} FROM tasks t");
    let all = load_rows(&mut tx, &state.states, &sql, vec![]).await?;
    Ok(all.into_iter().map(|i| (i.id, i.state)).collect())
}

/// The score for `period` of every unit leading any of `items` (units with nothing due in it
/// left out), in the organisation's order: what rankings rank.
pub(crate) fn period_scores<'a, I>(
    org: &Org,
    items: I,
    period: DateRange,
    now: DateTime<Utc>,
) -> Vec<UnitScore>
where
    I: IntoIterator<Item = (TaskId, &'a TaskState)>,
    I::IntoIter: Clone,
{
    let items = items.into_iter();
    let leads: BTreeSet<UnitId> = items
        .clone()
        .filter_map(|(_, s)| s.lead.map(|l| l.unit))
        .collect();
    let units: Vec<UnitId> = org
        .units
        .iter()
        .map(|u| u.id)
        .filter(|u| leads.contains(u))
        .collect();
    unit_scores(&units, items, period, now, &org.calendar, &org.policy)
        .into_iter()
        .filter(|s| !s.items.is_empty())
        .collect()
}
