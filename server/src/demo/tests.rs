//! The demo's tests: the scenario replays through the rules on several dates, the numbers
//! follow the categories, the organisation has every role, and what the module gives out is
//! exactly the snapshot taken when the scenario was still written as code.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, FixedOffset, NaiveTime, TimeZone, Timelike};
use duban_core::domain::batch::subtask_commands;
use duban_core::domain::decide::parent_of;
use duban_core::domain::Code;
use duban_core::domain::{
    decide, evolve, Actor, Context, EventKind, Roles, Status, TaskState, UnitTree,
};

use super::*;

fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .and_then(|o| o.with_ymd_and_hms(y, m, d, h, 0, 0).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("a valid local time")
}

/// Replays the scenario the way the server seeds it and returns the final states.
fn replay(now: DateTime<Utc>) -> (Vec<DemoStep>, BTreeMap<TaskId, TaskState>) {
    let calendar = Calendar::builtin();
    let policy = Policy::default();
    let org = organisation();
    let mut units = UnitTree::default();
    for u in &org.units {
        units.insert(u.id, u.parent);
    }
    let actors: BTreeMap<UserId, Actor> = org
        .people
        .iter()
        .map(|p| {
            (
                p.id,
                Actor {
                    id: p.id,
                    unit: p.unit,
                    roles: Roles::of(&p.roles),
                },
            )
        })
        .collect();
    let steps = scenario(now, &calendar, &policy);
    let mut states: BTreeMap<TaskId, TaskState> = BTreeMap::new();
    let apply = |states: &mut BTreeMap<TaskId, TaskState>,
                 i: usize,
                 task: TaskId,
                 actor: &Actor,
                 at: DateTime<Utc>,
                 command: &Command| {
        let parent_id = parent_of(states.get(&task).unwrap_or(&TaskState::default()), command);
        let parent = parent_id.and_then(|p| states.get(&p).cloned());
        let ctx = Context {
            actor,
            now: at,
            calendar: &calendar,
            policy: &policy,
            units: &units,
            parent: parent_id.zip(parent.as_ref()),
        };
        let state = states.entry(task).or_default();
        let events = match decide(state, command, &ctx) {
            Ok(e) => e,
            Err(r) => panic!(
                "step {i} ({:?} on {task} at {at}) refused: {r}",
                command.kind()
            ),
        };
        for e in &events {
            *state = evolve(std::mem::take(state), e);
        }
        events
    };
    for (i, step) in steps.iter().enumerate() {
        let actor = actors
            .get(&step.actor)
            .unwrap_or_else(|| panic!("step {i}: unknown actor"));
        let events = apply(&mut states, i, step.task, actor, step.at, &step.command);
        for e in events {
            if let EventKind::Decomposed(spec) = &e.kind {
                let parent = states[&step.task].clone();
                for c in subtask_commands(step.task, &parent, spec, step.actor) {
                    apply(&mut states, i, spec.child, actor, step.at, &c);
                }
            }
        }
    }
    (steps, states)
}

fn check(now: DateTime<Utc>) {
    let calendar = Calendar::builtin();
    let (steps, states) = replay(now);
    assert!(states.len() >= 25, "{} items", states.len());

    let seen: BTreeSet<Status> = states.values().map(|s| s.status).collect();
    for status in Status::ALL {
        if status != Status::New {
            assert!(seen.contains(&status), "no item ends {status:?}");
        }
    }
    for (id, s) in &states {
        s.check_invariants()
            .unwrap_or_else(|e| panic!("item {id}: {e}"));
    }

    // Time: non-decreasing, before now, working days in office hours, strictly increasing
    // within an item.
    assert!(steps.windows(2).all(|w| w[0].at <= w[1].at));
    let mut last: BTreeMap<TaskId, DateTime<Utc>> = BTreeMap::new();
    for (i, s) in steps.iter().enumerate() {
        assert!(s.at < now, "step {i} is not before now");
        let t = calendar.to_local(s.at);
        assert!(calendar.is_working_day(t.date()), "step {i} on a day off");
        let minutes = t.hour() * 60 + t.minute();
        assert!(
            (9 * 60..=17 * 60 + 30).contains(&minutes),
            "step {i} at {t}"
        );
        if let Some(prev) = last.insert(s.task, s.at) {
            assert!(
                prev < s.at,
                "step {i} is not after its item's previous step"
            );
        }
        assert!(now - s.at < Duration::days(92), "step {i} too old");
    }

    // Overdue and on-time items in progress.
    let overdue = states
        .values()
        .filter(|s| s.status == Status::InProgress && s.deadline.is_some_and(|d| d < now))
        .count();
    let on_time = states
        .values()
        .filter(|s| s.status == Status::InProgress && s.deadline.is_some_and(|d| d > now))
        .count();
    assert!(
        overdue >= 2 && on_time >= 3,
        "{overdue} overdue, {on_time} on time"
    );
    assert!(states.values().any(|s| s.parent.is_some()), "a subtask");
    assert!(
        states.values().any(|s| s.escalated.is_some()),
        "an escalation"
    );
    assert!(states.values().any(|s| !s.returns.is_empty()), "a return");
    assert!(states.values().any(|s| !s.sharers.is_empty()), "a share");
    assert!(
        states.values().any(|s| !s.pauses.is_empty()),
        "a resumption"
    );
    assert!(
        states.values().any(|s| s.instructions > 0),
        "an instruction"
    );
    assert!(
        states.values().any(|s| !s.followers.is_empty()),
        "a follower"
    );
    assert!(
        states
            .values()
            .any(|s| s.status == Status::Closed && !s.ratings.is_empty()),
        "a closed item with a rating"
    );
    check_orders(&states, now, &calendar);
}

/// The hotline's work orders cover every branch of seed 002.
fn check_orders(states: &BTreeMap<TaskId, TaskState>, now: DateTime<Utc>, calendar: &Calendar) {
    use duban_core::domain::order::{CommitmentOutcome, Line, NoticeAbout, Satisfaction};
    use duban_core::domain::state::ExtensionOutcome;
    let orders: Vec<&TaskState> = states.values().filter(|s| s.order.is_some()).collect();
    let o = |s: &TaskState| s.order.clone().expect("an order");
    let refused: BTreeSet<&str> = orders
        .iter()
        .filter_map(|s| s.order.as_ref()?.non_acceptance().map(|r| r.code()))
        .collect();
    assert_eq!(
        refused,
        BTreeSet::from([
            "already_accepted",
            "contested_reply",
            "legal_channel",
            "outside_remit"
        ]),
        "not accepted for each reason"
    );
    assert!(
        orders.iter().any(|s| matches!(
            o(s).acceptance,
            Some(duban_core::domain::order::Acceptance::Accepted { urgent: true, .. })
        )),
        "an urgent public-safety order"
    );
    assert!(
        orders.iter().any(|s| !o(s).transfers.is_empty()),
        "returned and transferred"
    );
    assert!(
        orders
            .iter()
            .any(|s| o(s).returns.iter().any(|r| r.upheld == Some(false))),
        "a return not upheld"
    );
    assert!(
        orders.iter().any(|s| o(s)
            .commitments
            .iter()
            .any(|c| c.outcome == CommitmentOutcome::Approved)),
        "a committed deadline approved"
    );
    assert!(
        orders.iter().any(|s| o(s)
            .commitments
            .iter()
            .any(|c| c.outcome == CommitmentOutcome::Refused)),
        "a committed deadline refused"
    );
    assert!(
        orders
            .iter()
            .any(|s| duban_core::domain::derived::hotline::order_overdue(s, now, calendar)),
        "an overdue order"
    );
    let last = |s: &TaskState| o(s).satisfaction();
    for satisfaction in [
        Satisfaction::Satisfied,
        Satisfaction::Basic,
        Satisfaction::Unsatisfied,
    ] {
        assert!(
            orders.iter().any(|s| last(s) == Some(satisfaction)),
            "called back {satisfaction:?}"
        );
    }
    assert!(
        orders.iter().any(|s| !o(s).reopenings.is_empty()
            && o(s).callbacks.first().map(|c| c.answers.satisfaction)
                == Some(Satisfaction::Unsatisfied)
            && last(s) == Some(Satisfaction::Satisfied)),
        "unsatisfied, reopened, then satisfied"
    );
    assert!(
        orders.iter().any(|s| o(s).line() == Line::Environment
            && s.extensions.len() == 1
            && s.extensions[0].outcome == ExtensionOutcome::Approved
            && o(s)
                .notices
                .iter()
                .any(|n| n.about == NoticeAbout::Extension)),
        "a 12369 order extended once, the caller told"
    );
    assert!(
        orders.iter().filter(|s| o(s).typical.is_some()).count() >= 2,
        "typical orders"
    );
    assert!(
        orders
            .iter()
            .filter(|s| o(s).acceptance.is_some())
            .all(|s| o(s).owed.is_empty() && !o(s).notices.is_empty()),
        "every caller told of the decision"
    );
    assert!(
        orders.iter().any(|s| o(s).acceptance.is_none()),
        "an order not decided yet"
    );
    assert!(orders.len() >= 15, "{} orders", orders.len());
}

#[test]
fn the_scenario_replays_through_the_rules() {
    check(local(2026, 11, 20, 10));
}

#[test]
fn the_scenario_does_not_depend_on_one_date() {
    check(local(2026, 6, 15, 10));
    check(local(2025, 3, 3, 9));
    check(local(2026, 10, 9, 16));
}

#[test]
fn numbers_follow_the_categories_in_time_order() {
    let steps = scenario(
        local(2026, 11, 20, 10),
        &Calendar::builtin(),
        &Policy::default(),
    );
    let mut seen = BTreeSet::new();
    for s in &steps {
        if let Command::Register(r) = &s.command {
            assert!(seen.insert((r.category.clone(), r.number.year, r.number.seq)));
        }
    }
    let (_, states) = replay(local(2026, 11, 20, 10));
    // Numbered per category (two categories of the default policy share the prefix 督).
    let numbers: BTreeSet<(String, String)> = states
        .values()
        .filter_map(|s| Some((s.category.clone(), s.number.as_ref()?.to_string())))
        .collect();
    assert_eq!(numbers.len(), states.len(), "every item has its own number");
}

#[test]
fn the_organisation_has_every_role_and_unique_usernames() {
    let org = organisation();
    let names: BTreeSet<&str> = org.people.iter().map(|p| p.username.as_str()).collect();
    assert_eq!(names.len(), org.people.len(), "usernames are unique");
    for role in [
        Role::Admin,
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Supervisor,
        Role::Inspector,
        Role::UnitHead,
        Role::Staff,
    ] {
        assert!(
            org.people.iter().any(|p| p.roles.contains(&role)),
            "no account with {role:?}"
        );
    }
    assert!(org
        .people
        .iter()
        .any(|p| p.username == "supervisor" && p.roles.contains(&Role::Supervisor)));
    let handling: BTreeSet<UnitId> = org
        .people
        .iter()
        .filter(|p| p.roles.contains(&Role::UnitHead))
        .filter_map(|p| p.unit)
        .collect();
    assert!(handling.len() >= 8, "{} handling units", handling.len());
    // Units are listed after their parents; people belong to known units.
    let mut known = BTreeSet::new();
    for u in &org.units {
        assert!(u.parent.is_none_or(|p| known.contains(&p)));
        assert!(known.insert(u.id));
    }
    assert!(org
        .people
        .iter()
        .all(|p| p.unit.is_some_and(|u| known.contains(&u))));
    assert!(org
        .people
        .iter()
        .filter(|p| p.roles.contains(&Role::DeputyLeader))
        .all(|p| !p.in_charge.is_empty()));
    for (username, zh, en) in accounts() {
        assert!(names.contains(username.as_str()), "{username}");
        assert!(!zh.is_empty() && !en.is_empty());
    }
    for required in ["admin", "leader", "deputy1", "supervisor", "inspector"] {
        assert!(accounts().iter().any(|a| a.0 == required), "{required}");
    }
}

#[test]
fn bureaus_and_towns_are_peer_groups_and_sub_units_rank_under_their_parent() {
    use duban_core::domain::derived::peers::{peer_group_of, PeerGroup};
    let org = organisation();
    let mut tree = UnitTree::default();
    for u in &org.units {
        tree.insert(u.id, u.parent);
    }
    let unit = |name: &str| {
        org.units
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let group = |name: &str| {
        let u = unit(name);
        peer_group_of(&tree, u.id, &u.peer_group)
    };
    for bureau in [
        "县住房和城乡建设局",
        "县交通运输局",
        "县应急管理局",
        "县城市管理局",
    ] {
        assert_eq!(
            group(bureau),
            PeerGroup::Named("县直部门".into()),
            "{bureau}"
        );
    }
    for town in ["城关镇人民政府", "柳河镇人民政府"] {
        assert_eq!(group(town), PeerGroup::Named("乡镇".into()), "{town}");
    }
    assert_eq!(
        group("房地产市场监管股"),
        PeerGroup::SubUnitsOf(unit("县住房和城乡建设局").id)
    );
    assert_eq!(
        group("市政设施管护中心"),
        PeerGroup::SubUnitsOf(unit("县城市管理局").id)
    );
    for u in &org.units {
        if u.parent.is_some_and(|p| tree.parent(p).is_some()) {
            assert!(
                u.peer_group.is_empty(),
                "{} keeps its parent's group",
                u.name
            );
        }
    }
}

/// Everything the demo module gives out, for one `now`, as JSON: the organisation, the
/// accounts and the scenario's steps (times, items, actors and commands in full).
fn snapshot(now: DateTime<Utc>) -> serde_json::Value {
    let org = organisation();
    let units: Vec<serde_json::Value> = org
        .units
        .iter()
        .map(|u| {
            serde_json::json!({
                "id": u.id, "parent": u.parent, "name": u.name,
            })
        })
        .collect();
    let people: Vec<serde_json::Value> = org
        .people
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id, "username": p.username, "name": p.name, "unit": p.unit,
                "position": p.position, "roles": p.roles, "in_charge": p.in_charge,
            })
        })
        .collect();
    let steps: Vec<serde_json::Value> = scenario(now, &Calendar::builtin(), &Policy::default())
        .iter()
        .map(|s| {
            serde_json::json!({
                "actor": s.actor, "at": s.at, "task": s.task, "command": s.command,
            })
        })
        .collect();
    serde_json::json!({
        "now": now,
        "organisation": {"name": org.name, "units": units, "people": people},
        "accounts": accounts(),
        "scenario": steps,
    })
}

/// The times the snapshot is taken at: one in full, the others (a spring after the Spring
/// Festival, a summer before the Dragon Boat Festival, the day after the National Day
/// week) by the BLAKE3 hash of their JSON.
const SNAPSHOT_AT: (i32, u32, u32, u32) = (2026, 11, 20, 10);
const HASHED_AT: [(i32, u32, u32, u32); 3] =
    [(2026, 6, 15, 10), (2025, 3, 3, 9), (2026, 10, 9, 16)];

fn hash_of(v: &serde_json::Value) -> String {
    blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
}

/// The demo's content is fixed: what the module gives out equals the snapshot taken when
/// the scenario was still written as code (`expected.json`), to the byte.
#[test]
fn the_demo_gives_out_exactly_the_snapshot() {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("expected.json")).expect("the snapshot");
    let expected = &file["snapshot"];
    let (y, m, d, h) = SNAPSHOT_AT;
    let actual = snapshot(local(y, m, d, h));
    assert_eq!(actual["organisation"], expected["organisation"]);
    assert_eq!(actual["accounts"], expected["accounts"]);
    let (a, e) = (
        actual["scenario"].as_array().expect("steps"),
        expected["scenario"].as_array().expect("steps"),
    );
    for (i, (a, e)) in a.iter().zip(e).enumerate() {
        assert_eq!(a, e, "step {i}");
    }
    assert_eq!(a.len(), e.len());
    assert_eq!(&actual, expected);
    for ((y, m, d, h), hash) in HASHED_AT
        .iter()
        .zip(file["hashes"].as_array().expect("hashes"))
    {
        assert_eq!(
            Some(hash_of(&snapshot(local(*y, *m, *d, *h))).as_str()),
            hash.as_str(),
            "{y}-{m}-{d} {h}:00"
        );
    }
}

/// Rewrites `expected.json` from what the module gives out now, after a deliberate change
/// of the demo file: `cargo test -p duban-server --lib rewrite_the_snapshot -- --ignored`.
/// Review the diff: every change in it is a change of the demo.
#[test]
#[ignore]
fn rewrite_the_snapshot() {
    let (y, m, d, h) = SNAPSHOT_AT;
    let hashes: Vec<String> = HASHED_AT
        .iter()
        .map(|(y, m, d, h)| hash_of(&snapshot(local(*y, *m, *d, *h))))
        .collect();
    let file = serde_json::json!({
        "hashes": hashes,
        "snapshot": snapshot(local(y, m, d, h)),
    });
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/demo/expected.json");
    let text = serde_json::to_string_pretty(&file).expect("json") + "\n";
    std::fs::write(path, text).expect("written");
}

/// `cargo test -- --ignored --nocapture` prints the items and their final statuses.
#[test]
#[ignore]
fn print_items() {
    let (_, states) = replay(local(2026, 11, 20, 10));
    for s in states.values() {
        println!(
            "{} | {} | {} | {}",
            s.number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            s.category,
            s.status.zh(),
            s.title
        );
    }
}

/// The compiled-in file reads and checks without error (what `organisation` and `scenario`
/// rely on), and every step's actor is a person of the organisation.
#[test]
fn the_demo_file_parses_and_is_valid() {
    let demo = Demo::parse(SOURCE).expect("the demo file");
    assert!(demo.steps.len() > 100, "{} steps", demo.steps.len());
    let people: BTreeSet<UserId> = demo.org.people.iter().map(|p| p.id).collect();
    assert!(demo.steps.iter().all(|s| people.contains(&s.actor)));
}

/// A mistake in the file is refused with what is wrong, not skipped: an unknown field, an
/// unknown username or unit, a time that does not read, a step without a time of day.
#[test]
fn a_mistake_in_the_demo_file_is_refused() {
    let org = r#"
name = "x"
[[unit]]
key = "root"
id = 0x1001
name = "x"
[[person]]
id = 0x2001
username = "sup"
name = "x"
unit = "root"
position = "x"
role = "supervisor"
[[account]]
username = "sup"
zh = "x"
en = "x"
[[item]]
id = 1
[[item.step]]
by = "sup"
do = "register"
category = "hotline"
title = "t"
content = "c"
source = "other"
"#;
    let ok = format!("{org}at = \"-3wd 09:30\"\n");
    let demo = Demo::parse(&ok).expect("a small valid file");
    let steps = expand(
        &demo,
        local(2026, 11, 20, 10),
        &Calendar::builtin(),
        &Policy::default(),
    );
    assert_eq!(steps.len(), 1);
    assert_eq!(
        Calendar::builtin().to_local(steps[0].at).to_string(),
        "2026-11-17 09:30:00"
    );
    for (bad, says) in [
        (
            format!("{org}at = \"-3wd 09:30\"\ntittle = \"t\"\n"),
            "tittle",
        ),
        (
            format!("{org}at = \"-3wd 09:30\"\n").replace("by = \"sup\"", "by = \"nobody\""),
            "nobody",
        ),
        (
            format!("{org}at = \"-3wd 09:30\"\n").replace("unit = \"root\"", "unit = \"nowhere\""),
            "nowhere",
        ),
        (format!("{org}at = \"-3d 09:30\"\n"), "-3d 09:30"),
        (format!("{org}at = \"-3wd\"\n"), "time of day"),
        (
            format!("{org}at = \"-3wd 09:30\"\n").replace("do = \"register\"", "do = \"regster\""),
            "regster",
        ),
    ] {
        let err = Demo::parse(&bad).err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains(says)),
            "{says}: {err:?}"
        );
    }
}

/// Relative times read as the file's header says.
#[test]
fn relative_times_read_as_documented() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0);
    assert_eq!(
        Rel::parse("-38wd 09:30").ok(),
        Some(Rel {
            back: true,
            days: 38,
            time: t(9, 30)
        })
    );
    assert_eq!(
        Rel::parse("+15wd").ok(),
        Some(Rel {
            back: false,
            days: 15,
            time: None
        })
    );
    for bad in [
        "15wd",
        "-wd",
        "+1.5wd",
        "-3d",
        "-3wd 9:30:00",
        "-3wd 25:00",
        "- 3wd",
        "",
    ] {
        assert!(Rel::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_banner_prints_every_account_once_grouped_by_role() {
    let banner = crate::seed::banner(
        crate::seed::Seeded::Fresh(1),
        "127.0.0.1:8080".parse().expect("address"),
    );
    let org = organisation();
    for p in &org.people {
        let lines = banner
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(p.username.as_str()))
            .count();
        assert_eq!(lines, 1, "{} in the banner:\n{banner}", p.username);
    }
    // The groups in order, each named once, each person under the first role they hold.
    let headers: Vec<usize> = [
        Role::Admin,
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Supervisor,
        Role::Inspector,
        Role::UnitHead,
        Role::Staff,
    ]
    .iter()
    .map(|r| {
        let header = format!("{} / {}:", r.zh(), r.en());
        assert_eq!(banner.matches(&header).count(), 1, "{header}:\n{banner}");
        banner.find(&header).expect("a header")
    })
    .collect();
    assert!(headers.windows(2).all(|w| w[0] < w[1]), "{banner}");
    let staff = banner
        .find(&format!("{}:", Role::Staff.en()))
        .expect("staff");
    let head = banner.find("  head-jtj ").expect("head-jtj");
    assert!(head < staff, "a unit head is listed as a head:\n{banner}");
    assert_eq!(
        accounts_by_role()
            .iter()
            .map(|(_, g)| g.len())
            .sum::<usize>(),
        org.people.len()
    );
}
