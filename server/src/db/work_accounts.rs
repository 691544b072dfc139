//! Work-app accounts as stored (`work_accounts`, migration 0012): a person bound to their
//! user id in the organisation's DingTalk or WeCom app, unique both ways (one id per person
//! and app, one person per id), with how and when the binding was made.

use super::{placeholders, Conn, DbError, Row, Tx, Val};
use crate::args;

/// One binding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WorkAccount {
    /// The person's id.
    pub user: String,
    /// The app: `dingtalk` or `wecom`.
    pub app: String,
    /// The person's user id in the app.
    pub app_user: String,
    /// How it was bound: `import`, `mobile`, `sign-in` or `admin`.
    pub how: String,
    /// When (Unix milliseconds).
    pub created_at: i64,
}

const COLUMNS: &str = "user_id, app, app_user, how, created_at";

fn account(r: &Row) -> Result<WorkAccount, DbError> {
    Ok(WorkAccount {
        user: r.get_text("user_id")?,
        app: r.get_text("app")?,
        app_user: r.get_text("app_user")?,
        how: r.get_text("how")?,
        created_at: r.get_int("created_at")?,
    })
}

/// Binds a person to an app's user id unless either side is bound already (in that app);
/// returns whether the binding was made.
pub async fn bind(tx: &mut Tx, a: &WorkAccount) -> Result<bool, DbError> {
    let n = tx
        .exec(
            &format!(
                "INSERT INTO work_accounts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT DO NOTHING"
            ),
            args![
                a.user.as_str(),
                a.app.as_str(),
                a.app_user.as_str(),
                a.how.as_str(),
                a.created_at
            ],
        )
        .await?;
    Ok(n > 0)
}

/// The person an app's user id is bound to.
pub async fn person_of<'a>(
    on: impl Into<Conn<'a>>,
    app: &str,
    app_user: &str,
) -> Result<Option<String>, DbError> {
    on.into()
        .row(
            "SELECT user_id FROM work_accounts WHERE app = $1 AND app_user = $2",
            args![app, app_user],
        )
        .await?
        .map(|r| r.get_text("user_id"))
        .transpose()
}

/// The binding of a person in an app.
pub async fn of_person<'a>(
    on: impl Into<Conn<'a>>,
    user: &str,
    app: &str,
) -> Result<Option<WorkAccount>, DbError> {
    on.into()
        .row(
            &format!("SELECT {COLUMNS} FROM work_accounts WHERE user_id = $1 AND app = $2"),
            args![user, app],
        )
        .await?
        .as_ref()
        .map(account)
        .transpose()
}

/// Every binding of these people (all of them when `users` is `None`), by person and app.
pub async fn of_people<'a>(
    on: impl Into<Conn<'a>>,
    users: Option<&[String]>,
) -> Result<Vec<WorkAccount>, DbError> {
    let rows = match users {
        Some([]) => return Ok(Vec::new()),
        Some(users) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM work_accounts WHERE user_id IN ({}) \
                 ORDER BY user_id, app",
                placeholders(1, users.len())
            );
            on.into()
                .rows(&sql, users.iter().map(Val::from).collect())
                .await?
        }
        None => {
            on.into()
                .rows(
                    &format!("SELECT {COLUMNS} FROM work_accounts ORDER BY user_id, app"),
                    vec![],
                )
                .await?
        }
    };
    rows.iter().map(account).collect()
}

/// Removes a person's binding in an app; returns it if there was one.
pub async fn remove(tx: &mut Tx, user: &str, app: &str) -> Result<Option<WorkAccount>, DbError> {
    let found = of_person(&mut *tx, user, app).await?;
    if found.is_some() {
        tx.exec(
            "DELETE FROM work_accounts WHERE user_id = $1 AND app = $2",
            args![user, app],
        )
        .await?;
    }
    Ok(found)
}

/// Active people with a phone number and no binding in the app: (id, phone).
pub async fn unbound_with_phone<'a>(
    on: impl Into<Conn<'a>>,
    app: &str,
) -> Result<Vec<(String, String)>, DbError> {
    on.into()
        .rows(
            "SELECT id, phone FROM users WHERE active = 1 AND phone IS NOT NULL AND phone <> '' \
             AND id NOT IN (SELECT user_id FROM work_accounts WHERE app = $1) ORDER BY id",
            args![app],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get_text("id")?, r.get_text("phone")?)))
        .collect()
}

/// Active people with a phone number: (id, phone as stored).
pub async fn active_phones<'a>(on: impl Into<Conn<'a>>) -> Result<Vec<(String, String)>, DbError> {
    on.into()
        .rows(
            "SELECT id, phone FROM users WHERE active = 1 AND phone IS NOT NULL AND phone <> '' \
             ORDER BY id",
            vec![],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get_text("id")?, r.get_text("phone")?)))
        .collect()
}

/// Removes the binding of an app's user id the app no longer knows (a dead binding).
pub async fn forget(tx: &mut Tx, app: &str, app_user: &str) -> Result<(), DbError> {
    tx.exec(
        "DELETE FROM work_accounts WHERE app = $1 AND app_user = $2",
        args![app, app_user],
    )
    .await?;
    Ok(())
}
