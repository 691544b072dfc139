//! Worked examples of assessment (考核, R6.3–R6.5) that reproduce the seeds' rules exactly,
//! with the arithmetic done by hand in the comments:
//!
//! - XX县国税局督查督办管理办法 五: "迟办1天扣1分"; "不符合要求的,每发现1处扣1分"; "在规定的
//!   顺延期限内办理完毕的,不扣分;超过顺延期限的按考核标准扣分".
//! - 桓台 "双线预警" and "量化赋分": green/yellow/red lights (timeliness) and cards (quality)
//!   on a 100-point base; green adds, yellow gives nothing, red deducts.
//!
//! Every item goes through the real `decide`/`evolve` (`support::World`); the figures come
//! from `derived`. Dates are Beijing local time; 2026-03-02 is a Monday, and "end of D" is
//! local midnight starting D+1.

use chrono::{DateTime, Duration, Utc};
use duban_core::domain::derived::{
    self, completion_rate, days_late, item_score, quality_card, rank, scheduled_progress,
    timeliness_light, unit_scores, Colour, DateRange, ItemScore, ScoreLine, Signal,
};
use duban_core::domain::model::{AdjustmentId, MilestoneKind, Period};
use duban_core::domain::policy::{ColourPoints, LateDays, Points, Policy};
use duban_core::domain::trail;
use duban_core::domain::{effective_deadline, Command, EventKind, Status, TaskId, UnitId, UserId};

use super::support::*;

// ----- helpers ---------------------------------------------------------------------------------

/// The default policy with lights, cards and ratings worth nothing, so that an example shows
/// the lateness and rework rules alone.
fn isolated() -> Policy {
    let mut p = Policy::default();
    let zero = ColourPoints {
        green: Points::ZERO,
        yellow: Points::ZERO,
        red: Points::ZERO,
    };
    p.scoring.light = zero;
    p.scoring.card = zero;
    p.scoring.stars = [Points::ZERO; 5];
    p
}

/// 桓台-style lights and cards: light green +2, yellow 0, red −2; card green +1, yellow 0,
/// red −1; no per-day deduction.
fn huantai() -> Policy {
    let mut p = Policy::default();
    p.scoring.light = ColourPoints {
        green: Points::whole(2),
        yellow: Points::ZERO,
        red: Points::whole(-2),
    };
    p.scoring.card = ColourPoints {
        green: Points::whole(1),
        yellow: Points::ZERO,
        red: Points::whole(-1),
    };
    p.scoring.late_per_day = Points::ZERO;
    p
}

/// An item registered and dispatched on Monday 03-02 09:00 to `user` of `unit`, due at
/// `deadline`, received at 10:00.
fn item_for(unit: UnitId, user: UserId, deadline: DateTime<Utc>, policy: Policy) -> World {
    let mut w = World::new();
    w.policy = policy;
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(order_to(unit, user, Some(deadline))))
        .advance(Duration::hours(1))
        .ok(user, Command::Receive);
    w
}

fn item(deadline: DateTime<Utc>, policy: Policy) -> World {
    item_for(UNIT_A, HANDLER, deadline, policy)
}

fn score(w: &World) -> ItemScore {
    let s = item_score(&w.state, w.now, &w.calendar, &w.policy).expect("assessed");
    assert_traceable(w, &s);
    s
}

fn line<'a>(s: &'a ItemScore, code: &str) -> Option<&'a ScoreLine> {
    s.lines.iter().find(|l| l.code == code)
}

fn codes(s: &ItemScore) -> Vec<&str> {
    s.lines.iter().map(|l| l.code.as_str()).collect()
}

fn return_for_rework(new_deadline: DateTime<Utc>) -> Command {
    Command::Review {
        accept: false,
        opinion: "台账与要求不符".into(),
        new_deadline: Some(new_deadline),
    }
}

fn rate(stars: u8) -> Command {
    Command::Rate {
        stars,
        opinion: "评价".into(),
    }
}

fn light(w: &World) -> Signal {
    let s = timeliness_light(&w.state, w.now, &w.calendar, &w.policy).expect("a light");
    assert!(!s.zh.trim().is_empty() && !s.en.trim().is_empty(), "{s:?}");
    s
}

fn card(w: &World) -> Option<Signal> {
    let s = quality_card(&w.state, w.now, &w.calendar, &w.policy);
    if let Some(s) = &s {
        assert!(!s.zh.trim().is_empty() && !s.en.trim().is_empty(), "{s:?}");
    }
    s
}

#[track_caller]
fn assert_signal(s: &Signal, colour: Colour, code: &str) {
    assert_eq!((s.colour, s.code.as_str()), (colour, code), "{s:?}");
}

trait CloneWorld {
    fn clone_world(&self) -> World;
}

impl CloneWorld for World {
    /// A copy of the world (same rules, clock, state and events) to branch a scenario.
    fn clone_world(&self) -> World {
        World {
            calendar: self.calendar.clone(),
            policy: self.policy.clone(),
            units: self.units.clone(),
            now: self.now,
            state: self.state.clone(),
            events: self.events.clone(),
            parent: self.parent.clone(),
        }
    }
}

fn sets_deadline(k: &EventKind) -> bool {
    matches!(
        k,
        EventKind::Dispatched(_)
            | EventKind::ExtensionApproved { .. }
            | EventKind::ReturnedForRework { .. }
            | EventKind::Resumed { .. }
    )
}

/// Every line of the score points at real events of the item's trail, of a kind that fits
/// the line; the total is the base plus the lines.
#[track_caller]
fn assert_traceable(w: &World, s: &ItemScore) {
    let trail = w.trail();
    trail::verify(TASK, &trail).expect("the trail verifies");
    let kind = |seq: u64| -> &EventKind {
        assert!(
            seq >= 1 && seq as usize <= trail.len(),
            "event {seq} is not in a trail of {}",
            trail.len()
        );
        &trail[seq as usize - 1].event.kind
    };
    for l in &s.lines {
        assert!(!l.zh.trim().is_empty() && !l.en.trim().is_empty(), "{l:?}");
        assert_ne!(l.points, Points::ZERO, "{l:?}");
        assert!(!l.events.is_empty(), "{} names its events", l.code);
        let all = |f: &dyn Fn(&EventKind) -> bool| l.events.iter().all(|e| f(kind(*e)));
        match l.code.as_str() {
            "score.late" => {
                // Each late completion round names the event that set its deadline and the
                // report filed against it; an item still open and overdue names the event
                // that set the deadline in force.
                assert!(
                    all(&|k| sets_deadline(k) || matches!(k, EventKind::CompletionReported { .. })),
                    "{l:?}"
                );
                let reports = l
                    .events
                    .iter()
                    .filter(|e| matches!(kind(**e), EventKind::CompletionReported { .. }))
                    .count();
                let deadlines = l.events.iter().filter(|e| sets_deadline(kind(**e))).count();
                assert!(deadlines >= 1 && deadlines >= reports, "{l:?}");
                match w.state.completion {
                    Some(done) if done.reported.at > w.state.deadline.unwrap() => {
                        assert!(l.events.contains(&done.reported.seq), "{l:?}");
                        assert!(l.events.contains(&w.state.deadline_seq), "{l:?}");
                    }
                    Some(_) => assert!(reports >= 1, "{l:?}"),
                    None => assert!(l.events.contains(&w.state.deadline_seq), "{l:?}"),
                }
            }
            "score.returned" => {
                assert!(
                    all(&|k| matches!(k, EventKind::ReturnedForRework { .. })),
                    "{l:?}"
                );
                assert_eq!(l.events.len(), w.state.returns.len());
            }
            "score.rating" => {
                assert!(all(&|k| matches!(k, EventKind::Rated { .. })), "{l:?}");
                assert_eq!(l.events.len(), w.state.ratings.len());
            }
            "score.adjusted" => {
                assert!(
                    all(&|k| matches!(k, EventKind::ScoreAdjusted { .. })),
                    "{l:?}"
                );
                assert_eq!(l.events.len(), 1);
            }
            "score.escalated" => {
                assert!(all(&|k| matches!(k, EventKind::Escalated { .. })), "{l:?}");
            }
            "score.late_reports" => {
                assert!(
                    all(&|k| matches!(
                        k,
                        EventKind::ReportRequested { .. } | EventKind::ProgressReported { .. }
                    )),
                    "{l:?}"
                );
            }
            "score.light" | "score.card" => {
                assert!(
                    all(&|k| sets_deadline(k)
                        || matches!(
                            k,
                            EventKind::CompletionReported { .. }
                                | EventKind::Accepted { .. }
                                | EventKind::ReturnedForRework { .. }
                                | EventKind::Rated { .. }
                        )),
                    "{l:?}"
                );
            }
            other => panic!("unknown score line {other}"),
        }
    }
    let sum: Points = s.lines.iter().map(|l| l.points).sum();
    assert_eq!(s.total, s.base.plus(sum));
    assert_eq!(s.contribution(), sum);
}

// ----- 迟办1天扣1分 --------------------------------------------------------------------------------

#[test]
fn one_point_off_per_working_day_late() {
    // Due at the end of Friday 03-06; the completion is reported Wednesday 03-11 10:00.
    // Late time on working days: Sat 0 + Sun 0 + Mon 24 h + Tue 24 h + Wed 10 h = 58 h,
    // i.e. 2 days and a started third: 3 working days → 3 × (−1) = −3; 100 − 3 = 97.
    let mut w = item(end_of(2026, 3, 6), isolated());
    w.set_now(local(2026, 3, 11, 10, 0))
        .ok(HANDLER, completion(1));
    w.set_now(local(2026, 3, 11, 15, 0))
        .ok(SUPERVISOR, accept());
    let s = score(&w);
    assert_eq!(codes(&s), vec!["score.late"]);
    let late = line(&s, "score.late").unwrap();
    assert_eq!(late.points, Points::whole(-3));
    // The dispatch (event 2) set the deadline; the completion report is event 4.
    assert_eq!(late.events, vec![2, 4]);
    assert!(late.zh.contains('3'), "{}", late.zh);
    assert_eq!(s.base, Points::whole(100));
    assert_eq!(s.total, Points::whole(97));
    // The score does not change with time once the completion is on record.
    w.set_now(local(2026, 3, 31, 12, 0));
    assert_eq!(score(&w).total, Points::whole(97));
}

#[test]
fn one_point_off_per_calendar_day_when_the_policy_counts_calendar_days() {
    // The same item counted in calendar days: end of 03-06 → 03-11 10:00 is 4 days 10 h,
    // 5 started days → −5; 100 − 5 = 95.
    let mut policy = isolated();
    policy.scoring.late_days = LateDays::Calendar;
    let mut w = item(end_of(2026, 3, 6), policy);
    w.set_now(local(2026, 3, 11, 10, 0))
        .ok(HANDLER, completion(1));
    let s = score(&w);
    assert_eq!(codes(&s), vec!["score.late"]);
    assert_eq!(line(&s, "score.late").unwrap().points, Points::whole(-5));
    assert_eq!(s.total, Points::whole(95));
}

#[test]
fn days_late_across_weekends_and_the_spring_festival() {
    let cal = duban_core::domain::Calendar::builtin();
    let due = end_of(2026, 3, 6);
    // Reported on Saturday: no working time has passed, but late is at least one day.
    assert_eq!(
        days_late(due, local(2026, 3, 7, 10, 0), &cal, LateDays::Working),
        1
    );
    // Monday 23:00 is 23 h of working time: 1 day; Tuesday 00:30 is 24.5 h: 2 days.
    assert_eq!(
        days_late(due, local(2026, 3, 9, 23, 0), &cal, LateDays::Working),
        1
    );
    assert_eq!(
        days_late(due, local(2026, 3, 10, 0, 30), &cal, LateDays::Working),
        2
    );
    // Exactly at the deadline is on time.
    assert_eq!(days_late(due, due, &cal, LateDays::Working), 0);

    // Due at the end of Friday 02-13, reported Tuesday 02-24 10:00 after the break: working
    // time is Sat 02-14 (worked, 24 h) + 02-24 10 h = 34 h → 2 working days; in calendar
    // days 10 days 10 h → 11.
    let due = end_of(2026, 2, 13);
    let at = local(2026, 2, 24, 10, 0);
    assert_eq!(days_late(due, at, &cal, LateDays::Working), 2);
    assert_eq!(days_late(due, at, &cal, LateDays::Calendar), 11);

    let mut w = World::at(local(2026, 2, 9, 9, 0));
    w.policy = isolated();
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(SUPERVISOR, dispatch(order_to(UNIT_A, HANDLER, Some(due))))
        .ok(HANDLER, Command::Receive);
    w.set_now(at).ok(HANDLER, completion(1));
    assert_eq!(score(&w).total, Points::whole(98));
}

#[test]
fn an_open_item_loses_a_point_for_every_working_day_overdue() {
    // Not reported at all: at Wednesday 03-11 10:00 it is 3 working days overdue (−3), and a
    // working day later 4 (−4). The line points at the dispatch alone.
    let mut w = item(end_of(2026, 3, 6), isolated());
    w.set_now(local(2026, 3, 11, 10, 0));
    let s = score(&w);
    assert_eq!(line(&s, "score.late").unwrap().points, Points::whole(-3));
    assert_eq!(line(&s, "score.late").unwrap().events, vec![2]);
    w.set_now(local(2026, 3, 12, 10, 0));
    assert_eq!(score(&w).total, Points::whole(96));
}

#[test]
fn one_return_for_rework_costs_another_point() {
    // First completion on time (Thu 03-05), returned the same day with the deadline kept at
    // the end of Fri 03-06 (不符合要求的,每发现1处扣1分: −1); the rework is reported Wed 03-11
    // 10:00: 3 working days late against that deadline (−3). 100 − 3 − 1 = 96.
    let mut w = item(end_of(2026, 3, 6), isolated());
    w.set_now(local(2026, 3, 5, 10, 0))
        .ok(HANDLER, completion(1)); // 4
    w.set_now(local(2026, 3, 5, 15, 0))
        .ok(SUPERVISOR, return_for_rework(end_of(2026, 3, 6))); // 5
    w.set_now(local(2026, 3, 11, 10, 0))
        .ok(HANDLER, completion(2)); // 6
    w.set_now(local(2026, 3, 11, 15, 0))
        .ok(SUPERVISOR, accept()); // 7
    let s = score(&w);
    assert_eq!(codes(&s), vec!["score.late", "score.returned"]);
    let late = line(&s, "score.late").unwrap();
    assert_eq!(late.points, Points::whole(-3));
    assert_eq!(late.events, vec![5, 6]);
    let returned = line(&s, "score.returned").unwrap();
    assert_eq!(returned.points, Points::whole(-1));
    assert_eq!(returned.events, vec![5]);
    assert_eq!(s.total, Points::whole(96));
}

#[test]

fn a_late_report_is_not_forgiven_by_a_return_for_rework() {
    // Due at the end of Fri 03-06; the completion is reported Wed 03-11 10:00, 3 working days
    // late (−3). The review returns it (−1) with a new deadline, the end of Fri 03-13, and the
    // rework is in by then. The item was still handled 3 days late (迟办), so:
    // 100 − 3 − 1 = 96. Accepting the same late report outright gives 97; returning it must
    // not give the unit more points than that.
    let mut w = item(end_of(2026, 3, 6), isolated());
    w.set_now(local(2026, 3, 11, 10, 0))
        .ok(HANDLER, completion(1));
    w.set_now(local(2026, 3, 11, 15, 0))
        .ok(SUPERVISOR, return_for_rework(end_of(2026, 3, 13)));
    w.set_now(local(2026, 3, 13, 10, 0))
        .ok(HANDLER, completion(2));
    w.set_now(local(2026, 3, 13, 15, 0))
        .ok(SUPERVISOR, accept());
    let s = item_score(&w.state, w.now, &w.calendar, &w.policy).unwrap();
    assert_eq!(
        line(&s, "score.late").map(|l| l.points),
        Some(Points::whole(-3)),
        "{:?}",
        s.lines
    );
    assert_eq!(s.total, Points::whole(96));
}

// ----- 在规定的顺延期限内办理完毕的,不扣分 -------------------------------------------------------------

/// Due end of Fri 03-06; on Thu 03-05 an extension to Fri 03-13 17:00 is asked for and the
/// deputy leader approves it (events 4 and 5).
fn extended(policy: Policy) -> World {
    let mut w = item(end_of(2026, 3, 6), policy);
    w.set_now(local(2026, 3, 5, 10, 0)).ok(
        HANDLER,
        Command::RequestExtension {
            until: local(2026, 3, 13, 17, 0),
            reason: "需等待市级审批".into(),
        },
    );
    w.set_now(local(2026, 3, 5, 11, 0)).ok(
        DEPUTY,
        Command::DecideExtension {
            approve: true,
            opinion: "同意顺延".into(),
        },
    );
    w
}

#[test]
fn finishing_within_an_approved_extension_is_not_late() {
    // Reported Thu 03-12 10:00, after the original deadline but within the extension: no
    // deduction, and a green light "reported in time and accepted".
    let mut w = extended(isolated());
    w.set_now(local(2026, 3, 12, 10, 0))
        .ok(HANDLER, completion(1));
    w.set_now(local(2026, 3, 12, 15, 0))
        .ok(SUPERVISOR, accept());
    let s = score(&w);
    assert!(line(&s, "score.late").is_none(), "{:?}", s.lines);
    assert_eq!(s.total, Points::whole(100));
    assert_signal(&light(&w), Colour::Green, "light.on_time");

    // Under the default policy the green light and the green card add a point each: 102.
    w.policy = Policy::default();
    let s = score(&w);
    assert_eq!(codes(&s), vec!["score.light", "score.card"]);
    assert_eq!(s.total, Points::whole(102));
}

#[test]
fn finishing_after_the_extension_is_late_against_it() {
    // 超过顺延期限的按考核标准扣分: the extension ends Fri 03-13 17:00; reported Tue 03-17
    // 10:00. Working time late: Fri 7 h + Mon 24 h + Tue 10 h = 41 h → 2 days → −2 = 98.
    let mut w = extended(isolated());
    w.set_now(local(2026, 3, 17, 10, 0))
        .ok(HANDLER, completion(1)); // 6
    let s = score(&w);
    let late = line(&s, "score.late").unwrap();
    assert_eq!(late.points, Points::whole(-2));
    // The approval (event 5) set the deadline in force.
    assert_eq!(late.events, vec![5, 6]);
    assert_eq!(s.total, Points::whole(98));
    assert_signal(&light(&w), Colour::Red, "light.reported_late");
}

// ----- 双线预警 and 量化赋分 on a 100-point base ---------------------------------------------------

const ITEM_A: TaskId = TaskId::from_u128(0xA1);
const ITEM_B: TaskId = TaskId::from_u128(0xB1);
const ITEM_C: TaskId = TaskId::from_u128(0xC1);
const ITEM_D: TaskId = TaskId::from_u128(0xD1);

/// An item of `unit`, due end of Fri 03-20, reported Thu 03-12 and accepted: under
/// `huantai()` a green light (+2) and a green card (+1) → 103.
fn done_well(unit: UnitId, user: UserId) -> World {
    let mut w = item_for(unit, user, end_of(2026, 3, 20), huantai());
    w.set_now(local(2026, 3, 12, 10, 0)).ok(user, completion(1));
    w.set_now(local(2026, 3, 12, 15, 0))
        .ok(SUPERVISOR, accept());
    w
}

#[test]
fn lights_and_cards_on_a_hundred_point_base_rank_the_units() {
    let now = local(2026, 3, 18, 10, 0); // Wednesday
    let policy = huantai();
    let cal = duban_core::domain::Calendar::builtin();

    // A: on time and done well: 100 + 2 + 1 = 103.
    let mut a = done_well(UNIT_A, HANDLER);
    // B: in progress, 60 % reported, due end of Fri 03-20. At Wed 10:00 there are
    // 14 h + 24 h + 24 h = 62 h left, 3 started working days ≤ 3: yellow light (0 points),
    // no card yet → 100.
    let mut b = item_for(UNIT_B, PARTICIPANT, end_of(2026, 3, 20), huantai());
    b.set_now(local(2026, 3, 16, 10, 0))
        .ok(PARTICIPANT, progress(1, 60));
    // C: due end of Fri 03-13 and not reported: red light (−2) and red card (−1) → 97
    // (late_per_day is 0 in this policy, so the days overdue cost nothing more).
    let mut c = item_for(UNIT_C, OUTSIDER, end_of(2026, 3, 13), huantai());
    // D: unit A's second item, due in April (on track, green light +2): not in March.
    let mut d = item_for(UNIT_A, HANDLER, end_of(2026, 4, 10), huantai());
    d.set_now(local(2026, 3, 17, 10, 0))
        .ok(HANDLER, progress(1, 90));
    for w in [&mut a, &mut b, &mut c, &mut d] {
        w.set_now(now);
    }

    assert_signal(&light(&a), Colour::Green, "light.on_time");
    assert_signal(&card(&a).unwrap(), Colour::Green, "card.good");
    assert_eq!(score(&a).total, Points::whole(103));
    assert_signal(&light(&b), Colour::Yellow, "light.near_deadline");
    assert!(light(&b).zh.contains('3'));
    assert_eq!(card(&b), None);
    assert!(score(&b).lines.is_empty());
    assert_eq!(score(&b).total, Points::whole(100));
    assert_signal(&light(&c), Colour::Red, "light.overdue");
    assert_signal(&card(&c).unwrap(), Colour::Red, "card.not_done");
    assert_eq!(codes(&score(&c)), vec!["score.light", "score.card"]);
    assert_eq!(score(&c).total, Points::whole(97));
    assert_signal(&light(&d), Colour::Green, "light.on_track");

    let items = [
        (ITEM_A, &a.state),
        (ITEM_B, &b.state),
        (ITEM_C, &c.state),
        (ITEM_D, &d.state),
    ];
    let march = DateRange::month(2026, 3).unwrap();
    let scores = unit_scores(
        &[UNIT_A, UNIT_B, UNIT_C],
        items.iter().copied(),
        march,
        now,
        &cal,
        &policy,
    );
    let summary: Vec<(UnitId, Points)> = scores.iter().map(|s| (s.unit, s.score)).collect();
    assert_eq!(
        summary,
        vec![
            (UNIT_A, Points::whole(103)),
            (UNIT_B, Points::whole(100)),
            (UNIT_C, Points::whole(97)),
        ]
    );
    assert_eq!(scores[0].items, vec![(ITEM_A, Points::whole(3))]);
    assert_eq!(scores[1].items, vec![(ITEM_B, Points::ZERO)]);
    assert_eq!(scores[2].items, vec![(ITEM_C, Points::whole(-3))]);
    let ranked: Vec<(u32, UnitId)> = rank(&scores).iter().map(|r| (r.rank, r.unit)).collect();
    assert_eq!(ranked, vec![(1, UNIT_A), (2, UNIT_B), (3, UNIT_C)]);

    // Over the whole year unit A's April item counts too: 103 + 2 = 105.
    let year = unit_scores(
        &[UNIT_A, UNIT_B, UNIT_C],
        items.iter().copied(),
        DateRange::year(2026).unwrap(),
        now,
        &cal,
        &policy,
    );
    assert_eq!(year[0].score, Points::whole(105));
    // The first quarter is March's figures here.
    let q1 = unit_scores(
        &[UNIT_A, UNIT_B, UNIT_C],
        items.iter().copied(),
        DateRange::quarter(2026, 1).unwrap(),
        now,
        &cal,
        &policy,
    );
    assert_eq!(q1, scores);
}

/// The period rule (docs/domain.md): an item counts in every period in which it was open and
/// due or overdue. Unit A's item falls due at the end of Friday 03-13 and is still open in
/// April: it counts against March (its due month) and against April, where it is 21 days
/// overdue — the unit is not ranked "nothing late" in April. Unit B's item was due on the
/// same day but finished on 03-12: it counts in March only. Unit C's item is due in May:
/// in no earlier period.
#[test]
fn an_item_counts_in_every_period_it_is_open_and_due_or_overdue() {
    let policy = isolated();
    let cal = duban_core::domain::Calendar::builtin();
    let mut a = item_for(UNIT_A, HANDLER, end_of(2026, 3, 13), isolated());
    let mut b = item_for(UNIT_B, PARTICIPANT, end_of(2026, 3, 13), isolated());
    b.set_now(local(2026, 3, 12, 10, 0))
        .ok(PARTICIPANT, completion(1));
    b.set_now(local(2026, 3, 12, 15, 0))
        .ok(SUPERVISOR, accept());
    let mut c = item_for(UNIT_C, OUTSIDER, end_of(2026, 5, 15), isolated());
    let now = local(2026, 4, 14, 10, 0);
    for w in [&mut a, &mut b, &mut c] {
        w.set_now(now);
    }
    let march = DateRange::month(2026, 3).unwrap();
    let april = DateRange::month(2026, 4).unwrap();
    for (w, in_march, in_april) in [(&a, true, true), (&b, true, false), (&c, false, false)] {
        assert_eq!(derived::counts_in(&w.state, march, now, &cal), in_march);
        assert_eq!(derived::counts_in(&w.state, april, now, &cal), in_april);
    }
    let items = [(ITEM_A, &a.state), (ITEM_B, &b.state), (ITEM_C, &c.state)];
    let scores = unit_scores(
        &[UNIT_A, UNIT_B, UNIT_C],
        items.iter().copied(),
        april,
        now,
        &cal,
        &policy,
    );
    // April: A's overdue item is assessed (its days late cost points); B and C have
    // nothing in April and stay at the base with no items.
    assert_eq!(scores[0].items.len(), 1, "{scores:?}");
    assert!(scores[0].score < policy.scoring.base, "{scores:?}");
    assert!(
        scores[1].items.is_empty() && scores[2].items.is_empty(),
        "{scores:?}"
    );
    let ranked: Vec<UnitId> = rank(&scores).iter().map(|r| r.unit).collect();
    assert_eq!(ranked.last(), Some(&UNIT_A));
}

#[test]
fn equal_scores_share_a_rank() {
    // A and B both on time and done well (103), C overdue (97): places 1, 1, 3.
    let now = local(2026, 3, 18, 10, 0);
    let mut a = done_well(UNIT_A, HANDLER);
    let mut b = done_well(UNIT_B, PARTICIPANT);
    let mut c = item_for(UNIT_C, OUTSIDER, end_of(2026, 3, 13), huantai());
    for w in [&mut a, &mut b, &mut c] {
        w.set_now(now);
    }
    let scores = unit_scores(
        &[UNIT_C, UNIT_B, UNIT_A],
        [(ITEM_A, &a.state), (ITEM_B, &b.state), (ITEM_C, &c.state)],
        DateRange::month(2026, 3).unwrap(),
        now,
        &a.calendar,
        &huantai(),
    );
    let ranked: Vec<(u32, UnitId, Points)> = rank(&scores)
        .iter()
        .map(|r| (r.rank, r.unit, r.score))
        .collect();
    assert_eq!(
        ranked,
        vec![
            (1, UNIT_A, Points::whole(103)),
            (1, UNIT_B, Points::whole(103)),
            (3, UNIT_C, Points::whole(97)),
        ]
    );
}

// ----- every line points at its events ---------------------------------------------------------

#[test]
fn every_score_line_points_at_the_events_behind_it() {
    // A policy where every line is worth something.
    let mut policy = Policy::default();
    policy.scoring.light = ColourPoints {
        green: Points::whole(2),
        yellow: Points::whole(-1),
        red: Points::whole(-2),
    };
    policy.scoring.card = ColourPoints {
        green: Points::whole(1),
        yellow: Points::tenths(-5),
        red: Points::whole(-1),
    };
    let mut w = World::new();
    w.policy = policy;
    let mut reg = registration("annual_key_work", 1);
    reg.recurrence = Some(weekly());
    w.ok(SUPERVISOR, register(reg)) // 1
        .ok(
            SUPERVISOR,
            dispatch(order_to(UNIT_A, HANDLER, Some(end_of(2026, 3, 6)))),
        ) // 2
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive); // 3
    w.set_now(local(2026, 3, 9, 8, 0)).ok(
        SUPERVISOR,
        Command::RequestReport {
            period_index: 1,
            period: Period::Weekly,
            due: end_of(2026, 3, 10),
        },
    ); // 4
    w.set_now(local(2026, 3, 9, 10, 0)).ok(
        SUPERVISOR,
        Command::Urge {
            channel: duban_core::domain::command::UrgeChannel::Phone,
            note: "请尽快报送".into(),
            call: None,
        },
    ); // 5
    w.set_now(local(2026, 3, 10, 10, 0)).ok(
        SUPERVISOR,
        Command::Escalate {
            reason: "逾期且催办无果".into(),
        },
    ); // 6
    w.set_now(local(2026, 3, 11, 9, 0)).ok(
        HANDLER,
        Command::ReportProgress {
            report: body(1, "第一周进展"),
            percent: 90,
            milestone: None,
            answers: Some(1),
        },
    ); // 7
    w.set_now(local(2026, 3, 11, 10, 0))
        .ok(HANDLER, completion(2)); // 8
    w.set_now(local(2026, 3, 11, 15, 0))
        .ok(SUPERVISOR, return_for_rework(end_of(2026, 3, 12))); // 9
    w.set_now(local(2026, 3, 13, 10, 0))
        .ok(HANDLER, completion(3)); // 10
    w.set_now(local(2026, 3, 13, 15, 0))
        .ok(SUPERVISOR, accept()); // 11
    w.set_now(local(2026, 3, 13, 16, 0))
        .ok(MAIN, rate(5)) // 12
        .ok(DEPUTY, rate(3)) // 13
        .ok(
            SUPERVISOR,
            Command::AdjustScore {
                id: AdjustmentId::from_u128(1),
                points: Points::whole(2),
                reason: "主动创新,经验被推广".into(),
            },
        ); // 14
    w.set_now(local(2026, 3, 13, 17, 0));
    assert_eq!(w.events.len(), 14);

    let s = score(&w);
    let got: Vec<(&str, Points, Vec<u64>)> = s
        .lines
        .iter()
        .map(|l| (l.code.as_str(), l.points, l.events.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            // The first completion (event 8, 03-11 10:00) was 3 working days late against
            // the end of 03-06 (set by the dispatch, event 2); the rework (deadline end of
            // 03-12, set by the return, event 9) is reported 03-13 10:00: 1 day more.
            // A return does not forgive lateness: 4 days → −4.
            ("score.late", Points::whole(-4), vec![2, 8, 9, 10]),
            // One return → −1.
            ("score.returned", Points::whole(-1), vec![9]),
            // Escalated → −2.
            ("score.escalated", Points::whole(-2), vec![6]),
            // Week 1 was due end of 03-10 (request, event 4) and answered 03-11 (event 7):
            // late → −0.5.
            ("score.late_reports", Points::tenths(-5), vec![4, 7]),
            // Reported late → red light, −2; the completion and its acceptance.
            ("score.light", Points::whole(-2), vec![10, 11]),
            // One return and a mean of 4.0 stars → yellow card, −0.5; with the return and
            // the ratings behind it.
            ("score.card", Points::tenths(-5), vec![9, 10, 11, 12, 13]),
            // Five stars +2 and three stars 0, averaged → +1.
            ("score.rating", Points::whole(1), vec![12, 13]),
            // The supervisor's +2.
            ("score.adjusted", Points::whole(2), vec![14]),
        ]
    );
    // 100 − 4 − 1 − 2 − 0.5 − 2 − 0.5 + 1 + 2 = 93.0
    assert_eq!(s.total, Points::tenths(930));
    assert_eq!(s.total.to_string(), "93.0");
    assert_signal(&card(&w).unwrap(), Colour::Yellow, "card.mediocre");
}

#[test]
fn lines_follow_the_deadline_through_suspension() {
    // Suspended Friday 03-06 15:00 .. Monday 03-09 10:00 (19 working hours): the deadline
    // moves from the end of 03-11 to Thu 03-12 19:00 (Resumed, event 7). Reported Fri 03-13
    // 10:00: 5 h + 10 h = 15 h late → 1 day, −1; the line points at the resumption.
    let mut w = item(end_of(2026, 3, 11), isolated());
    w.set_now(local(2026, 3, 6, 14, 0))
        .ok(HANDLER, ask_suspension()); // 4
    w.set_now(local(2026, 3, 6, 15, 0))
        .ok(DEPUTY, agree_suspension()); // 5
                                         // While suspended, nothing is late even past the original deadline.
    w.set_now(local(2026, 3, 12, 10, 0));
    assert!(score(&w).lines.is_empty());
    w.set_now(local(2026, 3, 9, 9, 0))
        .ok(HANDLER, ask_resumption()); // 6
    w.set_now(local(2026, 3, 9, 10, 0))
        .ok(DEPUTY, agree_resumption()); // 7
    assert_eq!(w.state.deadline, Some(local(2026, 3, 12, 19, 0)));
    w.set_now(local(2026, 3, 13, 10, 0))
        .ok(HANDLER, completion(1)); // 8
    let s = score(&w);
    let late = line(&s, "score.late").unwrap();
    assert_eq!(late.points, Points::whole(-1));
    assert_eq!(late.events, vec![7, 8]);
}

// ----- lights and cards, each colour with its reason -------------------------------------------

#[test]
fn timeliness_light_colours_and_reasons() {
    // Dispatched Mon 03-02 09:00, due end of Wed 03-11 (normal: 7 working days).
    let mut w = in_progress();
    // Monday noon: 8 working days left and barely any progress planned yet.
    w.set_now(local(2026, 3, 2, 12, 0));
    let l = light(&w);
    assert_signal(&l, Colour::Green, "light.on_track");
    assert!(l.zh.contains('8'), "{}", l.zh);

    // Mon 03-09 10:00: 14 h + 24 h + 24 h left, 3 working days: yellow.
    w.set_now(local(2026, 3, 5, 10, 0))
        .ok(HANDLER, progress(1, 80));
    w.set_now(local(2026, 3, 9, 10, 0));
    let l = light(&w);
    assert_signal(&l, Colour::Yellow, "light.near_deadline");
    assert!(l.zh.contains('3') && l.en.contains('3'), "{l:?}");

    // Thu 03-12 10:00, not reported: red, and a red card "not done".
    let mut overdue = w.clone_world();
    overdue.set_now(local(2026, 3, 12, 10, 0));
    let l = light(&overdue);
    assert_signal(&l, Colour::Red, "light.overdue");
    assert!(l.zh.contains("逾期"), "{}", l.zh);
    assert_signal(&card(&overdue).unwrap(), Colour::Red, "card.not_done");

    // Reported Tue 03-10, in time, under review: green "reported in time".
    w.set_now(local(2026, 3, 10, 10, 0))
        .ok(HANDLER, completion(2));
    assert_signal(&light(&w), Colour::Green, "light.reported_on_time");
    // Accepted: green "reported in time and accepted".
    w.ok(SUPERVISOR, accept());
    assert_signal(&light(&w), Colour::Green, "light.on_time");

    // Reported Thu 03-12 10:00, 10 working hours after the deadline: red "reported late"
    // (1 day), before and after the review.
    let mut late = in_progress();
    late.set_now(local(2026, 3, 12, 10, 0))
        .ok(HANDLER, completion(1));
    let l = light(&late);
    assert_signal(&l, Colour::Red, "light.reported_late");
    assert!(l.zh.contains('1'), "{}", l.zh);
    late.ok(SUPERVISOR, accept());
    assert_signal(&light(&late), Colour::Red, "light.reported_late");

    // No light before dispatch.
    let mut draft = World::new();
    draft.ok(SUPERVISOR, register(registration("annual_key_work", 1)));
    assert!(timeliness_light(&draft.state, draft.now, &draft.calendar, &draft.policy).is_none());
}

/// Milestones: key (end of Fri 03-06, 40 %), regular (end of Fri 03-13, 80 %), final (end of
/// Fri 03-20, 100 %), dispatched at the very start of Monday 03-02 and due end of 03-20.
/// Each stretch is 5 working days (120 h).
fn planned() -> World {
    let mut w = World::at(local(2026, 3, 2, 0, 0));
    let mut reg = registration("annual_key_work", 1);
    reg.milestones = vec![
        milestone(1, MilestoneKind::Key, end_of(2026, 3, 6), 40),
        milestone(2, MilestoneKind::Regular, end_of(2026, 3, 13), 80),
        milestone(3, MilestoneKind::Final, end_of(2026, 3, 20), 100),
    ];
    w.ok(SUPERVISOR, register(reg));
    assert_eq!(scheduled_progress(&w.state, w.now, &w.calendar), None);
    w.ok(
        SUPERVISOR,
        dispatch(order_to(UNIT_A, HANDLER, Some(end_of(2026, 3, 20)))),
    );
    w.advance(Duration::hours(1)).ok(HANDLER, Command::Receive);
    w
}

#[test]
fn behind_schedule_by_milestones_is_yellow() {
    let mut w = planned();
    // Wed 03-11 12:00 is halfway (2.5 of 5 working days) from the key milestone (40 %) to the
    // regular one (80 %): 60 % planned. 45 % reported + 10 tolerance = 55 < 60: behind.
    w.set_now(local(2026, 3, 11, 11, 0))
        .ok(HANDLER, progress(1, 45));
    w.set_now(local(2026, 3, 11, 12, 0));
    assert_eq!(scheduled_progress(&w.state, w.now, &w.calendar), Some(60));
    let l = light(&w);
    assert_signal(&l, Colour::Yellow, "light.behind_schedule");
    assert!(l.zh.contains("45%") && l.zh.contains("60%"), "{}", l.zh);
    assert!(l.en.contains("45%") && l.en.contains("60%"), "{}", l.en);
    // 50 % + 10 = 60, not behind: green.
    w.ok(HANDLER, progress(2, 50));
    assert_signal(&light(&w), Colour::Green, "light.on_track");
}

#[test]
fn scheduled_progress_follows_the_milestones_in_working_time() {
    let w = planned();
    let at = |t| scheduled_progress(&w.state, t, &w.calendar);
    // At the dispatch: 0.
    assert_eq!(at(local(2026, 3, 2, 0, 0)), Some(0));
    // Wed 03-04 12:00: 60 h of 120 h towards 40 % → 20.
    assert_eq!(at(local(2026, 3, 4, 12, 0)), Some(20));
    // Fri 03-06 12:00: 108 h of 120 h → 36.
    assert_eq!(at(local(2026, 3, 6, 12, 0)), Some(36));
    // The weekend is no working time: the plan stands at the key milestone's 40.
    assert_eq!(at(local(2026, 3, 7, 12, 0)), Some(40));
    assert_eq!(at(local(2026, 3, 9, 0, 0)), Some(40));
    // Halfway from 40 to 80 in working time (Wed 03-11 12:00) → 60.
    assert_eq!(at(local(2026, 3, 11, 12, 0)), Some(60));
    // Fri 03-20 12:00: 108 h of 120 h from 80 to 100 → 98.
    assert_eq!(at(local(2026, 3, 20, 12, 0)), Some(98));
    // After the deadline: 100.
    assert_eq!(at(local(2026, 3, 23, 9, 0)), Some(100));
}

/// No milestones; dispatched at the start of Mon 03-02, due end of Fri 03-13: 10 working
/// days (240 h). 40 % is reported on Thu 03-05; suspended at the start of Fri 03-06, when
/// 96 h of 240 h (40 %) have passed.
fn suspended_at_forty() -> World {
    let mut w = World::at(local(2026, 3, 2, 0, 0));
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)))
        .ok(
            SUPERVISOR,
            dispatch(order_to(UNIT_A, HANDLER, Some(end_of(2026, 3, 13)))),
        )
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive);
    w.set_now(local(2026, 3, 5, 12, 0))
        .ok(HANDLER, progress(1, 40));
    w.set_now(local(2026, 3, 5, 23, 0))
        .ok(HANDLER, ask_suspension());
    w.set_now(local(2026, 3, 6, 0, 0))
        .ok(DEPUTY, agree_suspension());
    assert_eq!(scheduled_progress(&w.state, w.now, &w.calendar), Some(40));
    w
}

#[test]

fn scheduled_progress_stands_still_while_suspended() {
    let w = suspended_at_forty();
    // Mon 03-09 12:00, still suspended: the plan is what it was at the suspension, 40.
    // (The code gives 96 h / (240 h + 36 h paused) = 34.)
    assert_eq!(
        scheduled_progress(&w.state, local(2026, 3, 9, 12, 0), &w.calendar),
        Some(40)
    );
}

#[test]

fn scheduled_progress_resumes_where_it_stopped() {
    let mut w = suspended_at_forty();
    // Resumed a working week later (Fri 03-06 .. Thu 03-12: 120 h paused): the deadline moves
    // from the end of 03-13 to the end of 03-20.
    w.set_now(local(2026, 3, 12, 23, 0))
        .ok(HANDLER, ask_resumption());
    w.set_now(local(2026, 3, 13, 0, 0))
        .ok(DEPUTY, agree_resumption());
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 20)));
    // The clock was stopped: 96 h of the item's 240 h have run, so the plan is still 40 %,
    // and the 40 % reported is on track. (The code gives 216 h / 360 h = 60 % and a yellow
    // light.)
    assert_eq!(scheduled_progress(&w.state, w.now, &w.calendar), Some(40));
    assert_signal(&light(&w), Colour::Green, "light.on_track");
}

#[test]
fn quality_card_colours_and_reasons() {
    // In progress, not overdue: nothing to judge yet.
    let mut w = in_progress();
    w.set_now(local(2026, 3, 5, 10, 0));
    assert_eq!(card(&w), None);
    // Overdue and not done: red.
    let mut overdue = w.clone_world();
    overdue.set_now(local(2026, 3, 12, 10, 0));
    assert_signal(&card(&overdue).unwrap(), Colour::Red, "card.not_done");
    // Reported, not yet accepted: still nothing.
    w.ok(HANDLER, completion(1));
    assert_eq!(card(&w), None);
    // Accepted without returns or ratings: green.
    w.ok(SUPERVISOR, accept());
    assert_signal(&card(&w).unwrap(), Colour::Green, "card.good");
    // Rated 4 stars: still green.
    w.ok(MAIN, rate(4));
    assert_signal(&card(&w).unwrap(), Colour::Green, "card.good");
    // A second leader's 2 stars: mean 3.0 → yellow, done but mediocre.
    w.ok(DEPUTY, rate(2));
    let c = card(&w).unwrap();
    assert_signal(&c, Colour::Yellow, "card.mediocre");
    assert!(c.zh.contains("3.0"), "{}", c.zh);

    // Rated 2 stars alone: poor.
    let mut poor = in_progress();
    poor.ok(HANDLER, completion(1)).ok(SUPERVISOR, accept());
    poor.ok(DEPUTY, rate(2));
    assert_signal(&card(&poor).unwrap(), Colour::Red, "card.poor");

    // One return, then accepted: mediocre. Two returns: poor.
    let mut once = in_progress();
    once.set_now(local(2026, 3, 4, 10, 0))
        .ok(HANDLER, completion(1))
        .ok(SUPERVISOR, return_for_rework(end_of(2026, 3, 11)))
        .ok(HANDLER, completion(2));
    let mut twice = once.clone_world();
    once.ok(SUPERVISOR, accept());
    let c = card(&once).unwrap();
    assert_signal(&c, Colour::Yellow, "card.mediocre");
    assert!(c.zh.contains("退办1次"), "{}", c.zh);
    twice
        .ok(SUPERVISOR, return_for_rework(end_of(2026, 3, 11)))
        .ok(HANDLER, completion(3))
        .ok(SUPERVISOR, accept());
    let c = card(&twice).unwrap();
    assert_signal(&c, Colour::Red, "card.poor");
    assert!(c.zh.contains("退办2次"), "{}", c.zh);
}

// ----- 办结率 -----------------------------------------------------------------------------------

#[test]
fn on_time_completion_rate_over_a_month() {
    let p = Policy::default;
    let done = |w: &mut World, reported: DateTime<Utc>| {
        w.set_now(reported).ok(HANDLER, completion(1));
        w.set_now(reported + Duration::hours(5))
            .ok(SUPERVISOR, accept());
    };
    // 1. Due end of 03-06, done 03-05: on time.
    let mut on_time = item(end_of(2026, 3, 6), p());
    done(&mut on_time, local(2026, 3, 5, 10, 0));
    // 2. Due end of 03-06, done 03-10: late.
    let mut late = item(end_of(2026, 3, 6), p());
    done(&mut late, local(2026, 3, 10, 10, 0));
    // 3. Due end of 03-06, not done: open.
    let open = item(end_of(2026, 3, 6), p());
    // 4. Revoked: not counted.
    let mut revoked = item(end_of(2026, 3, 6), p());
    revoked.set_now(local(2026, 3, 4, 10, 0)).ok(
        SUPERVISOR,
        Command::Revoke {
            reason: "任务取消".into(),
        },
    );
    // 5. Extended to 03-13 17:00 and done 03-12: on time.
    let mut ext = extended(p());
    done(&mut ext, local(2026, 3, 12, 10, 0));
    // 6. Due end of 03-27, suspended since Thu 03-26 10:00 and still suspended: by 03-31
    //    12:00, 14 h + 24 h + 24 h + 12 h = 74 working hours have been paused, so it is due
    //    Thu 04-02 02:00 (Mon 30, Tue 31, Wed 1 = 72 h, + 2 h): not due in March.
    let mut suspended = item(end_of(2026, 3, 27), p());
    suspended
        .set_now(local(2026, 3, 26, 9, 0))
        .ok(HANDLER, ask_suspension());
    suspended
        .set_now(local(2026, 3, 26, 10, 0))
        .ok(DEPUTY, agree_suspension());
    // 7. Due end of 03-06, suspended Wed 03-04 10:00 .. Thu 03-05 10:00 (24 h): due end of
    //    Mon 03-09; done 03-09 10:00: on time by its moved deadline.
    let mut resumed = item(end_of(2026, 3, 6), p());
    resumed
        .set_now(local(2026, 3, 4, 9, 0))
        .ok(HANDLER, ask_suspension());
    resumed
        .set_now(local(2026, 3, 4, 10, 0))
        .ok(DEPUTY, agree_suspension());
    resumed
        .set_now(local(2026, 3, 5, 9, 30))
        .ok(HANDLER, ask_resumption());
    resumed
        .set_now(local(2026, 3, 5, 10, 0))
        .ok(DEPUTY, agree_resumption());
    assert_eq!(resumed.state.deadline, Some(end_of(2026, 3, 9)));
    done(&mut resumed, local(2026, 3, 9, 10, 0));
    // 8. Due end of 03-31 and still open at 03-31 12:00: not due yet.
    let not_yet = item(end_of(2026, 3, 31), p());
    // 9. Due end of 03-31 and already done on 03-20: due (it is done) and on time.
    let mut early = item(end_of(2026, 3, 31), p());
    done(&mut early, local(2026, 3, 20, 10, 0));

    let now = local(2026, 3, 31, 12, 0);
    let cal = duban_core::domain::Calendar::builtin();
    assert_eq!(
        effective_deadline(&suspended.state, now, &cal),
        Some(local(2026, 4, 2, 2, 0))
    );
    let all = [
        &on_time, &late, &open, &revoked, &ext, &suspended, &resumed, &not_yet, &early,
    ];
    let rate = completion_rate(
        all.iter().map(|w| &w.state),
        DateRange::month(2026, 3).unwrap(),
        now,
        &cal,
    );
    // Due: 1, 2, 3, 5, 7, 9 = 6; on time: 1, 5, 7, 9 = 4; late: 2; open: 3.
    assert_eq!((rate.due, rate.on_time, rate.late, rate.open), (6, 4, 1, 1));
    // 4 / 6 = 66.67 % → 66.7.
    assert_eq!(rate.percent(), Some(66.7));

    // In April nothing has fallen due yet (the suspended item's moved deadline is ahead).
    let april = completion_rate(
        all.iter().map(|w| &w.state),
        DateRange::month(2026, 4).unwrap(),
        now,
        &cal,
    );
    assert_eq!(april.due, 0);
    assert_eq!(april.percent(), None);
    // While its clock is stopped the suspended item never falls due: a month later its
    // deadline has moved on with it.
    let later = local(2026, 4, 30, 12, 0);
    assert!(effective_deadline(&suspended.state, later, &cal) > Some(later));
    let april = completion_rate(
        [&suspended.state],
        DateRange::month(2026, 4).unwrap(),
        later,
        &cal,
    );
    assert_eq!(april.due, 0);
}

#[test]
fn an_unassessed_item_has_no_score() {
    // A draft and a revoked item are not assessed; the own progress helper is consistent.
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)));
    assert!(item_score(&w.state, w.now, &w.calendar, &w.policy).is_none());
    let mut w = in_progress();
    w.ok(
        SUPERVISOR,
        Command::Revoke {
            reason: "任务取消".into(),
        },
    );
    assert!(item_score(&w.state, w.now, &w.calendar, &w.policy).is_none());
    assert_eq!(w.state.status, Status::Revoked);
    assert_eq!(derived::own_progress(&w.state), 0);
}
