//! W1: N flows in a row on one fresh database file; throughput and per-step latency.

use std::time::Instant;

use nexus_attest::verify::json::Value;

use crate::report::{num, Table};
use crate::setup::{canonical_text, flow, ms_since, obj, open, FixedRouter, FlowTimes, TempDir};
use crate::stats::{median, per_sec};

/// Per-step latency medians, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Latency {
    pub(crate) request: f64,
    pub(crate) approve: f64,
    pub(crate) execute: f64,
    pub(crate) export: f64,
    pub(crate) flow: f64,
}

impl Latency {
    /// Medians over flows (approve: over both approvals of every flow).
    pub(crate) fn of(times: &[FlowTimes]) -> Latency {
        let m = |f: fn(&FlowTimes) -> f64| median(&times.iter().map(f).collect::<Vec<_>>());
        let approvals: Vec<f64> = times.iter().flat_map(|t| t.approve).collect();
        Latency {
            request: m(|t| t.request),
            approve: median(&approvals),
            execute: m(|t| t.execute),
            export: m(|t| t.export),
            flow: m(|t| t.flow),
        }
    }

    fn median_of(all: &[Latency]) -> Latency {
        let m = |f: fn(&Latency) -> f64| median(&all.iter().map(f).collect::<Vec<_>>());
        Latency {
            request: m(|l| l.request),
            approve: m(|l| l.approve),
            execute: m(|l| l.execute),
            export: m(|l| l.export),
            flow: m(|l| l.flow),
        }
    }

    pub(crate) fn to_value(self) -> Value {
        obj(vec![
            ("request", num(self.request)),
            ("approve", num(self.approve)),
            ("execute", num(self.execute)),
            ("export_audit_package", num(self.export)),
            ("flow", num(self.flow)),
        ])
    }
}

/// The figures of one N: medians over its runs.
#[derive(Debug, Clone)]
pub(crate) struct Size {
    pub(crate) flows: usize,
    pub(crate) runs: usize,
    pub(crate) flows_per_sec: f64,
    pub(crate) latency: Latency,
}

impl Size {
    fn to_value(&self) -> Value {
        obj(vec![
            ("flows", Value::int(self.flows as i64)),
            ("runs", Value::int(self.runs as i64)),
            ("flows_per_sec", num(self.flows_per_sec)),
            ("latency_ms", self.latency.to_value()),
        ])
    }
}

/// W1's result; the headline figures are those of the largest N.
#[derive(Debug)]
pub(crate) struct W1 {
    pub(crate) sizes: Vec<Size>,
    /// Canonical texts of the audit packages of the first run (W2's 7-event packages).
    pub(crate) packages: Vec<String>,
}

/// Run `runs` × `flows` flows for each `(flows, runs)`, each run on a fresh file.
pub(crate) fn run(dir: &TempDir, router: &FixedRouter, plan: &[(usize, usize)]) -> Result<W1, String> {
    let mut sizes = Vec::new();
    let mut packages = Vec::new();
    for &(n, runs) in plan {
        let mut rates = Vec::with_capacity(runs);
        let mut lats = Vec::with_capacity(runs);
        for r in 0..runs {
            let db = open(&dir.db(&format!("w1-{n}-{r}.db")))?;
            let keep = packages.is_empty();
            let mut times = Vec::with_capacity(n);
            let start = Instant::now();
            for i in 0..n {
                let f = flow(&db, router, &format!("Rotate the signing keys of service {i}"), keep)?;
                times.push(f.times);
                if let Some(p) = f.package {
                    packages.push(canonical_text(&p)?);
                }
            }
            let elapsed = ms_since(start);
            rates.push(per_sec(elapsed / n as f64));
            lats.push(Latency::of(&times));
            eprintln!("  W1: {n} flows in {:.0} ms ({:.1} flows/s)", elapsed, per_sec(elapsed / n as f64));
        }
        sizes.push(Size { flows: n, runs, flows_per_sec: median(&rates), latency: Latency::median_of(&lats) });
    }
    Ok(W1 { sizes, packages })
}

impl W1 {
    fn headline(&self) -> Option<&Size> {
        self.sizes.iter().max_by_key(|s| s.flows)
    }

    pub(crate) fn to_value(&self) -> Value {
        let head = self.headline().cloned().unwrap_or(Size {
            flows: 0,
            runs: 0,
            flows_per_sec: 0.0,
            latency: Latency::default(),
        });
        obj(vec![
            ("flows_per_sec", num(head.flows_per_sec)),
            ("latency_ms", head.latency.to_value()),
            ("flows", Value::int(head.flows as i64)),
            ("runs", Value::int(head.runs as i64)),
            ("by_size", Value::Array(self.sizes.iter().map(Size::to_value).collect())),
        ])
    }

    pub(crate) fn table(&self, t: &mut Table) {
        t.section("W1: flows in a row on one fresh DB (tool API, fixed router)");
        for s in &self.sizes {
            let l = &s.latency;
            let label =
                |what: &str| format!("N={} ({} run{}) {what}", s.flows, s.runs, if s.runs == 1 { "" } else { "s" });
            t.row(&label("flows/s"), format!("{:.1}", s.flows_per_sec), "94");
            t.row(&label("request ms"), format!("{:.3}", l.request), "3.17");
            t.row(&label("approve ms"), format!("{:.3}", l.approve), "1.69");
            t.row(&label("execute ms"), format!("{:.3}", l.execute), "3.56");
            t.row(&label("export_audit_package ms"), format!("{:.3}", l.export), "0.45");
            t.row(&label("flow ms"), format!("{:.3}", l.flow), "10.6");
        }
    }
}
