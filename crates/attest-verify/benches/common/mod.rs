//! Builds valid N-event audit packages with this crate's own digests and derivations, for
//! the benchmarks (workload W2 of `shared/bench/WORKLOADS.md`).
//!
//! The decision: `DECISION_CREATED` and `POLICY_ATTACHED` (min_approvals 2, modes
//! `dry_run`/`apply`) by alice; approve/revoke padding pairs by distinct actors
//! `approver-<k>@example.com` (payloads `{"expires_at": null, "comment": "padding approval
//! <k>"}` and `{"reason": ""}`); when N is even one more padding approval that is not
//! revoked (7 + 2k is always odd); then approvals by bob and carol,
//! `EXECUTION_REQUESTED` (system `scheduler`), `EXECUTION_STARTED` and
//! `EXECUTION_COMPLETED` (system `nexus-control`). Exactly N events (N >= 7), 1 ms apart,
//! timestamps in Python isoformat. The package is exported in reference mode.

#![allow(dead_code, reason = "not every bench uses every helper")]

use attest_verify::canonical;
use attest_verify::derive;
use attest_verify::json::{Map, Value};
use attest_verify::package::{binding_digest_payload, bundle_digest_payload, BUNDLE_VERSION, PACKAGE_VERSION};
use attest_verify::replay::{Decision, ReplayEvent};
use attest_verify::Timestamp;

/// The decision id of every built package.
pub(crate) const DECISION_ID: &str = "5b1f0c7e-2d4a-4c1b-9a53-bench0000001";
/// 2026-11-24T10:09:33.230703+00:00, the first event's time.
pub(crate) const START_MICROS: i64 = 1_795_514_973_230_703;
/// The run id the fixed router returns.
pub(crate) const RUN_ID: &str = "run-bench-0001";
/// The adapter of the execution.
pub(crate) const ADAPTER_ID: &str = "subprocess:mcpt:bench";

fn obj(entries: Vec<(&str, Value)>) -> Value {
    let mut m = Map::with_capacity(entries.len());
    for (k, v) in entries {
        m.insert(k, v);
    }
    Value::Object(m)
}

fn strs(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::str(*s)).collect())
}

/// One event before its digest: type, payload, actor type, actor id.
struct Spec {
    event_type: &'static str,
    payload: Value,
    actor_type: &'static str,
    actor_id: String,
}

fn hex_of(v: &Value) -> String {
    canonical::digest(v).unwrap_or(attest_verify::Digest::from_bytes([0; 32])).to_hex()
}

fn specs(n: usize) -> Vec<Spec> {
    assert!(n >= 7, "a package needs at least 7 events");
    let goal = "Rotate signing keys for payments-service";
    let human = |t: &'static str, payload: Value, id: &str| Spec {
        event_type: t,
        payload,
        actor_type: "human",
        actor_id: id.to_owned(),
    };
    let mut out = Vec::with_capacity(n);
    out.push(human(
        "DECISION_CREATED",
        obj(vec![
            ("goal", Value::str(goal)),
            ("plan", Value::Null),
            ("requested_mode", Value::str("apply")),
            ("labels", strs(&["bench"])),
        ]),
        "alice@example.com",
    ));
    out.push(human(
        "POLICY_ATTACHED",
        obj(vec![
            ("min_approvals", Value::int(2)),
            ("allowed_modes", strs(&["dry_run", "apply"])),
            ("require_adapter_capabilities", Value::Array(Vec::new())),
            ("max_steps", Value::Null),
            ("labels", strs(&["bench"])),
        ]),
        "alice@example.com",
    ));
    let padding = n - 7;
    for k in 0..padding / 2 {
        let actor = format!("approver-{k}@example.com");
        out.push(human(
            "APPROVAL_GRANTED",
            obj(vec![("expires_at", Value::Null), ("comment", Value::String(format!("padding approval {k}")))]),
            &actor,
        ));
        out.push(human("APPROVAL_REVOKED", obj(vec![("reason", Value::str(""))]), &actor));
    }
    if padding % 2 == 1 {
        let k = padding / 2;
        out.push(human(
            "APPROVAL_GRANTED",
            obj(vec![("expires_at", Value::Null), ("comment", Value::String(format!("padding approval {k}")))]),
            &format!("approver-{k}@example.com"),
        ));
    }
    for (who, comment) in [("bob@example.com", "Reviewed plan, looks safe"), ("carol@example.com", "ship it")] {
        out.push(human(
            "APPROVAL_GRANTED",
            obj(vec![("expires_at", Value::Null), ("comment", Value::str(comment))]),
            who,
        ));
    }
    let request =
        obj(vec![("goal", Value::str(goal)), ("adapter_id", Value::str(ADAPTER_ID)), ("dry_run", Value::Bool(false))]);
    let output = |i: i64| obj(vec![("step", Value::int(i)), ("ok", Value::Bool(true))]);
    let response = obj(vec![
        ("run_id", Value::str(RUN_ID)),
        ("steps_executed", Value::int(3)),
        ("status", Value::str("ok")),
        ("outputs", Value::Array(vec![output(1), output(2), output(3)])),
    ]);
    out.push(Spec {
        event_type: "EXECUTION_REQUESTED",
        payload: obj(vec![("adapter_id", Value::str(ADAPTER_ID)), ("dry_run", Value::Bool(false))]),
        actor_type: "system",
        actor_id: "scheduler".to_owned(),
    });
    out.push(Spec {
        event_type: "EXECUTION_STARTED",
        payload: obj(vec![("router_request_digest", Value::String(hex_of(&request)))]),
        actor_type: "system",
        actor_id: "nexus-control".to_owned(),
    });
    out.push(Spec {
        event_type: "EXECUTION_COMPLETED",
        payload: obj(vec![
            ("run_id", Value::str(RUN_ID)),
            ("response_digest", Value::String(hex_of(&response))),
            ("steps_executed", Value::int(3)),
        ]),
        actor_type: "system",
        actor_id: "nexus-control".to_owned(),
    });
    assert_eq!(out.len(), n);
    out
}

/// "Now" for verification: one second after the last event of an `n`-event package.
pub(crate) fn now_micros(n: usize) -> i64 {
    START_MICROS + (n as i64) * 1_000 + 1_000_000
}

/// A valid reference-mode audit package with exactly `n` events (`n >= 7`).
pub(crate) fn build_package(n: usize) -> Value {
    let specs = specs(n);
    let stamps: Vec<Timestamp> = (0..n)
        .map(|i| Timestamp::from_unix_micros(START_MICROS + i as i64 * 1_000).unwrap_or(Timestamp::UNIX_EPOCH))
        .collect();
    let ts_text: Vec<String> = stamps.iter().map(Timestamp::isoformat).collect();

    let replay_events = specs.iter().zip(&stamps).map(|(s, ts)| ReplayEvent {
        event_type: s.event_type,
        payload: &s.payload,
        ts: *ts,
        actor_type: s.actor_type,
        actor_id: &s.actor_id,
    });
    let decision = match Decision::replay(replay_events, now_micros(n)) {
        Ok(d) => d,
        Err(e) => panic!("the built log does not replay: {e}"),
    };

    let events: Vec<Value> = specs
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let digest = hex_of(&obj(vec![("event_type", Value::str(s.event_type)), ("payload", s.payload.clone())]));
            obj(vec![
                ("event_id", Value::String(format!("evt_{DECISION_ID}_{i}"))),
                ("decision_id", Value::str(DECISION_ID)),
                ("seq", Value::int(i as i64)),
                ("type", Value::str(s.event_type)),
                ("payload", s.payload),
                ("ts", Value::String(ts_text[i].clone())),
                ("actor", obj(vec![("type", Value::str(s.actor_type)), ("id", Value::String(s.actor_id))])),
                ("digest", Value::String(digest)),
            ])
        })
        .collect();

    let header = derive::header(DECISION_ID, &decision, ts_text.first().map(String::as_str));
    let template_snapshot = derive::template_snapshot(&decision);
    let router_link = derive::router_link(DECISION_ID, &decision);
    let preimage = bundle_digest_payload(
        Value::str(BUNDLE_VERSION),
        header.clone(),
        events.clone(),
        template_snapshot.clone(),
        Value::Object(router_link.clone()),
    );
    let control_hex = hex_of(&preimage);
    let control_digest = Value::String(format!("sha256:{control_hex}"));
    let exported_at = Value::String(ts_text.last().cloned().unwrap_or_default());

    let control_bundle = obj(vec![
        ("bundle_version", Value::str(BUNDLE_VERSION)),
        ("decision", header),
        ("events", Value::Array(events)),
        ("template_snapshot", template_snapshot),
        ("router_link", Value::Object(router_link.clone())),
        ("integrity", obj(vec![("alg", Value::str("sha256")), ("canonical_digest", control_digest.clone())])),
        ("provenance", derive::bundle_provenance(DECISION_ID, &control_hex)),
        ("meta", obj(vec![("exported_at", exported_at.clone())])),
    ]);

    let result_digest = router_link.get("router_result_digest").cloned().unwrap_or(Value::Null);
    let link_digest = router_link.get("control_router_link_digest").cloned().unwrap_or(Value::Null);
    let binding_hex = hex_of(&binding_digest_payload(
        Value::str(PACKAGE_VERSION),
        control_digest.clone(),
        result_digest.clone(),
        link_digest.clone(),
    ));

    obj(vec![
        ("package_version", Value::str(PACKAGE_VERSION)),
        ("control_bundle", control_bundle),
        (
            "router",
            obj(vec![
                ("mode", Value::str("reference")),
                ("ref", obj(vec![("run_id", Value::str(RUN_ID)), ("digest", result_digest.clone())])),
            ]),
        ),
        (
            "binding",
            obj(vec![
                ("control_digest", control_digest),
                ("router_digest", result_digest),
                ("control_router_link_digest", link_digest),
            ]),
        ),
        (
            "integrity",
            obj(vec![
                ("alg", Value::str("sha256")),
                ("binding_digest", Value::String(format!("sha256:{binding_hex}"))),
            ]),
        ),
        ("provenance", derive::package_provenance(DECISION_ID, &binding_hex)),
        ("meta", obj(vec![("exported_at", exported_at)])),
    ])
}

/// The compact (canonical) JSON text of a built package.
pub(crate) fn package_text(n: usize) -> String {
    canonical::to_string(&build_package(n)).unwrap_or_default()
}
