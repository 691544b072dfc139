//! The office's import of hotline work orders from the upper platform's spreadsheet
//! (`crate::hotline_import`), for supervisors:
//!
//! - `GET /hotline/import`: the upload form, with the template to download;
//! - `POST /hotline/import` (multipart, field `file`): every row checked, each problem shown
//!   at its row and column with its stable code; rows whose platform number is registered
//!   already are marked as already there; nothing is imported while any row is bad;
//! - `POST /hotline/import/run`: the checked rows (checked again) registered one by one, each
//!   command's id derived from the form's id and the row, so a resent form replays; a row
//!   already there is reported as such and never registered twice;
//! - `GET /hotline/template.xlsx`: the sheet to fill in, in the requester's language.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use duban_core::domain::Code;

use super::{office, page, Chrome, SignedIn};
use crate::auth::Session;
use crate::error::{ApiError, Form, Multipart};
use crate::hotline::{self, Intake};
use crate::hotline_import::{self as imp, CellProblem, OrderRow};
use crate::i18n::{self, Lang};
use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/hotline/import", get(import_page).post(upload))
        .route("/hotline/import/run", post(run))
        .route("/hotline/template.xlsx", get(template))
}

/// One problem as shown: the column's header, the sentence, the code apart.
struct Shown {
    column: String,
    text: String,
    code: String,
}

/// A row of the preview.
struct PreviewRow {
    row: u32,
    number: String,
    title: String,
    /// Registered before: reported, not imported again.
    already: bool,
    problems: Vec<Shown>,
}

/// A row of the results.
struct ResultRow {
    row: u32,
    number: String,
    item: String,
    id: String,
    /// `created`, `already` or `refused`.
    outcome: &'static str,
    label: String,
    problem: Option<Shown>,
}

#[derive(Template)]
#[template(path = "hotline_import.html")]
struct ImportPage {
    chrome: Chrome,
    file_problem: Option<Shown>,
    rows: Vec<PreviewRow>,
    bad_rows: usize,
    summary: String,
    form: String,
    data: String,
    results: Vec<ResultRow>,
    /// The kinds, listed in the help.
    kinds: String,
}

fn shown(p: &CellProblem, lang: Lang) -> Shown {
    Shown {
        column: p.column(lang),
        text: lang.pick(&p.zh, &p.en).to_owned(),
        code: p.code.clone(),
    }
}

fn not_office(session: &Session) -> Option<Response> {
    (!office(session)).then(|| {
        ApiError::forbidden(
            "只有督查办可以导入热线工单",
            "only the supervision office imports hotline work orders",
        )
        .into_response()
    })
}

fn blank(session: &Session, now: DateTime<Utc>) -> ImportPage {
    ImportPage {
        chrome: Chrome::new(Some(session), &session.org.calendar, "/register", now),
        file_problem: None,
        rows: Vec::new(),
        bad_rows: 0,
        summary: String::new(),
        form: String::new(),
        data: String::new(),
        results: Vec::new(),
        kinds: kinds(i18n::current()),
    }
}

async fn import_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    page(StatusCode::OK, &blank(&session, state.clock.now()))
}

/// Checks every row: its own problems, a number repeated in the sheet, and whether its
/// number is registered already.
async fn preview(
    state: &AppState,
    session: &Session,
    rows: &[(u32, OrderRow)],
    now: DateTime<Utc>,
) -> Result<Vec<PreviewRow>, ApiError> {
    let lang = i18n::current();
    let repeated = imp::repeated_numbers(rows);
    let mut out = Vec::with_capacity(rows.len());
    for (n, row) in rows {
        let mut problems = Vec::new();
        let mut already = false;
        match imp::check(row, &session.org, &session.actor, now) {
            Ok(reg) => {
                if let Some(o) = &reg.order {
                    if let Some(number) = &o.platform_number {
                        already = hotline::existing(state, o.line, number).await?.is_some();
                    }
                }
            }
            Err(ps) => problems.extend(ps.iter().map(|p| shown(p, lang))),
        }
        if repeated.contains(n) {
            problems.push(shown(&imp::repeated_problem(), lang));
        }
        out.push(PreviewRow {
            row: *n,
            number: row.0.get("platform_number").cloned().unwrap_or_default(),
            title: row
                .0
                .get("title")
                .filter(|t| !t.trim().is_empty())
                .or(row.0.get("content"))
                .map(|t| t.chars().take(40).collect())
                .unwrap_or_default(),
            already,
            problems,
        });
    }
    Ok(out)
}

/// `POST /hotline/import`: the preview of the sheet's rows (422 while any is bad).
async fn upload(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn,
    mut multipart: Multipart,
) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    let lang = i18n::current();
    let mut bytes = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(b) => bytes = Some(b),
                Err(_) => {
                    return ApiError::bad_request(
                        "import.upload",
                        "上传中断",
                        "the upload broke off",
                    )
                    .into_response()
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                return ApiError::bad_request(
                    "import.upload",
                    "上传的表单无效",
                    "the uploaded form is not valid",
                )
                .into_response()
            }
        }
    }
    let mut p = blank(&session, now);
    let read = match bytes.filter(|b| !b.is_empty()) {
        None => Err(CellProblem {
            field: "file".into(),
            code: "import.no_file".into(),
            zh: "请选择要导入的 xlsx 文件".into(),
            en: "choose an xlsx file to import".into(),
        }),
        // Parsed away from the async workers, within the sheet reader's limits.
        Some(b) => tokio::task::spawn_blocking(move || imp::read_sheet(&b))
            .await
            .unwrap_or_else(|_| {
                tracing::warn!("the spreadsheet reader panicked on an upload");
                Err(CellProblem {
                    field: "file".into(),
                    code: "import.unreadable".into(),
                    zh: "无法读取该表格".into(),
                    en: "the spreadsheet cannot be read".into(),
                })
            }),
    };
    let rows = match read {
        Ok(rows) if rows.is_empty() => Err(CellProblem {
            field: "file".into(),
            code: "import.no_rows".into(),
            zh: "表格中没有工单".into(),
            en: "the sheet holds no work orders".into(),
        }),
        other => other,
    };
    match rows {
        Err(e) => {
            p.file_problem = Some(shown(&e, lang));
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Ok(rows) => {
            let checked = match preview(&state, &session, &rows, now).await {
                Ok(c) => c,
                Err(e) => return e.into_response(),
            };
            p.bad_rows = checked.iter().filter(|r| !r.problems.is_empty()).count();
            let already = checked.iter().filter(|r| r.already).count();
            p.summary = lang.t_args(
                "hotimp-counts",
                &[
                    ("rows", &checked.len()),
                    ("bad", &p.bad_rows),
                    ("already", &already),
                ],
            );
            p.rows = checked;
            p.form = uuid::Uuid::new_v4().to_string();
            p.data = serde_json::to_string(&rows).unwrap_or_default();
            let status = if p.bad_rows > 0 {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            page(status, &p)
        }
    }
}

/// The run form: the form's id and the checked rows.
#[derive(serde::Deserialize)]
struct RunForm {
    form: String,
    data: String,
}

/// `POST /hotline/import/run`: every row checked again — any bad one refuses the whole
/// run (nothing registered) — then registered one by one.
async fn run(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn,
    Form(f): Form<RunForm>,
) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    let lang = i18n::current();
    let (Ok(form), Ok(rows)) = (
        uuid::Uuid::parse_str(f.form.trim()),
        serde_json::from_str::<Vec<(u32, OrderRow)>>(&f.data),
    ) else {
        return ApiError::bad_request(
            "request.bad_form",
            "表单已失效,请重新上传",
            "the form is not valid: upload the file again",
        )
        .into_response();
    };
    if rows.is_empty() || rows.len() > imp::MAX_ROWS {
        return ApiError::bad_request(
            "request.bad_form",
            "表单已失效,请重新上传",
            "the form is not valid: upload the file again",
        )
        .into_response();
    }
    let repeated = imp::repeated_numbers(&rows);
    let mut checked = Vec::with_capacity(rows.len());
    for (n, row) in &rows {
        let problem = match imp::check(row, &session.org, &session.actor, now) {
            Ok(reg) if !repeated.contains(n) => {
                checked.push((*n, reg));
                continue;
            }
            Ok(_) => imp::repeated_problem(),
            Err(mut ps) => ps.remove(0),
        };
        return ApiError::unprocessable(
            &problem.code,
            format!(
                "第{n}行“{}”:{}(请重新上传)",
                problem.column(Lang::Zh),
                problem.zh
            ),
            format!(
                "row {n}, “{}”: {} (upload the file again)",
                problem.column(Lang::En),
                problem.en
            ),
        )
        .into_response();
    }
    let mut p = blank(&session, now);
    for (i, (n, reg)) in checked.into_iter().enumerate() {
        let number = reg
            .order
            .as_ref()
            .and_then(|o| o.platform_number.clone())
            .unwrap_or_default();
        let title = reg.title.clone();
        let command = crate::register::derived_id(form, &[i as u32, 0, 0]);
        let outcome = match hotline::register(
            &state,
            &session.org,
            &session.actor,
            reg,
            command,
            now,
        )
        .await
        {
            Ok(o) => o,
            Err(e) => return ApiError::from(e).into_response(),
        };
        let (outcome, label, task, problem) = match outcome {
            Ok(Intake::Created(t)) => ("created", lang.t("hotimp-created"), Some(t), None),
            Ok(Intake::Existing(t)) => ("already", lang.t("hotimp-already"), Some(t), None),
            Err(r) => (
                "refused",
                lang.t("hotimp-refused"),
                None,
                Some(Shown {
                    column: String::new(),
                    text: lang.pick(&r.zh, &r.en).to_owned(),
                    code: r.code,
                }),
            ),
        };
        let summary = match task {
            Some(t) => match crate::read::item_summary(&state, &session, t, now).await {
                Ok(s) => s,
                Err(e) => return ApiError::from(e).into_response(),
            },
            None => None,
        };
        let item = summary.map_or(title, |s| format!("{} {}", s.number, s.title));
        let id = task.map(|t| t.to_string()).unwrap_or_default();
        p.results.push(ResultRow {
            row: n,
            number,
            item,
            id,
            outcome,
            label,
            problem,
        });
    }
    let created = p.results.iter().filter(|r| r.outcome == "created").count();
    let already = p.results.iter().filter(|r| r.outcome == "already").count();
    p.summary = lang.t_args(
        "hotimp-done-counts",
        &[("created", &created), ("already", &already)],
    );
    page(StatusCode::OK, &p)
}

/// `GET /hotline/template.xlsx`: the sheet to fill in, in the requester's language.
async fn template(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    super::export::template_download(
        imp::template(&session.org, state.clock.now(), i18n::current()),
        "hotimp-xlsx-file",
        "hotline-orders.xlsx",
    )
}

/// The kinds, as the page lists them for the help text.
fn kinds(lang: Lang) -> String {
    duban_core::domain::order::OrderKind::ALL
        .iter()
        .map(|k| lang.name(*k))
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}
