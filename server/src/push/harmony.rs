//! Huawei Push Kit v3, the scenario-based message API (场景化消息 REST API) for HarmonyOS NEXT
//! (HarmonyOS 5 and later), where the Android HMS v1 API ([`super::hms`]) no longer reaches.
//!
//! Sources (HarmonyOS documentation, developer.huawei.com):
//! - "基于服务账号生成鉴权令牌", <https://developer.huawei.com/consumer/cn/doc/harmonyos-guides/push-jwt-token>;
//! - "场景化消息 REST API" — request structure
//!   <https://developer.huawei.com/consumer/cn/doc/harmonyos-references/push-scenariozed-api-request-struct>,
//!   parameters
//!   <https://developer.huawei.com/consumer/cn/doc/harmonyos-references/push-scenariozed-api-request-param>,
//!   answers
//!   <https://developer.huawei.com/consumer/cn/doc/harmonyos-references/push-scenariozed-api-response>,
//!   flow control
//!   <https://developer.huawei.com/consumer/cn/doc/harmonyos-references/push-msg-freq-control>.
//!
//! Authentication: no token endpoint. Each request carries `Authorization: Bearer <JWT>`,
//! a JWT the server signs itself with the service account key (AppGallery Connect / API
//! Console "服务账号密钥" JSON file: `project_id`, `key_id`, `sub_account`, `private_key`):
//! header `{kid: key_id, typ: JWT, alg: PS256}` (RSASSA-PSS with SHA-256), payload `{aud:
//! "https://oauth-login.cloud.huawei.com/oauth2/v3/token", iss: sub_account, iat, exp: iat +
//! 3600}`. The JWT is reused until a minute before it expires, and signed anew once when the
//! API calls it bad (HTTP 401, `80200001` authentication error, `80200005` JWT expired).
//!
//! Sending: `POST {base}/v3/{projectId}/messages:send` with `push-type: 0` (an alert, i.e. a
//! notification message) and `{payload: {notification: {category: "WORK", title, body,
//! clickAction: {actionType: 0, data}, notifyId}}, target: {token: [...]}, pushOptions:
//! {ttl}}`. `category` `WORK` (工作事项提醒) is honoured once the app holds the notification
//! self-classification right (通知消息自分类权益); without it every notification counts as
//! `MARKETING`: silent, and a few a day.
//!
//! The answer's `code` says the outcome: `80000000` delivered; `80300007` (every token
//! invalid) or `80100000` (partly sent) naming our token, a dead token; HTTP 429, 500, 502,
//! 503 (flow control), `81000001` (inner error) and `80300029` (the test message limit),
//! later, honouring `Retry-After`; anything else, refused.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};

use super::{retry_after, Delivered, Message, Provider, PushError, SendFuture};

/// Huawei's push endpoint (the same host as HMS v1; the path says v3).
pub const BASE_URL: &str = "https://push-api.cloud.huawei.com";

/// The JWT's audience, fixed by Huawei.
pub const AUDIENCE: &str = "https://oauth-login.cloud.huawei.com/oauth2/v3/token";

/// A JWT lives this long (Huawei suggests an hour; more than a day is refused, `80300036`).
pub const JWT_LIFETIME: Duration = Duration::from_secs(3600);

/// The notification class Duban's notices belong to (工作事项提醒).
pub const CATEGORY: &str = "WORK";

/// How long Push Kit keeps a notice for a phone that is off (seconds; a day).
pub const TTL_SECONDS: u64 = 86_400;

/// The fields of a service account key file that Push Kit needs.
#[derive(Clone, Debug, Deserialize)]
pub struct ServiceAccount {
    /// The AppGallery Connect project, in the send URL.
    pub project_id: String,
    /// The key's id: the JWT's `kid`.
    pub key_id: String,
    /// The service account: the JWT's `iss`.
    pub sub_account: String,
    /// The RSA private key, PEM (PKCS #8).
    pub private_key: String,
}

impl ServiceAccount {
    /// Reads a service account key file's JSON.
    pub fn from_json(json: &str) -> Result<ServiceAccount, PushError> {
        serde_json::from_str(json)
            .map_err(|e| PushError::Failed(format!("Push Kit service account key file: {e}")))
    }
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    iat: i64,
    exp: i64,
}

/// The Push Kit v3 provider.
pub struct Harmony {
    http: reqwest::Client,
    account: ServiceAccount,
    key: jsonwebtoken::EncodingKey,
    base_url: String,
    jwt: tokio::sync::Mutex<Option<(String, Instant)>>,
}

/// One attempt's HTTP status, `Retry-After` and answer.
type Answer = (u16, Option<Duration>, Value);

impl Harmony {
    /// A provider for the account, sending to `base_url` ([`BASE_URL`] for the real
    /// service).
    pub fn new(
        account: ServiceAccount,
        base_url: &str,
        http: reqwest::Client,
    ) -> Result<Harmony, PushError> {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| PushError::Failed(format!("Push Kit service account private key: {e}")))?;
        Ok(Harmony {
            http,
            account,
            key,
            base_url: base_url.trim_end_matches('/').to_owned(),
            jwt: tokio::sync::Mutex::new(None),
        })
    }

    /// A valid JWT: the cached one, or a newly signed one (`fresh` forces a new one).
    async fn jwt(&self, fresh: bool) -> Result<String, PushError> {
        let mut cached = self.jwt.lock().await;
        if let Some((jwt, until)) = cached.as_ref() {
            if !fresh && Instant::now() < *until {
                return Ok(jwt.clone());
            }
        }
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            aud: AUDIENCE,
            iss: &self.account.sub_account,
            iat,
            exp: iat + JWT_LIFETIME.as_secs() as i64,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
        header.kid = Some(self.account.key_id.clone());
        header.typ = Some("JWT".to_owned());
        let jwt = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| PushError::Failed(format!("signing the Push Kit JWT: {e}")))?;
        let until = Instant::now() + JWT_LIFETIME.saturating_sub(Duration::from_secs(60));
        *cached = Some((jwt.clone(), until));
        Ok(jwt)
    }

    /// The notification's id on the phone: the same for a resent notice, so that it
    /// replaces the first (a non-negative 31-bit number derived from the collapse id).
    fn notify_id(collapse_id: &str) -> u32 {
        let h = blake3::hash(collapse_id.as_bytes());
        let b = h.as_bytes();
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0x7fff_ffff
    }

    /// The alert message: a WORK notification that opens the app with the notice's data.
    fn body(message: &Message) -> Value {
        let mut body = json!({
            "payload": {
                "notification": {
                    "category": CATEGORY,
                    "title": message.title,
                    "body": message.body,
                    "clickAction": {"actionType": 0, "data": message.data}
                }
            },
            "target": {"token": [message.token]},
            "pushOptions": {"ttl": TTL_SECONDS}
        });
        if let Some(id) = &message.collapse_id {
            body["payload"]["notification"]["notifyId"] = json!(Harmony::notify_id(id));
        }
        body
    }

    async fn post(&self, jwt: &str, message: &Message) -> Result<Answer, PushError> {
        let res = self
            .http
            .post(format!(
                "{}/v3/{}/messages:send",
                self.base_url, self.account.project_id
            ))
            .bearer_auth(jwt)
            .header("push-type", "0")
            .json(&Harmony::body(message))
            .send()
            .await
            .map_err(|e| super::unreachable("Push Kit", e))?;
        let status = res.status().as_u16();
        let after = retry_after(res.headers());
        Ok((status, after, res.json().await.unwrap_or(Value::Null)))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let unauthorised = |(status, _, body): &Answer| {
            *status == 401 || matches!(body["code"].as_str(), Some("80200001" | "80200005"))
        };
        let mut answer = self.post(&self.jwt(false).await?, message).await?;
        if unauthorised(&answer) {
            answer = self.post(&self.jwt(true).await?, message).await?;
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
            _ if matches!(status, 429 | 500 | 502 | 503)
                || matches!(code.as_str(), "81000001" | "80300029") =>
            {
                Err(PushError::Retry {
                    after,
                    reason: format!("Push Kit answered {status} {code}"),
                })
            }
            _ => Err(PushError::Failed(format!(
                "Push Kit answered {status} {code}"
            ))),
        }
    }
}

impl Provider for Harmony {
    fn name(&self) -> &'static str {
        "harmony"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
