//! duban-core integration tests: one binary, one module per area.

mod support;

mod calendar;
mod matrix;
mod properties;
mod rules;
mod scoring;
mod trail;
