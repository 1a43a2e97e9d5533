//! Byte-for-byte checks against the specification's worked example (router.md 3.12)
//! and the golden vectors of nexus-attest 1.0.1.

use attest_router::{
    attest_digest, export_run, recompute_provenance_value, recorded_provenance_value, request_binding_holds,
    response_digest, router_digest, router_json, run_id_text, steps_executed, AdapterRegistry, CompiledRequest, Map,
    RunArgs, RunBundle, RunRequest, Value,
};
use attest_verify::canonical::to_display_string;

use crate::common::{canon, engine, json, stored, vector_case};

const WORKED_PREIMAGE: &str = r#"{"events":[{"event_id":"00000000-0000-4000-8000-000000000002","payload":{"goal":"R\u00e9sum\u00e9","mode":"dry_run"},"run_id":"00000000-0000-4000-8000-000000000001","seq":0,"ts":"2025-01-01T00:00:00.001Z","type":"RUN_STARTED"},{"event_id":"00000000-0000-4000-8000-000000000003","payload":{"adapter_id":"null","adapter_kind":"null","capabilities":["dry_run"],"selection_source":"default"},"run_id":"00000000-0000-4000-8000-000000000001","seq":1,"ts":"2025-01-01T00:00:00.002Z","type":"DISPATCH_SELECTED"},{"event_id":"00000000-0000-4000-8000-000000000004","payload":{"plan":[]},"run_id":"00000000-0000-4000-8000-000000000001","seq":2,"ts":"2025-01-01T00:00:00.003Z","type":"PLAN_CREATED"},{"event_id":"00000000-0000-4000-8000-000000000006","payload":{"provenance":{"artifacts":[],"records":[{"digests":[{"alg":"sha256","artifact_id":"run:00000000-0000-4000-8000-000000000001","value":"612c9535b52e7312bc460f2e8c24f16d606075c6d6bcae535b898048fd2a4486"}],"inputs":[],"method_id":"nexus-router.provenance.record_v0_1","outputs":[],"prov_id":"00000000-0000-4000-8000-000000000005"}]}},"run_id":"00000000-0000-4000-8000-000000000001","seq":3,"ts":"2025-01-01T00:00:00.004Z","type":"PROVENANCE_EMITTED"},{"event_id":"00000000-0000-4000-8000-000000000007","payload":{"outcome":"ok"},"run_id":"00000000-0000-4000-8000-000000000001","seq":4,"ts":"2025-01-01T00:00:00.005Z","type":"RUN_COMPLETED"}],"run":{"created_at":"2025-01-01T00:00:00.000Z","goal":"R\u00e9sum\u00e9","mode":"dry_run","run_id":"00000000-0000-4000-8000-000000000001","status":"COMPLETED"}}"#;

const WORKED_BUNDLE: &str = r#"{"bundle_version": "0.3",
 "exported_at": "2025-01-01T00:00:01.000Z",
 "run": {"run_id": "00000000-0000-4000-8000-000000000001", "mode": "dry_run", "goal": "Résumé",
         "status": "COMPLETED", "created_at": "2025-01-01T00:00:00.000Z"},
 "events": [
  {"event_id": "00000000-0000-4000-8000-000000000002", "run_id": "00000000-0000-4000-8000-000000000001", "seq": 0,
   "type": "RUN_STARTED", "payload": {"goal": "Résumé", "mode": "dry_run"}, "ts": "2025-01-01T00:00:00.001Z"},
  {"event_id": "00000000-0000-4000-8000-000000000003", "run_id": "00000000-0000-4000-8000-000000000001", "seq": 1,
   "type": "DISPATCH_SELECTED", "payload": {"adapter_id": "null", "adapter_kind": "null", "capabilities": ["dry_run"],
   "selection_source": "default"}, "ts": "2025-01-01T00:00:00.002Z"},
  {"event_id": "00000000-0000-4000-8000-000000000004", "run_id": "00000000-0000-4000-8000-000000000001", "seq": 2,
   "type": "PLAN_CREATED", "payload": {"plan": []}, "ts": "2025-01-01T00:00:00.003Z"},
  {"event_id": "00000000-0000-4000-8000-000000000006", "run_id": "00000000-0000-4000-8000-000000000001", "seq": 3,
   "type": "PROVENANCE_EMITTED", "payload": {"provenance": {"artifacts": [], "records": [{"digests": [{"alg": "sha256",
   "artifact_id": "run:00000000-0000-4000-8000-000000000001",
   "value": "612c9535b52e7312bc460f2e8c24f16d606075c6d6bcae535b898048fd2a4486"}], "inputs": [],
   "method_id": "nexus-router.provenance.record_v0_1", "outputs": [], "prov_id": "00000000-0000-4000-8000-000000000005"}]}},
   "ts": "2025-01-01T00:00:00.004Z"},
  {"event_id": "00000000-0000-4000-8000-000000000007", "run_id": "00000000-0000-4000-8000-000000000001", "seq": 4,
   "type": "RUN_COMPLETED", "payload": {"outcome": "ok"}, "ts": "2025-01-01T00:00:00.005Z"}],
 "digests": {"sha256": "4640fa4f700917e304cd3dffa39347f38d1595fe850bb53278e8698017276e77"},
 "provenance": {"export_method": "nexus-router.export", "source_db_path": "router.db",
                "source_run_id": "00000000-0000-4000-8000-000000000001", "export_version": "0.3"}}"#;

/// The worked example, produced by the engine in compat mode with counting ids and a
/// 1 ms clock: every byte of the bundle except `exported_at` (wall clock in the spec).
#[test]
fn worked_example_reproduces_byte_for_byte() {
    let e = engine(AdapterRegistry::default());
    let req = RunRequest::parse(r#"{"goal": "Résumé", "mode": "dry_run"}"#).unwrap();
    let out = e.run(&req).unwrap();
    assert_eq!(out.run_id, "00000000-0000-4000-8000-000000000001");
    let run = stored(&e, &out.run_id);
    let mut bundle = export_run(&run, "2025-01-01T00:00:01.000Z", Some("router.db"));
    assert_eq!(to_display_string(&bundle, None), to_display_string(&json(WORKED_BUNDLE), None));

    // The digest preimage: 1548 ASCII bytes, and its digest.
    let b = RunBundle::from_value(bundle.clone()).unwrap();
    let preimage = router_json(&Value::Object(
        [("run".to_owned(), run.record.to_value()), ("events".to_owned(), b.events().to_vec().into())]
            .into_iter()
            .collect(),
    ));
    assert_eq!(preimage, WORKED_PREIMAGE);
    assert_eq!(preimage.len(), 1548);
    assert!(preimage.is_ascii());
    assert_eq!(b.verify_digest().unwrap().to_hex(), "4640fa4f700917e304cd3dffa39347f38d1595fe850bb53278e8698017276e77");

    // The wrong dialect gives another digest.
    let attest_text = WORKED_PREIMAGE.replace(r"R\u00e9sum\u00e9", "Résumé");
    assert_eq!(
        attest_digest(&json(&attest_text)).unwrap().to_hex(),
        "e1613f97fa48fbb5a201b659507042e961bb3ea6dc989f64a15f94ad82e2c6b2"
    );
    assert_eq!(
        attest_router::Digest::of(attest_text.as_bytes()).to_hex(),
        "e1613f97fa48fbb5a201b659507042e961bb3ea6dc989f64a15f94ad82e2c6b2"
    );

    // The provenance value.
    let prov = json(r#"{"request":{"goal":"R\u00e9sum\u00e9","mode":"dry_run"},"results":[]}"#);
    assert_eq!(router_digest(&prov).to_hex(), "612c9535b52e7312bc460f2e8c24f16d606075c6d6bcae535b898048fd2a4486");
    assert_eq!(
        recompute_provenance_value(req.as_value(), b.run(), b.events()).to_hex(),
        recorded_provenance_value(b.events()).unwrap()
    );

    // The embedding form.
    let embedded = b.embedding_form().unwrap();
    let m = embedded.as_object().unwrap();
    assert_eq!(
        m.keys().collect::<Vec<_>>(),
        ["bundle_version", "exported_at", "run", "events", "digests", "provenance", "run_id", "integrity"]
    );
    assert_eq!(m.get("run_id"), Some(&Value::str("00000000-0000-4000-8000-000000000001")));
    assert_eq!(
        canon(m.get("integrity").unwrap()),
        r#"{"alg":"sha256","canonical_digest":"sha256:4640fa4f700917e304cd3dffa39347f38d1595fe850bb53278e8698017276e77"}"#
    );

    // The bridge response derived from it.
    let resp = b.derive_response();
    assert_eq!(
        canon(&Value::Object(resp.clone())),
        r#"{"run_id":"00000000-0000-4000-8000-000000000001","status":"completed","steps_executed":0,"summary":{"adapter_id":"null","mode":"dry_run","outputs_applied":0,"outputs_skipped":0,"outputs_total":0,"steps":0,"tools_used":[]}}"#
    );
    assert_eq!(
        response_digest(&resp).unwrap().to_hex(),
        "1a7d5a2fbd861e8d31ef88686934fa916aeb2760675a5275ed8be6e7ba8e17ec"
    );

    // The engine's own export uses its clock for exported_at; nothing else differs.
    let own = e.export(&out.run_id, Some("router.db")).unwrap();
    if let Value::Object(m) = &mut bundle {
        m.insert("exported_at", Value::str("2025-01-01T00:00:00.006Z"));
    }
    assert_eq!(to_display_string(&own, None), to_display_string(&bundle, None));
}

/// The run bundle embedded in audit package `embedded_router_export` (produced by a
/// real nexus-router) verifies here and yields the recorded response digest.
#[test]
fn embedded_router_export_verifies_and_yields_the_response_digest() {
    let case = vector_case("audit_packages.json", "embedded_router_export");
    let raw = case.get("inputs").unwrap().get("options").unwrap().get("router_bundle").unwrap().clone();
    let b = RunBundle::from_value(raw.clone()).unwrap();
    assert_eq!(b.verify_digest().unwrap().to_hex(), "32088e0dbe91c9bf97b117f50f0111ce499d1ef053f4524a0159c6f1a3ede852");
    // Already in the embedding form: recomputing it changes nothing.
    assert_eq!(to_display_string(&b.embedding_form().unwrap(), None), to_display_string(&raw, None));
    assert!(b.replay().ok(), "{:?}", b.replay().violations);

    let resp = b.derive_response();
    assert_eq!(
        response_digest(&resp).unwrap().to_hex(),
        "98186f839586df85ef1d45f871024ca8b290066056684b9aeb6a2f8592a08381"
    );
    let control = case.get("inputs").unwrap().get("decision_bundle").unwrap();
    let recorded = control.get("router_link").unwrap().get("router_result_digest").unwrap().as_str().unwrap();
    assert_eq!(format!("sha256:{}", response_digest(&resp).unwrap().to_hex()), recorded);

    // Provenance value from the request nexus-router was given.
    let plan = b.events()[2].get("payload").unwrap().get("plan").unwrap().clone();
    let mut request = Map::new();
    request.insert("goal", Value::str("Snapshot then rotate credentials"));
    request.insert("mode", Value::str("dry_run"));
    request.insert("plan_override", plan);
    let v = recompute_provenance_value(&Value::Object(request), b.run(), b.events()).to_hex();
    assert_eq!(v, "9f236add2b9680a81e4e51d245f7e06f1effac4b48b633b3f0922c76f8734212");
    assert_eq!(recorded_provenance_value(b.events()), Some(v.as_str()));

    // That run was not requested through the bridge translation (4.8: the binding fails).
    let compiled = CompiledRequest::compile(&RunArgs {
        goal: "Snapshot then rotate credentials",
        adapter_id: "subprocess:mcpt:key-rotation",
        dry_run: true,
        plan: None,
        max_steps: None,
        require_capabilities: None,
    });
    assert_eq!(compiled.digest().to_hex(), "8f55fb33fbb8792a23cb6fd476c6b7b2b64157f1b8f8332c6f652250412c754e");
    assert!(!request_binding_holds(&compiled, b.run(), b.events()));

    // The response the vector's router returned is exactly the derived one.
    let flow = vector_case("decision_flows.json", "router_backed_execution");
    let ops = flow.get("inputs").unwrap().get("operations").unwrap().as_array().unwrap();
    let exec = ops.iter().find(|o| o.get("op").and_then(Value::as_str) == Some("execute")).unwrap();
    let vector_resp = exec.get("router").unwrap().get("response").unwrap();
    assert_eq!(canon(vector_resp), canon(&Value::Object(resp)));
}

/// Every execution of `decision_flows.json`: the compiled request of the recorded run
/// call hashes to the recorded request digest; the recorded responses hash, convert
/// and name their run exactly as the recorded results say.
#[test]
fn decision_flow_requests_and_responses() {
    let file = crate::common::vector_file("decision_flows.json");
    let mut checked = 0;
    for case in file.get("cases").and_then(Value::as_array).unwrap() {
        let ops = case.get("inputs").and_then(|i| i.get("operations")).and_then(Value::as_array).unwrap_or(&[]);
        for op in ops.iter().filter(|o| o.get("op").and_then(Value::as_str) == Some("execute")) {
            let calls = op.get("router_calls").and_then(Value::as_array).unwrap_or(&[]);
            let Some(run) = calls.iter().find(|c| c.get("method").and_then(Value::as_str) == Some("run")) else {
                continue;
            };
            let caps: Option<Vec<String>> = run
                .get("require_capabilities")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|c| c.as_str().unwrap().to_owned()).collect());
            let args = RunArgs {
                goal: run.get("goal").and_then(Value::as_str).unwrap(),
                adapter_id: run.get("adapter_id").and_then(Value::as_str).unwrap(),
                dry_run: run.get("dry_run").and_then(Value::as_bool).unwrap(),
                plan: run.get("plan").and_then(Value::as_str),
                max_steps: run.get("max_steps").and_then(Value::as_i64).map(|n| u64::try_from(n).unwrap()),
                require_capabilities: caps.as_deref(),
            };
            let Some(result) = op.get("result") else { continue }; // the crash case raised
            let digest = CompiledRequest::compile(&args).digest().to_hex();
            let name = case.get("name").and_then(Value::as_str).unwrap();
            // The recorded digest is in the success result, or in EXECUTION_STARTED.
            let recorded = result.get("request_digest").and_then(Value::as_str).map(str::to_owned).or_else(|| {
                case.get("expected")?.get("canonical_payload_json")?.as_str().and_then(|t| {
                    let p = json(t);
                    let events = p.get("events")?.as_array()?.to_vec();
                    events
                        .iter()
                        .rev()
                        .find(|e| e.get("type").and_then(Value::as_str) == Some("EXECUTION_STARTED"))?
                        .get("payload")?
                        .get("router_request_digest")?
                        .as_str()
                        .map(str::to_owned)
                })
            });
            if let Some(recorded) = recorded {
                if result.get("success") == Some(&Value::Bool(true)) {
                    assert_eq!(digest, recorded, "{name}");
                }
            }
            let router = op.get("router").unwrap();
            if let (Some(resp), Some(want)) = (
                router.get("response").and_then(Value::as_object),
                router.get("response_digest").and_then(Value::as_str),
            ) {
                match response_digest(resp) {
                    Ok(d) => assert_eq!(d.to_hex(), want, "{name}"),
                    Err(_) => assert_ne!(result.get("success"), Some(&Value::Bool(true)), "{name}"),
                }
                if result.get("success") == Some(&Value::Bool(true)) {
                    assert_eq!(result.get("response_digest").and_then(Value::as_str), Some(want), "{name}");
                    let want_run = result.get("run_id").unwrap();
                    assert_eq!(resp.get("run_id").unwrap_or(&Value::str("unknown")), want_run, "{name}");
                    let _ = run_id_text(resp);
                    assert!(steps_executed(resp).is_ok(), "{name}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} executions checked");
}
