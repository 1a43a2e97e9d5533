//! nexus-router run bundles, format 0.3 (router.md 3.12): export with the exact key
//! layout, reading with nexus-router's import rules, the digest rule
//! `digests.sha256 = H_r({"run": run, "events": events})` (raw hex), and the embedding
//! form nexus-attest audit packages carry (2.7).

use attest_verify::json::{self, Map, Value};
use attest_verify::verify::router_bundle_digest;
use attest_verify::Digest;

use crate::error::BundleError;
use crate::evidence;
use crate::replay::{self, ReplayReport};
use crate::store::{RunEvent, RunRecord, StoredRun};

/// The bundle format version written by nexus-router 1.1.1.
pub const BUNDLE_VERSION: &str = "0.3";

/// Export a stored run as a bundle (keys in nexus-router's order: `bundle_version`,
/// `exported_at`, `run`, `events`, `digests`, then `provenance` when `source` is given,
/// with `source_db_path` = `source`, a logical name rather than a local path).
pub fn export_run(run: &StoredRun, exported_at: &str, source: Option<&str>) -> Value {
    let run_v = run.record.to_value();
    let events_v = Value::Array(run.events.iter().map(RunEvent::to_value).collect());
    let digest = router_bundle_digest(&run_v, &events_v);
    let mut m = Map::with_capacity(6);
    m.insert("bundle_version", Value::str(BUNDLE_VERSION));
    m.insert("exported_at", Value::str(exported_at));
    m.insert("run", run_v);
    m.insert("events", events_v);
    let mut d = Map::with_capacity(1);
    d.insert("sha256", Value::str(digest.to_hex()));
    m.insert("digests", Value::Object(d));
    if let Some(source) = source {
        let mut p = Map::with_capacity(4);
        p.insert("export_method", Value::str("nexus-router.export"));
        p.insert("source_db_path", Value::str(source));
        p.insert("source_run_id", Value::str(&run.record.run_id));
        p.insert("export_version", Value::str(BUNDLE_VERSION));
        m.insert("provenance", Value::Object(p));
    }
    Value::Object(m)
}

/// A run bundle read from anywhere (exported here or by nexus-router, possibly in the
/// embedding form).
///
/// INVARIANT (import shape): the value is an object with `bundle_version`, an object
/// `run` holding `run_id`, `mode`, `goal`, `status`, `created_at`, and an array
/// `events` whose items are objects holding `event_id`, `run_id`, `seq`, `type`,
/// `payload`, `ts` (nexus-router's import structure check). Values are not typed
/// further: the digest covers them as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct RunBundle {
    value: Map,
}

const RUN_FIELDS: [&str; 5] = ["run_id", "mode", "goal", "status", "created_at"];
const EVENT_FIELDS: [&str; 6] = ["event_id", "run_id", "seq", "type", "payload", "ts"];

impl RunBundle {
    /// Read a bundle value: the bundle itself, or nexus-router's export tool answer
    /// `{"ok": true, "artifact": bundle}`. Upholds INVARIANT (import shape).
    ///
    /// Errors: [`BundleError::Invalid`] with nexus-router's messages (`Missing
    /// bundle_version`, `Missing run`, `Missing events`, `Missing run.<field>`, `Missing
    /// events[<i>].<field>`) or a type complaint.
    pub fn from_value(value: Value) -> Result<RunBundle, BundleError> {
        let inv = |m: &str| BundleError::Invalid(m.to_owned());
        let Value::Object(mut m) = value else { return Err(inv("bundle must be an object")) };
        if !m.contains_key("bundle_version") && m.get("ok") == Some(&Value::Bool(true)) {
            if let Some(Value::Object(artifact)) = m.remove("artifact") {
                m = artifact;
            }
        }
        if !m.contains_key("bundle_version") {
            return Err(inv("Missing bundle_version"));
        }
        let run = m.get("run").ok_or_else(|| inv("Missing run"))?;
        let events = m.get("events").ok_or_else(|| inv("Missing events"))?;
        let run = run.as_object().ok_or_else(|| inv("run must be an object"))?;
        if let Some(f) = RUN_FIELDS.iter().find(|f| !run.contains_key(f)) {
            return Err(BundleError::Invalid(format!("Missing run.{f}")));
        }
        let events = events.as_array().ok_or_else(|| inv("events must be an array"))?;
        for (i, e) in events.iter().enumerate() {
            let e = e.as_object().ok_or_else(|| BundleError::Invalid(format!("events[{i}] must be an object")))?;
            if let Some(f) = EVENT_FIELDS.iter().find(|f| !e.contains_key(f)) {
                return Err(BundleError::Invalid(format!("Missing events[{i}].{f}")));
            }
        }
        Ok(RunBundle { value: m })
    }

    /// Parse JSON text (see [`RunBundle::from_value`]); NaN/Infinity tokens are refused.
    pub fn parse(text: &str) -> Result<RunBundle, BundleError> {
        let v = json::parse(text).map_err(|e| BundleError::Invalid(format!("bundle is not json: {e}")))?;
        RunBundle::from_value(v)
    }

    /// The whole bundle object.
    pub fn as_map(&self) -> &Map {
        &self.value
    }

    /// The bundle as a value.
    pub fn to_value(&self) -> Value {
        Value::Object(self.value.clone())
    }

    /// The `run` object (see INVARIANT (import shape)).
    pub fn run(&self) -> &Map {
        static EMPTY: std::sync::OnceLock<Map> = std::sync::OnceLock::new();
        self.value.get("run").and_then(Value::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// The `events` array.
    pub fn events(&self) -> &[Value] {
        self.value.get("events").and_then(Value::as_array).unwrap_or(&[])
    }

    /// `run.run_id` when it is a string.
    pub fn run_id(&self) -> Option<&str> {
        self.run().get("run_id").and_then(Value::as_str)
    }

    /// The recomputed digest `H_r({"run": run, "events": events})`.
    pub fn digest(&self) -> Digest {
        let empty = Value::Null;
        let run = self.value.get("run").unwrap_or(&empty);
        let events = self.value.get("events").unwrap_or(&empty);
        router_bundle_digest(run, events)
    }

    /// nexus-router's digest verification: `digests.sha256` must equal the recomputed
    /// raw hex exactly (a `sha256:` prefix never matches). Returns the digest.
    ///
    /// Errors: [`BundleError::DigestMismatch`] with `Bundle missing digests.sha256` or
    /// `Digest mismatch: expected <stored>, got <recomputed>`.
    pub fn verify_digest(&self) -> Result<Digest, BundleError> {
        let stored = self
            .value
            .get("digests")
            .and_then(|d| d.get("sha256"))
            .ok_or_else(|| BundleError::DigestMismatch("Bundle missing digests.sha256".to_owned()))?;
        let actual = self.digest();
        if stored.as_str() == Some(actual.to_hex().as_str()) {
            Ok(actual)
        } else {
            let shown = match stored.as_str() {
                Some(s) => s.to_owned(),
                None => attest_verify::canonical::to_display_string(stored, None),
            };
            Err(BundleError::DigestMismatch(format!("Digest mismatch: expected {shown}, got {}", actual.to_hex())))
        }
    }

    /// The embedding form of router.md 2.7: after a successful [`RunBundle::verify_digest`],
    /// the bundle with a top-level `run_id` and `integrity: {"alg": "sha256",
    /// "canonical_digest": "sha256:" + digest}` appended (replaced if present). Both keys
    /// are outside the digest; nexus-router still imports the result.
    pub fn embedding_form(&self) -> Result<Value, BundleError> {
        let d = self.verify_digest()?;
        let mut m = self.value.clone();
        m.insert("run_id", self.run().get("run_id").cloned().unwrap_or(Value::Null));
        let mut integrity = Map::with_capacity(2);
        integrity.insert("alg", Value::str("sha256"));
        integrity.insert("canonical_digest", Value::str(d.to_prefixed()));
        m.insert("integrity", Value::Object(integrity));
        Ok(Value::Object(m))
    }

    /// nexus-router's replay rules (router.md 3.11) over the bundle's events.
    pub fn replay(&self) -> ReplayReport {
        replay::replay_values(self.run(), self.events())
    }

    /// The bridge response derived from this bundle (router.md 4.6).
    pub fn derive_response(&self) -> Map {
        evidence::derive_response(self.run(), self.events())
    }

    /// The run and events with typed fields, for storing (import): `seq` a
    /// non-negative integer, ids, types and timestamps strings.
    pub fn to_stored_run(&self) -> Result<StoredRun, BundleError> {
        let run = self.run();
        let text = |m: &Map, k: &str, path: &str| -> Result<String, BundleError> {
            m.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| BundleError::Invalid(format!("{path}.{k} must be a string")))
        };
        let record = RunRecord {
            run_id: text(run, "run_id", "run")?,
            mode: text(run, "mode", "run")?,
            goal: text(run, "goal", "run")?,
            status: text(run, "status", "run")?,
            created_at: text(run, "created_at", "run")?,
        };
        let mut events = Vec::with_capacity(self.events().len());
        for (i, e) in self.events().iter().enumerate() {
            let path = format!("events[{i}]");
            let e = e.as_object().ok_or_else(|| BundleError::Invalid(format!("{path} must be an object")))?;
            let seq = e
                .get("seq")
                .and_then(Value::as_i64)
                .and_then(|s| u64::try_from(s).ok())
                .ok_or_else(|| BundleError::Invalid(format!("{path}.seq must be a non-negative integer")))?;
            events.push(RunEvent {
                event_id: text(e, "event_id", &path)?,
                run_id: text(e, "run_id", &path)?,
                seq,
                event_type: text(e, "type", &path)?.into(),
                payload: e.get("payload").cloned().unwrap_or(Value::Null),
                ts: text(e, "ts", &path)?,
            });
        }
        Ok(StoredRun { record, events })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_errors_use_nexus_router_messages() {
        let msg = |t: &str| RunBundle::parse(t).unwrap_err().to_string();
        assert_eq!(msg("{}"), "INVALID_BUNDLE: Missing bundle_version");
        assert_eq!(msg(r#"{"bundle_version": "0.3"}"#), "INVALID_BUNDLE: Missing run");
        assert_eq!(msg(r#"{"bundle_version": "0.3", "run": {}}"#), "INVALID_BUNDLE: Missing events");
        assert_eq!(msg(r#"{"bundle_version": "0.3", "run": {}, "events": []}"#), "INVALID_BUNDLE: Missing run.run_id");
        assert_eq!(
            msg(
                r#"{"bundle_version": "0.3", "run": {"run_id":1,"mode":1,"goal":1,"status":1,"created_at":1}, "events": [{"event_id": 1}]}"#
            ),
            "INVALID_BUNDLE: Missing events[0].run_id"
        );
        assert_eq!(msg("[1]"), "INVALID_BUNDLE: bundle must be an object");
        assert_eq!(msg(r#"{"x": NaN}"#).split(':').next(), Some("INVALID_BUNDLE"));
    }

    #[test]
    fn digest_mismatch_messages() {
        let b = RunBundle::parse(
            r#"{"bundle_version": "0.3", "run": {"run_id":"r","mode":"dry_run","goal":"g","status":"COMPLETED","created_at":"t"}, "events": []}"#,
        )
        .unwrap();
        assert_eq!(b.verify_digest().unwrap_err().to_string(), "DIGEST_MISMATCH: Bundle missing digests.sha256");
        let mut v = b.to_value();
        let d = b.digest();
        if let Value::Object(m) = &mut v {
            let mut digests = Map::new();
            digests.insert("sha256", Value::str(d.to_prefixed()));
            m.insert("digests", Value::Object(digests));
        }
        let b2 = RunBundle::from_value(v).unwrap();
        assert_eq!(
            b2.verify_digest().unwrap_err().message(),
            format!("Digest mismatch: expected {}, got {}", d.to_prefixed(), d.to_hex())
        );
    }
}
