//! The screens as plain data, read from the projections: the inbox (what needs me now), my
//! items by view, an item's detail with its whole trail, the approvals waiting for me, the
//! notifications, and what waits to be sent or needs attention. One call per screen.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

use super::apply::replay;
use super::outbox::{load_task_commands, AttentionEntry, OutboxState};
use super::{from_millis, millis, Org, Result, Store, StoreError};
use crate::domain::command::ReportBody;
use crate::domain::derived::describe::describe;
use crate::domain::derived::duty::{duties, Duty};
use crate::domain::derived::evidence::{check_evidence, photo_pairs, EvidenceCheck, PhotoPair};
use crate::domain::derived::view::View;
use crate::domain::derived::{timeliness_light, Colour};
use crate::domain::event::EventKind;
use crate::domain::model::{BlobRef, NoteId, ReportId, Urgency};
use crate::domain::offer::acts_on_offer;
use crate::domain::state::ReportRecord;
use crate::domain::trail::{verify, Hash, TrailEntry};
use crate::domain::Code;
use crate::domain::{CommandKind, Event, Status, TaskId, TaskState, UserId};
use crate::protocol::EventRef;

/// An item in a list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemSummary {
    /// Id.
    pub id: TaskId,
    /// Its number, e.g. `督〔2026〕17号` (none until the server gives it).
    pub number: Option<String>,
    /// Title.
    pub title: String,
    /// Category code.
    pub category: String,
    /// Status.
    pub status: Status,
    /// Status in zh-CN.
    pub status_zh: String,
    /// Status in English.
    pub status_en: String,
    /// Urgency.
    pub urgency: Urgency,
    /// The deadline in force.
    pub deadline: Option<DateTime<Utc>>,
    /// The timeliness light now (none where no clock runs).
    pub light: Option<Colour>,
    /// Progress reported, 0–100.
    pub progress: u8,
    /// Commands of this device not yet confirmed by the server.
    pub pending: u32,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One thing an item asks of me.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DutyLine {
    /// What.
    pub duty: Duty,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
}

impl DutyLine {
    fn of(duty: Duty) -> DutyLine {
        DutyLine {
            duty,
            zh: duty.zh().to_owned(),
            en: duty.en().to_owned(),
        }
    }
}

/// An entry of the inbox or of the approvals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InboxEntry {
    /// The item.
    pub item: ItemSummary,
    /// What it asks of me.
    pub duties: Vec<DutyLine>,
}

/// One step of an item's trail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrailLine {
    /// Its place in the trail; none for a step of this device not yet confirmed.
    pub task_seq: Option<u64>,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: UserId,
    /// Their name.
    pub actor_name: String,
    /// What, in zh-CN.
    pub title_zh: String,
    /// What, in English.
    pub title_en: String,
    /// Their words (opinion, reason, report), if any.
    pub detail: String,
    /// The trail hash; none while pending.
    pub hash: Option<String>,
    /// Whether it waits for the server.
    pub pending: bool,
    /// The instruction's or comment's id, which a reply names.
    pub note: Option<NoteId>,
}

impl TrailLine {
    /// The line of an event: the server's (with its place and hash) or a pending one.
    fn of(
        event: &Event,
        held: Option<(u64, String)>,
        org: &Org,
        name: &dyn Fn(UserId) -> String,
    ) -> TrailLine {
        let d = describe(&event.kind, &org.calendar);
        let pending = held.is_none();
        let (task_seq, hash) = held.map_or((None, None), |(seq, hash)| (Some(seq), Some(hash)));
        TrailLine {
            task_seq,
            at: event.at,
            actor: event.actor,
            actor_name: name(event.actor),
            title_zh: d.title_zh,
            title_en: d.title_en,
            detail: d.detail,
            hash,
            pending,
            note: match &event.kind {
                EventKind::Instructed { id, .. } | EventKind::Commented { id, .. } => Some(*id),
                _ => None,
            },
        }
    }
}

/// A command of this device not yet confirmed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PendingCommand {
    /// Its UUID.
    pub id: Uuid,
    /// The item.
    pub task: TaskId,
    /// What kind.
    pub kind: CommandKind,
    /// zh-CN.
    pub name_zh: String,
    /// English.
    pub name_en: String,
    /// When issued.
    pub issued_at: DateTime<Utc>,
    /// Sent and applied, or still to send.
    pub state: OutboxState,
    /// Attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

impl PendingCommand {
    fn of(c: super::OutboxEntry) -> PendingCommand {
        let kind = c.command.kind();
        PendingCommand {
            id: c.id,
            task: c.task,
            kind,
            name_zh: kind.zh().to_owned(),
            name_en: kind.en().to_owned(),
            issued_at: c.issued_at,
            state: c.state,
            attempts: c.attempts,
            last_error: c.last_error,
        }
    }
}

/// An item's detail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemDetail {
    /// The summary.
    pub summary: ItemSummary,
    /// The whole state (as viewed: with this device's pending commands).
    pub state: TaskState,
    /// The confidential fields, if the person may see them.
    pub confidential: Option<BTreeMap<String, String>>,
    /// What it asks of me.
    pub duties: Vec<DutyLine>,
    /// The acts I may take on it now, in the order a screen lists them
    /// ([`acts_on_offer`]: each tried with `decide`).
    pub acts: Vec<CommandKind>,
    /// The trail: the server's steps, then this device's pending ones.
    pub trail: Vec<TrailLine>,
    /// Whether the server's steps verify (hashes chained from the first).
    pub verified: bool,
    /// This device's commands on it not yet confirmed.
    pub pending: Vec<PendingCommand>,
    /// Its commands needing attention.
    pub attention: Vec<AttentionEntry>,
    /// Every file the server's steps cite, with what a reviewer should know of it
    /// (gallery photos, capture times far from receipt, photos cited twice, …).
    pub evidence: Vec<EvidenceCheck>,
    /// A rectification's before/after photo pairs.
    pub photo_pairs: Vec<PhotoPair>,
    /// The reports filed (the server's and this device's pending ones), oldest first.
    pub reports: Vec<ReportLine>,
    /// What it asks (the registration's content, as last amended).
    pub content: String,
}

/// A unit as pickers list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnitLine {
    /// Id.
    pub id: String,
    /// The unit above it.
    pub parent: Option<String>,
    /// Name in Chinese.
    pub name: String,
    /// Name in English.
    pub name_en: String,
}

/// A report as the item screen shows it: where it stands, who filed it, its words and files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    /// Its facts (kind, when, progress claimed, where it stands).
    pub record: ReportRecord,
    /// Who filed it.
    pub by_name: String,
    /// Its words.
    pub text: String,
    /// Its files.
    pub evidence: Vec<BlobRef>,
}

/// A notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotificationEntry {
    /// Id.
    pub id: i64,
    /// The item.
    pub task: TaskId,
    /// The event of the item's trail that brought it (the server knows it by this too).
    pub task_seq: u64,
    /// Kind (stable name).
    pub kind: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
    /// When the event happened.
    pub at: DateTime<Utc>,
    /// Whether it was read.
    pub read: bool,
}

/// A row of `tasks` as the screens read it. `number` is the server's: a registration of
/// this device carries a placeholder until the server numbers it.
const SUMMARY_COLUMNS: &str = "t.id, COALESCE(t.view, t.state), t.pending, t.updated_at, t.number";

/// The columns of [`SUMMARY_COLUMNS`] but the state.
struct RowFacts {
    id: String,
    pending: i64,
    updated: i64,
    number: Option<String>,
}

fn summary(org: &Org, row: RowFacts, state: &TaskState, now: DateTime<Utc>) -> Result<ItemSummary> {
    let id = row
        .id
        .parse()
        .map(TaskId)
        .map_err(|_| StoreError::NotFound)?;
    let (pending, updated) = (row.pending, row.updated);
    Ok(ItemSummary {
        id,
        number: row.number,
        title: state.title.clone(),
        category: state.category.clone(),
        status: state.status,
        status_zh: state.status.zh().to_owned(),
        status_en: state.status.en().to_owned(),
        urgency: state.urgency,
        deadline: state.deadline,
        light: timeliness_light(state, now, &org.calendar, &org.policy).map(|s| s.colour),
        progress: state.progress,
        pending: pending as u32,
        updated_at: from_millis(updated),
    })
}

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(RowFacts, String)> {
    Ok((
        RowFacts {
            id: r.get(0)?,
            pending: r.get(2)?,
            updated: r.get(3)?,
            number: r.get(4)?,
        },
        r.get(1)?,
    ))
}

impl Store {
    fn summaries(
        &self,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
        now: DateTime<Utc>,
    ) -> Result<Vec<(ItemSummary, TaskState)>> {
        let org = self.org_or_err()?;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(args, summary_row)?;
        let mut out = Vec::new();
        for r in rows {
            let (facts, state) = r?;
            let state: TaskState = serde_json::from_str(&state)?;
            out.push((summary(org, facts, &state, now)?, state));
        }
        Ok(out)
    }

    /// The inbox: items that ask something of me now, soonest due first, at most `limit`.
    pub fn inbox(&self, limit: usize, now: DateTime<Utc>) -> Result<Vec<InboxEntry>> {
        self.duty_list(false, limit, now)
    }

    /// The approvals waiting for me, soonest due first, at most `limit`.
    pub fn approvals(&self, limit: usize, now: DateTime<Utc>) -> Result<Vec<InboxEntry>> {
        self.duty_list(true, limit, now)
    }

    fn duty_list(
        &self,
        approvals: bool,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<InboxEntry>> {
        // The soonest due first, through the duties' index; then the items' rows by id.
        let ids: Vec<String> = {
            let sql = if approvals {
                "SELECT task FROM duties WHERE approval = 1 ORDER BY due, since DESC"
            } else {
                "SELECT task FROM duties ORDER BY due, since DESC"
            };
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut rows = stmt.query([])?;
            let mut ids: Vec<String> = Vec::new();
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                if !ids.contains(&id) {
                    ids.push(id);
                    if ids.len() == limit {
                        break;
                    }
                }
            }
            ids
        };
        let org = self.org_or_err()?;
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM tasks t WHERE t.id = ?1");
        let mut rows = Vec::with_capacity(ids.len());
        for id in &ids {
            rows.extend(self.summaries(&sql, &[id], now)?);
        }
        let mut out = Vec::with_capacity(rows.len());
        for (item, state) in rows {
            // What is due is decided again now: a deadline may have passed since the rebuild.
            let mut list: Vec<DutyLine> = duties(&state, &org.context(now))
                .into_iter()
                .filter(|d| !approvals || d.is_approval())
                .map(DutyLine::of)
                .collect();
            if list.is_empty() {
                continue;
            }
            list.dedup();
            out.push(InboxEntry { item, duties: list });
        }
        Ok(out)
    }

    /// My items in a view, most recently changed first: `limit` from `offset`.
    pub fn items(
        &self,
        view: View,
        offset: usize,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<ItemSummary>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM task_views v JOIN tasks t ON t.id = v.task \
             WHERE v.view = ?1 ORDER BY v.updated_at DESC, t.id LIMIT ?2 OFFSET ?3"
        );
        Ok(self
            .summaries(
                &sql,
                &[&view.code(), &(limit as i64), &(offset as i64)],
                now,
            )?
            .into_iter()
            .map(|(s, _)| s)
            .collect())
    }

    /// How many items each view holds.
    pub fn view_counts(&self) -> Result<Vec<(View, u64)>> {
        let mut out = Vec::new();
        for (name, view) in View::NAMES {
            let n: i64 = self.conn.query_row(
                "SELECT COUNT(*) FROM task_views WHERE view = ?1",
                [name],
                |r| r.get(0),
            )?;
            out.push((view, n as u64));
        }
        Ok(out)
    }

    /// The server's events of an item as held: (place, hash, event).
    pub fn trail(&self, task: TaskId) -> Result<Vec<(u64, String, Event)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT task_seq, hash, body FROM events WHERE task = ?1 ORDER BY task_seq",
        )?;
        let rows = stmt.query_map([task.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (seq, hash, body) = r?;
            out.push((seq as u64, hash, serde_json::from_str(&body)?));
        }
        Ok(out)
    }

    /// Every item held.
    pub fn task_ids(&self) -> Result<Vec<TaskId>> {
        let mut stmt = self.conn.prepare("SELECT id FROM tasks ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            if let Ok(id) = r?.parse() {
                out.push(TaskId(id));
            }
        }
        Ok(out)
    }

    fn names(&self) -> Result<HashMap<String, String>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name FROM people")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The organisation's units, in the order the organisation lists them (for pickers).
    pub fn unit_list(&self) -> Result<Vec<UnitLine>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, parent, name, name_en FROM units ORDER BY sort, name")?;
        let rows = stmt.query_map([], |r| {
            Ok(UnitLine {
                id: r.get(0)?,
                parent: r.get(1)?,
                name: r.get(2)?,
                name_en: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An item's detail, with its whole trail (the server's steps verified, then the pending
    /// ones), or `None` if the device does not hold it.
    pub fn item(&self, task: TaskId, now: DateTime<Utc>) -> Result<Option<ItemDetail>> {
        let org = self.org_or_err()?;
        let id = task.to_string();
        // The authoritative state (not the view) is replayed with the pending commands.
        let row = self
            .conn
            .query_row(
                "SELECT t.id, t.state, t.pending, t.updated_at, t.number, t.confidential \
                 FROM tasks t WHERE t.id = ?1 AND t.stale = 0",
                [&id],
                |r| {
                    let confidential: Option<String> = r.get(5)?;
                    Ok((summary_row(r)?, confidential))
                },
            )
            .optional()?;
        let Some(((facts, state), confidential)) = row else {
            return Ok(None);
        };
        let auth: TaskState = serde_json::from_str(&state)?;
        let r = replay(&self.conn, org, task, &auth)?;
        let names = self.names()?;
        let name = |u: UserId| {
            if u == UserId::SYSTEM {
                "系统 / System".to_owned()
            } else {
                names.get(&u.to_string()).cloned().unwrap_or_default()
            }
        };
        let mut trail = Vec::new();
        let mut entries = Vec::new();
        let mut prev = Hash::GENESIS;
        for (seq, hash, event) in self.trail(task)? {
            trail.push(TrailLine::of(&event, Some((seq, hash.clone())), org, &name));
            let h = Hash::from_hex(&hash).unwrap_or_default();
            entries.push(TrailEntry {
                task,
                seq,
                prev,
                hash: h,
                event,
            });
            prev = h;
        }
        let verified = verify(task, &entries).is_ok();
        let events: Vec<_> = entries.into_iter().map(|e| e.event).collect();
        let evidence = check_evidence(&events, &org.policy);
        let photo_pairs = photo_pairs(&events);
        for (_, event) in &r.provisional {
            trail.push(TrailLine::of(event, None, org, &name));
        }
        let pending_commands = load_task_commands(&self.conn, task)?
            .into_iter()
            .map(PendingCommand::of)
            .collect();
        let attention = self
            .attention()?
            .into_iter()
            .filter(|a| a.task == task)
            .collect();
        let view = r.view.into_owned();
        let bodies: HashMap<ReportId, &ReportBody> = events
            .iter()
            .chain(r.provisional.iter().map(|(_, e)| e))
            .filter_map(|e| match &e.kind {
                EventKind::ProgressReported { report, .. }
                | EventKind::CompletionReported { report, .. } => Some((report.id, report)),
                _ => None,
            })
            .collect();
        let mut content = String::new();
        for e in events.iter().chain(r.provisional.iter().map(|(_, e)| e)) {
            match &e.kind {
                EventKind::Registered(reg) => content.clone_from(&reg.content),
                EventKind::DraftAmended(p) => {
                    if let Some(c) = &p.content {
                        content.clone_from(c);
                    }
                }
                _ => {}
            }
        }
        let reports = view
            .reports
            .iter()
            .map(|record| ReportLine {
                record: record.clone(),
                by_name: name(record.by),
                text: bodies
                    .get(&record.id)
                    .map(|b| b.text.clone())
                    .unwrap_or_default(),
                evidence: bodies
                    .get(&record.id)
                    .map(|b| b.evidence.clone())
                    .unwrap_or_default(),
            })
            .collect();
        Ok(Some(ItemDetail {
            summary: summary(org, facts, &view, now)?,
            duties: duties(&view, &org.context(now))
                .into_iter()
                .map(DutyLine::of)
                .collect(),
            acts: acts_on_offer(&view, &org.context(now)),
            state: view,
            confidential: confidential.map(|c| serde_json::from_str(&c)).transpose()?,
            trail,
            verified,
            pending: pending_commands,
            attention,
            evidence,
            photo_pairs,
            reports,
            content,
        }))
    }

    /// The notifications, newest first, at most `limit`.
    pub fn notifications(&self, limit: usize) -> Result<Vec<NotificationEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, task, kind, zh, en, at, read_at, task_seq FROM notifications \
             ORDER BY at DESC, id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (id, task, kind, zh, en, at, read, task_seq) = r?;
            let Ok(task) = task.parse() else { continue };
            out.push(NotificationEntry {
                id,
                task: TaskId(task),
                task_seq: task_seq as u64,
                kind,
                zh,
                en,
                at: from_millis(at),
                read: read.is_some(),
            });
        }
        Ok(out)
    }

    /// How many notifications are unread.
    pub fn unread(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM notifications WHERE read_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Marks a notification read (`None`: all of them).
    pub fn mark_read(&mut self, id: Option<i64>, now: DateTime<Utc>) -> Result<()> {
        self.commit_load()?;
        self.conn.execute(
            "UPDATE notifications SET read_at = ?2 WHERE read_at IS NULL AND (?1 IS NULL OR id = ?1)",
            params![id, millis(now)],
        )?;
        Ok(())
    }

    /// Notifications read here whose receipt the server has not had, at most `limit`, as
    /// the server knows them (item and event).
    pub fn unsent_receipts(&self, limit: usize) -> Result<Vec<EventRef>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT task, task_seq FROM notifications WHERE receipt_sent = 0 \
             AND read_at IS NOT NULL ORDER BY read_at, id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (task, seq) = r?;
            if let Ok(task) = task.parse() {
                out.push(EventRef {
                    task: TaskId(task),
                    task_seq: seq as u64,
                });
            }
        }
        Ok(out)
    }

    /// The server has these receipts.
    pub fn receipts_sent(&mut self, sent: &[EventRef]) -> Result<()> {
        self.commit_load()?;
        let tx = self.conn.transaction()?;
        for e in sent {
            tx.prepare_cached(
                "UPDATE notifications SET receipt_sent = 1 WHERE task = ?1 AND task_seq = ?2",
            )?
            .execute(params![e.task.to_string(), e.task_seq as i64])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The commands not yet confirmed by the server, in order.
    pub fn pending(&self) -> Result<Vec<PendingCommand>> {
        Ok(self.outbox()?.into_iter().map(PendingCommand::of).collect())
    }
}
