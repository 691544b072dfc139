//! The phone's screens, computed from an item's state: the inbox (`derived::duty`), the
//! views of R8.2 (`derived::view`), the trail's lines and the notifications
//! (`derived::describe`). Every state is built through the real rules.

use chrono::Duration;
use duban_core::domain::command::{ReminderKind, SubtaskSpec, UrgeChannel};
use duban_core::domain::derived::describe::{describe, notice, Notice, NoticeKind};
use duban_core::domain::derived::duty::{duties, Duty};
use duban_core::domain::derived::view::{views_of, View, Viewer};
use duban_core::domain::model::{
    AdjustmentId, Assignee, BlobRef, Period, ReportId, TaskNumber, Visibility,
};
use duban_core::domain::Code;
use duban_core::domain::{
    evolve, fold, Actor, Command, CommandKind, Context, EventKind, Points, Status, TaskId,
    TaskState, UnitId, UserId,
};
use proptest::prelude::*;

use super::matrix::{fixture, fixture_with};
use super::properties::{run, status, step};
use super::support::*;

// ----- helpers ------------------------------------------------------------------------------

fn name(u: UserId) -> &'static str {
    match u {
        SUPERVISOR => "SUPERVISOR",
        HANDLER => "HANDLER",
        DEPUTY => "DEPUTY",
        MAIN => "MAIN",
        APPROVER => "APPROVER",
        HEAD_A => "HEAD_A",
        SHARER1 => "SHARER1",
        SHARER2 => "SHARER2",
        OUTSIDER => "OUTSIDER",
        INSPECTOR => "INSPECTOR",
        PARTICIPANT => "PARTICIPANT",
        HEAD_ROOT => "HEAD_ROOT",
        SUB_HANDLER => "SUB_HANDLER",
        _ if u == UserId::SYSTEM => "SYSTEM",
        _ => "someone",
    }
}

/// Everyone of the cast and the system.
fn everyone() -> impl Iterator<Item = UserId> {
    CAST.into_iter().chain([UserId::SYSTEM])
}

fn ctx<'a>(w: &'a World, a: &'a Actor) -> Context<'a> {
    Context {
        actor: a,
        now: w.now,
        calendar: &w.calendar,
        policy: &w.policy,
        units: &w.units,
        parent: None,
    }
}

fn duties_of(w: &World, who: UserId) -> Vec<Duty> {
    let a = actor(who);
    duties(&w.state, &ctx(w, &a))
}

/// The people with duties and their duties; everyone else has none.
type Inbox<'a> = &'a [(UserId, &'a [Duty])];

/// Checks everyone's inbox: the people listed have exactly their duties, everyone else none.
#[track_caller]
fn inbox(w: &World, label: &str, expected: Inbox<'_>) {
    for who in everyone() {
        let want = expected
            .iter()
            .find(|(u, _)| *u == who)
            .map_or(&[][..], |(_, d)| *d);
        assert_eq!(duties_of(w, who), want, "{label}: {}", name(who));
    }
}

fn until_after_deadline(w: &World, days: i64) -> chrono::DateTime<chrono::Utc> {
    let deadline = w.state.deadline.expect("a deadline");
    let local = w.calendar.to_local(deadline + Duration::days(days));
    w.calendar
        .from_local(local.date().and_hms_opt(17, 0, 0).expect("17:00"))
}

fn ask_extension(w: &World, days: i64) -> Command {
    Command::RequestExtension {
        until: until_after_deadline(w, days),
        reason: "需等待检测结果".into(),
    }
}

fn refuse_extension() -> Command {
    Command::DecideExtension {
        approve: false,
        opinion: "理由不充分".into(),
    }
}

fn evidence() -> BlobRef {
    BlobRef::file("ab".repeat(32), "image/jpeg", 1024, "现场.jpg")
}

/// Commands that discharge the duty, with inputs of their own (refusals as well as
/// approvals), written independently of the probes inside `duties`. A dispatch goes where
/// `who` reaches: unit B for the roles that reach every unit, else their own unit.
fn discharge(duty: Duty, w: &World, who: UserId) -> Vec<Command> {
    let no = |approve: bool| {
        if approve {
            String::new()
        } else {
            "不同意,请补充材料".to_owned()
        }
    };
    match duty {
        Duty::Submit => vec![Command::SubmitForApproval],
        Duty::ApproveRegistration => [true, false]
            .map(|approve| Command::DecideRegistration {
                approve,
                opinion: no(approve),
            })
            .to_vec(),
        Duty::Dispatch => {
            let a = actor(who);
            let everywhere = a.roles.any(&[
                duban_core::domain::Role::Supervisor,
                duban_core::domain::Role::Admin,
                duban_core::domain::Role::MainLeader,
                duban_core::domain::Role::DeputyLeader,
                duban_core::domain::Role::Inspector,
            ]);
            let mut o = order_to(UNIT_B, PARTICIPANT, Some(w.now + Duration::days(30)));
            if let (false, Some(own)) = (everywhere, a.unit) {
                o.lead = Assignee {
                    unit: own,
                    user: None,
                };
            }
            vec![dispatch(o)]
        }
        Duty::Receive => vec![Command::Receive],
        Duty::Handle => vec![
            progress(0xF00D, 55),
            Command::ReportCompletion {
                report: duban_core::domain::command::ReportBody {
                    id: ReportId::from_u128(0xF00E),
                    text: "已全部完成".into(),
                    evidence: vec![evidence()],
                    values: Default::default(),
                },
            },
        ],
        Duty::ApproveReport => w
            .state
            .reports
            .iter()
            .filter(|r| r.status == duban_core::domain::state::ReportStatus::PendingApproval)
            .flat_map(|r| {
                [true, false].map(|approve| Command::DecideReport {
                    report: r.id,
                    approve,
                    opinion: no(approve),
                })
            })
            .collect(),
        Duty::Review => vec![
            accept(),
            Command::Review {
                accept: false,
                opinion: "佐证不足".into(),
                new_deadline: Some(w.now + Duration::days(20)),
            },
        ],
        Duty::DecideExtension => [true, false]
            .map(|approve| Command::DecideExtension {
                approve,
                opinion: no(approve),
            })
            .to_vec(),
        Duty::DecideSuspension => [true, false]
            .map(|approve| Command::DecideSuspension {
                approve,
                opinion: no(approve),
            })
            .to_vec(),
        Duty::DecideResumption => [true, false]
            .map(|approve| Command::DecideResumption {
                approve,
                opinion: no(approve),
            })
            .to_vec(),
        Duty::Rate => (1..=5)
            .map(|stars| Command::Rate {
                stars,
                opinion: String::new(),
            })
            .collect(),
        Duty::Close => vec![Command::Close],
        Duty::AcceptOrder => vec![
            Command::AcceptOrder {
                note: String::new(),
            },
            Command::RefuseOrder {
                reason: duban_core::domain::order::NonAcceptance::OutsideRemit {
                    refer_to: "市场监管局".into(),
                },
                note: String::new(),
            },
        ],
        Duty::InformCaller => w
            .state
            .order
            .iter()
            .flat_map(|o| o.owed.iter())
            .map(|about| Command::InformCaller {
                about: *about,
                method: duban_core::domain::order::ContactMethod::Letter,
                told_at: w.now,
                note: String::new(),
            })
            .collect(),
        Duty::DecideCommitment => [true, false]
            .map(|approve| Command::DecideCommitment {
                approve,
                opinion: no(approve),
            })
            .to_vec(),
        Duty::CallBack => [
            duban_core::domain::order::Satisfaction::Satisfied,
            duban_core::domain::order::Satisfaction::Unsatisfied,
        ]
        .map(|satisfaction| Command::CallBack {
            answers: duban_core::domain::order::CallbackAnswers {
                told_result_and_basis: true,
                factual: false,
                misconduct: false,
                satisfaction,
            },
            note: String::new(),
        })
        .to_vec(),
    }
}

/// Every duty listed for anyone is one the rules accept from them now, with every input
/// of [`discharge`]; returns what failed.
fn refused_duties(w: &World) -> Vec<String> {
    let mut out = Vec::new();
    for who in everyone() {
        for duty in duties_of(w, who) {
            let commands = discharge(duty, w, who);
            assert!(!commands.is_empty(), "{duty:?} has a command");
            for cmd in commands {
                let completes = duty == Duty::Handle && cmd.kind() == CommandKind::ReportCompletion;
                let refuses = duty == Duty::AcceptOrder && cmd.kind() == CommandKind::RefuseOrder;
                assert!(
                    cmd.kind() == duty.command() || completes || refuses,
                    "{duty:?}"
                );
                if let Err(r) = w.try_decide(who, &cmd) {
                    out.push(format!(
                        "{} lists {duty:?} in {:?}, but {:?} is refused: {r}",
                        name(who),
                        w.state.status,
                        cmd.kind()
                    ));
                }
            }
        }
    }
    out
}

/// Runs a command and returns what each person (of the cast, and the system) is told.
fn told(w: &mut World, who: UserId, cmd: Command) -> Vec<(UserId, Notice)> {
    let before = w.state.clone();
    let from = w.events.len();
    w.ok(who, cmd);
    let mut out = Vec::new();
    let mut state = before;
    for e in &w.events[from..] {
        let after = evolve(state.clone(), e);
        for person in everyone() {
            let a = actor(person);
            if let Some(n) = notice(&state, e, &after, &ctx(w, &a)) {
                out.push((person, n));
            }
        }
        state = after;
    }
    out
}

fn kind_for(notices: &[(UserId, Notice)], who: UserId) -> Option<NoticeKind> {
    notices.iter().find(|(u, _)| *u == who).map(|(_, n)| n.kind)
}

fn text_for(notices: &[(UserId, Notice)], who: UserId) -> Option<(String, String)> {
    notices
        .iter()
        .find(|(u, _)| *u == who)
        .map(|(_, n)| (n.zh.clone(), n.en.clone()))
}

fn told_only(notices: &[(UserId, Notice)]) -> Vec<&'static str> {
    let mut v: Vec<&str> = notices.iter().map(|(u, _)| name(*u)).collect();
    v.sort_unstable();
    v
}

// ----- the inbox ----------------------------------------------------------------------------

#[test]
fn each_status_lists_its_duties_for_the_right_people_only() {
    use Duty as D;
    let cases: [(Status, Inbox<'_>); 12] = [
        (Status::New, &[]),
        (Status::Draft, &[(SUPERVISOR, &[D::Submit])]),
        (
            Status::AwaitingApproval,
            &[(APPROVER, &[D::ApproveRegistration])],
        ),
        (
            Status::Dispatched,
            &[(HANDLER, &[D::Receive]), (PARTICIPANT, &[D::Receive])],
        ),
        (Status::Declined, &[(SUPERVISOR, &[D::Dispatch])]),
        (
            Status::InProgress,
            &[
                (HANDLER, &[D::Handle]),
                (SHARER1, &[D::Handle]),
                (PARTICIPANT, &[D::Receive]),
                (HEAD_A, &[D::ApproveReport]),
            ],
        ),
        // The progress report still waits, but no report is decided while suspended.
        (Status::Suspended, &[]),
        (
            Status::UnderReview,
            &[(SUPERVISOR, &[D::Review]), (HEAD_A, &[D::ApproveReport])],
        ),
        (
            Status::Completed,
            &[
                (SUPERVISOR, &[D::Close]),
                (MAIN, &[D::Rate]),
                (DEPUTY, &[D::Rate]),
            ],
        ),
        (Status::Revoked, &[]),
        (Status::Closed, &[]),
        (Status::Archived, &[]),
    ];
    for (status, expected) in cases {
        inbox(&fixture(status), &format!("{status:?}"), expected);
    }
}

#[test]
fn a_rating_leaves_the_inbox_once_given() {
    let mut w = fixture(Status::Completed);
    w.ok(
        MAIN,
        Command::Rate {
            stars: 4,
            opinion: String::new(),
        },
    );
    assert_eq!(duties_of(&w, MAIN), []);
    assert_eq!(duties_of(&w, DEPUTY), [Duty::Rate]);
}

#[test]
fn extensions_go_to_the_deputy_in_charge_then_to_the_main_leader() {
    let mut w = in_progress();
    let first = ask_extension(&w, 3);
    w.ok(HANDLER, first);
    inbox(
        &w,
        "first request",
        &[
            (HANDLER, &[Duty::Handle]),
            (PARTICIPANT, &[Duty::Receive]),
            (DEPUTY, &[Duty::DecideExtension]),
        ],
    );
    assert!(Duty::DecideExtension.is_approval());
    w.ok(DEPUTY, refuse_extension());
    assert_eq!(duties_of(&w, DEPUTY), []);
    let second = ask_extension(&w, 4);
    w.ok(HANDLER, second);
    inbox(
        &w,
        "second request",
        &[
            (HANDLER, &[Duty::Handle]),
            (PARTICIPANT, &[Duty::Receive]),
            (MAIN, &[Duty::DecideExtension]),
        ],
    );
}

#[test]
fn with_no_deputy_named_every_deputy_leader_may_decide_the_first_extension() {
    let mut w = World::new();
    let mut o = order_to(UNIT_A, HANDLER, None);
    o.deputy_leader = None;
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(o))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive);
    let ask = ask_extension(&w, 2);
    w.ok(HANDLER, ask);
    assert_eq!(duties_of(&w, DEPUTY), [Duty::DecideExtension]);
    assert_eq!(duties_of(&w, APPROVER), [Duty::DecideExtension]);
    assert_eq!(duties_of(&w, MAIN), []);
}

#[test]
fn suspension_and_resumption_go_to_the_items_leaders() {
    let mut w = in_progress();
    w.ok(HANDLER, ask_suspension());
    // The item names MAIN (responsible) and DEPUTY (in charge); APPROVER, a deputy leader
    // of something else, may decide but is not asked to.
    for who in [MAIN, DEPUTY] {
        assert_eq!(
            duties_of(&w, who),
            [Duty::DecideSuspension],
            "{}",
            name(who)
        );
    }
    assert_eq!(duties_of(&w, APPROVER), []);
    w.ok(DEPUTY, agree_suspension());
    assert_eq!(duties_of(&w, MAIN), []);
    assert_eq!(duties_of(&w, HANDLER), [], "no handling while suspended");
    w.ok(HANDLER, ask_resumption());
    for who in [MAIN, DEPUTY] {
        assert_eq!(
            duties_of(&w, who),
            [Duty::DecideResumption],
            "{}",
            name(who)
        );
    }
    assert_eq!(duties_of(&w, APPROVER), []);
    w.ok(MAIN, agree_resumption());
    assert_eq!(duties_of(&w, HANDLER), [Duty::Handle]);
}

#[test]
fn an_item_naming_no_leader_asks_every_leader_to_decide_a_suspension() {
    let mut w = World::new();
    let mut o = order_to(UNIT_A, HANDLER, None);
    o.deputy_leader = None;
    o.responsible_leader = None;
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(o))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive)
        .ok(HANDLER, ask_suspension());
    for who in [MAIN, DEPUTY, APPROVER] {
        assert_eq!(
            duties_of(&w, who),
            [Duty::DecideSuspension],
            "{}",
            name(who)
        );
    }
    assert_eq!(duties_of(&w, SUPERVISOR), []);
}

#[test]
fn a_returned_registration_is_submitted_again_and_an_approved_one_dispatched() {
    let mut w = fixture(Status::AwaitingApproval);
    w.ok(
        APPROVER,
        Command::DecideRegistration {
            approve: false,
            opinion: "请补充依据".into(),
        },
    );
    inbox(&w, "returned", &[(SUPERVISOR, &[Duty::Submit])]);
    w.ok(SUPERVISOR, Command::SubmitForApproval).ok(
        APPROVER,
        Command::DecideRegistration {
            approve: true,
            opinion: String::new(),
        },
    );
    inbox(&w, "approved", &[(SUPERVISOR, &[Duty::Dispatch])]);
}

#[test]
fn a_declined_item_goes_back_to_its_creator_and_the_office() {
    // A unit head registers and dispatches to a section below; the section declines.
    let mut w = World::new();
    w.ok(HEAD_A, register(registration("annual_key_work", 1)));
    inbox(&w, "draft", &[(HEAD_A, &[Duty::Dispatch])]);
    w.ok(HEAD_A, dispatch(order_to(UNIT_A1, SUB_HANDLER, None)));
    inbox(&w, "dispatched", &[(SUB_HANDLER, &[Duty::Receive])]);
    w.ok(
        SUB_HANDLER,
        Command::Decline {
            reason: "不属于本股职责".into(),
        },
    );
    inbox(
        &w,
        "declined",
        &[(HEAD_A, &[Duty::Dispatch]), (SUPERVISOR, &[Duty::Dispatch])],
    );
}

#[test]
fn a_unit_as_a_whole_receives_and_handles_together() {
    let mut w = World::new();
    let mut o = order_to(UNIT_A, HANDLER, None);
    o.lead = Assignee {
        unit: UNIT_A,
        user: None,
    };
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(o));
    let members = [HANDLER, HEAD_A, SHARER1, SHARER2];
    let all = |d: Duty| members.map(|m| (m, [d]));
    let receive = all(Duty::Receive);
    let expected: Vec<(UserId, &[Duty])> = receive.iter().map(|(u, d)| (*u, &d[..])).collect();
    inbox(&w, "unit dispatched", &expected);
    w.advance(Duration::hours(1)).ok(SHARER2, Command::Receive);
    let handle = all(Duty::Handle);
    let expected: Vec<(UserId, &[Duty])> = handle.iter().map(|(u, d)| (*u, &d[..])).collect();
    inbox(&w, "unit received", &expected);
}

#[test]
fn a_named_reviewer_reviews_and_a_report_approver_passes_the_completion_on() {
    let mut w = World::new();
    let mut o = order_to(UNIT_A, HANDLER, None);
    o.reviewer = Some(INSPECTOR);
    o.report_approver = Some(HEAD_A);
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(o))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive)
        .ok(HANDLER, completion(7));
    inbox(&w, "completion waits", &[(HEAD_A, &[Duty::ApproveReport])]);
    assert!(Duty::ApproveReport.is_approval());
    w.ok(
        HEAD_A,
        Command::DecideReport {
            report: ReportId::from_u128(7),
            approve: true,
            opinion: String::new(),
        },
    );
    // The creator may review too, but the named reviewer is the one asked.
    inbox(&w, "under review", &[(INSPECTOR, &[Duty::Review])]);
    assert!(!Duty::Review.is_approval());
}

#[test]
fn duties_have_names_and_distinct_commands() {
    let mut commands = std::collections::BTreeSet::new();
    for d in Duty::ALL {
        assert!(!d.zh().is_empty() && !d.en().is_empty(), "{d:?}");
        assert!(commands.insert(d.command()), "{d:?} shares its command");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Duty>(&json).unwrap(), d);
    }
    let approvals: Vec<Duty> = Duty::ALL.into_iter().filter(|d| d.is_approval()).collect();
    assert_eq!(
        approvals,
        [
            Duty::ApproveRegistration,
            Duty::ApproveReport,
            Duty::DecideExtension,
            Duty::DecideSuspension,
            Duty::DecideResumption
        ]
    );
}

#[test]
fn the_inbox_never_lists_what_the_rules_refuse_in_any_fixture() {
    let mut failures = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for visibility in [
        Visibility::Public,
        Visibility::Internal,
        Visibility::Confidential,
    ] {
        for status in Status::ALL {
            let mut w = fixture_with(status, visibility);
            // Now, an hour on, and long after every deadline: the store passes the real time.
            for later in [Duration::zero(), Duration::hours(1), Duration::days(60)] {
                w.advance(later);
                for who in everyone() {
                    listed.extend(duties_of(&w, who));
                }
                failures.extend(refused_duties(&w));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // Not vacuous: the fixtures list most duties (the rest in the scenarios above).
    assert!(listed.len() >= 9, "{listed:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_inbox_never_lists_what_the_rules_refuse(
        start in status(),
        steps in prop::collection::vec(step(), 1..50),
    ) {
        let w = run(start, &steps)?;
        let failures = refused_duties(&w);
        prop_assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn nobody_is_told_of_their_own_act_and_new_duties_are_in_the_inbox(
        start in status(),
        steps in prop::collection::vec(step(), 1..40),
    ) {
        let w = run(start, &steps)?;
        let mut state = TaskState::default();
        for e in &w.events {
            let after = evolve(state.clone(), e);
            for person in everyone() {
                let a = actor(person);
                let c = Context { now: e.at, ..ctx(&w, &a) };
                let n = notice(&state, e, &after, &c);
                if person == e.actor {
                    prop_assert!(n.is_none(), "{} told of their own {:?}", name(person), e.kind);
                }
                if let Some(n) = n {
                    prop_assert!(!n.zh.is_empty() && !n.en.is_empty());
                    if let NoticeKind::NewDuty(d) = n.kind {
                        prop_assert!(duties(&after, &c).contains(&d));
                        prop_assert!(!duties(&state, &c).contains(&d));
                    }
                }
            }
            let line = describe(&e.kind, &w.calendar);
            prop_assert!(!line.title_zh.is_empty() && !line.title_en.is_empty());
            state = after;
        }
    }
}

// ----- views --------------------------------------------------------------------------------

fn views(w: &World, who: UserId, in_charge: &[UnitId]) -> Vec<View> {
    let a = actor(who);
    views_of(
        &w.state,
        &Viewer {
            actor: &a,
            in_charge,
            units: &w.units,
        },
    )
}

#[test]
fn views_of_an_item_in_progress() {
    use View as V;
    // Internal, led by HANDLER of unit A with PARTICIPANT of unit B; MAIN responsible,
    // DEPUTY in charge; SHARER1 shares; the INSPECTOR follows; created by the SUPERVISOR.
    let mut w = fixture_with(Status::InProgress, Visibility::Internal);
    w.ok(
        MAIN,
        Command::Instruct {
            id: note(1),
            text: "务必按期完成".into(),
        },
    );
    let expected: [(UserId, &[UnitId], &[View]); 13] = [
        (SUPERVISOR, &[], &[V::All, V::Created]),
        (HANDLER, &[], &[V::All, V::Responsible, V::Department]),
        (
            MAIN,
            &[],
            &[V::All, V::Instructed, V::Responsible, V::Subordinates],
        ),
        (
            DEPUTY,
            &[UNIT_A],
            &[V::All, V::Responsible, V::Subordinates],
        ),
        (APPROVER, &[UNIT_B], &[V::All]),
        (HEAD_A, &[], &[V::All, V::Department]),
        (
            SHARER1,
            &[],
            &[V::All, V::Responsible, V::Department, V::Shared],
        ),
        (SHARER2, &[], &[V::All, V::Department]),
        (OUTSIDER, &[], &[]),
        (INSPECTOR, &[], &[V::All, V::Followed]),
        (PARTICIPANT, &[], &[V::All, V::Department]),
        (HEAD_ROOT, &[], &[V::All, V::Subordinates]),
        // Staff below the lead unit are not its members: the item is not theirs to read.
        (SUB_HANDLER, &[], &[]),
    ];
    for (who, in_charge, want) in expected {
        assert_eq!(views(&w, who, in_charge), want, "{}", name(who));
    }
    // A deputy leader in charge of a unit above the lead unit sees it as subordinate too.
    assert!(views(&w, APPROVER, &[ROOT]).contains(&V::Subordinates));
}

#[test]
fn views_of_a_unit_led_item_a_draft_and_a_public_item() {
    use View as V;
    let mut w = World::new();
    let mut reg = registration("instruction", 1);
    reg.instructing_leader = Some(DEPUTY);
    let mut o = order_to(UNIT_A1, SUB_HANDLER, None);
    o.lead.user = None;
    o.responsible_leader = None;
    o.deputy_leader = None;
    w.ok(SUPERVISOR, register(reg));
    // A draft: its creator, its instructing leader and the roles that read everything.
    assert_eq!(views(&w, DEPUTY, &[UNIT_A]), [V::All, V::Instructed]);
    assert_eq!(views(&w, MAIN, &[]), [V::All, V::Subordinates]);
    assert_eq!(views(&w, HEAD_A, &[]), []);
    w.ok(SUPERVISOR, dispatch(o));
    // Led by unit A1 as a whole: its staff are responsible; A's head sees a subordinate.
    assert_eq!(
        views(&w, SUB_HANDLER, &[]),
        [V::All, V::Responsible, V::Department]
    );
    assert_eq!(views(&w, HEAD_A, &[]), [V::All, V::Subordinates]);
    assert_eq!(
        views(&w, DEPUTY, &[UNIT_A]),
        [V::All, V::Instructed, V::Subordinates]
    );
    assert_eq!(views(&w, HANDLER, &[]), []);

    // A public item: everyone reads it, so an outsider has it under "all", and "followed"
    // once they follow it.
    let mut p = World::new();
    let mut reg = registration("annual_key_work", 2);
    reg.visibility = Visibility::Public;
    p.ok(SUPERVISOR, register(reg))
        .ok(SUPERVISOR, dispatch(order(HANDLER)));
    assert_eq!(views(&p, OUTSIDER, &[]), [V::All]);
    p.ok(OUTSIDER, Command::Follow);
    assert_eq!(views(&p, OUTSIDER, &[]), [V::All, V::Followed]);
    // Supervisors have no subordinate units.
    assert!(!views(&p, SUPERVISOR, &[]).contains(&V::Subordinates));
}

#[test]
fn view_names_parse_back() {
    for (n, v) in View::NAMES {
        assert_eq!(View::parse(n), Some(v));
        assert_eq!(v.name(), n);
        assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(n));
        assert!(!v.name_zh().is_empty() && !v.name_en().is_empty());
    }
    assert_eq!(View::parse("mine"), None);
    assert_eq!(View::default(), View::All);
}

// ----- the trail's lines --------------------------------------------------------------------

/// The variant's name: an exhaustive match, so that a new kind of event fails to compile
/// here until it is added to [`VARIANTS`] and to the tour below.
fn variant(kind: &EventKind) -> &'static str {
    use EventKind as E;
    match kind {
        E::Registered(_) => "registered",
        E::DraftAmended(_) => "draft_amended",
        E::SubmittedForApproval => "submitted_for_approval",
        E::RegistrationApproved { .. } => "registration_approved",
        E::RegistrationReturned { .. } => "registration_returned",
        E::Dispatched(_) => "dispatched",
        E::Received { .. } => "received",
        E::Declined { .. } => "declined",
        E::Decomposed(_) => "decomposed",
        E::Shared { .. } => "shared",
        E::Unshared { .. } => "unshared",
        E::ProgressReported { .. } => "progress_reported",
        E::CompletionReported { .. } => "completion_reported",
        E::ReportApproved { .. } => "report_approved",
        E::ReportReturned { .. } => "report_returned",
        E::Accepted { .. } => "accepted",
        E::ReturnedForRework { .. } => "returned_for_rework",
        E::Rated { .. } => "rated",
        E::ScoreAdjusted { .. } => "score_adjusted",
        E::ExtensionRequested { .. } => "extension_requested",
        E::ExtensionApproved { .. } => "extension_approved",
        E::ExtensionRefused { .. } => "extension_refused",
        E::SuspensionRequested { .. } => "suspension_requested",
        E::Suspended { .. } => "suspended",
        E::SuspensionRefused { .. } => "suspension_refused",
        E::ResumptionRequested { .. } => "resumption_requested",
        E::Resumed { .. } => "resumed",
        E::ResumptionRefused { .. } => "resumption_refused",
        E::Revoked { .. } => "revoked",
        E::Closed => "closed",
        E::Archived => "archived",
        E::Urged { .. } => "urged",
        E::Escalated { .. } => "escalated",
        E::Instructed { .. } => "instructed",
        E::Commented { .. } => "commented",
        E::Followed => "followed",
        E::Unfollowed => "unfollowed",
        E::ReportRequested { .. } => "report_requested",
        E::Reminded { .. } => "reminded",
        E::OrderAccepted { .. } => "order_accepted",
        E::OrderRefused { .. } => "order_refused",
        E::CallerInformed { .. } => "caller_informed",
        E::OrderReturned { .. } => "order_returned",
        E::CommitmentRequested { .. } => "commitment_requested",
        E::CommitmentApproved { .. } => "commitment_approved",
        E::CommitmentRefused { .. } => "commitment_refused",
        E::CalledBack { .. } => "called_back",
        E::OrderReopened { .. } => "order_reopened",
        E::TypicalMarked { .. } => "typical_marked",
    }
}

const VARIANTS: [&str; 49] = [
    "registered",
    "draft_amended",
    "submitted_for_approval",
    "registration_approved",
    "registration_returned",
    "dispatched",
    "received",
    "declined",
    "decomposed",
    "shared",
    "unshared",
    "progress_reported",
    "completion_reported",
    "report_approved",
    "report_returned",
    "accepted",
    "returned_for_rework",
    "rated",
    "score_adjusted",
    "extension_requested",
    "extension_approved",
    "extension_refused",
    "suspension_requested",
    "suspended",
    "suspension_refused",
    "resumption_requested",
    "resumed",
    "resumption_refused",
    "revoked",
    "closed",
    "archived",
    "urged",
    "escalated",
    "instructed",
    "commented",
    "followed",
    "unfollowed",
    "report_requested",
    "reminded",
    "order_accepted",
    "order_refused",
    "caller_informed",
    "order_returned",
    "commitment_requested",
    "commitment_approved",
    "commitment_refused",
    "called_back",
    "order_reopened",
    "typical_marked",
];

fn decide_report(id: u128, approve: bool) -> Command {
    Command::DecideReport {
        report: ReportId::from_u128(id),
        approve,
        opinion: if approve {
            String::new()
        } else {
            "数据有误".into()
        },
    }
}

/// One item through every kind of event, and a second one revoked.
fn tour() -> (World, World) {
    let mut w = World::new();
    let mut reg = registration("annual_key_work", 1);
    reg.approval_chain = vec![APPROVER];
    reg.recurrence = Some(weekly());
    let approve = |yes: bool| Command::DecideRegistration {
        approve: yes,
        opinion: if yes {
            "同意".into()
        } else {
            "请补充依据".into()
        },
    };
    let mut o = order(HANDLER);
    o.report_approver = Some(HEAD_A);
    // The periodic report's due date, a week and a day after the (second) dispatch.
    let due = w.now + Duration::hours(1) + Duration::days(8);
    w.ok(SUPERVISOR, register(reg))
        .ok(
            SUPERVISOR,
            Command::AmendDraft(Box::new(duban_core::domain::command::DraftPatch {
                title: Some("推进老旧小区改造(修订)".into()),
                deadline: Some(Some(end_of(2026, 3, 20))),
                ..Default::default()
            })),
        )
        .ok(SUPERVISOR, Command::SubmitForApproval)
        .ok(APPROVER, approve(false))
        .ok(SUPERVISOR, Command::SubmitForApproval)
        .ok(APPROVER, approve(true))
        .ok(SUPERVISOR, dispatch(o.clone()))
        .ok(
            UserId::SYSTEM,
            Command::Remind {
                kind: ReminderKind::Unreceived,
            },
        )
        .ok(
            HANDLER,
            Command::Decline {
                reason: "不属于本单位职责".into(),
            },
        )
        .ok(SUPERVISOR, dispatch(o))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive)
        .ok(PARTICIPANT, Command::Receive)
        .ok(
            HANDLER,
            Command::Share {
                with: vec![SHARER1],
            },
        )
        .ok(
            HANDLER,
            Command::Unshare {
                with: vec![SHARER1],
            },
        )
        .ok(
            HANDLER,
            Command::Decompose(Box::new(SubtaskSpec {
                child: TaskId::from_u128(0xC1),
                number: TaskNumber {
                    prefix: "重".into(),
                    year: 2026,
                    seq: 9,
                },
                title: "路面修复".into(),
                content: String::new(),
                lead: Assignee {
                    unit: UNIT_A1,
                    user: Some(SUB_HANDLER),
                },
                deadline: None,
            })),
        )
        .ok(
            UserId::SYSTEM,
            Command::RequestReport {
                period_index: 1,
                period: Period::Weekly,
                due,
            },
        )
        .ok(HANDLER, progress(1, 60))
        .ok(HEAD_A, decide_report(1, true))
        .ok(HANDLER, progress(2, 70))
        .ok(HEAD_A, decide_report(2, false))
        .ok(
            SUPERVISOR,
            Command::Urge {
                channel: UrgeChannel::Phone,
                note: "请加快进度".into(),
                call: None,
            },
        )
        .ok(
            SUPERVISOR,
            Command::Escalate {
                reason: "多次催办无果".into(),
            },
        )
        .ok(
            MAIN,
            Command::Instruct {
                id: note(1),
                text: "务必按期完成".into(),
            },
        )
        .ok(
            HANDLER,
            Command::Comment {
                id: note(2),
                text: "收到,马上落实".into(),
                reply_to: Some(note(1)),
            },
        )
        .ok(INSPECTOR, Command::Follow)
        .ok(INSPECTOR, Command::Unfollow)
        .ok(
            SUPERVISOR,
            Command::AdjustScore {
                id: AdjustmentId::from_u128(1),
                points: Points::whole(2),
                reason: "主动作为".into(),
            },
        );
    let ask = ask_extension(&w, 3);
    w.ok(HANDLER, ask).ok(DEPUTY, refuse_extension());
    let ask = ask_extension(&w, 4);
    w.ok(HANDLER, ask)
        .ok(
            MAIN,
            Command::DecideExtension {
                approve: true,
                opinion: "同意延期".into(),
            },
        )
        .ok(HANDLER, ask_suspension())
        .ok(
            DEPUTY,
            Command::DecideSuspension {
                approve: false,
                opinion: "不宜暂停".into(),
            },
        )
        .ok(HANDLER, ask_suspension())
        .ok(DEPUTY, agree_suspension())
        .advance(Duration::days(1))
        .ok(HANDLER, ask_resumption())
        .ok(
            DEPUTY,
            Command::DecideResumption {
                approve: false,
                opinion: "条件尚不具备".into(),
            },
        )
        .ok(HANDLER, ask_resumption())
        .ok(DEPUTY, agree_resumption())
        .ok(HANDLER, completion(3))
        .ok(HEAD_A, decide_report(3, true))
        .ok(
            SUPERVISOR,
            Command::Review {
                accept: false,
                opinion: "佐证不足".into(),
                new_deadline: Some(end_of(2026, 3, 31)),
            },
        )
        .ok(HANDLER, completion(4))
        .ok(HEAD_A, decide_report(4, true))
        .ok(SUPERVISOR, accept())
        .ok(
            MAIN,
            Command::Rate {
                stars: 4,
                opinion: "完成较好".into(),
            },
        )
        .ok(SUPERVISOR, Command::Close)
        .ok(SUPERVISOR, Command::Archive);

    let mut r = World::new();
    r.ok(SUPERVISOR, register(registration("annual_key_work", 2)))
        .ok(
            SUPERVISOR,
            Command::Revoke {
                reason: "情况变化".into(),
            },
        );
    (w, r)
}

#[test]
fn every_kind_of_event_has_a_line_and_none_is_empty() {
    let (w, r) = tour();
    let orders = super::orders::tour_events();
    let mut seen = std::collections::BTreeSet::new();
    for e in w.events.iter().chain(&r.events).chain(&orders) {
        seen.insert(variant(&e.kind));
        let line = describe(&e.kind, &w.calendar);
        assert!(
            !line.title_zh.trim().is_empty() && !line.title_en.trim().is_empty(),
            "{e:?}"
        );
    }
    let missing: Vec<&str> = VARIANTS
        .iter()
        .copied()
        .filter(|v| !seen.contains(v))
        .collect();
    assert!(missing.is_empty(), "the tour misses {missing:?}");
    assert_eq!(seen.len(), VARIANTS.len());
}

#[test]
fn lines_read_as_a_person_reads_them() {
    let (w, _) = tour();
    let cal = &w.calendar;
    let lines: Vec<(String, String, String)> = w
        .events
        .iter()
        .map(|e| {
            let d = describe(&e.kind, cal);
            (d.title_zh, d.title_en, d.detail)
        })
        .collect();
    let has = |zh: &str, en: &str, detail: &str| {
        assert!(
            lines
                .iter()
                .any(|(z, e, d)| z == zh && e == en && d == detail),
            "no line {zh} / {en} / {detail:?} in {lines:#?}"
        );
    };
    has("签收", "Received", "");
    has("协办签收", "Received (participant)", "");
    has("拒签", "Declined", "不属于本单位职责");
    has(
        "进展汇报(60%,待审批)",
        "Progress report (60%, awaiting approval)",
        "已完成部分工作",
    );
    has("汇报审批退回", "Report returned", "数据有误");
    has(
        "退办重办(新期限 2026-03-31)",
        "Returned for rework (new deadline 2026-03-31)",
        "佐证不足",
    );
    has(
        "修改草稿(标题、截止时间改为2026-03-20)",
        "Draft amended (title, deadline 2026-03-20)",
        "",
    );
    has(
        "立项审批退回(第1级)",
        "Registration returned (step 1)",
        "请补充依据",
    );
    has("领导评价(4星)", "Rated (4 stars)", "完成较好");
    has(
        "考核调整(+2.0分)",
        "Score adjusted (+2.0 points)",
        "主动作为",
    );
    has("催办(电话)", "Urged (by phone)", "请加快进度");
    has("回复", "Reply", "收到,马上落实");
    has("延时申请不予批准", "Extension refused", "理由不充分");
    // Requested times are to the hour; deadlines at the end of a day read as that day.
    let ext = w
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::ExtensionRequested { nth: 1, until, .. } => Some(*until),
            _ => None,
        })
        .expect("an extension request");
    let date = cal.to_local(ext).date().format("%Y-%m-%d");
    has(
        &format!("第1次延时申请(延至 {date} 17:00)"),
        &format!("Extension request 1 (until {date} 17:00)"),
        "需等待检测结果",
    );
    // The plain progress report of the brief.
    let plain = describe(
        &EventKind::ProgressReported {
            report: body(9, "道路已修复六成"),
            percent: 60,
            milestone: None,
            answers: None,
            needs_approval: false,
        },
        cal,
    );
    assert_eq!(
        (
            plain.title_zh.as_str(),
            plain.title_en.as_str(),
            plain.detail.as_str()
        ),
        ("进展汇报(60%)", "Progress report (60%)", "道路已修复六成")
    );
}

// ----- notices ------------------------------------------------------------------------------

const ITEM: &str = "重〔2026〕1号 推进老旧小区改造";

#[test]
fn a_dispatch_tells_the_lead_handler_and_the_participant_to_receive() {
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)));
    let n = told(&mut w, SUPERVISOR, dispatch(order(HANDLER)));
    assert_eq!(told_only(&n), ["HANDLER", "PARTICIPANT"]);
    assert_eq!(
        kind_for(&n, HANDLER),
        Some(NoticeKind::NewDuty(Duty::Receive))
    );
    assert_eq!(
        text_for(&n, HANDLER),
        Some((format!("待签收:{ITEM}"), format!("To receive: {ITEM}")))
    );
    assert_eq!(
        kind_for(&n, PARTICIPANT),
        Some(NoticeKind::NewDuty(Duty::Receive))
    );
}

#[test]
fn an_urging_tells_the_handler_and_the_head_of_the_lead_unit() {
    let mut w = in_progress();
    let n = told(
        &mut w,
        SUPERVISOR,
        Command::Urge {
            channel: UrgeChannel::Message,
            note: "请加快进度".into(),
            call: None,
        },
    );
    assert_eq!(told_only(&n), ["HANDLER", "HEAD_A"]);
    assert_eq!(
        text_for(&n, HANDLER),
        Some((format!("催办:{ITEM}"), format!("Urged: {ITEM}")))
    );
    let n = told(
        &mut w,
        MAIN,
        Command::Escalate {
            reason: "多次催办无果".into(),
        },
    );
    assert_eq!(kind_for(&n, HANDLER), Some(NoticeKind::Escalated));
    assert_eq!(kind_for(&n, OUTSIDER), None);
}

#[test]
fn a_decision_tells_the_requester() {
    let mut w = in_progress();
    let ask = ask_extension(&w, 3);
    let n = told(&mut w, HANDLER, ask);
    assert_eq!(told_only(&n), ["DEPUTY"]);
    assert_eq!(
        kind_for(&n, DEPUTY),
        Some(NoticeKind::NewDuty(Duty::DecideExtension))
    );
    let n = told(&mut w, DEPUTY, refuse_extension());
    assert_eq!(told_only(&n), ["HANDLER"]);
    assert_eq!(
        text_for(&n, HANDLER),
        Some((
            format!("延时申请未获批准:{ITEM}"),
            format!("Extension refused: {ITEM}")
        ))
    );

    let n = told(&mut w, HANDLER, ask_suspension());
    assert_eq!(told_only(&n), ["DEPUTY", "MAIN"]);
    assert_eq!(
        kind_for(&n, MAIN),
        Some(NoticeKind::NewDuty(Duty::DecideSuspension))
    );
    let n = told(&mut w, MAIN, agree_suspension());
    assert_eq!(kind_for(&n, HANDLER), Some(NoticeKind::RequestDecided));
    // The supervisor asks to resume; the supervisor is told of the decision, and the
    // handler, whose work starts again, of the duty.
    let n = told(
        &mut w,
        SUPERVISOR,
        Command::RequestResumption {
            reason: "政策已明确".into(),
        },
    );
    assert_eq!(
        kind_for(&n, DEPUTY),
        Some(NoticeKind::NewDuty(Duty::DecideResumption))
    );
    let n = told(&mut w, DEPUTY, agree_resumption());
    assert_eq!(kind_for(&n, SUPERVISOR), Some(NoticeKind::RequestDecided));
    assert_eq!(
        kind_for(&n, HANDLER),
        Some(NoticeKind::NewDuty(Duty::Handle))
    );
}

#[test]
fn returned_work_and_reports_tell_who_did_them() {
    // The pending progress report was filed by the handler.
    let mut w = fixture(Status::InProgress);
    let n = told(&mut w, HEAD_A, decide_report(0x501, false));
    assert_eq!(told_only(&n), ["HANDLER"]);
    assert_eq!(kind_for(&n, HANDLER), Some(NoticeKind::ReportReturned));

    let mut w = fixture(Status::UnderReview);
    let new_deadline = Some(w.now + Duration::days(10));
    let n = told(
        &mut w,
        SUPERVISOR,
        Command::Review {
            accept: false,
            opinion: "佐证不足".into(),
            new_deadline,
        },
    );
    assert_eq!(kind_for(&n, HANDLER), Some(NoticeKind::Returned));
    assert_eq!(kind_for(&n, SHARER1), Some(NoticeKind::Returned));
    assert_eq!(kind_for(&n, OUTSIDER), None);

    let mut w = fixture(Status::UnderReview);
    let n = told(&mut w, SUPERVISOR, accept());
    assert_eq!(kind_for(&n, HANDLER), Some(NoticeKind::Accepted));
    assert_eq!(kind_for(&n, MAIN), Some(NoticeKind::NewDuty(Duty::Rate)));
    assert_eq!(kind_for(&n, DEPUTY), Some(NoticeKind::NewDuty(Duty::Rate)));
    let n = told(
        &mut w,
        MAIN,
        Command::Rate {
            stars: 4,
            opinion: String::new(),
        },
    );
    assert_eq!(kind_for(&n, HANDLER), Some(NoticeKind::Rated));
    assert_eq!(kind_for(&n, OUTSIDER), None);
    assert!(text_for(&n, HANDLER).is_some_and(|(zh, _)| zh.starts_with("领导评价4星:")));
}

#[test]
fn a_decline_sends_the_item_back_to_its_creator() {
    let mut w = fixture(Status::Dispatched);
    let n = told(
        &mut w,
        HANDLER,
        Command::Decline {
            reason: "不属于本单位职责".into(),
        },
    );
    assert_eq!(told_only(&n), ["SUPERVISOR"]);
    assert_eq!(
        kind_for(&n, SUPERVISOR),
        Some(NoticeKind::NewDuty(Duty::Dispatch))
    );
}

#[test]
fn replies_instructions_and_revocations_tell_those_concerned() {
    let mut w = in_progress();
    let n = told(
        &mut w,
        SUPERVISOR,
        Command::Comment {
            id: note(5),
            text: "请附照片".into(),
            reply_to: None,
        },
    );
    assert!(n.is_empty(), "a plain comment tells nobody: {n:?}");
    let n = told(
        &mut w,
        HANDLER,
        Command::Comment {
            id: note(6),
            text: "已补充".into(),
            reply_to: Some(note(5)),
        },
    );
    assert_eq!(told_only(&n), ["SUPERVISOR"]);
    assert_eq!(kind_for(&n, SUPERVISOR), Some(NoticeKind::Reply));

    let n = told(
        &mut w,
        MAIN,
        Command::Instruct {
            id: note(7),
            text: "务必按期完成".into(),
        },
    );
    for who in [HANDLER, PARTICIPANT, SUPERVISOR, DEPUTY] {
        assert_eq!(
            kind_for(&n, who),
            Some(NoticeKind::Instructed),
            "{}",
            name(who)
        );
    }
    for who in [OUTSIDER, INSPECTOR, APPROVER] {
        assert_eq!(kind_for(&n, who), None, "{}", name(who));
    }

    let n = told(
        &mut w,
        SUPERVISOR,
        Command::Revoke {
            reason: "情况变化".into(),
        },
    );
    for who in [HANDLER, PARTICIPANT, MAIN, DEPUTY] {
        assert_eq!(
            kind_for(&n, who),
            Some(NoticeKind::Revoked),
            "{}",
            name(who)
        );
    }
    assert_eq!(kind_for(&n, OUTSIDER), None);
    assert_eq!(kind_for(&n, SUPERVISOR), None, "not of one's own act");
}

#[test]
fn the_system_is_never_told_and_reminders_reach_the_handler() {
    let mut w = fixture(Status::Dispatched);
    let n = told(
        &mut w,
        UserId::SYSTEM,
        Command::Remind {
            kind: ReminderKind::Unreceived,
        },
    );
    assert_eq!(told_only(&n), ["HANDLER", "PARTICIPANT"]);
    assert_eq!(kind_for(&n, HANDLER), Some(NoticeKind::Reminded));
    let (w, r) = tour();
    for world in [&w, &r] {
        let mut state = TaskState::default();
        let system = actor(UserId::SYSTEM);
        for e in &world.events {
            let after = evolve(state.clone(), e);
            assert_eq!(notice(&state, e, &after, &ctx(world, &system)), None);
            state = after;
        }
        assert_eq!(&state, &fold(&world.events));
    }
}

#[test]
fn the_tour_folds_who_instructed_and_who_wrote_each_note() {
    let (w, _) = tour();
    assert!(w.state.instructors.contains(&MAIN));
    assert_eq!(w.state.note_authors.get(&note(1)), Some(&MAIN));
    assert_eq!(w.state.note_authors.get(&note(2)), Some(&HANDLER));
    assert!(w.state.extensions.iter().all(|e| e.by == Some(HANDLER)));
    // States stored before these were kept still read.
    let mut json = serde_json::to_value(&w.state).unwrap();
    let obj = json.as_object_mut().unwrap();
    obj.remove("instructors");
    obj.remove("note_authors");
    let old: TaskState = serde_json::from_value(json).unwrap();
    assert!(old.instructors.is_empty() && old.note_authors.is_empty());
}
