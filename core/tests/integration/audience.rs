//! Who may read an item, as audience keys (R11.2):
//! - `may_view` and `may_see_confidential` agree, on random items and random people, with a
//!   reference written directly from `Relation`, the roles and the unit hierarchy, and with
//!   the intersection of `audience`/`confidential_audience` and `actor_keys`;
//! - audience keys print and parse back exactly;
//! - scenarios: units see their own items and not others', heads see the units below them,
//!   participant units' colleagues see internal but not confidential items, and a hotline
//!   caller's name and phone reach only those who must see them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use duban_core::domain::command::DispatchOrder;
use duban_core::domain::model::{Assignee, Visibility};
use duban_core::domain::permission::Relation;
use duban_core::domain::policy::CategoryDef;
use duban_core::domain::state::Mark;
use duban_core::domain::{
    actor_keys, audience, confidential_audience, evolve, may_see_confidential, may_view,
    split_confidential, Actor, AudienceKey, Command, EventKind, ParseAudienceKeyError, Policy,
    Role, Roles, TaskState, UnitId, UnitTree, UserId,
};
use proptest::prelude::*;

use super::properties::{run, status, step};
use super::support::*;

// ----- the reference -------------------------------------------------------------------------

/// Roles that read every item.
const READERS: [Role; 6] = [
    Role::MainLeader,
    Role::DeputyLeader,
    Role::Supervisor,
    Role::Inspector,
    Role::Admin,
    Role::System,
];

/// Who may read, written from the rule's wording without audience keys.
fn reference_view(state: &TaskState, actor: &Actor, units: &UnitTree) -> bool {
    let roles = actor.roles;
    if state.visibility == Visibility::Public
        || roles.any(&READERS)
        || Relation::of(state, actor, units).involved()
    {
        return true;
    }
    if state.visibility == Visibility::Confidential {
        return false;
    }
    // Internal: the colleagues of the lead and participant units, and the heads of the
    // participant units and of the units above them.
    let Some(unit) = actor.unit else {
        return false;
    };
    let colleague = state.lead.is_some_and(|l| l.unit == unit)
        || state.participants.iter().any(|p| p.unit == unit);
    let head_above = roles.has(Role::UnitHead)
        && state
            .participants
            .iter()
            .any(|p| units.is_within(p.unit, unit));
    colleague || head_above
}

/// Who may see the confidential attributes, written from the rule's wording.
fn reference_confidential(state: &TaskState, actor: &Actor, units: &UnitTree) -> bool {
    let rel = Relation::of(state, actor, units);
    actor.roles.any(&[
        Role::MainLeader,
        Role::Supervisor,
        Role::Admin,
        Role::Inspector,
        Role::System,
    ]) || rel.creator
        || rel.lead_owner
        || rel.sharer
        || rel.item_leader
        || rel.reviewer
}

fn meets(keys: &BTreeSet<AudienceKey>, actor: &Actor) -> bool {
    actor_keys(actor).iter().any(|k| keys.contains(k))
}

/// Checks one person against one item, every way round.
fn check(state: &TaskState, actor: &Actor, units: &UnitTree) -> Result<(), TestCaseError> {
    let all = audience(state, units);
    let secret = confidential_audience(state, units);
    let view = may_view(state, actor, units);
    prop_assert_eq!(view, reference_view(state, actor, units), "{:?}", actor);
    prop_assert_eq!(view, meets(&all, actor));
    let see = may_see_confidential(state, actor, units);
    prop_assert_eq!(
        see,
        reference_confidential(state, actor, units),
        "{:?}",
        actor
    );
    prop_assert_eq!(see, meets(&secret, actor));
    prop_assert!(
        secret.is_subset(&all),
        "confidential readers all read the item"
    );
    prop_assert!(!see || view);
    Ok(())
}

// ----- generators ----------------------------------------------------------------------------

/// Units for generated trees: the fixtures' and one the fixtures' tree does not know.
const POOL_UNITS: [UnitId; 6] = [
    ROOT,
    UNIT_A,
    UNIT_A1,
    UNIT_B,
    UNIT_C,
    UnitId::from_u128(0x1FF),
];

fn pool_user(i: u8) -> UserId {
    UserId::from_u128(0x900 + u128::from(i % 6))
}

fn pool_unit(i: u8) -> UnitId {
    POOL_UNITS[usize::from(i) % POOL_UNITS.len()]
}

/// Role sets as bits over `Role::ALL`: mostly the unit roles (staff, unit head, both or
/// none), which read by relation only, sometimes any set at all.
fn role_bits() -> impl Strategy<Value = u8> {
    let staff = 1u8 << 6;
    let head = 1u8 << 5;
    prop_oneof![
        4 => prop::sample::select(vec![0, staff, head, staff | head]),
        1 => any::<u8>(),
    ]
}

/// A person: one of a small pool (so that ids collide with the item's), maybe in a unit,
/// with a set of roles.
fn actor_in_pool() -> impl Strategy<Value = Actor> {
    (any::<u8>(), prop::option::of(any::<u8>()), role_bits())
        .prop_map(|(id, unit, roles)| roles_actor(pool_user(id), unit.map(pool_unit), roles))
}

fn roles_actor(id: UserId, unit: Option<UnitId>, bits: u8) -> Actor {
    let held: Vec<Role> = Role::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, r)| r)
        .collect();
    Actor {
        id,
        unit,
        roles: Roles::of(&held),
    }
}

/// A unit tree over the pool: each unit absent, a root, or under any unit of the pool
/// (itself included, so cycles and self-loops occur).
fn tree() -> impl Strategy<Value = UnitTree> {
    prop::collection::vec(0u8..9, POOL_UNITS.len()).prop_map(|choices| {
        let mut t = UnitTree::default();
        for (unit, c) in POOL_UNITS.iter().zip(choices) {
            match c {
                0 => {}
                1 | 2 => t.insert(*unit, None),
                k => t.insert(*unit, Some(pool_unit(k - 3))),
            }
        }
        t
    })
}

fn assignee() -> impl Strategy<Value = Assignee> {
    (any::<u8>(), prop::option::of(any::<u8>())).prop_map(|(unit, user)| Assignee {
        unit: pool_unit(unit),
        user: user.map(pool_user),
    })
}

fn users(max: usize) -> impl Strategy<Value = Vec<UserId>> {
    prop::collection::vec(any::<u8>().prop_map(pool_user), 0..max)
}

fn visibility() -> impl Strategy<Value = Visibility> {
    prop::sample::select(vec![
        Visibility::Public,
        Visibility::Internal,
        Visibility::Confidential,
    ])
}

/// An item state built directly, with every field that bears on reading drawn at random
/// (including combinations the rules never produce, such as participants without a lead).
fn item() -> impl Strategy<Value = TaskState> {
    let people = (
        prop::option::of(any::<u8>()),
        prop::option::of(any::<u8>()),
        prop::option::of(any::<u8>()),
        prop::option::of(any::<u8>()),
        prop::option::of(any::<u8>()),
        prop::option::of(any::<u8>()),
    );
    let sets = (users(3), users(3), users(3));
    let sides = (
        visibility(),
        prop::option::of(assignee()),
        prop::collection::vec(assignee(), 0..4),
    );
    (people, sets, sides).prop_map(
        |(
            (creator, instructing, responsible, deputy, reviewer, report_approver),
            (sharers, chain, followers),
            (visibility, lead, participants),
        )| {
            let mut s = TaskState {
                visibility,
                lead,
                participants,
                instructing_leader: instructing.map(pool_user),
                responsible_leader: responsible.map(pool_user),
                deputy_leader: deputy.map(pool_user),
                reviewer: reviewer.map(pool_user),
                report_approver: report_approver.map(pool_user),
                sharers: sharers.into_iter().collect(),
                followers: followers.into_iter().collect(),
                ..TaskState::default()
            };
            s.approval.chain = chain;
            s.created = creator.map(|c| Mark {
                by: pool_user(c),
                at: local(2026, 3, 2, 9, 0),
                seq: 1,
            });
            s
        },
    )
}

fn key() -> impl Strategy<Value = AudienceKey> {
    prop_oneof![
        Just(AudienceKey::Everyone),
        prop::sample::select(Role::ALL.to_vec()).prop_map(AudienceKey::Role),
        any::<u128>().prop_map(|n| AudienceKey::User(UserId::from_u128(n))),
        any::<u128>().prop_map(|n| AudienceKey::Unit(UnitId::from_u128(n))),
        any::<u128>().prop_map(|n| AudienceKey::Head(UnitId::from_u128(n))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn reading_is_the_key_intersection_on_random_items(
        state in item(),
        units in tree(),
        actors in prop::collection::vec(actor_in_pool(), 1..12),
    ) {
        for actor in &actors {
            check(&state, actor, &units)?;
        }
        // Everyone of the item, at any visibility.
        for v in [Visibility::Public, Visibility::Internal, Visibility::Confidential] {
            let s = TaskState { visibility: v, ..state.clone() };
            for actor in &actors {
                check(&s, actor, &units)?;
            }
        }
    }

    #[test]
    fn ancestors_are_the_units_a_unit_lies_within(units in tree()) {
        for unit in POOL_UNITS {
            let up = units.ancestors(unit);
            prop_assert_eq!(up.first(), Some(&unit));
            let distinct: BTreeSet<UnitId> = up.iter().copied().collect();
            prop_assert_eq!(distinct.len(), up.len(), "no unit twice");
            for a in POOL_UNITS {
                prop_assert_eq!(up.contains(&a), units.is_within(unit, a), "{} in {}", unit, a);
            }
        }
    }

    #[test]
    fn audience_keys_print_and_parse_back_exactly(k in key()) {
        let printed = k.to_string();
        prop_assert_eq!(printed.parse::<AudienceKey>(), Ok(k));
        prop_assert_eq!(printed.parse::<AudienceKey>().map(|k| k.to_string()), Ok(printed));
        let json = serde_json::to_string(&k).unwrap_or_default();
        prop_assert_eq!(serde_json::from_str::<AudienceKey>(&json).ok(), Some(k));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// The items the rules really produce, at every step of random command sequences, for
    /// every person of the cast and a few random ones.
    #[test]
    fn reading_is_the_key_intersection_along_random_sequences(
        start in status(),
        steps in prop::collection::vec(step(), 1..40),
        strangers in prop::collection::vec(
            (any::<u8>(), prop::option::of(any::<u8>()), role_bits()),
            0..4,
        ),
    ) {
        let w = run(start, &steps)?;
        let mut people: Vec<Actor> = CAST.iter().map(|id| actor(*id)).collect();
        people.push(Actor::system());
        // Strangers take the cast's ids (so they are named on the item) with other units
        // and roles.
        people.extend(strangers.into_iter().map(|(id, unit, roles)| {
            roles_actor(CAST[usize::from(id) % CAST.len()], unit.map(pool_unit), roles)
        }));
        let mut s = TaskState::default();
        for e in &w.events {
            s = evolve(s, e);
            for v in [Visibility::Public, Visibility::Internal, Visibility::Confidential] {
                let item = TaskState { visibility: v, ..s.clone() };
                for a in &people {
                    check(&item, a, &w.units)?;
                }
            }
        }
    }
}

// ----- keys and ancestors --------------------------------------------------------------------

#[test]
fn audience_keys_have_stable_strings() {
    let u = UserId::from_u128(0x1234);
    let unit = UnitId::from_u128(0xABCD);
    assert_eq!(AudienceKey::Everyone.to_string(), "everyone");
    assert_eq!(
        AudienceKey::Role(Role::MainLeader).to_string(),
        "role:main_leader"
    );
    assert_eq!(
        AudienceKey::User(u).to_string(),
        "user:00000000-0000-0000-0000-000000001234"
    );
    assert_eq!(
        AudienceKey::Unit(unit).to_string(),
        "unit:00000000-0000-0000-0000-00000000abcd"
    );
    assert_eq!(
        AudienceKey::Head(unit).to_string(),
        "head:00000000-0000-0000-0000-00000000abcd"
    );
    // The role's name is its serde name.
    for r in Role::ALL {
        let serde = serde_json::to_value(r).expect("a role serialises");
        let name = serde.as_str().expect("as a string");
        assert_eq!(AudienceKey::Role(r).to_string(), format!("role:{name}"));
    }
    // Only the printed spelling parses.
    for bad in [
        "",
        "Everyone",
        "everyone:",
        "role",
        "role:",
        "role:MainLeader",
        "role:leader",
        "user:",
        "user:42",
        "user:00000000-0000-0000-0000-00000000ABCD",
        "user:0000000000000000000000000000abcd",
        "user:{00000000-0000-0000-0000-00000000abcd}",
        "unit: 00000000-0000-0000-0000-00000000abcd",
        "group:00000000-0000-0000-0000-00000000abcd",
        "head:00000000-0000-0000-0000-00000000abcd:x",
    ] {
        assert_eq!(
            bad.parse::<AudienceKey>(),
            Err(ParseAudienceKeyError),
            "{bad:?}"
        );
    }
    assert!(!ParseAudienceKeyError.to_string().is_empty());
}

#[test]
fn a_person_holds_the_keys_of_their_roles_and_unit() {
    let id = UserId::from_u128(0x77);
    let head = Actor {
        id,
        unit: Some(UNIT_A),
        roles: Roles::of(&[Role::UnitHead, Role::Inspector]),
    };
    assert_eq!(
        actor_keys(&head),
        vec![
            AudienceKey::Everyone,
            AudienceKey::Role(Role::Inspector),
            AudienceKey::Role(Role::UnitHead),
            AudienceKey::User(id),
            AudienceKey::Unit(UNIT_A),
            AudienceKey::Head(UNIT_A),
        ]
    );
    let staff = actor(HANDLER);
    assert_eq!(
        actor_keys(&staff),
        vec![
            AudienceKey::Everyone,
            AudienceKey::Role(Role::Staff),
            AudienceKey::User(HANDLER),
            AudienceKey::Unit(UNIT_A),
        ]
    );
    // A unit head without a unit heads nothing.
    let loose = Actor {
        id,
        unit: None,
        roles: Roles::of(&[Role::UnitHead]),
    };
    assert_eq!(
        actor_keys(&loose),
        vec![
            AudienceKey::Everyone,
            AudienceKey::Role(Role::UnitHead),
            AudienceKey::User(id),
        ]
    );
}

#[test]
fn ancestors_walk_up_to_the_root_and_stop_on_cycles_and_depth() {
    let t = units();
    assert_eq!(t.ancestors(UNIT_A1), vec![UNIT_A1, UNIT_A, ROOT]);
    assert_eq!(t.ancestors(ROOT), vec![ROOT]);
    let unknown = UnitId::from_u128(0xFFF);
    assert_eq!(t.ancestors(unknown), vec![unknown]);

    let (x, y, z) = (
        UnitId::from_u128(1),
        UnitId::from_u128(2),
        UnitId::from_u128(3),
    );
    let mut cyclic = UnitTree::default();
    cyclic.insert(x, Some(y));
    cyclic.insert(y, Some(z));
    cyclic.insert(z, Some(x));
    assert_eq!(cyclic.ancestors(x), vec![x, y, z]);
    let mut selfish = UnitTree::default();
    selfish.insert(x, Some(x));
    assert_eq!(selfish.ancestors(x), vec![x]);

    let mut deep = UnitTree::default();
    for n in 0..200u128 {
        deep.insert(UnitId::from_u128(n + 1), Some(UnitId::from_u128(n)));
    }
    let up = deep.ancestors(UnitId::from_u128(200));
    assert_eq!(up.len(), UnitTree::MAX_DEPTH);
    assert_eq!(up[0], UnitId::from_u128(200));
    assert!(up
        .iter()
        .all(|u| deep.is_within(UnitId::from_u128(200), *u)));
    assert!(!deep.is_within(UnitId::from_u128(200), UnitId::from_u128(0)));
}

// ----- scenarios -----------------------------------------------------------------------------

/// Another staff member of unit B (not the named participant).
const B_STAFF: UserId = UserId::from_u128(0x201);
/// The head of unit B.
const HEAD_B: UserId = UserId::from_u128(0x202);

fn person(id: UserId) -> Actor {
    match id {
        B_STAFF => Actor {
            id,
            unit: Some(UNIT_B),
            roles: Roles::of(&[Role::Staff]),
        },
        HEAD_B => Actor {
            id,
            unit: Some(UNIT_B),
            roles: Roles::of(&[Role::UnitHead]),
        },
        _ => actor(id),
    }
}

fn item_with(visibility: Visibility, o: DispatchOrder) -> World {
    let mut reg = registration("annual_key_work", 1);
    reg.visibility = visibility;
    let mut w = World::new();
    w.ok(SUPERVISOR, register(reg)).ok(SUPERVISOR, dispatch(o));
    w
}

fn readers(w: &World, people: &[UserId]) -> Vec<UserId> {
    people
        .iter()
        .copied()
        .filter(|p| may_view(&w.state, &person(*p), &w.units))
        .collect()
}

#[test]
fn a_unit_sees_its_own_items_and_not_another_units() {
    let a_item = item_with(Visibility::Internal, order_to(UNIT_A, HANDLER, None));
    let b_item = item_with(Visibility::Internal, order_to(UNIT_B, PARTICIPANT, None));
    let units = units();
    // The handler of unit A sees A's item, not B's; so does a colleague in A who is not
    // named, and A's head.
    for who in [HANDLER, SHARER1, HEAD_A] {
        assert!(may_view(&a_item.state, &person(who), &units), "{who}");
        assert!(!may_view(&b_item.state, &person(who), &units), "{who}");
    }
    // B's people the other way round.
    for who in [PARTICIPANT, B_STAFF, HEAD_B] {
        assert!(!may_view(&a_item.state, &person(who), &units), "{who}");
        assert!(may_view(&b_item.state, &person(who), &units), "{who}");
    }
    // The head of the parent unit (the root) sees both; staff of a sub-unit of A are not
    // A's members and do not; unit C sees neither.
    for item in [&a_item, &b_item] {
        assert!(may_view(&item.state, &person(HEAD_ROOT), &units));
        assert!(!may_view(&item.state, &person(SUB_HANDLER), &units));
        assert!(!may_view(&item.state, &person(OUTSIDER), &units));
    }
    // And commands follow: to B's staff (PARTICIPANT takes no part in A's item here) A's item
    // does not exist, so they may not even follow it; A's colleague may.
    let mut a_item = a_item;
    a_item.refused(PARTICIPANT, Command::Follow, "task.not_found");
    a_item.ok(SHARER1, Command::Follow);
}

#[test]
fn a_unit_with_no_named_handler_reads_as_a_whole() {
    let w = item_with(
        Visibility::Confidential,
        DispatchOrder {
            lead: Assignee {
                unit: UNIT_A,
                user: None,
            },
            participants: vec![Assignee {
                unit: UNIT_B,
                user: None,
            }],
            ..order_to(UNIT_A, HANDLER, None)
        },
    );
    // Even confidential: the lead unit and the participant unit are named as wholes (B's
    // head is one of B's members); units below or beside them are not.
    assert_eq!(
        readers(
            &w,
            &[
                HANDLER,
                SHARER1,
                HEAD_A,
                HEAD_ROOT,
                B_STAFF,
                HEAD_B,
                SUB_HANDLER,
                OUTSIDER
            ]
        ),
        vec![HANDLER, SHARER1, HEAD_A, HEAD_ROOT, B_STAFF, HEAD_B]
    );
    // Only the lead side sees confidential attributes: not the participant unit.
    let secret: Vec<UserId> = [HANDLER, SHARER1, HEAD_A, HEAD_ROOT, B_STAFF, HEAD_B]
        .into_iter()
        .filter(|p| may_see_confidential(&w.state, &person(*p), &w.units))
        .collect();
    assert_eq!(secret, vec![HANDLER, SHARER1, HEAD_A, HEAD_ROOT]);
}

#[test]
fn participant_colleagues_read_internal_items_but_not_confidential_ones() {
    // Led by HANDLER in A; PARTICIPANT, a named person in B, takes part.
    let people = [
        PARTICIPANT,
        B_STAFF,
        HEAD_B,
        SHARER2,
        HEAD_A,
        HEAD_ROOT,
        SUB_HANDLER,
        OUTSIDER,
    ];
    let internal = item_with(Visibility::Internal, order(HANDLER));
    assert_eq!(
        readers(&internal, &people),
        vec![PARTICIPANT, B_STAFF, HEAD_B, SHARER2, HEAD_A, HEAD_ROOT]
    );
    let confidential = item_with(Visibility::Confidential, order(HANDLER));
    assert_eq!(
        readers(&confidential, &people),
        vec![PARTICIPANT, HEAD_A, HEAD_ROOT]
    );
    let public = item_with(Visibility::Public, order(HANDLER));
    assert_eq!(readers(&public, &people), people.to_vec());

    // The internal item's keys, pinned: what the server stores for it.
    let k = |s: &str| s.parse::<AudienceKey>().expect("a key");
    let expected: BTreeSet<AudienceKey> = [
        "role:admin",
        "role:main_leader",
        "role:deputy_leader",
        "role:supervisor",
        "role:inspector",
        "role:system",
        "user:00000000-0000-0000-0000-000000000001", // creator and reviewer: the supervisor
        "user:00000000-0000-0000-0000-000000000002", // the lead handler
        "user:00000000-0000-0000-0000-00000000000b", // the participant
        "user:00000000-0000-0000-0000-000000000004", // the responsible leader
        "user:00000000-0000-0000-0000-000000000003", // the deputy leader in charge
        "unit:00000000-0000-0000-0000-000000000101", // unit A's staff
        "unit:00000000-0000-0000-0000-000000000102", // unit B's staff
        "head:00000000-0000-0000-0000-000000000101", // A's head
        "head:00000000-0000-0000-0000-000000000102", // B's head
        "head:00000000-0000-0000-0000-000000000100", // the root's head
    ]
    .into_iter()
    .map(k)
    .collect();
    assert_eq!(audience(&internal.state, &internal.units), expected);
    // Confidential: no colleagues, no head of B.
    let confidential_keys = audience(&confidential.state, &confidential.units);
    assert_eq!(
        expected
            .difference(&confidential_keys)
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        vec![
            "unit:00000000-0000-0000-0000-000000000101",
            "unit:00000000-0000-0000-0000-000000000102",
            "head:00000000-0000-0000-0000-000000000102",
        ]
    );
}

#[test]
fn a_draft_is_read_by_its_creator_approvers_and_leaders_only() {
    let mut reg = registration("annual_key_work", 1);
    reg.approval_chain = vec![APPROVER];
    reg.instructing_leader = Some(MAIN);
    let mut w = World::new();
    w.ok(SUPERVISOR, register(reg));
    let keys = audience(&w.state, &w.units);
    assert!(keys
        .iter()
        .all(|k| matches!(k, AudienceKey::Role(_) | AudienceKey::User(_))));
    let named: BTreeSet<UserId> = keys
        .iter()
        .filter_map(|k| match k {
            AudienceKey::User(u) => Some(*u),
            _ => None,
        })
        .collect();
    assert_eq!(named, BTreeSet::from([SUPERVISOR, APPROVER, MAIN]));
    assert_eq!(
        readers(
            &w,
            &[SUPERVISOR, APPROVER, MAIN, HANDLER, HEAD_A, HEAD_ROOT]
        ),
        vec![SUPERVISOR, APPROVER, MAIN]
    );
}

/// A hotline category whose caller's name and phone are confidential.
fn hotline_policy() -> Policy {
    let mut policy = Policy::default();
    // A hotline category of plain items, without the work order's process.
    policy.categories.retain(|c| c.code != "hotline");
    policy.categories.push(CategoryDef {
        code: "hotline".into(),
        name_zh: "12345热线".into(),
        name_en: "Hotline".into(),
        prefix: "热".into(),
        required_attributes: vec!["caller_name".into(), "ticket".into()],
        confidential_attributes: vec!["caller_name".into(), "caller_phone".into()],
        evidence_required: false,
        is_instruction: false,
        labels: Default::default(),
        order_line: None,
    });
    policy
}

#[test]
fn confidential_attributes_reach_only_those_who_must_see_them() {
    let mut w = World::new();
    w.policy = hotline_policy();
    let mut reg = registration("other", 1);
    reg.category = "hotline".into();
    reg.number.prefix = "热".into();
    reg.attributes = BTreeMap::from([
        ("caller_name".to_owned(), "张三".to_owned()),
        ("caller_phone".to_owned(), "13800000000".to_owned()),
        ("ticket".to_owned(), "RX-2026-0001".to_owned()),
    ]);
    w.ok(SUPERVISOR, register(reg))
        .ok(SUPERVISOR, dispatch(order(HANDLER)))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive)
        .ok(
            HANDLER,
            Command::Share {
                with: vec![SHARER1],
            },
        )
        .ok(APPROVER, Command::Follow);
    let see = |who: UserId| may_see_confidential(&w.state, &person(who), &w.units);
    // The lead handler, the supervisor (creator), the lead unit's and the root's heads, the
    // sharer, the item's responsible and deputy leaders, inspectors.
    for who in [
        HANDLER, SUPERVISOR, HEAD_A, HEAD_ROOT, SHARER1, MAIN, DEPUTY, INSPECTOR,
    ] {
        assert!(see(who), "{who} must see the caller");
    }
    // Not the participant, not a colleague of the lead unit, not a deputy leader who has no
    // part in the item (even following it), not the participant's unit, not outsiders.
    for who in [PARTICIPANT, SHARER2, APPROVER, B_STAFF, HEAD_B, OUTSIDER] {
        assert!(!see(who), "{who} must not see the caller");
    }
    // All but the outsider read the item itself.
    assert_eq!(
        readers(
            &w,
            &[PARTICIPANT, SHARER2, APPROVER, B_STAFF, HEAD_B, OUTSIDER]
        ),
        vec![PARTICIPANT, SHARER2, APPROVER, B_STAFF, HEAD_B]
    );

    // The server takes the confidential attributes out of the registration before the
    // Registered event goes into the trail.
    let EventKind::Registered(registered) = &w.events[0].kind else {
        panic!("the first event registers");
    };
    let mut kept = (**registered).clone();
    let secret = split_confidential(&mut kept, &w.policy);
    assert_eq!(
        secret,
        BTreeMap::from([
            ("caller_name".to_owned(), "张三".to_owned()),
            ("caller_phone".to_owned(), "13800000000".to_owned()),
        ])
    );
    assert_eq!(
        kept.attributes,
        BTreeMap::from([("ticket".to_owned(), "RX-2026-0001".to_owned())])
    );
    assert_eq!(split_confidential(&mut kept, &w.policy), BTreeMap::new());

    // A category without confidential attributes, or an unknown one, keeps everything.
    let mut plain = (**registered).clone();
    plain.category = "other".into();
    assert!(split_confidential(&mut plain, &w.policy).is_empty());
    assert_eq!(plain.attributes.len(), 3);
    plain.category = "nope".into();
    assert!(split_confidential(&mut plain, &w.policy).is_empty());
    assert_eq!(plain.attributes.len(), 3);
}
