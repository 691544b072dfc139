//! duban-core integration tests: one binary, one module per area.

mod support;

mod audience;
mod calendar;
mod delivery;
mod evidence;
mod matrix;
mod offer;
mod orders;
mod periodic;
#[cfg(feature = "photo")]
mod photo;
mod properties;
mod requirements;
mod rules;
mod scoring;
mod screens;
#[cfg(feature = "client")]
mod store;
mod text;
mod trail;
mod wake;
