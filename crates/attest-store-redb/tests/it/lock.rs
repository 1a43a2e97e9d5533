//! The single-process rule: a second open, in this process or another, is `Locked` at once.

use std::process::Command;
use std::time::{Duration, Instant};

use attest_store::{Durability, Store};
use attest_store_redb::RedbStore;

use crate::support::{open, revoke, StepClock, TempDir};

/// Run the probe binary on `path` in a second OS process: (stdout, exit code).
fn probe(path: &std::path::Path) -> (String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_attest-store-redb-probe")).arg(path).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).trim().to_owned(), out.status.code())
}

#[test]
fn a_second_process_gets_locked_quickly() {
    let dir = TempDir::new("lock-process");
    let path = dir.file();
    let store = open(&path, StepClock::new(), Durability::Full);
    store.create_decision("d", vec![revoke("x")]).unwrap();
    let before = std::fs::read(&path).unwrap();
    let started = Instant::now();
    assert_eq!(probe(&path), ("STORE_LOCKED".to_owned(), Some(1)));
    assert!(started.elapsed() < Duration::from_secs(10), "the probe took {:?}", started.elapsed());
    assert_eq!(std::fs::read(&path).unwrap(), before, "the second process wrote to the file");
    // The holder is unaffected.
    store.append("d", vec![revoke("y")], Some(1)).unwrap();
    drop(store);
    assert_eq!(probe(&path), ("OK".to_owned(), Some(0)));
    let store = open(&path, StepClock::new(), Durability::Full);
    assert_eq!(store.events("d").unwrap().len(), 2);
}

#[test]
fn a_second_open_in_the_same_process_gets_locked() {
    let dir = TempDir::new("lock-same");
    let path = dir.file();
    let store = open(&path, StepClock::new(), Durability::Normal);
    let started = Instant::now();
    let err = RedbStore::open_default(&path).unwrap_err();
    assert_eq!(err.code(), "STORE_LOCKED");
    assert!(err.to_string().contains("store.redb"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(store);
    RedbStore::open_default(&path).unwrap();
}

#[test]
fn the_probe_reports_usage_and_other_errors() {
    let dir = TempDir::new("probe");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    assert_eq!(probe(&text), ("NOT_A_STORE".to_owned(), Some(1)));
    let status = Command::new(env!("CARGO_BIN_EXE_attest-store-redb-probe")).output().unwrap().status;
    assert_eq!(status.code(), Some(2));
}
