//! Duban's shared core. `domain` holds the rules of supervision as pure functions: the
//! server runs them authoritatively and the phones run the very same code offline.

pub mod domain;
