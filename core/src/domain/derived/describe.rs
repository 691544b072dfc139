//! Words for people: each step of the trail as a line a person reads ([`describe`]), and
//! what an event tells a given person as a short phone notification ([`notice`]).
//!
//! Descriptions carry no names (the core knows ids, not names): the app adds who acted and
//! when from the event. Deadlines read as local dates through the organisation's calendar,
//! and so does a recorded phone call's time (an urging by phone names who answered).

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::duty::{direct_lead, duties, handler, participant, Duty};
use crate::domain::calendar::Calendar;
use crate::domain::code::Code;
use crate::domain::command::{DraftPatch, ReminderKind, UrgeChannel};
use crate::domain::decide::Context;
use crate::domain::event::{Event, EventKind};
use crate::domain::model::{Actor, Period, Role, UserId};
use crate::domain::order::NonAcceptance;
use crate::domain::permission::{may_view, Relation};
use crate::domain::state::{Status, TaskState};

/// One step of the trail as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// What happened, in Chinese, e.g. `进展汇报(60%)`.
    pub title_zh: String,
    /// What happened, in English, e.g. `Progress report (60%)`.
    pub title_en: String,
    /// The person's own words (opinion, reason, report text, note), as written; empty if
    /// none.
    pub detail: String,
}

fn line(zh: impl Into<String>, en: impl Into<String>, detail: &str) -> Description {
    Description {
        title_zh: zh.into(),
        title_en: en.into(),
        detail: detail.to_owned(),
    }
}

/// A deadline or requested time as a local date: `2026-03-10` for the end of a day (local
/// midnight), else the date and hour, `2026-03-10 17:00`.
fn when(calendar: &Calendar, t: DateTime<Utc>) -> String {
    let local = calendar.to_local(t);
    if local.time() == NaiveTime::MIN {
        calendar.due_date(t).format("%Y-%m-%d").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// The fields a draft amendment changed, in Chinese and English.
fn amended(p: &DraftPatch, calendar: &Calendar) -> (String, String) {
    let mut zh: Vec<String> = Vec::new();
    let mut en: Vec<String> = Vec::new();
    let mut field = |present: bool, z: &str, e: &str| {
        if present {
            zh.push(z.to_owned());
            en.push(e.to_owned());
        }
    };
    field(p.title.is_some(), "标题", "title");
    field(p.content.is_some(), "内容", "content");
    field(p.urgency.is_some(), "紧急程度", "urgency");
    field(p.visibility.is_some(), "密级", "visibility");
    field(p.milestones.is_some(), "节点", "milestones");
    field(p.approval_chain.is_some(), "审批人", "approvers");
    match p.deadline {
        Some(Some(d)) => {
            let d = when(calendar, d);
            zh.push(format!("截止时间改为{d}"));
            en.push(format!("deadline {d}"));
        }
        Some(None) => {
            zh.push("清除截止时间".into());
            en.push("deadline cleared".into());
        }
        None => {}
    }
    if zh.is_empty() {
        ("修改草稿".into(), "Draft amended".into())
    } else {
        (
            format!("修改草稿({})", zh.join("、")),
            format!("Draft amended ({})", en.join(", ")),
        )
    }
}

fn period_names(period: Period) -> (&'static str, &'static str) {
    match period {
        Period::Weekly => ("周", "weekly"),
        Period::Monthly => ("月", "monthly"),
        Period::Quarterly => ("季度", "quarterly"),
    }
}

/// One step of the trail as a person reads it, e.g. `签收` / `Received`,
/// `进展汇报(60%)` / `Progress report (60%)`; deadlines as local dates via the calendar.
/// Never empty: every event has a title.
pub fn describe(kind: &EventKind, calendar: &Calendar) -> Description {
    use EventKind as E;
    match kind {
        E::Registered(r) => match r.deadline {
            Some(d) => {
                let d = when(calendar, d);
                line(
                    format!("立项(要求完成时间 {d})"),
                    format!("Registered (due {d})"),
                    "",
                )
            }
            None => line("立项", "Registered", ""),
        },
        E::DraftAmended(p) => {
            let (zh, en) = amended(p, calendar);
            line(zh, en, "")
        }
        E::SubmittedForApproval => line("提交立项审批", "Submitted for registration approval", ""),
        E::RegistrationApproved {
            step,
            last,
            opinion,
        } => {
            let n = step.saturating_add(1);
            if *last {
                line(
                    format!("立项审批通过(第{n}级)"),
                    format!("Registration approved (step {n}, final)"),
                    opinion,
                )
            } else {
                line(
                    format!("立项审批同意(第{n}级)"),
                    format!("Registration agreed (step {n})"),
                    opinion,
                )
            }
        }
        E::RegistrationReturned { step, opinion } => {
            let n = step.saturating_add(1);
            line(
                format!("立项审批退回(第{n}级)"),
                format!("Registration returned (step {n})"),
                opinion,
            )
        }
        E::Dispatched(order) => match order.deadline {
            Some(d) => {
                let d = when(calendar, d);
                let (zh_p, en_p) = match order.participants.len() {
                    0 => (String::new(), String::new()),
                    n => (format!(",协办单位{n}个"), format!(", {n} participants")),
                };
                line(
                    format!("交办(办理期限 {d}{zh_p})"),
                    format!("Dispatched (due {d}{en_p})"),
                    "",
                )
            }
            None => line("交办", "Dispatched", ""),
        },
        E::Received { participant } => {
            if *participant {
                line("协办签收", "Received (participant)", "")
            } else {
                line("签收", "Received", "")
            }
        }
        E::Declined { reason } => line("拒签", "Declined", reason),
        E::Decomposed(spec) => {
            let (zh, en) = match spec.deadline {
                Some(d) => {
                    let d = when(calendar, d);
                    (
                        format!("分解子任务(期限 {d})"),
                        format!("Subtask created (due {d})"),
                    )
                }
                None => ("分解子任务".into(), "Subtask created".into()),
            };
            line(zh, en, &spec.title)
        }
        E::Shared { with } => line(
            format!("共享办理({}人)", with.len()),
            format!("Shared with {} more handler(s)", with.len()),
            "",
        ),
        E::Unshared { with } => line(
            format!("取消共享({}人)", with.len()),
            format!("Share withdrawn from {} handler(s)", with.len()),
            "",
        ),
        E::ProgressReported {
            report,
            percent,
            milestone,
            answers,
            needs_approval,
        } => {
            let mut zh = vec![format!("{percent}%")];
            let mut en = vec![format!("{percent}%")];
            if let Some(m) = milestone {
                zh.push(format!("节点{m}完成"));
                en.push(format!("milestone {m} met"));
            }
            if let Some(i) = answers {
                let n = i.saturating_add(1);
                zh.push(format!("第{n}期定期汇报"));
                en.push(format!("periodic report {n}"));
            }
            if !report.evidence.is_empty() {
                zh.push(format!("附件{}个", report.evidence.len()));
                en.push(format!("{} file(s)", report.evidence.len()));
            }
            if *needs_approval {
                zh.push("待审批".into());
                en.push("awaiting approval".into());
            }
            line(
                format!("进展汇报({})", zh.join(",")),
                format!("Progress report ({})", en.join(", ")),
                &report.text,
            )
        }
        E::CompletionReported {
            report,
            needs_approval,
        } => {
            let mut zh = Vec::new();
            let mut en = Vec::new();
            if !report.evidence.is_empty() {
                zh.push(format!("附件{}个", report.evidence.len()));
                en.push(format!("{} file(s)", report.evidence.len()));
            }
            if *needs_approval {
                zh.push("待审批".to_owned());
                en.push("awaiting approval".to_owned());
            }
            if zh.is_empty() {
                line("完成汇报", "Completion report", &report.text)
            } else {
                line(
                    format!("完成汇报({})", zh.join(",")),
                    format!("Completion report ({})", en.join(", ")),
                    &report.text,
                )
            }
        }
        E::ReportApproved { opinion, .. } => line("汇报审批通过", "Report approved", opinion),
        E::ReportReturned { opinion, .. } => line("汇报审批退回", "Report returned", opinion),
        E::Accepted { opinion } => line("复核通过", "Accepted on review", opinion),
        E::ReturnedForRework {
            reason,
            new_deadline,
        } => {
            let d = when(calendar, *new_deadline);
            line(
                format!("退办重办(新期限 {d})"),
                format!("Returned for rework (new deadline {d})"),
                reason,
            )
        }
        E::Rated { stars, opinion } => line(
            format!("领导评价({stars}星)"),
            format!("Rated ({stars} stars)"),
            opinion,
        ),
        E::ScoreAdjusted { points, reason, .. } => {
            let sign = if points.0 > 0 { "+" } else { "" };
            line(
                format!("考核调整({sign}{points}分)"),
                format!("Score adjusted ({sign}{points} points)"),
                reason,
            )
        }
        E::ExtensionRequested { nth, until, reason } => {
            let d = when(calendar, *until);
            line(
                format!("第{nth}次延时申请(延至 {d})"),
                format!("Extension request {nth} (until {d})"),
                reason,
            )
        }
        E::ExtensionApproved { until, opinion } => {
            let d = when(calendar, *until);
            line(
                format!("延时申请批准(延至 {d})"),
                format!("Extension approved (until {d})"),
                opinion,
            )
        }
        E::ExtensionRefused { opinion } => line("延时申请不予批准", "Extension refused", opinion),
        E::SuspensionRequested { reason } => line("暂停申请", "Suspension requested", reason),
        E::Suspended { opinion } => {
            line("暂停办理(计时停止)", "Suspended (the clock stops)", opinion)
        }
        E::SuspensionRefused { opinion } => line("暂停申请不予批准", "Suspension refused", opinion),
        E::ResumptionRequested { reason } => line("恢复申请", "Resumption requested", reason),
        E::Resumed {
            opinion,
            new_deadline,
            ..
        } => {
            let d = when(calendar, *new_deadline);
            line(
                format!("恢复办理(新期限 {d})"),
                format!("Resumed (new deadline {d})"),
                opinion,
            )
        }
        E::ResumptionRefused { opinion } => line("恢复申请不予批准", "Resumption refused", opinion),
        E::Revoked { reason } => line("撤销", "Revoked", reason),
        E::Closed => line("办结", "Closed", ""),
        E::Archived => line("归档", "Archived", ""),
        E::Urged {
            channel,
            note,
            call,
        } => match (channel, call) {
            (UrgeChannel::Message, _) => line("催办(消息)", "Urged (message)", note),
            (UrgeChannel::Phone, None) => line("催办(电话)", "Urged (by phone)", note),
            (UrgeChannel::Phone, Some(c)) => {
                let at = calendar.to_local(c.at).format("%Y-%m-%d %H:%M");
                line(
                    format!("催办(电话,{at},接听人 {})", c.answered_by),
                    format!("Urged (by phone at {at}, answered by {})", c.answered_by),
                    note,
                )
            }
        },
        E::Escalated { reason } => line("督办升级", "Escalated", reason),
        E::Instructed { text, .. } => line("领导批示", "Instruction", text),
        E::Commented { text, reply_to, .. } => match reply_to {
            Some(_) => line("回复", "Reply", text),
            None => line("评论", "Comment", text),
        },
        E::Followed => line("关注", "Followed", ""),
        E::Unfollowed => line("取消关注", "Unfollowed", ""),
        E::ReportRequested {
            period_index,
            period,
            due,
        } => {
            let n = period_index.saturating_add(1);
            let (zh, en) = period_names(*period);
            let d = when(calendar, *due);
            line(
                format!("要求定期汇报(每{zh}第{n}期,{d}前报送)"),
                format!("Periodic report requested ({en}, no. {n}, due {d})"),
                "",
            )
        }
        E::Reminded { kind, .. } => match kind {
            ReminderKind::Unreceived => line("提醒签收", "Reminder: not received yet", ""),
            ReminderKind::BeforeDeadline { working_days } => line(
                format!("临近截止提醒(剩{working_days}个工作日)"),
                format!("Reminder: {working_days} working days to the deadline"),
                "",
            ),
            ReminderKind::Milestone { id } => line(
                format!("节点到期提醒(节点{id})"),
                format!("Reminder: milestone {id} due soon"),
                "",
            ),
        },
        E::OrderAccepted { urgent, note } => {
            if *urgent {
                line(
                    "受理(紧急公共安全事项,即时受理并报告领导)",
                    "Accepted (an urgent public-safety matter: accepted at once, leaders told)",
                    note,
                )
            } else {
                line("受理", "Accepted", note)
            }
        }
        E::OrderRefused { reason, note } => {
            let (zh, en, said) = match reason {
                NonAcceptance::OutsideRemit { refer_to } => (
                    format!("不予受理:不属于受理范围,告知向{refer_to}反映"),
                    format!(
                        "Not accepted: outside our remit; the caller is referred to {refer_to}"
                    ),
                    note.clone(),
                ),
                NonAcceptance::LegalChannel { channel } => (
                    format!("不予受理:应通过{channel}等法定途径解决"),
                    format!("Not accepted: a legal channel applies ({channel})"),
                    note.clone(),
                ),
                NonAcceptance::AlreadyAccepted { follow_up, .. } => (
                    "不予受理:同一事项已受理".to_owned(),
                    "Not accepted: the same matter was accepted already".to_owned(),
                    if note.is_empty() {
                        follow_up.clone()
                    } else {
                        format!("{follow_up}\n{note}")
                    },
                ),
                NonAcceptance::ContestedReply => (
                    "不予受理:对已答复事项不服且无新情况".to_owned(),
                    "Not accepted: a reply given already is contested without new facts".to_owned(),
                    note.clone(),
                ),
            };
            line(zh, en, &said)
        }
        E::CallerInformed {
            about,
            method,
            told_at,
            note,
        } => {
            let t = when(calendar, *told_at);
            line(
                format!("告知来电人{}({},{t})", about.zh(), method.zh()),
                format!(
                    "Caller told: {} ({}, {t})",
                    about.en().to_lowercase(),
                    method.en(),
                ),
                note,
            )
        }
        E::OrderReturned { reason } => line("退单", "Returned by the unit", reason),
        E::CommitmentRequested { until, reason } => {
            let d = when(calendar, *until);
            line(
                format!("申请承诺件(承诺{d}前办结)"),
                format!("Committed deadline requested (done by {d})"),
                reason,
            )
        }
        E::CommitmentApproved { until, opinion } => {
            let d = when(calendar, *until);
            line(
                format!("同意承诺件(期限改为{d})"),
                format!("Committed deadline approved (now due {d})"),
                opinion,
            )
        }
        E::CommitmentRefused { opinion } => {
            line("不同意承诺件", "Committed deadline refused", opinion)
        }
        E::CalledBack { answers, note } => {
            let yes = |b: bool| if b { "是" } else { "否" };
            let yes_en = |b: bool| if b { "yes" } else { "no" };
            line(
                format!(
                    "回访:{}(告知结果及依据:{};答复属实:{};存在不当行为:{})",
                    answers.satisfaction.zh(),
                    yes(answers.told_result_and_basis),
                    yes(answers.factual),
                    yes(answers.misconduct)
                ),
                format!(
                    "Called back: {} (told the result and basis: {}; reply factual: {}; misconduct: {})",
                    answers.satisfaction.en().to_lowercase(),
                    yes_en(answers.told_result_and_basis),
                    yes_en(answers.factual),
                    yes_en(answers.misconduct)
                ),
                note,
            )
        }
        E::OrderReopened {
            reason,
            new_deadline,
        } => {
            let d = when(calendar, *new_deadline);
            line(
                format!("重办(新期限 {d})"),
                format!("Reopened (due {d})"),
                reason,
            )
        }
        E::TypicalMarked { typical } => {
            if *typical {
                line("标记为典型工单", "Marked typical", "")
            } else {
                line("取消典型工单标记", "No longer marked typical", "")
            }
        }
    }
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A duty appeared for the person: it is in their inbox now and was not before (a
    /// dispatch to receive, a report to approve, a draft to dispatch again …).
    NewDuty(Duty),
    /// 催办: the item the person handles (or whose lead unit they head) was urged.
    Urged,
    /// 督办升级: the item the person handles (or whose lead unit they head) was escalated.
    Escalated,
    /// 批示: a leader's instruction on an item the person is involved in or follows.
    Instructed,
    /// 退办: the completion the person handles or reported was returned for rework.
    Returned,
    /// The person's report was returned by the report approver.
    ReportReturned,
    /// The person's request (extension, suspension, resumption) was approved or refused.
    RequestDecided,
    /// An item the person is involved in or follows was revoked.
    Revoked,
    /// A leader rated the work the person handled or reported.
    Rated,
    /// The review accepted the work the person handled or reported.
    Accepted,
    /// Someone replied to the person's comment or instruction.
    Reply,
    /// A periodic report is requested of the item the person handles.
    ReportRequested,
    /// An automatic reminder (to receive, of a near deadline or milestone) for the item the
    /// person must receive or handles.
    Reminded,
    /// An urgent public-safety work order was accepted at once: the leaders are told.
    UrgentOrder,
}

impl NoticeKind {
    /// The stable text the kind is stored and shown as: the serde name of a plain kind
    /// (`urged`), and for a new duty its serde form written out (`{"new_duty":"receive"}`).
    pub fn code(self) -> String {
        match self {
            NoticeKind::NewDuty(d) => format!(r#"{{"new_duty":"{}"}}"#, d.code()),
            NoticeKind::Urged => "urged".into(),
            NoticeKind::Escalated => "escalated".into(),
            NoticeKind::Instructed => "instructed".into(),
            NoticeKind::Returned => "returned".into(),
            NoticeKind::ReportReturned => "report_returned".into(),
            NoticeKind::RequestDecided => "request_decided".into(),
            NoticeKind::Revoked => "revoked".into(),
            NoticeKind::Rated => "rated".into(),
            NoticeKind::Accepted => "accepted".into(),
            NoticeKind::Reply => "reply".into(),
            NoticeKind::ReportRequested => "report_requested".into(),
            NoticeKind::Reminded => "reminded".into(),
            NoticeKind::UrgentOrder => "urgent_order".into(),
        }
    }
}

/// A notification for one person, short as a phone shows it, naming the item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// What it is about.
    pub kind: NoticeKind,
    /// The text in Chinese, e.g. `催办:督〔2026〕3号 道路修复`.
    pub zh: String,
    /// The text in English, e.g. `Urged: 督〔2026〕3号 道路修复`.
    pub en: String,
}

/// The item as a notification names it: its number (if any) and title.
fn item_name(state: &TaskState) -> String {
    match &state.number {
        Some(n) if state.title.is_empty() => n.to_string(),
        Some(n) => format!("{n} {}", state.title),
        None => state.title.clone(),
    }
}

/// Whether the person answers for the item's handling: a handler, or the head of the lead
/// unit itself.
fn answerable(state: &TaskState, actor: &Actor) -> bool {
    handler(state, actor)
        || (actor.roles.has(Role::UnitHead)
            && state.lead.is_some_and(|l| actor.unit == Some(l.unit)))
}

/// Whether the person handled the item or filed the completion on record.
fn did_the_work(before: &TaskState, after: &TaskState, actor: &Actor) -> bool {
    let reporter = |s: &TaskState| s.completion.map(|c| c.reported.by);
    handler(after, actor) || reporter(before) == Some(actor.id) || reporter(after) == Some(actor.id)
}

/// Whether the person is involved in the item or follows it.
fn concerned(state: &TaskState, ctx: &Context<'_>) -> bool {
    let rel = Relation::of(state, ctx.actor, ctx.units);
    rel.involved() || rel.follower
}

/// The informational notice the event carries for the person, with its texts.
fn informational(
    before: &TaskState,
    event: &Event,
    after: &TaskState,
    ctx: &Context<'_>,
) -> Option<(NoticeKind, String, String)> {
    use EventKind as E;
    use NoticeKind as N;
    let actor = ctx.actor;
    let me = actor.id;
    let asked_by = |by: Option<UserId>| by == Some(me);
    let decided = |zh: &str, en: &str| Some((N::RequestDecided, zh.to_owned(), en.to_owned()));
    match &event.kind {
        E::Urged { .. } if answerable(after, actor) => {
            Some((N::Urged, "催办".into(), "Urged".into()))
        }
        // Escalation also tells the item's leaders (R4.4: 向责任领导和分管领导报告).
        E::Escalated { .. }
            if answerable(after, actor)
                || [
                    after.responsible_leader,
                    after.deputy_leader,
                    after.instructing_leader,
                ]
                .contains(&Some(me)) =>
        {
            Some((N::Escalated, "督办升级".into(), "Escalated".into()))
        }
        E::Instructed { .. } if concerned(after, ctx) => {
            Some((N::Instructed, "领导批示".into(), "Instruction".into()))
        }
        E::ReturnedForRework { .. } if did_the_work(before, after, actor) => {
            Some((N::Returned, "退办重办".into(), "Returned for rework".into()))
        }
        E::ReportReturned { report, .. } if asked_by(before.report(*report).map(|r| r.by)) => {
            Some((
                N::ReportReturned,
                "汇报被退回".into(),
                "Report returned".into(),
            ))
        }
        E::ExtensionApproved { .. } | E::ExtensionRefused { .. } => {
            let by = before.pending_extension().map(|e| e.by);
            // A state stored before the requester was kept: the request came from the
            // handling side.
            let mine = match by {
                Some(Some(u)) => u == me,
                _ => handler(before, actor),
            };
            if !mine {
                return None;
            }
            if matches!(event.kind, E::ExtensionApproved { .. }) {
                decided("延时申请已批准", "Extension approved")
            } else {
                decided("延时申请未获批准", "Extension refused")
            }
        }
        E::Suspended { .. } if asked_by(before.suspension_request.map(|r| r.by)) => {
            decided("暂停申请已批准", "Suspension approved")
        }
        E::SuspensionRefused { .. } if asked_by(before.suspension_request.map(|r| r.by)) => {
            decided("暂停申请未获批准", "Suspension refused")
        }
        E::Resumed { .. } if asked_by(before.resumption_request.map(|r| r.by)) => {
            decided("恢复申请已批准", "Resumption approved")
        }
        E::ResumptionRefused { .. } if asked_by(before.resumption_request.map(|r| r.by)) => {
            decided("恢复申请未获批准", "Resumption refused")
        }
        E::Revoked { .. } if concerned(before, ctx) => {
            Some((N::Revoked, "已撤销".into(), "Revoked".into()))
        }
        E::Rated { stars, .. } if did_the_work(before, after, actor) => Some((
            N::Rated,
            format!("领导评价{stars}星"),
            format!("Rated {stars} stars"),
        )),
        E::Accepted { .. } if did_the_work(before, after, actor) => {
            Some((N::Accepted, "复核通过".into(), "Accepted".into()))
        }
        E::Commented {
            reply_to: Some(note),
            ..
        } if asked_by(before.note_authors.get(note).copied()) => Some((
            N::Reply,
            "回复了您的评论".into(),
            "Reply to your comment".into(),
        )),
        E::ReportRequested { .. } if handler(after, actor) => Some((
            N::ReportRequested,
            "请报送定期汇报".into(),
            "Periodic report requested".into(),
        )),
        E::OrderAccepted { urgent: true, .. }
            if actor.roles.any(&[Role::MainLeader, Role::DeputyLeader]) =>
        {
            Some((
                N::UrgentOrder,
                "紧急公共安全工单已受理".into(),
                "Urgent public-safety work order accepted".into(),
            ))
        }
        E::OrderReopened { .. } if did_the_work(before, after, actor) => {
            Some((N::Returned, "工单重办".into(), "Work order reopened".into()))
        }
        E::CommitmentApproved { .. } | E::CommitmentRefused { .. } => {
            let by = before
                .order
                .as_ref()
                .and_then(|o| o.pending_commitment())
                .map(|c| c.mark.by);
            if !asked_by(by) {
                return None;
            }
            if matches!(event.kind, E::CommitmentApproved { .. }) {
                decided("承诺件申请已同意", "Committed deadline approved")
            } else {
                decided("承诺件申请未获同意", "Committed deadline refused")
            }
        }
        E::Reminded { kind, .. } => {
            let (zh, en) = match kind {
                ReminderKind::Unreceived => {
                    let lead = after.status == Status::Dispatched && direct_lead(after, actor);
                    let joins =
                        participant(after, actor) && !after.participants_received.contains(&me);
                    if !(lead || joins) {
                        return None;
                    }
                    ("请及时签收".to_owned(), "Please receive".to_owned())
                }
                _ if !handler(after, actor) => return None,
                ReminderKind::BeforeDeadline { working_days } => (
                    format!("距截止还剩{working_days}个工作日"),
                    format!("{working_days} working days to the deadline"),
                ),
                ReminderKind::Milestone { id } => (
                    format!("节点{id}即将到期"),
                    format!("Milestone {id} due soon"),
                ),
            };
            Some((N::Reminded, zh, en))
        }
        _ => None,
    }
}

/// What, if anything, `event` tells the person `ctx.actor`: `event` is already folded into
/// `after`; `before` is the state before it.
///
/// A person is never told of their own act, nor of an item they may not read (any more).
/// An event that concerns them says so first (urged or escalated while they handle it,
/// escalated while they are one of its leaders, an instruction on an item they are involved
/// in, their work returned, their report returned, their request decided, a reply to their
/// comment, the item revoked while involved, a rating or acceptance of the work they
/// handled, a reminder); otherwise a duty
/// that appears for them ([`duties`] after and not before) is a [`NoticeKind::NewDuty`].
pub fn notice(
    before: &TaskState,
    event: &Event,
    after: &TaskState,
    ctx: &Context<'_>,
) -> Option<Notice> {
    if event.actor == ctx.actor.id
        || ctx.actor.roles.has(Role::System)
        || !may_view(after, ctx.actor, ctx.units)
    {
        return None;
    }
    let name = item_name(after);
    let make = |kind: NoticeKind, zh: &str, en: &str| Notice {
        kind,
        zh: format!("{zh}:{name}"),
        en: format!("{en}: {name}"),
    };
    if let Some((kind, zh, en)) = informational(before, event, after, ctx) {
        return Some(make(kind, &zh, &en));
    }
    let had = duties(before, ctx);
    duties(after, ctx)
        .into_iter()
        .find(|d| !had.contains(d))
        .map(|d| make(NoticeKind::NewDuty(d), d.zh(), d.en()))
}
