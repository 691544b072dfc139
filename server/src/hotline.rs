//! Hotline work orders from the upper (city) platform: what the signed intake
//! (`routes::hotline`, docs/hotline-platform.md) and the spreadsheet import
//! (`hotline_import`) share — an order's fields, checked into a registration of the line's
//! category, and registered once per platform order number.
//!
//! An order is an item whose category has an order line (`duban_core::domain::order`); the
//! caller's name, phone and address are the category's confidential attributes
//! (`caller_name`, `caller_phone`, `caller_address`), split off by the authority like every
//! confidential attribute. The platform's order number is unique per line: the item's id
//! derives from it, and `hotline_platform_orders` holds it with a unique key written in the
//! registering transaction, so a second post of the number (also at the same moment) finds
//! the first item and never makes another.

use chrono::{DateTime, Datelike, Utc};
use duban_core::domain::command::Registration;
use duban_core::domain::model::{Source, TaskNumber, Urgency, Visibility};
use duban_core::domain::order::{Line, OrderChannel, OrderIntake, OrderKind};
use duban_core::domain::policy::CategoryDef;
use duban_core::domain::{Actor, Code, Command, Rejection, Role, Roles, TaskId, UserId};
use duban_core::protocol::CommandEnvelope;
use std::collections::BTreeMap;

use crate::authority::{apply, AuthorityError, Outcome};
use crate::db::{hotline as rows, DbError};
use crate::org::Org;
use crate::AppState;

/// The longest caller name, phone and address, in characters.
pub const MAX_CALLER_FIELD: usize = 200;

/// One order as the platform gives it, typed but not yet checked against the organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderInput {
    /// Which hotline.
    pub line: Line,
    /// The platform's order number (none for an order typed at the office).
    pub platform_number: Option<String>,
    /// When the call came in.
    pub called_at: DateTime<Utc>,
    /// The caller's name (confidential).
    pub caller_name: String,
    /// The caller's phone (confidential).
    pub caller_phone: String,
    /// The caller's address (confidential).
    pub caller_address: String,
    /// The unit or place the call is about.
    pub subject: String,
    /// A title; empty: the start of the content.
    pub title: String,
    /// What the caller said.
    pub content: String,
    /// What the caller wants.
    pub kind: OrderKind,
    /// How it came in.
    pub channel: OrderChannel,
    /// An urgent public-safety matter (accepted at once, the leaders told).
    pub urgent_safety: bool,
    /// The caller asked for confidentiality: the reply is not published.
    pub keep_private: bool,
    /// The platform's deadline, if it set one.
    pub deadline: Option<DateTime<Utc>>,
}

/// The category that holds the line's orders: the first with that order line.
pub fn category_of(org: &Org, line: Line) -> Option<&CategoryDef> {
    org.policy
        .categories
        .iter()
        .find(|c| c.order_line == Some(line))
}

/// The characters of a title made from the content.
const TITLE_FROM_CONTENT: usize = 40;

/// Why an order cannot be registered before the rules are asked: (field, code, zh, en).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    /// The field (`caller_phone`, `line`, …).
    pub field: &'static str,
    /// Stable code.
    pub code: &'static str,
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl InputProblem {
    /// As a rule's refusal (same code and sentences).
    pub fn rejection(&self) -> Rejection {
        Rejection::invalid(self.code, self.zh.clone(), self.en.clone())
    }
}

/// The registration of an order: the line's category, the caller's data as its
/// confidential attributes, the intake facts; the number is the server's to allocate.
/// The rules (`decide`) check the rest (the subject, the call's time, the number's length).
pub fn registration(
    input: &OrderInput,
    org: &Org,
    now: DateTime<Utc>,
) -> Result<Registration, InputProblem> {
    let Some(category) = category_of(org, input.line) else {
        return Err(InputProblem {
            field: "line",
            code: "order.no_category",
            zh: format!("本单位没有受理{}工单的类别", input.line.zh()),
            en: format!("no category holds {} work orders here", input.line.en()),
        });
    };
    let mut attributes = BTreeMap::new();
    for (key, value, zh, en) in [
        (
            "caller_name",
            &input.caller_name,
            "来电人姓名",
            "the caller's name",
        ),
        (
            "caller_phone",
            &input.caller_phone,
            "来电人电话",
            "the caller's phone",
        ),
        (
            "caller_address",
            &input.caller_address,
            "来电人地址",
            "the caller's address",
        ),
    ] {
        let value = value.trim();
        if value.chars().count() > MAX_CALLER_FIELD {
            return Err(InputProblem {
                field: key,
                code: "input.caller_too_long",
                zh: format!("{zh}不能超过{MAX_CALLER_FIELD}个字"),
                en: format!("{en} is at most {MAX_CALLER_FIELD} characters"),
            });
        }
        if !value.is_empty() {
            attributes.insert(key.to_owned(), value.to_owned());
        }
    }
    let number = input
        .platform_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(n) = number {
        attributes.insert("hotline_ticket".to_owned(), n.to_owned());
    }
    let content = input.content.trim();
    let title = match input.title.trim() {
        "" => content.chars().take(TITLE_FROM_CONTENT).collect::<String>(),
        t => t.to_owned(),
    };
    Ok(Registration {
        category: category.code.clone(),
        number: TaskNumber {
            prefix: category.prefix.clone(),
            year: org.calendar.to_local(now).year(),
            seq: 1,
        },
        title,
        content: content.to_owned(),
        source: Source::Other,
        urgency: if input.urgent_safety {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
        visibility: Visibility::Internal,
        deadline: input.deadline,
        attributes,
        attachments: Vec::new(),
        milestones: Vec::new(),
        instructing_leader: None,
        approval_chain: Vec::new(),
        recurrence: None,
        parent: None,
        batch: None,
        order: Some(OrderIntake {
            line: input.line,
            called_at: input.called_at,
            kind: input.kind,
            channel: input.channel,
            subject: input.subject.trim().to_owned(),
            platform_number: number.map(str::to_owned),
            urgent_safety: input.urgent_safety,
            keep_private: input.keep_private,
        }),
    })
}

/// The item of the platform's order `number` on `line`: the same on every replica and
/// every retry.
pub fn platform_task(line: Line, number: &str) -> TaskId {
    TaskId(crate::derived_uuid(&[
        b"duban hotline platform order v1\0",
        line.code().as_bytes(),
        b"\0",
        number.trim().as_bytes(),
    ]))
}

/// The actor that registers the orders the upper platform posts: the system
/// (`UserId::SYSTEM`, so the trail shows no person registered it). The core lets the system
/// register an order whose channel is the platform, and nothing else
/// (`permission::authorize`, `Register`).
pub fn platform_actor() -> Actor {
    Actor {
        id: UserId::SYSTEM,
        unit: None,
        roles: Roles::of(&[Role::System]),
    }
}

/// What registering an order did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intake {
    /// A new item.
    Created(TaskId),
    /// The platform's number was registered already: that item, unchanged.
    Existing(TaskId),
}

impl Intake {
    /// The item.
    pub fn task(self) -> TaskId {
        match self {
            Intake::Created(t) | Intake::Existing(t) => t,
        }
    }
}

/// The item registered for the platform's number, if any.
pub async fn existing(
    state: &AppState,
    line: Line,
    number: &str,
) -> Result<Option<TaskId>, DbError> {
    let found = rows::platform_order(&state.db, line.code(), number.trim()).await?;
    Ok(found
        .and_then(|t| uuid::Uuid::parse_str(&t).ok())
        .map(TaskId))
}

/// Registers one order as `actor` (the system for the platform's posts, the supervisor for
/// an import) through the authority. An order whose platform number is registered already
/// is that item (`Intake::Existing`), never a second one — also when two posts of it race:
/// the loser's write fails on the unique key, and the winner's item is found.
pub async fn register(
    state: &AppState,
    org: &Org,
    actor: &Actor,
    registration: Registration,
    command_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<Result<Intake, Rejection>, AuthorityError> {
    let platform = registration
        .order
        .as_ref()
        .and_then(|o| o.platform_number.clone().map(|n| (o.line, n)));
    if let Some((line, number)) = &platform {
        if let Some(task) = existing(state, *line, number).await? {
            return Ok(Ok(Intake::Existing(task)));
        }
    }
    let task = match &platform {
        Some((line, number)) => platform_task(*line, number),
        None => TaskId(uuid::Uuid::new_v4()),
    };
    let env = CommandEnvelope {
        id: command_id,
        task,
        command: Command::Register(Box::new(registration)),
    };
    let refusal = match apply(state, org, actor, &env, now).await {
        Ok(Outcome::Accepted(_)) => return Ok(Ok(Intake::Created(task))),
        Ok(Outcome::Refused(r)) | Err(AuthorityError::Conflict(r)) => r,
        Err(e) => return Err(e),
    };
    // Refused: another post of the same number may have registered it meanwhile.
    if let Some((line, number)) = &platform {
        if let Some(task) = existing(state, *line, number).await? {
            return Ok(Ok(Intake::Existing(task)));
        }
    }
    Ok(Err(refusal))
}
