//! The working-day calendar: every day of 2024–2026 against the State Council notices, deadline
//! arithmetic across the long breaks, edits and imports, and the time arithmetic used when an
//! item is suspended.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use duban_core::domain::calendar::{
    Calendar, CalendarError, DayKind, SpecialDay, SpecialKind, YearData,
};
use proptest::prelude::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The instant of a Beijing wall-clock time (+08:00).
fn bj(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    let local = date(y, m, d).and_hms_opt(h, min, 0).unwrap();
    DateTime::from_naive_utc_and_offset(local - Duration::hours(8), Utc)
}

fn hm(h: i64, m: i64) -> Duration {
    Duration::hours(h) + Duration::minutes(m)
}

// ----- the expected table, written from the notices' text (not from the data files) ----------

/// A holiday break: first and last day (inclusive), as the notice says "X月X日至X日放假".
type Break = ((u32, u32), (u32, u32));

/// 国办发明电〔2023〕7号. 元旦 and 端午 are single days "与周末连休" (joined to the weekend, which
/// stays a weekend).
const BREAKS_2024: &[Break] = &[
    ((1, 1), (1, 1)),
    ((2, 10), (2, 17)),
    ((4, 4), (4, 6)),
    ((5, 1), (5, 5)),
    ((6, 10), (6, 10)),
    ((9, 15), (9, 17)),
    ((10, 1), (10, 7)),
];
const WORKING_2024: &[(u32, u32)] = &[
    (2, 4),
    (2, 18),
    (4, 7),
    (4, 28),
    (5, 11),
    (9, 14),
    (9, 29),
    (10, 12),
];

/// 国办发明电〔2024〕12号.
const BREAKS_2025: &[Break] = &[
    ((1, 1), (1, 1)),
    ((1, 28), (2, 4)),
    ((4, 4), (4, 6)),
    ((5, 1), (5, 5)),
    ((5, 31), (6, 2)),
    ((10, 1), (10, 8)),
];
const WORKING_2025: &[(u32, u32)] = &[(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)];

/// 国办发明电〔2025〕7号.
const BREAKS_2026: &[Break] = &[
    ((1, 1), (1, 3)),
    ((2, 15), (2, 23)),
    ((4, 4), (4, 6)),
    ((5, 1), (5, 5)),
    ((6, 19), (6, 21)),
    ((9, 25), (9, 27)),
    ((10, 1), (10, 7)),
];
const WORKING_2026: &[(u32, u32)] = &[(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)];

fn expected_kind(d: NaiveDate) -> DayKind {
    let (breaks, working) = match d.year() {
        2024 => (BREAKS_2024, WORKING_2024),
        2025 => (BREAKS_2025, WORKING_2025),
        2026 => (BREAKS_2026, WORKING_2026),
        _ => (&[][..], &[][..]),
    };
    let md = (d.month(), d.day());
    if breaks.iter().any(|&(from, to)| from <= md && md <= to) {
        DayKind::Holiday
    } else if working.contains(&md) {
        DayKind::AdjustedWorkday
    } else if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        DayKind::Weekend
    } else {
        DayKind::Workday
    }
}

#[test]
fn every_day_of_2024_to_2026_matches_the_notices() {
    let calendar = Calendar::builtin();
    let mut d = date(2024, 1, 1);
    let mut checked = 0;
    let mut holidays = 0;
    while d <= date(2026, 12, 31) {
        let expected = expected_kind(d);
        assert_eq!(calendar.day_kind(d), expected, "{d}");
        assert_eq!(calendar.is_working_day(d), expected.is_working(), "{d}");
        holidays += usize::from(expected == DayKind::Holiday);
        checked += 1;
        d = d.succ_opt().unwrap();
    }
    assert_eq!(checked, 366 + 365 + 365);
    assert_eq!(holidays, 28 + 28 + 33);
}

#[test]
fn special_days_list_every_holiday_and_adjusted_working_day_in_order() {
    let calendar = Calendar::builtin();
    for (year, working) in [
        (2024, WORKING_2024),
        (2025, WORKING_2025),
        (2026, WORKING_2026),
    ] {
        let days = calendar.special_days(year);
        assert!(
            days.windows(2).all(|w| w[0].date < w[1].date),
            "{year} sorted"
        );
        let adjusted: Vec<_> = days
            .iter()
            .filter(|d| d.kind == SpecialKind::Working)
            .map(|d| (d.date.month(), d.date.day()))
            .collect();
        assert_eq!(adjusted, working, "{year}");
        assert!(days
            .iter()
            .all(|d| !d.name.is_empty() && !d.name_en.is_empty()));
        let source = calendar.year(year).unwrap().source.as_ref().unwrap();
        assert!(source.title.contains(&year.to_string()), "{year}");
    }
    let notices: Vec<_> = [2024, 2025, 2026]
        .iter()
        .map(|y| {
            calendar
                .year(*y)
                .unwrap()
                .source
                .as_ref()
                .unwrap()
                .number
                .clone()
        })
        .collect();
    assert_eq!(
        notices,
        [
            "国办发明电〔2023〕7号",
            "国办发明电〔2024〕12号",
            "国办发明电〔2025〕7号"
        ]
    );
    let first = &calendar.special_days(2026)[0];
    assert_eq!(
        (first.date, first.kind, first.name.as_str()),
        (date(2026, 1, 1), SpecialKind::Holiday, "元旦")
    );
}

#[test]
fn adjusted_working_weekends_are_working_days() {
    let calendar = Calendar::builtin();
    for d in [
        date(2024, 2, 4),
        date(2024, 2, 18),
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ] {
        assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{d}");
        assert_eq!(calendar.day_kind(d), DayKind::AdjustedWorkday, "{d}");
    }
    // A holiday on a weekend is listed (named) as a holiday.
    assert_eq!(calendar.day_kind(date(2026, 1, 3)), DayKind::Holiday);
    // 除夕 2024 (2月9日) was only "encouraged" as a rest day: still a working day.
    assert_eq!(calendar.day_kind(date(2024, 2, 9)), DayKind::Workday);
}

#[test]
fn deadlines_span_the_spring_festival_and_national_day() {
    let calendar = Calendar::builtin();
    // 2024: Fri 9 Feb is the last working day; the next is the adjusted Sunday 18 Feb.
    assert_eq!(
        calendar.add_working_days(date(2024, 2, 9), 1),
        date(2024, 2, 18)
    );
    assert_eq!(
        calendar.add_working_days(date(2024, 2, 9), 2),
        date(2024, 2, 19)
    );
    // 2025: Mon 27 Jan, then the break 28 Jan – 4 Feb, then Sat 8 Feb works.
    assert_eq!(
        calendar.add_working_days(date(2025, 1, 27), 1),
        date(2025, 2, 5)
    );
    assert_eq!(
        calendar.add_working_days(date(2025, 1, 27), 4),
        date(2025, 2, 8)
    );
    assert_eq!(
        calendar.add_working_days(date(2025, 1, 27), 5),
        date(2025, 2, 10)
    );
    // 2026: the adjusted Saturday 14 Feb is the last working day before 15–23 Feb.
    assert_eq!(
        calendar.add_working_days(date(2026, 2, 13), 1),
        date(2026, 2, 14)
    );
    assert_eq!(
        calendar.add_working_days(date(2026, 2, 14), 1),
        date(2026, 2, 24)
    );
    assert_eq!(
        calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 24)),
        2
    );
    assert_eq!(
        calendar.working_days_between(date(2026, 2, 24), date(2026, 2, 13)),
        -2
    );
    // National Day 2025 (8 days) and 2026 (7 days).
    assert_eq!(
        calendar.add_working_days(date(2025, 9, 30), 1),
        date(2025, 10, 9)
    );
    assert_eq!(
        calendar.add_working_days(date(2025, 9, 30), 3),
        date(2025, 10, 11)
    );
    assert_eq!(
        calendar.add_working_days(date(2026, 9, 30), 1),
        date(2026, 10, 8)
    );
    assert_eq!(
        calendar.add_working_days(date(2026, 9, 30), 3),
        date(2026, 10, 10)
    );
    // Ten working days from Tue 10 Feb 2026, 10:00: 11, 12, 13, 14, 24, 25, 26, 27, 28 Feb and
    // 2 Mar; due at the end of 2 Mar, i.e. local midnight starting 3 Mar.
    let start = bj(2026, 2, 10, 10, 0);
    assert_eq!(
        calendar.deadline_after_working_days(start, 10),
        bj(2026, 3, 3, 0, 0)
    );
    assert_eq!(
        calendar.deadline_after_working_days(start, 0),
        bj(2026, 2, 11, 0, 0)
    );
    // A year of working days across two years of data.
    let a_year = calendar.add_working_days(date(2024, 6, 1), 250);
    assert_eq!(calendar.working_days_between(date(2024, 6, 1), a_year), 250);
    assert!(calendar.is_working_day(a_year));
}

#[test]
fn deadlines_roll_forward_off_holidays() {
    let calendar = Calendar::builtin();
    assert_eq!(calendar.roll_forward(date(2025, 10, 1)), date(2025, 10, 9));
    assert_eq!(calendar.roll_forward(date(2026, 2, 15)), date(2026, 2, 24));
    assert_eq!(calendar.roll_forward(date(2026, 1, 4)), date(2026, 1, 4));
    assert_eq!(calendar.roll_forward(date(2026, 3, 7)), date(2026, 3, 9));
    assert_eq!(
        calendar.add_working_days(date(2026, 10, 3), 0),
        date(2026, 10, 8)
    );
    assert_eq!(
        calendar.next_working_day(date(2026, 1, 4)),
        date(2026, 1, 5)
    );

    // An instant on a holiday keeps its time of day.
    assert_eq!(
        calendar.roll_forward_instant(bj(2026, 10, 3, 15, 0)),
        bj(2026, 10, 8, 15, 0)
    );
    assert_eq!(
        calendar.roll_forward_instant(bj(2026, 9, 30, 15, 0)),
        bj(2026, 9, 30, 15, 0)
    );
    // Due at the end of 1 Oct (a holiday): the end of 8 Oct.
    assert_eq!(
        calendar.roll_forward_instant(calendar.end_of_day(date(2026, 10, 1))),
        calendar.end_of_day(date(2026, 10, 8))
    );
    // Due at the end of 30 Sep (a working day), i.e. midnight starting the holiday: stays.
    let eod = calendar.end_of_day(date(2026, 9, 30));
    assert_eq!(calendar.roll_forward_instant(eod), eod);
}

#[test]
fn a_year_without_data_is_provisional_and_uses_weekends_only() {
    let calendar = Calendar::builtin();
    assert!(!calendar.is_provisional(2026));
    assert!(calendar.is_provisional(2027));
    assert!(calendar.is_provisional(2023));
    assert!(calendar.year(2027).is_none());
    assert!(calendar.special_days(2027).is_empty());
    // 1 Jan 2027 is a Friday: a working day until the 2027 notice is imported.
    assert_eq!(calendar.day_kind(date(2027, 1, 1)), DayKind::Workday);
    assert_eq!(calendar.day_kind(date(2027, 1, 2)), DayKind::Weekend);
    assert_eq!(
        calendar.add_working_days(date(2026, 12, 31), 1),
        date(2027, 1, 1)
    );
    assert_eq!(
        calendar.add_working_days(date(2027, 1, 1), 5),
        date(2027, 1, 8)
    );
    let empty = Calendar::empty(480);
    assert!(empty.is_provisional(2026));
    assert_eq!(empty.day_kind(date(2026, 10, 1)), DayKind::Workday);
}

const YEAR_2027: &str = r#"{
  "year": 2027,
  "days": [
    {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "name_en": "New Year's Day"},
    {"date": "2027-01-02", "kind": "holiday", "name": "元旦", "name_en": "New Year's Day"},
    {"date": "2027-01-09", "kind": "working", "name": "元旦调休", "name_en": "New Year's Day adjusted working day"}
  ]
}"#;

#[test]
fn an_imported_year_replaces_the_provisional_rule_and_can_be_replaced() {
    let mut calendar = Calendar::builtin();
    assert_eq!(calendar.import_year_json(YEAR_2027), Ok(2027));
    assert!(!calendar.is_provisional(2027));
    assert_eq!(calendar.day_kind(date(2027, 1, 1)), DayKind::Holiday);
    assert_eq!(calendar.day_kind(date(2027, 1, 2)), DayKind::Holiday);
    assert_eq!(
        calendar.day_kind(date(2027, 1, 9)),
        DayKind::AdjustedWorkday
    );
    assert_eq!(
        calendar.add_working_days(date(2026, 12, 31), 1),
        date(2027, 1, 4)
    );
    assert_eq!(calendar.special_days(2027).len(), 3);

    // Importing again replaces the whole year.
    let replacement = YearData {
        year: 2027,
        source: None,
        days: vec![SpecialDay {
            date: date(2027, 2, 5),
            kind: SpecialKind::Holiday,
            name: "春节".into(),
            name_en: "Spring Festival".into(),
        }],
        provisional: false,
    };
    assert_eq!(calendar.import_year(replacement), Ok(2027));
    assert_eq!(calendar.day_kind(date(2027, 1, 1)), DayKind::Workday);
    assert_eq!(calendar.day_kind(date(2027, 1, 9)), DayKind::Weekend);
    assert_eq!(calendar.day_kind(date(2027, 2, 5)), DayKind::Holiday);
    assert!(!calendar.is_provisional(2027));

    // Data listed out of order is kept sorted.
    let mut unsorted: YearData = serde_json::from_str(YEAR_2027).unwrap();
    unsorted.days.reverse();
    calendar.import_year(unsorted).unwrap();
    let dates: Vec<_> = calendar.special_days(2027).iter().map(|d| d.date).collect();
    assert_eq!(
        dates,
        [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 9)]
    );
}

#[test]
fn an_administrator_can_edit_a_day() {
    let mut calendar = Calendar::builtin();
    // A local holiday on a Tuesday.
    calendar.set_day(
        date(2026, 3, 10),
        Some(SpecialKind::Holiday),
        "地方假日",
        "Local holiday",
    );
    assert_eq!(calendar.day_kind(date(2026, 3, 10)), DayKind::Holiday);
    assert_eq!(
        calendar.add_working_days(date(2026, 3, 9), 1),
        date(2026, 3, 11)
    );
    // A Saturday made a working day.
    calendar.set_day(
        date(2026, 3, 14),
        Some(SpecialKind::Working),
        "补班",
        "Make-up day",
    );
    assert_eq!(
        calendar.day_kind(date(2026, 3, 14)),
        DayKind::AdjustedWorkday
    );
    let days = calendar.special_days(2026);
    assert!(days.windows(2).all(|w| w[0].date < w[1].date));
    assert!(days
        .iter()
        .any(|d| d.date == date(2026, 3, 10) && d.name == "地方假日"));
    // Reset a statutory holiday to the plain rule (Thursday 1 Oct 2026).
    calendar.set_day(date(2026, 10, 1), None, "", "");
    assert_eq!(calendar.day_kind(date(2026, 10, 1)), DayKind::Workday);
    // "Working" on a Monday–Friday is the plain rule: it clears the holiday on 2 Oct.
    calendar.set_day(date(2026, 10, 2), Some(SpecialKind::Working), "x", "x");
    assert_eq!(calendar.day_kind(date(2026, 10, 2)), DayKind::Workday);
    // Overwrite one kind with the other.
    calendar.set_day(
        date(2026, 10, 3),
        Some(SpecialKind::Working),
        "补班",
        "Make-up day",
    );
    assert_eq!(
        calendar.day_kind(date(2026, 10, 3)),
        DayKind::AdjustedWorkday
    );
    assert!(!calendar.is_provisional(2026));

    // Editing a provisional year keeps it provisional; resetting the edit restores it.
    let before = calendar.clone();
    calendar.set_day(date(2028, 5, 2), Some(SpecialKind::Holiday), "测试", "Test");
    assert!(calendar.is_provisional(2028));
    assert_eq!(calendar.day_kind(date(2028, 5, 2)), DayKind::Holiday);
    assert!(calendar.year(2028).is_some());
    calendar.set_day(date(2028, 5, 2), None, "", "");
    assert_eq!(calendar, before);
}

#[test]
fn bad_year_data_is_refused_with_stable_codes() {
    fn refuse(json: &str) -> CalendarError {
        let mut calendar = Calendar::builtin();
        let before = calendar.clone();
        let err = calendar.import_year_json(json).unwrap_err();
        assert_eq!(calendar, before, "a refused import changes nothing");
        err
    }
    let day = |date: &str, kind: &str| {
        format!(r#"{{"date":"{date}","kind":"{kind}","name":"n","name_en":"n"}}"#)
    };
    let year = |y: i32, days: &[String]| format!(r#"{{"year":{y},"days":[{}]}}"#, days.join(","));

    let cases = [
        ("not json".to_string(), "calendar.bad_json"),
        (r#"{"year":2027}"#.to_string(), "calendar.bad_json"),
        (
            year(2027, &[day("2027-02-30", "holiday")]),
            "calendar.bad_json",
        ),
        (
            year(2027, &[day("2027-02-01", "rest")]),
            "calendar.bad_json",
        ),
        (year(1800, &[]), "calendar.out_of_range"),
        (year(20270, &[]), "calendar.out_of_range"),
        (
            year(2027, &[day("2026-12-31", "holiday")]),
            "calendar.year_mismatch",
        ),
        (
            year(
                2027,
                &[day("2027-01-01", "holiday"), day("2027-01-01", "holiday")],
            ),
            "calendar.duplicate_day",
        ),
        // 2027-01-04 is a Monday.
        (
            year(2027, &[day("2027-01-04", "working")]),
            "calendar.working_not_weekend",
        ),
    ];
    for (json, code) in cases {
        let err = refuse(&json);
        assert_eq!(err.code(), code, "{json}");
        assert_eq!(
            err.to_string(),
            format!("{} / {}", err.message_zh(), err.message_en())
        );
        assert!(!err.message_zh().is_empty() && err.message_zh() != err.message_en());
    }
    // A holiday may fall on any day, including a weekend.
    let mut calendar = Calendar::builtin();
    assert_eq!(
        calendar.import_year_json(&year(2027, &[day("2027-01-02", "holiday")])),
        Ok(2027)
    );
}

#[test]
fn working_time_skips_holidays_to_the_minute() {
    let calendar = Calendar::builtin();
    // Wed 30 Sep 15:30 to Fri 9 Oct 09:15, 2026: 8h30 on 30 Sep, 1–7 Oct off, 24h on 8 Oct,
    // 9h15 on 9 Oct.
    let from = bj(2026, 9, 30, 15, 30);
    let to = bj(2026, 10, 9, 9, 15);
    let expected = hm(8, 30) + hm(24, 0) + hm(9, 15);
    assert_eq!(calendar.working_time_between(from, to), expected);
    assert_eq!(calendar.add_working_time(from, expected), to);
    assert_eq!(calendar.working_time_between(to, from), Duration::zero());

    // Starting inside the break: nothing counts until 8 Oct.
    let inside = bj(2026, 10, 3, 12, 0);
    assert_eq!(
        calendar.working_time_between(inside, bj(2026, 10, 8, 6, 0)),
        hm(6, 0)
    );
    assert_eq!(
        calendar.add_working_time(inside, hm(6, 0)),
        bj(2026, 10, 8, 6, 0)
    );
    assert_eq!(calendar.add_working_time(inside, hm(0, 0)), inside);
    assert_eq!(calendar.add_working_time(inside, -hm(5, 0)), inside);
    // Time that runs out exactly at the end of a working day lands on that day's end.
    assert_eq!(
        calendar.add_working_time(inside, hm(24, 0)),
        calendar.end_of_day(date(2026, 10, 8))
    );
    assert_eq!(
        calendar.add_working_time(calendar.end_of_day(date(2026, 9, 30)), hm(48, 0)),
        calendar.end_of_day(date(2026, 10, 9))
    );

    // Suspension: suspended Mon 9 Feb 2026 14:00 to Wed 25 Feb 2026 10:00 (across the Spring
    // Festival): 10h on 9 Feb, 24h on each of 10–14 Feb (14 Feb is an adjusted working day),
    // 24h on 24 Feb, 10h on 25 Feb.
    let suspended = calendar.working_time_between(bj(2026, 2, 9, 14, 0), bj(2026, 2, 25, 10, 0));
    assert_eq!(suspended, hm(10, 0) + hm(24 * 6, 0) + hm(10, 0));
    // A deadline at the end of Thu 12 Feb moves by that much working time.
    let deadline = calendar.end_of_day(date(2026, 2, 12));
    let moved = calendar.add_working_time(deadline, suspended);
    // 13, 14, 24, 25, 26, 27 Feb are whole working days (144h), then 20h into Sat 28 Feb
    // (an adjusted working day).
    assert_eq!(moved, bj(2026, 2, 28, 20, 0));
    assert_eq!(calendar.working_time_between(deadline, moved), suspended);

    // Seconds and nanoseconds are kept.
    let odd = Duration::seconds(3 * 86_400 + 17) + Duration::nanoseconds(5);
    let start = bj(2025, 1, 27, 23, 59);
    let end = calendar.add_working_time(start, odd);
    assert_eq!(calendar.working_time_between(start, end), odd);

    // Centuries of time stay exact and quick. 3 Jan 2190 is a Sunday, so the earliest instant
    // with the same working time is the end of Friday 1 Jan.
    let long = calendar.working_time_between(bj(1990, 1, 1, 0, 0), bj(2190, 1, 3, 12, 0));
    assert_eq!(
        calendar.add_working_time(bj(1990, 1, 1, 0, 0), long),
        bj(2190, 1, 2, 0, 0)
    );
}

#[test]
fn end_of_day_and_due_date_are_inverse() {
    let calendar = Calendar::builtin();
    assert_eq!(
        calendar.end_of_day(date(2026, 1, 1)).to_rfc3339(),
        "2026-01-01T16:00:00+00:00"
    );
    for offset in [480, 0, -300, 345] {
        let calendar = Calendar::empty(offset);
        assert_eq!(calendar.utc_offset().local_minus_utc(), offset * 60);
        let mut d = date(2024, 1, 1);
        while d <= date(2026, 12, 31) {
            let eod = calendar.end_of_day(d);
            assert_eq!(calendar.due_date(eod), d, "{d} at {offset}");
            assert_eq!(calendar.due_date(eod - Duration::nanoseconds(1)), d);
            assert_eq!(
                calendar.due_date(eod + Duration::nanoseconds(1)),
                d.succ_opt().unwrap()
            );
            assert_eq!(calendar.from_local(calendar.to_local(eod)), eod);
            d = d.succ_opt().unwrap();
        }
    }
}

fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = bj(2023, 7, 1, 0, 0).timestamp();
    let hi = bj(2027, 7, 1, 0, 0).timestamp();
    (lo..hi, prop_oneof![Just(0u32), 0..1_000_000_000u32])
        .prop_map(|(s, ns)| DateTime::from_timestamp(s, ns).unwrap())
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0i64..(5 * 366)).prop_map(|i| date(2023, 6, 1) + Duration::days(i))
}

proptest! {
    #[test]
    fn add_working_time_inverts_working_time_between(
        t in any_instant(),
        secs in prop_oneof![0i64..86_400, 0i64..(800 * 86_400), (0i64..800).prop_map(|d| d * 86_400)],
        nanos in prop_oneof![Just(0i64), 0i64..1_000_000_000],
    ) {
        let calendar = Calendar::builtin();
        let d = Duration::seconds(secs) + Duration::nanoseconds(nanos);
        let end = calendar.add_working_time(t, d);
        prop_assert!(end >= t);
        prop_assert_eq!(calendar.working_time_between(t, end), d);
        if d > Duration::zero() {
            // The earliest such instant: the last nanosecond before it is working time.
            let just_before = end - Duration::nanoseconds(1);
            prop_assert_eq!(calendar.working_time_between(t, just_before), d - Duration::nanoseconds(1));
        }
    }

    #[test]
    fn working_time_between_is_additive(a in any_instant(), b in any_instant(), c in any_instant()) {
        let calendar = Calendar::builtin();
        let mut v = [a, b, c];
        v.sort();
        let [a, b, c] = v;
        prop_assert_eq!(
            calendar.working_time_between(a, c),
            calendar.working_time_between(a, b) + calendar.working_time_between(b, c)
        );
    }

    #[test]
    fn add_working_days_lands_on_the_nth_working_day(d in any_date(), n in 1u32..400) {
        let calendar = Calendar::builtin();
        let result = calendar.add_working_days(d, n);
        prop_assert!(calendar.is_working_day(result));
        prop_assert_eq!(calendar.working_days_between(d, result), i64::from(n));
        prop_assert_eq!(calendar.working_days_between(d, result.pred_opt().unwrap()), i64::from(n) - 1);
    }

    #[test]
    fn working_days_between_counts_day_by_day(a in any_date(), len in 0i64..120) {
        let calendar = Calendar::builtin();
        let b = a + Duration::days(len);
        let mut count = 0;
        let mut d = a;
        while d < b {
            d = d.succ_opt().unwrap();
            count += i64::from(calendar.is_working_day(d));
        }
        prop_assert_eq!(calendar.working_days_between(a, b), count);
        prop_assert_eq!(calendar.working_days_between(b, a), -count);
    }
}
