//! `execute` with the fixes over the original: at most one successful run, retry after
//! failure, every refusal writes nothing, router failures are recorded, concurrent
//! callers cannot both reach the router, concurrent approvals never fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use nexus_attest::events::Value;
use nexus_attest::router::{AdapterRegistry, DeclaredAdapter, DryRunRouter, RouterError, RunArgs, RunEngine};
use nexus_attest::verify::json::{self, Map};
use nexus_attest::{Actor, EngineOptions, MemoryStore, NexusAttest, Router, ToolResult};

/// A router whose answers the test scripts.
struct Scripted {
    caps: Result<Option<BTreeSet<String>>, String>,
    answer: Box<dyn Fn() -> Result<Map, RouterError> + Send + Sync>,
    runs: AtomicUsize,
}

impl Scripted {
    fn ok(response: &str) -> Scripted {
        let r = json::parse(response).unwrap().as_object().unwrap().clone();
        Scripted { caps: Ok(None), answer: Box::new(move || Ok(r.clone())), runs: AtomicUsize::new(0) }
    }
}

impl Router for Scripted {
    fn adapter_capabilities(&self, _adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        self.caps.clone().map_err(RouterError::Failed)
    }
    fn run(&self, _args: &RunArgs<'_>) -> Result<Map, RouterError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        (self.answer)()
    }
}

fn tools() -> NexusAttest<MemoryStore> {
    NexusAttest::in_memory()
}

fn human(id: &str) -> Actor {
    Actor::human(id).unwrap()
}

fn approved(t: &NexusAttest<MemoryStore>, extra: &str) -> String {
    let r = t.call(
        "request",
        &json::parse(&format!(
            r#"{{"goal": "Rotate keys", "actor": {{"type": "human", "id": "alice"}}, "mode": "apply"{extra}}}"#
        ))
        .unwrap(),
    );
    let id = r.data().unwrap().get("request_id").unwrap().as_str().unwrap().to_owned();
    assert!(t.approve(&id, &human("bob"), None, None).is_success());
    id
}

fn exec<R: Router + ?Sized>(t: &NexusAttest<MemoryStore>, id: &str, router: &R) -> ToolResult {
    t.execute(id, "subprocess:mcpt:key-rotation", &Actor::system("scheduler").unwrap(), router, None)
}

fn events(t: &NexusAttest<MemoryStore>, id: &str) -> Vec<String> {
    use nexus_attest::Store;
    t.engine().store().events(id).unwrap().into_iter().map(|e| e.event_type).collect()
}

fn state(t: &NexusAttest<MemoryStore>, id: &str) -> String {
    t.status(id, false).data().unwrap().get("state").unwrap().as_str().unwrap().to_owned()
}

#[test]
fn a_decision_executes_once_and_retries_after_failure() {
    let t = tools();
    let id = approved(&t, "");
    let failing = Scripted {
        caps: Ok(None),
        answer: Box::new(|| Err(RouterError::Failed("connection reset".into()))),
        runs: AtomicUsize::new(0),
    };
    let r = exec(&t, &id, &failing);
    assert_eq!(r.code(), Some("ROUTER_ERROR"));
    assert_eq!(r.to_value().get("error"), Some(&Value::str("Router execution failed: connection reset")));
    assert_eq!(state(&t, &id), "failed");
    let last = events(&t, &id);
    assert_eq!(last[last.len() - 3..], ["EXECUTION_REQUESTED", "EXECUTION_STARTED", "EXECUTION_FAILED"]);

    let ok = Scripted::ok(r#"{"run_id": "run-1", "steps_executed": 2, "status": "completed"}"#);
    let r = exec(&t, &id, &ok);
    assert!(r.is_success(), "{}", r.to_json());
    let d = r.data().unwrap();
    assert_eq!(d.get("run_id"), Some(&Value::str("run-1")));
    assert_eq!(d.get("mode"), Some(&Value::str("apply")));
    assert_eq!(state(&t, &id), "completed");

    let n = events(&t, &id).len();
    let again = exec(&t, &id, &ok);
    assert_eq!(again.code(), Some("ALREADY_EXECUTED"));
    assert_eq!(
        again.to_value().get("error"),
        Some(&Value::str("ALREADY_EXECUTED: Decision has already been executed successfully"))
    );
    assert_eq!(events(&t, &id).len(), n, "a refused execution writes nothing");
    assert_eq!(ok.runs.load(Ordering::SeqCst), 1, "the router ran once");
}

#[test]
fn refusals_before_the_router_write_nothing() {
    let t = tools();
    // not enough approvals
    let r = t.call(
        "request",
        &json::parse(r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "mode": "apply", "min_approvals": 2}"#)
            .unwrap(),
    );
    let id = r.data().unwrap().get("request_id").unwrap().as_str().unwrap().to_owned();
    let router = Scripted::ok(r#"{"run_id": "x"}"#);
    let r = exec(&t, &id, &router);
    assert_eq!(r.code(), Some("POLICY_VALIDATION_FAILED"));
    assert_eq!(
        r.to_value().get("error"),
        Some(&Value::str("Policy validation failed: Insufficient approvals: 0 < 2 required"))
    );
    // mode not allowed and a missing capability, reported together
    let id = approved(
        &t,
        r#", "allowed_modes": ["dry_run", "apply"], "require_adapter_capabilities": ["timeout", "external"]"#,
    );
    let picky = Scripted { caps: Ok(Some(["timeout".to_owned()].into())), ..Scripted::ok("{}") };
    let r = t.execute(&id, "a", &Actor::system("s").unwrap(), &picky, Some(false));
    assert_eq!(
        r.to_value().get("error"),
        Some(&Value::str("Policy validation failed: Adapter missing required capabilities: {'external'}"))
    );
    let dry_only = approved(&t, r#", "allowed_modes": ["apply"]"#);
    let r = t.execute(&dry_only, "a", &Actor::system("s").unwrap(), &router, Some(true));
    assert_eq!(
        r.to_value().get("error"),
        Some(&Value::str("Policy validation failed: Mode 'dry_run' not allowed by policy (allowed: ('apply',))"))
    );
    // the router cannot tell its capabilities
    let broken = Scripted { caps: Err("registry offline".into()), ..Scripted::ok("{}") };
    let r = exec(&t, &dry_only, &broken);
    assert_eq!(r.code(), Some("INTERNAL"));
    assert_eq!(r.to_value().get("error"), Some(&Value::str("Unexpected error: registry offline")));
    // unknown decision
    assert_eq!(exec(&t, "nope", &router).code(), Some("DECISION_NOT_FOUND"));
    for id in [&id, &dry_only] {
        assert!(!events(&t, id).iter().any(|e| e.starts_with("EXECUTION")), "refusals write nothing");
    }
    assert_eq!(
        router.runs.load(Ordering::SeqCst) + picky.runs.load(Ordering::SeqCst) + broken.runs.load(Ordering::SeqCst),
        0
    );
}

#[test]
fn no_policy_is_refused() {
    use nexus_attest::Store;
    let t = tools();
    let id = approved(&t, "");
    let mut evs = t.engine().store().events(&id).unwrap();
    evs.truncate(1);
    t.engine()
        .store()
        .import(nexus_attest::store::ImportBatch {
            decision_id: "draft".into(),
            created_at: evs[0].ts.clone(),
            events: evs,
            overwrite: false,
        })
        .unwrap();
    let r = exec(&t, "draft", &Scripted::ok("{}"));
    assert_eq!(r.code(), Some("NO_POLICY"));
    assert_eq!(r.to_value().get("error"), Some(&Value::str("Decision has no policy attached")));
}

#[test]
fn a_crashed_execution_blocks_until_abandoned() {
    let t = tools();
    let id = approved(&t, "");
    let crashing =
        Scripted { caps: Ok(None), answer: Box::new(|| panic!("router process died")), runs: AtomicUsize::new(0) };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| exec(&t, &id, &crashing)));
    std::panic::set_hook(hook);
    assert!(crashed.is_err());
    assert_eq!(state(&t, &id), "executing");
    let r = exec(&t, &id, &Scripted::ok("{}"));
    assert_eq!(r.code(), Some("EXECUTION_IN_PROGRESS"));
    let m = t.engine().abandon_execution(&id, "router process died").unwrap();
    assert_eq!(m.get("state"), Some(&Value::str("failed")));
    assert!(t.engine().abandon_execution(&id, "twice").is_err());
    let r = exec(&t, &id, &Scripted::ok(r#"{"run_id": "run-2", "steps_executed": 1}"#));
    assert!(r.is_success(), "{}", r.to_json());
}

#[test]
fn response_conversions_follow_the_original() {
    let t = tools();
    // no run id: recorded as "unknown"; a null run id too (the original stores "None")
    for (response, run_id) in [
        (r#"{"status": "completed"}"#, "unknown"),
        (r#"{"run_id": null}"#, "unknown"),
        (r#"{"run_id": 42, "steps_executed": 2.9}"#, "42"),
    ] {
        let id = approved(&t, "");
        let r = exec(&t, &id, &Scripted::ok(response));
        assert!(r.is_success(), "{}", r.to_json());
        let status = t.status(&id, true);
        let execs = status.data().unwrap().get("executions").unwrap().as_array().unwrap();
        assert_eq!(execs[0].get("run_id"), Some(&Value::str(run_id)), "{response}");
    }
    // a step count that cannot be converted is a router error
    let id = approved(&t, "");
    let r = exec(&t, &id, &Scripted::ok(r#"{"run_id": "r", "steps_executed": "three"}"#));
    assert_eq!(r.code(), Some("ROUTER_ERROR"));
    assert_eq!(state(&t, &id), "failed");
}

#[test]
fn strict_verdict_records_a_failed_run_as_failed() {
    let engine = nexus_attest::Engine::new(MemoryStore::new())
        .with_options(EngineOptions { strict_router_verdict: true, ..EngineOptions::default() });
    let t = NexusAttest::new(engine);
    let id = approved(&t, "");
    let r = exec(
        &t,
        &id,
        &Scripted::ok(r#"{"run_id": "r9", "status": "failed", "error": {"message": "step 2 timed out"}}"#),
    );
    assert_eq!(r.code(), Some("ROUTER_ERROR"));
    assert_eq!(state(&t, &id), "failed");
    let status = t.status(&id, false);
    let x = &status.data().unwrap().get("executions").unwrap().as_array().unwrap()[0];
    assert_eq!(x.get("error_code"), Some(&Value::str("ROUTER_RUN_FAILED")));
    assert_eq!(x.get("run_id"), Some(&Value::str("r9")));
}

#[test]
fn the_dry_run_router_runs_a_real_dry_run() {
    let t = tools();
    let r = t.call(
        "request",
        &json::parse(r#"{"goal": "Rotate keys", "actor": {"type": "human", "id": "alice"}}"#).unwrap(),
    );
    let id = r.data().unwrap().get("request_id").unwrap().as_str().unwrap().to_owned();
    assert!(t.approve(&id, &human("bob"), Some("ok"), Some("2099-01-01T00:00:00+00:00")).is_success());
    let adapters = AdapterRegistry::default()
        .with(Arc::new(DeclaredAdapter::new("subprocess:mcpt:key-rotation", "subprocess", &["dry_run", "timeout"])))
        .unwrap();
    let router = DryRunRouter::new(RunEngine::new(adapters));
    let r = exec(&t, &id, &router);
    assert!(r.is_success(), "{}", r.to_json());
    let run_id = r.data().unwrap().get("run_id").unwrap().as_str().unwrap().to_owned();
    assert_eq!(router.last_run_id(), Some(run_id));
    assert_eq!(state(&t, &id), "completed");
}

#[test]
fn concurrent_executions_reach_the_router_once() {
    let t = Arc::new(tools());
    let id = approved(&t, "");
    let router = Arc::new(Scripted::ok(r#"{"run_id": "only-one"}"#));
    let barrier = Arc::new(Barrier::new(6));
    let results: Vec<Option<&'static str>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let (t, id, router, barrier) = (Arc::clone(&t), id.clone(), Arc::clone(&router), Arc::clone(&barrier));
                s.spawn(move || {
                    barrier.wait();
                    exec(&t, &id, &*router).code()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(router.runs.load(Ordering::SeqCst), 1);
    assert_eq!(results.iter().filter(|r| r.is_none()).count(), 1, "{results:?}");
    assert!(results.iter().flatten().all(|c| *c == "ALREADY_EXECUTED" || *c == "EXECUTION_IN_PROGRESS"), "{results:?}");
}

#[test]
fn concurrent_approvals_never_fail_spuriously() {
    let t = Arc::new(tools());
    let r = t.call(
        "request",
        &json::parse(r#"{"goal": "g", "actor": {"type": "human", "id": "a"}, "min_approvals": 100}"#).unwrap(),
    );
    let id = r.data().unwrap().get("request_id").unwrap().as_str().unwrap().to_owned();
    std::thread::scope(|s| {
        for th in 0..8 {
            let (t, id) = (Arc::clone(&t), id.clone());
            s.spawn(move || {
                for i in 0..10 {
                    let r = t.approve(&id, &human(&format!("u{th}-{i}")), None, None);
                    assert!(r.is_success(), "{}", r.to_json());
                }
            });
        }
        // one actor approving from several threads at once gets in exactly once
        let winners = AtomicUsize::new(0);
        std::thread::scope(|s2| {
            for _ in 0..4 {
                let (t, id, winners) = (Arc::clone(&t), id.clone(), &winners);
                s2.spawn(move || {
                    if t.approve(&id, &human("same"), None, None).is_success() {
                        winners.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(winners.load(Ordering::SeqCst), 1);
    });
    let s = t.status(&id, false);
    assert_eq!(s.data().unwrap().get("active_approvals"), Some(&Value::int(81)));
}
