//! Several OS processes on one file: concurrent writers never lose or duplicate a seq, and
//! a writer killed with SIGKILL leaves a sound file with whole writes only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test helpers fail the test by panicking")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attest_store::{ListQuery, Store};
use attest_store_sqlite::SqliteStore;

const HELPER: &str = env!("CARGO_BIN_EXE_attest-store-sqlite-stress");

#[test]
fn two_processes_append_to_one_decision() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    // Create the file first so both processes open an existing store.
    SqliteStore::open_default(&db).unwrap().create_decision("d", vec![]).unwrap();
    let n = 150;
    let spawn = || {
        Command::new(HELPER)
            .args(["append", db.to_str().unwrap(), "d", &n.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "writer failed: {stdout} {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(stdout.trim(), format!("appended {n} failed 0"));
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    let store = SqliteStore::open_default(&db).unwrap();
    let events = store.events("d").unwrap();
    assert_eq!(events.len(), 2 * n);
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64), "seqs 0..2N contiguous");
    let mut actors: Vec<&str> = events.iter().map(|e| e.actor.id.as_str()).collect();
    actors.sort_unstable();
    actors.dedup();
    assert_eq!(actors.len(), 2 * n, "every append is there exactly once");
    let stamps: Vec<String> = events.iter().map(|e| e.ts.clone()).collect();
    let mut sorted = stamps.clone();
    sorted.sort();
    assert_eq!(stamps, sorted, "ts order follows seq order across processes");
    store.integrity_check().unwrap();
}

#[test]
fn two_processes_open_a_new_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db");
    let children: Vec<_> = ["x", "y"]
        .iter()
        .map(|id| {
            Command::new(HELPER)
                .args(["append", db.to_str().unwrap(), id, "20"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let store = SqliteStore::open_default(&db).unwrap();
    assert_eq!(store.count().unwrap(), 2);
    assert_eq!(store.events("x").unwrap().len(), 20);
    assert_eq!(store.events("y").unwrap().len(), 20);
}

#[test]
fn sigkill_leaves_whole_writes_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let k = 5;
    // Three writers killed in turn on the same file: each reopening finds it sound.
    let mut before = 0;
    for round in 0..3 {
        let mut child = Command::new(HELPER)
            .args(["churn", db.to_str().unwrap(), &k.to_string(), "30"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the writer started");
        std::thread::sleep(Duration::from_millis(300));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(!status.success(), "the writer was killed, not finished");
        let total = check_after_crash(&db, k);
        eprintln!("round {round}: {total} decisions after the kill");
        assert!(total >= before + 2, "the writer made progress before it was killed ({before} -> {total})");
        before = total;
    }
}

/// Everything a killed writer may leave: a sound file, contiguous seqs, whole decisions,
/// an index covering every decision. Returns the number of decisions.
fn check_after_crash(db: &std::path::Path, k: usize) -> u64 {
    let store = SqliteStore::open_default(db).unwrap();
    store.integrity_check().unwrap();
    let raw = rusqlite::Connection::open(db).unwrap();
    let check: String = raw.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let fk: Vec<String> = raw
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(fk.is_empty(), "orphan events: {fk:?}");

    let total = store.count().unwrap();
    let mut seen = 0;
    let mut offset = 0;
    loop {
        let page = store.list(&ListQuery { limit: 1000, offset, label: None }).unwrap();
        if page.is_empty() {
            break;
        }
        offset += page.len();
        for h in page {
            let events = store.events(&h.decision_id).unwrap();
            assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64), "{}: seqs contiguous", h.decision_id);
            if h.decision_id.starts_with("churn-") {
                assert_eq!(events.len(), k, "{} is partial", h.decision_id);
                assert_eq!(h.created_at, events[0].ts);
            }
            seen += 1;
        }
    }
    assert_eq!(seen, total, "the listing index covers every decision");
    let mut labelled = 0;
    loop {
        let q = ListQuery { limit: 1000, offset: labelled, label: Some("stress".into()) };
        let n = store.list(&q).unwrap().len();
        if n == 0 {
            break;
        }
        labelled += n;
    }
    assert_eq!(labelled as u64, total - 1, "every churn decision is labelled, `shared` is not");
    // The file keeps working after the crash.
    let next = store.events("shared").unwrap().len() as u64;
    assert_eq!(store.append("shared", vec![], Some(next)).unwrap().len(), 0);
    total
}
