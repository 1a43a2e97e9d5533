//! W5: `request` latency, a flow and `list_requests` of 100 while the database holds 0,
//! 10k and 100k decisions.
//!
//! How the store is filled: one real flow runs on a scratch file; its 7 sealed events
//! are then written as decision `fill-<i>` with `Store::import` (the batch API: the whole
//! decision in one transaction; event digests do not depend on the decision id) through a
//! second connection to the same file opened with `Durability::Normal`
//! (`synchronous=NORMAL`), so filling does not wait for an fsync per decision. The
//! measuring connection stays at the default (`synchronous=FULL`). Each filler's
//! `created_at` is the fill time (1 µs apart), so it lists newer than the decisions of the
//! previous level and `list_requests` pages through filled, completed decisions (each of
//! the 100 is replayed, as the tool does); `store_list_100_ms` is the header page alone.

use std::sync::Arc;
use std::time::Instant;

use nexus_attest::events::{Clock, SystemClock, Timestamp};
use nexus_attest::store::{Durability, ImportBatch, ListQuery};
use nexus_attest::store_sqlite::SqliteOptions;
use nexus_attest::verify::json::Value;
use nexus_attest::{SqliteStore, Store};

use crate::report::{num, Table};
use crate::setup::{flow, ms_since, obj, ok, open, request_args, FixedRouter, TempDir};
use crate::stats::{median, sample, Reps};

/// One level's figures.
#[derive(Debug, Clone)]
pub(crate) struct Level {
    pub(crate) decisions_in_db: usize,
    /// `Store::count()` when the level's measurements started.
    pub(crate) count_at_start: u64,
    pub(crate) fill_ms: f64,
    pub(crate) request_ms: f64,
    pub(crate) flow_ms: f64,
    pub(crate) list_100_ms: f64,
    /// `Store::list` of the first 100 headers alone (no replay).
    pub(crate) store_list_100_ms: f64,
    pub(crate) listed: usize,
}

/// W5's result.
#[derive(Debug)]
pub(crate) struct W5 {
    pub(crate) levels: Vec<Level>,
}

/// Repetitions of the three measurements.
#[derive(Debug, Clone, Copy)]
pub(crate) struct W5Reps {
    pub(crate) request: Reps,
    pub(crate) flow: Reps,
    pub(crate) list: Reps,
}

/// Measure at each level of `sizes` (ascending), filling the store up to it first.
pub(crate) fn run(dir: &TempDir, router: &FixedRouter, sizes: &[usize], reps: W5Reps) -> Result<W5, String> {
    let template = {
        let scratch = open(&dir.db("w5-template.db"))?;
        let f = flow(&scratch, router, "Rotate the signing keys of service 0", false)?;
        scratch.engine().store().events(&f.id).map_err(|e| e.to_string())?
    };
    let path = dir.db("w5.db");
    let db = open(&path)?;
    let filler = SqliteStore::open(&path, SqliteOptions { durability: Durability::Normal, ..SqliteOptions::default() })
        .map_err(|e| e.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut filled = 0usize;
    let mut levels = Vec::new();
    for &size in sizes {
        let start = Instant::now();
        let base = clock.now().unix_micros().unwrap_or(0);
        while filled < size {
            let created_at = Timestamp::from_unix_micros_saturating(base + filled as i64).isoformat();
            filler
                .import(ImportBatch {
                    decision_id: format!("fill-{filled:06}"),
                    created_at,
                    events: template.clone(),
                    overwrite: false,
                })
                .map_err(|e| format!("W5 fill: {e}"))?;
            filled += 1;
        }
        let fill_ms = ms_since(start);
        if size > 0 {
            eprintln!("  W5: filled to {size} decisions in {:.1} s", fill_ms / 1e3);
        }
        let count_at_start = db.engine().store().count().map_err(|e| e.to_string())?;
        let list_args = obj(vec![("limit", Value::int(100))]);
        let mut listed = 0;
        let list = sample(reps.list, || {
            let s = Instant::now();
            let data = ok("list_requests", db.call("list_requests", &list_args))?;
            let t = ms_since(s);
            listed = data.get("count").and_then(Value::as_i64).unwrap_or(0) as usize;
            Ok(t)
        })?;
        let query = ListQuery::first(100);
        let store_list = sample(reps.list, || {
            let s = Instant::now();
            db.engine().store().list(&query).map_err(|e| format!("Store::list: {e}"))?;
            Ok(ms_since(s))
        })?;
        let request = sample(reps.request, || {
            let args = request_args("Rotate the signing keys of service 0", 2);
            let s = Instant::now();
            ok("request", db.call("request", &args))?;
            Ok(ms_since(s))
        })?;
        let mut i = 0;
        let flows = sample(reps.flow, || {
            i += 1;
            Ok(flow(&db, router, &format!("Rotate the signing keys of service {i}"), false)?.times.flow)
        })?;
        let level = Level {
            decisions_in_db: size,
            count_at_start,
            fill_ms,
            request_ms: median(&request),
            flow_ms: median(&flows),
            list_100_ms: median(&list),
            store_list_100_ms: median(&store_list),
            listed,
        };
        eprintln!(
            "  W5: {size} decisions: request {:.3} ms, flow {:.3} ms, list 100 {:.3} ms ({listed} listed)",
            level.request_ms, level.flow_ms, level.list_100_ms
        );
        levels.push(level);
    }
    Ok(W5 { levels })
}

fn original(size: usize) -> (&'static str, &'static str, &'static str) {
    match size {
        0 => ("3.08", "10.5", "0.32"),
        10_000 => ("3.12", "10.5", "0.93"),
        100_000 => ("3.15", "10.5", "5.3"),
        _ => ("", "", ""),
    }
}

impl W5 {
    pub(crate) fn to_value(&self) -> Value {
        Value::Array(
            self.levels
                .iter()
                .map(|l| {
                    obj(vec![
                        ("decisions_in_db", Value::int(l.decisions_in_db as i64)),
                        ("request_ms", num(l.request_ms)),
                        ("flow_ms", num(l.flow_ms)),
                        ("list_100_ms", num(l.list_100_ms)),
                        ("count_at_start", Value::int(i64::try_from(l.count_at_start).unwrap_or(i64::MAX))),
                        ("listed", Value::int(l.listed as i64)),
                        ("store_list_100_ms", num(l.store_list_100_ms)),
                        ("fill_ms", num(l.fill_ms)),
                    ])
                })
                .collect(),
        )
    }

    pub(crate) fn table(&self, t: &mut Table) {
        t.section("W5: latency vs. decisions in the DB (ms)");
        for l in &self.levels {
            let (or, of, ol) = original(l.decisions_in_db);
            let n = l.decisions_in_db;
            t.row(&format!("{n} in DB: request"), format!("{:.3}", l.request_ms), or);
            t.row(&format!("{n} in DB: flow"), format!("{:.3}", l.flow_ms), of);
            t.row(
                &format!("{n} in DB: list 100 ({} listed, each replayed)", l.listed),
                format!("{:.3}", l.list_100_ms),
                ol,
            );
            t.row(&format!("{n} in DB: Store::list 100 (headers only)"), format!("{:.3}", l.store_list_100_ms), "");
        }
    }
}
