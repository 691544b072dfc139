//! Huawei HMS Push Kit, server API v1 (Huawei and Honor phones, HarmonyOS; mainland China,
//! where FCM does not reach).
//!
//! Authentication: OAuth2 client credentials (`grant_type=client_credentials` with the app's
//! id and secret) at the token URL, cached until a minute before it expires and fetched
//! again once when the API says the token is bad (HTTP 401, `80200001`, `80200003`).
//! Sending: `POST {base}/v1/{app_id}/messages:send`. The answer's `code` says the outcome:
//! `80000000` delivered; `80300007` (every token invalid) or `80100000` naming our token
//! among the illegal ones, a dead token; HTTP 500, 502, 503 (traffic control) and
//! `81000001`, later (honouring `Retry-After`).
//!
//! Classification: every message says it is a work reminder (工作事项提醒): `android.category`
//! `WORK` and `android.notification.importance` `NORMAL` (服务与通讯: lock screen, sound,
//! vibration, no daily cap). Huawei trusts the stated category only once the app holds the
//! self-classification right (自分类权益, applied for in AppGallery Connect › Push Kit);
//! without it Huawei's own classifier decides, and what it calls marketing (资讯营销) is
//! shown silently and capped at a few a day. Sources: Huawei's message classification
//! standard (消息分类标准) and the v1 send API,
//! <https://developer.huawei.com/consumer/cn/doc/HMSCore-Guides/message-classification-0000001149358835>,
//! <https://developer.huawei.com/consumer/cn/doc/HMSCore-References/https-send-api-0000001050986197>,
//! and the same two fields as Aliyun EMAS passes them to Huawei's channel,
//! <https://help.aliyun.com/document_detail/613940.html>.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{retry_after, Delivered, Message, OAuthToken, Provider, PushError, SendFuture};

/// Huawei's OAuth2 token endpoint.
pub const TOKEN_URL: &str = "https://oauth-login.cloud.huawei.com/oauth2/v3/token";

/// Huawei's push endpoint.
pub const BASE_URL: &str = "https://push-api.cloud.huawei.com";

/// The message classification Duban's notices carry (工作事项提醒).
pub const CATEGORY: &str = "WORK";

/// The app's credentials from AppGallery Connect.
#[derive(Clone, Debug, Deserialize)]
pub struct HmsApp {
    /// The app id (also the OAuth2 client id).
    pub app_id: String,
    /// The app secret (the OAuth2 client secret).
    pub app_secret: String,
}

/// The HMS provider.
pub struct Hms {
    http: reqwest::Client,
    app: HmsApp,
    token_url: String,
    base_url: String,
    token: OAuthToken,
}

impl Hms {
    /// A provider for the app, with Huawei's endpoints ([`TOKEN_URL`], [`BASE_URL`]) or
    /// others that speak the same protocol.
    pub fn new(app: HmsApp, token_url: &str, base_url: &str, http: reqwest::Client) -> Hms {
        Hms {
            http,
            app,
            token_url: token_url.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: OAuthToken::new(),
        }
    }

    async fn access_token(&self, fresh: bool) -> Result<String, PushError> {
        self.token
            .get(&self.http, &self.token_url, "HMS", fresh, || {
                Ok(format!(
                    "grant_type=client_credentials&client_id={}&client_secret={}",
                    super::percent(&self.app.app_id),
                    super::percent(&self.app.app_secret)
                ))
            })
            .await
    }

    fn body(message: &Message) -> Value {
        let mut body = json!({
            "validate_only": false,
            "message": {
                "data": serde_json::to_string(&message.data).unwrap_or_default(),
                "android": {
                    "urgency": if message.urgent { "HIGH" } else { "NORMAL" },
                    "category": CATEGORY,
                    "notification": {
                        "title": message.title,
                        "body": message.body,
                        "click_action": {"type": 3},
                        "importance": "NORMAL"
                    }
                },
                "token": [message.token]
            }
        });
        if let Some(id) = &message.collapse_id {
            body["message"]["android"]["notification"]["tag"] = json!(id);
        }
        body
    }

    /// One attempt: the HTTP status, `Retry-After` and the answer.
    async fn post(
        &self,
        token: &str,
        message: &Message,
    ) -> Result<(u16, Option<Duration>, Value), PushError> {
        let res = self
            .http
            .post(format!(
                "{}/v1/{}/messages:send",
                self.base_url, self.app.app_id
            ))
            .bearer_auth(token)
            .json(&Hms::body(message))
            .send()
            .await
            .map_err(|e| super::unreachable("HMS", e))?;
        let status = res.status().as_u16();
        let after = retry_after(res.headers());
        Ok((status, after, res.json().await.unwrap_or(Value::Null)))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let unauthorised = |(status, _, body): &(u16, Option<Duration>, Value)| {
            *status == 401 || matches!(body["code"].as_str(), Some("80200001" | "80200003"))
        };
        let mut answer = self.post(&self.access_token(false).await?, message).await?;
        if unauthorised(&answer) {
            answer = self.post(&self.access_token(true).await?, message).await?;
        }
        let (status, after, body) = answer;
        let code = body["code"].as_str().unwrap_or("").to_owned();
        let msg = body["msg"].as_str().unwrap_or("");
        match code.as_str() {
            "80000000" => Ok(Delivered {
                id: body["requestId"].as_str().unwrap_or_default().to_owned(),
            }),
            "80300007" => Err(PushError::DeadToken(code)),
            "80100000" if msg.contains(&message.token) => Err(PushError::DeadToken(code)),
            _ if matches!(status, 429 | 500 | 502 | 503) || code == "81000001" => {
                Err(PushError::Retry {
                    after,
                    reason: format!("HMS answered {status} {code}"),
                })
            }
            _ => Err(PushError::Failed(format!("HMS answered {status} {code}"))),
        }
    }
}

impl Provider for Hms {
    fn name(&self) -> &'static str {
        "hms"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
