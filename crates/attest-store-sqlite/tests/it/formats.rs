//! What the file holds: the original's text forms (`json.dumps` payloads and lists,
//! isoformat timestamps, actor columns), the schema version, and listing through indexes.

use attest_events::Value;
use attest_store::{ImportBatch, ListQuery, Store};
use attest_store_sqlite::SCHEMA_VERSION;
use attest_verify::json;
use rusqlite::Connection;

use crate::{approval, created, open};

#[test]
fn rows_are_stored_as_the_original_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = open(&path);
    store.create_decision("d", vec![created(&["prod", "é"]), approval("bob@example.com")]).unwrap();
    let raw = Connection::open(&path).unwrap();
    let (created_at,): (String,) =
        raw.query_row("SELECT created_at FROM decisions WHERE decision_id = 'd'", [], |r| Ok((r.get(0)?,))).unwrap();
    assert_eq!(created_at, "2026-11-24T10:00:00.000001+00:00");
    let rows: Vec<(i64, String, String, String, String, String)> = raw
        .prepare("SELECT seq, event_type, ts, actor_type, actor_id, payload FROM decision_events ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows[0],
        (
            0,
            "DECISION_CREATED".to_owned(),
            "2026-11-24T10:00:00.000001+00:00".to_owned(),
            "human".to_owned(),
            "alice@example.com".to_owned(),
            r#"{"goal": "R\u00e9sum\u00e9 \ud83d\udd11", "plan": null, "requested_mode": "apply", "labels": ["prod", "\u00e9"]}"#
                .to_owned()
        )
    );
    assert_eq!(rows[1].5, r#"{"expires_at": null, "comment": "ok"}"#);
    let version: i64 =
        raw.query_row("SELECT value FROM attest_meta WHERE key = 'schema_version'", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn template_lists_are_json_dumps_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = open(&path);
    let record = attest_store::TemplateRecord {
        name: "prod".into(),
        description: "Déploiement".into(),
        min_approvals: 2,
        allowed_modes: vec!["dry_run".into(), "apply".into()],
        require_adapter_capabilities: vec![],
        max_steps: Some(7),
        labels: vec!["café".into()],
        created_at: "2026-01-01T00:00:00+00:00".into(),
        created_by: attest_events::Actor::human("alice").unwrap(),
        digest: "ab".repeat(32),
    };
    let event =
        created(&[]).seal("prod", 0, attest_events::Timestamp::parse_isoformat(&record.created_at).unwrap()).unwrap();
    store.put_template(record.clone(), event).unwrap();
    let raw = Connection::open(&path).unwrap();
    let row: (String, String, String, Option<i64>, String) = raw
        .query_row(
            "SELECT description, allowed_modes, require_adapter_capabilities, max_steps, labels FROM templates",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        ("Déploiement".into(), r#"["dry_run", "apply"]"#.into(), "[]".into(), Some(7), r#"["caf\u00e9"]"#.into())
    );
    assert_eq!(store.template("prod").unwrap().unwrap(), record);
}

#[test]
fn imports_keep_big_numbers_and_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store.db"));
    let payload = json::parse(r#"{"z": 1, "a": 1.0, "big": 123456789012345678901234567890, "e": 1e400}"#);
    // 1e400 overflows a float: the reader refuses it, so build the rest only.
    assert!(payload.is_err());
    let payload = json::parse(r#"{"z": 1, "a": 1.0, "big": 123456789012345678901234567890}"#).unwrap();
    let mut event = approval("x").seal("src", 0, attest_events::Timestamp::UNIX_EPOCH).unwrap();
    event.payload = payload.clone();
    store
        .import(ImportBatch {
            decision_id: "i".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            events: vec![event],
            overwrite: false,
        })
        .unwrap();
    let back = store.events("i").unwrap();
    assert_eq!(back[0].payload, payload);
    let keys: Vec<&str> = back[0].payload.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["z", "a", "big"]);
    assert!(matches!(back[0].payload.get("a"), Some(Value::Number(n)) if n.is_float()));
    // NaN cannot be stored as JSON: refused, nothing written.
    let mut nan = back[0].clone();
    let mut m = attest_events::Map::new();
    m.insert("x", Value::Number(json::Number::from_f64(f64::NAN)));
    nan.payload = Value::Object(m);
    let batch = ImportBatch { decision_id: "n".into(), created_at: "x".into(), events: vec![nan], overwrite: false };
    assert!(matches!(store.import(batch), Err(attest_store::StoreError::InvalidInput(_))));
    assert_eq!(store.header("n").unwrap(), None);
}

#[test]
fn listing_reads_the_order_index_without_sorting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = open(&path);
    for i in 0..50 {
        store.create_decision(&format!("d{i}"), vec![]).unwrap();
    }
    assert_eq!(store.list(&ListQuery::first(10)).unwrap().len(), 10);
    let raw = Connection::open(&path).unwrap();
    let plan: Vec<String> = raw
        .prepare(
            "EXPLAIN QUERY PLAN SELECT decision_id, order_key, ins FROM attest_decision_order
             ORDER BY order_key DESC, ins ASC LIMIT 100 OFFSET 0",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let text = plan.join(" | ");
    assert!(text.contains("COVERING INDEX attest_decision_order_list") && !text.contains("TEMP B-TREE"), "{text}");
    let plan: Vec<String> = raw
        .prepare(
            "EXPLAIN QUERY PLAN SELECT decision_id, order_key, ins FROM attest_decision_labels WHERE label = 'x'
             ORDER BY order_key DESC, ins ASC LIMIT 100 OFFSET 0",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let text = plan.join(" | ");
    assert!(text.contains("COVERING INDEX attest_decision_labels_list") && !text.contains("TEMP B-TREE"), "{text}");
    let plan: Vec<String> = raw
        .prepare("EXPLAIN QUERY PLAN SELECT seq FROM decision_events WHERE decision_id = 'd' ORDER BY seq DESC LIMIT 1")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(plan.iter().all(|p| !p.contains("TEMP B-TREE")), "{plan:?}");
}
