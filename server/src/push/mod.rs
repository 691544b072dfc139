//! Push delivery (R2.2, R10.3): one [`Provider`] trait, one implementation per service, each
//! speaking the service's real HTTP protocol at a configurable base URL (so tests run the
//! same code against a local endpoint that speaks the same protocol).
//!
//! - [`fcm`]: Firebase Cloud Messaging HTTP v1, authenticated with an OAuth2 access token
//!   from a service account's RS256-signed JWT, cached until shortly before it expires;
//! - [`hms`]: Huawei HMS Push Kit v1, authenticated with OAuth2 client credentials;
//! - [`apns`]: Apple's APNs over HTTP/2 with an ES256 provider token;
//! - [`sms`]: SMS through Aliyun's signed RPC requests or a signed webhook;
//! - DingTalk's and WeCom's work notifications, in [`crate::workapp`] (their clients serve
//!   sign-in as well).
//!
//! A send ends in one of four ways, and the caller acts on each differently: delivered; the
//! device token is dead (remove the device); try again later (after the time the service
//! asked for, else a backoff); or failed for good (log it, do not retry).

pub mod apns;
pub mod fcm;
pub mod hms;
pub mod sms;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

/// What to show and carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    /// The device token.
    pub token: String,
    /// The title (zh-CN first; the app localises from `data` when it can).
    pub title: String,
    /// The text.
    pub body: String,
    /// Key-value data for the app (e.g. the item's id), delivered with the notification.
    pub data: std::collections::BTreeMap<String, String>,
    /// Urgent items are sent at high priority.
    pub urgent: bool,
    /// The same notification sent again (a retry after a replica died mid-send) replaces
    /// the first on the phone instead of showing twice: FCM's and HMS's notification tag,
    /// APNs' `apns-collapse-id` (at most 64 bytes).
    pub collapse_id: Option<String>,
}

/// Why a message was not delivered.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The token is no longer valid (app uninstalled, token rotated, another sender's):
    /// remove the device.
    #[error("the device token is dead ({0})")]
    DeadToken(String),
    /// The service is busy or failed for now: try again after `after` if it said, else back
    /// off.
    #[error("try again later ({reason})")]
    Retry {
        /// What the service asked for (`Retry-After`).
        after: Option<Duration>,
        /// What happened.
        reason: String,
    },
    /// Refused for good (a malformed message, a wrong project, bad credentials).
    #[error("refused: {0}")]
    Failed(String),
}

impl PushError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PushError::DeadToken(_) => "push.dead_token",
            PushError::Retry { .. } => "push.retry",
            PushError::Failed(_) => "push.failed",
        }
    }
}

/// A delivered message: the service's id for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// E.g. FCM's `projects/p/messages/0:123`.
    pub id: String,
}

/// The future a provider's send returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Delivered, PushError>> + Send + 'a>>;

/// A push service.
pub trait Provider: Send + Sync {
    /// The provider's name, e.g. `fcm`.
    fn name(&self) -> &'static str;
    /// Sends one message to one device.
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a>;
}

/// An OAuth2 access token got by a form POST to a token endpoint (FCM's JWT bearer grant,
/// HMS's client credentials), kept until a minute before it expires.
pub(crate) struct OAuthToken {
    cached: tokio::sync::Mutex<Option<(String, std::time::Instant)>>,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

impl OAuthToken {
    /// A token is fetched again this long before it expires.
    const MARGIN: Duration = Duration::from_secs(60);

    pub(crate) fn new() -> OAuthToken {
        OAuthToken {
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The cached token, or a new one from `fetch` (its token and lifetime in seconds);
    /// `fresh` forces a new one. The token endpoints differ (a form POST here, a GET with
    /// the credentials in the query for DingTalk and WeCom); the caching is the same.
    pub(crate) async fn get_with<E, F, Fut>(&self, fresh: bool, fetch: F) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, u64), E>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if !fresh && std::time::Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let (token, expires_in) = fetch().await?;
        let until = std::time::Instant::now()
            + Duration::from_secs(expires_in).saturating_sub(OAuthToken::MARGIN);
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    /// The cached token, or a new one from `url` with the form `form()` (`fresh` forces a
    /// new one). `service` names the endpoint in errors.
    pub(crate) async fn get(
        &self,
        http: &reqwest::Client,
        url: &str,
        service: &str,
        fresh: bool,
        form: impl FnOnce() -> Result<String, PushError>,
    ) -> Result<String, PushError> {
        self.get_with(fresh, || async move {
            let res = http
                .post(url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form()?)
                .send()
                .await
                .map_err(|e| PushError::Retry {
                    after: None,
                    reason: format!("{service} token endpoint: {e}"),
                })?;
            let status = res.status();
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(PushError::Retry {
                    after: retry_after(res.headers()),
                    reason: format!("{service} token endpoint answered {status}"),
                });
            }
            if !status.is_success() {
                return Err(PushError::Failed(format!(
                    "{service} token endpoint answered {status} (credentials wrong?)"
                )));
            }
            let t: TokenAnswer = res
                .json()
                .await
                .map_err(|e| PushError::Failed(format!("{service} token endpoint answer: {e}")))?;
            Ok((t.access_token, t.expires_in))
        })
        .await
    }
}

/// RFC 3986 percent-encoding of a form value or signed parameter (unreserved characters
/// stay; space is `%20`, `*` is `%2A`).
pub fn percent(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, RFC3986_RESERVED).to_string()
}

/// Every byte but RFC 3986's unreserved characters (`A–Z a–z 0–9 - . _ ~`).
const RFC3986_RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The wait a `Retry-After` header asks for (seconds; an HTTP date is not honoured and
/// falls back to the caller's backoff).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The push services and the SMS gateway, those configured.
#[derive(Clone, Default)]
pub struct Providers {
    /// Firebase Cloud Messaging.
    pub fcm: Option<Arc<dyn Provider>>,
    /// Apple Push Notification service.
    pub apns: Option<Arc<dyn Provider>>,
    /// Huawei Push Kit.
    pub hms: Option<Arc<dyn Provider>>,
    /// The SMS gateway.
    pub sms: Option<Arc<dyn Provider>>,
    /// DingTalk work notifications (`crate::workapp::dingtalk`); the token is the app's
    /// user id.
    pub dingtalk: Option<Arc<dyn Provider>>,
    /// WeCom application messages (`crate::workapp::wecom`); the token is the app's user id.
    pub wecom: Option<Arc<dyn Provider>>,
}

impl Providers {
    /// The provider of a device's `provider` column (`fcm`, `apns`, `hms`), `sms`, or a
    /// work app (`dingtalk`, `wecom`).
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        match name {
            "fcm" => self.fcm.as_ref(),
            "apns" => self.apns.as_ref(),
            "hms" => self.hms.as_ref(),
            "sms" => self.sms.as_ref(),
            "dingtalk" => self.dingtalk.as_ref(),
            "wecom" => self.wecom.as_ref(),
            _ => None,
        }
    }

    /// The names of those configured, for the start-up log.
    pub fn names(&self) -> Vec<&'static str> {
        [
            ("fcm", &self.fcm),
            ("apns", &self.apns),
            ("hms", &self.hms),
            ("sms", &self.sms),
            ("dingtalk", &self.dingtalk),
            ("wecom", &self.wecom),
        ]
        .into_iter()
        .filter(|(_, p)| p.is_some())
        .map(|(n, _)| n)
        .collect()
    }
}

fn setting<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, PushError> {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| PushError::Failed(format!("{name} is needed as well")))
}

fn read(path: &std::path::Path, what: &str) -> Result<String, PushError> {
    std::fs::read_to_string(path)
        .map_err(|e| PushError::Failed(format!("{what} {}: {e}", path.display())))
}

/// The HTTP client every provider and the work apps share.
pub fn http_client(_s: &crate::config::PushArgs) -> Result<reqwest::Client, PushError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| PushError::Failed(format!("HTTP client: {e}")))
}

impl Providers {
    /// The work apps' providers: those of `apps` (built by
    /// [`crate::workapp::WorkApps::from_settings`], which the server keeps in its state for
    /// sign-in too, so that both share one access token).
    pub fn with_work_apps(mut self, apps: &crate::workapp::WorkApps) -> Providers {
        self.dingtalk = apps.dingtalk.clone().map(|d| d as Arc<dyn Provider>);
        self.wecom = apps.wecom.clone().map(|w| w as Arc<dyn Provider>);
        self
    }

    /// The providers the settings configure: each service whose credentials are given, at
    /// its real endpoint unless another is named. Incomplete settings are refused.
    pub fn from_settings(s: &crate::config::PushArgs) -> Result<Providers, PushError> {
        let http = http_client(s)?;
        let mut out = Providers::default();
        if let Some(path) = &s.fcm_service_account {
            let account = fcm::ServiceAccount::from_json(&read(path, "FCM service account")?)?;
            let url = s.fcm_url.as_deref().unwrap_or(fcm::BASE_URL);
            out.fcm = Some(Arc::new(fcm::Fcm::new(account, url, http.clone())?));
        }
        if let Some(path) = &s.apns_key {
            let key = apns::ApnsKey {
                team_id: setting(&s.apns_team_id, "apns_team_id")?.to_owned(),
                key_id: setting(&s.apns_key_id, "apns_key_id")?.to_owned(),
                p8: read(path, "APNs key")?,
                topic: setting(&s.apns_topic, "apns_topic")?.to_owned(),
            };
            let url = s.apns_url.as_deref().unwrap_or(apns::BASE_URL);
            out.apns = Some(Arc::new(apns::Apns::new(key, url)?));
        }
        if let Some(id) = &s.hms_app_id {
            let app = hms::HmsApp {
                app_id: id.clone(),
                app_secret: setting(&s.hms_app_secret, "hms_app_secret")?.to_owned(),
            };
            out.hms = Some(Arc::new(hms::Hms::new(
                app,
                s.hms_token_url.as_deref().unwrap_or(hms::TOKEN_URL),
                s.hms_url.as_deref().unwrap_or(hms::BASE_URL),
                http.clone(),
            )));
        }
        if let Some(kind) = &s.sms_gateway {
            let gateway = match kind.as_str() {
                "aliyun" => sms::Gateway::Aliyun {
                    endpoint: s
                        .sms_url
                        .clone()
                        .unwrap_or_else(|| sms::ALIYUN_ENDPOINT.to_owned()),
                    account: sms::Aliyun {
                        access_key_id: setting(&s.sms_access_key_id, "sms_access_key_id")?
                            .to_owned(),
                        access_key_secret: setting(&s.sms_secret, "sms_secret")?.to_owned(),
                        sign_name: setting(&s.sms_sign_name, "sms_sign_name")?.to_owned(),
                        template_code: setting(&s.sms_template, "sms_template")?.to_owned(),
                    },
                },
                "webhook" => sms::Gateway::Webhook {
                    url: setting(&s.sms_url, "sms_url")?.to_owned(),
                    secret: setting(&s.sms_secret, "sms_secret")?.to_owned(),
                },
                other => {
                    return Err(PushError::Failed(format!(
                        "sms_gateway must be aliyun or webhook, not {other:?}"
                    )))
                }
            };
            out.sms = Some(Arc::new(sms::Sms::new(gateway, http)));
        }
        Ok(out)
    }
}
