//! Periodic reports with figures (R1.4): the fields a recurrence asks for, the values a report
//! answering a request gives, and how one period's report is judged for the sheet.

use std::collections::BTreeMap;

use chrono::Duration;
use duban_core::domain::batch;
use duban_core::domain::command::ReportBody;
use duban_core::domain::derived::periodic::{
    period_report, period_start, request_starting, Timeliness,
};
use duban_core::domain::model::{Period, Recurrence, ReportId};
use duban_core::domain::policy::LateDays;
use duban_core::domain::{Command, EventKind, UserId};

use crate::support::*;

const INVESTMENT: &str = "本月完成投资（万元）";
const FIXED: &str = "整改完成数";

fn with_fields(fields: &[&str]) -> Recurrence {
    Recurrence {
        period: Period::Weekly,
        due_working_days: 1,
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn answer(n: u128, index: Option<u32>, vals: BTreeMap<String, String>) -> Command {
    Command::ReportProgress {
        report: ReportBody {
            values: vals,
            ..body(n, "本周进展")
        },
        percent: 20,
        milestone: None,
        answers: index,
    }
}

/// An item asking for two figures weekly, dispatched Monday 2 March 2026 to HANDLER,
/// received, and the request of period 1 (the week of 9 March, due end of Tue 10 March) made.
fn requested() -> World {
    requested_with(None)
}

/// [`requested`], with reports waiting for `approver` when one is given.
fn requested_with(approver: Option<UserId>) -> World {
    let mut reg = registration("annual_key_work", 1);
    reg.recurrence = Some(with_fields(&[INVESTMENT, FIXED]));
    let mut o = order(HANDLER);
    o.deadline = Some(end_of(2026, 3, 31));
    o.report_approver = approver;
    let mut w = World::at(local(2026, 3, 2, 9, 0));
    w.ok(SUPERVISOR, register(reg))
        .ok(SUPERVISOR, dispatch(o))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive);
    w.set_now(local(2026, 3, 9, 8, 0));
    let due = batch::due_report_requests(&w.state, w.now, &w.calendar);
    assert_eq!(due.len(), 1);
    for c in due {
        w.ok(UserId::SYSTEM, c);
    }
    w
}

#[test]
fn a_recurrences_fields_are_checked_at_registration_and_dispatch() {
    let refused_as = |fields: Vec<String>, code: &str| {
        let mut reg = registration("annual_key_work", 1);
        reg.recurrence = Some(Recurrence {
            fields,
            ..with_fields(&[])
        });
        let mut w = World::new();
        w.refused(SUPERVISOR, register(reg), code)
    };
    let refused = |fields: Vec<String>| refused_as(fields, "input.report_fields");
    let r = refused(vec![String::new()]);
    assert!(
        r.zh.contains("报送数据项名称") && r.en.contains("label"),
        "{r}"
    );
    refused(vec![INVESTMENT.into(), INVESTMENT.into()]);
    refused(vec!["长".repeat(51)]);
    // A label is one line, by the shared rule of characters.
    refused_as(vec!["两行\n标签".into()], "input.control_char");
    refused(vec![" 前有空格".into()]);
    refused((0..21).map(|i| format!("数据{i}")).collect());
    // Twenty labels of fifty characters are fine.
    let mut reg = registration("annual_key_work", 1);
    reg.recurrence = Some(Recurrence {
        fields: (0..20)
            .map(|i| format!("{i:02}{}", "数".repeat(48)))
            .collect(),
        ..with_fields(&[])
    });
    World::new().ok(SUPERVISOR, register(reg));

    // A dispatch that sets the recurrence is checked the same way.
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("annual_key_work", 1)));
    let mut o = order(HANDLER);
    o.report_every = Some(with_fields(&[FIXED, FIXED]));
    w.refused(SUPERVISOR, dispatch(o.clone()), "input.report_fields");
    o.report_every = Some(with_fields(&[FIXED]));
    w.ok(SUPERVISOR, dispatch(o));
    assert_eq!(
        w.state.recurrence.as_ref().map(|r| r.fields.clone()),
        Some(vec![FIXED.to_owned()])
    );
}

#[test]
fn a_report_answering_a_request_gives_every_figure_and_only_those() {
    let mut w = requested();
    w.set_now(local(2026, 3, 10, 10, 0));
    // None, or one missing: refused, naming the figure by its position.
    let r = w.refused(
        HANDLER,
        answer(1, Some(1), values(&[])),
        "input.report_value_missing",
    );
    assert!(r.zh.contains("第1项") && r.en.contains("figure 1"), "{r}");
    let r = w.refused(
        HANDLER,
        answer(1, Some(1), values(&[(INVESTMENT, "120")])),
        "input.report_value_missing",
    );
    assert!(r.zh.contains("第2项"), "{r}");
    w.refused(
        HANDLER,
        answer(1, Some(1), values(&[(INVESTMENT, "120"), (FIXED, "  ")])),
        "input.report_value_missing",
    );
    // One the item does not ask for.
    w.refused(
        HANDLER,
        answer(
            1,
            Some(1),
            values(&[(INVESTMENT, "120"), (FIXED, "3"), ("其他", "1")]),
        ),
        "input.report_value_unknown",
    );
    // Too long, or over two lines (the shared rule of characters).
    w.refused(
        HANDLER,
        answer(
            1,
            Some(1),
            values(&[(INVESTMENT, &"9".repeat(201)), (FIXED, "3")]),
        ),
        "input.report_value",
    );
    w.refused(
        HANDLER,
        answer(1, Some(1), values(&[(INVESTMENT, "1\n2"), (FIXED, "3")])),
        "input.control_char",
    );
    // Figures on a report that answers no request, or on a completion report.
    w.refused(
        HANDLER,
        answer(1, None, values(&[(INVESTMENT, "120"), (FIXED, "3")])),
        "input.report_values",
    );
    w.refused(
        HANDLER,
        Command::ReportCompletion {
            report: ReportBody {
                values: values(&[(INVESTMENT, "120")]),
                ..body(2, "已完成")
            },
        },
        "input.report_values",
    );
    // An unknown request is refused as such, before its figures are looked at.
    w.refused(
        HANDLER,
        answer(1, Some(9), values(&[])),
        "input.unknown_request",
    );
    // A progress report answering nothing needs no figures.
    w.ok(HANDLER, answer(3, None, values(&[])));

    // Every figure: accepted, and the event carries them.
    let given = values(&[(INVESTMENT, "120.5"), (FIXED, "3")]);
    w.ok(HANDLER, answer(4, Some(1), given.clone()));
    match &w.events.last().map(|e| &e.kind) {
        Some(EventKind::ProgressReported {
            report, answers, ..
        }) => {
            assert_eq!(report.values, given);
            assert_eq!(*answers, Some(1));
        }
        other => panic!("expected a progress report, got {other:?}"),
    }
    assert!(w.state.report_requests[0].answered.is_some());
}

#[test]
fn older_data_without_fields_or_values_reads_and_hashes_as_before() {
    // No `fields` and no `values` are written when there are none: older events' encoding,
    // and so their trail hashes, are unchanged.
    let plain = serde_json::to_value(with_fields(&[])).expect("json");
    assert_eq!(
        plain,
        serde_json::json!({"period": "weekly", "due_working_days": 1})
    );
    let report = serde_json::to_value(body(1, "进展")).expect("json");
    assert!(report.get("values").is_none(), "{report}");
    // And older data reads.
    let old: Recurrence =
        serde_json::from_value(serde_json::json!({"period": "monthly", "due_working_days": 5}))
            .expect("older recurrence");
    assert!(old.fields.is_empty());
    let old: ReportBody = serde_json::from_value(serde_json::json!({
        "id": ReportId::from_u128(1), "text": "进展", "evidence": []
    }))
    .expect("older report");
    assert!(old.values.is_empty());
    // With figures, both are written.
    let with = serde_json::to_value(with_fields(&[FIXED])).expect("json");
    assert_eq!(with["fields"], serde_json::json!([FIXED]));
}

#[test]
fn one_periods_report_is_on_time_late_missing_or_not_due() {
    let late_days = LateDays::Working;
    let all = values(&[(INVESTMENT, "1"), (FIXED, "2")]);

    // Not due yet, then missing once its due time (end of Tue 10 March) has passed.
    let w = requested();
    let r = period_report(&w.state, 1, w.now, &w.calendar, late_days);
    assert_eq!(r.timeliness, Timeliness::NotDue);
    assert!(r.report.is_none() && r.request.is_some());
    let r = period_report(&w.state, 1, end_of(2026, 3, 11), &w.calendar, late_days);
    assert_eq!(r.timeliness, Timeliness::Missing);
    assert!(r.timeliness.marked());
    // A period never requested.
    let r = period_report(&w.state, 2, end_of(2026, 3, 11), &w.calendar, late_days);
    assert_eq!(r.timeliness, Timeliness::NotRequested);
    assert!(!r.timeliness.marked());

    // On time: filed Tuesday.
    let mut on_time = requested();
    on_time
        .set_now(local(2026, 3, 10, 17, 0))
        .ok(HANDLER, answer(1, Some(1), all.clone()));
    let r = period_report(
        &on_time.state,
        1,
        end_of(2026, 3, 20),
        &on_time.calendar,
        late_days,
    );
    assert_eq!(r.timeliness, Timeliness::OnTime);
    assert_eq!(r.report.map(|x| x.at), Some(local(2026, 3, 10, 17, 0)));
    assert!(!r.awaiting_approval);

    // Late: filed Monday 16 March, four working days after the end of Tuesday 10 March
    // (Wednesday, Thursday, Friday and part of Monday).
    let mut late = requested();
    late.set_now(local(2026, 3, 16, 9, 0))
        .ok(HANDLER, answer(1, Some(1), all.clone()));
    let r = period_report(
        &late.state,
        1,
        end_of(2026, 3, 20),
        &late.calendar,
        late_days,
    );
    assert_eq!(r.timeliness, Timeliness::Late { days: 4 });
    let r = period_report(
        &late.state,
        1,
        end_of(2026, 3, 20),
        &late.calendar,
        LateDays::Calendar,
    );
    assert_eq!(r.timeliness, Timeliness::Late { days: 6 });

    // Waiting for its approver: judged by when it was filed, and marked as waiting.
    let mut waiting = requested_with(Some(APPROVER));
    waiting
        .set_now(local(2026, 3, 10, 11, 0))
        .ok(HANDLER, answer(1, Some(1), all));
    let r = period_report(
        &waiting.state,
        1,
        end_of(2026, 3, 20),
        &waiting.calendar,
        late_days,
    );
    assert_eq!(r.timeliness, Timeliness::OnTime);
    assert!(r.awaiting_approval);
    assert!(waiting.state.report_requests[0].answered.is_none());

    // The period's first day, and finding an item's request by it.
    let start = period_start(&w.state, 1, &w.calendar).expect("a start");
    assert_eq!(start.to_string(), "2026-03-09");
    assert_eq!(request_starting(&w.state, start, &w.calendar), Some(1));
    assert_eq!(
        request_starting(&w.state, start + Duration::days(7), &w.calendar),
        None
    );
}
