//! The statistics (`GET /stats`, the statistics page and its export, R8.4): figures over
//! the items the person may read that the filters select, at the moment of the request;
//! and the names of urgencies and lights that the figures and the pages show.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use duban_core::domain::derived::light_names;
use duban_core::domain::derived::{
    completion_rate, timeliness_light, Colour, CompletionRate, DateRange,
};
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
