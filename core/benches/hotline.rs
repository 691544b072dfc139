//! Benchmarks of the hotline's derived figures: a month's figures over a county's orders
//! (`derived::hotline::hotline_figures`), and the likely-duplicate check of one new call
//! against a window of earlier ones (`derived::duplicate::likely_duplicate`), on one core.
//!
//! Run: `cargo bench -p duban-core --bench hotline`. Figures go to docs/PERFORMANCE.md.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use duban_core::domain::command::{DispatchOrder, Registration, ReportBody};
use duban_core::domain::derived::duplicate::{likely_duplicate, OrderFacts};
use duban_core::domain::derived::hotline::hotline_figures;
use duban_core::domain::derived::score::DateRange;
use duban_core::domain::model::{Assignee, ReportId, Source, TaskNumber, Urgency, Visibility};
use duban_core::domain::order::{
    compose_reply, CallbackAnswers, Line, OrderChannel, OrderIntake, OrderKind, Satisfaction,
};
use duban_core::domain::{
    decide, evolve, Actor, Calendar, Command, Context, Policy, Role, Roles, TaskId, TaskState,
    UnitId, UnitTree, UserId,
};

const ROOT: UnitId = UnitId::from_u128(1);
/// Units handling orders.
const UNITS: u128 = 20;

fn apply(state: TaskState, who: &Actor, cmd: Command, now: DateTime<Utc>, org: &Org) -> TaskState {
    let ctx = Context {
        actor: who,
        now,
        calendar: &org.calendar,
        policy: &org.policy,
        units: &org.units,
        parent: None,
    };
    let events = decide(&state, &cmd, &ctx).expect("the bench's commands are accepted");
    events.iter().fold(state, evolve)
}

struct Org {
    calendar: Calendar,
    policy: Policy,
    units: UnitTree,
}

/// `n` orders called in during March 2026, each accepted, dispatched to one of the units,
/// received, replied to in the template and called back (one in five unsatisfied).
fn orders(n: u32, org: &Org) -> Vec<(TaskId, TaskState)> {
    let office = Actor {
        id: UserId::from_u128(10),
        unit: Some(ROOT),
        roles: Roles::of(&[Role::Supervisor]),
    };
    let sections = &org.policy.hotline.reply_sections;
    let reply = compose_reply(sections, &vec!["已办理".to_owned(); sections.len()]);
    (0..n)
        .map(|i| {
            let unit = UnitId::from_u128(100 + u128::from(i) % UNITS);
            let handler = Actor {
                id: UserId::from_u128(1000 + u128::from(i) % UNITS),
                unit: Some(unit),
                roles: Roles::of(&[Role::Staff]),
            };
            let called = Utc
                .with_ymd_and_hms(2026, 3, 2 + i % 25, 1, 0, 0)
                .single()
                .unwrap_or_default();
            let mut at = called + Duration::minutes(10);
            let reg = Registration {
                category: "hotline".into(),
                number: TaskNumber {
                    prefix: "热".into(),
                    year: 2026,
                    seq: i + 1,
                },
                title: format!("来电反映问题{i}"),
                content: "反映小区周边占道经营".into(),
                source: Source::Other,
                urgency: Urgency::Normal,
                visibility: Visibility::Internal,
                deadline: None,
                attributes: BTreeMap::from([
                    ("caller_name".to_owned(), "王女士".to_owned()),
                    ("caller_phone".to_owned(), format!("1380000{i:04}")),
                ]),
                attachments: Vec::new(),
                milestones: Vec::new(),
                instructing_leader: None,
                approval_chain: Vec::new(),
                recurrence: None,
                parent: None,
                batch: None,
                order: Some(OrderIntake {
                    line: Line::Citizen,
                    called_at: called,
                    kind: OrderKind::Complaint,
                    channel: OrderChannel::Phone,
                    subject: "城南农贸市场".into(),
                    platform_number: None,
                    urgent_safety: false,
                    keep_private: false,
                }),
            };
            let mut s = apply(
                TaskState::default(),
                &office,
                Command::Register(Box::new(reg)),
                at,
                org,
            );
            s = apply(
                s,
                &office,
                Command::AcceptOrder {
                    note: String::new(),
                },
                at,
                org,
            );
            at += Duration::hours(1);
            s = apply(
                s,
                &office,
                Command::Dispatch(Box::new(DispatchOrder {
                    lead: Assignee {
                        unit,
                        user: Some(handler.id),
                    },
                    participants: Vec::new(),
                    responsible_leader: None,
                    deputy_leader: None,
                    reviewer: None,
                    report_approver: None,
                    deadline: None,
                    report_every: None,
                })),
                at,
                org,
            );
            at += Duration::hours(1);
            s = apply(s, &handler, Command::Receive, at, org);
            at += Duration::hours(20);
            s = apply(
                s,
                &handler,
                Command::ReportCompletion {
                    report: ReportBody {
                        id: ReportId::from_u128(u128::from(i) + 1),
                        text: reply.clone(),
                        evidence: Vec::new(),
                        values: Default::default(),
                    },
                },
                at,
                org,
            );
            at += Duration::hours(2);
            let satisfaction = if i % 5 == 0 {
                Satisfaction::Unsatisfied
            } else {
                Satisfaction::Satisfied
            };
            s = apply(
                s,
                &office,
                Command::CallBack {
                    answers: CallbackAnswers {
                        told_result_and_basis: true,
                        factual: true,
                        misconduct: false,
                        satisfaction,
                    },
                    note: String::new(),
                },
                at,
                org,
            );
            (TaskId::from_u128(u128::from(i) + 1), s)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut units = UnitTree::default();
    units.insert(ROOT, None);
    for u in 0..UNITS {
        units.insert(UnitId::from_u128(100 + u), Some(ROOT));
    }
    let org = Org {
        calendar: Calendar::builtin(),
        policy: Policy::default(),
        units,
    };
    let month = DateRange::month(2026, 3).expect("a month");
    let now = Utc
        .with_ymd_and_hms(2026, 4, 10, 2, 0, 0)
        .single()
        .unwrap_or_default();
    let mut group = c.benchmark_group("hotline");
    for n in [1_000u32, 5_000] {
        let items = orders(n, &org);
        group.throughput(Throughput::Elements(u64::from(n)));
        group.bench_function(format!("monthly figures over {n} orders"), |b| {
            b.iter(|| {
                black_box(hotline_figures(
                    items.iter().map(|(id, s)| (*id, s)),
                    month,
                    now,
                    &org.calendar,
                ))
            })
        });
    }
    // One new call against a month's earlier calls (the desk's duplicate check).
    let called = now - Duration::days(1);
    let contents: Vec<String> = (0..2_000)
        .map(|i| {
            format!(
                "来电反映城关镇幸福小区{}栋楼下夜间施工噪声扰民,希望尽快处理{i}",
                i % 40
            )
        })
        .collect();
    let addresses: Vec<String> = (0..2_000)
        .map(|i| format!("城关镇幸福小区{}栋{}单元", i % 40, i % 6))
        .collect();
    let phones: Vec<String> = (0..2_000).map(|i| format!("+86 138 0000 {i:04}")).collect();
    let earlier: Vec<OrderFacts<'_>> = (0..2_000)
        .map(|i| OrderFacts {
            called_at: called - Duration::hours(i64::from(i % 600)),
            phone: Some(phones[i as usize].as_str()),
            address: Some(addresses[i as usize].as_str()),
            content: contents[i as usize].as_str(),
        })
        .collect();
    let new = OrderFacts {
        called_at: called,
        phone: Some("13911112222"),
        address: Some("城关镇幸福小区7栋2单元"),
        content: "幸福小区7栋附近工地晚上十点后还在施工,噪声很大",
    };
    group.throughput(Throughput::Elements(earlier.len() as u64));
    group.bench_function("a new call against 2000 earlier ones", |b| {
        b.iter(|| {
            black_box(
                earlier
                    .iter()
                    .filter(|o| likely_duplicate(&new, o, 30).is_some())
                    .count(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
