//! W4: export a decision bundle with its canonical text, and import it as a new decision
//! (digest check and replay on).

use std::time::Instant;

use nexus_attest::core::{BundleOptions, ImportOptions};
use nexus_attest::verify::json::{self, Value};

use crate::decisions::{Corpus, Shape};
use crate::report::{num, Table};
use crate::setup::{canonical_text, ms_since, obj};
use crate::stats::{median, sample};
use crate::w3::RepsFor;

/// One decision's figures.
#[derive(Debug, Clone)]
pub(crate) struct Point {
    pub(crate) shape: Shape,
    pub(crate) events: usize,
    pub(crate) bundle_bytes: usize,
    pub(crate) export_ms: f64,
    pub(crate) parse_ms: f64,
    pub(crate) import_ms: f64,
    pub(crate) reps: usize,
}

/// W4's result.
#[derive(Debug)]
pub(crate) struct W4 {
    pub(crate) points: Vec<Point>,
}

/// For each `(shape, N)`: `export_ms` is `Engine::export_bundle` (default options, no
/// text rendering) plus the canonical text of the bundle; `import_ms` is
/// `Engine::import_bundle` of the bundle value with `conflict_mode` `new_decision_id`,
/// `verify_digest` and `replay_after_import` on (every repetition writes one new
/// decision); `parse_ms` (reported apart) is reading the text back into a value.
pub(crate) fn run(corpus: &Corpus, points: &[(Shape, usize)], reps: RepsFor) -> Result<W4, String> {
    let engine = corpus.db.engine();
    let mut out = Vec::new();
    for &(shape, n) in points {
        let id = corpus.id(shape, n).ok_or_else(|| format!("W4: no {n}-event {} decision", shape.name()))?;
        let r = reps(n);
        let mut text = String::new();
        let export = sample(r, || {
            let s = Instant::now();
            let e = engine.export_bundle(id, BundleOptions::default()).map_err(|e| format!("export_bundle: {e}"))?;
            text = canonical_text(&e.document)?;
            Ok(ms_since(s))
        })?;
        let mut bundle = Value::Null;
        let parse = sample(r, || {
            let s = Instant::now();
            bundle = json::parse(&text).map_err(|e| format!("W4 parse: {e}"))?;
            Ok(ms_since(s))
        })?;
        // The tool's import (as the original's): digest check and replay, without the deep
        // bundle checks the library runs for warnings by default.
        let opts = ImportOptions {
            conflict_mode: "new_decision_id".to_owned(),
            deep_checks: false,
            ..ImportOptions::default()
        };
        let import = sample(r, || {
            let s = Instant::now();
            engine.import_bundle(&bundle, &opts).map_err(|e| format!("import_bundle: {e}"))?;
            Ok(ms_since(s))
        })?;
        let p = Point {
            shape,
            events: n,
            bundle_bytes: text.len(),
            export_ms: median(&export),
            parse_ms: median(&parse),
            import_ms: median(&import),
            reps: export.len().min(import.len()),
        };
        eprintln!(
            "  W4: {} {n} ({} bytes): export {:.3} ms, import {:.3} ms",
            shape.name(),
            p.bundle_bytes,
            p.export_ms,
            p.import_ms
        );
        out.push(p);
    }
    Ok(W4 { points: out })
}

fn original(shape: Shape, n: usize) -> (&'static str, &'static str) {
    match (shape, n) {
        (Shape::Distinct, 1000) => ("14.2", "22.2"),
        (Shape::Distinct, 10000) => ("351", "401"),
        (Shape::PoolOf5, 10000) => ("159", "211"),
        _ => ("", ""),
    }
}

impl W4 {
    pub(crate) fn to_value(&self) -> Value {
        Value::Array(
            self.points
                .iter()
                .map(|p| {
                    obj(vec![
                        ("shape", Value::str(p.shape.name())),
                        ("events", Value::int(p.events as i64)),
                        ("bundle_bytes", Value::int(p.bundle_bytes as i64)),
                        ("export_ms", num(p.export_ms)),
                        ("import_ms", num(p.import_ms)),
                        ("parse_ms", num(p.parse_ms)),
                        ("reps", Value::int(p.reps as i64)),
                    ])
                })
                .collect(),
        )
    }

    pub(crate) fn table(&self, t: &mut Table) {
        t.section("W4: export bundle (+ canonical text) / import as new decision (ms)");
        for p in &self.points {
            let (oe, oi) = original(p.shape, p.events);
            let label = format!("{} N={} ({:.0} KB)", p.shape.name(), p.events, p.bundle_bytes as f64 / 1e3);
            t.row(&format!("{label} export"), format!("{:.3}", p.export_ms), oe);
            t.row(&format!("{label} import"), format!("{:.3}", p.import_ms), oi);
        }
    }
}
