//! The workload benchmarks W1–W6/W6b of `shared/bench/WORKLOADS.md` against the Rust
//! implementation: real SQLite files in a fresh temporary directory at the default
//! durability, the tool API (`NexusAttest::call`) and an in-process fixed router.
//!
//! ```text
//! cargo xtask bench [--quick] [--json]      (builds this binary in release and runs it)
//! nexus-attest-bench [--quick] [--json]
//! ```
//!
//! Progress goes to stderr; stdout gets one JSON object (`--json`) with the keys of
//! WORKLOADS.md plus `notes`, or markdown tables with the original's figures beside ours.
//! The hidden `worker` subcommand is one of W6's two processes (see `worker.rs`).

mod decisions;
mod report;
mod setup;
mod stats;
mod w1;
mod w2;
mod w3;
mod w4;
mod w5;
mod w6;
mod worker;

use std::process::ExitCode;
use std::time::Instant;

use crate::decisions::{Corpus, Shape};
use crate::report::{Machine, Report};
use crate::setup::{FixedRouter, TempDir};
use crate::stats::Reps;
use crate::w5::W5Reps;

const USAGE: &str = "usage: nexus-attest-bench [--quick] [--json]";

/// Sizes and repetitions of one run.
struct Config {
    quick: bool,
    /// `(flows, runs)` of W1.
    w1: Vec<(usize, usize)>,
    /// The N-event decisions W2–W4 use, all measured by W3.
    corpus: Vec<(Shape, usize)>,
    /// The decisions W4 exports and imports.
    w4: Vec<(Shape, usize)>,
    w3_reps: w3::RepsFor,
    w2_small: Reps,
    w2_large: Reps,
    w5_sizes: Vec<usize>,
    w5_reps: W5Reps,
    w6_flows: usize,
    w6b_approvals: usize,
}

fn reps_quick(n: usize) -> Reps {
    match n {
        0..=100 => Reps::new(10, 200, 300),
        101..=1000 => Reps::new(5, 50, 400),
        _ => Reps::new(3, 10, 500),
    }
}

fn reps_full(n: usize) -> Reps {
    match n {
        0..=100 => Reps::new(20, 500, 1000),
        101..=1000 => Reps::new(10, 100, 1500),
        _ => Reps::new(5, 15, 3000),
    }
}

impl Config {
    fn new(quick: bool) -> Config {
        let both = |sizes: &[usize]| -> Vec<(Shape, usize)> {
            [Shape::Distinct, Shape::PoolOf5].iter().flat_map(|&s| sizes.iter().map(move |&n| (s, n))).collect()
        };
        if quick {
            let mut corpus = both(&[10, 100, 1000]);
            corpus.push((Shape::Distinct, 10_000));
            let mut w4 = both(&[10, 1000]);
            w4.push((Shape::Distinct, 10_000));
            Config {
                quick,
                w1: vec![(200, 1)],
                corpus,
                w4,
                w3_reps: reps_quick,
                w2_small: Reps::new(3, 20, 1000),
                w2_large: Reps::new(3, 20, 500),
                w5_sizes: vec![0, 10_000],
                w5_reps: W5Reps {
                    request: Reps::new(20, 200, 500),
                    flow: Reps::new(10, 100, 500),
                    list: Reps::new(10, 100, 500),
                },
                w6_flows: 100,
                w6b_approvals: 150,
            }
        } else {
            Config {
                quick,
                w1: vec![(200, 3), (2000, 3)],
                corpus: both(&[10, 100, 1000, 10_000]),
                w4: both(&[10, 1000, 10_000]),
                w3_reps: reps_full,
                w2_small: Reps::new(5, 50, 3000),
                w2_large: Reps::new(5, 30, 2000),
                w5_sizes: vec![0, 10_000, 100_000],
                w5_reps: W5Reps {
                    request: Reps::new(50, 500, 1500),
                    flow: Reps::new(20, 200, 2000),
                    list: Reps::new(20, 200, 1000),
                },
                w6_flows: 500,
                w6b_approvals: 150,
            }
        }
    }

    /// How each figure was obtained (the report's `notes`).
    fn notes(&self) -> Vec<String> {
        let mut n = vec![
            "Release build. Every database is a fresh SQLite file in a temporary directory opened with \
             NexusAttest::open (WAL, synchronous=FULL, 30 s busy timeout); the fixed router runs in the same \
             process. Times are wall-clock milliseconds, medians over repetitions (one untimed warm-up each)."
                .to_owned(),
            "W1: flows through NexusAttest::call / call_with_router with the tools' default arguments \
             (export_audit_package also renders its text, as the tool does by default); the arguments of each \
             call are built before its timer starts. flows_per_sec = N / wall time of the N flows; latency_ms \
             are medians over the flows (approve over both approvals). Headline figures are the largest N \
             (median over its runs); by_size lists every N."
                .to_owned(),
            "W2: attest_verify::json::parse of the package's canonical text, then verify::verify_package \
             (the six reference checks, the deep checks and advisories; every package must verify ok). \
             reference_only_* = parse + ParsedPackage::parse + verify::reference_checks, the checks the \
             original runs. Small packages are the 7-event audit packages of W1's first run; the 1,000- and \
             10,000-event packages are the distinct-shape decisions of W3, exported in reference mode."
                .to_owned(),
            "W3: N-event decisions are built with the tool API for request, the two approvals and execute; \
             the N-7 padding events (approve/revoke pairs by approver k, one unrevoked approval when N is even) \
             are written with one Store::append(id, events, Some(2)) call, one transaction. status \
             ({request_id}) and inspect ({decision_id}: rendered text and compiled router request, the tool's \
             defaults) go through NexusAttest::call on the file DB."
                .to_owned(),
            "W4: export_ms = Engine::export_bundle (default options, no text rendering) + canonical::to_string \
             of the bundle; import_ms = Engine::import_bundle of the bundle value with conflict_mode \
             new_decision_id, verify_digest and replay_after_import on (each repetition writes a new decision); \
             parse_ms (reading the canonical text back) is reported apart, not included in import_ms."
                .to_owned(),
            "W5: the store is filled with Store::import (the batch API: one real flow's 7 sealed events written \
             as decision fill-<i>, one transaction per decision) through a second connection to the same file \
             opened with Durability::Normal; the measuring connection stays at synchronous=FULL. Fillers' \
             created_at is the fill time, so list_requests (limit 100, measured first at each level) pages \
             through filled, completed decisions (list_requests replays each of the 100); at level 0 the list \
             is empty. store_list_100_ms is Store::list of the same page alone (headers, no replay). request \
             and flow as in W1."
                .to_owned(),
            "W6: two OS processes of this binary (hidden worker subcommand) each open the file with \
             NexusAttest::open and run W1's flow; they start together on a stdin barrier. flows_per_sec = all \
             flows / wall time from the release to both exits. Afterwards every acknowledged decision is read \
             back: completed = its log is exactly the 7 events with seq 0..6 and status says completed; lost = \
             acknowledged but not completed; errors = failed flows (lock_errors: those mentioning lock/busy)."
                .to_owned(),
            "W6b: one decision (min_approvals 100000); two worker processes call approve on it, each approval \
             by a new human actor. succeeded/failed are the tool results; lost = acknowledged approvals missing \
             from the log; seq_contiguous = the log's seqs are 0..n-1. The engine's approve is a \
             compare-and-append (BEGIN IMMEDIATE, busy timeout) retried after a lost race."
                .to_owned(),
        ];
        if self.quick {
            n.push(
                "--quick: W1 N=200 once; W3 N=10/100/1000 both shapes plus a 10,000-event distinct decision; W4 \
                 N=10/1000 both shapes plus 10,000 distinct; W5 at 0 and 10k decisions; W6 2x100 flows; fewer \
                 repetitions."
                    .to_owned(),
            );
        }
        n
    }
}

fn run(config: &Config) -> Result<Report, String> {
    let started = Instant::now();
    let dir = TempDir::new()?;
    let router = FixedRouter::new();
    eprintln!("nexus-attest-bench: {} run in {}", if config.quick { "quick" } else { "full" }, dir.path().display());
    eprintln!("W1");
    let w1 = w1::run(&dir, &router, &config.w1)?;
    eprintln!("W3 (building the N-event decisions)");
    let corpus = Corpus::build(setup::open(&dir.db("w3.db"))?, &router, &config.corpus)?;
    let w3 = w3::run(&corpus, config.w3_reps)?;
    eprintln!("W2");
    let w2 = w2::run(&w1.packages, &corpus, config.w2_small, config.w2_large)?;
    eprintln!("W4");
    let w4 = w4::run(&corpus, &config.w4, config.w3_reps)?;
    drop(corpus);
    eprintln!("W5");
    let w5 = w5::run(&dir, &router, &config.w5_sizes, config.w5_reps)?;
    eprintln!("W6");
    let w6 = w6::run(&dir, config.w6_flows)?;
    eprintln!("W6b");
    let w6b = w6::run_b(&dir, config.w6b_approvals)?;
    let elapsed_s = started.elapsed().as_secs_f64();
    eprintln!("done in {elapsed_s:.1} s");
    Ok(Report {
        machine: Machine::detect(),
        quick: config.quick,
        w1,
        w2,
        w3,
        w4,
        w5,
        w6,
        w6b,
        notes: config.notes(),
        elapsed_s,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("worker") {
        return match worker::main(args.get(1..).unwrap_or_default()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("nexus-attest-bench worker: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let (mut quick, mut json) = (false, false);
    for a in &args {
        match a.as_str() {
            "--quick" => quick = true,
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(&Config::new(quick)) {
        Ok(report) => {
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_table());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nexus-attest-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
