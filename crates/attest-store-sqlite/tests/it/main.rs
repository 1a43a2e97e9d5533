//! Integration tests of the SQLite store: files written by the original implementation,
//! files that are not stores, damaged rows, and the stored formats.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

mod bad_files;
mod compat;
mod formats;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use attest_events::{Actor, ApprovalGranted, DecisionCreated, EventPayload, FixedClock, Mode, NewEvent, Timestamp};
use attest_store::Durability;
use attest_store_sqlite::{SqliteOptions, SqliteStore};

/// A store on a fixed clock.
pub(crate) fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, options()).unwrap()
}

pub(crate) fn options() -> SqliteOptions {
    let t = Timestamp::parse_isoformat("2026-11-24T10:00:00.000001+00:00").unwrap();
    SqliteOptions { clock: Arc::new(FixedClock(t)), durability: Durability::Full, busy_timeout: Duration::from_secs(5) }
}

pub(crate) fn created(labels: &[&str]) -> NewEvent {
    NewEvent::new(
        Actor::human("alice@example.com").unwrap(),
        &EventPayload::DecisionCreated(DecisionCreated {
            goal: "Résumé 🔑".into(),
            plan: None,
            requested_mode: Mode::Apply,
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
        }),
    )
}

pub(crate) fn approval(who: &str) -> NewEvent {
    NewEvent::new(
        Actor::human(who).unwrap(),
        &EventPayload::ApprovalGranted(ApprovalGranted { expires_at: None, comment: Some("ok".into()) }),
    )
}
