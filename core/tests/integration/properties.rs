//! Property tests over random command sequences from random people at random times,
//! starting from an item in any status:
//! - no sequence reaches a state that breaks an invariant, and nothing panics;
//! - folding the events `decide` returns is deterministic;
//! - a closed item refuses every change;
//! - the trail of any sequence verifies, and fails once any event is altered.

use chrono::Duration;
use duban_core::domain::command::{DraftPatch, ReminderKind, SubtaskSpec, UrgeChannel};
use duban_core::domain::model::{
    AdjustmentId, Assignee, MilestoneKind, Period, ReportId, TaskNumber,
};
use duban_core::domain::order::{
    CallbackAnswers, ContactMethod, NonAcceptance, NoticeAbout, Satisfaction,
};
use duban_core::domain::trail::{self, TrailEntry};
use duban_core::domain::{fold, Command, CommandKind, EventKind, Points, Status, TaskId, UserId};
use proptest::prelude::*;

use super::matrix::fixture;
use super::support::*;

/// One random step: who, which command, two parameters, and how long after the last step.
#[derive(Clone, Debug)]
pub(super) struct Step {
    who: u8,
    kind: u8,
    a: u32,
    b: u32,
    minutes: u32,
}

pub(super) fn step() -> impl Strategy<Value = Step> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
        0u32..4000,
    )
        .prop_map(|(who, kind, a, b, minutes)| Step {
            who,
            kind,
            a,
            b,
            minutes,
        })
}

pub(super) fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

fn text(n: u32) -> String {
    match n % 5 {
        0 => String::new(),
        1 => "   ".into(),
        _ => format!("说明{n}"),
    }
}

fn person(n: u8) -> UserId {
    let i = usize::from(n) % (CAST.len() + 1);
    CAST.get(i).copied().unwrap_or(UserId::SYSTEM)
}

/// Who issues a step: on even `who`, the person usually entitled to the command (so that
/// sequences get far), else anyone of the cast or the system.
fn issuer(s: &Step) -> UserId {
    if s.who % 2 == 1 {
        return person(s.who / 2);
    }
    use CommandKind as K;
    match CommandKind::ALL[usize::from(s.kind) % CommandKind::ALL.len()] {
        K::DecideRegistration => APPROVER,
        K::Receive
        | K::Decline
        | K::Decompose
        | K::Share
        | K::Unshare
        | K::ReportProgress
        | K::ReportCompletion
        | K::RequestExtension
        | K::RequestSuspension
        | K::RequestResumption => HANDLER,
        K::DecideReport => HEAD_A,
        K::Rate | K::Instruct => MAIN,
        K::DecideExtension => {
            if s.a % 2 == 0 {
                DEPUTY
            } else {
                MAIN
            }
        }
        K::DecideSuspension | K::DecideResumption => DEPUTY,
        K::RequestReport | K::Remind => UserId::SYSTEM,
        K::Follow | K::Unfollow => person(s.b as u8),
        K::ReturnOrder | K::RequestCommitment => HANDLER,
        _ => SUPERVISOR,
    }
}

/// Report ids from a small pool that includes the fixtures' pending report.
fn report_id(a: u32) -> u128 {
    match a % 6 {
        0 => 0x501,
        n => u128::from(n),
    }
}

/// Builds a command from a step. Parameters are folded into small pools so that ids
/// collide, deadlines fall before and after now, and texts are sometimes empty.
fn command(s: &Step, w: &World) -> Command {
    let (a, b) = (s.a, s.b);
    let now = w.now;
    let base = w.state.deadline.unwrap_or(now);
    let days = |n: u32| Duration::days(i64::from(n % 20) - 2);
    match CommandKind::ALL[usize::from(s.kind) % CommandKind::ALL.len()] {
        CommandKind::Register => {
            let cats = ["annual_key_work", "instruction", "rectification", "nope"];
            let mut r = registration(cats[(a % 4) as usize], b % 3);
            r.approval_chain = match a % 3 {
                0 => vec![],
                1 => vec![APPROVER],
                _ => vec![APPROVER, DEPUTY],
            };
            r.recurrence = (b % 2 == 0).then(weekly);
            r.deadline = (a % 5 == 0).then(|| now + days(b));
            if a % 7 == 0 {
                r.milestones = vec![
                    milestone(1, MilestoneKind::Key, now + Duration::days(2), 40),
                    milestone(2, MilestoneKind::Final, now + Duration::days(9), 100),
                ];
            }
            register(r)
        }
        CommandKind::AmendDraft => Command::AmendDraft(Box::new(DraftPatch {
            title: (a % 3 != 0).then(|| text(b)),
            approval_chain: (a % 4 == 0).then(Vec::new),
            ..DraftPatch::default()
        })),
        CommandKind::SubmitForApproval => Command::SubmitForApproval,
        CommandKind::DecideRegistration => Command::DecideRegistration {
            approve: a % 3 != 0,
            opinion: text(b),
        },
        CommandKind::Dispatch => {
            let leads = [HANDLER, HEAD_A, SUB_HANDLER, OUTSIDER];
            let mut o = order(leads[(a % 4) as usize]);
            o.report_approver = (b % 2 == 0).then_some(HEAD_A);
            o.deadline = (a % 3 == 0).then(|| now + days(b));
            dispatch(o)
        }
        CommandKind::Receive => Command::Receive,
        CommandKind::Decline => Command::Decline { reason: text(a) },
        CommandKind::Decompose => Command::Decompose(Box::new(SubtaskSpec {
            child: TaskId::from_u128(u128::from(a % 3) + 0xC0),
            number: TaskNumber {
                prefix: "重".into(),
                year: 2026,
                seq: 1 + a % 9,
            },
            title: text(b),
            content: String::new(),
            lead: Assignee {
                unit: UNIT_A1,
                user: Some(SUB_HANDLER),
            },
            deadline: (b % 2 == 0).then(|| now + days(a)),
        })),
        CommandKind::Share => Command::Share {
            with: vec![person((a % 13) as u8)],
        },
        CommandKind::Unshare => Command::Unshare {
            with: vec![person((a % 13) as u8)],
        },
        CommandKind::ReportProgress => Command::ReportProgress {
            report: body(report_id(a), &text(b)),
            percent: (b % 110) as u8,
            milestone: (a % 2 == 0).then_some(b % 3),
            answers: (b % 3 == 0).then_some(a % 3),
        },
        CommandKind::ReportCompletion if b % 2 == 0 => Command::ReportCompletion {
            report: body(report_id(a), super::orders::TEMPLATE_REPLY),
        },
        CommandKind::ReportCompletion => completion(report_id(a)),
        CommandKind::DecideReport => Command::DecideReport {
            report: ReportId::from_u128(report_id(a)),
            approve: b % 2 == 0,
            opinion: text(a),
        },
        CommandKind::Review => Command::Review {
            accept: a % 2 == 0,
            opinion: text(b),
            new_deadline: (b % 4 != 0).then(|| now + days(a)),
        },
        CommandKind::Rate => Command::Rate {
            stars: (a % 7) as u8,
            opinion: text(b),
        },
        CommandKind::AdjustScore => Command::AdjustScore {
            id: AdjustmentId::from_u128(u128::from(a % 3)),
            points: Points((b % 300) as i32 - 150),
            reason: text(a),
        },
        CommandKind::RequestExtension => Command::RequestExtension {
            until: if a % 2 == 0 {
                let local = w.calendar.to_local(base + Duration::days(i64::from(b % 9)));
                w.calendar
                    .from_local(local.date().and_hms_opt(a % 24, 0, 0).unwrap_or(local))
            } else {
                base + Duration::minutes(i64::from(b % 10_000))
            },
            reason: text(a / 2),
        },
        CommandKind::DecideExtension => Command::DecideExtension {
            approve: a % 2 == 0,
            opinion: text(b),
        },
        CommandKind::RequestSuspension => Command::RequestSuspension { reason: text(a) },
        CommandKind::DecideSuspension => Command::DecideSuspension {
            approve: a % 2 == 0,
            opinion: text(b),
        },
        CommandKind::RequestResumption => Command::RequestResumption { reason: text(a) },
        CommandKind::DecideResumption => Command::DecideResumption {
            approve: a % 2 == 0,
            opinion: text(b),
        },
        CommandKind::Revoke => Command::Revoke { reason: text(a) },
        CommandKind::Close => Command::Close,
        CommandKind::Archive => Command::Archive,
        CommandKind::Urge => Command::Urge {
            channel: if a % 2 == 0 {
                UrgeChannel::Message
            } else {
                UrgeChannel::Phone
            },
            note: text(b),
            call: None,
        },
        CommandKind::Escalate => Command::Escalate { reason: text(a) },
        CommandKind::Instruct => Command::Instruct {
            id: note(u128::from(a % 4)),
            text: text(b),
        },
        CommandKind::Comment => Command::Comment {
            id: note(u128::from(a % 4)),
            text: text(b),
            reply_to: (b % 2 == 0).then(|| note(u128::from(b % 4))),
        },
        CommandKind::Follow => Command::Follow,
        CommandKind::Unfollow => Command::Unfollow,
        CommandKind::RequestReport => Command::RequestReport {
            period_index: a % 4,
            period: if b % 3 == 0 {
                Period::Monthly
            } else {
                Period::Weekly
            },
            due: now + days(b),
        },
        CommandKind::Remind => Command::Remind {
            kind: match a % 3 {
                0 => ReminderKind::Unreceived,
                1 => ReminderKind::BeforeDeadline {
                    working_days: b % 4,
                },
                _ => ReminderKind::Milestone { id: b % 3 },
            },
        },
        CommandKind::AcceptOrder => Command::AcceptOrder { note: text(a) },
        CommandKind::RefuseOrder => Command::RefuseOrder {
            reason: match a % 4 {
                0 => NonAcceptance::OutsideRemit { refer_to: text(b) },
                1 => NonAcceptance::LegalChannel { channel: text(b) },
                2 => NonAcceptance::AlreadyAccepted {
                    of: TaskId::from_u128(u128::from(b % 3)),
                    follow_up: text(b),
                },
                _ => NonAcceptance::ContestedReply,
            },
            note: text(a / 2),
        },
        CommandKind::InformCaller => Command::InformCaller {
            about: if a % 2 == 0 {
                NoticeAbout::Acceptance
            } else {
                NoticeAbout::Extension
            },
            method: ContactMethod::Phone,
            told_at: now - Duration::minutes(i64::from(b % 100)),
            note: text(a),
        },
        CommandKind::ReturnOrder => Command::ReturnOrder { reason: text(a) },
        CommandKind::RequestCommitment => Command::RequestCommitment {
            until: base + Duration::hours(i64::from(b % 500)),
            reason: text(a),
        },
        CommandKind::DecideCommitment => Command::DecideCommitment {
            approve: a % 2 == 0,
            opinion: text(b),
        },
        CommandKind::CallBack => Command::CallBack {
            answers: CallbackAnswers {
                told_result_and_basis: a % 2 == 0,
                factual: b % 2 == 0,
                misconduct: a % 3 == 0,
                satisfaction: [
                    Satisfaction::Satisfied,
                    Satisfaction::Basic,
                    Satisfaction::Unsatisfied,
                ][(b % 3) as usize],
            },
            note: text(a),
        },
        CommandKind::ReopenOrder => Command::ReopenOrder { reason: text(a) },
        CommandKind::MarkTypical => Command::MarkTypical {
            typical: a % 2 == 0,
        },
    }
}

/// Runs the steps; checks, after every step, that a rejection leaves the state alone and
/// an acceptance leaves a valid state. Returns the world.
pub(super) fn run(start: Status, steps: &[Step]) -> Result<World, TestCaseError> {
    run_from(fixture(start), steps)
}

/// Runs the steps from a given world, with the checks of [`run`].
fn run_from(mut w: World, steps: &[Step]) -> Result<World, TestCaseError> {
    for s in steps {
        w.advance(Duration::minutes(i64::from(s.minutes)));
        let cmd = command(s, &w);
        let who = issuer(s);
        let first = w.try_decide(who, &cmd);
        let again = w.try_decide(who, &cmd);
        prop_assert_eq!(&first, &again, "decide is deterministic");
        let before = w.state.clone();
        match w.run(who, cmd) {
            Ok(()) => {
                let check = w.state.check_invariants();
                prop_assert!(check.is_ok(), "invalid state {:?} after {:?}", check, s);
                prop_assert!(w.state.version > before.version);
            }
            Err(r) => {
                prop_assert_eq!(&w.state, &before);
                prop_assert!(!r.code.is_empty() && !r.zh.is_empty() && !r.en.is_empty());
            }
        }
    }
    Ok(w)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_never_reach_an_invalid_state(
        start in status(),
        steps in prop::collection::vec(step(), 1..80),
    ) {
        run(start, &steps)?;
    }

    #[test]
    fn random_sequences_on_work_orders_never_reach_an_invalid_state(
        stage in 0u8..7,
        steps in prop::collection::vec(step(), 1..60),
    ) {
        let w = run_from(super::orders::order_stage(stage), &steps)?;
        prop_assert_eq!(&fold(&w.events), &w.state);
    }

    #[test]
    fn folding_decided_events_is_deterministic(
        start in status(),
        steps in prop::collection::vec(step(), 1..60),
    ) {
        let w = run(start, &steps)?;
        let once = fold(&w.events);
        let twice = fold(&w.events);
        prop_assert_eq!(&once, &twice);
        prop_assert_eq!(&once, &w.state, "the incremental state is the fold of the events");
        prop_assert_eq!(once.version, w.events.len() as u64);
    }

    #[test]
    fn a_closed_item_refuses_every_change(steps in prop::collection::vec(step(), 1..60)) {
        let mut w = fixture(Status::Closed);
        let closed = w.state.clone();
        for s in &steps {
            w.advance(Duration::minutes(i64::from(s.minutes)));
            let cmd = command(s, &w);
            let outcome = w.try_decide(issuer(s), &cmd);
            if cmd.kind() == CommandKind::Archive {
                // Filing the closed item is the one act left; it changes no content.
                if let Err(r) = outcome {
                    prop_assert_eq!(r.code, "perm.denied");
                }
            } else {
                let r = outcome.err();
                prop_assert!(r.is_some(), "{:?} was accepted on a closed item", cmd.kind());
                let expected = if cmd.kind() == CommandKind::Register { "task.exists" } else { "task.closed" };
                prop_assert_eq!(r.map(|r| r.code).unwrap_or_default(), expected);
            }
        }
        prop_assert_eq!(w.state, closed);
    }

    #[test]
    fn an_archived_item_refuses_everything(steps in prop::collection::vec(step(), 1..40)) {
        let mut w = fixture(Status::Archived);
        for s in &steps {
            w.advance(Duration::minutes(i64::from(s.minutes)));
            let cmd = command(s, &w);
            let code = w.try_decide(issuer(s), &cmd).err().map(|r| r.code);
            let expected = if cmd.kind() == CommandKind::Register { "task.exists" } else { "task.archived" };
            prop_assert_eq!(code.as_deref(), Some(expected));
        }
    }

    #[test]
    fn the_trail_verifies_and_any_alteration_is_caught(
        start in status(),
        steps in prop::collection::vec(step(), 0..40),
        victim in any::<prop::sample::Index>(),
        how in 0u8..6,
    ) {
        let w = run(start, &steps)?;
        let good = w.trail();
        prop_assert_eq!(trail::verify(TASK, &good), Ok(()));
        prop_assume!(good.len() >= 2);
        let i = victim.index(good.len());
        let mut bad: Vec<TrailEntry> = good.clone();
        match how {
            0 => bad[i].event.at += Duration::seconds(1),
            1 => bad[i].event.actor = UserId::from_u128(0xBAD),
            2 => {
                bad[i].event.kind = match bad[i].event.kind {
                    EventKind::Followed => EventKind::Unfollowed,
                    _ => EventKind::Followed,
                }
            }
            3 => {
                bad.remove(i);
            }
            4 => {
                let j = (i + 1) % bad.len();
                bad.swap(i, j);
            }
            _ => {
                // Re-hash the altered entry so it is self-consistent: the next link breaks,
                // unless it was the last one, whose hash no longer matches an export's head.
                bad[i].event.at += Duration::seconds(1);
                bad[i].hash = trail::entry_hash(TASK, bad[i].seq, bad[i].prev, &bad[i].event);
                if i + 1 == bad.len() {
                    prop_assert_ne!(bad[i].hash, good[i].hash);
                    return Ok(());
                }
            }
        }
        // A chain alone cannot tell a cut-off tail from a shorter trail; an export records
        // its head (length and last hash), and verifying against the head catches that too.
        let head = trail::head(&good);
        prop_assert!(
            trail::verify_with_head(TASK, &bad, head).is_err(),
            "alteration {} at {} went unnoticed", how, i
        );
        if !(how == 3 && i + 1 == good.len()) {
            prop_assert!(trail::verify(TASK, &bad).is_err(), "alteration {} at {} went unnoticed", how, i);
        }
    }
}

/// Guards the properties above against vacuity: over a fixed set of generated sequences,
/// commands of every kind are accepted somewhere, and a fair share of steps is accepted.
#[test]
fn generated_sequences_exercise_every_command() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = (status(), prop::collection::vec(step(), 1..80));
    let mut accepted = std::collections::BTreeSet::new();
    let (mut total, mut ok) = (0usize, 0usize);
    for round in 0..3600 {
        let (start, steps) = strategy.new_tree(&mut runner).expect("tree").current();
        // One sequence in six starts from a work order at one of its stages.
        let mut w = if round % 6 == 5 {
            super::orders::order_stage((round / 6 % 7) as u8)
        } else {
            fixture(start)
        };
        for s in &steps {
            w.advance(Duration::minutes(i64::from(s.minutes)));
            let cmd = command(s, &w);
            total += 1;
            if w.run(issuer(s), cmd.clone()).is_ok() {
                ok += 1;
                accepted.insert(cmd.kind());
            }
        }
    }
    let missing: Vec<_> = CommandKind::ALL
        .iter()
        .filter(|k| !accepted.contains(k))
        .collect();
    assert!(missing.is_empty(), "never accepted: {missing:?}");
    assert!(ok * 50 > total, "only {ok} of {total} steps accepted");
}
