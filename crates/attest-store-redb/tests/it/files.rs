//! Files that are not stores, stores of a newer schema, damaged stores.

use std::path::Path;

use attest_store::{Durability, ListQuery, Store, StoreError};
use attest_store_redb::RedbStore;
use redb::{ReadableTable, TableDefinition};

use crate::support::{created, open, revoke, StepClock, TempDir};

const META: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("nexus_attest.meta");
const DECISIONS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("nexus_attest.decisions");
const EVENTS: TableDefinition<'static, &[u8], &[u8]> = TableDefinition::new("nexus_attest.decision_events");

/// Opening `path` fails with `code` and leaves its bytes as they were.
fn refused_untouched(path: &Path, code: &str) -> StoreError {
    let before = std::fs::read(path).unwrap();
    let err = RedbStore::open_default(path).unwrap_err();
    assert_eq!(err.code(), code, "{err}");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file was modified");
    err
}

#[test]
fn files_that_are_not_redb_are_refused_untouched() {
    let dir = TempDir::new("notredb");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("text.txt", b"hello, this is a text file\n".to_vec()),
        ("random.bin", (0..10_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()),
        ("sqlite.db", {
            let mut v = b"SQLite format 3\0".to_vec();
            v.resize(4096, 0);
            v
        }),
        ("short", b"redb".to_vec()),
        ("json", br#"{"decisions": []}"#.to_vec()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = refused_untouched(&path, "NOT_A_STORE");
        assert!(err.to_string().contains(name), "{err}");
        if name == "sqlite.db" {
            assert!(err.to_string().contains("SQLite"), "{err}");
        }
    }
    assert_eq!(RedbStore::open_default(dir.path()).unwrap_err().code(), "NOT_A_STORE");
    let missing_dir = dir.path().join("no/such/dir/store.redb");
    assert_eq!(RedbStore::open_default(missing_dir).unwrap_err().code(), "STORE_BACKEND");
}

#[test]
fn an_empty_file_becomes_a_store() {
    let dir = TempDir::new("empty");
    std::fs::write(dir.file(), b"").unwrap();
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    store.create_decision("d", vec![revoke("x")]).unwrap();
    assert_eq!(store.count().unwrap(), 1);
}

#[test]
fn another_programs_redb_database_is_refused_untouched() {
    let dir = TempDir::new("foreign");
    let path = dir.file();
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(TableDefinition::<u64, u64>::new("counters")).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    refused_untouched(&path, "NOT_A_STORE");
    // A table with our name but other types is not ours either.
    let path2 = dir.path().join("typed.redb");
    {
        let db = redb::Database::create(&path2).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(TableDefinition::<u64, u64>::new("nexus_attest.meta")).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
    }
    refused_untouched(&path2, "NOT_A_STORE");
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let dir = TempDir::new("newer");
    let path = dir.file();
    drop(open(&path, StepClock::new(), Durability::Full));
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert(b"schema_version".as_slice(), 2u64.to_le_bytes().as_slice()).unwrap();
        txn.commit().unwrap();
    }
    let err = refused_untouched(&path, "SCHEMA_TOO_NEW");
    assert!(matches!(err, StoreError::SchemaTooNew { found: 2, supported: 1 }), "{err:?}");
    assert_eq!(attest_store_redb::SCHEMA_VERSION, 1);
}

#[test]
fn damaged_records_are_corrupt_errors() {
    let dir = TempDir::new("records");
    let path = dir.file();
    {
        let store = open(&path, StepClock::new(), Durability::Full);
        store.create_decision("d", vec![created(&["a"]), revoke("x")]).unwrap();
        store.create_decision("e", vec![revoke("y")]).unwrap();
    }
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut events = txn.open_table(EVENTS).unwrap();
            let key: Vec<u8> = events.iter().unwrap().next().unwrap().unwrap().0.value().to_vec();
            events.insert(key.as_slice(), [0xFFu8, 0xFF, 0x01].as_slice()).unwrap();
            txn.open_table(DECISIONS).unwrap().insert(b"e".as_slice(), b"\x09garbage".as_slice()).unwrap();
            txn.open_table(META).unwrap().insert(b"next_insert".as_slice(), b"abc".as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let store = open(&path, StepClock::new(), Durability::Full);
    assert_eq!(store.events("d").unwrap_err().code(), "STORE_CORRUPT");
    assert_eq!(store.header("e").unwrap_err().code(), "STORE_CORRUPT");
    assert_eq!(store.append("e", vec![revoke("z")], None).unwrap_err().code(), "STORE_CORRUPT");
    assert_eq!(store.create_decision("f", vec![]).unwrap_err().code(), "STORE_CORRUPT");
    assert_eq!(store.list(&ListQuery::default()).unwrap().len(), 2);
}

#[test]
fn a_payload_that_is_not_json_is_corrupt() {
    let dir = TempDir::new("payload");
    let path = dir.file();
    drop(open(&path, StepClock::new(), Durability::Full).create_decision("d", vec![revoke("x")]).unwrap());
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut events = txn.open_table(EVENTS).unwrap();
            let (key, value) = {
                let first = events.iter().unwrap().next().unwrap().unwrap();
                (first.0.value().to_vec(), first.1.value().to_vec())
            };
            // Replace the payload text `{"reason": "x"}` by `{"reason": "x"` (same length - 1).
            let text = br#"{"reason": "x"}"#;
            let at = value.windows(text.len()).position(|w| w == text).unwrap();
            let mut broken = value[..at - 1].to_vec();
            broken.push((text.len() - 1) as u8);
            broken.extend_from_slice(&text[..text.len() - 1]);
            broken.extend_from_slice(&value[at + text.len()..]);
            events.insert(key.as_slice(), broken.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let err = open(&path, StepClock::new(), Durability::Full).events("d").unwrap_err();
    assert_eq!(err.code(), "STORE_CORRUPT");
    assert!(err.to_string().contains("not JSON"), "{err}");
}

/// Flip bytes all over a real store file: every operation returns (an error or a
/// value), none panics.
#[test]
fn a_damaged_file_never_panics() {
    let dir = TempDir::new("flip");
    let clean = dir.path().join("clean.redb");
    {
        let store = open(&clean, StepClock::new(), Durability::Full);
        for i in 0..40 {
            store.create_decision(&format!("d{i}"), vec![created(&["a", "b"]), revoke("x"), revoke("y")]).unwrap();
        }
    }
    let bytes = std::fs::read(&clean).unwrap();
    let mut state = 0x1234_5678_9ABC_DEF1u64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = std::collections::BTreeMap::<String, u32>::new();
    let trials: u32 = std::env::var("FLIP_TRIALS").ok().and_then(|t| t.parse().ok()).unwrap_or(100);
    for trial in 0..trials {
        let mut damaged = bytes.clone();
        for _ in 0..(1 + trial % 8) {
            let at = (rand() % damaged.len() as u64) as usize;
            damaged[at] ^= (rand() % 255 + 1) as u8;
        }
        let path = dir.path().join(format!("damaged-{trial}.redb"));
        std::fs::write(&path, &damaged).unwrap();
        let result = std::panic::catch_unwind(|| -> Result<(), StoreError> {
            let store = RedbStore::open_default(&path)?;
            let list = store.list(&ListQuery::first(1000))?;
            for h in list {
                store.events(&h.decision_id)?;
            }
            store.create_decision("new", vec![revoke("z")])?;
            Ok(())
        });
        let outcome = match result {
            Ok(Ok(())) => "ok".to_owned(),
            Ok(Err(e)) => e.code().to_owned(),
            Err(_) => panic!("trial {trial}: a damaged file made the store panic"),
        };
        *outcomes.entry(outcome).or_default() += 1;
        let _ = std::fs::remove_file(&path);
    }
    eprintln!("damaged-file outcomes: {outcomes:?}");
}
