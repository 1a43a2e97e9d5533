//! Run records as nexus-router 1.1.1 keeps them (router.md 3.3): a run row plus an
//! append-only, gap-free event sequence; the [`RunStore`] trait and the in-memory store.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use attest_verify::json::{Map, Value};

use crate::error::StoreError;
use crate::hash::{into_sorted, uint};

/// Run status as stored: `RUNNING` at creation, then `COMPLETED` or `FAILED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// The run is being executed.
    Running,
    /// Every step succeeded.
    Completed,
    /// A step failed, the plan was cut or refused, or adapter selection failed.
    Failed,
}

impl RunStatus {
    /// `RUNNING`, `COMPLETED` or `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Completed => "COMPLETED",
            RunStatus::Failed => "FAILED",
        }
    }
}

/// The run row: `{run_id, mode, goal, status, created_at}`. Strings as stored (an
/// imported bundle may carry values this crate would never write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// The run id (UUIDv4 for runs created here).
    pub run_id: String,
    /// `dry_run` or `apply`.
    pub mode: String,
    /// The request's goal.
    pub goal: String,
    /// See [`RunStatus`].
    pub status: String,
    /// `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub created_at: String,
}

impl RunRecord {
    /// The bundle's `run` object, keys in nexus-router's export order.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("run_id", Value::str(&self.run_id));
        m.insert("mode", Value::str(&self.mode));
        m.insert("goal", Value::str(&self.goal));
        m.insert("status", Value::str(&self.status));
        m.insert("created_at", Value::str(&self.created_at));
        Value::Object(m)
    }
}

/// One stored event: `{event_id, run_id, seq, type, payload, ts}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEvent {
    /// UUIDv4.
    pub event_id: String,
    /// The run it belongs to.
    pub run_id: String,
    /// 0, 1, 2, ... without gaps.
    pub seq: u64,
    /// `RUN_STARTED`, `DISPATCH_SELECTED`, ... (router.md 3.4); borrowed for events
    /// written here, owned for imported ones.
    pub event_type: Cow<'static, str>,
    /// The payload object, keys sorted at every depth (nexus-router stores router JSON
    /// and parses it back).
    pub payload: Value,
    /// `YYYY-MM-DDTHH:MM:SS.sssZ`.
    pub ts: String,
}

impl RunEvent {
    /// The bundle's event object, keys in nexus-router's export order.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(6);
        m.insert("event_id", Value::str(&self.event_id));
        m.insert("run_id", Value::str(&self.run_id));
        m.insert("seq", uint(self.seq));
        m.insert("type", Value::str(&*self.event_type));
        m.insert("payload", self.payload.clone());
        m.insert("ts", Value::str(&self.ts));
        Value::Object(m)
    }
}

/// An event to append; the store assigns `seq` and the run id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRunEvent {
    /// The event id, drawn by the engine (the id order is part of reproducibility).
    pub event_id: String,
    /// The event type.
    pub event_type: &'static str,
    /// The payload object (stored with keys sorted).
    pub payload: Value,
    /// The timestamp text.
    pub ts: String,
}

/// A run row with all its events, in `seq` order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    /// The run row.
    pub record: RunRecord,
    /// The events by `seq`.
    pub events: Vec<RunEvent>,
}

/// Where runs are recorded.
///
/// Contract (nexus-router's SQLite store, router.md 3.3): one row per run, events
/// append-only with `seq` = largest seq of the run + 1 (or 0), computed atomically with
/// the insert; payloads are stored with keys sorted at every depth. Implementations are
/// `Send + Sync`; one engine writes a run at a time.
pub trait RunStore: Send + Sync {
    /// Create a run row. Errors: [`StoreError::RunExists`] (nothing written).
    fn create_run(&self, record: RunRecord) -> Result<(), StoreError>;

    /// Append one event to run `run_id` and return its `seq`. Errors:
    /// [`StoreError::RunNotFound`].
    fn append(&self, run_id: &str, event: NewRunEvent) -> Result<u64, StoreError>;

    /// Set the run's status. Errors: [`StoreError::RunNotFound`].
    fn set_status(&self, run_id: &str, status: RunStatus) -> Result<(), StoreError>;

    /// The run and its events, `None` when absent.
    fn load(&self, run_id: &str) -> Result<Option<StoredRun>, StoreError>;

    /// Insert a whole run atomically (import): with `replace`, an existing run of the
    /// same id is deleted in the same step; without it, [`StoreError::RunExists`].
    /// Events keep their `seq`, `ts`, ids and payloads; a repeated `seq` fails with
    /// [`StoreError::SeqDuplicate`] and changes nothing (router.md 3.13, fixed gap).
    fn put_run(&self, run: StoredRun, replace: bool) -> Result<(), StoreError>;

    /// Delete a run and its events; whether it existed.
    fn remove_run(&self, run_id: &str) -> Result<bool, StoreError>;

    /// Every run id, in creation order.
    fn run_ids(&self) -> Result<Vec<String>, StoreError>;

    /// Call `f` with the stored run without copying it when the store can; `false` when
    /// the run is absent.
    fn with_run(&self, run_id: &str, f: &mut dyn FnMut(&StoredRun)) -> Result<bool, StoreError> {
        match self.load(run_id)? {
            Some(run) => {
                f(&run);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Runs in memory, optionally bounded (the oldest runs are forgotten first).
#[derive(Debug, Default)]
pub struct MemoryRunStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    runs: BTreeMap<String, StoredRun>,
    order: VecDeque<String>,
    limit: Option<usize>,
}

impl MemoryRunStore {
    /// An unbounded store.
    pub fn new() -> MemoryRunStore {
        MemoryRunStore::default()
    }

    /// A store that keeps at most `max_runs` runs (at least 1), forgetting the oldest
    /// when a new one is created: for long-lived routers whose bundles are exported
    /// right after each run.
    pub fn bounded(max_runs: usize) -> MemoryRunStore {
        MemoryRunStore { inner: Mutex::new(Inner { limit: Some(max_runs.max(1)), ..Inner::default() }) }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner.lock().map_err(|_| StoreError::Poisoned)
    }
}

impl Inner {
    fn insert(&mut self, run: StoredRun) {
        let id = run.record.run_id.clone();
        if self.runs.insert(id.clone(), run).is_none() {
            self.order.push_back(id);
        }
        if let Some(limit) = self.limit {
            while self.order.len() > limit {
                if let Some(old) = self.order.pop_front() {
                    self.runs.remove(&old);
                }
            }
        }
    }

    fn remove(&mut self, run_id: &str) -> bool {
        let existed = self.runs.remove(run_id).is_some();
        if existed {
            self.order.retain(|r| r != run_id);
        }
        existed
    }
}

impl RunStore for MemoryRunStore {
    fn create_run(&self, record: RunRecord) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        if g.runs.contains_key(&record.run_id) {
            return Err(StoreError::RunExists(record.run_id));
        }
        g.insert(StoredRun { record, events: Vec::new() });
        Ok(())
    }

    fn append(&self, run_id: &str, event: NewRunEvent) -> Result<u64, StoreError> {
        let payload = into_sorted(event.payload);
        let mut g = self.lock()?;
        let run = g.runs.get_mut(run_id).ok_or_else(|| StoreError::RunNotFound(run_id.to_owned()))?;
        let seq = run.events.last().map_or(0, |e| e.seq + 1);
        run.events.push(RunEvent {
            event_id: event.event_id,
            run_id: run_id.to_owned(),
            seq,
            event_type: Cow::Borrowed(event.event_type),
            payload,
            ts: event.ts,
        });
        Ok(seq)
    }

    fn set_status(&self, run_id: &str, status: RunStatus) -> Result<(), StoreError> {
        let mut g = self.lock()?;
        let run = g.runs.get_mut(run_id).ok_or_else(|| StoreError::RunNotFound(run_id.to_owned()))?;
        run.record.status = status.as_str().to_owned();
        Ok(())
    }

    fn load(&self, run_id: &str) -> Result<Option<StoredRun>, StoreError> {
        Ok(self.lock()?.runs.get(run_id).cloned())
    }

    fn put_run(&self, mut run: StoredRun, replace: bool) -> Result<(), StoreError> {
        let mut seqs = std::collections::BTreeSet::new();
        for e in &mut run.events {
            if !seqs.insert(e.seq) {
                return Err(StoreError::SeqDuplicate { seq: e.seq });
            }
            e.run_id.clone_from(&run.record.run_id);
            e.payload = into_sorted(std::mem::replace(&mut e.payload, Value::Null));
        }
        run.events.sort_by_key(|e| e.seq);
        let mut g = self.lock()?;
        if g.runs.contains_key(&run.record.run_id) {
            if !replace {
                return Err(StoreError::RunExists(run.record.run_id));
            }
            g.remove(&run.record.run_id);
        }
        g.insert(run);
        Ok(())
    }

    fn remove_run(&self, run_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock()?.remove(run_id))
    }

    fn run_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.lock()?.order.iter().cloned().collect())
    }

    fn with_run(&self, run_id: &str, f: &mut dyn FnMut(&StoredRun)) -> Result<bool, StoreError> {
        let g = self.lock()?;
        match g.runs.get(run_id) {
            Some(run) => {
                f(run);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            mode: "dry_run".into(),
            goal: "g".into(),
            status: "RUNNING".into(),
            created_at: "t".into(),
        }
    }

    fn ev(id: &str, payload: &str) -> NewRunEvent {
        NewRunEvent {
            event_id: id.into(),
            event_type: "RUN_STARTED",
            payload: attest_verify::json::parse(payload).unwrap(),
            ts: "t".into(),
        }
    }

    #[test]
    fn appends_are_gap_free_and_sorted() {
        let s = MemoryRunStore::new();
        s.create_run(record("r")).unwrap();
        assert_eq!(s.append("r", ev("e0", r#"{"b":1,"a":{"d":0,"c":0}}"#)).unwrap(), 0);
        assert_eq!(s.append("r", ev("e1", "{}")).unwrap(), 1);
        let run = s.load("r").unwrap().unwrap();
        let keys: Vec<&str> = run.events[0].payload.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(s.create_run(record("r")).unwrap_err().code(), "RUN_EXISTS");
        assert_eq!(s.append("x", ev("e", "{}")).unwrap_err().code(), "RUN_NOT_FOUND");
        s.set_status("r", RunStatus::Completed).unwrap();
        assert_eq!(s.load("r").unwrap().unwrap().record.status, "COMPLETED");
    }

    #[test]
    fn put_run_is_atomic() {
        let s = MemoryRunStore::new();
        s.create_run(record("r")).unwrap();
        s.append("r", ev("e0", "{}")).unwrap();
        let mk = |seq: u64| RunEvent {
            event_id: format!("n{seq}"),
            run_id: "other".into(),
            seq,
            event_type: Cow::Borrowed("RUN_STARTED"),
            payload: Value::Object(Map::new()),
            ts: "t".into(),
        };
        let dup = StoredRun { record: record("r"), events: vec![mk(0), mk(0)] };
        assert_eq!(s.put_run(dup, true).unwrap_err().code(), "SEQ_DUPLICATE");
        assert_eq!(s.load("r").unwrap().unwrap().events[0].event_id, "e0", "a failed overwrite keeps the run");
        let good = StoredRun { record: record("r"), events: vec![mk(1), mk(0)] };
        assert_eq!(s.put_run(good.clone(), false).unwrap_err().code(), "RUN_EXISTS");
        s.put_run(good, true).unwrap();
        let run = s.load("r").unwrap().unwrap();
        assert_eq!(run.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1]);
        assert!(run.events.iter().all(|e| e.run_id == "r"));
    }

    #[test]
    fn bounded_store_forgets_the_oldest() {
        let s = MemoryRunStore::bounded(2);
        for id in ["a", "b", "c"] {
            s.create_run(record(id)).unwrap();
        }
        assert_eq!(s.run_ids().unwrap(), ["b", "c"]);
        assert!(s.remove_run("b").unwrap());
        assert!(!s.remove_run("b").unwrap());
        assert_eq!(s.run_ids().unwrap(), ["c"]);
    }
}
