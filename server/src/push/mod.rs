//! Push delivery (R2.2, R10.3): one [`Provider`] trait, one implementation per service, each
//! speaking the service's real HTTP protocol at a configurable base URL (so tests run the
//! same code against a local endpoint that speaks the same protocol).
//!
//! - [`fcm`]: Firebase Cloud Messaging HTTP v1, authenticated with an OAuth2 access token
//!   from a service account's RS256-signed JWT, cached until shortly before it expires;
//! - [`hms`]: Huawei HMS Push Kit v1 (Android), authenticated with OAuth2 client credentials;
//! - [`harmony`]: Huawei Push Kit v3 (HarmonyOS NEXT), authenticated with a PS256 JWT the
//!   server signs with its service account key;
//! - [`honor`]: Honor Push, authenticated with OAuth2 client credentials;
//! - [`apns`]: Apple's APNs over HTTP/2 with an ES256 provider token;
//! - [`xiaomi`]: Xiaomi's MiPush server API (`key=` AppSecret header);
//! - [`oppo`]: OPPO PUSH (OPUSH) server API, with a SHA-256-signed auth token;
//! - [`vivo`]: vivo push server API, with an MD5-signed auth token;
//! - [`sms`]: SMS through Aliyun's signed RPC requests, Tencent Cloud's API 3.0 (signed by
//!   [`tc3`]) or a signed webhook;
//! - [`voice`]: a text-to-speech voice call through Aliyun's voice notification service.
//! - DingTalk's and WeCom's work notifications, in [`crate::workapp`] (their clients serve
//!   sign-in as well).
//!
//! Every one of them speaks through the one HTTP client [`http_client`] builds from the
//! settings (the outbound network: which certificate authorities are trusted, which proxy
//! is used), so a deployment behind an intercepting egress proxy or an internal CA is set
//! up once for all.
//!
//! A send ends in one of five ways, and the caller acts on each differently: delivered; the
//! device token is dead (remove the device); try again later (after the time the service
//! asked for, else a backoff); refused because of our configuration (an SMS template or
//! signature the service has not approved: tell the administrators, try again much later);
//! or failed for good (log it, do not retry).

pub mod apns;
pub mod fcm;
pub mod harmony;
pub mod hms;
pub mod honor;
pub mod oppo;
pub mod sms;
pub mod tc3;
pub mod vivo;
pub mod voice;
pub mod xiaomi;

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
    /// Our configuration is refused by the service (an SMS template or signature not
    /// approved, parameters the template's review does not allow, an exhausted package):
    /// the administrators must act; the message waits and is tried again later.
    #[error("refused by the service ({code}): {reason}")]
    Refused {
        /// The service's code, e.g. `isv.SMS_TEMPLATE_ILLEGAL`.
        code: String,
        /// What happened.
        reason: String,
    },
}

impl PushError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PushError::DeadToken(_) => "push.dead_token",
            PushError::Retry { .. } => "push.retry",
            PushError::Failed(_) => "push.failed",
            PushError::Refused { .. } => "push.refused",
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

/// A service's access token, kept until a minute before it expires: an OAuth2 token got by a
/// form POST to a token endpoint (FCM's JWT bearer grant, HMS's client credentials), or any
/// other fetched through [`OAuthToken::get_or_fetch`] (OPPO's and vivo's auth tokens).
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
        self.cached_or(
            |_| fresh,
            || async move {
                let (token, expires_in) = fetch().await?;
                Ok((token, Duration::from_secs(expires_in)))
            },
        )
        .await
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
        self.cached_or(
            |_| fresh,
            || async {
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
                let t: TokenAnswer = res.json().await.map_err(|e| {
                    PushError::Failed(format!("{service} token endpoint answer: {e}"))
                })?;
                Ok((t.access_token, Duration::from_secs(t.expires_in)))
            },
        )
        .await
    }

    /// The cached token, or the one `fetch` gets with how long it lives: for services whose
    /// token exchange is not OAuth2's (OPPO's and vivo's signed requests). `refused` is a
    /// token the service just refused: it is fetched again only if it is still the cached
    /// one, so sends refused together (the token expired under them) fetch one new token,
    /// not one each.
    pub(crate) async fn get_or_fetch<F, Fut>(
        &self,
        refused: Option<&str>,
        fetch: F,
    ) -> Result<String, PushError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Duration), PushError>>,
    {
        self.cached_or(|cached| Some(cached) == refused, fetch)
            .await
    }

    /// The cached token unless it has expired or `stale` says so, else the one `fetch` gets.
    /// Sends wait for one fetch rather than each fetching its own.
    async fn cached_or<E, F, Fut>(
        &self,
        stale: impl FnOnce(&str) -> bool,
        fetch: F,
    ) -> Result<String, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Duration), E>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if std::time::Instant::now() < *until && !stale(token) {
                return Ok(token.clone());
            }
        }
        let (token, life) = fetch().await?;
        let until = std::time::Instant::now() + life.saturating_sub(OAuthToken::MARGIN);
        *cached = Some((token.clone(), until));
        Ok(token)
    }
}

/// `text` cut to at most `max` characters, ending in `…` when cut. The vendors' limits count
/// characters ("一个中英文字符均计算为1"), so a cut never splits one.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The wait until 00:00 in China (UTC+8), when the Chinese vendors' daily send quotas start
/// again: a send refused for the day's quota is tried then, not sooner.
pub(crate) fn until_quota_resets(now: chrono::DateTime<chrono::Utc>) -> Duration {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let local = now.with_timezone(&china);
    let next = (local.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_local_timezone(china)
        .single()
        .expect("a fixed offset has one midnight");
    (next.with_timezone(&chrono::Utc) - now)
        .to_std()
        .unwrap_or(Duration::ZERO)
}

/// A notification id in `1..=2147483647` derived from the collapse id: Xiaomi's `notify_id`
/// and vivo's `notifyId` make a notice with the same id replace the one shown, so a repeat
/// send after a crash does not show twice.
pub(crate) fn notify_id(collapse: &str) -> i64 {
    let h = blake3::hash(collapse.as_bytes());
    let b = h.as_bytes();
    let n = i64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x7fff_ffff);
    n.max(1)
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
    /// Huawei Push Kit v1 (Android phones with HMS Core).
    pub hms: Option<Arc<dyn Provider>>,
    /// Xiaomi push (MiPush).
    pub xiaomi: Option<Arc<dyn Provider>>,
    /// OPPO push (OPUSH).
    pub oppo: Option<Arc<dyn Provider>>,
    /// vivo push.
    pub vivo: Option<Arc<dyn Provider>>,
    /// Huawei Push Kit v3 (HarmonyOS NEXT; devices registered as `hms` on `harmony`).
    pub harmony: Option<Arc<dyn Provider>>,
    /// Honor Push.
    pub honor: Option<Arc<dyn Provider>>,
    /// The SMS gateway.
    pub sms: Option<Arc<dyn Provider>>,
    /// The voice-call (TTS) service.
    pub voice: Option<Arc<dyn Provider>>,
    /// DingTalk work notifications (`crate::workapp::dingtalk`); the token is the app's
    /// user id.
    pub dingtalk: Option<Arc<dyn Provider>>,
    /// WeCom application messages (`crate::workapp::wecom`); the token is the app's user id.
    pub wecom: Option<Arc<dyn Provider>>,
}

impl Providers {
    /// The provider of a name (`fcm`, `apns`, `hms`, `harmony`, `honor`, `xiaomi`, `oppo`,
    /// `vivo`), `sms`, `voice`, or a work app (`dingtalk`, `wecom`).
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        match name {
            "fcm" => self.fcm.as_ref(),
            "apns" => self.apns.as_ref(),
            "hms" => self.hms.as_ref(),
            "xiaomi" => self.xiaomi.as_ref(),
            "oppo" => self.oppo.as_ref(),
            "vivo" => self.vivo.as_ref(),
            "harmony" => self.harmony.as_ref(),
            "honor" => self.honor.as_ref(),
            "sms" => self.sms.as_ref(),
            "voice" => self.voice.as_ref(),
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
            ("xiaomi", &self.xiaomi),
            ("oppo", &self.oppo),
            ("vivo", &self.vivo),
            ("harmony", &self.harmony),
            ("honor", &self.honor),
            ("sms", &self.sms),
            ("voice", &self.voice),
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
        if let Some(secret) = &s.xiaomi_app_secret {
            let app = xiaomi::XiaomiApp {
                app_secret: secret.clone(),
                package: setting(&s.xiaomi_package, "xiaomi_package")?.to_owned(),
                channel_id: setting(&s.xiaomi_channel_id, "xiaomi_channel_id")?.to_owned(),
            };
            let url = s.xiaomi_url.as_deref().unwrap_or(xiaomi::BASE_URL);
            out.xiaomi = Some(Arc::new(xiaomi::Xiaomi::new(app, url, http.clone())));
        }
        if let Some(key) = &s.oppo_app_key {
            let app = oppo::OppoApp {
                app_key: key.clone(),
                master_secret: setting(&s.oppo_master_secret, "oppo_master_secret")?.to_owned(),
                channel_id: setting(&s.oppo_channel_id, "oppo_channel_id")?.to_owned(),
                category: s.oppo_category.clone(),
            };
            let url = s.oppo_url.as_deref().unwrap_or(oppo::BASE_URL);
            out.oppo = Some(Arc::new(oppo::Oppo::new(app, url, http.clone())));
        }
        if let Some(id) = &s.vivo_app_id {
            let app = vivo::VivoApp {
                app_id: id.trim().parse().map_err(|_| {
                    PushError::Failed(format!(
                        "vivo_app_id must be vivo's numeric AppID, not {id:?}"
                    ))
                })?,
                app_key: setting(&s.vivo_app_key, "vivo_app_key")?.to_owned(),
                app_secret: setting(&s.vivo_app_secret, "vivo_app_secret")?.to_owned(),
                category: s.vivo_category.clone(),
            };
            let url = s.vivo_url.as_deref().unwrap_or(vivo::BASE_URL);
            out.vivo = Some(Arc::new(vivo::Vivo::new(app, url, http.clone())));
        }
        if let Some(path) = &s.harmony_service_account {
            let account =
                harmony::ServiceAccount::from_json(&read(path, "Push Kit service account")?)?;
            let url = s.harmony_url.as_deref().unwrap_or(harmony::BASE_URL);
            out.harmony = Some(Arc::new(harmony::Harmony::new(account, url, http.clone())?));
        }
        if let Some(id) = &s.honor_app_id {
            let app = honor::HonorApp {
                app_id: id.clone(),
                client_id: setting(&s.honor_client_id, "honor_client_id")?.to_owned(),
                client_secret: setting(&s.honor_client_secret, "honor_client_secret")?.to_owned(),
            };
            out.honor = Some(Arc::new(honor::Honor::new(
                app,
                s.honor_token_url.as_deref().unwrap_or(honor::TOKEN_URL),
                s.honor_url.as_deref().unwrap_or(honor::BASE_URL),
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
                        template_code_en: s
                            .sms_template_en
                            .clone()
                            .filter(|t| !t.trim().is_empty()),
                    },
                },
                "tencent" => sms::Gateway::Tencent {
                    endpoint: s
                        .sms_url
                        .clone()
                        .unwrap_or_else(|| sms::TENCENT_ENDPOINT.to_owned()),
                    account: sms::Tencent {
                        credential: tc3::Credential {
                            secret_id: setting(&s.sms_access_key_id, "sms_access_key_id")?
                                .to_owned(),
                            secret_key: setting(&s.sms_secret, "sms_secret")?.to_owned(),
                        },
                        sdk_app_id: setting(&s.sms_sdk_app_id, "sms_sdk_app_id")?.to_owned(),
                        region: s
                            .sms_region
                            .clone()
                            .filter(|r| !r.trim().is_empty())
                            .unwrap_or_else(|| sms::TENCENT_REGION.to_owned()),
                        sign_name: setting(&s.sms_sign_name, "sms_sign_name")?.to_owned(),
                        template_id: setting(&s.sms_template, "sms_template")?.to_owned(),
                        template_id_en: s.sms_template_en.clone().filter(|t| !t.trim().is_empty()),
                    },
                },
                "webhook" => sms::Gateway::Webhook {
                    url: setting(&s.sms_url, "sms_url")?.to_owned(),
                    secret: setting(&s.sms_secret, "sms_secret")?.to_owned(),
                },
                other => {
                    return Err(PushError::Failed(format!(
                        "sms_gateway must be aliyun, tencent or webhook, not {other:?}"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_characters_and_marks_the_cut() {
        assert_eq!(clip("督办提醒", 4), "督办提醒");
        assert_eq!(clip("督办提醒通知", 4), "督办提…");
        assert_eq!(clip("abcdef", 3), "ab…");
        let long = "河".repeat(300);
        let cut = clip(&long, 127);
        assert_eq!(cut.chars().count(), 127);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_daily_quota_resets_at_midnight_in_china() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        // 23:00 in Beijing is 15:00 UTC: an hour to go.
        assert_eq!(
            until_quota_resets(at("2026-12-07T15:00:00Z")),
            Duration::from_secs(3600)
        );
        // 08:30 in Beijing (00:30 UTC): 15.5 hours to go.
        assert_eq!(
            until_quota_resets(at("2026-12-07T00:30:00Z")),
            Duration::from_secs(15 * 3600 + 1800)
        );
    }

    #[test]
    fn the_vendors_are_built_from_complete_settings_only() {
        let mut s = crate::config::PushArgs {
            xiaomi_app_secret: Some("xiaomi-secret".into()),
            xiaomi_package: Some("cn.gov.duban.app".into()),
            ..Default::default()
        };
        let refused = |s: &crate::config::PushArgs| match Providers::from_settings(s) {
            Err(PushError::Failed(why)) => why,
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("built from incomplete settings"),
        };
        assert!(refused(&s).contains("xiaomi_channel_id"));
        s.xiaomi_channel_id = Some("duban_work".into());
        s.oppo_app_key = Some("oppo-key".into());
        s.oppo_channel_id = Some("duban_work".into());
        assert!(refused(&s).contains("oppo_master_secret"));
        s.oppo_master_secret = Some("master".into());
        s.vivo_app_id = Some("not-a-number".into());
        s.vivo_app_key = Some("key".into());
        s.vivo_app_secret = Some("secret".into());
        assert!(refused(&s).contains("vivo_app_id"));
        s.vivo_app_id = Some("10004".into());
        let p = Providers::from_settings(&s).expect("complete");
        assert_eq!(p.names(), vec!["xiaomi", "oppo", "vivo"]);
        for name in ["xiaomi", "oppo", "vivo"] {
            assert_eq!(p.get(name).map(|p| p.name()), Some(name));
        }
    }

    #[test]
    fn notify_ids_are_stable_positive_31_bit_numbers() {
        let a = notify_id("5f0c6d1e-0000-4000-8000-000000000001");
        assert_eq!(a, notify_id("5f0c6d1e-0000-4000-8000-000000000001"));
        assert_ne!(a, notify_id("5f0c6d1e-0000-4000-8000-000000000002"));
        assert!((1..=2_147_483_647).contains(&a));
    }
}
