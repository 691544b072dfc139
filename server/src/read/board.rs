//! The public board (督办网, R9.3): what anyone may read without signing in — the items
//! marked public, with no person named, the units' progress on them and the published unit
//! ranking.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use duban_core::domain::derived::{own_progress, timeliness_light, Colour};
use duban_core::domain::model::{Urgency, Visibility};
use duban_core::domain::Code;
use duban_core::domain::{effective_deadline, Status, TaskState, UnitId};
use serde::Serialize;

use super::items::{load_every, load_rows, overdue_light, unit_ref, Loaded, UnitRef};
use super::overview::{ranking_of, RankRow};
use super::ReadError;
use crate::db::tasks;
use crate::AppState;

/// A public item as the public board shows it (R9.3): no person named.
#[derive(Debug, Serialize)]
pub struct BoardItem {
    /// Number as printed.
    pub number: String,
    /// Title.
    pub title: String,
    /// Category name (zh-CN).
    pub category_zh: String,
    /// Category name (English).
    pub category_en: String,
    /// The lead unit's name; empty before dispatch.
    pub lead_unit: String,
    /// Status name (zh-CN).
    pub status_zh: &'static str,
    /// Status name (English).
    pub status_en: &'static str,
    /// The local day the item falls due (the deadline in force).
    pub due: Option<NaiveDate>,
    /// The timeliness light's colour now.
    pub colour: Option<Colour>,
    /// The light's reason (zh-CN).
    pub light_zh: String,
    /// The light's reason (English).
    pub light_en: String,
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
pub async fn public_board(state: &AppState, now: DateTime<Utc>) -> Result<Board, ReadError> {
    let org = state.org.latest(&state.db).await?;
    let cal = &org.calendar;
    let mut tx = state.db.read().await?;
    let public = tasks::public_heads(&mut tx).await?;
    let public = load_rows(&mut tx, &state.states, public).await?;
    let all = load_every(&mut tx, &state.states).await?;
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
        let category = org.policy.category(&s.category);
        items.push(BoardItem {
            number: s
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            title: s.title.clone(),
            category_zh: category.map(|c| c.name_zh.clone()).unwrap_or_default(),
            category_en: category.map(|c| c.name_en.clone()).unwrap_or_default(),
            lead_unit: s
                .lead
                .and_then(|l| org.unit(l.unit))
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            status_zh: s.status.zh(),
            status_en: s.status.en(),
            due: effective_deadline(s, now, cal).map(|d| cal.due_date(d)),
            colour: light.as_ref().map(|l| l.colour),
            light_zh: light.as_ref().map(|l| l.zh.clone()).unwrap_or_default(),
            light_en: light.map(|l| l.en).unwrap_or_default(),
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
        organisation: org.name(),
        items,
        units,
        period,
        ranking,
    })
}
