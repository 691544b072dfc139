//! The HTTP edge's one error: a status and `{code, message, zh, en}`. `message` is the
//! sentence in the request's language (`Accept-Language`, zh-CN by default: see
//! [`crate::i18n`]); `zh` and `en` carry both, so that a client shows the one its person
//! reads. A 500 is logged with its detail and answered without it.
//!
//! Every extractor's rejection becomes an [`ApiError`] here (the wrappers [`Json`], [`Form`],
//! [`Multipart`], [`Path`], [`Query`]); the answer carries the error in its extensions, so
//! that the edge (`web::errors::edge`) can show it as the pages' HTML error page on a page's
//! path, and any other 4xx or 5xx not in this shape is put in it there.

use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use duban_core::domain::Rejection;
use serde::Serialize;

use crate::db::DbError;
use crate::read::ReadError;

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Stable code, e.g. `auth.bad_credentials`.
    pub code: String,
    /// zh-CN.
    pub zh: String,
    /// English.
    pub en: String,
    /// Seconds after which a retry may succeed, answered as `Retry-After` (a busy server).
    pub retry_after: Option<u32>,
}

/// The JSON body of every error.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// Stable code.
    pub code: &'a str,
    /// `中文 / English`.
    pub message: String,
    /// zh-CN alone.
    pub zh: &'a str,
    /// English alone.
    pub en: &'a str,
}

impl ApiError {
    /// An error with the given status, code and sentences.
    pub fn new(
        status: StatusCode,
        code: &str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            zh: zh.into(),
            en: en.into(),
            retry_after: None,
        }
    }

    /// The same error, answered with `Retry-After: seconds`.
    pub fn with_retry_after(mut self, seconds: u32) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// 400.
    pub fn bad_request(code: &str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, zh, en)
    }

    /// 422: well-formed but refused.
    pub fn unprocessable(code: &str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, zh, en)
    }

    /// 401: no valid session.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.unauthorized",
            "未登录或登录已失效,请重新登录",
            "not signed in, or the session has expired or was revoked; sign in again",
        )
    }

    /// 403: signed in but not allowed.
    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "perm.denied", zh, en)
    }

    /// 404.
    pub fn not_found(what_zh: &str, what_en: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what_zh}不存在"),
            format!("no such {what_en}"),
        )
    }

    /// 409.
    pub fn conflict(code: &str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, zh, en)
    }

    /// 410: what the client asks for is no longer held (e.g. a feed position past the
    /// server's head after a restore).
    pub fn gone(code: &str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::GONE, code, zh, en)
    }

    /// 413.
    pub fn too_large(limit: u64) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            format!("请求内容过大(上限 {limit} 字节)"),
            format!("the request body is too large (limit {limit} bytes)"),
        )
    }

    /// 500, with the detail logged and not answered.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(%detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误,请稍后重试",
            "internal server error; try again later",
        )
    }

    /// 503.
    pub fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "服务暂不可用",
            "service unavailable",
        )
    }

    /// The error a bare status stands for, where nothing more precise is known (an answer
    /// that left the router without a body in the common shape).
    pub fn of_status(status: StatusCode) -> ApiError {
        let (code, zh, en) = match status.as_u16() {
            400 => ("request.bad", "请求有误", "the request is malformed"),
            401 => return ApiError::unauthorized(),
            403 => ("perm.denied", "无权访问", "not allowed"),
            404 => ("not_found", "页面或接口不存在", "no such page or endpoint"),
            405 => ("request.method", "不支持该请求方法", "method not allowed"),
            406 => (
                "request.not_acceptable",
                "无法提供所要求的格式",
                "cannot answer in the format asked for",
            ),
            408 => ("request.timeout", "请求超时", "the request timed out"),
            409 => ("conflict", "数据冲突", "conflict with existing data"),
            411 => (
                "request.length",
                "请求须注明长度",
                "the request must state its length",
            ),
            413 => (
                "request.too_large",
                "请求内容过大",
                "the request body is too large",
            ),
            414 => (
                "request.uri_too_long",
                "请求地址过长",
                "the request's address is too long",
            ),
            415 => (
                "request.content_type",
                "请求内容的类型不受支持",
                "the request body's content type is not supported",
            ),
            422 => (
                "request.invalid_body",
                "请求内容不符合格式",
                "the request body does not match the expected shape",
            ),
            429 => (
                "request.too_many",
                "请求过于频繁,请稍后重试",
                "too many requests; try again later",
            ),
            503 => return ApiError::unavailable(),
            s if s >= 500 => (
                "internal",
                "服务器内部错误,请稍后重试",
                "internal server error; try again later",
            ),
            _ => ("request.refused", "请求被拒绝", "the request was refused"),
        };
        ApiError::new(status, code, zh, en)
    }

    /// A rule's refusal, as 403 (who) or 422 (anything else) or 404 (no such item).
    pub fn from_rejection(r: &Rejection) -> ApiError {
        let status = if r.code.starts_with("perm.") {
            StatusCode::FORBIDDEN
        } else if r.code == "task.not_found" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError::new(status, &r.code, r.zh.clone(), r.en.clone())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: &self.code,
            message: crate::i18n::current().pick(&self.zh, &self.en).to_owned(),
            zh: &self.zh,
            en: &self.en,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // For the edge, which shows it as an HTML page on the pages' paths.
        response.extensions_mut().insert(self);
        response
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        if let DbError::Sqlx(sqlx::Error::Database(d)) = &e {
            if d.is_unique_violation() || d.is_foreign_key_violation() {
                return ApiError::conflict(
                    "conflict",
                    "数据冲突(重复或引用不存在的记录)",
                    "conflict with existing data (a duplicate, or a reference to a missing record)",
                );
            }
        }
        if let DbError::Sqlx(sqlx::Error::PoolTimedOut) = &e {
            return ApiError::unavailable();
        }
        ApiError::internal(e)
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> ApiError {
        match e {
            ReadError::BadView => {
                let names: Vec<&str> = duban_core::domain::derived::view::View::NAMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect();
                ApiError::bad_request(
                    "query.bad_view",
                    format!("未知的视图,可选:{}", names.join("、")),
                    format!("unknown view; use one of {}", names.join(", ")),
                )
            }
            ReadError::BadFilter { param, zh, en } => ApiError::bad_request(
                "query.bad_filter",
                format!("查询参数 {param} 有误:{zh}"),
                format!("the query parameter {param} is invalid: {en}"),
            ),
            ReadError::NotFound => ApiError::not_found("事项", "item"),
            ReadError::Db(e) => ApiError::from(e),
            ReadError::Internal(detail) => ApiError::internal(detail),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::JsonSyntaxError(_) => ApiError::bad_request(
                "request.malformed_json",
                "请求内容不是有效的 JSON",
                "the request body is not valid JSON",
            ),
            JsonRejection::JsonDataError(e) => {
                // serde's text names the field and the problem, never a value.
                let detail = e.body_text();
                let detail = detail
                    .split_once(": ")
                    .map(|(_, d)| d.to_owned())
                    .unwrap_or(detail);
                ApiError::unprocessable(
                    "request.invalid_body",
                    format!("请求内容不符合格式:{detail}"),
                    format!("the request body does not match the expected shape: {detail}"),
                )
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.content_type",
                "请求须为 application/json",
                "the request must be application/json",
            ),
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request.too_large",
                    "请求内容过大",
                    "the request body is too large",
                )
            }
            other => ApiError::bad_request(
                "request.unreadable",
                "无法读取请求内容",
                format!("cannot read the request body ({})", other.status()),
            ),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> ApiError {
        ApiError::bad_request(
            "request.bad_path",
            "地址中的参数有误",
            "a parameter in the path is malformed",
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::bad_request(
            "request.bad_query",
            "查询参数有误",
            format!("the query parameters are malformed: {}", r.body_text()),
        )
    }
}

/// serde's message about a form, kept only when it names a field and never a value
/// (`missing field `username``).
fn form_detail(text: &str) -> Option<String> {
    let detail = text.rsplit(": ").next()?;
    ["missing field", "duplicate field", "unknown field"]
        .iter()
        .any(|p| detail.starts_with(p))
        .then(|| detail.chars().take(120).collect())
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> ApiError {
        match r {
            FormRejection::InvalidFormContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.content_type",
                "请求须为表单(application/x-www-form-urlencoded)",
                "the request must be a form (application/x-www-form-urlencoded)",
            ),
            FormRejection::FailedToDeserializeForm(_)
            | FormRejection::FailedToDeserializeFormBody(_) => match form_detail(&r.body_text()) {
                Some(d) => ApiError::unprocessable(
                    "request.invalid_form",
                    format!("表单内容不完整或有误:{d}"),
                    format!("the form is incomplete or malformed: {d}"),
                ),
                None => ApiError::unprocessable(
                    "request.invalid_form",
                    "表单内容不完整或有误",
                    "the form is incomplete or malformed",
                ),
            },
            FormRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::of_status(StatusCode::PAYLOAD_TOO_LARGE)
            }
            other => ApiError::bad_request(
                "request.unreadable",
                "无法读取请求内容",
                format!("cannot read the request body ({})", other.status()),
            ),
        }
    }
}

impl From<MultipartRejection> for ApiError {
    fn from(r: MultipartRejection) -> ApiError {
        match r {
            MultipartRejection::InvalidBoundary(_) => ApiError::bad_request(
                "request.multipart",
                "上传的表单无效(须为 multipart/form-data 且带分隔符 boundary)",
                "the upload is not a valid form (multipart/form-data with a boundary)",
            ),
            other => ApiError::new(
                other.status(),
                "request.multipart",
                "上传的表单无效",
                "the upload is not a valid form",
            ),
        }
    }
}

/// `Form<T>` whose rejections answer in the shape of [`ApiError`].
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub struct Form<T>(pub T);

/// `Multipart` whose rejections answer in the shape of [`ApiError`]; used as the inner
/// `axum::extract::Multipart` (it dereferences to it).
#[derive(Debug)]
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Multipart, ApiError> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(ApiError::from)
    }
}

impl std::ops::Deref for Multipart {
    type Target = axum::extract::Multipart;
    fn deref(&self) -> &axum::extract::Multipart {
        &self.0
    }
}

impl std::ops::DerefMut for Multipart {
    fn deref_mut(&mut self) -> &mut axum::extract::Multipart {
        &mut self.0
    }
}

/// `Json<T>` whose rejections answer in the shape of [`ApiError`], and which refuses a body
/// with a duplicate key or nested too deeply ([`crate::json::check`]) before reading it as `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        // The content type, the body limit and the syntax as axum checks them; then the keys.
        let axum::Json(raw) =
            axum::Json::<Box<serde_json::value::RawValue>>::from_request(req, state).await?;
        crate::json::check(raw.get().as_bytes()).map_err(ApiError::from)?;
        let axum::Json(value) = axum::Json::<T>::from_bytes(raw.get().as_bytes())?;
        Ok(Json(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Path<T>` answering in the shape of [`ApiError`].
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `Query<T>` answering in the shape of [`ApiError`].
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<crate::json::JsonError> for ApiError {
    fn from(e: crate::json::JsonError) -> ApiError {
        use crate::json::{JsonError, MAX_DEPTH};
        match e {
            JsonError::DuplicateKey => ApiError::bad_request(
                e.code(),
                "请求内容中同一对象的某个键出现了两次",
                "a key appears twice in one object of the request body",
            ),
            JsonError::TooDeep => ApiError::bad_request(
                e.code(),
                format!("请求内容嵌套过深(最多 {MAX_DEPTH} 层)"),
                format!("the request body is nested too deeply (at most {MAX_DEPTH} levels)"),
            ),
        }
    }
}
