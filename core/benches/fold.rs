//! Benchmarks of the domain's hot paths: folding an item's events (`evolve`), and deciding
//! plus folding commands (`decide` + `evolve`), on one core.
//!
//! Run: `cargo bench -p duban-core --bench fold`. Figures go to docs/PERFORMANCE.md.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use duban_core::domain::command::{DispatchOrder, Registration, ReportBody, UrgeChannel};
use duban_core::domain::model::{
    Assignee, NoteId, Period, Recurrence, ReportId, Source, TaskNumber, Urgency, Visibility,
};
use duban_core::domain::trail;
use duban_core::domain::{
    decide, evolve, fold, Actor, Calendar, Command, Context, Event, Policy, Role, Roles, TaskState,
    UnitId, UnitTree, UserId,
};

const ROOT: UnitId = UnitId::from_u128(1);
const UNIT: UnitId = UnitId::from_u128(2);

fn people() -> (Actor, Actor, Actor) {
    let supervisor = Actor {
        id: UserId::from_u128(10),
        unit: Some(ROOT),
        roles: Roles::of(&[Role::Supervisor]),
    };
    let handler = Actor {
        id: UserId::from_u128(11),
        unit: Some(UNIT),
        roles: Roles::of(&[Role::Staff]),
    };
    let leader = Actor {
        id: UserId::from_u128(12),
        unit: Some(ROOT),
        roles: Roles::of(&[Role::MainLeader]),
    };
    (supervisor, handler, leader)
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .unwrap_or_default()
}

struct Org {
    calendar: Calendar,
    policy: Policy,
    units: UnitTree,
}

impl Org {
    fn new() -> Org {
        let mut units = UnitTree::default();
        units.insert(ROOT, None);
        units.insert(UNIT, Some(ROOT));
        Org {
            calendar: Calendar::builtin(),
            policy: Policy::default(),
            units,
        }
    }

    fn step(
        &self,
        state: TaskState,
        who: &Actor,
        now: DateTime<Utc>,
        cmd: &Command,
    ) -> (TaskState, Vec<Event>) {
        let ctx = Context {
            actor: who,
            now,
            calendar: &self.calendar,
            policy: &self.policy,
            units: &self.units,
            parent: None,
        };
        match decide(&state, cmd, &ctx) {
            Ok(events) => {
                let s = events.iter().fold(state, evolve);
                (s, events)
            }
            Err(r) => panic!("benchmark command refused: {r}"),
        }
    }
}

fn registration() -> Command {
    Command::Register(Box::new(Registration {
        category: "annual_key_work".into(),
        number: TaskNumber {
            prefix: "重".into(),
            year: 2026,
            seq: 1,
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
        recurrence: Some(Recurrence {
            period: Period::Weekly,
            due_working_days: 2,
            fields: Vec::new(),
        }),
        parent: None,
        batch: None,
        order: None,
    }))
}

fn dispatch(handler: &Actor) -> Command {
    Command::Dispatch(Box::new(DispatchOrder {
        lead: Assignee {
            unit: UNIT,
            user: Some(handler.id),
        },
        participants: Vec::new(),
        responsible_leader: None,
        deputy_leader: None,
        reviewer: None,
        report_approver: None,
        deadline: Some(start() + Duration::days(365)),
        report_every: None,
    }))
}

/// The i-th command of a busy item's life: comments, replies, progress reports,
/// instructions, urgings, follows.
fn busy(i: u32, who: &(Actor, Actor, Actor)) -> (Actor, Command) {
    let (supervisor, handler, leader) = who;
    let n = u128::from(i);
    match i % 6 {
        0 => (
            supervisor.clone(),
            Command::Comment {
                id: NoteId::from_u128(n),
                text: "请补充现场照片".into(),
                reply_to: None,
            },
        ),
        1 => (
            handler.clone(),
            Command::Comment {
                id: NoteId::from_u128(n),
                text: "已补充".into(),
                reply_to: Some(NoteId::from_u128(n - 1)),
            },
        ),
        2 => (
            handler.clone(),
            Command::ReportProgress {
                report: ReportBody {
                    id: ReportId::from_u128(n),
                    text: "本周完成主体施工".into(),
                    evidence: Vec::new(),
                    values: Default::default(),
                },
                percent: (i % 100) as u8,
                milestone: None,
                answers: None,
            },
        ),
        3 => (
            leader.clone(),
            Command::Instruct {
                id: NoteId::from_u128(n),
                text: "加快进度,确保质量".into(),
            },
        ),
        4 => (
            supervisor.clone(),
            Command::Urge {
                channel: UrgeChannel::Message,
                note: "请按期汇报".into(),
                call: None,
            },
        ),
        _ => {
            let cmd = if (i / 6) % 2 == 0 {
                Command::Follow
            } else {
                Command::Unfollow
            };
            (leader.clone(), cmd)
        }
    }
}

/// A registered, dispatched, received item followed by `extra` busy commands.
fn item(org: &Org, extra: u32) -> (TaskState, Vec<Event>, DateTime<Utc>) {
    let who = people();
    let mut now = start();
    let mut events = Vec::new();
    let mut s = TaskState::default();
    for (actor, cmd) in [
        (who.0.clone(), registration()),
        (who.0.clone(), dispatch(&who.1)),
        (who.1.clone(), Command::Receive),
    ] {
        let (next, ev) = org.step(s, &actor, now, &cmd);
        s = next;
        events.extend(ev);
    }
    for i in 0..extra {
        now += Duration::minutes(7);
        let (actor, cmd) = busy(i, &who);
        let (next, ev) = org.step(s, &actor, now, &cmd);
        s = next;
        events.extend(ev);
    }
    (s, events, now)
}

fn benches(c: &mut Criterion) {
    let org = Org::new();
    let (_, events, _) = item(&org, 997);
    assert_eq!(events.len(), 1000);

    let mut g = c.benchmark_group("fold");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("fold_1000_events", |b| b.iter(|| fold(black_box(&events))));
    g.finish();

    // decide + evolve of the busy mix on an item that already has 3 events.
    let who = people();
    let (base, _, t0) = item(&org, 0);
    let commands: Vec<(Actor, Command)> = (0..1000).map(|i| busy(i, &who)).collect();
    // Every benchmarked command is accepted: the loop below must not measure refusals.
    let mut check = base.clone();
    let mut now = t0;
    for (actor, cmd) in &commands {
        now += Duration::minutes(7);
        let (next, _) = org.step(check, actor, now, cmd);
        check = next;
    }
    assert_eq!(check.version, 1003);

    let mut g = c.benchmark_group("decide_evolve");
    g.throughput(Throughput::Elements(commands.len() as u64));
    g.bench_function("decide_evolve_1000_commands", |b| {
        b.iter_batched(
            || base.clone(),
            |mut s| {
                let mut now = t0;
                for (actor, cmd) in &commands {
                    now += Duration::minutes(7);
                    let ctx = Context {
                        actor,
                        now,
                        calendar: &org.calendar,
                        policy: &org.policy,
                        units: &org.units,
                        parent: None,
                    };
                    if let Ok(events) = decide(&s, cmd, &ctx) {
                        for e in &events {
                            s = evolve(s, e);
                        }
                    }
                }
                s
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn trail_benches(c: &mut Criterion) {
    let org = Org::new();
    let (_, events, _) = item(&org, 997);
    let task = duban_core::domain::TaskId::from_u128(0xA11);
    let mut chained = Vec::new();
    trail::append(&mut chained, task, events.iter().cloned());
    assert_eq!(trail::verify(task, &chained), Ok(()));

    let mut g = c.benchmark_group("trail");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("append_1000_events", |b| {
        b.iter_batched(
            || events.clone(),
            |evs| {
                let mut t = Vec::with_capacity(evs.len());
                trail::append(&mut t, task, evs);
                t
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("verify_1000_events", |b| {
        b.iter(|| trail::verify(task, black_box(&chained)))
    });
    g.finish();
}

criterion_group!(fold_benches, benches, trail_benches);
criterion_main!(fold_benches);
