//! Apple Push Notification service, token-based (`.p8` key) over HTTP/2.
//!
//! Authentication: a JWT signed with the team's P-256 key (ES256; `kid` the key id, `iss`
//! the team id, `iat`), kept for 50 minutes (Apple refuses tokens older than an hour and
//! tokens renewed more often than every 20 minutes) and renewed at once when Apple answers
//! `ExpiredProviderToken`. Sending: `POST {base}/3/device/{token}` with `apns-topic` (the
//! app's bundle id), `apns-push-type: alert` and `apns-priority` (10 urgent, 5 otherwise).
//! A 410 (`Unregistered`) or `BadDeviceToken` is a dead token; 429 and 5xx are later.
//!
//! Apple's endpoint speaks HTTP/2 over TLS (ALPN); a plain `http://` base URL (a local
//! endpoint) is spoken to in HTTP/2 with prior knowledge.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{retry_after, Delivered, Message, Provider, PushError, SendFuture};

/// Apple's production endpoint.
pub const BASE_URL: &str = "https://api.push.apple.com";

/// Apple's development (sandbox) endpoint.
pub const SANDBOX_URL: &str = "https://api.sandbox.push.apple.com";

/// How long a provider token is used.
const TOKEN_LIFE: Duration = Duration::from_secs(50 * 60);

/// The team's signing key.
#[derive(Clone, Debug)]
pub struct ApnsKey {
    /// The team id (10 characters).
    pub team_id: String,
    /// The key id (10 characters).
    pub key_id: String,
    /// The `.p8` key, PEM (PKCS #8, P-256).
    pub p8: String,
    /// The app's bundle id: the `apns-topic`.
    pub topic: String,
}

/// The APNs provider.
pub struct Apns {
    http: reqwest::Client,
    key: ApnsKey,
    signing: jsonwebtoken::EncodingKey,
    base_url: String,
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
}

impl Apns {
    /// A provider for the key, sending to `base_url` ([`BASE_URL`], [`SANDBOX_URL`], or a
    /// local endpoint), with a client of `builder` (the outbound network's,
    /// [`super::http_builder`]) made to speak HTTP/2.
    pub fn new(
        key: ApnsKey,
        base_url: &str,
        builder: reqwest::ClientBuilder,
    ) -> Result<Apns, PushError> {
        let signing = jsonwebtoken::EncodingKey::from_ec_pem(key.p8.as_bytes())
            .map_err(|e| PushError::Failed(format!("APNs key: {e}")))?;
        let builder = if base_url.starts_with("http://") {
            builder.http2_prior_knowledge()
        } else {
            builder
        };
        let http = builder
            .build()
            .map_err(|e| PushError::Failed(format!("APNs client: {e}")))?;
        Ok(Apns {
            http,
            key,
            signing,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: tokio::sync::Mutex::new(None),
        })
    }

    async fn provider_token(&self, fresh: bool) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if let Some((token, made)) = cached.as_ref() {
            if !fresh && made.elapsed() < TOKEN_LIFE {
                return Ok(token.clone());
            }
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.key.key_id.clone());
        let claims = Claims {
            iss: &self.key.team_id,
            iat: chrono::Utc::now().timestamp(),
        };
        let token = jsonwebtoken::encode(&header, &claims, &self.signing)
            .map_err(|e| PushError::Failed(format!("signing the APNs token: {e}")))?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }

    async fn post(&self, jwt: &str, message: &Message) -> Result<reqwest::Response, PushError> {
        let mut body = json!({
            "aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"}
        });
        for (k, v) in &message.data {
            if k != "aps" {
                body[k] = Value::String(v.clone());
            }
        }
        let mut req = self
            .http
            .post(format!("{}/3/device/{}", self.base_url, message.token))
            .header("authorization", format!("bearer {jwt}"))
            .header("apns-topic", &self.key.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", if message.urgent { "10" } else { "5" });
        if let Some(id) = message.collapse_id.as_deref().filter(|id| id.len() <= 64) {
            req = req.header("apns-collapse-id", id);
        }
        req.json(&body)
            .send()
            .await
            .map_err(|e| super::unreachable("APNs", e))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let mut res = self
            .post(&self.provider_token(false).await?, message)
            .await?;
        if res.status().as_u16() == 403 {
            let reason: Value = res.json().await.unwrap_or(Value::Null);
            if reason["reason"] != "ExpiredProviderToken" {
                return Err(PushError::Failed(format!(
                    "APNs answered 403 {}",
                    reason["reason"]
                )));
            }
            res = self
                .post(&self.provider_token(true).await?, message)
                .await?;
        }
        let status = res.status();
        if status.is_success() {
            let id = res
                .headers()
                .get("apns-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            return Ok(Delivered { id });
        }
        let after = retry_after(res.headers());
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let reason = body["reason"].as_str().unwrap_or("").to_owned();
        Err(match (status.as_u16(), reason.as_str()) {
            (410, _) | (_, "BadDeviceToken" | "Unregistered" | "DeviceTokenNotForTopic") => {
                PushError::DeadToken(reason)
            }
            (429 | 500 | 503, _) => PushError::Retry {
                after,
                reason: format!("APNs answered {status} {reason}"),
            },
            _ => PushError::Failed(format!("APNs answered {status} {reason}")),
        })
    }
}

impl Provider for Apns {
    fn name(&self) -> &'static str {
        "apns"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
