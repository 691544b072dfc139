//! The demonstration organisation and scenario behind `duban serve --demo`: a fictional county
//! government (清河县人民政府) with its supervision office, leaders, inspector and handling
//! units, and a couple of months of supervision work that leaves items in every status with
//! believable trails.
//!
//! The content is data, `demo.toml` beside this module (its header explains the format),
//! compiled in and read once (`file.rs` parses and checks it). This module gives it out: the
//! server creates the units and accounts from [`organisation`] and then issues every
//! [`DemoStep`] of [`scenario`] through the ordinary rules (`decide` at the step's time, as the
//! step's actor; see `seed.rs`). Identifiers are fixed, so the demo is the same on every run;
//! only the dates move with `now`, counted in working days of the calendar so that every step
//! falls on a working day during office hours.
//!
//! Two things the server does itself and the scenario therefore leaves out: item numbers are
//! allocated from the server's number book (the numbers carried here are valid placeholders in
//! the same sequence), and accepting a `Decompose` also registers and dispatches the subtask
//! (`batch::subtask_commands`) as the decomposer at the same time.

mod file;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use duban_core::domain::command::{DispatchOrder, DraftPatch, Registration, SubtaskSpec};
use duban_core::domain::model::{Assignee, MilestoneSpec, NumberBook, TaskNumber};
use duban_core::domain::order::{Line, OrderIntake};
use duban_core::domain::{Calendar, Command, Policy, Role, TaskId, UnitId, UserId};

use file::{Act, Demo, DispatchPlan, RegisterPlan, Rel};

/// The password of every demo account. For demonstrations only: the server prints it at start.
pub const DEMO_PASSWORD: &str = "duban-demo";

/// A unit of the demo organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoUnit {
    /// Fixed identifier.
    pub id: UnitId,
    /// The unit above it; `None` for the county government itself.
    pub parent: Option<UnitId>,
    /// Its name, e.g. `县交通运输局` (data, shown as entered in every interface language).
    pub name: String,
    /// Its short name (简称), e.g. `交通局`; empty for none.
    pub short_name: String,
    /// Other names people write for it, e.g. `交通运输局`.
    pub aliases: Vec<String>,
    /// The peer group it is ranked in (`县直部门`, `乡镇`); empty for the default.
    pub peer_group: String,
}

/// A person with a demo account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPerson {
    /// Fixed identifier.
    pub id: UserId,
    /// Login name, e.g. `supervisor` or `head-jtj`.
    pub username: String,
    /// Name in Chinese.
    pub name: String,
    /// The person's unit.
    pub unit: Option<UnitId>,
    /// Position in Chinese, e.g. `县长`.
    pub position: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// For deputy leaders: the units they are in charge of (分管); empty otherwise.
    pub in_charge: Vec<UnitId>,
}

/// The demo organisation: its units (parents before children) and its people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOrg {
    /// The organisation's name.
    pub name: String,
    /// Units, each listed after its parent.
    pub units: Vec<DemoUnit>,
    /// People with accounts; usernames are unique.
    pub people: Vec<DemoPerson>,
}

/// One command of the scenario: who issues it, when, on which item.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoStep {
    /// The person issuing the command (one of [`DemoOrg::people`]).
    pub actor: UserId,
    /// When it is issued: a working day, office hours, before `now`.
    pub at: DateTime<Utc>,
    /// The item.
    pub task: TaskId,
    /// The command.
    pub command: Command,
}

/// The demo file, compiled in.
const SOURCE: &str = include_str!("demo.toml");

/// The demo file, read and checked once.
static DEMO: LazyLock<Demo> =
    LazyLock::new(|| Demo::parse(SOURCE).expect("the demo file is valid (tested)"));

/// The demo organisation: 清河县人民政府 with its office, supervision office, inspector, eleven
/// handling units (bureaus and towns, three with a section below them) and their people.
pub fn organisation() -> DemoOrg {
    DEMO.org.clone()
}

/// The accounts to print at start and list in the README: (username, role in Chinese, role in
/// English). Every account's password is [`DEMO_PASSWORD`].
pub fn accounts() -> Vec<(String, String, String)> {
    DEMO.accounts.clone()
}

/// Every demo account grouped by role, in the order a newcomer meets them (administrator,
/// leaders, the office, the inspector, unit heads, staff): each person under the first of
/// those roles they hold, in the file's order. Every password is [`DEMO_PASSWORD`].
pub fn accounts_by_role() -> Vec<(Role, Vec<DemoPerson>)> {
    const ORDER: [Role; 7] = [
        Role::Admin,
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Supervisor,
        Role::Inspector,
        Role::UnitHead,
        Role::Staff,
    ];
    let people = &DEMO.org.people;
    ORDER
        .iter()
        .map(|&role| {
            let group = people
                .iter()
                .filter(|p| ORDER.iter().find(|r| p.roles.contains(r)) == Some(&role))
                .cloned()
                .collect();
            (role, group)
        })
        .filter(|(_, group): &(Role, Vec<DemoPerson>)| !group.is_empty())
        .collect()
}

/// The scenario: about two months of supervision work before `now`, in time order, leaving
/// items in every status (draft, awaiting approval, dispatched, declined, in progress on time
/// and overdue, under review, completed, suspended, closed, revoked, archived). Every step
/// falls on a working day between 09:00 and 17:30 local time, before `now`, and is accepted
/// by `decide` at its time when the steps are applied in order (with the subtask of each
/// `Decompose` created by the server as the decomposer at the same time).
pub fn scenario(now: DateTime<Utc>, calendar: &Calendar, policy: &Policy) -> Vec<DemoStep> {
    expand(&DEMO, now, calendar, policy)
}

/// Turns the file's steps into commands at times counted from `now`, in time order, numbered.
fn expand(demo: &Demo, now: DateTime<Utc>, calendar: &Calendar, policy: &Policy) -> Vec<DemoStep> {
    let days = Days {
        calendar,
        today: calendar.to_local(now).date(),
    };
    let mut steps: Vec<DemoStep> = demo
        .steps
        .iter()
        .map(|step| {
            let at = days.time(step.at);
            DemoStep {
                actor: step.actor,
                at,
                task: step.task,
                command: command(&step.act, at, &days, policy),
            }
        })
        .collect();
    // Stable: the steps of one item keep their order.
    steps.sort_by_key(|s| s.at);
    number_in_time_order(&mut steps, calendar, policy);
    steps
}

/// Times counted in working days from today.
struct Days<'a> {
    calendar: &'a Calendar,
    today: NaiveDate,
}

impl Days<'_> {
    /// The `n`-th working day before today (today itself for 0).
    fn back(&self, n: u32) -> NaiveDate {
        let mut d = self.today;
        let mut left = n;
        for _ in 0..5_000 {
            if left == 0 {
                break;
            }
            match d.pred_opt() {
                Some(p) => d = p,
                None => break,
            }
            if self.calendar.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The instant a relative time stands for: the local time given on its day, else the end
    /// of its day (a deadline).
    fn time(&self, rel: Rel) -> DateTime<Utc> {
        let day = if rel.back {
            self.back(rel.days)
        } else {
            self.calendar.add_working_days(self.today, rel.days)
        };
        match rel.time {
            Some(time) => self.calendar.from_local(day.and_time(time)),
            None => self.calendar.end_of_day(day),
        }
    }
}

/// The command of one step issued at `at`.
fn command(act: &Act, at: DateTime<Utc>, days: &Days<'_>, policy: &Policy) -> Command {
    match act {
        Act::Ready(command) => command.clone(),
        Act::Register(r) => Command::Register(Box::new(registration(r, at, days, policy))),
        Act::Dispatch(o) => Command::Dispatch(Box::new(dispatch(o, days))),
        Act::Decompose(d) => Command::Decompose(Box::new(SubtaskSpec {
            child: d.child,
            number: TaskNumber {
                prefix: String::new(),
                year: days.today.year(),
                seq: 1,
            },
            title: d.title.clone(),
            content: d.content.clone(),
            lead: d.lead,
            deadline: d.deadline.map(|t| days.time(t)),
        })),
        Act::RequestExtension { until, reason } => Command::RequestExtension {
            until: days.time(*until),
            reason: reason.clone(),
        },
        Act::Review {
            accept,
            opinion,
            new_deadline,
        } => Command::Review {
            accept: *accept,
            opinion: opinion.clone(),
            new_deadline: new_deadline.map(|t| days.time(t)),
        },
        Act::AmendDraft { patch, deadline } => Command::AmendDraft(Box::new(DraftPatch {
            deadline: deadline.map(|t| Some(days.time(t))),
            ..patch.clone()
        })),
        Act::InformCaller {
            about,
            method,
            note,
        } => Command::InformCaller {
            about: *about,
            method: *method,
            told_at: at,
            note: note.clone(),
        },
        Act::RequestCommitment { until, reason } => Command::RequestCommitment {
            until: days.time(*until),
            reason: reason.clone(),
        },
    }
}

/// A registration with the category's prefix (the number is set in time order at the end) and
/// any attribute the category requires.
fn registration(
    r: &RegisterPlan,
    at: DateTime<Utc>,
    days: &Days<'_>,
    policy: &Policy,
) -> Registration {
    let def = policy
        .category(&r.category)
        .or_else(|| policy.categories.first());
    let mut attributes = BTreeMap::new();
    for key in def
        .map(|c| c.required_attributes.clone())
        .unwrap_or_default()
    {
        attributes.insert(key, "(演示数据)".to_owned());
    }
    if let Some(n) = r.ticket {
        attributes.insert("hotline_ticket".to_owned(), ticket(days.calendar, at, n));
    }
    attributes.extend(r.attributes.clone());
    Registration {
        category: def.map_or_else(|| r.category.clone(), |c| c.code.clone()),
        number: TaskNumber {
            prefix: def.map(|c| c.prefix.clone()).unwrap_or_default(),
            year: days.today.year(),
            seq: 1,
        },
        title: r.title.clone(),
        content: r.content.clone(),
        source: r.source,
        urgency: r.urgency,
        visibility: r.visibility,
        deadline: None,
        attributes,
        attachments: Vec::new(),
        milestones: r
            .milestones
            .iter()
            .map(|m| MilestoneSpec {
                id: m.id,
                kind: m.kind,
                title: m.title.clone(),
                due: days.time(m.due),
                planned_percent: m.planned_percent,
            })
            .collect(),
        instructing_leader: r.instructing_leader,
        approval_chain: r.approval_chain.clone(),
        recurrence: None,
        parent: None,
        batch: None,
        order: r.order.as_ref().map(|o| OrderIntake {
            line: def.and_then(|c| c.order_line).unwrap_or(Line::Citizen),
            called_at: days.time(o.called),
            kind: o.kind,
            channel: o.channel,
            subject: o.subject.clone(),
            platform_number: o.platform_number.clone(),
            urgent_safety: o.urgent_safety,
            keep_private: o.keep_private,
        }),
    }
}

/// A dispatch to a unit (and a named handler), with the deputy leader in charge of the unit as
/// the deciding leader and, unless another is named, the responsible one.
fn dispatch(o: &DispatchPlan, days: &Days<'_>) -> DispatchOrder {
    DispatchOrder {
        lead: o.lead,
        participants: o
            .participants
            .iter()
            .map(|&unit| Assignee { unit, user: None })
            .collect(),
        responsible_leader: o.responsible_leader.or(o.deputy),
        deputy_leader: o.deputy,
        reviewer: None,
        report_approver: o.report_approver,
        deadline: o.deadline.map(|t| days.time(t)),
        report_every: None,
    }
}

/// A hotline ticket number (工单号) for the day of `at`.
fn ticket(calendar: &Calendar, at: DateTime<Utc>, n: u32) -> String {
    format!("QH12345-{}-{n:04}", calendar.to_local(at).format("%Y%m%d"))
}

/// Gives every registration and subtask the number the server's book would give it, in time
/// order per category and year.
fn number_in_time_order(steps: &mut [DemoStep], calendar: &Calendar, policy: &Policy) {
    let mut book = NumberBook::default();
    let mut categories: BTreeMap<TaskId, String> = BTreeMap::new();
    for step in steps.iter_mut() {
        let year = calendar.to_local(step.at).year();
        match &mut step.command {
            Command::Register(r) => {
                categories.insert(step.task, r.category.clone());
                let prefix = policy
                    .category(&r.category)
                    .map_or_else(|| r.number.prefix.clone(), |c| c.prefix.clone());
                r.number = book.allocate(&r.category, &prefix, year);
            }
            Command::Decompose(spec) => {
                if let Some(category) = categories.get(&step.task).cloned() {
                    let prefix = policy
                        .category(&category)
                        .map_or_else(|| spec.number.prefix.clone(), |c| c.prefix.clone());
                    spec.number = book.allocate(&category, &prefix, year);
                    categories.insert(spec.child, category);
                }
            }
            _ => {}
        }
    }
}
