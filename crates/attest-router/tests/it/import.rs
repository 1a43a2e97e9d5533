//! Importing run bundles into a run store with nexus-router's rules and codes.

use attest_router::{
    import_bundle, AdapterRegistry, CountingIds, ImportMode, ImportOptions, ImportOutcome, MemoryRunStore, RunBundle,
    RunRequest, RunStore, Value,
};

use crate::common::{engine, json, vector_case};

fn bundle() -> Value {
    let e = engine(AdapterRegistry::default());
    let req = RunRequest::parse(
        r#"{"goal": "g", "plan_override": [{"step_id": "s1", "intent": "", "call": {"tool": "t", "method": "m", "args": {}}}]}"#,
    )
    .unwrap();
    let out = e.run(&req).unwrap();
    e.export(&out.run_id, None).unwrap()
}

fn set(v: &mut Value, path: &[&str], new: Value) {
    let mut cur = v;
    for (i, k) in path.iter().enumerate() {
        let Value::Object(m) = cur else { panic!("not an object at {k}") };
        if i + 1 == path.len() {
            m.insert(*k, new);
            return;
        }
        cur = m.get_mut(k).unwrap();
    }
}

#[test]
fn import_follows_nexus_router_rules() {
    let store = MemoryRunStore::new();
    let ids = CountingIds::new();
    let b = bundle();
    let run_id = RunBundle::from_value(b.clone()).unwrap().run_id().unwrap().to_owned();
    let opts = ImportOptions::default();

    match import_bundle(&store, &ids, b.clone(), &opts).unwrap() {
        ImportOutcome::Imported { run_id: id, events_inserted, replay, rolled_back } => {
            assert_eq!(id, run_id);
            assert_eq!(events_inserted, 9);
            assert!(replay.unwrap().ok());
            assert!(!rolled_back);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        import_bundle(&store, &ids, b.clone(), &opts).unwrap(),
        ImportOutcome::Skipped { existing_run_id: run_id.clone() }
    );
    let over = ImportOptions { mode: ImportMode::Overwrite, ..ImportOptions::default() };
    assert!(matches!(import_bundle(&store, &ids, b.clone(), &over).unwrap(), ImportOutcome::Imported { .. }));

    // A new run id: fresh event ids, nested run_id values rewritten, bundle digest changes.
    let renew = ImportOptions { mode: ImportMode::NewRunId(Some("r-new".into())), ..ImportOptions::default() };
    import_bundle(&store, &ids, b.clone(), &renew).unwrap();
    let run = store.load("r-new").unwrap().unwrap();
    assert!(run.events.iter().all(|e| e.run_id == "r-new"));
    let original = store.load(&run_id).unwrap().unwrap();
    assert_ne!(run.events[0].event_id, original.events[0].event_id);

    // Structure and digest errors, with nexus-router's codes and messages.
    let mut bad = b.clone();
    set(&mut bad, &["run", "goal"], Value::str("tampered"));
    let e = import_bundle(&store, &ids, bad.clone(), &opts).unwrap_err();
    assert_eq!(e.code(), "DIGEST_MISMATCH");
    assert!(e.to_string().starts_with("DIGEST_MISMATCH: Digest mismatch: expected "), "{e}");
    let e = import_bundle(&store, &ids, json(r#"{"bundle_version": "0.3", "run": {}}"#), &opts).unwrap_err();
    assert_eq!(e.to_string(), "INVALID_BUNDLE: Missing events");

    // Duplicate seq: nothing changes, even when overwriting.
    let mut dup = b.clone();
    let mut events = b.get("events").unwrap().as_array().unwrap().to_vec();
    events.push(events[0].clone());
    set(&mut dup, &["events"], Value::Array(events));
    let no_verify = ImportOptions { mode: ImportMode::Overwrite, verify_digest: false, ..ImportOptions::default() };
    let e = import_bundle(&store, &ids, dup, &no_verify).unwrap_err();
    assert_eq!(e.code(), "SEQ_DUPLICATE");
    assert_eq!(store.load(&run_id).unwrap().unwrap(), original);

    // A bundle whose replay fails is not kept (nexus-router keeps it).
    let no_verify = ImportOptions { verify_digest: false, ..ImportOptions::default() };
    let mut broken = b.clone();
    set(&mut broken, &["run", "run_id"], Value::str("broken"));
    set(&mut broken, &["events"], Value::Array(b.get("events").unwrap().as_array().unwrap()[1..].to_vec()));
    match import_bundle(&store, &ids, broken, &no_verify).unwrap() {
        ImportOutcome::Imported { rolled_back, replay, events_inserted, .. } => {
            assert!(rolled_back);
            assert_eq!(events_inserted, 0);
            assert_eq!(replay.unwrap().violations[0].code, "SEQ_NOT_ZERO");
        }
        other => panic!("{other:?}"),
    }
    assert!(store.load("broken").unwrap().is_none());
}

#[test]
fn a_nexus_router_bundle_imports_here() {
    let case = vector_case("audit_packages.json", "embedded_router_export");
    let raw = case.get("inputs").unwrap().get("options").unwrap().get("router_bundle").unwrap().clone();
    let store = MemoryRunStore::new();
    let out = import_bundle(&store, &CountingIds::new(), raw, &ImportOptions::default()).unwrap();
    assert!(matches!(out, ImportOutcome::Imported { events_inserted: 13, rolled_back: false, .. }), "{out:?}");
    let run = store.load("e036ee45-4076-4799-bab3-4a94de2c8518").unwrap().unwrap();
    // Re-exported from the store, the digest is unchanged.
    let again = attest_router::export_run(&run, "2026-11-24T10:09:33.262Z", None);
    assert_eq!(
        RunBundle::from_value(again).unwrap().verify_digest().unwrap().to_hex(),
        "32088e0dbe91c9bf97b117f50f0111ce499d1ef053f4524a0159c6f1a3ede852"
    );
}
