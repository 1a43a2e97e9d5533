//! Both durability levels keep every commit across a clean close.

use std::time::Duration;

use attest_store::{Durability, ListQuery, Store};

use crate::support::{open, revoke, StepClock, TempDir};

#[test]
fn normal_durability_keeps_everything_after_close_and_flush() {
    let dir = TempDir::new("normal");
    let path = dir.file();
    let clock = StepClock::new();
    let store = open(&path, clock.clone(), Durability::Normal);
    assert_eq!(store.durability(), Durability::Normal);
    for i in 0..50 {
        store.create_decision(&format!("d{i}"), vec![revoke("x")]).unwrap();
    }
    store.flush().unwrap();
    for i in 0..50 {
        store.append(&format!("d{i}"), vec![revoke("y")], Some(1)).unwrap();
    }
    // Let the background flush run at least once, then keep writing until the close.
    std::thread::sleep(Duration::from_millis(250));
    store.create_decision("last", vec![]).unwrap();
    drop(store);
    let store = open(&path, clock, Durability::Full);
    assert_eq!(store.count().unwrap(), 51);
    assert_eq!(store.events("d49").unwrap().len(), 2);
    assert_eq!(store.list(&ListQuery::first(1)).unwrap()[0].decision_id, "last");
}

#[test]
fn full_durability_reports_itself_and_path() {
    let dir = TempDir::new("full");
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    assert_eq!(store.durability(), Durability::Full);
    assert_eq!(store.path(), dir.file());
    store.flush().unwrap();
    assert!(format!("{store:?}").contains("RedbStore"));
}
