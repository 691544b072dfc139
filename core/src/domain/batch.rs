//! Commands that span items, and the time-driven rules of the scheduler, as pure plans:
//! dispatch to several units (one item per unit, see docs/adr/0001), the commands that
//! create a subtask, and which reminders, report requests, urgings and escalations are due.
//! The server applies a plan in one transaction; the phone can preview it.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

use super::calendar::Calendar;
use super::command::{
    Command, DispatchOrder, Registration, ReminderKind, SubtaskSpec, UrgeChannel,
};
use super::decide::effective_deadline;
use super::model::{Assignee, BatchId, NumberBook, Period, TaskId, UserId};
use super::policy::Policy;
use super::rejection::Rejection;
use super::state::{Status, TaskState};

/// The largest batch in one action.
pub const MAX_BATCH: usize = 500;

/// A dispatch of one registration to several units at once (R2.1, R1.5).
#[derive(Clone, Debug, PartialEq)]
pub struct MultiDispatch {
    /// The batch's id.
    pub batch: BatchId,
    /// What every item is registered with (its number is allocated per item).
    pub registration: Registration,
    /// How every item is dispatched (its lead is replaced per item).
    pub order: DispatchOrder,
    /// One lead per item, with the id the client made for it.
    pub leads: Vec<(TaskId, Assignee)>,
}

/// Plans a dispatch to several units: one item per lead unit, each with its own number,
/// all in one batch. Returns each item's id with the commands that create and dispatch it.
pub fn plan_multi_dispatch(
    plan: &MultiDispatch,
    numbers: &mut NumberBook,
    policy: &Policy,
) -> Result<Vec<(TaskId, Vec<Command>)>, Rejection> {
    if plan.leads.is_empty() || plan.leads.len() > MAX_BATCH {
        return Err(Rejection::invalid(
            "input.batch_size",
            format!("一次交办应包含1到{MAX_BATCH}个单位"),
            format!("one dispatch takes 1 to {MAX_BATCH} units"),
        ));
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut leads = std::collections::BTreeSet::new();
    for (id, lead) in &plan.leads {
        if !ids.insert(*id) || !leads.insert(*lead) {
            return Err(Rejection::invalid(
                "input.batch_duplicate",
                "批量交办中有重复的事项或单位",
                "a batch names an item or a unit twice",
            ));
        }
    }
    let category = policy
        .category(&plan.registration.category)
        .ok_or_else(|| {
            Rejection::invalid("input.unknown_category", "类别不存在", "no such category")
        })?;
    let year = plan.registration.number.year;
    let mut out = Vec::with_capacity(plan.leads.len());
    for (id, lead) in &plan.leads {
        let mut registration = plan.registration.clone();
        registration.number = numbers.allocate(&category.code, &category.prefix, year);
        registration.batch = Some(plan.batch);
        let mut order = plan.order.clone();
        order.lead = *lead;
        order.participants.retain(|p| p != lead);
        out.push((
            *id,
            vec![
                Command::Register(Box::new(registration)),
                Command::Dispatch(Box::new(order)),
            ],
        ));
    }
    Ok(out)
}

/// The commands that create and dispatch a subtask from its parent's `Decomposed` event:
/// same category, urgency and visibility as the parent, the decomposer as its reviewer
/// (each subtask's handler answers to the one who decomposed it, R3.2).
pub fn subtask_commands(
    parent_id: TaskId,
    parent: &TaskState,
    spec: &SubtaskSpec,
    decomposer: UserId,
) -> Vec<Command> {
    let registration = Registration {
        category: parent.category.clone(),
        number: spec.number.clone(),
        title: spec.title.clone(),
        content: spec.content.clone(),
        source: parent.source,
        urgency: parent.urgency,
        visibility: parent.visibility,
        deadline: spec.deadline,
        attributes: Default::default(),
        attachments: Vec::new(),
        milestones: Vec::new(),
        instructing_leader: parent.instructing_leader,
        approval_chain: Vec::new(),
        recurrence: parent.recurrence.clone(),
        parent: Some(parent_id),
        batch: None,
        order: None,
    };
    let order = DispatchOrder {
        lead: spec.lead,
        participants: Vec::new(),
        responsible_leader: parent.responsible_leader,
        deputy_leader: parent.deputy_leader,
        reviewer: Some(decomposer),
        report_approver: None,
        deadline: spec.deadline,
        report_every: None,
    };
    vec![
        Command::Register(Box::new(registration)),
        Command::Dispatch(Box::new(order)),
    ]
}

/// The first day of the period holding `date`.
pub fn period_start(period: Period, date: NaiveDate) -> NaiveDate {
    match period {
        Period::Weekly => {
            let back = date.weekday().num_days_from_monday();
            date - chrono::Duration::days(i64::from(back))
        }
        Period::Monthly => date.with_day(1).unwrap_or(date),
        Period::Quarterly => {
            let month = (date.month0() / 3) * 3 + 1;
            NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date)
        }
    }
}

/// The start of the period `index` periods after the one holding `date`.
pub fn nth_period_start(period: Period, date: NaiveDate, index: u32) -> Option<NaiveDate> {
    let start = period_start(period, date);
    match period {
        Period::Weekly => start.checked_add_signed(chrono::Duration::weeks(i64::from(index))),
        Period::Monthly => start.checked_add_months(Months::new(index)),
        Period::Quarterly => start.checked_add_months(Months::new(index.saturating_mul(3))),
    }
}

/// The periodic report requests due by `now` and not yet made (R1.4): one for each period
/// that started after the dispatch, before the deadline.
pub fn due_report_requests(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Vec<Command> {
    let (Some(recurrence), Some(dispatched)) = (&state.recurrence, state.dispatched) else {
        return Vec::new();
    };
    if !matches!(state.status, Status::Dispatched | Status::InProgress) {
        return Vec::new();
    }
    let deadline = effective_deadline(state, now, calendar);
    let first = calendar.to_local(dispatched.at).date();
    let mut out = Vec::new();
    for index in 1..=10_000u32 {
        let Some(start) = nth_period_start(recurrence.period, first, index) else {
            break;
        };
        let start_at = calendar.from_local(start.and_time(chrono::NaiveTime::MIN));
        if start_at > now || deadline.is_some_and(|d| start_at >= d) {
            break;
        }
        if state.report_requests.iter().any(|r| r.index == index) {
            continue;
        }
        let due = calendar.deadline_after_working_days(start_at, recurrence.due_working_days);
        out.push(Command::RequestReport {
            period_index: index,
            period: recurrence.period,
            due,
        });
    }
    out
}

/// The automatic reminders due at `now` and not yet sent (R2.3, R4.1): unreceived
/// dispatches (at most once a working day), the deadline a few working days ahead, and
/// milestones due within a working day.
pub fn due_reminders(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Vec<Command> {
    let mut out = Vec::new();
    if !matches!(state.status, Status::Dispatched | Status::InProgress) {
        return out;
    }
    if state.status == Status::Dispatched
        && last_unreceived_nudge(state)
            .is_some_and(|t| a_working_day(calendar.working_time_between(t, now)))
    {
        out.push(Command::Remind {
            kind: ReminderKind::Unreceived,
        });
    }
    if let Some(deadline) = effective_deadline(state, now, calendar) {
        if now < deadline {
            let left =
                super::derived::schedule::days_ceil(calendar.working_time_between(now, deadline));
            let mut thresholds: Vec<u32> = policy.remind_before_working_days.clone();
            thresholds.sort_unstable();
            // Only the nearest threshold reached fires; the further ones are moot.
            if let Some(t) = thresholds.iter().find(|t| left <= i64::from(**t)) {
                let kind = ReminderKind::BeforeDeadline { working_days: *t };
                if !state
                    .reminders
                    .iter()
                    .any(|r| r.kind == kind && r.deadline == state.deadline)
                {
                    out.push(Command::Remind { kind });
                }
            }
        }
    }
    for m in &state.milestones {
        if m.met.is_some() || m.spec.due <= now {
            continue;
        }
        let left = calendar.working_time_between(now, m.spec.due);
        let kind = ReminderKind::Milestone { id: m.spec.id };
        if !more_than_a_working_day(left) && !state.reminders.iter().any(|r| r.kind == kind) {
            out.push(Command::Remind { kind });
        }
    }
    out
}

/// The system's overdue urging (R4.3) due at `now`: once per working day after the
/// deadline until a result, and escalation (R4.4) once the urgings without result reach
/// the policy's number.
pub fn due_urging(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Vec<Command> {
    let mut out = Vec::new();
    if !matches!(state.status, Status::Dispatched | Status::InProgress) {
        return out;
    }
    let Some(deadline) = effective_deadline(state, now, calendar) else {
        return out;
    };
    if now <= deadline || state.pending_completion().is_some() {
        return out;
    }
    if state.escalated.is_none() && state.urges_since_result >= policy.escalate_after_urges {
        out.push(Command::Escalate {
            // Stored in the item's trail: in the organisation's language, zh-CN, alone (the
            // trail's event says in both languages what it is; this is its reason's text).
            reason: format!("催办{}次仍未办结，自动升级", state.urges_since_result),
        });
        return out;
    }
    let last = state
        .urges
        .iter()
        .map(|u| u.mark.at)
        .max()
        .unwrap_or(deadline)
        .max(deadline);
    let first_due = state.urges.iter().all(|u| u.mark.at <= deadline);
    if first_due || a_working_day(calendar.working_time_between(last, now)) {
        out.push(Command::Urge {
            channel: UrgeChannel::Message,
            note: "已超过办理期限，请尽快办理并汇报".into(),
            call: None,
        });
    }
    out
}

/// The last unreceived reminder, or the dispatch itself: the next one is a working day on.
fn last_unreceived_nudge(state: &TaskState) -> Option<DateTime<Utc>> {
    state
        .reminders
        .iter()
        .filter(|r| r.kind == ReminderKind::Unreceived)
        .map(|r| r.at)
        .max()
        .or(state.dispatched.map(|d| d.at))
}

/// Whether this much working time makes a working day (the step of repeated reminders and
/// urging).
fn a_working_day(d: chrono::Duration) -> bool {
    d.num_hours() >= 24
}

/// Whether a milestone this far off is still more than a working day away (counted in
/// whole hours, as a person reads "1 day left").
fn more_than_a_working_day(left: chrono::Duration) -> bool {
    left.num_hours() > 24
}

/// Every time-driven command due on an item at `now`: report requests, reminders, urging
/// and escalation, in that order.
pub fn due_commands(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Vec<Command> {
    let mut out = due_report_requests(state, now, calendar);
    out.extend(due_reminders(state, now, calendar, policy));
    out.extend(due_urging(state, now, calendar, policy));
    out
}

/// The first instant in `(after, before]` at which `holds` turns true, for a `holds` that
/// turns true once and stays true (to the nanosecond); `None` if it is false at `before`,
/// or true already at `after` (a condition met before now that fired nothing is moot).
fn first_instant(
    after: DateTime<Utc>,
    before: DateTime<Utc>,
    holds: impl Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    if before <= after || holds(after) || !holds(before) {
        return None;
    }
    let (mut lo, mut hi) = (after, before);
    while hi - lo > chrono::Duration::nanoseconds(1) {
        let mid = lo + (hi - lo) / 2;
        if holds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// When the scheduler should next look at an item: `now` if a time-driven command is due
/// already, else the earliest instant after `now` at which one may fall due (a reminder
/// threshold, a milestone's last working day, the deadline passing, the next urging or
/// unreceived reminder a working day on, the next report period), or `None` for an item
/// nothing will wake (not dispatched or in progress). The candidates use the rules'
/// own conditions, so a wake is never late; one that finds nothing due (the item changed in
/// between) is simply computed again.
pub fn next_wake(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Option<DateTime<Utc>> {
    if !matches!(state.status, Status::Dispatched | Status::InProgress) {
        return None;
    }
    if !due_commands(state, now, calendar, policy).is_empty() {
        return Some(now);
    }
    let horizon = chrono::Duration::days(400);
    let a_working_day_after = |from: DateTime<Utc>| {
        first_instant(now, now.max(from) + horizon, |t| {
            a_working_day(calendar.working_time_between(from, t))
        })
    };
    let mut candidates: Vec<DateTime<Utc>> = Vec::new();
    if state.status == Status::Dispatched {
        candidates.extend(last_unreceived_nudge(state).and_then(a_working_day_after));
    }
    let deadline = effective_deadline(state, now, calendar);
    if let Some(deadline) = deadline {
        if now < deadline {
            for t in &policy.remind_before_working_days {
                candidates.extend(first_instant(now, deadline, |at| {
                    super::derived::schedule::days_ceil(calendar.working_time_between(at, deadline))
                        <= i64::from(*t)
                }));
            }
            // Urging starts the moment the deadline has passed.
            candidates.push(deadline + chrono::Duration::milliseconds(1));
        } else if state.pending_completion().is_none() {
            let last_urge = state.urges.iter().map(|u| u.mark.at).max();
            candidates.extend(
                last_urge
                    .map(|l| l.max(deadline))
                    .and_then(a_working_day_after),
            );
        }
    }
    for m in state
        .milestones
        .iter()
        .filter(|m| m.met.is_none() && m.spec.due > now)
    {
        candidates.extend(first_instant(now, m.spec.due, |at| {
            !more_than_a_working_day(calendar.working_time_between(at, m.spec.due))
        }));
    }
    if let (Some(recurrence), Some(dispatched)) = (&state.recurrence, state.dispatched) {
        let first = calendar.to_local(dispatched.at).date();
        for index in 1..=10_000u32 {
            let Some(start) = nth_period_start(recurrence.period, first, index) else {
                break;
            };
            let start_at = calendar.from_local(start.and_time(chrono::NaiveTime::MIN));
            if deadline.is_some_and(|d| start_at >= d) {
                break;
            }
            if start_at > now && !state.report_requests.iter().any(|r| r.index == index) {
                candidates.push(start_at);
                break;
            }
        }
    }
    candidates.into_iter().filter(|t| *t > now).min()
}
