//! Files that are not stores, newer schemas, damaged rows and a writer that holds the lock:
//! errors, never panics, and refused files stay byte for byte as they were.

use std::path::Path;
use std::time::Duration;

use attest_store::{ListQuery, Store, StoreError};
use attest_store_sqlite::{SqliteOptions, SqliteStore, SCHEMA_VERSION};
use rusqlite::Connection;

use crate::{approval, created, open, options};

fn refused_untouched(path: &Path) -> StoreError {
    let before = std::fs::read(path).unwrap();
    let err = SqliteStore::open(path, options()).unwrap_err();
    assert_eq!(std::fs::read(path).unwrap(), before, "a refused file must be left unchanged");
    err
}

fn pseudo_random(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn random_bytes_are_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.bin");
    std::fs::write(&path, pseudo_random(8192)).unwrap();
    let err = refused_untouched(&path);
    assert!(matches!(&err, StoreError::NotAStore(m) if m.contains("not an SQLite database")), "{err}");
    assert_eq!(err.code(), "NOT_A_STORE");
}

#[test]
fn a_text_file_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [("notes.txt", &b"decision log\nnothing to see\n"[..]), ("tiny", &b"SQLite"[..])] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        assert!(matches!(refused_untouched(&path), StoreError::NotAStore(_)));
    }
}

#[test]
fn a_damaged_sqlite_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(pseudo_random(4080));
    std::fs::write(&path, bytes).unwrap();
    let err = refused_untouched(&path);
    assert!(matches!(err, StoreError::NotAStore(_) | StoreError::Corrupt(_)), "{err}");
}

#[test]
fn a_directory_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(SqliteStore::open(dir.path(), options()), Err(StoreError::NotAStore(_))));
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO users (name) VALUES ('ada'), ('grace');",
    )
    .unwrap();
    drop(conn);
    let err = refused_untouched(&path);
    assert!(matches!(&err, StoreError::NotAStore(m) if m.contains("users") && m.contains("decisions")), "{err}");

    // A `decisions` table of another shape is not ours either.
    let path = dir.path().join("other.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE decisions (id INTEGER PRIMARY KEY, verdict TEXT);
         CREATE TABLE decision_events (id INTEGER PRIMARY KEY, what TEXT);",
    )
    .unwrap();
    drop(conn);
    let err = refused_untouched(&path);
    assert!(matches!(&err, StoreError::NotAStore(m) if m.contains("decision_id")), "{err}");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    open(&path).create_decision("d", vec![]).unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute("UPDATE attest_meta SET value = ?1 WHERE key = 'schema_version'", [SCHEMA_VERSION + 1]).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, options()).unwrap_err();
    assert_eq!(err, StoreError::SchemaTooNew { found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION });
}

#[test]
fn damaged_rows_read_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = open(&path);
    for id in ["json", "negative", "blob", "blob-ts", "template-ok"] {
        store.create_decision(id, vec![created(&["prod"]), approval("bob")]).unwrap();
    }
    let raw = Connection::open(&path).unwrap();
    raw.execute("UPDATE decision_events SET payload = 'not json {' WHERE decision_id = 'json' AND seq = 0", [])
        .unwrap();
    raw.execute("UPDATE decision_events SET seq = -1 WHERE decision_id = 'negative' AND seq = 0", []).unwrap();
    raw.execute("UPDATE decision_events SET payload = x'00ff' WHERE decision_id = 'blob' AND seq = 1", []).unwrap();
    raw.execute("UPDATE decision_events SET ts = x'3132' WHERE decision_id = 'blob-ts' AND seq = 1", []).unwrap();
    for id in ["json", "negative", "blob", "blob-ts"] {
        let err = store.events(id).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{id}: {err}");
        assert_eq!(err.code(), "STORE_CORRUPT");
    }
    // An append after a negative seq refuses too: seq 0 is still taken.
    raw.execute("DELETE FROM decision_events WHERE decision_id = 'negative' AND seq = 1", []).unwrap();
    assert!(matches!(store.append("negative", vec![approval("x")], None), Err(StoreError::Corrupt(_))));
    // Listing still works: a damaged DECISION_CREATED payload indexes as no labels.
    let q = ListQuery { label: Some("prod".into()), ..ListQuery::default() };
    let mut ids: Vec<String> = store.list(&q).unwrap().into_iter().map(|h| h.decision_id).collect();
    ids.sort();
    assert_eq!(ids, ["blob", "blob-ts", "negative", "template-ok"]);
    assert_eq!(store.list(&ListQuery::default()).unwrap().len(), 5);
    assert!(store.events("template-ok").is_ok());

    // Damaged template columns.
    let (rec, ev) = template("t");
    store.put_template(rec, ev).unwrap();
    raw.execute("UPDATE templates SET labels = '{\"not\": \"a list\"}' WHERE name = 't'", []).unwrap();
    assert!(matches!(store.template("t"), Err(StoreError::Corrupt(_))));
    assert!(matches!(store.list_templates(&ListQuery::default()), Err(StoreError::Corrupt(_))));
    raw.execute("UPDATE templates SET labels = '[]', min_approvals = 'two' WHERE name = 't'", []).unwrap();
    assert!(matches!(store.template("t"), Err(StoreError::Corrupt(_))));
}

fn template(name: &str) -> (attest_store::TemplateRecord, attest_events::Event) {
    let record = attest_store::TemplateRecord {
        name: name.to_owned(),
        description: String::new(),
        min_approvals: 1,
        allowed_modes: vec!["dry_run".into()],
        require_adapter_capabilities: vec![],
        max_steps: None,
        labels: vec!["a".into()],
        created_at: "2026-01-01T00:00:00+00:00".into(),
        created_by: attest_events::Actor::human("alice").unwrap(),
        digest: "00".repeat(32),
    };
    let event =
        created(&[]).seal(name, 0, attest_events::Timestamp::parse_isoformat(&record.created_at).unwrap()).unwrap();
    (record, event)
}

#[test]
fn a_writer_blocked_past_the_busy_timeout_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store =
        SqliteStore::open(&path, SqliteOptions { busy_timeout: Duration::from_millis(200), ..options() }).unwrap();
    store.create_decision("d", vec![created(&[])]).unwrap();
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let err = store.append("d", vec![approval("x")], None).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(matches!(&err, StoreError::Backend(m) if m.contains("busy timeout (200 ms)")), "{err}");
    assert!(matches!(store.create_decision("e", vec![]), Err(StoreError::Backend(_))));
    // Readers are not blocked by a writer (WAL).
    assert_eq!(store.events("d").unwrap().len(), 1);
    other.execute_batch("COMMIT").unwrap();
    assert_eq!(store.append("d", vec![approval("x")], None).unwrap()[0].seq, 1);
    assert_eq!(store.count().unwrap(), 1);
}
