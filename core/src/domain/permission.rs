//! Who may do what: decided from the actor's roles, their relation to the item and the unit
//! hierarchy. The server and the phone call these same functions, so a button the phone
//! shows is a command the server accepts.
//!
//! Who may *read* an item is a set of [`AudienceKey`]s ([`audience`]); a person holds the
//! keys [`actor_keys`] lists, and may read the item when the two sets meet ([`may_view`]).
//! The server stores an item's keys beside it and filters its queries and change feed in
//! SQL with the reader's keys; the rule is the same as here because it is these keys. The
//! category's confidential attributes (e.g. a hotline caller's name and phone) have a
//! narrower set of their own ([`confidential_audience`], [`may_see_confidential`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use super::command::{Command, CommandKind, Registration};
use super::decide::{parent_of, Context};
use super::model::{Actor, Role, Roles, UnitId, UnitTree, UserId, Visibility};
use super::policy::Policy;
use super::rejection::Rejection;
use super::state::{Status, TaskState};

/// How an actor stands to an item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relation {
    /// Registered it.
    pub creator: bool,
    /// Is the lead handler, a member of a lead unit with no named handler, or heads the
    /// lead unit or a unit above it.
    pub lead_owner: bool,
    /// Was given a share (共享).
    pub sharer: bool,
    /// Is a participant (协办).
    pub participant: bool,
    /// Is the item's instructing, responsible or deputy leader.
    pub item_leader: bool,
    /// Reviews the completion.
    pub reviewer: bool,
    /// Approves reports.
    pub report_approver: bool,
    /// Is in the registration approval chain.
    pub approver: bool,
    /// Follows the item.
    pub follower: bool,
}

impl Relation {
    /// Works out the relation.
    pub fn of(state: &TaskState, actor: &Actor, units: &UnitTree) -> Relation {
        let id = actor.id;
        let lead_owner = state.lead.is_some_and(|lead| {
            lead.user == Some(id)
                || (lead.user.is_none() && actor.unit == Some(lead.unit))
                || (actor.roles.has(Role::UnitHead)
                    && actor.unit.is_some_and(|u| units.is_within(lead.unit, u)))
        });
        let participant = state
            .participants
            .iter()
            .any(|p| p.user == Some(id) || (p.user.is_none() && actor.unit == Some(p.unit)));
        Relation {
            creator: state.creator() == Some(id),
            lead_owner,
            sharer: state.sharers.contains(&id),
            participant,
            item_leader: [
                state.instructing_leader,
                state.responsible_leader,
                state.deputy_leader,
            ]
            .contains(&Some(id)),
            reviewer: state.effective_reviewer() == Some(id),
            report_approver: state.report_approver == Some(id),
            approver: state.approval.chain.contains(&id),
            follower: state.followers.contains(&id),
        }
    }

    /// Handles the item: lead owner or sharer.
    pub fn handles(&self) -> bool {
        self.lead_owner || self.sharer
    }

    /// Has any part in the item.
    pub fn involved(&self) -> bool {
        self.creator
            || self.lead_owner
            || self.sharer
            || self.participant
            || self.item_leader
            || self.reviewer
            || self.report_approver
            || self.approver
    }
}

fn office(actor: &Actor) -> bool {
    actor.roles.any(&[Role::Supervisor, Role::Admin])
}

/// One key of an item's audience: a group of people named so that a database can match
/// it. A person belongs to the groups [`actor_keys`] lists.
///
/// Printed and parsed ([`fmt::Display`], [`FromStr`]) as stable strings the server stores:
/// `everyone`, `role:<role>` (the role's serde name, e.g. `role:main_leader`),
/// `user:<uuid>`, `unit:<uuid>`, `head:<uuid>` (uuids hyphenated, lower case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudienceKey {
    /// Everyone in the organisation.
    Everyone,
    /// Everyone who holds the role.
    Role(Role),
    /// One person.
    User(UserId),
    /// The members (any role) whose own unit is exactly this one; not those of units below.
    Unit(UnitId),
    /// The unit heads ([`Role::UnitHead`]) whose own unit is exactly this one.
    Head(UnitId),
}

fn role_code(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::MainLeader => "main_leader",
        Role::DeputyLeader => "deputy_leader",
        Role::Supervisor => "supervisor",
        Role::Inspector => "inspector",
        Role::UnitHead => "unit_head",
        Role::Staff => "staff",
        Role::System => "system",
    }
}

impl fmt::Display for AudienceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudienceKey::Everyone => f.write_str("everyone"),
            AudienceKey::Role(r) => write!(f, "role:{}", role_code(*r)),
            AudienceKey::User(u) => write!(f, "user:{u}"),
            AudienceKey::Unit(u) => write!(f, "unit:{u}"),
            AudienceKey::Head(u) => write!(f, "head:{u}"),
        }
    }
}

/// A string that is not an audience key in its printed form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("不是有效的受众键 / not an audience key")]
pub struct ParseAudienceKeyError;

impl FromStr for AudienceKey {
    type Err = ParseAudienceKeyError;

    /// Parses the printed form. Only the exact form [`fmt::Display`] prints is accepted
    /// (no upper-case or brace-wrapped uuids), so a stored key has one spelling.
    fn from_str(s: &str) -> Result<AudienceKey, ParseAudienceKeyError> {
        let key = if s == "everyone" {
            AudienceKey::Everyone
        } else {
            let (kind, value) = s.split_once(':').ok_or(ParseAudienceKeyError)?;
            let uuid = || Uuid::try_parse(value).map_err(|_| ParseAudienceKeyError);
            match kind {
                "role" => AudienceKey::Role(
                    Role::ALL
                        .into_iter()
                        .find(|r| role_code(*r) == value)
                        .ok_or(ParseAudienceKeyError)?,
                ),
                "user" => AudienceKey::User(UserId(uuid()?)),
                "unit" => AudienceKey::Unit(UnitId(uuid()?)),
                "head" => AudienceKey::Head(UnitId(uuid()?)),
                _ => return Err(ParseAudienceKeyError),
            }
        };
        if key.to_string() == s {
            Ok(key)
        } else {
            Err(ParseAudienceKeyError)
        }
    }
}

/// The keys a person holds: [`AudienceKey::Everyone`], a [`AudienceKey::Role`] per role
/// held, their [`AudienceKey::User`], the [`AudienceKey::Unit`] of their own unit and, if
/// they head it, its [`AudienceKey::Head`].
pub fn actor_keys(actor: &Actor) -> Vec<AudienceKey> {
    let mut keys = vec![AudienceKey::Everyone];
    keys.extend(
        Role::ALL
            .into_iter()
            .filter(|r| actor.roles.has(*r))
            .map(AudienceKey::Role),
    );
    keys.push(AudienceKey::User(actor.id));
    if let Some(unit) = actor.unit {
        keys.push(AudienceKey::Unit(unit));
        if actor.roles.has(Role::UnitHead) {
            keys.push(AudienceKey::Head(unit));
        }
    }
    keys
}

/// Roles that read every item, whatever its visibility.
const READERS: [Role; 6] = [
    Role::MainLeader,
    Role::DeputyLeader,
    Role::Supervisor,
    Role::Inspector,
    Role::Admin,
    Role::System,
];

/// Whether these roles read every item, whatever its visibility and whichever unit handles
/// it (the office, leaders and inspectors): who looks at all units' items side by side.
pub fn reads_every_item(roles: Roles) -> bool {
    roles.any(&READERS)
}

/// Roles that see every item's confidential attributes.
const CONFIDANTS: [Role; 5] = [
    Role::MainLeader,
    Role::Supervisor,
    Role::Admin,
    Role::Inspector,
    Role::System,
];

/// The lead side: the named lead handler, or the lead unit's members when no handler is
/// named; and the heads of the lead unit and of every unit above it. These are the lead
/// owners of [`Relation::of`].
fn lead_side(state: &TaskState, units: &UnitTree, keys: &mut BTreeSet<AudienceKey>) {
    if let Some(lead) = state.lead {
        keys.insert(match lead.user {
            Some(user) => AudienceKey::User(user),
            None => AudienceKey::Unit(lead.unit),
        });
        keys.extend(
            units
                .ancestors(lead.unit)
                .into_iter()
                .map(AudienceKey::Head),
        );
    }
}

/// The item's instructing, responsible and deputy leaders.
fn item_leaders(state: &TaskState) -> impl Iterator<Item = UserId> {
    [
        state.instructing_leader,
        state.responsible_leader,
        state.deputy_leader,
    ]
    .into_iter()
    .flatten()
}

/// Who may read the item (R11.2), as keys:
///
/// - a public item: [`AudienceKey::Everyone`];
/// - any item: main and deputy leaders, supervisors, inspectors, admins and the system (by
///   role), and everyone involved in the sense of [`Relation::involved`] — the creator, the
///   lead owners (the named handler or, with none named, the lead unit's members; the heads
///   of the lead unit and of every unit above it), the sharers, the participants (the named
///   person or, with none named, the participant unit's members), the item's instructing,
///   responsible and deputy leaders, the reviewer, the report approver and the registration
///   approvers;
/// - an internal or public item also: the colleagues — the members of the lead unit and of
///   every participant unit even when a person is named, and the heads of every participant
///   unit and of every unit above one.
///
/// Before dispatch there is no lead and no participant, so only the creator, the approvers,
/// the item's leaders and the roles read a draft (and everyone, if it is public).
pub fn audience(state: &TaskState, units: &UnitTree) -> BTreeSet<AudienceKey> {
    let mut keys = BTreeSet::new();
    if state.visibility == Visibility::Public {
        keys.insert(AudienceKey::Everyone);
    }
    keys.extend(READERS.map(AudienceKey::Role));
    let people = state
        .creator()
        .into_iter()
        .chain(state.sharers.iter().copied())
        .chain(state.participants.iter().filter_map(|p| p.user))
        .chain(item_leaders(state))
        .chain(state.effective_reviewer())
        .chain(state.report_approver)
        .chain(state.approval.chain.iter().copied());
    keys.extend(people.map(AudienceKey::User));
    lead_side(state, units, &mut keys);
    for p in &state.participants {
        if p.user.is_none() {
            keys.insert(AudienceKey::Unit(p.unit));
        }
    }
    if state.visibility != Visibility::Confidential {
        if let Some(lead) = state.lead {
            keys.insert(AudienceKey::Unit(lead.unit));
        }
        for p in &state.participants {
            keys.insert(AudienceKey::Unit(p.unit));
            keys.extend(units.ancestors(p.unit).into_iter().map(AudienceKey::Head));
        }
    }
    keys
}

/// Whether the actor may read the item (R11.2): whether [`audience`] and [`actor_keys`]
/// meet. Only public items are open to everyone; see [`audience`] for the rest.
pub fn may_view(state: &TaskState, actor: &Actor, units: &UnitTree) -> bool {
    meets(&audience(state, units), actor)
}

fn meets(keys: &BTreeSet<AudienceKey>, actor: &Actor) -> bool {
    actor_keys(actor).iter().any(|k| keys.contains(k))
}

/// Who may see the category's confidential attributes of the item (R11.2), as keys: main
/// leaders, supervisors, admins, inspectors and the system (by role); the creator; the lead
/// side (the named lead handler or, with none named, the lead unit's members; the heads of
/// the lead unit and of every unit above it); the sharers; the item's instructing,
/// responsible and deputy leaders; the reviewer. Not the participants, not unit colleagues,
/// not deputy leaders in general, not followers. Always within [`audience`].
pub fn confidential_audience(state: &TaskState, units: &UnitTree) -> BTreeSet<AudienceKey> {
    let mut keys: BTreeSet<AudienceKey> = CONFIDANTS.map(AudienceKey::Role).into();
    let people = state
        .creator()
        .into_iter()
        .chain(state.sharers.iter().copied())
        .chain(item_leaders(state))
        .chain(state.effective_reviewer());
    keys.extend(people.map(AudienceKey::User));
    lead_side(state, units, &mut keys);
    keys
}

/// Whether the actor may see the item's confidential attributes: whether
/// [`confidential_audience`] and [`actor_keys`] meet.
pub fn may_see_confidential(state: &TaskState, actor: &Actor, units: &UnitTree) -> bool {
    meets(&confidential_audience(state, units), actor)
}

/// Takes the category's confidential attributes (`CategoryDef::confidential_attributes`)
/// out of the registration and returns them; the rest stay. Empty if the category is
/// unknown or has none. The server stores what it returns apart, readable by
/// [`confidential_audience`], and keeps only the rest in the `Registered` event of the
/// trail; `decide` must still see the whole registration, since a required attribute may be
/// a confidential one.
pub fn split_confidential(
    registration: &mut Registration,
    policy: &Policy,
) -> BTreeMap<String, String> {
    let Some(category) = policy.category(&registration.category) else {
        return BTreeMap::new();
    };
    category
        .confidential_attributes
        .iter()
        .filter_map(|key| registration.attributes.remove_entry(key))
        .collect()
}

/// Decides whether the actor may issue the command on the item. Status is checked
/// elsewhere; this is about people only.
pub fn authorize(
    state: &TaskState,
    command: &Command,
    actor: &Actor,
    units: &UnitTree,
) -> Result<(), Rejection> {
    let kind = command.kind();
    let rel = Relation::of(state, actor, units);
    let roles = actor.roles;
    let system = roles.has(Role::System);
    let deny = |zh: &str, en: &str| Err(Rejection::denied(kind, zh, en));
    if !system && !may_view(state, actor, units) && kind != CommandKind::Register {
        return deny("有权查阅本事项的人员", "people who may read this item");
    }
    use CommandKind as K;
    match kind {
        K::Register => {
            let registrar = roles.any(&[
                Role::Supervisor,
                Role::Admin,
                Role::MainLeader,
                Role::DeputyLeader,
                Role::Inspector,
                Role::UnitHead,
            ]);
            let decomposing = matches!(command, Command::Register(r) if r.parent.is_some())
                && roles.any(&[Role::Staff]);
            // The city platform's orders are registered by the system as they arrive.
            let posted = system
                && matches!(command, Command::Register(r) if r.order.as_ref().is_some_and(|o| o.channel == crate::domain::order::OrderChannel::Platform));
            if registrar || decomposing || posted {
                Ok(())
            } else {
                deny(
                    "督办员、领导、纪检监察人员或单位负责人",
                    "supervisors, leaders, inspectors or unit heads",
                )
            }
        }
        K::AmendDraft | K::SubmitForApproval | K::Dispatch | K::Close => {
            if rel.creator || roles.has(Role::Supervisor) || (kind != K::Close && office(actor)) {
                Ok(())
            } else {
                deny("立项人或督办员", "the creator or a supervisor")
            }
        }
        K::DecideRegistration => {
            let turn = state.approval.chain.get(state.approval.step as usize);
            if turn == Some(&actor.id) {
                Ok(())
            } else {
                deny("当前审批人", "the approver whose turn it is")
            }
        }
        K::Receive => {
            if rel.lead_owner || rel.participant {
                Ok(())
            } else {
                deny("主办或协办单位人员", "the lead or a participant")
            }
        }
        K::Decline | K::Decompose | K::Share | K::Unshare => {
            if rel.lead_owner {
                Ok(())
            } else {
                deny(
                    "主办人或主办单位负责人",
                    "the lead handler or the lead unit's head",
                )
            }
        }
        K::ReportProgress | K::ReportCompletion | K::RequestExtension | K::RequestSuspension => {
            if rel.handles() {
                Ok(())
            } else {
                deny("主办人或共享办理人", "the lead handler or a sharer")
            }
        }
        K::RequestResumption => {
            if rel.handles() || rel.creator || office(actor) {
                Ok(())
            } else {
                deny(
                    "主办人、立项人或督办员",
                    "the lead handler, the creator or a supervisor",
                )
            }
        }
        K::DecideReport => {
            if rel.report_approver {
                Ok(())
            } else {
                deny("汇报审批人", "the report approver")
            }
        }
        K::Review => {
            if rel.reviewer || rel.creator {
                Ok(())
            } else {
                deny("立项人或验收人", "the creator or the reviewer")
            }
        }
        K::Rate | K::Instruct => {
            if roles.is_leader() || rel.item_leader {
                Ok(())
            } else {
                deny("领导", "leaders")
            }
        }
        K::AdjustScore => {
            if roles.has(Role::Supervisor) {
                Ok(())
            } else {
                deny("督办员", "supervisors")
            }
        }
        K::DecideExtension => {
            let nth = state.pending_extension().map_or(1, |e| e.nth);
            let environment = state
                .order
                .as_ref()
                .is_some_and(|o| o.line() == crate::domain::order::Line::Environment);
            if environment {
                // The 12369 rule: a leader of the office approves the one extension.
                if roles.is_leader() || rel.item_leader {
                    Ok(())
                } else {
                    deny(
                        "领导(12369工单延期)",
                        "a leader (a 12369 order's extension)",
                    )
                }
            } else if nth >= 2 {
                if roles.has(Role::MainLeader) {
                    Ok(())
                } else {
                    deny("主要领导(第二次延时)", "the main leader (second extension)")
                }
            } else {
                let ok = match state.deputy_leader {
                    Some(deputy) => deputy == actor.id,
                    None => roles.has(Role::DeputyLeader),
                };
                if ok {
                    Ok(())
                } else {
                    deny(
                        "分管领导(第一次延时)",
                        "the deputy leader in charge (first extension)",
                    )
                }
            }
        }
        K::DecideSuspension | K::DecideResumption => {
            if roles.is_leader() || rel.item_leader {
                Ok(())
            } else {
                deny("领导", "leaders")
            }
        }
        K::Revoke => {
            if rel.creator || roles.has(Role::Admin) {
                Ok(())
            } else {
                deny("立项人", "the creator")
            }
        }
        K::Archive => {
            if rel.creator || office(actor) {
                Ok(())
            } else {
                deny("立项人或督办员", "the creator or a supervisor")
            }
        }
        K::Urge => {
            if system || rel.creator || rel.item_leader || roles.is_leader() || office(actor) {
                Ok(())
            } else {
                deny("督办员或领导", "supervisors or leaders")
            }
        }
        K::Escalate => {
            if system || roles.is_leader() || roles.has(Role::Supervisor) {
                Ok(())
            } else {
                deny("督办员或领导", "supervisors or leaders")
            }
        }
        K::Comment => {
            if !system
                && (rel.involved()
                    || roles.any(&[
                        Role::MainLeader,
                        Role::DeputyLeader,
                        Role::Supervisor,
                        Role::Inspector,
                    ]))
            {
                Ok(())
            } else {
                deny("事项相关人员", "people involved in the item")
            }
        }
        K::Follow | K::Unfollow => {
            if system {
                deny("有权查阅本事项的人员", "people who may read this item")
            } else {
                Ok(())
            }
        }
        K::RequestReport => {
            if system || rel.creator || roles.has(Role::Supervisor) {
                Ok(())
            } else {
                deny("系统或督办员", "the system or a supervisor")
            }
        }
        K::Remind => {
            if system {
                Ok(())
            } else {
                deny("系统", "the system")
            }
        }
        K::AcceptOrder
        | K::RefuseOrder
        | K::InformCaller
        | K::DecideCommitment
        | K::MarkTypical => {
            if rel.creator || office(actor) {
                Ok(())
            } else {
                deny("热线办督办员", "the hotline office's supervisors")
            }
        }
        K::ReturnOrder => {
            if rel.lead_owner {
                Ok(())
            } else {
                deny(
                    "承办人或承办单位负责人",
                    "the handler or the handling unit's head",
                )
            }
        }
        K::RequestCommitment => {
            if rel.handles() {
                Ok(())
            } else {
                deny("承办人或共享办理人", "the handler or a sharer")
            }
        }
        K::CallBack | K::ReopenOrder => {
            let first = state.order.as_ref().and_then(|o| o.first_dispatcher);
            if first == Some(actor.id) || (kind == K::ReopenOrder && roles.has(Role::Supervisor)) {
                Ok(())
            } else {
                deny(
                    "首次派单的话务员",
                    "the dispatcher who first dispatched the order",
                )
            }
        }
    }
}

/// Roles whose reach is the whole organisation: they may register items and send them to
/// any unit.
const ANYWHERE: [Role; 5] = [
    Role::Supervisor,
    Role::Admin,
    Role::MainLeader,
    Role::DeputyLeader,
    Role::Inspector,
];

/// Whether the actor may name `unit` as an item's lead or participant (派发范围):
///
/// - supervisors, admins, main and deputy leaders and inspectors: any unit;
/// - a unit head: their own unit and every unit below it;
/// - whoever handles ([`Relation::handles`]) the item's `parent`: the parent's lead unit and
///   every unit below it (a sub-item stays within its parent's lead unit, R3.2).
///
/// Nobody else, staff included, reaches any unit. `parent` is the state of the item's
/// parent — for a decomposition, the item decomposed.
pub fn may_assign(
    actor: &Actor,
    units: &UnitTree,
    parent: Option<&TaskState>,
    unit: UnitId,
) -> bool {
    actor.roles.any(&ANYWHERE)
        || (actor.roles.has(Role::UnitHead)
            && actor.unit.is_some_and(|own| units.is_within(unit, own)))
        || parent.is_some_and(|p| {
            Relation::of(p, actor, units).handles()
                && p.lead.is_some_and(|lead| units.is_within(unit, lead.unit))
        })
}

/// The reach rules, decided after [`authorize`] (and, like it, before the input):
///
/// - a Register naming a `parent`: the parent must exist and the actor may read it, else
///   `input.unknown_parent` (the same answer for both); and unless the actor reaches every
///   unit (see [`may_assign`]), they must handle it (`perm.denied`);
/// - a Dispatch (and a re-dispatch after a decline): the lead and every participant unit
///   within the actor's reach ([`may_assign`], with the item's parent), else
///   `perm.out_of_reach`;
/// - a Decompose: the sub-item's lead unit within the actor's reach, the item decomposed
///   being the sub-item's parent.
///
/// The parent's state comes from [`Context::parent`]; one the context does not hold, or
/// holds under another id, counts as unknown.
pub fn authorize_reach(
    state: &TaskState,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<(), Rejection> {
    let (actor, units) = (ctx.actor, ctx.units);
    let parent = parent_of(state, command).and_then(|id| {
        ctx.parent
            .filter(|(held, p)| {
                *held == id
                    && p.status != Status::New
                    && (actor.roles.has(Role::System) || may_view(p, actor, units))
            })
            .map(|(_, p)| p)
    });
    let reach = |unit: UnitId, parent: Option<&TaskState>| {
        if may_assign(actor, units, parent, unit) {
            Ok(())
        } else {
            Err(Rejection::out_of_reach(command.kind()))
        }
    };
    match command {
        Command::Register(r) if r.parent.is_some() => {
            let parent = parent.ok_or_else(Rejection::unknown_parent)?;
            if actor.roles.any(&ANYWHERE) || Relation::of(parent, actor, units).handles() {
                Ok(())
            } else {
                Err(Rejection::denied(
                    CommandKind::Register,
                    "上级事项的主办人或共享办理人(子事项)",
                    "the parent item's lead handler or a sharer (for a sub-item)",
                ))
            }
        }
        Command::Dispatch(order) => std::iter::once(order.lead)
            .chain(order.participants.iter().copied())
            .try_for_each(|a| reach(a.unit, parent)),
        Command::Decompose(spec) => reach(spec.lead.unit, Some(state)),
        _ => Ok(()),
    }
}
