//! What the store keeps: payload and timestamp fidelity, ordering, persistence.

use attest_events::{Actor, Event, EventType, Value};
use attest_store::{Durability, ImportBatch, ListQuery, Store};

use crate::support::{created, event, json, open, revoke, StepClock, TempDir};

#[test]
fn payloads_round_trip_exactly_across_reopen() {
    let dir = TempDir::new("payload");
    let text = r#"{"zeta": 1, "alpha": {"y": 5, "x": 5.0, "w": -0.0}, "big": -123456789012345678901234567890,
        "uni": "h\u00e9llo \ud83d\ude00 \u0000", "f": 1e300, "small": 1.5e-7, "arr": [true, false, null, [], {}]}"#;
    let payload = json(text);
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    let written = store.create_decision("d", vec![event(EventType::ApprovalGranted, text)]).unwrap();
    assert_eq!(written[0].payload, payload);
    drop(store);
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    let read = store.events("d").unwrap();
    assert_eq!(read, written);
    let keys: Vec<&str> = read[0].payload.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["zeta", "alpha", "big", "uni", "f", "small", "arr"]);
    let inner = read[0].payload.get("alpha").unwrap();
    assert!(inner.get("y").unwrap().as_number().unwrap().is_integer());
    assert!(inner.get("x").unwrap().as_number().unwrap().is_float());
    assert!(read[0].digest_matches());
}

#[test]
fn events_get_contiguous_seqs_and_clock_readings() {
    let dir = TempDir::new("seq");
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    let first = store.create_decision("d", vec![created(&["a"]), revoke("1")]).unwrap();
    assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(first[0].ts, "2026-01-01T00:00:00+00:00");
    assert_eq!(first[1].ts, "2026-01-01T00:00:01+00:00");
    let more = store.append("d", vec![revoke("2"), revoke("3")], None).unwrap();
    assert_eq!(more.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(more[1].event_id(), "evt_d_3");
    assert_eq!(store.header("d").unwrap().unwrap().created_at, "2026-01-01T00:00:00+00:00");
    let err = store.append("d", vec![revoke("x")], Some(3)).unwrap_err();
    assert_eq!(err.code(), "SEQUENCE_CONFLICT");
    assert_eq!(store.append("d", vec![], Some(4)).unwrap(), vec![]);
    assert_eq!(store.events("d").unwrap().len(), 4);
    assert_eq!(store.append("nope", vec![revoke("x")], None).unwrap_err().to_string(), "Decision not found: nope");
    assert_eq!(store.events("nope").unwrap_err().code(), "DECISION_NOT_FOUND");
    assert_eq!(store.create_decision("d", vec![]).unwrap_err().to_string(), "Decision already exists: d");
    assert_eq!(store.create_decision("", vec![]).unwrap_err().code(), "INVALID_INPUT");
}

#[test]
fn an_empty_decision_takes_its_labels_from_the_first_created_event() {
    let dir = TempDir::new("labels");
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    store.create_decision("d", vec![]).unwrap();
    let by = |l: &str| {
        let q = ListQuery { label: Some(l.to_owned()), ..ListQuery::default() };
        store.list(&q).unwrap().into_iter().map(|h| h.decision_id).collect::<Vec<_>>()
    };
    assert!(by("x").is_empty());
    store.append("d", vec![revoke("no labels yet")], None).unwrap();
    store.append("d", vec![created(&["x", "y"])], None).unwrap();
    store.append("d", vec![created(&["z"])], None).unwrap();
    assert_eq!(by("x"), ["d"]);
    assert_eq!(by("y"), ["d"]);
    assert!(by("z").is_empty());
}

#[test]
fn listing_orders_by_instant_then_insertion_across_reopen() {
    let dir = TempDir::new("order");
    let import = |store: &dyn Store, id: &str, at: &str| {
        store
            .import(ImportBatch { decision_id: id.into(), created_at: at.into(), events: vec![], overwrite: false })
            .unwrap()
    };
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    import(&store, "plus5", "2026-01-01T01:00:00+05:00");
    import(&store, "z", "2026-01-01T00:00:00Z");
    import(&store, "bad", "garbage");
    drop(store);
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    import(&store, "utc", "2026-01-01T00:00:00+00:00");
    import(&store, "naive", "2026-01-01T00:00:00");
    let ids: Vec<String> = store.list(&ListQuery::default()).unwrap().into_iter().map(|h| h.decision_id).collect();
    assert_eq!(ids, ["z", "utc", "naive", "plus5", "bad"]);
    let page: Vec<String> = store
        .list(&ListQuery { limit: 2, offset: 1, label: None })
        .unwrap()
        .into_iter()
        .map(|h| h.decision_id)
        .collect();
    assert_eq!(page, ["utc", "naive"]);
    assert_eq!(store.count().unwrap(), 5);
    // Overwrite keeps the insertion slot; delete frees the listing.
    store
        .import(ImportBatch {
            decision_id: "z".into(),
            created_at: "2026-01-01T00:00:00+00:00".into(),
            events: vec![],
            overwrite: true,
        })
        .unwrap();
    assert!(store.delete_decision("utc").unwrap());
    assert!(!store.delete_decision("utc").unwrap());
    let ids: Vec<String> = store.list(&ListQuery::default()).unwrap().into_iter().map(|h| h.decision_id).collect();
    assert_eq!(ids, ["z", "naive", "plus5", "bad"]);
    assert_eq!(store.header("z").unwrap().unwrap().created_at, "2026-01-01T00:00:00+00:00");
}

#[test]
fn import_is_verbatim_and_refuses_payloads_it_could_not_read_back() {
    let dir = TempDir::new("import");
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    let ev = |seq: u64, payload: Value| Event {
        decision_id: "other".into(),
        seq,
        event_type: "APPROVAL_ESCALATED".into(),
        ts: "2026-01-01T00:00:00.5Z".into(),
        actor: Actor::from_stored("robot", "r2"),
        payload,
        digest: "not-a-digest".into(),
    };
    let batch = ImportBatch {
        decision_id: "d".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        events: vec![ev(0, json(r#"{"b": 1, "a": 2}"#)), ev(1, json("{}"))],
        overwrite: false,
    };
    store.import(batch.clone()).unwrap();
    let back = store.events("d").unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].decision_id, "d");
    assert_eq!(back[0].event_type, "APPROVAL_ESCALATED");
    assert_eq!(back[0].ts, "2026-01-01T00:00:00.5Z");
    assert_eq!(back[0].actor, Actor::from_stored("robot", "r2"));
    assert_eq!(back[0].digest, "not-a-digest");
    assert_eq!(back[0].payload, json(r#"{"b": 1, "a": 2}"#));
    assert_eq!(store.import(batch.clone()).unwrap_err().code(), "DECISION_EXISTS");

    let nan = Value::Array(vec![Value::Number(attest_verify::json::Number::from_f64(f64::INFINITY))]);
    let mut bad = batch;
    bad.decision_id = "e".into();
    bad.events[1].payload = nan;
    assert_eq!(store.import(bad).unwrap_err().code(), "INVALID_INPUT");
    assert!(store.header("e").unwrap().is_none());

    let gap = ImportBatch {
        decision_id: "f".into(),
        created_at: "x".into(),
        events: vec![ev(1, json("{}"))],
        overwrite: false,
    };
    assert_eq!(store.import(gap).unwrap_err().code(), "INVALID_INPUT");
}

#[test]
fn templates_persist_and_filter_by_exact_label() {
    use attest_store::TemplateRecord;
    let dir = TempDir::new("templates");
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    let rec = |name: &str, at: &str, labels: &[&str]| TemplateRecord {
        name: name.into(),
        description: "d\u{e9}sc".into(),
        min_approvals: 2,
        allowed_modes: vec!["dry_run".into(), "apply".into()],
        require_adapter_capabilities: vec![],
        max_steps: Some(5),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        created_at: at.into(),
        created_by: Actor::human("alice").unwrap(),
        digest: "abc".into(),
    };
    let creation = |name: &str| Event {
        decision_id: String::new(),
        seq: 3,
        event_type: "TEMPLATE_CREATED".into(),
        ts: "2026-01-01T00:00:00+00:00".into(),
        actor: Actor::human("alice").unwrap(),
        payload: json(&format!(r#"{{"name": "{name}"}}"#)),
        digest: "abc".into(),
    };
    store.put_template(rec("old", "2025-01-01T00:00:00+00:00", &["prod", "eu"]), creation("old")).unwrap();
    store.put_template(rec("new", "2026-01-01T00:00:00+00:00", &["production"]), creation("new")).unwrap();
    assert_eq!(
        store.put_template(rec("old", "2026-01-01T00:00:00+00:00", &[]), creation("old")).unwrap_err().to_string(),
        "Template already exists: old"
    );
    drop(store);
    let store = open(&dir.file(), StepClock::new(), Durability::Full);
    assert_eq!(store.template("old").unwrap().unwrap(), rec("old", "2025-01-01T00:00:00+00:00", &["prod", "eu"]));
    assert!(store.template("OLD").unwrap().is_none());
    let names = |label: Option<&str>| {
        let q = ListQuery { label: label.map(str::to_owned), ..ListQuery::default() };
        store.list_templates(&q).unwrap().into_iter().map(|t| t.name).collect::<Vec<_>>()
    };
    assert_eq!(names(None), ["new", "old"]);
    assert_eq!(names(Some("prod")), ["old"]);
    assert!(names(Some("%")).is_empty());
    let log = store.template_events("new").unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].seq, log[0].decision_id.as_str()), (0, "new"));
    assert_eq!(store.template_events("nope").unwrap_err().to_string(), "Template 'nope' does not exist");
}
