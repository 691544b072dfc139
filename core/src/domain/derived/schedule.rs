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

/// The progress (0–100) the plan expects at `now`: a line through the dispatch (0 %), each
/// milestone (its planned percentage) and the deadline (100 %), interpolated in working
/// time. While suspended the plan stands still at the moment of suspension. `None` before
/// dispatch.
pub fn scheduled_progress(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Option<u8> {
    let start = state.dispatched?.at;
    let deadline = effective_deadline(state, now, calendar)?;
    let at = state.suspended.map_or(now, |s| s.since.min(now));
    let mut points: Vec<(DateTime<Utc>, u8)> = vec![(start, 0)];
    let mut milestones: Vec<(DateTime<Utc>, u8)> = state
        .milestones
        .iter()
        .map(|m| (m.spec.due, m.spec.planned_percent.min(100)))
        .filter(|(due, _)| *due > start && *due < deadline)
        .collect();
    milestones.sort();
    points.extend(milestones);
    points.push((deadline.max(start), 100));
    if at <= start {
        return Some(0);
    }
    let mut floor = 0u8;
    for pair in points.windows(2) {
        let (t0, p0) = pair[0];
        let (t1, p1) = pair[1];
        let p0 = p0.max(floor);
        let p1 = p1.max(p0);
        floor = p1;
        if at >= t1 {
            continue;
        }
        let span = calendar.working_time_between(t0, t1).num_seconds();
        if span <= 0 {
            return Some(p0);
        }
        let done = calendar
            .working_time_between(t0, at)
            .num_seconds()
            .clamp(0, span);
        let extra = i64::from(p1 - p0) * done / span;
        return Some(p0 + extra as u8);
    }
    Some(100)
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
