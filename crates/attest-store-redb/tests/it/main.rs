//! Integration tests of the redb store, one module per topic (the conformance suite is
//! `tests/conformance.rs`).

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers outside #[test] fns fail by panicking")]

mod concurrency;
mod durability;
mod files;
mod lock;
mod model;
mod semantics;
mod support;
