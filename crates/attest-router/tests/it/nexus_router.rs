//! Optional cross-check with nexus-router 1.1.1 itself (Python). Skipped, with a note
//! on stderr, unless a Python that can `import nexus_router` is found: the
//! interpreter named by `NEXUS_ROUTER_PYTHON`, else `/tmp/nr/bin/python` (the venv of
//! the procedure in docs/ARCHITECTURE.md). Not required by CI.
//!
//! Checked: bundles exported here import into nexus-router with `status "ok"`, replay
//! as expected and re-export with the same digest; runs made by nexus-router verify
//! here, derive nexus-router's own summary, and equal the compat engine's events on the
//! same requests (modulo ids, timestamps and durations).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use attest_router::{
    AdapterRegistry, DeclaredAdapter, DryRunRouter, NexusRouterBridge, Router, RunArgs, RunBundle, RunRequest,
    SubprocessAdapter, Value,
};
use attest_verify::canonical::to_display_string;

use crate::common::{canon, engine, json, mock};

const M: &str = "subprocess:mock:check";

fn python() -> Option<PathBuf> {
    let py = std::env::var_os("NEXUS_ROUTER_PYTHON").map_or_else(|| PathBuf::from("/tmp/nr/bin/python"), PathBuf::from);
    let ok = Command::new(&py).args(["-c", "import nexus_router"]).output().ok()?.status.success();
    ok.then_some(py)
}

fn write(dir: &Path, name: &str, v: &Value) {
    std::fs::write(dir.join(name), to_display_string(v, None)).unwrap();
}

fn plan(methods: &[&str]) -> Value {
    Value::Array(
        methods
            .iter()
            .enumerate()
            .map(|(i, m)| {
                json(&format!(
                    r#"{{"step_id": "s{}", "intent": "{m}", "call": {{"tool": "keys", "method": "{m}", "args": {{"scope": "é", "n": 1.5}}}}}}"#,
                    i + 1
                ))
            })
            .collect(),
    )
}

/// Event types and payloads with ids, timestamps and durations blanked, and parser
/// messages cut to their code prefix.
fn normalized(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let mut p = e.get("payload").cloned().unwrap_or(Value::Null);
            if let Value::Object(m) = &mut p {
                if m.contains_key("duration_ms") {
                    m.insert("duration_ms", Value::int(0));
                }
                if m.get("error_code") == Some(&Value::str("INVALID_JSON_OUTPUT")) {
                    m.insert("message", Value::str("Invalid JSON output: ..."));
                }
                if let Some(Value::Object(prov)) = m.get_mut("provenance") {
                    if let Some(Value::Array(records)) = prov.get_mut("records") {
                        for r in records.iter_mut() {
                            if let Value::Object(r) = r {
                                r.insert("prov_id", Value::str("X"));
                                if let Some(Value::Array(ds)) = r.get_mut("digests") {
                                    for d in ds.iter_mut() {
                                        if let Value::Object(d) = d {
                                            d.insert("artifact_id", Value::str("run:X"));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            format!("{} {}", e.get("type").and_then(Value::as_str).unwrap_or(""), canon(&p))
        })
        .collect()
}

#[test]
fn bundles_round_trip_through_nexus_router() {
    let Some(py) = python() else {
        eprintln!("skipped: no Python with nexus-router 1.1.1 (set NEXUS_ROUTER_PYTHON)");
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "attest-router-nr-{}-{}",
        std::process::id(),
        attest_router::IdSource::next_id(&attest_router::RandomIds::new())
    ));
    std::fs::create_dir_all(&dir).unwrap();

    // Bundles made here.
    let e = engine(AdapterRegistry::default());
    let worked = e.run(&RunRequest::parse(r#"{"goal": "Résumé", "mode": "dry_run"}"#).unwrap()).unwrap();
    write(&dir, "rust-worked.json", &e.export(&worked.run_id, Some("router.db")).unwrap());

    let sub = SubprocessAdapter::new(mock(M)).unwrap();
    let bridge = NexusRouterBridge::new(engine(AdapterRegistry::default().with(Arc::new(sub)).unwrap()));
    let p = to_display_string(&plan(&["echo", "rotate"]), None);
    let args = RunArgs {
        goal: "Rotate ✓ keys",
        adapter_id: M,
        dry_run: false,
        plan: Some(&p),
        max_steps: None,
        require_capabilities: None,
    };
    bridge.run(&args).unwrap();
    write(&dir, "rust-apply.json", &bridge.export_bundle(&bridge.last_run_id().unwrap()).unwrap());
    let crash = to_display_string(&plan(&["crash", "rotate"]), None);
    bridge.run(&RunArgs { plan: Some(&crash), ..args }).unwrap();
    write(&dir, "rust-failed-step.json", &bridge.export_bundle(&bridge.last_run_id().unwrap()).unwrap());
    let refused = bridge.run(&RunArgs { max_steps: Some(1), ..args }).unwrap_err();
    write(&dir, "rust-max-steps.json", &bridge.export_bundle(refused.run_id().unwrap()).unwrap());
    let unknown = bridge.run(&RunArgs { adapter_id: "nope", ..args }).unwrap_err();
    write(&dir, "rust-unknown.json", &bridge.export_bundle(unknown.run_id().unwrap()).unwrap());

    let reg = AdapterRegistry::default().with(Arc::new(DeclaredAdapter::new(M, "subprocess", &["apply"]))).unwrap();
    let dry = DryRunRouter::new(engine(reg));
    dry.run(&RunArgs { dry_run: true, ..args }).unwrap();
    let b = RunBundle::from_value(dry.export_bundle(&dry.last_run_id().unwrap()).unwrap()).unwrap();
    write(&dir, "rust-dry-embedded.json", &b.embedding_form().unwrap());

    // Requests nexus-router runs itself.
    let script = mock(M).base_cmd;
    let requests = json(&format!(
        r#"{{"dry": {{"request": {{"goal": "Résumé ok", "mode": "dry_run", "plan_override": {dry}}}}},
            "apply": {{"request": {{"goal": "apply", "mode": "apply", "dispatch": {{"adapter_id": "{M}"}},
                       "policy": {{"allow_apply": true}}, "plan_override": {apply}}},
                      "base_cmd": {cmd}, "adapter_id": "{M}"}},
            "maxsteps": {{"request": {{"goal": "g", "policy": {{"max_steps": 1}}, "plan_override": {dry}}}}},
            "unknown": {{"request": {{"goal": "g", "dispatch": {{"adapter_id": "nope"}}}}}}}}"#,
        dry = to_display_string(&plan(&["snapshot", "rotate"]), None),
        apply = to_display_string(&plan(&["echo", "crash", "garbage", "rotate"]), None),
        cmd = to_display_string(&Value::Array(script.iter().map(Value::str).collect()), None),
    ));
    write(&dir, "requests.json", &requests);

    let checker = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/nexus_router_check.py");
    let out = Command::new(&py).arg(&checker).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = attest_verify::json::parse_bytes(&out.stdout).unwrap();

    // 1. nexus-router imports, replays and re-exports our bundles unchanged.
    let imports = report.get("imports").and_then(Value::as_object).unwrap();
    eprintln!("nexus-router import report: {}", canon(&Value::Object(imports.clone())));
    assert_eq!(imports.len(), 6, "{}", canon(&report));
    for (name, r) in imports.iter() {
        assert_eq!(r.get("status"), Some(&Value::str("ok")), "{name}: {}", canon(r));
        assert_eq!(r.get("reexport_digest"), r.get("original_digest"), "{name}");
        let want_replay = name != "rust-unknown.json";
        assert_eq!(r.get("replay_ok"), Some(&Value::Bool(want_replay)), "{name}: {}", canon(r));
        if !want_replay {
            assert_eq!(canon(r.get("violations").unwrap()), r#"["NO_PLAN_CREATED"]"#);
        }
    }

    // 2. nexus-router's runs verify here; the compat engine records the same events.
    let runs = report.get("runs").and_then(Value::as_object).unwrap();
    for (name, r) in runs.iter() {
        let text = std::fs::read_to_string(dir.join(format!("py-{name}.json"))).unwrap();
        let b = RunBundle::parse(&text).unwrap();
        b.verify_digest().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(b.replay().ok_or_selection_failure(), "{name}");
        let embedded = RunBundle::from_value(b.embedding_form().unwrap()).unwrap();
        assert_eq!(embedded.verify_digest().unwrap(), b.digest());
        if let Some(resp) = r.get("response").and_then(Value::as_object) {
            assert_eq!(
                canon(b.derive_response().get("summary").unwrap()),
                canon(resp.get("summary").unwrap()),
                "{name}"
            );
        }

        let spec = requests.get(name).unwrap();
        let mut reg = AdapterRegistry::default();
        if spec.get("base_cmd").is_some() {
            reg.register(Arc::new(SubprocessAdapter::new(mock(M)).unwrap())).unwrap();
        }
        let rust = engine(reg);
        let out = rust.run(&RunRequest::from_value(spec.get("request").unwrap().clone()).unwrap()).unwrap();
        let ours = RunBundle::from_value(rust.export(&out.run_id, None).unwrap()).unwrap();
        assert_eq!(normalized(ours.events()), normalized(b.events()), "{name}");
        assert_eq!(ours.run().get("status"), b.run().get("status"), "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
