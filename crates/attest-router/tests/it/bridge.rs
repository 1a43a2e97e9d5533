//! The routers through the `Router` trait, as nexus-attest calls them: real subprocess
//! runs, every refusal with its own code and its recorded run, derived responses that
//! match the exported bundles.

use std::collections::BTreeSet;
use std::sync::Arc;

use attest_router::{
    response_digest, AdapterRegistry, DeclaredAdapter, DryRunRouter, NexusRouterBridge, Router, RouterError, RunArgs,
    RunBundle, SubprocessAdapter, Value,
};

use crate::common::{canon, engine, mock, stored, types};

const ADAPTER: &str = "subprocess:mcpt:key-rotation";

fn plan(methods: &[&str]) -> String {
    let steps: Vec<String> = methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!(
                r#"{{"step_id": "s{}", "intent": "{m}", "call": {{"tool": "keys", "method": "{m}", "args": {{"scope": "api", "api_key": "s3cret"}}}}}}"#,
                i + 1
            )
        })
        .collect();
    format!("[{}]", steps.join(","))
}

fn bridge(timeout_s: f64) -> NexusRouterBridge {
    let mut c = mock(ADAPTER);
    c.timeout_s = timeout_s;
    let reg = AdapterRegistry::default().with(Arc::new(SubprocessAdapter::new(c).unwrap())).unwrap();
    NexusRouterBridge::new(engine(reg))
}

fn args<'a>(plan: &'a str, dry_run: bool) -> RunArgs<'a> {
    RunArgs {
        goal: "Rotate credentials",
        adapter_id: ADAPTER,
        dry_run,
        plan: Some(plan),
        max_steps: None,
        require_capabilities: None,
    }
}

fn recorded_refusal(r: &NexusRouterBridge, err: &RouterError) -> String {
    let run = stored(r.engine(), err.run_id().unwrap());
    let last = run.events.iter().find(|e| e.event_type == "RUN_FAILED" && e.payload.get("reason").is_some()).unwrap();
    assert_eq!(run.record.status, "FAILED");
    last.payload
        .get("error_code")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| last.payload.get("reason").and_then(Value::as_str).unwrap().to_owned())
}

#[test]
fn apply_runs_the_subprocess_and_answers_the_derived_response() {
    let r = bridge(10.0);
    let p = plan(&["echo", "rotate"]);
    let resp = r.run(&args(&p, false)).unwrap();
    assert_eq!(resp.get("status"), Some(&Value::str("completed")));
    assert_eq!(resp.get("steps_executed"), Some(&Value::int(2)));
    let summary = resp.get("summary").unwrap();
    assert_eq!(
        canon(summary),
        format!(
            r#"{{"adapter_id":"{ADAPTER}","mode":"apply","outputs_applied":2,"outputs_skipped":0,"outputs_total":2,"steps":2,"tools_used":["echo","rotate"]}}"#
        )
    );

    let run_id = r.last_run_id().unwrap();
    assert_eq!(resp.get("run_id"), Some(&Value::str(&run_id)));
    let bundle = RunBundle::from_value(r.export_bundle(&run_id).unwrap()).unwrap();
    bundle.verify_digest().unwrap();
    assert!(bundle.replay().ok(), "{:?}", bundle.replay().violations);
    assert_eq!(response_digest(&bundle.derive_response()).unwrap(), response_digest(&resp).unwrap());

    let run = stored(r.engine(), &run_id);
    // Events carry redacted args; the child received the real ones.
    let requested = run.events.iter().find(|e| e.event_type == "TOOL_CALL_REQUESTED").unwrap();
    assert!(canon(&requested.payload).contains(r#""api_key":"[REDACTED]""#));
    let succeeded = run.events.iter().find(|e| e.event_type == "TOOL_CALL_SUCCEEDED").unwrap();
    let payload = succeeded.payload.get("output").unwrap().get("payload").unwrap();
    assert_eq!(payload.get("args").unwrap().get("api_key"), Some(&Value::str("s3cret")));
    // The provenance covers the real (translated) request.
    let compiled = attest_router::CompiledRequest::compile(&args(&p, false));
    assert!(attest_router::request_binding_holds(&compiled, bundle.run(), bundle.events()));
}

#[test]
fn failed_steps_are_responses_with_status_failed() {
    let r = bridge(0.5);
    for (method, code) in [("sleep", "TIMEOUT"), ("crash", "NONZERO_EXIT"), ("garbage", "INVALID_JSON_OUTPUT")] {
        let p = plan(&[method, "rotate"]);
        let resp = r.run(&args(&p, false)).unwrap();
        assert_eq!(resp.get("status"), Some(&Value::str("failed")), "{method}");
        let run = stored(r.engine(), &r.last_run_id().unwrap());
        let fail = run.events.iter().find(|e| e.event_type == "TOOL_CALL_FAILED").unwrap();
        assert_eq!(fail.payload.get("error_code"), Some(&Value::str(code)), "{method}");
        // The bridge stops at the first failed step.
        assert_eq!(resp.get("steps_executed"), Some(&Value::int(1)), "{method}");
        assert_eq!(types(&run).last().map(String::as_str), Some("RUN_FAILED"));
    }
}

#[test]
fn every_refusal_has_its_own_code_and_is_recorded() {
    let r = bridge(10.0);
    let p = plan(&["a", "b", "c"]);
    let mut seen = BTreeSet::new();

    let unknown = r.run(&RunArgs { adapter_id: "subprocess:mcpt:other", ..args(&p, false) }).unwrap_err();
    assert_eq!(unknown.code(), "UNKNOWN_ADAPTER");
    assert_eq!(
        unknown.to_string(),
        format!("UNKNOWN_ADAPTER: Unknown adapter: 'subprocess:mcpt:other' (run {})", unknown.run_id().unwrap())
    );
    assert_eq!(recorded_refusal(&r, &unknown), "UNKNOWN_ADAPTER");
    seen.insert(unknown.code());

    let caps = vec!["dry_run".to_owned()];
    let missing = r.run(&RunArgs { require_capabilities: Some(&caps), ..args(&p, false) }).unwrap_err();
    assert_eq!(missing.code(), "CAPABILITY_MISSING");
    assert!(missing
        .to_string()
        .starts_with(&format!("CAPABILITY_MISSING: Adapter '{ADAPTER}' lacks required capability: dry_run (run ")));
    assert_eq!(recorded_refusal(&r, &missing), "CAPABILITY_MISSING");
    seen.insert(missing.code());

    let too_long = r.run(&RunArgs { max_steps: Some(2), ..args(&p, false) }).unwrap_err();
    assert_eq!(too_long.code(), "MAX_STEPS_EXCEEDED");
    assert!(too_long.to_string().starts_with("MAX_STEPS_EXCEEDED: plan has 3 steps, max_steps is 2 (run "));
    assert_eq!(recorded_refusal(&r, &too_long), "max_steps_exceeded");
    let run = stored(r.engine(), too_long.run_id().unwrap());
    assert_eq!(run.events.iter().filter(|e| e.event_type == "STEP_STARTED").count(), 0, "no step ran");
    seen.insert(too_long.code());

    // A dry-run router refuses apply.
    let reg = AdapterRegistry::default()
        .with(Arc::new(DeclaredAdapter::new(ADAPTER, "subprocess", &["apply", "timeout", "external"])))
        .unwrap();
    let dry = DryRunRouter::new(engine(reg));
    let apply = dry.run(&args(&p, false)).unwrap_err();
    assert_eq!(apply.code(), "APPLY_NOT_SUPPORTED");
    let run = stored(dry.engine(), apply.run_id().unwrap());
    assert_eq!(run.events[1].payload.get("error_code"), Some(&Value::str("APPLY_NOT_SUPPORTED")));
    seen.insert(apply.code());

    // Refused before any run: no run is recorded.
    let before = r.engine().store().run_ids().unwrap().len();
    let text = r.run(&RunArgs { plan: Some("step 1: snapshot\nstep 2: rotate"), ..args(&p, false) }).unwrap_err();
    assert_eq!(text.code(), "PLAN_NOT_STRUCTURED");
    assert_eq!(text.run_id(), None);
    seen.insert(text.code());
    let empty_goal = r.run(&RunArgs { goal: "", ..args(&p, false) }).unwrap_err();
    assert_eq!(empty_goal.code(), "INVALID_REQUEST");
    seen.insert(empty_goal.code());
    let dup = vec!["apply".to_owned(), "apply".to_owned()];
    assert_eq!(
        r.run(&RunArgs { require_capabilities: Some(&dup), ..args(&p, false) }).unwrap_err().code(),
        "INVALID_REQUEST"
    );
    assert_eq!(r.engine().store().run_ids().unwrap().len(), before);

    assert_eq!(seen.len(), 6);
}

#[test]
fn capabilities_are_answered_for_known_adapters_only() {
    let r = bridge(10.0);
    let caps = r.adapter_capabilities(ADAPTER).unwrap().unwrap();
    assert_eq!(caps.into_iter().collect::<Vec<_>>(), ["apply", "external", "timeout"]);
    assert_eq!(r.adapter_capabilities("unknown").unwrap(), None);
}

#[test]
fn dry_run_router_simulates_deterministically() {
    let mk = || {
        let reg = AdapterRegistry::default()
            .with(Arc::new(DeclaredAdapter::new(ADAPTER, "subprocess", &["apply", "timeout", "external"])))
            .unwrap();
        DryRunRouter::new(engine(reg)).with_source_name("router.db")
    };
    let p = plan(&["snapshot", "rotate"]);
    let (a, b) = (mk(), mk());
    let ra = a.run(&args(&p, true)).unwrap();
    let rb = b.run(&args(&p, true)).unwrap();
    assert_eq!(ra, rb);
    let ba = a.export_bundle(&a.last_run_id().unwrap()).unwrap();
    let bb = b.export_bundle(&b.last_run_id().unwrap()).unwrap();
    assert_eq!(
        attest_verify::canonical::to_display_string(&ba, None),
        attest_verify::canonical::to_display_string(&bb, None)
    );
    assert_eq!(ra.get("status"), Some(&Value::str("completed")));
    assert_eq!(ra.get("summary").unwrap().get("outputs_applied"), Some(&Value::int(0)));
    // Null plan: an empty run.
    let empty = a.run(&RunArgs { plan: None, ..args(&p, true) }).unwrap();
    assert_eq!(empty.get("steps_executed"), Some(&Value::int(0)));
}
