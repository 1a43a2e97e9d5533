//! Reading decision bundles and audit packages the way the reference does: which keys
//! are required, which default, which are kept whole and which are dropped before the
//! digests are recomputed (`spec/packages.md` §2).

use std::fmt;

use crate::canonical::{self, CanonicalError, Dialect, HashSink, Sink};
use crate::digest::Digest;
use crate::json::{Map, Value};

/// The decision bundle format version this crate writes and expects.
pub const BUNDLE_VERSION: &str = "0.5";
/// The audit package format version this crate writes and expects.
pub const PACKAGE_VERSION: &str = "0.6";

/// A document that cannot be read as a bundle or package (the reference raises here).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShapeError {
    /// A required key is missing; `path` names it (e.g. `control_bundle.decision.status`).
    MissingKey {
        /// Dotted path of the missing key.
        path: String,
    },
    /// A value has the wrong JSON type.
    WrongType {
        /// Dotted path of the value.
        path: String,
        /// What was expected (`object`, `array`).
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
}

impl ShapeError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ShapeError::MissingKey { .. } => "SHAPE_MISSING_KEY",
            ShapeError::WrongType { .. } => "SHAPE_WRONG_TYPE",
        }
    }

    /// The path of the offending element.
    pub fn path(&self) -> &str {
        match self {
            ShapeError::MissingKey { path } | ShapeError::WrongType { path, .. } => path,
        }
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::MissingKey { path } => write!(f, "missing required key `{path}`"),
            ShapeError::WrongType { path, expected, found } => {
                write!(f, "`{path}` must be {} {expected}, found {found}", article(expected))
            }
        }
    }
}

fn article(s: &str) -> &'static str {
    if s.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

impl std::error::Error for ShapeError {}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map, ShapeError> {
    v.as_object().ok_or_else(|| ShapeError::WrongType {
        path: path.to_owned(),
        expected: "object",
        found: v.type_name(),
    })
}

fn req<'a>(m: &'a Map, prefix: &str, key: &str) -> Result<&'a Value, ShapeError> {
    m.get(key).ok_or_else(|| ShapeError::MissingKey { path: join(prefix, key) })
}

fn opt_or(m: &Map, key: &str, default: Value) -> Value {
    m.get(key).cloned().unwrap_or(default)
}

/// One event as the reference reads it: the eight keys of the bundle event shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEvent {
    /// `event_id`, any JSON value.
    pub event_id: Value,
    /// `decision_id`, any JSON value.
    pub decision_id: Value,
    /// `seq`, any JSON value.
    pub seq: Value,
    /// `type`, any JSON value.
    pub event_type: Value,
    /// `payload`, kept whole (`{}` when absent).
    pub payload: Value,
    /// `ts`, any JSON value.
    pub ts: Value,
    /// `actor`, kept whole (`{}` when absent).
    pub actor: Value,
    /// `digest` (`""` when absent).
    pub digest: Value,
}

impl ParsedEvent {
    /// The event in bundle shape (the object that the bundle digest hashes).
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(8);
        m.insert("event_id", self.event_id.clone());
        m.insert("decision_id", self.decision_id.clone());
        m.insert("seq", self.seq.clone());
        m.insert("type", self.event_type.clone());
        m.insert("payload", self.payload.clone());
        m.insert("ts", self.ts.clone());
        m.insert("actor", self.actor.clone());
        m.insert("digest", self.digest.clone());
        Value::Object(m)
    }
}

/// A provenance record as the reference reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedProvenanceRecord {
    /// `prov_id`.
    pub prov_id: Value,
    /// `method_id`.
    pub method_id: Value,
    /// `inputs` (`[]` when absent).
    pub inputs: Value,
    /// `outputs` (`[]` when absent).
    pub outputs: Value,
}

fn parse_provenance(v: Option<&Value>, prefix: &str) -> Result<Vec<ParsedProvenanceRecord>, ShapeError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let path = join(prefix, "provenance");
    let m = obj(v, &path)?;
    let Some(records) = m.get("records") else { return Ok(Vec::new()) };
    let rpath = join(&path, "records");
    let arr = records.as_array().ok_or_else(|| ShapeError::WrongType {
        path: rpath.clone(),
        expected: "array",
        found: records.type_name(),
    })?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, r) in arr.iter().enumerate() {
        let p = format!("{rpath}[{i}]");
        let rm = obj(r, &p)?;
        out.push(ParsedProvenanceRecord {
            prov_id: req(rm, &p, "prov_id")?.clone(),
            method_id: req(rm, &p, "method_id")?.clone(),
            inputs: opt_or(rm, "inputs", Value::Array(Vec::new())),
            outputs: opt_or(rm, "outputs", Value::Array(Vec::new())),
        });
    }
    Ok(out)
}

/// A decision bundle as the reference reads it (`spec/packages.md` §2).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedBundle {
    /// `bundle_version` (`"0.5"` when absent).
    pub bundle_version: Value,
    /// `decision.decision_id`.
    pub decision_id: Value,
    /// `decision.goal` (null when absent).
    pub goal: Value,
    /// `decision.mode` (`"dry_run"` when absent).
    pub mode: Value,
    /// `decision.created_at`.
    pub created_at: Value,
    /// `decision.status`.
    pub status: Value,
    /// `events`, in array order.
    pub events: Vec<ParsedEvent>,
    /// `template_snapshot` normalised: `{"present": false}` or the five keys.
    pub template_snapshot: Value,
    /// `router_link` with only the known, non-null keys.
    pub router_link: Map,
    /// `integrity.alg` (`"sha256"` when absent).
    pub alg: Value,
    /// `integrity.canonical_digest`.
    pub canonical_digest: Value,
    /// Provenance records.
    pub provenance: Vec<ParsedProvenanceRecord>,
    /// `meta`, kept whole (`{}` when absent).
    pub meta: Value,
}

/// The router link keys the reference keeps, in its output order.
pub const ROUTER_LINK_KEYS: [&str; 5] =
    ["run_id", "adapter_id", "router_request_digest", "router_result_digest", "control_router_link_digest"];

impl ParsedBundle {
    /// Read `v` as a decision bundle; `prefix` is the path used in errors (e.g.
    /// `control_bundle`). Never panics.
    pub fn parse(v: &Value, prefix: &str) -> Result<ParsedBundle, ShapeError> {
        let top = obj(v, if prefix.is_empty() { "$" } else { prefix })?;
        let dpath = join(prefix, "decision");
        let decision = obj(req(top, prefix, "decision")?, &dpath)?;
        let decision_id = req(decision, &dpath, "decision_id")?.clone();
        let goal = opt_or(decision, "goal", Value::Null);
        let mode = opt_or(decision, "mode", Value::str("dry_run"));
        let created_at = req(decision, &dpath, "created_at")?.clone();
        let status = req(decision, &dpath, "status")?.clone();

        let epath = join(prefix, "events");
        let mut events = Vec::new();
        if let Some(ev) = top.get("events") {
            let arr = ev.as_array().ok_or_else(|| ShapeError::WrongType {
                path: epath.clone(),
                expected: "array",
                found: ev.type_name(),
            })?;
            events.reserve(arr.len());
            for (i, e) in arr.iter().enumerate() {
                let p = format!("{epath}[{i}]");
                let em = obj(e, &p)?;
                events.push(ParsedEvent {
                    event_id: req(em, &p, "event_id")?.clone(),
                    decision_id: req(em, &p, "decision_id")?.clone(),
                    seq: req(em, &p, "seq")?.clone(),
                    event_type: req(em, &p, "type")?.clone(),
                    payload: opt_or(em, "payload", Value::Object(Map::new())),
                    ts: req(em, &p, "ts")?.clone(),
                    actor: opt_or(em, "actor", Value::Object(Map::new())),
                    digest: opt_or(em, "digest", Value::str("")),
                });
            }
        }

        let tpath = join(prefix, "template_snapshot");
        let template_snapshot = match top.get("template_snapshot") {
            None => present_false(),
            Some(t) => {
                let tm = obj(t, &tpath)?;
                if tm.get("present").is_some_and(Value::is_truthy) {
                    let mut m = Map::with_capacity(5);
                    m.insert("present", Value::Bool(true));
                    for k in ["name", "digest", "snapshot", "overrides"] {
                        m.insert(k, opt_or(tm, k, Value::Null));
                    }
                    Value::Object(m)
                } else {
                    present_false()
                }
            }
        };

        let rpath = join(prefix, "router_link");
        let mut router_link = Map::new();
        match top.get("router_link") {
            None | Some(Value::Null) => {}
            Some(r) => {
                let rm = obj(r, &rpath)?;
                for k in ROUTER_LINK_KEYS {
                    if let Some(val) = rm.get(k) {
                        if !val.is_null() {
                            router_link.insert(k, val.clone());
                        }
                    }
                }
            }
        }

        let ipath = join(prefix, "integrity");
        let integrity = obj(req(top, prefix, "integrity")?, &ipath)?;
        let alg = opt_or(integrity, "alg", Value::str("sha256"));
        let canonical_digest = req(integrity, &ipath, "canonical_digest")?.clone();

        let provenance = parse_provenance(top.get("provenance"), prefix)?;
        let meta = opt_or(top, "meta", Value::Object(Map::new()));

        Ok(ParsedBundle {
            bundle_version: opt_or(top, "bundle_version", Value::str(BUNDLE_VERSION)),
            decision_id,
            goal,
            mode,
            created_at,
            status,
            events,
            template_snapshot,
            router_link,
            alg,
            canonical_digest,
            provenance,
            meta,
        })
    }

    /// The decision header object (`decision_id`, `goal`, `mode`, `created_at`, `status`).
    pub fn decision_value(&self) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("decision_id", self.decision_id.clone());
        m.insert("goal", self.goal.clone());
        m.insert("mode", self.mode.clone());
        m.insert("created_at", self.created_at.clone());
        m.insert("status", self.status.clone());
        Value::Object(m)
    }

    /// The five-member object the bundle digest hashes, events in array order.
    pub fn digest_payload(&self) -> Value {
        bundle_digest_payload(
            self.bundle_version.clone(),
            self.decision_value(),
            self.events.iter().map(ParsedEvent::to_value).collect(),
            self.template_snapshot.clone(),
            Value::Object(self.router_link.clone()),
        )
    }

    /// Write the canonical bytes of [`ParsedBundle::digest_payload`] without copying
    /// the events.
    pub fn write_digest_payload(&self, out: &mut dyn Sink) -> Result<(), CanonicalError> {
        // Keys in code point order: bundle_version, decision, events, router_link,
        // template_snapshot.
        let d = Dialect::Attest;
        out.put(b"{\"bundle_version\":");
        canonical::write(&self.bundle_version, d, out)?;
        out.put(b",\"decision\":");
        canonical::write_entries(
            &[
                ("decision_id", &self.decision_id),
                ("goal", &self.goal),
                ("mode", &self.mode),
                ("created_at", &self.created_at),
                ("status", &self.status),
            ],
            d,
            out,
        )?;
        out.put(b",\"events\":[");
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                out.put(b",");
            }
            canonical::write_entries(
                &[
                    ("event_id", &e.event_id),
                    ("decision_id", &e.decision_id),
                    ("seq", &e.seq),
                    ("type", &e.event_type),
                    ("payload", &e.payload),
                    ("ts", &e.ts),
                    ("actor", &e.actor),
                    ("digest", &e.digest),
                ],
                d,
                out,
            )?;
        }
        out.put(b"],\"router_link\":");
        let rl: Vec<(&str, &Value)> = self.router_link.iter().collect();
        canonical::write_entries(&rl, d, out)?;
        out.put(b",\"template_snapshot\":");
        canonical::write(&self.template_snapshot, d, out)?;
        out.put(b"}");
        Ok(())
    }

    /// The recomputed bundle digest over the parsed content (events in array order).
    pub fn recompute_digest(&self) -> Digest {
        let mut sink = HashSink::new();
        // Parsed JSON holds no non-finite float, so the canonical writer cannot fail;
        // a value built by hand with NaN hashes whatever was written before it.
        let _ = self.write_digest_payload(&mut sink);
        sink.finish()
    }
}

/// `{"present": false}`.
pub fn present_false() -> Value {
    let mut m = Map::with_capacity(1);
    m.insert("present", Value::Bool(false));
    Value::Object(m)
}

/// The five-member preimage of a bundle digest.
pub fn bundle_digest_payload(
    bundle_version: Value,
    decision: Value,
    events: Vec<Value>,
    template_snapshot: Value,
    router_link: Value,
) -> Value {
    let mut m = Map::with_capacity(5);
    m.insert("bundle_version", bundle_version);
    m.insert("decision", decision);
    m.insert("events", Value::Array(events));
    m.insert("template_snapshot", template_snapshot);
    m.insert("router_link", router_link);
    Value::Object(m)
}

/// The four-member preimage of a binding digest.
pub fn binding_digest_payload(
    package_version: Value,
    control_digest: Value,
    router_digest: Value,
    control_router_link_digest: Value,
) -> Value {
    let mut m = Map::with_capacity(4);
    m.insert("package_version", package_version);
    m.insert("control_digest", control_digest);
    m.insert("router_digest", router_digest);
    m.insert("control_router_link_digest", control_router_link_digest);
    Value::Object(m)
}

/// The router section of a package as the reference reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRouter {
    /// `mode`, any value.
    pub mode: Value,
    /// `bundle`, kept whole; `None` when absent or null.
    pub bundle: Option<Value>,
    /// `ref` (`run_id`, `digest`) when truthy.
    pub reference: Option<(Value, Value)>,
}

/// An audit package as the reference reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPackage {
    /// `package_version` (`"0.6"` when absent).
    pub package_version: Value,
    /// The control bundle.
    pub control_bundle: ParsedBundle,
    /// The router section.
    pub router: ParsedRouter,
    /// `binding.control_digest`.
    pub control_digest: Value,
    /// `binding.router_digest`.
    pub router_digest: Value,
    /// `binding.control_router_link_digest`.
    pub control_router_link_digest: Value,
    /// `integrity.alg` (`"sha256"` when absent).
    pub alg: Value,
    /// `integrity.binding_digest`.
    pub binding_digest: Value,
    /// Provenance records.
    pub provenance: Vec<ParsedProvenanceRecord>,
    /// `meta`, kept whole.
    pub meta: Value,
}

impl ParsedPackage {
    /// Read `v` as an audit package. Never panics.
    pub fn parse(v: &Value) -> Result<ParsedPackage, ShapeError> {
        let top = obj(v, "$")?;
        let control_bundle = ParsedBundle::parse(req(top, "", "control_bundle")?, "control_bundle")?;
        let router_v = obj(req(top, "", "router")?, "router")?;
        let mode = req(router_v, "router", "mode")?.clone();
        let bundle = match router_v.get("bundle") {
            None | Some(Value::Null) => None,
            Some(b) => Some(b.clone()),
        };
        let reference = match router_v.get("ref") {
            Some(r) if r.is_truthy() => {
                let rm = r.as_object().ok_or_else(|| ShapeError::WrongType {
                    path: "router.ref".to_owned(),
                    expected: "object",
                    found: r.type_name(),
                })?;
                Some((req(rm, "router.ref", "run_id")?.clone(), req(rm, "router.ref", "digest")?.clone()))
            }
            _ => None,
        };
        let binding = obj(req(top, "", "binding")?, "binding")?;
        let control_digest = req(binding, "binding", "control_digest")?.clone();
        let router_digest = req(binding, "binding", "router_digest")?.clone();
        let control_router_link_digest = req(binding, "binding", "control_router_link_digest")?.clone();
        let integrity = obj(req(top, "", "integrity")?, "integrity")?;
        let alg = opt_or(integrity, "alg", Value::str("sha256"));
        let binding_digest = req(integrity, "integrity", "binding_digest")?.clone();
        let provenance = parse_provenance(top.get("provenance"), "")?;
        Ok(ParsedPackage {
            package_version: opt_or(top, "package_version", Value::str(PACKAGE_VERSION)),
            control_bundle,
            router: ParsedRouter { mode, bundle, reference },
            control_digest,
            router_digest,
            control_router_link_digest,
            alg,
            binding_digest,
            provenance,
            meta: opt_or(top, "meta", Value::Object(Map::new())),
        })
    }

    /// The recomputed binding digest over the parsed binding fields.
    pub fn recompute_binding_digest(&self) -> Digest {
        let payload = binding_digest_payload(
            self.package_version.clone(),
            self.control_digest.clone(),
            self.router_digest.clone(),
            self.control_router_link_digest.clone(),
        );
        canonical::digest(&payload).unwrap_or(Digest::from_bytes([0; 32]))
    }
}
