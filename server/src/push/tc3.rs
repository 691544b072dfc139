//! Tencent Cloud API 3.0 request signing, `TC3-HMAC-SHA256`, for every Tencent Cloud
//! service Duban calls (SMS `SendSms`; a voice-notification call may reuse it).
//!
//! The algorithm, as documented in "签名方法 v3" / "Signature v3"
//! (<https://cloud.tencent.com/document/api/382/52072>, the same page for every product:
//! <https://www.tencentcloud.com/document/api/382/40711>):
//!
//! 1. the canonical request: `POST`, `/`, an empty query, the canonical headers
//!    (`content-type:…\nhost:…\n`, lowercase names, trimmed values), the signed header
//!    names (`content-type;host`) and the lowercase hex SHA-256 of the body, joined by `\n`;
//! 2. the string to sign: `TC3-HMAC-SHA256`, the request's Unix timestamp (the same as
//!    `X-TC-Timestamp`), the credential scope `{UTC date}/{service}/tc3_request`, and the hex
//!    SHA-256 of the canonical request, joined by `\n`;
//! 3. the signing key, derived by HMAC-SHA256 chaining: `"TC3" + SecretKey` over the date,
//!    that over the service, that over `tc3_request`;
//! 4. the signature: hex HMAC-SHA256 of the string to sign under the signing key;
//! 5. the header `Authorization: TC3-HMAC-SHA256 Credential={SecretId}/{scope},
//!    SignedHeaders=content-type;host, Signature={signature}`.
//!
//! The service checks the timestamp too: a request more than five minutes away from its
//! clock is refused with `AuthFailure.SignatureExpire`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The signing algorithm's name.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The headers the signature covers.
pub const SIGNED_HEADERS: &str = "content-type;host";

/// The content type every API 3.0 POST carries (and signs).
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A Tencent Cloud API key (访问密钥): the SecretId and SecretKey.
#[derive(Clone, Debug)]
pub struct Credential {
    /// The SecretId (`AKID…`).
    pub secret_id: String,
    /// The SecretKey.
    pub secret_key: String,
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The UTC date (`YYYY-MM-DD`) of a Unix timestamp, as the credential scope names it.
pub fn date_of(timestamp: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(timestamp, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// The `Authorization` header of a POST of `payload` (JSON, [`CONTENT_TYPE`]) to `host` for
/// `service` (e.g. `sms`), signed at `timestamp` (Unix seconds, sent as `X-TC-Timestamp`).
pub fn authorization(
    credential: &Credential,
    service: &str,
    host: &str,
    payload: &[u8],
    timestamp: i64,
) -> String {
    let canonical_request = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\n{SIGNED_HEADERS}\n{}",
        sha256_hex(payload)
    );
    let date = date_of(timestamp);
    let scope = format!("{date}/{service}/tc3_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let secret_date = hmac(format!("TC3{}", credential.secret_key).as_bytes(), &date);
    let secret_service = hmac(&secret_date, service);
    let secret_signing = hmac(&secret_service, "tc3_request");
    let signature = hex(&hmac(&secret_signing, &string_to_sign));
    format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}",
        credential.secret_id
    )
}

/// The host (and port, if not the scheme's default) of an endpoint URL, as the `Host`
/// header carries it and the signature covers it.
pub fn host_of(endpoint: &str) -> Option<String> {
    let url = reqwest::Url::parse(endpoint).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_chains_date_service_and_tc3_request() {
        let c = Credential {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE".into(),
            secret_key: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE".into(),
        };
        let a = authorization(&c, "sms", "sms.tencentcloudapi.com", b"{}", 1_551_113_065);
        assert!(a.starts_with(
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/sms/tc3_request, SignedHeaders=content-type;host, Signature="
        ));
        let sig = a.rsplit('=').next().unwrap();
        assert_eq!(sig.len(), 64);
        // Another second, another signature; another key, another signature.
        assert_ne!(
            a,
            authorization(&c, "sms", "sms.tencentcloudapi.com", b"{}", 1_551_113_066)
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080/").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            host_of("https://sms.tencentcloudapi.com").as_deref(),
            Some("sms.tencentcloudapi.com")
        );
    }
}
