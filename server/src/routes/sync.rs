//! The sync protocol: `POST /sync/push`, `GET /sync/pull?after=N&limit=M` (410
//! `sync.cursor_gone` past the feed's head), `GET /sync/snapshot?items=false` (wire types in
//! `duban_core::protocol`).

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use duban_core::domain::Code;
use duban_core::domain::Rejection;
use duban_core::protocol::{
    CommandEnvelope, PullResponse, PushOutcome, PushRequest, PushResponse, Snapshot, MAX_PULL,
    MAX_PUSH,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::auth::Session;
use crate::authority::{apply_all, AuthorityError, Outcome};
use crate::error::{ApiError, Json, Query};
use crate::feed;
use crate::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync/push", post(push))
        .route("/sync/pull", get(pull))
        .route("/sync/snapshot", get(snapshot))
}

/// Refuses fields a command does not have. Commands with fields refuse them when they are
/// read; a command without any (`receive`, `follow`, …) would quietly ignore them, so the
/// fields given are compared with the fields the command has.
fn no_unknown_fields(raw: &serde_json::Value, req: &PushRequest) -> Result<(), ApiError> {
    let Some(commands) = raw.get("commands").and_then(|c| c.as_array()) else {
        return Ok(());
    };
    for (given, env) in commands.iter().zip(&req.commands) {
        let given = given.get("command").and_then(|c| c.as_object());
        let known = serde_json::to_value(&env.command).map_err(ApiError::internal)?;
        let known = known.as_object();
        if let (Some(given), Some(known)) = (given, known) {
            if let Some(extra) = given.keys().find(|k| !known.contains_key(*k)) {
                return Err(ApiError::unprocessable(
                    "request.invalid_body",
                    format!("请求内容不符合格式:命令“{}”没有字段 `{extra}`", env.command.kind().zh()),
                    format!(
                        "the request body does not match the expected shape: command {} has no field `{extra}`",
                        env.command.kind().en()
                    ),
                ));
            }
        }
    }
    Ok(())
}

async fn push(
    State(state): State<AppState>,
    session: Session,
    Json(raw): Json<serde_json::Value>,
) -> Result<Json<PushResponse<Box<RawValue>>>, ApiError> {
    // The body was parsed once, by the extractor; the request is read from that value
    // (not a copy of it), and the value also shows the fields each command was given.
    let req = PushRequest::deserialize(&raw).map_err(|e| {
        let detail = e.to_string();
        ApiError::unprocessable(
            "request.invalid_body",
            format!("请求内容不符合格式:{detail}"),
            format!("the request body does not match the expected shape: {detail}"),
        )
    })?;
    no_unknown_fields(&raw, &req)?;
    if req.commands.is_empty() || req.commands.len() > MAX_PUSH {
        return Err(ApiError::unprocessable(
            "sync.push_size",
            format!("一次推送应包含 1 至 {MAX_PUSH} 条命令"),
            format!("a push carries 1 to {MAX_PUSH} commands"),
        ));
    }
    // The organisation as of this request (the session read it, with any change since
    // another replica's last write). The commands are applied in one transaction, each in
    // its own savepoint, and answered one by one.
    let outcomes = apply_all(
        &state,
        &session.org,
        &session.actor,
        &req.commands,
        state.clock.now(),
    )
    .await?;
    let results = req
        .commands
        .iter()
        .zip(outcomes)
        .map(|(env, outcome)| match outcome {
            Ok(Outcome::Accepted(events)) => PushOutcome::Accepted {
                id: env.id,
                task: env.task,
                events: events.into_iter().map(Into::into).collect(),
            },
            Ok(Outcome::Refused(r)) => rejected(env, r),
            // An id used before for another command, a write that collided with another:
            // that command is refused, the others go on.
            Err(r) => rejected(env, r),
        })
        .collect();
    Ok(Json(PushResponse { results }))
}

fn rejected(env: &CommandEnvelope, r: Rejection) -> PushOutcome<Box<RawValue>> {
    PushOutcome::Rejected {
        id: env.id,
        task: env.task,
        code: r.code,
        zh: r.zh,
        en: r.en,
    }
}

/// The authority's errors at the HTTP edge (the push, the pages): a command's conflict is
/// 409 with its code, a failure of the database as any other.
impl From<AuthorityError> for ApiError {
    fn from(e: AuthorityError) -> ApiError {
        match e {
            AuthorityError::Conflict(r) => ApiError::conflict(&r.code, r.zh, r.en),
            AuthorityError::Db(e) => e.into(),
        }
    }
}

/// Query of `GET /sync/pull`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// The last sequence number already held (0 for none).
    #[serde(default)]
    pub after: i64,
    /// Most changes to examine (default 1000, at most 20000).
    pub limit: Option<usize>,
    /// Whether the client takes `read` changes (notifications the person read elsewhere);
    /// default false, for clients older than them.
    #[serde(default)]
    pub reads: bool,
}

async fn pull(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<PullQuery>,
) -> Result<Json<PullResponse<Box<RawValue>>>, ApiError> {
    let limit = q.limit.unwrap_or(1000);
    if q.after < 0 || limit == 0 || limit > MAX_PULL {
        return Err(ApiError::bad_request(
            "sync.bad_cursor",
            format!("after 不能为负,limit 应为 1 至 {MAX_PULL}"),
            format!("after must not be negative and limit must be 1 to {MAX_PULL}"),
        ));
    }
    feed::pull(&state, &session, q.after, limit, q.reads)
        .await
        .map(Json)
}

/// Query of `GET /sync/snapshot`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotQuery {
    /// Whether to carry the visible items (default true). `false`: only the reference data
    /// and `seq`, for a client that then pulls the feed from 0 in pages.
    #[serde(default = "yes")]
    pub items: bool,
}

fn yes() -> bool {
    true
}

async fn snapshot(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<SnapshotQuery>,
) -> Result<Json<Snapshot<Box<RawValue>>>, ApiError> {
    feed::snapshot(&state, &session, q.items).await.map(Json)
}
