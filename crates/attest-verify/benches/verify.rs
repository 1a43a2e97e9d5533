//! Workload W2 of `shared/bench/WORKLOADS.md`: parse + verify audit packages from their
//! compact canonical JSON text – the 7-event vector package (or a built one when the
//! vectors are missing), and 1,000- and 10,000-event packages built here with this
//! crate's own digests (`common::build_package`). Plus the parts, on the 10k package:
//! parse alone, reference checks alone, the control bundle digest alone and the whole
//! package's canonical digest alone.
//!
//! `cargo bench -p attest-verify --bench verify -- --warm-up-time 1 --measurement-time 3`
//! (add `--features sha2` for the sha2 hasher). Throughput is the package text's length,
//! so criterion prints MB/s (MiB/s, strictly) comparable across benches.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark setup fails loudly")]
#![allow(missing_docs, reason = "criterion's macros generate undocumented items")]

mod common;

use std::hint::black_box;
use std::path::PathBuf;

use attest_verify::json::{self, Value};
use attest_verify::verify::{self, VerifyOptions};
use attest_verify::{canonical, ParsedPackage};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// The package of case `reference_mode_default`, as compact canonical text.
fn vector_package() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/audit_packages.json");
    let text = std::fs::read_to_string(&path).ok()?;
    let doc = json::parse(&text).ok()?;
    let case = doc
        .get("cases")?
        .as_array()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some("reference_mode_default"))?;
    canonical::to_string(case.get("expected")?.get("package")?).ok()
}

struct Workload {
    name: &'static str,
    text: String,
    opts: VerifyOptions,
}

fn workloads() -> Vec<Workload> {
    let small = match vector_package() {
        Some(text) => Workload {
            name: "7_events_vector",
            text,
            // The vector package's events are on 2026-11-24.
            opts: VerifyOptions { now_micros: Some(common::now_micros(7) + 86_400_000_000), expect_binding: None },
        },
        None => {
            eprintln!("note: shared/vectors not found; benchmarking a built 7-event package instead");
            Workload {
                name: "7_events_built",
                text: common::package_text(7),
                opts: VerifyOptions { now_micros: Some(common::now_micros(7)), expect_binding: None },
            }
        }
    };
    let mut out = vec![small];
    for (name, n) in [("1k_events", 1_000), ("10k_events", 10_000)] {
        out.push(Workload {
            name,
            text: common::package_text(n),
            opts: VerifyOptions { now_micros: Some(common::now_micros(n)), expect_binding: None },
        });
    }
    for w in &out {
        let v = verify::verify_package_json(&w.text, &w.opts).unwrap();
        assert!(v.ok(), "{} does not verify: {:?}", w.name, v.all_checks().filter(|c| !c.ok).collect::<Vec<_>>());
        eprintln!("{}: {} bytes, verifies ok", w.name, w.text.len());
    }
    out
}

fn bench(c: &mut Criterion) {
    let loads = workloads();

    let mut g = c.benchmark_group("parse_verify_package");
    for w in &loads {
        g.throughput(Throughput::Bytes(w.text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(w.name), w, |b, w| {
            b.iter(|| {
                let v = json::parse(black_box(&w.text)).unwrap();
                let r = verify::verify_package(&v, &w.opts).unwrap();
                black_box(r.ok())
            })
        });
    }
    g.finish();

    let big = loads.iter().find(|w| w.name == "10k_events").unwrap();
    let value = json::parse(&big.text).unwrap();
    let parsed = ParsedPackage::parse(&value).unwrap();
    let mut g = c.benchmark_group("parts_10k");
    g.throughput(Throughput::Bytes(big.text.len() as u64));
    g.bench_function("parse", |b| b.iter(|| json::parse(black_box(&big.text)).unwrap()));
    g.bench_function("parse_reference_checks", |b| {
        b.iter(|| {
            let v = json::parse(black_box(&big.text)).unwrap();
            let p = ParsedPackage::parse(&v).unwrap();
            black_box(verify::reference_checks(&p).ok())
        })
    });
    g.bench_function("package_parse", |b| b.iter(|| ParsedPackage::parse(black_box(&value)).unwrap()));
    g.bench_function("control_bundle_digest", |b| b.iter(|| black_box(&parsed.control_bundle).recompute_digest()));
    g.bench_function("canonical_digest_whole_package", |b| b.iter(|| canonical::digest(black_box(&value)).unwrap()));
    g.bench_function("canonical_bytes_whole_package", |b| b.iter(|| canonical::to_bytes(black_box(&value)).unwrap()));
    g.bench_function("sha256_of_text", |b| b.iter(|| attest_verify::Digest::of(black_box(big.text.as_bytes()))));
    g.bench_function("verify_package_preparsed", |b| {
        b.iter(|| verify::verify_package(black_box(&value), &big.opts).unwrap().ok())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
