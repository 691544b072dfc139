//! The work apps: DingTalk (钉钉, and 政务钉钉 where it speaks the same protocol) and WeCom
//! (企业微信, and 政务微信 likewise), each as a delivery channel (work notifications, the
//! `work` step of the climb) and as sign-in (免登 from inside the app's H5 container, and a
//! QR code on the PC).
//!
//! - [`dingtalk`]: the organisation's internal app on DingTalk's server API;
//! - [`wecom`]: the organisation's self-built app on WeCom's server API.
//!
//! Both authenticate the same way: an access token from `gettoken` (GET, the credentials in
//! the query, answering `{errcode, errmsg, access_token, expires_in}`), cached until a minute
//! before it expires ([`crate::push`]'s token cache) and fetched again once when an API
//! answers that it is invalid or expired. Every API answers HTTP 200 with an `errcode`
//! (0: done); [`Api`] makes one call, refreshing the token once, and leaves the errcodes of
//! each operation to its client. The endpoints are settings, so a government edition with
//! the same protocol is configured by its endpoint and credentials (docs/channels.md).

pub mod accounts;
pub mod dingtalk;
pub mod wecom;

use std::sync::Arc;

use serde_json::Value;

use crate::push::{OAuthToken, PushError};

/// Why a work-app call did not succeed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WorkAppError {
    /// The settings are incomplete or malformed.
    #[error("work-app settings: {0}")]
    Settings(String),
    /// `gettoken` refused the credentials (a wrong key or secret).
    #[error("{service} refused the credentials (errcode {errcode})")]
    Credentials {
        /// `dingtalk` or `wecom`.
        service: &'static str,
        /// The errcode.
        errcode: i64,
    },
    /// The API answered an error.
    #[error("{service} answered errcode {errcode}: {errmsg}")]
    Api {
        /// `dingtalk` or `wecom`.
        service: &'static str,
        /// The errcode (DingTalk's `sub_code` when `errcode` is 88).
        errcode: i64,
        /// Its text.
        errmsg: String,
    },
    /// The service is busy, over its quota, or out of reach: try again later.
    #[error("{service} is busy or out of reach: {reason}")]
    Busy {
        /// `dingtalk` or `wecom`.
        service: &'static str,
        /// What happened.
        reason: String,
    },
    /// The answer was not what the protocol says.
    #[error("{service} answered something unexpected: {reason}")]
    Unexpected {
        /// `dingtalk` or `wecom`.
        service: &'static str,
        /// What.
        reason: String,
    },
}

impl WorkAppError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            WorkAppError::Settings(_) => "workapp.settings",
            WorkAppError::Credentials { .. } => "workapp.credentials",
            WorkAppError::Api { .. } => "workapp.refused",
            WorkAppError::Busy { .. } => "workapp.busy",
            WorkAppError::Unexpected { .. } => "workapp.unexpected",
        }
    }

    /// The errcode of an API error.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WorkAppError::Api { errcode, .. } | WorkAppError::Credentials { errcode, .. } => {
                Some(*errcode)
            }
            _ => None,
        }
    }

    /// The push outcome of a failed send: busy is later, anything else is for good (the
    /// clients map a dead user themselves).
    pub(crate) fn into_push(self) -> PushError {
        match self {
            WorkAppError::Busy { reason, service } => PushError::Retry {
                after: None,
                reason: format!("{service}: {reason}"),
            },
            other => PushError::Failed(other.to_string()),
        }
    }
}

/// One vendor's way of answering: where its token comes from and which errcodes mean what.
pub(crate) struct Api {
    pub(crate) service: &'static str,
    pub(crate) http: reqwest::Client,
    /// The server API's base (no trailing `/`).
    pub(crate) base: String,
    /// The full `gettoken` URL, credentials in its query.
    token_url: String,
    token: OAuthToken,
    /// Errcodes meaning "the access token is invalid or expired": fetch a new one, once.
    expired: &'static [i64],
    /// Errcodes meaning "busy or over the quota": later.
    busy: &'static [i64],
}

/// The errcode of an answer: DingTalk's 88 ("authentication failed") carries the real one in
/// `sub_code`.
fn errcode_of(v: &Value) -> i64 {
    let code = v["errcode"].as_i64().unwrap_or(-1);
    if code == 88 {
        if let Some(sub) = v["sub_code"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .or_else(|| v["sub_code"].as_i64())
        {
            return sub;
        }
    }
    code
}

impl Api {
    pub(crate) fn new(
        service: &'static str,
        http: reqwest::Client,
        base: &str,
        token_url: String,
        expired: &'static [i64],
        busy: &'static [i64],
    ) -> Api {
        Api {
            service,
            http,
            base: base.trim_end_matches('/').to_owned(),
            token_url,
            token: OAuthToken::new(),
            expired,
            busy,
        }
    }

    fn busy(&self, reason: impl Into<String>) -> WorkAppError {
        WorkAppError::Busy {
            service: self.service,
            reason: reason.into(),
        }
    }

    /// Sends a request and reads its JSON answer (HTTP 5xx and 429 are busy).
    pub(crate) async fn answer(&self, req: reqwest::RequestBuilder) -> Result<Value, WorkAppError> {
        // Through `push::unreachable`: without the URL (gettoken's query holds the secret), and
        // an untrusted certificate is a failure that names `ca_bundle`, not a retry.
        let res =
            req.send()
                .await
                .map_err(|e| match crate::push::unreachable(self.service, e) {
                    crate::push::PushError::Retry { reason, .. } => self.busy(reason),
                    other => WorkAppError::Unexpected {
                        service: self.service,
                        reason: other.to_string(),
                    },
                })?;
        let status = res.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(self.busy(format!("HTTP {status}")));
        }
        res.json::<Value>()
            .await
            .map_err(|e| WorkAppError::Unexpected {
                service: self.service,
                reason: format!("HTTP {status}, not JSON: {}", e.without_url()),
            })
    }

    /// The access token (`fresh`: a new one).
    async fn access_token(&self, fresh: bool) -> Result<String, WorkAppError> {
        self.token
            .get_with(fresh, || async {
                let v = self.answer(self.http.get(&self.token_url)).await?;
                let code = errcode_of(&v);
                if self.busy.contains(&code) || code == -1 {
                    return Err(self.busy(format!("gettoken errcode {code}")));
                }
                if code != 0 {
                    return Err(WorkAppError::Credentials {
                        service: self.service,
                        errcode: code,
                    });
                }
                let token = v["access_token"].as_str().unwrap_or_default().to_owned();
                if token.is_empty() {
                    return Err(WorkAppError::Unexpected {
                        service: self.service,
                        reason: "gettoken gave no access_token".into(),
                    });
                }
                Ok((token, v["expires_in"].as_u64().unwrap_or(7200)))
            })
            .await
    }

    /// One API call: `req(token)` built with the cached token, and once more with a new one
    /// if the answer says the token is invalid or expired. The answer of errcode 0, else the
    /// error (busy or over the quota: [`WorkAppError::Busy`]).
    pub(crate) async fn call(
        &self,
        req: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Result<Value, WorkAppError> {
        let mut v = self.answer(req(&self.access_token(false).await?)).await?;
        if self.expired.contains(&errcode_of(&v)) {
            v = self.answer(req(&self.access_token(true).await?)).await?;
        }
        let code = errcode_of(&v);
        if code == 0 {
            return Ok(v);
        }
        if self.busy.contains(&code) || code == -1 {
            return Err(self.busy(format!("errcode {code}")));
        }
        Err(WorkAppError::Api {
            service: self.service,
            errcode: code,
            errmsg: v["errmsg"]
                .as_str()
                .or_else(|| v["sub_msg"].as_str())
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        })
    }
}

/// A mainland mobile number as the apps and the people table may write it (`+86 138…`,
/// `86-138…`, `138 0000 0000`), reduced to its digits without the country code; `None` if
/// nothing is left.
pub fn normalise_mobile(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest.to_owned(),
        _ => digits,
    };
    (!digits.is_empty()).then_some(digits)
}

/// The item's page as a work app opens it: through the app's sign-in route, so that the
/// person arrives signed in (`{public}/sso/{app}?next=/items/{id}`).
pub(crate) fn item_link(public_url: &str, app: &str, task: &str) -> String {
    format!(
        "{public_url}/sso/{app}?next={}",
        crate::push::percent(&format!("/items/{task}"))
    )
}

/// The work apps the settings configure.
#[derive(Clone, Default)]
pub struct WorkApps {
    /// DingTalk, if configured.
    pub dingtalk: Option<Arc<dingtalk::DingTalk>>,
    /// WeCom, if configured.
    pub wecom: Option<Arc<wecom::WeCom>>,
}

fn setting<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, WorkAppError> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WorkAppError::Settings(format!("{name} is needed as well")))
}

impl WorkApps {
    /// The apps whose credentials the settings give (DingTalk when `dingtalk_app_key` is
    /// set, WeCom when `wecom_corp_id` is), at their real endpoints unless others are named.
    /// Incomplete settings are refused; the work apps need `public_url` (their links and
    /// callbacks).
    pub fn from_settings(
        s: &crate::config::PushArgs,
        public_url: Option<&str>,
        http: reqwest::Client,
    ) -> Result<WorkApps, WorkAppError> {
        let mut out = WorkApps::default();
        let public = || {
            public_url
                .map(|u| u.trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .ok_or_else(|| {
                    WorkAppError::Settings(
                        "public_url is needed for the work apps (their links and sign-in)".into(),
                    )
                })
        };
        if let Some(key) = s
            .dingtalk_app_key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
        {
            let app = dingtalk::DingTalkApp {
                app_key: key.trim().to_owned(),
                app_secret: setting(&s.dingtalk_app_secret, "dingtalk_app_secret")?.to_owned(),
                agent_id: setting(&s.dingtalk_agent_id, "dingtalk_agent_id")?
                    .parse()
                    .map_err(|_| WorkAppError::Settings("dingtalk_agent_id is a number".into()))?,
                corp_id: setting(&s.dingtalk_corp_id, "dingtalk_corp_id")?.to_owned(),
            };
            out.dingtalk = Some(Arc::new(dingtalk::DingTalk::new(
                app,
                dingtalk::Endpoints {
                    oapi: s
                        .dingtalk_url
                        .clone()
                        .unwrap_or_else(|| dingtalk::OAPI_URL.into()),
                    api: s
                        .dingtalk_api_url
                        .clone()
                        .unwrap_or_else(|| dingtalk::API_URL.into()),
                    login: s
                        .dingtalk_login_url
                        .clone()
                        .unwrap_or_else(|| dingtalk::LOGIN_URL.into()),
                },
                public()?,
                http.clone(),
            )));
        }
        if let Some(corp) = s.wecom_corp_id.as_deref().filter(|k| !k.trim().is_empty()) {
            let app = wecom::WeComApp {
                corp_id: corp.trim().to_owned(),
                agent_id: setting(&s.wecom_agent_id, "wecom_agent_id")?
                    .parse()
                    .map_err(|_| WorkAppError::Settings("wecom_agent_id is a number".into()))?,
                secret: setting(&s.wecom_secret, "wecom_secret")?.to_owned(),
            };
            out.wecom = Some(Arc::new(wecom::WeCom::new(
                app,
                wecom::Endpoints {
                    api: s.wecom_url.clone().unwrap_or_else(|| wecom::API_URL.into()),
                    oauth: s
                        .wecom_oauth_url
                        .clone()
                        .unwrap_or_else(|| wecom::OAUTH_URL.into()),
                    login: s
                        .wecom_login_url
                        .clone()
                        .unwrap_or_else(|| wecom::LOGIN_URL.into()),
                },
                public()?,
                http,
            )));
        }
        Ok(out)
    }

    /// The names of those configured.
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.dingtalk.is_some() {
            out.push("dingtalk");
        }
        if self.wecom.is_some() {
            out.push("wecom");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_compared_by_their_digits() {
        assert_eq!(
            normalise_mobile("+86 138-0000-0000").as_deref(),
            Some("13800000000")
        );
        assert_eq!(
            normalise_mobile("13800000000").as_deref(),
            Some("13800000000")
        );
        assert_eq!(normalise_mobile(" - "), None);
    }

    #[test]
    fn the_link_goes_through_sign_in() {
        assert_eq!(
            item_link("https://d.example", "wecom", "a-b"),
            "https://d.example/sso/wecom?next=%2Fitems%2Fa-b"
        );
    }

    #[test]
    fn dingtalk_88_carries_its_sub_code() {
        let v = serde_json::json!({"errcode": 88, "sub_code": "42001", "errmsg": "x"});
        assert_eq!(errcode_of(&v), 42001);
        assert_eq!(errcode_of(&serde_json::json!({"errcode": 0})), 0);
    }
}
