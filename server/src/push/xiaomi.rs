//! Xiaomi push (小米推送, MiPush), server HTTP API: Xiaomi and Redmi phones (MIUI,
//! HyperOS) in mainland China, which have no Google services.
//!
//! Sources (Xiaomi's developer documentation):
//! - 服务端 API 地址与参数 (server API addresses and parameters):
//!   <https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1559> (English:
//!   <https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1696>);
//! - 服务端错误码参考 (server error codes):
//!   <https://dev.mi.com/xiaomihyperos/documentation/detail?pId=1560>;
//! - 消息分类新规 (message classes): notices go on a channel (`extra.channel_id`) the
//!   operator registers in Xiaomi's console; the private-message class (私信: work notices,
//!   personal reminders) is not capped, the public one is capped per device per day.
//!
//! Authentication: every request carries `Authorization: key=<AppSecret>` (lower-case `key`),
//! the app's secret from Xiaomi's console; there is no token to fetch or refresh.
//! Sending: `POST {base}/v3/message/regid`, form-encoded: `registration_id`,
//! `restricted_package_name`, `pass_through=0` (a notification, not pass-through), `title`
//! (fewer than 50 characters) and `description` (fewer than 128), `payload` (the data, as
//! JSON), `notify_type`, `notify_id` (a notice with the same id replaces the shown one) and
//! `extra.*`: `extra.channel_id`, `extra.notify_foreground=1`, `extra.notify_effect=1` (a tap
//! opens the app, which reads the payload to open the item).
//! The answer is JSON `{result: "ok"|"error", code, description, reason, data: {id},
//! trace_id}`: `ok` delivered; `20301` with reason `No valid targets!` a dead registration id;
//! `10034` (the day's quota is spent) later, after midnight China time; `10001`–`10003`,
//! `10027`, `21303`, `26003` and HTTP 5xx/429 later; everything else (e.g. `21301`, a wrong
//! AppSecret; `22022`, a wrong package) refused for good.
//!
//! Urgency: MiPush has no per-message priority; urgent notices get `notify_type=-1` (sound,
//! vibration and light) and ride the same registered channel as the rest (the private-message
//! class is what keeps them from being capped).

use serde_json::Value;

use super::{
    clip, notify_id, retry_after, until_quota_resets, Delivered, Message, Provider, PushError,
    SendFuture,
};

/// Xiaomi's push endpoint in mainland China.
pub const BASE_URL: &str = "https://api.xmpush.xiaomi.com";

/// `title` must be shorter than 50 characters.
pub const TITLE_MAX: usize = 49;

/// `description` must be shorter than 128 characters.
pub const DESCRIPTION_MAX: usize = 127;

/// The app as Xiaomi's console knows it.
#[derive(Clone, Debug)]
pub struct XiaomiApp {
    /// The AppSecret (sent as `Authorization: key=…`).
    pub app_secret: String,
    /// The Android package name (`restricted_package_name`).
    pub package: String,
    /// The notification channel registered in Xiaomi's console (`extra.channel_id`): since
    /// Xiaomi's message classes, a notice without a registered channel is capped at one a
    /// day per device, or refused.
    pub channel_id: String,
}

/// The Xiaomi provider.
pub struct Xiaomi {
    http: reqwest::Client,
    app: XiaomiApp,
    base_url: String,
}

impl Xiaomi {
    /// A provider for the app, sending to `base_url` ([`BASE_URL`] for the real service).
    pub fn new(app: XiaomiApp, base_url: &str, http: reqwest::Client) -> Xiaomi {
        Xiaomi {
            http,
            app,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The form fields of one notification to one registration id.
    fn form(&self, message: &Message) -> String {
        let payload = serde_json::to_string(&message.data).unwrap_or_default();
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("registration_id", &message.token)
            .append_pair("restricted_package_name", &self.app.package)
            .append_pair("pass_through", "0")
            .append_pair("title", &clip(&message.title, TITLE_MAX))
            .append_pair("description", &clip(&message.body, DESCRIPTION_MAX))
            .append_pair("payload", &payload)
            .append_pair("notify_type", if message.urgent { "-1" } else { "1" })
            .append_pair("extra.channel_id", &self.app.channel_id)
            .append_pair("extra.notify_foreground", "1")
            .append_pair("extra.notify_effect", "1");
        if let Some(id) = &message.collapse_id {
            form.append_pair("notify_id", &notify_id(id).to_string());
        }
        form.finish()
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let res = self
            .http
            .post(format!("{}/v3/message/regid", self.base_url))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("key={}", self.app.app_secret),
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .body(self.form(message))
            .send()
            .await
            .map_err(|e| super::unreachable("Xiaomi", e))?;
        let status = res.status();
        let after = retry_after(res.headers());
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(PushError::Retry {
                after,
                reason: format!("Xiaomi answered {status}"),
            });
        }
        if body["result"] == "ok" && body["code"].as_i64().unwrap_or(0) == 0 {
            return Ok(Delivered {
                id: body["data"]["id"]
                    .as_str()
                    .or_else(|| body["trace_id"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        let code = body["code"].as_i64().unwrap_or(-1);
        let reason = body["reason"].as_str().unwrap_or("");
        let what = format!("Xiaomi answered {status} {code} {reason}");
        Err(match code {
            20301 if reason.contains("No valid targets") => PushError::DeadToken(code.to_string()),
            10034 => PushError::Retry {
                after: Some(until_quota_resets(chrono::Utc::now())),
                reason: what,
            },
            10001 | 10002 | 10003 | 10027 | 21303 | 26003 => PushError::Retry {
                after,
                reason: what,
            },
            _ => PushError::Failed(what),
        })
    }
}

impl Provider for Xiaomi {
    fn name(&self) -> &'static str {
        "xiaomi"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}
