//! Integration tests of the server: the `duban` binary's command line, and the HTTP API
//! driven over loopback on SQLite and on PostgreSQL (see `support`).

#[macro_use]
mod support;

mod accounts;
mod admin;
mod admin_settings;
mod blobs;
mod browser;
mod browser_admin;
mod browser_hotline;
mod browser_journey;
mod browser_settings;
mod browser_uploads;
mod cli;
mod demo;
mod devices;
mod first_day;
mod hotline_api;
mod jobs;
mod matrix;
mod notify;
mod openapi;
mod push;
mod query;
mod replicas;
mod scheduler;
mod schema_parity;
mod sec_auth;
mod sec_crash;
mod sec_import;
mod sec_misc;
mod sec_reach;
mod sec_reading;
mod sec_web;
mod sync;
mod units_import;
mod views;
mod web;
mod web_acts;
mod web_errors;
mod web_export;
mod web_finding;
mod web_hotline;
mod web_hotline_stats;
mod web_item;
mod web_lang_office;
mod web_language;
mod web_peers;
mod web_people;
mod web_register;
mod web_reports;
mod web_scores;
mod web_signin;
mod web_stats;
mod web_uploads;
