//! The authority: every command, from a phone, a web page, the scheduler or the demo seeder,
//! is applied here, with the core's rules, atomically.
//!
//! One transaction per push, one savepoint per command ([`apply_all`]; a web page's act is a
//! push of one, [`apply`]): claim the command's id (a retry finds the stored outcome and gets
//! it back, never a second application), lock and load the item, allocate numbers, split off
//! confidential attributes, check the actor may cite the files cited, `decide`, then write
//! the events (hash-chained), the item's projection and who may see it. The feed rows of all
//! the push's accepted commands are appended last, since allocating their sequence numbers
//! serialises commits. See docs/adr/0010-a-push-in-one-transaction.md.

mod number;
mod project;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use duban_core::domain::batch::subtask_commands;
use duban_core::domain::decide::parent_of;
use duban_core::domain::model::BlobRef;
use duban_core::domain::order::NonAcceptance;
use duban_core::domain::permission::{may_view, split_confidential};
use duban_core::domain::Code;
use duban_core::domain::{
    decide, evolve, Actor, Command, Context, Event, EventKind, Rejection, TaskId, TaskState,
};
use duban_core::protocol::CommandEnvelope;

use crate::db::commands::{self, CommandKey};
use crate::db::tasks::{self, StoredTask};
use crate::db::{Backend, Batch, DbError, Tx};
use crate::org::{to_json, Org};
use crate::AppState;

pub use crate::db::commands::{Outcome, Recorded};
/// The storage encoding of a unit-like enum, now in [`crate::db`]; kept here for the
/// modules that still name it by this path.
use number::Numbers;

/// Why a command could not be applied (nothing was written). A refusal by the rules is not
/// an error: it is an [`Outcome`].
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    /// The command conflicts with another: its id was used before, by another person or
    /// for another command (`command.id_reused`), or its writes collided with data written
    /// meanwhile (`conflict`, a uniqueness or reference constraint). A client treats it as
    /// that command's refusal.
    #[error("{0}")]
    Conflict(Rejection),
    /// The database failed, or what it holds does not decode.
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for AuthorityError {
    fn from(e: DbError) -> AuthorityError {
        if e.is_constraint() {
            AuthorityError::Conflict(Rejection::new(
                "conflict",
                "数据冲突(重复或引用不存在的记录)",
                "conflict with existing data (a duplicate, or a reference to a missing record)",
            ))
        } else {
            AuthorityError::Db(e)
        }
    }
}

fn id_reused_rejection() -> Rejection {
    Rejection::new(
        "command.id_reused",
        "该命令编号已用于另一条命令",
        "this command id was already used for a different command",
    )
}

fn id_reused() -> AuthorityError {
    AuthorityError::Conflict(id_reused_rejection())
}

fn fingerprint(env: &CommandEnvelope) -> String {
    blake3::hash(to_json(&(&env.task, &env.command)).as_bytes())
        .to_hex()
        .to_string()
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

/// The state of a command's parent item ([`parent_of`]), for the reach rules: from an item
/// changed earlier in this transaction, else as stored (not locked: only its lead and
/// handlers are consulted, and a command on the parent commits on its own).
async fn load_parent(
    tx: &mut Tx,
    earlier: &[Applied],
    parent: TaskId,
) -> Result<Option<TaskState>, AuthorityError> {
    if let Some(a) = earlier.iter().rev().find(|a| a.task == parent) {
        return Ok(Some(a.after.clone()));
    }
    Ok(tasks::state(tx, parent).await?)
}

/// The link of a refusal as a duplicate (`RefuseOrder { reason: AlreadyAccepted { of } }`),
/// checked once the rules allowed the command (the core does not hold the other order): `of`
/// must be another hotline order, accepted, that the actor may read. An order that does not
/// exist and one the actor may not read are refused alike, telling nothing of the latter.
async fn duplicate_link(
    tx: &mut Tx,
    who: &Who<'_>,
    task: TaskId,
    command: &Command,
    earlier: &[Applied],
) -> Result<Option<Rejection>, AuthorityError> {
    let Command::RefuseOrder {
        reason: NonAcceptance::AlreadyAccepted { of, .. },
        ..
    } = command
    else {
        return Ok(None);
    };
    if *of == task {
        return Ok(Some(Rejection::invalid(
            "order.duplicate_of_itself",
            "重复件须关联另一张已受理的工单,不能关联本工单",
            "a duplicate is linked to another accepted work order, not to itself",
        )));
    }
    let linked = load_parent(tx, earlier, *of).await?;
    let Some(linked) = linked.filter(|s| may_view(s, who.actor, &who.org.tree)) else {
        return Ok(Some(Rejection::invalid(
            "order.duplicate_unknown",
            "关联的原工单不存在或您无权查看",
            "the linked work order does not exist or you may not read it",
        )));
    };
    match &linked.order {
        Some(o) if o.accepted_at().is_some() => Ok(None),
        Some(_) => Ok(Some(Rejection::invalid(
            "order.duplicate_not_accepted",
            "关联的原工单尚未受理,不能作为重复件的依据",
            "the linked work order is not accepted; a duplicate is linked to an accepted one",
        ))),
        None => Ok(Some(Rejection::invalid(
            "order.duplicate_not_an_order",
            "关联的事项不是热线工单",
            "the linked item is not a hotline work order",
        ))),
    }
}

/// A registration that carries the upper platform's order number registered already for
/// another item: refused (the platform intake and the spreadsheet import answer with the
/// item registered before; the unique key of `hotline_platform_orders` refuses a race).
async fn platform_number_taken(
    tx: &mut Tx,
    task: TaskId,
    command: &Command,
) -> Result<Option<Rejection>, AuthorityError> {
    let Command::Register(r) = command else {
        return Ok(None);
    };
    let Some((line, number)) = r
        .order
        .as_ref()
        .and_then(|o| o.platform_number.as_ref().map(|n| (o.line, n)))
    else {
        return Ok(None);
    };
    let found = crate::db::hotline::platform_order(&mut *tx, line.code(), number.trim()).await?;
    Ok(found
        .filter(|t| *t != task.to_string())
        .map(|_| platform_number_rejection(number.trim())))
}

/// The refusal of a platform order number registered already.
pub fn platform_number_rejection(number: &str) -> Rejection {
    Rejection::invalid(
        "order.platform_number_taken",
        format!("平台工单编号“{number}”已登记"),
        format!("the platform order number “{number}” is registered already"),
    )
}

/// What an accepted command changes, item by item.
struct Applied {
    task: TaskId,
    before: Option<StoredTask>,
    after: TaskState,
    events: Vec<Event>,
}

/// What a command's items allocate before they are written: numbers, and the confidential
/// attributes split off their registrations.
#[derive(Default)]
struct Book {
    numbers: Numbers,
    secrets: BTreeMap<TaskId, BTreeMap<String, String>>,
    /// The item as read together with the command's id (SQLite), to spare a second read.
    preloaded: Option<(TaskId, Option<StoredTask>)>,
}

/// Who acts, when, in which organisation.
struct Who<'a> {
    org: &'a Org,
    actor: &'a Actor,
    now: DateTime<Utc>,
}

/// Prepares and decides one command on one item against its stored state; returns the
/// events or the rule's refusal. Numbers given are kept in `book` for writing on success.
/// `earlier`: the items this command changed before (not written yet).
async fn decide_one(
    tx: &mut Tx,
    who: &Who<'_>,
    task: TaskId,
    mut command: Command,
    allocate: bool,
    book: &mut Book,
    earlier: &[Applied],
) -> Result<Result<Applied, Rejection>, AuthorityError> {
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
            let before = tasks::lock(tx, task).await?;
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
            let category = r.category.clone();
            book.numbers
                .give(tx, org, &category, now, &mut r.number)
                .await?;
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
            book.numbers
                .give(tx, org, &current.category, now, &mut spec.number)
                .await?;
        }
        _ => {}
    }
    // A command may cite a file only if its actor may use it: they uploaded it, or may read
    // an item that cites it already.
    for b in command.files() {
        let found = crate::db::blobs::usable(&mut *tx, &b.hash.to_ascii_lowercase(), actor).await?;
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
    if let Some(r) = platform_number_taken(tx, task, &command).await? {
        return Ok(Err(r));
    }
    match decide(&current, &command, &ctx) {
        Err(r) => Ok(Err(r)),
        Ok(events) => {
            if let Some(r) = duplicate_link(tx, who, task, &command, earlier).await? {
                return Ok(Err(r));
            }
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

/// Applies one command (a push of one): see [`apply_all`]. A command that conflicts with
/// another is an [`AuthorityError::Conflict`].
pub async fn apply(
    state: &AppState,
    org: &Org,
    actor: &Actor,
    env: &CommandEnvelope,
    now: DateTime<Utc>,
) -> Result<Outcome, AuthorityError> {
    apply_all(state, org, actor, std::slice::from_ref(env), now)
        .await?
        .pop()
        .ok_or_else(|| AuthorityError::Db(DbError::Corrupt("no outcome".into())))?
        .map_err(AuthorityError::Conflict)
}

/// How many times a push's transaction is begun again after PostgreSQL chose it as a
/// deadlock's victim (two pushes locking the same items in another order).
const RETRIES: usize = 5;

/// Applies the commands of one push, in order, in as few write transactions as it takes
/// (one, unless the database makes it retry): each command in a savepoint of its own, so
/// that it is decided against the state the one before it left, and a command refused or
/// failing leaves no trace of itself and undoes none of its neighbours. Each gets its own
/// answer: its outcome (accepted with its events, refused by the rules, or the stored
/// outcome of a command sent before under its id), or the [`Rejection`] of a conflict (its
/// id used for another command, or a write that collided with data written meanwhile).
///
/// The feed rows of the commands accepted are appended together, last, so the feed's
/// counter is taken only for the moment before commit and commits stay in sequence order
/// (ADR 0003). An `Err` means the database failed at one command: the commands before it
/// are committed (a retry of the push gets their stored outcomes), it and those after are
/// not applied. See docs/adr/0010-a-push-in-one-transaction.md.
pub async fn apply_all(
    state: &AppState,
    org: &Org,
    actor: &Actor,
    envs: &[CommandEnvelope],
    now: DateTime<Utc>,
) -> Result<Vec<Result<Outcome, Rejection>>, AuthorityError> {
    let mut results: Vec<Result<Outcome, Rejection>> = Vec::with_capacity(envs.len());
    let mut retries = 0;
    while results.len() < envs.len() {
        let mut tx = state.db.write().await?;
        let rest: Vec<_> = envs[results.len()..]
            .iter()
            .map(|e| (e.id, e.task))
            .collect();
        let mut claims = commands::claim_all(&mut tx, &rest).await?;
        let mut pending = commands::Pending::default();
        let mut done = Vec::new();
        let mut failed = None;
        for env in &envs[results.len()..] {
            // A command id given twice in one push: the second is the first's retry.
            if let Some(i) = envs[..results.len() + done.len()]
                .iter()
                .position(|e| e.id == env.id)
            {
                done.push(Step::Same(i, fingerprint(&envs[i]) == fingerprint(env)));
                continue;
            }
            tx.savepoint().await?;
            match apply_in(&mut tx, org, actor, env, now, &mut pending, claims.as_mut()).await {
                Ok(step) => {
                    tx.release_savepoint().await?;
                    let numbered = matches!(step, Step::Accepted { numbered: true, .. });
                    done.push(step);
                    if numbered && tx.backend() == Backend::Postgres {
                        // PostgreSQL holds the number book's row lock to commit: commit
                        // now rather than make every desk registering items wait for the
                        // rest of this push.
                        break;
                    }
                }
                Err(AuthorityError::Conflict(r)) => {
                    tx.rollback_to_savepoint().await?;
                    tx.release_savepoint().await?;
                    done.push(Step::Conflict(r));
                }
                Err(AuthorityError::Db(e)) => {
                    tx.rollback_to_savepoint().await?;
                    tx.release_savepoint().await?;
                    failed = Some(e);
                    break;
                }
            }
        }
        let mut events = pending.write(&mut tx).await?.into_iter();
        tx.commit().await?;
        let mut notified = false;
        for step in done {
            const ACCEPTED: &str = "duban_commands_total{outcome=\"accepted\"}";
            const REJECTED: &str = "duban_commands_total{outcome=\"rejected\"}";
            const REPLAYED: &str = "duban_commands_total{outcome=\"replayed\"}";
            let (metric, result) = match step {
                Step::Accepted {
                    notified: notify, ..
                } => {
                    notified |= notify;
                    let events = events.next().unwrap_or_default();
                    (Some(ACCEPTED), Ok(Outcome::Accepted(events)))
                }
                Step::Refused(r) => (Some(REJECTED), Ok(Outcome::Refused(r))),
                Step::Stored(o) => (Some(REPLAYED), Ok(o)),
                Step::Conflict(r) => (None, Err(r)),
                Step::Same(i, true) => (Some(REPLAYED), results[i].clone()),
                Step::Same(_, false) => (None, Err(id_reused_rejection())),
            };
            if let Some(metric) = metric {
                state.metrics.count(metric);
            }
            results.push(result);
        }
        if notified {
            state.deliveries.notify_one();
        }
        if let Some(e) = failed {
            if e.is_retryable() && retries < RETRIES {
                retries += 1;
                continue;
            }
            return Err(AuthorityError::Db(e));
        }
    }
    Ok(results)
}

/// What became of one command of a push, before its transaction commits.
enum Step {
    /// Accepted (its events come from [`commands::Pending::write`]).
    Accepted {
        /// Whether it notified anyone.
        notified: bool,
        /// Whether it took an item number.
        numbered: bool,
    },
    /// Refused by the rules (recorded).
    Refused(Rejection),
    /// Sent before: the stored outcome.
    Stored(Outcome),
    /// In conflict with another command or with data written meanwhile (nothing recorded).
    Conflict(Rejection),
    /// The same id as the command at this place in the push: the same command (its
    /// outcome stands) or not (`command.id_reused`).
    Same(usize, bool),
}

/// Applies one command inside a push's transaction, after its savepoint: claims its id (a
/// command applied or refused before gets its stored outcome back), decides it, and writes
/// what it changes. A refusal by the rules undoes everything since the savepoint and keeps
/// only the refusal, so that a retry gets the same answer. An `Err` leaves the caller to
/// roll back to the savepoint.
async fn apply_in(
    tx: &mut Tx,
    org: &Org,
    actor: &Actor,
    env: &CommandEnvelope,
    now: DateTime<Utc>,
    pending: &mut commands::Pending,
    mut claims: Option<&mut commands::Claims>,
) -> Result<Step, AuthorityError> {
    let print = fingerprint(env);
    let key = CommandKey {
        id: env.id,
        user: actor.id,
        task: env.task,
        fingerprint: &print,
        at: now.timestamp_millis(),
    };
    // SQLite: read with the push's other claims; PostgreSQL: claimed here.
    let mut claim = match claims.as_deref_mut() {
        Some(c) => c.claim(env.id, env.task),
        None => commands::claim(tx, &key).await?,
    };
    if let Some(seen) = claim.seen() {
        if seen.user != actor.id.to_string() || seen.fingerprint != print {
            return Err(id_reused());
        }
        return Ok(Step::Stored(seen.outcome()?));
    }

    let mut book = Book {
        preloaded: claim.item().map(|item| (env.task, item)),
        ..Book::default()
    };
    let mut applied = Vec::new();
    let who = Who { org, actor, now };
    let first = decide_one(
        tx,
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
                    match decide_one(tx, &who, spec.child, command, false, &mut book, &applied)
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
        tx.rollback_to_savepoint().await?;
        if let Some(theirs) = commands::record_refusal(tx, &key, &r).await? {
            // Someone else recorded it meanwhile: theirs stands.
            return Ok(Step::Stored(theirs));
        }
        return Ok(Step::Refused(r));
    }

    let mut batch = Batch::default();
    book.numbers.queue(&mut batch);
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
    let mut heads = Vec::with_capacity(applied.len());
    for a in &applied {
        heads.push(project::write_item(
            &mut batch,
            org,
            a,
            book.secrets.get(&a.task),
            now,
            &mut feed,
            &mut records,
        )?);
    }
    commands::record_accepted(tx, &key, batch, pending, feed, records).await?;
    if let Some(claims) = claims {
        for (a, head) in applied.into_iter().zip(heads) {
            claims.update(
                a.task,
                StoredTask {
                    state: a.after,
                    head,
                },
            );
        }
    }
    Ok(Step::Accepted {
        notified: notified > 0,
        numbered: book.numbers.any(),
    })
}
