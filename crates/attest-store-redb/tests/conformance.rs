//! The backend conformance suite of `attest-store`, at both durability levels.

use std::path::Path;
use std::sync::Arc;

use attest_events::Clock;
use attest_store::conformance::Backend;
use attest_store::Durability;
use attest_store_redb::{RedbOptions, RedbStore};

/// Opens `store.redb` in the case's directory with the given durability.
struct Redb(Durability);

impl Backend for Redb {
    type Store = RedbStore;

    #[expect(clippy::unwrap_used, reason = "the suite's cases fail by panicking")]
    fn open(&self, dir: &Path, clock: Arc<dyn Clock>) -> RedbStore {
        RedbStore::open(dir.join("store.redb"), RedbOptions { clock, durability: self.0 }).unwrap()
    }

    fn durable(&self) -> bool {
        true
    }
}

mod full {
    attest_store::conformance_suite!(super::Redb(attest_store::Durability::Full));
}

mod normal {
    attest_store::conformance_suite!(super::Redb(attest_store::Durability::Normal));
}
