//! W6 and W6b: two OS processes (this binary's `worker` subcommand) writing one database
//! file, then a check of everything they acknowledged.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Instant;

use nexus_attest::verify::json::Value;
use nexus_attest::Store;

use crate::report::{num, Table};
use crate::setup::{ms_since, obj, ok, open, request_args, request_id, TempDir};
use crate::stats::per_sec;

/// What one worker process printed after `ready`.
#[derive(Debug, Default)]
struct Output {
    acknowledged: Vec<String>,
    errors: Vec<String>,
    done: bool,
    exit_ok: bool,
}

/// Start two workers with `args` each, release them together, and collect their output.
/// Returns the outputs and the wall time from the release to both exits.
fn pair(a: &[String], b: &[String]) -> Result<(Vec<Output>, f64), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut started: Vec<(Child, BufReader<ChildStdout>)> = Vec::new();
    for args in [a, b] {
        match start_worker(&exe, args) {
            Ok(w) => started.push(w),
            Err(e) => {
                for (mut child, _) in started {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                return Err(e);
            }
        }
    }
    let start = Instant::now();
    let mut handles = Vec::new();
    for (mut child, reader) in started {
        if let Some(mut stdin) = child.stdin.take() {
            let _ = writeln!(stdin, "go");
        }
        // One thread per worker, so neither blocks on a full pipe.
        handles.push(std::thread::spawn(move || {
            let mut o = parse_output(reader.lines());
            o.exit_ok = child.wait().is_ok_and(|s| s.success());
            o
        }));
    }
    let outputs = handles
        .into_iter()
        .map(|h| h.join().map_err(|_| "a worker reader thread panicked".to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((outputs, ms_since(start)))
}

/// Spawn `exe worker <args>` and wait for its `ready` line.
fn start_worker(exe: &Path, args: &[String]) -> Result<(Child, BufReader<ChildStdout>), String> {
    let mut child = Command::new(exe)
        .arg("worker")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start a worker: {e}"))?;
    let mut line = String::new();
    let reader = child.stdout.take().map(BufReader::new).and_then(|mut r| r.read_line(&mut line).ok().map(|_| r));
    match reader {
        Some(r) if line.trim() == "ready" => Ok((child, r)),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("a worker did not start: `{}`", line.trim()))
        }
    }
}

/// Read `ok`/`err`/`done` lines of one worker.
fn parse_output(lines: impl Iterator<Item = std::io::Result<String>>) -> Output {
    let mut o = Output::default();
    for line in lines.map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("ok ") {
            o.acknowledged.push(rest.trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("err ") {
            o.errors.push(rest.trim().to_owned());
        } else if line.starts_with("done") {
            o.done = true;
        }
    }
    o
}

/// W6's result.
#[derive(Debug)]
pub(crate) struct W6 {
    pub(crate) expected: usize,
    pub(crate) acknowledged: usize,
    pub(crate) completed: usize,
    pub(crate) lost: usize,
    pub(crate) errors: usize,
    pub(crate) lock_errors: usize,
    pub(crate) flows_per_sec: f64,
    pub(crate) wall_ms: f64,
    pub(crate) error_sample: Vec<String>,
}

/// Two processes × `n` flows on one fresh file; then every acknowledged decision is
/// replayed (`status`) and counted as completed when its log is the flow's 7 events with
/// seq 0..6 and its state is `completed`.
pub(crate) fn run(dir: &TempDir, n: usize) -> Result<W6, String> {
    let path = dir.db("w6.db");
    drop(open(&path)?); // create the schema before the workers race for it
    let args = |tag: &str| vec!["flows".to_owned(), path_arg(&path), n.to_string(), tag.to_owned()];
    let (outputs, wall_ms) = pair(&args("a"), &args("b"))?;
    let db = open(&path)?;
    let mut completed = 0;
    let mut acknowledged = 0;
    for id in outputs.iter().flat_map(|o| &o.acknowledged) {
        acknowledged += 1;
        let events = db.engine().store().events(id).unwrap_or_default();
        let contiguous = events.iter().enumerate().all(|(i, e)| e.seq == i as u64);
        let state = ok("status", db.call("status", &obj(vec![("request_id", Value::str(id.as_str()))])))
            .ok()
            .and_then(|m| m.get("state").and_then(Value::as_str).map(str::to_owned));
        if events.len() == 7 && contiguous && state.as_deref() == Some("completed") {
            completed += 1;
        }
    }
    let errors: Vec<String> = outputs.iter().flat_map(|o| o.errors.iter().cloned()).collect();
    let lock_errors = errors
        .iter()
        .filter(|e| e.to_ascii_lowercase().contains("lock") || e.to_ascii_lowercase().contains("busy"))
        .count();
    let crashed = outputs.iter().filter(|o| !o.done || !o.exit_ok).count();
    if crashed > 0 {
        eprintln!("  W6: {crashed} worker(s) did not finish cleanly");
    }
    let w = W6 {
        expected: 2 * n,
        acknowledged,
        completed,
        lost: acknowledged - completed,
        errors: errors.len(),
        lock_errors,
        flows_per_sec: per_sec(wall_ms / (2 * n) as f64),
        wall_ms,
        error_sample: errors.into_iter().take(5).collect(),
    };
    eprintln!(
        "  W6: {}/{} completed, {} lost, {} errors, {:.1} flows/s together",
        w.completed, w.expected, w.lost, w.errors, w.flows_per_sec
    );
    Ok(w)
}

/// W6b's result.
#[derive(Debug)]
pub(crate) struct W6b {
    pub(crate) attempted: usize,
    pub(crate) succeeded: usize,
    pub(crate) failed: usize,
    pub(crate) lost: usize,
    pub(crate) seq_contiguous: bool,
    pub(crate) events_in_log: usize,
    pub(crate) unacknowledged_in_log: usize,
    pub(crate) wall_ms: f64,
    pub(crate) error_sample: Vec<String>,
}

/// One decision with `min_approvals` 100000; two processes approve it `n` times each,
/// every approval by a new actor; then the log is checked: seqs contiguous from 0, every
/// acknowledged approval present.
pub(crate) fn run_b(dir: &TempDir, n: usize) -> Result<W6b, String> {
    let path = dir.db("w6b.db");
    let id = {
        let db = open(&path)?;
        request_id(&ok("request", db.call("request", &request_args("W6b shared decision", 100_000)))?)?
    };
    let args = |tag: &str| vec!["approve".to_owned(), path_arg(&path), id.clone(), n.to_string(), tag.to_owned()];
    let (outputs, wall_ms) = pair(&args("w6b-a"), &args("w6b-b"))?;
    let db = open(&path)?;
    let events = db.engine().store().events(&id).map_err(|e| e.to_string())?;
    let seq_contiguous = events.iter().enumerate().all(|(i, e)| e.seq == i as u64);
    let granted: BTreeSet<&str> =
        events.iter().filter(|e| e.event_type == "APPROVAL_GRANTED").map(|e| e.actor.id.as_str()).collect();
    let acked: BTreeSet<&str> = outputs.iter().flat_map(|o| o.acknowledged.iter().map(String::as_str)).collect();
    let errors: Vec<String> = outputs.iter().flat_map(|o| o.errors.iter().cloned()).collect();
    let w = W6b {
        attempted: 2 * n,
        succeeded: acked.len(),
        failed: errors.len(),
        lost: acked.iter().filter(|a| !granted.contains(*a)).count(),
        seq_contiguous,
        events_in_log: events.len(),
        unacknowledged_in_log: granted.iter().filter(|g| !acked.contains(*g)).count(),
        wall_ms,
        error_sample: errors.into_iter().take(5).collect(),
    };
    eprintln!(
        "  W6b: {}/{} approvals succeeded, {} failed, {} lost, seq contiguous: {}",
        w.succeeded, w.attempted, w.failed, w.lost, w.seq_contiguous
    );
    Ok(w)
}

fn path_arg(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl W6 {
    pub(crate) fn to_value(&self) -> Value {
        obj(vec![
            ("expected", Value::int(self.expected as i64)),
            ("completed", Value::int(self.completed as i64)),
            ("lost", Value::int(self.lost as i64)),
            ("errors", Value::int(self.errors as i64)),
            ("flows_per_sec", num(self.flows_per_sec)),
            ("acknowledged", Value::int(self.acknowledged as i64)),
            ("lock_errors", Value::int(self.lock_errors as i64)),
            ("wall_ms", num(self.wall_ms)),
            ("error_sample", Value::Array(self.error_sample.iter().map(|e| Value::str(e.as_str())).collect())),
        ])
    }

    pub(crate) fn table(&self, t: &mut Table) {
        t.section("W6: two OS processes × flows on one DB file");
        t.row("completed / expected", format!("{}/{}", self.completed, self.expected), "1000/1000");
        t.row("lost (acknowledged, not complete)", self.lost.to_string(), "0");
        t.row("errors (lock errors)", format!("{} ({})", self.errors, self.lock_errors), "0 (0)");
        t.row("flows/s together", format!("{:.1}", self.flows_per_sec), "165");
    }
}

impl W6b {
    pub(crate) fn to_value(&self) -> Value {
        obj(vec![
            ("attempted", Value::int(self.attempted as i64)),
            ("succeeded", Value::int(self.succeeded as i64)),
            ("failed", Value::int(self.failed as i64)),
            ("lost", Value::int(self.lost as i64)),
            ("seq_contiguous", Value::Bool(self.seq_contiguous)),
            ("events_in_log", Value::int(self.events_in_log as i64)),
            ("unacknowledged_in_log", Value::int(self.unacknowledged_in_log as i64)),
            ("wall_ms", num(self.wall_ms)),
            ("error_sample", Value::Array(self.error_sample.iter().map(|e| Value::str(e.as_str())).collect())),
        ])
    }

    pub(crate) fn table(&self, t: &mut Table) {
        t.section("W6b: two OS processes approving one shared decision");
        t.row("succeeded / attempted", format!("{}/{}", self.succeeded, self.attempted), "211/300");
        t.row("failed", self.failed.to_string(), "28–30 % (duplicate seq)");
        t.row("lost", self.lost.to_string(), "0");
        t.row("seq contiguous", self.seq_contiguous.to_string(), "");
    }
}
