//! A voice call, the last step of the climb for 特急 notices (R2.2): the person's phone rings
//! and a text-to-speech template is read to them, through Aliyun's voice notification
//! service (语音服务).
//!
//! The API is `SingleCallByTts` of `dyvmsapi` (Version `2017-05-25`), an RPC-style request
//! signed exactly like Aliyun SMS ([`super::sms::aliyun_query`]: the parameters sorted and
//! RFC 3986-encoded, `GET&%2F&…` signed with HMAC-SHA1 under `secret&`):
//!
//! - `CalledShowNumber`: the display number (被叫显号) bought in the console (专属模式);
//! - `CalledNumber`: the person's mobile number, one per call;
//! - `TtsCode`: the approved TTS template (`TTS_…`), one per language;
//! - `TtsParam`: the template's variables as JSON — short (all together under 250
//!   characters, no links), here the item's number spelled out for the speech engine and
//!   the kind of notice (never 【】);
//! - `PlayTimes`: how many times the text is read in the call (1–3);
//! - `OutId`: our id (1–15 bytes), returned in the call receipt: the notification's id,
//!   its first 15 hex digits.
//!
//! The answer is `{"Code":"OK","CallId":"…","RequestId":"…"}`, or a `Code` naming the
//! error: `isv.MOBILE_NUMBER_ILLEGAL` (a number that cannot be called: dead),
//! `isv.BUSINESS_LIMIT_CONTROL` (the per-number limit: 1 call a minute, 5 an hour, 20 a
//! day), `Throttling.User`, `isp.SYSTEM_ERROR` and `isp.GATEWAY_ERROR` (later), and for good:
//! a template or display number refused (`isv.TTS_TEMPLATE_ILLEGAL`,
//! `isv.TEMPLATE_ILLEGAL`, `isv.TEMPLATE_MISSING_PARAMETERS`, `isv.TEMPLATE_PARAMS_ILLEGAL`,
//! `isv.DISPLAY_NUMBER_ILLEGAL`, `isv.BLACK_KEY_CONTROL_LIMIT`), the account
//! (`isv.OUT_OF_SERVICE`, `isv.AMOUNT_NOT_ENOUGH`, `isv.PRODUCT_UN_SUBSCRIPT`,
//! `isp.RAM_PERMISSION_DENY`) or the credentials (`InvalidAccessKeyId.NotFound`,
//! `SignatureDoesNotMatch`, both with HTTP 400/404 from the API gateway).
//!
//! Sources: 语音服务 SingleCallByTts
//! <https://help.aliyun.com/zh/vms/developer-reference/api-dyvmsapi-2017-05-25-singlecallbytts>
//! (and <https://help.aliyun.com/document_detail/393519.html>); its error codes
//! <https://help.aliyun.com/zh/vms/developer-reference/api-dyvmsapi-2017-05-25-errorcodes>,
//! <https://help.aliyun.com/document_detail/178344.html> (API 错误码, with the flow-control
//! limits); the RPC signature
//! <https://help.aliyun.com/zh/sdk/product-overview/rpc-mechanism>.
//!
//! What became of a call (answered, busy, not answered …) is asked ~2 minutes later with
//! `QueryCallDetailByCallId` (`CallId`, `ProdId` 11000000300006 for voice notifications,
//! `QueryDate` the call's time in Unix milliseconds), whose `Data` is a JSON string with the
//! carrier's `state`: `200000` listened to the end, `200001` hung up before the end,
//! `200002` busy, `200003` rang but not answered, `200005`/`200007`/`200010`/`200011`/
//! `200004`/`200012` unreachable (refused, out of area, off, suspended, no such number,
//! restricted). Sources: QueryCallDetailByCallId
//! <https://help.aliyun.com/document_detail/393529.html>; the carrier's states (运营商回执错误码)
//! <https://help.aliyun.com/document_detail/55085.html>.
//!
//! The message's `token` is the phone number; its `data` holds the template's variables,
//! except `lang` (`zh-CN` or `en`), which picks the template; its `collapse_id` is the
//! notification's id.

use std::collections::BTreeMap;

use serde_json::Value;

use super::sms::aliyun_query;
use super::{retry_after, Delivered, Message, Provider, PushError, SendFuture};

/// Aliyun's voice service endpoint.
pub const ALIYUN_ENDPOINT: &str = "https://dyvmsapi.aliyuncs.com";

/// The API version of `SingleCallByTts`.
pub const VERSION: &str = "2017-05-25";

/// The `data` key that picks the template's language; not a template variable.
pub const LANG: &str = "lang";

/// The product id of voice notifications, for `QueryCallDetailByCallId`.
pub const PROD_ID: &str = "11000000300006";

/// What a call came to, from the carrier's `state`: `answered` (listened to the end),
/// `hung_up_early`, `busy`, `no_answer`, `unreachable`, or `other`.
pub fn call_result(state: &str) -> &'static str {
    match state {
        "200000" => "answered",
        "200001" => "hung_up_early",
        "200002" => "busy",
        "200003" => "no_answer",
        "200004" | "200005" | "200007" | "200010" | "200011" | "200012" => "unreachable",
        _ => "other",
    }
}

/// Reads of the text in one call unless set.
pub const DEFAULT_PLAY_TIMES: u32 = 2;

/// The account, the display number and the templates.
#[derive(Clone, Debug)]
pub struct AliyunVoice {
    /// The AccessKey id.
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: String,
    /// The display number (被叫显号) bought in the console.
    pub show_number: String,
    /// The approved TTS template read in Chinese (`TTS_…`).
    pub tts_code: String,
    /// The approved TTS template read in English, if one was approved.
    pub tts_code_en: Option<String>,
    /// Reads of the text in one call, 1 to 3.
    pub play_times: u32,
}

/// The voice-call provider.
pub struct Voice {
    http: reqwest::Client,
    endpoint: String,
    account: AliyunVoice,
}

/// The call's `OutId` for a notification id: its first 15 hex digits (Aliyun takes 1 to 15
/// bytes), enough to find the notification again from a receipt.
pub fn out_id(notification: &str) -> String {
    notification
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(15)
        .collect()
}

impl Voice {
    /// A provider calling through `endpoint` ([`ALIYUN_ENDPOINT`] for the real service).
    pub fn new(endpoint: &str, account: AliyunVoice, http: reqwest::Client) -> Voice {
        Voice {
            http,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            account,
        }
    }

    /// The signed request's parameters for a call to `message.token`.
    fn params(&self, message: &Message) -> BTreeMap<String, String> {
        let a = &self.account;
        let template = match message.data.get(LANG).map(String::as_str) {
            Some("en") => a.tts_code_en.as_deref().unwrap_or(&a.tts_code),
            _ => &a.tts_code,
        };
        let variables: serde_json::Map<String, Value> = message
            .data
            .iter()
            .filter(|(k, _)| k.as_str() != LANG)
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let mut p = self.common("SingleCallByTts");
        p.insert("CalledNumber".into(), message.token.clone());
        p.insert("CalledShowNumber".into(), a.show_number.clone());
        p.insert("PlayTimes".into(), a.play_times.clamp(1, 3).to_string());
        p.insert("TtsCode".into(), template.to_owned());
        if !variables.is_empty() {
            p.insert("TtsParam".into(), Value::Object(variables).to_string());
        }
        if let Some(id) = message.collapse_id.as_deref().map(out_id) {
            if !id.is_empty() {
                p.insert("OutId".into(), id);
            }
        }
        p
    }

    /// The common parameters of a signed request for `action`.
    fn common(&self, action: &str) -> BTreeMap<String, String> {
        [
            ("AccessKeyId", self.account.access_key_id.clone()),
            ("Action", action.to_owned()),
            ("Format", "JSON".into()),
            ("RegionId", "cn-hangzhou".into()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
            ("SignatureVersion", "1.0".into()),
            (
                "Timestamp",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ),
            ("Version", VERSION.into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// What became of the call `call_id` placed at `placed_at` (Unix milliseconds):
    /// `"{result} {state}"` (e.g. `answered 200000`, see [`call_result`]), or `None` while
    /// the call has no final state yet.
    pub async fn call_outcome(
        &self,
        call_id: &str,
        placed_at: i64,
    ) -> Result<Option<String>, PushError> {
        let mut p = self.common("QueryCallDetailByCallId");
        p.insert("CallId".into(), call_id.to_owned());
        p.insert("ProdId".into(), PROD_ID.into());
        p.insert("QueryDate".into(), placed_at.to_string());
        let url = format!(
            "{}/?{}",
            self.endpoint,
            aliyun_query(&p, &self.account.access_key_secret)
        );
        let res = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| super::unreachable("Aliyun voice", e))?;
        let (status, after) = (res.status(), retry_after(res.headers()));
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let code = body["Code"].as_str().unwrap_or("");
        if code != "OK" {
            let reason = format!("Aliyun voice answered {status} {code}");
            return Err(
                if code.starts_with("Throttling")
                    || code.starts_with("isp.")
                    || status.is_server_error()
                {
                    PushError::Retry { after, reason }
                } else {
                    PushError::Failed(reason)
                },
            );
        }
        // `Data` is itself JSON, in a string.
        let data: Value = body["Data"]
            .as_str()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null);
        Ok(data["state"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(|state| format!("{} {state}", call_result(state))))
    }

    async fn deliver(&self, message: &Message) -> Result<Delivered, PushError> {
        let url = format!(
            "{}/?{}",
            self.endpoint,
            aliyun_query(&self.params(message), &self.account.access_key_secret)
        );
        let res = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| super::unreachable("Aliyun voice", e))?;
        let (status, after) = (res.status(), retry_after(res.headers()));
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let code = body["Code"].as_str().unwrap_or("").to_owned();
        match code.as_str() {
            "OK" => Ok(Delivered {
                id: body["CallId"].as_str().unwrap_or_default().to_owned(),
            }),
            "isv.MOBILE_NUMBER_ILLEGAL" => Err(PushError::DeadToken(code)),
            c if c.starts_with("Throttling")
                || matches!(
                    c,
                    "isv.BUSINESS_LIMIT_CONTROL"
                        | "isp.SYSTEM_ERROR"
                        | "isp.GATEWAY_ERROR"
                        | "ServiceUnavailable"
                        | "InternalError"
                )
                || (c.is_empty() && (status.is_server_error() || status.as_u16() == 429)) =>
            {
                Err(PushError::Retry {
                    after,
                    reason: format!("Aliyun voice answered {status} {code}"),
                })
            }
            "" => Err(PushError::Failed(format!(
                "Aliyun voice answered {status} without a code"
            ))),
            _ => Err(PushError::Failed(format!(
                "Aliyun voice answered {status} {code}"
            ))),
        }
    }
}

impl Provider for Voice {
    fn name(&self) -> &'static str {
        "voice"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }

    fn result<'a>(&'a self, id: &'a str, sent_at: i64) -> Option<super::ResultFuture<'a>> {
        Some(Box::pin(self.call_outcome(id, sent_at)))
    }
}

/// An item's number (`督〔2026〕17号`) as a speech engine should read it: in Chinese the
/// year digit by digit and the sequence as a Chinese numeral (`督，二零二六年，第十七号`); in
/// English `17 of 2026`. A number not of that shape is read as written; none is
/// `no number` in the language.
pub fn spoken_number(number: &str, english: bool) -> String {
    let parsed = number.split_once('〔').and_then(|(prefix, rest)| {
        let (year, rest) = rest.split_once('〕')?;
        let seq = rest.trim_end_matches('号');
        let year: u32 = year.trim().parse().ok()?;
        let seq: u32 = seq.trim().parse().ok()?;
        Some((prefix.trim(), year, seq))
    });
    match (parsed, english) {
        (Some((_, year, seq)), true) => format!("{seq} of {year}"),
        (Some((prefix, year, seq)), false) => {
            let year: String = year.to_string().chars().map(digit_zh).collect();
            format!("{prefix}，{year}年，第{}号", numeral_zh(seq))
        }
        (None, _) if !number.trim().is_empty() => number.trim().to_owned(),
        (None, true) => "no number".to_owned(),
        (None, false) => "无编号".to_owned(),
    }
}

fn digit_zh(d: char) -> char {
    match d {
        '0' => '零',
        '1' => '一',
        '2' => '二',
        '3' => '三',
        '4' => '四',
        '5' => '五',
        '6' => '六',
        '7' => '七',
        '8' => '八',
        '9' => '九',
        other => other,
    }
}

/// A number below 10 000 as a Chinese numeral (`十七`, `一百零五`, `二千零一十`); larger ones
/// digit by digit.
fn numeral_zh(n: u32) -> String {
    if n >= 10_000 {
        return n.to_string().chars().map(digit_zh).collect();
    }
    if n == 0 {
        return "零".into();
    }
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let units = ["千", "百", "十", ""];
    let mut out = String::new();
    let mut zero = false;
    for (i, d) in digits.iter().enumerate() {
        if *d == 0 {
            zero = !out.is_empty();
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        // 十七, not 一十七, when the number starts at the tens.
        if !(i == 2 && *d == 1 && out.is_empty()) {
            out.push(digit_zh(char::from(b'0' + *d as u8)));
        }
        out.push_str(units[i]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_spelled_for_the_speech_engine() {
        assert_eq!(
            spoken_number("督〔2026〕17号", false),
            "督，二零二六年，第十七号"
        );
        assert_eq!(spoken_number("督〔2026〕17号", true), "17 of 2026");
        assert_eq!(spoken_number("", false), "无编号");
        assert_eq!(spoken_number("", true), "no number");
        assert_eq!(spoken_number("A-7", false), "A-7");
        for (n, zh) in [
            (1, "一"),
            (10, "十"),
            (17, "十七"),
            (20, "二十"),
            (105, "一百零五"),
            (110, "一百一十"),
            (2010, "二千零一十"),
            (1001, "一千零一"),
            (12345, "一二三四五"),
        ] {
            assert_eq!(numeral_zh(n), zh, "{n}");
        }
    }

    #[test]
    fn the_out_id_is_fifteen_hex_digits_of_the_notification() {
        assert_eq!(
            out_id("0f8c2a1e-5b7d-4c3e-9a1b-2c3d4e5f6a7b"),
            "0f8c2a1e5b7d4c3"
        );
    }
}
