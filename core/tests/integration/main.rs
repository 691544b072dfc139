//! duban-core integration tests: one binary, one module per area.

mod support;

mod audience;
mod calendar;
mod matrix;
mod properties;
mod rules;
mod scoring;
mod screens;
#[cfg(feature = "client")]
mod store;
mod trail;
