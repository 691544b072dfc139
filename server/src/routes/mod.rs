//! The HTTP routes, one module per area; each exposes `router()`.

pub mod admin;
pub mod auth;
pub mod blobs;
pub mod devices;
pub mod health;
pub mod hotline;
pub mod items;
pub mod notifications;
pub mod openapi;
pub mod sync;
pub mod work_accounts;
