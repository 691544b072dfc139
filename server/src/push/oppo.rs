//! OPPO push (OPPO PUSH, OPUSH / HeyTap), server API v1: OPPO, OnePlus and realme phones
//! (ColorOS) in mainland China, which have no Google services.
//!
//! Sources (OPPO's developer documentation, 开放平台 → 推送服务 → 服务端 API):
//! - 调用地址，公共参数和返回码 (addresses, common parameters, the return codes `-2`…`67`),
//!   the first page of the 服务端 API section of <https://open.oppomobile.com/new/developmentDoc>;
//! - 鉴权 (authentication): <https://open.oppomobile.com/new/developmentDoc/info?id=11234>;
//! - 通知栏消息体 (the notification's fields):
//!   <https://open.oppomobile.com/new/developmentDoc/info?id=11236>;
//! - 单点推送 (unicast): <https://open.oppomobile.com/new/developmentDoc/info?id=11238>.
//!
//! Authentication: `POST {base}/server/v1/auth`, form `app_key`, `timestamp` (milliseconds,
//! within ten minutes of OPPO's clock) and `sign` = lower-case hex SHA-256 of
//! `app_key + timestamp + master_secret`; the answer's `data.auth_token` lives 24 hours and
//! is cached, and fetched again once when a send answers `11` (Invalid AuthToken).
//! Sending: `POST {base}/server/v1/message/notification/unicast`, form-encoded `auth_token`
//! (the documentation's common parameter, "在HTTP请求体中携带"; it also goes as an
//! `auth_token` header, where other clients put it) and `message`, a JSON object: `target_type: 2` (a registration id),
//! `target_value`, and `notification` with `title` (at most 50 characters), `content` (at
//! most 128 in the long-text `style: 2`), `click_action_type: 0` (open the app) with the data
//! in `action_parameters`, `channel_id` (the channel registered in OPPO's console),
//! `app_message_id` (OPPO sends one unicast with the same id to a target only once: a repeat
//! after a crash is not shown twice), `off_line` and `off_line_ttl`.
//! The answer is JSON `{code, message, data: {messageId}}`: `0` delivered; `10000`
//! (Invalid Registration_id) a dead token; `33` (the day's message quota) later, after
//! midnight China time; `-1`, `-2` (flow control), `13` and `55` (call limits) and HTTP 5xx
//! later; anything else (e.g. `14` Invalid App Key, `16` Invalid Signature, `30` no API push
//! permission) refused for good.
//!
//! Classes and urgency: since OPPO's message classification (2024), notices of the
//! "communication and service" class (通讯与服务, formerly 私信) are not capped and ring;
//! content and marketing (内容与营销) is capped at a few a day per device and silent. Every
//! notice goes on the channel the operator registered, with the operator's `category` when
//! given; urgent ones then carry `notify_level: 2` (shade and lock screen), which OPPO accepts
//! only beside a `category`.

use std::time::Duration;

use serde_json::{json, Value};
use sha2::Digest;

use super::{
    clip, retry_after, until_quota_resets, Delivered, Message, OAuthToken, Provider, PushError,
    SendFuture,
};

/// OPPO's push endpoint in mainland China.
pub const BASE_URL: &str = "https://api.push.oppomobile.com";

/// `title`: at most 50 characters.
pub const TITLE_MAX: usize = 50;

/// `content` in the long-text style: at most 128 characters.
pub const CONTENT_MAX: usize = 128;

/// How long an auth token lives.
const TOKEN_LIFE: Duration = Duration::from_secs(24 * 3600);

/// The app as OPPO's console knows it.
#[derive(Clone, Debug)]
pub struct OppoApp {
    /// The AppKey.
    pub app_key: String,
    /// The MasterSecret (the server secret; never the AppSecret, which the phone app holds).
    pub master_secret: String,
    /// The notification channel the app creates and OPPO's console registers (`channel_id`).
    pub channel_id: String,
    /// The message category of OPPO's classification that work reminders fall in
    /// (`category`, e.g. `TODO`), if the app has one; with it, urgent notices also ask for the
    /// lock screen (`notify_level` 2).
    pub category: Option<String>,
}

/// The OPPO provider.
pub struct Oppo {
    http: reqwest::Client,
    app: OppoApp,
    base_url: String,
    token: OAuthToken,
}

/// The lower-case hex SHA-256 of `app_key + timestamp + master_secret`: the auth request's
/// `sign`.
pub fn sign(app_key: &str, timestamp: &str, master_secret: &str) -> String {
    format!(
        "{:x}",
        sha2::Sha256::digest(format!("{app_key}{timestamp}{master_secret}").as_bytes())
    )
}

/// A refusal, a wait or a failure from OPPO's answer code.
fn refusal(
    code: i64,
    status: reqwest::StatusCode,
    after: Option<Duration>,
    what: String,
) -> PushError {
    match code {
        10000 => PushError::DeadToken(code.to_string()),
        33 => PushError::Retry {
            after: Some(until_quota_resets(chrono::Utc::now())),
            reason: what,
        },
        -1 | -2 | 13 | 55 => PushError::Retry {
            after,
            reason: what,
        },
        _ if status.is_server_error() || status.as_u16() == 429 => PushError::Retry {
            after,
            reason: what,
        },
        _ => PushError::Failed(what),
    }
}

impl Oppo {
    /// A provider for the app, speaking to `base_url` ([`BASE_URL`] for the real service).
    pub fn new(app: OppoApp, base_url: &str, http: reqwest::Client) -> Oppo {
        Oppo {
            http,
            app,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: OAuthToken::new(),
        }
    }

    /// The cached auth token, or a new one if there is none or it is `refused`.
    async fn auth_token(&self, refused: Option<&str>) -> Result<String, PushError> {
        self.token
            .get_or_fetch(refused, || async {
                let timestamp = chrono::Utc::now().timestamp_millis().to_string();
                let form = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("app_key", &self.app.app_key)
                    .append_pair("timestamp", &timestamp)
                    .append_pair(
                        "sign",
                        &sign(&self.app.app_key, &timestamp, &self.app.master_secret),
                    )
                    .finish();
                let res = self
                    .http
                    .post(format!("{}/server/v1/auth", self.base_url))
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(form)
                    .send()
                    .await
                    .map_err(|e| super::unreachable("OPPO auth", e))?;
                let status = res.status();
                let after = retry_after(res.headers());
                let body: Value = res.json().await.unwrap_or(Value::Null);
                let code = body["code"].as_i64().unwrap_or(-1);
                match body["data"]["auth_token"].as_str() {
                    Some(token) if code == 0 && !token.is_empty() => {
                        Ok((token.to_owned(), TOKEN_LIFE))
                    }
                    _ => {
                        let what = format!(
                            "OPPO auth answered {status} {code} {} (app key or master secret wrong?)",
                            body["message"].as_str().unwrap_or("")
                        );
                        Err(match refusal(code, status, after, what) {
                            // No registration id is involved in signing in.
                            PushError::DeadToken(c) => PushError::Failed(c),
                            other => other,
                        })
                    }
                }
            })
            .await
    }

    /// The `message` field: one notification to one registration id.
    fn message(&self, message: &Message) -> Value {
        let mut notification = json!({
            "style": 2,
            "title": clip(&message.title, TITLE_MAX),
            "content": clip(&message.body, CONTENT_MAX),
            "click_action_type": 0,
            "action_parameters": serde_json::to_string(&message.data).unwrap_or_default(),
            "off_line": true,
            "off_line_ttl": 86_400,
            "channel_id": self.app.channel_id,
        });
        if let Some(category) = &self.app.category {
            notification["category"] = json!(category);
            if message.urgent {
                // 1 the shade; 2 the shade and the lock screen (16 adds banner, sound and
                // vibration, and needs OPPO's permission). Only with a category.
                notification["notify_level"] = json!(2);
            }
        }
        if let Some(id) = &message.collapse_id {
            notification["app_message_id"] = json!(id);
        }
        json!({
            "target_type": 2,
            "target_value": message.token,
            "notification": notification,
        })
    }

    /// One attempt: the HTTP status, `Retry-After` and the answer.
    async fn post(
        &self,
        token: &str,
        message: &Message,
    ) -> Result<(reqwest::StatusCode, Option<Duration>, Value), PushError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("auth_token", token)
            .append_pair("message", &self.message(message).to_string())
            .finish();
        let res = self
            .http
            .post(format!(
                "{}/server/v1/message/notification/unicast",
                self.base_url
            ))
            .header("auth_token", token)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| super::unreachable("OPPO", e))?;
        let status = res.status();
        let after = retry_after(res.headers());
        Ok((status, after, res.json().await.unwrap_or(Value::Null)))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let token = self.auth_token(None).await?;
        let mut answer = self.post(&token, message).await?;
        if answer.2["code"].as_i64() == Some(11) {
            // The token expired or was revoked: one try with a new one.
            answer = self
                .post(&self.auth_token(Some(&token)).await?, message)
                .await?;
        }
        let (status, after, body) = answer;
        let code = body["code"].as_i64().unwrap_or(-1);
        if status.is_success() && code == 0 {
            return Ok(Delivered {
                id: body["data"]["messageId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        let what = format!(
            "OPPO answered {status} {code} {}",
            body["message"].as_str().unwrap_or("")
        );
        Err(refusal(code, status, after, what))
    }
}

impl Provider for Oppo {
    fn name(&self) -> &'static str {
        "oppo"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
