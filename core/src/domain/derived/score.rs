//! Assessment (考核, R6.3, R6.5): the item score with a line for every point and the events
//! behind it, unit scores on a 100-point base, rankings, and the on-time completion rate.
//!
//! The item score is the base plus its lines; a unit's score is the base plus the lines of
//! every item it leads that falls due in the period. So "1 point off per day late" takes a
//! point off both the item and its unit.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::schedule::lateness;
use super::signal::{quality_card, timeliness_light, Colour, Signal};
use crate::domain::calendar::Calendar;
use crate::domain::decide::effective_deadline;
use crate::domain::model::{TaskId, UnitId};
use crate::domain::order::Satisfaction;
use crate::domain::policy::{ColourPoints, LateDays, Points, Policy};
use crate::domain::state::TaskState;

/// One line of a score: what, how many points, and the events (positions in the item's
/// trail) behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreLine {
    /// Stable code, e.g. `score.late`.
    pub code: String,
    /// The line in Chinese.
    pub zh: String,
    /// The line in English.
    pub en: String,
    /// Points (negative: deducted).
    pub points: Points,
    /// The events behind it.
    pub events: Vec<u64>,
}

/// An item's score with its breakdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemScore {
    /// The base (100).
    pub base: Points,
    /// Every line that moves the score.
    pub lines: Vec<ScoreLine>,
    /// Base plus lines.
    pub total: Points,
}

impl ItemScore {
    /// The lines' sum: what the item adds to its unit's score.
    pub fn contribution(&self) -> Points {
        self.lines.iter().map(|l| l.points).sum()
    }
}

fn colour_points(p: &ColourPoints, c: Colour) -> Points {
    match c {
        Colour::Green => p.green,
        Colour::Yellow => p.yellow,
        Colour::Red => p.red,
    }
}

fn colour_zh(c: Colour) -> &'static str {
    match c {
        Colour::Green => "绿",
        Colour::Yellow => "黄",
        Colour::Red => "红",
    }
}

fn colour_en(c: Colour) -> &'static str {
    match c {
        Colour::Green => "green",
        Colour::Yellow => "yellow",
        Colour::Red => "red",
    }
}

/// "once", "twice", "3 times".
fn times(n: i64) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

/// The item's score at `now`. `None` for items that were never dispatched or were revoked:
/// they are not assessed.
pub fn item_score(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Option<ItemScore> {
    let dispatched = state.dispatched?;
    if state.revoked.is_some() {
        return None;
    }
    let rules = &policy.scoring;
    let mut lines = Vec::new();
    let mut push = |code: &str, zh: String, en: String, points: Points, events: Vec<u64>| {
        if points != Points::ZERO {
            lines.push(ScoreLine {
                code: code.to_owned(),
                zh,
                en,
                points,
                events,
            });
        }
    };

    // Report timeliness: days late, each completion round against its deadline.
    let (days, events) = lateness(state, now, calendar, rules.late_days);
    if days > 0 {
        let mut points = rules.late_per_day.times(days);
        if let Some(cap) = rules.late_cap {
            points = points.max(Points(-cap.0.abs()));
        }
        let (unit_zh, per_zh, unit_en) = match rules.late_days {
            LateDays::Working => ("个工作日", "每个工作日", "working days"),
            LateDays::Calendar => ("天", "每天", "days"),
        };
        let per = -rules.late_per_day.as_f64();
        let (zh, en) = if state.completion.is_some() {
            (
                format!("逾期{days}{unit_zh}报送,{per_zh}扣{per}分"),
                format!(
                    "reported {days} {unit_en} late, {} per day",
                    rules.late_per_day
                ),
            )
        } else {
            (
                format!("逾期{days}{unit_zh},{per_zh}扣{per}分"),
                format!(
                    "{days} {unit_en} late so far, {} per day",
                    rules.late_per_day
                ),
            )
        };
        push("score.late", zh, en, points, events);
    }

    // Procedure: returns for rework.
    if !state.returns.is_empty() {
        let n = state.returns.len() as i64;
        push(
            "score.returned",
            format!("退办{n}次"),
            format!("returned for rework {}", times(n)),
            rules.per_return.times(n),
            state.returns.iter().map(|r| r.mark.seq).collect(),
        );
    }

    // Process control: escalation.
    if let Some(e) = state.escalated {
        push(
            "score.escalated",
            "督办升级".into(),
            "escalated".into(),
            rules.escalation,
            vec![e.seq],
        );
    }

    // Report timeliness: periodic reports filed late or missing.
    let late_requests: Vec<u64> = state
        .report_requests
        .iter()
        .filter(|r| match r.answered {
            Some((at, _)) => at > r.due,
            None => now > r.due,
        })
        .flat_map(|r| std::iter::once(r.seq).chain(r.answered.map(|(_, s)| s)))
        .collect();
    let late_count = state
        .report_requests
        .iter()
        .filter(|r| r.answered.map_or(now > r.due, |(at, _)| at > r.due))
        .count() as i64;
    if late_count > 0 {
        push(
            "score.late_reports",
            format!("定期汇报逾期或缺报{late_count}次"),
            format!("{late_count} periodic reports late or missing"),
            rules.late_report.times(late_count),
            late_requests,
        );
    }

    // Lights and cards.
    let base_events: Vec<u64> =
        state
            .completion
            .map_or(vec![state.deadline_seq.max(dispatched.seq)], |c| {
                let mut v = vec![c.reported.seq];
                v.extend(c.accepted.map(|a| a.seq));
                v
            });
    if let Some(Signal { colour, zh, en, .. }) = timeliness_light(state, now, calendar, policy) {
        push(
            "score.light",
            format!("{}灯:{zh}", colour_zh(colour)),
            format!("{} light: {en}", colour_en(colour)),
            colour_points(&rules.light, colour),
            base_events.clone(),
        );
    }
    if let Some(Signal { colour, zh, en, .. }) = quality_card(state, now, calendar, policy) {
        let mut events = base_events.clone();
        events.extend(state.returns.iter().map(|r| r.mark.seq));
        events.extend(state.ratings.iter().map(|r| r.mark.seq));
        events.sort_unstable();
        events.dedup();
        push(
            "score.card",
            format!("{}牌:{zh}", colour_zh(colour)),
            format!("{} card: {en}", colour_en(colour)),
            colour_points(&rules.card, colour),
            events,
        );
    }

    // Leader evaluation: the mean of the leaders' ratings.
    if !state.ratings.is_empty() {
        let n = state.ratings.len() as i32;
        let sum: i32 = state
            .ratings
            .iter()
            .map(|r| rules.stars[usize::from(r.stars.clamp(1, 5) - 1)].0)
            .sum();
        let stars: Vec<String> = state.ratings.iter().map(|r| r.stars.to_string()).collect();
        push(
            "score.rating",
            format!("领导评价({}星)", stars.join("、")),
            format!("leaders' rating ({} stars)", stars.join(", ")),
            Points(sum / n),
            state.ratings.iter().map(|r| r.mark.seq).collect(),
        );
    }

    // Hotline work orders: the caller's satisfaction at the last call-back, and returns
    // the office did not uphold (the order came back to the same unit).
    if let Some(o) = &state.order {
        let hotline = &policy.hotline;
        if let Some(c) = o.last_callback() {
            match c.answers.satisfaction {
                Satisfaction::Unsatisfied => push(
                    "score.order_unsatisfied",
                    "回访不满意".into(),
                    "the caller was unsatisfied at the last call-back".into(),
                    hotline.unsatisfied_points,
                    vec![c.mark.seq],
                ),
                Satisfaction::Basic => push(
                    "score.order_basic",
                    "回访基本满意".into(),
                    "the caller was basically satisfied at the last call-back".into(),
                    hotline.basic_points,
                    vec![c.mark.seq],
                ),
                Satisfaction::Satisfied => {}
            }
        }
        let unjustified: Vec<u64> = o
            .returns
            .iter()
            .filter(|r| r.upheld == Some(false))
            .map(|r| r.mark.seq)
            .collect();
        if !unjustified.is_empty() {
            let n = unjustified.len() as i64;
            push(
                "score.order_unjustified_return",
                format!("退单理由不成立{n}次(工单退回本单位)"),
                format!(
                    "returned the work order without cause {} (it came back to the unit)",
                    times(n)
                ),
                hotline.unjustified_return_points.times(n),
                unjustified,
            );
        }
    }

    // Supervision opinion: manual adjustments, each with its reason in the trail.
    for a in &state.adjustments {
        push(
            "score.adjusted",
            "督办员调整(理由见留痕)".into(),
            "supervisor's adjustment (reason in the trail)".into(),
            a.points,
            vec![a.mark.seq],
        );
    }

    let total = rules.base.plus(lines.iter().map(|l| l.points).sum());
    Some(ItemScore {
        base: rules.base,
        lines,
        total,
    })
}

/// A span of calendar dates (inclusive) in the organisation's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub first: NaiveDate,
    /// Last day.
    pub last: NaiveDate,
}

impl DateRange {
    /// A month.
    pub fn month(year: i32, month: u32) -> Option<DateRange> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(DateRange {
            first,
            last: next.pred_opt()?,
        })
    }

    /// A quarter (1–4).
    pub fn quarter(year: i32, quarter: u32) -> Option<DateRange> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let first = DateRange::month(year, quarter * 3 - 2)?.first;
        let last = DateRange::month(year, quarter * 3)?.last;
        Some(DateRange { first, last })
    }

    /// A year.
    pub fn year(year: i32) -> Option<DateRange> {
        Some(DateRange {
            first: NaiveDate::from_ymd_opt(year, 1, 1)?,
            last: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    /// Whether the date lies in the range.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.first <= d && d <= self.last
    }
}

/// The local date an item falls due, by its effective deadline.
pub fn due_date(state: &TaskState, now: DateTime<Utc>, calendar: &Calendar) -> Option<NaiveDate> {
    effective_deadline(state, now, calendar).map(|d| calendar.due_date(d))
}

/// A unit's score for a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitScore {
    /// The unit.
    pub unit: UnitId,
    /// Base plus the contributions of its items.
    pub score: Points,
    /// Each assessed item and what it contributed.
    pub items: Vec<(TaskId, Points)>,
}

/// When the unit finished with the item, for the period rule: the completion report on
/// record (or the one waiting for review) was filed, or the item was closed or revoked —
/// the earliest of these; none while it is still being handled.
fn finished_at(state: &TaskState) -> Option<DateTime<Utc>> {
    [
        state.completion.map(|c| c.reported.at),
        state.pending_completion().map(|r| r.at),
        state.closed.map(|m| m.at),
        state.revoked.map(|m| m.at),
    ]
    .into_iter()
    .flatten()
    .min()
}

/// Whether an item is assessed in a period (the period rule, docs/domain.md): it counts in
/// every period in which it was open and due or overdue — the period its (effective)
/// deadline falls in, and every later period it enters still unfinished. An item due in
/// November and still open in December counts against November and against December; one
/// finished before December began does not count in December.
pub fn counts_in(
    state: &TaskState,
    period: DateRange,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> bool {
    let Some(due) = due_date(state, now, calendar) else {
        return false;
    };
    if due > period.last {
        return false;
    }
    if due >= period.first {
        return true;
    }
    match finished_at(state) {
        None => true,
        Some(at) => calendar.to_local(at).date() >= period.first,
    }
}

/// Unit scores on the policy's base (R6.5): every unit listed starts at the base; each item
/// it leads that counts in the period ([`counts_in`]) adds its lines.
pub fn unit_scores<'a>(
    units: &[UnitId],
    items: impl IntoIterator<Item = (TaskId, &'a TaskState)>,
    period: DateRange,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Vec<UnitScore> {
    let mut out: Vec<UnitScore> = units
        .iter()
        .map(|u| UnitScore {
            unit: *u,
            score: policy.scoring.base,
            items: Vec::new(),
        })
        .collect();
    for (id, state) in items {
        let Some(lead) = state.lead else { continue };
        let Some(slot) = out.iter_mut().find(|s| s.unit == lead.unit) else {
            continue;
        };
        if !counts_in(state, period, now, calendar) {
            continue;
        }
        if let Some(score) = item_score(state, now, calendar, policy) {
            let c = score.contribution();
            slot.score = slot.score.plus(c);
            slot.items.push((id, c));
        }
    }
    out
}

/// A place in a ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// 1 for the best; equal scores share a place (1, 2, 2, 4).
    pub rank: u32,
    /// The unit.
    pub unit: UnitId,
    /// Its score.
    pub score: Points,
}

/// Ranks units by score, best first; ties share a place and are listed by unit id.
pub fn rank(scores: &[UnitScore]) -> Vec<Ranked> {
    let mut sorted: Vec<&UnitScore> = scores.iter().collect();
    sorted.sort_by(|a, b| b.score.cmp(&a.score).then(a.unit.cmp(&b.unit)));
    let mut out: Vec<Ranked> = Vec::with_capacity(sorted.len());
    for (i, s) in sorted.iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.score == s.score => prev.rank,
            _ => i as u32 + 1,
        };
        out.push(Ranked {
            rank,
            unit: s.unit,
            score: s.score,
        });
    }
    out
}

/// The on-time completion rate (办结率, R6.5) of a set of items over a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionRate {
    /// Items due in the period.
    pub due: u32,
    /// Of those, completed on time.
    pub on_time: u32,
    /// Of those, completed late.
    pub late: u32,
    /// Of those, not completed.
    pub open: u32,
}

impl CompletionRate {
    /// on-time ÷ due × 100, to one decimal; `None` when nothing was due.
    pub fn percent(&self) -> Option<f64> {
        if self.due == 0 {
            return None;
        }
        let tenths =
            (u64::from(self.on_time) * 1000 + u64::from(self.due) / 2) / u64::from(self.due);
        Some(tenths as f64 / 10.0)
    }
}

/// Counts the on-time completion rate. An item is due in the period when its effective
/// deadline (after approved extensions and suspensions) falls in it and the deadline has
/// passed or the item is completed. On time means the accepted completion report was filed
/// by that deadline, so finishing within an approved extension is on time. Revoked items
/// and items never dispatched do not count; a suspended item counts by its deadline as
/// moved so far, which keeps moving while the clock is stopped. A completion that was
/// returned for rework is on time only if every report was filed by the deadline then in
/// force.
pub fn completion_rate<'a>(
    items: impl IntoIterator<Item = &'a TaskState>,
    period: DateRange,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> CompletionRate {
    let mut rate = CompletionRate::default();
    for state in items {
        if state.dispatched.is_none() || state.revoked.is_some() {
            continue;
        }
        let Some(deadline) = effective_deadline(state, now, calendar) else {
            continue;
        };
        if !period.contains(calendar.due_date(deadline)) {
            continue;
        }
        let accepted = state.completion.is_some_and(|c| c.accepted.is_some());
        if !accepted && now <= deadline {
            continue;
        }
        rate.due += 1;
        // On time means every completion round was filed by its deadline: a late report
        // returned for rework stays late.
        let every_round_on_time = state
            .completion_rounds()
            .iter()
            .all(|r| r.reported.at <= r.deadline);
        match (accepted, every_round_on_time) {
            (true, true) => rate.on_time += 1,
            (true, false) => rate.late += 1,
            (false, _) => rate.open += 1,
        }
    }
    rate
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::model::{Assignee, UserId};
    use crate::domain::order::{
        Callback, CallbackAnswers, Line, OrderChannel, OrderIntake, OrderKind, OrderReturn,
        OrderState,
    };
    use crate::domain::state::{Mark, Status};

    fn mark(seq: u64) -> Mark {
        Mark {
            by: UserId::from_u128(1),
            at: Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap(),
            seq,
        }
    }

    fn order_item() -> TaskState {
        let unit = UnitId::from_u128(0xA);
        let mut o = OrderState::new(OrderIntake {
            line: Line::Citizen,
            called_at: mark(1).at,
            kind: OrderKind::Help,
            channel: OrderChannel::Phone,
            subject: "某路口".into(),
            platform_number: None,
            urgent_safety: false,
            keep_private: false,
        });
        o.returns = vec![
            OrderReturn {
                mark: mark(4),
                unit,
                upheld: Some(false),
            },
            OrderReturn {
                mark: mark(6),
                unit,
                upheld: Some(true),
            },
            OrderReturn {
                mark: mark(8),
                unit,
                upheld: Some(false),
            },
        ];
        TaskState {
            version: 12,
            status: Status::InProgress,
            lead: Some(Assignee { unit, user: None }),
            dispatched: Some(mark(9)),
            deadline: Some(Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap()),
            order: Some(o),
            ..TaskState::default()
        }
    }

    fn called_back(s: &mut TaskState, seq: u64, satisfaction: Satisfaction) {
        let o = s.order.as_mut().expect("an order");
        o.callbacks.push(Callback {
            mark: mark(seq),
            unit: s.lead.map(|l| l.unit),
            answers: CallbackAnswers {
                told_result_and_basis: true,
                factual: true,
                misconduct: false,
                satisfaction,
            },
        });
    }

    fn line<'a>(score: &'a ItemScore, code: &str) -> Option<&'a ScoreLine> {
        score.lines.iter().find(|l| l.code == code)
    }

    #[test]
    fn an_order_scores_its_last_call_back_and_its_unjustified_returns() {
        let now = Utc.with_ymd_and_hms(2026, 11, 10, 2, 0, 0).unwrap();
        let cal = Calendar::builtin();
        let mut policy = Policy::default();
        policy.hotline.basic_points = Points::tenths(-5);
        let mut s = order_item();
        called_back(&mut s, 10, Satisfaction::Unsatisfied);
        let score = item_score(&s, now, &cal, &policy).expect("assessed");
        let u = line(&score, "score.order_unsatisfied").expect("unsatisfied");
        assert_eq!((u.points, u.events.clone()), (Points::whole(-2), vec![10]));
        let r = line(&score, "score.order_unjustified_return").expect("returns");
        assert_eq!(
            (r.points, r.events.clone()),
            (Points::whole(-2), vec![4, 8])
        );
        assert!(r.zh.contains('2') && r.en.contains("twice"), "{r:?}");

        // Reopened and satisfied at the second call-back: only the last one counts.
        called_back(&mut s, 12, Satisfaction::Satisfied);
        let score = item_score(&s, now, &cal, &policy).expect("assessed");
        assert!(line(&score, "score.order_unsatisfied").is_none());
        assert!(line(&score, "score.order_basic").is_none());

        let mut basic = order_item();
        called_back(&mut basic, 10, Satisfaction::Basic);
        let score = item_score(&basic, now, &cal, &policy).expect("assessed");
        let b = line(&score, "score.order_basic").expect("basic");
        assert_eq!((b.points, b.events.clone()), (Points::tenths(-5), vec![10]));
        // With the default policy, 基本满意 moves nothing.
        let score = item_score(&basic, now, &cal, &Policy::default()).expect("assessed");
        assert!(line(&score, "score.order_basic").is_none());
    }
}
