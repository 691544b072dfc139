//! Honor Push (荣耀推送), the server API (Honor phones on MagicOS, which since 2024 no longer
//! carry Huawei's HMS Core and reach the app only through Honor's own channel).
//!
//! Sources (Honor Developers, 推送服务 › 服务端 API):
//! - the downlink message API and its answer codes (下行消息接口, 下行消息响应码),
//!   <https://developer.honor.com/cn/docs/11002/reference/downlink-message>;
//! - the guide "发送下行消息" (token request, send URL, headers, notification body), as Honor's
//!   developer team published it: <https://my.oschina.net/u/5873522/blog/10140231>;
//! - the message classification standard (荣耀推送服务消息分类标准: 服务通讯 vs 资讯营销,
//!   the latter silent and capped; marketing by default after 2024-12-31 without the
//!   self-classification right), summarised at
//!   <https://tencentcloud.com/document/product/1047/66807>.
//!
//! Authentication: OAuth2 client credentials (`grant_type=client_credentials`, the push
//! service's Client ID and Client Secret from the Honor developer console) POSTed as a form
//! to `https://iam.developer.honor.com/auth/token`; the access token is cached until a minute
//! before it expires and fetched again once when the API calls it bad (HTTP 401, `80200001`
//! authentication error, `80200003` token expired).
//!
//! Sending: `POST {base}/api/v1/{appId}/sendMessage` with `Authorization: Bearer <token>`, a
//! `timestamp` header (the request's time in milliseconds) and a JSON body: `data` (a JSON
//! string), `android.notification` with `title`, `body`, `clickAction.type` 3 (open the
//! app) and `importance` `NORMAL` (服务通讯, a service reminder: lock screen, sound and
//! vibration; honoured once the app holds Honor's self-classification right, otherwise Honor
//! classifies the message itself), and `token`, the list of target tokens.
//!
//! The answer's `code` says the outcome: `200` (or Huawei-lineage `80000000`) delivered, the
//! request id in `data.requestId`; `80300007` (every token invalid) or `80100000` (partly
//! sent) naming our token, a dead token; HTTP 429, 500, 502, 503 (flow control) and
//! `81000001` (inner error), later, honouring `Retry-After`; anything else, refused.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{retry_after, Delivered, Message, OAuthToken, Provider, PushError, SendFuture};

/// Honor's OAuth2 token endpoint.
pub const TOKEN_URL: &str = "https://iam.developer.honor.com/auth/token";

/// Honor's push endpoint.
pub const BASE_URL: &str = "https://push-api.cloud.honor.com";

/// The push service's credentials from the Honor developer console (推送服务 › 查看推送服务).
#[derive(Clone, Debug, Deserialize)]
pub struct HonorApp {
    /// The app id, in the send URL.
    pub app_id: String,
    /// The OAuth2 client id.
    pub client_id: String,
    /// The OAuth2 client secret.
    pub client_secret: String,
}

/// The Honor provider.
pub struct Honor {
    http: reqwest::Client,
    app: HonorApp,
    token_url: String,
    base_url: String,
    token: OAuthToken,
}

/// One attempt's HTTP status, `Retry-After` and answer.
type Answer = (u16, Option<Duration>, Value);

impl Honor {
    /// A provider for the app, with Honor's endpoints ([`TOKEN_URL`], [`BASE_URL`]) or
    /// others that speak the same protocol.
    pub fn new(app: HonorApp, token_url: &str, base_url: &str, http: reqwest::Client) -> Honor {
        Honor {
            http,
            app,
            token_url: token_url.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: OAuthToken::new(),
        }
    }

    async fn access_token(&self, fresh: bool) -> Result<String, PushError> {
        self.token
            .get(&self.http, &self.token_url, "Honor", fresh, || {
                Ok(format!(
                    "grant_type=client_credentials&client_id={}&client_secret={}",
                    super::percent(&self.app.client_id),
                    super::percent(&self.app.client_secret)
                ))
            })
            .await
    }

    /// The downlink message: a notification the system shows, with the app's data.
    fn body(message: &Message) -> Value {
        json!({
            "data": serde_json::to_string(&message.data).unwrap_or_default(),
            "android": {
                "notification": {
                    "title": message.title,
                    "body": message.body,
                    "clickAction": {"type": 3},
                    "importance": "NORMAL"
                }
            },
            "token": [message.token]
        })
    }

    async fn post(&self, token: &str, message: &Message) -> Result<Answer, PushError> {
        let res = self
            .http
            .post(format!(
                "{}/api/v1/{}/sendMessage",
                self.base_url, self.app.app_id
            ))
            .bearer_auth(token)
            .header(
                "timestamp",
                chrono::Utc::now().timestamp_millis().to_string(),
            )
            .json(&Honor::body(message))
            .send()
            .await
            .map_err(|e| super::unreachable("Honor", e))?;
        let status = res.status().as_u16();
        let after = retry_after(res.headers());
        Ok((status, after, res.json().await.unwrap_or(Value::Null)))
    }

    /// The answer's code, whether Honor sends it as a number or a string.
    fn code(body: &Value) -> String {
        match &body["code"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        }
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let unauthorised = |(status, _, body): &Answer| {
            *status == 401 || matches!(Honor::code(body).as_str(), "80200001" | "80200003")
        };
        let mut answer = self.post(&self.access_token(false).await?, message).await?;
        if unauthorised(&answer) {
            // Revoked or expired early: one fresh token, one more try.
            answer = self.post(&self.access_token(true).await?, message).await?;
        }
        let (status, after, body) = answer;
        let code = Honor::code(&body);
        let text = format!("{} {}", body["message"], body["data"]);
        match code.as_str() {
            "200" | "80000000" if status == 200 => Ok(Delivered {
                id: body["data"]["requestId"]
                    .as_str()
                    .or_else(|| body["requestId"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
            }),
            "80300007" => Err(PushError::DeadToken(code)),
            "80100000" if text.contains(&message.token) => Err(PushError::DeadToken(code)),
            _ if matches!(status, 429 | 500 | 502 | 503) || code == "81000001" => {
                Err(PushError::Retry {
                    after,
                    reason: format!("Honor answered {status} {code}"),
                })
            }
            _ => Err(PushError::Failed(format!("Honor answered {status} {code}"))),
        }
    }
}

impl Provider for Honor {
    fn name(&self) -> &'static str {
        "honor"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
