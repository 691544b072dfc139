//! Push delivery (R2.2, R10.3): one [`Provider`] trait, one implementation per service, each
//! speaking the service's real HTTP protocol at a configurable base URL (so tests run the
//! same code against a local endpoint that speaks the same protocol).
//!
//! - [`fcm`]: Firebase Cloud Messaging HTTP v1, authenticated with an OAuth2 access token
//!   from a service account's RS256-signed JWT, cached until shortly before it expires;
//! - [`hms`]: Huawei HMS Push Kit v1, authenticated with OAuth2 client credentials;
//! - [`apns`]: Apple's APNs over HTTP/2 with an ES256 provider token;
//! - [`sms`]: SMS through Aliyun's signed RPC requests or a signed webhook;
//! - [`voice`]: a text-to-speech voice call through Aliyun's voice notification service.
//!
//! Every one of them speaks through the one HTTP client [`http_client`] builds from the
//! settings (the outbound network: which certificate authorities are trusted, which proxy
//! is used), so a deployment behind an intercepting egress proxy or an internal CA is set
//! up once for all.
//!
//! A send ends in one of four ways, and the caller acts on each differently: delivered; the
//! device token is dead (remove the device); try again later (after the time the service
//! asked for, else a backoff); or failed for good (log it, do not retry).

pub mod apns;
pub mod fcm;
pub mod hms;
pub mod sms;
pub mod voice;

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

/// The future of [`Provider::result`]: what became of a send, once the service knows.
pub type ResultFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<String>, PushError>> + Send + 'a>>;

/// A push service.
pub trait Provider: Send + Sync {
    /// The provider's name, e.g. `fcm`.
    fn name(&self) -> &'static str;
    /// Sends one message to one device.
    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a>;
    /// For a service whose sends end later (a voice call: answered, busy, not answered),
    /// asks what became of the send `id` made at `sent_at` (Unix milliseconds): a short
    /// stable text, or `None` while the service does not know yet. Services whose sends
    /// end at once answer `None` here (no future).
    fn result<'a>(&'a self, _id: &'a str, _sent_at: i64) -> Option<ResultFuture<'a>> {
        None
    }
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
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if !fresh && std::time::Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let res = http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form()?)
            .send()
            .await
            .map_err(|e| unreachable(&format!("{service} token endpoint"), e))?;
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
        let until = std::time::Instant::now()
            + Duration::from_secs(t.expires_in).saturating_sub(OAuthToken::MARGIN);
        *cached = Some((t.access_token.clone(), until));
        Ok(t.access_token)
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

// ----- the outbound network ------------------------------------------------------------------

/// How many certificates the system's store (`/etc/ssl/certs`, `SSL_CERT_FILE`,
/// `SSL_CERT_DIR`; the platform store on macOS and Windows) holds, read once.
pub fn system_roots() -> usize {
    static COUNT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *COUNT.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::debug!(error = %e, "reading the system's certificate store");
        }
        found.certs.len()
    })
}

/// The certificates of a PEM bundle (the `ca_bundle` setting): refused if the file cannot
/// be read or holds no certificate.
pub fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, PushError> {
    let pem = std::fs::read(path)
        .map_err(|e| PushError::Failed(format!("ca_bundle {}: {e}", path.display())))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        PushError::Failed(format!(
            "ca_bundle {}: not a PEM bundle: {e}",
            path.display()
        ))
    })?;
    if certs.is_empty() {
        return Err(PushError::Failed(format!(
            "ca_bundle {}: holds no certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        )));
    }
    Ok(certs)
}

/// The builder of the outbound HTTP client, with the outbound network's settings applied
/// (for a caller that must add its own, like APNs' HTTP/2; otherwise [`http_client`]):
///
/// - **Trust.** The system's certificate store (so an internal CA or an intercepting egress
///   proxy installed there is trusted), or Mozilla's roots (`webpki-roots`) built in when
///   the system has none (a bare container); plus every certificate of `ca_bundle`.
/// - **Proxy.** With `proxy` (`http://host:port`, optionally `http://user:pass@host:port`),
///   every request goes through it — HTTPS through `CONNECT` — except to the hosts of
///   `no_proxy` (comma-separated, as in `NO_PROXY`). Without it, reqwest's default holds:
///   the standard `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` environment
///   variables (and lower-case forms) are honoured.
/// - A request gives up after 30 seconds.
pub fn http_builder(s: &crate::config::PushArgs) -> Result<reqwest::ClientBuilder, PushError> {
    let system = system_roots();
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .tls_built_in_native_certs(system > 0)
        .tls_built_in_webpki_certs(system == 0);
    if let Some(path) = &s.ca_bundle {
        for cert in read_ca_bundle(path)? {
            b = b.add_root_certificate(cert);
        }
    }
    if let Some(url) = s.proxy.as_deref().filter(|u| !u.trim().is_empty()) {
        let proxy = reqwest::Proxy::all(url.trim())
            // Not the URL itself: it may hold the proxy's password.
            .map_err(|e| PushError::Failed(format!("proxy is not a proxy URL: {e}")))?
            .no_proxy(
                s.no_proxy
                    .as_deref()
                    .and_then(reqwest::NoProxy::from_string),
            );
        b = b.proxy(proxy);
    }
    Ok(b)
}

/// The outbound HTTP client every provider and every other outbound caller uses: see
/// [`http_builder`].
pub fn http_client(s: &crate::config::PushArgs) -> Result<reqwest::Client, PushError> {
    http_builder(s)?
        .build()
        .map_err(|e| PushError::Failed(format!("HTTP client: {}", chain(&e))))
}

/// An error and its causes, one after the other (reqwest's own message names the URL only).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

/// Whether a TLS handshake failed on the server's certificate (an unknown issuer, a wrong
/// name, an expired certificate): rustls' `InvalidCertificate`, wrapped in the I/O error of
/// the connection.
fn certificate_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(cause) = next {
        let tls = cause.downcast_ref::<rustls::Error>().or_else(|| {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if matches!(
            tls,
            Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        ) {
            return true;
        }
        next = cause.source();
    }
    false
}

/// A request that got no answer from `service` (its URL left out of the text): the server's certificate not trusted is a
/// setting to fix ([`PushError::Failed`], saying so); anything else (no route, a reset, a
/// timeout) is tried again later.
pub fn unreachable(service: &str, e: reqwest::Error) -> PushError {
    // Without the URL: a signed query carries the key id and signature.
    let e = e.without_url();
    let e = &e;
    if certificate_refused(e) {
        PushError::Failed(format!(
            "{service}: the server's TLS certificate is not trusted ({}); \
             add its CA to ca_bundle or the system's store",
            chain(e)
        ))
    } else {
        PushError::Retry {
            after: None,
            reason: format!("{service}: {}", chain(e)),
        }
    }
}

/// The push services, the SMS gateway and the voice-call service, those configured.
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
    /// The voice-call (TTS) service.
    pub voice: Option<Arc<dyn Provider>>,
}

impl Providers {
    /// The provider of a device's `provider` column (`fcm`, `apns`, `hms`), or `sms`, or
    /// `voice`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        match name {
            "fcm" => self.fcm.as_ref(),
            "apns" => self.apns.as_ref(),
            "hms" => self.hms.as_ref(),
            "sms" => self.sms.as_ref(),
            "voice" => self.voice.as_ref(),
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
            ("voice", &self.voice),
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

impl Providers {
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
            out.apns = Some(Arc::new(apns::Apns::new(key, url, http_builder(s)?)?));
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
            out.sms = Some(Arc::new(sms::Sms::new(gateway, http.clone())));
        }
        if let Some(kind) = &s.voice_gateway {
            if kind != "aliyun" {
                return Err(PushError::Failed(format!(
                    "voice_gateway must be aliyun, not {kind:?}"
                )));
            }
            let account = voice::AliyunVoice {
                access_key_id: setting(&s.voice_access_key_id, "voice_access_key_id")?.to_owned(),
                access_key_secret: setting(&s.voice_secret, "voice_secret")?.to_owned(),
                show_number: setting(&s.voice_show_number, "voice_show_number")?.to_owned(),
                tts_code: setting(&s.voice_tts_code, "voice_tts_code")?.to_owned(),
                tts_code_en: s.voice_tts_code_en.clone().filter(|c| !c.trim().is_empty()),
                play_times: s.voice_play_times.unwrap_or(voice::DEFAULT_PLAY_TIMES),
            };
            let url = s.voice_url.as_deref().unwrap_or(voice::ALIYUN_ENDPOINT);
            out.voice = Some(Arc::new(voice::Voice::new(url, account, http.clone())));
        }
        Ok(out)
    }
}
