//! Duban's shared core. `domain` holds the rules of supervision as pure functions: the
//! server runs them authoritatively and the phones run the very same code offline.
//! `protocol` holds the sync protocol's wire types, shared by the server and the phones.

pub mod domain;
pub mod protocol;
