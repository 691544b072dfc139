//! The item page (事项详情) and its acts:
//!
//! - `GET /items/{id}`: everything about one item the person may read (else the same
//!   not-found as `GET /api/v1/tasks/{id}`): its facts, countdown, light and card, the people
//!   on it, milestones, sub-items, the periodic report requests with how each was answered
//!   (linked to the sheet of every unit's reports of that period, `web::reports`, for the
//!   roles that read every item), reports with their figures, photos and the reviewer's warnings,
//!   before/after pairs, instructions and comments, and the trail (流程留痕) with each step's
//!   local time, who and what, and whether its hash chain verifies;
//! - `POST /items/{id}/act`: one act from the page's forms, each a core command through the
//!   authority (the path of the API's `/sync/push`, so page and API make the same events)
//!   with the command id the form was rendered with, so a resent form acts once. The unit's
//!   acts: receive (签收), decline with a reason (拒签), decompose into a sub-item for a unit
//!   or a person with a local due date (分解; the sub-item's id is the command's, its number
//!   the server's, as for a phone), share and unshare with chosen people (共享), progress
//!   reports (answering a periodic request with its figures, `figure:<label>` fields) and
//!   completion reports with their files (`evidence` fields, each a `BlobRef`'s JSON, at most
//!   [`MAX_EVIDENCE`] of at most [`MAX_EVIDENCE_JSON`] bytes; the authority checks the person
//!   may cite them), and the requests for an extension, a suspension or resumption; the
//!   office's and leaders': review, rating, instruction, the approvals, urging (a note, and
//!   for a phone call its local time and who answered), escalation (升级督办), close, revoke,
//!   archive (归档); anyone's comment or
//!   reply, follow and unfollow; for a hotline work order (`hotline`), its intake facts and
//!   steps, and its acts: accept (受理), not accept with a reason (不予受理: outside the
//!   remit and where to go, a legal channel, already accepted with the link and how to
//!   follow it — offered with each likely duplicate — or a contested reply with an
//!   explanation), tell the caller (what about, how, when), return (退单, instead of a
//!   decline), a committed deadline asked and decided (承诺件), the reply in the office's
//!   template (one field a section of `policy.hotline.reply_sections`, composed into
//!   `【section】text` lines), the call-back's four answers (回访), reopen (重办), typical. The forms shown are exactly the acts the core offers the
//!   person now (`offer::acts_on_offer`, as the phones' screens), never chosen by role. An
//!   urging within the policy's `urge_interval_hours` of the last is not sent unless the form
//!   confirms it (`confirm=1`): the form comes back asking. From htmx the item's part of the
//!   page is answered and swapped; from a plain form, 303 back to the page. A refusal is shown
//!   at its form in the page's language, its stable code marked apart, and what was typed
//!   stays;
//! - `GET /files/{hash}`: a file for the browser's `<img>` (which sends the cookie, not a
//!   bearer token), under exactly the permission of `GET /api/v1/blobs/{hash}`.
//!
//! The data comes from the API's own detail (`read::item_detail`), so the page shows what
//! the API shows and nothing more.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use duban_core::domain::calendar::Calendar;
use duban_core::domain::command::{
    CommandKind, DispatchOrder, PhoneCall, ReportBody, SubtaskSpec, UrgeChannel,
};
use duban_core::domain::decide::working_time_left;
use duban_core::domain::derived::describe::describe;
use duban_core::domain::derived::evidence::EvidenceWarning;
use duban_core::domain::derived::periodic::{period_report, period_start};
use duban_core::domain::model::Period;
use duban_core::domain::model::{
    Assignee, BlobRef, NoteId, ReportId, Source, TaskNumber, UnitId, Visibility,
};
use duban_core::domain::offer::{acts_on_offer, urged_lately};
use duban_core::domain::order::{
    compose_reply, CallbackAnswers, ContactMethod, NonAcceptance, NoticeAbout, Satisfaction,
};
use duban_core::domain::permission::{may_assign, reads_every_item};
use duban_core::domain::state::{ReportStatus, Status, TaskState};
use duban_core::domain::trail::{verify, Hash, TrailEntry, TrailError};
use duban_core::domain::Code;
use duban_core::domain::{decide, Command, Context, Event, EventKind, TaskId, UserId};
use duban_core::protocol::CommandEnvelope;

use super::uploads::{files_of, UploadBox};
use super::{colour_class, page, signed_in, signin, Chrome, Shown, SignedIn};
use crate::auth::Session;
use crate::authority::{self, Outcome};
use crate::db::trail;
use crate::error::{ApiError, Form, Path};
use crate::i18n::{self, Lang};
use crate::org::Org;
use crate::read;
use crate::routes::blobs;
use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/items/{id}", get(item_page))
        .route("/items/{id}/act", post(act))
        .route("/files/{hash}", get(file))
}

// ----- what the page shows ------------------------------------------------------------------

/// A line of the item's facts: its label (in the page's language) and value.
struct Fact {
    label: String,
    value: String,
}

impl Fact {
    /// The fact labelled by the catalog's `key`.
    fn new(key: &str, value: String) -> Fact {
        Fact {
            label: i18n::t(key),
            value,
        }
    }
}

/// A light or card as shown: its colour class and name with its reason (in the page's
/// language).
struct Light {
    colour: &'static str,
    text: String,
}

/// One step of the trail as the page shows it.
struct Step {
    seq: i64,
    at: String,
    who: String,
    /// What happened, in the page's language.
    title: String,
    detail: String,
    hash: String,
    /// Whether this step's hash matches its content and links to the step before.
    ok: bool,
    /// Why not, in the page's language (empty when verified).
    why: String,
}

/// Whether the whole trail verifies, and its sentence in the page's language.
struct Verdict {
    ok: bool,
    code: String,
    text: String,
}

/// A file as the page shows it: the thumbnail (for a photo) links to the file.
struct FileView {
    hash: String,
    thumb: String,
    name: String,
    image: bool,
    meta: String,
    warnings: Vec<EvidenceWarning>,
}

/// A report with its files.
struct ReportView {
    id: String,
    /// Progress or completion, in the page's language.
    kind: &'static str,
    by: String,
    at: String,
    text: String,
    percent: Option<u8>,
    /// Its status, in the page's language.
    status: &'static str,
    /// The periodic request it answers (its period's words), if any.
    answers: Option<String>,
    /// Its figures (label, value), in the order the recurrence asks for them.
    figures: Vec<(String, String)>,
    files: Vec<FileView>,
    /// The command id of its approval form, when this person is to decide it.
    decide: Option<String>,
}

/// A rectification's "before" photo with the "after" photos answering it.
struct PairView {
    before: FileView,
    after: Vec<FileView>,
}

/// An instruction, comment or reply.
struct NoteView {
    id: String,
    instruction: bool,
    reply: bool,
    by: String,
    at: String,
    text: String,
    /// The command id of its reply form, when this person may comment.
    answer: Option<String>,
}

/// A milestone.
struct MilestoneView {
    title: String,
    due: String,
    planned: u8,
    met: String,
}

/// A linked item (a sub-item or the parent).
struct Linked {
    id: String,
    number: String,
    title: String,
    status: &'static str,
    colour: &'static str,
    progress: u8,
}

/// A periodic report request (R1.4) as the item page lists it.
struct PeriodView {
    index: u32,
    /// The period's words (`第3期（2026-03-09 起的一周）`).
    label: String,
    due: String,
    /// How its report came (on time, late, missing, not due), with its style.
    status: super::reports::StatusView,
}

/// A request waiting for a decision (extension, suspension, resumption).
struct Request {
    by: String,
    at: String,
    what: String,
    reason: String,
}

/// A request this person decides now: its form's act, heading and command id.
struct Decision {
    act: &'static str,
    /// The form's heading, in the page's language.
    heading: String,
    request: Request,
    command: String,
}

/// A form that failed: which one, why, and what was typed in it.
#[derive(Default)]
struct Attempt {
    key: String,
    error: Option<Shown>,
    opinion: String,
    text: String,
    stars: String,
    new_deadline: String,
    reason: String,
    title: String,
    content: String,
    handler: String,
    deadline: String,
    percent: String,
    milestone: String,
    until: String,
    note: String,
    channel: String,
    call_at: String,
    answered_by: String,
    with: Vec<String>,
    /// The evidence as sent (each a `BlobRef`'s JSON), sent again with the form.
    evidence: Vec<String>,
    /// The periodic request a progress report answers (its index), as chosen.
    answers: String,
    /// A progress report's figures as typed, by label.
    figures: BTreeMap<String, String>,
    /// When an urging waits for confirmation: when the item was last urged (local time).
    confirm: Option<String>,
    /// A work order's fields as typed (`reason_code`, `refer_to`, `told_at`, …).
    extra: BTreeMap<String, String>,
    /// The reply's sections as typed, in the template's order.
    sections: Vec<String>,
}

impl Attempt {
    /// The work-order field `name` as typed (empty if not).
    fn x(&self, name: &str) -> &str {
        self.extra.get(name).map_or("", String::as_str)
    }

    /// The reply's section `i` as typed.
    fn section(&self, i: &usize) -> &str {
        self.sections.get(*i).map_or("", String::as_str)
    }
}

/// A choice in a picker: its value and what it shows.
struct Choice {
    value: String,
    label: String,
}

/// The item's part of the page (swapped whole by htmx after an act).
struct ItemView {
    /// The page's language: every label comes from its catalog.
    lang: Lang,
    /// The session's form token (each act's form carries it).
    csrf: String,
    id: String,
    number: String,
    title: String,
    /// Its status, in the page's language.
    status: &'static str,
    facts: Vec<Fact>,
    countdown: Option<Fact>,
    light: Option<Light>,
    card: Option<Light>,
    people: Vec<Fact>,
    content: String,
    confidential: Vec<(String, String)>,
    progress: u8,
    scheduled: Option<u8>,
    milestones: Vec<MilestoneView>,
    parent: Option<Linked>,
    subtasks: Vec<Linked>,
    attachments: Vec<FileView>,
    reports: Vec<ReportView>,
    pairs: Vec<PairView>,
    notes: Vec<NoteView>,
    score: Option<(String, Vec<(String, String)>)>,
    steps: Vec<Step>,
    verdict: Verdict,
    /// The requests waiting for this person's decision.
    decisions: Vec<Decision>,
    // The forms this person may use now, each with its command id.
    review: Option<String>,
    rate: Option<String>,
    instruct: Option<String>,
    comment: Option<String>,
    decide_registration: Option<String>,
    close: Option<String>,
    revoke: Option<String>,
    escalate: Option<String>,
    archive: Option<String>,
    receive: Option<String>,
    decline: Option<String>,
    decompose: Option<String>,
    share: Option<String>,
    unshare: Option<String>,
    report_progress: Option<String>,
    report_completion: Option<String>,
    request_extension: Option<String>,
    request_suspension: Option<String>,
    request_resumption: Option<String>,
    urge: Option<String>,
    follow: Option<String>,
    unfollow: Option<String>,
    /// The hotline work order's part of the page, for an order.
    order: Option<super::hotline::OrderView>,
    /// Its likely duplicates, while its acceptance is to be decided.
    duplicates: Vec<super::hotline::Duplicate>,
    accept_order: Option<String>,
    refuse_order: Option<String>,
    inform_caller: Option<String>,
    /// What the caller may be told about now (the notices owed).
    owed_choices: Vec<Choice>,
    /// How a caller may be told.
    methods: Vec<Choice>,
    /// The call-back's satisfaction answers.
    satisfactions: Vec<Choice>,
    return_order: Option<String>,
    request_commitment: Option<String>,
    decide_commitment: Option<String>,
    /// The committed-deadline request waiting for the office.
    commitment: Option<Request>,
    call_back: Option<String>,
    reopen_order: Option<String>,
    /// The typical mark's form: its command id and the mark it sets.
    mark_typical: Option<(String, bool)>,
    /// The dispatch page's link text, when the person may dispatch (or transfer) it now.
    dispatch: Option<String>,
    /// The office's reply template, when the completion report is the order's reply.
    reply_sections: Vec<String>,
    /// Whom a sub-item may be given to: units (`unit:<id>`) and people (`user:<id>`).
    handlers: Vec<Choice>,
    /// Whom the item may be shared with (the lead unit's people not handling it yet).
    share_people: Vec<Choice>,
    /// Who shares it now.
    sharers: Vec<Choice>,
    /// The milestones not met yet, which a progress report may say it meets.
    open_milestones: Vec<Choice>,
    /// The periodic requests asked of the item, with how each was answered.
    periods: Vec<PeriodView>,
    /// Whether the page links each period to its sheet of every unit's reports (the roles
    /// that read every unit's item).
    sheet_links: bool,
    /// The periodic requests a progress report may answer now (not answered, none waiting
    /// for approval), earliest first.
    open_requests: Vec<Choice>,
    /// The figures a report answering a request gives (the recurrence's labels).
    figures: Vec<String>,
    /// When the item was last urged, if within the policy's interval (a new urging asks to
    /// be confirmed).
    urged_lately: Option<String>,
    /// What an act just did, for the notice at the top.
    done: Option<String>,
    attempt: Attempt,
    blank: Attempt,
}

impl ItemView {
    /// The message `key` in the page's language.
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The message `key` with one argument.
    fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.t_args(key, &[(name, &value)])
    }

    /// The refusal shown at the form `key`, if that form just failed.
    fn err(&self, key: &str) -> Option<&Shown> {
        (self.attempt.key == key)
            .then_some(self.attempt.error.as_ref())
            .flatten()
    }

    /// What was typed in the form `key` (empty unless it just failed).
    fn kept(&self, key: &str) -> &Attempt {
        if self.attempt.key == key {
            &self.attempt
        } else {
            &self.blank
        }
    }

    /// The photo and file box of the report form `key`, with the files it carried if it
    /// just failed.
    fn up(&self, key: &str) -> UploadBox {
        let (files, _) = files_of(self.kept(key).evidence.iter().map(String::as_str));
        UploadBox::new("evidence", task_of(&self.id), &files)
    }

    /// The figure `label` as typed in the failed form `key` (empty otherwise).
    fn figure(&self, key: &str, label: &str) -> String {
        self.kept(key)
            .figures
            .get(label)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the request `value` is the one to preselect in the form `key`: as chosen in
    /// the failed form, else the earliest open one.
    fn answering(&self, key: &str, value: &str) -> bool {
        let kept = self.kept(key);
        if self.attempt.key == key {
            kept.answers == value
        } else {
            self.open_requests.first().is_some_and(|c| c.value == value)
        }
    }

    /// Whether `value` was chosen in the failed form `key` (a person to share with).
    fn chosen(&self, key: &str, value: &str) -> bool {
        self.kept(key).with.iter().any(|w| w == value)
    }

    /// Whether any form is shown.
    fn acts(&self) -> bool {
        [
            &self.review,
            &self.rate,
            &self.instruct,
            &self.comment,
            &self.decide_registration,
            &self.close,
            &self.revoke,
            &self.escalate,
            &self.archive,
            &self.receive,
            &self.decline,
            &self.decompose,
            &self.share,
            &self.unshare,
            &self.report_progress,
            &self.report_completion,
            &self.request_extension,
            &self.request_suspension,
            &self.request_resumption,
            &self.urge,
            &self.follow,
            &self.unfollow,
            &self.accept_order,
            &self.refuse_order,
            &self.inform_caller,
            &self.return_order,
            &self.request_commitment,
            &self.decide_commitment,
            &self.call_back,
            &self.reopen_order,
            &self.dispatch,
        ]
        .iter()
        .any(|f| f.is_some())
            || self.mark_typical.is_some()
            || !self.decisions.is_empty()
            || self.reports.iter().any(|r| r.decide.is_some())
    }
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    chrome: Chrome,
    v: ItemView,
}

#[derive(Template)]
#[template(path = "item_body.html")]
struct ItemFragment {
    v: ItemView,
}

// ----- reading the item ---------------------------------------------------------------------

fn name(org: &Org, id: UserId) -> String {
    if id == UserId::SYSTEM {
        return i18n::t("item-system");
    }
    org.people
        .get(&id)
        .map_or_else(|| i18n::t("item-unknown-person"), |p| p.name.clone())
}

fn unit_name(org: &Org, a: &Assignee) -> String {
    let unit = org
        .unit(a.unit)
        .map_or_else(|| i18n::t("item-unknown-unit"), |u| u.name.clone());
    match a.user {
        Some(u) => format!("{unit} · {}", name(org, u)),
        None => unit,
    }
}

/// A time as the organisation's calendar reads it.
fn local(cal: &Calendar, t: DateTime<Utc>) -> String {
    cal.to_local(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A deadline: the date for the end of a day (local midnight), else date and hour.
pub(super) fn due(cal: &Calendar, t: DateTime<Utc>) -> String {
    if cal.to_local(t).time() == NaiveTime::MIN {
        cal.due_date(t).to_string()
    } else {
        cal.to_local(t).format("%Y-%m-%d %H:%M").to_string()
    }
}

fn source_name(s: Source) -> &'static str {
    i18n::current().name(s)
}

fn visibility_name(v: Visibility) -> &'static str {
    i18n::current().name(v)
}

fn report_status(s: ReportStatus) -> &'static str {
    i18n::current().name(s)
}

fn light_of(s: &duban_core::domain::derived::Signal) -> Light {
    Light {
        colour: colour_class(Some(s.colour)),
        text: i18n::current().pick(&s.zh, &s.en).to_owned(),
    }
}

fn file_view(cal: &Calendar, f: &BlobRef, warnings: Vec<EvidenceWarning>) -> FileView {
    let image = f.mime.starts_with("image/");
    let (thumb, meta) = match f.photo.as_deref() {
        Some(p) => {
            let at = local(cal, p.captured_at.with_timezone(&Utc));
            let taken = i18n::t_args("item-file-taken", &[("at", &at)]);
            let meta = match &p.place {
                Some(place) => format!("{taken} · {place}"),
                None => taken,
            };
            (p.thumbnail.hash.clone(), meta)
        }
        None => (f.hash.clone(), String::new()),
    };
    FileView {
        hash: f.hash.clone(),
        thumb,
        name: f.name.clone(),
        image,
        meta,
        warnings,
    }
}

/// The countdown in working time, standing still while suspended.
fn countdown(s: &TaskState, now: DateTime<Utc>, cal: &Calendar) -> Option<Fact> {
    let left = working_time_left(s, now, cal)?;
    const DAY: i64 = 86_400;
    let secs = left.num_seconds();
    let value = if secs >= 0 {
        let days = (secs + DAY - 1) / DAY;
        i18n::t_args("item-countdown-left", &[("days", &days)])
    } else {
        let days = (-secs + DAY - 1) / DAY;
        i18n::t_args("item-countdown-overdue", &[("days", &days)])
    };
    let value = if s.status == Status::Suspended {
        i18n::t_args("item-countdown-suspended", &[("left", &value)])
    } else {
        value
    };
    Some(Fact::new("item-countdown", value))
}

/// Checks the trail's hash chain with the core's rule, and that it reaches the head the
/// server recorded for the item: a mark per step and a verdict for the whole.
fn check_trail(
    task: TaskId,
    rows: &[(i64, String, Event)],
    head: Option<(u64, String)>,
) -> (Vec<Option<TrailError>>, Verdict) {
    let mut entries = Vec::with_capacity(rows.len());
    let mut prev = Hash::GENESIS;
    for (seq, hash, event) in rows {
        // A stored hash that is not hex cannot match anything: it shows as altered.
        let hash = Hash::from_hex(hash).unwrap_or(Hash([0xff; 32]));
        entries.push(TrailEntry {
            task,
            seq: u64::try_from(*seq).unwrap_or_default(),
            prev,
            hash,
            event: event.clone(),
        });
        prev = hash;
    }
    let mut result = verify(task, &entries);
    if result.is_ok() {
        // The head was read before the trail: the trail reaches at least that far, and its
        // entry there carries the recorded hash.
        if let Some((version, head)) = head {
            let at = usize::try_from(version).unwrap_or(usize::MAX);
            let reached = version == 0
                || entries
                    .get(at.wrapping_sub(1))
                    .is_some_and(|e| e.hash.to_hex() == head);
            if !reached {
                result = Err(TrailError::Head { expected: version });
            }
        }
    }
    let marks = match &result {
        Ok(()) => vec![None; rows.len()],
        Err(e) => {
            let failed = match e {
                TrailError::WrongTask { seq }
                | TrailError::Sequence { seq }
                | TrailError::Link { seq }
                | TrailError::Altered { seq } => *seq,
                TrailError::Head { .. } => u64::MAX,
            };
            (1..=rows.len() as u64)
                .map(|seq| (seq >= failed).then(|| e.clone()))
                .collect()
        }
    };
    let verdict = match result {
        Ok(()) => Verdict {
            ok: true,
            code: "trail.verified".to_owned(),
            text: i18n::t_args("item-trail-verified", &[("n", &rows.len())]),
        },
        Err(e) => Verdict {
            ok: false,
            code: e.code().to_owned(),
            text: said(&e),
        },
    };
    (marks, verdict)
}

/// A trail error's sentence in the page's language (the core's reads `zh / en`).
fn said(e: &TrailError) -> String {
    let text = e.to_string();
    match text.split_once(" / ") {
        Some((zh, en)) => i18n::current().pick(zh, en).to_owned(),
        None => text,
    }
}

/// The item's part of the page for `session` at `now`, or `None` if they may not read it.
async fn view(
    state: &AppState,
    session: &Session,
    task: TaskId,
    now: DateTime<Utc>,
    attempt: Attempt,
    done: Option<String>,
) -> Result<Option<ItemView>, ApiError> {
    let org = session.org.clone();
    let cal = &org.calendar;
    let lang = i18n::current();
    // The head first: the trail read after it reaches at least as far.
    let head = trail::head(&state.db, task)
        .await?
        .map(|h| (u64::try_from(h.version).unwrap_or(0), h.head));
    let d = match read::item_detail(state, session, task, now)
        .await
        .map_err(ApiError::from)
    {
        Ok(d) => d,
        Err(e) if e.status == StatusCode::NOT_FOUND => return Ok(None),
        Err(e) => return Err(e),
    };
    let s = &d.state;
    let sum = &d.summary;

    let mut rows = Vec::with_capacity(d.trail.len());
    for t in &d.trail {
        let event: Event = serde_json::from_str(t.event.get()).map_err(ApiError::internal)?;
        rows.push((t.task_seq, t.hash.clone(), event));
    }
    let (marks, verdict) = check_trail(task, &rows, head);
    let events: Vec<&Event> = rows.iter().map(|(_, _, e)| e).collect();

    let ctx = Context {
        actor: &session.actor,
        now,
        calendar: cal,
        policy: &org.policy,
        units: &org.tree,
        parent: None,
    };
    // The forms shown: exactly the acts the core offers this person now (as the phones'
    // screens), each with a fresh command id.
    let offered = acts_on_offer(s, &ctx);
    let fresh = || uuid::Uuid::new_v4().to_string();
    let on = |k: CommandKind| offered.contains(&k).then(fresh);
    let may = |c: Command| decide(s, &c, &ctx).is_ok();
    let may_comment = offered.contains(&CommandKind::Comment);

    // The steps.
    let steps = rows
        .iter()
        .zip(marks)
        .map(|((seq, hash, e), mark)| {
            let words = describe(&e.kind, cal);
            Step {
                seq: *seq,
                at: local(cal, e.at),
                who: name(&org, e.actor),
                title: lang.pick(&words.title_zh, &words.title_en).to_owned(),
                detail: words.detail,
                hash: hash.clone(),
                ok: mark.is_none(),
                why: mark.as_ref().map(said).unwrap_or_default(),
            }
        })
        .collect();

    // The words behind the state: content, reports' texts, notes, requests' reasons.
    let mut content = String::new();
    let mut texts: HashMap<ReportId, String> = HashMap::new();
    let mut figures_of: HashMap<ReportId, BTreeMap<String, String>> = HashMap::new();
    let mut notes_raw: Vec<RawNote> = Vec::new();
    let (mut ext_reason, mut susp_reason, mut res_reason) =
        (String::new(), String::new(), String::new());
    let mut commit_reason = String::new();
    for e in &events {
        match &e.kind {
            EventKind::Registered(r) => content.clone_from(&r.content),
            EventKind::DraftAmended(p) => {
                if let Some(c) = &p.content {
                    content.clone_from(c);
                }
            }
            EventKind::ProgressReported { report, .. }
            | EventKind::CompletionReported { report, .. } => {
                texts.insert(report.id, report.text.clone());
                if !report.values.is_empty() {
                    figures_of.insert(report.id, report.values.clone());
                }
            }
            EventKind::Instructed { id, text } => {
                notes_raw.push((*id, true, None, e.actor, e.at, text.clone()));
            }
            EventKind::Commented { id, text, reply_to } => {
                notes_raw.push((*id, false, *reply_to, e.actor, e.at, text.clone()));
            }
            EventKind::ExtensionRequested { reason, .. } => ext_reason.clone_from(reason),
            EventKind::SuspensionRequested { reason } => susp_reason.clone_from(reason),
            EventKind::ResumptionRequested { reason } => res_reason.clone_from(reason),
            EventKind::CommitmentRequested { reason, .. } => commit_reason.clone_from(reason),
            _ => {}
        }
    }

    // Notes: each thread under its first note, in the order written.
    let parent_of: HashMap<NoteId, Option<NoteId>> = notes_raw.iter().map(|n| (n.0, n.2)).collect();
    let root_of = |mut id: NoteId| {
        for _ in 0..notes_raw.len() {
            match parent_of.get(&id).copied().flatten() {
                Some(p) if parent_of.contains_key(&p) => id = p,
                _ => break,
            }
        }
        id
    };
    let mut threads: Vec<(NoteId, Vec<NoteView>)> = Vec::new();
    for (id, instruction, reply_to, by, at, text) in &notes_raw {
        let root = root_of(*id);
        let note = NoteView {
            id: id.to_string(),
            instruction: *instruction,
            reply: reply_to.is_some() && root != *id,
            by: name(&org, *by),
            at: local(cal, *at),
            text: text.clone(),
            answer: may_comment.then(fresh),
        };
        match threads.iter_mut().find(|(r, _)| *r == root) {
            Some((_, list)) => list.push(note),
            None => threads.push((root, vec![note])),
        }
    }
    let notes = threads.into_iter().flat_map(|(_, n)| n).collect();

    // Files: the registration's attachments and each report's evidence, with warnings.
    let mut attachments = Vec::new();
    let mut by_report: BTreeMap<ReportId, Vec<FileView>> = BTreeMap::new();
    for c in &d.evidence {
        let f = file_view(cal, &c.file, c.warnings.clone());
        match c.report {
            Some(r) => by_report.entry(r).or_default().push(f),
            None => attachments.push(f),
        }
    }
    let pending_approval = offered.contains(&CommandKind::DecideReport);
    let labels: Vec<String> = s
        .recurrence
        .as_ref()
        .map(|r| r.fields.clone())
        .unwrap_or_default();
    let period_name = |index: u32| {
        let start = period_start(s, index, cal);
        let period = s.recurrence.as_ref().map(|r| r.period);
        match (start, period) {
            (Some(start), Some(p)) => lang.t_args(
                match p {
                    Period::Weekly => "sheet-period-weekly",
                    Period::Monthly => "sheet-period-monthly",
                    Period::Quarterly => "sheet-period-quarterly",
                },
                &[("n", &index), ("start", &start.to_string())],
            ),
            _ => lang.t_args("sheet-period-n", &[("n", &index)]),
        }
    };
    let reports = s
        .reports
        .iter()
        .map(|r| ReportView {
            id: r.id.to_string(),
            kind: lang.name(r.kind),
            by: name(&org, r.by),
            at: local(cal, r.at),
            text: texts.get(&r.id).cloned().unwrap_or_default(),
            percent: r.percent,
            status: report_status(r.status),
            answers: r.answers.map(period_name),
            figures: {
                let given = figures_of.remove(&r.id).unwrap_or_default();
                // The recurrence's order first, then any other (from an earlier recurrence).
                let mut out: Vec<(String, String)> = labels
                    .iter()
                    .filter_map(|l| given.get(l).map(|v| (l.clone(), v.clone())))
                    .collect();
                out.extend(
                    given
                        .iter()
                        .filter(|(l, _)| !labels.contains(l))
                        .map(|(l, v)| (l.clone(), v.clone())),
                );
                out
            },
            files: by_report.remove(&r.id).unwrap_or_default(),
            decide: (pending_approval
                && r.status == ReportStatus::PendingApproval
                && may(Command::DecideReport {
                    report: r.id,
                    approve: true,
                    opinion: String::new(),
                }))
            .then(fresh),
        })
        .collect();
    let pairs = d
        .photo_pairs
        .iter()
        .map(|p| PairView {
            before: file_view(cal, &p.before, Vec::new()),
            after: p
                .after
                .iter()
                .map(|a| file_view(cal, a, Vec::new()))
                .collect(),
        })
        .collect();

    // Linked items the person may read.
    let linked = |i: &read::ItemSummary| Linked {
        id: i.id.to_string(),
        number: i.number.clone(),
        title: i.title.clone(),
        status: lang.name(i.status),
        colour: colour_class(i.light.as_ref().map(|l| l.colour)),
        progress: i.progress,
    };
    let parent = match s.parent {
        Some(p) => read::item_summary(state, session, p, now)
            .await?
            .map(|i| linked(&i)),
        None => None,
    };
    let mut subtasks = Vec::new();
    for c in &s.subtasks {
        if let Some(i) = read::item_summary(state, session, *c, now).await? {
            subtasks.push(linked(&i));
        }
    }

    let category = match (&sum.category_zh, &sum.category_en) {
        (Some(zh), Some(en)) if !en.is_empty() => lang.pick(zh, en).to_owned(),
        (Some(zh), _) => zh.clone(),
        (None, _) => sum.category.clone(),
    };
    let facts = vec![
        Fact::new("item-category", category),
        Fact::new("item-urgency", lang.name(sum.urgency).to_owned()),
        Fact::new("item-status", lang.name(sum.status).to_owned()),
        Fact::new("item-source", source_name(s.source).to_owned()),
        Fact::new("item-visibility", visibility_name(s.visibility).to_owned()),
        Fact::new(
            "item-deadline",
            sum.deadline.map(|t| due(cal, t)).unwrap_or_default(),
        ),
        Fact::new(
            "item-effective-deadline",
            sum.effective_deadline
                .map(|t| due(cal, t))
                .unwrap_or_default(),
        ),
        Fact::new("item-registered", local(cal, sum.created_at)),
    ];
    let who = |id: Option<UserId>| id.map(|u| name(&org, u)).unwrap_or_default();
    let mut people = vec![
        Fact::new(
            "item-lead",
            s.lead
                .as_ref()
                .map(|a| unit_name(&org, a))
                .unwrap_or_default(),
        ),
        Fact::new(
            "item-participants",
            s.participants
                .iter()
                .map(|a| unit_name(&org, a))
                .collect::<Vec<_>>()
                .join(&lang.t("item-list-separator")),
        ),
        Fact::new("item-instructing-leader", who(s.instructing_leader)),
        Fact::new("item-responsible-leader", who(s.responsible_leader)),
        Fact::new("item-deputy-leader", who(s.deputy_leader)),
        Fact::new("item-reviewer", who(s.effective_reviewer())),
    ];
    people.retain(|f| !f.value.is_empty());

    let milestones = s
        .milestones
        .iter()
        .map(|m| MilestoneView {
            title: m.spec.title.clone(),
            due: due(cal, m.spec.due),
            planned: m.spec.planned_percent,
            met: m
                .met
                .map(|(at, _)| i18n::t_args("item-milestone-met", &[("at", &local(cal, at))]))
                .unwrap_or_else(|| i18n::t("item-milestone-not-met")),
        })
        .collect();

    let request = |by: UserId, at: DateTime<Utc>, what: String, reason: &str| Request {
        by: name(&org, by),
        at: local(cal, at),
        what,
        reason: reason.to_owned(),
    };
    let extension = s.pending_extension().map(|x| {
        request(
            x.by.unwrap_or(UserId::SYSTEM),
            x.at,
            i18n::t_args(
                "item-extension-request",
                &[("nth", &x.nth), ("until", &due(cal, x.until))],
            ),
            &ext_reason,
        )
    });
    let suspension = s
        .suspension_request
        .as_ref()
        .map(|r| request(r.by, r.at, i18n::t("item-suspension-request"), &susp_reason));
    let resumption = s
        .resumption_request
        .as_ref()
        .map(|r| request(r.by, r.at, i18n::t("item-resumption-request"), &res_reason));

    let decisions = [
        (
            "decide_extension",
            "item-decide-extension",
            CommandKind::DecideExtension,
            extension,
        ),
        (
            "decide_suspension",
            "item-decide-suspension",
            CommandKind::DecideSuspension,
            suspension,
        ),
        (
            "decide_resumption",
            "item-decide-resumption",
            CommandKind::DecideResumption,
            resumption,
        ),
    ]
    .into_iter()
    .filter_map(|(act, key, k, request)| {
        Some(Decision {
            act,
            heading: lang.t(key),
            request: request?,
            command: on(k)?,
        })
    })
    .collect();

    // The pickers of the unit's acts.
    let person_label = |p: &duban_core::protocol::Person| {
        let unit = p
            .unit
            .and_then(|u| org.unit(u))
            .map(|u| u.name.clone())
            .unwrap_or_default();
        format!("{} · {unit}", p.name)
    };
    let mut handlers = Vec::new();
    if offered.contains(&CommandKind::Decompose) {
        for u in org.units.iter().filter(|u| !u.retired) {
            if !may_assign(&session.actor, &org.tree, Some(s), u.id) {
                continue;
            }
            handlers.push(Choice {
                value: format!("unit:{}", u.id),
                label: lang.t_args("item-handler-unit", &[("name", &u.name)]),
            });
            let mut people: Vec<_> = org
                .people
                .values()
                .filter(|p| p.active && p.unit == Some(u.id) && p.id != UserId::SYSTEM)
                .collect();
            people.sort_by(|a, b| a.username.cmp(&b.username));
            handlers.extend(people.into_iter().map(|p| Choice {
                value: format!("user:{}", p.id),
                label: lang.t_args("item-handler-person", &[("name", &person_label(p))]),
            }));
        }
    }
    let lead_user = s.lead.and_then(|l| l.user);
    let mut share_people: Vec<Choice> = Vec::new();
    if let (true, Some(lead)) = (offered.contains(&CommandKind::Share), s.lead) {
        let mut people: Vec<_> = org
            .people
            .values()
            .filter(|p| {
                p.active
                    && p.unit.is_some_and(|u| org.tree.is_within(u, lead.unit))
                    && !s.sharers.contains(&p.id)
                    && Some(p.id) != lead_user
            })
            .collect();
        people.sort_by(|a, b| a.username.cmp(&b.username));
        share_people = people
            .into_iter()
            .map(|p| Choice {
                value: p.id.to_string(),
                label: person_label(p),
            })
            .collect();
    }
    let sharers = s
        .sharers
        .iter()
        .map(|u| Choice {
            value: u.to_string(),
            label: name(&org, *u),
        })
        .collect();
    let open_milestones = s
        .milestones
        .iter()
        .filter(|m| m.met.is_none())
        .map(|m| Choice {
            value: m.spec.id.to_string(),
            label: format!("{}({})", m.spec.title, due(cal, m.spec.due)),
        })
        .collect();
    let urged_lately = urged_lately(s, now, &org.policy).map(|t| local(cal, t));

    // The periodic requests: how each was answered, and those a report may answer now.
    let late_days = org.policy.scoring.late_days;
    let mut requests: Vec<_> = s.report_requests.iter().collect();
    requests.sort_by_key(|r| r.index);
    let periods = requests
        .iter()
        .map(|r| {
            let judged = period_report(s, r.index, now, cal, late_days);
            PeriodView {
                index: r.index,
                label: period_name(r.index),
                due: due(cal, r.due),
                status: super::reports::status_of(
                    judged.timeliness,
                    judged.awaiting_approval,
                    late_days,
                    lang,
                ),
            }
        })
        .collect();
    let open_requests = if offered.contains(&CommandKind::ReportProgress) {
        requests
            .iter()
            .filter(|r| {
                period_report(s, r.index, now, cal, late_days)
                    .report
                    .is_none()
            })
            .map(|r| Choice {
                value: r.index.to_string(),
                label: lang.t_args(
                    "sheet-request-choice",
                    &[("period", &period_name(r.index)), ("due", &due(cal, r.due))],
                ),
            })
            .collect()
    } else {
        Vec::new()
    };
    let sheet_links = reads_every_item(session.actor.roles);

    let score = d.score.as_ref().map(|sc| {
        (
            sc.total.to_string(),
            sc.lines
                .iter()
                .map(|l| (lang.pick(&l.zh, &l.en).to_owned(), l.points.to_string()))
                .collect(),
        )
    });

    // A hotline work order's part and its acts (offered by the core as every act).
    let order = super::hotline::order_view(s, &org, now, &|u| name(&org, u));
    let o = s.order.as_ref();
    let accept_order = on(CommandKind::AcceptOrder);
    let refuse_order = on(CommandKind::RefuseOrder);
    let owed_choices: Vec<Choice> = o
        .map(|o| {
            o.owed
                .iter()
                .filter(|about| {
                    may(Command::InformCaller {
                        about: **about,
                        method: ContactMethod::Phone,
                        told_at: now,
                        note: String::new(),
                    })
                })
                .map(|about| Choice {
                    value: about.code().to_owned(),
                    label: lang.name(*about).to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let inform_caller = on(CommandKind::InformCaller).filter(|_| !owed_choices.is_empty());
    let return_order = on(CommandKind::ReturnOrder);
    let request_commitment = on(CommandKind::RequestCommitment);
    let decide_commitment = on(CommandKind::DecideCommitment);
    let commitment = o.and_then(|o| o.pending_commitment()).map(|c| {
        request(
            c.mark.by,
            c.mark.at,
            i18n::t_args(
                "hotline-commitment-request",
                &[("until", &due(cal, c.until))],
            ),
            &commit_reason,
        )
    });
    let call_back = on(CommandKind::CallBack);
    let reopen_order = on(CommandKind::ReopenOrder);
    let typical_now = o.is_some_and(|o| o.typical.is_some());
    let mark_typical = on(CommandKind::MarkTypical).map(|c| (c, !typical_now));
    // Dispatch (or, after a return, transfer) on the dispatch page, when the rules would
    // take a dispatch from this person now.
    let dispatch = if o.is_some()
        && super::office(session)
        && matches!(s.status, Status::Draft | Status::Declined)
    {
        s.lead
            .map(|l| l.unit)
            .into_iter()
            .chain(
                org.units
                    .iter()
                    .filter(|u| !u.retired && u.parent.is_some())
                    .map(|u| u.id),
            )
            .find(|u| may_assign(&session.actor, &org.tree, None, *u))
            .filter(|u| {
                may(Command::Dispatch(Box::new(DispatchOrder {
                    lead: Assignee {
                        unit: *u,
                        user: None,
                    },
                    participants: Vec::new(),
                    responsible_leader: None,
                    deputy_leader: None,
                    reviewer: None,
                    report_approver: None,
                    deadline: None,
                    report_every: None,
                })))
            })
            .map(|_| {
                lang.t(if s.status == Status::Declined {
                    "hotline-transfer"
                } else {
                    "hotline-dispatch"
                })
            })
    } else {
        None
    };
    let report_completion = on(CommandKind::ReportCompletion);
    let reply_sections = if o.is_some() && report_completion.is_some() {
        org.policy.hotline.reply_sections.clone()
    } else {
        Vec::new()
    };
    let duplicates = if accept_order.is_some() || refuse_order.is_some() {
        super::hotline::duplicates(
            state,
            session,
            task,
            s,
            &content,
            d.confidential.as_ref(),
            now,
        )
        .await?
    } else {
        Vec::new()
    };
    let choices = |all: Vec<(&'static str, &'static str)>| {
        all.into_iter()
            .map(|(value, label)| Choice {
                value: value.to_owned(),
                label: label.to_owned(),
            })
            .collect::<Vec<_>>()
    };
    let methods = choices(
        ContactMethod::ALL
            .iter()
            .map(|m| (m.code(), lang.name(*m)))
            .collect(),
    );
    let satisfactions = choices(
        Satisfaction::ALL
            .iter()
            .map(|m| (m.code(), lang.name(*m)))
            .collect(),
    );

    Ok(Some(ItemView {
        lang,
        csrf: super::guard::form_token(session),
        id: task.to_string(),
        number: sum.number.clone(),
        title: sum.title.clone(),
        status: lang.name(sum.status),
        facts,
        countdown: countdown(s, now, cal),
        light: sum.light.as_ref().map(light_of),
        card: d.quality_card.as_ref().map(light_of),
        people,
        content,
        confidential: {
            // Each attribute under its label in the page's language (the key if none).
            let def = org.policy.category(&sum.category);
            let en = crate::i18n::current() == crate::i18n::Lang::En;
            d.confidential
                .clone()
                .map(|m| {
                    m.into_iter()
                        .map(|(k, v)| (def.map_or(k.clone(), |c| c.label(&k, en).to_owned()), v))
                        .collect()
                })
                .unwrap_or_default()
        },
        progress: sum.progress,
        scheduled: sum.scheduled_progress,
        milestones,
        parent,
        subtasks,
        attachments,
        reports,
        pairs,
        notes,
        score,
        steps,
        verdict,
        decisions,
        review: on(CommandKind::Review),
        rate: on(CommandKind::Rate),
        instruct: on(CommandKind::Instruct),
        comment: on(CommandKind::Comment),
        decide_registration: on(CommandKind::DecideRegistration),
        close: on(CommandKind::Close),
        revoke: on(CommandKind::Revoke),
        escalate: on(CommandKind::Escalate),
        archive: on(CommandKind::Archive),
        receive: on(CommandKind::Receive),
        decline: on(CommandKind::Decline),
        decompose: on(CommandKind::Decompose),
        share: on(CommandKind::Share),
        unshare: on(CommandKind::Unshare),
        report_progress: on(CommandKind::ReportProgress),
        report_completion,
        request_extension: on(CommandKind::RequestExtension),
        request_suspension: on(CommandKind::RequestSuspension),
        request_resumption: on(CommandKind::RequestResumption),
        urge: on(CommandKind::Urge),
        follow: on(CommandKind::Follow),
        unfollow: on(CommandKind::Unfollow),
        order,
        duplicates,
        accept_order,
        refuse_order,
        inform_caller,
        owed_choices,
        methods,
        satisfactions,
        return_order,
        request_commitment,
        decide_commitment,
        commitment,
        call_back,
        reopen_order,
        mark_typical,
        dispatch,
        reply_sections,
        handlers,
        share_people,
        sharers,
        open_milestones,
        periods,
        sheet_links,
        open_requests,
        figures: labels,
        urged_lately,
        done,
        attempt,
        blank: Attempt::default(),
    }))
}

/// A note as the trail records it: id, whether an instruction, what it answers, who, when,
/// the text.
type RawNote = (NoteId, bool, Option<NoteId>, UserId, DateTime<Utc>, String);

fn not_found() -> Response {
    ApiError::not_found("事项", "item").into_response()
}

fn task_of(id: &str) -> Option<TaskId> {
    uuid::Uuid::parse_str(id.trim()).ok().map(TaskId)
}

/// `GET /items/{id}`: the item page.
async fn item_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let Some(task) = task_of(&id) else {
        return not_found();
    };
    let now = state.clock.now();
    match view(&state, &session, task, now, Attempt::default(), None).await {
        Ok(Some(v)) => full(&session, v, now, StatusCode::OK),
        Ok(None) => not_found(),
        Err(e) => e.into_response(),
    }
}

fn full(session: &Session, v: ItemView, now: DateTime<Utc>, status: StatusCode) -> Response {
    let chrome = Chrome::new(Some(session), &session.org.calendar, "", now);
    page(status, &ItemPage { chrome, v })
}

// ----- acting -------------------------------------------------------------------------------

/// At most this many fields in one act's form (a share picks people, a report cites files).
const MAX_FIELDS: usize = 300;
/// At most this many files cited by one report's form.
pub(crate) const MAX_EVIDENCE: usize = 50;
/// At most this many bytes of one cited file's reference (its JSON, with a photo's metadata).
pub(crate) const MAX_EVIDENCE_JSON: usize = 16 * 1024;

/// Any act's form: which act, its command id, and the fields the act reads.
#[derive(Default)]
struct ActForm {
    /// The command's id, made when the page was rendered.
    command: String,
    /// The act: the core's command kind in snake case (`review`, `receive`, `decompose`,
    /// `report_progress`, `urge` …, see [`ActForm::command`]).
    act: String,
    /// `approve` or `return` (the button pressed), for the decisions.
    decision: String,
    /// The opinion of a decision or the words of a rating.
    opinion: String,
    /// An instruction's, comment's or report's text.
    text: String,
    /// A rating's stars, 1–5.
    stars: String,
    /// A return's new due date (local, `YYYY-MM-DD`).
    new_deadline: String,
    /// The note a reply answers.
    reply_to: String,
    /// The report decided.
    report: String,
    /// The reason of a decline, a request or a revocation.
    reason: String,
    /// A sub-item's title, content, handler (`unit:<id>` or `user:<id>`) and local due date.
    title: String,
    content: String,
    handler: String,
    deadline: String,
    /// A progress report's percent and the milestone it says is met.
    percent: String,
    milestone: String,
    /// An extension's new local due date.
    until: String,
    /// An urging's note, channel (`message` or `phone`), the call's local time
    /// (`YYYY-MM-DDTHH:MM`) and who answered; `confirm=1` urges again within the interval.
    note: String,
    channel: String,
    call_at: String,
    answered_by: String,
    confirm: bool,
    /// The people shared with or unshared.
    with: Vec<String>,
    /// The files a report cites, each a `BlobRef`'s JSON.
    evidence: Vec<String>,
    /// The periodic request a progress report answers (its index; empty for none).
    answers: String,
    /// A progress report's figures, each a field `figure:<label>`.
    figures: BTreeMap<String, String>,
    /// A work order's fields ([`ORDER_FIELDS`]).
    extra: BTreeMap<String, String>,
    /// An order's reply, one text per section of the office's template, in order.
    sections: Vec<String>,
}

/// The fields of a work order's acts: why it is not accepted (`reason_code`: `outside_remit`,
/// `legal_channel`, `already_accepted`, `contested_reply`) with where to go, which channel,
/// the earlier order (`of`: its id or page address) and how to follow it; what the caller was
/// told about, how and when (local `YYYY-MM-DDTHH:MM`); a call-back's answers (`told`,
/// `factual`, `misconduct`: `yes` or `no`; `satisfaction`); the typical mark (`1` or `0`).
const ORDER_FIELDS: [&str; 13] = [
    "reason_code",
    "refer_to",
    "legal_channel",
    "of",
    "follow_up",
    "about",
    "method",
    "told_at",
    "told",
    "factual",
    "misconduct",
    "satisfaction",
    "typical",
];

impl ActForm {
    /// The form from its fields (the field `with` and `evidence` may repeat; others count
    /// once, the last one standing). Too many fields, too many files or a file's reference
    /// too long: refused before anything is read.
    fn parse(fields: Vec<(String, String)>) -> Result<ActForm, ApiError> {
        let too_many = || {
            ApiError::unprocessable(
                "input.too_many_fields",
                "表单字段过多或附件过多",
                "the form has too many fields or files",
            )
        };
        if fields.len() > MAX_FIELDS {
            return Err(too_many());
        }
        let mut f = ActForm::default();
        for (k, v) in fields {
            let slot = match k.as_str() {
                "command" => &mut f.command,
                "act" => &mut f.act,
                "decision" => &mut f.decision,
                "opinion" => &mut f.opinion,
                "text" => &mut f.text,
                "stars" => &mut f.stars,
                "new_deadline" => &mut f.new_deadline,
                "reply_to" => &mut f.reply_to,
                "report" => &mut f.report,
                "reason" => &mut f.reason,
                "title" => &mut f.title,
                "content" => &mut f.content,
                "handler" => &mut f.handler,
                "deadline" => &mut f.deadline,
                "percent" => &mut f.percent,
                "milestone" => &mut f.milestone,
                "until" => &mut f.until,
                "note" => &mut f.note,
                "channel" => &mut f.channel,
                "call_at" => &mut f.call_at,
                "answered_by" => &mut f.answered_by,
                "answers" => &mut f.answers,
                "confirm" => {
                    f.confirm = v == "1";
                    continue;
                }
                "section" => {
                    f.sections.push(v);
                    continue;
                }
                other if ORDER_FIELDS.contains(&other) => {
                    f.extra.insert(other.to_owned(), v);
                    continue;
                }
                "with" => {
                    f.with.push(v);
                    continue;
                }
                "evidence" => {
                    if f.evidence.len() >= MAX_EVIDENCE || v.len() > MAX_EVIDENCE_JSON {
                        return Err(too_many());
                    }
                    // An empty field is an upload component with nothing in it yet.
                    if !v.trim().is_empty() {
                        f.evidence.push(v);
                    }
                    continue;
                }
                other => {
                    if let Some(label) = other.strip_prefix("figure:") {
                        f.figures.insert(label.to_owned(), v);
                    }
                    continue;
                }
            };
            *slot = v;
        }
        Ok(f)
    }

    /// Which form on the page it came from (a reply's and a report's carry their target).
    fn key(&self) -> String {
        match self.act.as_str() {
            "comment" if !self.reply_to.trim().is_empty() => {
                format!("reply-{}", self.reply_to.trim())
            }
            "decide_report" => format!("report-{}", self.report.trim()),
            // A refusal as a duplicate of a candidate is that candidate's form.
            "refuse_order"
                if self.x("reason_code") == "already_accepted" && !self.x("of").is_empty() =>
            {
                format!("dup-{}", self.x("of").trim())
            }
            other => other.to_owned(),
        }
    }

    fn attempt(&self, error: Option<Shown>) -> Attempt {
        Attempt {
            key: self.key(),
            error,
            opinion: self.opinion.clone(),
            text: self.text.clone(),
            stars: self.stars.clone(),
            new_deadline: self.new_deadline.clone(),
            reason: self.reason.clone(),
            title: self.title.clone(),
            content: self.content.clone(),
            handler: self.handler.clone(),
            deadline: self.deadline.clone(),
            percent: self.percent.clone(),
            milestone: self.milestone.clone(),
            until: self.until.clone(),
            note: self.note.clone(),
            channel: self.channel.clone(),
            call_at: self.call_at.clone(),
            answered_by: self.answered_by.clone(),
            with: self.with.clone(),
            evidence: self.evidence.clone(),
            answers: self.answers.clone(),
            figures: self.figures.clone(),
            confirm: None,
            extra: self.extra.clone(),
            sections: self.sections.clone(),
        }
    }

    /// The work-order field `name` as sent (empty if not).
    fn x(&self, name: &str) -> &str {
        self.extra.get(name).map_or("", String::as_str)
    }

    /// The core command the form asks for. What the act creates is named by the command's
    /// id (a note, a report, a sub-item), so a resent form names the same thing.
    fn command(&self, id: uuid::Uuid, org: &Org, now: DateTime<Utc>) -> Result<Command, Shown> {
        let cal = &org.calendar;
        let bad = |code: &str, zh: &str, en: &str| Shown {
            code: code.to_owned(),
            zh: zh.to_owned(),
            en: en.to_owned(),
        };
        let approve = || match self.decision.as_str() {
            "approve" => Ok(true),
            "return" => Ok(false),
            _ => Err(bad(
                "input.decision",
                "请选择同意或退回",
                "choose to approve or to return",
            )),
        };
        // A local date, as the end of that day.
        let date = |d: &str| match d.trim() {
            "" => Ok(None),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(|d| Some(cal.end_of_day(d)))
                .map_err(|_| {
                    bad(
                        "input.deadline",
                        "日期应为年-月-日",
                        "a date reads YYYY-MM-DD",
                    )
                }),
        };
        let people = || {
            self.with
                .iter()
                .map(|w| uuid::Uuid::parse_str(w.trim()).map(UserId))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| bad("input.share", "人员编号无效", "not a person's id"))
        };
        let evidence = || {
            self.evidence
                .iter()
                // Read as strictly as the API reads a body: no key twice, not too deep.
                .map(|e| match crate::json::check(e.as_bytes()) {
                    Ok(()) => serde_json::from_str::<BlobRef>(e).map_err(|_| ()),
                    Err(_) => Err(()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    bad(
                        "input.evidence",
                        "附件信息无效,请重新上传",
                        "a file's reference is not valid; upload it again",
                    )
                })
        };
        let report = |text: &str| -> Result<ReportBody, Shown> {
            Ok(ReportBody {
                id: ReportId(id),
                text: text.to_owned(),
                evidence: evidence()?,
                values: Default::default(),
            })
        };
        // The figures typed (blank ones left out: the core says which are missing).
        let figures = || {
            self.figures
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.clone(), v.trim().to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        let opinion = self.opinion.trim().to_owned();
        let text = self.text.trim().to_owned();
        let reason = self.reason.trim().to_owned();
        Ok(match self.act.as_str() {
            "review" => Command::Review {
                accept: approve()?,
                opinion,
                new_deadline: date(&self.new_deadline)?,
            },
            "rate" => Command::Rate {
                // Not a number is no star: the core's rule says how many may be given.
                stars: self.stars.trim().parse().unwrap_or(0),
                opinion,
            },
            "instruct" => Command::Instruct {
                id: NoteId(id),
                text,
            },
            "comment" => Command::Comment {
                id: NoteId(id),
                text,
                reply_to: match self.reply_to.trim() {
                    "" => None,
                    r => Some(NoteId(uuid::Uuid::parse_str(r).map_err(|_| {
                        bad("input.note", "评论编号无效", "not a comment id")
                    })?)),
                },
            },
            "decide_extension" => Command::DecideExtension {
                approve: approve()?,
                opinion,
            },
            "decide_suspension" => Command::DecideSuspension {
                approve: approve()?,
                opinion,
            },
            "decide_resumption" => Command::DecideResumption {
                approve: approve()?,
                opinion,
            },
            "decide_registration" => Command::DecideRegistration {
                approve: approve()?,
                opinion,
            },
            "decide_report" => Command::DecideReport {
                report: ReportId(
                    uuid::Uuid::parse_str(self.report.trim())
                        .map_err(|_| bad("input.report", "汇报编号无效", "not a report id"))?,
                ),
                approve: approve()?,
                opinion,
            },
            "close" => Command::Close,
            // Older pages sent the reason as `opinion`.
            "revoke" => Command::Revoke {
                reason: if reason.is_empty() { opinion } else { reason },
            },
            "escalate" => Command::Escalate { reason },
            "archive" => Command::Archive,
            "receive" => Command::Receive,
            "decline" => Command::Decline { reason },
            "decompose" => {
                let lead = match self.handler.trim().split_once(':') {
                    Some(("unit", u)) => uuid::Uuid::parse_str(u).ok().map(|u| Assignee {
                        unit: UnitId(u),
                        user: None,
                    }),
                    Some(("user", p)) => uuid::Uuid::parse_str(p)
                        .ok()
                        .and_then(|p| org.people.get(&UserId(p)))
                        .and_then(|p| {
                            p.unit.map(|unit| Assignee {
                                unit,
                                user: Some(p.id),
                            })
                        }),
                    _ => None,
                }
                .ok_or_else(|| {
                    bad(
                        "input.handler",
                        "请选择子事项的承办单位或人员",
                        "choose the unit or person to handle the sub-item",
                    )
                })?;
                Command::Decompose(Box::new(SubtaskSpec {
                    child: TaskId(id),
                    // The server gives the number, as for a phone's decomposition.
                    number: TaskNumber {
                        prefix: String::new(),
                        year: cal.to_local(now).date().year(),
                        seq: 1,
                    },
                    title: self.title.trim().to_owned(),
                    content: self.content.trim().to_owned(),
                    lead,
                    deadline: date(&self.deadline)?,
                }))
            }
            "share" => Command::Share { with: people()? },
            "unshare" => Command::Unshare { with: people()? },
            "report_progress" => Command::ReportProgress {
                report: ReportBody {
                    values: figures(),
                    ..report(&text)?
                },
                percent: self.percent.trim().parse().map_err(|_| {
                    bad(
                        "input.percent",
                        "进度应为0到100之间的整数",
                        "progress is a whole number from 0 to 100",
                    )
                })?,
                milestone: match self.milestone.trim() {
                    "" => None,
                    m => Some(m.parse().map_err(|_| {
                        bad("input.unknown_milestone", "节点不存在", "no such milestone")
                    })?),
                },
                answers: match self.answers.trim() {
                    "" => None,
                    a => Some(a.parse().map_err(|_| {
                        bad(
                            "input.unknown_request",
                            "汇报要求不存在",
                            "no such report request",
                        )
                    })?),
                },
            },
            "report_completion" if !self.sections.is_empty() => Command::ReportCompletion {
                report: report(&compose_reply(
                    &org.policy.hotline.reply_sections,
                    &self.sections,
                ))?,
            },
            "report_completion" => Command::ReportCompletion {
                report: report(&text)?,
            },
            "accept_order" => Command::AcceptOrder {
                note: self.note.trim().to_owned(),
            },
            "refuse_order" => Command::RefuseOrder {
                reason: self.non_acceptance()?,
                note: self.note.trim().to_owned(),
            },
            "inform_caller" => Command::InformCaller {
                about: NoticeAbout::from_text(self.x("about")).ok_or_else(|| {
                    bad(
                        "input.notice_about",
                        "请选择告知事项",
                        "choose what the caller was told about",
                    )
                })?,
                method: ContactMethod::from_text(self.x("method")).ok_or_else(|| {
                    bad(
                        "input.contact_method",
                        "请选择告知方式",
                        "choose how the caller was told",
                    )
                })?,
                // The form gives minutes: a time is read as the end of its minute (not past
                // now), so a caller told in the minute of the decision, seconds after it,
                // is not refused as told before it.
                told_at: local_minute(cal, self.x("told_at"))
                    .map(|t| {
                        if t <= now {
                            (t + chrono::Duration::seconds(59)).min(now)
                        } else {
                            t
                        }
                    })
                    .ok_or_else(|| {
                        bad(
                            "input.told_at",
                            "告知时间应为年-月-日 时:分",
                            "the time the caller was told reads YYYY-MM-DD HH:MM",
                        )
                    })?,
                note: self.note.trim().to_owned(),
            },
            "return_order" => Command::ReturnOrder { reason },
            "request_commitment" => Command::RequestCommitment {
                until: date(&self.until)?.ok_or_else(|| {
                    bad(
                        "input.deadline",
                        "请填写承诺办结的日期",
                        "give the date the unit commits to",
                    )
                })?,
                reason,
            },
            "decide_commitment" => Command::DecideCommitment {
                approve: approve()?,
                opinion,
            },
            "call_back" => {
                let yes = |field: &str| match self.x(field) {
                    "yes" => Ok(true),
                    "no" => Ok(false),
                    _ => Err(bad(
                        "input.callback_answer",
                        "请回答回访的每个问题",
                        "answer each question of the call-back",
                    )),
                };
                Command::CallBack {
                    answers: CallbackAnswers {
                        told_result_and_basis: yes("told")?,
                        factual: yes("factual")?,
                        misconduct: yes("misconduct")?,
                        satisfaction: Satisfaction::from_text(self.x("satisfaction")).ok_or_else(
                            || {
                                bad(
                                    "input.satisfaction",
                                    "请选择来电人的满意度",
                                    "choose the caller's satisfaction",
                                )
                            },
                        )?,
                    },
                    note: self.note.trim().to_owned(),
                }
            }
            "reopen_order" => Command::ReopenOrder { reason },
            "mark_typical" => Command::MarkTypical {
                typical: self.x("typical") != "0",
            },
            "request_extension" => Command::RequestExtension {
                until: date(&self.until)?.ok_or_else(|| {
                    bad(
                        "input.deadline",
                        "请填写延至的日期",
                        "give the date to extend to",
                    )
                })?,
                reason,
            },
            "request_suspension" => Command::RequestSuspension { reason },
            "request_resumption" => Command::RequestResumption { reason },
            "follow" => Command::Follow,
            "unfollow" => Command::Unfollow,
            "urge" => urge_command(
                cal,
                &self.channel,
                &self.note,
                &self.call_at,
                &self.answered_by,
            )?,
            _ => return Err(bad("input.act", "不认识的操作", "not an act of this page")),
        })
    }
}

impl ActForm {
    /// Why an order is not accepted, as the form gives it.
    fn non_acceptance(&self) -> Result<NonAcceptance, Shown> {
        let bad = |code: &str, zh: &str, en: &str| Shown {
            code: code.to_owned(),
            zh: zh.to_owned(),
            en: en.to_owned(),
        };
        let text = |f: &str| self.x(f).trim().to_owned();
        Ok(match self.x("reason_code") {
            "outside_remit" => NonAcceptance::OutsideRemit {
                refer_to: text("refer_to"),
            },
            "legal_channel" => NonAcceptance::LegalChannel {
                channel: text("legal_channel"),
            },
            "already_accepted" => {
                // The earlier order's id, or the address of its page.
                let of = text("of");
                let id = of.rsplit('/').next().unwrap_or_default();
                let of = uuid::Uuid::parse_str(id.trim()).map(TaskId).map_err(|_| {
                    bad(
                        "input.earlier_order",
                        "请填写已受理工单的链接或编号",
                        "give the link to the order accepted before",
                    )
                })?;
                NonAcceptance::AlreadyAccepted {
                    of,
                    follow_up: text("follow_up"),
                }
            }
            "contested_reply" => NonAcceptance::ContestedReply,
            _ => {
                return Err(bad(
                    "input.non_acceptance",
                    "请选择不予受理的理由",
                    "choose why the order is not accepted",
                ))
            }
        })
    }
}

/// A local date and time to the minute (`YYYY-MM-DDTHH:MM`, as a `datetime-local` field
/// sends it), in UTC.
fn local_minute(cal: &Calendar, text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M"))
        .ok()
        .map(|t| cal.from_local(t))
}

/// An urging as a form gives it: the channel (`message` or `phone`), the note, and for a
/// call its local time (`YYYY-MM-DDTHH:MM`) and who answered — both or neither.
pub(super) fn urge_command(
    cal: &Calendar,
    channel: &str,
    note: &str,
    call_at: &str,
    answered_by: &str,
) -> Result<Command, Shown> {
    let bad = |code: &str, zh: &str, en: &str| Shown {
        code: code.to_owned(),
        zh: zh.to_owned(),
        en: en.to_owned(),
    };
    let channel = match channel.trim() {
        "" | "message" => UrgeChannel::Message,
        "phone" => UrgeChannel::Phone,
        _ => {
            return Err(bad(
                "input.channel",
                "催办方式应为消息或电话",
                "urge by message or by phone",
            ))
        }
    };
    let call = match (call_at.trim(), answered_by.trim()) {
        ("", "") => None,
        ("", _) | (_, "") => {
            return Err(bad(
                "input.call",
                "记录电话催办须同时填写通话时间和接听人",
                "a recorded call needs both its time and who answered",
            ))
        }
        (at, who) => {
            let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| {
                    bad(
                        "input.call_at",
                        "通话时间应为年-月-日 时:分",
                        "the call's time reads YYYY-MM-DD HH:MM",
                    )
                })?;
            Some(PhoneCall {
                at: cal.from_local(at),
                answered_by: who.to_owned(),
            })
        }
    };
    Ok(Command::Urge {
        channel,
        note: note.trim().to_owned(),
        call,
    })
}

/// The acts of a work order, each with its notice in the hotline catalog.
const ORDER_ACTS: [&str; 9] = [
    "accept_order",
    "refuse_order",
    "inform_caller",
    "return_order",
    "request_commitment",
    "decide_commitment",
    "call_back",
    "reopen_order",
    "mark_typical",
];

/// What an accepted act did, for the notice, in the page's language.
fn done_text(act: &str) -> String {
    const ACTS: [&str; 26] = [
        "review",
        "rate",
        "instruct",
        "comment",
        "decide_extension",
        "decide_suspension",
        "decide_resumption",
        "decide_registration",
        "decide_report",
        "close",
        "revoke",
        "escalate",
        "archive",
        "receive",
        "decline",
        "decompose",
        "share",
        "unshare",
        "report_progress",
        "report_completion",
        "request_extension",
        "request_suspension",
        "request_resumption",
        "urge",
        "follow",
        "unfollow",
    ];
    if ACTS.contains(&act) {
        i18n::t(&format!("item-done-{act}"))
    } else if ORDER_ACTS.contains(&act) {
        i18n::t(&format!("hotline-done-{act}"))
    } else {
        i18n::t("item-done")
    }
}

/// `POST /items/{id}/act`: one act from the page, as the person signed in. An urging within
/// the policy's interval of the last one is not sent unless confirmed (`confirm=1`): the
/// form comes back asking.
async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn<signin::ToItem>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(task) = task_of(&id) else {
        return not_found();
    };
    let form = match ActForm::parse(fields) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let Ok(command_id) = uuid::Uuid::parse_str(form.command.trim()) else {
        return ApiError::bad_request("request.bad_id", "编号无效", "not an id").into_response();
    };
    let htmx = headers.get("hx-request").is_some();
    let now = state.clock.now();
    if form.act == "urge" && !form.confirm {
        match urged_lately_of(&state, &session, task, command_id, now).await {
            Ok(Some(Some(last))) => {
                let mut attempt = form.attempt(None);
                attempt.confirm = Some(local(&session.org.calendar, last));
                return match view(&state, &session, task, now, attempt, None).await {
                    Ok(Some(v)) if htmx => page(StatusCode::OK, &ItemFragment { v }),
                    Ok(Some(v)) => full(&session, v, now, StatusCode::OK),
                    Ok(None) => not_found(),
                    Err(e) => e.into_response(),
                };
            }
            Ok(Some(None)) => {}
            Ok(None) => return not_found(),
            Err(e) => return e.into_response(),
        }
    }
    let refused = match form.command(command_id, &session.org, now) {
        Ok(command) => {
            let env = CommandEnvelope {
                id: command_id,
                task,
                command,
            };
            match authority::apply(&state, &session.org, &session.actor, &env, now).await {
                Ok(Outcome::Accepted(_)) => None,
                Ok(Outcome::Refused(r)) => Some(r.into()),
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
        Err(shown) => Some(shown),
    };
    if refused.is_none() && !htmx {
        return Redirect::to(&format!("/items/{task}")).into_response();
    }
    // The page again: after a refusal with the form as typed (and a new command id: the same
    // one would be refused the same way), after an act from htmx with what it did.
    let (attempt, done, status) = match refused {
        Some(shown) => (
            form.attempt(Some(shown)),
            None,
            if htmx {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
        ),
        None => (
            Attempt::default(),
            Some(done_text(&form.act)),
            StatusCode::OK,
        ),
    };
    match view(&state, &session, task, now, attempt, done).await {
        Ok(Some(v)) if htmx => page(status, &ItemFragment { v }),
        Ok(Some(v)) => full(&session, v, now, status),
        Ok(None) => not_found(),
        Err(e) => e.into_response(),
    }
}

/// What was typed in an urge form.
pub(super) struct UrgeTyped {
    pub(super) note: String,
    pub(super) channel: String,
    pub(super) call_at: String,
    pub(super) answered_by: String,
}

/// The item page with its urge form asking to confirm an urging (the item was last urged at
/// `last`, within the policy's interval), with what was typed.
pub(super) async fn confirm_urge_page(
    state: &AppState,
    session: &Session,
    task: TaskId,
    now: DateTime<Utc>,
    last: DateTime<Utc>,
    typed: UrgeTyped,
) -> Response {
    let attempt = Attempt {
        key: "urge".to_owned(),
        note: typed.note,
        channel: typed.channel,
        call_at: typed.call_at,
        answered_by: typed.answered_by,
        confirm: Some(local(&session.org.calendar, last)),
        ..Attempt::default()
    };
    match view(state, session, task, now, attempt, None).await {
        Ok(Some(v)) => full(session, v, now, StatusCode::OK),
        Ok(None) => not_found(),
        Err(e) => e.into_response(),
    }
}

/// Whether the urging `command` should first be confirmed: when the item was last urged, if
/// within the policy's interval and `command` was not sent before (a resent form gets its
/// outcome, as any act's) — `Some(None)`: urge now; `None`: the person may not read the item.
pub(super) async fn urged_lately_of(
    state: &AppState,
    session: &Session,
    task: TaskId,
    command: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Option<DateTime<Utc>>>, ApiError> {
    if crate::db::commands::sent_before(&state.db, command).await? {
        return Ok(Some(None));
    }
    match read::item_detail(state, session, task, now)
        .await
        .map_err(ApiError::from)
    {
        Ok(d) => Ok(Some(urged_lately(&d.state, now, &session.org.policy))),
        Err(e) if e.status == StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

// ----- files --------------------------------------------------------------------------------

/// `GET /files/{hash}`: a file for the signed-in browser, under the API's permission (the
/// people who sent it, or whoever may read an item citing it; anyone else the same 404 as for
/// a file that does not exist). Not signed in: 401 (an image is not sent to the sign-in page).
async fn file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(hash): Path<String>,
) -> Response {
    // A password an administrator set must be replaced first (see `SignedIn`).
    let Some(session) = signed_in(&state, &headers)
        .await
        .filter(|s| !s.must_change_password)
    else {
        return ApiError::unauthorized().into_response();
    };
    match blobs::download(State(state), session, crate::error::Path(hash), headers).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duban_core::domain::trail::append;

    #[test]
    fn the_pages_words_are_in_one_language_with_their_numbers() {
        assert_eq!(Lang::En.t("item-list-separator"), ", ", "kept whole");
        assert_eq!(Lang::Zh.t("item-list-separator"), "、");
        let left = |lang: Lang, days: i64| lang.t_args("item-countdown-left", &[("days", &days)]);
        assert_eq!(left(Lang::En, 1), "1 working day left");
        assert_eq!(left(Lang::En, 3), "3 working days left");
        assert_eq!(left(Lang::Zh, 3), "剩余 3 个工作日");
        let total = |lang: Lang, n: u64| lang.t_args("items-total", &[("n", &n)]);
        assert_eq!(total(Lang::En, 1), "1 item");
        assert_eq!(total(Lang::En, 20), "20 items");
        assert_eq!(total(Lang::Zh, 20), "共 20 项");
        // Every act's notice is in the catalog (never the key itself); outside a request,
        // in zh-CN.
        for act in [
            "review",
            "report_progress",
            "decide_report",
            "unfollow",
            "other",
        ] {
            let said = done_text(act);
            assert!(!said.starts_with("item-done"), "{act}: {said}");
        }
        assert_eq!(done_text("report_progress"), "已提交进展汇报");
    }

    fn event(text: &str) -> Event {
        Event {
            at: DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            actor: UserId::from_u128(7),
            kind: EventKind::Instructed {
                id: NoteId::from_u128(1),
                text: text.into(),
            },
        }
    }

    fn rows(task: TaskId, events: Vec<Event>) -> Vec<(i64, String, Event)> {
        let mut trail = Vec::new();
        append(&mut trail, task, events);
        trail
            .into_iter()
            .map(|e| (e.seq as i64, e.hash.to_hex(), e.event))
            .collect()
    }

    #[test]
    fn a_trail_verifies_and_an_edit_breaks_it_from_there() {
        let task = TaskId::from_u128(1);
        let mut r = rows(task, vec![event("一"), event("二"), event("三")]);
        let head = Some((3, r[2].1.clone()));
        let (marks, verdict) = check_trail(task, &r, head.clone());
        assert!(verdict.ok && marks.iter().all(Option::is_none));

        r[1].2 = event("改过");
        let (marks, verdict) = check_trail(task, &r, head.clone());
        assert_eq!(verdict.code, "trail.altered");
        assert!(marks[0].is_none() && marks[1].is_some() && marks[2].is_some());

        // Cut short: the head says there were three.
        let r = rows(task, vec![event("一"), event("二")]);
        let (_, verdict) = check_trail(task, &r, head);
        assert_eq!(verdict.code, "trail.head");
    }
}
