//! The authority: every command, from a phone, a web page, the scheduler or the demo seeder,
//! is applied here, with the core's rules, in its own transaction.
//!
//! One transaction per command: claim the command's id (a retry finds the stored outcome
//! and gets it back, never a second application), lock and load the item, allocate numbers,
//! split off confidential attributes, check the actor may cite the files cited, `decide`,
//! then write the events (hash-chained), the item's projection, who may see it, and the feed
//! rows — the feed rows last, since allocating their sequence numbers serialises commits.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Utc};
use duban_core::domain::batch::{next_wake, subtask_commands};
use duban_core::domain::decide::parent_of;
use duban_core::domain::model::BlobRef;
use duban_core::domain::permission::{audience, confidential_audience, split_confidential};
use duban_core::domain::trail::{entry_hash, Hash};
use duban_core::domain::{
    decide, evolve, Actor, Command, Context, Event, EventKind, Rejection, TaskId, TaskState,
};
use duban_core::protocol::{CommandEnvelope, EventRecord, PushOutcome};
use serde_json::value::RawValue;

use crate::db::{sqlite, Backend, Batch, NewChange, Tx, Val};
use crate::error::ApiError;
use crate::org::{from_json, to_json, Org};
use crate::{args, AppState};

/// An outcome whose event payloads are stored JSON, passed through untouched.
pub type Outcome = PushOutcome<Box<RawValue>>;

/// An item as stored.
struct Stored {
    state: TaskState,
    head: Hash,
}

async fn load(tx: &mut Tx, task: TaskId) -> Result<Option<Stored>, ApiError> {
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT state, head FROM tasks WHERE id = $1",
        Backend::Postgres => "SELECT state, head FROM tasks WHERE id = $1 FOR UPDATE",
    };
    let Some(row) = tx.row(sql, args![task.to_string()]).await? else {
        return Ok(None);
    };
    stored(Some(row.text(0)?), Some(row.text(1)?))
}

/// The state of a command's parent item ([`parent_of`]), for the reach rules: from an item
/// changed earlier in this transaction, else as stored (not locked: only its lead and
/// handlers are consulted, and a command on the parent commits on its own).
async fn load_parent(
    tx: &mut Tx,
    earlier: &[Applied],
    parent: TaskId,
) -> Result<Option<TaskState>, ApiError> {
    if let Some(a) = earlier.iter().rev().find(|a| a.task == parent) {
        return Ok(Some(a.after.clone()));
    }
    let row = tx
        .row(
            "SELECT state FROM tasks WHERE id = $1",
            args![parent.to_string()],
        )
        .await?;
    match row {
        Some(r) => Ok(Some(from_json(&r.text(0)?)?)),
        None => Ok(None),
    }
}

/// An item from its stored state and trail head (`None` if it does not exist yet).
fn stored(state: Option<String>, head: Option<String>) -> Result<Option<Stored>, ApiError> {
    let (Some(state), Some(head)) = (state, head) else {
        return Ok(None);
    };
    let state: TaskState = from_json(&state)?;
    let head =
        Hash::from_hex(&head).ok_or_else(|| ApiError::internal("stored trail head is not hex"))?;
    Ok(Some(Stored { state, head }))
}

fn fingerprint(env: &CommandEnvelope) -> String {
    blake3::hash(to_json(&(&env.task, &env.command)).as_bytes())
        .to_hex()
        .to_string()
}

fn raw(json: String) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(json).map_err(ApiError::internal)
}

/// A file the actor may not cite: not stored, cited with another size, or stored but neither
/// sent by the actor nor cited by an item they may read — one refusal for all, so that it
/// tells nothing about whether someone else stored the file.
fn missing_file(b: &BlobRef) -> Rejection {
    Rejection::invalid(
        "blob.missing",
        format!(
            "附件 {} 未由您上传(或大小不符),也不属于您可查阅的事项,请先上传文件",
            b.name
        ),
        format!(
            "the file {} was not uploaded by you (or its size differs) and no item you may read cites it; upload it first",
            b.name
        ),
    )
}

/// Numbers are the server's to give: the client's provisional number is replaced by the
/// next one of the prefix and year (categories sharing a prefix share one sequence, so no
/// two items show the same number), locked for the rest of the transaction.
async fn allocate_number(
    tx: &mut Tx,
    org: &Org,
    category: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, i32, u32, String)>, ApiError> {
    let Some(def) = org.policy.category(category) else {
        return Ok(None);
    };
    let year = org.calendar.to_local(now).year();
    let category = def.prefix.as_str();
    // One statement that creates the row if needed and, on PostgreSQL, locks it (an upsert's
    // update takes the row lock) until the transaction ends.
    let last = tx
        .row(
            "INSERT INTO numbers (category, year, last) VALUES ($1, $2, 0) \
             ON CONFLICT (category, year) DO UPDATE SET last = numbers.last RETURNING last",
            args![category, i64::from(year)],
        )
        .await?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    let next = u32::try_from(last + 1).map_err(ApiError::internal)?;
    Ok(Some((def.prefix.clone(), year, next, def.prefix.clone())))
}

/// What an accepted command changes, item by item.
struct Applied {
    task: TaskId,
    before: Option<Stored>,
    after: TaskState,
    events: Vec<Event>,
}

/// What a command's items allocate before they are written: numbers, and the confidential
/// attributes split off their registrations.
#[derive(Default)]
struct Book {
    numbers: Vec<(String, i32, u32)>,
    secrets: BTreeMap<TaskId, BTreeMap<String, String>>,
    /// The item as read together with the command's id (SQLite), to spare a second read.
    preloaded: Option<(TaskId, Option<Stored>)>,
}

/// Who acts, when, in which organisation.
struct Who<'a> {
    org: &'a Org,
    actor: &'a Actor,
    now: DateTime<Utc>,
}

/// Prepares and decides one command on one item against its stored state; returns the
/// events or the rule's refusal. Numbers allocated are returned for writing on success.
/// `earlier`: the items this command changed before (not written yet).
async fn decide_one(
    tx: &mut Tx,
    who: &Who<'_>,
    task: TaskId,
    mut command: Command,
    allocate: bool,
    book: &mut Book,
    earlier: &[Applied],
) -> Result<Result<Applied, Rejection>, ApiError> {
    let (org, actor, now) = (who.org, who.actor, who.now);
    let pending = earlier.iter().find(|x| x.task == task);

    // An item created earlier in this transaction is not written yet: continue from memory.
    let preloaded = match book.preloaded.take() {
        Some((t, stored)) if t == task => Some(stored),
        _ => None,
    };
    let (before, current) = match (pending, preloaded) {
        (Some(p), _) => (None, p.after.clone()),
        (None, Some(before)) => {
            let current = before.as_ref().map(|s| s.state.clone()).unwrap_or_default();
            (before, current)
        }
        (None, None) => {
            let before = load(tx, task).await?;
            let current = before.as_ref().map(|s| s.state.clone()).unwrap_or_default();
            (before, current)
        }
    };
    let parent_id = parent_of(&current, &command);
    let parent = match parent_id {
        Some(p) => load_parent(tx, earlier, p).await?,
        None => None,
    };
    let parent = parent_id.zip(parent.as_ref());
    match &mut command {
        Command::Register(r) if allocate => {
            if let Some((cat, year, seq, prefix)) =
                allocate_number(tx, org, &r.category.clone(), now).await?
            {
                let seq = seq
                    + book
                        .numbers
                        .iter()
                        .filter(|n| n.0 == cat && n.1 == year)
                        .count() as u32;
                r.number.prefix = prefix;
                r.number.year = year;
                r.number.seq = seq;
                book.numbers.push((cat, year, seq));
            }
            let hidden = split_confidential(r, &org.policy);
            if !hidden.is_empty() {
                // Decide on the full registration (required attributes may be confidential),
                // keep only the rest in the trail.
                let mut full = (**r).clone();
                full.attributes.extend(hidden.clone());
                let ctx = Context {
                    actor,
                    now,
                    calendar: &org.calendar,
                    policy: &org.policy,
                    units: &org.tree,
                    parent,
                };
                if let Err(rejection) = decide(&current, &Command::Register(Box::new(full)), &ctx) {
                    return Ok(Err(rejection));
                }
                book.secrets.insert(task, hidden);
            }
        }
        Command::Decompose(spec) if allocate => {
            let category = current.category.clone();
            if let Some((cat, year, seq, prefix)) = allocate_number(tx, org, &category, now).await?
            {
                let seq = seq
                    + book
                        .numbers
                        .iter()
                        .filter(|n| n.0 == cat && n.1 == year)
                        .count() as u32;
                spec.number.prefix = prefix;
                spec.number.year = year;
                spec.number.seq = seq;
                book.numbers.push((cat, year, seq));
            }
        }
        _ => {}
    }
    // A command may cite a file only if its actor may use it: they uploaded it, or may read
    // an item that cites it already.
    for b in command.files() {
        let found = crate::routes::blobs::usable(tx, &b.hash.to_ascii_lowercase(), actor).await?;
        if found.map(|f| f.size) != Some(b.size as i64) {
            return Ok(Err(missing_file(b)));
        }
    }
    let ctx = Context {
        actor,
        now,
        calendar: &org.calendar,
        policy: &org.policy,
        units: &org.tree,
        parent,
    };
    match decide(&current, &command, &ctx) {
        Err(r) => Ok(Err(r)),
        Ok(events) => {
            let after = events.iter().fold(current, evolve);
            Ok(Ok(Applied {
                task,
                before,
                after,
                events,
            }))
        }
    }
}

/// Applies one command. Rejections by the rules are outcomes, not errors; an `Err` means
/// the request itself failed (nothing was written).
pub async fn apply(
    state: &AppState,
    org: &Org,
    actor: &Actor,
    env: &CommandEnvelope,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    let mut tx = state.db.write().await?;
    let id = env.id.to_string();
    let print = fingerprint(env);
    // Has this command been applied (or refused) before? On PostgreSQL the id is claimed
    // with an insert, which makes a concurrent retry wait for this transaction and then find
    // its outcome. SQLite's single writer already excludes that, so one read answers both
    // this and where the feed's numbers continue.
    let mut preloaded = None;
    let (seen, counter) = match tx.backend() {
        Backend::Postgres => {
            let claimed = tx
                .exec(
                    "INSERT INTO commands (id, user_id, task, fingerprint, outcome, at) VALUES ($1, $2, $3, $4, '', $5) \
                     ON CONFLICT (id) DO NOTHING",
                    args![id.as_str(), actor.id.to_string(), env.task.to_string(), print.as_str(), now.timestamp_millis()],
                )
                .await?;
            let seen = if claimed == 0 {
                tx.row(
                    "SELECT user_id, fingerprint, outcome FROM commands WHERE id = $1",
                    args![id.as_str()],
                )
                .await?
                .map(|r| Ok::<_, ApiError>((r.text(0)?, r.text(1)?, r.text(2)?)))
                .transpose()?
            } else {
                None
            };
            (seen, 0)
        }
        Backend::Sqlite => {
            let row = tx
                .row(
                    "SELECT (SELECT user_id FROM commands WHERE id = $1), (SELECT fingerprint FROM commands WHERE id = $1), \
                     (SELECT outcome FROM commands WHERE id = $1), (SELECT value FROM counters WHERE name = 'changes'), \
                     (SELECT state FROM tasks WHERE id = $2), (SELECT head FROM tasks WHERE id = $2)",
                    args![id.as_str(), env.task.to_string()],
                )
                .await?
                .ok_or_else(|| ApiError::internal("no row"))?;
            let seen = match (row.opt_text(0)?, row.opt_text(1)?, row.opt_text(2)?) {
                (Some(u), Some(f), Some(o)) => Some((u, f, o)),
                _ => None,
            };
            preloaded = Some((env.task, stored(row.opt_text(4)?, row.opt_text(5)?)?));
            (seen, row.int(3)?)
        }
    };
    if let Some((user, print_seen, outcome)) = seen {
        if user != actor.id.to_string() || print_seen != print {
            return Err(ApiError::conflict(
                "command.id_reused",
                "该命令编号已用于另一条命令",
                "this command id was already used for a different command",
            ));
        }
        state
            .metrics
            .count("duban_commands_total{outcome=\"replayed\"}");
        return stored_outcome(&outcome);
    }

    let mut book = Book {
        preloaded,
        ..Book::default()
    };
    let mut applied = Vec::new();
    let who = Who { org, actor, now };
    let first = decide_one(
        &mut tx,
        &who,
        env.task,
        env.command.clone(),
        true,
        &mut book,
        &[],
    )
    .await?;
    let mut rejection = None;
    match first {
        Err(r) => rejection = Some(r),
        Ok(a) => {
            // A decomposition also creates the subtask, as the decomposer, at once.
            let children: Vec<_> = a
                .events
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Decomposed(spec) => Some((**spec).clone()),
                    _ => None,
                })
                .collect();
            let parent_state = a.after.clone();
            applied.push(a);
            for spec in children {
                for command in subtask_commands(env.task, &parent_state, &spec, actor.id) {
                    match decide_one(
                        &mut tx, &who, spec.child, command, false, &mut book, &applied,
                    )
                    .await?
                    {
                        Ok(child) => {
                            // Dispatch follows Register on the same (not yet written) item.
                            if let Some(prev) = applied.iter_mut().find(|x| x.task == child.task) {
                                prev.events.extend(child.events);
                                prev.after = child.after;
                            } else {
                                applied.push(child);
                            }
                        }
                        Err(r) => {
                            rejection = Some(r);
                            break;
                        }
                    }
                }
            }
        }
    }
    if let Some(r) = rejection {
        // Only the claim and the refusal are kept: retrying gets the same answer.
        drop(tx);
        let mut tx = state.db.write().await?;
        let outcome: Outcome = PushOutcome::Rejected {
            id: env.id,
            task: env.task,
            code: r.code.clone(),
            zh: r.zh.clone(),
            en: r.en.clone(),
        };
        let stored = tx
            .exec(
                "INSERT INTO commands (id, user_id, task, fingerprint, outcome, at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (id) DO NOTHING",
                args![id.as_str(), actor.id.to_string(), env.task.to_string(), print.as_str(), to_json(&outcome), now.timestamp_millis()],
            )
            .await?;
        if stored == 0 {
            // Someone else applied it between our two transactions: theirs stands.
            let row = tx
                .row(
                    "SELECT outcome FROM commands WHERE id = $1",
                    args![id.as_str()],
                )
                .await?
                .ok_or_else(|| ApiError::internal("claimed command vanished"))?;
            return stored_outcome(&row.text(0)?);
        }
        tx.commit().await?;
        state
            .metrics
            .count("duban_commands_total{outcome=\"rejected\"}");
        return Ok(outcome);
    }

    let mut batch = Batch::default();
    for (cat, year, seq) in &book.numbers {
        batch.push(
            "UPDATE numbers SET last = $1 WHERE category = $2 AND year = $3 AND last < $1",
            args![i64::from(*seq), cat.as_str(), i64::from(*year)],
        );
    }
    let mut feed = Vec::new();
    let mut records = Vec::new();
    let mut notified = 0;
    for a in &applied {
        let before = a
            .before
            .as_ref()
            .map(|s| s.state.clone())
            .unwrap_or_default();
        notified += crate::notify::queue(&mut batch, org, a.task, &before, &a.events, now);
    }
    for a in &applied {
        write_item(
            &mut batch,
            org,
            a,
            book.secrets.get(&a.task),
            now,
            &mut feed,
            &mut records,
        );
    }
    let outcome = |first_seq: i64| -> Result<Outcome, ApiError> {
        let mut events = Vec::new();
        for (i, (task, task_seq, hash, json)) in records.iter().enumerate() {
            if let Some(offset) = feed_offsets(&feed, i) {
                events.push(EventRecord {
                    seq: first_seq + offset as i64,
                    task: *task,
                    task_seq: *task_seq,
                    hash: hash.clone(),
                    event: raw(json.clone())?,
                });
            }
        }
        Ok(PushOutcome::Accepted {
            id: env.id,
            task: env.task,
            events,
        })
    };
    let outcome = match tx.backend() {
        Backend::Sqlite => {
            // Everything in one call: the single writer read the counter at the start.
            let first = counter + 1;
            sqlite::queue_changes(&mut batch, first, &feed);
            let outcome = outcome(first)?;
            batch.push(
                "INSERT INTO commands (id, user_id, task, fingerprint, outcome, at) VALUES ($1, $2, $3, $4, $5, $6)",
                args![id.as_str(), actor.id.to_string(), env.task.to_string(), print.as_str(), to_json(&outcome), now.timestamp_millis()],
            );
            tx.run(batch).await?;
            outcome
        }
        Backend::Postgres => {
            tx.run(batch).await?;
            let outcome = outcome(tx.append_changes(&feed).await?)?;
            tx.exec(
                "UPDATE commands SET outcome = $1 WHERE id = $2",
                args![to_json(&outcome), id.as_str()],
            )
            .await?;
            outcome
        }
    };
    tx.commit().await?;
    if notified > 0 {
        state.deliveries.notify_one();
    }
    state
        .metrics
        .count("duban_commands_total{outcome=\"accepted\"}");
    Ok(outcome)
}

/// A stored outcome. (An internally tagged enum cannot hold raw JSON while it is read, so
/// it is read as values and turned back into raw JSON.)
fn stored_outcome(json: &str) -> Result<Outcome, ApiError> {
    let outcome: PushOutcome<serde_json::Value> = from_json(json)?;
    Ok(match outcome {
        PushOutcome::Accepted { id, task, events } => PushOutcome::Accepted {
            id,
            task,
            events: events
                .into_iter()
                .map(|e| {
                    Ok(EventRecord {
                        seq: e.seq,
                        task: e.task,
                        task_seq: e.task_seq,
                        hash: e.hash,
                        event: raw(to_json(&e.event))?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
        },
        PushOutcome::Rejected {
            id,
            task,
            code,
            zh,
            en,
        } => PushOutcome::Rejected {
            id,
            task,
            code,
            zh,
            en,
        },
    })
}

/// The position in `feed` of the `i`-th event row.
fn feed_offsets(feed: &[NewChange], i: usize) -> Option<usize> {
    feed.iter()
        .enumerate()
        .filter(|(_, c)| c.kind == "event")
        .nth(i)
        .map(|(pos, _)| pos)
}

type Record = (TaskId, u64, String, String);

/// Writes one item's new events, projection, audience and relations; queues its feed rows.
fn write_item(
    batch: &mut Batch,
    org: &Org,
    a: &Applied,
    hidden: Option<&BTreeMap<String, String>>,
    now: DateTime<Utc>,
    feed: &mut Vec<NewChange>,
    records: &mut Vec<Record>,
) {
    let task = a.task.to_string();
    let at = now.timestamp_millis();
    let old = a.before.as_ref().map(|s| &s.state);

    // Who may see it: on a change, the feed carries the before and after audiences
    // (placed before the events, so a newcomer's grant holds the history up to them).
    let keys = |s: Option<&TaskState>, secret: bool| -> BTreeSet<String> {
        s.map(|s| {
            let set = if secret {
                confidential_audience(s, &org.tree)
            } else {
                audience(s, &org.tree)
            };
            set.iter().map(ToString::to_string).collect()
        })
        .unwrap_or_default()
    };
    let (view_before, view_after) = (keys(old, false), keys(Some(&a.after), false));
    let (secret_before, secret_after) = (keys(old, true), keys(Some(&a.after), true));
    if view_before != view_after || secret_before != secret_after {
        batch.push(
            "DELETE FROM task_audience WHERE task = $1",
            args![task.as_str()],
        );
        insert_keys(batch, &task, "view", &view_after);
        insert_keys(batch, &task, "secret", &secret_after);
        feed.push(NewChange {
            kind: "access",
            task: Some(task.clone()),
            task_seq: None,
            hash: None,
            body: to_json(&serde_json::json!({
                "view_before": view_before, "view_after": view_after,
                "version_before": old.map_or(0, |s| s.version),
                "secret_before": secret_before, "secret_after": secret_after,
            })),
            at,
        });
    }

    // The trail.
    let mut prev = a.before.as_ref().map_or(Hash::GENESIS, |s| s.head);
    let mut task_seq = a.before.as_ref().map_or(0, |s| s.state.version);
    for e in &a.events {
        task_seq += 1;
        let hash = entry_hash(a.task, task_seq, prev, e);
        prev = hash;
        let json = to_json(e);
        feed.push(NewChange {
            kind: "event",
            task: Some(task.clone()),
            task_seq: Some(task_seq as i64),
            hash: Some(hash.to_hex()),
            body: json.clone(),
            at,
        });
        records.push((a.task, task_seq, hash.to_hex(), json));
        for b in e.kind.files() {
            batch.push(
                "INSERT INTO blob_refs (hash, task) VALUES ($1, $2) ON CONFLICT (hash, task) DO NOTHING",
                args![b.hash.to_ascii_lowercase(), task.as_str()],
            );
        }
        if let EventKind::Instructed { .. } = e.kind {
            batch.push(
                "INSERT INTO task_people (task, relation, user_id) VALUES ($1, 'instructed', $2) \
                 ON CONFLICT (task, relation, user_id) DO NOTHING",
                args![task.as_str(), e.actor.to_string()],
            );
        }
    }
    if let Some(fields) = hidden {
        batch.push(
            "INSERT INTO task_secrets (task, fields) VALUES ($1, $2) ON CONFLICT (task) DO UPDATE SET fields = excluded.fields",
            args![task.as_str(), to_json(fields)],
        );
        feed.push(NewChange {
            kind: "secret",
            task: Some(task.clone()),
            task_seq: None,
            hash: None,
            body: to_json(fields),
            at,
        });
    }

    // The projection.
    let s = &a.after;
    let created = s
        .created
        .as_ref()
        .map(|m| m.at.timestamp_millis())
        .unwrap_or(at);
    let state_json = to_json(s);
    let cols = args![
        task.as_str(),
        s.version as i64,
        prev.to_hex(),
        state_json,
        enum_text(&s.status),
        s.category.as_str(),
        enum_text(&s.urgency),
        enum_text(&s.visibility),
        s.number
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        s.title.as_str(),
        s.lead.map(|l| l.unit.to_string()),
        s.parent.map(|p| p.to_string()),
        s.creator().map(|c| c.to_string()),
        s.deadline.map(|d| d.timestamp_millis()),
        created,
        at,
        next_wake(s, now, &org.calendar, &org.policy).map(crate::scheduler::wake_millis)
    ];
    batch.push(
        "INSERT INTO tasks (id, version, head, state, status, category, urgency, visibility, number, title, \
         lead_unit, parent, creator, deadline, created_at, updated_at, wake_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, head = excluded.head, state = excluded.state, \
         status = excluded.status, category = excluded.category, urgency = excluded.urgency, \
         visibility = excluded.visibility, number = excluded.number, title = excluded.title, \
         lead_unit = excluded.lead_unit, parent = excluded.parent, creator = excluded.creator, \
         deadline = excluded.deadline, updated_at = excluded.updated_at, wake_at = excluded.wake_at",
        cols,
    );

    let (people_before, units_before) = old.map(relations).unwrap_or_default();
    let (people_after, units_after) = relations(s);
    if people_before != people_after {
        batch.push(
            "DELETE FROM task_people WHERE task = $1 AND relation <> 'instructed'",
            args![task.as_str()],
        );
        insert_rows(
            batch,
            "task_people (task, relation, user_id)",
            &task,
            &people_after,
        );
    }
    if units_before != units_after {
        batch.push(
            "DELETE FROM task_units WHERE task = $1",
            args![task.as_str()],
        );
        insert_rows(
            batch,
            "task_units (task, relation, unit)",
            &task,
            &units_after,
        );
    }
}

/// Inserts `(task, a, b)` rows in one statement, skipping any already there.
fn insert_rows(
    batch: &mut Batch,
    table: &str,
    task: &str,
    rows: &BTreeSet<(&'static str, String)>,
) {
    if rows.is_empty() {
        return;
    }
    let mut sql = format!("INSERT INTO {table} VALUES ");
    let mut vals: Vec<Val> = Vec::with_capacity(rows.len() * 3);
    for (i, (a, b)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3));
        vals.push(Val::from(task));
        vals.push(Val::from(*a));
        vals.push(Val::from(b.as_str()));
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    batch.push(&sql, vals);
}

fn insert_keys(batch: &mut Batch, task: &str, tier: &str, keys: &BTreeSet<String>) {
    if keys.is_empty() {
        return;
    }
    let mut sql = String::from("INSERT INTO task_audience (task, tier, key) VALUES ");
    let mut vals: Vec<Val> = Vec::with_capacity(keys.len() * 3);
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3));
        vals.push(Val::from(task));
        vals.push(Val::from(tier));
        vals.push(Val::from(k.as_str()));
    }
    batch.push(&sql, vals);
}

/// A unit-like enum's serde name (`in_progress`).
pub fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

type Relations = (
    BTreeSet<(&'static str, String)>,
    BTreeSet<(&'static str, String)>,
);

/// The people and units an item names, for the views of R8.2.
fn relations(s: &TaskState) -> Relations {
    let mut people = BTreeSet::new();
    let mut units = BTreeSet::new();
    let mut person = |rel: &'static str, u: Option<duban_core::domain::UserId>| {
        if let Some(u) = u {
            people.insert((rel, u.to_string()));
        }
    };
    person("creator", s.creator());
    person("instructed", s.instructing_leader);
    person("responsible", s.responsible_leader);
    person("responsible", s.deputy_leader);
    person("reviewer", s.effective_reviewer());
    person("report_approver", s.report_approver);
    if let Some(lead) = s.lead {
        person("lead", lead.user);
        units.insert(("lead", lead.unit.to_string()));
    }
    for p in &s.participants {
        person("participant", p.user);
        units.insert(("participant", p.unit.to_string()));
    }
    for u in &s.sharers {
        person("sharer", Some(*u));
    }
    for u in &s.followers {
        person("follower", Some(*u));
    }
    for u in &s.approval.chain {
        person("approver", Some(*u));
    }
    (people, units)
}
