//! The change feed as one person sees it: pull after a sequence number (refused with 410
//! past the feed's head), and the snapshot for a first sync. What a person may see is decided in SQL against each item's audience keys
//! (see `duban_core::domain::permission::audience`), which the authority keeps current.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use duban_core::domain::permission::actor_keys;
use duban_core::domain::{TaskId, UserId};
use duban_core::protocol::{Change, EventRecord, PullResponse, Reference, Snapshot, TaskSnapshot};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::auth::Session;
use crate::db::{placeholders, Tx, Val};
use crate::error::ApiError;
use crate::org::{from_json, person_of, PERSON_COLUMNS};
use crate::AppState;

/// A change with stored JSON payloads.
pub type RawChange = Change<Box<RawValue>>;

/// The person's audience keys as stored strings.
pub fn keys_of(session: &Session) -> Vec<String> {
    actor_keys(&session.actor)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `task_col IN (…)`: the item has a key of the tier among the person's keys, which are
/// bound from parameter `$from` on. (A semi-join on the audience's key index: both
/// planners hash it once instead of probing per row.)
pub fn visible_sql(task_col: &str, tier: &str, from: usize, n: usize) -> String {
    format!(
        "{task_col} IN (SELECT a.task FROM task_audience a WHERE a.tier = '{tier}' AND a.key IN ({}))",
        placeholders(from, n)
    )
}

fn raw(s: String) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(s).map_err(ApiError::internal)
}

fn task_id(s: &str) -> Result<TaskId, ApiError> {
    uuid::Uuid::parse_str(s)
        .map(TaskId)
        .map_err(ApiError::internal)
}

#[derive(Deserialize)]
struct Access {
    view_before: BTreeSet<String>,
    view_after: BTreeSet<String>,
    secret_before: BTreeSet<String>,
    secret_after: BTreeSet<String>,
    /// Events the item had before this change (absent in rows written before it was kept).
    #[serde(default)]
    version_before: Option<u64>,
}

#[derive(Deserialize)]
struct Reset {
    #[serde(default)]
    user: Option<UserId>,
    #[serde(default)]
    all: bool,
}

async fn history(
    tx: &mut Tx,
    task: &str,
    before_seq: i64,
) -> Result<Vec<EventRecord<Box<RawValue>>>, ApiError> {
    let mut out = Vec::new();
    for r in tx
        .rows(
            "SELECT seq, task_seq, hash, body FROM changes WHERE task = $1 AND kind = 'event' AND seq < $2 ORDER BY seq",
            vec![Val::from(task), Val::from(before_seq)],
        )
        .await?
    {
        out.push(EventRecord {
            seq: r.int(0)?,
            task: task_id(task)?,
            task_seq: r.int(1)? as u64,
            hash: r.opt_text(2)?.unwrap_or_default(),
            event: raw(r.text(3)?)?,
        });
    }
    Ok(out)
}

async fn secrets_of(tx: &mut Tx, task: &str) -> Result<Option<BTreeMap<String, String>>, ApiError> {
    tx.row(
        "SELECT fields FROM task_secrets WHERE task = $1",
        vec![Val::from(task)],
    )
    .await?
    .map(|r| {
        r.text(0)
            .map_err(ApiError::from)
            .and_then(|t| from_json(&t).map_err(ApiError::from))
    })
    .transpose()
}

/// The (task, tier) pairs among `tasks` that the person holds a key of now: one query per
/// thousand items rather than two per item.
async fn visible_now(
    tx: &mut Tx,
    keys: &[String],
    tasks: &BTreeSet<String>,
) -> Result<HashSet<(String, String)>, ApiError> {
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
            out.insert((r.text(0)?, r.text(1)?));
        }
    }
    Ok(out)
}

/// The feed's last sequence number (the `changes` counter), as seen by `tx`.
async fn head_of(tx: &mut Tx) -> Result<i64, ApiError> {
    Ok(tx
        .row("SELECT value FROM counters WHERE name = 'changes'", vec![])
        .await?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0))
}

/// 410 `sync.cursor_gone`: the client holds a feed position past this server's head — the
/// server was restored from a backup or reset — so what it holds beyond the head is unknown
/// here, and only a new snapshot puts the two back in step.
pub fn cursor_gone() -> ApiError {
    ApiError::gone(
        "sync.cursor_gone",
        "同步位置已失效(服务器数据已恢复或重置),请重新同步全部数据",
        "the feed position is no longer held by the server (its data was restored or reset); \
         take a new snapshot",
    )
}

/// The changes after `after` that the person may see, at most `limit` rows examined.
/// A position past the feed's head is refused with [`cursor_gone`].
pub async fn pull(
    state: &AppState,
    session: &Session,
    after: i64,
    limit: usize,
) -> Result<PullResponse<Box<RawValue>>, ApiError> {
    let keys = keys_of(session);
    let mine: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    let mut tx = state.db.read().await?;
    let head = head_of(&mut tx).await?;
    if after > head {
        return Err(cursor_gone());
    }
    let n = keys.len();
    let sql = format!(
        "SELECT c.seq, c.kind, c.task, c.task_seq, c.hash, c.body FROM changes c \
         WHERE c.seq > $1 AND c.seq <= $2 AND (c.task IS NULL OR c.kind = 'access' \
           OR (c.kind = 'secret' AND {}) OR (c.kind = 'event' AND {})) \
         ORDER BY c.seq LIMIT {}",
        visible_sql("c.task", "secret", 3, n),
        visible_sql("c.task", "view", 3, n),
        limit + 1
    );
    let mut args = vec![Val::from(after), Val::from(head)];
    args.extend(keys.iter().map(Val::from));
    let rows = tx.rows(&sql, args).await?;
    let more = rows.len() > limit;
    let mut next = if more { after } else { head.max(after) };
    let mut changes = Vec::new();
    let rows: Vec<_> = rows.into_iter().take(limit).collect();
    let mut access_tasks = BTreeSet::new();
    for r in &rows {
        if r.text(1)? == "access" {
            if let Some(t) = r.opt_text(2)? {
                access_tasks.insert(t);
            }
        }
    }
    let current = visible_now(&mut tx, &keys, &access_tasks).await?;
    for r in rows {
        let seq = r.int(0)?;
        if more {
            next = seq;
        }
        let kind = r.text(1)?;
        let task = r.opt_text(2)?;
        let body = r.text(5)?;
        match (kind.as_str(), task) {
            ("event", Some(task)) => changes.push(Change::Event(EventRecord {
                seq,
                task: task_id(&task)?,
                task_seq: r.int(3)? as u64,
                hash: r.opt_text(4)?.unwrap_or_default(),
                event: raw(body)?,
            })),
            ("secret", Some(task)) => changes.push(Change::Confidential {
                seq,
                task: task_id(&task)?,
                fields: from_json(&body)?,
            }),
            ("access", Some(task)) => {
                let a: Access = from_json(&body)?;
                let hit = |set: &BTreeSet<String>| set.iter().any(|k| mine.contains(k.as_str()));
                let id = task_id(&task)?;
                let (vb, va) = (hit(&a.view_before), hit(&a.view_after));
                let (sb, sa) = (hit(&a.secret_before), hit(&a.secret_after));
                if vb && !va {
                    changes.push(Change::Revoke { seq, task: id });
                    continue;
                }
                if !current.contains(&(task.clone(), "view".to_owned())) {
                    continue;
                }
                let secret_now = current.contains(&(task.clone(), "secret".to_owned()));
                if !vb && va {
                    let confidential = if secret_now {
                        secrets_of(&mut tx, &task).await?
                    } else {
                        None
                    };
                    changes.push(Change::Grant {
                        seq,
                        task: id,
                        // A new item has no history yet: its events follow.
                        events: if a.version_before == Some(0) {
                            Vec::new()
                        } else {
                            history(&mut tx, &task, seq).await?
                        },
                        confidential,
                    });
                } else if !sb && sa && secret_now {
                    if let Some(fields) = secrets_of(&mut tx, &task).await? {
                        changes.push(Change::Confidential {
                            seq,
                            task: id,
                            fields,
                        });
                    }
                } else if sb && !sa {
                    changes.push(Change::ConfidentialRevoke { seq, task: id });
                }
            }
            ("reference", None) => {
                let reference: Reference = from_json(&body)?;
                changes.push(Change::Reference { seq, reference });
            }
            ("reset", None) => {
                let reset: Reset = from_json(&body)?;
                if reset.all || reset.user == Some(session.actor.id) {
                    changes.push(Change::Resync { seq });
                }
            }
            _ => {}
        }
    }
    Ok(PullResponse {
        changes,
        next,
        more,
        head,
    })
}

/// Everything the person may see, at one sequence number. Without `items` only the
/// reference data (me, units, people, policy, calendar) and `seq`, with no item read: a
/// client then pulls the feed from 0 in pages for the items.
pub async fn snapshot(
    state: &AppState,
    session: &Session,
    items: bool,
) -> Result<Snapshot<Box<RawValue>>, ApiError> {
    let keys = keys_of(session);
    let org = &session.org;
    let mut tx = state.db.read().await?;
    let seq = head_of(&mut tx).await?;
    let mut people = Vec::new();
    for r in tx
        .rows(
            &format!("SELECT {PERSON_COLUMNS} FROM users ORDER BY username"),
            vec![],
        )
        .await?
    {
        people.push(person_of(&r)?);
    }
    let me = people
        .iter()
        .find(|p| p.id == session.actor.id)
        .cloned()
        .ok_or_else(ApiError::unauthorized)?;

    let tasks = if items {
        visible_tasks(&mut tx, &keys, seq).await?
    } else {
        Vec::new()
    };
    Ok(Snapshot {
        seq,
        me,
        units: org.units.clone(),
        people,
        policy: org.policy.clone(),
        calendar: org.calendar_years(),
        tasks,
    })
}

/// Every item the keys may see, with its trail up to `seq` and its confidential fields if
/// the keys may see those.
async fn visible_tasks(
    tx: &mut Tx,
    keys: &[String],
    seq: i64,
) -> Result<Vec<TaskSnapshot<Box<RawValue>>>, ApiError> {
    let n = keys.len();
    let mut args = vec![Val::from(seq)];
    args.extend(keys.iter().map(Val::from));
    let sql = format!(
        "SELECT c.task, c.seq, c.task_seq, c.hash, c.body FROM changes c \
         WHERE c.kind = 'event' AND c.seq <= $1 AND {} ORDER BY c.task, c.seq",
        visible_sql("c.task", "view", 2, n)
    );
    let mut tasks: Vec<TaskSnapshot<Box<RawValue>>> = Vec::new();
    for r in tx.rows(&sql, args).await? {
        let task = task_id(&r.text(0)?)?;
        let record = EventRecord {
            seq: r.int(1)?,
            task,
            task_seq: r.int(2)? as u64,
            hash: r.opt_text(3)?.unwrap_or_default(),
            event: raw(r.text(4)?)?,
        };
        match tasks.last_mut() {
            Some(t) if t.task == task => t.events.push(record),
            _ => tasks.push(TaskSnapshot {
                task,
                events: vec![record],
                confidential: None,
            }),
        }
    }
    let sql = format!(
        "SELECT s.task, s.fields FROM task_secrets s WHERE {}",
        visible_sql("s.task", "secret", 1, n)
    );
    let mut secrets = HashMap::new();
    for r in tx.rows(&sql, keys.iter().map(Val::from).collect()).await? {
        secrets.insert(
            task_id(&r.text(0)?)?,
            from_json::<BTreeMap<String, String>>(&r.text(1)?)?,
        );
    }
    for t in &mut tasks {
        t.confidential = secrets.remove(&t.task);
    }
    Ok(tasks)
}
