//! The working-day calendar: which local dates are working days (weekends, statutory holidays
//! and adjusted working days, 调休), and deadline arithmetic on top of it (节假日顺延, adding
//! working days, the working time that elapses while an item is suspended).
//!
//! # Data
//!
//! Each year's holidays and adjusted working days come from the State Council's annual notice
//! and are kept as one JSON file per year ([`YearData`], `core/data/calendar/YYYY.json`). The
//! shipped years are embedded in the library ([`Calendar::builtin`]); an administrator can import
//! another year ([`Calendar::import_year_json`]) or edit single days ([`Calendar::set_day`])
//! without a release. A year that has not been imported is *provisional*: only the plain rule
//! applies (Monday–Friday work, Saturday and Sunday rest), and [`Calendar::is_provisional`] says so.
//!
//! # Time
//!
//! The calendar holds the organisation's fixed UTC offset (default +08:00: China has no daylight
//! saving time). Dates ([`NaiveDate`]) are local dates; instants are [`DateTime<Utc>`].
//!
//! A deadline is an instant. A date-level deadline "due on day D" means *the end of local day D*,
//! and is represented as the instant of local midnight at the start of D+1
//! ([`Calendar::end_of_day`]). Its inverse, [`Calendar::due_date`], therefore treats an instant
//! exactly at local midnight as belonging to the previous date.
//!
//! # Totality
//!
//! Nothing here panics. Arithmetic that would leave chrono's range saturates at its ends;
//! negative durations are treated as zero. Results are exact for any date, and the data is
//! validated for the years 1900–2200 ([`MIN_YEAR`], [`MAX_YEAR`]).
//!
//! Pure: no I/O and no clock.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};

/// The earliest year whose data [`Calendar::import_year`] accepts.
pub const MIN_YEAR: i32 = 1900;
/// The latest year whose data [`Calendar::import_year`] accepts.
pub const MAX_YEAR: i32 = 2200;
/// The organisation's default offset from UTC, in minutes (China Standard Time, +08:00).
pub const DEFAULT_UTC_OFFSET_MINUTES: i32 = 8 * 60;
/// The years whose data is embedded in the library and loaded by [`Calendar::builtin`].
pub const BUILTIN_YEARS: [i32; 3] = [2024, 2025, 2026];

/// The embedded data files, in the order of [`BUILTIN_YEARS`].
const BUILTIN_DATA: [&str; 3] = [
    include_str!("../../data/calendar/2024.json"),
    include_str!("../../data/calendar/2025.json"),
    include_str!("../../data/calendar/2026.json"),
];

const SECONDS_PER_DAY: i64 = 86_400;

/// The shipped provisional data for 2027 (`core/data/calendar/2027.json`), not loaded by
/// [`Calendar::builtin`]: an administrator imports it knowingly, until the State Council's
/// notice for 2027 is published and imported in its place.
pub const PROVISIONAL_2027: &str = include_str!("../../data/calendar/2027.json");

/// [`PROVISIONAL_2027`], parsed: the statutory holidays of 2027 (全国年节及纪念日放假办法,
/// as amended by State Council Decree No. 795 of 2024) on their 2027 dates, each statutory
/// day that falls on a Saturday or Sunday made up on the next working day (补休, Article 6),
/// and no adjusted working days (调休上班 is set only by the notice). Marked provisional.
pub fn provisional_2027() -> YearData {
    serde_json::from_str(PROVISIONAL_2027).expect("the shipped 2027 data is valid (tested)")
}

/// What kind of day a local date is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// Monday to Friday, not a holiday: a working day.
    Workday,
    /// Saturday or Sunday, not an adjusted working day: a rest day.
    Weekend,
    /// A statutory holiday (including days of a holiday break that fall on a weekend).
    Holiday,
    /// A Saturday or Sunday made a working day (调休上班).
    AdjustedWorkday,
}

impl DayKind {
    /// Whether people work on a day of this kind.
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::AdjustedWorkday)
    }
}

/// How a listed day differs from the plain weekday/weekend rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialKind {
    /// A day off (放假), on any day of the week.
    Holiday,
    /// A Saturday or Sunday that is a working day (调休上班).
    Working,
}

impl SpecialKind {
    /// The JSON spelling: `"holiday"` or `"working"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecialKind::Holiday => "holiday",
            SpecialKind::Working => "working",
        }
    }
}

impl fmt::Display for SpecialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One day that differs from the plain rule, or a named holiday that falls on a weekend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    /// The local date.
    pub date: NaiveDate,
    /// Holiday or adjusted working day.
    pub kind: SpecialKind,
    /// The name in Chinese, e.g. `春节` or `春节调休`.
    pub name: String,
    /// The name in English, e.g. `Spring Festival`.
    pub name_en: String,
}

/// The document a year's data was taken from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The title, e.g. `国务院办公厅关于2026年部分节假日安排的通知`.
    pub title: String,
    /// The document number, e.g. `国办发明电〔2025〕7号`.
    pub number: String,
    /// The date the document was issued.
    pub published: NaiveDate,
    /// Where the document was published, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One year of calendar data: the content of a `YYYY.json` file.
///
/// `days` lists the holidays (including the days of a holiday break that fall on a weekend, so
/// that the whole break can be shown) and the adjusted working days; every other date follows the
/// plain rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearData {
    /// The calendar year.
    pub year: i32,
    /// The notice the data was taken from; `None` for data made up by hand.
    #[serde(default)]
    pub source: Option<Source>,
    /// The days that differ from the plain rule.
    pub days: Vec<SpecialDay>,
    /// Whether the data is provisional: worked out in advance (e.g. from the statutory
    /// holidays alone, before the State Council's notice for the year is published), to be
    /// replaced by the notice's data. A provisional year counts as [`Calendar::is_provisional`]
    /// even once imported. Absent (false) in the notices' files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}

/// Why a year's data was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} / {}", self.message_zh(), self.message_en())]
pub enum CalendarError {
    /// The text is not valid year data JSON.
    BadJson {
        /// What the JSON parser said (position and reason; no item data).
        detail: String,
    },
    /// The year is outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    OutOfRange {
        /// The year given.
        year: i32,
    },
    /// A listed date is not in the file's year.
    YearMismatch {
        /// The file's year.
        year: i32,
        /// The offending date.
        date: NaiveDate,
    },
    /// A date is listed twice.
    DuplicateDay {
        /// The repeated date.
        date: NaiveDate,
    },
    /// An adjusted working day is not a Saturday or Sunday.
    WorkingNotWeekend {
        /// The offending date.
        date: NaiveDate,
    },
}

impl CalendarError {
    /// A stable code for programs and logs, e.g. `calendar.bad_json`.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::BadJson { .. } => "calendar.bad_json",
            CalendarError::OutOfRange { .. } => "calendar.out_of_range",
            CalendarError::YearMismatch { .. } => "calendar.year_mismatch",
            CalendarError::DuplicateDay { .. } => "calendar.duplicate_day",
            CalendarError::WorkingNotWeekend { .. } => "calendar.working_not_weekend",
        }
    }

    /// The message in Chinese (zh-CN).
    pub fn message_zh(&self) -> String {
        match self {
            CalendarError::BadJson { detail } => {
                format!("日历数据不是有效的 JSON 年度数据:{detail}")
            }
            CalendarError::OutOfRange { year } => {
                format!("年份 {year} 超出范围,应在 {MIN_YEAR} 至 {MAX_YEAR} 之间")
            }
            CalendarError::YearMismatch { year, date } => {
                format!("日期 {date} 不属于 {year} 年的数据")
            }
            CalendarError::DuplicateDay { date } => format!("日期 {date} 重复列出"),
            CalendarError::WorkingNotWeekend { date } => {
                format!("调休上班日 {date} 不是周六或周日")
            }
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            CalendarError::BadJson { detail } => {
                format!("calendar data is not valid year data JSON: {detail}")
            }
            CalendarError::OutOfRange { year } => {
                format!("year {year} is out of range: it must be between {MIN_YEAR} and {MAX_YEAR}")
            }
            CalendarError::YearMismatch { year, date } => {
                format!("date {date} does not belong to the data for {year}")
            }
            CalendarError::DuplicateDay { date } => format!("date {date} is listed twice"),
            CalendarError::WorkingNotWeekend { date } => {
                format!("adjusted working day {date} is not a Saturday or Sunday")
            }
        }
    }
}

/// The organisation's working-day calendar: year data, manual edits and the UTC offset.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    offset: FixedOffset,
    /// Per year, the special days sorted by date (imported data plus edits).
    years: BTreeMap<i32, YearData>,
    /// The years that have been imported (the others are provisional).
    imported: BTreeSet<i32>,
}

impl Calendar {
    /// The calendar shipped with the library: 2024–2026 from the State Council notices, at +08:00.
    pub fn builtin() -> Calendar {
        let mut calendar = Calendar::empty(DEFAULT_UTC_OFFSET_MINUTES);
        for json in BUILTIN_DATA {
            calendar
                .import_year_json(json)
                .expect("the built-in calendar data is valid (tested)");
        }
        calendar
    }

    /// A calendar with no year data, so every year is provisional. The offset is clamped to
    /// less than a day either way.
    pub fn empty(utc_offset_minutes: i32) -> Calendar {
        let seconds = i64::from(utc_offset_minutes)
            .saturating_mul(60)
            .clamp(-(SECONDS_PER_DAY - 60), SECONDS_PER_DAY - 60);
        let offset = i32::try_from(seconds)
            .ok()
            .and_then(FixedOffset::east_opt)
            .unwrap_or_else(|| Utc.fix());
        Calendar {
            offset,
            years: BTreeMap::new(),
            imported: BTreeSet::new(),
        }
    }

    /// The organisation's offset from UTC.
    pub fn utc_offset(&self) -> FixedOffset {
        self.offset
    }

    /// Changes the organisation's offset from UTC (minutes, clamped as [`Calendar::empty`]
    /// does), keeping the year data.
    pub fn set_utc_offset(&mut self, utc_offset_minutes: i32) {
        self.offset = Calendar::empty(utc_offset_minutes).offset;
    }

    // ----- data -----------------------------------------------------------------------------

    /// Parses one year's JSON (the `YYYY.json` format) and imports it, replacing that year's data
    /// and edits. Returns the year.
    pub fn import_year_json(&mut self, json: &str) -> Result<i32, CalendarError> {
        let data: YearData = serde_json::from_str(json).map_err(|e| CalendarError::BadJson {
            detail: e.to_string(),
        })?;
        self.import_year(data)
    }

    /// Validates one year's data and imports it, replacing that year's data and edits. Returns
    /// the year.
    ///
    /// Refused when the year is outside 1900–2200, a date is not in that year, a date is listed
    /// twice, or a `working` day is not a Saturday or Sunday. A holiday may fall on any day.
    pub fn import_year(&mut self, mut data: YearData) -> Result<i32, CalendarError> {
        let year = data.year;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(CalendarError::OutOfRange { year });
        }
        let mut seen = BTreeSet::new();
        for day in &data.days {
            if day.date.year() != year {
                return Err(CalendarError::YearMismatch {
                    year,
                    date: day.date,
                });
            }
            if !seen.insert(day.date) {
                return Err(CalendarError::DuplicateDay { date: day.date });
            }
            if day.kind == SpecialKind::Working && !is_weekend(day.date) {
                return Err(CalendarError::WorkingNotWeekend { date: day.date });
            }
        }
        data.days.sort_by_key(|d| d.date);
        self.years.insert(year, data);
        self.imported.insert(year);
        Ok(year)
    }

    /// The data held for a year (imported data with any edits, or the edits made to a
    /// provisional year), if any.
    pub fn year(&self, year: i32) -> Option<&YearData> {
        self.years.get(&year)
    }

    /// All years for which data is held, in order.
    pub fn years(&self) -> impl Iterator<Item = &YearData> + '_ {
        self.years.values()
    }

    /// Edits one day: `Some(Holiday)` makes it a holiday, `Some(Working)` makes a Saturday or
    /// Sunday an adjusted working day, `None` resets it to the plain rule. `name` and `name_en`
    /// name the day (ignored on reset).
    ///
    /// `Some(Working)` on a Monday–Friday is the plain rule already, so it acts as a reset. Editing
    /// a day of a provisional year does not make the year non-provisional: only an import does.
    pub fn set_day(
        &mut self,
        date: NaiveDate,
        kind: Option<SpecialKind>,
        name: &str,
        name_en: &str,
    ) {
        let year = date.year();
        let kind = match kind {
            Some(SpecialKind::Working) if !is_weekend(date) => None,
            other => other,
        };
        match kind {
            None => {
                if let Some(data) = self.years.get_mut(&year) {
                    data.days.retain(|d| d.date != date);
                    if data.days.is_empty() && !self.imported.contains(&year) {
                        self.years.remove(&year);
                    }
                }
            }
            Some(kind) => {
                let data = self.years.entry(year).or_insert_with(|| YearData {
                    year,
                    source: None,
                    days: Vec::new(),
                    provisional: false,
                });
                let day = SpecialDay {
                    date,
                    kind,
                    name: name.to_owned(),
                    name_en: name_en.to_owned(),
                };
                match data.days.binary_search_by_key(&date, |d| d.date) {
                    Ok(i) => data.days[i] = day,
                    Err(i) => data.days.insert(i, day),
                }
            }
        }
    }

    /// Whether a year has no data from its State Council notice: none was imported (only the
    /// plain weekday/weekend rule applies, with any days edited by hand), or the data imported
    /// is itself provisional ([`YearData::provisional`], e.g. [`provisional_2027`]).
    pub fn is_provisional(&self, year: i32) -> bool {
        !self.imported.contains(&year) || self.years.get(&year).is_some_and(|d| d.provisional)
    }

    /// The special days of a year, sorted by date (empty for a provisional year without edits).
    pub fn special_days(&self, year: i32) -> Vec<SpecialDay> {
        self.years
            .get(&year)
            .map(|d| d.days.clone())
            .unwrap_or_default()
    }

    // ----- days -----------------------------------------------------------------------------

    /// What kind of day a local date is.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        match (self.special(date), is_weekend(date)) {
            (Some(SpecialKind::Holiday), _) => DayKind::Holiday,
            (Some(SpecialKind::Working), true) => DayKind::AdjustedWorkday,
            (_, true) => DayKind::Weekend,
            (_, false) => DayKind::Workday,
        }
    }

    /// Whether a local date is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_kind(date).is_working()
    }

    /// The first working day strictly after `date` (saturates at chrono's last date).
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        self.add_working_days(date, 1)
    }

    /// `date` itself if it is a working day, else the next working day (节假日顺延).
    pub fn roll_forward(&self, date: NaiveDate) -> NaiveDate {
        if self.is_working_day(date) {
            date
        } else {
            self.next_working_day(date)
        }
    }

    /// For `n == 0`, [`roll_forward`](Self::roll_forward)`(start)`; for `n > 0`, the `n`-th
    /// working day strictly after `start`. Saturates at chrono's last date.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return self.roll_forward(start);
        }
        let mut remaining = i64::from(n);
        let mut cur = start;
        loop {
            let last_special = match self.last_special_date() {
                Some(last) if last > cur => last,
                _ => return plain_add_weekdays(cur, remaining),
            };
            // Jump a year at a time while the target lies beyond it; counting a year costs
            // only its special days.
            let mut chunk_end = year_end(cur.year()).min(last_special);
            if chunk_end <= cur {
                chunk_end = year_end(cur.year().saturating_add(1)).min(last_special);
            }
            let count = self.working_days_between(cur, chunk_end);
            if count < remaining {
                remaining -= count;
                cur = chunk_end;
                continue;
            }
            // The target is in (cur, chunk_end]: at most a year of days to walk.
            let mut day = cur;
            while let Some(next) = day.succ_opt() {
                day = next;
                if self.is_working_day(day) {
                    remaining -= 1;
                    if remaining == 0 {
                        return day;
                    }
                }
            }
            return day;
        }
    }

    /// The number of working days in `(from, to]`; negative (minus the count in `(to, from]`)
    /// when `to < from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let mut count = weekday_index(to) - weekday_index(from);
        for data in self.years.range(from.year()..=to.year()).map(|(_, d)| d) {
            for day in data.days.iter().filter(|d| d.date > from && d.date <= to) {
                match (day.kind, is_weekend(day.date)) {
                    (SpecialKind::Holiday, false) => count -= 1,
                    (SpecialKind::Working, true) => count += 1,
                    _ => {}
                }
            }
        }
        count
    }

    // ----- instants -------------------------------------------------------------------------

    /// The local wall-clock time of an instant.
    pub fn to_local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        let naive = t.naive_utc();
        naive.checked_add_signed(self.offset_delta()).unwrap_or(
            if self.offset_delta() > Duration::zero() {
                NaiveDateTime::MAX
            } else {
                NaiveDateTime::MIN
            },
        )
    }

    /// The instant of a local wall-clock time.
    pub fn from_local(&self, t: NaiveDateTime) -> DateTime<Utc> {
        let naive = t.checked_sub_signed(self.offset_delta()).unwrap_or(
            if self.offset_delta() > Duration::zero() {
                NaiveDateTime::MIN
            } else {
                NaiveDateTime::MAX
            },
        );
        DateTime::from_naive_utc_and_offset(naive, Utc)
    }

    /// The deadline "due on `date`": the end of local day `date`, i.e. the instant of local
    /// midnight at the start of the next day.
    pub fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        match date.succ_opt() {
            Some(next) => self.from_local(next.and_time(NaiveTime::MIN)),
            None => self.from_local(NaiveDateTime::MAX),
        }
    }

    /// The local date a deadline falls due on; the inverse of [`end_of_day`](Self::end_of_day).
    /// An instant exactly at local midnight belongs to the previous date.
    pub fn due_date(&self, deadline: DateTime<Utc>) -> NaiveDate {
        let local = self.to_local(deadline);
        if local.time() == NaiveTime::MIN {
            local.date().pred_opt().unwrap_or(local.date())
        } else {
            local.date()
        }
    }

    /// A deadline that falls on a non-working day moves to the same local time of day on the
    /// next working day. A deadline at local midnight is the end of the previous day D: it stays
    /// if D is a working day, else it becomes the end of the next working day after D.
    pub fn roll_forward_instant(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = self.to_local(t);
        if local.time() == NaiveTime::MIN {
            let day = self.due_date(t);
            if self.is_working_day(day) {
                t
            } else {
                self.end_of_day(self.roll_forward(day))
            }
        } else if self.is_working_day(local.date()) {
            t
        } else {
            self.from_local(self.roll_forward(local.date()).and_time(local.time()))
        }
    }

    /// The part of `[from, to)` that falls on local working days (whole days count 24 hours);
    /// zero if `to <= from`.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let (lf, lt) = (self.to_local(from), self.to_local(to));
        let (df, dt) = (lf.date(), lt.date());
        if df == dt {
            return if self.is_working_day(df) {
                lt - lf
            } else {
                Duration::zero()
            };
        }
        let mut total = Duration::zero();
        if self.is_working_day(df) {
            total += start_of_next_day(df) - lf;
        }
        // Whole days strictly between df and dt.
        if let Some(before_dt) = dt.pred_opt() {
            let whole = self.working_days_between(df, before_dt).max(0);
            total += days(whole);
        }
        if self.is_working_day(dt) {
            total += lt - dt.and_time(NaiveTime::MIN);
        }
        total
    }

    /// Moves forward from `t` by `d` of working time, skipping non-working days: the earliest
    /// instant `u` with `working_time_between(t, u) == d`. A negative `d` counts as zero.
    ///
    /// Because the earliest instant is chosen, time that runs out exactly at the end of a
    /// working day gives that day's end (local midnight), i.e. an [`end_of_day`](Self::end_of_day)
    /// deadline.
    pub fn add_working_time(&self, t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
        if d <= Duration::zero() {
            return t;
        }
        let mut remaining = d;
        let local = self.to_local(t);
        let first = local.date();
        if self.is_working_day(first) {
            let available = start_of_next_day(first) - local;
            if remaining <= available {
                return self.from_local(saturating_add(local, remaining));
            }
            remaining -= available;
        }
        // Now at the start of the day after `first`, with whole working days to skip and then a
        // part of a day.
        let day = Duration::seconds(SECONDS_PER_DAY);
        let whole = remaining.num_seconds() / SECONDS_PER_DAY;
        let part = remaining - days(whole);
        let (whole, part) = if part == Duration::zero() {
            (whole - 1, day)
        } else {
            (whole, part)
        };
        let mut landing = first;
        if whole > 0 {
            landing = self.add_working_days(landing, u32::try_from(whole).unwrap_or(u32::MAX));
        }
        let landing = self.next_working_day(landing);
        self.from_local(saturating_add(landing.and_time(NaiveTime::MIN), part))
    }

    /// The deadline `n` working days after `start`: the end of
    /// [`add_working_days`](Self::add_working_days)`(local date of start, n)`.
    pub fn deadline_after_working_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        self.end_of_day(self.add_working_days(self.to_local(start).date(), n))
    }

    // ----- helpers --------------------------------------------------------------------------

    fn special(&self, date: NaiveDate) -> Option<SpecialKind> {
        let data = self.years.get(&date.year())?;
        let i = data.days.binary_search_by_key(&date, |d| d.date).ok()?;
        data.days.get(i).map(|d| d.kind)
    }

    fn last_special_date(&self) -> Option<NaiveDate> {
        self.years
            .values()
            .rev()
            .find_map(|data| data.days.last().map(|d| d.date))
    }

    fn offset_delta(&self) -> Duration {
        Duration::seconds(i64::from(self.offset.local_minus_utc()))
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The number of Mondays–Fridays in days `1..=x` counted from 0001-01-01 (a Monday), extended
/// to all integers so that `weekday_index(b) - weekday_index(a)` counts the weekdays in `(a, b]`.
fn weekday_index(date: NaiveDate) -> i64 {
    let x = i64::from(date.num_days_from_ce());
    x.div_euclid(7) * 5 + x.rem_euclid(7).min(5)
}

/// The `n`-th Monday–Friday strictly after `date` (`n > 0`), by the plain rule alone.
fn plain_add_weekdays(date: NaiveDate, n: i64) -> NaiveDate {
    let target = weekday_index(date).saturating_add(n);
    let x = (target - 1).div_euclid(5) * 7 + (target - 1).rem_euclid(5) + 1;
    i32::try_from(x)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(NaiveDate::MAX)
}

fn year_end(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

fn start_of_next_day(date: NaiveDate) -> NaiveDateTime {
    date.succ_opt()
        .map(|d| d.and_time(NaiveTime::MIN))
        .unwrap_or(NaiveDateTime::MAX)
}

fn days(n: i64) -> Duration {
    Duration::try_seconds(n.saturating_mul(SECONDS_PER_DAY)).unwrap_or(Duration::MAX)
}

fn saturating_add(t: NaiveDateTime, d: Duration) -> NaiveDateTime {
    t.checked_add_signed(d).unwrap_or(NaiveDateTime::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn builtin_data_parses_and_is_complete() {
        for (year, json) in BUILTIN_YEARS.iter().zip(BUILTIN_DATA) {
            let data: YearData = serde_json::from_str(json).unwrap();
            assert_eq!(data.year, *year);
            assert!(data.source.is_some(), "{year} names its source");
        }
        let calendar = Calendar::builtin();
        for year in BUILTIN_YEARS {
            assert!(!calendar.is_provisional(year));
        }
        assert!(calendar.is_provisional(2027));
        assert_eq!(calendar.utc_offset().local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn the_shipped_2027_data_is_provisional_even_once_imported() {
        let data = provisional_2027();
        assert!(data.provisional);
        assert!(data.days.iter().all(|d| d.kind == SpecialKind::Holiday));
        let mut calendar = Calendar::builtin();
        assert_eq!(calendar.import_year(data.clone()), Ok(2027));
        assert!(calendar.is_provisional(2027));
        // 国庆节 1–3 October, 2 and 3 on a weekend: made up on Monday 4 and Tuesday 5.
        assert_eq!(
            calendar.add_working_days(date(2027, 9, 30), 3),
            date(2027, 10, 8)
        );
        assert_eq!(calendar.day_kind(date(2027, 2, 10)), DayKind::Holiday);
        assert_eq!(calendar.day_kind(date(2027, 2, 11)), DayKind::Workday);
        // The flag survives the wire, and a notice's data (without it) is not provisional.
        let json = serde_json::to_string(&data).unwrap();
        assert!(json.contains("\"provisional\":true"));
        let mut official = data;
        official.provisional = false;
        assert!(!serde_json::to_string(&official)
            .unwrap()
            .contains("provisional"));
        calendar.import_year(official).unwrap();
        assert!(!calendar.is_provisional(2027));
    }

    #[test]
    fn weekday_index_counts_mondays_to_fridays() {
        // 0001-01-01 was a Monday in the proleptic Gregorian calendar.
        assert_eq!(date(1, 1, 1).weekday(), Weekday::Mon);
        let mut d = date(1899, 12, 25);
        for _ in 0..40 {
            let next = d.succ_opt().unwrap();
            let expected = i64::from(!is_weekend(next));
            assert_eq!(weekday_index(next) - weekday_index(d), expected, "{next}");
            d = next;
        }
    }

    #[test]
    fn plain_add_matches_stepping() {
        let start = date(2030, 3, 1);
        for start in (0..14).map(|i| start + Duration::days(i)) {
            let mut d = start;
            for n in 1..30 {
                d = d.succ_opt().unwrap();
                while is_weekend(d) {
                    d = d.succ_opt().unwrap();
                }
                assert_eq!(plain_add_weekdays(start, n), d, "{start} + {n}");
            }
        }
    }

    #[test]
    fn extremes_do_not_panic() {
        let calendar = Calendar::builtin();
        let max = NaiveDate::MAX;
        let min = NaiveDate::MIN;
        let _ = calendar.add_working_days(max, 5);
        let _ = calendar.add_working_days(min, u32::MAX);
        let _ = calendar.next_working_day(max);
        let _ = calendar.working_days_between(min, max);
        let _ = calendar.end_of_day(max);
        let _ = calendar.due_date(DateTime::<Utc>::MAX_UTC);
        let _ = calendar.due_date(DateTime::<Utc>::MIN_UTC);
        let _ = calendar.roll_forward_instant(DateTime::<Utc>::MAX_UTC);
        let _ = calendar.working_time_between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let _ = calendar.add_working_time(DateTime::<Utc>::MAX_UTC, Duration::days(3));
        let _ = calendar.add_working_time(DateTime::<Utc>::MIN_UTC, Duration::MAX);
        let _ = calendar.deadline_after_working_days(DateTime::<Utc>::MAX_UTC, u32::MAX);
        let _ = Calendar::empty(i32::MAX);
        let _ = Calendar::empty(i32::MIN);
    }
}
