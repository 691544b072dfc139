//! "My items, by view" (R8.2): which of a person's lists an item appears in. Both sides
//! build the views from one rule, [`relations`]: how an item names people and units. The
//! server keeps those pairs as rows beside each item and answers `GET /tasks?view=…` in SQL
//! over them; [`views_of`] reads them from one item's state, so that the phone files every
//! item it rebuilds under exactly the views the server would list it in.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::model::{Actor, Role, UnitId, UnitTree, UserId};
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

/// How an item names a person or a unit: the pairs the views are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// Registered it.
    Creator,
    /// The named instructing leader, or gave an instruction (批示) on it.
    Instructed,
    /// The responsible leader or the deputy leader in charge.
    Responsible,
    /// Reviews its completion (the reviewer set at dispatch, else the creator).
    Reviewer,
    /// Approves its reports.
    ReportApprover,
    /// The lead: the handling unit, and its handler when one is named.
    Lead,
    /// A participant: the unit, and its handler when one is named.
    Participant,
    /// An additional handler (共享).
    Sharer,
    /// Follows it.
    Follower,
    /// On its registration's approval chain.
    Approver,
}

impl Relation {
    /// The stable code, as the server stores it (`report_approver`).
    pub fn code(self) -> &'static str {
        match self {
            Relation::Creator => "creator",
            Relation::Instructed => "instructed",
            Relation::Responsible => "responsible",
            Relation::Reviewer => "reviewer",
            Relation::ReportApprover => "report_approver",
            Relation::Lead => "lead",
            Relation::Participant => "participant",
            Relation::Sharer => "sharer",
            Relation::Follower => "follower",
            Relation::Approver => "approver",
        }
    }
}

/// Whom a [`Relation`] names: a person or a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// A person.
    Person(UserId),
    /// A unit as a whole.
    Unit(UnitId),
}

/// Every (relation, person or unit) pair the item names, the one rule the views are built
/// from: [`views_of`] on the phone, and the rows the server keeps beside each item.
pub fn relations(s: &TaskState) -> BTreeSet<(Relation, Party)> {
    let mut out = BTreeSet::new();
    let mut person = |relation: Relation, user: Option<UserId>| {
        if let Some(u) = user {
            out.insert((relation, Party::Person(u)));
        }
    };
    person(Relation::Creator, s.creator());
    person(Relation::Instructed, s.instructing_leader);
    for u in &s.instructors {
        person(Relation::Instructed, Some(*u));
    }
    person(Relation::Responsible, s.responsible_leader);
    person(Relation::Responsible, s.deputy_leader);
    person(Relation::Reviewer, s.effective_reviewer());
    person(Relation::ReportApprover, s.report_approver);
    if let Some(lead) = s.lead {
        person(Relation::Lead, lead.user);
    }
    for p in &s.participants {
        person(Relation::Participant, p.user);
    }
    for u in &s.sharers {
        person(Relation::Sharer, Some(*u));
    }
    for u in &s.followers {
        person(Relation::Follower, Some(*u));
    }
    for u in &s.approval.chain {
        person(Relation::Approver, Some(*u));
    }
    if let Some(lead) = s.lead {
        out.insert((Relation::Lead, Party::Unit(lead.unit)));
    }
    for p in &s.participants {
        out.insert((Relation::Participant, Party::Unit(p.unit)));
    }
    out
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
    let named = relations(state);
    View::NAMES
        .iter()
        .map(|(_, v)| *v)
        .filter(|v| appears_in(*v, &named, viewer))
        .collect()
}

fn appears_in(view: View, named: &BTreeSet<(Relation, Party)>, viewer: &Viewer<'_>) -> bool {
    let me = Party::Person(viewer.actor.id);
    let mine = viewer.actor.unit.map(Party::Unit);
    let has = |relation: Relation, party: Party| named.contains(&(relation, party));
    match view {
        View::All => true,
        // The named instructing leader, and everyone who gave an instruction on it.
        View::Instructed => has(Relation::Instructed, me),
        View::Responsible => {
            let named_me = has(Relation::Lead, me)
                || has(Relation::Sharer, me)
                || has(Relation::Responsible, me);
            // The lead unit as a whole, when the lead names no person.
            let lead_person = named
                .iter()
                .any(|(r, p)| *r == Relation::Lead && matches!(p, Party::Person(_)));
            let unit = !lead_person && mine.is_some_and(|u| has(Relation::Lead, u));
            named_me || unit
        }
        View::Created => has(Relation::Creator, me),
        View::Department => {
            mine.is_some_and(|u| has(Relation::Lead, u) || has(Relation::Participant, u))
        }
        View::Subordinates => {
            let lead_unit = named.iter().find_map(|(r, p)| match (r, p) {
                (Relation::Lead, Party::Unit(u)) => Some(*u),
                _ => None,
            });
            subordinate(lead_unit, viewer)
        }
        View::Followed => has(Relation::Follower, me),
        View::Shared => has(Relation::Sharer, me),
    }
}

/// Whether an item led by `lead` is led by a unit under the person: every item for a main
/// leader; for a unit head, a known unit strictly below their own; for a deputy leader, a
/// known unit within one they are in charge of.
fn subordinate(lead: Option<UnitId>, viewer: &Viewer<'_>) -> bool {
    let actor = viewer.actor;
    if actor.roles.has(Role::MainLeader) {
        return true;
    }
    let Some(lead) = lead else {
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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::domain::model::{Assignee, Roles};
    use crate::domain::state::Mark;

    fn user(n: u128) -> UserId {
        UserId(Uuid::from_u128(n))
    }

    fn unit(n: u128) -> UnitId {
        UnitId(Uuid::from_u128(0x100 + n))
    }

    #[test]
    fn relations_name_every_person_and_unit_of_the_item_once() {
        let mut s = TaskState {
            created: Some(Mark {
                by: user(1),
                at: Utc::now(),
                seq: 1,
            }),
            instructing_leader: Some(user(2)),
            responsible_leader: Some(user(3)),
            deputy_leader: Some(user(4)),
            report_approver: Some(user(5)),
            lead: Some(Assignee {
                unit: unit(1),
                user: Some(user(6)),
            }),
            participants: vec![
                Assignee {
                    unit: unit(2),
                    user: None,
                },
                Assignee {
                    unit: unit(3),
                    user: Some(user(7)),
                },
            ],
            ..TaskState::default()
        };
        s.instructors.insert(user(8));
        s.instructors.insert(user(2));
        s.sharers.insert(user(9));
        s.followers.insert(user(10));
        s.approval.chain = vec![user(11)];

        let person = |r, n| (r, Party::Person(user(n)));
        let unit_of = |r, n| (r, Party::Unit(unit(n)));
        let expected: BTreeSet<(Relation, Party)> = [
            person(Relation::Creator, 1),
            // No reviewer set: the creator reviews.
            person(Relation::Reviewer, 1),
            person(Relation::Instructed, 2),
            person(Relation::Instructed, 8),
            person(Relation::Responsible, 3),
            person(Relation::Responsible, 4),
            person(Relation::ReportApprover, 5),
            person(Relation::Lead, 6),
            unit_of(Relation::Lead, 1),
            person(Relation::Participant, 7),
            unit_of(Relation::Participant, 2),
            unit_of(Relation::Participant, 3),
            person(Relation::Sharer, 9),
            person(Relation::Follower, 10),
            person(Relation::Approver, 11),
        ]
        .into_iter()
        .collect();
        assert_eq!(relations(&s), expected);

        // A reviewer named at dispatch replaces the creator as reviewer; an empty item names
        // no one.
        s.reviewer = Some(user(12));
        let named = relations(&s);
        assert!(named.contains(&person(Relation::Reviewer, 12)));
        assert!(!named.contains(&person(Relation::Reviewer, 1)));
        assert!(relations(&TaskState::default()).is_empty());
        assert_eq!(Relation::ReportApprover.code(), "report_approver");
    }

    #[test]
    fn the_views_are_read_from_the_relations() {
        let mut s = TaskState {
            created: Some(Mark {
                by: user(1),
                at: Utc::now(),
                seq: 1,
            }),
            lead: Some(Assignee {
                unit: unit(1),
                user: None,
            }),
            ..TaskState::default()
        };
        s.instructors.insert(user(2));
        let mut units = UnitTree::default();
        units.insert(unit(1), None);
        let member = Actor {
            id: user(3),
            unit: Some(unit(1)),
            roles: Roles::of(&[Role::Staff]),
        };
        let instructor = Actor {
            id: user(2),
            unit: None,
            roles: Roles::of(&[Role::MainLeader]),
        };
        let of = |actor: &Actor, s: &TaskState| {
            let viewer = Viewer {
                actor,
                in_charge: &[],
                units: &units,
            };
            let named = relations(s);
            View::NAMES
                .iter()
                .map(|(_, v)| *v)
                .filter(|v| appears_in(*v, &named, &viewer))
                .collect::<Vec<_>>()
        };
        // A member of the lead unit handles it while the lead names no person.
        assert_eq!(
            of(&member, &s),
            vec![View::All, View::Responsible, View::Department]
        );
        assert_eq!(
            of(&instructor, &s),
            vec![View::All, View::Instructed, View::Subordinates]
        );
        s.lead = Some(Assignee {
            unit: unit(1),
            user: Some(user(4)),
        });
        assert_eq!(of(&member, &s), vec![View::All, View::Department]);
    }
}
