//! Criterion benchmarks of the SQLite store: single-event append throughput (full and
//! normal durability), listing 100 decisions from 10k and 100k, and loading a 10,000-event
//! decision.
//!
//! The filled 10k/100k stores are built once and cached under `target/bench-cache/`
//! (keyed by size and schema version); delete that folder to rebuild them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]
#![allow(missing_docs, reason = "criterion's macros generate undocumented items")]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use attest_events::{Actor, ApprovalGranted, Clock, DecisionCreated, EventPayload, Mode, NewEvent, Timestamp};
use attest_store::{Durability, ListQuery, Store};
use attest_store_sqlite::{SqliteOptions, SqliteStore, DEFAULT_BUSY_TIMEOUT, SCHEMA_VERSION};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// One millisecond later per reading, from 2026-01-01.
#[derive(Debug, Default)]
struct TickClock(AtomicI64);

impl Clock for TickClock {
    fn now(&self) -> Timestamp {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        Timestamp::from_unix_micros_saturating(1_767_225_600_000_000 + n * 1000)
    }
}

fn options(durability: Durability) -> SqliteOptions {
    SqliteOptions { clock: Arc::new(TickClock::default()), durability, busy_timeout: DEFAULT_BUSY_TIMEOUT }
}

fn created(i: usize) -> NewEvent {
    let mut labels = vec!["bench".to_owned()];
    if i % 100 == 0 {
        labels.push("rare".to_owned());
    }
    NewEvent::new(
        Actor::human("alice@example.com").unwrap(),
        &EventPayload::DecisionCreated(DecisionCreated {
            goal: format!("Rotate the signing keys of service {i}"),
            plan: Some("1. drain\n2. rotate\n3. verify".into()),
            requested_mode: Mode::DryRun,
            labels,
        }),
    )
}

fn approval(i: usize) -> NewEvent {
    NewEvent::new(
        Actor::human(format!("approver-{i}@example.com")).unwrap(),
        &EventPayload::ApprovalGranted(ApprovalGranted {
            expires_at: None,
            comment: Some("Reviewed, looks safe".into()),
        }),
    )
}

fn cache_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("bench-cache")
}

/// A store holding `n` decisions (one `DECISION_CREATED` event each), cached on disk.
fn filled(n: usize) -> SqliteStore {
    let dir = cache_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("sqlite-list-{n}-v{SCHEMA_VERSION}.db"));
    if let Ok(s) = SqliteStore::open(&path, options(Durability::Full)) {
        let usable = s.list(&ListQuery::first(1)).is_ok_and(|page| page.len() == 1);
        if usable && s.count().unwrap_or(0) == n as u64 {
            return s;
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let started = Instant::now();
    let s = SqliteStore::open(&path, options(Durability::Normal)).unwrap();
    for i in 0..n {
        s.create_decision(&format!("decision-{i:06}"), vec![created(i)]).unwrap();
    }
    eprintln!("built {} ({n} decisions) in {:.1?}", path.display(), started.elapsed());
    drop(s);
    SqliteStore::open(&path, options(Durability::Full)).unwrap()
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_sqlite/append");
    g.throughput(Throughput::Elements(1));
    for (name, durability) in [("full", Durability::Full), ("normal", Durability::Normal)] {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(dir.path().join("append.db"), options(durability)).unwrap();
        s.create_decision("d", vec![created(0)]).unwrap();
        let mut i = 0;
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                i += 1;
                s.append("d", vec![approval(i)], None).unwrap()
            })
        });
    }
    g.finish();
}

fn list(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_sqlite/list");
    g.throughput(Throughput::Elements(100));
    for n in [10_000, 100_000] {
        let s = filled(n);
        let q = ListQuery::first(100);
        assert_eq!(s.list(&q).unwrap().len(), 100);
        g.bench_with_input(BenchmarkId::new("first_100", n), &q, |b, q| b.iter(|| s.list(q).unwrap()));
        let deep = ListQuery { offset: n / 2, ..ListQuery::first(100) };
        g.bench_with_input(BenchmarkId::new("offset_half_100", n), &deep, |b, q| b.iter(|| s.list(q).unwrap()));
        let rare = ListQuery { label: Some("rare".into()), ..ListQuery::first(100) };
        assert_eq!(s.list(&rare).unwrap().len(), 100);
        g.bench_with_input(BenchmarkId::new("label_1pct_100", n), &rare, |b, q| b.iter(|| s.list(q).unwrap()));
    }
    g.finish();
}

fn events(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_sqlite/events");
    let n = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path().join("events.db"), options(Durability::Normal)).unwrap();
    let mut batch = vec![created(0)];
    batch.extend((1..n).map(approval));
    s.create_decision("big", batch).unwrap();
    assert_eq!(s.events("big").unwrap().len(), n);
    g.throughput(Throughput::Elements(n as u64));
    // `load` leaves dropping the 10,000 events out of the timing (the caller's cost);
    // `load_and_drop` includes it.
    g.bench_function(BenchmarkId::new("load", n), |b| b.iter_with_large_drop(|| s.events("big").unwrap()));
    g.bench_function(BenchmarkId::new("load_and_drop", n), |b| b.iter(|| s.events("big").unwrap()));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = append, list, events
}
criterion_main!(benches);
