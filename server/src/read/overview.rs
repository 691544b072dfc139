//! The leader's overview (领导总览, R8.1): the figures of the statistics over every item the
//! person may read, the overdue and escalated items, and this month's unit ranking (R6.5),
//! which the public board publishes too.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Utc};
use duban_core::domain::derived::peers::{peer_group_of, rank_by_group, GroupRanking, PeerGroup};
use duban_core::domain::derived::score::{unit_scores, UnitScore};
use duban_core::domain::derived::{timeliness_light, DateRange};
use duban_core::domain::{effective_deadline, TaskId, TaskState, UnitId};
use serde::Serialize;

use super::items::{
    load_all, load_every, overdue_light, summaries, unit_ref, Filters, ItemSummary, Loaded, UnitRef,
};
use super::stats::{compute_stats, Stats};
use super::ReadError;
use crate::auth::Session;
use crate::db::tasks::TaskOrder;
use crate::org::Org;
use crate::AppState;

/// The items overdue and not reported, most overdue first (then by id).
pub(super) fn overdue_first(org: &Org, items: &[Loaded], now: DateTime<Utc>) -> Vec<Loaded> {
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
    /// The peer group the unit is ranked in; `rank` counts within it.
    pub group: RankGroup,
}

/// A peer group as rankings show it (docs/domain.md, "Peer groups").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RankGroup {
    /// Stable: `default`, `named:<name>` or `sub_units:<parent id>`.
    pub key: String,
    /// `default` (the root's direct children without a group), `named` or `sub_units`.
    pub kind: &'static str,
    /// The group's name (`named`) or the parent unit's name (`sub_units`); empty for
    /// `default`. Data, shown as entered.
    pub name: String,
}

impl RankGroup {
    /// The group `group` of `org`.
    pub fn of(org: &Org, group: &PeerGroup) -> RankGroup {
        match group {
            PeerGroup::Default => RankGroup {
                key: "default".into(),
                kind: "default",
                name: String::new(),
            },
            PeerGroup::Named(n) => RankGroup {
                key: format!("named:{n}"),
                kind: "named",
                name: n.clone(),
            },
            PeerGroup::SubUnitsOf(parent) => RankGroup {
                key: format!("sub_units:{parent}"),
                kind: "sub_units",
                name: org
                    .unit(*parent)
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
            },
        }
    }

    /// The group's caption in `lang`: its own name, "<parent>下属单位", or the default
    /// group's name from the catalog.
    pub fn caption(&self, lang: crate::i18n::Lang) -> String {
        match self.kind {
            "named" => self.name.clone(),
            "sub_units" => lang.t_args("peers-sub-units", &[("parent", &self.name)]),
            _ => lang.t("peers-default-group"),
        }
    }
}

/// The peer group of `unit` in `org` (its `peer_group`, else its parent's sub-units, else
/// the default group).
pub(crate) fn peer_group(org: &Org, unit: UnitId) -> PeerGroup {
    let named = org.unit(unit).map_or("", |u| u.peer_group.as_str());
    peer_group_of(&org.tree, unit, named)
}

/// `scores` ranked within their peer groups, groups in the organisation's order.
pub(crate) fn ranked_groups(org: &Org, scores: &[UnitScore]) -> Vec<GroupRanking> {
    rank_by_group(scores, |u| peer_group(org, u))
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
) -> Result<Overview, ReadError> {
    let org = session.org.clone();
    let f = Filters::default();
    let mut tx = state.db.read().await?;
    let items = load_all(
        &mut tx,
        &state.states,
        session,
        &f,
        TaskOrder::RecentFirst,
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
/// an item falling due in it, by score (R6.5), ranked within their peer groups (group after
/// group, each best first); and the month's name, e.g. `2026-12`.
pub(super) fn ranking_of(
    org: &Org,
    items: &[Loaded],
    now: DateTime<Utc>,
) -> Result<(String, Vec<RankRow>), ReadError> {
    let cal = &org.calendar;
    let today = cal.to_local(now).date();
    let period = DateRange::month(today.year(), today.month())
        .ok_or_else(|| ReadError::Internal("the month of today is not a period".into()))?;
    let scores = period_scores(org, items.iter().map(|i| (i.id, &*i.state)), period, now);
    let ranking = ranked_groups(org, &scores)
        .into_iter()
        .flat_map(|g| {
            let group = RankGroup::of(org, &g.group);
            g.ranked.into_iter().map(move |r| (group.clone(), r))
        })
        .map(|(group, r)| RankRow {
            rank: r.rank,
            unit: unit_ref(org, r.unit),
            score: r.score.to_string(),
            items: scores
                .iter()
                .find(|s| s.unit == r.unit)
                .map_or(0, |s| s.items.len()),
            group,
        })
        .collect();
    Ok((format!("{:04}-{:02}", today.year(), today.month()), ranking))
}

/// This month's published unit ranking over every item, as the public board shows it
/// (rank, unit and score): the month's name and the rows.
pub(crate) async fn published_ranking(
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<(String, Vec<RankRow>), ReadError> {
    let org = state.org.latest(&state.db).await?;
    let mut tx = state.db.read().await?;
    let all = load_every(&mut tx, &state.states).await?;
    drop(tx);
    ranking_of(&org, &all, now)
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
