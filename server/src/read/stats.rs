//! The statistics (`GET /stats`, the statistics page and its export, R8.4): figures over
//! the items the person may read that the filters select, at the moment of the request;
//! and the names of urgencies and lights that the figures and the pages show.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use duban_core::domain::derived::hotline::{CallFigures, TypicalOrder};
use duban_core::domain::derived::light_names;
use duban_core::domain::derived::{
    completion_rate, timeliness_light, Colour, CompletionRate, DateRange,
};
use duban_core::domain::derived::{hotline_figures, HotlineFigures, OrderFigures};
use duban_core::domain::model::Urgency;
use duban_core::domain::Code;
use duban_core::domain::{Status, UnitId, UserId};
use serde::Serialize;

use super::items::{
    load_all, overdue_light, parse_filters, DateField, Filters, Loaded, StatsQuery,
};
use super::ReadError;
use crate::auth::Session;
use crate::db::tasks::TaskOrder;
use crate::org::Org;
use crate::AppState;

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

pub(super) fn compute_stats(org: &Org, items: &[Loaded], f: &Filters, now: DateTime<Utc>) -> Stats {
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
        .map(|(s, n)| {
            bucket(
                s.code().to_owned(),
                Some(s.zh().into()),
                Some(s.en().into()),
                *n,
            )
        })
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
                let (zh, en) = (u.zh(), u.en());
                bucket(u.code().to_owned(), Some(zh.into()), Some(en.into()), *n)
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
            let (key, zh, en) = light_names(c);
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

/// The figures of `GET /stats` for `q` at `now`: the very numbers the API answers (the
/// statistics page and its export).
pub(crate) async fn stats_for(
    state: &AppState,
    session: &Session,
    q: &StatsQuery,
    now: DateTime<Utc>,
) -> Result<Stats, ReadError> {
    let f = parse_filters(q, &session.org)?;
    let mut tx = state.db.read().await?;
    let items = load_all(&mut tx, &state.states, session, &f, TaskOrder::Id, now).await?;
    drop(tx);
    Ok(compute_stats(&session.org, &items, &f, now))
}

// ----- the hotline's monthly figures ------------------------------------------------------

/// One unit's row of the hotline's monthly figures.
#[derive(Clone, Debug, Serialize)]
pub struct HotlineRow {
    /// The unit.
    pub unit: UnitId,
    /// Its name, as entered (data: the same in every language).
    pub name: String,
    /// Its figures (`duban_core::domain::derived::hotline`).
    pub figures: OrderFigures,
}

/// The hotline's figures of one month (docs/domain.md, "Hotline work orders: the monthly
/// figures"): a row per unit in tree order (units no longer listed last), the total, the
/// calls and the typical orders by number and kind. Never a caller's data nor a reply.
#[derive(Clone, Debug, Serialize)]
pub struct HotlineStats {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Its days.
    pub range: DateRange,
    /// A row per unit with any figure.
    pub rows: Vec<HotlineRow>,
    /// The total.
    pub total: OrderFigures,
    /// Calls taken, accepted and not accepted.
    pub calls: CallFigures,
    /// The month's typical orders.
    pub typical: Vec<TypicalOrder>,
}

/// The figures in the organisation's unit order.
pub(crate) fn hotline_table(org: &Org, month: &str, f: HotlineFigures) -> HotlineStats {
    let range = f.month.unwrap_or(DateRange {
        first: NaiveDate::MIN,
        last: NaiveDate::MIN,
    });
    let mut rows: Vec<HotlineRow> = org
        .units
        .iter()
        .filter_map(|u| {
            f.units
                .iter()
                .find(|(id, _)| *id == u.id)
                .map(|(_, figures)| HotlineRow {
                    unit: u.id,
                    name: u.name.clone(),
                    figures: *figures,
                })
        })
        .collect();
    rows.extend(
        f.units
            .iter()
            .filter(|(id, _)| org.unit(*id).is_none())
            .map(|(id, figures)| HotlineRow {
                unit: *id,
                name: id.to_string(),
                figures: *figures,
            }),
    );
    HotlineStats {
        month: month.to_owned(),
        range,
        rows,
        total: f.total,
        calls: f.calls,
        typical: f.typical,
    }
}

/// The month `YYYY-MM` (a four-digit year): its name and its days.
pub(crate) fn hotline_month(text: &str) -> Option<(String, DateRange)> {
    let (y, m) = text.trim().split_once('-')?;
    let (year, month): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=9999).contains(&year) || y.len() != 4 || m.len() != 2 {
        return None;
    }
    Some((
        format!("{year:04}-{month:02}"),
        DateRange::month(year, month)?,
    ))
}

/// The current month at `now`, in the organisation's time zone.
pub(crate) fn current_month(org: &Org, now: DateTime<Utc>) -> String {
    let today = org.calendar.to_local(now).date();
    format!("{:04}-{:02}", today.year(), today.month())
}

/// The hotline's figures of `month` (`YYYY-MM`) over the orders the person may read.
pub(crate) async fn hotline_for(
    state: &AppState,
    session: &Session,
    month: &str,
    now: DateTime<Utc>,
) -> Result<HotlineStats, ReadError> {
    let Some((name, range)) = hotline_month(month) else {
        return Err(ReadError::BadFilter {
            param: "month",
            zh: "月份格式应为 YYYY-MM".into(),
            en: "a month is YYYY-MM".into(),
        });
    };
    let org = &session.org;
    let items = super::readable(state, session, now).await?;
    let figures = hotline_figures(
        items.iter().map(|(i, s)| (i.id, &**s)),
        range,
        now,
        &org.calendar,
    );
    Ok(hotline_table(org, &name, figures))
}
