//! vivo push (vivo推送, PUSH-UPS-API), server API: vivo and iQOO phones (OriginOS,
//! Funtouch OS) in mainland China, which have no Google services.
//!
//! Sources (vivo's developer documentation):
//! - PUSH-UPS-API 接口文档 (authentication, unicast, the answer codes):
//!   <https://dev.vivo.com.cn/documentCenter/doc/362>;
//! - 消息分类 (message classes: 系统消息 / 运营消息):
//!   <https://dev.vivo.com.cn/documentCenter/doc/359>;
//! - vivo推送常见问题汇总 (quotas, `skipContent`): <https://dev.vivo.com.cn/documentCenter/doc/156>.
//!
//! Authentication: `POST {base}/message/auth`, JSON `{appId, appKey, timestamp, sign}`, the
//! timestamp in milliseconds within ten minutes of vivo's clock and `sign` the lower-case hex
//! MD5 of `appId + appKey + timestamp + appSecret`; the answer's `authToken` lives a day
//! (vivo asks senders to cache it and renew it every hour or two: it is kept an hour here),
//! and is fetched again once when a send answers `10000` (权限认证失败, the token is no
//! longer valid). Sending: `POST {base}/message/send` with the header `authToken` and a JSON
//! body: `appId` (vivo checks it against the token's), `regId`, `notifyType` (2 ring, 4 ring
//! and vibrate), `title` (at most 40 characters), `content` (at most 100), `skipType: 1`
//! (open the app), `classification: 1` (系统消息: personal work notices, not marketing, which
//! vivo neither caps per device nor folds away), `clientCustomMap` (the data the app reads on
//! open), `requestId` (at most 64 characters, unique per message: the collapse id, so a
//! repeat is the same request), `notifyId` (a notice with the same id replaces the shown one)
//! and `timeToLive`.
//! The answer is JSON `{result, desc, taskId, invalidUser}`: `0` delivered unless
//! `invalidUser.status` is 1 (no such regId) or 2 (uninstalled or unsubscribed), a dead
//! token; `10302` (regId 不合法) a dead token; `10070` (发送总量超出限制, the day's quota;
//! vivo asks that /message/send not be called again that day) later, after midnight China
//! time; HTTP 5xx later; anything else refused for good.

use std::time::Duration;

use md5::Digest;
use serde_json::{json, Value};

use super::{
    clip, notify_id, retry_after, until_quota_resets, Delivered, Message, OAuthToken, Provider,
    PushError, SendFuture,
};

/// vivo's push endpoint.
pub const BASE_URL: &str = "https://api-push.vivo.com.cn";

/// `title`: at most 40 characters.
pub const TITLE_MAX: usize = 40;

/// `content`: at most 100 characters.
pub const CONTENT_MAX: usize = 100;

/// How long an auth token is used (vivo: renew every hour or two; it lives a day).
const TOKEN_LIFE: Duration = Duration::from_secs(3600);

/// The app as vivo's console knows it.
#[derive(Clone, Debug)]
pub struct VivoApp {
    /// The numeric AppID.
    pub app_id: u64,
    /// The AppKey.
    pub app_key: String,
    /// The AppSecret.
    pub app_secret: String,
    /// The second-level category of vivo's classification for work reminders (`category`,
    /// upper case, e.g. `TODO`), if the operator gives one; it must belong to the system
    /// class that `classification: 1` names.
    pub category: Option<String>,
}

/// The vivo provider.
pub struct Vivo {
    http: reqwest::Client,
    app: VivoApp,
    base_url: String,
    token: OAuthToken,
}

/// The lower-case hex MD5 of `appId + appKey + timestamp + appSecret`: the auth request's
/// `sign`.
pub fn sign(app_id: u64, app_key: &str, timestamp: i64, app_secret: &str) -> String {
    format!(
        "{:x}",
        md5::Md5::digest(format!("{app_id}{app_key}{timestamp}{app_secret}").as_bytes())
    )
}

impl Vivo {
    /// A provider for the app, speaking to `base_url` ([`BASE_URL`] for the real service).
    pub fn new(app: VivoApp, base_url: &str, http: reqwest::Client) -> Vivo {
        Vivo {
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
                let timestamp = chrono::Utc::now().timestamp_millis();
                let res = self
                    .http
                    .post(format!("{}/message/auth", self.base_url))
                    .json(&json!({
                        "appId": self.app.app_id,
                        "appKey": self.app.app_key,
                        "timestamp": timestamp,
                        "sign": sign(self.app.app_id, &self.app.app_key, timestamp, &self.app.app_secret),
                    }))
                    .send()
                    .await
                    .map_err(|e| super::unreachable("vivo auth", e))?;
                let status = res.status();
                let after = retry_after(res.headers());
                let body: Value = res.json().await.unwrap_or(Value::Null);
                let result = body["result"].as_i64().unwrap_or(-1);
                match body["authToken"].as_str() {
                    Some(token) if result == 0 && !token.is_empty() => {
                        Ok((token.to_owned(), TOKEN_LIFE))
                    }
                    _ if status.is_server_error() || status.as_u16() == 429 => {
                        Err(PushError::Retry {
                            after,
                            reason: format!("vivo auth answered {status}"),
                        })
                    }
                    _ => Err(PushError::Failed(format!(
                        "vivo auth answered {status} {result} {} (app id, key or secret wrong?)",
                        body["desc"].as_str().unwrap_or("")
                    ))),
                }
            })
            .await
    }

    /// The JSON body of one notification to one regId.
    fn body(&self, message: &Message) -> Value {
        let request_id = message
            .collapse_id
            .as_deref()
            .map(|id| clip(id, 64))
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let mut body = json!({
            "appId": self.app.app_id,
            "regId": message.token,
            "notifyType": if message.urgent { 4 } else { 2 },
            "title": clip(&message.title, TITLE_MAX),
            "content": clip(&message.body, CONTENT_MAX),
            "timeToLive": 86_400,
            "skipType": 1,
            "networkType": -1,
            "classification": 1,
            "clientCustomMap": message.data,
            "requestId": request_id,
            "pushMode": 0,
        });
        if let Some(id) = &message.collapse_id {
            body["notifyId"] = json!(notify_id(id));
        }
        if let Some(category) = &self.app.category {
            body["category"] = json!(category);
        }
        body
    }

    /// One attempt: the HTTP status, `Retry-After` and the answer.
    async fn post(
        &self,
        token: &str,
        message: &Message,
    ) -> Result<(reqwest::StatusCode, Option<Duration>, Value), PushError> {
        let res = self
            .http
            .post(format!("{}/message/send", self.base_url))
            .header("authToken", token)
            .json(&self.body(message))
            .send()
            .await
            .map_err(|e| super::unreachable("vivo", e))?;
        let status = res.status();
        let after = retry_after(res.headers());
        Ok((status, after, res.json().await.unwrap_or(Value::Null)))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let token = self.auth_token(None).await?;
        let mut answer = self.post(&token, message).await?;
        if answer.2["result"].as_i64() == Some(10000) {
            // The token expired or was revoked: one try with a new one.
            answer = self
                .post(&self.auth_token(Some(&token)).await?, message)
                .await?;
        }
        let (status, after, body) = answer;
        let result = body["result"].as_i64().unwrap_or(-1);
        let invalid = body["invalidUser"]["status"].as_i64();
        if status.is_success() && result == 0 {
            return match invalid {
                Some(s @ (1 | 2)) => Err(PushError::DeadToken(format!("invalidUser {s}"))),
                Some(s) => Err(PushError::Failed(format!("vivo: invalidUser {s}"))),
                None => Ok(Delivered {
                    id: body["taskId"].as_str().unwrap_or_default().to_owned(),
                }),
            };
        }
        let what = format!(
            "vivo answered {status} {result} {}",
            body["desc"].as_str().unwrap_or("")
        );
        Err(match result {
            10302 => PushError::DeadToken(result.to_string()),
            10070 => PushError::Retry {
                after: Some(until_quota_resets(chrono::Utc::now())),
                reason: what,
            },
            _ if status.is_server_error() || status.as_u16() == 429 => PushError::Retry {
                after,
                reason: what,
            },
            _ => PushError::Failed(what),
        })
    }
}

impl Provider for Vivo {
    fn name(&self) -> &'static str {
        "vivo"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
