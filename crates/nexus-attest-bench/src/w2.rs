//! W2: parse + verify audit packages from their canonical JSON text (the full
//! verification: the six reference checks, the deep checks and the advisories), and the
//! reference checks alone for comparison with the original's `verify`.

use std::time::Instant;

use nexus_attest::verify::json::Value;
use nexus_attest::verify::{json, verify, ParsedPackage, VerifyOptions};

use crate::decisions::{Corpus, Shape};
use crate::report::{num, Table};
use crate::setup::{canonical_text, ms_since, obj, ok};
use crate::stats::{mb_per_sec, median, per_sec, sample, Reps};

/// Figures of one package set: median time per package, full and reference-only.
#[derive(Debug, Clone)]
pub(crate) struct Set {
    pub(crate) packages: usize,
    /// Mean text length in bytes.
    pub(crate) bytes: f64,
    pub(crate) full_ms: f64,
    pub(crate) reference_ms: f64,
    pub(crate) reps: usize,
}

/// W2's result.
#[derive(Debug)]
pub(crate) struct W2 {
    pub(crate) small: Set,
    pub(crate) events_1000: Option<Set>,
    pub(crate) events_10000: Option<Set>,
}

/// Parse and verify fully; an error unless the package verifies (`ok()`).
fn full(text: &str, opts: &VerifyOptions) -> Result<(), String> {
    let v = json::parse(text).map_err(|e| format!("W2 parse: {e}"))?;
    let r = verify::verify_package(&v, opts).map_err(|e| format!("W2 verify: {e}"))?;
    if r.ok() {
        Ok(())
    } else {
        Err(format!(
            "W2: a package does not verify: {:?}",
            r.all_checks().filter(|c| !c.ok).map(|c| c.name).collect::<Vec<_>>()
        ))
    }
}

/// Parse and run the six reference checks only (what the original's `verify` does).
fn reference(text: &str) -> Result<(), String> {
    let v = json::parse(text).map_err(|e| format!("W2 parse: {e}"))?;
    let p = ParsedPackage::parse(&v).map_err(|e| format!("W2 parse package: {e}"))?;
    if verify::reference_checks(&p).ok() {
        Ok(())
    } else {
        Err("W2: a package fails the reference checks".to_owned())
    }
}

fn measure(texts: &[String], reps: Reps) -> Result<Set, String> {
    let opts = VerifyOptions::default();
    let count = texts.len().max(1) as f64;
    let full_samples = sample(reps, || {
        let s = Instant::now();
        for t in texts {
            full(t, &opts)?;
        }
        Ok(ms_since(s) / count)
    })?;
    let reference_samples = sample(reps, || {
        let s = Instant::now();
        for t in texts {
            reference(t)?;
        }
        Ok(ms_since(s) / count)
    })?;
    Ok(Set {
        packages: texts.len(),
        bytes: texts.iter().map(String::len).sum::<usize>() as f64 / count,
        full_ms: median(&full_samples),
        reference_ms: median(&reference_samples),
        reps: full_samples.len().min(reference_samples.len()),
    })
}

/// The canonical text of the audit package of decision `id` (reference mode).
fn package_text(corpus: &Corpus, id: &str) -> Result<String, String> {
    let args = obj(vec![("decision_id", Value::str(id)), ("render", Value::Bool(false))]);
    let data = ok("export_audit_package", corpus.db.call("export_audit_package", &args))?;
    canonical_text(data.get("package").ok_or("export_audit_package: no package")?)
}

/// Verify W1's 7-event packages and the packages of the 1,000- and 10,000-event
/// `distinct` decisions of the corpus (when built).
pub(crate) fn run(small: &[String], corpus: &Corpus, small_reps: Reps, large_reps: Reps) -> Result<W2, String> {
    let small = measure(small, small_reps)?;
    eprintln!("  W2: {} small packages: {:.1} µs each", small.packages, small.full_ms * 1e3);
    let large = |n: usize| -> Result<Option<Set>, String> {
        let Some(id) = corpus.id(Shape::Distinct, n) else { return Ok(None) };
        let text = package_text(corpus, id)?;
        let set = measure(std::slice::from_ref(&text), large_reps)?;
        eprintln!("  W2: {n}-event package ({} bytes): {:.3} ms", text.len(), set.full_ms);
        Ok(Some(set))
    };
    let events_1000 = large(1000)?;
    let events_10000 = large(10000)?;
    Ok(W2 { small, events_1000, events_10000 })
}

fn large_value(s: Option<&Set>) -> Value {
    match s {
        None => Value::Null,
        Some(s) => obj(vec![
            ("total_ms", num(s.full_ms)),
            ("mb_per_sec", num(mb_per_sec(s.bytes, s.full_ms))),
            ("bytes", Value::int(s.bytes as i64)),
            ("reference_only_ms", num(s.reference_ms)),
            ("reference_only_mb_per_sec", num(mb_per_sec(s.bytes, s.reference_ms))),
            ("reps", Value::int(s.reps as i64)),
        ]),
    }
}

impl W2 {
    pub(crate) fn to_value(&self) -> Value {
        let s = &self.small;
        obj(vec![
            (
                "small",
                obj(vec![
                    ("packages_per_sec", num(per_sec(s.full_ms))),
                    ("mb_per_sec", num(mb_per_sec(s.bytes, s.full_ms))),
                    ("packages", Value::int(s.packages as i64)),
                    ("bytes_mean", Value::int(s.bytes as i64)),
                    ("reference_only_packages_per_sec", num(per_sec(s.reference_ms))),
                    ("reference_only_mb_per_sec", num(mb_per_sec(s.bytes, s.reference_ms))),
                    ("reps", Value::int(s.reps as i64)),
                ]),
            ),
            ("events_1000", large_value(self.events_1000.as_ref())),
            ("events_10000", large_value(self.events_10000.as_ref())),
        ])
    }

    pub(crate) fn table(&self, t: &mut Table) {
        t.section("W2: parse + verify audit packages from canonical text (full = reference + deep checks)");
        let s = &self.small;
        t.row(
            &format!("7-event packages/s (full; {:.1} KB)", s.bytes / 1e3),
            format!("{:.0} ({:.1} MB/s)", per_sec(s.full_ms), mb_per_sec(s.bytes, s.full_ms)),
            "19,660 (93.5 MB/s)",
        );
        t.row(
            "7-event packages/s (reference checks only)",
            format!("{:.0} ({:.1} MB/s)", per_sec(s.reference_ms), mb_per_sec(s.bytes, s.reference_ms)),
            "",
        );
        for (n, set, orig) in [(1000, &self.events_1000, "4.0 (94 MB/s)"), (10000, &self.events_10000, "56 (67 MB/s)")]
        {
            if let Some(s) = set {
                t.row(
                    &format!("{n}-event package ms (full; {:.0} KB)", s.bytes / 1e3),
                    format!("{:.2} ({:.1} MB/s)", s.full_ms, mb_per_sec(s.bytes, s.full_ms)),
                    orig,
                );
                t.row(
                    &format!("{n}-event package ms (reference checks only)"),
                    format!("{:.2} ({:.1} MB/s)", s.reference_ms, mb_per_sec(s.bytes, s.reference_ms)),
                    "",
                );
            }
        }
    }
}
