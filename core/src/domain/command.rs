//! Commands: everything a person (or the scheduler) can ask of an item. A command is a
//! wish; `decide` turns it into events or refuses it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{
    AdjustmentId, Assignee, BatchId, BlobRef, MilestoneSpec, NoteId, Period, Recurrence, ReportId,
    Source, TaskId, TaskNumber, Urgency, UserId, Visibility,
};
use super::order::{CallbackAnswers, ContactMethod, NonAcceptance, NoticeAbout, OrderIntake};
use super::policy::Points;

/// Registration of a new item (立项登记, R1.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The category's code from the organisation's list.
    pub category: String,
    /// The number allocated for category and year.
    pub number: TaskNumber,
    /// Title.
    pub title: String,
    /// Content and requirements.
    pub content: String,
    /// Where it came from.
    pub source: Source,
    /// Urgency; sets the default deadline.
    pub urgency: Urgency,
    /// Who may read it.
    pub visibility: Visibility,
    /// The deadline asked for at registration; `None` takes the policy's default at dispatch.
    pub deadline: Option<DateTime<Utc>>,
    /// Category attributes (key → value), e.g. the hotline caller's name.
    pub attributes: BTreeMap<String, String>,
    /// Attached files.
    pub attachments: Vec<BlobRef>,
    /// Milestones (节点).
    pub milestones: Vec<MilestoneSpec>,
    /// The leader whose instruction started it (批示领导).
    pub instructing_leader: Option<UserId>,
    /// Registration approvers in order (立项审批); empty means none needed.
    pub approval_chain: Vec<UserId>,
    /// Recurring report requests (R1.4).
    pub recurrence: Option<Recurrence>,
    /// The item this one was decomposed from.
    pub parent: Option<TaskId>,
    /// The dispatch-to-several-units batch this item belongs to.
    pub batch: Option<BatchId>,
    /// A hotline work order's intake facts; only for a category with an order line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderIntake>,
}

/// Changes to a draft; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftPatch {
    /// New title.
    pub title: Option<String>,
    /// New content.
    pub content: Option<String>,
    /// New urgency.
    pub urgency: Option<Urgency>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New requested deadline (`Some(None)` clears it).
    pub deadline: Option<Option<DateTime<Utc>>>,
    /// New milestones.
    pub milestones: Option<Vec<MilestoneSpec>>,
    /// New approval chain.
    pub approval_chain: Option<Vec<UserId>>,
}

/// Dispatch (交办派发, R2.1) to one lead unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchOrder {
    /// The lead handler (主办).
    pub lead: Assignee,
    /// Participants (协办).
    pub participants: Vec<Assignee>,
    /// The responsible leader (责任领导).
    pub responsible_leader: Option<UserId>,
    /// The deputy leader in charge (分管领导): approves the first extension.
    pub deputy_leader: Option<UserId>,
    /// Who reviews the completion report; `None` means the creator.
    pub reviewer: Option<UserId>,
    /// Who approves reports before review (汇报审批); `None` means no approval.
    pub report_approver: Option<UserId>,
    /// The deadline; `None` takes the registration's, else the policy's default.
    pub deadline: Option<DateTime<Utc>>,
    /// Period of progress reports; `None` keeps the registration's recurrence.
    pub report_every: Option<Recurrence>,
}

/// One subtask carved out of an item (分解, R3.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubtaskSpec {
    /// The subtask's id (made by the client).
    pub child: TaskId,
    /// The subtask's number.
    pub number: TaskNumber,
    /// Title.
    pub title: String,
    /// Requirements.
    pub content: String,
    /// Its handler.
    pub lead: Assignee,
    /// Its deadline; not later than the parent's.
    pub deadline: Option<DateTime<Utc>>,
}

/// A report (工作汇报, R5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// The report's id (made by the client).
    pub id: ReportId,
    /// What was done.
    pub text: String,
    /// Evidence: photos, video, files.
    pub evidence: Vec<BlobRef>,
    /// The figures of a periodic report (R1.4): a value for each field the item's
    /// recurrence names, by its label; only on a progress report answering a request.
    /// Absent from older reports (and then not serialized, so their events hash as before).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
}

/// How an urging was delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrgeChannel {
    /// A message (push, inbox, SMS).
    Message,
    /// A phone call, recorded.
    Phone,
}

/// A phone call made to urge (电话催办): when it was made and who answered, as the caller
/// records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneCall {
    /// When the call was made (UTC; entered as the organisation's local time).
    pub at: DateTime<Utc>,
    /// Who answered, as they gave their name (e.g. `张科长`).
    pub answered_by: String,
}

/// What an automatic reminder was about (R2.3, R4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "about", rename_all = "snake_case")]
pub enum ReminderKind {
    /// The dispatch is not received yet.
    Unreceived,
    /// The deadline is this many working days away.
    BeforeDeadline {
        /// Working days left.
        working_days: u32,
    },
    /// A milestone is due soon.
    Milestone {
        /// The milestone.
        id: u32,
    },
}

/// A command on one item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// 立项 (R1.1).
    Register(Box<Registration>),
    /// Edit a draft.
    AmendDraft(Box<DraftPatch>),
    /// 立项申请: send the draft through its approval chain (R1.2).
    SubmitForApproval,
    /// 立项审批: the current approver agrees or returns (R1.2).
    DecideRegistration {
        /// Agree (true) or return (false).
        approve: bool,
        /// Opinion; required to return.
        opinion: String,
    },
    /// 交办派发 (R2.1).
    Dispatch(Box<DispatchOrder>),
    /// 签收 (R3.1).
    Receive,
    /// 拒签 (R3.1).
    Decline {
        /// Why the unit is not responsible.
        reason: String,
    },
    /// 分解 (R3.2).
    Decompose(Box<SubtaskSpec>),
    /// 共享 (R3.3).
    Share {
        /// Who else may handle.
        with: Vec<UserId>,
    },
    /// Withdraw a share.
    Unshare {
        /// Who no longer handles.
        with: Vec<UserId>,
    },
    /// 进展汇报 (R5.1).
    ReportProgress {
        /// The report.
        report: ReportBody,
        /// Progress now, 0–100.
        percent: u8,
        /// A milestone this report says is met.
        milestone: Option<u32>,
        /// The recurring request this report answers.
        answers: Option<u32>,
    },
    /// 完成汇报 (R5.1).
    ReportCompletion {
        /// The report.
        report: ReportBody,
    },
    /// 汇报审批 (R5.3).
    DecideReport {
        /// Which report.
        report: ReportId,
        /// Approve (true) or return (false).
        approve: bool,
        /// Opinion; required to return.
        opinion: String,
    },
    /// 复核 (R6.1): accept, or return for rework (退办, R7.2).
    Review {
        /// Accept (true) or return (false).
        accept: bool,
        /// Opinion; the reason when returning.
        opinion: String,
        /// The new due date when returning.
        new_deadline: Option<DateTime<Utc>>,
    },
    /// 领导评价 (R6.2).
    Rate {
        /// 1–5.
        stars: u8,
        /// The opinion.
        opinion: String,
    },
    /// 考核调整 (R6.3).
    AdjustScore {
        /// The adjustment's id (made by the client).
        id: AdjustmentId,
        /// Points added (negative: deducted).
        points: Points,
        /// Why.
        reason: String,
    },
    /// 延时申请 (R7.3).
    RequestExtension {
        /// The new deadline asked for, on the hour.
        until: DateTime<Utc>,
        /// Why.
        reason: String,
    },
    /// 延时审批 (R7.3).
    DecideExtension {
        /// Approve (true) or refuse (false).
        approve: bool,
        /// Opinion; required to refuse.
        opinion: String,
    },
    /// 暂停申请 (R7.4).
    RequestSuspension {
        /// Why.
        reason: String,
    },
    /// 暂停审批 (R7.4).
    DecideSuspension {
        /// Approve or refuse.
        approve: bool,
        /// Opinion; required to refuse.
        opinion: String,
    },
    /// 恢复申请 (R7.4).
    RequestResumption {
        /// Why now.
        reason: String,
    },
    /// 恢复审批 (R7.4).
    DecideResumption {
        /// Approve or refuse.
        approve: bool,
        /// Opinion; required to refuse.
        opinion: String,
    },
    /// 撤销 (R7.1).
    Revoke {
        /// Why.
        reason: String,
    },
    /// 办结关闭 (R7.5).
    Close,
    /// 归档 (R7.5).
    Archive,
    /// 催办 (R4.3).
    Urge {
        /// How.
        channel: UrgeChannel,
        /// What was said.
        note: String,
        /// The call, when urged by phone and recorded (absent from older commands).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call: Option<PhoneCall>,
    },
    /// 督办升级 (R4.4).
    Escalate {
        /// Why.
        reason: String,
    },
    /// 批示 (R9.1).
    Instruct {
        /// The instruction's id.
        id: NoteId,
        /// The instruction.
        text: String,
    },
    /// 评论 / 回复 (R9.1).
    Comment {
        /// The comment's id.
        id: NoteId,
        /// The text.
        text: String,
        /// The comment or instruction answered.
        reply_to: Option<NoteId>,
    },
    /// 关注.
    Follow,
    /// 取消关注.
    Unfollow,
    /// A recurring report request for one period (R1.4), issued by the scheduler.
    RequestReport {
        /// The period's number since dispatch (0 = the period holding the dispatch).
        period_index: u32,
        /// The period's kind.
        period: Period,
        /// When the report is due.
        due: DateTime<Utc>,
    },
    /// An automatic reminder was sent (R4.1, R4.2), recorded by the scheduler.
    Remind {
        /// About what.
        kind: ReminderKind,
    },
    /// 受理: the office accepts a hotline work order.
    AcceptOrder {
        /// A note for the trail.
        note: String,
    },
    /// 不予受理: the office does not accept a hotline work order, for a stated reason.
    RefuseOrder {
        /// Why.
        reason: NonAcceptance,
        /// A note for the trail.
        note: String,
    },
    /// 告知来电人: the office records that the caller was told.
    InformCaller {
        /// What about.
        about: NoticeAbout,
        /// How.
        method: ContactMethod,
        /// When the caller was told (UTC).
        told_at: DateTime<Utc>,
        /// What was said.
        note: String,
    },
    /// 退单: the unit returns a work order that is not theirs.
    ReturnOrder {
        /// Why, and whose it is.
        reason: String,
    },
    /// 申请承诺件: the unit asks for a committed deadline for a matter that needs longer.
    RequestCommitment {
        /// The deadline the unit commits to, on the hour.
        until: DateTime<Utc>,
        /// Why.
        reason: String,
    },
    /// 承诺件审批: the office approves or refuses the committed deadline.
    DecideCommitment {
        /// Approve (true) or refuse (false).
        approve: bool,
        /// Opinion; required to refuse.
        opinion: String,
    },
    /// 回访: the first dispatcher calls the caller back about the reply.
    CallBack {
        /// The four answers.
        answers: CallbackAnswers,
        /// What the caller said.
        note: String,
    },
    /// 重办: an unsatisfied order goes back to the same unit.
    ReopenOrder {
        /// Why.
        reason: String,
    },
    /// 典型工单: the office marks (or unmarks) the order as typical.
    MarkTypical {
        /// Typical (true) or not (false).
        typical: bool,
    },
}

/// The kind of a command, without its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum CommandKind {
    Register,
    AmendDraft,
    SubmitForApproval,
    DecideRegistration,
    Dispatch,
    Receive,
    Decline,
    Decompose,
    Share,
    Unshare,
    ReportProgress,
    ReportCompletion,
    DecideReport,
    Review,
    Rate,
    AdjustScore,
    RequestExtension,
    DecideExtension,
    RequestSuspension,
    DecideSuspension,
    RequestResumption,
    DecideResumption,
    Revoke,
    Close,
    Archive,
    Urge,
    Escalate,
    Instruct,
    Comment,
    Follow,
    Unfollow,
    RequestReport,
    Remind,
    AcceptOrder,
    RefuseOrder,
    InformCaller,
    ReturnOrder,
    RequestCommitment,
    DecideCommitment,
    CallBack,
    ReopenOrder,
    MarkTypical,
}

impl CommandKind {
    /// Every kind, in declaration order.
    pub const ALL: [CommandKind; 42] = [
        CommandKind::Register,
        CommandKind::AmendDraft,
        CommandKind::SubmitForApproval,
        CommandKind::DecideRegistration,
        CommandKind::Dispatch,
        CommandKind::Receive,
        CommandKind::Decline,
        CommandKind::Decompose,
        CommandKind::Share,
        CommandKind::Unshare,
        CommandKind::ReportProgress,
        CommandKind::ReportCompletion,
        CommandKind::DecideReport,
        CommandKind::Review,
        CommandKind::Rate,
        CommandKind::AdjustScore,
        CommandKind::RequestExtension,
        CommandKind::DecideExtension,
        CommandKind::RequestSuspension,
        CommandKind::DecideSuspension,
        CommandKind::RequestResumption,
        CommandKind::DecideResumption,
        CommandKind::Revoke,
        CommandKind::Close,
        CommandKind::Archive,
        CommandKind::Urge,
        CommandKind::Escalate,
        CommandKind::Instruct,
        CommandKind::Comment,
        CommandKind::Follow,
        CommandKind::Unfollow,
        CommandKind::RequestReport,
        CommandKind::Remind,
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
}

impl Command {
    /// The files the command cites (a registration's attachments, a report's evidence, with
    /// their photos' thumbnails):
    /// uploaded before it is sent, and checked to exist before it is applied.
    pub fn files(&self) -> Vec<&BlobRef> {
        match self {
            Command::Register(r) => r.attachments.iter().flat_map(BlobRef::stored).collect(),
            Command::ReportProgress { report, .. } | Command::ReportCompletion { report } => {
                report.evidence.iter().flat_map(BlobRef::stored).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The command's kind.
    pub fn kind(&self) -> CommandKind {
        use Command as C;
        use CommandKind as K;
        match self {
            C::Register(_) => K::Register,
            C::AmendDraft(_) => K::AmendDraft,
            C::SubmitForApproval => K::SubmitForApproval,
            C::DecideRegistration { .. } => K::DecideRegistration,
            C::Dispatch(_) => K::Dispatch,
            C::Receive => K::Receive,
            C::Decline { .. } => K::Decline,
            C::Decompose(_) => K::Decompose,
            C::Share { .. } => K::Share,
            C::Unshare { .. } => K::Unshare,
            C::ReportProgress { .. } => K::ReportProgress,
            C::ReportCompletion { .. } => K::ReportCompletion,
            C::DecideReport { .. } => K::DecideReport,
            C::Review { .. } => K::Review,
            C::Rate { .. } => K::Rate,
            C::AdjustScore { .. } => K::AdjustScore,
            C::RequestExtension { .. } => K::RequestExtension,
            C::DecideExtension { .. } => K::DecideExtension,
            C::RequestSuspension { .. } => K::RequestSuspension,
            C::DecideSuspension { .. } => K::DecideSuspension,
            C::RequestResumption { .. } => K::RequestResumption,
            C::DecideResumption { .. } => K::DecideResumption,
            C::Revoke { .. } => K::Revoke,
            C::Close => K::Close,
            C::Archive => K::Archive,
            C::Urge { .. } => K::Urge,
            C::Escalate { .. } => K::Escalate,
            C::Instruct { .. } => K::Instruct,
            C::Comment { .. } => K::Comment,
            C::Follow => K::Follow,
            C::Unfollow => K::Unfollow,
            C::RequestReport { .. } => K::RequestReport,
            C::Remind { .. } => K::Remind,
            C::AcceptOrder { .. } => K::AcceptOrder,
            C::RefuseOrder { .. } => K::RefuseOrder,
            C::InformCaller { .. } => K::InformCaller,
            C::ReturnOrder { .. } => K::ReturnOrder,
            C::RequestCommitment { .. } => K::RequestCommitment,
            C::DecideCommitment { .. } => K::DecideCommitment,
            C::CallBack { .. } => K::CallBack,
            C::ReopenOrder { .. } => K::ReopenOrder,
            C::MarkTypical { .. } => K::MarkTypical,
        }
    }
}
