//! The SQLite and PostgreSQL migrations build the same schema: after migrating a fresh
//! database on each backend, `db::schema::describe` reads both back — tables, columns with
//! their mapped types, nullability and defaults, primary keys, unique constraints, foreign
//! keys and indexes by name and columns — and they must be equal. A difference is listed in
//! words, one line each.

use duban_server::db::schema::{self, Column, ColumnType, Schema};

use crate::support::{fresh_db, temp_dir, Backend};

async fn described(backend: Backend) -> Schema {
    let dir = temp_dir();
    let db = fresh_db(backend, &dir).await;
    let schema = schema::describe(&db).await.expect("describe the schema");
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrate_to_the_same_schema() {
    let sqlite = described(Backend::Sqlite).await;
    let postgres = described(Backend::Postgres).await;

    // Both were read at all: the tables every version has, with their columns.
    for s in [&sqlite, &postgres] {
        let tasks = &s.tables["tasks"];
        assert_eq!(tasks.primary_key, ["id"]);
        assert!(tasks.indexes["tasks_wake"].predicate.is_some());
        assert!(s.tables["users"]
            .foreign_keys
            .iter()
            .any(|k| k.table == "units"));
        assert!(s.tables["users"]
            .unique
            .contains(&vec!["username".to_owned()]));
        assert!(!s.tables.contains_key("_sqlx_migrations"));
    }

    let differences = sqlite.differences("SQLite", &postgres, "PostgreSQL");
    assert!(
        differences.is_empty(),
        "the SQLite and PostgreSQL migrations build different schemas:\n  {}",
        differences.join("\n  ")
    );
    assert_eq!(sqlite, postgres);

    // The comparison sees a change on one side.
    let mut changed = postgres.clone();
    let settings = changed.tables.get_mut("settings").expect("settings");
    settings.columns.push(Column {
        name: "extra".into(),
        ty: ColumnType::Integer,
        not_null: false,
        default: None,
    });
    settings.columns[1].ty = ColumnType::Other("postgres:integer".into());
    assert_eq!(
        sqlite.differences("SQLite", &changed, "PostgreSQL"),
        [
            "table settings: column extra integer only on PostgreSQL",
            "table settings: column value text not null on SQLite, but value postgres:integer \
             not null on PostgreSQL",
        ]
    );
}
