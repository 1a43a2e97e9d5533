//! Bundle import (`spec/packages.md` §3): the original's steps, messages and codes, plus
//! the Rust fixes: strict value checks (step 2a), a replay in memory before anything is
//! written, and one atomic write, so a failed import of any kind changes nothing.

use attest_events::{Actor, Event, Map, Timestamp, Value};
use attest_store::{ImportBatch, Store, StoreError};
use attest_verify::digest::strip_prefix;
use attest_verify::package::{ParsedBundle, ShapeError};
use attest_verify::pyrepr::repr_str;
use attest_verify::replay::py_str;

use crate::engine::Engine;
use crate::error::{CoreError, PackageCode};
use crate::lifecycle::{blocking_reasons, progress, timeline_len, Loaded};

/// The three conflict modes.
pub const CONFLICT_MODES: [&str; 3] = ["reject_on_conflict", "new_decision_id", "overwrite"];

/// Options of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Check `integrity.canonical_digest` against the content (default on).
    pub verify_digest: bool,
    /// `reject_on_conflict` (default), `new_decision_id` or `overwrite`.
    pub conflict_mode: String,
    /// Replay the decision and compute its lifecycle before accepting it (default on).
    pub replay_after_import: bool,
    /// Reject a bundle whose deep bundle checks fail (stale event digests, a header or
    /// derived section that the events contradict, ...). Off by default: the failures
    /// are then returned as warnings.
    pub strict: bool,
    /// Run the deep bundle checks and return their failures as warnings (default on;
    /// always on in strict mode). The tool call turns it off, because its result object
    /// has no place for warnings.
    pub deep_checks: bool,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            verify_digest: true,
            conflict_mode: "reject_on_conflict".to_owned(),
            replay_after_import: true,
            strict: false,
            deep_checks: true,
        }
    }
}

/// A successful import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    /// The import result object (`{"ok": true, "imported", ...}`), as the original
    /// returns it.
    pub result: Map,
    /// Deep checks of the bundle that failed (not part of the result object).
    pub warnings: Vec<String>,
}

fn fail(code: PackageCode, message: impl Into<String>) -> CoreError {
    CoreError::Package { code, message: message.into() }
}

/// Step 1: the original's presence and container checks, every problem collected.
fn schema_problems(v: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let Some(top) = v.as_object() else {
        return vec![format!("bundle must be an object, got {}", v.type_name())];
    };
    if !top.contains_key("bundle_version") {
        p.push("Missing required field: bundle_version".to_owned());
    }
    match top.get("decision") {
        None => p.push("Missing required field: decision".to_owned()),
        Some(Value::Object(d)) => {
            for k in ["decision_id", "created_at", "status"] {
                if !d.contains_key(k) {
                    p.push(format!("Missing required field: decision.{k}"));
                }
            }
        }
        Some(_) => p.push("Field 'decision' must be an object".to_owned()),
    }
    match top.get("events") {
        None => p.push("Missing required field: events".to_owned()),
        Some(Value::Array(events)) => {
            for (i, e) in events.iter().enumerate() {
                let Some(e) = e.as_object() else {
                    p.push(format!("Event at index {i} must be an object"));
                    continue;
                };
                for k in ["event_id", "seq", "type", "ts"] {
                    if !e.contains_key(k) {
                        p.push(format!("Missing required field: events[{i}].{k}"));
                    }
                }
            }
        }
        Some(_) => p.push("Field 'events' must be an array".to_owned()),
    }
    match top.get("integrity") {
        None => p.push("Missing required field: integrity".to_owned()),
        Some(Value::Object(i)) => {
            if !i.contains_key("canonical_digest") {
                p.push("Missing required field: integrity.canonical_digest".to_owned());
            }
        }
        Some(_) => p.push("Field 'integrity' must be an object".to_owned()),
    }
    p
}

/// The cause text of a parse failure, as Python's `KeyError` prints a missing key.
fn parse_cause(e: &ShapeError) -> String {
    match e {
        ShapeError::MissingKey { path } => repr_str(path.rsplit(['.', ']']).next().unwrap_or(path)),
        other => other.to_string(),
    }
}

/// Step 2a (Rust): value checks the original lacks.
fn strict_values(v: &Value, b: &ParsedBundle) -> Vec<String> {
    let mut p = Vec::new();
    if b.decision_id.as_str().is_none_or(str::is_empty) {
        p.push("decision.decision_id must be a non-empty string".to_owned());
    }
    if b.bundle_version.as_str() != Some(attest_verify::package::BUNDLE_VERSION) {
        p.push(format!(
            "bundle_version must be \"0.5\", got {}",
            attest_verify::canonical::to_display_string(&b.bundle_version, None)
        ));
    }
    if v.get("integrity").and_then(|i| i.get("alg")).is_some_and(|a| a.as_str() != Some("sha256")) {
        p.push("integrity.alg must be \"sha256\"".to_owned());
    }
    match b.created_at.as_str().map(Timestamp::parse_isoformat) {
        Some(Ok(_)) => {}
        _ => p.push(format!(
            "decision.created_at must be a date-time, got {}",
            attest_verify::canonical::to_display_string(&b.created_at, None)
        )),
    }
    for (i, e) in b.events.iter().enumerate() {
        let actor_ok = e.actor.as_object().is_some_and(|a| {
            a.get("type").is_some_and(|t| t.as_str().is_some()) && a.get("id").is_some_and(|t| t.as_str().is_some())
        });
        if !actor_ok {
            p.push(format!("events[{i}].actor must be an object with string type and id"));
        }
        if let Some(Ok(t)) = e.ts.as_str().map(Timestamp::parse_isoformat) {
            if !t.is_aware() {
                p.push(format!("events[{i}].ts must carry a UTC offset"));
            }
        }
        if let Some(x) = e.payload.get("expires_at").and_then(Value::as_str) {
            if let Ok(t) = Timestamp::parse_isoformat(x) {
                if !t.is_aware() {
                    p.push(format!("events[{i}].payload.expires_at must carry a UTC offset"));
                }
            }
        }
    }
    p
}

impl<S: Store> Engine<S> {
    /// Import a decision bundle (`spec/packages.md` §3.2) and return the original's result
    /// object. Nothing is written unless every step passed.
    pub fn import_bundle(&self, bundle: &Value, opts: &ImportOptions) -> Result<ImportOutcome, CoreError> {
        // 1. schema
        let problems = schema_problems(bundle);
        if !problems.is_empty() {
            return Err(fail(
                PackageCode::BundleInvalidSchema,
                format!("Invalid bundle schema: {}", problems.join("; ")),
            ));
        }
        // 2. parse
        let b = ParsedBundle::parse(bundle, "").map_err(|e| {
            fail(PackageCode::BundleInvalidSchema, format!("Failed to parse bundle: {}", parse_cause(&e)))
        })?;
        // 2a. strict values (Rust)
        let problems = strict_values(bundle, &b);
        if !problems.is_empty() {
            return Err(fail(
                PackageCode::BundleInvalidSchema,
                format!("Invalid bundle schema: {}", problems.join("; ")),
            ));
        }
        // 3. conflict mode
        if !CONFLICT_MODES.contains(&opts.conflict_mode.as_str()) {
            return Err(fail(
                PackageCode::ConflictModeInvalid,
                format!("Invalid conflict_mode: {}", opts.conflict_mode),
            ));
        }
        // 4. digest
        if opts.verify_digest {
            let Some(stored) = b.canonical_digest.as_str() else {
                return Err(fail(PackageCode::IntegrityMismatch, "integrity.canonical_digest must be a string"));
            };
            let stored = strip_prefix(stored);
            let got = b.recompute_digest().to_hex();
            if stored != got {
                let head = |s: &str| s.chars().take(16).collect::<String>();
                return Err(fail(
                    PackageCode::IntegrityMismatch,
                    format!("Digest mismatch: expected {}..., got {}...", head(stored), head(&got)),
                ));
            }
        }
        // 5. conflict
        let original_id = py_str(&b.decision_id);
        let exists = self.store().header(&original_id)?.is_some();
        let target = match (exists, opts.conflict_mode.as_str()) {
            (true, "reject_on_conflict") => {
                return Err(fail(PackageCode::DecisionExists, format!("Decision already exists: {original_id}")))
            }
            (true, "new_decision_id") => self.new_decision_id(),
            _ => original_id.clone(),
        };
        // 6-7. events by seq, contiguous from 0
        let mut indexed = Vec::with_capacity(b.events.len());
        for e in &b.events {
            let seq = match &e.seq {
                Value::Number(n) if n.as_i64().is_some() => n.as_i64().unwrap_or(-1),
                other => {
                    return Err(fail(
                        PackageCode::ReplayInvalid,
                        format!(
                            "Event seq must be an integer, got {}",
                            attest_verify::canonical::to_display_string(other, None)
                        ),
                    ))
                }
            };
            indexed.push((seq, e));
        }
        indexed.sort_by_key(|(seq, _)| *seq);
        for (expected, (seq, _)) in indexed.iter().enumerate() {
            let expected = expected as i64;
            if expected == 0 && *seq != 0 {
                return Err(fail(PackageCode::ReplayInvalid, format!("Event sequence must start at 0, got {seq}")));
            }
            if *seq != expected {
                return Err(fail(
                    PackageCode::ReplayInvalid,
                    format!("Event sequence gap: expected {expected}, got {seq}"),
                ));
            }
        }
        let events: Vec<Event> = indexed
            .iter()
            .map(|(seq, e)| Event {
                decision_id: target.clone(),
                seq: u64::try_from(*seq).unwrap_or(0),
                event_type: py_str(&e.event_type),
                ts: py_str(&e.ts),
                actor: Actor::from_stored(
                    e.actor.get("type").map(py_str).unwrap_or_else(|| "unknown".to_owned()),
                    e.actor.get("id").map(py_str).unwrap_or_else(|| "unknown".to_owned()),
                ),
                payload: e.payload.clone(),
                digest: py_str(&e.digest),
            })
            .collect();
        let count = events.len();
        // deep checks: warnings, or refusals in strict mode
        let warnings = if !opts.strict && !opts.deep_checks {
            Vec::new()
        } else {
            match attest_verify::verify_bundle(
                bundle,
                &attest_verify::VerifyOptions { now_micros: Some(self.now_micros()), expect_binding: None },
            ) {
                Ok(v) => v
                    .deep
                    .checks
                    .iter()
                    .filter(|c| !c.ok)
                    .map(|c| format!("{}: {}", c.name, c.detail.as_deref().unwrap_or("")))
                    .collect(),
                Err(e) => vec![e.to_string()],
            }
        };
        if opts.strict && !warnings.is_empty() {
            return Err(fail(
                PackageCode::ReplayInvalid,
                format!("strict import refused the bundle: {}", warnings.join("; ")),
            ));
        }
        // 9 (before 8). replay in memory, so a failure writes nothing
        let replay = if opts.replay_after_import {
            let l = Loaded::from_events(&target, events.clone(), self.now_micros())
                .map_err(|e| fail(PackageCode::ReplayInvalid, e.to_string()))?;
            // The lifecycle's parts the result reports, without building the timeline.
            progress(&l).map_err(|e| fail(PackageCode::ReplayInvalid, e.to_string()))?;
            let reasons = blocking_reasons(&l).map_err(|e| fail(PackageCode::ReplayInvalid, e.to_string()))?;
            let truncated = timeline_len(&l) > crate::DEFAULT_TIMELINE_LIMIT;
            let mut m = Map::new();
            m.insert("ok", Value::Bool(true));
            m.insert("blocking_reasons", Value::Array(reasons));
            m.insert("timeline_truncated", Value::Bool(truncated));
            Some(Value::Object(m))
        } else {
            None
        };
        // 8. one atomic write
        let batch = ImportBatch {
            decision_id: target.clone(),
            created_at: py_str(&b.created_at),
            events,
            overwrite: opts.conflict_mode == "overwrite",
        };
        self.store().import(batch).map_err(|e| match e {
            StoreError::DecisionExists(id) => {
                fail(PackageCode::DecisionExists, format!("Decision already exists: {id}"))
            }
            other => fail(PackageCode::ImportAtomicityFailed, format!("Import transaction failed: {other}")),
        })?;
        // 10. result
        let mut imported = Map::new();
        imported.insert("decision_id", Value::str(target.as_str()));
        imported.insert("events_imported", Value::int(count as i64));
        if target != original_id {
            imported.insert("original_decision_id", Value::String(original_id));
            imported.insert("new_decision_id", Value::String(target));
        }
        let mut result = Map::new();
        result.insert("ok", Value::Bool(true));
        result.insert("imported", Value::Object(imported));
        result.insert("digest_verified", Value::Bool(opts.verify_digest));
        result.insert("conflict_mode", Value::str(opts.conflict_mode.as_str()));
        result.insert("replay_ran", Value::Bool(opts.replay_after_import));
        if let Some(r) = replay {
            result.insert("replay", r);
        }
        Ok(ImportOutcome { result, warnings })
    }
}
