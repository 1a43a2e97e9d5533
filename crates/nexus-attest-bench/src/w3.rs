//! W3: `status` and `inspect` of N-event decisions read from the database file.

use std::time::Instant;

use nexus_attest::verify::json::Value;

use crate::decisions::{Corpus, Shape};
use crate::report::{num, Table};
use crate::setup::{ms_since, obj, ok};
use crate::stats::{median, sample, Reps};

/// One decision's figures.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub(crate) shape: Shape,
    pub(crate) events: usize,
    pub(crate) status_ms: f64,
    pub(crate) inspect_ms: f64,
    pub(crate) reps: usize,
}

/// W3's result.
#[derive(Debug)]
pub(crate) struct W3 {
    pub(crate) points: Vec<Point>,
}

/// The repetitions for a decision of `n` events.
pub(crate) type RepsFor = fn(usize) -> Reps;

/// Time `status` (`{"request_id"}`) and `inspect` (`{"decision_id"}`, the tool's defaults:
/// rendered text, compiled router request) through [`nexus_attest::NexusAttest::call`].
pub(crate) fn run(corpus: &Corpus, reps: RepsFor) -> Result<W3, String> {
    let mut points = Vec::new();
    for (shape, n, id) in &corpus.decisions {
        let status_args = obj(vec![("request_id", Value::str(id.as_str()))]);
        let inspect_args = obj(vec![("decision_id", Value::str(id.as_str()))]);
        let r = reps(*n);
        let status = sample(r, || {
            let s = Instant::now();
            ok("status", corpus.db.call("status", &status_args))?;
            Ok(ms_since(s))
        })?;
        let inspect = sample(r, || {
            let s = Instant::now();
            ok("inspect", corpus.db.call("inspect", &inspect_args))?;
            Ok(ms_since(s))
        })?;
        let p = Point {
            shape: *shape,
            events: *n,
            status_ms: median(&status),
            inspect_ms: median(&inspect),
            reps: status.len().min(inspect.len()),
        };
        eprintln!("  W3: {} {n}: status {:.3} ms, inspect {:.3} ms", shape.name(), p.status_ms, p.inspect_ms);
        points.push(p);
    }
    Ok(W3 { points })
}

/// The original's `status` figure for a point, if WORKLOADS.md gives one.
fn original_status(shape: Shape, n: usize) -> &'static str {
    match (shape, n) {
        (Shape::Distinct, 10) => "0.32",
        (Shape::Distinct, 100) => "0.82",
        (Shape::Distinct, 1000) => "7.9",
        (Shape::Distinct, 10000) => "280",
        (Shape::PoolOf5, 10) => "0.33",
        (Shape::PoolOf5, 100) => "0.83",
        (Shape::PoolOf5, 1000) => "5.7",
        (Shape::PoolOf5, 10000) => "62",
        _ => "",
    }
}

impl W3 {
    pub(crate) fn to_value(&self) -> Value {
        let shape = |s: Shape| {
            Value::Array(
                self.points
                    .iter()
                    .filter(|p| p.shape == s)
                    .map(|p| {
                        obj(vec![
                            ("events", Value::int(p.events as i64)),
                            ("status_ms", num(p.status_ms)),
                            ("inspect_ms", num(p.inspect_ms)),
                            ("reps", Value::int(p.reps as i64)),
                        ])
                    })
                    .collect(),
            )
        };
        obj(vec![("distinct", shape(Shape::Distinct)), ("pool_of_5", shape(Shape::PoolOf5))])
    }

    pub(crate) fn table(&self, t: &mut Table) {
        t.section("W3: status / inspect of N-event decisions (ms)");
        for p in &self.points {
            t.row(&format!("{} N={} status", p.shape.name(), p.events), format!("{:.3}", p.status_ms), {
                original_status(p.shape, p.events)
            });
            let orig = if p.shape == Shape::Distinct && p.events == 10000 { "318" } else { "" };
            t.row(&format!("{} N={} inspect", p.shape.name(), p.events), format!("{:.3}", p.inspect_ms), orig);
        }
    }
}
