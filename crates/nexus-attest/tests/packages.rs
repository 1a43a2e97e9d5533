//! Error paths of export_bundle, import_bundle and export_audit_package, and the fixes
//! over the original: a failed import changes nothing (an overwrite that fails replay
//! keeps the old decision), raw router exports are checked before embedding.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::sync::Arc;

use nexus_attest::events::Value;
use nexus_attest::router::{AdapterRegistry, DeclaredAdapter, DryRunRouter, RunEngine};
use nexus_attest::verify::json::{self, Map};
use nexus_attest::{Actor, MemoryStore, NexusAttest, Store, ToolResult};

fn call(t: &NexusAttest<MemoryStore>, tool: &str, args: Value) -> ToolResult {
    t.call(tool, &args)
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn router() -> DryRunRouter {
    let registry = AdapterRegistry::default()
        .with(Arc::new(DeclaredAdapter::new("adapter-x", "subprocess", &["dry_run"])))
        .unwrap();
    DryRunRouter::new(RunEngine::new(registry))
}

/// A completed decision and the router that ran it.
fn executed(t: &NexusAttest<MemoryStore>) -> (String, DryRunRouter) {
    let r = t.call("request", &json::parse(r#"{"goal": "g", "actor": {"type": "human", "id": "alice"}}"#).unwrap());
    let id = r.data().unwrap().get("request_id").unwrap().as_str().unwrap().to_owned();
    assert!(t.approve(&id, &Actor::human("bob").unwrap(), None, None).is_success());
    let router = router();
    let e = t.execute(&id, "adapter-x", &Actor::system("s").unwrap(), &router, None);
    assert!(e.is_success(), "{}", e.to_json());
    (id, router)
}

fn error(r: &ToolResult) -> String {
    r.to_value().get("error").and_then(Value::as_str).unwrap_or("").to_owned()
}

#[test]
fn export_errors() {
    let t = NexusAttest::in_memory();
    let r = call(&t, "export_bundle", obj(vec![("decision_id", Value::str("nope"))]));
    assert_eq!(r.code(), Some("DECISION_NOT_FOUND"));
    assert_eq!(error(&r), "DECISION_NOT_FOUND: Decision not found: nope");
    let r = call(&t, "export_audit_package", obj(vec![("decision_id", Value::str("nope"))]));
    assert_eq!(r.code(), Some("DECISION_NOT_FOUND"));

    let pending = t.call("request", &json::parse(r#"{"goal": "g", "actor": {"type": "human", "id": "a"}}"#).unwrap());
    let pid = pending.data().unwrap().get("request_id").unwrap().as_str().unwrap().to_owned();
    let r = call(&t, "export_audit_package", obj(vec![("decision_id", Value::str(pid.as_str()))]));
    assert_eq!(
        error(&r),
        format!(
            "NO_ROUTER_LINK: Decision {pid} has no router execution link. Audit packages require an executed decision."
        )
    );
    assert!(call(&t, "export_bundle", obj(vec![("decision_id", Value::str(pid.as_str()))])).is_success());

    let (id, router) = executed(&t);
    let id_v = Value::str(id.as_str());
    // embedded: not an object, a malformed digest, a digest that differs from the result digest
    for bundle in
        [Value::str("not a bundle"), json::parse(r#"{"integrity": {"canonical_digest": "md5:abc"}}"#).unwrap()]
    {
        let r = call(
            &t,
            "export_audit_package",
            obj(vec![
                ("decision_id", id_v.clone()),
                ("embed_router_bundle", Value::Bool(true)),
                ("router_bundle", bundle),
            ]),
        );
        assert_eq!(r.code(), Some("ROUTER_BUNDLE_INVALID"), "{}", r.to_json());
    }
    let other = format!(r#"{{"integrity": {{"canonical_digest": "sha256:{}"}}}}"#, "a".repeat(64));
    let r = call(
        &t,
        "export_audit_package",
        obj(vec![
            ("decision_id", id_v.clone()),
            ("embed_router_bundle", Value::Bool(true)),
            ("router_bundle", json::parse(&other).unwrap()),
        ]),
    );
    assert_eq!(r.code(), Some("ROUTER_DIGEST_MISMATCH"));
    assert!(
        error(&r).starts_with("ROUTER_DIGEST_MISMATCH: Router bundle digest sha256:aaaaaaaaaaaaaaaaa..."),
        "{}",
        error(&r)
    );
    // reference mode: a malformed override is refused
    let r = call(
        &t,
        "export_audit_package",
        obj(vec![("decision_id", id_v.clone()), ("router_bundle_digest", Value::str("hello"))]),
    );
    assert_eq!(r.code(), Some("ROUTER_BUNDLE_INVALID"));
    // embed flag without a bundle: a reference package, with a warning
    let r = call(
        &t,
        "export_audit_package",
        obj(vec![("decision_id", id_v.clone()), ("embed_router_bundle", Value::Bool(true))]),
    );
    assert!(r.is_success());
    assert!(r.data().unwrap().get("warnings").is_some());
    // a raw nexus-router export of the run embeds after re-hashing; a tampered one does not
    let run = router.export_bundle(&router.last_run_id().unwrap()).unwrap();
    let r = call(
        &t,
        "export_audit_package",
        obj(vec![
            ("decision_id", id_v.clone()),
            ("embed_router_bundle", Value::Bool(true)),
            ("router_bundle", run.clone()),
        ]),
    );
    assert!(r.is_success(), "{}", r.to_json());
    let pkg = r.data().unwrap().get("package").unwrap();
    assert!(nexus_attest::verify::verify_package(pkg, &Default::default()).unwrap().ok());
    let mut tampered = run;
    if let Value::Object(m) = &mut tampered {
        if let Some(Value::Object(r)) = m.get_mut("run") {
            r.insert("goal", Value::str("something else"));
        }
    }
    let r = call(
        &t,
        "export_audit_package",
        obj(vec![("decision_id", id_v), ("embed_router_bundle", Value::Bool(true)), ("router_bundle", tampered)]),
    );
    assert_eq!(r.code(), Some("ROUTER_BUNDLE_INVALID"));
}

#[test]
fn import_errors_change_nothing() {
    let t = NexusAttest::in_memory();
    let (id, _) = executed(&t);
    let bundle = call(&t, "export_bundle", obj(vec![("decision_id", Value::str(id.as_str()))]))
        .data()
        .unwrap()
        .get("bundle")
        .unwrap()
        .clone();
    let before = t.engine().store().events(&id).unwrap();
    let import =
        |b: Value, mode: &str| call(&t, "import_bundle", obj(vec![("bundle", b), ("conflict_mode", Value::str(mode))]));

    let r = import(Value::Array(vec![]), "reject_on_conflict");
    assert_eq!(r.code(), Some("BUNDLE_INVALID_SCHEMA"));
    assert!(error(&r).starts_with("BUNDLE_INVALID_SCHEMA: Invalid bundle schema: "));
    assert_eq!(import(bundle.clone(), "merge").code(), Some("CONFLICT_MODE_INVALID"));
    assert_eq!(error(&import(bundle.clone(), "merge")), "CONFLICT_MODE_INVALID: Invalid conflict_mode: merge");
    assert_eq!(import(bundle.clone(), "reject_on_conflict").code(), Some("DECISION_EXISTS"));

    let edit = |f: &dyn Fn(&mut Map)| {
        let mut b = bundle.clone();
        if let Value::Object(m) = &mut b {
            f(m);
        }
        b
    };
    // a non-object actor (the original raises): refused at step 2a
    let bad_actor = edit(&|m| {
        if let Some(Value::Array(evs)) = m.get_mut("events") {
            if let Some(Value::Object(e)) = evs.get_mut(1) {
                e.insert("actor", Value::str("bob"));
            }
        }
    });
    assert_eq!(import(bad_actor, "overwrite").code(), Some("BUNDLE_INVALID_SCHEMA"));
    // a non-string digest with verification on: INTEGRITY_MISMATCH
    let bad_digest = edit(&|m| {
        m.insert("integrity", json::parse(r#"{"alg": "sha256", "canonical_digest": 5}"#).unwrap());
    });
    assert_eq!(import(bad_digest, "overwrite").code(), Some("INTEGRITY_MISMATCH"));
    // a string seq (the original raises): REPLAY_INVALID, with verification off
    let string_seq = edit(&|m| {
        if let Some(Value::Array(evs)) = m.get_mut("events") {
            if let Some(Value::Object(e)) = evs.get_mut(0) {
                e.insert("seq", Value::str("0"));
            }
        }
    });
    let r = call(
        &t,
        "import_bundle",
        obj(vec![
            ("bundle", string_seq),
            ("verify_digest", Value::Bool(false)),
            ("conflict_mode", Value::str("overwrite")),
        ]),
    );
    assert_eq!(r.code(), Some("REPLAY_INVALID"));
    // an unknown event type fails replay: with overwrite the original deletes the old
    // decision; here it stays exactly as it was
    let unknown = edit(&|m| {
        if let Some(Value::Array(evs)) = m.get_mut("events") {
            if let Some(Value::Object(e)) = evs.get_mut(2) {
                e.insert("type", Value::str("APPROVAL_ESCALATED"));
            }
        }
    });
    let r = call(
        &t,
        "import_bundle",
        obj(vec![
            ("bundle", unknown),
            ("verify_digest", Value::Bool(false)),
            ("conflict_mode", Value::str("overwrite")),
        ]),
    );
    assert_eq!(error(&r), "REPLAY_INVALID: 'APPROVAL_ESCALATED' is not a valid EventType");
    assert_eq!(t.engine().store().events(&id).unwrap(), before, "a failed import leaves the store as it was");
    assert_eq!(t.engine().store().count().unwrap(), 1);

    // strict mode refuses a re-sealed bundle with a stale event digest; default accepts it
    let stale = edit(&|m| {
        if let Some(Value::Array(evs)) = m.get_mut("events") {
            if let Some(Value::Object(e)) = evs.get_mut(2) {
                e.insert("payload", json::parse(r#"{"expires_at": null, "comment": "edited"}"#).unwrap());
            }
        }
    });
    let strict = call(
        &t,
        "import_bundle",
        obj(vec![
            ("bundle", stale.clone()),
            ("verify_digest", Value::Bool(false)),
            ("conflict_mode", Value::str("new_decision_id")),
            ("strict", Value::Bool(true)),
        ]),
    );
    assert_eq!(strict.code(), Some("REPLAY_INVALID"));
    assert!(error(&strict).contains("event_digests"), "{}", error(&strict));
    let lenient = call(
        &t,
        "import_bundle",
        obj(vec![
            ("bundle", stale),
            ("verify_digest", Value::Bool(false)),
            ("conflict_mode", Value::str("new_decision_id")),
        ]),
    );
    assert!(lenient.is_success(), "{}", lenient.to_json());
    assert_eq!(t.engine().store().count().unwrap(), 2);
}
