//! Units, accounts, the imports of units and people, the administrative trail, and a
//! person's own password page.
//!
//! - `GET /admin/units` (the tree and a form for a new unit), `POST /admin/units`,
//!   `GET|POST /admin/units/{id}` (rename, move, short name, aliases, retire);
//! - `GET /admin/accounts` (the list and a form for a new account, whose initial password is
//!   shown once), `POST /admin/accounts`, `GET|POST /admin/accounts/{id}` (name, unit,
//!   position, roles, units in charge, phone), `POST /admin/accounts/{id}/reset` (a random
//!   password shown once; the person must change it), `…/unlock`, `…/active`
//!   (deactivate, with every session revoked, or reactivate);
//! - `GET /admin/import`, `POST /admin/import/{units|people}` (a spreadsheet: the preview,
//!   row by row), `POST /admin/import/{units|people}/confirm` (writes every row or none),
//!   `GET /admin/import/{units|people}.xlsx` (the templates);
//! - `GET /admin/trail`: the administrative trail and whether it verifies (administrators and
//!   inspectors);
//! - `GET|POST /password`: the signed-in person sets their own password — the only page open
//!   to a person whose password an administrator set.
//!
//! Every change goes through the JSON API's functions (`crate::routes::admin`), which check
//! it as the API does and record it in the administrative trail in the same transaction. A
//! refused form is shown again with the refusal at its field and what was typed kept.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use duban_core::domain::{Code, Role, UnitId, UserId};
use duban_core::protocol::UnitRecord;

use super::AdminPage;
use crate::auth::{change_own_password, Session};
use crate::error::{ApiError, Multipart};
use crate::org::{Org, PersonInput, UnitInput};
use crate::org_import::{self, ImportError, PersonRow, RowProblem, UnitRow};
use crate::routes::admin as api;
use crate::web::{page, Chrome, SignedIn};
use crate::AppState;

/// The routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/units", get(units_page).post(unit_create))
        .route("/admin/units/{id}", get(unit_page).post(unit_save))
        .route("/admin/accounts", get(accounts_page).post(account_create))
        .route("/admin/accounts/{id}", get(account_page).post(account_save))
        .route("/admin/accounts/{id}/reset", post(account_reset))
        .route("/admin/accounts/{id}/unlock", post(account_unlock))
        .route("/admin/accounts/{id}/active", post(account_active))
        .route("/admin/import", get(import_page))
        .route("/admin/import/units.xlsx", get(units_template))
        .route("/admin/import/people.xlsx", get(people_template))
        .route("/admin/import/units", post(import_units))
        .route("/admin/import/people", post(import_people))
        .route("/admin/import/units/confirm", post(confirm_units))
        .route("/admin/import/people/confirm", post(confirm_people))
        .route("/admin/trail", get(trail_page))
        .route("/password", get(password_page).post(password_save))
}

/// The fields of a URL-encoded form body, in order (repeated names kept: ticked boxes).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn of(body: &Bytes) -> Fields {
        Fields(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A refusal shown at its field.
struct Refusal {
    field: &'static str,
    code: String,
    text: String,
}

impl Refusal {
    fn of(e: &ApiError, chrome: &Chrome) -> Refusal {
        let field = match e.code.as_str() {
            "org.bad_name" | "input.control_char" => "name",
            "org.bad_short_name" => "short_name",
            "org.bad_peer_group" => "peer_group",
            "org.bad_alias" | "org.name_taken" => "aliases",
            "org.cycle" | "org.unknown_unit" | "org.retired_parent" => "parent",
            "org.bad_username" | "org.username_taken" | "org.id_taken" => "username",
            "org.bad_roles" | "org.last_admin" => "roles",
            "org.retire_root" => "form",
            "org.head_without_unit" => "unit",
            "auth.weak_password" | "auth.wrong_password" | "auth.same_password" => "password",
            _ => "form",
        };
        Refusal {
            field,
            code: e.code.clone(),
            text: chrome.pick(&e.zh, &e.en).to_owned(),
        }
    }
}

/// The refusal at `field`, if that is where it is.
fn at<'a>(refusal: &'a Option<Refusal>, field: &str) -> Option<&'a Refusal> {
    refusal.as_ref().filter(|r| r.field == field)
}

fn chrome(state: &AppState, session: &Session, here: &str) -> Chrome {
    Chrome::new(
        Some(session),
        &session.org.calendar,
        here,
        state.clock.now(),
    )
}

/// A unit as an option or a tree line: its id, its name as entered, its depth.
struct UnitLine {
    id: String,
    name: String,
    short_name: String,
    aliases: String,
    peer_group: String,
    depth: usize,
    retired: bool,
    people: usize,
}

/// The units in tree order (each parent before its children).
fn tree(org: &Org) -> Vec<UnitLine> {
    fn walk(org: &Org, parent: Option<UnitId>, depth: usize, out: &mut Vec<UnitLine>) {
        for u in org.units.iter().filter(|u| u.parent == parent) {
            out.push(UnitLine {
                id: u.id.to_string(),
                name: u.name.clone(),
                short_name: u.short_name.clone(),
                aliases: u.aliases.join(&crate::i18n::t("ledger-list-separator")),
                peer_group: u.peer_group.clone(),
                depth: depth.min(8),
                retired: u.retired,
                people: org.people.values().filter(|p| p.unit == Some(u.id)).count(),
            });
            if depth < 64 {
                walk(org, Some(u.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(org, None, 0, &mut out);
    out
}

// ----- units -----------------------------------------------------------------------------------

/// What a unit form holds (as typed).
#[derive(Default)]
struct UnitForm {
    name: String,
    parent: String,
    short_name: String,
    aliases: String,
    peer_group: String,
    retired: bool,
}

impl UnitForm {
    fn of(fields: &Fields) -> UnitForm {
        UnitForm {
            name: fields.get("name"),
            parent: fields.get("parent"),
            short_name: fields.get("short_name"),
            aliases: fields.get("aliases"),
            peer_group: fields.get("peer_group"),
            retired: fields.get("retired") == "1",
        }
    }

    fn of_unit(u: &UnitRecord) -> UnitForm {
        UnitForm {
            name: u.name.clone(),
            parent: u.parent.map(|p| p.to_string()).unwrap_or_default(),
            short_name: u.short_name.clone(),
            aliases: u.aliases.join(&crate::i18n::t("ledger-list-separator")),
            peer_group: u.peer_group.clone(),
            retired: u.retired,
        }
    }

    /// The input: `base` keeps what the form does not carry (the English name, the order).
    fn input(&self, id: UnitId, base: Option<&UnitRecord>) -> Result<UnitInput, ApiError> {
        let parent = if self.parent.trim().is_empty() {
            None
        } else {
            Some(UnitId(uuid::Uuid::parse_str(self.parent.trim()).map_err(
                |_| {
                    ApiError::unprocessable(
                        "org.unknown_unit",
                        "上级单位不存在",
                        "no such parent unit",
                    )
                },
            )?))
        };
        Ok(UnitInput {
            id: Some(id),
            parent,
            name: self.name.clone(),
            name_en: base.map(|b| b.name_en.clone()).unwrap_or_default(),
            sort: base.map(|b| b.sort).unwrap_or_default(),
            short_name: self.short_name.clone(),
            aliases: self
                .aliases
                .split(['、', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            retired: self.retired,
            peer_group: self.peer_group.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    chrome: Chrome,
    units: Vec<UnitLine>,
    form: UnitForm,
    refusal: Option<Refusal>,
}

impl UnitsPage {
    fn at(&self, field: &str) -> Option<&Refusal> {
        at(&self.refusal, field)
    }
}

async fn units_page(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    let root = session
        .org
        .units
        .iter()
        .find(|u| u.parent.is_none())
        .map(|u| u.id.to_string())
        .unwrap_or_default();
    let p = UnitsPage {
        chrome: chrome(&state, &session, "/admin/units"),
        units: tree(&session.org),
        form: UnitForm {
            parent: root,
            ..UnitForm::default()
        },
        refusal: None,
    };
    page(StatusCode::OK, &p)
}

async fn unit_create(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    body: Bytes,
) -> Response {
    let form = UnitForm::of(&Fields::of(&body));
    let id = UnitId(uuid::Uuid::new_v4());
    let result = match form.input(id, None) {
        Ok(input) => api::save_unit(&state, &session, input, id, true).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to("/admin/units").into_response(),
        Err(e) if e.status.is_server_error() => e.into_response(),
        Err(e) => {
            let org = state
                .org
                .latest(&state.db)
                .await
                .unwrap_or(session.org.clone());
            let chrome = chrome(&state, &session, "/admin/units");
            let refusal = Some(Refusal::of(&e, &chrome));
            let p = UnitsPage {
                chrome,
                units: tree(&org),
                form,
                refusal,
            };
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

#[derive(Template)]
#[template(path = "admin/unit.html")]
struct UnitPage {
    chrome: Chrome,
    id: String,
    units: Vec<UnitLine>,
    form: UnitForm,
    refusal: Option<Refusal>,
    is_root: bool,
}

impl UnitPage {
    fn at(&self, field: &str) -> Option<&Refusal> {
        at(&self.refusal, field)
    }
}

fn parse_unit(id: &str) -> Option<UnitId> {
    uuid::Uuid::parse_str(id.trim()).ok().map(UnitId)
}

async fn unit_page(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(id): Path<String>,
) -> Response {
    let Some(unit) = parse_unit(&id).and_then(|id| session.org.unit(id)).cloned() else {
        return ApiError::not_found("单位", "unit").into_response();
    };
    let p = UnitPage {
        chrome: chrome(&state, &session, "/admin/units"),
        id: unit.id.to_string(),
        units: tree(&session.org)
            .into_iter()
            .filter(|u| u.id != unit.id.to_string())
            .collect(),
        form: UnitForm::of_unit(&unit),
        refusal: None,
        is_root: unit.parent.is_none(),
    };
    page(StatusCode::OK, &p)
}

async fn unit_save(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(unit) = parse_unit(&id).and_then(|id| session.org.unit(id)).cloned() else {
        return ApiError::not_found("单位", "unit").into_response();
    };
    let form = UnitForm::of(&Fields::of(&body));
    let result = match form.input(unit.id, Some(&unit)) {
        Ok(input) => api::save_unit(&state, &session, input, unit.id, false).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to("/admin/units").into_response(),
        Err(e) if e.status.is_server_error() => e.into_response(),
        Err(e) => {
            let chrome = chrome(&state, &session, "/admin/units");
            let refusal = Some(Refusal::of(&e, &chrome));
            let p = UnitPage {
                chrome,
                id: unit.id.to_string(),
                units: tree(&session.org)
                    .into_iter()
                    .filter(|u| u.id != unit.id.to_string())
                    .collect(),
                form,
                refusal,
                is_root: unit.parent.is_none(),
            };
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

// ----- accounts --------------------------------------------------------------------------------

/// A line of the accounts list.
struct AccountLine {
    id: String,
    username: String,
    name: String,
    unit: String,
    position: String,
    roles: String,
    active: bool,
    locked: bool,
    must_change: bool,
}

/// What an account form holds (as typed).
#[derive(Default)]
struct AccountForm {
    username: String,
    name: String,
    unit: String,
    position: String,
    roles: Vec<String>,
    in_charge: Vec<String>,
    phone: String,
}

impl AccountForm {
    fn of(fields: &Fields) -> AccountForm {
        AccountForm {
            username: fields.get("username").trim().to_lowercase(),
            name: fields.get("name"),
            unit: fields.get("unit"),
            position: fields.get("position"),
            roles: fields.all("role"),
            in_charge: fields.all("in_charge"),
            phone: fields.get("phone"),
        }
    }

    fn of_account(a: &api::Account) -> AccountForm {
        AccountForm {
            username: a.person.username.clone(),
            name: a.person.name.clone(),
            unit: a.person.unit.map(|u| u.to_string()).unwrap_or_default(),
            position: a.person.position.clone(),
            roles: a.person.roles.iter().map(|r| r.code().to_owned()).collect(),
            in_charge: a.person.in_charge.iter().map(|u| u.to_string()).collect(),
            phone: a.phone.clone().unwrap_or_default(),
        }
    }

    fn has_role(&self, code: &str) -> bool {
        self.roles.iter().any(|r| r == code)
    }

    fn in_charge_of(&self, id: &str) -> bool {
        self.in_charge.iter().any(|u| u == id)
    }

    fn input(&self, id: UserId, active: bool, password: Option<String>) -> PersonInput {
        let unit_of = |t: &str| uuid::Uuid::parse_str(t.trim()).ok().map(UnitId);
        PersonInput {
            id: Some(id),
            username: self.username.clone(),
            name: self.name.clone(),
            unit: unit_of(&self.unit),
            position: self.position.clone(),
            roles: self
                .roles
                .iter()
                .filter_map(|r| Role::from_code(r))
                .collect(),
            in_charge: self.in_charge.iter().filter_map(|u| unit_of(u)).collect(),
            phone: Some(self.phone.trim().to_owned()).filter(|p| !p.is_empty()),
            password,
            active,
        }
    }
}

/// A role as a check box.
struct RoleBox {
    code: &'static str,
    name: &'static str,
}

fn role_boxes(chrome: &Chrome) -> Vec<RoleBox> {
    Role::ALL
        .iter()
        .filter(|r| **r != Role::System)
        .map(|r| RoleBox {
            code: r.code(),
            name: chrome.lang.name(*r),
        })
        .collect()
}

/// Units offered for a person: the live ones (and the one they are in, if retired).
fn unit_choices(org: &Org, keep: &[String]) -> Vec<UnitLine> {
    tree(org)
        .into_iter()
        .filter(|u| !u.retired || keep.contains(&u.id))
        .collect()
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<AccountLine>,
    units: Vec<UnitLine>,
    roles: Vec<RoleBox>,
    form: AccountForm,
    refusal: Option<Refusal>,
    /// The account just created and its initial password, shown this once.
    created: Option<(String, String)>,
}

impl AccountsPage {
    fn at(&self, field: &str) -> Option<&Refusal> {
        at(&self.refusal, field)
    }
}

async fn account_lines(state: &AppState, org: &Org) -> Result<Vec<AccountLine>, ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let lang = crate::i18n::current();
    Ok(crate::db::org::accounts(&state.db)
        .await?
        .into_iter()
        .map(|a| AccountLine {
            id: a.person.id.to_string(),
            username: a.person.username.clone(),
            name: a.person.name.clone(),
            unit: a
                .person
                .unit
                .and_then(|u| org.unit(u))
                .map(|u| u.name.clone())
                .unwrap_or_default(),
            position: a.person.position.clone(),
            roles: a
                .person
                .roles
                .iter()
                .map(|r| lang.name(*r))
                .collect::<Vec<_>>()
                .join(&lang.t("ledger-list-separator")),
            active: a.person.active,
            locked: a.locked_until.is_some_and(|t| t > now),
            must_change: a.must_change_password,
        })
        .collect())
}

async fn accounts_view(
    state: &AppState,
    session: &Session,
    form: AccountForm,
    refusal: Option<&ApiError>,
    created: Option<(String, String)>,
) -> Response {
    let org = match state.org.latest(&state.db).await {
        Ok(o) => o,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let chrome = chrome(state, session, "/admin/accounts");
    let accounts = match account_lines(state, &org).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let refusal = refusal.map(|e| Refusal::of(e, &chrome));
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = AccountsPage {
        roles: role_boxes(&chrome),
        chrome,
        accounts,
        units: unit_choices(&org, &[]),
        form,
        refusal,
        created,
    };
    page(status, &p)
}

async fn accounts_page(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    accounts_view(&state, &session, AccountForm::default(), None, None).await
}

async fn account_create(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    body: Bytes,
) -> Response {
    let form = AccountForm::of(&Fields::of(&body));
    let password = match api::random_password() {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let id = UserId(uuid::Uuid::new_v4());
    let input = form.input(id, true, Some(password.clone()));
    match api::save_user_with(&state, &session, input, id, true, true).await {
        Ok(account) => {
            // The initial password is the administrator's, not the person's: they choose
            // their own at first sign-in.
            let created = Some((account.person.username, password));
            accounts_view(&state, &session, AccountForm::default(), None, created).await
        }
        Err(e) if e.status.is_server_error() => e.into_response(),
        Err(e) => accounts_view(&state, &session, form, Some(&e), None).await,
    }
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    chrome: Chrome,
    id: String,
    active: bool,
    locked: bool,
    failed_logins: i64,
    units: Vec<UnitLine>,
    roles: Vec<RoleBox>,
    form: AccountForm,
    refusal: Option<Refusal>,
    /// A password just reset, shown this once.
    reset: Option<String>,
    /// What was just done (a catalog key), if anything.
    done: Option<&'static str>,
}

impl AccountPage {
    fn at(&self, field: &str) -> Option<&Refusal> {
        at(&self.refusal, field)
    }
}

fn parse_user(id: &str) -> Option<UserId> {
    uuid::Uuid::parse_str(id.trim()).ok().map(UserId)
}

struct AccountView {
    form: Option<AccountForm>,
    refusal: Option<ApiError>,
    reset: Option<String>,
    done: Option<&'static str>,
}

async fn account_view(
    state: &AppState,
    session: &Session,
    id: UserId,
    view: AccountView,
) -> Response {
    let account = match api::account(state, id).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let org = match state.org.latest(&state.db).await {
        Ok(o) => o,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let chrome = chrome(state, session, "/admin/accounts");
    let refusal = view.refusal.as_ref().map(|e| Refusal::of(e, &chrome));
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let form = view
        .form
        .unwrap_or_else(|| AccountForm::of_account(&account));
    let mut keep = form.in_charge.clone();
    keep.push(form.unit.clone());
    let p = AccountPage {
        roles: role_boxes(&chrome),
        chrome,
        id: id.to_string(),
        active: account.person.active,
        locked: account.locked_until.is_some(),
        failed_logins: account.failed_logins,
        units: unit_choices(&org, &keep),
        form,
        refusal,
        reset: view.reset,
        done: view.done,
    };
    page(status, &p)
}

async fn account_page(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_user(&id) else {
        return ApiError::not_found("账号", "account").into_response();
    };
    let view = AccountView {
        form: None,
        refusal: None,
        reset: None,
        done: None,
    };
    account_view(&state, &session, id, view).await
}

async fn account_save(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = parse_user(&id) else {
        return ApiError::not_found("账号", "account").into_response();
    };
    let Some(person) = session.org.people.get(&id).cloned() else {
        return ApiError::not_found("账号", "account").into_response();
    };
    let form = AccountForm::of(&Fields::of(&body));
    let input = form.input(id, person.active, None);
    let view = match api::save_user(&state, &session, input, id, false).await {
        Ok(_) => AccountView {
            form: None,
            refusal: None,
            reset: None,
            done: Some("people-account-saved"),
        },
        Err(e) if e.status.is_server_error() => return e.into_response(),
        Err(e) => AccountView {
            form: Some(form),
            refusal: Some(e),
            reset: None,
            done: None,
        },
    };
    account_view(&state, &session, id, view).await
}

async fn account_reset(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_user(&id) else {
        return ApiError::not_found("账号", "account").into_response();
    };
    match api::reset_password(&state, &session, id).await {
        Ok(password) => {
            let view = AccountView {
                form: None,
                refusal: None,
                reset: Some(password),
                done: None,
            };
            account_view(&state, &session, id, view).await
        }
        Err(e) => e.into_response(),
    }
}

async fn account_unlock(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_user(&id) else {
        return ApiError::not_found("账号", "account").into_response();
    };
    match api::unlock(&state, &session, id).await {
        Ok(_) => {
            let view = AccountView {
                form: None,
                refusal: None,
                reset: None,
                done: Some("people-account-unlocked"),
            };
            account_view(&state, &session, id, view).await
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /admin/accounts/{id}/active` (`active=0|1`): deactivates (every session revoked, by
/// `write_person`) or reactivates the account.
async fn account_active(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(id) = parse_user(&id) else {
        return ApiError::not_found("账号", "account").into_response();
    };
    let active = Fields::of(&body).get("active") == "1";
    let account = match api::account(&state, id).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let mut form = AccountForm::of_account(&account);
    form.username = account.person.username.clone();
    let input = form.input(id, active, None);
    let view = match api::save_user(&state, &session, input, id, false).await {
        Ok(_) => AccountView {
            form: None,
            refusal: None,
            reset: None,
            done: Some(if active {
                "people-account-reactivated"
            } else {
                "people-account-deactivated"
            }),
        },
        Err(e) if e.status.is_server_error() => return e.into_response(),
        Err(e) => AccountView {
            form: None,
            refusal: Some(e),
            reset: None,
            done: None,
        },
    };
    account_view(&state, &session, id, view).await
}

// ----- imports ---------------------------------------------------------------------------------

/// A row of a preview.
struct PreviewRow {
    row: u32,
    text: String,
    problems: Vec<ShownProblem>,
}

/// A row's problem, in the page's language, with its column's label.
struct ShownProblem {
    column: String,
    code: String,
    text: String,
}

/// What an upload found.
struct Preview {
    /// `units` or `people`.
    kind: &'static str,
    /// A problem with the file itself.
    file_problem: Option<ShownProblem>,
    rows: Vec<PreviewRow>,
    bad_rows: usize,
    /// The rows as JSON, posted back to confirm.
    data: String,
}

/// A person imported, for the result: their password if the import made it (shown once).
struct ImportedLine {
    row: u32,
    username: String,
    name: String,
    password: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    chrome: Chrome,
    preview: Option<Preview>,
    /// How many were written, when an import ran.
    written: Option<usize>,
    people: Vec<ImportedLine>,
}

async fn import_page(State(state): State<AppState>, AdminPage(session): AdminPage) -> Response {
    let p = ImportPage {
        chrome: chrome(&state, &session, "/admin/import"),
        preview: None,
        written: None,
        people: Vec::new(),
    };
    page(StatusCode::OK, &p)
}

fn xlsx(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn template_of(state: &AppState, which: org_import::Template, name: &str) -> Response {
    let org = match state.org.latest(&state.db).await {
        Ok(o) => o,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match org_import::template(&org, which, crate::i18n::current()) {
        Ok(bytes) => xlsx(bytes, name),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn units_template(State(state): State<AppState>, _: AdminPage) -> Response {
    template_of(&state, org_import::Template::Units, "units.xlsx").await
}

async fn people_template(State(state): State<AppState>, _: AdminPage) -> Response {
    template_of(&state, org_import::Template::People, "people.xlsx").await
}

fn column_label(lang: crate::i18n::Lang, column: &str) -> String {
    match column {
        // The units import's peer group column, named as the unit form names it.
        "peer_group" => lang.t("peers-group"),
        _ => lang.t(&format!("people-col-{}", column.replace('_', "-"))),
    }
}

fn shown(lang: crate::i18n::Lang, p: &RowProblem) -> ShownProblem {
    ShownProblem {
        column: column_label(lang, &p.column),
        code: p.code.clone(),
        text: lang.pick(&p.zh, &p.en).to_owned(),
    }
}

fn file_problem(kind: &'static str, e: &ImportError) -> Preview {
    let lang = crate::i18n::current();
    let text = match e {
        ImportError::Sheet(s) => lang.pick(&s.zh(), &s.en()).to_owned(),
        ImportError::MissingColumn(c) => {
            lang.t_args("people-import-missing-column", &[("column", c)])
        }
        ImportError::NoRows => lang.t("people-import-no-rows"),
        ImportError::Refused(_) => lang.t("people-import-refused"),
        ImportError::Api(a) => lang.pick(&a.zh, &a.en).to_owned(),
    };
    Preview {
        kind,
        file_problem: Some(ShownProblem {
            column: lang.t("people-import-file"),
            code: e.code().to_owned(),
            text,
        }),
        rows: Vec::new(),
        bad_rows: 0,
        data: String::new(),
    }
}

/// The rows with their problems.
fn preview<R: serde::Serialize>(
    kind: &'static str,
    rows: &[R],
    numbers: impl Fn(&R) -> (u32, String),
    problems: &[RowProblem],
) -> Preview {
    let lang = crate::i18n::current();
    let lines: Vec<PreviewRow> = rows
        .iter()
        .map(|r| {
            let (row, text) = numbers(r);
            PreviewRow {
                row,
                text,
                problems: problems
                    .iter()
                    .filter(|p| p.row == row)
                    .map(|p| shown(lang, p))
                    .collect(),
            }
        })
        .collect();
    let bad_rows = lines.iter().filter(|l| !l.problems.is_empty()).count();
    Preview {
        kind,
        file_problem: None,
        bad_rows,
        rows: lines,
        data: serde_json::to_string(rows).unwrap_or_default(),
    }
}

async fn upload_bytes(mut multipart: Multipart) -> Result<Option<Bytes>, ApiError> {
    let mut bytes = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request("import.upload", "上传的表单无效", e.to_string()))?
    {
        if field.name() == Some("file") {
            bytes =
                Some(field.bytes().await.map_err(|e| {
                    ApiError::bad_request("import.upload", "上传中断", e.to_string())
                })?);
        }
    }
    Ok(bytes.filter(|b| !b.is_empty()))
}

fn import_result(
    state: &AppState,
    session: &Session,
    preview: Option<Preview>,
    written: Option<usize>,
    people: Vec<ImportedLine>,
) -> Response {
    let status = if preview
        .as_ref()
        .is_some_and(|p| p.file_problem.is_some() || p.bad_rows > 0)
    {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let p = ImportPage {
        chrome: chrome(state, session, "/admin/import"),
        preview,
        written,
        people,
    };
    page(status, &p)
}

fn unit_text(r: &UnitRow) -> (u32, String) {
    let parent = if r.parent.is_empty() {
        String::new()
    } else {
        format!(" ← {}", r.parent)
    };
    let group = if r.peer_group.is_empty() {
        String::new()
    } else {
        format!(" · {}", r.peer_group)
    };
    (r.row, format!("{}{parent}{group}", r.name))
}

fn person_text(r: &PersonRow) -> (u32, String) {
    (r.row, format!("{} · {} · {}", r.username, r.name, r.unit))
}

async fn import_units(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    multipart: Multipart,
) -> Response {
    let check = |org: &Org, rows: &[UnitRow]| org_import::check_units(org, rows).err();
    import_sheet(
        &state,
        &session,
        multipart,
        "units",
        org_import::read_units,
        check,
        unit_text,
    )
    .await
}

async fn import_people(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    multipart: Multipart,
) -> Response {
    let check = |org: &Org, rows: &[PersonRow]| org_import::check_people(org, rows).err();
    import_sheet(
        &state,
        &session,
        multipart,
        "people",
        org_import::read_people,
        check,
        person_text,
    )
    .await
}

/// An uploaded sheet of units or people (`kind`), read off the request's thread with `read`,
/// checked row by row against the organisation with `check`, and previewed: nothing is
/// written before the administrator confirms.
async fn import_sheet<R: serde::Serialize + Send + 'static>(
    state: &AppState,
    session: &Session,
    multipart: Multipart,
    kind: &'static str,
    read: fn(&[u8]) -> Result<Vec<R>, ImportError>,
    check: impl Fn(&Org, &[R]) -> Option<Vec<RowProblem>>,
    text: fn(&R) -> (u32, String),
) -> Response {
    let bytes = match upload_bytes(multipart).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            let p = file_problem(kind, &ImportError::NoRows);
            return import_result(state, session, Some(p), None, Vec::new());
        }
        Err(e) => return e.into_response(),
    };
    let read = tokio::task::spawn_blocking(move || read(&bytes))
        .await
        .unwrap_or(Err(ImportError::Sheet(crate::sheet::SheetError::NotXlsx)));
    let p = match read {
        Err(e) => file_problem(kind, &e),
        Ok(rows) => {
            let org = match state.org.latest(&state.db).await {
                Ok(o) => o,
                Err(e) => return ApiError::from(e).into_response(),
            };
            let problems = check(&org, &rows).unwrap_or_default();
            preview(kind, &rows, text, &problems)
        }
    };
    import_result(state, session, Some(p), None, Vec::new())
}

async fn confirm_units(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    body: Bytes,
) -> Response {
    let rows: Vec<UnitRow> = match confirmed_rows(&body) {
        Ok(rows) => rows,
        Err(e) => return e.into_response(),
    };
    match org_import::apply_units(&state, &session, &rows).await {
        Ok(written) => import_result(&state, &session, None, Some(written.len()), Vec::new()),
        Err(e) => import_refused(&state, &session, "units", &rows, unit_text, e),
    }
}

async fn confirm_people(
    State(state): State<AppState>,
    AdminPage(session): AdminPage,
    body: Bytes,
) -> Response {
    let rows: Vec<PersonRow> = match confirmed_rows(&body) {
        Ok(rows) => rows,
        Err(e) => return e.into_response(),
    };
    match org_import::apply_people(&state, &session, &rows).await {
        Ok(done) => {
            let people = done
                .into_iter()
                .map(|p| ImportedLine {
                    row: p.row,
                    username: p.username,
                    name: p.name,
                    password: p.password,
                })
                .collect::<Vec<_>>();
            import_result(&state, &session, None, Some(people.len()), people)
        }
        Err(e) => import_refused(&state, &session, "people", &rows, person_text, e),
    }
}

/// The checked rows a confirm form carries back (its `data` field), or the refusal.
fn confirmed_rows<R: serde::de::DeserializeOwned>(body: &Bytes) -> Result<Vec<R>, ApiError> {
    serde_json::from_str(&Fields::of(body).get("data")).map_err(|_| {
        ApiError::bad_request(
            "import.bad_data",
            "导入数据无效",
            "the import data is invalid",
        )
    })
}

/// An import of `kind` refused when it was written: its rows again with the problems found
/// (checked again in the write's transaction), or what stopped it.
fn import_refused<R: serde::Serialize>(
    state: &AppState,
    session: &Session,
    kind: &'static str,
    rows: &[R],
    text: fn(&R) -> (u32, String),
    e: ImportError,
) -> Response {
    match e {
        ImportError::Refused(problems) => {
            let p = preview(kind, rows, text, &problems);
            import_result(state, session, Some(p), None, Vec::new())
        }
        ImportError::Api(e) => e.into_response(),
        e => import_result(
            state,
            session,
            Some(file_problem(kind, &e)),
            None,
            Vec::new(),
        ),
    }
}

// ----- the administrative trail ----------------------------------------------------------------

/// The kinds of change this module and the API record, with their catalog keys; others
/// (recorded by other parts of the console) are shown by their code.
const KINDS: &[(&str, &str)] = &[
    ("unit.create", "people-kind-unit-create"),
    ("unit.rename", "people-kind-unit-rename"),
    ("unit.move", "people-kind-unit-move"),
    ("unit.retire", "people-kind-unit-retire"),
    ("unit.reinstate", "people-kind-unit-reinstate"),
    ("unit.update", "people-kind-unit-update"),
    ("unit.import", "people-kind-unit-import"),
    ("account.create", "people-kind-account-create"),
    ("account.update", "people-kind-account-update"),
    ("account.deactivate", "people-kind-account-deactivate"),
    ("account.reactivate", "people-kind-account-reactivate"),
    (
        "account.reset_password",
        "people-kind-account-reset-password",
    ),
    ("account.unlock", "people-kind-account-unlock"),
    ("account.lock", "people-kind-account-lock"),
    (
        "account.revoke_sessions",
        "people-kind-account-revoke-sessions",
    ),
    ("account.import", "people-kind-account-import"),
    ("policy.update", "people-kind-policy-update"),
    ("calendar.import", "people-kind-calendar-import"),
    ("settings.utc_offset", "people-kind-settings-utc-offset"),
];

/// A trail row as shown.
struct TrailLine {
    seq: i64,
    at: String,
    actor: String,
    /// Whether `duban init` made the change.
    by_init: bool,
    kind: String,
    /// The kind in the page's language, when this module knows it.
    kind_name: Option<String>,
    subject: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "admin/trail.html")]
struct TrailView {
    chrome: Chrome,
    verified: bool,
    count: i64,
    problem: Option<String>,
    broken_at: Option<i64>,
    rows: Vec<TrailLine>,
    from: i64,
    next: Option<i64>,
}

/// `GET /admin/trail` query.
#[derive(serde::Deserialize)]
struct TrailQuery {
    #[serde(default)]
    from: Option<i64>,
}

const TRAIL_PAGE: i64 = 100;

async fn trail_page(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn,
    axum::extract::Query(q): axum::extract::Query<TrailQuery>,
) -> Response {
    if !session.actor.roles.any(&[Role::Admin, Role::Inspector]) {
        return ApiError::forbidden(
            "仅系统管理员和纪检监察人员可以查看管理留痕",
            "only administrators and inspectors may read the administrative trail",
        )
        .into_response();
    }
    let from = q.from.unwrap_or(1).max(1);
    let t = match api::trail_page(&state, from, TRAIL_PAGE).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let org = &session.org;
    let calendar = &org.calendar;
    let who = |actor: &str| {
        if actor == crate::admin_trail::INIT {
            return "duban init".to_owned();
        }
        parse_user(actor)
            .and_then(|id| org.people.get(&id))
            .map(|p| p.name.clone())
            .unwrap_or_else(|| actor.to_owned())
    };
    let subject = |s: &str| {
        parse_unit(s)
            .and_then(|id| {
                org.unit(id)
                    .map(|u| u.name.clone())
                    .or_else(|| org.people.get(&UserId(id.0)).map(|p| p.name.clone()))
            })
            .unwrap_or_else(|| s.to_owned())
    };
    let json =
        |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let next = (t.rows.len() as i64 == TRAIL_PAGE).then(|| from + TRAIL_PAGE);
    let chrome_lang = crate::i18n::current();
    let rows = t
        .rows
        .iter()
        .map(|r| TrailLine {
            seq: r.seq,
            at: calendar
                .to_local(r.at)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: who(&r.actor),
            by_init: r.actor == crate::admin_trail::INIT,
            kind: r.kind.clone(),
            kind_name: KINDS
                .iter()
                .find(|(k, _)| *k == r.kind)
                .map(|(_, key)| chrome_lang.t(key)),
            subject: subject(&r.subject),
            before: json(&r.before),
            after: json(&r.after),
        })
        .collect();
    let p = TrailView {
        chrome: chrome(&state, &session, "/admin/trail"),
        verified: t.verified,
        count: t.count.unwrap_or_default(),
        problem: t.problem,
        broken_at: t.broken_at,
        rows,
        from,
        next,
    };
    page(StatusCode::OK, &p)
}

// ----- my password -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    must: bool,
    refusal: Option<Refusal>,
    done: bool,
}

impl PasswordPage {
    fn at(&self, field: &str) -> Option<&Refusal> {
        at(&self.refusal, field)
    }
}

async fn password_page(State(state): State<AppState>, SignedIn(session, _): SignedIn) -> Response {
    let p = PasswordPage {
        chrome: chrome(&state, &session, "/password"),
        must: session.must_change_password,
        refusal: None,
        done: false,
    };
    page(StatusCode::OK, &p)
}

async fn password_save(
    State(state): State<AppState>,
    SignedIn(session, _): SignedIn,
    body: Bytes,
) -> Response {
    let f = Fields::of(&body);
    let (current, new, again) = (f.get("current"), f.get("new"), f.get("again"));
    let result = if new != again {
        Err(ApiError::unprocessable(
            "auth.password_mismatch",
            "两次输入的新密码不一致",
            "the two new passwords differ",
        ))
    } else {
        change_own_password(&state, &session, &current, &new).await
    };
    match result {
        Ok(()) if session.must_change_password => Redirect::to("/").into_response(),
        Ok(()) => {
            let p = PasswordPage {
                chrome: chrome(&state, &session, "/password"),
                must: false,
                refusal: None,
                done: true,
            };
            page(StatusCode::OK, &p)
        }
        Err(e) if e.status.is_server_error() => e.into_response(),
        Err(e) => {
            let chrome = chrome(&state, &session, "/password");
            let mut refusal = Refusal::of(&e, &chrome);
            if e.code == "auth.password_mismatch" {
                refusal.field = "again";
            } else if e.code == "auth.wrong_password" {
                refusal.field = "current";
            } else if refusal.field != "password" {
                refusal.field = "form";
            }
            let p = PasswordPage {
                chrome,
                must: session.must_change_password,
                refusal: Some(refusal),
                done: false,
            };
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KINDS;
    use crate::i18n::Lang;

    #[test]
    fn every_kind_of_change_is_named_in_both_languages() {
        for (kind, key) in KINDS {
            for lang in [Lang::Zh, Lang::En] {
                assert_ne!(lang.t(key), *key, "{kind} has no name");
            }
        }
    }
}
