//! The acts on offer: which acts a person may take on an item now, found by trying
//! [`decide`] with a sample of each act (as the server's item page finds which forms to
//! show). A screen shows a button for an act on offer and none for the others; the shells
//! never choose from roles. A sample carries plausible input (a text, a later deadline on the
//! hour, a well-formed file reference), so that only the rules about who and when refuse it.
//! [`urged_lately`] says when a second urging should first be confirmed (the policy's
//! `urge_interval_hours`).

use chrono::{DateTime, Duration, Timelike, Utc};
use uuid::Uuid;

use super::command::{Command, CommandKind, Registration, ReportBody, SubtaskSpec, UrgeChannel};
use super::decide::{decide, effective_deadline, Context};
use super::derived::duty::Duty;
use super::model::{Actor, Assignee, BlobRef, NoteId, ReportId, TaskNumber, UnitTree};
use super::order::{compose_reply, CallbackAnswers, ContactMethod, NonAcceptance, Satisfaction};
use super::permission::authorize;
use super::policy::Policy;
use super::state::{ReportStatus, TaskState};
use super::{TaskId, UserId};

/// The acts offered on an item, in the order a screen lists them. The phones show a button
/// for those they know (the bindings' `Act`) and leave the office's (share, unshare, urge,
/// close, revoke) to the browser's item page, which offers every one.
pub const OFFERED: [CommandKind; 35] = [
    CommandKind::Receive,
    CommandKind::Decline,
    CommandKind::ReportProgress,
    CommandKind::ReportCompletion,
    CommandKind::DecideReport,
    CommandKind::Review,
    CommandKind::Rate,
    CommandKind::DecideRegistration,
    CommandKind::DecideExtension,
    CommandKind::DecideSuspension,
    CommandKind::DecideResumption,
    CommandKind::RequestExtension,
    CommandKind::RequestSuspension,
    CommandKind::RequestResumption,
    CommandKind::Decompose,
    CommandKind::Share,
    CommandKind::Unshare,
    CommandKind::Urge,
    CommandKind::Escalate,
    CommandKind::Instruct,
    CommandKind::Comment,
    CommandKind::Close,
    CommandKind::Revoke,
    CommandKind::Archive,
    CommandKind::Follow,
    CommandKind::Unfollow,
    CommandKind::AcceptOrder,
    CommandKind::RefuseOrder,
    CommandKind::InformCaller,
    CommandKind::ReturnOrder,
    CommandKind::RequestCommitment,
    CommandKind::DecideCommitment,
    CommandKind::CallBack,
    CommandKind::ReopenOrder,
    CommandKind::MarkTypical,
];

/// When the item was last urged, if that was less than the policy's interval
/// (`urge_interval_hours`) before `now`: a second urging then asks the person to confirm.
pub fn urged_lately(
    state: &TaskState,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Option<DateTime<Utc>> {
    let last = state.urges.iter().map(|u| u.mark.at).max()?;
    (now - last < Duration::hours(i64::from(policy.urge_interval_hours))).then_some(last)
}

/// The acts of [`OFFERED`] that `ctx.actor` may take on the item now: those for which
/// [`decide`] accepts a sample.
pub fn acts_on_offer(state: &TaskState, ctx: &Context<'_>) -> Vec<CommandKind> {
    OFFERED
        .into_iter()
        .filter(|k| {
            samples(*k, state, ctx)
                .iter()
                .any(|c| decide(state, c, ctx).is_ok())
        })
        .collect()
}

/// The act that answers a duty (handling: a progress report).
pub fn act_for(duty: Duty) -> CommandKind {
    match duty {
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

/// Whether `actor` may register new items (立项) at all: the permission rule for a
/// registration, before its content is checked.
pub fn may_register(actor: &Actor, units: &UnitTree) -> bool {
    let sample = Registration {
        category: String::new(),
        number: TaskNumber {
            prefix: String::new(),
            year: 2000,
            seq: 1,
        },
        title: String::new(),
        content: String::new(),
        source: Default::default(),
        urgency: Default::default(),
        visibility: Default::default(),
        deadline: None,
        attributes: Default::default(),
        attachments: Vec::new(),
        milestones: Vec::new(),
        instructing_leader: None,
        approval_chain: Vec::new(),
        recurrence: None,
        parent: None,
        batch: None,
        order: None,
    };
    authorize(
        &TaskState::default(),
        &Command::Register(Box::new(sample)),
        actor,
        units,
    )
    .is_ok()
}

/// The commands tried for an act: one for most, one per candidate where the act names
/// something (a report waiting for approval, a unit to lead a sub-item).
fn samples(kind: CommandKind, state: &TaskState, ctx: &Context<'_>) -> Vec<Command> {
    const WORDS: &str = "—";
    let opinion = || WORDS.to_owned();
    // Ids no real act uses: the nil uuid's neighbours.
    let note = NoteId(Uuid::from_u128(1));
    // A work order's reply is written in the office's template.
    let text = if state.order.is_some() {
        let sections = &ctx.policy.hotline.reply_sections;
        compose_reply(sections, &vec![WORDS.to_owned(); sections.len()])
    } else {
        WORDS.to_owned()
    };
    let report = |evidence: Vec<BlobRef>| ReportBody {
        id: ReportId(Uuid::from_u128(1)),
        text: text.clone(),
        evidence,
        values: Default::default(),
    };
    let on_the_hour_after = |t: DateTime<Utc>| {
        let local = ctx.calendar.to_local(t + Duration::days(1));
        local
            .with_minute(0)
            .and_then(|l| l.with_second(0))
            .and_then(|l| l.with_nanosecond(0))
            .map_or(t, |l| ctx.calendar.from_local(l))
    };
    match kind {
        CommandKind::Receive => vec![Command::Receive],
        CommandKind::Decline => vec![Command::Decline { reason: opinion() }],
        CommandKind::ReportProgress => vec![Command::ReportProgress {
            report: report(Vec::new()),
            percent: state.progress,
            milestone: None,
            answers: None,
        }],
        CommandKind::ReportCompletion => vec![Command::ReportCompletion {
            report: report(vec![BlobRef::file(
                "0".repeat(64),
                "image/jpeg",
                1,
                "sample.jpg",
            )]),
        }],
        CommandKind::DecideReport => state
            .reports
            .iter()
            .filter(|r| r.status == ReportStatus::PendingApproval)
            .map(|r| Command::DecideReport {
                report: r.id,
                approve: true,
                opinion: opinion(),
            })
            .collect(),
        CommandKind::Review => vec![Command::Review {
            accept: true,
            opinion: opinion(),
            new_deadline: None,
        }],
        CommandKind::Rate => vec![Command::Rate {
            stars: 5,
            opinion: opinion(),
        }],
        CommandKind::DecideRegistration => vec![Command::DecideRegistration {
            approve: true,
            opinion: opinion(),
        }],
        CommandKind::DecideExtension => vec![Command::DecideExtension {
            approve: true,
            opinion: opinion(),
        }],
        CommandKind::DecideSuspension => vec![Command::DecideSuspension {
            approve: true,
            opinion: opinion(),
        }],
        CommandKind::DecideResumption => vec![Command::DecideResumption {
            approve: true,
            opinion: opinion(),
        }],
        CommandKind::RequestExtension => {
            // A day after the deadline in force, on the hour by the organisation's clock.
            let deadline = effective_deadline(state, ctx.now, ctx.calendar).unwrap_or(ctx.now);
            vec![Command::RequestExtension {
                until: on_the_hour_after(deadline),
                reason: opinion(),
            }]
        }
        CommandKind::RequestSuspension => vec![Command::RequestSuspension { reason: opinion() }],
        CommandKind::RequestResumption => vec![Command::RequestResumption { reason: opinion() }],
        CommandKind::Decompose => state
            .lead
            .as_ref()
            .map(|a| a.unit)
            .into_iter()
            .chain(ctx.actor.unit)
            .map(|unit| {
                Command::Decompose(Box::new(SubtaskSpec {
                    child: TaskId(Uuid::from_u128(1)),
                    number: TaskNumber {
                        prefix: String::new(),
                        year: 2000,
                        seq: 1,
                    },
                    title: WORDS.to_owned(),
                    content: String::new(),
                    lead: Assignee { unit, user: None },
                    deadline: None,
                }))
            })
            .collect(),
        CommandKind::Share => {
            // Someone not handling it yet (the rule refuses sharing with a handler).
            let lead_user = state.lead.and_then(|l| l.user);
            (2..u128::from(u8::MAX))
                .map(|n| UserId(Uuid::from_u128(n)))
                .find(|u| !state.sharers.contains(u) && Some(*u) != lead_user)
                .map(|someone| Command::Share {
                    with: vec![someone],
                })
                .into_iter()
                .collect()
        }
        CommandKind::Unshare => state
            .sharers
            .iter()
            .map(|u| Command::Unshare { with: vec![*u] })
            .collect(),
        CommandKind::Urge => vec![Command::Urge {
            channel: UrgeChannel::Message,
            note: WORDS.to_owned(),
            call: None,
        }],
        CommandKind::Escalate => vec![Command::Escalate { reason: opinion() }],
        CommandKind::Close => vec![Command::Close],
        CommandKind::Archive => vec![Command::Archive],
        CommandKind::Revoke => vec![Command::Revoke { reason: opinion() }],
        CommandKind::Instruct => vec![Command::Instruct {
            id: note,
            text: WORDS.to_owned(),
        }],
        CommandKind::Comment => vec![Command::Comment {
            id: note,
            text: WORDS.to_owned(),
            reply_to: None,
        }],
        CommandKind::Follow => vec![Command::Follow],
        CommandKind::Unfollow => vec![Command::Unfollow],
        CommandKind::AcceptOrder => vec![Command::AcceptOrder { note: opinion() }],
        CommandKind::RefuseOrder => vec![Command::RefuseOrder {
            reason: NonAcceptance::ContestedReply,
            note: opinion(),
        }],
        CommandKind::InformCaller => state
            .order
            .iter()
            .flat_map(|o| o.owed.iter())
            .map(|about| Command::InformCaller {
                about: *about,
                method: ContactMethod::Phone,
                told_at: ctx.now,
                note: opinion(),
            })
            .collect(),
        CommandKind::ReturnOrder => vec![Command::ReturnOrder { reason: opinion() }],
        CommandKind::RequestCommitment => {
            let deadline = effective_deadline(state, ctx.now, ctx.calendar).unwrap_or(ctx.now);
            vec![Command::RequestCommitment {
                until: on_the_hour_after(deadline.max(ctx.now)),
                reason: opinion(),
            }]
        }
        CommandKind::DecideCommitment => vec![Command::DecideCommitment {
            approve: true,
            opinion: opinion(),
        }],
        CommandKind::CallBack => vec![Command::CallBack {
            answers: CallbackAnswers {
                told_result_and_basis: true,
                factual: true,
                misconduct: false,
                satisfaction: Satisfaction::Satisfied,
            },
            note: opinion(),
        }],
        CommandKind::ReopenOrder => vec![Command::ReopenOrder { reason: opinion() }],
        CommandKind::MarkTypical => state
            .order
            .iter()
            .map(|o| Command::MarkTypical {
                typical: o.typical.is_none(),
            })
            .collect(),
        _ => Vec::new(),
    }
}
