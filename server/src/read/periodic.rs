//! One period's periodic reports in one sheet (R1.4, issue 20): for a recurring item, the
//! items of its dispatch batch (one per unit) that the person may read, each with its report
//! for the period — who filed it and when, its figures and words — and whether it came on
//! time, late or not at all (`derived::periodic`).
//!
//! A period is named by the index of one item's request (`?period=N` on that item); the
//! other items of the batch are matched by the period's first day, so an item dispatched on
//! another day still lines up with the same calendar period. Each row is an item the person
//! may read: a unit's staff sees their own unit's row, the office every unit's.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use duban_core::domain::derived::periodic::{
    period_report, period_start, request_starting, Timeliness,
};
use duban_core::domain::event::EventKind;
use duban_core::domain::model::Period;
use duban_core::domain::{TaskId, UnitId, UserId};

use super::items::{load_rows, load_visible};
use super::ReadError;
use crate::auth::Session;
use crate::db::{tasks, trail};
use crate::feed::keys_of;
use crate::AppState;

/// One period's reports of a recurring item's batch.
#[derive(Debug)]
pub struct PeriodSheet {
    /// The item asked for.
    pub item: TaskId,
    /// Its number (e.g. `督〔2026〕17号`) and title.
    pub number: String,
    /// The item's title.
    pub title: String,
    /// Weekly, monthly or quarterly.
    pub period: Period,
    /// The period's index on the item asked for.
    pub index: u32,
    /// The period's first day (local).
    pub start: NaiveDate,
    /// The figures each report gives, in order.
    pub fields: Vec<String>,
    /// The periods the item asked for reports of, by index (for choosing another).
    pub requested: Vec<(u32, NaiveDate)>,
    /// One row per item of the batch the person may read, in the organisation's unit order.
    pub rows: Vec<SheetRow>,
}

/// One unit's report for the period.
#[derive(Debug)]
pub struct SheetRow {
    /// The unit's item.
    pub item: TaskId,
    /// Its number.
    pub number: String,
    /// The lead unit.
    pub unit: Option<UnitId>,
    /// When the period's report was due, if one was requested.
    pub due: Option<DateTime<Utc>>,
    /// Who filed the report.
    pub reporter: Option<UserId>,
    /// When.
    pub filed_at: Option<DateTime<Utc>>,
    /// Its figures, by label.
    pub values: BTreeMap<String, String>,
    /// Its words.
    pub text: String,
    /// On time, late, missing, not due, or not requested.
    pub timeliness: Timeliness,
    /// Whether the report waits for its approver.
    pub awaiting_approval: bool,
}

/// The sheet of period `index` of item `id` for `session` at `now`. [`ReadError::NotFound`]
/// for an item the person may not read; [`ReadError::BadFilter`] (`period`) for an item
/// without periodic reports or a period it did not ask for.
pub async fn period_sheet(
    state: &AppState,
    session: &Session,
    id: TaskId,
    index: u32,
    now: DateTime<Utc>,
) -> Result<PeriodSheet, ReadError> {
    let org = session.org.clone();
    let cal = &org.calendar;
    let mut tx = state.db.read().await?;
    let item = load_visible(&mut tx, &state.states, session, id)
        .await?
        .ok_or(ReadError::NotFound)?;
    let s = item.state.clone();
    let Some(recurrence) = s.recurrence.clone() else {
        return Err(ReadError::BadFilter {
            param: "period",
            zh: "该事项未设置定期汇报".into(),
            en: "this item has no periodic reports".into(),
        });
    };
    let start = s
        .report_requests
        .iter()
        .any(|r| r.index == index)
        .then(|| period_start(&s, index, cal))
        .flatten()
        .ok_or_else(|| ReadError::BadFilter {
            param: "period",
            zh: format!("该事项没有第{index}期汇报要求"),
            en: format!("this item asked for no report of period {index}"),
        })?;
    let members = match s.batch {
        Some(batch) => {
            let heads = tasks::batch_heads(&mut tx, &keys_of(session), &s.category, batch).await?;
            load_rows(&mut tx, &state.states, heads)
                .await?
                .into_iter()
                .filter(|m| m.state.batch == Some(batch))
                .collect()
        }
        None => vec![item],
    };
    let mut rows = Vec::with_capacity(members.len());
    let mut filings = Vec::new();
    for m in &members {
        let st = &m.state;
        let judged = request_starting(st, start, cal)
            .map(|i| period_report(st, i, now, cal, org.policy.scoring.late_days));
        let (request, report, awaiting, timeliness) = match &judged {
            Some(j) => (j.request, j.report, j.awaiting_approval, j.timeliness),
            None => (None, None, false, Timeliness::NotRequested),
        };
        if let Some(r) = report {
            filings.push((m.id, r.seq));
        }
        rows.push(SheetRow {
            item: m.id,
            number: st
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            unit: st.lead.map(|l| l.unit),
            due: request.map(|r| r.due),
            reporter: report.map(|r| r.by),
            filed_at: report.map(|r| r.at),
            values: BTreeMap::new(),
            text: String::new(),
            timeliness,
            awaiting_approval: awaiting,
        });
    }
    // The words and figures of each report, from its filing event (a state keeps where a
    // report is, not what it says).
    for (task, _, event) in trail::events_at(&mut tx, &filings).await? {
        if let EventKind::ProgressReported { report, .. } = event.kind {
            if let Some(row) = rows.iter_mut().find(|r| r.item == task) {
                row.values = report.values;
                row.text = report.text;
            }
        }
    }
    drop(tx);
    let place = |u: Option<UnitId>| {
        u.and_then(|u| org.units.iter().position(|x| x.id == u))
            .unwrap_or(usize::MAX)
    };
    rows.sort_by(|a, b| {
        place(a.unit)
            .cmp(&place(b.unit))
            .then_with(|| a.number.cmp(&b.number))
    });
    let mut requested: Vec<(u32, NaiveDate)> = s
        .report_requests
        .iter()
        .filter_map(|r| period_start(&s, r.index, cal).map(|d| (r.index, d)))
        .collect();
    requested.sort();
    Ok(PeriodSheet {
        item: id,
        number: s
            .number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        title: s.title.clone(),
        period: recurrence.period,
        index,
        start,
        fields: recurrence.fields,
        requested,
        rows,
    })
}
