//! Duban's server: the authority that applies the core's rules to every command, keeps each
//! item's trail, and serves the sync protocol, files, queries and the admin API over HTTP
//! (axum), on an embedded SQLite database or on PostgreSQL.
//!
//! [`app`] builds the router from an [`AppState`]; [`serve`] runs it until a shutdown signal.
//! The modules are in layers (docs/adr/0008): the edge (`routes`, `web`), the read model
//! (`read`) and the authority (`authority`) with the services beside them, and storage
//! (`db`, the only module that writes SQL or knows the backend).
//!
//! Requirement numbers in comments (R1–R11, R8.2, …) are those of `docs/requirements.md`.

/// The process's allocator (every binary that links the server: the server, its tests and
/// benches): mimalloc, measured faster than the system's on the write path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod admin_trail;
pub mod archive;
pub mod auth;
pub mod authority;
pub mod bulletins;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod feed;
pub mod hotline;
pub mod hotline_import;
pub mod i18n;
pub mod init;
pub mod jobs;
pub mod json;
pub mod metrics;
pub mod notify;
pub mod org;
pub mod org_import;
pub mod push;
pub mod read;
pub mod register;
pub mod routes;
pub mod scheduler;
pub mod search;
pub mod seed;
pub mod sheet;
pub mod states;
pub mod web;
pub mod workapp;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;

use crate::config::{Config, LogFormat};
use crate::db::{Db, DbError};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::org::OrgCache;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// The database.
    pub db: Db,
    /// The configuration.
    pub config: Config,
    /// The cached organisation.
    pub org: OrgCache,
    /// Metrics.
    pub metrics: Metrics,
    /// Woken when a command queued a delivery due at once (the delivery worker waits on it).
    pub deliveries: tokio::sync::Notify,
    /// Parsed item states by version, for the queries over many items.
    pub states: states::StateCache,
    /// The clock items are judged by (see [`clock::Clock`]).
    pub clock: clock::Clock,
    /// The bound on password hashes running at once (see [`auth::Hashing`]).
    pub hashing: auth::Hashing,
    /// The work apps (DingTalk, WeCom) the settings configure: sign-in from them, binding by
    /// mobile, and (through [`push::Providers::with_work_apps`]) their notifications.
    pub workapps: workapp::WorkApps,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the database (running migrations) and loads the organisation.
    pub async fn open(config: Config) -> Result<AppState, DbError> {
        let db = Db::open(
            config.database.as_deref(),
            &config.data_dir,
            config.db_connections,
        )
        .await?;
        AppState::with_db(db, config).await
    }

    /// Uses an open database.
    pub async fn with_db(db: Db, config: Config) -> Result<AppState, DbError> {
        let org = OrgCache::new(&db).await?;
        search::backfill(&db).await?;
        let hashing = auth::Hashing::new(
            config.hash_concurrency,
            std::time::Duration::from_millis(config.hash_wait_ms),
        );
        // `serve` refuses incomplete settings before it gets here; a state built otherwise
        // (tests, tools) goes without the work apps its settings do not complete.
        let workapps = push::http_client(&config.push)
            .map_err(|e| e.to_string())
            .and_then(|http| {
                workapp::WorkApps::from_settings(&config.push, config.public_url.as_deref(), http)
                    .map_err(|e| e.to_string())
            })
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "the work apps are off");
                workapp::WorkApps::default()
            });
        Ok(AppState(Arc::new(Inner {
            workapps,
            db,
            config,
            org,
            metrics: Metrics::default(),
            deliveries: tokio::sync::Notify::new(),
            states: states::StateCache::default(),
            clock: clock::Clock::default(),
            hashing,
        })))
    }
}

async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.request(method.as_str(), &route, status, took);
    tracing::debug!(%method, %route, status, micros = took.as_micros() as u64, "request");
    response
}

/// An id derived from its parts (the first naming what it is for, with its version): the
/// same parts give the same id on every replica and every retry.
pub fn derived_uuid(parts: &[&[u8]]) -> uuid::Uuid {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p);
    }
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&h.finalize().as_bytes()[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    let limit = state.config.max_body;
    Router::new()
        .merge(routes::health::router())
        .nest(
            "/api/v1",
            Router::new()
                .merge(routes::auth::router())
                .merge(routes::sync::router())
                .merge(routes::hotline::router())
                .merge(routes::admin::router())
                .merge(routes::blobs::router())
                .merge(routes::devices::router())
                .merge(routes::notifications::router())
                .merge(routes::items::router())
                .merge(routes::work_accounts::router()),
        )
        .merge(routes::openapi::router())
        .merge(
            web::router()
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    web::inbox::badge,
                ))
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    web::guard::guard,
                )),
        )
        .fallback(web::errors::not_found)
        .method_not_allowed_fallback(web::errors::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::language::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), record))
        .layer(axum::middleware::from_fn(to_completion))
        .layer(axum::middleware::from_fn(web::errors::edge))
        .with_state(state)
}

/// Runs every request to its end in a task of its own. A client that goes away (a phone
/// killed or out of signal mid-push) makes hyper drop the request's future; without this a
/// transaction could be abandoned between two statements and its connection handed back
/// to the pool mid-transaction. Detached, each command still commits or rolls back whole,
/// and the client's retry finds its outcome by the command's id.
async fn to_completion(req: Request, next: Next) -> Response {
    match tokio::spawn(next.run(req)).await {
        Ok(response) => response,
        Err(e) => axum::response::IntoResponse::into_response(ApiError::internal(e)),
    }
}

/// Sets up logging to standard error (`RUST_LOG` filters; default `info`); standard output
/// is left for what the command prints (the demo accounts).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database.
    #[error("{0}")]
    Db(#[from] DbError),
    /// Seeding the demo.
    #[error("demo data: {0}")]
    Seed(String),
    /// Binding or serving.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The push or SMS settings.
    #[error("push settings: {0}")]
    Push(String),
}

impl ServeError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ServeError::Db(_) => "serve.database",
            ServeError::Seed(_) => "serve.demo",
            ServeError::Io(_) => "serve.listen",
            ServeError::Push(_) => "serve.push",
        }
    }
}

/// Opens the database, seeds the demo if asked, and serves until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let listen = config.listen;
    let demo = config.demo;
    tracing::info!(
        database = if config.database.is_some() { "postgresql" } else { "sqlite" },
        data_dir = %config.data_dir.display(),
        "opening the database"
    );
    let scheduler_seconds = config.scheduler_seconds;
    let delivery_seconds = config.delivery_seconds;
    let providers = push::Providers::from_settings(&config.push)
        .map_err(|e| ServeError::Push(e.to_string()))?;
    // Checked here so that incomplete work-app settings stop the server (the state builds
    // its own from the same settings).
    push::http_client(&config.push)
        .map_err(|e| e.to_string())
        .and_then(|http| {
            workapp::WorkApps::from_settings(&config.push, config.public_url.as_deref(), http)
                .map_err(|e| e.to_string())
        })
        .map_err(ServeError::Push)?;
    let state = AppState::open(config).await?;
    let providers = providers.with_work_apps(&state.workapps);
    if demo {
        let seeded = seed::seed_demo(&state)
            .await
            .map_err(|e| ServeError::Seed(format!("{} ({})", e.en, e.code)))?;
        println!("{}", seed::banner(seeded, listen));
    }
    // After the demo's past is written, so that the scheduler's steps come after it.
    if scheduler_seconds > 0 {
        scheduler::spawn(
            state.clone(),
            std::time::Duration::from_secs(u64::from(scheduler_seconds)),
            {
                let state = state.clone();
                Arc::new(move || state.clock.now())
            },
        );
    }
    if delivery_seconds > 0 {
        tracing::info!(providers = ?providers.names(), "delivering notifications");
        notify::spawn(
            state.clone(),
            providers,
            std::time::Duration::from_secs(u64::from(delivery_seconds)),
            Arc::new(chrono::Utc::now),
        );
    }
    if let Some(address) = state.config.metrics_listen {
        let listener = tokio::net::TcpListener::bind(address).await?;
        tracing::info!(address = %listener.local_addr()?, "serving /metrics");
        let router = routes::health::metrics_router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(%e, "the metrics listener stopped");
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, "listening");
    axum::serve(listener, app(state.clone()))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    state.db.close().await;
    tracing::info!("stopped");
    Ok(())
}
