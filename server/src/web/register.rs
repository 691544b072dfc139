//! Registration and dispatch pages (R1, R2): one item, a spreadsheet of many, dispatch to
//! many units in one action — for the supervision office.
//!
//! - `GET /register`, `POST /register`: the registration form — category and its
//!   attributes, source, urgency, confidentiality, deadline, milestones, recurring reports,
//!   the instructing leader, an approval chain (立项审批; the item is dispatched once
//!   approved), and lead units: one item per lead unit, registered and dispatched in one
//!   action (docs/adr/0001).
//! - `GET /register/import`, `POST /register/import`: a spreadsheet (xlsx) uploaded with a
//!   progress bar, read within `crate::sheet`'s limits off the async workers (a file beyond
//!   them is refused with its code), every row checked with a reason for each bad field;
//!   nothing is imported while any row is bad. `POST /register/import/run` imports the checked rows a chunk at a
//!   time (htmx asks for the next chunk and moves the progress bar), or all at once without
//!   JavaScript. `GET /register/template.xlsx`: the sheet to fill in.
//! - `GET /dispatch/{id}`, `POST /dispatch/{id}`: dispatching an item already registered
//!   (after its registration approval, say).
//!
//! Every command's id derives from the form's id (`register::derived_id`): a resent form
//! or an interrupted import run again replays what was applied and continues, never
//! registering an item twice.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use duban_core::domain::model::BlobRef;
use duban_core::domain::state::Status;
use duban_core::domain::{Command, Role, TaskId};
use duban_core::protocol::CommandEnvelope;

use super::uploads::{files_of, UploadBox};
use super::{office, page, signin, Chrome, Shown, SignedIn};
use crate::auth::Session;
use crate::authority::Outcome;
use crate::error::{ApiError, Form, Multipart, Path};
use crate::i18n::{self, Lang};
use crate::read;
use crate::register::{self as reg, Draft, MilestoneDraft, Problem};
use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/register", get(form_page).post(submit))
        .route("/register/import", get(import_page).post(import_upload))
        .route("/register/import/run", axum::routing::post(import_run))
        .route("/register/template.xlsx", get(template))
        .route("/dispatch/{id}", get(dispatch_page).post(dispatch_submit))
}

/// Rows imported per request of a run (the progress bar moves after each).
const CHUNK: usize = 10;

/// Blank milestone rows the form offers.
const MILESTONE_ROWS: usize = 3;

/// An option of a select.
struct Opt {
    value: String,
    label: String,
}

/// A unit to tick, indented by its depth in the tree (the stylesheet's `depth-0` to
/// `depth-6`; deeper ones as the sixth level).
struct UnitOpt {
    id: String,
    name: String,
    indent: usize,
    lead: bool,
    participant: bool,
}

/// A category and the attributes it asks for.
struct CategoryOpt {
    code: String,
    name: String,
    attributes: Vec<(String, String, String)>,
}

/// What the form offers to choose from, with what was chosen.
struct Choices {
    categories: Vec<CategoryOpt>,
    units: Vec<UnitOpt>,
    leaders: Vec<Opt>,
    deputies: Vec<Opt>,
    people: Vec<Opt>,
}

fn choices(session: &Session, d: &Draft) -> Choices {
    let org = &session.org;
    let lang = i18n::current();
    let depth = |mut id| {
        let mut n: usize = 0;
        while let Some(parent) = org.unit(id).and_then(|u| u.parent) {
            n += 1;
            id = parent;
        }
        n
    };
    let ticked = |names: &[String], id: &str, name: &str| {
        names
            .iter()
            .flat_map(|n| n.split(['、', '，', ',']))
            .any(|n| n.trim() == id || n.trim() == name)
    };
    let mut people: Vec<_> = org.people.values().filter(|p| p.active).collect();
    people.sort_by(|a, b| a.username.cmp(&b.username));
    let opts = |roles: &[Role]| -> Vec<Opt> {
        people
            .iter()
            .filter(|p| roles.is_empty() || p.roles.iter().any(|r| roles.contains(r)))
            .map(|p| Opt {
                value: p.id.to_string(),
                label: format!("{} {}", p.name, p.position).trim().to_owned(),
            })
            .collect()
    };
    Choices {
        categories: org
            .policy
            .categories
            .iter()
            .map(|c| CategoryOpt {
                code: c.code.clone(),
                name: if c.name_en.trim().is_empty() {
                    c.name_zh.clone()
                } else {
                    lang.pick(&c.name_zh, &c.name_en).to_owned()
                },
                // Each attribute once, though it be both required and confidential.
                attributes: c
                    .attribute_keys()
                    .into_iter()
                    .map(|k| {
                        let label = c.label(k, lang == Lang::En).to_owned();
                        (
                            k.to_owned(),
                            label,
                            d.attributes.get(k).cloned().unwrap_or_default(),
                        )
                    })
                    .collect(),
            })
            .collect(),
        units: org
            .units
            .iter()
            .filter(|u| u.parent.is_some() && !u.retired)
            .map(|u| {
                let id = u.id.to_string();
                UnitOpt {
                    lead: ticked(&d.leads, &id, &u.name),
                    participant: ticked(&d.participants, &id, &u.name),
                    indent: depth(u.id).saturating_sub(1).min(6),
                    name: u.name.clone(),
                    id,
                }
            })
            .collect(),
        leaders: opts(&[Role::MainLeader, Role::DeputyLeader]),
        deputies: opts(&[Role::DeputyLeader]),
        people: opts(&[]),
    }
}

/// A problem as the pages show it, in the page's language: the field's name and the reason
/// (its stable code shown apart).
struct FieldProblem {
    code: &'static str,
    text: String,
}

/// The catalog key of a draft's field's name (`milestones.2` is the milestones').
fn field_key(field: &str) -> &'static str {
    match field.split('.').next().unwrap_or(field) {
        "category" => "reg-field-category",
        "title" => "reg-field-title",
        "content" => "reg-field-content",
        "source" => "reg-field-source",
        "urgency" => "reg-field-urgency",
        "visibility" => "reg-field-visibility",
        "deadline" => "reg-field-deadline",
        "leads" => "reg-field-leads",
        "participants" => "reg-field-participants",
        "responsible_leader" => "reg-field-responsible",
        "deputy_leader" => "reg-field-deputy",
        "instructing_leader" => "reg-field-instructing",
        "recurrence" => "reg-field-recurrence",
        "recurrence_days" => "reg-field-recurrence-days",
        "recurrence_fields" => "sheet-reg-field-figures",
        "approvers" => "reg-field-approvers",
        "milestones" => "reg-field-milestones",
        "attributes" => "reg-field-attributes",
        "file" => "reg-field-file",
        "attachments" => "reg-field-attachments",
        _ => "reg-field-other",
    }
}

/// The problems in the request's language.
fn shown(problems: &[Problem]) -> Vec<FieldProblem> {
    let lang = i18n::current();
    problems
        .iter()
        .map(|p| FieldProblem {
            code: p.code,
            text: lang.t_args(
                "reg-problem",
                &[
                    ("field", &lang.t(field_key(&p.field))),
                    ("reason", &lang.pick(&p.zh, &p.en)),
                ],
            ),
        })
        .collect()
}

/// A milestone row of the form, and whether it has a problem.
struct MilestoneRow {
    m: MilestoneDraft,
    bad: bool,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    form: String,
    d: Draft,
    milestones: Vec<MilestoneRow>,
    approvers: [String; 2],
    problems: Vec<FieldProblem>,
    bad: BTreeSet<String>,
    c: Choices,
    /// The attachments' photo and file inputs (`templates/upload.html`).
    up: UploadBox,
}

fn register_page(
    session: &Session,
    now: DateTime<Utc>,
    form: String,
    d: Draft,
    problems: &[Problem],
    attachments: &[BlobRef],
) -> RegisterPage {
    let mut milestones = d.milestones.clone();
    milestones.resize(
        milestones.len().max(MILESTONE_ROWS),
        MilestoneDraft::default(),
    );
    let milestones = milestones
        .into_iter()
        .enumerate()
        .map(|(i, m)| MilestoneRow {
            bad: problems
                .iter()
                .any(|p| p.field == format!("milestones.{}", i + 1)),
            m,
        })
        .collect();
    let approver = |i: usize| d.approvers.get(i).cloned().unwrap_or_default();
    RegisterPage {
        chrome: Chrome::new(Some(session), &session.org.calendar, "/register", now),
        form,
        c: choices(session, &d),
        approvers: [approver(0), approver(1)],
        milestones,
        problems: shown(problems),
        bad: problems.iter().map(|p| p.field.clone()).collect(),
        d,
        up: UploadBox::new("attachments", None, attachments),
    }
}

/// The refusal (403) of a person signed in who does not work in the office.
fn not_office(session: &Session) -> Option<Response> {
    (!office(session)).then(|| {
        ApiError::forbidden(
            "只有督查办可以立项和交办",
            "only the supervision office registers and dispatches",
        )
        .into_response()
    })
}

async fn form_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let t = register_page(
        &session,
        state.clock.now(),
        uuid::Uuid::new_v4().to_string(),
        Draft::default(),
        &[],
        &[],
    );
    page(StatusCode::OK, &t)
}

/// A form's fields, in order (repeated names for ticked units).
type Fields = Vec<(String, String)>;

/// The draft a form's fields describe, and the form's id.
fn draft_of(fields: &Fields) -> (Option<uuid::Uuid>, Draft) {
    let mut d = Draft::default();
    let mut form = None;
    let mut approvers = [String::new(), String::new()];
    for (k, v) in fields {
        let v = v.clone();
        match k.as_str() {
            "form" => form = uuid::Uuid::parse_str(v.trim()).ok(),
            "category" => d.category = v,
            "title" => d.title = v,
            "content" => d.content = v,
            "source" => d.source = v,
            "urgency" => d.urgency = v,
            "visibility" => d.visibility = v,
            "deadline" => d.deadline = v,
            "leads" => d.leads.push(v),
            "participants" => d.participants.push(v),
            "responsible_leader" => d.responsible_leader = v,
            "deputy_leader" => d.deputy_leader = v,
            "instructing_leader" => d.instructing_leader = v,
            "approver1" => approvers[0] = v,
            "approver2" => approvers[1] = v,
            "recurrence" => d.recurrence = v,
            "recurrence_days" => d.recurrence_days = v,
            "recurrence_fields" => d.recurrence_fields = v,
            other => {
                if let Some(key) = other.strip_prefix("attr.") {
                    // Only the chosen category's attributes count (the form offers all).
                    let prefix = format!("{}.", d.category);
                    if let Some(key) = key.strip_prefix(&prefix) {
                        d.attributes.insert(key.to_owned(), v);
                    }
                } else if let Some(rest) = other.strip_prefix("ms.") {
                    let Some((i, part)) = rest.split_once('.') else {
                        continue;
                    };
                    let Ok(i) = i.parse::<usize>() else { continue };
                    if i >= 50 {
                        continue;
                    }
                    if d.milestones.len() <= i {
                        d.milestones.resize(i + 1, MilestoneDraft::default());
                    }
                    let m = &mut d.milestones[i];
                    match part {
                        "kind" => m.kind = v,
                        "title" => m.title = v,
                        "due" => m.due = v,
                        "percent" => m.percent = v,
                        _ => {}
                    }
                }
            }
        }
    }
    d.approvers = approvers
        .into_iter()
        .filter(|a| !a.trim().is_empty())
        .collect();
    (form, d)
}

/// One item of a registration, as the result shows it.
struct Done {
    id: String,
    number: String,
    title: String,
    unit: String,
    status: String,
    error: Option<Shown>,
}

/// Applies planned items one command at a time through the authority; an item stops at
/// its first refusal. Returns each item as it now stands.
async fn apply_items(
    state: &AppState,
    session: &Session,
    items: Vec<(TaskId, Vec<CommandEnvelope>)>,
    now: DateTime<Utc>,
) -> Result<Vec<Done>, ApiError> {
    let mut out = Vec::with_capacity(items.len());
    for (task, envelopes) in items {
        let mut error = None;
        let mut title = String::new();
        let mut unit = String::new();
        for env in &envelopes {
            match &env.command {
                Command::Register(r) => title = r.title.clone(),
                Command::Dispatch(o) => {
                    unit = session
                        .org
                        .unit(o.lead.unit)
                        .map(|u| u.name.clone())
                        .unwrap_or_default()
                }
                _ => {}
            }
        }
        for env in &envelopes {
            let outcome =
                crate::authority::apply(state, &session.org, &session.actor, env, now).await?;
            if let Outcome::Refused(r) = outcome {
                error = Some(r.into());
                break;
            }
        }
        let summary = read::item_summary(state, session, task, now).await?;
        out.push(match summary {
            Some(i) => Done {
                id: i.id.to_string(),
                number: i.number.clone(),
                title: i.title.clone(),
                unit: i.lead_unit.as_ref().map(|u| u.name.clone()).unwrap_or(unit),
                status: i18n::current().name(i.status).to_owned(),
                error,
            },
            None => Done {
                id: String::new(),
                number: String::new(),
                title,
                unit,
                status: i18n::t("reg-not-registered"),
                error,
            },
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "register_done.html")]
struct DonePage {
    chrome: Chrome,
    items: Vec<Done>,
}

fn bad_form() -> Response {
    ApiError::bad_request(
        "request.bad_form",
        "表单已失效，请刷新页面后重试",
        "the form is not valid: reload the page and try again",
    )
    .into_response()
}

/// `POST /register`: checks the form; with problems, the form again with what was typed
/// and each reason; else registers (and dispatches) and shows the items made.
async fn submit(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    let (Some(form), d) = draft_of(&fields) else {
        return bad_form();
    };
    // The files uploaded on the page (`templates/upload.html`): the registration cites them.
    let values = fields
        .iter()
        .filter(|(k, _)| k == "attachments")
        .map(|(_, v)| v.as_str());
    let (attachments, bad_files) = files_of(values);
    let bad_files = bad_files.map(|(code, zh, en)| Problem {
        field: "attachments".to_owned(),
        code,
        zh: zh.to_owned(),
        en: en.to_owned(),
    });
    let planned = reg::check(&d, &session.org, now).and_then(|mut entry| {
        if let Some(p) = bad_files.clone() {
            return Err(vec![p]);
        }
        entry.registration.attachments = attachments.clone();
        reg::plan(&entry, &session.org.policy, form, 0).map_err(|p| vec![p])
    });
    let items = match planned {
        Ok(items) => items,
        Err(mut problems) => {
            problems.extend(bad_files.filter(|p| !problems.contains(p)));
            let t = register_page(&session, now, form.to_string(), d, &problems, &attachments);
            return page(StatusCode::UNPROCESSABLE_ENTITY, &t);
        }
    };
    match apply_items(&state, &session, items, now).await {
        Ok(items) => page(
            StatusCode::OK,
            &DonePage {
                chrome: Chrome::new(Some(&session), &session.org.calendar, "/register", now),
                items,
            },
        ),
        Err(e) => e.into_response(),
    }
}

/// A checked row of a spreadsheet.
struct SheetRow {
    row: u32,
    title: String,
    leads: String,
    problems: Vec<FieldProblem>,
}

/// What an upload found: the rows and their problems, and what to post to import them.
struct Preview {
    file_problem: Option<FieldProblem>,
    rows: Vec<SheetRow>,
    bad_rows: usize,
    form: String,
    data: String,
    /// How many rows, bad rows and items, in words.
    summary: String,
    /// Why nothing is imported (with bad rows).
    bad_note: String,
    /// The run button's label.
    run_label: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    /// The page's language (the preview, also sent alone to htmx, speaks it).
    lang: Lang,
    p: Option<Preview>,
    /// The session's form token (the preview's form carries it).
    csrf: String,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewFragment {
    lang: Lang,
    p: Option<Preview>,
    /// The session's form token (the preview's form carries it).
    csrf: String,
}

async fn import_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    page(
        StatusCode::OK,
        &ImportPage {
            chrome: Chrome::new(Some(&session), &session.org.calendar, "/register", now),
            lang: i18n::current(),
            p: None,
            csrf: super::guard::form_token(&session),
        },
    )
}

/// Checks every row; the preview lists them all, each bad one with its reasons.
fn preview(session: &Session, now: DateTime<Utc>, rows: &[(u32, Draft)]) -> Preview {
    let mut out = Vec::with_capacity(rows.len());
    let mut items = 0;
    for (row, d) in rows {
        let problems = match reg::check_import_row(d, &session.org, now) {
            Ok(e) => {
                items += e.leads.len().max(1);
                Vec::new()
            }
            Err(p) => shown(&p),
        };
        out.push(SheetRow {
            row: *row,
            title: d.title.clone(),
            leads: d.leads.join(&i18n::t("ledger-list-separator")),
            problems,
        });
    }
    let bad_rows = out.iter().filter(|r| !r.problems.is_empty()).count();
    let lang = i18n::current();
    Preview {
        file_problem: None,
        summary: lang.t_args(
            "imp-counts",
            &[("rows", &out.len()), ("bad", &bad_rows), ("items", &items)],
        ),
        bad_note: lang.t_args("imp-bad-rows", &[("n", &bad_rows)]),
        run_label: lang.t_args("imp-run", &[("n", &items)]),
        bad_rows,
        rows: out,
        form: uuid::Uuid::new_v4().to_string(),
        data: serde_json::to_string(rows).unwrap_or_default(),
    }
}

fn file_problem(p: &Problem) -> Preview {
    Preview {
        file_problem: shown(std::slice::from_ref(p)).pop(),
        rows: Vec::new(),
        bad_rows: 0,
        form: String::new(),
        data: String::new(),
        summary: String::new(),
        bad_note: String::new(),
        run_label: String::new(),
    }
}

/// `POST /register/import` (multipart, field `file`): the preview of the sheet's rows.
async fn import_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(session, _): SignedIn,
    mut multipart: Multipart,
) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    let mut bytes = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(b) => bytes = Some(b),
                Err(e) => {
                    return ApiError::bad_request("import.upload", "上传中断", e.to_string())
                        .into_response()
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                return ApiError::bad_request("import.upload", "上传的表单无效", e.to_string())
                    .into_response()
            }
        }
    }
    let p = match bytes.filter(|b| !b.is_empty()) {
        None => file_problem(&Problem {
            field: "file".into(),
            code: "import.no_file",
            zh: "请选择要导入的 xlsx 文件".into(),
            en: "choose an xlsx file to import".into(),
        }),
        // Parsed away from the async workers; a panic in the reader refuses the file and
        // leaves the server running (an allocation failure would abort instead, which is
        // why the reader checks its limits before allocating).
        Some(b) => match tokio::task::spawn_blocking(move || reg::read_sheet(&b))
            .await
            .unwrap_or_else(|_| {
                tracing::warn!("the spreadsheet reader panicked on an upload");
                Err(Problem {
                    field: "file".into(),
                    code: "import.unreadable",
                    zh: "无法读取该表格".into(),
                    en: "the spreadsheet cannot be read".into(),
                })
            }) {
            Ok(rows) if rows.is_empty() => file_problem(&Problem {
                field: "file".into(),
                code: "import.no_rows",
                zh: "表格中没有事项".into(),
                en: "the sheet holds no items".into(),
            }),
            Ok(rows) => preview(&session, now, &rows),
            Err(p) => file_problem(&p),
        },
    };
    let status = if p.file_problem.is_some() || p.bad_rows > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    if headers.get("hx-request").is_some() {
        // htmx swaps 2xx answers only: the problems are content here, with a 200.
        return page(
            StatusCode::OK,
            &PreviewFragment {
                lang: i18n::current(),
                p: Some(p),
                csrf: super::guard::form_token(&session),
            },
        );
    }
    page(
        status,
        &ImportPage {
            chrome: Chrome::new(Some(&session), &session.org.calendar, "/register", now),
            lang: i18n::current(),
            p: Some(p),
            csrf: super::guard::form_token(&session),
        },
    )
}

/// The run form: the form's id, the checked rows, and where this chunk starts.
#[derive(serde::Deserialize)]
struct RunForm {
    form: String,
    data: String,
    /// Empty or absent: all rows at once.
    #[serde(default)]
    offset: String,
}

#[derive(Template)]
#[template(path = "import_run.html")]
struct RunFragment {
    lang: Lang,
    done: Vec<Done>,
    next: Option<usize>,
    finished: usize,
    total: usize,
}

#[derive(Template)]
#[template(path = "import_done.html")]
struct RunPage {
    chrome: Chrome,
    items: Vec<Done>,
}

/// `POST /register/import/run`: imports the rows from `offset` (a chunk, for htmx) or all
/// of them. The rows are checked again; ids derive from the form's id and the row's place,
/// so running a chunk twice replays it.
async fn import_run(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(session, _): SignedIn<signin::ToImport>,
    Form(f): Form<RunForm>,
) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    let (Ok(form), Ok(rows)) = (
        uuid::Uuid::parse_str(f.form.trim()),
        serde_json::from_str::<Vec<(u32, Draft)>>(&f.data),
    ) else {
        return bad_form();
    };
    if rows.is_empty() || rows.len() > reg::MAX_ROWS {
        return bad_form();
    }
    let mut planned = Vec::new();
    for (i, (row, d)) in rows.iter().enumerate() {
        let p = reg::check_import_row(d, &session.org, now)
            .and_then(|e| reg::plan(&e, &session.org.policy, form, i as u32).map_err(|p| vec![p]));
        match p {
            Ok(items) => planned.push(items),
            Err(problems) => {
                let first = &problems[0];
                return ApiError::unprocessable(
                    first.code,
                    format!("第{row}行：{}（请重新上传）", first.zh),
                    format!("row {row}: {} (upload the file again)", first.en),
                )
                .into_response();
            }
        }
    }
    // Where the chunk starts: a row's place, at most the number of rows (past the last
    // row, nothing is left to run).
    let offset = match f.offset.trim() {
        "" => None,
        o => match o.parse::<usize>() {
            Ok(o) if o <= planned.len() => Some(o),
            _ => {
                return ApiError::bad_request(
                    "request.bad_offset",
                    format!("导入位置无效，应为0到{}", planned.len()),
                    format!("the offset is 0 to {}", planned.len()),
                )
                .into_response()
            }
        },
    };
    let chunk = match offset.filter(|_| headers.get("hx-request").is_some()) {
        Some(o) => o..o.saturating_add(CHUNK).min(planned.len()),
        None => 0..planned.len(),
    };
    let end = chunk.end;
    let items: Vec<_> = planned.drain(chunk).flatten().collect();
    let done = match apply_items(&state, &session, items, now).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    if headers.get("hx-request").is_some() {
        let total = rows.len();
        return page(
            StatusCode::OK,
            &RunFragment {
                lang: i18n::current(),
                done,
                next: (end < total).then_some(end),
                finished: end,
                total,
            },
        );
    }
    page(
        StatusCode::OK,
        &RunPage {
            chrome: Chrome::new(Some(&session), &session.org.calendar, "/register", now),
            items: done,
        },
    )
}

/// `GET /register/template.xlsx`: the sheet to fill in.
async fn template(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    super::export::template_download(
        reg::template(&session.org, state.clock.now(), i18n::current()),
        "reg-xlsx-file",
        "register.xlsx",
    )
}

#[derive(Template)]
#[template(path = "dispatch.html")]
struct DispatchPage {
    chrome: Chrome,
    id: String,
    number: String,
    title: String,
    status: String,
    form: String,
    d: Draft,
    problems: Vec<FieldProblem>,
    bad: BTreeSet<String>,
    error: Option<Shown>,
    c: Choices,
}

/// The item to dispatch, if the person may read it.
async fn item_of(
    state: &AppState,
    session: &Session,
    id: &str,
    now: DateTime<Utc>,
) -> Result<read::ItemSummary, ApiError> {
    let task = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| ApiError::bad_request("request.bad_id", "编号无效", "not an id"))?;
    read::item_summary(state, session, TaskId(task), now)
        .await?
        .ok_or_else(|| ApiError::not_found("事项", "item"))
}

fn dispatch_view(
    session: &Session,
    now: DateTime<Utc>,
    item: &read::ItemSummary,
    form: String,
    d: Draft,
    problems: &[Problem],
    error: Option<Shown>,
) -> DispatchPage {
    DispatchPage {
        chrome: Chrome::new(Some(session), &session.org.calendar, "/workbench", now),
        id: item.id.to_string(),
        number: item.number.clone(),
        title: item.title.clone(),
        status: i18n::current().name(item.status).to_owned(),
        form,
        c: choices(session, &d),
        problems: shown(problems),
        bad: problems.iter().map(|p| p.field.clone()).collect(),
        error,
        d,
    }
}

async fn dispatch_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn,
) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    let item = match item_of(&state, &session, &id, now).await {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    if !matches!(item.status, Status::Draft | Status::Declined) {
        return Redirect::to("/workbench").into_response();
    }
    let t = dispatch_view(
        &session,
        now,
        &item,
        uuid::Uuid::new_v4().to_string(),
        Draft::default(),
        &[],
        None,
    );
    page(StatusCode::OK, &t)
}

/// `POST /dispatch/{id}`: dispatches the item through the authority; back to the workbench.
async fn dispatch_submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn,
    Form(fields): Form<Fields>,
) -> Response {
    if let Some(refused) = not_office(&session) {
        return refused;
    }
    let now = state.clock.now();
    let item = match item_of(&state, &session, &id, now).await {
        Ok(i) => i,
        Err(e) => return e.into_response(),
    };
    let (Some(form), d) = draft_of(&fields) else {
        return bad_form();
    };
    let order = match reg::check_dispatch(&d, &session.org, now) {
        Ok(o) => o,
        Err(problems) => {
            let t = dispatch_view(&session, now, &item, form.to_string(), d, &problems, None);
            return page(StatusCode::UNPROCESSABLE_ENTITY, &t);
        }
    };
    let env = CommandEnvelope {
        id: form,
        task: item.id,
        command: Command::Dispatch(Box::new(order)),
    };
    match crate::authority::apply(&state, &session.org, &session.actor, &env, now).await {
        Ok(Outcome::Accepted(_)) => Redirect::to("/workbench").into_response(),
        Ok(Outcome::Refused(r)) => {
            // The same id would be refused the same way: a new one for the next try.
            let t = dispatch_view(
                &session,
                now,
                &item,
                uuid::Uuid::new_v4().to_string(),
                d,
                &[],
                Some(r.into()),
            );
            page(StatusCode::UNPROCESSABLE_ENTITY, &t)
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
