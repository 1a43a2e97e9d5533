//! Attestation receipts: one attempt against one backend and its outcome; validation,
//! canonical form and receipt digest (spec `attestation.md` §4).

use std::fmt;

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{Map, Value};
use attest_verify::replay::py_repr;

use crate::error::ReceiptError;
use crate::pattern::{created_at_fields, is_backend, is_real_date_time, is_sha256_digest, Validation};
use crate::pyint::{py_int, PyIntError};

/// The receipt version, always in the canonical form.
pub const RECEIPT_VERSION: &str = "0.1";

/// The outcome of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReceiptStatus {
    /// The backend accepted the request for processing.
    Submitted,
    /// The witness is final.
    Confirmed,
    /// The attempt failed.
    Failed,
    /// Not final yet; try again later.
    Deferred,
}

impl ReceiptStatus {
    /// The wire spelling (`SUBMITTED`, `CONFIRMED`, `FAILED`, `DEFERRED`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Submitted => "SUBMITTED",
            ReceiptStatus::Confirmed => "CONFIRMED",
            ReceiptStatus::Failed => "FAILED",
            ReceiptStatus::Deferred => "DEFERRED",
        }
    }

    /// The status of an exact wire spelling.
    pub fn parse(text: &str) -> Option<ReceiptStatus> {
        Some(match text {
            "SUBMITTED" => ReceiptStatus::Submitted,
            "CONFIRMED" => ReceiptStatus::Confirmed,
            "FAILED" => ReceiptStatus::Failed,
            "DEFERRED" => ReceiptStatus::Deferred,
            _ => return None,
        })
    }
}

impl fmt::Display for ReceiptStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error codes the original defines for `error.code` (the field itself is free
/// text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCode {
    /// The backend could not be reached (also used for timeouts by the XRPL steps).
    BackendUnavailable,
    /// Defined, never produced by the original.
    Timeout,
    /// The backend refused the request.
    Rejected,
    /// A policy blocked the attempt.
    PolicyBlocked,
    /// Anything else.
    Unknown,
}

impl FailureCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::BackendUnavailable => "BACKEND_UNAVAILABLE",
            FailureCode::Timeout => "TIMEOUT",
            FailureCode::Rejected => "REJECTED",
            FailureCode::PolicyBlocked => "POLICY_BLOCKED",
            FailureCode::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The structured error of a receipt: `{"code", "detail"?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFailure {
    /// The error code (free text; see [`FailureCode`]).
    pub code: String,
    /// Human-readable detail.
    pub detail: Option<String>,
}

impl ReceiptFailure {
    /// `{"code"}` plus `detail` when it is not null.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(2);
        m.insert("code", Value::str(self.code.as_str()));
        if let Some(d) = &self.detail {
            m.insert("detail", Value::str(d.as_str()));
        }
        Value::Object(m)
    }
}

/// The fields of a receipt before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptFields {
    /// `sha256:` + 64 lower-case hex.
    pub intent_digest: String,
    /// `[a-z0-9._-]{1,64}`, e.g. `xrpl`.
    pub backend: String,
    /// 1-based attempt (cycle) number.
    pub attempt: i64,
    /// The outcome.
    pub status: ReceiptStatus,
    /// RFC 3339 UTC time ending `Z` or `+00:00`; stored and hashed as given.
    pub created_at: String,
    /// Named digests of transport artifacts, in insertion order (a repeated key keeps
    /// its first position and takes the last value).
    pub evidence_digests: Vec<(String, String)>,
    /// Opaque backend evidence; required non-empty for `CONFIRMED`.
    pub proof: Map,
    /// The structured error.
    pub error: Option<ReceiptFailure>,
}

/// A validated attestation receipt.
///
/// INVARIANT (validated): the fields passed [`Receipt::new`]'s checks in the mode it was
/// built with, and evidence keys are unique. Private so the digest always covers
/// validated content.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    fields: ReceiptFields,
}

impl Receipt {
    /// Validate `fields` in the original's order: intent digest, backend, attempt ≥ 1,
    /// `created_at` (strict mode additionally requires a real date and time), each
    /// evidence digest, non-empty proof for `CONFIRMED`. A `FAILED` receipt needs no
    /// error and a `CONFIRMED` one may carry one, as in the original.
    pub fn new(mut fields: ReceiptFields, mode: Validation) -> Result<Receipt, ReceiptError> {
        fields.evidence_digests = dedup(std::mem::take(&mut fields.evidence_digests));
        if !is_sha256_digest(&fields.intent_digest, mode) {
            return Err(ReceiptError::IntentDigest(fields.intent_digest));
        }
        if !is_backend(&fields.backend, mode) {
            return Err(ReceiptError::Backend(fields.backend));
        }
        if fields.attempt < 1 {
            return Err(ReceiptError::Attempt(fields.attempt.to_string()));
        }
        match created_at_fields(&fields.created_at, mode) {
            None => return Err(ReceiptError::CreatedAt(fields.created_at)),
            Some(parts) if mode == Validation::Strict && !is_real_date_time(parts) => {
                return Err(ReceiptError::CreatedAtCalendar(fields.created_at))
            }
            Some(_) => {}
        }
        if let Some((key, value)) = fields.evidence_digests.iter().find(|(_, v)| !is_sha256_digest(v, mode)) {
            return Err(ReceiptError::EvidenceDigest { key: key.clone(), value: value.clone() });
        }
        if fields.status == ReceiptStatus::Confirmed && fields.proof.is_empty() {
            return Err(ReceiptError::ProofRequired);
        }
        // Upholds INVARIANT (validated).
        Ok(Receipt { fields })
    }

    /// Read a receipt from a JSON object as the original's `from_dict` does, then
    /// validate it: the five required keys (`intent_digest`, `backend`, `attempt`,
    /// `status`, `created_at`) in that order, `status` converted before validation,
    /// `evidence_digests` (object of strings) and `proof` (object; `null` reads as
    /// empty) optional, `error` null/absent/`{}` meaning "no error" and otherwise needing
    /// a string `code`. Every other key is ignored. `attempt` must be a JSON integer in
    /// strict mode; compat mode applies Python's `int()` (`"2"` → 2, `2.9` → 2,
    /// `true` → 1). Never panics.
    pub fn from_value(value: &Value, mode: Validation) -> Result<Receipt, ReceiptError> {
        let m = value.as_object().ok_or(ReceiptError::NotAnObject)?;
        let intent_digest = required_string(m, "intent_digest")?;
        let backend = required_string(m, "backend")?;
        let attempt = attempt(m.get("attempt").ok_or(ReceiptError::MissingKey("attempt"))?, mode)?;
        let status = match m.get("status") {
            None => return Err(ReceiptError::MissingKey("status")),
            Some(Value::String(s)) => {
                ReceiptStatus::parse(s).ok_or_else(|| ReceiptError::UnknownStatus(py_repr(&Value::str(s.as_str()))))?
            }
            Some(other) => return Err(ReceiptError::UnknownStatus(py_repr(other))),
        };
        let created_at = required_string(m, "created_at")?;
        let evidence_digests = match m.get("evidence_digests") {
            None => Vec::new(),
            Some(Value::Object(e)) => e
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.to_owned(), s.clone())),
                    _ => Err(ReceiptError::WrongType { key: format!("evidence_digests.{k}"), expected: "a string" }),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err(ReceiptError::WrongType {
                    key: "evidence_digests".into(),
                    expected: "an object of strings",
                })
            }
        };
        let proof = match m.get("proof") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(_) => return Err(ReceiptError::WrongType { key: "proof".into(), expected: "an object" }),
        };
        let error = match m.get("error") {
            None | Some(Value::Null) => None,
            Some(Value::Object(e)) if e.is_empty() => None,
            Some(Value::Object(e)) => Some(ReceiptFailure {
                code: match e.get("code") {
                    None => return Err(ReceiptError::MissingKey("code")),
                    Some(Value::String(c)) => c.clone(),
                    Some(_) => return Err(ReceiptError::WrongType { key: "error.code".into(), expected: "a string" }),
                },
                detail: match e.get("detail") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(d)) => Some(d.clone()),
                    Some(_) => {
                        return Err(ReceiptError::WrongType {
                            key: "error.detail".into(),
                            expected: "a string or null",
                        })
                    }
                },
            }),
            Some(_) => return Err(ReceiptError::WrongType { key: "error".into(), expected: "an object" }),
        };
        Receipt::new(
            ReceiptFields { intent_digest, backend, attempt, status, created_at, evidence_digests, proof, error },
            mode,
        )
    }

    /// The validated fields.
    pub fn fields(&self) -> &ReceiptFields {
        &self.fields
    }

    /// The prefixed intent digest.
    pub fn intent_digest(&self) -> &str {
        &self.fields.intent_digest
    }

    /// The backend.
    pub fn backend(&self) -> &str {
        &self.fields.backend
    }

    /// The attempt number (≥ 1).
    pub fn attempt(&self) -> i64 {
        self.fields.attempt
    }

    /// The outcome.
    pub fn status(&self) -> ReceiptStatus {
        self.fields.status
    }

    /// The attempt time as given.
    pub fn created_at(&self) -> &str {
        &self.fields.created_at
    }

    /// The evidence digests in insertion order.
    pub fn evidence_digests(&self) -> &[(String, String)] {
        &self.fields.evidence_digests
    }

    /// The evidence digest named `key`.
    pub fn evidence(&self, key: &str) -> Option<&str> {
        self.fields.evidence_digests.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The opaque proof.
    pub fn proof(&self) -> &Map {
        &self.fields.proof
    }

    /// The structured error.
    pub fn error(&self) -> Option<&ReceiptFailure> {
        self.fields.error.as_ref()
    }

    /// The full serialization (`to_dict`): `receipt_version`, `intent_digest`,
    /// `backend`, `attempt`, `status`, `created_at`, then `evidence_digests` (insertion
    /// order) and `proof` when non-empty, then `error` when present.
    pub fn to_value(&self) -> Value {
        self.build(false)
    }

    /// The canonical dict: as [`Receipt::to_value`] with evidence sorted by key.
    pub fn canonical_value(&self) -> Value {
        self.build(true)
    }

    /// The canonical JSON text that is hashed (also the text the queue stores).
    ///
    /// Fails only on a non-finite float inside `proof`, which no JSON text can carry.
    pub fn canonical_json(&self) -> Result<String, canonical::CanonicalError> {
        canonical::to_string(&self.canonical_value())
    }

    /// The receipt digest: SHA-256 of the canonical JSON (write it with `to_hex()` for
    /// the raw form the original returns; narratives show it prefixed).
    pub fn digest(&self) -> Result<Digest, canonical::CanonicalError> {
        canonical::digest(&self.canonical_value())
    }

    fn build(&self, sort: bool) -> Value {
        let f = &self.fields;
        let mut m = Map::with_capacity(9);
        m.insert("receipt_version", Value::str(RECEIPT_VERSION));
        m.insert("intent_digest", Value::str(f.intent_digest.as_str()));
        m.insert("backend", Value::str(f.backend.as_str()));
        m.insert("attempt", Value::int(f.attempt));
        m.insert("status", Value::str(f.status.as_str()));
        m.insert("created_at", Value::str(f.created_at.as_str()));
        if !f.evidence_digests.is_empty() {
            let mut evidence: Vec<&(String, String)> = f.evidence_digests.iter().collect();
            if sort {
                evidence.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            }
            m.insert(
                "evidence_digests",
                Value::Object(evidence.into_iter().map(|(k, v)| (k.clone(), Value::str(v.as_str()))).collect()),
            );
        }
        if !f.proof.is_empty() {
            m.insert("proof", Value::Object(f.proof.clone()));
        }
        if let Some(e) = &f.error {
            m.insert("error", e.to_value());
        }
        Value::Object(m)
    }
}

fn dedup(pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out.iter_mut().find(|(existing, _)| *existing == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

fn required_string(m: &Map, key: &'static str) -> Result<String, ReceiptError> {
    match m.get(key) {
        None => Err(ReceiptError::MissingKey(key)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ReceiptError::WrongType { key: key.into(), expected: "a string" }),
    }
}

fn attempt(v: &Value, mode: Validation) -> Result<i64, ReceiptError> {
    let too_big = || ReceiptError::WrongType { key: "attempt".into(), expected: "an integer within 64 bits" };
    match mode {
        Validation::Strict => match v {
            Value::Number(n) if n.is_integer() => n.as_i64().ok_or_else(too_big),
            _ => Err(ReceiptError::WrongType { key: "attempt".into(), expected: "an integer" }),
        },
        Validation::Compat => match py_int(v) {
            Ok(n) => n.as_i64().ok_or_else(too_big),
            Err(PyIntError::Literal(text)) => Err(ReceiptError::AttemptNotInteger(text)),
            Err(PyIntError::Type(_)) => Err(ReceiptError::WrongType { key: "attempt".into(), expected: "an integer" }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attest_verify::json::parse;

    const INTENT: &str = "sha256:fd5f008a225e0bf233346761f5b996a9d2c5ce2765532b0ffdb304c2b2e35abb";

    fn receipt(extra: &str) -> Value {
        parse(&format!(
            r#"{{"intent_digest":"{INTENT}","backend":"xrpl","attempt":1,"status":"DEFERRED","created_at":"2025-01-15T12:00:00Z"{extra}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn failed_without_detail_digest() {
        let v = parse(&format!(
            r#"{{"intent_digest":"{INTENT}","backend":"xrpl","attempt":3,"status":"FAILED","created_at":"2025-01-15T12:20:00Z","error":{{"code":"BACKEND_UNAVAILABLE"}}}}"#
        ))
        .unwrap();
        let r = Receipt::from_value(&v, Validation::Strict).unwrap();
        assert!(r.canonical_json().unwrap().contains(r#""error":{"code":"BACKEND_UNAVAILABLE"}"#));
    }

    #[test]
    fn calendar_and_attempt_rules() {
        let mut v = receipt("");
        if let Value::Object(m) = &mut v {
            m.insert("created_at", Value::str("2025-13-45T99:99:99Z"));
        }
        assert!(Receipt::from_value(&v, Validation::Compat).is_ok());
        assert_eq!(Receipt::from_value(&v, Validation::Strict).unwrap_err().code(), "RECEIPT_CREATED_AT_CALENDAR");

        let mut v = receipt("");
        if let Value::Object(m) = &mut v {
            m.insert("attempt", Value::str("2"));
        }
        assert_eq!(Receipt::from_value(&v, Validation::Compat).unwrap().attempt(), 2);
        assert_eq!(Receipt::from_value(&v, Validation::Strict).unwrap_err().code(), "RECEIPT_FIELD_TYPE");
    }

    #[test]
    fn empty_error_means_no_error_and_status_is_converted_first() {
        let r = Receipt::from_value(&receipt(r#","error":{}"#), Validation::Strict).unwrap();
        assert!(r.error().is_none());
        let err = Receipt::from_value(&receipt(r#","error":{"detail":"x"}"#), Validation::Strict).unwrap_err();
        assert_eq!(err, ReceiptError::MissingKey("code"));
        let mut v = receipt("");
        if let Value::Object(m) = &mut v {
            m.insert("status", Value::str("PENDING"));
            m.insert("backend", Value::str("XRPL"));
        }
        assert_eq!(
            Receipt::from_value(&v, Validation::Strict).unwrap_err().to_string(),
            "'PENDING' is not a valid ReceiptStatus"
        );
    }
}
