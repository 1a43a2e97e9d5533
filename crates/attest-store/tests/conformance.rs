//! The in-memory store passes the conformance suite.

use std::path::Path;
use std::sync::Arc;

use attest_events::Clock;
use attest_store::conformance::Backend;
use attest_store::MemoryStore;

struct Memory;

impl Backend for Memory {
    type Store = MemoryStore;
    fn open(&self, _dir: &Path, clock: Arc<dyn Clock>) -> MemoryStore {
        MemoryStore::with_clock(clock)
    }
    fn durable(&self) -> bool {
        false
    }
}

attest_store::conformance_suite!(Memory);
