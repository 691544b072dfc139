//! "My items, by view" (R8.2): which of a person's lists an item appears in. The server
//! answers `GET /tasks?view=…` in SQL over the rows its authority keeps beside each item;
//! [`views_of`] is the same rule on one item's state, so that the phone files every item it
//! rebuilds under exactly the views the server would list it in.

use serde::{Deserialize, Serialize};

use crate::domain::model::{Actor, Role, UnitId, UnitTree};
use crate::domain::permission::may_view;
use crate::domain::state::TaskState;

/// Which items a person browses (R8.2).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Every item the person may read (全部).
    #[default]
    All,
    /// Items the person instructed on or was named instructing leader of (我批示的).
    Instructed,
    /// Items the person handles: named lead handler, sharer, responsible or deputy leader,
    /// or a member of the lead unit when the lead names no person (我负责的).
    Responsible,
    /// Items the person registered (我创建的).
    Created,
    /// Items whose lead or participant unit is the person's unit (本部门的).
    Department,
    /// Items led by units under the person (下级的): for unit heads the units strictly below
    /// their own; for deputy leaders the units they are in charge of and those below;
    /// for main leaders every item; for anyone else (staff, supervisors, …) none.
    Subordinates,
    /// Items the person follows (我关注的).
    Followed,
    /// Items shared with the person (共享给我的).
    Shared,
}

impl View {
    /// Every view with its name in the query (`?view=…`), in the order the app lists them.
    pub const NAMES: [(&'static str, View); 8] = [
        ("all", View::All),
        ("instructed", View::Instructed),
        ("responsible", View::Responsible),
        ("created", View::Created),
        ("department", View::Department),
        ("subordinates", View::Subordinates),
        ("followed", View::Followed),
        ("shared", View::Shared),
    ];

    /// The view named `s` in the query.
    pub fn parse(s: &str) -> Option<View> {
        View::NAMES
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, v)| *v)
    }

    /// The view's name in the query, e.g. `responsible`.
    pub fn name(self) -> &'static str {
        View::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("all", |(name, _)| *name)
    }

    /// The view's name in Chinese, as the app shows it.
    pub fn name_zh(self) -> &'static str {
        match self {
            View::All => "全部",
            View::Instructed => "我批示的",
            View::Responsible => "我负责的",
            View::Created => "我创建的",
            View::Department => "本部门的",
            View::Subordinates => "下级的",
            View::Followed => "我关注的",
            View::Shared => "共享给我的",
        }
    }

    /// The view's name in English, as the app shows it.
    pub fn name_en(self) -> &'static str {
        match self {
            View::All => "All",
            View::Instructed => "Instructed by me",
            View::Responsible => "My responsibility",
            View::Created => "Created by me",
            View::Department => "My department",
            View::Subordinates => "Subordinate units",
            View::Followed => "Followed",
            View::Shared => "Shared with me",
        }
    }
}

/// The person browsing, with what the views need to know of them.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    /// Who.
    pub actor: &'a Actor,
    /// The units a deputy leader is in charge of (分管); empty for anyone else.
    pub in_charge: &'a [UnitId],
    /// The unit hierarchy.
    pub units: &'a UnitTree,
}

/// Every view the item appears in for this person, in the order of [`View::NAMES`],
/// exactly as the server's SQL decides: empty when the person may not read the item
/// (`permission::may_view`), otherwise always including [`View::All`].
pub fn views_of(state: &TaskState, viewer: &Viewer<'_>) -> Vec<View> {
    if !may_view(state, viewer.actor, viewer.units) {
        return Vec::new();
    }
    View::NAMES
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| appears_in(*v, state, viewer))
        .collect()
}

fn appears_in(view: View, s: &TaskState, viewer: &Viewer<'_>) -> bool {
    let me = viewer.actor.id;
    let mine = viewer.actor.unit;
    match view {
        View::All => true,
        // The named instructing leader, and everyone who gave an instruction on it.
        View::Instructed => s.instructing_leader == Some(me) || s.instructors.contains(&me),
        View::Responsible => {
            let named = s.lead.and_then(|l| l.user) == Some(me)
                || s.sharers.contains(&me)
                || s.responsible_leader == Some(me)
                || s.deputy_leader == Some(me);
            let unit = s
                .lead
                .is_some_and(|l| l.user.is_none() && mine == Some(l.unit));
            named || unit
        }
        View::Created => s.creator() == Some(me),
        View::Department => mine.is_some_and(|u| {
            s.lead.is_some_and(|l| l.unit == u) || s.participants.iter().any(|p| p.unit == u)
        }),
        View::Subordinates => subordinate(s, viewer),
        View::Followed => s.followers.contains(&me),
        View::Shared => s.sharers.contains(&me),
    }
}

/// Whether the item is led by a unit under the person: every item for a main leader; for a
/// unit head, a known unit strictly below their own; for a deputy leader, a known unit
/// within one they are in charge of.
fn subordinate(s: &TaskState, viewer: &Viewer<'_>) -> bool {
    let actor = viewer.actor;
    if actor.roles.has(Role::MainLeader) {
        return true;
    }
    let Some(lead) = s.lead.map(|l| l.unit) else {
        return false;
    };
    let units = viewer.units;
    if !units.contains(lead) {
        return false;
    }
    let below_own = actor.roles.has(Role::UnitHead)
        && actor
            .unit
            .is_some_and(|own| lead != own && units.is_within(lead, own));
    let in_charge = actor.roles.has(Role::DeputyLeader)
        && viewer.in_charge.iter().any(|u| units.is_within(lead, *u));
    below_own || in_charge
}
