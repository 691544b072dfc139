//! The hotline's monthly figures (热线工单月度统计, issue 20): per unit and in total, the
//! orders, the completion rate (办结率), the satisfaction rate (满意率), returns, transfers,
//! committed-deadline requests, overdue and reopened orders; in the total also the calls
//! taken, accepted and not accepted (by reason). The rules, with worked examples, are in
//! docs/domain.md, "Hotline work orders: the monthly figures". In short:
//!
//! - **The month.** An order counts in the month its call came in (`called_at`, the
//!   organisation's local date), with everything that happened to it since: a call taken on
//!   30 November and replied in December is November's order. Overdue is judged at `now`.
//! - **Calls taken** are every order called in that month; **accepted** and **not accepted**
//!   (by reason) split them by the acceptance decision; the rest are still undecided. A
//!   not-accepted order counts nowhere else.
//! - **Orders** are the accepted, dispatched, not revoked orders. Each counts once, for the
//!   unit that finally handles it (its lead now): its order, its completion, its overdue.
//! - **Satisfaction** counts each order's LAST call-back only, for the unit whose reply was
//!   called back about; 满意 and 基本满意 count as satisfied.
//! - **Returns** count for the unit that returned the order; **transfers** for the unit the
//!   order was transferred to (once in the total); **committed-deadline requests** for the
//!   unit that asked; a **reopened** order once for each unit it was reopened to.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::score::DateRange;
use crate::domain::calendar::Calendar;
use crate::domain::decide::effective_deadline;
use crate::domain::model::{TaskId, UnitId};
use crate::domain::order::{NonAcceptance, OrderKind, OrderState, Satisfaction};
use crate::domain::state::TaskState;

/// The figures of one unit, or of the total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFigures {
    /// Orders (accepted, dispatched, not revoked) this unit finally handles.
    pub orders: u32,
    /// Of those, completed: the reply accepted (by a satisfied call-back or by review).
    pub completed: u32,
    /// Orders called back (by their last call-back's unit).
    pub called_back: u32,
    /// Of those, whose last call-back was 满意.
    pub satisfied: u32,
    /// Of those, whose last call-back was 基本满意.
    pub basic: u32,
    /// Of those, whose last call-back was 不满意.
    pub unsatisfied: u32,
    /// Returns (退单) by this unit.
    pub returns: u32,
    /// Transfers (转办) to this unit.
    pub transfers: u32,
    /// Committed-deadline requests (申请承诺件) by this unit, whatever their outcome.
    pub commitments: u32,
    /// Orders this unit handles that are overdue: a reply filed after its deadline, or
    /// none filed and the deadline passed.
    pub overdue: u32,
    /// Orders reopened (重办) to this unit.
    pub reopened: u32,
}

/// `n ÷ d × 100` to one decimal (half up); `None` when `d` is zero.
fn percent(n: u32, d: u32) -> Option<f64> {
    if d == 0 {
        return None;
    }
    let tenths = (u64::from(n) * 1000 + u64::from(d) / 2) / u64::from(d);
    Some(tenths as f64 / 10.0)
}

impl OrderFigures {
    /// 办结率: completed ÷ orders × 100, to one decimal; `None` without orders.
    pub fn completion_percent(&self) -> Option<f64> {
        percent(self.completed, self.orders)
    }

    /// 满意率: (满意 + 基本满意) ÷ called back × 100, to one decimal; `None` when nothing
    /// was called back.
    pub fn satisfaction_percent(&self) -> Option<f64> {
        percent(self.satisfied + self.basic, self.called_back)
    }

    fn add(&mut self, o: &OrderFigures) {
        self.orders += o.orders;
        self.completed += o.completed;
        self.called_back += o.called_back;
        self.satisfied += o.satisfied;
        self.basic += o.basic;
        self.unsatisfied += o.unsatisfied;
        self.returns += o.returns;
        self.transfers += o.transfers;
        self.commitments += o.commitments;
        self.overdue += o.overdue;
        self.reopened += o.reopened;
    }
}

/// Orders not accepted, by reason (不予受理).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotAcceptedFigures {
    /// Outside the office's remit.
    pub outside_remit: u32,
    /// A legal channel applies.
    pub legal_channel: u32,
    /// The same matter accepted already.
    pub already_accepted: u32,
    /// A reply contested with no new facts.
    pub contested_reply: u32,
}

impl NotAcceptedFigures {
    /// All of them.
    pub fn total(&self) -> u32 {
        self.outside_remit + self.legal_channel + self.already_accepted + self.contested_reply
    }

    /// The count of each reason, by the reason's code ([`NonAcceptance::code`]), in the
    /// order of the reasons.
    pub fn by_code(&self) -> [(&'static str, u32); 4] {
        [
            ("outside_remit", self.outside_remit),
            ("legal_channel", self.legal_channel),
            ("already_accepted", self.already_accepted),
            ("contested_reply", self.contested_reply),
        ]
    }

    fn count(&mut self, reason: &NonAcceptance) {
        match reason {
            NonAcceptance::OutsideRemit { .. } => self.outside_remit += 1,
            NonAcceptance::LegalChannel { .. } => self.legal_channel += 1,
            NonAcceptance::AlreadyAccepted { .. } => self.already_accepted += 1,
            NonAcceptance::ContestedReply => self.contested_reply += 1,
        }
    }
}

/// The calls of the month (the total only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFigures {
    /// Every order whose call came in during the month.
    pub taken: u32,
    /// Of those, accepted (受理).
    pub accepted: u32,
    /// Of those, not accepted, by reason.
    pub not_accepted: NotAcceptedFigures,
    /// Of those, not decided yet.
    pub undecided: u32,
}

/// A typical order (典型工单) of the month: by number and kind only, never the caller's
/// data nor the reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypicalOrder {
    /// The item.
    pub task: TaskId,
    /// Its number, e.g. `热〔2026〕12号`.
    pub number: String,
    /// What the caller wanted.
    pub kind: OrderKind,
}

/// The month's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HotlineFigures {
    /// The month.
    pub month: Option<DateRange>,
    /// Each unit with any figure, by unit id.
    pub units: Vec<(UnitId, OrderFigures)>,
    /// The total: every order and every transfer once (the sum of the units' rows).
    pub total: OrderFigures,
    /// The calls taken, accepted and not accepted.
    pub calls: CallFigures,
    /// The month's typical orders, by number.
    pub typical: Vec<TypicalOrder>,
}

impl HotlineFigures {
    /// The figures of `unit` (all zero if it had none).
    pub fn unit(&self, unit: UnitId) -> OrderFigures {
        self.units
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, f)| *f)
            .unwrap_or_default()
    }
}

/// Whether the order is overdue at `now`: a reply (completion report) filed after the
/// deadline then in force — in any round, so a reply late before a reopening stays late —
/// or no reply on record and the (effective) deadline passed (a reply waiting for report
/// approval counts from its filing).
pub fn order_overdue(state: &TaskState, now: DateTime<Utc>, calendar: &Calendar) -> bool {
    if state
        .completion_rounds()
        .iter()
        .any(|r| r.reported.at > r.deadline)
    {
        return true;
    }
    if state.completion.is_some() {
        return false;
    }
    let Some(deadline) = effective_deadline(state, now, calendar) else {
        return false;
    };
    match state.pending_completion() {
        Some(r) => r.at > deadline,
        None => now > deadline,
    }
}

/// The order's month: the local date of its call.
fn in_month(o: &OrderState, month: DateRange, calendar: &Calendar) -> bool {
    month.contains(calendar.to_local(o.intake.called_at).date())
}

/// The hotline's figures for `month` at `now` over `items` (items that are not orders are
/// left out), by the rules of this module's header.
pub fn hotline_figures<'a>(
    items: impl IntoIterator<Item = (TaskId, &'a TaskState)>,
    month: DateRange,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> HotlineFigures {
    let mut calls = CallFigures::default();
    let mut units: BTreeMap<UnitId, OrderFigures> = BTreeMap::new();
    let mut typical = Vec::new();
    let mut reopened_orders = 0;
    for (id, s) in items {
        let Some(o) = s.order.as_ref() else { continue };
        if !in_month(o, month, calendar) {
            continue;
        }
        calls.taken += 1;
        if let Some(reason) = o.non_acceptance() {
            calls.not_accepted.count(reason);
            continue;
        }
        if o.accepted_at().is_none() {
            calls.undecided += 1;
            continue;
        }
        calls.accepted += 1;
        if o.typical.is_some() {
            typical.push(TypicalOrder {
                task: id,
                number: s
                    .number
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                kind: o.intake.kind,
            });
        }
        if s.revoked.is_some() {
            continue;
        }
        let Some(lead) = s.lead else { continue };

        // The order itself: for the unit that finally handles it.
        let handler = units.entry(lead.unit).or_default();
        handler.orders += 1;
        if s.completion.is_some_and(|c| c.accepted.is_some()) {
            handler.completed += 1;
        }
        if order_overdue(s, now, calendar) {
            handler.overdue += 1;
        }
        // Its last call-back: for the unit whose reply it judged.
        if let Some(c) = o.last_callback() {
            let f = units.entry(c.unit.unwrap_or(lead.unit)).or_default();
            f.called_back += 1;
            match c.answers.satisfaction {
                Satisfaction::Satisfied => f.satisfied += 1,
                Satisfaction::Basic => f.basic += 1,
                Satisfaction::Unsatisfied => f.unsatisfied += 1,
            }
        }
        for r in &o.returns {
            units.entry(r.unit).or_default().returns += 1;
        }
        for t in &o.transfers {
            units.entry(t.to).or_default().transfers += 1;
        }
        for c in &o.commitments {
            units
                .entry(c.unit.unwrap_or(lead.unit))
                .or_default()
                .commitments += 1;
        }
        // A reopened order, once for each unit it was reopened to.
        let mut reopened_to: Vec<UnitId> = o
            .reopenings
            .iter()
            .map(|r| r.unit.unwrap_or(lead.unit))
            .collect();
        reopened_to.sort_unstable();
        reopened_to.dedup();
        if !reopened_to.is_empty() {
            reopened_orders += 1;
        }
        for u in reopened_to {
            units.entry(u).or_default().reopened += 1;
        }
    }
    let mut total = OrderFigures::default();
    for f in units.values() {
        total.add(f);
    }
    // A reopened order counts once in the total, whatever units it went back to.
    total.reopened = reopened_orders;
    typical.sort_by(|a: &TypicalOrder, b| a.number.cmp(&b.number).then(a.task.cmp(&b.task)));
    HotlineFigures {
        month: Some(month),
        units: units.into_iter().collect(),
        total,
        calls,
        typical,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, TimeZone};

    use super::*;
    use crate::domain::model::{Assignee, ReportId, TaskNumber, UserId};
    use crate::domain::order::{
        Acceptance, Callback, CallbackAnswers, Commitment, CommitmentOutcome, Line, OrderChannel,
        OrderIntake, OrderReturn, Reopening, Transfer,
    };
    use crate::domain::state::{Completion, Mark, ReturnRecord, Status};

    const A: UnitId = UnitId::from_u128(0xA);
    const B: UnitId = UnitId::from_u128(0xB);

    /// 09:00 local (UTC+8) on a day of 2026.
    fn at(m: u32, d: u32) -> DateTime<Utc> {
        FixedOffset::east_opt(8 * 3600)
            .and_then(|o| o.with_ymd_and_hms(2026, m, d, 9, 0, 0).single())
            .map(|t| t.with_timezone(&Utc))
            .expect("a date")
    }

    fn mark(t: DateTime<Utc>, seq: u64) -> Mark {
        Mark {
            by: UserId::from_u128(1),
            at: t,
            seq,
        }
    }

    fn answers(satisfaction: Satisfaction) -> CallbackAnswers {
        CallbackAnswers {
            told_result_and_basis: true,
            factual: true,
            misconduct: false,
            satisfaction,
        }
    }

    /// An order called in on (month, day), numbered 热〔2026〕n号.
    fn called(n: u32, m: u32, d: u32) -> TaskState {
        let intake = OrderIntake {
            line: Line::Citizen,
            called_at: at(m, d),
            kind: OrderKind::Complaint,
            channel: OrderChannel::Phone,
            subject: "某小区".into(),
            platform_number: None,
            urgent_safety: false,
            keep_private: false,
        };
        TaskState {
            version: 1,
            status: Status::Draft,
            number: Some(TaskNumber {
                prefix: "热".into(),
                year: 2026,
                seq: n,
            }),
            category: "hotline".into(),
            order: Some(OrderState::new(intake)),
            ..TaskState::default()
        }
    }

    /// Accepted on the day of the call and dispatched to `unit`, due `due` (month, day).
    fn dispatched(n: u32, (m, d): (u32, u32), unit: UnitId, due: (u32, u32)) -> TaskState {
        let mut s = called(n, m, d);
        let o = s.order.as_mut().expect("an order");
        o.acceptance = Some(Acceptance::Accepted {
            mark: mark(at(m, d), 2),
            urgent: false,
        });
        s.lead = Some(Assignee { unit, user: None });
        s.dispatched = Some(mark(at(m, d), 3));
        s.deadline = Some(
            Calendar::builtin()
                .end_of_day(chrono::NaiveDate::from_ymd_opt(2026, due.0, due.1).expect("a date")),
        );
        s.status = Status::InProgress;
        s
    }

    /// The unit replies on (month, day).
    fn replied(mut s: TaskState, m: u32, d: u32) -> TaskState {
        s.completion = Some(Completion {
            report: ReportId::from_u128(u128::from(m * 100 + d)),
            reported: mark(at(m, d), 10),
            accepted: None,
        });
        s.status = Status::UnderReview;
        s
    }

    /// The caller is called back on (month, day).
    fn called_back(mut s: TaskState, m: u32, d: u32, satisfaction: Satisfaction) -> TaskState {
        let unit = s.lead.map(|l| l.unit);
        if satisfaction.counts_satisfied() {
            if let Some(c) = s.completion.as_mut() {
                c.accepted = Some(mark(at(m, d), 11));
            }
            s.status = Status::Completed;
        }
        s.order
            .as_mut()
            .expect("an order")
            .callbacks
            .push(Callback {
                mark: mark(at(m, d), 11),
                unit,
                answers: answers(satisfaction),
            });
        s
    }

    /// Reopened on (month, day) to the same unit, due `due`.
    fn reopened(mut s: TaskState, m: u32, d: u32, due: (u32, u32)) -> TaskState {
        let new_deadline = Calendar::builtin()
            .end_of_day(chrono::NaiveDate::from_ymd_opt(2026, due.0, due.1).expect("a date"));
        let returned = s.completion.take();
        s.returns.push(ReturnRecord {
            mark: mark(at(m, d), 12),
            new_deadline,
            deadline_before: s.deadline,
            deadline_before_seq: 3,
            returned_report: returned.map(|c| c.reported),
        });
        s.deadline = Some(new_deadline);
        s.status = Status::InProgress;
        let unit = s.lead.map(|l| l.unit);
        s.order
            .as_mut()
            .expect("an order")
            .reopenings
            .push(Reopening {
                mark: mark(at(m, d), 12),
                unit,
                due: new_deadline,
            });
        s
    }

    fn november() -> DateRange {
        DateRange::month(2026, 11).expect("a month")
    }

    /// The worked example of docs/domain.md ("Hotline work orders: the monthly figures").
    fn worked_example() -> Vec<(TaskId, TaskState)> {
        // 1: dispatched to A, returned by A (upheld), transferred to B; B replies on time,
        // the caller is satisfied.
        let mut one = dispatched(1, (11, 2), B, (11, 9));
        {
            let o = one.order.as_mut().expect("an order");
            o.returns.push(OrderReturn {
                mark: mark(at(11, 2), 4),
                unit: A,
                upheld: Some(true),
            });
            o.transfers.push(Transfer {
                mark: mark(at(11, 3), 5),
                from: A,
                to: B,
            });
            o.typical = Some(mark(at(11, 20), 20));
        }
        let one = called_back(replied(one, 11, 6), 11, 9, Satisfaction::Satisfied);
        // 2: B replies, the caller is unsatisfied, reopened to B, replied again in time and
        // satisfied on the second call-back: its last call-back counts.
        let two = dispatched(2, (11, 5), B, (11, 12));
        let two = called_back(replied(two, 11, 10), 11, 11, Satisfaction::Unsatisfied);
        let two = reopened(two, 11, 11, (11, 16));
        let two = called_back(replied(two, 11, 13), 11, 16, Satisfaction::Satisfied);
        // 3: A asks for a committed deadline (refused) and never replies: overdue.
        let mut three = dispatched(3, (11, 10), A, (11, 17));
        three
            .order
            .as_mut()
            .expect("an order")
            .commitments
            .push(Commitment {
                mark: mark(at(11, 12), 6),
                unit: Some(A),
                until: at(12, 15),
                outcome: CommitmentOutcome::Refused,
            });
        // 4: A replies, the caller is basically satisfied.
        let four = dispatched(4, (11, 12), A, (11, 19));
        let four = called_back(replied(four, 11, 18), 11, 19, Satisfaction::Basic);
        // 5: B replies, the caller is unsatisfied (not reopened yet).
        let five = dispatched(5, (11, 20), B, (11, 27));
        let five = called_back(replied(five, 11, 25), 11, 26, Satisfaction::Unsatisfied);
        // 6: not accepted: outside the remit. It counts in the calls only.
        let mut six = called(6, 11, 3);
        six.order.as_mut().expect("an order").acceptance = Some(Acceptance::NotAccepted {
            mark: mark(at(11, 3), 2),
            reason: NonAcceptance::OutsideRemit {
                refer_to: "市场监管12315".into(),
            },
        });
        six.status = Status::NotAccepted;
        // 7: called in October: not November's.
        let seven = dispatched(7, (10, 30), A, (11, 6));
        // 8: called in November, not decided yet.
        let eight = called(8, 11, 25);
        // 9: not an order.
        let nine = TaskState {
            lead: Some(Assignee {
                unit: A,
                user: None,
            }),
            ..TaskState::default()
        };
        [one, two, three, four, five, six, seven, eight, nine]
            .into_iter()
            .enumerate()
            .map(|(i, s)| (TaskId::from_u128(i as u128 + 1), s))
            .collect()
    }

    fn figures_now() -> HotlineFigures {
        let items = worked_example();
        hotline_figures(
            items.iter().map(|(id, s)| (*id, s)),
            november(),
            at(12, 1),
            &Calendar::builtin(),
        )
    }

    #[test]
    fn the_worked_example_gives_the_documented_figures() {
        let f = figures_now();
        assert_eq!(
            f.unit(A),
            OrderFigures {
                orders: 2,
                completed: 1,
                called_back: 1,
                satisfied: 0,
                basic: 1,
                unsatisfied: 0,
                returns: 1,
                transfers: 0,
                commitments: 1,
                overdue: 1,
                reopened: 0,
            }
        );
        assert_eq!(
            f.unit(B),
            OrderFigures {
                orders: 3,
                completed: 2,
                called_back: 3,
                satisfied: 2,
                basic: 0,
                unsatisfied: 1,
                returns: 0,
                transfers: 1,
                commitments: 0,
                overdue: 0,
                reopened: 1,
            }
        );
        assert_eq!(f.unit(A).completion_percent(), Some(50.0));
        assert_eq!(f.unit(A).satisfaction_percent(), Some(100.0));
        assert_eq!(f.unit(B).completion_percent(), Some(66.7));
        assert_eq!(f.unit(B).satisfaction_percent(), Some(66.7));
        assert_eq!(f.units.len(), 2, "{:?}", f.units);

        let t = f.total;
        assert_eq!(
            (t.orders, t.completed, t.called_back, t.satisfied, t.basic),
            (5, 3, 4, 2, 1)
        );
        assert_eq!(
            (t.returns, t.transfers, t.commitments, t.overdue, t.reopened),
            (1, 1, 1, 1, 1)
        );
        assert_eq!(t.completion_percent(), Some(60.0));
        assert_eq!(t.satisfaction_percent(), Some(75.0));

        assert_eq!(
            f.calls,
            CallFigures {
                taken: 7,
                accepted: 5,
                not_accepted: NotAcceptedFigures {
                    outside_remit: 1,
                    ..NotAcceptedFigures::default()
                },
                undecided: 1,
            }
        );
        assert_eq!(f.calls.not_accepted.total(), 1);
        assert_eq!(
            f.typical,
            [TypicalOrder {
                task: TaskId::from_u128(1),
                number: "热〔2026〕1号".into(),
                kind: OrderKind::Complaint,
            }]
        );
    }

    #[test]
    fn a_transferred_order_counts_its_return_for_one_unit_and_everything_else_for_the_other() {
        let items = worked_example();
        let (id, one) = &items[0];
        let f = hotline_figures([(*id, one)], november(), at(12, 1), &Calendar::builtin());
        let a = f.unit(A);
        assert_eq!(
            (a.orders, a.returns, a.transfers, a.called_back),
            (0, 1, 0, 0)
        );
        let b = f.unit(B);
        assert_eq!(
            (b.orders, b.completed, b.returns, b.transfers, b.satisfied),
            (1, 1, 0, 1, 1)
        );
        assert_eq!(
            (f.total.orders, f.total.returns, f.total.transfers),
            (1, 1, 1)
        );
    }

    #[test]
    fn an_order_reopened_then_satisfied_counts_its_last_call_back() {
        let items = worked_example();
        let (id, two) = &items[1];
        let f = hotline_figures([(*id, two)], november(), at(12, 1), &Calendar::builtin());
        let b = f.unit(B);
        assert_eq!(
            (
                b.called_back,
                b.satisfied,
                b.unsatisfied,
                b.reopened,
                b.completed
            ),
            (1, 1, 0, 1, 1)
        );
        assert_eq!(b.satisfaction_percent(), Some(100.0));
        assert_eq!(b.overdue, 0, "both replies were in time");
    }

    #[test]
    fn overdue_is_judged_at_now_and_a_late_reply_stays_late() {
        let cal = Calendar::builtin();
        let items = worked_example();
        let three = &items[2].1;
        assert!(
            !order_overdue(three, at(11, 17), &cal),
            "due at the day's end"
        );
        assert!(order_overdue(three, at(11, 18), &cal));
        // Replied a day late, then satisfied: still overdue.
        let late = dispatched(10, (11, 2), A, (11, 5));
        let late = called_back(replied(late, 11, 6), 11, 9, Satisfaction::Satisfied);
        assert!(order_overdue(&late, at(12, 1), &cal));
        // A late first reply stays late after a reopening and an in-time second reply.
        let again = reopened(late.clone(), 11, 9, (11, 12));
        let again = replied(again, 11, 10);
        assert!(order_overdue(&again, at(12, 1), &cal));
    }

    #[test]
    fn nothing_called_back_has_no_satisfaction_rate() {
        let cal = Calendar::builtin();
        let s = dispatched(1, (11, 2), A, (11, 30));
        let f = hotline_figures([(TaskId::from_u128(1), &s)], november(), at(11, 3), &cal);
        assert_eq!(f.total.orders, 1);
        assert_eq!(f.total.satisfaction_percent(), None);
        assert_eq!(f.total.completion_percent(), Some(0.0));
        let empty = hotline_figures(
            std::iter::empty::<(TaskId, &TaskState)>(),
            november(),
            at(11, 3),
            &cal,
        );
        assert_eq!(empty.total, OrderFigures::default());
        assert_eq!(empty.total.completion_percent(), None);
    }

    #[test]
    fn every_reason_of_not_accepting_is_counted_apart() {
        let cal = Calendar::builtin();
        let reasons = [
            NonAcceptance::OutsideRemit {
                refer_to: "x".into(),
            },
            NonAcceptance::LegalChannel {
                channel: "x".into(),
            },
            NonAcceptance::AlreadyAccepted {
                of: TaskId::from_u128(99),
                follow_up: "x".into(),
            },
            NonAcceptance::ContestedReply,
            NonAcceptance::ContestedReply,
        ];
        let items: Vec<(TaskId, TaskState)> = reasons
            .into_iter()
            .enumerate()
            .map(|(i, reason)| {
                let mut s = called(i as u32 + 1, 11, 4);
                s.order.as_mut().expect("an order").acceptance = Some(Acceptance::NotAccepted {
                    mark: mark(at(11, 4), 2),
                    reason,
                });
                (TaskId::from_u128(i as u128 + 1), s)
            })
            .collect();
        let f = hotline_figures(
            items.iter().map(|(id, s)| (*id, s)),
            november(),
            at(12, 1),
            &cal,
        );
        assert_eq!(
            f.calls.not_accepted.by_code(),
            [
                ("outside_remit", 1),
                ("legal_channel", 1),
                ("already_accepted", 1),
                ("contested_reply", 2)
            ]
        );
        assert_eq!((f.calls.taken, f.calls.accepted), (5, 0));
        assert!(f.units.is_empty());
        assert_eq!(f.total, OrderFigures::default());
    }
}
