//! attest-router benchmarks: the dry-run router's overhead per `run` call (no process
//! is spawned), the compiled request digest, bundle export + verification, and the
//! subprocess adapter's round trip (spawn, args file, JSON reply).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark setup fails loudly")]
#![allow(missing_docs, reason = "criterion's macros generate undocumented items")]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use attest_router::{
    Adapter, AdapterRegistry, CompiledRequest, DeclaredAdapter, DryRunRouter, Map, MemoryRunStore, Router, RunArgs,
    RunBundle, RunEngine, SubprocessAdapter, SubprocessConfig,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const ADAPTER: &str = "subprocess:mcpt:key-rotation";

fn plan(steps: usize) -> String {
    let s: Vec<String> = (0..steps)
        .map(|i| {
            format!(r#"{{"step_id": "s{i}", "intent": "step {i}", "call": {{"tool": "keys", "method": "m{}", "args": {{"scope": "api", "n": {i}}}}}}}"#, i % 3)
        })
        .collect();
    format!("[{}]", s.join(","))
}

/// The real defaults (system clock, random ids), with a bounded store so that memory
/// stays flat over millions of runs.
fn dry_router() -> DryRunRouter {
    let reg = AdapterRegistry::default()
        .with(Arc::new(DeclaredAdapter::new(ADAPTER, "subprocess", &["apply", "timeout", "external"])))
        .unwrap();
    DryRunRouter::new(RunEngine::new(reg).with_store(Arc::new(MemoryRunStore::bounded(64))))
}

fn args(plan: &str) -> RunArgs<'_> {
    RunArgs {
        goal: "Snapshot then rotate credentials",
        adapter_id: ADAPTER,
        dry_run: true,
        plan: Some(plan),
        max_steps: Some(100),
        require_capabilities: None,
    }
}

fn dry_run(c: &mut Criterion) {
    let mut g = c.benchmark_group("dry_run/execute");
    for steps in [0usize, 2, 8] {
        let router = dry_router();
        let p = plan(steps);
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::from_parameter(steps), &p, |b, p| {
            b.iter(|| black_box(router.run(black_box(&args(p))).unwrap()));
        });
    }
    g.finish();

    let p = plan(2);
    c.bench_function("request/digest", |b| {
        b.iter(|| black_box(CompiledRequest::compile(black_box(&args(&p))).digest()));
    });

    let router = dry_router();
    let p8 = plan(8);
    router.run(&args(&p8)).unwrap();
    let run_id = router.last_run_id().unwrap();
    c.bench_function("bundle/export_verify/8", |b| {
        b.iter(|| {
            let v = router.export_bundle(&run_id).unwrap();
            black_box(RunBundle::from_value(v).unwrap().verify_digest().unwrap())
        });
    });
}

fn subprocess(c: &mut Criterion) {
    let mut g = c.benchmark_group("subprocess/round_trip");
    // The smallest tool: a shell that prints `{}`.
    let echo = SubprocessAdapter::new(SubprocessConfig::new(["sh", "-c", "echo '{}'", "tool"])).unwrap();
    g.bench_function("sh_echo", |b| b.iter(|| black_box(echo.call("t", "m", &Map::new()).unwrap())));
    // The test adapter script (reads its args file).
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/adapters/mock_adapter.sh");
    let mock = SubprocessAdapter::new(SubprocessConfig::new(["sh".to_owned(), script.display().to_string()])).unwrap();
    g.bench_function("mock_adapter_echo", |b| b.iter(|| black_box(mock.call("t", "echo", &Map::new()).unwrap())));
    g.finish();
}

criterion_group!(benches, dry_run, subprocess);
criterion_main!(benches);
