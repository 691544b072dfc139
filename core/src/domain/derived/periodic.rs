//! Periodic reports (R1.4) of one period, as a sheet gathers them: for an item and one of its
//! report requests, the report answering it and whether it came on time, late (by how many
//! days) or not at all.
//!
//! The rule is the score's (`score.late_reports`): a request answered after its due time is
//! late, one unanswered once its due time has passed is missing. A report that waits for
//! its approver has been filed: it is judged by when it was filed, and marked as waiting.

use chrono::{DateTime, NaiveDate, Utc};

use super::schedule::days_late;
use crate::domain::batch::nth_period_start;
use crate::domain::calendar::Calendar;
use crate::domain::policy::LateDays;
use crate::domain::state::{
    ReportKind, ReportRecord, ReportRequestRecord, ReportStatus, TaskState,
};

/// Whether a period's report came in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timeliness {
    /// Filed by its due time.
    OnTime,
    /// Filed after its due time, this many days late (at least one; counted as the policy
    /// counts days late).
    Late {
        /// Days late.
        days: i64,
    },
    /// Not filed, and its due time has passed.
    Missing,
    /// Not filed yet, and not due yet.
    NotDue,
    /// No report was requested of this item for the period (it started after the item's
    /// deadline, or the item was not in progress then).
    NotRequested,
}

impl Timeliness {
    /// Whether the sheet marks it (late or missing).
    pub fn marked(self) -> bool {
        matches!(self, Timeliness::Late { .. } | Timeliness::Missing)
    }
}

/// One item's report for one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodReport<'a> {
    /// The request, if one was made for the period.
    pub request: Option<&'a ReportRequestRecord>,
    /// The report answering it, if any.
    pub report: Option<&'a ReportRecord>,
    /// Whether that report waits for its approver.
    pub awaiting_approval: bool,
    /// On time, late, missing, not due or not requested.
    pub timeliness: Timeliness,
}

/// The first day (local) of the period of request `index` of an item: counted from the
/// period holding its dispatch, as the scheduler counts (`batch::due_report_requests`).
pub fn period_start(state: &TaskState, index: u32, calendar: &Calendar) -> Option<NaiveDate> {
    let recurrence = state.recurrence.as_ref()?;
    let dispatched = state.dispatched?;
    nth_period_start(
        recurrence.period,
        calendar.to_local(dispatched.at).date(),
        index,
    )
}

/// The index of the item's request for the period starting on `start`, if it made one.
pub fn request_starting(state: &TaskState, start: NaiveDate, calendar: &Calendar) -> Option<u32> {
    state
        .report_requests
        .iter()
        .map(|r| r.index)
        .find(|i| period_start(state, *i, calendar) == Some(start))
}

/// The report of the item for request `index` at `now`, judged with `late_days`.
pub fn period_report<'a>(
    state: &'a TaskState,
    index: u32,
    now: DateTime<Utc>,
    calendar: &Calendar,
    late_days: LateDays,
) -> PeriodReport<'a> {
    let Some(request) = state.report_requests.iter().find(|r| r.index == index) else {
        return PeriodReport {
            request: None,
            report: None,
            awaiting_approval: false,
            timeliness: Timeliness::NotRequested,
        };
    };
    // The report that answered it (the request keeps where it was filed), else one waiting
    // for its approver.
    let answering = |r: &&ReportRecord| r.kind == ReportKind::Progress && r.answers == Some(index);
    let report = match request.answered {
        Some((_, seq)) => state.reports.iter().find(|r| r.seq == seq),
        None => state
            .reports
            .iter()
            .filter(answering)
            .find(|r| r.status == ReportStatus::PendingApproval),
    };
    let awaiting_approval = report.is_some_and(|r| r.status == ReportStatus::PendingApproval);
    let filed = request.answered.map(|(at, _)| at).or(report.map(|r| r.at));
    let timeliness = match filed {
        Some(at) if at <= request.due => Timeliness::OnTime,
        Some(at) => Timeliness::Late {
            days: days_late(request.due, at, calendar, late_days),
        },
        None if now > request.due => Timeliness::Missing,
        None => Timeliness::NotDue,
    };
    PeriodReport {
        request: Some(request),
        report,
        awaiting_approval,
        timeliness,
    }
}
