//! SMS, the last resort (R2.2): through a configurable HTTP gateway, either
//!
//! - **Aliyun SMS** (`dysmsapi`, `SendSms`): the RPC-style signed request the usual Chinese
//!   cloud SMS APIs use — every parameter sorted and percent-encoded (RFC 3986), the string
//!   `GET&%2F&{encoded query}` signed with HMAC-SHA1 under `secret&`, base64; answers by
//!   `Code` (`OK`; `isv.MOBILE_NUMBER_ILLEGAL` a dead number; throttling and
//!   `isv.BUSINESS_LIMIT_CONTROL` later); or
//! - **a webhook**: `POST` of `{phone, title, body, data}` as JSON, signed with
//!   HMAC-SHA256 over the body in `X-Duban-Signature` (hex), for an in-house gateway.
//!
//! The message's `token` is the phone number.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::{percent, retry_after, Delivered, Message, Provider, PushError, SendFuture};

/// Aliyun's SMS endpoint.
pub const ALIYUN_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com";

/// Aliyun SMS account and template.
#[derive(Clone, Debug)]
pub struct Aliyun {
    /// The AccessKey id.
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: String,
    /// The approved signature (签名), e.g. 清河县督查室.
    pub sign_name: String,
    /// The approved template (`SMS_…`) with `${title}` and `${body}`.
    pub template_code: String,
}

/// Where an SMS goes.
#[derive(Clone, Debug)]
pub enum Gateway {
    /// Aliyun SMS at this endpoint ([`ALIYUN_ENDPOINT`] for the real service).
    Aliyun {
        /// The endpoint.
        endpoint: String,
        /// The account.
        account: Aliyun,
    },
    /// An in-house gateway.
    Webhook {
        /// Where to POST.
        url: String,
        /// The shared secret of the signature.
        secret: String,
    },
}

/// The SMS provider.
pub struct Sms {
    http: reqwest::Client,
    gateway: Gateway,
}

/// The signed query of an Aliyun RPC request: the parameters plus `Signature`.
pub fn aliyun_query(params: &std::collections::BTreeMap<String, String>, secret: &str) -> String {
    let canonical = params
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&");
    let to_sign = format!("GET&{}&{}", percent("/"), percent(&canonical));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("Signature={}&{canonical}", percent(&signature))
}

/// The webhook's signature of a body: hex HMAC-SHA256.
pub fn webhook_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn later(e: reqwest::Error) -> PushError {
    super::unreachable("SMS gateway", e)
}

impl Sms {
    /// A provider for the gateway.
    pub fn new(gateway: Gateway, http: reqwest::Client) -> Sms {
        Sms { http, gateway }
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        match &self.gateway {
            Gateway::Aliyun { endpoint, account } => {
                let params: std::collections::BTreeMap<String, String> = [
                    ("AccessKeyId", account.access_key_id.clone()),
                    ("Action", "SendSms".into()),
                    ("Format", "JSON".into()),
                    ("PhoneNumbers", message.token.clone()),
                    ("RegionId", "cn-hangzhou".into()),
                    ("SignName", account.sign_name.clone()),
                    ("SignatureMethod", "HMAC-SHA1".into()),
                    ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
                    ("SignatureVersion", "1.0".into()),
                    ("TemplateCode", account.template_code.clone()),
                    (
                        "TemplateParam",
                        json!({"title": message.title, "body": message.body}).to_string(),
                    ),
                    (
                        "Timestamp",
                        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    ),
                    ("Version", "2017-05-25".into()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
                let url = format!(
                    "{}/?{}",
                    endpoint.trim_end_matches('/'),
                    aliyun_query(&params, &account.access_key_secret)
                );
                let res = self.http.get(url).send().await.map_err(later)?;
                let (status, after) = (res.status(), retry_after(res.headers()));
                let body: Value = res.json().await.unwrap_or(Value::Null);
                let code = body["Code"].as_str().unwrap_or("").to_owned();
                match code.as_str() {
                    "OK" => Ok(Delivered {
                        id: body["BizId"].as_str().unwrap_or_default().to_owned(),
                    }),
                    "isv.MOBILE_NUMBER_ILLEGAL" => Err(PushError::DeadToken(code)),
                    c if c.starts_with("Throttling")
                        || c == "isv.BUSINESS_LIMIT_CONTROL"
                        || c == "isp.SYSTEM_ERROR"
                        || status.is_server_error() =>
                    {
                        Err(PushError::Retry {
                            after,
                            reason: format!("Aliyun SMS answered {status} {code}"),
                        })
                    }
                    _ => Err(PushError::Failed(format!(
                        "Aliyun SMS answered {status} {code}"
                    ))),
                }
            }
            Gateway::Webhook { url, secret } => {
                let body = serde_json::to_vec(&json!({
                    "phone": message.token,
                    "title": message.title,
                    "body": message.body,
                    "data": message.data,
                }))
                .unwrap_or_default();
                let res = self
                    .http
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("x-duban-signature", webhook_signature(secret, &body))
                    .body(body)
                    .send()
                    .await
                    .map_err(later)?;
                let status = res.status();
                if status.is_success() {
                    let answer: Value = res.json().await.unwrap_or(Value::Null);
                    return Ok(Delivered {
                        id: answer["id"].as_str().unwrap_or_default().to_owned(),
                    });
                }
                let after = retry_after(res.headers());
                Err(match status.as_u16() {
                    410 => PushError::DeadToken("gone".into()),
                    429 | 500..=599 => PushError::Retry {
                        after,
                        reason: format!("SMS webhook answered {status}"),
                    },
                    _ => PushError::Failed(format!("SMS webhook answered {status}")),
                })
            }
        }
    }
}

impl Provider for Sms {
    fn name(&self) -> &'static str {
        "sms"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
