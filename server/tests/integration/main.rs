//! Integration tests of the server: the `duban` binary's command line, and the HTTP API
//! driven over loopback on SQLite and on PostgreSQL (see `support`).

#[macro_use]
mod support;

mod cli;
mod sync;
