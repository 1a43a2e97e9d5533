//! What an exporter derives from a replayed decision: the bundle header, the template
//! snapshot, the router link and its link digest, and the provenance records
//! (`spec/packages.md` §1.2–§1.4, §4.2). Export and the deep checks both use these, so
//! what is written and what is checked can never drift apart.

use crate::canonical;
use crate::digest::{Digest, PREFIX};
use crate::json::{Map, Value};
use crate::replay::Decision;

/// Provenance `method_id` of a decision bundle export.
pub const BUNDLE_METHOD_ID: &str = "nexus-control.export_v0_5";
/// Provenance `method_id` of an audit package export.
pub const PACKAGE_METHOD_ID: &str = "nexus-control.audit_export_v0_6";

/// An event's digest: SHA-256 of canonical `{"event_type": <type>, "payload": <payload>}`
/// (`spec/core.md` §2.3). It covers neither `seq`, `ts`, `actor` nor the ids.
pub fn event_digest(event_type: &Value, payload: &Value) -> Result<Digest, canonical::CanonicalError> {
    let mut sink = canonical::HashSink::new();
    canonical::write_entries(
        &[("event_type", event_type), ("payload", payload)],
        canonical::Dialect::Attest,
        &mut sink,
    )?;
    Ok(sink.finish())
}

/// The bundle `decision` header: `decision_id`, `goal` (null without `DECISION_CREATED`),
/// `mode` (`requested_mode`, or `"dry_run"` when absent or falsy), `created_at` (the first
/// event's timestamp as given, `""` without events) and `status` (upper-case state).
pub fn header(decision_id: &str, decision: &Decision, first_ts: Option<&str>) -> Value {
    let mut m = Map::with_capacity(5);
    m.insert("decision_id", Value::str(decision_id));
    m.insert("goal", decision.goal().map(Value::str).unwrap_or(Value::Null));
    m.insert("mode", header_mode(decision));
    m.insert("created_at", Value::str(first_ts.unwrap_or("")));
    m.insert("status", Value::str(decision.state().as_upper()));
    Value::Object(m)
}

/// The header `mode`: the requested mode when truthy, else `"dry_run"`.
pub fn header_mode(decision: &Decision) -> Value {
    match decision.requested_mode() {
        Some(v) if v.is_truthy() => v.clone(),
        _ => Value::str("dry_run"),
    }
}

/// The `template_snapshot` section (`{"present": false}` without a template reference).
pub fn template_snapshot(decision: &Decision) -> Value {
    let Some(t) = decision.template() else {
        return crate::package::present_false();
    };
    let mut m = Map::with_capacity(5);
    m.insert("present", Value::Bool(true));
    m.insert("name", Value::str(t.name.as_str()));
    m.insert("digest", Value::String(format!("{PREFIX}{}", t.digest)));
    m.insert("snapshot", if t.snapshot.is_empty() { Value::Null } else { Value::Object(t.snapshot.clone()) });
    m.insert(
        "overrides",
        if t.overrides_applied.is_empty() { Value::Null } else { Value::Object(t.overrides_applied.clone()) },
    );
    Value::Object(m)
}

/// The control-router link digest (raw): SHA-256 of canonical
/// `{"decision_id", "run_id", "router_request_digest", "router_result_digest"}` with the
/// raw router digests (null when absent).
pub fn link_digest(
    decision_id: &Value,
    run_id: &Value,
    request_digest: Option<&str>,
    result_digest: Option<&str>,
) -> Digest {
    let mut m = Map::with_capacity(4);
    m.insert("decision_id", decision_id.clone());
    m.insert("run_id", run_id.clone());
    m.insert("router_request_digest", request_digest.map(Value::str).unwrap_or(Value::Null));
    m.insert("router_result_digest", result_digest.map(Value::str).unwrap_or(Value::Null));
    link_digest_of(&Value::Object(m))
}

fn link_digest_of(v: &Value) -> Digest {
    // Built from strings and nulls only: the canonical writer cannot fail.
    canonical::digest(v).unwrap_or(Digest::from_bytes([0; 32]))
}

/// The `router_link` section for the latest execution (empty without one): only the
/// non-null keys among `run_id`, `adapter_id`, `router_request_digest`,
/// `router_result_digest`, `control_router_link_digest`.
pub fn router_link(decision_id: &str, decision: &Decision) -> Map {
    let mut m = Map::new();
    let Some(x) = decision.latest_execution() else { return m };
    if let Some(run_id) = &x.run_id {
        m.insert("run_id", Value::str(run_id.as_str()));
    }
    m.insert("adapter_id", Value::str(x.adapter_id.as_str()));
    if let Some(d) = x.request_digest.as_deref().filter(|d| !d.is_empty()) {
        m.insert("router_request_digest", Value::String(format!("{PREFIX}{d}")));
    }
    if let Some(d) = x.response_digest.as_deref().filter(|d| !d.is_empty()) {
        m.insert("router_result_digest", Value::String(format!("{PREFIX}{d}")));
    }
    if let Some(run_id) = &x.run_id {
        let d = link_digest(
            &Value::str(decision_id),
            &Value::str(run_id.as_str()),
            x.request_digest.as_deref(),
            x.response_digest.as_deref(),
        );
        m.insert("control_router_link_digest", Value::String(d.to_prefixed()));
    }
    m
}

/// `prov_` + the first 12 hex characters of SHA-256 of `<decision_id>:<digest hex>`.
pub fn prov_id(decision_id: &str, digest_hex: &str) -> String {
    let d = Digest::of(format!("{decision_id}:{digest_hex}").as_bytes()).to_hex();
    format!("prov_{}", d.get(..12).unwrap_or(""))
}

fn provenance(decision_id: &str, digest_hex: &str, method: &str, output_kind: &str) -> Value {
    let mut r = Map::with_capacity(4);
    r.insert("prov_id", Value::String(prov_id(decision_id, digest_hex)));
    r.insert("method_id", Value::str(method));
    r.insert("inputs", Value::Array(vec![Value::String(format!("decision:{decision_id}"))]));
    r.insert("outputs", Value::Array(vec![Value::String(format!("{output_kind}:{PREFIX}{digest_hex}"))]));
    let mut m = Map::with_capacity(1);
    m.insert("records", Value::Array(vec![Value::Object(r)]));
    Value::Object(m)
}

/// The `provenance` section of a decision bundle with digest `bundle_hex` (raw hex).
pub fn bundle_provenance(decision_id: &str, bundle_hex: &str) -> Value {
    provenance(decision_id, bundle_hex, BUNDLE_METHOD_ID, "bundle")
}

/// The `provenance` section of an audit package with binding digest `binding_hex`.
pub fn package_provenance(decision_id: &str, binding_hex: &str) -> Value {
    provenance(decision_id, binding_hex, PACKAGE_METHOD_ID, "audit_package")
}
