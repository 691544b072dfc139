//! Integration tests: run the built `duban` binary.

mod cli;
