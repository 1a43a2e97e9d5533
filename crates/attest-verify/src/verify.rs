//! Verification of audit packages and decision bundles: the six reference checks exactly
//! as nexus-attest 1.0.1 reports them, then the deeper checks and advisories under their
//! own names (`spec/packages.md` §5, §6). A failed check is a result, never an `Err`.

use std::fmt;

use crate::canonical::{self, Dialect};
use crate::derive;
use crate::digest::{self, strip_prefix, Digest};
use crate::json::{self, Map, Value};
use crate::package::{ParsedBundle, ParsedPackage, ShapeError, BUNDLE_VERSION, PACKAGE_VERSION};
use crate::replay::{py_str, Decision, ReplayError, ReplayEvent, State, SYSTEM_ACTOR_ID};
use crate::time::Timestamp;

/// One named check: whether it held, what was expected, what was found, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Stable check name (`binding_digest`, `event_digests`, ...).
    pub name: &'static str,
    /// Whether the check passed (for advisories: whether the finding is benign).
    pub ok: bool,
    /// The expected value, when meaningful.
    pub expected: Option<Value>,
    /// The value found, when meaningful.
    pub actual: Option<Value>,
    /// One line saying what was checked or, on failure, where and why it failed.
    pub detail: Option<String>,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check { name, ok: true, expected: None, actual: None, detail: Some(detail.into()) }
    }

    fn fail(name: &'static str, detail: impl Into<String>) -> Check {
        Check { name, ok: false, expected: None, actual: None, detail: Some(detail.into()) }
    }

    fn with(mut self, expected: Option<Value>, actual: Option<Value>) -> Check {
        self.expected = expected;
        self.actual = actual;
        self
    }

    fn from_problems(name: &'static str, ok_detail: &str, problems: Vec<String>) -> Check {
        if problems.is_empty() {
            Check::pass(name, ok_detail)
        } else {
            let n = problems.len();
            let mut detail = problems.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
            if n > 3 {
                detail.push_str(&format!("; and {} more", n - 3));
            }
            Check::fail(name, detail).with(None, Some(Value::Array(problems.into_iter().map(Value::String).collect())))
        }
    }

    /// The reference's JSON shape: `name`, `ok`, then `expected`/`actual` only when the
    /// check failed and the value is not null, then `detail` when set.
    pub fn to_reference_value(&self) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("name", Value::str(self.name));
        m.insert("ok", Value::Bool(self.ok));
        if !self.ok {
            if let Some(e) = self.expected.as_ref().filter(|v| !v.is_null()) {
                m.insert("expected", e.clone());
            }
            if let Some(a) = self.actual.as_ref().filter(|v| !v.is_null()) {
                m.insert("actual", a.clone());
            }
        }
        if let Some(d) = &self.detail {
            m.insert("detail", Value::str(d.as_str()));
        }
        Value::Object(m)
    }

    /// All five keys, nulls included.
    pub fn to_full_value(&self) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("name", Value::str(self.name));
        m.insert("ok", Value::Bool(self.ok));
        m.insert("expected", self.expected.clone().unwrap_or(Value::Null));
        m.insert("actual", self.actual.clone().unwrap_or(Value::Null));
        m.insert("detail", self.detail.clone().map(Value::String).unwrap_or(Value::Null));
        Value::Object(m)
    }
}

/// An ordered list of checks with the reference's summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Checks {
    /// The checks, in their fixed order.
    pub checks: Vec<Check>,
}

impl Checks {
    /// Every check passed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// Number of passed checks.
    pub fn passed(&self) -> usize {
        self.checks.iter().filter(|c| c.ok).count()
    }

    /// Number of failed checks.
    pub fn failed(&self) -> usize {
        self.checks.len() - self.passed()
    }

    /// Names of the failed checks, in order.
    pub fn failed_names(&self) -> Vec<&'static str> {
        self.checks.iter().filter(|c| !c.ok).map(|c| c.name).collect()
    }

    /// The check called `name`.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// `{"ok", "checks", "passed", "failed", "total"}` with checks in the reference shape,
    /// byte-identical to the reference's verification result.
    pub fn to_reference_value(&self) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("ok", Value::Bool(self.ok()));
        m.insert("checks", Value::Array(self.checks.iter().map(Check::to_reference_value).collect()));
        m.insert("passed", Value::int(self.passed() as i64));
        m.insert("failed", Value::int(self.failed() as i64));
        m.insert("total", Value::int(self.checks.len() as i64));
        Value::Object(m)
    }
}

/// Options of verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// "Now" for approval expiry, in microseconds since the Unix epoch; the system clock
    /// when `None`.
    pub now_micros: Option<i64>,
    /// A binding digest the caller expects (`sha256:<hex>` or raw hex); adds the strict
    /// check `expected_binding`.
    pub expect_binding: Option<String>,
}

impl VerifyOptions {
    fn now(&self) -> i64 {
        self.now_micros.unwrap_or_else(system_now_micros)
    }
}

/// Microseconds since the Unix epoch from the system clock (0 if the clock is before it).
pub fn system_now_micros() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// The result of verifying an audit package or a decision bundle: the reference checks,
/// the deeper checks and the advisories.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    /// The reference checks (for a package: the six of nexus-attest 1.0.1, byte-identical).
    pub reference: Checks,
    /// The deeper checks, each under its own name.
    pub deep: Checks,
    /// Findings that never fail verification.
    pub advisories: Vec<Check>,
}

impl Verification {
    /// Verdict of the reference checks alone.
    pub fn reference_ok(&self) -> bool {
        self.reference.ok()
    }

    /// Verdict of all checks.
    pub fn ok(&self) -> bool {
        self.reference.ok() && self.deep.ok()
    }

    /// All checks, reference first.
    pub fn all_checks(&self) -> impl Iterator<Item = &Check> {
        self.reference.checks.iter().chain(self.deep.checks.iter())
    }

    /// The nested shape of `spec/packages.md` §6.2:
    /// `{"ok", "reference": {...}, "deep": {..., "advisories"}}`.
    pub fn to_nested_value(&self) -> Value {
        let mut deep = match self.deep.to_reference_value() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        deep.insert("advisories", Value::Array(self.advisories.iter().map(Check::to_full_value).collect()));
        let mut m = Map::with_capacity(3);
        m.insert("ok", Value::Bool(self.ok()));
        m.insert("reference", self.reference.to_reference_value());
        m.insert("deep", Value::Object(deep));
        Value::Object(m)
    }

    /// The flat shape of the CLI's `--json`: `{"ok", "reference_ok", "checks": [...],
    /// "advisories": [...]}` with every check's five keys, reference checks first.
    pub fn to_flat_value(&self) -> Value {
        let mut m = Map::with_capacity(4);
        m.insert("ok", Value::Bool(self.ok()));
        m.insert("reference_ok", Value::Bool(self.reference_ok()));
        m.insert("checks", Value::Array(self.all_checks().map(Check::to_full_value).collect()));
        m.insert("advisories", Value::Array(self.advisories.iter().map(Check::to_full_value).collect()));
        Value::Object(m)
    }
}

/// Why a document could not be verified at all.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not readable as JSON.
    Json(json::JsonError),
    /// Not shaped like the thing asked for (the reference cannot parse it either).
    Shape(ShapeError),
}

impl VerifyError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Json(e) => e.code(),
            VerifyError::Shape(e) => e.code(),
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Json(e) => write!(f, "not readable as json: {e}"),
            VerifyError::Shape(e) => write!(f, "not shaped like the document asked for: {e}"),
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::Json(e) => Some(e),
            VerifyError::Shape(e) => Some(e),
        }
    }
}

impl From<json::JsonError> for VerifyError {
    fn from(e: json::JsonError) -> VerifyError {
        VerifyError::Json(e)
    }
}

impl From<ShapeError> for VerifyError {
    fn from(e: ShapeError) -> VerifyError {
        VerifyError::Shape(e)
    }
}

// ---------------------------------------------------------------------------------------
// Python value equality
// ---------------------------------------------------------------------------------------

/// Python `==` on two JSON values: numbers compare by value (`1 == 1.0 == true`), objects
/// ignore key order.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x.py_eq(y),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Bool(x), Value::Number(n)) | (Value::Number(n), Value::Bool(x)) => {
            n.py_eq(&json::Number::from_i64(i64::from(*x)))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => false,
    }
}

/// Equality of canonical forms: key order does not matter, `1` and `1.0` differ.
fn same(a: &Value, b: &Value) -> bool {
    match (canonical::to_bytes(a), canonical::to_bytes(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `strip(x)` of a stored digest value: the text without one leading `sha256:`; `None`
/// when the value is not a string (the reference crashes there; we fail the check).
fn stripped(v: &Value) -> Option<&str> {
    v.as_str().map(strip_prefix)
}

// ---------------------------------------------------------------------------------------
// The six reference checks
// ---------------------------------------------------------------------------------------

/// The section digest *S* of check 4 (`None` = null).
fn section_digest(p: &ParsedPackage) -> Option<&Value> {
    let r = &p.router;
    match r.mode.as_str() {
        Some("embedded") => match &r.bundle {
            Some(b) => b
                .as_object()
                .and_then(|m| m.get("integrity"))
                .and_then(Value::as_object)
                .and_then(|i| i.get("canonical_digest"))
                .filter(|v| !v.is_null()),
            None => None,
        },
        Some("reference") => r.reference.as_ref().map(|(_, d)| d).filter(|v| !v.is_null()),
        _ => None,
    }
}

/// The six reference checks of nexus-attest 1.0.1 over a parsed package, in order,
/// never stopping at the first failure (`spec/packages.md` §5).
pub fn reference_checks(p: &ParsedPackage) -> Checks {
    reference_checks_with(p, &p.recompute_binding_digest(), &p.control_bundle.recompute_digest())
}

fn reference_checks_with(p: &ParsedPackage, binding: &Digest, control: &Digest) -> Checks {
    let mut checks = Vec::with_capacity(6);
    let cb = &p.control_bundle;

    let binding_hex = binding.to_hex();
    checks.push(Check {
        name: "binding_digest",
        ok: stripped(&p.binding_digest) == Some(binding_hex.as_str()),
        expected: Some(p.binding_digest.clone()),
        actual: Some(Value::String(binding.to_prefixed())),
        detail: Some("Recomputed binding digest from binding fields".to_owned()),
    });

    let control_hex = control.to_hex();
    checks.push(Check {
        name: "control_bundle_digest",
        ok: stripped(&cb.canonical_digest) == Some(control_hex.as_str()),
        expected: Some(cb.canonical_digest.clone()),
        actual: Some(Value::String(control.to_prefixed())),
        detail: Some("Recomputed control bundle digest from content".to_owned()),
    });

    checks.push(Check {
        name: "binding_control_match",
        ok: py_eq(&p.control_digest, &cb.canonical_digest),
        expected: Some(cb.canonical_digest.clone()),
        actual: Some(p.control_digest.clone()),
        detail: Some("binding.control_digest must match control_bundle.integrity.canonical_digest".to_owned()),
    });

    let s = section_digest(p);
    checks.push(Check {
        name: "binding_router_match",
        ok: s.is_some_and(|s| py_eq(&p.router_digest, s)),
        expected: s.cloned(),
        actual: Some(p.router_digest.clone()),
        detail: Some("binding.router_digest must match router section digest".to_owned()),
    });

    let link = cb.router_link.get("control_router_link_digest");
    checks.push(Check {
        name: "binding_link_match",
        ok: link.is_some_and(|l| py_eq(&p.control_router_link_digest, l)),
        expected: link.cloned(),
        actual: Some(p.control_router_link_digest.clone()),
        detail: Some("binding.control_router_link_digest must match control bundle's router link".to_owned()),
    });

    if p.router.mode.as_str() == Some("embedded") {
        if let Some(b) = &p.router.bundle {
            let has = b
                .as_object()
                .and_then(|m| m.get("integrity"))
                .and_then(Value::as_object)
                .is_some_and(|i| i.contains_key("canonical_digest"));
            checks.push(Check {
                name: "router_digest",
                ok: has,
                expected: None,
                actual: None,
                detail: Some("Embedded router bundle must have integrity.canonical_digest".to_owned()),
            });
        }
    }
    Checks { checks }
}

// ---------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------

/// Parse JSON text and verify it as an audit package.
pub fn verify_package_json(text: &str, opts: &VerifyOptions) -> Result<Verification, VerifyError> {
    let v = json::parse(text)?;
    Ok(verify_package(&v, opts)?)
}

/// Verify an audit package: the six reference checks, the deep checks and advisories.
/// `Err` only when the value cannot be read as a package at all. Never panics.
pub fn verify_package(v: &Value, opts: &VerifyOptions) -> Result<Verification, ShapeError> {
    let p = ParsedPackage::parse(v)?;
    let binding = p.recompute_binding_digest();
    let control = p.control_bundle.recompute_digest();
    let reference = reference_checks_with(&p, &binding, &control);
    let raw_cb = v.get("control_bundle").unwrap_or(&Value::Null);
    let mut ctx = Deep::new(&p.control_bundle, raw_cb, opts.now(), true);
    let mut deep = Vec::with_capacity(20);
    deep.push(schema_strict_package(v));
    deep.push(format_versions(v, true));
    deep.push(integrity_alg(v, true));
    deep.push(digest_format(&p));
    ctx.bundle_checks(&mut deep);
    deep.push(provenance_consistent(&p.control_bundle, Some(&p)));
    deep.push(router_run_id(&p));
    deep.push(router_bundle_rehash(&p));
    if let Some(pin) = &opts.expect_binding {
        deep.push(expected_binding(pin, &p, &binding));
    }
    let mut advisories = ctx.advisories();
    advisories.push(router_ref_is_result_digest(&p));
    advisories.push(router_run_matches_execution(&p, &ctx));
    advisories.push(unauthenticated_content(v, true));
    advisories.push(Check {
        name: "attestation",
        ok: false,
        expected: None,
        actual: None,
        detail: Some(
            "package is unsigned: no attestation over the binding digest was checked; digests prove consistency, not origin"
                .to_owned(),
        ),
    });
    Ok(Verification { reference, deep: Checks { checks: deep }, advisories })
}

/// Parse JSON text and verify it as a decision bundle.
pub fn verify_bundle_json(text: &str, opts: &VerifyOptions) -> Result<Verification, VerifyError> {
    let v = json::parse(text)?;
    Ok(verify_bundle(&v, opts)?)
}

/// Verify a standalone decision bundle: its integrity digest (reference) and the deep
/// checks that apply to bundles. Never panics.
pub fn verify_bundle(v: &Value, opts: &VerifyOptions) -> Result<Verification, ShapeError> {
    let b = ParsedBundle::parse(v, "")?;
    let digest = b.recompute_digest();
    let reference = Checks {
        checks: vec![Check {
            name: "bundle_digest",
            ok: stripped(&b.canonical_digest) == Some(digest.to_hex().as_str()),
            expected: Some(b.canonical_digest.clone()),
            actual: Some(Value::String(digest.to_prefixed())),
            detail: Some("Recomputed bundle digest from content".to_owned()),
        }],
    };
    let mut ctx = Deep::new(&b, v, opts.now(), false);
    let mut deep = Vec::with_capacity(14);
    deep.push(schema_strict_bundle(v));
    deep.push(format_versions(v, false));
    deep.push(integrity_alg(v, false));
    deep.push(bundle_digest_format(&b));
    ctx.bundle_checks(&mut deep);
    deep.push(provenance_consistent(&b, None));
    let mut advisories = ctx.advisories();
    advisories.push(unauthenticated_content(v, false));
    Ok(Verification { reference, deep: Checks { checks: deep }, advisories })
}

// ---------------------------------------------------------------------------------------
// Deep checks over the control bundle
// ---------------------------------------------------------------------------------------

struct Prepared {
    ts: Option<Timestamp>,
    actor_type: String,
    actor_id: String,
}

struct Deep<'a> {
    b: &'a ParsedBundle,
    raw: &'a Value,
    in_package: bool,
    prepared: Vec<Prepared>,
    replay_now: Result<Decision, ReplayError>,
    decision_id: String,
}

fn actor_field(actor: &Value, key: &str) -> String {
    actor.get(key).map(py_str).unwrap_or_else(|| "unknown".to_owned())
}

impl<'a> Deep<'a> {
    fn new(b: &'a ParsedBundle, raw: &'a Value, now: i64, in_package: bool) -> Deep<'a> {
        let prepared: Vec<Prepared> = b
            .events
            .iter()
            .map(|e| Prepared {
                ts: crate::replay::parse_ts(&e.ts).ok(),
                actor_type: actor_field(&e.actor, "type"),
                actor_id: actor_field(&e.actor, "id"),
            })
            .collect();
        let replay_now = replay(b, &prepared, now);
        Deep { b, raw, in_package, prepared, replay_now, decision_id: py_str(&b.decision_id) }
    }

    fn bundle_checks(&mut self, out: &mut Vec<Check>) {
        out.push(self.event_digests());
        out.push(self.event_identity());
        out.push(self.event_replay());
        out.push(self.lifecycle_plausible());
        out.push(self.decision_header());
        out.push(self.template_snapshot_derived());
        out.push(self.router_link_derived());
        out.push(self.link_digest());
    }

    fn event_digests(&self) -> Check {
        let mut problems = Vec::new();
        for (i, e) in self.b.events.iter().enumerate() {
            let d = match derive::event_digest(&e.event_type, &e.payload) {
                Ok(d) => d,
                Err(err) => {
                    problems.push(format!("events[{i}]: payload cannot be canonicalized: {err}"));
                    continue;
                }
            };
            if e.digest.as_str() != Some(d.to_hex().as_str()) {
                problems.push(format!(
                    "events[{i}].digest is {} but sha256 of {{event_type, payload}} is {}",
                    short(&e.digest),
                    d.to_hex()
                ));
            }
        }
        Check::from_problems("event_digests", "every event digest equals sha256 of its {event_type, payload}", problems)
    }

    fn event_identity(&self) -> Check {
        let mut problems = Vec::new();
        for (i, e) in self.b.events.iter().enumerate() {
            let seq_ok = e.seq.as_i64().is_some_and(|s| usize::try_from(s).ok() == Some(i));
            if !seq_ok {
                problems.push(format!("events[{i}].seq is {} (expected the integer {i})", short(&e.seq)));
            }
            if !py_eq(&e.decision_id, &self.b.decision_id) || e.decision_id.as_str().is_none() {
                problems.push(format!(
                    "events[{i}].decision_id is {} but the header says {}",
                    short(&e.decision_id),
                    short(&self.b.decision_id)
                ));
            }
            let want = format!("evt_{}_{i}", self.decision_id);
            if e.event_id.as_str() != Some(want.as_str()) {
                problems.push(format!("events[{i}].event_id is {} (expected {want})", short(&e.event_id)));
            }
        }
        if self.b.decision_id.as_str().is_none_or(str::is_empty) {
            problems.insert(
                0,
                format!("decision.decision_id is {} (expected a non-empty string)", short(&self.b.decision_id)),
            );
        }
        Check::from_problems(
            "event_identity",
            "every event has seq = its index, the header's decision_id and the derived event_id",
            problems,
        )
    }

    fn event_replay(&self) -> Check {
        let mut problems = Vec::new();
        for (i, (e, p)) in self.b.events.iter().zip(&self.prepared).enumerate() {
            match (&p.ts, e.ts.as_str()) {
                (None, _) => problems.push(format!("events[{i}].ts: {}", ts_error(&e.ts))),
                (Some(t), _) if !t.is_aware() => {
                    problems.push(format!("events[{i}].ts {} has no utc offset", short(&e.ts)))
                }
                _ => {}
            }
            if e.event_type.as_str() == Some("APPROVAL_GRANTED") {
                if let Some(x) = e.payload.get("expires_at").filter(|v| v.is_truthy()) {
                    match Timestamp::parse_isoformat(&py_str(x)) {
                        Ok(t) if !t.is_aware() => {
                            problems.push(format!("events[{i}].payload.expires_at {} has no utc offset", short(x)))
                        }
                        _ => {}
                    }
                }
            }
            if !e.actor.as_object().is_some_and(|a| {
                a.get("type").is_some_and(|t| t.as_str().is_some()) && a.get("id").is_some_and(|t| t.as_str().is_some())
            }) {
                problems.push(format!("events[{i}].actor must be an object with string type and id"));
            }
        }
        if let Err(err) = &self.replay_now {
            let at = err.event_index().map(|i| format!("events[{i}]: ")).unwrap_or_default();
            problems.insert(0, format!("{at}replay failed: {err}"));
        }
        Check::from_problems("event_replay", "the events replay under the decision state machine", problems)
    }

    fn lifecycle_plausible(&self) -> Check {
        let problems = plausibility(self.b, &self.prepared);
        Check::from_problems("lifecycle_plausible", "the log is one the tools can write", problems)
    }

    fn decision_header(&self) -> Check {
        let Ok(d) = &self.replay_now else {
            return Check::fail("decision_header", "cannot derive the header: the events do not replay");
        };
        let mut problems = Vec::new();
        let goal = d.goal().map(Value::str).unwrap_or(Value::Null);
        if self.b.goal != goal {
            problems.push(format!("decision.goal is {} but the events say {}", short(&self.b.goal), short(&goal)));
        }
        let mode = derive::header_mode(d);
        if self.b.mode != mode {
            problems.push(format!("decision.mode is {} but the events say {}", short(&self.b.mode), short(&mode)));
        }
        let created = self.b.events.first().map(|e| e.ts.clone()).unwrap_or(Value::str(""));
        if self.b.created_at != created {
            problems.push(format!(
                "decision.created_at is {} but events[0].ts is {}",
                short(&self.b.created_at),
                short(&created)
            ));
        }
        // The state at export time lies between the last event and now.
        let at_now = d.state().as_upper();
        let status = self.b.status.as_str();
        // Only when the state now differs is the state at the last event needed.
        let at_last = if status == Some(at_now) {
            None
        } else {
            self.prepared
                .iter()
                .filter_map(|p| p.ts.and_then(|t| t.unix_micros()))
                .next_back()
                .and_then(|last| replay(self.b, &self.prepared, last).ok())
                .map(|d| d.state().as_upper())
        };
        if status != Some(at_now) && status != at_last {
            problems.push(format!(
                "decision.status is {} but replay gives {}{}",
                short(&self.b.status),
                at_now,
                at_last.filter(|s| *s != at_now).map(|s| format!(" (or {s} at the last event)")).unwrap_or_default()
            ));
        }
        Check::from_problems(
            "decision_header",
            "goal, mode, created_at and status equal what the events imply",
            problems,
        )
    }

    fn template_snapshot_derived(&self) -> Check {
        let Ok(d) = &self.replay_now else {
            return Check::fail(
                "template_snapshot_derived",
                "cannot derive the template snapshot: the events do not replay",
            );
        };
        let want = derive::template_snapshot(d);
        let got = self.raw.get("template_snapshot").cloned().unwrap_or(Value::Null);
        let ok = same(&got, &want) || (!self.in_package && same(&got, &crate::package::present_false()));
        let c = if ok {
            Check::pass("template_snapshot_derived", "template_snapshot equals the one derived from POLICY_ATTACHED")
        } else {
            Check::fail(
                "template_snapshot_derived",
                "template_snapshot differs from the one derived from POLICY_ATTACHED",
            )
        };
        c.with(Some(want), Some(got))
    }

    fn router_link_derived(&self) -> Check {
        let Ok(d) = &self.replay_now else {
            return Check::fail("router_link_derived", "cannot derive the router link: the events do not replay");
        };
        let want = Value::Object(derive::router_link(&self.decision_id, d));
        let got = self.raw.get("router_link").cloned().unwrap_or(Value::Null);
        let ok = same(&got, &want) || (!self.in_package && same(&got, &Value::Object(Map::new())));
        let c = if ok {
            Check::pass("router_link_derived", "router_link equals the one derived from the latest execution")
        } else {
            Check::fail("router_link_derived", "router_link differs from the one derived from the latest execution")
        };
        c.with(Some(want), Some(got))
    }

    fn link_digest(&self) -> Check {
        let rl = &self.b.router_link;
        let stored = rl.get("control_router_link_digest");
        let Some(run_id) = rl.get("run_id") else {
            return match stored {
                None => Check::pass("link_digest", "no run id, no link digest"),
                Some(s) => {
                    Check::fail("link_digest", "router_link.control_router_link_digest is present without a run_id")
                        .with(None, Some(s.clone()))
                }
            };
        };
        let raw = |k: &str| rl.get(k).and_then(Value::as_str).map(strip_prefix);
        let d =
            derive::link_digest(&self.b.decision_id, run_id, raw("router_request_digest"), raw("router_result_digest"));
        let want = Value::String(d.to_prefixed());
        match stored {
            Some(s) if *s == want => {
                Check::pass("link_digest", "control_router_link_digest equals the digest recomputed from decision id, run id and router digests")
            }
            other => Check::fail(
                "link_digest",
                "router_link.control_router_link_digest does not match the digest recomputed from decision_id, run_id and the router digests",
            )
            .with(Some(want), Some(other.cloned().unwrap_or(Value::Null))),
        }
    }

    fn advisories(&self) -> Vec<Check> {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        let mut last: Option<(usize, i64)> = None;
        for (i, p) in self.prepared.iter().enumerate() {
            if let Some(t) = p.ts.and_then(|t| t.unix_micros()) {
                if let Some((j, prev)) = last {
                    if t < prev {
                        problems.push(format!("events[{i}].ts is earlier than events[{j}].ts"));
                    }
                }
                last = Some((i, t));
            }
        }
        out.push(Check::from_problems(
            "timestamps_ordered",
            "event timestamps are non-decreasing in seq order",
            problems,
        ));
        out
    }
}

fn replay(b: &ParsedBundle, prepared: &[Prepared], now: i64) -> Result<Decision, ReplayError> {
    let mut d = Decision::new(now);
    for (i, (e, p)) in b.events.iter().zip(prepared).enumerate() {
        let et = py_str(&e.event_type);
        let ts = match p.ts {
            Some(t) => t,
            None => crate::replay::parse_ts(&e.ts).map_err(|err| err.at(i))?,
        };
        let ev =
            ReplayEvent { event_type: &et, payload: &e.payload, ts, actor_type: &p.actor_type, actor_id: &p.actor_id };
        d.apply(&ev).map_err(|err| err.at(i))?;
    }
    Ok(d)
}

fn ts_error(ts: &Value) -> String {
    match crate::replay::parse_ts(ts) {
        Err(e) => e.message().to_owned(),
        Ok(_) => "unparseable".to_owned(),
    }
}

/// A short rendering of a value for a detail line.
fn short(v: &Value) -> String {
    let s = canonical::to_display_string(v, None);
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// The strict lifecycle rules (`spec/packages.md` §6.3 `lifecycle_plausible`).
fn plausibility(b: &ParsedBundle, prepared: &[Prepared]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut d = Decision::new(0);
    let mut created = 0usize;
    let mut policies = 0usize;
    let mut prev_type: Option<&str> = None;
    for (i, (e, p)) in b.events.iter().zip(prepared).enumerate() {
        let Some(et) = e.event_type.as_str() else {
            problems.push(format!("events[{i}].type is not a string"));
            break;
        };
        let Some(ts) = p.ts else {
            problems.push(format!("events[{i}].ts does not parse"));
            break;
        };
        let ts_micros = ts.unix_micros().unwrap_or(0);
        let state = d.state();
        let is_system = p.actor_type == "system" && p.actor_id == SYSTEM_ACTOR_ID;
        match et {
            "DECISION_CREATED" => {
                if i != 0 {
                    problems.push(format!("events[{i}]: DECISION_CREATED is not the first event"));
                }
                created += 1;
                if created > 1 {
                    problems.push(format!("events[{i}]: a second DECISION_CREATED"));
                }
            }
            "POLICY_ATTACHED" => {
                policies += 1;
                if policies > 1 {
                    problems.push(format!("events[{i}]: a second POLICY_ATTACHED"));
                }
                if state != State::Draft || created == 0 {
                    problems.push(format!(
                        "events[{i}]: POLICY_ATTACHED in state {state} (expected after DECISION_CREATED, in draft)"
                    ));
                }
            }
            "APPROVAL_GRANTED" => {
                if !matches!(state, State::PendingApproval | State::Approved) {
                    problems.push(format!("events[{i}]: APPROVAL_GRANTED in state {state}"));
                }
                if let Some(a) = d.approval(&p.actor_id) {
                    if !a.revoked && a.is_active_at(ts_micros) != Some(false) {
                        problems
                            .push(format!("events[{i}]: {} approves again while their approval is active", p.actor_id));
                    }
                }
            }
            "APPROVAL_REVOKED" => {
                if matches!(state, State::Executing | State::Completed) {
                    problems.push(format!("events[{i}]: APPROVAL_REVOKED in state {state}"));
                }
                match d.approval(&p.actor_id) {
                    Some(a) if !a.revoked => {}
                    _ => problems.push(format!("events[{i}]: {} revokes without an active approval", p.actor_id)),
                }
            }
            "EXECUTION_REQUESTED" => match d.policy() {
                None => problems.push(format!("events[{i}]: EXECUTION_REQUESTED without a policy")),
                Some(policy) => {
                    let active = d.active_approval_count_at(ts_micros).unwrap_or(0);
                    if i64::try_from(active).unwrap_or(i64::MAX) < policy.min_approvals {
                        problems.push(format!(
                            "events[{i}]: EXECUTION_REQUESTED with {active} active approval(s), policy requires {}",
                            policy.min_approvals
                        ));
                    }
                    let mode = if e.payload.get("dry_run").is_some_and(Value::is_truthy) { "dry_run" } else { "apply" };
                    if !policy.allows_mode(mode) {
                        problems.push(format!(
                            "events[{i}]: EXECUTION_REQUESTED in mode {mode}, not allowed by the policy"
                        ));
                    }
                }
            },
            "EXECUTION_STARTED" if prev_type != Some("EXECUTION_REQUESTED") => {
                problems.push(format!("events[{i}]: EXECUTION_STARTED not immediately after EXECUTION_REQUESTED"));
            }
            "EXECUTION_COMPLETED" | "EXECUTION_FAILED" if prev_type != Some("EXECUTION_STARTED") => {
                problems.push(format!("events[{i}]: {et} not immediately after EXECUTION_STARTED"));
            }
            "TEMPLATE_CREATED" => problems.push(format!("events[{i}]: TEMPLATE_CREATED in a decision log")),
            _ => {}
        }
        if matches!(et, "EXECUTION_STARTED" | "EXECUTION_COMPLETED" | "EXECUTION_FAILED") && !is_system {
            problems.push(format!(
                "events[{i}]: {et} written by {}:{} (expected system:{SYSTEM_ACTOR_ID})",
                p.actor_type, p.actor_id
            ));
        }
        if i == 0 && et != "DECISION_CREATED" {
            problems.push(format!("events[0]: the log starts with {et}, not DECISION_CREATED"));
        }
        let ev =
            ReplayEvent { event_type: et, payload: &e.payload, ts, actor_type: &p.actor_type, actor_id: &p.actor_id };
        if let Err(err) = d.apply(&ev) {
            problems.push(format!("events[{i}]: {err}"));
            break;
        }
        prev_type = Some(et);
    }
    problems
}

// ---------------------------------------------------------------------------------------
// Document-level deep checks
// ---------------------------------------------------------------------------------------

fn unknown_keys(m: &Map, allowed: &[&str], path: &str, out: &mut Vec<String>) {
    for k in m.keys() {
        if !allowed.contains(&k) {
            out.push(format!("unknown key `{}`", join(path, k)));
        }
    }
}

fn required_keys(m: &Map, keys: &[&str], path: &str, out: &mut Vec<String>) {
    for k in keys {
        if !m.contains_key(k) {
            out.push(format!("missing key `{}` (the reference silently defaults it)", join(path, k)));
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

const BUNDLE_KEYS: [&str; 8] =
    ["bundle_version", "decision", "events", "template_snapshot", "router_link", "integrity", "provenance", "meta"];
const PACKAGE_KEYS: [&str; 7] =
    ["package_version", "control_bundle", "router", "binding", "integrity", "provenance", "meta"];

fn schema_bundle(v: &Value, path: &str, out: &mut Vec<String>) {
    let Some(top) = v.as_object() else { return };
    unknown_keys(top, &BUNDLE_KEYS, path, out);
    required_keys(
        top,
        &["bundle_version", "events", "template_snapshot", "router_link", "provenance", "meta"],
        path,
        out,
    );
    if let Some(d) = top.get("decision").and_then(Value::as_object) {
        let p = join(path, "decision");
        unknown_keys(d, &["decision_id", "goal", "mode", "created_at", "status"], &p, out);
        required_keys(d, &["goal", "mode"], &p, out);
    }
    if let Some(events) = top.get("events").and_then(Value::as_array) {
        for (i, e) in events.iter().enumerate() {
            if let Some(em) = e.as_object() {
                let p = format!("{}[{i}]", join(path, "events"));
                unknown_keys(
                    em,
                    &["event_id", "decision_id", "seq", "type", "payload", "ts", "actor", "digest"],
                    &p,
                    out,
                );
                required_keys(em, &["payload", "actor", "digest"], &p, out);
            }
        }
    }
    if let Some(t) = top.get("template_snapshot").and_then(Value::as_object) {
        let p = join(path, "template_snapshot");
        match t.get("present") {
            Some(Value::Bool(true)) => {
                unknown_keys(t, &["present", "name", "digest", "snapshot", "overrides"], &p, out);
                required_keys(t, &["name", "digest", "snapshot", "overrides"], &p, out);
            }
            Some(Value::Bool(false)) => {
                if t.len() != 1 {
                    out.push(format!("`{p}` with present false must have no other key"));
                }
            }
            _ => out.push(format!("`{p}.present` must be a boolean")),
        }
    }
    if let Some(r) = top.get("router_link").and_then(Value::as_object) {
        let p = join(path, "router_link");
        unknown_keys(r, &crate::package::ROUTER_LINK_KEYS, &p, out);
        for (k, val) in r.iter() {
            if val.is_null() {
                out.push(format!("`{}` is null (the reference drops it before hashing)", join(&p, k)));
            }
        }
    }
    if let Some(i) = top.get("integrity").and_then(Value::as_object) {
        let p = join(path, "integrity");
        unknown_keys(i, &["alg", "canonical_digest"], &p, out);
        required_keys(i, &["alg"], &p, out);
    }
    schema_provenance(top.get("provenance"), &join(path, "provenance"), out);
    schema_meta(top.get("meta"), &join(path, "meta"), out);
}

fn schema_provenance(v: Option<&Value>, path: &str, out: &mut Vec<String>) {
    let Some(p) = v.and_then(Value::as_object) else { return };
    unknown_keys(p, &["records"], path, out);
    if let Some(records) = p.get("records").and_then(Value::as_array) {
        for (i, r) in records.iter().enumerate() {
            if let Some(rm) = r.as_object() {
                let rp = format!("{path}.records[{i}]");
                unknown_keys(rm, &["prov_id", "method_id", "inputs", "outputs"], &rp, out);
                required_keys(rm, &["inputs", "outputs"], &rp, out);
            }
        }
    }
}

fn schema_meta(v: Option<&Value>, path: &str, out: &mut Vec<String>) {
    match v {
        None => {}
        Some(Value::Object(m)) => unknown_keys(m, &["exported_at"], path, out),
        Some(other) => out.push(format!("`{path}` must be an object, found {}", other.type_name())),
    }
}

fn schema_strict_bundle(v: &Value) -> Check {
    let mut problems = Vec::new();
    schema_bundle(v, "", &mut problems);
    Check::from_problems("schema_strict", "no unknown keys and no defaulted keys", problems)
}

fn schema_strict_package(v: &Value) -> Check {
    let mut problems = Vec::new();
    if let Some(top) = v.as_object() {
        unknown_keys(top, &PACKAGE_KEYS, "", &mut problems);
        required_keys(top, &["package_version"], "", &mut problems);
        if let Some(cb) = top.get("control_bundle") {
            schema_bundle(cb, "control_bundle", &mut problems);
        }
        if let Some(r) = top.get("router").and_then(Value::as_object) {
            match r.get("mode").and_then(Value::as_str) {
                Some("reference") => {
                    unknown_keys(r, &["mode", "ref"], "router", &mut problems);
                    match r.get("ref") {
                        Some(Value::Object(rm)) => {
                            unknown_keys(rm, &["run_id", "digest"], "router.ref", &mut problems);
                        }
                        _ => problems.push("`router.ref` must be an object in reference mode".to_owned()),
                    }
                }
                Some("embedded") => {
                    unknown_keys(r, &["mode", "bundle"], "router", &mut problems);
                    if r.get("bundle").is_none_or(|b| b.as_object().is_none()) {
                        problems.push("`router.bundle` must be an object in embedded mode".to_owned());
                    }
                }
                _ => problems.push("`router.mode` must be `reference` or `embedded`".to_owned()),
            }
        }
        if let Some(b) = top.get("binding").and_then(Value::as_object) {
            unknown_keys(
                b,
                &["control_digest", "router_digest", "control_router_link_digest"],
                "binding",
                &mut problems,
            );
        }
        if let Some(i) = top.get("integrity").and_then(Value::as_object) {
            unknown_keys(i, &["alg", "binding_digest"], "integrity", &mut problems);
            required_keys(i, &["alg"], "integrity", &mut problems);
        }
        schema_provenance(top.get("provenance"), "provenance", &mut problems);
        schema_meta(top.get("meta"), "meta", &mut problems);
    }
    Check::from_problems("schema_strict", "no unknown keys, no defaulted keys, router section well-formed", problems)
}

fn format_versions(v: &Value, package: bool) -> Check {
    let mut problems = Vec::new();
    let bundle = if package { v.get("control_bundle").unwrap_or(&Value::Null) } else { v };
    let bpath = if package { "control_bundle.bundle_version" } else { "bundle_version" };
    if package {
        match v.get("package_version") {
            Some(Value::String(s)) if s == PACKAGE_VERSION => {}
            Some(other) => {
                problems.push(format!("package_version is {} (expected \"{PACKAGE_VERSION}\")", short(other)))
            }
            None => problems.push(format!("package_version is missing (expected \"{PACKAGE_VERSION}\")")),
        }
    }
    match bundle.get("bundle_version") {
        Some(Value::String(s)) if s == BUNDLE_VERSION => {}
        Some(other) => problems.push(format!("{bpath} is {} (expected \"{BUNDLE_VERSION}\")", short(other))),
        None => problems.push(format!("{bpath} is missing (expected \"{BUNDLE_VERSION}\")")),
    }
    Check::from_problems("format_versions", "format versions are present and known", problems)
}

fn integrity_alg(v: &Value, package: bool) -> Check {
    let mut problems = Vec::new();
    let mut check = |path: &str, integrity: Option<&Value>| match integrity.and_then(|i| i.get("alg")) {
        Some(Value::String(s)) if s == "sha256" => {}
        Some(other) => problems.push(format!("{path}.alg is {} (expected \"sha256\")", short(other))),
        None => problems.push(format!("{path}.alg is missing (expected \"sha256\")")),
    };
    if package {
        check("integrity", v.get("integrity"));
        check("control_bundle.integrity", v.get("control_bundle").and_then(|c| c.get("integrity")));
    } else {
        check("integrity", v.get("integrity"));
    }
    Check::from_problems("integrity_alg", "integrity algorithms are sha256", problems)
}

fn check_prefixed(path: &str, v: Option<&Value>, out: &mut Vec<String>) {
    match v {
        Some(Value::String(s)) if digest::is_prefixed_digest(s) => {}
        Some(other) => out.push(format!("{path} is {} (expected sha256: + 64 lower-case hex)", short(other))),
        None => out.push(format!("{path} is missing")),
    }
}

fn bundle_digest_problems(b: &ParsedBundle, prefix: &str, out: &mut Vec<String>) {
    check_prefixed(&join(prefix, "integrity.canonical_digest"), Some(&b.canonical_digest), out);
    for k in ["router_request_digest", "router_result_digest", "control_router_link_digest"] {
        if let Some(v) = b.router_link.get(k) {
            check_prefixed(&join(prefix, &format!("router_link.{k}")), Some(v), out);
        }
    }
    if b.template_snapshot.get("present") == Some(&Value::Bool(true)) {
        check_prefixed(&join(prefix, "template_snapshot.digest"), b.template_snapshot.get("digest"), out);
    }
    for (i, e) in b.events.iter().enumerate() {
        if !e.digest.as_str().is_some_and(digest::is_hex_digest) {
            out.push(format!(
                "{}[{i}].digest is {} (expected 64 lower-case hex)",
                join(prefix, "events"),
                short(&e.digest)
            ));
        }
    }
}

fn bundle_digest_format(b: &ParsedBundle) -> Check {
    let mut problems = Vec::new();
    bundle_digest_problems(b, "", &mut problems);
    Check::from_problems("digest_format", "every digest is written in its canonical form", problems)
}

fn digest_format(p: &ParsedPackage) -> Check {
    let mut problems = Vec::new();
    check_prefixed("integrity.binding_digest", Some(&p.binding_digest), &mut problems);
    check_prefixed("binding.control_digest", Some(&p.control_digest), &mut problems);
    check_prefixed("binding.router_digest", Some(&p.router_digest), &mut problems);
    check_prefixed("binding.control_router_link_digest", Some(&p.control_router_link_digest), &mut problems);
    bundle_digest_problems(&p.control_bundle, "control_bundle", &mut problems);
    match p.router.mode.as_str() {
        Some("reference") => {
            check_prefixed("router.ref.digest", p.router.reference.as_ref().map(|(_, d)| d), &mut problems)
        }
        Some("embedded") => check_prefixed(
            "router.bundle.integrity.canonical_digest",
            p.router.bundle.as_ref().and_then(|b| b.get("integrity")).and_then(|i| i.get("canonical_digest")),
            &mut problems,
        ),
        _ => {}
    }
    Check::from_problems("digest_format", "every digest is written in its canonical form", problems)
}

fn provenance_problems(
    records: &[crate::package::ParsedProvenanceRecord],
    want: &Value,
    path: &str,
    present: bool,
    out: &mut Vec<String>,
) {
    if !present {
        out.push(format!("{path} is missing"));
        return;
    }
    let want_record = want.get("records").and_then(Value::as_array).and_then(|r| r.first());
    if records.len() != 1 {
        out.push(format!("{path} has {} records (expected exactly one)", records.len()));
        return;
    }
    let (Some(r), Some(w)) = (records.first(), want_record) else { return };
    for (k, got) in
        [("prov_id", &r.prov_id), ("method_id", &r.method_id), ("inputs", &r.inputs), ("outputs", &r.outputs)]
    {
        if let Some(wv) = w.get(k) {
            if !same(got, wv) {
                out.push(format!("{path}.records[0].{k} is {} (expected {})", short(got), short(wv)));
            }
        }
    }
}

fn provenance_consistent(b: &ParsedBundle, p: Option<&ParsedPackage>) -> Check {
    let mut problems = Vec::new();
    let decision_id = py_str(&b.decision_id);
    let cb_prefix = if p.is_some() { "control_bundle.provenance" } else { "provenance" };
    match b.canonical_digest.as_str() {
        Some(s) => {
            let want = derive::bundle_provenance(&decision_id, strip_prefix(s));
            // presence: a parsed bundle without provenance has no records
            provenance_problems(&b.provenance, &want, cb_prefix, true, &mut problems);
        }
        None => problems.push(format!("{cb_prefix}: cannot recompute, canonical_digest is not a string")),
    }
    if let Some(p) = p {
        match p.binding_digest.as_str() {
            Some(s) => {
                let want = derive::package_provenance(&decision_id, strip_prefix(s));
                provenance_problems(&p.provenance, &want, "provenance", true, &mut problems);
            }
            None => problems.push("provenance: cannot recompute, binding_digest is not a string".to_owned()),
        }
    }
    Check::from_problems(
        "provenance_consistent",
        "provenance records equal the ones derived from decision id and digests",
        problems,
    )
}

fn router_run_id(p: &ParsedPackage) -> Check {
    let want = p.control_bundle.router_link.get("run_id");
    let mut problems = Vec::new();
    let Some(want) = want else {
        return Check::fail("router_run_id", "control_bundle.router_link has no run_id to bind the router section to");
    };
    match p.router.mode.as_str() {
        Some("reference") => match &p.router.reference {
            Some((run_id, _)) if run_id == want => {}
            Some((run_id, _)) => {
                problems.push(format!("router.ref.run_id is {} but the executed run is {}", short(run_id), short(want)))
            }
            None => problems.push("router.ref is missing".to_owned()),
        },
        Some("embedded") => {
            let bundle = p.router.bundle.as_ref();
            let mut seen = 0usize;
            if let Some(top) = bundle.and_then(|b| b.get("run_id")) {
                seen += 1;
                if top != want {
                    problems.push(format!(
                        "router.bundle.run_id is {} but the executed run is {}",
                        short(top),
                        short(want)
                    ));
                }
            }
            if let Some(r) = bundle.and_then(|b| b.get("run")).and_then(|r| r.get("run_id")) {
                seen += 1;
                if r != want {
                    problems.push(format!(
                        "router.bundle.run.run_id is {} but the executed run is {}",
                        short(r),
                        short(want)
                    ));
                }
            }
            if let Some(events) = bundle.and_then(|b| b.get("events")).and_then(Value::as_array) {
                for (i, e) in events.iter().enumerate() {
                    if let Some(r) = e.get("run_id") {
                        seen += 1;
                        if r != want {
                            problems.push(format!(
                                "router.bundle.events[{i}].run_id is {} but the executed run is {}",
                                short(r),
                                short(want)
                            ));
                        }
                    }
                }
            }
            if seen == 0 {
                problems.push("router.bundle names no run id".to_owned());
            }
        }
        _ => problems.push("router.mode is neither reference nor embedded".to_owned()),
    }
    Check::from_problems("router_run_id", "the router section names the run the control bundle executed", problems)
}

/// The nexus-router 0.3 bundle digest: SHA-256 of router-dialect canonical JSON of
/// `{"run": run, "events": events}` (raw hex).
pub fn router_bundle_digest(run: &Value, events: &Value) -> Digest {
    let mut sink = canonical::HashSink::new();
    // Router dialect writes non-finite floats, so this cannot fail.
    let _ = canonical::write_entries(&[("run", run), ("events", events)], Dialect::Router, &mut sink);
    sink.finish()
}

fn router_bundle_rehash(p: &ParsedPackage) -> Check {
    if p.router.mode.as_str() != Some("embedded") {
        return Check::pass("router_bundle_rehash", "not applicable: no embedded router bundle");
    }
    let Some(b) = p.router.bundle.as_ref().and_then(Value::as_object) else {
        return Check::fail("router_bundle_rehash", "router.bundle is not an object");
    };
    let (Some(run @ Value::Object(_)), Some(events @ Value::Array(_))) = (b.get("run"), b.get("events")) else {
        return Check::fail("router_bundle_rehash", "router.bundle has no run object and events array to re-hash");
    };
    let d = router_bundle_digest(run, events);
    let hex = Value::String(d.to_hex());
    let mut problems = Vec::new();
    if let Some(own) = b.get("digests").and_then(|x| x.get("sha256")) {
        if *own != hex {
            problems.push(format!(
                "router.bundle.digests.sha256 is {} but run and events hash to {}",
                short(own),
                d.to_hex()
            ));
        }
    }
    match b.get("integrity").and_then(|i| i.get("canonical_digest")) {
        Some(Value::String(s)) if strip_prefix(s) == d.to_hex() => {}
        Some(other) => problems.push(format!(
            "router.bundle.integrity.canonical_digest is {} but run and events hash to sha256:{}",
            short(other),
            d.to_hex()
        )),
        None => problems.push("router.bundle.integrity.canonical_digest is missing".to_owned()),
    }
    Check::from_problems("router_bundle_rehash", "the embedded router bundle re-hashes to its own digests", problems)
        .with(Some(Value::String(d.to_prefixed())), None)
}

fn expected_binding(pin: &str, p: &ParsedPackage, recomputed: &Digest) -> Check {
    let pin_hex = strip_prefix(pin.trim());
    let stored = p.binding_digest.as_str().map(strip_prefix);
    let ok = pin_hex == recomputed.to_hex() && stored == Some(pin_hex);
    let c = if ok {
        Check::pass("expected_binding", "the binding digest equals the one the caller pinned")
    } else {
        Check::fail("expected_binding", "the binding digest differs from the one the caller pinned")
    };
    c.with(Some(Value::String(format!("sha256:{pin_hex}"))), Some(Value::String(recomputed.to_prefixed())))
}

fn router_ref_is_result_digest(p: &ParsedPackage) -> Check {
    if p.router.mode.as_str() != Some("reference") {
        return Check::pass("router_ref_is_result_digest", "not applicable: router section is not in reference mode");
    }
    let result = p.control_bundle.router_link.get("router_result_digest");
    if result.is_some_and(|r| *r == p.router_digest) {
        Check::pass("router_ref_is_result_digest", "binding.router_digest is the control bundle's router_result_digest")
    } else {
        Check::fail(
            "router_ref_is_result_digest",
            "binding.router_digest names an external router bundle that cannot be checked offline",
        )
        .with(result.cloned(), Some(p.router_digest.clone()))
    }
}

fn router_run_matches_execution(p: &ParsedPackage, ctx: &Deep<'_>) -> Check {
    let name = "router_run_matches_execution";
    let Some(b) = p.router.bundle.as_ref().filter(|_| p.router.mode.as_str() == Some("embedded")) else {
        return Check::pass(name, "not applicable: no embedded router bundle");
    };
    let Some(run) = b.get("run").and_then(Value::as_object) else {
        return Check::fail(name, "the embedded router bundle has no run to compare");
    };
    let mut problems = Vec::new();
    if let Ok(d) = &ctx.replay_now {
        if let Some(x) = d.latest_execution() {
            let mode = if x.dry_run { "dry_run" } else { "apply" };
            if run.get("mode").and_then(Value::as_str) != Some(mode) {
                problems.push(format!(
                    "run.mode is {} but the execution was {mode}",
                    short(run.get("mode").unwrap_or(&Value::Null))
                ));
            }
        }
        if run.get("goal").and_then(Value::as_str) != d.goal() {
            problems.push("run.goal differs from the decision goal".to_owned());
        }
    }
    if run.get("status").and_then(Value::as_str) != Some("COMPLETED") {
        problems.push("run.status is not COMPLETED".to_owned());
    }
    if b.get("bundle_version").and_then(Value::as_str) != Some("0.3") {
        problems.push("router bundle_version is not 0.3".to_owned());
    }
    Check::from_problems(name, "the embedded run matches the execution the decision authorized", problems)
}

fn unauthenticated_content(v: &Value, package: bool) -> Check {
    let mut found = Vec::new();
    let mut note = |path: &str, m: Option<&Value>| match m {
        Some(x) => found.push(format!("{path} = {} (no digest covers it)", short(x))),
        None => found.push(format!("{path} is absent (no digest covers its presence)")),
    };
    note("meta", v.get("meta"));
    if package {
        note("control_bundle.meta", v.get("control_bundle").and_then(|c| c.get("meta")));
    }
    Check {
        name: "unauthenticated_content",
        ok: false,
        expected: None,
        actual: Some(Value::Array(found.iter().cloned().map(Value::String).collect())),
        detail: Some(format!("unauthenticated: {}", found.join("; "))),
    }
}
