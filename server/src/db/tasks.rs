//! The items: the `tasks` projection and the rows kept beside it (`task_audience`,
//! `task_people`, `task_units`, `task_secrets`) and the item's trail in `changes`. Each
//! statement is a named function taking a transaction and typed values; rows come back as
//! structs read by column name.
//!
//! Writing (for `crate::authority`): the item locked and loaded, its number reserved, its row,
//! audience, people, units, secrets and cited files written with the command's events.
//!
//! Reading (for `crate::read`): a selection of items is the person's visibility (their
//! audience keys against the item's `view` tier), a view of R8.2 and the filters SQL can
//! apply, built here from a typed [`TaskFilter`]; it answers each item's id and trail head
//! ([`TaskHead`]), and the states are read by id ([`states`]) only where the caller's cache
//! holds no current copy.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use duban_core::domain::derived::view::View;
use duban_core::domain::model::{BatchId, Urgency};
use duban_core::domain::trail::Hash;
use duban_core::domain::{Code, Event, Status, TaskId, TaskState, UnitId, UserId};

use super::{placeholders, Backend, Batch, Db, DbError, Row, Tx, Val};
use crate::args;

/// Decodes stored JSON.
pub(super) fn json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(format!("json: {e}")))
}

// ----- Writing ------------------------------------------------------------------------------

/// An item as stored: its state and the head of its trail.
#[derive(Clone, Debug)]
pub struct StoredTask {
    /// The state (the fold of its events).
    pub state: TaskState,
    /// The trail's last hash.
    pub head: Hash,
}

/// An item from its stored state and trail head (`None` if it does not exist yet).
pub(super) fn stored(
    state: Option<String>,
    head: Option<String>,
) -> Result<Option<StoredTask>, DbError> {
    let (Some(state), Some(head)) = (state, head) else {
        return Ok(None);
    };
    let state: TaskState = json(&state)?;
    let head = Hash::from_hex(&head)
        .ok_or_else(|| DbError::Corrupt("stored trail head is not hex".into()))?;
    Ok(Some(StoredTask { state, head }))
}

/// The item, locked for the rest of the transaction on PostgreSQL (SQLite's one writer
/// holds every row already).
pub async fn lock(tx: &mut Tx, task: TaskId) -> Result<Option<StoredTask>, DbError> {
    let sql = match tx.backend() {
        Backend::Sqlite => "SELECT state, head FROM tasks WHERE id = $1",
        Backend::Postgres => "SELECT state, head FROM tasks WHERE id = $1 FOR UPDATE",
    };
    let Some(row) = tx.row(sql, args![task.to_string()]).await? else {
        return Ok(None);
    };
    stored(Some(row.get_text("state")?), Some(row.get_text("head")?))
}

/// The item's state, not locked.
pub async fn state(tx: &mut Tx, task: TaskId) -> Result<Option<TaskState>, DbError> {
    tx.row(
        "SELECT state FROM tasks WHERE id = $1",
        args![task.to_string()],
    )
    .await?
    .map(|r| json(&r.get_text("state")?))
    .transpose()
}

/// The last number given for the prefix and year (0 for none), the row created if needed
/// and, on PostgreSQL, locked until the transaction ends (an upsert's update takes the row
/// lock), so that two commands never give the same number.
pub async fn reserve_number(tx: &mut Tx, prefix: &str, year: i32) -> Result<i64, DbError> {
    Ok(tx
        .row(
            "INSERT INTO numbers (category, year, last) VALUES ($1, $2, 0) \
             ON CONFLICT (category, year) DO UPDATE SET last = numbers.last RETURNING last",
            args![prefix, i64::from(year)],
        )
        .await?
        .map(|r| r.get_int("last"))
        .transpose()?
        .unwrap_or(0))
}

/// Queues the move of the prefix and year's last number up to `seq`.
pub fn queue_number(batch: &mut Batch, prefix: &str, year: i32, seq: u32) {
    batch.push(
        "UPDATE numbers SET last = $1 WHERE category = $2 AND year = $3 AND last < $1",
        args![i64::from(seq), prefix, i64::from(year)],
    );
}

/// Queues the replacement of who may see the item: the `view` and `secret` tiers' keys.
pub fn queue_audience(
    batch: &mut Batch,
    task: &str,
    view: &BTreeSet<String>,
    secret: &BTreeSet<String>,
) {
    batch.push("DELETE FROM task_audience WHERE task = $1", args![task]);
    insert_keys(batch, task, "view", view);
    insert_keys(batch, task, "secret", secret);
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

/// Queues the record that the item cites the file (`hash` in lower case).
pub fn queue_blob_ref(batch: &mut Batch, hash: &str, task: &str) {
    batch.push(
        "INSERT INTO blob_refs (hash, task) VALUES ($1, $2) ON CONFLICT (hash, task) DO NOTHING",
        args![hash, task],
    );
}

/// Queues the item's confidential fields (JSON), replacing any.
pub fn queue_secrets(batch: &mut Batch, task: &str, fields: &str) {
    batch.push(
        "INSERT INTO task_secrets (task, fields) VALUES ($1, $2) ON CONFLICT (task) DO UPDATE SET fields = excluded.fields",
        args![task, fields],
    );
}

/// An item's row in `tasks`: its state and the columns the queries use.
#[derive(Debug)]
pub struct TaskRow<'a> {
    /// The item.
    pub id: &'a str,
    /// Events in its trail.
    pub version: i64,
    /// The trail's last hash (hex).
    pub head: String,
    /// The state (JSON).
    pub state: String,
    /// The status's code.
    pub status: String,
    /// The category.
    pub category: &'a str,
    /// The urgency's code.
    pub urgency: String,
    /// The visibility's code.
    pub visibility: String,
    /// The number as shown (empty before one is given).
    pub number: String,
    /// The title.
    pub title: &'a str,
    /// The lead unit.
    pub lead_unit: Option<String>,
    /// The item it was decomposed from.
    pub parent: Option<String>,
    /// Who registered it.
    pub creator: Option<String>,
    /// The deadline in force (Unix milliseconds).
    pub deadline: Option<i64>,
    /// When it was registered (Unix milliseconds; kept on update).
    pub created_at: i64,
    /// When it last changed (Unix milliseconds).
    pub updated_at: i64,
    /// When the scheduler is to look at it next (see [`wake_millis`]).
    pub wake_at: Option<i64>,
    /// What a keyword search looks in (`crate::search::item_text`).
    pub search: String,
    /// The content as searched (`crate::search::content_text`), when the events set it;
    /// `None` keeps what is stored.
    pub search_content: Option<String>,
}

/// Queues the item's row, inserted or updated.
pub fn queue_task(batch: &mut Batch, r: TaskRow<'_>) {
    batch.push(
        "INSERT INTO tasks (id, version, head, state, status, category, urgency, visibility, number, title, \
         lead_unit, parent, creator, deadline, created_at, updated_at, wake_at, search, search_content) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         COALESCE($19, '')) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, head = excluded.head, state = excluded.state, \
         status = excluded.status, category = excluded.category, urgency = excluded.urgency, \
         visibility = excluded.visibility, number = excluded.number, title = excluded.title, \
         lead_unit = excluded.lead_unit, parent = excluded.parent, creator = excluded.creator, \
         deadline = excluded.deadline, updated_at = excluded.updated_at, wake_at = excluded.wake_at, \
         search = excluded.search, search_content = COALESCE($19, tasks.search_content)",
        args![
            r.id,
            r.version,
            r.head,
            r.state,
            r.status,
            r.category,
            r.urgency,
            r.visibility,
            r.number,
            r.title,
            r.lead_unit,
            r.parent,
            r.creator,
            r.deadline,
            r.created_at,
            r.updated_at,
            r.wake_at,
            r.search,
            r.search_content
        ],
    );
}

/// Queues the replacement of the people the item names: `(relation, user)` rows.
pub fn queue_people(batch: &mut Batch, task: &str, rows: &BTreeSet<(&'static str, String)>) {
    batch.push("DELETE FROM task_people WHERE task = $1", args![task]);
    insert_rows(batch, "task_people (task, relation, user_id)", task, rows);
}

/// Queues the replacement of the units the item names: `(relation, unit)` rows.
pub fn queue_units(batch: &mut Batch, task: &str, rows: &BTreeSet<(&'static str, String)>) {
    batch.push("DELETE FROM task_units WHERE task = $1", args![task]);
    insert_rows(batch, "task_units (task, relation, unit)", task, rows);
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

/// A wake time as stored: milliseconds since the epoch, rounded up, so that a tick at the
/// stored time is never a hair before the instant the rules name.
pub fn wake_millis(t: DateTime<Utc>) -> i64 {
    let ms = t.timestamp_millis();
    if t.timestamp_subsec_nanos() % 1_000_000 == 0 {
        ms
    } else {
        ms + 1
    }
}

/// An item whose wake time has come.
#[derive(Debug)]
pub struct Due {
    /// The item's id as stored.
    pub id: String,
    /// Its state.
    pub state: TaskState,
}

/// The items whose wake time is at or before `now` (Unix milliseconds), in wake order, at
/// most `limit`.
pub async fn due(db: &Db, now: i64, limit: usize) -> Result<Vec<Due>, DbError> {
    let rows = db
        .rows(
            "SELECT id, state FROM tasks WHERE wake_at IS NOT NULL AND wake_at <= $1 \
             ORDER BY wake_at LIMIT $2",
            args![now, limit as i64],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Due {
                id: r.get_text("id")?,
                state: json(&r.get_text("state")?)?,
            })
        })
        .collect()
}

/// The item's state now, outside any transaction.
pub async fn current_state(db: &Db, id: &str) -> Result<Option<TaskState>, DbError> {
    db.row("SELECT state FROM tasks WHERE id = $1", args![id])
        .await?
        .map(|r| json(&r.get_text("state")?))
        .transpose()
}

/// Sets the item's wake time, unless it changed since `version`.
pub async fn set_wake(db: &Db, id: &str, version: u64, wake: Option<i64>) -> Result<(), DbError> {
    db.exec(
        "UPDATE tasks SET wake_at = $1 WHERE id = $2 AND version = $3",
        args![wake, id, version as i64],
    )
    .await?;
    Ok(())
}

// ----- Reading ------------------------------------------------------------------------------

/// The columns of a [`TaskHead`].
const HEAD_COLUMNS: &str = "t.id, t.head, t.created_at, t.updated_at";

/// Ids bound per statement when reading by id.
const CHUNK: usize = 500;

/// A selected item: its id, its trail head (which says whether a cached state is current)
/// and its times.
#[derive(Clone, Debug)]
pub struct TaskHead {
    /// The item.
    pub id: TaskId,
    /// The hash of its trail's last entry.
    pub head: String,
    /// When it was registered (Unix milliseconds).
    pub created_at: i64,
    /// When it last changed (Unix milliseconds).
    pub updated_at: i64,
}

impl TaskHead {
    fn of(r: &Row) -> Result<TaskHead, DbError> {
        Ok(TaskHead {
            id: task_id(&r.get_text("id")?)?,
            head: r.get_text("head")?,
            created_at: r.get_int("created_at")?,
            updated_at: r.get_int("updated_at")?,
        })
    }
}

/// An item's stored state, with the trail head it was folded to.
#[derive(Debug)]
pub struct StoredState {
    /// The item.
    pub id: TaskId,
    /// The hash of its trail's last entry.
    pub head: String,
    /// The state.
    pub state: TaskState,
}

/// One event of an item's trail.
#[derive(Debug)]
pub struct TrailRow {
    /// Position in the change feed.
    pub seq: i64,
    /// Position in the item's trail, from 1.
    pub task_seq: Option<i64>,
    /// The trail hash.
    pub hash: Option<String>,
    /// The event as stored (JSON).
    pub body: String,
    /// The event, decoded.
    pub event: Event,
}

/// An event of some item, with its position in the change feed.
#[derive(Debug)]
pub struct EventRow {
    /// Position in the change feed.
    pub seq: i64,
    /// The item.
    pub task: TaskId,
    /// The event.
    pub event: Event,
}

/// Who reads a selection.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    /// Their audience keys (`permission::actor_keys`, as stored): only items holding one of
    /// them in the `view` tier are selected.
    pub keys: &'a [String],
    /// The person (for the views naming them).
    pub user: UserId,
    /// Their unit (for the views naming it).
    pub unit: Option<UnitId>,
}

/// What a selection keeps, beyond what the reader may read. Empty lists select everything;
/// a list keeps the items matching any of its values.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskFilter<'a> {
    /// The view (R8.2): the reader's relations to the item, as `task_people` and
    /// `task_units` hold them.
    pub view: View,
    /// For [`View::Subordinates`]: the lead units whose items it shows, or `None` for
    /// every item.
    pub subordinates: Option<&'a [UnitId]>,
    /// Statuses.
    pub statuses: &'a [Status],
    /// Category codes.
    pub categories: &'a [String],
    /// Urgencies.
    pub urgencies: &'a [Urgency],
    /// Lead units.
    pub lead_units: &'a [UnitId],
    /// Registered at or after (Unix milliseconds).
    pub created_from: Option<i64>,
    /// Registered before (Unix milliseconds).
    pub created_before: Option<i64>,
    /// A keyword (lower-cased, `crate::search::needle`) found in the number, the title, its
    /// pinyin or the content, or naming one of `text_units`.
    pub text: Option<&'a str>,
    /// The lead units whose name holds the keyword (`crate::search::units_named`).
    pub text_units: &'a [UnitId],
}

/// The order of a selection; ties are broken by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskOrder {
    /// By id.
    Id,
    /// Most recently changed first, ties by id ascending.
    RecentFirst,
    /// By last change, then id, both in the direction given.
    Updated {
        /// Descending.
        desc: bool,
    },
    /// By registration, then id, both in the direction given.
    Created {
        /// Descending.
        desc: bool,
    },
    /// By the deadline in force, then id, both in the direction given; items without a
    /// deadline last either way.
    Deadline {
        /// Descending.
        desc: bool,
    },
}

impl TaskOrder {
    fn sql(self) -> String {
        let dir = |desc: bool| if desc { "DESC" } else { "ASC" };
        match self {
            TaskOrder::Id => "t.id".into(),
            TaskOrder::RecentFirst => "t.updated_at DESC, t.id".into(),
            TaskOrder::Updated { desc } => {
                let dir = dir(desc);
                format!("t.updated_at {dir}, t.id {dir}")
            }
            TaskOrder::Created { desc } => {
                let dir = dir(desc);
                format!("t.created_at {dir}, t.id {dir}")
            }
            // Portable: no NULLS LAST.
            TaskOrder::Deadline { desc } => {
                let dir = dir(desc);
                format!(
                    "CASE WHEN t.deadline IS NULL THEN 1 ELSE 0 END, t.deadline {dir}, t.id {dir}"
                )
            }
        }
    }
}

/// A page of a selection.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    /// Items on it.
    pub limit: u32,
    /// Items before it.
    pub offset: u64,
}

/// A `WHERE` clause under construction, with its parameters numbered `$1, $2, …`.
#[derive(Default)]
struct Select {
    conds: Vec<String>,
    args: Vec<Val>,
}

impl Select {
    /// Binds one value; returns its placeholder.
    fn arg(&mut self, v: impl Into<Val>) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    /// Binds values; returns `col IN (…)`, or a false condition for none.
    fn within(&mut self, col: &str, vals: Vec<String>) -> String {
        if vals.is_empty() {
            return "1 = 0".into();
        }
        let from = self.args.len() + 1;
        let n = vals.len();
        self.args.extend(vals.into_iter().map(Val::from));
        format!("{col} IN ({})", placeholders(from, n))
    }

    /// `EXISTS` a `task_people` row of one of the relations for the person.
    fn related(&mut self, relations: &[&str], me: UserId) -> String {
        let rels: Vec<String> = relations.iter().map(|r| format!("'{r}'")).collect();
        let me = self.arg(me.to_string());
        format!(
            "EXISTS (SELECT 1 FROM task_people p WHERE p.task = t.id AND p.relation IN ({}) AND p.user_id = {me})",
            rels.join(", ")
        )
    }

    fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }

    /// The reader's visibility, the view and the filters.
    fn of(reader: &Reader<'_>, f: &TaskFilter<'_>) -> Select {
        let me = reader.user;
        let mine = reader.unit;
        let mut s = Select::default();
        let from = s.args.len() + 1;
        let n = reader.keys.len();
        s.args.extend(reader.keys.iter().map(Val::from));
        s.conds
            .push(super::audience::visible_sql("t.id", "view", from, n));

        // The same rule as the core's `views_of` on one item, which the phone runs; the
        // integration test `views` checks that the two agree on the demo.
        let view = match f.view {
            View::All => None,
            View::Instructed => Some(s.related(&["instructed"], me)),
            View::Responsible => {
                let people = s.related(&["lead", "sharer", "responsible"], me);
                Some(match mine {
                    Some(unit) => {
                        let unit = s.arg(unit.to_string());
                        format!(
                            "({people} OR (t.lead_unit = {unit} AND NOT EXISTS \
                             (SELECT 1 FROM task_people l WHERE l.task = t.id AND l.relation = 'lead')))"
                        )
                    }
                    None => people,
                })
            }
            View::Created => Some(s.related(&["creator"], me)),
            View::Department => Some(match mine {
                Some(unit) => {
                    let unit = s.arg(unit.to_string());
                    format!(
                        "EXISTS (SELECT 1 FROM task_units u WHERE u.task = t.id \
                         AND u.relation IN ('lead', 'participant') AND u.unit = {unit})"
                    )
                }
                None => "1 = 0".into(),
            }),
            View::Subordinates => f.subordinates.map(|units| {
                s.within(
                    "t.lead_unit",
                    units.iter().map(ToString::to_string).collect(),
                )
            }),
            View::Followed => Some(s.related(&["follower"], me)),
            View::Shared => Some(s.related(&["sharer"], me)),
        };
        s.conds.extend(view);

        if !f.statuses.is_empty() {
            let c = s.within(
                "t.status",
                f.statuses.iter().map(|v| v.code().to_owned()).collect(),
            );
            s.conds.push(c);
        }
        if !f.categories.is_empty() {
            let c = s.within("t.category", f.categories.to_vec());
            s.conds.push(c);
        }
        if !f.urgencies.is_empty() {
            let c = s.within(
                "t.urgency",
                f.urgencies.iter().map(|v| v.code().to_owned()).collect(),
            );
            s.conds.push(c);
        }
        if !f.lead_units.is_empty() {
            let c = s.within(
                "t.lead_unit",
                f.lead_units.iter().map(ToString::to_string).collect(),
            );
            s.conds.push(c);
        }
        if let Some(at) = f.created_from {
            let p = s.arg(at);
            s.conds.push(format!("t.created_at >= {p}"));
        }
        if let Some(at) = f.created_before {
            let p = s.arg(at);
            s.conds.push(format!("t.created_at < {p}"));
        }
        if let Some(q) = f.text {
            let mut pattern = String::from("%");
            for c in q.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(c);
            }
            pattern.push('%');
            let p = s.arg(pattern);
            let mut any = vec![
                format!("t.search LIKE {p} ESCAPE '\\'"),
                format!("t.search_content LIKE {p} ESCAPE '\\'"),
            ];
            if !f.text_units.is_empty() {
                any.push(s.within(
                    "t.lead_unit",
                    f.text_units.iter().map(ToString::to_string).collect(),
                ));
            }
            s.conds.push(format!("({})", any.join(" OR ")));
        }
        s
    }
}

/// Up to `limit` items whose searchable text is not filled in yet (written before it was
/// kept).
pub async fn unindexed(db: &Db, limit: i64) -> Result<Vec<TaskId>, DbError> {
    db.rows(
        "SELECT id FROM tasks WHERE search = '' ORDER BY id LIMIT $1",
        args![limit],
    )
    .await?
    .iter()
    .map(|r| task_id(&r.get_text("id")?))
    .collect()
}

/// Sets an item's searchable text.
pub async fn set_search(
    tx: &mut Tx,
    task: TaskId,
    search: &str,
    content: &str,
) -> Result<(), DbError> {
    tx.exec(
        "UPDATE tasks SET search = $2, search_content = $3 WHERE id = $1",
        args![task.to_string(), search, content],
    )
    .await?;
    Ok(())
}

/// The items `reader` may read that `filter` keeps, in `order`; a page of them if `page`
/// says which.
pub async fn select_heads(
    tx: &mut Tx,
    reader: &Reader<'_>,
    filter: &TaskFilter<'_>,
    order: TaskOrder,
    page: Option<Page>,
) -> Result<Vec<TaskHead>, DbError> {
    let s = Select::of(reader, filter);
    let mut sql = format!(
        "SELECT {HEAD_COLUMNS} FROM tasks t{} ORDER BY {}",
        s.clause(),
        order.sql()
    );
    if let Some(Page { limit, offset }) = page {
        sql.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
    }
    heads(tx, &sql, s.args).await
}

/// How many items `reader` may read that `filter` keeps.
pub async fn count_selected(
    tx: &mut Tx,
    reader: &Reader<'_>,
    filter: &TaskFilter<'_>,
) -> Result<u64, DbError> {
    let s = Select::of(reader, filter);
    let n = tx
        .row(
            &format!("SELECT COUNT(*) AS n FROM tasks t{}", s.clause()),
            s.args,
        )
        .await?
        .map(|r| r.get_int("n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The item, if one of `keys` may read it.
pub async fn visible_head(
    tx: &mut Tx,
    keys: &[String],
    task: TaskId,
) -> Result<Option<TaskHead>, DbError> {
    let sql = format!(
        "SELECT {HEAD_COLUMNS} FROM tasks t WHERE t.id = $1 AND {}",
        super::audience::visible_sql("t.id", "view", 2, keys.len())
    );
    let mut args = vec![Val::from(task.to_string())];
    args.extend(keys.iter().map(Val::from));
    Ok(heads(tx, &sql, args).await?.into_iter().next())
}

/// The items of the dispatch batch `batch` (one registration dispatched to several units,
/// all of category `category`) that one of `keys` may read, by id.
///
/// The batch is kept in the item's state, not in a column of its own: the items are those of
/// the category whose stored state (compact JSON, [`super::codec::to_json`]) names the batch.
/// The caller checks each state's batch again.
pub async fn batch_heads(
    tx: &mut Tx,
    keys: &[String],
    category: &str,
    batch: BatchId,
) -> Result<Vec<TaskHead>, DbError> {
    let sql = format!(
        "SELECT {HEAD_COLUMNS} FROM tasks t WHERE t.category = $1 AND t.state LIKE $2 AND {} \
         ORDER BY t.id",
        super::audience::visible_sql("t.id", "view", 3, keys.len())
    );
    // A uuid holds no LIKE wildcard (`%`, `_`).
    let mut args = vec![
        Val::from(category.to_owned()),
        Val::from(format!("%\"batch\":\"{batch}\"%")),
    ];
    args.extend(keys.iter().map(Val::from));
    heads(tx, &sql, args).await
}

/// The items anyone may read (those holding the `everyone` key), most recently changed
/// first.
pub async fn public_heads(tx: &mut Tx) -> Result<Vec<TaskHead>, DbError> {
    let sql = format!(
        "SELECT {HEAD_COLUMNS} FROM tasks t WHERE t.id IN (SELECT a.task FROM task_audience a \
         WHERE a.tier = 'view' AND a.key = 'everyone') ORDER BY t.updated_at DESC, t.id"
    );
    heads(tx, &sql, vec![]).await
}

/// Every item, whoever looks.
pub async fn all_heads(tx: &mut Tx) -> Result<Vec<TaskHead>, DbError> {
    heads(tx, &format!("SELECT {HEAD_COLUMNS} FROM tasks t"), vec![]).await
}

async fn heads(tx: &mut Tx, sql: &str, args: Vec<Val>) -> Result<Vec<TaskHead>, DbError> {
    tx.rows(sql, args).await?.iter().map(TaskHead::of).collect()
}

/// The stored states of the items among `ids` (in no particular order).
pub async fn states(tx: &mut Tx, ids: &[TaskId]) -> Result<Vec<StoredState>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT t.id, t.head, t.state FROM tasks t WHERE t.id IN ({})",
            placeholders(1, chunk.len())
        );
        let args = chunk.iter().map(|id| Val::from(id.to_string())).collect();
        for r in tx.rows(&sql, args).await? {
            out.push(StoredState {
                id: task_id(&r.get_text("id")?)?,
                head: r.get_text("head")?,
                state: json(&r.get_text("state")?)?,
            });
        }
    }
    Ok(out)
}

/// The item's confidential attributes, if it has any.
pub async fn secret_fields(
    tx: &mut Tx,
    task: TaskId,
) -> Result<Option<BTreeMap<String, String>>, DbError> {
    tx.row(
        "SELECT fields FROM task_secrets WHERE task = $1",
        vec![Val::from(task.to_string())],
    )
    .await?
    .map(|r| json(&r.get_text("fields")?))
    .transpose()
}

/// The item's trail: every event, in order.
pub async fn trail(tx: &mut Tx, task: TaskId) -> Result<Vec<TrailRow>, DbError> {
    let rows = tx
        .rows(
            "SELECT seq, task_seq, hash, body FROM changes WHERE task = $1 AND kind = 'event' ORDER BY seq",
            vec![Val::from(task.to_string())],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let body = r.get_text("body")?;
            Ok(TrailRow {
                seq: r.get_int("seq")?,
                task_seq: r.get_opt_int("task_seq")?,
                hash: r.get_opt_text("hash")?,
                event: json(&body)?,
                body,
            })
        })
        .collect()
}

/// The latest events of the items among `tasks`: of every 500 of them, the `limit` newest
/// (so at least the `limit` newest of all), in no particular order.
pub async fn latest_events(
    tx: &mut Tx,
    tasks: &[TaskId],
    limit: usize,
) -> Result<Vec<EventRow>, DbError> {
    let mut out = Vec::new();
    for chunk in tasks.chunks(CHUNK) {
        let sql = format!(
            "SELECT seq, task, body FROM changes WHERE kind = 'event' AND task IN ({}) \
             ORDER BY seq DESC LIMIT {limit}",
            placeholders(1, chunk.len())
        );
        let args = chunk.iter().map(|id| Val::from(id.to_string())).collect();
        for r in tx.rows(&sql, args).await? {
            out.push(EventRow {
                seq: r.get_int("seq")?,
                task: task_id(&r.get_text("task")?)?,
                event: json(&r.get_text("body")?)?,
            });
        }
    }
    Ok(out)
}

/// An item id as stored.
fn task_id(s: &str) -> Result<TaskId, DbError> {
    uuid::Uuid::parse_str(s)
        .map(TaskId)
        .map_err(|e| DbError::Corrupt(format!("item id: {e}")))
}
