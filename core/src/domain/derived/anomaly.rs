//! Anomalies for dynamic monitoring (动态监测, R8.5): what leaders, the office and the
//! discipline inspectors should look at — items overdue and not reported, escalated items
//! still open, items returned for rework repeatedly and items extended repeatedly — each with
//! its reason in words a person can act on. Pure: a function of the state, the moment, the
//! calendar and the policy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::signal::timeliness_light;
use crate::domain::calendar::Calendar;
use crate::domain::policy::Policy;
use crate::domain::state::{ExtensionOutcome, TaskState};

/// How many returns for rework, or extension requests, make a repetition worth watching.
pub const REPEATED: usize = 2;

/// What kind of anomaly an item shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// 逾期未报: past the deadline in force and not reported (the red light `light.overdue`).
    Overdue,
    /// 督办升级: escalated after repeated urging, and still being handled.
    Escalated,
    /// 多次退办: the completion was returned for rework [`REPEATED`] times or more.
    ReturnedRepeatedly,
    /// 多次延时: [`REPEATED`] or more extension requests (approved or not).
    ExtendedRepeatedly,
}

impl AnomalyKind {
    /// Every kind, in the order monitoring lists them.
    pub const ALL: [AnomalyKind; 4] = [
        AnomalyKind::Overdue,
        AnomalyKind::Escalated,
        AnomalyKind::ReturnedRepeatedly,
        AnomalyKind::ExtendedRepeatedly,
    ];

    /// Stable code, e.g. `anomaly.overdue`.
    pub fn code(self) -> &'static str {
        match self {
            AnomalyKind::Overdue => "anomaly.overdue",
            AnomalyKind::Escalated => "anomaly.escalated",
            AnomalyKind::ReturnedRepeatedly => "anomaly.returned_repeatedly",
            AnomalyKind::ExtendedRepeatedly => "anomaly.extended_repeatedly",
        }
    }

    /// The kind's name in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            AnomalyKind::Overdue => "逾期未报",
            AnomalyKind::Escalated => "督办升级",
            AnomalyKind::ReturnedRepeatedly => "多次退办",
            AnomalyKind::ExtendedRepeatedly => "多次延时",
        }
    }

    /// The kind's name in English.
    pub fn name_en(self) -> &'static str {
        match self {
            AnomalyKind::Overdue => "Overdue",
            AnomalyKind::Escalated => "Escalated",
            AnomalyKind::ReturnedRepeatedly => "Returned repeatedly",
            AnomalyKind::ExtendedRepeatedly => "Extended repeatedly",
        }
    }
}

/// One anomaly of one item, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// What kind.
    pub kind: AnomalyKind,
    /// Why, in Chinese, e.g. `已退办 2 次`.
    pub zh: String,
    /// Why, in English, e.g. `returned for rework 2 times`.
    pub en: String,
}

/// The anomalies the item shows at `now`, in the order of [`AnomalyKind::ALL`].
pub fn anomalies(
    state: &TaskState,
    now: DateTime<Utc>,
    calendar: &Calendar,
    policy: &Policy,
) -> Vec<Anomaly> {
    let mut out = Vec::new();
    if let Some(light) = timeliness_light(state, now, calendar, policy) {
        if light.code == "light.overdue" {
            out.push(Anomaly {
                kind: AnomalyKind::Overdue,
                zh: light.zh,
                en: light.en,
            });
        }
    }
    if let Some(m) = state.escalated.filter(|_| state.status.is_handling()) {
        let day = calendar.to_local(m.at).format("%Y-%m-%d");
        out.push(Anomaly {
            kind: AnomalyKind::Escalated,
            zh: format!("催办 {} 次未果,{day} 督办升级", state.urges.len()),
            en: format!(
                "urged {} times without result; escalated on {day}",
                state.urges.len()
            ),
        });
    }
    let returns = state.returns.len();
    if returns >= REPEATED {
        out.push(Anomaly {
            kind: AnomalyKind::ReturnedRepeatedly,
            zh: format!("已退办 {returns} 次"),
            en: format!("returned for rework {returns} times"),
        });
    }
    let requests = state.extensions.len();
    if requests >= REPEATED {
        let approved = state
            .extensions
            .iter()
            .filter(|e| e.outcome == ExtensionOutcome::Approved)
            .count();
        out.push(Anomaly {
            kind: AnomalyKind::ExtendedRepeatedly,
            zh: format!("申请延时 {requests} 次,获批 {approved} 次"),
            en: format!("{requests} extension requests, {approved} approved"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::domain::model::{Assignee, UnitId, UserId};
    use crate::domain::state::{
        ExtensionRecord, Mark, ReturnRecord, Status, TaskState, UrgeRecord,
    };

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()
    }

    fn mark(days_ago: i64) -> Mark {
        Mark {
            by: UserId::from_u128(1),
            at: now() - Duration::days(days_ago),
            seq: 1,
        }
    }

    /// An item in progress, due `due_in` days from now.
    fn item(due_in: i64) -> TaskState {
        TaskState {
            version: 3,
            status: Status::InProgress,
            created: Some(mark(30)),
            lead: Some(Assignee {
                unit: UnitId::from_u128(2),
                user: None,
            }),
            dispatched: Some(mark(29)),
            received: Some(mark(28)),
            deadline: Some(now() + Duration::days(due_in)),
            ..TaskState::default()
        }
    }

    fn kinds(s: &TaskState) -> Vec<AnomalyKind> {
        anomalies(s, now(), &Calendar::builtin(), &Policy::default())
            .into_iter()
            .map(|a| a.kind)
            .collect()
    }

    fn returned(s: &mut TaskState) {
        s.returns.push(ReturnRecord {
            mark: mark(5),
            new_deadline: now() + Duration::days(20),
            deadline_before: s.deadline,
            deadline_before_seq: 1,
            returned_report: Some(mark(6)),
        });
    }

    fn extension(s: &mut TaskState, nth: u8, outcome: ExtensionOutcome) {
        s.extensions.push(ExtensionRecord {
            by: Some(UserId::from_u128(3)),
            nth,
            until: now() + Duration::days(40),
            at: now() - Duration::days(3),
            seq: 4,
            outcome,
            decided_seq: None,
        });
    }

    #[test]
    fn an_item_on_track_shows_nothing() {
        assert!(kinds(&item(20)).is_empty());
    }

    #[test]
    fn an_item_past_its_deadline_is_overdue_with_the_lights_reason() {
        let s = item(-3);
        let a = anomalies(&s, now(), &Calendar::builtin(), &Policy::default());
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].kind, AnomalyKind::Overdue);
        assert!(a[0].zh.contains("逾期"), "{}", a[0].zh);
    }

    #[test]
    fn escalation_counts_while_the_item_is_handled() {
        let mut s = item(20);
        s.escalated = Some(mark(1));
        s.urges = vec![UrgeRecord { mark: mark(3) }, UrgeRecord { mark: mark(2) }];
        let a = anomalies(&s, now(), &Calendar::builtin(), &Policy::default());
        assert_eq!(a[0].kind, AnomalyKind::Escalated);
        assert!(a[0].zh.contains("催办 2 次"), "{}", a[0].zh);
        s.status = Status::Revoked;
        assert!(!kinds(&s).contains(&AnomalyKind::Escalated));
    }

    #[test]
    fn one_return_is_not_repeated_two_are() {
        let mut s = item(20);
        returned(&mut s);
        assert!(kinds(&s).is_empty());
        returned(&mut s);
        assert_eq!(kinds(&s), vec![AnomalyKind::ReturnedRepeatedly]);
    }

    #[test]
    fn two_extension_requests_are_repeated_whatever_their_outcome() {
        let mut s = item(20);
        extension(&mut s, 1, ExtensionOutcome::Approved);
        assert!(kinds(&s).is_empty());
        extension(&mut s, 2, ExtensionOutcome::Refused);
        let a = anomalies(&s, now(), &Calendar::builtin(), &Policy::default());
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].kind, AnomalyKind::ExtendedRepeatedly);
        assert_eq!(a[0].zh, "申请延时 2 次,获批 1 次");
    }

    #[test]
    fn the_kinds_come_in_the_order_monitoring_lists_them() {
        let mut s = item(-2);
        s.escalated = Some(mark(1));
        returned(&mut s);
        returned(&mut s);
        extension(&mut s, 1, ExtensionOutcome::Approved);
        extension(&mut s, 2, ExtensionOutcome::Approved);
        assert_eq!(kinds(&s), AnomalyKind::ALL.to_vec());
    }
}
