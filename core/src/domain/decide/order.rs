//! The rules of hotline work orders (工单, seed 002): the order's own commands, and what
//! an order changes in the item's commands (registration, dispatch, returns instead of
//! declines, committed deadlines and the 12369 extension, the reply's template, the
//! call-back before the reply is accepted). See [`crate::domain::order`].

use chrono::{DateTime, Duration, Utc};

use super::{on_the_hour, opinion_for, optional_text, reason, text, Context, MAX_TEXT, MAX_TITLE};
use crate::domain::command::{Command, Registration};
use crate::domain::event::EventKind;
use crate::domain::model::Visibility;
use crate::domain::order::{CommitmentOutcome, Line, NonAcceptance, OrderState, Satisfaction};
use crate::domain::policy::{CategoryDef, Policy};
use crate::domain::rejection::Rejection;
use crate::domain::state::{ExtensionOutcome, TaskState};

/// How far in the future a call's time may be, for clocks that differ a little.
const CLOCK_SKEW_MINUTES: i64 = 5;

/// The longest platform order number.
const MAX_PLATFORM_NUMBER: usize = 64;

fn bad(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Rejection {
    Rejection::invalid(code, zh, en)
}

/// Checks a registration's order intake against its category; for an urgent public-safety
/// order, the acceptance that comes with it.
pub(super) fn intake(
    r: &Registration,
    category: &CategoryDef,
    ctx: &Context<'_>,
) -> Result<Option<EventKind>, Rejection> {
    let (line, intake) = match (category.order_line, &r.order) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(bad(
                "order.intake_required",
                "热线工单须填写来电时间、诉求类型、渠道和反映对象",
                "a hotline work order needs the call's time, kind, channel and subject",
            ))
        }
        (None, Some(_)) => {
            return Err(bad(
                "order.not_an_order_category",
                "该类别不是热线工单类别",
                "this category does not hold hotline work orders",
            ))
        }
        (Some(line), Some(intake)) => (line, intake),
    };
    if intake.line != line {
        return Err(bad(
            "order.wrong_line",
            "工单所属热线与类别不符",
            "the work order's hotline does not match its category",
        ));
    }
    text(
        &intake.subject,
        "input.order_subject",
        "反映对象(单位或地点)",
        "the unit or place the call is about",
        MAX_TITLE,
    )?;
    if intake.called_at > ctx.now + Duration::minutes(CLOCK_SKEW_MINUTES) {
        return Err(bad(
            "input.called_at",
            "来电时间不能晚于当前时间",
            "the call cannot be later than now",
        ));
    }
    if let Some(n) = &intake.platform_number {
        text(
            n,
            "input.platform_number",
            "平台工单编号",
            "the platform's order number",
            MAX_PLATFORM_NUMBER,
        )?;
    }
    if intake.keep_private && r.visibility == Visibility::Public {
        return Err(bad(
            "order.private_not_public",
            "来电人要求保密的工单不能公开",
            "a work order whose caller asked for confidentiality cannot be public",
        ));
    }
    Ok(intake.urgent_safety.then(|| EventKind::OrderAccepted {
        urgent: true,
        note: String::new(),
    }))
}

/// The order's state, or the refusal of an order command on an item that is not an order.
fn order_of(state: &TaskState) -> Result<&OrderState, Rejection> {
    state.order.as_ref().ok_or_else(|| {
        bad(
            "order.not_an_order",
            "该事项不是热线工单",
            "this item is not a hotline work order",
        )
    })
}

/// An order is dispatched only once accepted.
pub(super) fn may_dispatch(o: &OrderState) -> Result<(), Rejection> {
    if o.accepted_at().is_some() {
        Ok(())
    } else {
        Err(bad(
            "order.not_accepted",
            "工单尚未受理,不能派发",
            "the work order is not accepted yet; it cannot be dispatched",
        ))
    }
}

/// A unit returns an order (退单) rather than declining it.
pub(super) fn return_instead() -> Rejection {
    bad(
        "order.return_instead",
        "热线工单不适用拒签,请使用退单",
        "a hotline work order is returned (退单), not declined",
    )
}

/// The latest a 12369 order may be due: the policy's days after acceptance, or the
/// deadline of its approved extension. `None` for a 12345 order or one not accepted.
pub(super) fn environment_limit(
    state: &TaskState,
    o: &OrderState,
    policy: &Policy,
) -> Option<DateTime<Utc>> {
    if o.line() != Line::Environment {
        return None;
    }
    let base = o.accepted_at()? + Duration::days(i64::from(policy.hotline.environment_days));
    let extended = state
        .extensions
        .iter()
        .filter(|e| e.outcome == ExtensionOutcome::Approved)
        .map(|e| e.until)
        .max();
    Some(extended.map_or(base, |e| e.max(base)))
}

/// The refusal of a 12369 deadline beyond its limit.
pub(super) fn beyond_environment_limit(policy: &Policy) -> Rejection {
    let days = policy.hotline.environment_days;
    bad(
        "order.environment_deadline",
        format!("12369环保举报工单应在受理后{days}日内办结,期限不能晚于此"),
        format!(
            "a 12369 order is due within {days} days of acceptance; the deadline cannot be later"
        ),
    )
}

/// Extensions of an order: a 12345 order asks for a committed deadline instead; a 12369
/// order is extended once, by at most the policy's days.
pub(super) fn may_extend(
    state: &TaskState,
    o: &OrderState,
    until: DateTime<Utc>,
    policy: &Policy,
) -> Result<(), Rejection> {
    match o.line() {
        Line::Citizen => Err(bad(
            "order.commitment_instead",
            "12345工单不适用延时申请,需要更长时间的请申请承诺件",
            "a 12345 work order is not extended; ask for a committed deadline instead",
        )),
        Line::Environment => {
            if !state.extensions.is_empty() {
                return Err(bad(
                    "order.extension_once",
                    "12369工单只能延期一次",
                    "a 12369 work order is extended once only",
                ));
            }
            let days = policy.hotline.environment_extension_days;
            let deadline = state.deadline.unwrap_or(until);
            if until > deadline + Duration::days(i64::from(days)) {
                return Err(bad(
                    "order.extension_too_long",
                    format!("12369工单延期不得超过{days}日"),
                    format!("a 12369 work order is extended by at most {days} days"),
                ));
            }
            Ok(())
        }
    }
}

/// The reply follows the office's template: every section, as `【name】` followed by its
/// text, in the template's order.
pub(super) fn reply_follows_template(reply: &str, sections: &[String]) -> Result<(), Rejection> {
    let mut rest = reply;
    for (i, name) in sections.iter().enumerate() {
        let head = format!("【{name}】");
        let missing = || {
            bad(
                "order.reply_template",
                format!("答复须按模板逐项填写,缺少“{name}”"),
                format!("the reply follows the template section by section; “{name}” is missing"),
            )
        };
        let at = rest.find(&head).ok_or_else(missing)?;
        let after = &rest[at + head.len()..];
        let end = sections
            .get(i + 1)
            .and_then(|next| after.find(&format!("【{next}】")))
            .unwrap_or(after.len());
        if after[..end].trim().is_empty() {
            return Err(missing());
        }
        rest = &after[end..];
    }
    Ok(())
}

/// The reply of an order is accepted by its call-back; the office accepts it by review only
/// after a call-back of this reply (an unsatisfied caller whose demand the office finds
/// answered).
pub(super) fn may_accept_reply(state: &TaskState, o: &OrderState) -> Result<(), Rejection> {
    if called_back(state, o).is_some() {
        Ok(())
    } else {
        Err(bad(
            "order.call_back_first",
            "工单答复须先回访来电人",
            "the caller is called back before the reply is accepted",
        ))
    }
}

/// The call-back of the reply now on record, if there was one.
fn called_back(state: &TaskState, o: &OrderState) -> Option<Satisfaction> {
    let reported = state.completion?.reported.seq;
    o.last_callback()
        .filter(|c| c.mark.seq > reported)
        .map(|c| c.answers.satisfaction)
}

/// The order's own commands.
pub(super) fn rules(
    state: &TaskState,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Vec<EventKind>, Rejection> {
    let o = order_of(state)?;
    let now = ctx.now;
    let hotline = &ctx.policy.hotline;
    let undecided = || {
        if o.acceptance.is_some() {
            Err(bad(
                "order.decided",
                "该工单已作出受理决定",
                "the work order's acceptance is decided already",
            ))
        } else {
            Ok(())
        }
    };
    let one = |k: EventKind| Ok(vec![k]);
    match command {
        Command::AcceptOrder { note } => {
            undecided()?;
            optional_text(note, "input.note", "受理意见", "the note", MAX_TEXT)?;
            one(EventKind::OrderAccepted {
                urgent: false,
                note: note.clone(),
            })
        }
        Command::RefuseOrder { reason: why, note } => {
            undecided()?;
            match why {
                NonAcceptance::OutsideRemit { refer_to } => text(
                    refer_to,
                    "input.refer_to",
                    "应向何处反映",
                    "where the caller should turn",
                    MAX_TITLE,
                )?,
                NonAcceptance::LegalChannel { channel } => text(
                    channel,
                    "input.legal_channel",
                    "适用的法定途径",
                    "the legal channel that applies",
                    MAX_TITLE,
                )?,
                NonAcceptance::AlreadyAccepted { follow_up, .. } => text(
                    follow_up,
                    "input.follow_up",
                    "来电人如何跟进原工单",
                    "how the caller follows the earlier order",
                    MAX_TEXT,
                )?,
                NonAcceptance::ContestedReply => {}
            }
            if matches!(why, NonAcceptance::ContestedReply) {
                text(
                    note,
                    "input.note",
                    "不予受理说明",
                    "an explanation",
                    MAX_TEXT,
                )?;
            } else {
                optional_text(note, "input.note", "说明", "the note", MAX_TEXT)?;
            }
            one(EventKind::OrderRefused {
                reason: why.clone(),
                note: note.clone(),
            })
        }
        Command::InformCaller {
            about,
            method,
            told_at,
            note,
        } => {
            if !o.owed.contains(about) {
                return Err(bad(
                    "order.nothing_owed",
                    "没有需要告知来电人的事项",
                    "the caller is not owed a notice about this",
                ));
            }
            let decided = o.acceptance.as_ref().map_or(now, |a| a.mark().at);
            if *told_at > now + Duration::minutes(CLOCK_SKEW_MINUTES) || *told_at < decided {
                return Err(bad(
                    "input.told_at",
                    "告知时间应在受理决定之后、当前时间之前",
                    "the caller is told after the decision and not later than now",
                ));
            }
            optional_text(note, "input.note", "告知内容", "what was said", MAX_TEXT)?;
            one(EventKind::CallerInformed {
                about: *about,
                method: *method,
                told_at: *told_at,
                note: note.clone(),
            })
        }
        Command::ReturnOrder { reason: why } => {
            reason(why)?;
            let since = state.dispatched.map_or(now, |m| m.at);
            let hours = hotline.return_hours;
            if now > since + Duration::hours(i64::from(hours)) {
                return Err(bad(
                    "order.return_too_late",
                    format!("退单须在派单后{hours}小时内提出,现已超时,请联系热线办协调"),
                    format!(
                        "a work order is returned within {hours} hours of dispatch; ask the hotline office"
                    ),
                ));
            }
            one(EventKind::OrderReturned {
                reason: why.clone(),
            })
        }
        Command::RequestCommitment { until, reason: why } => {
            reason(why)?;
            if o.line() != Line::Citizen {
                return Err(bad(
                    "order.commitment_12345_only",
                    "承诺件只适用于12345工单;12369工单按规定申请延期",
                    "committed deadlines are for 12345 orders; a 12369 order asks for its extension",
                ));
            }
            if o.pending_commitment().is_some() {
                return Err(bad(
                    "commitment.pending",
                    "已有承诺件申请待审批",
                    "a committed-deadline request is waiting for a decision already",
                ));
            }
            if !on_the_hour(ctx.calendar, *until) {
                return Err(bad(
                    "input.not_on_hour",
                    "承诺期限精确到小时(分、秒为0)",
                    "the committed deadline is set to the hour (minutes and seconds zero)",
                ));
            }
            let deadline = super::effective_deadline(state, now, ctx.calendar).unwrap_or(now);
            if *until <= deadline.max(now) {
                return Err(bad(
                    "commitment.not_later",
                    "承诺期限须晚于现有办理期限",
                    "the committed deadline must be later than the current one",
                ));
            }
            one(EventKind::CommitmentRequested {
                until: *until,
                reason: why.clone(),
            })
        }
        Command::DecideCommitment { approve, opinion } => {
            opinion_for(*approve, opinion)?;
            let Some(pending) = o.pending_commitment() else {
                return Err(bad(
                    "commitment.none_pending",
                    "没有待审批的承诺件申请",
                    "no committed-deadline request is waiting for a decision",
                ));
            };
            debug_assert_eq!(pending.outcome, CommitmentOutcome::Pending);
            if *approve {
                one(EventKind::CommitmentApproved {
                    until: ctx.calendar.roll_forward_instant(pending.until),
                    opinion: opinion.clone(),
                })
            } else {
                one(EventKind::CommitmentRefused {
                    opinion: opinion.clone(),
                })
            }
        }
        Command::CallBack { answers, note } => {
            if state.pending_completion().is_some() || state.completion.is_none() {
                return Err(bad(
                    "order.no_reply",
                    "单位尚未答复,不能回访",
                    "the unit has not replied yet; there is nothing to call back about",
                ));
            }
            if called_back(state, o).is_some() {
                return Err(bad(
                    "order.called_back",
                    "该答复已回访",
                    "this reply was called back about already",
                ));
            }
            optional_text(
                note,
                "input.note",
                "回访记录",
                "the call-back's note",
                MAX_TEXT,
            )?;
            one(EventKind::CalledBack {
                answers: *answers,
                note: note.clone(),
            })
        }
        Command::ReopenOrder { reason: why } => {
            if called_back(state, o) != Some(Satisfaction::Unsatisfied) {
                return Err(bad(
                    "order.reopen_not_unsatisfied",
                    "只有回访不满意的工单才能重办",
                    "only a work order whose call-back was unsatisfied is reopened",
                ));
            }
            reason(why)?;
            let days = hotline.reopen_working_days;
            one(EventKind::OrderReopened {
                reason: why.clone(),
                new_deadline: ctx.calendar.deadline_after_working_days(now, days),
            })
        }
        Command::MarkTypical { typical } => {
            if o.accepted_at().is_none() {
                return Err(bad(
                    "order.not_accepted",
                    "工单尚未受理",
                    "the work order is not accepted",
                ));
            }
            if o.typical.is_some() == *typical {
                return Err(bad(
                    "order.typical_unchanged",
                    if *typical {
                        "已标记为典型工单"
                    } else {
                        "未标记为典型工单"
                    },
                    if *typical {
                        "marked typical already"
                    } else {
                        "not marked typical"
                    },
                ));
            }
            one(EventKind::TypicalMarked { typical: *typical })
        }
        _ => Err(bad(
            "order.not_an_order_command",
            "不是工单操作",
            "not a work-order command",
        )),
    }
}
