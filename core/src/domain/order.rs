//! Hotline work orders (工单): the citizen-service hotline (12345) and the environmental
//! report hotline (12369), as seed 002 describes them. An order is an item of a category
//! whose [`CategoryDef::order_line`](super::policy::CategoryDef::order_line) names its line;
//! it has the same trail, permissions and confidentiality as every item, and the order's
//! own steps besides:
//!
//! - intake ([`OrderIntake`], carried by the registration), then the acceptance decision
//!   (受理 or 不予受理 with a [`NonAcceptance`] reason) and telling the caller within the
//!   policy's days ([`HotlinePolicy::inform_caller_days`]);
//! - dispatch within [`HotlinePolicy::dispatch_hours`] of acceptance; the unit may return
//!   the order (退单) within [`HotlinePolicy::return_hours`], and the office transfers it
//!   (转办) to another unit with a new dispatch;
//! - a committed deadline (承诺件) asked by the unit and decided by the office (12345), or
//!   the 12369 rule: due 60 days after acceptance, extended once by at most 30 with a
//!   leader's approval, the caller told why;
//! - the reply (the completion report, in the office's [`HotlinePolicy::reply_sections`]),
//!   the call-back (回访) by the first dispatcher with its four answers, and reopening
//!   (重办) an unsatisfied order to the same unit;
//! - typical orders (典型工单) marked by the office for the month's bulletin.
//!
//! The rules themselves are in [`super::decide`]; the state they keep is [`OrderState`];
//! the monthly figures are in [`super::derived::hotline`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::{TaskId, UnitId, UserId};
use super::policy::Points;
use super::state::Mark;

/// Which hotline an order came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    /// 12345 citizen-service hotline.
    Citizen,
    /// 12369 environmental report hotline.
    Environment,
}

/// What the caller wants (诉求类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// 咨询.
    Consultation,
    /// 求助.
    Help,
    /// 投诉.
    Complaint,
    /// 举报.
    Report,
    /// 建议.
    Suggestion,
}

/// How the order reached the office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderChannel {
    /// A phone call to the hotline.
    Phone,
    /// The web form or an app.
    Web,
    /// Posted by the upper (city) platform.
    Platform,
}

/// The order's facts at intake; the caller's name, phone and address are the category's
/// confidential attributes (`caller_name`, `caller_phone`, `caller_address`), kept apart
/// like every confidential attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderIntake {
    /// Which hotline; the category's line.
    pub line: Line,
    /// When the call (or the posting) came in.
    pub called_at: DateTime<Utc>,
    /// What the caller wants.
    pub kind: OrderKind,
    /// How it came in.
    pub channel: OrderChannel,
    /// The unit or place the call is about (被反映单位或地点).
    pub subject: String,
    /// The upper platform's order number, for an order it posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_number: Option<String>,
    /// An urgent public-safety matter: accepted at once, and the leaders told.
    #[serde(default)]
    pub urgent_safety: bool,
    /// The caller asked for confidentiality (保密件): the reply is not published.
    #[serde(default)]
    pub keep_private: bool,
}

/// Why an order is not accepted (不予受理, 12369 measures article 8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case", deny_unknown_fields)]
pub enum NonAcceptance {
    /// Outside the office's remit; the caller is told where to go.
    OutsideRemit {
        /// Where the caller should turn.
        refer_to: String,
    },
    /// A legal channel applies (litigation, arbitration, administrative review…).
    LegalChannel {
        /// Which channel.
        channel: String,
    },
    /// The same matter was accepted already; linked, and the caller told how to follow it.
    AlreadyAccepted {
        /// The order accepted before.
        of: TaskId,
        /// How the caller follows the earlier order.
        follow_up: String,
    },
    /// The caller contests a reply given already, with no new facts.
    ContestedReply,
}

impl NonAcceptance {
    /// The reason's stable code.
    pub fn code(&self) -> &'static str {
        match self {
            NonAcceptance::OutsideRemit { .. } => "outside_remit",
            NonAcceptance::LegalChannel { .. } => "legal_channel",
            NonAcceptance::AlreadyAccepted { .. } => "already_accepted",
            NonAcceptance::ContestedReply => "contested_reply",
        }
    }
}

/// How the caller was told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    /// By phone.
    Phone,
    /// By SMS.
    Sms,
    /// By letter.
    Letter,
    /// Online (web, app).
    Online,
}

/// What the caller was told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeAbout {
    /// The acceptance decision (accepted, or not and why).
    Acceptance,
    /// An extension of a 12369 order, and why.
    Extension,
}

/// The caller's satisfaction at the call-back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意.
    Satisfied,
    /// 基本满意.
    Basic,
    /// 不满意.
    Unsatisfied,
}

impl Satisfaction {
    /// Whether it counts as satisfied in the satisfaction rate (满意 and 基本满意).
    pub fn counts_satisfied(self) -> bool {
        self != Satisfaction::Unsatisfied
    }
}

/// The four answers of a call-back (回访).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackAnswers {
    /// Was the caller told the result and its basis?
    pub told_result_and_basis: bool,
    /// Is the reply factual?
    pub factual: bool,
    /// Was there misconduct by the handling unit?
    pub misconduct: bool,
    /// The caller's satisfaction.
    pub satisfaction: Satisfaction,
}

/// The hotline's numbers in the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HotlinePolicy {
    /// An accepted order is dispatched within this many hours (counted in hours): 12.
    pub dispatch_hours: u32,
    /// The caller is told the acceptance decision within this many days: 15.
    pub inform_caller_days: u32,
    /// A unit may return an order within this many hours of its dispatch: 24.
    pub return_hours: u32,
    /// A 12345 order dispatched without a deadline is due in this many working days: 5.
    pub handle_working_days: u32,
    /// A reopened order is due in this many working days: 3.
    pub reopen_working_days: u32,
    /// Orders within this many days of each other are compared for duplicates: 30.
    pub duplicate_window_days: u32,
    /// A 12369 order is due this many days after acceptance: 60.
    pub environment_days: u32,
    /// A 12369 order may be extended once by at most this many days: 30.
    pub environment_extension_days: u32,
    /// The reply's sections, in order (the office's reply template).
    pub reply_sections: Vec<String>,
    /// Points for an order whose last call-back was unsatisfied (negative: deducted).
    pub unsatisfied_points: Points,
    /// Points for an order whose last call-back was 基本满意.
    pub basic_points: Points,
    /// Points for each return the office did not uphold (the order came back to the same
    /// unit).
    pub unjustified_return_points: Points,
}

impl Default for HotlinePolicy {
    fn default() -> HotlinePolicy {
        HotlinePolicy {
            dispatch_hours: 12,
            inform_caller_days: 15,
            return_hours: 24,
            handle_working_days: 5,
            reopen_working_days: 3,
            duplicate_window_days: 30,
            environment_days: 60,
            environment_extension_days: 30,
            reply_sections: vec![
                "办理结果".to_owned(),
                "政策依据".to_owned(),
                "承办人及联系电话".to_owned(),
            ],
            unsatisfied_points: Points::whole(-2),
            basic_points: Points::ZERO,
            unjustified_return_points: Points::whole(-1),
        }
    }
}

/// A work order's reply in the office's template: each section as `【name】` followed by its
/// text (trimmed), one a line, in the template's order; a section without text is there
/// empty (the rules then refuse the reply, `order.reply_template`). The web form, the phones
/// and the acts on offer compose replies with it.
pub fn compose_reply(sections: &[String], texts: &[String]) -> String {
    sections
        .iter()
        .zip(texts.iter().chain(std::iter::repeat(&String::new())))
        .map(|(name, text)| format!("【{name}】{}", text.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The acceptance decision on record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Acceptance {
    /// Accepted (受理).
    Accepted {
        /// When and by whom.
        mark: Mark,
        /// At once, as an urgent public-safety matter.
        urgent: bool,
    },
    /// Not accepted (不予受理).
    NotAccepted {
        /// When and by whom.
        mark: Mark,
        /// Why.
        reason: NonAcceptance,
    },
}

impl Acceptance {
    /// When and by whom it was decided.
    pub fn mark(&self) -> Mark {
        match self {
            Acceptance::Accepted { mark, .. } | Acceptance::NotAccepted { mark, .. } => *mark,
        }
    }
}

/// A return (退单) by the unit leading the order at the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReturn {
    /// When and by whom.
    pub mark: Mark,
    /// The unit that returned it.
    pub unit: UnitId,
    /// Whether the office upheld it: `Some(true)` when the order then went to another unit,
    /// `Some(false)` when it came back to the same unit, `None` while undecided.
    pub upheld: Option<bool>,
}

/// A transfer (转办): a new dispatch to another unit after a return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// When and by whom.
    pub mark: Mark,
    /// The unit that returned it.
    pub from: UnitId,
    /// The unit it went to.
    pub to: UnitId,
}

/// Where a committed-deadline request (申请承诺件) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentOutcome {
    /// Waiting for the office.
    Pending,
    /// Approved: the deadline moved.
    Approved,
    /// Refused.
    Refused,
}

/// A committed-deadline request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// When and by whom.
    pub mark: Mark,
    /// The unit that asked.
    pub unit: Option<UnitId>,
    /// The deadline asked for.
    pub until: DateTime<Utc>,
    /// Where it stands.
    pub outcome: CommitmentOutcome,
}

/// A call-back on record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// When and by whom.
    pub mark: Mark,
    /// The unit whose reply was called back about.
    pub unit: Option<UnitId>,
    /// The answers.
    pub answers: CallbackAnswers,
}

/// A reopening (重办).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopening {
    /// When and by whom.
    pub mark: Mark,
    /// The unit it went back to.
    pub unit: Option<UnitId>,
    /// The new deadline.
    pub due: DateTime<Utc>,
}

/// A notice to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerNotice {
    /// Recorded when and by whom.
    pub mark: Mark,
    /// What about.
    pub about: NoticeAbout,
    /// How.
    pub method: ContactMethod,
    /// When the caller was told.
    pub told_at: DateTime<Utc>,
}

/// An order's own state, beside the item's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    /// The intake facts.
    pub intake: OrderIntake,
    /// The acceptance decision.
    pub acceptance: Option<Acceptance>,
    /// Who dispatched it first: the one who calls the caller back.
    pub first_dispatcher: Option<UserId>,
    /// Notices to the caller.
    pub notices: Vec<CallerNotice>,
    /// What the caller is still owed a notice about (acceptance, an extension).
    pub owed: Vec<NoticeAbout>,
    /// Returns.
    pub returns: Vec<OrderReturn>,
    /// Transfers.
    pub transfers: Vec<Transfer>,
    /// Committed-deadline requests.
    pub commitments: Vec<Commitment>,
    /// Call-backs.
    pub callbacks: Vec<Callback>,
    /// Reopenings.
    pub reopenings: Vec<Reopening>,
    /// Marked typical (典型工单).
    pub typical: Option<Mark>,
}

impl OrderState {
    /// A new order's state.
    pub fn new(intake: OrderIntake) -> OrderState {
        OrderState {
            intake,
            acceptance: None,
            first_dispatcher: None,
            notices: Vec::new(),
            owed: Vec::new(),
            returns: Vec::new(),
            transfers: Vec::new(),
            commitments: Vec::new(),
            callbacks: Vec::new(),
            reopenings: Vec::new(),
            typical: None,
        }
    }

    /// Which hotline.
    pub fn line(&self) -> Line {
        self.intake.line
    }

    /// When it was accepted, if it was.
    pub fn accepted_at(&self) -> Option<DateTime<Utc>> {
        match &self.acceptance {
            Some(Acceptance::Accepted { mark, .. }) => Some(mark.at),
            _ => None,
        }
    }

    /// The reason it was not accepted, if it was not.
    pub fn non_acceptance(&self) -> Option<&NonAcceptance> {
        match &self.acceptance {
            Some(Acceptance::NotAccepted { reason, .. }) => Some(reason),
            _ => None,
        }
    }

    /// The committed-deadline request waiting for the office.
    pub fn pending_commitment(&self) -> Option<&Commitment> {
        self.commitments
            .iter()
            .find(|c| c.outcome == CommitmentOutcome::Pending)
    }

    /// The last call-back.
    pub fn last_callback(&self) -> Option<&Callback> {
        self.callbacks.last()
    }

    /// The satisfaction the order ends with: that of its last call-back.
    pub fn satisfaction(&self) -> Option<Satisfaction> {
        self.last_callback().map(|c| c.answers.satisfaction)
    }
}

#[cfg(test)]
mod tests {
    use super::compose_reply;

    #[test]
    fn an_orders_reply_is_composed_section_by_section() {
        let names = vec!["办理结果".to_owned(), "政策依据".to_owned()];
        assert_eq!(
            compose_reply(&names, &[" 已处理 ".to_owned(), "第八十一条".to_owned()]),
            "【办理结果】已处理\n【政策依据】第八十一条"
        );
        // A section not sent is there without text (the core refuses the reply).
        assert_eq!(
            compose_reply(&names, &["已处理".to_owned()]),
            "【办理结果】已处理\n【政策依据】"
        );
    }
}
