//! The change feed as one person sees it: pull after a sequence number (refused with 410
//! past the feed's head), and the snapshot for a first sync. Rows for one person only
//! (`changes.user_id`: the notifications they read) reach no one else. What a person may see is decided in SQL against each item's audience keys
//! (see `duban_core::domain::permission::audience`), which the authority keeps current.

use std::collections::{BTreeSet, HashMap};

use duban_core::domain::permission::actor_keys;
use duban_core::domain::{TaskId, UserId};
use duban_core::protocol::{
    Change, EventRecord, EventRef, PullResponse, Reference, Snapshot, TaskSnapshot,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::auth::Session;
use crate::db::commands;
use crate::db::Tx;
use crate::error::ApiError;
use crate::org::from_json;
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

/// A `read` row's body (the row is for its person only: `changes.user_id`).
#[derive(Deserialize)]
struct Reads {
    events: Vec<EventRef>,
}

async fn history(
    tx: &mut Tx,
    task: &str,
    before_seq: i64,
) -> Result<Vec<EventRecord<Box<RawValue>>>, ApiError> {
    Ok(commands::history(tx, task, before_seq)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
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
/// A position past the feed's head is refused with [`cursor_gone`]. `reads`: the client
/// knows [`Change::Read`] (the notifications the person read elsewhere); an older client,
/// which does not, is not sent them.
pub async fn pull(
    state: &AppState,
    session: &Session,
    after: i64,
    limit: usize,
    reads: bool,
) -> Result<PullResponse<Box<RawValue>>, ApiError> {
    let keys = keys_of(session);
    let mine: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    let mut tx = state.db.read().await?;
    let head = commands::head(&mut tx).await?;
    if after > head {
        return Err(cursor_gone());
    }
    let user = session.user().to_string();
    let rows = commands::changes_after(&mut tx, after, head, &user, &keys, limit + 1).await?;
    let more = rows.len() > limit;
    let mut next = if more { after } else { head.max(after) };
    let mut changes = Vec::new();
    let rows: Vec<_> = rows.into_iter().take(limit).collect();
    let mut access_tasks = BTreeSet::new();
    for r in &rows {
        if r.kind == "access" {
            if let Some(t) = &r.task {
                access_tasks.insert(t.clone());
            }
        }
    }
    let current = commands::visible_now(&mut tx, &keys, &access_tasks).await?;
    for r in rows {
        let seq = r.seq;
        if more {
            next = seq;
        }
        let kind = r.kind;
        let task = r.task;
        let body = r.body;
        match (kind.as_str(), task) {
            ("event", Some(task)) => changes.push(Change::Event(EventRecord {
                seq,
                task: task_id(&task)?,
                task_seq: r
                    .task_seq
                    .ok_or_else(|| ApiError::internal("an event row without its place"))?
                    as u64,
                hash: r.hash.unwrap_or_default(),
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
                        commands::secrets(&mut tx, &task).await?
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
                    if let Some(fields) = commands::secrets(&mut tx, &task).await? {
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
            ("read", None) if reads => {
                let read: Reads = from_json(&body)?;
                changes.push(Change::Read {
                    seq,
                    events: read.events,
                });
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
    let seq = commands::head(&mut tx).await?;
    let people = crate::db::org::people(&mut tx).await?;
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
    let mut tasks: Vec<TaskSnapshot<Box<RawValue>>> = Vec::new();
    for record in commands::visible_events(tx, keys, seq).await? {
        let task = record.task;
        match tasks.last_mut() {
            Some(t) if t.task == task => t.events.push(record.into()),
            _ => tasks.push(TaskSnapshot {
                task,
                events: vec![record.into()],
                confidential: None,
            }),
        }
    }
    let mut secrets: HashMap<_, _> = commands::visible_secrets(tx, keys)
        .await?
        .into_iter()
        .collect();
    for t in &mut tasks {
        t.confidential = secrets.remove(&t.task);
    }
    Ok(tasks)
}
