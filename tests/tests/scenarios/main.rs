//! End-to-end scenarios: phones (duban-core's sync client) against the real server, through
//! the harness of `duban_tests` (a proxy that can cut the line, backups and restores), on
//! SQLite and on PostgreSQL. One binary for the crate keeps link times down; one module per
//! area.

mod crash;
mod harness;
mod phone;
mod photos;
mod world;
