//! The commands and the change feed: `commands` (each command's id claimed once, with its
//! outcome, so that a retry gets the stored answer and never a second application) and
//! `changes` (the numbered feed every client pulls: events, access changes, confidential
//! fields, reference data and resets), with the queries of a pull and of a snapshot, and
//! whether a command id was sent before (a page's resent form).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use duban_core::domain::{Rejection, TaskId, UserId};
use duban_core::protocol::{EventRecord, PushOutcome};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::audience::visible_sql;
use super::tasks::{json, stored, StoredTask};
use super::{placeholders, Backend, Batch, Db, DbError, NewChange, Row, Tx, Val};
use crate::args;

fn raw(json: String) -> Result<Box<RawValue>, DbError> {
    RawValue::from_string(json).map_err(|e| DbError::Corrupt(format!("json: {e}")))
}

fn task_id(s: &str) -> Result<TaskId, DbError> {
    Uuid::parse_str(s)
        .map(TaskId)
        .map_err(|e| DbError::Corrupt(format!("item id: {e}")))
}

/// One event as the feed recorded it: its place in the feed and in the item's trail, and
/// the event as written (JSON, passed on untouched).
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Position in the change feed.
    pub seq: i64,
    /// The item.
    pub task: TaskId,
    /// Position in the item's trail, from 1.
    pub task_seq: u64,
    /// The trail hash (hex).
    pub hash: String,
    /// The event (JSON).
    pub event: Box<RawValue>,
}

impl From<Recorded> for EventRecord<Box<RawValue>> {
    fn from(r: Recorded) -> Self {
        EventRecord {
            seq: r.seq,
            task: r.task,
            task_seq: r.task_seq,
            hash: r.hash,
            event: r.event,
        }
    }
}

/// What became of a command.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Applied: the events it produced (and those of items it created, e.g. a subtask).
    Accepted(Vec<Recorded>),
    /// Refused by the rules: nothing was applied.
    Refused(Rejection),
}

// Commands

/// A command as the `commands` table records it.
#[derive(Clone, Copy, Debug)]
pub struct CommandKey<'a> {
    /// The command's id (the client's idempotency key).
    pub id: Uuid,
    /// Who sent it.
    pub user: UserId,
    /// The item.
    pub task: TaskId,
    /// The hash of the item and the command, to tell a retry from another command.
    pub fingerprint: &'a str,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// A command recorded before under the same id.
#[derive(Debug)]
pub struct Seen {
    /// Who sent it.
    pub user: String,
    /// Its fingerprint.
    pub fingerprint: String,
    outcome: String,
}

impl Seen {
    /// Its stored outcome.
    pub fn outcome(&self) -> Result<Outcome, DbError> {
        decode(&self.outcome)
    }
}

/// A command's id, claimed in a write transaction; see [`claim`].
#[derive(Debug)]
pub struct Claim {
    seen: Option<Seen>,
    /// SQLite: the item, read with the claim.
    item: Option<Option<StoredTask>>,
}

impl Claim {
    /// The command recorded before under this id, if any.
    pub fn seen(&mut self) -> Option<Seen> {
        self.seen.take()
    }

    /// The command's item, if it was read with the claim (`Some(None)`: it does not exist).
    pub fn item(&mut self) -> Option<Option<StoredTask>> {
        self.item.take()
    }
}

/// Claims the command's id, or finds the command recorded under it. On PostgreSQL the id
/// is claimed with an insert, which makes a concurrent retry wait for this transaction and
/// then find its outcome. SQLite's single writer already excludes that, so reading
/// answers both, and reads the item too (a push reads all its claims at once:
/// [`claim_all`]).
pub async fn claim(tx: &mut Tx, key: &CommandKey<'_>) -> Result<Claim, DbError> {
    let id = key.id.to_string();
    match tx.backend() {
        Backend::Postgres => {
            let claimed = tx
                .exec(
                    "INSERT INTO commands (id, user_id, task, fingerprint, outcome, at) VALUES ($1, $2, $3, $4, '', $5) \
                     ON CONFLICT (id) DO NOTHING",
                    args![id.as_str(), key.user.to_string(), key.task.to_string(), key.fingerprint, key.at],
                )
                .await?;
            let seen = if claimed == 0 {
                tx.row(
                    "SELECT user_id, fingerprint, outcome FROM commands WHERE id = $1",
                    args![id.as_str()],
                )
                .await?
                .map(|r| {
                    Ok::<_, DbError>(Seen {
                        user: r.get_text("user_id")?,
                        fingerprint: r.get_text("fingerprint")?,
                        outcome: r.get_text("outcome")?,
                    })
                })
                .transpose()?
            } else {
                None
            };
            Ok(Claim { seen, item: None })
        }
        // The same reads as a push's claims, for one command.
        Backend::Sqlite => Ok(claim_all(tx, &[(key.id, key.task)])
            .await?
            .ok_or_else(|| DbError::Corrupt("no claims".into()))?
            .claim(key.id, key.task)),
    }
}

/// On SQLite, the claims of a push's commands read at once, at the start of its
/// transaction: the commands recorded before under their ids, and their items. The single
/// writer holds the database meanwhile, so what the transaction's own commands change is
/// all that can change: [`Claims::update`] keeps the items they change.
#[derive(Debug, Default)]
pub struct Claims {
    seen: HashMap<Uuid, Seen>,
    items: HashMap<TaskId, Option<StoredTask>>,
}

impl Claims {
    /// The claim of a command of the push (its id and item among those read).
    pub fn claim(&mut self, id: Uuid, task: TaskId) -> Claim {
        Claim {
            seen: self.seen.remove(&id),
            item: Some(self.items.get(&task).cloned().flatten()),
        }
    }

    /// An item as an accepted command of the transaction left it.
    pub fn update(&mut self, task: TaskId, item: StoredTask) {
        self.items.insert(task, Some(item));
    }
}

/// The claims of a push's commands ([`Claims`]), in two queries; `None` on PostgreSQL,
/// where each command claims its id with an insert (see [`claim`]).
pub async fn claim_all(
    tx: &mut Tx,
    commands: &[(Uuid, TaskId)],
) -> Result<Option<Claims>, DbError> {
    if tx.backend() != Backend::Sqlite {
        return Ok(None);
    }
    let mut claims = Claims::default();
    for chunk in commands.chunks(500) {
        let ids: Vec<Val> = chunk
            .iter()
            .map(|(id, _)| Val::from(id.to_string()))
            .collect();
        let tasks: BTreeSet<String> = chunk.iter().map(|(_, t)| t.to_string()).collect();
        let sql = format!(
            "SELECT id, user_id, fingerprint, outcome FROM commands WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        for r in tx.rows(&sql, ids).await? {
            let id = Uuid::parse_str(&r.get_text("id")?)
                .map_err(|e| DbError::Corrupt(format!("command id: {e}")))?;
            claims.seen.insert(
                id,
                Seen {
                    user: r.get_text("user_id")?,
                    fingerprint: r.get_text("fingerprint")?,
                    outcome: r.get_text("outcome")?,
                },
            );
        }
        let sql = format!(
            "SELECT id, state, head FROM tasks WHERE id IN ({})",
            placeholders(1, tasks.len())
        );
        let mut found = HashMap::new();
        for r in tx.rows(&sql, tasks.iter().map(Val::from).collect()).await? {
            found.insert(
                r.get_text("id")?,
                stored(Some(r.get_text("state")?), Some(r.get_text("head")?))?,
            );
        }
        for (_, task) in chunk {
            let item = found.get(&task.to_string()).cloned().flatten();
            claims.items.insert(*task, item);
        }
    }
    Ok(Some(claims))
}

/// Whether a command was sent before under `id` (a resent form): its outcome stands, so a
/// page answers with it rather than asking anything again.
pub async fn sent_before(db: &Db, id: Uuid) -> Result<bool, DbError> {
    Ok(db
        .row(
            "SELECT id FROM commands WHERE id = $1",
            args![id.to_string()],
        )
        .await?
        .is_some())
}

/// Records a refusal in a transaction of its own (the claim's was rolled back). `None`:
/// recorded, commit; otherwise the outcome someone else recorded between the two
/// transactions, which stands.
pub async fn record_refusal(
    tx: &mut Tx,
    key: &CommandKey<'_>,
    rejection: &Rejection,
) -> Result<Option<Outcome>, DbError> {
    let id = key.id.to_string();
    let stored = tx
        .exec(
            "INSERT INTO commands (id, user_id, task, fingerprint, outcome, at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (id) DO NOTHING",
            args![id.as_str(), key.user.to_string(), key.task.to_string(), key.fingerprint, encode_refusal(key, rejection), key.at],
        )
        .await?;
    if stored > 0 {
        return Ok(None);
    }
    let row = tx
        .row(
            "SELECT outcome FROM commands WHERE id = $1",
            args![id.as_str()],
        )
        .await?
        .ok_or_else(|| DbError::Corrupt("claimed command vanished".into()))?;
    decode(&row.get_text("outcome")?).map(Some)
}

/// Runs an accepted command's writes (`batch`) and keeps its feed rows and events in
/// `pending`, to be numbered and written with the others at the end of the transaction
/// ([`Pending::write`]); its id is recorded now (PostgreSQL: by the claim), its outcome then.
pub async fn record_accepted(
    tx: &mut Tx,
    key: &CommandKey<'_>,
    mut batch: Batch,
    pending: &mut Pending,
    feed: Vec<NewChange>,
    records: Vec<Recorded>,
) -> Result<usize, DbError> {
    if tx.backend() == Backend::Sqlite {
        // One call with the writes: the outcome is filled in by `Pending::write`.
        batch.push(
            "INSERT INTO commands (id, user_id, task, fingerprint, outcome, at) VALUES ($1, $2, $3, $4, '', $5)",
            args![key.id.to_string(), key.user.to_string(), key.task.to_string(), key.fingerprint, key.at],
        );
    }
    tx.run(batch).await?;
    pending.commands.push(PendingCommand {
        id: key.id,
        task: key.task,
        first: pending.feed.len() as i64,
        records,
    });
    pending.feed.extend(feed);
    Ok(pending.commands.len() - 1)
}

/// The commands accepted in a transaction whose feed rows and outcomes are not written yet:
/// the feed is appended once, last, for all of them, so that the feed's counter is taken
/// (and, on PostgreSQL, locked) only for the moment before commit.
#[derive(Default, Debug)]
pub struct Pending {
    feed: Vec<NewChange>,
    commands: Vec<PendingCommand>,
}

#[derive(Debug)]
struct PendingCommand {
    id: Uuid,
    task: TaskId,
    /// Its first feed row's place in `Pending::feed`.
    first: i64,
    /// Its events, each with its place among the command's own feed rows as `seq`.
    records: Vec<Recorded>,
}

impl Pending {
    /// Appends the feed rows, records each command's outcome, and returns each command's
    /// events with their feed numbers, in the order the commands were recorded. Call it
    /// last in the transaction, just before commit.
    pub async fn write(self, tx: &mut Tx) -> Result<Vec<Vec<Recorded>>, DbError> {
        if self.commands.is_empty() {
            return Ok(Vec::new());
        }
        let first = if self.feed.is_empty() {
            0
        } else {
            tx.append_changes(&self.feed).await?
        };
        let events: Vec<Vec<Recorded>> = self
            .commands
            .iter()
            .map(|c| {
                c.records
                    .iter()
                    .map(|r| Recorded {
                        seq: first + c.first + r.seq,
                        ..r.clone()
                    })
                    .collect()
            })
            .collect();
        for (chunk, events) in self.commands.chunks(100).zip(events.chunks(100)) {
            let mut cases = String::new();
            let mut ids = Vec::with_capacity(chunk.len());
            let mut args = Vec::with_capacity(chunk.len() * 2);
            for (c, events) in chunk.iter().zip(events) {
                let n = args.len();
                cases.push_str(&format!(" WHEN ${} THEN ${}", n + 1, n + 2));
                ids.push(format!("${}", n + 1));
                args.push(Val::from(c.id.to_string()));
                args.push(Val::from(encode_accepted(c.id, c.task, events)));
            }
            tx.exec(
                &format!(
                    "UPDATE commands SET outcome = CASE id{cases} END WHERE id IN ({})",
                    ids.join(", ")
                ),
                args,
            )
            .await?;
        }
        Ok(events)
    }
}

/// Outcomes are kept in the push answer's JSON shape.
fn encode_accepted(id: Uuid, task: TaskId, events: &[Recorded]) -> String {
    let outcome: PushOutcome<&RawValue> = PushOutcome::Accepted {
        id,
        task,
        events: events
            .iter()
            .map(|e| EventRecord {
                seq: e.seq,
                task: e.task,
                task_seq: e.task_seq,
                hash: e.hash.clone(),
                event: &*e.event,
            })
            .collect(),
    };
    to_json(&outcome)
}

fn encode_refusal(key: &CommandKey<'_>, r: &Rejection) -> String {
    let outcome: PushOutcome<&RawValue> = PushOutcome::Rejected {
        id: key.id,
        task: key.task,
        code: r.code.clone(),
        zh: r.zh.clone(),
        en: r.en.clone(),
    };
    to_json(&outcome)
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// A stored outcome. (An internally tagged enum cannot hold raw JSON while it is read, so
/// it is read as values and turned back into raw JSON.)
fn decode(stored: &str) -> Result<Outcome, DbError> {
    let outcome: PushOutcome<serde_json::Value> = json(stored)?;
    Ok(match outcome {
        PushOutcome::Accepted { events, .. } => Outcome::Accepted(
            events
                .into_iter()
                .map(|e| {
                    Ok(Recorded {
                        seq: e.seq,
                        task: e.task,
                        task_seq: e.task_seq,
                        hash: e.hash,
                        event: raw(to_json(&e.event))?,
                    })
                })
                .collect::<Result<_, DbError>>()?,
        ),
        PushOutcome::Rejected { code, zh, en, .. } => Outcome::Refused(Rejection { code, zh, en }),
    })
}

// The feed

/// The feed's last sequence number (the `changes` counter), as seen by `tx`.
pub async fn head(tx: &mut Tx) -> Result<i64, DbError> {
    Ok(tx
        .row("SELECT value FROM counters WHERE name = 'changes'", vec![])
        .await?
        .map(|r| r.get_int("value"))
        .transpose()?
        .unwrap_or(0))
}

/// A row of the feed.
#[derive(Debug)]
pub struct ChangeRow {
    /// Its sequence number.
    pub seq: i64,
    /// `event`, `access`, `reference`, `secret` or `reset`.
    pub kind: String,
    /// The item, if the change is about one.
    pub task: Option<String>,
    /// The event's position in the item's trail (events only).
    pub task_seq: Option<i64>,
    /// The event's trail hash (events only).
    pub hash: Option<String>,
    /// JSON.
    pub body: String,
}

/// The rows after `after` up to `head`, at most `limit`, that may concern `user`, a person
/// holding `keys`: every row not about one item (those for one person only if for them),
/// every access change, and the events and confidential fields of items the keys see now.
pub async fn changes_after(
    tx: &mut Tx,
    after: i64,
    head: i64,
    user: &str,
    keys: &[String],
    limit: usize,
) -> Result<Vec<ChangeRow>, DbError> {
    let n = keys.len();
    let sql = format!(
        "SELECT c.seq, c.kind, c.task, c.task_seq, c.hash, c.body FROM changes c \
         WHERE c.seq > $1 AND c.seq <= $2 AND (c.user_id IS NULL OR c.user_id = $3) \
           AND (c.task IS NULL OR c.kind = 'access' \
           OR (c.kind = 'secret' AND {}) OR (c.kind = 'event' AND {})) \
         ORDER BY c.seq LIMIT {limit}",
        visible_sql("c.task", "secret", 4, n),
        visible_sql("c.task", "view", 4, n),
    );
    let mut args = args![after, head, user];
    args.extend(keys.iter().map(Val::from));
    tx.rows(&sql, args)
        .await?
        .iter()
        .map(|r| {
            Ok(ChangeRow {
                seq: r.get_int("seq")?,
                kind: r.get_text("kind")?,
                task: r.get_opt_text("task")?,
                task_seq: r.get_opt_int("task_seq")?,
                hash: r.get_opt_text("hash")?,
                body: r.get_text("body")?,
            })
        })
        .collect()
}

fn recorded(r: &Row, task: TaskId) -> Result<Recorded, DbError> {
    Ok(Recorded {
        seq: r.get_int("seq")?,
        task,
        task_seq: r.get_int("task_seq")? as u64,
        hash: r.get_opt_text("hash")?.unwrap_or_default(),
        event: raw(r.get_text("body")?)?,
    })
}

/// The item's events before `before_seq`, in order.
pub async fn history(tx: &mut Tx, task: &str, before_seq: i64) -> Result<Vec<Recorded>, DbError> {
    let id = task_id(task)?;
    tx.rows(
        "SELECT seq, task_seq, hash, body FROM changes WHERE task = $1 AND kind = 'event' AND seq < $2 ORDER BY seq",
        args![task, before_seq],
    )
    .await?
    .iter()
    .map(|r| recorded(r, id))
    .collect()
}

/// The item's confidential fields, if it has any.
pub async fn secrets(tx: &mut Tx, task: &str) -> Result<Option<BTreeMap<String, String>>, DbError> {
    tx.row(
        "SELECT fields FROM task_secrets WHERE task = $1",
        args![task],
    )
    .await?
    .map(|r| json(&r.get_text("fields")?))
    .transpose()
}

/// The (task, tier) pairs among `tasks` that the keys see now: one query per thousand
/// items rather than two per item.
pub async fn visible_now(
    tx: &mut Tx,
    keys: &[String],
    tasks: &BTreeSet<String>,
) -> Result<HashSet<(String, String)>, DbError> {
    let mut out = HashSet::new();
    let tasks: Vec<&String> = tasks.iter().collect();
    for chunk in tasks.chunks(1000) {
        let sql = format!(
            "SELECT DISTINCT task, tier FROM task_audience WHERE key IN ({}) AND task IN ({})",
            placeholders(1, keys.len()),
            placeholders(keys.len() + 1, chunk.len())
        );
        let mut args: Vec<Val> = keys.iter().map(Val::from).collect();
        args.extend(chunk.iter().map(|t| Val::from(t.as_str())));
        for r in tx.rows(&sql, args).await? {
            out.insert((r.get_text("task")?, r.get_text("tier")?));
        }
    }
    Ok(out)
}

/// Every event up to `seq` of the items the keys see, ordered by item, then feed position.
pub async fn visible_events(
    tx: &mut Tx,
    keys: &[String],
    seq: i64,
) -> Result<Vec<Recorded>, DbError> {
    let mut args = args![seq];
    args.extend(keys.iter().map(Val::from));
    let sql = format!(
        "SELECT c.task, c.seq, c.task_seq, c.hash, c.body FROM changes c \
         WHERE c.kind = 'event' AND c.seq <= $1 AND {} ORDER BY c.task, c.seq",
        visible_sql("c.task", "view", 2, keys.len())
    );
    tx.rows(&sql, args)
        .await?
        .iter()
        .map(|r| recorded(r, task_id(&r.get_text("task")?)?))
        .collect()
}

/// The confidential fields of every item whose confidential fields the keys see.
pub async fn visible_secrets(
    tx: &mut Tx,
    keys: &[String],
) -> Result<Vec<(TaskId, BTreeMap<String, String>)>, DbError> {
    let sql = format!(
        "SELECT s.task, s.fields FROM task_secrets s WHERE {}",
        visible_sql("s.task", "secret", 1, keys.len())
    );
    tx.rows(&sql, keys.iter().map(Val::from).collect())
        .await?
        .iter()
        .map(|r| {
            Ok((
                task_id(&r.get_text("task")?)?,
                json(&r.get_text("fields")?)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(print: &str) -> CommandKey<'_> {
        CommandKey {
            id: Uuid::from_u128(1),
            user: UserId(Uuid::from_u128(2)),
            task: TaskId(Uuid::from_u128(3)),
            fingerprint: print,
            at: 0,
        }
    }

    #[test]
    fn outcomes_are_kept_in_the_push_answers_shape_and_read_back() {
        let key = key("f");
        let events = vec![Recorded {
            seq: 7,
            task: key.task,
            task_seq: 1,
            hash: "ab".into(),
            event: raw(r#"{"kind":"received"}"#.into()).unwrap(),
        }];
        let stored = encode_accepted(key.id, key.task, &events);
        let wire: PushOutcome<serde_json::Value> = serde_json::from_str(&stored).unwrap();
        assert_eq!(
            wire,
            PushOutcome::Accepted {
                id: key.id,
                task: key.task,
                events: vec![EventRecord {
                    seq: 7,
                    task: key.task,
                    task_seq: 1,
                    hash: "ab".into(),
                    event: serde_json::json!({"kind": "received"}),
                }],
            }
        );
        let Outcome::Accepted(back) = decode(&stored).unwrap() else {
            panic!("accepted");
        };
        assert_eq!(back.len(), 1);
        assert_eq!((back[0].seq, back[0].task_seq), (7, 1));
        assert_eq!(back[0].event.get(), r#"{"kind":"received"}"#);

        let no = Rejection::new("perm.denied", "不", "no");
        let stored = encode_refusal(&key, &no);
        assert!(stored.contains(r#""status":"rejected""#), "{stored}");
        let Outcome::Refused(back) = decode(&stored).unwrap() else {
            panic!("refused");
        };
        assert_eq!(back, no);
    }
}
