//! Taking in what the server says — a page of the feed, the outcomes of a push — and
//! rebuilding the projections of the items it touched: the view (the authoritative state
//! with the pending commands replayed on top), the views an item appears in and what it
//! asks of the person.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Savepoint, Transaction};
use uuid::Uuid;

use super::outbox::{load_task_commands, parent_view, to_attention, OutboxEntry, OutboxState};
use super::{
    get_meta, key, millis, put_person, put_unit, set_meta, Org, Result, Store, StoreError,
};
use crate::domain::derived::describe::notice;
use crate::domain::derived::duty::duties;
use crate::domain::derived::view::{views_of, Viewer};
use crate::domain::trail::{entry_hash_json, Hash};
use crate::domain::Code;
use crate::domain::{decide, evolve, Context, Event, Rejection, TaskId, TaskState, UnitId};
use crate::protocol::{
    Change, EventRecord, EventRef, PullResponse, PushOutcome, PushResponse, Reference,
};

/// What a page of the feed did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageOutcome {
    /// The server asked for a new snapshot (the person's roles or unit changed).
    pub resync: bool,
    /// Items purged from the device (access lost).
    pub purged: Vec<TaskId>,
    /// Events taken in.
    pub events: usize,
    /// Notifications read elsewhere that this page marked read.
    pub read: usize,
}

/// What a push's outcomes did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushSummary {
    /// Commands the server applied.
    pub accepted: usize,
    /// Commands it refused (now needing attention).
    pub rejected: usize,
    /// Later commands that depended on a refused one and can no longer apply (also needing
    /// attention).
    pub dependent: usize,
}

/// An item's authoritative part, as held while a page is taken in.
#[derive(Clone, Debug, Default)]
pub(crate) struct Held {
    pub version: u64,
    pub head: Hash,
    pub state: TaskState,
    /// `Some(new value)` when the confidential fields changed.
    pub confidential: Option<Option<String>>,
    /// When the last event taken in happened.
    pub last_at: Option<DateTime<Utc>>,
    /// `state` is the fold of all `version` events (else only the head is known: an item
    /// read back from disk while the items are loaded from the start of the feed).
    pub folded: bool,
}

/// The folds kept in memory between the pages of a load from the start of the feed
/// ([`Store::begin_rebase`] … [`Store::end_rebase`]), so that each item is folded once, as
/// its events arrive, and never read back. Only a cache of what the disk holds: an entry is
/// used only while its version and head are the ones on disk.
#[derive(Debug, Default)]
pub(crate) struct Bulk {
    /// Each item's fold so far.
    folds: HashMap<TaskId, Held>,
    /// Changes taken in since the last commit.
    changes: usize,
    /// The trail heads (version, head) of the items the pages since the last commit touched,
    /// written to their rows once, just before the commit ([`Store::commit_load`]), not
    /// once per page. Only the heads of pages taken in whole are here.
    heads: HashMap<TaskId, (u64, Hash)>,
    /// Every item the store holds is in `folds` (a load from an empty store, taken in
    /// whole so far): an item not there has no row to read.
    whole: bool,
}

impl Bulk {
    /// Forgets every fold (any change to the store other than taking in pages). The heads
    /// still to write are not forgotten: they go with the next commit.
    pub(crate) fn clear(&mut self) {
        self.folds = HashMap::new();
        self.whole = false;
    }

    /// The load starts from a store with no items.
    pub(crate) fn start_empty(&mut self) {
        self.folds = HashMap::new();
        self.whole = true;
    }
}

/// Writes the trail heads of items loaded from the start of the feed to their rows (made
/// `stale`: their states and projections are built at the end of the load).
fn write_heads<'a>(
    tx: &Connection,
    heads: impl IntoIterator<Item = (&'a TaskId, &'a (u64, Hash))>,
) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO tasks (id, version, head, state, pending, status, title, \
         category, urgency, updated_at, stale) \
         VALUES (?1, ?2, ?3, 'null', 0, 'new', '', '', 'normal', 0, 1) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, \
         head = excluded.head, stale = 1",
    )?;
    for (task, (version, head)) in heads {
        stmt.execute(params![task.to_string(), *version as i64, head.to_hex()])?;
    }
    Ok(())
}

/// While the items are loaded from the start of the feed, pages are taken in inside one
/// transaction, each page in a savepoint, committed once this many changes are in (and at the
/// end of the load, and before any other change to the store): each commit writes the pages
/// of the database it dirtied once, not once per page. The cursor moves with the pages, so a
/// load cut short resumes from the last commit.
pub(crate) const LOAD_COMMIT_CHANGES: usize = 50_000;

/// A change's scope: its own transaction, or a savepoint in the open load.
enum Scope<'c> {
    Tx(Transaction<'c>),
    Save(Savepoint<'c>),
}

impl std::ops::Deref for Scope<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Scope::Tx(t) => t,
            Scope::Save(s) => s,
        }
    }
}

impl Scope<'_> {
    fn commit(self) -> rusqlite::Result<()> {
        match self {
            Scope::Tx(t) => t.commit(),
            Scope::Save(s) => s.commit(),
        }
    }
}

fn parse_task(s: &str) -> Option<TaskId> {
    s.parse().ok().map(TaskId)
}

fn load_held(tx: &Connection, task: TaskId) -> Result<Held> {
    load_held_part(tx, task, true)
}

/// An item's authoritative part; without `state`, only its trail's head (while loading
/// from the start of the feed).
fn load_held_part(tx: &Connection, task: TaskId, state: bool) -> Result<Held> {
    let sql = if state {
        "SELECT version, head, state FROM tasks WHERE id = ?1 AND stale = 0"
    } else {
        "SELECT version, head, 'null' FROM tasks WHERE id = ?1"
    };
    let row = tx
        .prepare_cached(sql)?
        .query_row([task.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    match row {
        None => Ok(Held {
            folded: true,
            ..Held::default()
        }),
        Some((version, head, json)) => Ok(Held {
            version: version as u64,
            head: Hash::from_hex(&head).unwrap_or(Hash::GENESIS),
            state: if state {
                serde_json::from_str(&json)?
            } else {
                TaskState::default()
            },
            confidential: None,
            last_at: None,
            folded: state,
        }),
    }
}

/// The item's authoritative part among those held (while loading from the start of the
/// feed, the folds kept between pages, changed in place), noted as touched by this page: on
/// first use, a head not written yet (unless the item was purged since), else read (unless
/// `none_stored`: the caller knows the store has no row for an item not held, a new item
/// then).
#[allow(clippy::too_many_arguments)]
fn held_mut<'a>(
    held: &'a mut HashMap<TaskId, Held>,
    touched: &mut HashSet<TaskId>,
    heads: &HashMap<TaskId, (u64, Hash)>,
    revoked: &[TaskId],
    none_stored: bool,
    tx: &Connection,
    task: TaskId,
    state: bool,
) -> Result<&'a mut Held> {
    touched.insert(task);
    Ok(match held.entry(task) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        // A head not written yet is newer than the row on disk.
        std::collections::hash_map::Entry::Vacant(e) => match heads.get(&task) {
            Some(&(version, head)) if !state && !revoked.contains(&task) => e.insert(Held {
                version,
                head,
                ..Held::default()
            }),
            _ if none_stored => e.insert(Held {
                folded: true,
                ..Held::default()
            }),
            _ => e.insert(load_held_part(tx, task, state)?),
        },
    })
}

/// Appends one event of the server to an item held, checking its place and its hash, and
/// folds it into the state if the state is the fold so far. Returns `None` if the event was
/// already held, else the state before it (if `before`; else an empty state).
fn append(
    insert: &mut rusqlite::CachedStatement<'_>,
    held: &mut Held,
    rec: &EventRecord<Event>,
    before: bool,
) -> Result<Option<TaskState>> {
    if rec.task_seq <= held.version {
        // Already held (the same event in a grant's history and as an event).
        return Ok(None);
    }
    if rec.task_seq != held.version + 1 {
        return Err(StoreError::Trail {
            task: rec.task,
            detail: format!(
                "event {} arrived while {} are held",
                rec.task_seq, held.version
            ),
        });
    }
    // Serialised once: hashed, then kept.
    let body = serde_json::to_string(&rec.event)?;
    let hash = entry_hash_json(rec.task, rec.task_seq, held.head, &body);
    if Hash::from_hex(&rec.hash) != Some(hash) {
        return Err(StoreError::Trail {
            task: rec.task,
            detail: format!("event {} does not match its hash", rec.task_seq),
        });
    }
    insert.execute(params![
        rec.task.to_string(),
        rec.task_seq as i64,
        rec.seq,
        rec.hash,
        body
    ])?;
    let before = if held.folded {
        let state = std::mem::take(&mut held.state);
        let kept = if before {
            state.clone()
        } else {
            TaskState::default()
        };
        held.state = evolve(state, &rec.event);
        kept
    } else {
        TaskState::default()
    };
    held.version = rec.task_seq;
    held.head = hash;
    held.last_at = Some(rec.event.at);
    Ok(Some(before))
}

impl Store {
    /// Takes in one page of the feed, in one transaction: events (checked against their
    /// trail hashes), grants, revocations (the item is purged), confidential fields and
    /// reference data; then moves the cursor to `page.next` and rebuilds the items touched,
    /// recording the notifications their new events bring. While the items are loaded from
    /// the start of the feed ([`Store::begin_rebase`]) only the events and each trail's head
    /// are kept; [`Store::end_rebase`] builds the states and projections once.
    pub fn apply_page(
        &mut self,
        page: &PullResponse<Event>,
        now: DateTime<Utc>,
    ) -> Result<PageOutcome> {
        let defer = self.rebasing()?;
        if !defer {
            self.commit_load()?;
        } else if self.conn.is_autocommit() {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.bulk.changes = 0;
        }
        match self.take_page(page, now, defer) {
            Ok(out) => {
                if defer {
                    self.bulk.changes += page.changes.len();
                    if self.bulk.changes >= LOAD_COMMIT_CHANGES || !page.more || out.resync {
                        self.commit_load()?;
                    }
                }
                Ok(out)
            }
            Err(e) => {
                // The pages before this one are whole: they stay.
                let _ = self.commit_load();
                Err(e)
            }
        }
    }

    /// Commits the pages taken in since the last commit of a load from the start of the
    /// feed, if any are open, with the trail heads they brought.
    pub(crate) fn commit_load(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            write_heads(&self.conn, &self.bulk.heads)?;
            self.conn.execute_batch("COMMIT")?;
        }
        self.bulk.heads = HashMap::new();
        self.bulk.changes = 0;
        Ok(())
    }

    fn take_page(
        &mut self,
        page: &PullResponse<Event>,
        now: DateTime<Utc>,
        defer: bool,
    ) -> Result<PageOutcome> {
        let notify = !defer;
        let mut org = self.org.clone().ok_or(StoreError::NotSignedIn)?;
        let ref_seq: i64 = get_meta(&self.conn, key::REF_SEQ)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        // The items held: while loading from the start of the feed, the folds kept from the
        // pages before, changed in place (back after this page commits, dropped if it
        // fails); else only those of this page. `touched`: the items of this page.
        let mut held = std::mem::take(&mut self.bulk.folds);
        // Back only if this page is taken in whole.
        let mut whole = std::mem::replace(&mut self.bulk.whole, false) && defer;
        if !defer {
            held.clear();
        }
        let mut touched: HashSet<TaskId> = HashSet::new();
        let heads = &self.bulk.heads;
        let tx = if self.conn.is_autocommit() {
            Scope::Tx(self.conn.transaction()?)
        } else {
            Scope::Save(self.conn.savepoint()?)
        };
        let mut out = PageOutcome::default();
        let mut org_changed = false;
        let mut notices = Vec::new();
        let mut read_elsewhere: Vec<EventRef> = Vec::new();
        // Items purged by this page: their heads not written yet go too.
        let mut revoked = Vec::new();
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (task, task_seq, seq, hash, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for change in &page.changes {
            match change {
                Change::Event(rec) => {
                    let h = held_mut(
                        &mut held,
                        &mut touched,
                        heads,
                        &revoked,
                        whole,
                        &tx,
                        rec.task,
                        !defer,
                    )?;
                    if let Some(before) = append(&mut insert, h, rec, notify)? {
                        out.events += 1;
                        if notify {
                            notices.push((
                                rec.task,
                                rec.task_seq,
                                before,
                                h.state.clone(),
                                rec.event.clone(),
                            ));
                        }
                    }
                }
                Change::Grant {
                    task,
                    events,
                    confidential,
                    ..
                } => {
                    tx.execute("DELETE FROM events WHERE task = ?1", [task.to_string()])?;
                    let mut h = Held {
                        folded: true,
                        ..Held::default()
                    };
                    for rec in events {
                        if let Some(before) = append(&mut insert, &mut h, rec, notify)? {
                            out.events += 1;
                            if notify && rec.task_seq as usize == events.len() {
                                notices.push((
                                    *task,
                                    rec.task_seq,
                                    before,
                                    h.state.clone(),
                                    rec.event.clone(),
                                ));
                            }
                        }
                    }
                    h.confidential = Some(
                        confidential
                            .as_ref()
                            .map(serde_json::to_string)
                            .transpose()?,
                    );
                    held.insert(*task, h);
                    touched.insert(*task);
                }
                Change::Revoke { task, .. } => {
                    held.remove(task);
                    touched.remove(task);
                    tx.execute("DELETE FROM tasks WHERE id = ?1", [task.to_string()])?;
                    tx.execute("DELETE FROM events WHERE task = ?1", [task.to_string()])?;
                    notices.retain(|n| n.0 != *task);
                    out.purged.push(*task);
                    revoked.push(*task);
                }
                Change::Confidential { task, .. } | Change::ConfidentialRevoke { task, .. } => {
                    let h = held_mut(
                        &mut held,
                        &mut touched,
                        heads,
                        &revoked,
                        whole,
                        &tx,
                        *task,
                        !defer,
                    )?;
                    h.confidential = Some(match change {
                        Change::Confidential { fields, .. } => Some(serde_json::to_string(fields)?),
                        _ => None,
                    });
                }
                Change::Reference { seq, reference } => {
                    if *seq > ref_seq {
                        apply_reference(&tx, &mut org, reference)?;
                        set_meta(&tx, key::REF_SEQ, &seq.to_string())?;
                        org_changed = true;
                    }
                }
                // A reset older than the reference data held is already reflected in it
                // (the feed from 0 holds every reset there ever was).
                Change::Resync { seq } => out.resync |= *seq > ref_seq,
                // Marked once this page's own notifications are in (below).
                Change::Read { events, .. } => read_elsewhere.extend(events.iter().cloned()),
            }
        }
        if org_changed {
            set_meta(&tx, key::ME, &serde_json::to_string(&org.me)?)?;
            set_meta(&tx, key::POLICY, &serde_json::to_string(&org.policy)?)?;
        }
        let cursor: i64 = get_meta(&tx, key::CURSOR)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let next = page.next.max(cursor);
        set_meta(&tx, key::CURSOR, &next.to_string())?;
        // Commands whose events this page (or an earlier one) brought leave the outbox.
        let mut landed = Vec::new();
        {
            let mut stmt = tx.prepare(
                "DELETE FROM outbox WHERE state = 'accepted' AND landed <= ?1 RETURNING task",
            )?;
            let rows = stmt.query_map([next], |r| r.get::<_, String>(0))?;
            for r in rows {
                if let Some(t) = parse_task(&r?) {
                    landed.push(t);
                }
            }
        }
        drop(insert);
        // While loading from the start of the feed, the heads are written at the commit
        // (`commit_load`); an item whose row this page changes otherwise has it now.
        let page_heads: Vec<(TaskId, (u64, Hash))> = if defer {
            touched
                .iter()
                .filter_map(|task| held.get(task).map(|h| (*task, (h.version, h.head))))
                .collect()
        } else {
            Vec::new()
        };
        if defer {
            write_heads(
                &tx,
                page_heads
                    .iter()
                    .filter(|(task, _)| held.get(task).is_some_and(|h| h.confidential.is_some()))
                    .map(|(task, head)| (task, head)),
            )?;
            if !landed.is_empty() {
                write_heads(
                    &tx,
                    heads.iter().filter(|(task, _)| !revoked.contains(task)),
                )?;
                write_heads(&tx, page_heads.iter().map(|(task, head)| (task, head)))?;
            }
        }
        for (task, h) in touched.iter().filter_map(|t| held.get_key_value(t)) {
            if !defer {
                rebuild(&tx, &org, *task, Some(h), now)?;
            }
            if let Some(conf) = &h.confidential {
                tx.execute(
                    "UPDATE tasks SET confidential = ?2 WHERE id = ?1",
                    params![task.to_string(), conf],
                )?;
            }
        }
        for task in landed {
            if !touched.contains(&task) && !out.purged.contains(&task) {
                // A row of an item not in the folds, perhaps.
                whole = false;
                rebuild(&tx, &org, task, None, now)?;
            }
        }
        for (task, task_seq, before, after, event) in notices {
            if let Some(n) = notice(&before, &event, &after, &org.context(now)) {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO notifications (task, task_seq, kind, zh, en, at) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ?1)",
                )?
                .execute(params![
                    task.to_string(),
                    task_seq as i64,
                    n.kind.code(),
                    n.zh,
                    n.en,
                    millis(event.at)
                ])?;
            }
        }
        // Read on the web or another device: read here too, and the server needs no receipt.
        for e in &read_elsewhere {
            tx.prepare_cached(
                "UPDATE notifications SET read_at = COALESCE(read_at, ?3), receipt_sent = 1 \
                 WHERE task = ?1 AND task_seq = ?2",
            )?
            .execute(params![e.task.to_string(), e.task_seq as i64, millis(now)])?;
            out.read += 1;
        }
        crate::fault::point("store.page");
        tx.commit()?;
        if org_changed {
            self.org = Some(org);
        }
        if defer {
            for task in revoked {
                self.bulk.heads.remove(&task);
            }
            self.bulk.heads.extend(page_heads);
            for task in &touched {
                if let Some(h) = held.get_mut(task) {
                    h.confidential = None;
                }
            }
            self.bulk.folds = held;
            self.bulk.whole = whole;
        }
        Ok(out)
    }

    /// Ends loading the items from the start of the feed: folds every item taken in since
    /// [`Store::begin_rebase`] and builds its projections, in one transaction.
    pub fn end_rebase(&mut self, now: DateTime<Utc>) -> Result<()> {
        let org = self.org.clone().ok_or(StoreError::NotSignedIn)?;
        self.commit_load()?;
        let mut kept = std::mem::take(&mut self.bulk.folds);
        self.bulk.whole = false;
        let tx = self.conn.transaction()?;
        let stale: Vec<(TaskId, i64, String)> = {
            let mut stmt = tx.prepare("SELECT id, version, head FROM tasks WHERE stale = 1")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut ids = Vec::new();
            for r in rows {
                let (id, version, head) = r?;
                ids.extend(parse_task(&id).map(|t| (t, version, head)));
            }
            ids
        };
        let known = Known::read(&tx)?;
        // Many items to project: their views' and duties' secondary indexes are built once
        // at the end (sorted) rather than entry by entry, in the same transaction.
        let deferred = if stale.len() >= DEFER_INDEXES_ITEMS {
            drop_projection_indexes(&tx)?
        } else {
            Vec::new()
        };
        for (task, version, head) in stale {
            // The fold kept in memory, if it is the fold of what the disk holds.
            if let Some(held) = kept.remove(&task) {
                if held.folded
                    && held.version as i64 == version
                    && Hash::from_hex(&head) == Some(held.head)
                {
                    rebuild_known(&tx, &org, task, Some(&held), now, Some(&known))?;
                    continue;
                }
            }
            let mut held = load_held_part(&tx, task, false)?;
            let mut stmt =
                tx.prepare_cached("SELECT body FROM events WHERE task = ?1 ORDER BY task_seq")?;
            let bodies = stmt.query_map([task.to_string()], |r| r.get::<_, String>(0))?;
            let mut state = TaskState::default();
            for body in bodies {
                let event: Event = serde_json::from_str(&body?)?;
                held.last_at = Some(event.at);
                state = evolve(state, &event);
            }
            drop(stmt);
            held.state = state;
            rebuild_known(&tx, &org, task, Some(&held), now, Some(&known))?;
        }
        for sql in &deferred {
            tx.execute_batch(sql)?;
        }
        tx.execute("DELETE FROM meta WHERE key = ?1", [key::REBASE])?;
        tx.commit()?;
        Ok(())
    }

    /// Records the outcomes of a push, in one transaction. Accepted commands wait in the
    /// outbox (not sent again) until the feed brings their events; refused ones leave it for
    /// the "needs attention" list, and so do later commands on the same item that can no
    /// longer apply without them.
    pub fn record_push(
        &mut self,
        response: &PushResponse<Event>,
        now: DateTime<Utc>,
    ) -> Result<PushSummary> {
        self.commit_load()?;
        self.bulk.clear();
        let org = self.org.clone().ok_or(StoreError::NotSignedIn)?;
        let tx = self.conn.transaction()?;
        let cursor: i64 = get_meta(&tx, key::CURSOR)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut summary = PushSummary::default();
        let mut touched = BTreeSet::new();
        // Per item, the first refused command's position and id.
        let mut refused: BTreeMap<TaskId, (i64, Uuid)> = BTreeMap::new();
        let answered: BTreeSet<Uuid> = response
            .results
            .iter()
            .map(|r| match r {
                PushOutcome::Accepted { id, .. } | PushOutcome::Rejected { id, .. } => *id,
            })
            .collect();
        for outcome in &response.results {
            match outcome {
                PushOutcome::Accepted { id, task, events } => {
                    touched.insert(*task);
                    for e in events {
                        touched.insert(e.task);
                    }
                    let landed = events.iter().map(|e| e.seq).max().unwrap_or(0);
                    if landed <= cursor {
                        tx.execute("DELETE FROM outbox WHERE id = ?1", [id.to_string()])?;
                    } else {
                        tx.execute(
                            "UPDATE outbox SET state = ?2, landed = ?3, attempts = attempts + 1, \
                             last_error = NULL WHERE id = ?1",
                            params![id.to_string(), OutboxState::Accepted.as_str(), landed],
                        )?;
                    }
                    summary.accepted += 1;
                }
                PushOutcome::Rejected {
                    id,
                    task,
                    code,
                    zh,
                    en,
                } => {
                    touched.insert(*task);
                    let reason = Rejection::new(code, zh.clone(), en.clone());
                    if let Some(pos) = to_attention(&tx, *id, &reason, None, now)? {
                        refused.entry(*task).or_insert((pos, *id));
                        summary.rejected += 1;
                    }
                }
            }
        }
        for task in touched {
            let failed = rebuild(&tx, &org, task, None, now)?;
            let Some((pos, cause)) = refused.get(&task).copied() else {
                continue;
            };
            let mut moved = false;
            for (id, at, reason) in failed {
                if at > pos && !answered.contains(&id) {
                    to_attention(&tx, id, &reason, Some(cause), now)?;
                    summary.dependent += 1;
                    moved = true;
                }
            }
            if moved {
                rebuild(&tx, &org, task, None, now)?;
            }
        }
        crate::fault::point("store.push");
        tx.commit()?;
        Ok(summary)
    }
}

fn apply_reference(tx: &Connection, org: &mut Org, reference: &Reference) -> Result<()> {
    match reference {
        Reference::Unit(u) => {
            put_unit(tx, u)?;
            org.units.insert(u.id, u.parent);
        }
        Reference::Person(p) => {
            put_person(tx, p)?;
            if p.id == org.me.id {
                org.me = p.clone();
                org.actor = super::actor_of(p);
            }
        }
        Reference::Policy(p) => org.policy = (**p).clone(),
        Reference::Calendar(y) => {
            let _ = org.calendar.import_year(y.clone());
            let years: Vec<_> = org.calendar.years().cloned().collect();
            set_meta(tx, key::CALENDAR, &serde_json::to_string(&years)?)?;
        }
    }
    Ok(())
}

/// The view of an item: its authoritative state with the outbox's commands replayed on
/// top, each at the time it was issued. Returns the view, the events the replay made (with
/// the command that made them) and the commands that no longer apply.
pub(crate) struct Replay<'a> {
    /// The view: the authoritative state itself when nothing is pending (not copied).
    pub view: Cow<'a, TaskState>,
    pub provisional: Vec<(Uuid, Event)>,
    pub failed: Vec<(Uuid, i64, Rejection)>,
    pub pending: usize,
}

pub(crate) fn replay<'a>(
    tx: &rusqlite::Connection,
    org: &Org,
    task: TaskId,
    auth: &'a TaskState,
) -> Result<Replay<'a>> {
    replay_commands(tx, org, auth, load_task_commands(tx, task)?)
}

/// [`replay`] with the item's commands in the outbox already read.
fn replay_commands<'a>(
    tx: &rusqlite::Connection,
    org: &Org,
    auth: &'a TaskState,
    commands: Vec<OutboxEntry>,
) -> Result<Replay<'a>> {
    let mut view = Cow::Borrowed(auth);
    let mut provisional = Vec::new();
    let mut failed = Vec::new();
    let pending = commands.len();
    for c in commands {
        let parent = parent_view(tx, &view, &c.command)?;
        let ctx = Context {
            parent: parent.as_ref().map(|(id, s)| (*id, s)),
            ..org.context(c.issued_at)
        };
        match decide(&view, &c.command, &ctx) {
            Ok(events) => {
                for e in events {
                    view = Cow::Owned(evolve(view.into_owned(), &e));
                    provisional.push((c.id, e));
                }
            }
            Err(r) => {
                if c.state == OutboxState::Queued {
                    failed.push((c.id, c.pos, r));
                }
            }
        }
    }
    Ok(Replay {
        view,
        provisional,
        failed,
        pending,
    })
}

/// From this many items to project at the end of a load, the secondary indexes of the views
/// and duties are dropped and built again once they are filled.
const DEFER_INDEXES_ITEMS: usize = 1_000;

/// Drops the secondary indexes of `task_views` and `duties`, returning the SQL that made
/// each (as the schema holds it, so the schema after building them again is the same).
fn drop_projection_indexes(tx: &Connection) -> Result<Vec<String>> {
    let indexes: Vec<(String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
             AND tbl_name IN ('task_views', 'duties') AND sql IS NOT NULL ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
}

/// What the end of a load knows of the whole store, read once rather than once per item.
struct Known {
    /// The items with commands in the outbox.
    commands: HashSet<TaskId>,
    /// The items with views or duties.
    projected: HashSet<TaskId>,
}

impl Known {
    fn read(tx: &Connection) -> Result<Known> {
        let ids = |sql: &str| -> Result<HashSet<TaskId>> {
            let mut stmt = tx.prepare(sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = HashSet::new();
            for r in rows {
                out.extend(parse_task(&r?));
            }
            Ok(out)
        };
        Ok(Known {
            commands: ids("SELECT DISTINCT task FROM outbox")?,
            projected: ids("SELECT task FROM task_views UNION SELECT task FROM duties")?,
        })
    }
}

/// Rebuilds an item's row, views and duties. `auth` is its authoritative part if the caller
/// holds it (else it is read). Returns the queued commands that no longer apply.
pub(crate) fn rebuild(
    tx: &Connection,
    org: &Org,
    task: TaskId,
    auth: Option<&Held>,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, i64, Rejection)>> {
    rebuild_known(tx, org, task, auth, now, None)
}

/// [`rebuild`], skipping the reads and deletes that `known` says find nothing.
fn rebuild_known(
    tx: &Connection,
    org: &Org,
    task: TaskId,
    auth: Option<&Held>,
    now: DateTime<Utc>,
    known: Option<&Known>,
) -> Result<Vec<(Uuid, i64, Rejection)>> {
    let loaded;
    let auth = match auth {
        Some(h) => h,
        None => {
            loaded = load_held(tx, task)?;
            &loaded
        }
    };
    let r = match known {
        Some(k) if !k.commands.contains(&task) => {
            replay_commands(tx, org, &auth.state, Vec::new())?
        }
        _ => replay(tx, org, task, &auth.state)?,
    };
    let id = task.to_string();
    if auth.version == 0 && r.view.version == 0 {
        tx.execute("DELETE FROM tasks WHERE id = ?1", [&id])?;
        return Ok(r.failed);
    }
    let state_json = serde_json::to_string(&auth.state)?;
    let view_json = if r.provisional.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&r.view)?)
    };
    let v = &r.view;
    let updated = v
        .created
        .map(|m| m.at)
        .into_iter()
        .chain(r.provisional.last().map(|(_, e)| e.at))
        .max()
        .unwrap_or(now);
    let last = match auth.last_at {
        Some(t) => Some(t),
        None => last_event_at(tx, task)?,
    };
    let updated = last.map_or(updated, |t| t.max(updated));
    tx.prepare_cached(
        "INSERT INTO tasks (id, version, head, state, view, pending, status, number, title, \
         category, urgency, deadline, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, head = excluded.head, \
         state = excluded.state, view = excluded.view, pending = excluded.pending, \
         status = excluded.status, number = excluded.number, title = excluded.title, \
         category = excluded.category, urgency = excluded.urgency, \
         deadline = excluded.deadline, updated_at = excluded.updated_at, stale = 0",
    )?
    .execute(params![
        id,
        auth.version as i64,
        auth.head.to_hex(),
        state_json,
        view_json,
        r.pending as i64,
        v.status.code(),
        // The server's number: a registration of this device carries a placeholder.
        auth.state.number.as_ref().map(ToString::to_string),
        v.title,
        v.category,
        v.urgency.code(),
        v.deadline.map(millis),
        millis(updated)
    ])?;
    if known.is_none_or(|k| k.projected.contains(&task)) {
        tx.prepare_cached("DELETE FROM task_views WHERE task = ?1")?
            .execute([&id])?;
        tx.prepare_cached("DELETE FROM duties WHERE task = ?1")?
            .execute([&id])?;
    }
    let in_charge: &[UnitId] = &org.me.in_charge;
    let viewer = Viewer {
        actor: &org.actor,
        in_charge,
        units: &org.units,
    };
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO task_views (view, task, updated_at) VALUES (?1, ?2, ?3)",
        )?;
        for view in views_of(v, &viewer) {
            ins.execute(params![view.code(), id, millis(updated)])?;
        }
    }
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO duties (task, duty, approval, due, since) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for duty in duties(v, &org.context(now)) {
            ins.execute(params![
                id,
                duty.code(),
                duty.is_approval(),
                v.deadline.map_or(i64::MAX, millis),
                millis(updated)
            ])?;
        }
    }
    Ok(r.failed)
}

/// The time of an item's last authoritative event.
fn last_event_at(tx: &Connection, task: TaskId) -> Result<Option<DateTime<Utc>>> {
    let body: Option<String> = tx
        .prepare_cached("SELECT body FROM events WHERE task = ?1 ORDER BY task_seq DESC LIMIT 1")?
        .query_row([task.to_string()], |r| r.get(0))
        .optional()?;
    Ok(match body {
        Some(b) => Some(serde_json::from_str::<Event>(&b)?.at),
        None => None,
    })
}
