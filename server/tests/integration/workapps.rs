//! DingTalk and WeCom, as delivery channels and as sign-in, against local endpoints written
//! from their public documentation (open.dingtalk.com, developer.work.weixin.qq.com; the
//! pages are cited in `server/src/workapp/`):
//!
//! - `gettoken` checks the app's key and secret (DingTalk `appkey`/`appsecret`, WeCom
//!   `corpid`/`corpsecret`) and issues tokens that expire; every API checks the token
//!   (unknown: 40014, expired: 42001, the real bodies), the fields it requires, and answers
//!   the vendor's real error bodies for an unknown user, a frequency limit and a bad code;
//! - the work notification and the application message carry the item's link through the
//!   sign-in route; errors map to the push outcomes;
//! - people are bound by the import, by mobile, and at their first sign-in;
//! - 免登 with a DingTalk code and a WeCom code signs in the bound person and refuses
//!   anyone else with a clear page; the state guards the round trips; QR sign-in on the PC;
//! - end to end: a dispatch reaches the bound person's DingTalk with the link, and a read on
//!   the web stops a later work step.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use duban_server::push::{Message, Provider, PushError};
use duban_server::workapp::dingtalk::{self, DingTalk, DingTalkApp};
use duban_server::workapp::wecom::{self, WeCom, WeComApp};
use serde_json::{json, Value};

use crate::support::*;

pub const PUBLIC: &str = "https://duban.example.gov.cn";
const DT_KEY: &str = "dingabcdefg123";
pub const DT_SECRET: &str = "dt-secret-0123456789";
const DT_AGENT: i64 = 2_900_000_001;
const DT_CORP: &str = "ding00corp";
const WC_CORP: &str = "ww00corp";
pub const WC_SECRET: &str = "wc-secret-0123456789";
const WC_AGENT: i64 = 1_000_002;

/// A local DingTalk or WeCom: its members, the codes it issued, what it was sent.
#[derive(Default)]
pub struct Fake {
    /// Tokens issued and when they expire.
    tokens: HashMap<String, Instant>,
    /// Token requests seen.
    pub token_requests: usize,
    /// Lifetime of new tokens.
    expires_in: u64,
    /// userid → mobile (if the app may read it).
    pub members: HashMap<String, Option<String>>,
    /// 免登 / OAuth codes → userid (each usable once).
    pub codes: HashMap<String, String>,
    /// DingTalk QR authCodes → unionId; unionId → userid.
    pub auth_codes: HashMap<String, String>,
    pub unions: HashMap<String, String>,
    /// The next API call answers the frequency limit.
    pub busy_once: bool,
    /// Every token issued so far is expired from now on.
    pub expire_all: bool,
    /// Message bodies accepted.
    pub sends: Vec<Value>,
}

pub type Shared = Arc<Mutex<Fake>>;

fn fake(expires_in: u64) -> Shared {
    Arc::new(Mutex::new(Fake {
        expires_in,
        ..Fake::default()
    }))
}

/// Issues a token.
fn issue(f: &mut Fake, prefix: &str) -> Value {
    f.token_requests += 1;
    let token = format!("{prefix}-{}", f.token_requests);
    f.tokens.insert(
        token.clone(),
        Instant::now() + Duration::from_secs(f.expires_in),
    );
    json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": f.expires_in})
}

/// `None` if the query's access token is good; else the vendor's answer (DingTalk and WeCom
/// share these codes: 40014 invalid, 42001 expired; WeCom's 41001 missing).
fn bad_token(f: &Fake, q: &HashMap<String, String>, wecom: bool) -> Option<Value> {
    let Some(token) = q.get("access_token").filter(|t| !t.is_empty()) else {
        return Some(if wecom {
            json!({"errcode": 41001, "errmsg": "access_token missing"})
        } else {
            json!({"errcode": 40014, "errmsg": "不合法的access_token"})
        });
    };
    match f.tokens.get(token) {
        None => Some(if wecom {
            json!({"errcode": 40014, "errmsg": "invalid access_token"})
        } else {
            json!({"errcode": 40014, "errmsg": "不合法的access_token"})
        }),
        Some(until) if f.expire_all || Instant::now() >= *until => Some(if wecom {
            json!({"errcode": 42001, "errmsg": "access_token expired"})
        } else {
            json!({"errcode": 42001, "errmsg": "access_token超时"})
        }),
        Some(_) => None,
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

// ----- DingTalk --------------------------------------------------------------------------

type Q = Query<HashMap<String, String>>;

async fn dt_gettoken(State(f): State<Shared>, Query(q): Q) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if q.get("appkey").map(String::as_str) != Some(DT_KEY)
        || q.get("appsecret").map(String::as_str) != Some(DT_SECRET)
    {
        return Json(json!({"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}));
    }
    f.expire_all = false;
    Json(issue(&mut f, "dt"))
}

/// The token check and the frequency limit every DingTalk API shares.
fn dt_guard(f: &mut Fake, q: &HashMap<String, String>) -> Option<Value> {
    if let Some(bad) = bad_token(f, q, false) {
        return Some(bad);
    }
    if std::mem::take(&mut f.busy_once) {
        return Some(
            json!({"errcode": 90018, "errmsg": "当前企业调用该接口的次数超过了限制,请稍后重试"}),
        );
    }
    None
}

async fn dt_send(State(f): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = dt_guard(&mut f, &q) {
        return Json(bad);
    }
    if body["agent_id"].as_i64() != Some(DT_AGENT) {
        return Json(json!({"errcode": 40035, "errmsg": "缺少参数 agent_id"}));
    }
    let users = str_of(&body, "userid_list");
    if users.is_empty() {
        return Json(json!({"errcode": 40035, "errmsg": "缺少参数 userid_list"}));
    }
    let msg = &body["msg"];
    if str_of(msg, "msgtype") != "action_card" {
        return Json(json!({"errcode": 40035, "errmsg": "不合法的参数 msgtype"}));
    }
    let card = &msg["action_card"];
    for field in ["title", "markdown", "single_title", "single_url"] {
        if str_of(card, field).is_empty() {
            return Json(json!({"errcode": 40035, "errmsg": format!("缺少参数 {field}")}));
        }
    }
    if users.split(',').any(|u| !f.members.contains_key(u)) {
        return Json(json!({"errcode": 33012, "errmsg": "无效的USERID"}));
    }
    f.sends.push(body.clone());
    Json(
        json!({"errcode": 0, "errmsg": "ok", "task_id": 256_271_667_526_i64 + f.sends.len() as i64, "request_id": "4jzllmte0wau"}),
    )
}

async fn dt_getbymobile(
    State(f): State<Shared>,
    Query(q): Q,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = dt_guard(&mut f, &q) {
        return Json(bad);
    }
    let mobile = str_of(&body, "mobile");
    match f
        .members
        .iter()
        .find(|(_, m)| m.as_deref() == Some(mobile) && !mobile.is_empty())
    {
        Some((id, _)) => Json(
            json!({"errcode": 0, "errmsg": "ok", "result": {"userid": id}, "request_id": "r1"}),
        ),
        None => Json(json!({"errcode": 60121, "errmsg": "找不到该用户", "request_id": "r1"})),
    }
}

async fn dt_getuserinfo(
    State(f): State<Shared>,
    Query(q): Q,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = dt_guard(&mut f, &q) {
        return Json(bad);
    }
    match f.codes.remove(str_of(&body, "code")) {
        Some(id) => Json(json!({"errcode": 0, "errmsg": "ok", "result": {
            "userid": id, "device_id": "d1", "sys": false, "sys_level": 0,
            "associated_unionid": "", "unionid": format!("u-{id}"), "name": "某人"
        }, "request_id": "r2"})),
        None => Json(json!({"errcode": 40078, "errmsg": "不存在的临时授权码", "request_id": "r2"})),
    }
}

async fn dt_user_get(State(f): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = dt_guard(&mut f, &q) {
        return Json(bad);
    }
    let id = str_of(&body, "userid");
    match f.members.get(id) {
        Some(mobile) => {
            let mut result = json!({"userid": id, "name": "某人", "active": true});
            if let Some(m) = mobile {
                result["mobile"] = json!(m);
                result["state_code"] = json!("86");
            }
            Json(json!({"errcode": 0, "errmsg": "ok", "result": result, "request_id": "r3"}))
        }
        None => Json(json!({"errcode": 60121, "errmsg": "找不到该用户", "request_id": "r3"})),
    }
}

async fn dt_getbyunionid(
    State(f): State<Shared>,
    Query(q): Q,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = dt_guard(&mut f, &q) {
        return Json(bad);
    }
    match f.unions.get(str_of(&body, "unionid")) {
        Some(id) => Json(
            json!({"errcode": 0, "errmsg": "ok", "result": {"contact_type": 0, "userid": id}, "request_id": "r4"}),
        ),
        None => Json(json!({"errcode": 60121, "errmsg": "找不到该用户", "request_id": "r4"})),
    }
}

async fn dt_user_token(State(f): State<Shared>, Json(body): Json<Value>) -> Response {
    let mut f = f.lock().unwrap();
    if str_of(&body, "clientId") != DT_KEY || str_of(&body, "clientSecret") != DT_SECRET {
        return (StatusCode::BAD_REQUEST, Json(json!({"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret", "requestid": "q1"}))).into_response();
    }
    if str_of(&body, "grantType") != "authorization_code" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "MissingParameter", "message": "grantType", "requestid": "q1"})),
        )
            .into_response();
    }
    match f.auth_codes.remove(str_of(&body, "code")) {
        Some(union) => Json(json!({"accessToken": format!("ut-{union}"), "refreshToken": "rt", "expireIn": 7200, "corpId": DT_CORP})).into_response(),
        None => (StatusCode::BAD_REQUEST, Json(json!({"code": "invalidAuthCode", "message": "不合法的临时授权码", "requestid": "q1"}))).into_response(),
    }
}

async fn dt_me(State(f): State<Shared>, headers: HeaderMap) -> Response {
    let f = f.lock().unwrap();
    let token = headers
        .get("x-acs-dingtalk-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match token.strip_prefix("ut-").filter(|u| f.unions.contains_key(*u)) {
        Some(union) => Json(json!({"nick": "某人", "unionId": union, "openId": "o1", "stateCode": "86"})).into_response(),
        None => (StatusCode::UNAUTHORIZED, Json(json!({"code": "InvalidAuthentication", "message": "不合法的access_token", "requestid": "q2"}))).into_response(),
    }
}

/// A local DingTalk: its base URL (the oapi, the new API and the login page all at it).
pub async fn fake_dingtalk(expires_in: u64) -> (String, Shared) {
    let f = fake(expires_in);
    let app = Router::new()
        .route("/gettoken", get(dt_gettoken))
        .route(
            "/topapi/message/corpconversation/asyncsend_v2",
            post(dt_send),
        )
        .route("/topapi/v2/user/getbymobile", post(dt_getbymobile))
        .route("/topapi/v2/user/getuserinfo", post(dt_getuserinfo))
        .route("/topapi/v2/user/get", post(dt_user_get))
        .route("/topapi/user/getbyunionid", post(dt_getbyunionid))
        .route("/v1.0/oauth2/userAccessToken", post(dt_user_token))
        .route("/v1.0/contact/users/me", get(dt_me))
        .with_state(f.clone());
    (serve(app).await, f)
}

// ----- WeCom -----------------------------------------------------------------------------

async fn wc_gettoken(State(f): State<Shared>, Query(q): Q) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if q.get("corpid").map(String::as_str) != Some(WC_CORP) {
        return Json(json!({"errcode": 40013, "errmsg": "invalid corpid"}));
    }
    if q.get("corpsecret").map(String::as_str) != Some(WC_SECRET) {
        return Json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    f.expire_all = false;
    Json(issue(&mut f, "wc"))
}

fn wc_guard(f: &mut Fake, q: &HashMap<String, String>) -> Option<Value> {
    if let Some(bad) = bad_token(f, q, true) {
        return Some(bad);
    }
    if std::mem::take(&mut f.busy_once) {
        return Some(json!({"errcode": 45009, "errmsg": "api freq out of limit"}));
    }
    None
}

async fn wc_send(State(f): State<Shared>, Query(q): Q, Json(body): Json<Value>) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = wc_guard(&mut f, &q) {
        return Json(bad);
    }
    if body["agentid"].as_i64() != Some(WC_AGENT) {
        return Json(json!({"errcode": 40056, "errmsg": "invalid agentid"}));
    }
    if str_of(&body, "msgtype") != "textcard" {
        return Json(json!({"errcode": 40008, "errmsg": "invalid message type"}));
    }
    let card = &body["textcard"];
    for field in ["title", "description", "url"] {
        if str_of(card, field).is_empty() {
            return Json(json!({"errcode": 41016, "errmsg": format!("missing {field}")}));
        }
    }
    let touser = str_of(&body, "touser");
    let invalid: Vec<&str> = touser
        .split('|')
        .filter(|u| !f.members.contains_key(*u))
        .collect();
    if touser.is_empty() || invalid.len() == touser.split('|').count() {
        return Json(
            json!({"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": invalid.join("|").to_lowercase()}),
        );
    }
    f.sends.push(body.clone());
    Json(
        json!({"errcode": 0, "errmsg": "ok", "invaliduser": invalid.join("|").to_lowercase(), "invalidparty": "", "invalidtag": "", "unlicenseduser": "", "msgid": format!("msg{}", f.sends.len()), "response_code": ""}),
    )
}

async fn wc_getuserid(
    State(f): State<Shared>,
    Query(q): Q,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = wc_guard(&mut f, &q) {
        return Json(bad);
    }
    let mobile = str_of(&body, "mobile");
    match f
        .members
        .iter()
        .find(|(_, m)| m.as_deref() == Some(mobile) && !mobile.is_empty())
    {
        Some((id, _)) => Json(json!({"errcode": 0, "errmsg": "ok", "userid": id})),
        None => Json(json!({"errcode": 46004, "errmsg": "user no exist"})),
    }
}

async fn wc_getuserinfo(State(f): State<Shared>, Query(q): Q) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = wc_guard(&mut f, &q) {
        return Json(bad);
    }
    match q.get("code").and_then(|c| f.codes.remove(c)) {
        Some(id) => Json(json!({"errcode": 0, "errmsg": "ok", "userid": id})),
        None => Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
}

async fn wc_user_get(State(f): State<Shared>, Query(q): Q) -> Json<Value> {
    let mut f = f.lock().unwrap();
    if let Some(bad) = wc_guard(&mut f, &q) {
        return Json(bad);
    }
    let id = q.get("userid").cloned().unwrap_or_default();
    match f.members.get(&id) {
        Some(mobile) => {
            let mut v = json!({"errcode": 0, "errmsg": "ok", "userid": id, "name": "某人", "department": [1]});
            if let Some(m) = mobile {
                v["mobile"] = json!(m);
            }
            Json(v)
        }
        None => Json(json!({"errcode": 60111, "errmsg": "invalid userid"})),
    }
}

/// A local WeCom: its base URL.
pub async fn fake_wecom(expires_in: u64) -> (String, Shared) {
    let f = fake(expires_in);
    let app = Router::new()
        .route("/cgi-bin/gettoken", get(wc_gettoken))
        .route("/cgi-bin/message/send", post(wc_send))
        .route("/cgi-bin/user/getuserid", post(wc_getuserid))
        .route("/cgi-bin/auth/getuserinfo", get(wc_getuserinfo))
        .route("/cgi-bin/user/get", get(wc_user_get))
        .with_state(f.clone());
    (serve(app).await, f)
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}")
}

// ----- the clients -----------------------------------------------------------------------

pub fn dingtalk_client(base: &str, secret: &str) -> DingTalk {
    DingTalk::new(
        DingTalkApp {
            app_key: DT_KEY.into(),
            app_secret: secret.into(),
            agent_id: DT_AGENT,
            corp_id: DT_CORP.into(),
        },
        dingtalk::Endpoints {
            oapi: base.into(),
            api: base.into(),
            login: base.into(),
        },
        PUBLIC.into(),
        reqwest::Client::new(),
    )
}

pub fn wecom_client(base: &str, secret: &str) -> WeCom {
    WeCom::new(
        WeComApp {
            corp_id: WC_CORP.into(),
            agent_id: WC_AGENT,
            secret: secret.into(),
        },
        wecom::Endpoints {
            api: base.into(),
            oauth: base.into(),
            login: base.into(),
        },
        PUBLIC.into(),
        reqwest::Client::new(),
    )
}

fn notice(to: &str, task: &str) -> Message {
    Message {
        token: to.into(),
        title: "【紧急】督办通知".into(),
        body: "请办理:清理河道垃圾".into(),
        data: [
            ("task".to_owned(), task.to_owned()),
            ("button".to_owned(), "查看详情".to_owned()),
        ]
        .into_iter()
        .collect(),
        urgent: true,
        collapse_id: Some("n1".into()),
    }
}

/// Adds a member to a local DingTalk or WeCom (its address book): `id`, with `mobile` if
/// the app may read it.
pub fn member(f: &Shared, id: &str, mobile: Option<&str>) {
    f.lock()
        .unwrap()
        .members
        .insert(id.into(), mobile.map(str::to_owned));
}

#[tokio::test]
async fn a_dingtalk_work_notification_carries_the_item_link() {
    let (base, f) = fake_dingtalk(7200).await;
    member(&f, "u100", None);
    let d = dingtalk_client(&base, DT_SECRET);
    let sent = d.send(&notice("u100", "t-1")).await.expect("sent");
    assert!(!sent.id.is_empty());
    let body = f.lock().unwrap().sends[0].clone();
    assert_eq!(body["agent_id"], json!(DT_AGENT));
    assert_eq!(body["userid_list"], "u100");
    let card = &body["msg"]["action_card"];
    assert_eq!(body["msg"]["msgtype"], "action_card");
    assert_eq!(card["title"], "【紧急】督办通知");
    assert!(card["markdown"].as_str().unwrap().contains("清理河道垃圾"));
    assert_eq!(card["single_title"], "查看详情");
    assert_eq!(
        card["single_url"],
        format!("{PUBLIC}/sso/dingtalk?next=%2Fitems%2Ft-1"),
        "the link opens the item through 免登"
    );
    // A second send reuses the cached token.
    d.send(&notice("u100", "t-2")).await.expect("sent");
    assert_eq!(f.lock().unwrap().token_requests, 1);
}

#[tokio::test]
async fn dingtalk_errors_are_mapped() {
    let (base, f) = fake_dingtalk(7200).await;
    member(&f, "u100", None);
    let d = dingtalk_client(&base, DT_SECRET);
    // An unknown user: the binding is dead.
    assert!(matches!(
        d.send(&notice("gone", "t")).await,
        Err(PushError::DeadToken(_))
    ));
    // The frequency limit: later.
    f.lock().unwrap().busy_once = true;
    assert!(matches!(
        d.send(&notice("u100", "t")).await,
        Err(PushError::Retry { .. })
    ));
    // An expired token: fetched again once, then delivered.
    f.lock().unwrap().expire_all = true;
    d.send(&notice("u100", "t"))
        .await
        .expect("after a new token");
    assert_eq!(f.lock().unwrap().token_requests, 2);
    // A wrong secret: gettoken refuses, the send fails for good.
    let wrong = dingtalk_client(&base, "not-the-secret");
    assert!(matches!(
        wrong.send(&notice("u100", "t")).await,
        Err(PushError::Failed(_))
    ));
    assert_eq!(f.lock().unwrap().sends.len(), 1);
}

#[tokio::test]
async fn the_fake_dingtalk_checks_tokens_and_fields() {
    let (base, _f) = fake_dingtalk(7200).await;
    let http = reqwest::Client::new();
    let url = format!("{base}/topapi/message/corpconversation/asyncsend_v2");
    let bad: Value = http
        .post(&url)
        .query(&[("access_token", "forged")])
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bad["errcode"], 40014);
    let token: Value = http
        .get(format!(
            "{base}/gettoken?appkey={DT_KEY}&appsecret={DT_SECRET}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let missing: Value = http
        .post(&url)
        .query(&[("access_token", token)])
        .json(&json!({"userid_list": "u1", "msg": {"msgtype": "action_card"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(missing["errcode"], 40035, "{missing}");
}

#[tokio::test]
async fn a_wecom_application_message_carries_the_item_link() {
    let (base, f) = fake_wecom(7200).await;
    member(&f, "zhangsan", None);
    let w = wecom_client(&base, WC_SECRET);
    let sent = w.send(&notice("zhangsan", "t-1")).await.expect("sent");
    assert_eq!(sent.id, "msg1");
    let body = f.lock().unwrap().sends[0].clone();
    assert_eq!(body["touser"], "zhangsan");
    assert_eq!(body["msgtype"], "textcard");
    assert_eq!(body["agentid"], json!(WC_AGENT));
    assert_eq!(body["enable_duplicate_check"], 1);
    let card = &body["textcard"];
    assert_eq!(card["title"], "【紧急】督办通知");
    assert_eq!(card["description"], "请办理:清理河道垃圾");
    assert_eq!(card["btntxt"], "查看详情");
    assert_eq!(
        card["url"],
        format!("{PUBLIC}/sso/wecom?next=%2Fitems%2Ft-1")
    );
}

#[tokio::test]
async fn wecom_errors_are_mapped() {
    let (base, f) = fake_wecom(7200).await;
    member(&f, "zhangsan", None);
    let w = wecom_client(&base, WC_SECRET);
    assert!(matches!(
        w.send(&notice("lisi", "t")).await,
        Err(PushError::DeadToken(_))
    ));
    f.lock().unwrap().busy_once = true;
    assert!(matches!(
        w.send(&notice("zhangsan", "t")).await,
        Err(PushError::Retry { .. })
    ));
    f.lock().unwrap().expire_all = true;
    w.send(&notice("zhangsan", "t"))
        .await
        .expect("after a new token");
    assert_eq!(f.lock().unwrap().token_requests, 2);
    let wrong = wecom_client(&base, "not-the-secret");
    assert!(matches!(
        wrong.send(&notice("zhangsan", "t")).await,
        Err(PushError::Failed(_))
    ));
    // The fake checks the fields: no agentid is refused.
    let token = f.lock().unwrap().tokens.keys().next().cloned().unwrap();
    f.lock().unwrap().expire_all = false;
    let missing: Value = reqwest::Client::new()
        .post(format!("{base}/cgi-bin/message/send"))
        .query(&[("access_token", token.as_str())])
        .json(&json!({"touser": "zhangsan", "msgtype": "textcard", "textcard": {"title": "t", "description": "d", "url": "u"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(missing["errcode"], 40056, "{missing}");
}

// ----- on the server ---------------------------------------------------------------------

/// A test on SQLite and on PostgreSQL that starts its own server (with the work apps).
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(Backend::Postgres).await;
            }
        }
    };
}

/// The server's settings for both apps at the local endpoints.
pub fn config(dt: &str, wc: &str) -> duban_server::config::Config {
    let mut c = duban_server::config::Config {
        public_url: Some(PUBLIC.into()),
        ..Default::default()
    };
    let p = &mut c.push;
    p.dingtalk_app_key = Some(DT_KEY.into());
    p.dingtalk_app_secret = Some(DT_SECRET.into());
    p.dingtalk_agent_id = Some(DT_AGENT.to_string());
    p.dingtalk_corp_id = Some(DT_CORP.into());
    p.dingtalk_url = Some(dt.into());
    p.dingtalk_api_url = Some(dt.into());
    p.dingtalk_login_url = Some(format!("{dt}/login"));
    p.wecom_corp_id = Some(WC_CORP.into());
    p.wecom_agent_id = Some(WC_AGENT.to_string());
    p.wecom_secret = Some(WC_SECRET.into());
    p.wecom_url = Some(wc.into());
    p.wecom_oauth_url = Some(format!("{wc}/oauth"));
    p.wecom_login_url = Some(format!("{wc}/login"));
    c
}

/// Binds a person straight in the table (the import and the admin page are tested below).
pub async fn bind(s: &Server, user: &str, app: &str, app_user: &str) {
    let mut tx = s.state.db.write().await.expect("tx");
    let made = duban_server::db::work_accounts::bind(
        &mut tx,
        &duban_server::db::work_accounts::WorkAccount {
            user: user.into(),
            app: app.into(),
            app_user: app_user.into(),
            how: "admin".into(),
            created_at: 0,
        },
    )
    .await
    .expect("bind");
    tx.commit().await.expect("commit");
    assert!(made);
}

on_both!(
    a_dispatch_reaches_dingtalk_with_the_link_and_a_web_read_stops_the_climb,
    |backend| async move {
        let (dt, dtf) = fake_dingtalk(7200).await;
        let (wc, wcf) = fake_wecom(7200).await;
        let s = start_with(backend, config(&dt, &wc)).await;
        let f = s.fixture().await;
        member(&dtf, "dt-staff-a", None);
        member(&wcf, "wc-staff-a", None);
        bind(&s, &f.staff_a.to_string(), "dingtalk", "dt-staff-a").await;
        bind(&s, &f.staff_a.to_string(), "wecom", "wc-staff-a").await;
        let p = duban_server::push::Providers::default().with_work_apps(&s.state.workapps);
        // No quiet hours; the work step at once for 普通.
        let admin = s.login("admin").await;
        let mut policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        policy["delivery"]["quiet_hours"] = Value::Null;
        s.call(
            reqwest::Method::PUT,
            "/api/v1/admin/policy",
            Some(&admin),
            Some(policy.clone()),
        )
        .await
        .expect(200);

        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "清理河道垃圾")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let now = chrono::Utc::now();
        let report =
            duban_server::notify::deliver_due(&s.state, &p, now + chrono::Duration::seconds(1))
                .await
                .expect("deliver");
        assert_eq!(report.sent, 2, "DingTalk and WeCom: {report:?}");
        let dt_sends = dtf.lock().unwrap().sends.clone();
        assert_eq!(dt_sends.len(), 1);
        let card = &dt_sends[0]["msg"]["action_card"];
        assert_eq!(dt_sends[0]["userid_list"], "dt-staff-a");
        assert_eq!(
            card["single_url"],
            format!("{PUBLIC}/sso/dingtalk?next=%2Fitems%2F{t}")
        );
        assert!(
            card["markdown"].as_str().unwrap().contains("清理河道垃圾"),
            "{card}"
        );
        assert_eq!(card["single_title"], "查看详情", "the recipient's language");
        let wc_sends = wcf.lock().unwrap().sends.clone();
        assert_eq!(
            wc_sends[0]["textcard"]["url"],
            format!("{PUBLIC}/sso/wecom?next=%2Fitems%2F{t}")
        );
        // Recorded like a push, once per target.
        let recorded = s
            .scalar(
                "SELECT COUNT(*) FROM deliveries WHERE channel = 'work' AND provider = 'dingtalk' \
                 AND target = 'dingtalk:dt-staff-a' AND outcome = 'sent'",
                vec![],
            )
            .await;
        assert_eq!(recorded, 1);

        // Now the work step 10 minutes later; the person reads it on the web first.
        for u in ["normal", "urgent", "extra_urgent"] {
            policy["delivery"][u]["work_after_minutes"] = json!(10);
        }
        s.call(
            reqwest::Method::PUT,
            "/api/v1/admin/policy",
            Some(&admin),
            Some(policy),
        )
        .await
        .expect(200);
        let t2 = tid();
        s.ok(&sup, register(&t2, "排查燃气隐患")).await;
        s.ok(&sup, dispatch(&t2, f.unit_a, Some(f.staff_a))).await;
        let now = chrono::Utc::now();
        duban_server::notify::deliver_due(&s.state, &p, now + chrono::Duration::seconds(1))
            .await
            .expect("deliver");
        assert_eq!(dtf.lock().unwrap().sends.len(), 1, "not yet");
        let web = crate::web::browser();
        let cookie = crate::web::sign_in(&s, &web, "staff-a").await;
        let token = crate::web::form_token(&s, &web, &cookie).await;
        let read = web
            .post(format!("{}/inbox/read-all", s.base))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[("csrf", token.as_str()), ("back", "/inbox")])
            .send()
            .await
            .expect("read");
        assert!(
            read.status().is_redirection() || read.status().is_success(),
            "{}",
            read.status()
        );
        let later =
            duban_server::notify::deliver_due(&s.state, &p, now + chrono::Duration::minutes(11))
                .await
                .expect("deliver");
        assert!(later.read >= 1, "{later:?}");
        assert_eq!(
            dtf.lock().unwrap().sends.len(),
            1,
            "no work step after the read"
        );
        assert_eq!(wcf.lock().unwrap().sends.len(), 1);
    }
);

on_both!(a_dead_work_binding_is_dropped, |backend| async move {
    let (dt, dtf) = fake_dingtalk(7200).await;
    let (wc, _wcf) = fake_wecom(7200).await;
    let s = start_with(backend, config(&dt, &wc)).await;
    let f = s.fixture().await;
    // Bound to a user DingTalk does not know (left the organisation).
    bind(&s, &f.staff_a.to_string(), "dingtalk", "left-long-ago").await;
    let p = duban_server::push::Providers::default().with_work_apps(&s.state.workapps);
    let sup = s.login("supervisor").await;
    let t = tid();
    s.ok(&sup, register(&t, "清理河道垃圾")).await;
    s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
    let report = duban_server::notify::deliver_due(
        &s.state,
        &p,
        chrono::Utc::now() + chrono::Duration::days(1),
    )
    .await
    .expect("deliver");
    assert_eq!(report.dead, 1, "{report:?}");
    assert!(dtf.lock().unwrap().sends.is_empty());
    assert_eq!(
        s.scalar("SELECT COUNT(*) FROM work_accounts", vec![]).await,
        0,
        "the dead binding is gone"
    );
});

// ----- binding ---------------------------------------------------------------------------

/// The cookie pair `name=value` a response sets, if it does.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
}

async fn set_phone(s: &Server, user: &str, phone: &str) {
    s.state
        .db
        .exec(
            "UPDATE users SET phone = $1 WHERE id = $2",
            vec![
                duban_server::db::Val::from(phone),
                duban_server::db::Val::from(user),
            ],
        )
        .await
        .expect("phone");
}

async fn bound_to(s: &Server, app: &str, app_user: &str) -> Option<String> {
    duban_server::db::work_accounts::person_of(&s.state.db, app, app_user)
        .await
        .expect("read")
}

/// An xlsx file with these rows (the first is the header).
pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

both!(
    the_people_import_binds_work_app_ids,
    |s: Server| async move {
        use duban_server::i18n::Lang;
        use duban_server::org_import::{self, ImportError, Template};
        s.fixture().await;
        let token = s.login("admin").await;
        let admin = duban_server::auth::Session::of_token(&s.state, &token)
            .await
            .expect("session");
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        // The template has both columns in either language.
        for (lang, dt, wc) in [
            (Lang::Zh, "钉钉用户ID", "企业微信用户ID"),
            (Lang::En, "DingTalk user id", "WeCom user id"),
        ] {
            let bytes = org_import::template(&org, Template::People, lang).expect("template");
            // Read back through the importer: the headers are recognised.
            let sheet = xlsx(&[
                &["Username", "Name", "Roles", dt, wc],
                &["wang", "王五", "staff", "dt-wang", "wc-wang"],
            ]);
            let rows = org_import::read_people(&sheet).expect("reads");
            assert_eq!(rows[0].dingtalk_user, "dt-wang", "{lang:?}");
            assert_eq!(rows[0].wecom_user, "wc-wang", "{lang:?}");
            // And the template itself carries them as headers.
            let template_rows = org_import::read_people(&bytes).expect("the template reads");
            assert_eq!(template_rows.len(), 1);
        }
        let sheet = xlsx(&[
            &[
                "用户名",
                "姓名",
                "角色",
                "手机号",
                "钉钉用户ID",
                "企业微信用户ID",
            ],
            &["wang", "王五", "staff", "13900000001", "dt-wang", "wc-wang"],
            &["zhao", "赵六", "staff", "", "", ""],
        ]);
        let rows = org_import::read_people(&sheet).expect("reads");
        org_import::apply_people(&s.state, &admin, &rows)
            .await
            .expect("imported");
        let wang = bound_to(&s, "dingtalk", "dt-wang").await.expect("bound");
        assert_eq!(bound_to(&s, "wecom", "wc-wang").await, Some(wang.clone()));
        let how = s
            .scalar(
                "SELECT COUNT(*) FROM work_accounts WHERE how = 'import'",
                vec![],
            )
            .await;
        assert_eq!(how, 2);
        let trail = s
            .scalar(
                "SELECT COUNT(*) FROM admin_trail WHERE kind = 'work_account.bind'",
                vec![],
            )
            .await;
        assert_eq!(trail, 2, "each binding in the trail");
        // The same id twice in a sheet, or one bound already: refused at its row and column.
        let twice = org_import::read_people(&xlsx(&[
            &["用户名", "姓名", "角色", "钉钉用户ID"],
            &["li", "李", "staff", "dt-li"],
            &["qian", "钱", "staff", "dt-li"],
        ]))
        .expect("reads");
        match org_import::apply_people(&s.state, &admin, &twice).await {
            Err(ImportError::Refused(p)) => {
                assert_eq!(
                    (p[0].row, p[0].column.as_str(), p[0].code.as_str()),
                    (3, "dingtalk_user", "workapp.user_id_taken")
                );
            }
            other => panic!("refused expected: {other:?}"),
        }
        let taken = org_import::read_people(&xlsx(&[
            &["用户名", "姓名", "角色", "钉钉用户ID"],
            &["sun", "孙", "staff", "dt-wang"],
        ]))
        .expect("reads");
        match org_import::apply_people(&s.state, &admin, &taken).await {
            Err(ImportError::Refused(p)) => assert_eq!(p[0].code, "workapp.user_id_taken"),
            other => panic!("refused expected: {other:?}"),
        }
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        assert!(
            !org.people.values().any(|p| p.username == "sun"),
            "nothing written"
        );
    }
);

on_both!(
    an_administrator_binds_by_mobile_sees_and_removes_bindings,
    |backend| async move {
        let (dt, dtf) = fake_dingtalk(7200).await;
        let (wc, wcf) = fake_wecom(7200).await;
        let s = start_with(backend, config(&dt, &wc)).await;
        let f = s.fixture().await;
        set_phone(&s, &f.staff_a.to_string(), "+86 138-0000-0001").await;
        set_phone(&s, &f.staff_b.to_string(), "13800000002").await;
        set_phone(&s, &f.head_a.to_string(), "13800000003").await;
        member(&dtf, "dt-a", Some("13800000001"));
        member(&dtf, "dt-b", Some("13800000002"));
        member(&wcf, "wc-a", Some("13800000001"));
        // head-a's number is not in DingTalk.
        let web = crate::web::browser();
        let cookie = crate::web::sign_in(&s, &web, "admin").await;
        let (status, html) =
            crate::web::page(&web, &format!("{}/admin/work-apps", s.base), Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains("按手机号绑定钉钉账号") && html.contains("按手机号绑定企业微信账号"),
            "{html}"
        );
        let token = crate::web::form_token(&s, &web, &cookie).await;
        let r = web
            .post(format!("{}/admin/work-apps/bind-by-mobile", s.base))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[("csrf", token.as_str()), ("app", "dingtalk")])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("新绑定 2 人") && html.contains("未找到 1 人"),
            "{html}"
        );
        assert_eq!(
            bound_to(&s, "dingtalk", "dt-a").await,
            Some(f.staff_a.to_string())
        );
        assert_eq!(
            bound_to(&s, "dingtalk", "dt-b").await,
            Some(f.staff_b.to_string())
        );
        assert_eq!(
            bound_to(&s, "wecom", "wc-a").await,
            None,
            "one app at a time"
        );
        assert!(
            html.contains("<code>dt-a</code>") && html.contains("按手机号"),
            "shown: {html}"
        );
        // Someone else (a supervisor) may not.
        let sup = crate::web::sign_in(&s, &web, "supervisor").await;
        let sup_token = crate::web::form_token(&s, &web, &sup).await;
        let refused = web
            .post(format!("{}/admin/work-apps/bind-by-mobile", s.base))
            .header(reqwest::header::COOKIE, &sup)
            .form(&[("csrf", sup_token.as_str()), ("app", "wecom")])
            .send()
            .await
            .expect("post");
        assert_eq!(refused.status(), 403);
        // Removing one: gone, and in the trail.
        let r = web
            .post(format!("{}/admin/work-apps/remove", s.base))
            .header(reqwest::header::COOKIE, &cookie)
            .form(&[
                ("csrf", token.as_str()),
                ("user", &f.staff_b.to_string()),
                ("app", "dingtalk"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
        assert_eq!(bound_to(&s, "dingtalk", "dt-b").await, None);
        assert_eq!(
            s.scalar(
                "SELECT COUNT(*) FROM admin_trail WHERE kind = 'work_account.remove'",
                vec![]
            )
            .await,
            1
        );
        assert_eq!(
            s.scalar(
                "SELECT COUNT(*) FROM admin_trail WHERE kind = 'work_account.bind'",
                vec![]
            )
            .await,
            2
        );
    }
);

// ----- sign-in ---------------------------------------------------------------------------

/// The `state` a redirect to an app's sign-in page carries, and the round trip's cookie.
fn state_of(r: &reqwest::Response) -> (String, String) {
    let to = r.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let url = url::Url::parse(&to).expect("absolute");
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    (
        state,
        set_cookie(r, "duban_sso").expect("the state's cookie"),
    )
}

/// The 免登 page's state, and its cookie.
async fn dingtalk_page(s: &Server, web: &reqwest::Client, next: &str) -> (String, String) {
    let r = web
        .get(format!("{}/sso/dingtalk?next={next}", s.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let csp = r.headers()[reqwest::header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self' https://g.alicdn.com;"),
        "{csp}"
    );
    let cookie = set_cookie(&r, "duban_sso").expect("cookie");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("dingtalk.open.js") && html.contains("data-corp-id=\"ding00corp\""),
        "{html}"
    );
    (crate::web::hidden_field(&html, "state"), cookie)
}

/// Posts a 免登 code as the page's script does.
async fn post_code(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    state: &str,
    code: &str,
) -> reqwest::Response {
    web.post(format!("{}/sso/dingtalk", s.base))
        .header(reqwest::header::COOKIE, cookie)
        .header(reqwest::header::ORIGIN, s.base.as_str())
        .form(&[("state", state), ("code", code)])
        .send()
        .await
        .expect("post")
}

/// Whether the session cookie opens `/` (a redirect to a portal, not to sign in).
async fn opens_home(s: &Server, web: &reqwest::Client, session: &str) -> bool {
    let r = web
        .get(format!("{}/", s.base))
        .header(reqwest::header::COOKIE, session)
        .send()
        .await
        .expect("get");
    let to = r
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    r.status() == 303 && to.is_some_and(|t| !t.starts_with("/login"))
}

/// Checks the refusal page: 403, one language, what to do.
async fn assert_refused_unbound(r: reqwest::Response, app: &str) {
    assert_eq!(r.status(), 403);
    assert!(
        set_cookie(&r, "duban_session").is_none(),
        "nobody signed in"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("您的{app}账号尚未与本系统的人员绑定")),
        "{html}"
    );
    assert!(html.contains("系统管理员"), "whom to ask: {html}");
    assert!(html.contains("<html lang=\"zh-CN\""), "{html}");
    assert!(
        !html.contains("not bound") && !html.contains("Cannot"),
        "one language: {html}"
    );
    assert!(
        !html.contains("panicked") && !html.contains("internal"),
        "{html}"
    );
}

on_both!(
    dingtalk_sign_in_from_the_app_signs_in_the_bound_person_only,
    |backend| async move {
        let (dt, dtf) = fake_dingtalk(7200).await;
        let (wc, _wcf) = fake_wecom(7200).await;
        let s = start_with(backend, config(&dt, &wc)).await;
        let f = s.fixture().await;
        member(&dtf, "dt-a", None);
        bind(&s, &f.staff_a.to_string(), "dingtalk", "dt-a").await;
        let web = crate::web::browser();

        // Bound: signed in, back at the item.
        let (state, cookie) = dingtalk_page(&s, &web, "/items/abc").await;
        dtf.lock()
            .unwrap()
            .codes
            .insert("code-1".into(), "dt-a".into());
        let r = post_code(&s, &web, &cookie, &state, "code-1").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[reqwest::header::LOCATION], "/items/abc");
        let session = set_cookie(&r, "duban_session").expect("signed in");
        assert!(opens_home(&s, &web, &session).await);

        // A forged state: refused, the code not even spent.
        let (_, cookie) = dingtalk_page(&s, &web, "/").await;
        dtf.lock()
            .unwrap()
            .codes
            .insert("code-2".into(), "dt-a".into());
        let forged = post_code(&s, &web, &cookie, &"f".repeat(32), "code-2").await;
        assert_eq!(forged.status(), 403);
        assert!(set_cookie(&forged, "duban_session").is_none());
        let html = forged.text().await.unwrap();
        assert!(html.contains("无法确认来自本浏览器"), "{html}");
        assert!(dtf.lock().unwrap().codes.contains_key("code-2"));
        // No cookie at all: refused too.
        let bare = post_code(&s, &web, "", &state, "code-2").await;
        assert_eq!(bare.status(), 403);

        // Unbound, and the app gives no mobile: the clear refusal.
        member(&dtf, "dt-stranger", None);
        let (state, cookie) = dingtalk_page(&s, &web, "/").await;
        dtf.lock()
            .unwrap()
            .codes
            .insert("code-3".into(), "dt-stranger".into());
        assert_refused_unbound(post_code(&s, &web, &cookie, &state, "code-3").await, "钉钉").await;
        assert_eq!(bound_to(&s, "dingtalk", "dt-stranger").await, None);

        // Unbound, but DingTalk tells the mobile, and exactly one person has it: bound now.
        set_phone(&s, &f.staff_b.to_string(), "13800000002").await;
        member(&dtf, "dt-b", Some("13800000002"));
        let (state, cookie) = dingtalk_page(&s, &web, "/inbox").await;
        dtf.lock()
            .unwrap()
            .codes
            .insert("code-4".into(), "dt-b".into());
        let r = post_code(&s, &web, &cookie, &state, "code-4").await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[reqwest::header::LOCATION], "/inbox");
        let session = set_cookie(&r, "duban_session").expect("signed in");
        assert!(opens_home(&s, &web, &session).await);
        assert_eq!(
            bound_to(&s, "dingtalk", "dt-b").await,
            Some(f.staff_b.to_string())
        );
        assert_eq!(
            s.scalar(
                "SELECT COUNT(*) FROM work_accounts WHERE how = 'sign-in'",
                vec![]
            )
            .await,
            1
        );

        // Two people with that number: nobody is guessed.
        set_phone(&s, &f.head_b.to_string(), "13800000009").await;
        set_phone(&s, &f.staff_a1.to_string(), "13800000009").await;
        member(&dtf, "dt-twin", Some("13800000009"));
        let (state, cookie) = dingtalk_page(&s, &web, "/").await;
        dtf.lock()
            .unwrap()
            .codes
            .insert("code-5".into(), "dt-twin".into());
        assert_refused_unbound(post_code(&s, &web, &cookie, &state, "code-5").await, "钉钉").await;

        // With a stale session cookie in the app's browser (its session expired): the page's
        // form carries that cookie's token, and the sign-in goes through.
        let stale = format!("duban_session=dbn_{}", "0".repeat(64));
        let r = web
            .get(format!("{}/sso/dingtalk?next=/inbox", s.base))
            .header(reqwest::header::COOKIE, &stale)
            .send()
            .await
            .unwrap();
        let cookie = set_cookie(&r, "duban_sso").expect("cookie");
        let html = r.text().await.unwrap();
        let (state, csrf) = (
            crate::web::hidden_field(&html, "state"),
            crate::web::hidden_field(&html, "csrf"),
        );
        dtf.lock()
            .unwrap()
            .codes
            .insert("code-7".into(), "dt-a".into());
        let r = web
            .post(format!("{}/sso/dingtalk", s.base))
            .header(reqwest::header::COOKIE, format!("{stale}; {cookie}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("state", state.as_str()),
                ("code", "code-7"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());

        // A next elsewhere is not followed.
        let (state, cookie) = dingtalk_page(&s, &web, "//evil.example/").await;
        dtf.lock()
            .unwrap()
            .codes
            .insert("code-6".into(), "dt-a".into());
        let r = post_code(&s, &web, &cookie, &state, "code-6").await;
        assert_eq!(r.headers()[reqwest::header::LOCATION], "/");
        let metrics = crate::sec_misc::scrape(&s).await;
        assert!(
            metrics.contains("duban_work_app_sign_ins_total{app=\"dingtalk\"} 4"),
            "{metrics}"
        );
    }
);

on_both!(
    wecom_sign_in_from_the_app_signs_in_the_bound_person_only,
    |backend| async move {
        let (dt, _dtf) = fake_dingtalk(7200).await;
        let (wc, wcf) = fake_wecom(7200).await;
        let s = start_with(backend, config(&dt, &wc)).await;
        let f = s.fixture().await;
        member(&wcf, "wc-a", None);
        bind(&s, &f.staff_a.to_string(), "wecom", "wc-a").await;
        let web = crate::web::browser();

        let r = web
            .get(format!("{}/sso/wecom?next=/items/abc", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            to.starts_with(&format!(
                "{wc}/oauth/connect/oauth2/authorize?appid=ww00corp&redirect_uri=https%3A%2F%2Fduban.example.gov.cn%2Fsso%2Fwecom%2Fcallback&response_type=code&scope=snsapi_base&state="
            )) && to.ends_with(&format!("&agentid={WC_AGENT}#wechat_redirect")),
            "{to}"
        );
        let (state, cookie) = state_of(&r);
        wcf.lock()
            .unwrap()
            .codes
            .insert("wc-code-1".into(), "wc-a".into());
        let back = web
            .get(format!(
                "{}/sso/wecom/callback?code=wc-code-1&state={state}",
                s.base
            ))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 200);
        let session = set_cookie(&back, "duban_session").expect("signed in");
        let html = back.text().await.unwrap();
        assert!(
            html.contains("content=\"0;url=/items/abc\""),
            "goes on from this site: {html}"
        );
        assert!(opens_home(&s, &web, &session).await);

        // A forged state.
        let r = web
            .get(format!("{}/sso/wecom?next=/", s.base))
            .send()
            .await
            .unwrap();
        let (_, cookie) = state_of(&r);
        wcf.lock()
            .unwrap()
            .codes
            .insert("wc-code-2".into(), "wc-a".into());
        let forged = web
            .get(format!(
                "{}/sso/wecom/callback?code=wc-code-2&state={}",
                s.base,
                "0".repeat(32)
            ))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        assert!(set_cookie(&forged, "duban_session").is_none());

        // Unbound; WeCom gives no mobile (as for apps made after June 2022).
        member(&wcf, "wc-stranger", None);
        let r = web
            .get(format!("{}/sso/wecom", s.base))
            .send()
            .await
            .unwrap();
        let (state, cookie) = state_of(&r);
        wcf.lock()
            .unwrap()
            .codes
            .insert("wc-code-3".into(), "wc-stranger".into());
        let refused = web
            .get(format!(
                "{}/sso/wecom/callback?code=wc-code-3&state={state}",
                s.base
            ))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_refused_unbound(refused, "企业微信").await;

        // Bound at first sign-in by mobile.
        set_phone(&s, &f.staff_b.to_string(), "13800000002").await;
        member(&wcf, "wc-b", Some("13800000002"));
        let r = web
            .get(format!("{}/sso/wecom", s.base))
            .send()
            .await
            .unwrap();
        let (state, cookie) = state_of(&r);
        wcf.lock()
            .unwrap()
            .codes
            .insert("wc-code-4".into(), "wc-b".into());
        let back = web
            .get(format!(
                "{}/sso/wecom/callback?code=wc-code-4&state={state}",
                s.base
            ))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 200);
        assert!(set_cookie(&back, "duban_session").is_some());
        assert_eq!(
            bound_to(&s, "wecom", "wc-b").await,
            Some(f.staff_b.to_string())
        );
    }
);

on_both!(qr_sign_in_on_the_pc_with_either_app, |backend| async move {
    let (dt, dtf) = fake_dingtalk(7200).await;
    let (wc, wcf) = fake_wecom(7200).await;
    let s = start_with(backend, config(&dt, &wc)).await;
    let f = s.fixture().await;
    member(&dtf, "dt-a", None);
    member(&wcf, "wc-a", None);
    bind(&s, &f.staff_a.to_string(), "dingtalk", "dt-a").await;
    bind(&s, &f.staff_a.to_string(), "wecom", "wc-a").await;
    let web = crate::web::browser();

    // The sign-in page offers both, in its one language.
    let (_, html) = crate::web::page(&web, &format!("{}/login?next=/inbox", s.base), None).await;
    assert!(
        html.contains("href=\"/sso/dingtalk/qr?next=%2Finbox\"") && html.contains("钉钉扫码登录"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/sso/wecom/qr?next=%2Finbox\"") && html.contains("企业微信扫码登录"),
        "{html}"
    );

    // DingTalk.
    let r = web
        .get(format!("{}/sso/dingtalk/qr?next=/inbox", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
            to.starts_with(&format!(
                "{dt}/login/oauth2/auth?redirect_uri=https%3A%2F%2Fduban.example.gov.cn%2Fsso%2Fdingtalk%2Fqr&response_type=code&client_id={DT_KEY}&scope=openid&state="
            )) && to.ends_with("&prompt=consent"),
            "{to}"
        );
    let (state, cookie) = state_of(&r);
    {
        let mut g = dtf.lock().unwrap();
        g.auth_codes.insert("auth-1".into(), "union-a".into());
        g.unions.insert("union-a".into(), "dt-a".into());
    }
    let back = web
        .get(format!(
            "{}/sso/dingtalk/qr?authCode=auth-1&state={state}",
            s.base
        ))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    let session = set_cookie(&back, "duban_session").expect("signed in");
    assert!(back
        .text()
        .await
        .unwrap()
        .contains("content=\"0;url=/inbox\""));
    assert!(opens_home(&s, &web, &session).await);
    // A spent authCode is refused by DingTalk: no session.
    let again = web
        .get(format!(
            "{}/sso/dingtalk/qr?authCode=auth-1&state={state}",
            s.base
        ))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert!(again.status().is_client_error() || again.status().is_server_error());
    assert!(set_cookie(&again, "duban_session").is_none());

    // WeCom.
    let r = web
        .get(format!("{}/sso/wecom/qr?next=/inbox", s.base))
        .send()
        .await
        .unwrap();
    let to = r.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
            to.starts_with(&format!(
                "{wc}/login/wwlogin/sso/login?login_type=CorpApp&appid=ww00corp&agentid={WC_AGENT}&redirect_uri=https%3A%2F%2Fduban.example.gov.cn%2Fsso%2Fwecom%2Fcallback&state="
            )),
            "{to}"
        );
    let (state, cookie) = state_of(&r);
    wcf.lock()
        .unwrap()
        .codes
        .insert("qr-code".into(), "wc-a".into());
    let back = web
        .get(format!(
            "{}/sso/wecom/callback?code=qr-code&state={state}",
            s.base
        ))
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 200);
    let session = set_cookie(&back, "duban_session").expect("signed in");
    assert!(opens_home(&s, &web, &session).await);
});

#[tokio::test]
async fn without_a_public_url_the_work_apps_are_refused() {
    let mut c = config("http://127.0.0.1:9", "http://127.0.0.1:9");
    c.public_url = None;
    let err = duban_server::workapp::WorkApps::from_settings(&c.push, None, reqwest::Client::new())
        .err()
        .expect("refused");
    assert_eq!(err.code(), "workapp.settings");
    c.push.wecom_secret = None;
    let err = duban_server::workapp::WorkApps::from_settings(
        &c.push,
        Some(PUBLIC),
        reqwest::Client::new(),
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("wecom_secret"), "{err}");
}

#[tokio::test]
async fn the_refusal_page_speaks_the_requests_language() {
    let (dt, _dtf) = fake_dingtalk(7200).await;
    let (wc, wcf) = fake_wecom(7200).await;
    let s = start_with(Backend::Sqlite, config(&dt, &wc)).await;
    s.fixture().await;
    member(&wcf, "wc-stranger", None);
    let web = crate::web::browser();
    let r = web
        .get(format!("{}/sso/wecom", s.base))
        .header(reqwest::header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    let (state, cookie) = state_of(&r);
    wcf.lock()
        .unwrap()
        .codes
        .insert("en-code".into(), "wc-stranger".into());
    let refused = web
        .get(format!(
            "{}/sso/wecom/callback?code=en-code&state={state}",
            s.base
        ))
        .header(reqwest::header::COOKIE, &cookie)
        .header(reqwest::header::ACCEPT_LANGUAGE, "en")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let html = refused.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\""), "{html}");
    assert!(html.contains("Your WeCom account is not bound"), "{html}");
    assert!(
        !html.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "one language: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_sign_in_buttons_and_the_refusal_page_pass_the_checks() {
    let (dt, _dtf) = fake_dingtalk(7200).await;
    let (wc, wcf) = fake_wecom(7200).await;
    let s = start_with(Backend::Sqlite, config(&dt, &wc)).await;
    s.fixture().await;
    member(&wcf, "wc-stranger", None);
    let b = crate::browser::Browser::start().await;
    for (width, height, size) in [(1440, 900, "pc"), (390, 844, "phone")] {
        b.resize(width, height).await;
        b.go(&format!("{}/login", s.base)).await;
        assert_eq!(
            b.script("return document.querySelectorAll('.sso-buttons a.button').length")
                .await,
            json!(2)
        );
        b.check_page(&format!("workapps-{size}-login")).await;
        // To WeCom's page (here the local endpoint), whose URL carries the state.
        b.go(&format!("{}/sso/wecom", s.base)).await;
        let at = url::Url::parse(&b.url().await).expect("url");
        let state = at
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("state");
        wcf.lock()
            .unwrap()
            .codes
            .insert(format!("b-{size}"), "wc-stranger".into());
        b.go(&format!(
            "{}/sso/wecom/callback?code=b-{size}&state={state}",
            s.base
        ))
        .await;
        assert!(b
            .script("return document.querySelector('#sso-refused').textContent")
            .await
            .as_str()
            .unwrap_or_default()
            .contains("尚未与本系统的人员绑定"));
        b.check_page(&format!("workapps-{size}-refused")).await;
    }
    // The administrators' page of the bindings, at both widths (the fixture's password).
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
    for (width, height, size) in [(1440, 900, "pc"), (390, 844, "phone")] {
        b.resize(width, height).await;
        b.go(&format!("{}/admin/work-apps", s.base)).await;
        b.check_page(&format!("workapps-{size}-admin")).await;
    }
}

on_both!(
    the_api_lists_binds_by_mobile_and_removes,
    |backend| async move {
        let (dt, dtf) = fake_dingtalk(7200).await;
        let (wc, _wcf) = fake_wecom(7200).await;
        let s = start_with(backend, config(&dt, &wc)).await;
        let f = s.fixture().await;
        set_phone(&s, &f.staff_a.to_string(), "13800000001").await;
        member(&dtf, "dt-a", Some("13800000001"));
        let admin = s.login("admin").await;
        let staff = s.login("staff-a").await;
        s.get(&staff, "/api/v1/admin/work-accounts")
            .await
            .expect(403);
        let r = s
            .post(
                &admin,
                "/api/v1/admin/work-accounts/bind-by-mobile",
                json!({"app": "dingtalk"}),
            )
            .await
            .expect(200);
        assert_eq!(
            r,
            json!({"looked_up": 1, "bound": 1, "not_found": 0, "taken": 0})
        );
        let list = s
            .get(&admin, "/api/v1/admin/work-accounts")
            .await
            .expect(200);
        assert_eq!(list[0]["user"], json!(f.staff_a.to_string()));
        assert_eq!(list[0]["app"], "dingtalk");
        assert_eq!(list[0]["app_user"], "dt-a");
        assert_eq!(list[0]["how"], "mobile");
        let path = format!("/api/v1/admin/work-accounts/{}/dingtalk", f.staff_a);
        let gone = s
            .call(reqwest::Method::DELETE, &path, Some(&admin), None)
            .await;
        assert_eq!(gone.status, 204);
        s.call(reqwest::Method::DELETE, &path, Some(&admin), None)
            .await
            .error(404, "not_found");
        // An app this server does not speak.
        s.post(
            &admin,
            "/api/v1/admin/work-accounts/bind-by-mobile",
            json!({"app": "lark"}),
        )
        .await
        .error(404, "not_found");
    }
);
