//! Decision bundle export and audit package export (`spec/packages.md` §1, §4), with
//! their renderings. Everything is derived from the replayed event log; only
//! `meta.exported_at` comes from the clock.

use attest_events::{Map, Value};
use attest_store::Store;
use attest_verify::derive;
use attest_verify::digest::{is_prefixed_digest, strip_prefix, Digest};
use attest_verify::package::{
    binding_digest_payload, bundle_digest_payload, present_false, BUNDLE_VERSION, PACKAGE_VERSION,
};

use crate::engine::Engine;
use crate::error::{CoreError, PackageCode};
use crate::lifecycle::Loaded;

/// Options of a bundle export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleOptions {
    /// Include the template snapshot (else `{"present": false}`).
    pub include_template_snapshot: bool,
    /// Include the router link (else `{}`).
    pub include_router_link: bool,
}

impl Default for BundleOptions {
    fn default() -> BundleOptions {
        BundleOptions { include_template_snapshot: true, include_router_link: true }
    }
}

/// Options of an audit package export (`spec/packages.md` §4.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageOptions {
    /// Embed `router_bundle` (only when one is given).
    pub embed_router_bundle: bool,
    /// The router bundle to embed: a bundle carrying `integrity.canonical_digest`, or a
    /// raw nexus-router 0.3 export (checked and given `integrity` and `run_id`).
    pub router_bundle: Option<Value>,
    /// Reference mode: the router digest to bind instead of the result digest.
    pub router_bundle_digest: Option<String>,
    /// Embedded mode: require the bundle digest to equal the control bundle's
    /// `router_result_digest` (the original's check).
    pub verify_router_bundle_digest: bool,
}

/// An exported artefact: the document, its digest (`sha256:<hex>`) and findings that
/// do not stop the export.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The bundle or package.
    pub document: Value,
    /// `sha256:` + the bundle digest or binding digest.
    pub digest: String,
    /// Warnings (e.g. embedding asked without a bundle).
    pub warnings: Vec<String>,
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::with_capacity(pairs.len());
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Value::Object(m)
}

/// Build the bundle of a loaded decision at `exported_at` (isoformat).
pub fn bundle_of(l: &Loaded, opts: BundleOptions, exported_at: &str) -> Result<Exported, CoreError> {
    let d = &l.decision;
    let first_ts = l.timestamps.first().map(|t| t.isoformat());
    let decision = derive::header(&l.decision_id, d, first_ts.as_deref());
    let events: Vec<Value> = l
        .events
        .iter()
        .zip(&l.timestamps)
        .map(|(e, ts)| {
            let mut v = e.to_bundle_value();
            if let Value::Object(m) = &mut v {
                m.insert("ts", Value::String(ts.isoformat()));
                m.insert("decision_id", Value::str(l.decision_id.as_str()));
                m.insert("event_id", Value::String(attest_events::event_id(&l.decision_id, e.seq)));
            }
            v
        })
        .collect();
    let template_snapshot = if opts.include_template_snapshot { derive::template_snapshot(d) } else { present_false() };
    let router_link = if opts.include_router_link {
        Value::Object(derive::router_link(&l.decision_id, d))
    } else {
        Value::Object(Map::new())
    };
    let payload = bundle_digest_payload(Value::str(BUNDLE_VERSION), decision, events, template_snapshot, router_link);
    let digest = attest_verify::canonical::digest(&payload).map_err(|e| CoreError::Internal(e.to_string()))?;
    let Value::Object(mut body) = payload else {
        return Err(CoreError::Internal("bundle payload is not an object".to_owned()));
    };
    let hex = digest.to_hex();
    body.insert(
        "integrity",
        obj(vec![("alg", Value::str("sha256")), ("canonical_digest", Value::String(digest.to_prefixed()))]),
    );
    body.insert("provenance", derive::bundle_provenance(&l.decision_id, &hex));
    body.insert("meta", obj(vec![("exported_at", Value::str(exported_at))]));
    Ok(Exported { document: Value::Object(body), digest: digest.to_prefixed(), warnings: Vec::new() })
}

fn package_error(code: PackageCode, message: impl Into<String>) -> CoreError {
    CoreError::Package { code, message: message.into() }
}

fn prefix24(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => attest_verify::replay::py_str(other),
    };
    text.chars().take(24).collect()
}

/// Accept a raw nexus-router 0.3 export (no `integrity`): recompute its digest, check it
/// against `digests.sha256` and its run id against the executed one, and add `integrity`
/// and a top-level `run_id` (`spec/packages.md` §7.1).
fn embed_raw_router_export(bundle: &Map, run_id: &Value) -> Result<Value, CoreError> {
    let invalid = |m: String| package_error(PackageCode::RouterBundleInvalid, m);
    let run = bundle
        .get("run")
        .filter(|r| r.as_object().is_some())
        .ok_or_else(|| invalid("router bundle has no `run` object".into()))?;
    let events = bundle
        .get("events")
        .filter(|e| e.as_array().is_some())
        .ok_or_else(|| invalid("router bundle has no `events` array".into()))?;
    let digest = attest_verify::verify::router_bundle_digest(run, events).to_hex();
    match bundle.get("digests").and_then(|d| d.get("sha256")).and_then(Value::as_str) {
        Some(own) if own == digest => {}
        Some(own) => {
            return Err(invalid(format!("router bundle digests.sha256 {own} does not match its content ({digest})")))
        }
        None => return Err(invalid("router bundle has no digests.sha256".into())),
    }
    if run.get("run_id") != Some(run_id) {
        return Err(invalid(format!(
            "router bundle run {} is not the executed run {}",
            prefix24(run.get("run_id").unwrap_or(&Value::Null)),
            prefix24(run_id)
        )));
    }
    let mut out = bundle.clone();
    out.insert("run_id", run_id.clone());
    out.insert(
        "integrity",
        obj(vec![("alg", Value::str("sha256")), ("canonical_digest", Value::String(format!("sha256:{digest}")))]),
    );
    Ok(Value::Object(out))
}

/// Build the audit package of a loaded decision (`spec/packages.md` §4.2), verified with
/// `attest-verify`'s reference checks before it is returned.
pub fn package_of(
    l: &Loaded,
    opts: &PackageOptions,
    bundle_exported_at: &str,
    exported_at: &str,
) -> Result<Exported, CoreError> {
    let control = bundle_of(l, BundleOptions::default(), bundle_exported_at)?;
    let cb = &control.document;
    let link = cb.get("router_link").cloned().unwrap_or(Value::Null);
    let Some(run_id) = link.get("run_id").cloned() else {
        return Err(package_error(
            PackageCode::NoRouterLink,
            format!(
                "Decision {} has no router execution link. Audit packages require an executed decision.",
                l.decision_id
            ),
        ));
    };
    let control_digest = cb.get("integrity").and_then(|i| i.get("canonical_digest")).cloned().unwrap_or(Value::Null);
    let link_digest = link.get("control_router_link_digest").cloned().unwrap_or(Value::Null);
    let result_digest = link.get("router_result_digest").cloned();
    let mut warnings = Vec::new();
    let (router, router_digest) = match (&opts.router_bundle, opts.embed_router_bundle) {
        (Some(bundle), true) => {
            let m = bundle
                .as_object()
                .ok_or_else(|| package_error(PackageCode::RouterBundleInvalid, "router bundle must be an object"))?;
            let bundle = match m.get("integrity") {
                Some(_) => bundle.clone(),
                None => embed_raw_router_export(m, &run_id)?,
            };
            let digest = bundle
                .get("integrity")
                .and_then(Value::as_object)
                .and_then(|i| i.get("canonical_digest"))
                .cloned()
                .ok_or_else(|| {
                    package_error(PackageCode::RouterBundleInvalid, "router bundle integrity has no canonical_digest")
                })?;
            let Some(text) = digest.as_str().filter(|s| is_prefixed_digest(s)) else {
                return Err(package_error(
                    PackageCode::RouterBundleInvalid,
                    "router bundle integrity.canonical_digest must be sha256: + 64 lower-case hex",
                ));
            };
            if opts.verify_router_bundle_digest && m.get("integrity").is_some() {
                if let Some(result) = &result_digest {
                    if result.as_str() != Some(text) {
                        return Err(package_error(
                            PackageCode::RouterDigestMismatch,
                            format!(
                                "Router bundle digest {}... does not match control bundle's router_result_digest {}...",
                                prefix24(&digest),
                                prefix24(result)
                            ),
                        ));
                    }
                }
            }
            if m.get("integrity").is_none() && result_digest.as_ref().and_then(Value::as_str) != Some(text) {
                warnings.push("the router export digest differs from the recorded router response digest (expected: they hash different documents)".to_owned());
            }
            (obj(vec![("mode", Value::str("embedded")), ("bundle", bundle.clone())]), digest)
        }
        (bundle, embed) => {
            if embed && bundle.is_none() {
                warnings.push(
                    "embed_router_bundle was set without a router bundle: a reference-mode package was produced"
                        .to_owned(),
                );
            }
            let digest = match opts.router_bundle_digest.as_deref().filter(|d| !d.is_empty()) {
                Some(d) => {
                    if !is_prefixed_digest(d) {
                        return Err(package_error(
                            PackageCode::RouterBundleInvalid,
                            format!("router_bundle_digest `{d}` must be sha256: + 64 lower-case hex"),
                        ));
                    }
                    Value::str(d)
                }
                None => match &result_digest {
                    Some(r) => r.clone(),
                    None => {
                        return Err(package_error(
                            PackageCode::NoRouterLink,
                            "No router digest available for reference mode.",
                        ))
                    }
                },
            };
            (
                obj(vec![
                    ("mode", Value::str("reference")),
                    ("ref", obj(vec![("run_id", run_id.clone()), ("digest", digest.clone())])),
                ]),
                digest,
            )
        }
    };
    let binding = binding_digest_payload(
        Value::str(PACKAGE_VERSION),
        control_digest.clone(),
        router_digest.clone(),
        link_digest.clone(),
    );
    let binding_hex =
        attest_verify::canonical::digest(&binding).map_err(|e| CoreError::Internal(e.to_string()))?.to_hex();
    let package = obj(vec![
        ("package_version", Value::str(PACKAGE_VERSION)),
        ("control_bundle", control.document.clone()),
        ("router", router),
        (
            "binding",
            obj(vec![
                ("control_digest", control_digest),
                ("router_digest", router_digest),
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
        ("provenance", derive::package_provenance(&l.decision_id, &binding_hex)),
        ("meta", obj(vec![("exported_at", Value::str(exported_at))])),
    ]);
    let parsed = attest_verify::ParsedPackage::parse(&package).map_err(|e| CoreError::Internal(e.to_string()))?;
    let checks = attest_verify::verify::reference_checks(&parsed);
    if !checks.ok() {
        return Err(CoreError::Internal(format!(
            "the exported package fails its own verification: {:?}",
            checks.failed_names()
        )));
    }
    Ok(Exported { document: package, digest: format!("sha256:{binding_hex}"), warnings })
}

impl<S: Store> Engine<S> {
    fn exported_at(&self) -> String {
        self.now_clock().now().isoformat()
    }

    /// Load for export: every failure is `DECISION_NOT_FOUND` with the cause's text.
    fn load_for_export(&self, decision_id: &str) -> Result<Loaded, CoreError> {
        self.load(decision_id).and_then(|l| l.active().map(|_| l)).map_err(|e| match e {
            CoreError::Package { .. } => e,
            other => package_error(PackageCode::DecisionNotFound, other.to_string()),
        })
    }

    /// Export a decision as a bundle (`spec/packages.md` §1).
    pub fn export_bundle(&self, decision_id: &str, opts: BundleOptions) -> Result<Exported, CoreError> {
        let l = self.load_for_export(decision_id)?;
        bundle_of(&l, opts, &self.exported_at())
    }

    /// Export an executed decision as an audit package (`spec/packages.md` §4).
    pub fn export_audit_package(&self, decision_id: &str, opts: &PackageOptions) -> Result<Exported, CoreError> {
        let l = self.load_for_export(decision_id)?;
        let bundle_at = self.exported_at();
        let package_at = self.exported_at();
        package_of(&l, opts, &bundle_at, &package_at)
    }
}

fn s(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "None".to_owned(),
        Some(Value::String(x)) => x.clone(),
        Some(other) => attest_verify::replay::py_str(other),
    }
}

/// The text rendering of an exported bundle (`spec/packages.md` §1.7).
pub fn render_bundle(b: &Value) -> String {
    let d = b.get("decision");
    let f = |k: &str| s(d.and_then(|d| d.get(k)));
    let integrity = b.get("integrity");
    let mut lines = vec![
        "# Decision Bundle Export".to_owned(),
        String::new(),
        format!("Bundle version: {}", s(b.get("bundle_version"))),
        format!("Digest: {}", s(integrity.and_then(|i| i.get("canonical_digest")))),
        String::new(),
        "## Decision".to_owned(),
        format!("  ID:      {}", f("decision_id")),
        format!("  Status:  {}", f("status")),
        format!("  Mode:    {}", f("mode")),
        format!(
            "  Goal:    {}",
            match d.and_then(|d| d.get("goal")) {
                Some(g) if g.is_truthy() => s(Some(g)),
                _ => "\u{2014}".to_owned(),
            }
        ),
        format!("  Created: {}", f("created_at")),
        String::new(),
        "## Events".to_owned(),
    ];
    let events = b.get("events").and_then(Value::as_array).unwrap_or(&[]);
    lines.push(format!("  Count: {}", events.len()));
    if let (Some(first), Some(last)) = (events.first(), events.last()) {
        lines.push(format!("  First: seq={} {}", s(first.get("seq")), s(first.get("type"))));
        lines.push(format!("  Last:  seq={} {}", s(last.get("seq")), s(last.get("type"))));
    }
    lines.push(String::new());
    lines.push("## Template".to_owned());
    let t = b.get("template_snapshot");
    if t.and_then(|t| t.get("present")).is_some_and(Value::is_truthy) {
        lines.push(format!("  Name:   {}", s(t.and_then(|t| t.get("name")))));
        lines.push(format!("  Digest: {}", s(t.and_then(|t| t.get("digest")))));
        if let Some(o) = t.and_then(|t| t.get("overrides")).and_then(Value::as_object).filter(|o| !o.is_empty()) {
            lines.push(format!("  Overrides: {}", o.keys().collect::<Vec<_>>().join(", ")));
        }
    } else {
        lines.push("  (none)".to_owned());
    }
    lines.push(String::new());
    lines.push("## Router Link".to_owned());
    let rl = b.get("router_link");
    match rl.and_then(|r| r.get("run_id")).filter(|r| r.is_truthy()) {
        Some(run_id) => {
            lines.push(format!("  Run ID:   {}", s(Some(run_id))));
            lines.push(format!("  Adapter:  {}", s(rl.and_then(|r| r.get("adapter_id")))));
            if let Some(link) = rl.and_then(|r| r.get("control_router_link_digest")).filter(|l| l.is_truthy()) {
                lines.push(format!("  Link digest: {}...", s(Some(link)).chars().take(24).collect::<String>()));
            }
        }
        None => lines.push("  (no execution)".to_owned()),
    }
    lines.push(String::new());
    lines.push("## Integrity".to_owned());
    lines.push(format!("  Algorithm: {}", s(integrity.and_then(|i| i.get("alg")))));
    lines.push(format!("  Digest:    {}", s(integrity.and_then(|i| i.get("canonical_digest")))));
    lines.join("\n")
}

/// The text rendering of an audit package (`spec/packages.md` §4.5).
pub fn render_package(p: &Value) -> String {
    let cb = p.get("control_bundle");
    let dec = cb.and_then(|c| c.get("decision"));
    let integrity = p.get("integrity");
    let binding = p.get("binding");
    let dash = "---".to_owned();
    let mut lines = vec![
        "# Audit Package".to_owned(),
        String::new(),
        format!("Package version: {}", s(p.get("package_version"))),
        format!("Binding digest:  {}", s(integrity.and_then(|i| i.get("binding_digest")))),
        String::new(),
        "## Control Bundle".to_owned(),
        format!("  Decision ID: {}", s(dec.and_then(|d| d.get("decision_id")))),
        format!("  Status:      {}", s(dec.and_then(|d| d.get("status")))),
        format!("  Mode:        {}", s(dec.and_then(|d| d.get("mode")))),
        format!(
            "  Goal:        {}",
            match dec.and_then(|d| d.get("goal")) {
                Some(g) if g.is_truthy() => s(Some(g)),
                _ => dash.clone(),
            }
        ),
        format!("  Digest:      {}", s(cb.and_then(|c| c.get("integrity")).and_then(|i| i.get("canonical_digest")))),
        String::new(),
        "## Router".to_owned(),
    ];
    let router = p.get("router");
    let mode = router.and_then(|r| r.get("mode"));
    lines.push(format!("  Mode: {}", s(mode)));
    let bundle = router.and_then(|r| r.get("bundle")).filter(|b| b.as_object().is_some_and(|m| !m.is_empty()));
    let reference = router.and_then(|r| r.get("ref")).filter(|r| r.is_truthy());
    match (mode.and_then(Value::as_str), bundle, reference) {
        (Some("embedded"), Some(b), _) => {
            lines.push(format!("  Run ID: {}", b.get("run_id").map(|v| s(Some(v))).unwrap_or_else(|| dash.clone())));
            let digest = b.get("integrity").and_then(Value::as_object).and_then(|i| i.get("canonical_digest"));
            lines.push(format!("  Digest: {}", digest.map(|v| s(Some(v))).unwrap_or_else(|| dash.clone())));
        }
        (Some("reference"), _, Some(r)) => {
            lines.push(format!("  Run ID: {}", s(r.get("run_id"))));
            lines.push(format!("  Digest: {}", s(r.get("digest"))));
        }
        _ => {}
    }
    lines.push(String::new());
    lines.push("## Binding".to_owned());
    lines.push(format!("  Control digest: {}", s(binding.and_then(|b| b.get("control_digest")))));
    lines.push(format!("  Router digest:  {}", s(binding.and_then(|b| b.get("router_digest")))));
    lines.push(format!("  Link digest:    {}", s(binding.and_then(|b| b.get("control_router_link_digest")))));
    lines.push(String::new());
    lines.push("## Integrity".to_owned());
    lines.push(format!("  Algorithm:      {}", s(integrity.and_then(|i| i.get("alg")))));
    lines.push(format!("  Binding digest: {}", s(integrity.and_then(|i| i.get("binding_digest")))));
    lines.join("\n")
}

/// Strip a leading `sha256:` and parse the digest, for callers comparing digests.
pub fn parse_digest(text: &str) -> Option<Digest> {
    Digest::parse_hex(strip_prefix(text)).ok()
}
