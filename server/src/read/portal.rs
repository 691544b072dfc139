//! The leaders' portals (R8.1): what awaits a person's decision — the approvals among the
//! duties the core's rule gives them on each item they may read (the same rule as the
//! phones' inbox: registration and report approvals, extensions, suspensions and
//! resumptions) — and, for a deputy leader, the units they are in charge of, each with its
//! items' lights, and those units' overdue items.

use chrono::{DateTime, Utc};
use duban_core::domain::derived::duty::{duties, Duty};
use duban_core::domain::derived::Colour;
use duban_core::domain::{Context, UnitId};
use serde::Serialize;

use super::items::{load_all, summaries, Filters, ItemSummary, Loaded, UnitRef};
use super::overview::overdue_first;
use super::ReadError;
use crate::auth::Session;
use crate::db::tasks::TaskOrder;
use crate::AppState;

/// A decision waiting for the person: the item and what to decide.
#[derive(Debug, Serialize)]
pub struct Decision {
    /// The item.
    pub item: ItemSummary,
    /// What to decide (an approval duty of the core).
    pub duty: Duty,
}

/// A unit in the deputy leader's charge and its items' lights now.
#[derive(Debug, Serialize)]
pub struct UnitLights {
    /// The unit.
    pub unit: UnitRef,
    /// Items it (or a unit within it) leads, that the person may read.
    pub items: u64,
    /// Green lights.
    pub green: u64,
    /// Yellow lights.
    pub yellow: u64,
    /// Red lights.
    pub red: u64,
    /// Items with no clock running (drafts, completed, closed…).
    pub none: u64,
}

/// A leader's portal.
#[derive(Debug, Serialize)]
pub struct LeaderPortal {
    /// What awaits the person's decision, in the order of the process, oldest item first.
    pub decisions: Vec<Decision>,
    /// The units the person is in charge of (a deputy leader's), in the organisation's order.
    pub units: Vec<UnitLights>,
    /// Those units' overdue items, most overdue first.
    pub overdue: Vec<ItemSummary>,
}

/// The portal of `session`'s person at `now`.
pub async fn leader_portal(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<LeaderPortal, ReadError> {
    let org = session.org.clone();
    let mut tx = state.db.read().await?;
    let items = load_all(
        &mut tx,
        &state.states,
        session,
        &Filters::default(),
        TaskOrder::Updated { desc: false },
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
    let mut waiting: Vec<(Duty, Loaded)> = Vec::new();
    for i in &items {
        for d in duties(&i.state, &ctx) {
            if d.is_approval() {
                waiting.push((d, i.clone()));
            }
        }
    }
    waiting.sort_by_key(|(d, _)| Duty::ALL.iter().position(|x| x == d));
    let loaded: Vec<Loaded> = waiting.iter().map(|(_, i)| i.clone()).collect();
    let decisions = summaries(&mut tx, &org, &loaded, now)
        .await?
        .into_iter()
        .zip(waiting.iter().map(|(d, _)| *d))
        .map(|(item, duty)| Decision { item, duty })
        .collect();

    let in_charge: Vec<UnitId> = org
        .people
        .get(&session.actor.id)
        .map(|p| p.in_charge.clone())
        .unwrap_or_default();
    let within =
        |lead: Option<UnitId>, unit: UnitId| lead.is_some_and(|l| org.tree.is_within(l, unit));
    let theirs: Vec<Loaded> = items
        .iter()
        .filter(|i| {
            in_charge
                .iter()
                .any(|u| within(i.state.lead.map(|l| l.unit), *u))
        })
        .cloned()
        .collect();
    let summed = summaries(&mut tx, &org, &theirs, now).await?;
    let units = in_charge
        .iter()
        .map(|u| {
            let mut lights = UnitLights {
                unit: UnitRef {
                    id: *u,
                    name: org.unit(*u).map(|x| x.name.clone()).unwrap_or_default(),
                    name_en: org.unit(*u).map(|x| x.name_en.clone()).unwrap_or_default(),
                },
                items: 0,
                green: 0,
                yellow: 0,
                red: 0,
                none: 0,
            };
            for (i, s) in theirs.iter().zip(&summed) {
                if !within(i.state.lead.map(|l| l.unit), *u) {
                    continue;
                }
                lights.items += 1;
                match s.light.as_ref().map(|l| l.colour) {
                    Some(Colour::Green) => lights.green += 1,
                    Some(Colour::Yellow) => lights.yellow += 1,
                    Some(Colour::Red) => lights.red += 1,
                    None => lights.none += 1,
                }
            }
            lights
        })
        .collect();
    let overdue = overdue_first(&org, &theirs, now);
    Ok(LeaderPortal {
        decisions,
        units,
        overdue: summaries(&mut tx, &org, &overdue, now).await?,
    })
}
