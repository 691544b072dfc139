//! SMS that passes review (issue 21): Tencent Cloud SMS against a local endpoint written from
//! its API 3.0 documentation (it recomputes the TC3-HMAC-SHA256 signature on its own, checks
//! the timestamp, the required parameters and the template's rules, and answers Tencent's
//! real error bodies); the template variables of the demo's longest item within both
//! gateways' limits; an Aliyun template refused and reported to the administrators, then
//! sent once approved; the merge window; the webhook's signature over timestamp, nonce and
//! body, verified here independently.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use duban_server::db::Val;
use duban_server::notify::{deliver_due, sms_vars, DeliveryReport};
use duban_server::push::sms::{Gateway, Sms, SmsData, Tencent, Vars, DATA_KEY};
use duban_server::push::tc3::Credential;
use duban_server::push::{Message, Provider, Providers, PushError};
use serde_json::{json, Value};

use crate::push::{aliyun, fake_sms, webhook_signature};
use crate::support::*;
use crate::web::{browser, page, sign_in};

// ----- the local Tencent Cloud SMS endpoint -----------------------------------------------

const SECRET_ID: &str = "AKIDqhLocalTestSecretId000000000000";
const SECRET_KEY: &str = "local-test-secret-key";
const APP_ID: &str = "1400787878";
const SIGN: &str = "清河县督查室";
/// The approved templates: Chinese and English, four variables each.
const TEMPLATES: [&str; 2] = ["1110", "2220"];

/// What the local endpoint saw, and how far its clock is from ours (seconds).
#[derive(Default)]
pub struct TencentSeen {
    pub requests: Vec<(HeaderMap, Value)>,
    pub skew: i64,
    /// Answer the next request `AuthFailure.SignatureExpire` (it waited too long on the way).
    pub expire_next: bool,
}

type TencentShared = Arc<Mutex<TencentSeen>>;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The TC3-HMAC-SHA256 signature as the service computes it from the request it received
/// ("签名方法 v3"): canonical request over the method, `/`, the empty query, the signed
/// headers as received, the body's hash; string to sign over the algorithm, the timestamp,
/// the scope of the timestamp's UTC date, the canonical request's hash; the key derived by
/// date, service and `tc3_request`.
fn tencent_signature(headers: &HeaderMap, body: &[u8], timestamp: i64) -> String {
    use sha2::Digest as _;
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let canonical = format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\ncontent-type;host\n{}",
        h("content-type"),
        h("host"),
        hex(&sha2::Sha256::digest(body))
    );
    let date = DateTime::<Utc>::from_timestamp(timestamp, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{}",
        hex(&sha2::Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac256(format!("TC3{SECRET_KEY}").as_bytes(), date.as_bytes());
    let k_service = hmac256(&k_date, b"sms");
    let k_signing = hmac256(&k_service, b"tc3_request");
    hex(&hmac256(&k_signing, to_sign.as_bytes()))
}

fn tencent_error(code: &str, message: &str) -> Response {
    axum::Json(json!({"Response": {
        "Error": {"Code": code, "Message": message},
        "RequestId": uuid::Uuid::new_v4().to_string(),
    }}))
    .into_response()
}

async fn tencent_send(
    State(seen): State<TencentShared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (skew, expire) = {
        let mut s = seen.lock().unwrap();
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        s.requests.push((headers.clone(), parsed));
        (s.skew, std::mem::take(&mut s.expire_next))
    };
    if h("x-tc-action") != "SendSms" {
        return tencent_error("InvalidAction", "the action does not exist");
    }
    if h("x-tc-version") != "2021-01-11" {
        return tencent_error("NoSuchVersion", "the version does not exist");
    }
    if h("x-tc-region").is_empty() {
        return tencent_error("MissingParameter", "X-TC-Region is missing");
    }
    let Ok(timestamp) = h("x-tc-timestamp").parse::<i64>() else {
        return tencent_error("MissingParameter", "X-TC-Timestamp is missing");
    };
    if expire || (Utc::now().timestamp() + skew - timestamp).abs() > 300 {
        return tencent_error(
            "AuthFailure.SignatureExpire",
            "签名过期。Timestamp 和服务器时间相差不得超过五分钟。",
        );
    }
    let auth = h("authorization");
    let Some(rest) = auth.strip_prefix("TC3-HMAC-SHA256 ") else {
        return tencent_error(
            "AuthFailure.InvalidAuthorization",
            "Authorization 不符合规范",
        );
    };
    let parts: BTreeMap<&str, &str> = rest.split(", ").filter_map(|p| p.split_once('=')).collect();
    let credential: Vec<&str> = parts
        .get("Credential")
        .copied()
        .unwrap_or("")
        .split('/')
        .collect();
    if credential.len() != 4
        || credential[2] != "sms"
        || credential[3] != "tc3_request"
        || parts.get("SignedHeaders") != Some(&"content-type;host")
    {
        return tencent_error(
            "AuthFailure.InvalidAuthorization",
            "Authorization 不符合规范",
        );
    }
    if credential[0] != SECRET_ID {
        return tencent_error("AuthFailure.SecretIdNotFound", "密钥不存在");
    }
    if parts.get("Signature").copied()
        != Some(tencent_signature(&headers, &body, timestamp).as_str())
        || credential[1]
            != DateTime::<Utc>::from_timestamp(timestamp, 0)
                .unwrap()
                .format("%Y-%m-%d")
                .to_string()
    {
        return tencent_error("AuthFailure.SignatureFailure", "请求签名验证失败");
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return tencent_error("InvalidParameter", "the body is not JSON");
    };
    for required in ["SmsSdkAppId", "TemplateId", "SignName"] {
        if req[required].as_str().is_none_or(str::is_empty) {
            return tencent_error("MissingParameter", &format!("缺少参数 {required}"));
        }
    }
    let phones: Vec<String> = req["PhoneNumberSet"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if phones.is_empty() {
        return tencent_error("MissingParameter", "缺少参数 PhoneNumberSet");
    }
    if req["SmsSdkAppId"] != APP_ID {
        return tencent_error(
            "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
            "SmsSdkAppId 校验失败",
        );
    }
    if !TEMPLATES.contains(&req["TemplateId"].as_str().unwrap()) {
        return tencent_error(
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "模板未审批或请求的内容与审核通过的模板内容不匹配",
        );
    }
    if req["SignName"] != SIGN {
        return tencent_error(
            "FailedOperation.SignatureIncorrectOrUnapproved",
            "签名未审批或格式错误",
        );
    }
    let params: Vec<&str> = req["TemplateParamSet"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if params.len() != 4 {
        return tencent_error(
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
            "请求内容与审核通过的模板内容不匹配",
        );
    }
    if params.iter().any(|p| p.chars().count() > 12) {
        return tencent_error(
            "InvalidParameterValue.TemplateParameterLengthLimit",
            "单个模板变量字符数超过12个",
        );
    }
    if params
        .iter()
        .any(|p| p.is_empty() || p.contains(['【', '】', '[', ']', '{', '}']))
    {
        return tencent_error(
            "InvalidParameterValue.TemplateParameterFormatError",
            "验证码模板参数格式错误",
        );
    }
    let status: Vec<Value> = phones
        .iter()
        .map(|p| {
            let mainland = p.strip_prefix("+86").is_some_and(|n| {
                n.len() == 11 && n.starts_with('1') && n.bytes().all(|b| b.is_ascii_digit())
            });
            let (code, message) = if !mainland {
                (
                    "InvalidParameterValue.IncorrectPhoneNumber",
                    "手机号格式错误",
                )
            } else if p == "+8613800000002" {
                (
                    "LimitExceeded.PhoneNumberDailyLimit",
                    "单个手机号日下发短信条数超过设定的上限",
                )
            } else {
                ("Ok", "send success")
            };
            json!({
                "SerialNo": if code == "Ok" { format!("2028:{}", p.len()) } else { String::new() },
                "PhoneNumber": p, "Fee": if code == "Ok" { 1 } else { 0 },
                "SessionContext": req["SessionContext"], "Code": code, "Message": message,
                "IsoCode": "CN",
            })
        })
        .collect();
    axum::Json(json!({"Response": {
        "SendStatusSet": status,
        "RequestId": uuid::Uuid::new_v4().to_string(),
    }}))
    .into_response()
}

async fn fake_tencent() -> (String, TencentShared) {
    let seen: TencentShared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/", post(tencent_send))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

fn tencent(base: &str, secret_id: &str, secret_key: &str, template: &str) -> Sms {
    Sms::new(
        Gateway::Tencent {
            endpoint: base.into(),
            account: Tencent {
                credential: Credential {
                    secret_id: secret_id.into(),
                    secret_key: secret_key.into(),
                },
                sdk_app_id: APP_ID.into(),
                region: "ap-guangzhou".into(),
                sign_name: SIGN.into(),
                template_id: template.into(),
                template_id_en: Some("2220".into()),
            },
        },
        reqwest::Client::new(),
    )
}

/// An SMS as the delivery builds it: the variables in both languages.
fn sms(phone: &str, lang: &str, zh: Vars, en: Vars) -> Message {
    let data = SmsData {
        lang: lang.into(),
        zh,
        en,
    };
    Message {
        token: phone.into(),
        title: "【紧急】督办通知".into(),
        body: "催办:督〔2026〕12号 清理河道垃圾".into(),
        data: BTreeMap::from([(DATA_KEY.to_owned(), data.to_data())]),
        urgent: true,
        collapse_id: Some("5f0c6d1e-0000-4000-8000-000000000001".into()),
    }
}

fn vars(no: &str, kind: &str, count: &str, due: &str) -> Vars {
    Vars {
        no: no.into(),
        kind: kind.into(),
        count: count.into(),
        due: due.into(),
    }
}

fn plain(phone: &str) -> Message {
    sms(
        phone,
        "zh-CN",
        vars("督〔2026〕12号", "催办", "1", "12月9日"),
        vars("督〔2026〕12号", "Urging", "1", "Dec 9"),
    )
}

#[tokio::test]
async fn tencent_sends_a_tc3_signed_request_and_reads_its_answer_codes() {
    let (base, seen) = fake_tencent().await;
    let p = tencent(&base, SECRET_ID, SECRET_KEY, "1110");
    assert_eq!(p.name(), "sms");
    let d = p.send(&plain("13800000001")).await.expect("sent");
    assert!(d.id.starts_with("2028:"), "{d:?}");
    let (headers, body) = seen.lock().unwrap().requests[0].clone();
    assert_eq!(headers["x-tc-action"], "SendSms");
    assert_eq!(headers["x-tc-version"], "2021-01-11");
    assert_eq!(headers["x-tc-region"], "ap-guangzhou");
    assert!(headers["authorization"]
        .to_str()
        .unwrap()
        .starts_with(&format!("TC3-HMAC-SHA256 Credential={SECRET_ID}/")));
    assert_eq!(body["PhoneNumberSet"], json!(["+8613800000001"]));
    assert_eq!(body["SmsSdkAppId"], APP_ID);
    assert_eq!(body["TemplateId"], "1110");
    // The ordered list: {1} number, {2} kind, {3} count, {4} due.
    assert_eq!(
        body["TemplateParamSet"],
        json!(["督〔2026〕12号", "催办", "1", "12月9日"])
    );
    // An English reader: the English template, English variables.
    p.send(&sms(
        "13800000001",
        "en",
        vars("督〔2026〕12号", "催办", "1", "12月9日"),
        vars("督〔2026〕12号", "Urging", "1", "Dec 9"),
    ))
    .await
    .expect("sent");
    let body = seen.lock().unwrap().requests[1].1.clone();
    assert_eq!(body["TemplateId"], "2220");
    assert_eq!(
        body["TemplateParamSet"],
        json!(["督〔2026〕12号", "Urging", "1", "Dec 9"])
    );

    // A dead number; a number over its daily limit (later).
    assert_eq!(
        p.send(&plain("12345")).await,
        Err(PushError::DeadToken(
            "InvalidParameterValue.IncorrectPhoneNumber".into()
        ))
    );
    assert!(matches!(
        p.send(&plain("13800000002")).await,
        Err(PushError::Retry { after: Some(_), .. })
    ));
    // A template the service has not approved: our configuration, reported, retried later.
    match tencent(&base, SECRET_ID, SECRET_KEY, "9999")
        .send(&plain("13800000001"))
        .await
    {
        Err(PushError::Refused { code, .. }) => {
            assert_eq!(code, "FailedOperation.TemplateIncorrectOrUnapproved")
        }
        other => panic!("{other:?}"),
    }
    // A wrong key: the endpoint's own signature differs; an unknown id; both for good.
    let failed = |r: Result<_, PushError>, code: &str| match r {
        Err(PushError::Failed(why)) => assert!(why.contains(code), "{why}"),
        other => panic!("{other:?}"),
    };
    failed(
        tencent(&base, SECRET_ID, "another-key", "1110")
            .send(&plain("13800000001"))
            .await,
        "AuthFailure.SignatureFailure",
    );
    failed(
        tencent(&base, "AKIDunknown", SECRET_KEY, "1110")
            .send(&plain("13800000001"))
            .await,
        "AuthFailure.SecretIdNotFound",
    );
    // A request signed ten minutes away from the service's clock: signed afresh and sent
    // once more, then given up.
    seen.lock().unwrap().skew = 600;
    let before = seen.lock().unwrap().requests.len();
    failed(
        p.send(&plain("13800000001")).await,
        "AuthFailure.SignatureExpire",
    );
    assert_eq!(seen.lock().unwrap().requests.len(), before + 2);
    seen.lock().unwrap().skew = 0;
    // Expired once on the way: signed afresh, it goes.
    seen.lock().unwrap().expire_next = true;
    let before = seen.lock().unwrap().requests.len();
    p.send(&plain("13800000001"))
        .await
        .expect("sent the second time");
    assert_eq!(seen.lock().unwrap().requests.len(), before + 2);
    // A required parameter missing (an empty SmsSdkAppId) is refused by the endpoint.
    let no_app = Sms::new(
        Gateway::Tencent {
            endpoint: base.clone(),
            account: Tencent {
                credential: Credential {
                    secret_id: SECRET_ID.into(),
                    secret_key: SECRET_KEY.into(),
                },
                sdk_app_id: String::new(),
                region: "ap-guangzhou".into(),
                sign_name: SIGN.into(),
                template_id: "1110".into(),
                template_id_en: None,
            },
        },
        reqwest::Client::new(),
    );
    failed(no_app.send(&plain("13800000001")).await, "MissingParameter");
}

#[tokio::test]
async fn the_tencent_endpoint_refuses_a_tampered_signature_and_long_variables() {
    let (base, _seen) = fake_tencent().await;
    let host = base.trim_start_matches("http://").to_owned();
    let body = br#"{"PhoneNumberSet":["+8613800000001"],"SmsSdkAppId":"1400787878","SignName":"x","TemplateId":"1110","TemplateParamSet":["a","b","c","d"]}"#;
    let ts = Utc::now().timestamp();
    let c = Credential {
        secret_id: SECRET_ID.into(),
        secret_key: SECRET_KEY.into(),
    };
    let post = |auth: String, body: Vec<u8>| {
        let base = base.clone();
        async move {
            let r: Value = reqwest::Client::new()
                .post(&base)
                .header("content-type", duban_server::push::tc3::CONTENT_TYPE)
                .header("authorization", auth)
                .header("x-tc-action", "SendSms")
                .header("x-tc-version", "2021-01-11")
                .header("x-tc-region", "ap-guangzhou")
                .header("x-tc-timestamp", ts.to_string())
                .body(body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["Response"]["Error"]["Code"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        }
    };
    let good = duban_server::push::tc3::authorization(&c, "sms", &host, body, ts);
    // Signed right, but the signature is refused: the signed body was another one.
    let mut other = body.to_vec();
    other[2] = b'Q';
    assert_eq!(
        post(good.clone(), other).await,
        "AuthFailure.SignatureFailure"
    );
    // Signed right and sent as signed: it passes the signature; the signature name is not
    // approved.
    assert_eq!(
        post(good, body.to_vec()).await,
        "FailedOperation.SignatureIncorrectOrUnapproved"
    );
    // A variable over 12 characters is refused by the endpoint; ours shortens `kind`.
    let p = tencent(&base, SECRET_ID, SECRET_KEY, "1110");
    let long = "督办事项升级后的再次催办提醒通知";
    let m = sms(
        "13800000001",
        "zh-CN",
        vars("督〔2026〕12号", long, "1", "12月9日"),
        Vars::default(),
    );
    p.send(&m).await.expect("shortened to fit");
}

/// Every notice kind's name in a word, as stored (`NoticeKind::code`).
const KINDS: [&str; 20] = [
    r#"{"new_duty":"receive"}"#,
    r#"{"new_duty":"handle"}"#,
    r#"{"new_duty":"review"}"#,
    r#"{"new_duty":"approve_registration"}"#,
    r#"{"new_duty":"decide_extension"}"#,
    r#"{"new_duty":"rate"}"#,
    r#""urged""#,
    r#""escalated""#,
    r#""instructed""#,
    r#""returned""#,
    r#""report_returned""#,
    r#""request_decided""#,
    r#""revoked""#,
    r#""rated""#,
    r#""accepted""#,
    r#""reply""#,
    r#""report_requested""#,
    r#""reminded""#,
    r#""urgent_order""#,
    r#"{"new_duty":"call_back"}"#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_demo_item_fits_each_gateways_variables() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let rows = s
        .state
        .db
        .rows(
            "SELECT number, title, deadline FROM tasks WHERE number <> ''",
            vec![],
        )
        .await
        .unwrap();
    let items: Vec<(String, String, Option<i64>)> = rows
        .iter()
        .map(|r| {
            (
                r.text(0).unwrap(),
                r.text(1).unwrap(),
                r.get_opt_int("deadline").unwrap(),
            )
        })
        .collect();
    assert!(items.len() > 10);
    let longest_no = items
        .iter()
        .max_by_key(|i| i.0.chars().count())
        .unwrap()
        .clone();
    let longest_title = items
        .iter()
        .max_by_key(|i| i.1.chars().count())
        .unwrap()
        .clone();
    // The demo's notice kinds, and every other.
    let mut kinds: Vec<String> = s
        .state
        .db
        .rows("SELECT DISTINCT kind FROM notifications", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.text(0).unwrap())
        .collect();
    kinds.extend(KINDS.iter().map(|k| (*k).to_owned()));
    let org = s.state.org.latest(&s.state.db).await.unwrap();
    let (aliyun_base, aliyun_seen) = fake_sms().await;
    let (tencent_base, _) = fake_tencent().await;
    let gateways = [
        aliyun(&aliyun_base, "aliyun-secret"),
        tencent(&tencent_base, SECRET_ID, SECRET_KEY, "1110"),
    ];
    // The title is not a variable: the longest title's item is sent like any other.
    assert!(longest_title.1.chars().count() > 12);
    for (no, _title, deadline) in [longest_no, longest_title] {
        for kind in &kinds {
            let v = |lang| sms_vars(lang, &no, kind, 12, deadline, &org.calendar);
            let (zh, en) = (
                v(duban_server::i18n::Lang::Zh),
                v(duban_server::i18n::Lang::En),
            );
            for (lang, vars) in [("zh-CN", &zh), ("en", &en)] {
                // Whole within the strictest limit, nothing cut, no signature brackets, no
                // title.
                assert_eq!(vars.fit(12).as_ref(), Ok(vars), "{lang} {kind} {no}");
                for value in [&vars.no, &vars.kind, &vars.count, &vars.due] {
                    assert!(value.chars().count() <= 12, "{value}");
                    assert!(!value.contains(['【', '】', '[', ']']), "{value}");
                }
            }
            for g in &gateways {
                for lang in ["zh-CN", "en"] {
                    g.send(&sms("13800000001", lang, zh.clone(), en.clone()))
                        .await
                        .unwrap_or_else(|e| panic!("{kind} {no}: {e:?}"));
                }
            }
        }
    }
    // The Aliyun endpoint got the named variables, none with 【】, none over 35.
    for q in aliyun_seen.lock().unwrap().iter() {
        let p: Value = serde_json::from_str(&q["TemplateParam"]).unwrap();
        for (_, v) in p.as_object().unwrap() {
            let v = v.as_str().unwrap();
            assert!(v.chars().count() <= 35 && !v.contains(['【', '】']), "{v}");
        }
    }
}

#[tokio::test]
async fn aliyun_variables_lose_signature_brackets_and_stay_within_35_characters() {
    let (base, seen) = fake_sms().await;
    let p = aliyun(&base, "aliyun-secret");
    let kind = "【紧急】".to_owned() + &"催办".repeat(30);
    p.send(&sms(
        "13800000001",
        "zh-CN",
        vars("督〔2026〕12号", &kind, "3", "12月9日"),
        Vars::default(),
    ))
    .await
    .expect("sent");
    let q = seen.lock().unwrap()[0].clone();
    let param: Value = serde_json::from_str(&q["TemplateParam"]).unwrap();
    let k = param["kind"].as_str().unwrap();
    assert_eq!(k.chars().count(), 35);
    assert!(k.starts_with("（紧急）催办"), "{k}");
    assert_eq!(param["count"], "3");
    assert_eq!(q["TemplateCode"], "SMS_12345678");
    // A number that cannot fit is refused before sending, with a stable code.
    match p
        .send(&sms(
            "13800000001",
            "zh-CN",
            vars(&"督".repeat(36), "催办", "1", "12月9日"),
            Vars::default(),
        ))
        .await
    {
        Err(PushError::Failed(why)) => assert!(why.starts_with("sms.variable_too_long"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().len(), 1, "nothing sent for it");
}

// ----- the webhook ---------------------------------------------------------------------------

#[derive(Default)]
struct HookSeen {
    nonces: HashSet<String>,
    bodies: Vec<Value>,
    last: Option<(HeaderMap, Vec<u8>)>,
}

/// A receiver as `docs/channels.md` tells one to verify: the signature over timestamp, nonce
/// and body; the timestamp within 300 s; a nonce seen before refused.
async fn hook(
    State(seen): State<Arc<Mutex<HookSeen>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (ts, nonce) = (h("x-duban-timestamp"), h("x-duban-nonce"));
    if h("x-duban-signature") != webhook_signature("hook-secret", &ts, &nonce, &body) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (Utc::now().timestamp() - t).abs() <= 300);
    let mut s = seen.lock().unwrap();
    if !fresh || nonce.len() < 16 || !s.nonces.insert(nonce) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    s.bodies.push(serde_json::from_slice(&body).unwrap());
    s.last = Some((headers.clone(), body.to_vec()));
    axum::Json(json!({"id": "hook-1"})).into_response()
}

#[tokio::test]
async fn the_webhook_signs_timestamp_nonce_and_body_and_carries_the_variables() {
    let seen: Arc<Mutex<HookSeen>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let p = |secret: &str| {
        Sms::new(
            Gateway::Webhook {
                url: url.clone(),
                secret: secret.into(),
            },
            reqwest::Client::new(),
        )
    };
    let m = sms(
        "13800000001",
        "en",
        vars("督〔2026〕12号", "催办", "2", "12月9日"),
        vars("督〔2026〕12号", "Urging", "2", "Dec 9"),
    );
    assert_eq!(p("hook-secret").send(&m).await.expect("sent").id, "hook-1");
    p("hook-secret")
        .send(&m)
        .await
        .expect("a new nonce each time");
    let (body, (headers, raw)) = {
        let s = seen.lock().unwrap();
        (s.bodies[0].clone(), s.last.clone().unwrap())
    };
    assert_eq!(body["phone"], "13800000001");
    assert_eq!(body["lang"], "en");
    assert_eq!(
        body["vars"],
        json!({"no": "督〔2026〕12号", "kind": "Urging", "count": "2", "due": "Dec 9"})
    );
    assert_eq!(
        body["body"], "催办:督〔2026〕12号 清理河道垃圾",
        "the full text too"
    );
    assert!(body["data"].get(DATA_KEY).is_none());
    // A replay of the very same request (same nonce) is refused by the receiver.
    let mut replay = reqwest::Client::new().post(&url).body(raw);
    for (k, v) in headers.iter() {
        if k.as_str().starts_with("x-duban") || k == "content-type" {
            replay = replay.header(k, v);
        }
    }
    assert_eq!(replay.send().await.unwrap().status(), 401);
    // Signed with another secret: refused, for good.
    assert!(matches!(
        p("wrong").send(&m).await,
        Err(PushError::Failed(_))
    ));
}

// ----- end to end: refused templates, the merge window --------------------------------------

async fn set_policy(s: &Server, change: impl FnOnce(&mut Value)) {
    let admin = s.login("admin").await;
    let mut policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
    change(&mut policy);
    s.call(
        reqwest::Method::PUT,
        "/api/v1/admin/policy",
        Some(&admin),
        Some(policy),
    )
    .await
    .expect(200);
}

async fn set_phone(s: &Server, user: duban_core::domain::UserId, phone: &str) {
    s.state
        .db
        .exec(
            "UPDATE users SET phone = $1 WHERE id = $2",
            vec![Val::from(phone), Val::from(user.to_string())],
        )
        .await
        .expect("phone");
}

fn urgent(mut register: Value) -> Value {
    register["command"]["urgency"] = json!("urgent");
    register
}

async fn pass(s: &Server, p: &Providers, at: DateTime<Utc>) -> DeliveryReport {
    deliver_due(&s.state, p, at).await.expect("deliver")
}

fn with_sms(sms: Sms) -> Providers {
    Providers {
        sms: Some(Arc::new(sms)),
        ..Providers::default()
    }
}

/// The SMS deliveries of the item's notifications: (notification, outcome, detail).
async fn sms_records(s: &Server, task: &str) -> Vec<(String, String, String)> {
    s.state
        .db
        .rows(
            "SELECT d.notification, d.outcome, d.detail FROM deliveries d \
             JOIN notifications n ON n.id = d.notification \
             WHERE n.task = $1 AND d.channel = 'sms' ORDER BY n.created_at, n.task_seq",
            vec![Val::from(task)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text(0).unwrap(), r.text(1).unwrap(), r.text(2).unwrap()))
        .collect()
}

/// The person's notifications about the item, oldest first.
async fn notes_of(s: &Server, user: duban_core::domain::UserId, task: &str) -> Vec<String> {
    s.state
        .db
        .rows(
            "SELECT id FROM notifications WHERE user_id = $1 AND task = $2 \
             ORDER BY created_at, task_seq",
            vec![Val::from(user.to_string()), Val::from(task)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.text(0).unwrap())
        .collect()
}

both!(
    a_refused_template_is_reported_to_administrators_and_sent_once_approved,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, |p| p["delivery"]["quiet_hours"] = Value::Null).await;
        set_phone(&s, f.staff_a, "13800000001").await;
        let (base, seen) = fake_sms().await;
        // The template the operator configured is not approved (yet).
        let refused = with_sms(Sms::new(
            Gateway::Aliyun {
                endpoint: base.clone(),
                account: duban_server::push::sms::Aliyun {
                    access_key_id: "LTAI-test".into(),
                    access_key_secret: "aliyun-secret".into(),
                    sign_name: "清河县督查室".into(),
                    template_code: "SMS_00000000".into(),
                    template_code_en: None,
                },
            },
            reqwest::Client::new(),
        ));
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, urgent(register(&t, "清理河道垃圾"))).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let now = s.state.clock.now();
        let r = pass(&s, &refused, now + Duration::minutes(31)).await;
        assert_eq!(r.refused, 1, "{r:?}");
        assert_eq!(seen.lock().unwrap().len(), 1, "the gateway was asked once");
        let records = sms_records(&s, &t).await;
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].1.as_str(), records[0].2.as_str()),
            ("refused", "isv.SMS_TEMPLATE_ILLEGAL")
        );

        // The administrators see it on the console's first page and the providers' page.
        let web = browser();
        let cookie = sign_in(&s, &web, "admin").await;
        for path in ["/admin", "/admin/delivery"] {
            let (status, html) = page(&web, &format!("{}{path}", s.base), Some(&cookie)).await;
            assert_eq!(status, 200);
            assert!(html.contains("id=\"sms-refused-banner\""), "{path}: {html}");
            assert!(
                html.contains("短信网关拒绝了本系统的短信模板或签名"),
                "{html}"
            );
            assert!(
                html.contains("<code class=\"err-code\">isv.SMS_TEMPLATE_ILLEGAL</code>"),
                "{html}"
            );
            assert!(html.contains("1 条通知的短信正在等待"), "{html}");
        }

        // Not lost: not before an hour, the same gateway still refusing; then approved.
        assert_eq!(
            pass(&s, &refused, now + Duration::minutes(50)).await.jobs,
            0
        );
        let r = pass(&s, &refused, now + Duration::minutes(92)).await;
        assert_eq!((r.jobs, r.refused), (1, 1), "{r:?}");
        let approved = with_sms(aliyun(&base, "aliyun-secret"));
        let r = pass(&s, &approved, now + Duration::minutes(153)).await;
        assert_eq!(r.sent, 1, "{r:?}");
        let records = sms_records(&s, &t).await;
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].1, "sent", "the refusal is replaced: {records:?}");
        let (_, html) = page(&web, &format!("{}/admin", s.base), Some(&cookie)).await;
        assert!(!html.contains("sms-refused-banner"), "gone once sent");
        assert_eq!(pass(&s, &approved, now + Duration::hours(9)).await.jobs, 0);

        // A refused one read meanwhile: its retry stops there.
        let t2 = tid();
        s.ok(&sup, urgent(register(&t2, "排查燃气隐患"))).await;
        s.ok(&sup, dispatch(&t2, f.unit_a, Some(f.staff_a))).await;
        let now = s.state.clock.now();
        assert_eq!(
            pass(&s, &refused, now + Duration::minutes(31))
                .await
                .refused,
            1
        );
        let staff = s.login("staff-a").await;
        s.post(&staff, "/api/v1/notifications/read", json!({"all": true}))
            .await
            .expect(200);
        let (_, html) = page(&web, &format!("{}/admin", s.base), Some(&cookie)).await;
        assert!(!html.contains("sms-refused-banner"), "read: nothing waits");
        let r = pass(&s, &approved, now + Duration::minutes(92)).await;
        assert_eq!((r.read, r.sent), (1, 0), "{r:?}");
        assert_eq!(pass(&s, &approved, now + Duration::hours(9)).await.jobs, 0);
    }
);

both!(
    notices_within_the_merge_window_go_as_one_sms,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, |p| {
            p["delivery"]["quiet_hours"] = Value::Null;
            p["delivery"]["urgent"]["sms_after_minutes"] = json!(30);
            p["delivery"]["sms_merge_minutes"] = json!(10);
        })
        .await;
        set_phone(&s, f.staff_a, "13800000001").await;
        let (base, seen) = fake_sms().await;
        let p = with_sms(aliyun(&base, "aliyun-secret"));
        let sup = s.login("supervisor").await;
        let leader = s.login("leader").await;
        let staff = s.login("staff-a").await;
        let t = tid();
        s.ok(&sup, urgent(register(&t, "清理河道垃圾"))).await;
        // The dispatch, an urge a minute later, an instruction a minute after that.
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let t0 = s.state.clock.now();
        s.state.clock.advance(Duration::minutes(1));
        s.ok(
            &sup,
            simple(
                &t,
                "urge",
                json!({"channel": "message", "note": "请加快办理"}),
            ),
        )
        .await;
        s.state.clock.advance(Duration::minutes(1));
        s.ok(
            &leader,
            simple(&t, "instruct", json!({"id": tid(), "text": "请抓紧落实"})),
        )
        .await;
        // A fourth, read at once: not in the SMS.
        s.ok(
            &leader,
            simple(&t, "instruct", json!({"id": tid(), "text": "注意安全"})),
        )
        .await;
        let notes = notes_of(&s, f.staff_a, &t).await;
        assert_eq!(notes.len(), 4, "dispatch, urge and two instructions");
        s.post(
            &staff,
            "/api/v1/notifications/read",
            json!({"ids": [notes[3]]}),
        )
        .await
        .expect(200);
        // A fifth, 15 minutes later: its SMS falls due outside the window.
        s.state.clock.advance(Duration::minutes(15));
        s.ok(
            &leader,
            simple(&t, "instruct", json!({"id": tid(), "text": "本周内办结"})),
        )
        .await;
        let notes = notes_of(&s, f.staff_a, &t).await;
        assert_eq!(notes.len(), 5);

        // At the first one's step: one SMS for three.
        let r = pass(&s, &p, t0 + Duration::minutes(30) + Duration::seconds(5)).await;
        assert_eq!(r.sent, 1, "{r:?}");
        {
            let texts = seen.lock().unwrap();
            assert_eq!(texts.len(), 1, "exactly one SMS");
            let param: Value = serde_json::from_str(&texts[0]["TemplateParam"]).unwrap();
            assert_eq!(param["count"], "3", "{param}");
            assert_eq!(param["kind"], "领导批示", "the latest kind: {param}");
        }
        let records = sms_records(&s, &t).await;
        let sent: Vec<&str> = records
            .iter()
            .filter(|r| r.1 == "sent")
            .map(|r| r.0.as_str())
            .collect();
        assert_eq!(sent, [&notes[0], &notes[1], &notes[2]], "{records:?}");
        // Their own steps find them sent; the read one stops.
        let r = pass(&s, &p, t0 + Duration::minutes(40)).await;
        assert_eq!((r.sent, r.read), (0, 1), "{r:?}");
        assert_eq!(seen.lock().unwrap().len(), 1);
        // The one outside the window: its own SMS, for one.
        let r = pass(&s, &p, t0 + Duration::minutes(48)).await;
        assert_eq!(r.sent, 1, "{r:?}");
        {
            let texts = seen.lock().unwrap();
            assert_eq!(texts.len(), 2);
            let param: Value = serde_json::from_str(&texts[1]["TemplateParam"]).unwrap();
            assert_eq!(param["count"], "1", "{param}");
        }
        let records = sms_records(&s, &t).await;
        assert_eq!(records.len(), 4, "{records:?}");
        assert!(records.iter().all(|r| r.1 == "sent"));
        assert!(!records.iter().any(|r| r.0 == notes[3]), "not the read one");
        assert_eq!(pass(&s, &p, t0 + Duration::hours(5)).await.jobs, 0);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_refusal_banner_passes_the_page_checks() {
    use crate::browser::{Browser, DESKTOP, PHONE};
    let s = start(Backend::Sqlite).await;
    let f = s.fixture().await;
    set_policy(&s, |p| p["delivery"]["quiet_hours"] = Value::Null).await;
    set_phone(&s, f.staff_a, "13800000001").await;
    let (base, _seen) = fake_sms().await;
    let refused = with_sms(Sms::new(
        Gateway::Aliyun {
            endpoint: base,
            account: duban_server::push::sms::Aliyun {
                access_key_id: "LTAI-test".into(),
                access_key_secret: "aliyun-secret".into(),
                sign_name: "清河县督查室".into(),
                template_code: "SMS_00000000".into(),
                template_code_en: None,
            },
        },
        reqwest::Client::new(),
    ));
    let sup = s.login("supervisor").await;
    let t = tid();
    s.ok(&sup, urgent(register(&t, "清理河道垃圾"))).await;
    s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
    let now = s.state.clock.now();
    assert_eq!(
        pass(&s, &refused, now + Duration::minutes(31))
            .await
            .refused,
        1
    );
    let b = Browser::start().await;
    for ((width, height), size) in [(DESKTOP, "pc"), (PHONE, "phone")] {
        b.resize(width, height).await;
        b.sign_out_cookies().await;
        b.go(&format!("{}/login", s.base)).await;
        b.type_into("#username", "admin").await;
        b.type_into("#password", PASSWORD).await;
        b.click("form.signin button").await;
        b.wait_for(
            "return location.pathname !== '/login'",
            "leaving the sign-in page",
        )
        .await;
        for (path, name) in [("/admin", "index"), ("/admin/delivery", "delivery")] {
            b.go(&format!("{}{path}", s.base)).await;
            b.wait_for(
                "return !!document.querySelector('#sms-refused-banner')",
                "the refusal banner",
            )
            .await;
            b.check_page(&format!("sms-refused-{size}-{name}")).await;
        }
    }
}
