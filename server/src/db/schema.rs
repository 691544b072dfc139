//! The schema as the database reports it after migration, read from the backend's own
//! catalogue (`sqlite_master` and its pragmas; `pg_catalog`) and normalised to one typed
//! form, so that the SQLite and PostgreSQL migrations can be checked to build the same
//! schema: tables, columns with their mapped types, nullability and defaults, primary keys,
//! unique constraints, foreign keys and indexes by name.
//!
//! Normalised away, because they are how each backend spells the same thing: the names
//! PostgreSQL gives primary-key and unique-constraint indexes (`users_pkey`,
//! `jobs_dedupe_key`) and SQLite's `sqlite_autoindex_*`; casts on defaults (`''::text`);
//! parentheses around a partial index's predicate; SQLite's leniency that a non-integer
//! primary-key column may hold NULL (a primary-key column counts as NOT NULL on both).
//! Left out: sqlx's own `_sqlx_migrations` table and SQLite's internal `sqlite_*` tables.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{Backend, Db, DbError};

/// The schema of a database: its tables by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// Every table, by name.
    pub tables: BTreeMap<String, Table>,
}

/// One table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The columns, in their order in the table.
    pub columns: Vec<Column>,
    /// The primary key's columns, in key order (empty: none).
    pub primary_key: Vec<String>,
    /// Unique constraints (not unique indexes made by `CREATE UNIQUE INDEX`), by columns.
    pub unique: BTreeSet<Vec<String>>,
    /// Foreign keys.
    pub foreign_keys: BTreeSet<ForeignKey>,
    /// Indexes made by `CREATE INDEX`, by name.
    pub indexes: BTreeMap<String, Index>,
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type, mapped across the backends.
    pub ty: ColumnType,
    /// Whether it refuses NULL (a primary-key column does).
    pub not_null: bool,
    /// Its default, as an SQL expression without a type cast (`0`, `'[]'`).
    pub default: Option<String>,
}

/// A column's type, the same on both backends when the migrations agree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColumnType {
    /// SQLite `TEXT`; PostgreSQL `text`.
    Text,
    /// A 64-bit integer: SQLite `INTEGER` or `BIGINT`; PostgreSQL `bigint`.
    Integer,
    /// Bytes: SQLite `BLOB`; PostgreSQL `bytea`.
    Bytes,
    /// Any other type, as the backend names it, prefixed with the backend
    /// (`sqlite:BOOLEAN`, `postgres:integer`): never equal across backends, so it must be
    /// mapped above before the two schemas can agree.
    Other(String),
}

/// A foreign key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    /// The referring columns, in order.
    pub columns: Vec<String>,
    /// The table referred to.
    pub table: String,
    /// The columns referred to, in order.
    pub references: Vec<String>,
}

/// An index made by `CREATE [UNIQUE] INDEX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// The indexed columns in order (an expression shows as `<expression>`).
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// The predicate of a partial index, lower case, spaces collapsed, without enclosing
    /// parentheses (`wake_at is not null`).
    pub predicate: Option<String>,
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Text => f.write_str("text"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::Bytes => f.write_str("bytes"),
            ColumnType::Other(t) => f.write_str(t),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.ty)?;
        if self.not_null {
            f.write_str(" not null")?;
        }
        if let Some(d) = &self.default {
            write!(f, " default {d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unique {
            f.write_str("unique ")?;
        }
        write!(f, "({})", self.columns.join(", "))?;
        if let Some(p) = &self.predicate {
            write!(f, " where {p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({}) references {}({})",
            self.columns.join(", "),
            self.table,
            self.references.join(", ")
        )
    }
}

impl Schema {
    /// What differs between `self` (named `left`) and `other` (named `right`), one line per
    /// difference in words; empty when the two are equal.
    pub fn differences(&self, left: &str, other: &Schema, right: &str) -> Vec<String> {
        let mut out = Vec::new();
        for name in keys(&self.tables, &other.tables) {
            match (self.tables.get(name), other.tables.get(name)) {
                (Some(a), Some(b)) => a.differences(name, left, b, right, &mut out),
                (Some(_), None) => out.push(format!("table {name}: only on {left}")),
                (None, Some(_)) => out.push(format!("table {name}: only on {right}")),
                (None, None) => {}
            }
        }
        out
    }
}

impl Table {
    fn differences(&self, t: &str, l: &str, other: &Table, r: &str, out: &mut Vec<String>) {
        let mine: BTreeMap<&str, &Column> =
            self.columns.iter().map(|c| (c.name.as_str(), c)).collect();
        let theirs: BTreeMap<&str, &Column> =
            other.columns.iter().map(|c| (c.name.as_str(), c)).collect();
        for name in keys(&mine, &theirs) {
            match (mine.get(name), theirs.get(name)) {
                (Some(a), Some(b)) if a != b => {
                    out.push(format!("table {t}: column {a} on {l}, but {b} on {r}"))
                }
                (Some(a), None) => out.push(format!("table {t}: column {a} only on {l}")),
                (None, Some(b)) => out.push(format!("table {t}: column {b} only on {r}")),
                _ => {}
            }
        }
        let order = |cs: &[Column]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        let (a, b) = (order(&self.columns), order(&other.columns));
        if a != b && mine.keys().eq(theirs.keys()) {
            out.push(format!(
                "table {t}: columns in the order ({}) on {l}, but ({}) on {r}",
                a.join(", "),
                b.join(", ")
            ));
        }
        if self.primary_key != other.primary_key {
            out.push(format!(
                "table {t}: primary key ({}) on {l}, but ({}) on {r}",
                self.primary_key.join(", "),
                other.primary_key.join(", ")
            ));
        }
        for u in self.unique.symmetric_difference(&other.unique) {
            let side = if self.unique.contains(u) { l } else { r };
            out.push(format!(
                "table {t}: unique ({}) only on {side}",
                u.join(", ")
            ));
        }
        for k in self.foreign_keys.symmetric_difference(&other.foreign_keys) {
            let side = if self.foreign_keys.contains(k) { l } else { r };
            out.push(format!("table {t}: foreign key {k} only on {side}"));
        }
        for name in keys(&self.indexes, &other.indexes) {
            match (self.indexes.get(name), other.indexes.get(name)) {
                (Some(a), Some(b)) if a != b => out.push(format!(
                    "table {t}: index {name} is {a} on {l}, but {b} on {r}"
                )),
                (Some(a), None) => out.push(format!("table {t}: index {name} {a} only on {l}")),
                (None, Some(b)) => out.push(format!("table {t}: index {name} {b} only on {r}")),
                _ => {}
            }
        }
    }
}

/// The keys of two maps, each once, in order.
fn keys<'a, K: Ord, A, B>(a: &'a BTreeMap<K, A>, b: &'a BTreeMap<K, B>) -> BTreeSet<&'a K> {
    a.keys().chain(b.keys()).collect()
}

/// Reads the schema of `db` after migration, normalised (see the module's header).
pub async fn describe(db: &Db) -> Result<Schema, DbError> {
    let mut schema = match db.backend() {
        Backend::Sqlite => sqlite(db).await?,
        Backend::Postgres => postgres(db).await?,
    };
    for table in schema.tables.values_mut() {
        for column in &mut table.columns {
            if table.primary_key.contains(&column.name) {
                column.not_null = true;
            }
        }
    }
    Ok(schema)
}

/// The tables described: the application's own, not the backend's or sqlx's.
const SQLITE_TABLES: &str = "SELECT name FROM sqlite_master \
     WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND name <> '_sqlx_migrations'";

async fn sqlite(db: &Db) -> Result<Schema, DbError> {
    let mut schema = Schema::default();
    let columns = db
        .rows(
            &format!(
                "SELECT t.name AS tbl, c.name AS col, c.type AS ty, c.\"notnull\" AS not_null, \
                        c.dflt_value AS dflt, c.pk AS pk \
                 FROM ({SQLITE_TABLES}) t, pragma_table_info(t.name) c \
                 ORDER BY t.name, c.cid"
            ),
            vec![],
        )
        .await?;
    let mut primary: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for row in &columns {
        let table = row.get_text("tbl")?;
        let name = row.get_text("col")?;
        let pk = row.get_int("pk")?;
        if pk > 0 {
            primary
                .entry(table.clone())
                .or_default()
                .push((pk, name.clone()));
        }
        schema
            .tables
            .entry(table)
            .or_default()
            .columns
            .push(Column {
                name,
                ty: sqlite_type(&row.get_text("ty")?),
                not_null: row.get_int("not_null")? != 0,
                default: row.get_opt_text("dflt")?.map(|d| default(&d)),
            });
    }
    for (table, mut key) in primary {
        key.sort();
        schema.table(&table).primary_key = key.into_iter().map(|(_, c)| c).collect();
    }

    let indexes = db
        .rows(
            &format!(
                "SELECT t.name AS tbl, l.name AS idx, l.\"unique\" AS uniq, l.origin AS origin, \
                        i.seqno AS pos, i.name AS col, m.sql AS def \
                 FROM ({SQLITE_TABLES}) t, pragma_index_list(t.name) l, \
                      pragma_index_info(l.name) i \
                 LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name \
                 ORDER BY t.name, l.name, i.seqno"
            ),
            vec![],
        )
        .await?;
    let mut unique: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in &indexes {
        let table = row.get_text("tbl")?;
        let name = row.get_text("idx")?;
        let column = row
            .get_opt_text("col")?
            .unwrap_or_else(|| "<expression>".into());
        match row.get_text("origin")?.as_str() {
            // The primary key's own index: described by `primary_key`.
            "pk" => {}
            "u" => unique.entry((table, name)).or_default().push(column),
            _ => {
                let predicate = row
                    .get_opt_text("def")?
                    .and_then(|sql| sqlite_predicate(&sql));
                let unique = row.get_int("uniq")? != 0;
                schema
                    .table(&table)
                    .indexes
                    .entry(name)
                    .or_insert_with(|| Index {
                        columns: vec![],
                        unique,
                        predicate,
                    })
                    .columns
                    .push(column);
            }
        }
    }
    for ((table, _), columns) in unique {
        schema.table(&table).unique.insert(columns);
    }

    let foreign_rows = db
        .rows(
            &format!(
                "SELECT t.name AS tbl, f.id AS id, f.seq AS pos, f.\"table\" AS ref, \
                        f.\"from\" AS col, f.\"to\" AS ref_col \
                 FROM ({SQLITE_TABLES}) t, pragma_foreign_key_list(t.name) f \
                 ORDER BY t.name, f.id, f.seq"
            ),
            vec![],
        )
        .await?;
    let mut foreign: BTreeMap<(String, i64), ForeignKey> = BTreeMap::new();
    for row in &foreign_rows {
        let key = foreign
            .entry((row.get_text("tbl")?, row.get_int("id")?))
            .or_insert_with(|| ForeignKey {
                columns: vec![],
                table: String::new(),
                references: vec![],
            });
        key.table = row.get_text("ref")?;
        key.columns.push(row.get_text("col")?);
        // `REFERENCES t` without columns names the other table's primary key: resolved below.
        key.references
            .push(row.get_opt_text("ref_col")?.unwrap_or_default());
    }
    for ((table, _), mut key) in foreign {
        if key.references.iter().any(String::is_empty) {
            if let Some(other) = schema.tables.get(&key.table) {
                key.references = other.primary_key.clone();
            }
        }
        schema.table(&table).foreign_keys.insert(key);
    }
    Ok(schema)
}

/// The tables described on PostgreSQL: ordinary tables in the current schema, not sqlx's.
const PG_TABLES: &str = "SELECT c.oid, c.relname FROM pg_class c \
     WHERE c.relkind IN ('r', 'p') \
     AND c.relnamespace = (SELECT n.oid FROM pg_namespace n WHERE n.nspname = current_schema()) \
     AND c.relname <> '_sqlx_migrations'";

async fn postgres(db: &Db) -> Result<Schema, DbError> {
    let mut schema = Schema::default();
    let columns = db
        .rows(
            &format!(
                "SELECT t.relname::text AS tbl, a.attname::text AS col, \
                        format_type(a.atttypid, a.atttypmod)::text AS ty, \
                        (CASE WHEN a.attnotnull THEN 1 ELSE 0 END)::bigint AS not_null, \
                        pg_get_expr(d.adbin, d.adrelid)::text AS dflt \
                 FROM ({PG_TABLES}) t \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 \
                      AND NOT a.attisdropped \
                 LEFT JOIN pg_attrdef d ON d.adrelid = t.oid AND d.adnum = a.attnum \
                 ORDER BY t.relname, a.attnum"
            ),
            vec![],
        )
        .await?;
    for row in &columns {
        schema.table(&row.get_text("tbl")?).columns.push(Column {
            name: row.get_text("col")?,
            ty: postgres_type(&row.get_text("ty")?),
            not_null: row.get_int("not_null")? != 0,
            default: row.get_opt_text("dflt")?.map(|d| default(&d)),
        });
    }

    // Primary keys, unique constraints and foreign keys, one row per column in key order.
    let constraints = db
        .rows(
            &format!(
                "SELECT t.relname::text AS tbl, c.conname::text AS name, c.contype::text AS kind, \
                        k.ord::bigint AS pos, a.attname::text AS col, \
                        r.relname::text AS ref, ra.attname::text AS ref_col \
                 FROM ({PG_TABLES}) t \
                 JOIN pg_constraint c ON c.conrelid = t.oid AND c.contype IN ('p', 'u', 'f') \
                 CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY \
                      AS k(attnum, refnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 LEFT JOIN pg_class r ON r.oid = c.confrelid \
                 LEFT JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum \
                 ORDER BY t.relname, c.conname, k.ord"
            ),
            vec![],
        )
        .await?;
    let mut unique: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut foreign: BTreeMap<(String, String), ForeignKey> = BTreeMap::new();
    for row in &constraints {
        let table = row.get_text("tbl")?;
        let name = row.get_text("name")?;
        let column = row.get_text("col")?;
        match row.get_text("kind")?.as_str() {
            "p" => schema.table(&table).primary_key.push(column),
            "u" => unique.entry((table, name)).or_default().push(column),
            _ => {
                let key = foreign.entry((table, name)).or_insert_with(|| ForeignKey {
                    columns: vec![],
                    table: String::new(),
                    references: vec![],
                });
                key.table = row.get_opt_text("ref")?.unwrap_or_default();
                key.columns.push(column);
                key.references
                    .push(row.get_opt_text("ref_col")?.unwrap_or_default());
            }
        }
    }
    for ((table, _), columns) in unique {
        schema.table(&table).unique.insert(columns);
    }
    for ((table, _), key) in foreign {
        schema.table(&table).foreign_keys.insert(key);
    }

    // Indexes other than those behind a primary key or unique constraint, one row per key
    // column (an expression comes back as its text).
    let indexes = db
        .rows(
            &format!(
                "SELECT t.relname::text AS tbl, i.relname::text AS idx, \
                        (CASE WHEN x.indisunique THEN 1 ELSE 0 END)::bigint AS uniq, \
                        pg_get_expr(x.indpred, x.indrelid)::text AS pred, \
                        k.pos::bigint AS pos, \
                        (CASE WHEN x.indkey[k.pos - 1] = 0 THEN NULL \
                              ELSE pg_get_indexdef(x.indexrelid, k.pos, true) END)::text AS col \
                 FROM ({PG_TABLES}) t \
                 JOIN pg_index x ON x.indrelid = t.oid \
                 JOIN pg_class i ON i.oid = x.indexrelid \
                 CROSS JOIN LATERAL generate_series(1, x.indnkeyatts) AS k(pos) \
                 WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c \
                                   WHERE c.conindid = x.indexrelid AND c.conrelid = t.oid \
                                   AND c.contype IN ('p', 'u', 'x')) \
                 ORDER BY t.relname, i.relname, k.pos"
            ),
            vec![],
        )
        .await?;
    for row in &indexes {
        let unique = row.get_int("uniq")? != 0;
        let predicate = row.get_opt_text("pred")?.map(|p| predicate(&p));
        let column = row
            .get_opt_text("col")?
            .unwrap_or_else(|| "<expression>".into());
        schema
            .table(&row.get_text("tbl")?)
            .indexes
            .entry(row.get_text("idx")?)
            .or_insert_with(|| Index {
                columns: vec![],
                unique,
                predicate,
            })
            .columns
            .push(column);
    }
    Ok(schema)
}

impl Schema {
    fn table(&mut self, name: &str) -> &mut Table {
        self.tables.entry(name.to_owned()).or_default()
    }
}

/// A SQLite declared type, mapped.
fn sqlite_type(declared: &str) -> ColumnType {
    match declared.trim().to_ascii_uppercase().as_str() {
        "TEXT" => ColumnType::Text,
        "INTEGER" | "BIGINT" => ColumnType::Integer,
        "BLOB" => ColumnType::Bytes,
        _ => ColumnType::Other(format!("sqlite:{declared}")),
    }
}

/// A PostgreSQL type as `format_type` prints it, mapped.
fn postgres_type(formatted: &str) -> ColumnType {
    match formatted {
        "text" => ColumnType::Text,
        "bigint" => ColumnType::Integer,
        "bytea" => ColumnType::Bytes,
        _ => ColumnType::Other(format!("postgres:{formatted}")),
    }
}

/// A default expression without PostgreSQL's trailing type cast (`'[]'::text` → `'[]'`).
fn default(expression: &str) -> String {
    let e = expression.trim();
    match e.rsplit_once("::") {
        Some((value, ty)) if ty.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') => {
            value.trim().to_owned()
        }
        _ => e.to_owned(),
    }
}

/// The predicate of a partial index from its `CREATE INDEX … WHERE …` statement.
fn sqlite_predicate(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.rfind(" WHERE ")?;
    Some(predicate(&sql[at + " WHERE ".len()..]))
}

/// A predicate normalised: lower case, spaces collapsed, PostgreSQL's casts of literals to
/// the mapped types and enclosing parentheses removed.
fn predicate(text: &str) -> String {
    let mut p = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace("::text", "")
        .replace("::bigint", "")
        .replace("::bytea", "");
    while p.starts_with('(') && p.ends_with(')') && encloses(&p) {
        p = p[1..p.len() - 1].trim().to_owned();
    }
    p
}

/// Whether the first parenthesis of `p` closes at its last character.
fn encloses(p: &str) -> bool {
    let mut depth = 0i32;
    for (i, c) in p.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i == p.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_lose_their_casts_and_predicates_their_parentheses() {
        assert_eq!(default("'[]'::text"), "'[]'");
        assert_eq!(default("0"), "0");
        assert_eq!(predicate("(wake_at IS NOT NULL)"), "wake_at is not null");
        assert_eq!(predicate("(a = 1) OR (b = 2)"), "(a = 1) or (b = 2)");
        assert_eq!(predicate("(state = 'dead'::text)"), "state = 'dead'");
        assert_eq!(
            sqlite_predicate("CREATE INDEX t ON tasks (wake_at) WHERE wake_at IS NOT NULL"),
            Some("wake_at is not null".into())
        );
    }
}
