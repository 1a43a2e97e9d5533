//! Integration tests of attest-router: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests assert by unwrapping")]

mod bridge;
mod common;
mod engine;
mod import;
mod nexus_router;
mod properties;
mod subprocess;
mod vectors;
