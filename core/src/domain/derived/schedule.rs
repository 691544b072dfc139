//! Progress against the plan: scheduled progress (序时进度) from milestones, the progress a
//! parent rolls up from its subtasks, and how late something is in days.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use crate::domain::calendar::Calendar;
use crate::domain::decide::effective_deadline;
use crate::domain::model::TaskId;
use crate::domain::policy::LateDays;
use crate::domain::state::{Status, TaskState};

const DAY_SECS: i64 = 86_400;

/// Whole days in a duration, rounded up (a started day counts).
pub fn days_ceil(d: Duration) -> i64 {
    let secs = d.num_seconds();
    if secs <= 0 {
        0
    } else {
        (secs + DAY_SECS - 1) / DAY_SECS
    }
}

/// How many days `at` is after `deadline` (0 if on time). With working days, time that
/// falls on non-working days does not count, but anything late is at least one day late.
pub fn days_late(
    deadline: DateTime<Utc>,
    at: DateTime<Utc>,
    calendar: &Calendar,
    unit: LateDays,
) -> i64 {
    if at <= deadline {
        return 0;
    }
    let days = match unit {
        LateDays::Working => days_ceil(calendar.working_time_between(deadline, at)),
        LateDays::Calendar => days_ceil(at - deadline),
    };
    days.max(1)
}

/// Working time in `[from, to)` during which the item's clock was stopped: finished
/// suspensions, and the running one up to `now`.
fn paused_within(
    state: &TaskState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> i64 {
    let clip = |a: DateTime<Utc>, b: DateTime<Utc>| {
        let (a, b) = (a.max(from), b.min(to));
        if b > a {
            calendar.working_time_between(a, b).num_seconds()
        } else {
            0
        }
    };
    let finished: i64 = state.pauses.iter().map(|p| clip(p.from, p.to)).sum();
    let running = state.suspended.map_or(0, |s| clip(s.since, now));
    finished + running
}

/// The item's own clock at `t`: working time since dispatch, less the time it was stopped.
fn active_secs(
    state: &TaskState,
    start: DateTime<Utc>,
    t: DateTime<Utc>,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> i64 {
    if t <= start {
        return 0;
    }
    calendar.working_time_between(start, t).num_seconds()
        - paused_within(state, start, t, now, calendar)
}

/// The progress (0–100) the plan expects at `now`: a line through the dispatch (0 %), each
/// milestone (its planned percentage) and the deadline (100 %), interpolated on the item's
/// own clock — working time that stops while the item is suspended (R7.4). So the plan
/// stands still during a suspension and resumes where it stopped; milestones move with the
/// clock as the deadline does. `None` before dispatch.
pub fn scheduled_progress(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Option<u8> {
    let start = state.dispatched?.at;
    let deadline = effective_deadline(state, now, calendar)?;
    let at = active_secs(state, start, now, now, calendar);
    let end = active_secs(state, start, deadline, now, calendar);
    let mut points: Vec<(i64, u8)> = vec![(0, 0)];
    let mut milestones: Vec<(i64, u8)> = state
        .milestones
        .iter()
        .filter(|m| m.spec.due > start)
        .map(|m| {
            let x = calendar
                .working_time_between(start, m.spec.due)
                .num_seconds();
            (x, m.spec.planned_percent.min(100))
        })
        .filter(|(x, _)| *x < end)
        .collect();
    milestones.sort();
    points.extend(milestones);
    points.push((end.max(0), 100));
    if at <= 0 {
        return Some(0);
    }
    let mut floor = 0u8;
    for pair in points.windows(2) {
        let (x0, p0) = pair[0];
        let (x1, p1) = pair[1];
        let p0 = p0.max(floor);
        let p1 = p1.max(p0);
        floor = p1;
        if at >= x1 {
            continue;
        }
        let span = x1 - x0;
        if span <= 0 {
            return Some(p0);
        }
        let done = (at - x0).clamp(0, span);
        let extra = i64::from(p1 - p0) * done / span;
        return Some(p0 + extra as u8);
    }
    Some(100)
}

/// Days late in total, with the events behind them: each completion round (a report later
/// returned for rework, then the one on record) counts against the deadline in force when
/// it was filed, so a return never forgives lateness; an item still being handled also
/// counts its running lateness at `now`.
pub fn lateness(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    unit: LateDays,
) -> (i64, Vec<u64>) {
    let mut days = 0;
    let mut events = Vec::new();
    for round in state.completion_rounds() {
        let late = days_late(round.deadline, round.reported.at, calendar, unit);
        if late > 0 {
            days += late;
            events.extend([round.deadline_seq, round.reported.seq]);
        }
    }
    let handling = matches!(
        state.status,
        Status::Dispatched | Status::InProgress | Status::Suspended
    );
    if handling && state.completion.is_none() {
        let filed = state.pending_completion().map(|r| r.at);
        if let Some(deadline) = effective_deadline(state, now, calendar) {
            let late = days_late(deadline, filed.unwrap_or(now), calendar, unit);
            if late > 0 {
                days += late;
                events.push(state.deadline_seq);
            }
        }
    }
    events.sort_unstable();
    events.dedup();
    (days, events)
}

/// The item's own progress: 100 once the completion is accepted, else the last reported.
pub fn own_progress(state: &TaskState) -> u8 {
    match state.status {
        Status::Completed | Status::Closed => 100,
        Status::Archived if state.completion.is_some_and(|c| c.accepted.is_some()) => 100,
        _ => state.progress.min(100),
    }
}

/// The progress of an item with its subtasks (R3.2): an item with live subtasks shows the
/// mean of theirs (each computed the same way, to any depth); revoked subtasks do not
/// count; an accepted item is 100 whatever its subtasks say. Cycles and missing subtasks
/// are ignored.
pub fn rolled_up_progress<'a, F>(root: &TaskState, lookup: &F) -> u8
where
    F: Fn(TaskId) -> Option<&'a TaskState>,
{
    let mut visiting = BTreeSet::new();
    rollup(root, lookup, &mut visiting, 0)
}

fn rollup<'a, F>(state: &TaskState, lookup: &F, visiting: &mut BTreeSet<TaskId>, depth: usize) -> u8
where
    F: Fn(TaskId) -> Option<&'a TaskState>,
{
    let own = own_progress(state);
    if own == 100 || depth > 64 {
        return own;
    }
    let mut sum = 0u32;
    let mut n = 0u32;
    for child in &state.subtasks {
        if !visiting.insert(*child) {
            continue;
        }
        if let Some(c) = lookup(*child) {
            if c.revoked.is_none() {
                sum += u32::from(rollup(c, lookup, visiting, depth + 1));
                n += 1;
            }
        }
        visiting.remove(child);
    }
    sum.checked_div(n).map_or(own, |mean| mean as u8)
}
