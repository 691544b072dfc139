//! The first day's imports: units and people from the spreadsheet templates, checked row by
//! row as the item import is (`crate::register`), and written all together or not at all.
//!
//! - Units (`units.xlsx`): name, parent (by full name, short name or alias; empty: the
//!   organisation's root; a unit of an earlier row may be named), short name, aliases
//!   (separated by `、`, `,` or `;`), and the peer group it is ranked in (`units.peer_group`,
//!   `derived::peers`; empty: the default group).
//! - People (`people.xlsx`): username, name, unit (full name, short name or alias), position,
//!   roles (by name or code, separated as aliases are), units in charge, phone, an initial
//!   password (empty: one is made and shown once), and the person's user ids in the
//!   organisation's DingTalk and WeCom (optional: each binds the person, `crate::workapp`). Every imported person must choose their own
//!   password at first sign-in.
//!
//! Each refused row names its row number, its column and a stable code. [`check_units`] and
//! [`check_people`] run the same checks as the JSON API (`crate::org::check_unit`,
//! `check_person`) against the organisation as it will be after the rows before; [`apply_units`]
//! and [`apply_people`] check again inside the write transaction and write every row, with its
//! administrative trail entry, or none. The sheets are read by `crate::sheet`, whose limits are
//! checked before anything is allocated.

use duban_core::domain::{Code, Role, UnitId, UserId};
use duban_core::protocol::UnitRecord;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::auth::Session;
use crate::error::ApiError;
use crate::org::{check_person, check_unit, find_unit, Org, PersonInput, UnitInput, UnitLookup};
use crate::sheet::{self, SheetError};
use crate::AppState;

/// Why an import cannot go ahead at all.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file is not a readable spreadsheet, or is beyond the limits.
    #[error("{0}")]
    Sheet(#[from] SheetError),
    /// The header row lacks a required column.
    #[error("the column “{0}” is missing")]
    MissingColumn(&'static str),
    /// The sheet has no rows below its header.
    #[error("the sheet holds no rows")]
    NoRows,
    /// Rows were refused (nothing was written).
    #[error("{} rows were refused", .0.len())]
    Refused(Vec<RowProblem>),
    /// The server failed.
    #[error("{}", .0.en)]
    Api(ApiError),
}

impl From<ApiError> for ImportError {
    fn from(e: ApiError) -> ImportError {
        ImportError::Api(e)
    }
}

impl From<crate::db::DbError> for ImportError {
    fn from(e: crate::db::DbError) -> ImportError {
        ImportError::Api(e.into())
    }
}

impl ImportError {
    /// The stable code.
    pub fn code(&self) -> &str {
        match self {
            ImportError::Sheet(e) => e.code(),
            ImportError::MissingColumn(_) => "import.missing_column",
            ImportError::NoRows => "import.no_rows",
            ImportError::Refused(_) => "import.rows_refused",
            ImportError::Api(e) => &e.code,
        }
    }
}

/// One refused cell: the row as the spreadsheet numbers it, the column's key, a stable code
/// and the reason in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// Row number (1 is the header).
    pub row: u32,
    /// The column's key (`name`, `parent`, `unit`, `roles`…).
    pub column: String,
    /// Stable code.
    pub code: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
}

/// A column of a template: its key, its zh-CN and English headers, and whether it must be
/// there.
struct Column {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    required: bool,
}

const UNIT_COLUMNS: &[Column] = &[
    Column {
        key: "name",
        zh: "单位名称",
        en: "Name",
        required: true,
    },
    Column {
        key: "parent",
        zh: "上级单位",
        en: "Parent",
        required: false,
    },
    Column {
        key: "short_name",
        zh: "简称",
        en: "Short name",
        required: false,
    },
    Column {
        key: "aliases",
        zh: "别名",
        en: "Aliases",
        required: false,
    },
    Column {
        key: "peer_group",
        zh: "排名分组",
        en: "Peer group",
        required: false,
    },
];

const PEOPLE_COLUMNS: &[Column] = &[
    Column {
        key: "username",
        zh: "用户名",
        en: "Username",
        required: true,
    },
    Column {
        key: "name",
        zh: "姓名",
        en: "Name",
        required: true,
    },
    Column {
        key: "unit",
        zh: "单位",
        en: "Unit",
        required: false,
    },
    Column {
        key: "position",
        zh: "职务",
        en: "Position",
        required: false,
    },
    Column {
        key: "roles",
        zh: "角色",
        en: "Roles",
        required: true,
    },
    Column {
        key: "in_charge",
        zh: "分管单位",
        en: "Units in charge",
        required: false,
    },
    Column {
        key: "phone",
        zh: "手机号",
        en: "Phone",
        required: false,
    },
    Column {
        key: "password",
        zh: "初始密码",
        en: "Initial password",
        required: false,
    },
    Column {
        key: "dingtalk_user",
        zh: "钉钉用户ID",
        en: "DingTalk user id",
        required: false,
    },
    Column {
        key: "wecom_user",
        zh: "企业微信用户ID",
        en: "WeCom user id",
        required: false,
    },
];

/// A unit row as read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    /// Row number.
    pub row: u32,
    /// Full name.
    pub name: String,
    /// Parent as written (empty: the root).
    pub parent: String,
    /// Short name.
    pub short_name: String,
    /// Aliases.
    pub aliases: Vec<String>,
    /// The peer group it is ranked in (empty: the default group; absent from rows confirmed
    /// before the column existed).
    #[serde(default)]
    pub peer_group: String,
}

/// A person row as read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRow {
    /// Row number.
    pub row: u32,
    /// Username.
    pub username: String,
    /// Name.
    pub name: String,
    /// Unit as written.
    pub unit: String,
    /// Position.
    pub position: String,
    /// Roles as written.
    pub roles: Vec<String>,
    /// Units in charge as written.
    pub in_charge: Vec<String>,
    /// Phone.
    pub phone: String,
    /// Initial password (empty: one is made).
    pub password: String,
    /// The person's user id in the organisation's DingTalk (empty: not bound by the import).
    #[serde(default)]
    pub dingtalk_user: String,
    /// The person's user id in the organisation's WeCom (empty: not bound by the import).
    #[serde(default)]
    pub wecom_user: String,
}

impl PersonRow {
    /// The work-app bindings the row asks for: (app, the app's user id).
    fn work_accounts(&self) -> impl Iterator<Item = (&'static str, &'static str, &str)> {
        [
            ("dingtalk", "dingtalk_user", self.dingtalk_user.as_str()),
            ("wecom", "wecom_user", self.wecom_user.as_str()),
        ]
        .into_iter()
        .filter(|(_, _, id)| !id.is_empty())
    }
}

/// Splits a cell holding several values.
fn list(text: &str) -> Vec<String> {
    text.split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The columns of a sheet's header row (matched by either language's header, any case).
fn header(
    rows: &[sheet::Row],
    columns: &[Column],
) -> Result<Vec<(u32, &'static str)>, ImportError> {
    let head = rows.first().ok_or(ImportError::NoRows)?;
    let mut found = Vec::new();
    for (col, text) in &head.cells {
        let t = text.trim();
        if let Some(c) = columns
            .iter()
            .find(|c| t == c.zh || t.eq_ignore_ascii_case(c.en) || t.eq_ignore_ascii_case(c.key))
        {
            found.push((*col, c.key));
        }
    }
    for c in columns.iter().filter(|c| c.required) {
        if !found.iter().any(|(_, k)| *k == c.key) {
            return Err(ImportError::MissingColumn(c.zh));
        }
    }
    if rows.len() < 2 {
        return Err(ImportError::NoRows);
    }
    Ok(found)
}

fn cell<'a>(row: &'a sheet::Row, columns: &[(u32, &'static str)], key: &str) -> &'a str {
    columns
        .iter()
        .find(|(_, k)| *k == key)
        .and_then(|(col, _)| row.cells.iter().find(|(c, _)| c == col))
        .map(|(_, t)| t.trim())
        .unwrap_or("")
}

/// Reads a units sheet.
pub fn read_units(bytes: &[u8]) -> Result<Vec<UnitRow>, ImportError> {
    let rows = sheet::read_first_sheet(bytes)?;
    let columns = header(&rows, UNIT_COLUMNS)?;
    Ok(rows[1..]
        .iter()
        .map(|r| UnitRow {
            row: r.number,
            name: cell(r, &columns, "name").to_owned(),
            parent: cell(r, &columns, "parent").to_owned(),
            short_name: cell(r, &columns, "short_name").to_owned(),
            aliases: list(cell(r, &columns, "aliases")),
            peer_group: cell(r, &columns, "peer_group").to_owned(),
        })
        .collect())
}

/// Reads a people sheet.
pub fn read_people(bytes: &[u8]) -> Result<Vec<PersonRow>, ImportError> {
    let rows = sheet::read_first_sheet(bytes)?;
    let columns = header(&rows, PEOPLE_COLUMNS)?;
    Ok(rows[1..]
        .iter()
        .map(|r| PersonRow {
            row: r.number,
            username: cell(r, &columns, "username").to_lowercase(),
            name: cell(r, &columns, "name").to_owned(),
            unit: cell(r, &columns, "unit").to_owned(),
            position: cell(r, &columns, "position").to_owned(),
            roles: list(cell(r, &columns, "roles")),
            in_charge: list(cell(r, &columns, "in_charge")),
            phone: cell(r, &columns, "phone").to_owned(),
            password: cell(r, &columns, "password").to_owned(),
            dingtalk_user: cell(r, &columns, "dingtalk_user").to_owned(),
            wecom_user: cell(r, &columns, "wecom_user").to_owned(),
        })
        .collect())
}

fn problem(row: u32, column: &str, code: &str, zh: String, en: String) -> RowProblem {
    RowProblem {
        row,
        column: column.to_owned(),
        code: code.to_owned(),
        zh,
        en,
    }
}

/// A unit as written, found in `org` (retired units too when `with_retired`).
fn unit_in(
    org: &Org,
    row: u32,
    column: &str,
    written: &str,
    with_retired: bool,
) -> Result<UnitId, RowProblem> {
    match find_unit(&org.units, written, with_retired) {
        Ok(u) => Ok(u.id),
        Err(UnitLookup::Unknown) => Err(problem(
            row,
            column,
            "input.unknown_unit",
            format!("没有名为“{written}”的单位"),
            format!("no unit is named “{written}”"),
        )),
        Err(UnitLookup::Ambiguous(_)) => Err(problem(
            row,
            column,
            "input.ambiguous_unit",
            format!("有多个名为“{written}”的单位,请用简称或别名区分"),
            format!("several units are named “{written}”: tell them apart by short name or alias"),
        )),
    }
}

/// The organisation with a unit added (for checking the rows after it).
fn with_unit(org: &mut Org, record: UnitRecord) {
    org.tree.insert(record.id, record.parent);
    org.units.push(record);
}

/// Checks unit rows against `org` (and the rows before each): the inputs to write, by row,
/// or every problem.
pub fn check_units(org: &Org, rows: &[UnitRow]) -> Result<Vec<(u32, UnitInput)>, Vec<RowProblem>> {
    let mut org = org.clone();
    let root = org.units.iter().find(|u| u.parent.is_none()).map(|u| u.id);
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for r in rows {
        let parent = if r.parent.is_empty() {
            match root {
                Some(root) => Ok(root),
                None => Err(problem(
                    r.row,
                    "parent",
                    "org.no_root",
                    "尚未建立组织,请先运行 duban init".into(),
                    "there is no organisation yet: run duban init first".into(),
                )),
            }
        } else {
            unit_in(&org, r.row, "parent", &r.parent, false)
        };
        let parent = match parent {
            Ok(p) => p,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let id = UnitId(uuid::Uuid::new_v4());
        let input = UnitInput {
            id: Some(id),
            parent: Some(parent),
            name: r.name.clone(),
            name_en: String::new(),
            sort: 0,
            short_name: r.short_name.clone(),
            aliases: r.aliases.clone(),
            retired: false,
            peer_group: r.peer_group.clone(),
        };
        if let Err(refusal) = check_unit(&org, &input, id) {
            let holds_refused = |t: &str| duban_core::domain::text::refused_char(t, true).is_some();
            let column = match refusal.code {
                "org.bad_short_name" => "short_name",
                "org.bad_peer_group" => "peer_group",
                // A character not allowed: in the column that holds it.
                duban_core::domain::text::CODE if holds_refused(&input.short_name) => "short_name",
                duban_core::domain::text::CODE if holds_refused(&input.peer_group) => "peer_group",
                "org.retired_parent" | "org.unknown_unit" | "org.cycle" => "parent",
                "org.bad_alias" => "aliases",
                _ => "name",
            };
            problems.push(problem(r.row, column, refusal.code, refusal.zh, refusal.en));
            continue;
        }
        if org
            .units
            .iter()
            .any(|u| u.name == r.name.trim() && u.parent == Some(parent))
        {
            problems.push(problem(
                r.row,
                "name",
                "org.unit_exists",
                format!("上级单位下已有“{}”", r.name.trim()),
                format!("the parent already has a unit named “{}”", r.name.trim()),
            ));
            continue;
        }
        with_unit(
            &mut org,
            UnitRecord {
                id,
                parent: Some(parent),
                name: input.name.trim().to_owned(),
                name_en: String::new(),
                sort: 0,
                short_name: input.short_name.trim().to_owned(),
                aliases: input.aliases.clone(),
                retired: false,
                peer_group: input.peer_group.trim().to_owned(),
            },
        );
        out.push((r.row, input));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A person checked: the input to write and whether its password was made here (to be
/// shown once).
#[derive(Clone, Debug)]
pub struct CheckedPerson {
    /// Row number.
    pub row: u32,
    /// What to write (with the password to set).
    pub input: PersonInput,
    /// Whether the password was made by the import.
    pub made_password: bool,
}

/// Checks person rows against `org` and each other: the inputs to write, or every problem.
pub fn check_people(org: &Org, rows: &[PersonRow]) -> Result<Vec<CheckedPerson>, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let mut out: Vec<CheckedPerson> = Vec::new();
    for r in rows {
        let before = problems.len();
        let unit = if r.unit.is_empty() {
            None
        } else {
            match unit_in(org, r.row, "unit", &r.unit, false) {
                Ok(u) => Some(u),
                Err(p) => {
                    problems.push(p);
                    None
                }
            }
        };
        let mut in_charge = Vec::new();
        for written in &r.in_charge {
            match unit_in(org, r.row, "in_charge", written, false) {
                Ok(u) => in_charge.push(u),
                Err(p) => problems.push(p),
            }
        }
        let mut roles = Vec::new();
        for written in &r.roles {
            match Role::from_text(written).filter(|r| *r != Role::System) {
                Some(role) if !roles.contains(&role) => roles.push(role),
                Some(_) => {}
                None => problems.push(problem(
                    r.row,
                    "roles",
                    "input.unknown_role",
                    format!("没有名为“{written}”的角色"),
                    format!("no role is named “{written}”"),
                )),
            }
        }
        if let Some(first) = rows
            .iter()
            .take_while(|o| o.row != r.row)
            .find(|o| o.username == r.username)
        {
            problems.push(problem(
                r.row,
                "username",
                "org.username_taken",
                format!("用户名“{}”与第 {} 行重复", r.username, first.row),
                format!("the username “{}” repeats row {}", r.username, first.row),
            ));
        } else if org.people.values().any(|p| p.username == r.username) {
            problems.push(problem(
                r.row,
                "username",
                "org.username_taken",
                format!("用户名“{}”已被使用", r.username),
                format!("the username “{}” is already taken", r.username),
            ));
        }
        for (app, column, id) in r.work_accounts() {
            if id.chars().count() > 64 || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                problems.push(problem(
                    r.row,
                    column,
                    "workapp.bad_user_id",
                    format!("“{id}”不是有效的用户ID(至多 64 个字符,不含空格)"),
                    format!("“{id}” is not a valid user id (at most 64 characters, no spaces)"),
                ));
            } else if let Some(first) = rows
                .iter()
                .take_while(|o| o.row != r.row)
                .find(|o| o.work_accounts().any(|(a, _, i)| a == app && i == id))
            {
                problems.push(problem(
                    r.row,
                    column,
                    "workapp.user_id_taken",
                    format!("用户ID“{id}”与第 {} 行重复", first.row),
                    format!("the user id “{id}” repeats row {}", first.row),
                ));
            }
        }
        let made_password = r.password.is_empty();
        if !made_password {
            if let Err(e) = crate::auth::check_password_rules(&r.password) {
                problems.push(problem(r.row, "password", &e.code, e.zh, e.en));
            }
        }
        if problems.len() > before {
            continue;
        }
        let input = PersonInput {
            id: Some(UserId(uuid::Uuid::new_v4())),
            username: r.username.clone(),
            name: r.name.clone(),
            unit,
            position: r.position.clone(),
            roles,
            in_charge,
            phone: Some(r.phone.clone()).filter(|p| !p.is_empty()),
            password: Some(if made_password {
                String::new()
            } else {
                r.password.clone()
            }),
            active: true,
        };
        if let Err(refusal) = check_person(org, &input, true) {
            let column = match refusal.code {
                "org.bad_username" => "username",
                "org.bad_roles" => "roles",
                "org.head_without_unit" => "unit",
                "org.unknown_unit" => "unit",
                _ => "name",
            };
            problems.push(problem(r.row, column, refusal.code, refusal.zh, refusal.en));
            continue;
        }
        out.push(CheckedPerson {
            row: r.row,
            input,
            made_password,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Writes checked unit rows in one transaction, each with its trail entry (actor: the
/// administrator). Checks them again against the organisation as it is now.
pub async fn apply_units(
    state: &AppState,
    admin: &Session,
    rows: &[UnitRow],
) -> Result<Vec<UnitRecord>, ImportError> {
    let (mut tx, org) = crate::routes::admin::begin(state).await?;
    let inputs = check_units(&org, rows).map_err(ImportError::Refused)?;
    let now = chrono::Utc::now().timestamp_millis();
    let actor = admin.user().to_string();
    let mut written = Vec::new();
    for (_, input) in &inputs {
        let id = input.id.unwrap_or_else(|| UnitId(uuid::Uuid::new_v4()));
        let record = crate::org::write_unit(&mut tx, &org, input, id, now).await?;
        crate::routes::admin::record(
            &mut tx,
            &actor,
            "unit.import",
            &id.to_string(),
            None::<&()>,
            Some(&record),
        )
        .await?;
        written.push(record);
    }
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), units = written.len(), "units imported");
    Ok(written)
}

/// A person written by an import, with the password made for them (shown once), if one was.
#[derive(Clone, Debug)]
pub struct Imported {
    /// Row number.
    pub row: u32,
    /// Username.
    pub username: String,
    /// Name.
    pub name: String,
    /// The password the import made, to be handed over once.
    pub password: Option<String>,
}

/// Writes checked person rows in one transaction, each with its trail entry; every imported
/// person must choose their own password at first sign-in. Checks them again first.
pub async fn apply_people(
    state: &AppState,
    admin: &Session,
    rows: &[PersonRow],
) -> Result<Vec<Imported>, ImportError> {
    let current = state.org.latest(&state.db).await?;
    let mut checked = check_people(&current, rows).map_err(ImportError::Refused)?;
    // Hash the passwords (made ones first made) before the write transaction.
    let mut hashes = Vec::new();
    for p in &mut checked {
        if p.made_password {
            p.input.password = Some(crate::routes::admin::random_password()?);
        }
        let password = p.input.password.clone().unwrap_or_default();
        let hash = state
            .hashing
            .run(move || crate::auth::hash_password(&password))
            .await??;
        hashes.push(hash);
    }
    let (mut tx, org) = crate::routes::admin::begin(state).await?;
    if org.version != current.version {
        check_people(&org, rows).map_err(ImportError::Refused)?;
    }
    let now = chrono::Utc::now().timestamp_millis();
    let actor = admin.user().to_string();
    let mut out = Vec::new();
    for (p, hash) in checked.iter().zip(hashes) {
        let id = p.input.id.unwrap_or_else(|| UserId(uuid::Uuid::new_v4()));
        if crate::db::org::username_taken(&mut tx, &p.input.username, &id.to_string()).await? {
            return Err(ImportError::Refused(vec![problem(
                p.row,
                "username",
                "org.username_taken",
                format!("用户名“{}”已被使用", p.input.username),
                format!("the username “{}” is already taken", p.input.username),
            )]));
        }
        let person = crate::org::write_person(&mut tx, &org, &p.input, id, Some(hash), now).await?;
        crate::db::org::set_must_change_password(&mut tx, &id.to_string(), true).await?;
        let after = crate::routes::admin::AccountState {
            person: &person,
            phone: p.input.phone.as_deref(),
            password_set: true,
        };
        crate::routes::admin::record(
            &mut tx,
            &actor,
            "account.import",
            &id.to_string(),
            None::<&()>,
            Some(&after),
        )
        .await?;
        let row = rows.iter().find(|r| r.row == p.row);
        for (app, column, app_user) in row.into_iter().flat_map(PersonRow::work_accounts) {
            let account = crate::db::work_accounts::WorkAccount {
                user: id.to_string(),
                app: app.to_owned(),
                app_user: app_user.to_owned(),
                how: "import".to_owned(),
                created_at: now,
            };
            if !crate::db::work_accounts::bind(&mut tx, &account).await? {
                return Err(ImportError::Refused(vec![problem(
                    p.row,
                    column,
                    "workapp.user_id_taken",
                    format!("用户ID“{app_user}”已绑定其他人"),
                    format!("the user id “{app_user}” is bound to someone else"),
                )]));
            }
            crate::routes::admin::record(
                &mut tx,
                &actor,
                "work_account.bind",
                &id.to_string(),
                None::<&()>,
                Some(&account),
            )
            .await?;
        }
        out.push(Imported {
            row: p.row,
            username: person.username.clone(),
            name: person.name.clone(),
            password: p
                .made_password
                .then(|| p.input.password.clone().unwrap_or_default()),
        });
    }
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), people = out.len(), "people imported");
    Ok(out)
}

/// Which template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// Units.
    Units,
    /// People.
    People,
}

/// A template to fill in, with its headers in the page's language, an example row, and a
/// second sheet listing the units and roles as the organisation names them.
pub fn template(
    org: &Org,
    which: Template,
    lang: crate::i18n::Lang,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    let (columns, example): (&[Column], Vec<String>) = match which {
        Template::Units => (
            UNIT_COLUMNS,
            vec![
                lang.pick("县住房和城乡建设局", "County Housing Bureau")
                    .to_owned(),
                String::new(),
                lang.pick("住建局", "Housing").to_owned(),
                lang.pick("建设局、住建", "Construction").to_owned(),
                lang.pick("县直部门", "County departments").to_owned(),
            ],
        ),
        Template::People => (
            PEOPLE_COLUMNS,
            vec![
                "zhangsan".to_owned(),
                lang.pick("张三", "Zhang San").to_owned(),
                org.units
                    .iter()
                    .find(|u| u.parent.is_some() && !u.retired)
                    .map(|u| {
                        if u.short_name.is_empty() {
                            u.name.clone()
                        } else {
                            u.short_name.clone()
                        }
                    })
                    .unwrap_or_default(),
                lang.pick("科员", "Clerk").to_owned(),
                lang.name(Role::Staff).to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        ),
    };
    sheet.set_name(lang.pick("导入", "Import"))?;
    for (col, c) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, lang.pick(c.zh, c.en), &bold)?;
        sheet.set_column_width(col as u16, 20)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (col, text) in example.iter().enumerate() {
        sheet.write_string(1, col as u16, text)?;
    }
    let lists = book.add_worksheet();
    lists.set_name(lang.pick("可选值", "Choices"))?;
    lists.write_string_with_format(0, 0, lang.pick("单位", "Units"), &bold)?;
    lists.write_string_with_format(0, 1, lang.pick("简称", "Short name"), &bold)?;
    lists.write_string_with_format(0, 2, lang.pick("角色", "Roles"), &bold)?;
    lists.set_column_width(0, 28)?;
    lists.set_column_width(1, 16)?;
    lists.set_column_width(2, 16)?;
    for (i, u) in org.units.iter().filter(|u| !u.retired).enumerate() {
        lists.write_string(i as u32 + 1, 0, &u.name)?;
        lists.write_string(i as u32 + 1, 1, &u.short_name)?;
    }
    for (i, r) in Role::ALL.iter().filter(|r| **r != Role::System).enumerate() {
        lists.write_string(i as u32 + 1, 2, lang.name(*r))?;
    }
    book.save_to_buffer()
}
