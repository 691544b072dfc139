//! Statistics (R8.4), each person's calendar and timeline (R8.3), anomaly monitoring (R8.5),
//! and the unit head's and personal portals (R8.1):
//!
//! - `GET /stats`: the figures of `GET /api/v1/stats` (the same function, the same filters
//!   from a GET form) with a bar or pie chart and a table per dimension;
//! - `GET /people/{id}`: a person's month (`?month=2026-12`) with the deadlines and
//!   milestones of the items they lead, handle or are responsible for, and the latest steps
//!   on those items; for the person, leaders, the office, inspectors and the heads of the
//!   person's unit (or a unit above it);
//! - `GET /monitor`: the anomalies of `duban_core::domain::derived::anomaly`, for leaders,
//!   the office and inspectors;
//! - `GET /unit`: the unit head's portal; `GET /me`: everyone's own portal.
//!
//! Every page reads only the items the person may read (`crate::read`).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use duban_core::domain::derived::anomaly::{anomalies, AnomalyKind};
use duban_core::domain::derived::describe::describe;
use duban_core::domain::derived::duty::duties;
use duban_core::domain::derived::OrderFigures;
use duban_core::domain::Code;
use duban_core::domain::{effective_deadline, Actor, Context, Role, TaskState, UnitId, UserId};
use serde::Deserialize;

use super::{colour_class, monitors, page, percent, row, signin, Chrome, SignedIn};
use super::{ChartData, Ranked, Row, Shown};
use crate::auth::Session;
use crate::error::{ApiError, Path, Query};
use crate::i18n::{self, Lang};
use crate::read::{self, Bucket, ItemSummary, Stats, StatsQuery};
use crate::routes::notifications;
use crate::AppState;

/// How many steps a person's timeline shows.
pub const TIMELINE: usize = 100;
/// How many upcoming deadlines the personal portal lists.
pub const UPCOMING: usize = 10;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/stats", get(stats_page))
        .route("/people/{id}", get(person_page))
        .route("/monitor", get(monitor_page))
        .route("/unit", get(unit_page))
        .route("/me", get(me_page))
}

fn answer(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

// ----- rules of these pages ---------------------------------------------------------------

/// Whether `viewer` may open `person`'s calendar and timeline: their own; leaders, the office
/// and inspectors anyone's; a unit head the people of their unit and the units below it.
/// (The page still shows only the items the viewer may read.)
pub fn may_see_person(
    viewer: &Actor,
    person: UserId,
    person_unit: Option<UnitId>,
    org: &crate::org::Org,
) -> bool {
    if viewer.id == person {
        return true;
    }
    if viewer.roles.any(&[
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Supervisor,
        Role::Inspector,
        Role::Admin,
    ]) {
        return true;
    }
    viewer.roles.has(Role::UnitHead)
        && matches!((viewer.unit, person_unit), (Some(mine), Some(theirs)) if org.tree.is_within(theirs, mine))
}

/// Whether the item is one of `person`'s: they lead it (named, or as a member of the lead
/// unit when nobody is named), share or help handle it (by name), or are its instructing,
/// responsible or deputy leader.
pub fn concerns(s: &TaskState, person: &Actor) -> bool {
    let me = person.id;
    s.lead
        .is_some_and(|l| l.user == Some(me) || (l.user.is_none() && person.unit == Some(l.unit)))
        || s.sharers.contains(&me)
        || s.participants.iter().any(|p| p.user == Some(me))
        || [s.instructing_leader, s.responsible_leader, s.deputy_leader].contains(&Some(me))
}

fn stats_link(unit: &str) -> String {
    format!("/stats?unit={unit}")
}

// ----- GET /stats -------------------------------------------------------------------------

/// The filter form (GET parameters): the filters of `GET /api/v1/stats`, one value each.
#[derive(Debug, Default, Deserialize)]
struct StatsForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    date_field: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    status: String,
    /// The hotline figures' month, `YYYY-MM` (default: the current month).
    #[serde(default)]
    month: String,
}

impl StatsForm {
    fn query(&self) -> StatsQuery {
        let v = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        StatsQuery {
            from: v(&self.from),
            to: v(&self.to),
            date_field: v(&self.date_field),
            unit: v(&self.unit),
            category: v(&self.category),
            urgency: v(&self.urgency),
            status: v(&self.status),
            ..StatsQuery::default()
        }
    }
}

/// One choice of a filter's list.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices(current: &str, all: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
    all.into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// One line of a dimension's table.
struct DimRow {
    key: String,
    label: String,
    count: u64,
    share: String,
    href: Option<String>,
}

/// One dimension: its chart and its table.
struct Dim {
    id: &'static str,
    /// Its name in the page's language.
    name: String,
    kind: &'static str,
    /// The chart's height in pixels: a bar per row for bar charts.
    height: usize,
    chart: ChartData,
    colours: String,
    rows: Vec<DimRow>,
}

fn dim(
    id: &'static str,
    name_key: &str,
    kind: &'static str,
    buckets: &[Bucket],
    total: u64,
    href: &dyn Fn(&Bucket) -> Option<String>,
) -> Dim {
    let colours = if id == "light" {
        let c: Vec<&str> = buckets
            .iter()
            .map(|b| match b.key.as_str() {
                "green" => "#2f9e44",
                "yellow" => "#e0a100",
                "red" => "#c92a2a",
                _ => "#adb5bd",
            })
            .collect();
        serde_json::to_string(&c).unwrap_or_default()
    } else {
        String::new()
    };
    let lang = i18n::current();
    Dim {
        id,
        name: lang.t(name_key),
        kind,
        height: if kind == "bar" {
            (40 + 24 * buckets.len()).max(280)
        } else {
            280
        },
        chart: chart_in(lang, buckets),
        colours,
        rows: buckets
            .iter()
            .map(|b| DimRow {
                key: b.key.clone(),
                label: bucket_label(lang, b),
                count: b.count,
                share: if total == 0 {
                    "—".to_owned()
                } else {
                    format!("{:.1}%", b.count as f64 * 100.0 / total as f64)
                },
                href: href(b),
            })
            .collect(),
    }
}

/// A bucket's name in `lang`: a named value's name in that language (a unit's or a
/// person's name as entered), "none" in words, else its key.
fn bucket_label(lang: Lang, b: &Bucket) -> String {
    match (&b.zh, &b.en) {
        (Some(zh), Some(en)) if !en.is_empty() => lang.pick(zh, en).to_owned(),
        (Some(zh), _) => zh.clone(),
        _ if b.key == "none" => lang.t("stats-none"),
        _ => b.key.clone(),
    }
}

/// The chart's labels and values, the labels in `lang`.
fn chart_in(lang: Lang, buckets: &[Bucket]) -> ChartData {
    let labels: Vec<String> = buckets.iter().map(|b| bucket_label(lang, b)).collect();
    let values: Vec<u64> = buckets.iter().map(|b| b.count).collect();
    ChartData {
        labels: serde_json::to_string(&labels).unwrap_or_default(),
        values: serde_json::to_string(&values).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    chrome: Chrome,
    error: Option<Shown>,
    from: String,
    to: String,
    by_deadline: bool,
    units: Vec<Choice>,
    categories: Vec<Choice>,
    urgencies: Vec<Choice>,
    statuses: Vec<Choice>,
    total: u64,
    overdue: u64,
    escalated: u64,
    completion: String,
    due: u32,
    on_time: u32,
    late: u32,
    open: u32,
    dims: Vec<Dim>,
    hotline: Option<HotlineView>,
}

/// One row of the hotline's monthly figures, as the page shows it.
struct HotlineLine {
    unit: String,
    name: String,
    f: OrderFigures,
    completion: String,
    satisfaction: String,
}

impl HotlineLine {
    fn of(unit: String, name: String, f: OrderFigures) -> HotlineLine {
        HotlineLine {
            unit,
            name,
            completion: percent(f.completion_percent()),
            satisfaction: percent(f.satisfaction_percent()),
            f,
        }
    }
}

/// The hotline section of `/stats`: a month's figures per unit and in total.
struct HotlineView {
    /// The month as typed (kept when refused).
    month: String,
    /// The refusal of a month that does not read, at its field.
    error: Option<String>,
    rows: Vec<HotlineLine>,
    total: HotlineLine,
    calls: u32,
    accepted: u32,
    not_accepted: u32,
    undecided: u32,
    /// Each reason of not accepting, named, with its count.
    reasons: Vec<(&'static str, String, u32)>,
}

/// The hotline section for the month asked (the current one by default), over the orders
/// the person may read; `None` when the policy has no hotline category.
async fn hotline_view(
    state: &AppState,
    session: &Session,
    month: &str,
    now: DateTime<Utc>,
) -> Result<Option<HotlineView>, ApiError> {
    let org = &session.org;
    if !org.policy.categories.iter().any(|c| c.order_line.is_some()) {
        return Ok(None);
    }
    let typed = month.trim();
    let asked = if typed.is_empty() {
        read::current_month(org, now)
    } else {
        typed.to_owned()
    };
    let lang = i18n::current();
    let (h, error) = match read::hotline_for(state, session, &asked, now).await {
        Ok(h) => (Some(h), None),
        Err(read::ReadError::BadFilter { zh, en, .. }) => {
            (None, Some(lang.pick(&zh, &en).to_owned()))
        }
        Err(e) => return Err(e.into()),
    };
    let h = h.unwrap_or_else(|| read::hotline_table(org, &asked, Default::default()));
    let reasons = h
        .calls
        .not_accepted
        .by_code()
        .into_iter()
        .map(|(code, n)| (code, lang.t(&format!("hstats-reason-{code}")), n))
        .collect();
    Ok(Some(HotlineView {
        month: asked,
        error,
        rows: h
            .rows
            .iter()
            .map(|r| HotlineLine::of(r.unit.to_string(), r.name.clone(), r.figures))
            .collect(),
        total: HotlineLine::of("total".into(), lang.t("hstats-total"), h.total),
        calls: h.calls.taken,
        accepted: h.calls.accepted,
        not_accepted: h.calls.not_accepted.total(),
        undecided: h.calls.undecided,
        reasons,
    }))
}

async fn stats_page(
    State(state): State<AppState>,
    Query(form): Query<StatsForm>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    let org = &session.org;
    let (stats, error) = match read::stats_for(&state, &session, &form.query(), now)
        .await
        .map_err(ApiError::from)
    {
        Ok(s) => (Some(s), None),
        Err(e) if e.status.is_client_error() => (
            None,
            Some(Shown {
                code: e.code,
                zh: e.zh,
                en: e.en,
            }),
        ),
        Err(e) => return e.into_response(),
    };
    let hotline = match hotline_view(&state, &session, &form.month, now).await {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    let status = if error.is_some() || hotline.as_ref().is_some_and(|h| h.error.is_some()) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let empty = Stats {
        at: now,
        total: 0,
        overdue: 0,
        escalated: 0,
        completion: read::CompletionStats {
            counts: Default::default(),
            percent: None,
        },
        by_status: vec![],
        by_category: vec![],
        by_urgency: vec![],
        by_unit: vec![],
        by_person: vec![],
        by_light: vec![],
    };
    let s = stats.unwrap_or(empty);
    let viewer = &session.actor;
    let person_link = |b: &Bucket| {
        let id = uuid::Uuid::parse_str(&b.key).ok().map(UserId)?;
        let p = org.people.get(&id)?;
        may_see_person(viewer, id, p.unit, org).then(|| format!("/people/{id}"))
    };
    let unit_link = |b: &Bucket| (b.key != "none").then(|| stats_link(&b.key));
    let none = |_: &Bucket| None;
    let t = s.total;
    let dims = vec![
        dim("unit", "stats-by-unit", "bar", &s.by_unit, t, &unit_link),
        dim(
            "person",
            "stats-by-person",
            "bar",
            &s.by_person,
            t,
            &person_link,
        ),
        dim(
            "category",
            "stats-by-category",
            "bar",
            &s.by_category,
            t,
            &none,
        ),
        dim("status", "stats-by-status", "pie", &s.by_status, t, &none),
        dim(
            "urgency",
            "stats-by-urgency",
            "pie",
            &s.by_urgency,
            t,
            &none,
        ),
        dim("light", "stats-by-light", "pie", &s.by_light, t, &none),
    ];
    let lang = i18n::current();
    let page_record = StatsPage {
        chrome: Chrome::new(Some(&session), &org.calendar, "/stats", now),
        error,
        from: form.from.clone(),
        to: form.to.clone(),
        by_deadline: form.date_field == "deadline",
        units: choices(
            &form.unit,
            org.units.iter().map(|u| (u.id.to_string(), u.name.clone())),
        ),
        categories: choices(
            &form.category,
            org.policy.categories.iter().map(|c| {
                let name = if c.name_en.trim().is_empty() {
                    &c.name_zh
                } else {
                    lang.pick(&c.name_zh, &c.name_en)
                };
                (c.code.clone(), name.to_owned())
            }),
        ),
        urgencies: choices(
            &form.urgency,
            [
                duban_core::domain::model::Urgency::Normal,
                duban_core::domain::model::Urgency::Urgent,
                duban_core::domain::model::Urgency::ExtraUrgent,
            ]
            .into_iter()
            .map(|u| (u.code().to_owned(), lang.name(u).to_owned())),
        ),
        statuses: choices(
            &form.status,
            duban_core::domain::Status::ALL
                .into_iter()
                .filter(|s| *s != duban_core::domain::Status::New)
                .map(|s| (s.code().to_owned(), lang.name(s).to_owned())),
        ),
        total: s.total,
        overdue: s.overdue,
        escalated: s.escalated,
        completion: percent(s.completion.percent),
        due: s.completion.counts.due,
        on_time: s.completion.counts.on_time,
        late: s.completion.counts.late,
        open: s.completion.counts.open,
        dims,
        hotline,
    };
    page(status, &page_record)
}

// ----- GET /people/{id} -------------------------------------------------------------------

/// Something due on a day of the calendar.
struct DayMark {
    id: String,
    number: String,
    title: String,
    colour: &'static str,
    light: String,
    what: String,
}

/// One day of the month grid.
struct Day {
    date: String,
    day: u32,
    in_month: bool,
    today: bool,
    off: bool,
    marks: Vec<DayMark>,
}

/// One step of the timeline.
struct Step {
    at: String,
    id: String,
    number: String,
    title: String,
    who: String,
    /// What happened, in the page's language.
    what: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    name: String,
    position: String,
    unit: String,
    month: String,
    prev: String,
    next: String,
    base: String,
    weeks: Vec<Vec<Day>>,
    items: usize,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct MonthQuery {
    #[serde(default)]
    month: String,
}

/// A month `YYYY-MM` of a four-digit year (chrono reads years to ±262,143, at whose edges
/// the calendar's arithmetic would overflow).
fn parse_month(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .ok()
        .filter(|d| (1..=9999).contains(&d.year()))
}

fn month_name(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn add_months(d: NaiveDate, n: i32) -> NaiveDate {
    let m = d.year() * 12 + d.month0() as i32 + n;
    NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

async fn person_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<MonthQuery>,
    SignedIn(session, _): SignedIn<signin::ToPerson>,
) -> Response {
    answer(person_html(&state, &session, &id, &q.month, state.clock.now()).await)
}

async fn person_html(
    state: &AppState,
    session: &Session,
    id: &str,
    month: &str,
    now: DateTime<Utc>,
) -> Result<Response, ApiError> {
    let org = &session.org;
    let cal = &org.calendar;
    let lang = i18n::current();
    let missing = || ApiError::not_found("人员", "person");
    let person_id = uuid::Uuid::parse_str(id.trim())
        .map(UserId)
        .map_err(|_| missing())?;
    let person = org.people.get(&person_id).ok_or_else(missing)?;
    if !may_see_person(&session.actor, person_id, person.unit, org) {
        return Err(ApiError::forbidden(
            "您无权查看此人的日历和时间线",
            "you may not see this person's calendar and timeline",
        ));
    }
    let today = cal.to_local(now).date();
    let first = if month.trim().is_empty() {
        today.with_day(1).unwrap_or(today)
    } else {
        parse_month(month).ok_or_else(|| {
            ApiError::bad_request(
                "query.bad_month",
                "月份格式应为 YYYY-MM",
                "a month is YYYY-MM",
            )
        })?
    };
    let next_first = add_months(first, 1);
    let actor = crate::org::actor_of(person);
    let items: Vec<(ItemSummary, Arc<TaskState>)> = read::readable(state, session, now)
        .await?
        .into_iter()
        .filter(|(_, s)| concerns(s, &actor))
        .collect();

    // What falls due on each day of the month.
    let mut due: BTreeMap<NaiveDate, Vec<DayMark>> = BTreeMap::new();
    for (i, s) in &items {
        let mark = |what: String| DayMark {
            id: i.id.to_string(),
            number: i.number.clone(),
            title: i.title.clone(),
            colour: colour_class(i.light.as_ref().map(|l| l.colour)),
            light: i
                .light
                .as_ref()
                .map(|l| lang.pick(&l.zh, &l.en).to_owned())
                .unwrap_or_default(),
            what,
        };
        if let Some(d) = effective_deadline(s, now, cal) {
            due.entry(cal.due_date(d))
                .or_default()
                .push(mark(lang.t("pcal-due")));
        }
        for m in &s.milestones {
            due.entry(cal.due_date(m.spec.due)).or_default().push(mark(
                lang.t_args("pcal-milestone", &[("title", &m.spec.title)]),
            ));
        }
    }
    let start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let mut weeks = Vec::new();
    let mut d = start;
    while d < next_first {
        let mut week = Vec::with_capacity(7);
        for _ in 0..7 {
            week.push(Day {
                date: d.to_string(),
                day: d.day(),
                in_month: d >= first && d < next_first,
                today: d == today,
                off: !cal.is_working_day(d),
                marks: due.remove(&d).unwrap_or_default(),
            });
            d += Duration::days(1);
        }
        weeks.push(week);
    }

    // The latest steps on those items.
    let by_id: BTreeMap<_, _> = items.iter().map(|(i, _)| (i.id, i)).collect();
    let ids: Vec<_> = by_id.keys().copied().collect();
    let steps = read::latest_events(state, &ids, TIMELINE)
        .await?
        .into_iter()
        .filter_map(|(task, e)| {
            let i = by_id.get(&task)?;
            let d = describe(&e.kind, cal);
            Some(Step {
                at: cal.to_local(e.at).format("%Y-%m-%d %H:%M").to_string(),
                id: task.to_string(),
                number: i.number.clone(),
                title: i.title.clone(),
                who: org
                    .people
                    .get(&e.actor)
                    .map_or_else(|| lang.t("pcal-system"), |p| p.name.clone()),
                what: lang.pick(&d.title_zh, &d.title_en).to_owned(),
                detail: d.detail,
            })
        })
        .collect();
    let base = format!("/people/{person_id}");
    let t = PersonPage {
        chrome: Chrome::new(Some(session), cal, &base, now),
        name: person.name.clone(),
        position: person.position.clone(),
        unit: person
            .unit
            .and_then(|u| org.unit(u))
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        month: month_name(first),
        prev: format!("{base}?month={}", month_name(add_months(first, -1))),
        next: format!("{base}?month={}", month_name(next_first)),
        base,
        weeks,
        items: items.len(),
        steps,
    };
    Ok(page(StatusCode::OK, &t))
}

// ----- GET /monitor -----------------------------------------------------------------------

/// An item with the reason it is listed.
struct Flagged {
    row: Row,
    /// Why, in the page's language.
    reason: String,
}

/// One kind of anomaly and its items.
struct Group {
    code: &'static str,
    /// Its name in the page's language.
    name: &'static str,
    items: Vec<Flagged>,
}

#[derive(Template)]
#[template(path = "monitor.html")]
struct MonitorPage {
    chrome: Chrome,
    groups: Vec<Group>,
}

async fn monitor_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    answer(monitor_html(&state, &session, state.clock.now()).await)
}

async fn monitor_html(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Response, ApiError> {
    if !monitors(session) {
        return Err(ApiError::forbidden(
            "动态监测仅供领导、督查室和纪检监察人员查看",
            "monitoring is for leaders, the supervision office and inspectors",
        ));
    }
    let org = &session.org;
    let lang = i18n::current();
    let mut groups: Vec<Group> = AnomalyKind::ALL
        .into_iter()
        .map(|k| Group {
            code: k.code(),
            name: lang.pick(k.name_zh(), k.name_en()),
            items: Vec::new(),
        })
        .collect();
    for (i, s) in read::readable(state, session, now).await? {
        for a in anomalies(&s, now, &org.calendar, &org.policy) {
            if let Some(g) = groups.iter_mut().find(|g| g.code == a.kind.code()) {
                g.items.push(Flagged {
                    row: row(session, &i),
                    reason: lang.pick(&a.zh, &a.en).to_owned(),
                });
            }
        }
    }
    let t = MonitorPage {
        chrome: Chrome::new(Some(session), &org.calendar, "/monitor", now),
        groups,
    };
    Ok(page(StatusCode::OK, &t))
}

// ----- portals ----------------------------------------------------------------------------

/// A duty on an item, and whose it is.
struct DutyRow {
    row: Row,
    duty: &'static str,
    /// The duty's name in the page's language.
    duty_name: &'static str,
    who: String,
}

fn duties_of(
    session: &Session,
    actor: &Actor,
    i: &ItemSummary,
    s: &TaskState,
    now: DateTime<Utc>,
) -> Vec<DutyRow> {
    let org = &session.org;
    let ctx = Context {
        actor,
        now,
        calendar: &org.calendar,
        policy: &org.policy,
        units: &org.tree,
        parent: None,
    };
    duties(s, &ctx)
        .into_iter()
        .map(|d| DutyRow {
            row: row(session, i),
            duty: d.code(),
            duty_name: i18n::current().name(d),
            who: org
                .people
                .get(&actor.id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
        })
        .collect()
}

fn is_overdue(i: &ItemSummary) -> bool {
    i.light.as_ref().is_some_and(|l| l.code == "light.overdue")
}

#[derive(Template)]
#[template(path = "portal_unit.html")]
struct UnitPortal {
    chrome: Chrome,
    unit: String,
    unit_id: String,
    duties: Vec<DutyRow>,
    overdue_rows: Vec<Row>,
    place: Option<Ranked>,
    /// The published ranking's period, the unit's score and how many units, in words.
    rank_line: String,
    total: u64,
    completion: String,
    dims: Vec<Dim>,
}

async fn unit_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    answer(unit_html(&state, &session, state.clock.now()).await)
}

async fn unit_html(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Response, ApiError> {
    let (true, Some(mine)) = (session.actor.roles.has(Role::UnitHead), session.actor.unit) else {
        return Ok(Redirect::to("/me").into_response());
    };
    let org = &session.org;
    let members: Vec<Actor> = org
        .people
        .values()
        .filter(|p| p.active && p.unit.is_some_and(|u| org.tree.is_within(u, mine)))
        .map(crate::org::actor_of)
        .collect();
    let ours: Vec<(ItemSummary, Arc<TaskState>)> = read::readable(state, session, now)
        .await?
        .into_iter()
        .filter(|(_, s)| s.lead.is_some_and(|l| org.tree.is_within(l.unit, mine)))
        .collect();
    // One row per item and duty, naming every member who holds it (a unit's duty, such as
    // receiving, is every member's at once).
    let mut duty_rows: Vec<DutyRow> = Vec::new();
    for (i, s) in &ours {
        let first = duty_rows.len();
        for m in &members {
            for d in duties_of(session, m, i, s, now) {
                match duty_rows[first..].iter_mut().find(|r| r.duty == d.duty) {
                    Some(r) => {
                        r.who.push('、');
                        r.who.push_str(&d.who);
                    }
                    None => duty_rows.push(d),
                }
            }
        }
    }
    let overdue_rows = ours
        .iter()
        .filter(|(i, _)| is_overdue(i))
        .map(|(i, _)| row(session, i))
        .collect();
    let (period, ranking) = read::published_ranking(state, now).await?;
    // A unit is ranked among its peers: the place and the count are its group's.
    let group = read::RankGroup::of(org, &read::peer_group(org, mine));
    let ranking: Vec<_> = ranking
        .into_iter()
        .filter(|r| r.group.key == group.key)
        .collect();
    let place = ranking.iter().find(|r| r.unit.id == mine).map(|r| Ranked {
        rank: r.rank,
        unit: r.unit.name.clone(),
        score: r.score.clone(),
    });
    let q = StatsQuery {
        unit: Some(mine.to_string()),
        ..StatsQuery::default()
    };
    let s = read::stats_for(state, session, &q, now).await?;
    let t = UnitPortal {
        chrome: Chrome::new(Some(session), &org.calendar, "/unit", now),
        unit: org.unit(mine).map(|u| u.name.clone()).unwrap_or_default(),
        unit_id: mine.to_string(),
        duties: duty_rows,
        overdue_rows,
        rank_line: format!(
            "{} · {}",
            match &place {
                Some(p) => i18n::t_args(
                    "portal-unit-rank",
                    &[
                        ("period", &period),
                        ("score", &p.score),
                        ("units", &ranking.len()),
                    ],
                ),
                None => i18n::t_args(
                    "portal-unit-rank-none",
                    &[("period", &period), ("units", &ranking.len())],
                ),
            },
            i18n::t_args(
                "peers-group-label",
                &[("group", &group.caption(i18n::current()))]
            )
        ),
        place,
        total: s.total,
        completion: percent(s.completion.percent),
        dims: vec![dim(
            "status",
            "stats-by-status",
            "pie",
            &s.by_status,
            s.total,
            &|_| None,
        )],
    };
    Ok(page(StatusCode::OK, &t))
}

/// A date something of mine falls due.
struct Upcoming {
    row: Row,
    date: String,
    what: String,
}

#[derive(Template)]
#[template(path = "portal_me.html")]
struct MePortal {
    chrome: Chrome,
    me: String,
    duties: Vec<DutyRow>,
    followed: Vec<Row>,
    upcoming: Vec<Upcoming>,
    unread: u64,
}

async fn me_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    answer(me_html(&state, &session, state.clock.now()).await)
}

async fn me_html(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Response, ApiError> {
    let org = &session.org;
    let cal = &org.calendar;
    let me = &session.actor;
    let items = read::readable(state, session, now).await?;
    let mut duty_rows = Vec::new();
    let mut followed = Vec::new();
    let mut upcoming: Vec<(DateTime<Utc>, Upcoming)> = Vec::new();
    for (i, s) in &items {
        duty_rows.extend(duties_of(session, me, i, s, now));
        if s.followers.contains(&me.id) {
            followed.push(row(session, i));
        }
        if !concerns(s, me) || !s.status.is_handling() {
            continue;
        }
        if let Some(d) = effective_deadline(s, now, cal).filter(|d| *d >= now) {
            upcoming.push((
                d,
                Upcoming {
                    row: row(session, i),
                    date: cal.due_date(d).to_string(),
                    what: i18n::t("pcal-due"),
                },
            ));
        }
        for m in s
            .milestones
            .iter()
            .filter(|m| m.met.is_none() && m.spec.due >= now)
        {
            upcoming.push((
                m.spec.due,
                Upcoming {
                    row: row(session, i),
                    date: cal.due_date(m.spec.due).to_string(),
                    what: i18n::t_args("pcal-milestone", &[("title", &m.spec.title)]),
                },
            ));
        }
    }
    upcoming.sort_by_key(|(d, u)| (*d, u.row.id.clone()));
    let t = MePortal {
        chrome: Chrome::new(Some(session), cal, "/me", now),
        me: me.id.to_string(),
        duties: duty_rows,
        followed,
        upcoming: upcoming
            .into_iter()
            .take(UPCOMING)
            .map(|(_, u)| u)
            .collect(),
        unread: notifications::unread(state, session).await?,
    };
    Ok(page(StatusCode::OK, &t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_across_years() {
        let d = parse_month("2026-12").unwrap();
        assert_eq!(month_name(add_months(d, 1)), "2027-01");
        assert_eq!(month_name(add_months(d, -12)), "2025-12");
        assert!(parse_month("2026-13").is_none());
        assert!(parse_month("12/2026").is_none());
        assert!(parse_month("-262144-01").is_none());
        assert!(parse_month("262143-12").is_none());
    }
}
