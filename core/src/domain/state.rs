//! An item's state, the fold of its events: `evolve(state, event) -> state`. The state keeps
//! what the rules and the derived figures need (with the position of the events behind it),
//! not the texts; those stay in the trail.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::ReminderKind;
use super::event::{Event, EventKind};
use super::model::{
    AdjustmentId, Assignee, BatchId, MilestoneSpec, NoteId, Period, Recurrence, ReportId, Source,
    TaskId, TaskNumber, Urgency, UserId, Visibility,
};
use super::order::{
    Acceptance, Callback, Commitment, CommitmentOutcome, NoticeAbout, OrderReturn, OrderState,
    Reopening, Transfer,
};
use super::policy::Points;

/// Where an item stands.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not registered yet.
    #[default]
    New,
    /// 草稿: registered, not dispatched.
    Draft,
    /// 立项审批中.
    AwaitingApproval,
    /// 已交办: waiting to be received.
    Dispatched,
    /// 已拒签: the office must re-dispatch.
    Declined,
    /// 办理中.
    InProgress,
    /// 待复核: completion reported.
    UnderReview,
    /// 已完成: review accepted, waiting to be closed.
    Completed,
    /// 已暂停: the clock is stopped.
    Suspended,
    /// 已撤销.
    Revoked,
    /// 不予受理: a hotline work order that was not accepted.
    NotAccepted,
    /// 已办结: read-only.
    Closed,
    /// 已归档: read-only.
    Archived,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 13] = [
        Status::New,
        Status::Draft,
        Status::AwaitingApproval,
        Status::Dispatched,
        Status::Declined,
        Status::InProgress,
        Status::UnderReview,
        Status::Completed,
        Status::Suspended,
        Status::Revoked,
        Status::NotAccepted,
        Status::Closed,
        Status::Archived,
    ];

    /// Whether the item has been dispatched and is being handled (the clock may run).
    pub fn is_handling(self) -> bool {
        matches!(
            self,
            Status::Dispatched | Status::InProgress | Status::UnderReview | Status::Suspended
        )
    }
}

/// The registration approval (立项审批).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Approvers in order.
    pub chain: Vec<UserId>,
    /// The approver whose turn it is.
    pub step: u32,
    /// Whether the whole chain agreed.
    pub approved: bool,
}

/// A milestone with its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// As planned.
    pub spec: MilestoneSpec,
    /// When a report said it was met, and that event's position.
    pub met: Option<(DateTime<Utc>, u64)>,
}

/// A report's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 进展汇报.
    Progress,
    /// 完成汇报.
    Completion,
}

/// Where a report stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting for report approval.
    PendingApproval,
    /// Filed (approved where approval is needed).
    Filed,
    /// Returned by its approver.
    Returned,
    /// Accepted by the review (completion reports).
    Accepted,
    /// Returned for rework by the review (completion reports).
    Reworked,
}

/// A report's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    /// Its id.
    pub id: ReportId,
    /// Progress or completion.
    pub kind: ReportKind,
    /// Who filed it.
    pub by: UserId,
    /// When it was filed.
    pub at: DateTime<Utc>,
    /// Position of the filing event.
    pub seq: u64,
    /// Progress claimed (progress reports).
    pub percent: Option<u8>,
    /// Milestone claimed.
    pub milestone: Option<u32>,
    /// Request answered.
    pub answers: Option<u32>,
    /// Where it stands.
    pub status: ReportStatus,
}

impl ReportRecord {
    fn filed(
        event: &Event,
        seq: u64,
        id: ReportId,
        kind: ReportKind,
        needs_approval: bool,
    ) -> ReportRecord {
        ReportRecord {
            id,
            kind,
            by: event.actor,
            at: event.at,
            seq,
            percent: None,
            milestone: None,
            answers: None,
            status: if needs_approval {
                ReportStatus::PendingApproval
            } else {
                ReportStatus::Filed
            },
        }
    }
}

/// A periodic report request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRequestRecord {
    /// Period number since dispatch.
    pub index: u32,
    /// Period kind.
    pub period: Period,
    /// Due.
    pub due: DateTime<Utc>,
    /// Position of the request event.
    pub seq: u64,
    /// When and where (event position) it was answered.
    pub answered: Option<(DateTime<Utc>, u64)>,
}

/// The outcome of an extension request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionOutcome {
    /// Not decided yet.
    Pending,
    /// Approved.
    Approved,
    /// Refused.
    Refused,
}

/// An extension request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRecord {
    /// Who asked (`None` in a state stored before the requester was kept).
    #[serde(default)]
    pub by: Option<UserId>,
    /// 1 or 2.
    pub nth: u8,
    /// Deadline asked for.
    pub until: DateTime<Utc>,
    /// When asked.
    pub at: DateTime<Utc>,
    /// Position of the request.
    pub seq: u64,
    /// Outcome.
    pub outcome: ExtensionOutcome,
    /// Position of the decision.
    pub decided_seq: Option<u64>,
}

/// A pending request (suspension or resumption).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    /// Who asked.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
}

/// A running suspension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    /// Since when the clock is stopped.
    pub since: DateTime<Utc>,
    /// The status to go back to.
    pub resume_to: Status,
}

/// A finished suspension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// From.
    pub from: DateTime<Utc>,
    /// To.
    pub to: DateTime<Utc>,
    /// Working seconds paused.
    pub working_secs: i64,
}

/// A dated fact with the position of the event behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Who.
    pub by: UserId,
    /// When.
    pub at: DateTime<Utc>,
    /// Event position.
    pub seq: u64,
}

/// A return for rework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRecord {
    /// When and by whom.
    pub mark: Mark,
    /// The new deadline.
    pub new_deadline: DateTime<Utc>,
    /// The deadline that was in force when the returned completion was filed.
    pub deadline_before: Option<DateTime<Utc>>,
    /// Position of the event that set that deadline.
    pub deadline_before_seq: u64,
    /// When the returned completion report was filed, and its event's position.
    pub returned_report: Option<Mark>,
}

/// A rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRecord {
    /// When and by whom.
    pub mark: Mark,
    /// 1–5.
    pub stars: u8,
}

/// A manual score adjustment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentRecord {
    /// Its id.
    pub id: AdjustmentId,
    /// When and by whom.
    pub mark: Mark,
    /// Points.
    pub points: Points,
}

/// An urging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgeRecord {
    /// When and by whom.
    pub mark: Mark,
}

/// An automatic reminder that was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRecord {
    /// About what.
    pub kind: ReminderKind,
    /// When.
    pub at: DateTime<Utc>,
    /// The deadline it referred to.
    pub deadline: Option<DateTime<Utc>>,
}

/// One completion report against the deadline in force when it was filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Round {
    /// The deadline in force.
    pub deadline: DateTime<Utc>,
    /// Position of the event that set it.
    pub deadline_seq: u64,
    /// When the completion report was filed.
    pub reported: Mark,
}

/// The completion on record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// The completion report.
    pub report: ReportId,
    /// When it was filed.
    pub reported: Mark,
    /// When the review accepted it.
    pub accepted: Option<Mark>,
}

/// An item's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// Events folded so far; the next event is number `version + 1`.
    pub version: u64,
    /// Status.
    pub status: Status,
    /// Human number.
    pub number: Option<TaskNumber>,
    /// Category code.
    pub category: String,
    /// Title.
    pub title: String,
    /// Source.
    pub source: Source,
    /// Urgency.
    pub urgency: Urgency,
    /// Visibility.
    pub visibility: Visibility,
    /// Who registered it, and when.
    pub created: Option<Mark>,
    /// The item it was decomposed from.
    pub parent: Option<TaskId>,
    /// The dispatch batch.
    pub batch: Option<BatchId>,
    /// Instructing leader.
    pub instructing_leader: Option<UserId>,
    /// Deadline asked for at registration.
    pub requested_deadline: Option<DateTime<Utc>>,
    /// Registration approval.
    pub approval: Approval,
    /// Milestones.
    pub milestones: Vec<Milestone>,
    /// Periodic reports.
    pub recurrence: Option<Recurrence>,
    /// Lead handler.
    pub lead: Option<Assignee>,
    /// Participants.
    pub participants: Vec<Assignee>,
    /// Responsible leader.
    pub responsible_leader: Option<UserId>,
    /// Deputy leader in charge.
    pub deputy_leader: Option<UserId>,
    /// Reviewer (the creator unless set).
    pub reviewer: Option<UserId>,
    /// Report approver.
    pub report_approver: Option<UserId>,
    /// Last dispatch.
    pub dispatched: Option<Mark>,
    /// How many times dispatched.
    pub dispatch_count: u32,
    /// The deadline first set at dispatch.
    pub original_deadline: Option<DateTime<Utc>>,
    /// The deadline in force (a running suspension is not counted in).
    pub deadline: Option<DateTime<Utc>>,
    /// Position of the event that set the deadline in force.
    pub deadline_seq: u64,
    /// Receipt by the lead side.
    pub received: Option<Mark>,
    /// Participants who received.
    pub participants_received: BTreeSet<UserId>,
    /// Declines.
    pub declines: Vec<Mark>,
    /// Additional handlers (共享).
    pub sharers: BTreeSet<UserId>,
    /// Subtasks.
    pub subtasks: Vec<TaskId>,
    /// Reported progress, 0–100.
    pub progress: u8,
    /// Reports.
    pub reports: Vec<ReportRecord>,
    /// Periodic report requests.
    pub report_requests: Vec<ReportRequestRecord>,
    /// The completion on record.
    pub completion: Option<Completion>,
    /// Returns for rework.
    pub returns: Vec<ReturnRecord>,
    /// Extensions.
    pub extensions: Vec<ExtensionRecord>,
    /// A suspension waiting for approval.
    pub suspension_request: Option<PendingRequest>,
    /// A resumption waiting for approval.
    pub resumption_request: Option<PendingRequest>,
    /// The running suspension.
    pub suspended: Option<Suspension>,
    /// Finished suspensions.
    pub pauses: Vec<Pause>,
    /// Urgings.
    pub urges: Vec<UrgeRecord>,
    /// Urgings since the last report (a result resets it).
    pub urges_since_result: u32,
    /// Escalation.
    pub escalated: Option<Mark>,
    /// Ratings.
    pub ratings: Vec<RatingRecord>,
    /// Manual adjustments.
    pub adjustments: Vec<AdjustmentRecord>,
    /// Comment and instruction ids.
    pub notes: BTreeSet<NoteId>,
    /// Who wrote each comment and instruction (so that a reply reaches its author).
    #[serde(default)]
    pub note_authors: BTreeMap<NoteId, UserId>,
    /// Number of instructions.
    pub instructions: u32,
    /// Everyone who gave an instruction (批示) on the item (the view "instructed", R8.2).
    #[serde(default)]
    pub instructors: BTreeSet<UserId>,
    /// Followers.
    pub followers: BTreeSet<UserId>,
    /// Reminders sent.
    pub reminders: Vec<ReminderRecord>,
    /// Revocation.
    pub revoked: Option<Mark>,
    /// Closing.
    pub closed: Option<Mark>,
    /// Archiving.
    pub archived: Option<Mark>,
    /// A hotline work order's own state; `None` for every other item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderState>,
}

impl TaskState {
    /// The creator.
    pub fn creator(&self) -> Option<UserId> {
        self.created.map(|m| m.by)
    }

    /// Who reviews: the reviewer set at dispatch, else the creator.
    pub fn effective_reviewer(&self) -> Option<UserId> {
        self.reviewer.or_else(|| self.creator())
    }

    /// The extension waiting for a decision.
    pub fn pending_extension(&self) -> Option<&ExtensionRecord> {
        self.extensions
            .iter()
            .find(|e| e.outcome == ExtensionOutcome::Pending)
    }

    /// A completion report waiting for report approval.
    pub fn pending_completion(&self) -> Option<&ReportRecord> {
        self.reports
            .iter()
            .find(|r| r.kind == ReportKind::Completion && r.status == ReportStatus::PendingApproval)
    }

    /// Every completion round so far: each completion report that was returned for rework,
    /// then the completion on record, with the deadline in force for it.
    pub fn completion_rounds(&self) -> Vec<Round> {
        let mut rounds: Vec<Round> = self
            .returns
            .iter()
            .filter_map(|r| {
                Some(Round {
                    deadline: r.deadline_before?,
                    deadline_seq: r.deadline_before_seq,
                    reported: r.returned_report?,
                })
            })
            .collect();
        if let (Some(c), Some(d)) = (self.completion, self.deadline) {
            rounds.push(Round {
                deadline: d,
                deadline_seq: self.deadline_seq,
                reported: c.reported,
            });
        }
        rounds
    }

    /// The report with this id.
    pub fn report(&self, id: ReportId) -> Option<&ReportRecord> {
        self.reports.iter().find(|r| r.id == id)
    }

    /// Checks the state's invariants; `Err` names the first one broken. Used by tests and
    /// by stores that load a state from disk.
    pub fn check_invariants(&self) -> Result<(), String> {
        let fail = |what: &str| Err(what.to_owned());
        if (self.status == Status::New) != (self.version == 0) {
            return fail("status New if and only if no event");
        }
        if self.status != Status::New && self.created.is_none() {
            return fail("a registered item has a creator");
        }
        let dispatched_statuses = [
            Status::Dispatched,
            Status::Declined,
            Status::InProgress,
            Status::UnderReview,
            Status::Completed,
            Status::Suspended,
            Status::Closed,
        ];
        if dispatched_statuses.contains(&self.status)
            && (self.lead.is_none() || self.deadline.is_none() || self.dispatched.is_none())
        {
            return fail("a dispatched item has a lead, a deadline and a dispatch time");
        }
        if (self.status == Status::Suspended) != self.suspended.is_some() {
            return fail("suspended if and only if a suspension runs");
        }
        if let Some(s) = self.suspended {
            if s.resume_to != Status::InProgress {
                return fail("a suspension resumes to in progress");
            }
        }
        if self.resumption_request.is_some() && self.status != Status::Suspended {
            return fail("resumption is asked only while suspended");
        }
        if self.suspension_request.is_some() && self.status != Status::InProgress {
            return fail("suspension is asked only while in progress");
        }
        let accepted = self.completion.map(|c| c.accepted.is_some());
        match self.status {
            Status::UnderReview if accepted != Some(false) => {
                return fail("under review means a completion waiting for review");
            }
            Status::Completed | Status::Closed if accepted != Some(true) => {
                return fail("completed means an accepted completion");
            }
            _ => {}
        }
        if self.status == Status::AwaitingApproval
            && (self.approval.step as usize) >= self.approval.chain.len()
        {
            return fail("an approval in progress has an approver");
        }
        if self.extensions.len() > 2 {
            return fail("at most two extension requests");
        }
        if self
            .extensions
            .iter()
            .filter(|e| e.outcome == ExtensionOutcome::Pending)
            .count()
            > 1
        {
            return fail("at most one pending extension");
        }
        if self.progress > 100 {
            return fail("progress at most 100");
        }
        if self.ratings.iter().any(|r| !(1..=5).contains(&r.stars)) {
            return fail("stars between 1 and 5");
        }
        let raters: BTreeSet<UserId> = self.ratings.iter().map(|r| r.mark.by).collect();
        if raters.len() != self.ratings.len() {
            return fail("one rating per leader");
        }
        if (self.status == Status::Closed) != self.closed.is_some()
            && self.status != Status::Archived
        {
            return fail("closed if and only if a close is recorded");
        }
        if (self.status == Status::Revoked) && self.revoked.is_none() {
            return fail("revoked means a revocation is recorded");
        }
        let refused = self
            .order
            .as_ref()
            .is_some_and(|o| o.non_acceptance().is_some());
        if (self.status == Status::NotAccepted) != refused && self.status != Status::Archived {
            return fail("not accepted if and only if an order's refusal is recorded");
        }
        if self.order.as_ref().is_some_and(|o| {
            o.commitments
                .iter()
                .filter(|c| c.outcome == CommitmentOutcome::Pending)
                .count()
                > 1
        }) {
            return fail("at most one pending committed-deadline request");
        }
        if (self.status == Status::Archived) != self.archived.is_some() {
            return fail("archived if and only if archiving is recorded");
        }
        if self.escalated.is_some() && !self.status.is_handling() && self.dispatched.is_none() {
            return fail("only a dispatched item is escalated");
        }
        Ok(())
    }
}

/// Folds one event into the state. Total: an event that does not fit the state changes
/// nothing but the version (events come from `decide`, which only emits fitting ones).
pub fn evolve(mut s: TaskState, event: &Event) -> TaskState {
    s.version += 1;
    let seq = s.version;
    let mark = Mark {
        by: event.actor,
        at: event.at,
        seq,
    };
    match &event.kind {
        EventKind::Registered(r) => {
            s.status = Status::Draft;
            s.number = Some(r.number.clone());
            s.category.clone_from(&r.category);
            s.title.clone_from(&r.title);
            s.source = r.source;
            s.urgency = r.urgency;
            s.visibility = r.visibility;
            s.created = Some(mark);
            s.parent = r.parent;
            s.batch = r.batch;
            s.instructing_leader = r.instructing_leader;
            s.requested_deadline = r.deadline;
            s.approval = Approval {
                chain: r.approval_chain.clone(),
                step: 0,
                approved: false,
            };
            s.milestones = milestones_from(&r.milestones);
            s.recurrence.clone_from(&r.recurrence);
            s.order = r.order.clone().map(OrderState::new);
        }
        EventKind::DraftAmended(p) => {
            // An approved draft that changes needs approving again.
            s.approval.approved = false;
            s.approval.step = 0;
            if let Some(t) = &p.title {
                s.title.clone_from(t);
            }
            if let Some(u) = p.urgency {
                s.urgency = u;
            }
            if let Some(v) = p.visibility {
                s.visibility = v;
            }
            if let Some(d) = p.deadline {
                s.requested_deadline = d;
            }
            if let Some(m) = &p.milestones {
                s.milestones = milestones_from(m);
            }
            if let Some(c) = &p.approval_chain {
                s.approval.chain.clone_from(c);
            }
        }
        EventKind::SubmittedForApproval => {
            s.status = Status::AwaitingApproval;
            s.approval.step = 0;
            s.approval.approved = false;
        }
        EventKind::RegistrationApproved { last, .. } => {
            if *last {
                s.approval.approved = true;
                s.status = Status::Draft;
            } else {
                s.approval.step += 1;
            }
        }
        EventKind::RegistrationReturned { .. } => {
            s.status = Status::Draft;
            s.approval.step = 0;
            s.approval.approved = false;
        }
        EventKind::Dispatched(order) => {
            if let Some(o) = s.order.as_mut() {
                o.first_dispatcher.get_or_insert(event.actor);
                if let (Some(before), Some(r)) = (s.lead, o.returns.last_mut()) {
                    if r.upheld.is_none() {
                        let moved = before.unit != order.lead.unit;
                        r.upheld = Some(moved);
                        if moved {
                            o.transfers.push(Transfer {
                                mark,
                                from: before.unit,
                                to: order.lead.unit,
                            });
                        }
                    }
                }
            }
            s.status = Status::Dispatched;
            s.lead = Some(order.lead);
            s.participants.clone_from(&order.participants);
            s.responsible_leader = order.responsible_leader;
            s.deputy_leader = order.deputy_leader;
            s.reviewer = order.reviewer;
            s.report_approver = order.report_approver;
            s.dispatched = Some(mark);
            s.dispatch_count += 1;
            s.deadline = order.deadline;
            s.deadline_seq = seq;
            if s.original_deadline.is_none() {
                s.original_deadline = order.deadline;
            }
            if order.report_every.is_some() {
                s.recurrence.clone_from(&order.report_every);
            }
            s.received = None;
            s.participants_received.clear();
        }
        EventKind::Received { participant } => {
            if *participant {
                s.participants_received.insert(event.actor);
            } else {
                s.received = Some(mark);
                s.status = Status::InProgress;
            }
        }
        EventKind::Declined { .. } => {
            s.declines.push(mark);
            s.status = Status::Declined;
        }
        EventKind::Decomposed(spec) => s.subtasks.push(spec.child),
        EventKind::Shared { with } => s.sharers.extend(with.iter().copied()),
        EventKind::Unshared { with } => {
            for u in with {
                s.sharers.remove(u);
            }
        }
        EventKind::ProgressReported {
            report,
            percent,
            milestone,
            answers,
            needs_approval,
        } => {
            let mut record =
                ReportRecord::filed(event, seq, report.id, ReportKind::Progress, *needs_approval);
            record.percent = Some(*percent);
            record.milestone = *milestone;
            record.answers = *answers;
            s.urges_since_result = 0;
            if !needs_approval {
                apply_progress(&mut s, &record);
            }
            s.reports.push(record);
        }
        EventKind::CompletionReported {
            report,
            needs_approval,
        } => {
            s.urges_since_result = 0;
            s.reports.push(ReportRecord::filed(
                event,
                seq,
                report.id,
                ReportKind::Completion,
                *needs_approval,
            ));
            if !needs_approval {
                complete(&mut s, report.id, mark);
            }
        }
        EventKind::ReportApproved { report, .. } => {
            if let Some(i) = s.reports.iter().position(|r| r.id == *report) {
                s.reports[i].status = ReportStatus::Filed;
                let record = s.reports[i].clone();
                match record.kind {
                    ReportKind::Progress => apply_progress(&mut s, &record),
                    ReportKind::Completion => {
                        let filed = Mark {
                            by: record.by,
                            at: record.at,
                            seq: record.seq,
                        };
                        complete(&mut s, record.id, filed);
                    }
                }
            }
        }
        EventKind::ReportReturned { report, .. } => {
            if let Some(r) = s.reports.iter_mut().find(|r| r.id == *report) {
                r.status = ReportStatus::Returned;
            }
        }
        EventKind::Accepted { .. } => accept_completion(&mut s, mark),
        EventKind::ReturnedForRework { new_deadline, .. } => rework(&mut s, mark, *new_deadline),
        EventKind::Rated { stars, .. } => s.ratings.push(RatingRecord {
            mark,
            stars: *stars,
        }),
        EventKind::ScoreAdjusted { id, points, .. } => s.adjustments.push(AdjustmentRecord {
            id: *id,
            mark,
            points: *points,
        }),
        EventKind::ExtensionRequested { nth, until, .. } => s.extensions.push(ExtensionRecord {
            by: Some(event.actor),
            nth: *nth,
            until: *until,
            at: event.at,
            seq,
            outcome: ExtensionOutcome::Pending,
            decided_seq: None,
        }),
        EventKind::ExtensionApproved { until, .. } => {
            if let Some(o) = s.order.as_mut() {
                if o.line() == super::order::Line::Environment {
                    o.owed.push(NoticeAbout::Extension);
                }
            }
            if let Some(e) = s
                .extensions
                .iter_mut()
                .find(|e| e.outcome == ExtensionOutcome::Pending)
            {
                e.outcome = ExtensionOutcome::Approved;
                e.decided_seq = Some(seq);
            }
            s.deadline = Some(*until);
            s.deadline_seq = seq;
        }
        EventKind::ExtensionRefused { .. } => {
            if let Some(e) = s
                .extensions
                .iter_mut()
                .find(|e| e.outcome == ExtensionOutcome::Pending)
            {
                e.outcome = ExtensionOutcome::Refused;
                e.decided_seq = Some(seq);
            }
        }
        EventKind::SuspensionRequested { .. } => {
            s.suspension_request = Some(PendingRequest {
                by: event.actor,
                at: event.at,
            });
        }
        EventKind::Suspended { .. } => {
            s.suspension_request = None;
            s.suspended = Some(Suspension {
                since: event.at,
                resume_to: Status::InProgress,
            });
            s.status = Status::Suspended;
        }
        EventKind::SuspensionRefused { .. } => s.suspension_request = None,
        EventKind::ResumptionRequested { .. } => {
            s.resumption_request = Some(PendingRequest {
                by: event.actor,
                at: event.at,
            });
        }
        EventKind::Resumed {
            paused_working_secs,
            new_deadline,
            ..
        } => {
            s.resumption_request = None;
            if let Some(susp) = s.suspended.take() {
                s.pauses.push(Pause {
                    from: susp.since,
                    to: event.at,
                    working_secs: *paused_working_secs,
                });
                s.status = susp.resume_to;
            }
            s.deadline = Some(*new_deadline);
            s.deadline_seq = seq;
        }
        EventKind::ResumptionRefused { .. } => s.resumption_request = None,
        EventKind::Revoked { .. } => {
            s.revoked = Some(mark);
            s.status = Status::Revoked;
            s.suspension_request = None;
            s.resumption_request = None;
            s.suspended = None;
        }
        EventKind::Closed => {
            s.closed = Some(mark);
            s.status = Status::Closed;
        }
        EventKind::Archived => {
            s.archived = Some(mark);
            s.status = Status::Archived;
        }
        EventKind::Urged { .. } => {
            s.urges.push(UrgeRecord { mark });
            s.urges_since_result += 1;
        }
        EventKind::Escalated { .. } => s.escalated = Some(mark),
        EventKind::Instructed { id, .. } => {
            s.notes.insert(*id);
            s.note_authors.insert(*id, event.actor);
            s.instructions += 1;
            s.instructors.insert(event.actor);
        }
        EventKind::Commented { id, .. } => {
            s.notes.insert(*id);
            s.note_authors.insert(*id, event.actor);
        }
        EventKind::Followed => {
            s.followers.insert(event.actor);
        }
        EventKind::Unfollowed => {
            s.followers.remove(&event.actor);
        }
        EventKind::ReportRequested {
            period_index,
            period,
            due,
        } => s.report_requests.push(ReportRequestRecord {
            index: *period_index,
            period: *period,
            due: *due,
            seq,
            answered: None,
        }),
        EventKind::Reminded { kind, deadline } => s.reminders.push(ReminderRecord {
            kind: *kind,
            at: event.at,
            deadline: *deadline,
        }),
        EventKind::OrderAccepted { urgent, .. } => {
            if let Some(o) = s.order.as_mut() {
                o.acceptance = Some(Acceptance::Accepted {
                    mark,
                    urgent: *urgent,
                });
                o.owed.push(NoticeAbout::Acceptance);
            }
        }
        EventKind::OrderRefused { reason, .. } => {
            if let Some(o) = s.order.as_mut() {
                o.acceptance = Some(Acceptance::NotAccepted {
                    mark,
                    reason: reason.clone(),
                });
                o.owed.push(NoticeAbout::Acceptance);
                s.status = Status::NotAccepted;
            }
        }
        EventKind::CallerInformed {
            about,
            method,
            told_at,
            ..
        } => {
            if let Some(o) = s.order.as_mut() {
                o.notices.push(super::order::CallerNotice {
                    mark,
                    about: *about,
                    method: *method,
                    told_at: *told_at,
                });
                if let Some(i) = o.owed.iter().position(|a| a == about) {
                    o.owed.remove(i);
                }
            }
        }
        EventKind::OrderReturned { .. } => {
            if let (Some(o), Some(lead)) = (s.order.as_mut(), s.lead) {
                o.returns.push(OrderReturn {
                    mark,
                    unit: lead.unit,
                    upheld: None,
                });
            }
            s.declines.push(mark);
            s.status = Status::Declined;
            s.suspension_request = None;
        }
        EventKind::CommitmentRequested { until, .. } => {
            let unit = s.lead.map(|l| l.unit);
            if let Some(o) = s.order.as_mut() {
                o.commitments.push(Commitment {
                    mark,
                    unit,
                    until: *until,
                    outcome: CommitmentOutcome::Pending,
                });
            }
        }
        EventKind::CommitmentApproved { until, .. } => {
            if let Some(c) = s.order.as_mut().and_then(|o| {
                o.commitments
                    .iter_mut()
                    .find(|c| c.outcome == CommitmentOutcome::Pending)
            }) {
                c.outcome = CommitmentOutcome::Approved;
            }
            s.deadline = Some(*until);
            s.deadline_seq = seq;
        }
        EventKind::CommitmentRefused { .. } => {
            if let Some(c) = s.order.as_mut().and_then(|o| {
                o.commitments
                    .iter_mut()
                    .find(|c| c.outcome == CommitmentOutcome::Pending)
            }) {
                c.outcome = CommitmentOutcome::Refused;
            }
        }
        EventKind::CalledBack { answers, .. } => {
            let unit = s.lead.map(|l| l.unit);
            if let Some(o) = s.order.as_mut() {
                o.callbacks.push(Callback {
                    mark,
                    unit,
                    answers: *answers,
                });
            }
            if answers.satisfaction.counts_satisfied() {
                accept_completion(&mut s, mark);
            }
        }
        EventKind::OrderReopened { new_deadline, .. } => {
            let unit = s.lead.map(|l| l.unit);
            rework(&mut s, mark, *new_deadline);
            if let Some(o) = s.order.as_mut() {
                o.reopenings.push(Reopening {
                    mark,
                    unit,
                    due: *new_deadline,
                });
            }
        }
        EventKind::TypicalMarked { typical } => {
            if let Some(o) = s.order.as_mut() {
                o.typical = typical.then_some(mark);
            }
        }
    }
    s
}

/// Folds a whole stream from the empty state.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> TaskState {
    events.into_iter().fold(TaskState::default(), evolve)
}

fn milestones_from(specs: &[MilestoneSpec]) -> Vec<Milestone> {
    specs
        .iter()
        .map(|spec| Milestone {
            spec: spec.clone(),
            met: None,
        })
        .collect()
}

fn apply_progress(s: &mut TaskState, record: &ReportRecord) {
    if let Some(p) = record.percent {
        s.progress = p.min(100);
    }
    if let Some(m) = record.milestone {
        if let Some(ms) = s.milestones.iter_mut().find(|x| x.spec.id == m) {
            ms.met.get_or_insert((record.at, record.seq));
        }
    }
    if let Some(i) = record.answers {
        if let Some(rq) = s.report_requests.iter_mut().find(|x| x.index == i) {
            rq.answered.get_or_insert((record.at, record.seq));
        }
    }
}

/// The review (or a satisfied call-back) accepts the completion on record.
fn accept_completion(s: &mut TaskState, mark: Mark) {
    if let Some(c) = s.completion.as_mut() {
        c.accepted = Some(mark);
        let id = c.report;
        if let Some(r) = s.reports.iter_mut().find(|r| r.id == id) {
            r.status = ReportStatus::Accepted;
        }
    }
    s.progress = 100;
    s.status = Status::Completed;
}

/// The completion on record goes back for rework (退办, or an order's 重办) with a new
/// deadline.
fn rework(s: &mut TaskState, mark: Mark, new_deadline: DateTime<Utc>) {
    let returned = s.completion.take();
    if let Some(c) = returned {
        if let Some(r) = s.reports.iter_mut().find(|r| r.id == c.report) {
            r.status = ReportStatus::Reworked;
        }
    }
    s.returns.push(ReturnRecord {
        mark,
        new_deadline,
        deadline_before: s.deadline,
        deadline_before_seq: s.deadline_seq,
        returned_report: returned.map(|c| c.reported),
    });
    s.deadline = Some(new_deadline);
    s.deadline_seq = mark.seq;
    s.status = Status::InProgress;
}

fn complete(s: &mut TaskState, report: ReportId, reported: Mark) {
    s.completion = Some(Completion {
        report,
        reported,
        accepted: None,
    });
    s.suspension_request = None;
    s.status = Status::UnderReview;
}
