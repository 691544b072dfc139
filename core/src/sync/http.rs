//! The server's sync API over HTTPS (reqwest with rustls), with timeouts. Failures are sorted
//! into what the sync does about them: the network or the server is unreachable (retry
//! later), the session ended (sign in again), the feed position is gone (take a new
//! snapshot), or the server refused with a code and a reason.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_RANGE, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::SyncError;
use crate::domain::Event;
use crate::protocol::{
    Device, DeviceRegistration, LoginRequest, LoginResponse, PullResponse, PushRequest,
    PushResponse, ReadOutcome, ReadReceipts, Snapshot,
};

/// How far an upload is on the server (`GET /blobs/{hash}/status`).
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct UploadStatus {
    /// Whether the file is stored.
    pub complete: bool,
    /// Bytes received so far, contiguous from the start.
    pub received: u64,
    /// The size announced, if any.
    pub total: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    zh: String,
    en: String,
}

/// The server's API.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    /// A client for the server at `base` (e.g. `https://duban.example.gov.cn`).
    pub fn new(
        base: &str,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Http, SyncError> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .user_agent(concat!("duban-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok(Http {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let b = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base));
        match token {
            Some(t) => b.header(AUTHORIZATION, format!("Bearer {t}")),
            None => b,
        }
    }

    async fn send(&self, b: RequestBuilder) -> Result<reqwest::Response, SyncError> {
        let resp = b.send().await.map_err(transport)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.bytes().await.unwrap_or_default();
        let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        Err(match (status, parsed) {
            (StatusCode::UNAUTHORIZED, _) => SyncError::Unauthorized,
            (StatusCode::GONE, _) => SyncError::CursorGone,
            (
                StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT
                | StatusCode::TOO_MANY_REQUESTS,
                _,
            ) => SyncError::Offline(format!("HTTP {status}")),
            (_, Some(e)) => SyncError::Server {
                status: status.as_u16(),
                code: e.code,
                zh: e.zh,
                en: e.en,
            },
            (_, None) => SyncError::Server {
                status: status.as_u16(),
                code: "http.status".into(),
                zh: format!("服务器返回 HTTP {status}"),
                en: format!("the server answered HTTP {status}"),
            },
        })
    }

    async fn json<T: DeserializeOwned>(&self, b: RequestBuilder) -> Result<T, SyncError> {
        let resp = self.send(b).await?;
        let bytes = resp.bytes().await.map_err(transport)?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// `POST /auth/login`.
    pub async fn login(&self, req: &LoginRequest) -> Result<LoginResponse, SyncError> {
        self.json(self.request(Method::POST, "/auth/login", None).json(req))
            .await
    }

    /// `POST /auth/logout`.
    pub async fn logout(&self, token: &str) -> Result<(), SyncError> {
        self.send(self.request(Method::POST, "/auth/logout", Some(token)))
            .await
            .map(drop)
    }

    /// `GET /sync/snapshot?items=false`: the reference data and the feed position.
    pub async fn reference(&self, token: &str) -> Result<Snapshot<Event>, SyncError> {
        self.json(self.request(Method::GET, "/sync/snapshot?items=false", Some(token)))
            .await
    }

    /// `GET /sync/pull`.
    pub async fn pull(
        &self,
        token: &str,
        after: i64,
        limit: usize,
    ) -> Result<PullResponse<Event>, SyncError> {
        self.json(self.request(
            Method::GET,
            &format!("/sync/pull?after={after}&limit={limit}&reads=true"),
            Some(token),
        ))
        .await
    }

    /// `POST /sync/push`.
    pub async fn push(
        &self,
        token: &str,
        req: &PushRequest,
    ) -> Result<PushResponse<Event>, SyncError> {
        self.json(
            self.request(Method::POST, "/sync/push", Some(token))
                .json(req),
        )
        .await
    }

    /// `PUT /devices/current`: this phone's push registration.
    pub async fn register_device(
        &self,
        token: &str,
        req: &DeviceRegistration,
    ) -> Result<Device, SyncError> {
        self.json(
            self.request(Method::PUT, "/devices/current", Some(token))
                .json(req),
        )
        .await
    }

    /// `POST /notifications/read`: read receipts.
    pub async fn read_receipts(
        &self,
        token: &str,
        req: &ReadReceipts,
    ) -> Result<ReadOutcome, SyncError> {
        self.json(
            self.request(Method::POST, "/notifications/read", Some(token))
                .json(req),
        )
        .await
    }

    /// `GET /blobs/{hash}/status`.
    pub async fn blob_status(&self, token: &str, hash: &str) -> Result<UploadStatus, SyncError> {
        self.json(self.request(Method::GET, &format!("/blobs/{hash}/status"), Some(token)))
            .await
    }

    /// `PUT /blobs/{hash}`: `data` is the bytes from `start` of a file of `total` bytes (the
    /// whole file when `start` is 0 and it holds them all).
    pub async fn upload(
        &self,
        token: &str,
        hash: &str,
        mime: &str,
        start: u64,
        total: u64,
        data: Vec<u8>,
    ) -> Result<(), SyncError> {
        let len = data.len() as u64;
        let mut b = self
            .request(Method::PUT, &format!("/blobs/{hash}"), Some(token))
            .header(CONTENT_TYPE, mime);
        if !(start == 0 && len == total) {
            b = b.header(
                CONTENT_RANGE,
                format!("bytes {start}-{}/{total}", start + len - 1),
            );
        }
        self.send(b.body(data)).await.map(drop)
    }

    /// `GET /blobs/{hash}`: the type and content.
    pub async fn download(&self, token: &str, hash: &str) -> Result<(String, Vec<u8>), SyncError> {
        let resp = self
            .send(self.request(Method::GET, &format!("/blobs/{hash}"), Some(token)))
            .await?;
        let mime = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = resp.bytes().await.map_err(transport)?;
        Ok((mime, bytes.to_vec()))
    }
}

/// A request that got no answer: the network or the server is unreachable.
fn transport(e: reqwest::Error) -> SyncError {
    if e.is_decode() {
        SyncError::Protocol(e.to_string())
    } else {
        SyncError::Offline(e.to_string())
    }
}
