//! Criterion benchmarks of the redb store: append at both durability levels, `list` of 100
//! from 10k and 100k decisions, loading a 10,000-event decision.
//!
//! The large stores are built once and cached under `target/bench-cache/` (delete the
//! files to rebuild them).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "benchmark harness: a failure aborts the run"
)]

use std::path::PathBuf;
use std::sync::Arc;

use attest_events::{Actor, Clock, EventType, NewEvent, Timestamp};
use attest_store::{Durability, ListQuery, Store};
use attest_store_redb::{RedbOptions, RedbStore, SCHEMA_VERSION};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// One millisecond per reading from 2026-01-01T00:00:00Z.
struct StepClock(std::sync::atomic::AtomicI64);

impl Clock for StepClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_micros_saturating(self.0.fetch_add(1000, std::sync::atomic::Ordering::Relaxed))
    }
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(StepClock(std::sync::atomic::AtomicI64::new(1_767_225_600_000_000)))
}

fn open(path: &std::path::Path, durability: Durability) -> RedbStore {
    RedbStore::open(path, RedbOptions { clock: clock(), durability }).unwrap()
}

fn created(i: usize) -> NewEvent {
    let payload = format!(
        r#"{{"goal": "rotate the signing keys of service {i}", "plan": "1. drain 2. rotate 3. verify", "requested_mode": "apply", "labels": ["prod", "team-{}"]}}"#,
        i % 16
    );
    NewEvent::raw(
        EventType::DecisionCreated,
        Actor::human("alice@example.com").unwrap(),
        attest_verify::json::parse(&payload).unwrap(),
    )
    .unwrap()
}

fn approval(i: usize) -> NewEvent {
    let payload = format!(r#"{{"expires_at": null, "comment": "Reviewed plan, looks safe ({i})"}}"#);
    NewEvent::raw(
        EventType::ApprovalGranted,
        Actor::human(format!("approver-{}", i % 7)).unwrap(),
        attest_verify::json::parse(&payload).unwrap(),
    )
    .unwrap()
}

fn cache_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("bench-cache");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A store of `n` decisions (one `DECISION_CREATED` and one approval each), cached.
fn decisions_store(n: usize) -> PathBuf {
    let path = cache_dir().join(format!("redb-v{SCHEMA_VERSION}-decisions-{n}.redb"));
    if let Ok(store) = RedbStore::open_default(&path) {
        if store.count().ok() == Some(n as u64) {
            return path;
        }
    }
    let _ = std::fs::remove_file(&path);
    let store = open(&path, Durability::Normal);
    for i in 0..n {
        store.create_decision(&format!("decision-{i:08}"), vec![created(i), approval(i)]).unwrap();
    }
    drop(store);
    path
}

/// A store holding one decision with `n` events, cached.
fn long_log_store(n: usize) -> PathBuf {
    let path = cache_dir().join(format!("redb-v{SCHEMA_VERSION}-log-{n}.redb"));
    if let Ok(store) = RedbStore::open_default(&path) {
        if store.events("long").map(|e| e.len()).ok() == Some(n) {
            return path;
        }
    }
    let _ = std::fs::remove_file(&path);
    let store = open(&path, Durability::Normal);
    store.create_decision("long", vec![created(0)]).unwrap();
    let mut written = 1;
    while written < n {
        let batch: Vec<NewEvent> = (written..n.min(written + 1000)).map(approval).collect();
        written += batch.len();
        store.append("long", batch, None).unwrap();
    }
    drop(store);
    path
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("store/append");
    group.throughput(Throughput::Elements(1));
    for (name, durability) in [("full", Durability::Full), ("normal", Durability::Normal)] {
        let dir = tempdir(name);
        let store = open(&dir.join("store.redb"), durability);
        store.create_decision("d", vec![created(0)]).unwrap();
        let mut i = 0;
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                i += 1;
                store.append("d", vec![approval(i)], None).unwrap()
            })
        });
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
    group.finish();
}

fn list(c: &mut Criterion) {
    let mut group = c.benchmark_group("store/list");
    group.throughput(Throughput::Elements(100));
    for n in [10_000, 100_000] {
        let store = RedbStore::open_default(decisions_store(n)).unwrap();
        group.bench_function(BenchmarkId::new("newest_100", n), |b| {
            b.iter(|| {
                let page = store.list(&ListQuery::first(100)).unwrap();
                assert_eq!(page.len(), 100);
                page
            })
        });
        let by_label = ListQuery { label: Some("team-3".to_owned()), ..ListQuery::first(100) };
        group.bench_function(BenchmarkId::new("label_100", n), |b| {
            b.iter(|| {
                let page = store.list(&by_label).unwrap();
                assert_eq!(page.len(), 100);
                page
            })
        });
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("store/load");
    let n = 10_000;
    group.throughput(Throughput::Elements(n as u64));
    let store = RedbStore::open_default(long_log_store(n)).unwrap();
    group.bench_function(BenchmarkId::new("events", n), |b| {
        b.iter(|| {
            let events = store.events("long").unwrap();
            assert_eq!(events.len(), n);
            events
        })
    });
    // The same without the caller's cost of freeing the 10,000 events.
    group.bench_function(BenchmarkId::new("events_without_drop", n), |b| {
        b.iter_with_large_drop(|| store.events("long").unwrap())
    });
    group.finish();
}

fn tempdir(tag: &str) -> PathBuf {
    let dir = cache_dir().join(format!("tmp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

criterion_group!(benches, append, list, load);
criterion_main!(benches);
