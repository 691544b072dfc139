//! Honor Push and Huawei Push Kit v3 (HarmonyOS NEXT) against local endpoints written from
//! their public specs, and the choice between Push Kit's two APIs by the device's platform.
//!
//! - Push Kit v3: the endpoint verifies the bearer JWT as Huawei does — PS256 signature with
//!   the service account's public key, `kid`, `aud`, `iss`, `exp` no later than an hour after
//!   `iat` — and requires `push-type`, a target token and a notification title; it answers
//!   Huawei's codes (`80000000`, `80300007`, `80100000`, `80200001`, `80200005`, 503 flow
//!   control, `81000001`).
//! - Honor: client credentials at the token endpoint, the bearer and the `timestamp` header
//!   on each send, the notification's title and body, the token list; Honor's codes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use duban_server::db::Val;
use duban_server::notify::deliver_due;
use duban_server::push::harmony::{Harmony, ServiceAccount, AUDIENCE};
use duban_server::push::honor::{Honor, HonorApp};
use duban_server::push::{Message, Provider, Providers, PushError};
use serde_json::{json, Value};

use crate::push::{fake_hms, hms, hms_snapshot};
use crate::support::*;

const PRIVATE: &str = include_str!("fixtures/fcm-test-key.pem");
const PUBLIC: &str = include_str!("fixtures/fcm-test-key.pub.pem");
const OTHER_PRIVATE: &str = include_str!("fixtures/harmony-other-key.pem");

const PROJECT: &str = "101653523863785276";
const KEY_ID: &str = "e1d0c8b6-4a5e-4c1f-9f0e-2a7b3c4d5e6f";
const SUB_ACCOUNT: &str = "118234567";

fn message(token: &str, collapse: bool) -> Message {
    Message {
        token: token.into(),
        title: "督办提醒".into(),
        body: "请于 12 月 9 日前办结".into(),
        data: BTreeMap::from([
            (
                "task".to_owned(),
                "0196a1d4-0000-7000-8000-000000000001".to_owned(),
            ),
            ("notification".to_owned(), "n-1".to_owned()),
        ]),
        urgent: true,
        collapse_id: collapse.then(|| "5f0c6d1e-0000-4000-8000-000000000001".to_owned()),
    }
}

/// The credential after `Bearer ` (empty if none).
fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned()
}

// ----- Push Kit v3 ---------------------------------------------------------------------------

/// What the fake Push Kit saw and how it answers.
#[derive(Default)]
pub struct KitSeen {
    /// Each request: its JWT (if it verified), the verified claims, and the body.
    pub sends: Vec<(String, Value, Value)>,
    /// Requests refused for their JWT.
    pub refused: usize,
    /// JWTs Huawei calls expired from now on.
    pub expired: Vec<String>,
    /// Every JWT is called expired (a clock far off, say).
    pub expire_all: bool,
    busy_once: bool,
}

pub type KitShared = Arc<Mutex<KitSeen>>;

fn kit_answer(status: StatusCode, code: &str, msg: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "msg": msg, "requestId": "173290000000012345"})),
    )
        .into_response()
}

/// Verifies the JWT as Push Kit does: PS256 over header and payload with the service
/// account's public key, the account's key id, the fixed audience, the account as issuer,
/// and a life of at most an hour (Huawei refuses more than a day with `80300036`; the guide
/// asks for `exp` an hour after `iat`).
/// A refusal: the status, Huawei's code and message.
type Refusal = (StatusCode, &'static str, &'static str);

fn verify(jwt: &str) -> Result<Value, Refusal> {
    let refuse = || -> Refusal {
        (
            StatusCode::UNAUTHORIZED,
            "80200001",
            "Authentication Error.",
        )
    };
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| refuse())?;
    if header.alg != jsonwebtoken::Algorithm::PS256
        || header.kid.as_deref() != Some(KEY_ID)
        || header.typ.as_deref() != Some("JWT")
    {
        return Err(refuse());
    }
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS256);
    v.set_audience(&[AUDIENCE]);
    v.set_issuer(&[SUB_ACCOUNT]);
    v.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &v)
        .map_err(|_| refuse())?
        .claims;
    let life = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    if life > 86_400 {
        return Err((
            StatusCode::BAD_REQUEST,
            "80300036",
            "JWT expire period over threshold.",
        ));
    }
    if !(1..=3600).contains(&life) {
        return Err(refuse());
    }
    Ok(claims)
}

async fn kit_send(
    State(seen): State<KitShared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if project != PROJECT {
        return kit_answer(
            StatusCode::FORBIDDEN,
            "80300002",
            "No permission to send message to these tmIDs.",
        );
    }
    let jwt = bearer(&headers);
    let claims = match verify(&jwt) {
        Ok(c) => c,
        Err((status, code, msg)) => {
            seen.lock().unwrap().refused += 1;
            return kit_answer(status, code, msg);
        }
    };
    {
        let mut s = seen.lock().unwrap();
        if s.expire_all || s.expired.contains(&jwt) {
            s.refused += 1;
            return kit_answer(StatusCode::UNAUTHORIZED, "80200005", "Jwt token expired.");
        }
    }
    // push-type 0: an alert (notification) message, whose payload is an AlertPayload.
    if headers.get("push-type").and_then(|h| h.to_str().ok()) != Some("0") {
        return kit_answer(
            StatusCode::BAD_REQUEST,
            "80100001",
            "Check Parameter Error.",
        );
    }
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return kit_answer(
            StatusCode::BAD_REQUEST,
            "80100003",
            "Illegal payload, json.",
        );
    };
    let n = &body["payload"]["notification"];
    let tokens = body["target"]["token"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let well_formed = n["title"].as_str().is_some_and(|t| !t.is_empty())
        && n["body"].as_str().is_some_and(|t| !t.is_empty())
        && n["clickAction"]["actionType"].is_u64()
        && n["category"].is_string();
    if !well_formed {
        return kit_answer(
            StatusCode::BAD_REQUEST,
            "80100003",
            "Illegal payload, notification.",
        );
    }
    if tokens.is_empty() || tokens.len() > 1000 {
        return kit_answer(
            StatusCode::BAD_REQUEST,
            "80300010",
            "token count should within 1 and 1000.",
        );
    }
    let mut s = seen.lock().unwrap();
    s.sends.push((jwt, claims, body.clone()));
    match tokens[0].as_str().unwrap_or("") {
        "uninstalled" => kit_answer(
            StatusCode::BAD_REQUEST,
            "80300007",
            "All the tokens are invalid.",
        ),
        "partly" => kit_answer(
            StatusCode::OK,
            "80100000",
            "{\"success\":0,\"failure\":1,\"illegal_tokens\":[\"partly\"]}",
        ),
        "busy" if !s.busy_once => {
            s.busy_once = true;
            let mut r = (StatusCode::SERVICE_UNAVAILABLE, "flow control").into_response();
            r.headers_mut().insert("retry-after", "30".parse().unwrap());
            r
        }
        "inner" => kit_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            "81000001",
            "Inner Error.",
        ),
        _ => kit_answer(StatusCode::OK, "80000000", "Success."),
    }
}

/// Starts the fake Push Kit on 127.0.0.1; returns its base URL and what it sees.
pub async fn fake_kit() -> (String, KitShared) {
    let seen: KitShared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/v3/{project}/messages:send", post(kit_send))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// The service account key file AppGallery Connect hands out, with the test key.
fn key_file(private_key: &str) -> Value {
    json!({
        "project_id": PROJECT,
        "key_id": KEY_ID,
        "private_key": private_key,
        "sub_account": SUB_ACCOUNT,
        "auth_uri": "https://oauth-login.cloud.huawei.com/oauth2/v3/authorize",
        "token_uri": "https://oauth-login.cloud.huawei.com/oauth2/v3/token",
        "auth_provider_cert_uri": "https://oauth-login.cloud.huawei.com/oauth2/v3/certs",
        "client_cert_uri": "https://oauth-login.cloud.huawei.com/oauth2/v3/x509?client_id="
    })
}

pub fn harmony(base: &str) -> Harmony {
    harmony_with(base, PRIVATE)
}

fn harmony_with(base: &str, private_key: &str) -> Harmony {
    let account = ServiceAccount::from_json(&key_file(private_key).to_string()).expect("key");
    Harmony::new(account, base, reqwest::Client::new()).expect("provider")
}

fn kit_sends(seen: &KitShared) -> Vec<(String, Value, Value)> {
    seen.lock().unwrap().sends.clone()
}

#[tokio::test]
async fn harmony_signs_a_ps256_jwt_and_sends_a_work_alert_to_the_v3_api() {
    let (base, seen) = fake_kit().await;
    let p = harmony(&base);
    assert_eq!(p.name(), "harmony");
    let d = p.send(&message("phone-1", true)).await.expect("delivered");
    assert_eq!(d.id, "173290000000012345");
    p.send(&message("phone-2", false)).await.expect("delivered");
    let sends = kit_sends(&seen);
    assert_eq!(sends.len(), 2);
    let (jwt, claims, body) = &sends[0];
    assert_eq!(&sends[1].0, jwt, "the JWT is reused while it is young");
    assert_eq!(claims["iss"], SUB_ACCOUNT);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    let n = &body["payload"]["notification"];
    assert_eq!(n["category"], "WORK");
    assert_eq!(n["title"], "督办提醒");
    assert_eq!(n["body"], "请于 12 月 9 日前办结");
    assert_eq!(n["clickAction"]["actionType"], 0);
    assert_eq!(
        n["clickAction"]["data"]["task"],
        "0196a1d4-0000-7000-8000-000000000001"
    );
    assert_eq!(body["target"]["token"], json!(["phone-1"]));
    assert_eq!(body["pushOptions"]["ttl"], 86_400);
    // A resend of the same notice replaces it on the phone: the same notifyId.
    let id = n["notifyId"].as_u64().expect("notifyId");
    assert!(id <= i32::MAX as u64);
    p.send(&message("phone-1", true)).await.expect("delivered");
    assert_eq!(
        kit_sends(&seen)[2].2["payload"]["notification"]["notifyId"],
        json!(id)
    );
    assert!(sends[1].2["payload"]["notification"]["notifyId"].is_null());
}

#[tokio::test]
async fn harmony_signs_anew_once_when_huawei_calls_the_jwt_expired() {
    let (base, seen) = fake_kit().await;
    let p = harmony(&base);
    p.send(&message("phone-1", false)).await.expect("delivered");
    let first = kit_sends(&seen)[0].0.clone();
    seen.lock().unwrap().expired.push(first.clone());
    p.send(&message("phone-2", false))
        .await
        .expect("delivered after signing anew");
    let sends = kit_sends(&seen);
    assert_eq!(sends.len(), 2);
    assert_ne!(sends[1].0, first, "a new JWT");
    assert_eq!(seen.lock().unwrap().refused, 1);
    // Refused again and again: one new signature, then it gives up.
    seen.lock().unwrap().expire_all = true;
    assert!(matches!(
        p.send(&message("phone-3", false)).await,
        Err(PushError::Failed(_))
    ));
    assert_eq!(seen.lock().unwrap().refused, 3, "exactly one retry");
}

#[tokio::test]
async fn harmony_signed_with_another_key_is_refused_for_good() {
    let (base, seen) = fake_kit().await;
    let p = harmony_with(&base, OTHER_PRIVATE);
    let out = p.send(&message("phone-1", false)).await;
    assert!(
        matches!(out, Err(PushError::Failed(ref why)) if why.contains("80200001")),
        "{out:?}"
    );
    let s = seen.lock().unwrap();
    assert!(s.sends.is_empty());
    assert_eq!(s.refused, 2, "signed anew once, refused again");
}

#[tokio::test]
async fn harmony_tells_dead_tokens_flow_control_and_refusals_apart() {
    let (base, _seen) = fake_kit().await;
    let p = harmony(&base);
    assert_eq!(
        p.send(&message("uninstalled", false)).await,
        Err(PushError::DeadToken("80300007".into()))
    );
    assert_eq!(
        p.send(&message("partly", false)).await,
        Err(PushError::DeadToken("80100000".into()))
    );
    match p.send(&message("busy", false)).await {
        Err(PushError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(30))),
        other => panic!("{other:?}"),
    }
    assert!(
        p.send(&message("busy", false)).await.is_ok(),
        "later it goes"
    );
    assert!(matches!(
        p.send(&message("inner", false)).await,
        Err(PushError::Retry { after: None, .. })
    ));
    // Another project's URL: no permission, for good.
    let account = ServiceAccount::from_json(
        &json!({"project_id": "999", "key_id": KEY_ID, "sub_account": SUB_ACCOUNT, "private_key": PRIVATE})
            .to_string(),
    )
    .unwrap();
    let wrong = Harmony::new(account, &base, reqwest::Client::new()).unwrap();
    assert!(matches!(
        wrong.send(&message("phone-1", false)).await,
        Err(PushError::Failed(_))
    ));
}

/// A JWT signed here, on its own, as Huawei's guide says.
fn own_jwt() -> String {
    let iat = chrono::Utc::now().timestamp();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
    header.kid = Some(KEY_ID.to_owned());
    let claims = json!({"aud": AUDIENCE, "iss": SUB_ACCOUNT, "iat": iat, "exp": iat + 3600});
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

#[tokio::test]
async fn the_push_kit_endpoint_refuses_what_huawei_refuses() {
    let (base, seen) = fake_kit().await;
    let url = format!("{base}/v3/{PROJECT}/messages:send");
    let http = reqwest::Client::new();
    let good = json!({
        "payload": {"notification": {"category": "WORK", "title": "t", "body": "b",
                                     "clickAction": {"actionType": 0}}},
        "target": {"token": ["phone-1"]}
    });
    let send = |jwt: String, push_type: Option<&'static str>, body: Value| {
        let mut r = http.post(&url).bearer_auth(jwt).json(&body);
        if let Some(t) = push_type {
            r = r.header("push-type", t);
        }
        async move {
            let res = r.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, answer) = send(own_jwt(), Some("0"), good.clone()).await;
    assert_eq!((status, answer["code"].as_str()), (200, Some("80000000")));
    // No push-type, no title, no token, a JWT living two days, another audience.
    let (_, a) = send(own_jwt(), None, good.clone()).await;
    assert_eq!(a["code"], "80100001");
    let mut untitled = good.clone();
    untitled["payload"]["notification"]
        .as_object_mut()
        .unwrap()
        .remove("title");
    assert_eq!(
        send(own_jwt(), Some("0"), untitled).await.1["code"],
        "80100003"
    );
    let mut nobody = good.clone();
    nobody["target"]["token"] = json!([]);
    assert_eq!(
        send(own_jwt(), Some("0"), nobody).await.1["code"],
        "80300010"
    );
    let iat = chrono::Utc::now().timestamp();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE.as_bytes()).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
    header.kid = Some(KEY_ID.to_owned());
    let long = json!({"aud": AUDIENCE, "iss": SUB_ACCOUNT, "iat": iat, "exp": iat + 2 * 86_400});
    let long = jsonwebtoken::encode(&header, &long, &key).unwrap();
    assert_eq!(
        send(long, Some("0"), good.clone()).await.1["code"],
        "80300036"
    );
    let elsewhere =
        json!({"aud": "https://example.com", "iss": SUB_ACCOUNT, "iat": iat, "exp": iat + 3600});
    let elsewhere = jsonwebtoken::encode(&header, &elsewhere, &key).unwrap();
    let (status, a) = send(elsewhere, Some("0"), good.clone()).await;
    assert_eq!((status, a["code"].as_str()), (401, Some("80200001")));
    // RS256 instead of PS256.
    let mut rs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    rs.kid = Some(KEY_ID.to_owned());
    let claims = json!({"aud": AUDIENCE, "iss": SUB_ACCOUNT, "iat": iat, "exp": iat + 3600});
    let rs = jsonwebtoken::encode(&rs, &claims, &key).unwrap();
    assert_eq!(send(rs, Some("0"), good).await.1["code"], "80200001");
    assert_eq!(seen.lock().unwrap().sends.len(), 1);
}

// ----- Honor ---------------------------------------------------------------------------------

const HONOR_APP: &str = "104467890";
const HONOR_CLIENT: &str = "1204567890abcdef";
pub const HONOR_SECRET: &str = "c3Vw+ZXI/c2VjcmV0";

/// What the fake Honor saw and how it answers.
#[derive(Default)]
pub struct HonorSeen {
    /// Token requests (their forms).
    pub token_forms: Vec<String>,
    /// Sends (bearer, timestamp header, body).
    pub sends: Vec<(String, String, Value)>,
    /// Access tokens good now.
    pub valid: Vec<String>,
    busy_once: bool,
}

pub type HonorShared = Arc<Mutex<HonorSeen>>;

fn honor_answer(status: StatusCode, code: u32, message: &str, data: Value) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message, "data": data})),
    )
        .into_response()
}

/// A form's fields, percent-decoded.
fn form_fields(form: &str) -> BTreeMap<String, String> {
    form.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let v = v.replace('+', " ");
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(&v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

async fn honor_token(
    State(seen): State<HonorShared>,
    headers: HeaderMap,
    form: String,
) -> Response {
    let fields = form_fields(&form);
    let form_typed = headers
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let ok = form_typed
        && fields.get("grant_type").map(String::as_str) == Some("client_credentials")
        && fields.get("client_id").map(String::as_str) == Some(HONOR_CLIENT)
        && fields.get("client_secret").map(String::as_str) == Some(HONOR_SECRET);
    let mut s = seen.lock().unwrap();
    s.token_forms.push(form);
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"})),
        )
            .into_response();
    }
    let token = format!("honor-at-{}", s.token_forms.len());
    s.valid = vec![token.clone()];
    axum::Json(json!({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}))
        .into_response()
}

async fn honor_send(
    State(seen): State<HonorShared>,
    Path(app): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let token = bearer(&headers);
    let mut s = seen.lock().unwrap();
    if app != HONOR_APP {
        return honor_answer(
            StatusCode::FORBIDDEN,
            80300002,
            "no permission",
            Value::Null,
        );
    }
    if !s.valid.contains(&token) {
        return honor_answer(
            StatusCode::UNAUTHORIZED,
            80200003,
            "Oauth token expired.",
            Value::Null,
        );
    }
    // The request's time in milliseconds, near the server's.
    let timestamp = headers
        .get("timestamp")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp_millis() - t).abs() < 300_000);
    if !fresh {
        return honor_answer(
            StatusCode::BAD_REQUEST,
            80100001,
            "timestamp is invalid",
            Value::Null,
        );
    }
    let Ok(body) = serde_json::from_str::<Value>(&body) else {
        return honor_answer(
            StatusCode::BAD_REQUEST,
            80100003,
            "Illegal payload",
            Value::Null,
        );
    };
    let n = &body["android"]["notification"];
    let tokens = body["token"].as_array().cloned().unwrap_or_default();
    let well_formed = n["title"].as_str().is_some_and(|t| !t.is_empty())
        && n["body"].as_str().is_some_and(|t| !t.is_empty())
        && n["clickAction"]["type"].is_u64()
        && !tokens.is_empty();
    if !well_formed {
        return honor_answer(
            StatusCode::BAD_REQUEST,
            80100003,
            "Illegal payload",
            Value::Null,
        );
    }
    s.sends.push((token, timestamp, body.clone()));
    match tokens[0].as_str().unwrap_or("") {
        "uninstalled" => honor_answer(
            StatusCode::OK,
            80300007,
            "All the tokens are invalid",
            Value::Null,
        ),
        "partly" => honor_answer(
            StatusCode::OK,
            80100000,
            "Some tokens are invalid",
            json!({"failTokens": ["partly"]}),
        ),
        "busy" if !s.busy_once => {
            s.busy_once = true;
            let mut r = honor_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                503,
                "flow control",
                Value::Null,
            );
            r.headers_mut().insert("retry-after", "30".parse().unwrap());
            r
        }
        _ => honor_answer(
            StatusCode::OK,
            200,
            "success",
            json!({"sendResult": true, "requestId": "16923456789012345678"}),
        ),
    }
}

/// Starts the fake Honor on 127.0.0.1; returns its base URL and what it sees.
pub async fn fake_honor() -> (String, HonorShared) {
    let seen: HonorShared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/auth/token", post(honor_token))
        .route("/api/v1/{app}/sendMessage", post(honor_send))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

pub fn honor(base: &str, secret: &str) -> Honor {
    Honor::new(
        HonorApp {
            app_id: HONOR_APP.into(),
            client_id: HONOR_CLIENT.into(),
            client_secret: secret.into(),
        },
        &format!("{base}/auth/token"),
        base,
        reqwest::Client::new(),
    )
}

#[tokio::test]
async fn honor_signs_in_with_client_credentials_and_sends_a_stamped_notification() {
    let (base, seen) = fake_honor().await;
    let p = honor(&base, HONOR_SECRET);
    assert_eq!(p.name(), "honor");
    let d = p.send(&message("phone-1", true)).await.expect("delivered");
    assert_eq!(d.id, "16923456789012345678");
    p.send(&message("phone-2", false)).await.expect("delivered");
    let s = seen.lock().unwrap();
    assert_eq!(s.token_forms.len(), 1, "the token is cached");
    let (token, timestamp, body) = &s.sends[0];
    assert_eq!(token, "honor-at-1");
    assert!(timestamp.parse::<i64>().is_ok());
    let n = &body["android"]["notification"];
    assert_eq!(n["title"], "督办提醒");
    assert_eq!(n["body"], "请于 12 月 9 日前办结");
    assert_eq!(n["clickAction"]["type"], 3);
    assert_eq!(n["importance"], "NORMAL");
    assert_eq!(body["token"], json!(["phone-1"]));
    let data: Value = serde_json::from_str(body["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["task"], "0196a1d4-0000-7000-8000-000000000001");
}

#[tokio::test]
async fn honor_fetches_a_new_token_once_when_its_token_expired() {
    let (base, seen) = fake_honor().await;
    let p = honor(&base, HONOR_SECRET);
    p.send(&message("phone-1", false)).await.expect("delivered");
    seen.lock().unwrap().valid.clear();
    p.send(&message("phone-2", false))
        .await
        .expect("delivered after a new token");
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.token_forms.len(), 2);
        assert_eq!(s.sends[1].0, "honor-at-2");
    }
    // The secret rotated in the console: the new token is refused, no retry loop.
    let wrong = honor(&base, "old-secret");
    assert!(matches!(
        wrong.send(&message("phone-1", false)).await,
        Err(PushError::Failed(_))
    ));
    assert_eq!(seen.lock().unwrap().token_forms.len(), 3);
}

#[tokio::test]
async fn honor_tells_dead_tokens_flow_control_and_refusals_apart() {
    let (base, seen) = fake_honor().await;
    let p = honor(&base, HONOR_SECRET);
    assert_eq!(
        p.send(&message("uninstalled", false)).await,
        Err(PushError::DeadToken("80300007".into()))
    );
    assert_eq!(
        p.send(&message("partly", false)).await,
        Err(PushError::DeadToken("80100000".into()))
    );
    match p.send(&message("busy", false)).await {
        Err(PushError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(30))),
        other => panic!("{other:?}"),
    }
    assert!(p.send(&message("busy", false)).await.is_ok());
    // An empty title is an illegal payload: refused for good.
    let mut untitled = message("phone-1", false);
    untitled.title.clear();
    assert!(matches!(
        p.send(&untitled).await,
        Err(PushError::Failed(ref why)) if why.contains("80100003")
    ));
    assert_eq!(seen.lock().unwrap().token_forms.len(), 1);
}

#[tokio::test]
async fn the_honor_endpoint_refuses_a_send_without_its_timestamp() {
    let (base, seen) = fake_honor().await;
    honor(&base, HONOR_SECRET)
        .send(&message("phone-1", false))
        .await
        .expect("delivered");
    let body = json!({"android": {"notification": {"title": "t", "body": "b", "clickAction": {"type": 3}}}, "token": ["phone-1"]});
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/{HONOR_APP}/sendMessage"))
        .bearer_auth("honor-at-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["code"], 80100001);
    assert_eq!(seen.lock().unwrap().sends.len(), 1);
}

// ----- the device's platform chooses ----------------------------------------------------------

/// A phone of a person, straight into the table.
async fn add_device(
    s: &Server,
    user: &str,
    device: &str,
    platform: &str,
    provider: &str,
    token: &str,
) {
    s.state
        .db
        .exec(
            "INSERT INTO devices (user_id, device, platform, provider, token, app_version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, '1.0', 0, 0)",
            vec![
                Val::from(user),
                Val::from(device),
                Val::from(platform),
                Val::from(provider),
                Val::from(token),
            ],
        )
        .await
        .expect("device");
}

both!(
    an_hms_device_on_harmonyos_next_goes_through_v3_and_one_on_android_through_v1,
    |s: Server| async move {
        let f = s.fixture().await;
        // No quiet hours: the test runs at any hour.
        let admin = s.login("admin").await;
        let mut policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        policy["delivery"]["quiet_hours"] = Value::Null;
        s.call(
            reqwest::Method::PUT,
            "/api/v1/admin/policy",
            Some(&admin),
            Some(policy),
        )
        .await
        .expect(200);
        let (kit_base, kit) = fake_kit().await;
        let (hms_base, hms_seen) = fake_hms().await;
        let (honor_base, honor_seen) = fake_honor().await;
        let providers = Providers {
            hms: Some(Arc::new(hms(&hms_base, "s=cr3t/value"))),
            harmony: Some(Arc::new(harmony(&kit_base))),
            honor: Some(Arc::new(honor(&honor_base, HONOR_SECRET))),
            ..Providers::default()
        };
        // The HarmonyOS phone registers through the API, as the app does.
        let staff = s.login("staff-a").await;
        s.call(
            reqwest::Method::PUT,
            "/api/v1/devices/current",
            Some(&staff),
            Some(json!({"platform": "harmony", "provider": "hms", "token": "tok-next", "app_version": "1.0"})),
        )
        .await
        .expect(200);
        let user = f.staff_a.to_string();
        add_device(&s, &user, "tablet", "android", "hms", "tok-android").await;
        add_device(&s, &user, "old", "harmony", "hms", "uninstalled").await;
        add_device(&s, &user, "magic", "android", "honor", "tok-honor").await;

        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "清理河道垃圾")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        let report = deliver_due(
            &s.state,
            &providers,
            chrono::Utc::now() + chrono::Duration::seconds(1),
        )
        .await
        .expect("deliver");
        assert_eq!((report.sent, report.dead), (3, 1), "{report:?}");

        let mut v3: Vec<String> = kit_sends(&kit)
            .iter()
            .map(|(_, _, b)| b["target"]["token"][0].as_str().unwrap().to_owned())
            .collect();
        v3.sort();
        assert_eq!(v3, vec!["tok-next".to_owned(), "uninstalled".to_owned()]);
        let v1: Vec<String> = hms_snapshot(&hms_seen)
            .1
            .iter()
            .map(|(_, b)| b["message"]["token"][0].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(v1, vec!["tok-android".to_owned()]);
        assert_eq!(honor_seen.lock().unwrap().sends.len(), 1);

        // Each send recorded under the provider that spoke; the dead HarmonyOS token's
        // device (stored as `hms`) is gone.
        let rows = s
            .state
            .db
            .rows(
                "SELECT target, provider, outcome FROM deliveries ORDER BY target",
                vec![],
            )
            .await
            .expect("deliveries");
        let seen: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.get_text("target").unwrap(),
                    r.get_text("provider").unwrap(),
                    r.get_text("outcome").unwrap(),
                )
            })
            .collect();
        let by_target = |d: &str| seen.iter().find(|(t, _, _)| t == d).cloned();
        assert_eq!(
            by_target("tablet").map(|r| r.1),
            Some("hms".to_owned()),
            "{seen:?}"
        );
        assert_eq!(
            by_target("magic").map(|r| r.1),
            Some("honor".to_owned()),
            "{seen:?}"
        );
        assert_eq!(
            by_target("old").map(|r| (r.1, r.2)),
            Some(("harmony".to_owned(), "dead".to_owned())),
            "{seen:?}"
        );
        let left = s
            .state
            .db
            .rows(
                "SELECT device FROM devices WHERE user_id = $1 ORDER BY device",
                vec![Val::from(user.clone())],
            )
            .await
            .expect("devices");
        let left: Vec<String> = left.iter().map(|r| r.get_text("device").unwrap()).collect();
        assert!(!left.contains(&"old".to_owned()), "{left:?}");
        assert_eq!(left.len(), 3, "{left:?}");
    }
);

both!(
    the_vendor_channels_register_on_android_only,
    |s: Server| async move {
        s.fixture().await;
        let staff = s.login("staff-a").await;
        for provider in ["xiaomi", "oppo", "vivo", "honor"] {
            let r = s
                .call(
                    reqwest::Method::PUT,
                    "/api/v1/devices/current",
                    Some(&staff),
                    Some(json!({"platform": "android", "provider": provider, "token": format!("tok-{provider}"), "app_version": "1.0"})),
                )
                .await
                .expect(200);
            assert_eq!(r["provider"], provider);
            for platform in ["ios", "harmony"] {
                s.call(
                    reqwest::Method::PUT,
                    "/api/v1/devices/current",
                    Some(&staff),
                    Some(json!({"platform": platform, "provider": provider, "token": "tok-x", "app_version": "1.0"})),
                )
                .await
                .error(422, "device.invalid");
            }
        }
    }
);
