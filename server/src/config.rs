//! The server's configuration: command-line flags, then `DUBAN_*` environment variables, then
//! a TOML file (`--config`), then defaults — the first that says something wins.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

/// Flags of `duban serve` (each also readable from the environment).
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (flags and environment win over it).
    #[arg(long, env = "DUBAN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "DUBAN_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Directory of the embedded database, created on first run [default: ./duban-data].
    #[arg(long, env = "DUBAN_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite database.
    #[arg(long, env = "DUBAN_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Seed the demo organisation and items if the database is empty.
    #[arg(long, env = "DUBAN_DEMO")]
    pub demo: bool,
    /// Log format: `text` or `json` [default: text].
    #[arg(long, env = "DUBAN_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Days a session token lives [default: 30].
    #[arg(long, env = "DUBAN_SESSION_DAYS", value_name = "DAYS")]
    pub session_days: Option<u32>,
    /// Failed sign-ins before an account is locked [default: 5].
    #[arg(long, env = "DUBAN_LOCKOUT_ATTEMPTS", value_name = "N")]
    pub lockout_attempts: Option<u32>,
    /// Minutes an account stays locked [default: 15].
    #[arg(long, env = "DUBAN_LOCKOUT_MINUTES", value_name = "MIN")]
    pub lockout_minutes: Option<u32>,
    /// Password hashes (argon2, 19 MiB each) run at once, for sign-ins and new passwords
    /// [default: the number of cores, at most 4].
    #[arg(long, env = "DUBAN_HASH_CONCURRENCY", value_name = "N")]
    pub hash_concurrency: Option<u32>,
    /// Milliseconds a sign-in waits for a free hash before it is answered 503 `auth.busy`
    /// with `Retry-After` [default: 2000].
    #[arg(long, env = "DUBAN_HASH_WAIT_MS", value_name = "MS")]
    pub hash_wait_ms: Option<u64>,
    /// Largest JSON request body in bytes [default: 2097152].
    #[arg(long, env = "DUBAN_MAX_BODY", value_name = "BYTES")]
    pub max_body: Option<usize>,
    /// Largest file (blob) in bytes [default: 52428800].
    #[arg(long, env = "DUBAN_MAX_BLOB", value_name = "BYTES")]
    pub max_blob: Option<u64>,
    /// Database connections in the pool [default: 8].
    #[arg(long, env = "DUBAN_DB_CONNECTIONS", value_name = "N")]
    pub db_connections: Option<u32>,
    /// Seconds between the scheduler's ticks (reminders, urging, escalation, report
    /// requests); 0 turns it off on this replica [default: 30].
    #[arg(long, env = "DUBAN_SCHEDULER_SECONDS", value_name = "SECS")]
    pub scheduler_seconds: Option<u32>,
    /// Seconds between the delivery worker's passes over push and SMS steps that fall due
    /// later (steps due at once go out at once); 0 turns it off on this replica [default: 5].
    #[arg(long, env = "DUBAN_DELIVERY_SECONDS", value_name = "SECS")]
    pub delivery_seconds: Option<u32>,
    /// A secret (at least 16 characters) that `/metrics` on the main listener asks for as
    /// `Authorization: Bearer …`; without it, and without `metrics_listen`, there is no
    /// `/metrics` (404). A secret, so never a flag: `DUBAN_METRICS_TOKEN` or the file.
    #[arg(skip)]
    pub metrics_token: Option<String>,
    /// A second address serving `/metrics` alone, without the token (e.g. `127.0.0.1:9090`,
    /// reachable by the monitoring only).
    #[arg(long, env = "DUBAN_METRICS_LISTEN", value_name = "ADDR:PORT")]
    pub metrics_listen: Option<SocketAddr>,
    /// The address people reach this server at (e.g. `https://duban.example.gov.cn`): the
    /// links in work-app notifications and the sign-in callbacks the work apps return to.
    #[arg(long, env = "DUBAN_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Push services and the SMS gateway (a `[push]` table in the file).
    #[command(flatten)]
    pub push: PushArgs,
}

/// The push services and the SMS gateway; each is on when its credentials are given.
/// Endpoints default to the real services.
#[derive(Debug, Clone, Default, Args, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PushArgs {
    /// FCM: the service account key file (JSON) from the Firebase console.
    #[arg(long, env = "DUBAN_FCM_SERVICE_ACCOUNT", value_name = "FILE")]
    pub fcm_service_account: Option<PathBuf>,
    /// FCM: the API endpoint [default: https://fcm.googleapis.com].
    #[arg(long, env = "DUBAN_FCM_URL", value_name = "URL")]
    pub fcm_url: Option<String>,
    /// APNs: the signing key (`AuthKey_….p8`).
    #[arg(long, env = "DUBAN_APNS_KEY", value_name = "FILE")]
    pub apns_key: Option<PathBuf>,
    /// APNs: the key id.
    #[arg(long, env = "DUBAN_APNS_KEY_ID", value_name = "ID")]
    pub apns_key_id: Option<String>,
    /// APNs: the team id.
    #[arg(long, env = "DUBAN_APNS_TEAM_ID", value_name = "ID")]
    pub apns_team_id: Option<String>,
    /// APNs: the app's bundle id (the topic).
    #[arg(long, env = "DUBAN_APNS_TOPIC", value_name = "BUNDLE")]
    pub apns_topic: Option<String>,
    /// APNs: the endpoint [default: https://api.push.apple.com].
    #[arg(long, env = "DUBAN_APNS_URL", value_name = "URL")]
    pub apns_url: Option<String>,
    /// HMS: the app id from AppGallery Connect.
    #[arg(long, env = "DUBAN_HMS_APP_ID", value_name = "ID")]
    pub hms_app_id: Option<String>,
    /// HMS: the app secret (`DUBAN_HMS_APP_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub hms_app_secret: Option<String>,
    /// HMS: the OAuth2 token endpoint [default: Huawei's].
    #[arg(long, env = "DUBAN_HMS_TOKEN_URL", value_name = "URL")]
    pub hms_token_url: Option<String>,
    /// HMS: the push endpoint [default: https://push-api.cloud.huawei.com].
    #[arg(long, env = "DUBAN_HMS_URL", value_name = "URL")]
    pub hms_url: Option<String>,
    /// Xiaomi push: the AppSecret (`DUBAN_XIAOMI_APP_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub xiaomi_app_secret: Option<String>,
    /// Xiaomi push: the Android app's package name.
    #[arg(long, env = "DUBAN_XIAOMI_PACKAGE", value_name = "PACKAGE")]
    pub xiaomi_package: Option<String>,
    /// Xiaomi push: the notification channel registered in Xiaomi's console (`extra.channel_id`).
    #[arg(long, env = "DUBAN_XIAOMI_CHANNEL_ID", value_name = "ID")]
    pub xiaomi_channel_id: Option<String>,
    /// Xiaomi push: the endpoint [default: https://api.xmpush.xiaomi.com].
    #[arg(long, env = "DUBAN_XIAOMI_URL", value_name = "URL")]
    pub xiaomi_url: Option<String>,
    /// OPPO push: the AppKey.
    #[arg(long, env = "DUBAN_OPPO_APP_KEY", value_name = "KEY")]
    pub oppo_app_key: Option<String>,
    /// OPPO push: the MasterSecret (`DUBAN_OPPO_MASTER_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub oppo_master_secret: Option<String>,
    /// OPPO push: the notification channel registered in OPPO's console (`channel_id`).
    #[arg(long, env = "DUBAN_OPPO_CHANNEL_ID", value_name = "ID")]
    pub oppo_channel_id: Option<String>,
    /// OPPO push: the category of OPPO's message classification for work reminders (e.g. `TODO`).
    #[arg(long, env = "DUBAN_OPPO_CATEGORY", value_name = "CATEGORY")]
    pub oppo_category: Option<String>,
    /// OPPO push: the endpoint [default: https://api.push.oppomobile.com].
    #[arg(long, env = "DUBAN_OPPO_URL", value_name = "URL")]
    pub oppo_url: Option<String>,
    /// vivo push: the numeric AppID.
    #[arg(long, env = "DUBAN_VIVO_APP_ID", value_name = "ID")]
    pub vivo_app_id: Option<String>,
    /// vivo push: the AppKey.
    #[arg(long, env = "DUBAN_VIVO_APP_KEY", value_name = "KEY")]
    pub vivo_app_key: Option<String>,
    /// vivo push: the AppSecret (`DUBAN_VIVO_APP_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub vivo_app_secret: Option<String>,
    /// vivo push: the second-level category of vivo's system messages for work reminders
    /// (e.g. `TODO`).
    #[arg(long, env = "DUBAN_VIVO_CATEGORY", value_name = "CATEGORY")]
    pub vivo_category: Option<String>,
    /// vivo push: the endpoint [default: https://api-push.vivo.com.cn].
    #[arg(long, env = "DUBAN_VIVO_URL", value_name = "URL")]
    pub vivo_url: Option<String>,
    /// SMS: `aliyun` (signed SendSms), `tencent` (Tencent Cloud SMS, TC3-signed SendSms) or
    /// `webhook` (a signed POST to an in-house gateway).
    /// Push Kit v3 (HarmonyOS NEXT): the service account key file (JSON) from AppGallery
    /// Connect (the file holds the private key: keep it readable by the server alone).
    #[arg(long, env = "DUBAN_HARMONY_SERVICE_ACCOUNT", value_name = "FILE")]
    pub harmony_service_account: Option<PathBuf>,
    /// Push Kit v3: the push endpoint [default: https://push-api.cloud.huawei.com].
    #[arg(long, env = "DUBAN_HARMONY_URL", value_name = "URL")]
    pub harmony_url: Option<String>,
    /// Honor Push: the app id from the Honor developer console.
    #[arg(long, env = "DUBAN_HONOR_APP_ID", value_name = "ID")]
    pub honor_app_id: Option<String>,
    /// Honor Push: the client id.
    #[arg(long, env = "DUBAN_HONOR_CLIENT_ID", value_name = "ID")]
    pub honor_client_id: Option<String>,
    /// Honor Push: the client secret (`DUBAN_HONOR_CLIENT_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub honor_client_secret: Option<String>,
    /// Honor Push: the OAuth2 token endpoint [default: Honor's].
    #[arg(long, env = "DUBAN_HONOR_TOKEN_URL", value_name = "URL")]
    pub honor_token_url: Option<String>,
    /// Honor Push: the push endpoint [default: https://push-api.cloud.honor.com].
    #[arg(long, env = "DUBAN_HONOR_URL", value_name = "URL")]
    pub honor_url: Option<String>,
    /// SMS: `aliyun` (signed SendSms) or `webhook` (a signed POST to an in-house gateway).
    #[arg(long, env = "DUBAN_SMS_GATEWAY", value_name = "KIND")]
    pub sms_gateway: Option<String>,
    /// SMS: the endpoint (Aliyun's or Tencent Cloud's by default; the webhook's URL).
    #[arg(long, env = "DUBAN_SMS_URL", value_name = "URL")]
    pub sms_url: Option<String>,
    /// SMS: Aliyun's AccessKey id or Tencent Cloud's SecretId (`DUBAN_SMS_ACCESS_KEY_ID` or
    /// the file; never a flag).
    #[arg(skip)]
    pub sms_access_key_id: Option<String>,
    /// SMS: the AccessKey secret (Aliyun), the SecretKey (Tencent Cloud) or the shared
    /// secret (webhook)
    /// (`DUBAN_SMS_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub sms_secret: Option<String>,
    /// SMS (Aliyun, Tencent Cloud): the approved signature (签名).
    #[arg(long, env = "DUBAN_SMS_SIGN_NAME", value_name = "NAME")]
    pub sms_sign_name: Option<String>,
    /// SMS (Aliyun, Tencent Cloud): the approved template (Aliyun's code `SMS_…` with
    /// `${no}`, `${kind}`, `${count}`, `${due}`; Tencent's id with `{1}`–`{4}`), see
    /// `docs/channels.md`.
    #[arg(long, env = "DUBAN_SMS_TEMPLATE", value_name = "CODE")]
    pub sms_template: Option<String>,
    /// SMS (Aliyun, Tencent Cloud): the approved English template, if any (English speakers
    /// get the Chinese SMS without it).
    #[arg(long, env = "DUBAN_SMS_TEMPLATE_EN", value_name = "CODE")]
    pub sms_template_en: Option<String>,
    /// SMS (Tencent Cloud): the SMS application's `SmsSdkAppId`.
    #[arg(long, env = "DUBAN_SMS_SDK_APP_ID", value_name = "ID")]
    pub sms_sdk_app_id: Option<String>,
    /// SMS (Tencent Cloud): the region [default: ap-guangzhou].
    #[arg(long, env = "DUBAN_SMS_REGION", value_name = "REGION")]
    pub sms_region: Option<String>,
    /// Voice calls: `aliyun` (Aliyun voice notification, `SingleCallByTts`).
    #[arg(long, env = "DUBAN_VOICE_GATEWAY", value_name = "KIND")]
    pub voice_gateway: Option<String>,
    /// Voice calls: the endpoint [default: https://dyvmsapi.aliyuncs.com].
    #[arg(long, env = "DUBAN_VOICE_URL", value_name = "URL")]
    pub voice_url: Option<String>,
    /// Voice calls (Aliyun): the AccessKey id (`DUBAN_VOICE_ACCESS_KEY_ID` or the file; never
    /// a flag).
    #[arg(skip)]
    pub voice_access_key_id: Option<String>,
    /// Voice calls (Aliyun): the AccessKey secret (`DUBAN_VOICE_SECRET` or the file; never a
    /// flag).
    #[arg(skip)]
    pub voice_secret: Option<String>,
    /// Voice calls: the purchased display number the person sees calling (被叫显号).
    #[arg(long, env = "DUBAN_VOICE_SHOW_NUMBER", value_name = "NUMBER")]
    pub voice_show_number: Option<String>,
    /// Voice calls: the approved TTS template (`TTS_…`) spoken in Chinese.
    #[arg(long, env = "DUBAN_VOICE_TTS_CODE", value_name = "CODE")]
    pub voice_tts_code: Option<String>,
    /// Voice calls: an approved TTS template spoken in English, for people whose language is
    /// English [default: the Chinese one].
    #[arg(long, env = "DUBAN_VOICE_TTS_CODE_EN", value_name = "CODE")]
    pub voice_tts_code_en: Option<String>,
    /// Voice calls: how many times the message is played in one call, 1 to 3 [default: 2].
    #[arg(long, env = "DUBAN_VOICE_PLAY_TIMES", value_name = "N")]
    pub voice_play_times: Option<u32>,
    /// Outbound network: a PEM file of extra certificate authorities to trust (an internal
    /// CA, an intercepting egress proxy's), beside the system's store.
    #[arg(long, env = "DUBAN_CA_BUNDLE", value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// Outbound network: the proxy every outbound request goes through (`http://host:port`;
    /// HTTPS through `CONNECT`). Without it, `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` apply.
    #[arg(long, env = "DUBAN_PROXY", value_name = "URL")]
    pub proxy: Option<String>,
    /// Outbound network: hosts reached without the proxy (comma-separated, as `NO_PROXY`).
    #[arg(long, env = "DUBAN_NO_PROXY", value_name = "HOSTS")]
    pub no_proxy: Option<String>,
    /// DingTalk (钉钉/政务钉钉): the internal app's AppKey (Client ID).
    #[arg(long, env = "DUBAN_DINGTALK_APP_KEY", value_name = "KEY")]
    pub dingtalk_app_key: Option<String>,
    /// DingTalk: the app's AppSecret (`DUBAN_DINGTALK_APP_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub dingtalk_app_secret: Option<String>,
    /// DingTalk: the app's AgentId (work notifications are sent as it).
    #[arg(long, env = "DUBAN_DINGTALK_AGENT_ID", value_name = "ID")]
    pub dingtalk_agent_id: Option<String>,
    /// DingTalk: the organisation's CorpId (免登 in the app asks for it).
    #[arg(long, env = "DUBAN_DINGTALK_CORP_ID", value_name = "ID")]
    pub dingtalk_corp_id: Option<String>,
    /// DingTalk: the server API [default: https://oapi.dingtalk.com] (政务钉钉: its own).
    #[arg(long, env = "DUBAN_DINGTALK_URL", value_name = "URL")]
    pub dingtalk_url: Option<String>,
    /// DingTalk: the new server API [default: https://api.dingtalk.com].
    #[arg(long, env = "DUBAN_DINGTALK_API_URL", value_name = "URL")]
    pub dingtalk_api_url: Option<String>,
    /// DingTalk: the sign-in (QR) page [default: https://login.dingtalk.com].
    #[arg(long, env = "DUBAN_DINGTALK_LOGIN_URL", value_name = "URL")]
    pub dingtalk_login_url: Option<String>,
    /// WeCom (企业微信/政务微信): the organisation's CorpID.
    #[arg(long, env = "DUBAN_WECOM_CORP_ID", value_name = "ID")]
    pub wecom_corp_id: Option<String>,
    /// WeCom: the app's AgentId.
    #[arg(long, env = "DUBAN_WECOM_AGENT_ID", value_name = "ID")]
    pub wecom_agent_id: Option<String>,
    /// WeCom: the app's Secret (`DUBAN_WECOM_SECRET` or the file; never a flag).
    #[arg(skip)]
    pub wecom_secret: Option<String>,
    /// WeCom: the server API [default: https://qyapi.weixin.qq.com] (政务微信: its own).
    #[arg(long, env = "DUBAN_WECOM_URL", value_name = "URL")]
    pub wecom_url: Option<String>,
    /// WeCom: the in-app OAuth2 page [default: https://open.weixin.qq.com].
    #[arg(long, env = "DUBAN_WECOM_OAUTH_URL", value_name = "URL")]
    pub wecom_oauth_url: Option<String>,
    /// WeCom: the PC sign-in (QR) page [default: https://login.work.weixin.qq.com].
    #[arg(long, env = "DUBAN_WECOM_LOGIN_URL", value_name = "URL")]
    pub wecom_login_url: Option<String>,
}

/// The value of a secret's environment variable, if set and not empty.
fn env_secret(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

impl PushArgs {
    /// The secrets, each from its environment variable: secrets are never flags, because a
    /// command line is visible to every local user (`ps`). Without the variable, the file's
    /// value stands.
    fn with_env_secrets(mut self) -> PushArgs {
        for (var, field) in [
            ("DUBAN_HMS_APP_SECRET", &mut self.hms_app_secret),
            ("DUBAN_HONOR_CLIENT_SECRET", &mut self.honor_client_secret),
            ("DUBAN_SMS_ACCESS_KEY_ID", &mut self.sms_access_key_id),
            ("DUBAN_SMS_SECRET", &mut self.sms_secret),
            ("DUBAN_XIAOMI_APP_SECRET", &mut self.xiaomi_app_secret),
            ("DUBAN_OPPO_MASTER_SECRET", &mut self.oppo_master_secret),
            ("DUBAN_VIVO_APP_SECRET", &mut self.vivo_app_secret),
            ("DUBAN_VOICE_ACCESS_KEY_ID", &mut self.voice_access_key_id),
            ("DUBAN_VOICE_SECRET", &mut self.voice_secret),
            ("DUBAN_DINGTALK_APP_SECRET", &mut self.dingtalk_app_secret),
            ("DUBAN_WECOM_SECRET", &mut self.wecom_secret),
        ] {
            if let Some(v) = env_secret(var) {
                *field = Some(v);
            }
        }
        self
    }

    /// Each setting from `self`, else from `other`.
    fn or(self, other: PushArgs) -> PushArgs {
        macro_rules! pick {
            ($($f:ident),*) => { PushArgs { $($f: self.$f.or(other.$f)),* } };
        }
        pick!(
            fcm_service_account,
            fcm_url,
            apns_key,
            apns_key_id,
            apns_team_id,
            apns_topic,
            apns_url,
            hms_app_id,
            hms_app_secret,
            hms_token_url,
            hms_url,
            xiaomi_app_secret,
            xiaomi_package,
            xiaomi_channel_id,
            xiaomi_url,
            oppo_app_key,
            oppo_master_secret,
            oppo_channel_id,
            oppo_category,
            oppo_url,
            vivo_app_id,
            vivo_app_key,
            vivo_app_secret,
            vivo_category,
            vivo_url,
            harmony_service_account,
            harmony_url,
            honor_app_id,
            honor_client_id,
            honor_client_secret,
            honor_token_url,
            honor_url,
            sms_gateway,
            sms_url,
            sms_access_key_id,
            sms_secret,
            sms_sign_name,
            sms_template,
            sms_template_en,
            sms_sdk_app_id,
            sms_region,
            voice_gateway,
            voice_url,
            voice_access_key_id,
            voice_secret,
            voice_show_number,
            voice_tts_code,
            voice_tts_code_en,
            voice_play_times,
            ca_bundle,
            proxy,
            no_proxy,
            dingtalk_app_key,
            dingtalk_app_secret,
            dingtalk_agent_id,
            dingtalk_corp_id,
            dingtalk_url,
            dingtalk_api_url,
            dingtalk_login_url,
            wecom_corp_id,
            wecom_agent_id,
            wecom_secret,
            wecom_url,
            wecom_oauth_url,
            wecom_login_url
        )
    }
}

/// The environment variable holding [`Config::hotline_secret`] (there is no flag for it).
pub const HOTLINE_SECRET_ENV: &str = "DUBAN_HOTLINE_SECRET";

/// The same settings in a TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database: Option<String>,
    demo: Option<bool>,
    log_format: Option<String>,
    session_days: Option<u32>,
    lockout_attempts: Option<u32>,
    lockout_minutes: Option<u32>,
    hash_concurrency: Option<u32>,
    hash_wait_ms: Option<u64>,
    max_body: Option<usize>,
    max_blob: Option<u64>,
    db_connections: Option<u32>,
    scheduler_seconds: Option<u32>,
    delivery_seconds: Option<u32>,
    metrics_token: Option<String>,
    metrics_listen: Option<SocketAddr>,
    public_url: Option<String>,
    hotline_secret: Option<String>,
    push: Option<PushArgs>,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line, for collectors.
    Json,
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The PostgreSQL URL, if any.
    pub database: Option<String>,
    /// Seed demo data into an empty database.
    pub demo: bool,
    /// Log format.
    pub log_format: LogFormat,
    /// Session lifetime in days.
    pub session_days: u32,
    /// Failed sign-ins before lockout.
    pub lockout_attempts: u32,
    /// Lockout length in minutes.
    pub lockout_minutes: u32,
    /// Password hashes run at once (each holds argon2's 19 MiB); see `auth::Hashing`.
    pub hash_concurrency: u32,
    /// Milliseconds a sign-in waits for a free hash before it is refused as busy.
    pub hash_wait_ms: u64,
    /// Largest JSON body.
    pub max_body: usize,
    /// Largest blob.
    pub max_blob: u64,
    /// Pool size.
    pub db_connections: u32,
    /// Seconds between scheduler ticks; 0: no scheduler on this replica.
    pub scheduler_seconds: u32,
    /// Seconds between delivery passes; 0: no delivery worker on this replica.
    pub delivery_seconds: u32,
    /// The secret `/metrics` on the main listener asks for; none: no `/metrics` there.
    pub metrics_token: Option<String>,
    /// Where `/metrics` is served alone, without the token.
    pub metrics_listen: Option<SocketAddr>,
    /// The address people reach this server at, without a trailing `/` (links in work-app
    /// notifications, the work apps' sign-in callbacks); none: the work apps are off.
    pub public_url: Option<String>,
    /// The secret shared with the upper (city) hotline platform, which signs the orders it
    /// posts to `POST /api/v1/hotline/orders` (docs/hotline-platform.md); none: the endpoint
    /// refuses every request. Read from the environment (`DUBAN_HOTLINE_SECRET`) or the file
    /// (`hotline_secret`), never from a flag: a command line is visible to every local user.
    pub hotline_secret: Option<String>,
    /// Push services and the SMS gateway.
    pub push: PushArgs,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("duban-data"),
            database: None,
            demo: false,
            log_format: LogFormat::Text,
            session_days: 30,
            lockout_attempts: 5,
            lockout_minutes: 15,
            hash_concurrency: std::thread::available_parallelism()
                .map_or(1, |n| n.get().min(4) as u32),
            hash_wait_ms: 2000,
            max_body: 2 * 1024 * 1024,
            max_blob: 50 * 1024 * 1024,
            db_connections: 8,
            scheduler_seconds: 30,
            delivery_seconds: 5,
            metrics_token: None,
            metrics_listen: None,
            public_url: None,
            hotline_secret: None,
            push: PushArgs::default(),
        }
    }
}

/// Why the configuration is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML file does not parse or names an unknown setting.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        message: String,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

impl ConfigError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::Read { .. } => "config.read",
            ConfigError::Parse { .. } => "config.parse",
            ConfigError::Invalid(_) => "config.invalid",
        }
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

impl ServeArgs {
    /// Resolves flags, environment, file and defaults into a [`Config`].
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let d = Config::default();
        let log_format = match self
            .log_format
            .clone()
            .or(file.log_format)
            .as_deref()
            .unwrap_or("text")
        {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::Invalid(format!(
                    "log format must be text or json, not {other:?}"
                )))
            }
        };
        let config = Config {
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            data_dir: self
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or(d.data_dir),
            database: self.database.clone().or(file.database),
            demo: self.demo || file.demo.unwrap_or(false),
            log_format,
            session_days: self
                .session_days
                .or(file.session_days)
                .unwrap_or(d.session_days),
            lockout_attempts: self
                .lockout_attempts
                .or(file.lockout_attempts)
                .unwrap_or(d.lockout_attempts),
            lockout_minutes: self
                .lockout_minutes
                .or(file.lockout_minutes)
                .unwrap_or(d.lockout_minutes),
            hash_concurrency: self
                .hash_concurrency
                .or(file.hash_concurrency)
                .unwrap_or(d.hash_concurrency),
            hash_wait_ms: self
                .hash_wait_ms
                .or(file.hash_wait_ms)
                .unwrap_or(d.hash_wait_ms),
            max_body: self.max_body.or(file.max_body).unwrap_or(d.max_body),
            max_blob: self.max_blob.or(file.max_blob).unwrap_or(d.max_blob),
            db_connections: self
                .db_connections
                .or(file.db_connections)
                .unwrap_or(d.db_connections),
            scheduler_seconds: self
                .scheduler_seconds
                .or(file.scheduler_seconds)
                .unwrap_or(d.scheduler_seconds),
            delivery_seconds: self
                .delivery_seconds
                .or(file.delivery_seconds)
                .unwrap_or(d.delivery_seconds),
            metrics_token: self
                .metrics_token
                .clone()
                .or_else(|| env_secret("DUBAN_METRICS_TOKEN"))
                .or(file.metrics_token),
            metrics_listen: self.metrics_listen.or(file.metrics_listen),
            public_url: self
                .public_url
                .clone()
                .or(file.public_url)
                .map(|u| u.trim().trim_end_matches('/').to_owned()),
            hotline_secret: env_secret(HOTLINE_SECRET_ENV).or(file.hotline_secret),
            push: self
                .push
                .clone()
                .or(file.push.unwrap_or_default())
                .with_env_secrets(),
        };
        if config
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.chars().count() < 16 || t.chars().any(char::is_whitespace))
        {
            return Err(ConfigError::Invalid(
                "metrics_token must be at least 16 characters, without spaces".into(),
            ));
        }
        if config
            .hotline_secret
            .as_ref()
            .is_some_and(|t| t.chars().count() < 32 || t.chars().any(char::is_whitespace))
        {
            return Err(ConfigError::Invalid(format!(
                "hotline_secret ({HOTLINE_SECRET_ENV}) must be at least 32 characters, without spaces"
            )));
        }
        if let Some(u) = &config.public_url {
            let ok = url::Url::parse(u)
                .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "public_url must be an http(s) address, not {u:?}"
                )));
            }
        }
        if config.session_days == 0 || config.lockout_attempts == 0 || config.db_connections == 0 {
            return Err(ConfigError::Invalid(
                "session_days, lockout_attempts and db_connections must be at least 1".into(),
            ));
        }
        if !(1..=64).contains(&config.hash_concurrency) || config.hash_wait_ms > 60_000 {
            return Err(ConfigError::Invalid(
                "hash_concurrency must be 1 to 64 and hash_wait_ms at most 60000".into(),
            ));
        }
        if let Some(path) = &config.push.ca_bundle {
            crate::push::read_ca_bundle(path).map_err(|e| {
                ConfigError::Invalid(match e {
                    crate::push::PushError::Failed(why) => why,
                    other => other.to_string(),
                })
            })?;
        }
        if let Some(url) = &config.push.proxy {
            reqwest::Proxy::all(url.trim())
                .map_err(|e| ConfigError::Invalid(format!("proxy is not a proxy URL: {e}")))?;
        }
        if let Some(n) = config
            .push
            .voice_play_times
            .filter(|n| !(1..=3).contains(n))
        {
            return Err(ConfigError::Invalid(format!(
                "voice_play_times must be 1 to 3, not {n}"
            )));
        }
        if config.max_body < 1024 || config.max_blob < 1024 {
            return Err(ConfigError::Invalid(
                "max_body and max_blob must be at least 1024 bytes".into(),
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("duban-config-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let path = file("listen = \"0.0.0.0:9000\"\nsession_days = 7\nlog_format = \"json\"\n");
        let args = ServeArgs {
            config: Some(path.clone()),
            session_days: Some(3),
            ..ServeArgs::default()
        };
        let c = args.resolve().unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000".parse().unwrap(), "from the file");
        assert_eq!(c.session_days, 3, "the flag wins");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.lockout_attempts, 5, "the default");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_bad_file_or_value_is_refused_with_a_code() {
        let path = file("listne = \"0.0.0.0:9000\"\n");
        let args = ServeArgs {
            config: Some(path.clone()),
            ..ServeArgs::default()
        };
        assert_eq!(args.resolve().unwrap_err().code(), "config.parse");
        std::fs::remove_file(path).unwrap();
        let missing = ServeArgs {
            config: Some(PathBuf::from("/nonexistent/duban.toml")),
            ..ServeArgs::default()
        };
        assert_eq!(missing.resolve().unwrap_err().code(), "config.read");
        let zero = ServeArgs {
            session_days: Some(0),
            ..ServeArgs::default()
        };
        assert_eq!(zero.resolve().unwrap_err().code(), "config.invalid");
        let format = ServeArgs {
            log_format: Some("xml".into()),
            ..ServeArgs::default()
        };
        assert_eq!(format.resolve().unwrap_err().code(), "config.invalid");
        let short = ServeArgs {
            metrics_token: Some("guessable".into()),
            ..ServeArgs::default()
        };
        assert_eq!(short.resolve().unwrap_err().code(), "config.invalid");
    }

    #[test]
    fn the_hotline_secret_comes_from_the_file_and_is_long() {
        let secret = "k".repeat(40);
        let path = file(&format!("hotline_secret = \"{secret}\"\n"));
        let args = ServeArgs {
            config: Some(path.clone()),
            ..ServeArgs::default()
        };
        if std::env::var(HOTLINE_SECRET_ENV).is_err() {
            assert_eq!(args.resolve().unwrap().hotline_secret, Some(secret));
        }
        std::fs::remove_file(path).unwrap();
        let path = file("hotline_secret = \"short\"\n");
        let short = ServeArgs {
            config: Some(path.clone()),
            ..ServeArgs::default()
        };
        if std::env::var(HOTLINE_SECRET_ENV).is_err() {
            assert_eq!(short.resolve().unwrap_err().code(), "config.invalid");
        }
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn the_public_url_is_an_http_address_without_a_trailing_slash() {
        let bad = ServeArgs {
            public_url: Some("duban.example.gov.cn".into()),
            ..ServeArgs::default()
        };
        assert_eq!(bad.resolve().unwrap_err().code(), "config.invalid");
        let good = ServeArgs {
            public_url: Some("https://duban.example.gov.cn/".into()),
            ..ServeArgs::default()
        };
        assert_eq!(
            good.resolve().unwrap().public_url.as_deref(),
            Some("https://duban.example.gov.cn")
        );
    }

    #[test]
    fn secrets_are_never_flags() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            serve: ServeArgs,
        }
        use clap::Parser as _;
        for flag in [
            "--metrics-token",
            "--hms-app-secret",
            "--honor-client-secret",
            "--sms-access-key-id",
            "--sms-secret",
            "--xiaomi-app-secret",
            "--oppo-master-secret",
            "--vivo-app-secret",
            "--voice-access-key-id",
            "--voice-secret",
            "--dingtalk-app-secret",
            "--wecom-secret",
        ] {
            assert!(
                Cli::try_parse_from(["duban", flag, "s3cret-s3cret-s3cret"]).is_err(),
                "{flag} must not be a flag"
            );
        }
        assert!(Cli::try_parse_from(["duban", "--hms-app-id", "1"]).is_ok());
        assert!(Cli::try_parse_from([
            "duban",
            "--xiaomi-package",
            "cn.gov.duban.app",
            "--oppo-app-key",
            "k",
            "--vivo-app-id",
            "10004",
            "--vivo-app-key",
            "k"
        ])
        .is_ok());
        assert!(Cli::try_parse_from(["duban", "--voice-tts-code", "TTS_1"]).is_ok());
    }

    #[test]
    fn a_ca_bundle_must_be_readable_and_hold_a_certificate() {
        let refused = |path: PathBuf| {
            let args = ServeArgs {
                push: PushArgs {
                    ca_bundle: Some(path),
                    ..PushArgs::default()
                },
                ..ServeArgs::default()
            };
            let e = args.resolve().unwrap_err();
            assert_eq!(e.code(), "config.invalid");
            e.to_string()
        };
        let missing = refused(PathBuf::from("/nonexistent/ca.pem"));
        assert!(
            missing.contains("ca_bundle /nonexistent/ca.pem"),
            "{missing}"
        );
        let empty = file("# no certificate here\n");
        let why = refused(empty.clone());
        assert!(why.contains("holds no certificate"), "{why}");
        std::fs::remove_file(empty).unwrap();
        let proxy = ServeArgs {
            push: PushArgs {
                proxy: Some("not a url".into()),
                ..PushArgs::default()
            },
            ..ServeArgs::default()
        };
        assert_eq!(proxy.resolve().unwrap_err().code(), "config.invalid");
    }
}
