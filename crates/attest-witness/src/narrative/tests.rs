//! Unit tests of narrative reports: strict-only failures, conversions, self-check.

use super::*;
use crate::exchange::{ExchangeRecord, MemoryExchangeStore};
use crate::intent::{Intent, IntentFields};
use crate::queue::{MemoryQueue, ReceiptRow};
use crate::receipt::{Receipt, ReceiptFields};

fn intent() -> Intent {
    Intent::new(
        IntentFields {
            subject_type: "nexus.audit_package".into(),
            binding_digest: format!("sha256:{}", "ab".repeat(32)),
            ..IntentFields::default()
        },
        Validation::Strict,
    )
    .unwrap()
}

fn confirmed(id: &str, ledger_index: Value, evidence: Vec<(String, String)>) -> Receipt {
    let mut proof = Map::new();
    proof.insert("tx_hash", Value::str("d4"));
    proof.insert("ledger_index", ledger_index);
    Receipt::new(
        ReceiptFields {
            intent_digest: id.into(),
            backend: "xrpl".into(),
            attempt: 1,
            status: ReceiptStatus::Confirmed,
            created_at: "2025-01-15T12:00:06+00:00".into(),
            evidence_digests: evidence,
            proof,
            error: None,
        },
        Validation::Strict,
    )
    .unwrap()
}

const STRICT: NarrativeOptions = NarrativeOptions { include_bodies: true, mode: Validation::Strict };
const COMPAT: NarrativeOptions = NarrativeOptions { include_bodies: true, mode: Validation::Compat };

#[test]
fn an_altered_stored_receipt_fails_only_in_strict_mode() {
    let mut q = MemoryQueue::reference();
    let id = q.enqueue(&intent(), "2025-01-15T12:00:00+00:00");
    let r = confirmed(&id, Value::int(7), Vec::new());
    q.insert_receipt_row(ReceiptRow {
        receipt_digest: "00".repeat(32),
        intent_digest: id.clone(),
        attempt: 1,
        created_at: r.created_at().into(),
        backend: "xrpl".into(),
        status: "CONFIRMED".into(),
        receipt_json: r.canonical_json().unwrap(),
    });
    let find =
        |report: &NarrativeReport| report.checks.iter().find(|c| c.name == "receipt_digest_valid").cloned().unwrap();
    let compat = show_intent(&q, &id, None, &COMPAT).unwrap();
    assert_eq!(find(&compat).status, CheckStatus::Pass);
    let strict = show_intent(&q, &id, None, &STRICT).unwrap();
    let check = find(&strict);
    assert_eq!((check.status, check.reason.as_str()), (CheckStatus::Fail, "Receipt digest mismatch"));
    assert_eq!(check.expected.unwrap(), format!("sha256:{}", "00".repeat(32)));
}

#[test]
fn a_tampered_body_fails_only_in_strict_mode() {
    let mut store = MemoryExchangeStore::new();
    let request = Digest::of(b"request").to_prefixed();
    let response = Digest::of(b"response").to_prefixed();
    let content = store.put(ExchangeRecord::new(&request, &response, "2025-01-15T12:00:06+00:00"));
    store.put_body(&request, b"request").unwrap();
    store.put_body_unchecked(&response, b"something else");
    let mut q = MemoryQueue::new();
    let id = q.enqueue(&intent(), "2025-01-15T12:00:00+00:00");
    q.record_receipt(&confirmed(&id, Value::int(7), vec![("xrpl.tx.exchange".into(), content)])).unwrap();
    let body = |options: &NarrativeOptions| {
        let report = show_intent(&q, &id, Some(&store), options).unwrap();
        report.checks.iter().find(|c| c.name == "body_exists:xrpl.tx.exchange:response").cloned().unwrap()
    };
    assert_eq!(body(&COMPAT).status, CheckStatus::Pass);
    let strict = body(&STRICT);
    assert_eq!(strict.status, CheckStatus::Fail);
    assert_eq!(strict.reason, format!("Body digest mismatch: {response}"));
}

#[test]
fn ledger_index_conversion_and_errors() {
    let mut q = MemoryQueue::new();
    let id = q.enqueue(&intent(), "2025-01-15T12:00:00+00:00");
    q.record_receipt(&confirmed(&id, Value::str("99000500"), Vec::new())).unwrap();
    let report = show_intent(&q, &id, None, &STRICT).unwrap();
    assert_eq!(report.witness.unwrap().ledger_index.to_string(), "99000500");

    let mut q = MemoryQueue::new();
    let id = q.enqueue(&intent(), "2025-01-15T12:00:00+00:00");
    q.record_receipt(&confirmed(&id, Value::str("ninety"), Vec::new())).unwrap();
    let err = show_intent(&q, &id, None, &STRICT).unwrap_err();
    assert_eq!(err.code(), "NARRATIVE_LEDGER_INDEX");
}

#[test]
fn self_check_detects_tampering() {
    let mut q = MemoryQueue::new();
    let id = q.enqueue(&intent(), "2025-01-15T12:00:00+00:00");
    let mut report = show_intent(&q, &id, None, &STRICT).unwrap();
    assert_eq!(report.verify_digest().status, CheckStatus::Pass);
    assert_eq!(verify_narrative_value(&report.to_value()).status, CheckStatus::Pass);
    report.total_attempts = 5;
    let check = report.verify_digest();
    assert_eq!(check.status, CheckStatus::Fail);
    assert_eq!(check.reason, "Narrative digest mismatch \u{2014} possible tampering");
    report.narrative_digest = None;
    assert_eq!(report.verify_digest().status, CheckStatus::Skip);
    assert_eq!(verify_narrative_value(&Value::Null).status, CheckStatus::Skip);
}

#[test]
fn unknown_intent_report() {
    let q = MemoryQueue::new();
    let report = show_intent(&q, "sha256:00", None, &STRICT).unwrap();
    assert!(!report.intent_found);
    assert_eq!(report.checks.len(), 1);
    assert!(report.render(None).contains("  Status:       NOT FOUND"));
}
