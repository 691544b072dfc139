//! Scenario tests of the rules (R1–R7): a command goes in through the real `decide`, events
//! and state come out through the real `evolve`, on the built-in working-day calendar and the
//! default policy. No mocks: every test drives a `support::World` and checks what a person
//! would see (status, deadline, the refusal's stable code).
//!
//! Dates are Beijing local time. Useful anchors: 2026-03-02 is a Monday; the Spring Festival
//! break is 02-15..23 with 02-14 (Sat) and 02-28 (Sat) worked; Mid-Autumn is 09-25..27 and
//! National Day 10-01..07, with 09-20 (Sun) and 10-10 (Sat) worked. A date-level deadline
//! "end of D" is local midnight starting D+1 (`support::end_of`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use duban_core::domain::batch::{self, MultiDispatch};
use duban_core::domain::command::{
    DispatchOrder, DraftPatch, ReminderKind, SubtaskSpec, UrgeChannel,
};
use duban_core::domain::derived;
use duban_core::domain::model::{
    AdjustmentId, Assignee, BatchId, BlobRef, NumberBook, Period, ReportId, TaskNumber, Urgency,
    Visibility,
};
use duban_core::domain::policy::Points;
use duban_core::domain::state::{ExtensionOutcome, ReportStatus};
use duban_core::domain::{
    effective_deadline, may_assign, may_view, Actor, Command, CommandKind, EventKind, Rejection,
    Role, Roles, Status, TaskId, UnitId, UserId,
};

use duban_core::domain::order::{
    CallbackAnswers, ContactMethod, NonAcceptance, NoticeAbout, Satisfaction,
};

use super::support::*;

// ----- helpers ---------------------------------------------------------------------------------

/// Registers (by the supervisor) and dispatches at `at`; returns the world.
fn dispatched_at(
    at: DateTime<Utc>,
    reg: duban_core::domain::command::Registration,
    o: DispatchOrder,
) -> World {
    let mut w = World::at(at);
    w.ok(SUPERVISOR, register(reg)).ok(SUPERVISOR, dispatch(o));
    w
}

/// The deadline a fresh item gets when dispatched at `at` with this urgency and category.
fn default_deadline(at: DateTime<Utc>, category: &str, urgency: Urgency) -> DateTime<Utc> {
    let mut reg = registration(category, 1);
    reg.urgency = urgency;
    let w = dispatched_at(at, reg, order(HANDLER));
    assert_eq!(w.state.status, Status::Dispatched);
    w.state.deadline.expect("a dispatched item has a deadline")
}

fn request_extension(until: DateTime<Utc>) -> Command {
    Command::RequestExtension {
        until,
        reason: "需协调市级部门审批".into(),
    }
}

fn decide_extension(approve: bool, opinion: &str) -> Command {
    Command::DecideExtension {
        approve,
        opinion: opinion.into(),
    }
}

fn decide_registration(approve: bool, opinion: &str) -> Command {
    Command::DecideRegistration {
        approve,
        opinion: opinion.into(),
    }
}

fn return_for_rework(reason: &str, new_deadline: Option<DateTime<Utc>>) -> Command {
    Command::Review {
        accept: false,
        opinion: reason.into(),
        new_deadline,
    }
}

fn photo() -> BlobRef {
    BlobRef::file("ab".repeat(32), "image/jpeg", 204_800, "整改后现场.jpg")
}

/// Applies the scheduler's commands as the system actor; each must be accepted.
#[track_caller]
fn run_as_system(w: &mut World, commands: Vec<Command>) {
    for c in commands {
        if let Err(r) = w.run(UserId::SYSTEM, c.clone()) {
            panic!("the scheduler's {c:?} was refused: {r}");
        }
    }
}

fn last_event(w: &World) -> &EventKind {
    &w.events.last().expect("an event").kind
}

// ----- R4.5 default deadlines on the working-day calendar --------------------------------------

#[test]
fn default_deadlines_by_urgency_count_working_days() {
    // Monday 2026-03-02 09:00.
    let mon = local(2026, 3, 2, 9, 0);
    // Normal, 7 working days: 03 04 05 06 | 09 10 11 → end of Wed 03-11.
    assert_eq!(
        default_deadline(mon, "annual_key_work", Urgency::Normal),
        end_of(2026, 3, 11)
    );
    // Urgent, 3 working days: 03 04 05 → end of Thu 03-05.
    assert_eq!(
        default_deadline(mon, "annual_key_work", Urgency::Urgent),
        end_of(2026, 3, 5)
    );
    // Extra-urgent: the same day.
    assert_eq!(
        default_deadline(mon, "annual_key_work", Urgency::ExtraUrgent),
        end_of(2026, 3, 2)
    );
}

#[test]
fn default_deadline_across_the_spring_festival() {
    // Thursday 2026-02-12, just before the break (02-15..23). Working days after it:
    // Fri 13 (1), Sat 14 worked (2), [15..23 holiday], Tue 24 (3), 25 (4), 26 (5), 27 (6),
    // Sat 28 worked (7).
    let thu = local(2026, 2, 12, 10, 0);
    assert_eq!(
        default_deadline(thu, "annual_key_work", Urgency::Normal),
        end_of(2026, 2, 28)
    );
    // Urgent: Fri 13, Sat 14, Tue 24.
    assert_eq!(
        default_deadline(thu, "annual_key_work", Urgency::Urgent),
        end_of(2026, 2, 24)
    );
    // Extra-urgent dispatched on Sat 02-14, an adjusted working day: due that very day.
    assert_eq!(
        default_deadline(
            local(2026, 2, 14, 10, 0),
            "annual_key_work",
            Urgency::ExtraUrgent
        ),
        end_of(2026, 2, 14)
    );
}

#[test]
fn default_deadline_across_national_day() {
    // Wednesday 2026-09-30, the eve of the break (10-01..07). Working days after it:
    // Thu 10-08 (1), Fri 09 (2), Sat 10 worked (3), Mon 12 (4), 13 (5), 14 (6), 15 (7).
    assert_eq!(
        default_deadline(
            local(2026, 9, 30, 10, 0),
            "annual_key_work",
            Urgency::Normal
        ),
        end_of(2026, 10, 15)
    );
    // Thursday 09-24, before Mid-Autumn (09-25..27) and National Day:
    // Mon 28 (1), 29 (2), 30 (3), Thu 10-08 (4), Fri 09 (5), Sat 10 worked (6), Mon 12 (7).
    assert_eq!(
        default_deadline(
            local(2026, 9, 24, 10, 0),
            "annual_key_work",
            Urgency::Normal
        ),
        end_of(2026, 10, 12)
    );
    // Urgent on Friday 09-18: Sun 20 worked (1), Mon 21 (2), Tue 22 (3).
    assert_eq!(
        default_deadline(
            local(2026, 9, 18, 10, 0),
            "annual_key_work",
            Urgency::Urgent
        ),
        end_of(2026, 9, 22)
    );
}

#[test]
fn extra_urgent_on_a_saturday_is_due_the_next_working_day() {
    // Saturday 2026-03-07 is an ordinary weekend: the same-day deadline rolls to Monday 03-09.
    let sat = local(2026, 3, 7, 10, 0);
    assert_eq!(
        default_deadline(sat, "annual_key_work", Urgency::ExtraUrgent),
        end_of(2026, 3, 9)
    );
    // An ordinary item dispatched that Saturday counts from it: 9 10 11 12 13 | 16 17.
    assert_eq!(
        default_deadline(sat, "annual_key_work", Urgency::Normal),
        end_of(2026, 3, 17)
    );
}

#[test]
fn an_instruction_without_a_deadline_gets_five_working_days() {
    // A leader's instruction (领导批示交办) with no deadline: 03 04 05 06 | 09 → end of Mon 03-09.
    let mut reg = registration("instruction", 1);
    reg.instructing_leader = Some(MAIN);
    let w = dispatched_at(World::new().now, reg, order(HANDLER));
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 9)));
    // The same item in another category would take the normal 7 days.
    assert_eq!(
        default_deadline(World::new().now, "meeting_decision", Urgency::Normal),
        end_of(2026, 3, 11)
    );
}

#[test]
fn an_explicit_deadline_on_a_holiday_rolls_forward() {
    // Asked at registration for Saturday 2026-10-03 17:00, inside National Day: rolls to the
    // same time on the next working day, Thursday 10-08.
    let mut reg = registration("annual_key_work", 1);
    reg.deadline = Some(local(2026, 10, 3, 17, 0));
    let w = dispatched_at(World::new().now, reg, order(HANDLER));
    assert_eq!(w.state.deadline, Some(local(2026, 10, 8, 17, 0)));

    // Asked at dispatch for the end of Monday 10-05 (a holiday): the end of Thursday 10-08.
    let mut o = order(HANDLER);
    o.deadline = Some(end_of(2026, 10, 5));
    let w = dispatched_at(World::new().now, registration("annual_key_work", 2), o);
    assert_eq!(w.state.deadline, Some(end_of(2026, 10, 8)));

    // The end of an ordinary Sunday (03-08) becomes the end of Monday 03-09; a working day
    // stays as it is.
    let mut o = order(HANDLER);
    o.deadline = Some(end_of(2026, 3, 8));
    let w = dispatched_at(World::new().now, registration("annual_key_work", 3), o);
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 9)));
    let mut o = order(HANDLER);
    o.deadline = Some(local(2026, 3, 10, 17, 0));
    let w = dispatched_at(World::new().now, registration("annual_key_work", 4), o);
    assert_eq!(w.state.deadline, Some(local(2026, 3, 10, 17, 0)));
}

// ----- R7.3 extensions -------------------------------------------------------------------------

#[test]
fn first_extension_by_the_deputy_second_by_the_main_leader_no_third() {
    let mut w = in_progress();
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 11)));
    w.set_now(local(2026, 3, 5, 9, 0))
        .ok(HANDLER, request_extension(local(2026, 3, 13, 17, 0)));
    assert!(matches!(
        last_event(&w),
        EventKind::ExtensionRequested { nth: 1, .. }
    ));
    // The deadline does not move on a request.
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 11)));

    // Only the item's deputy leader (分管领导) decides the first request: not the main
    // leader, not another deputy leader, not the handler or the supervisor; to the outsider,
    // who may not read the item, it does not exist.
    for who in [MAIN, APPROVER, HANDLER, SUPERVISOR] {
        w.refused(who, decide_extension(true, ""), "perm.denied");
    }
    w.refused(OUTSIDER, decide_extension(true, ""), "task.not_found");
    w.ok(DEPUTY, decide_extension(true, "同意延期"));
    assert_eq!(w.state.deadline, Some(local(2026, 3, 13, 17, 0)));

    // The second goes to a main leader only.
    w.set_now(local(2026, 3, 12, 9, 0))
        .ok(HANDLER, request_extension(local(2026, 3, 18, 17, 0)));
    assert!(matches!(
        last_event(&w),
        EventKind::ExtensionRequested { nth: 2, .. }
    ));
    for who in [DEPUTY, APPROVER, HANDLER, SUPERVISOR] {
        w.refused(who, decide_extension(true, ""), "perm.denied");
    }
    w.ok(MAIN, decide_extension(true, "最后一次延期"));
    assert_eq!(w.state.deadline, Some(local(2026, 3, 18, 17, 0)));

    // There is no third.
    w.set_now(local(2026, 3, 16, 9, 0));
    w.refused(
        HANDLER,
        request_extension(local(2026, 3, 20, 17, 0)),
        "extension.limit",
    );
}

#[test]
fn a_refused_extension_keeps_the_deadline_and_still_counts() {
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 9, 0))
        .ok(HANDLER, request_extension(local(2026, 3, 13, 17, 0)));
    // Refusing needs an opinion.
    w.refused(
        DEPUTY,
        decide_extension(false, "  "),
        "input.opinion_required",
    );
    w.ok(DEPUTY, decide_extension(false, "理由不充分,请按期完成"));
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 11)));
    assert_eq!(w.state.extensions[0].outcome, ExtensionOutcome::Refused);
    assert!(matches!(last_event(&w), EventKind::ExtensionRefused { .. }));

    // The refused request was the first: the next one is the second, for a main leader.
    w.ok(HANDLER, request_extension(local(2026, 3, 13, 17, 0)));
    assert!(matches!(
        last_event(&w),
        EventKind::ExtensionRequested { nth: 2, .. }
    ));
    w.refused(DEPUTY, decide_extension(true, ""), "perm.denied");
    w.ok(MAIN, decide_extension(true, ""));
    assert_eq!(w.state.deadline, Some(local(2026, 3, 13, 17, 0)));
    w.refused(
        HANDLER,
        request_extension(local(2026, 3, 16, 17, 0)),
        "extension.limit",
    );
}

#[test]
fn extension_requests_are_checked_for_time_and_precision() {
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 9, 0));
    // Not on the hour.
    w.refused(
        HANDLER,
        request_extension(local(2026, 3, 13, 17, 30)),
        "input.not_on_hour",
    );
    // Not later than the deadline in force (end of 03-11): earlier, or exactly it.
    w.refused(
        HANDLER,
        request_extension(local(2026, 3, 11, 17, 0)),
        "extension.not_later",
    );
    w.refused(
        HANDLER,
        request_extension(end_of(2026, 3, 11)),
        "extension.not_later",
    );
    // Asked by someone who reads the item (a colleague of the lead unit) but does not handle
    // it.
    w.refused(
        SHARER2,
        request_extension(local(2026, 3, 13, 17, 0)),
        "perm.denied",
    );
    // Once the deadline has passed it is too late to ask.
    w.set_now(local(2026, 3, 12, 0, 30));
    w.refused(
        HANDLER,
        request_extension(local(2026, 3, 13, 17, 0)),
        "extension.after_deadline",
    );
    // Exactly at the deadline it is still in time.
    w.set_now(end_of(2026, 3, 11));
    w.ok(HANDLER, request_extension(local(2026, 3, 13, 17, 0)));
}

#[test]
fn an_approved_extension_moves_the_deadline_to_the_hour() {
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 9, 0))
        .ok(HANDLER, request_extension(local(2026, 3, 13, 15, 0)));
    w.ok(DEPUTY, decide_extension(true, ""));
    assert_eq!(w.state.deadline, Some(local(2026, 3, 13, 15, 0)));
    assert_eq!(
        effective_deadline(&w.state, w.now, &w.calendar),
        Some(local(2026, 3, 13, 15, 0))
    );
    assert!(matches!(
        last_event(&w),
        EventKind::ExtensionApproved { until, .. } if *until == local(2026, 3, 13, 15, 0)
    ));
    // The original deadline is remembered.
    assert_eq!(w.state.original_deadline, Some(end_of(2026, 3, 11)));

    // Asked for Saturday 03-14 10:00: approved, it rolls to Monday 03-16 10:00 (节假日顺延).
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 9, 0))
        .ok(HANDLER, request_extension(local(2026, 3, 14, 10, 0)))
        .ok(DEPUTY, decide_extension(true, ""));
    assert_eq!(w.state.deadline, Some(local(2026, 3, 16, 10, 0)));
}

// ----- R7.4 suspension and resumption ----------------------------------------------------------

#[test]
fn suspension_stops_the_clock_and_resumption_moves_the_deadline() {
    let mut w = in_progress();
    let deadline = end_of(2026, 3, 11);
    // Friday 03-06: asked at 14:00, approved at 15:00.
    w.set_now(local(2026, 3, 6, 14, 0))
        .ok(HANDLER, ask_suspension());
    assert_eq!(w.state.status, Status::InProgress);
    w.refused(HANDLER, agree_suspension(), "perm.denied");
    w.set_now(local(2026, 3, 6, 15, 0))
        .ok(DEPUTY, agree_suspension());
    assert_eq!(w.state.status, Status::Suspended);
    assert_eq!(w.state.deadline, Some(deadline));

    // While suspended the deadline in force keeps moving with the working time paused:
    // Fri 15:00→18:00 is 3 h, so the end of 03-11 becomes Thu 03-12 03:00; the weekend adds
    // nothing (Sat noon and Sun night: 9 h → 03-12 09:00); Monday 10:00 makes 19 h.
    let eff = |w: &World, t| effective_deadline(&w.state, t, &w.calendar);
    assert_eq!(
        eff(&w, local(2026, 3, 6, 18, 0)),
        Some(local(2026, 3, 12, 3, 0))
    );
    assert_eq!(
        eff(&w, local(2026, 3, 7, 12, 0)),
        Some(local(2026, 3, 12, 9, 0))
    );
    assert_eq!(
        eff(&w, local(2026, 3, 8, 23, 0)),
        Some(local(2026, 3, 12, 9, 0))
    );
    assert_eq!(
        eff(&w, local(2026, 3, 9, 10, 0)),
        Some(local(2026, 3, 12, 19, 0))
    );

    // Nothing is handled while suspended.
    w.set_now(local(2026, 3, 9, 9, 0));
    w.refused(HANDLER, progress(1, 30), "state.not_allowed");
    w.ok(HANDLER, ask_resumption());
    w.set_now(local(2026, 3, 9, 10, 0))
        .ok(DEPUTY, agree_resumption());

    // Suspended Friday 15:00, resumed Monday 10:00: Fri 9 h + Mon 10 h = 19 working hours.
    let new_deadline = local(2026, 3, 12, 19, 0);
    assert!(matches!(
        last_event(&w),
        EventKind::Resumed { paused_working_secs, new_deadline: d, .. }
            if *paused_working_secs == 19 * 3600 && *d == new_deadline
    ));
    assert_eq!(w.state.status, Status::InProgress);
    assert_eq!(w.state.deadline, Some(new_deadline));
    assert_eq!(w.state.pauses.len(), 1);
    assert_eq!(w.state.pauses[0].working_secs, 19 * 3600);
    // After resumption the deadline stands still again.
    assert_eq!(eff(&w, local(2026, 3, 10, 12, 0)), Some(new_deadline));
    assert_eq!(
        w.calendar.working_time_between(deadline, new_deadline),
        Duration::hours(19)
    );
}

#[test]
fn a_refused_suspension_keeps_the_clock_running() {
    let mut w = in_progress();
    w.set_now(local(2026, 3, 6, 14, 0))
        .ok(HANDLER, ask_suspension());
    w.refused(HANDLER, ask_suspension(), "suspension.pending");
    w.refused(
        DEPUTY,
        Command::DecideSuspension {
            approve: false,
            opinion: String::new(),
        },
        "input.opinion_required",
    );
    w.ok(
        DEPUTY,
        Command::DecideSuspension {
            approve: false,
            opinion: "不符合暂停条件".into(),
        },
    );
    assert_eq!(w.state.status, Status::InProgress);
    assert_eq!(
        effective_deadline(&w.state, local(2026, 3, 9, 10, 0), &w.calendar),
        Some(end_of(2026, 3, 11))
    );
}

// ----- R3.1 receive, decline, re-dispatch ------------------------------------------------------

#[test]
fn decline_within_two_working_days_then_redispatch() {
    // Dispatched Monday 03-02 09:00: a decline is in time until the end of Wednesday 03-04.
    let mut w = dispatched_at(
        local(2026, 3, 2, 9, 0),
        registration("annual_key_work", 1),
        order(HANDLER),
    );
    let decline = || Command::Decline {
        reason: "该事项不属于本单位职责".into(),
    };
    w.set_now(local(2026, 3, 4, 23, 0));
    w.refused(
        HANDLER,
        Command::Decline { reason: " ".into() },
        "input.reason_required",
    );
    // The outsider may not read the item: for them it does not exist.
    w.refused(OUTSIDER, decline(), "task.not_found");
    w.ok(HANDLER, decline());
    assert_eq!(w.state.status, Status::Declined);
    // A declined item cannot be received; the office re-dispatches it to another unit.
    w.refused(HANDLER, Command::Receive, "state.not_allowed");
    w.set_now(local(2026, 3, 5, 9, 0));
    w.ok(SUPERVISOR, dispatch(order_to(UNIT_B, PARTICIPANT, None)));
    assert_eq!(w.state.status, Status::Dispatched);
    assert_eq!(w.state.dispatch_count, 2);
    assert_eq!(w.state.lead.map(|l| l.unit), Some(UNIT_B));
    // The new dispatch sets a new deadline (7 working days from Thu 03-05: 6 9 10 11 12 13 16)
    // and remembers the first.
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 16)));
    assert_eq!(w.state.original_deadline, Some(end_of(2026, 3, 11)));
    // The old lead has no part in it any more, nor may read it (it is internal and unit A is
    // no longer involved): for them it does not exist. The new one receives.
    w.refused(HANDLER, Command::Receive, "task.not_found");
    w.ok(PARTICIPANT, Command::Receive);
    assert_eq!(w.state.status, Status::InProgress);
}

#[test]
fn decline_after_two_working_days_is_too_late() {
    let mut w = dispatched_at(
        local(2026, 3, 2, 9, 0),
        registration("annual_key_work", 1),
        order(HANDLER),
    );
    w.set_now(local(2026, 3, 5, 9, 0));
    w.refused(
        HANDLER,
        Command::Decline {
            reason: "不属于本单位职责".into(),
        },
        "decline.too_late",
    );

    // Dispatched on a Friday, the weekend does not count: in time until the end of Tuesday.
    let mut w = dispatched_at(
        local(2026, 3, 6, 9, 0),
        registration("annual_key_work", 1),
        order(HANDLER),
    );
    let decline = || Command::Decline {
        reason: "不属于本单位职责".into(),
    };
    w.set_now(local(2026, 3, 11, 0, 30));
    w.refused(HANDLER, decline(), "decline.too_late");
    w.set_now(local(2026, 3, 10, 23, 0));
    w.ok(HANDLER, decline());
}

// ----- R1.2 registration approval --------------------------------------------------------------

#[test]
fn registration_approval_chain_of_two() {
    let mut w = World::new();
    let mut reg = registration("major_project", 1);
    reg.approval_chain = vec![APPROVER, MAIN];
    w.ok(SUPERVISOR, register(reg));
    // Not approved yet: no dispatch.
    w.refused(SUPERVISOR, dispatch(order(HANDLER)), "approval.pending");
    w.ok(SUPERVISOR, Command::SubmitForApproval);
    assert_eq!(w.state.status, Status::AwaitingApproval);

    // Only the approver whose turn it is decides.
    w.refused(MAIN, decide_registration(true, ""), "perm.denied");
    w.refused(SUPERVISOR, decide_registration(true, ""), "perm.denied");
    w.ok(APPROVER, decide_registration(true, "同意"));
    assert!(matches!(
        last_event(&w),
        EventKind::RegistrationApproved {
            step: 0,
            last: false,
            ..
        }
    ));
    assert_eq!(w.state.status, Status::AwaitingApproval);
    assert_eq!(w.state.approval.step, 1);
    w.refused(APPROVER, decide_registration(true, ""), "perm.denied");

    // A return needs an opinion and sends the draft back to the start.
    w.refused(
        MAIN,
        decide_registration(false, ""),
        "input.opinion_required",
    );
    w.ok(MAIN, decide_registration(false, "请明确各阶段完成时限"));
    assert!(matches!(
        last_event(&w),
        EventKind::RegistrationReturned { step: 1, .. }
    ));
    assert_eq!(w.state.status, Status::Draft);
    assert_eq!(w.state.approval.step, 0);
    assert!(!w.state.approval.approved);
    w.refused(SUPERVISOR, dispatch(order(HANDLER)), "approval.pending");

    // Round two: both agree.
    w.ok(SUPERVISOR, Command::SubmitForApproval);
    w.refused(MAIN, decide_registration(true, ""), "perm.denied");
    w.ok(APPROVER, decide_registration(true, ""));
    w.ok(MAIN, decide_registration(true, "同意立项"));
    assert!(matches!(
        last_event(&w),
        EventKind::RegistrationApproved {
            step: 1,
            last: true,
            ..
        }
    ));
    assert_eq!(w.state.status, Status::Draft);
    assert!(w.state.approval.approved);
    w.refused(SUPERVISOR, Command::SubmitForApproval, "approval.done");

    // Amending an approved draft needs approval again.
    w.ok(
        SUPERVISOR,
        Command::AmendDraft(Box::new(DraftPatch {
            title: Some("推进老旧小区改造(第二批)".into()),
            ..Default::default()
        })),
    );
    assert!(!w.state.approval.approved);
    w.refused(SUPERVISOR, dispatch(order(HANDLER)), "approval.pending");
    w.ok(SUPERVISOR, Command::SubmitForApproval)
        .ok(APPROVER, decide_registration(true, ""))
        .ok(MAIN, decide_registration(true, ""))
        .ok(SUPERVISOR, dispatch(order(HANDLER)));
    assert_eq!(w.state.status, Status::Dispatched);
}

// ----- R5.3 report approval --------------------------------------------------------------------

fn with_report_approver() -> World {
    let mut o = order(HANDLER);
    o.report_approver = Some(HEAD_A);
    let mut w = dispatched_at(World::new().now, registration("annual_key_work", 1), o);
    w.advance(Duration::hours(1)).ok(HANDLER, Command::Receive);
    w
}

#[test]
fn a_completion_report_waits_for_report_approval() {
    let mut w = with_report_approver();
    // A progress report waits too: the progress does not change until approved.
    w.set_now(local(2026, 3, 4, 10, 0))
        .ok(HANDLER, progress(1, 40));
    assert_eq!(w.state.progress, 0);
    w.ok(
        HEAD_A,
        Command::DecideReport {
            report: ReportId::from_u128(1),
            approve: true,
            opinion: String::new(),
        },
    );
    assert_eq!(w.state.progress, 40);

    let filed = local(2026, 3, 10, 10, 0);
    w.set_now(filed).ok(HANDLER, completion(2));
    assert_eq!(w.state.status, Status::InProgress);
    assert!(w.state.completion.is_none());
    assert!(matches!(
        last_event(&w),
        EventKind::CompletionReported {
            needs_approval: true,
            ..
        }
    ));
    // Not reviewable yet, and not filed twice.
    w.refused(SUPERVISOR, accept(), "state.not_allowed");
    w.refused(HANDLER, completion(3), "report.pending");
    // Only the report approver decides.
    let approve = Command::DecideReport {
        report: ReportId::from_u128(2),
        approve: true,
        opinion: "同意报送".into(),
    };
    w.refused(SUPERVISOR, approve.clone(), "perm.denied");
    w.refused(HANDLER, approve.clone(), "perm.denied");
    w.set_now(local(2026, 3, 12, 9, 0)).ok(HEAD_A, approve);
    assert_eq!(w.state.status, Status::UnderReview);
    // The report counts from when it was filed, not when it was approved.
    assert_eq!(w.state.completion.map(|c| c.reported.at), Some(filed));
    w.ok(SUPERVISOR, accept());
    assert_eq!(w.state.status, Status::Completed);
}

#[test]
fn a_returned_report_does_not_complete() {
    let mut w = with_report_approver();
    w.set_now(local(2026, 3, 10, 10, 0))
        .ok(HANDLER, completion(1));
    let ret = |opinion: &str| Command::DecideReport {
        report: ReportId::from_u128(1),
        approve: false,
        opinion: opinion.into(),
    };
    w.refused(HEAD_A, ret(""), "input.opinion_required");
    w.ok(HEAD_A, ret("佐证材料不全"));
    assert_eq!(w.state.status, Status::InProgress);
    assert!(w.state.completion.is_none());
    assert_eq!(
        w.state.report(ReportId::from_u128(1)).map(|r| r.status),
        Some(ReportStatus::Returned)
    );
    // Returned once, it cannot be decided again; a new report goes through approval.
    w.refused(HEAD_A, ret("再次退回"), "report.not_pending");
    w.ok(HANDLER, completion(2));
    assert_eq!(w.state.status, Status::InProgress);
    w.ok(
        HEAD_A,
        Command::DecideReport {
            report: ReportId::from_u128(2),
            approve: true,
            opinion: String::new(),
        },
    );
    assert_eq!(w.state.status, Status::UnderReview);
}

// ----- R6.1, R7.2 review and return for rework -------------------------------------------------

#[test]
fn return_for_rework_needs_a_reason_and_a_new_deadline() {
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 10, 0))
        .ok(HANDLER, completion(1));
    assert_eq!(w.state.status, Status::UnderReview);
    w.set_now(local(2026, 3, 6, 10, 0));
    // Only the creator (no reviewer was named) reviews.
    w.refused(HANDLER, accept(), "perm.denied");
    w.refused(
        SUPERVISOR,
        return_for_rework("", Some(end_of(2026, 3, 13))),
        "input.reason_required",
    );
    w.refused(
        SUPERVISOR,
        return_for_rework("台账不完整", None),
        "input.deadline_required",
    );
    w.refused(
        SUPERVISOR,
        return_for_rework("台账不完整", Some(local(2026, 3, 6, 9, 0))),
        "input.deadline_past",
    );
    w.ok(
        SUPERVISOR,
        return_for_rework("台账不完整", Some(end_of(2026, 3, 13))),
    );
    assert_eq!(w.state.status, Status::InProgress);
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 13)));
    assert!(w.state.completion.is_none());
    assert_eq!(w.state.returns.len(), 1);
    assert_eq!(
        w.state.report(ReportId::from_u128(1)).map(|r| r.status),
        Some(ReportStatus::Reworked)
    );

    // The second completion is filed and accepted.
    w.set_now(local(2026, 3, 12, 10, 0))
        .ok(HANDLER, completion(2));
    assert_eq!(w.state.status, Status::UnderReview);
    w.ok(SUPERVISOR, accept());
    assert_eq!(w.state.status, Status::Completed);
    assert_eq!(derived::own_progress(&w.state), 100);
}

#[test]
fn a_new_deadline_on_a_weekend_rolls_forward() {
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 10, 0))
        .ok(HANDLER, completion(1));
    w.ok(
        SUPERVISOR,
        return_for_rework("数据有误", Some(local(2026, 3, 14, 12, 0))),
    );
    assert_eq!(w.state.deadline, Some(local(2026, 3, 16, 12, 0)));
}

#[test]
fn a_rectification_needs_evidence() {
    let mut w = dispatched_at(
        World::new().now,
        registration("rectification", 1),
        order(HANDLER),
    );
    w.advance(Duration::hours(1)).ok(HANDLER, Command::Receive);
    w.refused(HANDLER, completion(1), "evidence.required");
    let mut with_photo = body(1, "已整改到位,附现场照片");
    with_photo.evidence.push(photo());
    w.ok(HANDLER, Command::ReportCompletion { report: with_photo });
    assert_eq!(w.state.status, Status::UnderReview);

    // Other categories do not need it.
    let mut w = in_progress();
    w.ok(HANDLER, completion(1));
    assert_eq!(w.state.status, Status::UnderReview);
}

// ----- R3.3 sharing and the unit hierarchy -----------------------------------------------------

#[test]
fn sharers_handle_and_unit_heads_above_the_lead_count_as_lead() {
    let mut w = in_progress();
    // Only the lead side shares.
    w.refused(
        SHARER1,
        Command::Share {
            with: vec![SHARER2],
        },
        "perm.denied",
    );
    w.ok(
        HANDLER,
        Command::Share {
            with: vec![SHARER1],
        },
    );
    w.refused(
        HANDLER,
        Command::Share {
            with: vec![SHARER1],
        },
        "share.already",
    );

    // A sharer reports.
    w.advance(Duration::hours(1)).ok(SHARER1, progress(1, 30));
    assert_eq!(w.state.progress, 30);
    // A colleague in the same unit who is neither the named lead nor a sharer does not.
    w.refused(SHARER2, progress(2, 40), "perm.denied");
    // Nor does someone who may not read the item: for them it does not exist.
    w.refused(OUTSIDER, progress(2, 40), "task.not_found");
    // The head of ROOT, which contains UNIT_A, acts as lead owner through the hierarchy; so
    // does the head of UNIT_A itself.
    w.ok(HEAD_ROOT, progress(2, 50));
    w.ok(HEAD_A, progress(3, 60));
    assert_eq!(w.state.progress, 60);
    w.ok(
        HEAD_ROOT,
        Command::Share {
            with: vec![SHARER2],
        },
    );
    w.ok(SHARER2, progress(4, 70));

    // Once one handles the step, the others no longer need to: completion by a sharer puts
    // the item under review for all.
    w.ok(SHARER1, completion(5));
    assert_eq!(w.state.status, Status::UnderReview);
    w.refused(HANDLER, completion(6), "state.not_allowed");

    // A withdrawn share takes the right away.
    let mut w = in_progress();
    w.ok(
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
    );
    w.refused(SHARER1, progress(1, 30), "perm.denied");
}

// ----- R11.2 confidential items ----------------------------------------------------------------

#[test]
fn confidential_items_are_closed_to_outsiders() {
    let mut reg = registration("higher_level", 1);
    reg.visibility = Visibility::Confidential;
    let mut w = dispatched_at(World::new().now, reg, order(HANDLER));
    let units = units();
    assert!(!may_view(&w.state, &actor(OUTSIDER), &units));
    assert!(!may_view(&w.state, &actor(SHARER2), &units));
    for who in [
        INSPECTOR,
        SUPERVISOR,
        HANDLER,
        PARTICIPANT,
        HEAD_ROOT,
        DEPUTY,
    ] {
        assert!(may_view(&w.state, &actor(who), &units), "{who}");
    }
    let comment = |n| Command::Comment {
        id: note(n),
        text: "请加快进度".into(),
        reply_to: None,
    };
    // To someone who may not read it, the item does not exist: the refusal is an unknown
    // item's, word for word.
    let r = w.refused(OUTSIDER, comment(1), "task.not_found");
    assert_eq!(r, Rejection::not_found());
    w.refused(OUTSIDER, Command::Follow, "task.not_found");
    w.ok(INSPECTOR, comment(2));
    w.ok(INSPECTOR, Command::Follow);

    // The same item made internal: it is open to the units involved, not to the outsider (a
    // staff member of an unrelated unit), who may neither read, follow nor comment.
    let mut w3 = dispatched_at(
        World::new().now,
        registration("higher_level", 1),
        order(HANDLER),
    );
    assert_eq!(w3.state.visibility, Visibility::Internal);
    assert_ne!(actor(OUTSIDER).unit, Some(UNIT_A));
    assert!(!may_view(&w3.state, &actor(OUTSIDER), &units));
    let r = w3.refused(OUTSIDER, Command::Follow, "task.not_found");
    assert_eq!(r, Rejection::not_found());
    let r = w3.refused(OUTSIDER, comment(1), "task.not_found");
    assert_eq!(r, Rejection::not_found());
    assert!(
        may_view(&w3.state, &actor(SHARER2), &units),
        "a lead-unit colleague reads it"
    );
    w3.ok(SHARER2, Command::Follow);

    // The same item made public: the outsider may read and follow (but still has no part
    // in it to comment on).
    let mut public = registration("higher_level", 1);
    public.visibility = Visibility::Public;
    let mut w2 = dispatched_at(World::new().now, public, order(HANDLER));
    assert!(may_view(&w2.state, &actor(OUTSIDER), &units));
    w2.ok(OUTSIDER, Command::Follow);
    w2.refused(OUTSIDER, comment(1), "perm.denied");
}

// ----- R7.1 revoke -----------------------------------------------------------------------------

/// One well-formed command of each kind.
fn sample(kind: CommandKind) -> Command {
    use CommandKind as K;
    match kind {
        K::Register => register(registration("annual_key_work", 9)),
        K::AmendDraft => Command::AmendDraft(Box::new(DraftPatch {
            title: Some("新标题".into()),
            ..Default::default()
        })),
        K::SubmitForApproval => Command::SubmitForApproval,
        K::DecideRegistration => decide_registration(true, ""),
        K::Dispatch => dispatch(order(HANDLER)),
        K::Receive => Command::Receive,
        K::Decline => Command::Decline {
            reason: "不属于本单位职责".into(),
        },
        K::Decompose => Command::Decompose(Box::new(SubtaskSpec {
            child: TaskId::from_u128(0xC1),
            number: TaskNumber {
                prefix: "重".into(),
                year: 2026,
                seq: 90,
            },
            title: "子任务".into(),
            content: String::new(),
            lead: Assignee {
                unit: UNIT_A1,
                user: Some(SUB_HANDLER),
            },
            deadline: None,
        })),
        K::Share => Command::Share {
            with: vec![SHARER1],
        },
        K::Unshare => Command::Unshare {
            with: vec![SHARER1],
        },
        K::ReportProgress => progress(90, 50),
        K::ReportCompletion => completion(91),
        K::DecideReport => Command::DecideReport {
            report: ReportId::from_u128(91),
            approve: true,
            opinion: String::new(),
        },
        K::Review => accept(),
        K::Rate => Command::Rate {
            stars: 5,
            opinion: String::new(),
        },
        K::AdjustScore => Command::AdjustScore {
            id: AdjustmentId::from_u128(1),
            points: Points::whole(1),
            reason: "主动创新".into(),
        },
        K::RequestExtension => request_extension(local(2026, 3, 20, 17, 0)),
        K::DecideExtension => decide_extension(true, ""),
        K::RequestSuspension => ask_suspension(),
        K::DecideSuspension => agree_suspension(),
        K::RequestResumption => ask_resumption(),
        K::DecideResumption => agree_resumption(),
        K::Revoke => Command::Revoke {
            reason: "情况变化".into(),
        },
        K::Close => Command::Close,
        K::Archive => Command::Archive,
        K::Urge => Command::Urge {
            channel: UrgeChannel::Phone,
            note: "请尽快办理".into(),
            call: None,
        },
        K::Escalate => Command::Escalate {
            reason: "多次催办无果".into(),
        },
        K::Instruct => Command::Instruct {
            id: note(90),
            text: "抓紧落实".into(),
        },
        K::Comment => Command::Comment {
            id: note(91),
            text: "收到".into(),
            reply_to: None,
        },
        K::Follow => Command::Follow,
        K::Unfollow => Command::Unfollow,
        K::RequestReport => Command::RequestReport {
            period_index: 1,
            period: Period::Weekly,
            due: end_of(2026, 3, 10),
        },
        K::Remind => Command::Remind {
            kind: ReminderKind::BeforeDeadline { working_days: 1 },
        },
        K::AcceptOrder => Command::AcceptOrder {
            note: String::new(),
        },
        K::RefuseOrder => Command::RefuseOrder {
            reason: NonAcceptance::ContestedReply,
            note: "已答复且无新情况".into(),
        },
        K::InformCaller => Command::InformCaller {
            about: NoticeAbout::Acceptance,
            method: ContactMethod::Sms,
            told_at: local(2026, 3, 2, 10, 0),
            note: String::new(),
        },
        K::ReturnOrder => Command::ReturnOrder {
            reason: "属供水公司职责".into(),
        },
        K::RequestCommitment => Command::RequestCommitment {
            until: local(2026, 3, 20, 17, 0),
            reason: "需协调多个部门".into(),
        },
        K::DecideCommitment => Command::DecideCommitment {
            approve: true,
            opinion: String::new(),
        },
        K::CallBack => Command::CallBack {
            answers: CallbackAnswers {
                told_result_and_basis: true,
                factual: true,
                misconduct: false,
                satisfaction: Satisfaction::Satisfied,
            },
            note: String::new(),
        },
        K::ReopenOrder => Command::ReopenOrder {
            reason: "来电人不满意".into(),
        },
        K::MarkTypical => Command::MarkTypical { typical: true },
    }
}

#[test]
fn only_the_creator_revokes_and_then_only_archiving_is_left() {
    let mut w = in_progress();
    let revoke = || Command::Revoke {
        reason: "上级通知该项工作取消".into(),
    };
    for who in [HANDLER, MAIN, DEPUTY, INSPECTOR, HEAD_ROOT] {
        w.refused(who, revoke(), "perm.denied");
    }
    w.refused(
        SUPERVISOR,
        Command::Revoke {
            reason: String::new(),
        },
        "input.reason_required",
    );
    w.advance(Duration::hours(1)).ok(SUPERVISOR, revoke());
    assert_eq!(w.state.status, Status::Revoked);

    // No more reports are owed: nothing is reminded, requested or urged.
    let later = local(2026, 3, 20, 10, 0);
    assert!(batch::due_reminders(&w.state, later, &w.calendar, &w.policy).is_empty());
    assert!(batch::due_urging(&w.state, later, &w.calendar, &w.policy).is_empty());
    assert!(batch::due_report_requests(&w.state, later, &w.calendar).is_empty());

    for kind in CommandKind::ALL {
        let cmd = sample(kind);
        assert_eq!(cmd.kind(), kind);
        let expected = match kind {
            CommandKind::Archive => continue,
            CommandKind::Register => "task.exists",
            _ => "task.revoked",
        };
        for who in [SUPERVISOR, HANDLER, UserId::SYSTEM] {
            w.refused(who, cmd.clone(), expected);
        }
    }
    w.refused(HANDLER, Command::Archive, "perm.denied");
    w.ok(SUPERVISOR, Command::Archive);
    assert_eq!(w.state.status, Status::Archived);
    for kind in CommandKind::ALL {
        let expected = if kind == CommandKind::Register {
            "task.exists"
        } else {
            "task.archived"
        };
        w.refused(SUPERVISOR, sample(kind), expected);
    }
}

// ----- R3.2 decomposition and roll-up ----------------------------------------------------------

fn subtask(child: u128, seq: u32, lead: Assignee, deadline: Option<DateTime<Utc>>) -> Command {
    Command::Decompose(Box::new(SubtaskSpec {
        child: TaskId::from_u128(child),
        number: TaskNumber {
            prefix: "重".into(),
            year: 2026,
            seq,
        },
        title: format!("子任务{seq}"),
        content: "分解落实".into(),
        lead,
        deadline,
    }))
}

#[test]
fn decomposed_subtasks_roll_up_into_the_parent() {
    let mut parent = in_progress();
    let a1 = Assignee {
        unit: UNIT_A1,
        user: Some(SUB_HANDLER),
    };
    let a = Assignee {
        unit: UNIT_A,
        user: Some(SHARER2),
    };
    // Not later than the parent (end of 03-11).
    parent.refused(
        HANDLER,
        subtask(0xC1, 2, a1, Some(end_of(2026, 3, 12))),
        "input.subtask_deadline",
    );
    parent.refused(SHARER2, subtask(0xC1, 2, a1, None), "perm.denied");
    parent
        .ok(HANDLER, subtask(0xC1, 2, a1, Some(end_of(2026, 3, 10))))
        .ok(HANDLER, subtask(0xC2, 3, a, None))
        .ok(HANDLER, subtask(0xC3, 4, a1, Some(end_of(2026, 3, 9))));
    parent.refused(HANDLER, subtask(0xC1, 5, a1, None), "input.duplicate_id");
    assert_eq!(parent.state.subtasks.len(), 3);

    // Each Decomposed event becomes a subtask through `batch::subtask_commands`.
    let specs: Vec<SubtaskSpec> = parent
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Decomposed(s) => Some((**s).clone()),
            _ => None,
        })
        .collect();
    // A subtask without a deadline takes its parent's.
    assert_eq!(specs[1].deadline, Some(end_of(2026, 3, 11)));
    let mut children: BTreeMap<TaskId, World> = BTreeMap::new();
    for spec in &specs {
        let mut child = World::at(parent.now);
        // The rules are told of the parent, as the server tells them.
        child.parent = Some((TASK, parent.state.clone()));
        for c in batch::subtask_commands(TASK, &parent.state, spec, HANDLER) {
            child.ok(HANDLER, c);
        }
        assert_eq!(child.state.status, Status::Dispatched);
        assert_eq!(child.state.parent, Some(TASK));
        assert_eq!(child.state.deadline, spec.deadline);
        assert_eq!(child.state.lead, Some(spec.lead));
        assert_eq!(child.state.effective_reviewer(), Some(HANDLER));
        children.insert(spec.child, child);
    }

    let c1 = TaskId::from_u128(0xC1);
    let c2 = TaskId::from_u128(0xC2);
    let c3 = TaskId::from_u128(0xC3);
    {
        let w = children.get_mut(&c1).unwrap();
        w.advance(Duration::hours(1))
            .ok(SUB_HANDLER, Command::Receive)
            .ok(SUB_HANDLER, progress(1, 50));
    }
    {
        let w = children.get_mut(&c2).unwrap();
        w.advance(Duration::hours(1))
            .ok(SHARER2, Command::Receive)
            .ok(SHARER2, completion(1));
        // The subtask answers to the one who decomposed it, not to the parent's creator.
        w.refused(SUPERVISOR, accept(), "perm.denied");
        w.ok(HANDLER, accept());
    }
    {
        let w = children.get_mut(&c3).unwrap();
        w.advance(Duration::hours(1))
            .ok(SUB_HANDLER, Command::Receive)
            .ok(SUB_HANDLER, progress(1, 30));
    }
    let rollup = |parent: &World, children: &BTreeMap<TaskId, World>| {
        let lookup = |id: TaskId| children.get(&id).map(|w| &w.state);
        derived::rolled_up_progress(&parent.state, &lookup)
    };
    // (50 + 100 + 30) / 3 = 60.
    assert_eq!(rollup(&parent, &children), 60);
    // The decomposer revokes the third: it no longer counts. (50 + 100) / 2 = 75.
    children.get_mut(&c3).unwrap().ok(
        HANDLER,
        Command::Revoke {
            reason: "并入子任务一".into(),
        },
    );
    assert_eq!(rollup(&parent, &children), 75);
    // The parent's own reports do not matter while it has live subtasks …
    parent.ok(HANDLER, progress(1, 10));
    assert_eq!(rollup(&parent, &children), 75);
    // … and an accepted parent is 100 whatever its subtasks say.
    parent.ok(HANDLER, completion(2)).ok(SUPERVISOR, accept());
    assert_eq!(rollup(&parent, &children), 100);
}

// ----- Reach: who may send an item where (issue 16, item 1) ----------------------------------

const PARENT: TaskId = TaskId::from_u128(0xFA);

/// A registration of a sub-item under `parent`.
fn sub_item(parent: TaskId) -> Command {
    let mut reg = registration("annual_key_work", 2);
    reg.parent = Some(parent);
    register(reg)
}

/// An internal item led by `lead` (a person of `unit`), in progress, with no participant.
fn led_by(unit: UnitId, lead: UserId) -> World {
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(order_to(unit, lead, None)))
        .advance(Duration::hours(1))
        .ok(lead, Command::Receive);
    w
}

/// A new item's world whose rules are told of `parent` under the id `PARENT`.
fn under(parent: &World) -> World {
    let mut w = World::at(parent.now);
    w.parent = Some((PARENT, parent.state.clone()));
    w
}

/// A dispatch to `lead` (no person named) with these participant units.
fn send(lead: UnitId, participants: &[UnitId]) -> Command {
    let mut o = order_to(lead, HANDLER, None);
    o.lead.user = None;
    o.participants = participants
        .iter()
        .map(|u| Assignee {
            unit: *u,
            user: None,
        })
        .collect();
    dispatch(o)
}

#[test]
fn staff_register_a_sub_item_only_under_an_existing_parent_they_handle() {
    // Staff may not register an item of their own.
    World::new().refused(
        HANDLER,
        register(registration("annual_key_work", 1)),
        "perm.denied",
    );

    // A parent nobody knows of: refused as an unknown parent.
    let unknown = World::new().refused(HANDLER, sub_item(PARENT), "input.unknown_parent");
    // Another unit's internal item, which HANDLER may not read: the very same refusal, so
    // the answer tells nothing of its existence.
    let theirs = led_by(UNIT_B, PARTICIPANT);
    assert!(!may_view(&theirs.state, &actor(HANDLER), &units()));
    let hidden = under(&theirs).refused(HANDLER, sub_item(PARENT), "input.unknown_parent");
    assert_eq!(unknown, hidden);
    // The rules are told of a parent, but under another id: unknown too.
    let mut w = under(&in_progress());
    w.parent.as_mut().unwrap().0 = TaskId::from_u128(0xFB);
    assert_eq!(
        w.refused(HANDLER, sub_item(PARENT), "input.unknown_parent"),
        unknown
    );

    // A public item of another unit HANDLER may read but does not handle: not theirs.
    let mut reg = registration("annual_key_work", 1);
    reg.visibility = Visibility::Public;
    let public = dispatched_at(World::new().now, reg, order_to(UNIT_B, PARTICIPANT, None));
    under(&public).refused(HANDLER, sub_item(PARENT), "perm.denied");
    // A colleague of the lead unit who neither leads nor shares: not theirs either.
    let own = in_progress();
    under(&own).refused(SHARER2, sub_item(PARENT), "perm.denied");

    // The lead handler and a sharer of the parent may.
    under(&own).ok(HANDLER, sub_item(PARENT));
    let mut shared = in_progress();
    shared.ok(
        HANDLER,
        Command::Share {
            with: vec![SHARER1],
        },
    );
    under(&shared).ok(SHARER1, sub_item(PARENT));
    // A unit head too must handle the parent: HEAD_A heads the lead unit (a lead owner) …
    under(&own).ok(HEAD_A, sub_item(PARENT));
    // … but not an item of unit B, even a public one.
    under(&public).refused(HEAD_A, sub_item(PARENT), "perm.denied");
}

#[test]
fn a_sub_item_is_sent_only_within_its_parents_lead_unit() {
    let own = in_progress(); // led by HANDLER in UNIT_A
    let mut w = under(&own);
    w.ok(HANDLER, sub_item(PARENT));
    // Another unit, as lead or as participant: beyond reach.
    w.refused(HANDLER, send(UNIT_B, &[]), "perm.out_of_reach");
    w.refused(HANDLER, send(ROOT, &[]), "perm.out_of_reach");
    w.refused(HANDLER, send(UNIT_A, &[UNIT_C]), "perm.out_of_reach");
    // Without the parent the rules cannot tell: refused.
    let mut blind = under(&own);
    blind.ok(HANDLER, sub_item(PARENT));
    blind.parent = None;
    blind.refused(HANDLER, send(UNIT_A, &[]), "perm.out_of_reach");
    // The parent's lead unit and the units below it.
    let mut below = under(&own);
    below.ok(HANDLER, sub_item(PARENT));
    below.ok(HANDLER, send(UNIT_A1, &[]));
    w.ok(HANDLER, send(UNIT_A, &[UNIT_A1]));
    assert_eq!(w.state.status, Status::Dispatched);
    // Re-dispatch after a decline keeps to the same reach.
    w.ok(
        SHARER2,
        Command::Decline {
            reason: "不属于本单位职责".into(),
        },
    );
    w.refused(HANDLER, send(UNIT_C, &[]), "perm.out_of_reach");
    w.ok(HANDLER, send(UNIT_A1, &[]));
}

#[test]
fn a_unit_head_sends_only_to_their_own_unit_and_below() {
    let mut w = World::new();
    w.ok(HEAD_A, register(registration("annual_key_work", 1)));
    w.refused(HEAD_A, send(UNIT_B, &[]), "perm.out_of_reach");
    w.refused(HEAD_A, send(ROOT, &[]), "perm.out_of_reach");
    w.refused(HEAD_A, send(UNIT_A, &[UNIT_B]), "perm.out_of_reach");
    w.ok(HEAD_A, send(UNIT_A1, &[UNIT_A]));
    // Re-dispatch after a decline: the same reach.
    w.advance(Duration::hours(1)).ok(
        SUB_HANDLER,
        Command::Decline {
            reason: "不属于本单位职责".into(),
        },
    );
    w.refused(HEAD_A, send(UNIT_C, &[]), "perm.out_of_reach");
    w.ok(HEAD_A, send(UNIT_A, &[]));
    // The head of the root reaches every unit below it.
    let mut w = World::new();
    w.ok(HEAD_ROOT, register(registration("annual_key_work", 1)))
        .ok(HEAD_ROOT, send(UNIT_B, &[UNIT_C, UNIT_A1]));
}

#[test]
fn the_office_leaders_and_inspectors_send_anywhere() {
    for who in [SUPERVISOR, MAIN, DEPUTY, INSPECTOR] {
        let mut w = World::new();
        w.ok(who, register(registration("annual_key_work", 1)))
            .ok(who, send(UNIT_C, &[UNIT_B, UNIT_A1]));
        // A sub-item under any item they may read, without handling it …
        under(&led_by(UNIT_B, PARTICIPANT))
            .ok(who, sub_item(PARENT))
            .ok(who, send(UNIT_A, &[]));
        // … but not under one that does not exist.
        World::new().refused(who, sub_item(PARENT), "input.unknown_parent");
    }
}

#[test]
fn a_decomposition_stays_within_the_decomposers_reach() {
    // HANDLER (staff) leads in UNIT_A: UNIT_A and below, not UNIT_B.
    let mut w = in_progress();
    let to = |unit: UnitId| Assignee { unit, user: None };
    w.refused(
        HANDLER,
        subtask(0xC1, 2, to(UNIT_B), None),
        "perm.out_of_reach",
    );
    w.refused(
        HANDLER,
        subtask(0xC1, 2, to(ROOT), None),
        "perm.out_of_reach",
    );
    w.ok(HANDLER, subtask(0xC1, 2, to(UNIT_A1), None));
    // SUB_HANDLER leads in UNIT_A1; HEAD_A, the head above, is a lead owner too.
    let mut w = led_by(UNIT_A1, SUB_HANDLER);
    w.refused(
        SUB_HANDLER,
        subtask(0xC1, 2, to(UNIT_A), None),
        "perm.out_of_reach",
    );
    w.refused(
        HEAD_A,
        subtask(0xC1, 2, to(UNIT_B), None),
        "perm.out_of_reach",
    );
    w.ok(HEAD_A, subtask(0xC1, 2, to(UNIT_A), None));
    w.ok(SUB_HANDLER, subtask(0xC2, 3, to(UNIT_A1), None));
}

#[test]
fn who_reaches_which_unit() {
    let tree = units();
    let person = |unit: UnitId, roles: &[Role]| Actor {
        id: UserId::from_u128(0x77),
        unit: Some(unit),
        roles: Roles::of(roles),
    };
    let all = [ROOT, UNIT_A, UNIT_A1, UNIT_B, UNIT_C];
    for role in [
        Role::Supervisor,
        Role::Admin,
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Inspector,
    ] {
        let a = person(UNIT_C, &[role]);
        assert!(
            all.iter().all(|u| may_assign(&a, &tree, None, *u)),
            "{role:?}"
        );
    }
    let head = person(UNIT_A, &[Role::UnitHead]);
    let reached: Vec<UnitId> = all
        .into_iter()
        .filter(|u| may_assign(&head, &tree, None, *u))
        .collect();
    assert_eq!(reached, [UNIT_A, UNIT_A1]);
    for roles in [&[Role::Staff][..], &[], &[Role::System]] {
        let a = person(UNIT_A, roles);
        assert!(
            all.iter().all(|u| !may_assign(&a, &tree, None, *u)),
            "{roles:?}"
        );
    }
    // Handling a parent led by UNIT_A reaches UNIT_A and below; reading it does not.
    let parent = in_progress().state;
    let handler = actor(HANDLER);
    let reached: Vec<UnitId> = all
        .into_iter()
        .filter(|u| may_assign(&handler, &tree, Some(&parent), *u))
        .collect();
    assert_eq!(reached, [UNIT_A, UNIT_A1]);
    assert!(all
        .iter()
        .all(|u| !may_assign(&actor(SHARER2), &tree, Some(&parent), *u)));
}

// ----- R2.1, R1.5 dispatch to several units ----------------------------------------------------

#[test]
fn multi_dispatch_makes_one_numbered_item_per_unit() {
    let batch_id = BatchId::from_u128(0xB1);
    let units = [UNIT_A, UNIT_B, UNIT_C];
    let ids: Vec<TaskId> = (0..3).map(|i| TaskId::from_u128(0xD0 + i)).collect();
    let mut o = order(HANDLER);
    o.participants = vec![Assignee {
        unit: UNIT_B,
        user: None,
    }];
    let plan = MultiDispatch {
        batch: batch_id,
        registration: registration("meeting_decision", 1),
        order: o,
        leads: ids
            .iter()
            .zip(units)
            .map(|(id, unit)| (*id, Assignee { unit, user: None }))
            .collect(),
    };
    let policy = duban_core::domain::Policy::default();
    let mut book = NumberBook::default();
    book.set_last("meeting_decision", 2026, 16);
    let planned = batch::plan_multi_dispatch(&plan, &mut book, &policy).unwrap();
    assert_eq!(planned.len(), 3);
    assert_eq!(book.last("meeting_decision", 2026), 19);

    for (i, (id, commands)) in planned.into_iter().enumerate() {
        assert_eq!(id, ids[i]);
        let mut w = World::new();
        for c in commands {
            w.ok(SUPERVISOR, c);
        }
        assert_eq!(w.state.status, Status::Dispatched);
        assert_eq!(w.state.batch, Some(batch_id));
        assert_eq!(w.state.lead.map(|l| l.unit), Some(units[i]));
        let number = w.state.number.clone().unwrap();
        assert_eq!(number.seq, 17 + i as u32);
        assert_eq!(number.to_string(), format!("议〔2026〕{}号", 17 + i));
        // A unit is never its own participant.
        assert!(w.state.participants.iter().all(|p| p.unit != units[i]));
        // The whole lead unit receives.
        let member = match units[i] {
            u if u == UNIT_A => SHARER2,
            u if u == UNIT_B => PARTICIPANT,
            _ => OUTSIDER,
        };
        w.ok(member, Command::Receive);
        assert_eq!(w.state.status, Status::InProgress);
    }

    // Duplicate units or ids are refused, and no number is used up.
    let mut dup_unit = plan.clone();
    dup_unit.leads[2].1 = dup_unit.leads[0].1;
    let mut dup_id = plan.clone();
    dup_id.leads[2].0 = dup_id.leads[0].0;
    for bad in [dup_unit, dup_id] {
        let r = batch::plan_multi_dispatch(&bad, &mut book, &policy).unwrap_err();
        assert_eq!(r.code, "input.batch_duplicate");
        assert_eq!(book.last("meeting_decision", 2026), 19);
    }
    let mut empty = plan;
    empty.leads.clear();
    assert_eq!(
        batch::plan_multi_dispatch(&empty, &mut book, &policy)
            .unwrap_err()
            .code,
        "input.batch_size"
    );
}

// ----- R1.4, R2.3, R4.1–R4.4 the scheduler's pure rules ----------------------------------------

#[test]
fn weekly_report_requests_are_made_once_per_period() {
    let mut reg = registration("annual_key_work", 1);
    reg.recurrence = Some(weekly());
    let mut o = order(HANDLER);
    o.deadline = Some(end_of(2026, 3, 31));
    let mut w = dispatched_at(local(2026, 3, 2, 9, 0), reg, o);
    w.advance(Duration::hours(1)).ok(HANDLER, Command::Receive);
    let due = |w: &World| batch::due_report_requests(&w.state, w.now, &w.calendar);

    // The week holding the dispatch asks nothing.
    w.set_now(local(2026, 3, 6, 12, 0));
    assert!(due(&w).is_empty());
    // Monday 03-09: period 1, due one working day in (end of Tue 03-10).
    w.set_now(local(2026, 3, 9, 8, 0));
    let first = due(&w);
    assert_eq!(
        first,
        vec![Command::RequestReport {
            period_index: 1,
            period: Period::Weekly,
            due: end_of(2026, 3, 10),
        }]
    );
    run_as_system(&mut w, first.clone());
    assert!(due(&w).is_empty());
    // The same request again is refused.
    w.refused(UserId::SYSTEM, first[0].clone(), "report_request.duplicate");
    w.set_now(local(2026, 3, 10, 10, 0)).ok(
        HANDLER,
        Command::ReportProgress {
            report: body(1, "第一周进展"),
            percent: 20,
            milestone: None,
            answers: Some(1),
        },
    );
    assert!(w.state.report_requests[0].answered.is_some());

    // A scheduler that missed two weeks catches up with both.
    w.set_now(local(2026, 3, 24, 12, 0));
    let two = due(&w);
    assert_eq!(
        two,
        vec![
            Command::RequestReport {
                period_index: 2,
                period: Period::Weekly,
                due: end_of(2026, 3, 17),
            },
            Command::RequestReport {
                period_index: 3,
                period: Period::Weekly,
                due: end_of(2026, 3, 24),
            },
        ]
    );
    run_as_system(&mut w, two);
    assert!(due(&w).is_empty());

    // The last week before the deadline (end of 03-31) starts Monday 03-30; none after.
    w.set_now(local(2026, 3, 31, 12, 0));
    let last = due(&w);
    assert_eq!(last.len(), 1);
    run_as_system(&mut w, last);
    w.set_now(local(2026, 4, 8, 12, 0));
    assert!(due(&w).is_empty());
    assert_eq!(
        w.state
            .report_requests
            .iter()
            .map(|r| r.index)
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn reminders_three_and_one_working_days_before_each_deadline_once() {
    let mut w = in_progress(); // due end of Wed 03-11
    let due = |w: &World| batch::due_reminders(&w.state, w.now, &w.calendar, &w.policy);
    let before = |n| Command::Remind {
        kind: ReminderKind::BeforeDeadline { working_days: n },
    };

    // Mon 03-02 noon: 12 h + 7 days = 180 h left, 8 days.
    w.set_now(local(2026, 3, 2, 12, 0));
    assert!(due(&w).is_empty());
    // Fri 03-06 10:00: 14 h + 3 days = 86 h, 4 days.
    w.set_now(local(2026, 3, 6, 10, 0));
    assert!(due(&w).is_empty());
    // Mon 03-09 08:00: 16 h + 2 days = 64 h, 3 days.
    w.set_now(local(2026, 3, 9, 8, 0));
    assert_eq!(due(&w), vec![before(3)]);
    let c = due(&w);
    run_as_system(&mut w, c);
    assert!(due(&w).is_empty());
    w.refused(UserId::SYSTEM, before(3), "remind.duplicate");
    // Tue 03-10 08:00: 40 h, 2 days: still the 3-day reminder, already sent.
    w.set_now(local(2026, 3, 10, 8, 0));
    assert!(due(&w).is_empty());
    // Wed 03-11 08:00: 16 h, 1 day.
    w.set_now(local(2026, 3, 11, 8, 0));
    assert_eq!(due(&w), vec![before(1)]);
    let c = due(&w);
    run_as_system(&mut w, c);
    assert!(due(&w).is_empty());
    assert_eq!(w.state.reminders.len(), 2);

    // An approved extension makes a new deadline, reminded again: end of Wed 03-18 at 17:00.
    w.set_now(local(2026, 3, 11, 9, 0))
        .ok(HANDLER, request_extension(local(2026, 3, 18, 17, 0)))
        .ok(DEPUTY, decide_extension(true, ""));
    assert!(due(&w).is_empty());
    // Fri 03-13 12:00: 12 h + 2 days + 17 h = 77 h, 4 days.
    w.set_now(local(2026, 3, 13, 12, 0));
    assert!(due(&w).is_empty());
    // Mon 03-16 09:00: 15 h + 24 h + 17 h = 56 h, 3 days.
    w.set_now(local(2026, 3, 16, 9, 0));
    assert_eq!(due(&w), vec![before(3)]);
    let c = due(&w);
    run_as_system(&mut w, c);
    assert!(due(&w).is_empty());
    // Only the system records reminders.
    w.refused(SUPERVISOR, before(1), "perm.denied");
}

#[test]
fn unreceived_dispatches_are_reminded_once_a_working_day() {
    // Dispatched Friday 03-06 09:00 and not received.
    let mut w = dispatched_at(
        local(2026, 3, 6, 9, 0),
        registration("annual_key_work", 1),
        order(HANDLER),
    );
    let due = |w: &World| batch::due_reminders(&w.state, w.now, &w.calendar, &w.policy);
    let unreceived = Command::Remind {
        kind: ReminderKind::Unreceived,
    };
    // Saturday 09:00: only 15 working hours have passed.
    w.set_now(local(2026, 3, 7, 9, 0));
    assert!(due(&w).is_empty());
    // Monday 09:00: 15 h + 9 h = one working day.
    w.set_now(local(2026, 3, 9, 9, 0));
    assert_eq!(due(&w), vec![unreceived.clone()]);
    let c = due(&w);
    run_as_system(&mut w, c);
    w.set_now(local(2026, 3, 9, 18, 0));
    assert!(due(&w).is_empty());
    w.set_now(local(2026, 3, 10, 9, 0));
    assert_eq!(due(&w), vec![unreceived.clone()]);
    // Once received, no more.
    w.ok(HANDLER, Command::Receive);
    assert!(due(&w).is_empty());
    w.refused(UserId::SYSTEM, unreceived, "remind.not_due");
}

#[test]
fn overdue_items_are_urged_then_escalated() {
    let mut w = in_progress(); // due end of Wed 03-11
    let due = |w: &World| batch::due_urging(&w.state, w.now, &w.calendar, &w.policy);
    let system_escalate = || Command::Escalate {
        reason: String::new(),
    };

    // Not overdue: nothing, and the system may not urge or escalate by itself.
    w.set_now(local(2026, 3, 11, 12, 0));
    assert!(due(&w).is_empty());
    w.refused(
        UserId::SYSTEM,
        Command::Urge {
            channel: UrgeChannel::Message,
            note: String::new(),
            call: None,
        },
        "urge.not_due",
    );
    w.set_now(end_of(2026, 3, 11));
    assert!(due(&w).is_empty());

    // Thursday 03-12 09:00: first urging.
    w.set_now(local(2026, 3, 12, 9, 0));
    let urge = due(&w);
    assert_eq!(urge.len(), 1);
    assert!(matches!(urge[0], Command::Urge { .. }));
    run_as_system(&mut w, urge);
    assert_eq!(w.state.urges_since_result, 1);
    w.set_now(local(2026, 3, 12, 15, 0));
    assert!(due(&w).is_empty());
    w.refused(UserId::SYSTEM, system_escalate(), "escalate.not_due");

    // Friday 09:00, a working day later: second urging.
    w.set_now(local(2026, 3, 13, 9, 0));
    let urge = due(&w);
    assert!(matches!(urge.as_slice(), [Command::Urge { .. }]));
    run_as_system(&mut w, urge);
    assert_eq!(w.state.urges_since_result, 2);

    // Two urgings without result: escalate, once.
    w.set_now(local(2026, 3, 13, 10, 0));
    let esc = due(&w);
    assert!(matches!(esc.as_slice(), [Command::Escalate { .. }]));
    run_as_system(&mut w, esc);
    assert!(w.state.escalated.is_some());
    assert!(due(&w).is_empty());
    w.refused(UserId::SYSTEM, system_escalate(), "escalate.already");

    // Urging goes on once a working day; the weekend does not count.
    w.set_now(local(2026, 3, 15, 20, 0));
    assert!(due(&w).is_empty());
    w.set_now(local(2026, 3, 16, 9, 0));
    assert!(matches!(due(&w).as_slice(), [Command::Urge { .. }]));
}

#[test]
fn a_progress_report_resets_the_urging_count() {
    let mut w = in_progress();
    let due = |w: &World| batch::due_urging(&w.state, w.now, &w.calendar, &w.policy);
    w.set_now(local(2026, 3, 12, 9, 0));
    let c = due(&w);
    run_as_system(&mut w, c);
    w.set_now(local(2026, 3, 13, 9, 0));
    let c = due(&w);
    run_as_system(&mut w, c);
    assert_eq!(w.state.urges_since_result, 2);

    w.set_now(local(2026, 3, 13, 9, 30))
        .ok(HANDLER, progress(1, 80));
    assert_eq!(w.state.urges_since_result, 0);
    w.set_now(local(2026, 3, 13, 10, 0));
    assert!(due(&w).is_empty());
    w.refused(
        UserId::SYSTEM,
        Command::Escalate {
            reason: String::new(),
        },
        "escalate.not_due",
    );
    // Still overdue: urged again the next working day, counting from zero.
    w.set_now(local(2026, 3, 16, 9, 0));
    let urge = due(&w);
    assert!(matches!(urge.as_slice(), [Command::Urge { .. }]));
    run_as_system(&mut w, urge);
    assert_eq!(w.state.urges_since_result, 1);
    assert!(w.state.escalated.is_none());
}

#[test]
fn system_urging_and_escalation_wait_for_their_time_people_do_not() {
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 10, 0));
    let urge = Command::Urge {
        channel: UrgeChannel::Message,
        note: "请加快进度".into(),
        call: None,
    };
    w.refused(UserId::SYSTEM, urge.clone(), "urge.not_due");
    w.refused(
        UserId::SYSTEM,
        Command::Escalate {
            reason: String::new(),
        },
        "escalate.not_due",
    );
    // A supervisor urges by hand at any time (R4.3); the handler may not.
    w.refused(HANDLER, urge.clone(), "perm.denied");
    w.ok(SUPERVISOR, urge);
    // A person's escalation needs a reason.
    w.refused(
        SUPERVISOR,
        Command::Escalate {
            reason: String::new(),
        },
        "input.reason_required",
    );
    w.ok(
        SUPERVISOR,
        Command::Escalate {
            reason: "进度严重滞后".into(),
        },
    );
    assert!(w.state.escalated.is_some());
}

#[test]
fn an_urgent_instruction_keeps_its_urgency() {
    // Dispatched Monday 03-02: an instruction without a deadline gets 5 working days, but
    // one marked urgent gets 3, and extra-urgent the same day.
    for (urgency, due) in [
        (Urgency::Normal, end_of(2026, 3, 9)),
        (Urgency::Urgent, end_of(2026, 3, 5)),
        (Urgency::ExtraUrgent, end_of(2026, 3, 2)),
    ] {
        let mut w = World::new();
        let mut reg = registration("instruction", 1);
        reg.urgency = urgency;
        w.ok(SUPERVISOR, register(reg))
            .ok(SUPERVISOR, dispatch(order(HANDLER)));
        assert_eq!(w.state.deadline, Some(due), "{urgency:?}");
    }
}

#[test]
fn a_completion_waiting_for_report_approval_counts_as_reported() {
    // Normal urgency: due end of Wed 03-11 (7 working days). Filed 03-10, the
    // report approver has not acted by 03-13: the item is reported in time, not overdue,
    // and the system does not urge it.
    let mut w = World::new();
    let mut o = order(HANDLER);
    o.report_approver = Some(HEAD_A);
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(o))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive);
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 11)));
    w.set_now(local(2026, 3, 10, 10, 0))
        .ok(HANDLER, completion(1));
    w.set_now(local(2026, 3, 13, 10, 0));
    let light = derived::timeliness_light(&w.state, w.now, &w.calendar, &w.policy).unwrap();
    assert_eq!(light.code, "light.reported_on_time");
    assert!(batch::due_urging(&w.state, w.now, &w.calendar, &w.policy).is_empty());
    w.refused(
        UserId::SYSTEM,
        Command::Urge {
            channel: UrgeChannel::Message,
            note: String::new(),
            call: None,
        },
        "urge.not_due",
    );
    let score = derived::item_score(&w.state, w.now, &w.calendar, &w.policy).unwrap();
    assert!(
        score.lines.iter().all(|l| l.code != "score.late"),
        "{score:?}"
    );
    // Approved later, it is still on time: it counts from when it was filed.
    w.ok(
        HEAD_A,
        Command::DecideReport {
            report: duban_core::domain::model::ReportId::from_u128(1),
            approve: true,
            opinion: String::new(),
        },
    )
    .ok(SUPERVISOR, accept());
    let light = derived::timeliness_light(&w.state, w.now, &w.calendar, &w.policy).unwrap();
    assert_eq!(light.code, "light.on_time");
}

#[test]
fn the_countdown_counts_working_time_and_stops_while_suspended() {
    use duban_core::domain::decide::working_time_left;
    // Due end of Wed 03-11. Friday 03-06 15:00: 9 h of Friday + Mon, Tue, Wed = 81 h.
    let mut w = in_progress();
    w.set_now(local(2026, 3, 6, 15, 0));
    let left = working_time_left(&w.state, w.now, &w.calendar).unwrap();
    assert_eq!(left, Duration::hours(9 + 72));
    // Suspended then: on Tuesday 03-10 the countdown still shows 81 h.
    w.ok(HANDLER, ask_suspension())
        .ok(DEPUTY, agree_suspension());
    w.set_now(local(2026, 3, 10, 12, 0));
    assert_eq!(
        working_time_left(&w.state, w.now, &w.calendar),
        Some(Duration::hours(81))
    );
    // An item not yet dispatched has no countdown; an overdue one counts negative.
    assert_eq!(
        working_time_left(&World::new().state, w.now, &w.calendar),
        None
    );
    let mut late = in_progress();
    late.set_now(local(2026, 3, 12, 6, 0));
    assert_eq!(
        working_time_left(&late.state, late.now, &late.calendar),
        Some(-Duration::hours(6))
    );
}

#[test]
fn the_countdown_ends_when_the_work_is_over() {
    use duban_core::domain::decide::working_time_left;
    // Reported complete, under review: the deadline still stands, so the countdown runs.
    let mut w = in_progress();
    w.set_now(local(2026, 3, 6, 15, 0));
    w.ok(HANDLER, completion(1));
    assert_eq!(w.state.status, Status::UnderReview);
    assert!(working_time_left(&w.state, w.now, &w.calendar).is_some());
    // Accepted: completed, nothing is due any more, even after the deadline.
    w.ok(SUPERVISOR, accept());
    assert_eq!(w.state.status, Status::Completed);
    assert_eq!(working_time_left(&w.state, w.now, &w.calendar), None);
    w.set_now(local(2026, 3, 20, 9, 0));
    assert_eq!(working_time_left(&w.state, w.now, &w.calendar), None);
    // Revoked while in progress: none either.
    let mut r = in_progress();
    r.set_now(local(2026, 3, 6, 15, 0));
    r.ok(
        SUPERVISOR,
        Command::Revoke {
            reason: "重复立项".into(),
        },
    );
    assert_eq!(r.state.status, Status::Revoked);
    assert_eq!(working_time_left(&r.state, r.now, &r.calendar), None);
}

#[test]
fn an_urging_by_phone_records_the_call_and_the_trail_tells_it() {
    use duban_core::domain::command::PhoneCall;
    use duban_core::domain::derived::describe::describe;

    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 10, 0));
    let call = PhoneCall {
        at: local(2026, 3, 5, 9, 40),
        answered_by: "张科长".into(),
    };
    let urge = |channel: UrgeChannel, call: Option<PhoneCall>| Command::Urge {
        channel,
        note: "请本周内报送进展".into(),
        call,
    };
    // Only a phone call is recorded as one, with who answered, never later than now.
    w.refused(
        SUPERVISOR,
        urge(UrgeChannel::Message, Some(call.clone())),
        "urge.call_not_phone",
    );
    w.refused(
        SUPERVISOR,
        urge(
            UrgeChannel::Phone,
            Some(PhoneCall {
                answered_by: " ".into(),
                ..call.clone()
            }),
        ),
        "input.answered_by",
    );
    w.refused(
        SUPERVISOR,
        urge(
            UrgeChannel::Phone,
            Some(PhoneCall {
                at: local(2026, 3, 5, 10, 5),
                ..call.clone()
            }),
        ),
        "urge.call_future",
    );
    w.ok(SUPERVISOR, urge(UrgeChannel::Phone, Some(call.clone())));
    let last = w.events.last().expect("urged");
    let EventKind::Urged { call: recorded, .. } = &last.kind else {
        panic!("{last:?}");
    };
    assert_eq!(recorded.as_ref(), Some(&call));
    let words = describe(&last.kind, &w.calendar);
    assert_eq!(words.title_zh, "催办(电话,2026-03-05 09:40,接听人 张科长)");
    assert_eq!(
        words.title_en,
        "Urged (by phone at 2026-03-05 09:40, answered by 张科长)"
    );
    assert_eq!(words.detail, "请本周内报送进展");
}

#[test]
fn an_urging_without_a_call_reads_and_hashes_as_before() {
    // Written before calls were recorded: no `call` key, and none is written back, so the
    // trail's hashes of old urgings still verify.
    let old = serde_json::json!({"event": "urged", "channel": "message", "note": "请加快"});
    let kind: EventKind = serde_json::from_value(old.clone()).expect("reads");
    assert_eq!(serde_json::to_value(&kind).expect("writes"), old);
    let old = serde_json::json!({"command": "urge", "channel": "phone", "note": "已电话催办"});
    let cmd: Command = serde_json::from_value(old.clone()).expect("reads");
    assert_eq!(serde_json::to_value(&cmd).expect("writes"), old);
}

#[test]
fn a_second_urging_within_the_interval_is_urged_lately() {
    use duban_core::domain::offer::urged_lately;

    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 10, 0));
    assert_eq!(urged_lately(&w.state, w.now, &w.policy), None);
    w.ok(
        SUPERVISOR,
        Command::Urge {
            channel: UrgeChannel::Message,
            note: String::new(),
            call: None,
        },
    );
    let at = w.now;
    w.set_now(local(2026, 3, 6, 9, 59));
    assert_eq!(urged_lately(&w.state, w.now, &w.policy), Some(at));
    w.set_now(local(2026, 3, 6, 10, 0));
    assert_eq!(
        urged_lately(&w.state, w.now, &w.policy),
        None,
        "24 hours on"
    );
    w.policy.urge_interval_hours = 48;
    assert_eq!(urged_lately(&w.state, w.now, &w.policy), Some(at));
    w.policy.urge_interval_hours = 0;
    assert_eq!(urged_lately(&w.state, w.now, &w.policy), None, "never asks");
}
