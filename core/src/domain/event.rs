//! Events: what happened to an item, in the past tense. An item's events are its trail
//! (流程留痕); its state is their fold. Events carry resolved values (the deadline in force,
//! the working time paused) so that folding needs neither calendar nor policy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::{
    DispatchOrder, DraftPatch, PhoneCall, Registration, ReminderKind, ReportBody, SubtaskSpec,
    UrgeChannel,
};
use super::model::{AdjustmentId, BlobRef, NoteId, Period, ReportId, UserId};
use super::order::{CallbackAnswers, ContactMethod, NonAcceptance, NoticeAbout};
use super::policy::Points;

/// One event with who caused it and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened (UTC).
    pub at: DateTime<Utc>,
    /// Who did it ([`UserId::SYSTEM`] for the scheduler).
    pub actor: UserId,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// Registered as a draft.
    Registered(Box<Registration>),
    /// The draft was edited.
    DraftAmended(Box<DraftPatch>),
    /// Sent into the registration approval chain.
    SubmittedForApproval,
    /// The approver at `step` agreed; `last` when the chain is complete.
    RegistrationApproved {
        /// Index in the chain.
        step: u32,
        /// Whether this was the last approver.
        last: bool,
        /// Opinion.
        opinion: String,
    },
    /// The approver at `step` returned the draft.
    RegistrationReturned {
        /// Index in the chain.
        step: u32,
        /// Opinion.
        opinion: String,
    },
    /// Dispatched; the order's deadline and reviewer are resolved.
    Dispatched(Box<DispatchOrder>),
    /// Received by the lead side, or by a participant.
    Received {
        /// Whether the receiver is a participant (the status does not change).
        participant: bool,
    },
    /// Declined by the lead unit; the office re-dispatches.
    Declined {
        /// Why.
        reason: String,
    },
    /// A subtask was carved out; its deadline is resolved.
    Decomposed(Box<SubtaskSpec>),
    /// Shared with more handlers.
    Shared {
        /// Added handlers.
        with: Vec<UserId>,
    },
    /// Shares withdrawn.
    Unshared {
        /// Removed handlers.
        with: Vec<UserId>,
    },
    /// A progress report was filed.
    ProgressReported {
        /// The report.
        report: ReportBody,
        /// Progress, 0–100.
        percent: u8,
        /// A milestone met.
        milestone: Option<u32>,
        /// The request answered.
        answers: Option<u32>,
        /// Whether it waits for report approval.
        needs_approval: bool,
    },
    /// A completion report was filed.
    CompletionReported {
        /// The report.
        report: ReportBody,
        /// Whether it waits for report approval.
        needs_approval: bool,
    },
    /// A report was approved and goes on.
    ReportApproved {
        /// Which.
        report: ReportId,
        /// Opinion.
        opinion: String,
    },
    /// A report was returned by its approver.
    ReportReturned {
        /// Which.
        report: ReportId,
        /// Opinion.
        opinion: String,
    },
    /// The review accepted the completion.
    Accepted {
        /// Opinion.
        opinion: String,
    },
    /// The review returned the item for rework (退办).
    ReturnedForRework {
        /// Why.
        reason: String,
        /// The new deadline.
        new_deadline: DateTime<Utc>,
    },
    /// A leader rated the handling.
    Rated {
        /// 1–5.
        stars: u8,
        /// Opinion.
        opinion: String,
    },
    /// A supervisor adjusted the score.
    ScoreAdjusted {
        /// Its id.
        id: AdjustmentId,
        /// Points (negative: deducted).
        points: Points,
        /// Why.
        reason: String,
    },
    /// An extension was requested; `nth` is 1 or 2.
    ExtensionRequested {
        /// First or second.
        nth: u8,
        /// The deadline asked for.
        until: DateTime<Utc>,
        /// Why.
        reason: String,
    },
    /// The pending extension was approved: the deadline moves to `until`.
    ExtensionApproved {
        /// The new deadline.
        until: DateTime<Utc>,
        /// Opinion.
        opinion: String,
    },
    /// The pending extension was refused: the deadline stays.
    ExtensionRefused {
        /// Opinion.
        opinion: String,
    },
    /// Suspension requested.
    SuspensionRequested {
        /// Why.
        reason: String,
    },
    /// Suspended: the clock stops.
    Suspended {
        /// Opinion.
        opinion: String,
    },
    /// Suspension refused.
    SuspensionRefused {
        /// Opinion.
        opinion: String,
    },
    /// Resumption requested.
    ResumptionRequested {
        /// Why.
        reason: String,
    },
    /// Resumed: the deadline moved by the working time paused.
    Resumed {
        /// Opinion.
        opinion: String,
        /// Working seconds the clock was stopped.
        paused_working_secs: i64,
        /// The deadline now in force.
        new_deadline: DateTime<Utc>,
    },
    /// Resumption refused.
    ResumptionRefused {
        /// Opinion.
        opinion: String,
    },
    /// Revoked by its creator.
    Revoked {
        /// Why.
        reason: String,
    },
    /// Closed: read-only from now on.
    Closed,
    /// Archived with its whole file.
    Archived,
    /// Urged.
    Urged {
        /// How.
        channel: UrgeChannel,
        /// What was said.
        note: String,
        /// The phone call recorded, if any (absent from older events, so their hashes hold).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call: Option<PhoneCall>,
    },
    /// Escalated (督办升级).
    Escalated {
        /// Why.
        reason: String,
    },
    /// A leader's instruction (批示).
    Instructed {
        /// Its id.
        id: NoteId,
        /// The instruction.
        text: String,
    },
    /// A comment or reply.
    Commented {
        /// Its id.
        id: NoteId,
        /// The text.
        text: String,
        /// What it answers.
        reply_to: Option<NoteId>,
    },
    /// The actor follows the item.
    Followed,
    /// The actor no longer follows it.
    Unfollowed,
    /// A periodic report was requested.
    ReportRequested {
        /// Period number since dispatch.
        period_index: u32,
        /// Period kind.
        period: Period,
        /// Due.
        due: DateTime<Utc>,
    },
    /// An automatic reminder was sent.
    Reminded {
        /// About what.
        kind: ReminderKind,
        /// The deadline it referred to.
        deadline: Option<DateTime<Utc>>,
    },
    /// The work order was accepted (受理).
    OrderAccepted {
        /// At once, as an urgent public-safety matter (the leaders are told).
        urgent: bool,
        /// A note.
        note: String,
    },
    /// The work order was not accepted (不予受理).
    OrderRefused {
        /// Why.
        reason: NonAcceptance,
        /// A note.
        note: String,
    },
    /// The caller was told.
    CallerInformed {
        /// What about.
        about: NoticeAbout,
        /// How.
        method: ContactMethod,
        /// When.
        told_at: DateTime<Utc>,
        /// What was said.
        note: String,
    },
    /// The unit returned the order (退单); the office transfers it.
    OrderReturned {
        /// Why.
        reason: String,
    },
    /// A committed deadline was asked (申请承诺件).
    CommitmentRequested {
        /// The deadline asked for.
        until: DateTime<Utc>,
        /// Why.
        reason: String,
    },
    /// The committed deadline was approved: the deadline moves to `until`.
    CommitmentApproved {
        /// The new deadline.
        until: DateTime<Utc>,
        /// Opinion.
        opinion: String,
    },
    /// The committed deadline was refused.
    CommitmentRefused {
        /// Opinion.
        opinion: String,
    },
    /// The caller was called back (回访); a satisfied or basically satisfied answer accepts
    /// the reply.
    CalledBack {
        /// The four answers.
        answers: CallbackAnswers,
        /// What the caller said.
        note: String,
    },
    /// Reopened to the same unit (重办).
    OrderReopened {
        /// Why.
        reason: String,
        /// The new deadline.
        new_deadline: DateTime<Utc>,
    },
    /// Marked typical, or unmarked.
    TypicalMarked {
        /// Typical or not.
        typical: bool,
    },
}

impl EventKind {
    /// The files the event cites (a registration's attachments, a report's evidence, with their
    /// photos' thumbnails).
    pub fn files(&self) -> Vec<&BlobRef> {
        match self {
            EventKind::Registered(r) => r.attachments.iter().flat_map(BlobRef::stored).collect(),
            EventKind::ProgressReported { report, .. }
            | EventKind::CompletionReported { report, .. } => {
                report.evidence.iter().flat_map(BlobRef::stored).collect()
            }
            _ => Vec::new(),
        }
    }
}
