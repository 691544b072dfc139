//! Exports (R9.4, R7.5):
//!
//! - `GET /ledger?from=&to=&date_field=&unit=&category=&status=`: the ledger (台账) page — the
//!   items the person may read that the filters select (the rows of `GET /api/v1/tasks` with
//!   the same filters and date field), in a supervision office's columns, with a period form
//!   and two one-click exports;
//! - `GET /ledger.xlsx?…`: the same rows as a spreadsheet (title row with the organisation and
//!   period, bold frozen header, real dates), and a sheet saying what was exported, when and
//!   by whom; `GET /stats.xlsx?…`: the figures of `GET /api/v1/stats` for the same filters,
//!   a sheet per breakdown, and a sheet of the hotline's monthly figures (`month=YYYY-MM`,
//!   the current month by default);
//! - `GET /items/{id}/archive.zip`: an item's archive (归档) — trail, evidence, hashes — for
//!   anyone who may read the item, verifiable offline with `duban verify-archive`
//!   ([`crate::archive`]).
//!
//! A bad filter (a date not YYYY-MM-DD, `from` after `to`, an unknown unit) is refused with
//! the API's own 400 and stable code (`query.bad_filter`), on the page as in the downloads.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use duban_core::domain::derived::light_names;
use duban_core::domain::derived::{item_score, quality_card, Colour};
use duban_core::domain::event::EventKind;
use duban_core::domain::trail::{Hash, TrailEntry};
use duban_core::domain::Code;
use duban_core::domain::{Status, TaskId, UserId};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::{page, signin, Chrome, Shown, SignedIn};
use crate::archive::{self, ArchiveInput, ArchivedItem, Evidence};
use crate::auth::Session;
use crate::db;
use crate::error::{ApiError, Path};
use crate::i18n::{self, Lang};
use crate::org::Org;
use crate::read::{self, Bucket, HotlineStats, LedgerItem, Stats, StatsQuery};
use crate::AppState;
use duban_core::domain::derived::OrderFigures;

/// Rows the ledger page shows at most; the export always holds every row.
pub const PAGE_ROWS: usize = 1000;

/// Items whose latest report is read per statement.
const REPORT_CHUNK: usize = 400;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/ledger", get(ledger_page))
        .route("/ledger.xlsx", get(ledger_xlsx))
        .route("/stats.xlsx", get(stats_xlsx))
        .route("/items/{id}/archive.zip", get(archive_zip))
}

// ----- the ledger's rows --------------------------------------------------------------------

/// One row of the ledger, as the page and the spreadsheet show it.
struct LedgerRow {
    id: String,
    number: String,
    category: String,
    title: String,
    source: &'static str,
    instructing: String,
    responsible: String,
    lead_unit: String,
    lead_user: String,
    participants: String,
    registered: NaiveDate,
    deadline: Option<NaiveDate>,
    effective: Option<NaiveDate>,
    status: &'static str,
    progress: u8,
    colour: &'static str,
    light: &'static str,
    light_reason: String,
    card: String,
    card_reason: String,
    score: Option<f64>,
    score_text: String,
    closed: Option<NaiveDate>,
    latest: String,
}

/// A quality card's name in `lang`.
fn card_name(lang: Lang, c: Colour) -> String {
    lang.t(match c {
        Colour::Green => "ledger-card-green",
        Colour::Yellow => "ledger-card-yellow",
        Colour::Red => "ledger-card-red",
    })
}

fn name_of(org: &Org, id: Option<UserId>) -> String {
    id.and_then(|u| org.people.get(&u))
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

fn unit_name(org: &Org, id: duban_core::domain::UnitId) -> String {
    org.unit(id).map(|u| u.name.clone()).unwrap_or_default()
}

/// The latest report of each item that has one: `date 进展汇报 60%:text`, read from its
/// filing event (a state keeps where a report is, not its words).
async fn latest_reports(
    state: &AppState,
    org: &Org,
    items: &[LedgerItem],
) -> Result<HashMap<TaskId, String>, ApiError> {
    let wanted: Vec<(TaskId, u64)> = items
        .iter()
        .filter_map(|i| i.state.reports.last().map(|r| (i.summary.id, r.seq)))
        .collect();
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let lang = i18n::current();
    let mut tx = state.db.read().await?;
    for chunk in wanted.chunks(REPORT_CHUNK) {
        for (task, _, event) in db::trail::events_at(&mut tx, chunk).await? {
            let day = org.calendar.to_local(event.at).date();
            let text = match &event.kind {
                EventKind::ProgressReported {
                    report, percent, ..
                } => lang.t_args(
                    "ledger-latest-progress",
                    &[
                        ("day", &day),
                        ("percent", percent),
                        ("text", &report.text.trim()),
                    ],
                ),
                EventKind::CompletionReported { report, .. } => lang.t_args(
                    "ledger-latest-completion",
                    &[("day", &day), ("text", &report.text.trim())],
                ),
                _ => continue,
            };
            out.insert(task, text);
        }
    }
    Ok(out)
}

fn ledger_rows(
    org: &Org,
    items: &[LedgerItem],
    latest: &HashMap<TaskId, String>,
    now: DateTime<Utc>,
) -> Vec<LedgerRow> {
    let cal = &org.calendar;
    let lang = i18n::current();
    items
        .iter()
        .map(|i| {
            let (m, s) = (&i.summary, &*i.state);
            let colour = m.light.as_ref().map(|l| l.colour);
            let card = quality_card(s, now, cal, &org.policy);
            let accepted = s.completion.is_some_and(|c| c.accepted.is_some());
            let score = accepted
                .then(|| item_score(s, now, cal, &org.policy))
                .flatten()
                .map(|sc| sc.total);
            LedgerRow {
                id: m.id.to_string(),
                number: m.number.clone(),
                category: match (&m.category_zh, &m.category_en) {
                    (Some(zh), Some(en)) if !en.trim().is_empty() => lang.pick(zh, en).to_owned(),
                    (Some(zh), _) => zh.clone(),
                    _ => m.category.clone(),
                },
                title: m.title.clone(),
                source: lang.name(s.source),
                instructing: name_of(org, s.instructing_leader),
                responsible: name_of(org, s.responsible_leader),
                lead_unit: m
                    .lead_unit
                    .as_ref()
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                lead_user: m
                    .lead_user
                    .as_ref()
                    .map(|u| u.name.clone())
                    .unwrap_or_default(),
                participants: s
                    .participants
                    .iter()
                    .map(|p| match p.user {
                        Some(u) => format!("{}({})", unit_name(org, p.unit), name_of(org, Some(u))),
                        None => unit_name(org, p.unit),
                    })
                    .collect::<Vec<_>>()
                    .join(&lang.t("ledger-list-separator")),
                registered: cal.to_local(m.created_at).date(),
                deadline: s.deadline.map(|d| cal.due_date(d)),
                effective: m.effective_deadline.map(|d| cal.due_date(d)),
                status: lang.name(m.status),
                progress: m.progress,
                colour: light_names(colour).0,
                light: match colour {
                    Some(_) => {
                        let (_, zh, en) = light_names(colour);
                        lang.pick(zh, en)
                    }
                    None => "",
                },
                light_reason: m
                    .light
                    .as_ref()
                    .map(|l| lang.pick(&l.zh, &l.en).to_owned())
                    .unwrap_or_default(),
                card: card
                    .as_ref()
                    .map(|c| card_name(lang, c.colour))
                    .unwrap_or_default(),
                card_reason: card
                    .map(|c| lang.pick(&c.zh, &c.en).to_owned())
                    .unwrap_or_default(),
                score: score.map(|p| p.as_f64()),
                score_text: score.map(|p| p.to_string()).unwrap_or_default(),
                closed: s.closed.map(|c| cal.to_local(c.at).date()),
                latest: latest.get(&m.id).cloned().unwrap_or_default(),
            }
        })
        .collect()
}

// ----- the period and the filters -----------------------------------------------------------

/// The filters as the form shows them, and as words for the export's sheet.
struct Period {
    from: String,
    to: String,
    date_field: String,
    unit: String,
    category: String,
    status: String,
    /// The query string the exports carry (the filters, encoded).
    query: String,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().to_owned()
}

impl Period {
    fn of(q: &StatsQuery) -> Period {
        let p = Period {
            from: text(&q.from),
            to: text(&q.to),
            date_field: text(&q.date_field),
            unit: text(&q.unit),
            category: text(&q.category),
            status: text(&q.status),
            query: String::new(),
        };
        let mut pairs = vec![
            ("from", p.from.clone()),
            ("to", p.to.clone()),
            ("date_field", p.date_field.clone()),
            ("unit", p.unit.clone()),
            ("category", p.category.clone()),
            ("status", p.status.clone()),
        ];
        for (name, v) in [
            ("view", &q.view),
            ("urgency", &q.urgency),
            ("light", &q.light),
            ("q", &q.q),
        ] {
            let v = text(v);
            if !v.is_empty() {
                pairs.push((name, v));
            }
        }
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", crate::push::percent(v)))
            .collect::<Vec<_>>()
            .join("&");
        Period { query, ..p }
    }

    /// `2026-01-01 至 2026-12-31` (`2026-01-01 to 2026-12-31`), with 不限 (any) for an open
    /// end, in `lang`.
    fn words_in(&self, lang: Lang) -> String {
        let end = |s: &str| {
            if s.is_empty() {
                lang.t("ledger-open-end")
            } else {
                s.to_owned()
            }
        };
        lang.t_args(
            "ledger-period-words",
            &[("from", &end(&self.from)), ("to", &end(&self.to))],
        )
    }

    /// [`Period::words_in`] the request's language.
    fn words(&self) -> String {
        self.words_in(i18n::current())
    }

    /// The file name's period part: `2026-01-01-2026-12-31` (`all` for an open end).
    fn file_part(&self) -> String {
        let end = |s: &str| {
            if s.is_empty() {
                "all".to_owned()
            } else {
                s.to_owned()
            }
        };
        format!("{}-{}", end(&self.from), end(&self.to))
    }
}

/// The filters of a request; with no query string at all, the current year by registration
/// date (the page's first view).
fn filters_of(
    q: Result<Query<StatsQuery>, QueryRejection>,
    raw: &Option<String>,
    org: &Org,
    now: DateTime<Utc>,
) -> Result<StatsQuery, ApiError> {
    if raw.as_deref().is_none_or(str::is_empty) {
        let year = org.calendar.to_local(now).year();
        return Ok(StatsQuery {
            from: Some(format!("{year:04}-01-01")),
            to: Some(format!("{year:04}-12-31")),
            ..StatsQuery::default()
        });
    }
    Ok(q.map_err(ApiError::from)?.0)
}

// ----- the page -----------------------------------------------------------------------------

/// A choice of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    org: String,
    period: Period,
    by_deadline: bool,
    units: Vec<Choice>,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    error: Option<Shown>,
    total: usize,
    rows: Vec<LedgerRow>,
    shown: usize,
}

fn choices(selected: &str, all: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
    all.into_iter()
        .map(|(value, label)| Choice {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

async fn ledger_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    q: Result<Query<StatsQuery>, QueryRejection>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    let org = session.org.clone();
    let (filters, mut error) = match filters_of(q, &raw, &org, now) {
        Ok(f) => (f, None),
        Err(e) => (StatsQuery::default(), Some(e)),
    };
    let mut rows = Vec::new();
    let mut total = 0;
    if error.is_none() {
        match ledger_of(&state, &session, &filters, now).await {
            Ok(r) => {
                total = r.len();
                rows = r;
                rows.truncate(PAGE_ROWS);
            }
            Err(e) => error = Some(e),
        }
    }
    // A refused query keeps what was typed in the form.
    let period = match &error {
        Some(_) => Period::of(&raw_filters(&raw)),
        None => Period::of(&filters),
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let lang = i18n::current();
    let t = LedgerPage {
        chrome: Chrome::new(Some(&session), &org.calendar, "/ledger", now),
        org: org.name(),
        by_deadline: period.date_field == "deadline",
        units: choices(
            &period.unit,
            org.units.iter().map(|u| (u.id.to_string(), u.name.clone())),
        ),
        categories: choices(
            &period.category,
            org.policy
                .categories
                .iter()
                .map(|c| (c.code.clone(), category_name(lang, c))),
        ),
        statuses: choices(
            &period.status,
            Status::ALL
                .iter()
                .map(|s| (s.code().to_owned(), lang.name(*s).to_owned())),
        ),
        period,
        error: error.map(|e| Shown {
            code: e.code,
            zh: e.zh,
            en: e.en,
        }),
        total,
        shown: rows.len(),
        rows,
    };
    page(status, &t)
}

/// The form's fields of a refused query string, as typed (for showing them again).
fn raw_filters(raw: &Option<String>) -> StatsQuery {
    let mut q = StatsQuery::default();
    for pair in raw.as_deref().unwrap_or("").split('&') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        let v = Some(decode(v));
        match k {
            "from" => q.from = v,
            "to" => q.to = v,
            "date_field" => q.date_field = v,
            "unit" => q.unit = v,
            "category" => q.category = v,
            "status" => q.status = v,
            _ => {}
        }
    }
    q
}

/// Decodes a form value (`+` for space, `%XX`).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hexval = |c: u8| (c as char).to_digit(16);
                match (hexval(bytes[i + 1]), hexval(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The ledger's rows for `q`.
async fn ledger_of(
    state: &AppState,
    session: &Session,
    q: &StatsQuery,
    now: DateTime<Utc>,
) -> Result<Vec<LedgerRow>, ApiError> {
    let items = read::ledger(state, session, q, now).await?;
    let latest = latest_reports(state, &session.org, &items).await?;
    Ok(ledger_rows(&session.org, &items, &latest, now))
}

// ----- the spreadsheets ---------------------------------------------------------------------

/// A download: its bytes, type and file name (RFC 5987 `filename*` with an ASCII fallback).
/// An import's template to fill in, as a download named by the catalog key `name_key` in
/// the request's language (`ascii` for clients that read only ASCII names), or the error of
/// making it.
pub(super) fn template_download(
    made: Result<Vec<u8>, rust_xlsxwriter::XlsxError>,
    name_key: &str,
    ascii: &str,
) -> Response {
    match made {
        Ok(bytes) => download(
            bytes,
            XLSX,
            &format!("{}.xlsx", crate::i18n::current().t(name_key)),
            ascii,
        ),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

pub(super) fn download(bytes: Vec<u8>, mime: &'static str, name: &str, ascii: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::push::percent(name)
    );
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    match HeaderValue::from_str(&disposition) {
        Ok(v) => {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        Err(e) => return ApiError::internal(e).into_response(),
    }
    r
}

/// The xlsx content type.
pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx_error(e: XlsxError) -> ApiError {
    ApiError::internal(format!("xlsx: {e}"))
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1900),
        d.month() as u8,
        d.day() as u8,
    )
}

/// Who exported and when, for the exports' last sheet; and the language of the workbook
/// (the requester's: the workbook is built off the request's task, where
/// [`i18n::current`] is not set).
struct Stamp {
    lang: Lang,
    org: String,
    at: String,
    by: String,
    period: Period,
    filters: Vec<(String, String)>,
}

/// A category's name in `lang` (its Chinese one when it has no English one).
fn category_name(lang: Lang, c: &duban_core::domain::policy::CategoryDef) -> String {
    if c.name_en.trim().is_empty() {
        c.name_zh.clone()
    } else {
        lang.pick(&c.name_zh, &c.name_en).to_owned()
    }
}

fn stamp(session: &Session, q: &StatsQuery, now: DateTime<Utc>) -> Stamp {
    let org = &session.org;
    let lang = i18n::current();
    let period = Period::of(q);
    let list = lang.t("ledger-list-separator");
    let unit_names = |ids: &str| {
        ids.split(',')
            .filter_map(|u| uuid::Uuid::parse_str(u.trim()).ok())
            .map(|u| unit_name(org, duban_core::domain::UnitId(u)))
            .collect::<Vec<_>>()
            .join(&list)
    };
    let category_names = |codes: &str| {
        codes
            .split(',')
            .filter_map(|c| org.policy.category(c.trim()))
            .map(|c| category_name(lang, c))
            .collect::<Vec<_>>()
            .join(&list)
    };
    let status_names = |codes: &str| {
        codes
            .split(',')
            .filter_map(|c| Status::ALL.iter().find(|s| s.code() == c.trim()))
            .map(|s| lang.name(*s))
            .collect::<Vec<_>>()
            .join(&list)
    };
    let all = |s: String| if s.is_empty() { lang.t("stats-all") } else { s };
    let filters = vec![
        (lang.t("xlsx-period"), period.words_in(lang)),
        (
            lang.t("xlsx-date-field"),
            lang.t(if period.date_field == "deadline" {
                "ledger-date-deadline"
            } else {
                "ledger-date-created"
            }),
        ),
        (lang.t("xlsx-lead-unit"), all(unit_names(&period.unit))),
        (
            lang.t("stats-category"),
            all(category_names(&period.category)),
        ),
        (lang.t("stats-status"), all(status_names(&period.status))),
        (lang.t("xlsx-other"), {
            let mut other = Vec::new();
            for (k, v) in [
                ("view", &q.view),
                ("urgency", &q.urgency),
                ("light", &q.light),
                ("q", &q.q),
            ] {
                let v = text(v);
                if !v.is_empty() {
                    other.push(format!("{k}={v}"));
                }
            }
            if other.is_empty() {
                lang.t("xlsx-none")
            } else {
                other.join(" ")
            }
        }),
    ];
    let me = org.people.get(&session.user());
    Stamp {
        lang,
        org: org.name(),
        at: format!(
            "{} (UTC{})",
            org.calendar.to_local(now).format("%Y-%m-%d %H:%M:%S"),
            org.calendar.utc_offset()
        ),
        by: me
            .map(|p| format!("{} ({})", p.name, p.username))
            .unwrap_or_default(),
        period,
        filters,
    }
}

/// The sheet saying what was exported, when and by whom.
fn stamp_sheet(ws: &mut Worksheet, s: &Stamp, rows: usize, bold: &Format) -> Result<(), XlsxError> {
    let t = |key: &str| s.lang.t(key);
    ws.set_name(t("xlsx-sheet-export"))?;
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 60)?;
    ws.write_string_with_format(0, 0, t("xlsx-field"), bold)?;
    ws.write_string_with_format(0, 1, t("xlsx-value"), bold)?;
    let mut r = 1;
    ws.write_string(r, 0, t("xlsx-organisation"))?;
    ws.write_string(r, 1, &s.org)?;
    for (k, v) in &s.filters {
        r += 1;
        ws.write_string(r, 0, k)?;
        ws.write_string(r, 1, v)?;
    }
    r += 1;
    ws.write_string(r, 0, t("xlsx-rows"))?;
    ws.write_number(r, 1, rows as f64)?;
    r += 1;
    ws.write_string(r, 0, t("xlsx-exported-at"))?;
    ws.write_string(r, 1, &s.at)?;
    r += 1;
    ws.write_string(r, 0, t("xlsx-exported-by"))?;
    ws.write_string(r, 1, &s.by)?;
    Ok(())
}

/// The ledger's columns: the header's catalog key and the width.
const COLUMNS: [(&str, f64); 21] = [
    ("ledger-col-seq", 6.0),
    ("ledger-col-number", 16.0),
    ("ledger-col-category", 14.0),
    ("ledger-col-title", 36.0),
    ("ledger-col-source", 10.0),
    ("ledger-col-instructing", 10.0),
    ("ledger-col-responsible", 10.0),
    ("ledger-col-lead", 16.0),
    ("ledger-col-lead-user", 10.0),
    ("ledger-col-participants", 22.0),
    ("ledger-col-registered", 12.0),
    ("ledger-col-deadline", 13.0),
    ("ledger-col-effective", 13.0),
    ("ledger-col-status", 10.0),
    ("ledger-col-progress", 8.0),
    ("ledger-col-light", 8.0),
    ("ledger-col-card", 8.0),
    ("ledger-col-score", 8.0),
    ("ledger-col-closed", 12.0),
    ("ledger-col-latest", 50.0),
    ("ledger-col-id", 38.0),
];

/// The ledger as an xlsx workbook, its rows taken a chunk at a time from `next` until it
/// answers `None`. The ledger's sheet is a "low memory" one (rust_xlsxwriter's constant
/// memory mode with the shared string table: each row goes to a temporary file once the next
/// one starts; <https://docs.rs/rust_xlsxwriter/latest/rust_xlsxwriter/performance/index.html>),
/// so the rows are written in order and none stays in memory.
fn ledger_workbook(
    mut next: impl FnMut() -> Option<Vec<LedgerRow>>,
    s: &Stamp,
) -> Result<Vec<u8>, XlsxError> {
    let lang = s.lang;
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new()
        .set_bold()
        .set_background_color("#F2F2F2")
        .set_border(rust_xlsxwriter::FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let percent = Format::new().set_num_format("0\"%\"");
    let score = Format::new().set_num_format("0.0");
    let wrap = Format::new().set_text_wrap();
    let mut written = 0usize;
    {
        let ws = wb.add_worksheet_with_low_memory()?;
        ws.set_name(lang.t("xlsx-sheet-ledger"))?;
        let last = (COLUMNS.len() - 1) as u16;
        ws.merge_range(
            0,
            0,
            0,
            last,
            &lang.t_args(
                "xlsx-ledger-title",
                &[("org", &s.org), ("period", &s.period.words_in(lang))],
            ),
            &title,
        )?;
        ws.set_row_height(0, 24)?;
        for (c, (key, width)) in COLUMNS.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(1, c, lang.t(key), &bold)?;
            ws.set_column_width(c, *width)?;
        }
        ws.set_freeze_panes(2, 0)?;
        while let Some(chunk) = next() {
            for r in chunk {
                let i = written;
                written += 1;
                write_ledger_row(ws, i, &r, [&date, &percent, &score, &wrap])?;
            }
        }
        if written > 0 {
            ws.autofilter(1, 0, written as u32 + 1, last)?;
        }
    }
    stamp_sheet(wb.add_worksheet(), s, written, &bold)?;
    wb.save_to_buffer()
}

/// The `i`th row of the ledger (from 0) on its sheet, with the date, percent, score and
/// wrapping formats.
fn write_ledger_row(
    ws: &mut Worksheet,
    i: usize,
    r: &LedgerRow,
    [date, percent, score, wrap]: [&Format; 4],
) -> Result<(), XlsxError> {
    let row = i as u32 + 2;
    ws.write_number(row, 0, (i + 1) as f64)?;
    ws.write_string(row, 1, &r.number)?;
    ws.write_string(row, 2, &r.category)?;
    ws.write_string(row, 3, &r.title)?;
    ws.write_string(row, 4, r.source)?;
    ws.write_string(row, 5, &r.instructing)?;
    ws.write_string(row, 6, &r.responsible)?;
    ws.write_string(row, 7, &r.lead_unit)?;
    ws.write_string(row, 8, &r.lead_user)?;
    ws.write_string(row, 9, &r.participants)?;
    ws.write_datetime_with_format(row, 10, excel_date(r.registered)?, date)?;
    if let Some(d) = r.deadline {
        ws.write_datetime_with_format(row, 11, excel_date(d)?, date)?;
    }
    if let Some(d) = r.effective {
        ws.write_datetime_with_format(row, 12, excel_date(d)?, date)?;
    }
    ws.write_string(row, 13, r.status)?;
    ws.write_number_with_format(row, 14, f64::from(r.progress), percent)?;
    ws.write_string(row, 15, r.light)?;
    ws.write_string(row, 16, &r.card)?;
    if let Some(p) = r.score {
        ws.write_number_with_format(row, 17, p, score)?;
    }
    if let Some(d) = r.closed {
        ws.write_datetime_with_format(row, 18, excel_date(d)?, date)?;
    }
    ws.write_string_with_format(row, 19, &r.latest, wrap)?;
    ws.write_string(row, 20, &r.id)?;
    Ok(())
}

/// Builds a workbook from `data` off the async threads and answers it as a download named
/// `<name>-<period>.xlsx` in the stamp's language (ASCII fallback `<ascii>-<period>.xlsx`).
async fn workbook<T: Send + 'static>(
    data: T,
    s: Stamp,
    build: fn(&T, &Stamp) -> Result<Vec<u8>, XlsxError>,
    (name_key, ascii): (&str, &str),
) -> Result<Response, ApiError> {
    let part = s.period.file_part();
    let name = s.lang.t(name_key);
    let bytes = tokio::task::spawn_blocking(move || build(&data, &s))
        .await
        .map_err(ApiError::internal)?
        .map_err(xlsx_error)?;
    Ok(download(
        bytes,
        XLSX,
        &format!("{name}-{part}.xlsx"),
        &format!("{ascii}-{part}.xlsx"),
    ))
}

async fn ledger_xlsx(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    q: Result<Query<StatsQuery>, QueryRejection>,
    SignedIn(session, _): SignedIn<signin::ToLedger>,
) -> Response {
    let now = state.clock.now();
    let result = async {
        let filters = filters_of(q, &raw, &session.org, now)?;
        let s = stamp(&session, &filters, now);
        let (part, name) = (s.period.file_part(), s.lang.t("xlsx-file-ledger"));
        let mut chunks = read::ledger_chunks(&state, &session, &filters, now).await?;
        // The rows go a chunk at a time to the workbook being written off the async threads;
        // at most two chunks wait.
        let (send, mut recv) = tokio::sync::mpsc::channel::<Vec<LedgerRow>>(2);
        let writer =
            tokio::task::spawn_blocking(move || ledger_workbook(|| recv.blocking_recv(), &s));
        while let Some(items) = chunks.next().await? {
            let latest = latest_reports(&state, &session.org, &items).await?;
            let rows = ledger_rows(&session.org, &items, &latest, now);
            drop(items);
            if send.send(rows).await.is_err() {
                // The writer stopped: its error is answered below.
                break;
            }
        }
        drop((send, chunks));
        let bytes = writer
            .await
            .map_err(ApiError::internal)?
            .map_err(xlsx_error)?;
        Ok::<_, ApiError>(download(
            bytes,
            XLSX,
            &format!("{name}-{part}.xlsx"),
            &format!("ledger-{part}.xlsx"),
        ))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// One breakdown of the statistics as a sheet: name, items, share, and a total row.
#[allow(clippy::too_many_arguments)]
fn bucket_sheet(
    ws: &mut Worksheet,
    lang: Lang,
    name: &str,
    what: &str,
    buckets: &[Bucket],
    total: u64,
    title: &Format,
    bold: &Format,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    ws.write_string_with_format(0, 0, what, title)?;
    for (c, (h, w)) in [
        ("xlsx-name", 28.0),
        ("xlsx-items", 12.0),
        ("xlsx-share", 10.0),
        ("xlsx-key", 38.0),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(1, c as u16, lang.t(h), bold)?;
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(2, 0)?;
    let share = Format::new().set_num_format("0.0%");
    let mut r = 2;
    for b in buckets {
        let label = match (&b.zh, &b.en) {
            (Some(zh), Some(en)) if !en.is_empty() => lang.pick(zh, en).to_owned(),
            (Some(zh), _) => zh.clone(),
            _ => lang.t("stats-none"),
        };
        ws.write_string(r, 0, &label)?;
        ws.write_number(r, 1, b.count as f64)?;
        if total > 0 {
            ws.write_number_with_format(r, 2, b.count as f64 / total as f64, &share)?;
        }
        ws.write_string(r, 3, &b.key)?;
        r += 1;
    }
    ws.write_string_with_format(r, 0, lang.t("xlsx-total"), bold)?;
    ws.write_number_with_format(
        r,
        1,
        buckets.iter().map(|b| b.count).sum::<u64>() as f64,
        bold,
    )?;
    Ok(())
}

/// The hotline's monthly figures as a sheet: a row per unit and the total, then the calls
/// (docs/domain.md, "Hotline work orders: the monthly figures"). No caller's data.
fn hotline_sheet(
    ws: &mut Worksheet,
    h: &HotlineStats,
    s: &Stamp,
    title: &Format,
    bold: &Format,
) -> Result<(), XlsxError> {
    let lang = s.lang;
    ws.set_name(lang.t("hstats-sheet"))?;
    ws.write_string_with_format(
        0,
        0,
        lang.t_args("hstats-xlsx-title", &[("org", &s.org), ("month", &h.month)]),
        title,
    )?;
    let headers = [
        "hstats-unit",
        "hstats-orders",
        "hstats-completed",
        "hstats-completion",
        "hstats-called-back",
        "hstats-satisfied",
        "hstats-basic",
        "hstats-unsatisfied",
        "hstats-satisfaction",
        "hstats-returns",
        "hstats-transfers",
        "hstats-commitments",
        "hstats-overdue",
        "hstats-reopened",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, lang.t(h), bold)?;
        ws.set_column_width(c as u16, if c == 0 { 28.0 } else { 12.0 })?;
    }
    ws.set_freeze_panes(2, 1)?;
    let share = Format::new().set_num_format("0.0\"%\"");
    let mut r = 2;
    let line = |ws: &mut Worksheet,
                r: u32,
                name: &str,
                f: &OrderFigures,
                fmt: Option<&Format>|
     -> Result<(), XlsxError> {
        match fmt {
            Some(b) => ws.write_string_with_format(r, 0, name, b)?,
            None => ws.write_string(r, 0, name)?,
        };
        let counts = [
            (1, f.orders),
            (2, f.completed),
            (4, f.called_back),
            (5, f.satisfied),
            (6, f.basic),
            (7, f.unsatisfied),
            (9, f.returns),
            (10, f.transfers),
            (11, f.commitments),
            (12, f.overdue),
            (13, f.reopened),
        ];
        for (c, n) in counts {
            ws.write_number(r, c, f64::from(n))?;
        }
        for (c, p) in [(3, f.completion_percent()), (8, f.satisfaction_percent())] {
            match p {
                Some(p) => ws.write_number_with_format(r, c, p, &share)?,
                None => ws.write_string(r, c, "—")?,
            };
        }
        Ok(())
    };
    for row in &h.rows {
        line(ws, r, &row.name, &row.figures, None)?;
        r += 1;
    }
    line(ws, r, &lang.t("hstats-total"), &h.total, Some(bold))?;
    r += 2;
    let calls = [
        ("hstats-calls", h.calls.taken),
        ("hstats-accepted", h.calls.accepted),
        ("hstats-not-accepted", h.calls.not_accepted.total()),
        ("hstats-undecided", h.calls.undecided),
    ];
    for (k, n) in calls {
        ws.write_string(r, 0, lang.t(k))?;
        ws.write_number(r, 1, f64::from(n))?;
        r += 1;
    }
    for (code, n) in h.calls.not_accepted.by_code() {
        ws.write_string(
            r,
            0,
            format!(
                "{} · {}",
                lang.t("hstats-not-accepted"),
                lang.t(&format!("hstats-reason-{code}"))
            ),
        )?;
        ws.write_number(r, 1, f64::from(n))?;
        r += 1;
    }
    Ok(())
}

/// The statistics as an xlsx workbook, with the hotline's monthly figures when the policy
/// has hotline categories. Each sheet is written row by row in rust_xlsxwriter's low-memory
/// mode (a row is flushed to a temporary file once the next begins), like the ledger.
fn stats_workbook(
    (st, hotline): &(Stats, Option<HotlineStats>),
    s: &Stamp,
) -> Result<Vec<u8>, XlsxError> {
    let lang = s.lang;
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold().set_background_color("#F2F2F2");
    {
        let ws = wb.add_worksheet_with_low_memory()?;
        ws.set_name(lang.t("xlsx-sheet-summary"))?;
        ws.set_column_width(0, 30)?;
        ws.set_column_width(1, 14)?;
        ws.write_string_with_format(
            0,
            0,
            lang.t_args(
                "xlsx-stats-title",
                &[("org", &s.org), ("period", &s.period.words_in(lang))],
            ),
            &title,
        )?;
        ws.write_string_with_format(1, 0, lang.t("xlsx-figure"), &bold)?;
        ws.write_string_with_format(1, 1, lang.t("xlsx-value"), &bold)?;
        let c = &st.completion.counts;
        let figures: [(&str, f64); 7] = [
            ("stats-total", st.total as f64),
            ("stats-overdue", st.overdue as f64),
            ("stats-escalated", st.escalated as f64),
            ("scores-due", f64::from(c.due)),
            ("xlsx-on-time", f64::from(c.on_time)),
            ("stats-late", f64::from(c.late)),
            ("stats-open", f64::from(c.open)),
        ];
        let mut r = 2;
        for (k, v) in figures {
            ws.write_string(r, 0, lang.t(k))?;
            ws.write_number(r, 1, v)?;
            r += 1;
        }
        ws.write_string(r, 0, lang.t("xlsx-rate"))?;
        match st.completion.percent {
            Some(p) => {
                ws.write_number_with_format(r, 1, p, &Format::new().set_num_format("0.0"))?
            }
            None => ws.write_string(r, 1, "—")?,
        };
    }
    let total = st.total;
    for (name, what, buckets) in [
        ("xlsx-sheet-unit", "stats-by-unit", &st.by_unit),
        ("xlsx-sheet-person", "stats-by-person", &st.by_person),
        ("xlsx-sheet-category", "stats-by-category", &st.by_category),
        ("xlsx-sheet-status", "stats-by-status", &st.by_status),
        ("xlsx-sheet-urgency", "stats-by-urgency", &st.by_urgency),
        ("xlsx-sheet-light", "stats-by-light", &st.by_light),
    ] {
        bucket_sheet(
            wb.add_worksheet_with_low_memory()?,
            lang,
            &lang.t(name),
            &lang.t(what),
            buckets,
            total,
            &title,
            &bold,
        )?;
    }
    if let Some(h) = hotline {
        hotline_sheet(wb.add_worksheet_with_low_memory()?, h, s, &title, &bold)?;
    }
    stamp_sheet(
        wb.add_worksheet_with_low_memory()?,
        s,
        st.total as usize,
        &bold,
    )?;
    wb.save_to_buffer()
}

/// The query string without its `month` (the hotline sheet's month, `YYYY-MM`), and that
/// month decoded.
fn without_month(raw: &Option<String>) -> (Option<String>, Option<String>) {
    let Some(raw) = raw.as_deref() else {
        return (None, None);
    };
    let mut month = None;
    let rest: Vec<&str> = raw
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("month", v)) => {
                month = Some(decode(v));
                false
            }
            _ => *pair != "month",
        })
        .collect();
    (Some(rest.join("&")), month)
}

async fn stats_xlsx(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    q: Result<Query<StatsQuery>, QueryRejection>,
    SignedIn(session, _): SignedIn<signin::ToLedger>,
) -> Response {
    let now = state.clock.now();
    let result = async {
        // The hotline sheet's month is not one of the statistics' filters.
        let (raw, month) = without_month(&raw);
        let q = match &month {
            None => q,
            Some(_) => {
                let uri: axum::http::Uri = format!("/?{}", raw.as_deref().unwrap_or(""))
                    .parse()
                    .map_err(|_| {
                        ApiError::bad_request(
                            "query.bad_filter",
                            "查询参数无法识别",
                            "the query string does not read",
                        )
                    })?;
                Query::<StatsQuery>::try_from_uri(&uri)
            }
        };
        let filters = filters_of(q, &raw, &session.org, now)?;
        let st = read::stats_for(&state, &session, &filters, now).await?;
        let org = &session.org;
        let hotline = if org.policy.categories.iter().any(|c| c.order_line.is_some()) {
            let month = month
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| read::current_month(org, now));
            Some(read::hotline_for(&state, &session, &month, now).await?)
        } else {
            None
        };
        workbook(
            (st, hotline),
            stamp(&session, &filters, now),
            stats_workbook,
            ("xlsx-file-stats", "stats"),
        )
        .await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

// ----- the archive --------------------------------------------------------------------------

/// The item's archive for `session` at `now`, if they may read it: the zip's bytes and the
/// item's number (for the file name).
pub async fn archive_bytes(
    state: &AppState,
    session: &Session,
    task: TaskId,
    now: DateTime<Utc>,
) -> Result<Option<(Vec<u8>, String)>, ApiError> {
    let Some(item) = read::item_summary(state, session, task, now).await? else {
        return Ok(None);
    };
    let org = &session.org;
    let mut tx = state.db.read().await?;
    let Some(head_row) = db::trail::head(&mut tx, task).await? else {
        return Ok(None);
    };
    let length = u64::try_from(head_row.version).unwrap_or_default();
    let head = Hash::from_hex(&head_row.head)
        .ok_or_else(|| ApiError::internal("stored trail head is not hex"))?;
    let mut trail: Vec<TrailEntry> = Vec::new();
    for r in db::trail::events(&mut tx, task).await? {
        let prev = trail.last().map_or(Hash::GENESIS, |e| e.hash);
        let hash = r
            .hash
            .as_deref()
            .and_then(Hash::from_hex)
            .ok_or_else(|| ApiError::internal("stored event hash is not hex"))?;
        trail.push(TrailEntry {
            task,
            seq: u64::try_from(r.task_seq.unwrap_or_default()).unwrap_or_default(),
            prev,
            hash,
            event: r.event,
        });
    }
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    for blob in archive::cited(&trail) {
        match db::blobs::content(&mut tx, &blob.hash).await? {
            Some(content) => evidence.push(Evidence { content, blob }),
            None => missing.push(blob.hash),
        }
    }
    drop(tx);
    let name_of = |u: UserId| {
        if u == UserId::SYSTEM {
            i18n::t("pcal-system")
        } else {
            org.people
                .get(&u)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| u.to_string())
        }
    };
    let input = ArchiveInput {
        item: ArchivedItem {
            id: task,
            number: item.number.clone(),
            title: item.title.clone(),
        },
        trail: &trail,
        head: (length, head),
        evidence,
        missing,
        exported_at: now,
        exported_by: session.user(),
        exported_by_name: name_of(session.user()),
        calendar: &org.calendar,
        name_of: &name_of,
    };
    let bytes = archive::build(&input).map_err(ApiError::internal)?;
    Ok(Some((bytes, item.number)))
}

async fn archive_zip(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn<signin::ToArchive>,
) -> Response {
    let missing = || ApiError::not_found("事项", "item").into_response();
    let Ok(task) = uuid::Uuid::parse_str(id.trim()).map(TaskId) else {
        return missing();
    };
    match archive_bytes(&state, &session, task, state.clock.now()).await {
        Ok(Some((bytes, number))) => {
            let stem = if number.is_empty() {
                task.to_string()
            } else {
                number
            };
            download(
                bytes,
                "application/zip",
                &format!("{}-{stem}.zip", i18n::t("ledger-archive-file")),
                &format!("archive-{task}.zip"),
            )
        }
        Ok(None) => missing(),
        Err(e) => e.into_response(),
    }
}
