//! Replaying the recorded tool calls of `decision_flows.json` through the engine, with
//! the recorded ids and timestamps injected and a router that answers as recorded.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use attest_core::{Compat, Engine, EngineOptions};
use attest_events::{RecordedClock, RecordedIds, SystemClock, Timestamp};
use attest_router::{Router, RouterError, RunArgs};
use attest_store::{MemoryStore, Store};
use attest_verify::canonical;
use attest_verify::json::{Map, Value};
use nexus_attest::NexusAttest;

/// A router that answers as the vector recorded, and records how it was called.
struct RecordedRouter {
    behaviour: Value,
    calls: Mutex<Vec<Value>>,
}

impl Router for RecordedRouter {
    fn adapter_capabilities(&self, adapter_id: &str) -> Result<Option<BTreeSet<String>>, RouterError> {
        let mut call = Map::new();
        call.insert("method", Value::str("get_adapter_capabilities"));
        call.insert("adapter_id", Value::str(adapter_id));
        if let Ok(mut c) = self.calls.lock() {
            c.push(Value::Object(call));
        }
        Ok(self
            .behaviour
            .get("adapter_capabilities")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect()))
    }

    fn run(&self, args: &RunArgs<'_>) -> Result<Map, RouterError> {
        let mut call = Map::new();
        call.insert("method", Value::str("run"));
        call.insert("goal", Value::str(args.goal));
        call.insert("adapter_id", Value::str(args.adapter_id));
        call.insert("dry_run", Value::Bool(args.dry_run));
        call.insert("plan", args.plan.map(Value::str).unwrap_or(Value::Null));
        call.insert(
            "max_steps",
            args.max_steps.map(|n| Value::int(i64::try_from(n).unwrap_or(i64::MAX))).unwrap_or(Value::Null),
        );
        call.insert(
            "require_capabilities",
            args.require_capabilities
                .map(|c| Value::Array(c.iter().map(|s| Value::str(s.as_str())).collect()))
                .unwrap_or(Value::Null),
        );
        if let Ok(mut c) = self.calls.lock() {
            c.push(Value::Object(call));
        }
        match self.behaviour.get("run_behaviour").and_then(Value::as_str) {
            Some("return") => {
                Ok(self.behaviour.get("response").and_then(Value::as_object).cloned().unwrap_or_default())
            }
            Some("raise") => Err(RouterError::Failed(
                self.behaviour.get("raise_message").and_then(Value::as_str).unwrap_or("").to_owned(),
            )),
            // The vector's "crash": a failure the engine must not catch (the decision stays
            // executing), as a process-level failure is in the reference.
            #[expect(clippy::panic, reason = "stands in for the reference's uncatchable router crash")]
            _ => std::panic::panic_any(CrashMarker),
        }
    }
}

/// The payload of the panic that stands in for the reference's process crash.
struct CrashMarker;

fn timestamps(v: Option<&Value>) -> Vec<Timestamp> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).filter_map(|s| Timestamp::parse_isoformat(s).ok()).collect())
        .unwrap_or_default()
}

fn show(v: &Value) -> String {
    canonical::to_display_string(v, None)
}

/// Run the operations of a flow case; compare every tool result, router call and (when
/// given) the stored events with the exported bundle's.
pub(crate) fn run_operations(
    case: &Value,
    ops: &Value,
    bundle: Option<&Value>,
) -> Result<NexusAttest<MemoryStore>, String> {
    let recorded = case.get("recorded").ok_or("flow case has no `recorded`")?;
    let event_clock = Arc::new(RecordedClock::new(timestamps(recorded.get("event_timestamps"))));
    let template_times: Vec<Timestamp> = recorded
        .get("templates")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("created_at").and_then(Value::as_str))
                .filter_map(|s| Timestamp::parse_isoformat(s).ok())
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<String> =
        recorded.get("decision_id").and_then(Value::as_str).map(|s| vec![s.to_owned()]).unwrap_or_default();
    let store = MemoryStore::with_clock(event_clock);
    let engine = Engine::with_sources(
        store,
        Arc::new(RecordedClock::new(template_times)),
        Arc::new(SystemClock),
        Arc::new(RecordedIds::new(ids)),
    )
    .with_options(EngineOptions {
        // The recorded flows are the original's behaviour: reproduce it.
        compat: Compat { accept_invalid_policy: true, reexecute_completed: true },
        ..EngineOptions::default()
    });
    let tools = NexusAttest::new(engine);
    for (i, op) in ops.as_array().ok_or("operations is not a list")?.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).ok_or("operation without `op`")?;
        let args = op.get("args").ok_or("operation without `args`")?;
        let (got, calls) = if name == "execute" {
            let router = RecordedRouter {
                behaviour: op.get("router").cloned().unwrap_or(Value::Null),
                calls: Mutex::new(Vec::new()),
            };
            // A recorded crash panics inside the router; keep the default hook quiet meanwhile.
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tools.call_with_router(name, args, &router)));
            std::panic::set_hook(hook);
            let calls = router.calls.lock().map(|c| c.clone()).unwrap_or_default();
            match outcome {
                Ok(result) => (Some(result), Some(calls)),
                Err(_) => (None, Some(calls)),
            }
        } else {
            (Some(tools.call(name, args)), None)
        };
        match (got, op.get("result"), op.get("raised")) {
            (Some(result), Some(want), _) => {
                if result.to_value() != *want {
                    return Err(format!(
                        "operation {i} ({name}): expected {} got {}",
                        show(want),
                        show(&result.to_value())
                    ));
                }
            }
            (None, _, Some(_)) => {}
            (Some(result), None, Some(_)) => {
                return Err(format!(
                    "operation {i} ({name}): the reference crashed here, got {}",
                    show(&result.to_value())
                ));
            }
            (None, _, None) => return Err(format!("operation {i} ({name}): crashed")),
            (Some(_), None, None) => return Err(format!("operation {i} ({name}): no recorded result")),
        }
        if let (Some(calls), Some(want)) = (calls, op.get("router_calls")) {
            if Value::Array(calls.clone()) != *want {
                return Err(format!(
                    "operation {i} ({name}): router calls {} expected {}",
                    show(&Value::Array(calls)),
                    show(want)
                ));
            }
        }
    }
    if let Some(bundle) = bundle {
        let id = bundle
            .get("decision")
            .and_then(|d| d.get("decision_id"))
            .and_then(Value::as_str)
            .ok_or("bundle without decision id")?;
        let stored = tools.engine().store().events(id).map_err(|e| e.to_string())?;
        let got = Value::Array(stored.iter().map(attest_events::Event::to_bundle_value).collect());
        let want = bundle.get("events").cloned().unwrap_or(Value::Null);
        if got != want {
            return Err(format!("stored events differ from the bundle's: got {} expected {}", show(&got), show(&want)));
        }
    }
    Ok(tools)
}

/// A document without its `meta` (and its control bundle's `meta`): the parts every
/// export must reproduce byte for byte.
pub(crate) fn without_meta(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        m.remove("meta");
        if let Some(Value::Object(cb)) = m.get_mut("control_bundle") {
            cb.remove("meta");
        }
    }
    v
}

/// Export the flow's decision and compare with the recorded export.
pub(crate) fn check_export(tools: &NexusAttest<MemoryStore>, case: &Value) -> Result<(), String> {
    let expected = case.get("expected").ok_or("no expected")?;
    let id = case
        .get("recorded")
        .and_then(|r| r.get("decision_id"))
        .and_then(Value::as_str)
        .ok_or("no recorded decision id")?;
    if let Some(err) = expected.get("export_error") {
        let got = tools.call("export_bundle", &obj_id(id));
        return if got.to_value().get("error") == Some(err) {
            Ok(())
        } else {
            Err(format!("export_error: expected {} got {}", show(err), show(&got.to_value())))
        };
    }
    let got = tools.call("export_bundle", &obj_id(id));
    let data = got.data().ok_or_else(|| format!("export failed: {}", got.to_json()))?;
    let bundle = data.get("bundle").ok_or("no bundle")?;
    let want = expected.get("bundle").ok_or("no expected bundle")?;
    if without_meta(bundle) != without_meta(want) {
        return Err(format!(
            "exported bundle differs: got {} expected {}",
            show(&without_meta(bundle)),
            show(&without_meta(want))
        ));
    }
    if data.get("digest") != expected.get("canonical_digest") {
        return Err("export digest differs".to_owned());
    }
    if let (Some(r), Some(w)) = (data.get("rendered"), expected.get("rendered")) {
        if r != w {
            return Err(format!("rendered export differs: got {} expected {}", show(r), show(w)));
        }
    }
    for v in expected.get("export_variants").and_then(Value::as_array).unwrap_or(&[]) {
        let opts = v.get("export_options").cloned().unwrap_or(Value::Null);
        let mut args = Map::new();
        args.insert("decision_id", Value::str(id));
        for k in ["include_template_snapshot", "include_router_link"] {
            if let Some(b) = opts.get(k) {
                args.insert(k, b.clone());
            }
        }
        let got = tools.call("export_bundle", &Value::Object(args));
        let data = got.data().ok_or_else(|| format!("variant export failed: {}", got.to_json()))?;
        if data.get("digest") != v.get("canonical_digest") {
            return Err(format!("variant {} digest differs", show(&opts)));
        }
        if data.get("bundle").map(without_meta) != v.get("bundle_without_meta").cloned() {
            return Err(format!("variant {} bundle differs", show(&opts)));
        }
    }
    Ok(())
}

fn obj_id(id: &str) -> Value {
    let mut m = Map::new();
    m.insert("decision_id", Value::str(id));
    Value::Object(m)
}
