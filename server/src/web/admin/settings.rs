//! The console's settings: categories and their attributes, the policy, the working-day
//! calendar, and the push and SMS providers' state.
//!
//! - `GET /admin/categories`; `GET /admin/categories/new`, `GET /admin/categories/{code}`
//!   (the form), `POST /admin/categories` (create), `POST /admin/categories/{code}` (edit):
//!   code, names, number prefix, evidence and instruction flags, and the attributes — each
//!   with its Chinese and English label, whether it is required and whether confidential;
//! - `GET /admin/policy`, `POST /admin/policy`: every number of the policy with its meaning;
//! - `GET /admin/calendar?year=`: a year as a month grid; `POST /admin/calendar/day` (edit a
//!   day), `POST /admin/calendar/import` (a `YYYY.json` file, multipart field `file`),
//!   `POST /admin/calendar/notice` (the State Council's notice retyped: each holiday's name,
//!   first and last day, and its adjusted working days), `POST /admin/calendar/provisional`
//!   (the shipped provisional 2027 data);
//! - `GET /admin/delivery`: which providers the server's settings configure (never their
//!   secrets) and, per provider, the last delivery, the last failure and the last 24 hours.
//!
//! Every change goes through the API's own functions ([`admin::change_policy`],
//! [`admin::change_calendar`]): the same checks ([`Policy::check`],
//! [`Calendar::import_year`]), the same feed row, and the administrative trail, in one
//! transaction. A refused form comes back with the refusal at its field and what was typed.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use duban_core::domain::calendar::{self, DayKind, Source, SpecialDay, SpecialKind, YearData};
use duban_core::domain::policy::{attribute_key_ok, AttributeLabel, CategoryDef, PolicyError};
use duban_core::domain::{Calendar, Policy};
use serde::Deserialize;
use serde_json::Value;

use super::AdminPage;
use crate::auth::Session;
use crate::db;
use crate::error::{ApiError, Form, Multipart, Path};
use crate::i18n::{self, Lang};
use crate::routes::admin::{self, Recorded};
use crate::web::{page, Chrome};
use crate::AppState;

/// The routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/categories", get(categories).post(create_category))
        .route("/admin/categories/new", get(new_category))
        .route(
            "/admin/categories/{code}",
            get(edit_category).post(update_category),
        )
        .route("/admin/policy", get(policy).post(save_policy))
        .route("/admin/calendar", get(calendar_page))
        .route("/admin/calendar/day", post(calendar_day))
        .route("/admin/calendar/import", post(calendar_import))
        .route("/admin/calendar/notice", post(calendar_notice))
        .route("/admin/calendar/provisional", post(calendar_provisional))
        .route("/admin/delivery", get(delivery))
}

/// A form's fields, as sent.
type Fields = Vec<(String, String)>;

fn field<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

fn chrome(state: &AppState, session: &Session, here: &str) -> Chrome {
    Chrome::new(
        Some(session),
        &session.org.calendar,
        here,
        state.clock.now(),
    )
}

/// A refusal's sentence in the page's language.
fn said(e: &ApiError) -> String {
    i18n::current().pick(&e.zh, &e.en).to_owned()
}

/// The year whose holidays administrators must be told are missing: from 1 December
/// (the organisation's local date), next year, while it has no data from its notice (none,
/// or only provisional data).
pub fn holidays_missing(calendar: &Calendar, now: DateTime<Utc>) -> Option<i32> {
    let today = calendar.to_local(now).date();
    let next = today.year() + 1;
    (today.month() == 12 && calendar.is_provisional(next)).then_some(next)
}

// ----- categories ------------------------------------------------------------------------------

/// A category as the list shows it.
struct CategoryLine {
    code: String,
    name: String,
    prefix: String,
    attributes: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct CategoriesPage {
    chrome: Chrome,
    categories: Vec<CategoryLine>,
}

async fn categories(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    let en = i18n::current() == Lang::En;
    let categories = session
        .org
        .policy
        .categories
        .iter()
        .map(|c| CategoryLine {
            code: c.code.clone(),
            name: if en { &c.name_en } else { &c.name_zh }.clone(),
            prefix: c.prefix.clone(),
            attributes: c
                .attribute_keys()
                .into_iter()
                .map(|k| {
                    let mut s = c.label(k, en).to_owned();
                    if c.required_attributes.iter().any(|r| r == k) {
                        s.push('*');
                    }
                    s
                })
                .collect(),
        })
        .collect();
    let chrome = chrome(&state, &session, "/admin/categories");
    page(StatusCode::OK, &CategoriesPage { chrome, categories })
}

/// One attribute row of the category form.
#[derive(Default)]
struct AttrRow {
    /// Its place (from 0), and from 1.
    i: usize,
    n: usize,
    key: String,
    zh: String,
    en: String,
    required: bool,
    confidential: bool,
}

#[derive(Template)]
#[template(path = "admin/category.html")]
struct CategoryPage {
    chrome: Chrome,
    is_new: bool,
    code: String,
    name_zh: String,
    name_en: String,
    prefix: String,
    evidence_required: bool,
    is_instruction: bool,
    rows: Vec<AttrRow>,
    /// The refusal, at its field: the field's name (`code`, `attr-3`…) and the sentence.
    bad: Option<(String, String)>,
    code_shown: String,
}

impl CategoryPage {
    fn bad_at(&self, name: &str) -> Option<&str> {
        self.bad
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }
}

fn numbered(rows: &mut [AttrRow]) {
    for (i, r) in rows.iter_mut().enumerate() {
        r.i = i;
        r.n = i + 1;
    }
}

fn numbered_notice(rows: &mut [NoticeRow]) {
    for (i, r) in rows.iter_mut().enumerate() {
        r.i = i;
        r.n = i + 1;
    }
}

/// Empty rows offered for new attributes.
const NEW_ROWS: usize = 2;

fn category_page(chrome: Chrome, is_new: bool, c: &CategoryDef) -> CategoryPage {
    let mut rows: Vec<AttrRow> = c
        .attribute_keys()
        .into_iter()
        .map(|k| {
            let label = c.labels.get(k).cloned().unwrap_or_default();
            AttrRow {
                key: k.to_owned(),
                zh: label.zh,
                en: label.en,
                required: c.required_attributes.iter().any(|r| r == k),
                confidential: c.confidential_attributes.iter().any(|r| r == k),
                ..AttrRow::default()
            }
        })
        .collect();
    rows.extend((0..NEW_ROWS).map(|_| AttrRow::default()));
    numbered(&mut rows);
    CategoryPage {
        chrome,
        is_new,
        code_shown: c.code.clone(),
        code: c.code.clone(),
        name_zh: c.name_zh.clone(),
        name_en: c.name_en.clone(),
        prefix: c.prefix.clone(),
        evidence_required: c.evidence_required,
        is_instruction: c.is_instruction,
        rows,
        bad: None,
    }
}

fn blank_category() -> CategoryDef {
    CategoryDef {
        code: String::new(),
        name_zh: String::new(),
        name_en: String::new(),
        prefix: String::new(),
        required_attributes: Vec::new(),
        confidential_attributes: Vec::new(),
        evidence_required: false,
        is_instruction: false,
        labels: BTreeMap::new(),
        order_line: None,
    }
}

async fn new_category(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    let chrome = chrome(&state, &session, "/admin/categories");
    page(
        StatusCode::OK,
        &category_page(chrome, true, &blank_category()),
    )
}

async fn edit_category(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(code): Path<String>,
) -> Response {
    let Some(c) = session.org.policy.category(&code).cloned() else {
        return ApiError::not_found("事项类别", "category").into_response();
    };
    let chrome = chrome(&state, &session, "/admin/categories");
    page(StatusCode::OK, &category_page(chrome, false, &c))
}

/// The category the form describes (the attribute rows with a key; a row's label without a
/// key is kept as typed, and refused).
fn category_of(form: &Fields, code: &str) -> (CategoryDef, Vec<AttrRow>) {
    let mut c = blank_category();
    c.code = code.trim().to_owned();
    c.name_zh = field(form, "name_zh").trim().to_owned();
    c.name_en = field(form, "name_en").trim().to_owned();
    c.prefix = field(form, "prefix").trim().to_owned();
    c.evidence_required = !field(form, "evidence_required").is_empty();
    c.is_instruction = !field(form, "is_instruction").is_empty();
    let mut rows = Vec::new();
    for i in 0.. {
        if !form.iter().any(|(n, _)| n == &format!("attr-key-{i}")) {
            break;
        }
        let row = AttrRow {
            key: field(form, &format!("attr-key-{i}")).trim().to_owned(),
            zh: field(form, &format!("attr-zh-{i}")).trim().to_owned(),
            en: field(form, &format!("attr-en-{i}")).trim().to_owned(),
            required: !field(form, &format!("attr-req-{i}")).is_empty(),
            confidential: !field(form, &format!("attr-conf-{i}")).is_empty(),
            ..AttrRow::default()
        };
        let named = !row.key.is_empty();
        let anything = named || !row.zh.is_empty() || !row.en.is_empty();
        if anything {
            // A label without a key: kept under an empty key, which the policy refuses.
            let key = row.key.clone();
            if row.required || !named {
                c.required_attributes.push(key.clone());
            }
            if row.confidential {
                c.confidential_attributes.push(key.clone());
            }
            if !row.zh.is_empty() || !row.en.is_empty() {
                c.labels.insert(
                    key,
                    AttributeLabel {
                        zh: row.zh.clone(),
                        en: row.en.clone(),
                    },
                );
            }
        }
        rows.push(row);
    }
    (c, rows)
}

/// Which field of the category form a refusal of the policy belongs to.
fn category_field(e: &PolicyError, c: &CategoryDef, rows: &[AttrRow]) -> String {
    match e {
        PolicyError::DuplicateCategory(_) => "code".into(),
        PolicyError::IncompleteCategory(_) | PolicyError::ControlChar(_) => {
            let named = [
                ("code", &c.code),
                ("name_zh", &c.name_zh),
                ("name_en", &c.name_en),
                ("prefix", &c.prefix),
            ];
            named
                .iter()
                .find(|(_, v)| {
                    v.trim().is_empty() || duban_core::domain::text::refused_char(v, true).is_some()
                })
                .map_or("code", |(n, _)| n)
                .to_owned()
        }
        PolicyError::BadAttribute(_) => rows
            .iter()
            .position(|r| {
                let any = !r.key.is_empty() || !r.zh.is_empty() || !r.en.is_empty();
                any && (!attribute_key_ok(&r.key)
                    || [&r.zh, &r.en]
                        .iter()
                        .any(|t| duban_core::domain::text::refused_char(t, true).is_some()))
            })
            .map_or_else(|| "attributes".to_owned(), |i| format!("attr-{i}")),
        _ => "form".into(),
    }
}

async fn create_category(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Form(form): Form<Fields>,
) -> Response {
    let code = field(&form, "code").to_owned();
    write_category(&state, &session, &form, &code, true).await
}

async fn update_category(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(code): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    if session.org.policy.category(&code).is_none() {
        return ApiError::not_found("事项类别", "category").into_response();
    }
    write_category(&state, &session, &form, &code, false).await
}

async fn write_category(
    state: &AppState,
    session: &Session,
    form: &Fields,
    code: &str,
    is_new: bool,
) -> Response {
    let (category, rows) = category_of(form, code);
    let place = |p: &Policy| p.categories.iter().position(|c| c.code == category.code);
    let apply = |p: &Policy| -> Policy {
        let mut p = p.clone();
        match (is_new, place(&p)) {
            (false, Some(i)) => p.categories[i] = category.clone(),
            // A new category with a taken code is pushed all the same: the policy's check
            // refuses the duplicate, as the API does.
            _ => p.categories.push(category.clone()),
        }
        p
    };
    let refusal = match apply(&session.org.policy).check() {
        Err(e) => Some((
            category_field(&e, &category, &rows),
            said(&admin::policy_refusal(&e)),
        )),
        Ok(()) => {
            let outcome = admin::change_policy(state, session, |before| {
                let old = place(before).map(|i| before.categories[i].clone());
                let kind = if is_new {
                    "category.create"
                } else {
                    "category.update"
                };
                let trail = Recorded::of(kind, &category.code, old.as_ref(), Some(&category));
                Ok((apply(before), trail))
            })
            .await;
            match outcome {
                Ok(_) => return Redirect::to("/admin/categories").into_response(),
                Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                    Some(("form".to_owned(), said(&e)))
                }
                Err(e) => return e.into_response(),
            }
        }
    };
    let chrome = chrome(state, session, "/admin/categories");
    let mut p = category_page(chrome, is_new, &category);
    p.rows = rows;
    p.rows.extend((0..NEW_ROWS).map(|_| AttrRow::default()));
    numbered(&mut p.rows);
    p.code = code.to_owned();
    p.bad = refusal;
    page(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

// ----- the policy ------------------------------------------------------------------------------

/// How a policy field is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A whole number, at least 0.
    Count,
    /// Points (one decimal).
    Points,
    /// A whole number or nothing.
    OptCount,
    /// Points or nothing.
    OptPoints,
    /// Whole numbers separated by commas.
    Counts,
    /// A local time `HH:MM`; both ends of the quiet hours empty: none.
    Time,
    /// Yes or no.
    Flag,
    /// `working` or `calendar`.
    LateDays,
    /// Short texts separated by 、 or commas (the reply template's sections).
    Texts,
}

/// The policy's fields by section, each a path into the policy's JSON.
const SECTIONS: &[(&str, &[(&str, Kind)])] = &[
    (
        "deadlines",
        &[
            ("deadline_days.normal", Kind::Count),
            ("deadline_days.urgent", Kind::Count),
            ("deadline_days.extra_urgent", Kind::Count),
            ("deadline_days.instruction", Kind::Count),
            ("review_within_working_days", Kind::Count),
            ("decline_within_working_days", Kind::Count),
        ],
    ),
    (
        "urging",
        &[
            ("remind_before_working_days", Kind::Counts),
            ("escalate_after_urges", Kind::Count),
            ("urge_interval_hours", Kind::Count),
        ],
    ),
    (
        "lights",
        &[
            ("yellow_within_working_days", Kind::Count),
            ("behind_schedule_tolerance", Kind::Count),
        ],
    ),
    (
        "scoring",
        &[
            ("scoring.base", Kind::Points),
            ("scoring.late_per_day", Kind::Points),
            ("scoring.late_days", Kind::LateDays),
            ("scoring.late_cap", Kind::OptPoints),
            ("scoring.per_return", Kind::Points),
            ("scoring.escalation", Kind::Points),
            ("scoring.late_report", Kind::Points),
            ("scoring.light.green", Kind::Points),
            ("scoring.light.yellow", Kind::Points),
            ("scoring.light.red", Kind::Points),
            ("scoring.card.green", Kind::Points),
            ("scoring.card.yellow", Kind::Points),
            ("scoring.card.red", Kind::Points),
            ("scoring.stars.0", Kind::Points),
            ("scoring.stars.1", Kind::Points),
            ("scoring.stars.2", Kind::Points),
            ("scoring.stars.3", Kind::Points),
            ("scoring.stars.4", Kind::Points),
            ("scoring.max_adjustment", Kind::Points),
        ],
    ),
    (
        "hotline",
        &[
            ("hotline.dispatch_hours", Kind::Count),
            ("hotline.return_hours", Kind::Count),
            ("hotline.inform_caller_days", Kind::Count),
            ("hotline.handle_working_days", Kind::Count),
            ("hotline.reopen_working_days", Kind::Count),
            ("hotline.duplicate_window_days", Kind::Count),
            ("hotline.environment_days", Kind::Count),
            ("hotline.environment_extension_days", Kind::Count),
            ("hotline.reply_sections", Kind::Texts),
            ("hotline.unsatisfied_points", Kind::Points),
            ("hotline.basic_points", Kind::Points),
            ("hotline.unjustified_return_points", Kind::Points),
        ],
    ),
    (
        "card",
        &[
            ("card.green_min_stars", Kind::Count),
            ("card.green_max_returns", Kind::Count),
            ("card.red_max_stars", Kind::Count),
            ("card.red_min_returns", Kind::Count),
        ],
    ),
    (
        "evidence",
        &[
            ("evidence.max_delay_hours", Kind::Count),
            ("evidence.clock_tolerance_minutes", Kind::Count),
        ],
    ),
    (
        "delivery",
        &[
            ("delivery.normal.push_after_minutes", Kind::OptCount),
            ("delivery.normal.work_after_minutes", Kind::OptCount),
            ("delivery.normal.sms_after_minutes", Kind::OptCount),
            ("delivery.normal.voice_after_minutes", Kind::OptCount),
            ("delivery.urgent.push_after_minutes", Kind::OptCount),
            ("delivery.urgent.work_after_minutes", Kind::OptCount),
            ("delivery.urgent.sms_after_minutes", Kind::OptCount),
            ("delivery.urgent.voice_after_minutes", Kind::OptCount),
            ("delivery.extra_urgent.push_after_minutes", Kind::OptCount),
            ("delivery.extra_urgent.work_after_minutes", Kind::OptCount),
            ("delivery.extra_urgent.sms_after_minutes", Kind::OptCount),
            ("delivery.extra_urgent.voice_after_minutes", Kind::OptCount),
            ("delivery.sms_merge_minutes", Kind::Count),
            ("delivery.quiet_hours.from", Kind::Time),
            ("delivery.quiet_hours.to", Kind::Time),
            ("delivery.extra_urgent_ignores_quiet_hours", Kind::Flag),
        ],
    ),
];

fn fields() -> impl Iterator<Item = (&'static str, Kind)> {
    SECTIONS.iter().flat_map(|(_, f)| f.iter().copied())
}

/// The catalog key of a field's meaning, e.g. `config-p-deadline_days-normal`.
fn meaning_key(path: &str) -> String {
    format!("config-p-{}", path.replace('.', "-"))
}

fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |v, k| match k.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(k),
        })
}

fn set(v: &mut Value, path: &str, new: Value) {
    let mut v = v;
    let parts: Vec<&str> = path.split('.').collect();
    for (n, k) in parts.iter().enumerate() {
        let last = n + 1 == parts.len();
        if v.is_null() {
            *v = Value::Object(serde_json::Map::new());
        }
        let slot = match (k.parse::<usize>(), v) {
            (Ok(i), Value::Array(a)) => a.get_mut(i),
            (_, Value::Object(o)) => Some(o.entry(k.to_string()).or_insert(Value::Null)),
            _ => None,
        };
        let Some(slot) = slot else { return };
        if last {
            *slot = new;
            return;
        }
        v = slot;
    }
}

/// A field's value as the form shows it.
fn shown(policy: &Value, path: &str, kind: Kind) -> String {
    let v = at(policy, path).cloned().unwrap_or(Value::Null);
    match (kind, v) {
        (_, Value::Null) => String::new(),
        (Kind::Flag, Value::Bool(b)) => if b { "on" } else { "" }.into(),
        (Kind::Counts, Value::Array(a)) => a
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        (Kind::Time, Value::String(s)) => s.get(..5).unwrap_or(&s).to_owned(),
        (Kind::Texts, Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join("、"),
        (Kind::Points | Kind::OptPoints, Value::Number(n)) => {
            let f = n.as_f64().unwrap_or_default();
            if f.fract() == 0.0 {
                format!("{f:.0}")
            } else {
                format!("{f:.1}")
            }
        }
        (_, Value::String(s)) => s,
        (_, v) => v.to_string(),
    }
}

/// A typed value, parsed; `Err` is the refusal's catalog key.
fn parsed(kind: Kind, typed: &str) -> Result<Value, &'static str> {
    let t = typed.trim();
    let count = |t: &str| {
        t.parse::<u32>()
            .map(Value::from)
            .map_err(|_| "config-policy-not-count")
    };
    let points = |t: &str| match t.parse::<f64>() {
        Ok(f) if f.is_finite() && (f * 10.0).fract().abs() < 1e-9 => Ok(Value::from(f)),
        _ => Err("config-policy-not-points"),
    };
    match kind {
        Kind::Count => count(t),
        Kind::Points => points(t),
        Kind::OptCount if t.is_empty() => Ok(Value::Null),
        Kind::OptCount => count(t),
        Kind::OptPoints if t.is_empty() => Ok(Value::Null),
        Kind::OptPoints => points(t),
        Kind::Counts => t
            .split([',', '，', '、', ' '])
            .filter(|s| !s.trim().is_empty())
            .map(|s| count(s.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Kind::Time if t.is_empty() => Ok(Value::Null),
        Kind::Time => chrono::NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| chrono::NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .map(|time| Value::from(time.format("%H:%M:%S").to_string()))
            .map_err(|_| "config-policy-not-time"),
        Kind::Flag => Ok(Value::Bool(!t.is_empty())),
        Kind::LateDays if t == "working" || t == "calendar" => Ok(Value::from(t)),
        Kind::LateDays => Err("config-policy-not-choice"),
        Kind::Texts => Ok(Value::Array(
            t.split([',', '，', '、'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Value::from)
                .collect(),
        )),
    }
}

/// The policy's JSON with `changes` (path, value) applied; the quiet hours are none when
/// both ends are empty.
fn with_changes(saved: &Value, changes: &[(&str, Value)]) -> Value {
    let mut v = saved.clone();
    for (path, new) in changes {
        set(&mut v, path, new.clone());
    }
    let quiet = at(&v, "delivery.quiet_hours").cloned();
    if quiet.as_ref().is_some_and(|q| {
        q.is_object()
            && at(q, "from").is_none_or(Value::is_null)
            && at(q, "to").is_none_or(Value::is_null)
    }) {
        set(&mut v, "delivery.quiet_hours", Value::Null);
    }
    v
}

/// Whether the policy with these changes reads and passes the policy's check; the
/// refusal otherwise (`None`: it does not read at all).
fn trial(saved: &Value, changes: &[(&str, Value)]) -> Result<Policy, Option<PolicyError>> {
    let policy: Policy = serde_json::from_value(with_changes(saved, changes)).map_err(|_| None)?;
    policy.check().map_err(Some)?;
    Ok(policy)
}

/// A policy field, as the page shows it.
struct PolicyField {
    path: &'static str,
    meaning: String,
    value: String,
    kind: Kind,
    bad: Option<String>,
}

struct PolicySection {
    title: String,
    fields: Vec<PolicyField>,
}

#[derive(Template)]
#[template(path = "admin/policy.html")]
struct PolicyPage {
    chrome: Chrome,
    sections: Vec<PolicySection>,
    saved: bool,
    refused: bool,
}

impl PolicyField {
    fn is(&self, kind: &str) -> bool {
        let k = match self.kind {
            Kind::Flag => "flag",
            Kind::LateDays => "choice",
            Kind::Time => "time",
            Kind::Texts => "texts",
            _ => "text",
        };
        k == kind
    }
}

fn policy_page(
    chrome: Chrome,
    values: &BTreeMap<&'static str, String>,
    bad: &BTreeMap<&'static str, String>,
    saved: bool,
) -> PolicyPage {
    let sections = SECTIONS
        .iter()
        .map(|(name, fs)| PolicySection {
            title: i18n::t(&format!("config-policy-section-{name}")),
            fields: fs
                .iter()
                .map(|(path, kind)| PolicyField {
                    path,
                    meaning: i18n::t(&meaning_key(path)),
                    value: values.get(path).cloned().unwrap_or_default(),
                    kind: *kind,
                    bad: bad.get(path).cloned(),
                })
                .collect(),
        })
        .collect();
    PolicyPage {
        chrome,
        sections,
        saved,
        refused: !bad.is_empty(),
    }
}

#[derive(Deserialize)]
struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

async fn policy(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Query(q): Query<Saved>,
) -> Response {
    let json = serde_json::to_value(&session.org.policy).unwrap_or_default();
    let values = fields().map(|(p, k)| (p, shown(&json, p, k))).collect();
    let chrome = chrome(&state, &session, "/admin/policy");
    page(
        StatusCode::OK,
        &policy_page(chrome, &values, &BTreeMap::new(), q.saved.is_some()),
    )
}

async fn save_policy(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Form(form): Form<Fields>,
) -> Response {
    let saved = serde_json::to_value(&session.org.policy).unwrap_or_default();
    let typed: BTreeMap<&'static str, String> = fields()
        .map(|(p, _)| (p, field(&form, p).to_owned()))
        .collect();
    let mut bad: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut changes: Vec<(&'static str, Value)> = Vec::new();
    for (path, kind) in fields() {
        match parsed(kind, &typed[path]) {
            Ok(v) if at(&saved, path).unwrap_or(&Value::Null) != &v => changes.push((path, v)),
            Ok(_) => {}
            Err(key) => {
                bad.insert(path, i18n::t(key));
            }
        }
    }
    // One end of the quiet hours without the other.
    let ends = ["delivery.quiet_hours.from", "delivery.quiet_hours.to"];
    if bad.is_empty() && ends.iter().filter(|p| typed[**p].trim().is_empty()).count() == 1 {
        let empty = ends
            .into_iter()
            .find(|p| typed[*p].trim().is_empty())
            .unwrap_or(ends[0]);
        bad.insert(empty, i18n::t("config-policy-quiet-both"));
    }
    if bad.is_empty() {
        match trial(&saved, &changes) {
            Ok(new) => {
                let outcome = admin::change_policy(&state, &session, |before| {
                    let trail = Recorded::of("policy.update", "policy", Some(before), Some(&new));
                    Ok((new.clone(), trail))
                })
                .await;
                match outcome {
                    Ok(_) => return Redirect::to("/admin/policy?saved=1").into_response(),
                    Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                        if let Some((p, _)) = changes.first() {
                            bad.insert(p, said(&e));
                        }
                    }
                    Err(e) => return e.into_response(),
                }
            }
            Err(refusal) => {
                let (path, message) = blame(&saved, &changes, refusal.as_ref());
                bad.insert(path, message);
            }
        }
    }
    let chrome = chrome(&state, &session, "/admin/policy");
    page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &policy_page(chrome, &typed, &bad, false),
    )
}

/// The field a refused policy's refusal belongs to, and the refusal in the page's language:
/// the changed field that is refused on its own (the check is the policy's, not a copy);
/// else, for a rule between fields (e.g. the card's thresholds), the first changed field the
/// rule names.
fn blame(
    saved: &Value,
    changes: &[(&'static str, Value)],
    refusal: Option<&PolicyError>,
) -> (&'static str, String) {
    let alone = changes
        .iter()
        .find(|(p, v)| trial(saved, &[(p, v.clone())]).is_err());
    let named = match refusal {
        Some(PolicyError::OutOfRange(name)) => Some(*name),
        _ => None,
    };
    let in_rule = changes
        .iter()
        .find(|(p, _)| named.is_some_and(|n| *p == n || p.starts_with(&format!("{n}."))));
    let path = alone
        .or(in_rule)
        .or(changes.first())
        .map_or("deadline_days.normal", |(p, _)| p);
    // Out of range (the API's sentence names the rule by its code; here the field is
    // marked), and so is a value the policy's type cannot hold (e.g. 300 for a percentage).
    let message = match refusal {
        None | Some(PolicyError::OutOfRange(_)) => i18n::t("config-policy-out-of-range"),
        Some(e) => said(&admin::policy_refusal(e)),
    };
    (path, message)
}

// ----- the calendar ----------------------------------------------------------------------------

/// One day of the grid.
struct Cell {
    day: u32,
    date: String,
    class: &'static str,
    kind: String,
    name: String,
}

struct Month {
    title: String,
    weeks: Vec<Vec<Option<Cell>>>,
}

/// A row of the notice form.
#[derive(Clone, Default)]
struct NoticeRow {
    /// Its place (from 0), and from 1.
    i: usize,
    n: usize,
    name: String,
    from: String,
    to: String,
    work: String,
}

#[derive(Template)]
#[template(path = "admin/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    year: i32,
    provisional: bool,
    /// The notice the year's data was taken from, as a line.
    source: Option<String>,
    /// Whether the year's imported data is itself marked provisional.
    marked_provisional: bool,
    months: Vec<Month>,
    weekdays: Vec<String>,
    /// Whether the shipped provisional data are offered (2027).
    offer_shipped: bool,
    missing: Option<i32>,
    day: DayForm,
    notice: NoticeForm,
    import_bad: Option<String>,
    done: Option<String>,
}

/// The edit-a-day form, as typed.
#[derive(Default)]
struct DayForm {
    date: String,
    kind: String,
    name: String,
    name_en: String,
    bad: Option<(String, String)>,
}

/// The notice form, as typed.
#[derive(Default)]
struct NoticeForm {
    title: String,
    number: String,
    published: String,
    rows: Vec<NoticeRow>,
    bad: Option<(String, String)>,
}

impl DayForm {
    fn bad_at(&self, name: &str) -> Option<&str> {
        self.bad
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }
}

impl NoticeForm {
    fn bad_at(&self, name: &str) -> Option<&str> {
        self.bad
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }
}

/// The holidays of the State Council's notices, in their order, with their English names.
const HOLIDAYS: [(&str, &str); 7] = [
    ("元旦", "New Year's Day"),
    ("春节", "Spring Festival"),
    ("清明节", "Qingming Festival"),
    ("劳动节", "Labour Day"),
    ("端午节", "Dragon Boat Festival"),
    ("中秋节", "Mid-Autumn Festival"),
    ("国庆节", "National Day"),
];

fn blank_notice() -> NoticeForm {
    let mut n = NoticeForm {
        rows: HOLIDAYS
            .iter()
            .map(|(zh, _)| NoticeRow {
                name: (*zh).to_owned(),
                ..NoticeRow::default()
            })
            .chain(std::iter::once(NoticeRow::default()))
            .collect(),
        ..NoticeForm::default()
    };
    numbered_notice(&mut n.rows);
    n
}

fn kind_name(kind: DayKind) -> (&'static str, String) {
    let class = match kind {
        DayKind::Workday => "workday",
        DayKind::Weekend => "weekend",
        DayKind::Holiday => "holiday",
        DayKind::AdjustedWorkday => "adjusted",
    };
    (class, i18n::t(&format!("config-day-{class}")))
}

fn months(calendar: &Calendar, year: i32) -> Vec<Month> {
    let en = i18n::current() == Lang::En;
    let special: BTreeMap<NaiveDate, SpecialDay> = calendar
        .special_days(year)
        .into_iter()
        .map(|d| (d.date, d))
        .collect();
    (1..=12)
        .filter_map(|m| {
            let first = NaiveDate::from_ymd_opt(year, m, 1)?;
            let mut weeks = Vec::new();
            let mut week: Vec<Option<Cell>> = (0..first.weekday().num_days_from_monday())
                .map(|_| None)
                .collect();
            let mut d = first;
            while d.month() == m && d.year() == year {
                let (class, kind) = kind_name(calendar.day_kind(d));
                let name = special
                    .get(&d)
                    .map(|s| if en { &s.name_en } else { &s.name }.clone())
                    .unwrap_or_default();
                week.push(Some(Cell {
                    day: d.day(),
                    date: d.to_string(),
                    class,
                    kind,
                    name,
                }));
                if week.len() == 7 {
                    weeks.push(std::mem::take(&mut week));
                }
                d = d.succ_opt()?;
            }
            if !week.is_empty() {
                week.resize_with(7, || None);
                weeks.push(week);
            }
            Some(Month {
                title: i18n::t_args("config-calendar-month", &[("month", &m)]),
                weeks,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct YearQuery {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    done: Option<String>,
}

fn calendar_view(
    state: &AppState,
    session: &Session,
    year: i32,
    day: DayForm,
    notice: NoticeForm,
    import_bad: Option<String>,
    done: Option<String>,
) -> CalendarPage {
    let cal = &session.org.calendar;
    let data = cal.year(year);
    let source = data.and_then(|d| d.source.as_ref()).map(|s| {
        format!("{} {} · {}", s.title, s.number, s.published)
            .trim()
            .to_owned()
    });
    let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| i18n::t(&format!("config-weekday-{d}")))
        .collect();
    CalendarPage {
        chrome: chrome(state, session, "/admin/calendar"),
        year,
        provisional: cal.is_provisional(year),
        source,
        marked_provisional: data.is_some_and(|d| d.provisional),
        months: months(cal, year),
        weekdays,
        offer_shipped: year == 2027 && cal.is_provisional(2027),
        missing: holidays_missing(cal, state.clock.now()),
        day,
        notice,
        import_bad,
        done,
    }
}

fn this_year(state: &AppState, session: &Session) -> i32 {
    session
        .org
        .calendar
        .to_local(state.clock.now())
        .date()
        .year()
}

async fn calendar_page(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Query(q): Query<YearQuery>,
) -> Response {
    let year = q
        .year
        .filter(|y| (calendar::MIN_YEAR..=calendar::MAX_YEAR).contains(y))
        .unwrap_or_else(|| this_year(&state, &session));
    let done = q
        .done
        .filter(|d| ["day", "import", "notice", "provisional"].contains(&d.as_str()))
        .map(|d| i18n::t(&format!("config-calendar-done-{d}")));
    let p = calendar_view(
        &state,
        &session,
        year,
        DayForm::default(),
        blank_notice(),
        None,
        done,
    );
    page(StatusCode::OK, &p)
}

fn to_year(year: i32, what: &str) -> Response {
    Redirect::to(&format!("/admin/calendar?year={year}&done={what}")).into_response()
}

/// The year's data with one day changed, keeping the year provisional unless its notice
/// was imported.
fn with_day(
    cal: &Calendar,
    date: NaiveDate,
    kind: Option<SpecialKind>,
    name: &str,
    name_en: &str,
) -> YearData {
    let year = date.year();
    let provisional = cal.is_provisional(year);
    let mut cal = cal.clone();
    cal.set_day(date, kind, name, name_en);
    let mut data = cal.year(year).cloned().unwrap_or(YearData {
        year,
        source: None,
        days: Vec::new(),
        provisional,
    });
    data.provisional = provisional;
    data
}

async fn calendar_day(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Form(form): Form<Fields>,
) -> Response {
    let mut day = DayForm {
        date: field(&form, "date").trim().to_owned(),
        kind: field(&form, "kind").to_owned(),
        name: field(&form, "name").trim().to_owned(),
        name_en: field(&form, "name_en").trim().to_owned(),
        bad: None,
    };
    let kind = match day.kind.as_str() {
        "holiday" => Some(SpecialKind::Holiday),
        "working" => Some(SpecialKind::Working),
        _ => None,
    };
    let date = NaiveDate::parse_from_str(&day.date, "%Y-%m-%d")
        .ok()
        .filter(|d| (calendar::MIN_YEAR..=calendar::MAX_YEAR).contains(&d.year()));
    let year = date.map_or_else(|| this_year(&state, &session), |d| d.year());
    match date {
        None => day.bad = Some(("date".into(), i18n::t("config-calendar-bad-date"))),
        Some(d) if kind == Some(SpecialKind::Working) && d.weekday().num_days_from_monday() < 5 => {
            day.bad = Some((
                "kind".into(),
                said(&admin::calendar_refusal(
                    &calendar::CalendarError::WorkingNotWeekend { date: d },
                )),
            ));
        }
        Some(d) if kind.is_some() && day.name.is_empty() => {
            let _ = d;
            day.bad = Some(("name".into(), i18n::t("config-calendar-name-needed")));
        }
        Some(d) => {
            let (name, name_en) = (day.name.clone(), day.name_en.clone());
            let outcome = admin::change_calendar(&state, &session, year, "calendar.day", |cal| {
                Ok(with_day(cal, d, kind, &name, &name_en))
            })
            .await;
            match outcome {
                Ok(_) => return to_year(year, "day"),
                Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                    day.bad = Some(("date".into(), said(&e)));
                }
                Err(e) => return e.into_response(),
            }
        }
    }
    let p = calendar_view(&state, &session, year, day, blank_notice(), None, None);
    page(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

async fn calendar_import(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    mut multipart: Multipart,
) -> Response {
    let mut bytes = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => match f.bytes().await {
                Ok(b) => bytes = Some(b),
                Err(e) => {
                    return ApiError::bad_request("request.upload", "上传中断", e.to_string())
                        .into_response()
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                return ApiError::bad_request("request.upload", "上传的表单无效", e.to_string())
                    .into_response()
            }
        }
    }
    let refused = |year: i32, message: String| {
        let p = calendar_view(
            &state,
            &session,
            year,
            DayForm::default(),
            blank_notice(),
            Some(message),
            None,
        );
        page(StatusCode::UNPROCESSABLE_ENTITY, &p)
    };
    let now_year = this_year(&state, &session);
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return refused(now_year, i18n::t("config-calendar-no-file"));
    };
    let text = String::from_utf8_lossy(&bytes);
    // Read as the CLI's `--calendar-file` reads it (`Calendar::import_year_json`).
    let mut scratch = Calendar::empty(0);
    let data = match scratch.import_year_json(&text) {
        Ok(year) => scratch.year(year).cloned(),
        Err(e) => return refused(now_year, said(&admin::calendar_refusal(&e))),
    };
    let Some(data) = data else {
        return ApiError::internal("an imported calendar year is missing").into_response();
    };
    let year = data.year;
    match admin::change_calendar(&state, &session, year, "calendar.import", |_| Ok(data)).await {
        Ok(_) => to_year(year, "import"),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => refused(year, said(&e)),
        Err(e) => e.into_response(),
    }
}

async fn calendar_provisional(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
) -> Response {
    let data = calendar::provisional_2027();
    let year = data.year;
    match admin::change_calendar(
        &state,
        &session,
        year,
        "calendar.import_provisional",
        |_| Ok(data),
    )
    .await
    {
        Ok(_) => to_year(year, "provisional"),
        Err(e) => e.into_response(),
    }
}

/// Reads the notice form: the year's data, or the field at fault and why.
fn notice_data(year: i32, n: &NoticeForm) -> Result<YearData, (String, String)> {
    let date = |field: String, t: &str| {
        NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| d.year() == year)
            .ok_or((
                field,
                i18n::t_args("config-calendar-bad-date-in", &[("year", &year)]),
            ))
    };
    let source = if n.title.trim().is_empty() {
        None
    } else {
        Some(Source {
            title: n.title.trim().to_owned(),
            number: n.number.trim().to_owned(),
            published: NaiveDate::parse_from_str(n.published.trim(), "%Y-%m-%d")
                .map_err(|_| ("published".to_owned(), i18n::t("config-calendar-bad-date")))?,
            url: None,
        })
    };
    let mut days: Vec<SpecialDay> = Vec::new();
    let mut row_of: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (i, r) in n.rows.iter().enumerate() {
        if r.from.trim().is_empty() && r.to.trim().is_empty() && r.work.trim().is_empty() {
            continue;
        }
        let name = r.name.trim();
        if name.is_empty() {
            return Err((format!("name-{i}"), i18n::t("config-calendar-name-needed")));
        }
        let en = HOLIDAYS
            .iter()
            .find(|(zh, _)| *zh == name)
            .map_or(name, |(_, en)| en);
        let from = date(format!("from-{i}"), &r.from)?;
        let to = if r.to.trim().is_empty() {
            from
        } else {
            date(format!("to-{i}"), &r.to)?
        };
        if to < from || (to - from).num_days() > 30 {
            return Err((format!("to-{i}"), i18n::t("config-calendar-bad-span")));
        }
        let mut d = from;
        while d <= to {
            if row_of.insert(d, i).is_some() {
                return Err((format!("from-{i}"), i18n::t("config-calendar-overlap")));
            }
            days.push(SpecialDay {
                date: d,
                kind: SpecialKind::Holiday,
                name: name.to_owned(),
                name_en: en.to_owned(),
            });
            d += Duration::days(1);
        }
        for w in r
            .work
            .split([',', '，', '、', ' ', ';', '；'])
            .filter(|s| !s.trim().is_empty())
        {
            let w = date(format!("work-{i}"), w)?;
            if row_of.insert(w, i).is_some() {
                return Err((format!("work-{i}"), i18n::t("config-calendar-overlap")));
            }
            days.push(SpecialDay {
                date: w,
                kind: SpecialKind::Working,
                name: format!("{name}调休"),
                name_en: format!("{en} adjusted working day"),
            });
        }
    }
    if days.is_empty() {
        return Err(("from-0".into(), i18n::t("config-calendar-notice-empty")));
    }
    let data = YearData {
        year,
        source,
        days,
        provisional: false,
    };
    // The calendar's own check, with its refusal placed at the row that holds the date.
    let mut scratch = Calendar::empty(0);
    match scratch.import_year(data.clone()) {
        Ok(_) => Ok(data),
        Err(e) => {
            let at = match &e {
                calendar::CalendarError::WorkingNotWeekend { date } => {
                    row_of.get(date).map(|i| format!("work-{i}"))
                }
                _ => None,
            };
            Err((
                at.unwrap_or_else(|| "year".into()),
                said(&admin::calendar_refusal(&e)),
            ))
        }
    }
}

async fn calendar_notice(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Form(form): Form<Fields>,
) -> Response {
    let typed_year = field(&form, "year").trim().to_owned();
    let mut notice = NoticeForm {
        title: field(&form, "title").to_owned(),
        number: field(&form, "number").to_owned(),
        published: field(&form, "published").to_owned(),
        rows: (0..)
            .take_while(|i| form.iter().any(|(n, _)| n == &format!("name-{i}")))
            .map(|i| NoticeRow {
                name: field(&form, &format!("name-{i}")).to_owned(),
                from: field(&form, &format!("from-{i}")).to_owned(),
                to: field(&form, &format!("to-{i}")).to_owned(),
                work: field(&form, &format!("work-{i}")).to_owned(),
                ..NoticeRow::default()
            })
            .collect(),
        bad: None,
    };
    numbered_notice(&mut notice.rows);
    let year = typed_year
        .parse::<i32>()
        .ok()
        .filter(|y| (calendar::MIN_YEAR..=calendar::MAX_YEAR).contains(y));
    let shown_year = year.unwrap_or_else(|| this_year(&state, &session));
    match year {
        None => notice.bad = Some(("year".into(), i18n::t("config-calendar-bad-year"))),
        Some(year) => match notice_data(year, &notice) {
            Err(bad) => notice.bad = Some(bad),
            Ok(data) => {
                let outcome =
                    admin::change_calendar(&state, &session, year, "calendar.notice", |_| Ok(data))
                        .await;
                match outcome {
                    Ok(_) => return to_year(year, "notice"),
                    Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                        notice.bad = Some(("year".into(), said(&e)));
                    }
                    Err(e) => return e.into_response(),
                }
            }
        },
    }
    let p = calendar_view(
        &state,
        &session,
        shown_year,
        DayForm::default(),
        notice,
        None,
        None,
    );
    page(StatusCode::UNPROCESSABLE_ENTITY, &p)
}

// ----- push and SMS ----------------------------------------------------------------------------

/// A provider as the page shows it: whether configured, its settings that are not secret,
/// and its recent outcomes.
struct ProviderLine {
    name: String,
    /// The provider's code (`fcm`, `apns`, `hms`, `harmony`, `honor`, `sms`), as the settings
    /// and deliveries name it.
    code: &'static str,
    configured: bool,
    settings: Vec<(String, String)>,
    last_sent: Option<String>,
    last_failure: Option<(String, String, String)>,
    sent_24h: i64,
    failed_24h: i64,
}

#[derive(Template)]
#[template(path = "admin/delivery.html")]
struct DeliveryPage {
    chrome: Chrome,
    providers: Vec<ProviderLine>,
    refusals: Vec<RefusalLine>,
    /// The outbound network's settings (trust and proxy), as the page names them.
    outbound: Vec<(String, String)>,
}

/// A refusal of our configuration by a service (an SMS template or signature not approved)
/// as the console shows it: the provider's name, the service's code, since when (local
/// time) and how many notifications wait for it.
pub(super) struct RefusalLine {
    pub(super) provider: String,
    pub(super) code: String,
    pub(super) since: String,
    pub(super) waiting: i64,
}

/// The refusals of sends of unread notifications (`crate::notify`: they are tried again
/// hourly), for the console's index and the push and SMS page.
pub(super) async fn refusal_lines(
    state: &AppState,
    session: &crate::auth::Session,
) -> Result<Vec<RefusalLine>, ApiError> {
    let cal = &session.org.calendar;
    Ok(db::notifications::refusals(&state.db)
        .await?
        .into_iter()
        .map(|r| RefusalLine {
            provider: i18n::t(&format!("config-provider-{}", r.provider)),
            code: r.code,
            since: DateTime::<Utc>::from_timestamp_millis(r.since)
                .map(|t| cal.to_local(t).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            waiting: r.waiting,
        })
        .collect())
}

/// A provider's setting as the page names it and its value, if set.
type Setting = Option<(String, String)>;

/// Replaces every configured secret that a text contains (a service's error may echo a
/// request) with a mark.
fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(text.to_owned(), |t, s| t.replace(s, "•••"))
}

async fn delivery(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    let p = &state.config.push;
    let secrets: Vec<&str> = [
        p.hms_app_secret.as_deref(),
        p.honor_client_secret.as_deref(),
        p.sms_secret.as_deref(),
        p.sms_access_key_id.as_deref(),
        p.xiaomi_app_secret.as_deref(),
        p.oppo_master_secret.as_deref(),
        p.vivo_app_secret.as_deref(),
        p.voice_secret.as_deref(),
        p.voice_access_key_id.as_deref(),
        p.dingtalk_app_secret.as_deref(),
        p.wecom_secret.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let path = |v: &Option<std::path::PathBuf>| v.as_ref().map(|p| p.display().to_string());
    let s = |k: &str, v: Option<String>| v.map(|v| (i18n::t(&format!("config-setting-{k}")), v));
    // What became of the last call placed (its detail: the CallId, then the result word
    // and the carrier's state once asked).
    let last_call = match db::notifications::last_sent_detail(&state.db, "voice").await {
        Ok(d) => d.map(|d| {
            let word = d.split_whitespace().nth(1).unwrap_or("pending");
            i18n::t(&format!("voice-result-{word}"))
        }),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let configured: [(&str, bool, Vec<Setting>); 12] = [
        (
            "fcm",
            p.fcm_service_account.is_some(),
            vec![
                s("service-account", path(&p.fcm_service_account)),
                s("url", p.fcm_url.clone()),
            ],
        ),
        (
            "apns",
            p.apns_key.is_some(),
            vec![
                s("key-file", path(&p.apns_key)),
                s("key-id", p.apns_key_id.clone()),
                s("team-id", p.apns_team_id.clone()),
                s("topic", p.apns_topic.clone()),
                s("url", p.apns_url.clone()),
            ],
        ),
        (
            "hms",
            p.hms_app_id.is_some(),
            vec![
                s("app-id", p.hms_app_id.clone()),
                s("url", p.hms_url.clone()),
                s("token-url", p.hms_token_url.clone()),
                p.hms_app_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "xiaomi",
            p.xiaomi_app_secret.is_some(),
            vec![
                s("package", p.xiaomi_package.clone()),
                s("channel-id", p.xiaomi_channel_id.clone()),
                s("url", p.xiaomi_url.clone()),
                p.xiaomi_app_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "oppo",
            p.oppo_app_key.is_some(),
            vec![
                s("app-key", p.oppo_app_key.clone()),
                s("channel-id", p.oppo_channel_id.clone()),
                s("category", p.oppo_category.clone()),
                s("url", p.oppo_url.clone()),
                p.oppo_master_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "vivo",
            p.vivo_app_id.is_some(),
            vec![
                s("app-id", p.vivo_app_id.clone()),
                s("app-key", p.vivo_app_key.clone()),
                s("category", p.vivo_category.clone()),
                s("url", p.vivo_url.clone()),
                p.vivo_app_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "harmony",
            p.harmony_service_account.is_some(),
            vec![
                s("service-account", path(&p.harmony_service_account)),
                s("url", p.harmony_url.clone()),
            ],
        ),
        (
            "honor",
            p.honor_app_id.is_some(),
            vec![
                s("app-id", p.honor_app_id.clone()),
                s("client-id", p.honor_client_id.clone()),
                s("url", p.honor_url.clone()),
                s("token-url", p.honor_token_url.clone()),
                p.honor_client_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "sms",
            p.sms_gateway.is_some(),
            vec![
                s("gateway", p.sms_gateway.clone()),
                s("url", p.sms_url.clone()),
                s("sdk-app-id", p.sms_sdk_app_id.clone()),
                s("region", p.sms_region.clone()),
                s("sign-name", p.sms_sign_name.clone()),
                s("template", p.sms_template.clone()),
                s("template-en", p.sms_template_en.clone()),
                p.sms_access_key_id
                    .as_ref()
                    .and_then(|_| s("access-key-id", Some(i18n::t("config-secret-set")))),
                p.sms_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "voice",
            p.voice_gateway.is_some(),
            vec![
                s("voice-gateway", p.voice_gateway.clone()),
                s("url", p.voice_url.clone()),
                s("show-number", p.voice_show_number.clone()),
                s("tts-code", p.voice_tts_code.clone()),
                s("tts-code-en", p.voice_tts_code_en.clone()),
                s("play-times", p.voice_play_times.map(|n| n.to_string())),
                last_call.map(|r| (i18n::t("voice-last-call"), r)),
                p.voice_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "dingtalk",
            state.workapps.dingtalk.is_some(),
            vec![
                s("dingtalk-app-key", p.dingtalk_app_key.clone()),
                s("agent-id", p.dingtalk_agent_id.clone()),
                s("corp-id", p.dingtalk_corp_id.clone()),
                s("url", p.dingtalk_url.clone()),
                s("api-url", p.dingtalk_api_url.clone()),
                s("login-url", p.dingtalk_login_url.clone()),
                s("public-url", state.config.public_url.clone()),
                p.dingtalk_app_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
        (
            "wecom",
            state.workapps.wecom.is_some(),
            vec![
                s("corp-id", p.wecom_corp_id.clone()),
                s("agent-id", p.wecom_agent_id.clone()),
                s("url", p.wecom_url.clone()),
                s("oauth-url", p.wecom_oauth_url.clone()),
                s("login-url", p.wecom_login_url.clone()),
                s("public-url", state.config.public_url.clone()),
                p.wecom_secret
                    .as_ref()
                    .and_then(|_| s("secret", Some(i18n::t("config-secret-set")))),
            ],
        ),
    ];
    let now = state.clock.now();
    let since = (now - Duration::hours(24)).timestamp_millis();
    let cal = &session.org.calendar;
    let when = |ms: i64| {
        DateTime::<Utc>::from_timestamp_millis(ms)
            .map(|t| cal.to_local(t).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let mut providers = Vec::new();
    for (name, is_set, settings) in configured {
        let o = match db::notifications::provider_outcomes(&state.db, name, since).await {
            Ok(o) => o,
            Err(e) => return ApiError::from(e).into_response(),
        };
        providers.push(ProviderLine {
            name: i18n::t(&format!("config-provider-{name}")),
            code: name,
            configured: is_set,
            settings: settings
                .into_iter()
                .flatten()
                .map(|(k, v)| (k, redact(&v, &secrets)))
                .collect(),
            last_sent: o.last_sent.map(when),
            last_failure: o.last_failure.map(|(outcome, detail, at)| {
                (
                    when(at),
                    outcome,
                    redact(&detail.chars().take(200).collect::<String>(), &secrets),
                )
            }),
            sent_24h: o.sent_since,
            failed_24h: o.failed_since,
        });
    }
    let refusals = match refusal_lines(&state, &session).await {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let roots = crate::push::system_roots();
    let outbound = [
        Some((
            i18n::t("voice-outbound-system-store"),
            if roots > 0 {
                i18n::t_args("voice-outbound-system-store-value", &[("n", &roots)])
            } else {
                i18n::t("voice-outbound-system-store-empty")
            },
        )),
        path(&p.ca_bundle).map(|v| (i18n::t("voice-outbound-ca-bundle"), v)),
        Some((
            i18n::t("voice-outbound-proxy"),
            p.proxy
                .as_deref()
                .map(redact_userinfo)
                .unwrap_or_else(|| i18n::t("voice-outbound-proxy-env")),
        )),
        p.no_proxy
            .clone()
            .map(|v| (i18n::t("voice-outbound-no-proxy"), v)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let chrome = chrome(&state, &session, "/admin/delivery");
    page(
        StatusCode::OK,
        &DeliveryPage {
            chrome,
            providers,
            refusals,
            outbound,
        },
    )
}

/// A proxy URL without its password (`http://user:***@host:port/`).
fn redact_userinfo(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod outbound_tests {
    use super::redact_userinfo;

    #[test]
    fn a_proxy_password_is_never_shown() {
        assert_eq!(
            redact_userinfo("http://duban:s3cret-pass@proxy.internal:3128"),
            "http://duban:***@proxy.internal:3128/"
        );
        assert_eq!(
            redact_userinfo("http://proxy.internal:3128"),
            "http://proxy.internal:3128"
        );
    }
}
