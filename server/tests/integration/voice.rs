//! The voice call, the last step of the climb for 特急: the `voice` provider speaking Aliyun's
//! `SingleCallByTts` to a local endpoint written from Aliyun's documentation (语音服务
//! SingleCallByTts and its error codes), and the climb on the real server: SMS at +10
//! minutes, the call at +20 while the notice is unread, none once it is read, none for 紧急.
//!
//! The endpoint recomputes the RPC signature on its own (`push::aliyun_expected_signature`)
//! and answers as Aliyun's API gateway does: `InvalidAccessKeyId.NotFound` (404) for an
//! unknown key, `InvalidAccessKeyId.Inactive` for a disabled one, `SignatureDoesNotMatch`
//! (400) for a broken signature, `SignatureNonceUsed` for a replay, `Missing{Param}` (400)
//! for a required parameter left out, `Throttling.User` (400); then the voice service's own
//! codes with HTTP 200: `isv.MOBILE_NUMBER_ILLEGAL`, `isv.BUSINESS_LIMIT_CONTROL`,
//! `isv.DISPLAY_NUMBER_ILLEGAL`, `isv.TTS_TEMPLATE_ILLEGAL`,
//! `isv.TEMPLATE_MISSING_PARAMETERS`, `isv.TEMPLATE_PARAMS_ILLEGAL`,
//! `isv.INVALID_PARAMETERS`.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{Duration, Utc};
use duban_server::db::Val;
use duban_server::push::voice::{AliyunVoice, Voice};
use duban_server::push::{Message, Provider, Providers, PushError};
use serde_json::{json, Value};

use crate::admin_settings::{policy_fields, post_form};
use crate::notify::{loud, pass, set_policy, urgent};
use crate::push::{aliyun, aliyun_expected_signature, fake_sms};
use crate::support::*;
use crate::web::{browser, page, sign_in};

/// The purchased display number, the approved templates and the account's keys.
const SHOW_NUMBER: &str = "057112345678";
const TTS_ZH: &str = "TTS_100001";
const TTS_EN: &str = "TTS_100002";
const KEY_ID: &str = "LTAI-voice";
const SECRET: &str = "voice-secret";
const DISABLED_KEY: &str = "LTAI-disabled";

/// What the fake voice service received (the accepted calls' queries) and refused (codes).
#[derive(Default)]
pub struct VoiceSeen {
    /// The queries of the calls placed.
    pub calls: Vec<BTreeMap<String, String>>,
    /// The codes of the requests refused.
    pub refused: Vec<String>,
    /// The CallIds asked about (`QueryCallDetailByCallId`), in order.
    pub queries: Vec<String>,
    nonces: HashSet<String>,
}

pub type VoiceShared = Arc<Mutex<VoiceSeen>>;

fn answer(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "RequestId": "D9CB3933-9FE3-4870-BA8E-2BEE91B69D23",
            "HostId": "dyvmsapi.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=Dyvmsapi"),
        })),
    )
        .into_response()
}

async fn single_call(
    State(seen): State<VoiceShared>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let refuse = |seen: &VoiceShared, status: StatusCode, code: &str, message: &str| {
        seen.lock().unwrap().refused.push(code.to_owned());
        answer(status, code, message)
    };
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    // The API gateway: the key, the signature, the nonce, the common parameters.
    match get("AccessKeyId") {
        Some(KEY_ID) => {}
        Some(DISABLED_KEY) => {
            return refuse(
                &seen,
                StatusCode::BAD_REQUEST,
                "InvalidAccessKeyId.Inactive",
                "Specified access key is disabled.",
            )
        }
        _ => {
            return refuse(
                &seen,
                StatusCode::NOT_FOUND,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            )
        }
    }
    if get("SignatureMethod") != Some("HMAC-SHA1")
        || get("SignatureVersion") != Some("1.0")
        || q.get("Signature") != Some(&aliyun_expected_signature(&q, SECRET))
    {
        return refuse(
            &seen,
            StatusCode::BAD_REQUEST,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
    }
    let nonce = get("SignatureNonce").unwrap_or("").to_owned();
    if nonce.is_empty() || !seen.lock().unwrap().nonces.insert(nonce) {
        return refuse(
            &seen,
            StatusCode::BAD_REQUEST,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        );
    }
    let fresh = get("Timestamp")
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| (Utc::now() - t.with_timezone(&Utc)).num_minutes().abs() < 15);
    if !fresh {
        return refuse(
            &seen,
            StatusCode::BAD_REQUEST,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        );
    }
    if get("Action") == Some("QueryCallDetailByCallId") && get("Version") == Some("2017-05-25") {
        return call_detail(&seen, &q);
    }
    if get("Action") != Some("SingleCallByTts") || get("Version") != Some("2017-05-25") {
        return refuse(
            &seen,
            StatusCode::NOT_FOUND,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        );
    }
    for required in ["CalledShowNumber", "CalledNumber", "TtsCode"] {
        if get(required).is_none() {
            return refuse(
                &seen,
                StatusCode::BAD_REQUEST,
                &format!("Missing{required}"),
                &format!("{required} is mandatory for this action."),
            );
        }
    }
    // The voice service: its own codes, answered with 200.
    let ok = |code: &str, message: &str| {
        seen.lock().unwrap().refused.push(code.to_owned());
        answer(StatusCode::OK, code, message)
    };
    if get("CalledShowNumber") != Some(SHOW_NUMBER) {
        return ok("isv.DISPLAY_NUMBER_ILLEGAL", "号显不合法");
    }
    if !matches!(get("TtsCode"), Some(TTS_ZH | TTS_EN)) {
        return ok("isv.TTS_TEMPLATE_ILLEGAL", "TTS模板不合法");
    }
    // Both templates read `${number}` and `${kind}`; all variables under 250 characters,
    // no links, no 【】.
    let params: Value = get("TtsParam")
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    if ["number", "kind"]
        .iter()
        .any(|k| params[k].as_str().is_none_or(str::is_empty))
    {
        return ok("isv.TEMPLATE_MISSING_PARAMETERS", "文本转语音模板参数缺失");
    }
    let text = get("TtsParam").unwrap_or("");
    if text.chars().count() >= 250 || text.contains("http") || text.contains('【') {
        return ok("isv.TEMPLATE_PARAMS_ILLEGAL", "模板变量非法");
    }
    let play = get("PlayTimes").map(str::parse::<u32>);
    let out_id = get("OutId").unwrap_or("");
    if !matches!(play, None | Some(Ok(1..=3))) || out_id.len() > 15 {
        return ok("isv.INVALID_PARAMETERS", "参数异常");
    }
    match get("CalledNumber") {
        Some("12345") => ok("isv.MOBILE_NUMBER_ILLEGAL", "号码格式非法"),
        Some("13800000002") => ok("isv.BUSINESS_LIMIT_CONTROL", "触发流控"),
        Some("13800000003") => refuse(
            &seen,
            StatusCode::BAD_REQUEST,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        _ => {
            let mut s = seen.lock().unwrap();
            s.calls.push(q.clone());
            let call_id = format!("116012354148^{}", s.calls.len());
            axum::Json(json!({
                "RequestId": "D9CB3933-9FE3-4870-BA8E-2BEE91B69D23",
                "Code": "OK",
                "Message": "OK",
                "CallId": call_id,
            }))
            .into_response()
        }
    }
}

/// `QueryCallDetailByCallId`: the first question about a call finds it still without a
/// final state (`Data` without `state`); later ones find the state the called number
/// stands for — 13800000001 listened to the end (200000), 13800000005 did not answer
/// (200003), any other was busy (200002).
fn call_detail(seen: &VoiceShared, q: &BTreeMap<String, String>) -> Response {
    for required in ["CallId", "ProdId", "QueryDate"] {
        if q.get(required).is_none_or(String::is_empty) {
            seen.lock()
                .unwrap()
                .refused
                .push(format!("Missing{required}"));
            return answer(
                StatusCode::BAD_REQUEST,
                &format!("Missing{required}"),
                &format!("{required} is mandatory for this action."),
            );
        }
    }
    if q["ProdId"] != "11000000300006" || q["QueryDate"].parse::<i64>().is_err() {
        seen.lock()
            .unwrap()
            .refused
            .push("InvalidParameters".into());
        return answer(
            StatusCode::BAD_REQUEST,
            "InvalidParameters",
            "The parameter is invalid.",
        );
    }
    let mut s = seen.lock().unwrap();
    s.queries.push(q["CallId"].clone());
    let Some(call) = s
        .calls
        .iter()
        .enumerate()
        .find(|(i, _)| q["CallId"] == format!("116012354148^{}", i + 1))
        .map(|(_, c)| c.clone())
    else {
        return answer(StatusCode::BAD_REQUEST, "100008.0", "Data not available.");
    };
    let asked = s.queries.iter().filter(|c| **c == q["CallId"]).count();
    let state = match (asked, call["CalledNumber"].as_str()) {
        (1, _) => "",
        (_, "13800000001") => "200000",
        (_, "13800000005") => "200003",
        _ => "200002",
    };
    let mut data = json!({
        "callee": call["CalledNumber"],
        "calleeShowNumber": SHOW_NUMBER,
        "gmtCreate": "2026-12-07 20:09:06",
        "duration": if state == "200000" { 23 } else { 0 },
        "stateDesc": state,
    });
    if !state.is_empty() {
        data["state"] = json!(state);
    }
    axum::Json(json!({
        "RequestId": "A90E4451-FED7-49D2-87C8-00700A8C4D0D",
        "Code": "OK",
        "Message": "OK",
        "Data": data.to_string(),
    }))
    .into_response()
}

/// A local Aliyun voice service (`GET /?…`, as `dyvmsapi.aliyuncs.com` takes RPC calls).
pub async fn fake_voice() -> (String, VoiceShared) {
    let seen: VoiceShared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/", axum::routing::get(single_call))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// A change to the account, for a refused call.
type Change = dyn Fn(&mut AliyunVoice);

fn account() -> AliyunVoice {
    AliyunVoice {
        access_key_id: KEY_ID.into(),
        access_key_secret: SECRET.into(),
        show_number: SHOW_NUMBER.into(),
        tts_code: TTS_ZH.into(),
        tts_code_en: Some(TTS_EN.into()),
        play_times: 2,
    }
}

pub fn voice(base: &str) -> Voice {
    Voice::new(base, account(), reqwest::Client::new())
}

fn call(phone: &str, lang: &str) -> Message {
    Message {
        token: phone.into(),
        title: String::new(),
        body: String::new(),
        data: BTreeMap::from([
            ("number".to_owned(), "督，二零二六年，第十七号".to_owned()),
            ("kind".to_owned(), "催办".to_owned()),
            ("lang".to_owned(), lang.to_owned()),
        ]),
        urgent: true,
        collapse_id: Some("5f0c6d1e-0000-4000-8000-000000000001".into()),
    }
}

#[tokio::test]
async fn a_call_is_signed_carries_the_template_and_reads_the_answer_codes() {
    let (base, seen) = fake_voice().await;
    let v = voice(&base);
    assert_eq!(v.name(), "voice");
    let placed = v.send(&call("13800000001", "zh-CN")).await.expect("called");
    assert_eq!(placed.id, "116012354148^1", "the CallId");
    let q = seen.lock().unwrap().calls[0].clone();
    assert_eq!(q["Action"], "SingleCallByTts");
    assert_eq!(q["Version"], "2017-05-25");
    assert_eq!(q["CalledNumber"], "13800000001");
    assert_eq!(q["CalledShowNumber"], SHOW_NUMBER);
    assert_eq!(q["TtsCode"], TTS_ZH);
    assert_eq!(q["PlayTimes"], "2");
    assert_eq!(
        q["OutId"], "5f0c6d1e0000400",
        "15 bytes of the notification id"
    );
    let params: Value = serde_json::from_str(&q["TtsParam"]).unwrap();
    assert_eq!(
        params,
        json!({"number": "督，二零二六年，第十七号", "kind": "催办"}),
        "the variables, not the language"
    );
    // In English, the English template.
    v.send(&call("13800000001", "en")).await.expect("called");
    assert_eq!(seen.lock().unwrap().calls[1]["TtsCode"], TTS_EN);

    // A dead number; the per-number limit and the gateway's throttling: later.
    assert_eq!(
        v.send(&call("12345", "zh-CN")).await,
        Err(PushError::DeadToken("isv.MOBILE_NUMBER_ILLEGAL".into()))
    );
    for busy in ["13800000002", "13800000003"] {
        assert!(
            matches!(
                v.send(&call(busy, "zh-CN")).await,
                Err(PushError::Retry { .. })
            ),
            "{busy}"
        );
    }
    // An unknown or disabled key, a wrong secret: refused for good, by the endpoint.
    let with = |f: &Change| {
        let mut a = account();
        f(&mut a);
        Voice::new(&base, a, reqwest::Client::new())
    };
    let cases: [(&Change, &str); 6] = [
        (
            &|a| a.access_key_id = "LTAI-gone".into(),
            "InvalidAccessKeyId.NotFound",
        ),
        (
            &|a| a.access_key_id = DISABLED_KEY.into(),
            "InvalidAccessKeyId.Inactive",
        ),
        (
            &|a| a.access_key_secret = "other".into(),
            "SignatureDoesNotMatch",
        ),
        (
            &|a| a.show_number = String::new(),
            "MissingCalledShowNumber",
        ),
        (
            &|a| a.show_number = "01012345678".into(),
            "isv.DISPLAY_NUMBER_ILLEGAL",
        ),
        (
            &|a| a.tts_code = "TTS_999".into(),
            "isv.TTS_TEMPLATE_ILLEGAL",
        ),
    ];
    for (change, code) in cases {
        match with(change).send(&call("13800000001", "zh-CN")).await {
            Err(PushError::Failed(why)) => assert!(why.contains(code), "{why}"),
            other => panic!("{code}: {other:?}"),
        }
        assert_eq!(
            seen.lock().unwrap().refused.last().map(String::as_str),
            Some(code),
            "the endpoint refused it"
        );
    }
    // A template variable missing: the service says so, for good.
    let mut bare = call("13800000001", "zh-CN");
    bare.data.remove("kind");
    match v.send(&bare).await {
        Err(PushError::Failed(why)) => {
            assert!(why.contains("isv.TEMPLATE_MISSING_PARAMETERS"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        seen.lock().unwrap().calls.len(),
        2,
        "only the good ones rang"
    );
    // No answer at all: later, and the text leaves out the signed URL (the key id).
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    match voice(&gone).send(&call("13800000001", "zh-CN")).await {
        Err(PushError::Retry { reason, .. }) => {
            assert!(reason.starts_with("Aliyun voice: "), "{reason}");
            assert!(
                !reason.contains(KEY_ID) && !reason.contains("Signature"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_voice_provider_is_built_from_its_settings() {
    use duban_server::config::PushArgs;
    let (base, seen) = fake_voice().await;
    let mut s = PushArgs {
        voice_gateway: Some("aliyun".into()),
        voice_url: Some(base),
        voice_access_key_id: Some(KEY_ID.into()),
        voice_secret: Some(SECRET.into()),
        voice_show_number: Some(SHOW_NUMBER.into()),
        voice_tts_code: Some(TTS_ZH.into()),
        voice_play_times: Some(3),
        ..PushArgs::default()
    };
    let p = Providers::from_settings(&s).expect("providers");
    assert_eq!(p.names(), vec!["voice"]);
    let v = p.get("voice").expect("voice");
    v.send(&call("13800000001", "en")).await.expect("called");
    let q = seen.lock().unwrap().calls[0].clone();
    assert_eq!(q["PlayTimes"], "3");
    assert_eq!(q["TtsCode"], TTS_ZH, "no English template: the Chinese one");
    s.voice_show_number = None;
    assert!(
        matches!(Providers::from_settings(&s), Err(PushError::Failed(why)) if why.contains("voice_show_number"))
    );
    s.voice_show_number = Some(SHOW_NUMBER.into());
    s.voice_gateway = Some("tencent".into());
    assert!(Providers::from_settings(&s).is_err());
}

/// The voice and SMS providers at local endpoints.
async fn providers() -> (Providers, VoiceShared, crate::notify::SmsSeen) {
    let (voice_base, voice_seen) = fake_voice().await;
    let (sms_base, sms_seen) = fake_sms().await;
    let p = Providers {
        sms: Some(Arc::new(aliyun(&sms_base, "aliyun-secret"))),
        voice: Some(Arc::new(voice(&voice_base))),
        ..Providers::default()
    };
    (p, voice_seen, sms_seen)
}

/// The deliveries of the notifications of item `t` to `person`, as the office sees them:
/// (channel, provider, outcome, detail).
async fn deliveries(
    s: &Server,
    token: &str,
    t: &str,
    person: duban_core::domain::UserId,
) -> Vec<(String, String, String, String)> {
    let trace = s
        .get(token, &format!("/api/v1/tasks/{t}/notifications"))
        .await
        .expect(200);
    trace
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["person"] == json!(person))
        .flat_map(|n| n["deliveries"].as_array().unwrap().clone())
        .map(|d| {
            let f = |k: &str| d[k].as_str().unwrap_or("").to_owned();
            (f("channel"), f("provider"), f("outcome"), f("detail"))
        })
        .collect()
}

both!(
    an_unread_extra_urgent_notice_is_called_after_its_sms,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, loud).await;
        let (p, calls, sms) = providers().await;
        s.state
            .db
            .exec(
                "UPDATE users SET phone = '13800000001' WHERE id = $1",
                vec![Val::from(f.staff_a.to_string())],
            )
            .await
            .expect("phone");
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        let called = |to: &str| {
            calls
                .lock()
                .unwrap()
                .calls
                .iter()
                .filter(|q| q["CalledNumber"] == to)
                .count()
        };
        let texted = |to: &str| {
            sms.lock()
                .unwrap()
                .iter()
                .filter(|q| q["PhoneNumbers"] == to)
                .count()
        };

        // 特急, unread: SMS at +10 minutes, the call at +20.
        let t = tid();
        s.ok(&sup, urgent(register(&t, "防汛堤坝巡查"), "extra_urgent"))
            .await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let now = Utc::now();
        pass(&s, &p, now + Duration::seconds(1)).await;
        pass(&s, &p, now + Duration::minutes(9)).await;
        assert_eq!(texted("13800000001"), 0, "no SMS before 10 minutes");
        let sms_step = pass(&s, &p, now + Duration::minutes(11)).await;
        assert_eq!(sms_step.sent, 1, "{sms_step:?}");
        assert_eq!(texted("13800000001"), 1);
        assert_eq!(called("13800000001"), 0, "no call yet");
        assert_eq!(pass(&s, &p, now + Duration::minutes(19)).await.sent, 0);
        let call_step = pass(&s, &p, now + Duration::minutes(21)).await;
        assert_eq!(call_step.sent, 1, "{call_step:?}");
        assert_eq!(called("13800000001"), 1, "one call");
        let q = calls.lock().unwrap().calls[0].clone();
        let params: Value = serde_json::from_str(&q["TtsParam"]).unwrap();
        assert_eq!(params["kind"], "新的待办事项", "{params}");
        let number = params["number"].as_str().unwrap();
        assert!(
            number.contains("年，第") && number.ends_with('号'),
            "{number}"
        );
        assert!(
            !number.chars().any(|c| c.is_ascii_digit()),
            "spelled: {number}"
        );
        assert_eq!(q["TtsCode"], TTS_ZH, "the person reads Chinese");
        // The call's id is on the notice's delivery record.
        let records = deliveries(&s, &sup, &t, f.staff_a).await;
        assert!(
            records.contains(&(
                "voice".into(),
                "voice".into(),
                "sent".into(),
                "116012354148^1".into()
            )),
            "{records:?}"
        );
        // Two minutes on, what became of the call is asked: still ringing, so again a
        // minute later; then it was answered, and the record says so.
        assert_eq!(pass(&s, &p, now + Duration::minutes(22)).await.jobs, 0);
        assert_eq!(
            pass(&s, &p, now + Duration::seconds(23 * 60 + 30))
                .await
                .jobs,
            1
        );
        assert_eq!(calls.lock().unwrap().queries, vec!["116012354148^1"]);
        assert_eq!(pass(&s, &p, now + Duration::seconds(24 * 60)).await.jobs, 0);
        assert_eq!(
            pass(&s, &p, now + Duration::seconds(24 * 60 + 31))
                .await
                .jobs,
            1
        );
        assert_eq!(calls.lock().unwrap().queries.len(), 2);
        let records = deliveries(&s, &sup, &t, f.staff_a).await;
        assert!(
            records.contains(&(
                "voice".into(),
                "voice".into(),
                "sent".into(),
                "116012354148^1 answered 200000".into()
            )),
            "{records:?}"
        );
        assert_eq!(
            pass(&s, &p, now + Duration::hours(2)).await.jobs,
            0,
            "each step once, each result asked until known"
        );
        assert!(
            records.iter().any(|(c, _, o, _)| c == "sms" && o == "sent"),
            "{records:?}"
        );

        // The same, read at +15 minutes (after its SMS): no call.
        let t2 = tid();
        s.ok(
            &sup,
            urgent(register(&t2, "危化品仓库检查"), "extra_urgent"),
        )
        .await;
        s.ok(&sup, dispatch(&t2, f.unit_a, Some(f.staff_a))).await;
        let now = Utc::now();
        pass(&s, &p, now + Duration::seconds(1)).await;
        assert_eq!(pass(&s, &p, now + Duration::minutes(11)).await.sent, 1);
        assert_eq!(texted("13800000001"), 2);
        s.post(
            &staff,
            "/api/v1/notifications/read",
            json!({"events": [{"task": t2, "task_seq": 2}]}),
        )
        .await
        .expect(200);
        let stopped = pass(&s, &p, now + Duration::minutes(21)).await;
        assert_eq!((stopped.read, stopped.sent), (1, 0), "{stopped:?}");
        assert_eq!(called("13800000001"), 1, "no call for the read one");
        assert!(
            !deliveries(&s, &sup, &t2, f.staff_a)
                .await
                .iter()
                .any(|(c, ..)| c == "voice"),
            "no voice record"
        );

        // 紧急: SMS at 30 minutes, never a call.
        let t3 = tid();
        s.ok(&sup, urgent(register(&t3, "路灯维修"), "urgent"))
            .await;
        s.ok(&sup, dispatch(&t3, f.unit_a, Some(f.staff_a))).await;
        let now = Utc::now();
        pass(&s, &p, now + Duration::seconds(1)).await;
        pass(&s, &p, now + Duration::minutes(31)).await;
        pass(&s, &p, now + Duration::hours(3)).await;
        assert_eq!(texted("13800000001"), 3, "紧急 has its SMS");
        assert_eq!(called("13800000001"), 1, "紧急 is never called");
        let queued = s
            .scalar(
                "SELECT COUNT(*) FROM jobs WHERE payload LIKE '%\"voice\"%'",
                vec![],
            )
            .await;
        assert_eq!(queued, 2, "only the two 特急 notices had a voice step");
    }
);

both!(
    a_dead_number_and_an_english_reader_are_on_the_record,
    |s: Server| async move {
        let f = s.fixture().await;
        set_policy(&s, loud).await;
        let (p, calls, _) = providers().await;
        // staff-a's number cannot be called; staff-a2 reads English.
        for (user, phone) in [(f.staff_a, "12345"), (f.staff_a2, "13800000005")] {
            s.state
                .db
                .exec(
                    "UPDATE users SET phone = $1 WHERE id = $2",
                    vec![Val::from(phone), Val::from(user.to_string())],
                )
                .await
                .expect("phone");
        }
        s.state
            .db
            .exec(
                "UPDATE users SET locale = 'en' WHERE id = $1",
                vec![Val::from(f.staff_a2.to_string())],
            )
            .await
            .expect("locale");
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, urgent(register(&t, "桥梁安全排查"), "extra_urgent"))
            .await;
        // To the unit: every member is told to receive it.
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
        let now = Utc::now();
        pass(&s, &p, now + Duration::minutes(21)).await;
        let records = deliveries(&s, &sup, &t, f.staff_a).await;
        assert!(
            records.contains(&(
                "voice".into(),
                "voice".into(),
                "dead".into(),
                "isv.MOBILE_NUMBER_ILLEGAL".into()
            )),
            "{records:?}"
        );
        let english = calls
            .lock()
            .unwrap()
            .calls
            .iter()
            .find(|q| q["CalledNumber"] == "13800000005")
            .cloned()
            .expect("staff-a2 called");
        assert_eq!(english["TtsCode"], TTS_EN);
        // Not answered: the page shows the last call's result.
        pass(&s, &p, now + Duration::minutes(24)).await;
        pass(&s, &p, now + Duration::minutes(26)).await;
        let records = deliveries(&s, &sup, &t, f.staff_a2).await;
        assert!(
            records
                .iter()
                .any(|(c, _, o, d)| c == "voice" && o == "sent" && d.ends_with("no_answer 200003")),
            "{records:?}"
        );
        let params: Value = serde_json::from_str(&english["TtsParam"]).unwrap();
        assert_eq!(params["kind"], "a new task for you");
        assert!(
            params["number"].as_str().unwrap().contains(" of 20"),
            "{params}"
        );
        // The office's delivery page shows the voice service and its last failure.
        let web = browser();
        let cookie = sign_in(&s, &web, "admin").await;
        let (status, page) = page(&web, &format!("{}/admin/delivery", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(page.contains("语音电话"), "{page}");
        assert!(page.contains("号码无法呼叫"), "{page}");
        assert!(page.contains("最近一次通话结果"), "{page}");

        // The policy's knob is on the rules page: 特急's call after 45 minutes, 紧急's after
        // 60, saved through the same path as the API.
        let (status, html) =
            crate::web::page(&web, &format!("{}/admin/policy", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(html.contains("特急通知未读几分钟后语音呼叫"), "{html}");
        let fields = policy_fields(
            &html,
            &[
                ("delivery.extra_urgent.voice_after_minutes", "45"),
                ("delivery.urgent.voice_after_minutes", "60"),
            ],
        );
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (status, _, _) = post_form(&s, &web, &cookie, "/admin/policy", &refs).await;
        assert_eq!(status, 303);
        let admin = s.login("admin").await;
        let policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        assert_eq!(
            policy["delivery"]["extra_urgent"]["voice_after_minutes"],
            45
        );
        assert_eq!(policy["delivery"]["urgent"]["voice_after_minutes"], 60);
        assert!(policy["delivery"]["normal"]["voice_after_minutes"].is_null());
        assert!(page.contains("未接听"), "{page}");
        assert!(page.contains("出站网络"), "{page}");
    }
);
