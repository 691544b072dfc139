//! The item page and its acts.
