//! The Android vendors' push services against local endpoints written from their public
//! documentation (the pages cited in `push/xiaomi.rs`, `push/oppo.rs`, `push/vivo.rs`):
//! - Xiaomi MiPush: `Authorization: key=<AppSecret>`, the form-encoded `/v3/message/regid`
//!   with its required fields and length limits, Xiaomi's `{result, code, reason}` answers;
//! - OPPO PUSH: the SHA-256-signed `/server/v1/auth` (the signature and the timestamp's
//!   freshness checked here on their own), the `auth_token`, the unicast `message` JSON and
//!   OPPO's return codes;
//! - vivo push: the MD5-signed `/message/auth`, the `authToken` header, the `/message/send`
//!   JSON and vivo's result codes.
//!
//! Each endpoint answers the vendor's own bodies for a dead token, the day's quota and an
//! expired credential; a wrong secret is refused there, and the provider reports `Failed`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use duban_server::push::oppo::{Oppo, OppoApp};
use duban_server::push::vivo::{Vivo, VivoApp};
use duban_server::push::xiaomi::{Xiaomi, XiaomiApp};
use duban_server::push::{Message, Provider, PushError};
use md5::Digest as _;
use serde_json::{json, Value};

pub const XIAOMI_SECRET: &str = "xm+Secret/1234==";
const PACKAGE: &str = "cn.gov.duban.app";
const OPPO_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const OPPO_MASTER: &str = "m4ster-s3cret";
const VIVO_ID: u64 = 10004;
const VIVO_KEY: &str = "25509283-3767-4b9e-83fe-b6e55ac6243e";
pub const VIVO_SECRET: &str = "vivo-app-s3cret";

fn message(token: &str, urgent: bool) -> Message {
    Message {
        token: token.into(),
        title: "【紧急】督办通知".into(),
        body: "请于12月9日前办结:清理河道垃圾".into(),
        data: BTreeMap::from([
            (
                "notification".to_owned(),
                "0196a1d4-0000-7000-8000-00000000000a".to_owned(),
            ),
            (
                "task".to_owned(),
                "0196a1d4-0000-7000-8000-000000000001".to_owned(),
            ),
            ("kind".to_owned(), "new_duty".to_owned()),
        ]),
        urgent,
        collapse_id: Some("0196a1d4-0000-7000-8000-00000000000a".to_owned()),
    }
}

/// A message whose title and text are far over every vendor's limits.
fn long_message(token: &str) -> Message {
    Message {
        title: "关于".to_owned() + &"县域河道综合整治".repeat(12),
        body: "请各单位".to_owned() + &"按照县政府常务会议部署认真抓好落实,".repeat(20),
        ..message(token, false)
    }
}

fn form(body: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn is_retry_until_tomorrow(r: &Result<duban_server::push::Delivered, PushError>) -> bool {
    matches!(r, Err(PushError::Retry { after: Some(after), .. })
        if *after > Duration::ZERO && *after <= Duration::from_secs(24 * 3600))
}

// ----- Xiaomi -------------------------------------------------------------------------------

/// What the fake Xiaomi saw: each accepted form.
pub type XiaomiSeen = Arc<Mutex<Vec<BTreeMap<String, String>>>>;

fn xiaomi_error(code: i64, description: &str, reason: &str) -> Response {
    axum::Json(json!({
        "result": "error", "code": code, "description": description, "reason": reason,
        "trace_id": "Xcm60262621473762966Eb"
    }))
    .into_response()
}

async fn xiaomi_regid(
    State(seen): State<XiaomiSeen>,
    headers: HeaderMap,
    body: String,
) -> Response {
    // "Authorization: key=YOUR_APP_SECRET" — the word key in lower case.
    let auth = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if auth != format!("key={XIAOMI_SECRET}") {
        return xiaomi_error(21301, "认证失败", "Invalid application secret.");
    }
    let f = form(&body);
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    if field("restricted_package_name") != PACKAGE {
        return xiaomi_error(22022, "应用程序package name不合法", "Invalid package name.");
    }
    for required in [
        "registration_id",
        "payload",
        "title",
        "description",
        "extra.channel_id",
    ] {
        if field(required).trim().is_empty() {
            return xiaomi_error(10016, "缺失必选参数", &format!("{required} is missing"));
        }
    }
    // A notification (pass_through 0): title shorter than 50, description than 128.
    if field("pass_through") != "0"
        || field("title").chars().count() >= 50
        || field("description").chars().count() >= 128
    {
        return xiaomi_error(10017, "参数值非法", "title or description too long");
    }
    if serde_json::from_str::<Value>(field("payload")).is_err() {
        return xiaomi_error(10017, "参数值非法", "payload");
    }
    let token = field("registration_id").to_owned();
    let mut s = seen.lock().unwrap();
    s.push(f.clone());
    let n = s.len();
    match token.as_str() {
        "dead" => xiaomi_error(20301, "发送消息失败", "No valid targets!"),
        "quota" => xiaomi_error(10034, "应用当日发送消息数量过多", "Exceed daily quota."),
        "busy" => xiaomi_error(10002, "系统繁忙", "Server busy."),
        _ => axum::Json(json!({
            "result": "ok", "code": 0, "description": "成功",
            "info": "Received push messages for 1 REGID",
            "trace_id": format!("Xlm{n}"), "data": {"id": format!("slm{n}")}
        }))
        .into_response(),
    }
}

pub async fn fake_xiaomi() -> (String, XiaomiSeen) {
    let seen: XiaomiSeen = Arc::default();
    let app = Router::new()
        .route("/v3/message/regid", post(xiaomi_regid))
        .with_state(seen.clone());
    (serve(app).await, seen)
}

pub fn xiaomi(base: &str, secret: &str) -> Xiaomi {
    Xiaomi::new(
        XiaomiApp {
            app_secret: secret.into(),
            package: PACKAGE.into(),
            channel_id: "duban_work".into(),
        },
        base,
        reqwest::Client::new(),
    )
}

#[tokio::test]
async fn xiaomi_sends_a_notification_form_with_the_app_secret() {
    let (base, seen) = fake_xiaomi().await;
    let p = xiaomi(&base, XIAOMI_SECRET);
    assert_eq!(p.name(), "xiaomi");
    let d = p.send(&message("regid-1", true)).await.expect("delivered");
    assert_eq!(d.id, "slm1");
    p.send(&message("regid-2", false)).await.expect("delivered");
    let forms = seen.lock().unwrap().clone();
    let f = &forms[0];
    assert_eq!(f["registration_id"], "regid-1");
    assert_eq!(f["title"], "【紧急】督办通知");
    assert_eq!(f["description"], "请于12月9日前办结:清理河道垃圾");
    assert_eq!(f["extra.channel_id"], "duban_work");
    assert_eq!(f["extra.notify_effect"], "1", "a tap opens the app");
    assert_eq!(f["notify_type"], "-1", "urgent: sound, vibration and light");
    assert_eq!(forms[1]["notify_type"], "1");
    let payload: Value = serde_json::from_str(&f["payload"]).unwrap();
    assert_eq!(payload["task"], "0196a1d4-0000-7000-8000-000000000001");
    assert_eq!(payload["kind"], "new_duty");
    // The same notice sent again replaces the one shown.
    let id: i64 = f["notify_id"].parse().unwrap();
    assert!((0..=2_147_483_647).contains(&id));
    assert_eq!(forms[1]["notify_id"], f["notify_id"]);
}

#[tokio::test]
async fn xiaomi_tells_dead_ids_the_quota_busy_and_a_wrong_secret_apart() {
    let (base, seen) = fake_xiaomi().await;
    let p = xiaomi(&base, XIAOMI_SECRET);
    assert_eq!(
        p.send(&message("dead", false)).await,
        Err(PushError::DeadToken("20301".into()))
    );
    assert!(is_retry_until_tomorrow(
        &p.send(&message("quota", false)).await
    ));
    assert!(matches!(
        p.send(&message("busy", false)).await,
        Err(PushError::Retry { after: None, .. })
    ));
    let wrong = xiaomi(&base, "not-the-secret");
    match wrong.send(&message("regid-1", false)).await {
        Err(PushError::Failed(why)) => assert!(why.contains("21301"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        3,
        "the wrong secret got nowhere"
    );
}

#[tokio::test]
async fn xiaomi_clips_long_text_to_its_limits() {
    let (base, seen) = fake_xiaomi().await;
    let p = xiaomi(&base, XIAOMI_SECRET);
    p.send(&long_message("regid-1")).await.expect("delivered");
    let f = seen.lock().unwrap()[0].clone();
    assert_eq!(f["title"].chars().count(), 49);
    assert_eq!(f["description"].chars().count(), 127);
    assert!(f["title"].starts_with("关于县域河道") && f["title"].ends_with('…'));
}

// ----- OPPO ---------------------------------------------------------------------------------

#[derive(Default)]
pub struct OppoSeen {
    auths: usize,
    valid: Vec<String>,
    /// Every token is refused (as if revoked on OPPO's side).
    refuse_all: bool,
    /// Each accepted unicast: its `auth_token` header (if any) and the message.
    pub sends: Vec<(Option<String>, Value)>,
}

pub type OppoShared = Arc<Mutex<OppoSeen>>;

fn oppo_answer(code: i64, message: &str) -> Response {
    axum::Json(json!({"code": code, "message": message})).into_response()
}

/// OPPO's `sign`, computed here on its own: SHA-256 of appkey + timestamp + mastersecret,
/// lower-case hex.
fn oppo_expected_sign(app_key: &str, timestamp: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{app_key}{timestamp}{OPPO_MASTER}"));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn oppo_auth(State(seen): State<OppoShared>, body: String) -> Response {
    let f = form(&body);
    let Some(key) = f.get("app_key") else {
        return oppo_answer(15, "Missing App Key");
    };
    if key != OPPO_KEY {
        return oppo_answer(14, "Invalid App Key");
    }
    let Some(timestamp) = f.get("timestamp") else {
        return oppo_answer(18, "Missing Timestamp");
    };
    // "需要使用最近10分钟内的时间戳"
    match timestamp.parse::<i64>() {
        Ok(t) if (now_ms() - t).abs() <= 10 * 60 * 1000 => {}
        _ => return oppo_answer(19, "Invalid Timestamp"),
    }
    let Some(sign) = f.get("sign") else {
        return oppo_answer(17, "Missing Signature");
    };
    if *sign != oppo_expected_sign(key, timestamp) {
        return oppo_answer(16, "Invalid Signature");
    }
    let mut s = seen.lock().unwrap();
    s.auths += 1;
    let token = format!("oppo-token-{}", s.auths);
    s.valid.push(token.clone());
    axum::Json(json!({
        "code": 0, "message": "Success",
        "data": {"auth_token": token, "create_time": now_ms()}
    }))
    .into_response()
}

async fn oppo_unicast(
    State(seen): State<OppoShared>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let f = form(&body);
    // The documentation: auth_token is carried in the request body.
    let Some(token) = f.get("auth_token") else {
        return oppo_answer(29, "Missing Auth Token");
    };
    let header = headers
        .get("auth_token")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let mut s = seen.lock().unwrap();
    if s.refuse_all || !s.valid.contains(token) {
        return oppo_answer(11, "Invalid AuthToken");
    }
    let Some(message) = f
        .get("message")
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
    else {
        return oppo_answer(40, "Missing Required Arguments");
    };
    let n = &message["notification"];
    let title = n["title"].as_str().unwrap_or("");
    let content = n["content"].as_str().unwrap_or("");
    let target = message["target_value"].as_str().unwrap_or("");
    if target.is_empty() || title.is_empty() || content.is_empty() {
        return oppo_answer(40, "Missing Required Arguments");
    }
    // Title within 50 characters; content within 50 (standard style) or 128 (long text).
    let content_max = if n["style"] == 2 { 128 } else { 50 };
    if message["target_type"] != 2
        || title.chars().count() > 50
        || content.chars().count() > content_max
    {
        return oppo_answer(41, "Invalid Arguments");
    }
    // "使用notify_level参数时,category参数必传"
    if !n["notify_level"].is_null() && n["category"].as_str().unwrap_or("").is_empty() {
        return oppo_answer(
            67,
            "Category error/Private classify channel notify_level invalid",
        );
    }
    s.sends.push((header, message.clone()));
    match target {
        "dead" => oppo_answer(10000, "Invalid Registration_id"),
        "quota" => oppo_answer(33, "The number of messages exceeds the daily limit"),
        "busy" => oppo_answer(-2, "Service in Flow Control"),
        _ => axum::Json(json!({
            "code": 0, "message": "Success",
            "data": {"messageId": format!("ZngnvJIM7wQusNtbqYnpH6XX-1-1-{}", s.sends.len())}
        }))
        .into_response(),
    }
}

pub async fn fake_oppo() -> (String, OppoShared) {
    let seen: OppoShared = Arc::default();
    let app = Router::new()
        .route("/server/v1/auth", post(oppo_auth))
        .route(
            "/server/v1/message/notification/unicast",
            post(oppo_unicast),
        )
        .with_state(seen.clone());
    (serve(app).await, seen)
}

pub fn oppo(base: &str, master: &str) -> Oppo {
    oppo_with(base, master, None)
}

fn oppo_with(base: &str, master: &str, category: Option<&str>) -> Oppo {
    Oppo::new(
        OppoApp {
            app_key: OPPO_KEY.into(),
            master_secret: master.into(),
            channel_id: "duban_work".into(),
            category: category.map(str::to_owned),
        },
        base,
        reqwest::Client::new(),
    )
}

#[tokio::test]
async fn oppo_signs_in_once_and_sends_the_unicast_message() {
    let (base, seen) = fake_oppo().await;
    let p = oppo(&base, OPPO_MASTER);
    assert_eq!(p.name(), "oppo");
    let d = p
        .send(&message("CN_regid-1", true))
        .await
        .expect("delivered");
    assert_eq!(d.id, "ZngnvJIM7wQusNtbqYnpH6XX-1-1-1");
    p.send(&message("CN_regid-2", false))
        .await
        .expect("delivered");
    let s = seen.lock().unwrap();
    assert_eq!(s.auths, 1, "the second send reuses the auth token");
    let (header, m) = &s.sends[0];
    assert_eq!(header.as_deref(), Some("oppo-token-1"));
    assert_eq!(m["target_type"], 2);
    assert_eq!(m["target_value"], "CN_regid-1");
    let n = &m["notification"];
    assert_eq!(n["title"], "【紧急】督办通知");
    assert_eq!(n["content"], "请于12月9日前办结:清理河道垃圾");
    assert_eq!(n["channel_id"], "duban_work");
    assert_eq!(n["click_action_type"], 0);
    assert_eq!(
        n["app_message_id"], "0196a1d4-0000-7000-8000-00000000000a",
        "OPPO sends one unicast per app_message_id and target"
    );
    let params: Value = serde_json::from_str(n["action_parameters"].as_str().unwrap()).unwrap();
    assert_eq!(params["task"], "0196a1d4-0000-7000-8000-000000000001");
    assert!(n["category"].is_null() && n["notify_level"].is_null());
}

#[tokio::test]
async fn oppo_marks_urgent_notices_for_the_lock_screen_within_the_category() {
    let (base, seen) = fake_oppo().await;
    let p = oppo_with(&base, OPPO_MASTER, Some("TODO"));
    p.send(&message("CN_regid-1", true))
        .await
        .expect("delivered");
    p.send(&message("CN_regid-2", false))
        .await
        .expect("delivered");
    let token = {
        let s = seen.lock().unwrap();
        let urgent = &s.sends[0].1["notification"];
        assert_eq!(urgent["category"], "TODO");
        assert_eq!(urgent["notify_level"], 2);
        let normal = &s.sends[1].1["notification"];
        assert_eq!(normal["category"], "TODO");
        assert!(normal["notify_level"].is_null());
        s.valid[0].clone()
    };
    // The endpoint refuses a notify_level without a category.
    let bare = json!({"target_type": 2, "target_value": "CN_x",
        "notification": {"title": "t", "content": "c", "notify_level": 2}});
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/server/v1/message/notification/unicast"))
        .form(&[
            ("auth_token", token.as_str()),
            ("message", &bare.to_string()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["code"], 67, "{answer}");
}

#[tokio::test]
async fn oppo_refreshes_an_expired_token_once() {
    let (base, seen) = fake_oppo().await;
    let p = oppo(&base, OPPO_MASTER);
    p.send(&message("CN_regid-1", false))
        .await
        .expect("delivered");
    // OPPO forgets the token: code 11, one new token, delivered.
    seen.lock().unwrap().valid.clear();
    p.send(&message("CN_regid-1", false))
        .await
        .expect("delivered after a refresh");
    assert_eq!(seen.lock().unwrap().auths, 2);
    // Refused again after the refresh: no loop, a failure.
    seen.lock().unwrap().refuse_all = true;
    assert!(matches!(
        p.send(&message("CN_regid-1", false)).await,
        Err(PushError::Failed(_))
    ));
    assert_eq!(seen.lock().unwrap().auths, 3, "exactly one refresh");
}

#[tokio::test]
async fn oppo_tells_dead_ids_the_quota_flow_control_and_a_wrong_secret_apart() {
    let (base, seen) = fake_oppo().await;
    let p = oppo(&base, OPPO_MASTER);
    assert_eq!(
        p.send(&message("dead", false)).await,
        Err(PushError::DeadToken("10000".into()))
    );
    assert!(is_retry_until_tomorrow(
        &p.send(&message("quota", false)).await
    ));
    assert!(matches!(
        p.send(&message("busy", false)).await,
        Err(PushError::Retry { after: None, .. })
    ));
    let wrong = oppo(&base, "not-the-master-secret");
    match wrong.send(&message("CN_regid-1", false)).await {
        Err(PushError::Failed(why)) => assert!(why.contains("16"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().auths, 1, "the wrong sign got no token");
}

#[tokio::test]
async fn the_oppo_endpoint_refuses_a_stale_timestamp_and_a_missing_field() {
    let (base, _seen) = fake_oppo().await;
    let http = reqwest::Client::new();
    let auth = |timestamp: String| {
        let sign = oppo_expected_sign(OPPO_KEY, &timestamp);
        http.post(format!("{base}/server/v1/auth"))
            .form(&[
                ("app_key", OPPO_KEY),
                ("timestamp", &timestamp),
                ("sign", &sign),
            ])
            .send()
    };
    let fresh: Value = auth(now_ms().to_string())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fresh["code"], 0, "{fresh}");
    let stale: Value = auth((now_ms() - 11 * 60 * 1000).to_string())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stale["code"], 19, "{stale}");
    let token = fresh["data"]["auth_token"].as_str().unwrap();
    let no_title =
        json!({"target_type": 2, "target_value": "CN_x", "notification": {"content": "x"}});
    let answer: Value = http
        .post(format!("{base}/server/v1/message/notification/unicast"))
        .form(&[("auth_token", token), ("message", &no_title.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["code"], 40, "{answer}");
}

#[tokio::test]
async fn oppo_clips_long_text_to_its_limits() {
    let (base, seen) = fake_oppo().await;
    let p = oppo(&base, OPPO_MASTER);
    p.send(&long_message("CN_regid-1"))
        .await
        .expect("delivered");
    let m = seen.lock().unwrap().sends[0].1.clone();
    let n = &m["notification"];
    assert_eq!(n["title"].as_str().unwrap().chars().count(), 50);
    assert_eq!(n["content"].as_str().unwrap().chars().count(), 128);
}

// ----- vivo ---------------------------------------------------------------------------------

#[derive(Default)]
pub struct VivoSeen {
    auths: usize,
    valid: Vec<String>,
    /// Each accepted send's body.
    pub sends: Vec<Value>,
}

pub type VivoShared = Arc<Mutex<VivoSeen>>;

fn vivo_answer(result: i64, desc: &str) -> Response {
    axum::Json(json!({"result": result, "desc": desc})).into_response()
}

/// vivo's `sign`, computed here on its own: MD5 of appId + appKey + timestamp + appSecret,
/// lower-case hex.
fn vivo_expected_sign(app_id: u64, app_key: &str, timestamp: i64) -> String {
    let digest = md5::Md5::digest(format!("{app_id}{app_key}{timestamp}{VIVO_SECRET}"));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn vivo_auth(State(seen): State<VivoShared>, axum::Json(b): axum::Json<Value>) -> Response {
    let Some(app_id) = b["appId"].as_u64() else {
        return vivo_answer(10200, "appId不能为空");
    };
    let Some(app_key) = b["appKey"].as_str() else {
        return vivo_answer(10201, "appKey不能为空");
    };
    let Some(timestamp) = b["timestamp"].as_i64() else {
        return vivo_answer(10203, "timestamp不能为空");
    };
    let Some(sign) = b["sign"].as_str() else {
        return vivo_answer(10204, "sign不能为空");
    };
    if app_id != VIVO_ID || app_key != VIVO_KEY {
        return vivo_answer(10205, "appId或appKey不合法");
    }
    // Within ten minutes of vivo's clock.
    if (now_ms() - timestamp).abs() > 10 * 60 * 1000 {
        return vivo_answer(10207, "timestamp不合法");
    }
    if sign != vivo_expected_sign(app_id, app_key, timestamp) {
        return vivo_answer(10206, "sign不合法");
    }
    let mut s = seen.lock().unwrap();
    s.auths += 1;
    let token = format!("vivo-token-{}", s.auths);
    s.valid.push(token.clone());
    axum::Json(json!({"result": 0, "desc": "请求成功", "authToken": token})).into_response()
}

async fn vivo_send(
    State(seen): State<VivoShared>,
    headers: HeaderMap,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    let token = headers
        .get("authToken")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let mut s = seen.lock().unwrap();
    if !s.valid.iter().any(|t| t == token) {
        return vivo_answer(10000, "权限认证失败");
    }
    if b["appId"].as_u64() != Some(VIVO_ID) {
        return vivo_answer(10094, "appId与鉴权信息不一致");
    }
    let reg = b["regId"].as_str().unwrap_or("");
    let title = b["title"].as_str().unwrap_or("");
    let content = b["content"].as_str().unwrap_or("");
    let request_id = b["requestId"].as_str().unwrap_or("");
    if reg.is_empty() {
        return vivo_answer(10050, "alias和regId不能都为空");
    }
    if title.is_empty() || title.chars().count() > 40 {
        return vivo_answer(10053, "title不合法");
    }
    if content.is_empty() || content.chars().count() > 100 {
        return vivo_answer(10055, "content不合法");
    }
    let in_range =
        |k: &str, r: std::ops::RangeInclusive<i64>| b[k].as_i64().is_some_and(|v| r.contains(&v));
    if !in_range("notifyType", 1..=4) || !in_range("skipType", 1..=4) {
        return vivo_answer(10052, "notifyType或skipType不合法");
    }
    if request_id.is_empty() || request_id.chars().count() > 64 {
        return vivo_answer(10065, "requestId不合法");
    }
    // A category is upper case and belongs to the class `classification` names (10097);
    // the system class's categories, from vivo's classification rules.
    if let Some(category) = b["category"].as_str() {
        const SYSTEM: &[&str] = &[
            "IM",
            "ACCOUNT",
            "TODO",
            "DEVICE_REMINDER",
            "ORDER",
            "SUBSCRIPTION",
        ];
        if category.to_uppercase() != category {
            return vivo_answer(10096, "category不合法");
        }
        if b["classification"] == 1 && !SYSTEM.contains(&category) {
            return vivo_answer(10097, "category与classification不匹配");
        }
    }
    s.sends.push(b.clone());
    match reg {
        "dead" => vivo_answer(10302, "regId 不合法"),
        "quota" => vivo_answer(10070, "发送总量超出限制"),
        "uninstalled" => axum::Json(json!({
            "result": 0, "desc": "请求成功", "taskId": "1",
            "invalidUser": {"userid": "uninstalled", "status": 2}
        }))
        .into_response(),
        _ => axum::Json(json!({
            "result": 0, "desc": "请求成功", "taskId": format!("62013{}", s.sends.len())
        }))
        .into_response(),
    }
}

pub async fn fake_vivo() -> (String, VivoShared) {
    let seen: VivoShared = Arc::default();
    let app = Router::new()
        .route("/message/auth", post(vivo_auth))
        .route("/message/send", post(vivo_send))
        .with_state(seen.clone());
    (serve(app).await, seen)
}

pub fn vivo(base: &str, secret: &str) -> Vivo {
    Vivo::new(
        VivoApp {
            app_id: VIVO_ID,
            app_key: VIVO_KEY.into(),
            app_secret: secret.into(),
            category: Some("TODO".into()),
        },
        base,
        reqwest::Client::new(),
    )
}

#[tokio::test]
async fn vivo_signs_in_once_and_sends_a_system_message() {
    let (base, seen) = fake_vivo().await;
    let p = vivo(&base, VIVO_SECRET);
    assert_eq!(p.name(), "vivo");
    let d = p.send(&message("regid-1", true)).await.expect("delivered");
    assert_eq!(d.id, "620131");
    p.send(&message("regid-2", false)).await.expect("delivered");
    let s = seen.lock().unwrap();
    assert_eq!(s.auths, 1, "the second send reuses the auth token");
    let b = &s.sends[0];
    assert_eq!(b["regId"], "regid-1");
    assert_eq!(b["classification"], 1, "a system message, not marketing");
    assert_eq!(b["category"], "TODO");
    assert_eq!(b["notifyType"], 4, "urgent: ring and vibrate");
    assert_eq!(s.sends[1]["notifyType"], 2);
    assert_eq!(b["skipType"], 1);
    assert_eq!(b["title"], "【紧急】督办通知");
    assert_eq!(b["requestId"], "0196a1d4-0000-7000-8000-00000000000a");
    assert_eq!(
        b["clientCustomMap"]["task"],
        "0196a1d4-0000-7000-8000-000000000001"
    );
    assert_eq!(b["notifyId"], s.sends[1]["notifyId"], "a repeat replaces");
}

#[tokio::test]
async fn vivo_refreshes_an_expired_token_once_and_tells_errors_apart() {
    let (base, seen) = fake_vivo().await;
    let p = vivo(&base, VIVO_SECRET);
    p.send(&message("regid-1", false)).await.expect("delivered");
    seen.lock().unwrap().valid.clear();
    p.send(&message("regid-1", false))
        .await
        .expect("delivered after a refresh");
    assert_eq!(seen.lock().unwrap().auths, 2);
    assert_eq!(
        p.send(&message("dead", false)).await,
        Err(PushError::DeadToken("10302".into()))
    );
    assert_eq!(
        p.send(&message("uninstalled", false)).await,
        Err(PushError::DeadToken("invalidUser 2".into()))
    );
    assert!(is_retry_until_tomorrow(
        &p.send(&message("quota", false)).await
    ));
    let wrong = vivo(&base, "not-the-secret");
    match wrong.send(&message("regid-1", false)).await {
        Err(PushError::Failed(why)) => assert!(why.contains("10206"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().auths, 2, "the wrong sign got no token");
}

#[tokio::test]
async fn sends_refused_together_fetch_one_new_token() {
    let (base, seen) = fake_vivo().await;
    let p = vivo(&base, VIVO_SECRET);
    p.send(&message("regid-0", false)).await.expect("delivered");
    // The token expires under six sends at once: each is refused, one new token serves all.
    seen.lock().unwrap().valid.clear();
    let messages: Vec<Message> = (1..=6)
        .map(|i| message(&format!("regid-{i}"), false))
        .collect();
    let results = futures_util::future::join_all(messages.iter().map(|m| p.send(m))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(seen.lock().unwrap().auths, 2, "one new token, not six");
}

#[tokio::test]
async fn vivo_clips_long_text_to_its_limits() {
    let (base, seen) = fake_vivo().await;
    let p = vivo(&base, VIVO_SECRET);
    p.send(&long_message("regid-1")).await.expect("delivered");
    let b = seen.lock().unwrap().sends[0].clone();
    assert_eq!(b["title"].as_str().unwrap().chars().count(), 40);
    assert_eq!(b["content"].as_str().unwrap().chars().count(), 100);
}

// ----- Through the server -------------------------------------------------------------------

mod end_to_end {
    use super::*;
    use crate::notify::{loud, set_policy, urgent};
    use crate::support::*;
    use duban_server::notify::deliver_due;
    use duban_server::push::Providers;

    both!(
        a_person_with_a_xiaomi_phone_gets_the_dispatch_through_mipush,
        |s: Server| async move {
            let f = s.fixture().await;
            set_policy(&s, loud).await;
            let (base, seen) = fake_xiaomi().await;
            let p = Providers {
                xiaomi: Some(Arc::new(xiaomi(&base, XIAOMI_SECRET))),
                ..Providers::default()
            };
            let staff = s.login("staff-a").await;
            s.call(
                reqwest::Method::PUT,
                "/api/v1/devices/current",
                Some(&staff),
                Some(json!({"platform": "android", "provider": "xiaomi", "token": "mi-regid-a", "app_version": "1.0"})),
            )
            .await
            .expect(200);
            // Xiaomi's push serves Android only.
            s.call(
                reqwest::Method::PUT,
                "/api/v1/devices/current",
                Some(&staff),
                Some(json!({"platform": "ios", "provider": "xiaomi", "token": "x", "app_version": "1.0"})),
            )
            .await
            .error(422, "device.invalid");
            let sup = s.login("supervisor").await;
            let t = tid();
            s.ok(&sup, urgent(register(&t, "清理河道垃圾"), "urgent"))
                .await;
            s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
            let report = deliver_due(
                &s.state,
                &p,
                chrono::Utc::now() + chrono::Duration::seconds(1),
            )
            .await
            .expect("deliver");
            assert_eq!(report.sent, 1, "{report:?}");
            let inbox = s.get(&staff, "/api/v1/notifications").await.expect(200);
            let id = inbox["items"][0]["id"].as_str().unwrap().to_owned();
            let forms = seen.lock().unwrap().clone();
            assert_eq!(forms.len(), 1);
            assert_eq!(forms[0]["registration_id"], "mi-regid-a");
            assert_eq!(forms[0]["title"], "【紧急】督办通知");
            assert_eq!(forms[0]["notify_type"], "-1");
            let payload: Value = serde_json::from_str(&forms[0]["payload"]).unwrap();
            assert_eq!(payload["notification"], json!(id));
            assert_eq!(payload["task"], json!(t));
            let trace = s
                .get(&sup, &format!("/api/v1/tasks/{t}/notifications"))
                .await
                .expect(200);
            let to_staff = trace
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["person"] == json!(f.staff_a))
                .expect("staff's")
                .clone();
            assert_eq!(
                to_staff["deliveries"][0]["provider"], "xiaomi",
                "{to_staff}"
            );
            assert_eq!(to_staff["deliveries"][0]["outcome"], "sent", "{to_staff}");
        }
    );
}
