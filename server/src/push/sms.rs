//! SMS, the last resort (R2.2): an approved template filled with short, fixed-meaning
//! variables, through one of three gateways.
//!
//! **The variables** ([`Vars`]): `no` (the item's number, `督〔2026〕12号`), `kind` (what the
//! notice is, in a word: 交办, 催办, 督办升级 …), `count` (how many unread notices this SMS
//! stands for: the merge window sends one for several) and `due` (the item's deadline,
//! `12月9日` / `Dec 9`). The fixed text lives in the template the operator had approved (the
//! text to apply for: `docs/channels.md`). Template review refuses signature brackets in a
//! value and long values, so before each send every value is cleaned ([`clean`]: `【】`,
//! `[]` and the other signature-like brackets become parentheses, `{}` and control
//! characters go) and held to the gateway's documented per-variable limit ([`Vars::fit`]):
//! `kind` and `due` are shortened on a character boundary; a number or count that does not
//! fit is refused (`sms.variable_too_long`), never cut into another item's number.
//!
//! - **Aliyun SMS** (`dysmsapi`, `SendSms`, API version 2017-05-25): the RPC-style signed
//!   `GET` — every parameter sorted and percent-encoded (RFC 3986), `GET&%2F&{encoded
//!   query}` signed with HMAC-SHA1 under `secret&`, base64 ("RPC 风格请求签名",
//!   <https://help.aliyun.com/document_detail/315526.html>); `TemplateParam` is the JSON
//!   object of the named variables. Answers by `Code` ("短信服务 API 错误码",
//!   <https://help.aliyun.com/document_detail/101346.html>): `OK`; `isv.MOBILE_NUMBER_ILLEGAL`
//!   a dead number; throttling and `isv.BUSINESS_LIMIT_CONTROL` later; a template,
//!   signature or parameter refused by review (`isv.SMS_TEMPLATE_ILLEGAL`,
//!   `isv.SMS_SIGNATURE_ILLEGAL`, `isv.TEMPLATE_MISSING_PARAMETERS`,
//!   `isv.TEMPLATE_PARAMS_ILLEGAL` …) is [`PushError::Refused`]. Variable limit: a
//!   notification template's variable holds 1 to 35 characters ("通知短信模板规范 · 变量规范",
//!   <https://help.aliyun.com/document_detail/463270.html>; variable attributes:
//!   <https://help.aliyun.com/document_detail/2806243.html>).
//! - **Tencent Cloud SMS** (`SendSms`, API 3.0, version `2021-01-11`,
//!   <https://cloud.tencent.com/document/api/382/55981>): a JSON `POST` to
//!   `sms.tencentcloudapi.com` signed with TC3-HMAC-SHA256 ([`super::tc3`]), with
//!   `SmsSdkAppId`, `SignName`, `TemplateId`, the ordered `TemplateParamSet` (`{1}` … `{4}`:
//!   no, kind, count, due) and `PhoneNumberSet` (`+86…`). Answers `Response.SendStatusSet[].Code`
//!   `Ok`, or `Response.Error.Code` (error codes:
//!   <https://cloud.tencent.com/document/api/382/55981#6.-.E9.94.99.E8.AF.AF.E7.A0.81>):
//!   `InvalidParameterValue.IncorrectPhoneNumber` a dead number; `LimitExceeded.*` later;
//!   `AuthFailure.*` failed (wrong key, or a clock more than five minutes off: a request
//!   the service calls expired is signed afresh and sent once more first);
//!   `FailedOperation.TemplateIncorrectOrUnapproved`,
//!   `FailedOperation.SignatureIncorrectOrUnapproved` and the parameter format errors are
//!   [`PushError::Refused`]. Variable limit: 12 characters, the strictest the review
//!   standard documents for a notification template ("正文模板审核标准",
//!   <https://cloud.tencent.com/document/product/382/39023>; accounts verified as a
//!   person: 12 characters per variable, an organisation's: no per-variable limit,
//!   <https://www.tencentcloud.com/zh/document/product/382/40653>).
//! - **a webhook** for an in-house gateway: `POST` of `{phone, lang, vars, title, body,
//!   data}` as JSON (the full text too: an in-house gateway needs no review), signed like the
//!   hotline intake (`crate::routes::hotline::sign`): `X-Duban-Timestamp` (Unix seconds),
//!   `X-Duban-Nonce` (random), `X-Duban-Signature` = hex HMAC-SHA256 of `timestamp \n nonce \n
//!   body`. The receiver rejects a timestamp more than 300 s away or a nonce seen before.
//!
//! The message's `token` is the phone number; its variables travel in `data` under
//! [`DATA_KEY`] ([`SmsData`]), in both languages: the recipient's is used when the gateway has
//! a template in it, else Chinese (one language per SMS).

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{percent, retry_after, tc3, Delivered, Message, Provider, PushError, SendFuture};

/// Aliyun's SMS endpoint.
pub const ALIYUN_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com";

/// Tencent Cloud's SMS endpoint.
pub const TENCENT_ENDPOINT: &str = "https://sms.tencentcloudapi.com";

/// Tencent Cloud SMS's API version.
pub const TENCENT_VERSION: &str = "2021-01-11";

/// The region Tencent Cloud SMS is called in unless another is set.
pub const TENCENT_REGION: &str = "ap-guangzhou";

/// Aliyun: at most this many characters in one variable of a notification template.
pub const ALIYUN_MAX_CHARS: usize = 35;

/// Tencent Cloud: at most this many characters in one variable (the review standard's
/// strictest documented limit for notification templates).
pub const TENCENT_MAX_CHARS: usize = 12;

/// The key of [`Message::data`] that carries an SMS's variables ([`SmsData`], JSON).
pub const DATA_KEY: &str = "sms";

/// The variables of the SMS template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vars {
    /// The item's number, e.g. `督〔2026〕12号`.
    pub no: String,
    /// The notice's kind in a word, e.g. `催办` / `Urging` (the latest, when merged).
    pub kind: String,
    /// How many unread notices the SMS stands for (digits).
    pub count: String,
    /// The item's deadline, e.g. `12月9日` / `Dec 9`.
    pub due: String,
}

/// An SMS's variables in both languages, and the recipient's language (`zh-CN`, `en`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsData {
    /// The recipient's language.
    pub lang: String,
    /// The variables in Chinese.
    pub zh: Vars,
    /// The variables in English.
    pub en: Vars,
}

impl SmsData {
    /// The data's JSON, for [`Message::data`] under [`DATA_KEY`].
    pub fn to_data(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The data a message carries, if any.
    pub fn of(message: &Message) -> Option<SmsData> {
        serde_json::from_str(message.data.get(DATA_KEY)?).ok()
    }
}

/// A value as a template may carry it: signature brackets (`【】`, `[]`, `〖〗`) become
/// parentheses, `{}` and control characters go, runs of spaces shrink to one.
pub fn clean(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        let c = match c {
            '【' | '〖' | '［' => '（',
            '】' | '〗' | '］' => '）',
            '[' => '(',
            ']' => ')',
            '{' | '}' => continue,
            c if c.is_control() || c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

/// The first `max` characters (never a split character).
fn shorten(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

impl Vars {
    /// The variables, each cleaned and within `max` characters: `kind` and `due` shortened,
    /// `no` and `count` refused when too long (`sms.variable_too_long`).
    pub fn fit(&self, max: usize) -> Result<Vars, PushError> {
        let whole = |name: &str, v: &str| {
            let v = clean(v);
            if v.chars().count() > max || v.is_empty() {
                Err(PushError::Failed(format!(
                    "sms.variable_too_long: {name} does not fit in {max} characters"
                )))
            } else {
                Ok(v)
            }
        };
        Ok(Vars {
            no: whole("no", &self.no)?,
            kind: shorten(&clean(&self.kind), max),
            count: whole("count", &self.count)?,
            due: shorten(&clean(&self.due), max),
        })
    }

    /// Tencent's `TemplateParamSet`: `{1}` no, `{2}` kind, `{3}` count, `{4}` due.
    pub fn ordered(&self) -> Vec<String> {
        vec![
            self.no.clone(),
            self.kind.clone(),
            self.count.clone(),
            self.due.clone(),
        ]
    }
}

/// The variables of a message: its [`SmsData`] in the language the gateway has a template
/// for (`en_template`), else Chinese; a message without them (a test's) fills `kind` with
/// its title. Returns the variables and whether they are English.
fn vars_of(message: &Message, en_template: bool) -> (Vars, bool) {
    match SmsData::of(message) {
        Some(d) if d.lang == "en" && en_template => (d.en, true),
        Some(d) => (d.zh, false),
        None => (
            Vars {
                no: message
                    .data
                    .get("no")
                    .cloned()
                    .unwrap_or_else(|| "-".into()),
                kind: message.title.clone(),
                count: "1".into(),
                due: "-".into(),
            },
            false,
        ),
    }
}

/// Aliyun SMS account and templates.
#[derive(Clone, Debug)]
pub struct Aliyun {
    /// The AccessKey id.
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: String,
    /// The approved signature (签名), e.g. 清河县督查室.
    pub sign_name: String,
    /// The approved template (`SMS_…`) with `${no}`, `${kind}`, `${count}` and `${due}`.
    pub template_code: String,
    /// The approved English template, if the operator has one (else English speakers get
    /// the Chinese SMS).
    pub template_code_en: Option<String>,
}

/// Tencent Cloud SMS account and templates.
#[derive(Clone, Debug)]
pub struct Tencent {
    /// The API key.
    pub credential: tc3::Credential,
    /// The SMS application's `SmsSdkAppId` (`1400…`).
    pub sdk_app_id: String,
    /// The region (`ap-guangzhou`, `ap-beijing`, `ap-nanjing`).
    pub region: String,
    /// The approved signature (签名).
    pub sign_name: String,
    /// The approved template's id with `{1}` no, `{2}` kind, `{3}` count, `{4}` due.
    pub template_id: String,
    /// The approved English template's id, if any.
    pub template_id_en: Option<String>,
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
    /// Tencent Cloud SMS at this endpoint ([`TENCENT_ENDPOINT`] for the real service).
    Tencent {
        /// The endpoint.
        endpoint: String,
        /// The account.
        account: Tencent,
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
pub fn aliyun_query(params: &BTreeMap<String, String>, secret: &str) -> String {
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

fn later(e: reqwest::Error) -> PushError {
    super::unreachable("SMS gateway", e)
}

/// What an Aliyun answer code means.
fn aliyun_outcome(code: &str, status: reqwest::StatusCode, after: Option<Duration>) -> PushError {
    match code {
        "isv.MOBILE_NUMBER_ILLEGAL" | "isv.MOBILE_COUNT_OVER_LIMIT" => {
            PushError::DeadToken(code.to_owned())
        }
        c if c.starts_with("Throttling")
            || c == "isv.BUSINESS_LIMIT_CONTROL"
            || c == "isv.DAY_LIMIT_CONTROL"
            || c == "isp.SYSTEM_ERROR"
            || status.is_server_error() =>
        {
            PushError::Retry {
                after,
                reason: format!("Aliyun SMS answered {status} {code}"),
            }
        }
        "isv.SMS_TEMPLATE_ILLEGAL"
        | "isv.SMS_SIGNATURE_ILLEGAL"
        | "isv.SMS_SIGN_ILLEGAL"
        | "isv.SIGN_NAME_ILLEGAL"
        | "isv.SMS_SIGNATURE_SCENE_ILLEGAL"
        | "isv.TEMPLATE_MISSING_PARAMETERS"
        | "isv.TEMPLATE_PARAMS_ILLEGAL"
        | "isv.PARAM_LENGTH_LIMIT"
        | "isv.SMS_CONTENT_ILLEGAL"
        | "isv.INVALID_JSON_PARAM"
        | "isv.AMOUNT_NOT_ENOUGH"
        | "isv.OUT_OF_SERVICE" => PushError::Refused {
            code: code.to_owned(),
            reason: format!("Aliyun SMS refused the template, signature or account ({code})"),
        },
        _ => PushError::Failed(format!("Aliyun SMS answered {status} {code}")),
    }
}

/// What a Tencent Cloud answer code means.
fn tencent_outcome(code: &str, status: reqwest::StatusCode) -> PushError {
    let minutes = |m: u64| Some(Duration::from_secs(m * 60));
    match code {
        "InvalidParameterValue.IncorrectPhoneNumber" | "FailedOperation.PhoneNumberInBlacklist" => {
            PushError::DeadToken(code.to_owned())
        }
        "LimitExceeded.PhoneNumberThirtySecondLimit" => PushError::Retry {
            after: Some(Duration::from_secs(30)),
            reason: code.to_owned(),
        },
        "LimitExceeded.PhoneNumberOneHourLimit" => PushError::Retry {
            after: minutes(60),
            reason: code.to_owned(),
        },
        "LimitExceeded.PhoneNumberDailyLimit"
        | "LimitExceeded.PhoneNumberSameContentDailyLimit" => PushError::Retry {
            after: minutes(6 * 60),
            reason: code.to_owned(),
        },
        c if c.starts_with("LimitExceeded")
            || c.starts_with("InternalError")
            || c == "RequestLimitExceeded"
            || c == "FailedOperation.FailResolvePacket"
            || status.is_server_error() =>
        {
            PushError::Retry {
                after: None,
                reason: format!("Tencent Cloud SMS answered {status} {code}"),
            }
        }
        "FailedOperation.TemplateIncorrectOrUnapproved"
        | "FailedOperation.SignatureIncorrectOrUnapproved"
        | "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        | "FailedOperation.ContainSensitiveWord"
        | "FailedOperation.InsufficientBalanceInSmsPackage"
        | "FailedOperation.TemplateUnapprovedOrNotExist"
        | "InvalidParameterValue.TemplateParameterFormatError"
        | "InvalidParameterValue.TemplateParameterLengthLimit"
        | "InvalidParameterValue.ContentLengthLimit"
        | "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter"
        | "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
        | "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny" => PushError::Refused {
            code: code.to_owned(),
            reason: format!(
                "Tencent Cloud SMS refused the template, signature or application ({code})"
            ),
        },
        _ => PushError::Failed(format!("Tencent Cloud SMS answered {status} {code}")),
    }
}

/// A mainland number in E.164 (`+86…`), as `PhoneNumberSet` wants it; a number already
/// starting with `+` is kept.
pub fn e164(phone: &str) -> String {
    let p: String = phone.chars().filter(|c| !c.is_whitespace()).collect();
    if p.starts_with('+') {
        p
    } else {
        format!("+86{p}")
    }
}

impl Sms {
    /// A provider for the gateway.
    pub fn new(gateway: Gateway, http: reqwest::Client) -> Sms {
        Sms { http, gateway }
    }

    /// The per-variable limit of the gateway (none for a webhook).
    pub fn max_chars(&self) -> Option<usize> {
        match &self.gateway {
            Gateway::Aliyun { .. } => Some(ALIYUN_MAX_CHARS),
            Gateway::Tencent { .. } => Some(TENCENT_MAX_CHARS),
            Gateway::Webhook { .. } => None,
        }
    }

    async fn aliyun(
        &self,
        endpoint: &str,
        account: &Aliyun,
        message: &Message,
    ) -> Result<Delivered, PushError> {
        let (vars, en) = vars_of(message, account.template_code_en.is_some());
        let vars = vars.fit(ALIYUN_MAX_CHARS)?;
        let template = match (&account.template_code_en, en) {
            (Some(t), true) => t.clone(),
            _ => account.template_code.clone(),
        };
        let params: BTreeMap<String, String> = [
            ("AccessKeyId", account.access_key_id.clone()),
            ("Action", "SendSms".into()),
            ("Format", "JSON".into()),
            ("PhoneNumbers", message.token.clone()),
            ("RegionId", "cn-hangzhou".into()),
            ("SignName", account.sign_name.clone()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
            ("SignatureVersion", "1.0".into()),
            ("TemplateCode", template),
            (
                "TemplateParam",
                json!({"no": vars.no, "kind": vars.kind, "count": vars.count, "due": vars.due})
                    .to_string(),
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
        let code = body["Code"].as_str().unwrap_or("");
        if code == "OK" {
            return Ok(Delivered {
                id: body["BizId"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Err(aliyun_outcome(code, status, after))
    }

    async fn tencent(
        &self,
        endpoint: &str,
        account: &Tencent,
        message: &Message,
    ) -> Result<Delivered, PushError> {
        let (vars, en) = vars_of(message, account.template_id_en.is_some());
        let vars = vars.fit(TENCENT_MAX_CHARS)?;
        let template = match (&account.template_id_en, en) {
            (Some(t), true) => t.clone(),
            _ => account.template_id.clone(),
        };
        let body = serde_json::to_vec(&json!({
            "PhoneNumberSet": [e164(&message.token)],
            "SmsSdkAppId": account.sdk_app_id,
            "SignName": account.sign_name,
            "TemplateId": template,
            "TemplateParamSet": vars.ordered(),
            "SessionContext": message.collapse_id.clone().unwrap_or_default(),
        }))
        .unwrap_or_default();
        let host = tc3::host_of(endpoint)
            .ok_or_else(|| PushError::Failed(format!("sms_url {endpoint:?} is not a URL")))?;
        // A request is signed for the second it is sent; one the service calls expired (it
        // waited, or the clocks drifted) is signed afresh and sent once more.
        let mut fresh = false;
        let (status, answer) = loop {
            let timestamp = chrono::Utc::now().timestamp();
            let authorization =
                tc3::authorization(&account.credential, "sms", &host, &body, timestamp);
            let res = self
                .http
                .post(endpoint)
                .header(reqwest::header::CONTENT_TYPE, tc3::CONTENT_TYPE)
                .header(reqwest::header::HOST, &host)
                .header(reqwest::header::AUTHORIZATION, authorization)
                .header("X-TC-Action", "SendSms")
                .header("X-TC-Timestamp", timestamp.to_string())
                .header("X-TC-Version", TENCENT_VERSION)
                .header("X-TC-Region", &account.region)
                .body(body.clone())
                .send()
                .await
                .map_err(later)?;
            let status = res.status();
            let answer: Value = res.json().await.unwrap_or(Value::Null);
            let expired =
                answer["Response"]["Error"]["Code"].as_str() == Some("AuthFailure.SignatureExpire");
            if expired && !fresh {
                fresh = true;
                continue;
            }
            break (status, answer);
        };
        let r = &answer["Response"];
        if let Some(code) = r["Error"]["Code"].as_str() {
            return Err(tencent_outcome(code, status));
        }
        let sent = &r["SendStatusSet"][0];
        match sent["Code"].as_str() {
            Some("Ok") => Ok(Delivered {
                id: sent["SerialNo"].as_str().unwrap_or_default().to_owned(),
            }),
            Some(code) => Err(tencent_outcome(code, status)),
            None => Err(if status.is_server_error() {
                PushError::Retry {
                    after: None,
                    reason: format!("Tencent Cloud SMS answered {status}"),
                }
            } else {
                PushError::Failed(format!(
                    "Tencent Cloud SMS answered {status} without a status"
                ))
            }),
        }
    }

    async fn webhook(
        &self,
        url: &str,
        secret: &str,
        message: &Message,
    ) -> Result<Delivered, PushError> {
        let data = SmsData::of(message);
        let (lang, vars) = match &data {
            Some(d) if d.lang == "en" => ("en", Some(&d.en)),
            Some(d) => ("zh-CN", Some(&d.zh)),
            None => ("zh-CN", None),
        };
        let mut rest = message.data.clone();
        rest.remove(DATA_KEY);
        let body = serde_json::to_vec(&json!({
            "phone": message.token,
            "lang": lang,
            "vars": vars,
            "title": message.title,
            "body": message.body,
            "data": rest,
        }))
        .unwrap_or_default();
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let signature = crate::routes::hotline::sign(secret, &timestamp, &nonce, &body);
        let res = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(crate::routes::hotline::TIMESTAMP, timestamp)
            .header(crate::routes::hotline::NONCE, nonce)
            .header(crate::routes::hotline::SIGNATURE, signature)
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

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        match &self.gateway {
            Gateway::Aliyun { endpoint, account } => self.aliyun(endpoint, account, message).await,
            Gateway::Tencent { endpoint, account } => {
                self.tencent(endpoint, account, message).await
            }
            Gateway::Webhook { url, secret } => self.webhook(url, secret, message).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lose_signature_brackets_and_fit_on_character_boundaries() {
        assert_eq!(clean("【紧急】[催办]  {x}"), "（紧急）(催办) x");
        let v = Vars {
            no: "督〔2026〕12号".into(),
            kind: "一二三四五六七八九十一二三四".into(),
            count: "3".into(),
            due: "12月9日".into(),
        };
        let f = v.fit(TENCENT_MAX_CHARS).unwrap();
        assert_eq!(f.kind.chars().count(), 12);
        assert_eq!(f.no, "督〔2026〕12号");
        let long = Vars {
            no: "督查督查〔2026〕12345号".into(),
            ..v
        };
        assert!(
            matches!(long.fit(TENCENT_MAX_CHARS), Err(PushError::Failed(m)) if m.starts_with("sms.variable_too_long"))
        );
        assert!(long.fit(ALIYUN_MAX_CHARS).is_ok());
    }

    #[test]
    fn answer_codes_are_told_apart() {
        let ok = reqwest::StatusCode::OK;
        assert!(matches!(
            aliyun_outcome("isv.SMS_TEMPLATE_ILLEGAL", ok, None),
            PushError::Refused { .. }
        ));
        assert!(matches!(
            tencent_outcome("FailedOperation.TemplateIncorrectOrUnapproved", ok),
            PushError::Refused { .. }
        ));
        assert!(matches!(
            tencent_outcome("AuthFailure.SignatureExpire", ok),
            PushError::Failed(_)
        ));
        assert_eq!(e164("138 0000 0001"), "+8613800000001");
        assert_eq!(e164("+85261234567"), "+85261234567");
    }
}
