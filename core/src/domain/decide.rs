//! `decide(state, command, ctx) -> Result<Vec<Event>, Rejection>`: the rules that accept or
//! refuse a command. Checks run in a fixed order, so that the reason given is the most
//! useful one: existence (an item the actor may not read does not exist for them),
//! read-only states, the status, the person, then the input.

use chrono::{DateTime, Duration, Timelike, Utc};

use super::calendar::Calendar;
use super::command::{Command, CommandKind, DispatchOrder, ReminderKind, ReportBody, UrgeChannel};
use super::event::{Event, EventKind};
use super::model::{
    Actor, BlobRef, MilestoneKind, MilestoneSpec, Recurrence, Role, TaskId, UnitTree, UserId,
};
use super::permission::{authorize, authorize_reach, may_view, Relation};
use super::policy::Policy;
use super::rejection::Rejection;
use super::state::{ReportStatus, Status, TaskState};

mod order;

/// The longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest text (content, report, comment, reason), in characters.
pub const MAX_TEXT: usize = 20_000;
/// The most attachments or evidence files on one event.
pub const MAX_FILES: usize = 50;
/// The most milestones on one item.
pub const MAX_MILESTONES: usize = 100;
/// The most people named in one list (participants, shares, approvers).
pub const MAX_PEOPLE: usize = 200;
/// The most figures a periodic report is asked for (R1.4).
pub const MAX_REPORT_FIELDS: usize = 20;
/// The longest label of a periodic report's figure, in characters.
pub const MAX_FIELD_LABEL: usize = 50;
/// The longest value of a periodic report's figure, in characters.
pub const MAX_FIELD_VALUE: usize = 200;

/// Everything `decide` may consult besides the state: who acts, when, the organisation's
/// calendar, policy and unit tree, and the item's parent.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Who issues the command.
    pub actor: &'a Actor,
    /// Now (UTC).
    pub now: DateTime<Utc>,
    /// The working-day calendar.
    pub calendar: &'a Calendar,
    /// The policy.
    pub policy: &'a Policy,
    /// The unit hierarchy.
    pub units: &'a UnitTree,
    /// The parent item ([`parent_of`]: the one a Register names, or a dispatched item's own)
    /// with its id, as the one deciding holds it; `None` when there is none or they do not hold
    /// it (a phone holds only what its person may read). The reach rules need it
    /// ([`crate::domain::permission::authorize_reach`]); a parent that is missing here, or
    /// that the actor may not read, is refused as an unknown one.
    pub parent: Option<(TaskId, &'a TaskState)>,
}

/// The item whose state a command on `state` needs in [`Context::parent`]: the parent a
/// Register names, or the item's own parent for a Dispatch (a sub-item's dispatch is
/// bounded by it); `None` for every other command, which does not consult it.
pub fn parent_of(state: &TaskState, command: &Command) -> Option<TaskId> {
    match command {
        Command::Register(r) => r.parent,
        Command::Dispatch(_) => state.parent,
        _ => None,
    }
}

/// The statuses in which a command applies (besides Register, which needs a new item, and
/// Archive, which needs a closed or revoked one).
pub fn applies_in(kind: CommandKind) -> &'static [Status] {
    use CommandKind as K;
    use Status as S;
    const LIVE: &[Status] = &[
        S::Draft,
        S::AwaitingApproval,
        S::Dispatched,
        S::Declined,
        S::InProgress,
        S::UnderReview,
        S::Completed,
        S::Suspended,
    ];
    match kind {
        K::Register => &[S::New],
        K::AmendDraft | K::SubmitForApproval => &[S::Draft],
        K::DecideRegistration => &[S::AwaitingApproval],
        K::Dispatch => &[S::Draft, S::Declined],
        K::Receive => &[S::Dispatched, S::InProgress],
        K::Decline => &[S::Dispatched],
        K::Decompose
        | K::Share
        | K::Unshare
        | K::ReportProgress
        | K::ReportCompletion
        | K::RequestExtension
        | K::RequestSuspension
        | K::DecideSuspension => &[S::InProgress],
        K::DecideReport => &[S::InProgress, S::UnderReview],
        K::Review => &[S::UnderReview],
        K::Rate | K::Close => &[S::Completed],
        K::AdjustScore => &[
            S::Dispatched,
            S::Declined,
            S::InProgress,
            S::UnderReview,
            S::Completed,
            S::Suspended,
        ],
        K::DecideExtension => &[S::InProgress, S::UnderReview, S::Suspended],
        K::RequestResumption | K::DecideResumption => &[S::Suspended],
        K::Revoke | K::Instruct | K::Comment | K::Follow | K::Unfollow => LIVE,
        K::Archive => &[S::Closed, S::Revoked],
        K::Urge | K::Escalate | K::RequestReport | K::Remind => &[S::Dispatched, S::InProgress],
        K::AcceptOrder | K::RefuseOrder => &[S::Draft],
        K::InformCaller => &[
            S::Draft,
            S::NotAccepted,
            S::Dispatched,
            S::Declined,
            S::InProgress,
            S::UnderReview,
            S::Completed,
            S::Suspended,
        ],
        K::ReturnOrder => &[S::Dispatched, S::InProgress],
        K::RequestCommitment => &[S::InProgress],
        K::DecideCommitment => &[S::InProgress, S::UnderReview, S::Suspended],
        K::CallBack | K::ReopenOrder => &[S::UnderReview],
        K::MarkTypical => &[
            S::Dispatched,
            S::Declined,
            S::InProgress,
            S::UnderReview,
            S::Completed,
            S::Suspended,
        ],
    }
}

fn gate(status: Status, kind: CommandKind, order: bool) -> Result<(), Rejection> {
    match (status, kind) {
        (Status::New, CommandKind::Register) => Ok(()),
        (Status::New, _) => Err(Rejection::not_found()),
        (_, CommandKind::Register) => Err(Rejection::exists()),
        (Status::Archived, _) => Err(Rejection::archived()),
        (Status::Closed | Status::Revoked | Status::NotAccepted, CommandKind::Archive) => Ok(()),
        // The office marks typical orders when the month's are reviewed, after closing.
        (Status::Closed, CommandKind::MarkTypical) if order => Ok(()),
        (Status::Closed, _) => Err(Rejection::closed()),
        (Status::Revoked, _) => Err(Rejection::revoked()),
        (s, k) if applies_in(k).contains(&s) => Ok(()),
        (s, k) => Err(Rejection::wrong_state(k, s)),
    }
}

/// Decides a command against the item's state. Pure and total: it never panics and never
/// reads anything but its arguments.
pub fn decide(
    state: &TaskState,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Vec<Event>, Rejection> {
    if !readable(state, ctx) {
        return Err(as_unknown(command, ctx));
    }
    gate(state.status, command.kind(), state.order.is_some())?;
    authorize(state, command, ctx.actor, ctx.units)?;
    authorize_reach(state, command, ctx)?;
    let kinds = rules(state, command, ctx)?;
    Ok(kinds
        .into_iter()
        .map(|kind| Event {
            at: ctx.now,
            actor: ctx.actor.id,
            kind,
        })
        .collect())
}

/// Whether the item exists for the actor: an item not yet registered, or one they may read
/// (R11.2; the system reads every item).
fn readable(state: &TaskState, ctx: &Context<'_>) -> bool {
    state.status == Status::New
        || ctx.actor.roles.has(Role::System)
        || may_view(state, ctx.actor, ctx.units)
}

/// The refusal of a command on an item the actor may not read: exactly the refusal the same
/// command gets on an id that names no item, decided before the item's status or anything
/// else of it is looked at, so that it tells neither that the item exists nor what status it
/// is in. Register is the one command an unknown id accepts: it is decided as though the id
/// were new, and only a registration that would then be accepted is refused, with
/// `task.exists` (the id is taken; a new id registers it).
fn as_unknown(command: &Command, ctx: &Context<'_>) -> Rejection {
    match decide(&TaskState::default(), command, ctx) {
        Ok(_) => Rejection::exists(),
        Err(r) => r,
    }
}

/// The deadline in force at `now`: while suspended, the clock is stopped, so the deadline
/// moves on by the working time paused so far.
pub fn effective_deadline(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Option<DateTime<Utc>> {
    let deadline = state.deadline?;
    Some(match state.suspended {
        Some(s) if now > s.since => {
            calendar.add_working_time(deadline, calendar.working_time_between(s.since, now))
        }
        _ => deadline,
    })
}

fn text(value: &str, code: &str, zh: &str, en: &str, max: usize) -> Result<(), Rejection> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Rejection::invalid(
            code,
            format!("请填写{zh}"),
            format!("{en} is required"),
        ));
    }
    optional_text(value, code, zh, en, max)
}

fn optional_text(value: &str, code: &str, zh: &str, en: &str, max: usize) -> Result<(), Rejection> {
    if value.chars().count() > max {
        return Err(Rejection::invalid(
            code,
            format!("{zh}过长(最多{max}字)"),
            format!("{en} is too long (at most {max} characters)"),
        ));
    }
    // A field no longer than a title is one line: no tab or line break either.
    super::text::check(value, max <= MAX_TITLE, zh, en)
}

fn reason(value: &str) -> Result<(), Rejection> {
    text(value, "input.reason_required", "理由", "a reason", MAX_TEXT)
}

fn opinion_for(approve: bool, opinion: &str) -> Result<(), Rejection> {
    if approve {
        optional_text(opinion, "input.opinion", "意见", "the opinion", MAX_TEXT)
    } else {
        text(
            opinion,
            "input.opinion_required",
            "退回或不同意的意见",
            "an opinion when returning or refusing",
            MAX_TEXT,
        )
    }
}

fn future(t: DateTime<Utc>, now: DateTime<Utc>, zh: &str, en: &str) -> Result<(), Rejection> {
    if t <= now {
        return Err(Rejection::invalid(
            "input.deadline_past",
            format!("{zh}必须晚于当前时间"),
            format!("{en} must be later than now"),
        ));
    }
    Ok(())
}

fn files(list: &[BlobRef]) -> Result<(), Rejection> {
    if list.len() > MAX_FILES {
        return Err(Rejection::invalid(
            "input.too_many_files",
            format!("附件过多(最多{MAX_FILES}个)"),
            format!("too many files (at most {MAX_FILES})"),
        ));
    }
    for f in list {
        let hex = f.hash.len() == 64
            && f.hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex || f.name.trim().is_empty() || f.mime.trim().is_empty() {
            return Err(Rejection::invalid(
                "input.bad_file",
                "附件引用无效:需要64位小写十六进制哈希、文件名和类型",
                "a file reference needs a 64-digit lowercase hex hash, a name and a type",
            ));
        }
    }
    Ok(())
}

fn people(list: &[UserId], code: &str, zh: &str, en: &str) -> Result<(), Rejection> {
    let mut seen = std::collections::BTreeSet::new();
    let ok =
        list.len() <= MAX_PEOPLE && list.iter().all(|u| *u != UserId::SYSTEM && seen.insert(*u));
    if ok {
        Ok(())
    } else {
        Err(Rejection::invalid(
            code,
            format!("{zh}有重复或无效人员"),
            format!("{en} has a duplicate or invalid person"),
        ))
    }
}

fn milestones(list: &[MilestoneSpec], now: DateTime<Utc>) -> Result<(), Rejection> {
    let bad = |zh: &str, en: &str| Err(Rejection::invalid("input.milestones", zh, en));
    if list.len() > MAX_MILESTONES {
        return bad("节点过多", "too many milestones");
    }
    let mut ids = std::collections::BTreeSet::new();
    for m in list {
        text(
            &m.title,
            "input.milestones",
            "节点名称",
            "a milestone's title",
            MAX_TITLE,
        )?;
        if !ids.insert(m.id) {
            return bad("节点编号重复", "two milestones share a number");
        }
        if m.planned_percent > 100 {
            return bad(
                "节点计划进度不能超过100",
                "a milestone's planned progress exceeds 100",
            );
        }
        if m.due <= now {
            return bad(
                "节点时间必须晚于当前时间",
                "a milestone must be due after now",
            );
        }
    }
    let mut sorted: Vec<&MilestoneSpec> = list.iter().collect();
    sorted.sort_by_key(|m| m.due);
    if sorted
        .windows(2)
        .any(|w| w[1].planned_percent < w[0].planned_percent)
    {
        return bad(
            "节点计划进度应随时间递增",
            "planned progress must not fall from one milestone to the next",
        );
    }
    let finals: Vec<&&MilestoneSpec> = sorted
        .iter()
        .filter(|m| m.kind == MilestoneKind::Final)
        .collect();
    if finals.len() > 1 {
        return bad(
            "最终节点只能有一个",
            "there can be only one final milestone",
        );
    }
    if let (Some(f), Some(last)) = (finals.first(), sorted.last()) {
        if f.due != last.due || f.planned_percent != 100 {
            return bad(
                "最终节点应是最后一个节点,计划进度为100",
                "the final milestone must be the last one, planned at 100",
            );
        }
    }
    Ok(())
}

fn known_unit(units: &UnitTree, unit: super::model::UnitId) -> Result<(), Rejection> {
    if units.contains(unit) {
        Ok(())
    } else {
        Err(Rejection::invalid(
            "input.unknown_unit",
            "单位不存在",
            "no such unit",
        ))
    }
}

fn report_body(state: &TaskState, report: &ReportBody) -> Result<(), Rejection> {
    text(
        &report.text,
        "input.report_text",
        "汇报内容",
        "the report's text",
        MAX_TEXT,
    )?;
    files(&report.evidence)?;
    if state.report(report.id).is_some() {
        return Err(Rejection::invalid(
            "input.duplicate_id",
            "该汇报已提交",
            "this report was filed already",
        ));
    }
    Ok(())
}

/// A recurrence as registered or dispatched: due within 60 working days, and its figures'
/// labels one line each, not too long, not too many, none twice.
fn recurrence(r: Option<&Recurrence>) -> Result<(), Rejection> {
    let Some(r) = r else { return Ok(()) };
    if r.due_working_days > 60 {
        return Err(Rejection::invalid(
            "input.recurrence",
            "定期汇报期限不能超过60个工作日",
            "a periodic report may be due at most 60 working days into its period",
        ));
    }
    if r.fields.len() > MAX_REPORT_FIELDS {
        return Err(Rejection::invalid(
            "input.report_fields",
            format!("定期汇报的报送数据项最多{MAX_REPORT_FIELDS}个"),
            format!("a periodic report asks for at most {MAX_REPORT_FIELDS} figures"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for label in &r.fields {
        text(
            label,
            "input.report_fields",
            "报送数据项名称",
            "a figure's label",
            MAX_FIELD_LABEL,
        )?;
        if label.trim() != label {
            return Err(Rejection::invalid(
                "input.report_fields",
                "报送数据项名称的首尾不能有空格",
                "a figure's label has no space at its start or end",
            ));
        }
        if !seen.insert(label.as_str()) {
            return Err(Rejection::invalid(
                "input.report_fields",
                "报送数据项名称重复",
                "two figures share a label",
            ));
        }
    }
    Ok(())
}

/// A report's figures (R1.4): a progress report answering a request gives a value for each
/// field of the item's recurrence, and only those; any other report gives none. The
/// refusals name a field by its position, not by its label (the item's words).
fn report_values(
    state: &TaskState,
    report: &ReportBody,
    answers: Option<u32>,
) -> Result<(), Rejection> {
    let fields = match (answers, &state.recurrence) {
        (Some(_), Some(r)) => r.fields.as_slice(),
        _ => &[],
    };
    if fields.is_empty() && !report.values.is_empty() {
        return Err(Rejection::invalid(
            "input.report_values",
            "只有答复定期汇报要求、且该事项设有报送数据项时才填写报送数据",
            "figures are given only by a report answering a periodic request of an item that asks for them",
        ));
    }
    if report.values.keys().any(|k| !fields.contains(k)) {
        return Err(Rejection::invalid(
            "input.report_value_unknown",
            "报送数据中有该事项未要求的数据项",
            "the figures name one the item does not ask for",
        ));
    }
    for (n, label) in fields.iter().enumerate() {
        let n = n + 1;
        let value = report.values.get(label).map_or("", String::as_str);
        if value.trim().is_empty() {
            return Err(Rejection::invalid(
                "input.report_value_missing",
                format!("请填写第{n}项报送数据"),
                format!("figure {n} of the periodic report is required"),
            ));
        }
        optional_text(
            value,
            "input.report_value",
            &format!("第{n}项报送数据"),
            &format!("figure {n}"),
            MAX_FIELD_VALUE,
        )?;
    }
    Ok(())
}

fn on_the_hour(calendar: &Calendar, t: DateTime<Utc>) -> bool {
    let local = calendar.to_local(t);
    local.minute() == 0 && local.second() == 0 && local.nanosecond() == 0
}

fn rules(
    state: &TaskState,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Vec<EventKind>, Rejection> {
    let now = ctx.now;
    let cal = ctx.calendar;
    let policy = ctx.policy;
    let one = |k: EventKind| Ok(vec![k]);
    match command {
        Command::Register(r) => {
            text(&r.title, "input.title", "标题", "a title", MAX_TITLE)?;
            optional_text(&r.content, "input.content", "内容", "the content", MAX_TEXT)?;
            let category = policy.category(&r.category).ok_or_else(|| {
                Rejection::invalid("input.unknown_category", "类别不存在", "no such category")
            })?;
            if r.number.prefix != category.prefix || r.number.seq == 0 {
                return Err(Rejection::invalid(
                    "input.bad_number",
                    "编号与类别不符",
                    "the number does not match the category",
                ));
            }
            for key in &category.required_attributes {
                if r.attributes.get(key).is_none_or(|v| v.trim().is_empty()) {
                    return Err(Rejection::invalid(
                        "input.missing_attribute",
                        format!("请填写该类别的必填属性:{key}"),
                        format!("the category requires the attribute {key}"),
                    ));
                }
            }
            if r.attributes.values().any(|v| v.chars().count() > MAX_TEXT) {
                return Err(Rejection::invalid(
                    "input.attribute",
                    "属性值过长",
                    "an attribute value is too long",
                ));
            }
            if let Some(d) = r.deadline {
                future(d, now, "截止时间", "the deadline")?;
            }
            files(&r.attachments)?;
            milestones(&r.milestones, now)?;
            people(
                &r.approval_chain,
                "input.approval_chain",
                "审批链",
                "the approval chain",
            )?;
            recurrence(r.recurrence.as_ref())?;
            let registered = EventKind::Registered(r.clone());
            match order::intake(r, category, ctx)? {
                Some(urgent) => Ok(vec![registered, urgent]),
                None => one(registered),
            }
        }
        Command::AmendDraft(p) => {
            if **p == Default::default() {
                return Err(Rejection::invalid(
                    "input.empty_patch",
                    "没有需要修改的内容",
                    "nothing to change",
                ));
            }
            if let Some(t) = &p.title {
                text(t, "input.title", "标题", "a title", MAX_TITLE)?;
            }
            if let Some(c) = &p.content {
                optional_text(c, "input.content", "内容", "the content", MAX_TEXT)?;
            }
            if let Some(Some(d)) = p.deadline {
                future(d, now, "截止时间", "the deadline")?;
            }
            if let Some(m) = &p.milestones {
                milestones(m, now)?;
            }
            if let Some(c) = &p.approval_chain {
                people(c, "input.approval_chain", "审批链", "the approval chain")?;
            }
            one(EventKind::DraftAmended(p.clone()))
        }
        Command::SubmitForApproval => {
            if state.approval.chain.is_empty() {
                return Err(Rejection::invalid(
                    "approval.not_required",
                    "未设置审批人,无需立项审批",
                    "no approvers are set; no registration approval is needed",
                ));
            }
            if state.approval.approved {
                return Err(Rejection::invalid(
                    "approval.done",
                    "立项已审批通过",
                    "the registration is approved already",
                ));
            }
            one(EventKind::SubmittedForApproval)
        }
        Command::DecideRegistration { approve, opinion } => {
            opinion_for(*approve, opinion)?;
            let step = state.approval.step;
            if *approve {
                let last = (step as usize) + 1 >= state.approval.chain.len();
                one(EventKind::RegistrationApproved {
                    step,
                    last,
                    opinion: opinion.clone(),
                })
            } else {
                one(EventKind::RegistrationReturned {
                    step,
                    opinion: opinion.clone(),
                })
            }
        }
        Command::Dispatch(d) => {
            if let Some(o) = &state.order {
                order::may_dispatch(o)?;
            }
            dispatch(state, d, ctx)
        }
        Command::Receive => {
            let rel = Relation::of(state, ctx.actor, ctx.units);
            if rel.lead_owner {
                if state.status != Status::Dispatched {
                    return Err(Rejection::invalid(
                        "receive.already",
                        "已签收",
                        "received already",
                    ));
                }
                one(EventKind::Received { participant: false })
            } else if state.participants_received.contains(&ctx.actor.id) {
                Err(Rejection::invalid(
                    "receive.already",
                    "已签收",
                    "received already",
                ))
            } else {
                one(EventKind::Received { participant: true })
            }
        }
        Command::Decline { reason: why } => {
            if state.order.is_some() {
                return Err(order::return_instead());
            }
            reason(why)?;
            let since = state.dispatched.map_or(now, |m| m.at);
            let limit = cal.deadline_after_working_days(since, policy.decline_within_working_days);
            if now > limit {
                return Err(Rejection::invalid(
                    "decline.too_late",
                    format!(
                        "拒签须在交办后{}个工作日内提出,现已超期,请联系督办员协调",
                        policy.decline_within_working_days
                    ),
                    format!(
                        "a decline must come within {} working days of dispatch; ask the supervision office to re-dispatch",
                        policy.decline_within_working_days
                    ),
                ));
            }
            one(EventKind::Declined {
                reason: why.clone(),
            })
        }
        Command::Decompose(spec) => {
            text(&spec.title, "input.title", "标题", "a title", MAX_TITLE)?;
            optional_text(
                &spec.content,
                "input.content",
                "内容",
                "the content",
                MAX_TEXT,
            )?;
            known_unit(ctx.units, spec.lead.unit)?;
            if state.subtasks.contains(&spec.child) {
                return Err(Rejection::invalid(
                    "input.duplicate_id",
                    "该子任务已存在",
                    "this subtask exists already",
                ));
            }
            let parent_deadline = effective_deadline(state, now, cal);
            let deadline = match (spec.deadline, parent_deadline) {
                (Some(d), Some(p)) if d > p => {
                    return Err(Rejection::invalid(
                        "input.subtask_deadline",
                        "子任务截止时间不能晚于上级事项",
                        "a subtask cannot be due after its parent",
                    ))
                }
                (Some(d), _) => {
                    future(d, now, "子任务截止时间", "the subtask's deadline")?;
                    Some(
                        cal.roll_forward_instant(d)
                            .min(parent_deadline.unwrap_or(d)),
                    )
                }
                (None, p) => p,
            };
            let mut resolved = (**spec).clone();
            resolved.deadline = deadline;
            one(EventKind::Decomposed(Box::new(resolved)))
        }
        Command::Share { with } => {
            people(with, "input.share", "共享人员", "the share list")?;
            let lead_user = state.lead.and_then(|l| l.user);
            if with.is_empty()
                || with
                    .iter()
                    .any(|u| state.sharers.contains(u) || Some(*u) == lead_user)
            {
                return Err(Rejection::invalid(
                    "share.already",
                    "所选人员已在办理本事项",
                    "someone chosen already handles this item",
                ));
            }
            one(EventKind::Shared { with: with.clone() })
        }
        Command::Unshare { with } => {
            if with.is_empty() || with.iter().any(|u| !state.sharers.contains(u)) {
                return Err(Rejection::invalid(
                    "share.not_shared",
                    "所选人员不在共享办理人中",
                    "someone chosen is not a sharer",
                ));
            }
            one(EventKind::Unshared { with: with.clone() })
        }
        Command::ReportProgress {
            report,
            percent,
            milestone,
            answers,
        } => {
            report_body(state, report)?;
            if *percent > 100 {
                return Err(Rejection::invalid(
                    "input.percent",
                    "进度应在0到100之间",
                    "progress must be between 0 and 100",
                ));
            }
            if let Some(m) = milestone {
                match state.milestones.iter().find(|x| x.spec.id == *m) {
                    None => {
                        return Err(Rejection::invalid(
                            "input.unknown_milestone",
                            "节点不存在",
                            "no such milestone",
                        ))
                    }
                    Some(x) if x.met.is_some() => {
                        return Err(Rejection::invalid(
                            "milestone.met",
                            "该节点已完成",
                            "this milestone is met already",
                        ))
                    }
                    Some(_) => {}
                }
            }
            if let Some(i) = answers {
                match state.report_requests.iter().find(|x| x.index == *i) {
                    None => {
                        return Err(Rejection::invalid(
                            "input.unknown_request",
                            "汇报要求不存在",
                            "no such report request",
                        ))
                    }
                    Some(x) if x.answered.is_some() => {
                        return Err(Rejection::invalid(
                            "request.answered",
                            "该期汇报已提交",
                            "this period's report was filed already",
                        ))
                    }
                    Some(_) => {}
                }
            }
            report_values(state, report, *answers)?;
            one(EventKind::ProgressReported {
                report: report.clone(),
                percent: *percent,
                milestone: *milestone,
                answers: *answers,
                needs_approval: state.report_approver.is_some(),
            })
        }
        Command::ReportCompletion { report } => {
            report_body(state, report)?;
            if state.order.is_some() {
                order::reply_follows_template(&report.text, &policy.hotline.reply_sections)?;
            }
            report_values(state, report, None)?;
            if policy
                .category(&state.category)
                .is_some_and(|c| c.evidence_required)
                && report.evidence.is_empty()
            {
                return Err(Rejection::invalid(
                    "evidence.required",
                    "该类事项的完成汇报须附佐证材料(如整改照片)",
                    "a completion report of this category needs evidence (e.g. photos of the rectification)",
                ));
            }
            if state.pending_completion().is_some() {
                return Err(Rejection::invalid(
                    "report.pending",
                    "已有完成汇报在审批中",
                    "a completion report is waiting for approval already",
                ));
            }
            one(EventKind::CompletionReported {
                report: report.clone(),
                needs_approval: state.report_approver.is_some(),
            })
        }
        Command::DecideReport {
            report,
            approve,
            opinion,
        } => {
            opinion_for(*approve, opinion)?;
            match state.report(*report) {
                None => Err(Rejection::invalid(
                    "input.unknown_report",
                    "汇报不存在",
                    "no such report",
                )),
                Some(r) if r.status != ReportStatus::PendingApproval => Err(Rejection::invalid(
                    "report.not_pending",
                    "该汇报不在审批中",
                    "this report is not waiting for approval",
                )),
                Some(_) if *approve => one(EventKind::ReportApproved {
                    report: *report,
                    opinion: opinion.clone(),
                }),
                Some(_) => one(EventKind::ReportReturned {
                    report: *report,
                    opinion: opinion.clone(),
                }),
            }
        }
        Command::Review {
            accept,
            opinion,
            new_deadline,
        } => {
            if *accept {
                if let Some(o) = &state.order {
                    order::may_accept_reply(state, o)?;
                }
                optional_text(opinion, "input.opinion", "意见", "the opinion", MAX_TEXT)?;
                return one(EventKind::Accepted {
                    opinion: opinion.clone(),
                });
            }
            reason(opinion)?;
            let Some(d) = new_deadline else {
                return Err(Rejection::invalid(
                    "input.deadline_required",
                    "退办须给出新的办理期限",
                    "a return for rework needs a new deadline",
                ));
            };
            future(*d, now, "新的办理期限", "the new deadline")?;
            one(EventKind::ReturnedForRework {
                reason: opinion.clone(),
                new_deadline: cal.roll_forward_instant(*d),
            })
        }
        Command::Rate { stars, opinion } => {
            if !(1..=5).contains(stars) {
                return Err(Rejection::invalid(
                    "input.stars",
                    "评价应为1到5星",
                    "a rating is 1 to 5 stars",
                ));
            }
            optional_text(
                opinion,
                "input.opinion",
                "评价意见",
                "the opinion",
                MAX_TEXT,
            )?;
            if state.ratings.iter().any(|r| r.mark.by == ctx.actor.id) {
                return Err(Rejection::invalid(
                    "rating.duplicate",
                    "您已评价过该事项",
                    "you have rated this item already",
                ));
            }
            one(EventKind::Rated {
                stars: *stars,
                opinion: opinion.clone(),
            })
        }
        Command::AdjustScore {
            id,
            points,
            reason: why,
        } => {
            reason(why)?;
            let max = policy.scoring.max_adjustment;
            if points.0 == 0 || points.0.unsigned_abs() > max.0.unsigned_abs() {
                return Err(Rejection::invalid(
                    "input.points",
                    format!("调整分值须非零且不超过{max}分"),
                    format!("an adjustment must be non-zero and at most {max} points"),
                ));
            }
            if state.adjustments.iter().any(|a| a.id == *id) {
                return Err(Rejection::invalid(
                    "input.duplicate_id",
                    "该调整已记录",
                    "this adjustment is recorded already",
                ));
            }
            one(EventKind::ScoreAdjusted {
                id: *id,
                points: *points,
                reason: why.clone(),
            })
        }
        Command::RequestExtension { until, reason: why } => {
            reason(why)?;
            EXTENSION.not_pending(state.pending_extension().is_some())?;
            if let Some(o) = &state.order {
                order::may_extend(state, o, *until, policy)?;
            }
            if state.extensions.len() >= 2 {
                return Err(Rejection::invalid(
                    "extension.limit",
                    "已申请过两次延时,不得再次延期",
                    "two extensions have been requested; there is no third",
                ));
            }
            let deadline = effective_deadline(state, now, cal).unwrap_or(now);
            if now > deadline {
                return Err(Rejection::invalid(
                    "extension.after_deadline",
                    "延时申请须在办理期限届满前提出",
                    "an extension must be requested before the deadline passes",
                ));
            }
            if !on_the_hour(cal, *until) {
                return Err(Rejection::invalid(
                    "input.not_on_hour",
                    "延至时间精确到小时(分、秒为0)",
                    "the new deadline is set to the hour (minutes and seconds zero)",
                ));
            }
            if *until <= deadline {
                return Err(Rejection::invalid(
                    "extension.not_later",
                    "延至时间须晚于现有办理期限",
                    "the new deadline must be later than the current one",
                ));
            }
            one(EventKind::ExtensionRequested {
                nth: state.extensions.len() as u8 + 1,
                until: *until,
                reason: why.clone(),
            })
        }
        Command::DecideExtension { approve, opinion } => {
            opinion_for(*approve, opinion)?;
            let Some(pending) = state.pending_extension() else {
                return Err(EXTENSION.none_pending());
            };
            if *approve {
                one(EventKind::ExtensionApproved {
                    until: cal.roll_forward_instant(pending.until),
                    opinion: opinion.clone(),
                })
            } else {
                one(EventKind::ExtensionRefused {
                    opinion: opinion.clone(),
                })
            }
        }
        Command::RequestSuspension { reason: why } => {
            reason(why)?;
            SUSPENSION.not_pending(state.suspension_request.is_some())?;
            one(EventKind::SuspensionRequested {
                reason: why.clone(),
            })
        }
        Command::DecideSuspension { approve, opinion } => {
            opinion_for(*approve, opinion)?;
            SUSPENSION.pending(state.suspension_request.is_some())?;
            if *approve {
                one(EventKind::Suspended {
                    opinion: opinion.clone(),
                })
            } else {
                one(EventKind::SuspensionRefused {
                    opinion: opinion.clone(),
                })
            }
        }
        Command::RequestResumption { reason: why } => {
            reason(why)?;
            RESUMPTION.not_pending(state.resumption_request.is_some())?;
            one(EventKind::ResumptionRequested {
                reason: why.clone(),
            })
        }
        Command::DecideResumption { approve, opinion } => {
            opinion_for(*approve, opinion)?;
            RESUMPTION.pending(state.resumption_request.is_some())?;
            if !*approve {
                return one(EventKind::ResumptionRefused {
                    opinion: opinion.clone(),
                });
            }
            let since = state.suspended.map_or(now, |s| s.since);
            let paused = cal.working_time_between(since, now);
            let deadline = state.deadline.unwrap_or(now);
            let new_deadline = cal.roll_forward_instant(cal.add_working_time(deadline, paused));
            one(EventKind::Resumed {
                opinion: opinion.clone(),
                paused_working_secs: paused.num_seconds(),
                new_deadline,
            })
        }
        Command::Revoke { reason: why } => {
            reason(why)?;
            one(EventKind::Revoked {
                reason: why.clone(),
            })
        }
        Command::Close => one(EventKind::Closed),
        Command::Archive => one(EventKind::Archived),
        Command::Urge {
            channel,
            note,
            call,
        } => {
            optional_text(note, "input.note", "催办内容", "the note", MAX_TEXT)?;
            if let Some(call) = call {
                if *channel != UrgeChannel::Phone {
                    return Err(Rejection::invalid(
                        "urge.call_not_phone",
                        "只有电话催办才记录通话",
                        "a call is recorded only for an urging by phone",
                    ));
                }
                text(
                    &call.answered_by,
                    "input.answered_by",
                    "接听人",
                    "who answered",
                    MAX_TITLE,
                )?;
                if call.at > now {
                    return Err(Rejection::invalid(
                        "urge.call_future",
                        "通话时间不能晚于当前时间",
                        "the call cannot be later than now",
                    ));
                }
            }
            if ctx.actor.roles.has(Role::System) {
                let due = effective_deadline(state, now, cal).is_some_and(|d| now > d)
                    && state.pending_completion().is_none();
                if !due {
                    return Err(Rejection::invalid(
                        "urge.not_due",
                        "未到期,系统不自动催办",
                        "not overdue; the system does not urge yet",
                    ));
                }
            }
            one(EventKind::Urged {
                channel: *channel,
                note: note.clone(),
                call: call.clone(),
            })
        }
        Command::Escalate { reason: why } => {
            if state.escalated.is_some() {
                return Err(Rejection::invalid(
                    "escalate.already",
                    "事项已升级督办",
                    "the item is escalated already",
                ));
            }
            if ctx.actor.roles.has(Role::System) {
                if state.urges_since_result < policy.escalate_after_urges {
                    return Err(Rejection::invalid(
                        "escalate.not_due",
                        format!("催办未满{}次,暂不自动升级", policy.escalate_after_urges),
                        format!(
                            "fewer than {} urgings without result; not escalated automatically",
                            policy.escalate_after_urges
                        ),
                    ));
                }
            } else {
                reason(why)?;
            }
            one(EventKind::Escalated {
                reason: why.clone(),
            })
        }
        Command::Instruct { id, text: body } => {
            text(body, "input.text", "批示内容", "the instruction", MAX_TEXT)?;
            new_note(state, *id)?;
            one(EventKind::Instructed {
                id: *id,
                text: body.clone(),
            })
        }
        Command::Comment {
            id,
            text: body,
            reply_to,
        } => {
            text(body, "input.text", "评论内容", "the comment", MAX_TEXT)?;
            new_note(state, *id)?;
            if reply_to.is_some_and(|r| !state.notes.contains(&r)) {
                return Err(Rejection::invalid(
                    "input.unknown_note",
                    "回复的评论或批示不存在",
                    "the comment or instruction replied to does not exist",
                ));
            }
            one(EventKind::Commented {
                id: *id,
                text: body.clone(),
                reply_to: *reply_to,
            })
        }
        Command::Follow => {
            if state.followers.contains(&ctx.actor.id) {
                return Err(Rejection::invalid(
                    "follow.already",
                    "已关注",
                    "following already",
                ));
            }
            one(EventKind::Followed)
        }
        Command::Unfollow => {
            if !state.followers.contains(&ctx.actor.id) {
                return Err(Rejection::invalid(
                    "follow.not_following",
                    "未关注该事项",
                    "not following this item",
                ));
            }
            one(EventKind::Unfollowed)
        }
        Command::RequestReport {
            period_index,
            period,
            due,
        } => {
            match &state.recurrence {
                None => {
                    return Err(Rejection::invalid(
                        "report_request.no_recurrence",
                        "该事项未设置定期汇报",
                        "this item has no periodic reports",
                    ))
                }
                Some(r) if r.period != *period => {
                    return Err(Rejection::invalid(
                        "input.period",
                        "汇报周期与设置不符",
                        "the period does not match the item's",
                    ))
                }
                Some(_) => {}
            }
            if state
                .report_requests
                .iter()
                .any(|r| r.index == *period_index)
            {
                return Err(Rejection::invalid(
                    "report_request.duplicate",
                    "该期汇报已发起",
                    "this period's report was requested already",
                ));
            }
            one(EventKind::ReportRequested {
                period_index: *period_index,
                period: *period,
                due: *due,
            })
        }
        Command::Remind { kind } => {
            let duplicate = match kind {
                ReminderKind::Unreceived => {
                    if state.status != Status::Dispatched {
                        return Err(Rejection::invalid(
                            "remind.not_due",
                            "已签收,无需提醒",
                            "received already; no reminder is needed",
                        ));
                    }
                    false
                }
                ReminderKind::BeforeDeadline { .. } => state
                    .reminders
                    .iter()
                    .any(|r| r.kind == *kind && r.deadline == state.deadline),
                ReminderKind::Milestone { id } => {
                    if !state.milestones.iter().any(|m| m.spec.id == *id) {
                        return Err(Rejection::invalid(
                            "input.unknown_milestone",
                            "节点不存在",
                            "no such milestone",
                        ));
                    }
                    state.reminders.iter().any(|r| r.kind == *kind)
                }
            };
            if duplicate {
                return Err(Rejection::invalid(
                    "remind.duplicate",
                    "该提醒已发送",
                    "this reminder was sent already",
                ));
            }
            one(EventKind::Reminded {
                kind: *kind,
                deadline: state.deadline,
            })
        }
        Command::AcceptOrder { .. }
        | Command::RefuseOrder { .. }
        | Command::InformCaller { .. }
        | Command::ReturnOrder { .. }
        | Command::RequestCommitment { .. }
        | Command::DecideCommitment { .. }
        | Command::CallBack { .. }
        | Command::ReopenOrder { .. }
        | Command::MarkTypical { .. } => order::rules(state, command, ctx),
    }
}

/// A kind of request that waits for a leader's decision.
struct Request {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    article: &'static str,
}

const EXTENSION: Request = Request {
    code: "extension",
    zh: "延时",
    en: "extension",
    article: "an",
};
const SUSPENSION: Request = Request {
    code: "suspension",
    zh: "暂停",
    en: "suspension",
    article: "a",
};
const RESUMPTION: Request = Request {
    code: "resumption",
    zh: "恢复",
    en: "resumption",
    article: "a",
};

impl Request {
    /// Refuses a new request while one waits.
    fn not_pending(&self, waiting: bool) -> Result<(), Rejection> {
        if waiting {
            return Err(Rejection::invalid(
                &format!("{}.pending", self.code),
                format!("已有{}申请待审批", self.zh),
                format!(
                    "{} {} request is waiting for a decision already",
                    self.article, self.en
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a decision when nothing waits.
    fn pending(&self, waiting: bool) -> Result<(), Rejection> {
        if waiting {
            Ok(())
        } else {
            Err(self.none_pending())
        }
    }

    fn none_pending(&self) -> Rejection {
        Rejection::invalid(
            &format!("{}.none_pending", self.code),
            format!("没有待审批的{}申请", self.zh),
            format!(
                "no {} request is waiting for a decision",
                &self.en[self.en.find(' ').map_or(0, |i| i + 1)..]
            ),
        )
    }
}

fn new_note(state: &TaskState, id: super::model::NoteId) -> Result<(), Rejection> {
    if state.notes.contains(&id) {
        return Err(Rejection::invalid(
            "input.duplicate_id",
            "该评论已记录",
            "this note is recorded already",
        ));
    }
    Ok(())
}

fn dispatch(
    state: &TaskState,
    order: &DispatchOrder,
    ctx: &Context<'_>,
) -> Result<Vec<EventKind>, Rejection> {
    let now = ctx.now;
    let cal = ctx.calendar;
    if !state.approval.chain.is_empty() && !state.approval.approved {
        return Err(Rejection::invalid(
            "approval.pending",
            "立项尚未审批通过,不能交办",
            "the registration is not approved yet; it cannot be dispatched",
        ));
    }
    known_unit(ctx.units, order.lead.unit)?;
    if order.participants.len() > MAX_PEOPLE {
        return Err(Rejection::invalid(
            "input.participants",
            "协办单位过多",
            "too many participants",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in &order.participants {
        known_unit(ctx.units, p.unit)?;
        if *p == order.lead || !seen.insert(*p) {
            return Err(Rejection::invalid(
                "input.participants",
                "协办单位重复或与主办相同",
                "a participant is repeated or is the lead",
            ));
        }
    }
    let limit = state
        .order
        .as_ref()
        .and_then(|o| order::environment_limit(state, o, ctx.policy));
    let deadline = match order.deadline.or(state.requested_deadline) {
        Some(d) => {
            future(d, now, "截止时间", "the deadline")?;
            if limit.is_some_and(|l| d > l) {
                return Err(order::beyond_environment_limit(ctx.policy));
            }
            cal.roll_forward_instant(d)
        }
        None if limit.is_some() => limit.unwrap_or(now),
        None if state.order.is_some() => {
            cal.deadline_after_working_days(now, ctx.policy.hotline.handle_working_days)
        }
        None => {
            let days = &ctx.policy.deadline_days;
            let instruction = ctx
                .policy
                .category(&state.category)
                .is_some_and(|c| c.is_instruction);
            // An instruction without a deadline gets its own default, unless its urgency
            // asks for less.
            let by_urgency = days.for_urgency(state.urgency);
            let n = if instruction {
                days.instruction.min(by_urgency)
            } else {
                by_urgency
            };
            cal.deadline_after_working_days(now, n)
        }
    };
    recurrence(order.report_every.as_ref())?;
    let mut resolved = order.clone();
    resolved.deadline = Some(deadline);
    Ok(vec![EventKind::Dispatched(Box::new(resolved))])
}

/// The countdown (倒计时, R4.2): working time until the deadline (positive) or since it
/// passed (negative). Stands still while the item is suspended. None where no deadline is
/// set, and once the work is over — completed, closed, revoked or archived — since nothing
/// is then due.
pub fn working_time_left(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Option<Duration> {
    if matches!(
        state.status,
        Status::Completed | Status::Closed | Status::Revoked | Status::Archived
    ) {
        return None;
    }
    let d = effective_deadline(state, now, calendar)?;
    Some(if d >= now {
        calendar.working_time_between(now, d)
    } else {
        -calendar.working_time_between(d, now)
    })
}
