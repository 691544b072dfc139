//! Shared fixtures: a small organisation (units, people, roles), a fixed clock, and helpers
//! that apply commands through the real `decide` and `evolve`.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use duban_core::domain::command::{DispatchOrder, Registration, ReportBody};
use duban_core::domain::model::{
    Assignee, MilestoneKind, MilestoneSpec, NoteId, Period, Recurrence, ReportId, Source,
    TaskNumber, Urgency, Visibility,
};
use duban_core::domain::trail::{self, TrailEntry};
use duban_core::domain::{
    decide, evolve, Actor, Calendar, Command, Context, Event, Policy, Rejection, Role, Roles,
    TaskId, TaskState, UnitId, UnitTree, UserId,
};

pub const ROOT: UnitId = UnitId::from_u128(0x100);
pub const UNIT_A: UnitId = UnitId::from_u128(0x101);
pub const UNIT_A1: UnitId = UnitId::from_u128(0x111);
pub const UNIT_B: UnitId = UnitId::from_u128(0x102);
pub const UNIT_C: UnitId = UnitId::from_u128(0x103);

pub const SUPERVISOR: UserId = UserId::from_u128(1);
pub const HANDLER: UserId = UserId::from_u128(2);
pub const DEPUTY: UserId = UserId::from_u128(3);
pub const MAIN: UserId = UserId::from_u128(4);
pub const APPROVER: UserId = UserId::from_u128(5);
pub const HEAD_A: UserId = UserId::from_u128(6);
pub const SHARER1: UserId = UserId::from_u128(7);
pub const SHARER2: UserId = UserId::from_u128(8);
pub const OUTSIDER: UserId = UserId::from_u128(9);
pub const INSPECTOR: UserId = UserId::from_u128(10);
pub const PARTICIPANT: UserId = UserId::from_u128(11);
pub const HEAD_ROOT: UserId = UserId::from_u128(12);
pub const SUB_HANDLER: UserId = UserId::from_u128(13);

/// Every person of the cast, for generated tests.
pub const CAST: [UserId; 13] = [
    SUPERVISOR,
    HANDLER,
    DEPUTY,
    MAIN,
    APPROVER,
    HEAD_A,
    SHARER1,
    SHARER2,
    OUTSIDER,
    INSPECTOR,
    PARTICIPANT,
    HEAD_ROOT,
    SUB_HANDLER,
];

pub const TASK: TaskId = TaskId::from_u128(0xA11);

/// The person with this id, with their unit and roles.
pub fn actor(id: UserId) -> Actor {
    let (unit, roles): (Option<UnitId>, &[Role]) = match id {
        SUPERVISOR => (Some(ROOT), &[Role::Supervisor]),
        HANDLER => (Some(UNIT_A), &[Role::Staff]),
        DEPUTY => (Some(ROOT), &[Role::DeputyLeader]),
        MAIN => (Some(ROOT), &[Role::MainLeader]),
        APPROVER => (Some(ROOT), &[Role::DeputyLeader]),
        HEAD_A => (Some(UNIT_A), &[Role::UnitHead]),
        SHARER1 | SHARER2 => (Some(UNIT_A), &[Role::Staff]),
        OUTSIDER => (Some(UNIT_C), &[Role::Staff]),
        INSPECTOR => (Some(ROOT), &[Role::Inspector]),
        PARTICIPANT => (Some(UNIT_B), &[Role::Staff]),
        HEAD_ROOT => (Some(ROOT), &[Role::UnitHead]),
        SUB_HANDLER => (Some(UNIT_A1), &[Role::Staff]),
        _ if id == UserId::SYSTEM => return Actor::system(),
        _ => (None, &[]),
    };
    Actor {
        id,
        unit,
        roles: Roles::of(roles),
    }
}

pub fn units() -> UnitTree {
    let mut t = UnitTree::default();
    t.insert(ROOT, None);
    t.insert(UNIT_A, Some(ROOT));
    t.insert(UNIT_A1, Some(UNIT_A));
    t.insert(UNIT_B, Some(ROOT));
    t.insert(UNIT_C, Some(ROOT));
    t
}

/// A local (UTC+8) time.
pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// End of a local day (local midnight starting the next day).
pub fn end_of(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    let next = NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .succ_opt()
        .unwrap();
    local(next.year(), next.month(), next.day(), 0, 0)
}

/// The organisation's rules and a clock that tests move by hand.
pub struct World {
    pub calendar: Calendar,
    pub policy: Policy,
    pub units: UnitTree,
    pub now: DateTime<Utc>,
    pub state: TaskState,
    pub events: Vec<Event>,
    /// The parent item the rules are told of (`Context::parent`), if any.
    pub parent: Option<(TaskId, TaskState)>,
}

impl World {
    /// Monday 2 March 2026, 09:00 in Beijing.
    pub fn new() -> World {
        World::at(local(2026, 3, 2, 9, 0))
    }

    pub fn at(now: DateTime<Utc>) -> World {
        World {
            calendar: Calendar::builtin(),
            policy: Policy::default(),
            units: units(),
            now,
            state: TaskState::default(),
            events: Vec::new(),
            parent: None,
        }
    }

    pub fn advance(&mut self, d: Duration) -> &mut World {
        self.now += d;
        self
    }

    pub fn set_now(&mut self, t: DateTime<Utc>) -> &mut World {
        self.now = t;
        self
    }

    /// Decides without applying.
    pub fn try_decide(&self, who: UserId, cmd: &Command) -> Result<Vec<Event>, Rejection> {
        let a = actor(who);
        let ctx = Context {
            actor: &a,
            now: self.now,
            calendar: &self.calendar,
            policy: &self.policy,
            units: &self.units,
            parent: self.parent.as_ref().map(|(id, s)| (*id, s)),
        };
        decide(&self.state, cmd, &ctx)
    }

    /// Decides and applies; returns the rejection if refused.
    pub fn run(&mut self, who: UserId, cmd: Command) -> Result<(), Rejection> {
        let events = self.try_decide(who, &cmd)?;
        for e in events {
            self.state = evolve(std::mem::take(&mut self.state), &e);
            self.events.push(e);
        }
        Ok(())
    }

    /// Decides and applies; panics with the rejection if refused.
    #[track_caller]
    pub fn ok(&mut self, who: UserId, cmd: Command) -> &mut World {
        if let Err(r) = self.run(who, cmd) {
            panic!("expected acceptance, got {r}");
        }
        self
    }

    /// Expects a rejection with this code; the state must not change.
    #[track_caller]
    pub fn refused(&mut self, who: UserId, cmd: Command, code: &str) -> Rejection {
        let before = self.state.clone();
        match self.run(who, cmd) {
            Ok(()) => panic!("expected rejection {code}, but it was accepted"),
            Err(r) => {
                assert_eq!(r.code, code, "wrong rejection: {r}");
                assert_eq!(self.state, before);
                r
            }
        }
    }

    pub fn trail(&self) -> Vec<TrailEntry> {
        let mut t = Vec::new();
        trail::append(&mut t, TASK, self.events.iter().cloned());
        t
    }
}

pub fn registration(category: &str, seq: u32) -> Registration {
    let policy = Policy::default();
    let prefix = policy
        .category(category)
        .map(|c| c.prefix.clone())
        .unwrap_or_default();
    Registration {
        category: category.to_owned(),
        number: TaskNumber {
            prefix,
            year: 2026,
            seq,
        },
        title: "推进老旧小区改造".into(),
        content: "按计划完成改造并报送佐证".into(),
        source: Source::Meeting,
        urgency: Urgency::Normal,
        visibility: Visibility::Internal,
        deadline: None,
        attributes: BTreeMap::new(),
        attachments: Vec::new(),
        milestones: Vec::new(),
        instructing_leader: None,
        approval_chain: Vec::new(),
        recurrence: None,
        parent: None,
        batch: None,
        order: None,
    }
}

/// A 12345 work order's registration: a citizen's complaint by phone, with the caller's
/// name, phone and address.
pub fn hotline_registration(seq: u32, called_at: DateTime<Utc>) -> Registration {
    let mut r = registration("hotline", seq);
    r.title = "小区夜间施工噪声扰民".into();
    r.content = "来电反映某小区工地夜间22时后仍在施工".into();
    r.attributes = BTreeMap::from([
        ("caller_name".to_owned(), "王女士".to_owned()),
        ("caller_phone".to_owned(), "13800000001".to_owned()),
        ("caller_address".to_owned(), "城关镇幸福小区3栋".to_owned()),
    ]);
    r.order = Some(duban_core::domain::order::OrderIntake {
        line: duban_core::domain::order::Line::Citizen,
        called_at,
        kind: duban_core::domain::order::OrderKind::Complaint,
        channel: duban_core::domain::order::OrderChannel::Phone,
        subject: "幸福小区建设工地".into(),
        platform_number: None,
        urgent_safety: false,
        keep_private: false,
    });
    r
}

pub fn register(reg: Registration) -> Command {
    Command::Register(Box::new(reg))
}

pub fn order(lead: UserId) -> DispatchOrder {
    let unit = actor(lead).unit.unwrap_or(UNIT_A);
    DispatchOrder {
        lead: Assignee {
            unit,
            user: Some(lead),
        },
        participants: vec![Assignee {
            unit: UNIT_B,
            user: Some(PARTICIPANT),
        }],
        responsible_leader: Some(MAIN),
        deputy_leader: Some(DEPUTY),
        reviewer: None,
        report_approver: None,
        deadline: None,
        report_every: None,
    }
}

/// A dispatch order to one person of a unit, with no participants.
pub fn order_to(unit: UnitId, user: UserId, deadline: Option<DateTime<Utc>>) -> DispatchOrder {
    DispatchOrder {
        lead: Assignee {
            unit,
            user: Some(user),
        },
        participants: Vec::new(),
        responsible_leader: Some(MAIN),
        deputy_leader: Some(DEPUTY),
        reviewer: None,
        report_approver: None,
        deadline,
        report_every: None,
    }
}

pub fn dispatch(o: DispatchOrder) -> Command {
    Command::Dispatch(Box::new(o))
}

pub fn body(n: u128, text: &str) -> ReportBody {
    ReportBody {
        id: ReportId::from_u128(n),
        text: text.into(),
        evidence: Vec::new(),
        values: Default::default(),
    }
}

pub fn progress(n: u128, percent: u8) -> Command {
    Command::ReportProgress {
        report: body(n, "已完成部分工作"),
        percent,
        milestone: None,
        answers: None,
    }
}

pub fn completion(n: u128) -> Command {
    Command::ReportCompletion {
        report: body(n, "已全部完成"),
    }
}

pub fn accept() -> Command {
    Command::Review {
        accept: true,
        opinion: String::new(),
        new_deadline: None,
    }
}

pub fn note(n: u128) -> NoteId {
    NoteId::from_u128(n)
}

pub fn milestone(id: u32, kind: MilestoneKind, due: DateTime<Utc>, planned: u8) -> MilestoneSpec {
    MilestoneSpec {
        id,
        kind,
        title: format!("节点{id}"),
        due,
        planned_percent: planned,
    }
}

pub fn weekly() -> Recurrence {
    Recurrence {
        period: Period::Weekly,
        due_working_days: 1,
        fields: Vec::new(),
    }
}

/// A world with an item registered by the supervisor and dispatched to HANDLER (normal
/// urgency: 7 working days), received.
pub fn in_progress() -> World {
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(order(HANDLER)))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive);
    w
}

/// The lead asks to suspend.
pub fn ask_suspension() -> Command {
    Command::RequestSuspension {
        reason: "等待上级政策明确".into(),
    }
}

/// The lead asks to resume.
pub fn ask_resumption() -> Command {
    Command::RequestResumption {
        reason: "政策已明确".into(),
    }
}

/// A leader approves the suspension.
pub fn agree_suspension() -> Command {
    Command::DecideSuspension {
        approve: true,
        opinion: String::new(),
    }
}

/// A leader approves the resumption.
pub fn agree_resumption() -> Command {
    Command::DecideResumption {
        approve: true,
        opinion: String::new(),
    }
}
