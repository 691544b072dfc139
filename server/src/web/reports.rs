//! Periodic reports in one sheet (R1.4, issue 20): for a recurring item dispatched to several
//! units, the units' reports of one period side by side.
//!
//! - `GET /items/{id}/reports?period=N`: one row per unit (the items of the item's dispatch
//!   batch the person may read, [`read::period_sheet`]) with who reported and when, a column
//!   for each figure the recurrence asks for, the report's words, and whether it came on
//!   time, late (by how many days) or not at all — the late and missing rows marked by a word
//!   and a style, not by colour alone; links to the other periods asked for;
//! - `GET /items/{id}/reports.xlsx?period=N`: the same rows as a workbook in the requester's
//!   language (title row, bold frozen header, the status in its own column with a cell style
//!   for late and missing rows, filed-at and due as real date-times) and a sheet saying what
//!   was exported, when and by whom.
//!
//! The item page links to the sheet of each period asked for, for the roles that read every
//! unit's item; anyone who may read the item may open it, and sees only the rows of the items
//! they may read. An item they may not read is not found; a period the item did not ask for,
//! or an item without periodic reports, is the API's 400 `query.bad_filter`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Timelike, Utc};
use duban_core::domain::calendar::Calendar;
use duban_core::domain::derived::periodic::Timeliness;
use duban_core::domain::policy::LateDays;
use duban_core::domain::{TaskId, UserId};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook, XlsxError};
use serde::Deserialize;

use super::export::{download, XLSX};
use super::{page, signin, Chrome, SignedIn};
use crate::auth::Session;
use crate::error::{ApiError, Path, Query};
use crate::i18n::{self, Lang};
use crate::org::Org;
use crate::read::{self, PeriodSheet};
use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/items/{id}/reports", get(sheet_page))
        .route("/items/{id}/reports.xlsx", get(sheet_xlsx))
}

/// The query: which period (its index on the item).
#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

/// A status as shown: its words, and its class (`on-time`, `late`, `missing`, `not-due`,
/// `not-requested`).
pub(super) struct StatusView {
    pub(super) words: String,
    pub(super) class: &'static str,
    pub(super) marked: bool,
}

/// How a period's report came, in `lang`: on time, late by how many (working or calendar)
/// days, missing, not due yet, or not asked for; and whether it waits for its approver.
pub(super) fn status_of(
    t: Timeliness,
    awaiting: bool,
    late_days: LateDays,
    lang: Lang,
) -> StatusView {
    let (words, class) = match t {
        Timeliness::OnTime => (lang.t("sheet-status-on-time"), "on-time"),
        Timeliness::Late { days } => (
            lang.t_args(
                match late_days {
                    LateDays::Working => "sheet-status-late-working",
                    LateDays::Calendar => "sheet-status-late-calendar",
                },
                &[("days", &days)],
            ),
            "late",
        ),
        Timeliness::Missing => (lang.t("sheet-status-missing"), "missing"),
        Timeliness::NotDue => (lang.t("sheet-status-not-due"), "not-due"),
        Timeliness::NotRequested => (lang.t("sheet-status-not-requested"), "not-requested"),
    };
    let words = if awaiting {
        lang.t_args("sheet-status-awaiting", &[("status", &words)])
    } else {
        words
    };
    StatusView {
        words,
        class,
        marked: t.marked(),
    }
}

/// The period's name in `lang`: `第3期（2026-03-09 起的一周）`.
fn period_words(sheet: &PeriodSheet, index: u32, start: chrono::NaiveDate, lang: Lang) -> String {
    let key = match sheet.period {
        duban_core::domain::model::Period::Weekly => "sheet-period-weekly",
        duban_core::domain::model::Period::Monthly => "sheet-period-monthly",
        duban_core::domain::model::Period::Quarterly => "sheet-period-quarterly",
    };
    lang.t_args(key, &[("n", &index), ("start", &start.to_string())])
}

/// One unit's row as the page and the workbook show it.
struct RowView {
    item: String,
    number: String,
    unit: String,
    reporter: String,
    filed_at: Option<DateTime<Utc>>,
    filed_text: String,
    due: Option<DateTime<Utc>>,
    due_text: String,
    values: Vec<String>,
    text: String,
    status: StatusView,
}

/// Another period of the item, to choose.
struct PeriodLink {
    index: u32,
    label: String,
    here: bool,
}

/// The sheet as the page and the workbook show it.
struct SheetView {
    lang: Lang,
    org: String,
    id: String,
    number: String,
    title: String,
    index: u32,
    period: String,
    fields: Vec<String>,
    periods: Vec<PeriodLink>,
    rows: Vec<RowView>,
    on_time: usize,
    late: usize,
    missing: usize,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct SheetPage {
    chrome: Chrome,
    v: SheetView,
}

/// A local time as the organisation's calendar reads it, to the minute.
fn local(cal: &Calendar, t: DateTime<Utc>) -> String {
    cal.to_local(t).format("%Y-%m-%d %H:%M").to_string()
}

fn person(org: &Org, id: UserId) -> String {
    if id == UserId::SYSTEM {
        return i18n::t("item-system");
    }
    org.people
        .get(&id)
        .map_or_else(|| i18n::t("item-unknown-person"), |p| p.name.clone())
}

fn view_of(org: &Org, sheet: PeriodSheet) -> SheetView {
    let lang = i18n::current();
    let cal = &org.calendar;
    let late_days = org.policy.scoring.late_days;
    let rows: Vec<RowView> = sheet
        .rows
        .iter()
        .map(|r| RowView {
            item: r.item.to_string(),
            number: r.number.clone(),
            unit: r
                .unit
                .and_then(|u| org.unit(u))
                .map_or_else(|| i18n::t("item-unknown-unit"), |u| u.name.clone()),
            reporter: r.reporter.map(|u| person(org, u)).unwrap_or_default(),
            filed_at: r.filed_at,
            filed_text: r.filed_at.map(|t| local(cal, t)).unwrap_or_default(),
            due: r.due,
            due_text: r.due.map(|t| super::item::due(cal, t)).unwrap_or_default(),
            values: sheet
                .fields
                .iter()
                .map(|f| r.values.get(f).cloned().unwrap_or_default())
                .collect(),
            text: r.text.clone(),
            status: status_of(r.timeliness, r.awaiting_approval, late_days, lang),
        })
        .collect();
    let count = |class: &str| rows.iter().filter(|r| r.status.class == class).count();
    SheetView {
        lang,
        org: org.name(),
        id: sheet.item.to_string(),
        number: sheet.number.clone(),
        title: sheet.title.clone(),
        index: sheet.index,
        period: period_words(&sheet, sheet.index, sheet.start, lang),
        fields: sheet.fields.clone(),
        periods: sheet
            .requested
            .iter()
            .map(|(i, start)| PeriodLink {
                index: *i,
                label: period_words(&sheet, *i, *start, lang),
                here: *i == sheet.index,
            })
            .collect(),
        on_time: count("on-time"),
        late: count("late"),
        missing: count("missing"),
        rows,
    }
}

fn task_of(id: &str) -> Result<TaskId, ApiError> {
    uuid::Uuid::parse_str(id.trim())
        .map(TaskId)
        .map_err(|_| ApiError::not_found("事项", "item"))
}

fn period_of(q: &PeriodQuery) -> Result<u32, ApiError> {
    q.period
        .as_deref()
        .map(str::trim)
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| {
            ApiError::bad_request(
                "query.bad_filter",
                "查询参数 period 有误:应为汇报要求的期数(从1起的整数)",
                "the query parameter period is invalid: give the period's number (a whole number from 1)",
            )
        })
}

/// The sheet for the request.
async fn sheet_of(
    state: &AppState,
    session: &Session,
    id: &str,
    q: &PeriodQuery,
    now: DateTime<Utc>,
) -> Result<SheetView, ApiError> {
    let task = task_of(id)?;
    let index = period_of(q)?;
    let sheet = read::period_sheet(state, session, task, index, now).await?;
    Ok(view_of(&session.org, sheet))
}

/// `GET /items/{id}/reports?period=N`: the page.
async fn sheet_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    match sheet_of(&state, &session, &id, &q, now).await {
        Ok(v) => {
            let chrome = Chrome::new(Some(&session), &session.org.calendar, "", now);
            page(StatusCode::OK, &SheetPage { chrome, v })
        }
        Err(e) => e.into_response(),
    }
}

/// Who exported and when, in the workbook's language.
struct Stamp {
    at: String,
    by: String,
}

/// An instant as an Excel date-time in the organisation's local time.
fn excel_time(cal: &Calendar, t: DateTime<Utc>) -> Result<ExcelDateTime, XlsxError> {
    let l = cal.to_local(t);
    ExcelDateTime::from_ymd(
        u16::try_from(l.year()).unwrap_or(1900),
        l.month() as u8,
        l.day() as u8,
    )?
    .and_hms(l.hour() as u16, l.minute() as u8, l.second() as u8)
}

/// The sheet as an xlsx workbook, in the view's language.
fn workbook(v: &SheetView, cal: &Calendar, stamp: &Stamp) -> Result<Vec<u8>, XlsxError> {
    let lang = v.lang;
    let t = |key: &str| lang.t(key);
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#F2F2F2")
        .set_border(FormatBorder::Thin);
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let wrap = Format::new().set_text_wrap();
    // Late and missing: a bold word on a tinted, bordered cell (the word says it; the style
    // makes it stand out when printed in black and white too).
    let late = Format::new()
        .set_bold()
        .set_background_color("#FFE8B3")
        .set_border(FormatBorder::Medium);
    let missing = Format::new()
        .set_bold()
        .set_background_color("#F8C9C9")
        .set_border(FormatBorder::Medium);
    {
        let ws = wb.add_worksheet();
        ws.set_name(t("sheet-xlsx-sheet"))?;
        let mut columns: Vec<(String, f64)> = vec![
            (t("sheet-col-unit"), 18.0),
            (t("sheet-col-number"), 16.0),
            (t("sheet-col-reporter"), 10.0),
            (t("sheet-col-filed"), 17.0),
            (t("sheet-col-due"), 17.0),
        ];
        columns.extend(v.fields.iter().map(|f| (f.clone(), 14.0)));
        columns.push((t("sheet-col-text"), 40.0));
        columns.push((t("sheet-col-status"), 16.0));
        let last = (columns.len() - 1) as u16;
        ws.merge_range(
            0,
            0,
            0,
            last,
            &lang.t_args(
                "sheet-xlsx-title",
                &[
                    ("number", &v.number),
                    ("title", &v.title),
                    ("period", &v.period),
                ],
            ),
            &title,
        )?;
        ws.set_row_height(0, 24)?;
        for (c, (name, width)) in columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(1, c, name, &head)?;
            ws.set_column_width(c, *width)?;
        }
        ws.set_freeze_panes(2, 1)?;
        let status_col = last;
        for (i, r) in v.rows.iter().enumerate() {
            let row = i as u32 + 2;
            ws.write_string(row, 0, &r.unit)?;
            ws.write_string(row, 1, &r.number)?;
            ws.write_string(row, 2, &r.reporter)?;
            if let Some(at) = r.filed_at {
                ws.write_datetime_with_format(row, 3, excel_time(cal, at)?, &when)?;
            }
            if let Some(due) = r.due {
                // The end of a day is that day, as the page shows it.
                if cal.to_local(due).time() == chrono::NaiveTime::MIN {
                    let d = cal.due_date(due);
                    let day = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).unwrap_or(1900),
                        d.month() as u8,
                        d.day() as u8,
                    )?;
                    ws.write_datetime_with_format(row, 4, day, &date)?;
                } else {
                    ws.write_datetime_with_format(row, 4, excel_time(cal, due)?, &when)?;
                }
            }
            for (k, value) in r.values.iter().enumerate() {
                let c = 5 + k as u16;
                // A figure that reads as a number is written as one (it sums in Excel).
                match value.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => ws.write_number(row, c, n)?,
                    _ => ws.write_string(row, c, value)?,
                };
            }
            ws.write_string_with_format(row, status_col - 1, &r.text, &wrap)?;
            match r.status.class {
                "late" => ws.write_string_with_format(row, status_col, &r.status.words, &late)?,
                "missing" => {
                    ws.write_string_with_format(row, status_col, &r.status.words, &missing)?
                }
                _ => ws.write_string(row, status_col, &r.status.words)?,
            };
        }
        if !v.rows.is_empty() {
            ws.autofilter(1, 0, v.rows.len() as u32 + 1, last)?;
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(t("xlsx-sheet-export"))?;
        ws.set_column_width(0, 22)?;
        ws.set_column_width(1, 60)?;
        ws.write_string_with_format(0, 0, t("xlsx-field"), &head)?;
        ws.write_string_with_format(0, 1, t("xlsx-value"), &head)?;
        let lines = [
            (t("xlsx-organisation"), v.org.clone()),
            (t("sheet-col-number"), v.number.clone()),
            (t("sheet-xlsx-item"), v.title.clone()),
            (t("sheet-xlsx-period"), v.period.clone()),
            (t("xlsx-rows"), v.rows.len().to_string()),
            (t("sheet-status-on-time"), v.on_time.to_string()),
            (t("sheet-xlsx-late"), v.late.to_string()),
            (t("sheet-status-missing"), v.missing.to_string()),
            (t("xlsx-exported-at"), stamp.at.clone()),
            (t("xlsx-exported-by"), stamp.by.clone()),
        ];
        for (i, (k, value)) in lines.iter().enumerate() {
            let r = i as u32 + 1;
            ws.write_string(r, 0, k)?;
            ws.write_string(r, 1, value)?;
        }
    }
    wb.save_to_buffer()
}

/// `GET /items/{id}/reports.xlsx?period=N`: the workbook.
async fn sheet_xlsx(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
    SignedIn(session, _): SignedIn<signin::ToItem>,
) -> Response {
    let now = state.clock.now();
    let result = async {
        let v = sheet_of(&state, &session, &id, &q, now).await?;
        let org = session.org.clone();
        let me = org.people.get(&session.user());
        let stamp = Stamp {
            at: format!(
                "{} (UTC{})",
                org.calendar.to_local(now).format("%Y-%m-%d %H:%M:%S"),
                org.calendar.utc_offset()
            ),
            by: me
                .map(|p| format!("{} ({})", p.name, p.username))
                .unwrap_or_default(),
        };
        let name = v
            .lang
            .t_args("sheet-xlsx-file", &[("number", &v.number), ("n", &v.index)]);
        let ascii = format!("reports-period-{}.xlsx", v.index);
        let bytes = tokio::task::spawn_blocking(move || workbook(&v, &org.calendar, &stamp))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::internal(format!("xlsx: {e}")))?;
        Ok::<_, ApiError>(download(bytes, XLSX, &format!("{name}.xlsx"), &ascii))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
