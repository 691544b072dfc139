//! The commands and the change feed: `commands` (each command's id claimed once, with its
//! outcome, so that a retry gets the stored answer and never a second application) and
//! `changes` (the numbered feed every client pulls: events, access changes, confidential
//! fields, reference data and resets), with the queries of a pull and of a snapshot, and
//! whether a command id was sent before (a page's resent form).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use duban_core::domain::{Rejection, TaskId, UserId};
use duban_core::protocol::{EventRecord, PushOutcome};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::audience::visible_sql;
use super::tasks::{json, stored, StoredTask};
use super::{placeholders, sqlite, Backend, Batch, Db, DbError, NewChange, Row, Tx, Val};
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
    /// SQLite: the feed's counter as read after taking the write lock.
    counter: i64,
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
/// then find its outcome. SQLite's single writer already excludes that, so one read
/// answers both this and where the feed's numbers continue, and reads the item too.
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
            Ok(Claim {
                seen,
                counter: 0,
                item: None,
            })
        }
        Backend::Sqlite => {
            let row = tx
                .row(
                    "SELECT (SELECT user_id FROM commands WHERE id = $1) AS user_id, \
                     (SELECT fingerprint FROM commands WHERE id = $1) AS fingerprint, \
                     (SELECT outcome FROM commands WHERE id = $1) AS outcome, \
                     (SELECT value FROM counters WHERE name = 'changes') AS counter, \
                     (SELECT state FROM tasks WHERE id = $2) AS state, \
                     (SELECT head FROM tasks WHERE id = $2) AS head",
                    args![id.as_str(), key.task.to_string()],
                )
                .await?
                .ok_or_else(|| DbError::Corrupt("no row".into()))?;
            let seen = match (
                row.get_opt_text("user_id")?,
                row.get_opt_text("fingerprint")?,
                row.get_opt_text("outcome")?,
            ) {
                (Some(user), Some(fingerprint), Some(outcome)) => Some(Seen {
                    user,
                    fingerprint,
                    outcome,
                }),
                _ => None,
            };
            Ok(Claim {
                seen,
                counter: row.get_int("counter")?,
                item: Some(stored(
                    row.get_opt_text("state")?,
                    row.get_opt_text("head")?,
                )?),
            })
        }
    }
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

/// Runs the command's writes (`batch`), appends its feed rows and records it as accepted
/// with the events `events` makes of the number of the first feed row. Last in the
/// transaction, just before commit.
pub async fn record_accepted(
    tx: &mut Tx,
    claim: &Claim,
    key: &CommandKey<'_>,
    mut batch: Batch,
    feed: &[NewChange],
    events: impl FnOnce(i64) -> Vec<Recorded>,
) -> Result<Vec<Recorded>, DbError> {
    let id = key.id.to_string();
    match tx.backend() {
        Backend::Sqlite => {
            // Everything in one call: the single writer read the counter with the claim.
            let first = claim.counter + 1;
            sqlite::queue_changes(&mut batch, first, feed);
            let events = events(first);
            batch.push(
                "INSERT INTO commands (id, user_id, task, fingerprint, outcome, at) VALUES ($1, $2, $3, $4, $5, $6)",
                args![id.as_str(), key.user.to_string(), key.task.to_string(), key.fingerprint, encode_accepted(key, &events), key.at],
            );
            tx.run(batch).await?;
            Ok(events)
        }
        Backend::Postgres => {
            tx.run(batch).await?;
            let events = events(tx.append_changes(feed).await?);
            tx.exec(
                "UPDATE commands SET outcome = $1 WHERE id = $2",
                args![encode_accepted(key, &events), id.as_str()],
            )
            .await?;
            Ok(events)
        }
    }
}

/// Outcomes are kept in the push answer's JSON shape.
fn encode_accepted(key: &CommandKey<'_>, events: &[Recorded]) -> String {
    let outcome: PushOutcome<&RawValue> = PushOutcome::Accepted {
        id: key.id,
        task: key.task,
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
        let stored = encode_accepted(&key, &events);
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
