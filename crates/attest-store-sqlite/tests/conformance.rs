//! The SQLite store passes the attest-store conformance suite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use std::path::Path;
use std::sync::Arc;

use attest_events::Clock;
use attest_store::conformance::Backend;
use attest_store::Durability;
use attest_store_sqlite::{SqliteOptions, SqliteStore, DEFAULT_BUSY_TIMEOUT};

struct Sqlite;

impl Backend for Sqlite {
    type Store = SqliteStore;
    fn open(&self, dir: &Path, clock: Arc<dyn Clock>) -> SqliteStore {
        let options = SqliteOptions { clock, durability: Durability::Full, busy_timeout: DEFAULT_BUSY_TIMEOUT };
        SqliteStore::open(dir.join("store.db"), options).unwrap()
    }
    fn durable(&self) -> bool {
        true
    }
}

attest_store::conformance_suite!(Sqlite);
