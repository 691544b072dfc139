//! The items: the `tasks` projection and the rows kept beside it (`task_audience`,
//! `task_people`, `task_units`, `task_secrets`) and the item's trail in `changes`. Each
//! statement is a named function taking a transaction and typed values; rows come back as
//! structs read by column name.
//!
//! Reading (for `crate::read`): a selection of items is the person's visibility (their
//! audience keys against the item's `view` tier), a view of R8.2 and the filters SQL can
//! apply, built here from a typed [`TaskFilter`]; it answers each item's id and trail head
//! ([`TaskHead`]), and the states are read by id ([`states`]) only where the caller's cache
//! holds no current copy.

use std::collections::BTreeMap;

use duban_core::domain::derived::view::View;
use duban_core::domain::model::Urgency;
use duban_core::domain::{Event, Status, TaskId, TaskState, UnitId, UserId};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{placeholders, DbError, Row, Tx, Val};

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
    /// Text found in the title or the number (case-insensitive for Latin letters).
    pub text: Option<&'a str>,
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
            .push(crate::feed::visible_sql("t.id", "view", from, n));

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
            let c = s.within("t.status", f.statuses.iter().map(code).collect());
            s.conds.push(c);
        }
        if !f.categories.is_empty() {
            let c = s.within("t.category", f.categories.to_vec());
            s.conds.push(c);
        }
        if !f.urgencies.is_empty() {
            let c = s.within("t.urgency", f.urgencies.iter().map(code).collect());
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
            s.conds.push(format!(
                "(LOWER(t.title) LIKE LOWER({p}) ESCAPE '\\' OR LOWER(t.number) LIKE LOWER({p}) ESCAPE '\\')"
            ));
        }
        s
    }
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
        crate::feed::visible_sql("t.id", "view", 2, keys.len())
    );
    let mut args = vec![Val::from(task.to_string())];
    args.extend(keys.iter().map(Val::from));
    Ok(heads(tx, &sql, args).await?.into_iter().next())
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

/// A stored JSON document.
fn json<T: DeserializeOwned>(s: &str) -> Result<T, DbError> {
    serde_json::from_str(s).map_err(|e| DbError::Corrupt(format!("json: {e}")))
}

/// A unit enum's stored code: its serde name (`in_progress`, `urgent`).
fn code<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
