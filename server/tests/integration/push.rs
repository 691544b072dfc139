//! The push providers against local endpoints that speak their protocols. FCM HTTP v1: the
//! OAuth2 token exchange (the endpoint verifies the RS256 JWT with the account's public key),
//! the send API (it checks the bearer token and the message's shape), FCM's error answers.
//! HMS Push Kit v1: client credentials, the v1 message, Huawei's answer codes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use duban_server::push::apns::{Apns, ApnsKey};
use duban_server::push::fcm::{Fcm, ServiceAccount, SCOPE};
use duban_server::push::hms::{Hms, HmsApp};
use duban_server::push::sms::{Aliyun, Gateway, Sms};
use duban_server::push::{Message, Provider, PushError};
use serde_json::{json, Value};

pub const PRIVATE: &str = include_str!("fixtures/fcm-test-key.pem");
const PUBLIC: &str = include_str!("fixtures/fcm-test-key.pub.pem");

/// What the fake service saw and how it answers.
#[derive(Default)]
pub struct Seen {
    token_requests: Vec<Value>,
    sends: Vec<(String, Value)>,
    valid: Vec<String>,
    expires_in: u64,
    busy_once: bool,
}

pub type Shared = Arc<Mutex<Seen>>;

/// The credential after `scheme` in the Authorization header (empty if none).
fn credential(headers: &HeaderMap, scheme: &str) -> String {
    headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix(scheme))
        .unwrap_or("")
        .to_owned()
}

fn fcm_error(status: StatusCode, code: &str, state: &str) -> Response {
    let body = json!({"error": {
        "code": status.as_u16(), "message": "error", "status": state,
        "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}]
    }});
    (status, axum::Json(body)).into_response()
}

async fn token(State(seen): State<Shared>, base: String, form: String) -> Response {
    let fields: BTreeMap<&str, &str> = form
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if fields.get("grant_type") != Some(&"urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") {
        return (StatusCode::BAD_REQUEST, "grant_type").into_response();
    }
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[format!("{base}/token")]);
    v.set_issuer(&["duban-push@duban-test.iam.gserviceaccount.com"]);
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
    let Ok(claims) =
        jsonwebtoken::decode::<Value>(fields.get("assertion").copied().unwrap_or(""), &key, &v)
    else {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let mut s = seen.lock().unwrap();
    s.token_requests
        .push(json!({"header": claims.header.kid, "claims": claims.claims}));
    let access = format!("ya29.test-{}", s.token_requests.len());
    // Like Google, every token issued stays good until it expires (two replicas each hold one).
    s.valid.push(access.clone());
    let expires_in = s.expires_in;
    axum::Json(json!({"access_token": access, "expires_in": expires_in, "token_type": "Bearer"}))
        .into_response()
}

async fn send(
    State(seen): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let bearer = credential(&headers, "Bearer ");
    let mut s = seen.lock().unwrap();
    if project != "duban-test" {
        return fcm_error(StatusCode::NOT_FOUND, "", "NOT_FOUND");
    }
    if !s.valid.contains(&bearer) {
        return fcm_error(StatusCode::UNAUTHORIZED, "", "UNAUTHENTICATED");
    }
    s.sends.push((bearer, body.clone()));
    let n = s.sends.len();
    match body["message"]["token"].as_str().unwrap_or("") {
        "dead" => fcm_error(StatusCode::NOT_FOUND, "UNREGISTERED", "NOT_FOUND"),
        "other-sender" => fcm_error(
            StatusCode::FORBIDDEN,
            "SENDER_ID_MISMATCH",
            "PERMISSION_DENIED",
        ),
        "busy" if !s.busy_once => {
            s.busy_once = true;
            let mut r = fcm_error(
                StatusCode::TOO_MANY_REQUESTS,
                "QUOTA_EXCEEDED",
                "RESOURCE_EXHAUSTED",
            );
            r.headers_mut().insert("retry-after", "7".parse().unwrap());
            r
        }
        "down" => fcm_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "UNAVAILABLE",
        ),
        "malformed" => fcm_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
        ),
        _ => axum::Json(json!({"name": format!("projects/duban-test/messages/0:{n}")}))
            .into_response(),
    }
}

/// Starts the fake FCM on 127.0.0.1; returns its base URL and what it sees.
pub async fn fake_fcm(expires_in: u64) -> (String, Shared) {
    let seen: Shared = Arc::new(Mutex::new(Seen {
        expires_in,
        ..Seen::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    let app = Router::new()
        .route(
            "/token",
            post(move |st: State<Shared>, form: String| token(st, b.clone(), form)),
        )
        .route("/v1/projects/{project}/messages:send", post(send))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// What the fake service saw so far (copied, so no lock is held across a send).
pub fn snapshot(seen: &Shared) -> (Vec<Value>, Vec<(String, Value)>) {
    let s = seen.lock().unwrap();
    (s.token_requests.clone(), s.sends.clone())
}

/// The service account key file of the fake FCM at `base`.
pub fn service_account(base: &str) -> Value {
    json!({
        "type": "service_account",
        "project_id": "duban-test",
        "private_key_id": "k1",
        "private_key": PRIVATE,
        "client_email": "duban-push@duban-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": format!("{base}/token"),
    })
}

pub fn provider(base: &str) -> Fcm {
    let key_file = service_account(base);
    let account = ServiceAccount::from_json(&key_file.to_string()).expect("key file");
    Fcm::new(account, base, reqwest::Client::new()).expect("provider")
}

pub(crate) fn message(token: &str, urgent: bool) -> Message {
    Message {
        token: token.into(),
        title: "督办提醒".into(),
        body: "距办理期限还有 1 个工作日".into(),
        data: BTreeMap::from([(
            "task".to_owned(),
            "0196a1d4-0000-7000-8000-000000000001".to_owned(),
        )]),
        urgent,
        // The urgent one carries a collapse id, the other not: both shapes are checked.
        collapse_id: urgent.then(|| "5f0c6d1e-0000-4000-8000-000000000001".to_owned()),
    }
}

#[tokio::test]
async fn fcm_signs_in_with_the_service_account_and_sends_the_v1_shape() {
    let (base, seen) = fake_fcm(3600).await;
    let fcm = provider(&base);
    assert_eq!(fcm.name(), "fcm");
    let d = fcm
        .send(&message("phone-1", true))
        .await
        .expect("delivered");
    assert_eq!(d.id, "projects/duban-test/messages/0:1");
    let (token_requests, sends) = snapshot(&seen);
    assert_eq!(token_requests.len(), 1);
    let claims = &token_requests[0]["claims"];
    assert_eq!(claims["scope"], SCOPE);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(
        token_requests[0]["header"], "k1",
        "the key id travels as kid"
    );
    let (bearer, body) = &sends[0];
    assert_eq!(bearer, "ya29.test-1");
    assert_eq!(body["message"]["token"], "phone-1");
    assert_eq!(body["message"]["notification"]["title"], "督办提醒");
    assert_eq!(
        body["message"]["data"]["task"],
        "0196a1d4-0000-7000-8000-000000000001"
    );
    assert_eq!(body["message"]["android"]["priority"], "HIGH");
    assert_eq!(body["message"]["apns"]["headers"]["apns-priority"], "10");
    let collapse = "5f0c6d1e-0000-4000-8000-000000000001";
    assert_eq!(body["message"]["android"]["notification"]["tag"], collapse);
    assert_eq!(
        body["message"]["apns"]["headers"]["apns-collapse-id"],
        collapse
    );
    let _ = fcm
        .send(&message("phone-2", false))
        .await
        .expect("delivered");
    let s = seen.lock().unwrap();
    assert_eq!(s.sends[1].1["message"]["android"]["priority"], "NORMAL");
    assert!(s.sends[1].1["message"]["android"]["notification"].is_null());
}

#[tokio::test]
async fn the_access_token_is_cached_refreshed_when_stale_and_when_refused() {
    // An hour's token serves many sends.
    let (base, seen) = fake_fcm(3600).await;
    let fcm = provider(&base);
    for n in 0..5 {
        fcm.send(&message(&format!("phone-{n}"), false))
            .await
            .expect("delivered");
    }
    assert_eq!(seen.lock().unwrap().token_requests.len(), 1, "cached");
    // The service forgets the token (revoked, or expired early): one refresh, then on.
    seen.lock().unwrap().valid.clear();
    fcm.send(&message("phone-9", false))
        .await
        .expect("delivered after a refresh");
    let (token_requests, sends) = snapshot(&seen);
    assert_eq!(token_requests.len(), 2);
    assert_eq!(sends.last().unwrap().0, "ya29.test-2");
    // A token that lives no longer than the safety margin is fetched again every time.
    let (base, seen) = fake_fcm(60).await;
    let fcm = provider(&base);
    for n in 0..3 {
        fcm.send(&message(&format!("phone-{n}"), false))
            .await
            .expect("delivered");
    }
    assert_eq!(
        seen.lock().unwrap().token_requests.len(),
        3,
        "never used stale"
    );
}

#[tokio::test]
async fn dead_tokens_busy_answers_and_refusals_are_told_apart() {
    let (base, _seen) = fake_fcm(3600).await;
    let fcm = provider(&base);
    assert_eq!(
        fcm.send(&message("dead", false)).await,
        Err(PushError::DeadToken("UNREGISTERED".into()))
    );
    assert_eq!(
        fcm.send(&message("other-sender", false)).await,
        Err(PushError::DeadToken("SENDER_ID_MISMATCH".into()))
    );
    match fcm.send(&message("busy", false)).await {
        Err(PushError::Retry { after, .. }) => {
            assert_eq!(after, Some(Duration::from_secs(7)), "Retry-After honoured")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        fcm.send(&message("busy", false)).await.is_ok(),
        "later it goes through"
    );
    assert!(matches!(
        fcm.send(&message("down", false)).await,
        Err(PushError::Retry { after: None, .. })
    ));
    let e = fcm.send(&message("malformed", false)).await.unwrap_err();
    assert!(matches!(e, PushError::Failed(_)), "{e:?}");
    assert_eq!(e.code(), "push.failed");
    // A wrong key is refused before anything is sent; an unreachable service is "later".
    let mut bad = ServiceAccount::from_json(
        &json!({"project_id": "p", "client_email": "e", "private_key": "not a key", "token_uri": "x"}).to_string(),
    )
    .unwrap();
    assert!(matches!(
        Fcm::new(bad.clone(), &base, reqwest::Client::new()),
        Err(PushError::Failed(_))
    ));
    bad.private_key = PRIVATE.into();
    bad.token_uri = "http://127.0.0.1:9/token".into();
    let unreachable = Fcm::new(bad, "http://127.0.0.1:9", reqwest::Client::new()).unwrap();
    assert!(matches!(
        unreachable.send(&message("x", false)).await,
        Err(PushError::Retry { .. })
    ));
}

// ----- HMS Push Kit -----------------------------------------------------------------------

/// What the fake HMS saw: token requests (as forms) and sends (bearer, body).
#[derive(Default)]
pub struct HmsSeen {
    token_forms: Vec<String>,
    sends: Vec<(String, Value)>,
    valid: Vec<String>,
    busy_once: bool,
}

pub type HmsShared = Arc<Mutex<HmsSeen>>;

fn hms_answer(status: StatusCode, code: &str, msg: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "msg": msg, "requestId": "1690000000001"})),
    )
        .into_response()
}

async fn hms_token(State(seen): State<HmsShared>, form: String) -> Response {
    let ok =
        form == "grant_type=client_credentials&client_id=107654321&client_secret=s%3Dcr3t%2Fvalue";
    let mut s = seen.lock().unwrap();
    s.token_forms.push(form);
    if !ok {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": 1101, "error_description": "invalid client"})),
        )
            .into_response();
    }
    let token = format!("CV-hms-{}", s.token_forms.len());
    s.valid = vec![token.clone()];
    axum::Json(json!({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}))
        .into_response()
}

async fn hms_send(
    State(seen): State<HmsShared>,
    Path(app): Path<String>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let bearer = credential(&headers, "Bearer ");
    let mut s = seen.lock().unwrap();
    if app != "107654321" {
        return hms_answer(StatusCode::NOT_FOUND, "80300002", "no permission");
    }
    if !s.valid.contains(&bearer) {
        return hms_answer(StatusCode::UNAUTHORIZED, "80200003", "Oauth token expired.");
    }
    s.sends.push((bearer, body.clone()));
    let token = body["message"]["token"][0]
        .as_str()
        .unwrap_or("")
        .to_owned();
    match token.as_str() {
        "uninstalled" => hms_answer(StatusCode::OK, "80300007", "All the tokens are invalid"),
        "partly" => hms_answer(
            StatusCode::OK,
            "80100000",
            "{\"success\":0,\"failure\":1,\"illegal_tokens\":[\"partly\"]}",
        ),
        "busy" if !s.busy_once => {
            s.busy_once = true;
            let mut r = hms_answer(StatusCode::SERVICE_UNAVAILABLE, "", "traffic control");
            r.headers_mut().insert("retry-after", "30".parse().unwrap());
            r
        }
        "broken" => hms_answer(StatusCode::BAD_REQUEST, "80100003", "Illegal payload"),
        _ => hms_answer(StatusCode::OK, "80000000", "Success"),
    }
}

pub async fn fake_hms() -> (String, HmsShared) {
    let seen: HmsShared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/oauth2/v3/token", post(hms_token))
        .route("/v1/{app}/messages:send", post(hms_send))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

pub fn hms(base: &str, secret: &str) -> Hms {
    Hms::new(
        HmsApp {
            app_id: "107654321".into(),
            app_secret: secret.into(),
        },
        &format!("{base}/oauth2/v3/token"),
        base,
        reqwest::Client::new(),
    )
}

pub fn hms_snapshot(seen: &HmsShared) -> (Vec<String>, Vec<(String, Value)>) {
    let s = seen.lock().unwrap();
    (s.token_forms.clone(), s.sends.clone())
}

#[tokio::test]
async fn hms_signs_in_with_client_credentials_and_sends_the_v1_shape() {
    let (base, seen) = fake_hms().await;
    let p = hms(&base, "s=cr3t/value");
    assert_eq!(p.name(), "hms");
    let d = p.send(&message("phone-1", true)).await.expect("delivered");
    assert_eq!(d.id, "1690000000001");
    p.send(&message("phone-2", false)).await.expect("delivered");
    let (forms, sends) = hms_snapshot(&seen);
    assert_eq!(forms.len(), 1, "the token is cached");
    let (bearer, body) = &sends[0];
    assert_eq!(bearer, "CV-hms-1");
    assert_eq!(body["validate_only"], false);
    assert_eq!(body["message"]["token"], json!(["phone-1"]));
    assert_eq!(body["message"]["android"]["urgency"], "HIGH");
    // Classified as a work reminder (工作事项提醒), a service message (服务与通讯).
    assert_eq!(body["message"]["android"]["category"], "WORK");
    assert_eq!(
        body["message"]["android"]["notification"]["importance"],
        "NORMAL"
    );
    assert_eq!(sends[1].1["message"]["android"]["category"], "WORK");
    assert_eq!(
        body["message"]["android"]["notification"]["title"],
        "督办提醒"
    );
    let data: Value = serde_json::from_str(body["message"]["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["task"], "0196a1d4-0000-7000-8000-000000000001");
    assert_eq!(sends[1].1["message"]["android"]["urgency"], "NORMAL");
    assert_eq!(
        body["message"]["android"]["notification"]["tag"],
        "5f0c6d1e-0000-4000-8000-000000000001"
    );
    assert!(sends[1].1["message"]["android"]["notification"]["tag"].is_null());
    // The token expires early: one refresh, then delivered.
    seen.lock().unwrap().valid.clear();
    p.send(&message("phone-3", false))
        .await
        .expect("delivered after a refresh");
    assert_eq!(hms_snapshot(&seen).0.len(), 2);
}

#[tokio::test]
async fn hms_tells_dead_tokens_traffic_control_and_refusals_apart() {
    let (base, _seen) = fake_hms().await;
    let p = hms(&base, "s=cr3t/value");
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
        "later it goes through"
    );
    assert!(matches!(
        p.send(&message("broken", false)).await,
        Err(PushError::Failed(_))
    ));
    // Wrong credentials are a refusal, not a retry.
    let wrong = hms(&base, "nope");
    assert!(matches!(
        wrong.send(&message("phone-1", false)).await,
        Err(PushError::Failed(_))
    ));
}

// ----- SMS ----------------------------------------------------------------------------------

/// The signature an Aliyun RPC endpoint expects, computed here on its own from the query it
/// received: every parameter but `Signature`, sorted, RFC 3986-encoded, `GET&%2F&…`, HMAC-SHA1
/// under `secret&`, base64.
pub(crate) fn aliyun_expected_signature(query: &BTreeMap<String, String>, secret: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let mut pairs: Vec<(&String, &String)> =
        query.iter().filter(|(k, _)| *k != "Signature").collect();
    pairs.sort();
    let canonical: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    let to_sign = format!("GET&%2F&{}", enc(&canonical.join("&")));
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The SMS webhook's signature, computed here on its own: hex HMAC-SHA256 under the shared
/// secret of the timestamp, a newline, the nonce, a newline and the body.
pub fn webhook_signature(secret: &str, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(nonce.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn fake_sms() -> (String, Arc<Mutex<Vec<BTreeMap<String, String>>>>) {
    let seen: Arc<Mutex<Vec<BTreeMap<String, String>>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let s2 = seen.clone();
    let aliyun = move |axum::extract::Query(q): axum::extract::Query<BTreeMap<String, String>>| {
        let seen = s2.clone();
        async move {
            let good = q.get("Signature") == Some(&aliyun_expected_signature(&q, "aliyun-secret"));
            seen.lock().unwrap().push(q.clone());
            // Template review's rules for a notification template's variables: each of the
            // template's variables given, each 1 to 35 characters, no signature brackets.
            let params: Value = q
                .get("TemplateParam")
                .and_then(|p| serde_json::from_str(p).ok())
                .unwrap_or(Value::Null);
            let missing = ["no", "kind", "count", "due"]
                .iter()
                .any(|k| params[k].as_str().is_none());
            let illegal = params.as_object().into_iter().flatten().any(|(_, v)| {
                let v = v.as_str().unwrap_or("");
                v.chars().count() > 35 || v.is_empty() || v.contains(['【', '】'])
            });
            let code = if !good {
                "SignatureDoesNotMatch"
            } else if missing {
                "isv.TEMPLATE_MISSING_PARAMETERS"
            } else if illegal {
                "isv.TEMPLATE_PARAMS_ILLEGAL"
            } else {
                match q.get("PhoneNumbers").map(String::as_str) {
                    Some("12345") => "isv.MOBILE_NUMBER_ILLEGAL",
                    Some("13800000002") => "isv.BUSINESS_LIMIT_CONTROL",
                    _ if q.get("TemplateCode").map(String::as_str) == Some("SMS_00000000") => {
                        "isv.SMS_TEMPLATE_ILLEGAL"
                    }
                    _ => "OK",
                }
            };
            axum::Json(
                json!({"Code": code, "Message": code, "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}),
            )
        }
    };
    let webhook = |headers: HeaderMap, body: axum::body::Bytes| async move {
        let h = |name: &str| {
            headers
                .get(name)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        if h("x-duban-signature")
            != webhook_signature(
                "hook-secret",
                &h("x-duban-timestamp"),
                &h("x-duban-nonce"),
                &body,
            )
        {
            return (StatusCode::UNAUTHORIZED, axum::Json(json!({}))).into_response();
        }
        let v: Value = serde_json::from_slice(&body).unwrap();
        match v["phone"].as_str() {
            Some("13800000009") => (StatusCode::GONE, axum::Json(json!({}))).into_response(),
            _ => axum::Json(json!({"id": format!("hook-{}", v["phone"].as_str().unwrap())}))
                .into_response(),
        }
    };
    let app = Router::new()
        .route("/", axum::routing::get(aliyun))
        .route("/hook", post(webhook));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

pub fn aliyun(base: &str, secret: &str) -> Sms {
    Sms::new(
        Gateway::Aliyun {
            endpoint: base.into(),
            account: Aliyun {
                access_key_id: "LTAI-test".into(),
                access_key_secret: secret.into(),
                sign_name: "清河县督查室".into(),
                template_code: "SMS_12345678".into(),
                template_code_en: Some("SMS_87654321".into()),
            },
        },
        reqwest::Client::new(),
    )
}

#[tokio::test]
async fn sms_through_aliyun_signs_each_request_and_reads_the_answer_codes() {
    let (base, seen) = fake_sms().await;
    let sms = aliyun(&base, "aliyun-secret");
    assert_eq!(sms.name(), "sms");
    let d = sms.send(&message("13800000001", true)).await.expect("sent");
    assert_eq!(d.id, "900619746936498440^0");
    let q = seen.lock().unwrap()[0].clone();
    assert_eq!(q["Action"], "SendSms");
    assert_eq!(q["SignName"], "清河县督查室");
    assert_eq!(q["SignatureMethod"], "HMAC-SHA1");
    // The template's short variables, never the title or the sentence.
    let param: Value = serde_json::from_str(&q["TemplateParam"]).unwrap();
    let keys: Vec<&String> = param.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["count", "due", "kind", "no"], "{param}");
    assert!(param.get("title").is_none() && param.get("body").is_none());
    // Each request has its own nonce.
    sms.send(&message("13800000001", false))
        .await
        .expect("sent");
    let nonces: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|q| q["SignatureNonce"].clone())
        .collect();
    assert_ne!(nonces[0], nonces[1]);
    assert_eq!(
        sms.send(&message("12345", false)).await,
        Err(PushError::DeadToken("isv.MOBILE_NUMBER_ILLEGAL".into()))
    );
    assert!(matches!(
        sms.send(&message("13800000002", false)).await,
        Err(PushError::Retry { .. })
    ));
    // A wrong secret: the gateway refuses the signature, for good.
    let wrong = aliyun(&base, "other");
    assert!(matches!(
        wrong.send(&message("13800000001", false)).await,
        Err(PushError::Failed(_))
    ));
}

#[tokio::test]
async fn sms_through_a_webhook_is_signed_over_its_body() {
    let (base, _seen) = fake_sms().await;
    let hook = |secret: &str| {
        Sms::new(
            Gateway::Webhook {
                url: format!("{base}/hook"),
                secret: secret.into(),
            },
            reqwest::Client::new(),
        )
    };
    let d = hook("hook-secret")
        .send(&message("13800000001", false))
        .await
        .expect("sent");
    assert_eq!(d.id, "hook-13800000001");
    assert_eq!(
        hook("hook-secret")
            .send(&message("13800000009", false))
            .await,
        Err(PushError::DeadToken("gone".into()))
    );
    assert!(matches!(
        hook("wrong").send(&message("13800000001", false)).await,
        Err(PushError::Failed(_))
    ));
}

// ----- APNs -----------------------------------------------------------------------------------

const APNS_KEY: &str = include_str!("fixtures/apns-test-key.p8");
const APNS_PUBLIC: &str = include_str!("fixtures/apns-test-key.pub.pem");

#[derive(Default)]
pub struct ApnsSeen {
    /// Each request: HTTP version, headers, the device token of the path, the body.
    pub requests: Vec<(axum::http::Version, HeaderMap, String, Value)>,
    expire_next: bool,
    tokens: Vec<String>,
}

async fn apns_send(
    State(seen): State<Arc<Mutex<ApnsSeen>>>,
    Path(device): Path<String>,
    version: axum::http::Version,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let jwt = credential(&headers, "bearer ");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.set_issuer(&["TEAM123456"]);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    let key = jsonwebtoken::DecodingKey::from_ec_pem(APNS_PUBLIC.as_bytes()).unwrap();
    let decoded = jsonwebtoken::decode::<Value>(&jwt, &key, &v);
    let mut s = seen.lock().unwrap();
    s.requests
        .push((version, headers.clone(), device.clone(), body));
    let reason = |status: StatusCode, reason: &str| {
        (status, axum::Json(json!({"reason": reason}))).into_response()
    };
    match decoded {
        Ok(t) if t.header.kid.as_deref() == Some("KEY1234567") => {}
        _ => return reason(StatusCode::FORBIDDEN, "InvalidProviderToken"),
    }
    if !s.tokens.contains(&jwt) {
        s.tokens.push(jwt.clone());
    }
    if s.expire_next {
        s.expire_next = false;
        return reason(StatusCode::FORBIDDEN, "ExpiredProviderToken");
    }
    match device.as_str() {
        "gone" => (
            StatusCode::GONE,
            axum::Json(json!({"reason": "Unregistered", "timestamp": 1764590000000u64})),
        )
            .into_response(),
        "bad" => reason(StatusCode::BAD_REQUEST, "BadDeviceToken"),
        "busy" => {
            let mut r = reason(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
            r.headers_mut().insert("retry-after", "12".parse().unwrap());
            r
        }
        "huge" => reason(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"),
        _ => {
            let mut r = StatusCode::OK.into_response();
            r.headers_mut().insert(
                "apns-id",
                "EC1BF194-B3B2-424A-89A9-5A918A6E6B5D".parse().unwrap(),
            );
            r
        }
    }
}

pub async fn fake_apns() -> (String, Arc<Mutex<ApnsSeen>>) {
    let seen: Arc<Mutex<ApnsSeen>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/3/device/{device}", post(apns_send))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

pub fn apns(base: &str) -> Apns {
    Apns::new(
        ApnsKey {
            team_id: "TEAM123456".into(),
            key_id: "KEY1234567".into(),
            p8: APNS_KEY.into(),
            topic: "cn.gov.qinghe.duban".into(),
        },
        base,
        reqwest::Client::builder(),
    )
    .expect("provider")
}

#[tokio::test]
async fn apns_speaks_http2_with_an_es256_token_and_the_alert_headers() {
    let (base, seen) = fake_apns().await;
    let p = apns(&base);
    assert_eq!(p.name(), "apns");
    let d = p.send(&message("a1b2c3", true)).await.expect("delivered");
    assert_eq!(d.id, "EC1BF194-B3B2-424A-89A9-5A918A6E6B5D");
    p.send(&message("d4e5f6", false)).await.expect("delivered");
    let (requests, tokens) = {
        let s = seen.lock().unwrap();
        (s.requests.clone(), s.tokens.clone())
    };
    let (version, headers, device, body) = &requests[0];
    assert_eq!(*version, axum::http::Version::HTTP_2);
    assert_eq!(device, "a1b2c3");
    assert_eq!(headers["apns-topic"], "cn.gov.qinghe.duban");
    assert_eq!(headers["apns-push-type"], "alert");
    assert_eq!(headers["apns-priority"], "10");
    assert_eq!(requests[1].1["apns-priority"], "5");
    assert_eq!(
        headers["apns-collapse-id"],
        "5f0c6d1e-0000-4000-8000-000000000001"
    );
    assert!(requests[1].1.get("apns-collapse-id").is_none());
    assert_eq!(body["aps"]["alert"]["title"], "督办提醒");
    assert_eq!(body["task"], "0196a1d4-0000-7000-8000-000000000001");
    assert_eq!(tokens.len(), 1, "one provider token serves both");
    // Apple says the token expired: a new one is signed at once and the message goes again
    // (signed within the same second, ES256's deterministic signature may equal the old).
    seen.lock().unwrap().expire_next = true;
    p.send(&message("a1b2c3", false))
        .await
        .expect("delivered with a new token");
    assert_eq!(
        seen.lock().unwrap().requests.len(),
        4,
        "refused once, then sent"
    );
}

#[tokio::test]
async fn apns_tells_unregistered_busy_and_refused_apart() {
    let (base, _seen) = fake_apns().await;
    let p = apns(&base);
    assert_eq!(
        p.send(&message("gone", false)).await,
        Err(PushError::DeadToken("Unregistered".into()))
    );
    assert_eq!(
        p.send(&message("bad", false)).await,
        Err(PushError::DeadToken("BadDeviceToken".into()))
    );
    match p.send(&message("busy", false)).await {
        Err(PushError::Retry { after, .. }) => assert_eq!(after, Some(Duration::from_secs(12))),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        p.send(&message("huge", false)).await,
        Err(PushError::Failed(_))
    ));
    assert!(matches!(
        Apns::new(
            ApnsKey {
                team_id: "T".into(),
                key_id: "K".into(),
                p8: "not a key".into(),
                topic: "x".into()
            },
            &base,
            reqwest::Client::builder()
        ),
        Err(PushError::Failed(_))
    ));
}
