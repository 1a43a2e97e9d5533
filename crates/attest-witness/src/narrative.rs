//! Narrative reports: the read-only story of one intent (ledger row, receipts, wire
//! evidence, XRPL witness, integrity checks), its digest and self-check (spec
//! `attestation.md` §7). The checks live in `narrative/checks.rs`, rendering in
//! `narrative/render.rs`.

mod checks;
mod render;

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{self, Map, Number, Value};

pub use render::{diff_attempts, AttemptDiff};

use checks::{receipt_entry, verify_intent_digest, verify_receipts_consistent, witness_candidate};

use crate::error::NarrativeError;
use crate::exchange::ExchangeStore;
use crate::intent::INTENT_VERSION;
use crate::pattern::Validation;
use crate::queue::QueueRead;
use crate::receipt::{ReceiptStatus, RECEIPT_VERSION};
use crate::xrpl::MEMO_VERSION;

/// The narrative version.
pub const NARRATIVE_VERSION: &str = "0.1";
/// The report schema id.
pub const NARRATIVE_SCHEMA: &str = "nexus.attestation.narrative.v0.1";
/// The package version string the original hard-codes into every report (hashed).
pub const NEXUS_CONTROL_VERSION: &str = "0.7.0";
/// The evidence keys that are wire exchanges, in report order.
pub const EXCHANGE_KEYS: [&str; 2] = ["xrpl.submit.exchange", "xrpl.tx.exchange"];

/// Outcome of an integrity check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckStatus {
    /// The check held.
    Pass,
    /// The check failed.
    Fail,
    /// The check could not run.
    Skip,
}

impl CheckStatus {
    /// `PASS`, `FAIL` or `SKIP`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "PASS",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Skip => "SKIP",
        }
    }
}

/// One integrity check of a report: `{"name", "status", "reason"}` plus `expected` /
/// `actual` when set (whatever the status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityCheck {
    /// Check name, e.g. `receipt_digest_valid` or `exchange_exists:xrpl.tx.exchange`.
    pub name: String,
    /// Outcome.
    pub status: CheckStatus,
    /// Explanation.
    pub reason: String,
    /// Expected value.
    pub expected: Option<String>,
    /// Value found.
    pub actual: Option<String>,
}

impl IntegrityCheck {
    fn new(name: impl Into<String>, status: CheckStatus, reason: impl Into<String>) -> IntegrityCheck {
        IntegrityCheck { name: name.into(), status, reason: reason.into(), expected: None, actual: None }
    }

    fn with(mut self, expected: impl Into<String>, actual: impl Into<String>) -> IntegrityCheck {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }

    /// The original's JSON shape.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(5);
        m.insert("name", Value::str(self.name.as_str()));
        m.insert("status", Value::str(self.status.as_str()));
        m.insert("reason", Value::str(self.reason.as_str()));
        if let Some(e) = &self.expected {
            m.insert("expected", Value::str(e.as_str()));
        }
        if let Some(a) = &self.actual {
            m.insert("actual", Value::str(a.as_str()));
        }
        Value::Object(m)
    }
}

/// Wire evidence of one exchange key of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeEvidence {
    /// `xrpl.submit.exchange` or `xrpl.tx.exchange`.
    pub key: String,
    /// The evidence value (the record's content digest).
    pub content_digest: String,
    /// Whether the exchange store has the record.
    pub record_found: bool,
    /// The record's request digest.
    pub request_digest: Option<String>,
    /// The record's response digest.
    pub response_digest: Option<String>,
    /// The record's timestamp.
    pub timestamp: Option<String>,
    /// Whether the request body is stored (computed whether or not bodies are checked).
    pub request_body_available: bool,
    /// Whether the response body is stored.
    pub response_body_available: bool,
}

impl ExchangeEvidence {
    /// The original's JSON shape (optional strings only when non-empty).
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(8);
        m.insert("key", Value::str(self.key.as_str()));
        m.insert("content_digest", Value::str(self.content_digest.as_str()));
        m.insert("record_found", Value::Bool(self.record_found));
        for (k, v) in [
            ("request_digest", &self.request_digest),
            ("response_digest", &self.response_digest),
            ("timestamp", &self.timestamp),
        ] {
            if let Some(s) = v.as_deref().filter(|s| !s.is_empty()) {
                m.insert(k, Value::str(s));
            }
        }
        m.insert("request_body_available", Value::Bool(self.request_body_available));
        m.insert("response_body_available", Value::Bool(self.response_body_available));
        Value::Object(m)
    }
}

/// One receipt in the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptEntry {
    /// Attempt number.
    pub attempt: i64,
    /// Receipt status.
    pub status: String,
    /// Receipt time.
    pub created_at: String,
    /// Backend.
    pub backend: String,
    /// `sha256:` + the digest recomputed from the stored receipt.
    pub receipt_digest: String,
    /// `proof.tx_hash` (Python `str()` of a truthy value).
    pub tx_hash: Option<String>,
    /// `proof.ledger_index` as an integer (written only when non-zero).
    pub ledger_index: Option<Number>,
    /// `proof.ledger_close_time`.
    pub ledger_close_time: Option<String>,
    /// `proof.engine_result`.
    pub engine_result: Option<String>,
    /// `error.code`.
    pub error_code: Option<String>,
    /// `error.detail`.
    pub error_detail: Option<String>,
    /// `evidence_digests.memo_digest`.
    pub memo_digest: Option<String>,
    /// Exchange evidence, submit before tx.
    pub exchanges: Vec<ExchangeEvidence>,
}

impl ReceiptEntry {
    /// The original's JSON shape: every optional key only when truthy.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(13);
        m.insert("attempt", Value::int(self.attempt));
        m.insert("status", Value::str(self.status.as_str()));
        m.insert("created_at", Value::str(self.created_at.as_str()));
        m.insert("backend", Value::str(self.backend.as_str()));
        m.insert("receipt_digest", Value::str(self.receipt_digest.as_str()));
        insert_truthy(&mut m, "tx_hash", &self.tx_hash);
        if let Some(n) = self.ledger_index.as_ref().filter(|n| !n.is_zero()) {
            m.insert("ledger_index", Value::Number(n.clone()));
        }
        insert_truthy(&mut m, "ledger_close_time", &self.ledger_close_time);
        insert_truthy(&mut m, "engine_result", &self.engine_result);
        insert_truthy(&mut m, "error_code", &self.error_code);
        insert_truthy(&mut m, "error_detail", &self.error_detail);
        insert_truthy(&mut m, "memo_digest", &self.memo_digest);
        if !self.exchanges.is_empty() {
            m.insert("exchanges", Value::Array(self.exchanges.iter().map(ExchangeEvidence::to_value).collect()));
        }
        Value::Object(m)
    }
}

/// The XRPL witness: from the last `CONFIRMED` receipt whose proof has a truthy
/// `tx_hash` and `ledger_index`.
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    /// Transaction hash.
    pub tx_hash: String,
    /// Ledger index (0 when the proof's value is neither an integer nor a string).
    pub ledger_index: Number,
    /// Ledger close time.
    pub ledger_close_time: Option<String>,
    /// Engine result.
    pub engine_result: Option<String>,
    /// Sending account (only in proofs written by other means than the original's
    /// confirm step).
    pub account: Option<String>,
    /// Signing key id (likewise).
    pub key_id: Option<String>,
}

impl Witness {
    /// The original's JSON shape.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(6);
        m.insert("tx_hash", Value::str(self.tx_hash.as_str()));
        m.insert("ledger_index", Value::Number(self.ledger_index.clone()));
        insert_truthy(&mut m, "ledger_close_time", &self.ledger_close_time);
        insert_truthy(&mut m, "engine_result", &self.engine_result);
        insert_truthy(&mut m, "account", &self.account);
        insert_truthy(&mut m, "key_id", &self.key_id);
        Value::Object(m)
    }
}

/// A narrative report.
#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeReport {
    /// The digest asked for, verbatim.
    pub intent_digest: String,
    /// Whether the queue knows it.
    pub intent_found: bool,
    /// From the stored intent JSON (written when truthy).
    pub subject_type: Option<Value>,
    /// From the stored intent JSON (written when truthy).
    pub binding_digest: Option<Value>,
    /// From the stored intent JSON (written when truthy).
    pub env: Option<Value>,
    /// Enqueue time.
    pub created_at: Option<String>,
    /// Queue status.
    pub current_status: Option<String>,
    /// Queue `last_attempt`.
    pub total_attempts: i64,
    /// Queue `last_error_code`.
    pub last_error_code: Option<String>,
    /// Timeline, by attempt, ties in recording order.
    pub receipts: Vec<ReceiptEntry>,
    /// XRPL witness.
    pub witness: Option<Witness>,
    /// Integrity checks.
    pub checks: Vec<IntegrityCheck>,
    /// `sha256:` over the canonical JSON of the report without this key.
    pub narrative_digest: Option<String>,
}

/// How a report is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NarrativeOptions {
    /// Also check that the request and response bodies of found exchange records are
    /// stored.
    pub include_bodies: bool,
    /// [`Validation::Strict`] (default): `receipt_digest_valid` compares the recomputed
    /// digest with the key the row is stored under, `body_exists` hashes the body, stored
    /// intents and receipts are re-validated strictly. [`Validation::Compat`]: the
    /// original's checks (`receipt_digest_valid` compares the digest with itself, bodies
    /// are only tested for existence) and compat re-validation. On a consistent store
    /// both give the same report.
    pub mode: Validation,
}

/// Build the narrative report of a prefixed intent digest (= queue id). Read-only.
///
/// Errors where the original aborts: a stored intent that is not a JSON object, a
/// stored receipt that does not read back, a `ledger_index` string that is not an
/// integer.
pub fn show_intent(
    queue: &dyn QueueRead,
    intent_digest: &str,
    exchange: Option<&dyn ExchangeStore>,
    options: &NarrativeOptions,
) -> Result<NarrativeReport, NarrativeError> {
    let Some(status) = queue.status(intent_digest) else {
        let mut report = empty_report(intent_digest);
        report.checks.push(IntegrityCheck::new(
            "intent_exists",
            CheckStatus::Fail,
            format!("Intent not found in queue: {intent_digest}"),
        ));
        report.narrative_digest = Some(report.compute_digest());
        return Ok(report);
    };
    let mut report = empty_report(intent_digest);
    report.intent_found = true;
    report.current_status = Some(status.status.clone());
    report.total_attempts = status.last_attempt;
    report.last_error_code = status.last_error_code.clone();

    let row = queue.intent_row(intent_digest);
    let mut intent_check = None;
    if let Some(row) = &row {
        let data = json::parse(&row.intent_json).ok().filter(|v| v.as_object().is_some());
        let data = data.ok_or_else(|| NarrativeError::StoredIntent(intent_digest.to_owned()))?;
        report.subject_type = data.get("subject_type").cloned();
        report.binding_digest = data.get("binding_digest").cloned();
        report.env = data.get("env").cloned();
        report.created_at = Some(row.created_at.clone());
        intent_check = Some(verify_intent_digest(intent_digest, &data, options.mode));
    }

    let replay = queue.replay(intent_digest, options.mode)?;
    report.checks.extend(intent_check);
    report.checks.push(verify_receipts_consistent(intent_digest, &replay));

    for (row, receipt) in &replay {
        let (entry, checks) = receipt_entry(row, receipt, exchange, options)?;
        report.receipts.push(entry);
        report.checks.extend(checks);
        if receipt.status() == ReceiptStatus::Confirmed {
            if let Some(w) = witness_candidate(receipt.proof())? {
                report.witness = Some(w);
            }
        }
    }
    report.narrative_digest = Some(report.compute_digest());
    Ok(report)
}

impl NarrativeReport {
    /// The report JSON with `narrative_digest` (when set), in the original's key order.
    pub fn to_value(&self) -> Value {
        self.build(true)
    }

    /// The hashed content: the report JSON without `narrative_digest`.
    pub fn content_value(&self) -> Value {
        self.build(false)
    }

    /// `sha256:` + SHA-256 of the canonical JSON of [`NarrativeReport::content_value`].
    pub fn compute_digest(&self) -> String {
        digest_of(&self.content_value())
    }

    /// The self-check `narrative_digest_valid`: PASS when the stored digest matches the
    /// recomputed one, FAIL otherwise (both with expected = stored, actual =
    /// recomputed), SKIP without a digest.
    pub fn verify_digest(&self) -> IntegrityCheck {
        match &self.narrative_digest {
            None => IntegrityCheck::new("narrative_digest_valid", CheckStatus::Skip, "No narrative_digest to verify"),
            Some(stored) => digest_check(stored, &self.compute_digest()),
        }
    }

    /// Counts of PASS, FAIL and SKIP checks.
    pub fn check_counts(&self) -> (usize, usize, usize) {
        let count = |s: CheckStatus| self.checks.iter().filter(|c| c.status == s).count();
        (count(CheckStatus::Pass), count(CheckStatus::Fail), count(CheckStatus::Skip))
    }

    fn build(&self, include_digest: bool) -> Value {
        let mut m = Map::with_capacity(16);
        m.insert("schema", Value::str(NARRATIVE_SCHEMA));
        m.insert("narrative_version", Value::str(NARRATIVE_VERSION));
        m.insert("canonicalization", canonicalization_block());
        m.insert("intent_digest", Value::str(self.intent_digest.as_str()));
        m.insert("intent_found", Value::Bool(self.intent_found));
        if include_digest {
            insert_truthy(&mut m, "narrative_digest", &self.narrative_digest);
        }
        if self.intent_found {
            for (k, v) in
                [("subject_type", &self.subject_type), ("binding_digest", &self.binding_digest), ("env", &self.env)]
            {
                if let Some(v) = v.as_ref().filter(|v| v.is_truthy()) {
                    m.insert(k, v.clone());
                }
            }
            insert_truthy(&mut m, "created_at", &self.created_at);
            m.insert("current_status", self.current_status.as_deref().map_or(Value::Null, Value::str));
            m.insert("total_attempts", Value::int(self.total_attempts));
            insert_truthy(&mut m, "last_error_code", &self.last_error_code);
            if !self.receipts.is_empty() {
                m.insert("receipts", Value::Array(self.receipts.iter().map(ReceiptEntry::to_value).collect()));
            }
            if let Some(w) = &self.witness {
                m.insert("witness", w.to_value());
            }
        }
        if !self.checks.is_empty() {
            m.insert("checks", Value::Array(self.checks.iter().map(IntegrityCheck::to_value).collect()));
        }
        Value::Object(m)
    }
}

/// The self-check of a report read back from JSON: remove `narrative_digest`,
/// canonicalize, hash, compare (SKIP when there is no string digest).
pub fn verify_narrative_value(report: &Value) -> IntegrityCheck {
    let Some(map) = report.as_object() else {
        return IntegrityCheck::new("narrative_digest_valid", CheckStatus::Skip, "No narrative_digest to verify");
    };
    let Some(stored) = map.get("narrative_digest").and_then(Value::as_str) else {
        return IntegrityCheck::new("narrative_digest_valid", CheckStatus::Skip, "No narrative_digest to verify");
    };
    let mut content = map.clone();
    content.remove("narrative_digest");
    digest_check(stored, &digest_of(&Value::Object(content)))
}

/// The constant `canonicalization` block (hashed; its JCS label is the original's, the
/// digest uses the original's canonical JSON, not RFC 8785).
pub fn canonicalization_block() -> Value {
    let mut versions = Map::with_capacity(5);
    versions.insert("nexus_control", Value::str(NEXUS_CONTROL_VERSION));
    versions.insert("narrative", Value::str(NARRATIVE_VERSION));
    versions.insert("intent", Value::str(INTENT_VERSION));
    versions.insert("receipt", Value::str(RECEIPT_VERSION));
    versions.insert("memo", Value::str(MEMO_VERSION));
    let mut m = Map::with_capacity(6);
    m.insert("hash_algorithm", Value::str("sha256"));
    m.insert("serialization", Value::str("JCS"));
    m.insert("serialization_spec", Value::str("RFC 8785"));
    m.insert("encoding", Value::str("utf-8"));
    m.insert("attempt_semantics", Value::str("cycle:1-indexed"));
    m.insert("versions", Value::Object(versions));
    Value::Object(m)
}

// ------------------------------------------------------------------------------ helpers

fn empty_report(intent_digest: &str) -> NarrativeReport {
    NarrativeReport {
        intent_digest: intent_digest.to_owned(),
        intent_found: false,
        subject_type: None,
        binding_digest: None,
        env: None,
        created_at: None,
        current_status: None,
        total_attempts: 0,
        last_error_code: None,
        receipts: Vec::new(),
        witness: None,
        checks: Vec::new(),
        narrative_digest: None,
    }
}

fn insert_truthy(m: &mut Map, key: &str, value: &Option<String>) {
    if let Some(s) = value.as_deref().filter(|s| !s.is_empty()) {
        m.insert(key, Value::str(s));
    }
}

fn digest_of(value: &Value) -> String {
    // Reports hold no floats except inside values copied from stored JSON, which are
    // finite; an unhashable report gets the digest of nothing rather than a panic.
    canonical::digest(value).unwrap_or_else(|_| Digest::of(b"")).to_prefixed()
}

fn digest_check(stored: &str, recomputed: &str) -> IntegrityCheck {
    let (status, reason) = if stored == recomputed {
        (CheckStatus::Pass, "Narrative digest matches recomputed value")
    } else {
        (CheckStatus::Fail, "Narrative digest mismatch \u{2014} possible tampering")
    };
    IntegrityCheck::new("narrative_digest_valid", status, reason).with(stored, recomputed)
}

#[cfg(test)]
mod tests;
