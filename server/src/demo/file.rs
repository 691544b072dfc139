//! The format of `demo.toml`, the file a person edits, and its reading: serde types in the
//! file's own words (usernames, unit keys, relative times such as `"-3wd 09:30"`), checked and
//! resolved into a [`Demo`] of fixed identifiers, with the ids of reports, notes and score
//! adjustments counted in the file's order. What depends on the day, the calendar and the
//! policy is left for [`super::scenario`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveTime;
use duban_core::domain::command::{DraftPatch, ReportBody, UrgeChannel};
use duban_core::domain::model::{
    AdjustmentId, Assignee, MilestoneKind, NoteId, ReportId, Source, Urgency, Visibility,
};
use duban_core::domain::order::{
    CallbackAnswers, ContactMethod, NonAcceptance, NoticeAbout, OrderChannel, OrderKind,
    Satisfaction,
};
use duban_core::domain::{Command, Points, Role, TaskId, UnitId, UserId};
use serde::Deserialize;

use super::{DemoOrg, DemoPerson, DemoUnit};

/// Why the demo file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Not TOML, or not of the file's shape (a missing or unknown field, a wrong type).
    #[error("demo file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A username, unit key, note key or item that the file does not define (earlier).
    #[error("demo file: unknown {what} `{name}`")]
    Unknown {
        /// What kind of name.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A relative time that does not read like `"-3wd 09:30"` or `"+2wd"`.
    #[error("demo file: `{0}` is not a time like \"-3wd 09:30\" or a deadline like \"+2wd\"")]
    Time(String),
    /// Anything else the file gets wrong: a name given twice, a step with no time of day.
    #[error("demo file: {0}")]
    Invalid(String),
}

// ----- the file, as written -----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    unit: Vec<FileUnit>,
    person: Vec<FilePerson>,
    account: Vec<FileAccount>,
    item: Vec<FileItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileUnit {
    key: String,
    id: u64,
    parent: Option<String>,
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    peer_group: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePerson {
    id: u64,
    username: String,
    name: String,
    unit: String,
    position: String,
    role: Role,
    #[serde(default)]
    in_charge: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAccount {
    username: String,
    zh: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileItem {
    id: u64,
    step: Vec<FileStep>,
}

/// One step; its command's fields sit beside `at` and `by` (an unknown one is refused by
/// [`FileAct`]).
#[derive(Deserialize)]
struct FileStep {
    item: Option<u64>,
    at: String,
    by: String,
    #[serde(flatten)]
    act: FileAct,
}

/// A hotline work order's intake, on its registration (the line is the category's).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOrder {
    /// When the call came in, e.g. `"-12wd 09:05"`.
    called: String,
    kind: OrderKind,
    channel: OrderChannel,
    subject: String,
    platform_number: Option<String>,
    #[serde(default)]
    urgent_safety: bool,
    #[serde(default)]
    keep_private: bool,
}

/// Why an order is not accepted; `of` names an earlier item of the file.
#[derive(Deserialize)]
#[serde(tag = "why", rename_all = "snake_case", deny_unknown_fields)]
enum FileRefusal {
    OutsideRemit { refer_to: String },
    LegalChannel { channel: String },
    AlreadyAccepted { of: u64, follow_up: String },
    ContestedReply {},
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMilestone {
    id: u32,
    kind: MilestoneKind,
    title: String,
    due: String,
    planned_percent: u8,
}

/// The commands, named by `do`.
#[derive(Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
enum FileAct {
    Register {
        category: String,
        title: String,
        content: String,
        source: Source,
        #[serde(default)]
        urgency: Urgency,
        #[serde(default)]
        visibility: Visibility,
        instructing_leader: Option<String>,
        #[serde(default)]
        approval_chain: Vec<String>,
        #[serde(default)]
        milestones: Vec<FileMilestone>,
        ticket: Option<u32>,
        #[serde(default)]
        attributes: BTreeMap<String, String>,
        order: Option<FileOrder>,
    },
    AmendDraft {
        title: Option<String>,
        content: Option<String>,
        deadline: Option<String>,
    },
    SubmitForApproval {},
    DecideRegistration {
        approve: bool,
        opinion: String,
    },
    Dispatch {
        unit: String,
        user: Option<String>,
        deadline: Option<String>,
        #[serde(default)]
        participants: Vec<String>,
        responsible_leader: Option<String>,
        report_approver: Option<String>,
    },
    Receive {},
    Decline {
        reason: String,
    },
    Decompose {
        child: u64,
        title: String,
        content: String,
        unit: String,
        user: Option<String>,
        deadline: Option<String>,
    },
    Share {
        with: Vec<String>,
    },
    ReportProgress {
        percent: u8,
        milestone: Option<u32>,
        text: String,
    },
    ReportCompletion {
        text: String,
    },
    DecideReport {
        approve: bool,
        opinion: String,
    },
    Review {
        accept: bool,
        opinion: String,
        new_deadline: Option<String>,
    },
    Rate {
        stars: u8,
        opinion: String,
    },
    AdjustScore {
        points: f64,
        reason: String,
    },
    RequestExtension {
        until: String,
        reason: String,
    },
    DecideExtension {
        approve: bool,
        opinion: String,
    },
    RequestSuspension {
        reason: String,
    },
    DecideSuspension {
        approve: bool,
        opinion: String,
    },
    RequestResumption {
        reason: String,
    },
    DecideResumption {
        approve: bool,
        opinion: String,
    },
    Revoke {
        reason: String,
    },
    Close {},
    Archive {},
    Urge {
        channel: UrgeChannel,
        note: String,
    },
    Escalate {
        reason: String,
    },
    Instruct {
        key: Option<String>,
        text: String,
    },
    Comment {
        key: Option<String>,
        reply_to: Option<String>,
        text: String,
    },
    Follow {},
    AcceptOrder {
        #[serde(default)]
        note: String,
    },
    RefuseOrder {
        reason: FileRefusal,
        #[serde(default)]
        note: String,
    },
    /// The caller told at the step's time.
    InformCaller {
        about: NoticeAbout,
        method: ContactMethod,
        #[serde(default)]
        note: String,
    },
    ReturnOrder {
        reason: String,
    },
    RequestCommitment {
        until: String,
        reason: String,
    },
    DecideCommitment {
        approve: bool,
        opinion: String,
    },
    CallBack {
        satisfaction: Satisfaction,
        #[serde(default = "yes")]
        told_result_and_basis: bool,
        #[serde(default = "yes")]
        factual: bool,
        #[serde(default)]
        misconduct: bool,
        #[serde(default)]
        note: String,
    },
    ReopenOrder {
        reason: String,
    },
    MarkTypical {
        typical: bool,
    },
}

fn yes() -> bool {
    true
}

// ----- the file, resolved -------------------------------------------------------------------

/// The demo file, checked, with fixed identifiers.
pub(super) struct Demo {
    /// The organisation.
    pub(super) org: DemoOrg,
    /// The accounts to print: (username, role in Chinese, role in English).
    pub(super) accounts: Vec<(String, String, String)>,
    /// The scenario's steps in the file's order.
    pub(super) steps: Vec<Step>,
}

/// One step of the scenario, its times still relative.
pub(super) struct Step {
    pub(super) task: TaskId,
    pub(super) actor: UserId,
    pub(super) at: Rel,
    pub(super) act: Act,
}

/// A time relative to today, in working days: a local time of day, or (none) the end of the
/// day, i.e. a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rel {
    /// Counted back (`-`) or ahead (`+`).
    pub(super) back: bool,
    /// How many working days.
    pub(super) days: u32,
    /// The local time of day; `None` is the end of the day.
    pub(super) time: Option<NaiveTime>,
}

/// A step's command; what needs the day, the calendar or the policy is left open.
pub(super) enum Act {
    /// A command complete as it stands.
    Ready(Command),
    Register(RegisterPlan),
    Dispatch(DispatchPlan),
    Decompose(DecomposePlan),
    RequestExtension {
        until: Rel,
        reason: String,
    },
    Review {
        accept: bool,
        opinion: String,
        new_deadline: Option<Rel>,
    },
    AmendDraft {
        patch: DraftPatch,
        deadline: Option<Rel>,
    },
    /// Told at the step's own time.
    InformCaller {
        about: NoticeAbout,
        method: ContactMethod,
        note: String,
    },
    RequestCommitment {
        until: Rel,
        reason: String,
    },
}

pub(super) struct RegisterPlan {
    pub(super) category: String,
    pub(super) title: String,
    pub(super) content: String,
    pub(super) source: Source,
    pub(super) urgency: Urgency,
    pub(super) visibility: Visibility,
    pub(super) instructing_leader: Option<UserId>,
    pub(super) approval_chain: Vec<UserId>,
    pub(super) milestones: Vec<MilestonePlan>,
    pub(super) ticket: Option<u32>,
    pub(super) attributes: BTreeMap<String, String>,
    pub(super) order: Option<OrderPlan>,
}

/// A work order's intake; the line is the category's, the call's time relative.
pub(super) struct OrderPlan {
    pub(super) called: Rel,
    pub(super) kind: OrderKind,
    pub(super) channel: OrderChannel,
    pub(super) subject: String,
    pub(super) platform_number: Option<String>,
    pub(super) urgent_safety: bool,
    pub(super) keep_private: bool,
}

pub(super) struct MilestonePlan {
    pub(super) id: u32,
    pub(super) kind: MilestoneKind,
    pub(super) title: String,
    pub(super) due: Rel,
    pub(super) planned_percent: u8,
}

pub(super) struct DispatchPlan {
    pub(super) lead: Assignee,
    pub(super) participants: Vec<UnitId>,
    pub(super) deadline: Option<Rel>,
    /// Named in the file; else the deputy in charge.
    pub(super) responsible_leader: Option<UserId>,
    /// The deputy leader in charge of the unit or of a unit above it.
    pub(super) deputy: Option<UserId>,
    pub(super) report_approver: Option<UserId>,
}

pub(super) struct DecomposePlan {
    pub(super) child: TaskId,
    pub(super) title: String,
    pub(super) content: String,
    pub(super) lead: Assignee,
    pub(super) deadline: Option<Rel>,
}

/// Item `n` of the file.
fn task(n: u64) -> TaskId {
    TaskId::from_u128(0xD000 + u128::from(n))
}

fn unknown(what: &'static str, name: &str) -> DemoError {
    DemoError::Unknown {
        what,
        name: name.to_owned(),
    }
}

impl Rel {
    /// Reads `"-38wd 09:30"`, `"-28wd"` or `"+15wd"`.
    pub(super) fn parse(text: &str) -> Result<Rel, DemoError> {
        let bad = || DemoError::Time(text.to_owned());
        let (day, time) = match text.split_once(' ') {
            Some((day, time)) => (
                day,
                Some(NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| bad())?),
            ),
            None => (text, None),
        };
        let back = match day.chars().next() {
            Some('-') => true,
            Some('+') => false,
            _ => return Err(bad()),
        };
        let days = day[1..]
            .strip_suffix("wd")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .ok_or_else(bad)?;
        Ok(Rel { back, days, time })
    }
}

/// Reads a deadline (or any time) that may be absent.
fn rel(text: Option<&String>) -> Result<Option<Rel>, DemoError> {
    text.map(|t| Rel::parse(t)).transpose()
}

impl Demo {
    /// Reads and checks the demo file.
    pub(super) fn parse(source: &str) -> Result<Demo, DemoError> {
        let file: File = toml::from_str(source)?;
        let mut names = Names::default();

        let mut units = Vec::new();
        for u in &file.unit {
            let id = UnitId::from_u128(u128::from(u.id));
            let parent = u.parent.as_deref().map(|p| names.unit(p)).transpose()?;
            if names.units.insert(u.key.clone(), id).is_some()
                || units.iter().any(|x: &DemoUnit| x.id == id)
            {
                return Err(DemoError::Invalid(format!("unit `{}` twice", u.key)));
            }
            units.push(DemoUnit {
                id,
                parent,
                name: u.name.clone(),
                short_name: u.short_name.clone(),
                aliases: u.aliases.clone(),
                peer_group: u.peer_group.clone(),
            });
        }

        let mut people = Vec::new();
        for p in &file.person {
            let id = UserId::from_u128(u128::from(p.id));
            let in_charge = p
                .in_charge
                .iter()
                .map(|u| names.unit(u))
                .collect::<Result<Vec<_>, _>>()?;
            let person = DemoPerson {
                id,
                username: p.username.clone(),
                name: p.name.clone(),
                unit: Some(names.unit(&p.unit)?),
                position: p.position.clone(),
                roles: vec![p.role],
                in_charge,
            };
            if names.people.insert(p.username.clone(), id).is_some()
                || people.iter().any(|x: &DemoPerson| x.id == id)
            {
                return Err(DemoError::Invalid(format!("person `{}` twice", p.username)));
            }
            people.push(person);
        }

        let mut accounts = Vec::new();
        for a in &file.account {
            names.person(&a.username)?;
            accounts.push((a.username.clone(), a.zh.clone(), a.en.clone()));
        }

        let org = DemoOrg {
            name: file.name,
            units,
            people,
        };
        let mut reader = Reader {
            names,
            org: &org,
            reports: 0,
            notes: 0,
            adjustments: 0,
            latest_report: BTreeMap::new(),
            note_keys: BTreeMap::new(),
        };
        let mut steps = Vec::new();
        let mut items = BTreeSet::new();
        for item in &file.item {
            let block = task(item.id);
            let mut children = BTreeSet::new();
            if !items.insert(block) {
                return Err(DemoError::Invalid(format!("item {} twice", item.id)));
            }
            for step in &item.step {
                let on = match step.item {
                    None => block,
                    Some(n) if children.contains(&task(n)) => task(n),
                    Some(n) => return Err(unknown("subtask of this item", &n.to_string())),
                };
                let at = Rel::parse(&step.at)?;
                if at.time.is_none() {
                    return Err(DemoError::Invalid(format!(
                        "step at `{}` on item {}: a step needs a time of day",
                        step.at, item.id
                    )));
                }
                let act = reader.act(on, &step.act)?;
                if let Act::Decompose(d) = &act {
                    children.insert(d.child);
                }
                steps.push(Step {
                    task: on,
                    actor: reader.names.person(&step.by)?,
                    at,
                    act,
                });
            }
        }
        Ok(Demo {
            org,
            accounts,
            steps,
        })
    }
}

/// Usernames and unit keys.
#[derive(Default)]
struct Names {
    units: BTreeMap<String, UnitId>,
    people: BTreeMap<String, UserId>,
}

impl Names {
    fn unit(&self, key: &str) -> Result<UnitId, DemoError> {
        self.units
            .get(key)
            .copied()
            .ok_or_else(|| unknown("unit", key))
    }

    fn person(&self, username: &str) -> Result<UserId, DemoError> {
        self.people
            .get(username)
            .copied()
            .ok_or_else(|| unknown("username", username))
    }

    fn people(&self, usernames: &[String]) -> Result<Vec<UserId>, DemoError> {
        usernames.iter().map(|u| self.person(u)).collect()
    }

    fn opt_person(&self, username: Option<&String>) -> Result<Option<UserId>, DemoError> {
        username.map(|u| self.person(u)).transpose()
    }
}

/// Reads the steps in the file's order, counting the ids it hands out.
struct Reader<'a> {
    names: Names,
    org: &'a DemoOrg,
    reports: u128,
    notes: u128,
    adjustments: u128,
    latest_report: BTreeMap<TaskId, ReportId>,
    note_keys: BTreeMap<String, NoteId>,
}

impl Reader<'_> {
    /// The deputy leader in charge of a unit or of a unit above it.
    fn deputy_for(&self, unit: UnitId) -> Option<UserId> {
        let mut current = Some(unit);
        for _ in 0..self.org.units.len() {
            let u = current?;
            if let Some(deputy) = self.org.people.iter().find(|p| p.in_charge.contains(&u)) {
                return Some(deputy.id);
            }
            current = self
                .org
                .units
                .iter()
                .find(|x| x.id == u)
                .and_then(|x| x.parent);
        }
        None
    }

    fn report(&mut self, task: TaskId, text: &str) -> ReportBody {
        self.reports += 1;
        let id = ReportId::from_u128(0x3000_0000 + self.reports);
        self.latest_report.insert(task, id);
        ReportBody {
            id,
            text: text.to_owned(),
            evidence: Vec::new(),
            values: Default::default(),
        }
    }

    fn note(&mut self, key: Option<&String>) -> Result<NoteId, DemoError> {
        self.notes += 1;
        let id = NoteId::from_u128(0x4000_0000 + self.notes);
        if let Some(key) = key {
            if self.note_keys.insert(key.clone(), id).is_some() {
                return Err(DemoError::Invalid(format!("note key `{key}` twice")));
            }
        }
        Ok(id)
    }

    fn assignee(&self, unit: &str, user: Option<&String>) -> Result<Assignee, DemoError> {
        Ok(Assignee {
            unit: self.names.unit(unit)?,
            user: self.names.opt_person(user)?,
        })
    }

    fn act(&mut self, on: TaskId, act: &FileAct) -> Result<Act, DemoError> {
        let ready = |c: Command| Ok(Act::Ready(c));
        match act {
            FileAct::Register {
                category,
                title,
                content,
                source,
                urgency,
                visibility,
                instructing_leader,
                approval_chain,
                milestones,
                ticket,
                attributes,
                order,
            } => Ok(Act::Register(RegisterPlan {
                category: category.clone(),
                title: title.clone(),
                content: content.clone(),
                source: *source,
                urgency: *urgency,
                visibility: *visibility,
                instructing_leader: self.names.opt_person(instructing_leader.as_ref())?,
                approval_chain: self.names.people(approval_chain)?,
                milestones: milestones
                    .iter()
                    .map(|m| {
                        Ok(MilestonePlan {
                            id: m.id,
                            kind: m.kind,
                            title: m.title.clone(),
                            due: Rel::parse(&m.due)?,
                            planned_percent: m.planned_percent,
                        })
                    })
                    .collect::<Result<_, DemoError>>()?,
                ticket: *ticket,
                attributes: attributes.clone(),
                order: order
                    .as_ref()
                    .map(|o| {
                        let called = Rel::parse(&o.called)?;
                        if called.time.is_none() {
                            return Err(DemoError::Invalid(format!(
                                "the call at `{}` needs a time of day",
                                o.called
                            )));
                        }
                        Ok(OrderPlan {
                            called,
                            kind: o.kind,
                            channel: o.channel,
                            subject: o.subject.clone(),
                            platform_number: o.platform_number.clone(),
                            urgent_safety: o.urgent_safety,
                            keep_private: o.keep_private,
                        })
                    })
                    .transpose()?,
            })),
            FileAct::AmendDraft {
                title,
                content,
                deadline,
            } => Ok(Act::AmendDraft {
                patch: DraftPatch {
                    title: title.clone(),
                    content: content.clone(),
                    ..DraftPatch::default()
                },
                deadline: rel(deadline.as_ref())?,
            }),
            FileAct::SubmitForApproval {} => ready(Command::SubmitForApproval),
            FileAct::DecideRegistration { approve, opinion } => {
                ready(Command::DecideRegistration {
                    approve: *approve,
                    opinion: opinion.clone(),
                })
            }
            FileAct::Dispatch {
                unit,
                user,
                deadline,
                participants,
                responsible_leader,
                report_approver,
            } => {
                let lead = self.assignee(unit, user.as_ref())?;
                Ok(Act::Dispatch(DispatchPlan {
                    lead,
                    participants: participants
                        .iter()
                        .map(|u| self.names.unit(u))
                        .collect::<Result<_, _>>()?,
                    deadline: rel(deadline.as_ref())?,
                    responsible_leader: self.names.opt_person(responsible_leader.as_ref())?,
                    deputy: self.deputy_for(lead.unit),
                    report_approver: self.names.opt_person(report_approver.as_ref())?,
                }))
            }
            FileAct::Receive {} => ready(Command::Receive),
            FileAct::Decline { reason } => ready(Command::Decline {
                reason: reason.clone(),
            }),
            FileAct::Decompose {
                child,
                title,
                content,
                unit,
                user,
                deadline,
            } => Ok(Act::Decompose(DecomposePlan {
                child: task(*child),
                title: title.clone(),
                content: content.clone(),
                lead: self.assignee(unit, user.as_ref())?,
                deadline: rel(deadline.as_ref())?,
            })),
            FileAct::Share { with } => ready(Command::Share {
                with: self.names.people(with)?,
            }),
            FileAct::ReportProgress {
                percent,
                milestone,
                text,
            } => ready(Command::ReportProgress {
                report: self.report(on, text),
                percent: *percent,
                milestone: *milestone,
                answers: None,
            }),
            FileAct::ReportCompletion { text } => ready(Command::ReportCompletion {
                report: self.report(on, text),
            }),
            FileAct::DecideReport { approve, opinion } => ready(Command::DecideReport {
                report: *self
                    .latest_report
                    .get(&on)
                    .ok_or_else(|| unknown("report on item", &on.to_string()))?,
                approve: *approve,
                opinion: opinion.clone(),
            }),
            FileAct::Review {
                accept,
                opinion,
                new_deadline,
            } => Ok(Act::Review {
                accept: *accept,
                opinion: opinion.clone(),
                new_deadline: rel(new_deadline.as_ref())?,
            }),
            FileAct::Rate { stars, opinion } => ready(Command::Rate {
                stars: *stars,
                opinion: opinion.clone(),
            }),
            FileAct::AdjustScore { points, reason } => {
                let tenths = (points * 10.0).round();
                if !tenths.is_finite() || tenths.abs() > 10_000.0 {
                    return Err(DemoError::Invalid(format!("{points} points")));
                }
                self.adjustments += 1;
                ready(Command::AdjustScore {
                    id: AdjustmentId::from_u128(0x5000_0000 + self.adjustments),
                    // In range: checked above.
                    points: Points::tenths(tenths as i32),
                    reason: reason.clone(),
                })
            }
            FileAct::RequestExtension { until, reason } => Ok(Act::RequestExtension {
                until: Rel::parse(until)?,
                reason: reason.clone(),
            }),
            FileAct::DecideExtension { approve, opinion } => ready(Command::DecideExtension {
                approve: *approve,
                opinion: opinion.clone(),
            }),
            FileAct::RequestSuspension { reason } => ready(Command::RequestSuspension {
                reason: reason.clone(),
            }),
            FileAct::DecideSuspension { approve, opinion } => ready(Command::DecideSuspension {
                approve: *approve,
                opinion: opinion.clone(),
            }),
            FileAct::RequestResumption { reason } => ready(Command::RequestResumption {
                reason: reason.clone(),
            }),
            FileAct::DecideResumption { approve, opinion } => ready(Command::DecideResumption {
                approve: *approve,
                opinion: opinion.clone(),
            }),
            FileAct::Revoke { reason } => ready(Command::Revoke {
                reason: reason.clone(),
            }),
            FileAct::Close {} => ready(Command::Close),
            FileAct::Archive {} => ready(Command::Archive),
            FileAct::Urge { channel, note } => ready(Command::Urge {
                channel: *channel,
                note: note.clone(),
                call: None,
            }),
            FileAct::Escalate { reason } => ready(Command::Escalate {
                reason: reason.clone(),
            }),
            FileAct::Instruct { key, text } => ready(Command::Instruct {
                id: self.note(key.as_ref())?,
                text: text.clone(),
            }),
            FileAct::Comment {
                key,
                reply_to,
                text,
            } => {
                // The note answered is written earlier in the file.
                let reply_to = reply_to
                    .as_ref()
                    .map(|k| {
                        self.note_keys
                            .get(k)
                            .copied()
                            .ok_or_else(|| unknown("note key", k))
                    })
                    .transpose()?;
                ready(Command::Comment {
                    id: self.note(key.as_ref())?,
                    text: text.clone(),
                    reply_to,
                })
            }
            FileAct::Follow {} => ready(Command::Follow),
            FileAct::AcceptOrder { note } => ready(Command::AcceptOrder { note: note.clone() }),
            FileAct::RefuseOrder { reason, note } => ready(Command::RefuseOrder {
                reason: match reason {
                    FileRefusal::OutsideRemit { refer_to } => NonAcceptance::OutsideRemit {
                        refer_to: refer_to.clone(),
                    },
                    FileRefusal::LegalChannel { channel } => NonAcceptance::LegalChannel {
                        channel: channel.clone(),
                    },
                    FileRefusal::AlreadyAccepted { of, follow_up } => {
                        NonAcceptance::AlreadyAccepted {
                            of: task(*of),
                            follow_up: follow_up.clone(),
                        }
                    }
                    FileRefusal::ContestedReply {} => NonAcceptance::ContestedReply,
                },
                note: note.clone(),
            }),
            FileAct::InformCaller {
                about,
                method,
                note,
            } => Ok(Act::InformCaller {
                about: *about,
                method: *method,
                note: note.clone(),
            }),
            FileAct::ReturnOrder { reason } => ready(Command::ReturnOrder {
                reason: reason.clone(),
            }),
            FileAct::RequestCommitment { until, reason } => Ok(Act::RequestCommitment {
                until: Rel::parse(until)?,
                reason: reason.clone(),
            }),
            FileAct::DecideCommitment { approve, opinion } => ready(Command::DecideCommitment {
                approve: *approve,
                opinion: opinion.clone(),
            }),
            FileAct::CallBack {
                satisfaction,
                told_result_and_basis,
                factual,
                misconduct,
                note,
            } => ready(Command::CallBack {
                answers: CallbackAnswers {
                    told_result_and_basis: *told_result_and_basis,
                    factual: *factual,
                    misconduct: *misconduct,
                    satisfaction: *satisfaction,
                },
                note: note.clone(),
            }),
            FileAct::ReopenOrder { reason } => ready(Command::ReopenOrder {
                reason: reason.clone(),
            }),
            FileAct::MarkTypical { typical } => ready(Command::MarkTypical { typical: *typical }),
        }
    }
}
