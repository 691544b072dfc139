//! Scores and rankings by month, quarter and year with every point's breakdown (R6.3, R6.5);
//! bulletins and notices (R9.2).
//!
//! - `GET /scores?period=month|quarter|year&year=2026&n=11`: every unit's score on the
//!   100-point base, its place and its on-time completion rate (办结率) — over every item,
//!   as the assessment counts, whoever looks (the core's `unit_scores`, `rank`,
//!   `completion_rate`).
//! - `GET /scores/units/{id}?…`: that unit's breakdown, item by item and line by line,
//!   summing to its score; items the person may not read are summed on one line without
//!   their titles. The office adjusts an item's score there with a reason
//!   (`POST /scores/adjust`, the core's `AdjustScore` through the authority).
//! - `GET /bulletins`, `POST /bulletins`, `GET /bulletins/{id}`, `POST /bulletins/{id}`:
//!   published bulletins for everyone signed in; drafts, generation from the data, editing
//!   and publication for the office (`crate::bulletins`).

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Utc};
use duban_core::domain::derived::score::{completion_rate, item_score, unit_scores, DateRange};
use duban_core::domain::model::AdjustmentId;
use duban_core::domain::policy::Points;
use duban_core::domain::{decide, Command, Context, TaskId, UnitId};
use duban_core::protocol::CommandEnvelope;
use serde::Deserialize;

use super::{office, page, percent, signin, Chrome, Shown, SignedIn};
use crate::auth::Session;
use crate::authority::Outcome;
use crate::bulletins::{self, Bulletin, Kind};
use crate::error::{ApiError, Form, Path, Query};
use crate::i18n;
use crate::read;
use crate::AppState;

/// The routes of these pages.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/scores", get(scores_page))
        .route("/scores/units/{id}", get(breakdown_page))
        .route("/scores/adjust", axum::routing::post(adjust))
        .route("/bulletins", get(bulletins_page).post(create))
        .route("/bulletins/{id}", get(bulletin_page).post(change))
}

/// The period asked for.
#[derive(Clone, Debug, Default, Deserialize)]
struct PeriodQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    n: Option<u32>,
}

/// A period: its range, its name, and the query strings of it and its neighbours.
struct Period {
    range: DateRange,
    label: String,
    query: String,
    prev: String,
    next: String,
    kind: &'static str,
}

fn period_of(q: &PeriodQuery, session: &Session, now: DateTime<Utc>) -> Result<Period, ApiError> {
    let today = session.org.calendar.to_local(now).date();
    let year = q.year.unwrap_or(today.year());
    let bad = || {
        ApiError::bad_request(
            "query.bad_period",
            "考核期无效（年 1–9999，月 1–12，季度 1–4）",
            "not a period (year 1–9999, month 1–12, quarter 1–4)",
        )
    };
    // A four-digit year: chrono's own range (±262,143) would let the neighbours' links and
    // the calendar's arithmetic run off its edges.
    if !(1..=9999).contains(&year) {
        return Err(bad());
    }
    let q_of = |kind: &str, y: i32, n: u32| match kind {
        "year" => format!("period=year&year={y}"),
        k => format!("period={k}&year={y}&n={n}"),
    };
    match q.period.trim() {
        "" | "month" => {
            let n = q.n.unwrap_or(today.month());
            let range = DateRange::month(year, n).ok_or_else(bad)?;
            let (py, pn) = if n == 1 {
                (year - 1, 12)
            } else {
                (year, n - 1)
            };
            let (ny, nn) = if n == 12 {
                (year + 1, 1)
            } else {
                (year, n + 1)
            };
            Ok(Period {
                range,
                label: i18n::t_args("scores-label-month", &[("year", &year), ("n", &n)]),
                query: q_of("month", year, n),
                prev: q_of("month", py, pn),
                next: q_of("month", ny, nn),
                kind: "month",
            })
        }
        "quarter" => {
            let n = q.n.unwrap_or(today.month().div_ceil(3));
            let range = DateRange::quarter(year, n).ok_or_else(bad)?;
            let (py, pn) = if n == 1 { (year - 1, 4) } else { (year, n - 1) };
            let (ny, nn) = if n == 4 { (year + 1, 1) } else { (year, n + 1) };
            Ok(Period {
                range,
                label: i18n::t_args("scores-label-quarter", &[("year", &year), ("n", &n)]),
                query: q_of("quarter", year, n),
                prev: q_of("quarter", py, pn),
                next: q_of("quarter", ny, nn),
                kind: "quarter",
            })
        }
        "year" => Ok(Period {
            range: DateRange::year(year).ok_or_else(bad)?,
            label: i18n::t_args("scores-label-year", &[("year", &year)]),
            query: q_of("year", year, 0),
            prev: q_of("year", year - 1, 0),
            next: q_of("year", year + 1, 0),
            kind: "year",
        }),
        _ => Err(bad()),
    }
}

/// A unit's row of the ranking.
struct ScoreRow {
    rank: u32,
    unit: String,
    unit_id: String,
    score: String,
    items: usize,
    due: u32,
    on_time: u32,
    late: u32,
    open: u32,
    rate: String,
    /// The peer group's key and caption (the rank counts within it).
    group: String,
    caption: String,
}

/// One peer group's table of the ranking.
struct ScoreGroup {
    key: String,
    caption: String,
    rows: Vec<ScoreRow>,
}

/// The rows (group after group) as one table per peer group.
fn score_groups(rows: Vec<ScoreRow>) -> Vec<ScoreGroup> {
    let mut out: Vec<ScoreGroup> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(g) if g.key == r.group => g.rows.push(r),
            _ => out.push(ScoreGroup {
                key: r.group.clone(),
                caption: r.caption.clone(),
                rows: vec![r],
            }),
        }
    }
    out
}

/// The scores of every unit leading an item, over every item, for `period`: ranked within
/// their peer groups, group after group, each best first.
async fn ranking(
    state: &AppState,
    session: &Session,
    period: DateRange,
    now: DateTime<Utc>,
) -> Result<
    (
        Vec<ScoreRow>,
        Vec<(TaskId, std::sync::Arc<duban_core::domain::TaskState>)>,
    ),
    ApiError,
> {
    let org = &session.org;
    let items = read::every_state(state).await?;
    let scores =
        crate::read::period_scores(org, items.iter().map(|(id, s)| (*id, &**s)), period, now);
    let lang = i18n::current();
    let rows = read::ranked_groups(org, &scores)
        .into_iter()
        .flat_map(|g| {
            let group = read::RankGroup::of(org, &g.group);
            g.ranked.into_iter().map(move |r| (group.clone(), r))
        })
        .map(|(group, r)| {
            let led = items
                .iter()
                .filter(|(_, s)| s.lead.is_some_and(|l| l.unit == r.unit))
                .map(|(_, s)| &**s);
            let c = completion_rate(led, period, now, &org.calendar);
            ScoreRow {
                rank: r.rank,
                unit: org.unit(r.unit).map(|u| u.name.clone()).unwrap_or_default(),
                unit_id: r.unit.to_string(),
                score: r.score.to_string(),
                items: scores
                    .iter()
                    .find(|s| s.unit == r.unit)
                    .map_or(0, |s| s.items.len()),
                due: c.due,
                on_time: c.on_time,
                late: c.late,
                open: c.open,
                rate: percent(c.percent()),
                caption: group.caption(lang),
                group: group.key,
            }
        })
        .collect();
    Ok((rows, items))
}

#[derive(Template)]
#[template(path = "scores.html")]
struct ScoresPage {
    chrome: Chrome,
    p: Period,
    groups: Vec<ScoreGroup>,
}

async fn scores_page(
    State(state): State<AppState>,
    Query(q): Query<PeriodQuery>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    let result = async {
        let p = period_of(&q, &session, now)?;
        let (rows, _) = ranking(&state, &session, p.range, now).await?;
        Ok::<_, ApiError>(ScoresPage {
            chrome: Chrome::new(Some(&session), &session.org.calendar, "/scores", now),
            p,
            groups: score_groups(rows),
        })
    }
    .await;
    match result {
        Ok(t) => page(StatusCode::OK, &t),
        Err(e) => e.into_response(),
    }
}

/// One line of an item's score.
struct Line {
    /// Why, in the page's language.
    text: String,
    points: String,
}

/// An item of a unit's breakdown.
struct BreakdownItem {
    id: String,
    number: String,
    title: String,
    total: String,
    contribution: String,
    /// Why it counts in this period (the period rule): due in it, or due earlier and
    /// still open when the period began.
    why: String,
    lines: Vec<Line>,
    /// Whether the person may adjust its score now (the core's `AdjustScore` rule: an item
    /// being handled, not one closed): the adjustment form offers only these.
    adjustable: bool,
}

#[derive(Template)]
#[template(path = "score_breakdown.html")]
struct BreakdownPage {
    chrome: Chrome,
    p: Period,
    unit: String,
    unit_id: String,
    base: String,
    score: String,
    rank: String,
    /// The caption of the peer group the rank counts in.
    group: String,
    items: Vec<BreakdownItem>,
    hidden_items: usize,
    hidden_points: String,
    can_adjust: bool,
    form: String,
    error: Option<Shown>,
}

async fn breakdown_html(
    state: &AppState,
    session: &Session,
    unit: &str,
    q: &PeriodQuery,
    now: DateTime<Utc>,
    error: Option<Shown>,
) -> Result<BreakdownPage, ApiError> {
    let org = &session.org;
    let p = period_of(q, session, now)?;
    let unit = uuid::Uuid::parse_str(unit.trim())
        .ok()
        .and_then(|u| org.unit(UnitId(u)))
        .ok_or_else(|| ApiError::not_found("单位", "unit"))?;
    let (rows, items) = ranking(state, session, p.range, now).await?;
    let scores = unit_scores(
        &[unit.id],
        items.iter().map(|(id, s)| (*id, &**s)),
        p.range,
        now,
        &org.calendar,
        &org.policy,
    );
    let score = scores
        .first()
        .ok_or_else(|| ApiError::internal("a unit's score"))?;
    let readable: BTreeSet<TaskId> = read::readable(state, session, now)
        .await?
        .into_iter()
        .map(|(i, _)| i.id)
        .collect();
    let mut shown = Vec::new();
    let mut hidden_items = 0;
    let mut hidden_points = Points::ZERO;
    for (id, contribution) in &score.items {
        let Some((_, s)) = items.iter().find(|(i, _)| i == id) else {
            continue;
        };
        if !readable.contains(id) {
            hidden_items += 1;
            hidden_points = hidden_points.plus(*contribution);
            continue;
        }
        let Some(sc) = item_score(s, now, &org.calendar, &org.policy) else {
            continue;
        };
        let due = duban_core::domain::derived::score::due_date(s, now, &org.calendar);
        let why = match due {
            Some(d) if d < p.range.first => {
                i18n::t_args("scores-why-carried", &[("due", &d.format("%Y-%m-%d"))])
            }
            Some(d) => i18n::t_args("scores-why-due", &[("due", &d.format("%Y-%m-%d"))]),
            None => String::new(),
        };
        let probe = Command::AdjustScore {
            id: AdjustmentId::from_u128(0),
            points: Points::whole(1),
            reason: "—".to_owned(),
        };
        let ctx = Context {
            actor: &session.actor,
            now,
            calendar: &org.calendar,
            policy: &org.policy,
            units: &org.tree,
            parent: None,
        };
        let adjustable = decide(s, &probe, &ctx).is_ok();
        shown.push(BreakdownItem {
            adjustable,
            id: id.to_string(),
            number: s.number.as_ref().map(|n| n.to_string()).unwrap_or_default(),
            title: s.title.clone(),
            total: sc.total.to_string(),
            contribution: contribution.to_string(),
            why,
            lines: sc
                .lines
                .iter()
                .map(|l| Line {
                    text: i18n::current().pick(&l.zh, &l.en).to_owned(),
                    points: l.points.to_string(),
                })
                .collect(),
        });
    }
    let can_adjust = office(session) && shown.iter().any(|i| i.adjustable);
    Ok(BreakdownPage {
        chrome: Chrome::new(Some(session), &org.calendar, "/scores", now),
        unit: unit.name.clone(),
        unit_id: unit.id.to_string(),
        base: org.policy.scoring.base.to_string(),
        score: score.score.to_string(),
        rank: rows
            .iter()
            .find(|r| r.unit_id == unit.id.to_string())
            .map_or_else(|| "—".to_owned(), |r| r.rank.to_string()),
        group: read::RankGroup::of(org, &read::peer_group(org, unit.id)).caption(i18n::current()),
        p,
        items: shown,
        hidden_items,
        hidden_points: hidden_points.to_string(),
        can_adjust,
        form: uuid::Uuid::new_v4().to_string(),
        error,
    })
}

async fn breakdown_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    match breakdown_html(&state, &session, &id, &q, now, None).await {
        Ok(t) => page(StatusCode::OK, &t),
        Err(e) => e.into_response(),
    }
}

/// The adjustment form.
#[derive(Deserialize)]
struct AdjustForm {
    form: String,
    unit: String,
    task: String,
    points: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    n: Option<u32>,
}

/// Points as typed: `-2`, `+1.5`, `0.5` (tenths at most).
fn points_of(text: &str) -> Option<Points> {
    let t = text.trim().trim_start_matches('+');
    let v: f64 = t.parse().ok()?;
    let tenths = (v * 10.0).round();
    ((tenths - v * 10.0).abs() < 1e-6 && tenths.abs() <= 1000.0 && tenths != 0.0)
        .then_some(Points::tenths(tenths as i32))
}

/// `POST /scores/adjust`: the office adjusts an item's score with a reason (R6.3), through
/// the authority; the form's id is the command's and the adjustment's, so a resent form
/// adjusts once. Back to the breakdown, with the refusal shown if there is one.
async fn adjust(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn<signin::ToScores>,
    Form(f): Form<AdjustForm>,
) -> Response {
    let now = state.clock.now();
    let q = PeriodQuery {
        period: f.period.clone(),
        year: f.year,
        n: f.n,
    };
    let (Ok(form), Ok(task)) = (
        uuid::Uuid::parse_str(f.form.trim()),
        uuid::Uuid::parse_str(f.task.trim()),
    ) else {
        return ApiError::bad_request("request.bad_id", "编号无效", "not an id").into_response();
    };
    let refused = |code: &str, zh: &str, en: &str| Shown {
        code: code.to_owned(),
        zh: zh.to_owned(),
        en: en.to_owned(),
    };
    let error = match (points_of(&f.points), f.reason.trim().is_empty()) {
        (None, _) => Some(refused(
            "input.points",
            "调整分值应为非零数，最多一位小数，如 -2 或 1.5",
            "the points are a non-zero number with at most one decimal, e.g. -2 or 1.5",
        )),
        (_, true) => Some(refused(
            "input.reason",
            "调整须说明理由",
            "an adjustment needs its reason",
        )),
        (Some(points), false) => {
            let env = CommandEnvelope {
                id: form,
                task: TaskId(task),
                command: Command::AdjustScore {
                    id: AdjustmentId(form),
                    points,
                    reason: f.reason.trim().to_owned(),
                },
            };
            match crate::authority::apply(&state, &session.org, &session.actor, &env, now).await {
                Ok(Outcome::Accepted(_)) => None,
                Ok(Outcome::Refused(r)) => Some(r.into()),
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
    };
    match error {
        None => {
            let p = match period_of(&q, &session, now) {
                Ok(p) => p,
                Err(e) => return e.into_response(),
            };
            // The unit as an id: it goes into a header.
            match uuid::Uuid::parse_str(f.unit.trim()) {
                Ok(unit) => {
                    Redirect::to(&format!("/scores/units/{unit}?{}", p.query)).into_response()
                }
                Err(_) => {
                    ApiError::bad_request("request.bad_id", "编号无效", "not an id").into_response()
                }
            }
        }
        Some(e) => match breakdown_html(&state, &session, &f.unit, &q, now, Some(e)).await {
            Ok(t) => page(StatusCode::UNPROCESSABLE_ENTITY, &t),
            Err(e) => e.into_response(),
        },
    }
}

/// A bulletin as the pages show it.
pub(super) struct BulletinView {
    pub(super) id: String,
    /// The kind's name in the page's language.
    pub(super) kind: String,
    pub(super) title: String,
    pub(super) paragraphs: Vec<String>,
    pub(super) body: String,
    pub(super) period: String,
    pub(super) public: bool,
    pub(super) published: bool,
    pub(super) version: i64,
    pub(super) when: String,
}

fn view(b: &Bulletin, session_or_org: &crate::org::Org) -> BulletinView {
    let at = b.published_at.unwrap_or(b.updated_at);
    let when = DateTime::<Utc>::from_timestamp_millis(at)
        .map(|t| {
            session_or_org
                .calendar
                .to_local(t)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    BulletinView {
        id: b.id.clone(),
        kind: i18n::t(b.kind.key()),
        title: b.title.clone(),
        paragraphs: b
            .body
            .split('\n')
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        body: b.body.clone(),
        period: b.period.clone(),
        public: b.public,
        published: b.published,
        version: b.version,
        when,
    }
}

/// Published bulletins for the public board: public ones only.
pub(super) async fn public_bulletins(
    state: &AppState,
    org: &crate::org::Org,
) -> Result<Vec<BulletinView>, ApiError> {
    let mut list = bulletins::list(&state.db, true, false).await?;
    if !list.is_empty() {
        // Published before the rule, or an item made non-public since: not shown.
        let items = read::every_state(state).await?;
        list.retain(|b| {
            let clean = bulletins::non_public_named(&items, &[&b.title, &b.body])
                .is_ok_and(|named| named.is_empty());
            if !clean {
                tracing::warn!(bulletin = %b.id, "a public bulletin names non-public items: withheld from the board");
            }
            clean
        });
    }
    Ok(list.iter().map(|b| view(b, org)).collect())
}

#[derive(Template)]
#[template(path = "bulletins.html")]
struct BulletinsPage {
    chrome: Chrome,
    items: Vec<BulletinView>,
    office: bool,
    form: String,
    month: String,
    quarter: String,
}

async fn bulletins_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    let now = state.clock.now();
    let office = office(&session);
    match bulletins::list(&state.db, false, office).await {
        Ok(list) => page(
            StatusCode::OK,
            &BulletinsPage {
                chrome: Chrome::new(Some(&session), &session.org.calendar, "/bulletins", now),
                items: list.iter().map(|b| view(b, &session.org)).collect(),
                office,
                form: uuid::Uuid::new_v4().to_string(),
                month: bulletins::default_period(Kind::Monthly, &session.org, now),
                quarter: bulletins::default_period(Kind::Quarterly, &session.org, now),
            },
        ),
        Err(e) => e.into_response(),
    }
}

/// The create form: a generated bulletin for a period, or a notice or report by hand.
#[derive(Deserialize)]
struct CreateForm {
    form: String,
    kind: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    public: Option<String>,
}

fn office_only() -> Response {
    ApiError::forbidden(
        "只有督查办可以撰写和发布通报",
        "only the supervision office writes and publishes bulletins",
    )
    .into_response()
}

/// `POST /bulletins`: a draft, generated from the data for a monthly bulletin or a
/// quarterly ranking; keyed by the form's id. To its edit page.
async fn create(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn,
    Form(f): Form<CreateForm>,
) -> Response {
    if !office(&session) {
        return office_only();
    }
    let now = state.clock.now();
    let (Ok(id), Some(kind)) = (uuid::Uuid::parse_str(f.form.trim()), Kind::of(&f.kind)) else {
        return ApiError::bad_request(
            "request.bad_form",
            "表单无效，请刷新后重试",
            "the form is not valid: reload and try again",
        )
        .into_response();
    };
    let (title, body, period) = match kind {
        Kind::Monthly | Kind::Quarterly => {
            let Some((range, period, label)) = bulletins::period_of(kind, &f.period) else {
                return ApiError::bad_request(
                    "query.bad_period",
                    "通报期无效，应如 2026-11 或 2026-Q4",
                    "not a period like 2026-11 or 2026-Q4",
                )
                .into_response();
            };
            let items = match read::every_state(&state).await.map_err(ApiError::from) {
                Ok(i) => i,
                Err(e) => return e.into_response(),
            };
            let (title, body) = bulletins::generate(
                &session.org,
                &items,
                kind,
                range,
                &label,
                now,
                f.public.is_some(),
            );
            (title, body, period)
        }
        Kind::Special | Kind::Notice => {
            let title = f.title.trim();
            if title.is_empty() {
                return ApiError::unprocessable(
                    "input.title",
                    "标题不能为空",
                    "the title is empty",
                )
                .into_response();
            }
            (title.to_owned(), String::new(), String::new())
        }
    };
    let b = Bulletin {
        id: id.to_string(),
        kind,
        title,
        body,
        period,
        public: f.public.is_some(),
        published: false,
        author: session.user(),
        version: 1,
        updated_at: 0,
        published_at: None,
    };
    match bulletins::create(&state.db, &b, now).await {
        Ok(()) => Redirect::to(&format!("/bulletins/{id}")).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Template)]
#[template(path = "bulletin.html")]
struct BulletinPage {
    chrome: Chrome,
    b: BulletinView,
    editable: bool,
    error: Option<Shown>,
}

/// A bulletin the person may read: a published one, or a draft for the office.
async fn readable_bulletin(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<Bulletin, ApiError> {
    match bulletins::get(&state.db, id).await? {
        Some(b) if b.published || office(session) => Ok(b),
        _ => Err(ApiError::not_found("通报", "bulletin")),
    }
}

async fn bulletin_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn,
) -> Response {
    let now = state.clock.now();
    match readable_bulletin(&state, &session, &id).await {
        Ok(b) => page(
            StatusCode::OK,
            &BulletinPage {
                chrome: Chrome::new(Some(&session), &session.org.calendar, "/bulletins", now),
                editable: !b.published && office(&session),
                b: view(&b, &session.org),
                error: None,
            },
        ),
        Err(e) => e.into_response(),
    }
}

/// The edit form: save (title, body, audience) or publish, from `version`.
#[derive(Deserialize)]
struct ChangeForm {
    action: String,
    version: i64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    public: Option<String>,
}

/// `POST /bulletins/{id}`: saves the draft, or saves and publishes it. A stale version is
/// refused (409) with what was typed still in the form.
async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedIn(session, _): SignedIn,
    Form(f): Form<ChangeForm>,
) -> Response {
    if !office(&session) {
        return office_only();
    }
    let now = state.clock.now();
    let current = match readable_bulletin(&state, &session, &id).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let title = f.title.trim();
    let result = if title.is_empty() {
        Err(ApiError::unprocessable(
            "input.title",
            "标题不能为空",
            "the title is empty",
        ))
    } else {
        let public = f.public.is_some();
        let publish = f.action == "publish";
        bulletins::save(&state, &id, f.version, title, &f.body, public, publish, now).await
    };
    match result {
        Ok(()) => Redirect::to(&format!("/bulletins/{id}")).into_response(),
        Err(e) => {
            // The form again with what was typed, and the reason.
            let mut typed = current.clone();
            typed.title = f.title.clone();
            typed.body = f.body.clone();
            typed.public = f.public.is_some();
            let mut v = view(&typed, &session.org);
            v.version = current.version;
            page(
                e.status,
                &BulletinPage {
                    chrome: Chrome::new(Some(&session), &session.org.calendar, "/bulletins", now),
                    editable: !current.published,
                    b: v,
                    error: Some(Shown {
                        code: e.code,
                        zh: e.zh,
                        en: e.en,
                    }),
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::Lang;

    #[test]
    fn periods_are_named_in_one_language() {
        let args: [(&str, &dyn std::fmt::Display); 2] = [("year", &2026), ("n", &4)];
        assert_eq!(
            Lang::Zh.t_args("scores-label-quarter", &args),
            "2026年第4季度"
        );
        assert_eq!(Lang::En.t_args("scores-label-quarter", &args), "Q4 2026");
        assert_eq!(Lang::Zh.t_args("scores-label-month", &args), "2026年4月");
        assert_eq!(
            Lang::En.t_args("scores-label-month", &args),
            "Month 4 of 2026"
        );
        let hidden: [(&str, &dyn std::fmt::Display); 2] = [("n", &1), ("points", &"-2.0")];
        assert_eq!(
            Lang::En.t_args("scores-hidden", &hidden),
            "1 more item you may not read, -2.0 points"
        );
        assert_eq!(
            Lang::Zh.t_args("scores-hidden", &hidden),
            "另有1项您无权查看详情，合计 -2.0 分"
        );
    }
}
