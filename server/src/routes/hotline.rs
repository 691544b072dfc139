//! The signed intake of the upper (city) hotline platform: `POST /api/v1/hotline/orders`.
//! The protocol, for the platform's implementers, is docs/hotline-platform.md.
//!
//! No session: the platform signs each request with the secret it shares with this server
//! ([`crate::config::Config::hotline_secret`]) — HMAC-SHA256 (RFC 2104, FIPS 180-4) over
//! `timestamp "\n" nonce "\n" body`, in hex in `X-Duban-Signature`. Checked in this order,
//! each refusal with its stable code: the body's size (before reading it whole, 413), the
//! headers' presence and shape (401 `hotline.unsigned`), the signature, compared in constant
//! time (401 `hotline.bad_signature`), the timestamp within five minutes of the server's
//! clock (401 `hotline.stale`), the nonce never seen while its timestamp is fresh (409
//! `hotline.replayed`; nonces are kept until then and swept), then the JSON (400
//! `hotline.bad_json`, 422 `hotline.invalid_body`) and the rules (422 with the rule's code).
//! Without a configured secret no signature can hold: every post is 401
//! `hotline.not_configured`.
//!
//! The order is registered as the system (`hotline::platform_actor`), in the line's hotline category, with the caller's
//! data as its confidential attributes (`crate::hotline`). The platform's order number makes
//! the post idempotent: a new order answers 201, a number registered already 200 with the
//! same item, never a second one.

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};
use duban_core::domain::order::{Line, OrderChannel, OrderKind};
use duban_core::domain::Code;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::db::hotline as rows;
use crate::error::ApiError;
use crate::hotline::{self, Intake, OrderInput};
use crate::AppState;

/// The largest body accepted, in bytes (checked before the body is read whole).
pub const MAX_BODY: usize = 64 * 1024;

/// How far the timestamp may be from the server's clock, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// The header with the Unix time of the request, in seconds.
pub const TIMESTAMP: &str = "x-duban-timestamp";
/// The header with the request's nonce.
pub const NONCE: &str = "x-duban-nonce";
/// The header with the signature, in hex.
pub const SIGNATURE: &str = "x-duban-signature";

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/hotline/orders", post(intake))
}

/// An order as the platform posts it (docs/hotline-platform.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformOrder {
    /// The platform's order number: the key of idempotency.
    pub platform_number: String,
    /// `12345` (default) or `12369` (or `citizen`, `environment`).
    #[serde(default)]
    pub line: Option<String>,
    /// When the call came in (RFC 3339).
    pub called_at: DateTime<Utc>,
    /// What the caller wants.
    pub kind: OrderKind,
    /// The unit or place the call is about.
    pub subject: String,
    /// A title; absent: the start of the content.
    #[serde(default)]
    pub title: String,
    /// What the caller said.
    pub content: String,
    /// The caller (confidential).
    #[serde(default)]
    pub caller: Caller,
    /// An urgent public-safety matter.
    #[serde(default)]
    pub urgent_safety: bool,
    /// The caller asked for confidentiality.
    #[serde(default)]
    pub keep_private: bool,
    /// The platform's deadline (RFC 3339), if any.
    #[serde(default)]
    pub deadline: Option<DateTime<Utc>>,
}

/// The caller's data.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caller {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Address.
    #[serde(default)]
    pub address: String,
}

/// The answer: the item that holds the order.
#[derive(Debug, Serialize)]
pub struct Registered {
    /// The item's id.
    pub id: String,
    /// Its number (e.g. `热〔2026〕12号`).
    pub number: String,
    /// The platform's order number, as given.
    pub platform_number: String,
    /// Its status's code (`draft` for a new order, accepted or not yet).
    pub status: String,
    /// Whether this request registered it (false: registered by an earlier one).
    pub created: bool,
}

fn unauthorized(code: &str, zh: &str, en: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, zh, en)
}

fn unsigned() -> ApiError {
    unauthorized(
        "hotline.unsigned",
        "缺少或无法识别签名请求头(X-Duban-Timestamp、X-Duban-Nonce、X-Duban-Signature)",
        "the signature headers (X-Duban-Timestamp, X-Duban-Nonce, X-Duban-Signature) are missing or malformed",
    )
}

/// A nonce: 16 to 128 characters of letters, digits, `-` and `_`.
fn nonce_ok(n: &str) -> bool {
    (16..=128).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The message signed: the timestamp as sent, a newline, the nonce, a newline, the body.
pub fn signed_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 2);
    m.extend_from_slice(timestamp.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(nonce.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m
}

/// The signature of a request (lowercase hex), as the platform computes it.
pub fn sign(secret: &str, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(&signed_message(timestamp, nonce, body));
    hex(&mac.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The signature headers, read and checked against the body: the timestamp (seconds) and
/// the nonce, once the signature holds and the time is fresh.
fn verify(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(i64, String), ApiError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (Some(timestamp), Some(nonce), Some(signature)) =
        (header(TIMESTAMP), header(NONCE), header(SIGNATURE))
    else {
        return Err(unsigned());
    };
    let seconds: i64 = match timestamp.parse() {
        Ok(s) if timestamp.bytes().all(|b| b.is_ascii_digit()) => s,
        _ => return Err(unsigned()),
    };
    if !nonce_ok(nonce) {
        return Err(unsigned());
    }
    let Some(given) = unhex(signature).filter(|s| s.len() == 32) else {
        return Err(unsigned());
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(ApiError::internal)?;
    mac.update(&signed_message(timestamp, nonce, body));
    // `verify_slice` compares in constant time (the `subtle` crate, under `hmac`).
    if mac.verify_slice(&given).is_err() {
        return Err(unauthorized(
            "hotline.bad_signature",
            "签名不正确",
            "the signature does not match",
        ));
    }
    if (now.timestamp() - seconds).abs() > MAX_SKEW_SECONDS {
        return Err(unauthorized(
            "hotline.stale",
            format!("请求时间与服务器时间相差超过{}分钟", MAX_SKEW_SECONDS / 60).as_str(),
            format!(
                "the request's timestamp is more than {} minutes from the server's clock",
                MAX_SKEW_SECONDS / 60
            )
            .as_str(),
        ));
    }
    Ok((seconds, nonce.to_owned()))
}

fn invalid_body(detail: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable(
        "hotline.invalid_body",
        format!("工单内容不符合格式:{detail}"),
        format!("the order does not match the expected shape: {detail}"),
    )
}

/// Reads the body up to [`MAX_BODY`], refusing a larger one before reading it whole.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, ApiError> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ApiError::too_large(MAX_BODY as u64));
    }
    to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY as u64))
}

/// The typed order of a post.
fn order_input(o: PlatformOrder) -> Result<OrderInput, ApiError> {
    let line = match o.line.as_deref().map(str::trim) {
        None | Some("") => Line::Citizen,
        Some(l) => Line::from_text(l).ok_or_else(|| invalid_body(format!("line `{l}`")))?,
    };
    Ok(OrderInput {
        line,
        platform_number: Some(o.platform_number),
        called_at: o.called_at,
        caller_name: o.caller.name,
        caller_phone: o.caller.phone,
        caller_address: o.caller.address,
        subject: o.subject,
        title: o.title,
        content: o.content,
        kind: o.kind,
        channel: OrderChannel::Platform,
        urgent_safety: o.urgent_safety,
        keep_private: o.keep_private,
        deadline: o.deadline,
    })
}

async fn intake(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match receive(&state, &headers, body).await {
        Ok((status, r)) => (status, axum::Json(r)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(StatusCode, Registered), ApiError> {
    let Some(secret) = state.config.hotline_secret.as_deref() else {
        return Err(unauthorized(
            "hotline.not_configured",
            "未配置热线平台对接密钥,不接收平台工单",
            "no secret is configured for the hotline platform; orders are not taken",
        ));
    };
    let body = read_body(headers, body).await?;
    let now = state.clock.now();
    let (seconds, nonce) = verify(secret, headers, &body, now)?;

    // The nonce, kept while its timestamp could still be fresh.
    let expires = (seconds.max(now.timestamp()) + MAX_SKEW_SECONDS + 60) * 1000;
    let mut tx = state.db.write().await?;
    let fresh = rows::claim_nonce(&mut tx, &nonce, expires, now.timestamp_millis()).await?;
    tx.commit().await?;
    if !fresh {
        return Err(ApiError::conflict(
            "hotline.replayed",
            "该请求已收到过(随机数重复)",
            "this request was received before (the nonce is used already)",
        ));
    }

    let order: PlatformOrder = match serde_json::from_slice::<serde_json::Value>(&body) {
        Err(e) => {
            return Err(ApiError::bad_request(
                "hotline.bad_json",
                format!("请求内容不是有效的 JSON:{e}"),
                format!("the body is not valid JSON: {e}"),
            ))
        }
        Ok(v) => serde_json::from_value(v).map_err(invalid_body)?,
    };
    let number = order.platform_number.trim().to_owned();
    let input = order_input(order)?;
    let org = state.org.latest(&state.db).await?;
    let registration = hotline::registration(&input, &org, now)
        .map_err(|p| ApiError::from_rejection(&p.rejection()))?;
    let intake = hotline::register(
        state,
        &org,
        &hotline::platform_actor(),
        registration,
        uuid::Uuid::new_v4(),
        now,
    )
    .await?
    .map_err(|r| ApiError::from_rejection(&r))?;
    let task = intake.task();
    let mut tx = state.db.read().await?;
    let item = crate::db::tasks::state(&mut tx, task).await?;
    drop(tx);
    let item = item.ok_or_else(|| ApiError::internal("a registered order is not stored"))?;
    let created = matches!(intake, Intake::Created(_));
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Registered {
            id: task.to_string(),
            number: item
                .number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            platform_number: number,
            status: item.status.code().to_owned(),
            created,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_nonce_and_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signed_message("1700000000", "abc", b"{}"),
            b"1700000000\nabc\n{}"
        );
        let s = sign("k", "1", "n", b"x");
        assert_eq!(unhex(&s).map(|b| b.len()), Some(32));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("abc"), None);
    }

    #[test]
    fn nonces_are_short_safe_words() {
        assert!(nonce_ok("0123456789abcdef"));
        assert!(nonce_ok("a_b-c".repeat(4).as_str()));
        assert!(!nonce_ok("short"));
        assert!(!nonce_ok("0123456789abcdef\n"));
        assert!(!nonce_ok(&"a".repeat(129)));
    }
}
