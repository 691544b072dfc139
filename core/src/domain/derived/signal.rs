//! Lights and cards (亮灯亮牌, R6.4): the timeliness light and the quality card, each with the
//! reason it shows, in words a person can act on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::schedule::{days_ceil, days_late, lateness, own_progress, scheduled_progress};
use crate::domain::calendar::Calendar;
use crate::domain::decide::effective_deadline;
use crate::domain::policy::Policy;
use crate::domain::state::{Status, TaskState};

/// The code and names (zh-CN, English) shown where an item has no light because no clock
/// runs for it (not yet received, suspended, finished): in full, for figures and filters.
pub const NO_LIGHT: (&str, &str, &str) = ("none", "无灯(未计时)", "no light (no clock runs)");

/// [`NO_LIGHT`] in short, for a chart's legend.
pub const NO_LIGHT_SHORT: (&str, &str, &str) = ("none", "未计时", "no clock");

/// A light's code and names (zh-CN, English), or [`NO_LIGHT`]'s.
pub fn light_names(c: Option<Colour>) -> (&'static str, &'static str, &'static str) {
    use crate::domain::Code;
    c.map_or(NO_LIGHT, |c| (c.code(), c.zh(), c.en()))
}

/// A colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// 绿
    Green,
    /// 黄
    Yellow,
    /// 红
    Red,
}

/// A light or card with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// The colour.
    pub colour: Colour,
    /// Stable code of the reason, e.g. `light.overdue`.
    pub code: String,
    /// The reason in Chinese.
    pub zh: String,
    /// The reason in English.
    pub en: String,
}

fn signal(colour: Colour, code: &str, zh: String, en: String) -> Option<Signal> {
    Some(Signal {
        colour,
        code: code.to_owned(),
        zh,
        en,
    })
}

/// The timeliness light (亮灯): green reported and accepted in time (or on track), yellow
/// near the deadline or behind schedule and not reported, red overdue. `None` where no
/// clock runs (drafts, declined and revoked items).
pub fn timeliness_light(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Option<Signal> {
    let deadline = effective_deadline(state, now, calendar)?;
    let unit = policy.scoring.late_days;
    if let Some(c) = state.completion {
        if !matches!(
            state.status,
            Status::UnderReview | Status::Completed | Status::Closed | Status::Archived
        ) {
            return None;
        }
        // Every round counts: a late report returned for rework stays late.
        let (late, _) = lateness(state, now, calendar, unit);
        let accepted = c.accepted.is_some();
        return match (late, accepted) {
            (0, true) => signal(
                Colour::Green,
                "light.on_time",
                "按期报送并通过复核".into(),
                "reported in time and accepted".into(),
            ),
            (0, false) => signal(
                Colour::Green,
                "light.reported_on_time",
                "已按期报送,待复核".into(),
                "reported in time; under review".into(),
            ),
            (n, _) => signal(
                Colour::Red,
                "light.reported_late",
                format!("逾期{n}天报送"),
                format!("reported {n} days late"),
            ),
        };
    }
    if !matches!(
        state.status,
        Status::Dispatched | Status::InProgress | Status::Suspended
    ) {
        return None;
    }
    if let Some(filed) = state.pending_completion() {
        // Reported; the report approver has not passed it on yet.
        let n = days_late(deadline, filed.at, calendar, unit);
        return if n == 0 {
            signal(
                Colour::Green,
                "light.reported_on_time",
                "已按期报送,待汇报审批".into(),
                "reported in time; waiting for report approval".into(),
            )
        } else {
            signal(
                Colour::Red,
                "light.reported_late",
                format!("逾期{n}天报送"),
                format!("reported {n} days late"),
            )
        };
    }
    if now > deadline {
        let n = days_late(deadline, now, calendar, unit);
        return signal(
            Colour::Red,
            "light.overdue",
            format!("已逾期{n}天未报送"),
            format!("overdue by {n} days and not reported"),
        );
    }
    let left = days_ceil(calendar.working_time_between(now, deadline));
    if left <= i64::from(policy.yellow_within_working_days) {
        return signal(
            Colour::Yellow,
            "light.near_deadline",
            format!("距截止仅剩{left}个工作日,尚未报送"),
            format!("{left} working days left and not reported"),
        );
    }
    let actual = own_progress(state);
    if let Some(plan) = scheduled_progress(state, now, calendar) {
        if u16::from(actual) + u16::from(policy.behind_schedule_tolerance) < u16::from(plan) {
            return signal(
                Colour::Yellow,
                "light.behind_schedule",
                format!("进度{actual}%落后于序时进度{plan}%"),
                format!("progress {actual}% is behind the scheduled {plan}%"),
            );
        }
    }
    signal(
        Colour::Green,
        "light.on_track",
        format!("进度正常,距截止{left}个工作日"),
        format!("on track; {left} working days left"),
    )
}

/// The mean rating in tenths of a star, if rated.
pub fn mean_stars_tenths(state: &TaskState) -> Option<u32> {
    if state.ratings.is_empty() {
        return None;
    }
    let sum: u32 = state.ratings.iter().map(|r| u32::from(r.stars)).sum();
    Some(sum * 10 / state.ratings.len() as u32)
}

/// The quality card (亮牌): green done well, yellow done but mediocre, red not done or poor.
/// `None` while there is nothing to judge yet.
pub fn quality_card(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Option<Signal> {
    let rules = &policy.card;
    let returns = state.returns.len() as u32;
    let accepted = state.completion.is_some_and(|c| c.accepted.is_some());
    if !accepted {
        let handling = matches!(
            state.status,
            Status::Dispatched | Status::InProgress | Status::Suspended
        );
        let overdue = effective_deadline(state, now, calendar).is_some_and(|d| now > d);
        return if handling && overdue {
            signal(
                Colour::Red,
                "card.not_done",
                "逾期未完成".into(),
                "not done by the deadline".into(),
            )
        } else {
            None
        };
    }
    let stars = mean_stars_tenths(state);
    let stars_text = |t: u32| format!("{}.{}", t / 10, t % 10);
    if returns >= rules.red_min_returns {
        return signal(
            Colour::Red,
            "card.poor",
            format!("退办{returns}次,完成质量差"),
            format!("returned for rework {returns} times; poor quality"),
        );
    }
    if let Some(t) = stars.filter(|t| *t <= u32::from(rules.red_max_stars) * 10) {
        return signal(
            Colour::Red,
            "card.poor",
            format!("领导评价{}星,完成质量差", stars_text(t)),
            format!("leaders rated it {} stars; poor quality", stars_text(t)),
        );
    }
    let good_stars = stars.is_none_or(|t| t >= u32::from(rules.green_min_stars) * 10);
    if returns <= rules.green_max_returns && good_stars {
        return signal(
            Colour::Green,
            "card.good",
            "完成质量好".into(),
            "done well".into(),
        );
    }
    let (zh, en) = match stars {
        Some(t) if returns > rules.green_max_returns => (
            format!("退办{returns}次,领导评价{}星,完成质量一般", stars_text(t)),
            format!(
                "returned {returns} times, rated {} stars; done but mediocre",
                stars_text(t)
            ),
        ),
        Some(t) => (
            format!("领导评价{}星,完成质量一般", stars_text(t)),
            format!("rated {} stars; done but mediocre", stars_text(t)),
        ),
        None => (
            format!("退办{returns}次,完成质量一般"),
            format!("returned {returns} times; done but mediocre"),
        ),
    };
    signal(Colour::Yellow, "card.mediocre", zh, en)
}
