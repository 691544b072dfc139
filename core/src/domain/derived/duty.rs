//! The inbox (待办): what a person is expected to do on an item now.
//!
//! Each duty is asked of the real rules. A duty is listed only when `decide` accepts its
//! command from this person at this moment (probed with plausible inputs: an approval, a far
//! deadline, the progress as it stands), and only when the person is the one *expected* to
//! act, not merely allowed to: the approver whose turn it is, the handler rather than every
//! unit head above the lead unit, the item's own leaders rather than every leader. So the
//! inbox can never list something the rules would refuse. Informational commands (comment,
//! follow, urge, instruct) are never duties.
//!
//! Pure: `ctx.now` is the time the phone's store passes in.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::domain::command::{Command, CommandKind, DispatchOrder, ReportBody};
use crate::domain::decide::{decide, Context};
use crate::domain::model::{Actor, Assignee, ReportId, Role, UserId};
use crate::domain::order::{CallbackAnswers, ContactMethod, Satisfaction};
use crate::domain::state::{ReportStatus, Status, TaskState};

/// Something a person is expected to do on an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 待提交审批: the creator sends a draft that needs registration approval to its
    /// approvers (again, after a return).
    Submit,
    /// 待审批立项: the approver whose turn it is in the registration approval chain.
    ApproveRegistration,
    /// 待交办: the creator dispatches a draft that is ready (approved, or needing no
    /// approval); a declined item is re-dispatched by its creator or a supervisor.
    Dispatch,
    /// 待签收: the lead handler (or, with none named, the lead unit's members) receives a
    /// new dispatch; a participant records their own receipt.
    Receive,
    /// 待办理: the handler (lead handler, the lead unit's members when none is named, or a
    /// sharer) of an item in progress reports progress or completion.
    Handle,
    /// 待审批汇报: the report approver decides a report waiting for approval.
    ApproveReport,
    /// 待复核: the reviewer (the creator unless one was named) accepts or returns a
    /// completion.
    Review,
    /// 待审批延时: the deputy leader in charge (first request) or a main leader (second)
    /// decides a pending extension request.
    DecideExtension,
    /// 待审批暂停: the item's leaders (every leader, if the item names none) decide a
    /// pending suspension request.
    DecideSuspension,
    /// 待审批恢复: the item's leaders (every leader, if the item names none) decide a
    /// pending resumption request.
    DecideResumption,
    /// 待评价: an item leader who has not rated a completed item yet.
    Rate,
    /// 待办结: the creator closes a completed item.
    Close,
    /// 待受理: the office (the order's registrar, or a supervisor) decides whether to accept
    /// a hotline work order.
    AcceptOrder,
    /// 待告知: the order's registrar or first dispatcher tells the caller of the acceptance
    /// decision, or of a 12369 extension, and records it.
    InformCaller,
    /// 待审批承诺件: the order's registrar or first dispatcher decides a committed-deadline
    /// request.
    DecideCommitment,
    /// 待回访: the dispatcher who first dispatched the order calls the caller back about the
    /// unit's reply.
    CallBack,
}

impl Duty {
    /// Every duty, in the order the inbox lists them (the order of the process).
    pub const ALL: [Duty; 16] = [
        Duty::Submit,
        Duty::ApproveRegistration,
        Duty::Dispatch,
        Duty::Receive,
        Duty::Handle,
        Duty::ApproveReport,
        Duty::Review,
        Duty::DecideExtension,
        Duty::DecideSuspension,
        Duty::DecideResumption,
        Duty::Rate,
        Duty::Close,
        Duty::AcceptOrder,
        Duty::InformCaller,
        Duty::DecideCommitment,
        Duty::CallBack,
    ];

    /// Whether it is an approval decision (the "approvals waiting for me" screen, 待审批):
    /// registration, report, extension, suspension and resumption decisions.
    pub fn is_approval(self) -> bool {
        matches!(
            self,
            Duty::ApproveRegistration
                | Duty::ApproveReport
                | Duty::DecideExtension
                | Duty::DecideSuspension
                | Duty::DecideResumption
        )
    }

    /// The command that discharges the duty, which [`duties`] checks the rules accept
    /// ([`Duty::Handle`]: a progress report; a completion report discharges it too).
    pub fn command(self) -> CommandKind {
        match self {
            Duty::Submit => CommandKind::SubmitForApproval,
            Duty::ApproveRegistration => CommandKind::DecideRegistration,
            Duty::Dispatch => CommandKind::Dispatch,
            Duty::Receive => CommandKind::Receive,
            Duty::Handle => CommandKind::ReportProgress,
            Duty::ApproveReport => CommandKind::DecideReport,
            Duty::Review => CommandKind::Review,
            Duty::DecideExtension => CommandKind::DecideExtension,
            Duty::DecideSuspension => CommandKind::DecideSuspension,
            Duty::DecideResumption => CommandKind::DecideResumption,
            Duty::Rate => CommandKind::Rate,
            Duty::Close => CommandKind::Close,
            Duty::AcceptOrder => CommandKind::AcceptOrder,
            Duty::InformCaller => CommandKind::InformCaller,
            Duty::DecideCommitment => CommandKind::DecideCommitment,
            Duty::CallBack => CommandKind::CallBack,
        }
    }
}

/// What the person (`ctx.actor`) must do on this item now, in the order of [`Duty::ALL`].
/// Empty for the system actor and for items that are not live (revoked, closed, archived).
pub fn duties(state: &TaskState, ctx: &Context<'_>) -> Vec<Duty> {
    let actor = ctx.actor;
    if actor.roles.has(Role::System)
        || matches!(
            state.status,
            Status::New | Status::Revoked | Status::Closed | Status::Archived
        )
    {
        return Vec::new();
    }
    Duty::ALL
        .into_iter()
        .filter(|d| expected(*d, state, actor))
        .filter(|d| probe(*d, state, ctx).is_some_and(|c| decide(state, &c, ctx).is_ok()))
        .collect()
}

/// Whether the person is the lead handler, or a member of the lead unit when no handler is
/// named (not the heads of units above, who may act but are not expected to).
pub(crate) fn direct_lead(state: &TaskState, actor: &Actor) -> bool {
    state.lead.is_some_and(|l| is_assignee(l, actor))
}

/// Whether the person is a participant (named, or a member of a participant unit with no
/// person named).
pub(crate) fn participant(state: &TaskState, actor: &Actor) -> bool {
    state.participants.iter().any(|p| is_assignee(*p, actor))
}

/// Whether the person handles the item day to day: [`direct_lead`] or a sharer.
pub(crate) fn handler(state: &TaskState, actor: &Actor) -> bool {
    direct_lead(state, actor) || state.sharers.contains(&actor.id)
}

fn is_assignee(a: Assignee, actor: &Actor) -> bool {
    match a.user {
        Some(user) => user == actor.id,
        None => actor.unit == Some(a.unit),
    }
}

fn item_leaders(state: &TaskState) -> impl Iterator<Item = UserId> {
    [
        state.instructing_leader,
        state.responsible_leader,
        state.deputy_leader,
    ]
    .into_iter()
    .flatten()
}

/// The leaders expected to decide a suspension or resumption: the item's own leaders, or
/// every leader when the item names none.
fn deciding_leader(state: &TaskState, actor: &Actor) -> bool {
    let mut named = item_leaders(state).peekable();
    if named.peek().is_none() {
        actor.roles.is_leader()
    } else {
        named.any(|l| l == actor.id)
    }
}

/// Whether the person is the one expected to act, given what the item says (the rules are
/// asked separately).
fn expected(duty: Duty, s: &TaskState, actor: &Actor) -> bool {
    let me = actor.id;
    let creator = s.creator() == Some(me);
    match duty {
        Duty::Submit => {
            s.status == Status::Draft
                && creator
                && !s.approval.chain.is_empty()
                && !s.approval.approved
        }
        Duty::ApproveRegistration => {
            s.status == Status::AwaitingApproval
                && s.approval.chain.get(s.approval.step as usize) == Some(&me)
        }
        Duty::Dispatch => match s.status {
            Status::Draft => creator && (s.approval.chain.is_empty() || s.approval.approved),
            Status::Declined => creator || actor.roles.has(Role::Supervisor),
            _ => false,
        },
        Duty::Receive => {
            let lead = s.status == Status::Dispatched && direct_lead(s, actor);
            let joins = matches!(s.status, Status::Dispatched | Status::InProgress)
                && participant(s, actor)
                && !s.participants_received.contains(&me);
            lead || joins
        }
        Duty::Handle => {
            s.status == Status::InProgress && handler(s, actor) && s.pending_completion().is_none()
        }
        Duty::ApproveReport => {
            s.report_approver == Some(me)
                && s.reports
                    .iter()
                    .any(|r| r.status == ReportStatus::PendingApproval)
        }
        Duty::Review => s.status == Status::UnderReview && s.effective_reviewer() == Some(me),
        // The rules name the person: the deputy leader in charge, or any deputy leader when
        // the item names none; a main leader for the second request.
        Duty::DecideExtension => s.pending_extension().is_some(),
        Duty::DecideSuspension => s.suspension_request.is_some() && deciding_leader(s, actor),
        Duty::DecideResumption => s.resumption_request.is_some() && deciding_leader(s, actor),
        Duty::Rate => {
            s.status == Status::Completed
                && item_leaders(s).any(|l| l == me)
                && !s.ratings.iter().any(|r| r.mark.by == me)
        }
        Duty::Close => s.status == Status::Completed && creator,
        Duty::AcceptOrder => {
            s.status == Status::Draft
                && s.order.as_ref().is_some_and(|o| o.acceptance.is_none())
                && (creator || actor.roles.has(Role::Supervisor))
        }
        Duty::InformCaller => {
            s.order.as_ref().is_some_and(|o| !o.owed.is_empty()) && order_office(s, actor)
        }
        Duty::DecideCommitment => {
            s.order
                .as_ref()
                .is_some_and(|o| o.pending_commitment().is_some())
                && order_office(s, actor)
        }
        Duty::CallBack => {
            s.status == Status::UnderReview
                && s.order.as_ref().and_then(|o| o.first_dispatcher) == Some(me)
        }
    }
}

/// The people of the hotline office expected to follow an order: whoever dispatched it
/// first, else whoever registered it.
fn order_office(s: &TaskState, actor: &Actor) -> bool {
    let first = s.order.as_ref().and_then(|o| o.first_dispatcher);
    first.or_else(|| s.creator()) == Some(actor.id)
}

/// A report id the item does not use yet (the probe must not collide with a filed report).
fn fresh_report(state: &TaskState) -> ReportId {
    let mut n = u128::MAX;
    while state.report(ReportId::from_u128(n)).is_some() {
        n -= 1;
    }
    ReportId::from_u128(n)
}

/// The command that discharges the duty, with plausible inputs; `None` when there is none
/// to try (no unit to dispatch to, no report waiting).
fn probe(duty: Duty, state: &TaskState, ctx: &Context<'_>) -> Option<Command> {
    Some(match duty {
        Duty::Submit => Command::SubmitForApproval,
        Duty::ApproveRegistration => Command::DecideRegistration {
            approve: true,
            opinion: String::new(),
        },
        Duty::Dispatch => {
            // To the unit it went to before, or the person's own: any known unit will do
            // for asking whether the item may be dispatched now.
            let lead = match state.lead {
                Some(l) if ctx.units.contains(l.unit) => l,
                _ => Assignee {
                    unit: ctx.actor.unit.filter(|u| ctx.units.contains(*u))?,
                    user: None,
                },
            };
            Command::Dispatch(Box::new(DispatchOrder {
                lead,
                participants: Vec::new(),
                responsible_leader: state.responsible_leader,
                deputy_leader: state.deputy_leader,
                reviewer: state.reviewer,
                report_approver: state.report_approver,
                // An order's deadline follows from its line and acceptance.
                deadline: state
                    .order
                    .is_none()
                    .then(|| ctx.now + Duration::days(3650)),
                report_every: None,
            }))
        }
        Duty::Receive => Command::Receive,
        Duty::Handle => Command::ReportProgress {
            report: ReportBody {
                id: fresh_report(state),
                text: "进展情况".into(),
                evidence: Vec::new(),
                values: Default::default(),
            },
            percent: state.progress.min(100),
            milestone: None,
            answers: None,
        },
        Duty::ApproveReport => {
            let report = state
                .reports
                .iter()
                .find(|r| r.status == ReportStatus::PendingApproval)?
                .id;
            Command::DecideReport {
                report,
                approve: true,
                opinion: String::new(),
            }
        }
        Duty::Review => Command::Review {
            accept: true,
            opinion: String::new(),
            new_deadline: None,
        },
        Duty::DecideExtension => Command::DecideExtension {
            approve: true,
            opinion: String::new(),
        },
        Duty::DecideSuspension => Command::DecideSuspension {
            approve: true,
            opinion: String::new(),
        },
        Duty::DecideResumption => Command::DecideResumption {
            approve: true,
            opinion: String::new(),
        },
        Duty::Rate => Command::Rate {
            stars: 5,
            opinion: String::new(),
        },
        Duty::Close => Command::Close,
        Duty::AcceptOrder => Command::AcceptOrder {
            note: String::new(),
        },
        Duty::InformCaller => Command::InformCaller {
            about: *state.order.as_ref()?.owed.first()?,
            method: ContactMethod::Phone,
            told_at: ctx.now,
            note: String::new(),
        },
        Duty::DecideCommitment => Command::DecideCommitment {
            approve: true,
            opinion: String::new(),
        },
        Duty::CallBack => Command::CallBack {
            answers: CallbackAnswers {
                told_result_and_basis: true,
                factual: true,
                misconduct: false,
                satisfaction: Satisfaction::Satisfied,
            },
            note: String::new(),
        },
    })
}
