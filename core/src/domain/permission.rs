//! Who may do what: decided from the actor's roles, their relation to the item and the unit
//! hierarchy. The server and the phone call these same functions, so a button the phone
//! shows is a command the server accepts.

use super::command::{Command, CommandKind};
use super::model::{Actor, Role, UnitTree, Visibility};
use super::rejection::Rejection;
use super::state::TaskState;

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

/// Whether the actor may read the item (R11.2).
pub fn may_view(state: &TaskState, actor: &Actor, units: &UnitTree) -> bool {
    match state.visibility {
        Visibility::Public | Visibility::Internal => true,
        Visibility::Confidential => {
            actor.roles.any(&[
                Role::MainLeader,
                Role::DeputyLeader,
                Role::Supervisor,
                Role::Inspector,
                Role::Admin,
                Role::System,
            ]) || Relation::of(state, actor, units).involved()
        }
    }
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
            if registrar || decomposing {
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
            if nth >= 2 {
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
    }
}
