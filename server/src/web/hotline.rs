//! The hotline office's pages (热线办, seed 002): the work-order desk and the intake form.
//! The order's own acts (accept, refuse, tell the caller, return, committed deadline,
//! call-back, reopen, typical) are forms of the item page (`item`), which asks this module
//! for the order's facts and its likely duplicates.
//!
//! - `GET /hotline`: the desk — the orders the person may read, by stage: awaiting
//!   acceptance (with the time since the call), accepted and awaiting dispatch with the
//!   dispatch clock (`policy.hotline.dispatch_hours` after acceptance, in hours: time left
//!   or overdue), returned awaiting transfer, committed deadlines awaiting the office,
//!   replies awaiting the first dispatcher's call-back, unsatisfied orders awaiting
//!   reopening, and callers owed a notice (due `inform_caller_days` after the decision).
//!   The office (supervisors, administrators) works it; leaders and inspectors may read it.
//! - `GET /hotline/new`, `POST /hotline/new`: the intake form (来电登记) — the time of the
//!   call, the caller's name, phone and address (the category's confidential attributes,
//!   kept apart), the unit or place, the content, kind, channel and line, urgent public
//!   safety, confidentiality asked. It registers an item of the line's category through the
//!   same checks and plan as the registration form (`crate::register`), with the order's
//!   intake facts; the command's id derives from the form's, so a resent form registers once.
//!   A refused field is shown at the field, with what was typed kept.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use duban_core::domain::calendar::Calendar;
use duban_core::domain::derived::duplicate::{likely_duplicate, DuplicateReason, OrderFacts};
use duban_core::domain::order::{
    Acceptance, Line, NonAcceptance, NoticeAbout, OrderChannel, OrderIntake, OrderKind, OrderState,
    Satisfaction,
};
use duban_core::domain::state::{ExtensionOutcome, Status, TaskState};
use duban_core::domain::Code;
use duban_core::domain::{Role, TaskId, UserId};

use super::{page, Chrome, Shown, SignedIn};
use crate::auth::Session;
use crate::authority::Outcome;
use crate::error::{ApiError, Form};
use crate::i18n;
use crate::org::Org;
use crate::read;
use crate::register::{self as reg, Draft};
use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/hotline", get(desk))
        .route("/hotline/new", get(intake_page).post(intake_submit))
}

/// Whether the person works the hotline desk: the office (supervisors, administrators).
pub(super) fn works_desk(session: &Session) -> bool {
    session.actor.roles.any(&[Role::Supervisor, Role::Admin])
}

/// Whether the person may read the hotline desk: the office, leaders and inspectors.
pub(super) fn reads_desk(session: &Session) -> bool {
    session.actor.roles.any(&[
        Role::Supervisor,
        Role::Admin,
        Role::MainLeader,
        Role::DeputyLeader,
        Role::Inspector,
    ])
}

fn not_desk() -> Response {
    ApiError::forbidden(
        "热线工单台只供热线办、领导和督查人员查看",
        "the hotline desk is for the hotline office, leaders and inspectors",
    )
    .into_response()
}

fn not_office() -> Response {
    ApiError::forbidden(
        "只有热线办可以登记来电",
        "only the hotline office takes calls",
    )
    .into_response()
}

// ----- times --------------------------------------------------------------------------------

/// A time as the organisation's calendar reads it, to the minute.
fn local(cal: &Calendar, t: DateTime<Utc>) -> String {
    cal.to_local(t).format("%Y-%m-%d %H:%M").to_string()
}

/// Whole hours, rounded up (a clock shows "1 hour left" until it runs out).
fn hours_up(d: Duration) -> i64 {
    (d.num_seconds() + 3599) / 3600
}

/// How long ago the call came in, in the page's language.
fn since(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let d = now - at;
    if d < Duration::hours(1) {
        let m = d.num_minutes().max(0);
        i18n::t_args("hotline-minutes-ago", &[("n", &m)])
    } else {
        i18n::t_args("hotline-hours-ago", &[("n", &d.num_hours())])
    }
}

/// A clock running to `due`: the hours left, or how many it is overdue; and whether it is.
fn clock(now: DateTime<Utc>, due: DateTime<Utc>) -> (String, bool) {
    if now <= due {
        (
            i18n::t_args("hotline-hours-left", &[("n", &hours_up(due - now))]),
            false,
        )
    } else {
        (
            i18n::t_args("hotline-hours-overdue", &[("n", &hours_up(now - due))]),
            true,
        )
    }
}

/// When the dispatch is due: the policy's hours after acceptance.
pub(super) fn dispatch_due(o: &OrderState, org: &Org) -> Option<DateTime<Utc>> {
    o.accepted_at()
        .map(|at| at + Duration::hours(i64::from(org.policy.hotline.dispatch_hours)))
}

/// When the caller is to be told about `about`: the policy's days after the decision (the
/// acceptance decision, or the extension's request for an extension).
pub(super) fn notice_due(
    s: &TaskState,
    o: &OrderState,
    about: NoticeAbout,
    org: &Org,
) -> Option<DateTime<Utc>> {
    let from = match about {
        NoticeAbout::Acceptance => o.acceptance.as_ref().map(|a| a.mark().at),
        NoticeAbout::Extension => s
            .extensions
            .iter()
            .filter(|e| e.outcome == ExtensionOutcome::Approved)
            .map(|e| e.at)
            .max(),
    }?;
    Some(from + Duration::days(i64::from(org.policy.hotline.inform_caller_days)))
}

/// Whether the reply now on record was called back about, and how the caller answered.
pub(super) fn called_back(s: &TaskState, o: &OrderState) -> Option<Satisfaction> {
    let reported = s.completion?.reported.seq;
    o.last_callback()
        .filter(|c| c.mark.seq > reported)
        .map(|c| c.answers.satisfaction)
}

// ----- the desk -----------------------------------------------------------------------------

/// An order as a desk table shows it.
struct DeskRow {
    id: String,
    number: String,
    title: String,
    line: &'static str,
    kind: &'static str,
    subject: String,
    unit: String,
    /// The stage's own column (time since the call, the clock, who calls back…).
    stage: String,
    /// Whether the stage's clock has run out.
    late: bool,
}

/// One stage of the desk.
struct Stage {
    /// The section's id (`accept`, `dispatch`, `transfer`, `commitment`, `callback`,
    /// `reopen`, `inform`).
    id: &'static str,
    heading: String,
    /// The header of the stage's own column.
    column: String,
    rows: Vec<DeskRow>,
}

#[derive(Template)]
#[template(path = "hotline.html")]
struct DeskPage {
    chrome: Chrome,
    stages: Vec<Stage>,
    /// Whether the person takes calls (the intake form's link).
    takes_calls: bool,
}

async fn desk(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if !reads_desk(&session) {
        return not_desk();
    }
    let now = state.clock.now();
    let items = match read::readable(&state, &session, now).await {
        Ok(i) => i,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let org = &session.org;
    let cal = &org.calendar;
    let lang = i18n::current();
    let me = session.user();
    let ids = [
        "accept",
        "dispatch",
        "transfer",
        "commitment",
        "callback",
        "reopen",
        "inform",
    ];
    let mut stages: Vec<Stage> = ids
        .iter()
        .map(|id| Stage {
            id,
            heading: lang.t(&format!("hotline-stage-{id}")),
            column: lang.t(&format!("hotline-stage-{id}-col")),
            rows: Vec::new(),
        })
        .collect();
    // Oldest call first in every stage.
    let mut orders: Vec<_> = items
        .iter()
        .filter_map(|(i, s)| s.order.as_ref().map(|o| (i, s, o)))
        .collect();
    orders.sort_by_key(|(i, _, o)| (o.intake.called_at, i.id));
    for (i, s, o) in orders {
        let row = |stage: String, late: bool| DeskRow {
            id: i.id.to_string(),
            number: i.number.clone(),
            title: i.title.clone(),
            line: lang.name(o.line()),
            kind: lang.name(o.intake.kind),
            subject: o.intake.subject.clone(),
            unit: i
                .lead_unit
                .as_ref()
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            stage,
            late,
        };
        let live = !matches!(
            s.status,
            Status::Revoked | Status::Closed | Status::Archived
        );
        let mut put = |n: usize, r: DeskRow| stages[n].rows.push(r);
        if live && s.status == Status::Draft && o.acceptance.is_none() {
            put(0, row(since(now, o.intake.called_at), false));
        }
        if live && s.status == Status::Draft && o.accepted_at().is_some() {
            if let Some(due) = dispatch_due(o, org) {
                let (text, late) = clock(now, due);
                put(1, row(text, late));
            }
        }
        if s.status == Status::Declined {
            let at = o.returns.last().map(|r| local(cal, r.mark.at));
            put(2, row(at.unwrap_or_default(), false));
        }
        if let Some(c) = o.pending_commitment() {
            put(3, row(super::item::due(cal, c.until), false));
        }
        if s.status == Status::UnderReview
            && s.completion.is_some()
            && s.pending_completion().is_none()
        {
            let first = o.first_dispatcher;
            let who = first
                .and_then(|u| org.people.get(&u))
                .map(|p| p.name.clone())
                .unwrap_or_default();
            match called_back(s, o) {
                None => {
                    let text = if first == Some(me) {
                        lang.t("hotline-yours")
                    } else {
                        who
                    };
                    put(4, row(text, false));
                }
                Some(Satisfaction::Unsatisfied) => {
                    let at = o.last_callback().map(|c| local(cal, c.mark.at));
                    put(5, row(at.unwrap_or_default(), false));
                }
                Some(_) => {}
            }
        }
        for about in &o.owed {
            if let Some(due) = notice_due(s, o, *about, org) {
                let text = lang.t_args(
                    "hotline-owed-due",
                    &[("about", &lang.name(*about)), ("due", &local(cal, due))],
                );
                put(6, row(text, now > due));
            }
        }
    }
    let chrome = Chrome::new(Some(&session), cal, "/hotline", now);
    page(
        StatusCode::OK,
        &DeskPage {
            chrome,
            stages,
            takes_calls: works_desk(&session),
        },
    )
}

// ----- intake -------------------------------------------------------------------------------

/// The intake form as typed.
#[derive(Default)]
struct Intake {
    form: String,
    called_at: String,
    caller_name: String,
    caller_phone: String,
    caller_address: String,
    subject: String,
    title: String,
    content: String,
    kind: String,
    channel: String,
    line: String,
    urgent_safety: bool,
    keep_private: bool,
}

impl Intake {
    fn of(fields: Vec<(String, String)>) -> Intake {
        let mut f = Intake::default();
        for (k, v) in fields {
            let slot = match k.as_str() {
                "form" => &mut f.form,
                "called_at" => &mut f.called_at,
                "caller_name" => &mut f.caller_name,
                "caller_phone" => &mut f.caller_phone,
                "caller_address" => &mut f.caller_address,
                "subject" => &mut f.subject,
                "title" => &mut f.title,
                "content" => &mut f.content,
                "kind" => &mut f.kind,
                "channel" => &mut f.channel,
                "line" => &mut f.line,
                "urgent_safety" => {
                    f.urgent_safety = v == "1";
                    continue;
                }
                "keep_private" => {
                    f.keep_private = v == "1";
                    continue;
                }
                _ => continue,
            };
            *slot = v;
        }
        f
    }
}

/// A refusal at one of the intake form's fields (`field` empty: the whole form).
struct FieldError {
    field: &'static str,
    shown: Shown,
}

/// A choice of a select: its value, its name in the page's language, whether chosen.
struct Opt {
    value: &'static str,
    label: &'static str,
    chosen: bool,
}

fn options<C: Code>(typed: &str, default: C) -> Vec<Opt> {
    let lang = i18n::current();
    let typed = C::from_text(typed).unwrap_or(default);
    C::ALL
        .iter()
        .map(|v| Opt {
            value: v.code(),
            label: lang.name(*v),
            chosen: *v == typed,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "hotline_new.html")]
struct IntakePage {
    chrome: Chrome,
    f: Intake,
    lines: Vec<Opt>,
    kinds: Vec<Opt>,
    channels: Vec<Opt>,
    errors: Vec<FieldError>,
}

impl IntakePage {
    /// The refusal at `field`, if any.
    fn err(&self, field: &str) -> Option<&Shown> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| &e.shown)
    }

    /// The refusals at no field of the form.
    fn general(&self) -> impl Iterator<Item = &Shown> {
        self.errors
            .iter()
            .filter(|e| e.field.is_empty())
            .map(|e| &e.shown)
    }
}

fn intake_view(
    session: &Session,
    now: DateTime<Utc>,
    f: Intake,
    errors: Vec<FieldError>,
) -> IntakePage {
    IntakePage {
        chrome: Chrome::new(Some(session), &session.org.calendar, "/hotline", now),
        lines: options(&f.line, Line::Citizen),
        kinds: options(&f.kind, OrderKind::Complaint),
        channels: options(&f.channel, OrderChannel::Phone),
        f,
        errors,
    }
}

async fn intake_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    if !works_desk(&session) {
        return not_office();
    }
    let now = state.clock.now();
    let f = Intake {
        form: uuid::Uuid::new_v4().to_string(),
        called_at: session
            .org
            .calendar
            .to_local(now)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        ..Intake::default()
    };
    page(StatusCode::OK, &intake_view(&session, now, f, Vec::new()))
}

/// The intake field a refusal's code concerns (empty: none in particular).
fn field_of_code(code: &str) -> &'static str {
    match code {
        "input.order_subject" => "subject",
        "input.called_at" => "called_at",
        "input.title" => "title",
        "input.content" => "content",
        "order.wrong_line" | "order.intake_required" | "order.not_an_order_category" => "line",
        _ => "",
    }
}

/// The intake field of a registration form's field.
fn field_of_problem(field: &str) -> &'static str {
    match field {
        "title" => "title",
        "content" => "content",
        "category" => "line",
        "attributes.caller_name" => "caller_name",
        "attributes.caller_phone" => "caller_phone",
        "attributes.caller_address" => "caller_address",
        _ => "",
    }
}

fn shown(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Shown {
    Shown {
        code: code.to_owned(),
        zh: zh.into(),
        en: en.into(),
    }
}

/// The registration the intake form describes, with its intake facts; or each refusal at
/// its field.
fn intake_entry(f: &Intake, org: &Org, now: DateTime<Utc>) -> Result<reg::Entry, Vec<FieldError>> {
    let mut errors = Vec::new();
    let line = Line::from_text(&f.line);
    let category = line.and_then(|l| {
        org.policy
            .categories
            .iter()
            .find(|c| c.order_line == Some(l))
    });
    if category.is_none() {
        errors.push(FieldError {
            field: "line",
            shown: shown(
                "hotline.no_category",
                "该热线没有对应的工单类别",
                "no category holds this hotline's work orders",
            ),
        });
    }
    let called_at = reg::parse_when(&f.called_at, org);
    if called_at.is_none() {
        errors.push(FieldError {
            field: "called_at",
            shown: shown(
                "input.called_at",
                "来电时间应为年-月-日 时:分",
                "the call's time reads YYYY-MM-DD HH:MM",
            ),
        });
    }
    let kind = OrderKind::from_text(&f.kind);
    if kind.is_none() {
        errors.push(FieldError {
            field: "kind",
            shown: shown("input.order_kind", "请选择诉求类型", "choose the kind"),
        });
    }
    let channel = OrderChannel::from_text(&f.channel);
    if channel.is_none() {
        errors.push(FieldError {
            field: "channel",
            shown: shown(
                "input.order_channel",
                "请选择来电渠道",
                "choose the channel",
            ),
        });
    }
    if f.subject.trim().is_empty() {
        errors.push(FieldError {
            field: "subject",
            shown: shown(
                "input.order_subject",
                "请填写反映对象(单位或地点)",
                "give the unit or place the call is about",
            ),
        });
    }
    if f.content.trim().is_empty() {
        errors.push(FieldError {
            field: "content",
            shown: shown(
                "input.content",
                "请填写来电内容",
                "give what the caller said",
            ),
        });
    }
    let title = if f.title.trim().is_empty() {
        f.subject.trim().to_owned()
    } else {
        f.title.trim().to_owned()
    };
    let draft = Draft {
        category: category.map(|c| c.code.clone()).unwrap_or_default(),
        title,
        content: f.content.clone(),
        source: "other".to_owned(),
        urgency: if f.urgent_safety { "urgent" } else { "normal" }.to_owned(),
        visibility: "internal".to_owned(),
        attributes: [
            ("caller_name", &f.caller_name),
            ("caller_phone", &f.caller_phone),
            ("caller_address", &f.caller_address),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect::<BTreeMap<_, _>>(),
        ..Draft::default()
    };
    let checked = reg::check(&draft, org, now);
    if let Err(problems) = &checked {
        for p in problems {
            let field = field_of_problem(&p.field);
            // A refusal already said at its field is not said twice.
            if !field.is_empty() && errors.iter().any(|e| e.field == field) {
                continue;
            }
            errors.push(FieldError {
                field,
                shown: shown(p.code, p.zh.clone(), p.en.clone()),
            });
        }
    }
    match (checked, line, called_at, kind, channel, errors.is_empty()) {
        (Ok(mut entry), Some(line), Some(called_at), Some(kind), Some(channel), true) => {
            entry.registration.order = Some(OrderIntake {
                line,
                called_at,
                kind,
                channel,
                subject: f.subject.trim().to_owned(),
                platform_number: None,
                urgent_safety: f.urgent_safety,
                keep_private: f.keep_private,
            });
            Ok(entry)
        }
        _ => Err(errors),
    }
}

/// `POST /hotline/new`: registers the call as a work order; to its item page.
async fn intake_submit(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !works_desk(&session) {
        return not_office();
    }
    let now = state.clock.now();
    let mut f = Intake::of(fields);
    let Ok(form) = uuid::Uuid::parse_str(f.form.trim()) else {
        return ApiError::bad_request(
            "request.bad_form",
            "表单已失效，请刷新页面后重试",
            "the form is not valid: reload the page and try again",
        )
        .into_response();
    };
    let refused = |session: &Session, f: Intake, errors: Vec<FieldError>| {
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &intake_view(session, now, f, errors),
        )
    };
    let entry = match intake_entry(&f, &session.org, now) {
        Ok(e) => e,
        Err(errors) => return refused(&session, f, errors),
    };
    let planned = match reg::plan(&entry, &session.org.policy, form, 0) {
        Ok(p) => p,
        Err(p) => {
            let errors = vec![FieldError {
                field: "",
                shown: shown(p.code, p.zh, p.en),
            }];
            return refused(&session, f, errors);
        }
    };
    let mut made = None;
    for (task, envelopes) in planned {
        for env in &envelopes {
            match crate::authority::apply(&state, &session.org, &session.actor, env, now).await {
                Ok(Outcome::Accepted(_)) => {}
                Ok(Outcome::Refused(r)) => {
                    let field = field_of_code(&r.code);
                    // The same form id would be refused the same way: a new one.
                    f.form = uuid::Uuid::new_v4().to_string();
                    let errors = vec![FieldError {
                        field,
                        shown: r.into(),
                    }];
                    return refused(&session, f, errors);
                }
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        made.get_or_insert(task);
    }
    match made {
        Some(task) => Redirect::to(&format!("/items/{task}")).into_response(),
        None => Redirect::to("/hotline").into_response(),
    }
}

// ----- on the item page ---------------------------------------------------------------------

/// A likely duplicate of an order, as the acceptance decision shows it.
pub(super) struct Duplicate {
    pub(super) id: String,
    pub(super) number: String,
    pub(super) title: String,
    pub(super) status: &'static str,
    /// Why it is offered, in the page's language.
    pub(super) why: String,
    /// Whether it was accepted: then the "already accepted" refusal is offered with it.
    pub(super) accepted: bool,
    /// The command id of that refusal's form.
    pub(super) command: String,
}

/// The most candidates compared for one order.
const MAX_CANDIDATES: usize = 500;

/// The orders the person may read that are likely duplicates of this one (the core's rule,
/// [`likely_duplicate`], within the policy's window), newest first. Needs the caller's
/// phone or address (`secrets`): without them (a person not permitted to see them) none.
pub(super) async fn duplicates(
    state: &AppState,
    session: &Session,
    task: TaskId,
    s: &TaskState,
    content: &str,
    secrets: Option<&BTreeMap<String, String>>,
    now: DateTime<Utc>,
) -> Result<Vec<Duplicate>, ApiError> {
    let (Some(o), Some(secrets)) = (s.order.as_ref(), secrets) else {
        return Ok(Vec::new());
    };
    let org = &session.org;
    let lang = i18n::current();
    let window = org.policy.hotline.duplicate_window_days;
    let this = OrderFacts {
        called_at: o.intake.called_at,
        phone: secrets.get("caller_phone").map(String::as_str),
        address: secrets.get("caller_address").map(String::as_str),
        content,
    };
    let categories: Vec<String> = org
        .policy
        .categories
        .iter()
        .filter(|c| c.order_line.is_some())
        .map(|c| c.code.clone())
        .collect();
    // Registered within the window of the call, with a day's margin either side (an order
    // is registered after its call; the core's rule compares the calls' times).
    let margin = Duration::days(i64::from(window) + 1);
    let from = (o.intake.called_at - margin).timestamp_millis();
    let to = (o.intake.called_at + margin).timestamp_millis();
    let candidates = {
        let mut tx = state.db.read().await.map_err(ApiError::from)?;
        crate::db::duplicates::candidates(&mut tx, &categories, from, to, task, MAX_CANDIDATES)
            .await
            .map_err(ApiError::from)?
    };
    let mut out = Vec::new();
    for c in candidates {
        let Some(other) = c.state.order.as_ref() else {
            continue;
        };
        let facts = OrderFacts {
            called_at: other.intake.called_at,
            phone: c.secrets.get("caller_phone").map(String::as_str),
            address: c.secrets.get("caller_address").map(String::as_str),
            content: &c.content,
        };
        let Some(reason) = likely_duplicate(&this, &facts, window) else {
            continue;
        };
        // Only what the person may read is offered.
        let Some(item) = read::item_summary(state, session, c.id, now)
            .await
            .map_err(ApiError::from)?
        else {
            continue;
        };
        out.push(Duplicate {
            id: item.id.to_string(),
            number: item.number.clone(),
            title: item.title.clone(),
            status: lang.name(item.status),
            why: lang.t(match reason {
                DuplicateReason::SamePhone => "hotline-dup-same-phone",
                DuplicateReason::SimilarAddressAndContent => "hotline-dup-similar",
            }),
            accepted: other.accepted_at().is_some(),
            command: uuid::Uuid::new_v4().to_string(),
        });
    }
    Ok(out)
}

/// One line of the order's history: when, who, what.
pub(super) struct OrderLine {
    pub(super) at: String,
    pub(super) who: String,
    pub(super) what: String,
    /// A linked item (the order accepted before), if any: its id and number.
    pub(super) link: Option<(String, String)>,
}

/// A call-back's answers as shown.
pub(super) struct CallbackView {
    pub(super) at: String,
    pub(super) who: String,
    pub(super) told: String,
    pub(super) factual: String,
    pub(super) misconduct: String,
    pub(super) satisfaction: &'static str,
    pub(super) satisfied: bool,
}

/// The order's part of the item page: its intake facts and every step of its own.
pub(super) struct OrderView {
    pub(super) facts: Vec<(String, String)>,
    /// The dispatch clock, while accepted and not dispatched: its text and whether overdue.
    pub(super) clock: Option<(String, bool)>,
    pub(super) history: Vec<OrderLine>,
    pub(super) callbacks: Vec<CallbackView>,
    /// What the caller is still owed a notice about, each with its due time.
    pub(super) owed: Vec<String>,
    /// Whether it is a 12369 order (its extension: once, at most the policy's days).
    pub(super) environment: bool,
    /// The policy's extension days for a 12369 order.
    pub(super) extension_days: u32,
    /// Now, local, as a `datetime-local` field's value (when the caller was told).
    pub(super) now_local: String,
}

/// The order's facts and history for the item page, in the page's language.
pub(super) fn order_view(
    s: &TaskState,
    org: &Org,
    now: DateTime<Utc>,
    name: &dyn Fn(UserId) -> String,
) -> Option<OrderView> {
    let o = s.order.as_ref()?;
    let cal = &org.calendar;
    let lang = i18n::current();
    let yes_no = |b: bool| lang.t(if b { "hotline-yes" } else { "hotline-no" });
    let unit = |u: duban_core::domain::UnitId| {
        org.unit(u)
            .map_or_else(|| lang.t("item-unknown-unit"), |u| u.name.clone())
    };
    let mut facts = vec![
        (lang.t("hotline-line"), lang.name(o.line()).to_owned()),
        (lang.t("hotline-called-at"), local(cal, o.intake.called_at)),
        (lang.t("hotline-kind"), lang.name(o.intake.kind).to_owned()),
        (
            lang.t("hotline-channel"),
            lang.name(o.intake.channel).to_owned(),
        ),
        (lang.t("hotline-subject"), o.intake.subject.clone()),
        (
            lang.t("hotline-urgent-safety"),
            yes_no(o.intake.urgent_safety),
        ),
        (
            lang.t("hotline-keep-private"),
            yes_no(o.intake.keep_private),
        ),
    ];
    if let Some(n) = &o.intake.platform_number {
        facts.push((lang.t("hotline-platform-number"), n.clone()));
    }
    if let Some(first) = o.first_dispatcher {
        facts.push((lang.t("hotline-first-dispatcher"), name(first)));
    }
    if let Some(t) = &o.typical {
        facts.push((
            lang.t("hotline-typical"),
            lang.t_args("hotline-typical-since", &[("at", &local(cal, t.at))]),
        ));
    }
    let clock = (s.status == Status::Draft)
        .then(|| dispatch_due(o, org))
        .flatten()
        .map(|due| clock(now, due));

    let mut history: Vec<(u64, OrderLine)> = Vec::new();
    let line = |mark: &duban_core::domain::state::Mark, what: String| {
        (
            mark.seq,
            OrderLine {
                at: local(cal, mark.at),
                who: name(mark.by),
                what,
                link: None,
            },
        )
    };
    match &o.acceptance {
        Some(Acceptance::Accepted { mark, urgent }) => history.push(line(
            mark,
            lang.t(if *urgent {
                "hotline-h-accepted-urgent"
            } else {
                "hotline-h-accepted"
            }),
        )),
        Some(Acceptance::NotAccepted { mark, reason }) => {
            let what = match reason {
                NonAcceptance::OutsideRemit { refer_to } => {
                    lang.t_args("hotline-h-refused-remit", &[("to", refer_to)])
                }
                NonAcceptance::LegalChannel { channel } => {
                    lang.t_args("hotline-h-refused-legal", &[("channel", channel)])
                }
                NonAcceptance::AlreadyAccepted { follow_up, .. } => {
                    lang.t_args("hotline-h-refused-duplicate", &[("follow", follow_up)])
                }
                NonAcceptance::ContestedReply => lang.t("hotline-h-refused-contested"),
            };
            let mut l = line(mark, what);
            if let NonAcceptance::AlreadyAccepted { of, .. } = reason {
                l.1.link = Some((of.to_string(), lang.t("hotline-earlier-order")));
            }
            history.push(l);
        }
        None => {}
    }
    for n in &o.notices {
        history.push(line(
            &n.mark,
            lang.t_args(
                "hotline-h-informed",
                &[
                    ("about", &lang.name(n.about)),
                    ("method", &lang.name(n.method)),
                    ("at", &local(cal, n.told_at)),
                ],
            ),
        ));
    }
    for r in &o.returns {
        let key = match r.upheld {
            Some(true) => "hotline-h-returned-upheld",
            Some(false) => "hotline-h-returned-back",
            None => "hotline-h-returned",
        };
        history.push(line(&r.mark, lang.t_args(key, &[("unit", &unit(r.unit))])));
    }
    for t in &o.transfers {
        history.push(line(
            &t.mark,
            lang.t_args(
                "hotline-h-transferred",
                &[("from", &unit(t.from)), ("to", &unit(t.to))],
            ),
        ));
    }
    for c in &o.commitments {
        let outcome = lang.name(c.outcome);
        history.push(line(
            &c.mark,
            lang.t_args(
                "hotline-h-commitment",
                &[
                    ("until", &super::item::due(cal, c.until)),
                    ("outcome", &outcome),
                ],
            ),
        ));
    }
    for r in &o.reopenings {
        history.push(line(
            &r.mark,
            lang.t_args(
                "hotline-h-reopened",
                &[
                    ("unit", &r.unit.map(unit).unwrap_or_default()),
                    ("due", &super::item::due(cal, r.due)),
                ],
            ),
        ));
    }
    history.sort_by_key(|(seq, _)| *seq);
    let callbacks = o
        .callbacks
        .iter()
        .map(|c| CallbackView {
            at: local(cal, c.mark.at),
            who: name(c.mark.by),
            told: yes_no(c.answers.told_result_and_basis),
            factual: yes_no(c.answers.factual),
            misconduct: lang.t(if c.answers.misconduct {
                "hotline-misconduct-yes"
            } else {
                "hotline-misconduct-no"
            }),
            satisfaction: lang.name(c.answers.satisfaction),
            satisfied: c.answers.satisfaction.counts_satisfied(),
        })
        .collect();
    let owed = o
        .owed
        .iter()
        .map(|about| {
            let due = notice_due(s, o, *about, org)
                .map(|d| local(cal, d))
                .unwrap_or_default();
            lang.t_args(
                "hotline-owed-due",
                &[("about", &lang.name(*about)), ("due", &due)],
            )
        })
        .collect();
    Some(OrderView {
        facts,
        clock,
        history: history.into_iter().map(|(_, l)| l).collect(),
        callbacks,
        owed,
        environment: o.line() == Line::Environment,
        extension_days: org.policy.hotline.environment_extension_days,
        now_local: cal.to_local(now).format("%Y-%m-%dT%H:%M").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dispatch_clock_counts_whole_hours_left_or_overdue() {
        let due = DateTime::from_timestamp(1_780_000_000, 0).expect("time");
        // Outside a request the pages speak zh-CN.
        assert_eq!(
            clock(due - Duration::minutes(30), due),
            ("剩余 1 小时".to_owned(), false)
        );
        assert_eq!(
            clock(due - Duration::hours(11), due),
            ("剩余 11 小时".to_owned(), false)
        );
        assert_eq!(
            clock(due + Duration::minutes(61), due),
            ("已超时 2 小时".to_owned(), true)
        );
        assert_eq!(since(due, due - Duration::minutes(5)), "5 分钟前");
        assert_eq!(since(due, due - Duration::minutes(150)), "2 小时前");
        assert_eq!(
            crate::i18n::Lang::En.t_args("hotline-hours-left", &[("n", &1)]),
            "1 hour left"
        );
    }
}
