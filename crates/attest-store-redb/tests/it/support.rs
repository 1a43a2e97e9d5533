//! Shared test helpers: temp dirs, a stepping clock, event builders.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use attest_events::{Actor, Clock, EventType, NewEvent, Timestamp, Value};
use attest_store::Durability;
use attest_store_redb::{RedbOptions, RedbStore};

/// A directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("attest-store-redb-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn file(&self) -> PathBuf {
        self.0.join("store.redb")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A clock that advances one second per reading from 2026-01-01T00:00:00Z.
#[derive(Debug)]
pub(crate) struct StepClock(Mutex<i64>);

pub(crate) const BASE_MICROS: i64 = 1_767_225_600_000_000;

impl StepClock {
    pub(crate) fn new() -> Arc<StepClock> {
        Arc::new(StepClock(Mutex::new(BASE_MICROS)))
    }
}

impl Clock for StepClock {
    fn now(&self) -> Timestamp {
        let mut t = self.0.lock().unwrap();
        let now = *t;
        *t += 1_000_000;
        Timestamp::from_unix_micros_saturating(now)
    }
}

pub(crate) fn open(path: &Path, clock: Arc<dyn Clock>, durability: Durability) -> RedbStore {
    RedbStore::open(path, RedbOptions { clock, durability }).unwrap()
}

pub(crate) fn json(text: &str) -> Value {
    attest_verify::json::parse(text).unwrap()
}

pub(crate) fn event(kind: EventType, payload: &str) -> NewEvent {
    NewEvent::raw(kind, Actor::human("alice").unwrap(), json(payload)).unwrap()
}

pub(crate) fn created(labels: &[&str]) -> NewEvent {
    let labels: Vec<String> = labels.iter().map(|l| format!("\"{l}\"")).collect();
    event(
        EventType::DecisionCreated,
        &format!(r#"{{"goal": "ship", "plan": null, "requested_mode": "dry_run", "labels": [{}]}}"#, labels.join(", ")),
    )
}

pub(crate) fn revoke(reason: &str) -> NewEvent {
    event(EventType::ApprovalRevoked, &format!(r#"{{"reason": "{reason}"}}"#))
}
