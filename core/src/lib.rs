//! Duban's shared core. `domain` holds the rules of supervision as pure functions: the
//! server runs them authoritatively and the phones run the very same code offline.
//! `protocol` holds the sync protocol's wire types, shared by the server and the phones.
//!
//! With the `photo` feature, `photo`: the on-site photo pipeline (decode, orient, resize,
//! watermark, encode, hash, metadata), used by the phones and the server's command line.
//!
//! With the `client` feature (which includes `photo`), the phone side: `store` (the offline SQLite store and its
//! projections), `sync` (the outbox, the sync engine and its HTTP client) and `client` (the
//! API the mobile shells call).
//!
//! Requirement numbers in comments (R1–R11, R8.2, …) are those of `docs/requirements.md`.

pub mod domain;
pub mod protocol;

#[cfg(feature = "photo")]
pub mod photo;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
mod fault;
#[cfg(feature = "client")]
pub mod store;
#[cfg(feature = "client")]
pub mod sync;
