//! Router evidence that a verifier can recompute from a run bundle: the bridge response
//! (router.md 4.6, whose `H_a` is the control bundle's `router_result_digest`), the
//! step results rebuilt from events, the run's provenance value (3.10) and the request
//! binding check of 4.8.

use attest_verify::json::{Map, Value};
use attest_verify::Digest;

use crate::engine::provenance_value;
use crate::hash::{count, obj};
use crate::request::CompiledRequest;
use crate::store::StoredRun;

/// The bridge response derived from a bundle's `run` and `events`:
///
/// ```text
/// {"run_id": run.run_id, "status": lower-case run.status, "steps_executed": S,
///  "summary": {"mode": run.mode, "steps": S, "tools_used", "outputs_total",
///              "outputs_applied", "outputs_skipped", "adapter_id"}
///  [, "error": {"code", "message"}]}
/// ```
///
/// with `S` = number of `STEP_STARTED`; `tools_used` the unique `call.method` of
/// `TOOL_CALL_REQUESTED` in order; outputs counted over `STEP_COMPLETED` (applied = 0
/// in dry run, else those with status `ok`; skipped = status not `ok`); `adapter_id`
/// from `DISPATCH_SELECTED` or `"none"`; `error` from a `RUN_FAILED` with reason
/// `dispatch_selection_failed`. Pure: never fails, whatever the events hold.
pub fn derive_response(run: &Map, events: &[Value]) -> Map {
    derive(
        run.get("run_id"),
        run.get("status"),
        run.get("mode"),
        events
            .iter()
            .map(|e| (e.get("type").and_then(Value::as_str).unwrap_or(""), e.get("payload").unwrap_or(&Value::Null))),
    )
}

/// [`derive_response`] over a stored run.
pub fn derive_response_from_run(run: &StoredRun) -> Map {
    let run_id = Value::str(&run.record.run_id);
    let status = Value::str(&run.record.status);
    let mode = Value::str(&run.record.mode);
    derive(Some(&run_id), Some(&status), Some(&mode), run.events.iter().map(|e| (&*e.event_type, &e.payload)))
}

fn derive<'a>(
    run_id: Option<&Value>,
    status: Option<&Value>,
    mode: Option<&Value>,
    events: impl Iterator<Item = (&'a str, &'a Value)>,
) -> Map {
    let dry = mode.and_then(Value::as_str) == Some("dry_run");
    let (mut steps, mut total, mut ok, mut not_ok) = (0usize, 0usize, 0usize, 0usize);
    let mut tools: Vec<&str> = Vec::new();
    let mut adapter: Option<&Value> = None;
    let mut error = None;
    for (ty, p) in events {
        match ty {
            "STEP_STARTED" => steps += 1,
            "TOOL_CALL_REQUESTED" => {
                if let Some(m) = p.get("call").and_then(|c| c.get("method")).and_then(Value::as_str) {
                    if !tools.contains(&m) {
                        tools.push(m);
                    }
                }
            }
            "STEP_COMPLETED" => {
                total += 1;
                if p.get("status").and_then(Value::as_str) == Some("ok") {
                    ok += 1;
                } else {
                    not_ok += 1;
                }
            }
            "DISPATCH_SELECTED" => adapter = adapter.or(p.get("adapter_id")),
            "RUN_FAILED" if p.get("reason").and_then(Value::as_str) == Some("dispatch_selection_failed") => {
                error = Some(obj([
                    ("code", p.get("error_code").cloned().unwrap_or(Value::Null)),
                    ("message", p.get("message").cloned().unwrap_or(Value::Null)),
                ]));
            }
            _ => {}
        }
    }
    let status = match status.and_then(Value::as_str) {
        Some(s) => Value::str(s.to_lowercase()),
        None => Value::Null,
    };
    let mut m = obj([
        ("run_id", run_id.cloned().unwrap_or(Value::Null)),
        ("steps_executed", count(steps)),
        ("status", status),
        (
            "summary",
            Value::Object(obj([
                ("mode", mode.cloned().unwrap_or(Value::Null)),
                ("steps", count(steps)),
                ("tools_used", Value::Array(tools.into_iter().map(Value::str).collect())),
                ("outputs_total", count(total)),
                ("outputs_applied", count(if dry { 0 } else { ok })),
                ("outputs_skipped", count(not_ok)),
                ("adapter_id", adapter.cloned().unwrap_or_else(|| Value::str("none"))),
            ])),
        ),
    ]);
    if let Some(e) = error {
        m.insert("error", Value::Object(e));
    }
    m
}

/// The step results rebuilt from events (router.md 3.10): for each `STEP_COMPLETED` in
/// order, `{step_id, status, simulated: run.mode == "dry_run", output, evidence: []}`
/// with `output` the step's latest `TOOL_CALL_SUCCEEDED` output when the status is
/// `ok`, else `{}`.
pub fn rebuild_results(run: &Map, events: &[Value]) -> Value {
    let dry = run.get("mode").and_then(Value::as_str) == Some("dry_run");
    let mut outputs: Vec<(&Value, &Value)> = Vec::new();
    let mut results = Vec::new();
    for e in events {
        let p = e.get("payload").unwrap_or(&Value::Null);
        let step = p.get("step_id").unwrap_or(&Value::Null);
        match e.get("type").and_then(Value::as_str) {
            Some("TOOL_CALL_SUCCEEDED") => {
                let out = p.get("output").unwrap_or(&Value::Null);
                match outputs.iter_mut().find(|(s, _)| *s == step) {
                    Some(slot) => slot.1 = out,
                    None => outputs.push((step, out)),
                }
            }
            Some("STEP_COMPLETED") => {
                let status = p.get("status").cloned().unwrap_or(Value::Null);
                let output = if status.as_str() == Some("ok") {
                    outputs
                        .iter()
                        .find(|(s, _)| *s == step)
                        .map_or_else(|| Value::Object(Map::new()), |(_, o)| (*o).clone())
                } else {
                    Value::Object(Map::new())
                };
                results.push(Value::Object(obj([
                    ("step_id", step.clone()),
                    ("status", status),
                    ("simulated", Value::Bool(dry)),
                    ("output", output),
                    ("evidence", Value::Array(Vec::new())),
                ])));
            }
            _ => {}
        }
    }
    Value::Array(results)
}

/// The provenance value the run recorded: `PROVENANCE_EMITTED.provenance.records[0]
/// .digests[0].value`.
pub fn recorded_provenance_value(events: &[Value]) -> Option<&str> {
    events
        .iter()
        .find(|e| e.get("type").and_then(Value::as_str) == Some("PROVENANCE_EMITTED"))?
        .get("payload")?
        .get("provenance")?
        .get("records")?
        .as_array()?
        .first()?
        .get("digests")?
        .as_array()?
        .first()?
        .get("value")?
        .as_str()
}

/// The provenance value recomputed from a request and the bundle's events:
/// `H_r({"request": request, "results": rebuild_results(run, events)})`.
pub fn recompute_provenance_value(request: &Value, run: &Map, events: &[Value]) -> Digest {
    provenance_value(request, &rebuild_results(run, events))
}

/// The `router_request_binding` check of router.md 4.8, router half: the run was asked
/// exactly the bridge translation of `compiled` (its recorded provenance value equals
/// the one recomputed from the translation and the rebuilt results). `false` when the
/// compiled request has no translation or the run records no provenance.
pub fn request_binding_holds(compiled: &CompiledRequest, run: &Map, events: &[Value]) -> bool {
    let Ok(request) = compiled.to_run_request() else { return false };
    let Some(recorded) = recorded_provenance_value(events) else { return false };
    recompute_provenance_value(request.as_value(), run, events).to_hex() == recorded
}
