//! Firebase Cloud Messaging, HTTP v1 API.
//!
//! Authentication: a JWT signed with the service account's RSA key (RS256; `iss` the
//! account's e-mail, `aud` its `token_uri`, `scope` firebase.messaging, an hour's life) is
//! exchanged at `token_uri` for an OAuth2 access token, which is cached until a minute
//! before it expires and fetched again once when the API answers 401. Sending:
//! `POST {base}/v1/projects/{project}/messages:send`. Errors come as
//! `error.details[].errorCode`: `UNREGISTERED` and `SENDER_ID_MISMATCH` mean a dead token;
//! 429, 500 and 503 mean later (honouring `Retry-After`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::{retry_after, Delivered, Message, OAuthToken, Provider, PushError, SendFuture};

/// The OAuth2 scope of FCM.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// Google's FCM endpoint.
pub const BASE_URL: &str = "https://fcm.googleapis.com";

/// The fields of a service-account key file (the JSON Firebase hands out) that FCM needs.
#[derive(Clone, Debug, Deserialize)]
pub struct ServiceAccount {
    /// The Firebase project.
    pub project_id: String,
    /// The account's e-mail: the JWT's issuer.
    pub client_email: String,
    /// The RSA private key, PEM (PKCS #8).
    pub private_key: String,
    /// The key's id, sent as the JWT's `kid`.
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// Where the JWT is exchanged for an access token.
    pub token_uri: String,
}

impl ServiceAccount {
    /// Reads a service-account key file's JSON.
    pub fn from_json(json: &str) -> Result<ServiceAccount, PushError> {
        serde_json::from_str(json)
            .map_err(|e| PushError::Failed(format!("service account key file: {e}")))
    }
}

/// The FCM provider.
pub struct Fcm {
    http: reqwest::Client,
    account: ServiceAccount,
    key: jsonwebtoken::EncodingKey,
    base_url: String,
    token: OAuthToken,
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

impl Fcm {
    /// A provider for the account, sending to `base_url` ([`BASE_URL`] for the real
    /// service).
    pub fn new(
        account: ServiceAccount,
        base_url: &str,
        http: reqwest::Client,
    ) -> Result<Fcm, PushError> {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| PushError::Failed(format!("service account private key: {e}")))?;
        Ok(Fcm {
            http,
            account,
            key,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: OAuthToken::new(),
        })
    }

    /// The signed JWT asking for an access token.
    fn assertion(&self) -> Result<String, PushError> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: &self.account.client_email,
            scope: SCOPE,
            aud: &self.account.token_uri,
            iat,
            exp: iat + 3600,
        };
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = self.account.private_key_id.clone();
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| PushError::Failed(format!("signing the token request: {e}")))
    }

    /// A valid access token: the cached one, or a new one (`fresh` forces a new one).
    async fn access_token(&self, fresh: bool) -> Result<String, PushError> {
        self.token
            .get(&self.http, &self.account.token_uri, "FCM", fresh, || {
                Ok(format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
                    self.assertion()?
                ))
            })
            .await
    }

    fn body(message: &Message) -> Value {
        let mut body = json!({
            "message": {
                "token": message.token,
                "notification": {"title": message.title, "body": message.body},
                "data": message.data,
                "android": {"priority": if message.urgent { "HIGH" } else { "NORMAL" }},
                "apns": {"headers": {"apns-priority": if message.urgent { "10" } else { "5" }}}
            }
        });
        if let Some(id) = &message.collapse_id {
            body["message"]["android"]["notification"] = json!({ "tag": id });
            body["message"]["apns"]["headers"]["apns-collapse-id"] = json!(id);
        }
        body
    }

    async fn post(&self, token: &str, message: &Message) -> Result<reqwest::Response, PushError> {
        self.http
            .post(format!(
                "{}/v1/projects/{}/messages:send",
                self.base_url, self.account.project_id
            ))
            .bearer_auth(token)
            .json(&Fcm::body(message))
            .send()
            .await
            .map_err(|e| super::unreachable("FCM", e))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let mut res = self.post(&self.access_token(false).await?, message).await?;
        if res.status().as_u16() == 401 {
            // The cached token was revoked or expired early: one fresh try.
            res = self.post(&self.access_token(true).await?, message).await?;
        }
        let status = res.status();
        let after = retry_after(res.headers());
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            let id = body["name"].as_str().unwrap_or_default().to_owned();
            return Ok(Delivered { id });
        }
        let code = body["error"]["details"]
            .as_array()
            .and_then(|d| d.iter().find_map(|x| x["errorCode"].as_str()))
            .or_else(|| body["error"]["status"].as_str())
            .unwrap_or("")
            .to_owned();
        Err(match (status.as_u16(), code.as_str()) {
            (_, "UNREGISTERED") | (_, "SENDER_ID_MISMATCH") => PushError::DeadToken(code),
            (429 | 500 | 503, _) | (_, "QUOTA_EXCEEDED" | "UNAVAILABLE" | "INTERNAL") => {
                PushError::Retry {
                    after,
                    reason: format!("FCM answered {status} {code}"),
                }
            }
            _ => PushError::Failed(format!("FCM answered {status} {code}")),
        })
    }
}

impl Provider for Fcm {
    fn name(&self) -> &'static str {
        "fcm"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
