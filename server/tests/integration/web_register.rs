//! Registration and dispatch pages.
