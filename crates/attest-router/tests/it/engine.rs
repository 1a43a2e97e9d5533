//! The run engine in compat mode (nexus-router 1.1.1's behaviour) and its strict
//! options, checked on event sequences and payloads.

use std::sync::Arc;

use attest_router::{
    AdapterRegistry, EngineOptions, FakeAdapter, FakeResponse, MaxStepsPolicy, RefusalCode, RunRequest, RunStatus,
    Value, CAP_DRY_RUN,
};

use crate::common::{canon, engine, json, stored, types};

const PLAN3: &str = r#"[
  {"step_id": "s1", "intent": "a", "call": {"tool": "t", "method": "one", "args": {"api_key": "k1"}}},
  {"step_id": "s2", "intent": "b", "call": {"tool": "t", "method": "two", "args": {}}},
  {"step_id": "s3", "intent": "c", "call": {"tool": "t", "method": "one", "args": {}}}]"#;

fn request(mode: &str, extra: &str) -> RunRequest {
    RunRequest::parse(&format!(
        r#"{{"goal": "g", "mode": "{mode}", "dispatch": {{"adapter_id": "fake"}}, "plan_override": {PLAN3}{extra}}}"#
    ))
    .unwrap()
}

fn registry(fake: FakeAdapter) -> AdapterRegistry {
    AdapterRegistry::default().with(Arc::new(fake)).unwrap()
}

#[test]
fn dry_run_simulates_every_step_and_never_calls() {
    let fake = Arc::new(FakeAdapter::new());
    let e = engine(AdapterRegistry::default().with(fake.clone()).unwrap());
    let out = e.run(&request("dry_run", "")).unwrap();
    assert_eq!(out.status, RunStatus::Completed);
    assert!(fake.calls().is_empty());
    let run = stored(&e, &out.run_id);
    assert_eq!(
        types(&run),
        [
            "RUN_STARTED",
            "DISPATCH_SELECTED",
            "PLAN_CREATED",
            "STEP_STARTED",
            "TOOL_CALL_REQUESTED",
            "TOOL_CALL_SUCCEEDED",
            "STEP_COMPLETED",
            "STEP_STARTED",
            "TOOL_CALL_REQUESTED",
            "TOOL_CALL_SUCCEEDED",
            "STEP_COMPLETED",
            "STEP_STARTED",
            "TOOL_CALL_REQUESTED",
            "TOOL_CALL_SUCCEEDED",
            "STEP_COMPLETED",
            "PROVENANCE_EMITTED",
            "RUN_COMPLETED"
        ]
    );
    assert_eq!(
        canon(&run.events[5].payload),
        r#"{"adapter_id":"fake","duration_ms":0,"output":{"adapter_id":"fake","method":"one","simulated":true,"tool":"t"},"simulated":true,"step_id":"s1"}"#
    );
    assert_eq!(
        canon(&run.events[1].payload),
        r#"{"adapter_id":"fake","adapter_kind":"fake","capabilities":["apply","dry_run"],"selection_source":"request"}"#
    );
    // Compat mode keeps the args in TOOL_CALL_REQUESTED verbatim (nexus-router's gap).
    assert!(canon(&run.events[4].payload).contains(r#""api_key":"k1""#));
    let summary = out.response.get("summary").unwrap();
    assert_eq!(canon(summary.get("tools_used").unwrap()), r#"["one","two"]"#);
    assert_eq!(out.response.get("run").unwrap().get("events_committed"), Some(&Value::int(17)));
}

#[test]
fn apply_calls_the_adapter_and_continues_after_an_operational_failure() {
    let fake = FakeAdapter::new();
    fake.set_response("t", "two", FakeResponse::Operational("TOOL_ERROR".into(), "nope".into()));
    let e = engine(registry(fake));
    let out = e.run(&request("apply", r#", "policy": {"allow_apply": true}"#)).unwrap();
    assert_eq!(out.status, RunStatus::Failed);
    let run = stored(&e, &out.run_id);
    let failed = run.events.iter().find(|e| e.event_type == "TOOL_CALL_FAILED").unwrap();
    assert_eq!(
        canon(&failed.payload),
        r#"{"adapter_id":"fake","error_code":"TOOL_ERROR","error_kind":"operational","message":"nope","step_id":"s2"}"#
    );
    // The third step still ran (nexus-router continues).
    assert_eq!(run.events.iter().filter(|e| e.event_type == "STEP_STARTED").count(), 3);
    assert_eq!(run.events.last().unwrap().event_type, "RUN_FAILED");
    assert_eq!(canon(&run.events.last().unwrap().payload), r#"{"outcome":"error"}"#);
    let ok = run.events.iter().find(|e| e.event_type == "TOOL_CALL_SUCCEEDED").unwrap();
    assert_eq!(ok.payload.get("simulated"), Some(&Value::Bool(false)));
    assert_eq!(ok.payload.get("output").unwrap().get("adapter_id"), Some(&Value::str("fake")));
    let summary = out.response.get("summary").unwrap();
    assert_eq!(summary.get("outputs_applied"), Some(&Value::int(2)));
    assert_eq!(summary.get("outputs_skipped"), Some(&Value::int(1)));
}

#[test]
fn stop_on_step_error_starts_no_further_step() {
    let fake = FakeAdapter::new();
    fake.set_response("t", "one", FakeResponse::Operational("TOOL_ERROR".into(), "nope".into()));
    let e = engine(registry(fake)).with_options(EngineOptions { stop_on_step_error: true, ..EngineOptions::compat() });
    let out = e.run(&request("apply", r#", "policy": {"allow_apply": true}"#)).unwrap();
    let run = stored(&e, &out.run_id);
    assert_eq!(run.events.iter().filter(|e| e.event_type == "STEP_STARTED").count(), 1);
    assert_eq!(&types(&run)[run.events.len() - 2..], ["PROVENANCE_EMITTED", "RUN_FAILED"]);
    assert!(attest_router::replay_run(&run).ok());
}

#[test]
fn compat_apply_gates_fail_every_step() {
    // No `apply` capability: every step fails with CAPABILITY_MISSING, run continues.
    let e = engine(registry(FakeAdapter::with("fake", &[CAP_DRY_RUN])));
    let out = e.run(&request("apply", r#", "policy": {"allow_apply": true}"#)).unwrap();
    let run = stored(&e, &out.run_id);
    let fails: Vec<_> = run.events.iter().filter(|e| e.event_type == "TOOL_CALL_FAILED").collect();
    assert_eq!(fails.len(), 3);
    assert_eq!(
        fails[0].payload.get("message"),
        Some(&Value::str("Adapter 'fake' lacks required capability 'apply' for apply mode"))
    );
    // allow_apply false: PERMISSION_DENIED per step.
    let e = engine(registry(FakeAdapter::new()));
    let out = e.run(&request("apply", "")).unwrap();
    let run = stored(&e, &out.run_id);
    let fail = run.events.iter().find(|e| e.event_type == "TOOL_CALL_FAILED").unwrap();
    assert_eq!(fail.payload.get("error_code"), Some(&Value::str("PERMISSION_DENIED")));
    assert_eq!(fail.payload.get("message"), Some(&Value::str("Policy does not allow apply (allow_apply=false).")));
}

#[test]
fn strict_apply_refuses_before_any_step() {
    let strict = EngineOptions::strict();
    let e = engine(registry(FakeAdapter::with("fake", &[CAP_DRY_RUN]))).with_options(strict);
    let out = e.run(&request("apply", r#", "policy": {"allow_apply": true}"#)).unwrap();
    let r = out.refusal.unwrap();
    assert_eq!(r.code, RefusalCode::CapabilityMissing);
    assert_eq!(r.message, "Adapter 'fake' lacks required capability 'apply' for apply mode");
    let run = stored(&e, &out.run_id);
    assert_eq!(types(&run), ["RUN_STARTED", "RUN_FAILED"]);
    assert_eq!(run.record.status, "FAILED");

    let e = engine(registry(FakeAdapter::new())).with_options(strict);
    let out = e.run(&request("apply", "")).unwrap();
    let r = out.refusal.unwrap();
    assert_eq!(r.code, RefusalCode::ModeNotAllowed);
    let run = stored(&e, &out.run_id);
    assert_eq!(run.events[1].payload.get("error_code"), Some(&Value::str("MODE_NOT_ALLOWED")));
}

#[test]
fn max_steps_truncates_in_compat_mode() {
    let e = engine(registry(FakeAdapter::new()));
    let out = e.run(&request("dry_run", r#", "policy": {"max_steps": 2}"#)).unwrap();
    assert_eq!(out.status, RunStatus::Failed);
    let run = stored(&e, &out.run_id);
    assert_eq!(canon(&run.events[3].payload), r#"{"max_steps":2,"plan_steps":3,"reason":"max_steps_exceeded"}"#);
    assert_eq!(run.events.iter().filter(|e| e.event_type == "STEP_STARTED").count(), 2);
    // PLAN_CREATED keeps the full plan; two RUN_FAILED events.
    assert_eq!(run.events[2].payload.get("plan").unwrap().as_array().unwrap().len(), 3);
    assert_eq!(run.events.iter().filter(|e| e.event_type == "RUN_FAILED").count(), 2);
    assert_eq!(out.response.get("plan").unwrap().as_array().unwrap().len(), 2);
}

#[test]
fn max_steps_refuses_with_its_own_shape() {
    let e = engine(registry(FakeAdapter::new()))
        .with_options(EngineOptions { max_steps: MaxStepsPolicy::Refuse, ..EngineOptions::compat() });
    let out = e.run(&request("dry_run", r#", "policy": {"max_steps": 2}"#)).unwrap();
    let r = out.refusal.unwrap();
    assert_eq!(r.code, RefusalCode::MaxStepsExceeded);
    assert_eq!(r.message, "plan has 3 steps, max_steps is 2");
    let run = stored(&e, &out.run_id);
    assert_eq!(
        types(&run),
        ["RUN_STARTED", "DISPATCH_SELECTED", "PLAN_CREATED", "RUN_FAILED", "PROVENANCE_EMITTED", "RUN_FAILED"]
    );
    assert!(attest_router::replay_run(&run).ok(), "a refused run is still a valid nexus-router run");
}

#[test]
fn selection_failures_record_nexus_router_shapes() {
    let e = engine(registry(FakeAdapter::new()));
    let req =
        RunRequest::parse(r#"{"goal": "g", "dispatch": {"adapter_id": "nope", "require_capabilities": ["apply"]}}"#)
            .unwrap();
    let out = e.run(&req).unwrap();
    assert_eq!(out.refusal.as_ref().unwrap().code, RefusalCode::UnknownAdapter);
    let run = stored(&e, &out.run_id);
    assert_eq!(
        canon(&run.events[1].payload),
        r#"{"details":{"available_adapters":["fake","null"],"requested_adapter_id":"nope"},"error_code":"UNKNOWN_ADAPTER","message":"Unknown adapter: 'nope'","reason":"dispatch_selection_failed"}"#
    );
    assert_eq!(
        canon(&Value::Object(out.response.clone())),
        format!(
            r#"{{"dispatch":{{"adapter_id":"none","adapter_kind":"none","selection_source":"failed"}},"error":{{"code":"UNKNOWN_ADAPTER","message":"Unknown adapter: 'nope'"}},"plan":[],"provenance":{{"artifacts":[],"records":[]}},"results":[],"run":{{"events_committed":2,"run_id":"{}"}},"summary":{{"adapter_id":"none","mode":"dry_run","outputs_applied":0,"outputs_skipped":0,"outputs_total":0,"steps":0,"tools_used":[]}}}}"#,
            out.run_id
        )
    );
    let report = attest_router::replay_run(&run);
    assert!(!report.ok() && report.ok_or_selection_failure());

    // Missing required capability on the default adapter.
    let req =
        RunRequest::parse(r#"{"goal": "g", "dispatch": {"require_capabilities": ["dry_run", "external"]}}"#).unwrap();
    let out = e.run(&req).unwrap();
    let run = stored(&e, &out.run_id);
    assert_eq!(
        canon(&run.events[1].payload),
        r#"{"details":{"adapter_capabilities":["dry_run"],"adapter_id":"null","required_capability":"external"},"error_code":"CAPABILITY_MISSING","message":"Adapter 'null' lacks required capability: external","reason":"dispatch_selection_failed"}"#
    );
}

#[test]
fn bug_errors_abort_the_run() {
    let fake = FakeAdapter::new();
    fake.set_response("t", "two", FakeResponse::Bug("ADAPTER_BUG".into(), "broken".into()));
    let e = engine(registry(fake));
    let err = e.run(&request("apply", r#", "policy": {"allow_apply": true}"#)).unwrap_err();
    assert_eq!(err.code(), "ADAPTER_BUG");
    let run_id = err.run_id().unwrap().to_owned();
    assert_eq!(err.to_string(), format!("ADAPTER_BUG: ADAPTER_BUG: broken (run {run_id})"));
    let run = stored(&e, &run_id);
    let tail: Vec<_> = types(&run).into_iter().rev().take(2).collect();
    assert_eq!(tail, ["RUN_FAILED", "TOOL_CALL_FAILED"]);
    assert_eq!(canon(&run.events.last().unwrap().payload), r#"{"reason":"bug_error","step_id":"s2"}"#);
    assert_eq!(run.record.status, "FAILED");
}

#[test]
fn redaction_applies_to_events_only() {
    let e = engine(registry(FakeAdapter::new()))
        .with_options(EngineOptions { redact_event_args: true, ..EngineOptions::compat() });
    let out = e.run(&request("dry_run", "")).unwrap();
    let run = stored(&e, &out.run_id);
    // The fake adapter does not redact: args unchanged.
    assert!(canon(&run.events[4].payload).contains(r#""api_key":"k1""#));
    let _ = json("{}");
}
