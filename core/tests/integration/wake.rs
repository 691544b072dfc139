//! The scheduler's wake time (`batch::next_wake`): an item's life driven by jumping from
//! wake to wake issues exactly the time-driven commands that a clock checking every ten
//! minutes issues, never later and never more than ten minutes earlier — across a weekend,
//! unreceived reminders, report periods, a milestone, the reminders before the deadline,
//! urging and escalation.

use chrono::{DateTime, Duration, Utc};
use duban_core::domain::batch::{due_commands, next_wake};
use duban_core::domain::model::MilestoneKind;
use duban_core::domain::Code;
use duban_core::domain::{Command, UserId};

use crate::support::*;

const STEP_MINUTES: i64 = 10;

/// A month of an item that nobody finishes: dispatched on Monday 2 March 2026 with a
/// deadline eight working days on, weekly progress requests and a key milestone, received
/// two working days late.
fn start() -> (World, DateTime<Utc>) {
    let mut w = World::new();
    let mut reg = registration("annual_key_work", 1);
    reg.milestones = vec![milestone(1, MilestoneKind::Key, end_of(2026, 3, 6), 40)];
    let mut o = order_to(UNIT_A, HANDLER, Some(end_of(2026, 3, 12)));
    o.report_every = Some(weekly());
    w.ok(SUPERVISOR, register(reg)).ok(SUPERVISOR, dispatch(o));
    let receive_at = local(2026, 3, 4, 15, 0);
    (w, receive_at)
}

/// Runs the scheduler's commands due at the world's time until none is (the second urging
/// makes the escalation due at once); logs what it issued.
fn fire(w: &mut World, log: &mut Vec<(DateTime<Utc>, Command)>) {
    for _ in 0..10 {
        let due = due_commands(&w.state, w.now, &w.calendar, &w.policy);
        if due.is_empty() {
            return;
        }
        for c in due {
            log.push((w.now, c.clone()));
            w.ok(UserId::SYSTEM, c);
        }
    }
    panic!("commands keep falling due at {}", w.now);
}

#[test]
fn jumping_from_wake_to_wake_issues_what_a_ten_minute_clock_issues() {
    let end = local(2026, 4, 2, 9, 0);
    // A clock that looks every ten minutes.
    let (mut w, receive_at) = start();
    let mut every = Vec::new();
    let mut received = false;
    while w.now < end {
        if !received && w.now >= receive_at {
            w.ok(HANDLER, Command::Receive);
            received = true;
        }
        fire(&mut w, &mut every);
        w.advance(Duration::minutes(STEP_MINUTES));
    }
    // The scheduler: sleeps until the wake time (or the person's act, whichever is first).
    let (mut w, receive_at) = start();
    let mut woken = Vec::new();
    let mut received = false;
    let mut wakes = 0;
    while w.now < end {
        fire(&mut w, &mut woken);
        let wake = next_wake(&w.state, w.now, &w.calendar, &w.policy);
        assert!(
            wake.is_none_or(|t| t > w.now),
            "nothing left due at {}",
            w.now
        );
        let next = match wake {
            Some(t) if received || t < receive_at => t,
            _ if !received => receive_at,
            _ => break,
        };
        if next >= end {
            break;
        }
        w.set_now(next);
        wakes += 1;
        if !received && w.now >= receive_at {
            w.ok(HANDLER, Command::Receive);
            received = true;
        }
    }
    let kinds = |log: &[(DateTime<Utc>, Command)]| -> Vec<Command> {
        log.iter().map(|(_, c)| c.clone()).collect()
    };
    assert_eq!(
        kinds(&woken),
        kinds(&every),
        "the same commands in the same order"
    );
    for ((at, c), (clock_at, _)) in woken.iter().zip(&every) {
        assert!(
            at <= clock_at && *clock_at - *at < Duration::minutes(STEP_MINUTES),
            "{c:?}: woken at {at}, the clock found it at {clock_at}"
        );
    }
    // Not vacuous: every kind of time-driven command happened.
    let names: Vec<&str> = woken.iter().map(|(_, c)| c.kind().en()).collect();
    for kind in ["remind", "request a report", "urge", "escalate"] {
        assert!(
            names.iter().any(|n| n.to_lowercase().contains(kind)),
            "no {kind} in {names:?}"
        );
    }
    // And the scheduler woke about as often as there was work, not every ten minutes.
    assert!(
        wakes <= woken.len() * 2 + 4,
        "{wakes} wakes for {} commands",
        woken.len()
    );
}

#[test]
fn an_item_not_dispatched_or_already_done_never_wakes() {
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)));
    assert_eq!(
        next_wake(&w.state, w.now, &w.calendar, &w.policy),
        None,
        "a draft"
    );
    let w = in_progress();
    assert!(next_wake(&w.state, w.now, &w.calendar, &w.policy).is_some());
}
