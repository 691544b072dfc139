//! Who is who in the work apps: a person bound to their DingTalk or WeCom user id
//! (`db::work_accounts`), by the people import (`crate::org_import`), by mobile number (an
//! administrator's "bind by mobile", looking each unbound person's phone up in the app), or
//! at their first sign-in from the app (the app tells the signed-in user's mobile, and
//! exactly one active person has it). An administrator sees and removes bindings. Every
//! binding and removal is recorded in the administrative trail in its transaction.

use chrono::Utc;

use super::{normalise_mobile, WorkAppError, WorkApps};
use crate::auth::Session;
use crate::db::work_accounts::{self as rows, WorkAccount};
use crate::error::ApiError;
use crate::AppState;

/// The apps, by the name bindings and routes use.
pub const APPS: [&str; 2] = ["dingtalk", "wecom"];

impl WorkApps {
    /// Whether the app named `app` is configured.
    pub fn has(&self, app: &str) -> bool {
        match app {
            "dingtalk" => self.dingtalk.is_some(),
            "wecom" => self.wecom.is_some(),
            _ => false,
        }
    }

    /// The userid of the member with this mobile in the app.
    pub async fn user_by_mobile(
        &self,
        app: &str,
        mobile: &str,
    ) -> Result<Option<String>, WorkAppError> {
        match app {
            "dingtalk" => match &self.dingtalk {
                Some(d) => d.user_by_mobile(mobile).await,
                None => Ok(None),
            },
            "wecom" => match &self.wecom {
                Some(w) => w.user_by_mobile(mobile).await,
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// The mobile of the app's user, if the app tells it.
    pub async fn mobile_of(&self, app: &str, user: &str) -> Result<Option<String>, WorkAppError> {
        match app {
            "dingtalk" => match &self.dingtalk {
                Some(d) => d.mobile_of(user).await,
                None => Ok(None),
            },
            "wecom" => match &self.wecom {
                Some(w) => w.mobile_of(user).await,
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }
}

/// A work app's failure as the pages and the API answer it (502 `workapp.*`, or 503 when
/// the app is busy), without the service's text.
pub fn api_error(e: &WorkAppError) -> ApiError {
    tracing::warn!(code = e.code(), error = %e, "a work-app call failed");
    let status = match e {
        WorkAppError::Busy { .. } => axum::http::StatusCode::SERVICE_UNAVAILABLE,
        _ => axum::http::StatusCode::BAD_GATEWAY,
    };
    ApiError::new(
        status,
        e.code(),
        "工作应用(钉钉或企业微信)暂时无法完成请求,请稍后再试或联系系统管理员",
        "the work app (DingTalk or WeCom) could not complete the request; try again later or ask an administrator",
    )
}

/// What a "bind by mobile" did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MobileReport {
    /// Unbound people with a phone number, looked up.
    pub looked_up: usize,
    /// Bound now.
    pub bound: usize,
    /// Not found in the app.
    pub not_found: usize,
    /// Found, but the app's user id is bound to someone else already.
    pub taken: usize,
}

/// Looks up, in `app`, the phone of each active person with a phone and no binding there,
/// and binds those found (`mobile`), in one transaction with their trail entries.
pub async fn bind_by_mobile(
    state: &AppState,
    admin: &Session,
    app: &str,
) -> Result<MobileReport, ApiError> {
    if !state.workapps.has(app) {
        return Err(ApiError::not_found("工作应用", "work app"));
    }
    let mut report = MobileReport::default();
    let mut found = Vec::new();
    for (user, phone) in rows::unbound_with_phone(&state.db, app).await? {
        let Some(mobile) = normalise_mobile(&phone) else {
            continue;
        };
        report.looked_up += 1;
        match state.workapps.user_by_mobile(app, &mobile).await {
            Ok(Some(app_user)) => found.push((user, app_user)),
            Ok(None) => report.not_found += 1,
            Err(e) => return Err(api_error(&e)),
        }
    }
    let now = Utc::now().timestamp_millis();
    let actor = admin.user().to_string();
    let mut tx = state.db.write().await?;
    for (user, app_user) in found {
        let account = WorkAccount {
            user,
            app: app.to_owned(),
            app_user,
            how: "mobile".to_owned(),
            created_at: now,
        };
        if rows::bind(&mut tx, &account).await? {
            crate::routes::admin::record(
                &mut tx,
                &actor,
                "work_account.bind",
                &account.user,
                None::<&()>,
                Some(&account),
            )
            .await?;
            report.bound += 1;
        } else {
            report.taken += 1;
        }
    }
    tx.commit().await?;
    tracing::info!(admin = %admin.user(), app, bound = report.bound, "bound by mobile");
    Ok(report)
}

/// Removes a person's binding in `app` (with its trail entry); whether there was one.
pub async fn remove(
    state: &AppState,
    admin: &Session,
    user: &str,
    app: &str,
) -> Result<bool, ApiError> {
    let mut tx = state.db.write().await?;
    let Some(before) = rows::remove(&mut tx, user, app).await? else {
        return Ok(false);
    };
    crate::routes::admin::record(
        &mut tx,
        &admin.user().to_string(),
        "work_account.remove",
        user,
        Some(&before),
        None::<&()>,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The person a work app's signed-in user is: the one bound to the id, else — when the app
/// tells the user's mobile and exactly one active person has that phone, and that person is
/// not bound in the app yet — that person, bound now (`sign-in`, recorded in the trail with
/// the person as the actor). `None`: nobody.
pub async fn person_of(
    state: &AppState,
    app: &str,
    app_user: &str,
) -> Result<Option<String>, ApiError> {
    if let Some(user) = rows::person_of(&state.db, app, app_user).await? {
        return Ok(Some(user));
    }
    let mobile = match state.workapps.mobile_of(app, app_user).await {
        Ok(m) => m.and_then(|m| normalise_mobile(&m)),
        Err(e) => return Err(api_error(&e)),
    };
    let Some(mobile) = mobile else {
        return Ok(None);
    };
    let matching: Vec<String> = rows::active_phones(&state.db)
        .await?
        .into_iter()
        .filter(|(_, phone)| normalise_mobile(phone).as_deref() == Some(mobile.as_str()))
        .map(|(id, _)| id)
        .collect();
    let [user] = matching.as_slice() else {
        return Ok(None);
    };
    let account = WorkAccount {
        user: user.clone(),
        app: app.to_owned(),
        app_user: app_user.to_owned(),
        how: "sign-in".to_owned(),
        created_at: Utc::now().timestamp_millis(),
    };
    let mut tx = state.db.write().await?;
    if !rows::bind(&mut tx, &account).await? {
        // Bound meanwhile (to this id by a parallel sign-in, or the person to another id).
        drop(tx);
        return Ok(rows::person_of(&state.db, app, app_user).await?);
    }
    crate::routes::admin::record(
        &mut tx,
        user,
        "work_account.bind",
        user,
        None::<&()>,
        Some(&account),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        app,
        "a person was bound at their first sign-in from the app"
    );
    Ok(Some(user.clone()))
}
